"""Gaussian closed forms [A*] against data-level Monte Carlo of the replace loop.

Every statistical assertion allows 4 Monte Carlo standard errors computed from the
simulated sample itself (binomial SE for probabilities); seeds are fixed.
"""

import numpy as np
import pytest
from scipy import integrate, special, stats

from synthloop.theory import (
    collapses,
    gaussian_expected_variance,
    gaussian_kl_risk,
    gaussian_log_variance_moments,
    gaussian_mean_error_variance,
    gaussian_variance_collapse_probability,
    improvement_probability,
    required_power,
)

Z = 4.0  # tolerance in Monte Carlo standard errors


def simulate_loop(sizes, *, ddof, reps, rng, dim=1, known_sigma=False):
    """Replace loop at data level: draw n_t rows from the previous fit, refit mean/var.

    Returns the fitted means (G, reps, dim) and variances (G, reps) of generations 0..T,
    true distribution N(0, 1) (per coordinate).
    """
    mean = np.zeros((reps, dim))
    sd = np.ones(reps)
    means, variances = [], []
    for n in sizes:
        x = mean[:, None, :] + sd[:, None, None] * rng.standard_normal((reps, n, dim))
        mean = x.mean(axis=1)
        var = x[..., 0].var(axis=1, ddof=ddof)
        if not known_sigma:
            sd = np.sqrt(var)
        means.append(mean)
        variances.append(var)
    return np.array(means), np.array(variances)


def assert_within(sim, se, theory, z=Z):
    sim, se, theory = np.broadcast_arrays(sim, se, theory)
    bad = np.abs(sim - theory) > z * se
    assert not bad.any(), (sim[bad], theory[bad], se[bad])


def mean_and_se(samples, axis=-1):
    return samples.mean(axis=axis), samples.std(axis=axis, ddof=1) / np.sqrt(samples.shape[axis])


def binomial_se(p_hat, reps):
    # +1/reps keeps the SE positive when the simulated frequency is exactly 0 or 1
    return np.sqrt((p_hat * (1 - p_hat) + 1.0 / reps) / reps)


SIZES = [4, 6, 5, 8, 3, 10]


@pytest.mark.parametrize("ddof", [0, 1])
def test_expected_variance_matches_simulation(ddof):
    rng = np.random.default_rng(0)
    _, variances = simulate_loop(SIZES, ddof=ddof, reps=40_000, rng=rng)
    sim, se = mean_and_se(variances)
    theory = gaussian_expected_variance(SIZES, ddof=ddof, var=1.0)
    assert theory.shape == (len(SIZES),)
    assert_within(sim, se, theory)
    # and the value is not trivially 1 for the MLE: the decay is visible in the simulation
    if ddof == 0:
        assert sim[-1] < 1 - Z * se[-1]


def test_expected_variance_scales_with_var_and_broadcasts():
    sizes = np.array([[10, 10, 10], [20, 20, 20]])
    out = gaussian_expected_variance(sizes, ddof=0, var=[[2.0], [3.0]])
    assert out.shape == (2, 2, 3)
    np.testing.assert_allclose(out[1, 0], 3.0 * 0.9 ** np.arange(1, 4))


@pytest.mark.parametrize("ddof", [0, 1])
def test_log_variance_moments_match_simulation(ddof):
    rng = np.random.default_rng(1)
    _, variances = simulate_loop(SIZES, ddof=ddof, reps=40_000, rng=rng)
    logs = np.log(variances)
    mean, var = gaussian_log_variance_moments(SIZES, ddof=ddof)
    sim_mean, se_mean = mean_and_se(logs)
    assert_within(sim_mean, se_mean, mean)
    centred = (logs - logs.mean(axis=1, keepdims=True)) ** 2
    sim_var, se_var = mean_and_se(centred)
    assert_within(sim_var, se_var, var)


@pytest.mark.parametrize("ddof", [0, 1])
def test_collapse_probability_exact_matches_data_level_simulation(ddof):
    sizes = [5] * 16
    eps = 0.15
    reps = 40_000
    rng = np.random.default_rng(2)
    _, variances = simulate_loop(sizes, ddof=ddof, reps=reps, rng=rng)
    p_hat = (variances <= eps).mean(axis=1)
    exact = gaussian_variance_collapse_probability(sizes, eps, ddof=ddof)
    assert exact.shape == (16,)
    assert_within(p_hat, binomial_se(p_hat, reps), exact)


