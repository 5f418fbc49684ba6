"""Study configurations: strict TOML validation, the grid of cells, the config hash.

A config is a TOML file (``experiments/<name>/config.toml``) with explicit
seeds. Every key is checked: a misspelt key is an error naming it and the
close match; an unknown generator model, schedule or pool lists the valid
options. The validated config is a plain dict; its hash (SHA-256 of its
canonical JSON) ties a results directory to it.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets import BUNDLED
from ..exceptions import ConfigError
from ..generators import GENERATORS, generator_class
from ..pools import check_pool
from ..schedules import check_schedule
from ._bundled import bundled_config_path

__all__ = ["ConfigError", "StudyConfig", "load_config", "smoke_config", "KINDS"]

KINDS = ("recursive", "gaussian", "categorical")

COLUMN_SETS = ("numeric", "categorical", "all")
_GENERATOR_NAMES = [alias for name, (_, aliases) in GENERATORS.items() for alias in (name, *aliases)]
ESTIMATORS = ("logistic_regression", "hist_gradient_boosting")


# ------------------------------------------------------------------ schema
# A schema maps key -> (validator, required). Validators return the cleaned value
# or raise ConfigError; ``where`` is the dotted path shown in messages.

def _err(source, where, msg):
    return ConfigError(f"{source}: {where}: {msg}")


def _int(lo=None):
    def check(v, where, source):
        if isinstance(v, bool) or not isinstance(v, int) or (lo is not None and v < lo):
            raise _err(source, where, f"expected an integer >= {lo}, got {v!r}")
        return v
    return check


def _float(lo=None, hi=None, open_lo=False, open_hi=False):
    def check(v, where, source):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if ok and lo is not None:
            ok = v > lo if open_lo else v >= lo
        if ok and hi is not None:
            ok = v < hi if open_hi else v <= hi
        if not ok:
            rng = f"{'(' if open_lo else '['}{lo}, {hi}{')' if open_hi else ']'}"
            raise _err(source, where, f"expected a number in {rng}, got {v!r}")
        return float(v)
    return check


def _str(options=None, what="value"):
    def check(v, where, source):
        if not isinstance(v, str):
            raise _err(source, where, f"expected a string, got {v!r}")
        if options is not None and v not in options:
            raise _err(source, where, f"unknown {what} {v!r}; valid options are {list(options)}"
                       + _suggest(v, options))
        return v
    return check


def _list(item, *, nonempty=True, unique=True):
    def check(v, where, source):
        if not isinstance(v, list) or (nonempty and not v):
            raise _err(source, where, f"expected a non-empty list, got {v!r}")
        out = [item(x, f"{where}[{i}]", source) for i, x in enumerate(v)]
        if unique and len(set(map(repr, out))) != len(out):
            raise _err(source, where, f"has duplicates: {v!r}")
        return out
    return check


def _resolvable(resolve):
    """A string that ``resolve`` (``check_schedule``, ``check_pool``) accepts."""
    def check(v, where, source):
        _str()(v, where, source)
        try:
            resolve(v)
        except (ValueError, TypeError) as exc:
            raise _err(source, where, str(exc)) from None
        return v
    return check


_schedule = _resolvable(check_schedule)
_pool = _resolvable(check_pool)


def _table(schema):
    def check(v, where, source):
        if not isinstance(v, dict):
            raise _err(source, where, f"expected a table, got {v!r}")
        return _validate(v, schema, where, source)
    return check


def _suggest(key, options):
    close = difflib.get_close_matches(str(key), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _validate(data, schema, where, source):
    out = {}
    for key, value in data.items():
        if key not in schema:
            prefix = f"{where}." if where else ""
            raise ConfigError(f"{source}: unknown key '{prefix}{key}'{_suggest(key, schema)}; "
                              f"valid keys here are {sorted(schema)}")
    for key, (check, required) in schema.items():
        path = f"{where}.{key}" if where else key
        if key not in data:
            if required:
                raise ConfigError(f"{source}: missing required key {path!r}")
            continue
        out[key] = check(data[key], path, source)
    return out


def _dataset(v, where, source):
    schema = {
        "name": (_str(), True),
        "bundled": (_str(BUNDLED, "bundled dataset"), False),
        "path": (_str(), False),
        "target": (_str(), True),
        "n_rows": (_int(10), False),
        "test_size": (_float(0, 1, open_lo=True, open_hi=True), False),
    }
    d = _table(schema)(v, where, source)
    if ("bundled" in d) == ("path" in d):
        raise _err(source, where, "give exactly one of 'bundled' (one of "
                   f"{list(BUNDLED)}) or 'path' (a .csv or .parquet file)")
    if "path" in d:
        p = Path(d["path"])
        if p.suffix.lower() not in (".csv", ".parquet"):
            raise _err(source, f"{where}.path", f"expected a .csv or .parquet file, got {d['path']!r}")
        base = Path(source).parent if source != "<config>" else Path.cwd()
        full = p if p.is_absolute() else base / p
        if not full.is_file():
            raise _err(source, f"{where}.path", f"dataset file {str(full)!r} does not exist")
        d["path"] = str(full.resolve())
    return d


def _generator_model(v, where, source):
    try:
        generator_class(v)
    except ValueError as exc:
        raise _err(source, where, f"{exc}{_suggest(v, list(_GENERATOR_NAMES)) if isinstance(v, str) else ''}") \
            from None
    return v


def _generator(v, where, source):
    d = _table({
        "model": (_generator_model, True),
        "columns": (_str(COLUMN_SETS, "column set"), False),
        "params": (_table_any, False),
    })(v, where, source)
    d.setdefault("columns", "all")
    d.setdefault("params", {})
    cls = generator_class(d["model"])
    valid = sorted(k for k in cls().get_params() if k != "random_state")
    for key in d["params"]:
        if key not in valid:
            raise ConfigError(f"{source}: {where}.params: {cls.__name__} has no parameter {key!r}"
                              f"{_suggest(key, valid)}; valid parameters are {valid}")
    try:  # the values too, as fit would check them, so a bad one fails before any cell runs
        cls(**d["params"])._validate_params()
    except (ValueError, TypeError) as exc:
        raise _err(source, f"{where}.params", str(exc)) from None
    return d


def _table_any(v, where, source):
    if not isinstance(v, dict):
        raise _err(source, where, f"expected a table, got {v!r}")
    return dict(v)


def _named_tables(item):
    def check(v, where, source):
        if not isinstance(v, dict) or not v:
            raise _err(source, where, f"expected a non-empty table of named entries, got {v!r}")
        return {k: item(x, f"{where}.{k}", source) for k, x in v.items()}
    return check


_COMMON = {
    "name": (_str(), True),
    "kind": (_str(KINDS, "study kind"), True),
    "description": (_str(), False),
    "seeds": (_list(_int(0)), True),
}

_SCHEMAS = {
    "recursive": {
        **_COMMON,
        "n_generations": (_int(0), True),
        "datasets": (_list(_dataset, unique=False), True),
        "generators": (_named_tables(_generator), True),
        "schedules": (_list(_schedule), True),
        "pools": (_list(_pool), True),
        "evaluation": (_table({
            "estimators": (_list(_str(ESTIMATORS, "estimator")), False),
            "metrics": (_list(_str()), False),
        }), False),
    },
    "gaussian": {
        **_COMMON,
        "n0": (_int(2), True),
        "mean": (_float(), False),
        "var": (_float(0, open_lo=True), False),
        "eps": (_float(0, open_lo=True), False),
        "n_reps": (_int(2), True),
        "generations": (_list(_int(0)), True),
        "schedules": (_list(_schedule), True),
        "ddofs": (_list(_int(0)), True),
    },
    "categorical": {
        **_COMMON,
        "simplex": (_table({
            "tokens": (_int(2), True), "context_length": (_int(1), True), "n": (_int(2), True),
            "generations": (_list(_int(0)), True), "concentration": (_float(0, open_lo=True), False),
            "allocations": (_list(_str(("each", "split"), "allocation")), False),
        }), False),
        "collapse_time": (_table({
            "tokens": (_int(2), True), "ns": (_list(_int(2)), True), "n_reps": (_int(2), True),
            "supports": (_list(_int(2)), True), "max_generations": (_int(1), True),
        }), False),
        "partial": (_table({
            "tokens": (_int(2), True), "support": (_int(2), True), "S0": (_float(0, 1, open_lo=True)
                                                                            , True),
            "N": (_int(2), True), "ns": (_list(_int(1)), True), "n_generations": (_int(1), True),
            "n_reps": (_int(2), True),
        }), False),
        "initial": (_table({
            "tokens": (_int(2), True), "N": (_int(2), True), "n": (_int(1), True),
            "n_generations": (_int(1), True), "n_reps": (_int(2), True),
            "distributions": (_list(_str(("uniform", "zipf", "peaked", "sparse"), "initial distribution")),
                              True),
        }), False),
    },
}


@dataclass(frozen=True)
class StudyConfig:
    """A validated study config.

    Attributes
    ----------
    data : dict
        The validated config (paths resolved, defaults filled in).
    source : str
        Where it came from (a file path or ``"<config>"``).
    text : str
        The TOML text, stored beside the results.
    """

    data: dict
    source: str = "<config>"
    text: str = field(default="", repr=False)

    @property
    def name(self):
        return self.data["name"]

    @property
    def kind(self):
        return self.data["kind"]

    @property
    def hash(self):
        """SHA-256 (hex, 16 characters) of the canonical JSON of :attr:`data`."""
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _validate_config(raw, source):
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a study config is a TOML table, got {type(raw).__name__}")
    kind = raw.get("kind")
    if kind is None:
        raise ConfigError(f"{source}: missing required key 'kind' (one of {list(KINDS)})")
    kind = _str(KINDS, "study kind")(kind, "kind", source)
    raw = dict(raw)
    smoke = raw.pop("smoke", None)
    data = _validate(raw, _SCHEMAS[kind], "", source)
    if smoke is not None:
        if not isinstance(smoke, dict):
            raise _err(source, "smoke", f"expected a table, got {smoke!r}")
        merged = _merge(raw, smoke)
        _validate(merged, _SCHEMAS[kind], "smoke", source)  # names unknown keys under smoke.*
        data["smoke"] = smoke
    simplex = data.get("simplex")
    if simplex and "split" in simplex.get("allocations", []) and \
            simplex["n"] < simplex["tokens"] ** simplex["context_length"]:
        raise _err(source, "simplex.n", f"{simplex['n']} samples cannot be split over the "
                   f"{simplex['tokens'] ** simplex['context_length']} contexts (at least one each)")
    if kind == "recursive":
        names = [d["name"] for d in data["datasets"]]
        if len(set(names)) != len(names):
            raise _err(source, "datasets", f"dataset names must be unique, got {names}")
    return data


def _merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif isinstance(v, dict) and isinstance(out.get(k), list) and all(isinstance(x, dict) for x in out[k]):
            out[k] = [_merge(x, v) for x in out[k]]  # e.g. smoke.datasets = {n_rows = 200}
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_config(config):
    """Read and validate a study config.

    Parameters
    ----------
    config : str, path, dict or StudyConfig
        A TOML file, the name of a bundled config (see
        :func:`bundled_configs`), an already parsed dict, or a config.

    Returns
    -------
    StudyConfig

    Raises
    ------
    ConfigError
        The file is missing or not TOML, a key is unknown (the message names
        the close match), a required key is missing, or a generator model,
        schedule or pool is unknown (the message lists the valid options).

    Examples
    --------
    >>> from synthloop.study import load_config
    >>> cfg = load_config({"name": "demo", "kind": "gaussian", "seeds": [0], "n0": 100,
    ...                    "n_reps": 100, "generations": [10], "schedules": ["constant"], "ddofs": [1]})
    >>> cfg.kind, len(cfg.hash)
    ('gaussian', 16)
    >>> load_config({"name": "demo", "kind": "gaussian", "seed": [0]})
    Traceback (most recent call last):
    ...
    synthloop.exceptions.ConfigError: <config>: unknown key 'seed' (did you mean 'seeds'?); ...
    """
    if isinstance(config, StudyConfig):
        return config
    if isinstance(config, dict):
        return StudyConfig(_validate_config(copy.deepcopy(config), "<config>"), "<config>", "")
    if not isinstance(config, (str, Path)):
        raise TypeError(f"load_config expects a path, a dict or a StudyConfig; got {type(config).__name__}.")
    path = Path(config)
    if not path.exists() and isinstance(config, str) and "/" not in config and not config.endswith(".toml"):
        path = bundled_config_path(config)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return StudyConfig(_validate_config(raw, str(path)), str(path), text)


def smoke_config(config):
    """A shrunken copy of ``config`` that runs in seconds (``synthloop run --smoke``).

    The config's own ``[smoke]`` table overrides keys first; then every size
    is capped: one seed, at most 2 generations (recursive), 300 rows per
    dataset, 200 replications, the first two schedules and pools. Its
    description says so, with its real sizes.

    Parameters
    ----------
    config : StudyConfig or anything :func:`load_config` accepts

    Returns
    -------
    StudyConfig
        Named ``<name>-smoke``, with its own hash.

    Examples
    --------
    >>> from synthloop.study import load_config, smoke_config
    >>> cfg = load_config({"name": "demo", "kind": "gaussian", "seeds": [0, 1], "n0": 100,
    ...                    "n_reps": 10000, "generations": [100, 500], "schedules": ["constant"], "ddofs": [1]})
    >>> small = smoke_config(cfg)
    >>> small.name, small.data["seeds"], small.data["n_reps"] <= 200
    ('demo-smoke', [0], True)
    """
    cfg = load_config(config)
    d = copy.deepcopy(cfg.data)
    over = d.pop("smoke", None)
    if over:
        d = _merge(d, over)
    d["name"] = f"{cfg.name}-smoke"
    d["seeds"] = d["seeds"][:1]
    kind = d["kind"]
    if kind == "recursive":
        d["n_generations"] = min(d["n_generations"], 2)
        for ds in d["datasets"]:
            ds["n_rows"] = min(ds.get("n_rows", 300), 300)
        d["schedules"] = d["schedules"][:2]
        d["pools"] = d["pools"][:2]
        size = (f"1 seed, {d['n_generations']} generation{'s' if d['n_generations'] != 1 else ''}, at most "
                f"{max(ds['n_rows'] for ds in d['datasets'])} rows per dataset")
    elif kind == "gaussian":
        d["n_reps"] = min(d["n_reps"], 200)
        d["generations"] = [g for g in d["generations"] if g <= 20] or [min(d["generations"][0], 20)]
        size = f"1 seed, {d['n_reps']} replications, T = {', '.join(map(str, d['generations']))}"
    else:
        for part in ("collapse_time", "partial", "initial"):
            if part in d:
                d[part]["n_reps"] = min(d[part]["n_reps"], 10)
        if "collapse_time" in d:
            d["collapse_time"]["ns"] = d["collapse_time"]["ns"][:2]
            d["collapse_time"]["max_generations"] = min(d["collapse_time"]["max_generations"], 2000)
        if "partial" in d:
            d["partial"]["ns"] = d["partial"]["ns"][:2]
            d["partial"]["n_generations"] = min(d["partial"]["n_generations"], 10)
        if "initial" in d:
            d["initial"]["n_generations"] = min(d["initial"]["n_generations"], 10)
        size = "1 seed, at most 10 runs per part, at most 10 generations in Figures 3 and 4"
    d["description"] = (f"Smoke run of {cfg.name} ({size}): it checks that the study runs, its numbers are "
                        f"not for conclusions. The full study: {cfg.data.get('description', '')}")
    return StudyConfig(_validate_config(d, cfg.source), cfg.source, "")
