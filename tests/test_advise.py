"""recommend_schedule: recommendations checked against real recursive runs, bad input, fallback, figure, CLI."""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone

from synthloop import CategoricalGenerator, FreshPool, GaussianCopulaGenerator, MultivariateNormalGenerator
from synthloop.advise import ScheduleAdvice, recommend_schedule
from synthloop.advise._drift import Fit
from synthloop.schedules import ConstantSchedule

matplotlib.use("Agg")


def _binomial_se(p, n):
    return math.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module")
def gaussian_X():
    return np.random.default_rng(0).normal(size=(200, 2))


@pytest.fixture(scope="module")
def gaussian_advice(gaussian_X):
    return recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3,
                              tolerance=0.03, families=["constant", "polynomial"], n_reps=2000, random_state=0)


def test_gaussian_drift_matches_the_closed_form(gaussian_advice):
    # Exact mean of D_T = KL(N_T || N_0) for the unbiased MVN fit (docs/theory.rst, "Gaussian estimation", Bartlett):
    # E tr S_T = d, E |m_T|^2 = d sum 1/n_t, E log det S_T = sum_t sum_i [psi((n_t-1-i)/2) + log 2 - log(n_t-1)].
    from scipy.special import digamma

    row = gaussian_advice.table.set_index("family").loc["constant"]
    n, d, T = int(row["value"]), 2, 3
    logdet = T * sum(digamma((n - 1 - i) / 2) + np.log(2) - np.log(n - 1) for i in range(d))
    expected = 0.5 * (d * T / n - logdet)
    se = row["drift_sd"] / math.sqrt(gaussian_advice.settings["n_reps"])
    assert abs(row["drift_mean"] - expected) <= 4 * se
    # and the small-step approximation k/2 * sum 1/n_t (k = d(d+3)/2 = 5) is within 2% of it
    assert expected == pytest.approx(5 / 2 * T / n, rel=0.02)


def test_gaussian_recommendation_meets_the_promise_in_real_runs(gaussian_X, gaussian_advice):
    advice = gaussian_advice
    assert advice.recommendation["family"] == "constant"
    assert isinstance(advice.schedule, ConstantSchedule)
    n_seeds = 150
    check = advice.validate(gaussian_X, n_seeds=n_seeds, families=["constant"], random_state=1).set_index("setting")
    promised = advice.settings["confidence"]
    chosen, cheaper = check.loc["chosen"], check.loc["cheaper"]
    # The recommended setting meets the tolerance in the promised share of runs, up to
    # 3 binomial SE of n_seeds runs at the promised rate (0.074 here) ...
    assert chosen["pass_rate"] >= promised - 3 * _binomial_se(promised, n_seeds)
    # ... and agrees with the simulated probability within 4 SE (the simulation is exact for MVN).
    assert abs(chosen["pass_rate"] - chosen["predicted"]) <= 4 * _binomial_se(chosen["predicted"], n_seeds)
    # The next cheaper grid setting (n / sqrt(2)) does not meet it.
    assert cheaper["predicted"] < promised
    assert cheaper["pass_rate"] < promised
    assert abs(cheaper["pass_rate"] - cheaper["predicted"]) <= 4 * _binomial_se(cheaper["predicted"], n_seeds)


def test_table_reports_cost_interval_and_next_cheaper(gaussian_advice):
    t = gaussian_advice.table.set_index("family")
    for fam in ("constant", "polynomial"):
        row = t.loc[fam]
        assert row["probability_low"] <= row["probability"] <= row["probability_high"]
        assert row["value_low"] <= row["value"] <= row["value_high"]
        assert row["cheaper_value"] < row["value"] and row["cheaper_rows"] < row["total_rows"]
        assert row["fit_seconds"] > 0
    assert t.loc["constant", "total_rows"] == 3 * t.loc["constant", "value"]
    pred = gaussian_advice.predicted
    assert set(pred["generation"]) == {0, 1, 2, 3}
    # the drift grows with the generations (a random walk)
    const = pred[pred["family"] == "constant"]["drift_mean"].to_numpy()
    assert np.all(np.diff(const) > 0)


def test_categorical_recommendation_meets_the_promise_in_real_runs():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": pd.Categorical(rng.choice(list("abcd"), 300, p=[0.5, 0.3, 0.15, 0.05])),
                      "b": pd.Categorical(rng.choice(list("xy"), 300))})
    advice = recommend_schedule(X, generator=CategoricalGenerator(structure="independent"), n_generations=3,
                                tolerance=0.02, families=["constant"], n_reps=2000, random_state=0)
    assert advice.method.startswith("theory+simulation ([B]")
    # [B]: E KL ~ (s-1)/2 * sum 1/n_t summed over the columns, (3 + 1)/2 * 3/n, while no level is lost
    # (a small-step approximation, not a Monte Carlo tolerance: its O(s/n^2) remainder is a few percent here)
    row = advice.table.iloc[0]
    assert row["drift_mean"] == pytest.approx(2 * 3 / row["value"], rel=0.1)
    n_seeds = 150
    check = advice.validate(X, n_seeds=n_seeds, random_state=2).set_index("setting")
    promised = advice.settings["confidence"]
    assert check.loc["chosen", "pass_rate"] >= promised - 3 * _binomial_se(promised, n_seeds)
    assert check.loc["cheaper", "pass_rate"] < promised


