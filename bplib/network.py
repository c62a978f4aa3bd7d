"""A multilayer network of dense and activation layers, and its training loop (introduced in chapter 05).

Network([D, H1, ..., C], activation, "softmax_ce", rng) stacks
    Dense(D, H1) -> Activation -> Dense(H1, H2) -> Activation -> ... -> Dense(H_last, C)
with one example per row: x is (N, D) and the last Dense layer gives the logits z, (N, C).
The last layer has no activation of its own: the loss, softmax cross-entropy on the
logits, applies softmax itself, which is exact and numerically stable (bplib.losses).
Labels y are integer classes (N,) in [0, C).

Backward walks the layers in reverse, each taking the gradient with respect to its output
and returning the gradient with respect to its input (dx), which the layer below receives
as its dout. The whole batch goes through each layer in one matrix product: there is no
loop over examples.

The public methods check x and y once; the layers then run their plain arithmetic
(bplib.layers' `_dense_forward`, ...), with no check per layer per call.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from bplib import activations as act
from bplib._validate import _describe, as_float_array, check_callback, check_rng, positive_int, says_stop
from bplib.layers import ACTIVATIONS, INITS, Activation, Dense
from bplib.losses import _one_hot, _softmax_cross_entropy_backward, _softmax_cross_entropy_forward

__all__ = ["History", "Network"]

# numpy floating-point errors that mean training has blown up. Underflow (a tiny number
# rounding to 0, e.g. exp(-800)) is harmless and stays ignored.
_DIVERGENCE_ERRORS = {"over": "raise", "invalid": "raise", "divide": "raise", "under": "ignore"}


@dataclass
class History:
    """What Network.fit recorded, one entry per epoch. Chapter 05.

    Fields:
        loss, accuracy: on the whole training set, measured after the epoch's updates.
        val_loss, val_accuracy: the same on (x_val, y_val); empty lists when fit had no validation data.
        lr: the optimizer's learning rate during the epoch (nan for an optimizer without one, e.g. Rprop).
        grad_norms: per epoch, Network.gradient_norms of the whole-training-set gradient after the
            epoch: {"W1": |dW1|, "W2": |dW2|, ...}.
        status: "finished" (all epochs ran), "stopped" (the callback returned True) or "diverged"
            (the loss or a parameter stopped being finite; the diverged epoch is recorded with nan
            loss and accuracy, and training stopped there).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norms: list[dict[str, float]] = field(default_factory=list)
    status: str = "running"

    @property
    def epochs(self) -> int:
        """The number of epochs recorded. Chapter 05."""
        return len(self.loss)


