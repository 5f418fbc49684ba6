"""Smoke versions of the experiments that run from a script: the same code on a few rows, in seconds."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"{name}_run", EXPERIMENTS / name / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seddik2024_text_smoke(tmp_path):
    # [B] Figure 5's two findings on 300 verses of the King James Bible, bigrams, 3 generations.
    text = _load("seddik2024_text")
    cfg, digest = text.load_config()
    cfg.update(n_verses=300, context_lengths=[1], n_generations=3)
    res = text.run(cfg, digest, tmp_path).set_index(["loop", "generation"])
    full, mixed, tenth = (res.loc[loop["name"]] for loop in cfg["loop"])
    assert (res.xs(0, level="generation")[["l1", "l2_squared"]] == 0).all().all()
    # fully synthetic: n-grams die every generation and the held-out perplexity grows
    assert np.all(np.diff(full["ngrams_alive"]) < 0) and full["perplexity"].iloc[-1] > 1.2 * full["perplexity"].iloc[0]
    # with the real rows kept nothing dies, and fewer synthetic rows drift less
    assert (mixed["ngrams_alive"] == mixed["ngrams_alive"].iloc[0]).all()
    assert tenth["l1"].iloc[-1] < mixed["l1"].iloc[-1] < full["l1"].iloc[-1]
    assert np.isfinite(res["perplexity"]).all() and (res["l2_squared_theory"] >= 0).all()
    text.report(cfg, tmp_path)
    assert (tmp_path / "figure.png").stat().st_size > 0


def test_he2025_golden_ratio_smoke(tmp_path):
    he = _load("he2025_golden_ratio")
    cfg, _ = he.load_config(smoke=True)
    table = he.categorical_table(cfg)
    cfg["categorical"]["n_generations"] = 3
    cell = he.run_cell(cfg, "categorical", table, None, 0.62, 0, 1)
    # generation 0 is the full table: no error; later generations refit 500 + 500 rows
    assert cell["loss"].iloc[0] == 0 and (cell["loss"].iloc[1:] > 0).all()
    assert cell["loss"].iloc[1:].mean() < 0.02  # about 3 V/n = 3 * 1.9 / 500 at most, far below a collapse


@pytest.mark.parametrize("loss, expected", [
    (lambda w: (w - 0.6) ** 2, 0.6),
    (lambda w: (w**2 + (1 - w) ** 2) / (w * (2 - w)), 0.618),
])
def test_he2025_best_w_is_the_minimiser_of_a_cubic_through_the_points(loss, expected):
    he = _load("he2025_golden_ratio")
    w = np.array([0.4, 0.5, 0.55, 0.6, 0.62, 0.65, 0.7, 0.75, 0.8, 0.84])
    assert he._best_w(w, loss(w), 0.4, 0.84) == pytest.approx(expected, abs=0.003)


def test_generators_adult_smoke(tmp_path):
    # issue 19's side-by-side study: synthloop's three generators on 400 Adult rows, generations 0 and 1
    pytest.importorskip("sdmetrics")
    study = _load("generators_adult")
    cfg, digest = study.load_config(smoke=True)
    study.run(cfg, digest, tmp_path / "results.csv")
    res = pd.read_csv(tmp_path / "results.csv")
    assert sorted(res["generator"].unique()) == ["categorical_chain", "copula", "tree_chain"]
    assert not res.duplicated(["cell_id", "generation"]).any() and set(res["generation"]) == {0, 1}
    assert res[list(study.METRICS)].notna().all().all() and (res["config_hash"] == digest).all()
    first = res[res["generation"] == 0].set_index("generator")
    # the categorical chain copies its training rows; the copula does not
    assert first.loc["categorical_chain", "copy_share"] > 0.9 and first.loc["copula", "copy_share"] < 0.05
    study.run(cfg, digest, tmp_path / "results.csv")  # every cell stored: nothing runs again
    assert len(pd.read_csv(tmp_path / "results.csv")) == len(res)
