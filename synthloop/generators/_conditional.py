"""ConditionalGenerator: features from the rows (or a generator), the target from a fitted model of it.

He, Xu and Cheng's discriminative loop (docs/theory.rst, "The loop"): a classifier or regressor
retrained each generation on labels drawn from the previous generation's model. The rows are kept
(an estimator has no exact streaming fit), so ``partial_fit`` refits on every chunk so far and equals
one ``fit``.
"""

import copy
import inspect
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from .._table import DISCRETE_KINDS, TableSchema
from ..base import MISSING_LABEL, BaseGenerator, atoms_summary
from ..exceptions import SchemaError
from ..utils._sklearn_compat import HasMethods, StrOptions

__all__ = ["ConditionalGenerator"]


class ConditionalGenerator(BaseGenerator):
    """A target column modelled given the others by any scikit-learn classifier or regressor.

    Fitting fits ``estimator`` to predict the ``target`` column from the
    other columns (the features). Sampling draws the features, by
    resampling the fitted rows (``features=None``) or from a generator fitted
    on them, and then the target of each row from the fitted model: a
    classifier's ``predict_proba`` (``y ~ p̂(y | x)``, e.g. a Bernoulli for a
    logistic regression), or a regressor's prediction plus noise. In a
    :class:`~synthloop.RecursiveSynthesizer` this is He, Xu and Cheng's
    discriminative loop: every generation retrains the model on labels drawn
    from the previous one's.

    Parameters
    ----------
    estimator : classifier or regressor, default=None
        Cloned at fit. A classifier (``is_classifier``) needs
        ``predict_proba``; a regressor is sampled as ``predict(x) + e``
        (``noise``). It is fit on the features as given (a DataFrame with the
        fitted columns and dtypes, or an array), with ``sample_weight`` when
        the rows are weighted (a :class:`~sklearn.pipeline.Pipeline` gets it
        as its last step's). None: a
        :class:`~sklearn.linear_model.LogisticRegression` for a discrete
        target (category, bool, string), a
        :class:`~sklearn.linear_model.LinearRegression` for a numeric one, on
        a design built from the features: numeric columns standardised with
        the weighted mean and standard deviation (missing values 0, plus an
        indicator), discrete ones one-hot on their fitted levels.
    target : str, int or None, default=None
        The target column: its label, or else its position (negative from
        the end; array input has positions only). None: the last column (the
        ``y`` that :class:`~synthloop.RecursiveSynthesizer` appends when fit
        with labels).
    features : generator or None, default=None
        How the features of a sampled row are drawn. None: a fitted row's
        features, drawn with probability proportional to its weight, so
        synthetic features are real rows' values. A generator (e.g.
        ``GaussianCopulaGenerator()``): cloned and fit on the feature
        columns, and sampled.
    noise : {"normal", "residuals"}, default="normal"
        A regressor's noise: normal with the weighted mean squared residual
        as variance, or a fitted residual drawn with probability proportional
        to its row's weight. Ignored for classifiers.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling stream (and the ``features`` generator).

    Attributes
    ----------
    estimator_ : estimator
        The fitted model of the target. A target with a single class (which
        a recursive loop can collapse to) is a
        :class:`~sklearn.dummy.DummyClassifier` that always gives it.
    target_ : str or int
        The target column.
    feature_names_ : list
        The feature columns, in table order.
    features_ : generator or None
        The fitted ``features`` generator.
    noise_scale_ : float
        Regression: the standard deviation of ``noise="normal"``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    dtypes_ : pandas.Series
    random_state_ : numpy.random.Generator

    Notes
    -----
    The target is a column of ``X``; ``fit``'s ``y`` is ignored, as for
    every generator (fit :class:`~synthloop.RecursiveSynthesizer` with ``y``
    to append it). A discrete target's missing values are a class of their
    own; a numeric target may not have any. The classifier learns the
    target's encoded values (level codes, or the numbers of an integer
    column), so ``estimator_.classes_`` holds those.

    The fitted rows are kept: ``partial_fit`` refits the estimator (and the
    ``features`` generator) on every row so far, so it equals one ``fit``.
    With ``features=None``, :meth:`~synthloop.BaseGenerator.collapse_summary`
    is exact: the features' weighted frequencies and variances, the target's
    class probabilities averaged over the rows (regression: the variance of
    the predictions plus the noise's).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from synthloop import ConditionalGenerator
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=300)
    >>> X = pd.DataFrame({"x": x, "y": rng.random(300) < 1 / (1 + np.exp(-2 * x))})
    >>> gen = ConditionalGenerator(LogisticRegression(), target="y", random_state=0).fit(X)
    >>> gen.sample(4).dtypes.tolist() == X.dtypes.tolist()
    True
    >>> gen.parameter_vector().round(1)  # intercept and slope of the logistic fit
    array([-0.1,  1.8])
    """

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "target": [str, Integral, None],
        "features": [HasMethods(["fit", "sample"]), None],
        "noise": [StrOptions({"normal", "residuals"})],
    }

    def __init__(self, estimator=None, *, target=None, features=None, noise="normal", random_state=None):
        self.estimator = estimator
        self.target = target
        self.features = features
        self.noise = noise
        self.random_state = random_state

    @property
    def _allow_missing(self):
        # The default design imputes; a given estimator or features generator says so in its tags.
        return all(part is None or get_tags(part).input_tags.allow_nan for part in (self.estimator, self.features))

    # -------------------------------------------------------------- statistics
    def _reset_statistics(self, table):
        schema = table.schema
        names = schema.names
        if self.target is None:
            target = names[-1]
        elif self.target in names and not isinstance(self.target, bool):
            target = self.target
        elif isinstance(self.target, Integral) and not isinstance(self.target, bool) and \
                -len(names) <= self.target < len(names):
            target = names[self.target]
        else:
            raise SchemaError(f"ConditionalGenerator: target {self.target!r} is not a column of X; "
                              + (f"columns are {names}." if schema.is_frame else f"positions are 0..{len(names) - 1}.")
                              + " Give target=<the column to model given the others>.")
        if len(names) < 2:
            raise ValueError(f"ConditionalGenerator needs at least one feature column besides the target "
                             f"{target!r}; got 1 feature(s), the target alone. Use CategoricalGenerator or "
                             "GaussianCopulaGenerator for a single column.")
        spec = schema[target]
        estimator = self.estimator
        if estimator is None:
            self._classify = spec.kind in DISCRETE_KINDS
        elif is_classifier(estimator):
            self._classify = True
            if not hasattr(estimator, "predict_proba"):
                raise TypeError(
                    f"ConditionalGenerator samples the target from the classifier's predict_proba; "
                    f"{type(estimator).__name__} has none. Use a classifier with predict_proba (e.g. "
                    "LogisticRegression, or CalibratedClassifierCV around this one).")
        elif is_regressor(estimator):
            self._classify = False
        else:
            raise TypeError(f"ConditionalGenerator: estimator must be a scikit-learn classifier or regressor "
                            f"(is_classifier / is_regressor); got {type(estimator).__name__}.")
        if not self._classify and spec.kind in DISCRETE_KINDS:
            raise SchemaError(f"ConditionalGenerator: target {target!r} is {spec.kind}, but "
                              f"{type(estimator).__name__} is a regressor; use a classifier.")
        self.target_ = target
        self.feature_names_ = [n for n in names if n != target]
        self._feature_schema = TableSchema([schema[n] for n in self.feature_names_], is_frame=schema.is_frame)
        self._chunks = []
        # the features generator's seed, fixed once per fit (a chunked fit refits it with the same seed)
        self._features_seed = int(self.random_state_.spawn(1)[0].integers(2**31 - 1))

    def _update_statistics(self, table, sample_weight):
        target = np.asarray(table.columns[self.target_])
        w = np.ones(table.n_rows) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self._chunks.append(({n: np.asarray(table.columns[n]) for n in self.feature_names_}, target, w))

    def _finalize(self):
        feats = {n: np.concatenate([c[0][n] for c in self._chunks]) for n in self.feature_names_}
        y = np.concatenate([c[1] for c in self._chunks])
        w = np.concatenate([c[2] for c in self._chunks])
        keep = w > 0  # rows of weight 0 count for nothing, as if absent
        feats, y, w = {n: v[keep] for n, v in feats.items()}, y[keep], w[keep]
        self._chunks = [(feats, y, w)]
        self._rows, self._y, self._w = feats, y, w
        self._row_cdf = np.cumsum(w)
        self._design = _Design(self._feature_schema, feats, w) if self.estimator is None else None
        # A numeric target's missing values (a discrete one's are a class): drawn at their weighted rate, the
        # model fit where it is observed.
        observed = ~np.isnan(y) if y.dtype.kind == "f" else np.ones(len(y), dtype=bool)
        if not observed.any():
            raise SchemaError(f"ConditionalGenerator: the numeric target {self.target_!r} has no observed value.")
        self._missing_rate = float(w[~observed].sum() / w.sum())
        X = self._inputs({n: v[observed] for n, v in feats.items()}, int(observed.sum()))
        y_obs, w_obs = y[observed], w[observed]
        if self._classify and np.unique(y_obs).size == 1:
            self.estimator_ = DummyClassifier(strategy="prior").fit(X, y_obs)
        else:
            est = self._default_estimator() if self.estimator is None else clone(self.estimator)
            self.estimator_ = _fit(est, X, y_obs, None if np.all(w_obs == 1) else w_obs)
        if not self._classify:
            residuals = y_obs - self.estimator_.predict(X)
            self._residuals, self._residual_cdf = residuals, np.cumsum(w_obs)
            self.noise_scale_ = float(np.sqrt(w_obs @ residuals**2 / w_obs.sum()))
        self.features_ = None
        if self.features is not None:
            inner = clone(self.features).set_params(random_state=self._features_seed)
            frame = self._feature_schema.decode(feats, len(y))
            self.features_ = inner.fit(frame) if np.all(w == 1) else inner.fit(frame, sample_weight=w)

    def _default_estimator(self):
        return LogisticRegression() if self._classify else LinearRegression()

    def _inputs(self, feats, n):
        """What the estimator sees: the default's design matrix, or the features as the caller's table."""
        if self._design is not None:
            return self._design.transform(feats, n)
        return self._feature_schema.decode(feats, n)

    # ---------------------------------------------------------------- sampling
    def _sample_encoded(self, n_samples, rng):
        if self.features_ is None:
            idx = _draw(self._row_cdf, rng.random(n_samples))
            feats = {n: v[idx] for n, v in self._rows.items()}
        else:
            frame = self.features_.sample(n_samples, random_state=int(rng.integers(2**31 - 1)))
            if not isinstance(frame, pd.DataFrame):
                frame = pd.DataFrame(frame, columns=self.feature_names_)
            # a copy: encoding widens a schema's observed ranges, which are fitted state
            feats = copy.deepcopy(self._feature_schema).encode(frame).columns
        X = self._inputs(feats, n_samples)
        if self._classify:
            proba = np.asarray(self.estimator_.predict_proba(X), dtype=np.float64)
            cdf = np.cumsum(proba, axis=1)
            pick = (rng.random(n_samples)[:, None] * cdf[:, -1:] >= cdf).sum(axis=1)
            y = np.asarray(self.estimator_.classes_)[np.minimum(pick, proba.shape[1] - 1)]
        else:
            y = np.asarray(self.estimator_.predict(X), dtype=np.float64) + self._noise(n_samples, rng)
        if self._missing_rate > 0:
            y = np.where(rng.random(n_samples) < self._missing_rate, np.nan, y.astype(np.float64))
        return {**feats, self.target_: y}

    def _noise(self, n, rng):
        if self.noise == "normal":
            return self.noise_scale_ * rng.standard_normal(n)
        return self._residuals[_draw(self._residual_cdf, rng.random(n))]

    # ---------------------------------------------------------------- reports
    def _collapse_summary(self):
        if self.features_ is not None:
            return None
        schema, w = self.schema_, self._w / self._w.sum()
        out = {}
        for spec in schema.columns:
            if spec.name == self.target_:
                out[spec.name] = self._target_summary(spec, w)
                continue
            values = self._rows[spec.name]
            if spec.kind in DISCRETE_KINDS:
                codes, inverse = np.unique(values, return_inverse=True)
                p = np.bincount(inverse.ravel(), w)
                known = codes >= 0
                out[spec.name] = atoms_summary(spec, codes[known], p[known], float(p[~known].sum()))
            else:
                ok = ~np.isnan(values)
                out[spec.name] = atoms_summary(spec, values[ok], w[ok])
        return out

    def _target_summary(self, spec, w):
        # the target's law given the features is the model's at every fitted row (missing values aside)
        X = self._inputs(self._rows, len(self._y))
        if not self._classify:
            pred = np.asarray(self.estimator_.predict(X), dtype=np.float64)
            mean = w @ pred
            noise = self.noise_scale_**2 if self.noise == "normal" else w @ self._residuals**2 - (w @ self._residuals)**2
            return "num", float(w @ (pred - mean) ** 2 + noise)
        p = w @ np.asarray(self.estimator_.predict_proba(X), dtype=np.float64)
        classes = np.asarray(self.estimator_.classes_)
        if spec.kind not in DISCRETE_KINDS:
            return atoms_summary(spec, classes.astype(float), p)
        labels = [MISSING_LABEL if c < 0 else spec.levels[int(c)] for c in classes]
        return "cat", pd.Series(p, index=pd.Index(labels, dtype=object)).groupby(level=0, sort=False).sum()

    def _fitted_params(self):
        params = {"n_rows": float(self._w.sum())}
        vector = self.parameter_vector()
        if vector is not None:
            params["coefficients"] = vector
        if not self._classify:
            params["noise_scale"] = self.noise_scale_
        if self.features_ is not None and callable(getattr(self.features_, "get_fitted_params", None)):
            params["features"] = self.features_.get_fitted_params()
        return params

    def _parameter_vector(self):
        model = self.estimator_
        if isinstance(model, Pipeline):
            model = model.steps[-1][1]
        coef = getattr(model, "coef_", None)
        if coef is None:
            return None
        intercept = np.atleast_1d(np.asarray(getattr(model, "intercept_", 0.0), dtype=np.float64))
        return np.concatenate([intercept, np.asarray(coef, dtype=np.float64).ravel()])



