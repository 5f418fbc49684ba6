"""Downstream utility, fidelity and collapse metrics of synthetic tables, and their figures.

:class:`UtilityEvaluator` trains models on synthetic rows and tests them on
held-out real rows (TSTR) against the same models trained on the real rows
(TRTR); :func:`fidelity_report` and the metric functions compare a synthetic
table with the real one column by column and as a whole. The evaluator knows
nothing about how a table was made: it calls ``fit`` and ``sample``.
"""

from ._fidelity import (
    collision_probability,
    contingency_accuracy,
    correlation_difference,
    discriminator_auc,
    fidelity_report,
    ks_distance,
    levels_lost,
    missing_rate_difference,
    pair_fidelity,
    total_variation,
    variance_ratio,
    wasserstein_distance,
)
from ._privacy import copy_share, distance_to_closest_record
from ._plotting import plot_collapse, plot_marginals, plot_utility
from ._report import UtilityReport
from ._utility import UtilityEvaluator

__all__ = [
    "UtilityEvaluator",
    "UtilityReport",
    "collision_probability",
    "contingency_accuracy",
    "copy_share",
    "correlation_difference",
    "discriminator_auc",
    "distance_to_closest_record",
    "fidelity_report",
    "ks_distance",
    "levels_lost",
    "missing_rate_difference",
    "pair_fidelity",
    "plot_collapse",
    "plot_marginals",
    "plot_utility",
    "total_variation",
    "variance_ratio",
    "wasserstein_distance",
]
