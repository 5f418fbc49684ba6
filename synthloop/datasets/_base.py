"""Shared helpers of the dataset loaders: the sklearn-style return value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import Bunch


def _sorted_categories(col: pd.Series) -> pd.Series:
    """Return ``col`` as an unordered category with its categories sorted."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("category")
    cats = col.cat.categories
    # Categories stay those declared (possibly unobserved) but in sorted order,
    # so two loads of the same data always agree on the codes.
    return col.cat.set_categories(sorted(cats), ordered=False)


def _as_bunch(
    frame: pd.DataFrame,
    target: str | None,
    *,
    as_frame: bool,
    return_X_y: bool,
    descr: str,
    **extra,
):
    """Split ``frame`` into data and target the way sklearn's loaders do.

    With ``as_frame=False`` the tables are mixed-type, so ``data`` is an object
    ndarray holding the frame's values (missing values as ``np.nan``) and
    ``target`` an object ndarray of labels; ``frame`` is then ``None``, as in
    :func:`sklearn.datasets.fetch_openml`.
    """
    if target is None:
        X, y = frame, None
    else:
        X, y = frame.drop(columns=[target]), frame[target]
    feature_names = list(X.columns)
    target_names = [target] if target is not None else []
    if not as_frame:
        X = X.astype(object).where(X.notna(), np.nan).to_numpy(dtype=object)
        if y is not None:
            y = y.astype(object).where(y.notna(), np.nan).to_numpy(dtype=object)
        frame = None
    if return_X_y:
        return X, y
    return Bunch(
        frame=frame,
        data=X,
        target=y,
        feature_names=feature_names,
        target_names=target_names,
        DESCR=descr,
        **extra,
    )
