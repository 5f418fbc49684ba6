"""make_report: an HTML page and PNG figures drawn from stored results only."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

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
"""


def _plt():
    matplotlib = import_optional("matplotlib", owner="make_report", extra="study")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


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
             f"<p>This run: {html.escape(_run_size(results, meta))}.</p>",
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


def _run_size(results, meta):
    """What the stored results hold, in the words of the study's kind (a smoke run says it is small)."""
    if results.empty:
        return "no cell stored"
    seeds = sorted(results["seed"].unique())
    text = f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} ({', '.join(map(str, seeds))})"
    if meta["kind"] == "recursive":
        T = int(results["generation"].max())
        rows = ", ".join(f"{ds} {int(r):,} rows" for ds, r in
                         results.groupby("dataset", sort=False)["n_rows_real_train"].first().items())
        return f"{text}, {T} generation{'s' if T != 1 else ''} after generation 0, real train split: {rows}"
    if meta["kind"] == "gaussian":
        gens = ", ".join(map(str, sorted(results["generation"].unique())))
        return f"{text}, {int(results['n_reps'].iloc[0]):,} replications per cell, T = {gens}"
    return f"{text}, parts: {', '.join(dict.fromkeys(results['part']))}"


def _save(fig, report_dir, name, plt):
    fig.savefig(report_dir / name, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img src="{name}" alt="{name}">'


# ================================================================ recursive
def _recursive(results, config, report_dir, plt):
    from ._recursive_report import recursive_report

    return recursive_report(results, config, report_dir, plt, _save, _table)


# ================================================================= gaussian
def _binomial_z(sim, theory, n):
    """(simulated - theory) share in binomial standard errors of the theory's share."""
    se = np.sqrt(theory * (1 - theory) / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, (sim - theory) / se, np.where(sim == theory, 0.0, np.inf))


def _gaussian(results, config, report_dir, plt):
    out = []
    eps = config.get("eps", 0.05)
    agg = results.groupby(["schedule", "ddof", "generation"], sort=False).agg(
        frac_collapsed=("frac_collapsed", "mean"), frac_collapsed_theory=("frac_collapsed_theory", "mean"),
        var_max=("var_max", "max"), var_median=("var_median", "mean"), kl_mean=("kl_mean", "mean"),
        kl_median=("kl_median", "mean"), improve=("improve", "mean"), improve_theory=("improve_theory", "mean"),
        n_reps=("n_reps", "sum"), rows=("rows_generated", "first")).reset_index()
    order = {"schedule": list(dict.fromkeys(config["schedules"])), "ddof": list(dict.fromkeys(config["ddofs"]))}
    agg = agg.sort_values(["schedule", "ddof", "generation"], key=lambda c: c.map(
        {v: i for i, v in enumerate(order[c.name])}) if c.name in order else c, ignore_index=True)
    n = agg["n_reps"].to_numpy()
    table = pd.DataFrame({
        "schedule": agg["schedule"], "ddof": agg["ddof"], "T": agg["generation"],
        f"% σ̂²≤{eps} (sim)": (100 * agg["frac_collapsed"]).map("{:.1f}".format),
        "% (theory)": (100 * agg["frac_collapsed_theory"]).map("{:.1f}".format),
        "sim − theory (SE)": [f"{z:+.1f}" for z in
                              _binomial_z(agg["frac_collapsed"], agg["frac_collapsed_theory"], n)],
        "max σ̂²": agg["var_max"].map("{:.3g}".format),
        "median σ̂²": agg["var_median"].map("{:.3g}".format),
        "risk (mean KL)": agg["kl_mean"].map("{:.3g}".format),
        "risk (median KL)": agg["kl_median"].map("{:.3g}".format),
        "P(beat real) sim": agg["improve"].map("{:.3f}".format),
        "P(beat real), σ known": agg["improve_theory"].map("{:.3f}".format),
        "rows drawn": agg["rows"].map(lambda v: f"{int(v):,}"),
    })
    out.append(f"<h2>Collapse table ([A] Figure 3 setting: n₀ = {config['n0']}, {int(agg['n_reps'].iloc[0]):,} "
               "replications per row)</h2>")
    out.append("<p>Every simulated figure is compared with the closed forms of docs/theory.rst (Gaussian "
               "estimation, our derivations [A*]), not with [A]'s own numbers, which are not available to us. "
               "Each schedule × ddof is simulated with its own random stream, so they are independent checks "
               "(the T of one of them follow the same replications). ddof = 1 is the unbiased variance, "
               "ddof = 0 the MLE. % collapsed: share of replications with σ̂²_T ≤ ε, simulated (exact "
               "sufficient-statistic Monte Carlo) beside the exact "
               "theory, and their difference in binomial standard errors. P(beat real): probability that the "
               "mean after T generations is closer to μ than the real-only fit, simulated beside "
               "(1/π)·arctan(2/√R_T), which assumes σ known.</p>")
    out.append(_table(table, left=2))
    ddofs = list(dict.fromkeys(agg["ddof"]))
    scheds = list(dict.fromkeys(agg["schedule"]))
    colors = dict(zip(scheds, plt.get_cmap("tab10").colors))
    styles = dict(zip(ddofs, ["-", "--", ":", "-."]))
    markers = dict(zip(ddofs, ["o", "s", "^", "v"]))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")
    for sched in scheds:
        for ddof in ddofs:
            a = agg[(agg["schedule"] == sched) & (agg["ddof"] == ddof)]
            lab = f"{sched}, ddof={ddof}"
            axes[0].plot(a["generation"], 100 * a["frac_collapsed"], markers[ddof] + styles[ddof],
                         color=colors[sched], label=lab)
            axes[0].plot(a["generation"], 100 * a["frac_collapsed_theory"], "x", color="k", ms=8)
            axes[1].plot(a["generation"], a["kl_median"], markers[ddof] + styles[ddof], color=colors[sched],
                         label=lab)
            axes[2].plot(a["generation"], a["improve"], markers[ddof], ls="none", color=colors[sched],
                         mfc="none" if ddof != ddofs[0] else None, label=f"{lab} (sim)")
        th = agg[(agg["schedule"] == sched) & (agg["ddof"] == ddofs[0])]
        axes[2].plot(th["generation"], th["improve_theory"], "-", color=colors[sched], alpha=0.5)
    axes[0].set(title=f"% replications with σ̂² ≤ {eps} (x: theory)", xlabel="T", ylabel="%")
    axes[1].set(title="median population risk KL", xlabel="T", yscale="log")
    axes[2].set(title="P(mean beats real-only fit): markers sim per ddof,\nlines (1/π)·arctan(2/√R_T) (σ known)",
                xlabel="T")
    axes[0].legend(fontsize=7)
    axes[2].legend(fontsize=6, ncols=2)
    out.append(_save(fig, report_dir, "collapse_table.png", plt))
    return out


# ============================================================== categorical
def _categorical(results, config, report_dir, plt):
    from ._categorical_cells import report

    return report(results, config, report_dir, plt, _save, _table)
