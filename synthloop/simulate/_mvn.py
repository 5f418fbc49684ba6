"""Exact simulation of the recursive multivariate normal loop (Bartlett)."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd

from ..utils._random import as_seed_sequence
from ..utils._sklearn_compat import Interval, StrOptions, validate_params
from . import _common as c
from ._theory import mvn_theory_columns

_OWNER = "simulate_mvn"
_FULL_LIMIT = 2**25  # covariance entries kept by store="auto" (256 MiB of float64)


def _bartlett(rng_chi, rng_norm, size, d, dof):
    """Lower-triangular A with A A^T ~ Wishart(dof, I_d); shape (size, d, d)."""
    A = np.zeros((size, d, d))
    diag = np.arange(d)
    A[:, diag, diag] = np.sqrt(rng_chi.chisquare(dof - diag, size=(size, d)))
    rows, cols = np.tril_indices(d, -1)
    if rows.size:
        A[:, rows, cols] = rng_norm.standard_normal((size, rows.size))
    return A


def _merge(n_a, m_a, M2_a, n_b, m_b, M2_b):
    n = n_a + n_b
    delta = m_b - m_a
    mean = m_a + delta * (n_b / n)
    M2 = M2_a + M2_b + (n_a * n_b / n) * delta[:, :, None] * delta[:, None, :]
    return n, mean, M2


def _kl(mu, L_true, logdet_true, m, L, logdet):
    """KL(N(mu, Sigma) || N(m, L L^T)) per replication; inf where L is singular."""
    d = mu.size
    rhs = np.concatenate([np.broadcast_to(L_true, L.shape), (m - mu)[:, :, None]], axis=2)
    out = np.full(L.shape[0], np.inf)
    ok = np.all(np.abs(np.diagonal(L, axis1=1, axis2=2)) > 0, axis=1)
    if np.any(ok):
        sol = np.linalg.solve(L[ok], rhs[ok])
        tr = np.einsum("bij,bij->b", sol[:, :, :d], sol[:, :, :d])
        quad = np.einsum("bi,bi->b", sol[:, :, d], sol[:, :, d])
        out[ok] = 0.5 * (tr + quad - d + logdet[ok] - logdet_true)
    return out


def _mvn_block(block, size, *, root, sizes, mu, L_true, ddof, pool, keep_cov):
    T = sizes.size - 1
    d = mu.size
    streams = c.block_generators(root, block, 6 if pool == "fresh" else 3)
    g_mean, g_chi, g_norm = streams[:3]
    logdet_true = 2 * np.sum(np.log(np.diag(L_true)))
    means = np.empty((size, T + 1, d))
    logdet = np.empty((size, T + 1))
    trace = np.empty((size, T + 1))
    kl = np.empty((size, T + 1))
    covs = np.empty((size, T + 1, d, d)) if keep_cov else None

    def real_sample(gm, gc, gn):
        n0 = float(sizes[0])
        m = mu + gm.standard_normal((size, d)) @ L_true.T / np.sqrt(n0)
        LA = L_true @ _bartlett(gc, gn, size, d, n0 - 1)
        return m, LA

    n0 = float(sizes[0])
    m_R, LA_R = real_sample(g_mean, g_chi, g_norm)
    M2_R = LA_R @ np.swapaxes(LA_R, 1, 2)
    m = m_R
    L = LA_R / np.sqrt(n0 - ddof)
    # diag(L_true A) = diag(L_true) diag(A): this already includes log det Sigma
    ld = 2 * np.sum(np.log(np.diagonal(LA_R, axis1=1, axis2=2)), axis=1) - d * np.log(n0 - ddof)
    acc = (n0, m_R, M2_R)

    def record(t):
        means[:, t] = m
        logdet[:, t] = ld
        trace[:, t] = np.einsum("bij,bij->b", L, L)
        kl[:, t] = _kl(mu, L_true, logdet_true, m, L, ld)
        if keep_cov:
            covs[:, t] = L @ np.swapaxes(L, 1, 2)

    record(0)
    for t in range(1, T + 1):
        n = float(sizes[t])
        z = g_mean.standard_normal((size, d))
        m_s = m + np.einsum("bij,bj->bi", L, z) / np.sqrt(n)
        A = _bartlett(g_chi, g_norm, size, d, n - 1)
        LA = L @ A  # lower triangular: a Cholesky factor of the synthetic M2
        if pool == "replace":
            m = m_s
            L = LA / np.sqrt(n - ddof)
            diag_A = np.diagonal(A, axis1=1, axis2=2)
            # accumulate log-determinants so they stay finite after collapse
            ld = ld + 2 * np.sum(np.log(diag_A), axis=1) - d * np.log(n - ddof)
        else:
            M2_s = LA @ np.swapaxes(LA, 1, 2)
            if pool == "augment":
                n_p, m, M2 = _merge(n0, m_R, M2_R, n, m_s, M2_s)
            elif pool == "fresh":
                m_Rt, LA_Rt = real_sample(*streams[3:])
                n_p, m, M2 = _merge(n0, m_Rt, LA_Rt @ np.swapaxes(LA_Rt, 1, 2), n, m_s, M2_s)
            else:  # accumulate
                acc = _merge(*acc, n, m_s, M2_s)
                n_p, m, M2 = acc
            L = np.linalg.cholesky(M2 / (n_p - ddof))
            ld = 2 * np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)), axis=1)
        record(t)
    return means, covs, logdet, trace, kl


@dataclass(frozen=True, eq=False)
class MVNSimulation(c.ReplicationsByGenerations):
    """Result of :func:`simulate_mvn`.

    Attributes
    ----------
    means : ndarray of shape (n_reps, n_generations + 1, d)
    covariances : ndarray of shape (n_reps, n_generations + 1, d, d) or None
        None when not stored (see ``store`` in :func:`simulate_mvn`).
    logdet : ndarray of shape (n_reps, n_generations + 1)
        ``log det Sigma_hat_t``, accumulated in log space (finite even when the
        determinant underflows).
    trace : ndarray of shape (n_reps, n_generations + 1)
        ``tr Sigma_hat_t``.
    kl : ndarray of shape (n_reps, n_generations + 1)
        ``KL(N(mu, Sigma) || N(mu_hat_t, Sigma_hat_t))``.
    sizes, seeds, settings
        As in :class:`GaussianSimulation`.

    Examples
    --------
    >>> from synthloop.simulate import simulate_mvn
    >>> sim = simulate_mvn(2, dim=3, n0=20, n_reps=4, random_state=0)
    >>> sim.means.shape, sim.covariances.shape
    ((4, 3, 3), (4, 3, 3, 3))
    """

    means: np.ndarray
    covariances: np.ndarray | None
    logdet: np.ndarray
    trace: np.ndarray
    kl: np.ndarray
    sizes: np.ndarray
    seeds: dict
    settings: dict = field(default_factory=dict)

    def summary(self, generations=None):
        """Per-generation summaries of the fitted covariances and the KL risk.

        Returns
        -------
        DataFrame
            ``n_samples``, ``logdet_mean``, ``logdet_median``, ``trace_mean``,
            ``trace_se``, ``trace_median``, ``kl_mean``, ``kl_median``; for the
            replace pool ``trace_mean_theory`` (``E tr Sigma_hat_T = tr Sigma
            prod_t (n_t - 1)/(n_t - ddof)``, from
            ``synthloop.theory.gaussian_expected_variance``) when available.

        Examples
        --------
        >>> from synthloop.simulate import simulate_mvn
        >>> sim = simulate_mvn(3, dim=2, n0=30, n_reps=50, random_state=0)
        >>> sim.summary().shape[0]
        4
        """
        from ._gaussian import _check_generations

        gens = _check_generations(generations, self.n_generations)
        tr = self.trace[:, gens]
        R = self.n_reps
        df = pd.DataFrame(
            {
                "n_samples": self.sizes[gens],
                "logdet_mean": self.logdet[:, gens].mean(axis=0),
                "logdet_median": np.median(self.logdet[:, gens], axis=0),
                "trace_mean": tr.mean(axis=0),
                "trace_se": tr.std(axis=0, ddof=1) / np.sqrt(R) if R > 1 else np.nan,
                "trace_median": np.median(tr, axis=0),
                "kl_mean": self.kl[:, gens].mean(axis=0),
                "kl_median": np.median(self.kl[:, gens], axis=0),
            },
            index=pd.Index(gens, name="generation"),
        )
        for name, values in mvn_theory_columns(self, gens).items():
            base = name.removesuffix("_theory")
            df.insert(df.columns.get_loc(base) + 1, name, values)
        return df


def _resolve_params(mean, cov, dim):
    d = None
    if cov is not None:
        cov = np.asarray(cov, dtype=np.float64)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] < 1:
            raise ValueError(f"{_OWNER}: cov must be a square (d, d) matrix; got shape {cov.shape}.")
        d = cov.shape[0]
    if mean is not None:
        mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        if mean.ndim != 1:
            raise ValueError(f"{_OWNER}: mean must be 1-d; got shape {mean.shape}.")
        if d is not None and mean.size != d:
            raise ValueError(f"{_OWNER}: mean has {mean.size} entries but cov is {d}x{d}.")
        d = mean.size
    if dim is not None:
        dim = int(dim)
        if d is not None and dim != d:
            raise ValueError(f"{_OWNER}: dim={dim} disagrees with mean/cov of dimension {d}.")
        d = dim
    if d is None:
        raise ValueError(f"{_OWNER}: give dim, mean or cov to set the dimension.")
    mean = np.zeros(d) if mean is None else mean
    cov = np.eye(d) if cov is None else cov
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
        raise ValueError(f"{_OWNER}: mean and cov must be finite.")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{_OWNER}: cov must be symmetric.")
    try:
        L = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"{_OWNER}: cov must be positive definite.") from None
    return mean, cov, L


@validate_params(
    c.constraints(
        n0=[Interval(Integral, 2, None, closed="left")],
        mean=["array-like", None],
        cov=["array-like", None],
        dim=[Interval(Integral, 1, None, closed="left"), None],
        ddof=[Interval(Real, 0, None, closed="left")],
        store=[StrOptions({"auto", "full", "summary"})],
    ),
    prefer_skip_nested_validation=True,
)
def simulate_mvn(
    n_generations,
    *,
    schedule="constant",
    n0=100,
    mean=None,
    cov=None,
    dim=None,
    ddof=1,
    pool="replace",
    n_reps=1000,
    store="auto",
    n_jobs=None,
    random_state=None,
):
    """Simulate recursive multivariate normal fitting exactly, without rows.

    The sample mean and covariance (with ``ddof``) of ``n`` rows from
    ``N(m, Sigma)`` are independent, ``mu_hat ~ N(m, Sigma / n)`` and the
    scatter matrix is ``Wishart(n - 1, Sigma)``. Bartlett's decomposition
    draws the scatter as ``L A A^T L^T`` with ``L`` the Cholesky factor of
    ``Sigma`` and ``A`` lower triangular (``sqrt(chi^2_{n-1-i})`` on the
    diagonal, ``N(0, 1)`` below), ``O(d^2)`` variates. For the replace pool
    ``L A / sqrt(n - ddof)`` is itself the Cholesky factor of the next
    covariance, so no factorisation is ever needed; other pools merge scatter
    matrices exactly and refactor.

    Parameters
    ----------
    n_generations : int
        Number of synthetic generations ``T >= 0``.
    schedule : str, callable or BaseSchedule, default="constant"
        Synthetic sample sizes; ``n=None`` means ``n0``.
    n0 : int, default=100
        Number of real rows; every pool needs more than ``d`` rows.
    mean : array-like of shape (d,), default=None
        True mean (zeros).
    cov : array-like of shape (d, d), default=None
        True covariance, symmetric positive definite (identity).
    dim : int, default=None
        Dimension when neither ``mean`` nor ``cov`` is given.
    ddof : float, default=1
        Delta degrees of freedom of the covariance estimator.
    pool : {"replace", "augment", "fresh", "accumulate"}, default="replace"
        As in :func:`simulate_gaussian`.
    n_reps : int, default=1000
        Independent replications.
    store : {"auto", "full", "summary"}, default="auto"
        Keep every fitted covariance (``"full"``, ``n_reps * (T+1) * d^2``
        floats), only the summaries ``logdet``/``trace``/``kl``
        (``"summary"``), or full when that is at most 2**25 entries.
    n_jobs : int or None, default=None
        Parallel jobs over blocks of 1024 replications; results do not depend
        on it.
    random_state : None, int, RandomState, Generator or SeedSequence
        Seed of the root ``SeedSequence``.

    Returns
    -------
    MVNSimulation

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop.simulate import simulate_mvn
    >>> sim = simulate_mvn(50, cov=np.diag([1.0, 4.0]), n0=50, n_reps=500,
    ...                    random_state=0)
    >>> sim.covariances.shape
    (500, 51, 2, 2)
    >>> bool(np.median(sim.logdet[:, 50]) < np.median(sim.logdet[:, 0]))
    True
    """
    n_generations, n0, n_reps, ddof = int(n_generations), int(n0), int(n_reps), float(ddof)
    mu, cov, L_true = _resolve_params(mean, cov, dim)
    d = mu.size
    schedule, sizes = c.resolve_sizes(schedule, n_generations, n0)
    if n0 <= d or n0 <= ddof:
        raise ValueError(
            f"{_OWNER}: n0 must exceed the dimension d = {d} and ddof = {ddof}; got n0 = {n0}."
        )
    if pool == "replace":
        bad = np.flatnonzero((sizes <= d) | (sizes <= ddof))
        if bad.size:
            t = int(bad[0])
            raise ValueError(
                f"{_OWNER}: the replace pool needs n_t > d = {d} and n_t > ddof at every "
                f"generation (a full-rank covariance); the schedule gives n_{t} = {int(sizes[t])}."
            )
    keep_cov = store == "full" or (store == "auto" and n_reps * (n_generations + 1) * d * d <= _FULL_LIMIT)
    root = as_seed_sequence(random_state)
    parts = c.run_blocks(
        _mvn_block, n_reps, n_jobs, root=root, sizes=sizes, mu=mu, L_true=L_true,
        ddof=ddof, pool=pool, keep_cov=keep_cov,
    )
    means = np.concatenate([p[0] for p in parts])
    covs = np.concatenate([p[1] for p in parts]) if keep_cov else None
    logdet, trace, kl = (np.concatenate([p[i] for p in parts]) for i in (2, 3, 4))
    settings = {
        "n_generations": n_generations, "schedule": schedule, "n0": n0, "mean": mu,
        "cov": cov, "ddof": ddof, "pool": pool, "n_reps": n_reps, "store": store,
    }
    return MVNSimulation(means, covs, logdet, trace, kl, sizes, c.seed_record(root, n_reps), settings)
