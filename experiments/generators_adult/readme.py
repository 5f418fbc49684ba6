"""Write this README's numbers and its figure from the stored results.

    /work/venv-argn/bin/python experiments/generators_adult/run.py      # results.csv (see run.py)
    PYTHONPATH=. python experiments/generators_adult/readme.py           # figure.png + README numbers

Every number between ``<!-- name -->`` markers in the README comes from
:func:`numbers`, computed from ``results.csv`` only; ``tests/test_readme_numbers.py``
checks that the README is what this script writes. Verdicts are per
generator: no statement pools two generators' rows.
"""

import argparse
import hashlib
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
READMES = {"experiment": HERE / "README.md"}
#: The figure's panels: column, title, lower is better.
PANELS = [("sdmetrics_quality", "SDMetrics quality", False),
          ("pair_contingency_mean", "all-pairs contingency similarity, mean", False),
          ("pair_contingency_min", "all-pairs contingency similarity, worst pair", False),
          ("discriminator_auc", "discriminator ROC AUC (0.5: indistinguishable)", True),
          ("tstr_auc", "TSTR ROC AUC, HistGB on the real test split", False),
          ("copy_share", "share of rows that copy a training row", True),
          ("seconds", "fit + sample seconds (log)", True)]
#: Not results: the config's choices the README quotes.
CONSTANTS = ("0.982", "0.002", "0.32")  # issue 19's TabularARGN quality; the verdicts' least tolerance; SDMetrics 0.32


def config_hash():
    return hashlib.sha256((HERE / "config.toml").read_bytes()).hexdigest()[:12]


def load():
    """The stored results and the config, as the README is written from them."""
    return pd.read_csv(HERE / "results.csv"), tomllib.loads((HERE / "config.toml").read_text())


def _range(values, digits=3):
    lo, hi = f"{np.min(values):.{digits}f}", f"{np.max(values):.{digits}f}"
    return lo if lo == hi else f"{lo} to {hi}"


def _verdict(changes, tolerance):
    """Per generator: every seed's change from generation 0 to T, against a tolerance of the metric's own noise."""
    if np.all(np.abs(changes) <= tolerance):
        return "flat"
    if np.all(changes < -tolerance):
        return "falls"
    if np.all(changes > tolerance):
        return "rises"
    return "mixed"


