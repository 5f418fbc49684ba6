"""SDVGenerator: any SDV 2.x single-table synthesizer behind synthloop's contract."""

import contextlib
import difflib
import inspect
import warnings
from numbers import Integral

import numpy as np
import pandas as pd

from .._table import ALL_KINDS, encode_sampled_column, repeat_by_weight
from ..base import BaseGenerator
from ..utils._sklearn_compat import Interval, StrOptions

__all__ = ["SDVGenerator"]

#: ``synthesizer`` names -> SDV's class names (which are accepted as well).
SYNTHESIZERS = {"gaussian_copula": "GaussianCopulaSynthesizer", "ctgan": "CTGANSynthesizer",
                "tvae": "TVAESynthesizer", "copulagan": "CopulaGANSynthesizer"}
# SDV 2.0 cannot take a category or string column with missing values as it is: the neural
# synthesizers refuse the ``category`` dtype (sdv.single_table.ctgan's _validate_no_category_dtype);
# GaussianCopulaSynthesizer fails on an object column with missing values (RDT 2.0's UniformEncoder
# gives every level after a ``None`` a NaN interval: "OverflowError: Range exceeds valid bounds") and,
# under pandas 3, samples a ``category`` column from the wrong levels (Adult's ``race``:
# experiments/generators_adult/sdv_category_probe.txt). Every synthesizer therefore gets such a column
# as object strings, a missing value as a level of its own named by _missing_level, which comes
# back as missing.
_MISSING_LEVEL = "__synthloop_missing__"
# The sdtypes SDV may detect for a column of each kind; any other (a PII or id sdtype guessed from
# the column's name, e.g. "email") would make SDV invent values instead of modelling the column.
_SDTYPES = {"float": ("numerical",), "int": ("numerical", "ordinal"), "datetime": ("datetime",),
            "bool": ("categorical", "boolean"), "category": ("categorical",), "string": ("categorical",)}
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
    generators. They model every column kind synthloop's copula does
    (numbers, nullable integers, datetimes, booleans, categories, strings,
    with missing values). Needs SDV, which is BUSL-1.1 licensed
    (source-available, not open source; read its terms before commercial
    use) and is not an extra: ``pip install torch==2.13.0 sdv==2.0.0
    sdmetrics==0.32.0 && pip install 'pandas>=3.0,<3.2'`` (SDV 2.0 declares
    ``pandas<3``; synthloop needs pandas 3, on which SDV's synthesizers run
    in our tests, so SDV is installed beside it).

    Parameters
    ----------
    synthesizer : {"gaussian_copula", "ctgan", "tvae", "copulagan"}, default="gaussian_copula"
        The SDV single-table synthesizer; SDV's class names
        (``"CTGANSynthesizer"``, ...) are accepted too.
    epochs : int or None, default=None
        Training epochs of the neural synthesizers (``ctgan``, ``tvae``,
        ``copulagan``); None keeps SDV's default (300). An error with
        ``gaussian_copula``, which has no epochs. A parameter of its own so a
        study config can set it beside ``synthesizer``:
        ``params = { synthesizer = "ctgan", epochs = 5 }``.
    synthesizer_params : dict or None, default=None
        Other keyword arguments of the synthesizer, e.g.
        ``{"default_distribution": "norm"}`` or ``{"batch_size": 100}``;
        unknown keys are an error that lists the synthesizer's parameters. A
        dict rather than ``**kwargs`` because scikit-learn's ``get_params`` /
        ``clone`` need every parameter named in ``__init__``.
    random_state : int, RandomState instance or None, default=None
        Seeds fitting and sampling (see Notes).

    Attributes
    ----------
    synthesizer_ : sdv.single_table.BaseSingleTableSynthesizer
        The fitted SDV synthesizer.
    metadata_ : sdv.metadata.Metadata
        The metadata SDV detected from the fitted table, with no keys
        inferred and every column modelled: a column whose name SDV reads as
        personal data or an id (``email``, ``user_id``) gets the sdtype of
        its kind instead (categorical, numerical, datetime), so SDV learns
        its values rather than inventing new ones.
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

    **Categories.** SDV 2.0 cannot take a category column with missing
    values as it is: the neural synthesizers refuse the ``category`` dtype,
    ``GaussianCopulaSynthesizer`` fails on an object column with missing
    values (``OverflowError: Range exceeds valid bounds``, from RDT's
    uniform encoder) and, under pandas 3 (which SDV does not declare), samples
    a ``category`` column from the wrong levels. Category and string columns
    are therefore handed to every synthesizer as object strings, with a
    missing value as a level of its own (``"__synthloop_missing__"``, or
    another name if that one is taken), which comes back as missing; samples
    come back in the fitted dtypes. Datetimes with a time zone are modelled
    in UTC.

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
    >>> SDVGenerator("ctgan", epochs=5)
    SDVGenerator(epochs=5, synthesizer='ctgan')
    """

    _supported_kinds = ALL_KINDS
    _allow_missing = True

    _parameter_constraints: dict = {
        **BaseGenerator._parameter_constraints,
        "synthesizer": [StrOptions(set(SYNTHESIZERS) | set(SYNTHESIZERS.values()))],
        "epochs": [Interval(Integral, 1, None, closed="left"), None],
        "synthesizer_params": [dict, None],
    }

    def __init__(self, synthesizer="gaussian_copula", *, epochs=None, synthesizer_params=None, random_state=None):
        self.synthesizer = synthesizer
        self.epochs = epochs
        self.synthesizer_params = synthesizer_params
        self.random_state = random_state

    def _validate_params(self):
        # What fit validates first (scikit-learn's _fit_context), extended to the synthesizer's own
        # parameters, so a study config is checked when it is loaded, not when a cell runs.
        super()._validate_params()
        self._synthesizer_class_and_kwargs()

    def _synthesizer_class_and_kwargs(self):
        single_table, _ = _import_sdv(type(self).__name__)
        class_name = SYNTHESIZERS.get(self.synthesizer, self.synthesizer)
        cls = getattr(single_table, class_name)
        valid = [name for name in inspect.signature(cls.__init__).parameters if name not in ("self", "metadata")]
        kwargs = dict(self.synthesizer_params or {})
        owner = type(self).__name__
        unknown = [key for key in kwargs if key not in valid]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            extra = " (the metadata is detected from the table)" if "metadata" in unknown else ""
            raise ValueError(f"{owner}: synthesizer_params has {unknown} which {class_name} does not take{extra}"
                             f"{hint}; its parameters are {valid}.")
        if self.epochs is not None:
            if "epochs" not in valid:
                neural = [name for name, cls_name in SYNTHESIZERS.items()
                          if "epochs" in inspect.signature(getattr(single_table, cls_name).__init__).parameters]
                raise ValueError(f"{owner}: epochs={self.epochs} was given, but {class_name} does not train in "
                                 f"epochs; epochs is for the synthesizers {neural}. Drop it.")
            if "epochs" in kwargs:
                raise ValueError(f"{owner}: epochs is given twice, as epochs={self.epochs} and in "
                                 f"synthesizer_params ({kwargs['epochs']}); keep one.")
            kwargs["epochs"] = self.epochs
        return cls, kwargs

    def _reset_statistics(self, table):
        _import_sdv(type(self).__name__)
        self._chunks = []
        self._fit_seed = int(self.random_state_.spawn(1)[0].integers(2**31 - 1))

    def _update_statistics(self, table, sample_weight):
        frame = self._to_frame(table.columns, table.n_rows)
        self._chunks.append(repeat_by_weight(frame, sample_weight, owner=type(self).__name__,
                                             why="SDV synthesizers have no sample weights"))

    def _finalize(self):
        _, Metadata = _import_sdv(type(self).__name__)
        cls, kwargs = self._synthesizer_class_and_kwargs()
        data = pd.concat(self._chunks, ignore_index=True) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks = [data]
        self.metadata_ = Metadata.detect_from_dataframes({"t": data}, infer_keys=None)
        detected = self.metadata_.to_dict()["tables"]["t"]["columns"]
        for name, kind in self._sdv_kinds().items():
            if detected[name]["sdtype"] not in _SDTYPES[kind]:
                self.metadata_.update_column(name, table_name="t", sdtype=_SDTYPES[kind][0])
        with _scoped_global_rngs(self._fit_seed), warnings.catch_warnings():
            # SDV asks to save detected metadata to JSON; it is kept in metadata_.
            warnings.filterwarnings("ignore", message=".*save_to_json.*", category=UserWarning)
            self.synthesizer_ = cls(self.metadata_, **kwargs)
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
    @staticmethod
    def _missing_level(spec):
        """The level that stands for a missing value of a category or string column: one none of its levels is."""
        taken = {str(level) for level in spec.levels}
        level = _MISSING_LEVEL
        while level in taken:
            level = f"_{level}_"
        return level

    def _sdv_kinds(self):
        """``{column name in SDV's frame: kind}``."""
        return {str(spec.name): spec.kind for spec in self.schema_.columns}

    def _to_frame(self, columns, n_rows):
        frame = self.schema_.decode(columns, n_rows)
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        frame.columns = [str(c) for c in self.schema_.names]
        for spec in self.schema_.columns:
            name = str(spec.name)
            if spec.kind in ("category", "string"):  # object strings, missing as a level (see _MISSING_LEVEL)
                col = frame[name].astype(object)
                frame[name] = col.where(col.notna(), self._missing_level(spec))
            elif spec.kind == "datetime" and isinstance(spec.dtype, pd.DatetimeTZDtype):
                frame[name] = frame[name].dt.tz_convert("UTC").dt.tz_localize(None)
        return frame

    def _encode(self, frame):
        return {spec.name: encode_sampled_column(
                    frame[str(spec.name)], spec, owner=type(self).__name__, model="SDV",
                    missing_level=self._missing_level(spec) if spec.kind in ("category", "string") else None)
                for spec in self.schema_.columns}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags
