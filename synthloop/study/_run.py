"""run_study: every missing cell of a config, in parallel, into the results store."""

from __future__ import annotations

import os
import time
import warnings

from ..utils._dask import dask_client
from ._config import load_config
from ._store import ResultsStore
from .kinds import KINDS

__all__ = ["run_study", "StudyRunError", "expand_cells", "prepare_payloads", "run_cell", "TIMING_COLUMNS"]

BACKENDS = ("loky", "dask")

#: Columns that measure time: they differ between runs and are left out of equality checks.
TIMING_COLUMNS = ("fit_seconds", "sample_seconds", "cell_seconds")


class StudyRunError(RuntimeError):
    """Some cells failed; the others are stored."""


def expand_cells(data):
    """The list of cells of a validated config dict."""
    return KINDS[data["kind"]].expand(data)


def prepare_payloads(data, cells):
    """A function ``cell -> payload`` (data shipped to the worker); loads tables once."""
    prepare = KINDS[data["kind"]].prepare
    return prepare(data, cells) if prepare is not None else (lambda cell: {})


def run_cell(cell, payload, data, meta):
    """Run one cell; return its rows with the config hash, versions and timing."""
    from ..utils._threads import one_native_thread

    start = time.perf_counter()
    # One thread per cell: cells are the unit of parallelism, and OpenMP pools
    # (HistGradientBoosting) spinning on a busy machine are many times slower.
    with one_native_thread():
        out = KINDS[data["kind"]].run(cell, payload, data)
    out["cell_seconds"] = time.perf_counter() - start
    out["config_hash"] = meta["config_hash"]
    for name, version in meta["versions"].items():
        out[f"version:{name}"] = version
    return out


def _safe_run(cell, payload, data, meta):
    """``(cell id, rows or None, error or None, the cell's distinct warnings as (category, message))``.

    The warnings are recorded instead of shown, so that the parent shows each once for the whole
    study (a warning of a generator, such as CopyWarning, would otherwise print once per cell and
    worker process).
    """
    with warnings.catch_warnings(record=True) as caught:
        try:
            rows, error = run_cell(cell, payload, data, meta), None
        except Exception as exc:  # noqa: BLE001 - reported per cell by the parent
            rows, error = None, f"{type(exc).__name__}: {exc}"
    distinct = list(dict.fromkeys((w.category, str(w.message)) for w in caught))
    return cell["cell_id"], rows, error, distinct


def _show_warnings(counts, n_cells):
    """Show each distinct warning of the cells once, with the number of cells that gave it."""
    for (category, message), k in counts.items():
        warnings.warn(f"{message} (in {k} of {n_cells} cells)", category, stacklevel=3)


