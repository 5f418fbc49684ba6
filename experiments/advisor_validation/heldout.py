"""Held-out validation of recommend_schedule on tables not used while developing it (issue 12).

The advisor's drift model, its calibration (the bias rule fitted at three sizes)
and GaussianCopulaGenerator's weak-pair repair were tuned on Adult only (seeds
0, 100-107, 1000-1015, 2000-2009, 10000-10015). This script validates them on
two other real tables, fixed here before its first run:

* ``german_credit`` (1,000 x 21, bundled),
* ``penguins`` (344 x 8 with missing values, bundled; added in the same change),
* ``breast_cancer`` (569 x 31, scikit-learn's bundled copy; from round 2),
* ``diabetes`` (442 x 11, scikit-learn's bundled copy; from round 3),

with ``GaussianCopulaGenerator()``, ``pool="replace"``, ``T = 5``, tolerance
0.05 nats, confidence 0.9, families constant and polynomial. The advice is
computed with the round's ``advice_seed`` and each setting (chosen and next
cheaper) is run for real with the ``N_SEEDS`` seeds (or the round's ``n_seeds``) that
``ScheduleAdvice.validate`` derives from its ``validation_seed``; both are
disjoint from every seed used while tuning (see ``ROUNDS``). A pass rate is reported with its
Clopper-Pearson 95% interval; the promise holds when the chosen setting's
interval reaches 0.9. Results: ``heldout_round<k>_results.csv``; the README's
tables are written from them by ``--table``.

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/heldout.py --round 2          # run
    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/heldout.py --round 2 --table  # table
    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/heldout.py --round 2 --resume # finish a stopped run
"""

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
# Each round is fixed here before its first run and never changed afterwards; a model change gets a new
# round with new seeds (the earlier rounds' results stay in heldout_round<k>_results.csv).
ROUNDS = {
    # round 1: after the copula's weak-pair repair and the first bias-rule calibration
    1: dict(tables=("german_credit", "penguins"), advice_seed=20261201, validation_seed=20261202),
    # round 2: after the exact latent-correlation simulation, the five-generation calibration, the
    # recalibration where the advice lands and the bootstrap upper bound on the scale; adds a third
    # table (scikit-learn's bundled breast cancer data, 569 x 31, never used while developing)
    2: dict(tables=("german_credit", "penguins", "breast_cancer"), advice_seed=20261211,
            validation_seed=20261212),
    # round 3: after round 2 showed the advisor calling penguins' bias incurable from calibration sizes
    # of at most 1,376 rows (it now measures once more at 16x before saying so); adds scikit-learn's
    # bundled diabetes data (442 x 11), never used while developing. Penguins informed this change, so it
    # is no longer strictly held out; the other three are.
    3: dict(tables=("german_credit", "breast_cancer", "diabetes", "penguins"), advice_seed=20261221,
            validation_seed=20261222),
    # round 4: round 3 was stopped (its advisor calibrated penguins at 2.3e10 rows per generation and its
    # script wrote results only at the end, so none were kept); the advisor now calibrates at most
    # 2**21 rows per generation and extrapolates beyond, and a setting of more than MAX_VALIDATION_ROWS
    # synthetic rows is reported as too large to run. Breast cancer is left out of this round for time
    # (its round-3 advice took 30 minutes).
    4: dict(tables=("german_credit", "diabetes", "penguins"), advice_seed=20261231, validation_seed=20261232),
    # round 5: after round 4 failed on penguins (21/30) and penguins_jumps.py traced it to swaps of
    # frequency-ordered levels: the copula's latent drift is now measured in generation 0's level orders and
    # the swaps are simulated (LevelOrderSwaps). Penguins informed the change; German credit and diabetes
    # did not. Breast cancer (no discrete columns, unaffected) is left out for time, as in round 4.
    5: dict(tables=("german_credit", "diabetes", "penguins"), advice_seed=20261241, validation_seed=20261242),
    # round 6: no change to the advisor since round 5; round 5 held with thin margins (26/30, 27/30), so
    # this round runs 100 validation seeds per setting for narrower intervals, and adds breast cancer back.
    6: dict(tables=("german_credit", "diabetes", "penguins", "breast_cancer"), advice_seed=20261251,
            validation_seed=20261252, n_seeds=100),
    # round 7: after issue 16 (RecursiveSynthesizer fits each generation as an exact block reduction, so the
    # copula's latent correlation is estimated from every row at every size: no 100,000-row reservoir; the
    # advisor's Kish model of the reservoir is removed). The tables, settings and 100 seeds of round 6; a
    # timing of one run per table at round 6's chosen sizes (seed 0, a tuning seed) put the round at about
    # 25 minutes, so the CPU budget does not force fewer seeds.
    7: dict(tables=("german_credit", "diabetes", "penguins", "breast_cancer"), advice_seed=20261261,
            validation_seed=20261262, n_seeds=100),
}
#: From round 4: settings with more synthetic rows in all are not run (reported as too large).
MAX_VALIDATION_ROWS = 20_000_000
N_SEEDS = 30  # per setting, unless a round says otherwise
SETTINGS = dict(n_generations=5, tolerance=0.05, confidence=0.9, families=("constant", "polynomial"),
                pool="replace")


