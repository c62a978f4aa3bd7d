"""Tests for bplib.models: CharRNN (chapter 07, with bplib.text) and the sequence classifiers
RNNClassifier and LSTMClassifier (chapters 07-08), which share one head and one training loop."""

from __future__ import annotations

import hashlib
import re
import warnings
from importlib import resources

import numpy as np
import pytest

from bplib import losses, optim
from bplib.data import first_symbol_recall
from bplib.gradcheck import check_gradient_params
from bplib.layers import init_std
from bplib.lstm import PARAM_NAMES, lstm_forward
from bplib.models.charrnn import CharRNN
from bplib.models.classifiers import LSTMClassifier, RNNClassifier
from bplib.optim import SGD, Adam, Rprop
from bplib.rnn import rnn_forward, rnn_step_forward
from bplib.text import char_vocab, load_text

TOL = 1e-7
RNN_PARAM_NAMES = ("Wx", "Wh", "b", "W_y", "b_y")


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def assert_passes(result):
    assert result.passed, str(result)
    assert result.max_rel_error < TOL, str(result)


# ---- the shipped text -----------------------------------------------------------------------------


def test_load_text_gives_the_excerpt_that_the_licence_note_describes():
    text = load_text("coriolanus")
    note = resources.files("bplib.text").joinpath("TEXT_LICENSE.md").read_text(encoding="utf-8")
    lines, chars = (int(n) for n in re.search(r"first (\d+) lines, (\d+) characters", note).groups())
    assert text.count("\n") == lines and len(text) == chars
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() in note
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.\n")
    assert text.endswith("In praises sauced with lies.\n") and text.isascii() and "\r" not in text
    with pytest.raises(ValueError, match=r"name: expected one of \['coriolanus'\]"):
        load_text("hamlet")


def test_char_vocab_is_sorted_and_its_map_inverts_it():
    chars, index = char_vocab("hello, world")
    assert chars == [" ", ",", "d", "e", "h", "l", "o", "r", "w"]
    assert all(chars[index[c]] == c for c in chars)
    full_chars, _ = char_vocab(load_text())
    assert len(full_chars) == len(set(load_text()))
    for bad, fragment in ((b"abc", "expected a str"), ("", "non-empty"), (["a"], "expected a str")):
        with pytest.raises(ValueError, match=f"text: .*{fragment}"):
            char_vocab(bad)


# ---- CharRNN --------------------------------------------------------------------------------------


