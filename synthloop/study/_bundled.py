"""The study configs shipped inside the package (copies of ``experiments/<name>/config.toml``)."""

from importlib import resources
from pathlib import Path

from ..exceptions import ConfigError

__all__ = ["bundled_configs", "bundled_config_path", "REPRODUCTIONS"]

#: ``synthloop reproduce`` targets: name -> bundled config.
REPRODUCTIONS = {
    "xu2025-fig3": "xu2025_gaussian",
    "seddik2024-fig1": "seddik2024_categorical",
    "seddik2024-fig2": "seddik2024_categorical",
    "seddik2024-fig3": "seddik2024_categorical",
    "seddik2024-fig4": "seddik2024_categorical",
    "adult": "adult_recursive",
    "german-credit": "german_credit_recursive",
}


def _configs_dir():
    return Path(str(resources.files("synthloop.study").joinpath("configs")))


def bundled_configs():
    """Names of the study configs bundled with synthloop.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from synthloop.study import bundled_configs
    >>> "adult_recursive" in bundled_configs()
    True
    """
    return sorted(p.stem for p in _configs_dir().glob("*.toml"))


def bundled_config_path(name):
    """Path of the bundled config ``name`` (see :func:`bundled_configs`).

    Examples
    --------
    >>> from synthloop.study._bundled import bundled_config_path
    >>> bundled_config_path("adult_recursive").name
    'adult_recursive.toml'
    """
    name = REPRODUCTIONS.get(name, name)
    path = _configs_dir() / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"no bundled study config {name!r}; bundled configs are {bundled_configs()}")
    return path
