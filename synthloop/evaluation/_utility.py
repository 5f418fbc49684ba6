"""Downstream utility: train on synthetic, test on real (TSTR) against real-only (TRTR)."""

import functools
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target

from ..exceptions import FailedScoresWarning
from ..utils._random import as_seed_sequence, child_seed, child_seeds
from ..utils._sklearn_compat import Interval, RealNotInt, _validate_shuffle_split
from ..utils._threads import one_native_thread
from ._checks import FeatureSpec, check_frame, check_same_columns, target_labels
from ._fidelity import fidelity_report
from ._metrics import default_estimators, resolve_scoring
from ._report import UtilityReport

__all__ = ["UtilityEvaluator", "UtilityReport"]

SCORE_COLUMNS = [
    "repeat", "generation", "estimator", "metric", "train_on", "score", "gap", "n_train",
    "note", "error", "split_seed", "fit_seed", "sample_seed", "estimator_seed",
]

# Child seeds are addressed by a key under the one root SeedSequence, so a
# cell's seed does not depend on how many generations or tasks there are.
_SPLIT, _FIT, _SAMPLE, _ESTIMATOR, _FIDELITY = range(5)


class UtilityEvaluator(BaseEstimator):
    """Downstream utility of synthetic tables: train on synthetic, test on real.

    For each repeat the real table is split (stratified for classification)
    into train and test rows. A clone of the synthesizer is fitted on the real
    train rows; every generation it keeps draws as many rows as the real train
    split, each estimator is trained on them (TSTR, ``train_on="synthetic"``)
    and on the real train rows themselves (TRTR, ``train_on="real"``, the
    real-only baseline), and both are scored on the real test rows.

    Parameters
    ----------
    target : str
        The column to predict. A float target (with non-integer values) is a
        regression; any other target (labels, bools, integers) a
        classification, binary or multiclass. Cast an integer target to float
        to treat it as a regression.
    estimators : dict of str -> estimator, default=None
        The models, by name. Each is cloned, and every ``random_state``
        parameter in it (nested ones included) is set to a recorded child
        seed, per repeat and estimator. They receive the feature columns
        (all but ``target``) as a DataFrame: numbers as float64 with NaN for
        missing values, datetimes as float seconds, everything else as a
        pandas ``category`` whose categories are the real table's levels (a
        synthetic level the real table lacks becomes missing). ``None`` uses
        a logistic regression (ridge for regression) after median imputation,
        scaling and one-hot encoding, and a histogram gradient boosting model
        with native categorical support.
    scoring : str, list of str or dict, default=None
        Metric names, or a dict name -> name or callable
        ``scorer(estimator, X, y)``. ``None``: ``roc_auc``, ``accuracy`` and
        ``balanced_accuracy`` for a binary target (``roc_auc_ovr`` for a
        multiclass one), ``r2`` and ``neg_mean_absolute_error`` for a
        regression. Every score is greater-is-better, so a negative ``gap``
        always means the synthetic data did worse. The binary metrics
        ``roc_auc``, ``average_precision``, ``f1``, ``precision`` and
        ``recall`` are computed for ``pos_label``; other scikit-learn scorer
        names are passed to :func:`sklearn.metrics.get_scorer` as they are.
    pos_label : label, default=None
        The positive class of a binary target. ``None`` takes the minority
        class of the real table (ties go to the larger label); the label used
        is reported as ``UtilityReport.pos_label``.
    test_size : float or int, default=0.25
        Fraction (or number) of real rows held out for testing in each repeat.
    n_repeats : int, default=3
        Number of independent splits (and synthesizer fits).
    fidelity : bool, default=True
        Also record :func:`fidelity_report` of each synthetic table against
        the real train rows (``UtilityReport.fidelity``).
    n_jobs : int, default=None
        Parallel jobs over the (repeat, generation) cells (joblib). Results do
        not depend on it. Each task (a synthesizer fit, a cell's estimator
        fits and fidelity report) runs with native thread pools (OpenMP,
        BLAS) limited to one thread, so ``n_jobs`` is the only parallelism:
        see Notes.
    random_state : None, int or RandomState, default=None
        Root of one :class:`numpy.random.SeedSequence` from which every split,
        synthesizer fit, sample, estimator and discriminator seed is derived;
        all are recorded in the results.

    See Also
    --------
    fidelity_report : Distances between a synthetic and a real table.
    plot_utility : Draw the scores per generation.

    Notes
    -----
    An estimator gets the same seed on the real rows and on every generation
    of a repeat (common random numbers): the gap then measures the data, not
    the seed. So a generator that returns the real train rows scores exactly
    the real-only baseline.

    A synthetic target collapsed to one class is a result, not an error: a
    constant predictor (:class:`~sklearn.dummy.DummyClassifier`) stands in
    for the estimator, its accuracy is the share of that class in the test
    rows, ranking metrics (ROC AUC) are NaN and the ``note`` column says why.
    An estimator that fails on a generation leaves its message in the
    ``error`` column (score NaN) and the evaluation goes on, with a warning.

    Threads. HistGradientBoosting and BLAS start a native thread per core in
    every fit; on the small fits of an evaluation those threads oversubscribe
    the cores, the more so under joblib or on a busy machine (1,500 Adult
    rows, 2 repeats, 3 generations took 14 times as long as with
    ``OMP_NUM_THREADS=1`` on a busy 2-core machine). The evaluator therefore
    limits them to one thread inside each task (threadpoolctl, restored
    afterwards); use ``n_jobs`` to use more cores.
    ``benchmarks/bench_evaluator_threads.py`` compares the two.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from synthloop import MultivariateNormalGenerator, UtilityEvaluator
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> X = pd.DataFrame({"x": x, "y": (x + rng.normal(size=400) > 0).astype(int)})
    >>> evaluator = UtilityEvaluator("y", estimators={"logit": LogisticRegression()},
    ...                              scoring=["roc_auc"], n_repeats=2, fidelity=False, random_state=0)
    >>> report = evaluator.evaluate(MultivariateNormalGenerator(), X)
    >>> report.scores[["repeat", "generation", "train_on", "metric"]].head(2)
       repeat  generation   train_on   metric
    0       0        <NA>       real  roc_auc
    1       0           0  synthetic  roc_auc
    >>> report.pos_label
    1
    >>> s = report.summary()
    >>> list(s.columns)
    ['generation', 'estimator', 'metric', 'n_repeats', 'real', 'synthetic', 'gap', 'gap_ci_low', 'gap_ci_high', 'n_errors']
    >>> bool(abs(s["gap"].iloc[0]) < 0.05)
    True
    """

    _parameter_constraints: dict = {
        "target": [str],
        "estimators": [dict, None],
        "scoring": [str, list, tuple, dict, None],
        "pos_label": "no_validation",
        "test_size": [Interval(RealNotInt, 0, 1, closed="neither"), Interval(Integral, 1, None, closed="left")],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "fidelity": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(self, target, *, estimators=None, scoring=None, pos_label=None, test_size=0.25, n_repeats=3,
                 fidelity=True, n_jobs=None, random_state=None):
        self.target = target
        self.estimators = estimators
        self.scoring = scoring
        self.pos_label = pos_label
        self.test_size = test_size
        self.n_repeats = n_repeats
        self.fidelity = fidelity
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------- evaluate
    def evaluate(self, synthesizer, X):
        """Fit ``synthesizer`` on real train rows and score every kept generation.

        Parameters
        ----------
        synthesizer : generator or RecursiveSynthesizer
            Anything with ``fit(X)`` and ``sample(n_samples, random_state=)``.
            If, once fitted, it has ``generators_`` and
            ``sample(..., generation=)`` (a :class:`RecursiveSynthesizer`),
            every kept generation is evaluated; otherwise it is one
            generation, numbered 0. It is cloned; its ``random_state`` is set
            to a recorded seed per repeat (``fit_seed``).
        X : DataFrame
            The real table, ``target`` included.

        Returns
        -------
        UtilityReport
            ``scores`` has one row per repeat, generation (``<NA>`` for the
            real-only rows), estimator and metric.
        """
        self._validate_params()
        owner = f"{type(self).__name__}.evaluate"
        if not (callable(getattr(synthesizer, "fit", None)) and callable(getattr(synthesizer, "sample", None))):
            raise TypeError(
                f"{owner} needs a synthesizer with fit(X) and sample(n_samples, random_state=...) methods "
                f"(a synthloop generator or RecursiveSynthesizer); got {type(synthesizer).__name__}."
            )
        check_frame(X, owner=owner)
        X = X.reset_index(drop=True)
        ctx = self._real_target(X[self._check_target(X, owner, "X")], owner)
        n = len(X)
        try:
            n_train, n_test = _validate_shuffle_split(n, self.test_size, None)
        except ValueError as exc:
            raise ValueError(f"{owner}: test_size={self.test_size!r} does not fit a table of {n} rows: {exc}") from None
        self._check_split_sizes(ctx, n_train, n_test, owner)
        estimators = self._estimators(ctx["task"])
        scoring = resolve_scoring(self.scoring, ctx["task"], owner=owner, target=self.target)
        spec = FeatureSpec(X.drop(columns=self.target))
        seed, root = self._root_seed()

        splits = []
        for r in range(self.n_repeats):
            split_seed = child_seed(root, _SPLIT, r)
            stratify = ctx["labels"] if ctx["task"] != "regression" else None
            train_idx, test_idx = train_test_split(np.arange(n), test_size=self.test_size, stratify=stratify,
                                                   random_state=split_seed)
            splits.append((split_seed, np.sort(train_idx), np.sort(test_idx)))

        parallel = Parallel(n_jobs=self.n_jobs)
        fits = parallel(
            delayed(_fit_synthesizer)(synthesizer, X.iloc[tr].reset_index(drop=True), child_seed(root, _FIT, r))
            for r, (_, tr, _) in enumerate(splits)
        )
        cells = []
        for r, ((split_seed, tr, te), (fitted, generations)) in enumerate(zip(splits, fits)):
            train = X.iloc[tr].reset_index(drop=True)
            test = X.iloc[te].reset_index(drop=True)
            common = dict(repeat=r, train=train, test=test, split_seed=split_seed, fit_seed=child_seed(root, _FIT, r),
                          estimator_seeds=[child_seed(root, _ESTIMATOR, r, e) for e in range(len(estimators))])
            cells.append(dict(common, generation=pd.NA, source=None))
            for label, kwargs in generations:
                cells.append(dict(common, generation=label,
                                  source=(fitted, kwargs, child_seed(root, _SAMPLE, r, label)),
                                  fidelity_seed=child_seed(root, _FIDELITY, r, label)))
        results = parallel(
            delayed(_run_cell)(cell, target=self.target, estimators=estimators, scoring=scoring, ctx=ctx,
                               spec=spec, fidelity=self.fidelity, owner=owner)
            for cell in cells
        )
        return self._report(results, ctx, estimators, scoring, seed, generation_dtype="Int64")

    def evaluate_frames(self, real_train, real_test, synthetic):
        """Score synthetic tables made elsewhere (e.g. by SDV) against real-only training.

        Parameters
        ----------
        real_train : DataFrame
            The real rows the synthetic tables were made from (TRTR trains on them).
        real_test : DataFrame
            Held-out real rows, never seen by the generators; both models are
            scored on them.
        synthetic : DataFrame or dict of str -> DataFrame
            The synthetic tables, by name (a single DataFrame is named
            ``"synthetic"``). The name is the ``generation`` of its rows.

        Returns
        -------
        UtilityReport
            With ``n_repeats`` repeats that differ only in the estimators' seeds
            (``split_seed``, ``fit_seed`` and ``sample_seed`` are missing).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from sklearn.linear_model import LogisticRegression
        >>> from synthloop import UtilityEvaluator
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=300)
        >>> X = pd.DataFrame({"x": x, "y": np.where(x > 0, "yes", "no")})
        >>> shuffled = X.assign(y=rng.permutation(X["y"].to_numpy()))
        >>> ev = UtilityEvaluator("y", estimators={"logit": LogisticRegression()},
        ...                       scoring="accuracy", n_repeats=1, fidelity=False, random_state=0)
        >>> report = ev.evaluate_frames(X[:200], X[200:], {"copy": X[:200], "noise": shuffled[:200]})
        >>> report.summary()[["generation", "gap"]].round(1)
          generation  gap
        0       copy  0.0
        1      noise -0.4
        """
        self._validate_params()
        owner = f"{type(self).__name__}.evaluate_frames"
        check_frame(real_train, owner=owner, what="real_train")
        check_frame(real_test, owner=owner, what="real_test")
        if isinstance(synthetic, pd.DataFrame):
            synthetic = {"synthetic": synthetic}
        if not isinstance(synthetic, dict) or not synthetic:
            raise TypeError(
                f"{owner} expects synthetic to be a DataFrame or a non-empty dict name -> DataFrame; "
                f"got {type(synthetic).__name__}{' (empty)' if isinstance(synthetic, dict) else ''}."
            )
        self._check_target(real_train, owner, "real_train")
        self._check_target(real_test, owner, "real_test")
        real_test = check_same_columns(real_train, real_test, owner=owner, name="real_test", what="table")
        for name, frame in synthetic.items():
            check_frame(frame, owner=owner, what=f"synthetic table {name!r}")
            self._check_target(frame, owner, f"synthetic table {name!r}")
            synthetic[name] = check_same_columns(real_train, frame, owner=owner, name=name)
        real_train, real_test = real_train.reset_index(drop=True), real_test.reset_index(drop=True)
        ctx = self._real_target(pd.concat([real_train[self.target], real_test[self.target]], ignore_index=True),
                                owner)
        if ctx["task"] != "regression":
            for what, frame in (("real_train", real_train), ("real_test", real_test)):
                labels = frame[self.target].dropna().unique()
                if len(labels) < 2:
                    raise ValueError(
                        f"{owner}: the target {self.target!r} has one class ({labels[0]!r}) in {what}; "
                        "training and scoring need at least two classes in each real table."
                    )
        estimators = self._estimators(ctx["task"])
        scoring = resolve_scoring(self.scoring, ctx["task"], owner=owner, target=self.target)
        spec = FeatureSpec(pd.concat([real_train, real_test], ignore_index=True).drop(columns=self.target))
        seed, root = self._root_seed()
        cells = []
        for r in range(self.n_repeats):
            common = dict(repeat=r, train=real_train, test=real_test, split_seed=pd.NA, fit_seed=pd.NA,
                          estimator_seeds=[child_seed(root, _ESTIMATOR, r, e) for e in range(len(estimators))])
            cells.append(dict(common, generation=None, source=None))
            for g, (name, frame) in enumerate(synthetic.items()):
                cells.append(dict(common, generation=str(name), source=frame,
                                  fidelity_seed=child_seed(root, _FIDELITY, r, g)))
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_run_cell)(cell, target=self.target, estimators=estimators, scoring=scoring, ctx=ctx,
                               spec=spec, fidelity=self.fidelity, owner=owner)
            for cell in cells
        )
        return self._report(results, ctx, estimators, scoring, seed, generation_dtype=object)

    # -------------------------------------------------------------- helpers
    def _check_target(self, frame, owner, what):
        if self.target not in frame.columns:
            cols = list(frame.columns)
            raise KeyError(
                f"{owner}: the target column {self.target!r} is not in {what}, whose columns are "
                f"{cols[:20]}{' ...' if len(cols) > 20 else ''}. Pass UtilityEvaluator(target=<a column name>)."
            )
        return self.target

    def _real_target(self, y, owner):
        if y.isna().any():
            raise ValueError(
                f"{owner}: the target {self.target!r} has {int(y.isna().sum())} missing value(s) in the real "
                "table; drop those rows (`X.dropna(subset=[target])`) before evaluating."
            )
        labels = target_labels(y)
        kind = type_of_target(labels)
        if kind == "continuous":
            return {"task": "regression", "labels": labels, "classes": None, "pos_label": None}
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"{owner}: cannot tell what to predict from the target {self.target!r} "
                f"(scikit-learn sees a {kind!r} target of dtype {y.dtype})."
            )
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise ValueError(
                f"{owner}: the target {self.target!r} has one class ({classes[0]!r}) in the real table; "
                "a classifier needs at least two. Choose another target, or cast a numeric one to float "
                "for a regression."
            )
        task = "binary" if len(classes) == 2 else "multiclass"
        pos_label = None
        if task == "binary":
            if self.pos_label is None:
                # The minority class; ties go to the larger label, scikit-learn's usual positive.
                pos_label = classes[::-1][np.argmin(counts[::-1])]
            elif self.pos_label in list(classes):
                pos_label = self.pos_label
            else:
                raise ValueError(
                    f"{owner}: pos_label={self.pos_label!r} is not a class of the target {self.target!r}; "
                    f"its classes are {classes.tolist()}."
                )
            pos_label = pos_label.item() if isinstance(pos_label, np.generic) else pos_label
        return {"task": task, "labels": labels, "classes": classes, "pos_label": pos_label,
                "counts": dict(zip(classes.tolist(), counts.tolist()))}

    def _check_split_sizes(self, ctx, n_train, n_test, owner):
        if ctx["task"] == "regression":
            if n_test < 2 or n_train < 2:
                raise ValueError(
                    f"{owner}: test_size={self.test_size!r} leaves {n_train} train and {n_test} test rows; "
                    "both need at least 2. Use more rows or another test_size."
                )
            return
        rare = {c: k for c, k in ctx["counts"].items() if k < 2}
        if rare:
            raise ValueError(
                f"{owner}: stratified splitting needs at least 2 rows per class; the target {self.target!r} "
                f"has class(es) {rare} (label: rows). Drop or merge the rare classes."
            )
        k = len(ctx["classes"])
        if n_test < k or n_train < k:
            raise ValueError(
                f"{owner}: test_size={self.test_size!r} gives {n_test} test and {n_train} train rows, too few to "
                f"hold each of the {k} classes of {self.target!r} in both (stratified split). "
                "Use a larger test_size or more rows."
            )

    def _estimators(self, task):
        if self.estimators is None:
            return default_estimators(task)
        if not self.estimators:
            raise ValueError(f"{type(self).__name__}: estimators is an empty dict; give at least one or None.")
        for name, est in self.estimators.items():
            if not hasattr(est, "fit") or not hasattr(est, "predict"):
                raise TypeError(
                    f"{type(self).__name__}: estimators[{name!r}] must be a scikit-learn estimator with fit "
                    f"and predict; got {type(est).__name__}."
                )
        return {str(k): v for k, v in self.estimators.items()}

    def _root_seed(self):
        # One recorded 32-bit root seed (drawn if random_state is not an int), so
        # that random_state=report.random_state repeats any run exactly.
        rs = self.random_state
        if isinstance(rs, Integral) and not isinstance(rs, bool):
            seed = int(rs)
        else:
            seed = int(child_seeds(rs, 1)[0])
        return seed, as_seed_sequence(seed)

    def _report(self, results, ctx, estimators, scoring, seed, generation_dtype):
        rows = [row for score_rows, _ in results for row in score_rows]
        scores = pd.DataFrame(rows, columns=[c for c in SCORE_COLUMNS if c != "gap"])
        real = scores.loc[scores["train_on"] == "real", ["repeat", "estimator", "metric", "score"]]
        merged = scores.merge(real.rename(columns={"score": "_real"}), on=["repeat", "estimator", "metric"],
                              how="left")
        gap = (merged["score"] - merged["_real"]).where(merged["train_on"] == "synthetic")
        scores.insert(6, "gap", gap.to_numpy())
        scores["generation"] = scores["generation"].astype(generation_dtype)
        for col in ("split_seed", "fit_seed", "sample_seed", "estimator_seed"):
            scores[col] = scores[col].astype("Int64")
        fidelity = None
        frames = [f for _, f in results if f is not None]
        if self.fidelity and frames:
            fidelity = pd.concat(frames, ignore_index=True)
            fidelity["generation"] = fidelity["generation"].astype(generation_dtype)
        n_err = int(scores["error"].notna().sum())
        if n_err:
            warnings.warn(
                f"{type(self).__name__}: {n_err} of {len(scores)} scores failed; "
                "their message is in the 'error' column of UtilityReport.scores.",
                FailedScoresWarning,
                stacklevel=3,
            )
        return UtilityReport(
            scores=scores, fidelity=fidelity, target=self.target, task=ctx["task"], classes=ctx["classes"],
            pos_label=ctx["pos_label"], estimators=list(estimators), metrics=list(scoring),
            random_state=seed,
        )