def _draw(cdf, u):
    """Indices drawn with probabilities ``Δcdf`` (rows of weight 0 are never drawn)."""
    return np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), len(cdf) - 1)


def _fit(estimator, X, y, sample_weight):
    if sample_weight is None:
        return estimator.fit(X, y)
    if isinstance(estimator, Pipeline):
        return estimator.fit(X, y, **{f"{estimator.steps[-1][0]}__sample_weight": sample_weight})
    if "sample_weight" not in inspect.signature(estimator.fit).parameters:
        raise TypeError(f"ConditionalGenerator: {type(estimator).__name__}.fit takes no sample_weight, which "
                        "weighted rows (a pool's real_weight) need; use an estimator that takes it.")
    return estimator.fit(X, y, sample_weight=sample_weight)


class _Design:
    """The default estimator's design matrix: weighted-standardised numbers (missing: 0 and an indicator), one-hot levels.

    Its constants come from the weighted rows of the fit, so a weighted fit equals a fit on repeated rows.
    """

    def __init__(self, schema, feats, w):
        self.schema = schema
        self.centre, self.scale, self.missing = {}, {}, {}
        for spec in schema.columns:
            if spec.kind in DISCRETE_KINDS:
                continue
            v = feats[spec.name]
            ok = ~np.isnan(v)
            wo = w[ok]
            mean = float(wo @ v[ok] / wo.sum()) if wo.sum() > 0 else 0.0
            sd = float(np.sqrt(wo @ (v[ok] - mean) ** 2 / wo.sum())) if wo.sum() > 0 else 0.0
            self.centre[spec.name], self.scale[spec.name] = mean, (sd if sd > 0 else 1.0)
            self.missing[spec.name] = bool(w[~ok].sum() > 0)

    def transform(self, feats, n):
        blocks = []
        for spec in self.schema.columns:
            v = np.asarray(feats[spec.name])
            if spec.kind in DISCRETE_KINDS:
                codes = v.astype(np.int64)
                # one column per level and one for missing values (code -1)
                onehot = np.zeros((n, len(spec.levels) + 1))
                onehot[np.arange(n), np.where(codes < 0, len(spec.levels), codes)] = 1.0
                blocks.append(onehot)
                continue
            missing = np.isnan(v)
            blocks.append(np.where(missing, 0.0, (v - self.centre[spec.name]) / self.scale[spec.name])[:, None])
            if self.missing[spec.name]:
                blocks.append(missing[:, None].astype(np.float64))
        return np.hstack(blocks)
