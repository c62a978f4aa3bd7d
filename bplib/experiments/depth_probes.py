"""Probes of a deep network's gradients: chapter 06 and its depth dashboard (bplib.widgets.depth).

depth_probe builds a probe network of bplib.depth (a random input x, square weights, and an
upstream gradient dout of norm 1), runs it forward and backward with the core's plain functions,
and measures every layer. Fixing ||dout|| = 1 makes every norm read as a gain: how much of the
gradient arriving at the top is left at layer l.

gradient_bound is the bound those norms stay under, and probe_loss the loss whose gradient the
probe's backward pass computes, L = sum(dout * a^depth), for finite-difference checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bplib._validate import as_float_array, check_rng, check_shape, positive_int
from bplib.depth import (
    _FUNCTIONS,
    _backprop_deltas,
    _check_activation,
    _check_weights,
    _deep_forward,
    _finite,
    _weight_gradients,
    deep_forward,
    deep_weights,
)

__all__ = ["MAX_SLOPE", "DepthProbe", "depth_probe", "gradient_bound", "probe_loss"]

# the largest slope each activation has anywhere: sigma' peaks at z = 0 with 1/4 (chapter 01)
MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}


def probe_loss(x, weights, activation: str, dout) -> float:
    """The probe's loss L = sum(dout * a^depth): linear in the output, so dL/da^depth = dout. Chapter 06.

    Inputs:
        x: (N, D); weights: as bplib.depth.deep_forward; activation: one of bplib.depth.ACTIVATIONS;
        dout: (N, H_depth).
    Returns:
        L, a float (for finite-difference checks of bplib.depth.backprop_deltas).
    """
    top = deep_forward(x, weights, activation).activations[-1]  # (N, H_depth)
    dout_arr = as_float_array(dout, "dout")
    check_shape(dout_arr, top.shape, "dout")
    return float(np.sum(dout_arr * top))


def gradient_bound(weights, max_slopes) -> np.ndarray:
    """The bound ||delta^l|| <= prod_(k>=l) max|f'(z^k)| * prod_(k>l) ||W^k||_2 for ||dout|| = 1. Chapter 06.

    One step of the recursion can grow the norm by at most ||W^(l+1)||_2 (the largest singular
    value, how much W^T can stretch any row) and at most max|f'(z^l)| (the largest slope it is
    multiplied by); unrolled, the factors multiply. For another dout, multiply by ||dout||.

    Inputs:
        weights: [W^1, ..., W^depth].
        max_slopes: one number for every layer (e.g. MAX_SLOPE["sigmoid"] = 1/4), or (depth,) the
            largest |f'(z^l)| of each layer.
    Returns:
        (depth,) the bound for layer 1 .. depth.
    """
    arrays = _check_weights(weights)
    slopes = as_float_array(max_slopes, "max_slopes")
    if slopes.ndim == 0:
        slopes = np.full(len(arrays), float(slopes))  # one bound on the slope for every layer
    check_shape(slopes, (len(arrays),), "max_slopes")
    if np.any(slopes < 0):
        raise ValueError("max_slopes: expected numbers >= 0 (sizes of slopes)")
    return _gradient_bound(arrays, slopes)


def _spectral_norms(weights: list) -> np.ndarray:
    """(depth,) ||W^l||_2 of every weight matrix, the largest singular value."""
    if all(W.shape == weights[0].shape for W in weights):  # one batched SVD; singular values come largest first
        return np.linalg.svd(np.stack(weights), compute_uv=False)[:, 0]  # (depth,)
    return np.array([np.linalg.norm(W, 2) for W in weights])


def _gradient_bound(weights: list, slopes: np.ndarray, spectral: np.ndarray | None = None) -> np.ndarray:
    """gradient_bound of checked inputs; spectral: (depth,) _spectral_norms(weights) if the caller has them."""
    if spectral is None:
        spectral = _spectral_norms(weights)
    bound = np.empty(len(weights))
    factor = 1.0  # ||dout||
    with np.errstate(over="ignore"):
        for k in range(len(weights) - 1, -1, -1):
            factor = factor * slopes[k]  # the slope of layer l = k + 1
            bound[k] = factor
            factor = factor * spectral[k]  # W^l carries delta^l back to layer l - 1
    return bound


@dataclass(frozen=True)
class DepthProbe:
    """The per-layer measurements of one probe network, what depth_probe returns. Chapter 06.

    Fields (each (depth,), layer 1 first):
        delta_norms: ||delta^l|| = ||dL/dz^l||, the chapter's per-layer gradient norm.
        weight_grad_norms: ||dW^l||.
        z_rms: the size of the pre-activations, sqrt(mean(z^l ** 2)) over the batch and the units:
            the forward signal whose variance the initialisation schemes keep constant.
        activation_stds: the standard deviation of a^l over the batch and the units.
        max_slopes: the largest |f'(z^l)| in each layer.
        bound: gradient_bound with those slopes (>= delta_norms).
    and depth, width, activation, init, scale, N: the settings.
    finite: False when the forward or backward pass overflowed (scale far too large).
    x: (N, width), dout: (N, width) with norm 1, weights: [W^1, ..., W^depth]: the probe network
        itself (deep_forward(x, weights, activation) repeats its forward pass).
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
    to norm 1, then the weights (bplib.depth.deep_weights). So the same seed gives the same x and
    dout at every depth, and the same weights up to their scale.

    Inputs:
        depth, width: whole numbers >= 1; activation: one of bplib.depth.ACTIVATIONS;
        init, scale: as deep_weights; rng: a numpy Generator (required); N: batch size >= 1.
    Returns:
        DepthProbe.
    """
    width, N = positive_int(width, "width"), positive_int(N, "N")
    _check_activation(activation)
    check_rng(rng)
    x, dout, weights = _probe_network(depth, width, rng, N, init, scale)
    return _measure(x, dout, weights, activation, init, float(scale))


def _probe_network(depth: int, width: int, rng: np.random.Generator, N: int, init: str,
                   scale: float) -> tuple[np.ndarray, np.ndarray, list]:
    """depth_probe's network, drawn from rng in depth_probe's order: x (N, width), dout (N, width) of
    norm 1, and [W^1, ..., W^depth] (deep_weights, which checks depth, init and scale)."""
    x = rng.standard_normal((N, width))  # (N, width)
    dout = rng.standard_normal((N, width))
    dout /= np.linalg.norm(dout)  # ||dout|| = 1: every norm below reads as a gain
    return x, dout, deep_weights(depth, width, rng, init, scale)


def _measure(x: np.ndarray, dout: np.ndarray, weights: list, activation: str, init: str, scale: float,
             spectral: np.ndarray | None = None) -> DepthProbe:
    """depth_probe's measurements of a checked network: x (N, width), dout (N, width), weights
    [(width, width)] * depth drawn with init and scale. spectral: (depth,) the weights' spectral norms
    when the caller knows them (the depth dashboard: the same matrices times another std), else computed."""
    N, width = x.shape
    forward = _deep_forward(x, weights, activation)
    deltas = _backprop_deltas(weights, forward.zs, dout, activation)
    z_rms, slopes = _layer_measures(forward.zs, activation)
    with np.errstate(over="ignore", invalid="ignore"):
        dWs = _weight_gradients(forward.activations, deltas)
        norms = np.array([np.linalg.norm(d) for d in deltas])
        dW_norms = np.array([np.linalg.norm(dW) for dW in dWs])
        stds = np.array([np.std(a) for a in forward.activations[1:]])
    finite = _all_finite(forward.zs, norms, dW_norms)
    return DepthProbe(
        delta_norms=norms, weight_grad_norms=dW_norms, z_rms=z_rms, activation_stds=stds, max_slopes=slopes,
        bound=_gradient_bound(weights, slopes, spectral), depth=len(weights), width=width, activation=activation,
        init=init, scale=scale, N=N, finite=finite, x=x, dout=dout, weights=weights,
    )


def _layer_measures(zs: list, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """The forward measures of pre-activations zs = [z^1, ...]: (z_rms, max_slopes), each (len(zs),).

    Each layer's entries depend only on its own z^l, so the measures of a deeper network extend
    those of a shallower one with the same weights (the depth dashboard keeps them).
    """
    _, f_prime = _FUNCTIONS[activation]
    with np.errstate(over="ignore", invalid="ignore"):
        z_rms = np.array([np.sqrt(np.mean(z * z)) for z in zs])
        slopes = np.array([np.max(np.abs(f_prime(_finite(z)))) for z in zs])
    return z_rms, slopes


def _all_finite(zs: list, *norms: np.ndarray) -> bool:
    """DepthProbe.finite: no pre-activation and none of the norms overflowed."""
    return bool(all(np.all(np.isfinite(z)) for z in zs) and all(np.all(np.isfinite(n)) for n in norms))
