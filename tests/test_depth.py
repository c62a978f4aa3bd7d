"""Tests for bplib.depth: the deep probe network, its gradient norms and bound, and optimizer paths.

Every backward quantity is checked against centered differences in float64 (relative error
< 1e-7): delta^l by nudging z^l and running the layers above, dW^l and dx through the probe's
loss. The paths on the quadratic are compared with their closed forms and recurrences.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib import activations as act
from bplib import depth as dp
from bplib.gradcheck import check_gradient, check_gradient_params
from bplib.layers import init_std

FUNCTIONS = {"sigmoid": (act.sigmoid, act.sigmoid_prime), "tanh": (act.tanh, act.tanh_prime),
             "relu": (act.relu, act.relu_prime)}


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def small_net(widths, activation, seed=0, N=3):
    """x: (N, widths[0]), weights W^l: (widths[l-1], widths[l]), dout: (N, widths[-1])."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, widths[0]))
    weights = [rng.normal(scale=1.0 / np.sqrt(a), size=(a, b)) for a, b in zip(widths[:-1], widths[1:], strict=True)]
    dout = rng.normal(size=(N, widths[-1]))
    return x, weights, dout


def smooth_net(widths, activation, seed):
    """small_net with the first seed from `seed` on whose pre-activations all keep |z| > 1e-3: finite
    differences across relu's kink at 0 (e.g. a row whose units are all off gives z = 0) measure no derivative."""
    for attempt in range(seed, seed + 100):
        x, weights, dout = small_net(widths, activation, seed=attempt)
        if all(np.min(np.abs(z)) > 1e-3 for z in dp.deep_forward(x, weights, activation).zs):
            return x, weights, dout
    raise AssertionError("no seed without a kink")


def loss_from_layer(k, z, weights, activation, dout):
    """The probe's loss computed from z^(k+1) (index k) upwards: what delta^(k+1) is the gradient of."""
    f = FUNCTIONS[activation][0]
    a = f(z)
    for W in weights[k + 1:]:
        a = f(a @ W)
    return float(np.sum(dout * a))


WIDTHS = [(4, 5, 3, 6), (3, 3, 3, 3, 3), (5, 2), (2, 7, 7, 4, 3, 5)]


# ---- forward and backward -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", dp.ACTIVATIONS)
def test_deep_forward_is_the_layer_loop(activation):
    x, weights, _ = small_net((4, 5, 3, 6), activation)
    forward = dp.deep_forward(x, weights, activation)
    f = FUNCTIONS[activation][0]
    a = x
    assert len(forward.zs) == 3 and len(forward.activations) == 4
    np.testing.assert_array_equal(forward.activations[0], x)
    for k, W in enumerate(weights):
        z = a @ W
        a = f(z)
        np.testing.assert_allclose(forward.zs[k], z, rtol=1e-15, atol=0)
        np.testing.assert_allclose(forward.activations[k + 1], a, rtol=1e-15, atol=0)


@pytest.mark.parametrize("widths", WIDTHS, ids=["-".join(map(str, w)) for w in WIDTHS])
@pytest.mark.parametrize("activation", dp.ACTIVATIONS)
def test_every_delta_matches_centered_differences_in_z(activation, widths):
    x, weights, dout = smooth_net(widths, activation, seed=len(widths))
    forward = dp.deep_forward(x, weights, activation)
    deltas = dp.backprop_deltas(weights, forward.zs, dout, activation)
    assert [d.shape for d in deltas] == [z.shape for z in forward.zs]
    for k, z in enumerate(forward.zs):
        result = check_gradient(lambda z_, k=k: loss_from_layer(k, z_, weights, activation, dout), z.copy(), deltas[k])
        assert result.passed, f"layer {k + 1}: {result}"


