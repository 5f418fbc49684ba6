"""Seeds: one ``SeedSequence`` per fit, child seeds recorded as plain integers.

Everything random in synthloop flows from a :class:`numpy.random.SeedSequence`
built from a user's ``random_state``; no global state is ever touched. Child
seeds are 32-bit integers so that any single generation, replication or cell
can be re-run alone by passing its recorded seed as ``random_state`` (and so
that scikit-learn estimators, which want seeds below 2**32, accept them).
"""

import numbers
import zlib

import numpy as np

__all__ = ["as_seed_sequence", "child_seed", "child_seeds", "make_rng"]


def as_seed_sequence(random_state):
    """Turn a scikit-learn style ``random_state`` into a ``SeedSequence``.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState, numpy.random.Generator or SeedSequence
        ``None`` draws fresh OS entropy; an int is used as the entropy; a
        ``RandomState`` or ``Generator`` is advanced by one draw (the
        scikit-learn semantics: passing the same instance twice gives
        different results).

    Returns
    -------
    numpy.random.SeedSequence

    Examples
    --------
    >>> from synthloop.utils import as_seed_sequence
    >>> as_seed_sequence(3).entropy
    3
    """
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer; got {random_state}.")
        return np.random.SeedSequence(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(random_state.randint(0, 2**32, size=4, dtype=np.uint64).tolist())
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(0, 2**32, size=4).tolist())
    raise TypeError(
        "random_state must be None, an int, a numpy RandomState, Generator or "
        f"SeedSequence; got {type(random_state).__name__}."
    )


def child_seeds(random_state, n):
    """Derive ``n`` independent 32-bit seeds from ``random_state``.

    Parameters
    ----------
    random_state : see :func:`as_seed_sequence`
    n : int
        Number of child seeds.

    Returns
    -------
    numpy.ndarray of shape (n,), dtype int64
        Seeds in ``[0, 2**32)``; each one, passed as ``random_state``, gives
        the same stream again.

    Examples
    --------
    >>> from synthloop.utils import child_seeds
    >>> bool((child_seeds(0, 3) == child_seeds(0, 3)).all())
    True
    """
    ss = as_seed_sequence(random_state)
    return np.array([c.generate_state(1, np.uint32)[0] for c in ss.spawn(n)], dtype=np.int64)


def child_seed(root, *key):
    """The 32-bit seed of ``key`` under ``root``: the one way synthloop addresses a child seed.

    The seed is that of ``root``'s ``SeedSequence`` with its spawn key
    extended by ``key``, so a cell's seed depends on its address only, not on
    how many cells there are or in which order they run.

    Parameters
    ----------
    root : see :func:`as_seed_sequence`
    *key : int or str
        The address; a string stands for its CRC-32 (a name that reads).

    Returns
    -------
    int
        A seed in ``[0, 2**32)``.

    Examples
    --------
    >>> from synthloop.utils import child_seed
    >>> child_seed(0, "split", 3) == child_seed(0, "split", 3) != child_seed(0, "split", 4)
    True
    """
    root = as_seed_sequence(root)
    key = tuple(int(k) if isinstance(k, numbers.Integral) else zlib.crc32(str(k).encode()) for k in key)
    ss = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + key, pool_size=root.pool_size)
    return int(ss.generate_state(1, np.uint32)[0])


def make_rng(random_state):
    """A PCG64 :class:`numpy.random.Generator` from a ``random_state``.

    Examples
    --------
    >>> from synthloop.utils import make_rng
    >>> float(make_rng(1).random()) == float(make_rng(1).random())
    True
    """
    return np.random.Generator(np.random.PCG64(as_seed_sequence(random_state)))
