"""Fresh real data with weights (He, Xu and Cheng) against Monte Carlo of the loop; 4 standard errors."""

import numpy as np
import pandas as pd
import pytest

from synthloop import CategoricalGenerator, FreshPool, RecursiveSynthesizer
from synthloop.theory import fresh_optimal_weight, fresh_relative_loss, fresh_weighted_mse

P = np.array([0.5, 0.3, 0.15, 0.05])


@pytest.mark.parametrize("w", [0.3, 0.618, 0.9])
def test_exact_mse_path_matches_the_multinomial_recursion(w):
    rng = np.random.default_rng(0)
    n, m, T, reps = 50, 30, 8, 20_000
    q = np.broadcast_to(P, (reps, P.size))
    err = np.zeros((reps, T + 1))
    for t in range(1, T + 1):
        q = w * rng.multinomial(n, P, size=reps) / n + (1 - w) * rng.multinomial(m, q) / m
        err[:, t] = np.sum((q - P) ** 2, axis=1)
    theory = fresh_weighted_mse(w, n, m, T, variance=1 - P @ P)
    se = err.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(err.mean(axis=0) - theory) <= 4 * se + 1e-15)


def test_the_loop_matches_the_closed_form():
    # RecursiveSynthesizer with FreshPool(n_real, replace=True, real_weight): its frequencies follow the same law.
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"c": pd.Categorical(rng.choice(list("abcd"), 400, p=P), categories=list("abcd"))})
    p = X["c"].value_counts(normalize=True).sort_index().to_numpy()
    w, n, T, runs = 0.618, 40, 4, 150
    err = []
    for seed in range(runs):
        rs = RecursiveSynthesizer(CategoricalGenerator(structure="independent"), n_generations=T,
                                  schedule=f"constant:{n}", pool=FreshPool(n_real=n, replace=True, real_weight=w),
                                  random_state=seed).fit(X)
        err.append(np.sum((rs.generators_[-1].marginals_["c"] - p) ** 2))
    err = np.array(err)
    theory = fresh_weighted_mse(w, n, n, T, variance=1 - p @ p)[-1]
    assert abs(err.mean() - theory) <= 4 * err.std(ddof=1) / np.sqrt(runs)


def test_relative_loss_is_smallest_at_the_golden_ratio():
    golden = (np.sqrt(5) - 1) / 2
    w = np.linspace(0.01, 1, 99_001)
    loss = fresh_relative_loss(w)
    assert abs(w[np.argmin(loss)] - golden) < 1e-4 and loss.min() == pytest.approx(golden, rel=1e-8)
    # He, Xu and Cheng's optimal weight for other ratios of real to synthetic rows
    for k in (0.25, 2.0, 4.0):
        assert abs(w[np.argmin(fresh_relative_loss(w, k))] - fresh_optimal_weight(k)) < 1e-4
    # it is the limit of the exact loss over the real-only loss V / n as n = m grows
    exact = fresh_weighted_mse(w[::1000], 10**8, 10**8, 5000)[..., -1] * 10**8  # stationary by then
    np.testing.assert_allclose(exact, fresh_relative_loss(w[::1000]), rtol=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: fresh_weighted_mse(0.0, 10, 10, 3), r"fresh_weighted_mse: w must be in \(0, 1\]"),
    (lambda: fresh_weighted_mse(0.5, 0, 10, 3), "n must be an integer >= 1"),
    (lambda: fresh_relative_loss(0.5, -1), "n_over_m must be a positive number"),
])
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
