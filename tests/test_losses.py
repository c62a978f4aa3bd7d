"""Tests for bplib.losses: gradients, known values, stability at extreme logits and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib import activations as act
from bplib import losses
from bplib.gradcheck import check_gradient
from bplib.losses import (
    binary_cross_entropy_loss,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    softmax_cross_entropy_loss,
    squared_error_backward,
    squared_error_forward,
    squared_error_loss,
)

TOL = 1e-7
NS = [1, 3, 8]
CS = [2, 5]


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def assert_passes(result):
    assert result.passed, str(result)
    assert result.max_rel_error < TOL, str(result)


def onehot(labels, C: int) -> np.ndarray:
    return np.eye(C)[labels]


# ---- gradients against centered differences ------------------------------------------------


def _regression(rng, shape):
    return rng.normal(size=shape), rng.normal(size=shape)


def _probabilities(rng, shape):
    # away from 0 and 1, where the log's higher derivatives (and the difference's h**2 error) blow up;
    # soft targets as well as 0/1
    return rng.uniform(0.05, 0.95, size=shape), rng.choice([0.0, 1.0, 0.3], size=shape)


# id -> (loss(prediction, y) -> (loss, gradient), sampler (rng, shape) -> (prediction, target))
ELEMENTWISE_LOSSES = {
    "squared_error": (squared_error_loss, _regression),
    "binary_cross_entropy": (binary_cross_entropy_loss, _probabilities),
}


@pytest.mark.parametrize("K", [None, 1, 5], ids=lambda K: "(N,)" if K is None else f"(N, {K})")
@pytest.mark.parametrize("N", NS)
@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
def test_elementwise_loss_gradient_matches_centered_differences(name, N, K):
    loss_and_grad, sample = ELEMENTWISE_LOSSES[name]
    shape = (N,) if K is None else (N, K)
    prediction, y = sample(np.random.default_rng(N * 7 + (K or 0)), shape)
    _, grad = loss_and_grad(prediction, y)
    assert grad.shape == shape
    assert_passes(check_gradient(lambda p: loss_and_grad(p, y)[0], prediction, grad))


@pytest.mark.parametrize("K", [None, 5], ids=lambda K: "(N,)" if K is None else f"(N, {K})")
def test_squared_error_backward_is_the_gradient_of_dout_times_the_loss(K):
    prediction, y = _regression(np.random.default_rng(3), (4,) if K is None else (4, K))
    _, cache = squared_error_forward(prediction, y)
    grad = squared_error_backward(-2.5, cache)
    assert_passes(check_gradient(lambda p: -2.5 * squared_error_forward(p, y)[0], prediction, grad))


@pytest.mark.parametrize("targets", ["labels", "onehot", "soft"])
@pytest.mark.parametrize("C", CS)
@pytest.mark.parametrize("N", NS)
def test_softmax_cross_entropy_gradient_matches_centered_differences(N, C, targets):
    rng = np.random.default_rng(N * 10 + C)
    z = rng.normal(scale=2.0, size=(N, C))
    labels = rng.integers(0, C, size=N)
    y = {"labels": labels, "onehot": onehot(labels, C), "soft": act.softmax(rng.normal(size=(N, C)))}[targets]
    _, cache = softmax_cross_entropy_forward(z, y)
    dz = softmax_cross_entropy_backward(1.0, cache)
    assert dz.shape == (N, C)
    assert_passes(check_gradient(lambda z_: softmax_cross_entropy_forward(z_, y)[0], z, dz))
    assert_passes(check_gradient(lambda z_: 3.0 * softmax_cross_entropy_forward(z_, y)[0], z, 3.0 * dz))


# ---- the convenience functions, caches, the registry ----------------------------------------

ALL_LOSSES = {
    "squared_error": (squared_error_forward, squared_error_backward, squared_error_loss),
    "softmax_cross_entropy": (
        softmax_cross_entropy_forward,
        softmax_cross_entropy_backward,
        softmax_cross_entropy_loss,
    ),
}
# a valid (prediction, target) pair for every loss, N = 3
VALID = {
    "squared_error": (np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0, 2.5])),
    "binary_cross_entropy": (np.array([0.2, 0.7, 0.9]), np.array([0.0, 1.0, 1.0])),
    "softmax_cross_entropy": (np.array([[1.0, 0.0, -1.0], [0.2, 0.3, 0.1], [-2.0, 2.0, 0.0]]), np.array([0, 2, 1])),
}
CACHES = {
    "squared_error": ("SquaredErrorCache", ("y_hat", "y")),
    "softmax_cross_entropy": ("SoftmaxCrossEntropyCache", ("y_hat", "y")),
}
# the plain pairs behind the checking functions, which bplib.network and the dashboards call
PLAIN = {
    "squared_error": (losses._squared_error_forward, losses._squared_error_backward),
    "softmax_cross_entropy": (losses._softmax_cross_entropy_forward, losses._softmax_cross_entropy_backward),
}


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_loss_function_is_forward_then_backward_with_dout_one(name):
    forward, backward, both = ALL_LOSSES[name]
    prediction, y = VALID[name]
    loss, cache = forward(prediction, y)
    loss_both, grad_both = both(prediction, y)
    assert type(loss) is float and loss_both == loss
    assert np.array_equal(grad_both, backward(1.0, cache))
    assert np.array_equal(backward(cache=cache), grad_both)  # dout defaults to 1.0
    assert np.array_equal(backward(2.0, cache), 2.0 * grad_both)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_loss_caches_are_named_tuples_with_the_documented_fields(name):
    forward = ALL_LOSSES[name][0]
    cache_name, fields = CACHES[name]
    _, cache = forward(*VALID[name])
    assert type(cache).__name__ == cache_name and hasattr(type(cache), "_fields")
    assert cache._fields == fields


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_the_checking_functions_give_the_numbers_of_their_plain_pair(name):
    forward, backward, _ = ALL_LOSSES[name]
    plain_forward, plain_backward = PLAIN[name]
    prediction, y = VALID[name]
    loss, cache = forward(prediction, y)
    plain_loss, plain_cache = plain_forward(prediction, cache.y)  # the cache holds y as checked (one-hot rows)
    assert plain_loss == loss and type(plain_cache) is type(cache)
    assert np.array_equal(plain_backward(-1.5, plain_cache), backward(-1.5, cache))


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_losses_average_over_the_batch(name):
    # the same batch twice over: the mean loss is unchanged, each example's gradient halves
    forward, backward, _ = ALL_LOSSES[name]
    prediction, y = VALID[name]
    loss, cache = forward(prediction, y)
    loss2, cache2 = forward(np.concatenate([prediction, prediction]), np.concatenate([y, y]))
    assert loss2 == pytest.approx(loss, rel=1e-14)
    grad, grad2 = backward(1.0, cache), backward(1.0, cache2)
    assert np.allclose(grad2[: len(y)], grad / 2, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_losses_leave_their_inputs_unchanged(name):
    forward, backward, _ = ALL_LOSSES[name]
    prediction, y = VALID[name]
    before = prediction.copy(), y.copy()
    backward(1.0, forward(prediction, y)[1])
    assert np.array_equal(prediction, before[0]) and np.array_equal(y, before[1])


# ---- known values ------------------------------------------------------------------------------


def test_squared_error_known_values_with_the_half_convention():
    loss, grad = squared_error_loss([1.0, 2.0], [0.0, 0.0])
    assert loss == 1.25  # (1 + 4) / (2 * 2)
    assert np.array_equal(grad, [0.5, 1.0])  # (y_hat - y) / N
    loss, grad = squared_error_loss([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 4.0]])
    assert loss == 3.25  # (0 + 4 + 9 + 0) / (2 * 2): summed over K, averaged over N
    assert np.array_equal(grad, [[0.0, 1.0], [1.5, 0.0]])


def test_binary_cross_entropy_known_values():
    loss, grad = binary_cross_entropy_loss([0.5, 0.5], [1.0, 0.0])
    assert loss == pytest.approx(math.log(2), rel=1e-15)
    assert np.allclose(grad, [-1.0, 1.0], rtol=1e-15, atol=0)  # (0.5 - y) / 0.25 / 2
    loss, grad = binary_cross_entropy_loss([0.8], [1.0])
    assert loss == pytest.approx(-math.log(0.8), rel=1e-15)
    assert grad[0] == pytest.approx(-1 / 0.8, rel=1e-15)


def test_binary_cross_entropy_through_a_sigmoid_gives_sigmoid_minus_y_over_N():
    rng = np.random.default_rng(20)
    z = rng.uniform(-5.0, 5.0, size=(8, 3))
    y = rng.choice([0.0, 1.0, 0.25], size=(8, 3))
    y_hat = act.sigmoid(z)
    _, dy_hat = binary_cross_entropy_loss(y_hat, y)
    # chain rule through the sigmoid: dL/dz = dL/dy_hat * sigma'(z), and the sigmoid's slope cancels
    assert np.allclose(dy_hat * act.sigmoid_prime(z), (y_hat - y) / 8, rtol=1e-10, atol=0)


@pytest.mark.parametrize("C", [2, 5, 10])
def test_softmax_cross_entropy_of_uniform_logits_is_log_C(C):
    for shift in (0.0, 7.5, -1e4):
        loss, dz = softmax_cross_entropy_loss(np.full((4, C), shift), [0, 1, C - 1, 1])
        assert loss == pytest.approx(math.log(C), rel=1e-15)
        # rows of softmax - onehot sum to 0, up to the rounding of C entries of size <= 1/N
        assert np.allclose(dz.sum(axis=1), 0.0, rtol=0, atol=C * np.finfo(float).eps)


def test_softmax_cross_entropy_matches_the_textbook_formula_for_moderate_logits():
    rng = np.random.default_rng(21)
    z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(6), labels]))
    assert softmax_cross_entropy_forward(z, labels)[0] == pytest.approx(expected, rel=1e-14)


def test_softmax_cross_entropy_gradient_is_exactly_softmax_minus_onehot_over_N():
    rng = np.random.default_rng(22)
    z = rng.normal(scale=3.0, size=(8, 5))
    labels = rng.integers(0, 5, size=8)
    _, dz = softmax_cross_entropy_loss(z, labels)
    assert np.array_equal(dz, (act.softmax(z) - onehot(labels, 5)) / 8)


def test_softmax_cross_entropy_integer_labels_and_onehot_rows_agree():
    rng = np.random.default_rng(23)
    z = rng.normal(size=(8, 5))
    labels = rng.integers(0, 5, size=8)
    loss_int, dz_int = softmax_cross_entropy_loss(z, labels)
    loss_hot, dz_hot = softmax_cross_entropy_loss(z, onehot(labels, 5))
    loss_list, _ = softmax_cross_entropy_loss(z.tolist(), labels.tolist())
    assert loss_int == loss_hot == loss_list
    assert np.array_equal(dz_int, dz_hot)
    # an integer-dtype one-hot matrix is probability rows too
    assert softmax_cross_entropy_loss(z, onehot(labels, 5).astype(int))[0] == loss_int


# ---- extremes: right and wrong, no warnings -------------------------------------------------

EXTREME = [1e4, 1e300]


@pytest.mark.parametrize("big", EXTREME, ids=repr)
def test_softmax_cross_entropy_confidently_right_is_zero(big):
    z = np.array([[big, 0.0, -big], [-big, big, 0.0]])
    loss, dz = softmax_cross_entropy_loss(z, [0, 1])
    assert loss == 0.0
    assert np.all(np.isfinite(dz)) and np.allclose(dz, 0.0, rtol=0, atol=1e-300)


@pytest.mark.parametrize("big", EXTREME, ids=repr)
def test_softmax_cross_entropy_confidently_wrong_costs_the_logit_gap(big):
    loss, dz = softmax_cross_entropy_loss(np.array([[big, 0.0]]), [1])
    assert math.isfinite(loss)
    assert loss == pytest.approx(big, rel=1e-12)
    assert np.array_equal(dz, [[1.0, -1.0]])
    loss, _ = softmax_cross_entropy_loss(np.array([[big, -big], [0.0, 0.0]]), [1, 0])
    assert loss == pytest.approx((2 * big + math.log(2)) / 2, rel=1e-12)


def test_softmax_cross_entropy_of_equal_huge_logits_is_log_C():
    assert softmax_cross_entropy_forward(np.full((2, 4), 1e300), [0, 3])[0] == pytest.approx(math.log(4), rel=1e-15)


@pytest.mark.parametrize(("y_hat", "y"), [(1.0, 0.0), (0.0, 1.0)])
def test_binary_cross_entropy_of_a_certain_wrong_probability_is_large_but_finite(y_hat, y):
    loss, grad = binary_cross_entropy_loss([y_hat], [y])
    assert loss == pytest.approx(-math.log(losses._PROBABILITY_EPS), rel=1e-3)  # ~27.6, not inf
    assert np.all(np.isfinite(grad)) and abs(grad[0]) > 1e11
    assert np.sign(grad[0]) == np.sign(y_hat - y)


def test_binary_cross_entropy_of_a_certain_right_probability_is_about_zero():
    loss, grad = binary_cross_entropy_loss([1.0, 0.0], [1.0, 0.0])
    assert 0.0 <= loss < 1e-11
    assert np.allclose(grad, [-1 / 2, 1 / 2], rtol=1e-3, atol=0)  # at the clip: (p - y) / (p (1 - p)) / N


# ---- bad input -----------------------------------------------------------------------------------

# id -> the function that takes (prediction, y) and checks them
CHECKING = {
    "squared_error": squared_error_forward,
    "binary_cross_entropy": binary_cross_entropy_loss,
    "softmax_cross_entropy": softmax_cross_entropy_forward,
}


@pytest.mark.parametrize("name", ["squared_error", "binary_cross_entropy"])
def test_elementwise_losses_reject_a_target_of_another_shape(name):
    forward = CHECKING[name]
    with pytest.raises(ValueError) as info:
        forward(np.full((3, 1), 0.5), np.zeros(3))  # broadcasting would give a silent (3, 3)
    message = str(info.value)
    assert message.startswith("y:") and "(3, 1)" in message and "(3,)" in message and "reshape" in message
    with pytest.raises(ValueError, match=r"y:.*\(2, 2\).*\(2, 3\)"):
        forward(np.full((2, 2), 0.5), np.zeros((2, 3)))


@pytest.mark.parametrize("name", ["squared_error", "binary_cross_entropy"])
@pytest.mark.parametrize("shape", [(), (0,), (2, 3, 4)], ids=str)
def test_elementwise_losses_want_a_batch(name, shape):
    forward = CHECKING[name]
    first = "y_hat"
    with pytest.raises(ValueError) as info:
        forward(np.full(shape, 0.5), np.full(shape, 0.5))
    assert str(info.value).startswith(f"{first}:") and "(N,) or (N, K)" in str(info.value)
    assert str(shape) in str(info.value)


@pytest.mark.parametrize("bad", [1.5, -0.1])
def test_binary_cross_entropy_rejects_probabilities_outside_zero_one(bad):
    with pytest.raises(ValueError) as info:
        binary_cross_entropy_loss([0.5, bad], [1.0, 0.0])
    message = str(info.value)
    assert message.startswith("y_hat:") and "[0, 1]" in message and f"{bad:g}" in message
    assert "sigmoid(z)" in message
    with pytest.raises(ValueError, match=r"^y:.*\[0, 1\]"):
        binary_cross_entropy_loss([0.5, 0.5], [1.0, bad])


def _with_nan(a: np.ndarray) -> np.ndarray:
    a = a.astype(float)  # integer labels become rows of floats so that they can hold a NaN
    a.reshape(-1)[0] = np.nan
    return a


@pytest.mark.parametrize("name", CHECKING)
@pytest.mark.parametrize(
    ("where", "make_bad", "fragment"),
    [
        ("prediction", lambda a: "abc", "str"),
        ("prediction", lambda a: None, "NoneType"),
        ("prediction", _with_nan, "NaN"),
        ("target", lambda a: np.array(["a"] * len(a)), "<U1"),
        ("target", lambda a: "abc", "str"),
    ],
    ids=["prediction_str", "prediction_none", "prediction_nan", "target_strings", "target_str"],
)
def test_losses_reject_strings_and_nan_naming_the_argument(name, where, make_bad, fragment):
    forward = CHECKING[name]
    prediction, y = VALID[name]
    if where == "prediction":
        prediction = make_bad(prediction)
    else:
        y = make_bad(y)
    with pytest.raises(ValueError) as info:
        forward(prediction, y)
    first = "y" if where == "target" else ("y_hat" if name in ("squared_error", "binary_cross_entropy") else "z")
    assert str(info.value).startswith(f"{first}:") and fragment in str(info.value)


@pytest.mark.parametrize("name", CHECKING)
def test_losses_reject_nan_targets(name):
    forward = CHECKING[name]
    prediction, y = VALID[name]
    y = onehot(y, 3) if name == "softmax_cross_entropy" else y.copy()
    y[0] = np.nan
    with pytest.raises(ValueError, match="^y:.*NaN"):
        forward(prediction, y)


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]], ids=str)
def test_softmax_cross_entropy_rejects_labels_out_of_range(bad):
    with pytest.raises(ValueError) as info:
        softmax_cross_entropy_forward(np.zeros((2, 3)), np.array(bad))
    message = str(info.value)
    assert message.startswith("y:") and "[0, 3)" in message and str(min(bad)) in message and str(max(bad)) in message


def test_softmax_cross_entropy_rejects_float_labels_with_a_hint():
    with pytest.raises(ValueError) as info:
        softmax_cross_entropy_forward(np.zeros((2, 3)), np.array([0.0, 2.0]))
    message = str(info.value)
    assert message.startswith("y:") and "integer" in message and "float64" in message and "astype(int)" in message
    with pytest.raises(ValueError) as info:
        softmax_cross_entropy_forward(np.zeros((2, 3)), np.array([0.5, 2.0]))
    assert "float64" in str(info.value) and "astype" not in str(info.value)  # not whole numbers: no such hint
    with pytest.raises(ValueError, match=r"y:.*integer.*bool"):
        softmax_cross_entropy_forward(np.zeros((2, 3)), np.array([True, False]))


def test_softmax_cross_entropy_rejects_targets_of_the_wrong_shape():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"y: expected 2 labels.*\(3,\)"):
        softmax_cross_entropy_forward(z, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"y:.*\(2, 3\).*\(2, 4\)"):
        softmax_cross_entropy_forward(z, np.eye(4)[:2])
    with pytest.raises(ValueError, match=r"y:.*\(2, 1\).*ravel"):
        softmax_cross_entropy_forward(z, np.array([[0], [1]]))
    with pytest.raises(ValueError, match=r"y:.*got shape \(\)"):
        softmax_cross_entropy_forward(z, 1)
    with pytest.raises(ValueError, match="y:.*rectangular"):
        softmax_cross_entropy_forward(z, [[1, 0, 0], [1, 0]])


def test_softmax_cross_entropy_rejects_rows_that_are_not_distributions():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"y:.*sum to 1.*1\.5"):
        softmax_cross_entropy_forward(z, np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"y:.*\[0, 1\].*-0\.5"):
        softmax_cross_entropy_forward(z, np.array([[1.0, 0.0, 0.0], [1.5, -0.5, 0.0]]))


def test_softmax_cross_entropy_wants_2d_logits_and_suggests_reshape():
    with pytest.raises(ValueError) as info:
        softmax_cross_entropy_forward(np.zeros(3), [1])
    message = str(info.value)
    assert message.startswith("z:") and "(N, C)" in message and "(3,)" in message and "reshape(1, -1)" in message
    with pytest.raises(ValueError, match=r"z:.*\(0, 3\)"):
        softmax_cross_entropy_forward(np.zeros((0, 3)), np.array([], dtype=int))


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_backward_checks_dout_and_cache(name):
    forward, backward, _ = ALL_LOSSES[name]
    _, cache = forward(*VALID[name])
    with pytest.raises(ValueError, match=r"dout: expected a number.*\(3,\)"):
        backward(np.ones(3), cache)
    with pytest.raises(ValueError, match="dout:.*NaN"):
        backward(float("nan"), cache)
    with pytest.raises(ValueError, match=f"dout:.*{type(cache).__name__}.*cache second"):
        backward(cache)
    forward_name = f"{name}_forward"
    with pytest.raises(ValueError, match=f"cache: expected the {type(cache).__name__} that {forward_name}.*None"):
        backward(1.0)
    with pytest.raises(ValueError, match=f"cache: expected the {type(cache).__name__}.*tuple"):
        backward(1.0, tuple(cache))
