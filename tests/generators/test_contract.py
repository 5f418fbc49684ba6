"""Every generator passes sklearn's checks and synthloop's own generator checks."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from synthloop import MultivariateNormalGenerator
from synthloop.utils.estimator_checks import parametrize_with_generator_checks

GENERATORS = [
    MultivariateNormalGenerator(),
    MultivariateNormalGenerator(covariance="mle"),
    MultivariateNormalGenerator(covariance="ledoit-wolf"),
]
# Returns integer columns as unrounded, unclipped float64 by design (its dtypes_ says so).
CONTINUOUS = MultivariateNormalGenerator(integers="continuous")

@parametrize_with_checks(GENERATORS + [CONTINUOUS])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_generator_checks(GENERATORS)
def test_generator_contract(generator, check):
    check(generator)


@parametrize_with_generator_checks([CONTINUOUS])
def test_generator_contract_continuous_integers(generator, check):
    check(generator)
