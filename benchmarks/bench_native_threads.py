"""RecursiveSynthesizer with ``n_jobs`` threads: native BLAS threads limited by the library, or not.

Where synthloop runs ``n_jobs`` threads (the block reduction of a generation,
the sampling threads of the ``partial_fit`` path, the simulators' replication
blocks) those threads are the parallelism; BLAS would start a thread per core
in each of them. The library limits BLAS to one thread while its
threads run (``synthloop.utils._threads.one_native_thread``, threadpoolctl).

Three arms, each run in a fresh subprocess, alternating:

* ``library``: the environment as a user has it (no ``OMP_NUM_THREADS``):
  what synthloop does;
* ``no limit``: the same with the library's limit patched out, what it did
  before;
* ``env 1 thread``: the anchor, a process started with
  ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1``.

The fit: bundled Adult, ``n_t = 32,561 t^2``, 12 generations of the MVN on the
integer columns and 6 of the copula on the whole table, ``n_jobs`` 1 and 2.
Printed: median [min, max] seconds of ``--repeats`` runs, the ratio to the
anchor, and the speed-up of ``n_jobs=2`` over ``n_jobs=1`` per arm (goal: the
library within 1.1 of the anchor at ``n_jobs=2``).

Run: ``.venv/bin/python benchmarks/bench_native_threads.py [--repeats 3]``.
Results go to ``benchmarks/results/native_threads.json`` and ``native_threads.txt``.
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
ARMS = ("library", "no limit", "env 1 thread")
GENERATIONS = {"mvn": 12, "copula": 6}


def _child(generator, n_jobs, limit):
    sys.path.insert(0, str(ROOT))
    import contextlib

    import synthloop.recursive
    import synthloop.sampling
    from synthloop import GaussianCopulaGenerator, MultivariateNormalGenerator, RecursiveSynthesizer
    from synthloop.datasets import load_adult

    if not limit:
        for module in (synthloop.sampling, synthloop.recursive):
            module.one_native_thread = lambda parallel=True: contextlib.nullcontext()
    X = load_adult().frame
    if generator == "mvn":
        make, X = MultivariateNormalGenerator, X.select_dtypes("number")
    else:
        make = GaussianCopulaGenerator
    start = time.perf_counter()
    RecursiveSynthesizer(make(), n_generations=GENERATIONS[generator], schedule="polynomial:power=2,n=32561",
                         n_jobs=n_jobs, random_state=0).fit(X)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def _measure(generator, n_jobs, arm):
    env = {k: v for k, v in os.environ.items() if k not in SINGLE}
    if arm == "env 1 thread":
        env.update(SINGLE)
    cmd = [sys.executable, __file__, "--child", generator, str(n_jobs), str(int(arm != "no limit"))]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def write_table(path):
    import numpy as np

    data = json.loads(path.read_text())
    lines = [f"RecursiveSynthesizer on Adult, n_t = 32,561 t^2, {data['cores']} cores, median [min, max] of "
             f"{data['repeats']} runs in fresh processes"]
    for generator, by_jobs in data["runs"].items():
        lines.append(f"{generator} ({GENERATIONS[generator]} generations)")
        lines.append(f"  {'arm':14s} {'n_jobs=1 s':>20s} {'n_jobs=2 s':>20s} {'2 vs 1':>7s} {'n_jobs=2 / anchor':>18s}")
        med = {(arm, j): float(np.median(by_jobs[str(j)][arm])) for arm in ARMS for j in (1, 2)}
        for arm in ARMS:
            cells = []
            for j in (1, 2):
                secs = by_jobs[str(j)][arm]
                cells.append(f"{med[arm, j]:6.2f} [{min(secs):5.2f}, {max(secs):5.2f}]")
            lines.append(f"  {arm:14s} {cells[0]:>20s} {cells[1]:>20s} {med[arm, 1] / med[arm, 2]:6.2f}x "
                         f"{med[arm, 2] / med['env 1 thread', 2]:17.2f}")
        ratio = med["library", 2] / med["env 1 thread", 2]
        lines.append(f"  library at n_jobs=2 within 1.1 of the anchor: {'met' if ratio <= 1.1 else 'NOT met'} "
                     f"({ratio:.2f})")
    path.with_suffix(".txt").write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "native_threads.json"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child[0], int(args.child[1]), bool(int(args.child[2])))
    runs = {g: {str(j): {arm: [] for arm in ARMS} for j in (1, 2)} for g in GENERATIONS}
    for rep in range(args.repeats):
        for generator in GENERATIONS:
            for n_jobs in (1, 2):
                for arm in ARMS:  # alternating, so a slow spell of the machine hits every arm
                    secs = _measure(generator, n_jobs, arm)
                    runs[generator][str(n_jobs)][arm].append(secs)
                    print(f"{generator:7s} n_jobs={n_jobs} {arm:13s} run {rep + 1}: {secs:6.2f} s", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"cores": os.cpu_count(), "repeats": args.repeats, "runs": runs}, indent=1))
    write_table(out)
    print(out.with_suffix(".txt").read_text())


if __name__ == "__main__":
    main()
