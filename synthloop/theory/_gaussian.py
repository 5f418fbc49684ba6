"""Gaussian estimation under the replace (fully synthetic) loop [A*] (docs/theory.rst, "Gaussian estimation").

Index convention (synthloop's, used everywhere): ``sizes = (n_0, n_1, ..., n_T)``; generation
0 is fit on the ``n_0`` real rows, generation ``g >= 1`` on ``n_g`` rows drawn from generation
``g - 1``. Every function returns one value per generation ``0..T`` along the last axis, so
``sigma_hat^2`` "after T generations" is a product of T+1 factors. [A] counts the same way
(its estimate at step 0 is fit on real data); its abstract gives the framework, the formulas
are our derivations [A*], each checked by simulation in ``tests/theory``.
"""

import numpy as np
from scipy import special

from . import _validation as v
from ._logchi2 import cumulative_cdf, log_chi2_moments


def _leading(value, sizes_arr):
    """Broadcast a per-scenario parameter against the leading (non-generation) axes."""
    return np.asarray(value, dtype=float)[..., None] * np.ones_like(sizes_arr)


def gaussian_expected_variance(sizes, *, ddof=1, var=1.0):
    r"""Expected fitted variance after each generation of the Gaussian replace loop.

    .. math::

        \mathbb{E}\,\hat\sigma^2_g = \sigma^2 \prod_{t=0}^{g} \frac{n_t - 1}{n_t - \mathrm{ddof}},
        \qquad g = 0, \dots, T,

    because :math:`\hat\sigma^2_t = \hat\sigma^2_{t-1} W_t` with independent
    :math:`W_t = \chi^2_{n_t-1}/(n_t-\mathrm{ddof})` and :math:`\hat\sigma^2_{-1} = \sigma^2`.
    Constant for the unbiased estimator (``ddof=1``), geometric decay for the MLE
    (``ddof=0``). Source: [A*] (docs/theory.rst, "Gaussian estimation"), exact for any sizes.

    Parameters
    ----------
    sizes : array_like of int, shape (..., T+1)
        ``(n_0, n_1, ..., n_T)``: ``n_0`` real rows, then the rows drawn at each generation
        (what ``schedule.sizes(...)`` returns). Integers >= 2. A plain number is one
        generation. Leading axes are independent scenarios.
    ddof : float, default=1
        Delta degrees of freedom of the variance estimator, in ``[0, min(sizes))``.
    var : float or array_like, default=1.0
        True variance :math:`\sigma^2 > 0`; broadcast against the leading axes of ``sizes``.

    Returns
    -------
    ndarray, shape (..., T+1)
        The cumulative products: entry ``g`` is the expectation after generation ``g``.

    Examples
    --------
    >>> from synthloop.theory import gaussian_expected_variance
    >>> gaussian_expected_variance([10, 10, 10], ddof=1)
    array([1., 1., 1.])
    >>> gaussian_expected_variance([10, 10, 10], ddof=0).round(4)
    array([0.9  , 0.81 , 0.729])
    """
    owner = "gaussian_expected_variance"
    n = v.sizes(sizes, owner)
    d = v.ddof(ddof, n.min(), owner)
    var = v.positive(var, owner, "var")
    return _leading(var, n) * np.cumprod((n - 1.0) / (n - d), axis=-1)


