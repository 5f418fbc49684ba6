"""Fidelity and collapse metrics: how far a synthetic table is from the real one.

Column functions take two 1-D inputs (Series or array-likes), ignore missing
values (which :func:`missing_rate_difference` measures on its own) and return
a float; table functions take two DataFrames with the same columns.
:func:`fidelity_report` gathers them all in one tidy frame.
"""

import itertools
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from ..utils._random import child_seeds, make_rng
from ..utils._sklearn_compat import HasMethods, Interval, validate_params
from .._table import seconds_of
from ._collapse import COLLISION, L1, LEVELS, VAR_RATIO, collision, l1, levels, var_ratio
from ._checks import FeatureSpec, check_frame, check_same_columns, column_kind, level_codes, numeric_values
from ._privacy import copy_share, distance_to_closest_record

__all__ = [
    "ks_distance",
    "wasserstein_distance",
    "total_variation",
    "levels_lost",
    "variance_ratio",
    "collision_probability",
    "correlation_difference",
    "missing_rate_difference",
    "discriminator_auc",
    "pair_fidelity",
    "contingency_accuracy",
    "fidelity_report",
]

REPORT_COLUMNS = ["level", "column", "kind", "metric", "value"]


def _series(values, owner, what):
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{owner} compares single columns; got a DataFrame as {what}. Pass `X[column]`.")
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{owner} expects 1-D {what}; got an array of shape {arr.shape}.")
    return pd.Series(arr)


def _two_numeric(real, synthetic, owner):
    return (numeric_values(_series(real, owner, "real")), numeric_values(_series(synthetic, owner, "synthetic")))


def _proportions(values):
    return values.dropna().astype(object).value_counts(normalize=True)


# ------------------------------------------------------------ column metrics
def ks_distance(real, synthetic):
    """Kolmogorov–Smirnov distance: the largest gap between the two empirical CDFs.

    Parameters
    ----------
    real, synthetic : Series or array-like of numbers or datetimes
        Missing values are ignored.

    Returns
    -------
    float
        In [0, 1]; 0 for identical samples, NaN if a side has no value.

    Examples
    --------
    >>> from synthloop.evaluation import ks_distance
    >>> ks_distance([1, 2, 3, 4], [1, 2, 3, 4])
    0.0
    >>> ks_distance([1, 2, 3, 4], [3, 4, 5, 6])
    0.5
    """
    r, s = _two_numeric(real, synthetic, "ks_distance")
    if not (r.size and s.size):
        return np.nan
    r, s = np.sort(r), np.sort(s)
    grid = np.concatenate([r, s])
    cdf_r = np.searchsorted(r, grid, side="right") / r.size
    cdf_s = np.searchsorted(s, grid, side="right") / s.size
    return float(np.max(np.abs(cdf_r - cdf_s)))


@validate_params({"standardize": ["boolean"]}, prefer_skip_nested_validation=True)
def wasserstein_distance(real, synthetic, *, standardize=False):
    """First Wasserstein (earth mover's) distance between two numeric samples.

    Parameters
    ----------
    real, synthetic : Series or array-like of numbers or datetimes
        Missing values are ignored.
    standardize : bool, default=False
        Divide by the standard deviation of ``real``, so that columns on
        different scales compare (NaN if ``real`` is constant).

    Returns
    -------
    float
        In the column's unit, seconds for datetimes and timedeltas (or in
        real standard deviations).

    Examples
    --------
    >>> from synthloop.evaluation import wasserstein_distance
    >>> wasserstein_distance([0, 1, 2], [1, 2, 3])
    1.0
    """
    r, s = _two_numeric(real, synthetic, "wasserstein_distance")
    if not (r.size and s.size):
        return np.nan
    w = float(stats.wasserstein_distance(r, s))
    if standardize:
        sd = r.std(ddof=1) if r.size > 1 else 0.0
        return w / sd if sd > 0 else np.nan
    return w