@pytest.mark.parametrize("widths", WIDTHS, ids=["-".join(map(str, w)) for w in WIDTHS])
@pytest.mark.parametrize("activation", dp.ACTIVATIONS)
def test_weight_gradients_and_dx_match_centered_differences(activation, widths):
    x, weights, dout = smooth_net(widths, activation, seed=10 + len(widths))
    params = {f"W{k + 1}": W.copy() for k, W in enumerate(weights)}
    forward = dp.deep_forward(x, list(params.values()), activation)
    deltas = dp.backprop_deltas(list(params.values()), forward.zs, dout, activation)
    dWs = dp.weight_gradients(forward.activations, deltas)
    result = check_gradient_params(lambda: dp.probe_loss(x, list(params.values()), activation, dout), params,
                                   {f"W{k + 1}": dW for k, dW in enumerate(dWs)})
    assert result.passed, str(result)
    dx = deltas[0] @ weights[0].T  # (N, D)
    result = check_gradient(lambda x_: dp.probe_loss(x_, weights, activation, dout), x.copy(), dx)
    assert result.passed, str(result)


def test_probe_loss_is_linear_in_the_top_activation():
    x, weights, dout = small_net((3, 4, 2), "tanh")
    top = dp.deep_forward(x, weights, "tanh").activations[-1]
    assert dp.probe_loss(x, weights, "tanh", dout) == pytest.approx(float(np.sum(dout * top)), rel=1e-15)


def test_delta_norms_are_the_frobenius_norms_in_layer_order():
    x, weights, dout = small_net((4, 5, 3, 6), "sigmoid")
    forward = dp.deep_forward(x, weights, "sigmoid")
    deltas = dp.backprop_deltas(weights, forward.zs, dout, "sigmoid")
    norms = dp.delta_norms(weights, forward.zs, dout, "sigmoid")
    assert norms.shape == (3,)
    np.testing.assert_allclose(norms, [np.sqrt(np.sum(d * d)) for d in deltas], rtol=1e-14)
    # the top layer's delta is dout times sigma'(z_top), entry by entry
    np.testing.assert_allclose(deltas[-1], dout * act.sigmoid_prime(forward.zs[-1]), rtol=1e-15)


def test_a_single_layer_is_just_the_slope():
    x, weights, dout = small_net((3, 4), "relu")
    forward = dp.deep_forward(x, weights, "relu")
    (delta,) = dp.backprop_deltas(weights, forward.zs, dout, "relu")
    np.testing.assert_array_equal(delta, dout * (forward.zs[0] > 0))


# ---- the bound ----------------------------------------------------------------------------------------


def test_gradient_bound_is_the_product_of_slopes_and_spectral_norms():
    weights = [np.diag([3.0, 1.0]), np.diag([0.5, 2.0]), np.array([[0.0, 4.0], [1.0, 0.0]])]
    bound = dp.gradient_bound(weights, [0.5, 0.25, 0.1], dout_norm=2.0)
    # layer 3: 2 * 0.1; layer 2: 2 * 0.1 * ||W3|| (4) * 0.25; layer 1: that * ||W2|| (2) * 0.5
    np.testing.assert_allclose(bound, [2 * 0.1 * 4 * 0.25 * 2 * 0.5, 2 * 0.1 * 4 * 0.25, 2 * 0.1], rtol=1e-12)
    np.testing.assert_allclose(dp.gradient_bound(weights, 0.25), [0.25**3 * 4 * 2, 0.25**2 * 4, 0.25], rtol=1e-12)


@pytest.mark.parametrize("activation", dp.ACTIVATIONS)
@pytest.mark.parametrize("init", ["xavier", "he", "normal"])
@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])
def test_the_bound_holds_for_every_layer(activation, init, scale):
    probe = dp.depth_probe(8, 16, activation, init, scale, np.random.default_rng(3), N=8)
    assert probe.finite
    assert np.all(probe.delta_norms <= probe.bound * (1 + 1e-12))
    # the textbook bound with the activation's largest slope anywhere is looser still
    loose = dp.gradient_bound(probe.weights, dp.MAX_SLOPE[activation])
    assert np.all(probe.bound <= loose * (1 + 1e-12))
    assert np.all(probe.max_slopes <= dp.MAX_SLOPE[activation])


def test_sigmoid_bound_shrinks_by_a_quarter_times_the_weight_norm_per_layer():
    weights = dp.deep_weights(6, 10, np.random.default_rng(1))
    bound = dp.gradient_bound(weights, dp.MAX_SLOPE["sigmoid"])
    spectral = [np.linalg.norm(W, 2) for W in weights]
    for k in range(5):
        assert bound[k] / bound[k + 1] == pytest.approx(0.25 * spectral[k + 1], rel=1e-12)


