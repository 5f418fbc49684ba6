"""Write the numbers of this README and of the top README's main job from the stored results.

    synthloop reproduce adult --n-jobs 2                        # results/adult_recursive
    PYTHONPATH=. python experiments/adult_recursive/readme.py    # results.csv, figures, both READMEs
    PYTHONPATH=. python experiments/adult_recursive/readme.py --from-csv   # refill from results.csv only

Every number between ``<!-- name -->`` markers in the two READMEs comes from
:func:`numbers`, computed from ``results.csv`` (the stored results, one row
per cell and generation); ``tests/test_readme_numbers.py`` checks that the
READMEs are what this script writes. A claim in words that the results no
longer support stops the script (``claim``).
"""

import sys
from pathlib import Path


HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
READMES = {"experiment": HERE / "README.md", "top": ROOT / "README.md"}
COLUMNS = ["dataset", "generator", "schedule", "pool", "seed", "generation", "n_rows_real_train", "n_synthetic",
           "n_train", "rows_generated", "var_ratio_median", "l1_mean", "real:logistic_regression:roc_auc",
           "real:logistic_regression:accuracy", "synthetic:logistic_regression:roc_auc",
           "synthetic:logistic_regression:accuracy"]
FIGURES = {"utility_adult_logistic_regression_roc_auc.png": "utility.png",
           "utility_adult_logistic_regression_accuracy.png": "utility_accuracy.png",
           "collapse_adult.png": "collapse.png"}
AUC = "logistic_regression:roc_auc"
#: Numbers the READMEs quote that are not results: the verdict margin, the interval width the study
#: is sized for, the Python version the top README requires.
CONSTANTS = ("0.015", "0.03", "3.11")


