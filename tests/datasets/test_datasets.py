"""Bundled tables (UCI Adult and German credit, Palmer penguins) and the offline OpenML loader."""

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthloop.datasets import list_datasets, load_adult, load_german_credit, load_openml, load_penguins

OPENML_CACHE = Path(__file__).resolve().parent.parent / "data" / "openml_cache"
ADULT_1590 = OPENML_CACHE / "org" / "openml" / "www" / "datasets" / "1590"

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]  # fmt: skip
ADULT_INT = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


# ---------------------------------------------------------------- Adult


@pytest.mark.parametrize(
    "split, n_rows, missing",
    [
        ("train", 32561, {"workclass": 1836, "occupation": 1843, "native_country": 583}),
        ("test", 16281, {"workclass": 963, "occupation": 966, "native_country": 274}),
        ("all", 48842, {"workclass": 2799, "occupation": 2809, "native_country": 857}),
    ],
)
def test_adult_shape_columns_and_missing(split, n_rows, missing):
    adult = load_adult(split=split)
    assert adult.frame.shape == (n_rows, 15)
    assert list(adult.frame.columns) == ADULT_COLUMNS
    assert adult.feature_names == ADULT_COLUMNS[:-1]
    assert adult.target_names == ["income"]
    assert adult.data.shape == (n_rows, 14)
    assert adult.target.shape == (n_rows,)
    counts = adult.frame.isna().sum()
    assert counts[counts > 0].to_dict() == missing
    assert adult.frame.index.equals(pd.RangeIndex(n_rows))


def test_adult_default_split_is_train():
    assert load_adult().frame.equals(load_adult(split="train").frame)


def test_adult_train_has_4262_missing_cells():
    assert int(load_adult().frame.isna().sum().sum()) == 4262


def test_adult_dtypes():
    frame = load_adult(split="all").frame
    for col in ADULT_COLUMNS:
        expected = "int64" if col in ADULT_INT else "category"
        assert str(frame[col].dtype) == expected, col
    assert sum(str(t) == "category" for t in frame.dtypes.iloc[:-1]) == 8


def test_adult_categories_sorted_unordered_and_shared_by_splits():
    train, test = load_adult(split="train").frame, load_adult(split="test").frame
    for col in train.select_dtypes("category"):
        cats = list(train[col].cat.categories)
        assert cats == sorted(cats), col
        assert not train[col].cat.ordered
        assert "?" not in cats
        assert list(test[col].cat.categories) == cats, col
    # Holand-Netherlands occurs in train only, yet is a category of test too.
    assert "Holand-Netherlands" in test["native_country"].cat.categories
    assert (test["native_country"] == "Holand-Netherlands").sum() == 0


def test_adult_target_labels_normalised():
    for split, counts in [("train", (24720, 7841)), ("test", (12435, 3846))]:
        y = load_adult(split=split).target
        assert list(y.cat.categories) == ["<=50K", ">50K"]
        assert y.isna().sum() == 0
        assert tuple(y.value_counts().sort_index()) == counts


def test_adult_first_rows_match_raw_files():
    train, test = load_adult(split="train").frame, load_adult(split="test").frame
    # adult.data line 1 and adult.test line 2 (after the junk line).
    assert train.iloc[0].tolist() == [
        39, "State-gov", 77516, "Bachelors", 13, "Never-married", "Adm-clerical",
        "Not-in-family", "White", "Male", 2174, 0, 40, "United-States", "<=50K",
    ]  # fmt: skip
    assert test.iloc[0].tolist() == [
        25, "Private", 226802, "11th", 7, "Never-married", "Machine-op-inspct",
        "Own-child", "Black", "Male", 0, 0, 40, "United-States", "<=50K",
    ]  # fmt: skip


def test_adult_all_is_train_then_test():
    all_, train, test = (load_adult(split=s).frame for s in ("all", "train", "test"))
    pd.testing.assert_frame_equal(all_.iloc[: len(train)], train)
    pd.testing.assert_frame_equal(all_.iloc[len(train) :].reset_index(drop=True), test)


def test_adult_return_X_y():
    X, y = load_adult(split="test", return_X_y=True)
    bunch = load_adult(split="test")
    pd.testing.assert_frame_equal(X, bunch.data)
    pd.testing.assert_series_equal(y, bunch.target)


