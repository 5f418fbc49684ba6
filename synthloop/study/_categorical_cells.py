"""Cells and report of a ``kind = "categorical"`` study: [B] Figures 1-4 (docs/theory.rst, "Categorical
(next-token) model" and "What a collapse study reports").

Parts, each optional in the config:

- ``simplex`` (Figure 1): ``tokens**context_length`` contexts, each an
  independent categorical drawn from a Dirichlet, fully synthetic with ``n``
  samples per generation; the distributions at the listed generations.
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

__all__ = ["expand", "run", "report", "initial_distribution"]


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
    >>> from synthloop.study._categorical_cells import initial_distribution
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


def expand(d, cell_id, child_seed):
    cells = []
    for seed in d["seeds"]:
        if "simplex" in d:
            cells.append({"cell_id": cell_id("simplex", f"seed{seed}"), "part": "simplex", "seed": seed,
                          "param": 0, "cell_seed": child_seed(seed, "simplex")})
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


def run(cell, d):
    from ..simulate import simulate_categorical

    part = cell["part"]
    base = {k: v for k, v in cell.items()}
    if part == "simplex":
        cfg = d["simplex"]
        s, contexts = cfg["tokens"], cfg["tokens"] ** cfg["context_length"]
        gens = sorted(cfg["generations"])
        rng = np.random.default_rng(cell["cell_seed"])
        rows = []
        for c in range(contexts):
            p = rng.dirichlet(np.full(s, cfg.get("concentration", 1.0)))
            # simulate_categorical keeps only the last distribution; the picture needs the path.
            probs = _trajectory(p, max(gens), cfg["n"], rng)
            for g in gens:
                rows.append({**base, "context": c, "generation": g,
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
        out["S0"] = float((p ** 2).sum())
        return out
    raise ValueError(f"unknown part {part!r}")


def _trajectory(p, T, n, rng):
    """One fully synthetic path p^(0..T) (generation 0 = empirical of n real samples)."""
    out = []
    q = rng.multinomial(n, p) / n
    out.append(q)
    for _ in range(T):
        q = rng.multinomial(n, q) / n
        out.append(q)
    return out


# ------------------------------------------------------------------ report
def report(results, config, report_dir, plt, save, table):
    parts = []
    if "simplex" in set(results["part"]):
        parts.extend(_report_simplex(results[results["part"] == "simplex"], config, report_dir, plt, save))
    if "collapse_time" in set(results["part"]):
        parts.extend(_report_collapse_time(results[results["part"] == "collapse_time"], report_dir, plt, save,
                                           table))
    if "partial" in set(results["part"]):
        parts.extend(_report_partial(results[results["part"] == "partial"], report_dir, plt, save, "n",
                                     "Figure 3: partially synthetic, several n", "partial"))
    if "initial" in set(results["part"]):
        parts.extend(_report_partial(results[results["part"] == "initial"], report_dir, plt, save, "distribution",
                                     "Figure 4: partially synthetic, several initial distributions", "initial"))
    return parts


def _report_simplex(res, config, report_dir, plt, save):
    gens = sorted(res["generation"].unique())
    fig, axes = plt.subplots(1, len(gens), figsize=(3.2 * len(gens), 3.2))
    axes = np.atleast_1d(axes)
    corners = np.array([[0, 0], [1, 0], [0.5, np.sqrt(3) / 2]])
    for ax, g in zip(axes, gens):
        sub = res[(res["generation"] == g) & (res["seed"] == res["seed"].min())]
        P = sub[["p0", "p1", "p2"]].to_numpy()
        xy = P @ corners
        ax.plot(*np.vstack([corners, corners[:1]]).T, color="0.6", lw=0.8)
        ax.scatter(xy[:, 0], xy[:, 1], s=10, c=sub["context"], cmap="viridis")
        ax.set_title(f"generation {g}", fontsize=9)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle(f"{len(res['context'].unique())} contexts on the simplex (s = 3), fully synthetic, "
                 f"n = {config['simplex']['n']}: every context random-walks toward the edges and corners", fontsize=9)
    return ["<h2>Figure 1: the simplex</h2><p>Each dot is one context's next-token distribution; with no "
            "real data each generation refits on n samples of the previous one, and the dots random-walk toward "
            "the edges (a token lost for good) and the vertices (Dirac masses, total collapse). The walk's "
            "step is of order 1/sqrt(n): the expected collapse time is of order n generations (Figure 2).</p>", save(fig, report_dir, "fig1_simplex.png", plt)]


def _report_collapse_time(res, report_dir, plt, save, table):
    agg = res.groupby(["support", "param"]).agg(
        mean=("collapse_mean", "mean"), se=("collapse_se", "mean"), frac=("collapse_frac_collapsed", "mean"),
        lower=("collapse_theory_lower", "first"), upper=("collapse_theory_upper", "first"),
        approx=("collapse_theory_approx", "first"), S0=("S0", "first")).reset_index()
    fig, ax = plt.subplots(figsize=(6, 4))
    for (support, g), color in zip(agg.groupby("support"), plt.get_cmap("tab10").colors):
        ax.errorbar(g["param"], g["mean"], yerr=2 * g["se"], fmt="o", color=color,
                    label=f"simulated, support {support} (S0={g['S0'].iloc[0]:.2f})")
        ax.plot(g["param"], g["approx"], "-", color=color, label="Wright-Fisher approximation")
        ax.plot(g["param"], g["lower"], ":", color=color, label="Theorem 1 lower bound")
        ax.plot(g["param"], g["upper"], "--", color=color, alpha=0.5, label="Theorem 1 upper bound")
    ax.set(xlabel="n (samples per generation)", ylabel="mean collapse time (generations)", yscale="log")
    ax.legend(fontsize=6)
    shown = pd.DataFrame({"support": agg["support"].astype(int), "n": agg["param"].astype(int), "S0": agg["S0"].map("{:.3f}".format),
                          "collapsed": agg["frac"].map("{:.2f}".format),
                          "mean T (sim)": [f"{m:.1f} ± {2 * s:.1f}" for m, s in zip(agg["mean"], agg["se"])],
                          "approx": agg["approx"].map("{:.1f}".format), "lower": agg["lower"].map("{:.1f}".format),
                          "upper": agg["upper"].map("{:.0f}".format)})
    return ["<h2>Figure 2: mean collapse time vs n</h2><p>Zipf distributions on s tokens restricted to a "
            "support; ± 2 standard errors. [B] counts from its first model (our generation 0), so its T is "
            "ours + 1.</p>", save(fig, report_dir, "fig2_collapse_time.png", plt), table(shown, left=1)]


def _report_partial(res, report_dir, plt, save, by, title, stem):
    key = "param" if by == "n" else "distribution"
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for (val, g), color in zip(res.groupby(key, sort=by == "n"), plt.get_cmap("tab10").colors):
        m = g.groupby("generation").agg(c=("collision_mean", "mean"), th=("collision_theory", "first"),
                                        l1=("drift_l1_mean", "mean")).reset_index()
        label = f"n = {val}" if by == "n" else str(val)
        axes[0].plot(m["generation"], m["c"], "o", ms=3, color=color, label=f"{label} (sim)")
        axes[0].plot(m["generation"], m["th"], "-", color=color, alpha=0.6)
        axes[1].plot(m["generation"], m["l1"], "-", color=color, label=label)
    axes[0].set(title="σ_m = Σ p² (dots: simulation, lines: Theorem 2)", xlabel="generation")
    axes[1].set(title="L1 drift ‖p^(m) − p^(0)‖₁", xlabel="generation")
    axes[0].legend(fontsize=7)
    N = int(res["N"].iloc[0])
    return [f"<h2>{title}</h2><p>Augment pool: the same N = {N} real samples every generation plus n "
            "synthetic ones. σ_m stays bounded away from 1: no total collapse with real data kept.</p>",
            save(fig, report_dir, f"fig_{stem}.png", plt)]
