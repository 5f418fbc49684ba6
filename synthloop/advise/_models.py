"""Which drift model describes a fitted generator (and how exactly)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._table import DISCRETE_KINDS, NUMERIC_KINDS, infer_schema
from ..base import MISSING_LABEL
from ._drift import (JUMP_FLOOR, CategoricalBlock, DriftModel, GaussianBlock, LatentCorrelationBlock, LevelOrderSwaps,
                     is_fresh_draws, rank, summary_getter)


def _frame(X):
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X), columns=range(np.shape(X)[1]))


def _standardized(fitted, X):
    """The rows of ``X`` in the coordinates where generation 0's fit is ``N(0, I)`` (on the span of its covariance)."""
    values = fitted.schema_.encode(_frame(X)).numeric()
    w, V = np.linalg.eigh(fitted.covariance_)
    keep = w > 1e-10 * max(w.max(), 1e-300)
    return (values - fitted.mean_) @ (V[:, keep] / np.sqrt(w[keep]))


def _level_codes(fitted, X, name):
    """Each row's level index in a fitted CategoricalGenerator's ``levels_[name]`` (missing values last)."""
    levels = pd.Series(fitted.levels_[name]).astype(object)
    values = _frame(X)[name].astype(object)
    codes = pd.Index(levels[levels.notna()]).get_indexer(values.where(values.notna(), None))
    missing = values.isna().to_numpy()
    codes[missing] = len(levels) - 1
    if (codes < 0).any():  # cannot happen for the generator fitted on X
        raise ValueError(f"recommend_schedule: column {name!r} has values the fitted generator has no level for.")
    return codes


def _atoms_getter(name):
    """``{value: probability}`` of a copula's empirical numeric marginal, missing values as MISSING_LABEL.

    The collapse summary gives a numeric column's variance only; the KS distance needs its atoms.
    """
    def get(fit):
        m = fit.params["marginals"][name]
        out = dict(zip(np.asarray(m["support"]).tolist(), np.asarray(m["probabilities"], dtype=float)))
        if m.get("missing", 0.0) > 0:
            out[MISSING_LABEL] = float(m["missing"])
        return out
    return get


def _rounded_columns(fitted):
    """``(name, kind)`` of the MVN's columns rounded and clipped on sampling (not sampled as floats)."""
    return [(s.name, s.kind) for s, dtype in zip(fitted.schema_.columns, fitted.dtypes_)
            if s.kind != "float" and not pd.api.types.is_float_dtype(dtype)]


def _mvn_ddof(fitted):
    """The ddof the MVN's covariance is simulated with: 1 for "unbiased"; the MLE's 0 for "mle" and the
    Ledoit-Wolf shrinkage of the MLE."""
    return 1.0 if fitted.covariance == "unbiased" else 0.0


def _mvn_model(fitted, X, pool):
    cov = fitted.covariance
    ddof = _mvn_ddof(fitted)
    notes = []
    exact = True
    if cov == "ledoit-wolf":
        exact = False
        notes.append("the Ledoit-Wolf covariance is shrunk towards the identity; it is simulated as the "
                     "MLE (ddof=0) and the drift calibrated on real runs")
    # Integer/datetime columns are rounded and clipped unless sampled as floats (integers="continuous").
    rounded = _rounded_columns(fitted)
    if rounded:
        exact = False
        kinds = "integer/datetime" if any(kind == "int" for _, kind in rounded) else "datetime"
        rounded = [name for name, _ in rounded]
        notes.append(f"{kinds} columns {rounded} are rounded and clipped to their observed range, a "
                     "bias the Gaussian theory leaves out; the drift is calibrated on real runs")
    standardized = _standardized(fitted, X) if is_fresh_draws(pool) else None
    block = GaussianBlock("numeric columns", rank(fitted.covariance_), ddof, exact=exact, standardized=standardized)
    method = "theory+simulation (exact sufficient-statistic simulation of the Gaussian loop)"
    return DriftModel([block], method=method, exact=exact, notes=notes)


