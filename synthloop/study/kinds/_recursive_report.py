"""The report section of a ``kind = "recursive"`` study (``_recursive.py``): utility per generation, verdicts,
collapse curves.

Every interval is a 95% Student-t interval over the seeds, clipped to the
range of its metric (:func:`synthloop.evaluation._intervals.mean_interval`);
every verdict is one generator × schedule × pool, from the interval of the
per-seed change of its score from generation 0 to the last generation.
Generators are never pooled: they model different columns.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ...evaluation._intervals import change_range, mean_interval
from ...evaluation._metrics import score_range
from ...generators import MultivariateNormalGenerator, generator_class
from .._html import save, table

__all__ = ["recursive_report", "change_verdict", "cell_verdicts", "verdict_table", "paired_schedule_difference",
           "HOLDS_MARGIN", "format_interval"]

#: A change from generation 0 "holds" when its interval lies above -HOLDS_MARGIN: any loss is then
#: smaller than 0.015 (half the 0.03 interval width the bundled Adult study is sized for).
HOLDS_MARGIN = 0.015
CONFIDENCE = 0.95


def format_interval(iv, digits=3):
    """``mean [low, high]``; an end moved onto the metric's bound is marked ``*``."""
    if not np.isfinite(iv.mean):
        return "–"
    if not np.isfinite(iv.low):
        return f"{iv.mean:.{digits}f}"

    def end(x, bound):
        return f"{x:.{digits}f}" + ("*" if iv.clipped and x == bound else "")

    return f"{iv.mean:.{digits}f} [{end(iv.low, iv.bounds[0])}, {end(iv.high, iv.bounds[1])}]"


def _interval(values, bounds):
    return mean_interval(values, confidence=CONFIDENCE, bounds=bounds)


def change_verdict(change, n_seeds, margin=HOLDS_MARGIN):
    """The verdict of one cell from the interval of its change from generation 0.

    Parameters
    ----------
    change : Interval
        Of the per-seed change ``score(T) - score(0)``.
    n_seeds : int
    margin : float, default=HOLDS_MARGIN

    Returns
    -------
    str
        ``"loses X [lo, hi]"`` when the whole interval lies below 0 (the loss
        and its interval), ``"holds"`` when it lies above ``-margin``,
        otherwise ``"not separable from generation 0 with k seeds"``.

    Examples
    --------
    >>> from synthloop.evaluation._intervals import Interval
    >>> from synthloop.study.kinds._recursive_report import change_verdict
    >>> change_verdict(Interval(-0.05, -0.07, -0.03, 12, False), 12)
    'loses 0.050 [0.030, 0.070]'
    >>> change_verdict(Interval(0.002, -0.006, 0.01, 12, False), 12)
    'holds'
    >>> change_verdict(Interval(-0.01, -0.04, 0.02, 12, False), 12)
    'not separable from generation 0 with 12 seeds'
    """
    if np.isfinite(change.high) and change.high < 0:
        return f"loses {-change.mean:.3f} [{-change.high:.3f}, {-change.low:.3f}]"
    if np.isfinite(change.low) and change.low > -margin:
        return "holds"
    return f"not separable from generation 0 with {n_seeds} seed{'s' if n_seeds != 1 else ''}"


def _score_pairs(results):
    """``estimator:metric`` of every score column, ROC AUC first."""
    pairs = [c.split(":", 1)[1] for c in results.columns if c.startswith("synthetic:")]
    return sorted(pairs, key=lambda p: (not p.endswith(":roc_auc"), pairs.index(p)))


def _metric(pair):
    return pair.split(":")[1]


def _int_ticks(ax):
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _paired_change(cell, column, T):
    """Per-seed ``column`` at generation T minus generation 0, aligned on the seed."""
    wide = cell[cell["generation"].isin([0, T])].pivot_table(index="seed", columns="generation", values=column)
    return (wide[T] - wide[0]).to_numpy() if {0, T} <= set(wide.columns) else np.array([])


