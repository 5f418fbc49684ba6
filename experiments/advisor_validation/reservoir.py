"""Per-generation drift of real Adult copula runs, with and without the reservoir.

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/reservoir.py linear 46049 20 200 [100000|None]
"""
from pathlib import Path
import sys, time, pandas as pd
from sklearn.base import clone
from synthloop import GaussianCopulaGenerator, RecursiveSynthesizer
from synthloop.datasets import load_adult
from synthloop.advise._search import make_schedule
from synthloop.advise._models import drift_model
X = load_adult().frame
fam, val, nseeds, seed0 = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
res = sys.argv[5] if len(sys.argv) > 5 else "100000"
res = None if res == "None" else int(res)
gen = GaussianCopulaGenerator(reservoir_size=res)
model = drift_model(clone(gen).fit(X), X)
rows = []
for s in range(nseeds):
    t0 = time.perf_counter()
    rs = RecursiveSynthesizer(clone(gen), n_generations=5, schedule=make_schedule(fam, val), random_state=seed0 + s).fit(X)
    for t in range(1, 6):
        p = rs.parameters_
        rows.append(dict(seed=s, t=t, approx=model.measure_approximate(p[t], p[0]), total=model.measure(p[t], p[0]),
                         step=model.measure_approximate(p[t], p[t-1])))
    print(s, time.perf_counter() - t0, rows[-1], flush=True)
df = pd.DataFrame(rows)
df.to_csv(Path(__file__).resolve().parent / f"reservoir_{fam}_{int(val)}_{res}.csv", index=False)
print(df.groupby("t")[["approx", "total", "step"]].agg(["mean", "std"]))
