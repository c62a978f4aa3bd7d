"""Tests for bplib.activations: values, derivatives, stability at extremes and bad input."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from bplib import activations as act
from tests.strategies import finite_floats

H = 1e-5
SHAPES = [(), (7,), (3, 4), (2, 3, 4)]
HYPOTHESIS = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def max_rel_error(analytic, numeric, floor: float = 1e-8) -> float:
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))


def elementwise_difference(f, z, h: float = H):
    """Centered difference of an elementwise f at every entry of z at once."""
    return (np.asarray(f(z + h)) - np.asarray(f(z - h))) / (2 * h)


def sample(shape, rng, kinked: bool):
    """Inputs in [-3, 3]; for relu-like functions at least 0.1 away from the kink at 0."""
    if not kinked:
        z = rng.uniform(-3.0, 3.0, size=shape)
    else:
        z = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 3.0, size=shape)
    return float(z) if shape == () else z


# id -> (function, its derivative, has a kink at 0)
DERIVATIVES = {
    "sigmoid": (act.sigmoid, act.sigmoid_prime, False),
    "tanh": (act.tanh, act.tanh_prime, False),
    "relu": (act.relu, act.relu_prime, True),
}
ELEMENTWISE = {
    "sigmoid": act.sigmoid,
    "sigmoid_prime": act.sigmoid_prime,
    "tanh": act.tanh,
    "tanh_prime": act.tanh_prime,
    "relu": act.relu,
    "relu_prime": act.relu_prime,
}
# public function -> the plain arithmetic behind it, which layers, networks and dashboards call
PLAIN = {
    "sigmoid": act._sigmoid,
    "sigmoid_prime": act._sigmoid_prime,
    "tanh": np.tanh,
    "tanh_prime": act._tanh_prime,
    "relu": lambda z: np.maximum(z, 0.0),
    "relu_prime": lambda z: (z > 0).astype(np.float64),
}


# ---- derivatives against centered differences ------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", DERIVATIVES)
def test_derivative_matches_centered_differences(name, shape):
    f, f_prime, kinked = DERIVATIVES[name]
    z = sample(shape, np.random.default_rng(0), kinked)
    analytic = f_prime(z)
    assert np.shape(analytic) == shape
    assert max_rel_error(analytic, elementwise_difference(f, z)) < 1e-7


@pytest.mark.parametrize("C", [2, 3, 7])
def test_softmax_jacobian_vector_product_matches_centered_differences(C):
    rng = np.random.default_rng(C)
    z = rng.normal(size=C)
    v = rng.normal(size=C)  # an upstream gradient
    numeric = np.zeros(C)
    for j in range(C):
        step = np.zeros(C)
        step[j] = H
        numeric[j] = (act.softmax(z + step) @ v - act.softmax(z - step) @ v) / (2 * H)
    J = act.softmax_jacobian(z)
    assert J.shape == (C, C)
    assert max_rel_error(J.T @ v, numeric) < 1e-7


@pytest.mark.parametrize("C", [2, 5])
def test_softmax_jacobian_columns_match_centered_differences(C):
    z = np.random.default_rng(10 + C).normal(size=C)
    J = act.softmax_jacobian(z)
    for j in range(C):
        step = np.zeros(C)
        step[j] = H
        column = (act.softmax(z + step) - act.softmax(z - step)) / (2 * H)
        assert max_rel_error(J[:, j], column) < 1e-7


# ---- known values and identities --------------------------------------------------------


def test_sigmoid_known_values():
    assert act.sigmoid(0.0) == 0.5
    assert act.sigmoid(1.0) == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-15)
    assert act.sigmoid(-2.0) == pytest.approx(1 / (1 + math.exp(2)), rel=1e-15)


def test_sigmoid_prime_peaks_at_a_quarter_at_zero():
    assert act.sigmoid_prime(0.0) == 0.25
    z = np.linspace(-10, 10, 2001)  # contains 0 at index 1000
    s = act.sigmoid_prime(z)
    assert np.all(s <= 0.25)
    assert np.argmax(s) == 1000
    assert np.all(s[1:1001] > s[:1000]) and np.all(s[1001:] < s[1000:-1])


# Tiny |z| where exp(-|z|) rounds near 1: the tail-precise formulas must still respect the maxima.
NEAR_ZERO = np.concatenate(
    [np.linspace(-1e-6, 1e-6, 20001), [1.10696976e-11, -1.10696976e-11, 1e-20, 1e-300, 5e-324]]
)


def test_sigmoid_prime_never_exceeds_a_quarter_near_zero():
    assert np.all(act.sigmoid_prime(NEAR_ZERO) <= 0.25)


def test_tanh_prime_never_exceeds_one_near_zero():
    assert np.all(act.tanh_prime(NEAR_ZERO) <= 1.0)


def test_other_derivatives_known_values():
    assert act.tanh_prime(0.0) == 1.0
    assert act.relu_prime(0.0) == 0.0  # the documented convention
    assert act.relu_prime(2.0) == 1.0 and act.relu_prime(-2.0) == 0.0


def test_relu_known_values():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert np.array_equal(act.relu(z), [0.0, 0.0, 0.0, 0.5, 2.0])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_the_public_functions_give_the_numbers_of_their_plain_arithmetic(name):
    z = np.concatenate([np.linspace(-40, 40, 81), EXTREMES])
    assert np.array_equal(ELEMENTWISE[name](z), PLAIN[name](z))
    assert np.array_equal(act.softmax(z.reshape(7, -1), axis=0), act._softmax(z.reshape(7, -1), axis=0))


def test_sigmoid_symmetry_and_tanh_identity():
    z = np.linspace(-8, 8, 161)
    assert np.allclose(act.sigmoid(-z), 1 - act.sigmoid(z), rtol=0, atol=2**-51)
    assert np.allclose(act.tanh(z), 2 * act.sigmoid(2 * z) - 1, rtol=0, atol=1e-15)
    assert np.allclose(act.tanh(z), np.tanh(z), rtol=1e-15, atol=0)
    s, t = act.sigmoid(z), act.tanh(z)
    # The textbook forms s(1 - s) and 1 - t*t lose digits as s, |t| -> 1: compare absolutely,
    # and relatively against 1 / cosh(z)**2, which has no cancellation.
    assert np.allclose(act.sigmoid_prime(z), s * (1 - s), rtol=0, atol=2**-51)
    assert np.allclose(act.tanh_prime(z), 1 - t * t, rtol=0, atol=2**-51)
    assert np.allclose(act.tanh_prime(z), 1 / np.cosh(z) ** 2, rtol=1e-14, atol=0)


@pytest.mark.parametrize("z", [40.0, -40.0, 100.0, -300.0, 700.0, -700.0], ids=repr)
def test_sigmoid_prime_keeps_full_relative_precision_in_the_tails(z):
    # s * (1 - s) would give 0 for z > ~37; the true value is exp(-|z|) to 1e-17.
    assert act.sigmoid_prime(z) == pytest.approx(math.exp(-abs(z)), rel=1e-14, abs=0)


@pytest.mark.parametrize("z", [20.0, -20.0, 100.0, -300.0], ids=repr)
def test_tanh_prime_keeps_full_relative_precision_in_the_tails(z):
    # 1 - tanh(z)**2 would give 0 for |z| > ~19; the true value is 4 exp(-2|z|) to 1e-16.
    assert act.tanh_prime(z) == pytest.approx(4 * math.exp(-2 * abs(z)), rel=1e-14, abs=0)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4)], ids=str)
def test_softmax_sums_to_one_and_matches_the_definition(shape):
    z = np.random.default_rng(1).normal(scale=3.0, size=shape)
    p = act.softmax(z)
    assert p.shape == shape
    assert np.all(p > 0)
    assert np.allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-15)
    e = np.exp(z)
    assert np.allclose(p, e / e.sum(axis=-1, keepdims=True), rtol=1e-14, atol=0)


def test_softmax_along_another_axis():
    z = np.random.default_rng(2).normal(size=(3, 4))
    p = act.softmax(z, axis=0)
    assert np.allclose(p.sum(axis=0), 1.0, rtol=0, atol=1e-15)
    assert np.allclose(p, act.softmax(z.T).T, rtol=1e-15, atol=0)


def test_softmax_is_invariant_to_shifting_a_row():
    z = np.random.default_rng(3).normal(size=(3, 4))
    shifts = np.array([[100.0], [-50.0], [1e4]])  # one constant per row
    assert np.allclose(act.softmax(z + shifts), act.softmax(z), rtol=1e-10, atol=0)


def test_softmax_jacobian_is_symmetric_and_rows_sum_to_zero():
    J = act.softmax_jacobian(np.array([0.3, -1.2, 2.0, 0.0]))
    assert np.allclose(J, J.T, rtol=0, atol=1e-17)
    assert np.allclose(J.sum(axis=1), 0.0, rtol=0, atol=1e-16)


# ---- stability at extremes ------------------------------------------------------------

BIG = np.finfo(np.float64).max
EXTREMES = [1e4, -1e4, 1e300, -1e300, 709.0, -709.0, 710.0, -710.0, BIG, -BIG]


def _expected_at_extreme(name: str, z: float) -> float:
    """The exact limits, written out so the check cannot borrow the code under test."""
    positive = z > 0
    return {
        "sigmoid": 1.0 if positive else math.exp(z),  # exp(z) underflows to 0 for z <= -746
        "sigmoid_prime": math.exp(-abs(z)),
        "tanh": 1.0 if positive else -1.0,
        "tanh_prime": 0.0,
        "relu": z if positive else 0.0,
        "relu_prime": 1.0 if positive else 0.0,
    }[name]


@pytest.mark.parametrize("z", EXTREMES, ids=repr)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_functions_reach_their_limits_without_warnings(name, z):
    out = ELEMENTWISE[name](z)  # warnings are errors in this module
    assert math.isfinite(out)
    assert math.isclose(out, _expected_at_extreme(name, z), rel_tol=1e-12, abs_tol=0.0)


def test_sigmoid_exact_limits():
    assert act.sigmoid(-1e4) == 0.0
    assert act.sigmoid(1e4) == 1.0
    assert act.sigmoid_prime(1e4) == 0.0 and act.sigmoid_prime(-1e4) == 0.0


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_functions_on_an_array_of_extremes(name):
    z = np.array(EXTREMES)
    out = ELEMENTWISE[name](z)
    assert out.shape == z.shape
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize(
    "z",
    [[1e4, -1e4], [1e300, -1e300], [709.0, -709.0], [710.0, -710.0], [-710.0, 710.0]],
    ids=str,
)
def test_softmax_and_its_jacobian_at_extremes(z):
    p = act.softmax(np.array(z))
    expected = [1.0, 0.0] if z[0] > 0 else [0.0, 1.0]
    assert np.allclose(p, expected, rtol=0, atol=1e-300)
    J = act.softmax_jacobian(z)
    assert np.all(np.isfinite(J))
    assert np.allclose(J, 0.0, rtol=0, atol=1e-300)


def test_softmax_of_equal_huge_logits_is_uniform():
    assert np.array_equal(act.softmax(np.full(4, 1e300)), np.full(4, 0.25))


def test_softmax_of_the_largest_finite_logits():
    assert np.array_equal(act.softmax(np.array([BIG, -BIG])), [1.0, 0.0])


# ---- properties over every finite float -----------------------------------------------


@HYPOTHESIS
@given(finite_floats())
def test_activations_stay_in_range_for_any_finite_input(z):
    s = act.sigmoid(z)
    assert 0.0 <= s <= 1.0
    assert 0.0 <= act.sigmoid_prime(z) <= 0.25
    assert -1.0 <= act.tanh(z) <= 1.0
    assert 0.0 <= act.tanh_prime(z) <= 1.0
    assert act.relu(z) >= 0.0
    assert act.relu_prime(z) in (0.0, 1.0)
    # sigmoid(-z) = 1 - sigmoid(z), up to a few roundings
    assert abs(act.sigmoid(-z) - (1.0 - s)) <= 2**-51


@HYPOTHESIS
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5), elements=finite_floats()))
def test_sigmoid_of_any_finite_array_keeps_its_shape_and_range(z):
    s = act.sigmoid(z)
    assert s.shape == z.shape
    assert np.all((s >= 0.0) & (s <= 1.0))
    ds = act.sigmoid_prime(z)
    assert ds.shape == z.shape
    assert np.all((ds >= 0.0) & (ds <= 0.25))


@HYPOTHESIS
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(max_dims=2, max_side=6),
        elements=finite_floats(min_value=-1e300, max_value=1e300),
    )
)
def test_softmax_of_any_array_within_1e300_is_a_distribution(z):
    p = act.softmax(z)
    assert p.shape == z.shape
    assert np.all((p >= 0.0) & (p <= 1.0))
    assert np.allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


# ---- bad input; scalars in, floats out -------------------------------------------------

ALL_FUNCTIONS = {**ELEMENTWISE, "softmax": act.softmax, "softmax_jacobian": act.softmax_jacobian}

BAD_INPUTS = {
    "str": ("abc", "str"),
    "none": (None, "NoneType"),
    "ragged": ([[1.0, 2.0], [3.0]], "rectangular"),
    "complex": (1 + 2j, "complex"),
    "complex_array": (np.array([1 + 1j, 2.0]), "complex"),
    "bool_array": (np.array([True, False]), "bool"),
    "bool": (True, "bool"),
    "object": ({"a": 1.0}, "object"),
    "nan": (float("nan"), "NaN"),
    "nan_in_list": ([1.0, float("nan")], "NaN"),
    "inf": (float("inf"), "infinite"),
    "minus_inf_in_array": (np.array([[1.0], [-np.inf]]), "infinite"),
}


@pytest.mark.parametrize("bad", BAD_INPUTS)
@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_bad_input_raises_a_value_error_naming_z_and_what_came(name, bad):
    value, fragment = BAD_INPUTS[bad]
    with pytest.raises(ValueError) as info:
        ALL_FUNCTIONS[name](value)
    message = str(info.value)
    assert message.startswith("z:")
    assert fragment in message


def test_softmax_needs_an_axis_and_its_jacobian_a_vector():
    with pytest.raises(ValueError, match="scalar"):
        act.softmax(1.5)
    with pytest.raises(ValueError) as info:
        act.softmax_jacobian(np.ones((2, 3)))
    assert "1-d" in str(info.value) and "(2, 3)" in str(info.value)


@pytest.mark.parametrize("z", [0.5, -2, np.float64(0.5), np.int64(3)], ids=repr)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_a_scalar_in_gives_a_float_out(name, z):
    assert type(ELEMENTWISE[name](z)) is float


@pytest.mark.parametrize("shape", [(1,), (7,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_an_array_in_gives_a_float64_array_of_the_same_shape_and_is_not_modified(name, shape):
    z = np.random.default_rng(4).normal(size=shape)
    before = z.copy()
    out = ELEMENTWISE[name](z)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == shape
    assert np.array_equal(z, before)


@pytest.mark.parametrize("shape", [(0,), (0, 4), (3, 0)], ids=str)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_an_empty_array_is_refused_by_name(name, shape):
    expected = rf"^z: expected at least one entry, got an empty array of shape {re.escape(str(shape))}"
    with pytest.raises(ValueError, match=expected):
        ELEMENTWISE[name](np.zeros(shape))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_lists_and_int_arrays_are_accepted(name):
    f = ELEMENTWISE[name]
    from_list = f([[-1, 2], [3, -4]])
    assert from_list.shape == (2, 2) and from_list.dtype == np.float64
    assert np.array_equal(from_list, f(np.array([[-1.0, 2.0], [3.0, -4.0]])))
    assert np.array_equal(f(np.array([-1, 2])), f(np.array([-1.0, 2.0])))
