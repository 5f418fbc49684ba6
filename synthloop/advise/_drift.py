"""Drift models: the distribution of ``D_t = KL(P_t || P_0)`` under a schedule.

A drift model is a list of independent blocks. Each block simulates the path
``D_1..D_T`` of its own divergence exactly, from sufficient statistics, and
measures the same divergence between two fitted parameter dictionaries, so a
prediction and a real recursive run are compared on one definition.

- :class:`GaussianBlock`: a ``d``-dimensional Gaussian refit with the sample
  mean and covariance (``ddof``). ``KL(N_t || N_0)`` is affine invariant, so
  its law depends only on ``d``, ``ddof`` and ``n_1..n_T`` (docs/theory.rst,
  multivariate normal): it is simulated from the standard normal with
  :func:`synthloop.simulate.simulate_mvn` started at generation 1
  (``n0 = n_1``), which is the chain seen from the real-fit model.
- :class:`LatentCorrelationBlock`: the latent correlation of a Gaussian copula,
  the same chain mapped into the columns' coordinates and normalised (a
  correlation is not affine invariant), with a KL that stays finite on the
  boundary of the positive semi-definite cone.
- :class:`CategoricalBlock`: an empirical-frequency categorical ([B], docs/theory.rst
  §3), the multinomial recursion ``q_t = Mult(n_t, q_{t-1}) / n_t`` of
  :func:`synthloop.simulate.simulate_categorical`, with ``KL(q_t || q_0)``
  recorded at every generation (finite when levels are lost).

``pool`` (:data:`ADVISED_POOLS`) is what generation ``t`` trains on, as the default
pool objects of :class:`~synthloop.RecursiveSynthesizer` (every row weight 1):
``"replace"`` the ``n_t`` synthetic rows only; ``"augment"`` the real rows plus
``n_t`` rows of generation ``t - 1``; ``"accumulate"`` the real rows plus every
synthetic row drawn so far ([B] partially synthetic, Gerstgrasser et al.). With
real rows in the pool the drift stays bounded whatever the schedule.

A :class:`~synthloop.FreshPool` with ``n_real`` (He, Xu and Cheng's loop: ``k``
real rows drawn from ``X`` afresh each generation, weighted by ``real_weight``)
is simulated by drawing those rows as the loop does (:class:`FreshDraws`): the
Gaussian and categorical blocks then take the sufficient statistics of the
drawn rows of ``X`` itself, the synthetic rows' exactly as for the other pools,
and merge them with the pool's weights. Every block of one simulation sees the
same drawn rows, so the columns stay as dependent as the rows of ``X`` make
them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..generators._copula import frequency_order, refit_in_latent_order
from ..pools import FreshPool, _weights
from ..schedules import CallableSchedule
from ..simulate._common import SIMULATED_POOLS

def bias_term(sizes, coef, kappa):
    """``coef * (sum_{s<=t} n_s^(-kappa/2))**2`` per generation ``t = 0..T`` (0 at ``t = 0``)."""
    sizes = np.asarray(sizes, dtype=np.float64)
    steps = np.concatenate([[0.0], sizes[1:] ** (-kappa / 2)])
    return coef * np.cumsum(steps) ** 2


class Fit(NamedTuple):
    """What a block measures a fitted generation by: its parameters and its own collapse summary."""

    params: dict
    summary: dict

    @classmethod
    def from_run(cls, synthesizer, t):
        """Generation ``t`` of a fitted :class:`~synthloop.RecursiveSynthesizer`."""
        return cls(synthesizer.parameters_[t], synthesizer.summaries_[t])


def summary_getter(name):
    """``{level: probability}`` of a discrete column, from a generation's collapse summary."""
    def get(fit):
        probabilities = fit.summary[name][1]
        return dict(zip(probabilities.index, probabilities.to_numpy(dtype=float)))
    return get


#: Pools the blocks simulate by name (the unweighted default pools of RecursiveSynthesizer): those of the
#: simulators but "fresh", whose T+1 chunks of X leave generation 0 unfit on the whole table (a FreshPool
#: with n_real is simulated instead, by FreshDraws).
ADVISED_POOLS = tuple(p for p in SIMULATED_POOLS if p != "fresh")


