"""Checks that a generator honours synthloop's contract, and imbalanced-learn's checks' expected failures.

scikit-learn's ``parametrize_with_checks`` never calls ``sample``; these checks
do. Run them on your own generator with :func:`check_generator`, or in pytest
with :func:`parametrize_with_generator_checks`. imbalanced-learn's checks run on
:class:`~synthloop.RecursiveSynthesizer` with the expected failures
:func:`imblearn_expected_failed_checks` names.
"""

import pickle

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError


__all__ = ["check_generator", "parametrize_with_generator_checks", "make_check_table",
           "imblearn_expected_failed_checks"]


def make_check_table(generator, n_rows=240, *, random_state=0):
    """A mixed-type table holding every column kind the generator models.

    Columns: ``float``, ``int``, nullable ``Int64``, ``datetime`` (tz-aware),
    ``category``, ``bool``, ``boolean`` and ``str``; missing values are added
    where the generator models them.

    Parameters
    ----------
    generator : BaseGenerator
    n_rows : int, default=240
    random_state : int, default=0

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.utils.estimator_checks import make_check_table
    >>> list(make_check_table(MultivariateNormalGenerator()).columns)
    ['x_float', 'x_int', 'x_Int64', 'x_datetime']
    """
    rng = np.random.default_rng(random_state)
    kinds = generator._supported_kinds
    missing = generator._allow_missing
    n = n_rows
    cols = {}
    if "float" in kinds:
        cols["x_float"] = np.round(rng.normal(2.0, 1.5, n), 1)
    if "int" in kinds:
        cols["x_int"] = rng.integers(-3, 12, n)
        col = pd.array(rng.integers(0, 9, n), dtype="Int64")
        if missing:
            col[rng.random(n) < 0.1] = pd.NA
        cols["x_Int64"] = col
    if "datetime" in kinds:
        days = rng.integers(0, 60, n)
        cols["x_datetime"] = pd.Series(
            pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(days, unit="D")
        ).dt.as_unit("s")
    if "category" in kinds:
        col = pd.Categorical(rng.choice(["lo", "mid", "hi"], n, p=[0.5, 0.3, 0.2]),
                             categories=["lo", "mid", "hi", "never"], ordered=True)
        if missing:
            col[rng.random(n) < 0.1] = np.nan
        cols["x_category"] = col
    if "bool" in kinds:
        cols["x_bool"] = rng.random(n) < 0.3
        col = pd.array(rng.random(n) < 0.6, dtype="boolean")
        if missing:
            col[rng.random(n) < 0.1] = pd.NA
        cols["x_boolean"] = col
    if "string" in kinds:
        col = pd.Series(rng.choice(["red", "green", "blue"], n), dtype="str")
        if missing:
            col[rng.random(n) < 0.1] = np.nan
        cols["x_str"] = col
    return pd.DataFrame(cols)


def _fit(generator, X, random_state=0):
    return clone(generator).set_params(random_state=random_state).fit(X)


def check_sample_shape_columns_dtypes(generator):
    X = make_check_table(generator)
    gen = _fit(generator, X)
    for n in (0, 1, 37):
        S = gen.sample(n)
        assert isinstance(S, pd.DataFrame), f"sample returned {type(S).__name__}, not a DataFrame"
        assert S.shape == (n, X.shape[1]), f"sample({n}) has shape {S.shape}"
        assert list(S.columns) == list(X.columns), "columns or their order changed"
        # sample returns the dtypes the generator reports; they are the fitted ones, except integer
        # columns a generator documents as modelled continuously (returned as float64)
        assert S.dtypes.tolist() == list(gen.dtypes_), f"dtypes differ from dtypes_: {S.dtypes.to_dict()}"
        for name, fitted, out in zip(X.columns, X.dtypes, gen.dtypes_):
            widened = (fitted.kind in "iu" or str(fitted) == "Int64") and out == np.float64
            assert out == fitted or widened, f"{name}: dtype {fitted} came back as {out}"


def check_sample_values_in_fitted_support(generator):
    X = make_check_table(generator)
    S = _fit(generator, X).sample(500)
    for name in X.columns:
        if S[name].dtype.kind in "iu" or str(S[name].dtype) == "Int64":
            s = S[name].dropna()
            assert s.min() >= X[name].min() and s.max() <= X[name].max(), f"{name} out of range"
        if isinstance(X[name].dtype, pd.CategoricalDtype):
            assert S[name].cat.categories.equals(X[name].cat.categories), f"{name}: categories changed"
        is_text = not isinstance(X[name].dtype, pd.CategoricalDtype) and (
            X[name].dtype == object or str(X[name].dtype) in ("str", "string"))
        if is_text:
            extra = set(S[name].dropna()) - set(X[name].dropna())
            assert not extra, f"{name}: levels never fitted were sampled: {extra}"
        if not X[name].isna().any():
            assert not S[name].isna().any(), f"{name}: missing values sampled in a complete column"


