"""Exact sufficient-statistic simulation of the univariate Gaussian loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd

from ..utils._random import as_seed_sequence
from ..theory._validation import check_number
from ..utils._sklearn_compat import Interval, validate_params
from . import _common as c
from ._theory import gaussian_theory_columns

_OWNER = "simulate_gaussian"


def _merge(n_a, m_a, M2_a, n_b, m_b, M2_b):
    """Exact (count, mean, sum of squared deviations) of the union of two samples."""
    n = n_a + n_b
    delta = m_b - m_a
    mean = m_a + delta * (n_b / n)
    M2 = M2_a + M2_b + delta * delta * (n_a * n_b / n)
    return n, mean, M2


def _chisquare_rows(rng, dof, size):
    """chi^2_dof draws as (generation, replication); dof = 0 gives exact zeros."""
    pos = dof > 0
    out = np.zeros((size, dof.size))
    if np.all(pos):
        out = rng.chisquare(dof.astype(np.float64), size=(size, dof.size))
    elif np.any(pos):
        out[:, pos] = rng.chisquare(dof[pos].astype(np.float64), size=(size, int(pos.sum())))
    return out.T


def _replace_block(z_rng, w_rng, M, V, sizes, mean, var, ddof):
    """docs/theory.rst, "Gaussian estimation" for one block, written into M, V of shape (replications, generations + 1).

    ``sigma^2_t = sigma^2_{t-1} W_t`` with ``W_t = chi^2_{n_t - 1} / (n_t - ddof)``
    (``W_0`` scaled by ``var``) and ``mu_t = mu_{t-1} + sigma_{t-1} Z_t / sqrt(n_t)``:
    a cumulative product and a cumulative sum along each replication, in place.
    The whole block at once: ten numpy calls, each releasing the GIL for
    milliseconds, so that threads running blocks do not wait on each other
    (chunks of 128 replications took 10% longer on two threads).
    """
    n = sizes.astype(np.float64)
    T = sizes.size - 1
    # chi^2_k = 2 Gamma(k / 2): numpy's chisquare draws exactly this. A scalar
    # shape (all n_t equal, e.g. the constant schedule) gives the same variates
    # without the cost of broadcasting a shape per generation.
    shape = (n - 1.0) / 2.0
    if np.all(shape == shape[0]):
        shape = float(shape[0])
    w_scale = 2.0 / (n - ddof)
    w_scale[0] *= var
    z_scale = 1.0 / np.sqrt(n)
    z_scale[0] *= np.sqrt(var)
    # Row-major draws: replication r gets the same variates whatever the block holds after it.
    z_rng.standard_normal(out=M)
    w_rng.standard_gamma(shape, out=V)
    V *= w_scale
    np.cumprod(V, axis=1, out=V)
    M *= z_scale
    if T > 0:
        M[:, 1:] *= np.sqrt(V[:, :-1])
    M[:, 0] += mean
    np.cumsum(M, axis=1, out=M)


def _gaussian_block(block, size, *, root, sizes, mean, var, ddof, pool, out):
    """Replications ``block * REPLICATIONS_PER_BLOCK`` onwards, written into the rows of ``out``.

    ``out`` is the (means, variances) pair of shape (n_reps, T + 1), shared by
    the threads running the blocks.
    """
    T = sizes.size - 1
    start = block * c.REPLICATIONS_PER_BLOCK
    M = out[0][start:start + size]
    V = out[1][start:start + size]
    streams = c.block_generators(root, block, 4 if pool == "fresh" else 2)
    # Variates are drawn (replication, generation), row-major, from dedicated
    # streams, so replication r gets the same variates whatever n_reps is.
    if pool == "replace":
        _replace_block(streams[0], streams[1], M, V, sizes, mean, var, ddof)
        return
    n = sizes.astype(np.float64)
    sd = np.sqrt(var)
    # used transposed, as (generation, replication)
    z = streams[0].standard_normal((size, T + 1)).T
    chi = _chisquare_rows(streams[1], sizes - 1, size)
    means, variances = M.T, V.T
    n0 = n[0]
    m_R = mean + sd * z[0] / np.sqrt(n0)
    M2_R = var * chi[0]
    v0 = M2_R / (n0 - ddof)
    means[0] = m_R
    variances[0] = v0
    if pool == "fresh":
        z_fresh = streams[2].standard_normal((size, T + 1)).T
        chi_fresh = _chisquare_rows(streams[3], np.full(T + 1, sizes[0] - 1), size)
    m, v = m_R, v0
    acc = (n0, m_R, M2_R)
    for t in range(1, T + 1):
        n_s = n[t]
        m_s = m + np.sqrt(v) * z[t] / np.sqrt(n_s)
        M2_s = v * chi[t]
        if pool == "augment":
            n_p, m_p, M2_p = _merge(n0, m_R, M2_R, n_s, m_s, M2_s)
        elif pool == "fresh":
            m_Rt = mean + sd * z_fresh[t] / np.sqrt(n0)
            M2_Rt = var * chi_fresh[t]
            n_p, m_p, M2_p = _merge(n0, m_Rt, M2_Rt, n_s, m_s, M2_s)
        else:  # accumulate
            acc = _merge(*acc, n_s, m_s, M2_s)
            n_p, m_p, M2_p = acc
        m, v = m_p, M2_p / (n_p - ddof)
        means[t] = m
        variances[t] = v


def gaussian_kl(mean, var, mean_hat, var_hat):
    """KL(N(mean, var) || N(mean_hat, var_hat)), elementwise; inf where var_hat == 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = 0.5 * (np.log(var_hat / var) + (var + (mean_hat - mean) ** 2) / var_hat - 1.0)
    return np.where(var_hat > 0, kl, np.inf)


