"""Why the advice fails on penguins: the latent drift of single runs jumps (written after round 4).

Twelve real loops of ``GaussianCopulaGenerator`` on penguins at the round-4 recommendation (constant
n = 44,032, T = 5; seeds 7000-7011, not validation seeds), for ``categorical="frequency"`` (the
default) and ``"order"``: each run's drift at T split into the exact part (the discrete columns'
marginals) and the latent-correlation part, and whether the latent order of ``sex`` (168 male, 165
female, 11 missing: ordered by frequency) at T is the one of generation 0. Writes
``penguins_jumps.csv``.

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/advisor_validation/penguins_jumps.py
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from synthloop import GaussianCopulaGenerator, RecursiveSynthesizer  # noqa: E402
from synthloop.advise._drift import Fit  # noqa: E402
from synthloop.advise._models import drift_model  # noqa: E402
from synthloop.datasets import load_penguins  # noqa: E402

X = load_penguins().frame
rows = []
for categorical in ("frequency", "order"):
    model = drift_model(GaussianCopulaGenerator(categorical=categorical, random_state=0).fit(X), X)
    for seed in range(7000, 7012):
        rs = RecursiveSynthesizer(GaussianCopulaGenerator(categorical=categorical), n_generations=5,
                                  schedule="constant:44032", random_state=seed).fit(X)
        a, b = Fit.from_run(rs, 5), Fit.from_run(rs, 0)
        order = [list(np.asarray(f.params["marginals"]["sex"]["support"]).astype(int)) for f in (a, b)]
        rows.append({"categorical": categorical, "seed": seed,
                     "exact": sum(bl.measure(a, b) for bl in model.blocks if bl.exact),
                     "latent": sum(bl.measure(a, b) for bl in model.blocks if not bl.exact),
                     "sex_order_kept": order[0] == order[1]})
out = pd.DataFrame(rows)
out.to_csv(HERE / "penguins_jumps.csv", index=False)
print(out.round(4).to_string(index=False))
print(out.groupby("categorical").agg(runs=("seed", "size"), within_0_05=("latent", lambda v: int((v < 0.05).sum())),
                                     sex_order_kept=("sex_order_kept", "sum")).to_string())