def test_copula_singular_latent_correlation_is_handled():
    # a column that is an exact function of another (Adult's education / education_num)
    rng = np.random.default_rng(0)
    level = rng.integers(0, 5, 400)
    X = pd.DataFrame({"num": level, "cat": pd.Categorical(np.array(list("abcde"))[level]), "x": rng.normal(size=400)})
    advice = recommend_schedule(X, generator=GaussianCopulaGenerator(categorical="order"), n_generations=2,
                                tolerance=0.2, families=["constant"], n_reps=200, n_calibration=2, random_state=0)
    assert any("rank 2 < 3" in n for n in advice.notes)
    drift = advice.calibration["drift"]
    assert np.all(np.isfinite(drift["measured"])) and advice.calibration["scale"] > 0
    assert advice.recommendation is not None


def test_budget_too_small_gives_none_within_budget_and_the_closest(gaussian_X):
    advice = recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3,
                                tolerance=0.01, families=["constant", "linear"], budget_rows=600, n_reps=300,
                                random_state=0)
    assert advice.recommendation is None and advice.schedule is None
    assert advice.closest is not None and advice.closest["total_rows"] <= 600
    assert not advice.table["meets"].any()
    assert "none within budget" in advice.summary()


@pytest.mark.parametrize("tolerance", [0, -0.1, float("nan")])
def test_tolerance_must_be_positive(gaussian_X, tolerance):
    with pytest.raises(ValueError, match=r"The 'tolerance' parameter of recommend_schedule must be a float in the range \(0\.0, inf\)"):
        recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3, tolerance=tolerance)


def test_budget_below_one_real_generation(gaussian_X):
    with pytest.raises(ValueError, match=r"budget_rows=100 is smaller than one generation of real size \(200 rows\)"):
        recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3, tolerance=0.1,
                           budget_rows=100)


def test_target_not_in_X():
    X = pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0)})
    with pytest.raises(ValueError, match="target 'income' is not a column of X; columns are"):
        recommend_schedule(X, generator=MultivariateNormalGenerator(), n_generations=3, tolerance=0.1,
                           target="income")


def test_unknown_family_and_pool(gaussian_X):
    with pytest.raises(ValueError, match=r"unknown schedule families \['cubic'\]"):
        recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3, tolerance=0.1,
                           families=["cubic"])


@pytest.mark.parametrize("pool", ["fresh", "fresh:0.5", "window", "augment:0.618", "accumulate-subsample", None])
def test_unsupported_pool_is_one_clear_line(gaussian_X, pool):
    with pytest.raises(ValueError, match=r"pool must be one of \['replace', 'augment', 'accumulate'\]") as err:
        recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3, tolerance=0.1,
                           pool=pool)
    assert "\n" not in str(err.value)
    assert ("'fresh' splits the real rows into T+1 chunks" in str(err.value)) == str(pool).startswith("fresh")


class _BootstrapGenerator(BaseEstimator):
    """A generator the advisor knows nothing about: resamples the rows it was fit on."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        self.X_ = np.asarray(X)
        return self

    def sample(self, n_samples=1, *, random_state=None):
        rng = np.random.default_rng(random_state)
        return self.X_[rng.integers(0, len(self.X_), n_samples)]


def test_unknown_generator_falls_back_to_simulation_only(gaussian_X):
    with pytest.warns(UserWarning, match="not a model the advisor can reason about: simulation only"):
        advice = recommend_schedule(gaussian_X, generator=_BootstrapGenerator(), n_generations=3, tolerance=0.05,
                                    families=["constant"], n_reps=200, random_state=0)
    assert advice.method.startswith("simulation-only")
    assert advice.calibration is None and advice.recommendation is not None
    with pytest.raises(ValueError, match="cannot be measured from its fitted parameters"):
        advice.validate(gaussian_X, n_seeds=2)


def _drift_at_T(measure, generator, X, n, T, reps):
    """``measure``'s drift at generation T of ``reps`` real replace loops at constant ``n`` (seeds 0..reps-1)."""
    from synthloop import RecursiveSynthesizer

    runs = (RecursiveSynthesizer(clone(generator), n_generations=T, schedule=f"constant:{n}", random_state=s).fit(X)
            for s in range(reps))
    return np.array([measure.measure(Fit.from_run(rs, T), Fit.from_run(rs, 0)) for rs in runs])


def _se_of_difference(measured, simulated):
    """Monte Carlo standard error of ``mean(measured) - mean(simulated)``."""
    return np.sqrt(measured.var(ddof=1) / measured.size + simulated.var() / simulated.size)


def _assert_means_within(measured, simulated, k):
    se = _se_of_difference(measured, simulated)
    assert abs(measured.mean() - simulated.mean()) < k * se, (measured.mean(), simulated.mean(), se)


def _utility_table(n=400):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    y = x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=n) > 0
    return pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "y": pd.Categorical(np.where(y, "yes", "no"))})


@pytest.mark.parametrize("reference", ["real", "generation0"])
def test_target_calibrates_the_utility_gap(reference):
    X = _utility_table()
    advice = recommend_schedule(X, generator=GaussianCopulaGenerator(), n_generations=3, tolerance=0.05,
                                target="y", reference=reference, families=["constant"], n_reps=200,
                                n_calibration=2, random_state=0)
    cal = advice.calibration
    assert cal["metric"] == "roc_auc" and cal["slope"] >= 0 and cal["reference"] == reference
    assert {"drift_predicted", "loss_measured", "loss_fitted"} <= set(cal["utility"].columns)
    against = "generation 0" if reference == "generation0" else "real-only training"
    assert f"loss of roc_auc against {against}" in advice.criterion
    assert "loss_predicted" in advice.predicted.columns
    table = cal["utility"]
    if reference == "generation0":
        # generation 0 against itself loses exactly nothing; the intercept is 0
        assert cal["intercept"] == 0 and np.all(table.loc[table["generation"] == 0, "loss_measured"] == 0)
    else:
        assert cal["intercept"] == pytest.approx(cal["loss_real_0"])
    row = advice.table.iloc[0]
    offset = cal["loss_real_0"] if reference == "generation0" else 0.0
    assert row["loss_vs_real"] == pytest.approx(row["loss_mean"] + offset)
    # The evaluator's noise is in the criterion: loss = b + a D + e with a, D >= 0,
    # so no setting passes more often than generation 0 would, Phi((tol - b) / sd)
    # (up to 3 Monte Carlo SE of the 200 replications).
    from scipy.stats import norm

    assert 0 < cal["noise_sd"] < 0.2 and "N(0, " in advice.criterion
    ceiling = norm.cdf((0.05 - cal["intercept"]) / cal["noise_sd"])
    p = advice.table["probability"].dropna().to_numpy()
    assert np.all(p <= ceiling + 3 * np.sqrt(ceiling * (1 - ceiling) / 200) + 1e-12), (p, ceiling)


def test_plot_renders_png(gaussian_advice, tmp_path):
    fig = gaussian_advice.plot()
    path = tmp_path / "advice.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 2
    assert "ScheduleAdvice(recommendation=constant:n=" in repr(gaussian_advice)
    assert isinstance(gaussian_advice, ScheduleAdvice)
    left, right = fig.axes
    fig.canvas.draw()
    # integer generation ticks, readable numbers in the legend, the bound inside the axes
    assert all(float(tick).is_integer() for tick in left.get_xticks())
    labels = [text.get_text() for text in left.get_legend().get_texts()]
    assert any(label.endswith("(recommended)") for label in labels)
    assert not any("e+" in label for label in labels)
    assert left.get_ylim()[1] > gaussian_advice.threshold
    # the heading's colours are the bars' colours
    from matplotlib.colors import to_hex

    meets = gaussian_advice.table["meets"] & gaussian_advice.table["within_budget"]
    colours = [to_hex(bar.get_facecolor()) for bar in right.patches]
    assert colours == [to_hex("tab:green") if m else to_hex("tab:gray") for m in meets]
    assert right.get_title().startswith("green: meets" if meets.any() else "grey: no family")


def test_cli_advise_prints_the_table(tmp_path, capsys):
    from synthloop.cli import main

    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)}).to_csv(path, index=False)
    code = main(["advise", str(path), "--generator", "mvn", "--generations", "3", "--tolerance", "0.05",
                 "--families", "constant,linear", "--n-reps", "200", "--plot", str(tmp_path / "a.png")])
    out = capsys.readouterr().out
    assert code == 0
    assert "recommendation: constant schedule with n=" in out and "linear" in out
    assert (tmp_path / "a.png").is_file()


