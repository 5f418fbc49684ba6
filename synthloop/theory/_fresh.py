"""Fresh real data with weights (He, Xu and Cheng 2025; docs/theory.rst, "Fresh real data, weighted").

Every generation ``t >= 1`` fits ``n`` new real samples with weight ``w`` and ``m`` samples of
generation ``t - 1`` with weight ``1 - w``: for empirical frequencies (or any mean)
``q_t = w r_t / n + (1 - w) s_t / m``. Generation 0 is the truth (a fit on the whole table).
"""

import numpy as np

from . import _validation as v


def _weight(w, owner):
    arr = v.as_float_array(w, owner, "w", "a weight in (0, 1]")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr > 0) & (arr <= 1)
    return v.check(arr, ok, owner, "w", "in (0, 1] (the real rows' share of the weight)")


def _out(arr):
    arr = np.asarray(arr)
    return arr[()] if arr.ndim == 0 else arr


def fresh_weighted_mse(w, n, m, n_generations, variance=1.0):
    r"""Exact :math:`\mathbb{E}\|q_t - p\|^2` of empirical frequencies refit on fresh and synthetic data.

    Generation 0 is ``p`` itself; generation ``t`` is
    :math:`q_t = w\,r_t/n + (1-w)\,s_t/m` with :math:`r_t \sim \mathrm{Mult}(n, p)` fresh real counts
    and :math:`s_t \sim \mathrm{Mult}(m, q_{t-1})` synthetic ones. Since :math:`\mathbb{E} q_t = p` and
    :math:`\mathbb{E}\,\mathrm{Var}(s_t/m \mid q_{t-1}) = (V - E_{t-1})/m` with
    :math:`V = \sum_k p_k(1-p_k) = 1 - \sum_k p_k^2`,

    .. math::

       E_t = \rho\,E_{t-1} + V\Big(\frac{w^2}{n} + \frac{(1-w)^2}{m}\Big), \qquad
       \rho = (1-w)^2\Big(1 - \frac1m\Big), \qquad E_0 = 0,

    so :math:`E_t = E_\infty (1 - \rho^t)` with
    :math:`E_\infty = V (w^2/n + (1-w)^2/m) / (1 - \rho)`. For one level (a Bernoulli) ``variance`` is
    :math:`p(1-p)`.

    Parameters
    ----------
    w : float or array-like in (0, 1]
        The real rows' share of the weight.
    n, m : int >= 1
        Fresh real and synthetic rows per generation.
    n_generations : int >= 0
    variance : float > 0, default=1.0
        ``V``, the loss of one real sample (``1 - sum(p**2)`` for frequencies).

    Returns
    -------
    ndarray of shape (..., n_generations + 1)
        ``E_0, ..., E_T`` along the last axis.

    Examples
    --------
    >>> from synthloop.theory import fresh_weighted_mse
    >>> fresh_weighted_mse(1.0, 500, 500, 2, variance=0.5)  # real rows only: V / n from generation 1
    array([0.   , 0.001, 0.001])
    """
    owner = "fresh_weighted_mse"
    w = _weight(w, owner)
    n = v.integers(n, owner, "n", minimum=1)
    m = v.integers(m, owner, "m", minimum=1)
    T = int(v.integers(n_generations, owner, "n_generations", minimum=0))
    V = v.positive(variance, owner, "variance")
    rho = (1 - w) ** 2 * (1 - 1 / m)
    limit = V * (w**2 / n + (1 - w) ** 2 / m) / (1 - rho)
    t = np.arange(T + 1)
    return _out(np.asarray(limit)[..., None] * (1 - np.asarray(rho)[..., None] ** t))


def fresh_relative_loss(w, n_over_m=1.0):
    r"""He, Xu and Cheng's stationary loss of the weighted fresh-data loop over the real-only loss.

    To first order in ``1/m`` (the limit of :func:`fresh_weighted_mse` over :math:`V/n`, the loss of a
    fit on the ``n`` fresh rows alone), for any asymptotically normal estimator refit on ``n`` real
    and ``m`` synthetic rows:

    .. math::

       \frac{w^2 + (1-w)^2\,n/m}{w(2-w)}, \qquad n = m:\ \frac{w^2 + (1-w)^2}{w(2-w)},

    which is smallest at :math:`w = 1/\varphi \approx 0.618`, where it equals :math:`1/\varphi`.

    Parameters
    ----------
    w : float or array-like in (0, 1]
    n_over_m : float > 0, default=1.0
        Fresh real rows per synthetic row.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import fresh_relative_loss
    >>> golden = 2 / (1 + 5 ** 0.5)
    >>> round(float(fresh_relative_loss(golden)), 6) == round(golden, 6)
    True
    >>> float(fresh_relative_loss(1.0))  # the real rows alone
    1.0
    """
    owner = "fresh_relative_loss"
    w = _weight(w, owner)
    ratio = v.positive(n_over_m, owner, "n_over_m")
    return _out((w**2 + (1 - w) ** 2 * ratio) / (w * (2 - w)))


def fresh_optimal_weight(n_over_m=1.0):
    r"""The real-data weight that minimises :func:`fresh_relative_loss`: :math:`(\sqrt{k^2 + 4k} - k)/2`, :math:`k = n/m`.

    He, Xu and Cheng's optimal weight; :math:`k = 1` (as many synthetic rows as fresh ones) gives
    :math:`1/\varphi`.

    Parameters
    ----------
    n_over_m : float > 0, default=1.0

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import fresh_optimal_weight
    >>> round(float(fresh_optimal_weight()), 4)
    0.618
    """
    k = v.positive(n_over_m, "fresh_optimal_weight", "n_over_m")
    return _out((np.sqrt(k**2 + 4 * k) - k) / 2)
