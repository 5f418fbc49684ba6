"""A study kind is one module plus one line in the registry: config loading, the runner and the report find
every kind there, so a kind registered from outside runs end to end."""

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthloop.study.kinds as kinds
from synthloop.study import ConfigError, load_config, make_report, read_results, run_study, smoke_config
from synthloop.study._schema import error, integer
from synthloop.study.kinds import KINDS, StudyKind
from synthloop.study.kinds._base import cell_id, child_seed


def _kind_modules():
    for path in sorted(Path(kinds.__file__).parent.glob("_*.py")):
        module = importlib.import_module(f"synthloop.study.kinds.{path.stem}")
        if hasattr(module, "KIND"):
            yield module


def test_each_kind_module_is_registered_once_under_its_name():
    modules = list(_kind_modules())
    assert [m.__name__.rsplit("._", 1)[1] for m in modules] == ["categorical", "gaussian", "recursive"]
    assert sorted(KINDS) == sorted(m.KIND.name for m in modules)
    for module in modules:
        assert KINDS[module.KIND.name] is module.KIND
        # the kind's cells, runner and report come from its own module, not from another kind's
        assert {f.__module__ for f in (module.KIND.expand, module.KIND.run, module.KIND.smoke)} == {module.__name__}


def test_unknown_kind_lists_the_registry(gaussian_cfg):
    with pytest.raises(ConfigError, match=r"unknown study kind 'gausian'; valid options are \['recursive', "
                                          r"'gaussian', 'categorical'\] \(did you mean 'gaussian'\?\)"):
        load_config({**gaussian_cfg, "kind": "gausian"})


# A kind of the test's own: `flips` fair coins per seed, a check across keys, a smoke cap and a report section.
def _expand(d):
    return [{"cell_id": cell_id("coins", f"seed{seed}"), "seed": seed, "cell_seed": child_seed(seed, "coins")}
            for seed in d["seeds"]]


def _run(cell, payload, d):
    heads = np.random.default_rng(cell["cell_seed"]).integers(0, 2, d["flips"])
    return pd.DataFrame({**cell, "generation": np.arange(d["flips"]), "heads": heads, "payload": payload["note"]})


def _prepare(d, cells):
    return lambda cell: {"note": f"prepared for {cell['cell_id']}"}


def _smoke(d):
    d["flips"] = min(d["flips"], 2)
    return f"1 seed, {d['flips']} flips"


def _check(d, source):
    if d["flips"] % 2:
        raise error(source, "flips", f"expected an even number of flips, got {d['flips']}")


def _report(results, config, report_dir, plt):
    return [f"<h2>Coins</h2><p>{int(results['heads'].sum())} heads in {len(results)} flips</p>"]


COINS = StudyKind("coins", {"flips": (integer(1), True)}, expand=_expand, run=_run, smoke=_smoke,
                  run_size=lambda results: f"{results['generation'].nunique()} flips per seed", report=_report,
                  prepare=_prepare, check=_check)


@pytest.fixture
def coins(monkeypatch):
    monkeypatch.setitem(KINDS, "coins", COINS)
    return {"name": "coins", "kind": "coins", "seeds": [0, 1], "flips": 8, "description": "Fair coins."}


def test_config_loading_dispatches_through_the_registry(coins):
    assert load_config(coins).kind == "coins"
    with pytest.raises(ConfigError, match=r"unknown key 'flip' \(did you mean 'flips'\?\); valid keys here are "
                                          r"\['description', 'flips', 'kind', 'name', 'seeds'\]"):
        load_config({**coins, "flip": 8})
    with pytest.raises(ConfigError, match=r"<config>: flips: expected an even number of flips, got 7"):
        load_config({**coins, "flips": 7})
    small = smoke_config(coins)
    assert (small.name, small.data["seeds"], small.data["flips"]) == ("coins-smoke", [0], 2)
    assert small.data["description"].startswith("Smoke run of coins (1 seed, 2 flips): ")


def test_a_registered_kind_runs_and_reports_end_to_end(coins, tmp_path):
    pytest.importorskip("matplotlib")
    info = run_study(coins, tmp_path / "res", progress=False)
    assert (info["n_cells"], info["n_run"]) == (2, 2)
    results, meta = read_results(tmp_path / "res")
    assert meta["kind"] == "coins"
    assert sorted(results["cell_id"].unique()) == ["coins__seed0", "coins__seed1"]
    assert set(results["payload"]) == {"prepared for coins__seed0", "prepared for coins__seed1"}
    seed1 = results[results["seed"] == 1].sort_values("generation")["heads"].to_numpy()
    np.testing.assert_array_equal(seed1, np.random.default_rng(child_seed(1, "coins")).integers(0, 2, 8))
    page = make_report(tmp_path / "res").read_text(encoding="utf-8")
    assert f"<h2>Coins</h2><p>{int(results['heads'].sum())} heads in 16 flips</p>" in page
    assert "This run: 2 seeds (0, 1), 8 flips per seed." in page