def test_collapse_probability_exact_matches_simulation_at_figure3_scale():
    # [A] Figure 3 setting, constant schedule: sigma^2 = 1, n = 100, T = 500, eps = 0.05.
    # Sufficient-statistic simulation (exact in distribution): product of chi2 ratios.
    sizes = np.full(501, 100)
    reps = 20_000
    rng = np.random.default_rng(3)
    log_w = np.log(rng.chisquare(99, size=(reps, 501)) / 99.0)
    log_var = np.cumsum(log_w, axis=1)
    p_hat = (log_var <= np.log(0.05)).mean(axis=0)
    exact = gaussian_variance_collapse_probability(sizes, 0.05, ddof=1)
    gens = [100, 200, 300, 400, 500]
    assert_within(p_hat[gens], binomial_se(p_hat[gens], reps), exact[gens])


def test_collapse_probability_exact_equals_chi2_cdf_for_one_generation():
    eps = np.array([0.01, 0.3, 0.9, 1.0, 1.7, 4.0])
    for n in [2, 3, 10, 100, 10_000]:
        for ddof in [0, 1]:
            got = gaussian_variance_collapse_probability(n, eps, ddof=ddof, var=2.0)[:, 0]
            ref = stats.chi2.cdf(eps / 2.0 * (n - ddof), n - 1)
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)


def test_collapse_probability_exact_equals_quadrature_for_two_generations():
    n0, n1, ddof, eps = 6, 3, 1, 0.4

    def integrand(y0):  # density of log W_0 times P(log W_1 <= ln eps - y0)
        c = np.exp(y0) * (n0 - ddof)
        return stats.chi2.pdf(c, n0 - 1) * c * stats.chi2.cdf(np.exp(np.log(eps) - y0) * (n1 - ddof), n1 - 1)

    ref, _ = integrate.quad(integrand, -60, 10, limit=500, epsabs=1e-13)
    got = gaussian_variance_collapse_probability([n0, n1], eps, ddof=ddof)[1]
    assert abs(got - ref) < 1e-9


def test_normal_approximation_close_to_exact_for_large_n_and_not_for_small():
    # Edgeworth: the error is about skewness/6 * max|phi(z)(z^2-1)| ~ sqrt(8/sum k)/6 * 0.4
    big = gaussian_variance_collapse_probability([1000] * 51, 0.9, method="normal")
    big_exact = gaussian_variance_collapse_probability([1000] * 51, 0.9, method="exact")
    assert np.max(np.abs(big - big_exact)) < 0.005
    small = gaussian_variance_collapse_probability([3] * 11, 0.2, method="normal")
    small_exact = gaussian_variance_collapse_probability([3] * 11, 0.2, method="exact")
    assert np.max(np.abs(small - small_exact)) > 0.01


def test_collapse_probability_broadcasts_over_eps_and_schedules():
    sizes = np.array([[10] * 4, [20] * 4])
    out = gaussian_variance_collapse_probability(sizes, [[0.5], [0.8]], ddof=0)
    assert out.shape == (2, 2, 4)
    for i, eps in enumerate([0.5, 0.8]):
        for j in range(2):
            one = gaussian_variance_collapse_probability(sizes[j], eps, ddof=0)
            np.testing.assert_allclose(out[i, j], one, atol=1e-12)
    assert np.all(np.diff(out[:, 0], axis=0) > 0)  # larger eps, larger probability


@pytest.mark.parametrize("ddof", [None, 0, 1])
def test_mean_error_variance_matches_simulation(ddof):
    sizes = [5, 10, 4, 20, 6]
    rng = np.random.default_rng(4)
    means, _ = simulate_loop(
        sizes, ddof=0 if ddof is None else ddof, reps=40_000, rng=rng, known_sigma=ddof is None
    )
    sim, se = mean_and_se(means[..., 0] ** 2)  # true mean is 0
    theory = gaussian_mean_error_variance(sizes, ddof=ddof)
    assert_within(sim, se, theory)
    if ddof is None:  # sigma known: the error is exactly normal, check a tail probability too
        q = np.abs(means[-1, :, 0]) > 1.96 * np.sqrt(theory[-1])
        assert abs(q.mean() - 0.05) < Z * binomial_se(q.mean(), q.size)


