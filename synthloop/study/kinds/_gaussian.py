"""The ``kind = "gaussian"`` study: [A] Figure 3's collapse table, simulated against the closed forms.

One cell per schedule × ddof × seed: an exact sufficient-statistic Monte Carlo
(:func:`~synthloop.simulate.simulate_gaussian`) of ``n_reps`` replications,
summarised at the listed generations beside the theory of docs/theory.rst
(Gaussian estimation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._html import save, table
from .._schema import integer, list_of, number, schedule_name
from ._base import StudyKind, cell_id, child_seed

__all__ = ["KIND"]

SCHEMA = {
    "n0": (integer(2), True),
    "mean": (number(), False),
    "var": (number(0, open_lo=True), False),
    "eps": (number(0, open_lo=True), False),
    "n_reps": (integer(2), True),
    "generations": (list_of(integer(0)), True),
    "schedules": (list_of(schedule_name), True),
    "ddofs": (list_of(integer(0)), True),
}


def expand(d):
    # Each cell draws its own stream: cells sharing one would share their generation-0 fits, and the
    # comparisons with the theory across schedules and ddofs would not be independent checks.
    return [{"cell_id": cell_id(sched, f"ddof{ddof}", f"seed{seed}"), "schedule": sched, "ddof": ddof,
             "seed": seed, "cell_seed": child_seed(seed, "gaussian", sched, ddof)}
            for sched in d["schedules"] for ddof in d["ddofs"] for seed in d["seeds"]]


def run(cell, payload, d):
    from ...simulate import simulate_gaussian
    from ...theory import improvement_probability

    gens = sorted(d["generations"])
    mean, var = d.get("mean", 0.0), d.get("var", 1.0)
    sim = simulate_gaussian(max(gens), schedule=cell["schedule"], n0=d["n0"], mean=mean, var=var,
                            ddof=cell["ddof"], n_reps=d["n_reps"], random_state=cell["cell_seed"])
    summ = sim.summary(eps=d.get("eps", 0.05), generations=gens).reset_index()
    out = pd.DataFrame({k: v for k, v in cell.items()}, index=range(len(summ)))
    out = pd.concat([out, summ], axis=1)
    err = np.abs(sim.means - mean)
    out["improve"] = (err[:, gens] < err[:, [0]]).mean(axis=0)
    out["improve_theory"] = improvement_probability(sim.sizes)[gens]
    out["rows_generated"] = np.cumsum(sim.sizes[1:])[np.asarray(gens) - 1] if min(gens) > 0 else \
        [int(sim.sizes[1:g + 1].sum()) for g in gens]
    out["n_reps"] = d["n_reps"]
    return out


def smoke(d):
    d["n_reps"] = min(d["n_reps"], 200)
    d["generations"] = [g for g in d["generations"] if g <= 20] or [min(d["generations"][0], 20)]
    return f"1 seed, {d['n_reps']} replications, T = {', '.join(map(str, d['generations']))}"


def run_size(results):
    gens = ", ".join(map(str, sorted(results["generation"].unique())))
    return f"{int(results['n_reps'].iloc[0]):,} replications per cell, T = {gens}"


# ------------------------------------------------------------------ report
def _binomial_z(sim, theory, n):
    """(simulated - theory) share in binomial standard errors of the theory's share."""
    se = np.sqrt(theory * (1 - theory) / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, (sim - theory) / se, np.where(sim == theory, 0.0, np.inf))


def report(results, config, report_dir, plt):
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
    shown = pd.DataFrame({
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
    out.append(table(shown, left=2))
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
    out.append(save(fig, report_dir, "collapse_table.png", plt))
    return out


KIND = StudyKind("gaussian", SCHEMA, expand=expand, run=run, smoke=smoke, run_size=run_size, report=report)
