"""RecursiveSynthesizer under imbalanced-learn's own checks, as its test_common.py runs them."""

import sys

import numpy as np
import pandas as pd
import pytest
from imblearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    estimator_checks_generator,
    parametrize_with_checks,
)
from sklearn.base import clone
from sklearn.utils import Tags

from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer
from synthloop.utils.estimator_checks import imblearn_expected_failed_checks

SYNTHESIZERS = [
    RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, random_state=0),
    RecursiveSynthesizer(n_generations=1, pool="augment", random_state=0),
]


@parametrize_with_checks(SYNTHESIZERS, expected_failed_checks=imblearn_expected_failed_checks)
def test_imblearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", SYNTHESIZERS, ids=lambda e: type(e.generator).__name__)
def test_imblearn_param_validation_and_column_names(estimator):
    check_param_validation("RecursiveSynthesizer", estimator)
    check_dataframe_column_names_consistency("RecursiveSynthesizer", estimator)


# What each expected failure asserts, in imbalanced-learn's words.
_FAILS_WITH = {
    "check_target_type": "Unknown label type",
    "check_samplers_one_label": "Sampler can't balance when only one class is present",
    "check_samplers_fit": "No fitted attribute sampling_strategy_",
}


@pytest.mark.parametrize("estimator", SYNTHESIZERS, ids=lambda e: type(e.generator).__name__)
def test_the_expected_failures_fail_for_their_reason(estimator):
    # Every name marked is a check imbalanced-learn runs, and each fails on the assertion its reason
    # explains (a mark on a check that passes, or fails otherwise, would hide a change).
    expected = imblearn_expected_failed_checks(estimator)
    assert set(expected) == set(_FAILS_WITH)
    checks = {check.func.__name__: (est, check) for est, check in estimator_checks_generator(estimator)}
    for name in expected:
        est, check = checks[name]
        with pytest.raises(AssertionError, match=_FAILS_WITH[name]):
            check(est)
    # ... because the synthesizer models a continuous y and a single class, and has no strategy.
    rs = clone(estimator)
    X = np.random.default_rng(0).normal(size=(40, 2))
    _, ys = rs.fit_resample(X, np.linspace(0, 1, 40))
    assert ys.dtype == np.float64 and len(np.unique(ys)) > 2
    _, ys = rs.fit_resample(X, np.zeros(40, dtype=np.int64))
    assert (ys == 0).all() and not hasattr(rs, "sampling_strategy_")


def test_no_expected_failures_for_other_estimators():
    assert imblearn_expected_failed_checks(MultivariateNormalGenerator()) == {}


def test_tags_are_imblearns_once_it_is_imported(monkeypatch):
    from imblearn.base import is_sampler

    tags = RecursiveSynthesizer().__sklearn_tags__()
    assert tags.input_tags.dataframe and not tags.sampler_tags.sample_indices
    assert tags.estimator_type == "sampler" and is_sampler(RecursiveSynthesizer())
    # The generator's own input tags are kept.
    mvn_tags = RecursiveSynthesizer(MultivariateNormalGenerator()).__sklearn_tags__()
    assert tags.input_tags.allow_nan and not mvn_tags.input_tags.allow_nan
    # Not imported (or too old to have tag classes): scikit-learn's tags, and the estimator works.
    for module in ("imblearn", "imblearn.utils._tags"):
        with monkeypatch.context() as m:
            m.setitem(sys.modules, module, None)
            tags = RecursiveSynthesizer().__sklearn_tags__()
            assert type(tags) is Tags and not hasattr(tags, "sampler_tags") and tags.input_tags.allow_nan
            Xs, ys = RecursiveSynthesizer(n_generations=1, random_state=0).fit_resample(
                np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 2)
            assert Xs.shape == (30, 2) and ys.shape == (30,)


def test_sklearn_checks_pass_with_sklearn_tags(monkeypatch):
    # The suite runs scikit-learn's checks with imbalanced-learn imported; they pass without it too.
    from sklearn.utils.estimator_checks import check_estimator

    monkeypatch.setitem(sys.modules, "imblearn", None)
    check_estimator(RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, random_state=0))


