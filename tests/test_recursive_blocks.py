"""RecursiveSynthesizer's generations as block reductions: threads, Dask, and fit on all rows."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from synthloop import (
    CategoricalGenerator,
    GaussianCopulaGenerator,
    MultivariateNormalGenerator,
    RecursiveSynthesizer,
)
from synthloop.sampling import BLOCK_SIZE, _aligned, _runs, fit_blocks, sample_blocks, tree_reduce


def _mixed(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.6, -0.4], [0.6, 1, -0.2], [-0.4, -0.2, 1]], n)
    age = pd.array(np.round(40 + 10 * z[:, 2]).astype(int), dtype="Int64")
    age[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame({
        "age": age,
        "size": pd.Categorical(np.select([z[:, 0] < -0.3, z[:, 0] < 0.8], ["S", "M"], "L"), categories=["S", "M", "L"]),
        "colour": pd.Series(np.select([z[:, 1] < -0.5, z[:, 1] < 0.6], ["blue", "green"], "red"), dtype=object),
        "x": np.round(z[:, 0], 1),
    })


# 70,000 rows then 280,000: five blocks, one not full, in the last generation
SCHEDULE = "polynomial:power=2,n=70000"
MODELS = {
    "mvn": (MultivariateNormalGenerator, lambda: _mixed()[["age", "x"]].dropna().astype(float)),
    "categorical": (CategoricalGenerator, _mixed),
    "copula": (GaussianCopulaGenerator, _mixed),
}


def _run(name, **kwargs):
    make, data = MODELS[name]
    return RecursiveSynthesizer(make(), n_generations=2, schedule=SCHEDULE, keep="all", random_state=0,
                                **kwargs).fit(data())


def _assert_same_params(p, q, rtol=0.0):
    if isinstance(p, dict):
        assert p.keys() == q.keys()
        for key in p:
            _assert_same_params(p[key], q[key], rtol)
    elif isinstance(p, np.ndarray) and p.dtype == object:
        assert list(p) == list(q)
    elif rtol:
        np.testing.assert_allclose(p, q, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(p, q)


def _level_order(items, merge):
    level = list(items)
    while len(level) > 1:
        level = [merge(*level[i:i + 2]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]


def test_tree_reduce_merges_neighbours_level_by_level():
    def merge(a, b):
        return f"({a} {b})"

    for n in range(1, 70):
        leaves = [str(i) for i in range(n)]
        assert tree_reduce(iter(leaves), merge) == _level_order(leaves, merge)
    with pytest.raises(ValueError, match="at least one item"):
        tree_reduce([], merge)


def test_tree_reduce_takes_aligned_subtrees_for_their_leaves():
    def merge(a, b):
        return f"({a} {b})"

    rng = np.random.default_rng(0)
    for n in range(1, 70):
        leaves = [str(i) for i in range(n)]
        for largest in (1, 2, 4, 8, 16):
            items, sizes, i = [], [], 0
            while i < n:  # a random aligned cut
                size = int(rng.choice([s for s in (1, 2, 4, 8, 16) if s <= largest and not i % s and i + s <= n]))
                items.append(tree_reduce(leaves[i:i + size], merge))
                sizes.append(size)
                i += size
            assert tree_reduce(items, merge, sizes=sizes) == tree_reduce(leaves, merge)
    with pytest.raises(ValueError, match="an item of 2 leaves must be a power of two starting at a multiple of it; "
                                         "this one starts at leaf 1"):
        tree_reduce("abc", merge, sizes=[1, 2])
    with pytest.raises(ValueError, match="an item of 3 leaves"):
        tree_reduce("ab", merge, sizes=[3, 1])


def test_dask_runs_cover_the_leaves_with_few_tasks_of_aligned_subtrees():
    def merge(a, b):
        return f"({a} {b})"

    for first in range(40):
        for stop in range(first + 1, 80):
            cut = _aligned(first, stop)
            assert [i for i, size in cut] == list(np.cumsum([first] + [size for _, size in cut])[:-1])
            assert sum(size for _, size in cut) == stop - first
            assert all(size & (size - 1) == 0 and i % size == 0 for i, size in cut)
    # Three leaves of rows here, then the blocks of two sources: the runs never cross a part or a leaf kept here.
    blocks = [(0, b) for b in range(3)] + [(1, b) for b in range(300)] + [(2, b) for b in range(148)]
    remote = set(blocks[3:])
    for threads in (1, 2, 8):
        runs = _runs(blocks, remote, threads)
        assert [i for i, _ in runs] == [0] + [stop for _, stop in runs[:-1]] and runs[-1][1] == len(blocks)
        assert all(stop == i + 1 for i, stop in runs[:3])
        assert all(len({blocks[j][0] for j in range(i, stop)}) == 1 for i, stop in runs)
        sizes = [stop - i for i, stop in runs[3:]]
        # a pass is a few tasks per thread (at most about 2 w ln n), the first one a 2 w-th of the blocks
        assert len(sizes) <= 2 * threads * np.log(len(remote)) + 2, (threads, sizes)
        assert sizes[0] == -(-len(remote) // (2 * threads))
        leaves = [str(i) for i in range(len(blocks))]
        items = [tree_reduce(leaves[i:i + size], merge) for first, stop in runs for i, size in _aligned(first, stop)]
        sizes = [size for first, stop in runs for _, size in _aligned(first, stop)]
        assert tree_reduce(items, merge, sizes=sizes) == tree_reduce(leaves, merge)


@pytest.fixture(scope="module")
def threads():
    return {name: _run(name) for name in MODELS}


@pytest.mark.parametrize("name", MODELS)
def test_the_fit_does_not_depend_on_n_jobs_or_chunk_size(threads, name):
    base = threads[name]
    for other in (_run(name, n_jobs=2), _run(name, chunk_size=BLOCK_SIZE)):
        for p, q in zip(base.parameters_, other.parameters_):
            _assert_same_params(p, q)
        pd.testing.assert_frame_equal(base.sample(50, random_state=1), other.sample(50, random_state=1))


@pytest.mark.parametrize("name", MODELS)
def test_a_generation_equals_fit_on_all_its_rows(threads, name):
    # The last generation: 280,000 rows drawn from the one before, in five blocks.
    rs = threads[name]
    seed, n = int(rs.history_["seed"].iloc[2]), int(rs.sizes_[2])
    rows = sample_blocks(rs.generators_[1], n, seed)
    fitted = MODELS[name][0](random_state=seed).fit(rows)
    _assert_same_params(rs.parameters_[2], fitted.get_fitted_params(), rtol=1e-12)
    # and fit_blocks re-runs it alone, bitwise
    again = fit_blocks(MODELS[name][0](random_state=seed), [(rs.generators_[1], n, None)], seed)
    _assert_same_params(rs.parameters_[2], again.get_fitted_params())


def test_the_copula_generation_is_exact_past_chunk_size_whatever_its_reservoir():
    # chunk_size of one block: partial_fit would keep 500 rows for the correlation of 280,000.
    X = _mixed()
    rs = RecursiveSynthesizer(GaussianCopulaGenerator(reservoir_size=500), n_generations=2, schedule=SCHEDULE,
                              keep="all", chunk_size=BLOCK_SIZE, random_state=0).fit(X)
    seed = int(rs.history_["seed"].iloc[2])
    rows = sample_blocks(rs.generators_[1], int(rs.sizes_[2]), seed)
    exact = GaussianCopulaGenerator(random_state=seed).fit(rows)
    np.testing.assert_allclose(rs.generators_[2].correlation_, exact.correlation_, rtol=0, atol=1e-12)


class _BlasSpy(MultivariateNormalGenerator):
    """Records BLAS's thread count whenever it reduces a block (a class attribute: clones share it)."""

    seen = []

    def _block_statistics(self, table, sample_weight, pass_):
        from threadpoolctl import threadpool_info

        self.seen.append(max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"))
        return super()._block_statistics(table, sample_weight, pass_)


@pytest.mark.parametrize("n_jobs, expected", [(1, 2), (2, 1)])
def test_threads_of_the_loop_run_blas_at_one_thread(n_jobs, expected):
    # n_jobs threads are the parallelism: BLAS at a thread per core in each would oversubscribe the cores.
    from threadpoolctl import threadpool_limits

    X = np.random.default_rng(0).normal(size=(300, 3))
    with threadpool_limits(limits=2, user_api="blas"):
        _BlasSpy.seen = []
        RecursiveSynthesizer(_BlasSpy(), n_generations=2, schedule="constant:n=200000", n_jobs=n_jobs,
                             random_state=0).fit(X)
        seen = _BlasSpy.seen
        _BlasSpy.seen = []
        src = MultivariateNormalGenerator().fit(X)
        fit_blocks(_BlasSpy(), [(src, 4 * BLOCK_SIZE, None)], seed=0, n_jobs=n_jobs)
    assert len(seen) > 6 and set(seen) == {expected}
    assert len(_BlasSpy.seen) == 4 and set(_BlasSpy.seen) == {expected}


@pytest.fixture(scope="module")
def clusters():
    distributed = pytest.importorskip("distributed")
    opened = []
    try:
        for n_workers in (1, 2):
            opened.append(distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False,
                                                   host="127.0.0.1", protocol="tcp", dashboard_address=":0"))
        yield [cluster.scheduler_address for cluster in opened]
    finally:
        for cluster in opened:
            cluster.close()


