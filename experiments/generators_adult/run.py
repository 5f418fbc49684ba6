"""Six generators on UCI Adult, each retrained on its own rows for a few replace generations (issue 19).

    OMP_NUM_THREADS=1 nice -n 19 /work/venv-argn/bin/python experiments/generators_adult/run.py            # all cells
    ... run.py --estimate sdv_ctgan argn    # one cell each (seed 0, generation 0 only), timed, nothing stored
    ... run.py --only argn --seeds 0        # some cells; cells already stored are skipped (resume)
    ... run.py --smoke                      # seconds, to /tmp/generators_adult_smoke
    PYTHONPATH=. python experiments/generators_adult/readme.py   # figure + README numbers from results.csv

It needs every generator's package in one environment: SDV and SDMetrics
(``pip install sdv==2.0.0 sdmetrics==0.32.0 && pip install 'pandas>=3.0,<3.2'``)
and the engine (``pip install 'synthloop[argn]'``, docs/generators_argn.rst).

Every (generator, seed) is one :class:`~synthloop.RecursiveSynthesizer` run on
Adult's 32,561 train rows (``pool="replace"``, constant schedule ``n`` = the
train rows, ``keep="all"``). Every fitted generation then draws ``n`` rows
with a seed derived from the generation's recorded seed; they are scored
against the real train rows with :func:`synthloop.fidelity_report` (SDMetrics
quality with its two parts, every pair's contingency similarity, the
discriminator AUC, the copy share) and by TSTR: the evaluator's
HistGradientBoosting classifier trained on them, its ROC AUC on Adult's test
split (16,281 rows). ``fit_seconds`` is the loop's fit of the generation,
``sample_seconds`` the timed draw of its ``n`` scored rows. Rows are appended
to ``results.csv`` cell by cell, with the config hash and the versions.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = HERE / "results.csv"
#: The metrics of a scored generation, in the order of the figure's panels.
METRICS = ("sdmetrics_quality", "pair_contingency_mean", "pair_contingency_min", "discriminator_auc", "tstr_auc",
           "copy_share", "seconds")


def load_config(smoke=False):
    raw = (HERE / "config.toml").read_bytes()
    cfg = tomllib.loads(raw.decode())
    over = cfg.pop("smoke")
    if smoke:
        keep = over.pop("generators")
        cfg["generators"] = {k: v for k, v in cfg["generators"].items() if k in keep}
        cfg.update(over)
    return cfg, hashlib.sha256(raw).hexdigest()[:12]


def tables(cfg):
    """``(train, test)``: Adult's train rows and its test split with the train rows' dtypes."""
    from synthloop.datasets import load_adult

    train = load_adult().frame
    test = load_adult(split="test").frame.astype(train.dtypes.to_dict())
    if "n_rows" in cfg:  # the smoke run
        train = train.sample(cfg["n_rows"], random_state=0).reset_index(drop=True)
        test = test.sample(cfg["n_rows"], random_state=0).reset_index(drop=True)
    return train, test


def make(spec):
    from synthloop.generators import make_generator

    params = dict(spec.get("params", {}))
    params.update({name: None for name in spec.get("none", ())})
    return make_generator(spec["model"], **params)


def versions():
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("synthloop", "numpy", "pandas", "scikit-learn", "torch", "sdv", "sdmetrics", "mostlyai-engine"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = ""
    return out


def tstr_auc(S, test, cfg, seed):
    """ROC AUC on the real test split of the evaluator's HistGradientBoosting trained on ``S``."""
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score

    from synthloop.evaluation._metrics import default_estimators

    target, pos = cfg["target"], cfg["positive"]
    model = clone(default_estimators("binary")["hist_gradient_boosting"]).set_params(random_state=seed)
    y = S[target].astype(str) == pos
    if y.nunique() < 2:  # a collapsed target: no ranking
        return float("nan")
    model.fit(S.drop(columns=target), y)
    return float(roc_auc_score(test[target].astype(str) == pos, model.predict_proba(test.drop(columns=target))[:, 1]))


def score(S, train, test, cfg, seed):
    from synthloop import fidelity_report

    report = fidelity_report(train, S, sdmetrics=True, random_state=seed)
    table = report[report["level"] == "table"].set_index("metric")["value"]
    return {"sdmetrics_quality": table["sdmetrics_quality_score"],
            "sdmetrics_shapes": table["sdmetrics_column_shapes"],
            "sdmetrics_pairs": table["sdmetrics_column_pair_trends"],
            "pair_contingency_mean": table["pair_contingency_mean"],
            "pair_contingency_min": table["pair_contingency_min"],
            "three_way_contingency": table["three_way_contingency"],
            "discriminator_auc": table["discriminator_auc"],
            "copy_share": table["copy_share"],
            "tstr_auc": tstr_auc(S, test, cfg, seed),
            "missing_cells": int(S.isna().sum().sum())}


