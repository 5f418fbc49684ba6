"""run_study: resumable, atomic, invariant to n_jobs and backend, refuses to mix configs."""

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import synthloop.study._store as store_module
from synthloop.study import (StoreMismatchError, StoreWriteError, load_config, make_report, read_results,
                             run_study)
from synthloop.study._run import TIMING_COLUMNS


def _stored(cells):
    return [p for p in cells.glob("*.parquet") if not p.name.startswith(".tmp-")] if cells.is_dir() else []


def _canonical(frame):
    frame = frame.drop(columns=[c for c in TIMING_COLUMNS if c in frame.columns])
    return frame.sort_values(["cell_id", "generation"]).reset_index(drop=True)


def test_resume_skips_finished_cells(gaussian_cfg, tmp_path):
    first = run_study(gaussian_cfg, tmp_path, progress=False)
    assert first["n_run"] == first["n_cells"] == 8
    again = run_study(gaussian_cfg, tmp_path, progress=False)
    assert again["n_run"] == 0 and again["n_skipped"] == 8
    results, meta = read_results(tmp_path)
    assert len(results) == 16 and (results["config_hash"] == load_config(gaussian_cfg).hash).all()
    assert {"version:synthloop", "version:numpy", "version:scikit_learn"} <= set(results.columns)


def test_results_do_not_depend_on_n_jobs(gaussian_cfg, tmp_path):
    run_study(gaussian_cfg, tmp_path / "one", n_jobs=1, progress=False)
    run_study(gaussian_cfg, tmp_path / "two", n_jobs=2, progress=False)
    a, _ = read_results(tmp_path / "one")
    b, _ = read_results(tmp_path / "two")
    pd.testing.assert_frame_equal(_canonical(a), _canonical(b))


def test_different_config_is_refused(gaussian_cfg, tmp_path):
    run_study(gaussian_cfg, tmp_path, progress=False)
    before = sorted(p.name for p in (tmp_path / "cells").iterdir())
    gaussian_cfg["n_reps"] = 200
    with pytest.raises(StoreMismatchError, match=r"holds study 'tiny' with config hash \w+, but this config "
                                                 r"\('tiny'\) hashes to \w+; refusing to mix"):
        run_study(gaussian_cfg, tmp_path, progress=False)
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == before


def test_non_results_directory_is_refused(gaussian_cfg, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreMismatchError, match="is not empty and holds no study.json"):
        run_study(gaussian_cfg, tmp_path, progress=False)


def test_full_disk_keeps_store_readable(gaussian_cfg, tmp_path, monkeypatch):
    real_write = store_module._write_parquet
    calls = {"n": 0}

    def flaky(frame, path):
        calls["n"] += 1
        if calls["n"] == 4:
            tmp = path.with_name(".tmp-partial-" + path.name)
            tmp.write_bytes(b"PAR1 half a file")  # what a full disk leaves behind
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(frame, path)

    monkeypatch.setattr(store_module, "_write_parquet", flaky)
    with pytest.raises(StoreWriteError, match=r"could not write cell .* the disk is full\. The 3 cells already "
                                              r"stored are intact"):
        run_study(gaussian_cfg, tmp_path, progress=False)
    results, _ = read_results(tmp_path)  # readable: the partial file is ignored
    assert results["cell_id"].nunique() == 3
    monkeypatch.setattr(store_module, "_write_parquet", real_write)
    info = run_study(gaussian_cfg, tmp_path, progress=False)
    assert info["n_run"] == 5 and not list((tmp_path / "cells").glob(".tmp-*"))


