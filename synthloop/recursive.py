"""RecursiveSynthesizer: a generator trained on its own output, generation after generation.

Generation 0 is fit on the real table; generation ``t >= 1`` on the pool the
pool policy builds from ``n_t`` synthetic rows (the schedule) and possibly real
rows (docs/theory.rst, "The loop"). The loop knows nothing about a model's internals: it calls
``fit``/``partial_fit``/``sample`` and asks the generator for its own collapse
statistics (:meth:`~synthloop.BaseGenerator.collapse_summary`).

Randomness. One ``SeedSequence`` (from ``random_state``) gives one recorded
32-bit seed per generation (:func:`synthloop.utils.child_seeds`, so the first
``T`` seeds do not depend on ``n_generations``). Generation ``t``'s generator is
``clone(generator)`` with ``random_state=seed_t``; the synthetic rows of its pool
are drawn in fixed blocks of :data:`~synthloop.sampling.BLOCK_SIZE` rows, block ``b`` of pool part
``p`` with its own seed (:func:`~synthloop.sampling.block_seed`). A generator
whose fit is a block reduction (``supports_reduction()``) is fit by
:func:`~synthloop.sampling.fit_blocks`: every block is reduced to statistics
where it is drawn (a thread, or a Dask worker) and the statistics are merged in
a fixed tree over the blocks, so the fitted parameters are bitwise the same for
any ``n_jobs``, ``chunk_size``, number of workers and backend. Other generators
are fit with ``partial_fit`` on chunks of ``chunk_size`` rows; neither that nor
``n_jobs`` changes the rows, so with exact sufficient statistics the parameters
agree for any ``chunk_size`` up to float rounding, and bitwise for any ``n_jobs``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import math
import numbers
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from .pools import check_pool
from .base import sample_collapse_summary
from .evaluation._collapse import COLLISION, L1, LEVELS, VAR_RATIO, collision, l1, levels, metric_column, var_ratio
from .sampling import BLOCK_SIZE, _concat, _fit_blocks, _sample_block, _slice_rows, _take, default_chunk_rows
from .schedules import check_schedule
from .utils._dask import dask_client
from .utils._random import child_seeds, make_rng
from .utils._sklearn_compat import Interval, StrOptions, _fit_context
from .utils._threads import one_native_thread

__all__ = ["RecursiveSynthesizer"]

# Mixed into a generation's seed for the sample its collapse statistics may be estimated from.
_STATS_TAG = 0x5747


def _default_generator():
    from .generators import GaussianCopulaGenerator

    return GaussianCopulaGenerator()


class RecursiveSynthesizer(OneToOneFeatureMixin, BaseEstimator):
    """Train a generator recursively on its own samples.

    Generation 0 is fit on the real rows; generation ``t = 1..n_generations``
    on the pool given by ``pool`` from ``n_t`` rows (given by ``schedule``)
    sampled from earlier generations, plus real rows for the pools that
    keep them. Collapse is data, not an error: a generation whose variance
    reaches 0 or whose column keeps a single level goes on, and
    :attr:`history_` shows it.

    Parameters
    ----------
    generator : generator or None, default=None
        An unfitted generator following synthloop's contract (``fit``,
        ``partial_fit``, ``sample``, a ``random_state`` parameter). Each
        generation gets ``clone(generator)``. None: ``GaussianCopulaGenerator()``.
    n_generations : int >= 0, default=10
        Number of synthetic generations ``T``; 0 fits only generation 0.
    schedule : str, callable, list of int or BaseSchedule, default="constant"
        ``n_t``; see :func:`synthloop.schedules.check_schedule`. A list
        ``[n_1, ..., n_T]`` needs ``n_generations == T``.
    pool : str or BasePool, default="replace"
        What each generation trains on; see :func:`synthloop.pools.check_pool`.
    keep : {"last", "all"}, default="last"
        Which fitted generators :attr:`generators_` keeps. ``"last"`` bounds
        memory (the loop also frees every generator the pool no longer needs).
    chunk_size : int or None, default=None
        For a generator without the block reduction (see ``backend``):
        largest number of rows fed to one ``fit``/``partial_fit`` call. A
        generation whose pool is larger is fit in chunks with
        ``partial_fit``, so memory stays bounded whatever the schedule.
        None: about 512 MiB of rows (64 bytes per cell), at least
        :data:`~synthloop.sampling.BLOCK_SIZE`. Rows are sampled in blocks of :data:`~synthloop.sampling.BLOCK_SIZE`
        whatever ``chunk_size`` is, so it never changes which rows are drawn.
        A generator with the block reduction holds one block per thread,
        whatever ``chunk_size``; a copula generation of at most this many
        rows keeps its blocks between its two passes instead of drawing them
        again.
    n_jobs : int or None, default=None
        Threads drawing and reducing blocks in parallel (generations are
        sequential); with ``backend="dask"`` and ``scheduler=None``, the
        threads of the in-process cluster. None means 1, -1 all cores.
        Results are identical for any value. Above one, BLAS runs at one
        thread during the fit (threadpoolctl): the threads are the
        parallelism.
    backend : {"threads", "dask"}, default="threads"
        Where the blocks of a generation are drawn and reduced, for a
        generator whose fit is a block reduction (``supports_reduction()``:
        :class:`MultivariateNormalGenerator`, :class:`CategoricalGenerator`,
        :class:`GaussianCopulaGenerator`): ``n_jobs`` threads of this
        process, or the workers of a Dask cluster (``pip install
        synthloop[dask]``), which receive the fitted generators, never rows.
        Both merge the blocks' statistics in the same fixed tree, so the
        fitted parameters are those of a local run (bitwise for the MVN and
        the categorical model, within float rounding for the copula) for any
        number of workers. Other generators (and the
        copula under the accumulate pool, whose fit continues a reservoir)
        are fit here with sequential ``partial_fit``; with ``"dask"`` a
        warning says so.
    scheduler : str, distributed.Client or None, default=None
        With ``backend="dask"``: the address of a running scheduler
        (``"tcp://10.0.0.5:8786"``) or a connected Client; None starts an
        in-process cluster for the run (no worker processes). The workers need
        synthloop installed.
    verbose : int, default=0
        ``> 0`` shows a tqdm progress bar over generations with the rows and
        seconds of each.
    reference : fitted generator, array-like of float or None, default=None
        What else every generation is measured against, e.g. a model fitted
        on more data than the loop sees (He, Xu and Cheng's ``β*`` on the
        full table): a fitted generator (its collapse summary and its
        :meth:`~synthloop.BaseGenerator.parameter_vector`), or a parameter
        vector as ``parameter_vector()`` returns it. Adds the ``_ref``
        columns of :attr:`history_`.
    random_state : int, RandomState instance or None, default=None
        Seeds the whole run; the per-generation seeds are recorded in
        :attr:`history_`.

    Attributes
    ----------
    history_ : pandas.DataFrame
        One row per generation, wide format (``history_.plot(x="generation",
        y="var_ratio[age]")`` works directly; ``history_.filter(like="var_ratio[")``
        selects a statistic for every column). Columns:

        - ``generation``, ``seed`` (re-run a generation with it),
          ``n_synthetic`` (synthetic rows drawn for this generation),
          ``n_real`` (real rows in its pool), ``n_train`` (rows in its pool:
          for ``"accumulate"`` all rows so far, real and synthetic, so that
          ``n_train - n_real`` are its synthetic rows), ``fit_seconds`` and
          ``sample_seconds`` (fitting and drawing rows, summed over the
          threads or workers that did it), ``stats_source``;
        - numeric columns ``c``: ``var_ratio[c]``, the fitted variance over
          generation 0's;
        - discrete columns ``c`` (missing counted as a level):
          ``levels[c]`` (levels with probability > 0), ``collision[c]``
          (``σ = Σ p²``) and ``l1[c]`` (``Σ |p - p⁽⁰⁾|``, against generation 0);
        - ``params_sq_dist``: ``‖θ_t - θ_0‖²`` of the generator's
          :meth:`~synthloop.BaseGenerator.parameter_vector` (for generators
          that define one);
        - with a ``reference``: ``var_ratio_ref[c]`` and ``l1_ref[c]``, the
          same statistics against the reference's summary (a fitted
          generator), and ``params_sq_dist_ref``, ``‖θ_t - θ_ref‖²``.

        ``stats_source`` says where the statistics come from (the
        generator's :meth:`~synthloop.BaseGenerator.collapse_summary`):
        ``"params"`` when the generator computes them from its fitted
        parameters, else ``"sample"``: estimated from
        :data:`synthloop.base.STATS_SAMPLE_SIZE` rows drawn from the fitted
        generator with a seed derived from the generation's (Monte Carlo
        error of order ``1/sqrt(10000)``).
    parameters_ : list of dict
        ``get_fitted_params()`` of every generation.
    summaries_ : list of CollapseSummary
        Every generation's own :meth:`~synthloop.BaseGenerator.collapse_summary`
        (``{column: ("num", variance) or ("cat", probabilities)}``), from which
        the statistics of ``history_`` are computed.
    generators_ : list of generators
        The kept fitted generators: all (``keep="all"``, index = generation)
        or only the last.
    kept_generations_ : list of int
        The generation of each entry of ``generators_``.
    sizes_ : ndarray of int64
        ``n_t`` for ``t = 0..n_generations`` (``sizes_[0]`` real rows).
    schedule_ : BaseSchedule
    pool_ : BasePool
        A copy of the resolved pool (a :class:`~synthloop.FreshPool` stream's
        tables are read into it).
    generator_ : generator
        The resolved, unfitted template.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        DataFrame input only.
    target_name_ : object or None
        The column ``y`` was stored as, when ``y`` was given.

    See Also
    --------
    synthloop.schedules.check_schedule : schedule strings.
    synthloop.pools.check_pool : pool strings.

    Notes
    -----
    The real rows are kept by reference for the pools that reuse them; the
    synthetic rows are never stored: the accumulate pool continues the
    previous generation's sufficient statistics with ``partial_fit``
    (exact for generators whose ``partial_fit`` equals ``fit``), and the
    window, random and accumulate-subsample pools keep the earlier fitted
    generators and sample them again (see :mod:`synthloop.pools`).

    Examples
    --------
    >>> import numpy as np
    >>> from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=5,
    ...                           random_state=0).fit(X)
    >>> rs.history_[["generation", "n_train"]].tail(2).to_dict("records")
    [{'generation': 4, 'n_train': 200}, {'generation': 5, 'n_train': 200}]
    >>> rs.sample(3).shape
    (3, 2)
    """

    _parameter_constraints: dict = {
        "generator": "no_validation",
        "n_generations": [Interval(numbers.Integral, 0, None, closed="left")],
        "schedule": "no_validation",
        "pool": "no_validation",
        "keep": [StrOptions({"last", "all"})],
        "chunk_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_jobs": [numbers.Integral, None],
        "backend": [StrOptions({"threads", "dask"})],
        "scheduler": "no_validation",
        "verbose": ["verbose"],
        "reference": "no_validation",
        "random_state": ["random_state"],
    }

    def __init__(self, generator=None, *, n_generations=10, schedule="constant", pool="replace",
                 keep="last", chunk_size=None, n_jobs=None, backend="threads", scheduler=None, verbose=0,
                 reference=None, random_state=None):
        self.generator = generator
        self.n_generations = n_generations
        self.schedule = schedule
        self.pool = pool
        self.keep = keep
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.backend = backend
        self.scheduler = scheduler
        self.verbose = verbose
        self.reference = reference
        self.random_state = random_state

    # ----------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Run generation 0 on ``X`` and then ``n_generations`` synthetic generations.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The real table.
        y : array-like of shape (n_samples,), default=None
            Labels, modelled jointly with ``X`` as one more (last) column:
            :meth:`sample` then returns it too and :meth:`fit_resample` splits
            it off. Named ``y.name`` for a named Series (or the column of a
            one-column DataFrame) whose name is a string and not a column of
            ``X``, else ``"y"`` (DataFrame ``X``) or ``n_features`` (array).
            A one-hot ``y`` of shape (n_samples, n_classes), one 1 per row, is
            modelled as the position of its 1.

        Returns
        -------
        self : RecursiveSynthesizer
        """
        table = self._validate_input(X, y)
        self._run(table)
        return self

    def fit_resample(self, X, y):
        """Fit on ``X`` with ``y`` and return a synthetic ``(X, y)`` of the same size.

        The rows come from the last generation, so the synthesizer drops into
        an imbalanced-learn ``Pipeline`` before a classifier. The outputs come
        in the containers of the inputs, as imbalanced-learn's samplers return
        them: a DataFrame, Series (with its name), ndarray or list ``X`` or
        ``y`` gives the same back, a one-column DataFrame ``y`` a one-column
        DataFrame, a one-hot ``y`` a one-hot ``y``. Nothing about the
        containers is stored on the estimator.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels, or a one-hot matrix (one 1 per row), modelled as the
            position of its 1 and returned one-hot. A continuous ``y`` is
            modelled like any column; a single class is allowed.

        Returns
        -------
        X_resampled : DataFrame, ndarray or list of shape (n_samples, n_features)
            The container and columns of ``X``, with the dtypes the generator
            returns (those of ``X`` unless it documents otherwise).
        y_resampled : Series, DataFrame, ndarray or list of shape (n_samples,) or (n_samples, n_classes)
            The container of ``y``, with its name or column and its dtype.

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer
        >>> rng = np.random.default_rng(0)
        >>> X, y = rng.normal(size=(100, 2)), rng.integers(0, 2, 100)
        >>> rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=2, random_state=0)
        >>> Xs, ys = rs.fit_resample(X, y)
        >>> Xs.shape, ys.shape, set(np.unique(ys)) <= {0, 1}
        ((100, 2), (100,), True)
        >>> Xl, yl = rs.fit_resample(X.tolist(), y.tolist())
        >>> type(Xl).__name__, type(yl).__name__, bool(np.allclose(Xl, Xs))
        ('list', 'list', True)
        """
        if y is None:
            raise ValueError(
                "RecursiveSynthesizer.fit_resample needs labels y; got None. Use fit(X) and "
                "sample(n) to synthesise an unlabelled table."
            )
        self.fit(X, y)
        S = self.sample(int(self.sizes_[0]))
        # With y the loop always fits a frame (see _validate_input), so the
        # generator has restored y's own dtype (integer labels stay in range).
        Xs = S.drop(columns=[self.target_name_])
        ys = S[self.target_name_]
        if _one_hot_labels(y) is not None:
            dtype = np.result_type(*y.dtypes) if isinstance(y, pd.DataFrame) else np.asarray(y).dtype
            ys = pd.DataFrame((ys.to_numpy()[:, None] == np.arange(np.shape(y)[1])).astype(dtype))
        return _like(Xs, X), _like(ys, y)

    def get_feature_names_out(self, input_features=None):
        """The column names of the ``X`` that :meth:`fit_resample` returns: the fitted features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            None: ``feature_names_in_`` (DataFrame input) or ``x0, x1, ...``.
            Else it must match ``feature_names_in_`` when it exists, or have
            ``n_features_in_`` entries.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input features (``y``, modelled with them, is returned apart).

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer
        >>> X = np.random.default_rng(0).normal(size=(50, 2))
        >>> rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=1).fit(X)
        >>> rs.get_feature_names_out()
        array(['x0', 'x1'], dtype=object)
        """
        return super().get_feature_names_out(input_features)

    # -------------------------------------------------------------- sample
    def sample(self, n_samples=1, *, generation=-1, random_state=None):
        """Draw rows from a kept generation.

        Parameters
        ----------
        n_samples : int, default=1
        generation : int, default=-1
            Which generation: ``0..n_generations``, or negative from the end
            (-1 is the last). It must be kept (``keep="all"`` keeps every one).
        random_state : None, int or RandomState, default=None
            None draws from that generator's own stream (seeded by the
            generation's seed, advanced by each call); a seed gives the same
            rows every time.

        Returns
        -------
        DataFrame or ndarray
            The container and dtypes of the fitted table.

        Examples
        --------
        >>> import numpy as np
        >>> from synthloop import MultivariateNormalGenerator, RecursiveSynthesizer
        >>> X = np.random.default_rng(0).normal(size=(100, 1))
        >>> rs = RecursiveSynthesizer(MultivariateNormalGenerator(), n_generations=3,
        ...                           keep="all", random_state=0).fit(X)
        >>> rs.sample(2, generation=0).shape
        (2, 1)
        """
        check_is_fitted(self, "generators_")
        last = len(self.sizes_) - 1
        if isinstance(generation, (bool, np.bool_)) or not isinstance(generation, numbers.Integral):
            raise TypeError(
                f"RecursiveSynthesizer.sample: generation must be an integer in -{last + 1}..{last}; "
                f"got {generation!r} ({type(generation).__name__})."
            )
        if not -last - 1 <= generation <= last:
            raise ValueError(
                f"RecursiveSynthesizer.sample: generation must be in 0..{last} (or -{last + 1}..-1 "
                f"from the end); got {generation}."
            )
        g = int(generation) % (last + 1)
        if g not in self.kept_generations_:
            raise ValueError(
                f"RecursiveSynthesizer.sample: generation {g} was not kept (keep={self.keep!r} keeps "
                f"generations {self.kept_generations_}); refit with keep='all' to sample any generation."
            )
        gen = self.generators_[self.kept_generations_.index(g)]
        return gen.sample(n_samples, random_state=random_state)

    # ---------------------------------------------------------- validation
    def _validate_input(self, X, y):
        owner = "RecursiveSynthesizer"
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
        else:
            finite = "allow-nan" if self.__sklearn_tags__().input_tags.allow_nan else True
            X = validate_data(self, X, reset=True, dtype="numeric", ensure_all_finite=finite,
                              ensure_min_samples=1)
        self.target_name_ = None
        if y is None:
            return X
        labels = _one_hot_labels(y)
        if labels is not None:
            y = labels
        elif isinstance(y, pd.DataFrame) and y.shape[1] == 1:
            y = y.iloc[:, 0]
        y_name = y.name if isinstance(y, pd.Series) else None
        if isinstance(y, pd.Series):
            # Keep extension dtypes (category, str, Int64) so the generator models them as such.
            y_values = y.array if isinstance(y.dtype, pd.api.extensions.ExtensionDtype) else y.to_numpy()
        else:
            y_values = np.asarray(y)
        if y_values.ndim == 2 and y_values.shape[1] == 1:
            y_values = y_values[:, 0]
        if y_values.ndim != 1:
            raise ValueError(
                f"{owner}: y must be 1-D (one label per row) or one-hot (one 1 per row); got shape "
                f"{np.shape(y)}. Multilabel and multioutput targets are not supported."
            )
        if len(y_values) != X.shape[0]:
            raise ValueError(
                f"{owner}: y has {len(y_values)} values but X has {X.shape[0]} rows; y must have "
                "one value per row of X."
            )
        if y_values.dtype == object and pd.api.types.infer_dtype(y_values) in ("integer", "floating", "boolean"):
            y_values = pd.Series(y_values).infer_objects().to_numpy()
        if isinstance(X, pd.DataFrame):
            name = y_name if isinstance(y_name, str) and y_name not in X.columns else "y"
            while name in X.columns:
                name = name + "_"
            table = X.copy(deep=False)
            table[name] = y_values  # positional, whatever X's index
            self.target_name_ = name
            return table
        self.target_name_ = X.shape[1]
        # A frame keeps y's own dtype (integer labels stay integers in range).
        table = pd.DataFrame(X, columns=range(X.shape[1]))
        table[X.shape[1]] = y_values
        return table

    def _check_generator(self, generator, needs):
        name = type(generator).__name__
        problems = []
        for method in ("fit", "sample", "get_params", "set_params"):
            if not callable(getattr(generator, method, None)):
                problems.append(f"it has no {method}() method")
        if "partial_fit" in needs and not callable(getattr(generator, "partial_fit", None)):
            problems.append(f"it has no partial_fit() method, needed {needs['partial_fit']}")
        if not problems:
            if "random_state" not in generator.get_params(deep=False):
                problems.append("it has no random_state parameter (each generation is seeded through it)")
            if not _accepts(generator.sample, "random_state"):
                problems.append("its sample() takes no random_state keyword")
            if "weights" in needs:
                for method in ("fit", "partial_fit"):
                    fn = getattr(generator, method, None)
                    if fn is not None and not _accepts(fn, "sample_weight"):
                        problems.append(f"its {method}() takes no sample_weight, needed {needs['weights']}")
        if problems:
            raise TypeError(
                f"RecursiveSynthesizer: generator {name} does not follow the generator contract: "
                + "; ".join(problems) + ". A generator needs fit(X, sample_weight=None), partial_fit(X, "
                "sample_weight=None), sample(n_samples, random_state=None) and a random_state "
                "parameter: subclass synthloop.BaseGenerator."
            )

    def _chunk_rows(self, n_columns):
        if self.chunk_size is not None:
            return int(self.chunk_size)
        return default_chunk_rows(n_columns)

    def _prepare(self, table):
        """Resolve and check everything; raise before any model is fit."""
        generator = _default_generator() if self.generator is None else self.generator
        if isinstance(generator, type):
            raise TypeError(
                f"RecursiveSynthesizer: generator must be an instance, e.g. {generator.__name__}(); "
                "got the class itself."
            )
        schedule = check_schedule(self.schedule)
        # A copy: validating a FreshPool stream reads it into the pool, and the caller's object stays as given.
        pool = copy.copy(check_pool(self.pool))
        n_rows = table.shape[0]
        sizes = schedule.sizes(self.n_generations, n_rows)
        pool.validate(sizes)
        seeds = child_seeds(self.random_state, len(sizes))
        chunk_rows = self._chunk_rows(table.shape[1])
        if self.scheduler is not None and self.backend != "dask":
            raise ValueError(f"RecursiveSynthesizer: a scheduler needs backend='dask'; got backend={self.backend!r}.")
        needs, continues = {}, False
        plans = []
        for t in range(len(sizes)):
            plan = _with_stream_tables(pool.plan(t, sizes, seeds), table, t, self.target_name_)
            plans.append(plan)
            continues = continues or plan.base is not None
            if plan.weighted:
                needs.setdefault("weights", f"by {pool!r} to weight real against synthetic rows")
            if plan.base is not None:
                needs.setdefault("partial_fit", f"by {pool!r} to add rows to the previous generation")
            elif plan.n_rows > chunk_rows:
                needs.setdefault("partial_fit", f"to fit generation {t} ({plan.n_rows} rows) in chunks of "
                                 f"chunk_size={chunk_rows} rows")
        self._check_generator(generator, needs)
        supports = getattr(generator, "supports_reduction", None)
        reduce = callable(supports) and supports(continued=continues)
        if self.backend == "dask" and not reduce:
            why = (f"cannot continue its fit as a block reduction (pool {pool!r})" if callable(supports) and supports()
                   else "has no block reduction")
            warnings.warn(f"RecursiveSynthesizer(backend='dask'): {type(generator).__name__} {why}, so its "
                          "generations are fit in this process with sequential partial_fit.", UserWarning, stacklevel=4)
        reference = _reference(self.reference, table, seeds[0])
        return generator, schedule, pool, sizes, seeds, chunk_rows, plans, reference, reduce

    # ---------------------------------------------------------------- loop
    def _run(self, table):
        from joblib import effective_n_jobs

        prepared = self._prepare(table)
        n_jobs = effective_n_jobs(self.n_jobs)
        # Threads here are the parallelism: BLAS at one thread for the whole loop (a BLAS call
        # at full threads between two generations leaves its threads spinning into the next).
        with self._client(prepared[-1], n_jobs) as client, one_native_thread(client is None and n_jobs > 1):
            self._generations(table, client, *prepared)

    def _client(self, reduce, n_jobs):
        if self.backend != "dask" or not reduce:
            return contextlib.nullcontext()
        return dask_client(self.scheduler, n_jobs, "RecursiveSynthesizer")

    def _generations(self, table, client, template, schedule, pool, sizes, seeds, chunk_rows, plans, reference, reduce):
        ref_summary, ref_vector = reference
        T = len(sizes) - 1
        models, kept = {}, {}
        records, params_list, summaries = [], [], []
        ref = vector_0 = None
        bar = None
        if self.verbose > 0:
            from tqdm.auto import tqdm

            bar = tqdm(total=T + 1, desc="RecursiveSynthesizer", unit="gen")
        n_train_prev = n_real_prev = 0
        for t in range(T + 1):
            plan = plans[t]
            seed = int(seeds[t])
            if reduce:
                gen, fit_s, sample_s = self._reduce_generation(template, plan, table, models, seed, chunk_rows, client)
            else:
                gen, fit_s, sample_s = self._fit_generation(template, plan, table, models, seed, chunk_rows)
            params = gen.get_fitted_params() if callable(getattr(gen, "get_fitted_params", None)) else {}
            params_list.append(params)
            summary, source = _summary(gen, seed)
            summaries.append(summary)
            vector = gen.parameter_vector() if callable(getattr(gen, "parameter_vector", None)) else None
            if t == 0:
                ref, vector_0 = summary, vector
                _check_reference_vector(ref_vector, vector)
            new_real = sum(p.n_rows for p in plan.parts if p.source == "real")
            # A continued pool (accumulate) keeps every row of the one before: its real rows count too.
            n_real = new_real + (n_real_prev if plan.base is not None else 0)
            n_train = plan.n_rows + (n_train_prev if plan.base is not None else 0)
            n_train_prev, n_real_prev = n_train, n_real
            records.append({
                "generation": t, "n_synthetic": plan.n_rows - new_real, "n_real": n_real,
                "n_train": n_train, "seed": seed, "fit_seconds": fit_s, "sample_seconds": sample_s,
                "stats_source": source, **_stat_columns(summary, ref),
                **_distance_columns(vector, vector_0, ref_vector),
                **({} if ref_summary is None else _stat_columns(summary, ref_summary, suffix="_ref")),
            })
            models[t] = gen
            if self.keep == "all" or t == T:
                kept[t] = gen
            needed = pool.needed_after(t, T)
            for g in [g for g in models if g not in needed]:
                del models[g]
            if bar is not None:
                bar.update(1)
                bar.set_postfix(rows=n_train, fit_s=round(fit_s, 2), sample_s=round(sample_s, 2))
        if bar is not None:
            bar.close()
        self.generator_ = template
        self.schedule_ = schedule
        self.pool_ = pool
        self.sizes_ = sizes
        self.parameters_ = params_list
        self.summaries_ = summaries
        self.kept_generations_ = sorted(kept)
        self.generators_ = [kept[g] for g in self.kept_generations_]
        self.history_ = pd.DataFrame.from_records(records)

    def _pieces(self, plan, table, models, seed, chunk_rows, timer):
        """Yield ``(rows, weight)`` pieces of at most ``chunk_rows`` rows."""
        blocks_per_chunk = max(1, chunk_rows // BLOCK_SIZE)
        for p, part in enumerate(plan.parts):
            if part.source == "real":
                real = table if part.data is None else part.data
                for start in range(0, part.n_rows, chunk_rows):
                    stop = min(start + chunk_rows, part.n_rows)
                    rows = slice(start, stop) if part.rows is None else part.rows[start:stop]
                    piece = real[rows] if isinstance(rows, slice) and not isinstance(real, pd.DataFrame) \
                        else _take(real, rows)
                    yield piece, part.weight
                continue
            source = models[part.source]
            n_blocks = math.ceil(part.n_rows / BLOCK_SIZE)
            for first in range(0, n_blocks, blocks_per_chunk):
                group = range(first, min(first + blocks_per_chunk, n_blocks))
                start = time.perf_counter()
                rows = _concat(self._sample_group(source, part.n_rows, seed, p, group))
                timer["sample"] += time.perf_counter() - start
                for s in range(0, len(rows), chunk_rows):
                    yield (rows if len(rows) <= chunk_rows else _slice_rows(rows, s, s + chunk_rows)), part.weight

    def _sample_group(self, source, n_rows, seed, part, group):
        n_jobs = 1 if self.n_jobs is None else self.n_jobs
        if n_jobs == 1 or len(group) == 1:
            return [_sample_block(source, n_rows, seed, part, b) for b in group]
        from joblib import Parallel, delayed

        return Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_sample_block)(source, n_rows, seed, part, b) for b in group
        )

    def _reduce_generation(self, template, plan, table, models, seed, chunk_rows, client):
        """The generation's fit as a reduction over the blocks of its pool (:func:`~synthloop.sampling.fit_blocks`)."""
        def rows_of(part):  # a real part's rows: the table's (all, or those it names) or its own (a stream)
            real = table if part.data is None else part.data
            return real if part.rows is None else _take(real, part.rows)

        parts = [(models[p.source] if p.source != "real" else rows_of(p), p.n_rows, p.weight if plan.weighted else None)
                 for p in plan.parts]
        if plan.base is None:
            gen = clone(template).set_params(random_state=seed)
        else:
            gen = copy.deepcopy(models[plan.base]).set_params(random_state=seed)
            gen.random_state_ = make_rng(seed)
        return _fit_blocks(gen, parts, seed, n_jobs=self.n_jobs, client=client, continued=plan.base is not None,
                           keep_rows=chunk_rows)

    def _fit_generation(self, template, plan, table, models, seed, chunk_rows):
        timer = {"sample": 0.0}
        start = time.perf_counter()
        weighted = plan.weighted
        pieces = self._pieces(plan, table, models, seed, chunk_rows, timer)
        if plan.base is None:
            gen = clone(template).set_params(random_state=seed)
            if plan.n_rows <= chunk_rows:
                # One fit call: also right for generators whose streaming fit is approximate.
                collected = list(pieces)
                X = _concat([x for x, _ in collected])
                w = np.concatenate([np.full(len(x), wt) for x, wt in collected]) if weighted else None
                gen.fit(X, sample_weight=w) if weighted else gen.fit(X)
                return gen, time.perf_counter() - start - timer["sample"], timer["sample"]
        else:
            gen = copy.deepcopy(models[plan.base]).set_params(random_state=seed)
            if hasattr(gen, "random_state_"):
                gen.random_state_ = make_rng(seed)
        for X, wt in pieces:
            if weighted:
                gen.partial_fit(X, sample_weight=np.full(len(X), wt))
            else:
                gen.partial_fit(X)
        return gen, time.perf_counter() - start - timer["sample"], timer["sample"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        generator = _default_generator() if self.generator is None else self.generator
        try:
            inner = None if isinstance(generator, type) else generator.__sklearn_tags__()
        except AttributeError:
            inner = None
        if inner is not None:
            tags.input_tags.allow_nan = inner.input_tags.allow_nan
            tags.input_tags.categorical = inner.input_tags.categorical
            tags.input_tags.string = inner.input_tags.string
            tags.target_tags.required = False
        return _with_imblearn_tags(tags)


def _with_imblearn_tags(tags):
    """``tags`` as imbalanced-learn's ``Tags`` once imbalanced-learn is imported, else unchanged.

    imbalanced-learn's checks and ``is_sampler`` read ``input_tags.dataframe``
    and ``sampler_tags``, which scikit-learn's tags do not have. It is not a
    dependency, and only code that has imported it reads them, so a process
    that never imports it does not pay for the import. Its tag classes live in
    a private module, touched only here.
    """
    if sys.modules.get("imblearn") is None:
        return tags
    try:
        from imblearn.utils._tags import InputTags, SamplerTags, Tags
    except ImportError:  # an imbalanced-learn without tag classes (older than 0.13)
        return tags
    inputs = {f.name: getattr(tags.input_tags, f.name) for f in dataclasses.fields(tags.input_tags)}
    shared = {f.name: getattr(tags, f.name) for f in dataclasses.fields(Tags) if hasattr(tags, f.name)}
    # fit_resample takes DataFrames and returns them; its rows are synthetic, so there are no
    # sample_indices_ to report.
    shared.update(estimator_type="sampler", input_tags=InputTags(**inputs, dataframe=True),
                  sampler_tags=SamplerTags(sample_indices=False))
    return Tags(**shared)


def _with_stream_tables(plan, table, t, target_name):
    """``plan`` with every real part that brings its own rows (a FreshPool stream) checked against ``table``.

    A stream's table must be what the loop would have made of the real table: the same columns in the
    same order with the same dtypes (a DataFrame), or as many numeric columns (an array, cast to the
    table's dtype when that loses nothing). Anything else would reach the generator as another schema.
    """
    if not any(p.source == "real" and p.data is not None for p in plan.parts):
        return plan
    owner = "RecursiveSynthesizer"
    if target_name is not None:
        raise ValueError(f"{owner}: a FreshPool stream gives tables of X's columns, without labels; with y, put "
                         "the labels in X (a column of the stream's tables too) and fit without y.")
    parts = []
    for part in plan.parts:
        data = part.data
        if part.source != "real" or data is None:
            parts.append(part)
            continue
        where = f"{owner}: the FreshPool stream's table for generation {t}"
        if isinstance(table, pd.DataFrame):
            if not isinstance(data, pd.DataFrame):
                raise TypeError(f"{where} is a {type(data).__name__}; the real table is a DataFrame, so the stream "
                                "must give DataFrames with its columns.")
            if list(data.columns) != list(table.columns):
                raise ValueError(f"{where} has columns {list(data.columns)}; expected the real table's "
                                 f"{list(table.columns)}, in that order.")
            wrong = [f"{c!r} is {data[c].dtype}, expected {table[c].dtype}" for c in table.columns
                     if data[c].dtype != table[c].dtype]
            if wrong:
                raise ValueError(f"{where} has other dtypes than the real table: {'; '.join(wrong)}. Cast it, e.g. "
                                 "`rows.astype(X.dtypes.to_dict())`.")
            data = data.reset_index(drop=True)
        else:
            if isinstance(data, pd.DataFrame):
                data = data.to_numpy()
            data = np.asarray(data)
            if data.ndim != 2 or data.shape[1] != table.shape[1]:
                raise ValueError(f"{where} has shape {data.shape}; expected {table.shape[1]} columns like the real "
                                 "table.")
            if not np.can_cast(data.dtype, table.dtype, casting="same_kind") or data.dtype.kind not in "biuf":
                raise TypeError(f"{where} has dtype {data.dtype}; expected numbers castable to the real table's "
                                f"{table.dtype}.")
            data = data.astype(table.dtype, copy=False)
        parts.append(dataclasses.replace(part, data=data))
    return dataclasses.replace(plan, parts=tuple(parts))


def _one_hot_labels(y):
    """The labels (column positions) of a one-hot ``y``, one 1 per row as imbalanced-learn reads it; else None."""
    if np.ndim(y) != 2 or np.shape(y)[1] < 2:
        return None
    values = np.asarray(y)
    if values.dtype.kind not in "biuf" or not np.isin(values, (0, 1)).all() or not (values.sum(axis=1) == 1).all():
        return None
    return values.argmax(axis=1)


def _like(values, like):
    """Sampled ``values`` (a DataFrame or Series) in the container of ``like``, the caller's input.

    As imbalanced-learn's ``ArraysTransformer``: a DataFrame gives a DataFrame
    with its columns, a Series a Series with its name, a list a list, any
    other array-like an ndarray.
    """
    if isinstance(like, pd.DataFrame):
        frame = values.to_frame() if isinstance(values, pd.Series) else values
        return frame.set_axis(like.columns, axis=1)
    if isinstance(like, pd.Series):
        return values.rename(like.name)
    out = values.to_numpy()
    if out.dtype == object and np.asarray(like).dtype.kind in "US":
        # pandas holds numpy text as str; give back the caller's fixed-width dtype
        out = out.astype(np.asarray(like).dtype)
    return out.tolist() if isinstance(like, list) else out


def _accepts(fn, name):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return name in sig.parameters or any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())