def _copula_model(fitted, pool):
    specs = fitted.schema_.columns
    params = fitted.get_fitted_params()
    blocks = []
    d = rank(params["correlation"])
    swaps = None
    if d > 1:
        latent = LatentCorrelationBlock("the copula", params["correlation"])
        blocks.append(latent)
        reorderable = _frequency_ordered(fitted, specs, params)
        if reorderable:
            swaps = LevelOrderSwaps(params, reorderable, latent)
    numeric = []
    for spec in specs:
        m = params["marginals"][spec.name]
        if spec.kind in DISCRETE_KINDS and "probabilities" in m:
            p = np.append(np.asarray(m["probabilities"], dtype=float), float(m.get("missing", 0.0)))
            blocks.append(CategoricalBlock(spec.name, p, summary_getter(spec.name)))
        else:
            numeric.append(spec.name)
    notes = ["the latent correlation is estimated from tied normal scores (Mehler inversion), noisier than "
             "the Gaussian sample correlation it is simulated as; the drift is calibrated on real runs"]
    if pool == "accumulate" and fitted.reservoir_size is not None and d > 1:
        # RecursiveSynthesizer fits every other pool exactly (the copula's two-pass block reduction);
        # accumulate continues the previous fit with partial_fit, whose reservoir no size vector describes.
        notes.append("pool='accumulate': the copula continues each fit with partial_fit, whose latent correlation "
                     f"sees reservoir_size={fitted.reservoir_size:,} rows of the earlier generations; every pool is "
                     "simulated as one plain fit of all its rows, which understates the drift of pools past "
                     "reservoir_size rows; the calibration runs use the same pool")
    tied = _near_tied_levels(fitted, specs, params)
    if tied:
        notes.append(f"with categorical='frequency' the latent order of {tied} follows levels whose frequencies "
                     "differ by less than 3 standard errors at the real size: it can swap between generations, "
                     "and a swap refits the copula in the new order, which loses latent correlation (one swap of "
                     f"two adjacent levels jumps by up to {swaps.describe_jumps(tied)}); the swaps are simulated from the columns' exact multinomial frequencies "
                     "and their jumps from the population refit, so the advice buys rows until they are rare; "
                     "GaussianCopulaGenerator(categorical='order') keeps the order of the categories and has "
                     "no jumps")
    if swaps is not None and swaps.neglected > 0:
        notes.append(f"swaps of adjacent levels that jump by less than {JUMP_FLOOR:g} nats are not simulated "
                     f"(their one-swap jumps add up to {swaps.neglected:.2g} nats)")
    if d < len(specs):
        notes.append(f"the latent correlation has rank {d} < {len(specs)} columns (exactly dependent columns); "
                     f"it is simulated on its {d}-dimensional span, and its drift is a KL with 1% independent noise mixed in, "
                     "finite on the boundary")
    if numeric:
        notes.append(f"the marginals of the numeric columns {numeric} are not in the criterion (their "
                     "empirical atoms are a bootstrap of the observed values; their drift enters only through "
                     "the calibration)")
    return DriftModel(blocks, method="theory+simulation+calibration (latent Gaussian correlation and [B] "
                                     "categorical marginals)", exact=False, notes=notes, swaps=swaps)


def _frequency_ordered(fitted, specs, params):
    """The copula's unordered discrete columns of two or more levels whose latent order is their frequency order."""
    if fitted.categorical != "frequency":
        return []
    return [s.name for s in specs if s.kind in ("category", "string") and not getattr(s.dtype, "ordered", False)
            and np.asarray(params["marginals"][s.name]["probabilities"]).size > 1]


def _near_tied_levels(fitted, specs, params):
    """Frequency-ordered columns (:func:`_frequency_ordered`) whose order hangs on levels closer than 3 standard errors."""
    n = float(fitted.n_rows_seen_)
    out = []
    for name in _frequency_ordered(fitted, specs, params):
        p = np.sort(np.asarray(params["marginals"][name]["probabilities"], dtype=float))[::-1]
        if np.any(p[:-1] - p[1:] < 3 * np.sqrt((p[:-1] + p[1:]) / n)):
            out.append(name)
    return out


def _categorical_model(fitted, X, pool):
    specs = fitted.schema_.columns
    params = fitted.get_fitted_params()
    notes = []
    exact = fitted.smoothing == 0
    if not exact:
        notes.append(f"smoothing={fitted.smoothing} pulls every generation towards uniform; simulated without "
                     "it and calibrated on real runs")
    if fitted.structure == "joint":
        block = CategoricalBlock("joint table", params["joint_probabilities"], exact=exact)
        notes.append("the joint table's tuples are not aligned across generations in get_fitted_params, so the "
                     "drift is not measured on real runs (no calibration, no validation)")
        return DriftModel([block], method="theory+simulation ([B] multinomial recursion of the joint table)",
                          exact=exact, notes=notes, measurable=False)
    blocks = []
    numeric = [spec.name for spec in specs if spec.kind not in DISCRETE_KINDS]
    fresh = is_fresh_draws(pool)
    for spec in specs:
        getter = None if spec.name in numeric else summary_getter(spec.name)
        blocks.append(CategoricalBlock(spec.name, params["marginals"][spec.name], getter,
                                       exact=exact and fitted.structure == "independent",
                                       codes=_level_codes(fitted, X, spec.name) if fresh else None))
    measurable = not numeric
    if numeric:
        notes.append(f"numeric columns {numeric} are summarised by their variance, not their levels, so the drift "
                     "is not measured on real runs (no calibration, no validation)")
    if fitted.structure == "chain":
        exact = False
        notes.append("structure='chain': the criterion is the sum of the marginals' drifts, simulated as "
                     "independent columns and calibrated on real runs")
    return DriftModel(blocks, method="theory+simulation ([B] multinomial recursion of each column)",
                      exact=exact, notes=notes, measurable=measurable)


