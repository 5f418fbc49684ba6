"""Exceptions raised by synthloop, each specialising the builtin it refines."""

__all__ = ["SchemaError", "NotFittedError", "ConfigError", "SizeOverflowError", "FailedScoresWarning", "CopyWarning",
           "UsageError"]

from sklearn.exceptions import NotFittedError


class SchemaError(ValueError):
    """A table cannot be modelled as given (dtype, names, values).

    The message lists every offending column at once and says how to fix it.
    """


class ConfigError(ValueError):
    """A study config that does not validate (the CLI exits with code 2)."""


class SizeOverflowError(ValueError):
    """A schedule's size ``n_t`` exceeds ``2**62`` rows (the largest the loop counts)."""


class FailedScoresWarning(UserWarning):
    """Some scores of a utility evaluation failed; their messages are in ``UtilityReport.scores["error"]``."""


class CopyWarning(UserWarning):
    """A fitted generator would return its training rows: most sampled rows would be rows that occur once."""


class UsageError(Exception):
    """Bad command-line usage (the ``synthloop`` command exits with code 2)."""
