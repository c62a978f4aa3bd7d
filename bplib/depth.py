"""Deep networks' gradients and an ill-conditioned loss for the optimizers (introduced in chapter 06).

Two halves, one per question of the chapter.

**How big is the gradient at each layer?** A probe network of `depth` square dense layers,
each followed by the same activation f, no biases:
    z^l = a^(l-1) W^l,   a^l = f(z^l),   l = 1 .. depth,   a^0 = x: (N, H)
The backward pass starts from a fixed upstream gradient `dout` = dL/da^depth of norm 1, the
gradient of the linear loss L = sum(dout * a^depth). Any loss would hand the top layer some
dout; fixing its norm at 1 makes every number below read as a gain: how much of the top
gradient is left at layer l. The recursion (chapter 04's BP1 and BP2, row convention):
    delta^depth = dout * f'(z^depth)
    delta^l     = (delta^(l+1) @ W^(l+1).T) * f'(z^l)
**The per-layer gradient norm of this module is ||delta^l|| = ||dL/dz^l||**, the Frobenius
norm over the whole batch, listed from layer 1 (next to the input) to layer `depth` (next to
the output). The weight gradient dW^l = a^(l-1).T @ delta^l inherits its size (also reported).
In code, layer l is index l - 1 of every list.

**How do SGD and momentum cope with an ill-conditioned loss?** The quadratic
    f(w) = 0.5 * (c1 * w1**2 + c2 * w2**2),   curvature (c1, c2) = (1, 50) by default,
has its minimum at 0 and a gradient (c1 w1, c2 w2); `optimizer_path` runs a bplib.optim
optimizer on it and records every point.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bplib import activations as act
from bplib._validate import _describe, as_float_array, check_batch, check_shape
from bplib.layers import init_std
from bplib.optim import SGD, Adam, Momentum, Rprop

__all__ = [
    "ACTIVATIONS",
    "CURVATURE",
    "DIVERGENCE_BOUND",
    "MAX_SLOPE",
    "OPTIMIZERS",
    "START",
    "DepthProbe",
    "ForwardPass",
    "backprop_deltas",
    "critical_lr",
    "deep_forward",
    "deep_weights",
    "delta_norms",
    "depth_probe",
    "diverged_at",
    "gradient_bound",
    "layer_gradient_norms",
    "optimizer_path",
    "probe_loss",
    "quadratic_grad",
    "quadratic_loss",
    "steps_to_tolerance",
    "weight_gradients",
]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
# name -> (f, f'), from bplib.activations
_FUNCTIONS = {
    "sigmoid": (act.sigmoid, act.sigmoid_prime),
    "tanh": (act.tanh, act.tanh_prime),
    "relu": (act.relu, act.relu_prime),
}
# the largest slope each activation has anywhere: sigma' peaks at z = 0 with 1/4 (chapter 01)
MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}

CURVATURE = (1.0, 50.0)  # the default ill-conditioned quadratic: condition number 50
START = (-4.5, 1.2)  # where every optimizer path starts by default
OPTIMIZERS = ("sgd", "momentum", "adam", "rprop")
DIVERGENCE_BOUND = 1e6  # a path that takes |w_i| past this has diverged


# ---- input checks ------------------------------------------------------------------------------


def _whole(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected a whole number >= {minimum}, got {value!r}")
    return int(value)


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return float(value)


def _activation(name) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {list(ACTIVATIONS)}, got {name!r}")
    return name


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy Generator such as np.random.default_rng(0), got {_describe(rng)}")


def _matrices(weights, name: str = "weights") -> list[np.ndarray]:
    """weights as a list of 2-d float64 arrays that chain: W^l: (H_(l-1), H_l)."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or len(weights) == 0:
        raise ValueError(f"{name}: expected a non-empty list of weight matrices, got {_describe(weights)}")
    arrays = [as_float_array(W, f"{name}[{k}]") for k, W in enumerate(weights)]
    for k, W in enumerate(arrays):
        if W.ndim != 2:
            raise ValueError(f"{name}[{k}]: expected a 2-d weight matrix (H_in, H_out), got shape {W.shape}")
        if k > 0 and W.shape[0] != arrays[k - 1].shape[1]:
            raise ValueError(
                f"{name}[{k}]: expected {arrays[k - 1].shape[1]} rows to follow {name}[{k - 1}] of shape "
                f"{arrays[k - 1].shape}, got shape {W.shape}"
            )
    return arrays


