"""SDVGenerator: any SDV 2.x single-table synthesizer behind synthloop's contract."""

import contextlib
import warnings

import numpy as np
import pandas as pd

from ..base import BaseGenerator
from ..utils._sklearn_compat import StrOptions

__all__ = ["SDVGenerator"]

_SYNTHESIZERS = {"GaussianCopulaSynthesizer", "CTGANSynthesizer", "TVAESynthesizer", "CopulaGANSynthesizer"}
_INSTALL = "pip install torch==2.13.0 sdv==2.0.0 sdmetrics==0.32.0 && pip install 'pandas>=3.0,<3.2'"


def _import_sdv(owner):
    try:
        import sdv.single_table as single_table
        from sdv.metadata import Metadata
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{owner} needs the optional SDV package (BUSL-1.1 licensed), which is not installed: "
            f"`{_INSTALL}` (install the pinned CPU torch first)."
        ) from exc
    return single_table, Metadata


@contextlib.contextmanager
def _scoped_global_rngs(seed):
    """Run a block with numpy's and torch's global generators seeded, then restore them.

    SDV builds its neural models inside ``fit`` with no seed, so they draw
    from the global generators. This is the save / set / restore pattern that
    SDV's own dependencies (copulas, ctgan, rdt) use around every random call:
    the caller's global state is the same before and after (not thread-safe,
    as theirs).
    """
    np_state = np.random.get_state()
    np.random.set_state(np.random.RandomState(seed).get_state())
    torch = None
    try:
        import torch
    except ImportError:  # pragma: no cover
        pass
    torch_state = torch.get_rng_state() if torch is not None else None
    if torch is not None:
        torch.set_rng_state(torch.Generator().manual_seed(int(seed)).get_state())
    try:
        yield
    finally:
        np.random.set_state(np_state)
        if torch is not None:
            torch.set_rng_state(torch_state)


