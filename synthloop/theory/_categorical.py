"""Categorical (next-token) model, fully synthetic loop [B] (docs/theory.rst, "Categorical (next-token) model").

Index mapping. [B] numbers its models ``p^(m)``: ``p^(0) = p`` is the truth and ``p^(1)`` is
fit on the real samples. synthloop's generation ``g`` is [B]'s ``m = g + 1``: generation 0 is
fit on the real rows. Every ``generation`` argument and every returned time below is in
synthloop's index; each docstring gives the paper's formula and the substitution.
"""

import numpy as np

from . import _validation as v


def _s0_any(S0, owner):
    arr = v.as_float_array(S0, owner, "S0", "a number in (0, 1]")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr > 0) & (arr <= 1)
    return v.check(arr, ok, owner, "S0", "in (0, 1] (a collision probability, sum(p**2))")


def _out(arr):
    return arr[()] if arr.ndim == 0 else arr


def collision_probability(p):
    r"""Collision probability :math:`\sigma = \|p\|_2^2 = \sum_i p_i^2` of a distribution.

    [B] uses it as the collapse statistic: it is 1 exactly at a Dirac mass and
    :math:`1/s` for the uniform distribution on ``s`` tokens; ``S_0`` is its value at the
    truth. Source: [B] section 3.

    Parameters
    ----------
    p : array_like, shape (..., s)
        Probability vectors along the last axis.

    Returns
    -------
    float or ndarray, shape (...)

    Examples
    --------
    >>> from synthloop.theory import collision_probability
    >>> float(collision_probability([0.5, 0.5]))
    0.5
    """
    p = v.probability_vectors(p, "collision_probability")
    return _out(np.sum(p * p, axis=-1))


def categorical_summary(p):
    r"""``(S0, support)`` of a distribution: :math:`\sum_i p_i^2` and :math:`|\{i: p_i>0\}|`.

    The two numbers the fully synthetic bounds of [B] Theorem 1 need.

    Parameters
    ----------
    p : array_like, shape (..., s)

    Returns
    -------
    S0 : float or ndarray, shape (...)
    support : int or ndarray of int, shape (...)

    Examples
    --------
    >>> from synthloop.theory import categorical_summary
    >>> S0, support = categorical_summary([0.5, 0.25, 0.25, 0.0])
    >>> float(S0), int(support)
    (0.375, 3)
    """
    p = v.probability_vectors(p, "categorical_summary")
    return _out(np.sum(p * p, axis=-1)), _out(np.count_nonzero(p > 0, axis=-1))


def fully_synthetic_collision(generation, n, S0):
    r"""Expected collision probability :math:`\mathbb{E}\,\sigma_g` in the fully synthetic loop.

    [B] Theorem 1: :math:`S_m = 1 - (1 - 1/n)^m (1 - S_0)`, every model fit on ``n`` samples
    of the previous one (including :math:`p^{(1)}`, fit on ``n`` real samples). With
    synthloop's generation :math:`g = m - 1`:

    .. math::

        \mathbb{E}\,\sigma_g = 1 - (1 - 1/n)^{g+1} (1 - S_0).

    Exact (the fitted distribution is a martingale and
    :math:`\mathbb{E}[1-\sigma' \mid p] = (1-1/n)(1-\|p\|^2)`). For sizes that change with
    the generation use :func:`fully_synthetic_collision_path`.

    Parameters
    ----------
    generation : int or array_like of int
        synthloop generation :math:`g \ge 0` ([B]'s :math:`m = g + 1`).
    n : int or array_like of int
        Samples drawn per generation, >= 1.
    S0 : float or array_like
        :math:`\sum_i p_i^2` of the truth, in (0, 1].

    Returns
    -------
    float or ndarray
        Broadcast over the three arguments.

    Examples
    --------
    >>> from synthloop.theory import fully_synthetic_collision
    >>> fully_synthetic_collision([0, 1, 9], 10, 0.2).round(4)
    array([0.28  , 0.352 , 0.7211])
    """
    owner = "fully_synthetic_collision"
    g = v.integers(generation, owner, "generation", minimum=0)
    n = v.integers(n, owner, "n", minimum=1)
    S0 = _s0_any(S0, owner)
    return _out(1.0 - (1.0 - 1.0 / n) ** (g + 1.0) * (1.0 - S0))


