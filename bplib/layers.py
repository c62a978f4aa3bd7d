"""Layers as forward/backward pairs (introduced in chapters 04 and 05).

Row convention: one example per row. A batch x has shape (N, D); a dense layer
with weights W: (D, H) and bias b: (H,) computes z = x @ W + b, shape (N, H).

Every forward returns (out, cache); every backward takes (dout, cache), where dout
is the gradient of the loss with respect to `out`, and returns the gradients with
respect to forward's array inputs, in forward's order. Caches are NamedTuples, so
a learner can print one and read what was kept for the backward pass.

On top of the functions sits a small object API for the network module: `Dense`
(params and grads dicts) and `Activation` (a named nonlinearity).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from bplib import activations as act
from bplib._validate import _describe, as_float_array, check_batch, check_not_empty, check_shape

__all__ = [
    "DenseCache",
    "dense_forward",
    "dense_backward",
    "add_bias_column",
    "SigmoidCache",
    "sigmoid_forward",
    "sigmoid_backward",
    "TanhCache",
    "tanh_forward",
    "tanh_backward",
    "ReluCache",
    "relu_forward",
    "relu_backward",
    "LeakyReluCache",
    "leaky_relu_forward",
    "leaky_relu_backward",
    "IdentityCache",
    "identity_forward",
    "identity_backward",
    "ACTIVATIONS",
    "INITS",
    "init_std",
    "Dense",
    "Activation",
]


def _check_cache(cache, cache_type: type, forward_name: str) -> None:
    """Raise a ValueError unless `cache` is what `forward_name` returns (catches swapped arguments)."""
    if not isinstance(cache, cache_type):
        raise ValueError(
            f"cache: expected the {cache_type.__name__} that {forward_name} returned, got {_describe(cache)}"
        )


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
    x_arr = as_float_array(x, "x")
    W_arr = as_float_array(W, "W")
    b_arr = as_float_array(b, "b")
    if x_arr.ndim == 1:
        raise ValueError(f"x: expected a batch of shape (N, D), one example per row, got shape {x_arr.shape} "
                         "(for a single example of D features, pass x.reshape(1, -1))")
    if W_arr.ndim != 2:
        raise ValueError(f"W: expected a 2-d weight matrix of shape (D, H), got shape {W_arr.shape}")
    D, H = W_arr.shape
    check_batch(x_arr, "x", ("N", "D"), (None, D))  # the weights fix D; x must match them
    check_shape(b_arr, (H,), "b")
    z = x_arr @ W_arr + b_arr  # (N, D) @ (D, H) + (H,) -> (N, H); b broadcasts over rows
    return z, DenseCache(x=x_arr, W=W_arr)


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
    _check_cache(cache, DenseCache, "dense_forward")
    x, W = cache
    dout_arr = _upstream(dout, (x.shape[0], W.shape[1]))
    dx = dout_arr @ W.T  # (N, H) @ (H, D) -> (N, D)
    dW = x.T @ dout_arr  # (D, N) @ (N, H) -> (D, H)
    db = dout_arr.sum(axis=0)  # (N, H) -> (H,)
    return dx, dW, db


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
    """What sigmoid_backward needs. Chapter 04.

    Fields:
        a: the output sigmoid(z), same shape as z; sigma'(z) = a * (1 - a).
    """

    a: np.ndarray


def sigmoid_forward(z):
    """Sigmoid layer a = sigmoid(z), elementwise. Chapter 04.

    Inputs:
        z: array, any shape, e.g. (N, H).
    Returns:
        a: same shape as z.
        cache: SigmoidCache(a).
    """
    a = act.sigmoid(as_float_array(z, "z"))
    return a, SigmoidCache(a=a)


def sigmoid_backward(dout, cache: SigmoidCache):
    """Gradient of the sigmoid layer: dz = dout * a * (1 - a). Chapter 04.

    Inputs:
        dout: gradient of the loss with respect to a, same shape as a.
        cache: SigmoidCache from sigmoid_forward, field a (the output).
    Returns:
        dz: same shape as a.
    """
    _check_cache(cache, SigmoidCache, "sigmoid_forward")
    a = cache.a
    return _upstream(dout, a.shape) * a * (1.0 - a)


class TanhCache(NamedTuple):
    """What tanh_backward needs. Chapter 04.

    Fields:
        a: the output tanh(z), same shape as z; tanh'(z) = 1 - a**2.
    """

    a: np.ndarray


def tanh_forward(z):
    """Tanh layer a = tanh(z), elementwise. Chapter 04.

    Inputs:
        z: array, any shape.
    Returns:
        a: same shape as z.
        cache: TanhCache(a).
    """
    a = act.tanh(as_float_array(z, "z"))
    return a, TanhCache(a=a)


def tanh_backward(dout, cache: TanhCache):
    """Gradient of the tanh layer: dz = dout * (1 - a**2). Chapter 04.

    Inputs:
        dout: gradient of the loss with respect to a, same shape as a.
        cache: TanhCache from tanh_forward, field a (the output).
    Returns:
        dz: same shape as a.
    """
    _check_cache(cache, TanhCache, "tanh_forward")
    a = cache.a
    return _upstream(dout, a.shape) * (1.0 - a * a)


class ReluCache(NamedTuple):
    """What relu_backward needs. Chapter 04.

    Fields:
        z: the input; the gradient passes where z > 0.
    """

    z: np.ndarray


def relu_forward(z):
    """ReLU layer a = max(0, z), elementwise. Chapter 04.

    Inputs:
        z: array, any shape.
    Returns:
        a: same shape as z.
        cache: ReluCache(z).
    """
    z_arr = as_float_array(z, "z")
    return act.relu(z_arr), ReluCache(z=z_arr)


def relu_backward(dout, cache: ReluCache):
    """Gradient of the ReLU layer: dout where z > 0, else 0 (also 0 at z == 0). Chapter 04.

    Inputs:
        dout: gradient of the loss with respect to a, same shape as z.
        cache: ReluCache from relu_forward, field z (the input).
    Returns:
        dz: same shape as z.
    """
    _check_cache(cache, ReluCache, "relu_forward")
    z = cache.z
    return _upstream(dout, z.shape) * act.relu_prime(z)


class LeakyReluCache(NamedTuple):
    """What leaky_relu_backward needs. Chapter 04.

    Fields:
        z: the input.
        alpha: the slope used for z <= 0.
    """

    z: np.ndarray
    alpha: float


def leaky_relu_forward(z, alpha: float = 0.01):
    """Leaky ReLU layer a = z where z > 0, else alpha * z. Chapter 04.

    Inputs:
        z: array, any shape.
        alpha: the slope for negative z, a fixed setting (not learned, so it gets no gradient).
    Returns:
        a: same shape as z.
        cache: LeakyReluCache(z, alpha).
    """
    z_arr = as_float_array(z, "z")
    a = act.leaky_relu(z_arr, alpha=alpha)  # validates alpha
    return a, LeakyReluCache(z=z_arr, alpha=float(alpha))


def leaky_relu_backward(dout, cache: LeakyReluCache):
    """Gradient of the leaky ReLU layer: dout where z > 0, else alpha * dout. Chapter 04.

    Inputs:
        dout: gradient of the loss with respect to a, same shape as z.
        cache: LeakyReluCache from leaky_relu_forward, fields z (the input) and alpha.
    Returns:
        dz: same shape as z. Only dz: alpha is a fixed setting, not an input that is learned.
    """
    _check_cache(cache, LeakyReluCache, "leaky_relu_forward")
    z = cache.z
    return _upstream(dout, z.shape) * act.leaky_relu_prime(z, alpha=cache.alpha)


class IdentityCache(NamedTuple):
    """What identity_backward needs: only the shape, to check dout. Chapter 05.

    Fields:
        shape: the shape of z.
    """

    shape: tuple


def identity_forward(z):
    """The identity layer a = z (a linear output layer, e.g. before a loss on logits). Chapter 05.

    Inputs:
        z: array, any shape.
    Returns:
        a: a copy of z, same shape.
        cache: IdentityCache(shape).
    """
    z_arr = as_float_array(z, "z")
    check_not_empty(z_arr, "z")
    return z_arr.copy(), IdentityCache(shape=z_arr.shape)


def identity_backward(dout, cache: IdentityCache):
    """Gradient of the identity layer: dz = dout. Chapter 05.

    Inputs:
        dout: gradient of the loss with respect to a, of shape cache.shape.
        cache: IdentityCache from identity_forward, field shape.
    Returns:
        dz: a copy of dout.
    """
    _check_cache(cache, IdentityCache, "identity_forward")
    return _upstream(dout, cache.shape).copy()


# name -> (forward, backward). Chapter 05.
ACTIVATIONS = {
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "identity": (identity_forward, identity_backward),
}


# ---- initialisation and the object API -----------------------------------------------------

# init name -> the standard deviation of W's normal entries, before `scale`.
INITS = {
    # Glorot & Bengio's normal variant, Var(W) = 2 / (fan_in + fan_out): keeps activations and
    # gradients at roughly constant variance through tanh/sigmoid layers.
    "xavier": lambda D, H: np.sqrt(2.0 / (D + H)),
    # He et al.: Var(W) = 2 / fan_in, making up for ReLU zeroing half of its inputs.
    "he": lambda D, H: np.sqrt(2.0 / D),
    # plain N(0, 1); with `scale` this is the classic "small random numbers" (e.g. scale=0.01).
    "normal": lambda D, H: 1.0,
}


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


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
    D, H = _positive_int(D, "D"), _positive_int(H, "H")
    if init not in INITS:
        raise ValueError(f"init: expected one of {sorted(INITS)}, got {init!r}")
    is_real = isinstance(scale, numbers.Real) and not isinstance(scale, bool)
    if not is_real or not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale: expected a positive finite number, got {scale!r}")
    return float(scale * INITS[init](D, H))


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
    """

    def __init__(self, D: int, H: int, rng: np.random.Generator, init: str = "xavier", scale: float = 1.0):
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng: expected a numpy Generator such as np.random.default_rng(0), got {_describe(rng)}")
        self.init = init
        std = init_std(D, H, init, scale)
        self.params = {"W": rng.normal(0.0, std, size=(D, H)), "b": np.zeros(H)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.cache: DenseCache | None = None

    def forward(self, x):
        """Inputs: x: (N, D). Returns: z: (N, H); keeps the cache for backward."""
        z, self.cache = dense_forward(x, self.params["W"], self.params["b"])
        return z

    def backward(self, dout):
        """Inputs: dout: (N, H). Returns: dx: (N, D); stores grads["W"] (D, H) and grads["b"] (H,)."""
        if self.cache is None:
            raise RuntimeError("Dense.backward: call forward first; there is no cache yet")
        dx, dW, db = dense_backward(dout, self.cache)
        self.grads = {"W": dW, "b": db}
        return dx

    def __repr__(self) -> str:
        D, H = self.params["W"].shape
        return f"Dense(D={D}, H={H}, init={self.init!r})"


class Activation:
    """An elementwise activation layer looked up by name in ACTIVATIONS. Chapter 05.

    Activation(name, alpha=None):
        name: a key of ACTIVATIONS ("sigmoid", "tanh", "relu", "leaky_relu", "identity").
        alpha: leaky_relu's slope for negative z (default 0.01); only for "leaky_relu".
    It has no parameters: params and grads are empty dicts, so a network can treat
    every layer alike.
    """

    def __init__(self, name: str, alpha: float | None = None):
        if name not in ACTIVATIONS:
            raise ValueError(f"name: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
        if alpha is not None and name != "leaky_relu":
            raise ValueError(f"alpha: only leaky_relu takes a slope, got alpha={alpha!r} for {name!r}")
        self.name = name
        self.alpha = alpha
        self._forward, self._backward = ACTIVATIONS[name]
        self.params: dict = {}
        self.grads: dict = {}
        self.cache = None

    def forward(self, z):
        """Inputs: z: any shape, e.g. (N, H). Returns: a: same shape; keeps the cache."""
        extra = {} if self.alpha is None else {"alpha": self.alpha}
        a, self.cache = self._forward(z, **extra)
        return a

    def backward(self, dout):
        """Inputs: dout: the shape of the last forward's output. Returns: dz: same shape."""
        if self.cache is None:
            raise RuntimeError(f"Activation({self.name!r}).backward: call forward first; there is no cache yet")
        return self._backward(dout, self.cache)

    def __repr__(self) -> str:
        extra = "" if self.alpha is None else f", alpha={self.alpha!r}"
        return f"Activation({self.name!r}{extra})"
