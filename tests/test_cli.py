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


def test_datasets_lists_adult(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "adult" in out and "german" in out.lower()


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
