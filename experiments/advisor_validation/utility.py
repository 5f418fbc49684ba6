"""Utility criterion (target="income") on Adult: run the advisor's chosen (constant n=4071) and next cheaper (n=2879)
settings, T=3, tolerance 0.045 AUC, over seeds; each run one UtilityEvaluator split (logistic regression, roc_auc).

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/utility.py 30   # ~80 s
"""
from pathlib import Path
import sys, time, numpy as np, pandas as pd
from synthloop import GaussianCopulaGenerator, RecursiveSynthesizer, UtilityEvaluator
from synthloop.schedules import ConstantSchedule
from synthloop.datasets import load_adult
from synthloop.evaluation._metrics import default_estimators
from synthloop.utils import child_seeds
X = load_adult().frame
T, tol = 3, 0.045
name, est = next(iter(default_estimators("binary").items()))
n_seeds = int(sys.argv[1])
rows = []
for setting, n in (("chosen", 4071), ("cheaper", 2879)):
    for s in child_seeds(8, n_seeds):
        t0 = time.perf_counter()
        rs = RecursiveSynthesizer(GaussianCopulaGenerator(), n_generations=T, schedule=ConstantSchedule(n=n), keep="last")
        ev = UtilityEvaluator("income", estimators={name: est}, scoring=["roc_auc"], n_repeats=1, fidelity=False,
                              random_state=int(s))
        summ = ev.evaluate(rs, X).summary()
        gap = float(summ.loc[summ["generation"] == T, "gap"].iloc[0])
        rows.append({"setting": setting, "n": n, "seed": int(s), "gap": gap, "loss": -gap, "meets": -gap <= tol})
        print(rows[-1], round(time.perf_counter() - t0, 1), flush=True)
df = pd.DataFrame(rows); df.to_csv(Path(__file__).resolve().parent / "utility_runs.csv", index=False)
g = df.groupby("setting")["meets"].agg(["mean", "count"])
g["se"] = np.sqrt(g["mean"] * (1 - g["mean"]) / g["count"]); print(g); print(df.groupby("setting")["loss"].describe())