def gaussian_log_variance_moments(sizes, *, ddof=1):
    r"""Mean and variance of :math:`\log(\hat\sigma^2_g/\sigma^2)` after each generation.

    :math:`\log(\hat\sigma^2_g/\sigma^2) = \sum_{t=0}^{g} \log W_t` is a sum of independent
    log-:math:`\chi^2` terms with :math:`k_t = n_t - 1`,

    .. math::

        m_t = \psi(k_t/2) - \ln(k_t/2) + \ln\frac{k_t}{n_t - \mathrm{ddof}}, \qquad
        v_t = \psi'(k_t/2),

    (:math:`\psi` digamma, :math:`\psi'` trigamma), so the returned arrays are
    :math:`\sum_{t\le g} m_t` and :math:`\sum_{t\le g} v_t`. The median of
    :math:`\hat\sigma^2_g` goes to 0 iff :math:`\sum_t 1/n_t = \infty`, since
    :math:`m_t \approx -(2-\mathrm{ddof})/n_t` and :math:`v_t \approx 2/n_t` (the MLE's
    bias doubles the drift).
    Source: [A*] (docs/theory.rst, "Gaussian estimation"), exact.

    Parameters
    ----------
    sizes : array_like of int, shape (..., T+1)
        ``(n_0, ..., n_T)``, integers >= 2.
    ddof : float, default=1
        Delta degrees of freedom, in ``[0, min(sizes))``.

    Returns
    -------
    mean, variance : ndarray, shape (..., T+1)
        Cumulative sums over generations ``0..g``.

    Examples
    --------
    >>> from synthloop.theory import gaussian_log_variance_moments
    >>> mean, variance = gaussian_log_variance_moments([100] * 3)
    >>> mean.round(4), variance.round(4)
    (array([-0.0101, -0.0203, -0.0304]), array([0.0204, 0.0408, 0.0612]))
    """
    owner = "gaussian_log_variance_moments"
    n = v.sizes(sizes, owner)
    d = v.ddof(ddof, n.min(), owner)
    m, var = log_chi2_moments(n, d)
    return np.cumsum(m, axis=-1), np.cumsum(var, axis=-1)


def gaussian_variance_collapse_probability(sizes, eps, *, ddof=1, var=1.0, method="exact"):
    r"""Probability that the fitted variance has fallen below ``eps`` after each generation.

    .. math::

        P(\hat\sigma^2_g \le \varepsilon)
        = P\Big(\sum_{t=0}^{g} \log W_t \le \ln(\varepsilon/\sigma^2)\Big),
        \qquad W_t = \chi^2_{n_t-1}/(n_t-\mathrm{ddof}) \text{ independent.}

    ``method="exact"`` computes the distribution of the sum by convolving the g+1 log-chi2
    densities in the Fourier domain: the exact characteristic function of each term,
    :math:`e^{iu(\ln 2 - \ln(n_t-\mathrm{ddof}))}\,\Gamma(k_t/2+iu)/\Gamma(k_t/2)`, is
    multiplied on a frequency grid (a cumulative product, so every generation costs the same
    pass) and inverted with the trapezoid-rule Gil-Pelaez series (the periodic FFT-grid
    inversion, integrated to the distribution function analytically). The grid is chosen so
    that aliasing (< 1e-15) and truncation (modulus below 1e-17) are negligible: the result agrees
    with ``scipy.stats.chi2.cdf`` to ~1e-13 for one generation. Probabilities more than 60
    standard deviations from the median are returned as exactly 0 or 1 (error < 1e-25).
    The [A] Figure-3 grid (n_0 = 100, T = 500, four schedules, two ddofs) takes ~50 ms.

    ``method="normal"`` is the central-limit approximation
    :math:`\Phi\big((\ln(\varepsilon/\sigma^2) - \sum_{t\le g} m_t)/\sqrt{\sum_{t\le g} v_t}\big)`
    with the digamma/trigamma moments of :func:`gaussian_log_variance_moments`; its error
    is of the order of the skewness, about :math:`\sqrt{2/\sum_t n_t}`.

    Source: [A*] (docs/theory.rst, "Gaussian estimation"); [A] Figure 3 reports this probability by simulation
    (the percentage of replications with :math:`\hat\sigma^2_T \le 0.05`).

    Parameters
    ----------
    sizes : array_like of int, shape (..., T+1)
        ``(n_0, ..., n_T)``, integers >= 2.
    eps : float or array_like
        Threshold :math:`\varepsilon > 0`; broadcast against the leading axes of ``sizes``.
    ddof : float, default=1
        Delta degrees of freedom, in ``[0, min(sizes))``.
    var : float or array_like, default=1.0
        True variance :math:`\sigma^2 > 0`; broadcast like ``eps``.
    method : {"exact", "normal"}, default="exact"

    Returns
    -------
    ndarray, shape (..., T+1)
        Entry ``g`` is :math:`P(\hat\sigma^2_g \le \varepsilon)`, for every generation.

    Examples
    --------
    >>> from synthloop.theory import gaussian_variance_collapse_probability
    >>> sizes = [100] * 501                   # constant schedule, T = 500
    >>> p = gaussian_variance_collapse_probability(sizes, 0.05)
    >>> round(float(p[-1]), 3)
    0.742
    >>> q = gaussian_variance_collapse_probability(sizes, 0.05, method="normal")
    >>> round(float(q[-1]), 3)
    0.743
    """
    owner = "gaussian_variance_collapse_probability"
    if method not in ("exact", "normal"):
        raise ValueError(f"{owner}: method must be 'exact' or 'normal'; got {method!r}.")
    n = v.sizes(sizes, owner)
    d = v.ddof(ddof, n.min(), owner)
    eps = v.positive(eps, owner, "eps")
    var = v.positive(var, owner, "var")
    x = np.log(eps) - np.log(var)
    shape = np.broadcast_shapes(x.shape + (1,), n.shape)
    if method == "normal":
        mean, variance = gaussian_log_variance_moments(n, ddof=d)
        return special.ndtr((x[..., None] - mean) / np.sqrt(variance)) * np.ones(shape)

    n_rows = np.broadcast_to(n, shape).reshape(-1, shape[-1])
    x_rows = np.broadcast_to(x[..., None], shape)[..., 0].reshape(-1)
    out = np.empty(n_rows.shape)
    # one Fourier pass per distinct schedule, for all its thresholds at once
    groups = {}
    for r, row in enumerate(n_rows):
        groups.setdefault(row.tobytes(), []).append(r)
    for rows in groups.values():
        out[rows] = cumulative_cdf(n_rows[rows[0]], d, x_rows[rows])
    return out.reshape(shape)