def total_variation(real, synthetic):
    """Total variation distance between the level frequencies of two columns.

    Half the sum over levels of the absolute difference of proportions
    (missing values excluded): half the ``l1`` collapse metric of
    :func:`fidelity_report` and :attr:`RecursiveSynthesizer.history_
    <synthloop.RecursiveSynthesizer.history_>`.

    Parameters
    ----------
    real, synthetic : Series or array-like
        Labels of any kind.

    Returns
    -------
    float
        In [0, 1]: 0 for identical frequencies, 1 for disjoint levels.

    Examples
    --------
    >>> from synthloop.evaluation import total_variation
    >>> total_variation(["a", "a", "b", "b"], ["a", "a", "a", "b"])
    0.25
    """
    p = _proportions(_series(real, "total_variation", "real"))
    q = _proportions(_series(synthetic, "total_variation", "synthetic"))
    if p.empty or q.empty:
        return np.nan
    return 0.5 * l1(p, q)


def levels_lost(real, synthetic):
    """Number of levels seen in ``real`` that ``synthetic`` never produces.

    Collapse loses the rare levels first; a lost level never comes back in a
    fully synthetic loop.

    Parameters
    ----------
    real, synthetic : Series or array-like
        Missing values are not a level.

    Returns
    -------
    int

    Examples
    --------
    >>> from synthloop.evaluation import levels_lost
    >>> levels_lost(["a", "b", "c", "c"], ["c", "c", "a", "c"])
    1
    """
    r = set(_series(real, "levels_lost", "real").dropna().astype(object))
    s = set(_series(synthetic, "levels_lost", "synthetic").dropna().astype(object))
    return len(r - s)


def variance_ratio(real, synthetic):
    """Variance of ``synthetic`` over variance of ``real`` (1 is faithful, 0 is collapse): the ``var_ratio`` metric.

    Parameters
    ----------
    real, synthetic : Series or array-like of numbers or datetimes
        Missing values are ignored; variances use ``ddof=1``.

    Returns
    -------
    float
        NaN if ``real`` is constant or a side has fewer than two values.

    Examples
    --------
    >>> from synthloop.evaluation import variance_ratio
    >>> variance_ratio([0.0, 2.0, 4.0], [1.0, 2.0, 3.0])
    0.25
    """
    r, s = _two_numeric(real, synthetic, "variance_ratio")
    if r.size < 2 or s.size < 2:
        return np.nan
    return var_ratio(s.var(ddof=1), r.var(ddof=1))


def collision_probability(values):
    """Probability that two independent draws from a column are equal: the sum of squared level proportions.

    The ``collision`` metric of :func:`fidelity_report` and :attr:`RecursiveSynthesizer.history_
    <synthloop.RecursiveSynthesizer.history_>`.

    docs/theory.rst, "Categorical (next-token) model"'s ``σ = ‖p‖²``: ``1/k`` for ``k`` equally frequent levels,
    exactly 1 once the column has collapsed to one level.

    Parameters
    ----------
    values : Series or array-like
        Missing values are ignored.

    Returns
    -------
    float
        In (0, 1]; NaN for an empty column.

    Examples
    --------
    >>> from synthloop.evaluation import collision_probability
    >>> collision_probability(["a", "b", "a", "b"])
    0.5
    >>> collision_probability(["a", "a", "a"])
    1.0
    """
    p = _proportions(_series(values, "collision_probability", "values"))
    return collision(p) if not p.empty else np.nan


def missing_rate_difference(real, synthetic):
    """Share of missing values in ``synthetic`` minus that in ``real``.

    Parameters
    ----------
    real, synthetic : Series or array-like

    Returns
    -------
    float
        In [-1, 1]; negative when the synthetic column lost missingness.

    Examples
    --------
    >>> from synthloop.evaluation import missing_rate_difference
    >>> missing_rate_difference([1.0, None, 3.0, None], [1.0, 2.0, 3.0, None])
    -0.25
    """
    r = _series(real, "missing_rate_difference", "real")
    s = _series(synthetic, "missing_rate_difference", "synthetic")
    if not (len(r) and len(s)):
        return np.nan
    return float(s.isna().mean() - r.isna().mean())


