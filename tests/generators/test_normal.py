"""MultivariateNormalGenerator: estimates, degenerate covariances, streaming."""

import numpy as np
import pandas as pd
import pytest

from synthloop import MultivariateNormalGenerator


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 2.0]])
    return pd.DataFrame(z, columns=["a", "b", "c"])


@pytest.mark.parametrize("covariance, ddof", [("unbiased", 1), ("mle", 0)])
def test_estimates_match_numpy(covariance, ddof):
    X = _data()
    gen = MultivariateNormalGenerator(covariance=covariance).fit(X)
    np.testing.assert_allclose(gen.mean_, X.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(gen.covariance_, np.cov(X.to_numpy().T, ddof=ddof), rtol=1e-10)


def test_weighted_estimates_match_numpy():
    X = _data()
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(X))
    gen = MultivariateNormalGenerator(covariance="mle").fit(X, sample_weight=w)
    np.testing.assert_allclose(gen.mean_, np.average(X, axis=0, weights=w), rtol=1e-12)
    np.testing.assert_allclose(gen.covariance_, np.cov(X.to_numpy().T, aweights=w, ddof=0), rtol=1e-10)


def test_ledoit_wolf_shrinks_towards_identity():
    X = _data(n=30)
    emp = MultivariateNormalGenerator(covariance="mle").fit(X).covariance_
    lw = MultivariateNormalGenerator(covariance="ledoit-wolf").fit(X).covariance_
    target = np.trace(emp) / 3 * np.eye(3)
    # A convex combination of the empirical covariance and the scaled identity.
    off = ~np.eye(3, dtype=bool)
    rho = 1 - lw[off] / emp[off]
    assert np.allclose(rho, rho[0]) and 0 < rho[0] < 1
    np.testing.assert_allclose(lw, (1 - rho[0]) * emp + rho[0] * target)


def test_constant_column_stays_constant():
    X = _data()
    X["k"] = 7.0
    S = MultivariateNormalGenerator(random_state=0).fit(X).sample(1000)
    assert (S["k"] == 7.0).all()
    assert S.notna().all().all()


def test_singular_covariance_samples_without_nan():
    X = _data()
    X["d"] = 2 * X["a"] - X["b"]  # exactly collinear: rank-deficient covariance
    gen = MultivariateNormalGenerator(random_state=0).fit(X)
    S = gen.sample(2000)
    assert np.isfinite(S.to_numpy()).all()
    np.testing.assert_allclose(S["d"], 2 * S["a"] - S["b"], atol=1e-8)


def test_one_row():
    X = _data().iloc[:1]
    with pytest.raises(ValueError, match="at least 2 rows.*1 sample"):
        MultivariateNormalGenerator().fit(X)
    S = MultivariateNormalGenerator(covariance="mle", random_state=0).fit(X).sample(5)
    assert (S.to_numpy() == X.to_numpy()).all()  # zero variance: the row itself


def test_integers_rounded_in_range():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(17, 91, 300), "hours": pd.array(rng.integers(1, 100, 300), dtype="Int64")})
    S = MultivariateNormalGenerator(random_state=0).fit(X).sample(5000)
    assert S["age"].dtype == np.int64 and S["age"].between(17, 90).all()
    assert S["hours"].dtype == "Int64" and S["hours"].between(1, 99).all()


def test_chunked_fit_equals_full_fit_on_large_data():
    X = _data(n=10_000)
    full = MultivariateNormalGenerator().fit(X)
    chunked = MultivariateNormalGenerator()
    for chunk in np.array_split(X, 7):
        chunked.partial_fit(chunk)
    np.testing.assert_allclose(chunked.mean_, full.mean_, rtol=1e-12)
    np.testing.assert_allclose(chunked.covariance_, full.covariance_, rtol=1e-10)


def test_sample_moments_within_monte_carlo_error():
    gen = MultivariateNormalGenerator(random_state=0).fit(_data())
    n = 200_000
    S = gen.sample(n).to_numpy()
    se = np.sqrt(np.diag(gen.covariance_) / n)
    assert (np.abs(S.mean(axis=0) - gen.mean_) < 4 * se).all()


# ------------------------------------------- integers="continuous" (docs/theory.rst, "Gaussian estimation")
def _ints(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(17, 91, n), "hours": pd.array(rng.integers(1, 100, n), dtype="Int64"),
                         "height": rng.normal(170, 10, n)})