# --------------------------------------------------------------- statistics
def _summary(gen, seed):
    """The generator's own collapse statistics (``collapse_summary``) and their source.

    A generator without the method (any object with ``fit``/``sample``) is
    summarised from a sample. Either way a sample is drawn with a seed derived
    from the generation's, so the statistics are reproducible.
    """
    rng_seed = int(np.random.SeedSequence([int(seed), _STATS_TAG]).generate_state(1, np.uint32)[0])
    if callable(getattr(gen, "collapse_summary", None)):
        summary = gen.collapse_summary(random_state=rng_seed)
    else:
        summary = sample_collapse_summary(gen, rng_seed, getattr(gen, "schema_", None))
    return summary, summary.source


def _stat_columns(summary, ref, suffix=""):
    """The collapse metrics of one generation against ``ref`` (generation 0's summary, or a reference's: ``suffix``)."""
    out = {}
    for name, (kind, value) in summary.items():
        base = ref.get(name, (kind, None))[1]
        if kind == "num":
            out[metric_column(VAR_RATIO, name, suffix)] = var_ratio(value, base)
        else:
            if not suffix:
                out[metric_column(LEVELS, name)] = levels(value)
                out[metric_column(COLLISION, name)] = collision(value)
            out[metric_column(L1, name, suffix)] = l1(value, base)
    return out


