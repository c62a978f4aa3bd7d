"""Tests for bplib.depth: a deep network's forward pass, its deltas and its weight gradients.

Every backward quantity is checked against centered differences in float64 (relative error
< 1e-7): delta^l by nudging z^l and running the layers above, dW^l and dx through the loss
L = sum(dout * a^depth) whose gradient at the top is dout. The probes and the optimizer paths
are tested in test_depth_probes.py and test_optimizer_paths.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bplib import activations as act
from bplib import depth as dp
from bplib.experiments import depth_probes, optimizer_paths
from bplib.gradcheck import check_gradient, check_gradient_params
from bplib.layers import init_std

FUNCTIONS = {"sigmoid": (act.sigmoid, act.sigmoid_prime), "tanh": (act.tanh, act.tanh_prime),
             "relu": (act.relu, act.relu_prime)}


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def small_net(widths, seed=0, N=3):
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
        x, weights, dout = small_net(widths, seed=attempt)
        if all(np.min(np.abs(z)) > 1e-3 for z in dp.deep_forward(x, weights, activation).zs):
            return x, weights, dout
    raise AssertionError("no seed without a kink")


def top_loss(x, weights, activation, dout):
    """L = sum(dout * a^depth), written here from the layer loop: its gradient at the top is dout."""
    f = FUNCTIONS[activation][0]
    a = x
    for W in weights:
        a = f(a @ W)
    return float(np.sum(dout * a))


def loss_from_layer(k, z, weights, activation, dout):
    """The same loss computed from z^(k+1) (index k) upwards: what delta^(k+1) is the gradient of."""
    f = FUNCTIONS[activation][0]
    a = f(z)
    for W in weights[k + 1:]:
        a = f(a @ W)
    return float(np.sum(dout * a))


WIDTHS = [(4, 5, 3, 6), (3, 3, 3, 3, 3), (5, 2), (2, 7, 7, 4, 3, 5)]


# ---- forward and backward -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", dp.ACTIVATIONS)
def test_deep_forward_is_the_layer_loop(activation):
    x, weights, _ = small_net((4, 5, 3, 6))
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
    result = check_gradient_params(lambda: top_loss(x, list(params.values()), activation, dout), params,
                                   {f"W{k + 1}": dW for k, dW in enumerate(dWs)})
    assert result.passed, str(result)
    dx = deltas[0] @ weights[0].T  # (N, D)
    result = check_gradient(lambda x_: top_loss(x_, weights, activation, dout), x.copy(), dx)
    assert result.passed, str(result)


def test_delta_norms_are_the_frobenius_norms_in_layer_order():
    x, weights, dout = small_net((4, 5, 3, 6))
    forward = dp.deep_forward(x, weights, "sigmoid")
    deltas = dp.backprop_deltas(weights, forward.zs, dout, "sigmoid")
    norms = dp.delta_norms(weights, forward.zs, dout, "sigmoid")
    assert norms.shape == (3,)
    np.testing.assert_allclose(norms, [np.sqrt(np.sum(d * d)) for d in deltas], rtol=1e-14)
    # the top layer's delta is dout times sigma'(z_top), entry by entry
    np.testing.assert_allclose(deltas[-1], dout * act.sigmoid_prime(forward.zs[-1]), rtol=1e-15)


def test_a_single_layer_is_just_the_slope():
    x, weights, dout = small_net((3, 4))
    forward = dp.deep_forward(x, weights, "relu")
    (delta,) = dp.backprop_deltas(weights, forward.zs, dout, "relu")
    np.testing.assert_array_equal(delta, dout * (forward.zs[0] > 0))


def test_the_plain_functions_are_what_the_checked_ones_return():
    # lists and ints in, the same arrays out: the public functions only check, then call their twins
    x, weights, dout = small_net((3, 4, 2), N=2)
    forward = dp.deep_forward(x.tolist(), [W.tolist() for W in weights], "tanh")
    plain = dp._deep_forward(x, weights, "tanh")
    for a, b in zip(forward.zs + forward.activations, plain.zs + plain.activations, strict=True):
        np.testing.assert_array_equal(a, b)
    deltas = dp._backprop_deltas(weights, plain.zs, dout, "tanh")
    for a, b in zip(dp.backprop_deltas(weights, forward.zs, dout.tolist(), "tanh"), deltas, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(dp.delta_norms(weights, plain.zs, dout, "tanh"),
                                  dp._delta_norms(weights, plain.zs, dout, "tanh"))
    for a, b in zip(dp.weight_gradients(plain.activations, deltas), dp._weight_gradients(plain.activations, deltas),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_an_overflowing_network_gives_inf_without_warnings():
    weights = dp.deep_weights(12, 16, np.random.default_rng(0), "normal", 1e30)
    forward = dp.deep_forward(np.ones((2, 16)), weights, "relu")
    assert not np.all(np.isfinite(forward.zs[-1]))
    assert len(dp.backprop_deltas(weights, forward.zs, np.ones((2, 16)), "relu")) == 12


# ---- the weights -----------------------------------------------------------------------------------------


def test_a_deeper_network_extends_a_shallower_one_and_scale_only_scales():
    shallow = dp.deep_weights(3, 5, np.random.default_rng(7), "he", 1.0)
    deep = dp.deep_weights(6, 5, np.random.default_rng(7), "he", 1.0)
    scaled = dp.deep_weights(3, 5, np.random.default_rng(7), "he", 0.1)
    for W, V, U in zip(shallow, scaled, deep, strict=False):
        np.testing.assert_allclose(V, 0.1 * W, rtol=1e-15)
        np.testing.assert_array_equal(U, W)
        assert W.shape == (5, 5)
    assert np.std(dp.deep_weights(1, 400, np.random.default_rng(0), "he")[0]) == pytest.approx(
        init_std(400, 400, "he"), rel=0.01)


# ---- names that moved ------------------------------------------------------------------------------------


def test_names_that_moved_still_import_from_bplib_depth():
    from bplib.depth import START, depth_probe, quadratic_grad  # through the module's __getattr__

    assert depth_probe is depth_probes.depth_probe and START is optimizer_paths.START
    assert quadratic_grad is optimizer_paths.quadratic_grad
    with pytest.raises(AttributeError, match="layer_gradient_norms"):
        dp.layer_gradient_norms  # noqa: B018 - removed, not moved


# ---- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "match"), [
    (lambda: dp.deep_weights(0, 4, np.random.default_rng(0)), "depth: expected a positive whole number"),
    (lambda: dp.deep_weights(3, 2.0, np.random.default_rng(0)), "width"),
    (lambda: dp.deep_weights(3, 4, 0), "rng"),
    (lambda: dp.deep_weights(3, 4, np.random.default_rng(0), init="lecun"), "init"),
    (lambda: dp.deep_weights(3, 4, np.random.default_rng(0), scale=-1.0), "scale"),
    (lambda: dp.deep_forward(np.ones((2, 3)), [np.ones((4, 4))], "relu"), "x"),
    (lambda: dp.deep_forward(np.ones((2, 3)), [], "relu"), "weights"),
    (lambda: dp.deep_forward(np.ones((2, 3)), [np.ones((3, 4)), np.ones((3, 4))], "relu"), "weights"),
    (lambda: dp.deep_forward(np.ones((2, 3)), [np.ones((3, 4))], "softplus"), "activation"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [np.ones((2, 5))], np.ones((2, 5)), "relu"), "zs"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [np.ones((2, 4))], np.ones((2, 3)), "relu"), "dout"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [], np.ones((2, 4)), "relu"), "zs"),
    (lambda: dp.backprop_deltas([np.ones((3, 4))], [np.ones((2, 4))], np.ones((2, 4)), "elu"), "activation"),
    (lambda: dp.delta_norms([np.ones((3, 4))], [np.ones((2, 4))], np.ones((2, 3)), "relu"), "dout"),
    (lambda: dp.weight_gradients([np.ones((2, 2))], [np.ones((2, 2))]), "activations"),
])
def test_bad_input_raises_a_value_error_naming_it(call, match):
    with pytest.raises(ValueError, match=match):
        call()