class SDVGenerator(BaseGenerator):
    """An SDV 2.x single-table synthesizer as a synthloop generator.

    Wraps ``GaussianCopulaSynthesizer``, ``CTGANSynthesizer``,
    ``TVAESynthesizer`` or ``CopulaGANSynthesizer`` so they fit and sample
    DataFrames with the fitted dtypes, take a real ``random_state`` and run in
    a :class:`~synthloop.RecursiveSynthesizer` loop beside synthloop's own
    generators. Needs the optional ``sdv`` extra, which is BUSL-1.1 licensed
    (source-available, not open source; read its terms before commercial use):
    ``pip install torch==2.13.0 sdv==2.0.0 sdmetrics==0.32.0 && pip install 'pandas>=3.0,<3.2'`` (SDV 2.0 declares ``pandas<3``; synthloop needs pandas 3, on which SDV's synthesizers run in our tests, so SDV is installed beside it rather than as an extra).

    Parameters
    ----------
    synthesizer : str, default="GaussianCopulaSynthesizer"
        Name of the SDV single-table synthesizer class.
    synthesizer_params : dict or None, default=None
        Keyword arguments for the synthesizer, e.g.
        ``{"default_distribution": "norm"}`` or ``{"epochs": 10}``. A dict
        rather than ``**kwargs`` because scikit-learn's ``get_params`` /
        ``clone`` need every parameter named in ``__init__``.
    random_state : int, RandomState instance or None, default=None
        Seeds fitting and sampling (see Notes).

    Attributes
    ----------
    synthesizer_ : sdv.single_table.BaseSingleTableSynthesizer
        The fitted SDV synthesizer.
    metadata_ : sdv.metadata.Metadata
        The metadata detected from the fitted table (no keys inferred, so
        every column is modelled).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    dtypes_ : pandas.Series
    random_state_ : numpy.random.Generator

    Notes
    -----
    **Seeds.** SDV has no public seed: after every fit it reuses the fixed
    seed 73251, so two fits, or a fit and a refit, sample the same noise.
    Here every call gets its own stream derived from ``random_state``: the
    fit runs with a seed spawned from it (numpy's and torch's global
    generators are seeded for the duration of the fit and restored after, as
    SDV's dependencies do internally; the caller's global state is
    unchanged), and every :meth:`sample` draws a fresh seed from the
    generator's stream and hands it to the synthesizer's ``_set_random_state``
    (the model's generators) and to each RDT transformer's
    ``reverse_transform`` generator. ``sample(n, random_state=s)`` repeats
    exactly. RDT's preprocessing noise at fit time is seeded by SDV from a
    hash of the data, so it is the same for fits of the same table.

    **Streaming and weights.** SDV cannot update a fit: :meth:`partial_fit`
    keeps every chunk and refits on all rows after each chunk (memory and
    time grow with the data). SDV has no sample weights: integer weights
    repeat rows; other weights are rejected.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop import SDVGenerator
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=200), "c": pd.Categorical(rng.choice(["a", "b"], 200))})
    >>> gen = SDVGenerator(synthesizer_params={"default_distribution": "norm"}, random_state=0)
    >>> S = gen.fit(X).sample(5)  # doctest: +SKIP
    >>> S.dtypes.tolist() == X.dtypes.tolist()  # doctest: +SKIP
    True
    """

    _supported_kinds = frozenset({"float", "int", "bool", "category"})
    _allow_missing = True

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "synthesizer": [StrOptions(_SYNTHESIZERS)],
        "synthesizer_params": [dict, None],
    }

    def __init__(self, synthesizer="GaussianCopulaSynthesizer", synthesizer_params=None, random_state=None):
        self.synthesizer = synthesizer
        self.synthesizer_params = synthesizer_params
        self.random_state = random_state

    def _reset_statistics(self, table):
        _import_sdv(type(self).__name__)
        self._chunks = []
        self._fit_seed = int(self.random_state_.spawn(1)[0].integers(2**31 - 1))

    def _update_statistics(self, table, sample_weight):
        frame = self._to_frame(table.columns, table.n_rows)
        if sample_weight is not None:
            reps = np.rint(sample_weight)
            if not np.allclose(reps, sample_weight):
                raise ValueError(
                    f"{type(self).__name__}: SDV synthesizers have no sample weights; only integer "
                    "weights are supported (they repeat rows). Round or resample the weights."
                )
            frame = frame.loc[frame.index.repeat(reps.astype(np.int64))].reset_index(drop=True)
        self._chunks.append(frame)

    def _finalize(self):
        single_table, Metadata = _import_sdv(type(self).__name__)
        data = pd.concat(self._chunks, ignore_index=True) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks = [data]
        self.metadata_ = Metadata.detect_from_dataframes({"t": data}, infer_keys=None)
        cls = getattr(single_table, self.synthesizer)
        with _scoped_global_rngs(self._fit_seed), warnings.catch_warnings():
            # SDV asks to save detected metadata to JSON; it is kept in metadata_.
            warnings.filterwarnings("ignore", message=".*save_to_json.*", category=UserWarning)
            self.synthesizer_ = cls(self.metadata_, **(self.synthesizer_params or {}))
            self.synthesizer_.fit({"t": data})

    def _sample_encoded(self, n_samples, rng):
        seed = int(rng.integers(2**31 - 1))
        synth = self.synthesizer_
        synth._set_random_state(seed)
        processor = getattr(synth, "_data_processor", None)
        hyper = getattr(processor, "_hyper_transformer", None)
        transformers = [t for t in getattr(hyper, "field_transformers", {}).values() if t is not None]
        for child, transformer in zip(np.random.SeedSequence(seed).spawn(len(transformers)), transformers):
            transformer.set_random_state(np.random.RandomState(child.generate_state(1)[0]), "reverse_transform")
        out = synth.sample(n_samples)
        frame = out["t"] if isinstance(out, dict) else out
        return self._encode(frame)

    def _fitted_params(self):
        params = {"n_rows": float(len(self._chunks[0]))}
        model = getattr(self.synthesizer_, "_model", None)
        corr = getattr(model, "correlation", None)
        if corr is not None:
            params["correlation"] = np.asarray(corr, dtype=np.float64)
        return params

    # ----------------------------------------------------------------- frames
    def _to_frame(self, columns, n_rows):
        frame = self.schema_.decode(columns, n_rows)
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        frame.columns = [str(c) for c in self.schema_.names]
        for spec in self.schema_.columns:
            if spec.kind == "category":
                # RDT fails on declared but unused categories: pass plain values.
                col = frame[str(spec.name)]
                frame[str(spec.name)] = col.astype(object).where(col.notna(), None)
        return frame

    def _encode(self, frame):
        out = {}
        for spec in self.schema_.columns:
            col = frame[str(spec.name)]
            if spec.kind == "category":
                values = pd.Categorical(col.astype(object).where(col.notna(), None), dtype=spec.dtype)
                out[spec.name] = values.codes.astype(np.int64)
            elif spec.kind == "bool":
                arr = col.to_numpy(dtype=object)
                miss = pd.isna(col).to_numpy()
                codes = np.full(len(arr), -1, dtype=np.int64)
                codes[~miss] = np.asarray(arr[~miss], dtype=bool).astype(np.int64)
                out[spec.name] = codes
            else:
                out[spec.name] = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags
