"""UtilityEvaluator with its default estimators: native threads against one thread.

HistGradientBoosting (and BLAS) start one native thread per core in every fit.
On the small fits of an evaluation, and the more so on a busy machine or under
joblib, those threads oversubscribe the cores: 1,500 Adult rows, 2 repeats and
3 generations once took 114 s with the defaults and 18 s with
``OMP_NUM_THREADS=1`` on a busy 2-core machine. The evaluator now runs each of
its tasks (a synthesizer fit, a cell of estimator fits) with native thread
pools limited to one thread (threadpoolctl); ``n_jobs`` is its parallelism.

The anchor is the same evaluation in a process started with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1``; the measured
case is a process with the environment as it is (``--fidelity`` adds the
fidelity report). Each run is a fresh subprocess, the two alternating; the
table prints the median of ``--repeats`` runs (>= 5) with min and max and the
median time ratio. Goal: defaults within 1.2x of the single-thread time.

Run: ``.venv/bin/python benchmarks/bench_evaluator_threads.py [--repeats 5] [--n-jobs 1] [--fidelity]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SINGLE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _child(n_jobs, fidelity):
    sys.path.insert(0, str(ROOT))
    from synthloop import RecursiveSynthesizer, UtilityEvaluator
    from synthloop.datasets import load_adult

    X = load_adult().frame.sample(1500, random_state=0).reset_index(drop=True)
    evaluator = UtilityEvaluator("income", n_repeats=2, fidelity=fidelity, n_jobs=n_jobs, random_state=0)
    start = time.perf_counter()
    evaluator.evaluate(RecursiveSynthesizer(n_generations=3, keep="all", random_state=0), X)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def _measure(threads, n_jobs, fidelity):
    env = {k: v for k, v in os.environ.items() if k not in SINGLE}
    if threads == "one thread":
        env.update(SINGLE)
    cmd = [sys.executable, __file__, "--child", str(n_jobs), str(int(fidelity))]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--fidelity", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n_jobs = None if args.child[0] == "None" else int(args.child[0])
        _child(n_jobs, bool(int(args.child[1])))
        return
    import numpy as np

    runs = {"defaults": [], "one thread": []}
    for _ in range(args.repeats):
        for threads in runs:  # alternate, so machine noise hits both
            runs[threads].append(_measure(threads, args.n_jobs, args.fidelity))
    med = {k: float(np.median(v)) for k, v in runs.items()}
    print(f"UtilityEvaluator, 1,500 Adult rows, 2 repeats, 3 generations, n_jobs={args.n_jobs}, "
          f"fidelity={args.fidelity}, {os.cpu_count()} cores")
    print(f"{'threads':<11} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>6}")
    for threads, secs in runs.items():
        print(f"{threads:<11} {med[threads]:>9.2f} {min(secs):>7.2f} {max(secs):>7.2f} "
              f"{med[threads] / med['one thread']:>6.2f}")
    print("\nratio: median time / median time of the one-thread process (goal: defaults <= 1.2).")


if __name__ == "__main__":
    main()
