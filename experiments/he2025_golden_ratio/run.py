"""He, Xu and Cheng's fresh-data loop on Adult: the loss against the real-data weight w, and the best w.

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/he2025_golden_ratio/run.py            # run (~6 min, 2 jobs)
    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/he2025_golden_ratio/run.py --report   # figure + README
    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/he2025_golden_ratio/run.py --smoke    # seconds, to /tmp

Each (setting, w, run) cell is one RecursiveSynthesizer run, stored one row per generation in
``results_<setting>.csv.gz`` with the config hash and versions; ``--report`` draws ``figure.png`` and writes
the README's tables (between its ``<!-- ... -->`` markers) from those files only.
"""

import argparse
import hashlib
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SETTINGS = ("categorical", "logistic")


def load_config(smoke=False):
    raw = (HERE / "config.toml").read_bytes()
    cfg = tomllib.loads(raw.decode())
    if smoke:
        over = cfg.pop("smoke")
        cfg.update({k: v for k, v in over.items() if k in ("weights", "n_bootstrap")})
        for part in SETTINGS:
            cfg[part]["n_runs"] = over["n_runs"]
    cfg.pop("smoke", None)
    return cfg, hashlib.sha256(raw).hexdigest()[:12]


# ------------------------------------------------------------------ the two settings
def categorical_table(cfg):
    from synthloop.datasets import load_adult

    return load_adult(split="all").frame[cfg["categorical"]["columns"]]


def logistic_table(cfg):
    from synthloop.datasets import load_adult

    frame = load_adult(split="all").frame
    part = cfg["logistic"]
    X = frame[part["features"]].astype(float)
    X = (X - X.mean()) / X.std()
    for column, value in part["indicators"].items():
        X[f"{column}={value}"] = (frame[column] == value).astype(float)
    X[part["target"]] = frame[part["target"]]
    return X


def _generator(cfg, setting):
    from sklearn.linear_model import LogisticRegression

    from synthloop import CategoricalGenerator, ConditionalGenerator

    if setting == "categorical":
        return CategoricalGenerator(structure="independent")
    part = cfg["logistic"]
    return ConditionalGenerator(LogisticRegression(C=part["C"], solver="newton-cholesky"), target=part["target"])


def squared_frequency_error(summary, reference):
    """``sum over columns of ||q - p||^2`` between two collapse summaries (levels aligned, missing a level)."""
    total = 0.0
    for name, (_, p) in reference.items():
        q = summary[name][1].reindex(p.index, fill_value=0.0)
        total += float(((q - p) ** 2).sum())
    return total


def run_cell(cfg, setting, table, reference, w, run, seed):
    from synthloop import FreshPool, RecursiveSynthesizer

    part = cfg[setting]
    rs = RecursiveSynthesizer(_generator(cfg, setting), n_generations=part["n_generations"],
                              schedule=f"constant:{cfg['n_synthetic']}",
                              pool=FreshPool(n_real=cfg["n_real"], replace=True, real_weight=w),
                              reference=reference, random_state=int(seed)).fit(table)
    if setting == "categorical":
        loss = [squared_frequency_error(s, rs.summaries_[0]) for s in rs.summaries_]
    else:
        loss = rs.history_["params_sq_dist_ref"].to_list()
    return pd.DataFrame({"setting": setting, "w": w, "run": run, "seed": int(seed),
                         "generation": np.arange(len(loss)), "loss": loss})


def run(cfg, config_hash, out_dir, n_jobs):
    import sklearn
    from joblib import Parallel, delayed

    import synthloop
    from synthloop.utils import child_seeds

    for setting in SETTINGS:
        table = categorical_table(cfg) if setting == "categorical" else logistic_table(cfg)
        # beta* of the logistic setting: the same model on the whole table (generation 0 is also that fit)
        reference = None if setting == "categorical" else _generator(cfg, setting).fit(table)
        weights = list(cfg["weights"]) + ([1.0] if setting == "logistic" else [])
        seeds = child_seeds(cfg["seed"], cfg[setting]["n_runs"])  # the same seeds for every w
        cells = [(w, r, s) for w in weights for r, s in enumerate(seeds)]
        parts = Parallel(n_jobs=n_jobs)(delayed(run_cell)(cfg, setting, table, reference, w, r, s) for w, r, s in cells)
        out = pd.concat(parts, ignore_index=True)
        out["config_hash"], out["synthloop"], out["sklearn"] = config_hash, synthloop.__version__, sklearn.__version__
        out.to_csv(out_dir / f"results_{setting}.csv.gz", index=False)
        print(f"{setting}: {len(cells)} runs written to {out_dir / f'results_{setting}.csv.gz'}")


