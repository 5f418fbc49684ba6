"""Copies and distances: how close synthetic rows sit to the rows they were made from.

A synthetic table can score perfectly on every fidelity metric by returning
the training rows. :func:`copy_share` counts rows that are training rows, and
:func:`distance_to_closest_record` measures how near the others come; both
mean something beside the same figure for real rows the generator never saw
(a holdout), which is what :func:`~synthloop.fidelity_report` reports.
"""

from numbers import Integral

import numpy as np
import pandas as pd
from scipy import sparse

from ._checks import check_frame, check_same_columns, column_kind, level_codes, numeric_values
from .._table import seconds_of
from ..utils._random import make_rng
from ..utils._sklearn_compat import Interval, validate_params

__all__ = ["copy_share", "distance_to_closest_record"]


def _canonical(real, frames):
    """The frames as float64 columns comparable across tables: numbers, seconds, codes of the labels of all."""
    out = [{} for _ in frames]
    for col in real.columns:
        kind = column_kind(real[col])
        if kind == "categorical":
            for o, codes in zip(out, level_codes([f[col] for f in frames])[0]):
                o[col] = codes.astype(np.float64)
            continue
        for o, f in zip(out, frames):
            o[col] = seconds_of(f[col]) if kind == "datetime" else f[col].to_numpy(dtype=np.float64, na_value=np.nan)
    return [pd.DataFrame(o, index=pd.RangeIndex(len(f))) for o, f in zip(out, frames)]


def copy_share(real, synthetic):
    """Share of the synthetic rows that equal a real row in every column.

    Two missing values are equal. For comparison: a real holdout's share is
    the rate at which independent rows of the population repeat the real
    ones (on UCI Adult's test split, the census has duplicate rows).

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns.

    Returns
    -------
    float
        In [0, 1]; 1 when every synthetic row is a real row.

    Examples
    --------
    >>> import pandas as pd
    >>> from synthloop.evaluation import copy_share
    >>> real = pd.DataFrame({"x": [1.0, 2.0, None], "c": ["a", "b", "b"]})
    >>> copy_share(real, pd.DataFrame({"x": [1.0, None, 2.0, 3.0], "c": ["a", "b", "a", "b"]}))
    0.5
    """
    owner = "copy_share"
    check_frame(real, owner=owner, what="real")
    synthetic = check_same_columns(real, synthetic, owner=owner, name="synthetic")
    hashed = [pd.util.hash_pandas_object(f, index=False).to_numpy() for f in _canonical(real, [real, synthetic])]
    return float(np.isin(hashed[1], hashed[0]).mean())


def _distance_features(real, frames):
    """Rows of the frames (``frames[0]`` is ``real``) as vectors whose Euclidean distance counts a mismatch as 1.

    A number becomes its mid-rank among the real values (in [0, 1], so a
    column's largest gap also counts 1) with a missing value at the median
    and flagged by an indicator of weight 1; a label becomes its one-hot
    vector divided by sqrt(2). The vectors are sparse when the labels have
    more than :data:`DENSE_WIDTH` levels in all (an identifier column).
    """
    blocks = [[] for _ in frames]
    for col in real.columns:
        if column_kind(real[col]) == "categorical":
            codes, levels = level_codes([f[col] for f in frames])
            for block, c in zip(blocks, codes):
                block.append(sparse.csr_matrix((np.full(len(c), 1 / np.sqrt(2)), (np.arange(len(c)), c)),
                                               shape=(len(c), len(levels))))
            continue
        ref = np.sort(numeric_values(real[col]))
        for block, frame in zip(blocks, frames):
            x = seconds_of(frame[col]) if column_kind(frame[col]) == "datetime" else \
                frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
            missing = np.isnan(x)
            rank = (np.searchsorted(ref, x, "left") + np.searchsorted(ref, x, "right")) / (2 * max(len(ref), 1))
            block.append(np.column_stack([np.where(missing, 0.5, rank), missing.astype(float)]))
    width = sum(b.shape[1] for b in blocks[0])
    if width > DENSE_WIDTH:
        return [sparse.hstack(b, format="csr") for b in blocks]
    return [np.hstack([m.toarray() if sparse.issparse(m) else m for m in b]) for b in blocks]


#: Widest row vectors :func:`distance_to_closest_record` keeps dense (BLAS is faster on them).
DENSE_WIDTH = 2048


@validate_params({"max_rows": [Interval(Integral, 1, None, closed="left"), None]},
                 prefer_skip_nested_validation=True)
def distance_to_closest_record(real, synthetic, *, max_rows=2000, random_state=None):
    """Distance from each synthetic row to its nearest real row (DCR).

    Rows are compared column by column on a common scale: a number by its
    mid-rank among the real values (so ranks differ by at most 1), a label
    or a missing value by a mismatch counting 1; the distance is the
    Euclidean norm of these differences (``sqrt(k)`` for rows that differ
    in ``k`` labels). 0 means a copy. The distances mean something beside
    those of a real holdout to the same real rows: synthetic rows nearer
    than independent real rows are nearer than the population puts them.

    Parameters
    ----------
    real, synthetic : DataFrame
        Tables with the same columns. ``real`` is the reference (the rows a
        generator was fitted on); ``synthetic`` the rows measured (or a
        real holdout, for the baseline).
    max_rows : int or None, default=2000
        Measure a seeded random subset of this many synthetic rows (the
        nearest-neighbour search costs ``len(real)`` distances per row);
        ``None`` measures every row.
    random_state : None, int or RandomState, default=None
        Seeds the subset.

    Returns
    -------
    ndarray of shape (min(max_rows, len(synthetic)),)
        The distances.

    Examples
    --------
    >>> import pandas as pd
    >>> from synthloop.evaluation import distance_to_closest_record
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
    >>> distance_to_closest_record(real, pd.DataFrame({"x": [1.0, 1.0], "c": ["a", "b"]}))  # ranks 1/8, 3/8, ...
    array([0.  , 0.25])
    """
    from sklearn.neighbors import NearestNeighbors

    owner = "distance_to_closest_record"
    check_frame(real, owner=owner, what="real")
    synthetic = check_same_columns(real, synthetic, owner=owner, name="synthetic")
    if max_rows is not None and len(synthetic) > max_rows:
        keep = np.sort(make_rng(random_state).choice(len(synthetic), max_rows, replace=False))
        synthetic = synthetic.iloc[keep]
    ref, query = _distance_features(real, [real, synthetic])
    distance = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(ref).kneighbors(query)[0][:, 0]
    # Squared distances are computed as |a|^2 + |b|^2 - 2ab: a copy comes back as a rounding residue.
    return np.where(distance < 1e-6, 0.0, distance)
