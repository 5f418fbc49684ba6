"""TreeChainGenerator: contract, leaf conditionals, leaf sizes, copies, missing values, errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from synthloop import CategoricalGenerator, TreeChainGenerator
from synthloop.exceptions import CopyWarning
from synthloop.generators import make_generator
from synthloop.utils.estimator_checks import parametrize_with_generator_checks

GENERATORS = [
    TreeChainGenerator(),
    TreeChainGenerator(min_samples_leaf=5, max_leaf_nodes=8),
    TreeChainGenerator(column_order="table"),
]


@parametrize_with_checks(GENERATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_generator_checks(GENERATORS)
def test_generator_contract(generator, check):
    check(generator)


def _grouped_table(n=600, seed=0):
    # b depends on a only; a tree for b on a has one leaf per level of a.
    rng = np.random.default_rng(seed)
    a = rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])
    b = np.select([a == "x", a == "y"], [rng.integers(0, 3, n), rng.integers(2, 6, n)], rng.integers(5, 7, n))
    return pd.DataFrame({"a": pd.Categorical(a), "b": b})


def test_conditionals_are_the_empirical_distributions_of_the_leaves():
    X = _grouped_table()
    gen = TreeChainGenerator(min_samples_leaf=20, column_order="table", random_state=0).fit(X)
    assert gen.column_order_ == ["a", "b"] and gen.get_fitted_params()["n_leaves"] == {"a": 1, "b": 3}
    M = 100_000
    S = gen.sample(M)
    # The first column: its empirical frequencies, within 4 Monte Carlo standard errors.
    p = X["a"].value_counts(normalize=True)
    freq = S["a"].value_counts(normalize=True).reindex(p.index)
    assert np.all(np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / M))
    # b given a: the empirical conditional frequencies of the leaf (= the level of a), within 4 SE.
    for level, rows in X.groupby("a", observed=True):
        q = rows["b"].value_counts(normalize=True)
        drawn = S.loc[S["a"] == level, "b"]
        f = drawn.value_counts(normalize=True).reindex(q.index, fill_value=0.0)
        assert set(drawn) <= set(q.index), f"b={set(drawn) - set(q.index)} drawn given a={level}"
        assert np.all(np.abs(f - q) <= 4 * np.sqrt(q * (1 - q) / len(drawn))), (level, f, q)


@pytest.mark.parametrize("min_samples_leaf", [30, "sqrt"])
def test_every_leaf_holds_at_least_min_samples_leaf_of_weight(min_samples_leaf):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"u": rng.normal(size=500), "v": rng.normal(size=500), "c": rng.choice(["p", "q"], 500)})
    w = rng.integers(1, 3, 500).astype(float)
    expected = np.ceil(np.sqrt(w.sum())) if min_samples_leaf == "sqrt" else min_samples_leaf
    gen = TreeChainGenerator(min_samples_leaf=min_samples_leaf, random_state=0).fit(X, sample_weight=w)
    for name, tree in gen.trees_.items():
        if tree is None:
            continue
        leaves = tree.tree_.children_left == -1
        assert tree.tree_.weighted_n_node_samples[leaves].min() >= expected - 1e-9, name
        assert leaves.sum() > 1, f"{name}: the tree did not split"


def _copies(real, synthetic):
    key = lambda f: pd.util.hash_pandas_object(f.astype(object), index=False)  # noqa: E731
    return float(key(synthetic).isin(set(key(real))).mean())


def test_a_nearly_unique_column_first_in_the_chain_is_not_copied_with_its_row():
    # Two categories and a float measurement: drawn last, the float comes from a leaf whose donors share both
    # categories, so every row is a donor's row; drawn first, a row is a copy only when both categories match
    # the float's own row.
    rng = np.random.default_rng(2)
    n = 2000
    c1 = rng.choice(list("abc"), n)
    c2 = np.where(rng.random(n) < 0.8, c1, "z")
    X = pd.DataFrame({"c1": pd.Categorical(c1), "c2": pd.Categorical(c2), "u": rng.normal(size=n)})
    last = TreeChainGenerator(column_order="table", random_state=0).fit(X)
    first = TreeChainGenerator(random_state=0).fit(X)
    assert last.column_order_[-1] == "u" and first.column_order_[0] == "u"
    m = 20_000
    assert _copies(X, last.sample(m)) == 1.0
    share = _copies(X, first.sample(m))
    collision = float((X[["c1", "c2"]].value_counts(normalize=True) ** 2).sum())
    # The categories are drawn among the donors of the leaf of u's row, which holds that row itself: for
    # independent columns the expected share is the collision probability plus at most (1 - collision) / L
    # for leaves of at least L rows. Tolerance: 4 Monte Carlo standard errors of the sampled share.
    leaf = int(np.ceil(np.sqrt(n)))
    se = np.sqrt(share * (1 - share) / m)
    assert collision - 4 * se <= share <= collision + (1 - collision) / leaf + 4 * se, (share, collision)
    with pytest.warns(CopyWarning):
        chain = CategoricalGenerator(structure="chain", max_levels=None).fit(X)
    assert _copies(X, chain.sample(m)) == 1.0


def test_missing_values_keep_their_rate_and_their_dependence():
    rng = np.random.default_rng(3)
    n = 1000
    c = rng.choice(["a", "b"], n, p=[0.3, 0.7])
    x = np.where(c == "a", np.where(rng.random(n) < 0.5, np.nan, rng.normal(size=n)), rng.normal(size=n))
    k = pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 5, n)), dtype="Int64")
    X = pd.DataFrame({"c": pd.Series(c, dtype="str"), "x": x, "k": k})
    gen = TreeChainGenerator(random_state=0).fit(X)
    assert gen.column_order_ == ["x", "k", "c"]
    M = 50_000
    S = gen.sample(M)
    # x is drawn from its marginal and k from leaves weighted as the fitted rows: both missing rates are the
    # fitted ones in expectation, within 4 Monte Carlo standard errors.
    for col in ("x", "k"):
        p = X[col].isna().mean()
        assert abs(S[col].isna().mean() - p) <= 4 * np.sqrt(p * (1 - p) / M), col
    # x is missing only where c is "a": independent columns would put 0.7 of its missing values at "b";
    # the leaves of x keep them at "a" but for the odd leaf that mixes missing and observed x.
    at_b = (S["x"].isna() & (S["c"] == "b")).mean()
    assert at_b <= 0.1 * X["x"].isna().mean() * (X["c"] == "b").mean()


def test_a_column_an_earlier_one_determines_follows_it_in_every_row():
    # number = f(level), with a level rarer than a leaf: a tree would pool it with other levels.
    rng = np.random.default_rng(4)
    n = 2000
    level = rng.choice(["a", "b", "c", "rare"], n, p=[0.5, 0.3, 0.18, 0.02])
    value = {"a": 1, "b": 2, "c": 3, "rare": 9}
    X = pd.DataFrame({"x": rng.normal(size=n), "level": pd.Categorical(level),
                      "number": pd.Series(level).map(value).to_numpy()})
    gen = TreeChainGenerator(random_state=0).fit(X)
    assert gen.determined_by_ == {"number": "level"} and gen.trees_["number"] is None
    S = gen.sample(20_000)
    assert (S["number"] == S["level"].map(value).astype(int)).all()
    # A nearly unique column determines every other one in the fitted rows; it is not taken for a rule.
    assert "level" not in gen.determined_by_


def test_registry_names_and_parameter_errors():
    assert type(make_generator("tree_chain")) is TreeChainGenerator
    assert type(make_generator("cart", min_samples_leaf=3)) is TreeChainGenerator
    X = _grouped_table(50)
    with pytest.raises(ValueError, match="The 'min_samples_leaf' parameter of TreeChainGenerator must be"):
        TreeChainGenerator(min_samples_leaf=0).fit(X)
    with pytest.raises(ValueError, match="The 'column_order' parameter of TreeChainGenerator must be"):
        TreeChainGenerator(column_order="random").fit(X)


def test_chunks_and_integer_weights_give_the_same_model_when_context_columns_are_binned():
    # 600 distinct floats (more than the 255 bins): the bins' edges are weighted quantiles of the fitted rows.
    rng = np.random.default_rng(5)
    n = 600
    x = rng.normal(size=n)
    X = pd.DataFrame({"x": x, "y": x + rng.normal(size=n), "c": pd.Categorical(np.where(x > 0, "p", "q"))})
    one = TreeChainGenerator(min_samples_leaf=10, random_state=0).fit(X)
    chunked = TreeChainGenerator(min_samples_leaf=10, random_state=0)
    for start in range(0, n, 250):
        chunked.partial_fit(X.iloc[start:start + 250])
    pd.testing.assert_frame_equal(one.sample(300, random_state=1), chunked.sample(300, random_state=1))
    w = rng.integers(1, 4, n)
    weighted = TreeChainGenerator(min_samples_leaf=10, random_state=0).fit(X, sample_weight=w)
    repeated = TreeChainGenerator(min_samples_leaf=10, random_state=0).fit(X.loc[X.index.repeat(w)])
    pd.testing.assert_frame_equal(weighted.sample(300, random_state=1), repeated.sample(300, random_state=1))
    assert weighted.get_fitted_params()["n_leaves"]["y"] > 1
