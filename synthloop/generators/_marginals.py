"""Marginals of the Gaussian copula: atoms on the latent normal line.

Every column is a sequence of *atoms* laid end to end on the standard normal
line: the missing value first (lowest latent values), then the observed
values in latent order. Atom ``k`` with probability ``p_k`` owns the latent
interval ``(e_k, e_{k+1}]`` with ``e = ndtri(cumsum([0, p]))``.

- Sampling maps a latent normal ``z`` to the atom whose interval holds it
  (``searchsorted`` on the edges), so an empirical marginal returns values
  from its support only, with exactly the fitted probabilities.
- The score of an atom (what ``transform`` returns and what the correlation
  is estimated from) is the conditional mean ``E[Z | e_k < Z <= e_{k+1}]
  = (phi(e_k) - phi(e_{k+1})) / p_k``: deterministic, order preserving, and
  the best predictor of the latent normal given the value.

A parametric marginal (``"norm"``, ``"beta"``, ``"truncnorm"``) keeps the
missing atom at the bottom and maps the rest of the line through the fitted
continuous CDF.
"""

import warnings

import numpy as np
from scipy import special, stats

__all__ = []

# Latent scores are clipped to +-ZMAX: ndtri(1e-16) is about -8.2, so no atom
# with a representable probability lies beyond it.
ZMAX = 8.5
# Number of Hermite terms used to invert the score correlation (see _hermite).
N_HERMITE = 50
# Score of a discrete level with no atom (never seen at fit): the latent mean
# E[Z] = 0, which is also the column's mean score (sum_k p_k E[Z | atom k] =
# E[Z]). Knowing nothing of where the level lies on the latent line, it is
# the best predictor of Z, and it gives a linear model downstream the
# column's average contribution rather than that of an arbitrary level.
UNKNOWN_SCORE = 0.0
_SQRT = np.sqrt(np.arange(N_HERMITE + 2, dtype=np.float64))


def _phi(z):
    out = np.exp(-0.5 * np.square(np.where(np.isfinite(z), z, 0.0))) / np.sqrt(2 * np.pi)
    return np.where(np.isfinite(z), out, 0.0)


def _hermite_coefficients(edges, means):
    """``c_n = E[s(Z) h_n(Z)]``, n = 1..N_HERMITE, for a step score function.

    ``s`` equals ``means[k]`` on ``(edges[k], edges[k+1]]``; ``h_n`` are the
    normalised Hermite polynomials ``He_n / sqrt(n!)``. By Mehler's formula
    two such scores of a bivariate normal with correlation ``rho`` have
    ``E[s_i s_j] = sum_n rho**n c_in c_jn``; ``c_1`` is the variance of the
    score. ``edges`` are the K-1 inner edges, ``means`` the K atom means.
    """
    t = np.asarray(edges, dtype=np.float64)
    jump = np.diff(means)
    keep = np.isfinite(t) & (jump != 0)
    t, jump = t[keep], jump[keep]
    # Elementwise sums, not BLAS dot products: a vector ``@`` wakes OpenBLAS
    # threads, which costs milliseconds per call on a busy machine.
    gj = _phi(t) * jump
    h_prev, h = np.zeros_like(t), np.ones_like(t)
    coef = np.empty(N_HERMITE)
    for n in range(1, N_HERMITE + 1):
        coef[n - 1] = np.sum(h * gj) / _SQRT[n]
        # h_n = (t h_{n-1} - sqrt(n-1) h_{n-2}) / sqrt(n)
        h_prev, h = h, (t * h - _SQRT[n - 1] * h_prev) / _SQRT[n]
    return coef


