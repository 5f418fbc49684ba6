"""GaussianCopulaGenerator: contract, marginals, missing values, copula, transformer, streaming."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special
from sklearn.utils.estimator_checks import parametrize_with_checks

from synthloop import GaussianCopulaGenerator, SchemaError
from synthloop.utils.estimator_checks import make_check_table, parametrize_with_generator_checks

GENERATORS = [
    GaussianCopulaGenerator(),
    GaussianCopulaGenerator(marginals="norm", categorical="order"),
    GaussianCopulaGenerator(marginals="beta"),
    GaussianCopulaGenerator(marginals="truncnorm"),
]
# A reservoir smaller than the check tables: sklearn's checks (partial_fit ones
# included) hold when partial_fit subsamples the earlier rows (see
# test_partial_fit_equals_fit_below_reservoir_and_close_beyond for the error).
SMALL_RESERVOIR = GaussianCopulaGenerator(reservoir_size=50)


@parametrize_with_checks(GENERATORS + [SMALL_RESERVOIR])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        # Parametric fits on sklearn's tiny tables may fall back to empirical.
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)


@parametrize_with_generator_checks(GENERATORS)
def test_generator_contract(generator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(generator)


def _table(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.7, -0.5], [0.7, 1, -0.3], [-0.5, -0.3, 1]], n)
    gain = np.where(z[:, 0] > 1.4, np.round(np.exp(z[:, 0] * 2)), 0).astype(np.int64)
    job = pd.Categorical(np.select([z[:, 1] < -0.5, z[:, 1] < 0.6], ["lo", "mid"], "hi"))
    age = pd.array(np.round(40 + 10 * z[:, 2]).astype(int), dtype="Int64")
    age[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame({"gain": gain, "job": job, "age": age, "x": z[:, 0]})


# ---------------------------------------------------------------- marginals
def test_point_mass_and_support_kept_exactly():
    X = _table()
    S = GaussianCopulaGenerator(random_state=0).fit(X).sample(20000)
    p = float((X["gain"] == 0).mean())
    se = np.sqrt(p * (1 - p) / 20000)
    assert abs(float((S["gain"] == 0).mean()) - p) < 4 * se
    assert set(S["gain"]) <= set(X["gain"])
    assert set(S["x"]) <= set(X["x"])


def test_empirical_marginal_size_bounded_by_distinct_values():
    X = pd.DataFrame({"v": np.repeat([0.0, 1.5, 7.0], 1000)})
    gen = GaussianCopulaGenerator().fit(X)
    params = gen.get_fitted_params()["marginals"]["v"]
    np.testing.assert_array_equal(params["support"], [0.0, 1.5, 7.0])
    np.testing.assert_allclose(params["probabilities"], [1 / 3] * 3)


def test_parametric_marginal_fits_and_falls_back_with_warning():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(5, 2, 4000), "c": np.ones(4000)})
    with pytest.warns(UserWarning, match=r"cannot fit a 'norm' marginal to column 'c'.*empirical"):
        gen = GaussianCopulaGenerator(marginals="norm", random_state=0).fit(X)
    mu, sd = gen.get_fitted_params()["marginals"]["a"]["params"]
    assert abs(mu - 5) < 4 * 2 / np.sqrt(4000) and abs(sd - 2) < 4 * 2 / np.sqrt(2 * 4000)
    S = gen.sample(2000)
    assert (S["c"] == 1).all()
    assert S["a"].nunique() > 1900  # continuous samples, not resampled support


@pytest.mark.parametrize("family", ["beta", "truncnorm"])
def test_bounded_families_stay_near_the_range(family):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"u": rng.uniform(2, 3, 3000)})
    S = GaussianCopulaGenerator(marginals=family, random_state=0).fit(X).sample(3000)
    lo, hi = X["u"].min(), X["u"].max()
    assert S["u"].between(lo - 0.01, hi + 0.01).all()
    assert abs(S["u"].mean() - X["u"].mean()) < 4 * X["u"].std() / np.sqrt(3000) * np.sqrt(2)


def test_marginals_dict_and_bad_keys():
    X = _table(500)
    gen = GaussianCopulaGenerator(marginals={"x": "norm"}, random_state=0).fit(X)
    assert "params" in gen.get_fitted_params()["marginals"]["x"]
    assert "support" in gen.get_fitted_params()["marginals"]["gain"]
    with pytest.raises(ValueError, match=r"marginals must map fitted column names.*\['nope'\]"):
        GaussianCopulaGenerator(marginals={"nope": "norm"}).fit(X)
    with pytest.raises(ValueError, match=r"unknown families \{'x': 'cauchy'\}"):
        GaussianCopulaGenerator(marginals={"x": "cauchy"}).fit(X)


# ------------------------------------------------------------- missing values
def test_missing_rate_and_dependence_reproduced():
    rng = np.random.default_rng(0)
    n = 20000
    x = rng.normal(size=n)
    y = pd.array(np.round(x * 3).astype(int), dtype="Int64")
    # Missing only for small x: a monotone dependence (missing is the lowest
    # atom of y), which the copula keeps. (Missing for large x would not be:
    # one correlation per pair cannot put missing both low and high.)
    y[x < -0.8] = pd.NA
    X = pd.DataFrame({"x": x, "y": y})
    S = GaussianCopulaGenerator(random_state=0).fit(X).sample(n)
    assert S["y"].dtype == "Int64"
    p = float(X["y"].isna().mean())
    assert abs(float(S["y"].isna().mean()) - p) < 4 * np.sqrt(p * (1 - p) / n)
    # Missing y comes with large x in the samples too.
    real_gap = X.loc[X["y"].isna(), "x"].mean() - X.loc[X["y"].notna(), "x"].mean()
    synth_gap = S.loc[S["y"].isna(), "x"].mean() - S.loc[S["y"].notna(), "x"].mean()
    assert real_gap < -1.3 and abs(synth_gap - real_gap) < 0.15


def test_dtypes_round_trip_with_missing():
    X = make_check_table(GaussianCopulaGenerator(), n_rows=400)
    S = GaussianCopulaGenerator(random_state=0).fit(X).sample(400)
    assert S.dtypes.tolist() == X.dtypes.tolist()
    for col in ["x_Int64", "x_category", "x_boolean", "x_str"]:
        assert S[col].isna().any()
    assert not S["x_int"].isna().any() and not S["x_bool"].isna().any()
    assert str(S["x_datetime"].dt.tz) == "Europe/Paris"
    assert set(S["x_str"].dropna()) <= {"red", "green", "blue"}
    assert S["x_category"].cat.categories.tolist() == ["lo", "mid", "hi", "never"]
    assert not (S["x_category"] == "never").any()


# ------------------------------------------------------------------ copula
def test_latent_correlation_recovered_for_coarse_columns():
    # Two dichotomised and one continuous normal: Pearson on scores attenuates,
    # the Mehler inversion recovers the latent correlation.
    rng = np.random.default_rng(3)
    n, rho = 40000, 0.6
    z = rng.multivariate_normal([0, 0, 0], [[1, rho, rho], [rho, 1, rho], [rho, rho, 1]], n)
    X = pd.DataFrame({"a": z[:, 0] > 0.3, "b": z[:, 1] > -0.2, "c": z[:, 2]})
    R = GaussianCopulaGenerator().fit(X).correlation_
    # Standard error of the tetrachoric correlation at n=40000 is below 0.01.
    np.testing.assert_allclose(R[np.triu_indices(3, 1)], rho, atol=0.03)


def test_category_number_association_survives_sampling():
    # categorical="order" lays the levels in their declared order lo < mid < hi,
    # the order of the latent variable they were cut from.
    X = _table(6000)
    X["job"] = X["job"].cat.reorder_categories(["lo", "mid", "hi"])
    S = GaussianCopulaGenerator(categorical="order", random_state=0).fit(X).sample(6000)
    real = X.groupby("job", observed=True)["x"].mean()
    synth = S.groupby("job", observed=True)["x"].mean()
    np.testing.assert_allclose(synth[real.index], real, atol=0.1)


def test_constant_and_single_level_columns_work_without_nan():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"k": np.full(300, 4.0), "one": pd.Categorical(["z"] * 300),
                      "x": rng.normal(size=300)})
    gen = GaussianCopulaGenerator(random_state=0).fit(X)
    assert np.isfinite(gen.correlation_).all()
    np.testing.assert_array_equal(gen.correlation_[0], [1, 0, 0])
    S = gen.sample(50)
    assert (S["k"] == 4.0).all() and (S["one"] == "z").all() and S["x"].notna().all()


def test_correlation_is_a_valid_correlation_matrix():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 1))
    X = pd.DataFrame(np.hstack([base, base + 1e-9 * rng.normal(size=(200, 1)), -base,
                                rng.normal(size=(200, 2))]), columns=list("abcde"))
    R = GaussianCopulaGenerator().fit(X).correlation_
    np.testing.assert_allclose(np.diag(R), 1.0)
    assert np.linalg.eigvalsh(R).min() > -1e-10
    np.testing.assert_allclose(R, R.T)


def test_high_cardinality_and_max_categories():
    rng = np.random.default_rng(0)
    ids = pd.Series([f"id{i}" for i in rng.integers(0, 10_000, 30_000)], dtype="str")
    X = pd.DataFrame({"id": ids, "v": rng.normal(size=30_000)})
    S = GaussianCopulaGenerator(random_state=0).fit(X).sample(1000)
    assert set(S["id"]) <= set(ids)
    with pytest.raises(SchemaError, match=r"max_categories=100.*'id' \(\d+ levels\).*raise max_categories"):
        GaussianCopulaGenerator(max_categories=100).fit(X)


@pytest.mark.parametrize(
    "column, match",
    [
        (pd.Series(pd.to_timedelta([1, 2, 3], unit="s")), "cannot model timedeltas"),
        (pd.Series([1, "a", 2.5], dtype=object), "needs one type per column"),
        (pd.Series([np.nan] * 3), "entirely missing"),
    ],
)
def test_unmodellable_columns_rejected_clearly(column, match):
    X = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "bad": column})
    with pytest.raises(SchemaError, match=match):
        GaussianCopulaGenerator().fit(X)


# ------------------------------------------------------------- transformer
def test_transform_is_conditional_mean_and_inverse_round_trips():
    X = _table(2000)
    gen = GaussianCopulaGenerator().fit(X)
    Z = gen.transform(X)
    # Point mass: all zeros of "gain" share one score, E[Z | Z < ndtri(p0)].
    p0 = float((X["gain"] == 0).mean())
    expected = -np.exp(-0.5 * special.ndtri(p0) ** 2) / np.sqrt(2 * np.pi) / p0
    np.testing.assert_allclose(Z[X["gain"].to_numpy() == 0, 0], expected)
    pd.testing.assert_frame_equal(gen.inverse_transform(Z), X, check_column_type=False)
    # A continuous column's scores are close to standard normal.
    assert abs(Z[:, 3].std() - 1) < 0.01


def test_transform_unseen_values_and_errors():
    X = pd.DataFrame({"v": [1.0, 2.0, 4.0, 4.0]})
    gen = GaussianCopulaGenerator().fit(X)
    z = gen.transform(pd.DataFrame({"v": [0.0, 1.0, 3.0, 4.0, 9.0]}))[:, 0]
    assert np.all(np.diff(z) > 0) or np.all(np.diff(z) >= 0)
    assert z[0] == z[1] and z[4] == z[3]  # outside the range: the extreme atom's score
    with pytest.raises(ValueError, match=r"column 'v' has 1 missing values but had none at fit"):
        gen.transform(pd.DataFrame({"v": [np.nan]}))
    with pytest.raises(ValueError, match=r"X has 2 columns, expected 1"):
        gen.inverse_transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"contains NaN"):
        gen.inverse_transform(np.array([[np.nan]]))
    S = pd.DataFrame({"s": pd.Series(["a", "b"], dtype="str")})
    gen2 = GaussianCopulaGenerator().fit(S)
    with pytest.raises(SchemaError, match=r"never seen at fit"):
        gen2.transform(pd.DataFrame({"s": pd.Series(["c"], dtype="str")}))


def _levels(values, dtype="str"):
    return pd.Series(values, dtype=dtype)


def test_unknown_levels_error_names_every_column_and_level():
    X = pd.DataFrame({"s": _levels(["a", "b", "a", "b"]), "flag": [True, True, True, True],
                      "c": pd.Categorical(["x", "y", "x", "y"], categories=["x", "y", "never"])})
    gen = GaussianCopulaGenerator().fit(X)
    T = pd.DataFrame({"s": _levels(["a", "new", "z1", "z2", "z3", "z4", "z5"]), "flag": [True, False] + [True] * 5,
                      "c": pd.Categorical(["never"] + ["x"] * 6, categories=["x", "y", "never"])})
    message = (r"GaussianCopulaGenerator.transform got levels never seen at fit, which have no latent interval: "
               r"column 's': \['new', 'z1', 'z2', 'z3', 'z4', \.\.\.\] \(6 levels, 6 rows\); "
               r"column 'flag': \[False\] \(1 row\); column 'c': \['never'\] \(1 row\)\. "
               r"Pass handle_unknown='ignore' to score them 0")
    with pytest.raises(SchemaError, match=message):
        gen.transform(T)


def test_unknown_levels_ignored_score_zero_and_come_back_missing():
    X = _table(500)
    X["s"] = _levels(np.random.default_rng(0).choice(["a", "b", "c"], len(X)))
    gen = GaussianCopulaGenerator(handle_unknown="ignore").fit(X)
    T = X.iloc[:20].reset_index(drop=True)
    before = gen.transform(T)
    T.loc[:4, "s"] = "unseen"
    Z = gen.transform(T)
    j = list(X.columns).index("s")
    np.testing.assert_array_equal(Z[:5, j], 0.0)
    np.testing.assert_array_equal(np.delete(Z, np.s_[:5], axis=0), before[5:])  # known values as before
    np.testing.assert_array_equal(Z[:5, :j], before[:5, :j])
    back = gen.inverse_transform(Z)
    assert back["s"][:5].isna().all()
    pd.testing.assert_frame_equal(back[5:].reset_index(drop=True), T[5:].reset_index(drop=True),
                                  check_column_type=False)
    # A score of 0 from transform of known data is not unknown: a fitted level scored 0 (the middle level
    # of a symmetric column, the only level of a constant one, such as a numpy bool column, which could not
    # hold a missing value) keeps it, so inverse_transform(transform(X)) still returns X.
    S = pd.DataFrame({"s": _levels(["a", "b", "b", "c"]), "flag": [True] * 4})
    sym = GaussianCopulaGenerator(categorical="order", handle_unknown="ignore").fit(S)
    np.testing.assert_array_equal(sym.transform(S)[1], [0.0, 0.0])
    pd.testing.assert_frame_equal(sym.inverse_transform(sym.transform(S)), S, check_column_type=False)


def test_categorical_dtype_with_other_categories_matched_by_label():
    X = pd.DataFrame({"c": pd.Categorical(["lo", "mid", "hi", "mid", "lo", "lo"], categories=["lo", "mid", "hi"]),
                      "v": [1.0, 2.0, 3.0, 2.5, 0.5, 1.5]})
    gen = GaussianCopulaGenerator().fit(X)
    ref = gen.transform(X)
    # The test rows categorised on their own: other categories, in another order, so other codes.
    T = X.assign(c=X["c"].astype(str).astype(pd.CategoricalDtype(["hi", "zz", "lo", "mid"])))
    np.testing.assert_array_equal(gen.transform(T), ref)
    pd.testing.assert_frame_equal(gen.inverse_transform(gen.transform(T)), X, check_column_type=False)
    T.loc[2, "c"] = "zz"
    with pytest.raises(SchemaError, match=r"never seen at fit.*column 'c': \['zz'\] \(1 row\)"):
        gen.transform(T)
    Z = gen.set_params(handle_unknown="ignore").transform(T)
    assert Z[2, 0] == 0.0 and np.array_equal(np.delete(Z, 2, axis=0), np.delete(ref, 2, axis=0))
    back = gen.inverse_transform(Z)
    assert back["c"].dtype == X["c"].dtype and pd.isna(back["c"][2])
    # A numeric column of another dtype, or a category column given as text, is still an error.
    with pytest.raises(SchemaError, match=r"'c' is str, was category"):
        gen.transform(X.assign(c=X["c"].astype(str)))


def test_fit_learns_levels_that_transform_calls_unknown():
    # handle_unknown concerns transform only: partial_fit adds new string levels, as before.
    gen = GaussianCopulaGenerator().partial_fit(pd.DataFrame({"s": _levels(["a", "b"])}))
    gen.partial_fit(pd.DataFrame({"s": _levels(["c"])}))
    assert gen.transform(pd.DataFrame({"s": _levels(["c"])})).shape == (1, 1)


def test_cross_validation_on_adult_in_every_fold():
    # Stratified 3-fold CV of Adult: the second fold's test rows hold native_country 'Holand-Netherlands'
    # (one row in Adult), which its training rows never saw.
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    from synthloop.datasets import load_adult

    adult = load_adult()
    pipe = make_pipeline(GaussianCopulaGenerator(handle_unknown="ignore"), LogisticRegression())
    scores = cross_val_score(pipe, adult.data, adult.target, cv=3, scoring="roc_auc")
    # Logistic regression on the latent scores ranks Adult well above chance in every fold.
    assert np.isfinite(scores).all() and (scores > 0.8).all()
    pipe.set_params(gaussiancopulagenerator__handle_unknown="error")
    with pytest.raises(SchemaError, match=r"column 'native_country': \['Holand-Netherlands'\] \(1 row\)"):
        cross_val_score(pipe, adult.data, adult.target, cv=3, scoring="roc_auc", error_score="raise")


def test_set_output_pandas():
    X = _table(300)
    out = GaussianCopulaGenerator().set_output(transform="pandas").fit(X).transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(X.columns)


def test_inside_a_column_transformer():
    from sklearn.compose import ColumnTransformer

    X = _table(300)
    columns = ["job", "age", "x"]
    ct = ColumnTransformer([("copula", GaussianCopulaGenerator(), columns)], remainder="passthrough")
    out = ct.set_output(transform="pandas").fit(X).transform(X)
    assert list(out.columns) == ["copula__job", "copula__age", "copula__x", "remainder__gain"]
    alone = GaussianCopulaGenerator().fit(X[columns]).transform(X[columns])
    np.testing.assert_array_equal(out.iloc[:, :3].to_numpy(), alone)


# --------------------------------------------------------------- streaming
def test_partial_fit_equals_fit_below_reservoir_and_close_beyond():
    X = _table(6000)
    full = GaussianCopulaGenerator(random_state=0, reservoir_size=None).fit(X)
    chunked = GaussianCopulaGenerator(random_state=0, reservoir_size=None)
    for start in range(0, len(X), 1000):
        chunked.partial_fit(X.iloc[start:start + 1000])
    np.testing.assert_allclose(chunked.correlation_, full.correlation_, atol=1e-12)
    small = GaussianCopulaGenerator(random_state=0, reservoir_size=1500)
    for start in range(0, len(X), 1000):
        small.partial_fit(X.iloc[start:start + 1000])
    # Marginals stay exact; the correlation has the error of 1500 rows:
    # standard error below 1/sqrt(1500) = 0.026, tolerance 4 SE.
    for name in X.columns:
        np.testing.assert_allclose(small.get_fitted_params()["marginals"][name]["probabilities"],
                                   full.get_fitted_params()["marginals"][name]["probabilities"])
    assert np.abs(small.correlation_ - full.correlation_).max() < 4 / np.sqrt(1500)


def test_fit_uses_every_row_whatever_the_reservoir():
    X = _table(3000)
    capped = GaussianCopulaGenerator(random_state=0, reservoir_size=100).fit(X)
    full = GaussianCopulaGenerator(random_state=0, reservoir_size=None).fit(X)
    np.testing.assert_allclose(capped.correlation_, full.correlation_, atol=1e-12)


def test_reservoir_past_its_size_is_no_noisier_than_a_plain_fit_of_its_size():
    # One step from the Adult copula: 40,000 sampled rows in two partial_fit
    # calls (39,950 + 50) with a 10,000-row reservoir, against a plain fit of
    # 10,000 of them; latent-correlation drift KL(R || R_0), paired over 30
    # seeds. The reservoir holds 10,000 rows scored against their own
    # marginals, so it must not drift more than the plain fit (3 SE).
    # Measured with the plain latent KL of the time: 0.0162 vs 0.0178 (-1.9 SE); the former estimator, scoring the
    # held rows against all rows' marginals, drifted 0.0197 (+2.2 SE; at
    # 200,000 rows and a 100,000-row reservoir, +1.6x: docs/generators_copula).
    from synthloop.advise._drift import Fit, LatentCorrelationBlock
    from synthloop.datasets import load_adult

    g0 = GaussianCopulaGenerator(random_state=0).fit(load_adult().frame)
    block = LatentCorrelationBlock("latent", g0.correlation_)
    p0 = g0.get_fitted_params()
    k, n, reps = 10_000, 40_000, 30
    diff = []
    for s in range(reps):
        Y = g0.sample(n, random_state=100 + s)
        held = GaussianCopulaGenerator(reservoir_size=k, random_state=s)
        held.partial_fit(Y.iloc[:n - 50]).partial_fit(Y.iloc[n - 50:])
        plain = GaussianCopulaGenerator(random_state=s).fit(Y.iloc[:k])
        diff.append(block.measure(Fit(held.get_fitted_params(), None), Fit(p0, None))
                    - block.measure(Fit(plain.get_fitted_params(), None), Fit(p0, None)))
    diff = np.array(diff)
    assert diff.mean() < 3 * diff.std(ddof=1) / np.sqrt(reps)


def test_sample_weight_equals_repeated_rows():
    X = _table(400)
    w = np.random.default_rng(1).integers(0, 4, len(X))
    a = GaussianCopulaGenerator().fit(X, sample_weight=w)
    b = GaussianCopulaGenerator().fit(X.loc[X.index.repeat(w)].reset_index(drop=True))
    np.testing.assert_allclose(a.correlation_, b.correlation_, atol=1e-12)


def test_parameter_validation_message():
    with pytest.raises(ValueError, match=r"The 'marginals' parameter of GaussianCopulaGenerator must be"):
        GaussianCopulaGenerator(marginals="kde").fit(_table(50))
    with pytest.raises(ValueError, match=r"The 'handle_unknown' parameter of GaussianCopulaGenerator must be a str "
                                         r"among \{.*'error'.*\}\. Got 'warn' instead"):
        GaussianCopulaGenerator(handle_unknown="warn").fit(_table(50))


def test_weakly_identified_pair_takes_the_repair_alone():
    # Adult's capital_gain and capital_loss are never both non-zero: every latent rho below about -0.6
    # gives the same scores, and their pairwise estimate (-0.82) makes the matrix indefinite. The repair
    # moves that entry only; every other entry is its own pairwise estimate (a two-column fit), and the
    # result is a correlation matrix on the boundary of the positive semi-definite cone.
    from synthloop.datasets import load_adult

    X = load_adult().frame[["age", "capital_gain", "capital_loss", "income", "marital_status"]]
    R = GaussianCopulaGenerator().fit(X).correlation_
    cols = list(X.columns)
    for a, b in [("age", "income"), ("capital_gain", "income"), ("capital_loss", "income"),
                 ("capital_gain", "marital_status")]:
        pair = GaussianCopulaGenerator().fit(X[[a, b]]).correlation_[0, 1]
        assert R[cols.index(a), cols.index(b)] == pytest.approx(pair, abs=1e-12)
    weak = R[cols.index("capital_gain"), cols.index("capital_loss")]
    alone = GaussianCopulaGenerator().fit(X[["capital_gain", "capital_loss"]]).correlation_[0, 1]
    assert alone < -0.7 and -0.7 < weak < alone + 0.5
    eig = np.linalg.eigvalsh(R)
    assert eig[0] > -1e-10 and eig[0] < 1e-6
    np.testing.assert_allclose(np.diag(R), 1.0)


def test_fitted_params_name_levels_in_latent_order():
    X = pd.DataFrame({"c": pd.Categorical(["b"] * 5 + ["a"] * 3 + ["c"] * 7)})
    m = GaussianCopulaGenerator(random_state=0).fit(X).get_fitted_params()["marginals"]["c"]
    assert list(m["levels"]) == ["c", "b", "a"]  # by decreasing frequency
    np.testing.assert_allclose(m["probabilities"], [7 / 15, 5 / 15, 3 / 15])


def test_frequency_order_breaks_ties_by_position():
    from synthloop.generators._copula import frequency_order

    np.testing.assert_array_equal(frequency_order([2.0, 5.0, 2.0, 5.0]), [1, 3, 0, 2])
    np.testing.assert_array_equal(frequency_order([[1.0, 3.0], [3.0, 3.0]]), [[1, 0], [0, 1]])


def _two_orders(missing):
    """Rows with a binary column, and copula fits of them with its levels in the two orders."""
    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0, 0], [[1, .6, .3], [.6, 1, .2], [.3, .2, 1]], 5000)
    s = np.where(z[:, 1] > 0, "m", "f").astype(object)
    if missing:
        s[z[:, 2] > 1.6] = None
    X = pd.DataFrame({"x": z[:, 0], "s": pd.Categorical(s, categories=["f", "m"]), "y": np.round(z[:, 2], 1)})
    Y = X.assign(s=X["s"].cat.reorder_categories(["m", "f"]))
    return X, [GaussianCopulaGenerator(categorical="order").fit(T).get_fitted_params() for T in (X, Y)]


def test_refit_in_its_own_order_is_the_fit_itself():
    from synthloop.generators._copula import refit_in_latent_order

    _, (a, _) = _two_orders(missing=True)
    out = refit_in_latent_order(a, a)
    np.testing.assert_array_equal(out["correlation"], a["correlation"])
    assert list(out["marginals"]["s"]["levels"]) == list(a["marginals"]["s"]["levels"])


def test_refit_of_a_binary_column_without_missing_values_is_a_sign_flip():
    # The one reorder that loses nothing: the latent variable changes sign, exactly.
    from synthloop.generators._copula import refit_in_latent_order

    _, (a, b) = _two_orders(missing=False)
    assert np.all(np.sign(a["correlation"][1, [0, 2]]) == -np.sign(b["correlation"][1, [0, 2]]))
    out = refit_in_latent_order(b, a)
    np.testing.assert_allclose(out["correlation"], a["correlation"], atol=1e-9)
    assert list(out["marginals"]["s"]["levels"]) == ["f", "m"]
    np.testing.assert_allclose(out["marginals"]["s"]["probabilities"], a["marginals"]["s"]["probabilities"])


def test_refit_with_a_missing_atom_is_the_limit_of_fits_in_the_other_order():
    # With a missing atom at the bottom the other order is another model, which loses correlation. The
    # population refit must be the limit of fits, in the other order, of rows sampled from the first fit:
    # within 4 standard errors of the mean of 8 fits of 100,000 rows each.
    from synthloop.generators._copula import refit_in_latent_order

    X, (a, b) = _two_orders(missing=True)
    out = refit_in_latent_order(a, b)["correlation"]
    gen = GaussianCopulaGenerator(categorical="order").fit(X)
    fits = []
    for seed in range(8):
        rows = gen.sample(100_000, random_state=seed)
        rows["s"] = rows["s"].cat.reorder_categories(["m", "f"])
        fits.append(GaussianCopulaGenerator(categorical="order").fit(rows).correlation_)
    fits = np.array(fits)
    mean, se = fits.mean(axis=0), fits.std(axis=0, ddof=1) / np.sqrt(len(fits))
    assert abs(out[0, 1]) < 0.9 * abs(a["correlation"][0, 1])  # attenuated
    iu = np.triu_indices(3, 1)
    assert np.all(np.abs(out[iu] - mean[iu]) < 4 * se[iu] + 1e-12), (out[iu], mean[iu], se[iu])