# ------------------------------------------------------------- table metrics
def _normal_scores(values):
    """Rank-based normal scores (van der Waerden), NaN kept."""
    x = pd.Series(_numeric_keep_nan(values))
    ranks = x.rank(method="average")
    n = x.notna().sum()
    return stats.norm.ppf((ranks.to_numpy() - 0.5) / max(n, 1))


def _numeric_keep_nan(values):
    if column_kind(values) == "datetime":
        return seconds_of(values)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _codes(values):
    # Missing is a level of its own for the association of labels.
    codes, _ = pd.factorize(values.astype(object), use_na_sentinel=False)
    return codes


def _cramers_v(a, b):
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    k = min(table.shape)
    if k < 2:
        return 0.0
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    return float(np.sqrt(chi2 / (table.sum() * (k - 1))))


def _correlation_ratio(z, groups):
    ok = ~np.isnan(z)
    z, groups = z[ok], groups[ok]
    if z.size < 2:
        return 0.0
    total = ((z - z.mean()) ** 2).sum()
    if total <= 0 or np.unique(groups).size < 2:
        return 0.0
    sums = np.bincount(groups, weights=z)
    counts = np.bincount(groups)
    seen = counts > 0
    between = (sums[seen] ** 2 / counts[seen]).sum() - z.sum() ** 2 / z.size
    return float(np.sqrt(max(between, 0.0) / total))


def _pearson(x, y):
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if x.size < 3 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _association(frame):
    cols = list(frame.columns)
    kinds = [column_kind(frame[c]) for c in cols]
    prepared = [_codes(frame[c]) if k == "categorical" else _normal_scores(frame[c]) for c, k in zip(cols, kinds)]
    m = np.eye(len(cols))
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            ci, cj = kinds[i] == "categorical", kinds[j] == "categorical"
            if ci and cj:
                v = _cramers_v(prepared[i], prepared[j])
            elif ci:
                v = _correlation_ratio(prepared[j], prepared[i])
            elif cj:
                v = _correlation_ratio(prepared[i], prepared[j])
            else:
                v = _pearson(prepared[i], prepared[j])
            m[i, j] = m[j, i] = v
    return pd.DataFrame(m, index=cols, columns=cols)


def correlation_difference(real, synthetic, *, return_matrices=False):
    """Mean absolute difference between the association matrices of two tables.

    Mixed tables are handled pair by pair: two numeric (or datetime) columns
    by the Pearson correlation of their normal scores (rank-based, so robust
    to marginals), two categorical columns by Cramér's V, a numeric and a
    categorical column by the correlation ratio η of the normal scores on
    the levels. Missing numbers are left out pair by pair; a missing label is
    a level of its own. A constant column has association 0 with every other
    column, so a collapsed column shows as lost association.

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns.
    return_matrices : bool, default=False
        Also return the two association matrices.

    Returns
    -------
    float or (float, DataFrame, DataFrame)
        The mean over column pairs of ``|A_synthetic - A_real|`` (in [0, 2];
        NaN for fewer than two columns), and the matrices if asked.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop.evaluation import correlation_difference
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> real = pd.DataFrame({"x": x, "y": x + rng.normal(size=500)})
    >>> correlation_difference(real, real)
    0.0
    >>> independent = real.assign(y=rng.permutation(real["y"].to_numpy()))
    >>> round(correlation_difference(real, independent), 1)
    0.7
    """
    check_frame(real, owner="correlation_difference", what="real")
    synthetic = check_same_columns(real, synthetic, owner="correlation_difference", name="synthetic")
    a_real, a_syn = _association(real), _association(synthetic)
    k = a_real.shape[0]
    if k < 2:
        value = np.nan
    else:
        iu = np.triu_indices(k, 1)
        value = float(np.abs(a_syn.to_numpy()[iu] - a_real.to_numpy()[iu]).mean())
    return (value, a_real, a_syn) if return_matrices else value


@validate_params({"estimator": [HasMethods(["fit", "predict_proba"]), None],
                  "cv": [Interval(Integral, 2, None, closed="left")]}, prefer_skip_nested_validation=True)
