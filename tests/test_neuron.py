"""Tests for bplib.neuron: one sigmoid neuron, its delta-rule gradients, training paths and loss surface."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib import neuron
from bplib.activations import sigmoid
from bplib.gradcheck import check_gradient
from bplib.neuron import (
    DIVERGENCE_BOUND,
    TrainingHistory,
    delta_rule_update,
    loss_surface,
    neuron_forward,
    neuron_gradients,
    neuron_loss,
    train_batch,
    train_online,
)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


TRUE_W = np.array([1.5, -2.0])
TRUE_B = 0.3


def realizable_data(n=20, seed=0):
    """Inputs (n, 2) and targets the neuron can fit exactly, with w = TRUE_W, b = TRUE_B."""
    x = np.random.default_rng(seed).normal(size=(n, 2))
    return x, sigmoid(x @ TRUE_W + TRUE_B)


# ---- forward, loss and gradients by hand ------------------------------------------------


def test_forward_and_loss_match_the_formulas_on_a_worked_example():
    x = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    w = np.array([0.5, -0.25])
    b = 0.1
    y = np.array([1.0, 0.0, 1.0])
    z = np.array([1.0 * 0.5 + 2.0 * -0.25 + 0.1, 0.0 + 0.25 + 0.1, 1.5 - 0.125 + 0.1])
    a = 1.0 / (1.0 + np.exp(-z))

    got = neuron_forward(x, w, b)
    assert got.shape == (3,)
    assert got == pytest.approx(a, rel=1e-15)
    assert neuron_loss(x, y, w, b) == pytest.approx(((a - y) ** 2).sum() / (2 * 3), rel=1e-14)
    assert isinstance(neuron_loss(x, y, w, b), float)


def test_gradients_at_zero_weights_are_the_hand_computed_deltas():
    # a = sigma(0) = 1/2 for both examples, so a (1 - a) = 1/4 and delta = (a - y) / 4.
    x = np.array([[1.0, 2.0], [-3.0, 4.0]])
    y = np.array([1.0, 0.0])
    delta = np.array([(0.5 - 1.0) / 4, (0.5 - 0.0) / 4])  # -0.125, 0.125
    dw, db = neuron_gradients(x, y, np.zeros(2), 0.0)
    assert dw.shape == (2,)
    assert np.array_equal(dw, (x.T @ delta) / 2)  # [-0.25, 0.125]
    assert np.array_equal(dw, np.array([-0.25, 0.125]))
    assert db == 0.0
    assert isinstance(db, float)


@pytest.mark.parametrize(("seed", "scale"), [(0, 0.5), (1, 1.0), (2, 2.0), (3, 3.0)])
def test_gradients_match_centered_differences(seed, scale):
    rng = np.random.default_rng(seed)
    n, d = 7, 3
    x = rng.normal(size=(n, d))
    y = rng.uniform(size=n)
    w = rng.normal(scale=scale, size=d)  # larger scales push some examples towards saturation
    b = float(rng.normal())
    dw, db = neuron_gradients(x, y, w, b)

    def loss(theta):
        return neuron_loss(x, y, theta[:d], theta[d])

    result = check_gradient(loss, np.append(w, b), np.append(dw, db))
    assert result.passed, str(result)


def test_gradient_check_catches_a_delta_without_the_sigmoid_derivative():
    # The mistake chapter 03 warns about; the checker must see it at these tolerances.
    x, y = realizable_data(n=6, seed=4)
    w, b = np.array([0.2, 0.4]), -0.1
    a = sigmoid(x @ w + b)
    wrong_delta = a - y
    wrong = np.append(x.T @ wrong_delta / len(y), wrong_delta.mean())
    assert not check_gradient(lambda t: neuron_loss(x, y, t[:2], t[2]), np.append(w, b), wrong).passed


def test_a_perfect_fit_has_zero_loss_and_zero_gradient():
    x, y = realizable_data()
    assert neuron_loss(x, y, TRUE_W, TRUE_B) == 0.0
    dw, db = neuron_gradients(x, y, TRUE_W, TRUE_B)
    assert np.array_equal(dw, np.zeros(2)) and db == 0.0


def test_delta_rule_update_is_one_gradient_step_and_leaves_its_inputs_alone():
    x, y = realizable_data(seed=5)
    w = np.array([0.1, 0.2])
    w_before = w.copy()
    dw, db = neuron_gradients(x, y, w, -0.4)
    w_new, b_new = delta_rule_update(x, y, w, -0.4, lr=0.5)
    assert np.array_equal(w_new, w - 0.5 * dw)
    assert b_new == -0.4 - 0.5 * db
    assert np.array_equal(w, w_before)
    assert neuron_loss(x, y, w_new, b_new) < neuron_loss(x, y, w, -0.4)


# ---- training ------------------------------------------------------------------------------


def test_train_batch_records_every_step_of_the_delta_rule():
    x, y = realizable_data(seed=6)
    w0 = np.array([0.0, 0.5])
    history = train_batch(x, y, w0, 0.2, lr=2.0, epochs=5)

    assert isinstance(history, TrainingHistory)
    assert history.weights.shape == (6, 2)
    assert history.biases.shape == (6,)
    assert history.losses.shape == (6,)
    assert history.steps == 5
    assert np.array_equal(w0, np.array([0.0, 0.5]))  # the start is copied, not trained in place
    w, b = w0, 0.2
    for k in range(6):
        assert np.array_equal(history.weights[k], w)
        assert history.biases[k] == b
        assert history.losses[k] == neuron_loss(x, y, w, b)
        w, b = delta_rule_update(x, y, w, b, 2.0)
    assert history.status == "running"
    assert history.diverged_at is None


def test_train_batch_converges_on_realizable_data_and_finds_the_weights():
    x, y = realizable_data(seed=7)
    history = train_batch(x, y, np.zeros(2), 0.0, lr=5.0, epochs=1500)
    assert history.status == "converged"
    above_roundoff = history.losses > 1e-20  # below, the loss is rounding noise of order eps**2
    assert np.all(np.diff(history.losses[above_roundoff]) <= 0)  # a small enough lr never goes uphill here
    assert history.weights[-1] == pytest.approx(TRUE_W, abs=1e-5)
    assert history.biases[-1] == pytest.approx(TRUE_B, abs=1e-5)


def test_train_batch_with_zero_epochs_is_just_the_start():
    x, y = realizable_data()
    history = train_batch(x, y, np.ones(2), 0.5, lr=1.0, epochs=0)
    assert history.weights.shape == (1, 2) and history.steps == 0
    assert history.losses[0] == neuron_loss(x, y, np.ones(2), 0.5)


def test_train_online_in_fixed_order_steps_through_the_examples_one_by_one():
    x, y = realizable_data(n=5, seed=8)
    history = train_online(x, y, np.zeros(2), 0.0, lr=0.7, epochs=2)
    assert history.weights.shape == (11, 2)
    assert history.losses.shape == (11,)
    w, b = np.zeros(2), 0.0
    for k in range(10):
        n = k % 5
        w, b = delta_rule_update(x[n : n + 1], y[n : n + 1], w, b, 0.7)
        assert np.array_equal(history.weights[k + 1], w)
        assert history.biases[k + 1] == b
        assert history.losses[k + 1] == neuron_loss(x, y, w, b)  # on the full data, not the one example


def test_train_online_with_a_generator_shuffles_each_epoch_reproducibly():
    x, y = realizable_data(n=6, seed=9)
    history = train_online(x, y, np.zeros(2), 0.0, lr=0.7, epochs=3, rng=np.random.default_rng(42))
    again = train_online(x, y, np.zeros(2), 0.0, lr=0.7, epochs=3, rng=np.random.default_rng(42))
    fixed = train_online(x, y, np.zeros(2), 0.0, lr=0.7, epochs=3)
    assert np.array_equal(history.weights, again.weights)
    assert not np.array_equal(history.weights, fixed.weights)

    order_rng = np.random.default_rng(42)
    orders = [order_rng.permutation(6) for _ in range(3)]
    assert not all(np.array_equal(order, orders[0]) for order in orders[1:])  # really reshuffled
    w, b = np.zeros(2), 0.0
    for n in np.concatenate(orders):
        w, b = delta_rule_update(x[n : n + 1], y[n : n + 1], w, b, 0.7)
    assert np.array_equal(history.weights[-1], w)


def test_train_online_converges_on_realizable_data():
    x, y = realizable_data(seed=10)
    history = train_online(x, y, np.zeros(2), 0.0, lr=1.0, epochs=150, rng=np.random.default_rng(0))
    assert history.status == "converged"
    assert history.weights[-1] == pytest.approx(TRUE_W, abs=1e-4)


@pytest.mark.parametrize("lr", [1e7, 1e300, 1e308])
@pytest.mark.parametrize("trainer", [train_batch, train_online])
def test_a_huge_learning_rate_is_reported_as_diverged_without_warnings_or_nans(trainer, lr):
    # 1e308 * a gradient of order 10 overflows to inf: that must be caught, not warned about.
    x, y = realizable_data(seed=11)
    history = trainer(x * 10, y, np.zeros(2), 0.0, lr=lr, epochs=5)
    assert history.status == "diverged"
    assert history.diverged_at == 1
    assert history.weights.shape == (1, 2)
    assert history.losses.shape == (1,)
    assert np.all(np.isfinite(history.weights)) and np.all(np.isfinite(history.losses))


def test_divergence_is_detected_at_the_step_that_crosses_the_bound():
    # Online, fixed order. Step 1 (x = 0) only nudges the bias, to b = lr * 0.025 with a = 1/2.
    # Step 2 sees x = 1e7 while z is still near 0: dw = 1e7 * delta, about 1.25e6 > the bound.
    x = np.array([[0.0], [1e7]])
    y = np.array([0.6, 0.0])
    history = train_online(x, y, np.zeros(1), 0.0, lr=1.0, epochs=3)
    assert history.status == "diverged"
    assert history.diverged_at == 2
    assert history.weights.shape == (2, 1)  # the start and step 1; step 2 is not recorded
    assert history.biases[1] == pytest.approx(0.025, rel=1e-12)
    w_next, _ = delta_rule_update(x[1:], y[1:], history.weights[1], history.biases[1], 1.0)
    assert abs(w_next[0]) > DIVERGENCE_BOUND
    assert np.all(np.abs(history.weights) <= DIVERGENCE_BOUND)


def test_a_learning_rate_just_below_divergence_keeps_running():
    x = np.array([[0.0], [1e7]])
    y = np.array([0.6, 0.0])
    # Same set-up, but the second step lands inside the bound: nothing is cut short.
    history = train_online(x, y, np.zeros(1), 0.0, lr=0.5, epochs=1)
    assert history.status != "diverged"
    assert history.diverged_at is None
    assert history.weights.shape == (3, 1)


# ---- the loss surface ------------------------------------------------------------------------


def test_loss_surface_matches_neuron_loss_at_every_grid_point_in_meshgrid_layout():
    x, y = realizable_data(n=9, seed=12)
    w1_grid = np.linspace(-3, 3, 5)
    w2_grid = np.linspace(-4, 2, 4)  # a different length catches a transposed result
    surface = loss_surface(x, y, w1_grid, w2_grid, b=TRUE_B)
    assert surface.shape == (4, 5)
    for i, w2 in enumerate(w2_grid):
        for j, w1 in enumerate(w1_grid):
            assert surface[i, j] == pytest.approx(neuron_loss(x, y, np.array([w1, w2]), TRUE_B), rel=1e-13)


def test_loss_surface_is_lowest_at_the_true_weights():
    x, y = realizable_data(seed=13)
    w1_grid = np.linspace(-3, 3, 61)  # step 0.1, contains 1.5
    w2_grid = np.linspace(-4, 2, 61)  # contains -2.0
    surface = loss_surface(x, y, w1_grid, w2_grid, b=TRUE_B)
    i, j = np.unravel_index(np.argmin(surface), surface.shape)
    assert w1_grid[j] == pytest.approx(1.5) and w2_grid[i] == pytest.approx(-2.0)


def test_the_plain_arithmetic_takes_many_weight_vectors_at_once():
    # what the delta-rule dashboard calls (bplib.widgets.delta_rule): a whole descent path's losses in one
    # call, and the gradients of K runs per call (weights (D, K), targets (N, 1))
    x, y = realizable_data(n=7, seed=14)
    weights = np.random.default_rng(15).normal(size=(5, 2))  # (K, D)
    np.testing.assert_allclose(neuron._losses(x, y, weights, TRUE_B),
                               [neuron_loss(x, y, w, TRUE_B) for w in weights], rtol=1e-13)
    dw, _ = neuron._gradients(x, y[:, None], weights.T, TRUE_B)  # (D, K)
    np.testing.assert_allclose(dw.T, [neuron_gradients(x, y, w, TRUE_B)[0] for w in weights], rtol=1e-13)


# ---- bad input -------------------------------------------------------------------------------


X2 = np.ones((3, 2))
Y3 = np.zeros(3)


@pytest.mark.parametrize(
    ("call", "fragments"),
    [
        (lambda: neuron_forward(np.ones(3), np.ones(3), 0.0), ("x:", "(N, D)", "(3,)")),
        (lambda: neuron_forward(np.ones((0, 2)), np.ones(2), 0.0), ("x:", "(0, 2)")),
        (lambda: neuron_forward(X2, np.ones(3), 0.0), ("x:", "(N, 3)", "(3, 2)")),
        (lambda: neuron_forward(X2, np.ones((2, 1)), 0.0), ("w:", "(D,)", "(2, 1)")),
        (lambda: neuron_forward(X2, np.ones(2), np.ones(2)), ("b:", "scalar", "(2,)")),
        (lambda: neuron_forward([[1.0, np.nan]], np.ones(2), 0.0), ("x:", "finite")),
        (lambda: neuron_forward("x", np.ones(2), 0.0), ("x:", "str")),
        (lambda: neuron_loss(X2, np.zeros(2), np.ones(2), 0.0), ("y:", "(3,)", "(2,)")),
        (lambda: neuron_gradients(X2, np.zeros((3, 1)), np.ones(2), 0.0), ("y:", "(3,)", "(3, 1)")),
        (lambda: delta_rule_update(X2, Y3, np.ones(2), 0.0, lr=0), ("lr:", "> 0", "0")),
        (lambda: delta_rule_update(X2, Y3, np.ones(2), 0.0, lr=-0.1), ("lr:", "-0.1")),
        (lambda: train_batch(X2, Y3, np.ones(2), 0.0, lr=math.nan, epochs=3), ("lr:", "nan")),
        (lambda: train_batch(X2, Y3, np.ones(2), 0.0, lr=True, epochs=3), ("lr:", "True")),
        (lambda: train_batch(X2, Y3, np.ones(2), 0.0, lr="0.1", epochs=3), ("lr:", "'0.1'")),
        (lambda: train_batch(X2, Y3, np.ones(2), 0.0, lr=0.1, epochs=-1), ("epochs:", "-1")),
        (lambda: train_batch(X2, Y3, np.ones(2), 0.0, lr=0.1, epochs=2.5), ("epochs:", "2.5")),
        (lambda: train_batch(X2, Y3, np.ones(2), 0.0, lr=0.1, epochs=3, grad_tol=0), ("grad_tol:",)),
        (lambda: train_online(X2, Y3, np.ones(2), 0.0, lr=0.1, epochs=3, rng=0), ("rng:", "Generator", "0")),
        (lambda: train_batch([[1e300, 1e300]], [0.0], [1e300, 1e300], 0.0, 0.1, 3), ("w0, b0:", "finite")),
        (lambda: loss_surface(np.ones((3, 3)), Y3, [0.0], [0.0], 0.0), ("x:", "(N, 2)", "(3, 3)")),
        (lambda: loss_surface(X2, Y3, np.ones((2, 2)), [0.0], 0.0), ("w1_grid:", "1-d", "(2, 2)")),
        (lambda: loss_surface(X2, Y3, [0.0], [], 0.0), ("w2_grid:", "(0,)")),
        (lambda: loss_surface(X2, Y3, [0.0], [0.0], [0.0, 1.0]), ("b:", "(2,)")),
    ],
)
def test_bad_input_raises_a_value_error_naming_expected_and_got(call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
