"""The figures render to PNG (Agg backend) and say what they show."""

import sys

import numpy as np
import pandas as pd
import pytest
from evaluation_doubles import ShuffleGenerator, make_table
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer, UtilityEvaluator
from synthloop.evaluation import UtilityReport
from synthloop.evaluation import plot_collapse, plot_marginals, plot_utility

plt = pytest.importorskip("matplotlib.pyplot")


def _save(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    assert path.stat().st_size > 5_000
    return path


@pytest.fixture(scope="module")
def report():
    table = make_table(300)
    logit = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include="category")),
                                remainder=StandardScaler()),
        LogisticRegression(),
    )
    train, test = table.iloc[:220], table.iloc[220:]
    frames = {f"shuffle {k}": ShuffleGenerator(random_state=k).fit(train).sample(220) for k in range(2)}
    frames = {"copy": train, **frames}
    ev = UtilityEvaluator("y", estimators={"logit": logit}, scoring=["roc_auc", "accuracy"], n_repeats=2,
                          random_state=0)
    return ev.evaluate_frames(train, test, frames)


def test_plot_utility(report, tmp_path):
    fig = plot_utility(report)
    assert [ax.get_title() for ax in fig.axes] == ["roc_auc", "accuracy"]
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["logit: real only", "logit: synthetic"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["copy", "shuffle 0", "shuffle 1"]
    _save(fig, tmp_path, "utility")
    with pytest.raises(ValueError, match=r"\['f1'\] not in the report, whose metrics are \['roc_auc', 'accuracy'\]"):
        plot_utility(report, metrics=["f1"])


def test_plot_utility_stays_inside_the_metric_range_with_two_repeats():
    # Two repeats whose scores differ: the 95% t-interval (t = 12.7) runs far past [0, 1].
    scores = pd.DataFrame({
        "repeat": [0, 1, 0, 1], "generation": pd.array([pd.NA, pd.NA, 0, 0], dtype="Int64"),
        "estimator": "logit", "metric": "roc_auc", "train_on": ["real", "real", "synthetic", "synthetic"],
        "score": [0.95, 0.85, 0.9, 0.6],
    })
    rep = UtilityReport(scores=scores, fidelity=None, target="y", task="binary", classes=None, pos_label=1,
                        estimators=["logit"], metrics=["roc_auc"], random_state=0)
    fig = plot_utility(rep)
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert 0.0 <= low < 0.6 and 0.95 < high <= 1.0
    bands = np.concatenate([c.get_paths()[0].vertices[:, 1] for c in ax.collections])
    assert bands.min() >= 0.0 and bands.max() <= 1.0
    assert bands.max() == 1.0 and bands.min() == 0.0  # both bands were clipped ...
    assert "clipped to [0, 1]" in ax.get_ylabel()  # ... and the label says so
    plt.close(fig)


def test_plot_utility_over_generations(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    X = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "y": (x[:, 0] + rng.normal(size=200) > 0).astype(int)})
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(covariance="mle"), n_generations=4, keep="all")
    ev = UtilityEvaluator("y", estimators={"logit": LogisticRegression()}, scoring="roc_auc", n_repeats=2,
                          fidelity=True, random_state=0)
    rep = ev.evaluate(rs, X)
    fig = plot_utility(rep)
    xs = fig.axes[0].lines[-1].get_xdata()
    assert list(xs) == [0, 1, 2, 3, 4]
    _save(fig, tmp_path, "utility_generations")
    # The fidelity frame of the same run is a collapse history.
    fig = plot_collapse(rep.fidelity)
    assert [ax.get_title() for ax in fig.axes] == ["var_ratio"]
    assert len(fig.axes[0].lines) == 3 + 1  # one line per numeric column, and the reference at 1
    _save(fig, tmp_path, "collapse_fidelity")


def test_plot_collapse_of_a_recursive_history(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=60),
                      "c": pd.Categorical(rng.choice(list("abcdef"), 60, p=[0.4, 0.2, 0.2, 0.1, 0.05, 0.05]))})
    from synthloop import CategoricalGenerator

    rs = RecursiveSynthesizer(CategoricalGenerator(), n_generations=15, random_state=0).fit(X)
    fig = plot_collapse(rs.history_)
    assert [ax.get_title() for ax in fig.axes] == ["var_ratio", "levels", "collision"]
    assert fig.axes[1].get_legend_handles_labels()[1] == ["c"]
    levels = fig.axes[1].lines[0].get_ydata()
    assert levels[0] == 6 and np.all(np.diff(levels) <= 0)  # levels, once lost, stay lost
    _save(fig, tmp_path, "collapse_history")

    wide = pd.DataFrame({"generation": [0, 0, 1, 1], "replication": [0, 1, 0, 1],
                         "collision": [0.3, 0.32, 0.5, 0.6]})
    fig = plot_collapse(wide)
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) == 1  # the min-max band over replications
    plt.close(fig)
    with pytest.raises(ValueError, match=r"plot_collapse found none of \['var_ratio', 'levels', "
                                         r"'collision'\] in the history"):
        plot_collapse(pd.DataFrame({"generation": [0], "loss": [1.0]}))
    with pytest.raises(ValueError, match=r"plot_collapse needs a 'generation' column"):
        plot_collapse(pd.DataFrame({"t": [0]}))
    fig = plot_collapse(pd.DataFrame({"generation": [0, 1], "loss": [1.0, 0.5]}), stats="loss")
    plt.close(fig)


def test_plot_marginals(tmp_path):
    table = make_table(300)
    gens = {"generation 1": ShuffleGenerator(random_state=0).fit(table).sample(300),
            "collapsed": table.assign(x=table["x"] * 0.2, c=pd.Categorical(["a"] * 300, categories=["a", "b", "c"]))}
    fig = plot_marginals(table, gens, ["x", "c", "y"])
    assert [ax.get_title() for ax in fig.axes] == ["x", "c", "y"]
    assert fig.axes[0].get_legend_handles_labels()[1] == ["real", "generation 1", "collapsed"]
    _save(fig, tmp_path, "marginals")
    with pytest.raises(ValueError, match=r"plot_marginals: columns \['nope'\] are not in the real table"):
        plot_marginals(table, table, ["nope"])


def test_missing_matplotlib_gives_a_clear_import_error(report, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"plot_utility needs matplotlib.*pip install \"synthloop\[plot\]\""):
        plot_utility(report)
