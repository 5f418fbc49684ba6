"""MultivariateNormalGenerator: a Gaussian fitted from weighted sufficient statistics."""


import numpy as np

from .._table import NUMERIC_KINDS, ColumnSpec, TableSchema
from ..base import BaseGenerator, in_seconds_squared
from ..utils._sklearn_compat import StrOptions

__all__ = ["MultivariateNormalGenerator"]


class MultivariateNormalGenerator(BaseGenerator):
    """Multivariate normal model of the numeric columns of a table.

    The Gaussian of docs/theory.rst, "Gaussian estimation": the mean and the covariance are estimated
    from the sufficient statistics (weight, weighted sum, weighted centred
    cross-products), merged chunk by chunk with Chan's parallel update, so
    :meth:`partial_fit` on chunks equals :meth:`fit` on their concatenation.

    Parameters
    ----------
    covariance : {"unbiased", "mle", "ledoit-wolf"}, default="unbiased"
        The covariance estimator: ``"unbiased"`` divides by ``n - 1`` (ddof=1),
        ``"mle"`` by ``n`` (ddof=0, the biased estimator whose collapse is
        faster), ``"ledoit-wolf"`` shrinks the MLE towards a scaled identity
        with the Rao-Blackwellised Ledoit-Wolf intensity (RBLW, Chen et al.
        2010), which needs only the covariance, so it streams.
        With weights, ``n`` is the sum of the weights.
    integers : {"round", "continuous"}, default="round"
        How integer columns are returned. ``"round"`` rounds the sampled
        values to integers and clips them into the range observed at fit, and
        restores the fitted integer dtype. ``"continuous"`` models them as the
        real-valued columns they are in the Gaussian: **they are returned as
        float64 columns** (``dtypes_`` says so), neither rounded nor clipped,
        so values outside the observed range occur. The fitted mean and
        covariance are the same for both. Use ``"continuous"`` in a recursive
        loop that must follow the exact Gaussian random walk of docs/theory.rst, "Gaussian estimation"
        (and :func:`synthloop.simulate.simulate_mvn`); datetime columns are
        rounded to their ticks and clipped either way.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling stream.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    covariance_ : ndarray of shape (n_features, n_features)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    dtypes_ : pandas.Series
    random_state_ : numpy.random.Generator

    Notes
    -----
    Collapse makes the covariance singular (a zero variance, perfectly
    correlated columns); sampling factorises it by a symmetric eigen
    decomposition with negative eigenvalues clipped to 0, so it returns
    constant columns rather than NaN or an error.

    Missing values are rejected: a Gaussian has no model for them, and silent
    imputation would bias the very variance a collapse study measures. Use
    :class:`GaussianCopulaGenerator` or :class:`CategoricalGenerator`, which
    model missingness, or impute first. So are columns whose values are too
    large for their covariance to be a float64 (squares beyond 1.8e308, values
    around 1e154 and more): rescale them.

    Integer columns are sampled on the real line and, with
    ``integers="round"``, rounded into their observed range; datetimes are
    modelled as their integer ticks, rounded and clipped likewise. Clipping
    into the observed range is a biased estimator: in a recursive loop the
    range can only shrink and a skewed column (ages >= 17) loses tail mass
    every generation, a collapse the Gaussian theory does not describe.
    ``integers="continuous"`` removes this bias for integer columns by
    returning them as float64 (not rounded, not clipped): the next generation
    fits float columns, and the loop is the pure random walk of docs/theory.rst, "Gaussian estimation"
    (a generation's ``partial_fit`` accepts these float64 rows for the integer
    columns it was first fitted on). Datetime columns keep a datetime dtype,
    so they stay rounded and clipped: convert them to numbers (e.g. seconds as
    float) to study the exact law on them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop import MultivariateNormalGenerator
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"height": rng.normal(170, 10, 500), "age": rng.integers(18, 90, 500)})
    >>> gen = MultivariateNormalGenerator(random_state=0).fit(X)
    >>> S = gen.sample(3)
    >>> S.dtypes.tolist() == X.dtypes.tolist()
    True
    >>> bool(S["age"].between(18, 89).all())
    True

    With ``integers="continuous"`` the integer column comes back as float64:

    >>> gen = MultivariateNormalGenerator(integers="continuous", random_state=0).fit(X)
    >>> gen.dtypes_.tolist() == gen.sample(3).dtypes.tolist() == [np.float64, np.float64]
    True
    """

    _supported_kinds = NUMERIC_KINDS
    _allow_missing = False
    _reduction_passes = 1

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "covariance": [StrOptions({"unbiased", "mle", "ledoit-wolf"})],
        "integers": [StrOptions({"round", "continuous"})],
    }

    def __init__(self, *, covariance="unbiased", integers="round", random_state=None):
        self.covariance = covariance
        self.integers = integers
        self.random_state = random_state

    def _output_schema(self, schema):
        if self.integers == "round":
            return schema
        # Integer columns are decoded as the floats they are sampled as (no
        # rounding, no clipping); the other specs are shared, so their ranges
        # keep following partial_fit.
        columns = [ColumnSpec(c.name, "float", np.dtype(np.float64)) if c.kind == "int" else c
                   for c in schema.columns]
        return TableSchema(columns, is_frame=schema.is_frame)

    def _reset_statistics(self, table):
        self._stats = _no_rows(len(table.schema.columns))

    def _update_statistics(self, table, sample_weight):
        self._stats = self._merge_statistics(self._stats, self._block_statistics(table, sample_weight, 0), 0)

    def _block_statistics(self, table, sample_weight, pass_):
        X = table.numeric()
        w = np.ones(len(X)) if sample_weight is None else sample_weight
        wb = w.sum()
        if wb == 0:
            return _no_rows(X.shape[1])
        # Values too large for their squares overflow here; _finalize names the columns.
        with np.errstate(over="ignore", invalid="ignore"):
            mean = w @ X / wb
            Xc = X - mean
            m2 = (Xc * w[:, None]).T @ Xc
        return wb, float(w @ w), mean, m2

    def _merge_statistics(self, a, b, pass_):
        # Chan et al.'s pairwise merge of (total weight, total squared weight, mean, weighted
        # centred cross-products): exact for any split of the rows.
        w_a, w2_a, mean_a, m2_a = a
        w_b, w2_b, mean_b, m2_b = b
        if w_b == 0:
            return a
        with np.errstate(over="ignore", invalid="ignore"):
            delta = mean_b - mean_a
            total = w_a + w_b
            m2 = m2_a + (m2_b + np.outer(delta, delta) * (w_a * w_b / total))
            mean = mean_a + delta * (w_b / total)
        return total, w2_a + w2_b, mean, m2

    def _finish_statistics(self, stats, pass_):
        self._stats = stats
        self._finalize()

    def _finalize(self):
        n, _, mean, m2 = self._stats
        overflow = ~np.isfinite(m2).all(axis=1) | ~np.isfinite(mean)
        if overflow.any():
            names = [name for name, bad in zip(self.schema_.names, overflow) if bad]
            raise ValueError(
                f"MultivariateNormalGenerator cannot fit columns {names}: their mean or covariance "
                "overflows float64 (values this large have squares beyond 1.8e308), which would give "
                "NaN samples. Rescale them, e.g. divide by a power of ten, to keep their values below "
                "about 1e150."
            )
        if self.covariance == "unbiased":
            if n <= 1:
                raise ValueError(
                    "MultivariateNormalGenerator(covariance='unbiased') needs at least 2 rows "
                    f"(total weight > 1) to estimate a covariance; got {n:g}, 1 sample is not enough. "
                    "Use covariance='mle' to fit a single row."
                )
            # Frequency weights: divide by (sum w - 1), the unbiased estimator.
            cov = m2 / (n - 1)
        else:
            cov = m2 / n
            if self.covariance == "ledoit-wolf":
                cov = _ledoit_wolf_shrink(cov, n)
        self.mean_ = mean.copy()
        self.covariance_ = cov
        vals, vecs = np.linalg.eigh(cov)
        # Collapse gives zero or slightly negative eigenvalues: clip them, so a
        # degenerate Gaussian samples constant directions instead of NaN.
        self._factor = vecs * np.sqrt(np.clip(vals, 0.0, None))

    def _sample_encoded(self, n_samples, rng):
        Z = rng.standard_normal((n_samples, self.mean_.shape[0]))
        X = self.mean_ + Z @ self._factor.T
        return {name: X[:, j] for j, name in enumerate(self.schema_.names)}

    def _collapse_summary(self):
        return {spec.name: ("num", in_seconds_squared(spec, float(self.covariance_[j, j])))
                for j, spec in enumerate(self.schema_.columns)}

    def _fitted_params(self):
        return {"mean": self.mean_.copy(), "covariance": self.covariance_.copy()}

    def _parameter_vector(self):
        return np.concatenate([self.mean_, self.covariance_[np.triu_indices_from(self.covariance_)]])


def _no_rows(d):
    """The statistics of no rows."""
    return 0.0, 0.0, np.zeros(d), np.zeros((d, d))


def _ledoit_wolf_shrink(emp_cov, n):
    # Ledoit and Wolf's own intensity needs fourth moments of the rows; the
    # Rao-Blackwellised form (Chen et al. 2010, RBLW) needs only the sample
    # covariance, so it works from streamed sufficient statistics, and it
    # dominates Ledoit-Wolf for Gaussian data.
    d = emp_cov.shape[0]
    mu = np.trace(emp_cov) / d
    tr_s2 = np.sum(emp_cov**2)
    tr2_s = np.trace(emp_cov) ** 2
    num = ((n - 2) / n) * tr_s2 + tr2_s
    den = (n + 2) * (tr_s2 - tr2_s / d)
    rho = 1.0 if den <= 0 else min(1.0, num / den)
    return (1 - rho) * emp_cov + rho * mu * np.eye(d)