class EmpiricalMarginal:
    """Support values (or level codes) with probabilities, plus a missing atom.

    Parameters
    ----------
    support : ndarray
        Increasing values (numeric kinds: an unseen value is placed between
        atoms by ``scores``) or level codes in latent order (discrete kinds);
        only values with positive weight.
    probabilities : ndarray
        Their probabilities; ``missing + probabilities.sum() == 1``.
    missing : float
        Probability of a missing value (the lowest atom).
    discrete : bool
        Whether ``support`` holds level codes (missing is then -1).
    """

    def __init__(self, support, probabilities, missing, *, discrete):
        self.support = support
        self.probabilities = probabilities
        self.missing = float(missing)
        self.discrete = discrete
        p = np.concatenate([[self.missing], probabilities])
        cum = np.cumsum(p)
        cum /= cum[-1]
        inner = cum[:-1]  # the K inner edges for K + 1 atoms, in probability
        self.edges = special.ndtri(np.clip(inner, 0.0, 1.0))
        lo = np.concatenate([[-np.inf], self.edges])
        hi = np.concatenate([self.edges, [np.inf]])
        with np.errstate(divide="ignore", invalid="ignore"):
            means = (_phi(lo) - _phi(hi)) / p
        # A zero-probability atom has no mass: its score is its (clipped) edge.
        means = np.where(p > 0, means, np.clip(lo, -ZMAX, ZMAX))
        self.means = np.clip(np.minimum(np.maximum(means, lo), hi), -ZMAX, ZMAX)
        self.variance = float(np.sum(p * np.square(self.means)))
        self.hermite = _hermite_coefficients(self.edges, self.means)
        if self.discrete:
            size = int(support.max()) + 1 if support.size else 0
            self._position = np.full(size, -1, dtype=np.int64)
            self._position[support] = np.arange(support.size)

    # ------------------------------------------------------------ latent maps
    def atoms(self, values):
        """Atom index of each value (0 is missing); -1 for a value not in the support."""
        if self.discrete:
            codes = np.asarray(values, dtype=np.int64)
            out = np.zeros(codes.shape, dtype=np.int64)
            present = codes >= 0
            pos = np.full(codes.shape, -1, dtype=np.int64)
            inside = present & (codes < self._position.size)
            pos[inside] = self._position[codes[inside]]
            out[present] = np.where(pos[present] >= 0, pos[present] + 1, -1)
            return out
        x = np.asarray(values, dtype=np.float64)
        out = np.zeros(x.shape, dtype=np.int64)
        present = ~np.isnan(x)
        idx = np.searchsorted(self.support, x[present])
        idx_c = np.minimum(idx, self.support.size - 1)
        hit = self.support[idx_c] == x[present]
        out[present] = np.where(hit, idx_c + 1, -1)
        return out

    def scores(self, values):
        """Deterministic latent scores: the atom's conditional mean.

        A numeric value between two atoms gets the edge between them, one
        below (above) the support the score of the lowest (highest) atom; a
        level code without an atom gets :data:`UNKNOWN_SCORE`.
        """
        atoms = self.atoms(values)
        out = self.means[np.maximum(atoms, 0)]
        unseen = atoms < 0
        if unseen.any() and self.discrete:
            out[unseen] = UNKNOWN_SCORE
        elif unseen.any():
            x = np.asarray(values, dtype=np.float64)[unseen]
            idx = np.searchsorted(self.support, x)  # atom idx + 1 lies above x
            below, above = idx == 0, idx == self.support.size
            z = self.edges[np.clip(idx, 0, self.edges.size - 1)]
            z = np.where(below, self.means[1], z)
            z = np.where(above, self.means[-1], z)
            out[unseen] = z
        return np.clip(out, -ZMAX, ZMAX)

    def from_latent(self, z):
        """Values (or codes) of the atoms holding the latent normals ``z``."""
        atom = np.searchsorted(self.edges, z, side="left")
        # side="left": z on an edge belongs to the atom below, as (e_k, e_k+1].
        # A zero-width atom is never hit, and missing never when its rate is 0.
        if self.discrete:
            return np.where(atom == 0, -1, self.support[np.maximum(atom - 1, 0)])
        return np.where(atom == 0, np.nan, self.support[np.maximum(atom - 1, 0)])

    def unknown_latent(self, z):
        """Where ``z`` is :data:`UNKNOWN_SCORE` (a discrete column's unknown level) and no atom scores it.

        A fitted level whose own score is exactly ``UNKNOWN_SCORE`` (the only
        level of a constant column, the middle level of an exactly symmetric
        one) keeps it, so that ``from_latent(scores(x))`` returns every fitted
        level.
        """
        if not self.discrete or np.any(self.means[1:][self.probabilities > 0] == UNKNOWN_SCORE):
            return np.zeros(np.shape(z), dtype=bool)
        return np.asarray(z) == UNKNOWN_SCORE

    def params(self):
        return {
            "missing": self.missing,
            "support": np.asarray(self.support, dtype=np.float64),
            "probabilities": self.probabilities.copy(),
        }