def test_adult_as_frame_false_gives_object_arrays():
    bunch = load_adult(as_frame=False)
    assert bunch.frame is None
    assert isinstance(bunch.data, np.ndarray) and bunch.data.dtype == object
    assert bunch.data.shape == (32561, 14)
    assert bunch.target.dtype == object
    assert set(bunch.target) == {"<=50K", ">50K"}
    workclass = bunch.data[:, ADULT_COLUMNS.index("workclass")]
    assert sum(isinstance(v, float) and np.isnan(v) for v in workclass) == 1836
    assert bunch.data[0, 0] == 39


@pytest.mark.parametrize("split", ["validation", "Train", None, 0])
def test_adult_rejects_bad_split(split):
    msg = r"The 'split' parameter of load_adult must be one of 'train', 'test', 'all'\. Got"
    with pytest.raises(ValueError, match=msg):
        load_adult(split=split)


@pytest.mark.parametrize("loader", [load_adult, load_german_credit, load_penguins])
@pytest.mark.parametrize("param", ["as_frame", "return_X_y"])
def test_loaders_reject_non_bool_flags(loader, param):
    with pytest.raises(TypeError, match=rf"The '{param}' parameter of {loader.__name__} must be a bool"):
        loader(**{param: "yes"})


def test_loaders_take_keyword_arguments_only():
    with pytest.raises(TypeError):
        load_adult("test")
    with pytest.raises(TypeError):
        load_penguins(False)


# -------------------------------------------------------- German credit

GERMAN_INT = [
    "duration", "credit_amount", "installment_rate", "residence_since", "age",
    "existing_credits", "num_dependents",
]  # fmt: skip


def test_german_credit_shape_dtypes_and_target():
    german = load_german_credit()
    frame = german.frame
    assert frame.shape == (1000, 21)
    assert german.data.shape == (1000, 20)
    assert german.target_names == ["credit_risk"]
    assert frame.columns[0] == "checking_status" and frame.columns[-1] == "credit_risk"
    assert frame.isna().sum().sum() == 0
    for col in frame.columns:
        expected = "int64" if col in GERMAN_INT else "category"
        assert str(frame[col].dtype) == expected, col
    assert list(german.target.cat.categories) == ["bad", "good"]
    assert german.target.value_counts().to_dict() == {"good": 700, "bad": 300}


def test_german_credit_codes_are_decoded():
    frame = load_german_credit().frame
    for col in frame.select_dtypes("category"):
        cats = list(frame[col].cat.categories)
        assert cats == sorted(cats), col
        assert not any(c.startswith("A") and c[1:].isdigit() for c in cats), (col, cats)
    # german.data line 1: A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1
    first = frame.iloc[0]
    assert first["checking_status"] == "... < 0 DM"
    assert first["credit_history"] == "critical account/ other credits existing (not at this bank)"
    assert first["purpose"] == "radio/television"
    assert (first["duration"], first["credit_amount"], first["age"]) == (6, 1169, 67)
    assert first["personal_status_sex"] == "male : single"
    assert first["telephone"] == "yes" and first["foreign_worker"] == "yes"
    assert first["credit_risk"] == "good"
    assert set(frame["housing"].cat.categories) == {"rent", "own", "for free"}


def test_german_credit_as_frame_false_and_return_X_y():
    X, y = load_german_credit(as_frame=False, return_X_y=True)
    assert X.shape == (1000, 20) and X.dtype == object
    assert y.shape == (1000,) and set(y) == {"good", "bad"}


# ------------------------------------------------------ Palmer penguins

PENGUINS_COLUMNS = [
    "species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
    "body_mass_g", "sex", "year",
]  # fmt: skip
PENGUINS_FLOAT = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
PENGUINS_CATEGORIES = {
    "species": ["Adelie", "Chinstrap", "Gentoo"],
    "island": ["Biscoe", "Dream", "Torgersen"],
    "sex": ["female", "male"],
}


def test_penguins_shape_columns_and_target():
    penguins = load_penguins()
    frame = penguins.frame
    assert frame.shape == (344, 8)
    assert list(frame.columns) == PENGUINS_COLUMNS
    assert frame.index.equals(pd.RangeIndex(344))
    assert penguins.target_names == ["species"]
    assert penguins.feature_names == [c for c in PENGUINS_COLUMNS if c != "species"]
    assert penguins.data.shape == (344, 7)
    assert penguins.target.shape == (344,)
    pd.testing.assert_series_equal(penguins.target, frame["species"])
    assert penguins.target.value_counts().to_dict() == {"Adelie": 152, "Gentoo": 124, "Chinstrap": 68}
    assert "CC0" in penguins.DESCR and "10.5281/zenodo.3960218" in penguins.DESCR
    assert "10.1371/journal.pone.0090081" in penguins.DESCR


