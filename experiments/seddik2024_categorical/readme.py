"""Write the numbers of this README from the stored results.

    synthloop reproduce seddik2024-fig1 --n-jobs 2                      # results/seddik2024_categorical
    PYTHONPATH=. python experiments/seddik2024_categorical/readme.py     # results.csv, figures, README
    PYTHONPATH=. python experiments/seddik2024_categorical/readme.py --from-csv

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
FIGURES = {name: name for name in ("fig1_simplex.png", "fig2_collapse_time.png", "fig_partial.png",
                                   "fig_initial.png")}
CONSTANTS = ()


def numbers(frame, config):
    from synthloop.study.kinds._categorical import collapse_time_summary, partial_summary, simplex_summary
    from synthloop.study._readme import claim, markdown_table
    from synthloop.theory import drift_l1_bound

    v = {}
    # Figure 1
    simplex = simplex_summary(frame[frame["part"] == "simplex"]).set_index(["allocation", "generation"])
    last = int(max(config["simplex"]["generations"]))
    contexts = int(simplex["contexts"].iloc[0])
    for a in ("split", "each"):
        v[f"{a}_sigma"] = f"{simplex.loc[(a, 0), 'mean_sigma']:.4f} → {simplex.loc[(a, last), 'mean_sigma']:.4f}"
        v[f"{a}_corners"] = f"{int(simplex.loc[(a, last), 'corners'])} of {contexts}"
        v[f"{a}_edges"] = str(int(simplex.loc[(a, last), "edges"]))
    claim(simplex.loc[("split", last), "corners"] > contexts / 2 > simplex.loc[("each", last), "corners"],
           "split: most contexts reach a corner by the last generation; each: few do")
    # Figure 2
    ct = collapse_time_summary(frame[frame["part"] == "collapse_time"])
    claim(bool((ct["frac"] == 1).all()), "every run collapses")
    v["ct_runs"] = f"{config['collapse_time']['n_reps']:,}"
    v["ct_table"] = "\n" + markdown_table(pd.DataFrame({
        "support": ct["support"].astype(int), "n": ct["n"].astype(int),
        "simulated mean G ± SE": [f"{m:.2f} ± {s:.2f}" for m, s in zip(ct["mean"], ct["se"])],
        "Wright-Fisher": ct["approx"].map("{:.2f}".format),
        "its error": [f"{100 * e:+.1f}% ± {100 * s:.1f}%" for e, s in zip(ct["approx_error"],
                                                                         ct["approx_error_se"])],
        "in SE": ct["approx_z"].map("{:+.1f}".format),
        "lower bound": ct["lower"].map("{:.1f}".format), "sim / lower": ct["lower_ratio"].map("{:.2f}".format),
        "upper bound": ct["upper"].map("{:,.0f}".format), "upper / sim": ct["upper_ratio"].map("{:.1f}".format),
    })) + "\n"
    v["lower_ratio"] = f"{ct['lower_ratio'].min():.2f}–{ct['lower_ratio'].max():.2f}"
    small, large = ct[ct["n"] == ct["n"].min()], ct[ct["n"] == ct["n"].max()]
    v["upper_small"] = f"{small['upper_ratio'].min():.1f}–{small['upper_ratio'].max():.1f}"
    v["upper_large"] = f"{large['upper_ratio'].min():.0f}–{large['upper_ratio'].max():.0f}"
    v["n_small"], v["n_large"] = str(int(ct["n"].min())), str(int(ct["n"].max()))
    for n in (10, 50):
        part = ct[ct["n"] == n]
        v[f"wf_{n}"] = " and ".join(f"{100 * e:+.1f}% ± {100 * s:.1f}% (support {int(k)})" for e, s, k in
                                    zip(part["approx_error"], part["approx_error_se"], part["support"]))
    big = ct[ct["n"] >= 100]
    v["wf_100"] = f"{100 * big['approx_error'].min():+.1f}% to {100 * big['approx_error'].max():+.1f}%"
    v["wf_100_z"] = f"{big['approx_z'].abs().max():.1f}"
    claim(bool((ct.loc[ct["n"] == 10, "approx_z"] > 4).all()), "at n = 10 the approximation is too high")
    claim(bool((big["approx_error"].abs() < 0.03).all()), "from n = 100 the approximation is within 3%")
    # Figures 3 and 4
    for part, by in (("partial", "n"), ("initial", "distribution")):
        summ = partial_summary(frame[frame["part"] == part], by)
        v[f"{part}_table"] = "\n" + markdown_table(pd.DataFrame({
            by: summ[by], "runs": summ["runs"],
            "sim − Theorem 2 in SE, min / median / max over generations ≥ 1":
                [f"{a:+.1f} / {b:+.1f} / {c:+.1f}" for a, b, c in zip(summ["z_min"], summ["z_median"],
                                                                         summ["z_max"])],
            f"σ at generation {config[part]['n_generations']}, sim / Theorem 2": [f"{a:.4f} / {b:.4f}" for a, b in
                                                    zip(summ["sim_last"], summ["limit"])]})) + "\n"
        z = max(summ["z_max"].abs().max(), summ["z_min"].abs().max())
        v[f"{part}_zmax"] = f"{z:.1f}"
        claim(z < 4, f"{part}: the simulation agrees with Theorem 2 within 4 SE")
    v["partial_runs"] = f"{config['partial']['n_reps']:,}"
    p = config["partial"]
    v["theorem3"] = f"{float(drift_l1_bound(p['N'], min(p['ns']), p['tokens'])):.2g}"
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