class ParametricMarginal:
    """A continuous family for the observed values, with a missing atom below.

    ``dist`` is a frozen scipy distribution; the latent normal ``z`` above the
    missing edge maps to ``dist.ppf((Phi(z) - missing) / (1 - missing))``.
    """

    discrete = False

    def __init__(self, family, dist, params, missing):
        self.family = family
        self.dist = dist
        self._params = np.asarray(params, dtype=np.float64)
        self.missing = float(missing)
        self.edges = special.ndtri(np.array([self.missing]))
        t = self.edges[0]
        tail = 1.0 - self.missing
        m0 = -_phi(t) / self.missing if self.missing > 0 else -ZMAX
        self.means = np.clip(np.array([m0]), -ZMAX, ZMAX)
        # E[s Z] = E[s^2] for s = missing mean below t, identity above: the
        # first-order (polyserial) Hermite coefficient; higher ones are 0.
        above = tail + (t * _phi(t) if np.isfinite(t) else 0.0)
        self.variance = float(self.missing * m0**2 + above) if self.missing > 0 else 1.0
        self.hermite = np.zeros(N_HERMITE)
        self.hermite[0] = self.variance

    def scores(self, values):
        x = np.asarray(values, dtype=np.float64)
        out = np.full(x.shape, self.means[0])
        present = ~np.isnan(x)
        u = self.missing + (1.0 - self.missing) * self.dist.cdf(x[present])
        z = special.ndtri(np.clip(u, 0.0, 1.0))
        out[present] = np.maximum(z, self.edges[0])
        return np.clip(out, -ZMAX, ZMAX)

    def from_latent(self, z):
        u = special.ndtr(z)
        missing = z <= self.edges[0]
        q = np.clip((u - self.missing) / max(1.0 - self.missing, 1e-300), 1e-12, 1 - 1e-12)
        x = self.dist.ppf(q)
        return np.where(missing, np.nan, x)

    def params(self):
        return {"missing": self.missing, "params": self._params.copy()}


# -------------------------------------------------------------------- fitting
def fit_parametric(family, values, weights, missing, name, owner):
    """Fit ``family`` to weighted support values; None (with a warning) if it cannot.

    The fits are closed form (``norm``: weighted mean and standard deviation;
    ``beta``: method of moments on the observed range; ``truncnorm``: moment
    matching on the observed range by a damped fixed-point iteration), so they
    never raise; a degenerate column (one value, non-finite moments) falls
    back to the empirical marginal.
    """
    total = weights.sum()
    reason = None
    if values.size < 2 or total <= 0:
        reason = "it has fewer than 2 distinct values"
    else:
        mean = float(np.sum(weights * values) / total)
        var = float(np.sum(weights * np.square(values - mean)) / total)
        lo, hi = float(values[0]), float(values[-1])
        if not (np.isfinite(mean) and np.isfinite(var) and var > 0):
            reason = "its moments are not finite"
    if reason is None:
        sd = np.sqrt(var)
        if family == "norm":
            return ParametricMarginal(family, stats.norm(mean, sd), [mean, sd], missing)
        if family == "beta":
            # Widen the range by half a gap so the extremes keep positive density.
            pad = (hi - lo) / (2 * max(values.size - 1, 1))
            loc, scale = lo - pad, (hi - lo) + 2 * pad
            m, v = (mean - loc) / scale, var / scale**2
            common = m * (1 - m) / v - 1
            if common > 0 and 0 < m < 1:
                a, b = m * common, (1 - m) * common
                return ParametricMarginal(family, stats.beta(a, b, loc=loc, scale=scale),
                                          [a, b, loc, scale], missing)
            reason = "the method-of-moments beta parameters are not positive"
        if family == "truncnorm":
            mu, s = mean, sd
            for _ in range(30):
                a, b = (lo - mu) / s, (hi - mu) / s
                m_t, v_t = stats.truncnorm.stats(a, b, loc=mu, scale=s, moments="mv")
                if not (np.isfinite(m_t) and np.isfinite(v_t) and v_t > 0):
                    mu, s = mean, sd
                    break
                mu += 0.5 * (mean - m_t)
                s *= (var / v_t) ** 0.25
                s = float(np.clip(s, sd * 1e-3, sd * 1e3))
            a, b = (lo - mu) / s, (hi - mu) / s
            return ParametricMarginal(family, stats.truncnorm(a, b, loc=mu, scale=s), [mu, s, lo, hi], missing)
    warnings.warn(
        f"{owner}: cannot fit a {family!r} marginal to column {name!r} because {reason}; "
        "using the empirical marginal for it.",
        UserWarning,
        stacklevel=4,
    )
    return None
