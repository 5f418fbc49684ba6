"""Categorical model, partially synthetic loop [B] (docs/theory.rst, "Categorical (next-token) model").

The same ``N`` real samples every generation plus ``n`` synthetic ones:
``p^(m+1) = N/(N+n) p^(1) + n/(N+n) p_hat(n samples from p^(m))``. [B]'s ``p^(1)`` (fit on
the real samples) is synthloop's generation 0, so [B]'s ``m`` is our generation ``m - 1``.
"""

import numpy as np

from . import _validation as v


def _constants(N, n):
    alpha = n / (N + n)
    beta = alpha * ((1.0 + 1.0 / N) * alpha - 1.0 / N)  # = alpha**2 (1 - 1/n)
    return alpha, beta


def _args(generation, N, n, S0, owner):
    g = v.integers(generation, owner, "generation", minimum=0)
    N = v.integers(N, owner, "N", minimum=1)
    n = v.integers(n, owner, "n", minimum=1)
    arr = v.as_float_array(S0, owner, "S0", "a number in (0, 1]")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr > 0) & (arr <= 1)
    S0 = v.check(arr, ok, owner, "S0", "in (0, 1] (a collision probability, sum(p**2))")
    return g, N, n, S0


def _out(arr):
    arr = np.asarray(arr)
    return arr[()] if arr.ndim == 0 else arr


def partially_synthetic_collision(generation, N, n, S0):
    r"""Expected collision probability :math:`\mathbb{E}\,\sigma_g` with fixed real data.

    [B] Theorem 2: with :math:`\alpha = n/(N+n)`,
    :math:`\beta = \alpha((1+1/N)\alpha - 1/N) = \alpha^2(1-1/n)` and
    :math:`D = 1 + (1+1/N)\alpha`, for :math:`m \ge 1`

    .. math::

        S_{m+1} = \frac{1}{N}\,\frac{1 + 2\alpha - (1-1/N)\,\alpha\,\beta^m}{D}
                + (1-1/N)\,S_0\,\frac{1 + \alpha + (\alpha/N)\,\beta^m}{D}.

    **Sign correction.** The printed paper appears to carry :math:`-(\alpha/N)\beta^m` in the
    second bracket. Its own recursion
    :math:`S_{m+1} = (1-\alpha^2) S_1 + \alpha^2/n + \beta S_m`, the exact
    :math:`S_1 = 1/N + (1-1/N) S_0` (which the ``+`` formula reproduces at :math:`m = 0`)
    and simulation all give ``+``, which is what is implemented (``tests/theory`` rejects
    the ``-`` sign by simulation).

    Index: synthloop's generation ``g`` is [B]'s model :math:`p^{(g+1)}`, so this returns
    the formula at :math:`m = g`; it holds for every :math:`g \ge 0` (``g = 0`` gives
    :math:`S_1`). :math:`S` increases to :func:`partially_synthetic_collision_bound`.

    Parameters
    ----------
    generation : int or array_like of int
        synthloop generation :math:`g \ge 0`.
    N : int or array_like of int
        Real samples (the same every generation), >= 1.
    n : int or array_like of int
        Synthetic samples per generation, >= 1.
    S0 : float or array_like
        :math:`\sum_i p_i^2` of the truth, in (0, 1].

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import partially_synthetic_collision
    >>> round(float(partially_synthetic_collision(0, 100, 10, 0.1)), 4)   # S_1 exactly
    0.109
    >>> round(float(partially_synthetic_collision(49, 100, 10, 0.1)), 4)
    0.1098
    """
    g, N, n, S0 = _args(generation, N, n, S0, "partially_synthetic_collision")
    alpha, beta = _constants(N, n)
    D = 1.0 + (1.0 + 1.0 / N) * alpha
    bm = beta**g
    first = (1.0 + 2.0 * alpha - (1.0 - 1.0 / N) * alpha * bm) / (N * D)
    second = (1.0 - 1.0 / N) * S0 * (1.0 + alpha + (alpha / N) * bm) / D
    return _out(first + second)


def partially_synthetic_collision_bound(N, n, S0):
    r"""Limit (and upper bound) :math:`1-\gamma` of the expected collision probability.

    [B] section 3.2 (after Theorem 2): :math:`S_m \le 1 - \gamma` for every m, with

    .. math::

        \gamma = \frac{(1-1/N)(1+\alpha)(1-S_0)}{1 + (1+1/N)\alpha},
        \qquad \alpha = \frac{n}{N+n},

    the :math:`m\to\infty` limit of Theorem 2: with real data in every generation there is
    no total collapse (:math:`\gamma > 0` whenever N >= 2 and :math:`S_0 < 1`). No
    generation index.

    Parameters
    ----------
    N, n : int or array_like of int
        Real and synthetic samples per generation, >= 1.
    S0 : float or array_like
        In (0, 1].

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import partially_synthetic_collision_bound
    >>> round(float(partially_synthetic_collision_bound(100, 10, 0.1)), 4)
    0.1098
    """
    _, N, n, S0 = _args(0, N, n, S0, "partially_synthetic_collision_bound")
    alpha, _ = _constants(N, n)
    gamma = (1.0 - 1.0 / N) * (1.0 + alpha) * (1.0 - S0) / (1.0 + (1.0 + 1.0 / N) * alpha)
    return _out(1.0 - gamma)


def drift_l2_squared(generation, N, n, S0):
    r"""Exact mean squared L2 drift :math:`\mathbb{E}\|p_g - p_0\|_2^2` from the first model.

    [B] section 3.2 (docs/theory.rst, "Categorical (next-token) model"): for the partially synthetic loop,

    .. math::

        \mathbb{E}\|p^{(m)} - p^{(1)}\|_2^2
        = \frac{\alpha^2 (1 - \mathbb{E}\sigma_1)}{n (1-\beta)}\,(1 - \beta^{m-1}),
        \qquad \mathbb{E}\sigma_1 = \frac1N + \Big(1-\frac1N\Big) S_0,

    from :math:`d_{m+1} = \alpha^2 (1 - \mathbb{E}\sigma_1)/n + \beta d_m`, :math:`d_1 = 0`.
    It also equals :math:`S_m - S_1` (the cross term vanishes because
    :math:`\mathbb{E}\langle p^{(1)}, p^{(m)}\rangle = S_1`). Index: synthloop's generation
    ``g`` is [B]'s :math:`m = g + 1`, so this returns the formula with
    :math:`1 - \beta^{g}`; 0 at ``g = 0``. Sharp, unlike the Theorem 3 L1 bound
    (:func:`drift_l1_bound`).

    Parameters
    ----------
    generation : int or array_like of int
        synthloop generation :math:`g \ge 0`.
    N, n : int or array_like of int
        Real and synthetic samples per generation, >= 1.
    S0 : float or array_like
        In (0, 1].

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import drift_l2_squared
    >>> round(float(drift_l2_squared(10, 100, 10, 0.1)), 6)
    0.000742
    """
    g, N, n, S0 = _args(generation, N, n, S0, "drift_l2_squared")
    alpha, beta = _constants(N, n)
    s1 = 1.0 / N + (1.0 - 1.0 / N) * S0
    return _out(alpha**2 * (1.0 - s1) / (n * (1.0 - beta)) * (1.0 - beta**g))
