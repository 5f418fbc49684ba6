"""Tests of synthloop.schedules: properties (hypothesis), resolution, errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from synthloop.exceptions import SizeOverflowError
from synthloop.schedules import (
    BaseSchedule,
    CallableSchedule,
    ConstantSchedule,
    GeometricSchedule,
    LinearSchedule,
    ListSchedule,
    PolynomialSchedule,
    check_schedule,
)

n_real_st = st.integers(1, 10_000)
n_st = st.one_of(st.none(), st.integers(1, 10_000))
T_st = st.integers(0, 60)


@st.composite
def schedules(draw):
    kind = draw(st.sampled_from(["constant", "linear", "polynomial", "geometric", "callable"]))
    n = draw(n_st)
    if kind == "constant":
        return ConstantSchedule(n=n)
    if kind == "linear":
        return LinearSchedule(n=n)
    if kind == "polynomial":
        return PolynomialSchedule(power=draw(st.floats(0.1, 3.0)), n=n)
    if kind == "geometric":
        # keep n * ratio**59 well below 2**62
        return GeometricSchedule(ratio=draw(st.floats(1.001, 1.5)), n=n)
    k = draw(st.integers(1, 50))
    return CallableSchedule(lambda t: k + (t % 7))


@settings(max_examples=200, deadline=None)
@given(schedules(), T_st, n_real_st)
def test_sizes_shape_dtype_entry0_positive(schedule, T, n_real):
    sizes = schedule.sizes(T, n_real)
    assert sizes.shape == (T + 1,)
    assert sizes.dtype == np.int64
    assert sizes[0] == n_real
    assert np.all(sizes >= 1)


@settings(max_examples=200, deadline=None)
@given(schedules(), T_st, n_real_st)
def test_totals_match_sizes(schedule, T, n_real):
    sizes = schedule.sizes(T, n_real)
    assert schedule.total_rows(T, n_real) == int(sizes[1:].sum())
    assert math.isclose(
        schedule.inverse_sum(T, n_real), float(np.sum(1.0 / sizes[1:])), rel_tol=1e-12
    )


@settings(max_examples=100, deadline=None)
@given(schedules(), st.integers(1, 60), n_real_st)
def test_n_samples_agrees_with_sizes(schedule, T, n_real):
    sizes = schedule.sizes(T, n_real)
    assert schedule.n_samples(T, n_real) == sizes[T]
    assert isinstance(schedule.n_samples(T, n_real), int)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["linear", "polynomial", "geometric"]),
    st.floats(0.05, 3.0),
    st.floats(1.0001, 1.5),
    n_st,
    T_st,
    n_real_st,
)
def test_growing_schedules_are_monotone(kind, power, ratio, n, T, n_real):
    schedule = {
        "linear": LinearSchedule(n=n),
        "polynomial": PolynomialSchedule(power=power, n=n),
        "geometric": GeometricSchedule(ratio=ratio, n=n),
    }[kind]
    syn = schedule.sizes(T, n_real)[1:]
    assert np.all(np.diff(syn) >= 0)


@settings(max_examples=100, deadline=None)
@given(n_st, T_st, n_real_st)
def test_constant_is_constant_and_none_means_n_real(n, T, n_real):
    sizes = ConstantSchedule(n=n).sizes(T, n_real)
    assert np.all(sizes[1:] == (n_real if n is None else n))


@settings(max_examples=100, deadline=None)
@given(st.floats(0.1, 3.0), st.integers(1, 60), n_real_st)
def test_n_none_is_n_real(power, T, n_real):
    assert np.array_equal(
        PolynomialSchedule(power=power).sizes(T, n_real),
        PolynomialSchedule(power=power, n=n_real).sizes(T, n_real),
    )
    assert np.array_equal(
        LinearSchedule().sizes(T, n_real), LinearSchedule(n=n_real).sizes(T, n_real)
    )


def test_closed_form_values():
    assert LinearSchedule().sizes(3, 100).tolist() == [100, 100, 200, 300]
    assert PolynomialSchedule(power=2).sizes(3, 10).tolist() == [10, 10, 40, 90]
    # ceil(100 * 2**1.5) = ceil(282.84...) = 283
    assert PolynomialSchedule(power=1.5).n_samples(2, 100) == 283
    assert GeometricSchedule(ratio=1.5, n=4).sizes(3, 1).tolist() == [1, 4, 6, 9]
    assert ConstantSchedule().inverse_sum(10, 100) == pytest.approx(0.1)
    assert LinearSchedule().inverse_sum(3, 6) == pytest.approx((1 + 1 / 2 + 1 / 3) / 6)
    assert LinearSchedule().total_rows(3, 10) == 60


def test_sizes_zero_generations():
    assert ConstantSchedule().sizes(0, 7).tolist() == [7]
    assert ConstantSchedule().total_rows(0, 7) == 0
    assert ConstantSchedule().inverse_sum(0, 7) == 0.0


def test_family_and_duck_typed_attributes():
    assert ConstantSchedule().family == "constant"
    assert LinearSchedule().family == "linear"
    assert PolynomialSchedule(power=2).family == "polynomial"
    assert PolynomialSchedule(power=2).power == 2
    assert GeometricSchedule(ratio=3).family == "geometric"
    assert GeometricSchedule(ratio=3).ratio == 3
    assert CallableSchedule(len).family == "callable"


@pytest.mark.parametrize(
    "schedule",
    [
        ConstantSchedule(n=5),
        LinearSchedule(),
        PolynomialSchedule(power=2.0, n=3),
        GeometricSchedule(ratio=1.5),
        CallableSchedule(abs, pass_n_real=False),
    ],
)
def test_clone_round_trip(schedule):
    cloned = clone(schedule)
    assert cloned is not schedule
    assert cloned == schedule
    assert hash(cloned) == hash(schedule)
    assert cloned.get_params() == schedule.get_params()
    assert np.array_equal(cloned.sizes(5, 10), schedule.sizes(5, 10))


def test_set_params_and_inequality():
    s = PolynomialSchedule()
    s.set_params(power=2.0)
    assert s.power == 2.0
    assert s != PolynomialSchedule()
    assert s == PolynomialSchedule(power=2.0)
    assert ConstantSchedule() != LinearSchedule()


def test_clone_inside_an_estimator_parameter():
    from sklearn.base import BaseEstimator

    class Holder(BaseEstimator):
        def __init__(self, schedule=None):
            self.schedule = schedule

    h = Holder(schedule=PolynomialSchedule(power=2.0))
    h2 = clone(h)
    assert h2.schedule == h.schedule and h2.schedule is not h.schedule
    h2.set_params(schedule__power=3.0)
    assert h2.schedule.power == 3.0 and h.schedule.power == 2.0


def test_repr():
    assert repr(PolynomialSchedule(power=2.0)) == "PolynomialSchedule(power=2.0)"
    assert repr(ConstantSchedule()) == "ConstantSchedule()"


def test_init_does_not_validate():
    s = PolynomialSchedule(power=-1)  # no error until used
    assert s.power == -1
    with pytest.raises(ValueError, match="'power' parameter of PolynomialSchedule"):
        s.sizes(3, 10)


@pytest.mark.parametrize(
    "schedule, match",
    [
        (PolynomialSchedule(power=0), r"'power' parameter of PolynomialSchedule must be a float in the range \(0.0, inf\)"),
        (GeometricSchedule(ratio=1.0), r"'ratio' parameter of GeometricSchedule must be a float in the range \(1.0, inf\)"),
        (ConstantSchedule(n=0), r"'n' parameter of ConstantSchedule must be an int in the range \[1, inf\)"),
        (LinearSchedule(n=2.5), r"'n' parameter of LinearSchedule must be an int"),
        (CallableSchedule(func=3), r"'func' parameter of CallableSchedule must be a callable"),
    ],
)
def test_invalid_parameters(schedule, match):
    with pytest.raises(ValueError, match=match):
        schedule.sizes(3, 10)


@pytest.mark.parametrize(
    "value, shown",
    [(0, "0"), (-3, "-3"), (2.5, "2.5"), ("10", r"'10' \(str\)"), (None, r"None \(NoneType\)"),
     (float("nan"), "nan"), (True, r"True \(bool\)")],
)
def test_callable_bad_return(value, shown):
    def func(t):
        return 5 if t < 3 else value

    with pytest.raises(ValueError, match=rf"CallableSchedule: func\(3\) returned {shown}; expected an integer >= 1"):
        CallableSchedule(func).sizes(4, 10)


def test_callable_accepts_integral_floats_and_numpy_ints():
    assert CallableSchedule(lambda t: np.ceil(10.0 * t)).sizes(2, 1).tolist() == [1, 10, 20]
    assert CallableSchedule(lambda t: np.int32(t)).sizes(2, 1).tolist() == [1, 1, 2]


def test_callable_with_n_real():
    s = CallableSchedule(lambda t, n: n * t * t, pass_n_real=True)
    assert s.sizes(3, 10).tolist() == [10, 10, 40, 90]


def test_overflow_is_a_clear_error():
    with pytest.raises(SizeOverflowError, match=r"GeometricSchedule: n_t exceeds 2\*\*62 at generation 60"):
        GeometricSchedule(ratio=2.0, n=10).sizes(100, 10)
    with pytest.raises(SizeOverflowError, match=r"PolynomialSchedule: n_t exceeds 2\*\*62"):
        PolynomialSchedule(power=20.0).sizes(100, 10)
    with pytest.raises(SizeOverflowError, match=r"LinearSchedule: n_t exceeds 2\*\*62"):
        LinearSchedule(n=2**61).sizes(3, 10)
    # just below the cap is fine
    assert GeometricSchedule(ratio=2.0, n=1).sizes(62, 1)[-1] == 2**61


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ConstantSchedule().sizes(-1, 10), r"ConstantSchedule: n_generations must be an integer >= 0; got -1"),
        (lambda: ConstantSchedule().sizes(2.0, 10), r"n_generations must be an integer >= 0; got 2.0 \(float\)"),
        (lambda: ConstantSchedule().sizes(3, 0), r"n_real must be an integer >= 1; got 0"),
        (lambda: ConstantSchedule().n_samples(0, 10), r"generation must be an integer >= 1; got 0"),
    ],
)
def test_argument_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("constant", ConstantSchedule()),
        ("linear", LinearSchedule()),
        ("polynomial", PolynomialSchedule()),
        ("geometric", GeometricSchedule()),
        ("constant:500", ConstantSchedule(n=500)),
        ("linear:20", LinearSchedule(n=20)),
        ("polynomial:2", PolynomialSchedule(power=2.0)),
        ("geometric:1.5", GeometricSchedule(ratio=1.5)),
        ("polynomial:power=2,n=50", PolynomialSchedule(power=2.0, n=50)),
        (" Polynomial : 2 , n = 50 ", PolynomialSchedule(power=2.0, n=50)),
    ],
)
def test_check_schedule_strings(spec, expected):
    assert check_schedule(spec) == expected


def test_check_schedule_instances_and_callables():
    s = LinearSchedule()
    assert check_schedule(s) is s
    c = check_schedule(lambda t: 3 * t)
    assert isinstance(c, CallableSchedule) and isinstance(c, BaseSchedule)
    assert c.sizes(2, 1).tolist() == [1, 3, 6]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10**6), max_size=40), n_real_st)
def test_list_schedule_gives_its_sizes(values, n_real):
    s = check_schedule(values)
    assert isinstance(s, ListSchedule) and s.family == "list"
    sizes = s.sizes(len(values), n_real)
    assert sizes.dtype == np.int64 and sizes.tolist() == [n_real, *values]
    assert s.total_rows(len(values), n_real) == sum(values)
    assert s.inverse_sum(len(values), n_real) == pytest.approx(sum(1 / v for v in values))
    assert all(s.n_samples(t, n_real) == v for t, v in enumerate(values, start=1))


def test_list_schedule_containers_and_errors():
    ref = ListSchedule([100, 200, 400])
    for spec in ((100, 200, 400), np.array([100, 200, 400]), [100.0, 200, np.int32(400)]):
        assert check_schedule(spec) == ref and check_schedule(spec).sizes(3, 5).tolist() == [5, 100, 200, 400]
    assert clone(ref) == ref and ref != ListSchedule([100, 200]) and repr(ref) == "ListSchedule(values=[100, 200, 400])"
    for T in (2, 4):
        with pytest.raises(ValueError, match=rf"ListSchedule lists 3 sizes, one per synthetic generation, but "
                                             rf"n_generations={T}; give exactly n_generations sizes \(or set "
                                             r"n_generations=3\)"):
            ref.sizes(T, 10)
    with pytest.raises(ValueError, match=r"ListSchedule lists 3 sizes \(generations 1\.\.3\); generation 4 has none"):
        ref.n_samples(4, 10)
    for values, match in (([100, 0], r"values\[1\] \(generation 2\) is 0; expected an integer >= 1"),
                          ([2.5], r"values\[0\] \(generation 1\) is 2\.5;"),
                          (["10"], r"values\[0\] \(generation 1\) is '10' \(str\);"),
                          ([[1, 2], [3, 4]], r"values must be a flat list of sizes; got shape \(2, 2\)")):
        with pytest.raises(ValueError, match=match):
            ListSchedule(values).sizes(len(values), 10)
    with pytest.raises(ValueError, match=r"The 'values' parameter of ListSchedule must be an array-like"):
        ListSchedule(5).sizes(1, 10)


def test_theory_refuses_a_list_schedule():
    from synthloop.theory import collapses

    with pytest.raises(ValueError, match="a list schedule cannot be decided in closed form"):
        collapses(ListSchedule([10, 20]))


@pytest.mark.parametrize(
    "spec, exc, match",
    [
        ("cubic", ValueError, r"Unknown schedule 'cubic'; valid options are \['constant', 'geometric', 'linear', 'polynomial'\]"),
        ("polynomial:abc", ValueError, r"power must be a number, got 'abc'"),
        ("constant:2.5", ValueError, r"n must be an integer, got '2.5'"),
        ("linear:ratio=2", ValueError, r"the linear schedule has no parameter 'ratio'"),
        ("polynomial:n=3,2", ValueError, r"only the first value may omit its key"),
        ("geometric:1", ValueError, r"'ratio' parameter of GeometricSchedule"),
        (None, TypeError, r"schedule must be a BaseSchedule instance, a callable"),
        (3, TypeError, r"got 3 \(int\)"),
        (LinearSchedule, TypeError, r"schedule must be a BaseSchedule instance"),
    ],
)
def test_check_schedule_errors(spec, exc, match):
    with pytest.raises(exc, match=match):
        check_schedule(spec)


@pytest.mark.parametrize("spec", ["constant", "constant:500", "linear:n=20", "polynomial", "polynomial:2",
                                  "polynomial:power=0.5,n=50", "Geometric : 1.5", "geometric:ratio=3"])
def test_theory_reads_every_string_the_schedules_accept(spec):
    # one grammar (theory/_schedule_spec.py): collapses decides the string as it decides the object
    from synthloop.theory import collapses

    assert collapses(spec) == collapses(check_schedule(spec))
