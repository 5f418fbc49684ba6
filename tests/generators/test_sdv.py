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


def _category_with_nan(n=300, seed=0):
    # SDV 2.0 alone: GaussianCopulaSynthesizer fails on such a column as object ("Range exceeds valid
    # bounds"), CTGAN and TVAE refuse it as category; the declared but unused category 'd' is refused too.
    rng = np.random.default_rng(seed)
    c = pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c", "d"])
    c[rng.random(n) < 0.2] = np.nan
    return pd.DataFrame({"x": rng.normal(size=n), "c": c})


def _real_table(name):
    from synthloop.datasets import load_adult, load_german_credit

    if name == "adult":  # 400 rows still hold missing workclass, occupation and native_country values
        return load_adult().frame.sample(400, random_state=0).reset_index(drop=True)
    if name == "german_credit":
        return load_german_credit().frame.sample(300, random_state=0).reset_index(drop=True)
    return _category_with_nan()


@pytest.mark.parametrize("synthesizer", ["gaussian_copula", "ctgan", "tvae"])
@pytest.mark.parametrize("table", ["adult", "german_credit", "category_with_nan"])
def test_fits_the_tables_the_copula_fits(table, synthesizer):
    X = _real_table(table)
    epochs = None if synthesizer == "gaussian_copula" else 1
    S = SDVGenerator(synthesizer, epochs=epochs, random_state=0).fit(X).sample(200)
    assert list(S.columns) == list(X.columns) and S.dtypes.tolist() == X.dtypes.tolist()
    for col in X.columns:
        assert S[col].notna().any(), col
        if isinstance(X[col].dtype, pd.CategoricalDtype):  # sampled levels are levels the table has
            assert set(S[col].dropna()) <= set(X[col].dropna()), col


def test_missing_category_cells_are_sampled():
    X = _category_with_nan(1000)
    S = SDVGenerator(random_state=0).fit(X).sample(1000)
    assert S["c"].isna().any() and S["c"].notna().any()


def test_strings_and_datetimes_round_trip_and_names_do_not_make_personal_data():
    # SDV reads a column named 'email' as personal data and would invent addresses; it is modelled.
    rng = np.random.default_rng(0)
    n = 200
    when = pd.Series(pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(rng.integers(0, 10**6, n), "s"))
    when[:10] = pd.NaT
    X = pd.DataFrame({"email": pd.Series(rng.choice(["a@x.org", "b@y.org"], n), dtype="str"), "when": when,
                      "user_id": rng.integers(0, 10**6, n)})
    for synthesizer, epochs in [("gaussian_copula", None), ("tvae", 1)]:
        gen = SDVGenerator(synthesizer, epochs=epochs, random_state=0).fit(X)
        sdtypes = {k: v["sdtype"] for k, v in gen.metadata_.to_dict()["tables"]["t"]["columns"].items()}
        assert sdtypes == {"email": "categorical", "when": "datetime", "user_id": "numerical"}
        S = gen.sample(100)
        assert S.dtypes.tolist() == X.dtypes.tolist()
        assert set(S["email"].dropna()) <= {"a@x.org", "b@y.org"} and S["email"].notna().any()
        observed = S["when"].dropna()
        assert len(observed) and observed.between(when.min(), when.max()).all()


def test_names_and_epochs_reach_the_synthesizer():
    X = _category_with_nan(100)
    gen = SDVGenerator("tvae", epochs=2, synthesizer_params={"batch_size": 50}, random_state=0).fit(X)
    assert type(gen.synthesizer_).__name__ == "TVAESynthesizer"
    assert (gen.synthesizer_.epochs, gen.synthesizer_.batch_size) == (2, 50)
    gen = SDVGenerator("CTGANSynthesizer", synthesizer_params={"epochs": 1}).fit(X)  # SDV's class names work too
    assert type(gen.synthesizer_).__name__ == "CTGANSynthesizer" and gen.synthesizer_.epochs == 1


@pytest.mark.parametrize("params, message", [
    ({"epochs": 5}, r"epochs=5 was given, but GaussianCopulaSynthesizer does not train in epochs; epochs is for "
                    r"the synthesizers \['ctgan', 'tvae', 'copulagan'\]"),
    ({"synthesizer": "ctgan", "epochs": 5, "synthesizer_params": {"epochs": 3}}, r"epochs is given twice"),
    ({"synthesizer": "ctgan", "synthesizer_params": {"epoch": 3}},
     r"synthesizer_params has \['epoch'\] which CTGANSynthesizer does not take \(did you mean 'epochs'\?\); "
     r"its parameters are \['enforce_min_max_values'"),
    ({"synthesizer_params": {"metadata": None}}, r"\(the metadata is detected from the table\)"),
    ({"synthesizer": "ctgan", "epochs": 0}, r"The 'epochs' parameter of SDVGenerator must be an int in the range "
                                            r"\[1, inf\) or None"),
])
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        SDVGenerator(**params).fit(_table(20))


def test_the_copula_samples_category_levels_at_their_frequencies():
    # SDV's copula given Adult's `race` as a pandas-3 category column samples it from the wrong levels
    # (experiments/generators_adult/sdv_category_probe.txt); as object strings, missing values a level,
    # it is faithful.
    from synthloop.datasets import load_adult

    X = load_adult().frame[["age", "race", "sex", "workclass"]]
    n = 20_000
    S = SDVGenerator(random_state=0).fit(X).sample(n, random_state=1)
    for col in ("race", "workclass"):
        real = X[col].value_counts(normalize=True, dropna=False)
        drawn = S[col].value_counts(normalize=True, dropna=False).reindex(real.index, fill_value=0.0)
        se = np.sqrt(real * (1 - real) / n)  # the marginals are the fitted frequencies: sampling error only
        assert (np.abs(drawn - real) <= 4 * se + 1e-12).all(), (col, (drawn - real) / se)


def test_a_level_named_like_the_missing_level_stays_a_level():
    rng = np.random.default_rng(0)
    values = rng.choice(["__synthloop_missing__", "a", None], 600, p=[0.3, 0.5, 0.2])
    X = pd.DataFrame({"c": pd.Categorical(values), "x": rng.normal(size=600)})
    S = SDVGenerator(random_state=0).fit(X).sample(2000, random_state=0)
    share = S["c"].value_counts(normalize=True, dropna=False)
    assert S["c"].isna().mean() > 0.1 and share["__synthloop_missing__"] > 0.2 and share["a"] > 0.4