def _finite(z: np.ndarray) -> np.ndarray:
    """z with NaN as 0 and +-inf as the largest float, so that an overflowed layer still has an activation."""
    return z if np.all(np.isfinite(z)) else np.nan_to_num(z)


# ---- the probe network ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ForwardPass:
    """What deep_forward keeps for the backward pass. Chapter 06.

    Fields:
        zs: [z^1, ..., z^depth], z^l: (N, H_l), the pre-activations.
        activations: [a^0 = x, a^1, ..., a^depth], a^l: (N, H_l); one longer than zs.
    """

    zs: list
    activations: list


def deep_weights(depth: int, width: int, rng: np.random.Generator, init: str = "xavier",
                 scale: float = 1.0) -> list[np.ndarray]:
    """The weights of a probe network: `depth` square matrices, drawn layer by layer. Chapter 06.

    Each W^l is init_std(width, width, init, scale) times a standard normal matrix, so the same
    seed gives the same random directions at every scale, and a deeper network extends a
    shallower one drawn from the same seed.

    Inputs:
        depth, width: whole numbers >= 1.
        rng: a numpy Generator.
        init, scale: as bplib.layers.init_std: "xavier" (std sqrt(2 / (D + H)) = sqrt(1 / width)
            here), "he" (sqrt(2 / width)) or "normal" (1), times scale > 0.
    Returns:
        [W^1, ..., W^depth], each (width, width).
    """
    depth, width = _whole(depth, "depth"), _whole(width, "width")
    _check_rng(rng)
    std = init_std(width, width, init, scale)
    return [std * rng.standard_normal((width, width)) for _ in range(depth)]


def deep_forward(x, weights, activation: str) -> ForwardPass:
    """The forward pass z^l = a^(l-1) W^l, a^l = f(z^l), for every layer. Chapter 06.

    Inputs:
        x: (N, D) the inputs a^0.
        weights: [W^1: (D, H_1), W^2: (H_1, H_2), ...].
        activation: one of ACTIVATIONS, used after every layer.
    Returns:
        ForwardPass(zs, activations). Overflow is not an error here: a network initialised far
        too large gives inf, which the caller reports.
    """
    f, _ = _FUNCTIONS[_activation(activation)]
    arrays = _matrices(weights)
    a = as_float_array(x, "x")
    check_batch(a, "x", ("N", "D"), (None, arrays[0].shape[0]))  # D: the rows of weights[0]
    zs, outs = [], [a]
    with np.errstate(over="ignore", invalid="ignore"):
        for W in arrays:
            z = a @ W  # (N, H_(l-1)) @ (H_(l-1), H_l) -> (N, H_l)
            a = f(_finite(z))
            zs.append(z)
            outs.append(a)
    return ForwardPass(zs=zs, activations=outs)


def _check_backward_inputs(weights, zs, dout) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    arrays = _matrices(weights)
    if isinstance(zs, np.ndarray) or not isinstance(zs, Sequence) or len(zs) != len(arrays):
        raise ValueError(f"zs: expected a list of {len(arrays)} pre-activations, one per weight matrix, "
                         f"got {_describe(zs) if not isinstance(zs, Sequence) else f'{len(zs)} entries'}")
    z_arrays = [as_float_array(z, f"zs[{k}]", allow_nan=True) for k, z in enumerate(zs)]
    if z_arrays[0].ndim != 2:
        raise ValueError(f"zs[0]: expected a 2-d batch (N, H_1), got shape {z_arrays[0].shape}")
    N = z_arrays[0].shape[0]
    for k, (z, W) in enumerate(zip(z_arrays, arrays, strict=True)):
        check_shape(z, (N, W.shape[1]), f"zs[{k}] (N, H) to match weights[{k}] of shape {W.shape}")
    dout_arr = as_float_array(dout, "dout", allow_nan=True)
    check_shape(dout_arr, z_arrays[-1].shape, "dout (the gradient of the loss with respect to the last activation)")
    return arrays, z_arrays, dout_arr


