"""Table checks and feature preparation shared by the utility and fidelity code.

The evaluator knows nothing about how a synthetic table was made; it only
checks that it has the real table's columns, each of a compatible kind, and
turns every table into the same feature layout so that an estimator trained on
synthetic rows can be scored on real ones.
"""

import numpy as np
import pandas as pd

from .._table import dtype_kind, seconds_of
from ..exceptions import SchemaError

# Three kinds are enough to compare tables: numbers, instants, labels.
_KIND_NAMES = {"numeric": "numeric", "datetime": "datetime/timedelta", "categorical": "categorical"}


def column_kind(values):
    """``"numeric"``, ``"datetime"`` or ``"categorical"`` for a Series (from the schema's dtype kinds).

    Booleans are categorical (two levels); timedeltas count as datetimes
    (both are compared in seconds).
    """
    kind = dtype_kind(values.dtype)
    if kind in ("datetime", "timedelta"):
        return "datetime"
    if kind in ("int", "float"):
        return "numeric"
    return "categorical"


def numeric_values(values):
    """The non-missing values of a numeric or datetime Series as float64."""
    values = pd.Series(values) if not isinstance(values, pd.Series) else values
    if column_kind(values) == "datetime":
        seconds = seconds_of(values)
        return seconds[~np.isnan(seconds)]
    try:
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise TypeError(
            f"expected a numeric or datetime column; got dtype {values.dtype}. "
            "Use total_variation / levels_lost for categorical columns."
        ) from None
    return arr[~np.isnan(arr)]


def level_codes(columns):
    """Codes of the labels of several columns over the levels of all, a missing value a level of its own."""
    codes, levels = pd.factorize(pd.concat([c.astype(object) for c in columns], ignore_index=True),
                                 use_na_sentinel=False)
    return np.split(codes.astype(np.int64), np.cumsum([len(c) for c in columns])[:-1]), levels


def check_frame(X, *, owner, what="X"):
    """``X`` must be a DataFrame with unique string column names."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{owner} expects {what} to be a pandas DataFrame (columns are matched by name); "
            f"got {type(X).__name__}. Wrap arrays with `pd.DataFrame(X, columns=[...])`."
        )
    dup = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
    if dup:
        raise SchemaError(f"{owner}: {what} has duplicate column names {dup}; column names must be unique.")
    if len(X) == 0:
        raise SchemaError(f"{owner}: {what} has 0 rows; there is nothing to evaluate.")


def check_same_columns(real, synthetic, *, owner, name, what="synthetic table"):
    """Check that ``synthetic`` has the columns of ``real``, each of a compatible kind.

    Returns ``synthetic`` with its columns in the real order. All problems are
    reported at once in a :class:`~synthloop.exceptions.SchemaError`.
    """
    check_frame(synthetic, owner=owner, what=f"{what} {name!r}")
    problems = []
    missing = [c for c in real.columns if c not in synthetic.columns]
    extra = [c for c in synthetic.columns if c not in real.columns]
    if missing:
        problems.append(f"it lacks the real column(s) {missing}")
    if extra:
        problems.append(f"it has column(s) {extra} that the real table does not have")
    for col in real.columns:
        if col not in synthetic.columns:
            continue
        kr, ks = column_kind(real[col]), column_kind(synthetic[col])
        if kr != ks:
            problems.append(
                f"column {col!r} is {_KIND_NAMES[ks]} ({synthetic[col].dtype}) but "
                f"{_KIND_NAMES[kr]} ({real[col].dtype}) in the real table"
            )
    if problems:
        raise SchemaError(
            f"{owner}: {what} {name!r} does not match the real table: "
            + "; ".join(problems)
            + ". It must have the real table's columns with the same kinds of dtype "
            "(cast them, e.g. `S = S.astype(X.dtypes.to_dict())`)."
        )
    return synthetic[list(real.columns)]


class FeatureSpec:
    """How to turn any table with the real columns into estimator features.

    Numbers become float64 (NaN for missing), datetimes float seconds,
    and everything else a pandas ``category`` whose categories are the levels
    of the real table, so the same column has the same encoding in every
    table; a synthetic level the real table never had becomes missing.
    """

    def __init__(self, real):
        self.columns = list(real.columns)
        self.kinds = {c: column_kind(real[c]) for c in self.columns}
        self.categories = {}
        for c in self.columns:
            if self.kinds[c] != "categorical":
                continue
            if isinstance(real[c].dtype, pd.CategoricalDtype):
                cats = list(real[c].cat.categories)
            else:
                cats = sorted(pd.unique(real[c].dropna().astype(object)), key=lambda v: (str(type(v)), v))
            self.categories[c] = cats

    def transform(self, frame):
        out = {}
        for c in self.columns:
            values = frame[c]
            kind = self.kinds[c]
            if kind == "numeric":
                out[c] = values.to_numpy(dtype=np.float64, na_value=np.nan)
            elif kind == "datetime":
                out[c] = seconds_of(values)
            else:
                obj = values.astype(object).where(values.notna(), None)
                out[c] = pd.Categorical(obj, categories=self.categories[c])
        return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), columns=self.columns)


def target_labels(values):
    """The labels of a target Series (no missing values) as a plain numpy array.

    Object arrays of numbers confuse scikit-learn's ``type_of_target``, so
    categories of numbers stay numbers and text becomes an object array of str.
    """
    kind = dtype_kind(values.dtype)
    if kind == "category":
        cats = values.cat.categories
        return target_labels(pd.Series(cats))[values.cat.codes.to_numpy()]
    as_numpy = {"bool": bool, "int": np.int64, "float": np.float64}
    if kind in as_numpy:
        return values.to_numpy(dtype=as_numpy[kind])
    return values.astype(str).to_numpy(dtype=object)
