"""simulate_gaussian against the closed forms, the naive data-level loop, and its contract.

Statistical tolerances are 4 Monte Carlo standard errors; distribution comparisons are
two-sample KS tests with fixed seeds that must give p > 0.001.
"""

import numpy as np
import pytest
from scipy import stats

from synthloop.schedules import ConstantSchedule, LinearSchedule
from synthloop.simulate import GaussianSimulation, simulate_gaussian

POOLS = ["replace", "augment", "fresh", "accumulate"]


def test_shapes_and_record():
    sim = simulate_gaussian(7, schedule="linear", n0=10, n_reps=13, random_state=0)
    assert isinstance(sim, GaussianSimulation)
    assert sim.means.shape == sim.variances.shape == (13, 8)
    assert sim.sizes.tolist() == [10, 10, 20, 30, 40, 50, 60, 70]
    assert sim.n_reps == 13 and sim.n_generations == 7
    assert set(sim.seeds) >= {"entropy", "spawn_key", "block_size", "n_blocks"}
    assert sim.settings["schedule"] == LinearSchedule()
    assert np.all(sim.variances > 0)


def test_zero_generations():
    sim = simulate_gaussian(0, n0=5, n_reps=3, random_state=0)
    assert sim.variances.shape == (3, 1)


@pytest.mark.parametrize("pool", POOLS)
def test_n_jobs_invariance(pool):
    kw = dict(schedule="linear", n0=8, n_reps=2500, pool=pool, random_state=42)
    a = simulate_gaussian(20, n_jobs=1, **kw)
    b = simulate_gaussian(20, n_jobs=2, **kw)
    assert np.array_equal(a.means, b.means) and np.array_equal(a.variances, b.variances)


def test_n_jobs_invariance_under_a_process_backend():
    # blocks write into shared result arrays: a process backend set by the user
    # must still give the same numbers (joblib falls back to threads)
    from joblib import parallel_config

    kw = dict(schedule="constant", n0=8, n_reps=2500, random_state=4)
    a = simulate_gaussian(10, n_jobs=1, **kw)
    with parallel_config(backend="loky"):
        b = simulate_gaussian(10, n_jobs=2, **kw)
    assert np.array_equal(a.means, b.means) and np.array_equal(a.variances, b.variances)


@pytest.mark.parametrize("schedule", ["constant", "linear"])
@pytest.mark.parametrize("ddof", [1, 0])
def test_replace_pool_is_the_recursion_on_its_recorded_variates(schedule, ddof):
    # docs/theory.rst, "Gaussian estimation" written out generation by generation, on the variates the
    # recorded seeds give: block b draws Z from child (b, 0) and chi^2_{n_t - 1}
    # from child (b, 1), (replication, generation) row-major. The in-place,
    # vectorised implementation must be this recursion up to rounding, for the
    # scalar-shape (constant) and per-generation-shape (linear) draws, and
    # across blocks (1500 replications: two blocks, the last one short).
    T, n0, n_reps, mean, var = 12, 10, 1500, 1.0, 2.0
    sim = simulate_gaussian(T, schedule=schedule, n0=n0, ddof=ddof, mean=mean, var=var,
                            n_reps=n_reps, random_state=5)
    n = sim.sizes.astype(float)
    root = np.random.SeedSequence(sim.seeds["entropy"], spawn_key=sim.seeds["spawn_key"])
    B = sim.seeds["block_size"]
    for b, child in enumerate(root.spawn(sim.seeds["n_blocks"])):
        z_rng, w_rng = (np.random.default_rng(s) for s in child.spawn(2))
        rows = slice(b * B, min((b + 1) * B, n_reps))
        k = rows.stop - rows.start
        z = z_rng.standard_normal((k, T + 1))
        w = w_rng.chisquare(sim.sizes - 1, size=(k, T + 1))
        m, v = np.empty((k, T + 1)), np.empty((k, T + 1))
        m[:, 0] = mean + np.sqrt(var) * z[:, 0] / np.sqrt(n0)
        v[:, 0] = var * w[:, 0] / (n0 - ddof)
        for t in range(1, T + 1):
            m[:, t] = m[:, t - 1] + np.sqrt(v[:, t - 1]) * z[:, t] / np.sqrt(n[t])
            v[:, t] = v[:, t - 1] * w[:, t] / (n[t] - ddof)
        np.testing.assert_allclose(sim.variances[rows], v, rtol=1e-12)
        np.testing.assert_allclose(sim.means[rows], m, rtol=1e-12, atol=1e-12)