def backprop_deltas(weights, zs, dout, activation: str) -> list[np.ndarray]:
    """Every layer's error signal delta^l = dL/dz^l, by the backward recursion. Chapter 06.

        delta^depth = dout * f'(z^depth)
        delta^l     = (delta^(l+1) @ W^(l+1).T) * f'(z^l)      for l = depth - 1, ..., 1

    Inputs:
        weights: [W^1: (D, H_1), ..., W^depth: (H_(depth-1), H_depth)]; W^1 is not used (it leads
            to z^1 from the input), only checked.
        zs: [z^1: (N, H_1), ..., z^depth: (N, H_depth)], from deep_forward.
        dout: (N, H_depth), dL/da^depth, the gradient arriving from above.
        activation: one of ACTIVATIONS.
    Returns:
        [delta^1, ..., delta^depth], delta^l: (N, H_l), in layer order (input side first).
    """
    _, f_prime = _FUNCTIONS[_activation(activation)]
    arrays, z_arrays, dout_arr = _check_backward_inputs(weights, zs, dout)
    deltas = [np.empty(0)] * len(arrays)
    with np.errstate(over="ignore", invalid="ignore"):
        delta = dout_arr * f_prime(_finite(z_arrays[-1]))  # (N, H_depth)
        deltas[-1] = delta
        for k in range(len(arrays) - 2, -1, -1):
            # back through W^(l+1): (N, H_(l+1)) @ (H_(l+1), H_l) -> (N, H_l), then the slope of layer l
            delta = (delta @ arrays[k + 1].T) * f_prime(_finite(z_arrays[k]))
            deltas[k] = delta
    return deltas


def delta_norms(weights, zs, dout, activation: str) -> np.ndarray:
    """The per-layer gradient norms ||delta^l|| = ||dL/dz^l|| (Frobenius, whole batch). Chapter 06.

    Inputs:
        weights, zs, dout, activation: as backprop_deltas.
    Returns:
        (depth,) from layer 1 (input side) to layer depth (output side).
    """
    return np.array([np.linalg.norm(delta) for delta in backprop_deltas(weights, zs, dout, activation)])


def weight_gradients(activations, deltas) -> list[np.ndarray]:
    """dW^l = a^(l-1).T @ delta^l for every layer (chapter 05's dW = x.T @ dout). Chapter 06.

    Inputs:
        activations: [a^0, ..., a^depth] from deep_forward (a^depth is not used).
        deltas: [delta^1, ..., delta^depth] from backprop_deltas.
    Returns:
        [dW^1, ..., dW^depth], dW^l: (H_(l-1), H_l).
    """
    if len(activations) != len(deltas) + 1:
        raise ValueError(f"activations: expected {len(deltas) + 1} arrays (a^0 .. a^depth) for {len(deltas)} "
                         f"deltas, got {len(activations)}")
    with np.errstate(over="ignore", invalid="ignore"):
        return [a.T @ delta for a, delta in zip(activations[:-1], deltas, strict=True)]  # (H_(l-1), N) @ (N, H_l)


def probe_loss(x, weights, activation: str, dout) -> float:
    """The probe's loss L = sum(dout * a^depth): linear in the output, so dL/da^depth = dout. Chapter 06.

    Inputs:
        x: (N, D); weights: as deep_forward; activation: one of ACTIVATIONS; dout: (N, H_depth).
    Returns:
        L, a float (for finite-difference checks of backprop_deltas).
    """
    top = deep_forward(x, weights, activation).activations[-1]  # (N, H_depth)
    dout_arr = as_float_array(dout, "dout")
    check_shape(dout_arr, top.shape, "dout")
    return float(np.sum(dout_arr * top))


