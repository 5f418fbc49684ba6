"""ScheduleAdvice: what recommend_schedule found, its figure and its check against real runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..utils._optional import import_optional
from ._drift import Fit
from ._search import clopper_pearson, make_schedule


_COLOURS = {True: "tab:green", False: "tab:gray"}


def _readable(value, parameter):
    """A grid value as a person reads it: ``32,561`` rows, ``1.5`` for a power or a ratio."""
    if parameter == "n":
        return f"{value:,.0f}" if value < 1e7 else f"{value:.2e}"
    return f"{value:g}"


def _rows(value):
    """A row count for a bar label: ``2.6M``, ``320``; empty when there is none."""
    if value is None or not np.isfinite(value):
        return ""
    for size, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.0f}"


class ScheduleAdvice:
    """Result of :func:`recommend_schedule`.

    Attributes
    ----------
    table : DataFrame
        One row per schedule family: ``family``, ``parameter`` (``n``,
        ``power`` or ``ratio``), ``value`` (the cheapest grid setting that
        meets the criterion; within ``budget_rows`` when one is given, else
        the most the budget allows), ``value_low``/``value_high`` (its
        Monte Carlo interval), ``probability`` with its 95% Wilson interval
        ``probability_low``/``probability_high``, ``meets``, ``total_rows``
        (``sum_{t=1..T} n_t``), ``fit_seconds`` (estimated), ``drift_mean``,
        ``drift_sd`` (over the ``n_reps`` replications) and
        ``drift_quantile`` (at ``confidence``) of ``D_T``,
        ``within_budget``, and the next cheaper grid setting
        ``cheaper_value`` with its ``cheaper_probability`` and
        ``cheaper_rows``.
    recommendation : dict or None
        The row of the cheapest family setting that meets the criterion
        within the budget; None when none does ("none within budget").
    closest : dict or None
        When there is no recommendation: the row with the highest probability.
    predicted : DataFrame
        Per family and generation of its chosen setting: ``n_samples``,
        ``drift_mean``, ``drift_quantile`` and, with a target,
        ``gap_predicted`` (``-(b + a * drift_mean)``).
    calibration : dict or None
        When the drift was calibrated on real runs: ``scale``, ``spread`` and
        ``bias`` (see :func:`recommend_schedule`), ``drift`` (the measured
        drift of every run and generation) and ``drift_summary`` (measured
        and calibrated mean and standard deviation per size and generation).
        With a target: ``utility`` (measured vs fitted gap), ``intercept``,
        ``slope``, ``metric`` and ``estimator``. None when nothing was
        calibrated.
    criterion : str
    method : str
        ``"theory+simulation ..."``, ``"... +calibration ..."`` or
        ``"simulation-only ..."`` (a generator the advisor does not know).
    notes : list of str
        Every approximation made, in words.
    threshold : float
        The bound on ``D_T`` the criterion amounts to.
    settings : dict

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.advise import recommend_schedule
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> advice = recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=3,
    ...                             tolerance=0.05, families=["constant", "linear"], n_reps=200,
    ...                             random_state=0)
    >>> list(advice.table["family"])
    ['constant', 'linear']
    >>> print(advice.summary().splitlines()[0])
    criterion: P(KL(P_T || P_0) <= 0.05 nats) >= 0.9 at generation T=3
    """

    def __init__(self, *, table, recommendation, closest, predicted, calibration, criterion, method, notes,
                 threshold, settings, model, generator, root):
        self.table = table
        self.recommendation = recommendation
        self.closest = closest
        self.predicted = predicted
        self.calibration = calibration
        self.criterion = criterion
        self.method = method
        self.notes = notes
        self.threshold = threshold
        self.settings = settings
        self._model = model
        self._generator = generator
        self._root = root

    @property
    def schedule(self):
        """The recommended schedule (a :class:`~synthloop.schedules.BaseSchedule`), or None.

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator
        >>> from synthloop.advise import recommend_schedule
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=3, tolerance=0.05,
        ...                    families=["linear"], n_reps=200, random_state=0).schedule
        LinearSchedule(n=200)
        """
        if self.recommendation is None:
            return None
        return make_schedule(self.recommendation["family"], self.recommendation["value"])

    def __repr__(self):
        rec = "none" if self.recommendation is None else (
            f"{self.recommendation['family']}:{self.recommendation['parameter']}={self.recommendation['value']:g}")
        return f"ScheduleAdvice(recommendation={rec}, criterion={self.criterion!r})"

    def summary(self):
        """The table and the recommendation as text (what ``synthloop advise`` prints).

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator
        >>> from synthloop.advise import recommend_schedule
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> advice = recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=3,
        ...                             tolerance=0.05, families=["constant"], n_reps=200, random_state=0)
        >>> print(advice.summary().splitlines()[-1])
        recommendation: constant schedule with n=400: 1,200 synthetic rows over T=3 generations, ...
        """
        cols = ["family", "parameter", "value", "value_low", "value_high", "probability", "total_rows",
                "fit_seconds", "drift_quantile", "meets", "within_budget", "cheaper_value", "cheaper_probability"]
        if self.settings.get("target") is not None:
            cols[cols.index("drift_quantile") + 1:cols.index("drift_quantile") + 1] = ["loss_mean", "loss_vs_real"]
        with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format",
                               "{:.4g}".format):
            text = self.table[cols].to_string(index=False)
        lines = [f"criterion: {self.criterion}", f"method: {self.method}", "", text, ""]
        on_pool = "" if self.settings["pool"] == "replace" else f" with pool={self.settings['pool']!r}"
        if self.recommendation is not None:
            r = self.recommendation
            lines.append(f"recommendation: {r['family']} schedule with {r['parameter']}="
                         f"{_readable(r['value'], r['parameter'])}: "
                         f"{int(r['total_rows']):,} synthetic rows over T={self.settings['n_generations']} "
                         f"generations{on_pool}, about {r['fit_seconds']:.3g} s of fitting; "
                         f"P = {r['probability']:.3f} [{r['probability_low']:.3f}, {r['probability_high']:.3f}]")
            if self.settings.get("target") is not None:
                lines.append(f"predicted utility loss at T: {r['loss_mean']:.4g} against "
                             f"{'generation 0' if self.settings['reference'] == 'generation0' else 'real-only'}, "
                             f"{r['loss_vs_real']:.4g} against real-only training")
        else:
            c = self.closest
            head = "none within budget" if self.settings["budget_rows"] is not None else "none"
            if c is not None:
                head += (f"; closest: {c['family']} {c['parameter']}={_readable(c['value'], c['parameter'])} with "
                         f"P = {c['probability']:.3f} "
                         f"({int(c['total_rows']):,} rows)")
            lines.append(f"recommendation: {head}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    # ------------------------------------------------------------------ figure
    def plot(self, ax=None):
        """Quantile of the drift per generation for each family's setting, against the bound.

        Parameters
        ----------
        ax : array of two matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator
        >>> from synthloop.advise import recommend_schedule
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> advice = recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=3,
        ...                             tolerance=0.05, families=["constant"], n_reps=200, random_state=0)
        >>> len(advice.plot().axes)
        2
        """
        plt = import_optional("matplotlib.pyplot", owner="ScheduleAdvice.plot", extra="plot")

        if ax is None:
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        else:
            axes = np.atleast_1d(ax)
            fig = axes[0].figure
        from matplotlib.ticker import MaxNLocator

        q = self.settings["confidence"]
        t = self.table.set_index("family")
        chosen = None if self.recommendation is None else self.recommendation["family"]
        top = 0.0
        for family, part in self.predicted.groupby("family", sort=False):
            row = t.loc[family]
            label = f"{family} {row['parameter']}={_readable(row['value'], row['parameter'])}"
            if family == chosen:
                label += " (recommended)"
            axes[0].plot(part["generation"], part["drift_quantile"], marker="o", ms=3, label=label,
                         lw=2.5 if family == chosen else 1.2)
            top = max(top, float(np.nanmax(part["drift_quantile"].replace(np.inf, np.nan))))
        if np.isfinite(self.threshold):
            axes[0].axhline(self.threshold, color="k", ls="--", lw=1, label="bound on the drift")
            top = max(top, self.threshold)
        if top > 0:
            axes[0].set_ylim(0, 1.1 * top)
        axes[0].set_xlabel("generation")
        axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].set_ylabel(f"{q:g}-quantile of the drift [nats]")
        axes[0].legend(fontsize=7)
        if len(axes) > 1:
            ok = self.table["meets"].astype(bool) & self.table["within_budget"].astype(bool)
            bars = axes[1].bar(self.table["family"], self.table["total_rows"], color=[_COLOURS[m] for m in ok])
            axes[1].bar_label(bars, labels=[_rows(v) for v in self.table["total_rows"]], fontsize=7)
            axes[1].set_yscale("log")
            axes[1].set_ylabel("total synthetic rows")
            heading = ("green: meets the criterion within the budget; grey: does not" if ok.any()
                       else "grey: no family meets the criterion within the budget")
            axes[1].set_title(heading, fontsize=8)
        fig.tight_layout()
        return fig

    # -------------------------------------------------------------- validation
    def validate(self, X, *, n_seeds=20, families=None, random_state=0):
        """Run the chosen and the next cheaper setting for real and count the runs that meet the drift bound.

        Families whose grid has no setting meeting the criterion are skipped.

        Each run is a :class:`~synthloop.RecursiveSynthesizer` of a clone of
        the generator on ``X`` for ``T`` generations with the advised pool
        (``settings["pool"]``); ``D_T`` is measured
        from ``get_fitted_params`` of generations 0 and ``T``. With a target
        only the drift part (``D_T <= threshold``) is checked.

        Returns
        -------
        DataFrame
            ``family``, ``setting`` (``"chosen"`` or ``"cheaper"``), ``value``,
            ``predicted`` (simulated probability), ``pass_rate`` with its
            Clopper–Pearson 95% interval ``pass_low``/``pass_high``,
            ``drift_mean`` (measured), ``n_seeds``, ``promised``.

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator
        >>> from synthloop.advise import recommend_schedule
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> advice = recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=3,
        ...                             tolerance=0.05, families=["constant"], n_reps=200, random_state=0)
        >>> check = advice.validate(X, n_seeds=5)
        >>> list(check["setting"])
        ['chosen', 'cheaper']
        """
        from ..recursive import RecursiveSynthesizer
        from ..utils import child_seeds

        if not self._model.measurable:
            raise ValueError(f"ScheduleAdvice.validate: the drift of this generator cannot be measured from its "
                             f"fitted parameters ({self.method}); nothing to validate against.")
        T = self.settings["n_generations"]
        seeds = child_seeds(random_state, n_seeds)
        rows = []
        for _, row in self.table.iterrows():
            if (families is not None and row["family"] not in families) or not row["meets"]:
                continue  # a family that cannot meet the tolerance has no setting to check
            for setting, value, pred in (("chosen", row["value"], row["probability"]),
                                         ("cheaper", row["cheaper_value"], row["cheaper_probability"])):
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    continue
                schedule = make_schedule(row["family"], value)
                passed = []
                drift = []
                for s in seeds:
                    rs = RecursiveSynthesizer(clone(self._generator), n_generations=T, schedule=schedule,
                                              pool=self.settings["pool"], random_state=int(s)).fit(X)
                    d = self._model.measure(Fit.from_run(rs, T), Fit.from_run(rs, 0))
                    drift.append(d)
                    passed.append(d <= self.threshold)
                p = float(np.mean(passed))
                lo, hi = clopper_pearson(int(np.sum(passed)), n_seeds)
                rows.append({"family": row["family"], "setting": setting, "value": value, "predicted": pred,
                             "pass_rate": p, "pass_low": lo, "pass_high": hi,
                             "drift_mean": float(np.mean(drift)), "n_seeds": n_seeds,
                             "promised": self.settings["confidence"]})
        return pd.DataFrame(rows)
