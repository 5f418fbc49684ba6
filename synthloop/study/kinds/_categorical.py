"""The ``kind = "categorical"`` study: [B] Figures 1-4 (docs/theory.rst, "Categorical
(next-token) model" and "What a collapse study reports").

Parts, each optional in the config:

- ``simplex`` (Figure 1): ``tokens**context_length`` contexts, each an
  independent categorical drawn from a Dirichlet, fully synthetic; the
  distributions at the listed generations. ``allocations`` lists how the ``n``
  samples of a generation are read: ``"each"``, ``n`` samples for every
  context; ``"split"``, ``n`` samples in all, split evenly over the contexts
  (``n // C`` or one more each), as a language model's training set of ``n``
  samples is. One cell per allocation.
- ``collapse_time`` (Figure 2): mean collapse time vs ``n`` for Zipf
  distributions on several support sizes, beside Theorem 1's bounds and the
  Wright–Fisher approximation.
- ``partial`` (Figure 3): partially synthetic (augment pool, ``N`` real
  samples kept), ``sigma_m`` against Theorem 2 and the L1 drift, for several ``n``.
- ``initial`` (Figure 4): partially synthetic with ``n``, ``N`` fixed, several
  initial distributions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._html import save, table
from .._schema import error, integer, list_of, number, string, table_of
from ._base import StudyKind, cell_id, child_seed

__all__ = ["KIND", "initial_distribution", "context_samples", "simplex_summary", "collapse_time_summary",
           "partial_summary"]

SCHEMA = {
    "simplex": (table_of({
        "tokens": (integer(2), True), "context_length": (integer(1), True), "n": (integer(2), True),
        "generations": (list_of(integer(0)), True), "concentration": (number(0, open_lo=True), False),
        "allocations": (list_of(string(("each", "split"), "allocation")), False),
    }), False),
    "collapse_time": (table_of({
        "tokens": (integer(2), True), "ns": (list_of(integer(2)), True), "n_reps": (integer(2), True),
        "supports": (list_of(integer(2)), True), "max_generations": (integer(1), True),
    }), False),
    "partial": (table_of({
        "tokens": (integer(2), True), "support": (integer(2), True),
        "S0": (number(0, 1, open_lo=True), True),
        "N": (integer(2), True), "ns": (list_of(integer(1)), True), "n_generations": (integer(1), True),
        "n_reps": (integer(2), True),
    }), False),
    "initial": (table_of({
        "tokens": (integer(2), True), "N": (integer(2), True), "n": (integer(1), True),
        "n_generations": (integer(1), True), "n_reps": (integer(2), True),
        "distributions": (list_of(string(("uniform", "zipf", "peaked", "sparse"), "initial distribution")),
                          True),
    }), False),
}


def check(d, source):
    simplex = d.get("simplex")
    if simplex and "split" in simplex.get("allocations", []) and \
            simplex["n"] < simplex["tokens"] ** simplex["context_length"]:
        raise error(source, "simplex.n", f"{simplex['n']} samples cannot be split over the "
                    f"{simplex['tokens'] ** simplex['context_length']} contexts (at least one each)")


def _zipf(s, support):
    p = np.zeros(s)
    w = 1.0 / np.arange(1, support + 1)
    p[:support] = w / w.sum()
    return p


def _with_collision(s, support, S0):
    """A geometric distribution on ``support`` tokens with ``sum p^2 = S0`` (bisection on the rate)."""
    lo_s, hi_s = 1.0 / support, 1.0
    if not lo_s <= S0 < hi_s:
        raise ValueError(f"partial.S0={S0} must lie in [1/support, 1) = [{lo_s:.4g}, 1).")
    i = np.arange(support)

    def coll(a):
        w = np.exp(-a * i)
        w /= w.sum()
        return (w ** 2).sum()

    lo, hi = 0.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if coll(mid) < S0 else (lo, mid)
    w = np.exp(-lo * i)
    p = np.zeros(s)
    p[:support] = w / w.sum()
    return p


def initial_distribution(name, s):
    """The initial distributions of the Figure-4 part, on ``s`` tokens.

    Examples
    --------
    >>> from synthloop.study.kinds._categorical import initial_distribution
    >>> round(float(initial_distribution("uniform", 4).sum()), 12)
    1.0
    """
    if name == "uniform":
        return np.full(s, 1.0 / s)
    if name == "zipf":
        return _zipf(s, s)
    if name == "peaked":
        p = np.full(s, 0.5 / (s - 1))
        p[0] = 0.5
        return p
    if name == "sparse":
        return _zipf(s, max(2, s // 10))
    raise ValueError(f"unknown initial distribution {name!r}")


def expand(d):
    cells = []
    for seed in d["seeds"]:
        if "simplex" in d:
            for allocation in d["simplex"].get("allocations", ["each"]):
                # The same contexts (Dirichlet draws) for every allocation; each its own sampling stream.
                cells.append({"cell_id": cell_id("simplex", allocation, f"seed{seed}"), "part": "simplex",
                              "seed": seed, "param": 0, "allocation": allocation,
                              "contexts_seed": child_seed(seed, "simplex"),
                              "cell_seed": child_seed(seed, "simplex", allocation)})
        if "collapse_time" in d:
            for support in d["collapse_time"]["supports"]:
                for n in d["collapse_time"]["ns"]:
                    cells.append({"cell_id": cell_id("collapse_time", f"support{support}", f"n{n}", f"seed{seed}"),
                                  "part": "collapse_time", "seed": seed, "param": n, "support": support,
                                  "cell_seed": child_seed(seed, "collapse_time", support, n)})
        if "partial" in d:
            for n in d["partial"]["ns"]:
                cells.append({"cell_id": cell_id("partial", f"n{n}", f"seed{seed}"), "part": "partial",
                              "seed": seed, "param": n, "cell_seed": child_seed(seed, "partial", n)})
        if "initial" in d:
            for name in d["initial"]["distributions"]:
                cells.append({"cell_id": cell_id("initial", name, f"seed{seed}"), "part": "initial",
                              "seed": seed, "param": 0, "distribution": name,
                              "cell_seed": child_seed(seed, "initial", name)})
    return cells


def run(cell, payload, d):
    from ...simulate import simulate_categorical

    part = cell["part"]
    base = {k: v for k, v in cell.items()}
    if part == "simplex":
        cfg = d["simplex"]
        s, contexts = cfg["tokens"], cfg["tokens"] ** cfg["context_length"]
        gens = sorted(cfg["generations"])
        truth = np.random.default_rng(cell["contexts_seed"]).dirichlet(np.full(s, cfg.get("concentration", 1.0)),
                                                                         size=contexts)
        counts = context_samples(cfg["n"], contexts, cell["allocation"])
        rng = np.random.default_rng(cell["cell_seed"])
        rows = []
        for c, (p, n) in enumerate(zip(truth, counts)):
            n = int(n)
            # simulate_categorical keeps only the last distribution; the picture needs the path.
            probs = _trajectory(p, max(gens), n, rng)
            for g in gens:
                rows.append({**base, "context": c, "generation": g, "n_context": n,
                             **{f"p{i}": float(probs[g][i]) for i in range(s)},
                             **{f"true_p{i}": float(p[i]) for i in range(s)}})
        return pd.DataFrame(rows)
    if part == "collapse_time":
        cfg = d["collapse_time"]
        n = cell["param"]
        p = _zipf(cfg["tokens"], cell["support"])
        sim = simulate_categorical(p, cfg["max_generations"], schedule=f"constant:{n}", n_real=n, pool="replace",
                                   n_reps=cfg["n_reps"], random_state=cell["cell_seed"])
        cs = sim.collapse_summary()
        return pd.DataFrame([{**base, "generation": int(cfg["max_generations"]), "S0": float((p ** 2).sum()),
                              **{f"collapse_{k}": float(v) for k, v in cs.items()}}])
    if part in ("partial", "initial"):
        cfg = d[part]
        if part == "partial":
            p = _with_collision(cfg["tokens"], cfg["support"], cfg["S0"])
            n = cell["param"]
        else:
            p = initial_distribution(cell["distribution"], cfg["tokens"])
            n = cfg["n"]
        sim = simulate_categorical(p, cfg["n_generations"], schedule=f"constant:{n}", n_real=cfg["N"],
                                   pool="augment", n_reps=cfg["n_reps"], random_state=cell["cell_seed"])
        summ = sim.summary().reset_index()
        out = pd.concat([pd.DataFrame(base, index=range(len(summ))), summ], axis=1)
        out["n"] = n
        out["N"] = cfg["N"]
        out["n_reps"] = cfg["n_reps"]
        out["S0"] = float((p ** 2).sum())
        return out
    raise ValueError(f"unknown part {part!r}")


def context_samples(n, contexts, allocation):
    """Samples per generation of each context: ``n`` each, or ``n`` split evenly over the contexts.

    Examples
    --------
    >>> from synthloop.study.kinds._categorical import context_samples
    >>> counts = context_samples(1000, 81, "split")
    >>> int(counts.sum()), int(counts.min()), int(counts.max())
    (1000, 12, 13)
    >>> context_samples(1000, 81, "each")[:3].tolist()
    [1000, 1000, 1000]
    """
    if allocation == "each":
        return np.full(contexts, n, dtype=np.int64)
    if n < contexts:
        raise ValueError(f"simplex.n = {n} cannot be split over {contexts} contexts (at least one sample each).")
    return n // contexts + (np.arange(contexts) < n % contexts).astype(np.int64)


def _trajectory(p, T, n, rng):
    """One fully synthetic path p^(0..T) (generation 0 = empirical of n real samples)."""
    out = []
    q = rng.multinomial(n, p) / n
    out.append(q)
    for _ in range(T):
        q = rng.multinomial(n, q) / n
        out.append(q)
    return out


def smoke(d):
    for part in ("collapse_time", "partial", "initial"):
        if part in d:
            d[part]["n_reps"] = min(d[part]["n_reps"], 10)
    if "collapse_time" in d:
        d["collapse_time"]["ns"] = d["collapse_time"]["ns"][:2]
        d["collapse_time"]["max_generations"] = min(d["collapse_time"]["max_generations"], 2000)
    if "partial" in d:
        d["partial"]["ns"] = d["partial"]["ns"][:2]
        d["partial"]["n_generations"] = min(d["partial"]["n_generations"], 10)
    if "initial" in d:
        d["initial"]["n_generations"] = min(d["initial"]["n_generations"], 10)
    return "1 seed, at most 10 runs per part, at most 10 generations in Figures 3 and 4"


def run_size(results):
    return f"parts: {', '.join(dict.fromkeys(results['part']))}"


# ------------------------------------------------------------------ report
def report(results, config, report_dir, plt):
    parts = []
    if "simplex" in set(results["part"]):
        parts.extend(_report_simplex(results[results["part"] == "simplex"], config, report_dir, plt))
    if "collapse_time" in set(results["part"]):
        parts.extend(_report_collapse_time(results[results["part"] == "collapse_time"], config, report_dir, plt))
    if "partial" in set(results["part"]):
        parts.extend(_report_partial(results[results["part"] == "partial"], config, report_dir, plt,
                                     "n", "Figure 3: partially synthetic, several n", "partial"))
    if "initial" in set(results["part"]):
        parts.extend(_report_partial(results[results["part"] == "initial"], config, report_dir, plt,
                                     "distribution", "Figure 4: partially synthetic, several initial distributions",
                                     "initial"))
    return parts


_ALLOCATION_TEXT = {"each": "n = {n} samples for each context",
                    "split": "n = {n} samples split over the {C} contexts ({lo}–{hi} each)"}


def _allocation_text(sub, n):
    counts = sub.groupby("context")["n_context"].first().astype(int)
    return _ALLOCATION_TEXT[sub["allocation"].iloc[0]].format(n=n, C=len(counts), lo=counts.min(), hi=counts.max())


def simplex_summary(res):
    """Per allocation and generation: mean collision probability σ and where the contexts are.

    A context is at a *corner* when one token has all the mass (total collapse), on an *edge* when
    some token has none but no token has all, else *inside* the simplex.
    """
    P = res.filter(regex=r"^p\d+$").to_numpy()
    frame = pd.DataFrame({"allocation": res["allocation"].to_numpy(), "generation": res["generation"].to_numpy(),
                          "sigma": (P ** 2).sum(axis=1), "corner": P.max(axis=1) >= 1.0,
                          "edge": (P.min(axis=1) <= 0.0) & (P.max(axis=1) < 1.0)})
    out = frame.groupby(["allocation", "generation"], sort=False).agg(
        mean_sigma=("sigma", "mean"), corners=("corner", "sum"), edges=("edge", "sum"),
        contexts=("sigma", "size")).reset_index()
    out["inside"] = out["contexts"] - out["corners"] - out["edges"]
    return out


def _report_simplex(res, config, report_dir, plt):
    res = res[res["seed"] == res["seed"].min()]
    gens = sorted(res["generation"].unique())
    allocations = [a for a in config["simplex"].get("allocations", ["each"]) if a in set(res["allocation"])]
    fig, axes = plt.subplots(len(allocations), len(gens), figsize=(3.0 * len(gens), 3.2 * len(allocations)),
                             squeeze=False, layout="constrained")
    corners = np.array([[0, 0], [1, 0], [0.5, np.sqrt(3) / 2]])
    n = config["simplex"]["n"]
    for row, allocation in zip(axes, allocations):
        sub_a = res[res["allocation"] == allocation]
        for ax, g in zip(row, gens):
            sub = sub_a[sub_a["generation"] == g]
            xy = sub[["p0", "p1", "p2"]].to_numpy() @ corners
            ax.plot(*np.vstack([corners, corners[:1]]).T, color="0.6", lw=0.8)
            ax.scatter(xy[:, 0], xy[:, 1], s=10, c=sub["context"], cmap="viridis")
            ax.set_title(f"generation {g}", fontsize=9)
            ax.set_aspect("equal")
            ax.axis("off")
        row[0].text(-0.1, 0.5, _allocation_text(sub_a, n).replace(" samples ", " samples\n"), rotation=90,
                    transform=row[0].transAxes, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{res['context'].nunique()} contexts on the simplex (s = 3), fully synthetic; one row per "
                 "reading of [B]'s n", fontsize=9)
    summ = simplex_summary(res)
    summ = summ.sort_values("allocation", key=lambda c: c.map(allocations.index), kind="stable")
    shown = pd.DataFrame({"samples per generation": [_allocation_text(res[res["allocation"] == a], n)
                                                      for a in summ["allocation"]],
                          "generation": summ["generation"], "mean σ": summ["mean_sigma"].map("{:.4f}".format),
                          "at a corner": summ["corners"], "on an edge": summ["edges"], "inside": summ["inside"]})
    return ["<h2>Figure 1: the simplex</h2><p>Each dot is one context's next-token distribution; with no "
            "real data each generation refits on samples of the previous one, and the dots random-walk toward "
            "the edges (a token lost for good) and the corners (Dirac masses, total collapse). The step is of "
            "order 1/√(samples per context): with n = 1000 samples for every context the dots barely move in "
            "40 generations; with 1000 samples in all, split over the contexts, they reach the edges and "
            "corners, as in [B]'s Figure 1.</p>", save(fig, report_dir, "fig1_simplex.png", plt),
            table(shown, left=1)]


def collapse_time_summary(res):
    """Per support and n: the simulated mean collapse generation beside the theory, with the errors."""
    agg = res.groupby(["support", "param"]).agg(
        mean=("collapse_mean", "mean"), se=("collapse_se", "mean"), frac=("collapse_frac_collapsed", "mean"),
        lower=("collapse_theory_lower", "first"), upper=("collapse_theory_upper", "first"),
        approx=("collapse_theory_approx", "first"), S0=("S0", "first")).reset_index()
    agg = agg.rename(columns={"param": "n"})
    agg["approx_error"] = agg["approx"] / agg["mean"] - 1  # relative error of the Wright-Fisher approximation
    agg["approx_error_se"] = agg["approx"] * agg["se"] / agg["mean"] ** 2  # delta method
    agg["approx_z"] = (agg["approx"] - agg["mean"]) / agg["se"]
    agg["upper_ratio"] = agg["upper"] / agg["mean"]
    agg["lower_ratio"] = agg["mean"] / agg["lower"]
    return agg


def _report_collapse_time(res, config, report_dir, plt):
    agg = collapse_time_summary(res)
    fig, ax = plt.subplots(figsize=(7, 4.6), layout="constrained")
    for (support, g), color in zip(agg.groupby("support"), plt.get_cmap("tab10").colors):
        ax.errorbar(g["n"], g["mean"], yerr=2 * g["se"], fmt="o", color=color,
                    label=f"simulated, support {int(support)} (S0={g['S0'].iloc[0]:.2f})")
        ax.plot(g["n"], g["approx"], "-", color=color, label=f"Wright-Fisher approximation, support {int(support)}")
        ax.plot(g["n"], g["lower"], ":", color=color, label=f"Theorem 1 lower bound, support {int(support)}")
        ax.plot(g["n"], g["upper"], "--", color=color, alpha=0.5,
                label=f"Theorem 1 upper bound, support {int(support)}")
    ax.set(xlabel="n (samples per generation)", ylabel="mean collapse generation", yscale="log")
    fig.legend(loc="outside right center", fontsize=7)
    runs = config["collapse_time"]["n_reps"]
    shown = pd.DataFrame({
        "support": agg["support"].astype(int), "n": agg["n"].astype(int), "S0": agg["S0"].map("{:.3f}".format),
        "collapsed": agg["frac"].map("{:.3f}".format),
        "mean G (sim) ± SE": [f"{m:.2f} ± {s:.2f}" for m, s in zip(agg["mean"], agg["se"])],
        "Wright-Fisher": agg["approx"].map("{:.2f}".format),
        "its error": [f"{100 * e:+.1f}% ± {100 * s:.1f}%" for e, s in zip(agg["approx_error"],
                                                                         agg["approx_error_se"])],
        "(SE)": agg["approx_z"].map("{:+.1f}".format),
        "lower bound": agg["lower"].map("{:.1f}".format), "sim / lower": agg["lower_ratio"].map("{:.2f}".format),
        "upper bound": agg["upper"].map("{:,.0f}".format), "upper / sim": agg["upper_ratio"].map("{:.1f}".format)})
    return ["<h2>Figure 2: mean collapse time vs n</h2><p>Zipf distributions on s tokens restricted to a "
            f"support, {runs:,} runs per point; error bars ± 2 standard errors. G is the first generation at "
            "which one token has all the mass, in synthloop's index (generation 0 is fit on the real samples); "
            "[B] counts from its first model, so its T is G + 1, and the bounds and the approximation here are "
            "in our index. 'its error' is the Wright-Fisher approximation's relative error against the "
            "simulated mean (± its Monte Carlo SE), '(SE)' the same difference in standard errors.</p>",
            save(fig, report_dir, "fig2_collapse_time.png", plt), table(shown, left=1)]


def partial_summary(res, by):
    """Per curve: runs, and the simulated σ_m minus Theorem 2 in standard errors over generations >= 1."""
    key = "param" if by == "n" else "distribution"
    rows = []
    for val, g in res.groupby(key, sort=by == "n"):
        m = g.groupby("generation").agg(c=("collision_mean", "mean"), se=("collision_se", "mean"),
                                        th=("collision_theory", "first")).reset_index()
        z = ((m["c"] - m["th"]) / m["se"])[m["generation"] >= 1]
        rows.append({by: val, "runs": int(g["n_reps"].iloc[0]),
                     "z_min": float(z.min()), "z_median": float(z.median()), "z_max": float(z.max()),
                     "limit": float(m["th"].iloc[-1]), "sim_last": float(m["c"].iloc[-1])})
    return pd.DataFrame(rows)


def _report_partial(res, config, report_dir, plt, by, title, stem):
    from ...theory import drift_l1_bound

    key = "param" if by == "n" else "distribution"
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for (val, g), color in zip(res.groupby(key, sort=by == "n"), plt.get_cmap("tab10").colors):
        m = g.groupby("generation").agg(c=("collision_mean", "mean"), th=("collision_theory", "first"),
                                        l1=("drift_l1_mean", "mean")).reset_index()
        label = f"n = {val}" if by == "n" else str(val)
        axes[0].plot(m["generation"], m["c"], "o", ms=3, color=color, label=f"{label} (sim)")
        axes[0].plot(m["generation"], m["th"], "-", color=color, alpha=0.6)
        axes[1].plot(m["generation"], m["l1"], "-", color=color, label=label)
    axes[0].set(title="σ_g = Σ p² (dots: simulation, lines: Theorem 2)", xlabel="generation g")
    axes[1].set(title="L1 drift from generation 0, ‖p_g − p_0‖₁", xlabel="generation g")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    N = int(res["N"].iloc[0])
    tokens = config[stem]["tokens"]
    ns = sorted(int(n) for n in res["n"].unique())
    bounds = ", ".join(f"{float(drift_l1_bound(N, n, tokens)):.2g} (n = {n})" for n in ns)
    summ = partial_summary(res, by)
    shown = pd.DataFrame({by: summ[by], "runs": summ["runs"],
                          "sim − Theorem 2, in SE: min / median / max over g ≥ 1":
                              [f"{a:+.1f} / {b:+.1f} / {c:+.1f}" for a, b, c in
                               zip(summ["z_min"], summ["z_median"], summ["z_max"])],
                          "σ at the last generation (sim / Theorem 2)":
                              [f"{a:.4f} / {b:.4f}" for a, b in zip(summ["sim_last"], summ["limit"])]})
    return [f"<h2>{title}</h2><p>Augment pool: the same N = {N} real samples every generation plus n "
            "synthetic ones. σ stays bounded away from 1: no total collapse with real data kept. Generations "
            "are synthloop's (g = 0 is fit on the N real samples, [B]'s p<sup>(1)</sup>; our g is [B]'s m − 1), "
            "so the L1 drift ‖p_g − p_0‖₁ is [B]'s ‖p<sup>(m)</sup> − p<sup>(1)</sup>‖₁. "
            "[B]'s Theorem 3 bound "
            f"on it, for s = {tokens} tokens, is {bounds}: far off this scale (an L1 distance is at most 2), "
            "so it is not drawn. Each run draws its own real sample and keeps it for all generations, so a "
            "run's σ varies slowly around the level its real sample sets, and the error of a curve's mean is "
            "nearly the same at every generation: a curve off by k SE is one deviation of k SE, not one per "
            "generation.</p>", save(fig, report_dir, f"fig_{stem}.png", plt), table(shown, left=1)]


KIND = StudyKind("categorical", SCHEMA, expand=expand, run=run, smoke=smoke, run_size=run_size, report=report,
                 check=check)