def _spectral_norms(arrays: list[np.ndarray]) -> np.ndarray:
    """(depth,) the largest singular value of each matrix; one batched SVD when all have one shape."""
    if all(W.shape == arrays[0].shape for W in arrays):
        return np.linalg.svd(np.stack(arrays), compute_uv=False)[:, 0]  # singular values come sorted, largest first
    return np.array([np.linalg.norm(W, 2) for W in arrays])


def gradient_bound(weights, max_slopes, dout_norm: float = 1.0) -> np.ndarray:
    """The bound ||delta^l|| <= ||dout|| * prod_(k>=l) max|f'(z^k)| * prod_(k>l) ||W^k||_2. Chapter 06.

    One step of the recursion can grow the norm by at most ||W^(l+1)||_2 (the largest singular
    value, how much W^T can stretch any row) and at most max|f'(z^l)| (the largest slope it is
    multiplied by); unrolled, the factors multiply.

    Inputs:
        weights: [W^1, ..., W^depth].
        max_slopes: one number for every layer (e.g. MAX_SLOPE["sigmoid"] = 1/4), or (depth,) the
            largest |f'(z^l)| of each layer.
        dout_norm: ||dout||, >= 0.
    Returns:
        (depth,) the bound for layer 1 .. depth.
    """
    arrays = _matrices(weights)
    depth = len(arrays)
    slopes = as_float_array(max_slopes, "max_slopes")
    if slopes.ndim == 0:
        slopes = np.full(depth, float(slopes))  # one bound on the slope for every layer
    check_shape(slopes, (depth,), "max_slopes")
    if np.any(slopes < 0):
        raise ValueError("max_slopes: expected numbers >= 0 (sizes of slopes)")
    dout_norm = _real(dout_norm, "dout_norm")
    spectral = _spectral_norms(arrays)  # (depth,) largest singular values
    bound = np.empty(depth)
    factor = dout_norm
    with np.errstate(over="ignore"):
        for k in range(depth - 1, -1, -1):
            factor = factor * slopes[k]  # the slope of layer l = k + 1
            bound[k] = factor
            factor = factor * spectral[k]  # W^l carries delta^l back to layer l - 1
    return bound


@dataclass(frozen=True)
class DepthProbe:
    """The per-layer measurements of one probe network. Chapter 06.

    Fields (each (depth,), layer 1 first):
        delta_norms: ||delta^l|| = ||dL/dz^l||, the module's per-layer gradient norm.
        weight_grad_norms: ||dW^l||.
        z_rms: the size of the pre-activations, sqrt(mean(z^l ** 2)) over the batch and the units:
            the forward signal whose variance the initialisation schemes keep constant.
        activation_stds: the standard deviation of a^l over the batch and the units.
        max_slopes: the largest |f'(z^l)| in each layer.
        bound: gradient_bound with those slopes (>= delta_norms).
    and depth, width, activation, init, scale, N: the settings.
    finite: False when the forward or backward pass overflowed (scale far too large).
    x: (N, width), dout: (N, width) with norm 1, weights: [W^1, ..., W^depth]: the probe network
        itself, for further computations (deep_forward(x, weights, activation) repeats its forward pass).
    """

    delta_norms: np.ndarray
    weight_grad_norms: np.ndarray
    z_rms: np.ndarray
    activation_stds: np.ndarray
    max_slopes: np.ndarray
    bound: np.ndarray
    depth: int
    width: int
    activation: str
    init: str
    scale: float
    N: int
    finite: bool
    x: np.ndarray = field(repr=False)
    dout: np.ndarray = field(repr=False)
    weights: list = field(repr=False)


