"""Loaders of the real tables shipped inside synthloop (no network, no extras).

The files under ``data/`` are built by ``datasets/build_datasets.py`` from the
raw UCI and Palmer penguins files; ``datasets/DATASHEET.md`` records their
provenance.
"""

from __future__ import annotations

import inspect
import json
from functools import cache
from importlib import resources

import pandas as pd

from synthloop.datasets._base import _as_bunch

_ADULT_SPLITS = ("train", "test", "all")


def _data_file(name: str):
    return resources.files("synthloop.datasets").joinpath("data", name)


@cache
def _schema() -> dict:
    return json.loads(_data_file("schema.json").read_text(encoding="utf-8"))


def _read_table(name: str, file: str) -> pd.DataFrame:
    columns = _schema()[name]["columns"]
    dtypes = {}
    for col in columns:
        if col["dtype"] == "category":
            dtypes[col["name"]] = pd.CategoricalDtype(col["categories"], ordered=False)
        elif col["dtype"] == "float64":
            dtypes[col["name"]] = "float64"
        else:
            # Read as nullable; narrowed to int64 below when nothing is missing.
            dtypes[col["name"]] = "Int64"
    with _data_file(file).open("rb") as fh:
        frame = pd.read_csv(
            fh,
            compression="gzip",
            dtype=dtypes,
            keep_default_na=False,
            na_values=[""],
        )
    expected = [col["name"] for col in columns]
    if list(frame.columns) != expected:  # pragma: no cover - guards a broken build
        raise RuntimeError(f"{file} has columns {list(frame.columns)}, expected {expected}; rebuild it.")
    for col in columns:
        if col["dtype"] == "int64" and not frame[col["name"]].hasnans:
            frame[col["name"]] = frame[col["name"]].astype("int64")
    return frame


def _descr(name: str) -> str:
    return _data_file(f"{name}.rst").read_text(encoding="utf-8")


def _check_bool(value, param: str, func: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"The '{param}' parameter of {func} must be a bool. Got {value!r} instead.")


def load_adult(*, split="train", as_frame=True, return_X_y=False):
    """Load the UCI Adult (census income) table bundled with synthloop.

    48,842 people from the 1994 US Current Population Survey (Becker &
    Kohavi 1996, CC BY 4.0), 14 features (6 integer, 8 categorical) and the
    binary target ``income`` (``"<=50K"`` or ``">50K"``). The UCI train and
    test files are kept as the two splits; no row is dropped. Read from
    files inside the package: no network access, no extra dependency.

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        Which UCI file to return: ``"train"`` (``adult.data``, 32,561 rows),
        ``"test"`` (``adult.test``, 16,281 rows) or ``"all"`` (train rows
        then test rows, 48,842 rows, index ``0..48841``).
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series, with
        proper dtypes: ``int64`` integers, ``category`` columns with sorted
        categories (the same categories for every split) and missing values
        (the ``?`` of the raw files) as NaN. If False, ``data`` is an object
        ndarray of the same values (missing as ``np.nan``), ``target`` an
        object ndarray of labels and ``frame`` is None.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        frame : DataFrame of shape (n_samples, 15) or None
            Features and target together (None when ``as_frame=False``).
        data : DataFrame or ndarray of shape (n_samples, 14)
            The features.
        target : Series or ndarray of shape (n_samples,)
            ``income``, a category with categories ``["<=50K", ">50K"]``.
        feature_names : list of str
            The 14 feature names (snake_case).
        target_names : list of str
            ``["income"]``, the target column name (as in
            :func:`sklearn.datasets.fetch_openml`).
        DESCR : str
            Description of the dataset, its licence and preprocessing.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    load_german_credit, load_penguins : The other bundled tables.
    list_datasets : All bundled datasets with their sizes and licences.

    Notes
    -----
    The raw test file's labels carry a trailing period (``"<=50K."``); they
    are normalised to the train labels. Missing values occur in
    ``workclass``, ``occupation`` and ``native_country`` only (4,262 cells
    in train, 2,203 in test).

    Examples
    --------
    >>> from synthloop.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.frame.shape
    (32561, 15)
    >>> adult.target.value_counts().sort_index()
    income
    <=50K    24720
    >50K      7841
    Name: count, dtype: int64
    >>> X, y = load_adult(split="test", return_X_y=True)
    >>> X.shape, str(X["age"].dtype), str(X["workclass"].dtype)
    ((16281, 14), 'int64', 'category')
    >>> int(X["workclass"].isna().sum())
    963
    """
    func = "load_adult"
    if not isinstance(split, str) or split not in _ADULT_SPLITS:
        raise ValueError(
            f"The 'split' parameter of {func} must be one of {', '.join(map(repr, _ADULT_SPLITS))}. "
            f"Got {split!r} instead."
        )
    _check_bool(as_frame, "as_frame", func)
    _check_bool(return_X_y, "return_X_y", func)
    files = _schema()["adult"]["files"]
    if split == "all":
        frame = pd.concat(
            [_read_table("adult", files["train"]), _read_table("adult", files["test"])],
            ignore_index=True,
        )
    else:
        frame = _read_table("adult", files[split])
    return _as_bunch(frame, "income", as_frame=as_frame, return_X_y=return_X_y, descr=_descr("adult"))


