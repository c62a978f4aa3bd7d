"""A deep network's gradients, layer by layer (introduced in chapter 06).

The probe network of chapter 06: `depth` dense layers, each followed by activation f, no biases:
    z^l = a^(l-1) W^l,   a^l = f(z^l),   l = 1 .. depth,   a^0 = x: (N, D)
The backward pass starts from the gradient dout = dL/da^depth arriving at the top and runs chapter
04's BP1 and BP2 in the row convention, then chapter 05's dW = x.T @ dout for every layer:
    delta^depth = dout * f'(z^depth)
    delta^l     = (delta^(l+1) @ W^(l+1).T) * f'(z^l)
    dW^l        = a^(l-1).T @ delta^l
**The per-layer gradient norm of the chapter is ||delta^l|| = ||dL/dz^l||**, the Frobenius norm
over the whole batch, listed from layer 1 (next to the input) to layer `depth` (next to the
output). Layer l is index l - 1 of every list.

Each public function checks its input, then calls its plain twin (_deep_forward, ...), which the
probes (bplib.experiments.depth_probes) and the checks call on arrays they built themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bplib import activations as act
from bplib._validate import _describe, as_float_array, check_batch, check_rng, check_shape, positive_int
from bplib.layers import init_std

__all__ = ["ACTIVATIONS", "ForwardPass", "backprop_deltas", "deep_forward", "deep_weights", "delta_norms",
           "weight_gradients"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
# name -> (f, f'), from bplib.activations
_FUNCTIONS = {
    "sigmoid": (act.sigmoid, act.sigmoid_prime),
    "tanh": (act.tanh, act.tanh_prime),
    "relu": (act.relu, act.relu_prime),
}


def _check_activation(activation) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {list(ACTIVATIONS)}, got {activation!r}")


def _check_weights(weights) -> list[np.ndarray]:
    """weights as a list of 2-d float64 arrays that chain: W^l: (H_(l-1), H_l)."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or len(weights) == 0:
        raise ValueError(f"weights: expected a non-empty list of weight matrices, got {_describe(weights)}")
    arrays = [as_float_array(W, f"weights[{k}]") for k, W in enumerate(weights)]
    for k, W in enumerate(arrays):
        if W.ndim != 2:
            raise ValueError(f"weights[{k}]: expected a 2-d weight matrix (H_in, H_out), got shape {W.shape}")
        if k > 0 and W.shape[0] != arrays[k - 1].shape[1]:
            raise ValueError(f"weights[{k}]: expected {arrays[k - 1].shape[1]} rows to follow weights[{k - 1}] "
                             f"of shape {arrays[k - 1].shape}, got shape {W.shape}")
    return arrays


def _finite(z: np.ndarray) -> np.ndarray:
    """z with NaN as 0 and +-inf as the largest float, so that an overflowed layer still has an activation."""
    return z if np.all(np.isfinite(z)) else np.nan_to_num(z)


def deep_weights(depth: int, width: int, rng: np.random.Generator, init: str = "xavier",
                 scale: float = 1.0) -> list[np.ndarray]:
    """The weights of a probe network: `depth` square matrices, drawn layer by layer. Chapter 06.

    Each W^l is init_std(width, width, init, scale) times a standard normal matrix: the same seed
    gives the same directions at every scale, and a deeper network extends a shallower one.

    Inputs:
        depth, width: whole numbers >= 1; rng: a numpy Generator.
        init, scale: as bplib.layers.init_std: "xavier" (std sqrt(2 / (D + H)) = sqrt(1 / width)
            here), "he" (sqrt(2 / width)) or "normal" (1), times scale > 0.
    Returns:
        [W^1, ..., W^depth], each (width, width).
    """
    depth, width = positive_int(depth, "depth"), positive_int(width, "width")
    check_rng(rng)
    std = init_std(width, width, init, scale)
    return [std * rng.standard_normal((width, width)) for _ in range(depth)]


