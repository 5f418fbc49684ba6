"""Table schema: validate a table once, encode it to arrays, decode samples back.

Generators never see pandas. A :class:`TableSchema` is inferred at fit time
and turns a table into one numpy array per column:

- numeric kinds (``"float"``, ``"int"``, ``"datetime"``) become float64, with
  NaN for missing values (datetimes as integer ticks of their unit);
- discrete kinds (``"bool"``, ``"category"``, ``"string"``) become int64 codes
  into ``ColumnSpec.levels``, with -1 for missing values.

``decode`` reverses this and restores the exact dtypes seen at fit (numpy or
nullable integers, ``boolean``, ``category`` with its categories and order,
``str``/``string``/``object`` text, tz-aware datetimes), so a generator that
samples arrays in the encoded space returns the user's table.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from .exceptions import SchemaError

__all__ = ["ColumnSpec", "TableSchema", "EncodedTable", "NUMERIC_KINDS", "DISCRETE_KINDS", "DTYPE_KINDS", "dtype_change",
           "dtype_kind", "seconds_of", "ticks_per_second"]

NUMERIC_KINDS = frozenset({"float", "int", "datetime"})
DISCRETE_KINDS = frozenset({"bool", "category", "string"})
ALL_KINDS = NUMERIC_KINDS | DISCRETE_KINDS

#: One predicate per kind of dtype, tried in this order (a boolean is not an integer, a category of
#: numbers is a category): the one vocabulary the schema and the evaluator both read dtypes with.
DTYPE_KINDS = (
    ("category", lambda d: isinstance(d, pd.CategoricalDtype)),
    ("bool", pdt.is_bool_dtype),
    ("datetime", pdt.is_datetime64_any_dtype),
    ("timedelta", pdt.is_timedelta64_dtype),
    ("complex", pdt.is_complex_dtype),
    ("int", pdt.is_integer_dtype),
    ("float", pdt.is_float_dtype),
    ("string", lambda d: pdt.is_string_dtype(d) or d == object),
)


def dtype_kind(dtype):
    """The first kind of :data:`DTYPE_KINDS` whose predicate ``dtype`` satisfies (None if none does).

    ``"string"`` covers object columns too; :func:`infer_schema` then checks
    that their values are strings.
    """
    return next((kind for kind, test in DTYPE_KINDS if test(dtype)), None)


def seconds_of(values):
    """Datetimes as float seconds since the epoch (timedeltas as seconds), NaN for missing.

    Seconds rather than raw ticks, so the result does not depend on the unit
    (pandas 3 parses to microseconds, numpy defaults to nanoseconds).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = values.to_numpy()
    out = arr.view(np.int64).astype(np.float64) / ticks_per_second(arr.dtype)
    out[values.isna().to_numpy()] = np.nan
    return out