def _table(name):
    if name in ("breast_cancer", "diabetes"):
        from sklearn import datasets as sk

        return getattr(sk, f"load_{name}")(as_frame=True).frame
    from synthloop import datasets

    return getattr(datasets, f"load_{name}")().frame


def run(round_, resume=False):
    sys.path.insert(0, str(HERE.parents[1]))
    from synthloop import GaussianCopulaGenerator
    from synthloop.advise import recommend_schedule
    from synthloop.advise._search import clopper_pearson

    spec = ROUNDS[round_]
    ADVICE_SEED, VALIDATION_SEED = spec["advice_seed"], spec["validation_seed"]
    rows = []
    stored = HERE / f"heldout_round{round_}_results.csv"
    if resume and stored.exists():  # every table is seeded on its own: a finished table is the same on a rerun
        rows = pd.read_csv(stored).to_dict("records")
    for name in spec["tables"]:
        if any(r["table"] == name for r in rows):
            print(f"{name}: stored in {stored.name}, skipped", flush=True)
            continue
        X = _table(name)
        start = time.perf_counter()
        advice = recommend_schedule(X, generator=GaussianCopulaGenerator(), random_state=ADVICE_SEED, **SETTINGS)
        (HERE / f"heldout_round{round_}_advice_{name}.txt").write_text(advice.summary() + "\n")
        rec = advice.recommendation
        if round_ >= 4 and rec is not None and rec["total_rows"] > MAX_VALIDATION_ROWS:
            rows.append({"table": name, "family": rec["family"], "setting": "none", "value": rec["value"],
                         "predicted": rec["probability"], "passed": 0, "n_seeds": 0, "cp_low": float("nan"),
                         "cp_high": float("nan"), "promise_holds": False, "drift_mean": float("nan"),
                         "threshold": advice.threshold, "gamma": None, "bias_detected": None, "recommended": True,
                         "why": f"recommended {rec['family']} {rec['parameter']}={rec['value']:g} "
                                f"({int(rec['total_rows']):,} rows) is more than {MAX_VALIDATION_ROWS:,} rows to run",
                         "advice_seed": ADVICE_SEED, "validation_seed": VALIDATION_SEED,
                         "seconds": time.perf_counter() - start})
            pd.DataFrame(rows).to_csv(HERE / f"heldout_round{round_}_results.csv", index=False)
            continue
        check = advice.validate(X, n_seeds=spec.get("n_seeds", N_SEEDS), random_state=VALIDATION_SEED)
        cal = advice.calibration or {}
        if check.empty:  # nothing recommended: nothing to run; the advice's last note says why
            rows.append({"table": name, "family": "-", "setting": "none", "value": float("nan"),
                         "predicted": float("nan"), "passed": 0, "n_seeds": 0, "cp_low": float("nan"),
                         "cp_high": float("nan"), "promise_holds": False, "drift_mean": float("nan"),
                         "threshold": advice.threshold, "gamma": cal.get("gamma"),
                         "bias_detected": cal.get("bias_detected"), "recommended": False, "why": advice.notes[-1],
                         "advice_seed": ADVICE_SEED, "validation_seed": VALIDATION_SEED,
                         "seconds": time.perf_counter() - start})
        for _, r in check.iterrows():
            k = int(round(r["pass_rate"] * r["n_seeds"]))
            lo, hi = clopper_pearson(k, int(r["n_seeds"]))
            rows.append({"table": name, "family": r["family"], "setting": r["setting"], "value": r["value"],
                         "predicted": r["predicted"], "passed": k, "n_seeds": int(r["n_seeds"]),
                         "cp_low": lo, "cp_high": hi, "promise_holds": bool(hi >= SETTINGS["confidence"]),
                         "drift_mean": r["drift_mean"], "threshold": advice.threshold,
                         "gamma": cal.get("gamma"), "bias_detected": cal.get("bias_detected"),
                         "recommended": advice.recommendation is not None
                         and advice.recommendation["family"] == r["family"] and r["setting"] == "chosen",
                         "advice_seed": ADVICE_SEED, "validation_seed": VALIDATION_SEED,
                         "seconds": time.perf_counter() - start})
        print(f"{name}: done in {time.perf_counter() - start:.0f} s", flush=True)
        # written after every table, so a long round loses nothing when it is stopped
        pd.DataFrame(rows).to_csv(HERE / f"heldout_round{round_}_results.csv", index=False)


