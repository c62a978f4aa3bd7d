"""Activation functions and their derivatives (introduced in chapter 01).

Each public function takes a real number or an array `z` of any shape, checks it, and returns
the same shape (a float for a scalar input). The arithmetic behind it is a plain function with
a leading underscore (`_sigmoid`, `_sigmoid_prime`, ...), which the layers, the networks and
the dashboards call on arrays they have already checked. All are numerically stable for every
finite input: no overflow warning and no NaN at z = +-1e4 or +-1e300.

Derivatives are written in terms of the activation, the form backprop uses:
    sigmoid'(z) = sigmoid(z) * (1 - sigmoid(z))
    tanh'(z)    = 1 - tanh(z)**2
    relu'(z)    = 1 if z > 0 else 0          (we take relu'(0) = 0)
"""

from __future__ import annotations

import numpy as np

from bplib._validate import as_float_array, as_output, check_not_empty

__all__ = ["sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime", "softmax", "softmax_jacobian"]


# ---- the arithmetic, on float64 arrays of any shape --------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number never overflows: use exp(-|z|) on both branches.
    e = np.exp(-np.abs(z))  # same shape as z, in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    # sigma'(z) = e / (1 + e)**2 with e = exp(-|z|) (sigma' is even). The same value as
    # s * (1 - s), but without the cancellation in 1 - s, which gives 0 for z > ~37.
    e = np.exp(-np.abs(z))  # same shape as z, in (0, 1]
    # the clip only removes a rounding excess (0.25 + 6e-17 near z = 0); the true maximum is 1/4
    return np.minimum(e / ((1.0 + e) * (1.0 + e)), 0.25)


def _tanh_prime(z: np.ndarray) -> np.ndarray:
    # 1 - tanh(z)**2 == 4 e / (1 + e)**2 with e = exp(-2|z|); this form keeps full relative
    # precision in the tails, where 1 - t*t cancels to 0 for |z| > ~19.
    e = np.exp(-np.abs(z)) ** 2  # exp(-2|z|), same shape as z; -2|z| itself could overflow
    return np.minimum(4.0 * e / ((1.0 + e) * (1.0 + e)), 1.0)  # clip rounding, as above


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    # Subtracting the maximum first makes every exponent <= 0, so nothing overflows.
    with np.errstate(over="ignore"):  # logits over 1.8e308 apart: the gap is -inf and exp gives 0, as it should
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))  # same shape as z, max entry 1
    return e / np.sum(e, axis=axis, keepdims=True)


# ---- the public functions: check z, then compute --------------------------------------------


def _z(z) -> np.ndarray:
    """z as a float64 array with at least one entry, or a ValueError naming z."""
    z_arr = as_float_array(z, "z")
    check_not_empty(z_arr, "z")
    return z_arr


def sigmoid(z):
    """The logistic function sigma(z) = 1 / (1 + exp(-z)). Chapter 01.

    Inputs:
        z: scalar or array, any shape.
    Returns:
        a: same shape as z, every entry in [0, 1].
    """
    return as_output(_sigmoid(_z(z)), z)


def sigmoid_prime(z):
    """The derivative sigma'(z) = sigma(z) * (1 - sigma(z)). Chapter 01.

    Inputs:
        z: scalar or array, any shape.
    Returns:
        same shape as z, every entry in [0, 0.25].
    """
    return as_output(_sigmoid_prime(_z(z)), z)


def tanh(z):
    """The hyperbolic tangent, (e^z - e^-z) / (e^z + e^-z). Chapter 01.

    Inputs:
        z: scalar or array, any shape.
    Returns:
        same shape as z, every entry in [-1, 1].
    """
    return as_output(np.tanh(_z(z)), z)


def tanh_prime(z):
    """The derivative tanh'(z) = 1 - tanh(z)**2. Chapter 01.

    Inputs:
        z: scalar or array, any shape.
    Returns:
        same shape as z, every entry in [0, 1].
    """
    return as_output(_tanh_prime(_z(z)), z)


def relu(z):
    """The rectified linear unit max(0, z). Chapter 01.

    Inputs:
        z: scalar or array, any shape.
    Returns:
        same shape as z.
    """
    return as_output(np.maximum(_z(z), 0.0), z)


def relu_prime(z):
    """The derivative of relu: 1 where z > 0, else 0 (relu'(0) is taken as 0). Chapter 01.

    Inputs:
        z: scalar or array, any shape.
    Returns:
        same shape as z, entries 0.0 or 1.0.
    """
    return as_output((_z(z) > 0).astype(np.float64), z)


def softmax(z, axis: int = -1):
    """Softmax along `axis`: exp(z_i) / sum_j exp(z_j). Chapter 01 (used from chapter 05).

    Inputs:
        z: array of logits, e.g. (N, C) for N examples and C classes; at least 1-d.
        axis: the axis that sums to one.
    Returns:
        same shape as z; entries in [0, 1], summing to 1 along `axis`.
    """
    z_arr = _z(z)
    if z_arr.ndim == 0:
        raise ValueError("z: expected an array with at least one axis for softmax, got a scalar")
    return _softmax(z_arr, axis)


def softmax_jacobian(z):
    """The Jacobian of softmax for one vector: J[i, j] = p_i (delta_ij - p_j). Chapter 01 (used in 05).

    Inputs:
        z: (C,) logits.
    Returns:
        J: (C, C).
    """
    z_arr = _z(z)
    if z_arr.ndim != 1:
        raise ValueError(f"z: expected a 1-d vector of logits, got shape {z_arr.shape}")
    p = _softmax(z_arr)  # (C,)
    return np.diag(p) - np.outer(p, p)
