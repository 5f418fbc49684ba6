"""Sampling a generator's rows in fixed, seeded blocks, and fitting a generator on them block by block.

The recursive loop and the schedule advisor draw a generation's synthetic rows
the same way: block ``b`` of pool part ``p`` holds rows ``b * BLOCK_SIZE`` up to
the next block and is drawn with its own seed (:func:`block_seed`), so the rows
do not depend on how they are grouped into ``fit``/``partial_fit`` calls
(:func:`default_chunk_rows`) or on how many blocks are sampled at once.

A generator whose fit is a reduction (``supports_reduction()``: statistics of
a block, a merge of two, a finish) is fit by :func:`fit_blocks`: every block
is drawn and reduced to its statistics where it is drawn (a thread, or a Dask
worker), and the statistics are merged in a fixed tree
(:func:`tree_reduce`) whose shape depends only on the number of blocks. The
fitted parameters are therefore the same whatever ``n_jobs``, the number of
workers or the backend.
"""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np
import pandas as pd

from .utils._threads import one_native_thread

__all__ = ["BLOCK_SIZE", "block_seed", "default_chunk_rows", "fit_blocks", "sample_blocks", "tree_reduce"]

#: Rows per sampling block. Each block has its own seed, so the synthetic rows
#: do not depend on ``chunk_size`` or ``n_jobs``.
BLOCK_SIZE = 65_536
# Default chunk: about 512 MiB at 64 bytes per cell: the decoded frame, the encoded
# arrays and the sampler's temporaries (measured ~60 B per cell on Adult with the copula).
# Larger chunks mean fewer partial_fit calls, which matters for generators whose
# per-call finalisation is costly.
_CHUNK_BYTES = 512 * 2**20
_BYTES_PER_CELL = 64


def default_chunk_rows(n_columns):
    """Rows per ``fit``/``partial_fit`` call when ``chunk_size=None``: about 512 MiB, whole blocks."""
    rows = _CHUNK_BYTES // (_BYTES_PER_CELL * max(1, int(n_columns)))
    return max(BLOCK_SIZE, rows // BLOCK_SIZE * BLOCK_SIZE)


def block_seed(seed, part, block):
    """The seed of sampling block ``block`` of pool part ``part``.

    Parameters
    ----------
    seed : int
        The generation's seed (``history_["seed"]``).
    part : int
        Position of the part in the generation's :class:`~synthloop.pools.PoolPlan`.
    block : int
        Block index: rows ``block * BLOCK_SIZE`` up to the next block.

    Returns
    -------
    int
        A 32-bit seed, passed as ``random_state`` to the source generator's
        ``sample``.

    Examples
    --------
    >>> from synthloop.sampling import block_seed
    >>> block_seed(7, 0, 0) == block_seed(7, 0, 0) != block_seed(7, 0, 1)
    True
    """
    ss = np.random.SeedSequence([int(seed), int(part), int(block)])
    return int(ss.generate_state(1, np.uint32)[0])


def sample_blocks(generator, n_rows, seed, *, part=0):
    """Draw ``n_rows`` rows from ``generator`` exactly as the loop does.

    The rows come in blocks of :data:`BLOCK_SIZE`, block ``b`` drawn with
    ``random_state=block_seed(seed, part, b)``. Use it to re-run one
    generation alone: ``clone(generator).set_params(random_state=seed).fit``
    on these rows (and the real rows of its pool) gives the generation's fit.

    Parameters
    ----------
    generator : fitted generator
        The source (for the replace pool: the previous generation).
    n_rows : int
    seed : int
        The seed of the generation being trained (``history_["seed"]``).
    part : int, default=0
        Position of this source in the generation's pool plan.

    Returns
    -------
    DataFrame or ndarray
        What ``generator.sample`` returns.

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.sampling import sample_blocks
    >>> gen = MultivariateNormalGenerator().fit(np.random.default_rng(0).normal(size=(50, 2)))
    >>> sample_blocks(gen, 5, seed=3).shape
    (5, 2)
    """
    n_blocks = max(1, math.ceil(n_rows / BLOCK_SIZE))
    pieces = [_sample_block(generator, n_rows, seed, part, b) for b in range(n_blocks)]
    return _concat(pieces)


def _block_len(n_rows, b):
    return min(BLOCK_SIZE, n_rows - b * BLOCK_SIZE)


def _sample_block(generator, n_rows, seed, part, b):
    return generator.sample(_block_len(n_rows, b), random_state=block_seed(seed, part, b))


def _concat(pieces):
    if len(pieces) == 1:
        return pieces[0]
    if isinstance(pieces[0], pd.DataFrame):
        return pd.concat(pieces, ignore_index=True)
    return np.concatenate(pieces)


def _take(X, rows):
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows].reset_index(drop=True)
    return X[rows]

