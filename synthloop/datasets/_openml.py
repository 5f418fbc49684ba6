"""Load an OpenML dataset from an openml-python cache, never from the network.

openml-python (0.15) has no offline switch: ``get_dataset`` silently downloads
whatever its cache lacks and deletes the dataset's cache folder when anything
fails. So this loader checks first that the cache holds every file openml
would otherwise fetch (``description.xml`` and the data file) and only then
calls openml, which then reads those files and writes its own pickle beside
them.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np
import pandas as pd

from synthloop.datasets._base import _as_bunch, _sorted_categories

# The cache layout depends on the server's host name; synthloop reads caches
# of the public server, laid out as <root>/org/openml/www/datasets/<id>/.
_SERVER = "https://www.openml.org/api/v1/xml"
_SKIP_PARQUET = "OPENML_SKIP_PARQUET"


def _import_openml():
    try:
        import openml
        import xmltodict
    except ImportError as exc:
        raise ImportError(
            "load_openml needs the optional dependency 'openml', which is not installed; "
            "install it with: pip install synthloop[openml]"
        ) from exc
    return openml, xmltodict


def _dataset_cache_dir(root: Path, data_id: int) -> Path:
    return root.joinpath("org", "openml", "www", "datasets", str(data_id))


def _check_cached(did_dir: Path, data_id: int, xmltodict) -> tuple[dict, bool]:
    """Return the parsed description and whether to bypass parquet.

    Raises FileNotFoundError naming what is missing, before openml is asked
    for anything: a miss in openml's cache means a download.
    """
    hint = (
        "load_openml never downloads. On a machine with network access run "
        f"openml.config.set_root_cache_directory(<root>); openml.datasets.get_dataset({data_id}, "
        "download_data=True) and copy the cache root here, or pass cache_dir= pointing at a "
        "cache that holds it."
    )
    description_file = did_dir / "description.xml"
    if not description_file.is_file():
        raise FileNotFoundError(
            f"OpenML dataset {data_id} is not in the offline cache: no description.xml in "
            f"'{did_dir}'. {hint}"
        )
    try:
        description = xmltodict.parse(description_file.read_text(encoding="utf8"))
        description = description["oml:data_set_description"]
        cached_id = int(description["oml:id"])
    except Exception as exc:
        raise ValueError(
            f"The cached description of OpenML dataset {data_id} at '{description_file}' is not a "
            f"valid OpenML data set description ({type(exc).__name__}: {exc}). Replace it. {hint}"
        ) from exc
    if cached_id != data_id:
        raise ValueError(
            f"'{description_file}' describes OpenML dataset {cached_id}, not {data_id}. {hint}"
        )
    parquet = [did_dir / f"dataset_{data_id}.pq", did_dir / "dataset.pq"]
    arff = did_dir / "dataset.arff"
    wants_parquet = (
        "oml:parquet_url" in description
        and os.environ.get(_SKIP_PARQUET, "false").casefold() != "true"
    )
    if wants_parquet and any(p.is_file() for p in parquet):
        return description, False
    if arff.is_file():
        # Without the parquet file openml would try to download it first.
        return description, wants_parquet
    expected = f"'{parquet[0].name}' or '{arff.name}'" if wants_parquet else f"'{arff.name}'"
    raise FileNotFoundError(
        f"OpenML dataset {data_id} is only partly in the offline cache: '{did_dir}' has "
        f"description.xml but no data file (expected {expected}). {hint}"
    )


def _proper_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Give openml's columns synthloop's dtypes.

    openml returns nominal columns as *ordered* categoricals in the order of
    the ARFF header and numeric columns as float64 (uint8 when they fit). Here
    categoricals become unordered with sorted categories, and numeric columns
    holding whole numbers only become int64 (nullable Int64 if values are
    missing).
    """
    out = {}
    for name, col in frame.items():
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = _sorted_categories(col)
        elif pd.api.types.is_integer_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            col = col.astype("int64" if not col.hasnans else "Int64")
        elif pd.api.types.is_float_dtype(col.dtype):
            values = col.dropna().to_numpy()
            if len(values) and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
                col = col.astype("Int64" if col.hasnans else "int64")
        out[name] = col
    return pd.DataFrame(out, index=frame.index)