# ------------------------------------------------------------------ from stored results only
def _per_run(results, first):
    """``(weights, runs x weights)`` mean loss over generations ``first..T`` of each run."""
    kept = results[results["generation"] >= first]
    table = kept.groupby(["run", "w"])["loss"].mean().unstack("w")
    return table.columns.to_numpy(dtype=float), table.to_numpy()


def _best_w(w, loss, lo, hi):
    """The minimiser of a cubic through the losses at ``lo <= w <= hi`` (on a grid of 0.001; fewer points: lower degree)."""
    keep = (w >= lo) & (w <= hi)
    coef = np.polyfit(w[keep], loss[keep], min(3, int(keep.sum()) - 1))
    grid = np.arange(lo, hi + 1e-9, 0.001)
    return float(grid[np.argmin(np.polyval(coef, grid))])


def summarise(cfg, setting, results):
    """Per w: relative loss with a 95% bootstrap interval, the theory; the best w with its interval."""
    from synthloop.theory import fresh_relative_loss, fresh_weighted_mse

    part = cfg[setting]
    n, m, T, first = cfg["n_real"], cfg["n_synthetic"], part["n_generations"], part["first_generation"]
    w, per_run = _per_run(results, first)
    if setting == "categorical":
        # the real-only loss V / n, V = sum over columns of 1 - sum(p^2) (the full table's frequencies)
        p = categorical_table(cfg).apply(lambda c: c.astype(object).fillna("<missing>").value_counts(normalize=True))
        variance = float(sum(1 - (p[c].dropna() ** 2).sum() for c in p))
        baseline = np.full(per_run.shape[0], variance / n)
        exact = np.array([fresh_weighted_mse(x, n, m, T, variance=variance)[first:].mean() for x in w]) / (variance / n)
    else:
        # the loop at w = 1 (the fresh real rows alone), paired with every w by its run
        baseline, per_run, w = per_run[:, w == 1.0][:, 0], per_run[:, w < 1.0], w[w < 1.0]
        exact = None

    def curve(rows):
        return per_run[rows].mean(axis=0) / baseline[rows].mean()

    rng = np.random.default_rng(cfg["seed"])
    runs = per_run.shape[0]
    boots = np.array([curve(rng.integers(0, runs, runs)) for _ in range(cfg["n_bootstrap"])])
    lo, hi = cfg["best_range"]
    rel = curve(np.arange(runs))
    best = _best_w(w, rel, lo, hi)
    best_boot = np.array([_best_w(w, b, lo, hi) for b in boots])
    closed = fresh_relative_loss(w, n / m)
    frame = pd.DataFrame({"w": w, "relative_loss": rel, "low": np.quantile(boots, 0.025, axis=0),
                          "high": np.quantile(boots, 0.975, axis=0), "closed_form": closed})
    if exact is not None:
        frame["exact"] = exact
    return frame, {"best": best, "best_low": float(np.quantile(best_boot, 0.025)),
                   "best_high": float(np.quantile(best_boot, 0.975)),
                   "best_of_closed_form": _best_w(w, closed, lo, hi), "runs": runs,
                   "baseline": float(baseline.mean())}


