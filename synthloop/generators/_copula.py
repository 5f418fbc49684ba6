"""GaussianCopulaGenerator: empirical marginals joined by a Gaussian copula."""

import copy
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .._table import ALL_KINDS, DISCRETE_KINDS, NUMERIC_KINDS, dtype_change
from ..base import BaseGenerator, atoms_summary
from ..exceptions import SchemaError
from ..utils._sklearn_compat import Interval, StrOptions
from ._marginals import N_HERMITE, EmpiricalMarginal, _hermite_coefficients, fit_parametric

__all__ = ["GaussianCopulaGenerator"]

_FAMILIES = {"empirical", "norm", "beta", "truncnorm"}


class GaussianCopulaGenerator(OneToOneFeatureMixin, TransformerMixin, BaseGenerator):
    """Gaussian copula over empirical marginals, for mixed tables with missing values.

    Each column is a marginal distribution laid on the standard normal line:
    its missing value (if any) and its observed values, in order, each own an
    interval whose normal probability is the value's frequency. A row becomes
    a vector of latent normal scores; their correlation, estimated with tie
    handling and repaired to a valid correlation matrix, is the copula.
    Sampling draws correlated normals and maps each back through its column's
    intervals.

    Parameters
    ----------
    marginals : {"empirical", "norm", "beta", "truncnorm"} or dict, default="empirical"
        Model of each numeric (float, int, datetime) column's observed values.
        ``"empirical"`` keeps the observed values with their frequencies, point
        masses included, and samples only from them. A parametric family is
        fitted in closed form (``"norm"``: mean and standard deviation;
        ``"beta"``: moments on the observed range; ``"truncnorm"``: moments
        matched on the observed range); a fit that is impossible (one distinct
        value, ...) falls back to the empirical marginal with a warning. A dict
        maps column names to families; columns not named are empirical.
    categorical : {"frequency", "order"}, default="frequency"
        Latent order of the levels of unordered categories and strings:
        ``"frequency"`` by decreasing frequency (ties by level order),
        ``"order"`` by the declared categories (sorted for strings). Ordered
        categories and booleans always keep their order. The order is fitted
        (``get_fitted_params()["marginals"][name]["levels"]``): in a recursive
        loop, near-tied levels ordered by frequency can swap between
        generations, and a fit in another order is another model when the
        column has missing values (see :ref:`the advisor's level orders
        <advise-level-orders>`).
    max_categories : int or None, default=None
        A discrete column with more observed levels than this is rejected
        with a :class:`~synthloop.SchemaError` (an identifier column would
        otherwise be memorised level by level); ``None`` accepts any number.
    handle_unknown : {"error", "ignore"}, default="error"
        What :meth:`transform` does with a level of a discrete column that
        has no latent interval: a string never seen at fit, a category of
        another categorical dtype, or a declared category (or boolean value)
        that no fitted row had. ``"error"`` raises a
        :class:`~synthloop.SchemaError` naming each such column and its
        levels. ``"ignore"`` gives it the score 0 (see Notes) and
        :meth:`inverse_transform` maps a score of exactly 0 in a discrete
        column back to a missing value. As for scikit-learn's
        ``OneHotEncoder``, only ``transform`` is concerned: :meth:`fit` and
        :meth:`partial_fit` learn every level they get.
    reservoir_size : int or None, default=100_000
        Rows that :meth:`partial_fit` keeps between calls to estimate the
        correlation (:meth:`fit` and the block reduction need none). Every
        call estimates it from the rows it was given plus
        the rows kept from earlier calls: up to this many rows in all, that is
        every row, so chunked and one-call fits are equal; beyond it a
        weighted priority sample of this size stands for the earlier rows
        (see Notes). :meth:`fit` always uses every row. ``None`` keeps every
        row.
    random_state : int, RandomState instance or None, default=None
        Seeds sampling and the reservoir.

    Attributes
    ----------
    correlation_ : ndarray of shape (n_features, n_features)
        Correlation of the latent normals (positive semi-definite, unit diagonal).
    marginals_ : dict
        Fitted marginal of each column, by column name.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    dtypes_ : pandas.Series
    random_state_ : numpy.random.Generator
    n_rows_seen_ : float

    See Also
    --------
    MultivariateNormalGenerator : a Gaussian on numeric columns.
    sklearn.preprocessing.QuantileTransformer : ``transform`` is the same map
        to normal scores, with ties and missing values handled.

    Notes
    -----
    **Marginals.** An empirical marginal is stored as its support (distinct
    observed values, or level codes) and their probabilities, so its size is
    bounded by the number of distinct values, and a sample holds only values
    from the support. Every column is therefore a categorical distribution
    and, over recursive generations, undergoes the collapse of docs/theory.rst, "Categorical (next-token) model":
    rare values and tails vanish. Missing values are one more atom, placed
    at the bottom of the latent line, so their rate and their dependence on
    other columns go through the copula; they come back as missing in the
    column's dtype. Integers come back as integers within the observed range,
    datetimes (tz-aware too) as datetimes, booleans as booleans, and
    categories and strings from the fitted levels.

    **Scores and correlation.** The score of a value is the conditional mean
    ``E[Z | Z in its interval]``, deterministic even for point masses (a
    column that is 92% zeros maps all zeros to one score). Such scores are
    attenuated versions of the latent normals; the latent correlation of each
    pair is recovered by inverting Mehler's series
    ``E[s_i s_j] = sum_n rho**n c_in c_jn`` (``c_in`` are the Hermite
    coefficients of the score functions, 50 terms, bisection), which is exact
    for conditional-mean scores. When the pairwise matrix is not positive
    semi-definite it is repaired. Weakly identified pairs, whose Mehler
    inversion has a standard error above 0.05 (two heavily tied columns such
    as Adult's ``capital_gain`` and ``capital_loss``, never both non-zero:
    every latent correlation below about -0.6 gives the same scores), are
    moved first, alone, each to the value nearest its estimate that keeps
    the matrix positive semi-definite given the other entries; then any
    remaining negative eigenvalues are clipped at 0 and the diagonal rescaled
    to 1. Clipping alone would move every entry, well-identified ones too;
    on Adult that made the one-generation drift of the correlation fall like
    ``n**-0.6`` instead of ``1/n`` (``benchmarks/bench_copula_drift.py``). A constant column has a zero-variance score
    and zero correlation with the others; the factorisation uses a clipped
    eigen decomposition, so singular correlations sample without NaN.

    **Streaming.** ``partial_fit`` adds each chunk's value counts to the
    marginals (exact), and its encoded rows to a reservoir. Scores depend on
    the final marginals, so the correlation is recomputed at the end of every
    call from the call's rows and the reservoir; the reservoir is then cut
    back to ``reservoir_size`` rows by priority sampling (Duffield, Lund &
    Thorup 2007: keep the rows with the largest ``w / u``, weight them
    ``max(w, tau)``), an unbiased weighted sample of all earlier rows. Up to
    ``reservoir_size`` rows in all nothing is cut and the fit equals one
    :meth:`fit`. Beyond, the held rows are scored against their own
    weighted marginals (in the fitted latent order), so the estimate is a
    plain fit of the held rows: its error is at most that of
    ``reservoir_size`` rows (about ``(1 - rho**2) / sqrt(reservoir_size)``,
    0.003 at 100,000 rows) and smaller when the last chunk is large.
    (Scoring a sample against the marginals of all rows instead adds the
    sample's marginal mismatch: on Adult that doubled the variance.)
    :meth:`fit` holds every row, so its correlation is exact at any size.
    So is the block reduction (:meth:`start_reduction`), without a
    reservoir: a first pass over the blocks merges their value counts, a
    second pass over the same blocks their score cross-products against the
    finished marginals. :class:`~synthloop.RecursiveSynthesizer` fits every
    generation so (except under the accumulate pool), so ``reservoir_size``
    concerns direct ``partial_fit`` calls; a generator fitted by the
    reduction holds no reservoir, and ``partial_fit`` on it estimates the
    correlation from the new rows only.

    **Transformer.** :meth:`transform` maps rows to their scores, the
    conditional means above, and :meth:`inverse_transform` maps any latent
    vectors back to a table; ``inverse_transform(transform(X))`` returns
    ``X`` for empirical marginals. At and beyond what was fitted:

    - a numeric value at an atom gets the atom's score; between two atoms,
      the edge between them; below (above) the fitted range, the score of
      the lowest (highest) atom, so scores stay within the fitted ones (a
      parametric marginal maps every value through its fitted CDF);
    - a categorical column may have another categorical dtype than at fit
      (a test frame categorised on its own): its values are matched to the
      fitted categories by label, not by code;
    - a discrete level without a latent interval (never seen at fit) is
      handled as ``handle_unknown`` says. With ``"ignore"`` its score is 0,
      the latent mean and the column's mean score (the probabilities times
      the conditional means sum to ``E[Z] = 0``): the best predictor of the
      latent normal when nothing is known of where the level lies;
    - a missing value in a column that had none at fit has no interval
      either and raises a ``ValueError`` whatever ``handle_unknown``
      (impute it, or fit on rows with missing values).

    Any other column of another dtype than at fit is rejected with a
    :class:`~synthloop.SchemaError`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop import GaussianCopulaGenerator
    >>> rng = np.random.default_rng(0)
    >>> income = np.where(rng.random(500) < 0.9, 0, rng.integers(1, 100, 500))
    >>> X = pd.DataFrame({"income": income,
    ...                   "job": pd.Categorical(rng.choice(["a", "b", "c"], 500))})
    >>> gen = GaussianCopulaGenerator(random_state=0).fit(X)
    >>> S = gen.sample(1000)
    >>> S.dtypes.tolist() == X.dtypes.tolist()
    True
    >>> bool(S["income"].isin(X["income"]).all())
    True
    >>> round(float((S["income"] == 0).mean()), 1)
    0.9
    >>> gen.transform(X).shape
    (500, 2)
    """

    _supported_kinds = ALL_KINDS
    _allow_missing = True
    # The block reduction has two passes over the same blocks: the marginal counts
    # (pass 0), then the scores' cross-products against the finished marginals (pass 1).
    _reduction_passes = 2

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "marginals": [StrOptions(_FAMILIES), dict],
        "categorical": [StrOptions({"frequency", "order"})],
        "max_categories": [Interval(Integral, 1, None, closed="left"), None],
        "handle_unknown": [StrOptions({"error", "ignore"})],
        "reservoir_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, *, marginals="empirical", categorical="frequency", max_categories=None,
                 handle_unknown="error", reservoir_size=100_000, random_state=None):
        self.marginals = marginals
        self.categorical = categorical
        self.max_categories = max_categories
        self.handle_unknown = handle_unknown
        self.reservoir_size = reservoir_size
        self.random_state = random_state

    # ------------------------------------------------------------- statistics
    def _reset_statistics(self, table):
        owner = type(self).__name__
        names = table.schema.names
        if isinstance(self.marginals, dict):
            unknown = [k for k in self.marginals if k not in names]
            bad = {k: v for k, v in self.marginals.items() if v not in _FAMILIES}
            if unknown or bad:
                raise ValueError(
                    f"{owner}: marginals must map fitted column names to one of {sorted(_FAMILIES)}; "
                    f"got unknown columns {unknown} and unknown families {bad}."
                )
        self._counts = {spec.name: (np.empty(0) if spec.kind in NUMERIC_KINDS else None, np.zeros(0), 0.0)
                        for spec in table.schema.columns}
        # Private stream for the reservoir priorities: a child of the seed, so
        # the sampling stream is not advanced and fits stay reproducible.
        self._reservoir_rng = self.random_state_.spawn(1)[0]
        d = len(names)
        self._res_rows = np.empty((0, d))
        self._res_w = np.empty(0)
        self._res_key = np.empty(0)
        self._res_tau = 0.0
        self._res_n_sampled = 0  # leading reservoir rows that stand for max(w, tau) rows each

    def _update_statistics(self, table, sample_weight):
        w = np.ones(table.n_rows) if sample_weight is None else sample_weight
        u = 1.0 - self._reservoir_rng.random(table.n_rows)  # in (0, 1], one draw per row whatever the chunking
        self._counts = self._merge_statistics(self._counts, self._block_statistics(table, w, 0), 0)
        # Every row of this call is kept until the correlation is estimated
        # (_finalize); the reservoir bound applies between calls only.
        positive = w > 0
        self._res_rows = np.concatenate([self._res_rows, self._encoded_rows(table)[positive]])
        self._res_w = np.concatenate([self._res_w, w[positive]])
        self._res_key = np.concatenate([self._res_key, w[positive] / u[positive]])

    def _block_statistics(self, table, sample_weight, pass_):
        """Pass 0: ``{column: (values or None, weights, missing weight)}``; pass 1: the score moments."""
        w = np.ones(table.n_rows) if sample_weight is None else sample_weight
        if pass_ == 1:
            positive = w > 0
            margs = [self.marginals_[name] for name in self.schema_.names]
            return _score_moments(margs, self._encoded_rows(table)[positive], w[positive])
        counts = {}
        for spec in self.schema_.columns:
            col = table.columns[spec.name]
            if spec.kind in NUMERIC_KINDS:
                x = np.asarray(col, dtype=np.float64)
                miss = np.isnan(x)
                keep = ~miss & (w > 0)
                values, inv = np.unique(x[keep], return_inverse=True)
                counts[spec.name] = (values, np.bincount(inv, weights=w[keep], minlength=values.size),
                                     float(w[miss].sum()))
            else:
                codes = np.asarray(col, dtype=np.int64)
                miss = codes < 0
                counts[spec.name] = (None, np.bincount(codes[~miss], weights=w[~miss], minlength=len(spec.levels)),
                                     float(w[miss].sum()))
        return counts

    def _merge_statistics(self, a, b, pass_):
        if pass_ == 1:
            return tuple(x + y for x, y in zip(a, b))
        out = {}
        for name, (values_a, weights_a, missing_a) in a.items():
            values_b, weights_b, missing_b = b[name]
            if values_a is None:  # level codes: string levels may have been added since a
                weights = np.zeros(max(weights_a.size, weights_b.size))
                weights[: weights_a.size] += weights_a
                weights[: weights_b.size] += weights_b
                out[name] = (None, weights, missing_a + missing_b)
                continue
            values, inv = np.unique(np.concatenate([values_a, values_b]), return_inverse=True)
            weights = np.bincount(inv, weights=np.concatenate([weights_a, weights_b]), minlength=values.size)
            out[name] = (values, weights, missing_a + missing_b)
        return out

    def _finish_statistics(self, stats, pass_):
        if pass_ == 0:
            self._counts = stats
            self._fit_marginals()
        else:
            self._set_correlation(_moments_correlation(
                [self.marginals_[name] for name in self.schema_.names], *stats))

    def _encoded_rows(self, table):
        """The encoded columns as one float matrix (level codes as floats), the rows the correlation scores."""
        rows = np.empty((table.n_rows, len(self.schema_.columns)))
        for j, name in enumerate(self.schema_.names):
            rows[:, j] = table.columns[name]
        return rows

    def _update(self, table, weights):
        super()._update(table, weights)
        self._shrink_reservoir()

    def _shrink_reservoir(self):
        k = self.reservoir_size
        key = self._res_key
        if k is None or key.size <= k:
            return
        # Priority sampling (Duffield, Lund & Thorup 2007): keep the k largest
        # priorities w/u; tau is the largest dropped priority. Kept rows (in
        # their original order) later count max(w, tau): unbiased weighted sums.
        cut = np.argpartition(-key, k)
        keep, drop = np.sort(cut[:k]), cut[k:]
        self._res_tau = max(self._res_tau, float(key[drop].max()))
        self._res_rows, self._res_w, self._res_key = self._res_rows[keep], self._res_w[keep], key[keep]
        self._res_n_sampled = k

    # --------------------------------------------------------------- finalize
    def _finalize(self):
        self._fit_marginals()
        self._set_correlation(self._estimate_correlation())

    def _set_correlation(self, R):
        self.correlation_ = R
        vals, vecs = np.linalg.eigh(R)
        self._factor = vecs * np.sqrt(np.clip(vals, 0.0, None))

    def _fit_marginals(self):
        owner = type(self).__name__
        family = self.marginals if isinstance(self.marginals, str) else None
        too_many = []
        self.marginals_ = {}
        for spec in self.schema_.columns:
            values, weights, missing = self._counts[spec.name]
            total = weights.sum() + missing
            if spec.kind in NUMERIC_KINDS:
                keep = weights > 0
                values, weights = values[keep], weights[keep]
                fam = family if family is not None else self.marginals.get(spec.name, "empirical")
                marginal = None
                if fam != "empirical":
                    marginal = fit_parametric(fam, values, weights, missing / total, spec.name, owner)
                if marginal is None:
                    marginal = EmpiricalMarginal(values, weights / total, missing / total, discrete=False)
            else:
                codes = np.flatnonzero(weights > 0)
                if self.max_categories is not None and codes.size > self.max_categories:
                    too_many.append(f"{spec.name!r} ({codes.size} levels)")
                ordered = spec.kind == "bool" or getattr(spec.dtype, "ordered", False)
                if self.categorical == "frequency" and not ordered:
                    codes = codes[frequency_order(weights[codes])]
                marginal = EmpiricalMarginal(codes, weights[codes] / total, missing / total, discrete=True)
            self.marginals_[spec.name] = marginal
        if too_many:
            raise SchemaError(
                f"{owner}(max_categories={self.max_categories}) got columns with more levels: "
                + ", ".join(too_many) + ". Drop identifier-like columns, merge rare levels, "
                "or raise max_categories (None accepts any number)."
            )

    def _estimate_correlation(self):
        margs = [self.marginals_[name] for name in self.schema_.names]
        rows = self._res_rows
        w = self._res_w.copy()
        m = self._res_n_sampled
        w[:m] = np.maximum(w[:m], self._res_tau)
        if m:
            # The reservoir is a weighted sample of the rows of earlier calls.
            # Scoring it against the marginals of all rows adds the sample's
            # marginal mismatch to the correlation (measured on Adult: twice
            # the variance of a plain fit, heavy tailed); scoring it against
            # its own weighted marginals, in the same latent order, is a plain
            # fit of the rows held.
            margs = [_held_marginal(marg, rows[:, j], w) for j, marg in enumerate(margs)]
            # Kish's effective rows: a held row stands for many, but is one observation.
            return _latent_correlation(margs, rows, w, n_eff=w.sum() ** 2 / max(float(np.sum(w * w)), 1e-300))
        return _latent_correlation(margs, rows, w)

    # ------------------------------------------------------------------ sample
    def _sample_encoded(self, n_samples, rng):
        Z = rng.standard_normal((n_samples, self._factor.shape[0])) @ self._factor.T
        return {name: self.marginals_[name].from_latent(Z[:, j]) for j, name in enumerate(self.schema_.names)}

    def _collapse_summary(self):
        out = {}
        for spec in self.schema_.columns:
            m = self.marginals_[spec.name].params()
            if "support" not in m:
                return None  # a parametric marginal: estimated from a sample instead
            out[spec.name] = atoms_summary(spec, m["support"], m["probabilities"], m["missing"])
        return out

    def _fitted_params(self):
        marginals = {}
        for spec in self.schema_.columns:
            m = self.marginals_[spec.name].params()
            if self.marginals_[spec.name].discrete:
                # The levels in latent order: the codes alone name levels only through this fit's schema.
                m["levels"] = np.asarray(spec.levels, dtype=object)[m["support"].astype(np.int64)]
            marginals[spec.name] = m
        return {"correlation": self.correlation_.copy(), "marginals": marginals}

    # ------------------------------------------------------------- transformer
    def transform(self, X):
        """Map rows to their latent normal scores.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Columns and dtypes as at fit (a categorical column may have other
            categories). Missing values are allowed in columns that had them
            at fit; levels never seen at fit as ``handle_unknown`` says.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Each value's conditional mean ``E[Z | Z in its interval]``
            (deterministic, so point masses map to one score); see the
            class Notes for values beyond the fitted ones.

        Raises
        ------
        SchemaError
            With ``handle_unknown="error"``, for levels never seen at fit,
            listing every such column with its first levels.
        ValueError
            For missing values in a column that had none at fit.
        """
        check_is_fitted(self, "random_state_")
        table = self._encode_for_transform(X)
        out = np.empty((table.n_rows, len(self.schema_.columns)))
        unknown = {}
        for j, spec in enumerate(self.schema_.columns):
            col = table.columns[spec.name]
            marginal = self.marginals_[spec.name]
            discrete = spec.kind in DISCRETE_KINDS
            miss = col < 0 if discrete else np.isnan(col)
            if miss.any() and marginal.missing == 0:
                raise ValueError(
                    f"{type(self).__name__}.transform: column {spec.name!r} has {int(miss.sum())} "
                    "missing values but had none at fit, so they have no latent interval; "
                    "impute them or refit on data with missing values."
                )
            if discrete:
                no_atom = marginal.atoms(col) < 0
                if no_atom.any():
                    unknown[spec.name] = no_atom
            out[:, j] = marginal.scores(col)
        if unknown and self.handle_unknown != "ignore":
            raise SchemaError(_unknown_levels_message(type(self).__name__, X, unknown))
        return out

    def inverse_transform(self, X):
        """Map latent normal vectors back to a table.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Latent normal values (any real numbers, e.g. from :meth:`transform`).

        Returns
        -------
        DataFrame or ndarray
            The fitted container and dtypes; each value is the one whose
            latent interval holds the input. With ``handle_unknown="ignore"``
            a discrete column's score of exactly 0, the score :meth:`transform`
            gives an unknown level, is a missing value, unless a fitted level
            of that column has the score 0 itself and keeps it: the only
            level of a constant column, the middle level of an exactly
            symmetric one.
        """
        check_is_fitted(self, "random_state_")
        Z = check_array(X, dtype=np.float64, ensure_all_finite=False)
        d = len(self.schema_.columns)
        if Z.shape[1] != d:
            raise ValueError(
                f"{type(self).__name__}.inverse_transform: X has {Z.shape[1]} columns, "
                f"expected {d} (one latent score per fitted column)."
            )
        if np.isnan(Z).any():
            raise ValueError(f"{type(self).__name__}.inverse_transform: X contains NaN; latent scores "
                             "must be numbers (+-inf allowed).")
        cols = {}
        for j, spec in enumerate(self.schema_.columns):
            marginal = self.marginals_[spec.name]
            cols[spec.name] = marginal.from_latent(Z[:, j])
            if self.handle_unknown == "ignore" and spec.kind in DISCRETE_KINDS:
                # Never in a numpy bool column (which cannot hold it): an unknown level there
                # means one fitted level, whose score is 0 itself.
                cols[spec.name][marginal.unknown_latent(Z[:, j])] = -1
        return self.schema_.decode(cols, Z.shape[0])

    def _encode_for_transform(self, X):
        owner = type(self).__name__
        # Encoding updates the observed range; work on a copy of the schema.
        schema = copy.deepcopy(self.schema_)
        if isinstance(X, pd.DataFrame) and self.schema_.is_frame:
            validate_data(self, X, reset=False, skip_check_array=True)
            # A categorical column may have other categories: they are matched by label.
            wrong = [f"{c.name!r} is {dtype_change(X[c.name].dtype, c.dtype)}" for c in schema.columns
                     if X[c.name].dtype != c.dtype
                     and not (c.kind == "category" and isinstance(X[c.name].dtype, pd.CategoricalDtype))]
            if wrong:
                raise SchemaError(f"{owner}.transform got columns whose dtype differs from fit: "
                                  + "; ".join(wrong) + ".")
            return schema.encode(X, update=False, owner=owner)
        arr = validate_data(self, X, reset=False, dtype="numeric", ensure_all_finite="allow-nan")
        frame = pd.DataFrame(arr, columns=schema.names, copy=False)
        return schema.encode(frame, update=False, owner=owner)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


