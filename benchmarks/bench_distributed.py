"""RecursiveSynthesizer on one process and on a Dask LocalCluster of 1 and 2 workers: throughput, scaling, memory.

The issue-16 scenario: bundled Adult (32,561 rows), ``n_t = 32,561 t^2`` over 30
generations (3.1e8 synthetic rows), with ``GaussianCopulaGenerator`` on the
whole table and ``MultivariateNormalGenerator`` on its 6 integer columns. Each
measurement runs in a fresh subprocess, alternating the configurations:

* ``process``: ``backend="threads"``, ``n_jobs=1`` (one core);
* ``dask-1`` / ``dask-2``: ``backend="dask"`` on a ``LocalCluster`` of 1 or 2
  worker processes of one thread each, on loopback (the cluster's start is not
  timed);
* ``2 processes``: two independent ``process`` runs at once, the control: how
  much of two cores the machine gives two single-threaded jobs at the time
  (it is shared with other work).

Printed per generator and configuration, medians of ``--repeats`` runs with
min and max: seconds, synthetic rows per second per core (``cores`` = 1, 1,
2), the peak resident memory of each worker process (of the process itself
for ``process``: imports and the table included), the scaling efficiency from
1 to 2 workers (rows/s on 2 workers over twice that on 1; goal >= 0.8), and
the time 10^9 rows would take on 64 cores at the 2-worker rate per core (an
extrapolation: it assumes the per-core rate holds and ignores the network).
``--only malloc`` times one copula generation of 16 blocks with and without
the ``MALLOC_TRIM_THRESHOLD_=65536`` that Dask's nanny sets in its workers
(the cluster above starts its workers without it).
Every run's last-generation parameters are hashed: the table says whether all
configurations fitted the same bytes.

``--scale s`` runs ``n_t = round(32,561 s) t^2``; the stored results are at
``--scale 1``, with 3 runs of each configuration for the MVN and 1 for the
copula (a copula run takes about 9 minutes on one core), with nothing
else running on the machine.

Run: ``.venv/bin/python benchmarks/bench_distributed.py [--repeats 3] [--only copula] [--scale 1]``.
Results go to ``benchmarks/results/distributed.json`` and ``distributed.txt``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N0 = 32_561
T = 30
CONFIGS = {"process": 1, "dask-1": 1, "dask-2": 2, "2 processes": 2}  # cores
GENERATORS = ["mvn", "copula"]


def _peak_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _digest(params):
    """A short hash of the values of fitted parameters (dicts of arrays, numbers and labels)."""
    import numpy as np

    h = hashlib.sha256()

    def add(value):
        if isinstance(value, dict):
            for key in value:
                h.update(repr(key).encode())
                add(value[key])
            return
        arr = np.asarray(value)
        h.update(repr(arr.tolist()).encode() if arr.dtype == object else arr.dtype.str.encode() + arr.tobytes())

    add(params)
    return h.hexdigest()[:16]


def _child(generator, config, scale):
    """One measurement in this process; prints a JSON line."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # inherited by the worker processes
    sys.path.insert(0, str(ROOT))
    from synthloop import GaussianCopulaGenerator, MultivariateNormalGenerator, RecursiveSynthesizer
    from synthloop.datasets import load_adult

    X = load_adult().frame
    if generator == "mvn":
        X, gen = X.select_dtypes("number"), MultivariateNormalGenerator()
    else:
        gen = GaussianCopulaGenerator()
    kw = dict(n_generations=T, schedule=f"polynomial:power=2,n={round(N0 * scale)}", random_state=0)
    cluster = client = None
    if config != "process":
        import dask
        from distributed import Client, LocalCluster

        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which turns off glibc's
        # dynamic mmap threshold: every block's temporaries are then mapped and faulted in anew
        # (twice the time here, see --only malloc). Workers started without it:
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        cluster = LocalCluster(n_workers=CONFIGS[config], threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", memory_limit=0)
        client = Client(cluster)
        kw.update(backend="dask", scheduler=client)
    start = time.perf_counter()
    rs = RecursiveSynthesizer(gen, **kw).fit(X)
    seconds = time.perf_counter() - start
    if client is None:
        peaks = [_peak_mb()]
    else:
        peaks = sorted(client.run(_peak_mb).values())
        client.close()
        cluster.close()
    print(json.dumps({"seconds": seconds, "rows": int(rs.history_["n_synthetic"].sum()), "peak_mb": peaks,
                      "driver_peak_mb": _peak_mb(), "digest": _digest(rs.parameters_[-1])}))


def _measure(generator, config, scale):
    """One run of ``config``; ``"2 processes"`` is two independent ``process`` runs at once."""
    copies = 2 if config == "2 processes" else 1
    child = "process" if copies == 2 else config
    procs = [subprocess.Popen([sys.executable, __file__, "--child", generator, child, str(scale)],
                              stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"{generator} {config} failed")
        results.append(json.loads(out.strip().splitlines()[-1]))
    if copies == 1:
        return results[0]
    return {"seconds": max(r["seconds"] for r in results), "rows": sum(r["rows"] for r in results),
            "peak_mb": [p for r in results for p in r["peak_mb"]], "digest": results[0]["digest"],
            "digests": [r["digest"] for r in results]}


def _malloc_child():
    """Seconds to fit one copula generation of 16 blocks in this process (the workers' environment test)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    sys.path.insert(0, str(ROOT))
    from synthloop import GaussianCopulaGenerator
    from synthloop.datasets import load_adult
    from synthloop.sampling import BLOCK_SIZE, fit_blocks

    source = GaussianCopulaGenerator(random_state=0).fit(load_adult().frame)
    start = time.perf_counter()
    fit_blocks(GaussianCopulaGenerator(random_state=1), [(source, 16 * BLOCK_SIZE, None)], seed=5)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def _malloc(repeats):
    """The same fit with and without the MALLOC_TRIM_THRESHOLD_=65536 of Dask's nanny, alternating."""
    runs = {"default": [], "MALLOC_TRIM_THRESHOLD_=65536": []}
    for _ in range(repeats):
        for name in runs:
            env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
            if name != "default":
                env["MALLOC_TRIM_THRESHOLD_"] = "65536"
            out = subprocess.run([sys.executable, __file__, "--malloc-child"], env=env, check=True,
                                 capture_output=True, text=True)
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    return {"repeats": repeats, "runs": runs}


def _stats(values):
    import numpy as np

    v = np.asarray(values, dtype=float)
    return {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=GENERATORS + ["malloc"], default=None)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "distributed.json"))
    parser.add_argument("--table", action="store_true", help="only rewrite the text table from the stored JSON")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--malloc-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child[0], args.child[1], float(args.child[2]))
    if args.malloc_child:
        return _malloc_child()
    out = Path(args.out)
    if args.table:
        return write_table(out)
    stored = json.loads(out.read_text()) if out.exists() else {"results": {}}
    if args.only == "malloc":
        stored["malloc"] = _malloc(max(args.repeats, 5))
        out.write_text(json.dumps(stored, indent=1))
        write_table(out)
        return print(out.with_suffix(".txt").read_text())
    for generator in [args.only] if args.only else GENERATORS:
        runs = {config: [] for config in CONFIGS}
        for rep in range(args.repeats):
            for config in CONFIGS:  # alternating, so a slow spell of the machine hits every configuration
                res = _measure(generator, config, args.scale)
                runs[config].append(res)
                print(f"{generator:7s} {config:8s} run {rep + 1}: {res['seconds']:8.1f} s, "
                      f"peak {max(res['peak_mb']):6.0f} MB, {res['digest']}", flush=True)
        stored["results"][generator] = {"scale": args.scale, "repeats": args.repeats, "runs": runs}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(stored, indent=1))
        write_table(out)
    print(out.with_suffix(".txt").read_text())


