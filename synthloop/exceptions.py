"""Exceptions raised by synthloop, each specialising the builtin it refines."""

__all__ = ["SchemaError", "NotFittedError", "ConfigError"]

from sklearn.exceptions import NotFittedError


class SchemaError(ValueError):
    """A table cannot be modelled as given (dtype, names, values).

    The message lists every offending column at once and says how to fix it.
    """


class ConfigError(ValueError):
    """A study config that does not validate (the CLI exits with code 2)."""
