"""Fidelity and collapse metrics against closed forms and scipy."""

import math
import sys
import types

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthloop import SchemaError, fidelity_report
from synthloop.evaluation import (
    collision_probability,
    contingency_accuracy,
    copy_share,
    correlation_difference,
    discriminator_auc,
    distance_to_closest_record,
    ks_distance,
    levels_lost,
    missing_rate_difference,
    pair_fidelity,
    total_variation,
    variance_ratio,
    wasserstein_distance,
)


@pytest.fixture(scope="module")
def real():
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    c = np.where(x + rng.normal(scale=0.5, size=n) > 0, "hi", "lo")
    return pd.DataFrame({
        "x": x,
        "k": rng.integers(0, 5, n),
        "c": pd.Categorical(c),
        "s": pd.Series(rng.choice(["a", "b", "rare"], n, p=[0.6, 0.38, 0.02]), dtype="str"),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, n), unit="D"),
    })


def test_ks_and_wasserstein_match_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=157), rng.normal(0.3, 2, size=211)
    assert ks_distance(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    assert wasserstein_distance(a, b) == pytest.approx(stats.wasserstein_distance(a, b), abs=1e-12)
    assert wasserstein_distance(a, b, standardize=True) == pytest.approx(
        stats.wasserstein_distance(a, b) / a.std(ddof=1))
    assert ks_distance(pd.Series([1.0, np.nan, 3.0]), [1.0, 3.0]) == 0.0  # missing values ignored
    assert math.isnan(ks_distance([np.nan], [1.0]))
    when = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-03"])).astype("datetime64[ms]")
    assert wasserstein_distance(when, when + pd.Timedelta(days=1)) == 86400.0  # seconds, whatever the unit


def test_categorical_metrics_closed_forms():
    real = pd.Series(["a", "a", "b", "c", None])
    syn = pd.Series(["a", "a", "a", "a"])
    assert total_variation(real, syn) == pytest.approx(0.5)  # 1/2 (|1/2-1| + 1/4 + 1/4)
    assert total_variation(["a"], ["b"]) == 1.0
    assert levels_lost(real, syn) == 2
    assert levels_lost(syn, real) == 0
    assert collision_probability(syn) == 1.0
    assert collision_probability(np.arange(8) % 4) == pytest.approx(0.25)
    assert collision_probability(real) == pytest.approx(0.25 + 1 / 16 + 1 / 16)
    assert missing_rate_difference(real, syn) == pytest.approx(-0.2)


def test_variance_ratio():
    assert variance_ratio([0.0, 2.0, 4.0], [5.0, 5.0, 5.0]) == 0.0
    assert math.isnan(variance_ratio([1.0, 1.0], [0.0, 2.0]))
    rng = np.random.default_rng(2)
    a = rng.normal(size=50)
    assert variance_ratio(a, 3 * a) == pytest.approx(9.0)


def test_correlation_difference_closed_forms(real):
    assert correlation_difference(real, real) == 0.0
    _, a, _ = correlation_difference(real, real, return_matrices=True)
    assert a.loc["x", "x"] == 1.0 and a.shape == (5, 5)
    # c is hi exactly when a copy of it says so: Cramér's V is 1; a numeric column that
    # is a function of the label has correlation ratio 1.
    t = pd.DataFrame({"c": real["c"], "c2": real["c"].astype(str), "v": (real["c"] == "hi").astype(float)})
    _, a, _ = correlation_difference(t, t, return_matrices=True)
    assert a.loc["c", "c2"] == pytest.approx(1.0) and a.loc["v", "c"] == pytest.approx(1.0)
    # Independent columns in the synthetic table: the difference is the lost association.
    rng = np.random.default_rng(3)
    indep = real.apply(lambda col: col.sample(frac=1, random_state=int(rng.integers(1e6))).to_numpy())
    indep = indep.astype(real.dtypes.to_dict())
    d, a_real, a_syn = correlation_difference(real, indep, return_matrices=True)
    assert abs(a_syn.loc["x", "c"]) < 0.2 and a_real.loc["x", "c"] > 0.6
    assert d > 0.05
    # A collapsed (constant) column has association 0.
    _, _, a_col = correlation_difference(real, real.assign(x=0.0), return_matrices=True)
    assert (a_col.loc["x"].drop("x") == 0).all()


def test_discriminator_auc_is_one_half_on_the_same_distribution():
    # Held-out real and synthetic rows are exchangeable, so each fold's AUC is
    # a Mann-Whitney statistic under the null: SE = sqrt((n0 + n1 + 1) / (12 n0 n1)).
    rng = np.random.default_rng(4)
    n = 300
    real = pd.DataFrame({"x": rng.normal(size=n), "c": pd.Categorical(rng.choice(["a", "b"], n))})
    same = pd.DataFrame({"x": rng.normal(size=n), "c": pd.Categorical(rng.choice(["a", "b"], n))})
    per_fold = n / 3
    se = math.sqrt((2 * per_fold + 1) / (12 * per_fold**2))
    auc = discriminator_auc(real, same, random_state=0)
    assert abs(auc - 0.5) < 4 * se
    shifted = same.assign(x=same["x"] + 3)
    assert discriminator_auc(real, shifted, random_state=0) > 0.95
    assert discriminator_auc(real, same, random_state=0) == auc
    with pytest.raises(ValueError, match=r"3-fold cross-validation needs at least 3 rows on each side; got 300 "
                                         r"real and 2 synthetic rows"):
        discriminator_auc(real, same[:2])


def test_fidelity_report_of_a_copy_and_of_a_collapse(real):
    report = fidelity_report(real, real, random_state=0)
    assert list(report.columns) == ["level", "column", "kind", "metric", "value"]
    col = report[report["level"] == "column"].set_index(["column", "metric"])["value"]
    assert col.loc[("x", "ks")] == 0 and col.loc[("x", "var_ratio")] == 1
    assert col.loc[("when", "wasserstein")] == 0 and col.loc[("s", "l1")] == 0
    assert col.loc[("s", "levels")] == 3
    assert report.loc[report["kind"] == "datetime", "column"].unique().tolist() == ["when"]
    table = report[report["level"] == "table"].set_index("metric")["value"]
    assert table["correlation_difference"] == 0 and table["levels_lost"] == 0
    # Copies are memorised: a held-out row's twin in the training fold carries the other label.
    assert table["discriminator_auc"] < 0.5
    assert report.loc[report["level"] == "table", "column"].isna().all()

    collapsed = real.assign(x=1.5, s="a", k=2).astype(real.dtypes.to_dict())
    col = fidelity_report(real, collapsed, discriminator=False).set_index(["column", "metric"])["value"]
    assert col.loc[("x", "var_ratio")] == 0 and col.loc[("k", "var_ratio")] == 0
    assert col.loc[("s", "levels_lost")] == 2 and col.loc[("s", "levels")] == 1
    assert col.loc[("s", "collision")] == 1
    expected = ((real["s"].value_counts(normalize=True)) ** 2).sum()
    assert col.loc[("s", "collision_real")] == pytest.approx(expected)


def test_fidelity_report_rejects_other_columns_and_dtypes(real):
    msg = (r"fidelity_report: synthetic table 'synthetic' does not match the real table: it lacks the real "
           r"column\(s\) \['k'\]; .*column 'x' is categorical \(str\) but numeric \(float64\) in the real table")
    with pytest.raises(SchemaError, match=msg):
        fidelity_report(real, real.drop(columns="k").assign(x=real["x"].astype(str)))
    with pytest.raises(TypeError, match=r"fidelity_report expects real to be a pandas DataFrame"):
        fidelity_report(real["x"], real)
    with pytest.raises(TypeError, match=r"ks_distance compares single columns; got a DataFrame as real"):
        ks_distance(real, real)
    with pytest.raises(TypeError, match=r"expected a numeric or datetime column; got dtype category"):
        ks_distance(real["c"], real["c"])


def test_sdmetrics_missing_gives_a_clear_import_error(real, monkeypatch):
    # Block the submodule too: another test may already have imported it.
    monkeypatch.setitem(sys.modules, "sdmetrics", None)
    monkeypatch.setitem(sys.modules, "sdmetrics.reports", None)
    with pytest.raises(ImportError, match=r"needs the optional package sdmetrics.*pip install sdmetrics==0.32.0"):
        fidelity_report(real, real, discriminator=False, sdmetrics=True)


def test_sdmetrics_rows_are_appended(real, monkeypatch):
    # A stand-in for sdmetrics' QualityReport checks the plumbing without the package.
    seen = {}

    class QualityReport:
        def generate(self, real_data, synthetic_data, metadata, verbose=True):
            seen["metadata"] = metadata

        def get_score(self):
            return 0.9

        def get_properties(self):
            return pd.DataFrame({"Property": ["Column Shapes", "Column Pair Trends"], "Score": [0.95, 0.85]})

        def get_details(self, property_name, table_name=None):
            seen["details"] = (property_name, table_name)
            return pd.DataFrame({"Table": "table", "Column": ["x", "c"], "Metric": ["KSComplement", "TVComplement"],
                                 "Score": [0.97, 0.99]})

    module = types.ModuleType("sdmetrics.reports")
    module.QualityReport = QualityReport
    monkeypatch.setitem(sys.modules, "sdmetrics", types.ModuleType("sdmetrics"))
    monkeypatch.setitem(sys.modules, "sdmetrics.reports", module)
    report = fidelity_report(real, real, discriminator=False, sdmetrics=True)
    sd = report[report["metric"].str.startswith("sdmetrics_")].set_index(["column", "metric"])["value"]
    assert sd.loc[(None, "sdmetrics_quality_score")] == 0.9
    assert sd.loc[(None, "sdmetrics_column_pair_trends")] == 0.85
    assert sd.loc[("c", "sdmetrics_column_shape")] == 0.99
    assert seen["details"] == ("Column Shapes", "table")
    assert seen["metadata"]["tables"]["table"]["columns"] == {"x": {"sdtype": "numerical"}, "k": {"sdtype": "numerical"},
                                           "c": {"sdtype": "categorical"}, "s": {"sdtype": "categorical"},
                                           "when": {"sdtype": "datetime"}}


def test_sdmetrics_cross_check_with_the_real_package(real):
    pytest.importorskip("sdmetrics")
    report = fidelity_report(real, real, discriminator=False, sdmetrics=True)
    score = report.loc[report["metric"] == "sdmetrics_quality_score", "value"].iloc[0]
    assert score > 0.95


# ------------------------------------------------ joint distributions, copies, distances
def test_copy_share_counts_whole_row_copies_with_missing_equal_to_missing():
    real = pd.DataFrame({"x": [1.0, 2.0, np.nan], "c": pd.Categorical(["a", "b", None]), "s": ["u", "v", "w"]})
    assert copy_share(real, real) == 1.0
    syn = pd.DataFrame({"x": [1.0, np.nan, 2.0, 2.0], "c": pd.Categorical(["a", None, "b", "new"]),
                        "s": pd.Series(["u", "w", "u", "v"], dtype="str")})
    # row 0 and row 1 (missing = missing) copy; row 2 differs in s, row 3 has a level the real table lacks
    assert copy_share(real, syn) == 0.5


def test_distance_to_closest_record_counts_a_label_mismatch_as_one_and_numbers_by_rank():
    real = pd.DataFrame({"x": [10.0, 20.0, 30.0, 40.0], "c": ["a", "b", "a", "b"]})
    # ranks of 10, 20, 30, 40 among the real values: 1/8, 3/8, 5/8, 7/8
    syn = pd.DataFrame({"x": [10.0, 10.0, 100.0, np.nan], "c": ["a", "b", "a", "a"]})
    d = distance_to_closest_record(real, syn)
    # (10, b): nearest (20, b) at rank gap 1/4; (100, a): rank 1, nearest (30, a) at 3/8; missing x: the
    # indicator (1) and the median rank 1/2 against (30, a), rank 5/8
    np.testing.assert_allclose(d, [0.0, 0.25, 0.375, np.hypot(1.0, 0.125)])
    big = pd.concat([syn] * 300, ignore_index=True)
    a = distance_to_closest_record(real, big, max_rows=50, random_state=1)
    assert a.shape == (50,)
    np.testing.assert_array_equal(a, distance_to_closest_record(real, big, max_rows=50, random_state=1))


def test_pair_fidelity_scores_every_pair_worst_first(real):
    pairs = pair_fidelity(real, real)
    d = real.shape[1]
    assert len(pairs) == d * (d - 1) // 2
    assert (pairs["contingency_similarity"] == 1).all() and (pairs["association_difference"] == 0).all()
    assert pairs.set_index(["column_1", "column_2"]).loc[("x", "c"), "kind"] == "numeric-categorical"
    shuffled = real.assign(c=np.random.default_rng(5).permutation(real["c"].to_numpy()))
    worst = pair_fidelity(real, shuffled)
    # x and c are strongly associated in the real table: their pair loses most once c is shuffled
    assert tuple(worst.loc[0, ["column_1", "column_2"]]) == ("x", "c")
    assert worst["contingency_similarity"].is_monotonic_increasing
    untouched = worst[(worst["column_1"] != "c") & (worst["column_2"] != "c")]
    assert (untouched["contingency_similarity"] == 1).all()


def test_contingency_accuracy_sees_three_way_dependence_no_pair_shows():
    rng = np.random.default_rng(0)
    n = 20_000
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    real = pd.DataFrame({"a": a, "b": b, "c": a ^ b})
    syn = real.assign(c=rng.integers(0, 2, n))
    # Population values: every pair independent in both tables (TV 0); the triple has TV 1/2 (the real rows
    # fill 4 cells of 1/4, the synthetic 8 of 1/8). One row moves a TV by at most 1/n, so its standard
    # deviation is at most 1/(2 sqrt n) per table (McDiarmid): 4 SE of the two tables is 4 sqrt(2)/(2 sqrt n).
    tol = 4 * np.sqrt(2) / (2 * np.sqrt(n))
    assert abs(contingency_accuracy(real, syn, order=3) - 0.5) <= tol
    # Pairs: E TV <= 1/2 sum sqrt(p(1-p)/n) per table (Jensen), 4 cells of 1/4, plus the same 4 SE.
    assert 1 - contingency_accuracy(real, syn, order=2) <= 2 * 0.5 * 4 * np.sqrt(0.25 * 0.75 / n) + tol
    # Tied values share a bin: a column of 92% zeros has a bin for its zeros.
    zeros = pd.DataFrame({"x": np.r_[np.zeros(92), np.arange(1, 9)]})
    assert contingency_accuracy(zeros, zeros.assign(x=0.0), order=1) == pytest.approx(0.92)
    with pytest.raises(ValueError, match=r"contingency_accuracy: order must be an integer between 1 and the "
                                         r"number of columns \(3\); got 4"):
        contingency_accuracy(real, syn, order=4)


def test_fidelity_report_adds_pairs_contingency_copies_and_distances(real):
    holdout = real.sample(frac=1.0, random_state=3).reset_index(drop=True)
    holdout["x"] = holdout["x"] + 0.01  # real-looking rows that are not the fitted ones
    report = fidelity_report(real, real, holdout=holdout, discriminator=False, random_state=0)
    table = report[report["level"] == "table"].set_index("metric")["value"]
    assert table["copy_share"] == 1 and table["copy_share_holdout"] == 0
    assert table["dcr_median"] == 0 and table["dcr_p05"] == 0 and table["dcr_median_holdout"] > 0
    assert table["pair_contingency_min"] == 1 and table["three_way_contingency"] == 1
    pairs = report[report["level"] == "pair"]
    d = real.shape[1]
    assert len(pairs) == 2 * d * (d - 1) // 2
    assert set(pairs["metric"]) == {"contingency_similarity", "association_difference"}
    assert "x ~ c" in set(pairs["column"])
    # Without a holdout there are no baselines; the copy share is always there.
    plain = fidelity_report(real, real, discriminator=False).set_index("metric")["value"]
    assert "copy_share" in plain and "dcr_median" not in plain
    with pytest.raises(SchemaError, match=r"fidelity_report: holdout table 'holdout' does not match the real "
                                          r"table: it lacks the real column\(s\) \['k'\]"):
        fidelity_report(real, real, holdout=real.drop(columns="k"), discriminator=False)


def test_contingency_accuracy_of_wide_tables_counts_the_cells_seen():
    # 150 levels a column: 3.4 million cells in a three-way table, counted over the cells seen only.
    rng = np.random.default_rng(6)
    real = pd.DataFrame({c: rng.integers(0, 150, 3000).astype(str) for c in "abc"})
    syn = pd.DataFrame({c: rng.integers(0, 150, 2000).astype(str) for c in "abc"})
    p = real.value_counts(normalize=True)
    q = syn.value_counts(normalize=True)
    both = p.index.union(q.index)
    expected = 1 - 0.5 * (p.reindex(both, fill_value=0) - q.reindex(both, fill_value=0)).abs().sum()
    assert contingency_accuracy(real, syn, order=3) == pytest.approx(expected, abs=1e-12)


def test_distance_to_closest_record_of_an_identifier_column_is_computed_sparse():
    # 3,000 distinct labels: the one-hot vectors are sparse; the distances are those of the dense case.
    rng = np.random.default_rng(7)
    real = pd.DataFrame({"id": [f"r{i}" for i in range(3000)], "x": rng.normal(size=3000)})
    syn = real.sample(200, random_state=0).reset_index(drop=True)
    syn.loc[:99, "id"] = "new"
    d = distance_to_closest_record(real, syn)
    # the first 100 rows lost their label (a mismatch of 1 with their own row, which shares x exactly), the
    # others are copies
    np.testing.assert_allclose(d, np.r_[np.ones(100), np.zeros(100)], atol=1e-6)
