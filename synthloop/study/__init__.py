"""Studies: grids of recursive-training runs, a resumable results store, reports.

A study is described by a TOML config (``experiments/<name>/config.toml``):
datasets × generators × schedules × pools × seeds (× generations) for real
tables, or the exact simulators of docs/theory.rst for the paper reproductions.
:func:`run_study` runs the missing cells into a results directory (one
Parquet file per cell, written atomically); :func:`make_report` draws an HTML
report from the stored results only.
"""

from ._bundled import REPRODUCTIONS, bundled_config_path, bundled_configs
from ._compare import compare_generators
from ..exceptions import ConfigError
from ._config import StudyConfig, load_config, smoke_config
from ._report import make_report
from ._run import StudyRunError, run_study
from ._store import StoreMismatchError, StoreWriteError, read_results

__all__ = [
    "REPRODUCTIONS",
    "ConfigError",
    "StoreMismatchError",
    "StoreWriteError",
    "StudyConfig",
    "StudyRunError",
    "bundled_config_path",
    "bundled_configs",
    "compare_generators",
    "load_config",
    "make_report",
    "read_results",
    "run_study",
    "smoke_config",
]