def _slice_rows(rows, start, stop):
    if isinstance(rows, pd.DataFrame):
        return rows.iloc[start:stop].reset_index(drop=True)
    return rows[start:stop]


# ------------------------------------------------------------------ block reduction
def tree_reduce(items, merge, *, sizes=None):
    """Merge ``items`` two by two in a fixed tree, consuming them in order.

    The tree is the one of merging neighbours level by level: items 0 and 1,
    2 and 3, ..., then the results two by two again, an odd last item carried
    up to the next level. Its shape depends only on the number of items, so
    the result does not depend on who computes the items or when. The items
    are merged as soon as their sibling is there (at most one pending item
    per level), so an iterator of ``n`` items is reduced holding
    ``log2(n)`` of them.

    Parameters
    ----------
    items : iterable
        Leaves, in order (at least one).
    merge : callable
        ``merge(left, right)``.
    sizes : iterable of int or None, default=None
        The number of leaves each item stands for (None: one each). An item
        of ``s`` leaves is their subtree, already merged: ``s`` a power of two
        and the item's first leaf at a multiple of ``s``. The root is the same
        as that of the leaves themselves, merge for merge, so a subtree can be
        reduced where its leaves are computed.

    Returns
    -------
    object
        The root.

    Examples
    --------
    >>> from synthloop.sampling import tree_reduce
    >>> tree_reduce("abcde", lambda a, b: f"({a}{b})")
    '(((ab)(cd))e)'
    >>> tree_reduce(["((ab)(cd))", "e"], lambda a, b: f"({a}{b})", sizes=[4, 1])
    '(((ab)(cd))e)'
    """
    stack = []  # (number of leaves, subtree): the sizes are decreasing powers of two
    leaves = 0
    for item, size in (((item, 1) for item in items) if sizes is None else zip(items, sizes, strict=True)):
        if size & (size - 1) or leaves % size:
            raise ValueError(f"tree_reduce: an item of {size} leaves must be a power of two starting at a multiple "
                             f"of it; this one starts at leaf {leaves}.")
        leaves += size
        while stack and stack[-1][0] == size:
            item = merge(stack.pop()[1], item)
            size *= 2
        stack.append((size, item))
    if not stack:
        raise ValueError("tree_reduce needs at least one item.")
    _, root = stack.pop()
    while stack:
        root = merge(stack.pop()[1], root)
    return root


