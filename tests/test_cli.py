"""The command line: exit codes, one-line errors, help with examples."""

import subprocess
import sys

import pytest

from synthloop.cli import main


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: synthloop" in capsys.readouterr().out


def test_unknown_command_is_usage_error(capsys):
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["datasets", "quickstart"])
def test_help_has_examples(command, capsys):
    assert main([command, "--help"]) == 0
    assert "example" in capsys.readouterr().out


def test_datasets_lists_adult_and_says_which_split_it_loads(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "adult" in out and "german" in out.lower()
    assert "load_adult() returns its train split: 32,561 of the 48,842 rows" in out


def test_version(capsys):
    import synthloop

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"synthloop {synthloop.__version__}"


def test_reproduce_help_gives_each_name_its_study_and_report_and_says_the_seddik_figures_are_one(capsys):
    from synthloop.study import REPRODUCTIONS

    assert main(["reproduce", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name, study in REPRODUCTIONS.items():
        report = f"reports/{study}" if name.startswith("seddik2024") else f"reports/{name}"
        assert f"{name} {study} {report}" in out
    assert ("seddik2024-fig1, seddik2024-fig2, seddik2024-fig3, seddik2024-fig4 are one study "
            "(seddik2024_categorical)") in out


@pytest.mark.parametrize("argv, extra", [
    (["reproduce", "xu2025-fig3", "--smoke", "--quiet"], "study"),
    (["synthesize", "penguins", "--generations", "0", "-o", "out.parquet"], "parquet"),
    (["advise", "penguins.parquet", "--generations", "2", "--tolerance", "0.1"], "parquet"),
])
def test_a_missing_optional_dependency_names_the_extra_before_any_work(argv, extra, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "penguins.parquet").write_bytes(b"")  # DATA of advise (never read)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed: importing it raises ImportError
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(f"needs pyarrow, which is not installed: pip install 'synthloop[{extra}]'")
    assert not (tmp_path / "results").exists() and not (tmp_path / "out.parquet").exists()  # nothing run


def test_failure_is_one_line_with_exit_1(capsys):
    assert main(["quickstart", "--rows", "-5"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("synthloop: error:") and "n_samples" in err[0]


@pytest.mark.slow
def test_quickstart_runs_as_installed_command():
    out = subprocess.run([sys.executable, "-m", "synthloop", "quickstart", "--rows", "2000"],
                         capture_output=True, text=True, check=True).stdout
    assert "UCI Adult (train): 32,561 rows x 15 columns" in out
    assert "== MultivariateNormal" in out and "capital_gain" in out


# ------------------------------------------------------------------ studies
@pytest.mark.parametrize("command", ["run", "report", "reproduce", "synthesize"])
def test_study_commands_have_help_with_examples(command, capsys):
    assert main([command, "--help"]) == 0
    assert "examples:" in capsys.readouterr().out


def _gaussian_toml(path, n_reps=100):
    path.write_text(f'name = "cli"\nkind = "gaussian"\nseeds = [0]\nn0 = 50\nn_reps = {n_reps}\n'
                    'generations = [3]\nschedules = ["constant"]\nddofs = [1]\n')
    return path


def test_run_then_report(tmp_path, capsys):
    cfg = _gaussian_toml(tmp_path / "c.toml")
    assert main(["run", str(cfg), "--out", str(tmp_path / "res"), "--quiet"]) == 0
    assert "1 cells run, 0 already stored" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "res")]) == 0
    assert (tmp_path / "res" / "report" / "index.html").is_file()


def test_run_bad_config_exits_2_with_one_line(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('name = "x"\nkind = "gaussian"\nseed = [0]\n')
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown key 'seed' (did you mean 'seeds'?)" in err[0]


def test_run_into_other_configs_results_exits_2(tmp_path, capsys):
    out = str(tmp_path / "res")
    assert main(["run", str(_gaussian_toml(tmp_path / "a.toml")), "--out", out, "--quiet"]) == 0
    assert main(["run", str(_gaussian_toml(tmp_path / "b.toml", n_reps=101)), "--out", out, "--quiet"]) == 2
    assert "refusing to mix" in capsys.readouterr().err


def test_scheduler_needs_dask_backend(tmp_path, capsys):
    assert main(["run", str(_gaussian_toml(tmp_path / "a.toml")), "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler needs --backend dask" in capsys.readouterr().err


def test_report_of_non_results_dir_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a synthloop results directory" in capsys.readouterr().err


def test_reproduce_adult_smoke(tmp_path, capsys):
    assert main(["reproduce", "adult", "--smoke", "--quiet", "--out", str(tmp_path / "res"),
                 "--report-dir", str(tmp_path / "rep")]) == 0
    assert "report: " in capsys.readouterr().out
    assert (tmp_path / "rep" / "index.html").is_file()


def test_synthesize_writes_rows(tmp_path, capsys):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=100), "c": rng.choice(["a", "b"], 100)}).to_csv(tmp_path / "d.csv",
                                                                                       index=False)
    out = tmp_path / "s.csv"
    assert main(["synthesize", str(tmp_path / "d.csv"), "--generator", "copula", "--schedule", "polynomial:1.5",
                 "--generations", "2", "--rows", "50", "-o", str(out)]) == 0
    frame = pd.read_csv(out)
    assert frame.shape == (50, 2) and set(frame["c"]) <= {"a", "b"}


def test_synthesize_missing_file_exits_2(tmp_path, capsys):
    assert main(["synthesize", str(tmp_path / "no.csv"), "-o", str(tmp_path / "o.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["synthesize", "advise"])
def test_unreadable_csv_is_a_usage_error(tmp_path, capsys, command):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    args = ["-o", str(tmp_path / "o.csv")] if command == "synthesize" else ["--generations", "2", "--tolerance", "0.1"]
    assert main([command, str(bad), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot read" in err[0]


def test_both_command_lines_take_the_registry_s_generator_names():
    # one table of names (generators/_registry.py): a generator added there is a choice everywhere
    from synthloop.cli import build_parser
    from synthloop.generators import GENERATORS

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for command in ("synthesize", "advise"):
        option = next(a for a in sub.choices[command]._actions if a.dest == "generator")
        assert list(option.choices) == list(GENERATORS)