def test_cli_advise_bad_tolerance_is_one_line(tmp_path, capsys):
    from synthloop.cli import main

    path = tmp_path / "t.csv"
    pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) ** 2}).to_csv(path, index=False)
    assert main(["advise", str(path), "--generator", "mvn", "--generations", "3", "--tolerance", "0"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "The 'tolerance' parameter of recommend_schedule must be a float in the range" in err[0]


def test_search_scans_when_the_most_expensive_setting_fails():
    from synthloop.advise._search import FamilySearch

    # passes only for the 3rd and 4th settings: a probability that does not grow with the rows
    def evaluate(sizes):
        ok = 300 <= sizes[1] <= 700
        return np.full(10, ok), np.zeros((10, sizes.size))

    search = FamilySearch("constant", [100, 200, 400, 600, 800, 1600], evaluate, 2, 100, 0.9)
    assert search.search() == 2


# ---------------------------------------------------------------- pools that keep the real rows
# A polynomial schedule keeps n_1 = n_real, the size where real and synthetic rows share the pool
# evenly and augment/accumulate differ most from replace (whose drift is 3-8 times larger here).
_POOL_CASES = {
    ("mvn", "augment"): 0.035, ("mvn", "accumulate"): 0.04,
    ("categorical", "augment"): 0.022, ("categorical", "accumulate"): 0.025,
}


def _tiny(kind):
    rng = np.random.default_rng(0)
    if kind == "mvn":
        return rng.normal(size=(40, 2)), MultivariateNormalGenerator(), 3
    X = pd.DataFrame({"a": pd.Categorical(rng.choice(list("abc"), 40, p=[0.5, 0.3, 0.2])),
                      "b": pd.Categorical(rng.choice(list("xy"), 40))})
    return X, CategoricalGenerator(structure="independent"), 2


@pytest.mark.parametrize("kind,pool", list(_POOL_CASES))
def test_pool_with_real_rows_prediction_matches_real_runs(kind, pool):
    X, generator, T = _tiny(kind)
    n_reps, n_seeds = 2000, 150
    advice = recommend_schedule(X, generator=generator, n_generations=T, tolerance=_POOL_CASES[kind, pool],
                                families=["polynomial"], pool=pool, n_reps=n_reps, random_state=0)
    assert advice.settings["pool"] == pool and f"pool={pool!r}" in advice.criterion
    row = advice.table.iloc[0]
    check = advice.validate(X, n_seeds=n_seeds, random_state=1).set_index("setting")
    assert list(check.index) == ["chosen", "cheaper"]
    # Both simulators are exact for these pools (the fully synthetic loop would drift 3-8 times more).
    _assert_real_runs_match_the_simulation(check, row, n_seeds, n_reps)


def _assert_real_runs_match_the_simulation(check, row, n_seeds, n_reps):
    """``validate``'s real runs against an exact simulation: for the chosen and the cheaper setting, the
    share of runs within the tolerance matches the simulated probability within 4 standard errors of their
    difference; the chosen setting's mean drift matches the simulated one within 4 SE (the simulated SD for
    both samples)."""
    for setting in ("chosen", "cheaper"):
        p = check.loc[setting, "predicted"]
        se = math.sqrt(p * (1 - p) * (1 / n_seeds + 1 / n_reps))
        assert abs(check.loc[setting, "pass_rate"] - p) <= 4 * se, (setting, check.loc[setting].to_dict())
    se = row["drift_sd"] * math.sqrt(1 / n_seeds + 1 / n_reps)
    assert abs(check.loc["chosen", "drift_mean"] - row["drift_mean"]) <= 4 * se


# ---------------------------------------------------------------- fresh real rows (He, Xu and Cheng)
def _fresh_case(kind):
    rng = np.random.default_rng(0)
    if kind == "mvn":  # not Gaussian: the drawn real rows' covariance is not a Wishart
        X = rng.uniform(size=(100, 2))
        X[:, 1] += X[:, 0]
        return X, MultivariateNormalGenerator(), FreshPool(n_real=40, real_weight=0.618, replace=True), 0.1
    # dependent columns (the drawn rows tie them) and a missing level
    a = rng.choice(list("abcd"), 100, p=[0.4, 0.3, 0.2, 0.1])
    b = np.where(rng.random(100) < 0.7, a, rng.choice(list("abcd"), 100))
    X = pd.DataFrame({"a": pd.Categorical(a), "b": pd.Series(b).where(np.arange(100) > 3, None)})
    return X, CategoricalGenerator(structure="independent"), FreshPool(n_real=40), 0.05


@pytest.mark.parametrize("kind", ["mvn", "categorical"])
def test_fresh_pool_prediction_matches_real_runs(kind):
    X, generator, pool, tolerance = _fresh_case(kind)
    n_reps, n_seeds = 2000, 150
    advice = recommend_schedule(X, generator=generator, n_generations=3, tolerance=tolerance, families=["constant"],
                                pool=pool, n_reps=n_reps, random_state=0)
    assert advice.settings["pool"] is pool and f"pool={pool!r}" in advice.criterion
    check = advice.validate(X, n_seeds=n_seeds, random_state=1).set_index("setting")
    assert list(check.index) == ["chosen", "cheaper"]
    # The simulation draws the real rows of X as the loop does and is exact.
    _assert_real_runs_match_the_simulation(check, advice.table.iloc[0], n_seeds, n_reps)


def test_categorical_drift_of_a_generation_that_lost_a_level_is_the_kl_to_all_of_generation_0():
    # KL(q || p) over q's support with p as generation 0 fitted it, as the simulation computes it; p renormalised
    # over q's support would give log(0.8) less.
    from synthloop.advise._drift import CategoricalBlock, _kl_categorical

    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.4, 0.0])
    block = CategoricalBlock("c", p, lambda fit: fit)
    assert block.measure(dict(zip("abc", q)), dict(zip("abc", p))) == pytest.approx(_kl_categorical(q, p))
    assert block.measure(dict(zip("abc", q)), dict(zip("abc", p))) == pytest.approx(
        0.6 * np.log(0.6 / 0.5) + 0.4 * np.log(0.4 / 0.3))


