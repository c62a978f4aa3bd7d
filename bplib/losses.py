"""Loss functions as forward/backward pairs (introduced in chapters 03 to 05).

Each loss comes as three functions:
    *_forward(prediction, y)  -> (loss, cache)
    *_backward(dout, cache)   -> the gradient of dout * loss with respect to the prediction
    *_loss(prediction, y)     -> (loss, gradient), forward and backward with dout = 1
The targets y are constants, not something we learn, so the only gradient returned
is the one with respect to the prediction (y_hat, or the logits z).

Every loss is a mean over the batch: the sum over the N examples (and over the K
outputs of each) is divided by N, so the gradient carries the same 1/N. Without it
the gradient, and so the right learning rate, would grow with the batch size.

Bad input raises a ValueError that names what was expected and what came.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bplib import activations as act
from bplib._validate import _describe, as_float_array

__all__ = [
    "PROBABILITY_EPS",
    "SquaredErrorCache",
    "squared_error_forward",
    "squared_error_backward",
    "squared_error_loss",
    "BinaryCrossEntropyCache",
    "binary_cross_entropy_forward",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_loss",
    "BinaryCrossEntropyWithLogitsCache",
    "binary_cross_entropy_with_logits_forward",
    "binary_cross_entropy_with_logits_backward",
    "binary_cross_entropy_with_logits_loss",
    "SoftmaxCrossEntropyCache",
    "softmax_cross_entropy_forward",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_loss",
    "LOSSES",
]

# Probabilities are clipped to [PROBABILITY_EPS, 1 - PROBABILITY_EPS] before a log:
# log(0) = -inf would make one confidently wrong example turn the whole loss into inf
# (and 0 * log(0) into NaN). Clipped, one example costs at most -log(1e-12) ~ 27.6.
PROBABILITY_EPS = 1e-12
ROW_SUM_TOL = 1e-6  # probability rows of y must sum to 1 within this


# ---- shared validation -----------------------------------------------------------------------


def _check_cache(cache, cache_type: type, forward_name: str) -> None:
    """Raise a ValueError unless `cache` is what `forward_name` returns (catches swapped arguments)."""
    if cache is None:
        raise ValueError(f"cache: expected the {cache_type.__name__} that {forward_name} returned, got None")
    if not isinstance(cache, cache_type):
        raise ValueError(
            f"cache: expected the {cache_type.__name__} that {forward_name} returned, got {_describe(cache)}"
        )


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


def _target_like(y, y_hat: np.ndarray, pred_name: str) -> np.ndarray:
    """y as float64 with exactly y_hat's shape; no broadcasting, which would silently pair every y with every y_hat."""
    y_arr = as_float_array(y, "y")
    if y_arr.shape != y_hat.shape:
        hint = ""
        if sorted([y_arr.shape, y_hat.shape]) == sorted([(y_hat.shape[0],), (y_hat.shape[0], 1)]):
            hint = "; (N,) and (N, 1) are different shapes: reshape one of them"
        raise ValueError(f"y: expected the shape of {pred_name}, {y_hat.shape}, got shape {y_arr.shape}{hint}")
    return y_arr


def _check_unit_interval(arr: np.ndarray, name: str, what: str, hint: str = "") -> None:
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"{name}: expected {what} in [0, 1], got values from {arr.min():.6g} to {arr.max():.6g}{hint}")


# ---- squared error ---------------------------------------------------------------------------


class SquaredErrorCache(NamedTuple):
    """What squared_error_backward needs. Chapter 03.

    Fields:
        y_hat: (N,) or (N, K) the predictions.
        y: same shape, the targets.
    """

    y_hat: np.ndarray
    y: np.ndarray


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
    y_arr = _target_like(y, y_hat_arr, "y_hat")
    residual = y_hat_arr - y_arr  # same shape as y_hat
    loss = 0.5 * float(np.sum(residual * residual)) / y_hat_arr.shape[0]
    return loss, SquaredErrorCache(y_hat=y_hat_arr, y=y_arr)