def fully_synthetic_collision_path(sizes, S0):
    r"""Expected collision probability after each generation, for any schedule of sizes.

    Generalises [B] Theorem 1 (all sizes equal to ``n``) to ``sizes = (n_0, ..., n_T)``:

    .. math::

        \mathbb{E}[1 - \sigma_g] = (1 - S_0) \prod_{t=0}^{g} (1 - 1/n_t), \qquad g = 0..T,

    since each step multiplies :math:`\mathbb{E}[1-\sigma]` by :math:`1 - 1/n_t`. With all
    sizes ``n`` this is :func:`fully_synthetic_collision` (our :math:`g` = [B]'s
    :math:`m - 1`).

    Parameters
    ----------
    sizes : array_like of int, shape (..., T+1)
        ``(n_0, ..., n_T)``, integers >= 1 (``n_0`` = real samples).
    S0 : float or array_like
        In (0, 1]; broadcast against the leading axes of ``sizes``.

    Returns
    -------
    ndarray, shape (..., T+1)

    Examples
    --------
    >>> from synthloop.theory import fully_synthetic_collision_path
    >>> fully_synthetic_collision_path([10, 10, 20], 0.2).round(4)
    array([0.28  , 0.352 , 0.3844])
    """
    owner = "fully_synthetic_collision_path"
    n = v.sizes(sizes, owner, minimum=1)
    S0 = _s0_any(S0, owner)
    return 1.0 - (1.0 - S0[..., None]) * np.cumprod(1.0 - 1.0 / n, axis=-1)


def fully_synthetic_collapse_probability_bounds(generation, n, S0, support):
    r"""Bounds on :math:`\rho_g`, the probability that generation g is a Dirac mass.

    [B] Theorem 1, with :math:`\rho_m = P(\|p^{(m)}\|_\infty = 1)` and :math:`\tilde s` the
    support size of the truth:

    .. math::

        1 - n(1-S_0)(1-1/n)^m \;\le\; \rho_m \;\le\;
        1 - \frac{1-S_0}{1-1/\tilde s}\,(1-1/n)^m,

    evaluated at [B]'s :math:`m = g + 1` for synthloop's generation ``g``. The lower bound
    is negative (vacuous) until :math:`(1-1/n)^m < 1/(n(1-S_0))`; it is returned clipped
    at 0. Conditions: every generation (including the first) is fit on ``n`` samples.

    Parameters
    ----------
    generation : int or array_like of int
        synthloop generation :math:`g \ge 0`.
    n : int or array_like of int
        Samples per generation, >= 1.
    S0 : float or array_like
        :math:`\sum_i p_i^2`, in ``[1/support, 1)``.
    support : int or array_like of int
        Support size :math:`\tilde s \ge 2` of the truth.

    Returns
    -------
    lower, upper : float or ndarray

    Examples
    --------
    >>> from synthloop.theory import fully_synthetic_collapse_probability_bounds
    >>> lo, hi = fully_synthetic_collapse_probability_bounds(99, 10, 0.5, 2)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.9999, 1.0)
    """
    owner = "fully_synthetic_collapse_probability_bounds"
    g = v.integers(generation, owner, "generation", minimum=0)
    n = v.integers(n, owner, "n", minimum=1)
    S0, s = v.collision(S0, support, owner)
    decay = (1.0 - 1.0 / n) ** (g + 1.0)
    lower = np.maximum(1.0 - n * (1.0 - S0) * decay, 0.0)
    upper = 1.0 - (1.0 - S0) / (1.0 - 1.0 / s) * decay
    lower, upper = np.broadcast_arrays(lower, upper)
    return _out(np.array(lower)), _out(np.array(upper))


