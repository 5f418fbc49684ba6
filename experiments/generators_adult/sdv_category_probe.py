"""SDV 2.0's GaussianCopulaSynthesizer alone on four Adult columns: a pandas-3 category column against object strings.

    PYTHONPATH=. python experiments/generators_adult/sdv_category_probe.py   # writes sdv_category_probe.txt

Why SDVGenerator hands category columns to SDV as object strings with missing values as a level of
their own: given ``race`` as a ``category`` column under pandas 3, SDV's copula samples it from the
wrong levels. Shares of the three most frequent levels of ``race`` and the missing share of
``workclass``, in the table and in 20,000 sampled rows of each way.
"""

import warnings
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
MISSING = "__synthloop_missing__"


def shares(frame):
    race = frame["race"].value_counts(normalize=True).head(3).round(3).to_dict()
    workclass = frame["workclass"].astype(object)
    missing = float(workclass.isna().mean() + (workclass == MISSING).mean())
    return f"race {race}, workclass missing {missing:.3f}"


def sample(data, seed=0):
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({"t": data}, infer_keys=None))
        synth.fit({"t": data})
        synth._set_random_state(seed)
        out = synth.sample(20_000)
    return out["t"] if isinstance(out, dict) else out


def main():
    import sdv

    from synthloop.datasets import load_adult

    X = load_adult().frame[["age", "race", "sex", "workclass"]]
    strings = X.astype({c: object for c in ("race", "sex", "workclass")})
    strings["workclass"] = strings["workclass"].where(strings["workclass"].notna(), MISSING)
    lines = [f"SDV {sdv.__version__}, pandas {pd.__version__}; UCI Adult train split, {len(X):,} rows",
             f"table:                               {shares(X)}",
             f"SDV copula, category columns:        {shares(sample(X))}",
             f"SDV copula, object, missing a level: {shares(sample(strings))}"]
    (HERE / "sdv_category_probe.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
