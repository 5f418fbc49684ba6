"""recommend_schedule: the cheapest expansion schedule that keeps generation T within a tolerance."""

from __future__ import annotations

import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..theory._validation import check_integer
from ..utils._random import as_seed_sequence, child_seed
from ._calibrate import (EXTRAPOLATION_FACTOR, MAX_CALIBRATION_ROWS, MAX_ROUNDS, PROBE_FACTOR, PROBE_ROWS, PROBE_RUNS,
                         DriftCalibration, calibrate_utility, calibration_rows, calibration_sizes)
from ..pools import FreshPool
from ._drift import POOLS, is_fresh_draws
from ._models import drift_model, marginal_model
from ._result import ScheduleAdvice
from ._search import FAMILIES, PARAMETER, FamilySearch, family_grid, make_schedule, wilson

_OWNER = "recommend_schedule"
_COLUMNS = ["family", "parameter", "value", "value_low", "value_high", "probability", "probability_low",
            "probability_high", "meets", "total_rows", "fit_seconds", "drift_mean", "drift_sd", "drift_quantile",
            "loss_mean", "loss_vs_real", "within_budget", "cheaper_value", "cheaper_probability", "cheaper_rows",
            "beyond_budget_value", "beyond_budget_rows"]
#: Drift criteria without a target: nats of KL, or the largest per-column TV / KS distance.
CRITERIA = ("kl", "tv")
#: What the loss of a utility criterion is measured against.
REFERENCES = ("generation0", "real")
# Child-seed keys of one advice (their numbers are those of earlier releases, so results are unchanged).
_KEYS = {"timing": 0, "calibration-run": 1, "calibration-simulation": 2, "utility-evaluator": 3,
         "utility-simulation": 4, "search": 5, "refit": 6, "noise": 7, "calibration-bootstrap": 8}


def _seeder(root):
    """``seed(name, *key)``: the child seed of a named key under ``root``."""
    def seed(name, *key):
        return child_seed(root, _KEYS[name], *key)
    return seed


def _n_rows(X):
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _check_inputs(X, generator, n_generations, tolerance, criterion, target, reference, budget_rows, families,
                  pool, confidence, n_reps, n_calibration):
    if not (hasattr(X, "shape") and len(getattr(X, "shape", ())) == 2):
        raise TypeError(f"{_OWNER}: X must be a DataFrame or a 2-d array of the real rows; got "
                        f"{type(X).__name__}.")
    if not (callable(getattr(generator, "fit", None)) and callable(getattr(generator, "sample", None))):
        raise TypeError(f"{_OWNER}: generator must have fit(X) and sample(n_samples, random_state=...) (a synthloop "
                        f"generator such as GaussianCopulaGenerator()); got {type(generator).__name__}.")
    check_integer(n_generations, "n_generations (the generation T the tolerance is about)", 1, _OWNER)
    if isinstance(tolerance, (bool, np.bool_)) or not isinstance(tolerance, Real) or not (
            np.isfinite(tolerance) and tolerance > 0):
        raise ValueError(f"{_OWNER}: tolerance must be a finite number > 0 (nats of drift, or the utility loss "
                         f"with target=...); got {tolerance!r}.")
    if not (isinstance(confidence, Real) and 0 < confidence < 1):
        raise ValueError(f"{_OWNER}: confidence must be in (0, 1), the promised share of runs; got {confidence!r}.")
    n_real = _n_rows(X)
    if budget_rows is not None:
        if isinstance(budget_rows, (bool, np.bool_)) or not isinstance(budget_rows, Integral):
            raise TypeError(f"{_OWNER}: budget_rows must be an int or None; got {budget_rows!r}.")
        if budget_rows < n_real:
            raise ValueError(f"{_OWNER}: budget_rows={budget_rows} is smaller than one generation of real size "
                             f"({n_real} rows); give at least {n_real} synthetic rows in total, or None.")
    if target is not None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"{_OWNER}: target={target!r} needs X as a DataFrame with that column; got "
                            f"{type(X).__name__}.")
        if target not in X.columns:
            raise ValueError(f"{_OWNER}: target {target!r} is not a column of X; columns are "
                             f"{list(map(str, X.columns))}.")
    if not (isinstance(criterion, str) and criterion in CRITERIA):
        raise ValueError(f"{_OWNER}: criterion must be one of {list(CRITERIA)} (nats of KL drift, or the largest "
                         f"per-column TV / KS distance); got {criterion!r}.")
    if criterion != "kl" and target is not None:
        raise ValueError(f"{_OWNER}: criterion={criterion!r} is a drift criterion; with target={target!r} the "
                         "criterion is the utility loss. Give one of them.")
    if target is None and reference is not None:
        raise ValueError(f"{_OWNER}: reference={reference!r} is about the utility criterion; give target=... "
                         "(a column of X) or leave reference=None.")
    if target is not None:
        reference = "generation0" if reference is None else reference
        if reference not in REFERENCES:
            raise ValueError(f"{_OWNER}: reference must be one of {list(REFERENCES)}; got {reference!r}.")
    families = (families,) if isinstance(families, str) else tuple(families)
    bad = [f for f in families if f not in FAMILIES]
    if bad or not families:
        raise ValueError(f"{_OWNER}: unknown schedule families {bad}; valid options are {list(FAMILIES)}.")
    _check_pool(pool, generator, criterion, n_real)
    check_integer(n_reps, "n_reps", 20, _OWNER)
    check_integer(n_calibration, "n_calibration", 0, _OWNER)
    return families, n_real, reference