def expected_collapse_time_bounds(n, S0, support):
    r"""Bounds on the expected collapse generation of the fully synthetic loop.

    [B] Theorem 1 bounds :math:`T = \inf\{m : \|p^{(m)}\|_\infty = 1\}` in its index:

    .. math::

        1 + \frac{(1-S_0)(n-1)}{1-1/\tilde s} \le \mathbb{E}[T] \le 1 + (1-S_0)\,n\,(n-1).

    synthloop reports the first generation ``G`` at which the fitted model is a Dirac mass,
    ``G = T - 1``, so this returns

    .. math::

        \frac{(1-S_0)(n-1)}{1-1/\tilde s} \le \mathbb{E}[G] \le (1-S_0)\,n\,(n-1).

    The upper bound is loose (quadratic in n where the truth is linear); see
    :func:`expected_collapse_time` for a sharp approximation. Conditions: every generation,
    including the first, is fit on ``n`` samples.

    Parameters
    ----------
    n : int or array_like of int
        Samples per generation, >= 1.
    S0 : float or array_like
        In ``[1/support, 1)``.
    support : int or array_like of int
        Support size >= 2 of the truth.

    Returns
    -------
    lower, upper : float or ndarray

    Examples
    --------
    >>> from synthloop.theory import expected_collapse_time_bounds
    >>> lo, hi = expected_collapse_time_bounds(100, 0.5, 2)
    >>> float(lo), float(hi)
    (99.0, 4950.0)
    """
    owner = "expected_collapse_time_bounds"
    n = v.integers(n, owner, "n", minimum=1)
    S0, s = v.collision(S0, support, owner)
    lower = (1.0 - S0) * (n - 1.0) / (1.0 - 1.0 / s)
    upper = (1.0 - S0) * n * (n - 1.0)
    lower, upper = np.broadcast_arrays(lower, upper)
    return _out(np.array(lower)), _out(np.array(upper))


def expected_collapse_time(p, n):
    r"""Wright-Fisher approximation of the expected collapse generation (fully synthetic).

    Resampling ``n`` tokens from the previous fit is the neutral Wright-Fisher model with
    ``n`` individuals; its diffusion limit gives the mean time to fixation of one token
    (Kimura's formula), in [B]'s index (steps from the truth :math:`p^{(0)} = p`):

    .. math::

        \mathbb{E}[T] \approx -2n \sum_i (1-p_i)\ln(1-p_i).

    This function returns synthloop's collapse generation ``G = T - 1``:
    :math:`-2n\sum_i (1-p_i)\ln(1-p_i) - 1`. It is our addition to [B] (docs/theory.rst, categorical model),
    far sharper than :func:`expected_collapse_time_bounds`, with an error of order 1/n. Measured
    against 4,000 simulated runs per point (``experiments/seddik2024_categorical``, Zipf
    distributions on 600 tokens restricted to 10 or 52 of them): it is too high by 10% (support 10)
    and 9% (support 52) at n = 10, by 3% and 0.4% at n = 50, and within 3% from n = 100 to 400
    (-0.5% to +2.7%). By [B] Proposition 1 the token that survives is
    ``i`` with probability :math:`p_i`.

    Parameters
    ----------
    p : array_like, shape (..., s)
        The true distribution(s), not already a Dirac mass.
    n : int or array_like of int
        Samples per generation, >= 1; broadcast against the leading axes of ``p``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import expected_collapse_time
    >>> round(float(expected_collapse_time([0.5, 0.5], 100)), 2)
    137.63
    """
    owner = "expected_collapse_time"
    p = v.probability_vectors(p, owner)
    n = v.integers(n, owner, "n", minimum=1)
    dirac = np.max(p, axis=-1) >= 1.0
    if np.any(dirac):
        raise ValueError(
            f"{owner}: p must not be a Dirac mass (the loop has collapsed before it starts); "
            "got a p with one entry equal to 1."
        )
    q = 1.0 - p
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0)
    return _out(-2.0 * n * np.sum(terms, axis=-1) - 1.0)