def discriminator_auc(real, synthetic, *, estimator=None, cv=3, random_state=None):
    """Cross-validated ROC AUC of a classifier telling real rows from synthetic ones.

    0.5 means the classifier cannot tell them apart; 1 means every synthetic
    row is recognisable. Values well below 0.5 flag synthetic rows that copy
    real ones: a held-out row's exact twin sits in the training fold with the
    other label, and the classifier memorises it.

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns.
    estimator : classifier, default=None
        Gets the rows as features (numbers as float, labels as ``category``
        over the levels of both tables) and ``1`` for synthetic rows. ``None``:
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (50
        iterations) with native categorical support.
    cv : int, default=3
        Number of stratified folds (shuffled).
    random_state : None, int or RandomState, default=None
        Seeds the folds and the classifier.

    Returns
    -------
    float
        The mean AUC over the folds.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop.evaluation import discriminator_auc
    >>> rng = np.random.default_rng(0)
    >>> from sklearn.linear_model import LogisticRegression
    >>> real = pd.DataFrame({"x": rng.normal(size=300)})
    >>> same, shifted = pd.DataFrame({"x": rng.normal(size=300)}), pd.DataFrame({"x": rng.normal(4, 1, 300)})
    >>> round(discriminator_auc(real, same, estimator=LogisticRegression(), random_state=0), 1)
    0.5
    >>> round(discriminator_auc(real, shifted, estimator=LogisticRegression(), random_state=0), 1)
    1.0
    """
    owner = "discriminator_auc"
    check_frame(real, owner=owner, what="real")
    synthetic = check_same_columns(real, synthetic, owner=owner, name="synthetic")
    if min(len(real), len(synthetic)) < cv:
        raise ValueError(
            f"{owner}: {cv}-fold cross-validation needs at least {cv} rows on each side; got {len(real)} real "
            f"and {len(synthetic)} synthetic rows. Use more rows or a smaller cv."
        )
    fold_seed, model_seed = (int(s) for s in child_seeds(random_state, 2))
    both = pd.concat([real, synthetic], ignore_index=True)
    features = FeatureSpec(both).transform(both)
    y = np.r_[np.zeros(len(real), dtype=int), np.ones(len(synthetic), dtype=int)]
    if estimator is None:
        estimator = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=50)
    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    aucs = []
    for tr, te in StratifiedKFold(n_splits=cv, shuffle=True, random_state=fold_seed).split(features, y):
        model = clone(estimator)
        keys = {k: model_seed for k in params if k == "random_state" or k.endswith("__random_state")}
        if keys:
            model.set_params(**keys)
        model.fit(features.iloc[tr], y[tr])
        aucs.append(roc_auc_score(y[te], model.predict_proba(features.iloc[te])[:, 1]))
    return float(np.mean(aucs))


def _binned(real, frames, bins):
    """Each column of each frame as integer cells of the real column: quantile bins or levels, missing last.

    A number falls in one of at most ``bins`` bins cut at the real column's
    quantiles (fewer when values tie: a column that is 92% zeros has a bin
    for its zeros); a datetime in seconds likewise. A label is its level
    among the real and synthetic levels. Returns the cells of each frame
    and the number of cells of each column.
    """
    cells, sizes = [[] for _ in frames], []
    for col in real.columns:
        if column_kind(real[col]) == "categorical":
            codes, levels = level_codes([f[col] for f in frames])
            for out, c in zip(cells, codes):
                out.append(c)
            sizes.append(len(levels))
            continue
        ref = numeric_values(real[col])
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1])) if ref.size else np.empty(0)
        for out, f in zip(cells, frames):
            x = _numeric_keep_nan(f[col])
            # side="left": bin i holds (edges[i-1], edges[i]], so tied values share one bin
            out.append(np.where(np.isnan(x), edges.size + 1, np.searchsorted(edges, x, side="left")))
        sizes.append(edges.size + 2)
    return [np.column_stack(c).astype(np.int64) for c in cells], sizes


