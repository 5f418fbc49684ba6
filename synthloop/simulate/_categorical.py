"""Exact simulation of the recursive categorical (next-token) model of [B]."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd

from ..utils._random import as_seed_sequence
from ..utils._sklearn_compat import Interval, validate_params
from . import _common as c
from ._theory import categorical_collapse_time_theory, categorical_theory_columns

_OWNER = "simulate_categorical"


def _check_p(p):
    try:
        arr = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{_OWNER}: p must be a 1-d array of probabilities; got {p!r}.") from None
    if arr.ndim != 1 or arr.size < 1:
        raise ValueError(
            f"{_OWNER}: p must be a non-empty 1-d array of probabilities; got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{_OWNER}: p must be finite and non-negative; got min {float(np.nanmin(arr))!r}.")
    total = arr.sum()
    if not abs(total - 1.0) <= 1e-8:
        raise ValueError(
            f"{_OWNER}: p must sum to 1 (a probability vector); it sums to {float(total)!r}. "
            "Divide it by its sum."
        )
    return arr / total


def _stats(q, q0, off_l1, off_l2):
    """Per-replication statistics of the current (compacted) distributions."""
    d = q - q0
    return (
        np.einsum("ij,ij->i", q, q),
        q.max(axis=1),
        np.count_nonzero(q, axis=1),
        np.abs(d).sum(axis=1) + off_l1,
        np.einsum("ij,ij->i", d, d) + off_l2,
    )


def _categorical_block(block, size, *, root, p, sizes, pool):
    T = sizes.size - 1
    n_real = int(sizes[0])
    rng_real, rng_syn, rng_fresh = c.block_generators(root, block, 3)
    collision = np.empty((size, T + 1))
    max_prob = np.empty((size, T + 1))
    support = np.empty((size, T + 1), dtype=np.int64)
    drift_l1 = np.empty((size, T + 1))
    drift_l2sq = np.empty((size, T + 1))
    collapse = np.full(size, -1, dtype=np.int64)
    final = np.zeros((size, p.size))

    # Work on the columns some live replication of the block can still reach
    # (multinomial draws give zero-probability tokens zero counts, so dropping
    # them changes nothing in distribution) and, for the replace pool, on the
    # replications that have not collapsed yet (a Dirac model only ever
    # samples itself, so its statistics are frozen and filled in at the end).
    p_cols = np.flatnonzero(p > 0)
    c_R = rng_real.multinomial(n_real, p[p_cols], size=size)
    cols = p_cols  # indices into range(s) of the working columns
    rows = np.arange(size)  # indices of the working replications
    q0 = c_R / n_real
    q = q0.copy()
    c_R = c_R.astype(np.float64)
    acc, n_acc = c_R.copy(), float(n_real)
    off_l1 = np.zeros(size)
    off_l2 = np.zeros(size)
    absorbing = pool == "replace"

    for t in range(T + 1):
        if t > 0:
            n_t = int(sizes[t])
            counts = rng_syn.multinomial(n_t, q)
            if pool == "replace":
                q = counts / n_t
            elif pool == "augment":
                q = (c_R + counts) / (n_real + n_t)
            elif pool == "fresh":
                c_Rt = rng_fresh.multinomial(n_real, p[p_cols], size=rows.size)
                q = (c_Rt + counts) / (n_real + n_t)
            else:  # accumulate
                acc += counts
                n_acc += n_t
                q = acc / n_acc
        st = _stats(q, q0, off_l1, off_l2)
        collision[rows, t], max_prob[rows, t], support[rows, t] = st[:3]
        drift_l1[rows, t], drift_l2sq[rows, t] = st[3:]
        hit = st[1] >= 1.0
        new = hit & (collapse[rows] < 0)
        collapse[rows[new]] = t
        live = ~hit if absorbing else None
        if absorbing and not np.all(live):
            final[np.ix_(rows[hit], cols)] = q[hit]
            rows, q, q0, off_l1, off_l2 = rows[live], q[live], q0[live], off_l1[live], off_l2[live]
            if rows.size == 0:
                break
        if pool != "fresh" and t > 0:
            keep = np.any(q > 0, axis=0)
            if not np.all(keep):
                gone = q0[:, ~keep]
                off_l1 = off_l1 + gone.sum(axis=1)
                off_l2 = off_l2 + np.einsum("ij,ij->i", gone, gone)
                q, q0, cols = q[:, keep], q0[:, keep], cols[keep]
                if pool != "replace":
                    c_R, acc = c_R[:, keep], acc[:, keep]
    if rows.size:
        final[np.ix_(rows, cols)] = q
    if absorbing:
        done = collapse >= 0
        if np.any(done):
            frozen = (np.arange(T + 1)[None, :] > collapse[:, None]) & done[:, None]
            at = np.where(done, collapse, 0)
            for arr in (collision, max_prob, support, drift_l1, drift_l2sq):
                value = arr[np.arange(size), at][:, None]
                np.copyto(arr, np.broadcast_to(value, arr.shape), where=frozen)
    return collision, max_prob, support, drift_l1, drift_l2sq, collapse, final


@dataclass(frozen=True, eq=False)
class CategoricalSimulation(c.ReplicationsByGenerations):
    """Result of :func:`simulate_categorical`.

    Per-generation arrays have shape (n_reps, n_generations + 1); column 0 is
    the empirical distribution of the ``n_real`` real samples ([B]'s ``p^(1)``).

    Attributes
    ----------
    collision : ndarray
        ``sigma = sum_i p_i^2`` (1 exactly at a Dirac mass).
    max_prob : ndarray
        ``max_i p_i``.
    support : ndarray of int64
        Number of tokens with ``p_i > 0``.
    drift_l1, drift_l2sq : ndarray
        ``||p^(t) - p^(0)||_1`` and ``||p^(t) - p^(0)||_2^2`` (from generation 0).
    collapse_time : ndarray of int64, shape (n_reps,)
        First generation at which one token has all the mass, -1 if none.
    final_probs : ndarray of shape (n_reps, s)
        The distribution of the last generation.
    sizes, seeds, settings
        As in :class:`GaussianSimulation`.

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop.simulate import simulate_categorical
    >>> sim = simulate_categorical([0.5, 0.3, 0.2], 5, schedule="constant:20",
    ...                            n_reps=3, random_state=0)
    >>> sim.collision.shape, sim.final_probs.shape
    ((3, 6), (3, 3))
    """

    collision: np.ndarray
    max_prob: np.ndarray
    support: np.ndarray
    drift_l1: np.ndarray
    drift_l2sq: np.ndarray
    collapse_time: np.ndarray
    final_probs: np.ndarray
    sizes: np.ndarray
    seeds: dict
    settings: dict = field(default_factory=dict)

    _by = "collision"

    def summary(self, generations=None):
        """Per-generation means (with standard errors) and [B]'s theory beside them.

        Parameters
        ----------
        generations : sequence of int or None, default=None
            Generations to report (default: all).

        Returns
        -------
        DataFrame
            ``n_samples``, ``collision_mean`` and ``collision_se``,
            ``frac_collapsed``, ``max_prob_mean``, ``support_mean``,
            ``drift_l1_mean``, ``drift_l2sq_mean`` and ``drift_l2sq_se``; plus
            ``collision_theory`` (Theorem 1 for the replace pool, Theorem 2
            for the augment pool with a constant schedule) and
            ``drift_l2sq_theory`` (augment) when :mod:`synthloop.theory`
            provides them.

        Examples
        --------
        >>> from synthloop.simulate import simulate_categorical
        >>> sim = simulate_categorical([0.5, 0.5], 3, schedule="constant:10",
        ...                            n_reps=50, random_state=0)
        >>> list(sim.summary().index)
        [0, 1, 2, 3]
        """
        from ._gaussian import _check_generations

        gens = _check_generations(generations, self.n_generations)
        R = self.n_reps

        def se(a):
            return a.std(axis=0, ddof=1) / np.sqrt(R) if R > 1 else np.full(a.shape[1], np.nan)

        col = self.collision[:, gens]
        l2 = self.drift_l2sq[:, gens]
        out = {
            "n_samples": self.sizes[gens],
            "collision_mean": col.mean(axis=0),
            "collision_se": se(col),
            "frac_collapsed": np.mean(self.max_prob[:, gens] >= 1.0, axis=0),
            "max_prob_mean": self.max_prob[:, gens].mean(axis=0),
            "support_mean": self.support[:, gens].mean(axis=0),
            "drift_l1_mean": self.drift_l1[:, gens].mean(axis=0),
            "drift_l2sq_mean": l2.mean(axis=0),
            "drift_l2sq_se": se(l2),
        }
        df = pd.DataFrame(out, index=pd.Index(gens, name="generation"))
        for name, values in categorical_theory_columns(self, gens).items():
            base = name.replace("_theory", "_mean")
            pos = df.columns.get_loc(base) + 1 if base in df.columns else len(df.columns)
            df.insert(pos, name, values)
        return df

    def collapse_summary(self):
        """Collapse time over replications, with [B]'s Theorem 1 bounds when they apply.

        Returns
        -------
        pandas.Series
            ``frac_collapsed`` (by the last generation), ``mean`` and ``se`` of
            the collapse time among collapsed replications (NaN if none), and,
            for the replace pool with a constant schedule and
            ``n_real == n``, the theory's bounds/approximation of ``E[T]``.
            [B] counts generations from its first fitted model, which is our
            generation 0, so [B]'s ``T`` is our collapse time + 1.

        Examples
        --------
        >>> from synthloop.simulate import simulate_categorical
        >>> sim = simulate_categorical([0.5, 0.5], 200, schedule="constant:5",
        ...                            n_reps=20, random_state=0)
        >>> float(sim.collapse_summary()["frac_collapsed"])
        1.0
        """
        ct = self.collapse_time
        done = ct[ct >= 0]
        out = {
            "frac_collapsed": float(np.mean(ct >= 0)),
            "mean": float(done.mean()) if done.size else np.nan,
            "se": float(done.std(ddof=1) / np.sqrt(done.size)) if done.size > 1 else np.nan,
        }
        out.update(categorical_collapse_time_theory(self))
        return pd.Series(out, name="collapse_time")


@validate_params(
    c.constraints(
        p=["array-like"],
        n_real=[Interval(Integral, 1, None, closed="left"), None],
    ),
    prefer_skip_nested_validation=True,
)
def simulate_categorical(
    p,
    n_generations,
    *,
    schedule="constant",
    n_real=None,
    pool="replace",
    n_reps=100,
    n_jobs=None,
    random_state=None,
):
    """Simulate the recursive categorical model of [B] with multinomial counts.

    Generation 0 is the empirical distribution of ``n_real`` samples from
    ``p``; generation ``t >= 1`` is the empirical distribution of its pool,
    which holds ``n_t`` samples from generation ``t - 1`` (one multinomial
    count vector per replication: exact, since the empirical frequency is
    the estimator and the counts are its sufficient statistic).

    Parameters
    ----------
    p : array-like of shape (s,)
        The true distribution over ``s`` tokens.
    n_generations : int
        Number of synthetic generations ``T >= 0`` (with the replace pool, a
        cap: once every replication has collapsed to a Dirac mass the rest is
        filled in without simulation, since a Dirac model reproduces itself).
    schedule : str, callable or BaseSchedule, default="constant"
        Synthetic sample sizes ``n_t``; a schedule's ``n=None`` means ``n_real``.
    n_real : int or None, default=None
        Number of real samples ``N``. None takes the schedule's ``n`` (so
        ``schedule="constant:100"`` alone gives [B]'s fully synthetic setting
        with ``N = n = 100``); a schedule without ``n`` then raises.
    pool : {"replace", "augment", "fresh", "accumulate"}, default="replace"
        ``"replace"``: fully synthetic. ``"augment"``: the same ``N`` real
        counts plus the synthetic ones, ``p^(t) = (c_R + c_S) / (N + n_t)``,
        [B]'s partially synthetic model. ``"fresh"``: ``N`` new real samples
        each generation. ``"accumulate"``: all samples so far.
    n_reps : int, default=100
        Independent replications.
    n_jobs : int or None, default=None
        Parallel jobs over blocks of 1024 replications; results do not depend
        on it.
    random_state : None, int, RandomState, Generator or SeedSequence
        Seed of the root ``SeedSequence``.

    Returns
    -------
    CategoricalSimulation

    Notes
    -----
    Only per-generation summaries and the current distribution of each
    replication are kept, so memory is ``O(n_reps * (T + s))``. Tokens that
    no replication of a block can sample any more are dropped from the work
    arrays, which makes long runs cheap once the support has shrunk.

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop.simulate import simulate_categorical
    >>> p = np.full(10, 0.1)
    >>> sim = simulate_categorical(p, 500, schedule="constant:20", n_reps=200,
    ...                            random_state=0)
    >>> float((sim.collapse_time >= 0).mean())  # fully synthetic: total collapse
    1.0
    >>> aug = simulate_categorical(p, 50, schedule="constant:20", pool="augment",
    ...                            n_reps=200, random_state=0)
    >>> int((aug.collapse_time >= 0).sum())  # real data prevents it
    0
    """
    p = _check_p(p)
    n_generations, n_reps = int(n_generations), int(n_reps)
    from ..schedules import check_schedule

    schedule = check_schedule(schedule)
    if n_real is None:
        n_real = getattr(schedule, "n", None)
        if n_real is None:
            raise ValueError(
                f"{_OWNER}: n_real=None takes the schedule's n, but {schedule!r} has none; "
                "pass n_real=... or a schedule such as 'constant:100'."
            )
    n_real = int(n_real)  # given, the decorator checked it; else the schedule's n, which its constraints did
    sizes = schedule.sizes(n_generations, n_real)
    root = as_seed_sequence(random_state)
    parts = c.run_blocks(
        _categorical_block, n_reps, n_jobs, root=root, p=p, sizes=sizes, pool=pool
    )
    arrays = [np.concatenate([part[i] for part in parts]) for i in range(7)]
    settings = {
        "p": p, "n_generations": n_generations, "schedule": schedule, "n_real": n_real,
        "pool": pool, "n_reps": n_reps,
    }
    return CategoricalSimulation(*arrays, sizes=sizes, seeds=c.seed_record(root, n_reps),
                                 settings=settings)