def numbers(frame, config):
    from synthloop.study._readme import claim, markdown_table

    gens = [g for g in config["generators"] if g in set(frame["generator"])]
    T = int(config["n_generations"])
    v = {"seeds": str(len(config["seeds"])), "T": str(T), "n_rows": f"{int(frame['n_train'].iloc[0]):,}"}
    full = [g for g in gens if frame[frame["generator"] == g]["seed"].nunique() == len(config["seeds"])
            and frame[frame["generator"] == g]["generation"].max() == T]
    missing = [config["generators"][g]["label"] for g in config["generators"] if g not in full]
    v["complete"] = (f"all {len(config['generators'])} generators × {len(config['seeds'])} seeds" if not missing else
                     f"{len(full)} of {len(config['generators'])} generators (not yet: {', '.join(missing)})")
    rows, drift = [], []
    for g in gens:
        part = frame[frame["generator"] == g]
        first = part[part["generation"] == 0]
        label = config["generators"][g]["label"]
        rows.append({"generator": label, "seeds": str(part["seed"].nunique()),
                     "quality (shapes / pairs)": f"{first['sdmetrics_quality'].mean():.3f} "
                                                 f"({first['sdmetrics_shapes'].mean():.3f} / "
                                                 f"{first['sdmetrics_pairs'].mean():.3f})",
                     "all pairs: mean / worst": f"{first['pair_contingency_mean'].mean():.3f} / "
                                               f"{first['pair_contingency_min'].mean():.3f}",
                     "discriminator AUC": f"{first['discriminator_auc'].mean():.3f}",
                     "TSTR ROC AUC": f"{first['tstr_auc'].mean():.3f}",
                     "copies": f"{first['copy_share'].mean():.3f}",
                     "fit + sample (s)": f"{part['seconds'].median():.1f}"})
        by_seed = part.pivot_table(index="seed", columns="generation", values=["sdmetrics_quality", "tstr_auc",
                                                                                "discriminator_auc"])
        t_last = int(part["generation"].max())
        cells = {"generator": label, "seeds": str(part["seed"].nunique()), "generations": f"0–{t_last}"}
        for metric, name in (("sdmetrics_quality", "quality"), ("tstr_auc", "TSTR AUC"),
                             ("discriminator_auc", "discriminator AUC")):
            change = (by_seed[(metric, t_last)] - by_seed[(metric, 0)]).to_numpy()
            # the metric's own noise: the spread of generation 0 over the seeds (at least 0.002)
            tolerance = max(0.002, float(np.ptp(by_seed[(metric, 0)])))
            cells[f"{name}: change per seed"] = f"{_range(change)} ({_verdict(change, tolerance)})"
        drift.append(cells)
    v["table"] = "\n" + markdown_table(pd.DataFrame(rows)) + "\n"
    v["drift"] = "\n" + markdown_table(pd.DataFrame(drift)) + "\n"
    fit = frame.groupby("generator")["seconds"].median()
    v["seconds_total"] = f"{(frame['seconds'].sum() + frame['score_seconds'].sum()) / 60:.0f}"
    v["score_seconds"] = f"{frame['score_seconds'].median():.0f}"
    if "argn" in fit and "tree_chain" in fit:
        v["argn_over_tree"] = f"{fit['argn'] / fit['tree_chain']:.0f}"
        claim(fit["argn"] > fit["tree_chain"], "TabularARGN's fit + sample is slower than the tree chain's")
    else:
        v["argn_over_tree"] = "(not yet measured)"
    cat = frame[frame["generator"] == "categorical_chain"]
    if len(cat):
        v["cat_copies"] = f"{cat.loc[cat['generation'] == 0, 'copy_share'].mean():.3f}"
        claim(cat.loc[cat["generation"] == 0, "copy_share"].mean() > 0.5,
              "most of the categorical chain's rows copy a training row")
    else:
        v["cat_copies"] = "(not yet measured)"
    sdv = frame[(frame["generator"] == "sdv_copula") & (frame["generation"] == 0)]
    if len(sdv):
        ours = frame[(frame["generator"] == "copula") & (frame["generation"] == 0)]
        claim(sdv["sdmetrics_shapes"].mean() < ours["sdmetrics_shapes"].mean(),
              "SDV GaussianCopula's column shapes stay below those of synthloop's copula")
    return {"experiment": v}


def figure(frame, config, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(17, 7.5), sharex=True)
    axes = axes.ravel()
    for ax, (col, title, _) in zip(axes, PANELS):
        for i, g in enumerate(config["generators"]):
            part = frame[frame["generator"] == g]
            if not len(part):
                continue
            stats = part.groupby("generation")[col].agg(["mean", "min", "max"])
            ax.plot(stats.index, stats["mean"], "o-", color=f"C{i}", ms=3, label=config["generators"][g]["label"])
            ax.fill_between(stats.index, stats["min"], stats["max"], color=f"C{i}", alpha=0.15, lw=0)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("generation")
        if col == "seconds":
            ax.set_yscale("log")
    # the three similarity scores share one scale; the discriminator and TSTR AUCs theirs
    lows = [frame[c].min() for c in ("sdmetrics_quality", "pair_contingency_mean", "pair_contingency_min")]
    for ax in axes[:3]:
        ax.set_ylim(max(0.0, min(lows) - 0.02), 1.005)
    axes[0].legend(fontsize=7, loc="lower left")
    axes[-1].axis("off")
    axes[-1].text(0, 0.5, f"UCI Adult, {int(frame['n_train'].iloc[0]):,} rows per generation (replace pool),\n"
                  f"{len(config['seeds'])} seeds: line = mean, band = min to max.\n"
                  "Small epoch budgets for CTGAN and TabularARGN\n(see config.toml): not their tuned quality.",
                  fontsize=9, va="center")
    fig.suptitle("Generators on UCI Adult, each retrained on its own rows", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    sys.path.insert(0, str(ROOT))
    from synthloop.study._readme import update_readme

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-figure", action="store_true", help="only refill the README's numbers")
    args = parser.parse_args(argv)
    frame, config = load()
    if set(frame["config_hash"]) != {config_hash()}:
        raise SystemExit("results.csv holds results of another config: rerun run.py")
    if not args.no_figure:
        figure(frame, config, HERE / "figure.png")
    for key, values in numbers(frame, config).items():
        print(f"{READMES[key]}: {'updated' if update_readme(READMES[key], values) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
