"""A vanilla-RNN sequence classifier, the LSTM's opponent on long-range recall (introduced in chapter 08).

Chapter 08 trains a vanilla RNN and an LSTM on the same long-range task (bplib.tasks.first_symbol_recall)
with the same hidden size, optimizer, clipping and data, and compares their accuracies. RNNClassifier is
the vanilla side of that comparison; it mirrors bplib.lstm.LSTMClassifier (the same constructor
arguments where they apply, the same loss_and_grads, fit, accuracy and history), so the two can be
trained by the same lines of code:

    h = rnn_forward(x, 0, Wx, Wh, b)          (N, T, H), h_t = tanh(x_t Wx + h_{t-1} Wh + b)
    z = h[:, -1] @ W_y + b_y                  (N, C) logits, from the last hidden state only
    loss = softmax cross-entropy of z and the labels y, averaged over the N sequences

The gradient of that loss reaches x_0 only through the T-1 step Jacobians
dh_t / dh_{t-1} = diag(1 - h_t^2) Wh^T of chapter 07, which is why the vanilla RNN stops learning the task
when T grows, while the LSTM's cell state carries the gradient back through the forget gates.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from bplib import losses
from bplib._validate import _describe, as_float_array
from bplib.layers import INITS, init_std
from bplib.lstm import LSTMHistory
from bplib.rnn import clip_by_norm, global_norm, rnn_backward, rnn_forward

__all__ = ["RNN_PARAM_NAMES", "RNNHistory", "RNNClassifier"]

RNN_PARAM_NAMES = ("Wx", "Wh", "b", "W_y", "b_y")


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _finite_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return float(value)


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy Generator such as np.random.default_rng(0), got {_describe(rng)}")


class RNNHistory(LSTMHistory):
    """What RNNClassifier.fit recorded, one entry per epoch: the fields of bplib.lstm.LSTMHistory. Chapter 08.

    Fields:
        loss, accuracy: on the whole training set, measured after the epoch's updates.
        grad_norm: the mean over the epoch's updates of the joint gradient norm before clipping.
        clipped: the fraction of the epoch's updates whose gradient was scaled down by clipping.
        status: "finished", "stopped" (the callback returned True) or "diverged".
    """


class RNNClassifier:
    """A vanilla RNN that reads a sequence and classifies it from its last hidden state. Chapter 08.

    RNNClassifier(D, H, C, rng, init="xavier"):
        D: features per step; H: hidden units; C: classes (C >= 2).
        rng: a numpy Generator, the only source of randomness in the initial parameters.
        init: "xavier", "he" or "normal" (bplib.layers.INITS): Wx, Wh and W_y are normal with the
            standard deviation init_std(fan_in, fan_out, init), as the LSTM's weights; b and b_y are 0.
            With "xavier", Wh: (H, H) has std 1 / sqrt(H), so its eigenvalues fill a disc of radius
            about 1: the gradient through time neither explodes nor vanishes at once (chapter 07).
    Attributes:
        params: {"Wx": (D, H), "Wh": (H, H), "b": (H,), "W_y": (H, C), "b_y": (C,)}, float64 arrays
            updated in place by an optimizer and read at call time (so a gradient check can nudge them).
    """

    def __init__(self, D: int, H: int, C: int, rng: np.random.Generator, init: str = "xavier"):
        D, H, C = _positive_int(D, "D"), _positive_int(H, "H"), _positive_int(C, "C")
        if C < 2:
            raise ValueError(f"C: expected at least 2 classes, got {C}")
        _check_rng(rng)
        if init not in INITS:
            raise ValueError(f"init: expected one of {sorted(INITS)}, got {init!r}")
        self.params = {
            "Wx": rng.normal(0.0, init_std(D, H, init), size=(D, H)),
            "Wh": rng.normal(0.0, init_std(H, H, init), size=(H, H)),
            "b": np.zeros(H),
            "W_y": rng.normal(0.0, init_std(H, C, init), size=(H, C)),
            "b_y": np.zeros(C),
        }

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(D, H, C). Chapter 08."""
        D, H = self.params["Wx"].shape
        return D, H, self.params["W_y"].shape[1]

    def _check_x(self, x) -> np.ndarray:
        x_arr = as_float_array(x, "x")
        D = self.sizes[0]
        if x_arr.ndim != 3 or x_arr.shape[0] == 0 or x_arr.shape[1] == 0 or x_arr.shape[2] != D:
            raise ValueError(f"x: expected sequences of shape (N, T, {D}) with N, T >= 1, got shape {x_arr.shape}")
        return x_arr

    def _hidden(self, x_arr: np.ndarray):
        """rnn_forward from a zero state: h (N, T, H) and its cache."""
        p = self.params
        h0 = np.zeros((x_arr.shape[0], p["Wh"].shape[0]))  # (N, H)
        return rnn_forward(x_arr, h0, p["Wx"], p["Wh"], p["b"])

    def logits(self, x) -> np.ndarray:
        """Inputs: x: (N, T, D). Returns: z: (N, C), the class scores from the last hidden state. Chapter 08."""
        h, _ = self._hidden(self._check_x(x))
        return h[:, -1] @ self.params["W_y"] + self.params["b_y"]  # (N, H) @ (H, C) + (C,) -> (N, C)

    def predict(self, x) -> np.ndarray:
        """Inputs: x: (N, T, D). Returns: (N,) integer class labels, the argmax of the logits. Chapter 08."""
        return np.argmax(self.logits(x), axis=1)

    def accuracy(self, x, y) -> float:
        """Inputs: x: (N, T, D), y: (N,) integer labels. Returns: the fraction classified correctly. Chapter 08."""
        predicted = self.predict(x)
        labels = np.asarray(y)
        if labels.shape != predicted.shape:
            raise ValueError(f"y: expected {predicted.shape[0]} labels of shape {predicted.shape}, got {labels.shape}")
        return float(np.mean(predicted == labels))

    def loss_and_grads(self, x, y, truncate: int | None = None):
        """The mean cross-entropy and its gradient for every parameter, by BPTT. Chapter 08.

        Inputs:
            x: (N, T, D) sequences; y: (N,) integer labels in [0, C).
            truncate: None for full BPTT, or k: the loss (read at the last step) reaches back k steps.
        Returns:
            loss: a float.
            grads: dict with the keys and shapes of params.
        """
        x_arr = self._check_x(x)
        h, cache = self._hidden(x_arr)  # (N, T, H)
        h_last = h[:, -1]  # (N, H)
        z = h_last @ self.params["W_y"] + self.params["b_y"]  # (N, C)
        loss, loss_cache = losses.softmax_cross_entropy_forward(z, y)
        dz = losses.softmax_cross_entropy_backward(1.0, loss_cache)  # (N, C)
        dh = np.zeros_like(h)  # (N, T, H): only the last hidden state is read by the loss
        dh[:, -1] = dz @ self.params["W_y"].T  # (N, C) @ (C, H) -> (N, H)
        _, _, dWx, dWh, db = rnn_backward(dh, cache, truncate=truncate)
        grads = {"Wx": dWx, "Wh": dWh, "b": db}
        grads["W_y"] = h_last.T @ dz  # (H, N) @ (N, C) -> (H, C)
        grads["b_y"] = dz.sum(axis=0)  # (C,)
        return loss, grads

    def fit(
        self,
        x,
        y,
        optimizer,
        epochs: int,
        batch_size: int,
        rng: np.random.Generator,
        clip: float | None = 5.0,
        truncate: int | None = None,
        callback: Callable[[int, RNNHistory], bool | None] | None = None,
    ) -> RNNHistory:
        """Train by mini-batch gradient descent with gradient clipping, as LSTMClassifier.fit. Chapter 08.

        Each epoch shuffles the N sequences with rng and visits them in batches of batch_size (the
        last batch keeps the remainder). Before each update the gradients are clipped together: when
        their joint norm exceeds clip they are all scaled by clip / norm.

        Inputs:
            x: (N, T, D) training sequences; y: (N,) integer labels in [0, C).
            optimizer: has step(params, grads), e.g. bplib.optim.Adam(lr=0.01).
            epochs, batch_size: positive integers.
            rng: a numpy Generator; the only randomness (the shuffles).
            clip: the largest joint gradient norm, a number > 0, or None for no clipping.
            truncate: passed to rnn_backward (None: full BPTT).
            callback: optional callback(epoch, history); returning True stops training.
        Returns:
            RNNHistory with one entry per epoch and status "finished", "stopped" or "diverged".
        """
        x_arr = self._check_x(x)
        N = x_arr.shape[0]
        labels = np.asarray(y)
        if labels.shape != (N,) or not np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool:
            raise ValueError(f"y: expected {N} integer labels of shape ({N},), got {_describe(labels)}")
        if not callable(getattr(optimizer, "step", None)):
            raise ValueError(f"optimizer: expected an object with step(params, grads), got {_describe(optimizer)}")
        epochs = _positive_int(epochs, "epochs")
        batch_size = _positive_int(batch_size, "batch_size")
        _check_rng(rng)
        if clip is not None and _finite_real(clip, "clip") <= 0:
            raise ValueError(f"clip: expected a number > 0 or None, got {clip!r}")
        if truncate is not None:
            _positive_int(truncate, "truncate")
        if callback is not None and not callable(callback):
            raise ValueError(f"callback: expected a function callback(epoch, history), got {_describe(callback)}")

        history = RNNHistory()
        for epoch in range(epochs):
            order = rng.permutation(N)
            norms, clipped = [], 0
            for start in range(0, N, batch_size):
                batch = order[start : start + batch_size]
                _, grads = self.loss_and_grads(x_arr[batch], labels[batch], truncate=truncate)
                if clip is None:
                    norm = global_norm(grads)
                else:
                    grads, norm = clip_by_norm(grads, clip)  # scaled by clip / norm when norm > clip
                    clipped += norm > clip
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
            loss, _ = losses.softmax_cross_entropy_forward(self.logits(x_arr), labels)
            history.loss.append(loss)
            history.accuracy.append(self.accuracy(x_arr, labels))
            if callback is not None and callback(epoch, history):
                history.status = "stopped"
                return history
        history.status = "finished"
        return history

    def __repr__(self) -> str:
        D, H, C = self.sizes
        return f"RNNClassifier(D={D}, H={H}, C={C})"