# ------------------------------------------------------------------ workers
def _kept_generations(fitted):
    """``[(generation label, sample kwargs)]`` of a fitted synthesizer (duck-typed)."""
    if not hasattr(fitted, "generators_"):
        return [(0, {})]
    kept = getattr(fitted, "kept_generations_", None)
    if kept is not None:
        return [(int(g), {"generation": int(g)}) for g in kept]
    n_kept = len(fitted.generators_)
    if getattr(fitted, "keep", "all") == "last":
        last = getattr(fitted, "n_generations", n_kept - 1)
        return [(int(last), {"generation": -1})]
    return [(g, {"generation": g}) for g in range(n_kept)]


def _set_seeds(estimator, seed, *, deep):
    params = estimator.get_params(deep=deep) if hasattr(estimator, "get_params") else {}
    keys = {k: seed for k in params if k == "random_state" or k.endswith("__random_state")}
    if keys:
        estimator.set_params(**keys)
    return estimator


def _one_thread(task):
    """``task`` run with native thread pools (OpenMP, BLAS) limited to one thread.

    A task's fits are small; a thread per core in each of them (HistGradientBoosting's
    OpenMP) oversubscribes the cores, many times over under joblib or on a busy machine.
    The evaluator's parallelism is ``n_jobs``, over tasks (as scikit-learn limits the
    threads of its joblib workers).
    """
    @functools.wraps(task)
    def limited(*args, **kwargs):
        with one_native_thread():
            return task(*args, **kwargs)

    return limited