def test_continuous_integers_are_unrounded_unclipped_floats():
    X = _ints()
    gen = MultivariateNormalGenerator(integers="continuous", random_state=0).fit(X)
    S = gen.sample(5000)
    assert gen.dtypes_.tolist() == [np.float64] * 3
    assert S.dtypes.tolist() == gen.dtypes_.tolist() == gen.sample(0).dtypes.tolist()
    for name in ("age", "hours"):
        assert (S[name] != np.rint(S[name])).all()  # not rounded
        assert S[name].min() < X[name].min() and S[name].max() > X[name].max()  # not clipped
    # The model is the same: identical estimates, and rounding then clipping the
    # continuous draws gives the "round" sample of the same seed.
    ref = MultivariateNormalGenerator(random_state=0).fit(X)
    np.testing.assert_array_equal(gen.mean_, ref.mean_)
    np.testing.assert_array_equal(gen.covariance_, ref.covariance_)
    R = ref.sample(5000)
    for name in ("age", "hours"):
        clipped = np.clip(np.rint(S[name]), X[name].min(), X[name].max())
        np.testing.assert_array_equal(clipped.to_numpy(), R[name].to_numpy(dtype=float))
    pd.testing.assert_series_equal(S["height"], R["height"])


def test_round_is_the_default_and_keeps_integer_dtypes():
    X = _ints()
    default, rounded = MultivariateNormalGenerator(random_state=0), MultivariateNormalGenerator(integers="round",
                                                                                                  random_state=0)
    assert default.integers == "round"
    pd.testing.assert_frame_equal(default.fit(X).sample(500), rounded.fit(X).sample(500))
    assert default.dtypes_.tolist() == X.dtypes.tolist()
    S = default.sample(5000)
    assert S.dtypes.tolist() == X.dtypes.tolist()
    assert S["age"].between(17, 90).all() and S["hours"].between(1, 99).all()


def test_continuous_integer_array_returns_float_array():
    X = np.random.default_rng(0).integers(0, 10, (200, 2))
    S = MultivariateNormalGenerator(integers="continuous", random_state=0).fit(X).sample(10)
    assert isinstance(S, np.ndarray) and S.dtype == np.float64 and (S != np.rint(S)).all()
    assert MultivariateNormalGenerator(random_state=0).fit(X).sample(10).dtype == X.dtype


def test_continuous_datetimes_stay_rounded_and_clipped():
    rng = np.random.default_rng(0)
    days = pd.to_timedelta(rng.integers(0, 60, 300), unit="D")
    X = pd.DataFrame({"when": pd.Timestamp("2024-01-01") + days, "n": rng.integers(0, 5, 300)})
    S = MultivariateNormalGenerator(integers="continuous", random_state=0).fit(X).sample(2000)
    assert S["when"].dtype == X["when"].dtype and S["n"].dtype == np.float64
    assert S["when"].between(X["when"].min(), X["when"].max()).all()


def test_continuous_partial_fit_accepts_its_own_float_rows():
    # The accumulate pool continues generation t-1's fit (first fitted on
    # integers) with that generation's float64 rows.
    X = _ints()
    gen = MultivariateNormalGenerator(integers="continuous", random_state=0).partial_fit(X)
    S = gen.sample(400)
    gen.partial_fit(S)
    full = MultivariateNormalGenerator().fit(pd.concat([X.astype(float), S], ignore_index=True))
    np.testing.assert_allclose(gen.covariance_, full.covariance_, rtol=1e-10)
    assert gen.sample(3).dtypes.tolist() == [np.float64] * 3
    # Another dtype change is still an error, and "round" keeps the fitted dtypes only.
    from synthloop.exceptions import SchemaError

    with pytest.raises(SchemaError, match=r"'age' is float32, was int64 \(or float64\)"):
        gen.partial_fit(S.astype({"age": np.float32}))
    with pytest.raises(SchemaError, match=r"'age' is float64, was int64;"):
        MultivariateNormalGenerator().partial_fit(X).partial_fit(S)


@pytest.mark.parametrize("pool", ["augment", "accumulate"])
def test_continuous_loop_runs_with_pools_that_keep_real_rows(pool):
    from synthloop import RecursiveSynthesizer

    rs = RecursiveSynthesizer(MultivariateNormalGenerator(integers="continuous"), n_generations=3, pool=pool,
                              random_state=0).fit(_ints(100))
    # (augment concatenates the real Int64 rows with float64 ones: pandas makes them Float64)
    S = rs.sample(500)
    assert all(pd.api.types.is_float_dtype(t) for t in S.dtypes)
    assert (S != np.rint(S.astype(float))).all().all()


