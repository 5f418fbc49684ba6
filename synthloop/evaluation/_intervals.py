"""Intervals of a mean score that stay inside the score's range.

A Student-t interval over a handful of seeds or repeats can run past a
metric's bounds (3 seeds of a ROC AUC near 0.5: from -0.15 to 1.1). Every
interval synthloop draws or prints is the t-interval clipped to the range of
its metric, and says when it was clipped.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from ._metrics import score_range

__all__ = ["Interval", "mean_interval", "change_range"]


class Interval(NamedTuple):
    """A mean with its Student-t interval over ``n`` finite values, clipped to ``bounds``."""

    mean: float
    low: float
    high: float
    n: int
    clipped: bool
    bounds: tuple = (-np.inf, np.inf)

    @property
    def width(self):
        return self.high - self.low


def change_range(bounds):
    """The range of a difference of two scores that each lie in ``bounds``."""
    lo, hi = bounds
    return lo - hi, hi - lo


def mean_interval(values, *, confidence=0.95, bounds=None, metric=None):
    """Mean and Student-t interval of ``values``, clipped to ``bounds``.

    Parameters
    ----------
    values : array-like
        NaN values are left out.
    confidence : float, default=0.95
    bounds : (float, float) or None, default=None
        The range of the values; ``None`` takes ``score_range(metric)``
        (unbounded without a metric).
    metric : str or None, default=None

    Returns
    -------
    Interval
        ``low`` and ``high`` are NaN with fewer than two values; ``clipped``
        says whether an end of the t-interval was moved onto a bound.

    Examples
    --------
    >>> from synthloop.evaluation._intervals import mean_interval
    >>> iv = mean_interval([0.2, 0.9, 0.95], metric="roc_auc")
    >>> round(iv.mean, 3), iv.high, iv.clipped
    (0.683, 1.0, True)
    """
    if bounds is None:
        bounds = score_range(metric)
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Interval(np.nan, np.nan, np.nan, 0, False, bounds)
    mean = float(v.mean())
    if v.size < 2:
        return Interval(mean, np.nan, np.nan, 1, False, bounds)
    half = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    low, high = mean - half, mean + half
    clipped = low < bounds[0] or high > bounds[1]
    return Interval(mean, max(low, bounds[0]), min(high, bounds[1]), int(v.size), bool(clipped), tuple(bounds))