def _unknown_levels_message(owner, X, unknown, shown=5):
    """The error for levels without a latent interval: every column, its first levels and rows."""
    parts = []
    for name, rows in unknown.items():
        levels = pd.unique(np.asarray(X[name], dtype=object)[rows]).tolist()
        listed = repr(levels[:shown])[:-1] + (", ...]" if len(levels) > shown else "]")
        n_rows = int(rows.sum())
        count = f"{len(levels)} levels, " if len(levels) > 1 else ""
        parts.append(f"column {name!r}: {listed} ({count}{n_rows} row{'s' if n_rows > 1 else ''})")
    return (
        f"{owner}.transform got levels never seen at fit, which have no latent interval: "
        + "; ".join(parts) + ". Pass handle_unknown='ignore' to score them 0 (the latent mean) and "
        "map them back to missing values in inverse_transform, or fit on rows that hold them."
    )


# Rows scored at a time when estimating the correlation: bounds the score
# matrix at 8 MiB per 16 columns whatever the number of rows.
_SCORE_BLOCK = 65_536


# A pair whose latent correlation the data place only within more than +-0.1
# (two standard errors of the Mehler inversion) is "weakly identified": the
# score correlation hardly changes with rho there (Adult's capital_gain and
# capital_loss, never both non-zero: every rho below -0.6 gives the same scores).
_WEAK_SE = 0.05


