"""Side-by-side column statistics of real and synthetic tables."""

import time

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..evaluation import ks_distance
from ..utils._random import child_seeds

__all__ = ["compare_generators"]


def compare_generators(X, generators, *, n_samples=None, random_state=None):
    """Fit each generator on ``X``, sample, and compare every column with the real one.

    Parameters
    ----------
    X : pandas.DataFrame
        The real table.
    generators : dict of str to BaseGenerator
        Each is cloned, seeded from ``random_state`` and fitted on the columns
        of ``X`` it models (``columns`` may be restricted by passing a
        ``(generator, columns)`` tuple).
    n_samples : int, default=None
        Rows to sample; ``None`` means ``len(X)``.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    pandas.DataFrame
        One row per generator and column: ``generator, column, kind,
        real_mean, synthetic_mean, real_std, synthetic_std, real_levels,
        synthetic_levels, real_missing, synthetic_missing, distance`` where
        ``distance`` is the Kolmogorov–Smirnov statistic for numeric columns
        and the total variation distance for categorical ones, plus
        ``fit_seconds`` and ``sample_seconds``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.study import compare_generators
    >>> X = pd.DataFrame({"x": np.random.default_rng(0).normal(size=300)})
    >>> table = compare_generators(X, {"mvn": MultivariateNormalGenerator()}, random_state=0)
    >>> table[["generator", "column", "kind"]].values.tolist()
    [['mvn', 'x', 'numeric']]
    """
    n = len(X) if n_samples is None else n_samples
    seeds = child_seeds(random_state, len(generators))
    rows = []
    for (name, spec), seed in zip(generators.items(), seeds):
        gen, columns = spec if isinstance(spec, tuple) else (spec, list(X.columns))
        real = X[columns]
        gen = clone(gen).set_params(random_state=int(seed))
        start = time.perf_counter()
        gen.fit(real)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        synth = gen.sample(n)
        sample_seconds = time.perf_counter() - start
        for col in columns:
            row = _column_stats(real[col], synth[col])
            rows.append({"generator": name, "column": col, **row,
                         "fit_seconds": fit_seconds, "sample_seconds": sample_seconds})
    order = ["generator", "column", "kind", "real_mean", "synthetic_mean", "real_std", "synthetic_std",
             "real_levels", "synthetic_levels", "real_missing", "synthetic_missing", "distance",
             "fit_seconds", "sample_seconds"]
    return pd.DataFrame(rows, columns=order)


def _column_stats(real, synth):
    out = {"real_missing": int(real.isna().sum()), "synthetic_missing": int(synth.isna().sum())}
    if pd.api.types.is_numeric_dtype(real.dtype) and not pd.api.types.is_bool_dtype(real.dtype):
        r = real.dropna().to_numpy(dtype=float)
        s = synth.dropna().to_numpy(dtype=float)
        out.update(kind="numeric", real_mean=r.mean(), synthetic_mean=s.mean() if s.size else np.nan,
                   real_std=r.std(ddof=1), synthetic_std=s.std(ddof=1) if s.size > 1 else np.nan,
                   real_levels=np.nan, synthetic_levels=np.nan, distance=ks_distance(r, s))
    else:
        pr = real.astype(object).value_counts(normalize=True, dropna=False)
        ps = synth.astype(object).value_counts(normalize=True, dropna=False)
        pr, ps = pr.align(ps, fill_value=0.0)
        out.update(kind="categorical", real_mean=np.nan, synthetic_mean=np.nan, real_std=np.nan,
                   synthetic_std=np.nan, real_levels=int(real.nunique()), synthetic_levels=int(synth.nunique()),
                   distance=0.5 * float(np.abs(pr - ps).sum()))
    return out

