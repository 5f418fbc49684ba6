"""Strict config validation: every error names the key and the valid options."""

import importlib.util
from pathlib import Path

import pytest

from synthloop.study import ConfigError, bundled_configs, load_config, smoke_config

ROOT = Path(__file__).resolve().parents[2]


def test_misspelt_key_suggests_close_match(gaussian_cfg):
    gaussian_cfg["n_rep"] = gaussian_cfg.pop("n_reps")
    with pytest.raises(ConfigError, match=r"unknown key 'n_rep' \(did you mean 'n_reps'\?\)"):
        load_config(gaussian_cfg)


def test_misspelt_nested_key(recursive_cfg):
    recursive_cfg["datasets"][0]["tagret"] = "income"
    with pytest.raises(ConfigError, match=r"unknown key 'datasets\[0\]\.tagret' \(did you mean 'target'\?\)"):
        load_config(recursive_cfg)


def test_unknown_generator_lists_options(recursive_cfg):
    recursive_cfg["generators"]["mvn"]["model"] = "gan"
    with pytest.raises(ConfigError, match=r"unknown generator 'gan'; known generators are 'copula' \(or "
                                          r"'gaussian_copula'\), 'mvn' \(or 'multivariate_normal'\), "
                                          r"'categorical', 'conditional', 'sdv'"):
        load_config(recursive_cfg)
    recursive_cfg["generators"]["mvn"]["model"] = "gausian_copula"
    with pytest.raises(ConfigError, match=r"\(did you mean 'gaussian_copula'\?\)"):
        load_config(recursive_cfg)


def test_generator_names_are_the_registry_s(recursive_cfg):
    # the command lines' names and the configs' older ones name the same classes
    from synthloop.generators import GENERATORS, generator_class

    for name, (cls, aliases) in GENERATORS.items():
        if name == "sdv" and importlib.util.find_spec("sdv") is None:  # its config checks SDV's parameters
            continue
        recursive_cfg["generators"]["mvn"] = {"model": name, "columns": "all"}
        load_config(recursive_cfg)
        assert all(generator_class(a) is generator_class(name) for a in aliases)
        assert generator_class(name).__name__ == cls


def test_unknown_generator_param(recursive_cfg):
    recursive_cfg["generators"]["categorical"]["params"] = {"structur": "chain"}
    with pytest.raises(ConfigError, match=r"CategoricalGenerator has no parameter 'structur' "
                                          r"\(did you mean 'structure'\?\)"):
        load_config(recursive_cfg)


def test_generator_param_values_are_checked_at_load(recursive_cfg):
    recursive_cfg["generators"]["categorical"]["params"] = {"structure": "tree"}
    with pytest.raises(ConfigError, match=r"generators\.categorical\.params: The 'structure' parameter of "
                                          r"CategoricalGenerator must be a str among"):
        load_config(recursive_cfg)


@pytest.mark.parametrize("params, message", [
    ({"synthesizer": "ctgan", "epoch": 5}, r"SDVGenerator has no parameter 'epoch' \(did you mean 'epochs'\?\)"),
    ({"synthesizer": "gan"}, r"The 'synthesizer' parameter of SDVGenerator must be a str among"),
    ({"epochs": 5}, r"epochs=5 was given, but GaussianCopulaSynthesizer does not train in epochs"),
    ({"synthesizer": "tvae", "synthesizer_params": {"batchsize": 10}},
     r"synthesizer_params has \['batchsize'\] which TVAESynthesizer does not take \(did you mean 'batch_size'"),
])
def test_sdv_params_are_checked_at_load(recursive_cfg, params, message):
    pytest.importorskip("sdv")
    recursive_cfg["generators"]["ctgan"] = {"model": "sdv", "params": params}
    with pytest.raises(ConfigError, match=r"generators\.ctgan\.params: .*" + message):
        load_config(recursive_cfg)


def test_unknown_schedule_lists_options(recursive_cfg):
    recursive_cfg["schedules"] = ["exponential"]
    with pytest.raises(ConfigError, match=r"schedules\[0\]: Unknown schedule 'exponential'; valid options are "
                                          r"\['constant', 'geometric', 'linear', 'polynomial'\]"):
        load_config(recursive_cfg)


def test_unknown_pool_lists_options(recursive_cfg):
    recursive_cfg["pools"] = ["replace", "recycle"]
    with pytest.raises(ConfigError, match=r"pools\[1\]: Unknown pool 'recycle'.*'replace', 'augment'"):
        load_config(recursive_cfg)


def test_missing_dataset_path(recursive_cfg, tmp_path):
    recursive_cfg["datasets"][0] = {"name": "mine", "path": str(tmp_path / "nope.csv"), "target": "y"}
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.path: dataset file .*nope\.csv' does not exist"):
        load_config(recursive_cfg)


def test_missing_required_key(gaussian_cfg):
    del gaussian_cfg["seeds"]
    with pytest.raises(ConfigError, match="missing required key 'seeds'"):
        load_config(gaussian_cfg)


def test_bad_toml_file(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(f)


def test_misspelt_key_in_smoke_table(gaussian_cfg):
    gaussian_cfg["smoke"] = {"n_rep": 10}
    with pytest.raises(ConfigError, match=r"unknown key 'smoke\.n_rep' \(did you mean 'n_reps'\?\)"):
        load_config(gaussian_cfg)


def test_hash_changes_with_content(gaussian_cfg):
    a = load_config(gaussian_cfg)
    gaussian_cfg["n_reps"] = 101
    assert load_config(gaussian_cfg).hash != a.hash
    assert smoke_config(a).hash != a.hash


@pytest.mark.parametrize("name", ["adult_recursive", "german_credit_recursive", "xu2025_gaussian",
                                  "seddik2024_categorical"])
def test_experiment_configs_validate_and_match_packaged_copy(name):
    source = ROOT / "experiments" / name / "config.toml"
    if not source.exists():
        pytest.skip(f"{name} not written yet")
    assert name in bundled_configs()
    packaged = ROOT / "synthloop" / "study" / "configs" / f"{name}.toml"
    assert packaged.read_bytes() == source.read_bytes(), (
        f"synthloop/study/configs/{name}.toml differs from experiments/{name}/config.toml; copy it over")
    cfg = load_config(source)
    assert cfg.name == name
    smoke_config(cfg)
