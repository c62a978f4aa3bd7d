"""Tests for bplib.gradcheck: centered differences, relative error and the gradient checker."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib.gradcheck import (
    DEFAULT_EPS,
    GradCheckResult,
    _numerical_gradient,  # the differences behind check_gradient
    check_gradient,
    check_gradient_params,
    numerical_derivative,
    numerical_gradient_params,
    relative_error,
)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def max_rel_error(analytic, numeric, floor=1e-8) -> float:
    """The worst |a - n| / max(|a| + |n|, floor); written here so gradcheck is not its own judge."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))


# ---- numerical_derivative --------------------------------------------------------


def test_numerical_derivative_of_cube_at_two_is_twelve():
    assert abs(numerical_derivative(lambda x: x**3, 2.0) - 12.0) < 1e-8


def test_numerical_derivative_returns_a_float_for_an_int_point():
    slope = numerical_derivative(math.sin, 0)
    assert type(slope) is float
    assert abs(slope - 1.0) < 1e-9


def test_centered_difference_error_is_second_order_and_beats_one_sided():
    def f(x):
        return x**3

    x, exact = 2.0, 12.0
    # (f(x+eps) - f(x-eps)) / (2 eps) = 3x^2 + eps^2 exactly for a cubic, so halving eps quarters the error;
    # the one-sided (f(x+eps) - f(x)) / eps = 3x^2 + 3x eps + eps^2 only halves it.
    centered = {eps: abs(numerical_derivative(f, x, eps=eps) - exact) for eps in (1e-2, 5e-3)}
    one_sided = {eps: abs((f(x + eps) - f(x)) / eps - exact) for eps in (1e-2, 5e-3)}
    assert centered[1e-2] / centered[5e-3] == pytest.approx(4.0, rel=1e-3)
    assert one_sided[1e-2] / one_sided[5e-3] == pytest.approx(2.0, rel=1e-2)
    for eps in (1e-2, 5e-3):
        assert centered[eps] == pytest.approx(eps * eps, rel=1e-3)
        assert centered[eps] < one_sided[eps] / 100


# ---- _numerical_gradient ----------------------------------------------------------


def test_numerical_gradient_of_a_scalar_function_matches_the_analytic_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    numeric = _numerical_gradient(lambda x: np.sum(np.sin(x) * x), x)
    assert numeric.shape == x.shape
    assert max_rel_error(np.cos(x) * x + np.sin(x), numeric) < 1e-7


def test_numerical_gradient_with_dout_is_the_vector_jacobian_product():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(4, 3))
    x = rng.normal(size=3)
    dout = rng.normal(size=4)
    numeric = _numerical_gradient(lambda x: A @ x, x, dout=dout)
    assert max_rel_error(A.T @ dout, numeric) < 1e-7


def test_numerical_gradient_leaves_its_input_unchanged_after_normal_use():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3))
    before = x.copy()
    _numerical_gradient(lambda x: np.sum(x**2), x)
    _numerical_gradient(lambda x: x * 3.0, x, dout=np.ones((2, 3)))
    assert np.array_equal(x, before)


class _Boom(Exception):
    pass


@pytest.mark.parametrize("failing_call", [1, 2, 5, 6, 12])
def test_numerical_gradient_restores_its_input_when_f_raises(failing_call):
    # Calls alternate x + eps, x - eps per entry: odd calls see an entry nudged up, even ones down.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3))
    before = x.copy()
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == failing_call:
            raise _Boom
        return np.sum(x)

    with pytest.raises(_Boom):
        _numerical_gradient(f, x)
    assert len(calls) == failing_call
    assert np.array_equal(x, before)


def test_numerical_gradient_sees_the_nudged_entry_only():
    x = np.zeros(3)
    seen = []

    def record(x):
        seen.append(x.copy())
        return 0.0

    _numerical_gradient(record, x, eps=0.25)
    expected = [
        np.array(v)
        for v in (
            [0.25, 0, 0],
            [-0.25, 0, 0],
            [0, 0.25, 0],
            [0, -0.25, 0],
            [0, 0, 0.25],
            [0, 0, -0.25],
        )
    ]
    assert len(seen) == len(expected)
    for got, want in zip(seen, expected, strict=True):
        assert np.array_equal(got, want)


def test_numerical_gradient_params_matches_analytic_gradients_of_a_quadratic_loss():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 3))  # (N, D)
    y = rng.normal(size=(5, 2))  # (N, 2)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    before = {name: p.copy() for name, p in params.items()}

    def loss():
        residual = x @ params["W"] + params["b"] - y  # (N, 2)
        return 0.5 * np.sum(residual**2)

    residual = x @ params["W"] + params["b"] - y
    analytic = {"W": x.T @ residual, "b": residual.sum(axis=0)}
    numeric = numerical_gradient_params(loss, params)
    assert set(numeric) == {"W", "b"}
    for name in params:
        assert numeric[name].shape == params[name].shape
        assert max_rel_error(analytic[name], numeric[name]) < 1e-7
        assert np.array_equal(params[name], before[name])


