"""recommend_schedule: the cheapest expansion schedule that keeps generation T within a tolerance."""

from __future__ import annotations

import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..schedules import ConstantSchedule
from ..utils._random import as_seed_sequence
from ._drift import POOLS
from ._models import drift_model
from ._result import ScheduleAdvice
from ._search import FAMILIES, PARAMETER, FamilySearch, family_grid, wilson

_WHO = "recommend_schedule"


def _seed(root, *key):
    ss = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + key, pool_size=root.pool_size)
    return int(ss.generate_state(1, np.uint32)[0])


def _n_rows(X):
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _check_inputs(X, generator, n_generations, tolerance, target, budget_rows, families, pool, confidence,
                  n_reps, n_calibration):
    if not (hasattr(X, "shape") and len(getattr(X, "shape", ())) == 2):
        raise TypeError(f"{_WHO}: X must be a DataFrame or a 2-d array of the real rows; got "
                        f"{type(X).__name__}.")
    if not (callable(getattr(generator, "fit", None)) and callable(getattr(generator, "sample", None))):
        raise TypeError(f"{_WHO}: generator must have fit(X) and sample(n_samples, random_state=...) (a synthloop "
                        f"generator such as GaussianCopulaGenerator()); got {type(generator).__name__}.")
    if isinstance(n_generations, (bool, np.bool_)) or not isinstance(n_generations, Integral) or n_generations < 1:
        raise ValueError(f"{_WHO}: n_generations must be an int >= 1 (the generation T the tolerance is about); "
                         f"got {n_generations!r}.")
    if isinstance(tolerance, (bool, np.bool_)) or not isinstance(tolerance, Real) or not (
            np.isfinite(tolerance) and tolerance > 0):
        raise ValueError(f"{_WHO}: tolerance must be a finite number > 0 (nats of drift, or the utility loss "
                         f"with target=...); got {tolerance!r}.")
    if not (isinstance(confidence, Real) and 0 < confidence < 1):
        raise ValueError(f"{_WHO}: confidence must be in (0, 1), the promised share of runs; got {confidence!r}.")
    n_real = _n_rows(X)
    if budget_rows is not None:
        if isinstance(budget_rows, (bool, np.bool_)) or not isinstance(budget_rows, Integral):
            raise TypeError(f"{_WHO}: budget_rows must be an int or None; got {budget_rows!r}.")
        if budget_rows < n_real:
            raise ValueError(f"{_WHO}: budget_rows={budget_rows} is smaller than one generation of real size "
                             f"({n_real} rows); give at least {n_real} synthetic rows in total, or None.")
    if target is not None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"{_WHO}: target={target!r} needs X as a DataFrame with that column; got "
                            f"{type(X).__name__}.")
        if target not in X.columns:
            raise ValueError(f"{_WHO}: target {target!r} is not a column of X; columns are "
                             f"{list(map(str, X.columns))}.")
    families = (families,) if isinstance(families, str) else tuple(families)
    bad = [f for f in families if f not in FAMILIES]
    if bad or not families:
        raise ValueError(f"{_WHO}: unknown schedule families {bad}; valid options are {list(FAMILIES)}.")
    if not (isinstance(pool, str) and pool in POOLS):
        why = (" ('fresh' splits the real rows into T+1 chunks, so generation 0 is not the fit on X the drift is "
               "measured from)" if isinstance(pool, str) and pool.startswith("fresh") else "")
        raise ValueError(f"{_WHO}: pool must be one of {list(POOLS)} (unweighted, as RecursiveSynthesizer's "
                         f"defaults); got {pool!r}{why}.")
    for name, value, low in (("n_reps", n_reps, 20), ("n_calibration", n_calibration, 0)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < low:
            raise ValueError(f"{_WHO}: {name} must be an int >= {low}; got {value!r}.")
    return families, n_real


def _time_generator(generator, X, seed):
    """Fit a clone on X and sample as many rows; seconds per row of a generation."""
    gen = clone(generator)
    if "random_state" in gen.get_params():
        gen.set_params(random_state=seed)
    start = time.perf_counter()
    gen.fit(X)
    gen.sample(_n_rows(X), random_state=seed)
    return gen, (time.perf_counter() - start) / _n_rows(X)


def _calibrate_drift(model, generator, X, n_generations, n_runs, n_reps, root, pool="replace"):
    """Fit the approximate blocks' drift to real recursive runs at two sizes.

    Model: ``measured D_t = scale * mean(S_t) + bias * t`` over the runs at
    constant ``n = n_real`` and ``n = 2 n_real`` (``S_t`` the simulated drift,
    proportional to ``sum 1/n``; ``bias * t`` a drift per generation that does
    not shrink with ``n``, the estimator-bias case of THEORY.md §2), least
    squares with both coefficients >= 0; ``spread`` is the median ratio of the
    measured to the scaled simulated standard deviation over the cells. With
    real rows in the pool an estimator bias settles instead of growing like
    ``t``, so ``bias`` is 0 and only ``scale`` is fitted.
    """
    from ..recursive import RecursiveSynthesizer

    n_real = _n_rows(X)
    T_cal = min(n_generations, 3)
    rows, sims = [], {}
    for k, factor in enumerate((1, 2)):
        n = factor * n_real
        for r in range(n_runs):
            rs = RecursiveSynthesizer(clone(generator), n_generations=T_cal, schedule=ConstantSchedule(n=n),
                                      pool=pool, random_state=_seed(root, 1, k, r)).fit(X)
            for t in range(1, T_cal + 1):
                rows.append({"n_samples": n, "run": r, "generation": t,
                             "measured": model.measure_approximate(rs.parameters_[t], rs.parameters_[0])})
        sims[n] = model.simulate_approximate(np.array([n_real] + [n] * T_cal), n_reps, _seed(root, 2, k))[:, 1:]
    measured = pd.DataFrame(rows)
    cells = measured.groupby(["n_samples", "generation"])["measured"].agg(["mean", "std"]).reset_index()
    sim_mean = np.array([sims[n][:, t - 1].mean() for n, t in zip(cells["n_samples"], cells["generation"])])
    sim_sd = np.array([sims[n][:, t - 1].std(ddof=1) for n, t in zip(cells["n_samples"], cells["generation"])])
    t_col = cells["generation"].to_numpy(dtype=float)
    y = cells["mean"].to_numpy()
    from scipy.optimize import nnls

    if pool == "replace":
        (scale, bias), _ = nnls(np.column_stack([sim_mean, t_col]), y)
    else:
        (scale,), _ = nnls(sim_mean[:, None], y)
        bias = 0.0
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    spread = 1.0
    if n_runs >= 2:
        ratio = (cells["std"].to_numpy() / (scale * sim_sd))
        spread = float(np.median(ratio[np.isfinite(ratio)])) if np.any(np.isfinite(ratio)) else 1.0
    if not np.isfinite(spread) or spread <= 0:
        spread = 1.0
    summary = pd.DataFrame({"n_samples": cells["n_samples"], "generation": cells["generation"],
                            "measured_mean": y, "measured_sd": cells["std"], "simulated_mean": sim_mean,
                            "simulated_sd": sim_sd, "calibrated_mean": scale * sim_mean + bias * t_col,
                            "calibrated_sd": scale * spread * sim_sd})
    return float(scale), float(spread), float(bias), measured, summary


def threshold_hint(tolerance, target):
    """The drift bound before the utility calibration (the tolerance itself without a target)."""
    return tolerance if target is None else np.inf


def _task(y):
    values = pd.Series(y).dropna()
    if values.dtype.kind == "f" and not np.all(np.mod(values.to_numpy(), 1) == 0):
        return "regression"
    return "binary" if values.nunique() == 2 else "multiclass"


def _calibrate_utility(model, generator, X, target, metric, n_generations, n_reps, root, pool="replace"):
    """Map the predicted drift to the measured TSTR - TRTR gap: loss = b + a * drift."""
    from ..evaluation import UtilityEvaluator
    from ..evaluation._metrics import default_estimators
    from ..recursive import RecursiveSynthesizer

    task = _task(X[target])
    name, estimator = next(iter(default_estimators(task).items()))
    if metric is None:
        metric = {"binary": "roc_auc", "multiclass": "roc_auc_ovr", "regression": "r2"}[task]
    test_size = 0.25
    n_train = int(np.floor(_n_rows(X) * (1 - test_size)))
    T_cal = min(n_generations, 2)
    evaluator = UtilityEvaluator(target, estimators={name: estimator}, scoring=[metric], test_size=test_size,
                                 n_repeats=3, fidelity=False, random_state=_seed(root, 3))
    rows = []
    within = []  # per (setting, generation): the repeats' losses, whose spread is the evaluator's noise
    for k, div in enumerate((4, 16)):
        n_cal = max(n_train // div, model.min_size())
        rs = RecursiveSynthesizer(clone(generator), n_generations=T_cal, schedule=ConstantSchedule(n=n_cal),
                                  pool=pool, keep="all")
        report = evaluator.evaluate(rs, X)
        summary = report.summary()
        syn = report.scores[report.scores["train_on"] == "synthetic"]
        within += [g.dropna().to_numpy() for _, g in syn.groupby("generation")["gap"]]
        pred = model.simulate(np.array([n_train] + [n_cal] * T_cal), n_reps, _seed(root, 4, k)).mean(axis=0)
        for _, row in summary.iterrows():
            g = int(row["generation"])
            rows.append({"setting": f"constant:{n_cal}", "generation": g, "n_samples": n_cal if g else n_train,
                         "drift_predicted": float(pred[g]), "gap_measured": float(row["gap"]),
                         "gap_ci_low": float(row["gap_ci_low"]), "gap_ci_high": float(row["gap_ci_high"])})
    table = pd.DataFrame(rows)
    loss = -table["gap_measured"].to_numpy()
    x = table["drift_predicted"].to_numpy()
    g0 = table["generation"].to_numpy() == 0
    b = float(np.nanmean(loss[g0]))
    later = ~g0 & np.isfinite(loss) & np.isfinite(x)
    den = float(np.sum(x[later] ** 2))
    a = max(0.0, float(np.sum(x[later] * (loss[later] - b)) / den)) if den > 0 else 0.0
    table["gap_fitted"] = -(b + a * x)
    # The evaluator's own noise (split, downstream fit, synthetic sample) at a
    # fixed generator: the pooled within-cell standard deviation of the losses.
    df = sum(max(v.size - 1, 0) for v in within)
    noise = float(np.sqrt(sum(np.sum((v - v.mean()) ** 2) for v in within if v.size > 1) / df)) if df else 0.0
    return {"metric": metric, "estimator": name, "intercept": b, "slope": a, "noise_sd": noise,
            "noise_df": int(df), "table": table}


def recommend_schedule(X, *, generator, n_generations, tolerance, target=None, metric=None, budget_rows=None,
                       families=FAMILIES, pool="replace", confidence=0.9, n_reps=1000, n_calibration=6,
                       random_state=None):
    r"""The cheapest expansion schedule that keeps generation ``T`` within a tolerance.

    **Drift.** Let ``P_0`` be the model fitted on the real rows ``X`` and
    ``P_t`` the model of generation ``t`` of the recursive loop with ``pool``
    (``"replace"``: generation ``t`` fits ``n_t`` rows sampled from
    generation ``t - 1``; ``"augment"``: those rows plus the real rows;
    ``"accumulate"``: the real rows plus every synthetic row of generations
    ``1..t``). The drift of generation ``t`` is the divergence
    ``D_t = KL(P_t || P_0)`` in nats: the mean log-likelihood ratio of a
    generation-``t`` row under the two models. For a model made of
    independent parts it is the sum of the parts' divergences:

    - ``MultivariateNormalGenerator``: the Gaussian ``N(mean, covariance)``
      of the numeric columns. Its law depends only on ``d``, the estimator's
      ``ddof`` and ``n_1..n_T`` (affine invariance), and is simulated exactly
      from sufficient statistics (:func:`synthloop.simulate.simulate_mvn`,
      THEORY.md §2). For small steps and ``pool="replace"``,
      ``E D_T ~ k/2 * sum_t 1/n_t`` with ``k = d(d+3)/2`` parameters: the
      random walk of [A] whose step is the estimator's asymptotic covariance
      over ``n_t``.
    - ``CategoricalGenerator``: each column's frequencies (``"independent"``)
      or the joint table (``"joint"``), the multinomial recursion of [B]
      (THEORY.md §3), ``E D_T ~ (s-1)/2 * sum_t 1/n_t`` while no level is
      lost.
    - ``GaussianCopulaGenerator``: the Gaussian with the latent correlation
      matrix (``KL(N(0, R_t) || N(0, R_0))``, simulated as the sample
      correlation of normals) plus the [B] drift of each discrete column's
      marginal. Numeric columns' empirical marginals are left out.
    - any other generator: simulation only, of a proxy (a Gaussian on the
      complete numeric columns and an empirical categorical per other
      column), with a warning.

    Where the simulation is only approximate (the copula's latent
    correlation, clipped integer columns, shrinkage or smoothing),
    ``n_calibration`` real recursive runs of ``generator`` at each of two
    sizes (constant ``n = n_real`` and ``2 n_real``, up to 3 generations)
    measure the drift of those parts from ``get_fitted_params``; their
    simulated drift ``S_t`` is mapped to
    ``scale * (mean(S_t) + spread * (S_t - mean(S_t))) + bias * t``:
    ``scale`` and ``bias`` (a drift per generation that does not shrink with
    ``n``, [A]'s biased estimator) are a non-negative least-squares fit of the
    measured means, ``spread`` matches the measured coefficient of variation
    (``result.calibration``). The exact parts are not touched. A copula
    generation too large for one :class:`~synthloop.RecursiveSynthesizer`
    chunk is fit with ``partial_fit`` and its correlation sees the last chunk
    plus ``reservoir_size`` rows; it is simulated as Kish's effective number
    of rows (``pool="replace"`` only; other pools are simulated as one plain
    fit of all their rows, see ``result.notes``).

    **Pools with real rows.** With ``"augment"`` or ``"accumulate"`` every
    pool holds the real rows, so the drift stays bounded as ``T`` grows
    ([B] Theorem 2, THEORY.md §3; Gerstgrasser et al.). The drift is then small
    both for few synthetic rows (the real rows dominate the pool) and for very
    many (each generation reproduces the last), largest near ``n_t ~ n_real``:
    the cheapest grid setting usually passes, and a tolerance below the drift
    of one generation of real size cannot be met by the polynomial or
    geometric families. The simulation is exact as for ``"replace"``
    (:func:`~synthloop.simulate.simulate_mvn` with the same pool, from the
    standard normal by affine invariance; for categorical columns the real
    counts ``n_real * p`` plus ``Mult(n_t, q_{t-1})``); the calibration and
    :meth:`ScheduleAdvice.validate` run :class:`~synthloop.RecursiveSynthesizer`
    with the same pool, and a calibrated ``bias`` is 0 (an estimator bias
    settles instead of growing like ``t``).

    **Criterion.** Without ``target``: ``D_T <= tolerance`` (nats) with
    probability at least ``confidence``. With ``target``: the utility loss
    ``-(TSTR - TRTR)`` of :class:`~synthloop.UtilityEvaluator` at generation
    ``T`` is at most ``tolerance`` with probability at least ``confidence``;
    the loss is modelled as ``b + a * D_T + e`` with ``b`` the measured loss of
    generation 0, ``a >= 0`` a least-squares slope on two small real
    calibration settings (constant ``n = n_train/4`` and ``n_train/16``, two
    generations, three repeats, the first default estimator) and ``e`` the
    evaluator's own noise at a fixed generator (one split, one downstream
    fit), normal with the pooled standard deviation of the repeats. The
    promise is about one evaluation of generation ``T`` as
    :class:`~synthloop.UtilityEvaluator` with ``n_repeats=1`` makes it;
    ``result.calibration["utility"]`` shows the fit and
    ``result.calibration["noise_sd"]`` the noise.

    **Search.** For each family the settings are a grid, cheapest first:
    ``n`` for constant (``n_t = n``) and linear (``n_t = n t``) in factors of
    ``sqrt(2)``; ``power`` for polynomial (``n_t = n_0 t^power``) in steps of
    0.25; ``ratio`` for geometric (``n_t = n_0 ratio^(t-1)``) on 1.05, 1.1,
    1.15, 1.2, 1.3, ..., 2, 2.25, 2.5, 3, ..., 8. Polynomial and geometric keep
    ``n_1 = n_0``: when one generation of real size already drifts past the
    tolerance they cannot meet it, and the constant or linear family can. ``P(criterion)`` is estimated from ``n_reps`` simulated replications
    (common random numbers across settings) and the cheapest setting with
    ``P >= confidence`` found by bisection. Each setting is reported with a
    95% Wilson interval on ``P`` and an interval on the parameter (the
    cheapest grid values whose Wilson upper, and lower, bound reach
    ``confidence``). Cost: total synthetic rows ``sum_{t=1..T} n_t`` and the
    estimated seconds, rows times the measured seconds per row of one fit and
    sample of ``generator`` on ``X`` (with ``pool="augment"`` plus the
    ``T * n_real`` real rows refit every generation).

    Parameters
    ----------
    X : DataFrame or ndarray of shape (n_real, n_features)
        The real table.
    generator : generator
        Unfitted; cloned for every fit.
    n_generations : int >= 1
        The generation ``T`` the tolerance is about.
    tolerance : float > 0
        Nats of drift, or the utility loss with ``target``.
    target : str, default=None
        A column of ``X``: switch the criterion to downstream utility.
    metric : str, default=None
        Scorer of the utility criterion (default ``roc_auc``, ``roc_auc_ovr``
        or ``r2`` by task).
    budget_rows : int, default=None
        Largest total of synthetic rows; at least one generation of real size.
    families : sequence of str, default=("constant", "linear", "polynomial", "geometric")
    pool : {"replace", "augment", "accumulate"}, default="replace"
        What each generation trains on, as the same string given to
        :class:`~synthloop.RecursiveSynthesizer` (unweighted pools; see
        :mod:`synthloop.pools`). ``"fresh"`` is not supported: it splits the
        real rows into ``T + 1`` chunks, so generation 0 is not fit on ``X``.
    confidence : float in (0, 1), default=0.9
        The promised share of runs that meet the tolerance.
    n_reps : int >= 20, default=1000
        Simulated replications per setting.
    n_calibration : int >= 0, default=6
        Real recursive runs per calibration size (0: none; 1: the mean only).
    random_state : None, int or SeedSequence
        Root of every seed (simulation, calibration runs, evaluator).

    Returns
    -------
    ScheduleAdvice

    Raises
    ------
    ValueError
        ``tolerance <= 0``, ``budget_rows`` below the real size, a ``target``
        not in ``X``, an unknown family, a pool other than ``"replace"``,
        ``"augment"`` or ``"accumulate"``.

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.advise import recommend_schedule
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> advice = recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=5,
    ...                             tolerance=0.05, families=["constant"], n_reps=200, random_state=0)
    >>> advice.recommendation["family"], int(advice.recommendation["value"])
    ('constant', 566)
    >>> advice.schedule
    ConstantSchedule(n=566)
    >>> advice.table.loc[0, ["total_rows", "cheaper_value"]].tolist()
    [2830, 400]

    Keeping the real rows in every pool bounds the drift: the cheapest grid
    setting passes.

    >>> augment = recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=5,
    ...                              tolerance=0.05, families=["constant"], pool="augment", n_reps=200,
    ...                              random_state=0)
    >>> augment.schedule
    ConstantSchedule(n=3)
    """
    families, n_real = _check_inputs(X, generator, n_generations, tolerance, target, budget_rows, families, pool,
                                     confidence, n_reps, n_calibration)
    root = as_seed_sequence(random_state)
    fitted, sec_per_row = _time_generator(generator, X, _seed(root, 0))
    model = drift_model(fitted, X, pool)
    notes = list(model.notes)
    if not model.measurable and model.method.startswith("simulation-only"):
        warnings.warn(f"{_WHO}: {notes[0]}", UserWarning, stacklevel=2)
    calibration = {}
    if not model.exact and model.measurable and n_calibration > 0:
        scale, spread, bias, measured, summary = _calibrate_drift(model, generator, X, n_generations,
                                                                  n_calibration, min(n_reps, 500), root, pool)
        model.scale, model.spread, model.bias = scale, spread, bias
        calibration.update(scale=scale, spread=spread, bias=bias, drift=measured, drift_summary=summary)
        approx = ", ".join(b.description for b in model.blocks if not b.exact)
        notes.append(f"calibrated on 2 x {n_calibration} real recursive runs (pool={pool!r}, constant n = n_real "
                     f"and 2 n_real, {min(n_generations, 3)} generations): the simulated drift of {approx} is "
                     f"multiplied by {scale:.3g}, its spread around the mean by a further {spread:.3g}, plus "
                     f"{bias:.3g} nats per generation that do not shrink with n (estimator bias)")
        if bias > 0 and bias * n_generations >= threshold_hint(tolerance, target):
            notes.append(f"the bias alone drifts {bias * n_generations:.3g} nats by generation {n_generations}: "
                         "no number of rows can meet the tolerance; use fewer generations or a pool with real rows")
    threshold = float(tolerance)
    # replace is the loop the criterion was first written for; name any other pool in it
    on_pool = "" if pool == "replace" else f", pool={pool!r}"
    criterion = (f"P(KL(P_T || P_0) <= {tolerance:g} nats) >= {confidence:g} at generation T={n_generations}"
                 f"{on_pool}")
    if target is not None:
        util = _calibrate_utility(model, generator, X, target, metric, n_generations, min(n_reps, 500), root,
                                  pool)
        calibration["utility"] = util["table"]
        calibration.update(intercept=util["intercept"], slope=util["slope"], noise_sd=util["noise_sd"],
                           metric=util["metric"], estimator=util["estimator"])
        a, b, sd = util["slope"], util["intercept"], util["noise_sd"]
        criterion = (f"P(-(TSTR - TRTR {util['metric']}) <= {tolerance:g}) >= {confidence:g} at generation "
                     f"T={n_generations}{on_pool}, with loss = {b:.4g} + {a:.4g} * drift + N(0, {sd:.3g}^2) "
                     "(calibrated)")
        notes.append(f"the evaluator's own noise (one split; pooled over {util['noise_df']} degrees of freedom of "
                     f"the calibration repeats) has standard deviation {sd:.3g}: even generation 0 meets the "
                     f"tolerance only with probability Phi((tolerance - {b:.3g}) / {sd:.3g})")
        if b >= tolerance:
            threshold = -np.inf
            notes.append(f"generation 0 already loses {b:.4g} > tolerance: no schedule meets it")
        elif a <= 0:
            threshold = np.inf
            notes.append("no utility loss grew with the drift in the calibration runs: only the evaluator's noise "
                         "decides, whatever the schedule")
        else:
            threshold = (tolerance - b) / a
    sim_seed = _seed(root, 5)
    # One evaluator-noise draw per replication, the same for every setting
    # (common random numbers, like the simulated drift paths).
    noise = np.random.default_rng(_seed(root, 7)).standard_normal(n_reps)

    def evaluate(sizes):
        path = model.simulate(sizes, n_reps, sim_seed)
        if target is None or threshold == -np.inf:
            return path[:, -1] <= threshold, path
        loss = calibration["intercept"] + calibration["slope"] * path[:, -1] + calibration["noise_sd"] * noise
        return loss <= tolerance, path

    # augment refits the real rows every generation (accumulate adds only the new rows with partial_fit)
    real_rows = n_generations * n_real if pool == "augment" else 0
    rows, predicted = [], []
    searches = {}
    for family in families:
        if threshold == -np.inf:  # nothing can meet it: do not search the grids to their (absurd) ends
            rows.append({"family": family, "parameter": PARAMETER[family], "probability": 0.0, "meets": False,
                         "within_budget": True})
            continue
        grid = family_grid(family, n_real, model.min_size())
        search = FamilySearch(family, grid, evaluate, n_generations, n_real, confidence)
        searches[family] = search
        i = search.search()
        row = {"family": family, "parameter": PARAMETER[family]}
        chosen = i
        if i is not None:
            row["value_low"], row["value_high"] = search.interval(i)
        if budget_rows is not None and (i is None or search.rows(i) > budget_rows):
            affordable = [j for j in range(len(search.grid)) if search.rows(j) <= budget_rows]
            chosen = affordable[-1] if affordable else None
        if chosen is None and i is None:
            chosen = len(search.grid) - 1  # the best the grid offers
        if chosen is None:
            continue
        search.prob(chosen)
        p, k, n, path = search.cache[chosen]
        lo, hi = wilson(k, n)
        row.update(value=search.grid[chosen], probability=p, probability_low=lo, probability_high=hi,
                   meets=bool(p >= confidence), total_rows=search.rows(chosen),
                   fit_seconds=(search.rows(chosen) + real_rows) * sec_per_row,
                   drift_mean=float(np.mean(path[:, -1])),
                   drift_sd=float(np.std(path[:, -1], ddof=1)),
                   drift_quantile=float(np.quantile(path[:, -1], confidence)),
                   within_budget=budget_rows is None or search.rows(chosen) <= budget_rows)
        if chosen == 0 and i == 0 and pool != "replace":
            notes.append(f"{family}: the cheapest grid setting ({PARAMETER[family]}={search.grid[0]:g}) already "
                         f"meets the tolerance: with pool={pool!r} few synthetic rows barely move the fit of the "
                         "real rows")
        if chosen > 0:
            search.prob(chosen - 1)
            row.update(cheaper_value=search.grid[chosen - 1], cheaper_probability=search.cache[chosen - 1][0],
                       cheaper_rows=search.rows(chosen - 1))
        rows.append(row)
        sizes = search.sizes[chosen]
        for t in range(n_generations + 1):
            entry = {"family": family, "generation": t, "n_samples": int(sizes[t]),
                     "drift_mean": float(np.mean(path[:, t])),
                     "drift_quantile": float(np.quantile(path[:, t], confidence))}
            if target is not None:
                entry["gap_predicted"] = -(calibration["intercept"] + calibration["slope"] * entry["drift_mean"])
            predicted.append(entry)
    columns = ["family", "parameter", "value", "value_low", "value_high", "probability", "probability_low",
               "probability_high", "meets", "total_rows", "fit_seconds", "drift_mean", "drift_sd", "drift_quantile",
               "within_budget", "cheaper_value", "cheaper_probability", "cheaper_rows"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    ok = table[table["meets"] & table["within_budget"]]
    recommendation, closest = None, None
    if len(ok):
        recommendation = ok.sort_values("total_rows").iloc[0].to_dict()
    elif len(table) and table["total_rows"].notna().any():
        candidates = table.dropna(subset=["total_rows"])
        closest = candidates.sort_values(["probability", "total_rows"], ascending=[False, True]).iloc[0].to_dict()
    if recommendation is None:
        notes.append("none within budget" if budget_rows is not None else "no setting of the searched grids meets "
                     "the tolerance")
    return ScheduleAdvice(
        table=table, recommendation=recommendation, closest=closest, predicted=pd.DataFrame(predicted),
        calibration=calibration or None, criterion=criterion, method=model.method, notes=notes,
        threshold=threshold, settings=dict(n_generations=n_generations, tolerance=float(tolerance),
                                           confidence=float(confidence), target=target, budget_rows=budget_rows,
                                           n_real=n_real, n_reps=n_reps, pool=pool,
                                           seconds_per_row=sec_per_row),
        model=model, generator=generator, root=root,
    )
