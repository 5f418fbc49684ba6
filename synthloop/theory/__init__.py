"""Closed forms of the model-collapse theory (docs/theory.rst): Gaussian [A*], categorical [B], fresh data.

numpy/scipy only; nothing else from synthloop is imported here. One index everywhere:
generation 0 is the model fit on the real rows, generation g >= 1 is fit on data drawn from
generation g - 1. Functions that follow a schedule take ``sizes = (n_0, n_1, ..., n_T)``
(``n_0`` = real rows, as ``schedule.sizes(...)`` returns) and return one value per
generation along the last axis. [B] numbers its models from ``p^(1)`` (fit on real data), so
[B]'s ``m`` is our generation ``m - 1``; each docstring states the mapping.
"""

from ._categorical import (
    categorical_summary,
    collision_probability,
    expected_collapse_time,
    expected_collapse_time_bounds,
    fully_synthetic_collapse_probability_bounds,
    fully_synthetic_collision,
    fully_synthetic_collision_path,
)
from ._gaussian import (
    gaussian_expected_variance,
    gaussian_kl_risk,
    gaussian_log_variance_moments,
    gaussian_mean_error_variance,
    gaussian_variance_collapse_probability,
    improvement_probability,
)
from ._fresh import fresh_optimal_weight, fresh_relative_loss, fresh_weighted_mse
from ._growth import collapses, required_power
from ._mardia import drift_l1_bound, mardia_G, mardia_phi, max_synthetic_size
from ._partial import (
    drift_l2_squared,
    partially_synthetic_collision,
    partially_synthetic_collision_bound,
)

__all__ = [
    # Gaussian [A*]
    "gaussian_expected_variance",
    "gaussian_log_variance_moments",
    "gaussian_variance_collapse_probability",
    "gaussian_mean_error_variance",
    "improvement_probability",
    "gaussian_kl_risk",
    "collapses",
    "required_power",
    # categorical, fully synthetic [B]
    "collision_probability",
    "categorical_summary",
    "fully_synthetic_collision",
    "fully_synthetic_collision_path",
    "fully_synthetic_collapse_probability_bounds",
    "expected_collapse_time_bounds",
    "expected_collapse_time",
    # categorical, partially synthetic [B]
    "partially_synthetic_collision",
    "partially_synthetic_collision_bound",
    "drift_l2_squared",
    "mardia_phi",
    "mardia_G",
    "drift_l1_bound",
    "max_synthetic_size",
    # fresh real data, weighted [He, Xu, Cheng]
    "fresh_weighted_mse",
    "fresh_relative_loss",
    "fresh_optimal_weight",
]
