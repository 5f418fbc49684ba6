"""One step from the Adult copula: KL(R_1 || R_0) of the latent correlation refit on N sampled rows, with and without
the 100,000-row reservoir (mean, its SE, number of infinite values).

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/reservoir_onestep.py 12
"""
import sys, numpy as np
from synthloop import GaussianCopulaGenerator
from synthloop.datasets import load_adult
from synthloop.advise._models import drift_model
X = load_adult().frame
g0 = GaussianCopulaGenerator(random_state=0).fit(X)
model = drift_model(g0, X)
p0 = g0.get_fitted_params()
blk = [b for b in model.blocks if not b.exact][0]
out = {}
for label, N, res in [("100k,None", 100_000, None), ("120k,res100k", 120_000, 100_000), ("200k,res100k", 200_000, 100_000), ("200k,None", 200_000, None), ("400k,res100k", 400_000, 100_000)]:
    kl = []
    for s in range(int(sys.argv[1])):
        Y = g0.sample(N, random_state=1000 + s)
        g = GaussianCopulaGenerator(reservoir_size=res, random_state=s).fit(Y)
        kl.append(blk.measure(g.get_fitted_params(), p0))
    kl = np.array(kl); print(label, kl.mean(), kl.std(ddof=1) / np.sqrt(kl.size), np.isinf(kl).sum(), flush=True)
