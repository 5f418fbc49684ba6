"""Time and memory of RecursiveSynthesizer on an Adult-shaped table, against a bare loop.

Scenarios (the UCI Adult training table, 32,561 rows x 15 columns, via
``synthloop.datasets.load_adult``):

* ``poly``: 10 generations, ``PolynomialSchedule(power=1.5)``, pool ``replace``:
  about 4.6 million synthetic rows in all (the last generation alone ~1.03 M rows).
  Targets: under 15 s and under 2 GB peak memory.
* ``replace``: 20 generations of ``replace`` at n = 32,561. Target: under 4 s
  (SDV's default loop takes about 6.6 s per generation).

Each with ``GaussianCopulaGenerator`` on the whole table and
``MultivariateNormalGenerator`` on its 6 integer columns. The anchor is the bare
loop a paper's script would write (``g = clone(gen).fit(S); S = g.sample(n_t)``):
no chunking, no statistics, no seeds recorded; it materialises each generation's
table whole. Every measurement runs in a fresh subprocess (peak RSS from
``resource.getrusage``), synthloop and anchor alternating; the table prints the
median of ``--repeats`` runs (>= 5) with min and max, and the median time ratio.

Run: ``.venv/bin/python benchmarks/bench_recursive.py [--repeats 5] [--only poly]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "poly": dict(n_generations=10, schedule="polynomial:1.5"),
    "replace": dict(n_generations=20, schedule="constant"),
}
GENERATORS = ["copula", "mvn"]


def _child(scenario, generator, impl):
    """Run one measurement in this process and print a JSON line."""
    import resource

    sys.path.insert(0, str(ROOT))
    from sklearn.base import clone

    from synthloop import GaussianCopulaGenerator, MultivariateNormalGenerator, RecursiveSynthesizer
    from synthloop.datasets import load_adult
    from synthloop.schedules import check_schedule

    X = load_adult().frame
    if generator == "mvn":
        X = X.select_dtypes("number")
        gen = MultivariateNormalGenerator()
    else:
        gen = GaussianCopulaGenerator()
    spec = SCENARIOS[scenario]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    if impl == "synthloop":
        rs = RecursiveSynthesizer(gen, random_state=0, **spec).fit(X)
        rows = int(rs.history_["n_synthetic"].sum())
    else:
        sizes = check_schedule(spec["schedule"]).sizes(spec["n_generations"], len(X))
        g = clone(gen).set_params(random_state=0).fit(X)
        for t in range(1, len(sizes)):
            S = g.sample(int(sizes[t]))
            g = clone(gen).set_params(random_state=t).fit(S)
        rows = int(sizes[1:].sum())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "before_mb": rss_before, "rows": rows}))


def _measure(scenario, generator, impl):
    out = subprocess.run(
        [sys.executable, __file__, "--child", scenario, generator, impl],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=sorted(SCENARIOS))
    parser.add_argument("--generators", nargs="+", default=GENERATORS, choices=GENERATORS)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    import numpy as np

    scenarios = [args.only] if args.only else list(SCENARIOS)
    header = (f"{'scenario':<8} {'generator':<9} {'impl':<9} {'rows':>9} {'median s':>9} {'min s':>7} "
              f"{'max s':>7} {'peak MB':>8} {'max MB':>7} {'RSS before':>10} {'ratio':>6}")
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        for generator in args.generators:
            runs = {"synthloop": [], "bare loop": []}
            for _ in range(args.repeats):
                for impl in runs:  # alternate, so machine noise hits both
                    runs[impl].append(_measure(scenario, generator, impl.split()[0]))
            med = {k: float(np.median([r["seconds"] for r in v])) for k, v in runs.items()}
            for impl, rs in runs.items():
                secs = [r["seconds"] for r in rs]
                peaks = [r["peak_mb"] for r in rs]
                ratio = med[impl] / med["bare loop"]
                print(f"{scenario:<8} {generator:<9} {impl:<9} {rs[0]['rows']:>9} {np.median(secs):>9.2f} "
                      f"{min(secs):>7.2f} {max(secs):>7.2f} {np.median(peaks):>8.0f} {max(peaks):>7.0f} "
                      f"{np.median([r['before_mb'] for r in rs]):>10.0f} {ratio:>6.2f}", flush=True)
    print("\nratio: median time / median time of the bare loop. peak MB: peak RSS of the process "
          "(data and imports included; 'RSS before' is the peak before the loop started).")


if __name__ == "__main__":
    main()