def _kl_categorical(q, p):
    """``sum q log(q / p)`` along the last axis; p > 0 wherever q > 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q > 0, q * np.log(q / p), 0.0)
    return terms.sum(axis=-1)


def _kl_gaussian(m_t, S_t, m_0, S_0):
    """``KL(N(m_t, S_t) || N(m_0, S_0))`` on the span of ``S_0``; inf when ``S_t`` is singular there.

    A singular ``S_0`` (a column that is an exact function of others, such as
    Adult's ``education`` and ``education_num`` in the copula) keeps its null
    directions in every later generation; the divergence is taken on the
    directions where ``S_0`` has variance.
    """
    w, V = np.linalg.eigh(S_0)
    keep = w > 1e-10 * max(w.max(), 1e-300)
    V, w = V[:, keep], w[keep]
    A = V.T @ S_t @ V
    sign, logdet_t = np.linalg.slogdet(A)
    if sign <= 0:
        return np.inf
    z = V.T @ (m_0 - m_t)
    tr = float(np.sum(np.diag(A) / w))
    return float(0.5 * (tr + np.sum(z * z / w) - w.size + np.sum(np.log(w)) - logdet_t))


def gaussian_chain(sizes, dim, ddof, n_reps, seed, pool="replace", store="full"):
    """The standard multivariate normal loop of ``sizes`` (docs/theory.rst), by exact simulation.

    ``"replace"``: the chain seen from the real fit, started at generation 1
    (``n0 = n_1``); its index ``k`` is generation ``k + 1``. Pools that keep
    the real rows: the whole loop from ``n0 = n_real``, index ``t`` is
    generation ``t``. Returns :func:`synthloop.simulate.simulate_mvn`'s result.
    """
    from ..simulate import simulate_mvn

    T = sizes.size - 1
    if pool == "replace":
        later = [int(x) for x in sizes[2:]]
        return simulate_mvn(T - 1, schedule=CallableSchedule(lambda t: later[t - 1]), n0=int(sizes[1]), dim=dim,
                            ddof=ddof, n_reps=n_reps, store=store, random_state=seed)
    later = [int(x) for x in sizes[1:]]
    return simulate_mvn(T, schedule=CallableSchedule(lambda t: later[t - 1]), n0=int(sizes[0]), dim=dim, ddof=ddof,
                        pool=pool, n_reps=n_reps, store=store, random_state=seed)


# Mixed into a simulation's seed for the real rows a fresh pool draws at each generation.
_FRESH_TAG = 0xF4E5


def is_fresh_draws(pool):
    """Whether ``pool`` is a FreshPool the advisor simulates: new real rows drawn from ``X`` (``n_real``)."""
    return isinstance(pool, FreshPool) and pool.n_real is not None and pool.stream is None


class FreshDraws:
    """The real rows of a ``FreshPool(n_real=k)`` loop, drawn from the ``n_rows`` rows of ``X`` as the loop does.

    Generation ``t``'s ``k`` rows of every replication come from a stream derived from ``seed`` and ``t``
    only, so every block of a simulation sees the same rows. A block asks for the statistics it needs
    (:meth:`stats`); they are kept, so the searches, which simulate many settings with the same seed
    (common random numbers), draw the rows once.
    """

    def __init__(self, pool, n_rows, seed, n_reps):
        self.pool, self.n_rows, self.seed, self.n_reps = pool, int(n_rows), int(seed), int(n_reps)
        self.k = int(pool.n_real)
        self._stats = {}

    def weights(self, n_t):
        """Per-row weights ``(real, synthetic)`` of a generation with ``n_t`` synthetic rows (the loop's)."""
        return _weights(self.k, int(n_t), self.pool.real_weight)

    def _rows(self, t):
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, _FRESH_TAG, int(t)]))
        if self.pool.replace:
            return rng.integers(0, self.n_rows, size=(self.n_reps, self.k))
        return np.stack([rng.choice(self.n_rows, self.k, replace=False) for _ in range(self.n_reps)])

    def stats(self, key, t, of_rows):
        """``of_rows(rows)`` for generation ``t``'s drawn rows (``(n_reps, k)`` positions in ``X``), kept by ``key``."""
        if (key, t) not in self._stats:
            self._stats[key, t] = of_rows(self._rows(t))
        return self._stats[key, t]


def fresh_multinomial_path(p, codes, sizes, fresh, seed, key):
    """Yield ``(t, q_t)`` of a categorical refit on ``k`` fresh real rows and ``n_t`` synthetic ones.

    ``q_0 = p`` (the fit on every row of ``X``; ``codes`` are the rows' level indices into ``p``);
    ``q_t = (a r_t + b s_t) / (a k + b n_t)`` with ``r_t`` the level counts of the drawn real rows,
    ``s_t ~ Mult(n_t, q_{t-1})`` and ``a, b`` the pool's per-row weights.
    """
    rng = np.random.default_rng(seed)
    L = p.size
    q = np.broadcast_to(p, (fresh.n_reps, L))
    offsets = (np.arange(fresh.n_reps) * L)[:, None]

    def counts_of(rows):
        return np.bincount((offsets + codes[rows]).ravel(), minlength=fresh.n_reps * L).reshape(fresh.n_reps, L)

    for t in range(1, sizes.size):
        n = int(sizes[t])
        a, b = fresh.weights(n)
        real = fresh.stats(key, t, counts_of)
        synthetic = rng.multinomial(n, np.clip(q, 0.0, 1.0))
        q = (a * real + b * synthetic) / (a * fresh.k + b * n)
        yield t, q