def small_model(seed: int = 0) -> CharRNN:
    model = CharRNN("abcde", 4, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    for p in model.params.values():  # biases too, so that every gradient entry is exercised
        p[...] = rng.normal(0.0, 0.6, size=p.shape)
    return model


def test_char_rnn_has_the_documented_parameters():
    model = CharRNN(["x", "y", "z"], 7, np.random.default_rng(0))
    assert {k: p.shape for k, p in model.params.items()} == {
        "Wx": (3, 7), "Wh": (7, 7), "b": (7,), "Wy": (7, 3), "by": (3,)
    }  # fmt: skip
    assert model.V == 3 and model.H == 7 and model.chars == ["x", "y", "z"] and model.char_to_index["z"] == 2
    assert model.encode("zyx").tolist() == [2, 1, 0] and repr(model) == "CharRNN(V=3, H=7)"


@pytest.mark.parametrize("with_h0", [False, True])
def test_char_rnn_loss_and_grads_match_centered_differences_for_all_params(with_h0):
    model = small_model()
    rng = np.random.default_rng(8)
    N, T = 2, 6
    inputs, targets = rng.integers(0, 5, size=(N, T)), rng.integers(0, 5, size=(N, T))
    h0 = rng.normal(0.0, 0.5, size=(N, 4)) if with_h0 else None
    loss, grads, h_last = model.loss_and_grads(inputs, targets, h0)
    assert loss == pytest.approx(model.loss(inputs, targets, h0), rel=1e-15)
    assert h_last.shape == (N, 4)
    assert_passes(check_gradient_params(lambda: model.loss(inputs, targets, h0), model.params, grads))


def test_char_rnn_learns_the_shipped_text_quickly_and_samples_deterministically():
    text = load_text()
    chars, _ = char_vocab(text)
    model = CharRNN(chars, 32, np.random.default_rng(0))
    held = text[:2000]
    before = model.evaluate(held)
    history = model.train(
        text, seq_len=25, steps=300, optimizer=optim.Momentum(lr=0.2), rng=np.random.default_rng(1), clip=5.0,
        batch_size=4,
    )  # fmt: skip
    after = model.evaluate(held)
    assert history.status == "finished" and history.steps == 300
    assert len(history.grad_norm) == len(history.clipped) == 300
    assert before == pytest.approx(np.log(len(chars)), abs=0.05)  # knows nothing: ln V nats per character
    # below 2.6 nats per character: better than character frequencies alone (about 3.27 on this text)
    assert after < 2.6, after
    assert np.mean(history.loss[-50:]) < np.mean(history.loss[:20]) - 1.0

    first = model.sample("First", 120, np.random.default_rng(3), temperature=0.8)
    again = model.sample("First", 120, np.random.default_rng(3), temperature=0.8)
    other = model.sample("First", 120, np.random.default_rng(4), temperature=0.8)
    assert first == again and first != other
    assert len(first) == 120 and set(first) <= set(chars)
    assert model.sample("F", 0, np.random.default_rng(0)) == ""

    # a temperature near 0 leaves only the most likely character: greedy decoding, done here by hand
    p, h, greedy = model.params, np.zeros((1, 32)), []
    for c in "First":
        h, _ = rnn_step_forward(np.eye(len(chars))[[chars.index(c)]], h, p["Wx"], p["Wh"], p["b"])
    for _ in range(60):
        index = int(np.argmax(h @ p["Wy"] + p["by"]))
        greedy.append(chars[index])
        h, _ = rnn_step_forward(np.eye(len(chars))[[index]], h, p["Wx"], p["Wh"], p["b"])
    assert model.sample("First", 60, np.random.default_rng(5), temperature=1e-3) == "".join(greedy)


def test_char_rnn_training_is_reproducible():
    text = load_text()[:3000]
    chars, _ = char_vocab(text)
    runs = []
    for _ in range(2):
        model = CharRNN(chars, 8, np.random.default_rng(0))
        history = model.train(text, 10, 15, SGD(0.5), rng=np.random.default_rng(2), clip=1.0, batch_size=2)
        runs.append((history.loss, model.params["Wh"].copy()))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])


def test_char_rnn_training_follows_its_documented_procedure():
    # read the next window at each position, carry the state, restart a position that runs out
    text = load_text()[:60]
    chars, _ = char_vocab(text)
    model = CharRNN(chars, 6, np.random.default_rng(0))
    reference = CharRNN(chars, 6, np.random.default_rng(0))
    history = model.train(text, 10, 12, SGD(0.3), rng=np.random.default_rng(7), batch_size=3)

    rng, data, losses = np.random.default_rng(7), reference.encode(text), []
    last_start = len(text) - 10 - 1
    positions, h = rng.integers(0, last_start + 1, size=3), np.zeros((3, 6))
    restarts = 0
    for _ in range(12):
        window = positions[:, None] + np.arange(10)
        loss, grads, h = reference.loss_and_grads(data[window], data[window + 1], h)
        optim.SGD(0.3).step(reference.params, grads)
        losses.append(loss)
        positions += 10
        ended = positions > last_start
        restarts += int(ended.sum())
        positions[ended] = rng.integers(0, last_start + 1, size=int(ended.sum()))
        h[ended] = 0.0
    assert restarts > 0  # the case includes positions running off the end
    assert history.loss == losses
    assert all(np.array_equal(model.params[k], reference.params[k]) for k in model.params)


