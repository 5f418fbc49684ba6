"""The cells of a study: the grid of each kind, and the function that runs one cell.

Each kind provides ``expand(data) -> list of cells`` (dicts with a ``cell_id``
and the cell's parameters, seeds included), ``prepare(data, cells)`` run once in
the parent (loads the tables, so a bad path or unreadable CSV fails before any
work), and ``run(cell, payload) -> DataFrame``. A cell depends only on its own
parameters and recorded seeds, never on which worker runs it or when.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd

from ..exceptions import FailedScoresWarning
from ..utils._random import child_seed

__all__ = ["expand_cells", "prepare_payloads", "run_cell", "TIMING_COLUMNS"]

#: Columns that measure time: they differ between runs and are left out of equality checks.
TIMING_COLUMNS = ("fit_seconds", "sample_seconds", "cell_seconds")


def _child_seed(seed, *keys):
    # every key by its text (a generation index too), as the stored studies were seeded
    return child_seed(int(seed), *map(str, keys))


def _slug(text):
    return re.sub(r"[^A-Za-z0-9._=-]+", "-", str(text)).strip("-")


def _cell_id(*parts):
    return "__".join(_slug(p) for p in parts)


# ================================================================ recursive
def _expand_recursive(d):
    cells = []
    for ds in d["datasets"]:
        for gname in d["generators"]:
            for sched in d["schedules"]:
                for pool in d["pools"]:
                    for seed in d["seeds"]:
                        cells.append({
                            "cell_id": _cell_id(ds["name"], gname, sched, pool, f"seed{seed}"),
                            "dataset": ds["name"], "generator": gname, "schedule": sched, "pool": pool,
                            "seed": seed,
                            # Common random numbers: the subsample, split, generation-0 fit and
                            # estimator seeds depend on (seed, dataset) only, so schedules and
                            # pools are compared on the same real rows.
                            "subsample_seed": _child_seed(seed, ds["name"], "subsample"),
                            "split_seed": _child_seed(seed, ds["name"], "split"),
                            "synthesizer_seed": _child_seed(seed, ds["name"], "synthesizer"),
                            "sample_seed": _child_seed(seed, ds["name"], "sample"),
                            "evaluation_seed": _child_seed(seed, ds["name"], "evaluation"),
                        })
    return cells


def load_table(ds):
    """The full table of a dataset entry (bundled name or path), with clear errors."""
    from ..datasets import read_table

    frame = read_table(ds.get("bundled", ds.get("path")), what=f"dataset {ds['name']!r}")
    if ds["target"] not in frame.columns:
        raise ValueError(f"dataset {ds['name']!r}: the target {ds['target']!r} is not a column; columns are "
                         f"{list(frame.columns)[:20]}")
    frame = frame.dropna(subset=[ds["target"]]).reset_index(drop=True)
    if len(frame) < 20:
        raise ValueError(f"dataset {ds['name']!r} has {len(frame)} rows with a target; a study needs at least 20.")
    return frame


def _prepare_recursive(d, cells):
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
    from ..evaluation._metrics import default_estimators

    est = default_estimators(task)
    if names is None:
        return est
    aliases = {"logistic_regression": "ridge" if task == "regression" else "logistic_regression"}
    return {n: est[aliases.get(n, n)] for n in names}


def _run_recursive(cell, payload, d):
    from sklearn.model_selection import train_test_split

    import synthloop
    from ..evaluation import UtilityEvaluator
    from ..generators import make_generator

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
    frames = {str(g): rs.sample(len(train), generation=g, random_state=_child_seed(cell["sample_seed"], g))
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


# ================================================================= gaussian
def _expand_gaussian(d):
    # Each cell draws its own stream: cells sharing one would share their generation-0 fits, and the
    # comparisons with the theory across schedules and ddofs would not be independent checks.
    return [{"cell_id": _cell_id(sched, f"ddof{ddof}", f"seed{seed}"), "schedule": sched, "ddof": ddof,
             "seed": seed, "cell_seed": _child_seed(seed, "gaussian", sched, ddof)}
            for sched in d["schedules"] for ddof in d["ddofs"] for seed in d["seeds"]]


def _run_gaussian(cell, payload, d):
    from ..simulate import simulate_gaussian
    from ..theory import improvement_probability

    gens = sorted(d["generations"])
    mean, var = d.get("mean", 0.0), d.get("var", 1.0)
    sim = simulate_gaussian(max(gens), schedule=cell["schedule"], n0=d["n0"], mean=mean, var=var,
                            ddof=cell["ddof"], n_reps=d["n_reps"], random_state=cell["cell_seed"])
    summ = sim.summary(eps=d.get("eps", 0.05), generations=gens).reset_index()
    out = pd.DataFrame({k: v for k, v in cell.items()}, index=range(len(summ)))
    out = pd.concat([out, summ], axis=1)
    err = np.abs(sim.means - mean)
    out["improve"] = (err[:, gens] < err[:, [0]]).mean(axis=0)
    out["improve_theory"] = improvement_probability(sim.sizes)[gens]
    out["rows_generated"] = np.cumsum(sim.sizes[1:])[np.asarray(gens) - 1] if min(gens) > 0 else \
        [int(sim.sizes[1:g + 1].sum()) for g in gens]
    out["n_reps"] = d["n_reps"]
    return out


# ============================================================== categorical
def _expand_categorical(d):
    from ._categorical_cells import expand

    return expand(d, _cell_id, _child_seed)


def _run_categorical(cell, payload, d):
    from ._categorical_cells import run

    return run(cell, d)


_KINDS = {
    "recursive": (_expand_recursive, _prepare_recursive, _run_recursive),
    "gaussian": (_expand_gaussian, None, _run_gaussian),
    "categorical": (_expand_categorical, None, _run_categorical),
}


def expand_cells(data):
    """The list of cells of a validated config dict."""
    return _KINDS[data["kind"]][0](data)


def prepare_payloads(data, cells):
    """A function ``cell -> payload`` (data shipped to the worker); loads tables once."""
    prep = _KINDS[data["kind"]][1]
    return prep(data, cells) if prep is not None else (lambda cell: {})


def run_cell(cell, payload, data, meta):
    """Run one cell; return its rows with the config hash, versions and timing."""
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    # One thread per cell: cells are the unit of parallelism, and OpenMP pools
    # (HistGradientBoosting) spinning on a busy machine are many times slower.
    with threadpool_limits(1):
        out = _KINDS[data["kind"]][2](cell, payload, data)
    out["cell_seconds"] = time.perf_counter() - start
    out["config_hash"] = meta["config_hash"]
    for name, version in meta["versions"].items():
        out[f"version:{name}"] = version
    return out
