"""The results store: one Parquet file per finished cell, written atomically.

Layout of a results directory::

    study.json          config hash, name, kind, the validated config, versions
    config.toml         the config text as given
    cells/<cell>.parquet

Every file is written to a temporary file in the same directory and moved into
place with :func:`os.replace`, so a killed run leaves whole files only; the
temporary files it may leave are ignored (and cleaned up on the next run).
"""

from __future__ import annotations

import errno
import json
import os
import platform
from pathlib import Path

import pandas as pd

from ..utils._optional import import_optional

__all__ = ["ResultsStore", "StoreMismatchError", "StoreWriteError", "package_versions", "read_results"]

_TMP = ".tmp-"


class StoreMismatchError(ValueError):
    """The results directory belongs to a different config (refuse to mix)."""


class StoreWriteError(OSError):
    """A cell could not be written (disk full, permissions); stored cells are intact."""


def package_versions():
    """Versions recorded with every cell: Python and the packages results depend on."""
    import numpy
    import scipy
    import sklearn

    import synthloop

    return {"synthloop": synthloop.__version__, "python": platform.python_version(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "pandas": pd.__version__, "scikit_learn": sklearn.__version__}


def _write_bytes_atomic(path, data):
    tmp = path.with_name(f"{_TMP}{os.getpid()}-{path.name}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_parquet(frame, path):
    """Write ``frame`` to ``path`` atomically (temporary file in the same directory, then rename)."""
    tmp = path.with_name(f"{_TMP}{os.getpid()}-{path.name}")
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class ResultsStore:
    """A results directory bound to one config (by its hash).

    Parameters
    ----------
    path : str or Path
    config : StudyConfig or None
        To open the store for writing: the directory is created, or checked
        to hold results of the same config hash. None opens an existing store
        read-only.

    Raises
    ------
    StoreMismatchError
        The directory holds results of another config, or is not empty and
        not a results directory.
    FileNotFoundError
        Read-only open of a directory that is not a results store.
    """

    def __init__(self, path, config=None):
        # Before any cell runs: the store is Parquet files.
        import_optional("pyarrow", owner="the results store of a study (one Parquet file per cell)", extra="study")
        self.path = Path(path)
        self.cells_dir = self.path / "cells"
        meta_file = self.path / "study.json"
        if config is None:
            if not meta_file.is_file():
                raise FileNotFoundError(
                    f"{str(self.path)!r} is not a synthloop results directory (no study.json); "
                    "give the --out directory of a `synthloop run`."
                )
            self.meta = json.loads(meta_file.read_text(encoding="utf-8"))
            return
        if meta_file.is_file():
            self.meta = json.loads(meta_file.read_text(encoding="utf-8"))
            if self.meta.get("config_hash") != config.hash:
                raise StoreMismatchError(
                    f"results directory {str(self.path)!r} holds study {self.meta.get('name')!r} with config hash "
                    f"{self.meta.get('config_hash')}, but this config ({config.name!r}) hashes to {config.hash}; "
                    "refusing to mix results of different configs. Use another output directory "
                    "(--out) or delete this one."
                )
        else:
            if self.path.exists() and any(p.name != "cells" for p in self.path.iterdir()):
                raise StoreMismatchError(
                    f"output directory {str(self.path)!r} is not empty and holds no study.json; "
                    "refusing to write results into it. Choose an empty or new directory."
                )
            self.cells_dir.mkdir(parents=True, exist_ok=True)
            self.meta = {"config_hash": config.hash, "name": config.name, "kind": config.kind,
                         "config": config.data, "source": config.source, "versions": package_versions()}
            try:
                if config.text:
                    _write_bytes_atomic(self.path / "config.toml", config.text.encode())
                _write_bytes_atomic(meta_file, json.dumps(self.meta, indent=2, sort_keys=True).encode())
            except OSError as exc:
                raise StoreWriteError(exc.errno, f"cannot create the results store in {str(self.path)!r}: "
                                                 f"{exc.strerror or exc}") from exc
        self.cells_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.cells_dir.glob(f"{_TMP}*"):  # left by a killed run
            stale.unlink(missing_ok=True)

    @property
    def config_hash(self):
        return self.meta["config_hash"]

    def cell_path(self, cell_id):
        return self.cells_dir / f"{cell_id}.parquet"

    def done(self):
        """Ids of the finished cells."""
        return {p.stem for p in self.cells_dir.glob("*.parquet") if not p.name.startswith(_TMP)}

    def write(self, cell_id, frame):
        """Store one finished cell atomically.

        Raises
        ------
        StoreWriteError
            The write failed (e.g. ``ENOSPC``); no partial file is left and
            the cells already stored are untouched.
        """
        try:
            _write_parquet(frame, self.cell_path(cell_id))
        except OSError as exc:
            why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            raise StoreWriteError(
                exc.errno, f"could not write cell {cell_id!r} to {str(self.cells_dir)!r}: {why}. The "
                f"{len(self.done())} cells already stored are intact; free space and rerun (finished cells "
                "are kept and skipped)."
            ) from exc

    def read(self):
        """All stored cells as one DataFrame (empty if none)."""
        files = sorted(p for p in self.cells_dir.glob("*.parquet") if not p.name.startswith(_TMP))
        if not files:
            return pd.DataFrame()
        frames = [pd.read_parquet(p) for p in files]
        return pd.concat(frames, ignore_index=True)


def read_results(out_dir):
    """Read the stored results of a study.

    Parameters
    ----------
    out_dir : str or Path
        A results directory written by :func:`run_study`.

    Returns
    -------
    results : DataFrame
        Every stored cell's rows (one row per cell and generation), with the
        ``config_hash`` and package versions recorded on each.
    meta : dict
        ``config_hash``, ``name``, ``kind``, ``config`` and ``versions``.

    Examples
    --------
    >>> import tempfile
    >>> from synthloop.study import load_config, read_results, run_study
    >>> cfg = {"name": "demo", "kind": "gaussian", "seeds": [0], "n0": 100, "n_reps": 200,
    ...        "generations": [5], "schedules": ["constant"], "ddofs": [1]}
    >>> out = tempfile.mkdtemp()
    >>> _ = run_study(cfg, out, progress=False)
    >>> results, meta = read_results(out)
    >>> meta["name"], results["generation"].tolist()
    ('demo', [5])
    """
    store = ResultsStore(out_dir)
    return store.read(), store.meta