def depth_probe(depth: int, width: int, activation: str, init: str = "xavier", scale: float = 1.0,
                rng: np.random.Generator | None = None, N: int = 64) -> DepthProbe:
    """Build a probe network, run it forward and backward, measure every layer. Chapter 06.

    Draws, in this order: x: (N, width) standard normal, dout: (N, width) standard normal scaled
    to norm 1, then the weights (deep_weights). So the same seed gives the same x and dout at
    every depth, and the same weights up to their scale.

    Inputs:
        depth, width: whole numbers >= 1; activation: one of ACTIVATIONS;
        init, scale: as deep_weights; rng: a numpy Generator (required); N: batch size >= 1.
    Returns:
        DepthProbe.
    """
    depth, width, N = _whole(depth, "depth"), _whole(width, "width"), _whole(N, "N")
    _activation(activation)
    _check_rng(rng)
    x = rng.standard_normal((N, width))  # (N, width)
    dout = rng.standard_normal((N, width))
    dout /= np.linalg.norm(dout)  # ||dout|| = 1: every norm below reads as a gain
    weights = deep_weights(depth, width, rng, init, scale)
    forward = deep_forward(x, weights, activation)
    deltas = backprop_deltas(weights, forward.zs, dout, activation)
    _, f_prime = _FUNCTIONS[activation]
    with np.errstate(over="ignore", invalid="ignore"):
        dWs = weight_gradients(forward.activations, deltas)
        norms = np.array([np.linalg.norm(d) for d in deltas])
        dW_norms = np.array([np.linalg.norm(dW) for dW in dWs])
        z_rms = np.array([np.sqrt(np.mean(z * z)) for z in forward.zs])
        stds = np.array([np.std(a) for a in forward.activations[1:]])
        slopes = np.array([np.max(np.abs(f_prime(_finite(z)))) for z in forward.zs])
    finite = bool(all(np.all(np.isfinite(z)) for z in forward.zs) and np.all(np.isfinite(norms))
                  and np.all(np.isfinite(dW_norms)))
    return DepthProbe(
        delta_norms=norms, weight_grad_norms=dW_norms, z_rms=z_rms, activation_stds=stds, max_slopes=slopes,
        bound=gradient_bound(weights, slopes), depth=depth, width=width, activation=activation,
        init=init, scale=float(scale), N=N, finite=finite, x=x, dout=dout, weights=weights,
    )


def layer_gradient_norms(depth: int, width: int, activation: str, init: str = "xavier", scale: float = 1.0,
                         rng: np.random.Generator | None = None, N: int = 64) -> np.ndarray:
    """||delta^l|| = ||dL/dz^l|| of every layer of a probe network (see depth_probe). Chapter 06.

    Inputs:
        as depth_probe.
    Returns:
        (depth,) from layer 1 (input side) to layer depth (output side); the top gradient has norm 1.
    """
    return depth_probe(depth, width, activation, init, scale, rng, N).delta_norms


# ---- the ill-conditioned quadratic and optimizer paths -------------------------------------------------


def _curvature(curvature) -> np.ndarray:
    c = as_float_array(curvature, "curvature")
    check_shape(c, (2,), "curvature (c1, c2)")
    if np.any(c <= 0):
        raise ValueError(f"curvature: expected two numbers > 0, got {tuple(c.tolist())}")
    return c


def quadratic_loss(w, curvature=CURVATURE):
    """f(w) = 0.5 * (c1 * w1**2 + c2 * w2**2), the ill-conditioned bowl. Chapter 06.

    Inputs:
        w: (..., 2) one point or a grid of points (last axis: w1, w2).
        curvature: (c1, c2), both > 0: the second derivatives along w1 and w2.
    Returns:
        (...) the loss; a float for a single point (2,).
    """
    c = _curvature(curvature)
    w_arr = as_float_array(w, "w")
    if w_arr.ndim == 0 or w_arr.shape[-1] != 2:
        raise ValueError(f"w: expected points (..., 2), got shape {w_arr.shape}")
    loss = 0.5 * np.sum(c * w_arr * w_arr, axis=-1)
    return float(loss) if loss.ndim == 0 else loss


