"""The block reduction of the generators: statistics of a block, merge, finish, against fit on all rows."""

import pickle

import numpy as np
import pandas as pd
import pytest

from synthloop import (
    CategoricalGenerator,
    GaussianCopulaGenerator,
    MultivariateNormalGenerator,
    SchemaError,
    SDVGenerator,
)


def _table(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.6, -0.4], [0.6, 1, -0.2], [-0.4, -0.2, 1]], n)
    age = pd.array(np.round(40 + 10 * z[:, 2]).astype(int), dtype="Int64")
    age[rng.random(n) < 0.1] = pd.NA
    colour = np.select([z[:, 1] < -0.5, z[:, 1] < 0.6], ["blue", "green"], "red").astype(object)
    colour[rng.random(n) < 0.05] = None
    # "violet" only in the last rows: a string level the first blocks do not hold
    colour[-3:] = "violet"
    return pd.DataFrame({
        "gain": np.where(z[:, 0] > 1.4, np.round(np.exp(2 * z[:, 0])), 0).astype(np.int64),
        "size": pd.Categorical(np.select([z[:, 0] < -0.3, z[:, 0] < 0.8], ["S", "M"], "L"), categories=["S", "M", "L"]),
        "age": age,
        "colour": pd.Series(colour, dtype=object),
        "x": np.round(z[:, 0], 2),
    })


def _numeric(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.multivariate_normal([1, -2, 0], [[2, 0.5, 0], [0.5, 1, 0.3], [0, 0.3, 3]], n),
                     columns=["a", "b", "c"])
    X["n"] = rng.integers(0, 100, n)
    X.loc[n - 1, "n"] = 250  # the largest integer only in the last row: its range is merged
    return X


def _reduce(gen, X, size, weights=None, first=None, order="tree"):
    """Fit ``gen`` by its reduction over consecutive blocks of ``size`` rows."""
    starts = range(0, len(X), size)
    for _ in range(gen.start_reduction(X.iloc[:size] if first is None else first)):
        stats = [gen.block_statistics(X.iloc[s:s + size], None if weights is None else weights[s:s + size])
                 for s in starts]
        if order == "left":
            root = stats[0]
            for item in stats[1:]:
                root = gen.merge_statistics(root, item)
        else:
            while len(stats) > 1:
                stats = [gen.merge_statistics(*stats[i:i + 2]) if i + 1 < len(stats) else stats[i]
                         for i in range(0, len(stats), 2)]
            root = stats[0]
        gen.finish_statistics(root)
    return gen


MODELS = {
    "mvn": (lambda: MultivariateNormalGenerator(random_state=0), _numeric),
    "mvn-continuous": (lambda: MultivariateNormalGenerator(integers="continuous", random_state=0), _numeric),
    "categorical-joint": (lambda: CategoricalGenerator(random_state=0), _table),
    "categorical-chain": (lambda: CategoricalGenerator(structure="chain", context_length=2, random_state=0), _table),
    "categorical-independent": (lambda: CategoricalGenerator(structure="independent", random_state=0), _table),
    "copula": (lambda: GaussianCopulaGenerator(random_state=0), _table),
    "copula-norm": (lambda: GaussianCopulaGenerator(marginals={"x": "norm"}, random_state=0), _table),
}


def _assert_params_close(p, q, rtol):
    assert p.keys() == q.keys()
    for key in p:
        if isinstance(p[key], dict):
            _assert_params_close(p[key], q[key], rtol)
        elif isinstance(p[key], np.ndarray) and p[key].dtype == object:
            assert list(p[key]) == list(q[key]), key
        else:
            np.testing.assert_allclose(p[key], q[key], rtol=rtol, atol=rtol, err_msg=key)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("size", [700, 5000])
def test_reduction_equals_fit_on_all_rows(name, size):
    make, data = MODELS[name]
    X = data()
    fit = make().fit(X)
    red = _reduce(make(), X, size)
    # float rounding of the merges only (one block: none at all)
    _assert_params_close(red.get_fitted_params(), fit.get_fitted_params(), rtol=0 if size >= len(X) else 1e-12)
    assert red.n_rows_seen_ == fit.n_rows_seen_ == len(X)
    assert [(c.name, c.lower, c.upper) for c in red.schema_.columns] == [(c.name, c.lower, c.upper)
                                                                       for c in fit.schema_.columns]
    assert [list(c.levels) if c.levels is not None else None for c in red.schema_.columns] == \
        [list(c.levels) if c.levels is not None else None for c in fit.schema_.columns]
    S, T = red.sample(300, random_state=1), fit.sample(300, random_state=1)
    assert S.dtypes.equals(T.dtypes)
    if size >= len(X):  # one block: the fit itself, bitwise
        pd.testing.assert_frame_equal(S, T)
        pd.testing.assert_frame_equal(red.sample(5), fit.sample(5))  # the same stream too


@pytest.mark.parametrize("name", ["mvn", "categorical-joint", "copula"])
def test_weighted_reduction_equals_a_weighted_fit(name):
    make, data = MODELS[name]
    X = data(3000)
    w = np.random.default_rng(1).uniform(0, 2, len(X))
    w[:40] = 0.0
    fit = make().fit(X, sample_weight=w)
    red = _reduce(make(), X, 400, weights=w)
    _assert_params_close(red.get_fitted_params(), fit.get_fitted_params(), rtol=1e-11)
    np.testing.assert_allclose(red.n_rows_seen_, w.sum(), rtol=1e-13)


