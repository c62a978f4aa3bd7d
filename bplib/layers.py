"""Layers as forward/backward pairs (introduced in chapters 04 and 05).

Row convention: one example per row. A batch x has shape (N, D); a dense layer
with weights W: (D, H) and bias b: (H,) computes z = x @ W + b, shape (N, H).

Every forward returns (out, cache); every backward takes (dout, cache), where dout
is the gradient of the loss with respect to `out`, and returns the gradients with
respect to forward's array inputs, in forward's order. Caches are NamedTuples (DenseCache,
SigmoidCache, TanhCache, ReluCache), so a learner can print one and read what was kept.

Each layer comes in two forms: a plain pair with a leading underscore (`_dense_forward`,
`_dense_backward`, ...) that only does the arithmetic, on checked float64 arrays, and the
public pair, which checks its input (a clear ValueError naming what was expected and what
came) and then calls the plain one. The objects `Dense` and `Activation`, which
bplib.network stacks, call the plain pairs: the network checks its input once, not once
per layer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bplib import activations as act
from bplib._validate import (
    as_float_array,
    check_batch,
    check_cache,
    check_not_empty,
    check_rng,
    check_shape,
    positive_int,
    positive_real,
)

__all__ = ["dense_forward", "dense_backward", "add_bias_column", "sigmoid_forward", "sigmoid_backward", "relu_forward",
           "relu_backward", "ACTIVATIONS", "INITS", "init_std", "Dense", "Activation"]


def _upstream(dout, shape: tuple) -> np.ndarray:
    """dout as a float64 array of the forward output's shape, or a ValueError."""
    dout_arr = as_float_array(dout, "dout")
    check_shape(dout_arr, shape, "dout (the gradient of the loss with respect to the forward output)")
    return dout_arr


# ---- dense (fully connected) layer ------------------------------------------------------


class DenseCache(NamedTuple):
    """What dense_backward needs from dense_forward. Chapter 04.

    Fields:
        x: (N, D) the layer's input.
        W: (D, H) the weights it was multiplied by.
    """

    x: np.ndarray
    W: np.ndarray


def _dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, DenseCache]:
    z = x @ W + b  # (N, D) @ (D, H) + (H,) -> (N, H); b broadcasts over rows
    return z, DenseCache(x=x, W=W)


def _dense_backward(dout: np.ndarray, cache: DenseCache, need_dx: bool = True) -> tuple:
    x, W = cache
    dx = dout @ W.T if need_dx else None  # (N, H) @ (H, D) -> (N, D); a network's first layer needs none
    dW = x.T @ dout  # (D, N) @ (N, H) -> (D, H), summed over the batch
    db = dout.sum(axis=0)  # (N, H) -> (H,): b was added to every row
    return dx, dW, db


def dense_forward(x, W, b):
    """The dense (fully connected) layer z = x @ W + b, one example per row. Chapter 04.

    Inputs:
        x: (N, D) a batch of N examples; a single example must be passed as x.reshape(1, -1).
        W: (D, H) weights.
        b: (H,) bias, added to every row.
    Returns:
        z: (N, H) pre-activations.
        cache: DenseCache(x, W).
    """
    x_arr, W_arr, b_arr = as_float_array(x, "x"), as_float_array(W, "W"), as_float_array(b, "b")
    if x_arr.ndim == 1:
        raise ValueError(f"x: expected a batch of shape (N, D), one example per row, got shape {x_arr.shape} "
                         "(for a single example of D features, pass x.reshape(1, -1))")
    if W_arr.ndim != 2:
        raise ValueError(f"W: expected a 2-d weight matrix of shape (D, H), got shape {W_arr.shape}")
    D, H = W_arr.shape
    check_batch(x_arr, "x", ("N", "D"), (None, D))  # the weights fix D; x must match them
    check_shape(b_arr, (H,), "b")
    return _dense_forward(x_arr, W_arr, b_arr)


def dense_backward(dout, cache: DenseCache):
    """Gradients of the dense layer with respect to x, W and b. Chapter 04.

    Inputs:
        dout: (N, H) gradient of the loss with respect to z.
        cache: DenseCache from dense_forward, fields x: (N, D) and W: (D, H).
    Returns:
        dx: (N, D) = dout @ W.T
        dW: (D, H) = x.T @ dout, summed over the batch.
        db: (H,) = dout summed over the batch (b was added to every row).
    """
    check_cache(cache, DenseCache, "dense_forward")
    return _dense_backward(_upstream(dout, (cache.x.shape[0], cache.W.shape[1])), cache)


