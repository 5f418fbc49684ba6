"""The exact simulators and the data-level RecursiveSynthesizer give the same distributions.

The simulators never draw rows; RecursiveSynthesizer fits real generators on
drawn rows. Over independent replications, the final estimates of both must
come from one distribution: a two-sample Kolmogorov–Smirnov test at level
0.001 with fixed seeds (a false alarm has probability 0.001 per test).
"""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from synthloop import CategoricalGenerator, MultivariateNormalGenerator, RecursiveSynthesizer
from synthloop.simulate import simulate_categorical, simulate_gaussian

N_LOOPS = 300
T = 4


def _loop_variances(covariance, pool, n0, seed):
    rng = np.random.default_rng(seed)
    out = np.empty(N_LOOPS)
    for r in range(N_LOOPS):
        X = pd.DataFrame({"x": rng.normal(size=n0)})
        loop = RecursiveSynthesizer(MultivariateNormalGenerator(covariance=covariance), n_generations=T,
                                    pool=pool, random_state=int(rng.integers(2**32))).fit(X)
        out[r] = loop.parameters_[-1]["covariance"][0, 0]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("covariance, ddof, pool", [("unbiased", 1, "replace"), ("mle", 0, "replace"),
                                                     ("unbiased", 1, "augment")])
def test_gaussian_simulator_matches_the_loop(covariance, ddof, pool):
    n0 = 20
    loop = _loop_variances(covariance, pool, n0, seed=11)
    sim = simulate_gaussian(T, n0=n0, ddof=ddof, pool=pool, n_reps=4000, random_state=12).variances[:, -1]
    assert ks_2samp(loop, sim).pvalue > 1e-3


def test_the_comparison_can_fail():
    # The same test rejects a simulator run with the other estimator (ddof 0 vs 1).
    loop = _loop_variances("unbiased", "replace", 20, seed=11)
    wrong = simulate_gaussian(T, n0=20, ddof=0, pool="replace", n_reps=4000, random_state=12).variances[:, -1]
    assert ks_2samp(loop, wrong).pvalue < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("pool", ["replace", "augment"])
def test_categorical_simulator_matches_the_loop(pool):
    p = np.array([0.5, 0.3, 0.15, 0.05])
    n_real = 15
    rng = np.random.default_rng(21)
    loop = np.empty(N_LOOPS)
    for r in range(N_LOOPS):
        X = pd.DataFrame({"token": pd.Categorical(rng.choice(4, n_real, p=p), categories=range(4))})
        fitted = RecursiveSynthesizer(CategoricalGenerator(structure="independent"), n_generations=T,
                                      pool=pool, random_state=int(rng.integers(2**32))).fit(X)
        loop[r] = fitted.history_["collision[token]"].iloc[-1]
    sim = simulate_categorical(p, T, n_real=n_real, pool=pool, n_reps=4000, random_state=22).collision[:, -1]
    assert ks_2samp(loop, sim).pvalue > 1e-3