def check_reproducible(generator):
    X = make_check_table(generator)
    pd.testing.assert_frame_equal(_fit(generator, X).sample(50), _fit(generator, X).sample(50))


def check_stream_advances(generator):
    gen = _fit(generator, make_check_table(generator))
    a, b = gen.sample(50), gen.sample(50)
    assert not a.equals(b), "two sample() calls returned the same rows: the stream does not advance"


def check_explicit_seed(generator):
    X = make_check_table(generator)
    gen, ref = _fit(generator, X), _fit(generator, X)
    a = gen.sample(40, random_state=7)
    pd.testing.assert_frame_equal(a, gen.sample(40, random_state=7))
    # An explicit seed leaves the generator's own stream untouched.
    pd.testing.assert_frame_equal(gen.sample(40), ref.sample(40))


def check_n_samples_validation(generator):
    gen = _fit(generator, make_check_table(generator))
    for bad, err in ((-1, ValueError), (2.5, TypeError), ("10", TypeError), (True, TypeError)):
        try:
            gen.sample(bad)
        except err as exc:
            assert "n_samples" in str(exc), f"message does not name n_samples: {exc}"
        else:
            raise AssertionError(f"sample({bad!r}) did not raise {err.__name__}")


def check_unfitted_error(generator):
    try:
        clone(generator).sample(3)
    except NotFittedError:
        return
    raise AssertionError("sample() before fit did not raise NotFittedError")


def check_pickle_round_trip(generator):
    gen = _fit(generator, make_check_table(generator))
    copy = pickle.loads(pickle.dumps(gen))
    pd.testing.assert_frame_equal(gen.sample(30, random_state=3), copy.sample(30, random_state=3))
    pd.testing.assert_frame_equal(gen.sample(30), copy.sample(30))


def check_input_not_mutated(generator):
    X = make_check_table(generator)
    before = X.copy(deep=True)
    _fit(generator, X)
    pd.testing.assert_frame_equal(X, before)


def check_array_round_trip(generator):
    if not ({"float", "int"} & generator._supported_kinds):
        return
    X = np.round(np.random.default_rng(0).normal(size=(120, 3)), 1)
    S = clone(generator).set_params(random_state=0).fit(X).sample(10)
    assert isinstance(S, np.ndarray) and S.shape == (10, 3) and S.dtype == X.dtype


def _params_close(a, b):
    assert a.keys() == b.keys()
    for key in a:
        va, vb = a[key], b[key]
        if isinstance(va, dict):
            _params_close(va, vb)
        elif np.asarray(va).dtype == object:  # level labels
            np.testing.assert_array_equal(va, vb, err_msg=f"parameter {key!r}")
        else:
            np.testing.assert_allclose(np.asarray(va, dtype=float), np.asarray(vb, dtype=float),
                                       rtol=1e-9, atol=1e-12, err_msg=f"parameter {key!r}")


def check_partial_fit_equals_fit(generator):
    if not hasattr(generator, "partial_fit"):
        return
    X = make_check_table(generator)
    full = _fit(generator, X)
    chunked = clone(generator).set_params(random_state=0)
    for start in range(0, len(X), 70):
        chunked.partial_fit(X.iloc[start:start + 70])
    _params_close(full.get_fitted_params(), chunked.get_fitted_params())


def check_integer_weights_equal_repeats(generator):
    X = make_check_table(generator)
    w = np.random.default_rng(1).integers(0, 3, len(X))
    weighted = clone(generator).set_params(random_state=0).fit(X, sample_weight=w)
    repeated = _fit(generator, X.loc[X.index.repeat(w)].reset_index(drop=True))
    _params_close(weighted.get_fitted_params(), repeated.get_fitted_params())


def check_fitted_params(generator):
    params = _fit(generator, make_check_table(generator)).get_fitted_params()
    assert isinstance(params, dict) and params, "get_fitted_params must return a non-empty dict"