@_one_thread
def _fit_synthesizer(synthesizer, train, seed):
    # Only the synthesizer's own random_state: a RecursiveSynthesizer seeds its generators itself.
    model = _set_seeds(clone(synthesizer, safe=False), seed, deep=False)
    model.fit(train)
    return model, _kept_generations(model)


def _error(exc):
    return f"{type(exc).__name__}: {exc}"


@_one_thread
def _run_cell(cell, *, target, estimators, scoring, ctx, spec, fidelity, owner):
    real_train, test = cell["train"], cell["test"]
    source = cell["source"]
    base = {"repeat": cell["repeat"], "generation": cell["generation"], "split_seed": cell["split_seed"],
            "fit_seed": cell["fit_seed"], "sample_seed": pd.NA}
    fid = None
    if source is None:
        train, base["train_on"] = real_train, "real"
    else:
        base["train_on"] = "synthetic"
        if isinstance(source, tuple):
            fitted, kwargs, sample_seed = source
            base["sample_seed"] = sample_seed
            sampled = fitted.sample(len(real_train), random_state=sample_seed, **kwargs)
            if not isinstance(sampled, pd.DataFrame):
                raise TypeError(
                    f"{owner}: generation {cell['generation']} of {type(fitted).__name__} sampled a "
                    f"{type(sampled).__name__}; the evaluator needs DataFrames (fit it on a DataFrame)."
                )
            if target not in sampled.columns:
                raise KeyError(f"{owner}: generation {cell['generation']} sampled no target column {target!r}.")
            train = check_same_columns(real_train, sampled, owner=owner,
                                       name=f"generation {cell['generation']}")
        else:
            train = source
        train = train.reset_index(drop=True)
        if fidelity:
            fid = fidelity_report(real_train, train, random_state=cell["fidelity_seed"])
            fid.insert(0, "generation", cell["generation"])
            fid.insert(0, "repeat", cell["repeat"])

    has_target = train[target].notna().to_numpy()
    base_note = None
    if not has_target.all():
        base_note = f"dropped {int((~has_target).sum())} training row(s) with a missing target"
    train = train[has_target].reset_index(drop=True)
    y_train = target_labels(train[target])
    X_train = spec.transform(train.drop(columns=target))
    X_test = spec.transform(test.drop(columns=target))
    y_test = target_labels(test[target])
    score_ctx = {"pos_label": ctx["pos_label"], "classes": ctx["classes"]}

    rows = []
    for (name, estimator), est_seed in zip(estimators.items(), cell["estimator_seeds"]):
        common = dict(base, estimator=name, n_train=len(y_train), estimator_seed=est_seed)
        note = base_note
        try:
            if len(y_train) == 0:
                raise ValueError("no training row has a target value")
            model = _set_seeds(clone(estimator), est_seed, deep=True)
            if ctx["task"] != "regression" and len(np.unique(y_train)) < 2:
                model = DummyClassifier(strategy="most_frequent")
                note = _join(note, f"training target has one class ({y_train[0]!r}): a constant predictor "
                                   f"replaced {name}")
            model.fit(X_train, y_train)
        except Exception as exc:  # noqa: BLE001 - a failed fit is a result, recorded in the row
            for metric in scoring:
                rows.append(dict(common, metric=metric, score=np.nan, note=note, error=_error(exc)))
            continue
        for metric, fn in scoring.items():
            try:
                value, metric_note = fn(model, X_test, y_test, score_ctx)
                rows.append(dict(common, metric=metric, score=float(value), note=_join(note, metric_note),
                                 error=None))
            except Exception as exc:  # noqa: BLE001
                rows.append(dict(common, metric=metric, score=np.nan, note=note, error=_error(exc)))
    return rows, fid


def _join(a, b):
    if a and b:
        return f"{a}; {b}"
    return a or b
