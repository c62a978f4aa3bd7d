"""One table drives the bad-input contract of every public function that takes a batch: an empty
batch (N = 0, or T = 0 for sequences) and an input of the wrong width each raise a ValueError
that names the input (not a weight that was right), the shape expected and the shape that came.

The weights fix the sizes D and H; inputs are checked against them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from bplib import activations as act
from bplib import data, depth, layers, losses, lstm, neuron, rnn
from bplib.models.classifiers import LSTMClassifier, RNNClassifier
from bplib.network import Network

N, D, H, T, C = 3, 4, 5, 6, 3
_rng = np.random.default_rng(0)
W, b = _rng.normal(size=(D, H)), np.zeros(H)
Wx, Wh = _rng.normal(size=(D, H)), _rng.normal(size=(H, H))
LSTM_PARAMS = lstm.init_lstm_params(D, H, np.random.default_rng(0))
DEEP = [_rng.normal(size=(D, D)), _rng.normal(size=(D, D))]


def _network():
    return Network([D, H, C], "tanh", "softmax_ce", rng=np.random.default_rng(0))


@dataclass(frozen=True)
class Case:
    """call(bad) calls a public function with `bad` as its argument `arg`, everything else right."""

    name: str
    arg: str
    call: Callable[[np.ndarray], object]
    empty: tuple  # a shape with an empty batch (or sequence)
    wrong_width: tuple | None  # a shape whose feature size disagrees with the weights, if any


CASES = [
    Case("dense_forward", "x", lambda v: layers.dense_forward(v, W, b), (0, D), (N, D + 1)),
    Case("add_bias_column", "x", layers.add_bias_column, (0, D), None),
    Case("sigmoid_forward", "z", layers.sigmoid_forward, (0, H), None),
    Case("relu_forward", "z", layers.relu_forward, (0, H), None),
    Case("sigmoid", "z", act.sigmoid, (0, H), None),
    Case("tanh_prime", "z", act.tanh_prime, (0, H), None),
    Case("softmax", "z", act.softmax, (0, C), None),
    Case("squared_error_forward", "y_hat", lambda v: losses.squared_error_forward(v, np.zeros(v.shape)), (0, 2), None),
    Case("binary_cross_entropy_loss", "y_hat", lambda v: losses.binary_cross_entropy_loss(v, np.zeros(v.shape)),
         (0, 1), None),
    Case("softmax_cross_entropy_forward", "z",
         lambda v: losses.softmax_cross_entropy_forward(v, np.zeros(v.shape[0], int)), (0, C), None),
    Case("neuron_forward", "x", lambda v: neuron.neuron_forward(v, np.zeros(2), 0.0), (0, 2), (N, 3)),
    Case("neuron_gradients", "x",
         lambda v: neuron.neuron_gradients(v, np.zeros(v.shape[0]), np.zeros(2), 0.0), (0, 2), (N, 3)),
    Case("deep_forward", "x", lambda v: depth.deep_forward(v, DEEP, "tanh"), (0, D), (N, D + 1)),
    Case("rnn_step_forward", "x_t", lambda v: rnn.rnn_step_forward(v, np.zeros((v.shape[0], H)), Wx, Wh, b),
         (0, D), (N, D + 1)),
    Case("rnn_forward", "x", lambda v: rnn.rnn_forward(v, np.zeros((v.shape[0], H)), Wx, Wh, b), (0, T, D),
         (N, T, D + 1)),
    Case("rnn_forward (T = 0)", "x", lambda v: rnn.rnn_forward(v, np.zeros((N, H)), Wx, Wh, b), (N, 0, D), None),
    Case("lstm_step_forward", "x_t",
         lambda v: lstm.lstm_step_forward(v, np.zeros((v.shape[0], H)), np.zeros((v.shape[0], H)), LSTM_PARAMS),
         (0, D), (N, D + 1)),
    Case("lstm_forward", "x", lambda v: lstm.lstm_forward(v, None, None, LSTM_PARAMS), (0, T, D), (N, T, D + 1)),
    Case("lstm_forward (T = 0)", "x", lambda v: lstm.lstm_forward(v, None, None, LSTM_PARAMS), (N, 0, D), None),
    Case("Network.forward", "x", lambda v: _network().forward(v), (0, D), (N, D + 1)),
    Case("Network.loss", "x", lambda v: _network().loss(v, np.zeros(v.shape[0], int)), (0, D), (N, D + 1)),
    Case("LSTMClassifier.predict", "x",
         lambda v: LSTMClassifier(D, H, C, rng=np.random.default_rng(0)).predict(v), (0, T, D), (N, T, D + 1)),
    Case("RNNClassifier.predict", "x",
         lambda v: RNNClassifier(D, H, C, rng=np.random.default_rng(0)).predict(v), (0, T, D), (N, T, D + 1)),
    Case("train_test_split", "x", lambda v: data.train_test_split(v, np.zeros(v.shape[0])), (0, D), None),
    Case("standardize", "x_train", lambda v: data.standardize(v, np.zeros((2, v.shape[1]))), (0, D), None),
]


def _assert_names_the_input(case: Case, shape: tuple) -> None:
    with pytest.raises(ValueError) as info:
        case.call(np.zeros(shape))
    message = str(info.value)
    assert message.startswith(f"{case.arg}:"), f"{case.name}: the error should name {case.arg}, got {message!r}"
    assert "expected" in message, message
    assert re.search(rf"got (an empty array of )?shape {re.escape(str(shape))}", message), message


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_empty_batch_is_refused_by_name(case):
    _assert_names_the_input(case, case.empty)


WIDTH_CASES = [c for c in CASES if c.wrong_width is not None]


@pytest.mark.parametrize("case", WIDTH_CASES, ids=[c.name for c in WIDTH_CASES])
def test_an_input_of_the_wrong_width_is_blamed_not_the_weights(case):
    _assert_names_the_input(case, case.wrong_width)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_table_calls_are_right_apart_from_the_bad_input(case):
    # The same call with a batch of the right shape works, so each failure above is the input's.
    good = tuple(N if size == 0 and i == 0 else (T if size == 0 else size) for i, size in enumerate(case.empty))
    case.call(np.random.default_rng(1).normal(size=good) * 0.1 + 0.5)