def test_sigkill_then_resume_equals_clean_run(tmp_path):
    cfg = tmp_path / "study.toml"
    cfg.write_text(textwrap.dedent("""\
        name = "killme"
        kind = "gaussian"
        seeds = [0, 1, 2, 3]
        n0 = 100
        n_reps = 10000
        generations = [100, 200]
        schedules = ["constant", "linear"]
        ddofs = [1]
        """))
    out = tmp_path / "killed"
    script = f"from synthloop.study import run_study; run_study({str(cfg)!r}, {str(out)!r}, progress=False)"
    proc = subprocess.Popen([sys.executable, "-c", script])
    cells = out / "cells"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(_stored(cells)) >= 2:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be killed; make its cells slower"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    stored = len(_stored(cells))
    assert 2 <= stored < 8
    info = run_study(cfg, out, progress=False)
    assert info["n_skipped"] == stored and info["n_run"] == 8 - stored
    run_study(cfg, tmp_path / "clean", progress=False)
    a, _ = read_results(out)
    b, _ = read_results(tmp_path / "clean")
    pd.testing.assert_frame_equal(_canonical(a), _canonical(b))


def test_dask_local_cluster_equals_loky(gaussian_cfg, tmp_path):
    pytest.importorskip("distributed")
    run_study(gaussian_cfg, tmp_path / "loky", n_jobs=2, progress=False)
    run_study(gaussian_cfg, tmp_path / "dask", n_jobs=2, backend="dask", progress=False)
    a, _ = read_results(tmp_path / "loky")
    b, _ = read_results(tmp_path / "dask")
    pd.testing.assert_frame_equal(_canonical(a), _canonical(b))


def test_recursive_study_and_report(recursive_cfg, tmp_path):
    info = run_study(recursive_cfg, tmp_path / "res", progress=False)
    assert info["n_run"] == 8
    results, _ = read_results(tmp_path / "res")
    assert set(results["generation"]) == {0, 1, 2}
    assert {"synthetic:logistic_regression:roc_auc", "real:logistic_regression:roc_auc",
            "var_ratio_median", "l1_mean", "rows_generated"} <= set(results.columns)
    # common random numbers: every schedule and pool starts from the same generation-0 fit
    g0 = results[(results["generation"] == 0) & (results["generator"] == "mvn")]
    assert g0["synthetic:logistic_regression:roc_auc"].nunique() == 1
    last = results[results["generation"] == 2].set_index(["generator", "schedule", "pool"])["rows_generated"]
    assert last[("mvn", "constant", "replace")] * 3 == last[("mvn", "linear", "replace")] * 2  # 2n vs n + 2n
    index = make_report(tmp_path / "res", tmp_path / "report")
    page = index.read_text()
    assert "Verdicts" in page and "TRTR" in page and "collapse_adult.png" in page
    assert (tmp_path / "report" / "collapse_adult.png").stat().st_size > 1000


def test_sdv_synthesizers_beside_the_copula_in_one_config(tmp_path):
    pytest.importorskip("sdv")
    config = tmp_path / "benchmark.toml"
    config.write_text(textwrap.dedent("""
        name = "copula-vs-ctgan"
        kind = "recursive"
        seeds = [0]
        n_generations = 1
        schedules = ["constant"]
        pools = ["replace"]

        [[datasets]]
        name = "adult"
        bundled = "adult"
        target = "income"
        n_rows = 200

        [generators.copula]
        model = "copula"

        [generators.ctgan]
        model = "sdv"
        params = { synthesizer = "ctgan", epochs = 1 }

        [evaluation]
        estimators = ["logistic_regression"]
        metrics = ["roc_auc"]
    """))
    info = run_study(config, tmp_path / "res", progress=False)
    assert info["n_run"] == 2
    results, meta = read_results(tmp_path / "res")
    assert meta["config"]["generators"]["ctgan"]["params"] == {"synthesizer": "ctgan", "epochs": 1}
    scores = results.set_index(["generator", "generation"])["synthetic:logistic_regression:roc_auc"]
    assert set(scores.index) == {("copula", 0), ("copula", 1), ("ctgan", 0), ("ctgan", 1)}
    assert scores.between(0, 1).all()


