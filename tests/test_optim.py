"""Tests for bplib.optim: SGD, momentum, Adam and Rprop."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib.optim import SGD, Momentum, Rprop


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def tiny_params():
    return {"W": np.array([[1.0, -2.0], [0.5, 0.0]]), "b": np.array([0.25, -1.0])}


G1 = {"W": np.array([[0.5, -1.0], [2.0, 0.0]]), "b": np.array([1.0, -0.5])}
G2 = {"W": np.array([[0.25, 1.0], [-3.0, 0.5]]), "b": np.array([1.0, 0.5])}


# ---- exact updates -------------------------------------------------------------------------


def test_sgd_takes_two_exact_steps_in_place():
    params = tiny_params()
    p0 = tiny_params()
    arrays_before = {name: id(p) for name, p in params.items()}
    opt = SGD(lr=0.1)
    opt.step(params, G1)
    opt.step(params, G2)
    for name in params:
        assert np.array_equal(params[name], p0[name] - 0.1 * G1[name] - 0.1 * G2[name])
        assert id(params[name]) == arrays_before[name]  # updated in place, not replaced
    assert params["b"] == pytest.approx([0.25 - 0.1 - 0.1, -1.0 + 0.05 - 0.05])


def test_momentum_takes_two_exact_steps():
    params = tiny_params()
    p0 = tiny_params()
    opt = Momentum(lr=0.1, beta=0.9)
    opt.step(params, G1)
    for name in params:
        v1 = -0.1 * G1[name]
        assert np.array_equal(params[name], p0[name] + v1)  # the first step is SGD's
        assert np.array_equal(opt.velocity[name], v1)
    opt.step(params, G2)
    for name in params:
        v1 = -0.1 * G1[name]
        v2 = 0.9 * v1 - 0.1 * G2[name]
        assert np.allclose(params[name], p0[name] + v1 + v2, rtol=0, atol=1e-15)
        assert np.allclose(opt.velocity[name], v2, rtol=0, atol=1e-15)
    # b[0] by hand: v1 = -0.1, v2 = -0.09 - 0.1 = -0.19, b = 0.25 - 0.1 - 0.19
    assert params["b"][0] == pytest.approx(-0.04, abs=1e-15)


def test_rprop_takes_two_exact_steps():
    # g1 then g2 per entry of W: (+,+) grows the step, (-,+) changes sign, (+,-) changes sign, (0,+) keeps it.
    params = {"W": np.array([1.0, 1.0, 1.0, 1.0])}
    g1 = np.array([3.0, -2.0, 1e-9, 0.0])
    g2 = np.array([0.5, 7.0, -4.0, 2.0])
    opt = Rprop()
    opt.step(params, {"W": g1})
    # First step: no previous gradient, every step size is step_init = 0.1, move by -sign(g) * 0.1.
    assert np.array_equal(params["W"], [0.9, 1.1, 0.9, 1.0])
    assert np.array_equal(opt.step_sizes["W"], [0.1, 0.1, 0.1, 0.1])
    opt.step(params, {"W": g2})
    assert np.allclose(opt.step_sizes["W"], [0.1 * 1.2, 0.1 * 0.5, 0.1 * 0.5, 0.1], rtol=0, atol=1e-15)
    # Same sign: move by the grown step. Sign change: shrink and stay put (iRprop-). Zero before: plain step.
    assert np.allclose(params["W"], [0.9 - 0.12, 1.1, 0.9, 1.0 - 0.1], rtol=0, atol=1e-15)
    assert np.array_equal(opt.previous_grads["W"], [0.5, 0.0, 0.0, 2.0])


def test_rprop_steps_grow_to_step_max_and_shrink_to_step_min():
    opt = Rprop(step_init=0.1, step_min=0.01, step_max=0.2)
    params = {"p": np.array([0.0])}
    sizes = []
    for _ in range(6):  # a constant gradient: the step grows by 1.2 until it hits step_max
        opt.step(params, {"p": np.array([1.0])})
        sizes.append(opt.step_sizes["p"][0])
    assert sizes == pytest.approx([0.1, 0.12, 0.144, 0.1728, 0.2, 0.2], rel=1e-14)
    assert params["p"][0] == pytest.approx(-sum(sizes), rel=1e-14)

    # Signs alternating from here (the last gradient was +1): each flip halves the step and
    # stores 0, so the next call keeps the step size; the floor is step_min.
    shrinking = []
    for k in range(10):
        opt.step(params, {"p": np.array([(-1.0) ** (k + 1)])})
        shrinking.append(opt.step_sizes["p"][0])
    expected = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.01, 0.01]
    assert shrinking == pytest.approx(expected, rel=1e-14)


def test_rprop_alternating_signs_halve_the_step_every_other_call():
    opt = Rprop()
    params = {"p": np.array([0.0])}
    positions, sizes = [], []
    for g in [1.0, -1.0, -1.0, 1.0, 1.0]:
        opt.step(params, {"p": np.array([g])})
        positions.append(params["p"][0])
        sizes.append(opt.step_sizes["p"][0])
    # 1: first step, -0.1. -1: sign change, shrink to 0.05, no move. -1: stored 0, move +0.05.
    # 1: sign change, shrink to 0.025, no move. 1: stored 0, move -0.025.
    assert sizes == pytest.approx([0.1, 0.05, 0.05, 0.025, 0.025], rel=1e-14)
    assert positions == pytest.approx([-0.1, -0.1, -0.05, -0.05, -0.075], rel=1e-14)


# ---- behaviour on quadratic bowls ------------------------------------------------------------


def steps_to_reach(opt, curvature, start, tol, max_steps=20_000):
    """Steps until every |p_i| < tol on f(p) = 0.5 * sum(curvature * p**2), whose gradient is curvature * p."""
    params = {"p": np.array(start, dtype=float)}
    for k in range(max_steps):
        if np.max(np.abs(params["p"])) < tol:
            return k
        opt.step(params, {"p": curvature * params["p"]})
    return None


def test_momentum_reaches_the_minimum_in_fewer_steps_than_sgd_with_the_same_lr():
    curvature = np.array([1.0, 0.1])  # a shallow direction, where SGD crawls
    sgd = steps_to_reach(SGD(lr=0.05), curvature, [1.0, 1.0], tol=1e-6)
    momentum = steps_to_reach(Momentum(lr=0.05, beta=0.9), curvature, [1.0, 1.0], tol=1e-6)
    assert sgd is not None and momentum is not None
    assert momentum * 5 < sgd
    assert steps_to_reach(Momentum(lr=0.05, beta=0.0), curvature, [1.0, 1.0], tol=1e-6) == sgd


def test_rprop_converges_on_an_ill_scaled_quadratic_where_sgd_crawls():
    curvature = np.array([100.0, 1.0])  # f = 0.5 * (100 x**2 + y**2): SGD needs lr < 0.02
    rprop = steps_to_reach(Rprop(), curvature, [1.0, -2.0], tol=1e-5)
    sgd = steps_to_reach(SGD(lr=0.019), curvature, [1.0, -2.0], tol=1e-5)
    assert rprop is not None and rprop < 100
    assert sgd is not None and rprop * 5 < sgd


def test_rprop_ignores_the_scale_of_the_gradient():
    # Only signs matter, so x (curvature 100) and y (curvature 1) from the same start move identically.
    opt = Rprop()
    params = {"p": np.array([1.0, 1.0])}
    for _ in range(30):
        opt.step(params, {"p": np.array([100.0, 1.0]) * params["p"]})
        assert params["p"][0] == params["p"][1]
    assert abs(params["p"][0]) < 1e-2


# ---- a learning rate changed between steps ------------------------------------------------------


@pytest.mark.parametrize("optimizer_class", [SGD, Momentum])
def test_a_learning_rate_set_between_steps_takes_effect(optimizer_class):
    optimizer = optimizer_class(lr=1.0) if optimizer_class is SGD else Momentum(lr=1.0, beta=0.5)
    params = {"p": np.array([0.0])}
    moves = []
    for epoch in range(3):
        optimizer.lr = 0.1 * 0.5**epoch  # halved every step
        before = params["p"][0]
        optimizer.step(params, {"p": np.array([-1.0])})
        moves.append(params["p"][0] - before)
    if isinstance(optimizer, Momentum):
        expected = [0.1, 0.5 * 0.1 + 0.05, 0.5 * (0.5 * 0.1 + 0.05) + 0.025]
    else:
        expected = [0.1, 0.05, 0.025]
    assert moves == pytest.approx(expected, rel=1e-14)


def test_reset_forgets_the_state():
    opt = Momentum(lr=0.1)
    params = {"p": np.array([1.0])}
    opt.step(params, {"p": np.array([1.0])})
    opt.reset()
    assert opt.velocity == {}
    opt.step(params, {"p": np.array([1.0])})
    assert params["p"][0] == pytest.approx(0.8)  # two plain SGD-sized steps, no carried velocity
    rprop = Rprop()
    rprop.step(params, {"p": np.array([1.0])})
    rprop.reset()
    assert rprop.step_sizes == {} and rprop.previous_grads == {}


# ---- bad input -----------------------------------------------------------------------------------


ALL_OPTIMIZERS = [lambda: SGD(lr=0.1), lambda: Momentum(lr=0.1), Rprop]


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=["SGD", "Momentum", "Rprop"])
def test_mismatched_keys_are_named_and_nothing_is_updated(make):
    opt = make()
    params = tiny_params()
    with pytest.raises(ValueError) as info:
        opt.step(params, {"W": G1["W"], "c": G1["b"]})
    message = str(info.value)
    assert "missing ['b']" in message and "extra" in message and "'c'" in message
    assert all(np.array_equal(params[name], tiny_params()[name]) for name in params)


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=["SGD", "Momentum", "Rprop"])
def test_a_gradient_of_the_wrong_shape_is_named(make):
    opt = make()
    params = tiny_params()
    with pytest.raises(ValueError) as info:
        opt.step(params, {"W": G1["W"], "b": np.ones(3)})
    message = str(info.value)
    assert "grads['b']" in message and "(3,)" in message and "(2,)" in message
    assert all(np.array_equal(params[name], tiny_params()[name]) for name in params)


@pytest.mark.parametrize(
    ("params", "grads", "fragments"),
    [
        ({"W": np.ones(2, dtype=np.int64)}, {"W": np.ones(2)}, ("params['W']", "float64", "int64")),
        ({"W": [1.0, 2.0]}, {"W": np.ones(2)}, ("params['W']", "float64", "list")),
        ({"W": np.ones(2)}, {"W": np.array([1.0, np.nan])}, ("grads['W']", "finite")),
        ([np.ones(2)], {"W": np.ones(2)}, ("dicts", "list")),
    ],
)
def test_bad_params_or_grads_raise_value_errors(params, grads, fragments):
    with pytest.raises(ValueError) as info:
        SGD(lr=0.1).step(params, grads)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_a_parameter_that_changes_shape_between_steps_is_refused():
    opt = Momentum(lr=0.1)
    opt.step({"W": np.ones(2)}, {"W": np.ones(2)})
    with pytest.raises(ValueError, match=r"params\['W'\].*\(2,\).*\(3,\).*reset"):
        opt.step({"W": np.ones(3)}, {"W": np.ones(3)})


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: SGD(lr=0), "lr"),
        (lambda: SGD(lr=-1.0), "lr"),
        (lambda: SGD(lr=math.inf), "lr"),
        (lambda: SGD(lr=math.nan), "lr"),
        (lambda: SGD(lr="0.1"), "lr"),
        (lambda: SGD(lr=True), "lr"),
        (lambda: Momentum(lr=0.1, beta=1.0), "beta"),
        (lambda: Momentum(lr=0.1, beta=-0.1), "beta"),
        (lambda: Rprop(eta_plus=1.0), "eta_plus"),
        (lambda: Rprop(eta_minus=1.0), "eta_minus"),
        (lambda: Rprop(eta_minus=0.0), "eta_minus"),
        (lambda: Rprop(step_init=0.0), "step_init"),
        (lambda: Rprop(step_init=100.0), "step_init"),
        (lambda: Rprop(step_min=-1e-6), "step_min"),
        (lambda: Rprop(step_max=math.inf), "step_max"),
    ],
)
def test_bad_hyperparameters_raise_value_errors_naming_them(make, name):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(f"{name}:")


def test_setting_a_bad_learning_rate_later_is_refused_and_keeps_the_old_one():
    opt = Momentum(lr=0.1)
    with pytest.raises(ValueError, match=r"^lr: .*-0\.5"):
        opt.lr = -0.5
    assert opt.lr == 0.1


# ---- Adam ------------------------------------------------------------------------------


def test_adam_two_steps_match_the_formulas():
    from bplib.optim import Adam

    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p = np.array([1.0, -2.0, 0.5])
    g1 = np.array([0.3, -4.0, 0.0])
    g2 = np.array([-0.1, 2.0, 1e-3])
    params = {"w": p.copy()}
    opt = Adam(lr, b1, b2, eps)
    expected = p.copy()
    m = np.zeros(3)
    v = np.zeros(3)
    for t, g in enumerate((g1, g2), start=1):
        opt.step(params, {"w": g})
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        expected = expected - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(params["w"], expected, rtol=1e-13, atol=1e-15)


def test_adam_first_step_is_lr_in_size_for_any_gradient_scale():
    from bplib.optim import Adam

    for scale in (1e-3, 1.0, 1e6):  # well above eps = 1e-8, which would shrink the step
        params = {"w": np.zeros(2)}
        Adam(0.01).step(params, {"w": np.array([scale, -scale])})
        np.testing.assert_allclose(params["w"], [-0.01, 0.01], rtol=1e-4)


def test_adam_reset_and_bad_hyperparameters():
    from bplib.optim import Adam

    opt = Adam(0.1)
    params = {"w": np.ones(2)}
    opt.step(params, {"w": np.ones(2)})
    assert opt.steps == {"w": 1}
    opt.reset()
    assert opt.steps == {} and opt.first == {} and opt.second == {}
    for kwargs in ({"lr": 0.0}, {"beta1": 1.0}, {"beta2": -0.1}, {"eps": 0.0}):
        with pytest.raises(ValueError):
            Adam(**kwargs)