@dataclass(frozen=True)
class ForwardPass:
    """What deep_forward keeps for the backward pass. Chapter 06.

    Fields:
        zs: [z^1, ..., z^depth], z^l: (N, H_l), the pre-activations.
        activations: [a^0 = x, a^1, ..., a^depth], a^l: (N, H_l); one longer than zs.
    """

    zs: list
    activations: list


def deep_forward(x, weights, activation: str) -> ForwardPass:
    """The forward pass z^l = a^(l-1) W^l, a^l = f(z^l), for every layer. Chapter 06.

    Inputs:
        x: (N, D) the inputs a^0; weights: [W^1: (D, H_1), W^2: (H_1, H_2), ...];
        activation: one of ACTIVATIONS, used after every layer.
    Returns:
        ForwardPass(zs, activations). Overflow is not an error: a network initialised far too
        large gives inf, which the caller reports.
    """
    _check_activation(activation)
    arrays = _check_weights(weights)
    a = as_float_array(x, "x")
    check_batch(a, "x", ("N", "D"), (None, arrays[0].shape[0]))  # D: the rows of weights[0]
    return _deep_forward(a, arrays, activation)


def _deep_forward(x: np.ndarray, weights: list, activation: str) -> ForwardPass:
    f, _ = _FUNCTIONS[activation]
    a, zs, outs = x, [], [x]
    with np.errstate(over="ignore", invalid="ignore"):
        for W in weights:
            z = a @ W  # (N, H_(l-1)) @ (H_(l-1), H_l) -> (N, H_l)
            a = f(_finite(z))  # (N, H_l)
            zs.append(z)
            outs.append(a)
    return ForwardPass(zs=zs, activations=outs)


def _check_backward(weights, zs, dout, activation) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    _check_activation(activation)
    arrays = _check_weights(weights)
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
    return _backprop_deltas(*_check_backward(weights, zs, dout, activation), activation)


def _backprop_deltas(weights: list, zs: list, dout: np.ndarray, activation: str) -> list[np.ndarray]:
    _, f_prime = _FUNCTIONS[activation]
    deltas = [np.empty(0)] * len(weights)
    with np.errstate(over="ignore", invalid="ignore"):
        delta = dout * f_prime(_finite(zs[-1]))  # (N, H_depth)
        deltas[-1] = delta
        for k in range(len(weights) - 2, -1, -1):
            # back through W^(l+1): (N, H_(l+1)) @ (H_(l+1), H_l) -> (N, H_l), then the slope of layer l
            delta = (delta @ weights[k + 1].T) * f_prime(_finite(zs[k]))
            deltas[k] = delta
    return deltas


def delta_norms(weights, zs, dout, activation: str) -> np.ndarray:
    """The per-layer gradient norms ||delta^l|| = ||dL/dz^l|| (Frobenius, whole batch). Chapter 06.

    Inputs: weights, zs, dout, activation as backprop_deltas.
    Returns: (depth,) from layer 1 (input side) to layer depth (output side).
    """
    return _delta_norms(*_check_backward(weights, zs, dout, activation), activation)


def _delta_norms(weights: list, zs: list, dout: np.ndarray, activation: str) -> np.ndarray:
    return np.array([np.linalg.norm(delta) for delta in _backprop_deltas(weights, zs, dout, activation)])


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
    return _weight_gradients(activations, deltas)


def _weight_gradients(activations: list, deltas: list) -> list[np.ndarray]:
    with np.errstate(over="ignore", invalid="ignore"):
        return [a.T @ delta for a, delta in zip(activations[:-1], deltas, strict=True)]  # (H_(l-1), N) @ (N, H_l)


# Names that moved to the course machinery; notebooks saved earlier import them from here.
_MOVED = dict.fromkeys(("MAX_SLOPE", "DepthProbe", "depth_probe", "gradient_bound", "probe_loss"),
                       "bplib.experiments.depth_probes")
_MOVED |= dict.fromkeys(("CURVATURE", "START", "critical_lr", "diverged_at", "optimizer_path",
                         "quadratic_grad", "quadratic_loss", "steps_to_tolerance"), "bplib.experiments.optimizer_paths")


def __getattr__(name):
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
