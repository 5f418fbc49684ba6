"""Pool policies: what generation ``t`` of the recursive loop trains on.

Generation 0 is fit on the real table ``R`` (``n_0`` rows); generation ``t >= 1``
is fit on a pool ``D_t`` holding ``n_t`` synthetic rows and possibly real rows
(docs/theory.rst, "The loop"). A pool does not hold data: it returns a :class:`PoolPlan`, the
list of sources the loop must draw rows from and how many, and says which
fitted generations it will still need (so the loop keeps only those, and
memory stays bounded).

=========================  =================================================================
policy (string)            ``D_t``
=========================  =================================================================
``"replace"``              ``S_t``: ``n_t`` rows of generation ``t-1``
``"augment"``              ``R ∪ S_t``: the same real rows every generation
``"fresh"``                ``R_t ∪ S_t``: ``R`` split into ``T+1`` disjoint chunks, chunk ``t``;
                           or ``n_real`` rows drawn from ``R`` each generation; or a stream
``"accumulate"``           ``R ∪ S_1 ∪ … ∪ S_t``
``"accumulate-subsample"`` a uniform subset of ``m`` rows of the accumulate pool
``"window"``               ``n_t`` rows split evenly over generations ``t-k .. t-1``
``"random"``               each of the ``n_t`` rows from a generation drawn in ``0..t-1``
=========================  =================================================================

Weights (``real_weight=w`` of :class:`AugmentPool` and :class:`FreshPool`,
He, Xu and Cheng 2025): the real rows of a pool share a **total** weight
``w * n_pool`` and the synthetic rows ``(1 - w) * n_pool``, where ``n_pool`` is
the number of rows in the pool. Per row, a real row weighs
``w * n_pool / n_real_rows`` and a synthetic row ``(1 - w) * n_pool / n_t``.
This is their objective ``w * mean real loss + (1 - w) * mean synthetic loss``,
scaled so that the weights sum to the number of rows (an unbiased variance that
divides by ``sum(w) - 1`` then sees the real sample size). ``real_weight=None``
gives every row weight 1, i.e. ``w = n_real_rows / n_pool``. A part with weight 0
(``w`` of 0 or 1) is not drawn at all.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator

from ._pool_names import POOLS
from .utils._random import make_rng
from .utils._sklearn_compat import Interval, StrOptions

__all__ = [
    "PoolPart",
    "PoolPlan",
    "BasePool",
    "ReplacePool",
    "AugmentPool",
    "FreshPool",
    "AccumulatePool",
    "WindowPool",
    "RandomPool",
    "check_pool",
]

# Tag mixed into the generation seed for the pool's own draws (which rows,
# how many from each source), so they never share a stream with the rows.
_POOL_TAG = 0x9001


@dataclass(frozen=True)
class PoolPart:
    """One source of rows in a generation's training pool.

    Attributes
    ----------
    source : "real" or int
        ``"real"``: rows of the real table; an int ``j``: fresh rows sampled
        from the generator fitted at generation ``j``.
    n_rows : int
        Number of rows from this source.
    weight : float
        Sample weight of each row of this part (1.0 when unweighted).
    rows : ndarray of int or None
        For ``"real"``: the positions of the real rows (None means all of them,
        in order).
    data : DataFrame, ndarray or None
        For ``"real"``: rows given by the pool itself instead of rows of the
        real table (a :class:`FreshPool` stream's table); ``rows`` is then None.
    """

    source: object
    n_rows: int
    weight: float = 1.0
    rows: np.ndarray | None = None
    data: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class PoolPlan:
    """What generation ``t`` trains on.

    Attributes
    ----------
    parts : tuple of PoolPart
        The sources, in the order the loop feeds them to the generator.
    base : int or None
        None: fit a fresh generator on ``parts``. An int ``j``: continue the
        generator fitted at generation ``j`` with ``partial_fit`` on ``parts``
        (the accumulate pool: its sufficient statistics already hold
        ``R ∪ S_1 ∪ … ∪ S_{t-1}``).
    """

    parts: tuple
    base: int | None = None

    @property
    def n_rows(self):
        """Rows fed to the generator at this generation (excluding ``base``)."""
        return int(sum(p.n_rows for p in self.parts))

    @property
    def weighted(self):
        """Whether any part carries a weight other than 1."""
        return any(p.weight != 1.0 for p in self.parts)


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _pool_rng(seeds, t, *extra):
    return make_rng(np.random.SeedSequence([int(seeds[t]), _POOL_TAG, *extra]))


def _check_sizes(sizes, owner):
    sizes = np.asarray(sizes)
    if sizes.ndim != 1 or sizes.size < 1 or sizes.dtype.kind not in "iu" or (sizes < 1).any():
        raise ValueError(
            f"{owner}: sizes must be a 1-D integer array of sample sizes >= 1 "
            f"(entry 0 the number of real rows); got {sizes!r}."
        )
    return sizes.astype(np.int64)


class BasePool(BaseEstimator):
    """Base class of pool policies.

    A subclass sets ``name`` and implements ``_plan(t, sizes, seeds)`` for
    ``t >= 1`` and ``needed_after(t, n_generations)``. Pools are
    scikit-learn style objects: ``__init__`` only stores its arguments, which
    are validated when the pool is used.

    Examples
    --------
    >>> from synthloop.pools import ReplacePool
    >>> from synthloop.utils import child_seeds
    >>> sizes, seeds = [100, 50, 50], child_seeds(0, 3)
    >>> ReplacePool().plan(2, sizes, seeds).parts
    (PoolPart(source=1, n_rows=50, weight=1.0, rows=None),)
    """

    name: str = ""
    _parameter_constraints: dict = {}

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash((type(self), self._key()))

    def _key(self):
        # Parameters by value; one that is not hashable (a FreshPool stream) by identity.
        return tuple(sorted((k, v if _hashable(v) else ("id", id(v)))
                            for k, v in self.get_params(deep=False).items()))

    # -- public API ------------------------------------------------------
    def validate(self, sizes):
        """Check that the pool can run on these sample sizes; raise otherwise.

        Parameters
        ----------
        sizes : array-like of int, shape (n_generations + 1,)
            ``sizes[0]`` is the number of real rows, ``sizes[t]`` is ``n_t``
            (see :meth:`synthloop.schedules.BaseSchedule.sizes`).

        Returns
        -------
        self

        Examples
        --------
        >>> from synthloop.pools import WindowPool
        >>> WindowPool(k=2).validate([100, 100, 100])
        WindowPool(k=2)
        """
        self._validate_params()
        self._validate_sizes(_check_sizes(sizes, type(self).__name__))
        return self

    def plan(self, t, sizes, seeds):
        """The sources generation ``t`` trains on.

        Parameters
        ----------
        t : int
            Generation, ``0 <= t < len(sizes)``.
        sizes : array-like of int, shape (n_generations + 1,)
            Sample sizes, ``sizes[0]`` the number of real rows.
        seeds : array-like of int, shape (n_generations + 1,)
            The generation seeds; the pool's own random choices at generation
            ``t`` (which real rows, how many rows from each source) are drawn
            from a stream derived from ``seeds[t]`` (``seeds[0]`` for choices
            shared by all generations), never from the rows' streams.

        Returns
        -------
        PoolPlan

        Examples
        --------
        >>> from synthloop.pools import AugmentPool
        >>> plan = AugmentPool().plan(1, [100, 300], [1, 2])
        >>> [(p.source, p.n_rows, p.weight) for p in plan.parts]
        [('real', 100, 1.0), (0, 300, 1.0)]
        """
        sizes = _check_sizes(sizes, type(self).__name__)
        if not 0 <= t < len(sizes):
            raise ValueError(f"{type(self).__name__}.plan: generation {t} is outside 0..{len(sizes) - 1}.")
        if t == 0:
            return PoolPlan((PoolPart("real", int(sizes[0])),))
        return self._plan(int(t), sizes, seeds)

    def needed_after(self, t, n_generations):
        """Generations whose fitted generators later plans draw from.

        After generation ``t`` is fit, the loop may free every generator not
        in this set (nor asked to be kept by the user).

        Parameters
        ----------
        t : int
            The generation just fitted.
        n_generations : int
            The last generation ``T``.

        Returns
        -------
        set of int

        Examples
        --------
        >>> from synthloop.pools import WindowPool
        >>> sorted(WindowPool(k=3).needed_after(5, 10))
        [3, 4, 5]
        """
        if t >= n_generations:
            return set()
        return self._needed_after(t)

    # -- hooks -------------------------------------------------------------
    def _validate_sizes(self, sizes):
        pass

    def _plan(self, t, sizes, seeds):  # pragma: no cover - abstract
        raise NotImplementedError

    def _needed_after(self, t):
        return {t}


def _weights(n_real, n_synth, real_weight):
    """Per-row weights of the real and synthetic parts (see the module docstring)."""
    if real_weight is None:
        return 1.0, 1.0
    n_pool = n_real + n_synth
    w = float(real_weight)
    return w * n_pool / n_real, (1.0 - w) * n_pool / n_synth


def _mixed(real_part, synth_part, real_weight):
    wr, ws = _weights(real_part.n_rows, synth_part.n_rows, real_weight)
    parts = []
    if wr > 0:
        parts.append(dataclasses.replace(real_part, weight=wr))
    if ws > 0:
        parts.append(PoolPart(synth_part.source, synth_part.n_rows, ws))
    return tuple(parts)


_REAL_WEIGHT = [Interval(Real, 0, 1, closed="both"), None]


class ReplacePool(BasePool):
    """Fully synthetic: generation ``t`` trains on ``n_t`` rows of generation ``t-1``.

    [A], [B] "fully synthetic", Shumailov et al.: the loop that collapses when
    ``sum 1/n_t`` diverges (docs/theory.rst).

    Examples
    --------
    >>> from synthloop.pools import ReplacePool
    >>> [(p.source, p.n_rows) for p in ReplacePool().plan(3, [10, 20, 30, 40], [0, 1, 2, 3]).parts]
    [(2, 40)]
    """

    name = "replace"

    def _plan(self, t, sizes, seeds):
        return PoolPlan((PoolPart(t - 1, int(sizes[t])),))


class AugmentPool(BasePool):
    """The same real rows every generation, plus ``n_t`` rows of generation ``t-1``.

    [B] "partially synthetic" (Theorem 2), Alemohammad et al.'s synthetic
    augmentation loop.

    Parameters
    ----------
    real_weight : float in [0, 1] or None, default=None
        Share ``w`` of the total weight given to the real rows (module
        docstring): real rows weigh ``w * n_pool / n_real`` each, synthetic
        rows ``(1 - w) * n_pool / n_t``. None: every row weighs 1.

    Examples
    --------
    >>> from synthloop.pools import AugmentPool
    >>> plan = AugmentPool(real_weight=0.6).plan(1, [100, 300], [0, 1])
    >>> [(p.source, p.n_rows, round(p.weight, 3)) for p in plan.parts]
    [('real', 100, 2.4), (0, 300, 0.533)]
    """

    name = "augment"
    _parameter_constraints = {"real_weight": _REAL_WEIGHT}

    def __init__(self, real_weight=None):
        self.real_weight = real_weight

    def _plan(self, t, sizes, seeds):
        real = PoolPart("real", int(sizes[0]))
        return PoolPlan(_mixed(real, PoolPart(t - 1, int(sizes[t])), self.real_weight))


class FreshPool(BasePool):
    """New real rows every generation, plus ``n_t`` rows of generation ``t-1``.

    Alemohammad et al.'s fresh data loop; He, Xu and Cheng weight the real
    rows by ``w`` (``real_weight``). The new real rows of generation ``t``
    come from one of three sources:

    - **chunks** (the default): the real table is shuffled once (from
      generation 0's seed) and split into ``n_generations + 1`` disjoint
      chunks of sizes differing by at most one; generation ``t`` (generation
      0 included) trains on chunk ``t``, so no real row is used twice and
      the rows per generation shrink as ``T`` grows;
    - **draws** (``n_real=k``): generation 0 is fit on the whole real table;
      every generation ``t >= 1`` trains on ``k`` rows drawn from it afresh,
      without (``replace=False``: ``k`` distinct rows) or with replacement
      (``replace=True``: ``k`` i.i.d. rows of the table's empirical
      distribution), independently across generations and of ``T``;
    - **a stream** (``stream=...``): generation 0 is fit on the real table
      given to ``fit``; generation ``t >= 1`` on the ``t``-th table of the
      stream, for new real data that arrives each generation.

    With draws or a stream, generation 0 is the fit on all the real rows, the
    reference the loop's drift is measured from (docs/theory.rst, "The loop").

    Parameters
    ----------
    real_weight : float in [0, 1] or None, default=None
        As in :class:`AugmentPool`.
    n_real : int >= 1 or None, default=None
        Real rows drawn for each generation ``t >= 1``. None: chunks (or the
        stream).
    replace : bool, default=False
        With ``n_real``: draw the rows with replacement.
    stream : iterable or callable or None, default=None
        The real rows of generations ``1..T``: an iterable of tables (the
        first for generation 1), or a callable ``t -> table``. A table is a
        DataFrame with the columns and dtypes of the fitted table, or an
        array with as many columns. :meth:`validate` reads all ``T`` tables,
        before any model is fit (so a stream that runs out fails first); a
        one-shot iterator serves one run, a list or a callable any number.

    Examples
    --------
    >>> from synthloop.pools import FreshPool
    >>> pool = FreshPool()
    >>> plan = pool.plan(1, [9, 5, 5], [7, 8, 9])
    >>> [(p.source, p.n_rows) for p in plan.parts]
    [('real', 3), (0, 5)]

    Five rows drawn from the nine real rows every generation, whatever ``T``:

    >>> plan = FreshPool(n_real=5, replace=True).plan(1, [9, 5, 5], [7, 8, 9])
    >>> [(p.source, p.n_rows) for p in plan.parts], len(plan.parts[0].rows)
    ([('real', 5), (0, 5)], 5)

    A stream of new real rows:

    >>> import numpy as np
    >>> tables = [np.zeros((4, 2)), np.ones((6, 2))]
    >>> pool = FreshPool(stream=tables).validate([9, 5, 5])
    >>> [(p.source, p.n_rows) for p in pool.plan(2, [9, 5, 5], [7, 8, 9]).parts]
    [('real', 6), (1, 5)]
    """

    name = "fresh"
    _parameter_constraints = {
        "real_weight": _REAL_WEIGHT,
        "n_real": [Interval(Integral, 1, None, closed="left"), None],
        "replace": ["boolean"],
        "stream": "no_validation",
    }

    def __init__(self, real_weight=None, *, n_real=None, replace=False, stream=None):
        self.real_weight = real_weight
        self.n_real = n_real
        self.replace = replace
        self.stream = stream

    def __repr__(self, N_CHAR_MAX=700):
        if self.stream is None:
            return super().__repr__(N_CHAR_MAX)
        # a stream is shown by its kind, not its tables (messages quote the pool on one line)
        shown = copy.copy(self)
        shown.stream = _Named(f"<{type(self.stream).__name__}>")
        return BasePool.__repr__(shown, N_CHAR_MAX)

    def _validate_sizes(self, sizes):
        n_rows, n_chunks = int(sizes[0]), len(sizes)
        if self.stream is not None:
            if self.n_real is not None:
                raise ValueError("FreshPool takes the new real rows from n_real draws of the real table or from a "
                                 f"stream, not both; got n_real={self.n_real} and a stream. Drop one of them.")
            self._stream_tables = _read_stream(self.stream, n_chunks - 1)
        elif self.n_real is not None:
            if not self.replace and self.n_real > n_rows:
                raise ValueError(
                    f"FreshPool(n_real={self.n_real}, replace=False) draws {self.n_real} distinct real rows per "
                    f"generation, but the real table has only {n_rows} rows. Use n_real <= {n_rows}, "
                    "replace=True, or more real rows.")
        elif self.replace:
            raise ValueError("FreshPool(replace=True) draws n_real rows per generation with replacement; give "
                             "n_real=... (the default splits the real rows into disjoint chunks).")
        elif n_rows < n_chunks:
            raise ValueError(
                f"FreshPool splits the real rows into n_generations + 1 = {n_chunks} disjoint chunks, "
                f"one per generation, but got only {n_rows} real rows. Use at most {n_rows - 1} "
                "generations, more real rows, n_real=... (rows drawn afresh each generation), or pool='augment'."
            )

    def _chunk(self, t, sizes, seeds):
        order = _pool_rng(seeds, 0, 1).permutation(int(sizes[0]))
        return np.sort(np.array_split(order, len(sizes))[t])

    def plan(self, t, sizes, seeds):  # noqa: D102 - documented on BasePool
        sizes = _check_sizes(sizes, type(self).__name__)
        if t == 0 and self.n_real is None and self.stream is None:
            rows = self._chunk(0, sizes, seeds)
            return PoolPlan((PoolPart("real", len(rows), 1.0, rows),))
        return super().plan(t, sizes, seeds)

    plan.__doc__ = BasePool.plan.__doc__

    def _plan(self, t, sizes, seeds):
        if self.stream is not None:
            tables = getattr(self, "_stream_tables", None)
            if tables is None or len(tables) != len(sizes) - 1:
                raise ValueError(f"FreshPool(stream=...): call validate(sizes) for these {len(sizes) - 1} "
                                 "generations first; it reads the stream (RecursiveSynthesizer does).")
            data = tables[t - 1]
            real = PoolPart("real", len(data), 1.0, None, data)
        else:
            if self.n_real is None:
                rows = self._chunk(t, sizes, seeds)
            else:
                rows = np.sort(_pool_rng(seeds, t, 2).choice(int(sizes[0]), self.n_real, replace=self.replace))
            real = PoolPart("real", len(rows), 1.0, rows)
        return PoolPlan(_mixed(real, PoolPart(t - 1, int(sizes[t])), self.real_weight))


class _Named:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _read_stream(stream, n_tables):
    """The first ``n_tables`` tables of a stream (iterable or callable ``t -> table``), each checked for rows."""
    if isinstance(stream, (str, bytes)) or hasattr(stream, "shape") or isinstance(stream, dict):
        raise TypeError(
            "FreshPool: stream must give one table per generation, an iterable of tables or a callable "
            f"t -> table; got a single {type(stream).__name__}. Wrap it in a list, e.g. stream=[table_1, table_2].")
    if callable(stream):
        tables = [stream(t) for t in range(1, n_tables + 1)]
    else:
        try:
            iterator = iter(stream)
        except TypeError:
            raise TypeError(f"FreshPool: stream must be an iterable of tables or a callable t -> table; got "
                            f"{type(stream).__name__}.") from None
        tables = []
        for t in range(1, n_tables + 1):
            try:
                tables.append(next(iterator))
            except StopIteration:
                raise ValueError(
                    f"FreshPool's stream ran out after {t - 1} tables, but n_generations={n_tables} needs one "
                    f"table per generation 1..{n_tables}. Give a longer stream, a callable t -> table, or fewer "
                    "generations.") from None
    for t, table in enumerate(tables, start=1):
        if not hasattr(table, "shape") or len(getattr(table, "shape", ())) != 2:
            raise TypeError(f"FreshPool: the stream's table for generation {t} must be a DataFrame or a 2-D array "
                            f"of rows; got {type(table).__name__}.")
        if table.shape[0] == 0:
            raise ValueError(f"FreshPool: the stream's table for generation {t} has no rows; every generation "
                             "needs at least one new real row.")
    return tuple(tables)


class AccumulatePool(BasePool):
    """Keep everything: ``D_t = R ∪ S_1 ∪ … ∪ S_t`` (Gerstgrasser et al. 2024).

    Without ``subsample`` the loop does not store the rows: generation ``t``
    continues generation ``t-1``'s sufficient statistics with ``partial_fit``
    on ``S_t`` (exact, since chunked fitting equals one fit; memory does not
    grow). This needs a generator whose ``partial_fit`` is exact.

    With ``subsample=m`` (Kazdan et al. 2024, "accumulate-subsample"),
    generation ``t`` trains on a uniform random subset of ``m`` rows of
    ``R ∪ S_1 ∪ … ∪ S_t``: the number of rows from each source is
    multivariate hypergeometric, the real rows are a uniform subset of ``R``,
    and the rows of ``S_j`` are drawn afresh from generation ``j-1`` (``S_j`` is
    an i.i.d. sample of that generator, so a uniform subset of it has the
    same law). Each generation's pool therefore has the exact distribution of
    the subsample; across generations the subsets are independent instead of
    overlapping, which is what keeps memory bounded (the loop keeps the
    fitted generators, not the rows).

    Parameters
    ----------
    subsample : int, "n_real" or None, default=None
        Pool size ``m``; ``"n_real"`` means the number of real rows. It may
        not exceed generation 1's accumulated pool ``n_0 + n_1``.

    Examples
    --------
    >>> from synthloop.pools import AccumulatePool
    >>> plan = AccumulatePool().plan(2, [100, 50, 50], [0, 1, 2])
    >>> plan.base, [(p.source, p.n_rows) for p in plan.parts]
    (1, [(1, 50)])
    >>> plan = AccumulatePool(subsample=120).plan(2, [100, 50, 50], [0, 1, 2])
    >>> plan.n_rows
    120
    """

    _parameter_constraints = {
        "subsample": [Interval(Integral, 1, None, closed="left"), StrOptions({"n_real"}), None],
    }

    def __init__(self, subsample=None):
        self.subsample = subsample

    @property
    def name(self):
        return "accumulate" if self.subsample is None else "accumulate-subsample"

    def _m(self, sizes):
        return int(sizes[0]) if self.subsample == "n_real" else int(self.subsample)

    def _validate_sizes(self, sizes):
        if self.subsample is None or len(sizes) < 2:
            return
        m, first = self._m(sizes), int(sizes[0]) + int(sizes[1])
        if m > first:
            raise ValueError(
                f"AccumulatePool(subsample={self.subsample!r}) draws {m} rows per generation, but "
                f"generation 1's accumulated pool has only {first} rows ({sizes[0]} real + {sizes[1]} "
                f"synthetic). Use subsample <= {first}."
            )

    def _plan(self, t, sizes, seeds):
        if self.subsample is None:
            return PoolPlan((PoolPart(t - 1, int(sizes[t])),), base=t - 1)
        rng = _pool_rng(seeds, t)
        colors = sizes[: t + 1]
        m = self._m(sizes)
        if m > int(colors.sum()):
            raise ValueError(
                f"AccumulatePool(subsample={self.subsample!r}) asks {m} rows from an accumulated pool "
                f"of {int(colors.sum())} rows at generation {t}."
            )
        method = "marginals" if len(colors) > 100 or colors.sum() > 10**8 else "count"
        counts = rng.multivariate_hypergeometric(colors, m, method=method)
        parts = []
        if counts[0] > 0:
            rows = np.sort(rng.choice(int(sizes[0]), int(counts[0]), replace=False))
            parts.append(PoolPart("real", int(counts[0]), 1.0, rows))
        # S_j (j >= 1) was drawn from generation j-1.
        parts += [PoolPart(j - 1, int(c)) for j, c in enumerate(counts) if j > 0 and c > 0]
        return PoolPlan(tuple(parts))

    def _needed_after(self, t):
        return {t} if self.subsample is None else set(range(t + 1))


class WindowPool(BasePool):
    """Rows from the last ``k`` generators: ``S_{t-k+1} ∪ … ∪ S_t`` ([B] §4.2).

    Generation ``t`` draws ``n_t`` rows split as evenly as possible over the
    generators fitted at generations ``max(0, t-k) .. t-1`` (``S_j`` comes from
    generation ``j-1``); the remainder goes to the most recent ones. Early
    generations, with fewer than ``k`` predecessors, split over all of them.
    ``WindowPool(k=1)`` is :class:`ReplacePool`.

    Parameters
    ----------
    k : int >= 1, default=3
        Window length.

    Examples
    --------
    >>> from synthloop.pools import WindowPool
    >>> plan = WindowPool(k=3).plan(5, [100] * 6, range(6))
    >>> [(p.source, p.n_rows) for p in plan.parts]
    [(2, 33), (3, 33), (4, 34)]
    """

    name = "window"
    _parameter_constraints = {"k": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, k=3):
        self.k = k

    def _plan(self, t, sizes, seeds):
        sources = list(range(max(0, t - self.k), t))
        n, L = int(sizes[t]), len(sources)
        counts = [n // L + (i >= L - n % L) for i in range(L)]
        return PoolPlan(tuple(PoolPart(j, c) for j, c in zip(sources, counts) if c > 0))

    def _needed_after(self, t):
        return set(range(max(0, t - self.k + 1), t + 1))


class RandomPool(BasePool):
    """Each of the ``n_t`` rows comes from a generation drawn uniformly in ``0..t-1``.

    [B] §4.2. The counts per generation are multinomial; the loop keeps every
    fitted generator (their parameters, not their rows).

    Examples
    --------
    >>> from synthloop.pools import RandomPool
    >>> plan = RandomPool().plan(3, [100, 100, 100, 90], [0, 1, 2, 3])
    >>> plan.n_rows, all(p.source in (0, 1, 2) for p in plan.parts)
    (90, True)
    """

    name = "random"

    def _plan(self, t, sizes, seeds):
        counts = _pool_rng(seeds, t).multinomial(int(sizes[t]), np.full(t, 1.0 / t))
        return PoolPlan(tuple(PoolPart(j, int(c)) for j, c in enumerate(counts) if c > 0))

    def _needed_after(self, t):
        return set(range(t + 1))


# One class (and the parameter a bare ``name:value`` sets) per name of POOLS, in its order.
_POOLS = dict(zip(POOLS, (
    (ReplacePool, None),
    (AugmentPool, "real_weight"),
    (FreshPool, "real_weight"),
    (AccumulatePool, None),
    (AccumulatePool, "subsample"),
    (WindowPool, "k"),
    (RandomPool, None),
), strict=True))

_GRAMMAR = (
    f"'name' or 'name:value' with name in {{{', '.join(map(repr, POOLS))}}}; the value is real_weight for "
    "augment/fresh, the subsample size for accumulate-subsample (default 'n_real'), k for window "
    "(e.g. 'augment:0.618', 'window:5', 'accumulate-subsample:1000')"
)


def _from_string(spec):
    name, sep, value = spec.strip().lower().partition(":")
    name = name.strip()
    if name not in _POOLS:
        raise ValueError(f"Unknown pool {spec!r}; expected {_GRAMMAR}, or a BasePool instance.")
    cls, key = _POOLS[name]
    value = value.strip()
    if name == "accumulate-subsample":
        if not value or value == "n_real":
            return cls(subsample="n_real")
    if not sep:
        return cls()
    if key is None or not value:
        raise ValueError(f"Cannot parse pool {spec!r}: {name!r} takes no value. Expected {_GRAMMAR}.")
    try:
        parsed = float(value) if key == "real_weight" else int(value)
    except ValueError:
        kind = "a number" if key == "real_weight" else "an integer"
        raise ValueError(
            f"Cannot parse pool {spec!r}: {key} must be {kind}, got {value!r}. Expected {_GRAMMAR}."
        ) from None
    return cls(**{key: parsed})


def check_pool(pool):
    """Resolve a pool specification into a validated :class:`BasePool`.

    Parameters
    ----------
    pool : BasePool or str
        An instance (returned as is after validation) or a string:
        ``"replace"``, ``"augment"``, ``"fresh"``, ``"accumulate"``,
        ``"accumulate-subsample"``, ``"window"``, ``"random"``, optionally
        followed by ``:value`` (``real_weight`` for augment and fresh, the
        subsample size for accumulate-subsample, ``k`` for window).

    Returns
    -------
    BasePool

    Raises
    ------
    ValueError
        Unknown name, unparsable value, invalid parameters.
    TypeError
        Anything else.

    Examples
    --------
    >>> from synthloop.pools import check_pool
    >>> check_pool("window:5")
    WindowPool(k=5)
    >>> check_pool("augment:0.618")
    AugmentPool(real_weight=0.618)
    >>> check_pool("accumulate-subsample")
    AccumulatePool(subsample='n_real')
    """
    if isinstance(pool, BasePool):
        out = pool
    elif isinstance(pool, str):
        out = _from_string(pool)
    else:
        raise TypeError(
            f"pool must be a BasePool instance or a string such as 'replace', 'augment', 'window:3'; "
            f"got {pool!r} ({type(pool).__name__})."
        )
    out._validate_params()
    return out
