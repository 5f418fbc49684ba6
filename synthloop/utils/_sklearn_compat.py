"""The private scikit-learn API synthloop uses, imported in this one module (as imbalanced-learn's
``utils/_sklearn_compat.py``): when scikit-learn moves one of these, this is the file to change.

- ``Interval``, ``StrOptions``, ``RealNotInt``, ``HasMethods``: the declarative parameter constraints of
  ``_parameter_constraints`` (scikit-learn's own estimators use them; they are not public).
- ``_fit_context``: validates ``_parameter_constraints`` once per ``fit`` / ``partial_fit``.
- ``_validate_shuffle_split``: the train/test sizes ``train_test_split`` would use, without splitting.
"""

from sklearn.base import _fit_context
from sklearn.model_selection._split import _validate_shuffle_split
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions

__all__ = ["HasMethods", "Interval", "RealNotInt", "StrOptions", "_fit_context", "_validate_shuffle_split"]