def table_text(round_):
    """The Markdown table of a round, from its stored results only."""
    df = pd.read_csv(HERE / f"heldout_round{round_}_results.csv")
    lines = ["| table | family | setting | value | predicted P | passed | Clopper-Pearson 95% | promise |",
             "|---|---|---|---|---|---|---|---|"]
    for _, r in df.iterrows():
        if r["setting"] == "none":
            lines.append(f"| {r['table']} | - | no recommendation | - | - | - | - | not testable: {r['why']} |")
            continue
        verdict = ("holds" if r["promise_holds"] else "fails") if r["setting"] == "chosen" else (
            "separated (below 0.9)" if r["cp_high"] < SETTINGS["confidence"] else "not separated")
        lines.append(f"| {r['table']} | {r['family']} | {r['setting']}{' (recommended)' if r['recommended'] else ''}"
                     f" | {r['value']:g} | {r['predicted']:.3f} | {r['passed']}/{r['n_seeds']} | "
                     f"[{r['cp_low']:.3f}, {r['cp_high']:.3f}] | {verdict} |")
    for name in ROUNDS[round_]["tables"]:  # a table with no recommendation has only its stored advice
        advice = HERE / f"heldout_round{round_}_advice_{name}.txt"
        if name not in set(df["table"]) and advice.exists():
            last = advice.read_text().strip().splitlines()[-1].removeprefix("note: ")
            lines.append(f"| {name} | - | no recommendation | - | - | - | - | not testable: {last} |")
    return "\n".join(lines)


def table(round_):
    text = table_text(round_)
    print(text)
    (HERE / f"heldout_round{round_}_table.md").write_text(f"round {round_}\n" + text + "\n")
    if round_ == max(k for k in ROUNDS if (HERE / f"heldout_round{k}_results.csv").exists()):
        (HERE / "heldout_latest_table.md").write_text(f"round {round_}\n" + text + "\n")
    # The README's copies of the tables are rewritten from the stored results, between their markers.
    import readme

    readme.main([])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=max(ROUNDS), choices=sorted(ROUNDS))
    parser.add_argument("--table", action="store_true", help="print the README table of the round's results")
    parser.add_argument("--resume", action="store_true",
                        help="keep the tables already in the round's results file and run the others")
    args = parser.parse_args()
    table(args.round) if args.table else run(args.round, resume=args.resume)