@pytest.mark.parametrize("name", ["mvn", "categorical-joint", "copula"])
def test_the_merge_order_changes_float_rounding_only(name):
    make, data = MODELS[name]
    X = data()
    tree, left = _reduce(make(), X, 600), _reduce(make(), X, 600, order="left")
    _assert_params_close(tree.get_fitted_params(), left.get_fitted_params(), rtol=1e-12)


def test_an_integer_range_is_merged_over_the_blocks():
    # The only 250 is in the last row: sampling clips integers into the range of every block.
    X = _numeric()
    gen = _reduce(MultivariateNormalGenerator(random_state=0), X, 1000)
    assert gen.schema_["n"].upper == 250 and gen.schema_["n"].lower == X["n"].min()


def test_a_string_level_of_a_later_block_gets_the_same_code_in_every_block():
    X = _table()
    gen = GaussianCopulaGenerator(random_state=0)
    assert gen.start_reduction(X.iloc[:1000]) == 3  # the levels of "colour", then the copula's two passes
    assert "violet" not in gen.schema_["colour"].levels
    gen = _reduce(GaussianCopulaGenerator(random_state=0), X, 1000)
    assert list(gen.schema_["colour"].levels) == ["blue", "green", "red", "violet"]
    assert "violet" in set(gen.sample(20_000, random_state=0)["colour"])
    # Without string columns the copula needs its own two passes only.
    assert GaussianCopulaGenerator().start_reduction(X.drop(columns="colour")) == 2


def test_block_statistics_leave_the_generator_as_it_is():
    X = _numeric()
    gen = MultivariateNormalGenerator()
    gen.start_reduction(X.iloc[:10])
    before = [(c.lower, c.upper) for c in gen.schema_.columns]
    stats = gen.block_statistics(X)
    assert [(c.lower, c.upper) for c in gen.schema_.columns] == before
    # statistics and a generator between passes travel to other processes
    copy = pickle.loads(pickle.dumps(gen))
    copy.finish_statistics(pickle.loads(pickle.dumps(stats)))
    np.testing.assert_array_equal(copy.covariance_, MultivariateNormalGenerator().fit(X).covariance_)


def test_the_copula_reduction_is_exact_where_partial_fit_holds_a_reservoir():
    # 5,000 rows in blocks of 500 with reservoir_size=1000: partial_fit estimates the
    # correlation from a subsample, the two-pass reduction from every row.
    X = _table()
    fit = GaussianCopulaGenerator(random_state=0).fit(X)
    red = _reduce(GaussianCopulaGenerator(reservoir_size=1000, random_state=0), X, 500)
    np.testing.assert_allclose(red.correlation_, fit.correlation_, rtol=0, atol=1e-12)
    streamed = GaussianCopulaGenerator(reservoir_size=1000, random_state=0)
    for s in range(0, len(X), 500):
        streamed.partial_fit(X.iloc[s:s + 500])
    assert np.abs(streamed.correlation_ - fit.correlation_).max() > 1e-4


@pytest.mark.parametrize("name", ["mvn", "categorical-joint", "categorical-chain"])
def test_a_one_pass_reduction_continues_a_fitted_generator(name):
    make, data = MODELS[name]
    X = data(4000).iloc[:-3]  # without the level of the last rows: a continued reduction adds no levels
    A, B = X.iloc[:1500], X.iloc[1500:].reset_index(drop=True)
    gen = make().fit(A)
    assert gen.supports_reduction(continued=True)
    assert gen.start_reduction() == 1
    stats = gen.merge_statistics(gen.block_statistics(B.iloc[:1000]), gen.block_statistics(B.iloc[1000:]))
    gen.finish_statistics(stats)
    _assert_params_close(gen.get_fitted_params(), make().fit(X).get_fitted_params(), rtol=1e-12)
    assert gen.n_rows_seen_ == len(X)


def test_a_continued_reduction_refuses_a_new_string_level():
    X = _table(1000)
    gen = CategoricalGenerator().fit(X.iloc[:-3])
    gen.start_reduction()
    with pytest.raises(ValueError, match=r"string levels the fit does not know \({'colour': \['violet'\]}\).*"
                                         r"cannot add levels \(use partial_fit\)"):
        gen.block_statistics(X.iloc[-10:])


def test_what_cannot_be_reduced_says_so():
    X = _table(200)
    copula = GaussianCopulaGenerator().fit(X)
    assert copula.supports_reduction() and not copula.supports_reduction(continued=True)
    with pytest.raises(TypeError, match="GaussianCopulaGenerator cannot continue its fit as a reduction"):
        copula.start_reduction()
    sdv = SDVGenerator()
    assert not sdv.supports_reduction()
    with pytest.raises(TypeError, match="SDVGenerator cannot fit as a reduction over blocks; fit it with fit"):
        sdv.start_reduction(X)
    with pytest.raises(RuntimeError, match="no reduction in progress; call start_reduction first"):
        MultivariateNormalGenerator().block_statistics(_numeric(10))
    with pytest.raises(ValueError, match="The 'covariance' parameter of MultivariateNormalGenerator must be"):
        MultivariateNormalGenerator(covariance="bad").start_reduction(_numeric(10))


def test_a_block_is_validated_as_a_partial_fit_chunk_is():
    X = _numeric(100)
    gen = MultivariateNormalGenerator()
    gen.start_reduction(X)
    with pytest.raises(SchemaError, match="partial_fit got columns whose dtype changed since the first chunk"):
        gen.block_statistics(X.astype({"n": "float32"}))
    with pytest.raises(ValueError, match="feature names"):
        gen.block_statistics(X.rename(columns={"a": "z"}))