def _joint_similarity(cells_r, cells_s, sizes, columns):
    """1 - total variation between the joint cell frequencies of the given columns."""
    key_r = np.zeros(len(cells_r), dtype=np.int64)
    key_s = np.zeros(len(cells_s), dtype=np.int64)
    size = 1
    for j in columns:
        key_r, key_s, size = key_r * sizes[j] + cells_r[:, j], key_s * sizes[j] + cells_s[:, j], size * sizes[j]
        if size > _DENSE_CELLS:  # renumber the cells seen: keys stay exact and the counts small
            both, size = _renumber(np.concatenate([key_r, key_s]))
            key_r, key_s = both[: len(key_r)], both[len(key_r):]
    p = np.bincount(key_r, minlength=size) / len(key_r)
    q = np.bincount(key_s, minlength=size) / len(key_s)
    return 1.0 - 0.5 * float(np.abs(p - q).sum())


#: Joint tables with more cells than this are counted over the cells seen only.
_DENSE_CELLS = 1 << 20


def _renumber(keys):
    uniq, inverse = np.unique(keys, return_inverse=True)
    return inverse.ravel(), uniq.size


@validate_params({"bins": [Interval(Integral, 1, None, closed="left")]}, prefer_skip_nested_validation=True)
def pair_fidelity(real, synthetic, *, bins=10):
    """Every column pair: its association in each table and the similarity of the two joint distributions.

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns.
    bins : int, default=10
        Most quantile bins of a numeric or datetime column (see
        :func:`contingency_accuracy`).

    Returns
    -------
    DataFrame
        One row per pair, the pairs that lose most first (lowest
        ``contingency_similarity``): ``column_1``, ``column_2``, ``kind``
        (``"numeric-categorical"``, ...: the columns' kinds), the association
        of the pair in each table (``association_real``,
        ``association_synthetic``: as :func:`correlation_difference` measures
        it), their absolute difference ``association_difference``, and
        ``contingency_similarity``, 1 minus the total variation between the
        pair's binned joint frequencies in the two tables (1 when equal). Every
        pair is scored, however weakly associated (SDMetrics 0.32's
        QualityReport scores only pairs above an association threshold: 13 of
        UCI Adult's 105).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop.evaluation import pair_fidelity
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=1000)
    >>> real = pd.DataFrame({"x": x, "y": x + rng.normal(size=1000), "c": np.where(x > 0, "hi", "lo")})
    >>> shuffled = real.assign(c=rng.permutation(real["c"].to_numpy()))
    >>> pairs = pair_fidelity(real, shuffled)
    >>> pairs[["column_1", "column_2", "kind"]].iloc[0].tolist()
    ['x', 'c', 'numeric-categorical']
    >>> float(pairs.set_index(["column_1", "column_2"]).loc[("x", "y"), "contingency_similarity"])
    1.0
    """
    owner = "pair_fidelity"
    check_frame(real, owner=owner, what="real")
    synthetic = check_same_columns(real, synthetic, owner=owner, name="synthetic")
    return _pair_table(real, _association(real), _association(synthetic), _binned(real, [real, synthetic], bins))


def _pair_table(real, a_real, a_syn, binned):
    (cells_r, cells_s), sizes = binned
    a_real, a_syn = a_real.to_numpy(), a_syn.to_numpy()
    cols = list(real.columns)
    kinds = [column_kind(real[c]) for c in cols]
    rows = []
    for i, j in itertools.combinations(range(len(cols)), 2):
        rows.append((cols[i], cols[j], f"{kinds[i]}-{kinds[j]}", a_real[i, j], a_syn[i, j],
                     abs(a_syn[i, j] - a_real[i, j]), _joint_similarity(cells_r, cells_s, sizes, (i, j))))
    out = pd.DataFrame(rows, columns=["column_1", "column_2", "kind", "association_real", "association_synthetic",
                                      "association_difference", "contingency_similarity"])
    out = out.astype({"column_1": object, "column_2": object})
    return out.sort_values(["contingency_similarity", "association_difference"], ascending=[True, False],
                           kind="stable", ignore_index=True)


@validate_params({"order": [Interval(Integral, 1, None, closed="left")],
                  "bins": [Interval(Integral, 1, None, closed="left")],
                  "max_combinations": [Interval(Integral, 1, None, closed="left")]},
                 prefer_skip_nested_validation=True)