def squared_error_backward(dout=1.0, cache: SquaredErrorCache | None = None):
    """Gradient of dout * squared error with respect to y_hat: dout * (y_hat - y) / N. Chapter 03.

    Inputs:
        dout: a number, the upstream gradient of the loss (1.0 when the loss is the end).
        cache: SquaredErrorCache from squared_error_forward, fields y_hat and y.
    Returns:
        dy_hat: the shape of y_hat. No gradient for y: targets are constants.
    """
    dout = _scalar_upstream(dout)
    _check_cache(cache, SquaredErrorCache, "squared_error_forward")
    y_hat, y = cache
    return dout * (y_hat - y) / y_hat.shape[0]


def squared_error_loss(y_hat, y):
    """Squared error and its gradient in one call. Chapter 03.

    Inputs:
        y_hat: (N,) or (N, K); y: same shape.
    Returns:
        loss: a float, as squared_error_forward.
        dy_hat: the shape of y_hat, (y_hat - y) / N.
    """
    loss, cache = squared_error_forward(y_hat, y)
    return loss, squared_error_backward(1.0, cache)


# ---- binary cross-entropy on probabilities ---------------------------------------------------


class BinaryCrossEntropyCache(NamedTuple):
    """What binary_cross_entropy_backward needs. Chapter 03.

    Fields:
        y_hat_clipped: (N,) or (N, K) the predicted probabilities clipped to
            [PROBABILITY_EPS, 1 - PROBABILITY_EPS].
        y: same shape, the targets.
    """

    y_hat_clipped: np.ndarray
    y: np.ndarray


def binary_cross_entropy_forward(y_hat, y):
    """Binary cross-entropy of probabilities, L = -(1/N) sum(y log y_hat + (1 - y) log(1 - y_hat)). Chapter 03.

    y_hat is clipped to [1e-12, 1 - 1e-12] (PROBABILITY_EPS) for the logs only, so a
    prediction of exactly 0 or 1 gives a large finite loss instead of inf or NaN.
    If you have logits, binary_cross_entropy_with_logits is exact and more stable.

    Inputs:
        y_hat: (N,) or (N, K) predicted probabilities, every entry in [0, 1].
        y: same shape, targets in [0, 1] (usually 0 or 1; constants).
    Returns:
        loss: a float, summed over the K outputs and averaged over the N examples.
        cache: BinaryCrossEntropyCache(y_hat_clipped, y).
    """
    y_hat_arr = _batch(y_hat, "y_hat")
    y_arr = _target_like(y, y_hat_arr, "y_hat")
    _check_unit_interval(y_hat_arr, "y_hat", "probabilities", "; for logits use binary_cross_entropy_with_logits")
    _check_unit_interval(y_arr, "y", "targets")
    p = np.clip(y_hat_arr, PROBABILITY_EPS, 1.0 - PROBABILITY_EPS)  # same shape as y_hat
    # log1p(-p) is log(1 - p) without the rounding of 1 - p for small p
    loss = -float(np.sum(y_arr * np.log(p) + (1.0 - y_arr) * np.log1p(-p))) / y_hat_arr.shape[0]
    return loss, BinaryCrossEntropyCache(y_hat_clipped=p, y=y_arr)


def binary_cross_entropy_backward(dout=1.0, cache: BinaryCrossEntropyCache | None = None):
    """Gradient of dout * binary cross-entropy with respect to y_hat. Chapter 03.

    dL/dy_hat = (y_hat - y) / (y_hat (1 - y_hat)) / N, evaluated at the clipped y_hat.
    Where the clip was active this is not the slope of the clipped loss (that is 0);
    it is the large, finite push a confidently wrong prediction should get.

    Inputs:
        dout: a number, the upstream gradient of the loss (1.0 when the loss is the end).
        cache: BinaryCrossEntropyCache from binary_cross_entropy_forward, fields
            y_hat_clipped and y.
    Returns:
        dy_hat: the shape of y_hat. No gradient for y: targets are constants.
    """
    dout = _scalar_upstream(dout)
    _check_cache(cache, BinaryCrossEntropyCache, "binary_cross_entropy_forward")
    p, y = cache
    return dout * (p - y) / (p * (1.0 - p)) / p.shape[0]