def test_advisor_treats_continuous_integers_as_exact():
    from synthloop.advise._models import drift_model

    X = _ints()
    rounded = drift_model(MultivariateNormalGenerator().fit(X), X)
    assert not rounded.exact and any("rounded and clipped" in note for note in rounded.notes)
    continuous = drift_model(MultivariateNormalGenerator(integers="continuous").fit(X), X)
    assert continuous.exact and not continuous.notes
    X["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(X)), unit="D")
    model = drift_model(MultivariateNormalGenerator(integers="continuous").fit(X), X)
    assert not model.exact and model.notes == [
        "datetime columns ['when'] are rounded and clipped to their observed range, a bias the Gaussian theory "
        "leaves out; the drift is calibrated on real runs"]


# The replace loop on Adult's integer columns against the exact Gaussian law.
# From generation 0 (the fit on the real rows) to T the log generalised variance
# moves by a sum of T independent terms log det(Wishart_d(n - 1, I)) - d log(n - 1)
# (Bartlett: sum_i log chi2_{n-1-i}), whatever the data: mean
# T sum_i [psi((n-1-i)/2) + log 2 - log(n-1)], variance T sum_i psi'((n-1-i)/2).
# A column's variance ratio sigma^2_T / sigma^2_0 is a product of T factors
# chi2_{n-1} / (n-1): mean 1, second moment ((n+1)/(n-1))^T (docs/theory.rst, "Gaussian estimation").
ADULT_ROWS, ADULT_T, ADULT_REPS = 200, 5, 300


def _adult_loops(integers, reps):
    from synthloop import RecursiveSynthesizer
    from synthloop.datasets import load_adult

    X = load_adult().frame.select_dtypes("number").iloc[:ADULT_ROWS]
    logdet, ratio = np.empty(reps), np.empty(reps)
    for r in range(reps):
        rs = RecursiveSynthesizer(MultivariateNormalGenerator(integers=integers), n_generations=ADULT_T,
                                  random_state=r).fit(X)
        c0, cT = rs.parameters_[0]["covariance"], rs.parameters_[-1]["covariance"]
        logdet[r] = np.linalg.slogdet(cT)[1] - np.linalg.slogdet(c0)[1]
        ratio[r] = cT[0, 0] / c0[0, 0]  # age
    return X.shape[1], logdet, ratio


def _log_generalised_variance_law(d, reps):
    from scipy.special import digamma, polygamma

    n, T = ADULT_ROWS, ADULT_T
    k = n - 1 - np.arange(d)
    mean = T * np.sum(digamma(k / 2) + np.log(2) - np.log(n - 1))
    se = np.sqrt(T * np.sum(polygamma(1, k / 2)) / reps)
    return mean, se


def test_continuous_adult_loop_follows_the_exact_gaussian_law():
    from scipy.stats import ks_2samp

    from synthloop.simulate import simulate_mvn

    d, logdet, ratio = _adult_loops("continuous", ADULT_REPS)
    mean, se = _log_generalised_variance_law(d, ADULT_REPS)
    assert abs(logdet.mean() - mean) < 4 * se  # measured: -0.521 vs -0.533 (SE 0.032), 0.4 SE
    n, T = ADULT_ROWS, ADULT_T
    se_ratio = np.sqrt((((n + 1) / (n - 1)) ** T - 1) / ADULT_REPS)
    assert abs(ratio.mean() - 1) < 4 * se_ratio  # measured: 1.007 (SE 0.013), 0.6 SE
    # The whole distribution: the exact simulator's log det Sigma_T - log det Sigma_0.
    sim = simulate_mvn(T, n0=n, dim=d, ddof=1, n_reps=4000, random_state=12)
    assert ks_2samp(logdet, sim.logdet[:, T] - sim.logdet[:, 0]).pvalue > 1e-3  # measured: 0.98


def test_round_adult_loop_does_not_follow_the_gaussian_law():
    # The same comparison rejects the default: clipping into the observed range
    # (capital gains >= 0, ages >= 17) shrinks the covariance every generation.
    reps = 100
    d, logdet, ratio = _adult_loops("round", reps)
    mean, se = _log_generalised_variance_law(d, reps)
    assert logdet.mean() < mean - 4 * se  # measured: -4.90 vs -0.533 (SE 0.055), -79 SE
    n, T = ADULT_ROWS, ADULT_T
    assert ratio.mean() < 1 - 4 * np.sqrt((((n + 1) / (n - 1)) ** T - 1) / reps)  # measured: 0.695 (SE 0.023), -13 SE


def test_values_whose_squares_overflow_are_refused_by_name():
    # Near 1e200 the covariance overflows (it used to give NaN samples without a word); 1e150 fits.
    X = _data(100)
    X["a"] *= 1e200
    msg = r"cannot fit columns \['a'\]: their mean or covariance overflows float64.*divide by a power of ten"
    with pytest.raises(ValueError, match=msg):
        MultivariateNormalGenerator().fit(X)
    with pytest.raises(ValueError, match=msg):  # a later chunk too
        MultivariateNormalGenerator().partial_fit(_data(100)).partial_fit(X)
    # The loop stops at generation 0 with the same message, not a false "entirely missing" later.
    from synthloop import RecursiveSynthesizer

    with pytest.raises(ValueError, match=msg):
        RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, random_state=0).fit(X)
    X["a"] /= 1e50
    S = MultivariateNormalGenerator(random_state=0).fit(X).sample(50)
    assert np.isfinite(S.to_numpy()).all() and 1e148 < S["a"].abs().max() < 1e152
