"""Tests for bplib.recall: the vanilla-RNN sequence classifier that chapter 08 compares with the LSTM."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bplib import losses
from bplib.gradcheck import check_gradient_params
from bplib.layers import init_std
from bplib.lstm import LSTMClassifier, LSTMHistory
from bplib.optim import SGD, Adam
from bplib.recall import RNN_PARAM_NAMES, RNNClassifier, RNNHistory
from bplib.rnn import rnn_forward
from bplib.tasks import first_symbol_recall

TOL = 1e-7


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def randomized(model: RNNClassifier, rng) -> RNNClassifier:
    """The model with random biases too (they start at zero, which could hide a bias bug)."""
    for name in model.params:
        model.params[name] += rng.normal(0.0, 0.3, size=model.params[name].shape)
    return model


def test_params_have_the_documented_names_shapes_and_initial_scales():
    model = RNNClassifier(5, 64, 3, np.random.default_rng(0))
    assert tuple(model.params) == RNN_PARAM_NAMES
    shapes = {name: p.shape for name, p in model.params.items()}
    assert shapes == {"Wx": (5, 64), "Wh": (64, 64), "b": (64,), "W_y": (64, 3), "b_y": (3,)}
    assert np.all(model.params["b"] == 0) and np.all(model.params["b_y"] == 0)
    assert all(p.dtype == np.float64 for p in model.params.values())
    # the same init rule as the LSTM's weights: normal with std init_std(fan_in, fan_out)
    assert model.params["Wh"].std() == pytest.approx(init_std(64, 64), rel=0.05)
    assert model.params["Wx"].std() == pytest.approx(init_std(5, 64), rel=0.15)
    assert model.sizes == (5, 64, 3)
    assert repr(model) == "RNNClassifier(D=5, H=64, C=3)"
    again = RNNClassifier(5, 64, 3, np.random.default_rng(0))
    assert all(np.array_equal(model.params[n], again.params[n]) for n in RNN_PARAM_NAMES)
    he = RNNClassifier(5, 64, 3, np.random.default_rng(0), init="he")
    assert he.params["Wh"].std() == pytest.approx(init_std(64, 64, "he"), rel=0.05)


def test_logits_read_the_last_hidden_state_of_rnn_forward():
    rng = np.random.default_rng(1)
    model = randomized(RNNClassifier(3, 4, 2, rng), rng)
    x = rng.normal(size=(6, 5, 3))
    p = model.params
    h, _ = rnn_forward(x, np.zeros((6, 4)), p["Wx"], p["Wh"], p["b"])
    np.testing.assert_allclose(model.logits(x), h[:, -1] @ p["W_y"] + p["b_y"], rtol=1e-14)
    np.testing.assert_array_equal(model.predict(x), np.argmax(model.logits(x), axis=1))
    y = model.predict(x)
    assert model.accuracy(x, y) == 1.0
    assert model.accuracy(x, (y + 1) % 2) == 0.0


@pytest.mark.parametrize(("N", "T", "D", "H", "C"), [(1, 1, 1, 1, 2), (5, 4, 3, 4, 3), (3, 7, 2, 5, 4)])
def test_loss_and_grads_match_centered_differences(N, T, D, H, C):
    rng = np.random.default_rng(N + T + D + H + C)
    model = randomized(RNNClassifier(D, H, C, rng), rng)
    x, y = rng.normal(size=(N, T, D)), rng.integers(0, C, size=N)
    loss, grads = model.loss_and_grads(x, y)
    assert set(grads) == set(model.params)
    assert all(grads[name].shape == model.params[name].shape for name in grads)
    result = check_gradient_params(lambda: model.loss_and_grads(x, y)[0], model.params, grads)
    assert result.passed and result.max_rel_error < TOL, str(result)
    expected_loss, _ = losses.softmax_cross_entropy_forward(model.logits(x), y)
    assert loss == pytest.approx(expected_loss, rel=1e-14)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_truncated_gradient_is_the_gradient_of_the_last_k_steps_from_a_fixed_state(k):
    # The loss reads only h_T, so truncation to k steps is the exact gradient of the loss of the last
    # k steps run from the state before them, held fixed.
    rng = np.random.default_rng(7)
    model = randomized(RNNClassifier(3, 4, 3, rng), rng)
    N, T = 4, 6
    x, y = rng.normal(size=(N, T, 3)), np.array([0, 2, 1, 1])
    _, grads = model.loss_and_grads(x, y, truncate=k)
    p = model.params
    h_all, _ = rnn_forward(x, np.zeros((N, 4)), p["Wx"], p["Wh"], p["b"])
    h_fixed = h_all[:, T - k - 1].copy()

    def truncated_loss():
        h, _ = rnn_forward(x[:, T - k:], h_fixed, p["Wx"], p["Wh"], p["b"])
        return losses.softmax_cross_entropy_forward(h[:, -1] @ p["W_y"] + p["b_y"], y)[0]

    result = check_gradient_params(truncated_loss, model.params, grads)
    assert result.passed and result.max_rel_error < TOL, str(result)
    full = model.loss_and_grads(x, y)[1]
    assert not np.allclose(grads["Wh"], full["Wh"], rtol=1e-6, atol=0)
    np.testing.assert_allclose(model.loss_and_grads(x, y, truncate=T)[1]["Wh"], full["Wh"], rtol=1e-13)


def test_the_api_mirrors_the_lstm_classifier():
    for name in ("loss_and_grads", "fit", "accuracy", "predict", "logits", "sizes"):
        assert hasattr(RNNClassifier, name) and hasattr(LSTMClassifier, name)
    assert issubclass(RNNHistory, LSTMHistory)
    history = RNNHistory()
    assert history.epochs == 0 and history.status == "running"


def test_fit_learns_a_short_recall_task():
    x, y = first_symbol_recall(32, 3, 3, seed=0)
    model = RNNClassifier(4, 8, 3, np.random.default_rng(0))
    history = model.fit(x, y, Adam(lr=0.05), epochs=40, batch_size=32, rng=np.random.default_rng(1))
    assert history.status == "finished" and history.epochs == 40
    assert history.loss[-1] < 0.1 * history.loss[0]
    assert model.accuracy(*first_symbol_recall(200, 3, 3, seed=2)) == 1.0


def test_fit_records_history_clips_and_is_deterministic():
    x, y = first_symbol_recall(12, 5, 3, seed=0)

    def train(clip):
        model = RNNClassifier(4, 6, 3, np.random.default_rng(1))
        history = model.fit(x, y, SGD(lr=0.5), epochs=3, batch_size=5, rng=np.random.default_rng(2), clip=clip)
        return model, history

    model_a, history_a = train(clip=1e-3)  # tiny: every update is clipped
    model_b, history_b = train(clip=1e-3)
    assert all(np.array_equal(model_a.params[n], model_b.params[n]) for n in RNN_PARAM_NAMES)
    assert history_a.loss == history_b.loss and history_a.epochs == 3
    assert len(history_a.accuracy) == len(history_a.grad_norm) == len(history_a.clipped) == 3
    assert history_a.clipped == [1.0, 1.0, 1.0] and min(history_a.grad_norm) > 1e-3
    _, history_free = train(clip=None)
    assert history_free.clipped == [0.0, 0.0, 0.0] and history_free.loss != history_a.loss


def test_each_update_is_clipped_to_the_given_norm():
    x, y = first_symbol_recall(8, 4, 2, seed=0)
    model = RNNClassifier(3, 4, 2, np.random.default_rng(1))
    before = {name: p.copy() for name, p in model.params.items()}
    model.fit(x, y, SGD(lr=1.0), epochs=1, batch_size=8, rng=np.random.default_rng(0), clip=0.01)
    step = np.sqrt(sum(np.sum((model.params[n] - before[n]) ** 2) for n in RNN_PARAM_NAMES))
    assert step == pytest.approx(0.01, rel=1e-9)


def test_fit_reports_divergence():
    x, y = first_symbol_recall(8, 4, 2, seed=0)
    model = RNNClassifier(3, 4, 2, np.random.default_rng(1))

    class Explode:
        def step(self, params, grads):
            params["W_y"][...] = np.inf

    history = model.fit(x, y, Explode(), epochs=5, batch_size=4, rng=np.random.default_rng(0))
    assert history.status == "diverged" and history.epochs == 1
    assert np.isnan(history.loss[-1]) and np.isnan(history.accuracy[-1])


def test_fit_callback_can_stop_training():
    x, y = first_symbol_recall(8, 3, 2, seed=0)
    model = RNNClassifier(3, 4, 2, np.random.default_rng(1))
    seen = []

    def stop_after_two(epoch, history):
        seen.append((epoch, history.epochs))
        return epoch == 1

    history = model.fit(x, y, SGD(lr=0.1), epochs=10, batch_size=8, rng=np.random.default_rng(0),
                        callback=stop_after_two)
    assert history.status == "stopped" and history.epochs == 2 and seen == [(0, 1), (1, 2)]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"D": 0}, "D"),
        ({"H": 2.5}, "H"),
        ({"C": 1}, "C"),
        ({"rng": 0}, "rng"),
        ({"init": "glorot"}, "init"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, match):
    args = {"D": 3, "H": 4, "C": 2, "rng": np.random.default_rng(0)}
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**{**args, **kwargs})


def test_methods_reject_bad_input():
    model = RNNClassifier(3, 4, 2, np.random.default_rng(0))
    x, y = np.zeros((5, 4, 3)), np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="x"):
        model.logits(np.zeros((5, 4, 2)))
    with pytest.raises(ValueError, match="x"):
        model.logits(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="y"):
        model.accuracy(x, y[:3])
    opt = SGD(lr=0.1)
    rng = np.random.default_rng(0)
    for kwargs, match in [
        ({"y": y.astype(float)}, "y"),
        ({"optimizer": "adam"}, "optimizer"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": -1}, "batch_size"),
        ({"rng": 3}, "rng"),
        ({"clip": 0.0}, "clip"),
        ({"truncate": 0}, "truncate"),
        ({"callback": "print"}, "callback"),
    ]:
        args = {"x": x, "y": y, "optimizer": opt, "epochs": 1, "batch_size": 2, "rng": rng}
        with pytest.raises(ValueError, match=match):
            model.fit(**{**args, **kwargs})
