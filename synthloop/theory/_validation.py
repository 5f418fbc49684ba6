"""Input checks shared by the closed forms.

Every public function of :mod:`synthloop.theory` validates at its edge with these helpers,
so a bad argument is reported as "<function>: <name> must be <expected>; got <value>."
instead of surfacing as a numpy warning or a silent NaN.
"""

import numbers

import numpy as np


def fmt(value):
    """Short, readable rendering of one offending value for an error message."""
    value = np.asarray(value).item() if np.ndim(value) == 0 else value
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return repr(value)


def as_float_array(value, owner, name, expected):
    """``value`` as a float array; TypeError naming the argument if it is not numeric."""
    if isinstance(value, str):
        raise TypeError(f"{owner}: {name} must be {expected}; got the string {value!r}.")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{owner}: {name} must be {expected}; got {value!r}.") from None
    return arr


def first_bad(arr, bad):
    """The first element of ``arr`` flagged by ``bad`` (both broadcast), for messages."""
    arr, bad = np.broadcast_arrays(arr, bad)
    return arr[bad].flat[0]


def check(arr, ok, owner, name, expected):
    """Raise ``ValueError`` unless ``ok`` holds everywhere (NaN never passes)."""
    ok = np.asarray(ok)
    if not ok.all():
        raise ValueError(f"{owner}: {name} must be {expected}; got {fmt(first_bad(arr, ~ok))}.")
    return arr


def integers(value, owner, name, *, minimum, expected=None):
    """Integer-valued float array with every entry ``>= minimum`` (finite)."""
    expected = expected or f"an integer >= {minimum}"
    arr = as_float_array(value, owner, name, expected)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr >= minimum) & (arr == np.floor(arr))
    return check(arr, ok, owner, name, expected)


def check_integer(value, name, minimum, owner):
    """A Python int ``>= minimum`` from a scalar, or a TypeError / ValueError in synthloop's one wording.

    The scalar counterpart of :func:`integers`: ``"owner: name must be an
    integer >= minimum; got value"``. Booleans are not integers here.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer >= {minimum}; got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_number(value, name, owner, *, low=None, low_open=False):
    """A finite Python float (``> low`` or ``>= low``), or a TypeError / ValueError in the wording of :func:`check_integer`.

    ``"owner: name must be a finite number > low; got value"``. Booleans are not numbers here.
    """
    bound = "" if low is None else f" {'>' if low_open else '>='} {low}"
    expected = f"{owner}: {name} must be a finite number{bound}; got {value!r}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{expected} ({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value) or (low is not None and (value < low or (low_open and value == low))):
        raise ValueError(f"{expected}.")
    return value


def positive(value, owner, name):
    """Finite float array with every entry ``> 0``."""
    arr = as_float_array(value, owner, name, "a positive number")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr > 0)
    return check(arr, ok, owner, name, "a positive number (> 0)")


def sizes(value, owner, *, minimum=2):
    """The sizes array ``(n_0, n_1, ..., n_T)``: at least 1-D, last axis = generations."""
    expected = (
        f"integers >= {minimum} (n_0 real rows, then the n_t rows drawn at each generation)"
    )
    arr = np.atleast_1d(as_float_array(value, owner, "sizes", expected))
    if arr.shape[-1] == 0:
        raise ValueError(
            f"{owner}: sizes must contain at least n_0 (the number of real rows); "
            "got an empty array."
        )
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr >= minimum) & (arr == np.floor(arr))
    return check(arr, ok, owner, "sizes", expected)


def ddof(value, n_min, owner):
    """Delta degrees of freedom: a number in ``[0, min(sizes))``."""
    arr = as_float_array(value, owner, "ddof", "a number >= 0 (0 = MLE, 1 = unbiased)")
    if arr.ndim != 0:
        raise TypeError(f"{owner}: ddof must be a single number (0 or 1); got {value!r}.")
    if not (np.isfinite(arr) and arr >= 0):
        raise ValueError(
            f"{owner}: ddof must be >= 0 (0 = MLE, 1 = unbiased); got {fmt(arr)}."
        )
    if arr >= n_min:
        raise ValueError(
            f"{owner}: ddof must be smaller than every size (smallest size is "
            f"{fmt(n_min)}); got {fmt(arr)}."
        )
    return float(arr)


def collision(S0, support, owner):
    """S0 (collision probability of the truth) in ``[1/support, 1)``; support >= 2."""
    support = integers(
        support,
        owner,
        "support",
        minimum=2,
        expected="an integer >= 2 (a distribution on one token has already collapsed)",
    )
    S0 = as_float_array(S0, owner, "S0", "a number in [1/support, 1)")
    # S0 computed as sum(p**2) of a uniform p can undershoot 1/support by rounding.
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(S0) & (S0 >= (1.0 - 1e-12) / support) & (S0 < 1)
    check(S0, ok, owner, "S0", "in [1/support, 1)")
    return S0, support


def unit_interval(S0, owner, name="S0"):
    """A number in ``(0, 1)`` (S0 without a support to check against)."""
    arr = as_float_array(S0, owner, name, "a number in (0, 1)")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr > 0) & (arr < 1)
    return check(arr, ok, owner, name, "in (0, 1)")


def probability_vectors(p, owner):
    """Probability vectors along the last axis: non-negative, summing to 1."""
    arr = np.atleast_1d(as_float_array(p, owner, "p", "a probability vector"))
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr >= 0)
    check(arr, ok, owner, "p", "a vector of non-negative finite probabilities")
    total = arr.sum(axis=-1)
    ok = np.abs(total - 1.0) <= 1e-8
    if not np.all(ok):
        raise ValueError(
            f"{owner}: p must sum to 1 along its last axis; "
            f"got a sum of {fmt(first_bad(total, ~ok))}."
        )
    return arr
