"""The LSTM: gates, the cell state, and backpropagation through time (introduced in chapter 08).

Row convention, batch first: a sequence batch x has shape (N, T, D); the hidden state h and the
cell state c have shape (N, H). One step reads x_t = x[:, t] and the previous states:

    f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f)      forget gate:   how much of c_{t-1} to keep
    i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i)      input gate:    how much of the candidate to write
    g_t = tanh(x_t W_g + h_{t-1} U_g + b_g)         candidate:     what could be written
    o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o)      output gate:   how much of the cell to show
    c_t = f_t * c_{t-1} + i_t * g_t                 (* is the elementwise product)
    h_t = o_t * tanh(c_t)

Parameters are twelve separately named arrays, for each gate in GATES = ("f", "i", "g", "o"):
W_<gate>: (D, H), U_<gate>: (H, H), b_<gate>: (H,). Libraries usually stack the four gates into one
(D, 4H) matrix for speed; here every gate keeps its own names, so each line of the backward pass
matches one line of the derivation and params["W_f"] is the forget gate's weights.

Time indexing: h[:, t] is the hidden state after reading x[:, t], t = 0 .. T-1; h0 and c0 are the
states before the first step.

The cell-state path. Since c_t = f_t * c_{t-1} + i_t * g_t, the gradient that c_{t-1} receives from
c_t is dc_t * f_t: multiplied only by the forget gate, with no weight matrix and no squashing
derivative in between (c_{t-1} also reaches the loss through h_{t-1}; that path adds to it). When f
stays near 1 the gradient survives many steps; the vanilla RNN, whose gradient meets Wh^T and tanh'
at every step, lacks this path.

BPTT, full or truncated to k steps, is chapter 07's walk back in time (bplib.rnn._bptt) with the
LSTM's step backward in place of the RNN's: the states carried back are (h, c) instead of h.
Each public function checks its input, then calls its plain twin (_lstm_forward, ...), which the
models, probes and checks call on valid arrays.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from bplib import activations as act
from bplib._validate import _describe, as_float_array, check_batch, check_cache, check_rng, check_shape, positive_int
from bplib.layers import init_std
from bplib.rnn import _bptt, _sequence, _state

__all__ = ["GATES", "PARAM_NAMES", "init_lstm_params", "LSTMStepCache", "lstm_step_forward", "lstm_step_backward",
           "LSTMCache", "lstm_forward", "lstm_backward", "lstm_gates"]

GATES = ("f", "i", "g", "o")  # forget, input, candidate, output
PARAM_NAMES = tuple(f"{kind}_{gate}" for gate in GATES for kind in ("W", "U", "b"))


def _finite_real(value, name: str) -> float:
    """value as a float, or a ValueError unless it is a finite real number (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return float(value)


def _check_params(params) -> dict[str, np.ndarray]:
    """params as name -> float64 array with every LSTM name, the shapes read from W_f."""
    if not isinstance(params, Mapping):
        raise ValueError(f"params: expected a dict name -> array with keys {list(PARAM_NAMES)} (see "
                         f"init_lstm_params), got {_describe(params)}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params: missing {missing}; an LSTM needs {list(PARAM_NAMES)} (see init_lstm_params)")
    p = {name: as_float_array(params[name], f"params[{name!r}]") for name in PARAM_NAMES}
    if p["W_f"].ndim != 2:
        raise ValueError(f"params['W_f']: expected a 2-d matrix of shape (D, H), got shape {p['W_f'].shape}")
    W_shapes = {f"W_{gate}": p[f"W_{gate}"].shape for gate in GATES}
    if len(set(W_shapes.values())) > 1:  # say which disagree rather than blame the ones after W_f
        listed = ", ".join(f"{name} {shape}" for name, shape in W_shapes.items())
        raise ValueError(f"params: expected every W_<gate> to have the same shape (D, H), got {listed}")
    H = p["W_f"].shape[1]
    for gate in GATES:
        check_shape(p[f"U_{gate}"], (H, H), f"params['U_{gate}'] (H, H)")
        check_shape(p[f"b_{gate}"], (H,), f"params['b_{gate}'] (H,)")
    return p


def init_lstm_params(D: int, H: int, rng: np.random.Generator, forget_bias: float = 1.0, init: str = "xavier"):
    """Random LSTM parameters: W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,) for f, i, g, o. Chapter 08.

    W and U entries are normal with the standard deviation of bplib.layers.init_std(fan_in, H, init);
    every bias starts at 0 except the forget gate's, which starts at forget_bias. With forget_bias =
    1.0 (a common default) the forget gate starts near sigmoid(1) ~ 0.73 instead of sigmoid(0) = 0.5:
    the cell keeps most of its content from step to step, so the cell-state path passes gradient back
    over many steps from the very first update (0.73**10 ~ 0.04 against 0.5**10 ~ 0.001).

    Inputs:
        D: input size; H: hidden size (whole numbers >= 1); rng: a numpy Generator, the only randomness.
        forget_bias: the initial value of every entry of b_f; init: "xavier", "he" or "normal".
    Returns:
        params: dict with the keys PARAM_NAMES ("W_f", "U_f", "b_f", "W_i", ...), float64 arrays.
    """
    D, H = positive_int(D, "D"), positive_int(H, "H")
    check_rng(rng)
    forget_bias = _finite_real(forget_bias, "forget_bias")
    std_W, std_U = init_std(D, H, init), init_std(H, H, init)
    params = {}
    for gate in GATES:
        params[f"W_{gate}"] = rng.normal(0.0, std_W, size=(D, H))
        params[f"U_{gate}"] = rng.normal(0.0, std_U, size=(H, H))
        params[f"b_{gate}"] = np.full(H, forget_bias if gate == "f" else 0.0)
    return params


# ---- one step ---------------------------------------------------------------------------------


class LSTMStepCache(NamedTuple):
    """What lstm_step_backward needs from lstm_step_forward, every array (N, H) but x (N, D). Chapter 08.

    Fields: x (the step's input x_t), h_prev, c_prev (the states before the step), f, i, g, o (the
    gates), c (the new cell state), tanh_c = tanh(c), h = o * tanh_c, and params (the dict used).
    """

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    f: np.ndarray
    i: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    h: np.ndarray
    params: dict


def _lstm_step_forward(x_t, h_prev, c_prev, p):
    # each gate is a dense layer on two inputs: (N, D) @ (D, H) + (N, H) @ (H, H) + (H,) -> (N, H)
    f = act._sigmoid(x_t @ p["W_f"] + h_prev @ p["U_f"] + p["b_f"])  # forget gate, in (0, 1)
    i = act._sigmoid(x_t @ p["W_i"] + h_prev @ p["U_i"] + p["b_i"])  # input gate, in (0, 1)
    g = np.tanh(x_t @ p["W_g"] + h_prev @ p["U_g"] + p["b_g"])  # candidate, in (-1, 1)
    o = act._sigmoid(x_t @ p["W_o"] + h_prev @ p["U_o"] + p["b_o"])  # output gate, in (0, 1)
    c = f * c_prev + i * g  # (N, H): keep part of the old cell, write part of the candidate
    tanh_c = np.tanh(c)
    h = o * tanh_c  # (N, H)
    return h, c, LSTMStepCache(x_t, h_prev, c_prev, f, i, g, o, c, tanh_c, h, p)


def lstm_step_forward(x_t, h_prev, c_prev, params):
    """One LSTM step: the four gates, the new cell state and the new hidden state. Chapter 08.

    Inputs:
        x_t: (N, D) the inputs at this step; h_prev, c_prev: (N, H) the states h_{t-1}, c_{t-1}.
        params: dict with W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,) for gate in f, i, g, o.
    Returns:
        h_next: (N, H) = o * tanh(c_next); c_next: (N, H) = f * c_prev + i * g;
        cache: LSTMStepCache with the gates f, i, g, o as named fields.
    """
    p = _check_params(params)  # the weights fix D and H; the inputs must match them
    D, H = p["W_f"].shape
    x_t = as_float_array(x_t, "x_t")
    check_batch(x_t, "x_t", ("N", "D"), (None, D))
    h_prev, c_prev = as_float_array(h_prev, "h_prev"), as_float_array(c_prev, "c_prev")
    check_batch(h_prev, "h_prev", ("N", "H"), (x_t.shape[0], H))
    check_batch(c_prev, "c_prev", ("N", "H"), (x_t.shape[0], H))
    return _lstm_step_forward(x_t, h_prev, c_prev, p)


def _lstm_step_backward(dh_next, dc_next, cache: LSTMStepCache, need_params: bool = True):
    # the gradients may be a stack of loss terms (A, N, H) (truncated BPTT): every line works on it as it is;
    # need_params=False skips dx and the weights' gradients, for a probe that follows only the states
    x, h_prev, c_prev, f, i, g, o, c, tanh_c, h, p = cache
    do = dh_next * tanh_c  # output gate: h = o * tanh(c), so dh/do = tanh(c)
    dc = dc_next + dh_next * o * (1.0 - tanh_c * tanh_c)  # the cell gets both paths; tanh' = 1 - tanh**2
    df, di, dg = dc * c_prev, dc * g, dc * i  # c = f * c_prev + i * g: a product rule per term
    dc_prev = dc * f  # the cell-state path: only the forget gate in between
    dz = {  # through each gate's nonlinearity to its pre-activation z
        "f": df * f * (1.0 - f),  # sigmoid'(z) = f (1 - f)
        "i": di * i * (1.0 - i),
        "g": dg * (1.0 - g * g),  # tanh'(z) = 1 - g**2
        "o": do * o * (1.0 - o),
    }
    dx, dh_prev, dparams = 0.0, 0.0, {}
    for gate in GATES:  # z_gate = x W_gate + h_prev U_gate + b_gate: a dense layer with two inputs
        dh_prev = dh_prev + dz[gate] @ p[f"U_{gate}"].T  # (N, H) @ (H, H) -> (N, H)
        if not need_params:
            continue
        dx = dx + dz[gate] @ p[f"W_{gate}"].T  # (N, H) @ (H, D) -> (N, D)
        dparams[f"W_{gate}"] = x.T @ dz[gate]  # (D, N) @ (N, H) -> (D, H)
        dparams[f"U_{gate}"] = h_prev.T @ dz[gate]  # (H, N) @ (N, H) -> (H, H)
        dparams[f"b_{gate}"] = dz[gate].sum(axis=-2)  # (H,): the sum over the N rows
    return dx, dh_prev, dc_prev, dparams


def lstm_step_backward(dh_next, dc_next, cache: LSTMStepCache):
    """Gradients of one LSTM step, gate by gate. Chapter 08.

    With dh = dh_next and dc_next the gradients arriving at h_t and c_t:
        do = dh * tanh(c)
        dc = dc_next + dh * o * (1 - tanh(c)**2)        the cell gets both paths
        df = dc * c_prev;   di = dc * g;   dg = dc * i;   dc_prev = dc * f
        dz_f = df * f (1 - f);  dz_i = di * i (1 - i);  dz_g = dg * (1 - g**2);  dz_o = do * o (1 - o)
    and, for each gate, dx += dz W^T, dh_prev += dz U^T, dW = x^T dz, dU = h_prev^T dz, db = sum_n dz.

    Inputs:
        dh_next, dc_next: (N, H) the gradients of the loss with respect to h_t and c_t.
        cache: LSTMStepCache from lstm_step_forward.
    Returns:
        dx_t: (N, D), dh_prev: (N, H), dc_prev: (N, H), and dparams: dict with the keys of params.
    """
    check_cache(cache, LSTMStepCache, "lstm_step_forward")
    dh_next, dc_next = as_float_array(dh_next, "dh_next"), as_float_array(dc_next, "dc_next")
    check_shape(dh_next, cache.h.shape, "dh_next")
    check_shape(dc_next, cache.h.shape, "dc_next")
    return _lstm_step_backward(dh_next, dc_next, cache)


# ---- a sequence -------------------------------------------------------------------------------


class LSTMCache(NamedTuple):
    """What lstm_backward needs: steps (T LSTMStepCache, in time order), x (N, T, D), h0, c0 (N, H). Chapter 08."""

    steps: tuple
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray


def _lstm_forward(x, h0, c0, p):
    h, c, steps = h0, c0, []
    for t in range(x.shape[1]):
        h, c, step = _lstm_step_forward(x[:, t], h, c, p)
        steps.append(step)
    return np.stack([step.h for step in steps], axis=1), LSTMCache(tuple(steps), x, h0, c0)  # (N, T, H)


def lstm_forward(x, h0, c0, params):
    """Run an LSTM over a sequence batch, one step per time step. Chapter 08.

    Inputs:
        x: (N, T, D) N sequences of T steps with D features each.
        h0, c0: (N, H) the initial hidden and cell states, or None for zeros.
        params: dict with W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,), as init_lstm_params makes.
    Returns:
        h: (N, T, H) the hidden state after every step; h[:, -1] is the last.
        cache: LSTMCache(steps, x, h0, c0); lstm_gates(cache) gives the gates for plotting.
    """
    p = _check_params(params)  # the weights fix D and H; the inputs must match them
    D, H = p["W_f"].shape
    x = _sequence(x, D)
    h0 = np.zeros((x.shape[0], H)) if h0 is None else _state(h0, x.shape[0], H, "h0")
    c0 = np.zeros((x.shape[0], H)) if c0 is None else _state(c0, x.shape[0], H, "c0")
    return _lstm_forward(x, h0, c0, p)


def _lstm_backward(dh, cache: LSTMCache, truncate: int | None = None):
    def step_back(t, d):
        dx_t, dh_prev, dc_prev, dparams = _lstm_step_backward(d[0], d[1], cache.steps[t])
        return dx_t, (dh_prev, dc_prev), dparams

    dx, (dh0, dc0), dparams = _bptt(step_back, dh, 2, truncate)  # two states carried back: h and c
    return dx, dh0, dc0, dparams


def lstm_backward(dh, cache: LSTMCache, truncate: int | None = None):
    """Backpropagation through time: walk the steps in reverse, summing weight gradients. Chapter 08.

    Full BPTT (truncate None): from t = T-1 down to 0, step t receives the gradient of its own loss,
    dh[:, t], plus the dh and dc carried back from step t+1; each step's weight gradients are added to
    the totals, because the same weights are used at every step. truncate=k: the gradient entering at
    step t travels back through steps t .. t-k+1 only, as for the RNN (bplib.rnn.rnn_backward).

    Inputs:
        dh: (N, T, H) the gradient of the loss with respect to every h[:, t] (zeros where no loss reads
            h, e.g. all but dh[:, -1] for a loss on the last state); cache: LSTMCache from lstm_forward.
        truncate: None, or k >= 1: the number of steps each gradient travels back.
    Returns:
        dx: (N, T, D), dh0: (N, H), dc0: (N, H), and dparams: dict name -> gradient summed over time.
    """
    check_cache(cache, LSTMCache, "lstm_forward")
    dh = as_float_array(dh, "dh")
    check_shape(dh, (*cache.x.shape[:2], cache.h0.shape[1]), "dh (the gradient with respect to every h_t)")
    return _lstm_backward(dh, cache, None if truncate is None else positive_int(truncate, "truncate"))


def lstm_gates(cache: LSTMCache) -> dict[str, np.ndarray]:
    """The gates and states of every step, for plotting. Chapter 08.

    Inputs: cache: LSTMCache from lstm_forward.
    Returns: dict with keys "f", "i", "g", "o", "c", "h", each (N, T, H): the forget, input and output
        gates (in (0, 1)), the candidate g (in (-1, 1)), the cell state and the hidden state.
    """
    check_cache(cache, LSTMCache, "lstm_forward")
    names = ("f", "i", "g", "o", "c", "h")
    return {name: np.stack([getattr(step, name) for step in cache.steps], axis=1) for name in names}  # (N, T, H)


# Names that moved to the course machinery; notebooks saved earlier import them from here.
_MOVED = {"LSTMClassifier": "bplib.models.classifiers", "cell_gradient_through_time": "bplib.experiments.memory"}


def __getattr__(name):
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