def numbers(frame, config):
    """``{"experiment": {marker: text}, "top": {marker: text}}`` from the stored results."""
    from synthloop.evaluation._intervals import mean_interval
    from synthloop.study._readme import claim, markdown_table
    from synthloop.study.kinds._recursive_report import (cell_verdicts, format_interval,
                                                         paired_schedule_difference, verdict_table)

    T = int(frame["generation"].max())
    gens, scheds, pools = list(config["generators"]), config["schedules"], config["pools"]
    rows = {(r["generator"], r["schedule"], r["pool"]): r for r in
            cell_verdicts(frame, [AUC, "logistic_regression:accuracy"], gens, scheds, pools, T)}

    def change(g, s, p, digits=3):
        return format_interval(rows[(g, s, p)]["change:roc_auc"], digits)

    def verdict(g, s, p):
        return rows[(g, s, p)]["verdict:roc_auc"]

    def level(g, col, generation=0):
        part = frame[(frame["generator"] == g) & (frame["generation"] == generation)]
        return format_interval(mean_interval(part.groupby("seed")[col].first(), metric="roc_auc"))

    def vr(g, s, p):
        return format_interval(rows[(g, s, p)]["var_ratio_median"], 2)

    v = {}
    v["seeds"] = str(frame["seed"].nunique())
    v["cells"] = str(frame.groupby(["generator", "schedule", "pool", "seed"]).ngroups)
    wide = []
    for g in ("copula", "categorical"):
        for s in scheds:
            for p in pools:
                part = frame[(frame["generator"] == g) & (frame["schedule"] == s) & (frame["pool"] == p)]
                lev = mean_interval(part.loc[part["generation"] == T, f"synthetic:{AUC}"], metric="roc_auc")
                if max(lev.width, rows[(g, s, p)]["change:roc_auc"].width) >= 0.03:
                    wide.append(f"{g} × {s} × {p}")
    v["wide_cells"] = ", ".join(wide) or "none"
    v["rows"] = f"{int(frame['n_rows_real_train'].iloc[0]):,}"
    for g in gens:
        v[f"trtr_{g}"] = level(g, f"real:{AUC}")
        v[f"g0_{g}"] = level(g, f"synthetic:{AUC}")
    table = verdict_table(frame, config).drop(columns="seeds")
    v["verdicts"] = "\n" + markdown_table(table) + "\n"
    # replace pool
    for g in gens:
        for s in scheds:
            v[f"replace_{g}_{s}"] = change(g, s, "replace")
    claim(all(verdict(g, "constant", "replace").startswith("loses") for g in gens),
           "every generator loses with the constant schedule and the replace pool")
    claim(all(verdict("categorical", s, "replace").startswith("loses") for s in scheds),
           "the categorical model loses with every schedule in the replace pool")
    def paired(g, a, b, p="replace"):
        return paired_schedule_difference(frame, AUC, g, p, a, b)

    pairs = [("linear", "constant"), ("polynomial:1.5", "constant"), ("polynomial:1.5", "linear")]
    claim(all(paired("categorical", a, "constant").low > 0 for a in scheds[1:]),
           "paired by seed, growing schedules make the categorical model lose less than the constant one")
    for g in ("categorical", "mvn"):
        v[f"paired_{g}"] = "; ".join(f"{a} − {b} {format_interval(paired(g, a, b))}" for a, b in pairs)
    claim(all(verdict("copula", s, "replace") == "holds" for s in scheds[1:]),
           "with a growing schedule the copula holds in the replace pool")
    claim(all(verdict("mvn", s, "replace").startswith("loses") for s in scheds),
           "MVN loses with every schedule in the replace pool")
    separated = [(a, b) for a, b in pairs if not paired("mvn", a, b).low < 0 < paired("mvn", a, b).high]
    claim(separated == [("polynomial:1.5", "linear")], "of MVN's paired schedule differences only t^1.5 - linear "
                                                         "is separated from 0")
    # augment and accumulate
    kept = [(s, p) for s in scheds for p in pools if p != "replace"]
    claim(all(verdict("copula", s, p) == "holds" for s, p in kept), "the copula holds in augment and accumulate")
    losses = [-rows[("categorical", s, p)]["change:roc_auc"].mean for s, p in kept
              if verdict("categorical", s, p).startswith("loses")]
    v["cat_kept_losing"] = f"{len(losses)} of {len(kept)}"
    v["cat_kept_loss_range"] = f"{min(losses):.3f}–{max(losses):.3f}"
    claim(max(losses) < 0.015, "the categorical model's losses with the real rows kept are below 0.015")
    v["mvn_kept_holds"] = ", ".join(f"{s} × {p}" for s, p in kept if verdict("mvn", s, p) == "holds") or "none"
    v["mvn_kept_other"] = "; ".join(f"{s} × {p}: {verdict('mvn', s, p)}" for s, p in kept
                                    if verdict("mvn", s, p) != "holds")
    claim(all(verdict(g, "constant", p) == "holds" for g in ("copula", "mvn") for p in ("augment", "accumulate")),
           "constant x augment and constant x accumulate hold for the copula and MVN")
    v["mvn_poly_augment"] = change("mvn", "polynomial:1.5", "augment")
    claim(min(rows[("mvn", s, p)]["change:roc_auc"].mean for s, p in kept)
           == rows[("mvn", "polynomial:1.5", "augment")]["change:roc_auc"].mean,
           "MVN's largest fall with the real rows kept is t^1.5 x augment")
    last = frame[(frame["generator"] == "mvn") & (frame["schedule"] == "polynomial:1.5") & (frame["pool"] == "augment")
                 & (frame["generation"] == T)]
    v["mvn_poly_augment_ratio"] = f"{last['n_synthetic'].iloc[0] / last['n_rows_real_train'].iloc[0]:.0f}"
    # variance ratios, per generator
    for p in pools:
        v[f"vr_mvn_{p}"] = " / ".join(vr("mvn", s, p) for s in scheds)
        v[f"vr_copula_{p}"] = " / ".join(vr("copula", s, p) for s in scheds)
    # cost
    cost = frame[frame["generation"] == T].groupby("schedule")["rows_generated"].max()
    for s in scheds:
        v[f"cost_{s}"] = f"{int(cost[s]):,}"
    v["cost_share"] = f"{100 * cost['constant'] / cost['polynomial:1.5']:.0f}%"
    top = {k: v[k] for k in ("seeds", "rows", "cost_constant", "cost_polynomial:1.5", "mvn_poly_augment",
                             "trtr_mvn", "trtr_categorical", "trtr_copula")}
    return {"experiment": v, "top": top}


def load():
    """The stored results and the validated config, as the READMEs are written from them."""
    from synthloop.study._readme import load_experiment

    return load_experiment(HERE)


def main(argv=None):
    sys.path.insert(0, str(ROOT))
    from synthloop.study._readme import readme_main

    return readme_main(HERE, __doc__, argv, readmes=READMES, numbers=numbers, figures=FIGURES, columns=COLUMNS)


if __name__ == "__main__":
    sys.exit(main())
