"""Categorical closed forms [B] against multinomial Monte Carlo of the loops.

Statistical assertions allow 4 Monte Carlo standard errors computed from the simulated
sample (binomial SE for probabilities); seeds are fixed. Generations are synthloop's:
generation 0 is fit on the real samples ([B]'s p^(1)).
"""

import numpy as np
import pytest

from synthloop.theory import (
    categorical_summary,
    collision_probability,
    drift_l1_bound,
    drift_l2_squared,
    expected_collapse_time,
    expected_collapse_time_bounds,
    fully_synthetic_collapse_probability_bounds,
    fully_synthetic_collision,
    fully_synthetic_collision_path,
    mardia_G,
    mardia_phi,
    max_synthetic_size,
    partially_synthetic_collision,
    partially_synthetic_collision_bound,
)

Z = 4.0


def mean_and_se(samples, axis=-1):
    return samples.mean(axis=axis), samples.std(axis=axis, ddof=1) / np.sqrt(samples.shape[axis])


def binomial_se(p_hat, reps):
    return np.sqrt((p_hat * (1 - p_hat) + 1.0 / reps) / reps)


def assert_within(sim, se, theory, z=Z):
    sim, se, theory = np.broadcast_arrays(sim, se, theory)
    bad = np.abs(sim - theory) > z * se
    assert not bad.any(), (sim[bad], theory[bad], se[bad])


def empirical(rng, n, p):
    """Empirical distribution of n samples from each row of p."""
    return rng.multinomial(n, p) / n


def fully_synthetic(p, sizes, reps, rng):
    """Fitted distributions of generations 0..T, shape (T+1, reps, s)."""
    current = np.broadcast_to(np.asarray(p, float), (reps, len(p)))
    out = []
    for n in sizes:
        current = empirical(rng, n, current)
        out.append(current)
    return np.array(out)


def partially_synthetic(p, N, n, generations, reps, rng):
    """[B]'s p^(m+1) = (N p^(1) + n p_hat(n samples from p^(m))) / (N + n)."""
    first = empirical(rng, N, np.broadcast_to(np.asarray(p, float), (reps, len(p))))
    current = first
    out = [first]
    for _ in range(generations):
        current = (N * first + n * empirical(rng, n, current)) / (N + n)
        out.append(current)
    return np.array(out)


def collapse_generation(p, n, reps, rng, max_generations=100_000):
    """First generation (synthloop index) at which the fitted model is a Dirac mass."""
    current = np.broadcast_to(np.asarray(p, float), (reps, len(p))).copy()
    when = np.full(reps, -1)
    alive = np.arange(reps)
    for g in range(max_generations):
        current = empirical(rng, n, current)
        done = current.max(axis=1) == 1.0
        when[alive[done]] = g
        current, alive = current[~done], alive[~done]
        if alive.size == 0:
            return when
    raise AssertionError("simulation did not collapse")


P4 = np.array([0.5, 0.3, 0.15, 0.05])


def test_fully_synthetic_collision_matches_simulation():
    rng = np.random.default_rng(10)
    n, reps = 8, 20_000
    dists = fully_synthetic(P4, [n] * 12, reps, rng)
    sim, se = mean_and_se(np.sum(dists**2, axis=-1))
    theory = fully_synthetic_collision(np.arange(12), n, collision_probability(P4))
    assert_within(sim, se, theory)


def test_fully_synthetic_collision_path_matches_simulation_with_varying_sizes():
    rng = np.random.default_rng(11)
    sizes = [8, 3, 12, 5, 20, 2, 6]
    dists = fully_synthetic(P4, sizes, 20_000, rng)
    sim, se = mean_and_se(np.sum(dists**2, axis=-1))
    theory = fully_synthetic_collision_path(sizes, collision_probability(P4))
    assert_within(sim, se, theory)
    # constant sizes reduce to Theorem 1
    np.testing.assert_allclose(
        fully_synthetic_collision_path([7] * 5, 0.3),
        fully_synthetic_collision(np.arange(5), 7, 0.3),
    )


def test_collapse_probability_bounds_hold_on_simulation():
    rng = np.random.default_rng(12)
    n, reps, T = 5, 20_000, 60
    dists = fully_synthetic(P4, [n] * T, reps, rng)
    rho = (dists.max(axis=-1) == 1.0).mean(axis=1)
    se = binomial_se(rho, reps)
    S0, support = categorical_summary(P4)
    lower, upper = fully_synthetic_collapse_probability_bounds(np.arange(T), n, S0, support)
    assert np.all(rho >= lower - Z * se)
    assert np.all(rho <= upper + Z * se)
    assert lower[-1] > 0.5  # the lower bound is not vacuous over this range