# ---- check_gradient and GradCheckResult ------------------------------------------


def _cube_sum(x):
    return np.sum(x**3) / 3.0  # gradient x**2


def test_check_gradient_passes_a_correct_gradient():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 2.0, size=(3, 4))
    result = check_gradient(_cube_sum, x, x**2)
    assert isinstance(result, GradCheckResult)
    assert result.passed and bool(result)
    assert result.max_rel_error < 1e-7
    assert result.tol == 1e-7
    assert "passed" in str(result) and "FAILED" not in str(result)


def test_check_gradient_reports_the_worst_entry():
    rng = np.random.default_rng(6)
    x = rng.uniform(0.5, 2.0, size=(3, 4))
    before = x.copy()
    analytic = x**2
    analytic[0, 3] *= 1.001  # a smaller mistake elsewhere must not be reported
    planted = x[1, 2] ** 2 + 0.5
    analytic[1, 2] = planted

    result = check_gradient(_cube_sum, x, analytic)

    assert result.where == (None, (1, 2))
    assert result.analytic == planted
    assert result.numeric == pytest.approx(x[1, 2] ** 2, rel=1e-8)
    assert result.max_rel_error == pytest.approx(0.5 / (2 * x[1, 2] ** 2 + 0.5), rel=1e-6)
    assert not result.passed and not result
    text = str(result)
    assert "FAILED" in text and "x[1, 2]" in text
    assert np.array_equal(x, before)


def test_check_gradient_checks_a_vector_jacobian_product_with_dout():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(4, 3))
    x = rng.normal(size=3)
    dout = rng.normal(size=4)
    assert check_gradient(lambda x: A @ x, x, A.T @ dout, dout=dout).passed
    wrong = check_gradient(lambda x: A @ x, x, A.T @ dout + np.array([0.0, 0.0, 1.0]), dout=dout)
    assert not wrong.passed
    assert wrong.where == (None, (2,))


def test_check_gradient_fails_and_points_at_a_nan_in_the_analytic_gradient():
    x = np.array([0.5, 1.0, 1.5])
    analytic = x**2
    analytic[1] = np.nan
    result = check_gradient(_cube_sum, x, analytic)
    assert not result.passed
    assert result.where == (None, (1,))
    assert math.isnan(result.max_rel_error)


def _logsumexp_case():
    rng = np.random.default_rng(0)
    x = rng.normal(scale=3.0, size=20)
    p = np.exp(x - x.max())
    p /= p.sum()  # d/dx log(sum(exp(x))) = softmax(x); some entries are ~1e-5
    assert p.min() < 1e-4  # the case is about entries below the floor
    return x, p


def test_check_gradient_passes_a_correct_gradient_with_small_entries():
    x, p = _logsumexp_case()
    assert check_gradient(lambda x: np.log(np.sum(np.exp(x))), x, p).passed


@pytest.mark.parametrize("error", [1e-9, 1e-7, 1e-6])
def test_check_gradient_still_catches_a_small_mistake_in_a_small_entry(error):
    x, p = _logsumexp_case()
    wrong = p.copy()
    smallest = int(np.argmin(p))
    wrong[smallest] += error  # far below the entry sizes a loose floor would hide
    result = check_gradient(lambda x: np.log(np.sum(np.exp(x))), x, wrong)
    assert not result.passed
    assert result.where == (None, (smallest,))


def test_check_gradient_params_names_the_parameter_and_index_of_the_worst_entry():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(4, 3))
    y = rng.normal(size=(4, 2))
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}

    def loss():
        return 0.5 * np.sum((x @ params["W"] + params["b"] - y) ** 2)

    residual = x @ params["W"] + params["b"] - y
    analytic = {"W": x.T @ residual, "b": residual.sum(axis=0)}
    assert check_gradient_params(loss, params, analytic).passed

    true_db1 = analytic["b"][1]
    analytic["b"] = analytic["b"].copy()
    analytic["b"][1] += 1.0
    result = check_gradient_params(loss, params, analytic)
    assert result.where == ("b", (1,))
    assert result.analytic == true_db1 + 1.0
    assert result.numeric == pytest.approx(true_db1, rel=1e-7)
    assert not result.passed
    assert "FAILED" in str(result) and "b[1]" in str(result)


# ---- reports that read the same on every computer --------------------------------------


