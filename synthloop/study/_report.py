"""make_report: an HTML page and PNG figures drawn from stored results only."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..generators import MultivariateNormalGenerator, generator_class
from ..utils._optional import import_optional
from ._store import ResultsStore

__all__ = ["make_report"]

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.85em}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3} td.l,th.l{text-align:left}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:0.85em}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}
.verdict{margin:0.3em 0} .bad{color:#a00} .good{color:#060} .mid{color:#a60}
"""


def _plt():
    matplotlib = import_optional("matplotlib", who="make_report", extra="study")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _t_interval(values, confidence=0.95):
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan, np.nan
    if v.size < 2:
        return float(v.mean()), np.nan
    half = stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean()), float(half)


def _fmt(mean, half, digits=3):
    if not np.isfinite(mean):
        return "–"
    return f"{mean:.{digits}f}" + (f" ± {half:.{digits}f}" if np.isfinite(half) else "")


def _table(frame, left=1):
    head = "".join(f'<th class="{"l" if i < left else ""}">{html.escape(str(c))}</th>'
                   for i, c in enumerate(frame.columns))
    rows = []
    for _, r in frame.iterrows():
        rows.append("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{html.escape(str(v))}</td>'
                                     for i, v in enumerate(r)) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def make_report(out_dir, report_dir=None):
    """Write an HTML report of a study from its stored results.

    Nothing is rerun: the figures and tables are drawn from the Parquet files
    of the results directory, so a report can be redrawn at any time (also
    of a partial run: it shows the cells stored so far).

    Parameters
    ----------
    out_dir : str or path
        A results directory written by :func:`run_study`.
    report_dir : str or path, default=None
        Where to write ``index.html`` and the PNG figures beside it;
        default ``<out_dir>/report``.

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> from synthloop.study import make_report, run_study
    >>> cfg = {"name": "demo", "kind": "gaussian", "seeds": [0], "n0": 100, "n_reps": 200,
    ...        "generations": [5, 10], "schedules": ["constant", "linear"], "ddofs": [1]}
    >>> out = tempfile.mkdtemp()
    >>> _ = run_study(cfg, out, progress=False)
    >>> make_report(out).name
    'index.html'
    """
    store = ResultsStore(out_dir)
    results = store.read()
    meta = store.meta
    report_dir = Path(report_dir) if report_dir is not None else store.path / "report"
    report_dir.mkdir(parents=True, exist_ok=True)
    plt = _plt()
    config_text = (store.path / "config.toml").read_text(encoding="utf-8") \
        if (store.path / "config.toml").is_file() else json.dumps(meta["config"], indent=2)
    parts = [f"<h1>Study {html.escape(meta['name'])}</h1>",
             f"<p>{html.escape(meta['config'].get('description', ''))}</p>",
             f"<p>Config hash <code>{meta['config_hash']}</code>; {results['cell_id'].nunique() if len(results) else 0}"
             f" cells stored; versions: {html.escape(', '.join(f'{k} {v}' for k, v in meta['versions'].items()))}."
             "</p>"]
    if results.empty:
        parts.append("<p><b>No cell is stored yet.</b></p>")
    else:
        builder = {"recursive": _recursive, "gaussian": _gaussian, "categorical": _categorical}[meta["kind"]]
        parts.extend(builder(results, meta["config"], report_dir, plt))
    parts.append("<h2>Config</h2><pre>" + html.escape(config_text) + "</pre>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(meta['name'])}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")
    index = report_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _save(fig, report_dir, name, plt):
    fig.savefig(report_dir / name, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img src="{name}" alt="{name}">'


# ================================================================ recursive
def _score_columns(results):
    cols = [c for c in results.columns if c.startswith("synthetic:")]
    return [c.split(":", 1)[1] for c in cols]  # "estimator:metric"


def _primary(results, config):
    pairs = _score_columns(results)
    for pair in pairs:
        if pair.endswith(":roc_auc"):
            return pair
    return pairs[0] if pairs else None


def _curves(frame, column):
    """Mean and t-interval half width over seeds of ``column`` per generation."""
    rows = []
    for g, part in frame.groupby("generation"):
        m, h = _t_interval(part[column])
        rows.append((g, m, h))
    return pd.DataFrame(rows, columns=["generation", "mean", "half"])


def _recursive(results, config, report_dir, plt):
    out = []
    T = int(results["generation"].max())
    schedules = list(dict.fromkeys(config["schedules"]))
    pools = list(dict.fromkeys(config["pools"]))
    generators = [g for g in config["generators"] if g in set(results["generator"])]
    pairs = _score_columns(results)
    primary = _primary(results, config)
    colors = dict(zip(schedules, plt.get_cmap("tab10").colors))
    out.append(
        "<h2>How to read this report</h2><p>Each cell trains a generator on the real training rows "
        "(generation 0), then retrains it for "
        f"{T} generations on its own samples: the <em>schedule</em> sets how many rows each generation draws, "
        "the <em>pool</em> what it trains on (replace: only the new synthetic rows; augment: the real rows plus "
        "them; accumulate: the real rows and every synthetic row so far). Utility is <b>TSTR</b> (a model "
        "trained on as many synthetic rows as the real training split, tested on held-out real rows) against "
        "<b>TRTR</b> (the same model trained on the real rows). Intervals are 95% Student-t intervals over the "
        f"seeds ({len(config['seeds'])}).</p>")
    for ds, dres in results.groupby("dataset", sort=False):
        out.append(f"<h2>Dataset {html.escape(ds)}</h2>")
        # ---- utility figure per estimator:metric
        for pair in ([primary] + [p for p in pairs if p != primary and p.endswith(primary.split(':')[1])]):
            fig, axes = plt.subplots(len(generators), len(pools), figsize=(4 * len(pools), 2.8 * len(generators)),
                                     sharex=True, squeeze=False)
            for i, gen in enumerate(generators):
                for j, pool in enumerate(pools):
                    ax = axes[i][j]
                    sub = dres[(dres["generator"] == gen) & (dres["pool"] == pool)]
                    if sub.empty:
                        ax.set_visible(False)
                        continue
                    real = _t_interval(sub.groupby("seed")[f"real:{pair}"].first())
                    ax.axhspan(real[0] - (real[1] if np.isfinite(real[1]) else 0),
                               real[0] + (real[1] if np.isfinite(real[1]) else 0), color="0.85")
                    ax.axhline(real[0], color="k", ls="--", lw=1, label="TRTR (real only)")
                    for sched in schedules:
                        c = _curves(sub[sub["schedule"] == sched], f"synthetic:{pair}")
                        if c.empty:
                            continue
                        ax.plot(c["generation"], c["mean"], marker="o", ms=3, color=colors[sched], label=sched)
                        half = c["half"].fillna(0)
                        ax.fill_between(c["generation"], c["mean"] - half, c["mean"] + half,
                                        color=colors[sched], alpha=0.15)
                    ax.set_title(f"{gen} · {pool}", fontsize=9)
                    if j == 0:
                        ax.set_ylabel(pair.split(":")[1] + " (TSTR)")
                    if i == len(generators) - 1:
                        ax.set_xlabel("generation")
            visible = [ax for row in axes for ax in row if ax.get_visible() and ax.get_legend_handles_labels()[0]]
            if visible:
                visible[0].legend(fontsize=7, loc="lower left")
            fig.suptitle(f"{ds}: utility of each generation ({pair.replace(':', ', ')}); dashed: real-only",
                         fontsize=10)
            fig.tight_layout()
            out.append(_save(fig, report_dir, f"utility_{ds}_{pair.replace(':', '_')}.png", plt))
        # ---- utility table
        out.append(f"<h3>Utility per generation ({html.escape(primary.replace(':', ', '))}), mean ± 95% half-width"
                   "</h3>")
        shown = sorted(set(np.unique(np.linspace(0, T, min(T + 1, 6)).round().astype(int))))
        rows = []
        for gen in generators:
            for sched in schedules:
                for pool in pools:
                    sub = dres[(dres["generator"] == gen) & (dres["schedule"] == sched) & (dres["pool"] == pool)]
                    if sub.empty:
                        continue
                    row = {"generator": gen, "schedule": sched, "pool": pool,
                           "TRTR": _fmt(*_t_interval(sub.groupby("seed")[f"real:{primary}"].first()))}
                    for g in shown:
                        row[f"TSTR g{g}"] = _fmt(*_t_interval(sub.loc[sub["generation"] == g,
                                                                      f"synthetic:{primary}"]))
                    rows.append(row)
        out.append(_table(pd.DataFrame(rows), left=3))
        # ---- collapse curves
        out.extend(_collapse_figures(dres, ds, generators, schedules, pools, colors, report_dir, plt, config))
        # ---- cost
        cost = (dres[dres["generation"] == T].groupby(["schedule", "pool"], sort=False)
                .agg(rows_generated=("rows_generated", "max"), largest_pool=("n_train", "max")).reset_index())
        cost["rows_generated"] = cost["rows_generated"].map(lambda v: f"{int(v):,}")
        cost["largest_pool"] = cost["largest_pool"].map(lambda v: f"{int(v):,}")
        out.append(f"<h3>Rows each schedule cost (synthetic rows drawn over {T} generations; real train rows "
                   f"{int(dres['n_rows_real_train'].iloc[0]):,})</h3>")
        out.append(_table(cost, left=2))
        out.append("<h3>Verdicts</h3>")
        out.extend(_verdicts(dres, primary, schedules, pools, generators, T))
    return out


def _collapse_figures(dres, ds, generators, schedules, pools, colors, report_dir, plt, config):
    out = []
    stats = [("var_ratio_median", "median variance ratio (numeric columns)", True),
             ("l1_mean", "mean L1 drift of categorical columns", False)]
    stats = [s for s in stats if dres[s[0]].notna().any()]
    if not stats:
        return out
    from ..schedules import check_schedule

    fig, axes = plt.subplots(len(stats), len(pools), figsize=(4 * len(pools), 3 * len(stats)), squeeze=False)
    for i, (col, label, logy) in enumerate(stats):
        for j, pool in enumerate(pools):
            ax = axes[i][j]
            styles = ["-", ":", "-."]
            for k, gen in enumerate(generators):
                for sched in schedules:
                    sub = dres[(dres["generator"] == gen) & (dres["pool"] == pool) & (dres["schedule"] == sched)]
                    if sub.empty or not sub[col].notna().any():
                        continue
                    c = _curves(sub, col)
                    ax.plot(c["generation"], c["mean"], ls=styles[k % 3], lw=1.5, color=colors[sched],
                            label=f"{gen}, {sched}")
                    if col == "var_ratio_median" and pool == "replace" and \
                            generator_class(config["generators"][gen]["model"]) is MultivariateNormalGenerator:
                        th = _gaussian_ratio_theory(check_schedule(sched), int(sub["n_rows_real_train"].iloc[0]),
                                                    int(sub["generation"].max()))
                        if th is not None:
                            ax.plot(np.arange(len(th)), th, color=colors[sched], lw=3, alpha=0.3,
                                    label=f"theory (Gaussian), {sched}")
            if logy:
                ax.set_yscale("log")
            ax.set_title(f"{pool}", fontsize=9)
            ax.set_xlabel("generation")
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
    if axes[0][0].get_legend_handles_labels()[0]:
        axes[0][0].legend(fontsize=6, loc="lower left", ncol=1, handlelength=3)
    fig.suptitle(f"{ds}: collapse statistics (mean over seeds); line style = generator, colour = schedule;"
                 " thick pale lines = Gaussian theory (median variance ratio)", fontsize=9)
    fig.tight_layout()
    out.append("<h3>Collapse curves</h3><p>Variance ratio: fitted variance of each numeric column over "
               "generation 0's, median over columns (1 = no collapse; integer columns are rounded and clipped to "
               "their observed range when sampled, which shrinks the variance of skewed columns every generation; the Gaussian theory (docs/theory.rst, Gaussian estimation) "
               "predicts the median of the ratio, exp(E log ratio), for the replace pool). L1 drift: "
               "‖p<sup>(t)</sup> − p<sup>(0)</sup>‖₁ of each categorical column, averaged over columns.</p>")
    out.append(_save(fig, report_dir, f"collapse_{ds}.png", plt))
    return out


def _gaussian_ratio_theory(schedule, n_real, T):
    try:
        from ..theory import gaussian_log_variance_moments
    except ImportError:  # pragma: no cover
        return None
    sizes = schedule.sizes(T, n_real)
    m, _ = gaussian_log_variance_moments(sizes, ddof=1)
    m = np.asarray(m)
    return np.exp(m - m[0])


def _verdicts(dres, primary, schedules, pools, generators, T):
    out = []
    metric = primary.split(":")[1]
    for sched in schedules:
        for pool in pools:
            sub = dres[(dres["schedule"] == sched) & (dres["pool"] == pool)]
            if sub.empty:
                continue
            words = []
            worst = 0.0
            for gen in generators:
                g = sub[sub["generator"] == gen]
                if g.empty:
                    continue
                last = g[g["generation"] == T]
                first = g[g["generation"] == 0]
                gap_T = _t_interval(last[f"synthetic:{primary}"].to_numpy() - last[f"real:{primary}"].to_numpy())
                drop = _t_interval(last[f"synthetic:{primary}"].to_numpy() - first[f"synthetic:{primary}"].to_numpy())
                worst = min(worst, drop[0])
                sig = np.isfinite(drop[1]) and drop[0] + drop[1] < 0
                words.append(f"{gen}: {metric} {drop[0]:+.3f} from generation 0 to {T}"
                             f"{' (beyond seed noise)' if sig else ''}, {gap_T[0]:+.3f} vs real-only")
            cost = int(sub.loc[sub["generation"] == T, "rows_generated"].max())
            vr = sub.loc[sub["generation"] == T, "var_ratio_median"]
            vr_txt = f"; median variance ratio at generation {T}: {vr.mean():.2f}" if vr.notna().any() else ""
            if worst < -0.02:
                cls, head = "bad", "loses utility over the generations"
            elif worst < -0.005:
                cls, head = "mid", "slight loss of utility"
            else:
                cls, head = "good", "utility holds"
            out.append(f'<p class="verdict"><b>{html.escape(sched)} × {html.escape(pool)}</b>: '
                       f'<span class="{cls}">{head}</span> ({"; ".join(words)}){vr_txt}; '
                       f"{cost:,} synthetic rows drawn.</p>")
    return out


# ================================================================= gaussian
def _gaussian(results, config, report_dir, plt):
    out = []
    eps = config.get("eps", 0.05)
    agg = results.groupby(["schedule", "ddof", "generation"], sort=False).agg(
        frac_collapsed=("frac_collapsed", "mean"), frac_collapsed_theory=("frac_collapsed_theory", "mean"),
        var_max=("var_max", "max"), var_median=("var_median", "mean"), kl_mean=("kl_mean", "mean"),
        kl_median=("kl_median", "mean"), improve=("improve", "mean"), improve_theory=("improve_theory", "mean"),
        n_reps=("n_reps", "sum"), rows=("rows_generated", "first")).reset_index()
    table = pd.DataFrame({
        "schedule": agg["schedule"], "ddof": agg["ddof"], "T": agg["generation"],
        f"% σ̂²≤{eps} (sim)": (100 * agg["frac_collapsed"]).map("{:.1f}".format),
        "% (theory)": (100 * agg["frac_collapsed_theory"]).map("{:.1f}".format),
        "max σ̂²": agg["var_max"].map("{:.3g}".format),
        "median σ̂²": agg["var_median"].map("{:.3g}".format),
        "risk (mean KL)": agg["kl_mean"].map("{:.3g}".format),
        "risk (median KL)": agg["kl_median"].map("{:.3g}".format),
        "P(beat real) sim": agg["improve"].map("{:.3f}".format),
        "P(beat real) theory": agg["improve_theory"].map("{:.3f}".format),
        "rows drawn": agg["rows"].map(lambda v: f"{int(v):,}"),
    })
    out.append(f"<h2>Collapse table ([A] Figure 3 setting: n₀ = {config['n0']}, {int(agg['n_reps'].iloc[0]):,} "
               "replications per row)</h2>")
    out.append("<p>% collapsed: share of replications with σ̂²_T ≤ ε, simulated (exact sufficient-statistic "
               "Monte Carlo) beside the exact theory (docs/theory.rst, Gaussian estimation). P(beat real): probability that the mean "
               "after T generations is closer to μ than the real-only fit, simulated beside (1/π)·arctan(2/√R_T)."
               "</p>")
    out.append(_table(table, left=2))
    ddofs = list(dict.fromkeys(agg["ddof"]))
    scheds = list(dict.fromkeys(agg["schedule"]))
    colors = dict(zip(scheds, plt.get_cmap("tab10").colors))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for sched in scheds:
        for ddof in ddofs:
            a = agg[(agg["schedule"] == sched) & (agg["ddof"] == ddof)]
            ls = "-" if ddof == 1 else "--"
            lab = f"{sched}, ddof={ddof}"
            axes[0].plot(a["generation"], 100 * a["frac_collapsed"], "o" + ls, color=colors[sched], label=lab)
            axes[0].plot(a["generation"], 100 * a["frac_collapsed_theory"], "x", color="k", ms=8)
            axes[1].plot(a["generation"], a["kl_median"], "o" + ls, color=colors[sched], label=lab)
            if ddof == ddofs[0]:
                axes[2].plot(a["generation"], a["improve"], "o", color=colors[sched], label=f"{sched} (sim)")
                axes[2].plot(a["generation"], a["improve_theory"], "-", color=colors[sched], alpha=0.5)
    axes[0].set(title=f"% replications with σ̂² ≤ {eps} (x: theory)", xlabel="T", ylabel="%")
    axes[1].set(title="median population risk KL", xlabel="T", yscale="log")
    axes[2].set(title=f"P(mean beats real-only fit), ddof={ddofs[0]}: dots sim, lines theory (σ known)", xlabel="T")
    axes[0].legend(fontsize=7)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    out.append(_save(fig, report_dir, "collapse_table.png", plt))
    return out


# ============================================================== categorical
def _categorical(results, config, report_dir, plt):
    from ._categorical_cells import report

    return report(results, config, report_dir, plt, _save, _table)
