"""Sampling a generator's rows in fixed, seeded blocks, and the chunks that fits read them in.

The recursive loop and the schedule advisor draw a generation's synthetic rows
the same way: block ``b`` of pool part ``p`` holds rows ``b * BLOCK_SIZE`` up to
the next block and is drawn with its own seed (:func:`block_seed`), so the rows
do not depend on how they are grouped into ``fit``/``partial_fit`` calls
(:func:`default_chunk_rows`) or on how many blocks are sampled at once.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["BLOCK_SIZE", "block_seed", "default_chunk_rows", "sample_blocks"]

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
