"""The report of a recursive study says only what its numbers show: per-generator verdicts, intervals
inside the metric's range, every configured metric, readable figures."""

import re

import numpy as np
import pytest

from synthloop.evaluation._intervals import Interval, mean_interval
from synthloop.study import load_config, make_report, read_results, run_study, smoke_config
from synthloop.study.kinds._recursive_report import (HOLDS_MARGIN, cell_verdicts, change_verdict, collapse_figure,
                                                     utility_figure)

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    cfg = {
        "name": "tiny-adult", "kind": "recursive", "seeds": [0, 1], "n_generations": 2,
        "datasets": [{"name": "adult", "bundled": "adult", "target": "income", "n_rows": 200}],
        "generators": {"mvn": {"model": "multivariate_normal", "columns": "numeric"},
                       "categorical": {"model": "categorical", "columns": "categorical",
                                       "params": {"structure": "independent"}}},
        "schedules": ["constant", "linear"], "pools": ["replace", "accumulate"],
        "evaluation": {"estimators": ["logistic_regression"], "metrics": ["roc_auc", "accuracy"]},
    }
    out = tmp_path_factory.mktemp("study")
    run_study(cfg, out / "res", progress=False)
    results, meta = read_results(out / "res")
    index = make_report(out / "res", out / "report")
    return results, meta, index


def _args(results, meta):
    cfg = meta["config"]
    colors = dict(zip(cfg["schedules"], plt.get_cmap("tab10").colors))
    return list(cfg["generators"]), cfg["schedules"], cfg["pools"], colors


def test_interval_is_clipped_to_the_metric_range_and_says_so():
    iv = mean_interval([0.2, 0.9, 0.95], metric="roc_auc")
    assert (iv.low, iv.high, iv.clipped) == (0.0, 1.0, True)
    free = mean_interval([0.2, 0.9, 0.95])  # no metric: the plain t-interval
    assert free.low < 0 and free.high > 1 and not free.clipped
    assert np.isclose(free.mean, iv.mean)
    narrow = mean_interval([0.80, 0.81, 0.82], metric="accuracy")
    assert not narrow.clipped and 0.78 < narrow.low < narrow.high < 0.84


@pytest.mark.parametrize("change, verdict", [
    (Interval(-0.05, -0.07, -0.03, 12, False), "loses 0.050 [0.030, 0.070]"),
    (Interval(-0.004, -0.006, -0.002, 12, False), "loses 0.004 [0.002, 0.006]"),  # small, but separable
    (Interval(0.0, -HOLDS_MARGIN + 0.001, 0.014, 12, False), "holds"),
    (Interval(0.05, 0.02, 0.08, 12, False), "holds"),  # a gain
    (Interval(-0.01, -HOLDS_MARGIN - 0.001, 0.02, 12, False), "not separable from generation 0 with 12 seeds"),
    (Interval(-0.2, np.nan, np.nan, 1, False), "not separable from generation 0 with 1 seed"),
])
def test_change_verdict(change, verdict):
    assert change_verdict(change, change.n) == verdict


def test_one_verdict_per_generator_schedule_and_pool_from_its_own_rows(study):
    results, meta, _ = study
    gens, scheds, pools, _ = _args(results, meta)
    rows = cell_verdicts(results[results["dataset"] == "adult"], ["logistic_regression:roc_auc",
                                                                   "logistic_regression:accuracy"],
                         gens, scheds, pools, 2)
    assert [(r["generator"], r["schedule"], r["pool"]) for r in rows] == [
        (g, s, p) for g in gens for s in scheds for p in pools]
    for r in rows:
        cell = results[(results["generator"] == r["generator"]) & (results["schedule"] == r["schedule"])
                       & (results["pool"] == r["pool"])].set_index(["seed", "generation"])
        col = "synthetic:logistic_regression:roc_auc"
        change = [cell.loc[(s, 2), col] - cell.loc[(s, 0), col] for s in (0, 1)]
        assert np.isclose(r["change:roc_auc"].mean, np.mean(change))
        assert r["verdict:roc_auc"] == change_verdict(r["change:roc_auc"], 2)
        assert -1 <= r["change:roc_auc"].low <= r["change:roc_auc"].high <= 1


def test_report_shows_every_metric_trtr_per_generator_and_intervals_in_range(study):
    results, _, index = study
    page = index.read_text()
    for metric in ("roc_auc", "accuracy"):
        assert (index.parent / f"utility_adult_logistic_regression_{metric}.png").stat().st_size > 5000
        assert f"Utility per generation: logistic_regression, {metric}" in page
        assert f"{metric}: verdict" in page
    assert "TRTR per generator" in page and "each generator models its own columns" in page
    assert "clipped to the metric's range" in page
    # scores and their changes print 3 decimals (levels in [0, 1], changes in [-1, 1])
    ends = [float(x.rstrip("*")) for pair in re.findall(r"\[(-?\d\.\d{3}\*?), (-?\d\.\d{3}\*?)\]", page)
            for x in pair]
    assert len(ends) > 100 and min(ends) >= -1 and max(ends) <= 1
    assert "*" in page  # with 2 seeds some t-interval reaches a bound, and is marked as clipped
    assert "This run: 2 seeds (0, 1), 2 generations" in page


def test_utility_panels_of_a_row_share_their_y_axis_inside_the_range(study):
    results, meta, _ = study
    gens, scheds, pools, colors = _args(results, meta)
    fig = utility_figure(results, "logistic_regression:roc_auc", gens, scheds, pools, colors, plt)
    axes = np.array(fig.axes).reshape(len(gens), len(pools))
    for i, row in enumerate(axes):
        assert row[0].get_shared_y_axes().joined(row[0], row[1])
        assert not row[0].get_shared_y_axes().joined(row[0], axes[(i + 1) % len(gens)][0])
        low, high = row[0].get_ylim()
        assert 0 <= low < high <= 1
    fig.canvas.draw()
    low, high = axes[-1][0].get_xlim()
    ticks = [t.get_text() for t in axes[-1][0].get_xticklabels() if low <= t.get_position()[0] <= high]
    assert ticks and all(re.fullmatch(r"\d+", t) for t in ticks)  # integer generations, also at T = 2
    plt.close(fig)


def test_collapse_legend_hides_no_line_and_log_ticks_are_plain_numbers(study):
    results, meta, _ = study
    gens, scheds, pools, colors = _args(results, meta)
    fig = collapse_figure(results, gens, scheds, pools, colors, plt, meta["config"])
    fig.canvas.draw()
    assert not any(ax.get_legend() for ax in fig.axes)
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert set(gens) | set(scheds) <= set(labels)
    box = legend.get_window_extent()
    assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes)
    log_ax = next(ax for ax in fig.axes if ax.get_yscale() == "log")
    ticks = [t.get_text() for t in log_ax.get_yticklabels() if t.get_text()]
    assert len(ticks) >= 2 and all(re.fullmatch(r"\d+(\.\d+)?", t) for t in ticks)
    plt.close(fig)


def test_smoke_description_states_its_real_size():
    small = smoke_config(load_config("german_credit_recursive"))
    assert small.data["description"].startswith(
        "Smoke run of german_credit_recursive (1 seed, 2 generations, at most 300 rows per dataset)")