def _roundoff_variants(value, count=20, seed=0):
    """`value` with each entry nudged by a few ulps, as another CPU's kernels might compute it."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield value * (1.0 + rng.integers(-4, 5, size=value.shape) * np.finfo(np.float64).eps)


def test_a_passing_report_does_not_depend_on_round_off():
    rng = np.random.default_rng(9)
    x = rng.uniform(0.5, 2.0, size=(3, 4))
    reports = {str(check_gradient(_cube_sum, x, g)) for g in _roundoff_variants(x**2)}
    assert reports == {"gradient check passed: max relative error < 1e-07 (the tolerance)"}


def test_a_failing_report_names_the_first_of_entries_that_tie_to_round_off():
    # Forgetting a factor 1/4 everywhere gives every entry the same relative error 3/5: which
    # one is "largest" is round-off, so the report must name the first, whatever the CPU.
    rng = np.random.default_rng(10)
    params = {"W": rng.uniform(0.5, 2.0, size=(2, 3)), "b": rng.uniform(0.5, 2.0, size=3)}

    def loss():
        return 0.25 * (np.sum(params["W"] ** 2) + np.sum(params["b"] ** 2))

    forgot_quarter = {"W": 2.0 * params["W"], "b": 2.0 * params["b"]}  # true: 0.5 * W, 0.5 * b
    reports = set()
    for seed in range(10):
        variant = {name: next(_roundoff_variants(g, 1, seed)) for name, g in forgot_quarter.items()}
        result = check_gradient_params(loss, params, variant)
        assert result.where == ("W", (0, 0))
        reports.add(str(result))
    assert len(reports) == 1
    assert reports.pop().startswith("gradient check FAILED: max relative error 6.00e-01 (tol 1e-07) at W[0, 0]")


# ---- relative_error ----------------------------------------------------------------


def test_relative_error_of_tiny_nearly_equal_numbers_is_small_thanks_to_the_floor():
    assert relative_error(1e-12, 3e-12) == pytest.approx(2e-12 / 1e-8)
    assert relative_error(1e-12, 3e-12) < 1e-3
    # Without a floor the same pair is a 50% mismatch.
    assert relative_error(1e-12, 3e-12, floor=1e-300) == pytest.approx(0.5)


def test_relative_error_of_zeros_is_zero():
    err = relative_error(np.zeros((2, 3)), np.zeros((2, 3)))
    assert err.shape == (2, 3)
    assert np.array_equal(err, np.zeros((2, 3)))


def test_relative_error_is_relative_above_the_floor_and_symmetric():
    a = np.array([1.0, -200.0, 3e-3])
    n = np.array([1.0 + 1e-9, -200.0 * (1 + 2e-9), 3e-3 * (1 + 4e-9)])
    err = relative_error(a, n)
    assert err == pytest.approx([0.5e-9, 1e-9, 2e-9], rel=1e-5)
    assert np.array_equal(err, relative_error(n, a))
    assert relative_error(1.0, -1.0) == 1.0


# ---- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "fragments"),
    [
        (np.arange(3), ("float64", "int")),
        (np.ones(3, dtype=np.float32), ("float64", "float32")),
        ([1.0, 2.0], ("float64", "list")),
        (1.5, ("float64", "float")),
    ],
)
def test_numerical_gradient_rejects_anything_but_a_float64_array(x, fragments):
    with pytest.raises(ValueError) as info:
        _numerical_gradient(lambda x: np.sum(x), x)
    message = str(info.value)
    assert message.startswith("x:")
    for fragment in fragments:
        assert fragment in message


def test_numerical_gradient_params_rejects_an_int_parameter():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient_params(lambda: 0.0, {"W": np.ones((2, 2), dtype=np.int64)})


def test_numerical_gradient_rejects_a_dout_of_the_wrong_shape():
    x = np.ones(3)
    with pytest.raises(ValueError) as info:
        _numerical_gradient(lambda x: 2.0 * x, x, dout=np.ones(4))
    assert "dout" in str(info.value) and "(3,)" in str(info.value) and "(4,)" in str(info.value)
    assert np.array_equal(x, np.ones(3))


def test_numerical_gradient_asks_for_dout_when_f_is_not_scalar():
    with pytest.raises(ValueError, match="dout"):
        _numerical_gradient(lambda x: 2.0 * x, np.ones(3))


def test_check_gradient_rejects_an_analytic_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError) as info:
        check_gradient(_cube_sum, np.ones(4), np.ones(3))
    assert "shape" in str(info.value) and "(4,)" in str(info.value) and "(3,)" in str(info.value)


def test_check_gradient_params_rejects_a_missing_parameter_gradient():
    params = {"W": np.ones((2, 2)), "b": np.ones(2)}
    with pytest.raises(ValueError) as info:
        check_gradient_params(lambda: 0.0, params, {"W": np.zeros((2, 2))})
    assert "missing" in str(info.value) and "'b'" in str(info.value)


def test_relative_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.ones(3), np.ones(4))


BAD_STEPS = [0, 0.0, -1e-5, 1.0, 2, float("nan"), float("inf"), True, "1e-5", None]


@pytest.mark.parametrize("eps", BAD_STEPS, ids=repr)
def test_every_function_rejects_a_step_outside_zero_to_one(eps):
    calls = [
        lambda: numerical_derivative(math.sin, 0.0, eps=eps),
        lambda: _numerical_gradient(np.sum, np.ones(2), eps=eps),
        lambda: numerical_gradient_params(lambda: 0.0, {"W": np.ones(2)}, eps=eps),
        lambda: check_gradient(np.sum, np.ones(2), np.ones(2), eps=eps),
    ]
    for call in calls:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value).startswith("eps:") and repr(eps) in str(info.value)


def test_default_step_is_in_range():
    assert 0 < DEFAULT_EPS < 1e-3
