"""RecursiveSynthesizer: the loop, its seeds and chunks, errors, sklearn/imblearn API, theory."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from synthloop import (
    AccumulatePool,
    AugmentPool,
    CategoricalGenerator,
    FreshPool,
    MultivariateNormalGenerator,
    RecursiveSynthesizer,
    WindowPool,
)
from synthloop.sampling import sample_blocks
from synthloop.schedules import ConstantSchedule, PolynomialSchedule


def _normal(n=200, d=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def _mixed(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "income": rng.normal(50.0, 10.0, n),
        "colour": pd.Series(rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1]), dtype="str"),
        "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
    })


# ------------------------------------------------------------------ sklearn
@parametrize_with_checks([
    RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, random_state=0),
    RecursiveSynthesizer(n_generations=1, pool="augment", random_state=0),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------- loop
def test_history_shape_and_columns():
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=4, schedule="linear",
                              random_state=0).fit(_normal())
    h = rs.history_
    assert list(h["generation"]) == [0, 1, 2, 3, 4]
    assert list(h["n_synthetic"]) == [0, 200, 400, 600, 800]
    assert list(h["n_train"]) == [200, 200, 400, 600, 800]
    assert {"seed", "fit_seconds", "sample_seconds", "stats_source", "var_ratio[0]", "var_ratio[1]"} <= set(h)
    assert h.loc[0, "var_ratio[0]"] == 1.0 and (h["stats_source"] == "params").all()
    assert len(rs.parameters_) == 5 and set(rs.parameters_[0]) == {"mean", "covariance"}
    # Statistics come from get_fitted_params: the variance ratio is the covariance diagonal's.
    ratio = rs.parameters_[3]["covariance"][1, 1] / rs.parameters_[0]["covariance"][1, 1]
    assert h.loc[3, "var_ratio[1]"] == pytest.approx(ratio)


def test_categorical_statistics_in_history():
    X = _mixed()
    rs = RecursiveSynthesizer(CategoricalGenerator(structure="independent"), n_generations=3,
                              random_state=0).fit(X)
    h = rs.history_
    p0 = X["colour"].value_counts(normalize=True)
    assert h.loc[0, "collision[colour]"] == pytest.approx(float((p0**2).sum()))
    assert h.loc[0, "levels[colour]"] == 3 and h.loc[0, "l1[colour]"] == 0.0
    p3 = rs.parameters_[3]["marginals"]["colour"]
    assert h.loc[3, "collision[colour]"] == pytest.approx(float((p3**2).sum()))
    assert h.loc[3, "l1[colour]"] > 0


def test_collapse_is_data_not_an_error():
    # Two rows per generation: a categorical column loses levels, the loop goes on.
    X = pd.DataFrame({"c": pd.Series(list("abcdefgh") * 2, dtype="str")})
    rs = RecursiveSynthesizer(CategoricalGenerator(structure="independent"), n_generations=30,
                              schedule=ConstantSchedule(n=2), random_state=1).fit(X)
    levels = rs.history_["levels[c]"]
    assert levels.iloc[0] == 8 and levels.iloc[-1] == 1
    assert rs.history_["collision[c]"].iloc[-1] == 1.0
    # A Gaussian whose variance is zero keeps sampling constant rows.
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3,
                              random_state=0).fit(np.ones((10, 1)))
    assert np.isnan(rs.history_["var_ratio[0]"]).all() and (rs.sample(5) == 1).all()


@pytest.mark.parametrize("pool", ["replace", "augment", "fresh", "accumulate", "accumulate-subsample",
                                  "window:2", "random", AugmentPool(real_weight=0.618)])
def test_every_pool_runs_on_a_mixed_table(pool):
    X = _mixed()
    rs = RecursiveSynthesizer(n_generations=3, pool=pool, random_state=0).fit(X)
    S = rs.sample(7)
    assert S.dtypes.tolist() == X.dtypes.tolist() and S.shape == (7, 4)
    assert len(rs.history_) == 4


def test_accumulate_equals_a_fit_on_all_rows():
    X = _normal(100, 2)
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, pool="accumulate",
                              keep="all", random_state=0).fit(X)
    seeds = rs.history_["seed"].to_numpy()
    rows = [X] + [sample_blocks(rs.generators_[t - 1], 100, seeds[t]) for t in (1, 2, 3)]
    ref = MultivariateNormalGenerator().fit(np.vstack(rows))
    np.testing.assert_allclose(rs.generators_[3].covariance_, ref.covariance_, rtol=1e-10)
    assert list(rs.history_["n_train"]) == [100, 200, 300, 400]
    # The real rows stay in the accumulated pool; each generation adds 100 synthetic ones.
    assert list(rs.history_["n_real"]) == [100, 100, 100, 100]
    assert list(rs.history_["n_synthetic"]) == [0, 100, 100, 100]


def test_a_generation_reruns_alone_from_its_seed_and_input():
    X = _normal(150, 2)
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, keep="all",
                              random_state=5).fit(X)
    seed = int(rs.history_.loc[2, "seed"])
    rows = sample_blocks(rs.generators_[1], 150, seed)
    again = clone(MultivariateNormalGenerator()).set_params(random_state=seed).fit(rows)
    np.testing.assert_array_equal(again.covariance_, rs.generators_[2].covariance_)
    np.testing.assert_array_equal(again.sample(5), rs.generators_[2].sample(5))


def test_reproducible_and_prefix_stable():
    X = _normal()
    a = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, random_state=3).fit(X)
    b = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, random_state=3).fit(X)
    c = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=5, random_state=3).fit(X)
    cols = ["seed", "var_ratio[0]", "var_ratio[1]"]
    pd.testing.assert_frame_equal(a.history_[cols], b.history_[cols])
    # The first generations do not depend on how many follow.
    pd.testing.assert_frame_equal(a.history_[cols], c.history_[cols].iloc[:4])


def test_results_do_not_depend_on_chunk_size_or_n_jobs():
    X = _normal(1000, 2)
    kw = dict(n_generations=2, schedule=PolynomialSchedule(power=2, n=70_000), random_state=0)
    base = RecursiveSynthesizer(MultivariateNormalGenerator(), **kw).fit(X)
    # 70,000 * 4 rows span several 65,536-row blocks; chunks of 10,000 rows slice them.
    small = RecursiveSynthesizer(MultivariateNormalGenerator(), chunk_size=10_000, **kw).fit(X)
    par = RecursiveSynthesizer(MultivariateNormalGenerator(), n_jobs=2, **kw).fit(X)
    for other in (small, par):
        for p, q in zip(base.parameters_, other.parameters_):
            np.testing.assert_allclose(p["covariance"], q["covariance"], rtol=1e-9)
    for p, q in zip(base.parameters_, par.parameters_):
        np.testing.assert_array_equal(p["covariance"], q["covariance"])


def test_keep_and_sample_generation():
    X = _normal()
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, random_state=0).fit(X)
    assert rs.kept_generations_ == [3] and len(rs.generators_) == 1
    assert rs.sample(4, generation=3).shape == (4, 2)
    with pytest.raises(ValueError, match=r"generation 1 was not kept \(keep='last' keeps generations \[3\]\)"):
        rs.sample(2, generation=1)
    with pytest.raises(ValueError, match=r"generation must be in 0\.\.3"):
        rs.sample(2, generation=4)
    with pytest.raises(TypeError, match="generation must be an integer"):
        rs.sample(2, generation=1.5)
    rs_all = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, keep="all",
                                  random_state=0).fit(X)
    assert rs_all.kept_generations_ == [0, 1, 2, 3]
    np.testing.assert_array_equal(rs_all.sample(3, generation=-1, random_state=1),
                                  rs.sample(3, random_state=1))
    assert rs_all.sample(3, generation=0, random_state=1).shape == (3, 2)


def test_a_list_of_sizes_is_a_schedule():
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, schedule=[100, 200, 400],
                              random_state=0).fit(_normal())
    assert rs.sizes_.tolist() == [200, 100, 200, 400] and list(rs.history_["n_synthetic"]) == [0, 100, 200, 400]
    assert clone(rs).schedule == [100, 200, 400]


def test_n_generations_zero_fits_generation_zero_only():
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=0, random_state=0).fit(_normal())
    assert list(rs.history_["generation"]) == [0] and rs.kept_generations_ == [0]


def test_default_generator_is_the_copula_when_available():
    rs = RecursiveSynthesizer(n_generations=1, random_state=0).fit(_mixed())
    assert type(rs.generator_).__name__ == "GaussianCopulaGenerator"


def test_verbose_progress_bar(capsys):
    RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, verbose=1,
                         random_state=0).fit(_normal())
    err = capsys.readouterr().err
    assert "RecursiveSynthesizer" in err and "rows=200" in err


# ------------------------------------------------------------- fit_resample
def test_fit_resample_returns_containers_of_the_input():
    X = _mixed()
    y = pd.Series(np.random.default_rng(0).choice(["no", "yes"], len(X), p=[0.8, 0.2]), name="label")
    Xs, ys = RecursiveSynthesizer(n_generations=2, random_state=0).fit_resample(X, y)
    assert list(Xs.columns) == list(X.columns) and Xs.dtypes.tolist() == X.dtypes.tolist()
    assert isinstance(ys, pd.Series) and ys.name == "label" and set(ys) <= {"no", "yes"}
    assert len(Xs) == len(ys) == len(X)
    Xa, ya = _normal(120, 3), np.random.default_rng(0).integers(0, 2, 120)
    Xs, ys = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2,
                                  random_state=0).fit_resample(Xa, ya)
    assert Xs.shape == (120, 3) and Xs.dtype == Xa.dtype and ys.dtype == ya.dtype and set(ys) <= {0, 1}


def test_fit_resample_in_an_imblearn_pipeline():
    from imblearn.pipeline import Pipeline
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=400, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    X = pd.DataFrame(X, columns=list("abcd"))
    y = pd.Series(np.where(y == 1, "pos", "neg"), name="target")
    pipe = Pipeline([
        ("synth", RecursiveSynthesizer(n_generations=2, random_state=0)),
        ("clf", LogisticRegression()),
    ])
    pipe.fit(X, y)
    assert set(pipe.classes_) == {"neg", "pos"}
    # Trained on synthetic rows only, the classifier still beats chance (0.5, balanced classes)
    # on the real rows: 400 Bernoulli(1/2) guesses exceed 0.6 with probability < 1e-4.
    assert pipe.score(X, y) > 0.6


# --------------------------------------------------------------- bad input
class _NoSample(BaseEstimator):
    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        return self


class _NoPartialFit(_NoSample):
    def sample(self, n_samples=1, random_state=None):
        return np.zeros((n_samples, 1))


@pytest.mark.parametrize("params, err, match", [
    (dict(n_generations=-1), ValueError,
     r"The 'n_generations' parameter of RecursiveSynthesizer must be an int in the range \[0, inf\)\. Got -1"),
    (dict(n_generations=2.5), TypeError, r"The 'n_generations' parameter .* Got 2\.5 instead"),
    (dict(schedule=lambda t: 0), ValueError, r"CallableSchedule: func\(1\) returned 0"),
    (dict(schedule="exponential"), ValueError, "Unknown schedule 'exponential'"),
    (dict(schedule=[100, 200]), ValueError,
     r"ListSchedule lists 2 sizes, one per synthetic generation, but n_generations=10"),
    (dict(pool="fresh", n_generations=200), ValueError,
     r"FreshPool splits the real rows into n_generations \+ 1 = 201 disjoint chunks.*only 200 real rows"),
    (dict(pool=FreshPool(n_real=201)), ValueError,
     r"FreshPool\(n_real=201, replace=False\) draws 201 distinct real rows per generation, but the real table has "
     "only 200 rows"),
    (dict(pool=FreshPool(stream=[np.ones((5, 1))] * 3), n_generations=4), ValueError,
     "FreshPool's stream ran out after 3 tables, but n_generations=4 needs one table per generation"),
    (dict(pool=WindowPool(k=0)), ValueError, r"The 'k' parameter of WindowPool must be an int"),
    (dict(pool="window:0"), ValueError, r"The 'k' parameter of WindowPool"),
    (dict(pool=AccumulatePool(subsample=1000)), ValueError,
     r"AccumulatePool\(subsample=1000\) draws 1000 rows per generation, but generation 1's accumulated pool "
     r"has only 400 rows"),
    (dict(pool="mix"), ValueError, "Unknown pool 'mix'"),
    (dict(keep="first"), ValueError, "The 'keep' parameter of RecursiveSynthesizer must be a str among"),
    (dict(generator=_NoSample()), TypeError,
     r"generator _NoSample does not follow the generator contract: it has no sample\(\) method"),
    (dict(generator=_NoPartialFit(), pool="accumulate"), TypeError,
     r"it has no partial_fit\(\) method, needed by AccumulatePool\(\) to add rows"),
    (dict(generator=_NoPartialFit(), chunk_size=50), TypeError,
     r"no partial_fit\(\) method, needed to fit generation 0 \(200 rows\) in chunks of chunk_size=50"),
    (dict(generator=MultivariateNormalGenerator), TypeError, "generator must be an instance"),
])
def test_bad_parameters_fail_before_any_work(params, err, match, monkeypatch):
    calls = []
    monkeypatch.setattr(RecursiveSynthesizer, "_fit_generation",
                        lambda *a, **k: calls.append(1) or pytest.fail("work started"))
    rs = RecursiveSynthesizer(**{"generator": MultivariateNormalGenerator(), **params})
    with pytest.raises(err, match=match):
        rs.fit(_normal(200, 1))
    assert not calls


def test_fresh_pool_draws_new_real_rows_each_generation_and_reruns_alone():
    X = _mixed(120)
    pool = FreshPool(n_real=30, replace=True, real_weight=0.618)
    rs = RecursiveSynthesizer(CategoricalGenerator(structure="independent"), n_generations=3,
                              schedule="constant:40", pool=pool, keep="all", random_state=0).fit(X)
    assert list(rs.history_["n_real"]) == [120, 30, 30, 30] and list(rs.history_["n_synthetic"]) == [0, 40, 40, 40]
    # generation 0 is the fit on every real row, generation 2 the weighted fit of its plan's rows
    ref = CategoricalGenerator(structure="independent").fit(X)
    for name in X.columns:
        np.testing.assert_array_equal(rs.generators_[0].marginals_[name], ref.marginals_[name])
    seeds = rs.history_["seed"].to_numpy()
    real, synthetic = rs.pool_.plan(2, rs.sizes_, seeds).parts
    rows = pd.concat([X.iloc[real.rows], sample_blocks(rs.generators_[1], 40, seeds[2], part=1)], ignore_index=True)
    w = np.r_[np.full(30, real.weight), np.full(40, synthetic.weight)]
    again = CategoricalGenerator(structure="independent", random_state=int(seeds[2])).fit(rows, sample_weight=w)
    for name in X.columns:
        np.testing.assert_allclose(again.marginals_[name], rs.generators_[2].marginals_[name], rtol=1e-12)
    assert pool.get_params() == FreshPool(n_real=30, replace=True, real_weight=0.618).get_params()


def test_fresh_pool_stream_feeds_its_tables():
    X, more = (pd.DataFrame(_normal(n, 2, seed), columns=["a", "b"]) for n, seed in ((100, 0), (90, 1)))
    seen = []

    def stream(t):
        seen.append(t)
        return more.iloc[30 * (t - 1): 30 * t]

    pool = FreshPool(stream=stream)
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3, schedule="constant:50", pool=pool,
                              keep="all", random_state=0).fit(X)
    assert seen == [1, 2, 3] and list(rs.history_["n_real"]) == [100, 30, 30, 30]
    # the stream's rows are generation 3's real rows
    seeds = rs.history_["seed"].to_numpy()
    rows = pd.concat([more.iloc[60:90], sample_blocks(rs.generators_[2], 50, seeds[3], part=1)], ignore_index=True)
    np.testing.assert_allclose(MultivariateNormalGenerator().fit(rows).covariance_, rs.generators_[3].covariance_)
    assert not hasattr(pool, "_stream_tables")  # the caller's pool is not changed by the run


@pytest.mark.parametrize("table, y, err, match", [
    (lambda X: X.iloc[:, ::-1], None, ValueError, r"the FreshPool stream's table for generation 1 has columns "
     r"\['size', 'colour', 'income', 'age'\]; expected the real table's \['age', 'income', 'colour', 'size'\]"),
    (lambda X: X.astype({"age": float}), None, ValueError, "has other dtypes than the real table: 'age' is float64, "
     "expected int64"),
    (lambda X: X.to_numpy(), None, TypeError, "is a ndarray; the real table is a DataFrame"),
    (lambda X: X, np.zeros(100), ValueError, "a FreshPool stream gives tables of X's columns, without labels"),
])
def test_fresh_pool_stream_tables_must_match_the_real_table(table, y, err, match, monkeypatch):
    X = _mixed(100)
    monkeypatch.setattr(CategoricalGenerator, "fit", lambda *a, **k: pytest.fail("work started"))
    rs = RecursiveSynthesizer(CategoricalGenerator(), n_generations=2, pool=FreshPool(stream=[table(X)] * 2))
    with pytest.raises(err, match=match):
        rs.fit(X, y)


def test_fresh_pool_array_stream_is_cast_to_the_real_dtype():
    X = _normal(50, 2)
    stream = [np.ones((10, 2), dtype=np.int64)] * 2
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, pool=FreshPool(stream=stream),
                              random_state=0).fit(X)
    assert list(rs.history_["n_real"]) == [50, 10, 10]
    with pytest.raises(ValueError, match=r"has shape \(10, 3\); expected 2 columns"):
        RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1,
                             pool=FreshPool(stream=[np.ones((10, 3))])).fit(X)
    with pytest.raises(TypeError, match="has dtype float64; expected numbers castable to the real table's int64"):
        RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1,
                             pool=FreshPool(stream=[np.ones((10, 2))])).fit(X.astype(np.int64))


def test_history_measures_every_generation_against_a_reference():
    from sklearn.linear_model import LogisticRegression

    from synthloop import ConditionalGenerator

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 2))
    X = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": rng.random(2000) < 1 / (1 + np.exp(-x @ [1.0, -0.5]))})
    template = ConditionalGenerator(LogisticRegression(), target="y")
    reference = clone(template).fit(X)
    rs = RecursiveSynthesizer(template, n_generations=3, schedule="constant:200", reference=reference, keep="all",
                              pool=FreshPool(n_real=200, real_weight=0.6), random_state=0).fit(X)
    h = rs.history_
    for t, gen in enumerate(rs.generators_):
        beta = gen.parameter_vector()
        assert h.loc[t, "params_sq_dist_ref"] == pytest.approx(np.sum((beta - reference.parameter_vector()) ** 2))
        assert h.loc[t, "params_sq_dist"] == pytest.approx(np.sum((beta - rs.generators_[0].parameter_vector()) ** 2))
        p, q = gen.collapse_summary()["y"][1], reference.collapse_summary()["y"][1]
        assert h.loc[t, "l1_ref[y]"] == pytest.approx(float((p - q).abs().sum()))
        assert h.loc[t, "var_ratio_ref[a]"] == pytest.approx(gen.collapse_summary()["a"][1]
                                                            / reference.collapse_summary()["a"][1])
    # generation 0 is fit on all of X, the reference's own rows: distance 0
    assert h.loc[0, "params_sq_dist_ref"] == pytest.approx(0.0, abs=1e-12)
    # a parameter vector alone gives the parameter distance only
    alone = RecursiveSynthesizer(template, n_generations=1, reference=reference.parameter_vector(),
                                 random_state=0).fit(X)
    assert "params_sq_dist_ref" in alone.history_ and not alone.history_.filter(like="_ref[").shape[1]


@pytest.mark.parametrize("reference, err, match", [
    (lambda: MultivariateNormalGenerator().fit(_normal(50, 3)), ValueError,
     r"reference was fitted on columns \[0, 1, 2\], but the loop models \[0, 1\]"),
    (lambda: np.zeros(4), ValueError, "the reference has 4 parameters, but generation 0 has 5 parameters"),
    (lambda: "beta", TypeError, "reference must be a fitted generator or a parameter vector"),
    (lambda: MultivariateNormalGenerator(), NotFittedError, "MultivariateNormalGenerator instance is not fitted"),
])
def test_bad_reference(reference, err, match):
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, reference=reference())
    with pytest.raises(err, match=match):
        rs.fit(_normal(50, 2))


def test_y_of_the_wrong_length():
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1)
    with pytest.raises(ValueError, match="y has 99 values but X has 200 rows"):
        rs.fit_resample(_normal(), np.zeros(99))
    with pytest.raises(ValueError, match="fit_resample needs labels y; got None"):
        rs.fit_resample(_normal(), None)


def test_sample_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RecursiveSynthesizer().sample(3)


# ------------------------------------------------------- theory (docs/theory.rst)
def _gaussian_runs(covariance, n, T, reps):
    """Fitted variance of generation T over independent replications of the replace loop."""
    out = np.empty(reps)
    for r in range(reps):
        X = np.random.default_rng([7, r]).normal(size=(n, 1))
        rs = RecursiveSynthesizer(MultivariateNormalGenerator(covariance=covariance), n_generations=T,
                                  random_state=r).fit(X)
        out[r] = rs.parameters_[-1]["covariance"][0, 0]
    return out


@pytest.mark.parametrize("covariance, ddof", [("unbiased", 1), ("mle", 0)])
def test_gaussian_variance_after_T_generations_matches_theory(covariance, ddof):
    from synthloop.theory import gaussian_expected_variance, gaussian_variance_collapse_probability

    n, T, reps, eps = 10, 5, 400, 0.3
    var = _gaussian_runs(covariance, n, T, reps)
    sizes = np.full(T + 1, n)
    # Closed form of docs/theory.rst, "Gaussian estimation" (T + 1 factors W_t = chi2_{n-1} / (n - ddof)) ...
    k = n - 1
    mean = ((n - 1) / (n - ddof)) ** (T + 1)
    second = (k * (k + 2) / (n - ddof) ** 2) ** (T + 1)
    assert gaussian_expected_variance(sizes, ddof=ddof)[-1] == pytest.approx(mean)
    se = np.sqrt((second - mean**2) / reps)
    assert abs(var.mean() - mean) < 4 * se
    # ... and P(var_T <= eps) from the exact log-chi2 convolution.
    p = float(gaussian_variance_collapse_probability(sizes, eps, ddof=ddof)[-1])
    assert 0.05 < p < 0.95
    assert abs((var <= eps).mean() - p) < 4 * np.sqrt(p * (1 - p) / reps)


def _categorical_runs(pool, N, n, T, reps, p):
    coll = np.empty((reps, T + 1))
    for r in range(reps):
        rng = np.random.default_rng([11, r])
        X = pd.DataFrame({"x": pd.Categorical(rng.choice(len(p), N, p=p), categories=range(len(p)))})
        rs = RecursiveSynthesizer(CategoricalGenerator(structure="independent"), n_generations=T,
                                  schedule=ConstantSchedule(n=n), pool=pool, random_state=r).fit(X)
        coll[r] = rs.history_["collision[x]"].to_numpy()
    return coll


def test_categorical_collision_follows_theorem_1_under_replace():
    from synthloop.theory import fully_synthetic_collision

    p = np.array([0.4, 0.3, 0.2, 0.1])
    S0, n, T, reps = float(p @ p), 10, 6, 200
    coll = _categorical_runs("replace", n, n, T, reps, p)
    g = np.arange(T + 1)
    theory = 1 - (1 - 1 / n) ** (g + 1) * (1 - S0)  # [B] (docs/theory.rst), our index g = m - 1
    np.testing.assert_allclose(fully_synthetic_collision(g, n, S0), theory)
    se = coll.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(coll.mean(axis=0) - theory) < 4 * se)
    assert theory[-1] - theory[0] > 8 * se[-1]  # the test can tell collapse from no collapse


def test_categorical_collision_follows_theorem_2_under_augment():
    from synthloop.theory import partially_synthetic_collision

    p = np.array([0.4, 0.3, 0.2, 0.1])
    S0, N, n, T, reps = float(p @ p), 10, 20, 6, 200
    coll = _categorical_runs("augment", N, n, T, reps, p)
    g = np.arange(T + 1)
    alpha = n / (N + n)
    beta = alpha**2 * (1 - 1 / n)
    D = 1 + (1 + 1 / N) * alpha
    theory = ((1 / N) * (1 + 2 * alpha - (1 - 1 / N) * alpha * beta**g) / D
              + (1 - 1 / N) * S0 * (1 + alpha + (alpha / N) * beta**g) / D)
    np.testing.assert_allclose(partially_synthetic_collision(g, N, n, S0), theory)
    se = coll.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(coll.mean(axis=0) - theory) < 4 * se)


def test_fit_resample_keeps_a_categorical_target_and_any_index():
    X = _mixed().set_index(pd.RangeIndex(1000, 1300))
    y = pd.Series(pd.Categorical(np.where(X["income"] > 50, "hi", "lo")), index=X.index, name="band")
    Xs, ys = RecursiveSynthesizer(n_generations=1, random_state=0).fit_resample(X, y)
    assert ys.dtype == y.dtype and ys.name == "band" and len(ys) == len(X)
    # Labels were joined by position: generation 0 fit on X and y row by row.
    rs = RecursiveSynthesizer(n_generations=0, random_state=0).fit(X, y)
    S = rs.sample(4000, random_state=0)
    assert (S.loc[S["income"] > 60, "band"] == "hi").mean() > 0.8


def test_real_weight_convention_in_the_fit():
    """AugmentPool(real_weight=w): the generation-1 mean is w * real mean + (1 - w) * synthetic mean."""
    X = _normal(100, 1, seed=3) + 5.0
    w = 0.618
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, schedule=ConstantSchedule(n=300),
                              pool=AugmentPool(real_weight=w), keep="all", random_state=0).fit(X)
    seed = int(rs.history_.loc[1, "seed"])
    S = sample_blocks(rs.generators_[0], 300, seed, part=1)  # part 0 is the real rows
    expected = w * X.mean() + (1 - w) * S.mean()
    assert rs.generators_[1].mean_[0] == pytest.approx(expected, rel=1e-12)
    assert rs.history_.loc[1, "n_train"] == 400


def test_fit_resample_keeps_the_floats_of_a_continuous_integer_model():
    # integers="continuous" returns integer columns as floats; an integer array in must not come back
    # truncated to integers
    from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 50, size=(200, 2)), rng.integers(0, 2, 200)
    rs = RecursiveSynthesizer(MultivariateNormalGenerator(integers="continuous"), n_generations=1, random_state=0)
    Xs, ys = rs.fit_resample(X, y)
    assert Xs.dtype == np.float64 and not np.all(np.mod(Xs, 1) == 0)
    Xr, yr = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, random_state=0).fit_resample(X, y)
    assert Xr.dtype == X.dtype and yr.dtype == y.dtype
