"""simulate_categorical against [B]'s theorems, the naive token-level loop, and its contract.

Tolerances: 4 Monte Carlo standard errors; KS comparisons with fixed seeds need p > 0.001.
"""

import numpy as np
import pytest
from scipy import stats

from synthloop.schedules import LinearSchedule
from synthloop.simulate import CategoricalSimulation, simulate_categorical
from synthloop.theory import (
    drift_l2_squared,
    fully_synthetic_collision,
    fully_synthetic_collision_path,
    partially_synthetic_collision,
)

POOLS = ["replace", "augment", "fresh", "accumulate"]


def _p(s=40, support=12, seed=0):
    p = np.zeros(s)
    p[np.random.default_rng(seed).choice(s, support, replace=False)] = (
        np.random.default_rng(seed).dirichlet(np.ones(support))
    )
    return p


def test_shapes():
    sim = simulate_categorical(_p(), 6, schedule="constant:15", n_reps=7, random_state=0)
    assert isinstance(sim, CategoricalSimulation)
    for a in (sim.collision, sim.max_prob, sim.support, sim.drift_l1, sim.drift_l2sq):
        assert a.shape == (7, 7)
    assert sim.collapse_time.shape == (7,) and sim.final_probs.shape == (7, 40)
    assert sim.support.dtype == np.int64
    assert np.allclose(sim.final_probs.sum(axis=1), 1.0)
    assert np.allclose((sim.final_probs**2).sum(axis=1), sim.collision[:, -1])
    assert np.all(sim.drift_l1[:, 0] == 0)


def test_theorem1_fully_synthetic_collision():
    p, n, T, R = _p(), 20, 40, 4000
    sim = simulate_categorical(p, T, schedule=f"constant:{n}", n_reps=R, random_state=1)
    S0 = float(np.sum(p**2))
    theory = fully_synthetic_collision(np.arange(T + 1), n, S0)
    se = sim.collision.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(sim.collision.mean(axis=0) - theory) < 4 * se + 1e-12)
    df = sim.summary()
    assert np.allclose(df["collision_theory"], theory)


def test_collision_path_growing_schedule():
    p, T, R = _p(), 15, 4000
    sim = simulate_categorical(p, T, schedule=LinearSchedule(n=5), n_real=10, n_reps=R,
                               random_state=2)
    theory = fully_synthetic_collision_path(sim.sizes, float(np.sum(p**2)))
    se = sim.collision.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(sim.collision.mean(axis=0) - theory) < 4 * se + 1e-12)


def test_theorem2_partially_synthetic_collision_and_drift():
    p, N, n, T, R = _p(), 30, 10, 30, 4000
    sim = simulate_categorical(p, T, schedule=f"constant:{n}", n_real=N, pool="augment",
                               n_reps=R, random_state=3)
    S0 = float(np.sum(p**2))
    g = np.arange(T + 1)
    theory = partially_synthetic_collision(g, N, n, S0)
    se = sim.collision.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(sim.collision.mean(axis=0) - theory) < 4 * se)
    d2 = drift_l2_squared(g, N, n, S0)
    se2 = sim.drift_l2sq.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(sim.drift_l2sq.mean(axis=0)[1:] - d2[1:]) < 4 * se2[1:])
    df = sim.summary()
    assert {"collision_theory", "drift_l2sq_theory"} <= set(df.columns)


def test_collapse_lands_on_token_with_probability_p():
    # [B] Proposition 1: the fully synthetic chain is a martingale
    p = np.array([0.5, 0.3, 0.2])
    R = 3000
    sim = simulate_categorical(p, 2000, schedule="constant:10", n_reps=R, random_state=4)
    assert np.all(sim.collapse_time >= 0)
    winner = sim.final_probs.argmax(axis=1)
    frac = np.bincount(winner, minlength=3) / R
    assert np.all(np.abs(frac - p) < 4 * np.sqrt(p * (1 - p) / R))
    # after collapse the statistics are frozen at a Dirac mass
    r = 0
    t = sim.collapse_time[r]
    assert np.all(sim.collision[r, t:] == 1.0) and np.all(sim.support[r, t:] == 1)
    assert np.all(sim.max_prob[r, t:] == 1.0)
    assert np.all(sim.max_prob[r, :t] < 1.0)


