"""Sequence classifiers: a recurrent network reads a sequence, a dense layer its last state (chapters 07-08).

    h = the recurrent network over x, from zero states     (N, T, H)
    z = h[:, -1] @ W_y + b_y                                (N, C) logits, from the last state only
    loss = softmax cross-entropy of z and the labels y, averaged over the N sequences

RNNClassifier (bplib.rnn) and LSTMClassifier (bplib.lstm) differ only in the recurrent network; the
head, its gradient, prediction and training (fit: mini-batches, clipping by the global norm) are
written once, in _Classifier. Since the loss reads only the last state, the upstream gradient dh is
zero but at the last step: whatever the earlier steps learn reaches them through the gradient
carried back in time. Chapter 07 trains the RNN on first-symbol recall with full and truncated BPTT;
chapter 08 sets the two against each other on a longer gap, where only the LSTM's cell state
carries the gradient back far enough.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bplib import losses
from bplib._validate import _describe, check_callback, check_rng, positive_int, positive_real, says_stop
from bplib.layers import init_std
from bplib.lstm import _lstm_backward, _lstm_forward, init_lstm_params
from bplib.rnn import _clip_by_norm, _global_norm, _rnn_backward, _rnn_forward, _sequence

__all__ = ["RNNClassifier", "LSTMClassifier"]


@dataclass
class FitHistory:
    """What fit recorded, one entry per epoch (the class of fit's result). Chapters 07-08.

    Fields:
        loss, accuracy: on the whole training set, measured after the epoch's updates.
        grad_norm: the mean over the epoch's updates of the global gradient norm before clipping.
        clipped: the fraction of the epoch's updates whose gradient was scaled down by clipping.
        status: "finished" (all epochs ran), "stopped" (the callback returned True) or "diverged"
            (a parameter stopped being finite; that epoch is recorded with nan loss and accuracy).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    clipped: list[float] = field(default_factory=list)
    status: str = "running"

    @property
    def epochs(self) -> int:
        """The number of epochs recorded. Chapters 07-08."""
        return len(self.loss)


def _classes(C) -> int:
    C = positive_int(C, "C")
    if C < 2:
        raise ValueError(f"C: expected at least 2 classes, got {C}")
    return C


class _Classifier:
    """What both classifiers share. A subclass sets params and _INPUT (the name of its (D, H) input
    weights), and defines _recurrent(x) -> (h, cache) and _recurrent_backward(dh, cache, truncate) ->
    the gradients of its recurrent weights."""

    params: dict[str, np.ndarray]
    _INPUT: str

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(D, H, C): features per step, hidden units, classes. Chapters 07-08."""
        D, H = self.params[self._INPUT].shape
        return D, H, self.params["W_y"].shape[1]

    def _logits(self, x: np.ndarray) -> np.ndarray:
        h, _ = self._recurrent(x)
        return h[:, -1] @ self.params["W_y"] + self.params["b_y"]  # (N, H) @ (H, C) + (C,) -> (N, C)

    def logits(self, x) -> np.ndarray:
        """Inputs: x: (N, T, D). Returns: z: (N, C), the class scores from the last hidden state. Chapters 07-08."""
        return self._logits(_sequence(x, self.sizes[0]))

    def predict(self, x) -> np.ndarray:
        """Inputs: x: (N, T, D). Returns: (N,) integer class labels, the argmax of the logits. Chapters 07-08."""
        return np.argmax(self.logits(x), axis=1)

    def accuracy(self, x, y) -> float:
        """Inputs: x: (N, T, D), y: (N,) integer labels. Returns: the fraction classified right. Chapters 07-08."""
        predicted = self.predict(x)
        labels = np.asarray(y)
        if labels.shape != predicted.shape:
            raise ValueError(f"y: expected {predicted.shape[0]} labels of shape {predicted.shape}, got {labels.shape}")
        return float(np.mean(predicted == labels))

    def _loss_and_grads(self, x: np.ndarray, rows: np.ndarray, truncate: int | None):
        h, cache = self._recurrent(x)  # (N, T, H)
        h_last = h[:, -1]  # (N, H)
        z = h_last @ self.params["W_y"] + self.params["b_y"]  # (N, C)
        loss, loss_cache = losses._softmax_cross_entropy_forward(z, rows)  # rows: (N, C) one-hot targets
        dz = losses._softmax_cross_entropy_backward(1.0, loss_cache)  # (N, C)
        dh = np.zeros_like(h)  # (N, T, H): only the last hidden state is read by the loss
        dh[:, -1] = dz @ self.params["W_y"].T  # (N, C) @ (C, H) -> (N, H)
        grads = self._recurrent_backward(dh, cache, truncate)
        grads["W_y"] = h_last.T @ dz  # (H, N) @ (N, C) -> (H, C)
        grads["b_y"] = dz.sum(axis=0)  # (C,)
        return loss, {name: grads[name] for name in self.params}

    def loss_and_grads(self, x, y, truncate: int | None = None):
        """The mean cross-entropy and its gradient for every parameter, by BPTT. Chapters 07-08.

        Inputs: x: (N, T, D) sequences; y: (N,) integer labels in [0, C); truncate: None for full
            BPTT, or k: the loss (read at the last step) reaches back k steps.
        Returns: loss: a float; grads: a dict with the keys and shapes of params.
        """
        truncate = None if truncate is None else positive_int(truncate, "truncate")
        x = _sequence(x, self.sizes[0])
        return self._loss_and_grads(x, losses._target_rows(y, x.shape[0], self.sizes[-1]), truncate)

    def fit(self, x, y, optimizer, epochs: int, batch_size: int, rng: np.random.Generator, clip: float | None = 5.0,
            truncate: int | None = None, callback: Callable[[int, FitHistory], bool | None] | None = None):
        """Train by mini-batch gradient descent with gradient clipping. Chapters 07-08.

        Each epoch shuffles the N sequences with rng and visits them in batches of batch_size (the last
        batch keeps the remainder). Before each update the gradients are clipped together: when their
        global norm exceeds clip they are all scaled by clip / norm, which keeps the direction and
        bounds the step (an exploding gradient cannot throw the weights away).

        Inputs:
            x: (N, T, D) training sequences; y: (N,) integer labels in [0, C).
            optimizer: has step(params, grads), e.g. bplib.optim.Adam(lr=0.01), or bplib.optim.Rprop
                with batch_size >= N (Rprop needs full-batch gradients).
            epochs, batch_size: whole numbers >= 1; rng: a numpy Generator, the only randomness.
            clip: the largest global gradient norm, a number > 0, or None for no clipping.
            truncate: None (full BPTT) or k, as in loss_and_grads.
            callback: optional callback(epoch, history); returning True stops training.
        Returns:
            a FitHistory with one entry per epoch and status "finished", "stopped" or "diverged".
        """
        x = _sequence(x, self.sizes[0])
        N = x.shape[0]
        labels = np.asarray(y)
        if labels.shape != (N,) or not np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool:
            raise ValueError(f"y: expected {N} integer labels of shape ({N},), got {_describe(labels)}")
        rows = losses._target_rows(labels, N, self.sizes[-1])  # (N, C); refuses labels outside [0, C)
        if not callable(getattr(optimizer, "step", None)):
            raise ValueError(f"optimizer: expected an object with step(params, grads), got {_describe(optimizer)}")
        epochs, batch_size = positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size")
        check_rng(rng)
        clip = None if clip is None else positive_real(clip, "clip")
        truncate = None if truncate is None else positive_int(truncate, "truncate")
        check_callback(callback, "callback(epoch, history)")

        history = FitHistory()
        for epoch in range(epochs):
            order = rng.permutation(N)
            norms, clipped = [], 0
            for start in range(0, N, batch_size):
                batch = order[start : start + batch_size]
                _, grads = self._loss_and_grads(x[batch], rows[batch], truncate)
                norm = _global_norm(grads)
                if clip is not None and norm > clip:
                    grads, _ = _clip_by_norm(grads, clip)  # all scaled by clip / norm
                    clipped += 1
                norms.append(norm)
                optimizer.step(self.params, grads)
                if not all(np.all(np.isfinite(p)) for p in self.params.values()):
                    break  # an update overflowed: stop here and record the epoch as diverged
            history.grad_norm.append(float(np.mean(norms)))
            history.clipped.append(clipped / len(norms))
            if not all(np.all(np.isfinite(p)) for p in self.params.values()):
                history.loss.append(math.nan)
                history.accuracy.append(math.nan)
                history.status = "diverged"
                return history
            z = self._logits(x)  # (N, C) on the whole training set
            history.loss.append(losses._softmax_cross_entropy_forward(z, rows)[0])
            history.accuracy.append(float(np.mean(np.argmax(z, axis=1) == labels)))
            if callback is not None and says_stop(callback(epoch, history)):
                history.status = "stopped"
                return history
        history.status = "finished"
        return history

    def __repr__(self) -> str:
        D, H, C = self.sizes
        return f"{type(self).__name__}(D={D}, H={H}, C={C})"


class RNNClassifier(_Classifier):
    """A vanilla RNN that reads a sequence and classifies it from its last hidden state. Chapters 07-08.

    RNNClassifier(D, H, C, rng, init="xavier"):
        D: features per step; H: hidden units; C: classes (C >= 2); rng: a numpy Generator.
        init: "xavier", "he" or "normal": Wx, Wh and W_y are normal with the standard deviation
            bplib.layers.init_std(fan_in, fan_out, init); b and b_y are 0. With "xavier", Wh: (H, H)
            has std 1 / sqrt(H), so its eigenvalues fill a disc of radius about 1: the gradient
            through time neither explodes nor vanishes at once (chapter 07).
    Attributes:
        params: {"Wx": (D, H), "Wh": (H, H), "b": (H,), "W_y": (H, C), "b_y": (C,)}, float64 arrays
            updated in place by an optimizer and read at call time (so a gradient check can nudge them).
    """

    _INPUT = "Wx"

    def __init__(self, D: int, H: int, C: int, rng: np.random.Generator, init: str = "xavier"):
        D, H, C = positive_int(D, "D"), positive_int(H, "H"), _classes(C)
        check_rng(rng)
        self.params = {
            "Wx": rng.normal(0.0, init_std(D, H, init), size=(D, H)),
            "Wh": rng.normal(0.0, init_std(H, H, init), size=(H, H)),
            "b": np.zeros(H),
            "W_y": rng.normal(0.0, init_std(H, C, init), size=(H, C)),
            "b_y": np.zeros(C),
        }

    def _recurrent(self, x):
        p = self.params
        return _rnn_forward(x, np.zeros((x.shape[0], p["Wh"].shape[0])), p["Wx"], p["Wh"], p["b"])

    def _recurrent_backward(self, dh, cache, truncate):
        _, _, dWx, dWh, db = _rnn_backward(dh, cache, truncate)
        return {"Wx": dWx, "Wh": dWh, "b": db}


class LSTMClassifier(_Classifier):
    """An LSTM that reads a sequence and classifies it from its last hidden state. Chapter 08.

    LSTMClassifier(D, H, C, rng, forget_bias=1.0, init="xavier"):
        D: features per step; H: hidden units; C: classes (C >= 2); rng: a numpy Generator.
        forget_bias, init: as in bplib.lstm.init_lstm_params; W_y is normal with std
            init_std(H, C, init), b_y = 0.
    Attributes:
        params: the LSTM's twelve arrays (bplib.lstm.PARAM_NAMES) plus "W_y": (H, C) and "b_y": (C,),
            updated in place by an optimizer and read at call time.
    """

    _INPUT = "W_f"

    def __init__(self, D: int, H: int, C: int, rng: np.random.Generator, forget_bias: float = 1.0,
                 init: str = "xavier"):
        C = _classes(C)
        self.params = init_lstm_params(D, H, rng, forget_bias=forget_bias, init=init)
        self.params["W_y"] = rng.normal(0.0, init_std(H, C, init), size=(H, C))
        self.params["b_y"] = np.zeros(C)

    def _recurrent(self, x):
        zeros = np.zeros((x.shape[0], self.params["U_f"].shape[0]))  # (N, H): h0 = c0 = 0
        return _lstm_forward(x, zeros, zeros, self.params)  # the step reads only the gates' weights

    def _recurrent_backward(self, dh, cache, truncate):
        return _lstm_backward(dh, cache, truncate)[3]
