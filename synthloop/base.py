"""BaseGenerator: the fit / partial_fit / sample contract shared by every generator.

A generator learns a distribution from a table and samples new rows from it.
This base class owns everything that is not the model itself: parameter
validation (scikit-learn's ``_fit_context``), table validation with one
message for all problems, ``sample_weight`` checks, the random stream, and the
dtype round trip (see ``synthloop._table``). A subclass implements four hooks
on encoded arrays:

``_reset_statistics(table)``
    start empty sufficient statistics for the schema of ``table``;
``_update_statistics(table, sample_weight)``
    add a chunk (``fit`` calls it once, ``partial_fit`` once per chunk, so a
    chunked fit equals one fit on the concatenation);
``_finalize()``
    turn the statistics into the fitted parameters;
``_sample_encoded(n_samples, rng)``
    return ``{column: array}`` in the encoded space;

plus ``_fitted_params()`` for :meth:`get_fitted_params`, and optionally
``_output_schema(schema)`` when :meth:`sample` returns other dtypes than the
fitted ones (the default returns ``schema``: the fitted dtypes are restored),
``_collapse_summary()`` and ``_parameter_vector()``.

A generator whose fit is a reduction over blocks of rows (the block reduction:
:meth:`~BaseGenerator.start_reduction`, :meth:`~BaseGenerator.block_statistics`,
:meth:`~BaseGenerator.merge_statistics`, :meth:`~BaseGenerator.finish_statistics`)
sets ``_reduction_passes`` to its number of passes over the blocks and
implements three more hooks, pure functions of their arguments so that blocks
can be reduced in threads or on other machines:

``_block_statistics(table, sample_weight, pass_)``
    the statistics of one block of encoded rows, for pass ``pass_``;
``_merge_statistics(a, b, pass_)``
    the statistics of the union of two blocks' rows;
``_finish_statistics(stats, pass_)``
    take the statistics of all rows: after the last pass the generator is fitted.

A one-pass generator keeps its merged statistics in ``_stats`` (its
``_update_statistics`` merges each chunk's into them), so a reduction can also
continue a fitted generator (the accumulate pool).
"""

import dataclasses

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from ._table import (
    ALL_KINDS,
    DISCRETE_KINDS,
    NUMERIC_KINDS,
    EncodedTable,
    TableSchema,
    dtype_change,
    infer_schema,
    seconds_of,
    ticks_per_second,
)
from .exceptions import SchemaError
from .theory._validation import check_integer
from .utils._random import make_rng
from .utils._sklearn_compat import _fit_context

__all__ = ["BaseGenerator"]


