"""Fidelity and collapse metrics: how far a synthetic table is from the real one.

Column functions take two 1-D inputs (Series or array-likes), ignore missing
values (which :func:`missing_rate_difference` measures on its own) and return
a float; table functions take two DataFrames with the same columns.
:func:`fidelity_report` gathers them all in one tidy frame.
"""

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from ..utils._random import child_seeds
from .._table import seconds_of
from ._checks import FeatureSpec, check_frame, check_same_columns, column_kind, numeric_values

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
    "fidelity_report",
]

REPORT_COLUMNS = ["level", "column", "kind", "metric", "value"]


def _series(values, who, what):
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{who} compares single columns; got a DataFrame as {what}. Pass `X[column]`.")
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{who} expects 1-D {what}; got an array of shape {arr.shape}.")
    return pd.Series(arr)


def _two_numeric(real, synthetic, who):
    return (numeric_values(_series(real, who, "real")), numeric_values(_series(synthetic, who, "synthetic")))


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
    (missing values excluded).

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
    both = p.index.union(q.index)
    return float(0.5 * np.abs(p.reindex(both, fill_value=0) - q.reindex(both, fill_value=0)).sum())


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
    """Variance of ``synthetic`` over variance of ``real`` (1 is faithful, 0 is collapse).

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
    vr = r.var(ddof=1)
    return float(s.var(ddof=1) / vr) if vr > 0 else np.nan


def collision_probability(values):
    """Probability that two independent draws from a column are equal: the sum of squared level proportions.

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
    return float((p.to_numpy() ** 2).sum()) if not p.empty else np.nan


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
    who = "discriminator_auc"
    check_frame(real, owner=who, what="real")
    synthetic = check_same_columns(real, synthetic, owner=who, name="synthetic")
    if min(len(real), len(synthetic)) < cv:
        raise ValueError(
            f"{who}: {cv}-fold cross-validation needs at least {cv} rows on each side; got {len(real)} real "
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


# -------------------------------------------------------------------- report
def fidelity_report(real, synthetic, *, discriminator=True, sdmetrics=False, random_state=None):
    """Every fidelity and collapse metric of a synthetic table against the real one.

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns (each of the same kind: numeric,
        datetime or categorical; booleans and text are categorical).
    discriminator : bool, default=True
        Include :func:`discriminator_auc` (the slowest metric).
    sdmetrics : bool, default=False
        Add SDMetrics' ``QualityReport`` scores as a cross-check (rows whose
        metric starts with ``sdmetrics_``). Needs the optional package
        ``sdmetrics`` (``pip install sdmetrics==0.32.0 && pip install "pandas>=3.0,<3.2"``: SDMetrics declares pandas<3).
    random_state : None, int or RandomState, default=None
        Seeds the discriminator.

    Returns
    -------
    DataFrame
        Tidy, one row per metric: ``level`` (``"column"`` or ``"table"``),
        ``column`` (None for table rows), ``kind``, ``metric``, ``value``.

        - numeric and datetime columns: ``ks``, ``wasserstein`` (in real
          standard deviations), ``variance_ratio``, ``missing_rate_difference``;
        - categorical columns: ``total_variation``, ``levels_lost``,
          ``levels_alive`` (levels the synthetic column has),
          ``collision_probability`` (synthetic), ``collision_probability_real``,
          ``missing_rate_difference``;
        - the table: ``mean_ks``, ``mean_total_variation``, ``levels_lost``
          (summed), ``correlation_difference``, ``discriminator_auc``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop import fidelity_report
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b", "c"], 200)})
    >>> collapsed = pd.DataFrame({"x": np.zeros(200), "c": ["a"] * 200})
    >>> report = fidelity_report(real, collapsed, discriminator=False)
    >>> report.set_index(["column", "metric"]).loc[[("x", "variance_ratio"), ("c", "levels_lost")], "value"]
    column  metric
    x       variance_ratio    0.0
    c       levels_lost       2.0
    Name: value, dtype: float64
    """
    who = "fidelity_report"
    check_frame(real, owner=who, what="real")
    synthetic = check_same_columns(real, synthetic, owner=who, name="synthetic")
    rows = []

    def add(level, column, kind, metric, value):
        rows.append((level, column, kind, metric, float(value)))

    ks_all, tv_all, lost_all = [], [], 0
    for col in real.columns:
        r, s = real[col], synthetic[col]
        kind = column_kind(r)
        if kind == "categorical":
            tv, lost = total_variation(r, s), levels_lost(r, s)
            tv_all.append(tv)
            lost_all += lost
            add("column", col, kind, "total_variation", tv)
            add("column", col, kind, "levels_lost", lost)
            add("column", col, kind, "levels_alive", s.dropna().nunique())
            add("column", col, kind, "collision_probability", collision_probability(s))
            add("column", col, kind, "collision_probability_real", collision_probability(r))
        else:
            ks = ks_distance(r, s)
            ks_all.append(ks)
            add("column", col, kind, "ks", ks)
            add("column", col, kind, "wasserstein", wasserstein_distance(r, s, standardize=True))
            add("column", col, kind, "variance_ratio", variance_ratio(r, s))
        add("column", col, kind, "missing_rate_difference", missing_rate_difference(r, s))
    if ks_all:
        add("table", None, "table", "mean_ks", np.nanmean(ks_all) if not np.all(np.isnan(ks_all)) else np.nan)
    if tv_all:
        add("table", None, "table", "mean_total_variation",
            np.nanmean(tv_all) if not np.all(np.isnan(tv_all)) else np.nan)
        add("table", None, "table", "levels_lost", lost_all)
    add("table", None, "table", "correlation_difference", correlation_difference(real, synthetic))
    if discriminator:
        add("table", None, "table", "discriminator_auc",
            discriminator_auc(real, synthetic, random_state=random_state))
    if sdmetrics:
        rows.extend(_sdmetrics_rows(real, synthetic))
    out = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    out["column"] = out["column"].astype(object)
    return out


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