def check_collapse_summary(generator):
    # One entry per column, valid statistics, and, when the generator computes them from its
    # parameters, agreement with the estimate from 10,000 of its own rows: level probabilities within
    # 4 Monte Carlo standard errors (plus 1e-3 for rounding), variances of float output columns within
    # 10% (about 7 standard errors for a normal column at that size; a generator that rounds and clips
    # integer or datetime columns reports the variance of the model it fitted, by design).
    from ..base import STATS_SAMPLE_SIZE, sample_collapse_summary

    X = make_check_table(generator)
    gen = _fit(generator, X)
    summary = gen.collapse_summary(random_state=0)
    assert list(summary) == list(X.columns), f"collapse_summary has columns {list(summary)}"
    assert summary.source in ("params", "sample"), f"source {summary.source!r}"
    for name, (kind, value) in summary.items():
        assert kind in ("num", "cat"), f"{name}: kind {kind!r}"
        if kind == "cat":
            p = value.to_numpy(dtype=float)
            assert np.all(p >= 0) and abs(p.sum() - 1) < 1e-9, f"{name}: probabilities {p}"
        else:
            assert np.isnan(value) or value >= 0, f"{name}: variance {value}"
    if summary.source != "params":
        return
    sampled = sample_collapse_summary(gen, 1, gen.schema_)
    for name, (kind, value) in summary.items():
        other_kind, other = sampled[name]
        assert other_kind == kind, f"{name}: {kind} from the parameters, {other_kind} from a sample"
        if kind == "cat":
            exact = value.groupby(level=0).sum()
            est = other.reindex(exact.index, fill_value=0.0)
            se = np.sqrt(exact * (1 - exact) / STATS_SAMPLE_SIZE)
            bad = (est - exact).abs() > 4 * se + 1e-3
            assert not bad.any(), f"{name}: {exact[bad].to_dict()} from the parameters, {est[bad].to_dict()} sampled"
        elif np.isfinite(value) and value > 0 and pd.api.types.is_float_dtype(gen.dtypes_[name]):
            assert abs(other - value) <= 0.1 * value, f"{name}: variance {value} from the parameters, {other} sampled"


def check_transform_unknown_levels(generator):
    # For a transformer with handle_unknown (OneHotEncoder's parameter): a string never fitted, a declared
    # category no fitted row had, and a category of another categorical dtype (whose other categories are
    # reordered, so known ones must be matched by label, not code). "error" names every such column and
    # level; "ignore" gives them finite scores, leaves the scores of known values as they are, and
    # inverse_transform maps them to missing values and the known levels to themselves.
    if not hasattr(generator, "transform") or "handle_unknown" not in generator.get_params():
        return
    X = make_check_table(generator)
    if not {"x_category", "x_str"} <= set(X.columns):
        return
    gen = _fit(generator, X).set_params(handle_unknown="error")
    known = X.iloc[:60].reset_index(drop=True)
    Z_known = gen.transform(known)
    T = known.copy()
    T.loc[0:4, "x_str"] = "unseen-level"
    T.loc[5:9, "x_category"] = "never"
    relabelled = T["x_category"].cat.add_categories(["other-dtype"])
    T["x_category"] = relabelled.cat.reorder_categories(relabelled.cat.categories[::-1])
    T.loc[10:14, "x_category"] = "other-dtype"
    unknown = {"x_str": np.arange(60) < 5, "x_category": (np.arange(60) >= 5) & (np.arange(60) < 15)}
    try:
        gen.transform(T)
    except ValueError as exc:
        for name, level in (("x_str", "unseen-level"), ("x_category", "never"), ("x_category", "other-dtype")):
            assert repr(name) in str(exc) and repr(level) in str(exc), f"message does not name {name}={level}: {exc}"
    else:
        raise AssertionError("handle_unknown='error': transform accepted levels never seen at fit")
    gen.set_params(handle_unknown="ignore")
    Z = gen.transform(T)
    assert np.isfinite(Z).all(), "handle_unknown='ignore': non-finite scores"
    names = list(X.columns)
    for name, rows in unknown.items():
        j = names.index(name)
        np.testing.assert_array_equal(Z[~rows, j], Z_known[~rows, j], err_msg=f"{name}: known levels rescored")
    back = gen.inverse_transform(Z)
    for name, rows in unknown.items():
        assert back[name][rows].isna().all(), f"{name}: unknown levels not mapped back to missing values"
        pd.testing.assert_series_equal(back[name][~rows].astype(object), known[name][~rows].astype(object),
                                       check_names=False, obj=f"{name}: known levels after inverse_transform")


_CHECKS = [
    check_sample_shape_columns_dtypes,
    check_sample_values_in_fitted_support,
    check_reproducible,
    check_stream_advances,
    check_explicit_seed,
    check_n_samples_validation,
    check_unfitted_error,
    check_pickle_round_trip,
    check_input_not_mutated,
    check_array_round_trip,
    check_partial_fit_equals_fit,
    check_integer_weights_equal_repeats,
    check_fitted_params,
    check_collapse_summary,
    check_transform_unknown_levels,
]


