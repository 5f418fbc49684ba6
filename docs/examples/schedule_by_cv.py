"""Choosing a schedule by cross-validation (docs/schedule_cv.rst).

A grid search over the ``schedule``, ``pool`` and ``n_generations`` of a
:class:`~synthloop.RecursiveSynthesizer` inside an imbalanced-learn
``Pipeline``, on bundled Adult: in each fold the training rows go through the
recursive loop, a classifier is trained on the last generation's synthetic
rows and scored on the fold's real test rows. Beside that utility, a second
scorer records what each setting costs (the synthetic rows its run drew), and
the ``refit`` callable picks the cheapest setting within a tolerance of the
best score. :func:`advisor_answer` asks :func:`synthloop.advise.recommend_schedule`
the same question for one pool and number of generations.

Run: ``python docs/examples/schedule_by_cv.py``. Tested by
tests/test_docs_examples.py; timed, with the advisor beside it, by
benchmarks/bench_schedule_cv.py.
"""

import numpy as np
import pandas as pd
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from synthloop import GaussianCopulaGenerator, RecursiveSynthesizer
from synthloop.advise import recommend_schedule
from synthloop.datasets import load_adult

PARAM_GRID = {
    "synth__schedule": ["constant:1000", "constant", "linear"],
    "synth__pool": ["replace", "augment"],
    "synth__n_generations": [2, 5],
}
# Largest loss of mean AUC, against the best setting, that the refit accepts for fewer rows.
TOLERANCE = 0.01


def synthetic_rows(pipeline, X, y):
    """Scorer: the synthetic rows the fitted run drew over all its generations.

    A cost, not a utility: ``cv_results_["mean_test_synthetic_rows"]`` is what
    a setting costs per fit (its ``rank_`` column ranks the most expensive
    first; nothing here uses it).
    """
    return int(pipeline.named_steps["synth"].history_["n_synthetic"].sum())


def cheapest_within(tolerance, score="roc_auc", cost="synthetic_rows"):
    """A ``refit`` callable: the cheapest setting whose mean score is within ``tolerance`` of the best."""

    def refit(cv_results):
        mean = np.asarray(cv_results[f"mean_test_{score}"], dtype=float)
        rows = np.asarray(cv_results[f"mean_test_{cost}"], dtype=float)
        near = np.flatnonzero(mean >= np.nanmax(mean) - tolerance)
        # Fewest rows first; among equally cheap settings, the better score.
        return int(near[np.lexsort((-mean[near], rows[near]))[0]])

    return refit


def make_search(param_grid=PARAM_GRID, tolerance=TOLERANCE, cv=3, random_state=0):
    """The grid search: synthesizer, then the copula's latent scores as features, then a classifier."""
    pipe = Pipeline([
        ("synth", RecursiveSynthesizer(GaussianCopulaGenerator(), random_state=random_state)),
        # Levels the synthetic rows lost to collapse come back in the real test rows: score them 0.
        ("encode", GaussianCopulaGenerator(handle_unknown="ignore")),
        ("clf", LogisticRegression(max_iter=1000)),
    ])
    return GridSearchCV(
        pipe, param_grid,
        scoring={"roc_auc": "roc_auc", "synthetic_rows": synthetic_rows},
        refit=cheapest_within(tolerance),
        cv=StratifiedKFold(cv, shuffle=True, random_state=random_state),
    )


def results_table(search):
    """One row per setting: mean AUC over the folds and its spread, synthetic rows, seconds per fit."""
    res = search.cv_results_
    table = pd.DataFrame({
        "schedule": res["param_synth__schedule"], "pool": res["param_synth__pool"],
        "n_generations": res["param_synth__n_generations"],
        "roc_auc": res["mean_test_roc_auc"], "roc_auc_sd": res["std_test_roc_auc"],
        "synthetic_rows": res["mean_test_synthetic_rows"].astype(np.int64), "fit_seconds": res["mean_fit_time"],
    })
    table["chosen"] = np.where(np.arange(len(table)) == search.best_index_, "<-", "")
    return table


def cheapest_setting(search, *, pool, n_generations, tolerance=TOLERANCE):
    """The refit rule applied to the settings of one pool and number of generations only."""
    res = search.cv_results_
    keep = (res["param_synth__pool"] == pool) & (res["param_synth__n_generations"] == n_generations)
    subset = {key: np.asarray(values)[keep] for key, values in res.items()}
    return subset["params"][cheapest_within(tolerance)(subset)]


def advisor_answer(X, y, *, pool, n_generations, tolerance=TOLERANCE, random_state=0):
    """The advisor for one pool and ``n_generations``: the cheapest schedule keeping the AUC within tolerance."""
    return recommend_schedule(X.assign(**{y.name: y}), generator=GaussianCopulaGenerator(),
                              n_generations=n_generations, tolerance=tolerance, target=y.name, pool=pool,
                              random_state=random_state)


def main():
    adult = load_adult()
    search = make_search().fit(adult.data, adult.target)
    print(results_table(search).round(4).to_string(index=False))
    print("chosen:", search.best_params_)
    return search


if __name__ == "__main__":
    main()
