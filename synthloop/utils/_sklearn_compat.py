"""The private scikit-learn API synthloop uses, imported in this one module (as imbalanced-learn's
``utils/_sklearn_compat.py``): when scikit-learn moves one of these, this is the file to change.

- ``Interval``, ``StrOptions``, ``RealNotInt``, ``HasMethods``: the declarative parameter constraints of
  ``_parameter_constraints`` (scikit-learn's own estimators use them; they are not public).
- ``_fit_context``: validates ``_parameter_constraints`` once per ``fit`` / ``partial_fit``.
- ``validate_params``: the same constraints for a public function, declared in a decorator
  (``prefer_skip_nested_validation=True`` everywhere in synthloop: a function checks its own arguments
  once, not those it hands on to the estimators and functions it calls).
- ``_validate_shuffle_split``: the train/test sizes ``train_test_split`` would use, without splitting.
"""

from sklearn.base import _fit_context
from sklearn.model_selection._split import _validate_shuffle_split
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions, validate_params

__all__ = ["HasMethods", "Interval", "RealNotInt", "StrOptions", "_fit_context", "_validate_shuffle_split",
           "ordered_options", "validate_params"]


def ordered_options(names):
    """``StrOptions`` of ``names`` whose message lists them in their order (a set prints in hash order)."""
    return StrOptions(dict.fromkeys(names).keys())