def _sq_dist(a, b):
    return float(np.sum((a - b) ** 2)) if a is not None and b is not None and a.shape == b.shape else np.nan


def _distance_columns(vector, vector_0, ref_vector):
    """``params_sq_dist`` (to generation 0) and, with a reference vector, ``params_sq_dist_ref``."""
    out = {}
    if vector_0 is not None:
        out["params_sq_dist"] = _sq_dist(vector, vector_0)
    if ref_vector is not None:
        out["params_sq_dist_ref"] = _sq_dist(vector, ref_vector)
    return out


def _reference(reference, table, seed):
    """``(summary, vector)`` of ``reference=``: a fitted generator's collapse summary and parameter vector, or a
    vector alone; checked against the table the loop models."""
    owner = "RecursiveSynthesizer"
    if reference is None:
        return None, None
    if callable(getattr(reference, "sample", None)):
        summary, _ = _summary(reference, seed)
        columns = list(table.columns) if isinstance(table, pd.DataFrame) else list(range(table.shape[1]))
        if list(summary) != columns:
            raise ValueError(f"{owner}: reference was fitted on columns {list(summary)}, but the loop models "
                             f"{columns}; fit the reference on the same columns.")
        vector = reference.parameter_vector() if callable(getattr(reference, "parameter_vector", None)) else None
        return summary, vector
    vector = np.asarray(reference)
    if vector.ndim != 1 or vector.dtype.kind not in "biuf" or vector.size == 0:
        raise TypeError(f"{owner}: reference must be a fitted generator or a parameter vector (1-D numbers, as "
                        f"parameter_vector() returns); got {type(reference).__name__} of shape {np.shape(reference)}.")
    return None, vector.astype(np.float64)


def _check_reference_vector(ref_vector, vector):
    if ref_vector is None or (vector is not None and vector.shape == ref_vector.shape):
        return
    what = "defines no parameter_vector()" if vector is None else f"has {vector.size} parameters"
    raise ValueError(f"RecursiveSynthesizer: the reference has {ref_vector.size} parameters, but generation 0 "
                     f"{what}; give a reference of the generator's own parameter_vector().")