# ---- the probe ------------------------------------------------------------------------------------------


def test_depth_probe_draws_x_dout_then_weights():
    probe = dp.depth_probe(5, 7, "tanh", "xavier", 1.0, np.random.default_rng(4), N=6)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 7))
    dout = rng.standard_normal((6, 7))
    dout /= np.linalg.norm(dout)
    weights = dp.deep_weights(5, 7, rng, "xavier", 1.0)
    forward = dp.deep_forward(x, weights, "tanh")
    deltas = dp.backprop_deltas(weights, forward.zs, dout, "tanh")
    np.testing.assert_allclose(probe.delta_norms, [np.linalg.norm(d) for d in deltas], rtol=1e-14)
    np.testing.assert_allclose(probe.weight_grad_norms,
                               [np.linalg.norm(a.T @ d) for a, d in zip(forward.activations[:-1], deltas, strict=True)],
                               rtol=1e-14)
    np.testing.assert_allclose(probe.z_rms, [np.sqrt(np.mean(z**2)) for z in forward.zs], rtol=1e-14)
    np.testing.assert_allclose(probe.activation_stds, [np.std(a) for a in forward.activations[1:]], rtol=1e-14)
    np.testing.assert_allclose(probe.max_slopes, [np.max(act.tanh_prime(z)) for z in forward.zs], rtol=1e-14)
    assert (probe.depth, probe.width, probe.activation, probe.init, probe.scale, probe.N) == (5, 7, "tanh", "xavier",
                                                                                              1.0, 6)
    np.testing.assert_array_equal(probe.x, x)
    np.testing.assert_array_equal(probe.dout, dout)
    assert all(np.array_equal(W, V) for W, V in zip(probe.weights, weights, strict=True))
    assert "weights" not in repr(probe)  # the arrays stay out of the repr


def test_layer_gradient_norms_is_the_probes_delta_norms():
    norms = dp.layer_gradient_norms(6, 8, "relu", "he", 1.0, np.random.default_rng(2), N=5)
    probe = dp.depth_probe(6, 8, "relu", "he", 1.0, np.random.default_rng(2), N=5)
    np.testing.assert_array_equal(norms, probe.delta_norms)
    assert norms.shape == (6,)


def test_a_deeper_probe_extends_a_shallower_one_and_scale_only_scales():
    shallow = dp.depth_probe(4, 9, "tanh", "xavier", 1.0, np.random.default_rng(0), N=5)
    deep = dp.depth_probe(9, 9, "tanh", "xavier", 1.0, np.random.default_rng(0), N=5)
    np.testing.assert_allclose(deep.z_rms[:4], shallow.z_rms, rtol=1e-14)  # same x, same first weights
    unit = dp.deep_weights(3, 5, np.random.default_rng(7), "he", 1.0)
    scaled = dp.deep_weights(3, 5, np.random.default_rng(7), "he", 0.1)
    for W, V in zip(unit, scaled, strict=True):
        np.testing.assert_allclose(V, 0.1 * W, rtol=1e-15)
        assert W.shape == (5, 5)
    assert np.std(dp.deep_weights(1, 400, np.random.default_rng(0), "he")[0]) == pytest.approx(
        init_std(400, 400, "he"), rel=0.01)


def test_the_chapter_picture_sigmoid_vanishes_tanh_and_relu_he_do_not():
    def norms(activation, init, scale=1.0):
        return dp.layer_gradient_norms(15, 64, activation, init, scale, np.random.default_rng(0))

    sigmoid = norms("sigmoid", "xavier")
    assert sigmoid[0] < 1e-8 and np.all(np.diff(sigmoid) > 0)  # shrinks at every layer towards the input
    assert 0.1 < norms("tanh", "xavier")[0] < 10
    assert 0.1 < norms("relu", "he")[0] < 10
    assert norms("relu", "xavier")[0] < 1e-2  # xavier is half of what relu needs: a factor sqrt(2) per layer
    assert norms("relu", "he", 0.5)[0] < 1e-3 and norms("relu", "he", 2.0)[0] > 1e3