def paired_schedule_difference(results, pair, generator, pool, a, b):
    """Interval of the per-seed change 0 -> T of schedule ``a`` minus that of schedule ``b``.

    The seed fixes the real rows, the split and the generation-0 fit, so two
    schedules of one generator and pool are compared on the same runs.
    """
    T = int(results["generation"].max())
    part = results[(results["generator"] == generator) & (results["pool"] == pool)]
    wide = part.pivot_table(index=["seed", "generation"], columns="schedule", values=f"synthetic:{pair}")
    delta = wide.xs(T, level="generation") - wide.xs(0, level="generation")
    return mean_interval(delta[a] - delta[b], confidence=CONFIDENCE,
                         bounds=change_range(change_range(score_range(_metric(pair)))))


def _cells(dres, generators, schedules, pools):
    for gen in generators:
        for sched in schedules:
            for pool in pools:
                sub = dres[(dres["generator"] == gen) & (dres["schedule"] == sched) & (dres["pool"] == pool)]
                if not sub.empty:
                    yield gen, sched, pool, sub


def recursive_report(results, config, report_dir, plt):
    out = []
    T = int(results["generation"].max())
    n_seeds = results["seed"].nunique()
    schedules = list(dict.fromkeys(config["schedules"]))
    pools = list(dict.fromkeys(config["pools"]))
    generators = [g for g in config["generators"] if g in set(results["generator"])]
    pairs = _score_pairs(results)
    colors = dict(zip(schedules, plt.get_cmap("tab10").colors))
    metrics = ", ".join(dict.fromkeys(_metric(p).replace("_", " ") for p in pairs))
    out.append(
        "<h2>How to read this report</h2><p>Each cell trains a generator on the real training rows "
        f"(generation 0), then retrains it for {T} generation{'s' if T != 1 else ''} on its own samples: the "
        "<em>schedule</em> sets how many rows each generation draws, the <em>pool</em> what it trains on "
        "(replace: only the new synthetic rows; augment: the real rows plus them; accumulate: the real rows and "
        "every synthetic row so far). Utility is <b>TSTR</b> (a model trained on as many synthetic rows as the "
        "real training split, tested on held-out real rows) against <b>TRTR</b> (the same model trained on the "
        f"real rows), for every configured metric ({html.escape(metrics)}).</p>"
        f"<p><b>Intervals</b> are {CONFIDENCE:.0%} Student-t intervals over the {n_seeds} seeds, <b>clipped to "
        "the metric's range</b> ([0, 1] for ROC AUC and accuracy); an end marked * was clipped: the t-interval "
        "ran past the bound, a sign of too few seeds for that cell. The shaded bands of "
        f"the figures are the same intervals.</p><p><b>Verdicts</b>, one per generator × schedule × pool and "
        f"metric, read the interval of the per-seed change from generation 0 to {T} (the seed fixes the real "
        "rows, the split and the generation-0 fit, so the change is paired): <em>loses X [lo, hi]</em> when "
        f"the whole interval lies below 0; <em>holds</em> when it lies above −{HOLDS_MARGIN} (any loss is "
        f"smaller than {HOLDS_MARGIN}); otherwise <em>not separable from generation 0 with {n_seeds} "
        "seeds</em>. Generators are never pooled: each models different columns.</p>")
    for ds, dres in results.groupby("dataset", sort=False):
        out.append(f"<h2>Dataset {html.escape(ds)}</h2>")
        out.extend(_trtr_section(dres, config, generators, pairs, ds))
        for pair in pairs:
            out.append(_utility_html(dres, pair, generators, schedules, pools, colors, T, report_dir, plt, ds))
        out.append("<h3>Verdicts</h3>")
        out.append(table(_verdict_table(dres, pairs, generators, schedules, pools, T), left=4))
        out.extend(_collapse_figures(dres, ds, generators, schedules, pools, colors, report_dir, plt, config))
        cost = (dres[dres["generation"] == T].groupby(["schedule", "pool"], sort=False)
                .agg(rows_generated=("rows_generated", "max"), largest_pool=("n_train", "max")).reset_index())
        cost["rows_generated"] = cost["rows_generated"].map(lambda v: f"{int(v):,}")
        cost["largest_pool"] = cost["largest_pool"].map(lambda v: f"{int(v):,}")
        out.append(f"<h3>Rows each schedule cost (synthetic rows drawn over {T} generations; real train rows "
                   f"{int(dres['n_rows_real_train'].iloc[0]):,})</h3>")
        out.append(table(cost, left=2))
    return out