def test_penguins_dtypes_and_categories():
    frame = load_penguins().frame
    for col in PENGUINS_COLUMNS:
        expected = "category" if col in PENGUINS_CATEGORIES else "float64" if col in PENGUINS_FLOAT else "int64"
        assert str(frame[col].dtype) == expected, col
    for col, cats in PENGUINS_CATEGORIES.items():
        assert list(frame[col].cat.categories) == cats, col
        assert not frame[col].cat.ordered
    assert frame["island"].value_counts().to_dict() == {"Biscoe": 168, "Dream": 124, "Torgersen": 52}
    assert frame["sex"].value_counts().to_dict() == {"male": 168, "female": 165}
    assert frame["year"].value_counts().sort_index().to_dict() == {2007: 110, 2008: 114, 2009: 120}
    # Flipper length and body mass are whole numbers (float64 only for the NaNs).
    for col in ["flipper_length_mm", "body_mass_g"]:
        values = frame[col].dropna()
        assert (values == values.round()).all(), col


def test_penguins_missing_values_are_kept():
    frame = load_penguins().frame
    counts = frame.isna().sum()
    assert counts[counts > 0].to_dict() == {
        "bill_length_mm": 2, "bill_depth_mm": 2, "flipper_length_mm": 2, "body_mass_g": 2, "sex": 11,
    }  # fmt: skip
    assert int(counts.sum()) == 19
    assert int(frame.isna().any(axis=1).sum()) == 11
    # The two rows without any measurement (raw file lines 5 and 273).
    no_measure = frame.index[frame[PENGUINS_FLOAT].isna().all(axis=1)].tolist()
    assert no_measure == [3, 271]
    assert frame.loc[no_measure, "sex"].isna().all()
    assert frame[PENGUINS_FLOAT].isna().any(axis=1).sum() == 2


def test_penguins_values_match_the_raw_file():
    frame = load_penguins().frame
    # penguins.csv lines 2 and 345:
    # Adelie,Torgersen,39.1,18.7,181,3750,male,2007
    # Chinstrap,Dream,50.2,18.7,198,3775,female,2009
    assert frame.iloc[0].tolist() == ["Adelie", "Torgersen", 39.1, 18.7, 181.0, 3750.0, "male", 2007]
    assert frame.iloc[-1].tolist() == ["Chinstrap", "Dream", 50.2, 18.7, 198.0, 3775.0, "female", 2009]
    means = frame[PENGUINS_FLOAT].mean()
    np.testing.assert_allclose(means.to_numpy(), [43.92192982, 17.15116959, 200.91520468, 4201.75438596])
    assert (frame["bill_length_mm"].min(), frame["bill_length_mm"].max()) == (32.1, 59.6)
    assert (frame["body_mass_g"].min(), frame["body_mass_g"].max()) == (2700.0, 6300.0)


def test_penguins_return_X_y():
    X, y = load_penguins(return_X_y=True)
    bunch = load_penguins()
    pd.testing.assert_frame_equal(X, bunch.data)
    pd.testing.assert_series_equal(y, bunch.target)
    assert "species" not in X.columns and y.name == "species"


def test_penguins_as_frame_false_gives_object_arrays():
    bunch = load_penguins(as_frame=False)
    assert bunch.frame is None
    assert isinstance(bunch.data, np.ndarray) and bunch.data.dtype == object
    assert bunch.data.shape == (344, 7)
    assert bunch.target.dtype == object and bunch.target.shape == (344,)
    assert set(bunch.target) == {"Adelie", "Chinstrap", "Gentoo"}
    sex = bunch.data[:, bunch.feature_names.index("sex")]
    assert sum(isinstance(v, float) and np.isnan(v) for v in sex) == 11
    assert bunch.data[0].tolist() == ["Torgersen", 39.1, 18.7, 181.0, 3750.0, "male", 2007]
    X, y = load_penguins(as_frame=False, return_X_y=True)
    assert X.shape == (344, 7) and y.shape == (344,)


def test_penguins_fit_a_generator():
    from synthloop import GaussianCopulaGenerator

    frame = load_penguins().frame
    sample = GaussianCopulaGenerator(random_state=0).fit(frame).sample(100)
    assert sample.shape == (100, 8)
    assert list(sample.columns) == PENGUINS_COLUMNS
    assert set(sample["species"].dropna()) <= set(PENGUINS_CATEGORIES["species"])