def ticks_per_second(dtype):
    """Integer ticks in one second of a datetime64 / timedelta64 (or tz-aware) dtype."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        dtype = np.dtype(f"M8[{dtype.unit}]")
    unit, count = np.datetime_data(dtype)
    return np.timedelta64(1, "s") / np.timedelta64(count, unit)


@dataclass
class ColumnSpec:
    """What a generator must reproduce about one column.

    Attributes
    ----------
    name : str or int
        Column label (position for array input).
    kind : {"float", "int", "datetime", "bool", "category", "string"}
    dtype : numpy or pandas dtype
        The dtype to restore.
    levels : numpy.ndarray or None
        Discrete kinds: the values that codes index (a category's declared
        categories, ``[False, True]`` for booleans, sorted observed strings).
    nullable : bool
        Whether ``dtype`` can hold a missing value.
    lower, upper : float
        Observed range of a numeric column (used to keep integers in range).
    """

    name: object
    kind: str
    dtype: object
    levels: np.ndarray | None = None
    nullable: bool = True
    lower: float = np.inf
    upper: float = -np.inf


@dataclass
class EncodedTable:
    """A table as arrays: ``columns[name]`` is float64 (numeric) or int64 codes."""

    schema: "TableSchema"
    columns: dict
    n_rows: int

    def numeric(self, names=None):
        """Stack numeric columns into an ``(n_rows, k)`` float64 matrix."""
        names = self.schema.names if names is None else names
        if not names:
            return np.empty((self.n_rows, 0))
        return np.column_stack([np.asarray(self.columns[c], dtype=np.float64) for c in names])


@dataclass
class TableSchema:
    """The columns of a fitted table, in order, and how to rebuild them."""

    columns: list = field(default_factory=list)
    is_frame: bool = True

    @property
    def names(self):
        return [c.name for c in self.columns]

    def __getitem__(self, name):
        return self.columns[self.names.index(name)]

    def kinds(self):
        """``{name: kind}`` for every column."""
        return {c.name: c.kind for c in self.columns}

    def dtypes(self):
        """The fitted dtypes as a Series (like ``DataFrame.dtypes``)."""
        return pd.Series([c.dtype for c in self.columns], index=pd.Index(self.names, dtype=object), dtype=object)

    # ------------------------------------------------------------------ encode
    def encode(self, frame, *, update=False, owner="generator"):
        """Encode ``frame`` (validated, same columns) to an :class:`EncodedTable`.

        With ``update=True`` (streaming fits) string levels seen for the first
        time are appended, so codes of earlier chunks stay valid, and a
        categorical column must have the fitted dtype. Otherwise (a fitted
        generator reading new rows) a categorical column of another
        categorical dtype is mapped to the fitted categories by label, and a
        level that is not among ``spec.levels`` gets the code
        ``len(spec.levels)``, one past the last level, for the caller to
        report or handle.
        """
        encoded = {}
        for spec in self.columns:
            values = frame[spec.name]
            if spec.kind in NUMERIC_KINDS:
                arr = _numeric_values(values, spec)
                problem = _inexact_integers(spec, arr)
                if problem:
                    raise SchemaError(f"{owner} cannot model this table: {problem}")
                finite = arr[~np.isnan(arr)]
                if finite.size:
                    spec.lower = min(spec.lower, float(finite.min()))
                    spec.upper = max(spec.upper, float(finite.max()))
                encoded[spec.name] = arr
            else:
                encoded[spec.name] = _codes(values, spec, update=update, owner=owner)
        return EncodedTable(self, encoded, len(frame))

    # ------------------------------------------------------------------ decode
    def decode(self, columns, n_rows):
        """Rebuild a DataFrame (or ndarray for array input) from encoded arrays."""
        out = {}
        for spec in self.columns:
            out[spec.name] = _restore(np.asarray(columns[spec.name]), spec)
        if not self.is_frame:
            if not self.columns:
                return np.empty((n_rows, 0))
            return np.column_stack([np.asarray(out[c.name]) for c in self.columns]).astype(
                np.result_type(*[c.dtype for c in self.columns]), copy=False
            )
        # Series with explicit dtypes: a bare object array would be re-inferred
        # as pandas' ``str`` dtype.
        index = pd.RangeIndex(n_rows)
        series = [pd.Series(out[c.name], index=index, dtype=c.dtype, copy=False) for c in self.columns]
        frame = pd.concat(series, axis=1, ignore_index=True)
        frame.columns = pd.Index(self.names, dtype=object)
        return frame


# ---------------------------------------------------------------------- infer
def infer_schema(frame, *, owner, supported_kinds=ALL_KINDS, is_frame=True):
    """Validate a DataFrame and infer its schema, reporting all problems at once.

    Raises
    ------
    SchemaError
        Lists every column that cannot be modelled, with the reason and a fix.
    """
    problems = []
    if frame.shape[1] == 0:
        raise SchemaError(f"{owner} needs at least one column; got a table with 0 columns.")
    if frame.shape[0] == 0:
        raise SchemaError(f"{owner} needs at least 1 row to fit; got 0 rows (an empty table).")
    names = list(frame.columns)
    if is_frame:
        # All-string names (the usual case) or no string at all (a frame built
        # from an array, as scikit-learn does); a mix is ambiguous.
        bad = [c for c in names if not isinstance(c, str)]
        if bad and len(bad) < len(names):
            raise SchemaError(
                f"{owner} needs column names that are all strings; got non-string names {bad[:5]!r} "
                f"({', '.join(sorted({type(c).__name__ for c in bad}))}) beside string ones. "
                "Rename them, e.g. `X.columns = X.columns.astype(str)`."
            )
        dup = sorted({c for c in names if names.count(c) > 1})
        if dup:
            raise SchemaError(f"{owner} got duplicate column names {dup}; column names must be unique.")
    specs = []
    for name in names:
        values = frame[name]
        try:
            spec = _infer_column(name, values, owner)
        except SchemaError as exc:
            problems.append(str(exc))
            continue
        if values.isna().all() and len(values):
            problems.append(f"column {name!r} is entirely missing; there is nothing to learn from it: drop it.")
            continue
        if spec.kind not in supported_kinds:
            problems.append(_unsupported_message(name, spec, owner))
            continue
        if spec.kind in ("float", "int"):
            arr = _numeric_values(values, spec)
            if np.isinf(arr).any():
                problems.append(
                    f"column {name!r} contains infinite values; replace them "
                    "(e.g. with NaN or a finite cap) before fitting."
                )
            problem = _inexact_integers(spec, arr)
            if problem:
                problems.append(problem)
        specs.append(spec)
    if problems:
        raise SchemaError(f"{owner} cannot model this table:\n- " + "\n- ".join(problems))
    return TableSchema(specs, is_frame=is_frame)


def _unsupported_message(name, spec, owner):
    hint = {
        "category": "use CategoricalGenerator or GaussianCopulaGenerator",
        "string": "use CategoricalGenerator or GaussianCopulaGenerator",
        "bool": "use CategoricalGenerator or GaussianCopulaGenerator, or cast it to int",
        "datetime": "convert it to a number (e.g. seconds) or use GaussianCopulaGenerator",
        "float": "bin it or use GaussianCopulaGenerator / MultivariateNormalGenerator",
        "int": "use GaussianCopulaGenerator / MultivariateNormalGenerator",
    }[spec.kind]
    return f"column {name!r} of dtype {spec.dtype} is {spec.kind}, which {owner} does not model; {hint}."


def _infer_column(name, values, owner):
    dtype = values.dtype
    kind = dtype_kind(dtype)
    if kind == "category":
        levels = np.asarray(dtype.categories, dtype=object)
        return ColumnSpec(name, "category", dtype, levels=levels)
    if kind == "bool":
        return ColumnSpec(name, "bool", dtype, levels=np.array([False, True], dtype=object),
                          nullable=isinstance(dtype, pd.BooleanDtype))
    if kind == "datetime":
        return ColumnSpec(name, "datetime", dtype)
    if kind == "timedelta":
        raise SchemaError(
            f"column {name!r} has dtype {dtype}; {owner} cannot model timedeltas: "
            "convert it to seconds (`X[col].dt.total_seconds()`) or drop it."
        )
    if kind == "complex":
        raise SchemaError(f"column {name!r} is complex ({dtype}); {owner} models real values only.")
    if kind == "int":
        return ColumnSpec(name, "int", dtype, nullable=isinstance(dtype, pd.api.extensions.ExtensionDtype))
    if kind == "float":
        return ColumnSpec(name, "float", dtype)
    if kind == "string":
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred in ("string", "empty"):
            observed = np.asarray(values.dropna().unique(), dtype=object)
            return ColumnSpec(name, "string", dtype, levels=np.array(sorted(observed), dtype=object))
        raise SchemaError(
            f"column {name!r} is an object column of {inferred} values; {owner} needs one type "
            "per column: cast it (`astype(str)`, `astype(float)` or `astype('category')`)."
        )
    raise SchemaError(f"column {name!r} has unsupported dtype {dtype}.")


# ------------------------------------------------------------------ helpers
#: Integers of this magnitude or more have no exact float64, the encoding of every numeric column.
MAX_EXACT_INTEGER = 2**53


def _inexact_integers(spec, encoded):
    """The problem with an integer column that float64 cannot hold exactly, or None."""
    if spec.kind != "int" or not encoded.size:
        return None
    # Exact test: |v| >= 2**53 if and only if |float64(v)| >= 2**53 (rounding is monotone).
    biggest = np.nanmax(np.abs(encoded), initial=0.0)
    if biggest < MAX_EXACT_INTEGER:
        return None
    return (
        f"column {spec.name!r} holds integers of magnitude 2**53 or more (up to {biggest:.4g}), which "
        "the float64 encoding of numeric columns cannot hold exactly: distinct values would collapse "
        "into one. Subtract an offset or change the unit to bring them below 2**53, or cast the "
        "column to 'category' or str if its values are identifiers."
    )


def repeat_by_weight(frame, sample_weight, *, owner, why):
    """``frame`` with each row repeated its (integer) weight times, for a library that takes no weights.

    A weight that is not an integer raises, starting with ``why`` ("SDV
    synthesizers have no sample weights"): repeating rows cannot stand for it.
    """
    if sample_weight is None:
        return frame
    reps = np.rint(sample_weight)
    if not np.allclose(reps, sample_weight):
        raise ValueError(f"{owner}: {why}; only integer weights are supported (they repeat rows). Round or "
                         "resample the weights.")
    return frame.loc[frame.index.repeat(reps.astype(np.int64))].reset_index(drop=True)


def encode_sampled_column(col, spec, *, labels=None, missing_level=None, owner, model):
    """A column of rows another library sampled (SDV, TabularARGN) in synthloop's encoding.

    Discrete columns become codes into ``labels`` (the values the library was
    given for ``spec.levels``; default the levels themselves), -1 for missing
    (a missing value, or ``missing_level`` where the library was given one);
    a value that is none of them raises, since reading it as missing would
    hide a fault of the library. Datetimes become integer ticks of the fitted
    unit, other numbers floats, missing as NaN.
    """
    if spec.levels is not None:
        missing = col.isna().to_numpy()
        if missing_level is not None:
            missing = missing | (col.astype(object) == missing_level).to_numpy()
        text = col.astype(object).where(~missing, None).to_numpy()
        codes = pd.Index(spec.levels if labels is None else labels, dtype=object).get_indexer(text)
        if (codes[~missing] < 0).any():
            raise RuntimeError(f"{owner}: {model} sampled values of column {spec.name!r} that are not among its "
                               f"fitted levels: {col[(codes < 0) & ~missing].unique()[:5]}")
        codes[missing] = -1
        return codes.astype(np.int64)
    if spec.kind == "datetime":
        ticks = pd.to_datetime(col).dt.as_unit(_datetime_unit(spec.dtype))
        values = ticks.to_numpy().view(np.int64).astype(np.float64)
        values[ticks.isna().to_numpy()] = np.nan
        return values
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _datetime_unit(dtype):
    return np.datetime_data(getattr(dtype, "base", dtype) if not isinstance(dtype, pd.DatetimeTZDtype)
                            else np.dtype(f"M8[{dtype.unit}]"))[0]


def _numeric_values(values, spec):
    if spec.kind == "datetime":
        arr = values.to_numpy()
        if isinstance(spec.dtype, pd.DatetimeTZDtype):
            arr = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        ints = arr.view(np.int64).astype(np.float64)
        ints[np.isnat(arr)] = np.nan
        return ints
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def dtype_change(now, was):
    """How dtype ``now`` differs from the fitted ``was``, to follow "column 'c' is ...".

    ``"float64, was int64"``; for two categoricals, which categories were
    added or removed, or that their order or orderedness changed (both print
    as ``category``).
    """
    if not (isinstance(now, pd.CategoricalDtype) and isinstance(was, pd.CategoricalDtype)):
        return f"{now}, was {was}"
    new, old = list(now.categories), list(was.categories)
    added, removed = [c for c in new if c not in old], [c for c in old if c not in new]
    changes = [f"{what} {levels}" for what, levels in (("adds", added), ("removes", removed)) if levels]
    if not changes and new != old:
        changes.append(f"orders them {new}")
    if now.ordered != was.ordered:
        changes.append("is ordered" if now.ordered else "is not ordered")
    return (f"category that {' and '.join(changes)}, fitted with categories {old}"
            f"{' (ordered)' if was.ordered else ''}")


def _codes(values, spec, *, update, owner):
    if spec.kind == "category":
        is_category = isinstance(values.dtype, pd.CategoricalDtype)
        same = is_category and values.dtype == spec.dtype
        if not same and (update or not is_category):
            raise SchemaError(f"column {spec.name!r} is {dtype_change(values.dtype, spec.dtype)}; "
                              f"{owner} needs the dtype it was fitted with.")
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        if same and values.cat.categories.equals(spec.dtype.categories):
            return codes
        # Codes index the column's own categories (unordered dtypes are equal whatever the order of
        # their categories; transform also takes other categories): translate them by label.
        lookup = pd.Index(spec.levels, dtype=object).get_indexer(np.asarray(values.cat.categories, dtype=object))
        lookup = np.append(np.where(lookup < 0, len(spec.levels), lookup), -1)  # code -1 (missing) stays -1
        return lookup[codes]
    if spec.kind == "bool":
        obj = values.to_numpy(dtype=object, na_value=None)
        missing = pd.isna(values).to_numpy()
        codes = np.full(len(obj), -1, dtype=np.int64)
        codes[~missing] = np.asarray(obj[~missing], dtype=bool).astype(np.int64)
        return codes
    # Factorise once (hash-based, fast on Arrow strings), then map the few
    # distinct values to the level codes; missing values keep code -1.
    row_codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    lookup = pd.Index(spec.levels, dtype=object).get_indexer(uniques)
    unseen = lookup < 0
    if unseen.any():
        if update:
            spec.levels = np.concatenate([spec.levels, np.array(sorted(uniques[unseen]), dtype=object)])
            lookup = pd.Index(spec.levels, dtype=object).get_indexer(uniques)
        else:
            lookup[unseen] = len(spec.levels)
    lookup = np.append(lookup, -1).astype(np.int64)  # row code -1 (missing) reads the last entry
    return lookup[row_codes]


def _restore(arr, spec):
    n = len(arr)
    if spec.kind in NUMERIC_KINDS:
        arr = np.asarray(arr, dtype=np.float64)
        missing = np.isnan(arr)
        if spec.kind != "float":
            arr = np.rint(arr)
            if np.isfinite(spec.lower):
                arr = np.clip(arr, spec.lower, spec.upper)
        if spec.kind == "datetime":
            unit = spec.dtype.unit if isinstance(spec.dtype, pd.DatetimeTZDtype) else _datetime_unit(spec.dtype)
            ticks = np.where(missing, 0, arr).astype(np.int64).astype(f"M8[{unit}]")
            ticks[missing] = np.datetime64("NaT")
            out = pd.Series(ticks)
            if isinstance(spec.dtype, pd.DatetimeTZDtype):
                out = out.dt.tz_localize("UTC").dt.tz_convert(spec.dtype.tz)
            return out.astype(spec.dtype).array
        if isinstance(spec.dtype, pd.api.extensions.ExtensionDtype):
            return pd.array(np.where(missing, np.nan, arr), dtype=spec.dtype)
        if missing.any() and spec.kind == "int":
            # A numpy int column cannot hold NaN; a generator only produces
            # missing values where it saw them, so this is a generator bug.
            raise RuntimeError(f"missing values sampled for column {spec.name!r} of dtype {spec.dtype}")
        return arr.astype(spec.dtype, copy=False)
    codes = np.asarray(arr, dtype=np.int64)
    if spec.kind == "category":
        return pd.Categorical.from_codes(codes, dtype=spec.dtype)
    missing = codes < 0
    values = spec.levels[np.where(missing, 0, codes)] if len(spec.levels) else np.full(n, None, dtype=object)
    if spec.kind == "bool":
        if isinstance(spec.dtype, pd.BooleanDtype):
            return pd.array(np.where(missing, None, values), dtype=spec.dtype)
        return values.astype(bool)
    values = values.astype(object)
    values[missing] = np.nan if spec.dtype == object or getattr(spec.dtype, "na_value", None) is not pd.NA else pd.NA
    if spec.dtype == object:
        return values
    return pd.array(values, dtype=spec.dtype)