def quadratic_grad(w, curvature=CURVATURE) -> np.ndarray:
    """The gradient (c1 * w1, c2 * w2) of quadratic_loss. Chapter 06.

    Inputs:
        w: (2,); curvature: (c1, c2).
    Returns:
        (2,).
    """
    c = _curvature(curvature)
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
    c = _curvature(curvature)
    beta = _real(beta, "beta")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta: expected a number in [0, 1), got {beta!r}")
    return 2.0 * (1.0 + beta) / float(np.max(c))


def _optimizer(name: str, lr: float, beta: float):
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return Momentum(lr, beta)
    if name == "adam":
        return Adam(lr, beta1=beta)
    return Rprop(step_init=lr)


def optimizer_path(optimizer_name: str, lr: float, beta: float = 0.9, start=START, steps: int = 100,
                   curvature=CURVATURE) -> np.ndarray:
    """Run a bplib.optim optimizer on quadratic_loss and record every point. Chapter 06.

    Inputs:
        optimizer_name: one of OPTIMIZERS: "sgd" (beta unused), "momentum" (v <- beta v - lr g,
            w <- w + v; bplib.optim.Momentum), "adam" (beta is beta1) or "rprop" (lr is its first
            step size step_init, beta unused).
        lr: the learning rate, > 0.
        beta: the momentum coefficient, 0 <= beta < 1.
        start: (2,) the first point.
        steps: the number of updates, a whole number >= 0.
        curvature: (c1, c2) of the quadratic.
    Returns:
        path: (steps + 1, 2), row t the point after t updates (row 0 is start). When a step takes
        a coordinate past DIVERGENCE_BOUND (or to inf/NaN) the path has diverged: that row and every
        later one are NaN (see diverged_at).
    """
    if optimizer_name not in OPTIMIZERS:
        raise ValueError(f"optimizer_name: expected one of {list(OPTIMIZERS)}, got {optimizer_name!r}")
    lr = _real(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr: expected a learning rate > 0, got {lr!r}")
    beta = _real(beta, "beta")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta: expected a number in [0, 1), got {beta!r}")
    steps = _whole(steps, "steps", minimum=0)
    c = _curvature(curvature)
    w = as_float_array(start, "start").copy()
    check_shape(w, (2,), "start")
    optimizer = _optimizer(optimizer_name, lr, beta)
    params = {"w": w}  # the optimizer updates this array in place
    path = np.full((steps + 1, 2), np.nan)
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            optimizer.step(params, {"w": c * w})  # the gradient (c1 w1, c2 w2) at the current point
            if not np.all(np.abs(w) <= DIVERGENCE_BOUND):  # also catches inf and NaN
                break
            path[t] = w
    return path


def _path(path) -> np.ndarray:
    p = as_float_array(path, "path", allow_nan=True)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        raise ValueError(f"path: expected shape (steps + 1, 2) as optimizer_path returns, got {p.shape}")
    return p


def diverged_at(path) -> int | None:
    """The step at which an optimizer_path diverged (its first NaN row), or None. Chapter 06.

    Inputs:
        path: (steps + 1, 2).
    Returns:
        an int >= 1, or None when every row is finite.
    """
    bad = np.flatnonzero(~np.all(np.isfinite(_path(path)), axis=1))
    return int(bad[0]) if bad.size else None


def steps_to_tolerance(path, tol: float = 1e-3) -> int | None:
    """The first step t at which the path is within tol of the minimum: ||w_t|| <= tol. Chapter 06.

    Inputs:
        path: (steps + 1, 2) from optimizer_path (the minimum of quadratic_loss is at 0).
        tol: a distance > 0.
    Returns:
        t, an int >= 0, or None if the path never gets that close (or diverged first).
    """
    p = _path(path)
    tol = _real(tol, "tol")
    if tol <= 0:
        raise ValueError(f"tol: expected a distance > 0, got {tol!r}")
    with np.errstate(invalid="ignore"):
        close = np.flatnonzero(np.linalg.norm(p, axis=1) <= tol)  # NaN rows compare False
    return int(close[0]) if close.size else None
