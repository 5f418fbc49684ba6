"""GaussianCopulaGenerator vs SDV 2.0 GaussianCopulaSynthesizer on UCI Adult.

Needs SDV, installed beside synthloop: ``pip install torch==2.13.0 sdv==2.0.0 sdmetrics==0.32.0 && pip install 'pandas>=3.0,<3.2'`` (SDV 2.0 declares ``pandas<3``; synthloop needs pandas 3, on which SDV's synthesizers run in our tests, so SDV is installed beside it rather than as an extra).

Prints, for the 32,561-row Adult training table (15 columns, 4,262 missing
cells): fit + sample time of each model (alternating runs in one process,
median of --repeats with min and max) and the ratios; the SDMetrics
QualityReport (column shapes, column pair trends) of one sample of each, and
the per-column shape scores; the number of missing cells sampled; and fit
time per row at 10k / 100k / 1M rows (Adult resampled with replacement).

Run: ``python benchmarks/bench_copula_vs_sdv.py [--repeats 5] [--no-scaling]``
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from synthloop import GaussianCopulaGenerator
from synthloop.datasets import load_adult


def _sdv_fit_sample(df, metadata, params, n):
    from sdv.single_table import GaussianCopulaSynthesizer

    synth = GaussianCopulaSynthesizer(metadata, **params)
    t0 = time.perf_counter()
    synth.fit({"t": df})
    t1 = time.perf_counter()
    out = synth.sample(n)
    t2 = time.perf_counter()
    return (out["t"] if isinstance(out, dict) else out), t1 - t0, t2 - t1


def _ours_fit_sample(df, n, seed):
    gen = GaussianCopulaGenerator(random_state=seed)
    t0 = time.perf_counter()
    gen.fit(df)
    t1 = time.perf_counter()
    out = gen.sample(n)
    t2 = time.perf_counter()
    return out, t1 - t0, t2 - t1


def _stat(xs):
    xs = np.asarray(xs)
    return f"{np.median(xs):8.3f} s ({xs.min():.3f}-{xs.max():.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-scaling", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    df = load_adult().frame
    n = len(df)
    metadata = Metadata.detect_from_dataframes({"t": df})
    table_md = metadata.get_table_metadata("t").to_dict()
    table_md = table_md.get("tables", {}).get("t", table_md)  # SDMetrics wants {"columns": ...}
    models = {
        "synthloop GaussianCopula": None,
        "SDV GaussianCopula (default beta)": {},
        "SDV GaussianCopula (norm)": {"default_distribution": "norm"},
    }
    times = {k: {"fit": [], "sample": [], "total": []} for k in models}
    samples = {}
    print(f"Adult: {n} rows x {df.shape[1]} columns, {int(df.isna().sum().sum())} missing cells")
    print(f"timing: alternating runs, {args.repeats} repeats\n")
    for r in range(args.repeats):
        for name, params in models.items():
            if params is None:
                S, tf, ts = _ours_fit_sample(df, n, r)
            else:
                S, tf, ts = _sdv_fit_sample(df, metadata, params, n)
            times[name]["fit"].append(tf)
            times[name]["sample"].append(ts)
            times[name]["total"].append(tf + ts)
            samples.setdefault(name, S)
    print(f"{'model':36s} {'fit':>26s} {'sample':>26s} {'fit + sample':>26s}")
    for name in models:
        t = times[name]
        print(f"{name:36s} {_stat(t['fit'])} {_stat(t['sample'])} {_stat(t['total'])}")
    ours = np.array(times["synthloop GaussianCopula"]["total"])
    for name in list(models)[1:]:
        theirs = np.array(times[name]["total"])
        ratios = theirs / ours  # paired by repeat (same alternation round)
        print(f"speed-up vs {name}: median {np.median(ratios):.0f}x "
              f"(min {ratios.min():.0f}x, max {ratios.max():.0f}x) on fit + sample")

    print("\nFidelity (SDMetrics 0.32 QualityReport on one sample of 32,561 rows each)")
    per_column = {}
    rows = []
    for name, S in samples.items():
        report = QualityReport()
        report.generate(df, S, table_md, verbose=False)
        props = report.get_properties().set_index("Property")["Score"]
        shapes = report.get_details("Column Shapes").set_index("Column")["Score"]
        per_column[name] = shapes
        rows.append((name, report.get_score(), props["Column Shapes"], props["Column Pair Trends"],
                     int(S.isna().sum().sum())))
    print(f"{'model':36s} {'overall':>8s} {'shapes':>8s} {'pairs':>8s} {'missing cells':>14s}")
    for name, overall, shp, pairs, miss in rows:
        print(f"{name:36s} {overall:8.4f} {shp:8.4f} {pairs:8.4f} {miss:8d} / {int(df.isna().sum().sum())}")
    table = pd.DataFrame(per_column)
    table["ours - SDV default"] = table.iloc[:, 0] - table.iloc[:, 1]
    print("\nper-column shape score (KSComplement / TVComplement)")
    print(table.round(4).to_string())
    print(f"worst column vs SDV default: {table['ours - SDV default'].min():+.4f}")

    if args.no_scaling:
        return
    print("\nFit time vs rows (Adult resampled with replacement; median of 3 for ours, 1 run for SDV)")
    rng = np.random.default_rng(0)
    print(f"{'rows':>9s} {'synthloop fit':>14s} {'us/row':>8s} {'SDV norm fit':>13s} {'us/row':>8s}")
    for size in (10_000, 100_000, 1_000_000):
        big = df.iloc[rng.integers(0, n, size)].reset_index(drop=True)
        ts = []
        for r in range(3):
            t0 = time.perf_counter()
            GaussianCopulaGenerator(random_state=r).fit(big)
            ts.append(time.perf_counter() - t0)
        ours_t = float(np.median(ts))
        sdv_cell = f"{'-':>13s} {'-':>8s}"
        if size <= 100_000:
            from sdv.single_table import GaussianCopulaSynthesizer

            synth = GaussianCopulaSynthesizer(metadata, default_distribution="norm")
            t0 = time.perf_counter()
            synth.fit({"t": big})
            st = time.perf_counter() - t0
            sdv_cell = f"{st:11.2f} s {st / size * 1e6:8.1f}"
        print(f"{size:9d} {ours_t:12.3f} s {ours_t / size * 1e6:8.2f} {sdv_cell}")


if __name__ == "__main__":
    main()