def test_expected_collapse_time_bounds_hold_on_simulation():
    rng = np.random.default_rng(13)
    n = 10
    when = collapse_generation(P4, n, 10_000, rng)
    sim, se = mean_and_se(when.astype(float))
    S0, support = categorical_summary(P4)
    lower, upper = expected_collapse_time_bounds(n, S0, support)
    assert lower - Z * se <= sim <= upper + Z * se


def test_wright_fisher_approximation_within_five_percent_of_simulation():
    rng = np.random.default_rng(14)
    p, n = np.array([0.5, 0.3, 0.2]), 100
    when = collapse_generation(p, n, 2_000, rng)
    sim, se = mean_and_se(when.astype(float))
    approx = expected_collapse_time(p, n)
    # the diffusion approximation has an O(1/n) bias: budget 5% plus 4 SE of noise
    assert abs(sim - approx) < 0.05 * approx + Z * se
    lower, upper = expected_collapse_time_bounds(n, *categorical_summary(p))
    assert lower < approx < upper


def test_fully_synthetic_collapse_lands_on_token_i_with_probability_p_i():
    # [B] Proposition 1 (the martingale), which expected_collapse_time's docstring quotes
    rng = np.random.default_rng(15)
    current = fully_synthetic(P4, [6] * 200, 20_000, rng)[-1]
    assert np.all(current.max(axis=1) == 1.0)
    freq = current.mean(axis=0)
    assert_within(freq, binomial_se(freq, 20_000), P4)


# --- partially synthetic -------------------------------------------------------------------

def minus_sign_theorem2(m, N, n, S0):
    """Theorem 2 as printed (with -(alpha/N) beta^m), to show simulation rejects it."""
    alpha = n / (N + n)
    beta = alpha * ((1 + 1 / N) * alpha - 1 / N)
    D = 1 + (1 + 1 / N) * alpha
    return (1 / N) * (1 + 2 * alpha - (1 - 1 / N) * alpha * beta**m) / D + (1 - 1 / N) * S0 * (
        1 + alpha - (alpha / N) * beta**m
    ) / D


def recursion(generations, N, n, S0):
    """S_{m+1} = (1 - a^2) S_1 + a^2/n + beta S_m from the one-step conditional moments."""
    alpha = n / (N + n)
    beta = alpha**2 * (1 - 1 / n)
    S = [1 / N + (1 - 1 / N) * S0]
    for _ in range(generations - 1):
        S.append((1 - alpha**2) * S[0] + alpha**2 / n + beta * S[-1])
    return np.array(S)


def test_theorem2_plus_sign_matches_simulation_and_minus_sign_is_rejected():
    # small N, large n: beta^m is large, so the two signs differ by many SE
    rng = np.random.default_rng(20)
    N, n, reps, G = 2, 20, 40_000, 6
    S0 = collision_probability(P4)
    dists = partially_synthetic(P4, N, n, G - 1, reps, rng)
    sim, se = mean_and_se(np.sum(dists**2, axis=-1))
    plus = partially_synthetic_collision(np.arange(G), N, n, S0)
    minus = minus_sign_theorem2(np.arange(G), N, n, S0)
    assert_within(sim, se, plus)
    assert np.max(np.abs(sim - minus) / se) > 3 * Z
    # the closed form equals the recursion exactly, and g = 0 is S_1 exactly
    np.testing.assert_allclose(plus, recursion(G, N, n, S0), rtol=1e-13)
    assert plus[0] == pytest.approx(1 / N + (1 - 1 / N) * S0, abs=1e-15)
    assert minus[0] != pytest.approx(1 / N + (1 - 1 / N) * S0, abs=1e-3)


def test_partially_synthetic_bound_is_the_limit_and_holds():
    for N, n, S0 in [(2, 20, 0.3), (100, 10, 0.1), (50, 400, 0.5)]:
        bound = partially_synthetic_collision_bound(N, n, S0)
        S = partially_synthetic_collision(np.arange(200), N, n, S0)
        assert np.all(S <= bound + 1e-15)
        assert S[-1] == pytest.approx(bound, abs=1e-12)


def test_drift_l2_squared_matches_simulation():
    rng = np.random.default_rng(21)
    N, n, reps, G = 5, 15, 40_000, 6
    S0 = collision_probability(P4)
    dists = partially_synthetic(P4, N, n, G - 1, reps, rng)
    sq = np.sum((dists - dists[0]) ** 2, axis=-1)
    sim, se = mean_and_se(sq[1:])
    theory = drift_l2_squared(np.arange(1, G), N, n, S0)
    assert_within(sim, se, theory)
    assert drift_l2_squared(0, N, n, S0) == 0.0
    # identity: E||p_g - p_0||^2 = S_g - S_0 (synthloop index)
    S = partially_synthetic_collision(np.arange(G), N, n, S0)
    np.testing.assert_allclose(drift_l2_squared(np.arange(G), N, n, S0), S - S[0], atol=1e-15)


