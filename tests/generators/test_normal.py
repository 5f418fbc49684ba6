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