def _check_pool(pool, generator, criterion, n_real):
    """A pool the drift simulation reproduces exactly (up to the generator's own approximations), or one line why not."""
    from ..generators import CategoricalGenerator, GaussianCopulaGenerator, MultivariateNormalGenerator

    if isinstance(pool, str) and pool in POOLS:
        return
    expected = (f"{_OWNER}: pool must be one of {list(POOLS)} (unweighted, as RecursiveSynthesizer's defaults) or "
                f"FreshPool(n_real=...) (new real rows drawn from X each generation); got {pool!r}")
    chunks = (isinstance(pool, str) and pool.startswith("fresh")) or (
        isinstance(pool, FreshPool) and pool.n_real is None and pool.stream is None)
    if chunks:
        raise ValueError(f"{expected} ('fresh' splits the real rows into T+1 chunks, so generation 0 is not the fit "
                         "on X the drift is measured from; FreshPool(n_real=k) draws k rows of X instead).")
    if isinstance(pool, FreshPool) and pool.stream is not None:
        raise ValueError(f"{expected} (a stream's rows are not known before the run, so they cannot be simulated; "
                         "FreshPool(n_real=k) draws k rows of X instead).")
    if not is_fresh_draws(pool):
        raise ValueError(f"{expected}.")
    pool.validate([n_real, n_real])  # its own errors: parameters, n_real beyond X without replacement
    name = type(generator).__name__
    why = None
    if criterion != "kl":
        why = ("criterion='tv' simulates the columns independently, and the fresh real rows tie them together; use "
               "criterion='kl'")
    elif isinstance(generator, GaussianCopulaGenerator):
        why = ("its latent correlation is simulated as a Gaussian chain with no model of real rows drawn afresh "
               "from X")
    elif isinstance(generator, CategoricalGenerator) and generator.structure == "joint":
        why = "structure='joint' is not measured on real runs; use structure='independent'"
    elif not isinstance(generator, (CategoricalGenerator, MultivariateNormalGenerator)):
        why = "it is simulated by a proxy fitted to X"
    if why is not None:
        raise ValueError(f"{_OWNER}: {pool!r} is simulated for MultivariateNormalGenerator and CategoricalGenerator "
                         f"only; not for {name}: {why}.")


def _time_generator(generator, X, seed):
    """Fit a clone on X and sample as many rows; seconds per row of a generation."""
    gen = clone(generator)
    if "random_state" in gen.get_params():
        gen.set_params(random_state=seed)
    start = time.perf_counter()
    gen.fit(X)
    gen.sample(_n_rows(X), random_state=seed)
    return gen, (time.perf_counter() - start) / _n_rows(X)


