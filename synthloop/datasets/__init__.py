"""Real tabular datasets: bundled UCI tables and an offline OpenML loader.

``load_adult`` and ``load_german_credit`` read tables shipped inside the
package (see ``datasets/DATASHEET.md`` in the source tree for provenance and
licences); ``load_openml`` reads a dataset from an OpenML cache directory
without any network access (needs ``pip install synthloop[openml]``).
"""

from synthloop.datasets._bundled import list_datasets, load_adult, load_german_credit
from synthloop.datasets._openml import load_openml

__all__ = ["list_datasets", "load_adult", "load_german_credit", "load_openml"]