def test_char_rnn_training_records_clipping_and_divergence():
    text = load_text()[:3000]
    chars, _ = char_vocab(text)
    model = CharRNN(chars, 8, np.random.default_rng(0))
    history = model.train(text, 10, 5, SGD(0.1), rng=np.random.default_rng(0), clip=1e-6)
    assert all(history.clipped) and all(n > 1e-6 for n in history.grad_norm)
    model.params["Wy"][0, 0] = np.inf  # a blown-up parameter: the loss is no longer finite
    diverged = model.train(text, 10, 5, SGD(0.1), rng=np.random.default_rng(0))
    assert diverged.status == "diverged" and diverged.steps == 1


@pytest.mark.parametrize(
    ("vocab", "fragment"),
    [("a", "at least 2"), ("aba", r"distinct characters, got repeats of \['a'\]"), (["ab", "c"], "1-character"),
     (5, "1-character")],
)  # fmt: skip
def test_char_rnn_rejects_bad_vocabularies(vocab, fragment):
    with pytest.raises(ValueError, match=f"vocab: .*{fragment}"):
        CharRNN(vocab, 4, np.random.default_rng(0))


def test_char_rnn_rejects_bad_inputs_with_clear_messages():
    model = small_model()
    ok = np.zeros((2, 3), dtype=int)
    cases = [
        (lambda: model.loss(np.zeros(3, dtype=int), ok), r"inputs: expected character indices of shape \(N, T\)"),
        (lambda: model.loss(ok + 5, ok), r"inputs: expected class indices in \[0, 5\)"),
        (lambda: model.loss(ok.astype(float), ok), "inputs: expected integer class indices"),
        (lambda: model.loss(ok, ok[:, :2]), r"targets: expected shape \(N, T\) = \(2, 3\)"),
        (lambda: model.loss(ok, ok, np.zeros(4)), r"h0: .*\(2, 4\).*h0.reshape\(1, -1\)"),
        (lambda: model.encode("abz"), r"text: expected only characters of the model's vocabulary, got \['z'\]"),
        (lambda: model.sample("", 5, np.random.default_rng(0)), "seed_text: expected at least one character"),
        (lambda: model.sample("a", 5, np.random.default_rng(0), temperature=0), "temperature"),
        (lambda: model.sample("a", -1, np.random.default_rng(0)), "n_chars"),
        (lambda: model.sample("a", 5, 0), "rng: expected a numpy Generator"),
        (lambda: model.train("abc", 4, 2, SGD(0.1), rng=np.random.default_rng(0)), "text: expected more than seq_len"),
        (lambda: model.train("abcde" * 5, 4, 0, SGD(0.1), rng=np.random.default_rng(0)), "steps"),
        (lambda: model.train("abcde" * 5, 4, 2, SGD(0.1), rng=np.random.default_rng(0), clip=-1), "clip"),
        (lambda: model.train("abcde" * 5, 4, 2, "sgd", rng=np.random.default_rng(0)), "optimizer"),
        (lambda: model.train("abcde" * 5, 4, 2, SGD(0.1), rng=0), "rng: expected a numpy Generator"),
        (lambda: model.evaluate("a"), "at least 2 characters"),
        (lambda: CharRNN("ab", 0, np.random.default_rng(0)), "H: expected a positive whole number"),
    ]
    for call, fragment in cases:
        with pytest.raises(ValueError, match=fragment):
            call()


# ---- RNNClassifier ---------------------------------------------------------------------------------


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
    x, y = first_symbol_recall(6, 3, 2, seed=0)
    histories = [model.fit(x, y, SGD(0.1), 1, 3, np.random.default_rng(0))
                 for model in (RNNClassifier(3, 4, 2, np.random.default_rng(1)),
                               LSTMClassifier(3, 4, 2, np.random.default_rng(1)))]
    assert type(histories[0]) is type(histories[1])  # one training loop, one history
    assert all(h.epochs == 1 and h.status == "finished" for h in histories)


@pytest.mark.parametrize("model_class", [RNNClassifier, LSTMClassifier])
def test_fit_stops_only_when_the_callback_returns_true(model_class):
    x, y = first_symbol_recall(6, 3, 2, seed=0)
    for answer, epochs in ((1, 4), ("yes", 4), (None, 4), (np.True_, 1), (True, 1)):
        model = model_class(3, 4, 2, np.random.default_rng(1))
        history = model.fit(x, y, SGD(0.1), 4, 3, np.random.default_rng(0), callback=lambda e, h, a=answer: a)
        assert history.epochs == epochs and history.status == ("stopped" if epochs == 1 else "finished")


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