# ------------------------------------------------------------------- TRTR
def _modelled_columns(cell, target):
    """The feature columns a generator modelled, read from its collapse statistics."""
    cols = [c.split("[", 1)[1][:-1] for c in cell.columns
            if c.startswith(("history:var_ratio[", "history:l1[")) and cell[c].notna().any()]
    return [c for c in dict.fromkeys(cols) if c != target]


def _trtr_section(dres, config, generators, pairs, ds):
    target = next(d["target"] for d in config["datasets"] if d["name"] == ds)
    rows = []
    for gen in generators:
        sub = dres[dres["generator"] == gen]
        cols = _modelled_columns(sub, target)
        row = {"generator": gen, "model": config["generators"][gen]["model"],
               "feature columns": f"{len(cols)} ({config['generators'][gen]['columns']}): {', '.join(cols)}"}
        for pair in pairs:
            real = sub.groupby("seed")[f"real:{pair}"].first()
            row[f"TRTR {_metric(pair)}"] = format_interval(_interval(real, score_range(_metric(pair))))
        rows.append(row)
    return ["<h3>TRTR per generator</h3><p>The real-only model (TRTR) differs from generator to generator "
            "because each generator models its own columns (the target with them) and the downstream model, "
            "trained on the real or on the synthetic rows, sees only those columns: a generator of the numeric "
            "columns is compared with a model of the numeric columns. Compare each generator's TSTR with its "
            "own TRTR, never across generators.</p>", table(pd.DataFrame(rows), left=3)]


# ----------------------------------------------------------------- utility
def utility_figure(dres, pair, generators, schedules, pools, colors, plt):
    """Generators (rows) × pools (columns); panels of one row share their y-axis."""
    bounds = score_range(_metric(pair))
    fig, axes = plt.subplots(len(generators), len(pools), figsize=(4 * len(pools), 2.6 * len(generators) + 0.6),
                             sharex=True, sharey="row", squeeze=False, layout="constrained")
    for i, gen in enumerate(generators):
        for j, pool in enumerate(pools):
            ax = axes[i][j]
            sub = dres[(dres["generator"] == gen) & (dres["pool"] == pool)]
            if sub.empty:
                ax.set_visible(False)
                continue
            real = _interval(sub.groupby("seed")[f"real:{pair}"].first(), bounds)
            if np.isfinite(real.low):
                ax.axhspan(real.low, real.high, color="0.85")
            ax.axhline(real.mean, color="k", ls="--", lw=1, label="TRTR (real only)")
            for sched in schedules:
                part = sub[sub["schedule"] == sched]
                if part.empty:
                    continue
                c = [(g, _interval(p[f"synthetic:{pair}"], bounds)) for g, p in part.groupby("generation")]
                g = np.array([x for x, _ in c])
                mean = np.array([iv.mean for _, iv in c])
                ax.plot(g, mean, marker="o", ms=3, color=colors[sched], label=sched)
                low = np.array([iv.low if np.isfinite(iv.low) else iv.mean for _, iv in c])
                high = np.array([iv.high if np.isfinite(iv.high) else iv.mean for _, iv in c])
                ax.fill_between(g, low, high, color=colors[sched], alpha=0.15)
            ax.set_title(f"{gen} · {pool}", fontsize=9)
            _int_ticks(ax)
            if j == 0:
                ax.set_ylabel(f"{_metric(pair)} (TSTR)")
            if i == len(generators) - 1:
                ax.set_xlabel("generation")
        y0, y1 = axes[i][0].get_ylim()
        axes[i][0].set_ylim(max(y0, bounds[0]), min(y1, bounds[1]))
    handles, labels = next(((h, lab) for row in axes for ax in row if ax.get_visible()
                            for h, lab in [ax.get_legend_handles_labels()] if h), ([], []))
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8)
    return fig


