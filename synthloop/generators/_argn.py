"""TabularARGNGenerator: MOSTLY AI's TabularARGN (``mostlyai-engine``) behind synthloop's contract."""

import contextlib
import os
import random
import tempfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd

from .._table import ALL_KINDS, encode_sampled_column, repeat_by_weight
from ..base import BaseGenerator
from ..utils._sklearn_compat import Interval, StrOptions

__all__ = ["TabularARGNGenerator"]

_INSTALL = ("pip install torch==2.13.0 && pip install 'synthloop[argn]' && pip uninstall -y torchvision "
            "(install the pinned CPU torch first; the engine does not need torchvision, whose wheel fails to "
            "import beside it)")
#: The environment variable the engine's set_random_state writes and its worker processes read.
_SEED_ENV = "MOSTLYAI_ENGINE_SEED"
#: The engine's wall-clock cap on training (minutes), left at its default of 10 days so that the epoch
#: budget alone stops training: a time budget stops at a different step on every run and machine.
_NO_TIME_LIMIT = 14400.0
#: The model files generation reads; the workspace's copies of the training rows are not kept.
_MODEL_FILES = ("ModelStore/model-data/model-configs.json", "ModelStore/model-data/model-weights.pt",
                "ModelStore/model-data/progress-messages.csv", "ModelStore/tgt-stats/stats.json")
_NUMERIC_ENCODING = {"float": "TABULAR_NUMERIC_AUTO", "int": "TABULAR_NUMERIC_AUTO", "datetime": "TABULAR_DATETIME"}


def _import_engine(owner):
    try:
        import torch
        from mostlyai import engine
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"{owner} needs the optional package mostlyai-engine (the extra 'argn'), which is not "
                          f"installed: {_INSTALL}.") from exc
    return engine, torch


@contextlib.contextmanager
def _scoped_engine_seed(engine, torch, seed):
    """Run a block with every global generator the engine reads seeded from ``seed``, then restore them all.

    The engine has no seed of its own at sampling time and seeds at fit time
    by writing global state (``mostlyai.engine.set_random_state``): Python's
    ``random``, numpy's and torch's global generators (CUDA's too) and the
    environment variable its worker processes read. Each is saved before the
    block, seeded by the engine's own function, and put back after, so the
    caller's state is the same before and after (not thread-safe).
    """
    py_state, np_state, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    env = os.environ.get(_SEED_ENV)
    try:
        engine.set_random_state(int(seed))
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)
        if env is None:
            os.environ.pop(_SEED_ENV, None)
        else:
            os.environ[_SEED_ENV] = env


@contextlib.contextmanager
def _datasets_cache_in(path):
    """Run a block with Hugging Face datasets' cache in ``path``, then put the cache directory back.

    The engine reads its encoded training rows through ``datasets.load_dataset``,
    which keeps an Arrow copy of them in its cache (``~/.cache/huggingface/datasets``)
    after the fit; in the workspace, the copy is deleted with it.
    """
    try:
        from datasets import config
    except ImportError:  # pragma: no cover - the engine requires datasets
        yield
        return
    saved = config.HF_DATASETS_CACHE
    config.HF_DATASETS_CACHE = Path(path)
    try:
        yield
    finally:
        config.HF_DATASETS_CACHE = saved


