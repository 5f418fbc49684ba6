"""The collapse metrics have one set of names and one definition: history_, fidelity_report and plot_collapse agree."""

import numpy as np
import pandas as pd
import pytest

from synthloop import CategoricalGenerator, MultivariateNormalGenerator, RecursiveSynthesizer, fidelity_report
from synthloop.evaluation import collision_probability, total_variation, variance_ratio
from synthloop.evaluation._collapse import COLLAPSE_METRICS, collision, l1, levels, metric_column, var_ratio
from synthloop.evaluation._plotting import COLLAPSE_STATS


def _tables(seed, n):
    rng = np.random.default_rng(seed)
    numeric = pd.DataFrame({"x": rng.normal(size=n), "y": rng.gamma(2.0, size=n)})
    discrete = pd.DataFrame({"c": rng.choice(list("abcdef"), n, p=[0.4, 0.2, 0.2, 0.1, 0.05, 0.05]),
                             "s": rng.choice(["u", "v"], n)})
    return numeric, discrete


@pytest.mark.parametrize("make, part", [(MultivariateNormalGenerator, 0), (CategoricalGenerator, 1)])
def test_history_and_fidelity_report_give_the_same_numbers_under_the_same_names(make, part):
    # history_'s generation 0 against a reference fitted on table B is fidelity_report(B, A) for a
    # generator whose collapse summary is the empirical one (MVN's unbiased variance, the categorical's
    # level frequencies): the same names, the same definitions.
    A, B = _tables(0, 400)[part], _tables(1, 300)[part]
    reference = make().fit(B)
    history = RecursiveSynthesizer(make(), n_generations=1, reference=reference, random_state=0).fit(A).history_
    report = fidelity_report(B, A, discriminator=False).query("level == 'column'").set_index(["column", "metric"])
    value = report["value"]
    for column in A.columns:
        if part == 0:
            assert history.loc[0, metric_column("var_ratio", column, "_ref")] == pytest.approx(
                value[(column, "var_ratio")], rel=1e-12)
        else:
            assert history.loc[0, metric_column("l1", column, "_ref")] == pytest.approx(value[(column, "l1")],
                                                                                        rel=1e-12)
            assert history.loc[0, metric_column("levels", column)] == value[(column, "levels")]
            assert history.loc[0, metric_column("collision", column)] == pytest.approx(
                value[(column, "collision")], rel=1e-12)
    names = {m.split("[")[0].removesuffix("_ref") for m in history.columns if "[" in m}
    assert names <= set(COLLAPSE_METRICS) and names <= set(report.index.get_level_values("metric"))


def test_the_public_column_metrics_are_the_one_definition():
    real = pd.Series(["a", "a", "b", "c"])
    synthetic = pd.Series(["a", "a", "a", "b"])
    p, q = real.value_counts(normalize=True), synthetic.value_counts(normalize=True)
    assert l1(p, q) == pytest.approx(0.5) and total_variation(real, synthetic) == 0.5 * l1(p, q)
    assert collision_probability(synthetic) == collision(q) == pytest.approx(0.75**2 + 0.25**2)
    assert levels(q) == 2 and levels([0.5, 0.0, 0.5]) == 2
    assert variance_ratio([0.0, 2.0, 4.0], [1.0, 2.0, 3.0]) == var_ratio(1.0, 4.0) == 0.25
    assert np.isnan(var_ratio(1.0, 0.0)) and np.isnan(var_ratio(1.0, None))
    assert COLLAPSE_STATS == COLLAPSE_METRICS[:3]


def test_fidelity_report_l1_is_twice_the_total_variation():
    real, synthetic = _tables(0, 200)[1], _tables(1, 150)[1]
    report = fidelity_report(real, synthetic, discriminator=False).set_index(["column", "metric"])["value"]
    for column in real.columns:
        assert report[(column, "l1")] == 2 * total_variation(real[column], synthetic[column])
    assert not {"total_variation", "variance_ratio", "levels_alive", "collision_probability"} & set(
        report.index.get_level_values("metric"))