def write_table(path):
    """The stored results as the text table the docs include (``distributed.txt``)."""
    data = json.loads(path.read_text())
    lines = []
    for generator, res in data["results"].items():
        runs = res["runs"]
        rows = runs["process"][0]["rows"]
        n = round(N0 * res["scale"])
        lines.append(f"{generator}: Adult, n_t = {n:,} t^2, {T} generations ({rows:,} synthetic rows), "
                     f"median [min, max] of {res['repeats']} runs")
        lines.append(f"  {'configuration':14s} {'seconds':>22s} {'rows/s per core':>30s} {'peak MB per process':>22s}")
        rate = {}
        for config, cores in CONFIGS.items():
            secs = _stats([r["seconds"] for r in runs[config]])
            per_core = _stats([r["rows"] / r["seconds"] / cores for r in runs[config]])
            peak = _stats([max(r["peak_mb"]) for r in runs[config]])
            rate[config] = per_core["median"]
            lines.append(f"  {config:14s} {secs['median']:8.1f} [{secs['min']:6.1f}, {secs['max']:6.1f}] "
                         f"{per_core['median']:12,.0f} [{per_core['min']:,.0f}, {per_core['max']:,.0f}] "
                         f"{peak['median']:8.0f} [{peak['min']:.0f}, {peak['max']:.0f}]")

        def efficiency(one, two):
            return _stats([r2["rows"] / r2["seconds"] / (2 * r1["rows"] / r1["seconds"])
                           for r1, r2 in zip(runs[one], runs[two])])

        eff, machine = efficiency("dask-1", "dask-2"), efficiency("process", "2 processes")
        digests = {d for config in CONFIGS for r in runs[config] for d in r.get("digests", [r["digest"]])}
        seconds = 1e9 / (rate["dask-2"] * 64)
        met = sum(r2["rows"] / r2["seconds"] >= 0.8 * 2 * r1["rows"] / r1["seconds"]
                  for r1, r2 in zip(runs["dask-1"], runs["dask-2"]))
        lines.append(f"  scaling 1 -> 2 workers: {eff['median']:.2f} [{eff['min']:.2f}, {eff['max']:.2f}] "
                     f"(run by run; goal >= 0.80: {'met' if eff['median'] >= 0.8 else 'NOT met'} by the median, "
                     f"{met} of {len(runs['dask-1'])} runs)")
        lines.append(f"  what the machine gave two independent processes at the time: {machine['median']:.2f} "
                     f"[{machine['min']:.2f}, {machine['max']:.2f}] of twice one")
        lines.append(f"  10^9 rows on 64 cores at the 2-worker rate per core: {seconds:,.0f} s")
        lines.append(f"  last generation's parameters: {'the same bytes in every run' if len(digests) == 1 else digests}")
    if "malloc" in data:
        m = data["malloc"]
        lines.append(f"one copula generation of 16 blocks (1,048,576 rows) in one process, median [min, max] of "
                     f"{m['repeats']} runs:")
        for name, secs in m["runs"].items():
            st = _stats(secs)
            lines.append(f"  {name:30s} {st['median']:6.2f} s [{st['min']:.2f}, {st['max']:.2f}]")
    path.with_suffix(".txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