# --------------------------------------------------------------- containers
def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.integers(0, 3, n)


def test_fit_resample_gives_back_the_containers_it_was_given():
    X, y = _data()
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, random_state=0)
    Xs, ys = rs.fit_resample(X, y)
    Xl, yl = rs.fit_resample(X.tolist(), y.tolist())
    assert isinstance(Xl, list) and isinstance(yl, list) and isinstance(yl[0], int)
    np.testing.assert_array_equal(Xl, Xs)
    np.testing.assert_array_equal(yl, ys)
    frame = pd.DataFrame(X, columns=["a", "b"])
    for y_in in (pd.DataFrame({"label": y}), pd.Series(y, name="label")):
        Xf, yf = rs.fit_resample(frame, y_in)
        assert type(yf) is type(y_in) and list(Xf.columns) == ["a", "b"]
        np.testing.assert_array_equal(Xf.to_numpy(), Xs)
        np.testing.assert_array_equal(np.ravel(yf.to_numpy()), ys)
        assert (list(yf.columns) == ["label"] and yf.dtypes.tolist() == [y.dtype]) if isinstance(yf, pd.DataFrame) \
            else (yf.name == "label" and yf.dtype == y.dtype)
    assert yf.index.equals(Xf.index)
    # Text labels in an ndarray come back in their own dtype.
    labels = np.array(["no", "yes", "maybe"])[y]
    _, yt = RecursiveSynthesizer(n_generations=1, random_state=0).fit_resample(X, labels)
    assert isinstance(yt, np.ndarray) and yt.dtype == labels.dtype and set(yt) <= set(labels)


def test_fit_resample_stores_nothing_about_the_containers():
    X, y = _data()
    fitted = set(vars(RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1).fit(X, y)))
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, random_state=0)
    rs.fit_resample(pd.DataFrame(X, columns=["a", "b"]), pd.Series(y, name="label"))
    assert set(vars(rs)) - {"feature_names_in_"} == fitted
    # A later call with other containers follows its own inputs only.
    Xs, ys = rs.fit_resample(X, y.tolist())
    assert isinstance(Xs, np.ndarray) and isinstance(ys, list) and set(vars(rs)) == fitted


def test_fit_resample_one_hot_y():
    X, y = _data()
    one_hot = np.eye(3, dtype=np.int32)[y]
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, random_state=0)
    Xs, ys = rs.fit_resample(X, y)
    Xo, yo = rs.fit_resample(X, one_hot)
    # The one-hot y is modelled as its labels: the same rows, y one-hot in y's dtype.
    np.testing.assert_array_equal(Xo, Xs)
    assert yo.shape == (120, 3) and yo.dtype == np.int32 and (yo.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(yo.argmax(axis=1), ys)
    frame = pd.DataFrame(one_hot, columns=["x", "y", "z"])
    _, yf = rs.fit_resample(X, frame)
    assert list(yf.columns) == ["x", "y", "z"] and (yf.to_numpy() == yo).all()


def test_multilabel_y_is_refused():
    X, _ = _data()
    multilabel = np.random.default_rng(1).integers(0, 2, size=(120, 3))
    with pytest.raises(ValueError, match=r"y must be 1-D \(one label per row\) or one-hot \(one 1 per row\); "
                                         r"got shape \(120, 3\)\. Multilabel and multioutput targets are not"):
        RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1).fit_resample(X, multilabel)


def test_get_feature_names_out():
    X, y = _data()
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, random_state=0)
    Xs, _ = rs.fit_resample(pd.DataFrame(X, columns=["a", "b"]), y)
    names = rs.get_feature_names_out()
    assert names.dtype == object and list(names) == list(Xs.columns) == ["a", "b"]
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        rs.get_feature_names_out(["b", "a"])
    rs.fit(X, y)
    assert list(rs.get_feature_names_out()) == ["x0", "x1"]
    with pytest.raises(ValueError, match="input_features should have length equal"):
        rs.get_feature_names_out(["only"])