def fresh_gaussian_kl(Z, sizes, ddof, fresh, seed, key):
    """``KL(N_t || N_0)`` per replication and generation of a Gaussian refit on fresh real rows and synthetic ones.

    ``Z`` is ``X`` standardised by generation 0's fit (mean 0, covariance the identity with the generator's
    ``ddof``), so ``N_0 = N(0, I)``. Generation ``t`` fits the weighted mean and covariance of the drawn
    real rows of ``Z`` (weight ``a`` each) and ``n_t`` rows of ``N(m_{t-1}, S_{t-1})`` (weight ``b``), whose
    sufficient statistics are drawn exactly: mean ``m + L z / sqrt(n_t)``, centred cross-products
    ``L A A' L'`` with ``A A' ~ Wishart(n_t - 1, I)`` (Bartlett); divided by ``sum(w) - ddof`` as the
    generator does.
    """
    from ..simulate._mvn import _bartlett

    n_reps, d = fresh.n_reps, Z.shape[1]
    g_mean, g_chi, g_norm = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    out = np.zeros((n_reps, sizes.size))
    m = np.zeros((n_reps, d))
    L = np.broadcast_to(np.eye(d), (n_reps, d, d))

    def real_stats(rows):
        R = Z[rows]  # (n_reps, k, d)
        mean = R.mean(axis=1)
        C = R - mean[:, None, :]
        return mean, np.einsum("rki,rkj->rij", C, C)

    for t in range(1, sizes.size):
        n = int(sizes[t])
        a, b = fresh.weights(n)
        m_r, M2_r = fresh.stats(key, t, real_stats)
        m_s = m + np.einsum("rij,rj->ri", L, g_mean.standard_normal((n_reps, d))) / np.sqrt(n)
        LA = L @ _bartlett(g_chi, g_norm, n_reps, d, n - 1)
        M2_s = LA @ np.swapaxes(LA, 1, 2)
        w_r, w_s = a * fresh.k, b * n
        total = w_r + w_s
        m = (w_r * m_r + w_s * m_s) / total
        delta = m_r - m_s
        M2 = a * M2_r + b * M2_s + (w_r * w_s / total) * delta[:, :, None] * delta[:, None, :]
        S = M2 / (total - ddof)
        vals, vecs = np.linalg.eigh(S)
        # a singular covariance samples constant directions (as the generator does) and has an infinite KL
        L = vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            logdet = np.where(vals.min(axis=1) > 0, np.sum(np.log(np.clip(vals, 1e-300, None)), axis=1), -np.inf)
        tr = np.trace(S, axis1=1, axis2=2)
        out[:, t] = 0.5 * (tr + np.sum(m * m, axis=1) - d - logdet)
    return out


def multinomial_path(p, sizes, n_reps, seed, pool="replace"):
    """Yield ``(t, q_t)`` of [B]'s recursion of an atom vector ``p`` fitted on ``sizes[0]`` real rows.

    ``q_t = Mult(n_t, q_{t-1}) / n_t`` (replace), with the real counts
    ``n_real p`` added (augment), or every synthetic count so far
    (accumulate); ``q_t`` has one row per replication.
    """
    rng = np.random.default_rng(seed)
    q = np.broadcast_to(p, (n_reps, p.size))
    # The real rows' counts: p is the fit on them, so n_real * p up to rounding.
    n_real = float(sizes[0])
    real = p * n_real
    pooled, total = real, n_real
    for t in range(1, sizes.size):
        n = int(sizes[t])
        # counts / n can sum to 1 + 1e-16; numpy wants sum(pvals[:-1]) <= 1
        counts = rng.multinomial(n, np.clip(q, 0.0, 1.0))
        if pool == "replace":
            q = counts / n
        elif pool == "augment":
            q = (real + counts) / (n_real + n)
        else:  # accumulate: every synthetic row drawn so far stays in the pool
            pooled, total = pooled + counts, total + n
            q = pooled / total
        yield t, q


def unsimulable(sizes, n_reps, min_size):
    """The drift path of a setting that needs no simulation, or None.

    No generation after 0 (all zeros), or one smaller than ``min_size`` rows
    (a Gaussian fit needs more rows than dimensions: infinite from generation 1).
    """
    if sizes.size == 1:
        return np.zeros((n_reps, 1))
    if np.any(sizes[1:] < min_size):
        out = np.full((n_reps, sizes.size), np.inf)
        out[:, 0] = 0.0
        return out
    return None