def fit_blocks(generator, parts, seed, *, n_jobs=None, client=None, continued=False, keep_rows=None):
    """Fit ``generator`` on the blocks of ``parts`` as a reduction, exactly as the loop does.

    Part ``p`` of ``parts`` is a fitted source generator whose rows are drawn
    as :func:`sample_blocks` draws them (block ``b`` with seed
    ``block_seed(seed, p, b)``), or a table of rows, cut into blocks of
    :data:`BLOCK_SIZE`. Each pass of the generator's reduction (see
    :meth:`~synthloop.BaseGenerator.start_reduction`) reduces every block to
    its statistics where the block is drawn; the statistics are merged by
    :func:`tree_reduce` over the blocks in order. A block is drawn again from
    its seed for every pass (unless ``keep_rows`` allows keeping it), so the
    rows never leave the thread or worker that draws them and memory is
    bounded by a block per thread. The result equals a ``fit`` on all the rows
    up to float rounding, and is bitwise the same for any ``n_jobs``, number
    of workers, backend and ``keep_rows``.

    Parameters
    ----------
    generator : generator
        Unfitted (``continued=False``), with ``supports_reduction()``.
    parts : list of (source, n_rows, weight)
        ``source`` a fitted generator (``n_rows`` rows are drawn from it) or
        a DataFrame / ndarray of rows (``n_rows`` is its length); ``weight``
        the sample weight of each of its rows, or None (weight 1, no
        ``sample_weight`` passed).
    seed : int
        The seed of the generation being fit (``history_["seed"]``).
    n_jobs : int or None, default=None
        Threads reducing blocks at once (None: 1, -1: all cores; above one,
        BLAS runs at one thread meanwhile); ignored with ``client``.
    client : distributed.Client or None, default=None
        Reduce the blocks of the sources on this Dask cluster: the workers
        receive the generators, never rows; blocks of tables are reduced
        here.
    continued : bool, default=False
        ``generator`` is fitted: add the blocks to the statistics it holds
        (``supports_reduction(continued=True)``; the accumulate pool).
    keep_rows : int or None, default=None
        Without ``client``: a reduction of several passes over at most this
        many drawn rows keeps them between passes instead of drawing them
        again (faster, and memory of that many rows). None keeps none.

    Returns
    -------
    generator
        ``generator``, fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.sampling import fit_blocks, sample_blocks
    >>> source = MultivariateNormalGenerator().fit(np.random.default_rng(0).normal(size=(50, 2)))
    >>> gen = fit_blocks(MultivariateNormalGenerator(), [(source, 100_000, None)], seed=3)
    >>> again = MultivariateNormalGenerator().fit(sample_blocks(source, 100_000, seed=3))
    >>> bool(np.allclose(gen.covariance_, again.covariance_, rtol=1e-12, atol=0))
    True
    """
    from joblib import effective_n_jobs

    # All of it: a BLAS call between passes at full threads leaves BLAS's threads spinning into the next pass.
    with one_native_thread(client is None and effective_n_jobs(n_jobs) > 1):
        return _fit_blocks(generator, parts, seed, n_jobs=n_jobs, client=client, continued=continued,
                           keep_rows=keep_rows)[0]


def _fit_blocks(generator, parts, seed, *, n_jobs=None, client=None, continued=False, keep_rows=None):
    """:func:`fit_blocks`, also returning the seconds spent reducing and sampling, summed over blocks."""
    blocks = [(p, b) for p, (_, n_rows, _) in enumerate(parts) for b in range(math.ceil(n_rows / BLOCK_SIZE))]
    if not blocks:
        raise ValueError("fit_blocks: the parts hold no rows.")
    seconds = {"fit": 0.0, "sample": 0.0}
    drawn = {}  # (part, block) -> rows drawn here, for the next pass
    if continued:
        n_passes = generator.start_reduction()
    else:
        # The first part's rows fix the columns: the whole table, or its first block (reduced first).
        p = blocks[0][0]
        source, n_rows, _ = parts[p]
        if not _is_rows(source):
            start = time.perf_counter()
            drawn[p, 0] = source = _sample_block(source, n_rows, seed, p, 0)
            seconds["sample"] += time.perf_counter() - start
        start = time.perf_counter()
        n_passes = generator.start_reduction(source)
        seconds["fit"] += time.perf_counter() - start
    synthetic = sum(n_rows for source, n_rows, _ in parts if not _is_rows(source))
    keep = client is None and n_passes > 1 and keep_rows is not None and synthetic <= keep_rows
    scattered = {}
    for _ in range(n_passes):
        if client is None:
            root = _reduce_in_threads(generator, parts, seed, blocks, n_jobs, drawn, keep)
        else:
            root = _reduce_on_dask(client, generator, parts, seed, blocks, drawn, scattered)
        stats, sample_s, fit_s = root
        start = time.perf_counter()
        generator.finish_statistics(stats)
        seconds["fit"] += fit_s + time.perf_counter() - start
        seconds["sample"] += sample_s
    return generator, seconds["fit"], seconds["sample"]


