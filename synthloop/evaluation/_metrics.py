"""Default estimators and scores of the utility evaluator.

Scores are computed here rather than by scikit-learn's scorers so that every
binary metric names its positive label explicitly (the minority class unless
told otherwise; never "the first label seen" nor "whichever sorts last"), and
so that a model trained on a collapsed synthetic target (one class) is scored
as what it is, a constant predictor, with undefined ranking metrics as NaN and
a note saying why.
"""

import warnings

import numpy as np
from sklearn import metrics as skm
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DEFAULT_SCORING = {
    "binary": ["roc_auc", "accuracy", "balanced_accuracy"],
    "multiclass": ["roc_auc_ovr", "accuracy", "balanced_accuracy"],
    "regression": ["r2", "neg_mean_absolute_error"],
}


def _linear_preprocessor():
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    # OneHotEncoder treats a missing value as a level of its own.
    categorical = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("categorical", categorical, make_column_selector(dtype_include="category")),
        ]
    )


def default_estimators(task):
    """The two default models for ``task`` ("binary", "multiclass" or "regression")."""
    if task == "regression":
        return {
            "ridge": make_pipeline(_linear_preprocessor(), Ridge()),
            "hist_gradient_boosting": HistGradientBoostingRegressor(categorical_features="from_dtype"),
        }
    return {
        "logistic_regression": make_pipeline(_linear_preprocessor(), LogisticRegression(max_iter=1000)),
        "hist_gradient_boosting": HistGradientBoostingClassifier(categorical_features="from_dtype"),
    }


# ----------------------------------------------------------------- scores
def _positive_scores(est, X, pos_label):
    classes = list(est.classes_)
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)[:, classes.index(pos_label)]
    d = np.asarray(est.decision_function(X))
    return d if classes[1] == pos_label else -d


def _class_probabilities(est, X, classes):
    """Probabilities aligned with the real classes (0 for classes the model never saw)."""
    proba = est.predict_proba(X)
    out = np.zeros((proba.shape[0], len(classes)))
    index = {c: j for j, c in enumerate(classes)}
    for k, c in enumerate(est.classes_):
        if c in index:
            out[:, index[c]] = proba[:, k]
    total = out.sum(axis=1, keepdims=True)
    # Mass on labels the real data never had is dropped; renormalise.
    return np.divide(out, total, out=np.full_like(out, 1.0 / len(classes)), where=total > 0)


def _one_class(est):
    return len(getattr(est, "classes_", [0, 1])) < 2


def _ranking(fn):
    """A binary score from the positive label's score; NaN if the model has one class."""

    def score(est, X, y, ctx):
        if _one_class(est):
            return np.nan, (
                f"the model was trained on one class ({est.classes_[0]!r}); "
                "a ranking metric is undefined for a constant predictor"
            )
        if ctx["pos_label"] not in list(est.classes_):
            return np.nan, f"the model never saw the positive label {ctx['pos_label']!r}"
        return fn(y == ctx["pos_label"], _positive_scores(est, X, ctx["pos_label"])), None

    return score


def _roc_auc_ovr(est, X, y, ctx):
    if _one_class(est):
        return np.nan, (
            f"the model was trained on one class ({est.classes_[0]!r}); "
            "ROC AUC is undefined for a constant predictor"
        )
    proba = _class_probabilities(est, X, ctx["classes"])
    return skm.roc_auc_score(y, proba, multi_class="ovr", labels=ctx["classes"]), None


def _log_loss(est, X, y, ctx):
    proba = _class_probabilities(est, X, ctx["classes"])
    return -skm.log_loss(y, np.clip(proba, 1e-15, 1.0), labels=ctx["classes"]), None


def _predicted(fn):
    def score(est, X, y, ctx):
        with warnings.catch_warnings():
            # balanced_accuracy warns when predictions hold labels y lacks; that is the point.
            warnings.simplefilter("ignore", UserWarning)
            return fn(y, est.predict(X)), None

    return score


def _binary_predicted(fn):
    def score(est, X, y, ctx):
        return fn(y, est.predict(X), pos_label=ctx["pos_label"], average="binary", zero_division=0.0), None

    return score


def _neg(fn):
    def score(est, X, y, ctx):
        return -fn(y, est.predict(X)), None

    return score


