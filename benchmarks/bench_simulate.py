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
median with min and max is printed. Absolute times are machine noise; ratios matter.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [--repeats 5] [--n-jobs 2]``.
"""

from __future__ import annotations

import argparse
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
def bench_gaussian(repeats, n_jobs):
    print("=" * 100)
    print(f"[A] Figure 3: Gaussian, n0={N0}, T=500 (read at {T_GRID}), {REPS} reps, "
          f"ddof {DDOFS}, n_jobs={n_jobs}")
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
        plans[name] = dict(sizes=sizes, full_rows=full_rows, R=R, T_meas=T_meas,
                           meas_rows=meas_rows, full=(R == REPS and T_meas == max(T_GRID)))

    # Timed for synthloop: the two simulate_gaussian runs (ddof 1, 0) of a schedule, then
    # their summary at T_GRID, which is that schedule's part of the Figure-3 table
    # (simulated columns and the exact collapse probability beside them).
    t_syn = {k: [] for k in SCHEDULES}
    t_tab = {k: [] for k in SCHEDULES}
    c_syn = {k: [] for k in SCHEDULES}  # CPU time of the process, all threads
    t_naive = {k: [] for k in SCHEDULES}
    tables = {}
    for rep in range(repeats):
        for name in SCHEDULES:
            def run_syn():
                return [simulate_gaussian(max(T_GRID), schedule=name, n0=N0, ddof=d,
                                          n_reps=REPS, n_jobs=n_jobs, random_state=2024 + d)
                        for d in DDOFS]
            cpu = time.process_time()
            dt, sims = _timed(run_syn)
            t_syn[name].append(dt)
            dt, tables[name] = _timed(
                lambda sims=sims: [sim.summary(eps=0.05, generations=T_GRID) for sim in sims])
            t_tab[name].append(dt)
            c_syn[name].append(time.process_time() - cpu)
            del sims
            pl = plans[name]
            rng = np.random.default_rng(rep)
            dt, _ = _timed(lambda: naive_gaussian(pl["sizes"][: pl["T_meas"] + 1], 1, pl["R"], rng))
            t_naive[name].append(dt)

    rows = []
    total_sim = np.sum([t_syn[k] for k in SCHEDULES], axis=0)
    total_tab = np.sum([t_tab[k] for k in SCHEDULES], axis=0)
    for name in SCHEDULES:
        pl = plans[name]
        per_row = np.asarray(t_naive[name]) / pl["meas_rows"]
        naive_full = per_row * pl["full_rows"]
        ratio = naive_full / np.asarray(t_syn[name])
        rows.append({
            "schedule": name,
            "naive rows (grid)": f"{pl['full_rows']:.3g}",
            "naive measured on": f"{pl['R']} reps x T={pl['T_meas']} ({pl['meas_rows']:.2g} rows)",
            "naive measured [s]": f"{np.median(t_naive[name]):.3f}",
            "naive grid [s]": ("measured " if pl["full"] else "extrapolated ")
            + f"{np.median(naive_full):.3g}",
            "synthloop simulate [s]": f"{np.median(t_syn[name]):.3f} [{min(t_syn[name]):.3f}, {max(t_syn[name]):.3f}]",
            "ratio (median [min, max])": f"{np.median(ratio):.3g} [{ratio.min():.3g}, {ratio.max():.3g}]",
        })
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False))
    print(f"synthloop whole grid: {_fmt(total_sim + total_tab)}  (median [min, max] of {repeats})")
    print(f"  timed: simulate_gaussian(T={max(T_GRID)}, n0={N0}, n_reps={REPS}, n_jobs={n_jobs}) for "
          f"{len(SCHEDULES)} schedules x ddof {DDOFS} ({len(SCHEDULES) * len(DDOFS)} runs) "
          f"+ .summary(eps=0.05, generations={T_GRID}) of each run (the table below, with "
          "its exact column)")
    print(f"  of which simulate: {_fmt(total_sim)}; summaries: {_fmt(total_tab)}")
    total_cpu = np.sum([c_syn[k] for k in SCHEDULES], axis=0)
    print(f"  CPU time of the same (all threads): {_fmt(total_cpu)}; wall time near CPU time / "
          f"n_jobs means the cores were free, near CPU time that they were busy with other work")
    print("ratio = naive grid / synthloop simulate (same schedule, both ddofs). Naive grid times "
          "are per-row cost x rows; the naive anchor was timed on the sub-grid shown and "
          "extrapolated (none of the full grids is feasible: >= 1e9 rows).")

    print("\n[A] Figure 3 table: % with sigma^2_T <= 0.05 (simulated | exact), max sigma^2_T, mean KL risk")
    table = []
    for name in SCHEDULES:
        for ddof, df in zip(DDOFS, tables[name]):
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
    args = ap.parse_args(argv)
    if args.only in (None, "gaussian"):
        bench_gaussian(args.repeats, args.n_jobs)
    if args.only in (None, "categorical"):
        bench_categorical(args.repeats, args.n_jobs)


if __name__ == "__main__":
    main()