def _utility_html(dres, pair, generators, schedules, pools, colors, T, report_dir, plt, ds):
    metric = _metric(pair)
    fig = utility_figure(dres, pair, generators, schedules, pools, colors, plt)
    fig.suptitle(f"{ds}: utility of each generation ({pair.replace(':', ', ')}); dashed: TRTR; bands: "
                 f"{CONFIDENCE:.0%} t-intervals over seeds, clipped to the metric's range", fontsize=10)
    img = save(fig, report_dir, f"utility_{ds}_{pair.replace(':', '_')}.png", plt)
    shown = sorted(set(np.unique(np.linspace(0, T, min(T + 1, 6)).round().astype(int))))
    bounds = score_range(metric)
    rows = []
    for gen, sched, pool, sub in _cells(dres, generators, schedules, pools):
        row = {"generator": gen, "schedule": sched, "pool": pool,
               "TRTR": format_interval(_interval(sub.groupby("seed")[f"real:{pair}"].first(), bounds))}
        for g in shown:
            row[f"TSTR g{g}"] = format_interval(_interval(sub.loc[sub["generation"] == g, f"synthetic:{pair}"],
                                                          bounds))
        rows.append(row)
    return (f"<h3>Utility per generation: {html.escape(pair.replace(':', ', '))}</h3>" + img
            + f"<p>Mean [{CONFIDENCE:.0%} interval] over seeds; * an end clipped to the metric's range.</p>"
            + table(pd.DataFrame(rows), left=3))


# ---------------------------------------------------------------- verdicts
def cell_verdicts(dres, pairs, generators, schedules, pools, T):
    """One row per generator × schedule × pool: the change of each metric and its verdict."""
    rows = []
    for gen, sched, pool, sub in _cells(dres, generators, schedules, pools):
        k = sub["seed"].nunique()
        row = {"generator": gen, "schedule": sched, "pool": pool, "seeds": k}
        for pair in pairs:
            metric = _metric(pair)
            change = _interval(_paired_change(sub, f"synthetic:{pair}", T), change_range(score_range(metric)))
            row[f"change:{metric}"] = change
            row[f"verdict:{metric}"] = change_verdict(change, k)
        for col in ("var_ratio_median", "l1_mean"):
            last = sub.loc[sub["generation"] == T, col]
            row[col] = _interval(last, (0.0, np.inf)) if last.notna().any() else None
        row["rows_generated"] = int(sub.loc[sub["generation"] == T, "rows_generated"].max())
        rows.append(row)
    return rows


def verdict_table(results, config):
    """The report's verdict table of a single-dataset study, from its results and validated config."""
    T = int(results["generation"].max())
    return _verdict_table(results, _score_pairs(results), [g for g in config["generators"]
                                                          if g in set(results["generator"])],
                          list(dict.fromkeys(config["schedules"])), list(dict.fromkeys(config["pools"])), T)


def _verdict_table(dres, pairs, generators, schedules, pools, T):
    rows = []
    for r in cell_verdicts(dres, pairs, generators, schedules, pools, T):
        row = {"generator": r["generator"], "schedule": r["schedule"], "pool": r["pool"], "seeds": r["seeds"]}
        for pair in pairs:
            metric = _metric(pair)
            row[f"{metric}: change 0→{T}"] = format_interval(r[f"change:{metric}"])
            row[f"{metric}: verdict"] = r[f"verdict:{metric}"]
        row[f"variance ratio g{T}"] = format_interval(r["var_ratio_median"], 2) if r["var_ratio_median"] else "–"
        row[f"L1 drift g{T}"] = format_interval(r["l1_mean"], 2) if r["l1_mean"] else "–"
        row["synthetic rows"] = f"{r['rows_generated']:,}"
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- collapse
_STYLES = ["-", ":", "-.", "--"]
_NICE = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0, 3.0,
                  5.0, 10.0, 20.0, 50.0, 100.0])


