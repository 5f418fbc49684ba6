"""Utility criterion (target="income") on Adult, T=3, tolerance 0.045 ROC AUC (logistic regression).

Asks the advisor for the cheapest constant schedule, then runs its chosen and next cheaper settings for
real over seeds; each run is one RecursiveSynthesizer and one UtilityEvaluator split (n_repeats=1), the
evaluation the advisor's promise is about. Writes utility_advice.txt and utility_runs.csv.

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/utility.py 30   # ~3 min
"""
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synthloop import GaussianCopulaGenerator, RecursiveSynthesizer, UtilityEvaluator
from synthloop.advise import recommend_schedule
from synthloop.datasets import load_adult
from synthloop.evaluation._metrics import default_estimators
from synthloop.schedules import ConstantSchedule
from synthloop.utils import child_seeds

HERE = Path(__file__).resolve().parent
T, TOL = 3, 0.045


def main(n_seeds):
    X = load_adult().frame
    advice = recommend_schedule(X, generator=GaussianCopulaGenerator(), n_generations=T, tolerance=TOL,
                                target="income", families=["constant"], n_reps=2000, random_state=0)
    (HERE / "utility_advice.txt").write_text(advice.summary() + "\n")
    print(advice.summary(), flush=True)
    row = advice.table.iloc[0]
    settings = [("chosen", int(row["value"]), float(row["probability"]))]
    if pd.notna(row["cheaper_value"]):
        settings.append(("cheaper", int(row["cheaper_value"]), float(row["cheaper_probability"])))
    name, est = next(iter(default_estimators("binary").items()))
    rows = []
    for setting, n, predicted in settings:
        for s in child_seeds(8, n_seeds):
            t0 = time.perf_counter()
            rs = RecursiveSynthesizer(GaussianCopulaGenerator(), n_generations=T, schedule=ConstantSchedule(n=n),
                                      keep="last")
            ev = UtilityEvaluator("income", estimators={name: est}, scoring=["roc_auc"], n_repeats=1,
                                  fidelity=False, random_state=int(s))
            summ = ev.evaluate(rs, X).summary()
            gap = float(summ.loc[summ["generation"] == T, "gap"].iloc[0])
            rows.append({"setting": setting, "n": n, "predicted": predicted, "seed": int(s), "gap": gap,
                         "loss": -gap, "meets": -gap <= TOL})
            print(rows[-1], round(time.perf_counter() - t0, 1), flush=True)
    df = pd.DataFrame(rows)
    df.to_csv(HERE / "utility_runs.csv", index=False)
    g = df.groupby(["setting", "n", "predicted"])["meets"].agg(["mean", "count"]).reset_index()
    g["se"] = np.sqrt(g["mean"] * (1 - g["mean"]) / g["count"])
    print(g.to_string(index=False))
    print(df.groupby("setting")["loss"].describe().to_string())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
