"""One sigmoid neuron trained by the delta rule (introduced in chapter 03).

The neuron computes, for each of N examples with D inputs,
    z_n = x_n . w + b,    a_n = sigma(z_n)
and is scored by the squared error with the 1/2 convention, averaged over N:
    L = (1 / (2N)) * sum_n (a_n - y_n)**2
The chain rule gives one number per example, the delta,
    delta_n = dL_n/dz_n = (a_n - y_n) * a_n * (1 - a_n)
and from it the gradients
    dw = x.T @ delta_n / N,    db = mean(delta_n)     (delta_n: (N,), one per example)
The delta rule is gradient descent on them: w <- w - lr * dw, b <- b - lr * db.

Batch training takes one step per epoch on the mean gradient over all N examples;
online training takes one step per example (N steps per epoch). Both record the
whole path, so the chapter's dashboards can draw it over the loss surface.

The public functions check their input; the arithmetic is in `_loss`, `_losses` (at many weight
vectors at once) and `_gradients` (which also takes weights (D, K) and targets (N, 1): K weight
vectors at once), which the training loops and the chapter's dashboard (bplib.widgets.delta_rule) call.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from bplib._validate import as_float_array, check_batch, check_rng, check_shape, positive_real
from bplib.activations import _sigmoid, _sigmoid_prime

__all__ = ["neuron_forward", "neuron_loss", "neuron_gradients", "delta_rule_update", "train_batch", "train_online",
           "loss_surface", "DIVERGENCE_BOUND", "DEFAULT_GRAD_TOL"]

DIVERGENCE_BOUND = 1e6  # a weight or bias beyond this counts as diverged
DEFAULT_GRAD_TOL = 1e-6  # full-data gradient norm below which training counts as converged


# ---- the arithmetic, on checked arrays ----------------------------------------------------


def _loss(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    a = _sigmoid(x @ w + b)  # (N,)
    return float(0.5 * np.mean((a - y) ** 2))


def _gradients(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    z = x @ w + b  # (N, D) @ (D,) -> (N,)
    # _sigmoid_prime(z) is a * (1 - a), computed without the cancellation in 1 - a.
    delta_n = (_sigmoid(z) - y) * _sigmoid_prime(z)  # (N,) dL_n/dz_n, without the 1/N
    return x.T @ delta_n / x.shape[0], float(np.mean(delta_n))  # (D,), a float


def _losses(x: np.ndarray, y: np.ndarray, weights: np.ndarray, b: float) -> np.ndarray:
    # _loss at K weight vectors at once (every point of a descent path): weights (K, D) -> (K,)
    a = _sigmoid(weights @ x.T + b)  # (K, D) @ (D, N) -> (K, N)
    return 0.5 * np.mean((a - y) ** 2, axis=1)


# ---- the neuron ---------------------------------------------------------------------------


def neuron_forward(x, w, b):
    """The neuron's output a = sigma(x @ w + b). Chapter 03.

    Inputs:
        x: (N, D) inputs, one example per row; w: (D,) weights; b: scalar bias.
    Returns:
        a: (N,) outputs in [0, 1].
    """
    x, _, w, b = _check_data(x, None, w, b)
    return _sigmoid(x @ w + b)


def neuron_loss(x, y, w, b) -> float:
    """The squared-error loss L = (1 / (2N)) * sum_n (a_n - y_n)**2. Chapter 03.

    Inputs:
        x: (N, D) inputs; y: (N,) targets (usually in [0, 1], the range of a); w: (D,) weights; b: scalar bias.
    Returns:
        L: a float >= 0.
    """
    return _loss(*_check_data(x, y, w, b))


def neuron_gradients(x, y, w, b) -> tuple[np.ndarray, float]:
    """The gradients of neuron_loss by the delta rule. Chapter 03.

    delta_n = (a_n - y_n) * a_n * (1 - a_n), then dw = x.T @ delta_n / N and db = mean(delta_n).

    Inputs:
        x: (N, D) inputs; y: (N,) targets; w: (D,) weights; b: scalar bias.
    Returns:
        dw: (D,) gradient of the loss with respect to w.
        db: a float, the gradient with respect to b.
    """
    return _gradients(*_check_data(x, y, w, b))


def delta_rule_update(x, y, w, b, lr) -> tuple[np.ndarray, float]:
    """One batch step of the delta rule: w - lr * dw, b - lr * db. Chapter 03.

    Inputs:
        x: (N, D) inputs; the step uses the mean gradient over all N examples. y: (N,) targets.
        w: (D,) weights (left unchanged); b: scalar bias; lr: the learning rate, a finite number > 0.
    Returns:
        w_new: (D,) a new array; b_new: a float.
    """
    x, y, w, b = _check_data(x, y, w, b)
    lr = positive_real(lr, "lr")
    dw, db = _gradients(x, y, w, b)
    return w - lr * dw, b - lr * db


# ---- training -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingHistory:
    """The path of a training run, as train_batch and train_online return it. Chapter 03.

    Fields:
        weights: (S + 1, D), the weights before the first step and after each of the S steps taken.
        biases: (S + 1,), the bias likewise.
        losses: (S + 1,), the loss on the full data set at each of those points.
        status: "converged" (the full-data gradient norm fell below the tolerance by the end),
            "running" (finite but not yet converged when the epochs ran out) or
            "diverged" (a step produced a non-finite value or a parameter beyond DIVERGENCE_BOUND).
        diverged_at: None, or the number of the step (1-based) that diverged. Training stopped
            there and that step's result is not recorded, so S = diverged_at - 1.
    steps is S, the number of steps recorded.
    """

    weights: np.ndarray
    biases: np.ndarray
    losses: np.ndarray
    status: str
    diverged_at: int | None = None

    @property
    def steps(self) -> int:
        return len(self.losses) - 1


def train_batch(x, y, w0, b0, lr, epochs, grad_tol: float = DEFAULT_GRAD_TOL) -> TrainingHistory:
    """Batch gradient descent: one delta-rule step per epoch on the mean gradient. Chapter 03.

    Inputs:
        x: (N, D) inputs; y: (N,) targets.
        w0: (D,) starting weights (left unchanged); b0: scalar starting bias.
        lr: the learning rate, a finite number > 0.
        epochs: number of steps, a whole number >= 0.
        grad_tol: the full-data gradient norm below which the run counts as converged.
    Returns:
        TrainingHistory with up to epochs + 1 points; it never raises or warns on divergence.
    """
    x, y, w, b, lr, epochs, grad_tol = _check_training_inputs(x, y, w0, b0, lr, epochs, grad_tol)
    return _train(x, y, w, b, lr, [slice(None)] * epochs, grad_tol)


def train_online(x, y, w0, b0, lr, epochs, rng=None, grad_tol: float = DEFAULT_GRAD_TOL) -> TrainingHistory:
    """Online (stochastic) delta rule: one step per example, N steps per epoch. Chapter 03.

    Inputs:
        x, y, w0, b0, lr, grad_tol: as train_batch.
        epochs: number of passes over the data, a whole number >= 0.
        rng: None to visit the examples in their given order every epoch, or a
            numpy Generator (np.random.default_rng(seed)) to shuffle them anew each epoch.
    Returns:
        TrainingHistory with up to epochs * N + 1 points; the losses are on the full data set.
    """
    x, y, w, b, lr, epochs, grad_tol = _check_training_inputs(x, y, w0, b0, lr, epochs, grad_tol)
    if rng is not None:
        check_rng(rng)
    n = x.shape[0]
    orders = [np.arange(n) if rng is None else rng.permutation(n) for _ in range(epochs)]
    one_example_batches = [order[i : i + 1] for order in orders for i in range(n)]
    return _train(x, y, w, b, lr, one_example_batches, grad_tol)


def _train(x, y, w, b, lr, batches, grad_tol) -> TrainingHistory:
    """Take one delta-rule step per batch of examples (an index array or slice), stopping cleanly on divergence.

    The caller has checked that the starting point's loss is finite.
    """
    weights, biases, losses = [w.copy()], [b], [_loss(x, y, w, b)]
    diverged_at = None
    for step, batch in enumerate(batches, start=1):
        # The previous point had a finite loss on all the data, so these gradients are finite.
        dw, db = _gradients(x[batch], y[batch], w, b)
        # With a large lr the step itself can overflow; that is the divergence detected next.
        with np.errstate(over="ignore"):
            w, b = w - lr * dw, b - lr * db
        beyond = not (np.all(np.isfinite(w)) and np.isfinite(b)) or max(np.max(np.abs(w)), abs(b)) > DIVERGENCE_BOUND
        loss = float("inf") if beyond else _loss_or_inf(x, y, w, b)
        if not np.isfinite(loss):
            diverged_at = step
            break
        weights.append(w.copy())
        biases.append(b)
        losses.append(loss)
    if diverged_at is not None:
        status = "diverged"
    else:
        dw, db = _gradients(x, y, w, b)
        status = "converged" if np.sqrt(np.sum(dw**2) + db**2) < grad_tol else "running"
    return TrainingHistory(np.array(weights), np.array(biases), np.array(losses), status, diverged_at)


def _loss_or_inf(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """The loss, or inf where the pre-activation or the loss is not a finite number."""
    # Huge (but bounded) weights can push x @ w past the float64 range (inf, or NaN where an
    # inf and a -inf meet in the sum); that is divergence, so the warning would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        z = x @ w + b  # (N,)
        if not np.all(np.isfinite(z)):
            return float("inf")
        return float(0.5 * np.mean((_sigmoid(z) - y) ** 2))  # targets near 1e154 square to inf


# ---- the loss surface ------------------------------------------------------------------------


def loss_surface(x, y, w1_grid, w2_grid, b) -> np.ndarray:
    """The loss over a grid of the two weights of a 2-input neuron, for contour plots. Chapter 03.

    Vectorized over grid points and examples at once, so it holds N * len(w1_grid) *
    len(w2_grid) numbers in memory (4 MB for N = 50 on a 100 x 100 grid).

    Inputs:
        x: (N, 2) inputs; y: (N,) targets.
        w1_grid: (G1,) values of the first weight; w2_grid: (G2,) values of the second.
        b: scalar bias, the same at every grid point.
    Returns:
        L: (G2, G1); L[i, j] is the loss at w = (w1_grid[j], w2_grid[i]), the layout of
        np.meshgrid(w1_grid, w2_grid) and of matplotlib's contour.
    """
    x, y, _, b = _check_data(x, y, np.zeros(2), b)  # a surface over two weights
    w1, w2 = _check_grid(w1_grid, "w1_grid"), _check_grid(w2_grid, "w2_grid")
    z = x[:, 0, None, None] * w1[None, None, :] + x[:, 1, None, None] * w2[None, :, None] + b  # (N, G2, G1)
    return 0.5 * np.mean((_sigmoid(z) - y[:, None, None]) ** 2, axis=0)


# ---- input checks ----------------------------------------------------------------------------


def _check_data(x, y, w, b, w_name: str = "w", b_name: str = "b"):
    """(x, y, w, b) checked against each other: x (N, D) with N >= 1, y (N,) (or None), w (D,), b a float.

    The weights fix D, so a mismatch is blamed on x."""
    w = as_float_array(w, w_name)
    check_batch(w, w_name, ("D",), (None,))
    b_arr = as_float_array(b, b_name)
    if b_arr.ndim != 0:
        raise ValueError(f"{b_name}: expected a scalar bias, got an array of shape {b_arr.shape}")
    x = as_float_array(x, "x")
    check_batch(x, "x", ("N", "D"), (None, w.size))
    if y is not None:
        y = as_float_array(y, "y")
        check_shape(y, (x.shape[0],), "y")
    return x, y, w, float(b_arr)


def _check_training_inputs(x, y, w0, b0, lr, epochs, grad_tol):
    grad_tol = positive_real(grad_tol, "grad_tol")
    x, y, w, b = _check_data(x, y, w0, b0, "w0", "b0")
    if not np.isfinite(_loss_or_inf(x, y, w, b)):
        raise ValueError(
            "w0, b0: expected a starting point with a finite loss, got x @ w0 + b0 or the loss overflowing"
        )
    lr = positive_real(lr, "lr")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"epochs: expected a whole number >= 0, got {epochs!r}")
    return x, y, w.copy(), b, lr, int(epochs), grad_tol


def _check_grid(grid, name: str) -> np.ndarray:
    grid = as_float_array(grid, name)
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-d array of weight values, got shape {grid.shape}")
    return grid
