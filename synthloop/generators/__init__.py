"""Generators: models of a table with ``fit`` / ``partial_fit`` / ``sample``."""

from ._categorical import CategoricalGenerator
from ._copula import GaussianCopulaGenerator
from ._normal import MultivariateNormalGenerator

__all__ = ["CategoricalGenerator", "GaussianCopulaGenerator", "MultivariateNormalGenerator"]
