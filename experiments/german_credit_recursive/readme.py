"""Write the numbers of this README from the stored results.

    synthloop reproduce german-credit --n-jobs 2                          # results/german_credit_recursive
    PYTHONPATH=. python experiments/german_credit_recursive/readme.py      # results.csv, figure, README
    PYTHONPATH=. python experiments/german_credit_recursive/readme.py --from-csv

Every number between ``<!-- name -->`` markers comes from :func:`numbers`;
``tests/test_readme_numbers.py`` checks the README against ``results.csv``. A
claim in words that the results no longer support stops the script.
"""

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
READMES = {"experiment": HERE / "README.md"}
COLUMNS = ["dataset", "generator", "schedule", "pool", "seed", "generation", "n_rows_real_train", "n_synthetic",
           "n_train", "rows_generated", "var_ratio_median", "l1_mean", "real:logistic_regression:roc_auc",
           "real:logistic_regression:accuracy", "synthetic:logistic_regression:roc_auc",
           "synthetic:logistic_regression:accuracy"]
FIGURES = {"utility_german_credit_logistic_regression_roc_auc.png": "utility.png",
           "utility_german_credit_logistic_regression_accuracy.png": "utility_accuracy.png",
           "collapse_german_credit.png": "collapse.png"}
AUC = "logistic_regression:roc_auc"
CONSTANTS = ("0.015",)  # the verdict margin


def _kind(verdict):
    return "loses" if verdict.startswith("loses") else "holds" if verdict == "holds" else "not separable"


def numbers(frame, config):
    from synthloop.evaluation._intervals import mean_interval
    from synthloop.study._readme import claim, markdown_table
    from synthloop.study.kinds._recursive_report import (cell_verdicts, format_interval,
                                                         paired_schedule_difference, verdict_table)

    T = int(frame["generation"].max())
    gens, scheds, pools = list(config["generators"]), config["schedules"], config["pools"]
    rows = {(r["generator"], r["schedule"], r["pool"]): r for r in
            cell_verdicts(frame, [AUC, "logistic_regression:accuracy"], gens, scheds, pools, T)}

    def verdict(g, s, p):
        return rows[(g, s, p)]["verdict:roc_auc"]

    def level(g, col, generation, s=None, p=None):
        part = frame[(frame["generator"] == g) & (frame["generation"] == generation)]
        if s is not None:
            part = part[(part["schedule"] == s) & (part["pool"] == p)]
        return format_interval(mean_interval(part.groupby("seed")[col].first(), metric="roc_auc"))

    v = {"seeds": str(frame["seed"].nunique()),
         "cells": str(frame.groupby(["generator", "schedule", "pool", "seed"]).ngroups),
         "rows": f"{int(frame['n_rows_real_train'].iloc[0]):,}"}
    for g in gens:
        v[f"trtr_{g}"] = level(g, f"real:{AUC}", 0)
        v[f"g0_{g}"] = level(g, f"synthetic:{AUC}", 0)
    shown = [("copula", "constant", "replace"), ("categorical", "constant", "replace"),
             ("copula", "polynomial:1.5", "replace"), ("categorical", "polynomial:1.5", "replace")]
    shown += [("categorical", s, "augment") for s in scheds]
    for g, s, p in shown:
        v[f"g{T}_{g}_{s}_{p}"] = level(g, f"synthetic:{AUC}", T, s, p)
    v["verdicts"] = "\n" + markdown_table(verdict_table(frame, config).drop(columns="seeds")) + "\n"
    # replace: growing the sample cuts the losses of the copula and the categorical model
    for g in ("copula", "categorical"):
        claim(verdict(g, "constant", "replace").startswith("loses"), f"{g} loses with constant x replace")
        diffs = [paired_schedule_difference(frame, AUC, g, "replace", s, "constant") for s in scheds[1:]]
        claim(all(d.low > 0 for d in diffs), f"growing schedules cut the {g}'s loss in the replace pool")
        v[f"paired_{g}"] = "; ".join(f"{s} − constant {format_interval(d)}" for s, d in zip(scheds[1:], diffs))
    for g, s, p in shown[:4]:
        v[f"verdict_{g}_{s}_{p}"] = verdict(g, s, p)
    # augment: the categorical model holds; the copula cannot be told from generation 0
    claim(all(verdict("categorical", s, "augment") == "holds" for s in scheds),
          "the categorical model holds in the augment pool")
    kinds = pd.Series([_kind(verdict("copula", s, p)) for s in scheds for p in ("augment", "accumulate")])
    v["kept_copula"] = ", ".join(f"{w} in {n}" for w, n in kinds.value_counts().sort_index().items())
    claim(all(verdict("categorical", s, "accumulate").startswith("not separable") for s in scheds),
          "the categorical model's accumulate cells are not separable from generation 0")
    claim(all(verdict("copula", s, "accumulate").startswith("loses") for s in scheds),
          "the copula loses in the accumulate pool")
    claim(all(verdict("copula", s, "augment").startswith("not separable") for s in scheds),
          "the copula's augment cells are not separable from generation 0")
    n_sep = sum(verdict("mvn", s, p).startswith("not separable") for s in scheds for p in pools)
    v["mvn_not_separable"] = f"{n_sep} of {len(scheds) * len(pools)}"
    return {"experiment": v}


def load():
    """The stored results and the validated config, as the README is written from them."""
    from synthloop.study._readme import load_experiment

    return load_experiment(HERE)


def main(argv=None):
    sys.path.insert(0, str(ROOT))
    from synthloop.study._readme import readme_main

    return readme_main(HERE, __doc__, argv, readmes=READMES, numbers=numbers, figures=FIGURES, columns=COLUMNS)


if __name__ == "__main__":
    sys.exit(main())
