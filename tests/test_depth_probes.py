"""Tests for bplib.experiments.depth_probes: the probe of chapter 06, its bound and its loss.

The probe's numbers are recomputed here from bplib.depth's public functions on the same draws;
its loss is checked against centered differences (relative error < 1e-7), as the chapter does.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bplib import activations as act
from bplib import depth as dp
from bplib.experiments import depth_probes as probes
from bplib.gradcheck import check_gradient, check_gradient_params


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---- the probe's loss -------------------------------------------------------------------------------------


def test_probe_loss_is_linear_in_the_top_activation_and_its_gradients_are_the_deltas():
    rng = np.random.default_rng(5)
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    params = {"W1": rng.normal(size=(4, 5)), "W2": rng.normal(size=(5, 2))}
    weights = list(params.values())
    forward = dp.deep_forward(x, weights, "tanh")
    assert probes.probe_loss(x, weights, "tanh", dout) == pytest.approx(
        float(np.sum(dout * forward.activations[-1])), rel=1e-15)
    deltas = dp.backprop_deltas(weights, forward.zs, dout, "tanh")
    dWs = dp.weight_gradients(forward.activations, deltas)
    result = check_gradient_params(lambda: probes.probe_loss(x, weights, "tanh", dout), params,
                                   {"W1": dWs[0], "W2": dWs[1]})
    assert result.passed, str(result)
    result = check_gradient(lambda x_: probes.probe_loss(x_, weights, "tanh", dout), x.copy(), deltas[0] @ weights[0].T)
    assert result.passed, str(result)


# ---- the bound ----------------------------------------------------------------------------------------


def test_gradient_bound_is_the_product_of_slopes_and_spectral_norms():
    weights = [np.diag([3.0, 1.0]), np.diag([0.5, 2.0]), np.array([[0.0, 4.0], [1.0, 0.0]])]
    bound = probes.gradient_bound(weights, [0.5, 0.25, 0.1])
    # layer 3: 0.1; layer 2: 0.1 * ||W3|| (4) * 0.25; layer 1: that * ||W2|| (2) * 0.5
    np.testing.assert_allclose(bound, [0.1 * 4 * 0.25 * 2 * 0.5, 0.1 * 4 * 0.25, 0.1], rtol=1e-12)
    np.testing.assert_allclose(probes.gradient_bound(weights, 0.25), [0.25**3 * 4 * 2, 0.25**2 * 4, 0.25], rtol=1e-12)
    widths = [np.ones((2, 3)), np.ones((3, 1))]  # matrices of different shapes: one norm at a time
    np.testing.assert_allclose(probes.gradient_bound(widths, 1.0), [np.sqrt(3.0), 1.0], rtol=1e-12)


@pytest.mark.parametrize("activation", dp.ACTIVATIONS)
@pytest.mark.parametrize("init", ["xavier", "he", "normal"])
@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])
def test_the_bound_holds_for_every_layer(activation, init, scale):
    probe = probes.depth_probe(8, 16, activation, init, scale, np.random.default_rng(3), N=8)
    assert probe.finite
    assert np.all(probe.delta_norms <= probe.bound * (1 + 1e-12))
    # the textbook bound with the activation's largest slope anywhere is looser still
    loose = probes.gradient_bound(probe.weights, probes.MAX_SLOPE[activation])
    assert np.all(probe.bound <= loose * (1 + 1e-12))
    assert np.all(probe.max_slopes <= probes.MAX_SLOPE[activation])


def test_sigmoid_bound_shrinks_by_a_quarter_times_the_weight_norm_per_layer():
    weights = dp.deep_weights(6, 10, np.random.default_rng(1))
    bound = probes.gradient_bound(weights, probes.MAX_SLOPE["sigmoid"])
    spectral = [np.linalg.norm(W, 2) for W in weights]
    for k in range(5):
        assert bound[k] / bound[k + 1] == pytest.approx(0.25 * spectral[k + 1], rel=1e-12)


# ---- the probe ------------------------------------------------------------------------------------------


def test_depth_probe_draws_x_dout_then_weights():
    probe = probes.depth_probe(5, 7, "tanh", "xavier", 1.0, np.random.default_rng(4), N=6)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 7))
    dout = rng.standard_normal((6, 7))
    dout /= np.linalg.norm(dout)
    weights = dp.deep_weights(5, 7, rng, "xavier", 1.0)
    forward = dp.deep_forward(x, weights, "tanh")
    deltas = dp.backprop_deltas(weights, forward.zs, dout, "tanh")
    np.testing.assert_allclose(probe.delta_norms, dp.delta_norms(weights, forward.zs, dout, "tanh"), rtol=1e-14)
    np.testing.assert_allclose(probe.weight_grad_norms,
                               [np.linalg.norm(dW) for dW in dp.weight_gradients(forward.activations, deltas)],
                               rtol=1e-14)
    np.testing.assert_allclose(probe.z_rms, [np.sqrt(np.mean(z**2)) for z in forward.zs], rtol=1e-14)
    np.testing.assert_allclose(probe.activation_stds, [np.std(a) for a in forward.activations[1:]], rtol=1e-14)
    np.testing.assert_allclose(probe.max_slopes, [np.max(act.tanh_prime(z)) for z in forward.zs], rtol=1e-14)
    np.testing.assert_allclose(probe.bound, probes.gradient_bound(weights, probe.max_slopes), rtol=1e-14)
    assert (probe.depth, probe.width, probe.activation, probe.init, probe.scale, probe.N) == (5, 7, "tanh", "xavier",
                                                                                              1.0, 6)
    np.testing.assert_array_equal(probe.x, x)
    np.testing.assert_array_equal(probe.dout, dout)
    assert all(np.array_equal(W, V) for W, V in zip(probe.weights, weights, strict=True))
    assert "weights" not in repr(probe)  # the arrays stay out of the repr


def test_a_deeper_probe_extends_a_shallower_one():
    shallow = probes.depth_probe(4, 9, "tanh", "xavier", 1.0, np.random.default_rng(0), N=5)
    deep = probes.depth_probe(9, 9, "tanh", "xavier", 1.0, np.random.default_rng(0), N=5)
    np.testing.assert_allclose(deep.z_rms[:4], shallow.z_rms, rtol=1e-14)  # same x, same first weights


def test_the_chapter_picture_sigmoid_vanishes_tanh_and_relu_he_do_not():
    def norms(activation, init, scale=1.0):
        return probes.depth_probe(15, 64, activation, init, scale, np.random.default_rng(0)).delta_norms

    sigmoid = norms("sigmoid", "xavier")
    assert sigmoid[0] < 1e-8 and np.all(np.diff(sigmoid) > 0)  # shrinks at every layer towards the input
    assert 0.1 < norms("tanh", "xavier")[0] < 10
    assert 0.1 < norms("relu", "he")[0] < 10
    assert norms("relu", "xavier")[0] < 1e-2  # xavier is half of what relu needs: a factor sqrt(2) per layer
    assert norms("relu", "he", 0.5)[0] < 1e-3 and norms("relu", "he", 2.0)[0] > 1e3


def test_an_overflowing_probe_reports_it_without_warnings():
    probe = probes.depth_probe(12, 16, "relu", "normal", 1e30, np.random.default_rng(0), N=4)
    assert not probe.finite
    assert probe.delta_norms.shape == (12,)


# ---- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "match"), [
    (lambda: probes.depth_probe(3, 4, "softplus", rng=np.random.default_rng(0)), "activation"),
    (lambda: probes.depth_probe(3, 4, "relu"), "rng"),
    (lambda: probes.depth_probe(3, 4, "relu", rng=np.random.default_rng(0), N=0), "N"),
    (lambda: probes.depth_probe(0, 4, "relu", rng=np.random.default_rng(0)), "depth"),
    (lambda: probes.depth_probe(3, 4.0, "relu", rng=np.random.default_rng(0)), "width"),
    (lambda: probes.depth_probe(3, 4, "relu", "lecun", rng=np.random.default_rng(0)), "init"),
    (lambda: probes.gradient_bound([np.eye(2)], [0.1, 0.2]), "max_slopes"),
    (lambda: probes.gradient_bound([np.eye(2)], -0.1), "max_slopes"),
    (lambda: probes.gradient_bound([np.eye(2), np.eye(3)], 0.1), "weights"),
    (lambda: probes.probe_loss(np.ones((2, 3)), [np.ones((3, 4))], "relu", np.ones((2, 3))), "dout"),
    (lambda: probes.probe_loss(np.ones((2, 2)), [np.ones((3, 4))], "relu", np.ones((2, 4))), "x"),
])
def test_bad_input_raises_a_value_error_naming_it(call, match):
    with pytest.raises(ValueError, match=match):
        call()
