"""Validate recommend_schedule against real recursive runs; writes results.csv, advice_*.txt and validation.png.

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/run.py          # everything (~15 min)
    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/run.py --figure # redraw from results.csv
"""

import argparse
import hashlib
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _data(name):
    rng = np.random.default_rng(12345)
    if name == "gaussian":
        cov = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
        x = rng.multivariate_normal(np.zeros(3), cov, size=500)
        return pd.DataFrame(x, columns=["x0", "x1", "x2"])
    if name == "categorical":
        def col(levels, p):
            return pd.Categorical(rng.choice(levels, 500, p=p), categories=levels)
        return pd.DataFrame({
            "a": col(list("abcd"), [0.4, 0.3, 0.2, 0.1]),
            "b": col(list("xyz"), [0.6, 0.3, 0.1]),
            "c": col(list("pqrstu"), [0.3, 0.25, 0.2, 0.1, 0.1, 0.05]),
        })
    from synthloop.datasets import load_adult
    return load_adult().frame


def _generator(name):
    from synthloop import CategoricalGenerator, GaussianCopulaGenerator, MultivariateNormalGenerator
    return {"mvn": MultivariateNormalGenerator(), "categorical": CategoricalGenerator(structure="independent"),
            "copula": GaussianCopulaGenerator()}[name]


def run(config, config_hash, only=None):
    import synthloop
    from synthloop.advise import recommend_schedule

    adv = config["advisor"]
    rows = []
    for case in config["case"]:
        if only and case["name"] not in only:
            continue
        X = _data(case["data"])
        start = time.perf_counter()
        advice = recommend_schedule(X, generator=_generator(case["generator"]), n_generations=case["n_generations"],
                                    tolerance=case["tolerance"], confidence=adv["confidence"], n_reps=adv["n_reps"],
                                    random_state=adv["random_state"])
        advise_s = time.perf_counter() - start
        (HERE / f"advice_{case['name']}.txt").write_text(advice.summary() + "\n")
        print(advice.summary(), flush=True)
        start = time.perf_counter()
        check = advice.validate(X, n_seeds=case["n_seeds"], random_state=case["validation_seed"])
        print(check.to_string(), f"\n({time.perf_counter() - start:.0f} s of real runs)", flush=True)
        table = advice.table.set_index("family")
        for _, r in check.iterrows():
            t = table.loc[r["family"]]
            rows.append({"case": case["name"], "generator": case["generator"], "n_generations": case["n_generations"],
                         "tolerance": case["tolerance"], "family": r["family"], "parameter": t["parameter"],
                         "setting": r["setting"], "value": r["value"],
                         "total_rows": t["total_rows"] if r["setting"] == "chosen" else t["cheaper_rows"],
                         "predicted": r["predicted"], "pass_rate": r["pass_rate"], "pass_low": r["pass_low"],
                         "pass_high": r["pass_high"],
                         "drift_mean": r["drift_mean"], "n_seeds": r["n_seeds"], "promised": r["promised"],
                         "recommended": advice.recommendation is not None
                         and advice.recommendation["family"] == r["family"],
                         "calibration_scale": (advice.calibration or {}).get("scale", 1.0),
                         "advise_seconds": advise_s, "config_hash": config_hash,
                         "synthloop": synthloop.__version__, "numpy": np.__version__})
    out = pd.DataFrame(rows)
    if only and (HERE / "results.csv").is_file():  # keep the stored rows of the other cases
        old = pd.read_csv(HERE / "results.csv")
        out = pd.concat([old[~old["case"].isin(only)], out], ignore_index=True)
        order = {c["name"]: i for i, c in enumerate(config["case"])}
        out = out.sort_values("case", key=lambda s: s.map(order), kind="stable")
    out.to_csv(HERE / "results.csv", index=False)
    return out


def figure(results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(results["case"]))
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 3.6), sharey=True)
    for ax, case in zip(np.atleast_1d(axes), cases):
        part = results[results["case"] == case]
        fams = list(dict.fromkeys(part["family"]))
        x = np.arange(len(fams))
        for k, (setting, color) in enumerate((("chosen", "tab:green"), ("cheaper", "tab:red"))):
            sub = part[part["setting"] == setting].set_index("family").reindex(fams)
            ax.errorbar(x + (k - 0.5) * 0.25, sub["pass_rate"], yerr=[sub["pass_rate"] - sub["pass_low"], sub["pass_high"] - sub["pass_rate"]], fmt="o", color=color,
                        label=f"{setting} (measured, ±2 SE)")
            ax.scatter(x + (k - 0.5) * 0.25, sub["predicted"], marker="_", s=200, color="k",
                       label="predicted" if k == 0 else None)
        ax.axhline(part["promised"].iloc[0], color="k", ls="--", lw=1, label="promised share")
        ax.set_xticks(x, fams, rotation=20)
        n = int(part["n_seeds"].iloc[0])
        ax.set_title(f"{case}: T={part['n_generations'].iloc[0]}, tol={part['tolerance'].iloc[0]:g}, {n} seeds",
                     fontsize=9)
        ax.set_ylim(0, 1.05)
    np.atleast_1d(axes)[0].set_ylabel("share of runs with KL(P_T||P_0) <= tol")
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(HERE / "validation.png", dpi=110)


def table(results):
    """The validation table (markdown), from stored results only."""
    lines = ["| case | family | setting | value | total rows | predicted P | measured share (± SE) | seeds |",
             "|---|---|---|---|---|---|---|---|"]
    for _, r in results.iterrows():
        star = " (recommended)" if r["recommended"] and r["setting"] == "chosen" else ""
        lines.append(f"| {r['case']} | {r['family']} | {r['setting']}{star} | {r['parameter']}={r['value']:g} | "
                     f"{int(r['total_rows']):,} | {r['predicted']:.3f} | {r['pass_rate']:.3f} ± {r['se']:.3f} | "
                     f"{int(r['n_seeds'])} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figure", action="store_true", help="only redraw validation.png from results.csv")
    parser.add_argument("--cases", nargs="*", default=None, help="run only these cases (keep the others' rows)")
    args = parser.parse_args(argv)
    raw = (HERE / "config.toml").read_bytes()
    if not args.figure:
        run(tomllib.loads(raw.decode()), hashlib.sha256(raw).hexdigest()[:12], only=args.cases)
    results = pd.read_csv(HERE / "results.csv")
    figure(results)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
