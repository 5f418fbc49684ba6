import pytest


@pytest.fixture
def gaussian_cfg():
    """A study that runs in well under a second per cell."""
    return {"name": "tiny", "kind": "gaussian", "seeds": [0, 1], "n0": 50, "n_reps": 100,
            "generations": [3, 6], "schedules": ["constant", "linear"], "ddofs": [1, 0]}


@pytest.fixture
def recursive_cfg():
    return {
        "name": "tiny-adult", "kind": "recursive", "seeds": [0], "n_generations": 2,
        "datasets": [{"name": "adult", "bundled": "adult", "target": "income", "n_rows": 200}],
        "generators": {"mvn": {"model": "multivariate_normal", "columns": "numeric"},
                       "categorical": {"model": "categorical", "columns": "categorical",
                                       "params": {"structure": "independent"}}},
        "schedules": ["constant", "linear"], "pools": ["replace", "accumulate"],
        "evaluation": {"estimators": ["logistic_regression"], "metrics": ["roc_auc"]},
    }
