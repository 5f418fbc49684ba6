"""Generators: models of a table with ``fit`` / ``partial_fit`` / ``sample``."""

from ._argn import TabularARGNGenerator
from ._categorical import CategoricalGenerator
from ._conditional import ConditionalGenerator
from ._copula import GaussianCopulaGenerator
from ._normal import MultivariateNormalGenerator
from ._registry import GENERATORS, generator_class, make_generator
from ._sdv import SDVGenerator
from ._tree import TreeChainGenerator

__all__ = ["CategoricalGenerator", "ConditionalGenerator", "GaussianCopulaGenerator", "MultivariateNormalGenerator",
           "SDVGenerator", "TabularARGNGenerator", "TreeChainGenerator", "GENERATORS", "generator_class", "make_generator"]
