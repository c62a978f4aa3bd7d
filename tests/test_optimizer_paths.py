"""Tests for bplib.experiments.optimizer_paths: the ill-conditioned quadratic and optimizers' paths on it.

The gradient is checked against centered differences; the paths against their closed forms and
recurrences, and the critical learning rate against runs just below and just above it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib.experiments import optimizer_paths as op
from bplib.gradcheck import check_gradient


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_quadratic_loss_and_gradient():
    w = np.array([0.7, -1.3])
    assert op.quadratic_loss(w) == pytest.approx(0.5 * (0.7**2 + 50 * 1.3**2), rel=1e-15)
    result = check_gradient(lambda w_: op.quadratic_loss(w_, (2.0, 30.0)), w.copy(), op.quadratic_grad(w, (2.0, 30.0)))
    assert result.passed, str(result)
    grid = np.zeros((3, 4, 2))
    grid[..., 0] = 1.0
    np.testing.assert_allclose(op.quadratic_loss(grid), np.full((3, 4), 0.5), rtol=1e-15)


@pytest.mark.parametrize("lr", [0.01, 0.03, 0.039])
def test_sgd_path_is_the_closed_form(lr):
    path = op.optimizer_path("sgd", lr, steps=40)
    t = np.arange(41)[:, None]
    expected = (1.0 - lr * np.array(op.CURVATURE)) ** t * np.array(op.START)  # w_i,t = (1 - lr c_i)^t w_i,0
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(("lr", "beta"), [(0.02, 0.5), (0.035, 0.7), (0.07, 0.9)])
def test_momentum_path_is_the_heavy_ball_recurrence(lr, beta):
    path = op.optimizer_path("momentum", lr, beta, start=(1.0, -2.0), steps=30, curvature=(2.0, 20.0))
    w, v = np.array([1.0, -2.0]), np.zeros(2)
    expected = [w]
    for _ in range(30):
        v = beta * v - lr * np.array([2.0, 20.0]) * w
        w = w + v
        expected.append(w)
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_the_critical_learning_rate_separates_converging_from_diverging(beta):
    critical = op.critical_lr(op.CURVATURE, beta)
    assert critical == pytest.approx(2 * (1 + beta) / 50)
    name = "sgd" if beta == 0 else "momentum"
    below = op.optimizer_path(name, 0.97 * critical, beta, steps=3000)
    above = op.optimizer_path(name, 1.03 * critical, beta, steps=3000)
    assert op.diverged_at(below) is None and op.steps_to_tolerance(below) is not None
    assert op.diverged_at(above) is not None and op.steps_to_tolerance(above) is None


def test_divergence_fills_the_rest_of_the_path_with_nan():
    path = op.optimizer_path("sgd", 0.1, steps=50)
    k = op.diverged_at(path)
    assert k is not None and 1 <= k <= 50
    assert np.all(np.isfinite(path[:k])) and np.all(np.isnan(path[k:]))
    assert np.max(np.abs(path[k - 1])) <= 1e6
    # the step that was refused would have left the bound: (1 - 0.1 * 50) = -4 per step along w2
    assert abs(path[k - 1, 1] * (1 - 0.1 * 50)) > 1e6


def test_steps_to_tolerance_is_the_first_close_point():
    path = np.array([[3.0, 0.0], [0.5, 0.0], [0.0, 0.009], [0.0, 0.02], [0.0, 0.0]])
    assert op.steps_to_tolerance(path, 0.01) == 2
    assert op.steps_to_tolerance(path, 1.0) == 1
    assert op.steps_to_tolerance(path[:2], 0.01) is None
    assert op.steps_to_tolerance(np.array([[1.0, 1.0], [np.nan, np.nan]]), 0.1) is None


def test_momentum_beats_sgd_on_the_ill_conditioned_bowl():
    sgd = op.steps_to_tolerance(op.optimizer_path("sgd", 2 / 51, steps=1000))  # SGD's best lr, 2 / (c1 + c2)
    momentum = op.steps_to_tolerance(op.optimizer_path("momentum", 0.035, 0.7, steps=1000))
    assert momentum is not None and sgd is not None and 3 * momentum < sgd


def test_adam_and_rprop_paths():
    rprop = op.optimizer_path("rprop", 0.1, steps=300)
    np.testing.assert_allclose(rprop[1], np.array(op.START) + 0.1 * np.array([1.0, -1.0]), rtol=1e-12)  # step_init
    adam = op.optimizer_path("adam", 0.1, 0.9, steps=300)
    np.testing.assert_allclose(adam[1], np.array(op.START) + 0.1 * np.array([1.0, -1.0]), rtol=1e-6)  # ~lr * sign
    assert op.steps_to_tolerance(rprop) is not None and op.steps_to_tolerance(adam) is not None


def test_paths_leave_their_inputs_alone():
    start = np.array([1.0, 2.0])
    op.optimizer_path("momentum", 0.01, 0.9, start=start, steps=5)
    np.testing.assert_array_equal(start, [1.0, 2.0])
    assert op.optimizer_path("sgd", 0.01, steps=1).shape == (2, 2)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: op.quadratic_loss([1.0, 2.0, 3.0]), "w"),
    (lambda: op.quadratic_loss([1.0, 2.0], (1.0, 0.0)), "curvature"),
    (lambda: op.quadratic_grad([[1.0, 2.0]]), "w"),
    (lambda: op.critical_lr(op.CURVATURE, 1.0), "beta"),
    (lambda: op.critical_lr(op.CURVATURE, math.nan), "beta"),
    (lambda: op.optimizer_path("nesterov", 0.1), "optimizer_name"),
    (lambda: op.optimizer_path("sgd", 0.0), "lr"),
    (lambda: op.optimizer_path("sgd", math.nan), "lr"),
    (lambda: op.optimizer_path("momentum", 0.1, beta=1.0), "beta"),
    (lambda: op.optimizer_path("momentum", 0.1, beta=True), "beta"),
    (lambda: op.optimizer_path("sgd", 0.1, steps=0), "steps"),
    (lambda: op.optimizer_path("sgd", 0.1, steps=2.0), "steps"),
    (lambda: op.optimizer_path("sgd", 0.1, start=(1.0, 2.0, 3.0)), "start"),
    (lambda: op.steps_to_tolerance(np.ones((3, 3))), "path"),
    (lambda: op.steps_to_tolerance(np.ones((3, 2)), tol=0.0), "tol"),
    (lambda: op.diverged_at(np.ones(4)), "path"),
])
def test_bad_input_raises_a_value_error_naming_it(call, match):
    with pytest.raises(ValueError, match=match):
        call()