def binary_cross_entropy_loss(y_hat, y):
    """Binary cross-entropy of probabilities and its gradient in one call. Chapter 03.

    Inputs:
        y_hat: (N,) or (N, K) probabilities; y: same shape.
    Returns:
        loss: a float, as binary_cross_entropy_forward.
        dy_hat: the shape of y_hat.
    """
    loss, cache = binary_cross_entropy_forward(y_hat, y)
    return loss, binary_cross_entropy_backward(1.0, cache)


# ---- binary cross-entropy on logits ----------------------------------------------------------


class BinaryCrossEntropyWithLogitsCache(NamedTuple):
    """What binary_cross_entropy_with_logits_backward needs. Chapter 05.

    Fields:
        y_hat: (N,) or (N, K) the probabilities sigmoid(z).
        y: same shape, the targets.
    """

    y_hat: np.ndarray
    y: np.ndarray


def binary_cross_entropy_with_logits_forward(z, y):
    """Binary cross-entropy of sigmoid(z), computed from the logits z directly. Chapter 05.

    -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] simplifies to
        max(z, 0) - z * y + log1p(exp(-|z|)),
    where exp never sees a positive number: exact and warning-free for any |z| up to 1e300.
    L = (1/N) times the sum of that over all entries.

    Inputs:
        z: (N,) or (N, K) logits.
        y: same shape, targets in [0, 1] (usually 0 or 1; constants).
    Returns:
        loss: a float, summed over the K outputs and averaged over the N examples.
        cache: BinaryCrossEntropyWithLogitsCache(y_hat, y) with y_hat = sigmoid(z).
    """
    z_arr = _batch(z, "z")
    y_arr = _target_like(y, z_arr, "z")
    _check_unit_interval(y_arr, "y", "targets")
    per_entry = np.maximum(z_arr, 0.0) - z_arr * y_arr + np.log1p(np.exp(-np.abs(z_arr)))  # same shape as z
    loss = float(np.sum(per_entry)) / z_arr.shape[0]
    return loss, BinaryCrossEntropyWithLogitsCache(y_hat=act.sigmoid(z_arr), y=y_arr)


def binary_cross_entropy_with_logits_backward(dout=1.0, cache: BinaryCrossEntropyWithLogitsCache | None = None):
    """Gradient of dout * binary cross-entropy with respect to the logits: dout * (sigmoid(z) - y) / N. Chapter 05.

    The sigmoid's slope cancels the 1 / (y_hat (1 - y_hat)) of the loss, which is why
    the logit form never saturates.

    Inputs:
        dout: a number, the upstream gradient of the loss (1.0 when the loss is the end).
        cache: BinaryCrossEntropyWithLogitsCache from binary_cross_entropy_with_logits_forward,
            fields y_hat (= sigmoid(z)) and y.
    Returns:
        dz: the shape of z. No gradient for y: targets are constants.
    """
    dout = _scalar_upstream(dout)
    _check_cache(cache, BinaryCrossEntropyWithLogitsCache, "binary_cross_entropy_with_logits_forward")
    y_hat, y = cache
    return dout * (y_hat - y) / y_hat.shape[0]