def gaussian_mean_error_variance(sizes, *, var=1.0, ddof=None):
    r"""Variance of the mean's error :math:`\hat\mu_g - \mu` after each generation.

    With :math:`\sigma` known (``ddof=None``, the default) the error is exactly normal,

    .. math::

        \hat\mu_g - \mu \sim N\Big(0,\ \sigma^2 \big(\tfrac{1}{n_0} + \sum_{t=1}^{g} \tfrac{1}{n_t}\big)\Big).

    With :math:`\sigma` re-estimated each generation (``ddof`` given), the steps
    :math:`\hat\sigma_{t-1} Z_t/\sqrt{n_t}` stay uncorrelated, so the variance is
    :math:`\sigma^2\big(1/n_0 + \sum_{t=1}^{g} \mathbb{E}[\hat\sigma^2_{t-1}/\sigma^2]/n_t\big)`
    (equal to the known-sigma value for ``ddof=1``; smaller for the MLE), though the error is
    then no longer normal. Source: [A*] (docs/theory.rst, "Gaussian estimation"), exact.

    Parameters
    ----------
    sizes : array_like of int, shape (..., T+1)
        ``(n_0, ..., n_T)``, integers >= 2.
    var : float or array_like, default=1.0
        True variance :math:`\sigma^2 > 0`.
    ddof : None or float, default=None
        None: :math:`\sigma` known. A number: the loop re-estimates the variance with it.

    Returns
    -------
    ndarray, shape (..., T+1)

    Examples
    --------
    >>> from synthloop.theory import gaussian_mean_error_variance
    >>> gaussian_mean_error_variance([10, 20, 40])
    array([0.1  , 0.15 , 0.175])
    """
    owner = "gaussian_mean_error_variance"
    n = v.sizes(sizes, owner)
    var = v.positive(var, owner, "var")
    if ddof is None:
        factor = np.ones_like(n)
    else:
        d = v.ddof(ddof, n.min(), owner)
        ratio = np.cumprod((n - 1.0) / (n - d), axis=-1)
        # step t uses the variance fitted at generation t-1; step 0 uses sigma^2
        factor = np.concatenate([np.ones_like(n[..., :1]), ratio[..., :-1]], axis=-1)
    return _leading(var, n) * np.cumsum(factor / n, axis=-1)