def load_openml(data_id, *, cache_dir=None, target=None, as_frame=True, return_X_y=False):
    """Load an OpenML dataset from a local openml cache, offline.

    Reads the files openml-python keeps in its cache
    (``<cache_dir>/org/openml/www/datasets/<data_id>/``: ``description.xml``
    and ``dataset.arff`` or ``dataset_<data_id>.pq``) and never touches the
    network: a dataset that is not cached raises an error instead of being
    downloaded. Needs the optional dependency: ``pip install synthloop[openml]``.

    Parameters
    ----------
    data_id : int
        The OpenML dataset id, e.g. 1590 for Adult.
    cache_dir : str or path-like, default=None
        The root of the openml cache (the directory given to
        ``openml.config.set_root_cache_directory``). None uses openml's
        configured cache root. openml writes a parsed copy (a pickle) of the
        data next to the cached files on first load.
    target : str, default=None
        Column to return as the target. None uses the dataset's
        ``default_target_attribute``; if the dataset has none (or several),
        ``target`` is None and ``data`` holds every column.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series. Nominal
        columns are ``category`` with sorted categories, numeric columns
        that hold whole numbers only are ``int64`` (``Int64`` when values
        are missing), missing values are NaN. If False, ``data`` is an
        object ndarray, ``target`` an object ndarray and ``frame`` is None.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes ``frame``, ``data``,
        ``target``, ``feature_names``, ``target_names`` (the target column
        name in a list, empty without target), ``DESCR`` (OpenML's
        description text) and ``details`` (the parsed ``description.xml``).
        Columns keep OpenML's names (e.g. ``education-num`` for Adult).

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the dataset's description or data file is not in the cache.
    ImportError
        If openml is not installed.

    See Also
    --------
    load_adult : The same Adult data, bundled, with snake_case names.

    Examples
    --------
    With an openml cache that holds dataset 1590 (synthloop's test suite
    ships one under ``tests/data/openml_cache``):

    >>> from synthloop.datasets import load_openml
    >>> adult = load_openml(1590, cache_dir="openml_cache")  # doctest: +SKIP
    >>> adult.frame.shape  # doctest: +SKIP
    (48842, 15)
    >>> adult.target_names  # doctest: +SKIP
    ['class']
    """
    if isinstance(data_id, bool) or not isinstance(data_id, numbers.Integral):
        raise TypeError(
            f"The 'data_id' parameter of load_openml must be an int. Got {data_id!r} instead."
        )
    data_id = int(data_id)
    if data_id < 1:
        raise ValueError(
            f"The 'data_id' parameter of load_openml must be an int in the range [1, inf). "
            f"Got {data_id} instead."
        )
    if target is not None and not isinstance(target, str):
        raise TypeError(
            f"The 'target' parameter of load_openml must be a str or None. Got {target!r} instead."
        )
    for name, value in (("as_frame", as_frame), ("return_X_y", return_X_y)):
        if not isinstance(value, bool):
            raise TypeError(
                f"The '{name}' parameter of load_openml must be a bool. Got {value!r} instead."
            )

    openml, xmltodict = _import_openml()
    config = openml.config
    root = Path(cache_dir) if cache_dir is not None else Path(config.get_config_as_dict()["cachedir"])
    did_dir = _dataset_cache_dir(root.expanduser(), data_id)
    description, skip_parquet = _check_cached(did_dir, data_id, xmltodict)

    # openml's configuration is module state: set it for this call only.
    old_server, old_root = config.server, config.get_config_as_dict()["cachedir"]
    old_skip = os.environ.get(_SKIP_PARQUET)
    try:
        config.server = _SERVER
        config.set_root_cache_directory(root.expanduser())
        if skip_parquet:
            os.environ[_SKIP_PARQUET] = "true"
        dataset = openml.datasets.get_dataset(
            data_id,
            download_data=True,
            download_qualities=False,
            download_features_meta_data=False,
        )
        frame, *_ = dataset.get_data(dataset_format="dataframe")
    finally:
        config.server = old_server
        config.set_root_cache_directory(old_root)
        if skip_parquet:
            if old_skip is None:
                os.environ.pop(_SKIP_PARQUET, None)
            else:
                os.environ[_SKIP_PARQUET] = old_skip

    frame = _proper_dtypes(frame)
    if target is None:
        default = description.get("oml:default_target_attribute")
        target = default if default and "," not in default and default in frame.columns else None
    elif target not in frame.columns:
        raise ValueError(
            f"OpenML dataset {data_id} has no column {target!r}; its columns are "
            f"{list(frame.columns)}."
        )
    return _as_bunch(
        frame,
        target,
        as_frame=as_frame,
        return_X_y=return_X_y,
        descr=description.get("oml:description") or "",
        details=description,
    )
