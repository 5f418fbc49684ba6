"""The ``kind = "recursive"`` study: RecursiveSynthesizer on real tables, scored downstream per generation.

One cell per dataset × generator × schedule × pool × seed: the generator is
fitted on the real training split (generation 0), retrained for
``n_generations`` generations as the schedule and pool say, and every
generation's samples are scored by TSTR against TRTR on held-out real rows;
the loop's collapse statistics (``history_``) are kept beside the scores. The
report section (verdicts, intervals, figures) is ``_recursive_report.py``,
which the experiments' README scripts also read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...datasets import BUNDLED
from ...exceptions import ConfigError, FailedScoresWarning
from ...generators import GENERATORS, generator_class
from .._schema import (any_table, error, integer, list_of, named_tables, number, pool_name, schedule_name, string,
                       suggest, table_of)
from ._base import StudyKind, cell_id, child_seed
from ._recursive_report import recursive_report

__all__ = ["KIND", "load_table", "generator_table"]

COLUMN_SETS = ("numeric", "categorical", "all")
_GENERATOR_NAMES = [alias for name, (_, aliases) in GENERATORS.items() for alias in (name, *aliases)]
ESTIMATORS = ("logistic_regression", "hist_gradient_boosting")


# ------------------------------------------------------------------ schema
def _dataset(v, where, source):
    schema = {
        "name": (string(), True),
        "bundled": (string(BUNDLED, "bundled dataset"), False),
        "path": (string(), False),
        "target": (string(), True),
        "n_rows": (integer(10), False),
        "test_size": (number(0, 1, open_lo=True, open_hi=True), False),
    }
    d = table_of(schema)(v, where, source)
    if ("bundled" in d) == ("path" in d):
        raise error(source, where, "give exactly one of 'bundled' (one of "
                    f"{list(BUNDLED)}) or 'path' (a .csv or .parquet file)")
    if "path" in d:
        p = Path(d["path"])
        if p.suffix.lower() not in (".csv", ".parquet"):
            raise error(source, f"{where}.path", f"expected a .csv or .parquet file, got {d['path']!r}")
        base = Path(source).parent if source != "<config>" else Path.cwd()
        full = p if p.is_absolute() else base / p
        if not full.is_file():
            raise error(source, f"{where}.path", f"dataset file {str(full)!r} does not exist")
        d["path"] = str(full.resolve())
    return d


def _generator_model(v, where, source):
    try:
        generator_class(v)
    except ValueError as exc:
        raise error(source, where, f"{exc}{suggest(v, list(_GENERATOR_NAMES)) if isinstance(v, str) else ''}") \
            from None
    return v


def _generator(v, where, source):
    d = table_of({
        "model": (_generator_model, True),
        "columns": (string(COLUMN_SETS, "column set"), False),
        "params": (any_table, False),
    })(v, where, source)
    d.setdefault("columns", "all")
    d.setdefault("params", {})
    cls = generator_class(d["model"])
    valid = sorted(k for k in cls().get_params() if k != "random_state")
    for key in d["params"]:
        if key not in valid:
            raise ConfigError(f"{source}: {where}.params: {cls.__name__} has no parameter {key!r}"
                              f"{suggest(key, valid)}; valid parameters are {valid}")
    try:  # the values too, as fit would check them, so a bad one fails before any cell runs
        cls(**d["params"])._validate_params()
    except (ValueError, TypeError) as exc:
        raise error(source, f"{where}.params", str(exc)) from None
    return d


SCHEMA = {
    "n_generations": (integer(0), True),
    "datasets": (list_of(_dataset, unique=False), True),
    "generators": (named_tables(_generator), True),
    "schedules": (list_of(schedule_name), True),
    "pools": (list_of(pool_name), True),
    "evaluation": (table_of({
        "estimators": (list_of(string(ESTIMATORS, "estimator")), False),
        "metrics": (list_of(string()), False),
    }), False),
}


def check(d, source):
    names = [ds["name"] for ds in d["datasets"]]
    if len(set(names)) != len(names):
        raise error(source, "datasets", f"dataset names must be unique, got {names}")


# ------------------------------------------------------------------- cells
def expand(d):
    cells = []
    for ds in d["datasets"]:
        for gname in d["generators"]:
            for sched in d["schedules"]:
                for pool in d["pools"]:
                    for seed in d["seeds"]:
                        cells.append({
                            "cell_id": cell_id(ds["name"], gname, sched, pool, f"seed{seed}"),
                            "dataset": ds["name"], "generator": gname, "schedule": sched, "pool": pool,
                            "seed": seed,
                            # Common random numbers: the subsample, split, generation-0 fit and
                            # estimator seeds depend on (seed, dataset) only, so schedules and
                            # pools are compared on the same real rows.
                            "subsample_seed": child_seed(seed, ds["name"], "subsample"),
                            "split_seed": child_seed(seed, ds["name"], "split"),
                            "synthesizer_seed": child_seed(seed, ds["name"], "synthesizer"),
                            "sample_seed": child_seed(seed, ds["name"], "sample"),
                            "evaluation_seed": child_seed(seed, ds["name"], "evaluation"),
                        })
    return cells


def load_table(ds):
    """The full table of a dataset entry (bundled name or path), with clear errors."""
    from ...datasets import read_table

    frame = read_table(ds.get("bundled", ds.get("path")), what=f"dataset {ds['name']!r}")
    if ds["target"] not in frame.columns:
        raise ValueError(f"dataset {ds['name']!r}: the target {ds['target']!r} is not a column; columns are "
                         f"{list(frame.columns)[:20]}")
    frame = frame.dropna(subset=[ds["target"]]).reset_index(drop=True)
    if len(frame) < 20:
        raise ValueError(f"dataset {ds['name']!r} has {len(frame)} rows with a target; a study needs at least 20.")
    return frame


def prepare(d, cells):
    """``{(dataset, seed): subsampled table}``: loaded once in the parent, shipped to workers."""
    tables = {ds["name"]: (ds, load_table(ds)) for ds in d["datasets"]}
    out = {}
    for cell in cells:
        key = (cell["dataset"], cell["seed"])
        if key in out:
            continue
        ds, frame = tables[cell["dataset"]]
        n = ds.get("n_rows")
        if n is not None and n < len(frame):
            rows = np.sort(np.random.default_rng(cell["subsample_seed"]).choice(len(frame), n, replace=False))
            frame = frame.iloc[rows].reset_index(drop=True)
        out[key] = frame
    return lambda cell: {"table": out[(cell["dataset"], cell["seed"])]}


def _is_numeric(s):
    return s.dtype.kind in "iuf" and not pd.api.types.is_bool_dtype(s.dtype)


def generator_table(frame, target, columns):
    """The columns a generator models, the target last (as integer codes for a numeric model)."""
    features = [c for c in frame.columns if c != target]
    if columns == "numeric":
        keep = [c for c in features if _is_numeric(frame[c])]
    elif columns == "categorical":
        keep = [c for c in features if not _is_numeric(frame[c])]
    else:
        keep = features
    table = frame[keep + [target]].copy()
    if columns == "numeric" and not _is_numeric(table[target]):
        codes = pd.Categorical(table[target]).codes.astype(np.int64)
        table[target] = codes
    return table


def _estimators(names, task):
    from ...evaluation._metrics import default_estimators

    est = default_estimators(task)
    if names is None:
        return est
    aliases = {"logistic_regression": "ridge" if task == "regression" else "logistic_regression"}
    return {n: est[aliases.get(n, n)] for n in names}


def run(cell, payload, d):
    from sklearn.model_selection import train_test_split

    import synthloop
    from ...evaluation import UtilityEvaluator
    from ...generators import make_generator

    ds = next(x for x in d["datasets"] if x["name"] == cell["dataset"])
    spec = d["generators"][cell["generator"]]
    target = ds["target"]
    table = generator_table(payload["table"], target, spec["columns"])
    y = table[target]
    stratify = None if (_is_numeric(y) and y.dtype.kind == "f") else y
    train, test = train_test_split(table, test_size=ds.get("test_size", 0.3), stratify=stratify,
                                   random_state=cell["split_seed"])
    train, test = train.reset_index(drop=True), test.reset_index(drop=True)
    generator = make_generator(spec["model"], **spec["params"])
    rs = synthloop.RecursiveSynthesizer(generator, n_generations=d["n_generations"], schedule=cell["schedule"],
                                        pool=cell["pool"], keep="all", random_state=cell["synthesizer_seed"])
    rs.fit(train)
    T = d["n_generations"]
    frames = {str(g): rs.sample(len(train), generation=g, random_state=child_seed(cell["sample_seed"], g))
              for g in range(T + 1)}
    ev_cfg = d.get("evaluation", {})
    task_probe = UtilityEvaluator(target)._real_target(pd.concat([train[target], test[target]]), "study")["task"]
    evaluator = UtilityEvaluator(target, estimators=_estimators(ev_cfg.get("estimators"), task_probe),
                                 scoring=ev_cfg.get("metrics"), n_repeats=1, fidelity=False,
                                 random_state=cell["evaluation_seed"])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FailedScoresWarning)  # failed scores stay in the results as NaN
        report = evaluator.evaluate_frames(train, test, frames)
    scores = report.scores
    wide = {}
    for (gen, est, metric, train_on), score in scores.set_index(
            ["generation", "estimator", "metric", "train_on"])["score"].items():
        if train_on == "real":
            for g in range(T + 1):
                wide.setdefault(g, {})[f"real:{est}:{metric}"] = score
        else:
            wide.setdefault(int(gen), {})[f"synthetic:{est}:{metric}"] = score
    hist = rs.history_.copy()
    out = pd.DataFrame({k: v for k, v in cell.items()}, index=range(len(hist)))
    out["generation"] = hist["generation"].to_numpy()
    out["n_rows_real_train"] = len(train)
    out["n_rows_real_test"] = len(test)
    out["task"] = report.task
    out["pos_label"] = str(report.pos_label)
    for col in ("n_synthetic", "n_real", "n_train", "seed_generation", "fit_seconds", "sample_seconds"):
        src = "seed" if col == "seed_generation" else col
        out[col] = hist[src].to_numpy()
    out["rows_generated"] = hist["n_synthetic"].cumsum().to_numpy()
    var = hist.filter(like="var_ratio[")
    coll = hist.filter(like="collision[")
    lev = hist.filter(like="levels[")
    l1 = hist.filter(like="l1[")
    out["var_ratio_median"] = var.median(axis=1).to_numpy() if var.shape[1] else np.nan
    out["var_ratio_min"] = var.min(axis=1).to_numpy() if var.shape[1] else np.nan
    out["collision_mean"] = coll.mean(axis=1).to_numpy() if coll.shape[1] else np.nan
    out["levels_total"] = lev.sum(axis=1).to_numpy() if lev.shape[1] else np.nan
    out["l1_mean"] = l1.mean(axis=1).to_numpy() if l1.shape[1] else np.nan
    score_cols = sorted({k for row in wide.values() for k in row})
    for col in score_cols:
        out[col] = [wide.get(g, {}).get(col, np.nan) for g in out["generation"]]
    detail = hist.drop(columns=[c for c in hist.columns if "[" not in c])
    return pd.concat([out, detail.add_prefix("history:")], axis=1)


def smoke(d):
    d["n_generations"] = min(d["n_generations"], 2)
    for ds in d["datasets"]:
        ds["n_rows"] = min(ds.get("n_rows", 300), 300)
    d["schedules"] = d["schedules"][:2]
    d["pools"] = d["pools"][:2]
    return (f"1 seed, {d['n_generations']} generation{'s' if d['n_generations'] != 1 else ''}, at most "
            f"{max(ds['n_rows'] for ds in d['datasets'])} rows per dataset")


def run_size(results):
    T = int(results["generation"].max())
    rows = ", ".join(f"{ds} {int(r):,} rows" for ds, r in
                     results.groupby("dataset", sort=False)["n_rows_real_train"].first().items())
    return f"{T} generation{'s' if T != 1 else ''} after generation 0, real train split: {rows}"


KIND = StudyKind("recursive", SCHEMA, expand=expand, run=run, smoke=smoke, run_size=run_size,
                 report=recursive_report, prepare=prepare, check=check)