def load_german_credit(*, as_frame=True, return_X_y=False):
    """Load the UCI Statlog German Credit table bundled with synthloop.

    1,000 loan applicants (Hofmann 1994, CC BY 4.0) with 20 features
    (7 integer, 13 categorical) and the binary target ``credit_risk``
    (``"good"`` or ``"bad"``). Column names follow the UCI attribute list
    and the raw codes (``A11``, ``A12``, ...) are decoded to the UCI
    codebook's labels. There are no missing values. Read from files inside
    the package: no network access, no extra dependency.

    Parameters
    ----------
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series with
        ``int64`` and ``category`` (sorted categories) columns. If False,
        ``data`` is an object ndarray of the same values, ``target`` an
        object ndarray of labels and ``frame`` is None.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        frame : DataFrame of shape (1000, 21) or None
            Features and target together (None when ``as_frame=False``).
        data : DataFrame or ndarray of shape (1000, 20)
            The features.
        target : Series or ndarray of shape (1000,)
            ``credit_risk``, a category with categories ``["bad", "good"]``.
        feature_names : list of str
            The 20 feature names.
        target_names : list of str
            ``["credit_risk"]``, the target column name.
        DESCR : str
            Description of the dataset, the column names and the codebook.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    load_adult, load_penguins : The other bundled tables.

    Notes
    -----
    The dataset's documentation asks for a cost matrix: predicting
    ``good`` for a ``bad`` applicant costs 5, the converse costs 1.

    Examples
    --------
    >>> from synthloop.datasets import load_german_credit
    >>> german = load_german_credit()
    >>> german.frame.shape
    (1000, 21)
    >>> german.target.value_counts().sort_index()
    credit_risk
    bad     300
    good    700
    Name: count, dtype: int64
    >>> list(german.data["housing"].cat.categories)
    ['for free', 'own', 'rent']
    """
    func = "load_german_credit"
    _check_bool(as_frame, "as_frame", func)
    _check_bool(return_X_y, "return_X_y", func)
    frame = _read_table("german_credit", _schema()["german_credit"]["files"]["all"])
    return _as_bunch(
        frame, "credit_risk", as_frame=as_frame, return_X_y=return_X_y, descr=_descr("german_credit")
    )