def contingency_accuracy(real, synthetic, *, order=3, bins=10, max_combinations=1000, random_state=None):
    """Mean similarity of the binned joint distributions of every ``order`` columns.

    For each combination of ``order`` columns, 1 minus the total variation
    between its joint cell frequencies in the two tables, averaged. A number
    (or datetime) is cut into at most ``bins`` bins at the real column's
    quantiles (fewer when values tie), a label is its level, a missing value
    a cell of its own. ``order=1`` averages the columns' binned marginals,
    ``order=2`` the pairs of :func:`pair_fidelity`; three-way tables see
    dependence that no pair shows. (MOSTLY AI's quality assurance reports
    the same univariate, bivariate and trivariate "accuracy".)

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns (at least ``order``).
    order : int, default=3
        Number of columns of each joint table.
    bins : int, default=10
        Most quantile bins of a numeric or datetime column.
    max_combinations : int or None, default=1000
        Average over a seeded random subset of this many combinations when
        there are more (``C(d, order)``: 455 for 15 columns and order 3);
        ``None`` scores them all.
    random_state : None, int or RandomState, default=None
        Seeds the subset.

    Returns
    -------
    float
        In [0, 1]; 1 when every joint table is the same.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop.evaluation import contingency_accuracy
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.integers(0, 2, 4000), rng.integers(0, 2, 4000)
    >>> real = pd.DataFrame({"a": a, "b": b, "c": a ^ b})  # pairwise independent, jointly determined
    >>> independent = real.assign(c=rng.integers(0, 2, 4000))
    >>> round(contingency_accuracy(real, independent, order=2), 2)
    0.98
    >>> round(contingency_accuracy(real, independent, order=3), 2)
    0.5
    """
    owner = "contingency_accuracy"
    check_frame(real, owner=owner, what="real")
    synthetic = check_same_columns(real, synthetic, owner=owner, name="synthetic")
    if order > real.shape[1]:
        raise ValueError(f"{owner}: order must be an integer between 1 and the number of columns "
                         f"({real.shape[1]}); got {order!r}.")
    return _contingency_mean(_binned(real, [real, synthetic], bins), real.shape[1], order, max_combinations,
                             random_state)


def _contingency_mean(binned, d, order, max_combinations, random_state):
    (cells_r, cells_s), sizes = binned
    combos = list(itertools.combinations(range(d), order))
    if max_combinations is not None and len(combos) > max_combinations:
        pick = make_rng(random_state).choice(len(combos), max_combinations, replace=False)
        combos = [combos[k] for k in np.sort(pick)]
    return float(np.mean([_joint_similarity(cells_r, cells_s, sizes, c) for c in combos]))


# -------------------------------------------------------------------- report
@validate_params({"holdout": [pd.DataFrame, None], "discriminator": ["boolean"], "sdmetrics": ["boolean"]},
                 prefer_skip_nested_validation=True)
