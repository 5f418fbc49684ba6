"""RecursiveSynthesizer.fit_resample as imbalanced-learn's samplers behave: containers, one-hot y, feature names."""

import numpy as np
import pandas as pd
import pytest

from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer


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
