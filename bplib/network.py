"""A multilayer network of dense and activation layers, and its training loop (introduced in chapter 05).

Network([D, H1, ..., C], activation, output, rng) stacks
    Dense(D, H1) -> Activation -> Dense(H1, H2) -> Activation -> ... -> Dense(H_last, C)
with one example per row: x is (N, D) and the last Dense layer gives the logits z, (N, C).
The last layer has no activation of its own: the output loss applies softmax or sigmoid
itself, which is exact and numerically stable (see bplib.losses).

    output            loss on the logits z            predict_proba    targets built from labels y
    "softmax_ce"      softmax cross-entropy            softmax(z)       y itself (C >= 2 classes)
    "bce_logits"      binary cross-entropy on logits   sigmoid(z)       C == 1: y as a column; else one-hot
    "squared_error"   squared error on z itself        z itself         C == 1: y as a column; else one-hot

Labels y are always integer classes (N,): in [0, C) for C >= 2 outputs, 0 or 1 for a single output.

Backward walks the layers in reverse, each taking the gradient with respect to its output
and returning the gradient with respect to its input (dx), which the layer below receives
as its dout. The whole batch goes through each layer in one matrix product: there is no
loop over examples.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from bplib import activations as act
from bplib import losses
from bplib._validate import _describe, as_float_array
from bplib.layers import INITS, Activation, Dense

__all__ = ["HIDDEN_ACTIVATIONS", "OUTPUTS", "History", "Network"]

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")

# output name -> the bplib.losses pair it uses on the logits. Chapter 05.
OUTPUTS = {
    "softmax_ce": losses.LOSSES["softmax_cross_entropy"],
    "bce_logits": losses.LOSSES["binary_cross_entropy_with_logits"],
    "squared_error": losses.LOSSES["squared_error"],
}

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


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive whole number, got {value!r}")
    return int(value)


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy Generator such as np.random.default_rng(0), got {_describe(rng)}")


class Network:
    """A fully connected network: dense layers with a hidden activation, logits out, and a loss. Chapter 05.

    Network(layer_sizes, activation="sigmoid", output="softmax_ce", rng=..., init="xavier", scale=1.0):
        layer_sizes: [D, H1, ..., C], at least two positive whole numbers: the input size D, the
            hidden sizes, and the number of outputs C.
        activation: the hidden layers' activation, one of HIDDEN_ACTIVATIONS.
        output: the loss on the logits, one of OUTPUTS (see the module docstring); "softmax_ce" needs C >= 2.
        rng: a numpy Generator, e.g. np.random.default_rng(0); required, so that every network is reproducible.
        init, scale: the weight initialisation of every Dense layer (bplib.layers.init_std); biases start at 0.
    Attributes:
        layers: [Dense, Activation, Dense, ..., Dense], in forward order.
        params: read-only view {"W1": (D, H1), "b1": (H1,), "W2": ..., ...} of the layers' own
            arrays: updating params["W1"] in place (an optimizer step, a gradient-check nudge)
            changes the network.
        n_classes: C, or 2 for a single output.
    """

    def __init__(
        self,
        layer_sizes,
        activation: str = "sigmoid",
        output: str = "softmax_ce",
        rng: np.random.Generator | None = None,
        init: str = "xavier",
        scale: float = 1.0,
    ):
        sizes = self._check_sizes(layer_sizes)
        if activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"activation: expected one of {list(HIDDEN_ACTIVATIONS)}, got {activation!r}")
        if output not in OUTPUTS:
            raise ValueError(f"output: expected one of {list(OUTPUTS)}, got {output!r}")
        if output == "softmax_ce" and sizes[-1] < 2:
            raise ValueError(
                f"layer_sizes: softmax_ce needs at least 2 outputs (softmax of one logit is always 1), got "
                f"{sizes[-1]}; for two classes use 2 outputs, or 1 output with output='bce_logits'"
            )
        if init not in INITS:
            raise ValueError(f"init: expected one of {sorted(INITS)}, got {init!r}")
        _check_rng(rng)
        self.layer_sizes = sizes
        self.activation = activation
        self.output = output
        self.init = init
        self.n_classes = max(sizes[-1], 2)
        self._loss_forward, self._loss_backward = OUTPUTS[output]
        self.layers: list = []
        for i, (D, H) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            self.layers.append(Dense(D, H, rng, init=init, scale=scale))
            if i < len(sizes) - 2:  # every layer but the last gets the hidden activation
                self.layers.append(Activation(activation))
        self._loss_cache = None

    @staticmethod
    def _check_sizes(layer_sizes) -> list[int]:
        try:
            sizes = list(layer_sizes)
        except TypeError:
            sizes = None
        if sizes is None or len(sizes) < 2:
            raise ValueError(
                f"layer_sizes: expected a list [D, H1, ..., C] of at least two sizes, got {layer_sizes!r}"
            )
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
                raise ValueError(f"layer_sizes: expected positive whole numbers, got {layer_sizes!r}")
        return [int(size) for size in sizes]

    # ---- parameters -----------------------------------------------------------------------

    def _dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def params(self) -> MappingProxyType:
        """Read-only view {"W1": (D, H1), "b1": (H1,), ...} of the layers' own arrays. Chapter 05.

        Change the network by writing into these arrays (p -= lr * g, p[...] = value); the
        view itself cannot be assigned to, so that a replaced array cannot silently go unused.
        """
        flat = {}
        for number, dense in enumerate(self._dense_layers(), start=1):
            flat[f"W{number}"] = dense.params["W"]
            flat[f"b{number}"] = dense.params["b"]
        return MappingProxyType(flat)

    def _collect_grads(self) -> dict[str, np.ndarray]:
        grads = {}
        for number, dense in enumerate(self._dense_layers(), start=1):
            grads[f"W{number}"] = dense.grads["W"]
            grads[f"b{number}"] = dense.grads["b"]
        return grads

    # ---- input checks -----------------------------------------------------------------------

    def _check_x(self, x, name: str = "x") -> np.ndarray:
        x_arr = as_float_array(x, name)
        D = self.layer_sizes[0]
        if x_arr.ndim != 2 or x_arr.shape[1] != D or x_arr.shape[0] == 0:
            hint = f" (for a single example, pass {name}.reshape(1, -1))" if x_arr.shape == (D,) else ""
            raise ValueError(
                f"{name}: expected a batch of shape (N, D) = (N, {D}) with N >= 1, one example per row, "
                f"got shape {x_arr.shape}{hint}"
            )
        return x_arr

    def _check_labels(self, y, N: int, name: str = "y") -> np.ndarray:
        """y as int64 (N,) labels in [0, n_classes); whole numbers stored as floats are accepted."""
        if isinstance(y, (str, bytes)) or y is None:
            raise ValueError(f"{name}: expected integer class labels of shape ({N},), got {_describe(y)}")
        y_arr = np.asarray(y)
        is_number = np.issubdtype(y_arr.dtype, np.integer) or np.issubdtype(y_arr.dtype, np.floating)
        if y_arr.dtype == bool or not is_number:
            raise ValueError(f"{name}: expected integer class labels, got {_describe(y_arr)}")
        if y_arr.shape != (N,):
            hint = f"; pass {name}.ravel()" if y_arr.size == N else ""
            raise ValueError(
                f"{name}: expected {N} labels of shape ({N},), one per row of x, got shape {y_arr.shape}{hint}"
            )
        if not np.all(np.isfinite(y_arr) & (y_arr == np.round(y_arr))):
            raise ValueError(f"{name}: expected integer class labels, got values that are not whole numbers")
        if y_arr.min() < 0 or y_arr.max() >= self.n_classes:
            raise ValueError(
                f"{name}: expected class labels in [0, {self.n_classes}) for a network with "
                f"{self.layer_sizes[-1]} output(s), got labels from {y_arr.min():g} to {y_arr.max():g}"
            )
        return y_arr.astype(np.int64)

    def _targets(self, labels: np.ndarray):
        """What the output loss compares the logits (N, C) with: labels (N,), a column (N, 1) or one-hot (N, C)."""
        if self.output == "softmax_ce":
            return labels
        C = self.layer_sizes[-1]
        if C == 1:
            return labels.astype(np.float64).reshape(-1, 1)  # (N, 1): the target probability of class 1
        onehot = np.zeros((labels.shape[0], C))
        onehot[np.arange(labels.shape[0]), labels] = 1.0  # row n has a 1 in column y[n]
        return onehot

    # ---- forward, loss, backward ------------------------------------------------------------

    def forward(self, x) -> np.ndarray:
        """The logits of a batch, keeping every layer's cache for backward. Chapter 05.

        Inputs:
            x: (N, D) one example per row.
        Returns:
            z: (N, C) logits (the last Dense layer's output, before softmax or sigmoid).
        """
        out = self._check_x(x)
        self._loss_cache = None  # a new forward makes any earlier loss stale for backward
        for layer in self.layers:  # each layer takes the whole batch at once
            out = layer.forward(out)
        return out

    def loss(self, x, y) -> float:
        """The output loss of a batch, averaged over its N examples; keeps the caches for backward. Chapter 05.

        Inputs:
            x: (N, D); y: (N,) integer class labels.
        Returns:
            loss: a float.
        """
        x_arr = self._check_x(x)
        return self._loss_and_logits(x_arr, self._check_labels(y, x_arr.shape[0]))[0]

    def _loss_and_logits(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """loss(x, y) on checked inputs, also returning the logits z: (N, C)."""
        z = self.forward(x)  # (N, C)
        loss, self._loss_cache = self._loss_forward(z, self._targets(labels))
        return loss, z

    def backward(self) -> dict[str, np.ndarray]:
        """Gradients of the last loss(x, y) with respect to every parameter. Chapter 05.

        Returns:
            grads: {"W1": (D, H1), "b1": (H1,), ...}, the same names and shapes as params.
        """
        if self._loss_cache is None:
            raise RuntimeError("Network.backward: call loss(x, y) first; there is no loss to differentiate")
        dout = self._loss_backward(1.0, self._loss_cache)  # (N, C): dL/dz
        for layer in reversed(self.layers):
            dout = layer.backward(dout)  # this layer's dx is the dout of the layer below
        return self._collect_grads()

    def loss_and_grads(self, x, y) -> tuple[float, dict[str, np.ndarray]]:
        """loss(x, y) and backward() in one call. Chapter 05.

        Inputs:
            x: (N, D); y: (N,) integer class labels.
        Returns:
            loss: a float.
            grads: {"W1": (D, H1), "b1": (H1,), ...}, the same names and shapes as params.
        """
        loss = self.loss(x, y)
        return loss, self.backward()

    def gradient_norms(self, grads) -> dict[str, float]:
        """The size of each layer's weight gradient: {"W1": |dW1|, "W2": |dW2|, ...}. Chapter 05 (used in 06).

        Inputs:
            grads: as loss_and_grads returns, {"W1": (D, H1), ...}.
        Returns:
            name -> the Euclidean (Frobenius) norm of that dW, a float, from the first layer to the last.
        """
        norms = {}
        for number in range(1, len(self._dense_layers()) + 1):
            name = f"W{number}"
            if name not in grads:
                raise ValueError(f"grads: expected a gradient for every weight matrix, missing {name!r}")
            norms[name] = float(np.linalg.norm(as_float_array(grads[name], f"grads[{name!r}]", allow_nan=True)))
        return norms

    # ---- predictions -----------------------------------------------------------------------

    def predict_proba(self, x) -> np.ndarray:
        """The network's class probabilities. Chapter 05.

        Inputs:
            x: (N, D).
        Returns:
            (N, C): softmax(z) for "softmax_ce" (rows sum to 1); sigmoid(z) for "bce_logits" (each
            column the probability of its class; with one output, of class 1); for "squared_error"
            the outputs z themselves, which estimate the probabilities but are not confined to [0, 1].
        """
        z = self.forward(x)
        if self.output == "softmax_ce":
            return act.softmax(z, axis=1)
        if self.output == "bce_logits":
            return act.sigmoid(z)
        return z

    def predict(self, x) -> np.ndarray:
        """Predicted class labels. Chapter 05.

        Inputs:
            x: (N, D).
        Returns:
            (N,) int64: the most probable class, or for a single output, 1 where its probability is above 0.5.
        """
        return self._labels_from_logits(self.forward(x))

    def _labels_from_logits(self, z: np.ndarray) -> np.ndarray:
        """z: (N, C) -> (N,) int64 labels. With one output, probability > 0.5 means z > 0 for
        sigmoid(z) and z > 0.5 for squared error; with several, softmax and sigmoid keep z's order."""
        if z.shape[1] == 1:
            threshold = 0.0 if self.output == "bce_logits" else 0.5
            return (z[:, 0] > threshold).astype(np.int64)
        return np.argmax(z, axis=1).astype(np.int64)

    def accuracy(self, x, y) -> float:
        """The fraction of examples whose predicted label equals y. Chapter 05.

        Inputs:
            x: (N, D); y: (N,) integer class labels.
        Returns:
            a float in [0, 1].
        """
        x_arr = self._check_x(x)
        labels = self._check_labels(y, x_arr.shape[0])
        return float(np.mean(self.predict(x_arr) == labels))

    # ---- training ---------------------------------------------------------------------------

    def _params_finite(self) -> bool:
        return all(np.all(np.isfinite(p)) for p in self.params.values())

    def train_step(self, x_batch, y_batch, optimizer) -> float:
        """One gradient step on one mini-batch. Chapter 05.

        Inputs:
            x_batch: (N, D); y_batch: (N,) integer class labels.
            optimizer: has step(params, grads), e.g. bplib.optim.SGD(lr=0.5).
        Returns:
            the mini-batch loss before the step, a float; nan if training has diverged (the step
            overflowed, or the parameters are no longer finite). Divergence never raises or warns.
        """
        x_arr = self._check_x(x_batch, "x_batch")
        labels = self._check_labels(y_batch, x_arr.shape[0], "y_batch")
        _check_optimizer(optimizer)
        if not self._params_finite():
            return math.nan
        try:
            with np.errstate(**_DIVERGENCE_ERRORS):  # an overflow raises instead of warning
                loss, grads = self.loss_and_grads(x_arr, labels)
                if not math.isfinite(loss):
                    return math.nan
                optimizer.step(self.params, grads)
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
        return loss, float(np.mean(self._labels_from_logits(z) == labels)), norms

    def fit(
        self,
        x,
        y,
        optimizer,
        epochs: int,
        batch_size: int,
        rng: np.random.Generator,
        x_val=None,
        y_val=None,
        schedule: Callable[[int], float] | None = None,
        callback: Callable[[int, History], bool | None] | None = None,
    ) -> History:
        """Train by mini-batch gradient descent, recording a History. Chapter 05.

        Each epoch shuffles the N examples with rng and visits them in batches of batch_size
        (the last batch keeps the remainder, so every example is used once per epoch). After
        the epoch the loss, accuracy and gradient norms on the whole training set (and on the
        validation set) are recorded, then callback(epoch, history) is called.

        Inputs:
            x: (N, D) training examples; y: (N,) integer class labels.
            optimizer: has step(params, grads); it needs a settable lr for a schedule.
            epochs: the number of passes over the data, a whole number >= 1.
            batch_size: examples per update, a whole number >= 1 (N or more gives full-batch descent).
            rng: a numpy Generator; the only randomness, so the same seed gives the same History.
            x_val: (N_val, D) and y_val: (N_val,), optional validation data (both or neither).
            schedule: optional epoch -> learning rate (epochs count from 0), set on the optimizer
                before each epoch, e.g. bplib.optim.StepDecay.
            callback: optional callback(epoch, history), epoch counting from 0; returning True stops
                training (status "stopped"), e.g. a dashboard's Stop button.
        Returns:
            History with one entry per epoch and status "finished", "stopped" or "diverged".
            Divergence (a non-finite loss, an overflow) ends training cleanly, without raising or warning.
        """
        x_arr = self._check_x(x)
        labels = self._check_labels(y, x_arr.shape[0])
        _check_optimizer(optimizer)
        epochs = _positive_int(epochs, "epochs")
        batch_size = _positive_int(batch_size, "batch_size")
        _check_rng(rng)
        if (x_val is None) != (y_val is None):
            raise ValueError("x_val, y_val: expected both (validation data) or neither, got only one of them")
        if x_val is not None:
            x_val = self._check_x(x_val, "x_val")
            y_val = self._check_labels(y_val, x_val.shape[0], "y_val")
        if schedule is not None:
            if not callable(schedule):
                raise ValueError(f"schedule: expected a function epoch -> learning rate, got {_describe(schedule)}")
            if not hasattr(optimizer, "lr"):
                raise ValueError(f"schedule: the optimizer {optimizer!r} has no learning rate (lr) to schedule")
        if callback is not None and not callable(callback):
            raise ValueError(f"callback: expected a function callback(epoch, history), got {_describe(callback)}")

        history = History()
        N = x_arr.shape[0]
        for epoch in range(epochs):
            if schedule is not None:
                optimizer.lr = schedule(epoch)
            history.lr.append(float(getattr(optimizer, "lr", math.nan)))
            order = rng.permutation(N)  # a fresh shuffle each epoch
            diverged = False
            for start in range(0, N, batch_size):
                batch = order[start : start + batch_size]
                if math.isnan(self.train_step(x_arr[batch], labels[batch], optimizer)):
                    diverged = True
                    break
            if not diverged:
                try:
                    loss, accuracy, norms = self._evaluate(x_arr, labels, with_grads=True)
                    if x_val is not None:
                        val_loss, val_accuracy, _ = self._evaluate(x_val, y_val, with_grads=False)
                except FloatingPointError:
                    diverged = True
            if diverged:
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
            if callback is not None and _says_stop(callback(epoch, history)):
                history.status = "stopped"
                return history
        history.status = "finished"
        return history

    def __repr__(self) -> str:
        settings = f"activation={self.activation!r}, output={self.output!r}, init={self.init!r}"
        return f"Network({self.layer_sizes}, {settings})"


def _check_optimizer(optimizer) -> None:
    if not callable(getattr(optimizer, "step", None)):
        raise ValueError(
            f"optimizer: expected an object with step(params, grads), such as bplib.optim.SGD(lr=0.5), "
            f"got {_describe(optimizer)}"
        )


def _says_stop(answer) -> bool:
    """A callback stops training by returning True (numpy's True too); None, False or anything else continues."""
    return isinstance(answer, (bool, np.bool_)) and bool(answer)