def fidelity_report(real, synthetic, *, holdout=None, discriminator=True, sdmetrics=False, random_state=None):
    """Every fidelity and collapse metric of a synthetic table against the real one.

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns (each of the same kind: numeric,
        datetime or categorical; booleans and text are categorical).
        ``real`` holds the rows the synthetic table was made from.
    holdout : DataFrame, default=None
        Real rows of the same population that the generator never saw. Adds
        the baselines of the copy share and of the distance to the closest
        record: the same figures for these real rows.
    discriminator : bool, default=True
        Include :func:`discriminator_auc` (the slowest metric).
    sdmetrics : bool, default=False
        Add SDMetrics' ``QualityReport`` scores as a cross-check (rows whose
        metric starts with ``sdmetrics_``). Needs the optional package
        ``sdmetrics`` (``pip install sdmetrics==0.32.0 && pip install "pandas>=3.0,<3.2"``: SDMetrics declares pandas<3).
    random_state : None, int or RandomState, default=None
        Seeds the discriminator, then the subsets of
        :func:`contingency_accuracy` (beyond 1,000 column triples) and of
        :func:`distance_to_closest_record` (2,000 rows).

    Returns
    -------
    DataFrame
        Tidy, one row per metric: ``level`` (``"column"``, ``"pair"`` or
        ``"table"``), ``column`` (the pair ``"a ~ b"`` for pair rows, None
        for table rows), ``kind``, ``metric``, ``value``.

        - numeric and datetime columns: ``ks``, ``wasserstein`` (in real
          standard deviations), ``var_ratio`` (:func:`variance_ratio`),
          ``missing_rate_difference``;
        - categorical columns: ``l1`` (``Σ |p - p_real|`` of the level
          proportions, in [0, 2]: twice :func:`total_variation`),
          ``levels_lost``, ``levels`` (levels the synthetic column has),
          ``collision`` (``Σ p²`` of the synthetic column,
          :func:`collision_probability`), ``collision_real`` (of the real
          column), ``missing_rate_difference``. ``var_ratio``, ``levels``,
          ``collision`` and ``l1`` are the collapse metrics of
          :attr:`RecursiveSynthesizer.history_
          <synthloop.RecursiveSynthesizer.history_>`, with the same
          definitions (``evaluation/_collapse.py``), measured here against
          the real column instead of generation 0;
        - every column pair, the pairs that lose most first (see
          :func:`pair_fidelity`): ``contingency_similarity`` and
          ``association_difference``;
        - the table: ``mean_ks``, ``mean_l1``, ``levels_lost``
          (summed), ``correlation_difference``, ``discriminator_auc``;
          ``pair_contingency_mean`` and ``pair_contingency_min`` over the
          pairs, ``three_way_contingency`` (:func:`contingency_accuracy`
          with ``order=3``, when there are three columns), ``copy_share``
          (:func:`copy_share`); with a holdout ``copy_share_holdout`` and the
          median and 5th percentile of :func:`distance_to_closest_record`
          for the synthetic rows and the holdout's (``dcr_median``,
          ``dcr_median_holdout``, ``dcr_p05``, ``dcr_p05_holdout``).
          Synthetic rows nearer the real ones than the holdout's are nearer
          than the population puts independent rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop import fidelity_report
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b", "c"], 200)})
    >>> collapsed = pd.DataFrame({"x": np.zeros(200), "c": ["a"] * 200})
    >>> report = fidelity_report(real, collapsed, discriminator=False)
    >>> report.set_index(["column", "metric"]).loc[[("x", "var_ratio"), ("c", "levels_lost")], "value"]
    column  metric
    x       var_ratio      0.0
    c       levels_lost    2.0
    Name: value, dtype: float64
    """
    owner = "fidelity_report"
    check_frame(real, owner=owner, what="real")
    synthetic = check_same_columns(real, synthetic, owner=owner, name="synthetic")
    if holdout is not None:
        holdout = check_same_columns(real, holdout, owner=owner, name="holdout", what="holdout table")
    rows = []

    def add(level, column, kind, metric, value):
        rows.append((level, column, kind, metric, float(value)))

    ks_all, l1_all, lost_all = [], [], 0
    for col in real.columns:
        r, s = real[col], synthetic[col]
        kind = column_kind(r)
        if kind == "categorical":
            p_real, p_syn = _proportions(r), _proportions(s)
            distance = l1(p_real, p_syn) if not (p_real.empty or p_syn.empty) else np.nan
            lost = levels_lost(r, s)
            l1_all.append(distance)
            lost_all += lost
            add("column", col, kind, L1, distance)
            add("column", col, kind, "levels_lost", lost)
            add("column", col, kind, LEVELS, levels(p_syn))
            add("column", col, kind, COLLISION, collision_probability(s))
            add("column", col, kind, f"{COLLISION}_real", collision_probability(r))
        else:
            ks = ks_distance(r, s)
            ks_all.append(ks)
            add("column", col, kind, "ks", ks)
            add("column", col, kind, "wasserstein", wasserstein_distance(r, s, standardize=True))
            add("column", col, kind, VAR_RATIO, variance_ratio(r, s))
        add("column", col, kind, "missing_rate_difference", missing_rate_difference(r, s))
    if ks_all:
        add("table", None, "table", "mean_ks", np.nanmean(ks_all) if not np.all(np.isnan(ks_all)) else np.nan)
    if l1_all:
        add("table", None, "table", f"mean_{L1}",
            np.nanmean(l1_all) if not np.all(np.isnan(l1_all)) else np.nan)
        add("table", None, "table", "levels_lost", lost_all)
    corr, a_real, a_syn = correlation_difference(real, synthetic, return_matrices=True)
    add("table", None, "table", "correlation_difference", corr)
    if discriminator:
        add("table", None, "table", "discriminator_auc",
            discriminator_auc(real, synthetic, random_state=random_state))
    rows.extend(_joint_rows(real, synthetic, a_real, a_syn, random_state))
    add("table", None, "table", "copy_share", copy_share(real, synthetic))
    if holdout is not None:
        add("table", None, "table", "copy_share_holdout", copy_share(real, holdout))
        for name, frame in (("", synthetic), ("_holdout", holdout)):
            dcr = distance_to_closest_record(real, frame, random_state=random_state)
            add("table", None, "table", f"dcr_median{name}", np.median(dcr))
            add("table", None, "table", f"dcr_p05{name}", np.quantile(dcr, 0.05))
    if sdmetrics:
        rows.extend(_sdmetrics_rows(real, synthetic))
    out = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    out["column"] = out["column"].astype(object)
    return out


