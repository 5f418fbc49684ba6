"""TabularARGNGenerator: MOSTLY AI's TabularARGN behind the generator contract, with real seeds.

Needs the extra ``argn`` (mostlyai-engine, about 2 GB), which ``make test``
does not install: these tests skip there. Run them in an environment with
the engine (docs/generators_argn.rst), one or two epochs on tiny tables::

    OMP_NUM_THREADS=1 /work/venv-argn/bin/python -m pytest tests/generators/test_argn.py
"""

import os
import pickle
import random

import numpy as np
import pandas as pd
import pytest

from synthloop import TabularARGNGenerator
from synthloop.utils.estimator_checks import parametrize_with_generator_checks

pytest.importorskip("mostlyai.engine")
torch = pytest.importorskip("torch")

# One epoch of the small network: the contract, not the model's quality, is under test.
FAST = {"max_epochs": 1, "model": "MOSTLY_AI/Small"}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # Bitwise repeats hold for one thread count; one thread also spares a shared machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _table(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    k = pd.array(np.round(3 * x + rng.normal(size=n)).astype(int), dtype="Int64")
    k[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame({"x": x, "k": k, "c": pd.Categorical(np.where(x > 0.3, "hi", "lo")),
                         "b": rng.random(n) < 0.4})


@parametrize_with_generator_checks([TabularARGNGenerator(**FAST)])
def test_generator_contract(generator, check):
    check(generator)


def _global_states():
    np_state = np.random.get_state()
    return (random.getstate(), (np_state[0], np_state[1].tobytes(), *np_state[2:]),
            torch.get_rng_state().numpy().tobytes(), os.environ.get("MOSTLYAI_ENGINE_SEED"))


@pytest.mark.parametrize("env_before", [None, "12345"])
def test_global_rng_states_are_unchanged_by_fit_and_sample(monkeypatch, env_before):
    # The engine alone seeds random, numpy, torch and MOSTLYAI_ENGINE_SEED in fit and samples from them.
    if env_before is None:
        monkeypatch.delenv("MOSTLYAI_ENGINE_SEED", raising=False)
    else:
        monkeypatch.setenv("MOSTLYAI_ENGINE_SEED", env_before)
    random.seed(11)
    np.random.seed(12)
    torch.manual_seed(13)
    before = _global_states()
    gen = TabularARGNGenerator(**FAST, random_state=0).fit(_table())
    assert _global_states() == before, "fit changed a global random state"
    gen.sample(30)
    gen.sample(30, random_state=4)
    assert _global_states() == before, "sample changed a global random state"
    # and the next draws of each global generator are the ones the caller seeded
    random.seed(11), np.random.seed(12), torch.manual_seed(13)
    expected = (random.random(), np.random.random(), torch.rand(1).item())
    random.seed(11), np.random.seed(12), torch.manual_seed(13)
    TabularARGNGenerator(**FAST, random_state=1).fit(_table()).sample(10)
    assert (random.random(), np.random.random(), torch.rand(1).item()) == expected


def test_same_random_state_same_samples_and_the_stream_advances():
    X = _table()
    a = TabularARGNGenerator(**FAST, random_state=1).fit(X)
    a2 = TabularARGNGenerator(**FAST, random_state=1).fit(X)
    s1 = a.sample(60)
    pd.testing.assert_frame_equal(s1, a2.sample(60))
    assert not a.sample(60).equals(s1), "two sample() calls gave the same rows"
    pd.testing.assert_frame_equal(a.sample(40, random_state=5), a2.sample(40, random_state=5))


def test_different_seeds_give_different_models_and_samples():
    X = _table()
    a = TabularARGNGenerator(**FAST, random_state=1).fit(X)
    b = TabularARGNGenerator(**FAST, random_state=2).fit(X)
    assert not a.sample(60).equals(b.sample(60))
    # the fits differ too, not only the sampling noise: the same sampling seed on both models
    assert not a.sample(60, random_state=3).equals(b.sample(60, random_state=3))
    assert a._model_files["ModelStore/model-data/model-weights.pt"] != b._model_files[
        "ModelStore/model-data/model-weights.pt"]


def test_refit_without_a_seed_draws_fresh_entropy():
    X = _table()
    gen = TabularARGNGenerator(**FAST)
    assert not gen.fit(X).sample(40).equals(gen.fit(X).sample(40))


def test_dtypes_booleans_and_categories_round_trip():
    # The engine alone returns `string` for a category and 'True'/'False' strings for a bool.
    rng = np.random.default_rng(0)
    n = 200
    X = _table(n)
    X["flag"] = pd.array(rng.random(n) < 0.5, dtype="boolean")
    X.loc[X.index[:15], "flag"] = pd.NA
    X["levels"] = pd.Categorical(rng.choice([1, 2, 3], n), categories=[1, 2, 3, 4])  # non-text categories
    X["text"] = pd.Series(rng.choice(["u", "v"], n), dtype="str")
    S = TabularARGNGenerator(**FAST, random_state=0).fit(X).sample(300)
    assert S.dtypes.tolist() == X.dtypes.tolist()
    assert S["c"].cat.categories.equals(X["c"].cat.categories) and set(S["c"].dropna()) <= {"hi", "lo"}
    assert S["b"].dtype == bool and S["b"].any() and not S["b"].all()
    assert S["levels"].cat.categories.tolist() == [1, 2, 3, 4] and set(S["levels"].dropna()) <= {1, 2, 3}
    assert S["flag"].isna().any() and S["k"].isna().any() and not S["x"].isna().any()


def test_rare_levels_come_back_as_fitted_levels():
    # Value protection pools rare categories; the engine's '_RARE_' placeholder is never a sampled value.
    rng = np.random.default_rng(0)
    n = 300
    c = np.where(rng.random(n) < 0.5, "common", "other").astype(object)
    c[:3] = ["rare1", "rare2", "rare3"]
    X = pd.DataFrame({"x": rng.normal(size=n), "c": pd.Series(c, dtype="str")})
    S = TabularARGNGenerator(**FAST, random_state=0).fit(X).sample(400)
    assert set(S["c"].dropna()) <= set(X["c"]) and "_RARE_" not in set(S["c"])


def test_fit_keeps_the_model_not_the_rows_and_pickles():
    X = _table()
    gen = TabularARGNGenerator(**FAST, random_state=0).fit(X)
    assert sorted(gen._model_files) == sorted(f for f in gen._model_files if f.startswith("ModelStore/"))
    assert 0 < gen.n_epochs_ <= 1.05 and {"epoch", "trn_loss", "val_loss"} <= set(gen.training_log_.columns)
    copy = pickle.loads(pickle.dumps(gen))
    pd.testing.assert_frame_equal(copy.sample(20, random_state=1), gen.sample(20, random_state=1))


def test_no_copy_of_the_rows_is_left_in_the_datasets_cache(tmp_path, monkeypatch):
    # the engine reads its encoded rows through Hugging Face datasets, which caches an Arrow copy of them
    from datasets import config

    monkeypatch.setattr(config, "HF_DATASETS_CACHE", tmp_path / "cache")
    TabularARGNGenerator(**FAST, random_state=0).fit(_table())
    assert config.HF_DATASETS_CACHE == tmp_path / "cache"
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.arrow"))


def test_epoch_budget_reaches_the_engine():
    X = _table()
    gen = TabularARGNGenerator(max_epochs=2, model="MOSTLY_AI/Small", random_state=0).fit(X)
    assert 1 < gen.n_epochs_ <= 2.05


def test_in_the_loop():
    from synthloop import RecursiveSynthesizer

    rs = RecursiveSynthesizer(TabularARGNGenerator(**FAST), n_generations=2, random_state=0).fit(_table(150))
    assert rs.history_["generation"].tolist() == [0, 1, 2]
    assert rs.sample(10).dtypes.tolist() == _table(5).dtypes.tolist()


def test_non_integer_weights_rejected():
    X = _table(50)
    with pytest.raises(ValueError, match=r"TabularARGN has no sample weights"):
        TabularARGNGenerator(**FAST).fit(X, sample_weight=np.full(50, 0.5))


@pytest.mark.parametrize("params, message", [
    ({"max_epochs": 0}, r"The 'max_epochs' parameter of TabularARGNGenerator must be a float in the range \(0\.0, inf\)"),
    ({"model": "small"}, r"The 'model' parameter of TabularARGNGenerator must be a str among"),
    ({"device": "gpu"}, r"The 'device' parameter of TabularARGNGenerator must be a str among"),
])
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        TabularARGNGenerator(**params).fit(_table(20))