def test_seeds_reproduce():
    a = simulate_gaussian(5, n0=10, n_reps=50, random_state=None)
    ss = np.random.SeedSequence(a.seeds["entropy"], spawn_key=a.seeds["spawn_key"])
    b = simulate_gaussian(5, n0=10, n_reps=50, random_state=ss)
    assert np.array_equal(a.variances, b.variances)
    c = simulate_gaussian(5, n0=10, n_reps=50, random_state=7)
    d = simulate_gaussian(5, n0=10, n_reps=50, random_state=7)
    assert np.array_equal(c.variances, d.variances)
    assert not np.array_equal(a.variances, c.variances)


def test_random_state_kinds():
    a = simulate_gaussian(3, n0=10, n_reps=5, random_state=np.random.RandomState(0))
    b = simulate_gaussian(3, n0=10, n_reps=5, random_state=np.random.RandomState(0))
    assert np.array_equal(a.variances, b.variances)
    c = simulate_gaussian(3, n0=10, n_reps=5, random_state=np.random.default_rng(0))
    d = simulate_gaussian(3, n0=10, n_reps=5, random_state=np.random.default_rng(0))
    assert np.array_equal(c.variances, d.variances)


def test_first_reps_do_not_depend_on_n_reps():
    # blocks are fixed: the first block is the same whatever the total
    a = simulate_gaussian(4, n0=10, n_reps=100, random_state=3)
    b = simulate_gaussian(4, n0=10, n_reps=1500, random_state=3)
    assert np.array_equal(a.variances, b.variances[:100])


@pytest.mark.parametrize("ddof", [1, 0])
def test_expected_variance_and_mean_error(ddof):
    from synthloop.theory import gaussian_expected_variance, gaussian_mean_error_variance

    T, n_reps = 10, 20_000
    sim = simulate_gaussian(T, n0=20, ddof=ddof, n_reps=n_reps, random_state=11)
    expected = gaussian_expected_variance(sim.sizes, ddof=ddof)
    v = sim.variances
    se = v.std(axis=0, ddof=1) / np.sqrt(n_reps)
    assert np.all(np.abs(v.mean(axis=0) - expected) < 4 * se)
    err2 = sim.means**2
    mse = gaussian_mean_error_variance(sim.sizes, ddof=ddof)
    se2 = err2.std(axis=0, ddof=1) / np.sqrt(n_reps)
    assert np.all(np.abs(err2.mean(axis=0) - mse) < 4 * se2)


@pytest.mark.parametrize("ddof, schedule, eps", [(1, "constant", 0.2), (0, "linear", 0.6)])
def test_collapse_probability(ddof, schedule, eps):
    from synthloop.theory import gaussian_variance_collapse_probability

    n_reps = 10_000
    sim = simulate_gaussian(100, n0=50, schedule=schedule, ddof=ddof, n_reps=n_reps,
                            random_state=5)
    exact = gaussian_variance_collapse_probability(sim.sizes, eps, ddof=ddof)
    frac = np.mean(sim.variances <= eps, axis=0)
    se = np.sqrt(exact * (1 - exact) / n_reps)
    assert 0.05 < exact[-1] < 0.95  # the comparison is informative
    assert np.all(np.abs(frac - exact) <= 4 * se + 1e-12)


def test_summary_columns_and_theory():
    sim = simulate_gaussian(30, n0=20, n_reps=4000, random_state=1)
    df = sim.summary(eps=0.3, generations=[0, 10, 30])
    assert list(df.index) == [0, 10, 30]
    for col in ["frac_collapsed", "frac_collapsed_theory", "var_max", "var_median", "var_mean",
                "var_mean_theory", "kl_mean", "kl_median", "mean_sq_error", "mean_sq_error_theory"]:
        assert col in df.columns
    kl = sim.kl_risk()[:, 30]
    assert df.loc[30, "kl_mean"] == pytest.approx(kl.mean())
    assert df.loc[30, "kl_median"] == pytest.approx(np.median(kl))
    assert df.loc[10, "var_median"] == pytest.approx(np.median(sim.variances[:, 10]))
    assert df.loc[30, "frac_collapsed"] == pytest.approx(np.mean(sim.variances[:, 30] <= 0.3))
    assert abs(df.loc[30, "frac_collapsed"] - df.loc[30, "frac_collapsed_theory"]) < 4 * max(
        df.loc[30, "frac_collapsed_se"], 1e-3)
    # non-replace pools have no closed form: no theory columns
    aug = simulate_gaussian(3, n0=20, n_reps=10, pool="augment", random_state=1).summary()
    assert not any(c.endswith("_theory") for c in aug.columns)


