"""Expansion schedules: how many synthetic rows generation ``t`` draws.

A schedule maps a generation ``t >= 1`` to a sample size ``n_t``. Generation 0 is
always fit on the ``n_real`` real rows, so ``sizes(T, n_real)[0] == n_real``.
Whether recursive training collapses is decided by ``sum_{t>=1} 1/n_t``
(docs/theory.rst, "Gaussian estimation"): it diverges for the constant and linear schedules and converges
for polynomial schedules with ``power > 1`` and for geometric schedules.

Schedules are scikit-learn style objects: ``__init__`` only stores its
arguments, the parameters are validated when the schedule is used, and
``get_params``/``set_params``/``clone`` work, so a schedule can be a parameter
of an estimator.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from .exceptions import SizeOverflowError
from .theory._schedule_spec import DEFAULTS, parse_schedule_string
from .theory._validation import check_integer
from .utils._sklearn_compat import Interval

__all__ = [
    "BaseSchedule",
    "ConstantSchedule",
    "LinearSchedule",
    "PolynomialSchedule",
    "GeometricSchedule",
    "CallableSchedule",
    "ListSchedule",
    "check_schedule",
    "MAX_SAMPLES",
]

#: Largest n_t a schedule may return; beyond it int64 arithmetic on sums of
#: sizes is no longer safe and no simulation could use the rows anyway.
MAX_SAMPLES = 2**62

_N_CONSTRAINT = [Interval(Integral, 1, None, closed="left"), None]


class BaseSchedule(BaseEstimator):
    """Base class of expansion schedules.

    Subclasses set the class attribute ``family`` and implement
    ``_sizes(t, n)``, the vectorised ``n_t`` for an int64 array of
    generations ``t >= 1`` and a base size ``n``; everything else (validation,
    ``sizes``, ``total_rows``, ``inverse_sum``) is shared, so the scalar and the
    vectorised paths give the same integers.

    Attributes
    ----------
    family : str
        One of ``"constant"``, ``"linear"``, ``"polynomial"``, ``"geometric"``,
        ``"callable"``, ``"list"``. :mod:`synthloop.theory` duck-types on it (and on
        ``power``/``ratio``).

    Examples
    --------
    >>> from synthloop.schedules import LinearSchedule
    >>> s = LinearSchedule()
    >>> s.family
    'linear'
    >>> s.sizes(3, n_real=100)
    array([100, 100, 200, 300])
    """

    family: str = ""
    _parameter_constraints: dict = {}

    # -- hooks -------------------------------------------------------------
    def _sizes(self, t, n):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- sklearn-style equality ------------------------------------------
    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return self.get_params(deep=False) == other.get_params(deep=False)

    def __hash__(self):
        params = self.get_params(deep=False)
        try:
            return hash((type(self), tuple(sorted(params.items()))))
        except TypeError:
            return hash(type(self))

    # -- public API ------------------------------------------------------
    def _base_n(self, n_real):
        n = getattr(self, "n", None)
        return n_real if n is None else int(n)

    def _checked_sizes(self, t, n_real):
        self._validate_params()
        name = type(self).__name__
        n_real = check_integer(n_real, "n_real", 1, name)
        out = self._sizes(t, self._base_n(n_real))
        return out

    def n_samples(self, generation, n_real):
        """Number of synthetic rows ``n_t`` drawn at generation ``t``.

        Parameters
        ----------
        generation : int
            The generation ``t >= 1`` (generation 0 is fit on the real rows).
        n_real : int
            Number of real rows ``n_0``; used as ``n`` when the schedule's
            ``n`` is None.

        Returns
        -------
        int
            ``n_t >= 1``.

        Examples
        --------
        >>> from synthloop.schedules import PolynomialSchedule
        >>> PolynomialSchedule(power=2).n_samples(3, n_real=100)
        900
        """
        name = type(self).__name__
        generation = check_integer(generation, "generation", 1, name)
        return int(self._checked_sizes(np.array([generation], dtype=np.int64), n_real)[0])

    def sizes(self, n_generations, n_real):
        """Sample sizes of generations ``0..n_generations``.

        Parameters
        ----------
        n_generations : int
            Number of synthetic generations ``T >= 0``.
        n_real : int
            Number of real rows ``n_0``.

        Returns
        -------
        ndarray of int64, shape (n_generations + 1,)
            Entry 0 is ``n_real``; entry ``t`` is ``n_t``.

        Examples
        --------
        >>> from synthloop.schedules import GeometricSchedule
        >>> GeometricSchedule(ratio=2.0, n=10).sizes(4, n_real=50)
        array([50, 10, 20, 40, 80])
        """
        name = type(self).__name__
        n_generations = check_integer(n_generations, "n_generations", 0, name)
        t = np.arange(1, n_generations + 1, dtype=np.int64)
        n_real_i = check_integer(n_real, "n_real", 1, name)
        rest = self._checked_sizes(t, n_real_i)
        return np.concatenate([np.array([n_real_i], dtype=np.int64), rest])

    def total_rows(self, n_generations, n_real):
        """Synthetic rows drawn over generations ``1..n_generations``.

        Returns
        -------
        int
            ``sum_{t=1..T} n_t`` as an exact Python int.

        Examples
        --------
        >>> from synthloop.schedules import LinearSchedule
        >>> LinearSchedule().total_rows(4, n_real=10)
        100
        """
        s = self.sizes(n_generations, n_real)[1:]
        if s.size and int(s.max()) * s.size >= 2**63:
            return sum(int(x) for x in s)
        return int(s.sum())

    def inverse_sum(self, n_generations, n_real):
        """``sum_{t=1..T} 1/n_t``, the quantity that decides collapse.

        Returns
        -------
        float

        Examples
        --------
        >>> from synthloop.schedules import ConstantSchedule
        >>> ConstantSchedule().inverse_sum(50, n_real=100)
        0.5
        """
        s = self.sizes(n_generations, n_real)[1:]
        return float(np.sum(1.0 / s.astype(np.float64)))


def _finish(values, owner, detail):
    """Ceil float sizes, refuse overflow, return int64."""
    values = np.ceil(values)
    too_big = ~(values <= MAX_SAMPLES)  # also catches inf/nan
    if np.any(too_big):
        i = int(np.argmax(too_big))
        raise SizeOverflowError(
            f"{owner}: n_t exceeds 2**62 at generation {i + 1} ({detail}); "
            "use fewer generations or a slower-growing schedule."
        )
    return values.astype(np.int64)


class ConstantSchedule(BaseSchedule):
    """``n_t = n`` for every generation.

    ``sum 1/n_t = T/n`` diverges linearly: the fully synthetic loop collapses.

    Parameters
    ----------
    n : int or None, default=None
        Sample size of every generation; None means the number of real rows.

    Examples
    --------
    >>> from synthloop.schedules import ConstantSchedule
    >>> ConstantSchedule().sizes(3, n_real=100)
    array([100, 100, 100, 100])
    >>> ConstantSchedule(n=20).n_samples(7, n_real=100)
    20
    """

    family = "constant"
    _parameter_constraints = {"n": _N_CONSTRAINT}

    def __init__(self, n=None):
        self.n = n

    def _sizes(self, t, n):
        return np.full(t.shape, n, dtype=np.int64)


class LinearSchedule(BaseSchedule):
    """``n_t = n * t``.

    ``sum 1/n_t ~ log(T)/n`` still diverges, slowly.

    Parameters
    ----------
    n : int or None, default=None
        Base size; None means the number of real rows.

    Examples
    --------
    >>> from synthloop.schedules import LinearSchedule
    >>> LinearSchedule(n=5).sizes(3, n_real=100)
    array([100,   5,  10,  15])
    """

    family = "linear"
    _parameter_constraints = {"n": _N_CONSTRAINT}

    def __init__(self, n=None):
        self.n = n

    def _sizes(self, t, n):
        if t.size and int(t[-1]) * n > MAX_SAMPLES:
            first = MAX_SAMPLES // n + 1
            raise SizeOverflowError(
                f"LinearSchedule: n_t exceeds 2**62 at generation {first} (n={n}); "
                "use fewer generations."
            )
        return t * np.int64(n)


class PolynomialSchedule(BaseSchedule):
    """``n_t = ceil(n * t**power)``.

    With ``power = 1 + s``, ``sum 1/n_t`` converges iff ``s > 0``: [A]'s
    superlinear growth that avoids collapse of unbiased estimators.

    Parameters
    ----------
    power : float, default=1.5
        Exponent, > 0.
    n : int or None, default=None
        Base size; None means the number of real rows.

    Examples
    --------
    >>> from synthloop.schedules import PolynomialSchedule
    >>> PolynomialSchedule(power=1.5).sizes(4, n_real=100)
    array([100, 100, 283, 520, 800])
    """

    family = "polynomial"
    _parameter_constraints = {
        "power": [Interval(Real, 0, None, closed="neither")],
        "n": _N_CONSTRAINT,
    }

    def __init__(self, power=DEFAULTS["polynomial"]["power"], n=None):
        self.power = power
        self.n = n

    def _sizes(self, t, n):
        with np.errstate(over="ignore"):
            vals = n * np.power(t.astype(np.float64), float(self.power))
        return _finish(vals, "PolynomialSchedule", f"n={n}, power={self.power}")


class GeometricSchedule(BaseSchedule):
    """``n_t = ceil(n * ratio**(t - 1))``.

    ``sum 1/n_t`` converges for any ``ratio > 1`` (``ratio = 1`` is
    :class:`ConstantSchedule`). Sizes explode quickly: sizes above ``2**62``
    raise a ValueError.

    Parameters
    ----------
    ratio : float, default=2.0
        Growth factor per generation, > 1.
    n : int or None, default=None
        Size of generation 1; None means the number of real rows.

    Examples
    --------
    >>> from synthloop.schedules import GeometricSchedule
    >>> GeometricSchedule(ratio=1.5).sizes(4, n_real=100)
    array([100, 100, 150, 225, 338])
    """

    family = "geometric"
    _parameter_constraints = {
        "ratio": [Interval(Real, 1, None, closed="neither")],
        "n": _N_CONSTRAINT,
    }

    def __init__(self, ratio=DEFAULTS["geometric"]["ratio"], n=None):
        self.ratio = ratio
        self.n = n

    def _sizes(self, t, n):
        with np.errstate(over="ignore"):
            vals = n * np.power(float(self.ratio), (t - 1).astype(np.float64))
        return _finish(vals, "GeometricSchedule", f"n={n}, ratio={self.ratio}")


class CallableSchedule(BaseSchedule):
    """``n_t = func(t)``, a user-supplied function of the generation.

    Parameters
    ----------
    func : callable
        Called as ``func(t)`` for ``t = 1, 2, ...`` (or ``func(t, n_real)``
        when ``pass_n_real=True``). It must return an integer >= 1; an integral
        float such as ``200.0`` (what ``np.ceil`` returns) is accepted,
        anything else (0, -3, 2.5, "10", None, nan) raises a ValueError naming
        the generation and the value.
    pass_n_real : bool, default=False
        Also pass the number of real rows, so a schedule can scale with it.

    Examples
    --------
    >>> from synthloop.schedules import CallableSchedule
    >>> CallableSchedule(lambda t: 10 * 2**t).sizes(3, n_real=100)
    array([100,  20,  40,  80])
    >>> CallableSchedule(lambda t, n: n + t, pass_n_real=True).sizes(2, n_real=50)
    array([50, 51, 52])
    """

    family = "callable"
    _parameter_constraints = {"func": [callable], "pass_n_real": ["boolean"]}

    def __init__(self, func, *, pass_n_real=False):
        self.func = func
        self.pass_n_real = pass_n_real

    def _base_n(self, n_real):
        return n_real

    def _sizes(self, t, n):
        out = np.empty(t.shape, dtype=np.int64)
        for i, ti in enumerate(t.tolist()):
            value = self.func(ti, n) if self.pass_n_real else self.func(ti)
            out[i] = _check_size(value, f"CallableSchedule: func({ti}) returned")
        return out


class ListSchedule(BaseSchedule):
    """``n_t = values[t - 1]``: the sizes of generations ``1..T``, listed.

    What ``schedule=[100, 200, 400]`` gives. It has exactly one size per
    synthetic generation, so :meth:`sizes` needs ``n_generations == len(values)``.

    Parameters
    ----------
    values : sequence of int
        ``n_1, ..., n_T``, each an integer >= 1 (an integral float such as
        ``200.0`` is accepted).

    Examples
    --------
    >>> from synthloop.schedules import ListSchedule
    >>> ListSchedule([100, 200, 400]).sizes(3, n_real=50)
    array([ 50, 100, 200, 400])
    """

    family = "list"
    _parameter_constraints = {"values": ["array-like"]}

    def __init__(self, values):
        self.values = values

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return list(np.ravel(self.values)) == list(np.ravel(other.values))

    __hash__ = BaseSchedule.__hash__

    def _base_n(self, n_real):
        return n_real

    def _checked_values(self):
        values = np.asarray(self.values, dtype=object)
        if values.ndim != 1:
            raise ValueError(f"ListSchedule: values must be a flat list of sizes; got shape {values.shape}.")
        return np.array([_check_size(v, f"ListSchedule: values[{i}] (generation {i + 1}) is")
                         for i, v in enumerate(values)], dtype=np.int64)

    def _sizes(self, t, n):
        values = self._checked_values()
        if t.size and int(t.max()) > len(values):
            raise ValueError(
                f"ListSchedule lists {len(values)} sizes (generations 1..{len(values)}); generation "
                f"{int(t.max())} has none."
            )
        return values[t - 1]

    def sizes(self, n_generations, n_real):
        """Sample sizes of generations ``0..n_generations``: ``n_real``, then ``values``.

        Raises
        ------
        ValueError
            When ``n_generations`` is not the number of sizes listed.
        """
        n_generations = check_integer(n_generations, "n_generations", 0, "ListSchedule")
        self._validate_params()
        listed = len(self._checked_values())
        if n_generations != listed:
            raise ValueError(
                f"ListSchedule lists {listed} sizes, one per synthetic generation, but "
                f"n_generations={n_generations}; give exactly n_generations sizes (or set "
                f"n_generations={listed})."
            )
        return super().sizes(n_generations, n_real)


def _check_size(value, what):
    """``value`` as an int n_t, or a ValueError that starts with ``what`` and shows the value."""
    ok = False
    if isinstance(value, (bool, np.bool_)):
        ok = False
    elif isinstance(value, Integral):
        ok = 1 <= value <= MAX_SAMPLES
    elif isinstance(value, Real):
        v = float(value)
        ok = math.isfinite(v) and v.is_integer() and 1 <= v <= MAX_SAMPLES
    if not ok:
        shown = repr(value.item() if isinstance(value, np.generic) else value)
        kind = "" if isinstance(value, (Real, np.generic)) and not isinstance(
            value, (bool, np.bool_)
        ) else f" ({type(value).__name__})"
        raise ValueError(f"{what} {shown}{kind}; expected an integer >= 1 (and <= 2**62).")
    return int(value)


_FAMILIES = {
    "constant": ConstantSchedule,
    "linear": LinearSchedule,
    "polynomial": PolynomialSchedule,
    "geometric": GeometricSchedule,
}


def _from_string(spec):
    family, params = parse_schedule_string(spec)
    return _FAMILIES[family](**params)


def check_schedule(schedule):
    """Resolve a schedule specification into a validated :class:`BaseSchedule`.

    Parameters
    ----------
    schedule : BaseSchedule, callable, list of int or str
        - a :class:`BaseSchedule` instance: returned as is (after validation);
        - a callable ``func(t) -> int``: wrapped in :class:`CallableSchedule`;
        - a list (tuple, 1-D array) of sizes ``[n_1, ..., n_T]``: wrapped in
          :class:`ListSchedule`, which needs ``n_generations == T``;
        - a string ``"family"`` (defaults) or ``"family:value"`` or
          ``"family:key=value,key=value"``. The bare value is the family's main
          parameter: ``n`` for constant and linear, ``power`` for polynomial,
          ``ratio`` for geometric. Examples: ``"constant"``, ``"constant:500"``,
          ``"linear"``, ``"polynomial:2"``, ``"geometric:1.5"``,
          ``"polynomial:power=2,n=50"``. Case and spaces are ignored.

    Returns
    -------
    BaseSchedule

    Raises
    ------
    ValueError
        Unknown family or unparsable string (the message lists the valid
        options), or invalid parameters.
    TypeError
        Anything else.

    Examples
    --------
    >>> from synthloop.schedules import check_schedule
    >>> check_schedule("polynomial:2")
    PolynomialSchedule(power=2.0)
    >>> check_schedule("constant:500")
    ConstantSchedule(n=500)
    >>> check_schedule(lambda t: 10 * t).sizes(2, n_real=5)
    array([ 5, 10, 20])
    >>> check_schedule([100, 200, 400]).sizes(3, n_real=50)
    array([ 50, 100, 200, 400])
    """
    if isinstance(schedule, BaseSchedule):
        out = schedule
    elif isinstance(schedule, str):
        out = _from_string(schedule)
    elif callable(schedule) and not isinstance(schedule, type):
        out = CallableSchedule(schedule)
    elif isinstance(schedule, (list, tuple, np.ndarray)):
        out = ListSchedule(schedule)
    else:
        raise TypeError(
            "schedule must be a BaseSchedule instance, a callable func(t) -> int, a list of "
            "sizes n_1..n_T or a string such as 'constant', 'linear', 'polynomial:2', "
            f"'geometric:1.5'; got {schedule!r} ({type(schedule).__name__})."
        )
    out._validate_params()
    return out
