"""The table contract: validation messages and the dtype round trip."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from synthloop import MultivariateNormalGenerator, SchemaError


def _numeric(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 10, n)})


def test_empty_table_is_rejected():
    with pytest.raises(SchemaError, match="at least 1 row.*0 rows"):
        MultivariateNormalGenerator().fit(_numeric().iloc[:0])


def test_table_without_columns_is_rejected():
    with pytest.raises(SchemaError, match="at least one column"):
        MultivariateNormalGenerator().fit(pd.DataFrame(index=range(3)))


def test_duplicate_column_names():
    X = pd.concat([_numeric(), _numeric()[["a"]]], axis=1)
    with pytest.raises(SchemaError, match=r"duplicate column names \['a'\]"):
        MultivariateNormalGenerator().fit(X)


def test_mixed_string_and_integer_names():
    X = _numeric()
    X.columns = ["a", 1]
    with pytest.raises(SchemaError, match="all strings.*astype\\(str\\)"):
        MultivariateNormalGenerator().fit(X)


def test_integer_names_are_kept_like_sklearn():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 2)))
    gen = MultivariateNormalGenerator(random_state=0).fit(X)
    assert list(gen.sample(3).columns) == [0, 1]
    assert not hasattr(gen, "feature_names_in_")


def test_all_problems_reported_at_once():
    X = _numeric()
    X["gone"] = np.nan
    X["inf"] = np.r_[np.inf, np.zeros(49)]
    X["when"] = pd.to_timedelta(np.arange(50), unit="s")
    X["mixed"] = pd.Series([1, "a"] * 25, dtype=object)
    with pytest.raises(SchemaError) as info:
        MultivariateNormalGenerator().fit(X)
    msg = str(info.value)
    assert "'gone' is entirely missing" in msg
    assert "'inf' contains infinite values" in msg
    assert "'when' has dtype timedelta64" in msg and "total_seconds" in msg
    assert "'mixed' is an object column of mixed-integer values" in msg


def test_unsupported_kinds_point_to_other_generators():
    X = _numeric()
    X["city"] = pd.Series(["x", "y"] * 25, dtype="category")
    X["flag"] = np.arange(50) % 2 == 0
    with pytest.raises(SchemaError, match="'city'.*CategoricalGenerator or GaussianCopulaGenerator"):
        MultivariateNormalGenerator().fit(X)


def test_missing_values_are_named():
    X = _numeric()
    X["c"] = pd.array([1, None] * 25, dtype="Int64")
    with pytest.raises(SchemaError, match=r"'c' \(25 missing\).*Impute"):
        MultivariateNormalGenerator().fit(X)


def test_missing_values_in_arrays_use_sklearn_message():
    X = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 1.0]])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MultivariateNormalGenerator().fit(X)


def test_series_is_rejected():
    with pytest.raises(SchemaError, match="2-D table; got a Series"):
        MultivariateNormalGenerator().fit(_numeric()["a"])


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (2.5, TypeError), ("10", TypeError)])
def test_n_samples_validation(bad, err):
    gen = MultivariateNormalGenerator(random_state=0).fit(_numeric())
    with pytest.raises(err, match=r"MultivariateNormalGenerator.sample: n_samples must be an integer >= 0; got"):
        gen.sample(bad)


def test_zero_samples_keep_columns_and_dtypes():
    X = _numeric()
    S = MultivariateNormalGenerator(random_state=0).fit(X).sample(0)
    assert S.shape == (0, 2) and S.dtypes.tolist() == X.dtypes.tolist()


def test_sample_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        MultivariateNormalGenerator().sample(3)


def test_invalid_parameter_reads_like_sklearn():
    with pytest.raises(ValueError, match="The 'covariance' parameter of MultivariateNormalGenerator must be"):
        MultivariateNormalGenerator(covariance="robust").fit(_numeric())


def test_sample_weight_validation():
    X = _numeric()
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\), expected \(50,\)"):
        MultivariateNormalGenerator().fit(X, sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match="finite and non-negative"):
        MultivariateNormalGenerator().fit(X, sample_weight=-np.ones(50))
    with pytest.raises(ValueError, match="sums to zero"):
        MultivariateNormalGenerator().fit(X, sample_weight=np.zeros(50))


@pytest.mark.parametrize("generator", ["GaussianCopulaGenerator", "CategoricalGenerator",
                                       "MultivariateNormalGenerator"])
def test_integers_beyond_float64_precision_are_refused(generator):
    import synthloop

    gen = getattr(synthloop, generator)(random_state=0)
    big = np.array([2**62 + 3 * k for k in range(100)], dtype=np.int64)  # 100 values, 1 as float64
    msg = r"column ('a'|0) holds integers of magnitude 2\*\*53 or more \(up to 4\.612e\+18\).*cast the column to 'category'"
    with pytest.raises(SchemaError, match=msg):
        gen.fit(pd.DataFrame({"a": big}))
    with pytest.raises(SchemaError, match=msg):  # an array, as scikit-learn passes it
        gen.fit(big.reshape(-1, 1))
    # Below 2**53 every integer is exact; a later chunk beyond it is refused too.
    exact = np.arange(2**53 - 100, 2**53, dtype=np.int64)
    gen.partial_fit(pd.DataFrame({"a": exact}))
    assert set(gen.sample(200)["a"]) <= set(exact)
    with pytest.raises(SchemaError, match=msg):
        gen.partial_fit(pd.DataFrame({"a": big}))
    if generator != "MultivariateNormalGenerator":
        # As identifiers (category levels) they are modelled exactly.
        S = gen.fit(pd.DataFrame({"a": pd.Categorical(big)})).sample(300)
        assert S["a"].nunique() > 50 and set(S["a"]) <= set(big)


def test_partial_fit_rejects_changed_dtypes():
    X = _numeric()
    gen = MultivariateNormalGenerator().partial_fit(X)
    with pytest.raises(SchemaError, match="'b' is float64, was int64"):
        gen.partial_fit(X.astype({"b": float}))


def test_partial_fit_names_the_categories_that_changed():
    from synthloop import CategoricalGenerator, GaussianCopulaGenerator

    first = pd.DataFrame({"c": pd.Categorical(["x", "y"] * 5)})
    later = pd.DataFrame({"c": pd.Categorical(["x", "z", "w"] * 5)})
    ordered = pd.DataFrame({"c": pd.Categorical(["x", "y"] * 5, ordered=True)})
    for gen in (CategoricalGenerator(), GaussianCopulaGenerator()):
        gen.partial_fit(first)
        with pytest.raises(SchemaError, match=r"'c' is category that adds \['w', 'z'\] and removes \['y'\], "
                                              r"fitted with categories \['x', 'y'\]\. .*declare them all there"):
            gen.partial_fit(later)
        with pytest.raises(SchemaError, match=r"'c' is category that is ordered, fitted with categories"):
            gen.partial_fit(ordered)
    # transform matches other categories by label; the unknown ones are handle_unknown's (issue 18)
    with pytest.raises(SchemaError, match=r"transform got levels never seen at fit.*column 'c': \['z', 'w'\]"):
        GaussianCopulaGenerator().fit(first).transform(later)


def test_a_chunk_listing_the_categories_in_another_order_is_read_by_label():
    # Unordered categoricals compare equal whatever the order of their categories, their codes do not:
    # a chunk of x's written with categories [y, x] used to be counted as y's.
    from synthloop import CategoricalGenerator

    first = pd.DataFrame({"c": pd.Categorical(["x"] * 10, categories=["x", "y"])})
    later = pd.DataFrame({"c": pd.Categorical(["x"] * 30, categories=["y", "x"])})
    gen = CategoricalGenerator(random_state=0).partial_fit(first).partial_fit(later)
    assert (gen.sample(500)["c"] == "x").all()


def test_partial_fit_rejects_other_columns():
    gen = MultivariateNormalGenerator().partial_fit(_numeric())
    with pytest.raises(ValueError, match="feature names should match"):
        gen.partial_fit(_numeric().rename(columns={"a": "z"}))


def test_datetime_and_nullable_round_trip():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "t": pd.Series(pd.date_range("2021-03-01", periods=80, freq="h", tz="America/New_York")),
        "u": pd.Series(pd.date_range("2021-03-01", periods=80, freq="D")).dt.as_unit("ms"),
        "f32": rng.normal(size=80).astype(np.float32),
        "u8": rng.integers(3, 9, 80).astype(np.uint8),
        "F": pd.array(rng.normal(size=80), dtype="Float64"),
    })
    S = MultivariateNormalGenerator(random_state=1).fit(X).sample(500)
    assert S.dtypes.tolist() == X.dtypes.tolist()
    assert S["t"].min() >= X["t"].min() and S["t"].max() <= X["t"].max()
    assert S["u8"].between(3, 8).all()


def test_text_dtypes_round_trip():
    from synthloop import CategoricalGenerator

    X = pd.DataFrame({
        "obj": pd.Series(["a", "b", None, "a"] * 10, dtype=object),
        "str": pd.Series(["x", "y", "x", np.nan] * 10, dtype="str"),
        "string": pd.Series(["u", pd.NA, "v", "v"] * 10, dtype="string"),
    })
    S = CategoricalGenerator(random_state=0).fit(X).sample(400)
    assert S.dtypes.tolist() == X.dtypes.tolist()
    for col in X:
        assert set(S[col].dropna()) == set(X[col].dropna())
        assert S[col].isna().any()


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_collapse_summary_gives_a_datetime_s_variance_in_seconds_whatever_its_unit(unit):
    # one unit for the loop's statistics, as the evaluator's (seconds): not the dtype's raw ticks
    from synthloop import CategoricalGenerator, GaussianCopulaGenerator, MultivariateNormalGenerator

    rng = np.random.default_rng(0)
    seconds = rng.integers(0, 10, 200) * 86_400
    X = pd.DataFrame({"when": pd.to_datetime(seconds, unit="s").astype(f"M8[{unit}]")})
    expected = float(np.var(seconds))
    for gen in (GaussianCopulaGenerator(), CategoricalGenerator(), MultivariateNormalGenerator(covariance="mle")):
        summary = gen.fit(X).collapse_summary(random_state=0)
        assert summary.source == "params"
        np.testing.assert_allclose(summary["when"][1], expected, rtol=1e-12, err_msg=type(gen).__name__)