class TabularARGNGenerator(BaseGenerator):
    """MOSTLY AI's TabularARGN as a synthloop generator, trained for a fixed number of epochs.

    TabularARGN (``mostlyai-engine``, Apache-2.0) is an autoregressive
    network over a table's columns. This adapter fits and samples it on
    every column kind synthloop's copula models (numbers, nullable integers,
    datetimes, booleans, categories, strings, with missing values), returns
    the fitted dtypes, takes a real ``random_state`` and leaves no global
    random state changed, so it runs in a
    :class:`~synthloop.RecursiveSynthesizer` loop and in a study beside
    synthloop's own generators. Needs the extra ``argn`` (about 2 GB:
    ``pip install torch==2.13.0 && pip install 'synthloop[argn]' && pip
    uninstall -y torchvision``; torch pinned first, see
    :doc:`/generators_argn`).

    Parameters
    ----------
    max_epochs : float, default=100.0
        The epoch budget: training stops after this many epochs (the engine's
        default), or earlier when the loss on the engine's validation rows
        (a random 20% of the fitted rows) has not improved for 4 epochs. The
        engine's wall-clock cap (``max_training_time``) is not a parameter:
        a time budget stops training at a different step on every run and
        machine, so it is not reproducible; it is left at the engine's 10
        days.
    model : {"MOSTLY_AI/Small", "MOSTLY_AI/Medium", "MOSTLY_AI/Large"}, default="MOSTLY_AI/Medium"
        The size of the network (the engine's default is Medium).
    batch_size : int or None, default=None
        Training batch size; None lets the engine choose from the table's size.
    value_protection : bool, default=True
        The engine's protection of rare values: rare categories are pooled and
        extreme numbers clipped to quantiles before training, so the model
        cannot reproduce them. A pooled category is sampled as one of the
        column's other fitted levels (never as the engine's ``_RARE_``
        placeholder, which is not a fitted level).
    device : {"cpu", "cuda"}, default="cpu"
        Where to train and sample. Seeded runs on the CPU repeat bit for bit
        (with the same torch thread count); on a GPU they need not.
    random_state : int, RandomState instance or None, default=None
        Seeds fitting and sampling (see Notes).

    Attributes
    ----------
    n_epochs_ : float
        The epochs training ran (fewer than ``max_epochs`` after early stopping).
    training_log_ : pandas.DataFrame
        The engine's progress messages: epoch, steps, training and validation
        loss, seconds.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    dtypes_ : pandas.Series
    random_state_ : numpy.random.Generator

    Notes
    -----
    **Seeds.** The engine's own ``TabularARGN(random_state=...)`` seeds at fit
    by writing Python's ``random``, numpy's and torch's global generators
    and the environment variable ``MOSTLYAI_ENGINE_SEED``, and its
    ``sample()`` takes no seed: it draws from whatever those generators hold.
    Here every fit runs with a seed spawned from ``random_state``, and every
    :meth:`sample` with a fresh seed drawn from the generator's stream (or
    from ``sample``'s own ``random_state``, which then repeats exactly): the
    engine's ``set_random_state`` is called with it, and all four states are
    saved before and restored after, so the caller's global state is
    unchanged. Two fits with the same ``random_state`` give the same model
    and the same samples on the same machine and torch thread count
    (floating-point sums over threads may differ between thread counts).

    **Dtypes.** The engine returns ``string`` for categories and the strings
    ``'True'``/``'False'`` for booleans, ``Int64`` for integers and naive
    datetimes. Discrete columns are handed to it as the string labels of
    their fitted levels and mapped back to the levels; numbers and datetimes
    (in UTC for time-zone-aware ones) come back in the fitted dtypes,
    integers rounded and clipped to the fitted range. Columns are handed to
    the engine under positional names, so any column names work.

    **Streaming and weights.** The engine cannot update a fit:
    :meth:`partial_fit` keeps every chunk and retrains on all rows after
    each chunk. There are no sample weights: integer weights repeat rows;
    other weights are rejected.

    **What is kept.** The engine trains in a temporary workspace, which holds
    copies of the training rows (and Hugging Face datasets' cache of them,
    which would otherwise stay in ``~/.cache/huggingface``); of it only the
    model's files (weights, configuration, column statistics) are kept, in
    memory, and the workspace is deleted, so the fitted generator pickles and samples anywhere (the
    fitted rows stay in the generator for :meth:`partial_fit`, as in
    :class:`~synthloop.SDVGenerator`). The tests need the engine
    and do not run in ``make test``; run them with
    ``/work/venv-argn/bin/python -m pytest tests/generators/test_argn.py``
    (any environment with the extra installed).

    Examples
    --------
    >>> from synthloop import TabularARGNGenerator
    >>> from synthloop.datasets import load_adult
    >>> X = load_adult().frame.sample(500, random_state=0)
    >>> gen = TabularARGNGenerator(max_epochs=1, random_state=0).fit(X)  # doctest: +SKIP
    >>> gen.sample(5).dtypes.equals(X.dtypes)  # doctest: +SKIP
    True
    >>> TabularARGNGenerator(max_epochs=5, model="MOSTLY_AI/Small")
    TabularARGNGenerator(max_epochs=5, model='MOSTLY_AI/Small')
    """

    _supported_kinds = ALL_KINDS
    _allow_missing = True

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "max_epochs": [Interval(Real, 0, None, closed="neither")],
        "model": [StrOptions({"MOSTLY_AI/Small", "MOSTLY_AI/Medium", "MOSTLY_AI/Large"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "value_protection": ["boolean"],
        "device": [StrOptions({"cpu", "cuda"})],
    }

    def __init__(self, *, max_epochs=100.0, model="MOSTLY_AI/Medium", batch_size=None, value_protection=True,
                 device="cpu", random_state=None):
        self.max_epochs = max_epochs
        self.model = model
        self.batch_size = batch_size
        self.value_protection = value_protection
        self.device = device
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _reset_statistics(self, table):
        _import_engine(type(self).__name__)
        self._chunks = []
        self._fit_seed = int(self.random_state_.spawn(1)[0].integers(2**31 - 1))
        self._labels = {spec.name: _level_labels(spec.levels) for spec in self.schema_.columns
                        if spec.levels is not None}

    def _update_statistics(self, table, sample_weight):
        frame = self._to_frame(table.columns, table.n_rows)
        self._chunks.append(repeat_by_weight(frame, sample_weight, owner=type(self).__name__,
                                             why="TabularARGN has no sample weights"))

    def _finalize(self):
        engine, torch = _import_engine(type(self).__name__)
        data = pd.concat(self._chunks, ignore_index=True) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks = [data]
        encodings = {self._engine_name(j): _NUMERIC_ENCODING.get(spec.kind, "TABULAR_CATEGORICAL")
                     for j, spec in enumerate(self.schema_.columns)}
        with tempfile.TemporaryDirectory(prefix="synthloop_argn_") as ws, \
                _scoped_engine_seed(engine, torch, self._fit_seed), _datasets_cache_in(Path(ws) / "datasets-cache"):
            engine.split(tgt_data=data, tgt_encoding_types=encodings, model_type="TABULAR", workspace_dir=ws)
            engine.analyze(value_protection=self.value_protection, workspace_dir=ws)
            engine.encode(workspace_dir=ws)
            engine.train(model=self.model, max_epochs=float(self.max_epochs), max_training_time=_NO_TIME_LIMIT,
                         batch_size=self.batch_size, device=self.device, workspace_dir=ws)
            self._model_files = {name: (Path(ws) / name).read_bytes() for name in _MODEL_FILES}
            self.training_log_ = pd.read_csv(Path(ws) / "ModelStore/model-data/progress-messages.csv")
        self.n_epochs_ = float(self.training_log_["epoch"].max())

    # --------------------------------------------------------------- sample
    def _sample_encoded(self, n_samples, rng):
        engine, torch = _import_engine(type(self).__name__)
        seed = int(rng.integers(2**31 - 1))
        with tempfile.TemporaryDirectory(prefix="synthloop_argn_") as ws, _scoped_engine_seed(engine, torch, seed):
            for name, content in self._model_files.items():
                path = Path(ws) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            # "SAMPLE": a pooled rare category becomes one of the column's fitted levels, not "_RARE_".
            engine.generate(sample_size=n_samples, rare_category_replacement_method="SAMPLE", device=self.device,
                            workspace_dir=ws)
            parts = sorted((Path(ws) / "SyntheticData").glob("*.parquet"))
            frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return self._encode(frame)

    def _fitted_params(self):
        return {"n_rows": float(len(self._chunks[0])), "n_epochs": self.n_epochs_}

    # ----------------------------------------------------------------- frames
    @staticmethod
    def _engine_name(j):
        return f"c{j}"

    def _to_frame(self, columns, n_rows):
        """The engine's table: positional names, discrete columns as their level labels, datetimes naive UTC."""
        decoded = self.schema_.decode(columns, n_rows)
        out = {}
        for j, spec in enumerate(self.schema_.columns):
            name = self._engine_name(j)
            if spec.levels is not None:
                codes = np.asarray(columns[spec.name], dtype=np.int64)
                labels = np.asarray(self._labels[spec.name], dtype=object)
                out[name] = pd.Series(np.where(codes >= 0, labels[np.maximum(codes, 0)], None), dtype=object)
                continue
            col = decoded[spec.name] if isinstance(decoded, pd.DataFrame) else pd.Series(decoded[:, j])
            col = pd.Series(col).reset_index(drop=True)
            if spec.kind == "datetime" and isinstance(spec.dtype, pd.DatetimeTZDtype):
                col = col.dt.tz_convert("UTC").dt.tz_localize(None)
            out[name] = col
        return pd.DataFrame(out)

    def _encode(self, frame):
        return {spec.name: encode_sampled_column(frame[self._engine_name(j)], spec,
                                                 labels=self._labels.get(spec.name),
                                                 owner=type(self).__name__, model="TabularARGN")
                for j, spec in enumerate(self.schema_.columns)}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # bitwise repeats hold on one machine and thread count only (see Notes)
        tags.non_deterministic = True
        return tags


def _level_labels(levels):
    """The strings the engine sees for a column's levels: their text, or positions if two texts coincide."""
    labels = [str(level) for level in levels]
    if len(set(labels)) < len(labels):
        return [f"level_{i}" for i in range(len(labels))]
    return labels