def rank(S):
    """Numerical rank of a covariance or correlation matrix (as :func:`_kl_gaussian` uses it)."""
    w = np.linalg.eigvalsh(np.asarray(S, dtype=float))
    return int(np.sum(w > 1e-10 * max(w.max(), 1e-300)))


def _corr(S):
    s = np.sqrt(np.clip(np.diag(S), 1e-300, None))
    R = S / np.outer(s, s)
    np.fill_diagonal(R, 1.0)
    return R


class GaussianBlock:
    """Drift of a refit Gaussian (mean and covariance, ``ddof``)."""

    def __init__(self, name, d, ddof=1.0, *, exact=True, standardized=None):
        self.name = name
        self.exact = exact
        self.d = int(d)
        self.ddof = float(ddof)
        self.n_params = d * (d + 3) // 2
        self.description = f"Gaussian mean and covariance of {name} (d={d}, ddof={ddof:g})"
        # the rows of X standardised by generation 0's fit (for a fresh pool's real rows), or None
        self.standardized = standardized

    def min_size(self):
        return int(max(self.d, np.floor(self.ddof))) + 1

    def simulate(self, sizes, n_reps, seed, pool="replace"):
        if isinstance(pool, FreshDraws) and sizes.size > 1:  # real rows drawn afresh: its own simulation
            return fresh_gaussian_kl(self.standardized, sizes, self.ddof, pool, seed, ("gaussian", id(self)))
        trivial = unsimulable(sizes, n_reps, self.min_size())
        if trivial is not None:
            return trivial
        if pool != "replace":
            return self._simulate_pooled(sizes, n_reps, seed, pool)
        out = np.zeros((n_reps, sizes.size))
        sim = gaussian_chain(sizes, self.d, self.ddof, n_reps, seed, store="summary")
        sq = np.sum(sim.means**2, axis=2)
        out[:, 1:] = 0.5 * (sim.trace + sq - self.d - sim.logdet)
        return out

    def _simulate_pooled(self, sizes, n_reps, seed, pool):
        """``KL(P_t || P_0)`` when the real rows stay in the pool.

        The fit of generation 0 is no longer the start of a chain that forgets
        it: it is part of every later pool. By affine invariance the law of
        ``KL(P_t || P_0)`` given the real rows does not depend on them, so the
        loop is simulated from the standard normal with ``n0 = n_real`` and the
        divergence is taken per replication against that replication's own
        generation-0 fit. Every fitted covariance is kept,
        ``n_reps * (T + 1) * d**2`` floats.
        """
        sim = gaussian_chain(sizes, self.d, self.ddof, n_reps, seed, pool)
        S, logdet = sim.covariances, sim.logdet
        inv0 = np.linalg.inv(S[:, 0])
        tr = np.einsum("rij,rtji->rt", inv0, S)
        z = sim.means - sim.means[:, :1]
        out = 0.5 * (tr - self.d + logdet[:, :1] - logdet + np.einsum("rti,rij,rtj->rt", z, inv0, z))
        out[:, 0] = 0.0  # exactly, not up to rounding
        return out

    def measure(self, fit_t, fit_0):
        a, b = fit_t.params, fit_0.params
        return _kl_gaussian(np.asarray(a["mean"]), np.asarray(a["covariance"]), np.asarray(b["mean"]),
                            np.asarray(b["covariance"]))


#: Share of independent noise mixed into both latent correlations before their KL (see LatentCorrelationBlock).
LATENT_SHRINK = 0.01


def _shrink(R, eps=LATENT_SHRINK):
    p = R.shape[-1]
    return (1.0 - eps) * R + eps * np.eye(p)


def _kl_latent(R_t, R_0, eps=LATENT_SHRINK):
    """``KL(N(0, A_t) || N(0, A_0))`` with ``A = (1 - eps) R + eps I``; ``R_t`` may be stacked."""
    A, B = _shrink(np.asarray(R_t, dtype=float), eps), _shrink(np.asarray(R_0, dtype=float), eps)
    p = B.shape[-1]
    binv = np.linalg.inv(B)
    tr = np.einsum("ij,...ji->...", binv, A)
    logdet_a = np.linalg.slogdet(A)[1]
    return 0.5 * (tr - p + np.linalg.slogdet(B)[1] - logdet_a)


class LatentCorrelationBlock:
    """Drift of a Gaussian copula's latent correlation matrix.

    Every generation fits the correlation of ``n_t`` latent rows drawn from
    ``N(0, R_{t-1})``: the covariance chain of the multivariate normal of docs/theory.rst
    (``(n-1) S_t ~ Wishart(n-1, S_{t-1})``) seen through a correlation,
    because re-standardising every generation or only at the end gives the
    same law (``corr(D W D) = corr(W)`` for a diagonal ``D``). It is simulated
    exactly, in the columns' own coordinates: the standard chain of
    :func:`synthloop.simulate.simulate_mvn` in ``r = rank(R_0)`` dimensions,
    mapped by ``L`` with ``L L' = R_0``, then normalised to unit diagonal.

    The divergence is ``KL(N(0, A_t) || N(0, A_0))`` on the span of ``R_0``
    (exactly dependent columns, such as Adult's ``education`` and
    ``education_num``, make ``R_0`` singular; a direction generation 0 does
    not have is left out), with ``A = (1 - eps) V'RV + eps I``,
    ``eps = LATENT_SHRINK``: 1% of the variance made independent. The plain KL
    jumps to infinity (or by ``log n``) when a later generation lands on the
    boundary of the positive semi-definite cone in a direction slightly
    rotated from generation 0's (a repaired copula correlation does),
    although the rows it generates barely change; the shrunk KL is continuous
    there and equals the plain one to within about 1% for well-conditioned
    matrices.
    """

    exact = False

    def __init__(self, name, R0):
        self.name = name
        R0 = np.asarray(R0, dtype=np.float64)
        w, V = np.linalg.eigh(R0)
        keep = w > 1e-10 * max(w.max(), 1e-300)
        self.R0 = R0
        self.span = V[:, keep]
        self.basis = V[:, keep] * np.sqrt(w[keep])
        self.d = int(keep.sum())
        self.p = R0.shape[0]
        self.n_params = self.p * (self.p - 1) // 2
        self.description = f"latent correlation of {name} ({self.p} columns, rank {self.d})"

    def min_size(self):
        return self.d + 1

    def _span_correlations(self, S):
        """``V' corr(L S L') V`` for a stack ``S`` of standard-chain covariances, by batched products."""
        L = self.basis
        LS = np.matmul(L, S)  # (n_reps, p, r)
        diag = np.einsum("rpi,pi->rp", LS, L)  # the diagonal of L S L'
        K = np.matmul(self.span.T, L[None] / np.sqrt(np.clip(diag, 1e-300, None))[..., None])
        return np.matmul(np.matmul(K, S), np.swapaxes(K, 1, 2))

    def _kl_path(self, covariances, reference=None, last_only=False):
        """KL of each mapped, normalised covariance against ``R0`` (or a per-replication reference).

        ``last_only`` computes the last generation only (the others are NaN):
        the search needs only ``D_T``.
        """
        n_reps, T = covariances.shape[:2]
        out = np.full((n_reps, T), np.nan)
        R0 = self._on_span(self.R0)
        for t in range(T - 1 if last_only else 0, T):  # one generation at a time: memory n_reps * p**2
            C = self._span_correlations(covariances[:, t])
            if reference is None:
                out[:, t] = _kl_latent(C, R0)
            else:
                out[:, t] = [_kl_latent(c, r) for c, r in zip(C, reference)]
        return out

    def _on_span(self, R):
        """``V' R V`` on the span of generation 0's correlation (exactly dependent columns leave it)."""
        return np.einsum("pi,...pq,qj->...ij", self.span, R, self.span)

    def simulate(self, sizes, n_reps, seed, pool="replace", last_only=False):
        sizes = np.asarray(sizes, dtype=np.int64)
        trivial = unsimulable(sizes, n_reps, self.min_size())
        if trivial is not None:
            return trivial
        out = np.zeros((n_reps, sizes.size))
        sim = gaussian_chain(sizes, self.d, 1.0, n_reps, seed, pool)
        if pool == "replace":
            out[:, 1:] = self._kl_path(sim.covariances, last_only=last_only)
            return out
        # Pools that keep the real rows: generation 0 is part of every later pool, so the divergence
        # is taken per replication against that replication's own simulated fit of the real rows.
        reference = self._span_correlations(sim.covariances[:, 0])
        out[:, 1:] = self._kl_path(sim.covariances[:, 1:], reference=reference, last_only=last_only)
        return out

    def measure(self, fit_t, fit_0, cache=None):
        """KL of ``fit_t`` re-expressed in ``fit_0``'s latent orders (``cache``: see ``refit_in_latent_order``)."""
        R_0 = np.asarray(fit_0.params["correlation"])
        if not np.allclose(_corr(R_0), self.R0, atol=1e-10):
            # another generation 0 (a validation run): its own span
            return LatentCorrelationBlock(self.name, R_0).measure(fit_t, fit_0)
        # In generation 0's latent orders: a near-tie's swap refits, re-expressed it is comparable.
        R_t = _corr(refit_in_latent_order(fit_t.params, fit_0.params, cache=cache)["correlation"])
        return float(_kl_latent(self._on_span(R_t), self._on_span(self.R0)))