def recommend_schedule(X, *, generator, n_generations, tolerance, criterion="kl", target=None, reference=None,
                       metric=None, budget_rows=None, families=FAMILIES, pool="replace", confidence=0.9, n_reps=1000,
                       n_calibration=6, verbose=0, random_state=None):
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
      docs/theory.rst, "Gaussian estimation"). For small steps and ``pool="replace"``,
      ``E D_T ~ k/2 * sum_t 1/n_t`` with ``k = d(d+3)/2`` parameters: the
      random walk of [A] whose step is the estimator's asymptotic covariance
      over ``n_t``.
    - ``CategoricalGenerator``: each column's frequencies (``"independent"``)
      or the joint table (``"joint"``), the multinomial recursion of [B]
      (docs/theory.rst, "Categorical (next-token) model"), ``E D_T ~ (s-1)/2 * sum_t 1/n_t`` while no level is
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
    ``n_calibration`` real recursive runs of ``generator`` at each of three
    sizes spanning 16x (constant ``n = n_real/4``, ``n_real`` and
    ``4 n_real``, up to 5 generations) measure the drift of those parts from
    ``get_fitted_params``. Their simulated drift ``S_t`` (a random walk whose
    step is ``1/n``) is mapped to
    ``scale * (mean(S_t) + spread * (S_t - mean(S_t))) + c * (sum_s n_s^-gamma)^2``:
    [A]'s bias rule, docs/theory.rst ("Measuring a generator's bias
    exponent"): noise adds in variance, a bias ``c n^-gamma`` that keeps its
    direction adds in amplitude. ``scale``, ``c`` and ``gamma`` in (0, 1] are
    a weighted least-squares fit of the measured means; the bias term is kept
    only when it improves the fit beyond the 95% chi-square criterion, and
    ``gamma`` gets a profile interval (``result.calibration["gamma_low"]``,
    ``["gamma_high"]``). When ``gamma < 1`` the polynomial family also tries
    [A]'s growth ``n_t ~ t^((1+s)/gamma)``; an interval reaching 0 (a bias
    that does not shrink) is said in the notes. ``spread`` matches the
    measured coefficient of variation. The exact parts are not touched. A
    copula generation is a plain fit of all its rows whatever its size
    (:class:`~synthloop.RecursiveSynthesizer` fits it by the copula's exact
    two-pass block reduction); under ``pool="accumulate"`` it continues the
    previous fit with ``partial_fit`` and its reservoir, which the simulation
    leaves out (see ``result.notes``).

    **Pools with real rows.** With ``"augment"`` or ``"accumulate"`` every
    pool holds the real rows, so the drift stays bounded as ``T`` grows
    ([B] Theorem 2, docs/theory.rst, "Categorical (next-token) model"; Gerstgrasser et al.). The drift is then small
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

    **Fresh real rows.** ``pool=FreshPool(n_real=k, replace=..., real_weight=w)``
    (He, Xu and Cheng's loop) fits generation 0 on ``X`` and every later
    generation on ``k`` rows drawn from ``X`` afresh plus ``n_t`` synthetic
    rows, weighted as the pool weights them. Its simulation draws those rows
    of ``X`` itself (so it is exact whatever the law of ``X``, and the columns
    share the rows as in the loop) and the synthetic rows' sufficient
    statistics exactly: for ``MultivariateNormalGenerator`` the weighted mean
    and covariance, for ``CategoricalGenerator`` the weighted counts (with
    ``structure="chain"`` the marginals, calibrated as for the other pools).
    The drift then settles at a floor set by the ``k`` real rows, which no
    number of synthetic rows lowers. The copula, the joint table, other
    generators, streams and ``criterion="tv"`` are refused with the reason.

    **Criterion.** Without ``target``: ``D_T <= tolerance`` (nats) with
    probability at least ``confidence``; ``criterion="tv"`` replaces the KL by
    the largest per-column distance between generation ``T`` and generation
    0, every column included: total variation for a discrete column, the
    Kolmogorov–Smirnov distance for a numeric one (missing values an atom of
    their own). Each column's law is exact ([B]'s multinomial recursion of the
    copula's or categorical generator's atoms; the normal columns' mean and
    variance chain), so nothing is calibrated; the columns are simulated
    independently, an approximation for their maximum that
    :meth:`ScheduleAdvice.validate` checks. With ``target``: the utility loss
    at generation ``T`` is at most ``tolerance`` with probability at least
    ``confidence``. ``reference="generation0"`` (the default with a target)
    measures the loss against generation 0 of the same generator in the same
    evaluator repeat: the loss the recursion adds, which a schedule controls.
    ``reference="real"`` measures it against real-only training
    (``-(TSTR - TRTR)``), which includes the generator's own gap at
    generation 0 that no schedule changes. The loss is modelled as
    ``b + a * D_T + e`` with ``b`` 0 (``"generation0"``) or the measured loss
    of generation 0 (``"real"``), ``a >= 0`` a least-squares slope on two
    small real calibration settings (constant ``n = n_train/4`` and
    ``n_train/16``, two generations, three repeats, the first default
    estimator) and ``e`` the evaluator's own noise (one split, one downstream
    fit), normal with the pooled standard deviation of the repeats. The
    promise is about one evaluation of generation ``T`` as
    :class:`~synthloop.UtilityEvaluator` with ``n_repeats=1`` makes it;
    ``result.calibration["utility"]`` shows the fit and
    ``result.calibration["noise_sd"]`` the noise; the table gives both
    losses of the chosen setting (``loss_mean`` against the reference,
    ``loss_vs_real`` against real-only training).

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
        Nats of drift (``criterion="kl"``), the largest column distance
        (``"tv"``, in [0, 1]), or the utility loss with ``target``.
    criterion : {"kl", "tv"}, default="kl"
        The drift criterion without a target.
    target : str, default=None
        A column of ``X``: switch the criterion to downstream utility.
    reference : {"generation0", "real"}, default=None
        What the utility loss is measured against (needs ``target``; None
        means ``"generation0"``).
    metric : str, default=None
        Scorer of the utility criterion (default ``roc_auc``, ``roc_auc_ovr``
        or ``r2`` by task).
    budget_rows : int, default=None
        Largest total of synthetic rows; at least one generation of real size.
    families : sequence of str, default=("constant", "linear", "polynomial", "geometric")
    pool : {"replace", "augment", "accumulate"} or FreshPool, default="replace"
        What each generation trains on, as the same string given to
        :class:`~synthloop.RecursiveSynthesizer` (unweighted pools; see
        :mod:`synthloop.pools`), or a :class:`~synthloop.FreshPool` with
        ``n_real`` (see Fresh real rows). ``"fresh"`` is not supported: it
        splits the real rows into ``T + 1`` chunks, so generation 0 is not fit
        on ``X``.
    confidence : float in (0, 1), default=0.9
        The promised share of runs that meet the tolerance.
    n_reps : int >= 20, default=1000
        Simulated replications per setting.
    n_calibration : int >= 0, default=6
        Real recursive runs per calibration size (0: none; 1: the mean only).
    verbose : int, default=0
        Above 0: print an estimate of the seconds of real runs before they
        start and show a progress bar over the calibration runs and the
        family searches.
    random_state : None, int or SeedSequence
        Root of every seed (simulation, calibration runs, evaluator).

    Returns
    -------
    ScheduleAdvice

    Raises
    ------
    ValueError
        ``tolerance <= 0``, ``budget_rows`` below the real size, a ``target``
        not in ``X``, ``reference`` without ``target`` or unknown, an unknown
        family, a pool other than ``"replace"``, ``"augment"``,
        ``"accumulate"`` or a ``FreshPool(n_real=...)`` with a generator it
        simulates.

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

    He, Xu and Cheng's loop: 100 rows of ``X`` drawn afresh every generation,
    weighted 0.618 against the synthetic rows.

    >>> from synthloop import FreshPool
    >>> fresh = recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=5,
    ...                            tolerance=0.05, families=["constant"],
    ...                            pool=FreshPool(n_real=100, real_weight=0.618), n_reps=200, random_state=0)
    >>> fresh.schedule
    ConstantSchedule(n=25)
    """
    families, n_real, reference = _check_inputs(X, generator, n_generations, tolerance, criterion, target,
                                                reference, budget_rows, families, pool, confidence, n_reps,
                                                n_calibration)
    root = as_seed_sequence(random_state)
    seed = _seeder(root)
    fitted, sec_per_row = _time_generator(generator, X, seed("timing"))
    model = drift_model(fitted, X, pool) if criterion == "kl" else marginal_model(fitted, X, pool)
    notes = list(model.notes)
    if not model.measurable and model.method.startswith("simulation-only"):
        warnings.warn(f"{_OWNER}: {notes[0]}", UserWarning, stacklevel=2)
    calibrate = not model.exact and model.measurable and n_calibration > 0
    sizes_cal = calibration_sizes(n_real, model.min_size()) if calibrate else []
    progress = _progress_for(verbose, model, sec_per_row, n_real, n_generations, n_calibration, sizes_cal,
                             target, families)
    calibration = {}
    drift_cal = None
    if calibrate:
        drift_cal = DriftCalibration(model, generator, X, n_generations, n_calibration, min(n_reps, 500), seed,
                                     pool, confidence, progress)
        for n in sizes_cal:
            drift_cal.add_size(n)
        _apply_calibration(model, drift_cal, calibration)
    statement = _drift_statement(criterion, tolerance, confidence, n_generations, pool)
    threshold, utility_notes = float(tolerance), []
    if target is not None:
        statement, threshold, utility_notes = _utility_criterion(
            model, generator, X, target, metric, n_generations, n_reps, seed, pool, reference, progress,
            tolerance, confidence, calibration)
    evaluate = _evaluator(model, n_reps, seed, target, threshold, tolerance, calibration)
    search = _search_and_recalibrate(model, evaluate, families, n_real, n_generations, confidence, budget_rows,
                                     pool, threshold, sec_per_row, target, calibration, drift_cal, n_calibration,
                                     progress)
    table, recommendation = search["table"], search["recommendation"]
    if progress is not None:
        progress.close()
    if drift_cal is not None:
        extrapolation = 1.0
        if recommendation is not None:
            extrapolation = _rows_per_generation(recommendation, n_generations, n_real) / max(drift_cal.sizes)
        notes += _calibration_notes(model, calibration, pool, drift_cal, n_calibration, confidence,
                                    search["recalibrated"], extrapolation)
    notes += utility_notes
    notes += _refit_floor_note(model, n_real, n_reps, seed, threshold, confidence, pool)
    if search["extra_powers"]:
        p = search["extra_powers"]
        notes.append(f"[A]'s bias rule: gamma = {calibration['gamma']:.2g}, so the polynomial family also tries "
                     f"n_t ~ t^((1+s)/gamma) = t^{p[0]:g}, t^{p[1]:g}, t^{p[2]:g} (s = 0.25, 0.5, 1)")
    notes += search["notes"]
    closest = None
    if recommendation is None:
        closest = _closest(table)
        notes.append(_why_none(table, budget_rows, calibration, model.pool))
    return ScheduleAdvice(
        table=table, recommendation=recommendation, closest=closest, predicted=pd.DataFrame(search["predicted"]),
        calibration=calibration or None, criterion=statement, method=model.method, notes=notes,
        threshold=threshold, settings=dict(n_generations=n_generations, tolerance=float(tolerance),
                                           confidence=float(confidence), criterion=criterion, target=target,
                                           reference=reference,
                                           budget_rows=budget_rows, n_real=n_real, n_reps=n_reps, pool=pool,
                                           seconds_per_row=sec_per_row),
        model=model, generator=generator, root=root,
    )


# ------------------------------------------------------------------ the steps of recommend_schedule
def _progress_for(verbose, model, sec_per_row, n_real, n_generations, n_calibration, sizes_cal, target, families):
    """The progress bar over the calibration runs and the family searches, with the estimated seconds."""
    steps = len(sizes_cal) * n_calibration + (2 if target is not None else 0) + len(families)
    seconds = sec_per_row * (calibration_rows(n_real, model.min_size(), n_generations, n_calibration)
                             if sizes_cal else 0)
    if target is not None:
        n_train = int(0.75 * n_real)
        seconds += sec_per_row * 3 * (n_train + 2 * (n_train // 4 + n_train // 16))
    return _progress(verbose, steps, seconds, len(sizes_cal) * n_calibration)


def _drift_statement(criterion, tolerance, confidence, n_generations, pool):
    """The promise in words, for a drift criterion."""
    # replace is the loop the criterion was first written for; name any other pool in it
    on_pool = "" if pool == "replace" else f", pool={pool!r}"
    if criterion == "tv":
        return (f"P(max over columns of TV (discrete) or KS (numeric) distance(P_T, P_0) <= {tolerance:g}) >= "
                f"{confidence:g} at generation T={n_generations}{on_pool}")
    return (f"P(KL(P_T || P_0) <= {tolerance:g} nats) >= {confidence:g} at generation T={n_generations}"
            f"{on_pool}")


def _utility_criterion(model, generator, X, target, metric, n_generations, n_reps, seed, pool, reference,
                       progress, tolerance, confidence, calibration):
    """Calibrate the utility loss on the drift; ``(statement, drift threshold, notes)``; fills ``calibration``."""
    util = calibrate_utility(model, generator, X, target, metric, n_generations, min(n_reps, 500), seed,
                             pool, reference, progress)
    calibration["utility"] = util["table"]
    calibration.update({k: util[k] for k in ("intercept", "slope", "noise_sd", "metric", "estimator",
                                              "reference", "loss_real_0")})
    a, b, sd = util["slope"], util["intercept"], util["noise_sd"]
    on_pool = "" if pool == "replace" else f", pool={pool!r}"
    against = "generation 0" if reference == "generation0" else "real-only training (TRTR)"
    statement = (f"P(loss of {util['metric']} against {against} <= {tolerance:g}) >= {confidence:g} at "
                 f"generation T={n_generations}{on_pool}, with loss = {b:.4g} + {a:.4g} * drift + "
                 f"N(0, {sd:.3g}^2) (calibrated)")
    notes = [f"generation 0 loses {util['loss_real_0']:.4g} {util['metric']} against real-only "
             "training (the generator's own gap, which no schedule changes); the criterion is "
             f"against {against}",
             f"the evaluator's own noise (one split; pooled over {util['noise_df']} degrees of "
             f"freedom of the calibration repeats) has standard deviation {sd:.3g}: even a "
             "generation that does not drift meets the tolerance only with probability "
             f"Phi((tolerance - {b:.3g}) / {sd:.3g})"]
    if b >= tolerance:
        notes.append(f"generation 0 already loses {b:.4g} > tolerance against real-only training: no "
                     "schedule meets it; use reference='generation0' to bound the loss the generations add")
        return statement, -np.inf, notes
    if a <= 0:
        notes.append("no utility loss grew with the drift in the calibration runs: only the "
                     "evaluator's noise decides, whatever the schedule")
        return statement, np.inf, notes
    return statement, (tolerance - b) / a, notes


def _evaluator(model, n_reps, seed, target, threshold, tolerance, calibration):
    """``evaluate(sizes) -> (passes per replication, drift paths)`` with common random numbers."""
    sim_seed = seed("search")
    # One evaluator-noise draw per replication, the same for every setting
    # (common random numbers, like the simulated drift paths).
    noise = np.random.default_rng(seed("noise")).standard_normal(n_reps)

    def evaluate(sizes, last_only=True):
        path = model.simulate(sizes, n_reps, sim_seed, last_only=last_only)
        if target is None or threshold == -np.inf:
            return path[:, -1] <= threshold, path
        loss = calibration["intercept"] + calibration["slope"] * path[:, -1] + calibration["noise_sd"] * noise
        return loss <= tolerance, path

    return evaluate


def _search_and_recalibrate(model, evaluate, families, n_real, n_generations, confidence, budget_rows, pool,
                            threshold, sec_per_row, target, calibration, drift_cal, n_calibration, progress):
    """Search every family; calibrate again where the advice lands (or probe 16x out), at most MAX_ROUNDS times.

    Returns a dict: ``table``, ``recommendation``, ``notes`` and ``predicted`` of the last search,
    ``extra_powers`` (of [A]'s bias rule) and the sizes ``recalibrated``.
    """
    # augment refits the real rows every generation, a fresh pool its n_real drawn rows (accumulate adds only the
    # new rows with partial_fit)
    real_rows = n_generations * (pool.n_real if is_fresh_draws(pool) else n_real if pool == "augment" else 0)
    recalibrated = []
    for round_ in range(MAX_ROUNDS):
        # [A]'s bias rule: a bias c n^-gamma with gamma < 1 needs n_t ~ t^((1+s)/gamma)
        extra_powers = ()
        if calibration.get("bias_detected") and not calibration["reaches_zero"] and calibration["gamma"] < 1:
            extra_powers = tuple(round((1 + s_) / calibration["gamma"], 2) for s_ in (0.25, 0.5, 1.0))
        search_notes, rows, predicted = [], [], []
        for family in families:
            if progress is not None:
                progress.set_postfix_str(f"search {family}")
            rows.append(_search_family(family, n_real, model, evaluate, n_generations, confidence, budget_rows,
                                       pool, extra_powers if family == "polynomial" else (), threshold,
                                       sec_per_row, real_rows, search_notes, predicted, target, calibration))
            if progress is not None and round_ == 0:
                progress.update(1)
        table = pd.DataFrame(rows).reindex(columns=_COLUMNS)
        ok = table[table["meets"].astype(bool) & table["within_budget"].astype(bool)]
        recommendation = ok.sort_values("total_rows").iloc[0].to_dict() if len(ok) else None
        if drift_cal is None or round_ == MAX_ROUNDS - 1:
            break
        n_rec, runs = _next_calibration_size(recommendation, drift_cal, n_generations, n_real, n_calibration,
                                             budget_rows, threshold)
        if n_rec is None:
            break
        if progress is not None:
            progress.total += runs
            eta = sec_per_row * n_rec * drift_cal.T_cal * runs
            progress.set_postfix_str(f"calibrate at n={n_rec:,} (about {eta:.0f} s)")
        drift_cal.add_size(n_rec, runs)
        recalibrated.append(n_rec)
        _apply_calibration(model, drift_cal, calibration)
    return dict(table=table, recommendation=recommendation, notes=search_notes, predicted=predicted,
                extra_powers=extra_powers, recalibrated=recalibrated)


def _next_calibration_size(recommendation, drift_cal, n_generations, n_real, n_calibration, budget_rows, threshold):
    """``(rows per generation, runs)`` of the next calibration cell, or ``(None, 0)`` when none is needed."""
    largest = max(drift_cal.sizes)
    if recommendation is not None:
        # Calibrate where the advice lands instead of extrapolating to it: the rows per generation of
        # the recommended setting (their median) against the largest size measured so far.
        n_rec = _rows_per_generation(recommendation, n_generations, n_real)
        if n_rec <= EXTRAPOLATION_FACTOR * largest:
            return None, 0
        n_rec = min(n_rec, MAX_CALIBRATION_ROWS)
        if n_rec <= largest:  # already calibrated as far as the cap allows
            return None, 0
        return n_rec, n_calibration
    # Nothing meets the tolerance: before saying so, measure at a size 16x beyond the calibration
    # (within the budget), where a bias that shrinks slowly shows itself apart from one that does not.
    n_rec = min(PROBE_FACTOR * largest, max(PROBE_ROWS, largest))
    if budget_rows is not None:
        n_rec = min(n_rec, budget_rows // n_generations)
    if n_rec <= EXTRAPOLATION_FACTOR * largest or threshold == -np.inf:
        return None, 0
    return n_rec, PROBE_RUNS


def _refit_floor_note(model, n_real, n_reps, seed, threshold, confidence, pool):
    """A note when even one refit at real size drifts past the threshold (replace pool)."""
    if not (np.isfinite(threshold) and pool == "replace"):
        return []
    one = model.simulate(np.array([n_real, n_real]), n_reps, seed("refit"))[:, 1]
    q1 = float(np.quantile(one, confidence))
    if q1 <= threshold:
        return []
    return [f"the tolerance is below the drift of one refit at real size (its {confidence:g}-quantile "
            f"is {q1:.3g} > {threshold:.3g}): polynomial and geometric schedules (n_1 = n_real) "
            "cannot meet it; constant and linear ones need n_t > n_real"]


def _closest(table):
    """The setting with the highest probability (cheapest first) when none meets the tolerance."""
    if not (len(table) and table["total_rows"].notna().any()):
        return None
    candidates = table.dropna(subset=["total_rows"])
    return candidates.sort_values(["probability", "total_rows"], ascending=[False, True]).iloc[0].to_dict()


def _rows_per_generation(row, n_generations, n_real):
    """The median ``n_t`` (t >= 1) of a table row's setting: the size a calibration should bracket."""
    sizes = make_schedule(row["family"], row["value"]).sizes(n_generations, n_real)
    return int(np.median(sizes[1:]))


def _progress(verbose, steps, seconds, n_runs):
    """A tqdm bar over the calibration runs and the family searches (None when quiet)."""
    if not verbose:
        return None
    from tqdm.auto import tqdm

    bar = tqdm(total=steps, desc=_OWNER, unit="step")
    bar.write(f"{_OWNER}: about {seconds:.0f} s of real runs ({n_runs} calibration runs"
              f"{'' if seconds == 0 else ', from the timed fit and sample of one generation'}), then the search")
    return bar


def _apply_calibration(model, drift_cal, calibration):
    """Fit the calibration runs so far and put the fit into the model and the result's dict."""
    fit, measured, summary = drift_cal.fit()
    model.scale, model.spread = fit["scale"], fit["spread"]
    model.bias_coef, model.bias_kappa = (fit["bias_coef"], fit["kappa"]) if fit["bias_detected"] else (0.0, 2.0)
    calibration.update({k: fit[k] for k in ("scale", "scale_fitted", "spread", "spread_median_ratio", "coverage",
                                              "bias_coef", "gamma", "gamma_low", "gamma_high", "bias_detected",
                                              "reaches_zero", "n_infinite")},
                       sizes=drift_cal.sizes, drift=measured, drift_summary=summary)


def _calibration_notes(model, fit, pool, drift_cal, n_runs, confidence, recalibrated, extrapolation=1.0):
    approx = ", ".join(b.description for b in model.blocks if not b.exact)
    sizes_text = ", ".join(f"{n:,}" for n in drift_cal.sizes)
    out = [f"calibrated on {len(drift_cal.sizes)} x {n_runs} real recursive runs (pool={pool!r}, constant n = "
           f"{sizes_text}, {drift_cal.T_cal} generations): the simulated drift of {approx} is multiplied by "
           f"{fit['scale']:.3g} (fitted {fit['scale_fitted']:.3g}; the 95% upper bound of a bootstrap over the "
           f"calibration runs is used), its spread around the mean by a further {fit['spread']:.3g} (the median "
           f"ratio of standard deviations, {fit['spread_median_ratio']:.3g}, "
           + (f"widened until the calibrated {confidence:g}-quantile covers {fit['coverage']:.0%} of the calibration "
              "runs)" if fit["coverage"] >= confidence else
              f"widened to the largest factor tried; the calibrated {confidence:g}-quantile still covers only "
              f"{fit['coverage']:.0%} of the calibration runs, so the promise is less certain than its P)")]
    if recalibrated:
        out.append("the first search recommended more rows per generation than the calibration had measured, or "
                   f"none: calibrated again at n = {', '.join(f'{n:,}' for n in recalibrated)} and searched again")
    if extrapolation > EXTRAPOLATION_FACTOR:
        out.append(f"the recommendation asks for {extrapolation:.3g} times the rows per generation of the largest "
                   f"calibration size ({max(drift_cal.sizes):,}, the cap is {MAX_CALIBRATION_ROWS:,}): its drift is "
                   "extrapolated along the 1/n law and the bias rule")
    if fit.get("n_infinite"):
        out.append(f"{fit['n_infinite']} measured generations had an infinite drift (their latent correlation "
                   "became singular where generation 0's is not: a collapsed direction); the calibration uses the "
                   "finite ones, so it understates the drift of small sizes")
    if pool != "replace":
        out.append("with real rows in every pool an estimator bias settles instead of growing: no bias term")
    elif not fit["bias_detected"]:
        out.append("no bias detected: the measured drift follows the simulated 1/n random walk within the "
                   "calibration's noise ([A]'s unbiased case, gamma >= 1)")
    elif fit["reaches_zero"]:
        out.append(f"a bias that does not shrink with n: its exponent gamma = {fit['gamma']:.2g}, 95% interval "
                   f"[{fit['gamma_low']:.2g}, {fit['gamma_high']:.2g}] reaches 0, so no number of rows cures it; use "
                   "fewer generations or a pool with real rows")
    else:
        rule = ("no faster growth than the unbiased case is needed" if fit["gamma"] >= 1 else
                "[A]'s rule asks for n_t growing like t^((1+s)/gamma)")
        out.append(f"a bias that shrinks like n^-gamma: gamma = {fit['gamma']:.2g}, 95% interval "
                   f"[{fit['gamma_low']:.2g}, {fit['gamma_high']:.2g}] (fit of a/n + c n^-2gamma across the sizes): "
                   f"{rule}")
    return out


def _search_family(family, n_real, model, evaluate, n_generations, confidence, budget_rows, pool, extra,
                   threshold, sec_per_row, real_rows, notes, predicted, target, calibration):
    """Search one family's grid; its row of the table (appends its predicted path and notes)."""
    if threshold == -np.inf:  # nothing can meet it: do not search the grids to their (absurd) ends
        return {"family": family, "parameter": PARAMETER[family], "probability": 0.0, "meets": False,
                "within_budget": True}
    grid = family_grid(family, n_real, model.min_size(), extra=extra)
    search = FamilySearch(family, grid, evaluate, n_generations, n_real, confidence)
    i = search.search()
    row = {"family": family, "parameter": PARAMETER[family]}
    chosen = i
    if i is not None:
        row["value_low"], row["value_high"] = search.interval(i)
    if budget_rows is not None and (i is None or search.rows(i) > budget_rows):
        affordable = [j for j in range(len(search.grid)) if search.rows(j) <= budget_rows]
        chosen = affordable[-1] if affordable else None
        if i is not None:
            row.update(beyond_budget_value=search.grid[i], beyond_budget_rows=search.rows(i))
    if chosen is None and i is None:
        chosen = len(search.grid) - 1  # the best the grid offers
    if chosen is None:
        return row
    search.prob(chosen)
    p, k, n, path = search.cache[chosen]
    lo, hi = wilson(k, n)
    row.update(value=search.grid[chosen], probability=p, probability_low=lo, probability_high=hi,
               meets=bool(p >= confidence), total_rows=search.rows(chosen),
               fit_seconds=(search.rows(chosen) + real_rows) * sec_per_row,
               drift_mean=float(np.mean(path[:, -1])), drift_sd=float(np.std(path[:, -1], ddof=1)),
               drift_quantile=float(np.quantile(path[:, -1], confidence)),
               within_budget=budget_rows is None or search.rows(chosen) <= budget_rows)
    if target is not None:
        loss = calibration["intercept"] + calibration["slope"] * row["drift_mean"]
        row.update(loss_mean=loss, loss_vs_real=loss + (calibration["loss_real_0"]
                                                        if calibration["reference"] == "generation0" else 0.0))
    if chosen == 0 and i == 0 and pool != "replace":
        notes.append(f"{family}: the cheapest grid setting ({PARAMETER[family]}={search.grid[0]:g}) already "
                     f"meets the tolerance: with pool={pool!r} few synthetic rows barely move the fit of the "
                     "real rows")
    if chosen > 0:
        search.prob(chosen - 1)
        row.update(cheaper_value=search.grid[chosen - 1], cheaper_probability=search.cache[chosen - 1][0],
                   cheaper_rows=search.rows(chosen - 1))
    sizes = search.sizes[chosen]
    path = evaluate(sizes, last_only=False)[1]  # the whole path of the chosen setting (same last column)
    for t in range(n_generations + 1):
        entry = {"family": family, "generation": t, "n_samples": int(sizes[t]),
                 "drift_mean": float(np.mean(path[:, t])),
                 "drift_quantile": float(np.quantile(path[:, t], confidence))}
        if target is not None:
            entry["loss_predicted"] = calibration["intercept"] + calibration["slope"] * entry["drift_mean"]
        predicted.append(entry)
    return row


def _why_none(table, budget_rows, calibration, pool):
    """One line: why nothing is recommended, and what would work."""
    beyond = table.dropna(subset=["beyond_budget_rows"]) if "beyond_budget_rows" in table else table.iloc[:0]
    if len(beyond):
        r = beyond.sort_values("beyond_budget_rows").iloc[0]
        return (f"none within budget_rows={budget_rows:,}: the cheapest setting that meets the tolerance is "
                f"{r['family']} {r['parameter']}={r['beyond_budget_value']:g} with {int(r['beyond_budget_rows']):,} "
                "synthetic rows")
    if calibration.get("bias_detected") and calibration.get("gamma_low", 1) <= 0.01:
        return "no setting meets the tolerance: the generator's bias does not shrink with n (see the notes)"
    if budget_rows is not None:
        return f"none within budget_rows={budget_rows:,}, and no setting of the searched grids meets the tolerance"
    if is_fresh_draws(pool):
        return (f"no setting of the searched grids meets the tolerance: with {pool!r} every generation refits "
                f"{pool.n_real} newly drawn real rows, whose own noise no number of synthetic rows removes; "
                "use a larger n_real, a larger tolerance or fewer generations")
    return ("no setting of the searched grids meets the tolerance: use fewer generations, a larger tolerance or a "
            "pool with real rows")