# --------------------------------------------------------- list_datasets


def test_list_datasets_matches_loaders():
    table = list_datasets()
    assert list(table.columns) == ["name", "rows", "split", "split_rows", "columns", "target", "licence", "source"]
    assert table["name"].tolist() == ["adult", "german_credit", "penguins"]
    assert table["split"].tolist() == ["train", "all", "all"]
    loaders = {
        "adult": lambda: load_adult(split="all"),
        "german_credit": load_german_credit,
        "penguins": load_penguins,
    }
    defaults = {"adult": load_adult, "german_credit": load_german_credit, "penguins": load_penguins}
    for row in table.itertuples():
        bunch = loaders[row.name]()
        assert bunch.frame.shape == (row.rows, row.columns)
        assert defaults[row.name]().frame.shape == (row.split_rows, row.columns)  # what the loader returns
        assert bunch.target_names == [row.target]
        if row.name == "penguins":
            assert row.licence == "CC0 1.0"
            assert "palmerpenguins" in row.source and "10.5281/zenodo.3960218" in row.source
        else:
            assert row.licence == "CC BY 4.0"
            assert "UCI" in row.source


# ----------------------------------------------------------------- OpenML

def _refuse_network(monkeypatch):
    """Make every way openml reaches a server fail the test."""
    import openml._api_calls as api

    def refuse(*args, **kwargs):
        raise AssertionError(f"openml tried the network: {args!r}")

    for name in ["_send_request", "_download_minio_file", "_download_minio_bucket", "_perform_api_call"]:
        monkeypatch.setattr(api, name, refuse)


@pytest.fixture
def openml():
    return pytest.importorskip("openml")


@pytest.fixture
def no_network(openml, monkeypatch):
    _refuse_network(monkeypatch)


def _copy_cache(dest):
    # openml deletes a dataset's cache folder when get_dataset fails: never
    # point it at the shipped copy.
    shutil.copytree(OPENML_CACHE, dest)
    return dest


@pytest.fixture
def cache_copy(tmp_path):
    return _copy_cache(tmp_path / "openml_cache")


@pytest.fixture(scope="module")
def adult_1590(tmp_path_factory):
    """One offline load of OpenML 1590, shared by the read-only tests."""
    pytest.importorskip("openml")
    cache = _copy_cache(tmp_path_factory.mktemp("openml") / "cache")
    with pytest.MonkeyPatch.context() as mp:
        _refuse_network(mp)
        return load_openml(1590, cache_dir=cache), cache


def test_shipped_cache_holds_only_the_files_openml_downloads():
    assert sorted(p.name for p in ADULT_1590.iterdir()) == ["dataset.arff", "description.xml", "features.xml"]


def test_load_openml_adult_offline_matches_bundled(adult_1590):
    bunch, _ = adult_1590
    bundled = load_adult(split="all").frame
    assert bunch.frame.shape == bundled.shape == (48842, 15)
    assert bunch.target_names == ["class"]
    assert bunch.feature_names == list(bunch.frame.columns[:-1])
    assert bunch.DESCR.startswith("**Author**: Ronny Kohavi and Barry Becker")
    assert bunch.details["oml:name"] == "adult"
    # OpenML 1590 holds the UCI test rows first, then the train rows.
    names = dict(zip(bunch.frame.columns, ADULT_COLUMNS))
    got = bunch.frame.rename(columns=names)
    n_test = 16281
    expected = pd.concat([bundled.iloc[-n_test:], bundled.iloc[:-n_test]], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)


def test_load_openml_missing_counts_match_openml_features(adult_1590):
    import xmltodict

    features = xmltodict.parse((ADULT_1590 / "features.xml").read_text(), force_list=("oml:feature",))
    expected = {
        f["oml:name"]: int(f["oml:number_of_missing_values"])
        for f in features["oml:data_features"]["oml:feature"]
    }
    frame = adult_1590[0].frame
    assert frame.isna().sum().to_dict() == expected