@dataclass(frozen=True, eq=False)
class GaussianSimulation(c.ReplicationsByGenerations):
    """Result of :func:`simulate_gaussian`.

    Attributes
    ----------
    means : ndarray of shape (n_reps, n_generations + 1)
        Fitted means ``mu_hat_t``; column 0 is the fit on the real rows.
    variances : ndarray of shape (n_reps, n_generations + 1)
        Fitted variances ``sigma_hat^2_t`` (with ``ddof``).
    sizes : ndarray of int64, shape (n_generations + 1,)
        ``n_0`` then the synthetic sample sizes ``n_t``.
    seeds : dict
        ``entropy``, ``spawn_key``, ``pool_size`` of the root SeedSequence and
        the ``block_size``/``n_blocks`` used: pass
        ``np.random.SeedSequence(entropy, spawn_key=spawn_key)`` as
        ``random_state`` to reproduce the run.
    settings : dict
        The arguments of the call (schedule resolved).

    Examples
    --------
    >>> from synthloop.simulate import simulate_gaussian
    >>> sim = simulate_gaussian(3, n0=20, n_reps=5, random_state=0)
    >>> sim.variances.shape
    (5, 4)
    >>> sim.sizes
    array([20, 20, 20, 20])
    """

    means: np.ndarray
    variances: np.ndarray
    sizes: np.ndarray
    seeds: dict
    settings: dict = field(default_factory=dict)

    def kl_risk(self):
        """Population risk ``KL(N(mu, sigma^2) || N(mu_hat_t, sigma_hat^2_t))``.

        Returns
        -------
        ndarray of shape (n_reps, n_generations + 1)

        Examples
        --------
        >>> from synthloop.simulate import simulate_gaussian
        >>> sim = simulate_gaussian(2, n0=50, n_reps=4, random_state=0)
        >>> bool((sim.kl_risk() >= 0).all())
        True
        """
        s = self.settings
        return gaussian_kl(s["mean"], s["var"], self.means, self.variances)

    def summary(self, eps=0.05, generations=None):
        """Per-generation collapse statistics, with the theory beside them.

        Parameters
        ----------
        eps : float, default=0.05
            Collapse threshold on ``sigma_hat^2_t``.
        generations : sequence of int or None, default=None
            Generations to report (default: all).

        Returns
        -------
        DataFrame
            One row per generation: ``n_samples``; ``frac_collapsed``
            (fraction with ``sigma_hat^2 <= eps``) and its binomial standard
            error ``frac_collapsed_se``; ``var_max``, ``var_median``,
            ``var_mean`` and ``var_mean_se``; ``kl_mean``, ``kl_median``;
            ``mean_sq_error`` (mean of ``(mu_hat - mu)^2``). For the replace
            pool the closed forms of :mod:`synthloop.theory` are added as
            ``*_theory`` columns (``var_mean_theory``,
            ``frac_collapsed_theory``, and ``mean_sq_error_theory`` when
            ``ddof=1``, where it is exact).

        Examples
        --------
        >>> from synthloop.simulate import simulate_gaussian
        >>> sim = simulate_gaussian(4, n0=30, n_reps=200, random_state=0)
        >>> df = sim.summary(generations=[0, 4])
        >>> list(df.index)
        [0, 4]
        >>> float(df.loc[4, "var_max"]) > float(df.loc[4, "var_median"])
        True
        """
        eps = check_number(eps, "eps", "GaussianSimulation.summary", low=0.0, low_open=True)
        gens = _check_generations(generations, self.n_generations)
        v = self.variances[:, gens]
        m = self.means[:, gens]
        s = self.settings
        kl = gaussian_kl(s["mean"], s["var"], m, v)  # only at the requested generations
        err2 = (m - s["mean"]) ** 2
        R = self.n_reps
        frac = np.mean(v <= eps, axis=0)
        out = {
            "n_samples": self.sizes[gens],
            "frac_collapsed": frac,
            "frac_collapsed_se": np.sqrt(frac * (1 - frac) / R),
            "var_max": v.max(axis=0),
            "var_median": np.median(v, axis=0),
            "var_mean": v.mean(axis=0),
            "var_mean_se": v.std(axis=0, ddof=1) / np.sqrt(R) if R > 1 else np.nan,
            "kl_mean": kl.mean(axis=0),
            "kl_median": np.median(kl, axis=0),
            "mean_sq_error": err2.mean(axis=0),
        }
        df = pd.DataFrame(out, index=pd.Index(gens, name="generation"))
        theory = gaussian_theory_columns(self, eps, gens)
        for name, values in theory.items():
            base = name.removesuffix("_theory")
            pos = df.columns.get_loc(base) + 1 if base in df.columns else len(df.columns)
            df.insert(pos, name, values)
        return df


