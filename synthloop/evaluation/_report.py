"""UtilityReport: what UtilityEvaluator.evaluate found, and its summary per generation."""

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["UtilityReport"]


class UtilityReport:
    """What :meth:`UtilityEvaluator.evaluate` found.

    Attributes
    ----------
    scores : DataFrame
        Tidy scores, one row per repeat, generation, estimator and metric:
        ``repeat``, ``generation`` (``<NA>`` on the real-only rows),
        ``estimator``, ``metric``, ``train_on`` (``"real"`` or
        ``"synthetic"``), ``score``, ``gap`` (synthetic minus the real score
        of the same repeat, estimator and metric), ``n_train`` (rows the
        estimator was trained on), ``note`` (e.g. a collapsed target),
        ``error`` (the message of a failed fit or score) and the recorded
        ``split_seed``, ``fit_seed``, ``sample_seed`` and ``estimator_seed``.
    fidelity : DataFrame or None
        :func:`fidelity_report` of each synthetic table against the real
        train rows, with ``repeat`` and ``generation`` columns (None with
        ``fidelity=False``).
    target : str
    task : {"binary", "multiclass", "regression"}
    classes : ndarray or None
        The classes of the real target.
    pos_label : label or None
        The positive class of the binary metrics.
    estimators, metrics : list of str
    random_state : int
        The root seed of the run (drawn when ``random_state`` was None or a
        RandomState): ``UtilityEvaluator(..., random_state=report.random_state)``
        repeats it exactly.
    """

    def __init__(self, *, scores, fidelity, target, task, classes, pos_label, estimators, metrics, random_state):
        self.scores = scores
        self.fidelity = fidelity
        self.target = target
        self.task = task
        self.classes = classes
        self.pos_label = pos_label
        self.estimators = estimators
        self.metrics = metrics
        self.random_state = random_state

    def __repr__(self):
        gens = self.scores["generation"].dropna().unique()
        return (
            f"UtilityReport(target={self.target!r}, task={self.task!r}, generations={len(gens)}, "
            f"repeats={self.scores['repeat'].nunique()}, estimators={self.estimators}, metrics={self.metrics})"
        )

    def summary(self, confidence=0.95):
        """Mean scores and gap per generation, estimator and metric, with a confidence interval.

        Parameters
        ----------
        confidence : float, default=0.95
            Level of the Student-t interval of the mean gap over repeats (NaN
            with fewer than two repeats scored).

        Returns
        -------
        DataFrame
            ``generation, estimator, metric, n_repeats, real, synthetic, gap,
            gap_ci_low, gap_ci_high, n_errors``; ``real`` and ``synthetic`` are
            mean scores over the repeats, ``n_repeats`` counts the repeats
            with a defined gap.
        """
        if not 0 < confidence < 1:
            raise ValueError(f"UtilityReport.summary: confidence must be in (0, 1); got {confidence!r}.")
        s = self.scores
        real = (s[s["train_on"] == "real"].groupby(["estimator", "metric"], sort=False)["score"].mean()
                .rename("real").reset_index())
        syn = s[s["train_on"] == "synthetic"]
        rows = []
        for (gen, est, met), g in syn.groupby(["generation", "estimator", "metric"], sort=False, dropna=False):
            gaps = g["gap"].dropna().to_numpy()
            k = len(gaps)
            mean = float(gaps.mean()) if k else np.nan
            half = np.nan
            if k >= 2:
                half = float(stats.t.ppf(0.5 + confidence / 2, k - 1) * gaps.std(ddof=1) / math.sqrt(k))
            rows.append({"generation": gen, "estimator": est, "metric": met, "n_repeats": k,
                         "synthetic": float(g["score"].mean()) if g["score"].notna().any() else np.nan,
                         "gap": mean, "gap_ci_low": mean - half, "gap_ci_high": mean + half,
                         "n_errors": int(g["error"].notna().sum())})
        out = pd.DataFrame(rows, columns=["generation", "estimator", "metric", "n_repeats", "synthetic", "gap",
                                          "gap_ci_low", "gap_ci_high", "n_errors"])
        out = out.merge(real, on=["estimator", "metric"], how="left")
        out["generation"] = out["generation"].astype(s["generation"].dtype)
        return out[["generation", "estimator", "metric", "n_repeats", "real", "synthetic", "gap", "gap_ci_low",
                    "gap_ci_high", "n_errors"]]
