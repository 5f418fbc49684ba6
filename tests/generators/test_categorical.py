"""CategoricalGenerator: contract, statistics ([B] Theorem 1, docs/theory.rst), structures, errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from synthloop import CategoricalGenerator, SchemaError
from synthloop.exceptions import CopyWarning
from synthloop.utils.estimator_checks import parametrize_with_generator_checks

# Most tables here have unique rows, which joint and chain rightly warn that they copy; the copy warning
# has its own test (pytest.warns sees it whatever the filters).
pytestmark = pytest.mark.filterwarnings("ignore::synthloop.exceptions.CopyWarning")

GENERATORS = [
    CategoricalGenerator(),
    CategoricalGenerator(structure="independent"),
    CategoricalGenerator(structure="chain"),
    CategoricalGenerator(structure="chain", context_length=1),
    CategoricalGenerator(structure="independent", smoothing=0.5),
    CategoricalGenerator(structure="chain", context_length=2, smoothing=0.5),
    CategoricalGenerator(smoothing=1e-3),
]


@parametrize_with_checks(GENERATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_generator_checks(GENERATORS)
def test_generator_contract(generator, check):
    if check.__name__ == "check_sample_values_in_fitted_support" and generator.smoothing > 0:
        # The contract check also flags category levels never *observed*; with
        # smoothing > 0 the declared-but-unobserved category "never" is alive
        # by design. Anything else it reports is still a failure.
        try:
            check(generator)
        except AssertionError as exc:
            assert str(exc) == "x_category: levels never fitted were sampled: {'never'}", str(exc)
        return
    check(generator)


# ------------------------------------------------------------------ Theorem 1
def test_collision_probability_follows_theorem_1():
    # docs/theory.rst, "Categorical (next-token) model", Theorem 1: fully synthetic loop with n samples per
    # generation, S_m = 1 - (1 - 1/n)^m (1 - S_0) in [B]'s index; our
    # generation g (g = 0 fitted on the n real rows) is m = g + 1.
    p = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    levels = ["a", "b", "c", "d", "e"]
    n, n_gen, n_rep = 20, 6, 300
    s0 = float(np.sum(p**2))
    # One independent seed per replication and generation (reusing a seed
    # would replay the same uniforms every generation and correlate them).
    seeds = np.random.SeedSequence(2024).generate_state(n_rep * (n_gen + 1)).reshape(n_rep, n_gen + 1)
    sigma = np.empty((n_rep, n_gen))
    for r in range(n_rep):
        rng = np.random.default_rng(seeds[r, n_gen])
        X = pd.DataFrame({"token": pd.Categorical(rng.choice(levels, n, p=p), categories=levels)})
        for g in range(n_gen):
            gen = CategoricalGenerator(structure="independent", random_state=int(seeds[r, g])).fit(X)
            sigma[r, g] = gen.get_fitted_params()["collision"]["token"]
            X = gen.sample(n)
    m = np.arange(1, n_gen + 1)
    expected = 1 - (1 - 1 / n) ** m * (1 - s0)
    se = sigma.std(axis=0, ddof=1) / np.sqrt(n_rep)
    assert np.all(np.abs(sigma.mean(axis=0) - expected) <= 4 * se), (sigma.mean(axis=0), expected, se)
    # The loop does collapse: the last generation is above the first.
    assert expected[-1] - expected[0] > 4 * se[-1]


# -------------------------------------------------------------- structures
def _mixed_table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])
    b = np.where(a == "x", rng.integers(0, 2, n), rng.integers(1, 4, n))
    c = pd.Categorical(np.where(b >= 2, "hi", "lo"), categories=["lo", "hi", "unused"])
    return pd.DataFrame({"a": pd.Series(a, dtype="str"), "b": b, "c": c})


def _tuple_freqs(frame):
    return frame.astype(str).value_counts(normalize=True, dropna=False)


def test_joint_reproduces_empirical_tuple_frequencies():
    X = _mixed_table()
    gen = CategoricalGenerator(random_state=0).fit(X)
    tuples, probs = gen.probabilities_
    fitted = pd.Series(probs, index=pd.MultiIndex.from_frame(tuples.astype(str)))
    empirical = _tuple_freqs(X)
    pd.testing.assert_series_equal(fitted.sort_index(), empirical.sort_index(), check_names=False,
                                   check_index_type=False)
    M = 200_000
    S = gen.sample(M)
    sampled = _tuple_freqs(S)
    assert set(sampled.index) <= set(empirical.index), "joint sampled a tuple never observed"
    tv = 0.5 * (sampled.reindex(empirical.index, fill_value=0) - empirical).abs().sum()
    # E TV <= 0.5 Σ sqrt(p(1-p)/M) (Jensen); TV moves by <= 1/M per row, so its
    # SD is <= 1/(2 sqrt M) (McDiarmid): allow the bound plus 4 SD.
    bound = 0.5 * np.sum(np.sqrt(empirical * (1 - empirical) / M)) + 4 / (2 * np.sqrt(M))
    assert tv <= bound


def test_chain_matches_empirical_conditionals():
    X = _mixed_table()
    gen = CategoricalGenerator(structure="chain", context_length=1, random_state=1).fit(X)
    pairs, probs = gen.probabilities_["c"]
    assert list(pairs.columns) == ["b", "c"]
    table = pd.crosstab(X["b"], X["c"], normalize="index")
    for (b, c), p in zip(pairs.itertuples(index=False), probs):
        assert p == pytest.approx(table.loc[b, c])
    # Sampled conditional frequencies p(b | a) within 4 SE of the fitted ones.
    S = gen.sample(100_000)
    pairs, probs = gen.probabilities_["b"]
    for (a, b), p in zip(pairs.itertuples(index=False), probs):
        rows = S["a"] == a
        freq = (S.loc[rows, "b"] == b).mean()
        assert abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / rows.sum())
    # Without smoothing, the chain on all previous columns is the joint model.
    full = CategoricalGenerator(structure="chain").fit(X)
    joint = CategoricalGenerator().fit(X)
    for name in X.columns:
        np.testing.assert_allclose(full.marginals_[name], joint.marginals_[name])
    assert set(_tuple_freqs(full.sample(5000, random_state=0)).index) <= set(_tuple_freqs(X).index)


def test_chain_unseen_context_falls_back_to_marginal():
    # "w" is a declared category never observed: smoothing makes a="w" possible,
    # a context the chain never saw, so b is drawn from b's smoothed marginal.
    rng = np.random.default_rng(3)
    a = pd.Categorical(rng.choice(["u", "v"], 300), categories=["u", "v", "w"])
    b = pd.Series(np.where(np.asarray(a) == "u", "left", rng.choice(["left", "right", "up"], 300)), dtype="str")
    X = pd.DataFrame({"a": a, "b": b, "c": rng.integers(0, 3, 300)})
    gen = CategoricalGenerator(structure="chain", context_length=1, smoothing=2.0, random_state=0).fit(X)
    counts = X["b"].value_counts().reindex(["left", "right", "up"]).to_numpy()
    fallback = (counts + 2.0) / (counts.sum() + 2.0 * 3)
    np.testing.assert_allclose(gen.marginals_["b"], fallback)
    S = gen.sample(200_000)
    rows = S["a"] == "w"
    p_w = 2.0 / (300 + 2.0 * 3)
    assert abs(rows.mean() - p_w) <= 4 * np.sqrt(p_w * (1 - p_w) / len(S))
    freq = S.loc[rows, "b"].value_counts(normalize=True).reindex(["left", "right", "up"]).to_numpy()
    se = np.sqrt(fallback * (1 - fallback) / rows.sum())
    assert np.all(np.abs(freq - fallback) <= 4 * se)
    # A seen context uses its own smoothed conditional: p(b | a="u").
    cu = X.loc[X["a"] == "u", "b"].value_counts().reindex(["left", "right", "up"], fill_value=0).to_numpy()
    expected = (cu + 2.0) / (cu.sum() + 2.0 * 3)
    rows = S["a"] == "u"
    freq = S.loc[rows, "b"].value_counts(normalize=True).reindex(["left", "right", "up"]).to_numpy()
    assert np.all(np.abs(freq - expected) <= 4 * np.sqrt(expected * (1 - expected) / rows.sum()))


# -------------------------------------------------------------- smoothing
def test_smoothing_keeps_levels_alive_within_the_dtype():
    X = pd.DataFrame({
        "cat": pd.Categorical(["a"] * 9 + ["b"], categories=["a", "b", "c"]),
        "flag": np.ones(10, dtype=bool),
        "word": pd.Series(["hi"] * 8 + ["yo"] * 2, dtype="str"),
        "k": np.array([5] * 9 + [7]),
    })
    gen = CategoricalGenerator(structure="independent", smoothing=1.0, random_state=0).fit(X)
    np.testing.assert_allclose(gen.marginals_["cat"], np.array([10, 2, 1]) / 13)
    np.testing.assert_allclose(gen.marginals_["flag"], np.array([1, 11]) / 12)
    np.testing.assert_allclose(gen.marginals_["word"], np.array([9, 3]) / 12)
    S = gen.sample(20_000)
    assert set(S["cat"]) == {"a", "b", "c"} and list(S["cat"].cat.categories) == ["a", "b", "c"]
    assert set(S["flag"]) == {False, True}
    assert set(S["word"]) == {"hi", "yo"} and set(S["k"]) == {5, 7}
    assert not S.isna().any().any()
    # Under the recursive loop, smoothing keeps every level alive; without it a rare level dies.
    alive = {}
    for a in (0.0, 1.0):
        gen = CategoricalGenerator(structure="independent", smoothing=a, random_state=0).fit(X[["cat"]])
        for _ in range(30):
            gen = CategoricalGenerator(structure="independent", smoothing=a, random_state=0).fit(gen.sample(10))
        alive[a] = gen.get_fitted_params()["levels"]["cat"]
    assert alive[1.0] == 3 and alive[0.0] < 3


def test_joint_smoothing_is_dirichlet_on_the_product():
    X = pd.DataFrame({"u": pd.Series(["p", "p", "q"], dtype="str"), "v": [True, True, True]})
    a = 0.5
    gen = CategoricalGenerator(smoothing=a, random_state=0).fit(X)
    K, n = 2 * 2, 3
    tuples, probs = gen.probabilities_
    assert tuples.astype(str).values.tolist() == [["p", "True"], ["q", "True"]]
    np.testing.assert_allclose(probs, (np.array([2, 1]) + a) / (n + a * K))
    assert gen.smoothing_weight_ == pytest.approx(a * K / (n + a * K))
    np.testing.assert_allclose(gen.marginals_["v"], [2 * a / (n + a * K), (n + 2 * a) / (n + a * K)])
    params = gen.get_fitted_params()
    full = np.r_[probs, [a / (n + a * K)] * 2]
    assert params["joint_collision"] == pytest.approx(np.sum(full**2))
    S = gen.sample(50_000)
    assert set(S["u"]) == {"p", "q"} and set(S["v"]) == {False, True}


# ------------------------------------------------------- levels and dtypes
def test_max_levels_error_names_column_and_count():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=1500), "k": np.arange(1500)})
    with pytest.raises(SchemaError, match=r"column 'x' \(float\) has 1500 distinct values, more than "
                                          r"max_levels=1000.*Bin them.*GaussianCopulaGenerator"):
        CategoricalGenerator().fit(X)
    # Integer columns are tokens: never limited. max_levels=None lifts the limit.
    CategoricalGenerator().fit(X[["k"]])
    CategoricalGenerator(max_levels=None).fit(X)
    # Distinct values accumulate over partial_fit chunks.
    gen = CategoricalGenerator(max_levels=1200).partial_fit(X.iloc[:1000])
    with pytest.raises(SchemaError, match=r"column 'x' \(float\) has 1500 distinct values"):
        gen.partial_fit(X.iloc[1000:])


def test_missing_values_are_a_level_and_come_back_missing():
    rng = np.random.default_rng(5)
    n = 1000
    miss = rng.random(n) < 0.2
    X = pd.DataFrame({
        "s": pd.Series(np.where(miss, None, rng.choice(["a", "b"], n)), dtype="str"),
        "f": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 3, n) / 2),
        "i": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 4, n)), dtype="Int64"),
        "c": pd.Categorical(np.where(rng.random(n) < 0.25, None, rng.choice(["x", "y"], n))),
        "b": pd.array(np.where(rng.random(n) < 0.15, None, rng.random(n) < 0.5), dtype="boolean"),
    })
    for structure in ("independent", "joint", "chain"):
        gen = CategoricalGenerator(structure=structure, random_state=0).fit(X)
        S = gen.sample(50_000)
        assert S.dtypes.equals(X.dtypes)
        for name in X.columns:
            assert pd.isna(gen.levels_[name][-1]), "missing is the last level"
            p = X[name].isna().mean()
            assert gen.marginals_[name][-1] == pytest.approx(p)
            assert abs(S[name].isna().mean() - p) <= 4 * np.sqrt(p * (1 - p) / len(S))
            assert set(S[name].dropna()) <= set(X[name].dropna())


@pytest.mark.parametrize("structure", ["independent", "joint", "chain"])
def test_dtypes_round_trip_all_kinds(structure):
    rng = np.random.default_rng(2)
    n = 200
    X = pd.DataFrame({
        "float": rng.integers(0, 5, n) * 0.25,
        "int8": rng.integers(-3, 3, n).astype(np.int8),
        "Int64": pd.array(rng.integers(0, 4, n), dtype="Int64"),
        "when": pd.Series(pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 9, n), "h")),
        "naive": pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 4, n), "D")),
        "cat": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi", "top"], ordered=True),
        "bool": rng.random(n) < 0.5,
        "boolean": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "str": pd.Series(rng.choice(["a", "b", "c"], n), dtype="str"),
        "string": pd.Series(rng.choice(["m", "n"], n), dtype="string"),
    })
    gen = CategoricalGenerator(structure=structure, context_length=2, random_state=0).fit(X)
    S = gen.sample(500)
    assert S.dtypes.equals(X.dtypes)
    assert list(S["cat"].cat.categories) == ["lo", "hi", "top"] and S["cat"].cat.ordered
    for name in X.columns:
        assert set(S[name]) <= set(X[name]), name
        assert gen.levels_[name].dtype == X[name].dtype, name
    # Array input: integer-valued floats are levels too.
    A = rng.integers(0, 4, (100, 3)).astype(float)
    SA = CategoricalGenerator(structure=structure, random_state=0).fit(A).sample(50)
    assert SA.dtype == A.dtype and set(np.unique(SA)) <= set(np.unique(A))


# ----------------------------------------------- counts: weights and chunks
def test_weights_add_to_counts_and_chunks_grow_levels():
    X = pd.DataFrame({"w": pd.Series(["b", "a", "b", "c"], dtype="str"), "x": [0.5, 1.5, 0.5, 2.5]})
    gen = CategoricalGenerator(structure="independent").fit(X, sample_weight=[1.0, 2.0, 0.5, 0.0])
    assert list(gen.levels_["w"]) == ["a", "b"]  # "c" has zero weight: not a level
    np.testing.assert_allclose(gen.marginals_["w"], [2 / 3.5, 1.5 / 3.5])
    np.testing.assert_allclose(gen.levels_["x"], [0.5, 1.5])
    # New string levels and numeric values arriving in later chunks: same fit.
    Y = pd.DataFrame({"w": pd.Series(list("zzyxa") + list("bqqy"), dtype="str"),
                      "x": [3.0, 3.0, 1.0, 2.0, 1.0, 0.5, 7.0, 7.0, 1.0]})
    for structure in ("independent", "joint", "chain"):
        full = CategoricalGenerator(structure=structure, context_length=1).fit(Y)
        chunked = CategoricalGenerator(structure=structure, context_length=1)
        for part in (Y.iloc[:3], Y.iloc[3:5], Y.iloc[5:]):
            chunked.partial_fit(part)
        assert list(chunked.levels_["w"]) == list(full.levels_["w"]) == list("abqxyz")
        fp, cp = full.get_fitted_params(), chunked.get_fitted_params()
        for key in fp:
            if isinstance(fp[key], dict):
                for name in fp[key]:
                    np.testing.assert_allclose(cp[key][name], fp[key][name])
            else:
                np.testing.assert_allclose(cp[key], fp[key])


def test_fitted_params_report_collision_and_levels_alive():
    X = _mixed_table()
    for structure in ("independent", "joint", "chain"):
        params = CategoricalGenerator(structure=structure).fit(X).get_fitted_params()
        for name in X.columns:
            p = params["marginals"][name]
            assert isinstance(p, np.ndarray) and p.sum() == pytest.approx(1)
            assert params["collision"][name] == pytest.approx(np.sum(p**2))
            assert params["levels"][name] == np.count_nonzero(p)
        # The unused category is a level with probability 0, not alive.
        assert params["levels"]["c"] == 2 and len(params["marginals"]["c"]) == 3
    assert "joint_probabilities" in CategoricalGenerator().fit(X).get_fitted_params()
    assert "conditional" in CategoricalGenerator(structure="chain").fit(X).get_fitted_params()


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("params, match", [
    ({"structure": "markov"}, r"The 'structure' parameter of CategoricalGenerator must be a str among"),
    ({"smoothing": -1.0}, r"The 'smoothing' parameter of CategoricalGenerator must be a float in the range"),
    ({"context_length": -1}, r"The 'context_length' parameter of CategoricalGenerator must be"),
    ({"max_levels": 0}, r"The 'max_levels' parameter of CategoricalGenerator must be"),
])
def test_parameter_errors(params, match):
    with pytest.raises(ValueError, match=match):
        CategoricalGenerator(**params).fit(_mixed_table())


def test_infinite_smoothing_and_unfitted_errors():
    with pytest.raises(ValueError, match=r"The 'smoothing' parameter .* Got inf instead"):
        CategoricalGenerator(smoothing=float("inf")).fit(_mixed_table())
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match=r"not fitted yet.*probabilities_"):
        CategoricalGenerator().probabilities_


# ------------------------------------------------------------------ copies
def test_warns_when_its_samples_are_the_training_rows_that_occur_once():
    rng = np.random.default_rng(4)
    n = 400
    X = pd.DataFrame({"id": rng.permutation(n), "c": pd.Categorical(rng.choice(["a", "b"], n))})
    for params in ({}, {"structure": "chain"}, {"structure": "chain", "context_length": 1}):
        with pytest.warns(CopyWarning, match=r"100% of the rows it samples are training rows that occur once"):
            gen = CategoricalGenerator(**params).fit(X)
        # every row occurs once and every conditional given the id is certain: the share is exactly 1
        assert gen.unique_row_share_ == pytest.approx(1.0)
    # Smoothing moves lam = aK / (n + aK) of the mass to the product's K tuples, n of which are the rows.
    with pytest.warns(CopyWarning):
        gen = CategoricalGenerator(smoothing=0.01).fit(X)
    K = n * 2
    lam = 0.01 * K / (n + 0.01 * K)
    assert gen.unique_row_share_ == pytest.approx((1 - lam) + lam * n / K)
    # Half the rows occur twice: the share of single rows is the other half's probability.
    half = pd.concat([X.iloc[:200], X.iloc[:100]], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CopyWarning)
        gen = CategoricalGenerator().fit(half)
        assert gen.unique_row_share_ == pytest.approx(100 / 300)
        assert CategoricalGenerator(structure="independent").fit(X).unique_row_share_ is None
