"""The words a study config's schema is written in: strict validators of TOML values.

A schema maps ``key -> (validator, required)``. A validator is called as
``check(value, where, source)`` and returns the cleaned value or raises
:class:`~synthloop.exceptions.ConfigError`; ``where`` is the dotted path
shown in messages (``datasets[0].target``), ``source`` the file. A misspelt
key is an error naming the close match. Each study kind writes its own keys
in these words (``study/kinds/``); ``_config.py`` adds the keys every kind has.
"""

from __future__ import annotations

import difflib

from ..exceptions import ConfigError
from ..pools import check_pool
from ..schedules import check_schedule

__all__ = ["error", "suggest", "validate", "integer", "number", "string", "list_of", "table_of", "any_table",
           "named_tables", "schedule_name", "pool_name"]


def error(source, where, msg):
    return ConfigError(f"{source}: {where}: {msg}")


def integer(lo=None):
    def check(v, where, source):
        if isinstance(v, bool) or not isinstance(v, int) or (lo is not None and v < lo):
            raise error(source, where, f"expected an integer >= {lo}, got {v!r}")
        return v
    return check


def number(lo=None, hi=None, open_lo=False, open_hi=False):
    def check(v, where, source):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if ok and lo is not None:
            ok = v > lo if open_lo else v >= lo
        if ok and hi is not None:
            ok = v < hi if open_hi else v <= hi
        if not ok:
            rng = f"{'(' if open_lo else '['}{lo}, {hi}{')' if open_hi else ']'}"
            raise error(source, where, f"expected a number in {rng}, got {v!r}")
        return float(v)
    return check


def string(options=None, what="value"):
    def check(v, where, source):
        if not isinstance(v, str):
            raise error(source, where, f"expected a string, got {v!r}")
        if options is not None and v not in options:
            raise error(source, where, f"unknown {what} {v!r}; valid options are {list(options)}"
                        + suggest(v, options))
        return v
    return check


def list_of(item, *, nonempty=True, unique=True):
    def check(v, where, source):
        if not isinstance(v, list) or (nonempty and not v):
            raise error(source, where, f"expected a non-empty list, got {v!r}")
        out = [item(x, f"{where}[{i}]", source) for i, x in enumerate(v)]
        if unique and len(set(map(repr, out))) != len(out):
            raise error(source, where, f"has duplicates: {v!r}")
        return out
    return check


def _resolvable(resolve):
    """A string that ``resolve`` (``check_schedule``, ``check_pool``) accepts."""
    def check(v, where, source):
        string()(v, where, source)
        try:
            resolve(v)
        except (ValueError, TypeError) as exc:
            raise error(source, where, str(exc)) from None
        return v
    return check


schedule_name = _resolvable(check_schedule)
pool_name = _resolvable(check_pool)


def table_of(schema):
    def check(v, where, source):
        if not isinstance(v, dict):
            raise error(source, where, f"expected a table, got {v!r}")
        return validate(v, schema, where, source)
    return check


def any_table(v, where, source):
    if not isinstance(v, dict):
        raise error(source, where, f"expected a table, got {v!r}")
    return dict(v)


def named_tables(item):
    def check(v, where, source):
        if not isinstance(v, dict) or not v:
            raise error(source, where, f"expected a non-empty table of named entries, got {v!r}")
        return {k: item(x, f"{where}.{k}", source) for k, x in v.items()}
    return check


def suggest(key, options):
    close = difflib.get_close_matches(str(key), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validate(data, schema, where, source):
    out = {}
    for key, value in data.items():
        if key not in schema:
            prefix = f"{where}." if where else ""
            raise ConfigError(f"{source}: unknown key '{prefix}{key}'{suggest(key, schema)}; "
                              f"valid keys here are {sorted(schema)}")
    for key, (check, required) in schema.items():
        path = f"{where}.{key}" if where else key
        if key not in data:
            if required:
                raise ConfigError(f"{source}: missing required key {path!r}")
            continue
        out[key] = check(data[key], path, source)
    return out
