"""Study configurations: strict TOML validation, the smoke copy, the config hash.

A config is a TOML file (``experiments/<name>/config.toml``) with explicit
seeds. Every key is checked: a misspelt key is an error naming it and the
close match; an unknown generator model, schedule or pool lists the valid
options. The keys every study has are here; each kind's own are in its
module (``study/kinds/``), found by the config's ``kind`` in ``KINDS``. The
validated config is a plain dict; its hash (SHA-256 of its canonical JSON)
ties a results directory to it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import ConfigError
from ._bundled import bundled_config_path
from ._schema import error, integer, list_of, string, validate
from .kinds import KINDS

__all__ = ["ConfigError", "StudyConfig", "load_config", "smoke_config"]

#: The keys of every study; each kind adds its own (``study/kinds/``).
_COMMON = {
    "name": (string(), True),
    "kind": (string(KINDS, "study kind"), True),
    "description": (string(), False),
    "seeds": (list_of(integer(0)), True),
}


def _schema(kind):
    return {**_COMMON, **KINDS[kind].schema}


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
    kind = string(KINDS, "study kind")(kind, "kind", source)
    raw = dict(raw)
    smoke = raw.pop("smoke", None)
    data = validate(raw, _schema(kind), "", source)
    if smoke is not None:
        if not isinstance(smoke, dict):
            raise error(source, "smoke", f"expected a table, got {smoke!r}")
        merged = _merge(raw, smoke)
        validate(merged, _schema(kind), "smoke", source)  # names unknown keys under smoke.*
        data["smoke"] = smoke
    if KINDS[kind].check is not None:
        KINDS[kind].check(data, source)
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
    size = KINDS[d["kind"]].smoke(d)
    d["description"] = (f"Smoke run of {cfg.name} ({size}): it checks that the study runs, its numbers are "
                        f"not for conclusions. The full study: {cfg.data.get('description', '')}")
    return StudyConfig(_validate_config(d, cfg.source), cfg.source, "")