def _is_rows(source):
    return isinstance(source, (pd.DataFrame, np.ndarray))


def _warm_allocator():
    """Allocate and free a 16 MiB array (no page is touched), so that block-sized temporaries come from the heap.

    glibc's malloc maps every allocation above its mmap threshold (128 KiB at
    start) afresh, and raises the threshold to the size of a mapped chunk
    when it is freed (chunks below 32 MiB). Until such an array has been
    freed, the temporaries of every block (a few MiB each) are mapped and
    their pages faulted in anew: 10 generations of the MVN on Adult took
    1.2 s instead of 0.6 s. Elsewhere this costs a map and an unmap per block.
    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` in its workers, which
    turns the adjustment off: docs/recursive.rst ("Generations past one
    machine") says how to start workers without it.
    """
    np.empty(2 * 2**20)


def _leaf(generator, source, n_rows, seed, part, b, weight, rows=None):
    """One block's ``(statistics, seconds sampling, seconds reducing)``; ``rows``: the block, if already drawn."""
    _warm_allocator()
    rows, sampled = _block_rows(source, n_rows, seed, part, b, rows)
    start = time.perf_counter()
    w = None if weight is None else np.full(len(rows), float(weight))
    stats = generator.block_statistics(rows, w)
    return stats, sampled, time.perf_counter() - start


def _block_rows(source, n_rows, seed, part, b, rows=None):
    """Block ``b`` of a part and the seconds spent drawing it."""
    if rows is not None:
        return rows, 0.0
    if _is_rows(source):
        return _slice_rows(source, b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE), 0.0
    start = time.perf_counter()
    rows = _sample_block(source, n_rows, seed, part, b)
    return rows, time.perf_counter() - start


def _merge(generator, a, b):
    start = time.perf_counter()
    stats = generator.merge_statistics(a[0], b[0])
    return stats, a[1] + b[1], a[2] + b[2] + time.perf_counter() - start


def _reduce_in_threads(generator, parts, seed, blocks, n_jobs, drawn, keep):
    """One pass in threads; ``drawn`` holds rows drawn earlier, and keeps the new ones when ``keep``."""
    def leaf(block):
        p, b = block
        source, n_rows, weight = parts[p]
        rows, sampled = _block_rows(source, n_rows, seed, p, b, drawn.get(block) if keep else drawn.pop(block, None))
        if keep and not _is_rows(source):
            drawn[block] = rows
        stats, _, fit_s = _leaf(generator, source, n_rows, seed, p, b, weight, rows)
        return stats, sampled, fit_s

    return tree_reduce(_in_order(leaf, blocks, n_jobs), lambda a, b: _merge(generator, a, b))


def _in_order(func, items, n_jobs):
    """``func(item)`` for each item, in order, computed by ``n_jobs`` threads a few items ahead."""
    from joblib import effective_n_jobs

    n_jobs = effective_n_jobs(n_jobs)
    if n_jobs == 1 or len(items) == 1:
        yield from map(func, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n_jobs) as pool:
        ahead = deque()
        for item in items:
            ahead.append(pool.submit(func, item))
            if len(ahead) >= 2 * n_jobs:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def _aligned(first, stop):
    """Leaves ``first, ..., stop - 1`` as aligned subtrees of :func:`tree_reduce`, ``(first leaf, size)``:
    each the largest power of two that starts at a multiple of itself and ends by ``stop``."""
    out = []
    while first < stop:
        size = 1 << ((stop - first).bit_length() - 1)
        while first % size:
            size //= 2
        out.append((first, size))
        first += size
    return out