# ---- LSTMClassifier --------------------------------------------------------------------------------


@pytest.mark.parametrize("truncate", [None, 2])
def test_classifier_loss_and_grads_match_centered_differences(truncate):
    rng = np.random.default_rng(17)
    model = LSTMClassifier(3, 4, 3, rng, forget_bias=0.5)
    for name in model.params:  # random biases, not just the initial zeros
        model.params[name] += rng.normal(0.0, 0.3, size=model.params[name].shape)
    x, y = rng.normal(size=(5, 4, 3)), np.array([0, 2, 1, 1, 0])
    loss, grads = model.loss_and_grads(x, y, truncate=truncate)
    assert set(grads) == set(model.params) == set(PARAM_NAMES) | {"W_y", "b_y"}
    if truncate is None:
        assert_passes(check_gradient_params(lambda: model.loss_and_grads(x, y)[0], model.params, grads))
    else:
        # The loss reads only h_T, so the truncated objective runs the last k steps from the state
        # before them, held fixed, and applies the same head and loss.
        lstm_params = {name: model.params[name] for name in PARAM_NAMES}
        _, cache = lstm_forward(x, None, None, lstm_params)
        fixed = cache.steps[-truncate - 1]  # the step just before the window
        h_fixed, c_fixed = fixed.h.copy(), fixed.c.copy()

        def truncated_loss():
            h, _ = lstm_forward(x[:, -truncate:], h_fixed, c_fixed, lstm_params)
            z = h[:, -1] @ model.params["W_y"] + model.params["b_y"]
            return losses.softmax_cross_entropy_forward(z, y)[0]

        assert_passes(check_gradient_params(truncated_loss, model.params, grads))
        full = model.loss_and_grads(x, y)[1]
        assert not np.allclose(grads["U_f"], full["U_f"], rtol=1e-6, atol=0)  # truncation changed something
    assert loss == pytest.approx(model.loss_and_grads(x, y)[0], rel=1e-15)


def test_classifier_logits_use_the_last_hidden_state():
    rng = np.random.default_rng(2)
    model = LSTMClassifier(2, 3, 4, rng)
    x = rng.normal(size=(5, 6, 2))
    h, _ = lstm_forward(x, None, None, {name: model.params[name] for name in PARAM_NAMES})
    np.testing.assert_allclose(model.logits(x), h[:, -1] @ model.params["W_y"] + model.params["b_y"], rtol=1e-14)
    assert model.predict(x).shape == (5,)
    assert model.sizes == (2, 3, 4)


def test_lstm_learns_first_symbol_recall_at_T_20_where_chance_is_one_quarter():
    # ~0.5 s of compute. Rprop on the full batch: with momentum SGD the LSTM sits on a long plateau
    # at chance on this task (see the module report), Rprop's sign-based steps leave it quickly.
    T, n_symbols = 20, 4
    x, y = first_symbol_recall(32, T, n_symbols, seed=1)
    model = LSTMClassifier(n_symbols + 1, 16, n_symbols, np.random.default_rng(0), forget_bias=1.0)
    before = model.accuracy(x, y)
    optimizer = Rprop(step_init=0.01, step_max=1.0)
    history = model.fit(x, y, optimizer, epochs=40, batch_size=32, rng=np.random.default_rng(0))
    x_test, y_test = first_symbol_recall(500, T, n_symbols, seed=2)
    assert before < 0.5
    assert history.status == "finished" and history.epochs == 40
    assert model.accuracy(x_test, y_test) > 0.9
    assert history.loss[-1] < 0.1 * history.loss[0]