def run_cell(cfg, name, seed, train, test, *, n_generations=None):
    """The rows of one (generator, seed): one per generation."""
    from synthloop import RecursiveSynthesizer
    from synthloop.utils import child_seeds

    spec = cfg["generators"][name]
    T = cfg["n_generations"] if n_generations is None else n_generations
    n = len(train)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDV's and the engine's chatter; the results are what counts
        rs = RecursiveSynthesizer(make(spec), n_generations=T, schedule=f"constant:{n}", pool=cfg["pool"],
                                  keep="all", random_state=seed).fit(train)
    rows = []
    for t, gen in zip(rs.kept_generations_, rs.generators_):
        h = rs.history_.iloc[t]
        sample_seed = int(child_seeds(int(h["seed"]), 1)[0])
        t1 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            S = gen.sample(n, random_state=sample_seed)
        sample_seconds = time.perf_counter() - t1
        row = {"cell_id": f"{name}-{seed}", "generator": name, "label": spec["label"], "seed": seed, "generation": t,
               "generation_seed": int(h["seed"]), "sample_seed": sample_seed, "n_train": int(h["n_train"]),
               "n_epochs": float(getattr(gen, "n_epochs_", np.nan)), "fit_seconds": float(h["fit_seconds"]),
               "sample_seconds": sample_seconds, "seconds": float(h["fit_seconds"]) + sample_seconds}
        t2 = time.perf_counter()
        row.update(score(S, train, test, cfg, sample_seed))
        row["score_seconds"] = time.perf_counter() - t2
        rows.append(row)
        print(f"{name} seed {seed} generation {t}: fit+sample {row['seconds']:.1f} s, scores {row['score_seconds']:.1f}"
              f" s, quality {row['sdmetrics_quality']:.3f}, TSTR {row['tstr_auc']:.3f}, discriminator "
              f"{row['discriminator_auc']:.3f} ({time.perf_counter() - t0:.0f} s into the cell)", flush=True)
    return rows


def _torch_threads(cfg):
    try:
        import torch
    except ImportError:  # only the neural generators need it
        return
    torch.set_num_threads(int(cfg["torch_threads"]))


def run(cfg, digest, out, *, only=None, seeds=None):
    _torch_threads(cfg)
    train, test = tables(cfg)
    done = set()
    if out.exists():
        stored = pd.read_csv(out)
        stale = stored[stored["config_hash"] != digest]
        if len(stale):
            raise SystemExit(f"{out} holds results of another config ({sorted(set(stale['config_hash']))}); move it "
                             "away to start again.")
        done = set(stored["cell_id"])
    meta = {"config_hash": digest, "load_average": os.getloadavg()[0], **{f"version:{k}": v
                                                                          for k, v in versions().items()}}
    # seed by seed, every generator within a seed: a run cut short leaves every generator with some seeds
    for seed in cfg["seeds"] if seeds is None else seeds:
        for name in cfg["generators"]:
            if (only and name not in only) or f"{name}-{seed}" in done:
                continue
            rows = pd.DataFrame(run_cell(cfg, name, seed, train, test)).assign(**meta)
            _append(rows, out)


def _append(rows, out):
    """Append a cell's rows; a lock lets two runs (``--seeds 0`` and ``--seeds 1``) share one file."""
    import fcntl

    with open(out, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        rows.to_csv(handle, header=handle.tell() == 0, index=False, float_format="%.10g")
        fcntl.flock(handle, fcntl.LOCK_UN)


def estimate(cfg, names):
    """One cell per generator (seed 0, generation 0 only): seconds of fit + sample and of the scores."""
    _torch_threads(cfg)
    train, test = tables(cfg)
    for name in names:
        (row,) = run_cell(cfg, name, cfg["seeds"][0], train, test, n_generations=0)
        print(f"ESTIMATE {name}: fit {row['fit_seconds']:.1f} s + sample {row['sample_seconds']:.1f} s, scores "
              f"{row['score_seconds']:.1f} s; the study runs {len(cfg['seeds']) * (cfg['n_generations'] + 1)} such "
              f"generations: ~{len(cfg['seeds']) * (cfg['n_generations'] + 1) * (row['seconds'] + row['score_seconds']) / 60:.0f} min",
              flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimate", nargs="+", metavar="GENERATOR", help="time one cell of each, store nothing")
    parser.add_argument("--only", nargs="+", metavar="GENERATOR", help="run these generators' cells only")
    parser.add_argument("--seeds", nargs="+", type=int, help="run these seeds only")
    parser.add_argument("--smoke", action="store_true", help="a small run into /tmp/generators_adult_smoke")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    config, digest = load_config(smoke=args.smoke)
    if args.estimate:
        estimate(config, args.estimate)
    else:
        target = Path("/tmp/generators_adult_smoke") if args.smoke else HERE
        target.mkdir(exist_ok=True)
        run(config, digest, target / "results.csv", only=args.only, seeds=args.seeds)
