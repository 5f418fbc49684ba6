"""UtilityEvaluator: TSTR against TRTR on tables where the answer is known."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from evaluation_doubles import (
    CollapsedTargetGenerator,
    FakeRecursive,
    NoSampleGenerator,
    ReplayGenerator,
    ShuffleGenerator,
    make_table,
)
from pandas.testing import assert_frame_equal
from scipy import stats
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer, SchemaError, UtilityEvaluator
from synthloop.exceptions import FailedScoresWarning
from synthloop.evaluation import UtilityReport

# Logistic regression on the evaluator's features: labels arrive as pandas categories.
LOGIT = {"logit": make_pipeline(
    make_column_transformer((OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include="category")),
                            remainder=StandardScaler()),
    LogisticRegression(),
)}


@pytest.fixture(scope="module")
def table():
    return make_table()


def test_replay_generator_scores_exactly_the_real_baseline(table):
    report = UtilityEvaluator("y", n_repeats=2, fidelity=False, random_state=0).evaluate(ReplayGenerator(), table)
    assert isinstance(report, UtilityReport)
    s = report.scores
    assert list(s.columns[:7]) == ["repeat", "generation", "estimator", "metric", "train_on", "score", "gap"]
    assert set(s["estimator"]) == {"logistic_regression", "hist_gradient_boosting"}
    assert set(s["metric"]) == {"roc_auc", "accuracy", "balanced_accuracy"}
    syn = s[s["train_on"] == "synthetic"]
    assert len(syn) == 2 * 2 * 3 and syn["generation"].eq(0).all()
    assert (syn["gap"] == 0.0).all()
    assert s["error"].isna().all()
    assert s["score"].between(0.5, 1.0).all()  # a real signal is learnt
    assert report.pos_label == "yes" and report.task == "binary"


def test_shuffled_columns_destroy_the_signal(table):
    # A model fit to independently shuffled columns ranks the test rows in a
    # random direction: its AUC is 0.5 in expectation, but its spread over
    # repeats comes from that random direction, so the tolerance is 4 standard
    # errors estimated from the repeats.
    n_repeats = 8
    ev = UtilityEvaluator("y", estimators=LOGIT, scoring="roc_auc", n_repeats=n_repeats, fidelity=False,
                          random_state=1)
    s = ev.evaluate(ShuffleGenerator(), table).scores
    tstr = s.loc[s["train_on"] == "synthetic", "score"].to_numpy()
    trtr = s.loc[s["train_on"] == "real", "score"].to_numpy()
    se = tstr.std(ddof=1) / math.sqrt(n_repeats)
    assert abs(tstr.mean() - 0.5) < 4 * se
    assert trtr.mean() > 0.85
    assert trtr.mean() - tstr.mean() > 0.25


def test_seeded_runs_repeat_exactly_and_record_their_seeds(table):
    ev = UtilityEvaluator("y", estimators=LOGIT, n_repeats=2, random_state=7)
    a, b = ev.evaluate(ShuffleGenerator(), table), ev.evaluate(ShuffleGenerator(), table)
    assert_frame_equal(a.scores, b.scores)
    assert_frame_equal(a.fidelity, b.fidelity)
    syn = a.scores[a.scores["train_on"] == "synthetic"]
    assert syn[["split_seed", "fit_seed", "sample_seed", "estimator_seed"]].notna().all().all()
    assert syn.groupby("repeat")["split_seed"].nunique().eq(1).all()
    assert a.scores["split_seed"].nunique() == 2
    # An unseeded run repeats from its recorded entropy.
    c = UtilityEvaluator("y", estimators=LOGIT, n_repeats=1, fidelity=False).evaluate(ShuffleGenerator(), table)
    d = UtilityEvaluator("y", estimators=LOGIT, n_repeats=1, fidelity=False,
                         random_state=c.random_state).evaluate(ShuffleGenerator(), table)
    assert_frame_equal(c.scores, d.scores)


def test_results_do_not_depend_on_n_jobs():
    X = make_table(240, n_noise=0).assign(y=lambda d: (d["y"] == "yes").astype(int)).drop(columns="c")
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, keep="all")
    reports = [
        UtilityEvaluator("y", estimators=LOGIT, n_repeats=2, n_jobs=n_jobs, random_state=3).evaluate(gen, X)
        for gen in (MultivariateNormalGenerator(), rs)
        for n_jobs in (1, 2)
    ]
    for one, two in (reports[:2], reports[2:]):
        assert_frame_equal(one.scores, two.scores)
        assert_frame_equal(one.fidelity, two.fidelity)
    assert reports[2].scores["generation"].dropna().unique().tolist() == [0, 1]


def test_multivariate_normal_generator_is_one_generation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    X = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "y": (x[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)})
    report = UtilityEvaluator("y", estimators=LOGIT, n_repeats=2, random_state=0).evaluate(
        MultivariateNormalGenerator(), X)
    s = report.scores
    assert s.loc[s["train_on"] == "synthetic", "generation"].eq(0).all()
    assert s.loc[s["train_on"] == "real", "generation"].isna().all()
    # A Gaussian of the table keeps most of a linear signal (rounding the target costs some).
    auc = s[s["metric"] == "roc_auc"].groupby("train_on")["score"].mean()
    assert auc["real"] > 0.9 and auc["synthetic"] > 0.8
    fid = report.fidelity
    assert list(fid.columns) == ["repeat", "generation", "level", "column", "kind", "metric", "value"]
    assert {"ks", "var_ratio", "discriminator_auc", "correlation_difference"} <= set(fid["metric"])


def test_kept_generations_of_a_recursive_synthesizer(table):
    ev = UtilityEvaluator("y", estimators=LOGIT, scoring="accuracy", n_repeats=1, fidelity=False, random_state=0)
    all_ = ev.evaluate(FakeRecursive(n_generations=2, keep="all"), table).scores
    assert all_["generation"].dropna().tolist() == [0, 1, 2]
    last = ev.evaluate(FakeRecursive(n_generations=2, keep="last"), table).scores
    assert last["generation"].dropna().tolist() == [2]
    assert str(all_["generation"].dtype) == "Int64"
    X = table.drop(columns="c").assign(y=(table["y"] == "yes").astype(int))
    for keep, expected in (("all", [0, 1, 2]), ("last", [2])):
        rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, keep=keep)
        s = ev.evaluate(rs, X).scores
        assert s["generation"].dropna().tolist() == expected
        assert s["error"].isna().all()


def test_a_collapsed_synthetic_target_is_a_result(table):
    ev = UtilityEvaluator("y", n_repeats=1, fidelity=False, random_state=0)
    report = ev.evaluate(CollapsedTargetGenerator(), table)
    s = report.scores
    syn = s[s["train_on"] == "synthetic"].set_index(["estimator", "metric"])
    assert syn["error"].isna().all()
    assert syn.xs("roc_auc", level="metric")["score"].isna().all()
    assert syn["note"].str.contains("one class").all()
    # The constant predictor says "no" (the majority): accuracy = share of "no" in the test rows.
    n_test = math.ceil(0.25 * len(table))
    acc = syn.xs("accuracy", level="metric")["score"]
    share_no = round(acc.iloc[0] * n_test) / n_test
    assert acc.iloc[0] == pytest.approx(share_no) and 0.6 < share_no < 0.8
    assert (syn.xs("balanced_accuracy", level="metric")["score"] == 0.5).all()
    summary = report.summary()
    assert summary.loc[summary["metric"] == "roc_auc", "n_repeats"].eq(0).all()


def test_an_estimator_failing_on_one_generation_is_recorded(table):
    # A bare LogisticRegression rejects NaN; generation 1 has NaN in x.
    ev = UtilityEvaluator("y", estimators={"bare": LogisticRegression(), "tree": DecisionTreeClassifier()},
                          scoring="accuracy", n_repeats=1, fidelity=False, random_state=0)
    X = table.drop(columns="c")
    with pytest.warns(FailedScoresWarning, match=r"1 of 8 scores failed; their message is in the 'error' column"):
        s = ev.evaluate(FakeRecursive(n_generations=2, nan_generation=1), X).scores
    failed = s[s["error"].notna()]
    assert failed[["generation", "estimator"]].values.tolist() == [[1, "bare"]]
    assert failed["error"].str.startswith("ValueError: Input X contains NaN").all()
    assert failed["score"].isna().all()
    ok = s[s["error"].isna() & (s["train_on"] == "synthetic")]
    assert len(ok) == 5 and ok["score"].notna().all()


def test_pos_label_is_the_minority_class_unless_given(table):
    train, test = table.iloc[:300], table.iloc[300:]
    f1 = {}
    for pos in (None, "no"):
        ev = UtilityEvaluator("y", estimators=LOGIT, scoring=["f1", "roc_auc"], pos_label=pos, n_repeats=1,
                              fidelity=False, random_state=0)
        report = ev.evaluate_frames(train, test, {"copy": train})
        assert report.pos_label == ("yes" if pos is None else "no")
        f1[report.pos_label] = report.scores.query("train_on == 'real'").set_index("metric")["score"]
    # ROC AUC is symmetric in the label; F1 is not.
    assert f1["yes"]["roc_auc"] == pytest.approx(f1["no"]["roc_auc"])
    assert f1["yes"]["f1"] < f1["no"]["f1"]
    with pytest.raises(ValueError, match=r"pos_label='maybe' is not a class of the target 'y'; its classes are"):
        UtilityEvaluator("y", pos_label="maybe", fidelity=False).evaluate_frames(train, test, {"copy": train})


def test_binary_metrics_are_scored_for_pos_label(table):
    from synthloop.evaluation._checks import FeatureSpec

    table = table.drop(columns="c")  # a bare tree needs numbers
    train, test = table.iloc[:300], table.iloc[300:]
    ev = UtilityEvaluator("y", estimators={"tree": DecisionTreeClassifier(max_depth=3)},
                          scoring=["f1", "precision", "recall", "roc_auc"], n_repeats=1, fidelity=False,
                          random_state=0)
    report = ev.evaluate_frames(train, test, {"copy": train})
    seed = int(report.scores["estimator_seed"].iloc[0])
    spec = FeatureSpec(table.drop(columns="y"))
    model = DecisionTreeClassifier(max_depth=3, random_state=seed).fit(spec.transform(train.drop(columns="y")),
                                                                        train["y"].to_numpy(dtype=object))
    X_test = spec.transform(test.drop(columns="y"))
    pred = model.predict(X_test)
    proba_yes = model.predict_proba(X_test)[:, list(model.classes_).index("yes")]
    got = report.scores.query("train_on == 'real'").set_index("metric")["score"]
    assert got["f1"] == pytest.approx(f1_score(test["y"], pred, pos_label="yes"))
    assert got["precision"] == pytest.approx(precision_score(test["y"], pred, pos_label="yes"))
    assert got["roc_auc"] == pytest.approx(roc_auc_score(test["y"] == "yes", proba_yes))


def test_regression_target(table):
    X = table.drop(columns="y").assign(t=lambda d: 2.0 * d["x"] + 0.1 * d["noise0"])
    report = UtilityEvaluator("t", n_repeats=1, fidelity=False, random_state=0).evaluate(ReplayGenerator(), X)
    assert report.task == "regression" and report.pos_label is None
    s = report.scores
    assert set(s["metric"]) == {"r2", "neg_mean_absolute_error"}
    assert set(s["estimator"]) == {"ridge", "hist_gradient_boosting"}
    assert (s.loc[s["train_on"] == "synthetic", "gap"] == 0).all()
    assert s.query("metric == 'r2' and estimator == 'ridge'")["score"].gt(0.99).all()


def test_multiclass_target_with_a_class_lost_in_synthetic_data(table):
    X = table.drop(columns="y").assign(y=table["c"].astype(str)).drop(columns="c")
    train, test = X.iloc[:300], X.iloc[300:]
    lost = train[train["y"] != "c"]
    ev = UtilityEvaluator("y", estimators=LOGIT, n_repeats=1, fidelity=False, random_state=0)
    report = ev.evaluate_frames(train, test, {"lost": lost})
    assert report.task == "multiclass"
    assert set(report.scores["metric"]) == {"roc_auc_ovr", "accuracy", "balanced_accuracy"}
    assert report.scores["score"].notna().all() and report.scores["error"].isna().all()


def test_evaluate_frames_names_generations_and_summarises(table):
    train, test = table.iloc[:300], table.iloc[300:]
    shuffled = ShuffleGenerator(random_state=0).fit(train).sample(300)
    ev = UtilityEvaluator("y", estimators=LOGIT, scoring="roc_auc", n_repeats=3, random_state=0)
    report = ev.evaluate_frames(train, test, {"copy": train, "shuffled": shuffled})
    s = report.scores
    assert s["generation"].dropna().unique().tolist() == ["copy", "shuffled"]
    assert s["split_seed"].isna().all() and s["estimator_seed"].notna().all()
    summary = report.summary(confidence=0.9)
    row = summary.set_index("generation").loc["shuffled"]
    gaps = s.loc[s["generation"] == "shuffled", "gap"].to_numpy()
    half = stats.t.ppf(0.95, 2) * gaps.std(ddof=1) / math.sqrt(3)
    assert row["gap"] == pytest.approx(gaps.mean())
    assert row["gap_ci_high"] - row["gap"] == pytest.approx(half)
    assert row["gap"] < -0.2 and summary.set_index("generation").loc["copy", "gap"] == 0
    assert set(report.fidelity["generation"]) == {"copy", "shuffled"}
    assert "UtilityReport(target='y', task='binary', generations=2" in repr(report)


def test_adult_income_with_a_recursive_synthesizer():
    from synthloop.datasets import load_adult

    adult = load_adult().frame.sample(600, random_state=0).reset_index(drop=True)
    adult = adult[["age", "education_num", "hours_per_week", "sex", "occupation", "income"]]
    ev = UtilityEvaluator("income", estimators=LOGIT, n_repeats=1, random_state=0)
    report = ev.evaluate(RecursiveSynthesizer(n_generations=1, keep="all"), adult)
    s = report.scores
    assert report.pos_label == ">50K"
    assert s["generation"].dropna().unique().tolist() == [0, 1]
    assert s["error"].isna().all()
    auc = s[s["metric"] == "roc_auc"].set_index(["train_on", "generation"])["score"]
    assert auc.min() > 0.6
    lost = report.fidelity.query("metric == 'levels_lost' and level == 'column'")
    assert set(lost["column"]) == {"sex", "occupation", "income"}


# --------------------------------------------------------------------- bad input
def test_target_missing_from_the_table(table):
    with pytest.raises(KeyError, match=r"the target column 'income' is not in X, whose columns are"):
        UtilityEvaluator("income").evaluate(ReplayGenerator(), table)


def test_target_missing_from_a_synthetic_table(table):
    with pytest.raises(KeyError, match=r"the target column 'y' is not in synthetic table 'bad'"):
        UtilityEvaluator("y").evaluate_frames(table[:300], table[300:], {"bad": table.drop(columns="y")})


def test_target_with_one_class_in_the_real_data(table):
    X = table.assign(y="yes")
    with pytest.raises(ValueError, match=r"the target 'y' has one class \('yes'\) in the real table"):
        UtilityEvaluator("y").evaluate(ReplayGenerator(), X)
    with pytest.raises(ValueError, match=r"has one class \('yes'\) in real_test"):
        UtilityEvaluator("y").evaluate_frames(table, X, table)


def test_synthetic_table_with_other_columns_or_dtypes(table):
    bad = table.drop(columns="k").assign(extra=1.0, x=table["x"].astype(str))
    msg = (r"synthetic table 'bad' does not match the real table: it lacks the real column\(s\) \['k'\]; "
           r"it has column\(s\) \['extra'\] that the real table does not have; column 'x' is categorical")
    with pytest.raises(SchemaError, match=msg):
        UtilityEvaluator("y").evaluate_frames(table[:300], table[300:], {"bad": bad})


def test_generator_sampling_other_columns(table):
    class Dropper(ReplayGenerator):
        def sample(self, n_samples=1, *, random_state=None):
            return super().sample(n_samples).drop(columns="k")

    with pytest.raises(SchemaError, match=r"synthetic table 'generation 0' does not match .* lacks .*\['k'\]"):
        UtilityEvaluator("y", n_repeats=1).evaluate(Dropper(), table)


def test_split_too_small_for_stratification(table):
    with pytest.raises(ValueError, match=r"test_size=0.01 gives 4 test and 396 train rows, too few to hold each "
                                         r"of the 5 classes"):
        UtilityEvaluator("y", test_size=0.01).evaluate(ReplayGenerator(), table.assign(y=np.arange(400) % 5))
    rare = table.assign(y=["rare"] + ["common"] * 399)
    with pytest.raises(ValueError, match=r"stratified splitting needs at least 2 rows per class; .*\{'rare': 1\}"):
        UtilityEvaluator("y").evaluate(ReplayGenerator(), rare)


def test_missing_target_values_in_the_real_table(table):
    X = table.assign(y=table["y"].where(table.index > 2))
    with pytest.raises(ValueError, match=r"the target 'y' has 3 missing value\(s\) in the real table; drop"):
        UtilityEvaluator("y").evaluate(ReplayGenerator(), X)


def test_bad_parameters_and_arguments(table):
    with pytest.raises(ValueError, match=r"The 'n_repeats' parameter of UtilityEvaluator must be an int in the "
                                         r"range \[1, inf\). Got 0 instead."):
        UtilityEvaluator("y", n_repeats=0).evaluate(ReplayGenerator(), table)
    with pytest.raises(TypeError, match=r"needs a synthesizer with fit\(X\) and sample\(n_samples"):
        UtilityEvaluator("y").evaluate(NoSampleGenerator(), table)
    with pytest.raises(TypeError, match=r"expects X to be a pandas DataFrame .* got ndarray"):
        UtilityEvaluator("y").evaluate(ReplayGenerator(), table.to_numpy())
    with pytest.raises(ValueError, match=r"metric 'r2' does not apply to the target 'y', which is binary"):
        UtilityEvaluator("y", scoring="r2").evaluate(ReplayGenerator(), table)
    with pytest.raises(ValueError, match=r"unknown metric 'auc'; use one of"):
        UtilityEvaluator("y", scoring=["auc"]).evaluate(ReplayGenerator(), table)
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\); got 95"):
        UtilityEvaluator("y", estimators=LOGIT, n_repeats=1, fidelity=False).evaluate(
            ReplayGenerator(), table).summary(confidence=95)


def test_other_scorer_names_and_callables(table):
    ev = UtilityEvaluator("y", estimators=LOGIT, scoring={"mcc": "matthews_corrcoef", "auc": "roc_auc",
                                                          "const": lambda est, X, y: 1.0},
                          n_repeats=1, fidelity=False, random_state=0)
    s = ev.evaluate(ReplayGenerator(), table.assign(y=(table["y"] == "yes").astype(int))).scores
    assert set(s["metric"]) == {"mcc", "auc", "const"}
    assert s.loc[s["metric"] == "const", "score"].eq(1.0).all()
    assert re.match(r"^\d", str(s["score"].iloc[0]))


class _ThreadRecorder(LogisticRegression):
    """Records the native thread limits it is fitted under."""

    seen = []

    def fit(self, X, y, **kwargs):
        from threadpoolctl import threadpool_info

        _ThreadRecorder.seen.append({lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()})
        return super().fit(X, y, **kwargs)


class _ThreadRecordingGenerator(MultivariateNormalGenerator):
    def fit(self, X, y=None, sample_weight=None):
        from threadpoolctl import threadpool_info

        _ThreadRecorder.seen.append({lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()})
        return super().fit(X, y, sample_weight=sample_weight)


def test_every_task_runs_with_one_native_thread():
    # OpenMP and BLAS threads (a thread per core in every small fit) oversubscribed the cores many
    # times over; each task of the evaluator runs with one, and the caller's limits come back after.
    from threadpoolctl import threadpool_info, threadpool_limits

    X = make_table(240, n_noise=0).assign(y=lambda d: (d["y"] == "yes").astype(int)).drop(columns="c")
    _ThreadRecorder.seen.clear()
    with threadpool_limits(limits=2):
        before = {lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()}
        UtilityEvaluator("y", estimators={"logit": _ThreadRecorder()}, n_repeats=2, fidelity=False,
                         random_state=0).evaluate(_ThreadRecordingGenerator(), X)
        after = {lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()}
    assert before and set(before.values()) == {2} and after == before
    # 2 synthesizer fits, then 2 repeats x (real + 1 generation) estimator fits.
    assert len(_ThreadRecorder.seen) == 6
    assert all(set(seen.values()) == {1} for seen in _ThreadRecorder.seen)
