"""The closed forms of :mod:`synthloop.theory` beside simulated figures.

Only wiring lives here: which theory function answers which summary column,
and when it is exact. The formulas themselves live in ``synthloop.theory``.
"""

from __future__ import annotations

import numpy as np

from .. import theory as th


def gaussian_theory_columns(sim, eps, gens):
    """``{column: values}`` for a GaussianSimulation summary (replace pool only).

    The theory functions return one value per generation ``0..T``; we index them.
    """
    s = sim.settings
    if s["pool"] != "replace":
        return {}
    sizes, ddof, var = sim.sizes, s["ddof"], s["var"]
    return {
        "var_mean_theory": np.asarray(th.gaussian_expected_variance(sizes, ddof=ddof, var=var))[gens],
        "frac_collapsed_theory": np.asarray(
            th.gaussian_variance_collapse_probability(sizes, eps, ddof=ddof, var=var, method="exact"))[gens],
        # E(mu_hat - mu)^2 with the variance re-estimated (ddof given): exact.
        "mean_sq_error_theory": np.asarray(th.gaussian_mean_error_variance(sizes, var=var, ddof=ddof))[gens],
    }


def _constant_synthetic(sizes):
    syn = sizes[1:]
    return syn.size == 0 or bool(np.all(syn == syn[0]))


def categorical_theory_columns(sim, gens):
    """[B]'s Theorems 1 and 2 beside a CategoricalSimulation summary.

    The theory functions already use synthloop's index (generation 0 is fit
    on the real samples, [B]'s ``p^(1)``).
    """
    s = sim.settings
    p, sizes = s["p"], sim.sizes
    S0 = float(np.sum(p**2))
    cols = {}
    if s["pool"] == "replace":
        # Theorem 1, generalised to any sizes (n_0 = n_real real samples)
        cols["collision_theory"] = np.asarray(th.fully_synthetic_collision_path(sizes, S0))[gens]
    elif s["pool"] == "augment" and _constant_synthetic(sizes) and sizes.size > 1:
        N, n = int(sizes[0]), int(sizes[1])
        cols["collision_theory"] = np.asarray(th.partially_synthetic_collision(gens, N, n, S0))
        cols["drift_l2sq_theory"] = np.asarray(th.drift_l2_squared(gens, N, n, S0))
    return cols


def categorical_collapse_time_theory(sim):
    """[B]'s Theorem 1 bounds and the Wright-Fisher approximation of the mean collapse generation."""
    s = sim.settings
    sizes, p = sim.sizes, s["p"]
    support = int(np.count_nonzero(p))
    if s["pool"] != "replace" or not np.all(sizes == sizes[0]) or support < 2:
        return {}
    n = int(sizes[0])
    lo, hi = th.expected_collapse_time_bounds(n, float(np.sum(p**2)), support)
    return {
        "theory_lower": float(lo),
        "theory_upper": float(hi),
        "theory_approx": float(th.expected_collapse_time(p, n)),
    }


def mvn_theory_columns(sim, gens):
    """E tr Sigma_hat_t for the replace pool: the univariate expected variance with var = tr Sigma."""
    s = sim.settings
    if s["pool"] != "replace":
        return {}
    tr = float(np.trace(s["cov"]))
    return {"trace_mean_theory": np.asarray(th.gaussian_expected_variance(sim.sizes, ddof=s["ddof"], var=tr))[gens]}