def _joint_rows(real, synthetic, a_real, a_syn, random_state):
    """The pair rows and the table's contingency rows of :func:`fidelity_report`."""
    if real.shape[1] < 2:
        return []
    binned = _binned(real, [real, synthetic], 10)
    pairs = _pair_table(real, a_real, a_syn, binned)
    rows = []
    for p in pairs.itertuples(index=False):
        for metric in ("contingency_similarity", "association_difference"):
            rows.append(("pair", f"{p.column_1} ~ {p.column_2}", p.kind, metric, float(getattr(p, metric))))
    similarity = pairs["contingency_similarity"]
    rows.append(("table", None, "table", "pair_contingency_mean", float(similarity.mean())))
    rows.append(("table", None, "table", "pair_contingency_min", float(similarity.min())))
    if real.shape[1] >= 3:
        rows.append(("table", None, "table", "three_way_contingency",
                     _contingency_mean(binned, real.shape[1], 3, 1000, random_state)))
    return rows


_SDTYPES = {"numeric": "numerical", "datetime": "datetime", "categorical": "categorical"}


def _sdmetrics_rows(real, synthetic):
    try:
        from sdmetrics.reports import QualityReport
    except ImportError as exc:
        raise ImportError(
            "fidelity_report(..., sdmetrics=True) needs the optional package sdmetrics, which is not "
            "installed. Install it with `pip install sdmetrics==0.32.0` (it declares pandas<3: reinstall pandas 3 after it), "
            "or call fidelity_report without sdmetrics=True."
        ) from exc
    columns = {}
    for col in real.columns:
        kind = column_kind(real[col])
        sdtype = "boolean" if str(real[col].dtype) in ("bool", "boolean") else _SDTYPES[kind]
        columns[str(col)] = {"sdtype": sdtype}
    # SDMetrics' unified (multi-table) report, with our table as its only table.
    report = QualityReport()
    report.generate({"table": real}, {"table": synthetic}, {"tables": {"table": {"columns": columns}}},
                    verbose=False)
    rows = [("table", None, "table", "sdmetrics_quality_score", float(report.get_score()))]
    for _, p in report.get_properties().iterrows():
        name = "sdmetrics_" + str(p["Property"]).lower().replace(" ", "_")
        rows.append(("table", None, "table", name, float(p["Score"])))
    for _, d in report.get_details("Column Shapes", table_name="table").iterrows():
        col = d["Column"]
        kind = column_kind(real[col]) if col in real.columns else "unknown"
        rows.append(("column", col, kind, "sdmetrics_column_shape", float(d["Score"])))
    return rows
