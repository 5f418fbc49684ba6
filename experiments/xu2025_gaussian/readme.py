"""Write the numbers of this README from the stored results.

    synthloop reproduce xu2025-fig3                                  # results/xu2025_gaussian
    PYTHONPATH=. python experiments/xu2025_gaussian/readme.py         # results.csv, figure, README
    PYTHONPATH=. python experiments/xu2025_gaussian/readme.py --from-csv

Every number between ``<!-- name -->`` markers comes from :func:`numbers`;
``tests/test_readme_numbers.py`` checks the README against ``results.csv``. A
claim in words that the results no longer support stops the script.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
READMES = {"experiment": HERE / "README.md"}
FIGURES = {"collapse_table.png": "figure3.png"}
#: Not results: the collapse threshold eps of the config, [A]'s arXiv number.
CONSTANTS = ("0.05", "2505.13947")
LABELS = {"constant": "constant", "linear": "linear", "polynomial:1.5": "t^1.5", "polynomial:2": "t^2"}


def _z(sim, theory, n):
    se = np.sqrt(theory * (1 - theory) / n)
    return np.where(se > 0, (sim - theory) / np.where(se > 0, se, 1), 0.0)


def _range(values):
    lo, hi = f"{min(values):.3f}", f"{max(values):.3f}"
    return lo if lo == hi else f"{lo}–{hi}"


def numbers(frame, config):
    from synthloop.study._readme import claim, markdown_table

    gens = sorted(config["generations"])
    first, last = gens[0], gens[-1]
    f = frame.set_index(["schedule", "ddof", "generation"]).sort_index()
    n = int(config["n_reps"])
    v = {"reps": f"{n:,}"}
    z = _z(frame["frac_collapsed"].to_numpy(), frame["frac_collapsed_theory"].to_numpy(), n)
    v["z_max"] = f"{np.abs(z).max():.1f}"
    claim(np.abs(z).max() < 4, "the simulated % collapsed agrees with the exact theory within 4 SE")
    rows = []
    for s in config["schedules"]:
        for d in config["ddofs"]:
            a, b = f.loc[(s, d, first)], f.loc[(s, d, last)]
            rows.append({"schedule": LABELS[s], "ddof": d,
                         f"T={first} % collapsed (sim / theory)":
                             f"{100 * a['frac_collapsed']:.1f} / {100 * a['frac_collapsed_theory']:.1f}",
                         f"T={last} % collapsed (sim / theory)":
                             f"{100 * b['frac_collapsed']:.1f} / {100 * b['frac_collapsed_theory']:.1f}",
                         f"median KL at T={last}": f"{b['kl_median']:.3g}",
                         f"max σ̂² at T={last}": f"{b['var_max']:.3g}",
                         f"P(beat real) at T={last}, sim / σ known":
                             f"{b['improve']:.3f} / {b['improve_theory']:.3f}"})
    v["table"] = "\n" + markdown_table(pd.DataFrame(rows)) + "\n"
    v["max_var"] = f"{f.loc[('constant', 1, last), 'var_max']:.0f}"
    for s in ("polynomial:1.5", "polynomial:2"):
        mantissa, exponent = f"{f.loc[(s, 1, last), 'rows_generated']:.1e}".split("e")
        v[f"rows_{s}"] = f"{mantissa}·10^{int(exponent)}"
    for s in config["schedules"]:
        for d in config["ddofs"]:
            p = f.loc[(s, d), "improve"]
            v[f"improve_{s}_{d}"] = _range(p)
    for s in ("polynomial:1.5", "polynomial:2"):
        th = f.loc[(s, config["ddofs"][0]), "improve_theory"]
        v[f"improve_theory_{s}"] = _range(th)
    claim(bool((frame["improve"] < 0.5).all()), "P(beat real) is always below 1/2")
    growing = frame[frame["schedule"] != "constant"]
    gap = (growing["improve"] - growing["improve_theory"]).abs().max()
    v["growing_gap"] = f"{gap:.3f}"
    claim(gap < 4 * np.sqrt(0.25 / n), "the closed form matches the growing schedules within 4 binomial SE")
    for d in config["ddofs"]:
        v[f"constant_last_{d}"] = f"{f.loc[('constant', d, last), 'improve']:.3f}"
    v["constant_last_theory"] = f"{f.loc[('constant', 1, last), 'improve_theory']:.3f}"
    claim(all(f.loc[("constant", d, last), "improve"] > f.loc[("constant", d, last), "improve_theory"]
               for d in config["ddofs"]), "the closed form underestimates the constant schedule")
    claim(f.loc[("constant", 0, last), "improve"] > f.loc[("constant", 1, last), "improve"],
           "the MLE's faster collapse freezes the mean sooner: a higher P(beat real) at T = 500")
    return {"experiment": v}


def load():
    """The stored results and the validated config, as the README is written from them."""
    from synthloop.study._readme import load_experiment

    return load_experiment(HERE)


def main(argv=None):
    sys.path.insert(0, str(ROOT))
    from synthloop.study._readme import readme_main

    return readme_main(HERE, __doc__, argv, readmes=READMES, numbers=numbers, figures=FIGURES)


if __name__ == "__main__":
    sys.exit(main())