class CategoricalBlock:
    """Drift of one empirical-frequency categorical distribution.

    ``getter(fit)`` returns ``{level: probability}`` of a fitted generation
    (:func:`summary_getter`: from its collapse summary), so generation ``t``
    and generation 0 are aligned by level.
    """

    def __init__(self, name, p, getter=None, *, exact=True, codes=None):
        p = np.asarray(p, dtype=np.float64)
        self.name = name
        self.exact = exact
        self.p = p[p > 0] / p[p > 0].sum()
        self.getter = getter
        self.n_params = max(self.p.size - 1, 0)
        self.description = f"categorical {name} ({self.p.size} levels)"
        # each row of X's level index into self.p (for a fresh pool's real rows), or None
        self.codes = None if codes is None else (np.cumsum(p > 0) - 1)[np.asarray(codes)]

    def min_size(self):
        return 1

    def simulate(self, sizes, n_reps, seed, pool="replace"):
        out = np.zeros((n_reps, sizes.size))
        path = (fresh_multinomial_path(self.p, self.codes, sizes, pool, seed, ("categorical", id(self)))
                if isinstance(pool, FreshDraws) else multinomial_path(self.p, sizes, n_reps, seed, pool))
        for t, q in path:
            out[:, t] = self._distance(q, self.p)
        return out

    def _distance(self, q, p):
        return _kl_categorical(q, p)

    def measure(self, fit_t, fit_0):
        a, b = self.getter(fit_t), self.getter(fit_0)
        keys = [k for k, v in a.items() if v > 0]
        q = np.array([a[k] for k in keys])
        p = np.array([b.get(k, 0.0) for k in keys])
        if np.any(p <= 0):
            return np.inf  # a level generation 0 never had: cannot happen for a resampling model
        # p over all of generation 0's levels (as the simulation): renormalised over q's support it would
        # understate the drift of a generation that lost a level
        return float(_kl_categorical(q / q.sum(), p / sum(b.values())))


#: A pair of adjacent levels whose swap changes the latent correlation by less than this (nats) is not
#: followed (Adult's rare countries swap all the time, each by about 1e-7); the notes give their sum.
JUMP_FLOOR = 1e-4


