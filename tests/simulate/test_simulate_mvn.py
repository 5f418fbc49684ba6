"""simulate_mvn against the closed forms, the naive row-level loop, and its contract.

Tolerances: 4 Monte Carlo standard errors; KS comparisons with fixed seeds need p > 0.001.
"""

import numpy as np
import pytest
from scipy import stats

from synthloop.schedules import LinearSchedule
from synthloop.simulate import MVNSimulation, simulate_gaussian, simulate_mvn
from synthloop.theory import gaussian_expected_variance

POOLS = ["replace", "augment", "fresh", "accumulate"]
COV = np.array([[2.0, 0.6], [0.6, 1.0]])


def test_shapes_and_store():
    sim = simulate_mvn(4, dim=3, n0=10, n_reps=6, random_state=0)
    assert isinstance(sim, MVNSimulation)
    assert sim.means.shape == (6, 5, 3) and sim.covariances.shape == (6, 5, 3, 3)
    assert sim.logdet.shape == sim.trace.shape == sim.kl.shape == (6, 5)
    covs = sim.covariances
    assert np.allclose(np.linalg.slogdet(covs)[1], sim.logdet)
    assert np.allclose(np.trace(covs, axis1=2, axis2=3), sim.trace)
    lean = simulate_mvn(4, dim=3, n0=10, n_reps=6, store="summary", random_state=0)
    assert lean.covariances is None
    assert np.array_equal(lean.logdet, sim.logdet)


def test_expected_trace_matches_theory():
    T, R = 8, 20_000
    for ddof in (1, 0):
        sim = simulate_mvn(T, cov=COV, n0=15, ddof=ddof, n_reps=R, store="summary", random_state=1)
        expected = gaussian_expected_variance(sim.sizes, ddof=ddof, var=np.trace(COV))
        se = sim.trace.std(axis=0, ddof=1) / np.sqrt(R)
        assert np.all(np.abs(sim.trace.mean(axis=0) - expected) < 4 * se)
        assert np.allclose(sim.summary()["trace_mean_theory"], expected)


def test_one_dimension_matches_simulate_gaussian():
    a = simulate_mvn(10, dim=1, n0=8, n_reps=4000, random_state=2)
    b = simulate_gaussian(10, n0=8, n_reps=4000, random_state=3)
    assert stats.ks_2samp(a.covariances[:, -1, 0, 0], b.variances[:, -1]).pvalue > 0.001
    assert stats.ks_2samp(a.means[:, -1, 0], b.means[:, -1]).pvalue > 0.001


@pytest.mark.parametrize("pool", POOLS)
def test_matches_naive_row_level_loop(pool, naive):
    # d=2, small sizes, 3000 replications each, fixed seeds; KS p-value must exceed 0.001
    schedule = LinearSchedule(n=4)
    sizes = schedule.sizes(5, 6)
    sim = simulate_mvn(5, schedule=schedule, n0=6, cov=COV, pool=pool, n_reps=3000,
                       random_state=10)
    m, S = naive.mvn(sizes, pool=pool, ddof=1, n_reps=3000, rng=np.random.default_rng(11),
                     cov=COV)
    assert stats.ks_2samp(sim.logdet[:, -1], np.linalg.slogdet(S)[1]).pvalue > 0.001
    assert stats.ks_2samp(sim.covariances[:, -1, 0, 1], S[:, 0, 1]).pvalue > 0.001
    assert stats.ks_2samp(sim.means[:, -1, 1], m[:, 1]).pvalue > 0.001


def test_kl_matches_formula():
    sim = simulate_mvn(2, cov=COV, mean=[1.0, -1.0], n0=10, n_reps=5, random_state=0)
    S, m = sim.covariances[:, 2], sim.means[:, 2]
    Si = np.linalg.inv(S)
    diff = m - np.array([1.0, -1.0])
    ref = 0.5 * (np.trace(Si @ COV, axis1=1, axis2=2) + np.einsum("bi,bij,bj->b", diff, Si, diff)
                 - 2 + np.linalg.slogdet(S)[1] - np.linalg.slogdet(COV)[1])
    assert np.allclose(sim.kl[:, 2], ref)


@pytest.mark.parametrize("pool", ["replace", "augment"])
def test_n_jobs_invariance(pool):
    kw = dict(dim=2, n0=10, n_reps=2100, pool=pool, random_state=4)
    a = simulate_mvn(5, n_jobs=1, **kw)
    b = simulate_mvn(5, n_jobs=2, **kw)
    assert np.array_equal(a.covariances, b.covariances) and np.array_equal(a.means, b.means)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(), r"give dim, mean or cov"),
        (dict(cov=np.ones((2, 3))), r"cov must be a square"),
        (dict(cov=[[1.0, 2.0], [2.0, 1.0]]), r"cov must be positive definite"),
        (dict(cov=[[1.0, 0.5], [0.0, 1.0]]), r"cov must be symmetric"),
        (dict(mean=[0, 0, 0], cov=np.eye(2)), r"mean has 3 entries but cov is 2x2"),
        (dict(dim=3, n0=3), r"n0 must exceed the dimension d = 3"),
        (dict(dim=3, n0=10, schedule="constant:3"), r"replace pool needs n_t > d = 3 .* n_1 = 3"),
        (dict(dim=2, store="some"), r"'store' parameter of simulate_mvn must be a str among .* Got 'some'"),
        (dict(dim=2, pool="window"), r"'pool' parameter of simulate_mvn must be a str among .* Got 'window'"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_mvn(3, n_reps=2, **kwargs)