def test_kl_formula():
    sim = simulate_gaussian(1, n0=10, n_reps=3, mean=1.0, var=2.0, random_state=0)
    m, v = sim.means[:, 1], sim.variances[:, 1]
    ref = 0.5 * (np.log(v / 2.0) + (2.0 + (m - 1.0) ** 2) / v - 1)
    assert np.allclose(sim.kl_risk()[:, 1], ref)


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("ddof", [1, 0])
def test_matches_naive_data_level_loop(pool, ddof, naive):
    # small sizes, 4000 replications each; fixed seeds; KS p-value must exceed 0.001
    schedule = LinearSchedule(n=3)
    sizes = schedule.sizes(6, 8)
    sim = simulate_gaussian(6, schedule=schedule, n0=8, ddof=ddof, pool=pool, n_reps=4000,
                            mean=1.0, var=2.0, random_state=123)
    m, v = naive.gaussian(sizes, pool=pool, ddof=ddof, n_reps=4000,
                          rng=np.random.default_rng(321), mean=1.0, var=2.0)
    assert stats.ks_2samp(sim.variances[:, -1], v).pvalue > 0.001
    assert stats.ks_2samp(sim.means[:, -1], m).pvalue > 0.001


def test_naive_comparison_has_power(naive):
    # the same KS test tells a wrong ddof apart: the comparison above can fail
    sizes = ConstantSchedule().sizes(6, 8)
    sim = simulate_gaussian(6, n0=8, ddof=1, n_reps=4000, random_state=123)
    _, v = naive.gaussian(sizes, pool="replace", ddof=0, n_reps=4000, rng=np.random.default_rng(3))
    assert stats.ks_2samp(sim.variances[:, -1], v).pvalue < 0.001


def test_replace_collapses_and_polynomial_does_not():
    const = simulate_gaussian(300, n0=30, n_reps=500, random_state=0)
    poly = simulate_gaussian(300, n0=30, schedule="polynomial:2", n_reps=500, random_state=0)
    assert np.median(const.variances[:, -1]) < 0.01
    assert np.median(poly.variances[:, -1]) > 0.5


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(n_generations=-1), ValueError,
         r"The 'n_generations' parameter of simulate_gaussian must be an int in the range \[0, inf\)\. Got -1"),
        (dict(n_generations=2.0), TypeError, r"'n_generations' parameter .* must be an int in .* Got 2\.0 instead"),
        (dict(n0=1), ValueError, r"'n0' parameter .* must be an int in the range \[2, inf\)\. Got 1"),
        (dict(var=0.0), ValueError, r"'var' parameter .* must be a float in the range \(0\.0, inf\)\. Got 0\.0"),
        (dict(mean=float("inf")), ValueError, r"'mean' parameter .* must be a float in the range \(-inf, inf\)"),
        (dict(ddof=-1), ValueError, r"'ddof' parameter .* must be a float in the range \[0\.0, inf\)"),
        (dict(ddof=5, n0=5), ValueError, r"ddof must be < n0 = 5"),
        (dict(pool="window"), ValueError, r"'pool' parameter of simulate_gaussian must be a str among "
                                          r"\{'replace', 'augment', 'fresh', 'accumulate'\}\. Got 'window'"),
        (dict(n_reps=0), ValueError, r"'n_reps' parameter .* must be an int in the range \[1, inf\)"),
        (dict(n_jobs=0), ValueError, r"'n_jobs' parameter .* must be an int in the range \(-inf, -1\], an int in "
                                     r"the range \[1, inf\) or None\. Got 0"),
        (dict(random_state="x"), TypeError, r"random_state must be None, an int"),
        (dict(schedule="cubic"), ValueError, r"Unknown schedule 'cubic'"),
        (dict(schedule="constant:1"), ValueError, r"replace pool needs n_t >= 2 .* n_1 = 1"),
    ],
)
def test_errors(kwargs, exc, match):
    kwargs = {"n_generations": 3, "n_reps": 2, **kwargs}
    T = kwargs.pop("n_generations")
    with pytest.raises(exc, match=match):
        simulate_gaussian(T, **kwargs)


def test_n_t_of_one_allowed_with_real_rows():
    sim = simulate_gaussian(3, schedule="constant:1", pool="augment", n0=5, n_reps=4, random_state=0)
    assert np.all(np.isfinite(sim.variances))


def test_summary_errors():
    sim = simulate_gaussian(3, n0=10, n_reps=5, random_state=0)
    with pytest.raises(ValueError, match=r"generations must lie in \[0, 3\]"):
        sim.summary(generations=[4])
    with pytest.raises(ValueError, match=r"GaussianSimulation.summary: eps must be a finite number > 0.0; got 0"):
        sim.summary(eps=0)