class Network:
    """A fully connected network: dense layers with a hidden activation, logits out, and a loss. Chapter 05.

    Network(layer_sizes, activation="sigmoid", output="softmax_ce", rng=..., init="xavier", scale=1.0):
        layer_sizes: [D, H1, ..., C], at least two positive whole numbers: the input size D, the
            hidden sizes, and the number of classes C >= 2.
        activation: the hidden layers' activation, "sigmoid", "tanh" or "relu".
        output: the loss on the logits: "softmax_ce", softmax cross-entropy.
        rng: a numpy Generator, e.g. np.random.default_rng(0); required, so that every network is reproducible.
        init, scale: the weight initialisation of every Dense layer (bplib.layers.init_std); biases start at 0.
    Attributes:
        layers: [Dense, Activation, Dense, ..., Dense], in forward order.
        params: read-only view {"W1": (D, H1), "b1": (H1,), "W2": ..., ...} of the layers' own
            arrays: updating params["W1"] in place (an optimizer step, a gradient-check nudge)
            changes the network.
        n_classes: C.
    """

    def __init__(self, layer_sizes, activation: str = "sigmoid", output: str = "softmax_ce",
                 rng: np.random.Generator | None = None, init: str = "xavier", scale: float = 1.0):
        sizes = _check_sizes(layer_sizes)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: expected one of {list(ACTIVATIONS)}, got {activation!r}")
        if output != "softmax_ce":
            raise ValueError(f"output: expected 'softmax_ce' (softmax cross-entropy on the logits), got {output!r}")
        if sizes[-1] < 2:
            raise ValueError(f"layer_sizes: softmax_ce needs at least 2 outputs (softmax of one logit is always 1), "
                             f"got {sizes[-1]}; for two classes use 2 outputs")
        if init not in INITS:
            raise ValueError(f"init: expected one of {sorted(INITS)}, got {init!r}")
        check_rng(rng)
        self.layer_sizes, self.activation, self.output, self.init = sizes, activation, output, init
        self.n_classes = sizes[-1]
        self.layers: list = []
        for i, (D, H) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            self.layers.append(Dense(D, H, rng, init=init, scale=scale))
            if i < len(sizes) - 2:  # every layer but the last gets the hidden activation
                self.layers.append(Activation(activation))
        self._dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        self._loss_cache = None

    @property
    def params(self) -> MappingProxyType:
        """Read-only view {"W1": (D, H1), "b1": (H1,), ...} of the layers' own arrays. Chapter 05.

        Change the network by writing into these arrays (p -= lr * g, p[...] = value); the
        view itself cannot be assigned to, so that a replaced array cannot silently go unused.
        """
        flat = {}
        for number, dense in enumerate(self._dense, start=1):
            flat[f"W{number}"], flat[f"b{number}"] = dense.params["W"], dense.params["b"]
        return MappingProxyType(flat)

    # ---- forward, loss, backward ------------------------------------------------------------

    def forward(self, x) -> np.ndarray:
        """The logits z: (N, C) of a batch x: (N, D), keeping every layer's cache for backward. Chapter 05."""
        return self._forward(self._check_x(x))

    def _forward(self, out: np.ndarray) -> np.ndarray:
        self._loss_cache = None  # a new forward makes any earlier loss stale for backward
        for layer in self.layers:  # each layer takes the whole batch at once
            out = layer.forward(out)
        return out

    def loss(self, x, y) -> float:
        """The loss of a batch x: (N, D) with labels y: (N,), a float averaged over the N examples. Chapter 05.

        Keeps the caches for backward."""
        x_arr = self._check_x(x)
        return self._loss_and_logits(x_arr, self._check_labels(y, x_arr.shape[0]))[0]

    def _loss_and_logits(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        z = self._forward(x)  # (N, C)
        loss, self._loss_cache = _softmax_cross_entropy_forward(z, _one_hot(labels, self.n_classes))
        return loss, z

    def backward(self) -> dict[str, np.ndarray]:
        """Gradients {"W1": (D, H1), "b1": (H1,), ...} of the last loss(x, y), named as params. Chapter 05."""
        if self._loss_cache is None:
            raise RuntimeError("Network.backward: call loss(x, y) first; there is no loss to differentiate")
        dout = _softmax_cross_entropy_backward(1.0, self._loss_cache)  # (N, C): dL/dz
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)  # this layer's dx is the dout of the layer below
        self.layers[0].backward(dout, need_dx=False)  # the first layer has nothing below it to send dx to
        grads = {}
        for number, dense in enumerate(self._dense, start=1):
            grads[f"W{number}"], grads[f"b{number}"] = dense.grads["W"], dense.grads["b"]
        return grads

    def loss_and_grads(self, x, y) -> tuple[float, dict[str, np.ndarray]]:
        """loss(x, y) and backward() in one call: (a float, {"W1": (D, H1), "b1": (H1,), ...}). Chapter 05."""
        return self.loss(x, y), self.backward()  # loss first: it keeps the caches backward uses

    def gradient_norms(self, grads) -> dict[str, float]:
        """The size of each layer's weight gradient: {"W1": |dW1|, "W2": |dW2|, ...}. Chapter 05 (used in 06).

        grads: as loss_and_grads returns them. Each size is the Euclidean (Frobenius) norm of that dW, a float.
        """
        norms = {}
        for name in (f"W{number}" for number in range(1, len(self._dense) + 1)):
            if name not in grads:
                raise ValueError(f"grads: expected a gradient for every weight matrix, missing {name!r}")
            norms[name] = float(np.linalg.norm(as_float_array(grads[name], f"grads[{name!r}]", allow_nan=True)))
        return norms

    # ---- predictions -----------------------------------------------------------------------

    def predict_proba(self, x) -> np.ndarray:
        """The class probabilities softmax(z): (N, C), rows summing to 1, for x: (N, D). Chapter 05."""
        return act._softmax(self.forward(x), axis=1)

    def predict(self, x) -> np.ndarray:
        """Predicted class labels: the most probable class, (N,) int64, for x: (N, D). Chapter 05."""
        return np.argmax(self.forward(x), axis=1)  # softmax keeps the order of the logits

    def accuracy(self, x, y) -> float:
        """The fraction of examples whose predicted label equals y, for x: (N, D), y: (N,). Chapter 05."""
        x_arr = self._check_x(x)
        labels = self._check_labels(y, x_arr.shape[0])
        return float(np.mean(np.argmax(self._forward(x_arr), axis=1) == labels))

    # ---- training ---------------------------------------------------------------------------

    def _params_finite(self) -> bool:
        return all(np.all(np.isfinite(p)) for p in self.params.values())

    def train_step(self, x_batch, y_batch, optimizer) -> float:
        """One gradient step on one mini-batch. Chapter 05.

        Inputs:
            x_batch: (N, D); y_batch: (N,) labels; optimizer: has step(params, grads), e.g. bplib.optim.SGD(lr=0.5).
        Returns:
            the mini-batch loss before the step, a float; nan if training has diverged (the step
            overflowed, or the parameters are no longer finite). Divergence never raises or warns.
        """
        x_arr = self._check_x(x_batch, "x_batch")
        labels = self._check_labels(y_batch, x_arr.shape[0], "y_batch")
        _check_optimizer(optimizer)
        return self._train_step(x_arr, labels, optimizer)

    def _train_step(self, x: np.ndarray, labels: np.ndarray, optimizer) -> float:
        if not self._params_finite():
            return math.nan
        try:
            with np.errstate(**_DIVERGENCE_ERRORS):  # an overflow raises instead of warning
                loss = self._loss_and_logits(x, labels)[0]
                if not math.isfinite(loss):
                    return math.nan
                optimizer.step(self.params, self.backward())
        except FloatingPointError:
            return math.nan
        return loss if self._params_finite() else math.nan

    def _evaluate(self, x: np.ndarray, labels: np.ndarray, with_grads: bool) -> tuple:
        """(loss, accuracy, gradient norms or None) on a whole data set; FloatingPointError on overflow."""
        with np.errstate(**_DIVERGENCE_ERRORS):
            loss, z = self._loss_and_logits(x, labels)
            norms = self.gradient_norms(self.backward()) if with_grads else None
        if not math.isfinite(loss):
            raise FloatingPointError("the loss is not finite")
        return loss, float(np.mean(np.argmax(z, axis=1) == labels)), norms

    def fit(self, x, y, optimizer, epochs: int, batch_size: int, rng: np.random.Generator, x_val=None,
            y_val=None, callback: Callable[[int, History], bool | None] | None = None) -> History:
        """Train by mini-batch gradient descent, recording a History. Chapter 05.

        Each epoch shuffles the N examples with rng and visits them in batches of batch_size
        (the last batch keeps the remainder, so every example is used once per epoch). After
        the epoch the loss, accuracy and gradient norms on the whole training set (and on the
        validation set) are recorded, then callback(epoch, history) is called.

        Inputs:
            x: (N, D) training examples; y: (N,) integer class labels.
            optimizer: has step(params, grads), e.g. bplib.optim.SGD(lr=0.1).
            epochs: the number of passes over the data, a whole number >= 1.
            batch_size: examples per update, a whole number >= 1 (N or more gives full-batch descent).
            rng: a numpy Generator; the only randomness, so the same seed gives the same History.
            x_val: (N_val, D) and y_val: (N_val,), optional validation data (both or neither).
            callback: optional callback(epoch, history), epoch counting from 0; returning True stops
                training (status "stopped"), e.g. a dashboard's Stop button.
        Returns:
            History with one entry per epoch and status "finished", "stopped" or "diverged".
            Divergence (a non-finite loss, an overflow) ends training cleanly, without raising or warning.
        """
        x_arr = self._check_x(x)
        labels = self._check_labels(y, x_arr.shape[0])
        _check_optimizer(optimizer)
        epochs, batch_size = positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size")
        check_rng(rng)
        if (x_val is None) != (y_val is None):
            raise ValueError("x_val, y_val: expected both (validation data) or neither, got only one of them")
        if x_val is not None:
            x_val = self._check_x(x_val, "x_val")
            y_val = self._check_labels(y_val, x_val.shape[0], "y_val")
        check_callback(callback)

        history = History()
        N = x_arr.shape[0]
        for epoch in range(epochs):
            history.lr.append(float(getattr(optimizer, "lr", math.nan)))
            order = rng.permutation(N)  # a fresh shuffle each epoch
            diverged = False
            try:
                for start in range(0, N, batch_size):
                    batch = order[start : start + batch_size]
                    if math.isnan(self._train_step(x_arr[batch], labels[batch], optimizer)):
                        raise FloatingPointError("the step diverged")
                loss, accuracy, norms = self._evaluate(x_arr, labels, with_grads=True)
                if x_val is not None:
                    val_loss, val_accuracy, _ = self._evaluate(x_val, y_val, with_grads=False)
            except FloatingPointError:
                diverged = True
                loss, accuracy, val_loss, val_accuracy = math.nan, math.nan, math.nan, math.nan
                norms = {name: math.nan for name in self.params if name.startswith("W")}
            history.loss.append(loss)
            history.accuracy.append(accuracy)
            history.grad_norms.append(norms)
            if x_val is not None:
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_accuracy)
            if diverged:
                history.status = "diverged"
                return history
            if callback is not None and says_stop(callback(epoch, history)):
                history.status = "stopped"
                return history
        history.status = "finished"
        return history

    # ---- input checks -----------------------------------------------------------------------

    def _check_x(self, x, name: str = "x") -> np.ndarray:
        x_arr = as_float_array(x, name)
        D = self.layer_sizes[0]
        if x_arr.ndim != 2 or x_arr.shape[1] != D or x_arr.shape[0] == 0:
            hint = f" (for a single example, pass {name}.reshape(1, -1))" if x_arr.shape == (D,) else ""
            raise ValueError(f"{name}: expected a batch of shape (N, D) = (N, {D}) with N >= 1, one example per row, "
                             f"got shape {x_arr.shape}{hint}")
        return x_arr

    def _check_labels(self, y, N: int, name: str = "y") -> np.ndarray:
        """y as int64 (N,) labels in [0, C); whole numbers stored as floats are accepted."""
        if isinstance(y, (str, bytes)) or y is None:
            raise ValueError(f"{name}: expected integer class labels of shape ({N},), got {_describe(y)}")
        y_arr = np.asarray(y)
        if y_arr.dtype.kind not in "iuf":  # integers or floats; bool, strings, objects are refused
            raise ValueError(f"{name}: expected integer class labels, got {_describe(y_arr)}")
        if y_arr.shape != (N,):
            hint = f"; pass {name}.ravel()" if y_arr.size == N else ""
            raise ValueError(f"{name}: expected {N} labels of shape ({N},), one per row of x, "
                             f"got shape {y_arr.shape}{hint}")
        if y_arr.dtype.kind == "f" and not np.all(np.isfinite(y_arr) & (y_arr == np.round(y_arr))):
            raise ValueError(f"{name}: expected integer class labels, got values that are not whole numbers")
        if y_arr.min() < 0 or y_arr.max() >= self.n_classes:
            raise ValueError(f"{name}: expected class labels in [0, {self.n_classes}) for a network with "
                             f"{self.n_classes} outputs, got labels from {y_arr.min():g} to {y_arr.max():g}")
        return y_arr.astype(np.int64, copy=False)

    def __repr__(self) -> str:
        settings = f"activation={self.activation!r}, output={self.output!r}, init={self.init!r}"
        return f"Network({self.layer_sizes}, {settings})"


def _check_sizes(layer_sizes) -> list[int]:
    try:
        sizes = list(layer_sizes)
    except TypeError:
        sizes = None
    if sizes is None or len(sizes) < 2:
        raise ValueError(f"layer_sizes: expected a list [D, H1, ..., C] of at least two sizes, got {layer_sizes!r}")
    if any(isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1 for size in sizes):
        raise ValueError(f"layer_sizes: expected positive whole numbers, got {layer_sizes!r}")
    return [int(size) for size in sizes]


def _check_optimizer(optimizer) -> None:
    if not callable(getattr(optimizer, "step", None)):
        raise ValueError(f"optimizer: expected an object with step(params, grads), such as bplib.optim.SGD(lr=0.5), "
                         f"got {_describe(optimizer)}")