def improvement_probability(sizes, *, dim=1):
    r"""Probability that recursive synthetic training beats real-only training.

    For the mean of a Gaussian with :math:`\sigma` known, with
    :math:`R_g = n_0 \sum_{t=1}^{g} 1/n_t`,

    .. math::

        P\big(|\hat\mu_g - \mu| < |\hat\mu_0 - \mu|\big) = \frac{1}{\pi}\arctan\frac{2}{\sqrt{R_g}}
        \quad (< 1/2).

    For a ``dim``-dimensional asymptotically normal estimator with its risk measured in the
    Fisher metric,

    .. math::

        P(\text{improve}) = \mathbb{E}_{\chi\sim\chi_d}\big[\Phi(-\sqrt{R_g}\,\chi/2)\big]
        = F_{t_d}\big(-\sqrt{d R_g}/2\big),

    the second form because :math:`Z/(\chi_d/\sqrt d)` is Student-t with d degrees of
    freedom; for ``dim=1`` it equals the arctan form (the Cauchy distribution function).
    Decreasing in ``dim`` and in :math:`R_g`. Source: [A*] (docs/theory.rst, "Gaussian estimation"), exact for the
    Gaussian mean, asymptotic otherwise; [A] states such a probability exists.

    Generation 0 is real-only training itself: the strict inequality cannot hold, and
    entry 0 is 0 (the formula's limit :math:`R \to 0` would be 1/2).

    Parameters
    ----------
    sizes : array_like of int, shape (..., T+1)
        ``(n_0, ..., n_T)``, integers >= 2.
    dim : int or array_like of int, default=1
        Dimension d >= 1 of the parameter; broadcast against the leading axes of ``sizes``.

    Returns
    -------
    ndarray, shape (..., T+1)

    Examples
    --------
    >>> from synthloop.theory import improvement_probability
    >>> improvement_probability([100, 100, 100]).round(4)
    array([0.    , 0.3524, 0.3041])
    >>> improvement_probability([100, 100, 100], dim=5).round(4)
    array([0.    , 0.1572, 0.0873])
    """
    owner = "improvement_probability"
    n = v.sizes(sizes, owner)
    dim = v.integers(dim, owner, "dim", minimum=1)
    ratio = np.cumsum(n[..., :1] / n, axis=-1) - 1.0  # R_g = n_0 * sum_{t=1..g} 1/n_t
    dim = _leading(dim, n)
    p = special.stdtr(dim, -np.sqrt(dim * ratio) / 2.0)
    p[..., 0] = 0.0
    return p


def gaussian_kl_risk(mean_hat, var_hat, *, mean=0.0, var=1.0):
    r"""Population risk of a fitted Gaussian: its KL divergence from the true one.

    .. math::

        \mathrm{KL}\big(N(\mu,\sigma^2)\,\|\,N(\hat\mu,\hat\sigma^2)\big)
        = \tfrac12\Big[\ln\frac{\hat\sigma^2}{\sigma^2}
          + \frac{\sigma^2 + (\hat\mu-\mu)^2}{\hat\sigma^2} - 1\Big],

    the expected excess negative log-likelihood on real data of the fitted model. [A] Figure 3
    reports its estimate. Source: [A*] (docs/theory.rst, "Gaussian estimation"); standard closed form.

    Parameters
    ----------
    mean_hat, var_hat : array_like
        Fitted mean and variance (broadcast together). ``var_hat = 0`` (a collapsed fit)
        gives ``inf``.
    mean : float or array_like, default=0.0
    var : float or array_like, default=1.0
        True parameters, :math:`\sigma^2 > 0`.

    Returns
    -------
    ndarray or float

    Examples
    --------
    >>> from synthloop.theory import gaussian_kl_risk
    >>> float(gaussian_kl_risk(0.0, 1.0))
    0.0
    >>> round(float(gaussian_kl_risk(1.0, 2.0)), 4)
    0.3466
    """
    owner = "gaussian_kl_risk"
    mean_hat = v.as_float_array(mean_hat, owner, "mean_hat", "a finite number")
    v.check(mean_hat, np.isfinite(mean_hat), owner, "mean_hat", "finite")
    var_hat = v.as_float_array(var_hat, owner, "var_hat", "a number >= 0")
    with np.errstate(invalid="ignore"):
        v.check(var_hat, np.isfinite(var_hat) & (var_hat >= 0), owner, "var_hat", "finite and >= 0")
    mean = v.as_float_array(mean, owner, "mean", "a finite number")
    v.check(mean, np.isfinite(mean), owner, "mean", "finite")
    var = v.positive(var, owner, "var")
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = 0.5 * (np.log(var_hat / var) + (var + (mean_hat - mean) ** 2) / var_hat - 1.0)
    kl = np.where(var_hat == 0, np.inf, kl)  # -inf + inf: the 1/var_hat term dominates
    return kl[()] if kl.ndim == 0 else kl