def _proxy_model(X, generator):
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    schema = infer_schema(frame, owner="recommend_schedule", is_frame=isinstance(X, pd.DataFrame))
    numeric = [s.name for s in schema.columns if s.kind in NUMERIC_KINDS and frame[s.name].notna().all()]
    blocks = []
    if numeric:
        blocks.append(GaussianBlock(f"numeric columns {numeric}", len(numeric), 1.0))
    for spec in schema.columns:
        if spec.name in numeric:
            continue
        col = frame[spec.name]
        freq = col.astype(object).where(col.notna(), MISSING_LABEL).value_counts(normalize=True)
        blocks.append(CategoricalBlock(spec.name, freq.to_numpy(dtype=float)))
    name = type(generator).__name__
    note = (f"{name} is not a model the advisor can reason about: simulation only, of a proxy (a Gaussian on "
            "the complete numeric columns, independent empirical categoricals for the others) fitted to X; "
            "treat the recommendation as a lower bound on the rows that model needs")
    for block in blocks:
        block.exact = False
    return DriftModel(blocks, method=f"simulation-only (proxy model; {name} unknown)", exact=False,
                      notes=[note], measurable=False)


def drift_model(fitted, X, pool="replace"):
    """The drift model of a fitted generator; a proxy for one it does not know."""
    from ..generators import CategoricalGenerator, GaussianCopulaGenerator, MultivariateNormalGenerator

    if isinstance(fitted, MultivariateNormalGenerator):
        model = _mvn_model(fitted, X, pool)
    elif isinstance(fitted, GaussianCopulaGenerator):
        model = _copula_model(fitted, pool)
    elif isinstance(fitted, CategoricalGenerator):
        model = _categorical_model(fitted, X, pool)
    else:
        model = _proxy_model(X, fitted)
    model.pool = pool
    model.n_rows = int(np.shape(X)[0])
    return model


def marginal_model(fitted, X, pool="replace"):
    """The ``criterion="tv"`` model of a fitted generator: every column's TV or KS distance."""
    from ..generators import CategoricalGenerator, GaussianCopulaGenerator, MultivariateNormalGenerator
    from ._marginal import MAX_ATOMS, AtomBlock, MarginalDistanceModel, NormalMarginals

    name = type(fitted).__name__
    specs = fitted.schema_.columns if hasattr(fitted, "schema_") else []
    notes = ["columns are simulated independently and the criterion is their largest distance; the columns "
             "of one sample are dependent, so the law of the maximum is an approximation (each column's is exact)"]
    measurable = True
    if isinstance(fitted, MultivariateNormalGenerator):
        rounded = [str(name) for name, _ in _rounded_columns(fitted)]
        if rounded:
            notes.append(f"columns {rounded} are rounded and clipped to their observed range, which the Gaussian "
                         "law leaves out (integers='continuous' removes it for integer columns)")
        blocks = [NormalMarginals([s_.name for s_ in specs], _mvn_ddof(fitted))]
        method = "theory+simulation (KS distance of each normal column, exact mean and covariance chain)"
    elif isinstance(fitted, GaussianCopulaGenerator):
        params = fitted.get_fitted_params()
        blocks, parametric = [], []
        for spec in specs:
            m = params["marginals"][spec.name]
            if "probabilities" not in m:
                parametric.append(spec.name)
                continue
            p = np.concatenate([[float(m.get("missing", 0.0))], np.asarray(m["probabilities"], dtype=float)])
            kind = "tv" if spec.kind in DISCRETE_KINDS else "ks"
            getter = summary_getter(spec.name) if kind == "tv" else _atoms_getter(spec.name)
            blocks.append(AtomBlock(spec.name, p, kind, getter))
        if parametric:
            raise ValueError(f"recommend_schedule(criterion='tv') needs empirical marginals; columns {parametric} of "
                             f"{name} have parametric ones (marginals=...): use criterion='kl'.")
        if any(b.kind == "ks" and b.p.size >= MAX_ATOMS for b in blocks):
            notes.append(f"numeric columns with more than {MAX_ATOMS} distinct values are simulated on {MAX_ATOMS} "
                         "groups of consecutive values of equal probability: their KS distance is exact at the "
                         "groups' edges")
        method = "theory+simulation ([B] multinomial recursion of every column's atoms: TV or KS distance)"
    elif isinstance(fitted, CategoricalGenerator):
        params = fitted.get_fitted_params()
        blocks = [AtomBlock(spec.name, params["marginals"][spec.name], "tv",
                            summary_getter(spec.name) if spec.kind in DISCRETE_KINDS else None) for spec in specs]
        measurable = all(b.getter is not None for b in blocks)
        if fitted.smoothing:
            notes.append(f"smoothing={fitted.smoothing} pulls every generation towards uniform; simulated without it")
        method = "theory+simulation ([B] multinomial recursion of every column's levels: TV distance)"
    else:
        raise ValueError(f"recommend_schedule(criterion='tv') knows the marginals of MultivariateNormalGenerator, "
                         f"GaussianCopulaGenerator and CategoricalGenerator; got {name}: use criterion='kl'.")
    model = MarginalDistanceModel(blocks, method=method, notes=notes, measurable=measurable)
    model.pool = pool
    return model