@pytest.mark.parametrize("name", MODELS)
def test_a_dask_cluster_fits_what_threads_fit_whatever_its_workers(threads, clusters, name):
    base = threads[name]
    # Bitwise for the MVN and the categorical model; the copula within float rounding
    # (the same merges, but its scores go through BLAS on other machines).
    rtol = 1e-12 if name == "copula" else 0.0
    for address in clusters:
        rs = _run(name, backend="dask", scheduler=address)
        for p, q in zip(base.parameters_, rs.parameters_):
            _assert_same_params(p, q, rtol)
        assert list(rs.history_["n_train"]) == list(base.history_["n_train"])


def test_dask_tasks_of_many_blocks_reduce_the_same_tree(clusters):
    # 3 blocks of rows here and 37 drawn on the workers, in runs of 19, 9, 5, ... blocks on one worker and of
    # 10, 7, 5, ... on two, none of them aligned.
    from distributed import Client

    X = np.random.default_rng(1).normal(size=(3 * BLOCK_SIZE - 7, 2))
    source = MultivariateNormalGenerator().fit(X[:500])
    parts = [(X, len(X), 0.5), (source, 37 * BLOCK_SIZE - 11, 1.5)]
    here = fit_blocks(MultivariateNormalGenerator(), parts, seed=4)
    for address in clusters:
        with Client(address) as client:
            there = fit_blocks(MultivariateNormalGenerator(), parts, seed=4, client=client)
        _assert_same_params(here.get_fitted_params(), there.get_fitted_params())


