"""One step from the Adult copula: latent-correlation drift KL(R_1 || R_0) of a refit on 200,000 sampled rows,
by `fit` (every row), by four 50,000-row `partial_fit` calls (100,000-row reservoir), and of a plain fit of the
first 100,000 rows. Prints mean, SE and the values per seed, and stores them in ``reservoir_onestep.txt``
(the README quotes it).

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/reservoir_onestep.py 8

(The estimator before the fix, which scored the reservoir against all rows' marginals in fit and partial_fit,
is in git history: commit 8a8460c, same script.)
"""
import sys
from pathlib import Path

import numpy as np

from synthloop import GaussianCopulaGenerator
from synthloop.advise._drift import Fit, LatentCorrelationBlock
from synthloop.datasets import load_adult

N, CHUNK = 200_000, 50_000
g0 = GaussianCopulaGenerator(random_state=0).fit(load_adult().frame)
block = LatentCorrelationBlock("latent", g0.correlation_)
p0 = g0.get_fitted_params()
out = {"fit, all 200k rows": [], "partial_fit, 4 x 50k, reservoir 100k": [], "plain fit of 100k rows": []}
for s in range(int(sys.argv[1]) if len(sys.argv) > 1 else 8):
    Y = g0.sample(N, random_state=1000 + s)
    chunked = GaussianCopulaGenerator(random_state=s)
    for start in range(0, N, CHUNK):
        chunked.partial_fit(Y.iloc[start:start + CHUNK])
    fits = [GaussianCopulaGenerator(random_state=s).fit(Y), chunked,
            GaussianCopulaGenerator(random_state=s).fit(Y.iloc[:100_000])]
    for label, g in zip(out, fits):
        out[label].append(block.measure(Fit(g.get_fitted_params(), None), Fit(p0, None)))
lines = []
for label, v in out.items():
    v = np.array(v)
    lines.append(f"{label}: {v.mean():.5f} +- {v.std(ddof=1) / np.sqrt(v.size):.5f}  {np.round(v, 5).tolist()}")
print("\n".join(lines))
(Path(__file__).resolve().parent / "reservoir_onestep.txt").write_text("\n".join(lines) + "\n")