def _run(generator, source, n_rows, seed, part, offset, first, stop, weight):
    """Leaves ``first, ..., stop - 1`` of one part (block ``leaf - offset``), drawn and reduced where this runs
    (one Dask task) into the aligned subtrees that cover them (:func:`_aligned`), in order."""
    return [tree_reduce((_leaf(generator, source, n_rows, seed, part, i - offset, weight) for i in range(i0, i0 + size)),
                        lambda a, b: _merge(generator, a, b))
            for i0, size in _aligned(first, stop)]


def _runs(blocks, remote, threads):
    """Cut the leaves into runs ``(first, stop)``: consecutive ``remote`` blocks of one part, every other leaf alone.

    The runs shrink towards the end (guided self-scheduling): each takes a
    ``2 * threads``-th of the remote blocks still to come (``threads``: the
    cluster's worker threads), so that a pass is a few tasks per thread, each
    enough work to pay for its scheduling, while the last ones, which threads
    finish at different times, are small.
    """
    out, i, left = [], 0, len(remote)
    while i < len(blocks):
        stop = i + 1
        if blocks[i] in remote:
            limit = min(len(blocks), i + -(-left // (2 * threads)))
            while stop < limit and blocks[stop] in remote and blocks[stop][0] == blocks[i][0]:
                stop += 1
            left -= stop - i
        out.append((i, stop))
        i = stop
    return out


def _reduce_on_dask(client, generator, parts, seed, blocks, drawn, scattered):
    """The tree of :func:`tree_reduce` over the blocks, their runs reduced on Dask; ``scattered`` keeps the sources
    sent to the workers.

    A task draws and reduces a run of consecutive blocks of one source
    (:func:`_runs`) into the aligned subtrees of the whole tree that cover it,
    and the calling process merges those: the root does not depend on the
    runs, nor on the number of threads that sets them. A pass is a few tasks
    per worker thread, one scatter and one gather: each task costs the
    scheduler and the workers about a millisecond of CPU, a block of the MVN
    on Adult takes about 7 ms, and on a small machine the scheduler and this
    process share the cores with the workers.
    """
    # The generator changes between passes, the sources do not: one scatter of what is new.
    new = [p for p, (source, _, _) in enumerate(parts) if not _is_rows(source) and p not in scattered]
    gen, *sent = client.scatter([generator] + [parts[p][0] for p in new], broadcast=True, hash=False)
    scattered.update(zip(new, sent))

    remote = {(p, b) for p, b in blocks if not _is_rows(parts[p][0]) and (p, b) not in drawn}
    runs = _runs(blocks, remote, max(1, sum(client.nthreads().values())))
    offsets = {}
    for i, (p, b) in enumerate(blocks):
        offsets.setdefault(p, i - b)
    tasks = {}
    for i, stop in runs:
        p = blocks[i][0]
        if blocks[i] in remote:
            _, n_rows, weight = parts[p]
            tasks[i] = client.submit(_run, gen, scattered[p], n_rows, seed, p, offsets[p], i, stop, weight,
                                     pure=False)
    # The blocks here are reduced while the workers draw theirs (only statistics travel); then one gather.
    reduced = {}
    for i, _ in runs:
        if i not in tasks:
            p, b = blocks[i]
            source, n_rows, weight = parts[p]
            reduced[i] = [_leaf(generator, source, n_rows, seed, p, b, weight, drawn.pop((p, b), None))]
    reduced.update(zip(tasks, client.gather(list(tasks.values()))))
    return tree_reduce((item for i, _ in runs for item in reduced.pop(i)), lambda a, b: _merge(generator, a, b),
                       sizes=[size for i, stop in runs for _, size in _aligned(i, stop)])
