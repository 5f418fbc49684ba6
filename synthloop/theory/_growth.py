"""Which schedules make the replace loop collapse [A*] (docs/theory.rst, "Gaussian estimation")."""

import numpy as np

from . import _validation as v
from ._schedule_spec import DEFAULTS, parse_schedule_string

_CLOSED_FORM = ("constant", "linear", "polynomial", "geometric")
_FAMILIES = _CLOSED_FORM + ("callable", "list")


def required_power(bias_exponent=1.0):
    r"""Boundary growth exponent of a polynomial schedule for a given estimator bias.

    If the estimator's error per generation is of order :math:`n^{-\gamma}` (variance
    :math:`1/n` gives :math:`\gamma = 1`; a bias of order :math:`n^{-\gamma}`, :math:`\gamma<1`,
    dominates it), the loop avoids collapse iff :math:`\sum_t n_t^{-\min(\gamma,1)} < \infty`.
    For :math:`n_t \propto t^{p}` this holds iff

    .. math::

        p > \frac{1}{\min(\gamma, 1)},

    so this function returns :math:`1/\min(\gamma,1)`: 1 for unbiased (or :math:`O(1/n)`
    biased, e.g. the Gaussian MLE) estimators, where [A] asks for :math:`O(t^{1+s})`, and
    larger for substantially biased ones ([A]: "substantial bias needs faster growth").
    Source: [A] abstract; the exponent is our derivation [A*] (docs/theory.rst, "Gaussian estimation").

    Parameters
    ----------
    bias_exponent : float or array_like, default=1.0
        :math:`\gamma > 0`.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from synthloop.theory import required_power
    >>> float(required_power(1.0)), float(required_power(0.5)), float(required_power(2.0))
    (1.0, 2.0, 1.0)
    """
    gamma = v.positive(bias_exponent, "required_power", "bias_exponent")
    out = 1.0 / np.minimum(gamma, 1.0)
    return out[()] if out.ndim == 0 else out


def _parse(schedule, owner):
    """(family, power, ratio) from a schedule string (synthloop's one grammar) or a schedule object."""
    if isinstance(schedule, str):
        try:
            family, params = parse_schedule_string(schedule)
        except ValueError as exc:
            raise ValueError(f"{owner}: {exc}") from None
        power, ratio = params.get("power"), params.get("ratio")
    elif hasattr(schedule, "family"):
        family = schedule.family
        power = getattr(schedule, "power", None)
        ratio = getattr(schedule, "ratio", None)
        if family not in _FAMILIES:
            raise ValueError(
                f"{owner}: schedule.family must be one of {', '.join(map(repr, _FAMILIES))}; "
                f"got {family!r}."
            )
    else:
        raise TypeError(
            f"{owner}: schedule must be a string such as 'polynomial:2.0' or an object with a "
            f"'family' attribute (a synthloop schedule); got {schedule!r}."
        )
    if family not in _CLOSED_FORM:
        raise ValueError(
            f"{owner}: a {family} schedule cannot be decided in closed form; compute "
            "sum(n_t ** -gamma) over its sizes, or simulate the loop."
        )
    power = DEFAULTS["polynomial"]["power"] if power is None else power
    ratio = DEFAULTS["geometric"]["ratio"] if ratio is None else ratio
    if family == "polynomial":
        v.positive(power, owner, "the polynomial schedule's power")
    if family == "geometric":
        ratio = v.as_float_array(ratio, owner, "ratio", "a number > 1")
        v.check(ratio, np.isfinite(ratio) & (ratio > 1), owner, "the geometric schedule's ratio", "> 1")
    return family, float(power), float(ratio)


def collapses(schedule, *, bias_exponent=1.0):
    r"""Whether the replace loop collapses (:math:`\hat\sigma^2_t \to 0` a.s.) under a schedule.

    Collapse happens iff

    .. math::

        \sum_{t\ge1} n_t^{-\gamma} = \infty, \qquad \gamma = \min(\text{bias\_exponent}, 1),

    which for the schedule families of docs/theory.rst, "The loop" gives: constant and linear always
    collapse; geometric (ratio > 1) never; polynomial :math:`n_t = \lceil n t^{p}\rceil`
    collapses iff :math:`p \le` :func:`required_power` ``(bias_exponent)``. For the Gaussian
    (``bias_exponent=1``) this is :math:`\sum_t 1/n_t = \infty`, the condition under which the
    drift :math:`\sum_t m_t` of :func:`gaussian_log_variance_moments` diverges. Source: [A]
    abstract (growing sizes are necessary; superlinear growth suffices for unbiased
    estimators); the criterion is our derivation [A*] (docs/theory.rst, "Gaussian estimation").

    Parameters
    ----------
    schedule : str or schedule object
        ``"constant"``, ``"linear"``, ``"polynomial"`` (power 1.5), ``"polynomial:2.0"``,
        ``"geometric"`` (ratio 2), ``"geometric:1.5"``; or any object with a ``family``
        attribute in {"constant", "linear", "polynomial", "geometric", "callable", "list"}
        and, as relevant, ``power`` / ``ratio`` attributes (synthloop's schedules have them).
        A callable or list schedule raises ``ValueError``: it cannot be decided in closed form.
    bias_exponent : float or array_like, default=1.0
        :math:`\gamma > 0`: the estimator's error per generation is of order
        :math:`n^{-\gamma}`.

    Returns
    -------
    bool or ndarray of bool

    Examples
    --------
    >>> from synthloop.theory import collapses
    >>> collapses("constant"), collapses("linear"), collapses("polynomial:1.5")
    (True, True, False)
    >>> collapses("polynomial:1.5", bias_exponent=0.5)
    True
    """
    owner = "collapses"
    family, power, _ = _parse(schedule, owner)
    gamma = np.minimum(v.positive(bias_exponent, owner, "bias_exponent"), 1.0)
    if family in ("constant", "linear"):
        out = np.ones(gamma.shape, dtype=bool)
    elif family == "geometric":
        out = np.zeros(gamma.shape, dtype=bool)
    else:
        out = power * gamma <= 1.0
    return bool(out) if out.ndim == 0 else out