def load_penguins(*, as_frame=True, return_X_y=False):
    """Load the Palmer penguins table bundled with synthloop.

    344 penguins of three species (Adelie, Chinstrap, Gentoo) observed on
    three islands of the Palmer Archipelago, Antarctica, in 2007-2009
    (Gorman, Williams & Fraser 2014; R package palmerpenguins by Horst,
    Hill & Gorman 2020; CC0 1.0). Eight columns: ``species``, ``island``,
    four body measurements, ``sex`` and ``year``. There is no prescribed
    target; ``species`` is the one used for ``target`` and ``return_X_y``,
    so the 7 other columns are the features. Missing values are kept (19
    cells in 11 rows). Read from files inside the package: no network
    access, no extra dependency.

    Parameters
    ----------
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series, with
        ``category`` columns (sorted categories) for ``species``, ``island``
        and ``sex``, ``float64`` for the four measurements and ``int64`` for
        ``year``; missing values are NaN. If False, ``data`` is an object
        ndarray of the same values (missing as ``np.nan``), ``target`` an
        object ndarray of labels and ``frame`` is None.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        frame : DataFrame of shape (344, 8) or None
            Features and target together, in the raw file's column order
            (None when ``as_frame=False``).
        data : DataFrame or ndarray of shape (344, 7)
            The features: ``island``, ``bill_length_mm``, ``bill_depth_mm``,
            ``flipper_length_mm``, ``body_mass_g``, ``sex``, ``year``.
        target : Series or ndarray of shape (344,)
            ``species``, a category with categories
            ``["Adelie", "Chinstrap", "Gentoo"]``.
        feature_names : list of str
            The 7 feature names.
        target_names : list of str
            ``["species"]``, the target column name.
        DESCR : str
            Description of the dataset, its licence and citation.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    load_adult, load_german_credit : The other bundled tables.

    Notes
    -----
    ``flipper_length_mm`` and ``body_mass_g`` are whole numbers in the raw
    file but are ``float64`` here, as the bill measurements, because two
    rows have no measurement at all. ``sex`` is missing in 11 rows (those
    two included).

    Examples
    --------
    >>> from synthloop.datasets import load_penguins
    >>> penguins = load_penguins()
    >>> penguins.frame.shape
    (344, 8)
    >>> penguins.target.value_counts().sort_index()
    species
    Adelie       152
    Chinstrap     68
    Gentoo       124
    Name: count, dtype: int64
    >>> penguins.frame.isna().sum().loc[lambda n: n > 0]
    bill_length_mm        2
    bill_depth_mm         2
    flipper_length_mm     2
    body_mass_g           2
    sex                  11
    dtype: int64
    >>> X, y = load_penguins(return_X_y=True)
    >>> X.shape, str(X["body_mass_g"].dtype), str(X["year"].dtype)
    ((344, 7), 'float64', 'int64')
    """
    func = "load_penguins"
    _check_bool(as_frame, "as_frame", func)
    _check_bool(return_X_y, "return_X_y", func)
    frame = _read_table("penguins", _schema()["penguins"]["files"]["all"])
    return _as_bunch(frame, "species", as_frame=as_frame, return_X_y=return_X_y, descr=_descr("penguins"))


def list_datasets():
    """List the real datasets bundled with synthloop.

    Returns
    -------
    datasets : DataFrame
        One row per dataset with columns ``name`` (the ``load_<name>``
        loader), ``rows`` (all splits together), ``split`` and
        ``split_rows`` (the split the loader returns when called without
        arguments, and its rows: Adult's ``load_adult()`` is its train split;
        ``"all"`` for a table that has no splits), ``columns`` (features and
        target), ``target``, ``licence`` and ``source``.

    See Also
    --------
    load_adult, load_german_credit, load_penguins : The loaders of these datasets.

    Examples
    --------
    >>> from synthloop.datasets import list_datasets
    >>> list_datasets()[["name", "rows", "split", "split_rows", "columns", "target", "licence"]]
                name   rows  split  split_rows  columns       target    licence
    0          adult  48842  train       32561       15       income  CC BY 4.0
    1  german_credit   1000    all        1000       21  credit_risk  CC BY 4.0
    2       penguins    344    all         344        8      species    CC0 1.0
    """
    import synthloop.datasets as datasets

    rows = []
    for name, meta in _schema().items():
        split = inspect.signature(getattr(datasets, f"load_{name}")).parameters.get("split")
        split = "all" if split is None else split.default
        rows.append(
            {
                "name": name,
                "rows": sum(meta["n_rows"].values()),
                "split": split,
                "split_rows": sum(meta["n_rows"].values()) if split == "all" else meta["n_rows"][split],
                "columns": len(meta["columns"]),
                "target": meta["target"],
                "licence": meta["licence"],
                "source": meta["source"],
            }
        )
    return pd.DataFrame(rows).astype({"rows": "int64", "split_rows": "int64", "columns": "int64"})