def check_generator(generator):
    """Run every generator check on ``generator``; raise on the first failure.

    Covers: shape, columns and dtypes of samples (including ``n_samples=0``),
    values within the fitted support, reproducibility, stream advance,
    explicit seeds, ``n_samples`` validation, the unfitted error, pickling,
    input not mutated, array input, ``partial_fit`` equal to ``fit``, integer
    weights equal to repeated rows, ``get_fitted_params``,
    ``collapse_summary`` (one valid entry per column; statistics computed
    from the parameters agree with those of a sample), and, for transformers
    with a ``handle_unknown`` parameter, levels never seen at fit (named by
    the error of ``"error"``; with ``"ignore"`` finite scores, known levels
    scored as before and matched by label across categorical dtypes, unknown
    ones mapped back to missing values by ``inverse_transform``).

    Parameters
    ----------
    generator : BaseGenerator
        An unfitted instance.

    Examples
    --------
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.utils.estimator_checks import check_generator
    >>> check_generator(MultivariateNormalGenerator())
    """
    for check in _CHECKS:
        check(generator)


def parametrize_with_generator_checks(generators):
    """A pytest ``parametrize`` decorator running every check on every generator.

    Parameters
    ----------
    generators : list of BaseGenerator

    Returns
    -------
    decorator
        Use as ``@parametrize_with_generator_checks([...])`` on
        ``def test_contract(generator, check): check(generator)``.

    Examples
    --------
    >>> from synthloop import MultivariateNormalGenerator
    >>> from synthloop.utils.estimator_checks import parametrize_with_generator_checks
    >>> mark = parametrize_with_generator_checks([MultivariateNormalGenerator()])
    """
    import pytest

    params, ids = [], []
    for gen in generators:
        for check in _CHECKS:
            params.append((gen, check))
            ids.append(f"{type(gen).__name__}-{check.__name__}")
    return pytest.mark.parametrize("generator, check", params, ids=ids)


# imbalanced-learn's checks that test a balancing sampler's semantics, which a synthesizer does not have.
_IMBLEARN_EXPECTED_FAILED = {
    "check_target_type": (
        "a continuous y is a regression target: RecursiveSynthesizer models it as one more column "
        "instead of refusing it"
    ),
    "check_samplers_one_label": (
        "one class is allowed: RecursiveSynthesizer models the rows it is given and balances no classes"
    ),
    "check_samplers_fit": (
        "no sampling_strategy_: RecursiveSynthesizer draws as many rows as it was given from its last "
        "generation, with no per-class targets"
    ),
}


def imblearn_expected_failed_checks(estimator):
    """imbalanced-learn's checks that ``estimator`` fails by design, with the reason.

    Three of ``imblearn.utils.estimator_checks``' sampler checks test the
    semantics of a balancing sampler, which
    :class:`~synthloop.RecursiveSynthesizer` does not have: a continuous ``y``
    is a regression target and is modelled, one class is allowed, and there is
    no ``sampling_strategy_``. Every other check passes.

    Parameters
    ----------
    estimator : estimator instance

    Returns
    -------
    dict
        ``{check name: reason}``: the three checks for a
        :class:`~synthloop.RecursiveSynthesizer` (or a subclass), ``{}`` for
        any other estimator. Pass the function itself as
        ``expected_failed_checks`` to imbalanced-learn's
        ``parametrize_with_checks``, which marks these checks as expected
        failures (or as the dict to its ``estimator_checks_generator``).

    Examples
    --------
    >>> from synthloop import RecursiveSynthesizer
    >>> from synthloop.utils.estimator_checks import imblearn_expected_failed_checks
    >>> sorted(imblearn_expected_failed_checks(RecursiveSynthesizer()))
    ['check_samplers_fit', 'check_samplers_one_label', 'check_target_type']

    In a test module::

        from imblearn.utils.estimator_checks import parametrize_with_checks

        @parametrize_with_checks([RecursiveSynthesizer(random_state=0)],
                                 expected_failed_checks=imblearn_expected_failed_checks)
        def test_imblearn_compatible(estimator, check):
            check(estimator)
    """
    # Imported here: the checks sit above the estimators they check.
    from ..recursive import RecursiveSynthesizer

    return dict(_IMBLEARN_EXPECTED_FAILED) if isinstance(estimator, RecursiveSynthesizer) else {}
