"""synthloop: recursive training on synthetic tabular data.

Generators with a scikit-learn API, expansion schedules and pool policies for
training them over generations, the closed forms of the model-collapse theory,
an exact simulator, and a downstream-utility evaluator.
"""

__version__ = "0.1.0.dev0"

from .base import BaseGenerator
from .evaluation import UtilityEvaluator, fidelity_report
from .exceptions import ConfigError, SchemaError
from .generators import (CategoricalGenerator, ConditionalGenerator, GaussianCopulaGenerator,
                         MultivariateNormalGenerator, SDVGenerator, TabularARGNGenerator,
                         TreeChainGenerator)
from .pools import AccumulatePool, AugmentPool, FreshPool, RandomPool, ReplacePool, WindowPool
from .recursive import RecursiveSynthesizer

__all__ = [
    "__version__",
    "BaseGenerator",
    "CategoricalGenerator",
    "ConditionalGenerator",
    "GaussianCopulaGenerator",
    "MultivariateNormalGenerator",
    "SDVGenerator",
    "TabularARGNGenerator",
    "TreeChainGenerator",
    "ConfigError",
    "SchemaError",
    "UtilityEvaluator",
    "fidelity_report",
    "ReplacePool",
    "AugmentPool",
    "FreshPool",
    "AccumulatePool",
    "WindowPool",
    "RandomPool",
    "RecursiveSynthesizer",
]