def _latent_correlation(margs, rows, w, n_eff=None):
    """Latent correlation of encoded ``rows`` (weights ``w``) whose marginals are ``margs``.

    ``n_eff`` is the number of independent rows behind the estimate (for the
    standard errors); None reads ``w`` as frequency weights (their sum).
    """
    return _moments_correlation(margs, *_score_moments(margs, rows, w), n_eff=n_eff)


def _score_moments(margs, rows, w):
    """``(sum w s s', sum w s^2 s'^2, sum w)`` of the scores ``s`` of encoded ``rows``: they add over blocks of rows."""
    d = len(margs)
    M = np.zeros((d, d))
    Q = np.zeros((d, d))  # E[s_i^2 s_j^2]: the spread of each product, for the inversion's standard error
    for start in range(0, rows.shape[0], _SCORE_BLOCK):
        block = rows[start:start + _SCORE_BLOCK]
        S = np.column_stack([m.scores(block[:, j]) for j, m in enumerate(margs)]) if d else np.empty((0, 0))
        ws = S * w[start:start + _SCORE_BLOCK, None]
        M += ws.T @ S
        Q += (ws * S).T @ (S * S)
    return M, Q, w.sum()


def _moments_correlation(margs, M, Q, total, n_eff=None):
    """The latent correlation from the score moments of :func:`_score_moments`."""
    d = len(margs)
    total = max(total, 1e-300)
    M = M / total
    Q = Q / total
    n_eff = total if n_eff is None else n_eff
    var = np.array([m.variance for m in margs])
    sd_emp = np.sqrt(np.diag(M))
    live = (var > 1e-12) & (sd_emp > 0)
    R = np.eye(d)
    iu, ju = np.triu_indices(d, 1)
    pair = live[iu] & live[ju]
    iu, ju = iu[pair], ju[pair]
    if not iu.size:
        return R
    # Pearson correlation of the scores, put on the scale of the
    # marginals' score variance (equal to M itself when the marginals are
    # those of the rows), then the latent rho from Mehler's series.
    scale = np.sqrt(var[iu] * var[ju]) / (sd_emp[iu] * sd_emp[ju])
    target = M[iu, ju] * scale
    H = np.array([m.hermite for m in margs])
    coef = H[iu] * H[ju]
    rho = _invert_mehler(coef, target)
    R[iu, ju] = R[ju, iu] = rho
    if np.linalg.eigvalsh(R)[0] >= 0:
        return R
    # Delta method: sd(target) / |f'(rho)|, the inversion's standard error.
    se_target = np.sqrt(np.maximum(Q[iu, ju] - M[iu, ju] ** 2, 0.0) / n_eff) * scale
    slope = np.abs(_mehler(coef, rho, derivative=True))
    weak = se_target > _WEAK_SE * slope
    if weak.any():
        R = _repair_weak_pairs(R, iu[weak], ju[weak])
    return _nearest_correlation(R)


