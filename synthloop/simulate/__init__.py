"""Exact Monte Carlo of recursive training, through sufficient statistics.

The simulators reproduce the data-level loop (fit, sample ``n_t`` rows, refit)
in distribution without drawing the rows: a Gaussian fit needs one normal and
one chi-square variate per generation, a multivariate normal a Bartlett
factor, a categorical model one multinomial count vector. Replications run in
fixed blocks of 1024, each with its own child of one ``SeedSequence``, so
results never depend on ``n_jobs``.
"""

from ._categorical import CategoricalSimulation, simulate_categorical
from ._gaussian import GaussianSimulation, simulate_gaussian
from ._mvn import MVNSimulation, simulate_mvn

__all__ = [
    "CategoricalSimulation",
    "GaussianSimulation",
    "MVNSimulation",
    "simulate_categorical",
    "simulate_gaussian",
    "simulate_mvn",
]
