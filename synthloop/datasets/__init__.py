"""Real tabular datasets: bundled tables and an offline OpenML loader.

``load_adult``, ``load_german_credit`` and ``load_penguins`` read tables
shipped inside the package (see ``datasets/DATASHEET.md`` in the source tree
for provenance and licences); ``load_openml`` reads a dataset from an OpenML
cache directory without any network access (needs ``pip install
synthloop[openml]``); ``ngram_table`` turns text into next-token rows.
"""

from synthloop.datasets._bundled import list_datasets, load_adult, load_german_credit, load_penguins
from synthloop.datasets._openml import load_openml
from synthloop.datasets._read import BUNDLED, read_table
from synthloop.datasets._text import END, START, ngram_table, tokenize

__all__ = ["BUNDLED", "END", "START", "list_datasets", "load_adult", "load_german_credit", "load_openml",
           "load_penguins", "ngram_table", "read_table", "tokenize"]