def test_drift_l1_bound_holds_on_simulation():
    # two tokens, where G_n(2) = 2 and the bound is informative (about 3x the truth)
    rng = np.random.default_rng(22)
    N, n, reps = 100, 10, 20_000
    dists = partially_synthetic([0.5, 0.5], N, n, 20, reps, rng)
    l1 = np.abs(dists[1:] - dists[0]).sum(axis=-1)
    sim, se = mean_and_se(l1)
    assert np.all(sim + Z * se < drift_l1_bound(N, n, 2))


def test_mardia_lemma_tail_bound_holds_on_simulation():
    rng = np.random.default_rng(23)
    p, n, reps = np.array([0.5, 0.5]), 50, 100_000
    l1 = np.abs(empirical(rng, n, np.broadcast_to(p, (reps, 2))) - p).sum(axis=1)
    for eps in [0.2, 0.3, 0.4]:
        tail = (l1 >= eps).mean()
        bound = np.exp(-n * mardia_phi(0.5) * eps**2 / 4) * mardia_G(n, 2)
        assert tail <= bound + Z * binomial_se(tail, reps)


def test_mardia_exact_values_and_regions():
    assert mardia_phi(0.5) == 2.0
    assert mardia_phi(0.25) == pytest.approx(np.log(3) / 0.5)
    assert mardia_phi(0.1) == pytest.approx(mardia_phi(0.9))
    C0, C1 = np.e**3 / (2 * np.pi), 6 * np.e / np.pi**1.5
    n = 10  # boundaries: C0 n/4 + 2 = 9.99, C0 n/e + 2 = 13.76
    assert mardia_G(n, 9) == pytest.approx(2**9 - 2)
    assert mardia_G(n, 12) == pytest.approx(C1 * 12 * (C0 * n / 12) ** 6)
    assert mardia_G(n, 600) == pytest.approx(C1 * 600 * np.exp(C0 * n / (2 * np.e)))
    # docs/theory.rst: Theorem 3 is > 2 (vacuous) at N = 100, s = 600, n = 10
    assert drift_l1_bound(100, 10, 600) > 2
    assert drift_l1_bound(100, 10, 600) == pytest.approx(
        np.sqrt(np.pi * 10 / 2) * mardia_G(10, 600) / 100
    )


def test_max_synthetic_size_satisfies_its_guarantee():
    C0 = np.e**3 / (2 * np.pi)
    N = np.array([10**7, 10**6, 10**8, 10**12, 10**12])
    s = np.array([600, 600, 100, 30, 10])
    eps = np.array([0.1, 0.05, 0.1, 0.01, 0.5])
    n_max = max_synthetic_size(N, s, eps)
    assert n_max.dtype.kind == "i" and np.all(n_max >= 1)
    assert np.all(s >= C0 * n_max / np.e + 2)  # the regime condition of Eq. (11)
    assert np.all(drift_l1_bound(N, n_max, s) <= eps)
    rhs = 2 * np.pi * np.exp(-2) * np.minimum(s - 2, np.log(np.sqrt(2 * np.pi) * N * eps / (6 * np.e * s)))
    assert np.all(n_max + 1 > rhs)  # the largest integer allowed
    assert max_synthetic_size(100, 600, 0.1) == 0  # nothing guaranteed with little real data


def test_exact_values():
    # Theorem 1 at g = 0 is one empirical fit on n samples
    assert fully_synthetic_collision(0, 10, 0.3) == pytest.approx(0.1 + 0.9 * 0.3)
    assert np.asarray(fully_synthetic_collision([[0], [1]], [5, 10], 0.2)).shape == (2, 2)
    S0, support = categorical_summary([[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(S0, [0.5, 1 / 3])
    np.testing.assert_array_equal(support, [2, 3])
    # a uniform distribution's sum(p**2) may round below 1/support: still accepted
    lo, hi = fully_synthetic_collapse_probability_bounds(0, 3, np.sum(np.full(7, 1 / 7) ** 2), 7)
    assert 0 <= lo <= hi <= 1
    # two tokens: Kimura's -2n[p ln p + (1-p) ln(1-p)], minus 1 for synthloop's index
    assert expected_collapse_time([0.5, 0.5], 100) == pytest.approx(200 * np.log(2) - 1)