def _check_generations(generations, T):
    if generations is None:
        return np.arange(T + 1)
    gens = np.asarray(generations)
    if gens.ndim != 1 or gens.size == 0 or not np.issubdtype(gens.dtype, np.integer):
        raise ValueError(f"generations must be a non-empty sequence of ints; got {generations!r}.")
    if gens.min() < 0 or gens.max() > T:
        raise ValueError(f"generations must lie in [0, {T}]; got {generations!r}.")
    return gens.astype(np.int64)


@validate_params(
    c.constraints(
        n0=[Interval(Integral, 2, None, closed="left")],
        mean=[Interval(Real, None, None, closed="neither")],
        var=[Interval(Real, 0, None, closed="neither")],
        ddof=[Interval(Real, 0, None, closed="left")],
    ),
    prefer_skip_nested_validation=True,
)
def simulate_gaussian(
    n_generations,
    *,
    schedule="constant",
    n0=100,
    mean=0.0,
    var=1.0,
    ddof=1,
    pool="replace",
    n_reps=10_000,
    n_jobs=None,
    random_state=None,
):
    """Simulate recursive Gaussian fitting exactly, without drawing the rows.

    Generation 0 fits the sample mean and variance (with ``ddof``) to ``n0``
    real rows from ``N(mean, var)``; generation ``t >= 1`` fits them to the
    pool built from ``n_t`` rows drawn from generation ``t - 1``. The ``n_t``
    rows are never drawn: a sample of ``n`` rows from ``N(m, v)`` has mean
    ``m + sqrt(v) Z / sqrt(n)`` and sum of squared deviations ``v chi^2_{n-1}``,
    independent (docs/theory.rst, "Gaussian estimation"), and pools are merged exactly by their
    (count, mean, sum of squared deviations). Two variates per replication and
    generation (four with ``pool="fresh"``) reproduce the data-level loop in
    distribution, whatever ``n_t`` is.

    Parameters
    ----------
    n_generations : int
        Number of synthetic generations ``T >= 0``.
    schedule : str, callable or BaseSchedule, default="constant"
        Synthetic sample sizes, resolved by
        :func:`synthloop.schedules.check_schedule`; a schedule's ``n=None``
        means ``n0``.
    n0 : int, default=100
        Number of real rows, >= 2.
    mean, var : float, default=0.0, 1.0
        The true distribution ``N(mean, var)``, ``var > 0``.
    ddof : float, default=1
        Delta degrees of freedom of the variance estimator (1 unbiased, 0 MLE);
        ``0 <= ddof < n0``.
    pool : {"replace", "augment", "fresh", "accumulate"}, default="replace"
        What generation ``t`` trains on: its synthetic rows only; the same
        ``n0`` real rows plus them; ``n0`` new real rows plus them; all real
        and synthetic rows so far.
    n_reps : int, default=10_000
        Independent replications.
    n_jobs : int or None, default=None
        Threads over blocks of 1024 replications (-1: all cores), whatever
        backend ``joblib.parallel_config`` sets: the blocks write into the
        result arrays. Results do not depend on it.
    random_state : None, int, RandomState, Generator or SeedSequence
        Seed of the root ``SeedSequence``; every block and stream is spawned
        from it.

    Returns
    -------
    GaussianSimulation
        ``means`` and ``variances`` of shape (n_reps, n_generations + 1),
        ``sizes``, ``seeds``, ``settings`` and :meth:`~GaussianSimulation.summary`.

    Notes
    -----
    Memory: the result holds two float64 arrays of ``n_reps * (T + 1)``
    entries. The replace pool draws its variates straight into them (one
    ``1024 * T`` scratch array per block in flight); the other pools hold a
    few ``1024 * (T + 1)`` arrays per block.
    The replace pool needs ``n_t >= 2`` and ``n_t > ddof`` at every
    generation (a variance needs two rows).

    Examples
    --------
    >>> from synthloop.simulate import simulate_gaussian
    >>> sim = simulate_gaussian(100, schedule="constant", n0=100, n_reps=2000,
    ...                         random_state=0)
    >>> sim.variances.shape
    (2000, 101)
    >>> med = sim.summary(generations=[100])["var_median"].iloc[0]
    >>> bool(0.3 < med < 0.45)  # the median drifts to 0 (log-scale random walk)
    True
    """
    n_generations, n0, n_reps = int(n_generations), int(n0), int(n_reps)
    mean, var, ddof = float(mean), float(var), float(ddof)
    if ddof >= n0:
        raise ValueError(f"{_OWNER}: ddof must be < n0 = {n0}; got {ddof!r}.")
    schedule, sizes = c.resolve_sizes(schedule, n_generations, n0)
    if pool == "replace" and n_generations > 0:
        bad = np.flatnonzero((sizes[1:] < 2) | (sizes[1:] <= ddof))
        if bad.size:
            t = int(bad[0]) + 1
            raise ValueError(
                f"{_OWNER}: the replace pool needs n_t >= 2 and n_t > ddof at every "
                f"generation; the schedule gives n_{t} = {int(sizes[t])}. Use a schedule "
                "with larger sizes or a pool that keeps real rows."
            )
    root = as_seed_sequence(random_state)
    means = np.empty((n_reps, n_generations + 1))
    variances = np.empty((n_reps, n_generations + 1))
    # blocks write their rows of the result in place: threads only
    c.run_blocks(
        _gaussian_block, n_reps, n_jobs, require="sharedmem",
        root=root, sizes=sizes, mean=mean, var=var, ddof=ddof, pool=pool,
        out=(means, variances),
    )
    settings = {
        "n_generations": n_generations, "schedule": schedule, "n0": n0, "mean": mean,
        "var": var, "ddof": ddof, "pool": pool, "n_reps": n_reps,
    }
    return GaussianSimulation(means, variances, sizes, c.seed_record(root, n_reps), settings)
