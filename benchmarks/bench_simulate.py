"""Time synthloop.simulate against naive simulators that draw every row.

Three grids from the papers (docs/theory.rst, "What a collapse study reports"):

* [A] Figure 3: Gaussian, n0 = 100, T in {100..500} (one run to T = 500 read off at
  each T), 10^4 replications, schedules constant / linear / polynomial 1.5 / polynomial 2,
  ddof 1 and 0. The naive anchor draws the n_t rows of every generation with numpy,
  vectorised over replications, the way papers' code works. Where that is infeasible
  (10^11+ rows) it is run on fewer replications/generations and its per-row cost is
  extrapolated to the full grid; the output says which. The "whole grid" time is the 8
  ``simulate_gaussian`` runs plus the ``summary`` of each at T in {100..500}: everything
  the printed Figure-3 table needs, its exact-probability column included.
* [B] Figure 2: categorical, s = 600, three p, n in {10, 50, 100, ..., 400}, 100 runs,
  fully synthetic until every run has collapsed (cap 40 n generations).
* [B] Figure 3: partially synthetic, N = 100, several n, 50 generations, 100 runs, p with
  s = 600, support 52, S_0 = 0.1.

Each timing runs >= 5 times, synthloop and anchor alternating in the same process; the
median with min and max is printed. Absolute times are machine noise; ratios matter. The
[A] Figure-3 grid is also timed single-threaded and against a plain single-threaded
sufficient-statistic loop (``plain_gaussian``: the same two variates per replication and
generation, written plainly), the limit the simulator is held to; that table is stored in
``benchmarks/results/simulate_gaussian.txt``.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_simulate.py [--repeats 5] [--n-jobs 2]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    import synthloop  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthloop.schedules import check_schedule
from synthloop.simulate import simulate_categorical, simulate_gaussian
from synthloop.theory import (
    drift_l1_bound,
    drift_l2_squared,
    expected_collapse_time,
    partially_synthetic_collision,
)

SCHEDULES = ["constant", "linear", "polynomial:1.5", "polynomial:2"]
DDOFS = [1, 0]
T_GRID = [100, 200, 300, 400, 500]
N0 = 100
REPS = 10_000
ROW_BUDGET = 10_000_000  # rows per naive measurement


def _timed(func):
    t = time.perf_counter()
    out = func()
    return time.perf_counter() - t, out


def _fmt(ts):
    ts = np.asarray(ts)
    return f"{np.median(ts):8.3f} s [{ts.min():.3f}, {ts.max():.3f}]"


# -- naive anchors ---------------------------------------------------------
def naive_gaussian(sizes, ddof, n_reps, rng, chunk=2**22):
    """Draw n_t rows per replication and generation; return final (mean, var)."""
    m = np.zeros(n_reps)
    sd = np.ones(n_reps)
    v = np.ones(n_reps)
    for n in sizes:
        n = int(n)
        step = max(1, chunk // n)
        for a in range(0, n_reps, step):
            b = min(n_reps, a + step)
            x = rng.standard_normal((b - a, n))
            x *= sd[a:b, None]
            x += m[a:b, None]
            m[a:b] = x.mean(axis=1)
            v[a:b] = x.var(axis=1, ddof=ddof)
        sd = np.sqrt(v)
    return m, v


def naive_categorical_fully(p, n, n_reps, max_generations, rng):
    """Draw the n tokens of each generation (inverse CDF, vectorised); stop when all collapsed.

    Returns (generations run, tokens drawn).
    """
    s = p.size
    q = np.tile(p, (n_reps, 1))
    offsets = np.arange(n_reps)[:, None]
    tokens = 0
    for g in range(max_generations + 1):
        cdf = np.cumsum(q, axis=1)
        cdf[:, -1] = 1.0
        flat = (cdf + offsets).ravel()
        u = rng.random((n_reps, n)) + offsets
        idx = np.minimum(np.searchsorted(flat, u.ravel(), side="right"), n_reps * s - 1)
        counts = np.bincount(idx, minlength=n_reps * s).reshape(n_reps, s)
        tokens += n_reps * n
        q = counts / n
        if np.all(q.max(axis=1) >= 1.0):
            return g, tokens
    return max_generations, tokens


def naive_categorical_partial(p, N, n, T, n_reps, rng):
    s = p.size
    offsets = np.arange(n_reps)[:, None]

    def draw(q, k):
        cdf = np.cumsum(q, axis=1)
        cdf[:, -1] = 1.0
        flat = (cdf + offsets).ravel()
        u = rng.random((n_reps, k)) + offsets
        idx = np.minimum(np.searchsorted(flat, u.ravel(), side="right"), n_reps * s - 1)
        return np.bincount(idx, minlength=n_reps * s).reshape(n_reps, s)

    c_R = draw(np.tile(p, (n_reps, 1)), N)
    q = c_R / N
    for _ in range(T):
        q = (c_R + draw(q, n)) / (N + n)
    return q


# -- [A] Figure 3 ----------------------------------------------------------
def plain_gaussian(sizes, ddof, n_reps, rng):
    """The replace-pool recursion written plainly, single-threaded: the limit synthloop is held to.

    One normal and one chi-square variate per replication and generation, a
    loop over generations vectorised over replications, every generation's
    (mean, variance) kept as ``simulate_gaussian`` keeps them.
    """
    n = sizes.astype(np.float64)
    means = np.empty((n.size, n_reps))
    variances = np.empty((n.size, n_reps))
    m, v = np.zeros(n_reps), np.ones(n_reps)
    for t in range(n.size):
        z = rng.standard_normal(n_reps)
        w = rng.standard_gamma((n[t] - 1) / 2, n_reps) * (2 / (n[t] - ddof))
        m = m + np.sqrt(v) * z / np.sqrt(n[t])
        v = v * w
        means[t], variances[t] = m, v
    return means, variances


def _grid(n_jobs):
    """The Figure-3 grid: the 8 ``simulate_gaussian`` runs, and their summaries at T_GRID (the table).

    Returns the seconds of both and the tables, with a hash of the simulated
    paths instead of the paths (1.3 GB held between runs made the next run
    wait for the kernel to find memory).
    """
    start = time.perf_counter()
    sims = {(name, d): simulate_gaussian(max(T_GRID), schedule=name, n0=N0, ddof=d, n_reps=REPS, n_jobs=n_jobs,
                                         random_state=2024 + d) for name in SCHEDULES for d in DDOFS}
    simulated = time.perf_counter()
    tables = {key: sim.summary(eps=0.05, generations=T_GRID) for key, sim in sims.items()}
    done = time.perf_counter()
    digest = hashlib.sha256()
    for sim in sims.values():
        digest.update(sim.means.tobytes())
        digest.update(sim.variances.tobytes())
    return simulated - start, done - start, digest.hexdigest(), tables


def _plain_grid(rng):
    start = time.perf_counter()
    for name in SCHEDULES:
        sizes = check_schedule(name).sizes(max(T_GRID), N0)
        for d in DDOFS:
            plain_gaussian(sizes, d, REPS, rng)
    return time.perf_counter() - start


def _grid_child(what):
    """Time one grid in this process after an untimed one; print a JSON line."""
    kind, arg = what.split(":")
    if kind == "plain":
        _plain_grid(np.random.default_rng(int(arg)))
        print(json.dumps({"simulate": _plain_grid(np.random.default_rng(int(arg)))}))
        return
    _grid(int(arg))
    sim_s, grid_s, digest, _ = _grid(int(arg))
    print(json.dumps({"simulate": sim_s, "grid": grid_s, "digest": digest}))


def _in_child(what):
    out = subprocess.run([sys.executable, __file__, "--grid-child", what], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_gaussian(repeats, n_jobs, out=None):
    print("=" * 100)
    print(f"[A] Figure 3: Gaussian, n0={N0}, T=500 (read at {T_GRID}), {REPS} reps, ddof {DDOFS}")
    plans = {}
    for name in SCHEDULES:
        sizes = check_schedule(name).sizes(max(T_GRID), N0)
        full_rows = REPS * int(sizes.sum(dtype=np.float64)) * len(DDOFS)
        # largest (reps, T) within the row budget, reps <= 1000
        R = 1000
        cum = np.cumsum(sizes.astype(np.float64))
        T_meas = int(np.searchsorted(cum * R, ROW_BUDGET, side="right")) - 1
        while T_meas < 1 and R > 10:
            R //= 2
            T_meas = int(np.searchsorted(cum * R, ROW_BUDGET, side="right")) - 1
        T_meas = min(max(T_meas, 1), max(T_GRID))
        meas_rows = R * int(cum[T_meas])
        plans[name] = dict(sizes=sizes, full_rows=full_rows, R=R, T_meas=T_meas, meas_rows=meas_rows)

    # Each timed grid in a fresh process (the memory a previous grid leaves to the kernel slowed the next
    # one by up to 40% in one process), alternating: synthloop single-threaded, with n_jobs, the plain loop.
    jobs = [1, n_jobs] if n_jobs != 1 else [1]
    t_sim = {j: [] for j in jobs}   # the 8 simulate_gaussian runs
    t_grid = {j: [] for j in jobs}  # and their summaries
    t_plain, per_row = [], []
    digests = set()
    for rep in range(repeats):
        for j in jobs if rep % 2 == 0 else jobs[::-1]:
            res = _in_child(f"synthloop:{j}")
            t_sim[j].append(res["simulate"])
            t_grid[j].append(res["grid"])
            digests.add(res["digest"])
        t_plain.append(_in_child(f"plain:{rep}")["simulate"])
        # the naive row-drawing anchor, per row, on the sub-grid each schedule affords
        rng = np.random.default_rng(rep)
        per_row.append({name: _timed(lambda pl=pl: naive_gaussian(pl["sizes"][: pl["T_meas"] + 1], 1, pl["R"],
                                                                  rng))[0] / pl["meas_rows"]
                        for name, pl in plans.items()})
    naive_grid = np.array([sum(r[name] * plans[name]["full_rows"] for name in SCHEDULES) for r in per_row])

    lines = [f"[A] Figure-3 grid: simulate_gaussian(T={max(T_GRID)}, n0={N0}, n_reps={REPS}) for "
             f"{len(SCHEDULES)} schedules x ddof {DDOFS} ({len(SCHEDULES) * len(DDOFS)} runs); median [min, max] "
             f"of {repeats} runs, alternating, each in a fresh process after one untimed grid",
             f"  {'':44s} {'simulate [s]':>22s} {'+ summaries [s]':>22s} {'plain loop / this':>20s} "
             f"{'naive / this':>16s}"]
    for j in jobs:
        sim, grid = np.asarray(t_sim[j]), np.asarray(t_grid[j])
        plain = np.asarray(t_plain) / sim
        naive = naive_grid / sim
        lines.append(f"  {f'synthloop, n_jobs={j}':44s} {_fmt(sim):>22s} {_fmt(grid):>22s} "
                     f"{np.median(plain):8.2f} [{plain.min():.2f}, {plain.max():.2f}] "
                     f"{np.median(naive):8.3g} [{naive.min():.3g}, {naive.max():.3g}]")
    lines.append(f"  {'plain single-threaded sufficient-statistic loop':44s} {_fmt(t_plain):>22s}")
    lines.append(f"  {'naive row-drawing loop (per-row cost x rows)':44s} {np.median(naive_grid):13.3g} s")
    if len(jobs) > 1:
        lines.append(f"  n_jobs=1 and n_jobs={n_jobs}: {'bitwise equal' if len(digests) == 1 else 'DIFFERENT'} "
                     "means and variances")
    lines.append("  goal: simulate under 1.6 s single-threaded and under 0.8 s with n_jobs=2; the naive anchor was "
                 "timed per row on a sub-grid and extrapolated (the full grids are 1e9+ rows)")
    print("\n".join(lines))
    if out is not None:
        Path(out).write_text("\n".join(lines) + "\n")

    print("\n[A] Figure 3 table: % with sigma^2_T <= 0.05 (simulated | exact), max sigma^2_T, mean KL risk")
    last_tables = _grid(n_jobs)[3]
    table = []
    for name in SCHEDULES:
        for ddof in DDOFS:
            df = last_tables[name, ddof]
            for T in T_GRID:
                table.append({
                    "schedule": name, "ddof": int(ddof), "T": T,
                    "% <= 0.05 sim": round(100 * df.loc[T, "frac_collapsed"], 2),
                    "% <= 0.05 exact": round(100 * float(df.loc[T, "frac_collapsed_theory"]), 2),
                    "max var_T": f"{df.loc[T, 'var_max']:.4g}",
                    "median var_T": f"{df.loc[T, 'var_median']:.4g}",
                    "mean KL": f"{df.loc[T, 'kl_mean']:.4g}",
                })
    with pd.option_context("display.width", 250, "display.max_rows", 100):
        print(pd.DataFrame(table).to_string(index=False))


# -- [B] Figures 2 and 3 ---------------------------------------------------
def _p_support(s, support, S0):
    """p on `support` of `s` tokens, geometric weights tuned so sum p^2 = S0."""
    lo, hi = 0.0, 50.0
    i = np.arange(support)
    for _ in range(200):
        lam = (lo + hi) / 2
        w = np.exp(-lam * i / support)
        w /= w.sum()
        if (w**2).sum() < S0:
            lo = lam
        else:
            hi = lam
    p = np.zeros(s)
    p[:support] = w
    return p


def bench_categorical(repeats, n_jobs):
    s = 600
    ps = {
        "uniform s=600": np.full(s, 1 / s),
        "support 52, S0=0.1": _p_support(s, 52, 0.1),
        "Zipf s=600": (lambda w: w / w.sum())(1.0 / np.arange(1, s + 1)),
    }
    ns = [10, 50, 100, 150, 200, 250, 300, 350, 400]
    R = 100
    print("\n" + "=" * 100)
    print(f"[B] Figure 2: fully synthetic, s={s}, n in {ns}, {R} runs, until all collapse "
          "(cap 40 n generations)")

    def run_grid():
        out = {}
        for pname, p in ps.items():
            for n in ns:
                out[pname, n] = simulate_categorical(p, 40 * n, schedule=f"constant:{n}",
                                                     n_reps=R, n_jobs=n_jobs, random_state=n)
        return out

    # naive anchor: one cell timed fully; per-token cost extrapolated to the grid
    naive_cell = ("support 52, S0=0.1", 100)
    t_syn, t_naive, naive_tokens = [], [], None
    for rep in range(repeats):
        dt, grid = _timed(run_grid)
        t_syn.append(dt)
        p = ps[naive_cell[0]]
        rng = np.random.default_rng(rep)
        dt, (g, tok) = _timed(lambda: naive_categorical_fully(p, naive_cell[1], R, 40 * naive_cell[1], rng))
        t_naive.append(dt)
        naive_tokens = tok
    grid_tokens = sum(R * n * (int(sim.collapse_time.max()) + 1) for (_, n), sim in grid.items())
    per_tok = np.asarray(t_naive) / naive_tokens
    naive_grid = per_tok * grid_tokens
    ratio = naive_grid / np.asarray(t_syn)
    rows = []
    for (pname, n), sim in grid.items():
        cs = sim.collapse_summary()
        rows.append({
            "p": pname, "n": n, "collapsed": cs["frac_collapsed"],
            "mean T (sim)": round(cs["mean"], 1), "se": round(cs["se"], 1),
            "Wright-Fisher": round(float(expected_collapse_time(ps[pname], n)), 1),
            "Thm1 lower": round(cs["theory_lower"], 1), "Thm1 upper": round(cs["theory_upper"], 1),
        })
    with pd.option_context("display.width", 250, "display.max_rows", 100):
        print(pd.DataFrame(rows).to_string(index=False))
    print(f"synthloop grid ({len(grid)} cells): {_fmt(t_syn)}")
    print(f"naive token-level anchor measured on cell {naive_cell} ({naive_tokens:.3g} tokens): "
          f"{_fmt(t_naive)}; extrapolated to the grid's {grid_tokens:.3g} tokens: "
          f"{np.median(naive_grid):.3g} s; ratio {np.median(ratio):.3g} "
          f"[{ratio.min():.3g}, {ratio.max():.3g}]")

    # Figure 3: partially synthetic
    N, T = 100, 50
    nb = [1, 10, 50, 100, 500]
    p = ps["support 52, S0=0.1"]
    S0 = float(np.sum(p**2))
    print("\n" + "=" * 100)
    print(f"[B] Figure 3: partially synthetic, N={N}, n in {nb}, {T} generations, {R} runs, "
          f"s={s}, support 52, S0={S0:.3f}")

    def run_partial():
        return {n: simulate_categorical(p, T, schedule=f"constant:{n}", n_real=N, pool="augment",
                                        n_reps=R, n_jobs=n_jobs, random_state=n) for n in nb}

    t_syn2, t_naive2 = [], []
    for rep in range(repeats):
        dt, part = _timed(run_partial)
        t_syn2.append(dt)
        rng = np.random.default_rng(rep)
        dt, _ = _timed(lambda: [naive_categorical_partial(p, N, n, T, R, rng) for n in nb])
        t_naive2.append(dt)
    rows = []
    for n, sim in part.items():
        df = sim.summary(generations=[1, 10, T])
        for g in [1, 10, T]:
            rows.append({
                "n": n, "generation": g,
                "sigma sim": round(df.loc[g, "collision_mean"], 5),
                "sigma Thm2": round(float(partially_synthetic_collision(g, N, n, S0)), 5),
                "L1 drift sim": round(df.loc[g, "drift_l1_mean"], 4),
                "L2^2 drift sim": f"{df.loc[g, 'drift_l2sq_mean']:.3g}",
                "L2^2 drift exact": f"{float(drift_l2_squared(g, N, n, S0)):.3g}",
                "Thm3 L1 bound": f"{float(drift_l1_bound(N, n, s)):.3g}",
            })
    with pd.option_context("display.width", 250, "display.max_rows", 100):
        print(pd.DataFrame(rows).to_string(index=False))
    r2 = np.asarray(t_naive2) / np.asarray(t_syn2)
    print(f"synthloop: {_fmt(t_syn2)}; naive token-level (measured, full grid): {_fmt(t_naive2)}; "
          f"ratio {np.median(r2):.3g} [{r2.min():.3g}, {r2.max():.3g}]")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--only", choices=["gaussian", "categorical"], default=None)
    ap.add_argument("--grid-child", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "simulate_gaussian.txt"),
                    help="where the [A] Figure-3 timing table is stored")
    args = ap.parse_args(argv)
    if args.grid_child:
        return _grid_child(args.grid_child)
    if args.only in (None, "gaussian"):
        bench_gaussian(args.repeats, args.n_jobs, args.out)
    if args.only in (None, "categorical"):
        bench_categorical(args.repeats, args.n_jobs)


if __name__ == "__main__":
    main()