def test_load_openml_second_load_uses_openml_pickle_and_restores_config(
    adult_1590, openml, no_network, tmp_path
):
    first, loaded_cache = adult_1590
    cache = tmp_path / "cache"
    shutil.copytree(loaded_cache, cache)
    server, root = openml.config.server, openml.config.get_config_as_dict()["cachedir"]
    did_dir = cache / ADULT_1590.relative_to(OPENML_CACHE)
    (did_dir / "dataset.arff").write_text("not read: openml loads its pickle\n")
    assert (did_dir / "dataset.pkl.py3").is_file()
    second = load_openml(1590, cache_dir=cache, target="sex", return_X_y=True)
    assert openml.config.server == server
    assert openml.config.get_config_as_dict()["cachedir"] == root
    X, y = second
    assert y.name == "sex" and "sex" not in X.columns and "class" in X.columns
    pd.testing.assert_series_equal(y, first.frame["sex"])


def test_load_openml_not_cached_names_id_and_folder(tmp_path, no_network):
    expected_dir = tmp_path / "org" / "openml" / "www" / "datasets" / "1590"
    with pytest.raises(FileNotFoundError, match=r"OpenML dataset 1590 is not in the offline cache") as info:
        load_openml(1590, cache_dir=tmp_path)
    assert str(expected_dir) in str(info.value)
    assert "never downloads" in str(info.value)


def test_load_openml_without_data_file_says_so(cache_copy, no_network):
    did_dir = cache_copy / ADULT_1590.relative_to(OPENML_CACHE)
    (did_dir / "dataset.arff").unlink()
    with pytest.raises(FileNotFoundError, match=r"OpenML dataset 1590 is only partly .* no data file"):
        load_openml(1590, cache_dir=cache_copy)
    assert (did_dir / "description.xml").is_file()  # nothing was deleted


def test_load_openml_rejects_a_description_of_another_dataset(cache_copy, no_network):
    src = cache_copy / ADULT_1590.relative_to(OPENML_CACHE)
    shutil.copytree(src, src.parent / "31")
    with pytest.raises(ValueError, match=r"describes OpenML dataset 1590, not 31"):
        load_openml(31, cache_dir=cache_copy)


def test_load_openml_unknown_target(adult_1590, no_network):
    with pytest.raises(ValueError, match=r"OpenML dataset 1590 has no column 'income'"):
        load_openml(1590, cache_dir=adult_1590[1], target="income")


@pytest.mark.parametrize(
    "data_id, error, match",
    [
        ("1590", TypeError, r"The 'data_id' parameter of load_openml must be an int\. Got '1590'"),
        (True, TypeError, r"The 'data_id' parameter of load_openml must be an int"),
        (0, ValueError, r"must be an int in the range \[1, inf\)\. Got 0 instead"),
    ],
)
def test_load_openml_validates_data_id(data_id, error, match, tmp_path, openml):
    with pytest.raises(error, match=match):
        load_openml(data_id, cache_dir=tmp_path)


def test_load_openml_without_openml_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "openml", None)
    with pytest.raises(ImportError, match=r"pip install synthloop\[openml\]"):
        load_openml(1590, cache_dir=tmp_path)


def _add_parquet_url(did_dir):
    description = did_dir / "description.xml"
    text = description.read_text(encoding="utf8")
    url = "  <oml:parquet_url>https://example.invalid/dataset_1590.pq</oml:parquet_url>\n"
    description.write_text(text.replace("  <oml:file_id>", url + "  <oml:file_id>"), encoding="utf8")


def test_load_openml_with_parquet_url_but_only_arff_does_not_fetch_parquet(
    cache_copy, no_network, adult_1590
):
    did_dir = cache_copy / ADULT_1590.relative_to(OPENML_CACHE)
    _add_parquet_url(did_dir)
    before = os.environ.get("OPENML_SKIP_PARQUET")
    bunch = load_openml(1590, cache_dir=cache_copy)
    pd.testing.assert_frame_equal(bunch.frame, adult_1590[0].frame)
    assert not (did_dir / "dataset_1590.pq").exists()
    assert os.environ.get("OPENML_SKIP_PARQUET") == before  # restored


def test_load_openml_reads_a_cached_parquet_file(cache_copy, no_network, adult_1590):
    pytest.importorskip("pyarrow")
    did_dir = cache_copy / ADULT_1590.relative_to(OPENML_CACHE)
    _add_parquet_url(did_dir)
    (did_dir / "dataset.arff").unlink()
    adult_1590[0].frame.to_parquet(did_dir / "dataset_1590.pq")
    bunch = load_openml(1590, cache_dir=cache_copy)
    pd.testing.assert_frame_equal(bunch.frame, adult_1590[0].frame)