def report(cfg, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from synthloop.theory import fresh_optimal_weight, fresh_relative_loss

    golden = float(fresh_optimal_weight(cfg["n_real"] / cfg["n_synthetic"]))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    texts = {}
    titles = {"categorical": "(a) frequencies of workclass, education, marital_status",
              "logistic": "(b) logistic regression of income: ||β̂_t − β*||²"}
    for ax, setting in zip(axes, SETTINGS):
        results = pd.read_csv(out_dir / f"results_{setting}.csv.gz")
        frame, best = summarise(cfg, setting, results)
        grid = np.linspace(0.15, 1.0, 300)
        ax.plot(grid, fresh_relative_loss(grid, cfg["n_real"] / cfg["n_synthetic"]), color="0.3",
                label="closed form (w² + (1−w)²) / (w(2−w))")
        if "exact" in frame:
            ax.plot(frame["w"], frame["exact"], "x", color="C2", label="exact (finite m, same generations)")
        ax.errorbar(frame["w"], frame["relative_loss"], yerr=[frame["relative_loss"] - frame["low"],
                                                             frame["high"] - frame["relative_loss"]],
                    fmt="o", color="C0", ms=4, capsize=2, label=f"synthloop, {best['runs']} runs (95% interval)")
        ax.axvline(golden, color="C3", lw=0.8, ls=":", label="1/φ")
        ax.errorbar([best["best"]], [frame["relative_loss"].min() * 0.96], xerr=[[best["best"] - best["best_low"]],
                                                                              [best["best_high"] - best["best"]]],
                    fmt="v", color="C1", capsize=3, label="best w (bootstrap 95%)")
        ax.set_title(titles[setting], fontsize=9)
        ax.set_xlabel("real-data weight w")
        ax.set_ylim(0.5, 2.0)
        texts[setting] = (frame, best)
    axes[0].set_ylabel("loss / loss of the n real rows alone")
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"He, Xu and Cheng on Adult: n = {cfg['n_real']} fresh real rows, m = {cfg['n_synthetic']} synthetic "
                 "rows per generation", fontsize=10)
    fig.tight_layout()
    fig.savefig(out_dir / "figure.png", dpi=120)
    _write_readme(cfg, texts, out_dir)


def _write_readme(cfg, texts, out_dir):
    from synthloop.study._readme import update_readme

    readme = out_dir / "README.md"
    if not readme.exists():
        return
    values = {}
    for setting, (frame, best) in texts.items():
        cols = ["w", "measured (95% interval)", "closed form", "measured / closed form"]
        if "exact" in frame:
            cols.insert(3, "exact")
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for _, r in frame.iterrows():
            row = [f"{r['w']:g}", f"{r['relative_loss']:.3f} [{r['low']:.3f}, {r['high']:.3f}]",
                   f"{r['closed_form']:.3f}"]
            if "exact" in frame:
                row.append(f"{r['exact']:.3f}")
            row.append(f"{r['relative_loss'] / r['closed_form']:.3f}")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        lo, hi = cfg["best_range"]
        near = frame[(frame["w"] >= lo) & (frame["w"] <= hi)]
        covered = (frame["low"] <= frame["closed_form"]) & (frame["closed_form"] <= frame["high"])
        lines.append(f"The closed form is inside the 95% interval at {int(covered.sum())} of {len(frame)} weights; at "
                     f"{lo:g} ≤ w ≤ {hi:g} the measured loss is {near['relative_loss'].div(near['closed_form']).min():.3f} "
                     f"to {near['relative_loss'].div(near['closed_form']).max():.3f} times it.")
        lines.append("")
        lines.append(f"Best w: **{best['best']:.3f}**, bootstrap 95% interval [{best['best_low']:.3f}, "
                     f"{best['best_high']:.3f}] (a cubic through the measured points in {cfg['best_range']}; the "
                     f"same fit through the closed form gives {best['best_of_closed_form']:.3f}, 1/φ = 0.618). "
                     f"Real-only loss (the divisor): {best['baseline']:.4g}.")
        values[setting] = "\n" + "\n".join(lines) + "\n"
    update_readme(readme, values)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="figure and README tables from the stored results")
    parser.add_argument("--smoke", action="store_true", help="a few runs into /tmp/he2025_smoke")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    config, digest = load_config(smoke=args.smoke)
    target = Path("/tmp/he2025_smoke") if args.smoke else HERE
    target.mkdir(exist_ok=True)
    if not args.report:
        run(config, digest, target, args.n_jobs)
    if args.report or args.smoke:
        report(config, target)
