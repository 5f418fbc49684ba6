"""Write the tables of this README from the stored results.

    PYTHONPATH=. python experiments/advisor_validation/readme.py

The issue-8 table comes from ``results.csv`` (``run.py``'s ``table``), each
held-out round's from ``heldout_round<k>_results.csv`` (``heldout.py``'s
``table_text``); ``tests/test_readme_numbers.py`` checks the README against
them. The numbers in this README's prose are not yet written by a script (see
``UNMARKED_PROSE``).
"""

import hashlib
import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
READMES = {"experiment": HERE / "README.md"}
#: Why the test of unmarked numbers skips this README.
UNMARKED_PROSE = ("the prose of experiments/advisor_validation/README.md quotes measurements of earlier rounds "
                  "and code versions (commit 55f43c1, penguins_jumps.py, utility.py) that are not all stored; "
                  "only its tables are written from stored results")


def config_hash():
    """The hash run.py records with results.csv."""
    return hashlib.sha256((HERE / "config.toml").read_bytes()).hexdigest()[:12]


def numbers(frame, config):
    sys.path.insert(0, str(HERE))
    import heldout
    import run

    values = {"issue 8 result": "\n" + run.table(frame) + "\n"}
    text = READMES["experiment"].read_text(encoding="utf-8")
    for k in sorted(int(m) for m in re.findall(r"<!-- heldout round (\d+) -->", text)):
        values[f"heldout round {k}"] = "\n" + heldout.table_text(k) + "\n"
    return {"experiment": values}


def load():
    return pd.read_csv(HERE / "results.csv"), None


def main(argv=None):
    sys.path.insert(0, str(ROOT))
    from synthloop.study._readme import update_readme

    for key, values in numbers(*load()).items():
        print(f"{READMES[key]}: {'updated' if update_readme(READMES[key], values) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