def test_fresh_pool_floor_is_named_when_nothing_meets_the_tolerance():
    X, generator, pool, _ = _fresh_case("mvn")
    advice = recommend_schedule(X, generator=generator, n_generations=3, tolerance=0.01, families=["constant"],
                                pool=pool, n_reps=200, random_state=0)
    assert advice.recommendation is None
    assert "every generation refits 40 newly drawn real rows, whose own noise no number of synthetic rows" \
        in advice.notes[-1]


@pytest.mark.parametrize("generator, pool, criterion, match", [
    (MultivariateNormalGenerator(), FreshPool(stream=[np.ones((5, 2))] * 3), "kl",
     "a stream's rows are not known before the run, so they cannot be simulated"),
    (MultivariateNormalGenerator(), FreshPool(real_weight=0.5), "kl", "'fresh' splits the real rows into T\\+1 chunks"),
    (MultivariateNormalGenerator(), FreshPool(n_real=500), "kl", r"FreshPool\(n_real=500, replace=False\) draws 500 "
     "distinct real rows per generation, but the real table has only 200 rows"),
    (GaussianCopulaGenerator(), FreshPool(n_real=50), "kl", r"FreshPool\(n_real=50\) is simulated for "
     "MultivariateNormalGenerator and CategoricalGenerator only; not for GaussianCopulaGenerator: its latent"),
    (CategoricalGenerator(), FreshPool(n_real=50), "kl", "not for CategoricalGenerator: structure='joint' is not "
     "measured on real runs"),
    (MultivariateNormalGenerator(), FreshPool(n_real=50), "tv", "criterion='tv' simulates the columns "
     "independently, and the fresh real rows tie them together; use criterion='kl'"),
])
def test_fresh_pool_refusals_are_one_line(gaussian_X, generator, pool, criterion, match):
    with pytest.raises(ValueError, match=match) as err:
        recommend_schedule(gaussian_X, generator=generator, n_generations=3, tolerance=0.1, criterion=criterion,
                           pool=pool)
    assert "\n" not in str(err.value)


def test_augment_drifts_less_than_replace_and_stays_bounded(gaussian_X):
    from synthloop.advise._models import drift_model

    fitted = MultivariateNormalGenerator().fit(gaussian_X)
    sizes = ConstantSchedule(n=200).sizes(10, 200)
    n_reps = 2000
    D = {pool: drift_model(fitted, gaussian_X, pool).simulate(sizes, n_reps, 0) for pool in ("replace", "augment")}

    def mean_se(x):
        return x.mean(), x.std(ddof=1) / math.sqrt(n_reps)

    # Same schedule, same generations: keeping the real rows drifts less, by more than 4 SE of the difference.
    diff, se = mean_se(D["replace"][:, 5] - D["augment"][:, 5])
    assert diff > 4 * se
    # Replace is a random walk, E D_10 = 2 E D_5 exactly for a constant schedule (docs/theory.rst); augment
    # with n = n_real halves the distance to the real fit every generation, so by generation 5 it is
    # stationary (the remaining change, 4**-5 of the drift, is far below the 4 SE allowed here).
    diff, se = mean_se(D["replace"][:, 10] - 2 * D["replace"][:, 5])
    assert abs(diff) <= 4 * se
    diff, se = mean_se(D["augment"][:, 10] - D["augment"][:, 5])
    assert abs(diff) <= 4 * se
    assert D["augment"][:, 10].mean() < 0.25 * D["replace"][:, 10].mean()


def test_pool_with_real_rows_every_setting_passes_gives_the_cheapest(gaussian_X):
    from synthloop.advise._search import family_grid

    advice = recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=5,
                                tolerance=0.05, families=["constant"], pool="accumulate", n_reps=200, random_state=0)
    row = advice.table.iloc[0]
    assert row["value"] == family_grid("constant", 200, 3)[0] == 3 and row["probability"] == 1.0
    assert np.isnan(row["cheaper_value"])
    assert any("cheapest grid setting (n=3) already meets the tolerance" in n for n in advice.notes)
    assert "with pool='accumulate'" in advice.summary()


