"""Loss functions as forward/backward pairs (introduced in chapters 03 to 05).

A loss comes as up to three functions:
    *_forward(prediction, y)  -> (loss, cache)
    *_backward(dout, cache)   -> the gradient of dout * loss with respect to the prediction
    *_loss(prediction, y)     -> (loss, gradient), forward and backward with dout = 1
The targets y are constants, not something we learn, so the only gradient returned
is the one with respect to the prediction (y_hat, or the logits z).

Every loss is a mean over the batch: the sum over the N examples (and over the K
outputs of each) is divided by N, so the gradient carries the same 1/N. Without it
the gradient, and so the right learning rate, would grow with the batch size.

As in bplib.layers, the public functions check their input (a ValueError that names what was
expected and what came), then call a plain pair (`_squared_error_forward`, ...) that only does
the arithmetic, on checked arrays; bplib.network and the dashboards call the plain pair.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from bplib._validate import _describe, as_float_array, check_cache

__all__ = ["squared_error_forward", "squared_error_backward", "squared_error_loss", "binary_cross_entropy_loss",
           "softmax_cross_entropy_forward", "softmax_cross_entropy_backward", "softmax_cross_entropy_loss"]

# Probabilities are clipped to [_PROBABILITY_EPS, 1 - _PROBABILITY_EPS] before a log:
# log(0) = -inf would make one confidently wrong example turn the whole loss into inf
# (and 0 * log(0) into NaN). Clipped, one example costs at most -log(1e-12) ~ 27.6.
_PROBABILITY_EPS = 1e-12
_ROW_SUM_TOL = 1e-6  # probability rows of y must sum to 1 within this


# ---- squared error ---------------------------------------------------------------------------


class SquaredErrorCache(NamedTuple):
    """What squared_error_backward needs: y_hat, (N,) or (N, K), and the targets y of its shape. Chapter 03."""

    y_hat: np.ndarray
    y: np.ndarray


def _squared_error_forward(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, SquaredErrorCache]:
    residual = y_hat - y  # same shape as y_hat
    return 0.5 * float(np.sum(residual * residual)) / y_hat.shape[0], SquaredErrorCache(y_hat=y_hat, y=y)


def _squared_error_backward(dout: float, cache: SquaredErrorCache) -> np.ndarray:
    return dout * (cache.y_hat - cache.y) / cache.y_hat.shape[0]  # the 1/2 cancelled the 2 of the square


def squared_error_forward(y_hat, y):
    """Squared error with the 1/2 convention, L = (1 / (2N)) * sum((y_hat - y)**2). Chapter 03.

    The 1/2 cancels the 2 of the derivative, leaving dL/dy_hat = (y_hat - y) / N.

    Inputs:
        y_hat: (N,) or (N, K) predictions.
        y: same shape as y_hat, targets (constants).
    Returns:
        loss: a float, summed over the K outputs and averaged over the N examples.
        cache: SquaredErrorCache(y_hat, y).
    """
    y_hat_arr = _batch(y_hat, "y_hat")
    return _squared_error_forward(y_hat_arr, _target_like(y, y_hat_arr))


def squared_error_backward(dout=1.0, cache: SquaredErrorCache | None = None):
    """Gradient of dout * squared error with respect to y_hat: dout * (y_hat - y) / N. Chapter 03.

    Inputs:
        dout: a number, the upstream gradient of the loss (1.0 when the loss is the end).
        cache: SquaredErrorCache from squared_error_forward, fields y_hat and y.
    Returns:
        dy_hat: the shape of y_hat. No gradient for y: targets are constants.
    """
    dout = _scalar_upstream(dout)
    check_cache(cache, SquaredErrorCache, "squared_error_forward")
    return _squared_error_backward(dout, cache)


def squared_error_loss(y_hat, y):
    """Squared error and its gradient in one call: (loss, dy_hat = (y_hat - y) / N), y_hat and y as forward's.
    Chapter 03."""
    loss, cache = squared_error_forward(y_hat, y)
    return loss, _squared_error_backward(1.0, cache)


# ---- binary cross-entropy on probabilities ---------------------------------------------------


def _binary_cross_entropy(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    p = np.clip(y_hat, _PROBABILITY_EPS, 1.0 - _PROBABILITY_EPS)  # same shape as y_hat
    N = y_hat.shape[0]
    # log1p(-p) is log(1 - p) without the rounding of 1 - p for small p
    loss = -float(np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p))) / N
    return loss, (p - y) / (p * (1.0 - p)) / N


def binary_cross_entropy_loss(y_hat, y):
    """Binary cross-entropy of probabilities and its gradient. Chapter 03.

        L = -(1/N) sum(y log y_hat + (1 - y) log(1 - y_hat)),
        dL/dy_hat = (y_hat - y) / (y_hat (1 - y_hat)) / N.

    y_hat is clipped to [1e-12, 1 - 1e-12] for both, so a prediction of exactly 0 or 1 gives a
    large finite loss instead of inf or NaN, and the large, finite push a confidently wrong
    prediction should get (not the slope of the clipped loss, which is 0).

    Inputs:
        y_hat: (N,) or (N, K) predicted probabilities, every entry in [0, 1].
        y: same shape, targets in [0, 1] (usually 0 or 1; constants).
    Returns:
        loss: a float, summed over the K outputs and averaged over the N examples.
        dy_hat: the shape of y_hat. No gradient for y: targets are constants.
    """
    y_hat_arr = _batch(y_hat, "y_hat")
    y_arr = _target_like(y, y_hat_arr)
    _check_unit_interval(y_hat_arr, "y_hat", "probabilities", "; pass sigmoid(z), not the logits z")
    _check_unit_interval(y_arr, "y", "targets")
    return _binary_cross_entropy(y_hat_arr, y_arr)


# ---- softmax cross-entropy -------------------------------------------------------------------


class SoftmaxCrossEntropyCache(NamedTuple):
    """What softmax_cross_entropy_backward needs: y_hat = softmax(z), (N, C), and y as (N, C) rows. Chapter 05."""

    y_hat: np.ndarray
    y: np.ndarray


def _softmax_cross_entropy_forward(z: np.ndarray, rows: np.ndarray) -> tuple[float, SoftmaxCrossEntropyCache]:
    # log softmax(z) = (z - max z) - log(sum(exp(z - max z))): no exp overflows, no log sees 0
    shifted = z - z.max(axis=1, keepdims=True)  # (N, C), every entry <= 0
    e = np.exp(shifted)  # (N, C), in [0, 1], 1 at each row's maximum
    total = e.sum(axis=1, keepdims=True)  # (N, 1), in [1, C]
    log_y_hat = shifted - np.log(total)  # (N, C)
    picked = np.vdot(rows, log_y_hat)  # sum over n and c of y[n, c] log y_hat[n, c]
    if math.isnan(picked):  # logits 1e308 apart: log y_hat = -inf, and 0 * -inf must count as 0
        picked = np.sum(np.where(rows > 0, rows * log_y_hat, 0.0))
    return -float(picked) / z.shape[0], SoftmaxCrossEntropyCache(y_hat=e / total, y=rows)


def _softmax_cross_entropy_backward(dout: float, cache: SoftmaxCrossEntropyCache) -> np.ndarray:
    return (cache.y_hat - cache.y) * (dout / cache.y_hat.shape[0])  # (N, C)


def softmax_cross_entropy_forward(z, y):
    """Softmax cross-entropy, L = -(1/N) sum_n sum_c y[n, c] log softmax(z[n])[c]. Chapter 05.

    With integer labels this is -(1/N) sum_n log softmax(z[n])[y[n]]. Computed through
    log softmax, it is finite and warning-free for logits of 1e4 or 1e300 apart.

    Inputs:
        z: (N, C) logits, one row per example.
        y: (N,) integer labels in [0, C), or (N, C) one-hot / probability rows (constants).
    Returns:
        loss: a float, averaged over the N examples.
        cache: SoftmaxCrossEntropyCache(y_hat, y) with y_hat = softmax(z) and y as (N, C) rows.
    """
    z_arr = as_float_array(z, "z")
    if z_arr.ndim != 2 or z_arr.shape[0] == 0 or z_arr.shape[1] == 0:
        hint = " (for a single example, pass z.reshape(1, -1))" if z_arr.ndim == 1 else ""
        raise ValueError(f"z: expected logits of shape (N, C) with N, C >= 1, got shape {z_arr.shape}{hint}")
    return _softmax_cross_entropy_forward(z_arr, _target_rows(y, *z_arr.shape))


def softmax_cross_entropy_backward(dout=1.0, cache: SoftmaxCrossEntropyCache | None = None):
    """Gradient of dout * softmax cross-entropy with respect to the logits: dout * (softmax(z) - y) / N. Chapter 05.

    The softmax Jacobian and the 1 / y_hat of the log cancel, leaving this simple form
    (it needs y's rows to sum to 1, which forward checks).

    Inputs:
        dout: a number, the upstream gradient of the loss (1.0 when the loss is the end).
        cache: SoftmaxCrossEntropyCache from softmax_cross_entropy_forward, fields
            y_hat (N, C) = softmax(z) and y (N, C) target rows.
    Returns:
        dz: (N, C). No gradient for y: targets are constants.
    """
    dout = _scalar_upstream(dout)
    check_cache(cache, SoftmaxCrossEntropyCache, "softmax_cross_entropy_forward")
    return _softmax_cross_entropy_backward(dout, cache)


def softmax_cross_entropy_loss(z, y):
    """Softmax cross-entropy and its gradient in one call: (loss, dz = (softmax(z) - y) / N), z and y as forward's.
    Chapter 05."""
    loss, cache = softmax_cross_entropy_forward(z, y)
    return loss, _softmax_cross_entropy_backward(1.0, cache)


# ---- input checks ----------------------------------------------------------------------------


def _scalar_upstream(dout) -> float:
    """dout as a float: the loss is a number, so its upstream gradient is one too."""
    if isinstance(dout, tuple) and hasattr(dout, "_fields"):  # a cache passed first: backward(cache)
        raise ValueError(
            f"dout: expected a number (usually 1.0), got a {type(dout).__name__}; "
            "pass the cache second, as backward(1.0, cache) or backward(cache=cache)"
        )
    dout_arr = as_float_array(dout, "dout")
    if dout_arr.ndim != 0:
        raise ValueError(f"dout: expected a number (the loss is a scalar), got shape {dout_arr.shape}")
    return float(dout_arr)


def _batch(value, name: str) -> np.ndarray:
    """A prediction of shape (N,) or (N, K) with N >= 1, as float64."""
    arr = as_float_array(value, name)
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise ValueError(f"{name}: expected a batch of shape (N,) or (N, K) with N >= 1, got shape {arr.shape}")
    return arr


def _target_like(y, y_hat: np.ndarray) -> np.ndarray:
    """y as float64 with exactly y_hat's shape; no broadcasting, which would silently pair every y with every y_hat."""
    y_arr = as_float_array(y, "y")
    if y_arr.shape != y_hat.shape:
        hint = ""
        if sorted([y_arr.shape, y_hat.shape]) == sorted([(y_hat.shape[0],), (y_hat.shape[0], 1)]):
            hint = "; (N,) and (N, 1) are different shapes: reshape one of them"
        raise ValueError(f"y: expected the shape of y_hat, {y_hat.shape}, got shape {y_arr.shape}{hint}")
    return y_arr


def _check_unit_interval(arr: np.ndarray, name: str, what: str, hint: str = "") -> None:
    if arr.min() < 0.0 or arr.max() > 1.0:
        raise ValueError(f"{name}: expected {what} in [0, 1], got values from {arr.min():.6g} to {arr.max():.6g}{hint}")


def _target_rows(y, N: int, C: int) -> np.ndarray:
    """Integer labels (N,) or probability rows (N, C) -> float64 rows (N, C) that sum to 1."""
    if isinstance(y, (str, bytes)) or y is None:
        raise ValueError(f"y: expected integer labels (N,) = ({N},) or probability rows (N, C), got {_describe(y)}")
    try:
        raw = np.asarray(y)
    except (ValueError, TypeError):
        raw = None
    if raw is not None and raw.ndim == 1:
        if raw.dtype == bool or not np.issubdtype(raw.dtype, np.integer):
            whole = raw.dtype.kind == "f" and np.all(np.isfinite(raw)) and np.all(raw == np.round(raw))
            hint = "; these are whole numbers stored as floats: pass y.astype(int)" if whole else ""
            raise ValueError(
                f"y: expected integer class labels in [0, {C}) of an integer dtype, got {_describe(raw)}{hint}"
            )
        if raw.shape != (N,):
            raise ValueError(f"y: expected {N} labels, one per row of z, got shape {raw.shape}")
        if raw.min() < 0 or raw.max() >= C:
            raise ValueError(f"y: expected class labels in [0, {C}), got labels from {raw.min()} to {raw.max()}")
        return _one_hot(raw, C)
    rows = as_float_array(y, "y")  # the clear error for strings, ragged lists, NaN
    if rows.shape != (N, C):
        hint = "; integer labels go in a 1-d array: pass y.ravel()" if rows.shape == (N, 1) else ""
        raise ValueError(
            f"y: expected integer labels of shape ({N},) or probability rows of shape ({N}, {C}), "
            f"got shape {rows.shape}{hint}"
        )
    _check_unit_interval(rows, "y", "probability rows (e.g. one-hot) with entries")
    sums = rows.sum(axis=1)  # (N,)
    if np.any(np.abs(sums - 1.0) > _ROW_SUM_TOL):
        worst = sums[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(f"y: expected probability rows that sum to 1, got a row summing to {worst:.6g}")
    return rows


def _one_hot(labels: np.ndarray, C: int) -> np.ndarray:
    """(N,) integer labels in [0, C) -> (N, C) rows with a 1 in column labels[n]."""
    rows = np.zeros((labels.shape[0], C))
    rows[np.arange(labels.shape[0]), labels] = 1.0
    return rows
