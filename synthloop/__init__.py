"""synthloop: recursive training on synthetic tabular data.

Generators with a scikit-learn API, expansion schedules and pool policies for
training them over generations, the closed forms of the model-collapse theory,
an exact simulator, and a downstream-utility evaluator.
"""

__version__ = "0.1.0.dev0"

from .base import BaseGenerator
from .exceptions import SchemaError
from .generators import MultivariateNormalGenerator

__all__ = [
    "__version__",
    "BaseGenerator",
    "MultivariateNormalGenerator",
    "SchemaError",
]