def test_an_overflowing_probe_reports_it_without_warnings():
    probe = dp.depth_probe(12, 16, "relu", "normal", 1e30, np.random.default_rng(0), N=4)
    assert not probe.finite
    assert probe.delta_norms.shape == (12,)


# ---- the quadratic and the optimizer paths --------------------------------------------------------------


def test_quadratic_loss_and_gradient():
    w = np.array([0.7, -1.3])
    assert dp.quadratic_loss(w) == pytest.approx(0.5 * (0.7**2 + 50 * 1.3**2), rel=1e-15)
    result = check_gradient(lambda w_: dp.quadratic_loss(w_, (2.0, 30.0)), w.copy(), dp.quadratic_grad(w, (2.0, 30.0)))
    assert result.passed, str(result)
    grid = np.zeros((3, 4, 2))
    grid[..., 0] = 1.0
    np.testing.assert_allclose(dp.quadratic_loss(grid), np.full((3, 4), 0.5), rtol=1e-15)


@pytest.mark.parametrize("lr", [0.01, 0.03, 0.039])
def test_sgd_path_is_the_closed_form(lr):
    path = dp.optimizer_path("sgd", lr, steps=40)
    t = np.arange(41)[:, None]
    expected = (1.0 - lr * np.array(dp.CURVATURE)) ** t * np.array(dp.START)  # w_i,t = (1 - lr c_i)^t w_i,0
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(("lr", "beta"), [(0.02, 0.5), (0.035, 0.7), (0.07, 0.9)])
def test_momentum_path_is_the_heavy_ball_recurrence(lr, beta):
    path = dp.optimizer_path("momentum", lr, beta, start=(1.0, -2.0), steps=30, curvature=(2.0, 20.0))
    w, v = np.array([1.0, -2.0]), np.zeros(2)
    expected = [w]
    for _ in range(30):
        v = beta * v - lr * np.array([2.0, 20.0]) * w
        w = w + v
        expected.append(w)
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_the_critical_learning_rate_separates_converging_from_diverging(beta):
    critical = dp.critical_lr(dp.CURVATURE, beta)
    assert critical == pytest.approx(2 * (1 + beta) / 50)
    name = "sgd" if beta == 0 else "momentum"
    below = dp.optimizer_path(name, 0.97 * critical, beta, steps=3000)
    above = dp.optimizer_path(name, 1.03 * critical, beta, steps=3000)
    assert dp.diverged_at(below) is None and dp.steps_to_tolerance(below) is not None
    assert dp.diverged_at(above) is not None and dp.steps_to_tolerance(above) is None


def test_divergence_fills_the_rest_of_the_path_with_nan():
    path = dp.optimizer_path("sgd", 0.1, steps=50)
    k = dp.diverged_at(path)
    assert k is not None and 1 <= k <= 50
    assert np.all(np.isfinite(path[:k])) and np.all(np.isnan(path[k:]))
    assert np.max(np.abs(path[k - 1])) <= dp.DIVERGENCE_BOUND
    # the step that was refused would have left the bound: (1 - 0.1 * 50) = -4 per step along w2
    assert abs(path[k - 1, 1] * (1 - 0.1 * 50)) > dp.DIVERGENCE_BOUND


def test_steps_to_tolerance_is_the_first_close_point():
    path = np.array([[3.0, 0.0], [0.5, 0.0], [0.0, 0.009], [0.0, 0.02], [0.0, 0.0]])
    assert dp.steps_to_tolerance(path, 0.01) == 2
    assert dp.steps_to_tolerance(path, 1.0) == 1
    assert dp.steps_to_tolerance(path[:2], 0.01) is None
    assert dp.steps_to_tolerance(np.array([[1.0, 1.0], [np.nan, np.nan]]), 0.1) is None


def test_momentum_beats_sgd_on_the_ill_conditioned_bowl():
    sgd = dp.steps_to_tolerance(dp.optimizer_path("sgd", 2 / 51, steps=1000))  # SGD's best lr, 2 / (c1 + c2)
    momentum = dp.steps_to_tolerance(dp.optimizer_path("momentum", 0.035, 0.7, steps=1000))
    assert momentum is not None and sgd is not None and 3 * momentum < sgd