@pytest.mark.parametrize("dim", [1, 3])
def test_improvement_probability_matches_simulation(dim):
    sizes = [20, 20, 40, 10, 80]
    reps = 40_000
    rng = np.random.default_rng(5 + dim)
    means, _ = simulate_loop(sizes, ddof=1, reps=reps, rng=rng, dim=dim, known_sigma=True)
    err = np.linalg.norm(means, axis=-1)  # Fisher metric = Euclidean for N(mu, I)
    p_hat = (err < err[0]).mean(axis=1)
    theory = improvement_probability(sizes, dim=dim)
    assert theory[0] == 0.0 and p_hat[0] == 0.0
    assert_within(p_hat[1:], binomial_se(p_hat[1:], reps), theory[1:])


def test_improvement_probability_forms_agree():
    sizes = np.array([100, 100, 50, 200, 25, 1000])
    ratio = 100 * np.cumsum(1.0 / sizes[1:])
    arctan_form = np.arctan(2.0 / np.sqrt(ratio)) / np.pi
    np.testing.assert_allclose(improvement_probability(sizes, dim=1)[1:], arctan_form, atol=1e-14)
    # general d: the Student-t form equals E_{chi ~ chi_d}[Phi(-sqrt(R) chi / 2)]
    for d in [1, 2, 5]:
        for m in [25, 100, 400]:
            r = 100 / m
            expectation, _ = integrate.quad(
                lambda c: special.ndtr(-np.sqrt(r) * c / 2.0) * stats.chi.pdf(c, d), 0, np.inf
            )
            assert abs(improvement_probability([100, m], dim=d)[1] - expectation) < 1e-9
    p = improvement_probability([100, 100], dim=[1, 2, 5, 20])[:, 1]
    assert np.all(np.diff(p) < 0) and np.all(p < 0.5)


def test_kl_risk_matches_monte_carlo_log_likelihood_gap():
    rng = np.random.default_rng(6)
    mu, var = 1.0, 2.0
    x = rng.normal(mu, np.sqrt(var), size=400_000)
    for mean_hat, var_hat in [(1.0, 2.0), (0.2, 1.0), (2.5, 6.0), (1.3, 0.3)]:
        gap = stats.norm.logpdf(x, mu, np.sqrt(var)) - stats.norm.logpdf(x, mean_hat, np.sqrt(var_hat))
        sim, se = mean_and_se(gap)
        theory = gaussian_kl_risk(mean_hat, var_hat, mean=mu, var=var)
        assert abs(sim - theory) < Z * se + 1e-12
    assert gaussian_kl_risk(0.0, 0.0) == np.inf
    assert gaussian_kl_risk([0.0, 1.0], 1.0).shape == (2,)


def test_collapse_criterion_families():
    assert collapses("constant") and collapses("linear")
    assert not collapses("geometric") and not collapses("geometric:1.5")
    assert not collapses("polynomial") and not collapses("polynomial:2.0")
    assert collapses("polynomial:1.0") and collapses("polynomial:0.5")
    # bias of order n^-1/2 needs power > 2
    assert required_power(0.5) == 2.0 and required_power(3.0) == 1.0
    assert collapses("polynomial:2.0", bias_exponent=0.5)
    assert not collapses("polynomial:2.5", bias_exponent=0.5)
    np.testing.assert_array_equal(
        collapses("polynomial:1.5", bias_exponent=[0.5, 0.6, 0.7, 1.0, 2.0]),
        [True, True, False, False, False],
    )


class _Schedule:
    def __init__(self, family, **kw):
        self.family = family
        self.__dict__.update(kw)


def test_collapse_criterion_duck_types_schedule_objects():
    assert collapses(_Schedule("polynomial", power=1.2)) is False
    assert collapses(_Schedule("polynomial", power=1.0)) is True
    assert collapses(_Schedule("polynomial")) is False  # default power 1.5
    assert collapses(_Schedule("geometric", ratio=1.01)) is False
    with pytest.raises(ValueError, match="callable schedule cannot be decided in closed form"):
        collapses(_Schedule("callable"))


def test_collapse_criterion_agrees_with_log_variance_drift():
    # collapse <=> the median log-variance drift sum_t m_t diverges (ddof=1: m_t ~ -1/n_t)
    t = np.arange(1, 200_001)
    for spec, sizes in [
        ("constant", np.full(t.size, 100)),
        ("linear", np.ceil(100 * t)),
        ("polynomial:1.5", np.ceil(100 * t**1.5)),
    ]:
        mean, _ = gaussian_log_variance_moments(np.r_[100, sizes])
        # tail of the drift between T = 20000 and T = 200000
        tail = mean[20_000] - mean[-1]
        assert (tail > 0.01) == collapses(spec), spec