def frequency_order(weights):
    """Positions by decreasing weight, ties by position, along the last axis: ``categorical="frequency"``'s order.

    ``weights`` are a column's level weights in code order (or stacked rows of them).
    """
    return np.argsort(-np.asarray(weights), axis=-1, kind="stable")


def refit_in_latent_order(params, reference, cache=None):
    """A fit of a fitted copula's own distribution with its discrete columns' levels in another fit's order.

    ``params`` and ``reference`` are two fits'
    :meth:`~GaussianCopulaGenerator.get_fitted_params`; the result is in the
    same form. A discrete column's latent order is a fitted parameter: with
    ``categorical="frequency"`` two fits of nearly the same rows can order
    near-tied levels differently (penguins' ``sex``, 168 male and 165
    female), which changes that column's latent correlations. This returns
    the parameters a fit of ``params``'s distribution (infinitely many of its
    rows) would estimate with ``reference``'s orders (levels ``reference``
    lacks keep their place after the others), exactly, without sampling: the
    marginals are the same probabilities reordered; in ``params``'s latent
    coordinate ``z`` a reordered column's score is a step function of ``z``,
    whose Hermite coefficients give its score covariance with every other
    column by Mehler's formula, and the latent correlation is that covariance
    inverted with the reordered marginal's own coefficients, as a fit does.
    Columns in the same order keep their entries; the correlation is repaired
    to a correlation matrix as a fit's is. ``cache``, a dict shared by refits
    of one distribution in different orders, keeps their marginals (by column
    and order): the Hermite coefficients of a column of many atoms are the
    cost of a refit.

    A binary column without missing values is the one case where a new order
    loses nothing (its latent variable changes sign). With a missing atom at
    the bottom of the line, the missing rows sit next to the other level
    after a swap, and the fit attenuates the column's correlations: a swap
    changes the rows a loop generates.
    """
    R = np.array(params["correlation"], dtype=np.float64)
    marginals = dict(params["marginals"])
    d = len(marginals)
    seen = np.empty((d, N_HERMITE))  # coefficients of each column's score as a function of this fit's latent
    own = np.empty((d, N_HERMITE))   # coefficients of the score in its own (reordered) latent
    moved = np.zeros(d, dtype=bool)
    for j, (name, m) in enumerate(params["marginals"].items()):
        if "support" not in m:  # a parametric marginal: only the first coefficient, and it cancels
            seen[j] = own[j] = np.eye(1, N_HERMITE).ravel()
            continue
        here = _marginal_of(m, name, cache)
        seen[j] = own[j] = here.hermite
        if "levels" not in m:
            continue
        rank = {level: i for i, level in enumerate(reference["marginals"][name].get("levels", ()))}
        order = np.argsort([rank.get(level, len(rank) + i) for i, level in enumerate(m["levels"])], kind="stable")
        if np.array_equal(order, np.arange(order.size)):
            continue
        moved[j] = True
        marginals[name] = {**m, "support": m["support"][order], "probabilities": m["probabilities"][order],
                           "levels": m["levels"][order]}
        there = _marginal_of(marginals[name], name, cache)
        # atom 0 is missing in both orders; atom 1 + order[i] there is atom 1 + order[i] here
        where = np.empty(order.size + 1, dtype=np.int64)
        where[0] = 0
        where[1 + order] = 1 + np.arange(order.size)
        seen[j] = _hermite_coefficients(here.edges, there.means[where])
        own[j] = there.hermite
    if moved.any():
        iu, ju = np.triu_indices(d, 1)
        pair = moved[iu] | moved[ju]
        iu, ju = iu[pair], ju[pair]
        target = _mehler(seen[iu] * seen[ju], R[iu, ju])
        R[iu, ju] = R[ju, iu] = _invert_mehler(own[iu] * own[ju], target)
        R = _nearest_correlation(R)
    return {"correlation": R, "marginals": marginals}


