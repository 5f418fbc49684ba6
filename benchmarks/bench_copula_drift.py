"""One-generation drift of GaussianCopulaGenerator's latent correlation against the sample size.

A consistent estimator refit on ``n`` rows drawn from the model it estimates
moves by a random step of variance ``~ a / n`` (the random walk of
docs/theory.rst, "Measuring a generator's bias exponent"), so ``n x D_1(n)``
is flat in ``n``; a bias that shrinks like ``n**-gamma`` with ``gamma < 1/2``
makes it grow. This script fits generation 0 on bundled Adult (32,561 rows,
15 columns), draws ``n`` rows from it, refits, and prints ``n x D_1`` with
``D_1 = ||R_1 - R_0||_F^2`` (the squared Frobenius distance of the latent
correlations, the issue's measure) and ``n x KL(N(0, R_1) || N(0, R_0))`` on the
span of ``R_0`` (what ``recommend_schedule`` measures), at four sizes from
32k to 1M rows, mean +- standard error over ``--seeds`` seeds, for:

* ``estimator``: GaussianCopulaGenerator as shipped (weakly identified pairs
  carry the positive-semi-definite repair);
* ``eigen-repair``: the earlier estimator (every entry repaired by clipping
  eigenvalues), reproduced by switching the weak-pair repair off;
* ``order``: ``categorical="order"`` (no latent reordering of levels by
  frequency between generations);
* ``no-education_num``: Adult without ``education_num`` (the duplicate of
  ``education``).

``flat`` is the largest over the smallest ``n x D_1``; the goal is <= 1.25.
``slope`` is the least-squares exponent of ``D_1`` against ``n`` (-1 for a
random walk). Results go to ``benchmarks/results/copula_drift.json``.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_copula_drift.py [--seeds 8]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = (32_561, 130_244, 521_000, 1_042_000)


def _latent_kl(R1, R0):
    w, V = np.linalg.eigh(R0)
    keep = w > 1e-10 * w.max()
    A = V[:, keep].T @ R1 @ V[:, keep]
    sign, logdet = np.linalg.slogdet(A)
    if sign <= 0:
        return np.inf
    return 0.5 * (np.sum(np.diag(A) / w[keep]) - keep.sum() + np.sum(np.log(w[keep])) - logdet)


def measure(variant, n_seeds):
    sys.path.insert(0, str(ROOT))
    from synthloop import GaussianCopulaGenerator
    from synthloop.datasets import load_adult
    from synthloop.generators import _copula

    X = load_adult().frame
    params = {}
    if variant == "no-education_num":
        X = X.drop(columns=["education_num"])
    if variant == "order":
        params["categorical"] = "order"
    saved = _copula._WEAK_SE
    if variant == "eigen-repair":
        _copula._WEAK_SE = np.inf  # no pair counts as weak: the earlier estimator
    try:
        g0 = GaussianCopulaGenerator(random_state=0, **params).fit(X)
        R0 = g0.correlation_
        rows = []
        for n in SIZES:
            frob, kl = [], []
            for s in range(n_seeds):
                S = g0.sample(n, random_state=10_000 + s)
                R1 = GaussianCopulaGenerator(random_state=s, **params).fit(S).correlation_
                frob.append(float(np.sum((R1 - R0) ** 2)))
                kl.append(float(_latent_kl(R1, R0)))
            rows.append({"n": n, "frob": frob, "kl": kl})
    finally:
        _copula._WEAK_SE = saved
    return {"variant": variant, "min_eigenvalue_R0": float(np.linalg.eigvalsh(R0)[0]), "sizes": rows}


def _fmt(values, n):
    v = n * np.asarray(values)
    return f"{v.mean():7.0f} +- {v.std(ddof=1) / np.sqrt(v.size):5.0f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--only", default=None, help="one variant")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "copula_drift.json"))
    parser.add_argument("--table", action="store_true", help="only rewrite the text table from the stored JSON")
    args = parser.parse_args(argv)
    if args.table:
        return write_table(Path(args.out))
    variants = ["estimator", "eigen-repair", "order", "no-education_num"]
    if args.only:
        variants = [args.only]
    results = []
    start = time.perf_counter()
    print(f"{'variant':18s} {'n':>9s} {'n x D_1 (Frobenius)':>20s} {'n x KL':>17s}")
    for variant in variants:
        res = measure(variant, args.seeds)
        means = []
        for row in res["sizes"]:
            means.append(row["n"] * np.mean(row["frob"]))
            print(f"{variant:18s} {row['n']:9,d} {_fmt(row['frob'], row['n']):>20s} {_fmt(row['kl'], row['n']):>17s}")
        sizes = np.array([r["n"] for r in res["sizes"]], dtype=float)
        d1 = np.array([np.mean(r["frob"]) for r in res["sizes"]])
        slope = float(np.polyfit(np.log(sizes), np.log(d1), 1)[0])
        res.update(flat=float(max(means) / min(means)), slope=slope)
        print(f"{variant:18s} flat (max/min of n x D_1) = {res['flat']:.2f}; D_1 ~ n^{slope:.2f}; "
              f"smallest eigenvalue of R_0 = {res['min_eigenvalue_R0']:.3g}")
        results.append(res)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seeds": args.seeds, "results": results}, indent=1))
    write_table(out)
    print(f"{time.perf_counter() - start:.0f} s; results in {out.relative_to(ROOT)}")


def write_table(path):
    """The stored results as the text table the docs include (``copula_drift.txt``)."""
    data = json.loads(path.read_text())
    lines = [f"one-generation drift of the latent correlation on Adult, mean +- SE over {data['seeds']} seeds",
             f"{'variant':18s} {'n':>9s} {'n x D_1 (Frobenius)':>20s} {'n x KL':>17s}"]
    for res in data["results"]:
        for row in res["sizes"]:
            lines.append(f"{res['variant']:18s} {row['n']:9,d} {_fmt(row['frob'], row['n']):>20s} "
                         f"{_fmt(row['kl'], row['n']):>17s}")
        lines.append(f"{res['variant']:18s} flat = {res['flat']:.2f}, D_1 ~ n^{res['slope']:.2f}")
    path.with_suffix(".txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