CLASSIFICATION_SCORES = {
    "binary": {
        "roc_auc": _ranking(skm.roc_auc_score),
        "average_precision": _ranking(skm.average_precision_score),
        "f1": _binary_predicted(skm.f1_score),
        "precision": _binary_predicted(skm.precision_score),
        "recall": _binary_predicted(skm.recall_score),
    },
    "any": {
        "accuracy": _predicted(skm.accuracy_score),
        "balanced_accuracy": _predicted(skm.balanced_accuracy_score),
        "neg_log_loss": _log_loss,
    },
    "multiclass": {"roc_auc_ovr": _roc_auc_ovr},
}

REGRESSION_SCORES = {
    "r2": _predicted(skm.r2_score),
    "explained_variance": _predicted(skm.explained_variance_score),
    "neg_mean_absolute_error": _neg(skm.mean_absolute_error),
    "neg_mean_squared_error": _neg(skm.mean_squared_error),
    "neg_root_mean_squared_error": _neg(skm.root_mean_squared_error),
    "neg_median_absolute_error": _neg(skm.median_absolute_error),
}


#: The range of each built-in score (all are greater-is-better); intervals around a mean score are
#: clipped to it. Scores not listed (a scikit-learn scorer name, a callable) are unbounded.
SCORE_RANGES = {
    **dict.fromkeys(("roc_auc", "roc_auc_ovr", "average_precision", "f1", "precision", "recall", "accuracy",
                     "balanced_accuracy"), (0.0, 1.0)),
    **dict.fromkeys(("r2", "explained_variance"), (-np.inf, 1.0)),
    **dict.fromkeys(("neg_log_loss", *(k for k in REGRESSION_SCORES if k.startswith("neg_"))), (-np.inf, 0.0)),
}


def score_range(metric):
    """``(low, high)`` of a metric's scores; ``(-inf, inf)`` for a metric synthloop does not know."""
    return SCORE_RANGES.get(metric, (-np.inf, np.inf))


def _from_scorer(scorer):
    def score(est, X, y, ctx):
        return float(scorer(est, X, y)), None

    return score


def resolve_scoring(scoring, task, *, owner, target):
    """``{name: fn(estimator, X, y, ctx) -> (score, note)}`` for ``task``."""
    if scoring is None:
        scoring = DEFAULT_SCORING[task]
    if isinstance(scoring, str):
        scoring = [scoring]
    if isinstance(scoring, dict):
        out = {}
        for name, fn in scoring.items():
            if isinstance(fn, str):
                out[str(name)] = resolve_scoring([fn], task, owner=owner, target=target)[fn]
            elif callable(fn):
                out[str(name)] = _from_scorer(fn)
            else:
                raise TypeError(
                    f"{owner}: scoring[{name!r}] must be a scorer name or a callable "
                    f"scorer(estimator, X, y); got {type(fn).__name__}."
                )
        return out
    if task == "regression":
        own, wrong = REGRESSION_SCORES, {**CLASSIFICATION_SCORES["binary"], **CLASSIFICATION_SCORES["any"],
                                         **CLASSIFICATION_SCORES["multiclass"]}
    else:
        own = {**CLASSIFICATION_SCORES["any"], **CLASSIFICATION_SCORES[task]}
        other = "multiclass" if task == "binary" else "binary"
        wrong = {**REGRESSION_SCORES, **CLASSIFICATION_SCORES[other]}
    out = {}
    for name in scoring:
        if not isinstance(name, str):
            raise TypeError(
                f"{owner}: scoring must hold scorer names (str) or be a dict name -> scorer; "
                f"got {name!r} ({type(name).__name__})."
            )
        if name in own:
            out[name] = own[name]
        elif name in wrong:
            raise ValueError(
                f"{owner}: metric {name!r} does not apply to the target {target!r}, which is {task}; "
                f"use one of {sorted(own)}."
            )
        else:
            try:
                out[name] = _from_scorer(skm.get_scorer(name))
            except ValueError:
                raise ValueError(
                    f"{owner}: unknown metric {name!r}; use one of {sorted(own)} or a scikit-learn "
                    "scorer name (`sklearn.metrics.get_scorer_names()`)."
                ) from None
    return out