def test_adam_and_rprop_paths():
    rprop = dp.optimizer_path("rprop", 0.1, steps=300)
    np.testing.assert_allclose(rprop[1], np.array(dp.START) + 0.1 * np.array([1.0, -1.0]), rtol=1e-12)  # step_init
    adam = dp.optimizer_path("adam", 0.1, 0.9, steps=300)
    np.testing.assert_allclose(adam[1], np.array(dp.START) + 0.1 * np.array([1.0, -1.0]), rtol=1e-6)  # ~lr * sign
    assert dp.steps_to_tolerance(rprop) is not None and dp.steps_to_tolerance(adam) is not None


def test_paths_leave_their_inputs_alone():
    start = np.array([1.0, 2.0])
    dp.optimizer_path("momentum", 0.01, 0.9, start=start, steps=5)
    np.testing.assert_array_equal(start, [1.0, 2.0])
    assert dp.optimizer_path("sgd", 0.01, steps=0).shape == (1, 2)


# ---- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "match"), [
    (lambda: dp.deep_weights(0, 4, np.random.default_rng(0)), "depth"),
    (lambda: dp.deep_weights(3, 2.0, np.random.default_rng(0)), "width"),
    (lambda: dp.deep_weights(3, 4, 0), "rng"),
    (lambda: dp.deep_weights(3, 4, np.random.default_rng(0), init="lecun"), "init"),
    (lambda: dp.deep_weights(3, 4, np.random.default_rng(0), scale=-1.0), "scale"),
    (lambda: dp.depth_probe(3, 4, "softplus", rng=np.random.default_rng(0)), "activation"),
    (lambda: dp.depth_probe(3, 4, "relu"), "rng"),
    (lambda: dp.depth_probe(3, 4, "relu", rng=np.random.default_rng(0), N=0), "N"),
    (lambda: dp.deep_forward(np.ones((2, 3)), [np.ones((4, 4))], "relu"), "x"),
    (lambda: dp.deep_forward(np.ones((2, 3)), [], "relu"), "weights"),
    (lambda: dp.deep_forward(np.ones((2, 3)), [np.ones((3, 4)), np.ones((3, 4))], "relu"), "weights"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [np.ones((2, 5))], np.ones((2, 5)), "relu"), "zs"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [np.ones((2, 4))], np.ones((2, 3)), "relu"), "dout"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [], np.ones((2, 4)), "relu"), "zs"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [np.ones((2, 4))], np.ones((2, 4)), "elu"), "activation"),
    (lambda: dp.gradient_bound([np.eye(2)], [0.1, 0.2]), "max_slopes"),
    (lambda: dp.gradient_bound([np.eye(2)], -0.1), "max_slopes"),
    (lambda: dp.weight_gradients([np.ones((2, 2))], [np.ones((2, 2))]), "activations"),
    (lambda: dp.quadratic_loss([1.0, 2.0, 3.0]), "w"),
    (lambda: dp.quadratic_loss([1.0, 2.0], (1.0, 0.0)), "curvature"),
    (lambda: dp.quadratic_grad([[1.0, 2.0]]), "w"),
    (lambda: dp.critical_lr(dp.CURVATURE, 1.0), "beta"),
    (lambda: dp.optimizer_path("nesterov", 0.1), "optimizer_name"),
    (lambda: dp.optimizer_path("sgd", 0.0), "lr"),
    (lambda: dp.optimizer_path("sgd", math.nan), "lr"),
    (lambda: dp.optimizer_path("momentum", 0.1, beta=1.0), "beta"),
    (lambda: dp.optimizer_path("sgd", 0.1, steps=-1), "steps"),
    (lambda: dp.optimizer_path("sgd", 0.1, start=(1.0, 2.0, 3.0)), "start"),
    (lambda: dp.steps_to_tolerance(np.ones((3, 3))), "path"),
    (lambda: dp.steps_to_tolerance(np.ones((3, 2)), tol=0.0), "tol"),
    (lambda: dp.diverged_at(np.ones(4)), "path"),
])
def test_bad_input_raises_a_value_error_naming_it(call, match):
    with pytest.raises(ValueError, match=match):
        call()