class BaseGenerator(BaseEstimator):
    """Base class for synthloop generators (do not instantiate).

    Subclasses model a table and sample from it. Fitted attributes common to
    all generators:

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit (DataFrame input only).
    dtypes_ : pandas.Series
        The dtype of each column, restored by :meth:`sample`.
    schema_ : synthloop._table.TableSchema
        Kinds, levels and ranges of the fitted columns.
    random_state_ : numpy.random.Generator
        The stream :meth:`sample` draws from when no ``random_state`` is given.
    n_rows_seen_ : float
        Number of rows fitted (sum of weights when weighted).
    """

    # Column kinds a subclass models; the others get a clear error at fit.
    _supported_kinds = ALL_KINDS
    # Whether missing values are modelled (sklearn's ``allow_nan`` tag).
    _allow_missing = True

    # Passes of the block reduction over a fit's rows; 0: the generator has none (fit / partial_fit only).
    _reduction_passes = 0

    _parameter_constraints: dict = {"random_state": ["random_state"]}

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the generator to a table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table. Arrays must be numeric.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights (pools use them to weight real rows
            against synthetic ones).

        Returns
        -------
        self : object
            The fitted generator.
        """
        table = self._validate_table(X, reset=True)
        weights = _check_sample_weight(sample_weight, table.n_rows, type(self).__name__)
        self._start(table)
        self._update(table, weights)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Add a chunk of rows to the fit (streaming).

        The first call fixes the columns and dtypes; later chunks must match
        them. Fitting chunk by chunk gives the same parameters as one
        :meth:`fit` on the concatenated chunks, up to float rounding.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "schema_")
        table = self._validate_table(X, reset=first)
        weights = _check_sample_weight(sample_weight, table.n_rows, type(self).__name__)
        if first:
            self._start(table)
        self._update(table, weights)
        return self

    def _start(self, table):
        self.schema_ = table.schema
        # The schema sample() decodes with, fixed at fit like every parameter.
        self._sample_schema = self._output_schema(table.schema)
        self.dtypes_ = self._sample_schema.dtypes()
        self.random_state_ = make_rng(self.random_state)
        self.n_rows_seen_ = 0.0
        self._reset_statistics(table)

    def _update(self, table, weights):
        self._update_statistics(table, weights)
        self.n_rows_seen_ += float(table.n_rows if weights is None else weights.sum())
        self._finalize()

    # ------------------------------------------------------------ block reduction
    def supports_reduction(self, *, continued=False):
        """Whether this generator's fit runs as a reduction over blocks of rows.

        Parameters
        ----------
        continued : bool, default=False
            Ask instead whether a fitted generator's statistics can take more
            blocks (:meth:`start_reduction` without rows): true of one-pass
            reductions only.

        Returns
        -------
        bool

        Examples
        --------
        >>> from synthloop import GaussianCopulaGenerator, MultivariateNormalGenerator
        >>> MultivariateNormalGenerator().supports_reduction(continued=True)
        True
        >>> GaussianCopulaGenerator().supports_reduction(continued=True)
        False
        """
        return self._reduction_passes == 1 if continued else self._reduction_passes > 0

    @_fit_context(prefer_skip_nested_validation=True)
    def start_reduction(self, X=None):
        """Start a fit as a reduction over blocks of rows; return its number of passes.

        Each pass maps every block of the rows to its :meth:`block_statistics`,
        merges them two by two with :meth:`merge_statistics` (in any fixed
        order: the merge is exact, up to float rounding) and hands the result
        to :meth:`finish_statistics`; after the last pass the generator is
        fitted, as :meth:`fit` on the union of the blocks would fit it. The
        statistics are small (they do not grow with the rows), so blocks can be
        drawn and reduced in threads or on other machines: only the generator
        and the statistics travel, never the rows.

        Parameters
        ----------
        X : DataFrame or array-like, default=None
            Rows with every column and dtype of the fit (the first block, or
            the real table): they fix the columns, as a first
            :meth:`partial_fit` does, and are not counted (give them as a
            block too). None continues a fitted generator: the next pass adds
            blocks to the statistics it holds (one-pass reductions only, see
            :meth:`supports_reduction`).

        Returns
        -------
        int
            The number of passes: the model's own, plus one first pass that
            collects the levels of string columns when there are any (a block
            encodes a string by its position among every level of the fit).

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> gen = MultivariateNormalGenerator()
        >>> for _ in range(gen.start_reduction(X[:1])):
        ...     a, b = gen.block_statistics(X[:60]), gen.block_statistics(X[60:])
        ...     gen = gen.finish_statistics(gen.merge_statistics(a, b))
        >>> bool(np.allclose(gen.covariance_, np.cov(X.T)))
        True
        """
        owner = type(self).__name__
        if not self.supports_reduction(continued=X is None):
            what = "continue its fit as a reduction" if self._reduction_passes else "fit as a reduction over blocks"
            raise TypeError(f"{owner} cannot {what}; fit it with fit or partial_fit.")
        if X is None:
            check_is_fitted(self, "random_state_")
            self._reduction = [[0], (self.n_rows_seen_, *_ranges(self.schema_), self._stats)]
            return 1
        # The blocks are validated and encoded one by one; these rows only give the schema.
        schema = self._validate_table(X, reset=True, encode=False)
        self._start(EncodedTable(schema, {}, 0))
        strings = any(c.kind == "string" for c in self.schema_.columns)
        self._reduction = [(["levels"] if strings else []) + list(range(self._reduction_passes)), None]
        return len(self._reduction[0])

    def block_statistics(self, X, sample_weight=None):
        """The statistics of one block of rows for the current pass of a reduction.

        Does not change the generator, so blocks can be reduced in threads.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The block: the columns and dtypes given to :meth:`start_reduction`.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        object
            Statistics for :meth:`merge_statistics` and
            :meth:`finish_statistics` (picklable; their size does not grow
            with the block's rows, only with its distinct values).
        """
        owner = type(self).__name__
        stage = self._reduction_stage()
        if stage == "levels":
            self._validate_table(X, reset=False, encode=False)
            return {c.name: _observed_strings(X[c.name]) for c in self.schema_.columns if c.kind == "string"}
        # Encoding widens the ranges of a schema: each block reads them from a copy of its own.
        schema = TableSchema([dataclasses.replace(c, lower=np.inf, upper=-np.inf) for c in self.schema_.columns],
                             is_frame=self.schema_.is_frame)
        table = self._validate_table(X, reset=False, schema=schema)
        new = {c.name: list(c.levels[len(f.levels):]) for c, f in zip(schema.columns, self.schema_.columns)
               if c.levels is not None and len(c.levels) > len(f.levels)}
        if new:
            raise ValueError(
                f"{owner}.block_statistics: a block holds string levels the fit does not know ({new}). The first "
                "pass of a reduction collects the levels of every block, so the blocks must be the same rows in "
                "every pass; a continued reduction cannot add levels (use partial_fit)."
            )
        weights = _check_sample_weight(sample_weight, table.n_rows, owner)
        stats = self._block_statistics(table, weights, stage)
        if stage != 0:
            return stats
        return (float(table.n_rows if weights is None else weights.sum()), *_ranges(schema), stats)

    def merge_statistics(self, a, b):
        """The statistics of the union of the rows behind ``a`` and ``b`` (current pass).

        Parameters
        ----------
        a, b : object
            From :meth:`block_statistics` or earlier merges, in the order of
            their rows.

        Returns
        -------
        object
        """
        stage = self._reduction_stage()
        if stage == "levels":
            return {name: _union(a[name], b[name]) for name in a}
        if stage != 0:
            return self._merge_statistics(a, b, stage)
        return (a[0] + b[0], np.minimum(a[1], b[1]), np.maximum(a[2], b[2]),
                self._merge_statistics(a[3], b[3], 0))

    def finish_statistics(self, stats):
        """End the current pass with the statistics of all its blocks; the last pass fits the generator.

        Parameters
        ----------
        stats : object
            The merge of every block's :meth:`block_statistics`.

        Returns
        -------
        self : object
        """
        stage = self._reduction_stage()
        stages, prior = self._reduction
        if stage == "levels":
            for spec in self.schema_.columns:
                if spec.kind == "string":
                    spec.levels = _union(spec.levels, stats[spec.name])
        elif stage == 0:
            if prior is not None:
                stats = self.merge_statistics(prior, stats)
            n, lower, upper, stats = stats
            for spec, lo, hi in zip(self.schema_.columns, lower, upper):
                if spec.kind in NUMERIC_KINDS:
                    spec.lower, spec.upper = min(spec.lower, float(lo)), max(spec.upper, float(hi))
            self.n_rows_seen_ = float(n)
            self._finish_statistics(stats, 0)
        else:
            self._finish_statistics(stats, stage)
        stages.pop(0)
        if not stages:
            del self._reduction
        return self

    def _reduction_stage(self):
        reduction = getattr(self, "_reduction", None)
        if reduction is None:
            raise RuntimeError(f"{type(self).__name__}: no reduction in progress; call start_reduction first.")
        return reduction[0][0]

    # --------------------------------------------------------------- sample
    def sample(self, n_samples=1, *, random_state=None):
        """Draw synthetic rows.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows; 0 returns an empty table with the fitted columns
            and dtypes.
        random_state : None, int or RandomState, default=None
            ``None`` draws from the generator's own stream (fixed by the
            ``random_state`` given at construction, advanced by every call);
            a seed gives the same rows every time and leaves the stream as is.

        Returns
        -------
        DataFrame or ndarray of shape (n_samples, n_features)
            The container, columns and order seen at fit, with the dtypes
            ``dtypes_`` (those seen at fit unless the generator documents
            otherwise).
        """
        check_is_fitted(self, "random_state_")
        n = _check_n_samples(n_samples, type(self).__name__)
        rng = self.random_state_ if random_state is None else make_rng(random_state)
        schema = self._sample_schema
        if n == 0:
            columns = {
                c.name: np.empty(0, dtype=np.int64 if c.kind in DISCRETE_KINDS else np.float64)
                for c in schema.columns
            }
        else:
            columns = self._sample_encoded(n, rng)
        return schema.decode(columns, n)

    def collapse_summary(self, *, random_state=None):
        """The per-column statistics a collapse study records, from this generator's own fit.

        Parameters
        ----------
        random_state : None, int or RandomState, default=None
            Seeds the sample the statistics are estimated from when the
            generator does not know them exactly (see Returns).

        Returns
        -------
        CollapseSummary
            A dict ``{column: ("num", variance)}`` for a numeric column (a
            datetime's variance in seconds squared, whatever its unit) or ``{column: ("cat",
            probabilities)}`` for a discrete one (a Series indexed by level,
            missing values as the level :data:`MISSING_LABEL`). Its ``source``
            is ``"params"`` when the generator computes them from its fitted
            parameters (MultivariateNormalGenerator, CategoricalGenerator,
            GaussianCopulaGenerator with empirical marginals), else
            ``"sample"``: estimated from :data:`STATS_SAMPLE_SIZE` sampled
            rows (Monte Carlo error of order ``1/sqrt(10000)``).

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator
        >>> gen = MultivariateNormalGenerator().fit(np.random.default_rng(0).normal(size=(100, 2)))
        >>> summary = gen.collapse_summary()
        >>> summary.source, summary[0][0]
        ('params', 'num')
        """
        check_is_fitted(self, "random_state_")
        exact = self._collapse_summary()
        if exact is not None:
            return CollapseSummary(exact, "params")
        return sample_collapse_summary(self, random_state, self.schema_)

    def _collapse_summary(self):
        """The statistics of :meth:`collapse_summary` from the fitted parameters; None to estimate them."""
        return None

    def parameter_vector(self):
        """The fitted parameters as one float vector, or None when the generator defines none.

        The coordinates in which :class:`~synthloop.RecursiveSynthesizer`
        measures a generation's squared distance to generation 0 and to a
        ``reference`` (``history_["params_sq_dist"]``): a Gaussian's mean and
        covariance, a linear model's intercept and coefficients.

        Returns
        -------
        ndarray of float64 or None

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator
        >>> gen = MultivariateNormalGenerator().fit(np.random.default_rng(0).normal(size=(100, 2)))
        >>> gen.parameter_vector().shape  # 2 means and the 3 entries of a symmetric 2 x 2 covariance
        (5,)
        """
        check_is_fitted(self, "random_state_")
        vector = self._parameter_vector()
        return None if vector is None else np.asarray(vector, dtype=np.float64).ravel()

    def _parameter_vector(self):
        """The fitted parameters of :meth:`parameter_vector`; None: the generator defines none."""
        return None

    def get_fitted_params(self):
        """The estimated parameters, as a dict of numpy arrays (numbers, or level labels) and floats.

        The recursive loop records their trajectory over generations.

        Returns
        -------
        dict
        """
        check_is_fitted(self, "random_state_")
        return self._fitted_params()

    # ----------------------------------------------------------- validation
    def _validate_table(self, X, *, reset, schema=None, encode=True):
        """Validate ``X`` and encode it with ``schema`` (inferred when ``reset``, else the fitted one); or return the schema."""
        owner = type(self).__name__
        if isinstance(X, pd.DataFrame):
            if reset:
                schema = infer_schema(X, owner=owner, supported_kinds=self._supported_kinds)
            validate_data(self, X, reset=reset, skip_check_array=True)
            if not reset:
                _check_same_dtypes(X, self.schema_, owner, self._sample_schema)
                schema = self.schema_ if schema is None else schema
            self._check_missing(X, owner)
            return schema.encode(X, update=True, owner=owner) if encode else schema
        if isinstance(X, pd.Series):
            raise SchemaError(f"{owner} expects a 2-D table; got a Series. Use `s.to_frame()`.")
        allow = "allow-nan" if self._allow_missing else True
        arr = validate_data(self, X, reset=reset, dtype="numeric", ensure_all_finite=allow)
        frame = pd.DataFrame(arr, columns=range(arr.shape[1]), copy=False)
        if reset:
            schema = infer_schema(frame, owner=owner, supported_kinds=self._supported_kinds, is_frame=False)
        elif schema is None:
            schema = self.schema_
        return schema.encode(frame, update=True, owner=owner) if encode else schema

    def _check_missing(self, X, owner):
        if self._allow_missing:
            return
        counts = X.isna().sum()
        if not counts.any():
            return
        listed = ", ".join(f"{name!r} ({int(k)} missing)" for name, k in counts.items() if k)
        raise SchemaError(
            f"{owner} does not model missing values; found them in {listed}. Impute or drop "
            "them, or use GaussianCopulaGenerator / CategoricalGenerator, which model missingness."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_missing
        tags.input_tags.categorical = bool(self._supported_kinds & DISCRETE_KINDS)
        # Arrays must be numeric; text is supported in DataFrame columns only.
        tags.input_tags.string = False
        tags.target_tags.required = False
        return tags

    # ------------------------------------------------------------- the hooks
    def _reset_statistics(self, table):  # pragma: no cover - abstract
        raise NotImplementedError

    def _update_statistics(self, table, sample_weight):  # pragma: no cover - abstract
        raise NotImplementedError

    def _finalize(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample_encoded(self, n_samples, rng):  # pragma: no cover - abstract
        raise NotImplementedError

    def _block_statistics(self, table, sample_weight, pass_):  # pragma: no cover - abstract
        raise NotImplementedError

    def _merge_statistics(self, a, b, pass_):  # pragma: no cover - abstract
        raise NotImplementedError

    def _finish_statistics(self, stats, pass_):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fitted_params(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _output_schema(self, schema):
        """The schema :meth:`sample` decodes with (called once per fit): ``schema`` itself."""
        return schema


def _check_same_dtypes(X, schema, owner, sample_schema):
    # A chunk may also carry the dtypes sample() returns: a generator continues
    # its fit on its own rows (the accumulate pool).
    changed = [(c, s) for c, s in zip(schema.columns, sample_schema.columns)
               if X[c.name].dtype != c.dtype and X[c.name].dtype != s.dtype]
    if not changed:
        return
    wrong = [f"{c.name!r} is {dtype_change(X[c.name].dtype, c.dtype)}"
             + (f" (or {s.dtype})" if s.dtype != c.dtype else "") for c, s in changed]
    hint = ""
    if any(isinstance(X[c.name].dtype, pd.CategoricalDtype) for c, _ in changed):
        hint = (" A categorical column keeps the categories of the first chunk: declare them all there, "
                "e.g. `X[col].astype(pd.CategoricalDtype(categories, ordered=...))` on every chunk.")
    raise SchemaError(f"{owner}.partial_fit got columns whose dtype changed since the first chunk: "
                      + "; ".join(wrong) + "." + hint)


def _observed_strings(values):
    """The distinct observed values of a string column, sorted (its levels, as ``infer_schema`` reads them)."""
    return np.array(sorted(values.dropna().unique()), dtype=object)


def _ranges(schema):
    """The observed (lower, upper) of every column, as two arrays (infinite for columns without a range)."""
    return (np.array([c.lower for c in schema.columns], dtype=np.float64),
            np.array([c.upper for c in schema.columns], dtype=np.float64))


def _union(a, b):
    return np.array(sorted(set(a) | set(b)), dtype=object)


def _check_n_samples(n_samples, owner):
    return check_integer(n_samples, "n_samples", 0, f"{owner}.sample")


def _check_sample_weight(sample_weight, n_rows, owner):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 0:
        w = np.full(n_rows, float(w))
    if w.ndim != 1 or w.shape[0] != n_rows:
        raise ValueError(
            f"{owner}: sample_weight.shape == {w.shape}, expected ({n_rows},) to match the rows of X."
        )
    try:
        w = w.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: sample_weight must be numeric; got dtype {w.dtype}.") from None
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{owner}: sample_weight must be finite and non-negative.")
    if w.sum() <= 0:
        raise ValueError(f"{owner}: sample_weight sums to zero; at least one row needs a positive weight.")
    return w


# ------------------------------------------------------------- collapse statistics
#: Rows sampled to estimate the collapse statistics of a generator that does not know them exactly.
STATS_SAMPLE_SIZE = 10_000
#: The level that stands for missing values in a discrete column's probabilities.
MISSING_LABEL = "<missing>"


class CollapseSummary(dict):
    """``{column: ("num", variance) or ("cat", probabilities)}`` with its ``source`` (``"params"``/``"sample"``)."""

    def __init__(self, items, source):
        super().__init__(items)
        self.source = source


def sample_collapse_summary(generator, random_state, schema=None):
    """:meth:`BaseGenerator.collapse_summary` estimated from :data:`STATS_SAMPLE_SIZE` sampled rows.

    Works for any fitted object with ``sample(n, random_state=...)``;
    ``schema`` (a generator's ``schema_``) says the column kinds, else they
    are inferred from the sample.
    """
    S = generator.sample(STATS_SAMPLE_SIZE, random_state=random_state)
    frame = S if isinstance(S, pd.DataFrame) else pd.DataFrame(S, columns=range(np.shape(S)[1]))
    if schema is None:
        schema = infer_schema(frame, owner=type(generator).__name__, is_frame=isinstance(S, pd.DataFrame))
    out = {}
    for spec in schema.columns:
        col = frame[spec.name]
        if spec.kind in DISCRETE_KINDS:
            freq = col.astype(object).where(col.notna(), MISSING_LABEL).value_counts(normalize=True)
            out[spec.name] = ("cat", pd.Series(freq.to_numpy(dtype=float), index=freq.index.astype(object)))
        else:
            if spec.kind == "datetime":
                values = seconds_of(col)
            else:
                values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            out[spec.name] = ("num", float(np.nanvar(values, ddof=1)) if np.isfinite(values).sum() > 1 else np.nan)
    return CollapseSummary(out, "sample")


def atoms_summary(spec, support, probabilities, missing=0.0, *, in_seconds=False):
    """The collapse statistic of a column modelled by atoms: level probabilities, or the atoms' variance.

    ``support`` holds level codes for a discrete column, values for a numeric
    one (a datetime's in the encoded ticks of its dtype, or ``in_seconds``);
    ``probabilities`` their probabilities and ``missing`` that of a missing
    value.
    """
    support = np.asarray(support)
    p = np.asarray(probabilities, dtype=float)
    if spec.kind in DISCRETE_KINDS:
        labels = list(spec.levels[support.astype(np.int64)]) + [MISSING_LABEL]
        return "cat", pd.Series(np.append(p, float(missing)), index=pd.Index(labels, dtype=object))
    support = support.astype(float)
    total = p.sum()
    if total <= 0:
        return "num", np.nan
    q = p / total
    mean = q @ support
    variance = float(q @ np.square(support - mean))
    return "num", variance if in_seconds else in_seconds_squared(spec, variance)


def in_seconds_squared(spec, variance):
    """A variance of encoded values in the collapse summary's units: a datetime's ticks squared become seconds squared."""
    return variance / ticks_per_second(spec.dtype) ** 2 if spec.kind == "datetime" else variance