def test_unreadable_csv_fails_before_any_cell(recursive_cfg, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\xff\xfe garbage\n\x00\x01")
    recursive_cfg["datasets"][0] = {"name": "mine", "path": str(bad), "target": "y"}
    with pytest.raises(ValueError, match=r"dataset 'mine': (cannot read .*bad\.csv|the target 'y' is not a column)"):
        run_study(recursive_cfg, tmp_path / "res", progress=False)
    assert not list((tmp_path / "res" / "cells").glob("*.parquet"))


@pytest.mark.parametrize("name, study, report", [("xu2025-fig3", "xu2025_gaussian", "xu2025-fig3"),
                                                  ("seddik2024-fig1", "seddik2024_categorical", "seddik2024_categorical")])
def test_bundled_reproductions_smoke_write_where_the_help_says(name, study, report, tmp_path, monkeypatch):
    from synthloop.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["reproduce", name, "--smoke", "--quiet"]) == 0
    rep = tmp_path / "reports" / f"{report}-smoke"
    assert list(rep.glob("*.png")) and (rep / "index.html").is_file()
    results, meta = read_results(tmp_path / "results" / f"{study}-smoke")
    assert meta["name"] == f"{study}-smoke" and len(results)


def test_dask_existing_scheduler_address(gaussian_cfg, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        info = run_study(gaussian_cfg, tmp_path / "dask", n_jobs=2, backend="dask",
                         scheduler=cluster.scheduler_address, progress=False)
    assert info["n_run"] == 8
    run_study(gaussian_cfg, tmp_path / "serial", progress=False)
    a, _ = read_results(tmp_path / "dask")
    b, _ = read_results(tmp_path / "serial")
    pd.testing.assert_frame_equal(_canonical(a), _canonical(b))


def test_scheduler_without_dask_backend_is_refused(gaussian_cfg, tmp_path):
    with pytest.raises(ValueError, match="a scheduler address needs backend='dask'"):
        run_study(gaussian_cfg, tmp_path, scheduler="tcp://127.0.0.1:1", progress=False)


def test_gaussian_cells_draw_independent_streams(gaussian_cfg):
    # One shared stream would give every schedule x ddof the same generation-0 fits: the comparisons with
    # the theory would be one check repeated, not independent ones.
    from synthloop.simulate import simulate_gaussian
    from synthloop.study._run import expand_cells

    cells = expand_cells(load_config(gaussian_cfg).data)
    assert len({c["cell_seed"] for c in cells}) == len(cells) == 8
    first = [simulate_gaussian(1, n0=50, n_reps=100, random_state=c["cell_seed"]).means[:, 0]
             for c in cells if c["seed"] == 0]
    assert not any(np.array_equal(a, b) for i, a in enumerate(first) for b in first[i + 1:])
    again = expand_cells(load_config({**gaussian_cfg, "schedules": ["linear"]}).data)
    assert {c["cell_seed"] for c in again} <= {c["cell_seed"] for c in cells}  # a cell's seed is its own


def test_a_warning_of_the_cells_is_shown_once_with_its_count(gaussian_cfg, tmp_path, monkeypatch):
    import warnings

    import synthloop.study._run as run_module
    from synthloop.exceptions import CopyWarning

    real = run_module.run_cell

    def warning_cell(cell, payload, data, meta):
        for _ in range(3):  # three times in each cell, as a generator fitted once per generation would
            warnings.warn("most rows are copies", CopyWarning)
        if cell["seed"] == gaussian_cfg["seeds"][0]:
            warnings.warn("only in the first seed's cells", UserWarning)
        return real(cell, payload, data, meta)

    monkeypatch.setattr(run_module, "run_cell", warning_cell)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = run_study(gaussian_cfg, tmp_path, progress=False)
    shown = sorted((w.category.__name__, str(w.message)) for w in caught)
    n = summary["n_run"]
    assert shown == [("CopyWarning", f"most rows are copies (in {n} of {n} cells)"),
                     ("UserWarning", f"only in the first seed's cells (in {n // 2} of {n} cells)")]
