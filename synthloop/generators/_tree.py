"""TreeChainGenerator: each column drawn from the real values in a leaf of a tree on the previous columns."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .._table import ALL_KINDS, DISCRETE_KINDS
from ..base import BaseGenerator
from ..utils._sklearn_compat import Interval, StrOptions
from ._categorical import _draw, _group_rows

__all__ = ["TreeChainGenerator"]


class TreeChainGenerator(BaseGenerator):
    """A chain of decision trees: each column sampled from the real values in a leaf.

    The table is modelled column by column by the chain rule ``p(x_1)
    p(x_2 | x_1) ... p(x_d | x_1, ..., x_{d-1})``, the columns taken in
    ``column_order``. The first column is its weighted empirical
    distribution. Column ``k`` gets a CART tree grown on the columns before
    it (a classifier for a discrete column, a regressor on the weighted
    mid-ranks for a numeric one); its distribution given a context is the
    weighted empirical distribution of the column among the fitted rows in
    the context's leaf. A sampled row is built from real values, one column
    at a time, each drawn from a donor row whose earlier columns resemble
    the row's. This is the CART method of R's synthpop (Reiter 2005; Nowok,
    Raab & Dibben 2016) with leaves large enough not to copy rows.

    Parameters
    ----------
    min_samples_leaf : int or "sqrt", default="sqrt"
        Smallest weight (number of rows when unweighted) a leaf may hold: the
        number of donors every conditional draw chooses among. ``"sqrt"``
        takes the square root of the fitted weight, rounded up (181 rows on
        UCI Adult's 32,561). Small leaves reproduce the training rows; large
        leaves smooth the dependence away. See Notes.
    max_leaf_nodes : int or None, default=None
        Most leaves a tree may have (grown best first); ``None`` lets
        ``min_samples_leaf`` alone stop the growth.
    column_order : {"distinct", "table"}, default="distinct"
        The order of the chain. ``"distinct"``: the column with the most
        distinct fitted values first, ties in table order; ``"table"``: the
        table's order. See Notes.
    n_jobs : int or None, default=None
        Threads that grow the trees (they are independent given the rows);
        ``None`` means 1, ``-1`` all cores. The fit does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds sampling and the trees' tie-breaking (a child stream, so the
        sampling stream is the same whatever the trees draw).

    Attributes
    ----------
    column_order_ : list
        The columns in chain order.
    trees_ : dict
        ``{column: fitted DecisionTreeClassifier or DecisionTreeRegressor}``
        in chain order; ``None`` for the first column, which has no context,
        and for the columns of ``determined_by_``.
    determined_by_ : dict
        ``{column: earlier column that determines it}`` (see Notes).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    dtypes_ : pandas.Series
    random_state_ : numpy.random.Generator
    n_rows_seen_ : float

    See Also
    --------
    CategoricalGenerator : ``structure="chain"`` is the chain with exact
        contexts (every earlier value), which copies the training rows when
        a column is nearly unique.
    GaussianCopulaGenerator : empirical marginals, Gaussian dependence only.

    Notes
    -----
    **Values.** Every sampled value is a value of the fitted column, missing
    values included, so integers stay integers and levels stay fitted
    levels. A column that an earlier one of at most ``min_samples_leaf``
    values determines in every fitted row (Adult's ``education_num``, one
    number per ``education``) is not given a tree: it takes the value that
    goes with the earlier one (``determined_by_``), so the rule holds in
    every sampled row; leaves alone would mix the rare levels of the earlier
    column (Adult's ``Preschool``, 51 rows) with others. The bound on the
    number of values keeps a nearly unique column, which determines every
    other column of a sample, from being taken for a rule.

    **Trees.** A tree's features are the earlier columns: numbers (datetimes
    as ticks) as they are, discrete levels as codes (declared order for
    categories and booleans, sorted labels for strings), missing values as
    NaN, which scikit-learn's trees route on their own. A column of more
    than 255 distinct values is cut into 255 weighted quantile bins, as
    HistGradientBoosting does, which makes fewer candidate splits; only the
    splits see the bins, every sampled value is a fitted value. A numeric
    target is replaced by its weighted mid-rank, missing values lowest, so
    one extreme value (Adult's ``capital_gain`` of 99,999) does not steer
    the splits. The leaf size is a weight fraction
    (``min_weight_fraction_leaf``), so a weighted fit equals a fit on
    repeated rows.

    **Copies.** A sampled row equals a training row when every column came
    from donors that agree with one row. Last in the chain, a nearly unique
    column (an identifier, a float measurement) is drawn from a leaf whose
    donors share the earlier values, and the row returned is the donor's
    whole row: with ``column_order="table"`` a table of two categories
    followed by such a column is copied row for row. First in the chain
    (``"distinct"``), it is drawn from its marginal and the other columns
    from other donors. The leaf size bounds the rest:
    ``fidelity_report(real, synthetic, holdout=...)`` measures the share of
    copies and the distance to the closest training record against a real
    holdout's. :doc:`/generators_tree` gives the figures measured on Adult
    and German credit.

    **Statistics.** The fit keeps the distinct rows with their summed
    weights (the sufficient statistic of an empirical model), in a canonical
    order: :meth:`partial_fit` merges each chunk into them and regrows every
    tree, so a chunked fit equals one fit, at the cost of one fit per call.
    :meth:`get_fitted_params` returns the number of leaves of each tree (of
    values of the determining column for a determined one, 1 for the first
    column), the number of distinct values of each column and of distinct
    rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop import TreeChainGenerator
    >>> rng = np.random.default_rng(0)
    >>> level = rng.choice(["low", "high"], 1000)
    >>> X = pd.DataFrame({"level": pd.Categorical(level),
    ...                   "score": np.where(level == "high", 10, 0) + rng.integers(0, 3, 1000)})
    >>> gen = TreeChainGenerator(random_state=0).fit(X)
    >>> gen.column_order_
    ['score', 'level']
    >>> S = gen.sample(500)
    >>> S.dtypes.equals(X.dtypes)
    True
    >>> bool(((S["level"] == "high") == (S["score"] >= 10)).all())  # the dependence is kept
    True
    """

    _supported_kinds = ALL_KINDS
    _allow_missing = True

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left"), StrOptions({"sqrt"})],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
        "column_order": [StrOptions({"distinct", "table"})],
        "n_jobs": [Integral, None],
    }

    def __init__(self, *, min_samples_leaf="sqrt", max_leaf_nodes=None, column_order="distinct", n_jobs=None,
                 random_state=None):
        self.min_samples_leaf = min_samples_leaf
        self.max_leaf_nodes = max_leaf_nodes
        self.column_order = column_order
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -------------------------------------------------------------- statistics
    def _reset_statistics(self, table):
        self._rows = np.empty((0, len(table.schema.columns)))
        self._row_w = np.empty(0)
        # The trees' seed: a child of the seed, drawn once per fit, so every
        # partial_fit call regrows the same trees and sampling is not advanced.
        self._tree_seed = int(self.random_state_.spawn(1)[0].integers(2**31 - 1))

    def _update_statistics(self, table, sample_weight):
        schema = table.schema
        w = np.ones(table.n_rows) if sample_weight is None else sample_weight
        radices = [len(spec.levels) + 1 if spec.kind in DISCRETE_KINDS else None for spec in schema.columns]
        columns = [np.asarray(table.columns[name], dtype=np.float64) for name in schema.names]
        if len(self._row_w):
            columns = [np.concatenate([old, new]) for old, new in zip(self._rows.T, columns)]
            w = np.concatenate([self._row_w, w])
        # Codes of a string column can grow between chunks; the radix is taken afresh each call.
        self._rows, self._row_w = _group_rows(columns, w, radices)

    def _finalize(self):
        keep = self._row_w > 0
        rows, w = self._rows[keep], self._row_w[keep]
        features = self._features(rows)
        order = np.lexsort(features.T[::-1])  # canonical: the fit does not depend on chunking
        rows, features, w = rows[order], features[order], w[order]
        codes = [np.unique(rows[:, j], return_inverse=True)[1].ravel() for j in range(rows.shape[1])]
        self._n_values = np.array([c.max() + 1 for c in codes])
        if self.column_order == "distinct":
            self._chain = np.argsort(-self._n_values, kind="stable")
        else:
            self._chain = np.arange(rows.shape[1])
        # Donors in chain order: column k of these arrays is the k-th column of the chain.
        self._donor_rows = rows[:, self._chain]
        self._donor_features = _binned(features[:, self._chain], w)
        total = w.sum()
        leaf = np.ceil(np.sqrt(total)) if self.min_samples_leaf == "sqrt" else self.min_samples_leaf
        fraction = min(0.5, leaf / total)  # scikit-learn's bound on the fraction
        specs = [self.schema_.columns[c] for c in self._chain]
        self.column_order_ = [spec.name for spec in specs]
        self._first = np.cumsum(w)
        determinants = _determinants([codes[c] for c in self._chain], self._n_values[self._chain], leaf)

        def grow(k):
            if k in determinants:
                return _Determined(determinants[k], self._donor_rows[:, determinants[k]])
            params = dict(min_weight_fraction_leaf=fraction, max_leaf_nodes=self.max_leaf_nodes,
                          random_state=self._tree_seed)
            if specs[k].kind in DISCRETE_KINDS:
                tree = DecisionTreeClassifier(**params)
                target = self._donor_rows[:, k].astype(np.int64)
            else:
                tree = DecisionTreeRegressor(**params)
                target = _mid_ranks(self._donor_rows[:, k], w)
            context = self._donor_features[:, :k]
            tree.fit(context, target, sample_weight=w)
            return _Leaves(tree, tree.apply(context), w)

        # The trees are independent given the rows: grown in threads (scikit-learn's builder releases the GIL).
        self._links = Parallel(n_jobs=self.n_jobs, prefer="threads")(delayed(grow)(k) for k in range(1, len(specs)))
        self.trees_ = {specs[0].name: None, **{s.name: link.tree for s, link in zip(specs[1:], self._links)}}
        self.determined_by_ = {specs[k].name: specs[a].name for k, a in determinants.items()}

    def _features(self, rows):
        """The rows as tree features: numbers as they are, canonical level codes, NaN for missing."""
        out = rows.copy()
        for j, spec in enumerate(self.schema_.columns):
            if spec.kind not in DISCRETE_KINDS:
                continue
            codes = rows[:, j].astype(np.int64)
            rank = np.empty(len(spec.levels), dtype=np.float64)
            if spec.kind == "string":  # codes follow first appearance over chunks; labels do not
                rank[np.argsort(spec.levels, kind="stable")] = np.arange(len(spec.levels))
            else:
                rank[:] = np.arange(len(spec.levels))
            out[:, j] = np.where(codes >= 0, rank[np.maximum(codes, 0)], np.nan)
        return out

    # ---------------------------------------------------------------- sampling
    def _sample_encoded(self, n_samples, rng):
        donor = _draw(self._first, rng.random(n_samples))
        features = np.empty((n_samples, len(self._chain)))
        out = np.empty_like(features)
        features[:, 0], out[:, 0] = self._donor_features[donor, 0], self._donor_rows[donor, 0]
        for k, link in enumerate(self._links, start=1):
            donor = link.draw(features[:, :k], out[:, :k], rng)
            features[:, k], out[:, k] = self._donor_features[donor, k], self._donor_rows[donor, k]
        specs = self.schema_.columns
        return {specs[c].name: (out[:, k].astype(np.int64) if specs[c].kind in DISCRETE_KINDS else out[:, k])
                for k, c in enumerate(self._chain)}

    def _fitted_params(self):
        names = self.schema_.names
        return {
            "n_leaves": {self.column_order_[0]: 1,
                         **{n: link.n_leaves for n, link in zip(self.column_order_[1:], self._links)}},
            "n_values": {n: int(k) for n, k in zip(names, self._n_values)},
            "n_distinct_rows": len(self._donor_rows),
        }


class _Leaves:
    """The donors of one tree: fitted rows grouped by leaf, with cumulative weights."""

    def __init__(self, tree, leaf, weights):
        self.tree = tree
        self.lut = np.full(tree.tree_.node_count, -1, dtype=np.int64)
        ids = np.unique(leaf)
        self.lut[ids] = np.arange(ids.size)
        dense = self.lut[leaf]
        self.donors = np.argsort(dense, kind="stable")
        self.cdf = np.cumsum(weights[self.donors])
        cum = np.concatenate([[0.0], self.cdf])
        self.n_leaves = int(ids.size)
        bounds = np.searchsorted(dense[self.donors], np.arange(ids.size + 1))
        self.start, self.end = bounds[:-1], bounds[1:]
        self.before, self.total = cum[self.start], cum[self.end] - cum[self.start]

    def draw(self, features, values, rng):
        """One donor row per context row, drawn by weight among the rows of its leaf."""
        leaf = self.lut[self.tree.apply(features)]
        target = self.before[leaf] + rng.random(len(leaf)) * self.total[leaf]
        pos = np.clip(np.searchsorted(self.cdf, target, side="right"), self.start[leaf], self.end[leaf] - 1)
        return self.donors[pos]


class _Determined:
    """A column that an earlier one determines in every fitted row: the donor of the earlier column's value."""

    tree = None

    def __init__(self, position, determinant):
        self.position = position
        # np.unique sorts NaN last, and searchsorted finds it there: missing is a value like the others
        self.keys, self.donors = np.unique(determinant, return_index=True)
        self.n_leaves = int(self.keys.size)  # one group of donors per value of the earlier column

    def draw(self, features, values, rng):
        return self.donors[np.searchsorted(self.keys, values[:, self.position])]


def _determinants(codes, sizes, most):
    """``{k: a}``: the first earlier column ``a`` of at most ``most`` values that determines column ``k``.

    Column ``a`` determines ``k`` when each of its values goes with one value
    of ``k`` in every fitted row. The bound keeps a nearly unique column (which
    determines every other one in the sample) from being taken for a rule.
    """
    out = {}
    for k in range(1, len(codes)):
        for a in range(k):
            if sizes[a] > most or sizes[a] < sizes[k]:
                continue
            pairs = np.bincount(codes[a] * sizes[k] + codes[k], minlength=int(sizes[a] * sizes[k]))
            if np.count_nonzero(pairs) == sizes[a]:
                out[k] = a
                break
    return out


#: Context features with more distinct values are cut into this many weighted quantile bins (as
#: HistGradientBoosting's ``max_bins``): fewer candidate splits, the same trees up to the bins' width.
MAX_BINS = 255


def _binned(features, weights):
    """Columns of more than :data:`MAX_BINS` distinct values as their weighted quantile bin, NaN kept."""
    out = features.copy()
    for j in range(features.shape[1]):
        x = features[:, j]
        present = ~np.isnan(x)
        if np.unique(x[present]).size <= MAX_BINS:
            continue
        order = np.argsort(x[present], kind="stable")
        values, cum = x[present][order], np.cumsum(weights[present][order])
        edges = np.unique(values[np.searchsorted(cum, cum[-1] * np.arange(1, MAX_BINS) / MAX_BINS)])
        out[present, j] = np.searchsorted(edges, x[present], side="left")  # x <= edges[i]: bin i
    return out


def _mid_ranks(values, weights):
    """Weighted mid-ranks in (0, 1) of the values, missing values below every number."""
    key = np.where(np.isnan(values), -np.inf, values)
    uniq, inv = np.unique(key, return_inverse=True)
    w = np.bincount(inv, weights=weights, minlength=uniq.size)
    cum = np.cumsum(w)
    return ((cum - 0.5 * w) / cum[-1])[inv]

