"""Exact distribution function of a cumulative sum of independent log-chi-square terms.

For the Gaussian replace loop, ``log(sigma_hat_g^2 / sigma^2) = Y_0 + ... + Y_g`` with
independent ``Y_t = log(chi2_{k_t} / (n_t - ddof))``, ``k_t = n_t - 1``. The characteristic
function of one term is known in closed form,

    E exp(i u Y_t) = exp(i u (ln 2 - ln(n_t - ddof))) * Gamma(k_t/2 + i u) / Gamma(k_t/2),

so the convolution of the T+1 densities is a product in the Fourier domain, done exactly on
a frequency grid (the cumulative product over t gives every generation at once). The
distribution function is read off with the trapezoid rule applied to the Gil-Pelaez
inversion integral, which is the Fourier-series (periodic FFT-grid) inversion of the
convolved density, integrated analytically:

    F(x) ~= 1/2 + h (x - E S) / (2 pi) - (1/pi) sum_{j>=1} Im[exp(-i j h x) phi(j h)] / j.

Its only errors are (i) aliasing, equal to the mass farther than 2 pi / h from x, which the
window below makes < 1e-15, and (ii) truncation of the sum where |phi| < 1e-17. Working
with the exact characteristic function avoids the discretisation error of convolving
sampled densities, so the result is accurate to ~1e-12, not just to the grid spacing.
"""

import numpy as np
from scipy import special

_LOG_TOL = np.log(1e-17)  # |phi| below this is dropped from the series
_FAR = 60.0  # beyond 60 sd the probability is 0 or 1 to < 1e-25 (tails are at most exp(-1.1 z))
_WINDOW = 40.0  # half-window in sd beyond |x - mean|: aliasing < exp(-44)
_BLOCK_ELEMENTS = 1 << 18  # generations x frequencies per chunk (bounds memory)


def log_chi2_moments(n, ddof):
    """Per-term mean and variance of ``Y_t = log(chi2_{n_t-1} / (n_t - ddof))``."""
    a = (n - 1.0) / 2.0
    mean = special.digamma(a) - np.log(a) + np.log((n - 1.0) / (n - ddof))
    var = special.polygamma(1, a)
    return mean, var


def _u_max(a):
    """Frequency beyond which |E exp(iu log chi2_{2a})| < 1e-17 (it decreases in u and a)."""
    u = np.sqrt(-2.0 * _LOG_TOL / special.polygamma(1, a))  # Gaussian guess, an underestimate
    while special.loggamma(a + 1j * u).real - special.gammaln(a) > _LOG_TOL:
        u *= 1.5
    return float(u)


def cumulative_cdf(n, ddof, x):
    """``P(Y_0 + ... + Y_g <= x)`` for every generation g.

    Parameters
    ----------
    n : ndarray of shape (G,)
        Sizes ``n_0..n_{G-1}`` (floats holding integers >= 2).
    ddof : float
    x : ndarray of shape (X,)
        Thresholds on the log scale.

    Returns
    -------
    ndarray of shape (X, G)
    """
    mean_t, var_t = log_chi2_moments(n, ddof)
    mean = np.cumsum(mean_t)
    sd = np.sqrt(np.cumsum(var_t))
    y = x[:, None] - mean  # (X, G)
    z = y / sd
    out = np.where(z > 0, 1.0, 0.0)
    near = np.abs(z) <= _FAR
    if not near.any():
        return out

    half_width = np.max(np.where(near, np.abs(y) + _WINDOW * sd, 0.0))
    # The series is exact for |X - x| < 2 pi / h (the sawtooth identity); mass beyond wraps.
    h = 2.0 * np.pi / half_width
    first = int(np.argmax(near.any(axis=0)))
    # |phi_{<=g}| <= |phi_t| for t <= g, and |phi_t| decays fastest for the smallest n_t.
    u_max = _u_max((n[: first + 1].min() - 1.0) / 2.0)
    n_freq = int(np.ceil(u_max / h))

    # Generations are processed in chunks carrying the running log characteristic function;
    # |phi_{<=g}(u)| only shrinks with g and with u, so each chunk keeps just the prefix of
    # frequencies still above the tolerance (the work falls like 1/sqrt(g) for a constant
    # schedule instead of staying at n_freq per generation).
    series = np.zeros(y.shape)
    carry = np.zeros(n_freq, dtype=complex)
    active = n_freq
    uniq, inverse = np.unique(n, return_inverse=True)  # one loggamma per distinct size
    a_all = (uniq - 1.0) / 2.0
    shift_all = np.log(2.0) - np.log(uniq - ddof)
    lg_all = special.gammaln(a_all)
    g0 = 0
    while g0 < n.size and active > 0:
        # small chunks early (where the frequency prefix shrinks fastest), growing later
        g1 = min(n.size, g0 + max(1, min(_BLOCK_ELEMENTS // active, 4 + g0 // 4)))
        j = np.arange(1, active + 1, dtype=float)
        u = j * h
        present = np.zeros(uniq.size, dtype=bool)
        present[inverse[g0:g1]] = True
        used = np.flatnonzero(present)
        local = (np.cumsum(present) - 1)[inverse[g0:g1]]
        log_phi = (
            1j * u * shift_all[used, None]
            + special.loggamma(a_all[used, None] + 1j * u)
            - lg_all[used, None]
        )
        log_phi = carry[:active] + np.cumsum(log_phi[local], axis=0)  # convolution over t
        carry = log_phi[-1]
        for i in range(x.size):
            if near[i, g0:g1].any():
                # Im[exp(-i u x) phi(u)] / j, summed over the frequency grid
                series[i, g0:g1] = (np.exp(log_phi - 1j * u * x[i]).imag / j).sum(axis=1)
        alive = np.flatnonzero(carry.real > _LOG_TOL)
        active = int(alive[-1]) + 1 if alive.size else 0
        g0 = g1
    cdf = 0.5 + h * y / (2.0 * np.pi) - series / np.pi
    return np.where(near, np.clip(cdf, 0.0, 1.0), out)
