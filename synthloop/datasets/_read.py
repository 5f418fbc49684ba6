"""One way to get a table from a name or a file: the command lines and study configs all read tables here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..utils._optional import import_optional

__all__ = ["BUNDLED", "read_table"]

#: Bundled dataset names -> their loader's name in synthloop.datasets (Adult: its train split).
BUNDLED = {"adult": "load_adult", "german_credit": "load_german_credit", "penguins": "load_penguins"}


def read_table(data, *, what="DATA"):
    """The frame of a bundled dataset name, or of a ``.csv`` / ``.parquet`` file.

    String and object columns of a file become ``category`` (a CSV has no
    dtype for them; the generators model them as levels).

    Parameters
    ----------
    data : str or path
        A name of :data:`BUNDLED` (Adult gives its train split) or a path.
    what : str, default="DATA"
        How messages name ``data`` (a command-line argument, a config key).

    Returns
    -------
    DataFrame

    Raises
    ------
    ValueError
        Not a bundled name and not a ``.csv`` / ``.parquet`` path, or a file
        that cannot be read as a table.
    FileNotFoundError
        The file does not exist.

    Examples
    --------
    >>> from synthloop.datasets import read_table
    >>> read_table("penguins").shape
    (344, 8)
    """
    from .. import datasets

    if isinstance(data, str) and data in BUNDLED:
        return getattr(datasets, BUNDLED[data])().frame
    path = Path(data)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"{what} must be a bundled dataset ({', '.join(BUNDLED)}) or a .csv or .parquet file; "
                         f"got {str(data)!r}")
    if not path.is_file():
        raise FileNotFoundError(f"{what}: file {str(data)!r} does not exist")
    if path.suffix.lower() == ".parquet":
        import_optional("pyarrow", owner=f"reading the .parquet file {str(data)!r}", extra="parquet")
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any parser failure gets one clear line
        raise ValueError(f"{what}: cannot read {str(data)!r} as a table: {type(exc).__name__}: {exc}") from None
    for col in frame.columns:
        if pd.api.types.is_string_dtype(frame[col].dtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype("category")
    return frame