class LevelOrderSwaps:
    """The jumps of a copula's latent correlation when the frequency order of an unordered column changes.

    ``GaussianCopulaGenerator(categorical="frequency")`` orders the levels of
    an unordered discrete column by their frequency in the rows it is fit
    on, so near-tied levels (penguins' ``sex``: 168 male, 165 female) swap
    when a generation's resampled frequencies cross. The new order is a new
    fit of the previous generation's distribution, which is not the same
    model: with a missing atom at the bottom of the line the missing rows
    then sit next to the other level, and the fit attenuates the column's
    correlations (penguins' ``sex``, 5 generations of 44,032 rows: a jump of
    0.272 nats, against a median drift of 0.0036 without a swap;
    ``experiments/advisor_validation/penguins_jumps.txt``).

    Each pair of levels adjacent in generation 0's order is followed on its
    own: whether the later level is ahead (more frequent, or tied with a
    smaller code) in a generation, and so how many times the pair has
    swapped. The columns' frequencies follow [B]'s multinomial recursion
    exactly (a copula's sample of a discrete column is a multinomial draw
    from its marginal), so the swap counts are simulated exactly. The jump of
    ``k`` swaps of a pair is that of ``k`` population refits
    (:func:`~synthloop.generators._copula.refit_in_latent_order`), the pair
    swapped and back in turn, re-expressed in generation 0's order: exact
    for infinitely large generations. The jumps of the pairs are added
    (exact when one pair swaps, as on penguins; first order otherwise), and
    added to the latent block's simulated chain (first order in the chain's
    noise). Pairs whose one swap jumps by less than :data:`JUMP_FLOOR` are
    left out (:attr:`neglected` is the sum of their one-swap jumps). For pools
    that keep the real rows the refit is of the previous generation's
    distribution alone, which overstates a jump.
    """

    def __init__(self, params, columns, latent):
        self.params = params
        self.latent = latent  # the LatentCorrelationBlock that measures a jump
        self._cache = {}  # marginals of the refits (one distribution: the probabilities never change)
        self.columns = []  # (name, probabilities in latent order with missing last, codes)
        self.pairs = []  # (column index, position i in generation 0's order: levels i and i + 1, jumps by k)
        self.neglected = 0.0
        self._fits = {}  # (column index, position, k) -> the k-th refit
        for c, name in enumerate(columns):
            m = params["marginals"][name]
            p = np.append(np.asarray(m["probabilities"], dtype=float), float(m["missing"]))
            self.columns.append((name, p, np.asarray(m["support"]).astype(np.int64)))
            for i in range(p.size - 2):
                jumps = [0.0]
                self._extend(c, i, jumps, 1)
                if jumps[1] >= JUMP_FLOOR:
                    self.pairs.append((c, i, jumps))
                else:
                    self.neglected += jumps[1]

    def _extend(self, c, i, jumps, k):
        """Jumps of up to ``k`` swaps of pair ``(c, i)``: refits with the pair swapped and back in turn."""
        name = self.columns[c][0]
        levels = np.asarray(self.params["marginals"][name]["levels"])
        swapped = levels.copy()
        swapped[[i, i + 1]] = swapped[[i + 1, i]]
        fit = self._fits.get((c, i, len(jumps) - 1), self.params)
        while len(jumps) <= k:
            reference = {"marginals": {**self.params["marginals"],
                                       name: {"levels": swapped if len(jumps) % 2 else levels}}}
            fit = refit_in_latent_order(fit, reference, cache=self._cache)
            jumps.append(self.latent.measure(Fit(fit, None), Fit(self.params, None), cache=self._cache))
            self._fits[(c, i, len(jumps) - 1)] = fit
        return jumps

    def _jump(self, swaps):
        """``(n, n_pairs)`` swap counts -> ``(n,)`` jumps (the pairs' jumps added)."""
        out = np.zeros(swaps.shape[0])
        for j, (c, i, jumps) in enumerate(self.pairs):
            k = swaps[:, j]
            if k.max() >= len(jumps):
                self._extend(c, i, jumps, int(k.max()))
            out += np.asarray(jumps)[k]
        return out

    def describe_jumps(self, names):
        """``"0.272 nats (sex), ..."``: the largest one-swap jump of each named column's followed pairs."""
        parts = []
        for name in names:
            c = [col[0] for col in self.columns].index(name)
            jumps = [j[1] for cc, _, j in self.pairs if cc == c]
            if jumps:
                parts.append(f"{max(jumps):.3g} nats ({name})")
        return ", ".join(parts) or f"less than {JUMP_FLOOR:g} nats"

    def observed(self, fits):
        """The jump at the last of ``fits`` (a real run's generations 0..t, as :class:`Fit`) from its orders."""
        ahead = []
        for fit in fits:
            row = []
            for c, i, _ in self.pairs:
                name = self.columns[c][0]
                first, second = np.asarray(self.params["marginals"][name]["levels"])[[i, i + 1]]
                position = {level: k for k, level in enumerate(fit.params["marginals"][name]["levels"])}
                # a level that left the fit is behind every level still in it
                row.append(position.get(second, np.inf) < position.get(first, np.inf))
            ahead.append(row)
        ahead = np.array(ahead, dtype=bool).reshape(len(fits), len(self.pairs))
        return float(self._jump(np.sum(ahead[1:] != ahead[:-1], axis=0)[None])[0])

    def simulate(self, sizes, n_reps, seed, pool="replace"):
        sizes = np.asarray(sizes, dtype=np.int64)
        out = np.zeros((n_reps, sizes.size))
        if not self.pairs:
            return out
        seeds = np.random.SeedSequence(seed).generate_state(len(self.columns))
        used = sorted({c for c, _, _ in self.pairs})
        paths = {c: multinomial_path(self.columns[c][1], sizes, n_reps, int(seeds[c]), pool) for c in used}
        ahead = np.zeros((n_reps, len(self.pairs)), dtype=bool)
        swaps = np.zeros((n_reps, len(self.pairs)), dtype=np.int64)
        for t in range(1, sizes.size):
            q = {c: next(path)[1] for c, path in paths.items()}
            now = np.empty_like(ahead)
            for j, (c, i, _) in enumerate(self.pairs):
                codes = self.columns[c][2]
                a, b = q[c][:, i], q[c][:, i + 1]
                # the copula's order (ties by code); a level with no rows leaves the fit
                b_first = codes[i + 1] < codes[i]
                by_code = np.column_stack([b, a] if b_first else [a, b])
                now[:, j] = (frequency_order(by_code)[:, 0] == (0 if b_first else 1)) & (b > 0)
            swaps += now != ahead
            ahead = now
            out[:, t] = self._jump(swaps)
        return out


