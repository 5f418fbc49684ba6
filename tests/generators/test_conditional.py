"""ConditionalGenerator: the contract, labels drawn from the fitted model, noise, features, bad input."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from synthloop import (CategoricalGenerator, ConditionalGenerator, MultivariateNormalGenerator, RecursiveSynthesizer,
                       SchemaError)
from synthloop.generators import make_generator
from synthloop.utils.estimator_checks import parametrize_with_generator_checks

GENERATORS = [
    ConditionalGenerator(),  # the check table's last column, a string: a logistic regression on the design
    ConditionalGenerator(target=0),  # its first, a float: a linear regression with normal noise
    ConditionalGenerator(target=0, noise="residuals"),
    ConditionalGenerator(features=CategoricalGenerator(structure="independent")),
]


@parametrize_with_checks(GENERATORS + [ConditionalGenerator(LinearRegression(), features=MultivariateNormalGenerator())])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_generator_checks(GENERATORS)
def test_generator_contract(generator, check):
    check(generator)


def _logistic_table(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    group = pd.Categorical(rng.choice(["a", "b"], n))
    logit = 0.5 + x @ [1.0, -2.0] + 1.5 * (group == "b")
    return pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "group": group, "y": rng.random(n) < 1 / (1 + np.exp(-logit))})


def test_labels_follow_predict_proba_row_by_row():
    X = _logistic_table()
    gen = ConditionalGenerator(random_state=0).fit(X)
    n = 40_000
    S = gen.sample(n)
    p = gen.estimator_.predict_proba(gen._inputs(gen._feature_schema.encode(S).columns, n))[:, 1]
    # The drawn labels are Bernoulli(p(x)) given the drawn features: their mean within 4 SE of the mean of p,
    # in each group of the discrete feature as overall.
    for rows in (np.ones(n, bool), (S["group"] == "a").to_numpy(), (S["group"] == "b").to_numpy()):
        y, q = S["y"].to_numpy()[rows], p[rows]
        se = np.sqrt(np.sum(q * (1 - q))) / rows.sum()
        assert abs(y.mean() - q.mean()) <= 4 * se
    # The features are rows of X
    assert set(map(tuple, S[["x0", "x1"]].to_numpy())) <= set(map(tuple, X[["x0", "x1"]].to_numpy()))
    # and the collapse summary is exact: the target's probability is the mean of p over the fitted rows
    summary = gen.collapse_summary()
    assert summary.source == "params"
    p_fit = gen.estimator_.predict_proba(gen._inputs(gen._rows, len(X)))[:, 1]
    assert summary["y"][1][True] == pytest.approx(p_fit.mean())


def test_weighted_rows_are_drawn_in_proportion_to_their_weight():
    X = pd.DataFrame({"x": np.arange(4.0), "y": pd.Categorical(["u", "v", "u", "v"])})
    w = np.array([1.0, 2.0, 3.0, 4.0])
    S = ConditionalGenerator(random_state=0).fit(X, sample_weight=w).sample(20_000)
    counts = S["x"].value_counts().sort_index().to_numpy()
    p = w / w.sum()
    # Multinomial counts: 4 SE of each
    assert np.all(np.abs(counts - 20_000 * p) <= 4 * np.sqrt(20_000 * p * (1 - p)))


@pytest.mark.parametrize("noise", ["normal", "residuals"])
def test_regression_noise(noise):
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    X = pd.DataFrame({"x": x, "y": 2 * x + rng.exponential(size=500)})
    gen = ConditionalGenerator(LinearRegression(), noise=noise, random_state=0).fit(X)
    S = gen.sample(20_000)
    e = S["y"].to_numpy() - gen.estimator_.predict(S[["x"]])
    residuals = X["y"] - gen.estimator_.predict(X[["x"]])
    # the noise has the residuals' variance, within 4 SE of a variance (sd^2 sqrt((kurtosis - 1) / n), the
    # exponential's kurtosis 9 bounding both); "residuals" keeps their skewness (2 for an exponential; the SE of a
    # sample skewness of 20,000 exponential draws is about 0.07), "normal" has none (SE sqrt(6 / n) = 0.017)
    var = np.mean(residuals**2)
    assert abs(e.var() - var) <= 4 * var * np.sqrt(8 / 20_000)
    skew = pd.Series(e).skew()
    if noise == "residuals":
        assert abs(skew - pd.Series(residuals).skew()) <= 4 * 0.07
    else:
        assert abs(skew) <= 4 * np.sqrt(6 / 20_000)


def test_features_from_a_generator_and_a_pipeline_estimator():
    X = _logistic_table(500)[["x0", "x1", "y"]]
    gen = ConditionalGenerator(make_pipeline(StandardScaler(), LogisticRegression()),
                               features=MultivariateNormalGenerator(), random_state=0)
    S = gen.fit(X, sample_weight=np.full(500, 2.0)).sample(1000)
    # new feature values (a Gaussian's), the fitted dtypes, and the pipeline's coefficients as parameters
    assert not set(S["x0"]) & set(X["x0"]) and S.dtypes.equals(X.dtypes)
    assert gen.parameter_vector().shape == (3,) and "features" in gen.get_fitted_params()


def test_a_collapsed_target_keeps_sampling_its_class():
    X = pd.DataFrame({"x": np.arange(10.0), "y": ["a"] * 10})
    S = ConditionalGenerator(LogisticRegression(), random_state=0).fit(X).sample(5)
    assert list(S["y"]) == ["a"] * 5


def test_a_numeric_target_keeps_its_missing_rate():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=400), "y": rng.normal(size=400)})
    X.loc[:99, "y"] = np.nan  # a quarter
    S = ConditionalGenerator(random_state=0).fit(X).sample(10_000)
    assert abs(S["y"].isna().mean() - 0.25) <= 4 * np.sqrt(0.25 * 0.75 / 10_000)


def test_in_the_loop_with_labels_from_fit():
    X = _logistic_table(400)
    rs = RecursiveSynthesizer(ConditionalGenerator(), n_generations=2, random_state=0).fit(X.drop(columns="y"), X["y"])
    assert list(rs.sample(3).columns) == ["x0", "x1", "group", "y"]
    assert type(make_generator("conditional")) is ConditionalGenerator


@pytest.mark.parametrize("generator, X, err, match", [
    (ConditionalGenerator(LinearSVC()), None, TypeError,
     "ConditionalGenerator samples the target from the classifier's predict_proba; LinearSVC has none"),
    (ConditionalGenerator(target="income"), None, SchemaError,
     r"target 'income' is not a column of X; columns are \['x0', 'x1', 'group', 'y'\]"),
    (ConditionalGenerator(target=7), np.ones((5, 3)), SchemaError, r"target 7 is not a column of X; positions are 0..2"),
    (ConditionalGenerator(LinearRegression()), None, SchemaError, "target 'y' is bool, but LinearRegression is a "
     "regressor; use a classifier"),
    (ConditionalGenerator(StandardScaler()), None, ValueError, "The 'estimator' parameter of ConditionalGenerator "
     "must be an object implementing 'fit' and 'predict' or None"),
    (ConditionalGenerator(KMeans(2)), None, TypeError, "estimator must be a scikit-learn classifier or regressor"),
    (ConditionalGenerator(), np.ones((5, 1)), ValueError, r"needs at least one feature column besides the target 0; "
     r"got 1 feature\(s\)"),
])
def test_bad_input_is_one_line(generator, X, err, match):
    X = _logistic_table(50) if X is None else X
    with pytest.raises(err, match=match) as info:
        generator.fit(X)
    assert "\n" not in str(info.value)


def test_weights_need_an_estimator_that_takes_them():
    with pytest.raises(TypeError, match="KNeighborsClassifier.fit takes no sample_weight"):
        ConditionalGenerator(KNeighborsClassifier()).fit(_logistic_table(50), sample_weight=np.arange(50.0))
