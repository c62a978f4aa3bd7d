"""The LSTM: gates, the cell state, and backpropagation through time (introduced in chapter 08).

Row convention, batch first: a sequence batch x has shape (N, T, D); the hidden state h and
the cell state c have shape (N, H). One step reads x_t = x[:, t] and the previous states:

    f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f)      forget gate:   how much of c_{t-1} to keep
    i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i)      input gate:    how much of the candidate to write
    g_t = tanh(x_t W_g + h_{t-1} U_g + b_g)         candidate:     what could be written
    o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o)      output gate:   how much of the cell to show
    c_t = f_t * c_{t-1} + i_t * g_t                 (* is the elementwise product)
    h_t = o_t * tanh(c_t)

Parameters are twelve separately named arrays, for each gate in GATES = ("f", "i", "g", "o"):
W_<gate>: (D, H), U_<gate>: (H, H), b_<gate>: (H,). Libraries usually stack the four gates into
one (D, 4H) matrix for speed; here every gate keeps its own names, so each line of the backward
pass matches one line of the derivation and a learner can print params["W_f"] and see the forget
gate's weights.

Time indexing: h[:, t] is the hidden state after reading x[:, t], t = 0 .. T-1; h0 and c0 are
the states before the first step.

The cell-state path. Since c_t = f_t * c_{t-1} + i_t * g_t, the gradient that c_{t-1} receives
from c_t is dc_t * f_t: multiplied only by the forget gate, with no weight matrix and no
squashing derivative in between (c_{t-1} also reaches the loss through h_{t-1}; that path adds
to it). When f stays near 1 the gradient survives many steps; this is what the vanilla RNN,
whose gradient meets Wh^T and tanh' at every step, lacks.

Truncated BPTT (lstm_backward(..., truncate=k)): the gradient dh[:, t] that enters at step t (the
gradient of the loss read at h_t) is carried back through the steps t, t-1, ..., t-k+1 only, so
each loss term reaches at most k steps counting its own; the states h_{t-k}, c_{t-k} before that
window are treated as constants. Weight gradients sum the contributions inside every window;
dh0 and dc0 receive only what enters at steps t < k. truncate=None, or any k >= T, is full BPTT.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from bplib import losses
from bplib._validate import _describe, as_float_array, check_batch, check_shape
from bplib.layers import INITS, init_std
from bplib.rnn import clip_by_norm, global_norm

__all__ = [
    "GATES",
    "PARAM_NAMES",
    "LSTMStepCache",
    "LSTMCache",
    "init_lstm_params",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "lstm_gates",
    "PROBE_QUANTITIES",
    "cell_gradient_through_time",
    "lstm_probe",
    "LSTMHistory",
    "LSTMClassifier",
]

GATES = ("f", "i", "g", "o")  # forget, input, candidate, output
PARAM_NAMES = tuple(f"{kind}_{gate}" for gate in GATES for kind in ("W", "U", "b"))


# ---- validation -------------------------------------------------------------------------------


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _finite_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return float(value)


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy Generator such as np.random.default_rng(0), got {_describe(rng)}")


def _check_params(params, D: int | None, H: int | None) -> dict[str, np.ndarray]:
    """params as name -> float64 array with every LSTM name and shape; D, H None means "read from params"."""
    if not isinstance(params, Mapping):
        raise ValueError(
            f"params: expected a dict name -> array with keys {list(PARAM_NAMES)} (see init_lstm_params), "
            f"got {_describe(params)}"
        )
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params: missing {missing}; an LSTM needs {list(PARAM_NAMES)} (see init_lstm_params)")
    checked = {name: as_float_array(params[name], f"params[{name!r}]") for name in PARAM_NAMES}
    W_f = checked["W_f"]
    if W_f.ndim != 2:
        raise ValueError(f"params['W_f']: expected a 2-d matrix of shape (D, H), got shape {W_f.shape}")
    W_shapes = {f"W_{gate}": checked[f"W_{gate}"].shape for gate in GATES}
    if len(set(W_shapes.values())) > 1:  # say which disagree rather than blame the ones after W_f
        listed = ", ".join(f"{name} {shape}" for name, shape in W_shapes.items())
        raise ValueError(f"params: expected every W_<gate> to have the same shape (D, H), got {listed}")
    D = W_f.shape[0] if D is None else D
    H = W_f.shape[1] if H is None else H
    for gate in GATES:
        check_shape(checked[f"W_{gate}"], (D, H), f"params['W_{gate}'] (D, H)")
        check_shape(checked[f"U_{gate}"], (H, H), f"params['U_{gate}'] (H, H)")
        check_shape(checked[f"b_{gate}"], (H,), f"params['b_{gate}'] (H,)")
    return checked


def _batch_2d(value, name: str, shape: tuple | None, what: str) -> np.ndarray:
    arr = as_float_array(value, name)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-d array {what}, got shape {arr.shape}")
    if shape is not None:
        check_shape(arr, shape, name)
    return arr


def _check_cache(cache, cache_type: type, forward_name: str) -> None:
    if not isinstance(cache, cache_type):
        raise ValueError(
            f"cache: expected the {cache_type.__name__} that {forward_name} returned, got {_describe(cache)}"
        )


# ---- parameters -------------------------------------------------------------------------------


def init_lstm_params(D: int, H: int, rng: np.random.Generator, forget_bias: float = 1.0, init: str = "xavier"):
    """Random LSTM parameters: W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,) for f, i, g, o. Chapter 08.

    W and U entries are normal with the standard deviation of bplib.layers.init_std(fan_in, H, init);
    every bias starts at 0 except the forget gate's, which starts at forget_bias. With
    forget_bias = 1.0 (a common default) the forget gate starts near sigmoid(1) ~ 0.73 instead of
    sigmoid(0) = 0.5: the cell keeps most of its content from step to step, so the cell-state
    path, dc_{t-1} = dc_t * f_t, passes gradient back over many steps from the very first update
    (0.73**10 ~ 0.04 against 0.5**10 ~ 0.001).

    Inputs:
        D: input size; H: hidden size (positive integers).
        rng: a numpy Generator, the only source of randomness.
        forget_bias: the initial value of every entry of b_f, a finite number.
        init: "xavier", "he" or "normal", as in bplib.layers.INITS.
    Returns:
        params: dict with the keys PARAM_NAMES ("W_f", "U_f", "b_f", "W_i", ...), float64 arrays.
    """
    D, H = _positive_int(D, "D"), _positive_int(H, "H")
    _check_rng(rng)
    forget_bias = _finite_real(forget_bias, "forget_bias")
    if init not in INITS:
        raise ValueError(f"init: expected one of {sorted(INITS)}, got {init!r}")
    params = {}
    for gate in GATES:
        params[f"W_{gate}"] = rng.normal(0.0, init_std(D, H, init), size=(D, H))
        params[f"U_{gate}"] = rng.normal(0.0, init_std(H, H, init), size=(H, H))
        params[f"b_{gate}"] = np.full(H, forget_bias if gate == "f" else 0.0)
    return params


# ---- one step ---------------------------------------------------------------------------------


class LSTMStepCache(NamedTuple):
    """What lstm_step_backward needs from lstm_step_forward. Chapter 08.

    Fields (N examples, D inputs, H hidden units):
        x: (N, D) the step's input x_t.
        h_prev: (N, H) the hidden state before the step, h_{t-1}.
        c_prev: (N, H) the cell state before the step, c_{t-1}.
        f: (N, H) forget gate, in (0, 1).
        i: (N, H) input gate, in (0, 1).
        g: (N, H) candidate, in (-1, 1).
        o: (N, H) output gate, in (0, 1).
        c: (N, H) the new cell state c_t.
        tanh_c: (N, H) tanh(c_t).
        h: (N, H) the new hidden state h_t = o * tanh_c.
        params: the parameter dict the step used (W_f, U_f, b_f, ...), read by backward.
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


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """sigmoid(z) = (1 + tanh(z / 2)) / 2, the same values as bplib.activations.sigmoid (to rounding).

    The time loops call this form: their inputs are already checked, so the checks inside
    activations.sigmoid would only cost time, and (1 + tanh(z / 2)) / 2 cannot overflow for any z.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _step_forward(x_t, h_prev, c_prev, p) -> LSTMStepCache:
    """One step on checked float64 arrays (lstm_step_forward without the validation)."""

    def pre(gate):  # (N, D) @ (D, H) + (N, H) @ (H, H) + (H,) -> (N, H)
        return x_t @ p[f"W_{gate}"] + h_prev @ p[f"U_{gate}"] + p[f"b_{gate}"]

    f = _sigmoid(pre("f"))  # (N, H)
    i = _sigmoid(pre("i"))  # (N, H)
    g = np.tanh(pre("g"))  # (N, H)
    o = _sigmoid(pre("o"))  # (N, H)
    c = f * c_prev + i * g  # (N, H): keep part of the old cell, write part of the candidate
    tanh_c = np.tanh(c)  # (N, H)
    h = o * tanh_c  # (N, H)
    return LSTMStepCache(x=x_t, h_prev=h_prev, c_prev=c_prev, f=f, i=i, g=g, o=o, c=c, tanh_c=tanh_c, h=h, params=p)


def lstm_step_forward(x_t, h_prev, c_prev, params):
    """One LSTM step: the four gates, the new cell state and the new hidden state. Chapter 08.

    Inputs:
        x_t: (N, D) the inputs at this step.
        h_prev: (N, H) the previous hidden state h_{t-1}.
        c_prev: (N, H) the previous cell state c_{t-1}.
        params: dict with W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,) for gate in f, i, g, o.
    Returns:
        h_next: (N, H) = o * tanh(c_next).
        c_next: (N, H) = f * c_prev + i * g.
        cache: LSTMStepCache with the gates f, i, g, o as named fields.
    """
    p = _check_params(params, None, None)  # the weights fix D and H; the inputs must match them
    D, H = p["W_f"].shape
    x_arr = as_float_array(x_t, "x_t")
    check_batch(x_arr, "x_t", ("N", "D"), (None, D))
    N = x_arr.shape[0]
    h_arr = as_float_array(h_prev, "h_prev")
    check_batch(h_arr, "h_prev", ("N", "H"), (N, H))
    c_arr = as_float_array(c_prev, "c_prev")
    check_batch(c_arr, "c_prev", ("N", "H"), (N, H))
    cache = _step_forward(x_arr, h_arr, c_arr, p)
    return cache.h, cache.c, cache


def _step_backward(dh_next, dc_next, cache: LSTMStepCache):
    """One step back on checked arrays (lstm_step_backward without the validation)."""
    x, h_prev, c_prev, p = cache.x, cache.h_prev, cache.c_prev, cache.params
    f, i, g, o, tanh_c = cache.f, cache.i, cache.g, cache.o, cache.tanh_c  # (N, H) each
    # output gate: h = o * tanh(c), so dh/do = tanh(c)
    do = dh_next * tanh_c  # (N, H)
    # cell state: the gradient carried from step t+1 plus the path through h = o * tanh(c)
    dc = dc_next + dh_next * o * (1.0 - tanh_c * tanh_c)  # (N, H); tanh'(c) = 1 - tanh(c)**2
    # c = f * c_prev + i * g: one product rule per term
    df = dc * c_prev  # forget gate   (N, H)
    di = dc * g  # input gate             (N, H)
    dg = dc * i  # candidate              (N, H)
    dc_prev = dc * f  # the cell-state path: only the forget gate in between
    # through each gate's nonlinearity to its pre-activation z
    dz = {
        "f": df * f * (1.0 - f),  # sigmoid'(z) = f (1 - f)
        "i": di * i * (1.0 - i),
        "g": dg * (1.0 - g * g),  # tanh'(z) = 1 - g**2
        "o": do * o * (1.0 - o),
    }
    # z_gate = x W_gate + h_prev U_gate + b_gate: a dense layer per gate, with two inputs
    dx = np.zeros_like(x)  # (N, D)
    dh_prev = np.zeros_like(h_prev)  # (N, H)
    dparams = {}
    for gate in GATES:
        dz_gate = dz[gate]  # (N, H)
        dx += dz_gate @ p[f"W_{gate}"].T  # (N, H) @ (H, D) -> (N, D)
        dh_prev += dz_gate @ p[f"U_{gate}"].T  # (N, H) @ (H, H) -> (N, H)
        dparams[f"W_{gate}"] = x.T @ dz_gate  # (D, N) @ (N, H) -> (D, H)
        dparams[f"U_{gate}"] = h_prev.T @ dz_gate  # (H, N) @ (N, H) -> (H, H)
        dparams[f"b_{gate}"] = dz_gate.sum(axis=0)  # (H,)
    return dx, dh_prev, dc_prev, {name: dparams[name] for name in PARAM_NAMES}


def lstm_step_backward(dh_next, dc_next, cache: LSTMStepCache):
    """Gradients of one LSTM step, gate by gate. Chapter 08.

    With dh = dh_next and dc_next the gradients arriving at h_t and c_t:
        do = dh * tanh(c)
        dc = dc_next + dh * o * (1 - tanh(c)**2)        the cell gets both paths
        df = dc * c_prev;   di = dc * g;   dg = dc * i;   dc_prev = dc * f
        dz_f = df * f (1 - f);  dz_i = di * i (1 - i);  dz_g = dg * (1 - g**2);  dz_o = do * o (1 - o)
    and, for each gate, dx += dz W^T, dh_prev += dz U^T, dW = x^T dz, dU = h_prev^T dz, db = sum_n dz.

    Inputs:
        dh_next: (N, H) gradient of the loss with respect to h_t (this step's h output).
        dc_next: (N, H) gradient of the loss with respect to c_t (this step's c output).
        cache: LSTMStepCache from lstm_step_forward, fields x, h_prev, c_prev, f, i, g, o, c, tanh_c,
            h, params.
    Returns:
        dx_t: (N, D), dh_prev: (N, H), dc_prev: (N, H), and dparams: dict with the keys of params
        (W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,)), in the order of forward's inputs.
    """
    _check_cache(cache, LSTMStepCache, "lstm_step_forward")
    shape = cache.h.shape
    dh_arr = _batch_2d(dh_next, "dh_next", shape, "of shape (N, H)")
    dc_arr = _batch_2d(dc_next, "dc_next", shape, "of shape (N, H)")
    return _step_backward(dh_arr, dc_arr, cache)


# ---- a sequence -------------------------------------------------------------------------------


class LSTMCache(NamedTuple):
    """What lstm_backward needs from lstm_forward. Chapter 08.

    Fields:
        steps: T LSTMStepCache, one per time step, in time order.
        x: (N, T, D) the input sequence.
        h0: (N, H) and c0: (N, H) the initial states.
    """

    steps: tuple
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray


def lstm_forward(x, h0, c0, params):
    """Run an LSTM over a sequence batch, one step per time step. Chapter 08.

    Inputs:
        x: (N, T, D) N sequences of T steps with D features each.
        h0: (N, H) initial hidden state, or None for zeros.
        c0: (N, H) initial cell state, or None for zeros.
        params: dict with W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,), as init_lstm_params makes.
    Returns:
        h: (N, T, H) the hidden state after every step; h[:, -1] is the last.
        cache: LSTMCache(steps, x, h0, c0); lstm_gates(cache) gives the gates for plotting.
    """
    p = _check_params(params, None, None)  # the weights fix D and H; the inputs must match them
    D, H = p["W_f"].shape
    x_arr = as_float_array(x, "x")
    if x_arr.ndim == 2:
        raise ValueError(f"x: expected a batch of sequences of shape (N, T, D) = (N, T, {D}), got shape "
                         f"{x_arr.shape} (for one sequence of T steps, pass x.reshape(1, T, D))")
    check_batch(x_arr, "x", ("N", "T", "D"), (None, None, D))
    N, T, _ = x_arr.shape
    h = np.zeros((N, H)) if h0 is None else _batch_2d(h0, "h0", (N, H), "of shape (N, H)")
    c = np.zeros((N, H)) if c0 is None else _batch_2d(c0, "c0", (N, H), "of shape (N, H)")
    h_start, c_start = h, c
    steps = []
    for t in range(T):
        step = _step_forward(x_arr[:, t], h, c, p)
        steps.append(step)
        h, c = step.h, step.c
    h_all = np.stack([step.h for step in steps], axis=1)  # T x (N, H) -> (N, T, H)
    return h_all, LSTMCache(steps=tuple(steps), x=x_arr, h0=h_start, c0=c_start)


def _check_truncate(truncate, T: int) -> int:
    """truncate as a window length in steps; None means the whole sequence."""
    if truncate is None:
        return T
    return min(_positive_int(truncate, "truncate"), T)


def lstm_backward(dh, cache: LSTMCache, truncate: int | None = None, dc_T=None):
    """Backpropagation through time: walk the steps in reverse, summing weight gradients. Chapter 08.

    Full BPTT (truncate None or >= T): from t = T-1 down to 0, step t receives the gradient of its
    own loss, dh[:, t], plus the dh and dc carried back from step t+1; each step's weight gradients
    are added to the totals, because the same weights are used at every step.

    Truncated BPTT (truncate = k < T): the gradient entering at step t travels back through steps
    t, ..., t-k+1 only; see the module docstring. Each such window is walked on its own, so this
    costs up to k step-backwards per time step.

    Inputs:
        dh: (N, T, H) gradient of the loss with respect to every hidden state h[:, t] (zeros where no
            loss reads h, e.g. all but dh[:, -1] for a loss on the last state).
        cache: LSTMCache from lstm_forward, fields steps, x, h0, c0.
        truncate: None, or a positive integer k: the number of steps each gradient travels back.
        dc_T: None, or (N, H) gradient with respect to the last cell state c_T (e.g. from a later
            chunk of the sequence); it enters at the last step, like dh[:, -1].
    Returns:
        dx: (N, T, D), dh0: (N, H), dc0: (N, H), and dparams: dict name -> gradient, the keys and
        shapes of params, summed over time.
    """
    _check_cache(cache, LSTMCache, "lstm_forward")
    N, T, D = cache.x.shape
    H = cache.h0.shape[1]
    dh_arr = as_float_array(dh, "dh")
    check_shape(dh_arr, (N, T, H), "dh (the gradient with respect to every hidden state, (N, T, H))")
    dc_last = np.zeros((N, H)) if dc_T is None else _batch_2d(dc_T, "dc_T", (N, H), "of shape (N, H)")
    k = _check_truncate(truncate, T)

    dx = np.zeros((N, T, D))
    dh0 = np.zeros((N, H))
    dc0 = np.zeros((N, H))
    dparams = {name: np.zeros_like(p) for name, p in cache.steps[0].params.items()}

    def back_through(t_enter: int, t_stop: int, dh_in: np.ndarray, dc_in: np.ndarray) -> None:
        """Carry (dh_in, dc_in), entering at step t_enter, back through steps t_enter .. t_stop."""
        dh_carry, dc_carry = dh_in, dc_in  # gradients with respect to h_t, c_t
        for t in range(t_enter, t_stop - 1, -1):
            dx_t, dh_carry, dc_carry, dp = _step_backward(dh_carry, dc_carry, cache.steps[t])
            dx[:, t] += dx_t
            for name in dparams:
                dparams[name] += dp[name]  # the same weights at every step: sum their gradients
        if t_stop == 0:  # the window reached the initial states
            dh0[...] += dh_carry
            dc0[...] += dc_carry

    if k == T:
        # one reverse sweep: every entering gradient is added to what flows back from later steps
        dh_carry, dc_carry = np.zeros((N, H)), dc_last
        for t in range(T - 1, -1, -1):
            dx[:, t], dh_carry, dc_carry, dp = _step_backward(dh_arr[:, t] + dh_carry, dc_carry, cache.steps[t])
            for name in dparams:
                dparams[name] += dp[name]
        dh0[...], dc0[...] = dh_carry, dc_carry
    else:
        for t in range(T - 1, -1, -1):
            dh_in = dh_arr[:, t]
            dc_in = dc_last if t == T - 1 else np.zeros((N, H))
            if np.any(dh_in) or np.any(dc_in):  # a step no loss reads sends nothing back
                back_through(t, max(t - k + 1, 0), dh_in, dc_in)
    return dx, dh0, dc0, dparams


def lstm_gates(cache: LSTMCache) -> dict[str, np.ndarray]:
    """The gates and states of every step, for plotting. Chapter 08.

    Inputs:
        cache: LSTMCache from lstm_forward.
    Returns:
        dict with keys "f", "i", "g", "o", "c", "h", each (N, T, H): the forget, input and output gates
        (in (0, 1)), the candidate g (in (-1, 1)), the cell state c and the hidden state h at every step.
    """
    _check_cache(cache, LSTMCache, "lstm_forward")
    names = ("f", "i", "g", "o", "c", "h")
    return {name: np.stack([getattr(step, name) for step in cache.steps], axis=1) for name in names}  # (N, T, H)


# ---- the cell-state path probe (chapter 08's dashboard) ----------------------------------------

PROBE_QUANTITIES = ("c", "c_cell_path", "h")


def cell_gradient_through_time(
    params_or_forget_bias,
    T: int,
    rng: np.random.Generator,
    *,
    D: int = 4,
    H: int = 16,
    x=None,
    input_scale: float = 1.0,
    quantity: str = "c",
) -> np.ndarray:
    """How much gradient a loss at the last step sends back to each earlier state. Chapter 08.

    One sequence, zero initial states, steps t = 1 .. T. For a loss L = v . h_T with v a random
    unit vector, the size of dL/dc_{T-k} varies with v; its root-mean-square over v is
        g[k] = ||dh_T / dc_{T-k}||_F / sqrt(H),
    the Frobenius norm of the Jacobian scaled by sqrt(H). This is the definition of
    bplib.rnn.gradient_through_time for the vanilla RNN, applied to the LSTM's states:
        quantity="c":            g[k] for the cell state c_{T-k}, the total gradient: through c_{T-k+1}
                                 and through h_{T-k} = o * tanh(c_{T-k});
        quantity="c_cell_path":  the same, following only the cell path dc_{t-1} = dc_t * f_t back
                                 from c_T (the product of the forget gates met on the way);
        quantity="h":            ||dh_T / dh_{T-k}||_F / sqrt(H) for the hidden state, g[0] = 1: the
                                 quantity the vanilla RNN probe measures, to compare the two directly.

    Inputs:
        params_or_forget_bias: an LSTM params dict (D and H are read from it), or a number: then
            params = init_lstm_params(D, H, rng, forget_bias=that number).
        T: the number of steps, a positive integer.
        rng: a numpy Generator, the only randomness (draws the params when a number is given,
            then the inputs).
        D, H: input and hidden sizes, used only when a forget bias is given.
        x: None for inputs x_t ~ Normal(0, input_scale**2), or a (T, D) array (one sequence).
        input_scale: the inputs' standard deviation when x is None, a number >= 0.
        quantity: "c", "c_cell_path" or "h", as above.
    Returns:
        g: (T,) non-negative; g[k] belongs to the state k steps before the end (t = T - k), so g[0]
        is at the last step and g[T-1] at the first.
    """
    T = _positive_int(T, "T")
    _check_rng(rng)
    if quantity not in PROBE_QUANTITIES:
        raise ValueError(f"quantity: expected one of {list(PROBE_QUANTITIES)}, got {quantity!r}")
    if isinstance(params_or_forget_bias, Mapping):
        p = _check_params(params_or_forget_bias, None, None)
        D, H = p["W_f"].shape
    else:
        bias = _finite_real(params_or_forget_bias, "params_or_forget_bias (a params dict or a forget bias)")
        p = init_lstm_params(D, H, rng, forget_bias=bias)
    if x is None:
        if _finite_real(input_scale, "input_scale") < 0:
            raise ValueError(f"input_scale: expected a number >= 0, got {input_scale!r}")
        x_arr = input_scale * rng.standard_normal((T, D))  # (T, D)
    else:
        x_arr = as_float_array(x, "x")
        check_shape(x_arr, (T, D), "x (one sequence, (T, D))")
    return lstm_probe(p, x_arr, (quantity,))["reach"][quantity]


def lstm_probe(params, x, quantities=PROBE_QUANTITIES, *, steps: int | None = None, run=None) -> dict:
    """One sequence from zero states: its gates, and the gradient-reach curves of one forward pass. Chapter 08.

    What cell_gradient_through_time measures, for several quantities at once and with the gates and
    cell states of the same run (the chapter's dashboard shows them side by side), in a lean pass
    with the four gates side by side: it needs only state gradients, not weight gradients. The
    tests check it against lstm_forward, lstm_gates and lstm_backward.

    The forward pass is causal, so a run over all of x holds the run over its first `steps` steps:
    pass `run` back (from an earlier result for the same params and x) to report another length
    without running the sequence again.

    Inputs:
        params: an LSTM params dict (D and H read from it).
        x: (T, D) one input sequence, T >= 1.
        quantities: names among PROBE_QUANTITIES ("c", "c_cell_path", "h"; see
            cell_gradient_through_time).
        steps: the length reported, 1 .. T (the loss sits at step `steps`); None: T.
        run: the "run" of an earlier lstm_probe result for these params and this x, or None.
    Returns:
        dict with f, i, g, o: (steps, H) the gates at every step; c: (steps, H) the cell state after
        every step (lstm_gates' names and values); reach: dict quantity -> its curve g (steps,), g[k]
        at k steps before the end; run: the forward pass over all of x (opaque, for `run`).
    """
    p = _check_params(params, None, None)
    D, H = p["W_f"].shape
    x_arr = as_float_array(x, "x")
    if x_arr.ndim != 2 or x_arr.shape[0] < 1 or x_arr.shape[1] != D:
        raise ValueError(f"x: expected one sequence of shape (T, {D}) with T >= 1, got shape {x_arr.shape}")
    unknown = [q for q in quantities if q not in PROBE_QUANTITIES]
    if unknown:
        raise ValueError(f"quantities: expected names among {list(PROBE_QUANTITIES)}, got {unknown}")
    T = x_arr.shape[0]
    steps = T if steps is None else _positive_int(steps, "steps")
    if steps > T:
        raise ValueError(f"steps: expected at most the {T} steps of x, got {steps}")
    if run is None:
        run = _probe_forward(p, x_arr)
    elif not (isinstance(run, dict) and getattr(run.get("gates"), "shape", None) == (T, 4 * H)):
        raise ValueError(f"run: expected the 'run' of an lstm_probe result over these {T} steps")
    prefix = {name: value[:steps] for name, value in run.items() if name != "U"}  # the first `steps` steps
    prefix["U"] = run["U"]
    # copies: the run may be shared between calls
    out = {name: prefix["gates"][:, k * H : (k + 1) * H].copy() for k, name in enumerate(GATES)}  # (steps, H) each
    out["c"] = prefix["c"].copy()
    out["reach"] = {quantity: _probe_backward(prefix, quantity) for quantity in quantities}
    out["run"] = run
    return out


def _probe_forward(p: dict, x_arr: np.ndarray) -> dict[str, np.ndarray]:
    """The forward pass of lstm_probe: gates (T, 4H) in columns f | i | g | o, c_prev, tanh_c, c (T, H)."""
    T, H = x_arr.shape[0], p["U_f"].shape[0]
    W = np.concatenate([p[f"W_{gate}"] for gate in GATES], axis=1)  # (D, 4H)
    U = np.concatenate([p[f"U_{gate}"] for gate in GATES], axis=1)  # (H, 4H)
    b = np.concatenate([p[f"b_{gate}"] for gate in GATES])  # (4H,)
    f_, i_, g_, o_ = (slice(k * H, (k + 1) * H) for k in range(4))
    gates = np.empty((T, 4 * H))
    c_prev = np.empty((T, H))
    c_all = np.empty((T, H))
    tanh_c = np.empty((T, H))
    h, c = np.zeros(H), np.zeros(H)
    for t in range(T):
        z = x_arr[t] @ W + h @ U + b  # (4H,): summed in lstm_forward's order, so the states match it to rounding
        a = _sigmoid(z)
        a[g_] = np.tanh(z[g_])  # the candidate uses tanh
        c_prev[t] = c
        c = a[f_] * c + a[i_] * a[g_]  # (H,)
        c_all[t] = c
        tanh_c[t] = np.tanh(c)
        h = a[o_] * tanh_c[t]  # (H,)
        gates[t] = a
    return {"gates": gates, "c_prev": c_prev, "tanh_c": tanh_c, "c": c_all, "U": U}


def _probe_backward(run: dict, quantity: str) -> np.ndarray:
    """One curve of lstm_probe from its forward pass: g (T,), g[k] at k steps before the end."""
    gates, c_prev, tanh_c, U = run["gates"], run["c_prev"], run["tanh_c"], run["U"]
    T, H = c_prev.shape
    f, i, g, o = (gates[:, k * H : (k + 1) * H] for k in range(4))  # (T, H) each
    into_c = o * (1.0 - tanh_c**2)  # (T, H): from dh_t to dc_t through h_t = o_t * tanh(c_t)
    if quantity == "c_cell_path":
        # dh_T / dc_T = diag(into_c[T-1]); each step back multiplies column j by unit j's forget gate, so
        # dc_{T-k} is diagonal too and its Frobenius norm that of the diagonal.
        kept = np.ones((T, H))  # kept[k]: the product of the forget gates of the last k steps
        kept[1:] = np.cumprod(f[:0:-1], axis=0)  # f_{T-1}, f_{T-1} f_{T-2}, ...
        return np.linalg.norm(into_c[-1] * kept, axis=1) / math.sqrt(H)
    # dh_{t-1} = dz_t @ U^T with dz_t = [dc * a_f | dc * a_i | dc * a_g | dh * a_o] (lstm_step_backward's
    # pre-activation gradients), i.e. dc @ through_c[t] + dh @ through_h[t] with (H, H) matrices per step
    a_f, a_i, a_g, a_o = c_prev * f * (1.0 - f), g * i * (1.0 - i), i * (1.0 - g * g), tanh_c * o * (1.0 - o)
    U_f, U_i, U_g, U_o = (U[:, k * H : (k + 1) * H].T for k in range(4))  # (H, H) each, transposed
    through_c = a_f[:, :, None] * U_f + a_i[:, :, None] * U_i + a_g[:, :, None] * U_g  # (T, H, H)
    through_h = a_o[:, :, None] * U_o  # (T, H, H)
    # One row per loss direction: row j is the gradient of L_j = h_T[j], so the (H, H) arrays below are
    # Jacobians. dh = dh_T / dh_t; dc_from_later = the part of dh_T / dc_t that arrives from step t+1.
    dh = np.eye(H)  # dh_T / dh_T
    dc_from_later = np.zeros((H, H))  # nothing but h_T reads c_T
    g_norms = np.empty(T)
    for k in range(T):
        t = T - 1 - k  # the step that produced h_{T-k} and c_{T-k}
        dc = dc_from_later + dh * into_c[t]  # dh_T / dc_t, both paths, (H, H)
        shown = dh if quantity == "h" else dc
        g_norms[k] = math.sqrt(np.vdot(shown, shown)) / math.sqrt(H)
        dc_from_later = dc * f[t]  # the cell path: dc_{t-1} gets dc_t * f_t
        dh = dc @ through_c[t] + dh @ through_h[t]  # (H, H)
    return g_norms


# ---- a classifier for the long-range tasks -------------------------------------------------------


@dataclass
class LSTMHistory:
    """What LSTMClassifier.fit recorded, one entry per epoch. Chapter 08.

    Fields:
        loss, accuracy: on the whole training set, measured after the epoch's updates.
        grad_norm: the mean over the epoch's updates of the joint gradient norm before clipping.
        clipped: the fraction of the epoch's updates whose gradient was scaled down by clipping.
        status: "finished" (all epochs ran), "stopped" (the callback returned True) or "diverged"
            (a parameter stopped being finite; that epoch is recorded with nan loss and accuracy).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    clipped: list[float] = field(default_factory=list)
    status: str = "running"

    @property
    def epochs(self) -> int:
        """The number of epochs recorded. Chapter 08."""
        return len(self.loss)


class LSTMClassifier:
    """An LSTM that reads a sequence and classifies it from its last hidden state. Chapter 08.

        h = lstm_forward(x, 0, 0, params)          (N, T, H)
        z = h[:, -1] @ W_y + b_y                   (N, C) logits
        loss = softmax cross-entropy of z and the labels y, averaged over the N sequences

    LSTMClassifier(D, H, C, rng, forget_bias=1.0, init="xavier"):
        D: features per step; H: hidden units; C: classes (C >= 2).
        rng: a numpy Generator, the only source of randomness in the initial parameters.
        forget_bias, init: as in init_lstm_params. W_y is normal with std init_std(H, C, init); b_y = 0.
    Attributes:
        params: the LSTM's twelve arrays (PARAM_NAMES) plus "W_y": (H, C) and "b_y": (C,); updated in
            place by an optimizer, read at call time (so a gradient check can nudge them).
    """

    def __init__(
        self, D: int, H: int, C: int, rng: np.random.Generator, forget_bias: float = 1.0, init: str = "xavier"
    ):
        C = _positive_int(C, "C")
        if C < 2:
            raise ValueError(f"C: expected at least 2 classes, got {C}")
        self.params = init_lstm_params(D, H, rng, forget_bias=forget_bias, init=init)
        self.params["W_y"] = rng.normal(0.0, init_std(H, C, init), size=(H, C))
        self.params["b_y"] = np.zeros(C)

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(D, H, C). Chapter 08."""
        D, H = self.params["W_f"].shape
        return D, H, self.params["W_y"].shape[1]

    def _check_x(self, x) -> np.ndarray:
        x_arr = as_float_array(x, "x")
        D = self.sizes[0]
        if x_arr.ndim != 3 or x_arr.shape[0] == 0 or x_arr.shape[1] == 0 or x_arr.shape[2] != D:
            raise ValueError(f"x: expected sequences of shape (N, T, {D}) with N, T >= 1, got shape {x_arr.shape}")
        return x_arr

    def _lstm_params(self) -> dict[str, np.ndarray]:
        return {name: self.params[name] for name in PARAM_NAMES}

    def logits(self, x) -> np.ndarray:
        """Inputs: x: (N, T, D). Returns: z: (N, C), the class scores from the last hidden state. Chapter 08."""
        h, _ = lstm_forward(self._check_x(x), None, None, self._lstm_params())
        return h[:, -1] @ self.params["W_y"] + self.params["b_y"]  # (N, H) @ (H, C) + (C,) -> (N, C)

    def predict(self, x) -> np.ndarray:
        """Inputs: x: (N, T, D). Returns: (N,) integer class labels, the argmax of the logits. Chapter 08."""
        return np.argmax(self.logits(x), axis=1)

    def accuracy(self, x, y) -> float:
        """Inputs: x: (N, T, D), y: (N,) integer labels. Returns: the fraction classified correctly. Chapter 08."""
        predicted = self.predict(x)
        labels = np.asarray(y)
        if labels.shape != predicted.shape:
            raise ValueError(f"y: expected {predicted.shape[0]} labels of shape {predicted.shape}, got {labels.shape}")
        return float(np.mean(predicted == labels))

    def loss_and_grads(self, x, y, truncate: int | None = None):
        """The mean cross-entropy and its gradient for every parameter. Chapter 08.

        Inputs:
            x: (N, T, D) sequences; y: (N,) integer labels in [0, C).
            truncate: None for full BPTT, or k: the loss (read at the last step) reaches back k steps.
        Returns:
            loss: a float.
            grads: dict with the keys and shapes of params.
        """
        x_arr = self._check_x(x)
        h, cache = lstm_forward(x_arr, None, None, self._lstm_params())  # (N, T, H)
        h_last = h[:, -1]  # (N, H)
        z = h_last @ self.params["W_y"] + self.params["b_y"]  # (N, C)
        loss, loss_cache = losses.softmax_cross_entropy_forward(z, y)
        dz = losses.softmax_cross_entropy_backward(1.0, loss_cache)  # (N, C)
        dh = np.zeros_like(h)  # (N, T, H): only the last hidden state is read by the loss
        dh[:, -1] = dz @ self.params["W_y"].T  # (N, C) @ (C, H) -> (N, H)
        _, _, _, grads = lstm_backward(dh, cache, truncate=truncate)
        grads["W_y"] = h_last.T @ dz  # (H, N) @ (N, C) -> (H, C)
        grads["b_y"] = dz.sum(axis=0)  # (C,)
        return loss, {name: grads[name] for name in self.params}

    def fit(
        self,
        x,
        y,
        optimizer,
        epochs: int,
        batch_size: int,
        rng: np.random.Generator,
        clip: float | None = 5.0,
        truncate: int | None = None,
        callback: Callable[[int, LSTMHistory], bool | None] | None = None,
    ) -> LSTMHistory:
        """Train by mini-batch gradient descent with gradient clipping. Chapter 08.

        Each epoch shuffles the N sequences with rng and visits them in batches of batch_size (the
        last batch keeps the remainder). Before each update the gradients are clipped together:
        when their joint norm exceeds clip they are all scaled by clip / norm, which keeps the
        direction and bounds the step (an exploding gradient cannot throw the weights away).

        Inputs:
            x: (N, T, D) training sequences; y: (N,) integer labels in [0, C).
            optimizer: has step(params, grads), e.g. bplib.optim.Momentum(lr=0.1), or
                bplib.optim.Rprop(step_init=0.01, step_max=1.0) with batch_size >= N (Rprop needs
                full-batch gradients; on first_symbol_recall it leaves the plateau at chance far
                sooner than momentum does).
            epochs, batch_size: positive integers.
            rng: a numpy Generator; the only randomness (the shuffles).
            clip: the largest joint gradient norm, a number > 0, or None for no clipping.
            truncate: passed to lstm_backward (None: full BPTT).
            callback: optional callback(epoch, history); returning True stops training.
        Returns:
            LSTMHistory with one entry per epoch and status "finished", "stopped" or "diverged".
        """
        x_arr = self._check_x(x)
        N = x_arr.shape[0]
        labels = np.asarray(y)
        if labels.shape != (N,) or not np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool:
            raise ValueError(f"y: expected {N} integer labels of shape ({N},), got {_describe(labels)}")
        if not callable(getattr(optimizer, "step", None)):
            raise ValueError(f"optimizer: expected an object with step(params, grads), got {_describe(optimizer)}")
        epochs = _positive_int(epochs, "epochs")
        batch_size = _positive_int(batch_size, "batch_size")
        _check_rng(rng)
        if clip is not None and _finite_real(clip, "clip") <= 0:
            raise ValueError(f"clip: expected a number > 0 or None, got {clip!r}")
        if truncate is not None:
            _positive_int(truncate, "truncate")
        if callback is not None and not callable(callback):
            raise ValueError(f"callback: expected a function callback(epoch, history), got {_describe(callback)}")

        history = LSTMHistory()
        for epoch in range(epochs):
            order = rng.permutation(N)
            norms, clipped = [], 0
            for start in range(0, N, batch_size):
                batch = order[start : start + batch_size]
                _, grads = self.loss_and_grads(x_arr[batch], labels[batch], truncate=truncate)
                if clip is None:
                    norm = global_norm(grads)
                else:
                    grads, norm = clip_by_norm(grads, clip)  # scaled by clip / norm when norm > clip
                    clipped += norm > clip
                norms.append(norm)
                optimizer.step(self.params, grads)
                if not all(np.all(np.isfinite(p)) for p in self.params.values()):
                    break  # an update overflowed: stop here and record the epoch as diverged
            history.grad_norm.append(float(np.mean(norms)))
            history.clipped.append(clipped / len(norms))
            if not all(np.all(np.isfinite(p)) for p in self.params.values()):
                history.loss.append(math.nan)
                history.accuracy.append(math.nan)
                history.status = "diverged"
                return history
            loss, _ = losses.softmax_cross_entropy_forward(self.logits(x_arr), labels)
            history.loss.append(loss)
            history.accuracy.append(self.accuracy(x_arr, labels))
            if callback is not None and callback(epoch, history):
                history.status = "stopped"
                return history
        history.status = "finished"
        return history

    def __repr__(self) -> str:
        D, H, C = self.sizes
        return f"LSTMClassifier(D={D}, H={H}, C={C})"
