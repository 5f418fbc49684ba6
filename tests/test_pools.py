"""Pool policies: plans, sizes, totals, weights, needed generations, parsing and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthloop import AccumulatePool, AugmentPool, FreshPool, RandomPool, ReplacePool, WindowPool
from synthloop.pools import PoolPart, check_pool
from synthloop.utils import child_seeds

POOLS = [
    ReplacePool(), AugmentPool(), AugmentPool(real_weight=0.618), FreshPool(), FreshPool(real_weight=0.3),
    FreshPool(n_real=2, real_weight=0.618), AccumulatePool(), AccumulatePool(subsample="n_real"), WindowPool(k=1), WindowPool(k=3), RandomPool(),
]

sizes_strategy = st.lists(st.integers(1, 500), min_size=1, max_size=8).flatmap(
    lambda rest: st.integers(len(rest) + 1, 2000).map(lambda n0: np.array([n0, *rest], dtype=np.int64))
)


def _synthetic(plan):
    return sum(p.n_rows for p in plan.parts if p.source != "real")


def _real(plan):
    return [p for p in plan.parts if p.source == "real"]


@settings(max_examples=60, deadline=None)
@given(sizes=sizes_strategy, which=st.integers(0, len(POOLS) - 1), seed=st.integers(0, 2**32 - 1))
def test_plan_sizes_and_sources(sizes, which, seed):
    pool = POOLS[which].validate(sizes)
    seeds = child_seeds(seed, len(sizes))
    T = len(sizes) - 1
    for t in range(T + 1):
        plan = pool.plan(t, sizes, seeds)
        # A generation only draws from earlier generations, never from itself.
        assert all(p.source == "real" or 0 <= p.source < t for p in plan.parts)
        assert all(p.n_rows > 0 and p.weight > 0 for p in plan.parts)
        for p in _real(plan):
            if p.rows is not None:
                assert len(p.rows) == p.n_rows and len(np.unique(p.rows)) == p.n_rows
                assert p.rows.min() >= 0 and p.rows.max() < sizes[0]
        if t == 0:
            continue
        name = pool.name
        if name in ("replace", "window", "random"):
            assert _synthetic(plan) == sizes[t] and not _real(plan)
        if name == "augment":
            assert _synthetic(plan) == sizes[t] and _real(plan)[0].n_rows == sizes[0]
        if name == "fresh" and pool.n_real is not None:
            assert _synthetic(plan) == sizes[t] and _real(plan)[0].n_rows == pool.n_real
        if name == "accumulate":
            assert plan.base == t - 1 and _synthetic(plan) == sizes[t]
        if name == "accumulate-subsample":
            assert plan.n_rows == sizes[0]
        if name == "window":
            counts = [p.n_rows for p in plan.parts]
            assert max(counts) - min(counts) <= 1
            assert all(t - pool.k <= p.source for p in plan.parts)
    # Replaying the loop's bookkeeping: every source of plan t (and its base)
    # is still held when generation t is fit.
    held = set()
    for t in range(T + 1):
        plan = pool.plan(t, sizes, seeds)
        used = {p.source for p in plan.parts if p.source != "real"} | ({plan.base} - {None})
        assert used <= held, (t, used, held)
        held = (held | {t}) & pool.needed_after(t, T)


@settings(max_examples=40, deadline=None)
@given(sizes=sizes_strategy, seed=st.integers(0, 2**32 - 1))
def test_fresh_chunks_are_disjoint_and_cover_the_real_rows(sizes, seed):
    pool = FreshPool().validate(sizes)
    seeds = child_seeds(seed, len(sizes))
    chunks = [_real(pool.plan(t, sizes, seeds))[0].rows for t in range(len(sizes))]
    rows = np.concatenate(chunks)
    assert np.array_equal(np.sort(rows), np.arange(sizes[0]))
    lengths = [len(c) for c in chunks]
    assert max(lengths) - min(lengths) <= 1


@settings(max_examples=40, deadline=None)
@given(sizes=sizes_strategy.filter(lambda s: len(s) > 1), w=st.floats(0.01, 0.99), seed=st.integers(0, 99))
def test_real_weight_totals(sizes, w, seed):
    """Real rows carry total weight w * n_pool, synthetic rows (1 - w) * n_pool."""
    seeds = child_seeds(seed, len(sizes))
    for pool in (AugmentPool(real_weight=w), FreshPool(real_weight=w), FreshPool(real_weight=w, n_real=2),
                 FreshPool(real_weight=w, stream=[np.ones((3, 1))] * (len(sizes) - 1))):
        pool.validate(sizes)
        plan = pool.plan(1, sizes, seeds)
        real = sum(p.n_rows * p.weight for p in _real(plan))
        synth = sum(p.n_rows * p.weight for p in plan.parts if p.source != "real")
        n_pool = plan.n_rows
        assert real == pytest.approx(w * n_pool) and synth == pytest.approx((1 - w) * n_pool)


@pytest.mark.parametrize("replace", [False, True])
def test_fresh_draws_n_real_rows_per_generation_whatever_t(replace):
    N, k = 50, 20
    short, long = np.array([N] + [30] * 3), np.array([N] + [30] * 40)
    pool = FreshPool(n_real=k, replace=replace).validate(long)
    # generation 0 is the fit on every real row
    assert pool.plan(0, long, child_seeds(0, 41)).parts == (PoolPart("real", N),)
    plans = [pool.plan(t, long, child_seeds(0, 41)) for t in range(1, 41)]
    rows = [_real(plan)[0].rows for plan in plans]
    assert all(len(r) == k and r.min() >= 0 and r.max() < N for r in rows)
    assert all(len(np.unique(r)) == k for r in rows) or replace
    assert any(len(np.unique(r)) < k for r in rows) == replace  # 20 of 50 with replacement: repeats are sure
    # The rows of generation t do not depend on how many generations follow (the seeds do not).
    np.testing.assert_array_equal(_real(pool.plan(2, short, child_seeds(0, 4)))[0].rows, rows[1])


@pytest.mark.parametrize("replace", [False, True])
def test_fresh_draws_are_uniform_over_the_real_rows(replace):
    # Each row is drawn k/N = 0.2 times per generation on average; over 2000 generations the count of a
    # row has SE sqrt(2000 * 0.2 * 0.8) = 17.9 (or sqrt(2000 * 0.2) with replacement, Poisson-like): 4 SE.
    N, k, T = 10, 2, 2000
    sizes = np.array([N] + [5] * T)
    pool = FreshPool(n_real=k, replace=replace).validate(sizes)
    seeds = child_seeds(1, T + 1)
    counts = np.bincount(np.concatenate([_real(pool.plan(t, sizes, seeds))[0].rows for t in range(1, T + 1)]),
                         minlength=N)
    se = np.sqrt(T * (k / N) * (1 - (0 if replace else k / N)))
    assert np.all(np.abs(counts - T * k / N) < 4 * se), counts


def test_fresh_stream_tables_in_order():
    tables = [np.full((t + 1, 2), t) for t in range(1, 4)]
    sizes, seeds = np.array([9, 5, 5, 5]), child_seeds(0, 4)
    for stream in (tables, iter(tables), lambda t: tables[t - 1]):
        pool = FreshPool(stream=stream, real_weight=0.5).validate(sizes)
        assert pool.plan(0, sizes, seeds).parts == (PoolPart("real", 9),)
        for t in (1, 2, 3):
            part = _real(pool.plan(t, sizes, seeds))[0]
            assert part.data is tables[t - 1] and part.n_rows == t + 1 and part.rows is None


def test_real_weight_extremes_drop_the_zero_weight_part():
    plan = AugmentPool(real_weight=1.0).plan(1, [10, 20], [0, 1])
    assert [p.source for p in plan.parts] == ["real"] and plan.parts[0].weight == 3.0
    plan = AugmentPool(real_weight=0.0).plan(1, [10, 20], [0, 1])
    assert [p.source for p in plan.parts] == [0]


def test_random_pool_is_uniform_over_earlier_generations():
    sizes = np.array([10, 10, 10, 10, 100_000])
    plan = RandomPool().plan(4, sizes, child_seeds(0, 5))
    counts = np.array([p.n_rows for p in plan.parts])
    assert [p.source for p in plan.parts] == [0, 1, 2, 3]
    # Multinomial(100000, 1/4): SE of each count is sqrt(n p (1-p)) ~ 137; allow 4 SE.
    assert np.all(np.abs(counts - 25_000) < 4 * np.sqrt(100_000 * 0.25 * 0.75))


def test_accumulate_subsample_is_a_uniform_subset():
    sizes = np.array([1000, 1000, 2000])
    counts = np.array([[p.n_rows for p in AccumulatePool(subsample=400).plan(2, sizes, child_seeds(s, 3)).parts]
                       for s in range(300)])
    # Expected shares 1/4, 1/4, 1/2 of 400 rows; the mean over 300 plans has SE < 10/sqrt(300).
    np.testing.assert_allclose(counts.mean(axis=0), [100, 100, 200], atol=4 * 10 / np.sqrt(300))


def test_plans_are_reproducible_from_seeds():
    sizes, seeds = np.array([50, 60, 70, 80]), child_seeds(3, 4)
    for pool in POOLS:
        a, b = pool.plan(3, sizes, seeds), pool.plan(3, sizes, seeds)
        assert [(p.source, p.n_rows, p.weight) for p in a.parts] == [(p.source, p.n_rows, p.weight) for p in b.parts]


def test_needed_after():
    assert ReplacePool().needed_after(4, 10) == {4}
    assert ReplacePool().needed_after(10, 10) == set()
    assert WindowPool(k=3).needed_after(1, 10) == {0, 1}
    assert RandomPool().needed_after(3, 10) == {0, 1, 2, 3}
    assert AccumulatePool().needed_after(3, 10) == {3}
    assert AccumulatePool(subsample=5).needed_after(3, 10) == {0, 1, 2, 3}


@pytest.mark.parametrize("spec, expected", [
    ("replace", ReplacePool()), ("augment", AugmentPool()), ("augment:0.618", AugmentPool(real_weight=0.618)),
    ("fresh", FreshPool()), ("accumulate", AccumulatePool()),
    ("accumulate-subsample", AccumulatePool(subsample="n_real")),
    ("accumulate-subsample:500", AccumulatePool(subsample=500)), ("window", WindowPool()),
    (" Window:5 ", WindowPool(k=5)), ("random", RandomPool()),
])
def test_check_pool_strings(spec, expected):
    assert check_pool(spec) == expected


@pytest.mark.parametrize("spec, err, match", [
    ("shuffle", ValueError, "Unknown pool 'shuffle'"),
    ("window:x", ValueError, "k must be an integer, got 'x'"),
    ("replace:3", ValueError, "'replace' takes no value"),
    (3, TypeError, "pool must be a BasePool instance or a string"),
    (WindowPool(k=0), ValueError, "The 'k' parameter of WindowPool must be an int in the range"),
    ("window:0", ValueError, "The 'k' parameter of WindowPool"),
    (AugmentPool(real_weight=1.5), ValueError, "The 'real_weight' parameter of AugmentPool"),
])
def test_check_pool_errors(spec, err, match):
    with pytest.raises(err, match=match):
        check_pool(spec)


def test_validate_errors():
    with pytest.raises(ValueError, match=r"FreshPool splits the real rows into n_generations \+ 1 = 11 "
                                         r"disjoint chunks.*only 5 real rows"):
        FreshPool().validate([5] + [10] * 10)
    with pytest.raises(ValueError, match=r"AccumulatePool\(subsample=500\) draws 500 rows per generation, "
                                         r"but generation 1's accumulated pool has only 300 rows"):
        AccumulatePool(subsample=500).validate([100, 200, 400])
    with pytest.raises(ValueError, match="sizes must be a 1-D integer array"):
        ReplacePool().validate([10, 0])


@pytest.mark.parametrize("pool, err, match", [
    (FreshPool(n_real=11), ValueError, r"FreshPool\(n_real=11, replace=False\) draws 11 distinct real rows per "
     r"generation, but the real table has only 10 rows. Use n_real <= 10, replace=True, or more real rows"),
    (FreshPool(replace=True), ValueError, r"FreshPool\(replace=True\) draws n_real rows per generation with "
     "replacement; give n_real"),
    (FreshPool(n_real=0), ValueError, "The 'n_real' parameter of FreshPool must be an int in the range"),
    (FreshPool(stream=[np.ones((2, 1))] * 2, n_real=3), ValueError, "from n_real draws of the real table or from a "
     "stream, not both"),
    (FreshPool(stream=[np.ones((2, 1))] * 2), ValueError, r"FreshPool's stream ran out after 2 tables, but "
     r"n_generations=3 needs one table per generation 1\.\.3"),
    (FreshPool(stream=iter([])), ValueError, "stream ran out after 0 tables"),
    (FreshPool(stream=np.ones((5, 2))), TypeError, "stream must give one table per generation.*got a single "
     r"ndarray. Wrap it in a list"),
    (FreshPool(stream=3), TypeError, "stream must be an iterable of tables or a callable t -> table; got int"),
    (FreshPool(stream=lambda t: None), TypeError, "the stream's table for generation 1 must be a DataFrame or a 2-D "
     "array of rows; got NoneType"),
    (FreshPool(stream=lambda t: np.ones((3 - t, 2))), ValueError, "the stream's table for generation 3 has no rows"),
])
def test_fresh_pool_errors(pool, err, match):
    with pytest.raises(err, match=match) as info:
        pool.validate([10, 5, 5, 5])
    assert "\n" not in str(info.value)


def test_fresh_stream_plan_needs_validate():
    with pytest.raises(ValueError, match=r"call validate\(sizes\) for these 2 generations first"):
        FreshPool(stream=[np.ones((2, 1))] * 2).plan(1, [10, 5, 5], [0, 1, 2])


def test_pools_with_unhashable_parameters_compare_by_identity():
    tables = [np.ones((2, 1))]
    a, b = FreshPool(stream=tables), FreshPool(stream=tables)
    assert a == b and hash(a) == hash(b) and a != FreshPool(stream=list(tables))


# -- one tuple of pool names ----------------------------------------------------------------
def test_every_module_reads_the_one_tuple_of_pool_names():
    from synthloop._pool_names import POOLS as NAMES
    from synthloop.advise._drift import ADVISED_POOLS
    from synthloop.pools import _POOLS
    from synthloop.simulate._common import SIMULATED_POOLS

    assert tuple(_POOLS) == NAMES
    assert [type(check_pool(name)).__name__ for name in NAMES] == [cls.__name__ for cls, _ in _POOLS.values()]
    assert set(SIMULATED_POOLS) < set(NAMES) and set(ADVISED_POOLS) < set(SIMULATED_POOLS)
    assert "fresh" in SIMULATED_POOLS and "fresh" not in ADVISED_POOLS


def test_no_module_spells_out_its_own_list_of_pool_names():
    # A tuple, list or set of two or more pool names written anywhere but _pool_names.py is a second registry.
    import ast
    from pathlib import Path

    from synthloop._pool_names import POOLS as NAMES

    package = Path(__file__).resolve().parents[1] / "synthloop"
    found = []
    for path in package.rglob("*.py"):
        if path.name == "_pool_names.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                names = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                if len(names) >= 2 and len(names) == len(node.elts) and set(names) <= set(NAMES):
                    found.append(f"{path.relative_to(package)}:{node.lineno}")
    assert not found, found


def test_pool_subset_names_only_pools():
    from synthloop._pool_names import pool_subset

    assert pool_subset("accumulate", "replace") == ("replace", "accumulate")
    with pytest.raises(ValueError, match=r"pool_subset: \['replace-all'\] are not pools"):
        pool_subset("replace", "replace-all")