def test_mean_collapse_time_near_wright_fisher():
    from synthloop.theory import expected_collapse_time

    p = np.array([0.5, 0.5])
    R, n = 2000, 30
    sim = simulate_categorical(p, 5000, schedule=f"constant:{n}", n_reps=R, random_state=5)
    cs = sim.collapse_summary()
    assert cs["frac_collapsed"] == 1.0
    # the diffusion approximation has O(1/n) relative error: allow 10% plus 4 SE
    approx = float(expected_collapse_time(p, n))
    assert abs(cs["mean"] - approx) < 0.1 * approx + 4 * cs["se"]
    assert cs["theory_lower"] <= cs["mean"] <= cs["theory_upper"]


@pytest.mark.parametrize("pool", POOLS)
def test_matches_naive_token_level_loop(pool, naive):
    # 1500 replications each, s=8, fixed seeds; KS (conservative on discrete data) p > 0.001
    # and the means of collision and drift within 4 SE of each other
    p = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.1, 0.05, 0.0])
    sizes = LinearSchedule(n=4).sizes(6, 10)
    R = 1500
    sim = simulate_categorical(p, 6, schedule=LinearSchedule(n=4), n_real=10, pool=pool,
                               n_reps=R, random_state=6)
    q = naive.categorical(p, sizes, pool=pool, n_reps=R, rng=np.random.default_rng(7))
    a = sim.collision[:, -1]
    b = (q**2).sum(axis=1)
    assert stats.ks_2samp(a, b).pvalue > 0.001
    se = np.sqrt(a.var(ddof=1) / R + b.var(ddof=1) / R)
    assert abs(a.mean() - b.mean()) < 4 * se
    for i in range(p.size):  # per-token marginal means
        x, y = sim.final_probs[:, i], q[:, i]
        se = np.sqrt(x.var(ddof=1) / R + y.var(ddof=1) / R) + 1e-12
        assert abs(x.mean() - y.mean()) < 4 * se


@pytest.mark.parametrize("pool", POOLS)
def test_n_jobs_invariance(pool):
    kw = dict(schedule="constant:6", n_reps=2100, pool=pool, random_state=9)
    a = simulate_categorical(_p(10, 5), 30, n_jobs=1, **kw)
    b = simulate_categorical(_p(10, 5), 30, n_jobs=2, **kw)
    for x, y in zip((a.collision, a.drift_l1, a.collapse_time, a.final_probs),
                    (b.collision, b.drift_l1, b.collapse_time, b.final_probs)):
        assert np.array_equal(x, y)


def test_seeds_reproduce():
    a = simulate_categorical(_p(), 10, schedule="constant:10", n_reps=20)
    ss = np.random.SeedSequence(a.seeds["entropy"], spawn_key=a.seeds["spawn_key"])
    b = simulate_categorical(_p(), 10, schedule="constant:10", n_reps=20, random_state=ss)
    assert np.array_equal(a.final_probs, b.final_probs)


def test_augment_never_collapses_and_support_is_kept():
    sim = simulate_categorical(_p(), 100, schedule="constant:5", n_real=20, pool="augment",
                               n_reps=50, random_state=0)
    assert np.all(sim.collapse_time == -1)
    assert np.all(sim.support[:, -1] >= sim.support[:, 0])


def test_drift_l1_matches_final_probs():
    p = _p()
    sim = simulate_categorical(p, 200, schedule="constant:8", n_reps=30, random_state=1)
    # replay generation 0 from the same seed with zero generations
    g0 = simulate_categorical(p, 0, schedule="constant:8", n_reps=30, random_state=1)
    assert np.allclose(np.abs(sim.final_probs - g0.final_probs).sum(axis=1), sim.drift_l1[:, -1])


@pytest.mark.parametrize(
    "p, kwargs, match",
    [
        ([0.5, 0.6], {}, r"p must sum to 1 \(a probability vector\); it sums to 1.1"),
        ([1.5, -0.5], {}, r"p must be finite and non-negative"),
        ([[0.5, 0.5]], {}, r"p must be a non-empty 1-d array"),
        ([0.5, 0.5], {"schedule": "constant"}, r"n_real=None takes the schedule's n, but ConstantSchedule\(\) has none"),
        ([0.5, 0.5], {"pool": "window"}, r"'pool' parameter of simulate_categorical must be a str among \{'replace', 'augment'"),
        ([0.5, 0.5], {"n_real": 0}, r"'n_real' parameter of simulate_categorical must be an int in the range \[1, inf\) or None\. Got 0"),
    ],
)
def test_errors(p, kwargs, match):
    kwargs = {"schedule": "constant:10", **kwargs}
    with pytest.raises(ValueError, match=match):
        simulate_categorical(p, 3, **kwargs)