def binary_cross_entropy_with_logits_loss(z, y):
    """Binary cross-entropy on logits and its gradient in one call. Chapter 05.

    Inputs:
        z: (N,) or (N, K) logits; y: same shape.
    Returns:
        loss: a float, as binary_cross_entropy_with_logits_forward.
        dz: the shape of z, (sigmoid(z) - y) / N.
    """
    loss, cache = binary_cross_entropy_with_logits_forward(z, y)
    return loss, binary_cross_entropy_with_logits_backward(1.0, cache)


# ---- softmax cross-entropy -------------------------------------------------------------------


class SoftmaxCrossEntropyCache(NamedTuple):
    """What softmax_cross_entropy_backward needs. Chapter 05.

    Fields:
        y_hat: (N, C) the probabilities softmax(z).
        y: (N, C) the targets as rows: one-hot rows for integer labels.
    """

    y_hat: np.ndarray
    y: np.ndarray


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
        rows = np.zeros((N, C))
        rows[np.arange(N), raw] = 1.0  # one-hot: row n has a 1 in column y[n]
        return rows
    rows = as_float_array(y, "y")  # the clear error for strings, ragged lists, NaN
    if rows.shape != (N, C):
        hint = "; integer labels go in a 1-d array: pass y.ravel()" if rows.shape == (N, 1) else ""
        raise ValueError(
            f"y: expected integer labels of shape ({N},) or probability rows of shape ({N}, {C}), "
            f"got shape {rows.shape}{hint}"
        )
    _check_unit_interval(rows, "y", "probability rows (e.g. one-hot) with entries")
    sums = rows.sum(axis=1)  # (N,)
    if np.any(np.abs(sums - 1.0) > ROW_SUM_TOL):
        worst = sums[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(f"y: expected probability rows that sum to 1, got a row summing to {worst:.6g}")
    return rows


def softmax_cross_entropy_forward(z, y):
    """Softmax cross-entropy, L = -(1/N) sum_n sum_c y[n, c] log softmax(z[n])[c]. Chapter 05.

    With integer labels this is -(1/N) sum_n log softmax(z[n])[y[n]]. It uses
    log softmax(z) = (z - max z) - log(sum(exp(z - max z))), so no exp overflows and no
    log sees 0: finite and warning-free for logits of 1e4 or 1e300 apart.

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
    N, C = z_arr.shape
    rows = _target_rows(y, N, C)
    shifted = z_arr - z_arr.max(axis=1, keepdims=True)  # (N, C), every entry <= 0
    log_y_hat = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))  # (N, C) log softmax
    # 0 * log y_hat is 0 even where log y_hat is hugely negative: only classes with y > 0 count
    picked = np.where(rows > 0, rows * log_y_hat, 0.0)  # (N, C)
    loss = -float(np.sum(picked)) / N
    return loss, SoftmaxCrossEntropyCache(y_hat=act.softmax(z_arr), y=rows)


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
    _check_cache(cache, SoftmaxCrossEntropyCache, "softmax_cross_entropy_forward")
    y_hat, y = cache
    return dout * (y_hat - y) / y_hat.shape[0]


def softmax_cross_entropy_loss(z, y):
    """Softmax cross-entropy and its gradient in one call. Chapter 05.

    Inputs:
        z: (N, C) logits; y: (N,) integer labels or (N, C) probability rows.
    Returns:
        loss: a float, as softmax_cross_entropy_forward.
        dz: (N, C), (softmax(z) - onehot(y)) / N.
    """
    loss, cache = softmax_cross_entropy_forward(z, y)
    return loss, softmax_cross_entropy_backward(1.0, cache)


# name -> (forward, backward). Chapter 05.
LOSSES = {
    "squared_error": (squared_error_forward, squared_error_backward),
    "binary_cross_entropy": (binary_cross_entropy_forward, binary_cross_entropy_backward),
    "binary_cross_entropy_with_logits": (
        binary_cross_entropy_with_logits_forward,
        binary_cross_entropy_with_logits_backward,
    ),
    "softmax_cross_entropy": (softmax_cross_entropy_forward, softmax_cross_entropy_backward),
}