def test_pool_with_real_rows_below_one_real_generation_reports_none(gaussian_X):
    # Polynomial and geometric schedules start with n_1 = n_real, whose augment step alone drifts
    # about 0.003 nats (90% quantile 0.006 by T = 3): 0.002 cannot be met by any of their settings.
    advice = recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3,
                                tolerance=0.002, families=["polynomial", "geometric"], pool="augment", n_reps=200,
                                random_state=0)
    assert advice.recommendation is None and advice.schedule is None
    assert not advice.table["meets"].any() and advice.closest is not None
    assert "recommendation: none; closest" in advice.summary()


def test_cli_advise_pool_option(tmp_path, capsys):
    from synthloop.cli import main

    path = tmp_path / "t.csv"
    pd.DataFrame(np.random.default_rng(0).normal(size=(150, 2)), columns=["a", "b"]).to_csv(path, index=False)
    code = main(["advise", str(path), "--generator", "mvn", "--generations", "3", "--tolerance", "0.05",
                 "--families", "constant", "--n-reps", "200", "--pool", "augment"])
    out = capsys.readouterr().out
    assert code == 0
    assert "pool='augment'" in out and "recommendation: constant schedule with n=3:" in out


def test_reference_without_target_and_unknown_reference(gaussian_X):
    with pytest.raises(ValueError, match=r"reference='real' is about the utility criterion; give target="):
        recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=2, tolerance=0.1,
                           reference="real")
    X = _utility_table(100)
    with pytest.raises(ValueError, match=r"'reference' parameter of recommend_schedule must be a str among \{'generation0', 'real'\} or None\. Got 'gen0'"):
        recommend_schedule(X, generator=GaussianCopulaGenerator(), n_generations=2, tolerance=0.1, target="y",
                           reference="gen0")


def test_tolerance_below_one_refit_at_real_size_is_a_note(gaussian_X):
    # One refit at real size drifts about k/(2n) nats; a tolerance far below it leaves only n_t > n_real.
    advice = recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=2,
                                tolerance=1e-4, families=["constant", "polynomial"], n_reps=200, random_state=0)
    assert any("below the drift of one refit at real size" in n for n in advice.notes)
    table = advice.table.set_index("family")
    assert not table.loc["polynomial", "meets"] and table.loc["constant", "value"] > len(gaussian_X)


def test_budget_names_the_cheapest_setting_beyond_it(gaussian_X):
    advice = recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=3,
                                tolerance=0.01, families=["constant"], budget_rows=len(gaussian_X), n_reps=200,
                                random_state=0)
    assert advice.recommendation is None
    row = advice.table.iloc[0]
    assert row["beyond_budget_rows"] > len(gaussian_X)
    assert f"the cheapest setting that meets the tolerance is constant n={row['beyond_budget_value']:g}" in \
        advice.notes[-1]


def test_verbose_prints_the_estimate_and_a_bar(gaussian_X, capsys):
    recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=2, tolerance=0.1,
                       families=["constant"], n_reps=50, verbose=1, random_state=0)
    err = capsys.readouterr()
    text = err.out + err.err
    assert "recommend_schedule: about 0 s of real runs (0 calibration runs" in text
    assert "recommend_schedule" in err.err  # the tqdm bar


