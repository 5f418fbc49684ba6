"""CategoricalGenerator: the tabular next-token model of docs/theory.rst, "Categorical (next-token) model".

Every column is a vocabulary of levels (tokens). The model is estimated from
weighted counts only, so ``partial_fit`` on chunks equals one ``fit``:

- the marginal counts of each column, keyed by the encoded value (a float for
  numeric columns, a code for discrete ones; NaN / -1 for missing), merged
  chunk by chunk;
- for ``"joint"`` and ``"chain"``, the counts of the distinct rows (tuples of
  encoded values), merged the same way; every conditional table of the chain
  is a marginal of these.

``_finalize`` puts the levels of each column in a canonical order (declared
order for categories and booleans, sorted values otherwise, missing last), so
the fitted parameters do not depend on how the rows were chunked.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd

from .._table import ALL_KINDS, DISCRETE_KINDS, _restore, seconds_of
from ..base import MISSING_LABEL, BaseGenerator, atoms_summary
from ..evaluation._collapse import COLLISION, LEVELS, collision, levels
from ..exceptions import CopyWarning, SchemaError
from ..utils._sklearn_compat import Interval, StrOptions

__all__ = ["CategoricalGenerator"]

#: CategoricalGenerator warns (CopyWarning) when more than this share of its samples are training rows that occur once.
COPY_WARNING_SHARE = 0.5

# Kinds whose values are measurements rather than tokens: many distinct values
# mean a continuous column that should be binned (or modelled by the copula).
_LIMITED_KINDS = frozenset({"float", "datetime"})


class CategoricalGenerator(BaseGenerator):
    """Categorical (next-token) model of a table, from weighted counts.

    The tabular form of the next-token model of docs/theory.rst, "Categorical (next-token) model": every column is
    a vocabulary of levels and the fitted distribution is the empirical
    frequency, the maximum-likelihood estimator whose recursive refitting
    collapses to a Dirac mass (Theorem 1 of [B]).

    Parameters
    ----------
    structure : {"joint", "independent", "chain"}, default="joint"
        How the columns depend on each other.

        - ``"joint"``: the empirical distribution of the rows' tuples (one
          multinomial whose tokens are whole rows); samples only reproduce
          observed rows.
        - ``"independent"``: one categorical per column (the product of the
          marginals).
        - ``"chain"``: column ``j`` given the previous ``context_length``
          columns (in table order), by empirical conditional frequencies; a
          context never seen at fit (possible only with ``smoothing > 0``)
          falls back to the column's marginal.
    context_length : int or None, default=None
        Number of previous columns a column is conditioned on with
        ``structure="chain"``; ``None`` means all previous columns (which,
        without smoothing, equals ``"joint"``); ``0`` equals
        ``"independent"``. Ignored by the other structures.
    smoothing : float, default=0.0
        Additive pseudo-count (Laplace / Lidstone smoothing; the posterior
        mean under a symmetric Dirichlet prior). It is a biased estimator that
        keeps every level alive under recursive refitting.

        - ``"independent"``: ``p(v) = (c(v) + a) / (n + a L)`` over the
          column's ``L`` levels.
        - ``"chain"``: ``p(v | ctx) = (c(ctx, v) + a) / (c(ctx) + a L)``; the
          fallback marginal of unseen contexts is smoothed the same way.
        - ``"joint"``: a row is one token whose vocabulary is the Cartesian
          product of the column level sets (``K = L_1 ... L_d`` tuples), so
          ``p(x) = (c(x) + a) / (n + a K)``. This is the mixture
          ``(1 - λ) p_empirical + λ uniform(product)`` with
          ``λ = a K / (n + a K)`` (``smoothing_weight_``); since ``K`` grows
          exponentially with the number of columns, use a small ``a`` (e.g.
          ``1e-3``) or ``"independent"`` / ``"chain"`` on wide tables.

        A column's level set is its declared categories (including unobserved
        ones) for ``category`` columns, ``False``/``True`` for booleans, and
        the observed values otherwise; missing values are a level when they
        were observed. Smoothing never invents other levels.
    max_levels : int or None, default=1000
        Most distinct values a float or datetime column may have: such a
        column is a measurement, not a vocabulary, and its empirical
        distribution would only memorise the data. ``None`` lifts the limit.
        Integer columns are tokens and are not limited.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling stream.

    Attributes
    ----------
    levels_ : dict
        ``{column: array of levels}`` in canonical order (declared order for
        ``category`` and booleans, sorted otherwise, missing last), with the
        column's fitted dtype.
    marginals_ : dict
        ``{column: ndarray}`` of level probabilities aligned with ``levels_``:
        the marginal of the fitted model for ``"independent"`` and
        ``"joint"``; for ``"chain"`` the smoothed column marginal (the
        unseen-context fallback), which is the model's marginal when
        ``smoothing=0``.
    probabilities_ : dict or tuple
        The model's tables, decoded to the fitted dtypes (built on access):

        - ``"independent"``: ``{column: (levels, probs)}``;
        - ``"joint"``: ``(tuples, probs)``, a DataFrame of the observed rows
          (canonical order) and their probabilities; any unobserved tuple of
          the product has probability ``smoothing_weight_ / K``;
        - ``"chain"``: ``{column: (pairs, probs)}``, a DataFrame of the
          observed (context columns..., column) combinations and
          ``p(column | context)``; with smoothing an unobserved level of an
          observed context has ``a / (c(ctx) + a L)``. The first column (or
          every column when ``context_length=0``) has no context:
          ``pairs`` holds its levels and ``probs`` its marginal.
    smoothing_weight_ : float
        ``"joint"`` only: the mass ``λ`` of the uniform component.
    unique_row_share_ : float or None
        ``"joint"`` and ``"chain"``: the probability that a sampled row is a
        training row that occurs once (whose weight is at most 1), the sum
        of the model's probabilities of those rows; None for
        ``"independent"`` and ``context_length=0``. See Notes.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    dtypes_ : pandas.Series
    random_state_ : numpy.random.Generator

    See Also
    --------
    MultivariateNormalGenerator : The Gaussian model of docs/theory.rst, "Gaussian estimation".

    Notes
    -----
    **Copies.** ``"joint"`` samples only observed rows, and ``"chain"`` given
    every previous column does too: right for the empirical distribution of
    [B]'s theory, and a copy of the training table when its rows are nearly
    unique. A column of nearly unique values (UCI Adult's ``fnlwgt``) makes
    every context one real row, so every sampled row is a training row,
    each identifying one record. When more than half of the sampled rows
    would be training rows that occur once (``unique_row_share_`` > 0.5),
    :meth:`fit` and :meth:`partial_fit` warn with a
    :class:`~synthloop.exceptions.CopyWarning`: bin or drop such columns,
    shorten ``context_length``, or use
    :class:`~synthloop.TreeChainGenerator`, whose leaves of many rows draw
    each column from another donor.

    Missing values are a level of their own and come back as missing.
    Numeric columns (float, int, datetime) are factorised by their distinct
    values (datetimes as their integer ticks, held as float64, so values
    closer than 2**-53 of their magnitude merge). Sampling is vectorised: one
    inverse-CDF draw per column, conditionals by per-context cumulative
    tables.

    :meth:`get_fitted_params` returns numeric arrays only: ``marginals``,
    ``collision`` (``Σ p²``) and ``levels`` (levels with ``p > 0``) per
    column, the collapse metrics of ``history_``; ``"joint"`` adds
    ``joint_probabilities`` (observed tuples), ``joint_collision`` and
    ``n_tuples``; ``"chain"``
    adds ``conditional`` (``p(v | ctx)`` of the observed pairs) and
    ``n_contexts`` per column.

    Examples
    --------
    >>> import pandas as pd
    >>> from synthloop import CategoricalGenerator
    >>> X = pd.DataFrame({"colour": ["red", "red", "blue", None],
    ...                   "size": pd.Categorical(["S", "M", "S", "S"], categories=["S", "M", "L"])})
    >>> gen = CategoricalGenerator(structure="independent", random_state=0).fit(X)
    >>> gen.marginals_["colour"]
    array([0.25, 0.5 , 0.25])
    >>> list(gen.levels_["colour"])
    ['blue', 'red', nan]
    >>> S = gen.sample(5)
    >>> S.dtypes.equals(X.dtypes)
    True
    >>> smooth = CategoricalGenerator(structure="independent", smoothing=1.0).fit(X)
    >>> smooth.marginals_["size"]  # the declared but unseen "L" stays alive
    array([0.571..., 0.285..., 0.142...])
    """

    _supported_kinds = ALL_KINDS
    _allow_missing = True
    _reduction_passes = 1

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "structure": [StrOptions({"joint", "independent", "chain"})],
        "context_length": [Interval(Integral, 0, None, closed="left"), None],
        "smoothing": [Interval(Real, 0, None, closed="left")],
        "max_levels": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, *, structure="joint", context_length=None, smoothing=0.0, max_levels=1000,
                 random_state=None):
        self.structure = structure
        self.context_length = context_length
        self.smoothing = smoothing
        self.max_levels = max_levels
        self.random_state = random_state

    # -------------------------------------------------------------- statistics
    # The statistics: ``{column: (keys, weights)}`` of each column's distinct encoded values,
    # and for "joint" / "chain" the distinct rows with their weights (None for "independent").
    def _reset_statistics(self, table):
        d = len(table.schema.columns)
        rows = None if self.structure == "independent" else (np.empty((0, d)), np.empty(0))
        self._stats = ({name: (np.empty(0), np.empty(0)) for name in table.schema.names}, rows)

    def _update_statistics(self, table, sample_weight):
        self._stats = self._merge_statistics(self._stats, self._block_statistics(table, sample_weight, 0), 0)

    def _block_statistics(self, table, sample_weight, pass_):
        w = np.ones(table.n_rows) if sample_weight is None else sample_weight
        counts = {name: _group_values(np.asarray(table.columns[name], dtype=np.float64), w)
                  for name in self.schema_.names}
        rows = None
        if self.structure != "independent":
            rows = _group_rows([table.columns[n] for n in self.schema_.names], w, self._radices())
        return counts, rows

    def _merge_statistics(self, a, b, pass_):
        counts = {name: _group_values(np.concatenate([a[0][name][0], b[0][name][0]]),
                                      np.concatenate([a[0][name][1], b[0][name][1]])) for name in a[0]}
        self._check_levels(counts)
        rows = a[1]
        if rows is not None and len(b[1][1]):
            rows = b[1] if not len(rows[1]) else _group_rows(
                [np.concatenate([old, new]) for old, new in zip(rows[0].T, b[1][0].T)],
                np.concatenate([rows[1], b[1][1]]), self._radices())
        return counts, rows

    def _finish_statistics(self, stats, pass_):
        self._check_levels(stats[0])
        self._stats = stats
        self._finalize()

    def _radices(self):
        return [len(spec.levels) + 1 if spec.kind in DISCRETE_KINDS else None for spec in self.schema_.columns]

    def _check_levels(self, counts):
        problems = []
        for spec in self.schema_.columns:
            keys, c = counts[spec.name]
            if spec.kind in _LIMITED_KINDS and self.max_levels is not None:
                n_distinct = int(np.count_nonzero((c > 0) & ~np.isnan(keys)))
                if n_distinct > self.max_levels:
                    problems.append(
                        f"column {spec.name!r} ({spec.kind}) has {n_distinct} distinct values, more than "
                        f"max_levels={self.max_levels}"
                    )
        if problems:
            raise SchemaError(
                "CategoricalGenerator treats every distinct value as a level, and these columns look "
                "continuous: " + "; ".join(problems) + ". Bin them first (e.g. pd.cut or "
                "sklearn's KBinsDiscretizer), model them with GaussianCopulaGenerator, or raise max_levels."
            )

    def _finalize(self):
        a = float(self.smoothing)
        specs = self.schema_.columns
        self._levels, self._marginal_counts = [], []
        for spec in specs:
            keys, c = self._stats[0][spec.name]
            levels = _level_keys(spec, keys, c)
            self._levels.append(levels)
            self._marginal_counts.append(_counts_on(levels, spec, keys, c))
        sizes = [len(lv) for lv in self._levels]
        self._sizes = sizes
        if self.structure == "independent":
            marginals = [(m + a) / (m.sum() + a * L) for m, L in zip(self._marginal_counts, sizes)]
        elif self.structure == "joint":
            marginals = self._finalize_joint(a)
        else:
            marginals = self._finalize_chain(a)
        self.marginals_ = {spec.name: p for spec, p in zip(specs, marginals)}
        self.levels_ = {spec.name: _decode_levels(lv, spec) for spec, lv in zip(specs, self._levels)}
        if self.structure == "independent":
            self.unique_row_share_ = None
        self._warn_copies()

    def _canonical_rows(self):
        rows, rw = self._stats[1]
        keep = rw > 0
        rows, rw = rows[keep], rw[keep]
        idx = np.column_stack([_to_index(lv, spec, rows[:, j])
                               for j, (spec, lv) in enumerate(zip(self.schema_.columns, self._levels))])
        order = _lexsort_rows(idx, self._sizes)
        return idx[order], rw[order]

    def _finalize_joint(self, a):
        idx, rw = self._canonical_rows()
        n = rw.sum()
        if a > 0:
            log_k = float(np.sum(np.log(self._sizes)))
            # λ = aK / (n + aK), computed in logs: K overflows on wide tables.
            lam = 1.0 / (1.0 + math.exp(min(math.log(n) - math.log(a) - log_k, 700.0)))
            inv_k = math.exp(-log_k)
        else:
            lam, inv_k = 0.0, 0.0
        self._joint_idx, self._joint_cdf = idx, np.cumsum(rw)
        self.smoothing_weight_ = lam
        emp = rw / n
        self._joint_probs = (1 - lam) * emp + lam * inv_k
        self.unique_row_share_ = float(self._joint_probs[rw <= 1].sum())
        self._joint_collision = float((1 - lam) ** 2 * np.sum(emp**2) + 2 * (1 - lam) * lam * inv_k
                                      + lam**2 * inv_k)
        return [(1 - lam) * m / m.sum() + lam / L for m, L in zip(self._marginal_counts, self._sizes)]

    def _finalize_chain(self, a):
        d = len(self._sizes)
        k = d if self.context_length is None else min(self.context_length, d)
        self._fallback = [(m + a) / (m.sum() + a * L) for m, L in zip(self._marginal_counts, self._sizes)]
        self._windows, self._indices, self._tables = {}, {}, {}
        self.unique_row_share_ = None
        if k == 0 or d == 1:
            return self._fallback
        idx, rw = self._canonical_rows()
        # Column j is conditioned on the window (max(0, j-k), ..., j-1). Windows
        # starting at column 0 are prefixes of one index; each later start has its own.
        starts = {max(0, j - k) for j in range(1, d)}
        for s in starts:
            end = min(s + k, d - 1) if s == 0 else s + k
            self._indices[s] = _TupleIndex(idx, list(range(s, end)), self._sizes)
        for j in range(1, d):
            s = max(0, j - k)
            self._windows[j] = (s, j - 1 - s)
            self._tables[j] = _ConditionalTable(self._indices[s], j - 1 - s, idx[:, j], rw, self._sizes[j], a)
        # A training row's probability under the chain: the product of its conditionals.
        probs = self._fallback[0][idx[:, 0]] * np.prod([t.row_probs for t in self._tables.values()], axis=0)
        self.unique_row_share_ = float(probs[rw <= 1].sum())
        return self._fallback

    def _warn_copies(self):
        """Warn (CopyWarning) when most sampled rows would be training rows that occur once."""
        share = self.unique_row_share_
        if share is None or share <= COPY_WARNING_SHARE:
            return
        warnings.warn(
            f"CategoricalGenerator(structure={self.structure!r}): {share:.0%} of the rows it samples are "
            "training rows that occur once (every context is one real row), so sampling returns the training "
            "rows. Bin or drop nearly unique columns, shorten context_length, or use TreeChainGenerator or "
            "GaussianCopulaGenerator for synthetic rows.", CopyWarning, stacklevel=6)

    # ---------------------------------------------------------------- sampling
    def _sample_encoded(self, n_samples, rng):
        if self.structure == "joint":
            idx = self._sample_joint(n_samples, rng)
        elif self.structure == "independent":
            idx = [_draw(np.cumsum(p), rng.random(n_samples)) for p in self.marginals_.values()]
        else:
            idx = self._sample_chain(n_samples, rng)
        out = {}
        for spec, lv, ix in zip(self.schema_.columns, self._levels, idx):
            values = lv[ix]
            out[spec.name] = values.astype(np.int64) if spec.kind in DISCRETE_KINDS else values
        return out

    def _sample_joint(self, n, rng):
        rows = self._joint_idx[_draw(self._joint_cdf, rng.random(n))]
        idx = [rows[:, j] for j in range(rows.shape[1])]
        if self.smoothing_weight_ > 0:
            uniform = rng.random(n) < self.smoothing_weight_
            m = int(uniform.sum())
            for j, L in enumerate(self._sizes):
                idx[j] = idx[j].copy()
                idx[j][uniform] = rng.integers(0, L, m)
        return idx

    def _sample_chain(self, n, rng):
        a = float(self.smoothing)
        states = {s: None for s in self._indices}
        out = []
        for j, L in enumerate(self._sizes):
            if j not in self._tables:
                ix = _draw(np.cumsum(self._fallback[j]), rng.random(n))
            else:
                s, t = self._windows[j]
                ix = self._tables[j].sample(states[s], self._fallback[j], a, rng)
            out.append(ix)
            for s, index in self._indices.items():
                if s <= j < s + len(index.columns):
                    states[s] = index.advance(states[s], j - s, ix)
        return out

    # ---------------------------------------------------------------- reports
    def _collapse_summary(self):
        if self.smoothing and self.structure != "independent":
            # the smoothed joint table or conditionals are what is sampled; their column marginals are
            # not the fitted marginals_, so the statistics are estimated from a sample
            return None
        out = {}
        for spec in self.schema_.columns:
            p = np.asarray(self.marginals_[spec.name], dtype=float)
            labels = [MISSING_LABEL if (not isinstance(v, str) and pd.isna(v)) else v for v in self.levels_[spec.name]]
            if len(labels) != len(p):
                return None
            if spec.kind in DISCRETE_KINDS:
                out[spec.name] = ("cat", pd.Series(p, index=pd.Index(labels, dtype=object)))
                continue
            # a numeric column modelled by its observed values: the variance of those atoms
            present = np.array([v is not MISSING_LABEL for v in labels])
            values = pd.Series([v for v, ok in zip(labels, present) if ok])
            if spec.kind == "datetime":
                out[spec.name] = atoms_summary(spec, seconds_of(values), p[present], in_seconds=True)
            else:
                out[spec.name] = atoms_summary(spec, values.to_numpy(dtype=float), p[present])
        return out

    def _fitted_params(self):
        names = self.schema_.names
        params = {
            "marginals": {n: self.marginals_[n].copy() for n in names},
            COLLISION: {n: collision(self.marginals_[n]) for n in names},
            LEVELS: {n: levels(self.marginals_[n]) for n in names},
        }
        if self.structure == "joint":
            params["joint_probabilities"] = self._joint_probs.copy()
            params[f"joint_{COLLISION}"] = self._joint_collision
            params["n_tuples"] = len(self._joint_probs)
        elif self.structure == "chain":
            params["conditional"] = {n: (self._tables[j].probs.copy() if j in self._tables
                                         else self._fallback[j].copy()) for j, n in enumerate(names)}
            params["n_contexts"] = {n: (self._tables[j].n_contexts if j in self._tables else 0)
                                    for j, n in enumerate(names)}
        return params

    @property
    def probabilities_(self):
        self._check_fitted_tables()
        specs = self.schema_.columns
        if self.structure == "independent":
            return {s.name: (self.levels_[s.name], self.marginals_[s.name].copy()) for s in specs}
        if self.structure == "joint":
            return self._decode_frame(self._joint_idx, list(range(len(specs)))), self._joint_probs.copy()
        out = {}
        for j, spec in enumerate(specs):
            if j not in self._tables:
                out[spec.name] = (self._decode_frame(np.arange(self._sizes[j])[:, None], [j]),
                                  self._fallback[j].copy())
                continue
            table = self._tables[j]
            s, t = self._windows[j]
            ctx_cols = self._indices[s].columns[: t + 1]
            pairs = np.column_stack([table.context_tuples(), table.values])
            out[spec.name] = (self._decode_frame(pairs, ctx_cols + [j]), table.probs.copy())
        return out

    def _check_fitted_tables(self):
        if not hasattr(self, "marginals_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                "This CategoricalGenerator instance is not fitted yet; call 'fit' before using probabilities_."
            )

    def _decode_frame(self, idx, cols):
        specs = self.schema_.columns
        data = {specs[c].name: _decode_levels(self._levels[c][idx[:, i]], specs[c])
                for i, c in enumerate(cols)}
        frame = pd.DataFrame(data, index=pd.RangeIndex(len(idx)))
        frame.columns = pd.Index([specs[c].name for c in cols], dtype=object)
        return frame


# ---------------------------------------------------------------------- helpers
def _group_values(keys, weights):
    """Distinct float keys (NaN is a key) and their summed weights."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    return np.asarray(uniques, dtype=np.float64), np.bincount(codes, weights, minlength=len(uniques))


def _group_rows(columns, weights, radices):
    """Distinct rows (NaN is a value) of the given columns and their summed weights.

    A row's code is built column by column in mixed radix (discrete codes + 1
    are used as they are, numeric values are factorised) and compressed by
    re-factorising only when it could overflow, so codes stay exact however
    many columns and levels.
    """
    code, bound = np.zeros(len(weights), dtype=np.int64), 1
    for values, radix in zip(columns, radices):
        if radix is None:
            local, uniques = pd.factorize(np.asarray(values, dtype=np.float64), use_na_sentinel=False)
            radix = len(uniques)
        else:
            local = np.asarray(values, dtype=np.int64) + 1
        if bound * radix >= 2**62:
            code, uniques = pd.factorize(code)
            bound = len(uniques)
        code = code * radix + local
        bound *= radix
    code, uniques = pd.factorize(code)
    # factorize numbers codes by first appearance: a row is a group's first
    # exactly when its code exceeds every earlier code.
    previous_max = np.maximum.accumulate(np.concatenate([[-1], code[:-1]]))
    first = np.flatnonzero(code > previous_max)
    rows = np.column_stack([np.asarray(values, dtype=np.float64)[first] for values in columns])
    return rows, np.bincount(code, weights, minlength=len(uniques))


def _lexsort_rows(idx, sizes):
    """Order of the rows of ``idx`` sorted lexicographically (first column first)."""
    if np.sum(np.log2(np.maximum(sizes, 1))) < 62:
        key = np.zeros(len(idx), dtype=np.int64)
        for j, L in enumerate(sizes):
            key = key * L + idx[:, j]
        return np.argsort(key, kind="stable")
    return np.lexsort(idx.T[::-1])


def _level_keys(spec, keys, counts):
    """The column's level set as encoded keys, in canonical order (missing last)."""
    seen = counts > 0
    missing = bool(np.any(seen & ((keys == -1) if spec.kind in DISCRETE_KINDS else np.isnan(keys))))
    if spec.kind in ("category", "bool"):
        levels = np.arange(len(spec.levels), dtype=np.float64)
        missing_key = -1.0
    elif spec.kind == "string":
        codes = keys[seen & (keys >= 0)].astype(np.int64)
        order = sorted(range(len(codes)), key=lambda i: spec.levels[codes[i]])
        levels = codes[order].astype(np.float64)
        missing_key = -1.0
    else:
        levels = np.sort(keys[seen & ~np.isnan(keys)])
        missing_key = np.nan
    return np.append(levels, missing_key) if missing else levels


def _to_index(levels, spec, keys):
    """Canonical level index of encoded keys (all known to be levels)."""
    if spec.kind in DISCRETE_KINDS:
        lut = np.full(len(spec.levels) + 1, -1, dtype=np.int64)
        lut[levels.astype(np.int64) + 1] = np.arange(len(levels))
        return lut[keys.astype(np.int64) + 1]
    n_values = len(levels) - int(np.isnan(levels[-1])) if len(levels) else 0
    idx = np.searchsorted(levels[:n_values], keys)
    idx[np.isnan(keys)] = len(levels) - 1
    return idx.astype(np.int64)


def _counts_on(levels, spec, keys, counts):
    keep = counts > 0
    return np.bincount(_to_index(levels, spec, keys[keep]), counts[keep], minlength=len(levels))


def _decode_levels(keys, spec):
    if spec.kind in DISCRETE_KINDS:
        return _restore(keys.astype(np.int64), spec)
    return _restore(keys, spec)


def _draw(cdf, u):
    """Inverse-CDF draw: indices ``i`` with probability ``Δcdf[i]`` (zeros never drawn)."""
    pos = np.searchsorted(cdf, u * cdf[-1], side="right")
    return np.minimum(pos, len(cdf) - 1)


class _TupleIndex:
    """Ids of the observed prefixes of a window of columns.

    Step 0 ids are the first column's level indices; step ``t`` ids are the
    ranks of ``id_{t-1} * L + level`` among the observed keys, so a tuple is
    looked up with one ``searchsorted`` per column and an unseen one gets -1.
    """

    def __init__(self, idx, columns, sizes):
        self.columns = columns
        self.sizes = [sizes[c] for c in columns]
        ids = idx[:, columns[0]]
        self.keys, self.row_ids, self.n_ids = [None], [ids], [self.sizes[0]]
        for c, L in zip(columns[1:], self.sizes[1:]):
            uniq, ids = np.unique(ids * L + idx[:, c], return_inverse=True)
            self.keys.append(uniq)
            self.row_ids.append(ids.ravel())
            self.n_ids.append(len(uniq))

    def advance(self, state, t, level):
        if t == 0:
            return level.copy()
        keys = self.keys[t]
        key = state * self.sizes[t] + level
        pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        return np.where((state >= 0) & (keys[pos] == key), pos, -1)

    def tuples(self, t, ids):
        """Level indices (len(ids), t + 1) of prefix ids at step ``t``."""
        out = np.empty((len(ids), t + 1), dtype=np.int64)
        for step in range(t, 0, -1):
            key = self.keys[step][ids]
            out[:, step] = key % self.sizes[step]
            ids = key // self.sizes[step]
        out[:, 0] = ids
        return out


class _ConditionalTable:
    """``p(v | ctx)`` of one column as cumulative counts of the observed (ctx, v) pairs."""

    def __init__(self, index, t, level, weights, size, a):
        self.index, self.t, self.size = index, t, size
        ctx = index.row_ids[t]
        pairs, inv = np.unique(ctx * size + level, return_inverse=True)
        w = np.bincount(inv.ravel(), weights, minlength=len(pairs))
        self.contexts, self.values = pairs // size, pairs % size
        self.n_contexts = int(len(np.unique(self.contexts)))
        n_ids = index.n_ids[t]
        self.cdf = np.cumsum(w)
        cum = np.concatenate([[0.0], self.cdf])
        ids = np.arange(n_ids)
        self.start = np.searchsorted(self.contexts, ids, side="left")
        self.end = np.searchsorted(self.contexts, ids, side="right")
        self.before = cum[self.start]
        self.total = cum[self.end] - self.before
        self.probs = (w + a) / (self.total[self.contexts] + a * size)
        self.row_probs = self.probs[inv.ravel()]

    def context_tuples(self):
        return self.index.tuples(self.t, self.contexts)

    def sample(self, ctx, fallback, a, rng):
        n = len(ctx)
        out = np.empty(n, dtype=np.int64)
        seen = ctx >= 0
        seen[seen] = self.total[ctx[seen]] > 0
        c = ctx[seen]
        total = self.total[c]
        emp = np.ones(len(c), dtype=bool) if a == 0 else rng.random(len(c)) * (total + a * self.size) < total
        ce = c[emp]
        target = self.before[ce] + rng.random(len(ce)) * self.total[ce]
        pos = np.clip(np.searchsorted(self.cdf, target, side="right"), self.start[ce], self.end[ce] - 1)
        drawn = np.empty(len(c), dtype=np.int64)
        drawn[emp] = self.values[pos]
        drawn[~emp] = rng.integers(0, self.size, int((~emp).sum()))
        out[seen] = drawn
        unseen = ~seen
        out[unseen] = _draw(np.cumsum(fallback), rng.random(int(unseen.sum())))
        return out