def _marginal_of(m, name, cache=None):
    """The empirical marginal of ``m`` (its ``params()``, levels named or not), from ``cache`` if it is there."""
    discrete = "levels" in m
    key = (name, tuple(m["levels"]) if discrete else None)
    if cache is not None and key in cache:
        return cache[key]
    support = m["support"].astype(np.int64) if discrete else m["support"]
    marginal = EmpiricalMarginal(support, m["probabilities"], m["missing"], discrete=discrete)
    if cache is not None:
        cache[key] = marginal
    return marginal


def _repair_weak_pairs(R, iu, ju, sweeps=3):
    """Move weakly identified entries, not the others, to make ``R`` positive semi-definite.

    The pairwise estimates need not form a correlation matrix. Clipping
    eigenvalues (:func:`_nearest_correlation`) spreads the repair over every
    entry, well-identified ones included, by the same amount; the data say
    little about a weakly identified entry, so it is the one to move. Each
    such entry is set to the value nearest its estimate inside the interval
    that keeps ``R`` positive semi-definite given the other entries:
    ``rho* +- sqrt((1 - a_i)(1 - a_j))``, ``rho*`` the value that makes the
    pair conditionally independent given the rest (the maximum-determinant
    completion), ``a_i`` the squared multiple correlation of column ``i`` on
    the rest. The entries start at ``rho*``, then ``sweeps`` passes clip each
    estimate into its interval. Measured on Adult
    (``benchmarks/bench_copula_drift.py``): with the eigenvalue repair alone
    the one-generation drift of the correlation fell like ``n**-0.6``; with
    this one it falls like ``1/n``, the random walk of docs/theory.rst.
    """
    R = R.copy()
    estimate = R[iu, ju].copy()
    d = R.shape[0]
    for sweep in range(sweeps + 1):
        for k, (i, j) in enumerate(zip(iu, ju)):
            rest = np.array([c for c in range(d) if c != i and c != j], dtype=np.int64)
            inv = np.linalg.pinv(R[np.ix_(rest, rest)], hermitian=True)
            bi, bj = R[i, rest], R[j, rest]
            star = float(bi @ inv @ bj)
            if sweep == 0:
                value = star
            else:
                half = np.sqrt(max(1.0 - float(bi @ inv @ bi), 0.0) * max(1.0 - float(bj @ inv @ bj), 0.0))
                value = float(np.clip(estimate[k], star - half, star + half))
            R[i, j] = R[j, i] = np.clip(value, -1.0, 1.0)
    return R


