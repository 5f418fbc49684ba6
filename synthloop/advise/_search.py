"""Schedule families as grids of settings, and the search for the cheapest one that meets a criterion."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..exceptions import SizeOverflowError
from ..schedules import ConstantSchedule, GeometricSchedule, LinearSchedule, PolynomialSchedule

FAMILIES = ("constant", "linear", "polynomial", "geometric")
PARAMETER = {"constant": "n", "linear": "n", "polynomial": "power", "geometric": "ratio"}


_RATIOS = (1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0)


def family_grid(family, n_real, min_size, extra=()):
    """The settings a family is searched over, cheapest first.

    ``n`` (constant, linear) on a grid of factors ``sqrt(2)`` around the real
    size; ``power`` (polynomial, base ``n = n_real``) in steps of 0.25;
    ``ratio`` (geometric, ``n_1 = n_real``) on ``_RATIOS``. One step down is
    the "next cheaper setting" of the validation, so the steps are coarse
    enough for real runs to tell the two apart. ``extra`` adds polynomial
    powers ([A]'s bias rule ``(1 + s) / gamma``).
    """
    if family in ("constant", "linear"):
        k = np.arange(-24, 61)
        values = np.unique(np.ceil(n_real * 2.0 ** (k / 2)).astype(np.int64))
        return values[values >= min_size]
    if family == "polynomial":
        return np.unique(np.concatenate([np.round(np.arange(0.25, 6.0001, 0.25), 2), np.asarray(extra, float)]))
    return np.array(_RATIOS)


def make_schedule(family, value):
    if family == "constant":
        return ConstantSchedule(n=int(value))
    if family == "linear":
        return LinearSchedule(n=int(value))
    if family == "polynomial":
        return PolynomialSchedule(power=float(value))
    return GeometricSchedule(ratio=float(value))


def wilson(k, n, level=0.95):
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def clopper_pearson(k, n, level=0.95):
    """Exact (Clopper–Pearson) interval of a binomial proportion; inside [0, 1] by construction."""
    if n == 0:
        return (0.0, 1.0)
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return (lo, hi)


class FamilySearch:
    """Evaluate ``P(criterion)`` on a family's grid, with a cache, and find the cheapest passing setting."""

    def __init__(self, family, grid, evaluate, n_generations, n_real, confidence):
        self.family = family
        self.n_generations = n_generations
        self.n_real = n_real
        self.confidence = confidence
        self.evaluate = evaluate  # sizes -> boolean array of passes per replication (and the drift path)
        self.grid = []
        self.sizes = []
        for value in grid:  # drop the settings whose sizes overflow
            try:
                s = make_schedule(family, value).sizes(n_generations, n_real)
            except SizeOverflowError:
                break
            self.grid.append(value)
            self.sizes.append(s)
        self.cache = {}

    def rows(self, i):
        return int(self.sizes[i][1:].sum())

    def prob(self, i):
        if i not in self.cache:
            passed, path = self.evaluate(self.sizes[i])
            self.cache[i] = (float(passed.mean()), int(passed.sum()), passed.size, path)
        return self.cache[i][0]

    def search(self):
        """Index of the cheapest setting with ``P >= confidence`` (None if none).

        Bisection on the grid when its most expensive setting passes; a scan
        from the cheapest when it does not (the probability then does not grow
        with the rows).
        With real rows in the pool (augment, accumulate) the drift is small
        for few and for very many synthetic rows and largest in between; when
        the cheapest setting fails so does every one up to that peak, so the
        passing settings still form one run up to the most expensive and the
        bisection finds its start.
        """
        if not self.grid:
            return None
        lo, hi = 0, len(self.grid) - 1
        if self.prob(hi) < self.confidence:
            # Not monotone: scan from the cheapest setting instead.
            return next((i for i in range(len(self.grid)) if self.prob(i) >= self.confidence), None)
        if self.prob(lo) >= self.confidence:
            return lo
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.prob(mid) >= self.confidence:
                hi = mid
            else:
                lo = mid
        return hi

    def interval(self, i, level=0.95):
        """Grid values bracketing the setting: the Monte Carlo interval of the cheapest passing value.

        Neighbours ``i-2..i+2`` are evaluated; ``low`` is the cheapest whose
        Wilson upper bound reaches ``confidence`` (cheaper settings certainly
        fail), ``high`` the cheapest whose Wilson lower bound does (it
        certainly passes).
        """
        idx = [j for j in range(i - 2, i + 3) if 0 <= j < len(self.grid)]
        for j in idx:
            self.prob(j)
        low = next((j for j in idx if wilson(*self.cache[j][1:3], level)[1] >= self.confidence), i)
        high = next((j for j in idx if wilson(*self.cache[j][1:3], level)[0] >= self.confidence), idx[-1])
        return self.grid[min(low, i)], self.grid[max(high, i)]