def test_lstm_fit_records_history_clips_and_is_deterministic():
    x, y = first_symbol_recall(12, 5, 3, seed=0)

    def train(clip):
        model = LSTMClassifier(4, 6, 3, np.random.default_rng(1))
        history = model.fit(x, y, SGD(lr=0.5), epochs=3, batch_size=5, rng=np.random.default_rng(2), clip=clip)
        return model, history

    model_a, history_a = train(clip=1e-3)  # tiny: every update is clipped
    model_b, history_b = train(clip=1e-3)
    assert all(np.array_equal(model_a.params[n], model_b.params[n]) for n in model_a.params)
    assert history_a.loss == history_b.loss
    assert history_a.epochs == 3 and len(history_a.accuracy) == len(history_a.grad_norm) == len(history_a.clipped) == 3
    assert history_a.clipped == [1.0, 1.0, 1.0] and min(history_a.grad_norm) > 1e-3
    _, history_free = train(clip=None)
    assert history_free.clipped == [0.0, 0.0, 0.0]
    assert history_free.loss != history_a.loss


def test_fit_clipping_bounds_each_update():
    x, y = first_symbol_recall(8, 4, 2, seed=0)
    model = LSTMClassifier(3, 4, 2, np.random.default_rng(1))
    before = {name: p.copy() for name, p in model.params.items()}
    model.fit(x, y, SGD(lr=1.0), epochs=1, batch_size=8, rng=np.random.default_rng(0), clip=0.01)
    step = np.sqrt(sum(np.sum((model.params[n] - before[n]) ** 2) for n in before))
    assert step == pytest.approx(0.01, rel=1e-9)  # one update, scaled to norm clip, times lr = 1


def test_fit_stops_and_reports_divergence_when_a_parameter_stops_being_finite():
    class Overflowing:
        """An optimizer whose second update overflows a weight."""

        calls = 0

        def step(self, params, grads):
            self.calls += 1
            if self.calls == 2:
                params["W_y"][0, 0] = np.inf

    x, y = first_symbol_recall(6, 3, 2, seed=0)
    model = LSTMClassifier(3, 4, 2, np.random.default_rng(1))
    history = model.fit(x, y, Overflowing(), epochs=5, batch_size=3, rng=np.random.default_rng(0))
    assert history.status == "diverged" and history.epochs == 1
    assert np.isnan(history.loss[0]) and np.isnan(history.accuracy[0])


def test_lstm_fit_callback_can_stop_training():
    x, y = first_symbol_recall(6, 3, 2, seed=0)
    model = LSTMClassifier(3, 4, 2, np.random.default_rng(1))
    history = model.fit(x, y, SGD(0.1), 10, 3, np.random.default_rng(0), callback=lambda epoch, h: epoch == 1)
    assert history.status == "stopped" and history.epochs == 2


def test_classifier_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"^C: expected at least 2 classes, got 1"):
        LSTMClassifier(3, 4, 1, rng)
    model = LSTMClassifier(3, 4, 2, rng)
    x, y = np.zeros((4, 5, 3)), np.array([0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"^x: expected shape \(N, T, D\) = \(N, T, 3\) .*got shape \(4, 5, 2\)"):
        model.loss_and_grads(np.zeros((4, 5, 2)), y)
    with pytest.raises(ValueError, match=r"^y: expected class labels in \[0, 2\), got labels from 0 to 2"):
        model.loss_and_grads(x, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"^y: expected 4 integer labels"):
        model.fit(x, y.astype(float), SGD(0.1), 1, 2, rng)
    with pytest.raises(ValueError, match=r"^optimizer: expected an object with step"):
        model.fit(x, y, 0.1, 1, 2, rng)
    with pytest.raises(ValueError, match=r"^clip: expected a finite number > 0"):
        model.fit(x, y, SGD(0.1), 1, 2, rng, clip=0.0)
    with pytest.raises(ValueError, match=r"^epochs: expected a positive whole number"):
        model.fit(x, y, SGD(0.1), 0, 2, rng)
    with pytest.raises(ValueError, match=r"^truncate: expected a positive whole number"):
        model.fit(x, y, SGD(0.1), 1, 2, rng, truncate=0)
    with pytest.raises(ValueError, match=r"^y: expected 3 labels of shape \(3,\)"):
        model.accuracy(x[:3], y)
