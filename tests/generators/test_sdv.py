"""SDVGenerator: SDV synthesizers behind the generator contract, with real seeds."""

import numpy as np
import pandas as pd
import pytest

from synthloop import SDVGenerator
from synthloop.utils.estimator_checks import parametrize_with_generator_checks

pytest.importorskip("sdv")

FAST = {"default_distribution": "norm"}


def _table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    col = pd.array(np.round(3 * x + rng.normal(size=n)).astype(int), dtype="Int64")
    col[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame({"x": x, "k": col,
                         "c": pd.Categorical(np.where(x > 0.3, "hi", "lo")),
                         "b": rng.random(n) < 0.4})


@parametrize_with_generator_checks([SDVGenerator(synthesizer_params=FAST)])
def test_generator_contract(generator, check):
    check(generator)


def test_seeds_differ_repeat_and_advance():
    X = _table()
    a = SDVGenerator(synthesizer_params=FAST, random_state=1).fit(X)
    b = SDVGenerator(synthesizer_params=FAST, random_state=2).fit(X)
    a2 = SDVGenerator(synthesizer_params=FAST, random_state=1).fit(X)
    s1 = a.sample(50)
    assert not s1.equals(b.sample(50)), "different random_state gave the same rows"
    pd.testing.assert_frame_equal(s1, a2.sample(50))
    assert not a.sample(50).equals(a2.sample(50).iloc[:0]) and not a.sample(50).equals(s1)
    pd.testing.assert_frame_equal(a.sample(30, random_state=5), a.sample(30, random_state=5))


def test_refit_does_not_reuse_sdv_fixed_seed():
    # SDV alone samples the same rows after every fit (fixed seed 73251).
    X = _table()
    gen = SDVGenerator(synthesizer_params=FAST)  # random_state=None: fresh entropy per fit
    first = gen.fit(X).sample(40)
    second = gen.fit(X).sample(40)
    assert not first.equals(second)


def test_global_numpy_state_untouched():
    X = _table()
    before = np.random.get_state()
    gen = SDVGenerator(synthesizer_params=FAST, random_state=0).fit(X)
    gen.sample(20)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def test_dtypes_and_missing_round_trip():
    X = _table()
    S = SDVGenerator(synthesizer_params=FAST, random_state=0).fit(X).sample(300)
    assert S.dtypes.tolist() == X.dtypes.tolist()
    assert S["k"].isna().any() and not S["x"].isna().any()


def test_non_integer_weights_rejected():
    X = _table(50)
    with pytest.raises(ValueError, match=r"SDV synthesizers have no sample weights"):
        SDVGenerator(synthesizer_params=FAST).fit(X, sample_weight=np.full(50, 0.5))


def test_unknown_synthesizer_rejected():
    with pytest.raises(ValueError, match=r"The 'synthesizer' parameter of SDVGenerator must be"):
        SDVGenerator(synthesizer="PARSynthesizer").fit(_table(20))


def test_unsupported_kind_message():
    X = _table(30).assign(s=pd.Series(["u"] * 30, dtype="str"))
    with pytest.raises(ValueError, match=r"column 's'.*SDVGenerator does not model"):
        SDVGenerator(synthesizer_params=FAST).fit(X)