def run_study(config, out_dir, *, n_jobs=None, backend="loky", scheduler=None, resume=True, progress=True):
    """Run every cell of a study that is not yet in ``out_dir``.

    Each cell (dataset × generator × schedule × pool × seed for a recursive
    study) runs with its own recorded seeds and is written to the results
    store as one Parquet file, atomically, as soon as it finishes. A run that
    is killed loses only the cells in flight; running again with
    ``resume=True`` runs only the missing ones, and the stored results equal
    those of a clean run. Results do not depend on ``n_jobs`` or ``backend``.

    Parameters
    ----------
    config : str, path, dict or StudyConfig
        See :func:`load_config`.
    out_dir : str or path
        The results directory. It is created, or must hold results of the
        same config (same hash): results of different configs are never mixed.
    n_jobs : int or None, default=None
        Cells run at once (loky processes, or Dask tasks in flight). None
        means 1; -1 all cores.
    backend : {"loky", "dask"}, default="loky"
        ``"dask"`` needs ``pip install synthloop[dask]``. With
        ``scheduler=None`` it starts an in-process local cluster (no worker processes).
    scheduler : str, distributed.Client or None, default=None
        With ``backend="dask"``: the address of an existing scheduler
        (``"tcp://10.0.0.5:8786"``) or a connected Client. The workers need
        synthloop installed; the cells' data travel with the tasks and only
        this process writes the results, so the workers need no shared disk.
    resume : bool, default=True
        Skip the cells already stored. False runs every cell again
        (overwriting each as it finishes).
    progress : bool, default=True
        Show a tqdm progress bar over cells with an ETA (on stderr).

    Returns
    -------
    dict
        ``{"out_dir", "config_hash", "n_cells", "n_run", "n_skipped"}``.

    Warns
    -----
    Each distinct warning the cells gave (a generator's CopyWarning, say),
    once for the run, with the number of cells that gave it.

    Raises
    ------
    ConfigError
        The config does not validate.
    StoreMismatchError
        ``out_dir`` holds results of another config.
    StoreWriteError
        A cell could not be written (e.g. the disk is full): the cells
        stored so far are intact.
    StudyRunError
        Some cells failed (their errors are listed); the others are stored.

    Examples
    --------
    >>> import tempfile
    >>> from synthloop.study import run_study
    >>> cfg = {"name": "demo", "kind": "gaussian", "seeds": [0, 1], "n0": 100, "n_reps": 200,
    ...        "generations": [10], "schedules": ["constant", "linear"], "ddofs": [1]}
    >>> out = tempfile.mkdtemp()
    >>> run_study(cfg, out, progress=False)["n_run"]
    4
    >>> run_study(cfg, out, progress=False)["n_skipped"]
    4
    """
    cfg = load_config(config)
    if backend not in BACKENDS:
        raise ValueError(f"run_study: backend must be one of {list(BACKENDS)}; got {backend!r}.")
    if scheduler is not None and backend != "dask":
        raise ValueError("run_study: a scheduler address needs backend='dask'.")
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0):
        raise ValueError(f"run_study: n_jobs must be a non-zero int or None; got {n_jobs!r}.")
    store = ResultsStore(out_dir, cfg)
    cells = expand_cells(cfg.data)
    done = store.done() if resume else set()
    todo = [c for c in cells if c["cell_id"] not in done]
    summary = {"out_dir": str(store.path), "config_hash": cfg.hash, "n_cells": len(cells),
               "n_run": len(todo), "n_skipped": len(cells) - len(todo)}
    if not todo:
        return summary
    payload_of = prepare_payloads(cfg.data, todo)
    meta = {"config_hash": cfg.hash, "versions": store.meta["versions"]}
    jobs = 1 if n_jobs is None else ((os.cpu_count() or 1) if n_jobs < 0 else n_jobs)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc=f"study {cfg.name}", unit="cell", disable=not progress, smoothing=0.1)
    failures, caught = [], {}
    try:
        for cell_id, frame, error, cell_warnings in _execute(todo, payload_of, cfg.data, meta, jobs, backend,
                                                             scheduler):
            for key in cell_warnings:
                caught[key] = caught.get(key, 0) + 1
            if error is not None:
                failures.append(f"{cell_id}: {error}")
            else:
                store.write(cell_id, frame)
            bar.update(1)
    finally:
        bar.close()
        _show_warnings(caught, len(todo))
    if failures:
        summary["n_run"] -= len(failures)
        shown = "; ".join(failures[:3]) + (f"; and {len(failures) - 3} more" if len(failures) > 3 else "")
        raise StudyRunError(f"{len(failures)} of {len(todo)} cells failed ({shown}); the other cells are stored "
                            f"in {str(store.path)!r}.")
    return summary


def _execute(cells, payload_of, data, meta, jobs, backend, scheduler):
    if backend == "dask":
        yield from _execute_dask(cells, payload_of, data, meta, jobs, scheduler)
        return
    if jobs == 1:
        for cell in cells:
            yield _safe_run(cell, payload_of(cell), data, meta)
        return
    from joblib import Parallel, delayed

    yield from Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")(
        delayed(_safe_run)(cell, payload_of(cell), data, meta) for cell in cells
    )


def _execute_dask(cells, payload_of, data, meta, jobs, scheduler):
    with dask_client(scheduler, jobs, "run_study") as client:
        from distributed import as_completed

        # Keep at most `jobs` cells in flight so a killed run loses no more than that.
        pending = list(reversed(cells))
        futures = as_completed()
        for _ in range(min(jobs, len(pending))):
            cell = pending.pop()
            futures.add(client.submit(_safe_run, cell, payload_of(cell), data, meta, pure=False))
        for fut in futures:
            yield fut.result()
            if pending:
                cell = pending.pop()
                futures.add(client.submit(_safe_run, cell, payload_of(cell), data, meta, pure=False))