def add_bias_column(x):
    """Append a column of ones to a batch: the bias trick. Chapter 05.

    With W_aug = np.vstack([W, b]) of shape (D + 1, H), the dense layer becomes one
    product: add_bias_column(x) @ W_aug equals x @ W + b, because the ones column
    multiplies the last row of W_aug, which is b.

    Inputs:
        x: (N, D)
    Returns:
        x_aug: (N, D + 1), x with a last column of ones.
    """
    x_arr = as_float_array(x, "x")
    check_batch(x_arr, "x", ("N", "D"), (None, None))
    return np.hstack([x_arr, np.ones((x_arr.shape[0], 1))])  # (N, D) | (N, 1) -> (N, D + 1)


# ---- activation layers: elementwise, any shape ---------------------------------------------


class SigmoidCache(NamedTuple):
    """What sigmoid_backward needs: the output a = sigmoid(z), since sigma'(z) = a * (1 - a). Chapter 04."""

    a: np.ndarray


class TanhCache(NamedTuple):
    """What tanh's backward needs: the output a = tanh(z), since tanh'(z) = 1 - a**2. Chapter 05."""

    a: np.ndarray


class ReluCache(NamedTuple):
    """What relu_backward needs: the input z; the gradient passes where z > 0. Chapter 05."""

    z: np.ndarray


def _sigmoid_forward(z: np.ndarray) -> tuple[np.ndarray, SigmoidCache]:
    a = act._sigmoid(z)  # same shape as z
    return a, SigmoidCache(a=a)


def _sigmoid_backward(dout: np.ndarray, cache: SigmoidCache) -> np.ndarray:
    a = cache.a
    return dout * a * (1.0 - a)  # sigma'(z) = a (1 - a), from the output alone


def _tanh_forward(z: np.ndarray) -> tuple[np.ndarray, TanhCache]:
    a = np.tanh(z)  # same shape as z
    return a, TanhCache(a=a)


def _tanh_backward(dout: np.ndarray, cache: TanhCache) -> np.ndarray:
    a = cache.a
    return dout * (1.0 - a * a)  # tanh'(z) = 1 - a**2


def _relu_forward(z: np.ndarray) -> tuple[np.ndarray, ReluCache]:
    return np.maximum(z, 0.0), ReluCache(z=z)


def _relu_backward(dout: np.ndarray, cache: ReluCache) -> np.ndarray:
    return dout * (cache.z > 0)  # passes where z > 0; relu'(0) is taken as 0


def _checked_z(z) -> np.ndarray:
    z_arr = as_float_array(z, "z")
    check_not_empty(z_arr, "z")
    return z_arr


def sigmoid_forward(z):
    """Sigmoid layer a = sigmoid(z), elementwise. Chapter 04.

    Inputs:
        z: array, any shape, e.g. (N, H).
    Returns:
        a: same shape as z.
        cache: SigmoidCache(a).
    """
    return _sigmoid_forward(_checked_z(z))


def sigmoid_backward(dout, cache: SigmoidCache):
    """Gradient of the sigmoid layer: dz = dout * a * (1 - a). Chapter 04.

    Inputs:
        dout: gradient of the loss with respect to a, same shape as a.
        cache: SigmoidCache from sigmoid_forward, field a (the output).
    Returns:
        dz: same shape as a.
    """
    check_cache(cache, SigmoidCache, "sigmoid_forward")
    return _sigmoid_backward(_upstream(dout, cache.a.shape), cache)


def relu_forward(z):
    """ReLU layer a = max(0, z), elementwise. Chapter 05.

    Inputs:
        z: array, any shape.
    Returns:
        a: same shape as z.
        cache: ReluCache(z).
    """
    return _relu_forward(_checked_z(z))


def relu_backward(dout, cache: ReluCache):
    """Gradient of the ReLU layer: dout where z > 0, else 0 (also 0 at z == 0). Chapter 05.

    Inputs:
        dout: gradient of the loss with respect to a, same shape as z.
        cache: ReluCache from relu_forward, field z (the input).
    Returns:
        dz: same shape as z.
    """
    check_cache(cache, ReluCache, "relu_forward")
    return _relu_backward(_upstream(dout, cache.z.shape), cache)


# name -> the plain (forward, backward) pair, on checked arrays. Chapter 05.
ACTIVATIONS = {
    "sigmoid": (_sigmoid_forward, _sigmoid_backward),
    "tanh": (_tanh_forward, _tanh_backward),
    "relu": (_relu_forward, _relu_backward),
}


