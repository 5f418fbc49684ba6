"""Pool policies: plans, sizes, totals, weights, needed generations, parsing and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthloop import AccumulatePool, AugmentPool, FreshPool, RandomPool, ReplacePool, WindowPool
from synthloop.pools import check_pool
from synthloop.utils import child_seeds

POOLS = [
    ReplacePool(), AugmentPool(), AugmentPool(real_weight=0.618), FreshPool(), FreshPool(real_weight=0.3),
    AccumulatePool(), AccumulatePool(subsample="n_real"), WindowPool(k=1), WindowPool(k=3), RandomPool(),
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
    for pool in (AugmentPool(real_weight=w), FreshPool(real_weight=w)):
        pool.validate(sizes)
        plan = pool.plan(1, sizes, seeds)
        real = sum(p.n_rows * p.weight for p in _real(plan))
        synth = sum(p.n_rows * p.weight for p in plan.parts if p.source != "real")
        n_pool = plan.n_rows
        assert real == pytest.approx(w * n_pool) and synth == pytest.approx((1 - w) * n_pool)


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
