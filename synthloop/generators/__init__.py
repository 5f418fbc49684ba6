"""Generators: models of a table with ``fit`` / ``partial_fit`` / ``sample``."""

from ._normal import MultivariateNormalGenerator

__all__ = ["MultivariateNormalGenerator"]