# ---- initialisation and the object API -----------------------------------------------------

# init name -> the standard deviation of W's normal entries for a (D, H) layer, before `scale`.
INITS = {
    # Glorot & Bengio's normal variant, Var(W) = 2 / (fan_in + fan_out): keeps activations and
    # gradients at roughly constant variance through tanh/sigmoid layers.
    "xavier": lambda D, H: np.sqrt(2.0 / (D + H)),
    # He et al.: Var(W) = 2 / fan_in, making up for ReLU zeroing half of its inputs.
    "he": lambda D, H: np.sqrt(2.0 / D),
    # plain N(0, 1); with `scale` this is the classic "small random numbers" (e.g. scale=0.01).
    "normal": lambda D, H: 1.0,
}


def init_std(D: int, H: int, init: str = "xavier", scale: float = 1.0) -> float:
    """The standard deviation of the initial weights of a (D, H) layer. Chapter 05 (used in 06).

    Inputs:
        D, H: the layer's input and output sizes (fan_in, fan_out).
        init: "xavier" (std sqrt(2 / (D + H)), Glorot's normal variant), "he" (std sqrt(2 / D))
            or "normal" (std 1).
        scale: a positive factor multiplying that std, e.g. init="normal", scale=0.01.
    Returns:
        the standard deviation, a float.
    """
    D, H = positive_int(D, "D"), positive_int(H, "H")
    if init not in INITS:
        raise ValueError(f"init: expected one of {sorted(INITS)}, got {init!r}")
    return float(positive_real(scale, "scale") * INITS[init](D, H))


class Dense:
    """A dense layer with its parameters, its last cache and its gradients. Chapter 05.

    Dense(D, H, rng, init="xavier", scale=1.0):
        D, H: input and output sizes.
        rng: a numpy Generator, e.g. np.random.default_rng(0); the only source of randomness.
        init, scale: as in init_std. W ~ Normal(0, init_std(D, H, init, scale)); b starts at 0.
    Attributes:
        params: {"W": (D, H), "b": (H,)}; forward reads them at call time, so they can be
            updated (or nudged by a gradient check) in place.
        grads: {"W": (D, H), "b": (H,)}, zeros until the first backward.
        cache: the DenseCache of the last forward, None before it.
    forward and backward do the arithmetic only: the network that holds the layer checks its input.
    """

    def __init__(self, D: int, H: int, rng: np.random.Generator, init: str = "xavier", scale: float = 1.0):
        check_rng(rng)
        self.init = init
        std = init_std(D, H, init, scale)
        self.params = {"W": rng.normal(0.0, std, size=(D, H)), "b": np.zeros(H)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.cache: DenseCache | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Inputs: x: (N, D). Returns: z: (N, H); keeps the cache for backward."""
        z, self.cache = _dense_forward(x, self.params["W"], self.params["b"])
        return z

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Inputs: dout: (N, H). Returns: dx: (N, D), or None if not need_dx. Stores grads W: (D, H), b: (H,)."""
        if self.cache is None:
            raise RuntimeError("Dense.backward: call forward first; there is no cache yet")
        dx, dW, db = _dense_backward(dout, self.cache, need_dx)
        self.grads = {"W": dW, "b": db}
        return dx

    def __repr__(self) -> str:
        D, H = self.params["W"].shape
        return f"Dense(D={D}, H={H}, init={self.init!r})"


class Activation:
    """An elementwise activation layer looked up by name in ACTIVATIONS. Chapter 05.

    Activation(name):
        name: a key of ACTIVATIONS ("sigmoid", "tanh", "relu").
    It has no parameters: params and grads are empty dicts, so a network can treat
    every layer alike. Like Dense, it does the arithmetic only.
    """

    def __init__(self, name: str):
        if name not in ACTIVATIONS:
            raise ValueError(f"name: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
        self.name = name
        self._forward, self._backward = ACTIVATIONS[name]
        self.params: dict = {}
        self.grads: dict = {}
        self.cache = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Inputs: z: any shape, e.g. (N, H). Returns: a: same shape; keeps the cache."""
        a, self.cache = self._forward(z)
        return a

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Inputs: dout: the shape of the last forward's output. Returns: dz: same shape."""
        if self.cache is None:
            raise RuntimeError(f"Activation({self.name!r}).backward: call forward first; there is no cache yet")
        return self._backward(dout, self.cache)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"
