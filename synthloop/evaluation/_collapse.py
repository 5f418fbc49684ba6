"""The collapse metrics: one name and one definition each.

:attr:`RecursiveSynthesizer.history_ <synthloop.RecursiveSynthesizer.history_>` (from each
generation's collapse summary), :func:`~synthloop.evaluation.fidelity_report` (from a synthetic
table's columns) and :func:`~synthloop.evaluation.plot_collapse` read these names and call these
functions, so ``var_ratio`` means the same number wherever it is printed.

=============  ===================================================================================
name           definition (``p`` a column's level probabilities, ``p_ref`` those it is measured
               against: generation 0's, a reference's, or the real column's)
=============  ===================================================================================
``var_ratio``  variance over the variance measured against (1 is faithful, 0 is collapse)
``levels``     levels with probability > 0
``collision``  ``σ = Σ p²`` (docs/theory.rst, "Categorical (next-token) model"); 1 once a column has
               one level
``l1``         ``Σ |p - p_ref|`` over the levels of either: the L1 distance, in [0, 2], twice the total
               variation distance (:func:`~synthloop.evaluation.total_variation` is ``l1 / 2``)
=============  ===================================================================================
"""

import numpy as np

#: The names, in the order history_ writes them.
VAR_RATIO, LEVELS, COLLISION, L1 = "var_ratio", "levels", "collision", "l1"
COLLAPSE_METRICS = (VAR_RATIO, LEVELS, COLLISION, L1)


def metric_column(metric, column, suffix=""):
    """The history_ column of ``metric`` for table column ``column``: ``"var_ratio[age]"``, ``"l1_ref[c]"``."""
    return f"{metric}{suffix}[{column}]"


def var_ratio(variance, variance_ref):
    """``variance / variance_ref``; NaN when ``variance_ref`` is 0, NaN or None."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(variance / variance_ref) if variance_ref else np.nan


def levels(p):
    """The number of levels with probability > 0."""
    return int(np.count_nonzero(np.asarray(p) > 0))


def collision(p):
    """``Σ p²``: the probability that two independent draws are equal."""
    p = np.asarray(p, dtype=np.float64)
    return float(p @ p)


def l1(p, p_ref):
    """``Σ |p - p_ref|`` of two Series of level probabilities, a level absent from one counting as 0 there."""
    both = p.index.union(p_ref.index)
    return float(np.abs(p.reindex(both, fill_value=0) - p_ref.reindex(both, fill_value=0)).sum())