def _cells(scale, coef, kappa, se_rel=0.02, seed=0):
    """Calibration cells drawn from the bias rule with known parameters and a stated relative SE."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in (8_000, 32_000, 128_000):
        for t in (1, 2, 3):
            sim = 50.0 * t / n
            mean = scale * sim + coef * t**2 * n ** (-kappa)
            se = se_rel * mean
            rows.append({"n_samples": n, "generation": t, "simulated_mean": sim,
                         "measured_mean": mean + se * rng.standard_normal(), "measured_se": se})
    return pd.DataFrame(rows)


def test_bias_rule_recovers_a_known_exponent_with_an_interval():
    from synthloop.advise._calibrate import fit_bias_rule

    fit = fit_bias_rule(_cells(scale=2.0, coef=0.5, kappa=0.6))
    assert fit["bias_detected"] and not fit["reaches_zero"]
    assert fit["gamma_low"] <= 0.3 <= fit["gamma_high"] and fit["gamma_high"] - fit["gamma_low"] < 0.2
    assert fit["scale"] == pytest.approx(2.0, rel=0.2)


def test_bias_rule_finds_no_bias_in_a_random_walk():
    from synthloop.advise._calibrate import fit_bias_rule

    fit = fit_bias_rule(_cells(scale=1.5, coef=0.0, kappa=1.0))
    assert not fit["bias_detected"] and fit["bias_coef"] == 0
    assert fit["scale"] == pytest.approx(1.5, rel=0.05)


def test_bias_rule_flags_a_bias_that_does_not_shrink():
    from synthloop.advise._calibrate import fit_bias_rule

    fit = fit_bias_rule(_cells(scale=1.0, coef=1e-3, kappa=0.0))
    assert fit["bias_detected"] and fit["reaches_zero"] and fit["gamma_low"] <= 0.01


def test_bias_term_adds_in_amplitude():
    from synthloop.advise._drift import bias_term

    sizes = np.array([100, 400, 400, 400])
    np.testing.assert_allclose(bias_term(sizes, 2.0, 1.0), 2.0 * (np.arange(4) / 20.0) ** 2)


@pytest.mark.slow
def test_latent_correlation_simulation_matches_copula_fits_of_strongly_correlated_data():
    # Gaussian data (no ties: the copula's estimator is the normal-scores correlation), strong
    # correlations. The block simulates the correlation chain in the columns' own coordinates; the
    # measured mean drift at T over 600 real loops must match it within 4 SE. The same loops put a
    # simulation of the correlation in whitened coordinates (what a correlation is not: affine
    # invariant) more than 4 SE away, so the test can tell the two apart.
    from synthloop.advise._drift import LatentCorrelationBlock, _kl_latent
    from synthloop.schedules import CallableSchedule
    from synthloop.simulate import simulate_mvn

    p, n, T, reps = 4, 1000, 3, 600
    R = np.full((p, p), 0.9)
    R[3, :3] = R[:3, 3] = 0.6
    np.fill_diagonal(R, 1.0)
    X = np.random.default_rng(0).multivariate_normal(np.zeros(p), R, size=n)
    R0 = GaussianCopulaGenerator(random_state=0).fit(X).correlation_
    block = LatentCorrelationBlock("x", R0)
    measured = _drift_at_T(block, GaussianCopulaGenerator(), X, n, T, reps)
    sim = block.simulate(np.array([n] * (T + 1)), 4000, 1)[:, -1]
    _assert_means_within(measured, sim, 4)
    whitened = simulate_mvn(T - 1, schedule=CallableSchedule(lambda t: n), n0=n, dim=p, n_reps=4000,
                            store="full", random_state=1).covariances[:, -1]
    sd = np.sqrt(np.einsum("rii->ri", whitened))
    wrong = _kl_latent(whitened / (sd[:, :, None] * sd[:, None, :]), np.eye(p))
    se_wrong = _se_of_difference(measured, wrong)
    assert abs(measured.mean() - wrong.mean()) > 4 * se_wrong, (measured.mean(), wrong.mean(), se_wrong)


def test_ks_between_two_normals_matches_a_fine_grid():
    from scipy.special import ndtr

    from synthloop.advise._marginal import _ks_normal

    x = np.linspace(-20, 20, 400_001)
    for m, s in [(0.3, 1.0), (0.0, 1.5), (0.2, 0.7), (-1.0, 2.0), (0.0, 1.0)]:
        assert _ks_normal(m, s) == pytest.approx(np.abs(ndtr((x - m) / s) - ndtr(x)).max(), abs=1e-7)


@pytest.mark.parametrize("column", ["numeric", "discrete"])
def test_tv_ks_of_one_column_matches_real_copula_loops(column):
    # One column, so the criterion's maximum is that column's distance, whose law is exact: the copula's
    # samples have multinomial counts over the atoms. Mean over 150 real loops within 4 SE of the simulation.
    from synthloop.advise._models import marginal_model

    rng = np.random.default_rng(0)
    if column == "numeric":
        X = pd.DataFrame({"x": np.where(rng.random(400) < 0.3, np.nan, rng.integers(0, 60, 400).astype(float))})
    else:
        X = pd.DataFrame({"c": pd.Categorical(rng.choice(list("abcdef"), 400, p=[.4, .2, .15, .1, .1, .05]))})
    T, n, reps = 3, 300, 150
    model = marginal_model(GaussianCopulaGenerator(random_state=0).fit(X), X)
    measured = _drift_at_T(model, GaussianCopulaGenerator(), X, n, T, reps)
    sim = model.simulate(np.array([len(X)] + [n] * T), 4000, 0)[:, -1]
    _assert_means_within(measured, sim, 4)


def test_ks_of_normal_columns_matches_real_mvn_loops(gaussian_X):
    from synthloop.advise._models import marginal_model

    T, n, reps = 3, 200, 150
    model = marginal_model(MultivariateNormalGenerator().fit(gaussian_X), gaussian_X)
    measured = _drift_at_T(model, MultivariateNormalGenerator(), gaussian_X, n, T, reps)
    sim = model.simulate(np.array([len(gaussian_X)] + [n] * T), 4000, 0)[:, -1]
    # each column's KS is exact; their maximum is simulated as if the columns were independent
    _assert_means_within(measured, sim, 4)


def test_tv_criterion_recommends_and_keeps_its_promise():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.integers(0, 40, 500), "c": pd.Categorical(rng.choice(list("abc"), 500))})
    advice = recommend_schedule(X, generator=GaussianCopulaGenerator(), n_generations=3, tolerance=0.05,
                                criterion="tv", families=["constant"], n_reps=300, random_state=0)
    assert "TV (discrete) or KS (numeric)" in advice.criterion and advice.calibration is None
    assert advice.recommendation is not None
    check = advice.validate(X, n_seeds=30, random_state=3).set_index("setting")
    assert check.loc["chosen", "pass_rate"] >= 0.9 - 3 * _binomial_se(0.9, 30)


def test_criterion_errors(gaussian_X):
    with pytest.raises(ValueError, match=r"'criterion' parameter of recommend_schedule must be a str among \{'kl', 'tv'\}\. Got 'ks'"):
        recommend_schedule(gaussian_X, generator=MultivariateNormalGenerator(), n_generations=2, tolerance=0.1,
                           criterion="ks")
    X = _utility_table(100)
    with pytest.raises(ValueError, match=r"criterion='tv' is a drift criterion; with target='y'"):
        recommend_schedule(X, generator=GaussianCopulaGenerator(), n_generations=2, tolerance=0.1, criterion="tv",
                           target="y")
    with pytest.raises(ValueError, match=r"columns \['x0', 'x1'\] of GaussianCopulaGenerator have parametric"):
        recommend_schedule(X, generator=GaussianCopulaGenerator(marginals="norm"), n_generations=2, tolerance=0.1,
                           criterion="tv")


def test_rounded_integers_are_a_bias_that_does_not_shrink_and_continuous_ones_are_cured():
    # The case: MultivariateNormalGenerator on integer columns rounds and clips them, a bias of
    # order one per generation. The calibration's exponent interval reaches 0 and the advice says so;
    # integers="continuous" is the exact Gaussian loop, which a schedule cures.
    from synthloop.datasets import load_adult

    X = load_adult().frame.select_dtypes("number").iloc[:3000]
    kwargs = dict(n_generations=5, tolerance=0.05, families=["constant"], n_reps=300, random_state=0)
    rounded = recommend_schedule(X, generator=MultivariateNormalGenerator(), **kwargs)
    assert rounded.recommendation is None
    assert rounded.calibration["bias_detected"] and rounded.calibration["gamma_low"] <= 0.01
    assert any("a bias that does not shrink with n" in n for n in rounded.notes)
    assert "the generator's bias does not shrink with n" in rounded.notes[-1]
    continuous = recommend_schedule(X, generator=MultivariateNormalGenerator(integers="continuous"), **kwargs)
    assert continuous.calibration is None and continuous.recommendation is not None


def test_near_tied_frequency_order_is_named():
    # penguins' sex: 168 male, 165 female; ordered by frequency, the latent order can swap between
    # generations (experiments/advisor_validation/penguins_jumps.py); with categorical="order" it cannot
    from synthloop.advise._models import drift_model
    from synthloop.datasets import load_penguins

    X = load_penguins().frame
    notes = drift_model(GaussianCopulaGenerator(random_state=0).fit(X), X).notes
    assert any("with categorical='frequency' the latent order of" in n and "'sex'" in n for n in notes)
    ordered = drift_model(GaussianCopulaGenerator(categorical="order", random_state=0).fit(X), X).notes
    assert not any("latent order of" in n for n in ordered)


def test_level_order_swaps_match_real_loops():
    # A binary column with a missing atom and near-tied levels (477 / 472 / 51 missing): its frequency order
    # swaps in about half of the loops at n = 4,000, T = 3, and a swap refits the copula with less latent
    # correlation. Over 200 real loops (seeds 0..199): the share of loops with a jump matches the simulated
    # swap probability, and the mean total drift the simulated one, within 4 Monte Carlo standard errors;
    # the calibration's measure of a swapped loop (its own jump taken out) is that of an unswapped loop.
    from synthloop import RecursiveSynthesizer
    from synthloop.advise._models import drift_model

    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], 1000)
    s = np.where(z[:, 1] > 0.0, "a", "b").astype(object)
    s[rng.random(1000) < 0.05] = None
    X = pd.DataFrame({"x": z[:, 0], "s": pd.Categorical(s, categories=["a", "b"])})
    model = drift_model(GaussianCopulaGenerator(random_state=0).fit(X), X)
    n, T, reps = 4000, 3, 200
    total, jump, approx = [], [], []
    for r in range(reps):
        rs = RecursiveSynthesizer(GaussianCopulaGenerator(), n_generations=T, schedule=f"constant:{n}",
                                  random_state=r).fit(X)
        fits = [Fit.from_run(rs, t) for t in range(T + 1)]
        total.append(model.measure(fits[-1], fits[0]))
        jump.append(model.swaps.observed(fits))
        approx.append(model.measure_approximate(fits))
    total, jump, approx = map(np.array, (total, jump, approx))
    sizes = np.array([1000] + [n] * T)
    p_sim = (model.swaps.simulate(sizes, 20000, 1)[:, -1] > 0).mean()
    assert 0.2 < p_sim < 0.8
    assert abs((jump > 0).mean() - p_sim) < 4 * _binomial_se(p_sim, reps)
    _assert_means_within(total, model.simulate(sizes, 20000, 1)[:, -1], 4)
    _assert_means_within(approx[jump > 0], approx[jump == 0], 4)