def readable_log_ticks(ax):
    """Major ticks at round values inside the axis range, labelled as plain numbers."""
    from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

    lo, hi = ax.get_ylim()
    ticks = _NICE[(_NICE >= lo) & (_NICE <= hi)]
    if ticks.size > 8:  # a wide range: keep every other one, always 1
        ticks = np.union1d(ticks[::2], ticks[ticks == 1.0])
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def collapse_figure(dres, generators, schedules, pools, colors, plt, config):
    from matplotlib.lines import Line2D

    from ...schedules import check_schedule

    stats = [("var_ratio_median", "median variance ratio\n(numeric columns, log scale)", True),
             ("l1_mean", "mean L1 drift\n(categorical columns)", False)]
    stats = [s for s in stats if dres[s[0]].notna().any()]
    if not stats:
        return None
    fig, axes = plt.subplots(len(stats), len(pools), figsize=(4 * len(pools), 2.8 * len(stats) + 1.2),
                             sharex=True, sharey="row", squeeze=False, layout="constrained")
    theory_drawn = False
    for i, (col, label, logy) in enumerate(stats):
        for j, pool in enumerate(pools):
            ax = axes[i][j]
            for k, gen in enumerate(generators):
                for sched in schedules:
                    sub = dres[(dres["generator"] == gen) & (dres["pool"] == pool) & (dres["schedule"] == sched)]
                    if sub.empty or not sub[col].notna().any():
                        continue
                    mean = sub.groupby("generation")[col].mean()
                    ax.plot(mean.index, mean.to_numpy(), ls=_STYLES[k % len(_STYLES)], lw=1.5, color=colors[sched])
                    if col == "var_ratio_median" and pool == "replace" and \
                            generator_class(config["generators"][gen]["model"]) is MultivariateNormalGenerator:
                        th = _gaussian_ratio_theory(check_schedule(sched), int(sub["n_rows_real_train"].iloc[0]),
                                                    int(sub["generation"].max()))
                        ax.plot(np.arange(len(th)), th, color=colors[sched], lw=4, alpha=0.25)
                        theory_drawn = True
            if col == "var_ratio_median":
                ax.axhline(1.0, color="0.5", lw=0.8)
            ax.set_title(pool, fontsize=9)
            _int_ticks(ax)
            if i == len(stats) - 1:
                ax.set_xlabel("generation")
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
        if logy:
            axes[i][0].set_yscale("log")
            readable_log_ticks(axes[i][0])
    # One legend outside the panels: line style = generator, colour = schedule, so no line is hidden.
    handles = [Line2D([], [], color="k", ls=_STYLES[k % len(_STYLES)], label=g) for k, g in enumerate(generators)]
    handles += [Line2D([], [], color=colors[s], lw=2, label=s) for s in schedules]
    if theory_drawn:
        handles.append(Line2D([], [], color="0.4", lw=4, alpha=0.3, label="Gaussian theory (mvn, replace)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 7), fontsize=8)
    return fig


def _collapse_figures(dres, ds, generators, schedules, pools, colors, report_dir, plt, config):
    fig = collapse_figure(dres, generators, schedules, pools, colors, plt, config)
    if fig is None:
        return []
    fig.suptitle(f"{ds}: collapse statistics (mean over seeds)", fontsize=10)
    return ["<h3>Collapse curves</h3><p>Variance ratio: fitted variance of each numeric column over "
            "generation 0's, median over columns (1 = no collapse; integer columns are rounded and clipped to "
            "their observed range when sampled, which shrinks the variance of skewed columns every generation). "
            "The pale thick lines are the Gaussian theory (docs/theory.rst, Gaussian estimation): the median of "
            "the ratio, exp(E log ratio), for a multivariate normal with the replace pool. L1 drift: "
            "‖p<sub>t</sub> − p<sub>0</sub>‖₁ of each categorical column between generation t and generation "
            "0, averaged over columns. Each generator's own statistics are shown per line; the verdict table "
            "gives them at the last generation with their intervals.</p>",
            save(fig, report_dir, f"collapse_{ds}.png", plt)]


def _gaussian_ratio_theory(schedule, n_real, T):
    from ...theory import gaussian_log_variance_moments

    m, _ = gaussian_log_variance_moments(schedule.sizes(T, n_real), ddof=1)
    m = np.asarray(m)
    return np.exp(m - m[0])