class DriftModel:
    """Independent blocks; the drift is the sum of the blocks' drifts.

    Blocks marked ``exact=False`` are simulated by a model that is only
    approximately right; the calibration (:mod:`synthloop.advise._calibrate`)
    fits, on drifts measured in real runs, a map of their simulated sum ``S``
    to ``scale * (mean(S) + spread * (S - mean(S)))`` (mean over
    replications, per generation), plus [A]'s bias term
    ``bias_coef * (sum_{s<=t} n_s^(-bias_kappa/2))**2`` (a bias
    ``c n^-gamma``, ``kappa = 2 gamma``, that keeps its direction adds in
    amplitude; docs/theory.rst): ``scale`` and the bias match the mean and
    ``spread`` the coefficient of variation.
    """

    def __init__(self, blocks, *, method, exact, notes=(), measurable=True, swaps=None):
        self.blocks = list(blocks)
        self.swaps = swaps  # LevelOrderSwaps: jumps added to the calibrated drift, not calibrated themselves
        self.method = method
        self.exact = exact
        self.notes = list(notes)
        self.measurable = measurable
        self.pool = "replace"  # one of ADVISED_POOLS, or a FreshPool with n_real: what each generation trains on
        self.n_rows = None  # rows of X (a fresh pool draws from them)
        self.scale = 1.0
        self.spread = 1.0
        self.bias_coef = 0.0
        self.bias_kappa = 2.0
        self._fresh = {}

    @property
    def n_params(self):
        return sum(b.n_params for b in self.blocks)

    def min_size(self):
        return max([b.min_size() for b in self.blocks] or [1])

    def _pool(self, seed, n_reps):
        """What the blocks simulate: the pool's name, or one simulation's fresh draws (kept per seed)."""
        if not is_fresh_draws(self.pool):
            return self.pool
        key = (seed, n_reps)
        draws = self._fresh.pop(key, None) or FreshDraws(self.pool, self.n_rows, seed, n_reps)
        self._fresh[key] = draws  # the most recently used last; keep four (the search's and a few calibrations')
        while len(self._fresh) > 4:
            self._fresh.pop(next(iter(self._fresh)))
        return draws

    def _parts(self, sizes, n_reps, seed, last_only=False):
        sizes = np.asarray(sizes, dtype=np.int64)
        exact = np.zeros((n_reps, sizes.size))
        approx = np.zeros((n_reps, sizes.size))
        seeds = np.random.SeedSequence(seed).generate_state(max(len(self.blocks), 1))
        pool = self._pool(seed, n_reps)
        for block, s in zip(self.blocks, seeds):
            if last_only and isinstance(block, LatentCorrelationBlock):
                path = block.simulate(sizes, n_reps, int(s), pool=pool, last_only=True)
            else:
                path = block.simulate(sizes, n_reps, int(s), pool=pool)
            if block.exact:
                exact += path
            else:
                approx += path
        return exact, approx

    def simulate(self, sizes, n_reps, seed, last_only=False):
        """``(n_reps, T + 1)`` simulated drifts; ``last_only`` may leave generations before ``T`` as NaN."""
        exact, approx = self._parts(sizes, n_reps, seed, last_only)
        if self.scale != 1.0 or self.spread != 1.0:
            with np.errstate(invalid="ignore"):
                centre = approx.mean(axis=0)
                approx = self.scale * (centre + self.spread * (approx - centre))
        if self.bias_coef:
            approx = approx + bias_term(sizes, self.bias_coef, self.bias_kappa)
        if self.swaps is not None:
            seed_swaps = np.random.SeedSequence(seed).generate_state(len(self.blocks) + 1)[-1]
            exact = exact + self.swaps.simulate(sizes, n_reps, int(seed_swaps), pool=self.pool)
        return exact + approx

    def simulate_approximate(self, sizes, n_reps, seed):
        """The uncalibrated simulated sum of the approximate blocks."""
        return self._parts(sizes, n_reps, seed)[1]

    def measure(self, fit_t, fit_0):
        """The drift of generation ``fit_t`` from ``fit_0`` (two :class:`Fit` records)."""
        return float(sum(b.measure(fit_t, fit_0) for b in self.blocks))

    def measure_approximate(self, fits):
        """The approximate blocks' drift at the last of ``fits`` (a real run's generations 0..t) from the first.

        The jump its own sequence of level orders predicts (:class:`LevelOrderSwaps`) is taken out: the
        calibration is of the chain, and the jumps are simulated exactly.
        """
        drift = sum(b.measure(fits[-1], fits[0]) for b in self.blocks if not b.exact)
        if self.swaps is not None:
            drift -= self.swaps.observed(fits)
        return float(drift)
