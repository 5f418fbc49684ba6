"""Calibration on real recursive runs: the approximate blocks' drift with [A]'s bias rule, and the utility map.

The drift of the approximate blocks is measured in real
:class:`~synthloop.RecursiveSynthesizer` runs at three sizes spanning 16x
(``n_real / 4``, ``n_real``, ``4 n_real``) and fitted as docs/theory.rst
("Measuring a generator's bias exponent") prescribes: the noise adds in
variance, so its part is the simulated drift ``S_t`` times a ``scale``; a bias
``c n^-gamma`` that keeps its direction adds in amplitude, so over
generations ``1..t`` it contributes ``c2 * (sum_s n_s^(-kappa/2))**2`` with
``kappa = 2 gamma`` (``c2 t**2 n**-kappa`` at a constant size).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from sklearn.base import clone

from ..schedules import ConstantSchedule
from ._drift import Fit

#: Exponents ``kappa = 2 gamma`` of the bias term searched, gamma in (0, 1].
KAPPAS = np.round(np.arange(0.02, 2.0001, 0.02), 2)
#: Size factors of the calibration runs: three sizes spanning 16x.
SIZE_FACTORS = (0.25, 1.0, 4.0)
#: Bootstrap replicates over the calibration runs, and the upper quantile of the scale that is used.
N_BOOTSTRAP = 200
SCALE_LEVEL = 0.95
#: Factors tried, in order, to widen the calibrated spread until the calibration runs are covered.
SPREAD_FACTORS = (1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
#: Generations of each calibration run (fewer when T is smaller): enough to tell a noise that grows like
#: ``t`` from a bias that grows like ``t**2``.
CALIBRATION_GENERATIONS = 5
#: A recommendation whose rows per generation exceed the largest calibration size by more than this
#: factor is calibrated again at its own size (at most MAX_ROUNDS rounds of search in all).
EXTRAPOLATION_FACTOR = 1.5
MAX_ROUNDS = 3
#: The largest constant size a calibration round runs at (rows per generation): a recommendation beyond
#: it is calibrated here and extrapolated, with a note.
MAX_CALIBRATION_ROWS = 2**21
#: When nothing meets the tolerance, the next calibration size is this many times the largest so far
#: (at most PROBE_ROWS rows per generation), measured with PROBE_RUNS runs.
PROBE_FACTOR = 16
PROBE_ROWS = 2**20
PROBE_RUNS = 3


def calibration_sizes(n_real, min_size):
    """Constant sizes of the drift calibration runs (at least ``min_size`` rows each)."""
    return sorted({max(int(np.ceil(n_real * f)), int(min_size)) for f in SIZE_FACTORS})


def calibration_rows(n_real, min_size, n_generations, n_runs):
    """Rows the first round of the drift calibration fits and samples in all (for the time estimate)."""
    T = min(n_generations, CALIBRATION_GENERATIONS)
    return n_runs * T * sum(calibration_sizes(n_real, min_size))


def fit_bias_rule(cells, with_bias=True):
    """Fit ``measured = scale * simulated + c2 * t**2 * n**-kappa`` to the calibration cells.

    Weighted least squares (weights ``1 / se**2`` of each cell mean), ``scale,
    c2 >= 0``, ``kappa`` on :data:`KAPPAS`. The bias is *detected* when adding
    it lowers the weighted residual sum of squares by more than the 95%
    chi-square(1) quantile (times the residual dispersion when it exceeds 1);
    ``gamma_low``/``gamma_high`` then bound ``gamma = kappa / 2`` by the same
    profile criterion.

    Parameters
    ----------
    cells : DataFrame
        ``n_samples``, ``generation``, ``measured_mean``, ``measured_se``,
        ``simulated_mean``.
    with_bias : bool
        False fits ``scale`` alone (pools that keep real rows, where a bias
        settles instead of growing with ``t``).

    Returns
    -------
    dict
        ``scale``, ``bias_coef`` (``c2``, 0 when not detected), ``kappa``,
        ``gamma``, ``gamma_low``, ``gamma_high``, ``bias_detected``,
        ``reaches_zero`` (the interval reaches the smallest exponent searched:
        a bias that does not shrink with ``n``).
    """
    cells = cells[np.isfinite(cells["measured_mean"]) & np.isfinite(cells["simulated_mean"])]
    y = cells["measured_mean"].to_numpy(dtype=float)
    sim = cells["simulated_mean"].to_numpy(dtype=float)
    se = cells["measured_se"].to_numpy(dtype=float)
    floor = 1e-3 * max(float(np.nanmax(np.abs(y))), 1e-12)
    se = np.where(np.isfinite(se) & (se > floor), se, np.maximum(0.1 * np.abs(y), floor))
    t = cells["generation"].to_numpy(dtype=float)
    n = cells["n_samples"].to_numpy(dtype=float)
    if y.size == 0:
        return {"scale": 1.0, "bias_coef": 0.0, "kappa": np.nan, "gamma": np.nan, "gamma_low": np.nan,
                "gamma_high": np.nan, "bias_detected": False, "reaches_zero": False}
    (scale0,), r0 = nnls((sim / se)[:, None], y / se)
    sse0 = float(r0**2)
    out = {"scale": float(scale0), "bias_coef": 0.0, "kappa": np.nan, "gamma": np.nan, "gamma_low": np.nan,
           "gamma_high": np.nan, "bias_detected": False, "reaches_zero": False}
    if not with_bias or y.size < 4:
        return out
    sse = np.empty(KAPPAS.size)
    coefs = np.empty((KAPPAS.size, 2))
    for k, kappa in enumerate(KAPPAS):
        A = np.column_stack([sim, t**2 * n ** (-kappa)]) / se[:, None]
        coefs[k], r = nnls(A, y / se)
        sse[k] = r**2
    best = int(np.argmin(sse))
    dof = y.size - 3
    dispersion = max(1.0, sse[best] / dof) if dof > 0 else 1.0
    crit = 3.841 * dispersion
    inside = KAPPAS[sse <= sse[best] + crit]
    out.update(kappa=float(KAPPAS[best]), gamma=float(KAPPAS[best] / 2), gamma_low=float(inside.min() / 2),
               gamma_high=float(inside.max() / 2))
    if coefs[best, 1] > 0 and sse0 - sse[best] > crit:
        out.update(scale=float(coefs[best, 0]), bias_coef=float(coefs[best, 1]), bias_detected=True,
                   reaches_zero=bool(inside.min() <= KAPPAS[0]))
    return out


class DriftCalibration:
    """Real recursive runs of the approximate blocks at constant sizes, and the fit of the bias rule.

    :meth:`add_size` runs ``n_runs`` loops of ``T_cal`` generations at one
    constant size (and simulates the same cell); :meth:`fit` fits
    :func:`fit_bias_rule` to every cell so far and calibrates the spread.
    Sizes can be added after a first search, so that the calibration brackets
    the size it recommends instead of extrapolating to it.
    """

    def __init__(self, model, generator, X, n_generations, n_runs, n_reps, seed, pool, confidence=0.9,
                 progress=None):
        self.model, self.generator, self.X = model, generator, X
        self.n_real = int(X.shape[0])
        self.T_cal = min(n_generations, CALIBRATION_GENERATIONS)
        self.n_runs, self.n_reps, self.seed, self.pool = n_runs, n_reps, seed, pool
        self.confidence, self.progress = confidence, progress
        self.rows, self.sims = [], {}

    @property
    def sizes(self):
        return sorted(self.sims)

    def add_size(self, n, n_runs=None):
        """Run ``n_runs`` (default: the calibration's) loops at constant size ``n`` and simulate its cells."""
        from ..recursive import RecursiveSynthesizer

        n = int(n)
        if n in self.sims:
            return
        k = len(self.sims)
        for r in range(self.n_runs if n_runs is None else n_runs):
            rs = RecursiveSynthesizer(clone(self.generator), n_generations=self.T_cal, schedule=ConstantSchedule(n=n),
                                      pool=self.pool, random_state=self.seed("calibration-run", k, r)).fit(self.X)
            fits = [Fit.from_run(rs, t) for t in range(self.T_cal + 1)]
            for t in range(1, self.T_cal + 1):
                self.rows.append({"n_samples": n, "run": r, "generation": t,
                                  "measured": self.model.measure_approximate(fits[:t + 1])})
            if self.progress is not None:
                self.progress.update(1)
        self.sims[n] = self.model.simulate_approximate(np.array([self.n_real] + [n] * self.T_cal), self.n_reps,
                                                       self.seed("calibration-simulation", k))[:, 1:]

    def _cells(self, runs):
        """Per size and generation: mean, sd, count and standard error of ``runs``, and the simulated mean."""
        cells = runs.groupby(["n_samples", "generation"])["measured"].agg(["mean", "std", "count"]).reset_index()
        cells["measured_mean"] = cells["mean"]
        cells["measured_se"] = cells["std"] / np.sqrt(cells["count"])
        cells["simulated_mean"] = [self.sims[n][:, t - 1].mean() for n, t in zip(cells["n_samples"],
                                                                                 cells["generation"])]
        return cells

    def _scale_upper(self, finite, fit):
        rng = np.random.default_rng(self.seed("calibration-bootstrap"))
        groups = {n: [g for _, g in part.groupby("run")] for n, part in finite.groupby("n_samples")}
        scales = []
        for _ in range(N_BOOTSTRAP):
            parts = [runs[i] for runs in groups.values() for i in rng.integers(0, len(runs), len(runs))]
            boot = self._cells(pd.concat(parts))
            # the bias term at the fitted exponent; only the scale is bootstrapped
            boot["measured_mean"] = boot["measured_mean"] - _constant_bias(fit, boot)
            scales.append(fit_bias_rule(boot, with_bias=False)["scale"])
        return float(np.quantile(scales, SCALE_LEVEL))

    def fit(self):
        """The fit (:func:`fit_bias_rule` plus ``spread``, ``coverage``, ``n_infinite``), runs and summary.

        ``spread`` is the median ratio of measured to scaled simulated
        standard deviations, widened by the smallest factor of
        :data:`SPREAD_FACTORS` for which the calibrated
        ``confidence``-quantile of each cell covers at least that share of the
        calibration runs (``coverage``, the share reached).
        """
        sims, n_runs, confidence = self.sims, self.n_runs, self.confidence
        measured = pd.DataFrame(self.rows)
        # A run whose latent correlation became singular where generation 0's is not has an infinite KL
        # (a collapsed direction, which the Gaussian simulation never reaches); it is counted, not averaged.
        finite = measured[np.isfinite(measured["measured"])]
        cells = self._cells(finite)
        pick = list(zip(cells["n_samples"], cells["generation"]))
        sim_sd = np.array([sims[n][:, t - 1].std(ddof=1) for n, t in pick])
        fit = fit_bias_rule(cells, with_bias=self.pool == "replace")
        fit["n_infinite"] = int((~np.isfinite(measured["measured"])).sum())
        scale = fit["scale"] if np.isfinite(fit["scale"]) and fit["scale"] > 0 else 1.0
        fit["scale_fitted"] = scale
        if n_runs >= 2:
            # The promise must hold whatever the calibration's own luck: real drifts are heavy tailed, so
            # the scale is taken at the SCALE_LEVEL upper bound of a bootstrap over the calibration runs
            # (each run with all its generations, resampled within its size).
            scale = max(scale, self._scale_upper(finite, fit))
        fit["scale"] = scale
        spread = 1.0
        if n_runs >= 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = cells["std"].to_numpy() / (scale * sim_sd)
            ratio = ratio[np.isfinite(ratio)]
            spread = float(np.median(ratio)) if ratio.size else 1.0
        spread = spread if np.isfinite(spread) and spread > 0 else 1.0
        bias = _constant_bias(fit, cells)
        # The criterion is a quantile, and real drifts have heavier tails than the scaled simulation (a
        # repaired correlation jumps): widen the spread until the calibration runs themselves are covered
        # by the calibrated confidence-quantile in at least the promised share.
        bias_of = dict(zip(pick, bias))
        runs = [(sims[n][:, t - 1], finite.loc[(finite["n_samples"] == n) & (finite["generation"] == t), "measured"]
                 .to_numpy(), bias_of[(n, t)]) for n, t in pick]

        def coverage(s_):
            hits = total_runs = 0
            for sim_t, values, b in runs:
                centre = sim_t.mean()
                q = np.quantile(scale * (centre + s_ * (sim_t - centre)) + b, confidence)
                hits += int(np.sum(values <= q))
                total_runs += values.size
            return hits / max(total_runs, 1)

        fit["spread_median_ratio"] = spread
        if n_runs >= 2:
            for factor in SPREAD_FACTORS:
                if coverage(spread * factor) >= confidence:
                    spread *= factor
                    break
            else:
                spread *= SPREAD_FACTORS[-1]
        fit["spread"] = spread
        fit["coverage"] = coverage(spread)
        summary = pd.DataFrame({"n_samples": cells["n_samples"], "generation": cells["generation"],
                                "measured_mean": cells["measured_mean"], "measured_sd": cells["std"],
                                "simulated_mean": cells["simulated_mean"], "simulated_sd": sim_sd,
                                "calibrated_mean": scale * cells["simulated_mean"] + bias,
                                "calibrated_sd": scale * fit["spread"] * sim_sd})
        return fit, measured, summary


def _constant_bias(fit, cells):
    """The fitted bias term ``c2 t**2 n**-kappa`` of each cell (a constant size ``n``; 0 when not detected)."""
    if not fit["bias_detected"]:
        return np.zeros(len(cells))
    t = cells["generation"].to_numpy(dtype=float)
    n = cells["n_samples"].to_numpy(dtype=float)
    return fit["bias_coef"] * t**2 * n ** (-fit["kappa"])


def task_of(y):
    """``"binary"``, ``"multiclass"`` or ``"regression"`` for a target column."""
    values = pd.Series(y).dropna()
    if values.dtype.kind == "f" and not np.all(np.mod(values.to_numpy(), 1) == 0):
        return "regression"
    return "binary" if values.nunique() == 2 else "multiclass"


def calibrate_utility(model, generator, X, target, metric, n_generations, n_reps, seed, pool, reference,
                      progress=None):
    """Map the predicted drift to the measured utility loss: ``loss = b + a * drift + e``.

    ``reference="generation0"``: the loss of generation ``t`` against
    generation 0 of the same generator in the same evaluator repeat (same
    split, same real baseline), so ``b = 0`` and ``e`` is the spread of those
    paired differences; ``"real"``: against real-only training (TRTR), ``b``
    the measured loss of generation 0 (the generator's own gap), ``e`` the
    spread of the losses at a fixed generation. ``a >= 0`` is a least-squares
    slope through ``b`` on two small settings (constant ``n_train/4`` and
    ``n_train/16``, two generations, three repeats). Both losses of
    generation 0 against real-only training are returned (``loss_real_0``).
    """
    from ..evaluation import UtilityEvaluator
    from ..evaluation._metrics import default_estimators
    from ..recursive import RecursiveSynthesizer

    task = task_of(X[target])
    name, estimator = next(iter(default_estimators(task).items()))
    if metric is None:
        metric = {"binary": "roc_auc", "multiclass": "roc_auc_ovr", "regression": "r2"}[task]
    test_size = 0.25
    n_train = int(np.floor(X.shape[0] * (1 - test_size)))
    T_cal = min(n_generations, 2)
    evaluator = UtilityEvaluator(target, estimators={name: estimator}, scoring=[metric], test_size=test_size,
                                 n_repeats=3, fidelity=False, random_state=seed("utility-evaluator"))
    rows, within, real_losses = [], [], []
    for k, div in enumerate((4, 16)):
        n_cal = max(n_train // div, model.min_size())
        rs = RecursiveSynthesizer(clone(generator), n_generations=T_cal, schedule=ConstantSchedule(n=n_cal),
                                  pool=pool, keep="all")
        report = evaluator.evaluate(rs, X)
        syn = report.scores[report.scores["train_on"] == "synthetic"]
        loss_real = -syn.pivot_table(index="repeat", columns="generation", values="gap", aggfunc="mean")
        real_losses += list(loss_real[0].dropna())
        loss = loss_real.sub(loss_real[0], axis=0) if reference == "generation0" else loss_real
        pred = model.simulate(np.array([n_train] + [n_cal] * T_cal), n_reps,
                              seed("utility-simulation", k)).mean(axis=0)
        for g in loss.columns:
            values = loss[g].dropna().to_numpy()
            if reference != "generation0" or g > 0:
                within.append(values)
            rows.append({"setting": f"constant:{n_cal}", "generation": int(g),
                         "n_samples": n_cal if g else n_train, "drift_predicted": float(pred[int(g)]),
                         "loss_measured": float(values.mean()) if values.size else np.nan,
                         "loss_sd": float(values.std(ddof=1)) if values.size > 1 else np.nan})
        if progress is not None:
            progress.update(1)
    table = pd.DataFrame(rows)
    loss = table["loss_measured"].to_numpy()
    x = table["drift_predicted"].to_numpy()
    g0 = table["generation"].to_numpy() == 0
    b = 0.0 if reference == "generation0" else float(np.nanmean(loss[g0]))
    later = ~g0 & np.isfinite(loss) & np.isfinite(x)
    den = float(np.sum(x[later] ** 2))
    a = max(0.0, float(np.sum(x[later] * (loss[later] - b)) / den)) if den > 0 else 0.0
    table["loss_fitted"] = b + a * x
    # The evaluator's own noise at a fixed generator: pooled within-cell standard deviation.
    df = sum(max(v.size - 1, 0) for v in within)
    noise = float(np.sqrt(sum(np.sum((v - v.mean()) ** 2) for v in within if v.size > 1) / df)) if df else 0.0
    return {"metric": metric, "estimator": name, "intercept": b, "slope": a, "noise_sd": noise,
            "noise_df": int(df), "table": table, "reference": reference,
            "loss_real_0": float(np.mean(real_losses)) if real_losses else np.nan}
