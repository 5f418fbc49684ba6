"""Bad input is reported at the public edge: who, what was expected, what was got."""

import numpy as np
import pytest

import synthloop.theory as theory
from synthloop.theory import (
    collapses,
    drift_l1_bound,
    expected_collapse_time,
    expected_collapse_time_bounds,
    fully_synthetic_collapse_probability_bounds,
    fully_synthetic_collision,
    gaussian_expected_variance,
    gaussian_kl_risk,
    gaussian_variance_collapse_probability,
    improvement_probability,
    mardia_phi,
    max_synthetic_size,
    partially_synthetic_collision,
    required_power,
)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gaussian_expected_variance([100, 1]), r"gaussian_expected_variance: sizes must be integers >= 2 .*; got 1\."),
        (lambda: gaussian_expected_variance([100, 10.5]), r"sizes must be integers >= 2 .*; got 10\.5\."),
        (lambda: gaussian_expected_variance([]), r"sizes must contain at least n_0"),
        (lambda: gaussian_expected_variance([10, 10], ddof=-1), r"ddof must be >= 0 .*; got -1\."),
        (lambda: gaussian_expected_variance([10, 3], ddof=3), r"ddof must be smaller than every size \(smallest size is 3\); got 3\."),
        (lambda: gaussian_expected_variance([10], var=0), r"gaussian_expected_variance: var must be a positive number \(> 0\); got 0\."),
        (lambda: gaussian_variance_collapse_probability([10], 0.0), r"eps must be a positive number \(> 0\); got 0\."),
        (lambda: gaussian_variance_collapse_probability([10], -1.0), r"eps must be .*; got -1\."),
        (lambda: gaussian_variance_collapse_probability([10], 0.1, method="fft"), r"method must be 'exact' or 'normal'; got 'fft'\."),
        (lambda: improvement_probability([10, 10], dim=0), r"improvement_probability: dim must be an integer >= 1; got 0\."),
        (lambda: gaussian_kl_risk(0.0, -1.0), r"gaussian_kl_risk: var_hat must be finite and >= 0; got -1\."),
        (lambda: collapses("cubic"), r"collapses: Unknown schedule 'cubic'; valid options are \['constant'"),
        (lambda: collapses("polynomial:abc"), r"collapses: Cannot parse schedule 'polynomial:abc': power must be a number"),
        # one grammar: what check_schedule accepts, collapses reads
        (lambda: collapses("constant:n=x"), r"collapses: Cannot parse schedule 'constant:n=x': n must be an integer"),
        (lambda: collapses("geometric:0.5"), r"the geometric schedule's ratio must be > 1; got 0\.5\."),
        (lambda: collapses("polynomial:1.5", bias_exponent=0), r"bias_exponent must be a positive number"),
        (lambda: required_power(-1), r"required_power: bias_exponent must be a positive number \(> 0\); got -1\."),
        (lambda: fully_synthetic_collision(0, 10, 1.2), r"fully_synthetic_collision: S0 must be in \(0, 1\] .*; got 1\.2\."),
        (lambda: fully_synthetic_collision(-1, 10, 0.5), r"generation must be an integer >= 0; got -1\."),
        (lambda: fully_synthetic_collision(0, 0, 0.5), r"n must be an integer >= 1; got 0\."),
        (lambda: fully_synthetic_collapse_probability_bounds(1, 10, 1.2, 5), r"S0 must be in \[1/support, 1\); got 1\.2\."),
        (lambda: fully_synthetic_collapse_probability_bounds(1, 10, 0.1, 5), r"S0 must be in \[1/support, 1\); got 0\.1\."),
        (lambda: expected_collapse_time_bounds(10, 0.5, 1), r"support must be an integer >= 2 .*; got 1\."),
        (lambda: expected_collapse_time([0.5, 0.6], 10), r"expected_collapse_time: p must sum to 1 along its last axis; got a sum of 1\.1\."),
        (lambda: expected_collapse_time([1.0, 0.0], 10), r"p must not be a Dirac mass"),
        (lambda: expected_collapse_time([1.2, -0.2], 10), r"p must be a vector of non-negative finite probabilities; got -0\.2\."),
        (lambda: partially_synthetic_collision(1, 0, 10, 0.1), r"partially_synthetic_collision: N must be an integer >= 1; got 0\."),
        (lambda: drift_l1_bound(100, 10, 0), r"drift_l1_bound: s must be an integer >= 1; got 0\."),
        (lambda: max_synthetic_size(100, 600, 0.0), r"max_synthetic_size: eps must be a positive number \(> 0\); got 0\."),
        (lambda: mardia_phi(0.0), r"mardia_phi: x must be in \(0, 1\); got 0\."),
    ],
)
def test_value_errors_say_who_what_and_got(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_type_errors():
    with pytest.raises(TypeError, match=r"gaussian_expected_variance: sizes must be integers >= 2"):
        gaussian_expected_variance("100")
    with pytest.raises(TypeError, match=r"ddof must be a single number"):
        gaussian_expected_variance([10, 10], ddof=[0, 1])
    with pytest.raises(TypeError, match=r"collapses: schedule must be a string .* or an object with a 'family'"):
        collapses(3)


def test_nan_never_passes_validation():
    with pytest.raises(ValueError, match="got nan"):
        gaussian_variance_collapse_probability([10], np.nan)
    with pytest.raises(ValueError, match="S0 must be"):
        partially_synthetic_collision(1, 10, 10, np.nan)


def test_public_names_are_exported_and_documented():
    for name in theory.__all__:
        obj = getattr(theory, name)
        assert obj.__module__.startswith("synthloop.theory")
        doc = obj.__doc__ or ""
        for section in ("Parameters", "Returns", "Examples"):
            assert section in doc, (name, section)


def test_theory_imports_nothing_else_from_synthloop():
    import ast
    import pathlib

    for path in pathlib.Path(theory.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.level > 0 or not (node.module or "").startswith("synthloop"), path
                assert node.level <= 1, path
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("synthloop") for a in node.names), path
