"""Shared plumbing of the simulators: seeds, replication blocks, validation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from .._pool_names import pool_subset
from ..schedules import check_schedule
from ..utils._sklearn_compat import Interval, ordered_options
from ..utils._threads import one_native_thread

#: Replications per block. Every block owns a child SeedSequence, so results
#: depend on this constant but never on ``n_jobs`` or the backend.
REPLICATIONS_PER_BLOCK = 1024

#: The pools the sufficient-statistic recursions follow exactly (a subset of synthloop's one tuple of pools).
SIMULATED_POOLS = pool_subset("replace", "augment", "fresh", "accumulate")


def block_generators(root, block, n_streams):
    """Independent generators of one block: child ``(block, k)`` of ``root``.

    Built directly from ``spawn_key`` so a block can be replayed alone; equals
    ``root.spawn(...)[block].spawn(n_streams)``.
    """
    block_ss = np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, block), pool_size=root.pool_size
    )
    return [
        np.random.Generator(
            np.random.PCG64(
                np.random.SeedSequence(
                    block_ss.entropy,
                    spawn_key=(*block_ss.spawn_key, k),
                    pool_size=block_ss.pool_size,
                )
            )
        )
        for k in range(n_streams)
    ]


def seed_record(root, n_reps):
    """What is needed to replay a run (or any one block of it)."""
    n_blocks = -(-n_reps // REPLICATIONS_PER_BLOCK)
    return {
        "entropy": root.entropy,
        "spawn_key": tuple(root.spawn_key),
        "pool_size": root.pool_size,
        "block_size": REPLICATIONS_PER_BLOCK,
        "n_blocks": n_blocks,
    }


def run_blocks(func, n_reps, n_jobs, *, require=None, **kwargs):
    """Run ``func(block, size, **kwargs)`` over fixed blocks; list of results in block order.

    ``require="sharedmem"`` runs the blocks in threads, whatever
    ``joblib.parallel_config`` says: for blocks that write into shared output
    arrays. Other blocks go through joblib, which may choose another backend.
    """
    sizes = [min(REPLICATIONS_PER_BLOCK, n_reps - b * REPLICATIONS_PER_BLOCK) for b in range(-(-n_reps // REPLICATIONS_PER_BLOCK))]
    if n_jobs in (None, 1) or len(sizes) == 1:
        return [func(b, s, **kwargs) for b, s in enumerate(sizes)]
    if require == "sharedmem":
        # A plain thread pool: joblib's dispatch cost ~8 ms per call, a tenth of
        # a simulate_gaussian run of the [A] Figure-3 grid on two threads.
        with one_native_thread(), ThreadPoolExecutor(min(effective_n_jobs(n_jobs), len(sizes))) as pool:
            return list(pool.map(lambda job: func(*job, **kwargs), enumerate(sizes)))
    # numpy's bulk random draws and large ufuncs release the GIL, so threads
    # avoid process start-up and pickling of results; joblib.parallel_config
    # can still choose another backend.
    with one_native_thread():
        return Parallel(n_jobs=n_jobs, prefer="threads")(delayed(func)(b, s, **kwargs) for b, s in enumerate(sizes))


class ReplicationsByGenerations:
    """``n_reps`` and ``n_generations`` of a simulation result, from its ``(n_reps, T + 1, ...)`` array ``_by``."""

    _by = "means"

    @property
    def n_reps(self):
        return getattr(self, self._by).shape[0]

    @property
    def n_generations(self):
        return getattr(self, self._by).shape[1] - 1


# -- validation -----------------------------------------------------------
#: The declarative constraints (scikit-learn's ``validate_params``) of the arguments every simulator takes.
CONSTRAINTS = {
    "n_generations": [Interval(Integral, 0, None, closed="left")],
    "pool": [ordered_options(SIMULATED_POOLS)],
    "n_reps": [Interval(Integral, 1, None, closed="left")],
    "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
}


def constraints(**own):
    """:data:`CONSTRAINTS` and a simulator's ``own`` (a call, not ``{**CONSTRAINTS, ...}``, which Sphinx cannot read)."""
    return {**CONSTRAINTS, **own}


def resolve_sizes(schedule, n_generations, n_real):
    schedule = check_schedule(schedule)
    return schedule, schedule.sizes(n_generations, n_real)