def test_dask_runs_are_sized_by_the_clusters_threads(monkeypatch):
    # The in-process cluster of n_jobs=2 is one worker of two threads: runs for two.
    pytest.importorskip("distributed")
    import synthloop.sampling

    seen = []

    def spy(blocks, remote, threads):
        seen.append(threads)
        return _runs(blocks, remote, threads)

    monkeypatch.setattr(synthloop.sampling, "_runs", spy)
    X = np.random.default_rng(0).normal(size=(300, 2))
    RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1, schedule="constant:n=200000",
                         backend="dask", n_jobs=2, random_state=0).fit(X)
    assert seen and set(seen) == {2}


def test_dask_with_no_scheduler_runs_an_in_process_cluster(threads):
    pytest.importorskip("distributed")
    rs = _run("mvn", backend="dask", n_jobs=2)
    for p, q in zip(threads["mvn"].parameters_, rs.parameters_):
        _assert_same_params(p, q)


def test_a_connected_client_is_used_and_left_open(clusters):
    from distributed import Client

    X = np.random.default_rng(0).normal(size=(300, 2))
    with Client(clusters[1]) as client:
        rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, backend="dask",
                                  scheduler=client, pool="augment", random_state=0).fit(X)
        assert client.status == "running"
    ref = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, pool="augment", random_state=0).fit(X)
    for p, q in zip(ref.parameters_, rs.parameters_):
        _assert_same_params(p, q)