def _held_marginal(marginal, column, w):
    """The empirical marginal of the held rows of one column, in ``marginal``'s latent order."""
    if marginal.discrete:
        codes = column.astype(np.int64)
        miss = codes < 0
        size = max(int(marginal.support.max()) + 1 if marginal.support.size else 0,
                   int(codes.max()) + 1 if codes.size else 0)
        counts = np.bincount(codes[~miss], weights=w[~miss], minlength=size)
        total = max(w.sum(), 1e-300)
        return EmpiricalMarginal(marginal.support, counts[marginal.support] / total, w[miss].sum() / total,
                                 discrete=True)
    miss = np.isnan(column)
    values, inv = np.unique(column[~miss], return_inverse=True)
    total = max(w.sum(), 1e-300)
    return EmpiricalMarginal(values, np.bincount(inv, weights=w[~miss], minlength=values.size) / total,
                             w[miss].sum() / total, discrete=False)


def _mehler(coef, rho, derivative=False):
    """``f(rho) = sum_n rho**n coef[:, n-1]`` per row (Horner), or its derivative ``f'(rho)``."""
    acc = np.zeros_like(rho)
    if derivative:
        for n in range(N_HERMITE, 0, -1):
            acc = acc * rho + n * coef[:, n - 1]
        return acc
    for n in range(N_HERMITE - 1, -1, -1):
        acc = acc * rho + coef[:, n]
    return acc * rho


def _invert_mehler(coef, target):
    """Solve ``sum_n rho**n coef[:, n-1] = target`` for rho in [-1, 1], per row.

    The left side is increasing in rho (scores are non-decreasing functions
    of the latent normals), so bisection converges; targets outside the
    attainable range are clipped to it.
    """
    def f(rho):
        return _mehler(coef, rho)

    lo, hi = -np.ones(len(target)), np.ones(len(target))
    target = np.clip(target, f(lo), f(hi))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = f(mid) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _nearest_correlation(R):
    """Clip negative eigenvalues to 0 and rescale to a unit diagonal."""
    R = 0.5 * (R + R.T)
    if R.shape[0] == 0:
        return R
    vals, vecs = np.linalg.eigh(R)
    if vals.min() >= 0:
        return R
    P = (vecs * np.clip(vals, 0.0, None)) @ vecs.T
    s = np.sqrt(np.clip(np.diag(P), 1e-300, None))
    P = P / np.outer(s, s)
    np.fill_diagonal(P, 1.0)
    return P
