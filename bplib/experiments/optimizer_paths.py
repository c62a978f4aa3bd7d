"""Optimizers on an ill-conditioned loss: chapter 06 and its momentum dashboard (bplib.widgets.depth).

The quadratic
    L(w) = 0.5 * (c1 * w1**2 + c2 * w2**2),   curvature (c1, c2) = (1, 50) by default,
has its minimum at 0 and the gradient (c1 w1, c2 w2). optimizer_path runs a bplib.optim
optimizer on it from START and records every point; diverged_at and steps_to_tolerance read a
path; critical_lr is the learning rate above which (heavy-ball) gradient descent diverges.
"""

from __future__ import annotations

import numbers

import numpy as np

from bplib._validate import as_float_array, check_shape, positive_int, positive_real
from bplib.optim import SGD, Adam, Momentum, Rprop

__all__ = [
    "CURVATURE",
    "START",
    "critical_lr",
    "diverged_at",
    "optimizer_path",
    "quadratic_grad",
    "quadratic_loss",
    "steps_to_tolerance",
]

CURVATURE = (1.0, 50.0)  # the default ill-conditioned quadratic: condition number 50
START = (-4.5, 1.2)  # where every optimizer path starts by default
_DIVERGENCE_BOUND = 1e6  # a path that takes |w_i| past this has diverged
# optimizer_path's names: (lr, beta) -> a bplib.optim optimizer
_OPTIMIZERS = {
    "sgd": lambda lr, beta: SGD(lr),
    "momentum": lambda lr, beta: Momentum(lr, beta),
    "adam": lambda lr, beta: Adam(lr, beta1=beta),
    "rprop": lambda lr, beta: Rprop(step_init=lr),
}


def _check_curvature(curvature) -> np.ndarray:
    c = as_float_array(curvature, "curvature")
    check_shape(c, (2,), "curvature (c1, c2)")
    if np.any(c <= 0):
        raise ValueError(f"curvature: expected two numbers > 0, got {tuple(c.tolist())}")
    return c


def _check_beta(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0.0 <= beta < 1.0:  # NaN fails too
        raise ValueError(f"beta: expected a number in [0, 1), got {beta!r}")
    return float(beta)


def _check_path(path) -> np.ndarray:
    p = as_float_array(path, "path", allow_nan=True)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        raise ValueError(f"path: expected shape (steps + 1, 2) as optimizer_path returns, got {p.shape}")
    return p


def quadratic_loss(w, curvature=CURVATURE):
    """L(w) = 0.5 * (c1 * w1**2 + c2 * w2**2), the ill-conditioned bowl. Chapter 06.

    Inputs:
        w: (..., 2) one point or a grid of points (last axis: w1, w2).
        curvature: (c1, c2), both > 0: the second derivatives along w1 and w2.
    Returns:
        (...) the loss; a float for a single point (2,).
    """
    c = _check_curvature(curvature)
    w_arr = as_float_array(w, "w")
    if w_arr.ndim == 0 or w_arr.shape[-1] != 2:
        raise ValueError(f"w: expected points (..., 2), got shape {w_arr.shape}")
    loss = 0.5 * np.sum(c * w_arr * w_arr, axis=-1)  # (...)
    return float(loss) if loss.ndim == 0 else loss


def quadratic_grad(w, curvature=CURVATURE) -> np.ndarray:
    """The gradient (c1 * w1, c2 * w2) of quadratic_loss. Chapter 06.

    Inputs:
        w: (2,); curvature: (c1, c2).
    Returns:
        (2,).
    """
    c = _check_curvature(curvature)
    w_arr = as_float_array(w, "w")
    check_shape(w_arr, (2,), "w")
    return c * w_arr


def critical_lr(curvature=CURVATURE, beta: float = 0.0) -> float:
    """The learning rate above which gradient descent diverges on quadratic_loss. Chapter 06.

    Plain SGD (beta = 0) multiplies w_i by (1 - lr * c_i) each step, which shrinks only while
    lr * c_i < 2; heavy-ball momentum stays stable while lr * c_i < 2 * (1 + beta).

    Inputs:
        curvature: (c1, c2); beta: the momentum coefficient, 0 <= beta < 1.
    Returns:
        2 * (1 + beta) / max(c1, c2).
    """
    c = _check_curvature(curvature)
    return 2.0 * (1.0 + _check_beta(beta)) / float(np.max(c))


def optimizer_path(optimizer_name: str, lr: float, beta: float = 0.9, start=START, steps: int = 100,
                   curvature=CURVATURE) -> np.ndarray:
    """Run a bplib.optim optimizer on quadratic_loss and record every point. Chapter 06.

    Inputs:
        optimizer_name: "sgd" (beta unused), "momentum" (v <- beta v - lr g, w <- w + v;
            bplib.optim.Momentum), "adam" (beta is beta1) or "rprop" (lr is its first step size
            step_init, beta unused).
        lr: the learning rate, > 0.
        beta: the momentum coefficient, 0 <= beta < 1.
        start: (2,) the first point.
        steps: the number of updates, a whole number >= 1.
        curvature: (c1, c2) of the quadratic.
    Returns:
        path: (steps + 1, 2), row t the point after t updates (row 0 is start). When a step takes a
        coordinate past 1e6 (or to inf/NaN) the path has diverged: that row and every later one are
        NaN (see diverged_at).
    """
    if optimizer_name not in _OPTIMIZERS:
        raise ValueError(f"optimizer_name: expected one of {list(_OPTIMIZERS)}, got {optimizer_name!r}")
    lr, beta, steps = positive_real(lr, "lr"), _check_beta(beta), positive_int(steps, "steps")
    c = _check_curvature(curvature)
    w = as_float_array(start, "start").copy()  # (2,), updated in place by the optimizer
    check_shape(w, (2,), "start")
    # The optimizer's own update rule, without step()'s checks of params and grads at every step: w and
    # its gradient are float64 arrays of shape (2,) by construction (the dashboard runs this per slider change).
    update = _OPTIMIZERS[optimizer_name](lr, beta)._update
    path = np.full((steps + 1, 2), np.nan)
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            update("w", w, c * w)  # the gradient (c1 w1, c2 w2) at the current point
            if not (abs(w[0]) <= _DIVERGENCE_BOUND and abs(w[1]) <= _DIVERGENCE_BOUND):  # NaN compares False
                break
            path[t] = w
    return path


def diverged_at(path) -> int | None:
    """The step at which an optimizer_path diverged (its first NaN row), or None. Chapter 06.

    Inputs:
        path: (steps + 1, 2).
    Returns:
        an int >= 1, or None when every row is finite.
    """
    bad = np.flatnonzero(~np.all(np.isfinite(_check_path(path)), axis=1))
    return int(bad[0]) if bad.size else None


def steps_to_tolerance(path, tol: float = 1e-3) -> int | None:
    """The first step t at which the path is within tol of the minimum: ||w_t|| <= tol. Chapter 06.

    Inputs:
        path: (steps + 1, 2) from optimizer_path (the minimum of quadratic_loss is at 0).
        tol: a distance > 0.
    Returns:
        t, an int >= 0, or None if the path never gets that close (or diverged first).
    """
    p = _check_path(path)
    tol = positive_real(tol, "tol")
    with np.errstate(invalid="ignore"):
        close = np.flatnonzero(np.linalg.norm(p, axis=1) <= tol)  # NaN rows compare False
    return int(close[0]) if close.size else None