def test_the_accumulate_pool_continues_one_pass_reductions_on_dask(clusters):
    X = np.random.default_rng(0).normal(size=(300, 2))
    kw = dict(n_generations=3, pool="accumulate", schedule="constant:n=100000", random_state=0)
    ref = RecursiveSynthesizer(MultivariateNormalGenerator(), **kw).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the MVN needs no note: its reduction continues
        rs = RecursiveSynthesizer(MultivariateNormalGenerator(), backend="dask", scheduler=clusters[1], **kw).fit(X)
    for p, q in zip(ref.parameters_, rs.parameters_):
        _assert_same_params(p, q)
    assert list(rs.history_["n_train"]) == [300, 100_300, 200_300, 300_300]


class _Bare(BaseEstimator):
    """A generator of the contract without the block reduction: a Gaussian refit on every call."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, sample_weight=None):
        self.X_ = np.asarray(X, dtype=float)
        return self

    def partial_fit(self, X, sample_weight=None):
        X = np.asarray(X, dtype=float)
        self.X_ = X if not hasattr(self, "X_") else np.vstack([self.X_, X])
        return self

    def sample(self, n_samples, random_state=None):
        rng = np.random.default_rng(random_state)
        return rng.multivariate_normal(self.X_.mean(axis=0), np.cov(self.X_.T), n_samples)


@pytest.mark.parametrize("generator, pool, note", [
    (_Bare(), "replace", r"_Bare has no block reduction, so its generations are fit in this process with "
                         r"sequential partial_fit"),
    (GaussianCopulaGenerator(), "accumulate", r"GaussianCopulaGenerator cannot continue its fit as a block "
                                              r"reduction \(pool AccumulatePool\(\)\), so"),
])
def test_generators_dask_cannot_distribute_run_here_with_a_note(clusters, generator, pool, note):
    X = _mixed(300)[["x"]].assign(y=np.arange(300) % 7 * 1.0)
    kw = dict(n_generations=2, pool=pool, random_state=0)
    ref = RecursiveSynthesizer(generator, **kw).fit(X)
    with pytest.warns(UserWarning, match=r"RecursiveSynthesizer\(backend='dask'\): " + note):
        rs = RecursiveSynthesizer(generator, backend="dask", scheduler=clusters[0], **kw).fit(X)
    pd.testing.assert_frame_equal(ref.history_.drop(columns=["fit_seconds", "sample_seconds"]),
                                  rs.history_.drop(columns=["fit_seconds", "sample_seconds"]))


def test_a_scheduler_needs_the_dask_backend():
    with pytest.raises(ValueError, match="RecursiveSynthesizer: a scheduler needs backend='dask'; got "
                                         "backend='threads'"):
        RecursiveSynthesizer(MultivariateNormalGenerator(), scheduler="tcp://127.0.0.1:1").fit(np.ones((5, 2)))
    with pytest.raises(ValueError, match="The 'backend' parameter of RecursiveSynthesizer must be"):
        RecursiveSynthesizer(MultivariateNormalGenerator(), backend="spark").fit(np.ones((5, 2)))


def test_the_timings_add_up_over_the_blocks(threads):
    h = threads["copula"].history_
    assert (h["fit_seconds"] > 0).all() and (h["sample_seconds"].iloc[1:] > 0).all()
    assert h["sample_seconds"].iloc[0] == 0  # generation 0 draws nothing
