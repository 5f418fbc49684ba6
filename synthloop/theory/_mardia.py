"""L1 drift bounds of the partially synthetic loop [B] (Lemma 1, Theorem 3, Eq. 11)."""

import numpy as np

from . import _validation as v

C0 = np.e**3 / (2.0 * np.pi)
C1 = 6.0 * np.e / np.pi**1.5


def _out(arr):
    arr = np.asarray(arr)
    return arr[()] if arr.ndim == 0 else arr


def mardia_phi(x):
    r"""The function :math:`\varphi(x) = \ln((1-x)/x)/(1-2x)` of Mardia et al.'s bound.

    In [B] Lemma 1 (Mardia et al. 2020) the exponent is :math:`n\,\varphi(\pi_p)\varepsilon^2/4`
    with :math:`\pi_p = \max_A \min(p(A), 1 - p(A))`; :math:`\varphi(1/2) = 2` by continuity,
    and :math:`\varphi(x) \ge 2` on (0, 1) (symmetric about 1/2). Computed as
    :math:`2\,\mathrm{artanh}(1-2x)/(1-2x)`, stable at 1/2.

    Parameters
    ----------
    x : float or array_like
        In (0, 1).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import mardia_phi
    >>> float(mardia_phi(0.5)), round(float(mardia_phi(0.25)), 4)
    (2.0, 2.1972)
    """
    x = v.unit_interval(x, "mardia_phi", "x")
    d = 1.0 - 2.0 * x
    safe = np.where(d == 0, 0.5, d)
    return _out(np.where(d == 0, 2.0, 2.0 * np.arctanh(safe) / safe))


def _log_G(n, s):
    region_a = s >= C0 * n / np.e + 2.0
    region_b = ~region_a & (s >= C0 * n / 4.0 + 2.0)
    log_a = np.log(C1 * s) + C0 * n / (2.0 * np.e)
    with np.errstate(divide="ignore"):
        log_b = np.log(C1 * s) + (s / 2.0) * np.log(C0 * n / s)
        # 2**s - 2 in logs: s ln 2 + log1p(-2**(1-s)); -inf at s = 1 (G = 0)
        log_c = s * np.log(2.0) + np.log1p(-(2.0 ** (1.0 - s)))
    return np.where(region_a, log_a, np.where(region_b, log_b, log_c))


def mardia_G(n, s):
    r"""The factor :math:`G_n(s)` of the L1 concentration bound of Mardia et al. (2020).

    [B] Lemma 1: for the empirical distribution :math:`\hat p` of n samples on s symbols,
    :math:`P(\|\hat p - p\|_1 \ge \varepsilon) \le e^{-n\varphi(\pi_p)\varepsilon^2/4}\,G_n(s)`
    with :math:`C_0 = e^3/(2\pi)`, :math:`C_1 = 6e/\pi^{3/2}` and

    .. math::

        G_n(s) = \begin{cases}
            C_1\, s\, e^{C_0 n/(2e)} & s \ge C_0 n/e + 2, \\
            C_1\, s\, (C_0 n/s)^{s/2} & C_0 n/4 + 2 \le s < C_0 n/e + 2, \\
            2^s - 2 & s < C_0 n/4 + 2.
        \end{cases}

    Values beyond the float range are returned as ``inf``.

    Parameters
    ----------
    n : int or array_like of int
        Number of samples, >= 1.
    s : int or array_like of int
        Alphabet size, >= 1.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import mardia_G
    >>> round(float(mardia_G(100, 2)), 6), round(float(mardia_G(100, 10)), 6)
    (2.0, 1022.0)
    """
    owner = "mardia_G"
    n = v.integers(n, owner, "n", minimum=1)
    s = v.integers(s, owner, "s", minimum=1)
    with np.errstate(over="ignore"):
        return _out(np.exp(_log_G(n, s)))


def drift_l1_bound(N, n, s):
    r"""[B] Theorem 3: bound on the expected L1 drift from the first model.

    For the partially synthetic loop (N real samples reused, n synthetic per generation) on
    s tokens, for [B]'s :math:`m \ge 2`, i.e. synthloop's generations :math:`g \ge 1`
    (the drift is 0 at generation 0),

    .. math::

        \mathbb{E}\,\|p^{(m)} - p^{(1)}\|_1 < \frac{1}{N}\sqrt{\frac{\pi n}{2}}\;G_n(s),

    uniformly in m, with :math:`G_n(s)` from :func:`mardia_G`. Very loose at moderate sizes
    (above 2, hence vacuous, at N = 100, s = 600, n = 10); compare with the exact
    :func:`drift_l2_squared`.

    Parameters
    ----------
    N : int or array_like of int
        Real samples, >= 1.
    n : int or array_like of int
        Synthetic samples per generation, >= 1.
    s : int or array_like of int
        Number of tokens, >= 1.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import drift_l1_bound
    >>> round(float(drift_l1_bound(100, 10, 2)), 4)
    0.0793
    >>> bool(drift_l1_bound(100, 10, 600) > 2)
    True
    """
    owner = "drift_l1_bound"
    N = v.integers(N, owner, "N", minimum=1)
    n = v.integers(n, owner, "n", minimum=1)
    s = v.integers(s, owner, "s", minimum=1)
    with np.errstate(over="ignore"):
        return _out(np.exp(_log_G(n, s) + 0.5 * np.log(np.pi * n / 2.0) - np.log(N)))


def max_synthetic_size(N, s, eps):
    r"""Largest synthetic size for which [B] Eq. (11) guarantees an L1 drift below ``eps``.

    [B] Eq. (11): in the regime :math:`s \ge C_0 n/e + 2` (where
    :math:`G_n(s) = C_1 s e^{C_0 n/(2e)}`), taking

    .. math::

        n \le 2\pi e^{-2} \min\Big[s - 2,\ \ln\frac{\sqrt{2\pi}\,N\varepsilon}{6 e s}\Big]

    keeps the Theorem 3 bound below :math:`\varepsilon` ("synthetic data should be
    exponentially smaller than real data"). Since :math:`2\pi e^{-2} = e/C_0`, the first
    term of the min is exactly the regime condition, so the returned n always satisfies it
    (checked). The guarantee is sufficient, not necessary. Returns the floor of the right
    side, or 0 when no n >= 1 is guaranteed (for instance when
    :math:`\sqrt{2\pi}N\varepsilon \le 6es`).

    Parameters
    ----------
    N : int or array_like of int
        Real samples, >= 1.
    s : int or array_like of int
        Number of tokens, >= 1.
    eps : float or array_like
        Target expected L1 drift, > 0.

    Returns
    -------
    int or ndarray of int

    Examples
    --------
    >>> from synthloop.theory import max_synthetic_size, drift_l1_bound
    >>> n = max_synthetic_size(10**6, 100, 0.1)
    >>> int(n), bool(drift_l1_bound(10**6, n, 100) <= 0.1)
    (4, True)
    """
    owner = "max_synthetic_size"
    N = v.integers(N, owner, "N", minimum=1)
    s = v.integers(s, owner, "s", minimum=1)
    eps = v.positive(eps, owner, "eps")
    log_term = np.log(np.sqrt(2.0 * np.pi) * N * eps / (6.0 * np.e * s))
    bound = 2.0 * np.pi * np.exp(-2.0) * np.minimum(s - 2.0, log_term)
    n_max = np.maximum(np.floor(bound), 0.0)
    # the regime condition of Eq. (11) holds by construction; keep it honest
    assert np.all((n_max == 0) | (s >= C0 * n_max / np.e + 2.0))
    return _out(n_max.astype(np.int64))
