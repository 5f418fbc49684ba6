"""One copula generation of 1M rows: the exact two-pass block fit against the reservoir fit the loop used before.

Generation 0 is ``GaussianCopulaGenerator`` fit on bundled Adult (32,561 rows, 15
columns); generation 1 is fit on ``n = 1,000,000`` rows drawn from it in the
loop's seeded blocks, two ways:

* ``two-pass``: :func:`synthloop.sampling.fit_blocks`, what
  ``RecursiveSynthesizer`` does now: the blocks' value counts, then the same
  blocks drawn again from their seeds for the score cross-products (memory:
  one block);
* ``reservoir``: what the loop did before issue 16 for a generation past one
  chunk (524,288 rows for 15 columns): ``partial_fit`` on the chunks, whose
  correlation sees the last chunk and ``reservoir_size=100,000`` held rows for
  the earlier ones.

Both draw the same rows. Printed: seconds (drawing included; median [min,
max] over the seeds) and the one-generation drift of the latent correlation,
``n x D_1`` with ``D_1 = ||R_1 - R_0||_F^2`` and ``n x KL(N(0, R_1) || N(0,
R_0))`` (as ``bench_copula_drift.py``), mean +- standard error over the seeds;
and the largest difference between the two-pass correlation and ``fit`` on the
same rows (float rounding).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_copula_exact.py [--seeds 8]``.
Results go to ``benchmarks/results/copula_exact.json`` and ``copula_exact.txt``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N = 1_000_000


def measure(n_seeds):
    sys.path.insert(0, str(ROOT))
    from bench_copula_drift import _latent_kl

    from synthloop import GaussianCopulaGenerator
    from synthloop.datasets import load_adult
    from synthloop.sampling import default_chunk_rows, fit_blocks, sample_blocks

    X = load_adult().frame
    g0 = GaussianCopulaGenerator(random_state=0).fit(X)
    R0 = g0.correlation_
    chunk = default_chunk_rows(X.shape[1])
    out = {"two-pass": [], "reservoir": []}
    rounding = 0.0
    for s in range(n_seeds):
        seed = 1000 + s
        start = time.perf_counter()
        exact = fit_blocks(GaussianCopulaGenerator(random_state=seed), [(g0, N, None)], seed)
        out["two-pass"].append({"seconds": time.perf_counter() - start, "R": exact.correlation_})
        start = time.perf_counter()
        rows = sample_blocks(g0, N, seed)
        held = GaussianCopulaGenerator(random_state=seed)
        for first in range(0, N, chunk):
            held.partial_fit(rows.iloc[first:first + chunk])
        out["reservoir"].append({"seconds": time.perf_counter() - start, "R": held.correlation_})
        full = GaussianCopulaGenerator(random_state=seed).fit(rows)
        rounding = max(rounding, float(np.abs(full.correlation_ - exact.correlation_).max()))
        del rows
        print(f"seed {s}: two-pass {out['two-pass'][-1]['seconds']:.1f} s, reservoir "
              f"{out['reservoir'][-1]['seconds']:.1f} s", flush=True)
    results = {}
    for name, runs in out.items():
        results[name] = {"seconds": [r["seconds"] for r in runs],
                         "frob": [float(np.sum((r["R"] - R0) ** 2)) for r in runs],
                         "kl": [float(_latent_kl(r["R"], R0)) for r in runs]}
    return {"n": N, "chunk": chunk, "seeds": n_seeds, "results": results, "max_diff_to_fit": rounding}


def write_table(path):
    """The stored results as the text table the docs include (``copula_exact.txt``)."""
    data = json.loads(path.read_text())
    n = data["n"]
    lines = [f"one copula generation of {n:,} rows drawn from the Adult fit; seconds: median [min, max], drift: "
             f"mean +- SE over {data['seeds']} seeds",
             f"{'fit':56s} {'seconds':>20s} {'n x D_1 (Frobenius)':>20s} {'n x KL':>16s}"]
    labels = {"two-pass": "two-pass block reduction (blocks drawn twice)",
              "reservoir": f"partial_fit in chunks of {data['chunk']:,}, reservoir 100,000"}
    for name, res in data["results"].items():
        secs = np.asarray(res["seconds"])
        cells = []
        for key in ("frob", "kl"):
            v = n * np.asarray(res[key])
            cells.append(f"{v.mean():7.0f} +- {v.std(ddof=1) / np.sqrt(v.size):5.0f}")
        lines.append(f"{labels[name]:56s} {np.median(secs):7.1f} [{secs.min():.1f}, {secs.max():.1f}] "
                     f"{cells[0]:>20s} {cells[1]:>16s}")
    lines.append(f"two-pass against fit on the same rows: largest |difference| of the correlation "
                 f"{data['max_diff_to_fit']:.1e}")
    path.with_suffix(".txt").write_text("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "copula_exact.json"))
    parser.add_argument("--table", action="store_true", help="only rewrite the text table from the stored JSON")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not args.table:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(measure(args.seeds), indent=1))
    write_table(out)
    print(out.with_suffix(".txt").read_text())


if __name__ == "__main__":
    main()
