"""A vanilla recurrent network and backpropagation through time (introduced in chapter 07).

Row convention, batch first. A batch of N sequences of T steps with D features is
x: (N, T, D); the hidden state is h: (N, H). One step of the recurrence is

    h_t = tanh(x_t Wx + h_{t-1} Wh + b)        Wx: (D, H), Wh: (H, H), b: (H,)

starting from a given h0 (= h_{-1}; steps count t = 0 .. T-1). The same Wx, Wh and b are
used at every step, so the sequence is one deep network whose layers share their weights.

Backpropagation through time (BPTT) is the ordinary backward pass of that unrolled network:
walk the steps in reverse; at step t the gradient on h_t is the upstream gradient from the
loss at step t plus the gradient carried back from step t + 1; each step's backward adds its
share to dWx, dWh and db, because a shared weight's gradient is the sum over its uses.

Truncated BPTT with truncate=k: the loss term at step t is backpropagated through the k
steps t, t-1, ..., t-k+1 and no further: for that term the state h_{t-k} is treated as a
constant (when t-k >= 0; the initial state h0 is an input and is never cut). rnn_backward
returns exactly the gradient of that truncated objective; truncate=1 keeps no gradient
carried between steps, truncate >= T is full BPTT. Its memory still grows with T (the whole
forward pass is cached). rnn_chunked_bptt is the cheap variant used for training on long
sequences: it cuts the sequence into windows of k steps, carries h forward from window to
window as a constant, and keeps only the current window's cache, so memory grows with k, not T.

Also here: the output layer and loss of a language model (a dense layer and softmax
cross-entropy at every step), gradient clipping (by global norm and by value), a
character-level language model CharRNN, and gradient_through_time, the probe behind the
chapter's vanishing/exploding-gradient plot.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from bplib import activations as act
from bplib import losses
from bplib._validate import _describe, as_float_array, check_batch, check_shape
from bplib.layers import DenseCache, _check_cache, dense_backward, dense_forward, init_std
from bplib.optim import SGD

__all__ = [
    "RNNStepCache",
    "rnn_step_forward",
    "rnn_step_backward",
    "RNNCache",
    "rnn_forward",
    "rnn_backward",
    "rnn_chunked_bptt",
    "DenseOverTimeCache",
    "dense_over_time_forward",
    "dense_over_time_backward",
    "SoftmaxCrossEntropyOverTimeCache",
    "softmax_cross_entropy_over_time_forward",
    "softmax_cross_entropy_over_time_backward",
    "global_norm",
    "clip_by_norm",
    "clip_by_value",
    "gradient_through_time",
    "TrainHistory",
    "CharRNN",
]


# ---- argument checks -------------------------------------------------------------------------


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive whole number, got {value!r}")
    return int(value)


def _positive_real(value, name: str) -> float:
    is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not is_real or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy Generator such as np.random.default_rng(0), got {_describe(rng)}")


def _weights(Wx, Wh, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wx: (D, H), Wh: (H, H), b: (H,) as float64, or a ValueError naming the mismatch."""
    Wx_arr = as_float_array(Wx, "Wx")
    Wh_arr = as_float_array(Wh, "Wh")
    b_arr = as_float_array(b, "b")
    if Wx_arr.ndim != 2:
        raise ValueError(f"Wx: expected a 2-d input-to-hidden matrix of shape (D, H), got shape {Wx_arr.shape}")
    H = Wx_arr.shape[1]
    if Wh_arr.shape != (H, H):
        raise ValueError(
            f"Wh: expected a square hidden-to-hidden matrix of shape (H, H) = ({H}, {H}) to match Wx of shape "
            f"{Wx_arr.shape}, got shape {Wh_arr.shape}"
        )
    check_shape(b_arr, (H,), "b")
    return Wx_arr, Wh_arr, b_arr


def _state(h, N: int, H: int, name: str) -> np.ndarray:
    """A hidden state (N, H) as float64, or a ValueError."""
    h_arr = as_float_array(h, name)
    if h_arr.shape != (N, H):
        hint = f" (for one sequence, pass {name}.reshape(1, -1))" if h_arr.shape == (H,) else ""
        raise ValueError(f"{name}: expected a hidden state of shape (N, H) = ({N}, {H}), got shape {h_arr.shape}{hint}")
    return h_arr


def _sequence(x, D: int, allow_nan: bool = False) -> np.ndarray:
    """A batch of sequences x: (N, T, D) with N, T >= 1, as float64 (finite unless allow_nan)."""
    x_arr = as_float_array(x, "x", allow_nan=allow_nan)
    if x_arr.ndim != 3 or 0 in x_arr.shape[:2] or x_arr.shape[2] != D:
        hint = " (for one sequence of T steps, pass x.reshape(1, T, D))" if x_arr.ndim == 2 else ""
        raise ValueError(
            f"x: expected a batch of sequences of shape (N, T, D) = (N, T, {D}) with N, T >= 1, batch first, "
            f"got shape {x_arr.shape}{hint}"
        )
    return x_arr


# ---- one step ----------------------------------------------------------------------------------


class RNNStepCache(NamedTuple):
    """What rnn_step_backward needs from rnn_step_forward. Chapter 07.

    Fields:
        x_t: (N, D) the step's input.
        h_prev: (N, H) the previous hidden state.
        Wx: (D, H) and Wh: (H, H) the weights used.
        h_next: (N, H) the output tanh(z); tanh'(z) = 1 - h_next**2.
    """

    x_t: np.ndarray
    h_prev: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    h_next: np.ndarray


def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    """One step of the vanilla RNN: h_next = tanh(x_t Wx + h_prev Wh + b). Chapter 07.

    Inputs:
        x_t: (N, D) the inputs at this step, one sequence per row.
        h_prev: (N, H) the hidden state from the step before (h0 at the first step).
        Wx: (D, H) input-to-hidden weights.
        Wh: (H, H) hidden-to-hidden (recurrent) weights.
        b: (H,) bias.
    Returns:
        h_next: (N, H) the new hidden state, entries in (-1, 1).
        cache: RNNStepCache(x_t, h_prev, Wx, Wh, h_next).
    """
    Wx_arr, Wh_arr, b_arr = _weights(Wx, Wh, b)
    D, H = Wx_arr.shape
    x_arr = as_float_array(x_t, "x_t")
    check_batch(x_arr, "x_t", ("N", "D"), (None, D))
    h_arr = _state(h_prev, x_arr.shape[0], H, "h_prev")
    h_next = np.tanh(x_arr @ Wx_arr + h_arr @ Wh_arr + b_arr)  # (N, D)@(D, H) + (N, H)@(H, H) + (H,) -> (N, H)
    return h_next, RNNStepCache(x_t=x_arr, h_prev=h_arr, Wx=Wx_arr, Wh=Wh_arr, h_next=h_next)


def _step_backward(dh_next: np.ndarray, cache: RNNStepCache):
    """rnn_step_backward without the checks; dh_next: (N, H)."""
    dz = dh_next * (1.0 - cache.h_next * cache.h_next)  # (N, H): through tanh, tanh'(z) = 1 - h**2
    dx_t = dz @ cache.Wx.T  # (N, H) @ (H, D) -> (N, D)
    dh_prev = dz @ cache.Wh.T  # (N, H) @ (H, H) -> (N, H): what is carried back to the step before
    dWx = cache.x_t.T @ dz  # (D, N) @ (N, H) -> (D, H)
    dWh = cache.h_prev.T @ dz  # (H, N) @ (N, H) -> (H, H)
    db = dz.sum(axis=0)  # (H,)
    return dx_t, dh_prev, dWx, dWh, db


def rnn_step_backward(dh_next, cache: RNNStepCache):
    """Gradients of one RNN step with respect to its inputs and weights. Chapter 07.

    With dz = dh_next * (1 - h_next**2), the gradient at the tanh's input z:
        dx_t = dz Wx^T,  dh_prev = dz Wh^T,  dWx = x_t^T dz,  dWh = h_prev^T dz,  db = sum_n dz.

    Inputs:
        dh_next: (N, H) the gradient of the loss with respect to h_next (everything that reaches it).
        cache: RNNStepCache from rnn_step_forward.
    Returns:
        dx_t: (N, D), dh_prev: (N, H), dWx: (D, H), dWh: (H, H), db: (H,), in the order of
        rnn_step_forward's inputs.
    """
    _check_cache(cache, RNNStepCache, "rnn_step_forward")
    dh_arr = as_float_array(dh_next, "dh_next")
    check_shape(dh_arr, cache.h_next.shape, "dh_next (the gradient of the loss with respect to h_next)")
    return _step_backward(dh_arr, cache)


# ---- a whole sequence --------------------------------------------------------------------------


class RNNCache(NamedTuple):
    """What rnn_backward needs from rnn_forward: the inputs and every hidden state. Chapter 07.

    Fields:
        x: (N, T, D) the inputs.
        h0: (N, H) the initial state.
        Wx: (D, H) and Wh: (H, H) the weights.
        h: (N, T, H) the hidden states h_0 .. h_{T-1}; step t's cache is rebuilt from these
            (its h_prev is h[:, t-1], or h0 at t = 0), so nothing is stored twice.
    """

    x: np.ndarray
    h0: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    h: np.ndarray


def _step_cache(cache: RNNCache, t: int) -> RNNStepCache:
    """The RNNStepCache of step t, as views into the sequence cache."""
    h_prev = cache.h0 if t == 0 else cache.h[:, t - 1]  # (N, H)
    return RNNStepCache(x_t=cache.x[:, t], h_prev=h_prev, Wx=cache.Wx, Wh=cache.Wh, h_next=cache.h[:, t])


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over whole sequences, one step after the other. Chapter 07.

    Inputs:
        x: (N, T, D) N sequences of T steps of D features, batch first.
        h0: (N, H) the initial hidden state (often zeros).
        Wx: (D, H), Wh: (H, H), b: (H,) the weights, shared by every step.
    Returns:
        h: (N, T, H) the hidden state after each step; h[:, t] is h_t.
        cache: RNNCache(x, h0, Wx, Wh, h).
    """
    Wx_arr, Wh_arr, b_arr = _weights(Wx, Wh, b)
    D, H = Wx_arr.shape
    x_arr = _sequence(x, D)
    N, T, _ = x_arr.shape
    h0_arr = _state(h0, N, H, "h0")
    h = np.empty((N, T, H))
    h_prev = h0_arr  # (N, H)
    for t in range(T):
        h[:, t] = np.tanh(x_arr[:, t] @ Wx_arr + h_prev @ Wh_arr + b_arr)  # (N, H), as rnn_step_forward
        h_prev = h[:, t]
    return h, RNNCache(x=x_arr, h0=h0_arr, Wx=Wx_arr, Wh=Wh_arr, h=h)


def rnn_backward(dh, cache: RNNCache, truncate: int | None = None):
    """Backpropagation through time: gradients of the whole sequence, walking time in reverse. Chapter 07.

    dh[:, t] is the gradient of the loss with respect to h_t along the paths that do not go
    through h_{t+1}: for a language model, what flows back from the output at step t.

    Full BPTT (truncate=None): at step t the gradient on h_t is dh[:, t] plus the gradient
    carried back from step t + 1; rnn_step_backward turns it into this step's share of dx,
    dWx, dWh, db, and into the gradient carried on to step t - 1. dWx, dWh and db are summed
    over the steps.

    Truncated BPTT (truncate=k, a whole number >= 1): the loss term of step t (the one whose
    gradient is dh[:, t]) is followed back through the k steps t, t-1, ..., t-k+1 only; for
    that term h_{t-k} is a constant (h0 is an input and is never cut: a term whose k steps
    reach step 0 gives h0 its gradient). The result is exactly the gradient of that truncated
    objective. truncate=1: no gradient is carried from a step to the one before it;
    truncate >= T: the full gradient. Cost: carrying min(k, T) gradients instead of one, and the
    same memory as full BPTT.

    Inputs:
        dh: (N, T, H) upstream gradients on the hidden states.
        cache: RNNCache from rnn_forward.
        truncate: None for full BPTT, or k >= 1.
    Returns:
        dx: (N, T, D), dh0: (N, H), dWx: (D, H), dWh: (H, H), db: (H,), in the order of
        rnn_forward's inputs.
    """
    _check_cache(cache, RNNCache, "rnn_forward")
    dh_arr = as_float_array(dh, "dh")
    check_shape(dh_arr, cache.h.shape, "dh (the gradient of the loss with respect to every h_t)")
    if truncate is None:
        return _full_bptt(dh_arr, cache)
    return _truncated_bptt(dh_arr, cache, _positive_int(truncate, "truncate"))


def _full_bptt(dh: np.ndarray, cache: RNNCache):
    T = cache.h.shape[1]
    dx = np.empty_like(cache.x)  # (N, T, D)
    dWx, dWh, db = np.zeros_like(cache.Wx), np.zeros_like(cache.Wh), np.zeros(cache.Wh.shape[0])
    dh_carried = np.zeros_like(cache.h0)  # (N, H): the gradient on h_t that arrives from step t + 1
    for t in reversed(range(T)):
        dx[:, t], dh_carried, dWx_t, dWh_t, db_t = _step_backward(dh[:, t] + dh_carried, _step_cache(cache, t))
        dWx += dWx_t  # shared weights: sum every step's share
        dWh += dWh_t
        db += db_t
    return dx, dh_carried, dWx, dWh, db  # after step 0, the carried gradient is the one on h0


def _truncated_bptt(dh: np.ndarray, cache: RNNCache, k: int):
    N, T, H = cache.h.shape
    ages = min(k, T)  # with k >= T no term is ever cut
    dx = np.empty_like(cache.x)  # (N, T, D)
    dWx, dWh, db = np.zeros_like(cache.Wx), np.zeros_like(cache.Wh), np.zeros(H)
    # Each loss term is tracked separately, by how many steps it has walked back:
    # carried[a] is the gradient on h_t from the loss term of step t + a.
    carried = np.zeros((ages, N, H))
    dh0 = np.zeros((N, H))
    for t in reversed(range(T)):
        step = _step_cache(cache, t)
        carried[0] = dh[:, t]  # the term of step t starts here
        dZ = carried * (1.0 - step.h_next * step.h_next)  # (ages, N, H): each term through tanh
        dz = dZ.sum(axis=0)  # (N, H): the weights and x_t see all live terms together
        dx[:, t] = dz @ step.Wx.T  # (N, D)
        dWx += step.x_t.T @ dz  # (D, H)
        dWh += step.h_prev.T @ dz  # (H, H)
        db += dz.sum(axis=0)  # (H,)
        to_prev = dZ @ step.Wh.T  # (ages, N, H): each term's gradient on h_{t-1}
        if t == 0:
            dh0 = to_prev.sum(axis=0)  # h0 is never cut
        else:
            # one step older; the term at age k - 1 has now walked its k steps and stops here
            carried[1:] = to_prev[:-1]
    return dx, dh0, dWx, dWh, db


def rnn_chunked_bptt(
    x,
    h0,
    Wx,
    Wh,
    b,
    window: int,
    head: Callable[[np.ndarray, int], tuple[float, np.ndarray]],
    on_window: Callable[[int, RNNCache], None] | None = None,
):
    """Truncated BPTT in windows: memory that grows with the window, not the sequence. Chapter 07.

    The sequence is cut into consecutive windows of `window` steps (the last may be shorter).
    For each window: run rnn_forward from the state the previous window ended in, let `head`
    turn the window's hidden states into a loss and its gradient dh, run full BPTT inside the
    window, and add the window's dWx, dWh, db. The state handed to the next window is a
    constant: no gradient crosses a window boundary. The result is exactly the gradient of
    the sum of the window losses with every window's starting state held fixed. Only the
    current window's cache is alive at any time.

    Inputs:
        x: (N, T, D) the whole input sequence.
        h0: (N, H) the state before the first step.
        Wx: (D, H), Wh: (H, H), b: (H,) the weights (read, never changed).
        window: k, the number of steps per window, a whole number >= 1.
        head: head(h_window, start) -> (loss, dh_window), with h_window: (N, w, H) the window's
            hidden states, start the time index of its first step, loss a number and
            dh_window: (N, w, H) the gradient of that loss with respect to h_window. A head
            with weights of its own (an output layer) accumulates their gradients itself.
        on_window: optional on_window(start, cache), called after each window's backward with
            that window's RNNCache (to inspect what is stored).
    Returns:
        loss: the sum of the window losses, a float.
        grads: {"Wx": (D, H), "Wh": (H, H), "b": (H,)} summed over the windows.
        h_last: (N, H) the state after the last step (to carry on to a following sequence).
    """
    Wx_arr, Wh_arr, b_arr = _weights(Wx, Wh, b)
    D, H = Wx_arr.shape
    # NaN is checked window by window (by rnn_forward): checking all of x here would allocate
    # an (N, T, D) temporary, and memory would grow with T after all
    x_arr = _sequence(x, D, allow_nan=True)
    N, T, _ = x_arr.shape
    h_start = _state(h0, N, H, "h0")
    window = _positive_int(window, "window")
    if not callable(head):
        raise ValueError(f"head: expected a function head(h_window, start) -> (loss, dh_window), got {_describe(head)}")
    if on_window is not None and not callable(on_window):
        raise ValueError(f"on_window: expected a function on_window(start, cache), got {_describe(on_window)}")
    grads = {"Wx": np.zeros_like(Wx_arr), "Wh": np.zeros_like(Wh_arr), "b": np.zeros(H)}
    total = 0.0
    for start in range(0, T, window):
        h, cache = rnn_forward(x_arr[:, start : start + window], h_start, Wx_arr, Wh_arr, b_arr)  # h: (N, w, H)
        answer = head(h, start)
        if not (isinstance(answer, tuple) and len(answer) == 2):
            raise ValueError(f"head: expected it to return (loss, dh_window), got {_describe(answer)}")
        window_loss, dh = answer
        _, _, dWx, dWh, db = rnn_backward(dh, cache)
        grads["Wx"] += dWx
        grads["Wh"] += dWh
        grads["b"] += db
        total += float(window_loss)
        if on_window is not None:
            on_window(start, cache)
        h_start = h[:, -1].copy()  # (N, H), a constant for the next window (a copy: h itself is freed)
        del h, cache, dh, answer  # keep no reference to this window's arrays while the next one runs
    return total, grads, h_start


# ---- output layer and loss of a language model -------------------------------------------------


class DenseOverTimeCache(NamedTuple):
    """What dense_over_time_backward needs. Chapter 07.

    Fields:
        dense: the DenseCache of the (N * T, H) batch that the dense layer saw.
        N, T: the batch and time sizes, to restore the shapes.
    """

    dense: DenseCache
    N: int
    T: int


def dense_over_time_forward(h, Wy, by):
    """The same dense layer at every time step: y_t = h_t Wy + by. Chapter 07.

    The N * T hidden states are stacked into one (N * T, H) batch, so this is
    bplib.layers.dense_forward applied once.

    Inputs:
        h: (N, T, H) hidden states.
        Wy: (H, V) output weights; by: (V,) output bias.
    Returns:
        y: (N, T, V) the outputs (logits, for a language model).
        cache: DenseOverTimeCache.
    """
    h_arr = as_float_array(h, "h")
    Wy_arr = as_float_array(Wy, "Wy")
    if Wy_arr.ndim != 2:
        raise ValueError(f"Wy: expected a 2-d output matrix of shape (H, V), got shape {Wy_arr.shape}")
    check_batch(h_arr, "h", ("N", "T", "H"), (None, None, Wy_arr.shape[0]))
    N, T, H = h_arr.shape
    y, dense_cache = dense_forward(h_arr.reshape(N * T, H), Wy_arr, by)  # (N * T, V)
    return y.reshape(N, T, -1), DenseOverTimeCache(dense=dense_cache, N=N, T=T)


def dense_over_time_backward(dy, cache: DenseOverTimeCache):
    """Gradients of the per-step dense layer; dWy and dby are summed over batch and time. Chapter 07.

    Inputs:
        dy: (N, T, V) gradient of the loss with respect to y.
        cache: DenseOverTimeCache from dense_over_time_forward.
    Returns:
        dh: (N, T, H), dWy: (H, V), dby: (V,).
    """
    _check_cache(cache, DenseOverTimeCache, "dense_over_time_forward")
    N, T = cache.N, cache.T
    V = cache.dense.W.shape[1]
    dy_arr = as_float_array(dy, "dy")
    check_shape(dy_arr, (N, T, V), "dy (the gradient of the loss with respect to y)")
    dh, dWy, dby = dense_backward(dy_arr.reshape(N * T, V), cache.dense)
    return dh.reshape(N, T, -1), dWy, dby


class SoftmaxCrossEntropyOverTimeCache(NamedTuple):
    """What softmax_cross_entropy_over_time_backward needs. Chapter 07.

    Fields:
        flat: the bplib.losses.SoftmaxCrossEntropyCache of the (N * T, V) logits.
        shape: (N, T, V).
    """

    flat: losses.SoftmaxCrossEntropyCache
    shape: tuple


def _targets(targets, N: int, T: int, V: int, name: str = "targets") -> np.ndarray:
    """Integer class indices of shape (N, T) in [0, V), or a ValueError."""
    if isinstance(targets, (str, bytes)) or targets is None:
        raise ValueError(f"{name}: expected integer class indices of shape ({N}, {T}), got {_describe(targets)}")
    arr = np.asarray(targets)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected integer class indices of an integer dtype, got {_describe(arr)}")
    if arr.shape != (N, T):
        raise ValueError(f"{name}: expected shape (N, T) = ({N}, {T}), got shape {arr.shape}")
    if arr.min() < 0 or arr.max() >= V:
        raise ValueError(f"{name}: expected class indices in [0, {V}), got values from {arr.min()} to {arr.max()}")
    return arr


def softmax_cross_entropy_over_time_forward(y, targets):
    """Softmax cross-entropy at every step, averaged over all N * T predictions. Chapter 07.

    L = -(1 / (N T)) sum_n sum_t log softmax(y[n, t])[targets[n, t]]

    Inputs:
        y: (N, T, V) logits.
        targets: (N, T) integer class indices in [0, V) (for a language model, the next character).
    Returns:
        loss: a float, in nats per prediction.
        cache: SoftmaxCrossEntropyOverTimeCache.
    """
    y_arr = as_float_array(y, "y")
    if y_arr.ndim != 3 or 0 in y_arr.shape:
        raise ValueError(f"y: expected logits of shape (N, T, V) with N, T, V >= 1, got shape {y_arr.shape}")
    N, T, V = y_arr.shape
    labels = _targets(targets, N, T, V)
    loss, flat = losses.softmax_cross_entropy_forward(y_arr.reshape(N * T, V), labels.reshape(N * T))
    return loss, SoftmaxCrossEntropyOverTimeCache(flat=flat, shape=(N, T, V))


def softmax_cross_entropy_over_time_backward(dout=1.0, cache: SoftmaxCrossEntropyOverTimeCache | None = None):
    """Gradient with respect to the logits: dout * (softmax(y) - onehot(targets)) / (N T). Chapter 07.

    Inputs:
        dout: a number, the upstream gradient (1.0 when this loss is the end).
        cache: SoftmaxCrossEntropyOverTimeCache from softmax_cross_entropy_over_time_forward.
    Returns:
        dy: (N, T, V).
    """
    _check_cache(cache, SoftmaxCrossEntropyOverTimeCache, "softmax_cross_entropy_over_time_forward")
    return losses.softmax_cross_entropy_backward(dout, cache.flat).reshape(cache.shape)


# ---- gradient clipping -------------------------------------------------------------------------


def _grad_arrays(grads, name: str = "grads") -> dict[str, np.ndarray]:
    if not isinstance(grads, Mapping):
        raise ValueError(f"{name}: expected a dict name -> gradient array, got {_describe(grads)}")
    return {key: as_float_array(g, f"{name}[{key!r}]") for key, g in grads.items()}


def _norm(arrays) -> float:
    return math.sqrt(sum(float(np.sum(g * g)) for g in arrays))


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """The norm of all gradients together, sqrt(sum over every entry of every array of g**2). Chapter 07.

    Inputs:
        grads: name -> gradient array, any shapes.
    Returns:
        a float >= 0 (0.0 for an empty dict).
    """
    return _norm(_grad_arrays(grads).values())


def clip_by_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Rescale all gradients together so that their global norm is at most max_norm. Chapter 07.

    If the global norm n exceeds max_norm, every array is multiplied by max_norm / n: the
    direction of the whole update is kept and its length becomes max_norm. Otherwise the
    gradients are returned unchanged (as copies).

    Inputs:
        grads: name -> gradient array, any shapes; never modified.
        max_norm: a finite number > 0.
    Returns:
        clipped: name -> a new array of the same shape.
        total_norm: the global norm before clipping (see global_norm), a float.
    """
    max_norm = _positive_real(max_norm, "max_norm")
    arrays = _grad_arrays(grads)
    total_norm = _norm(arrays.values())
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    return {key: g * scale for key, g in arrays.items()}, total_norm


def clip_by_value(grads: Mapping[str, np.ndarray], limit: float) -> dict[str, np.ndarray]:
    """Clip every gradient entry to [-limit, limit]. Chapter 07.

    Unlike clip_by_norm this can change the direction of the update: only the large
    entries shrink.

    Inputs:
        grads: name -> gradient array, any shapes; never modified.
        limit: a finite number > 0.
    Returns:
        name -> a new array of the same shape.
    """
    limit = _positive_real(limit, "limit")
    return {key: np.clip(g, -limit, limit) for key, g in _grad_arrays(grads).items()}


# ---- the vanishing / exploding gradient probe ----------------------------------------------------

# activation name -> (f, f' written in terms of z)
_PROBE_ACTIVATIONS = {
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (act.sigmoid, act.sigmoid_prime),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),
    "linear": (lambda z: z, np.ones_like),
}


def gradient_through_time(
    Wh_scale: float, T: int, H: int, rng: np.random.Generator, activation: str = "tanh", input_scale: float = 1.0
) -> np.ndarray:
    """How the gradient of a loss at the last step shrinks or grows going back in time. Chapter 07.

    A random RNN with no learning: Wh = Wh_scale * G / sqrt(H), G an (H, H) matrix of standard
    normal entries (so Wh's eigenvalues fill a disc of radius about Wh_scale), and inputs
    u_t ~ Normal(0, input_scale**2) in place of x_t Wx + b:
        h_t = f(h_{t-1} Wh + u_t),  t = 1 .. T,  h_0 = 0.
    Returns, for each distance d = 0 .. T-1,
        g[d] = ||dh_T / dh_{T-d}||_F / sqrt(H),
    the Frobenius norm of the Jacobian, scaled so that g[0] = 1. It is the root-mean-square of
    ||dL/dh_{T-d}|| over losses L = v . h_T with v a random unit vector: the size of the
    gradient that the loss at step T sends d steps back. With tanh and Wh_scale < 1 it decays
    roughly geometrically (vanishing); with "linear" and Wh_scale > 1 it grows (exploding).

    Inputs:
        Wh_scale: a finite number >= 0.
        T: the number of steps, a whole number >= 1.
        H: the hidden size, a whole number >= 1.
        rng: a numpy Generator, the only randomness (draws G, then the inputs).
        activation: "tanh", "sigmoid", "relu" or "linear".
        input_scale: the standard deviation of the inputs, >= 0 (larger saturates tanh more).
    Returns:
        g: (T,) with g[0] = 1; g[d] belongs to h_{T-d}.
    """
    is_real = isinstance(Wh_scale, numbers.Real) and not isinstance(Wh_scale, bool)
    if not is_real or not math.isfinite(Wh_scale) or Wh_scale < 0:
        raise ValueError(f"Wh_scale: expected a finite number >= 0, got {Wh_scale!r}")
    T, H = _positive_int(T, "T"), _positive_int(H, "H")
    _check_rng(rng)
    if activation not in _PROBE_ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(_PROBE_ACTIVATIONS)}, got {activation!r}")
    is_real = isinstance(input_scale, numbers.Real) and not isinstance(input_scale, bool)
    if not is_real or not math.isfinite(input_scale) or input_scale < 0:
        raise ValueError(f"input_scale: expected a finite number >= 0, got {input_scale!r}")
    f, f_prime = _PROBE_ACTIVATIONS[activation]
    Wh = Wh_scale * rng.standard_normal((H, H)) / math.sqrt(H)  # (H, H)
    u = input_scale * rng.standard_normal((T, H))  # (T, H), one row per step
    z = np.empty((T, H))  # z[t - 1] is step t's pre-activation
    h = np.zeros(H)
    with np.errstate(over="ignore", invalid="ignore"):  # "linear" with a large scale may overflow: g becomes inf
        for t in range(T):
            z[t] = h @ Wh + u[t]
            h = f(z[t])
        # dh_t/dh_{t-1}[i, j] = dh_t[i]/dh_{t-1}[j] = f'(z_t)[i] * Wh[j, i], i.e. diag(f'(z_t)) Wh^T
        g = np.empty(T)
        jacobian = np.eye(H)  # dh_T / dh_{T-d}, starting at d = 0
        for d in range(T):
            g[d] = np.linalg.norm(jacobian) / math.sqrt(H)
            jacobian = jacobian @ (f_prime(z[T - 1 - d])[:, None] * Wh.T)  # one step further back
    return g


# ---- a character-level language model ----------------------------------------------------------


@dataclass
class TrainHistory:
    """What CharRNN.train recorded, one entry per step. Chapter 07.

    Fields:
        loss: the step's mean cross-entropy in nats per character, before its update.
        grad_norm: the global norm of the step's gradient before clipping.
        clipped: whether clipping changed the step's gradient.
        status: "finished", "stopped" (the callback returned True) or "diverged" (a parameter,
            the loss or the gradient stopped being finite; that step is recorded, with nan for
            what could not be computed, and no update is made).
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    clipped: list[bool] = field(default_factory=list)
    status: str = "running"

    @property
    def steps(self) -> int:
        """The number of steps recorded. Chapter 07."""
        return len(self.loss)


class CharRNN:
    """A character-level language model: one-hot characters -> vanilla RNN -> softmax over the next. Chapter 07.

    CharRNN(vocab, H, rng):
        vocab: the V distinct characters, a list of 1-character strings or a str, e.g. the
            chars of bplib.text.char_vocab(text); character i is one-hot column i.
        H: the hidden size, a whole number >= 1.
        rng: a numpy Generator; the only randomness of the initialisation.
    Model, for inputs x_t = onehot(character t):
        h_t = tanh(x_t Wx + h_{t-1} Wh + b),   y_t = h_t Wy + by,   p_t = softmax(y_t),
    trained to give the next character a high probability (softmax cross-entropy,
    averaged over all N * T predictions).
    Attributes:
        params: {"Wx": (V, H), "Wh": (H, H), "b": (H,), "Wy": (H, V), "by": (V,)}, float64
            arrays read at call time (an optimizer or a gradient check may change them in place).
        chars: list of the V characters; char_to_index: dict character -> index.
    Initialisation: Wx and Wy normal with Glorot's std (bplib.layers.init_std), Wh normal with
    std 1 / sqrt(H) times 0.5 (eigenvalues in a disc of radius about 0.5: the early
    gradients neither explode nor vanish at once), biases 0.
    """

    def __init__(self, vocab: Sequence[str] | str, H: int, rng: np.random.Generator):
        self.chars = self._check_vocab(vocab)
        self.char_to_index = {c: i for i, c in enumerate(self.chars)}
        H = _positive_int(H, "H")
        _check_rng(rng)
        V = len(self.chars)
        self.params = {
            "Wx": rng.normal(0.0, init_std(V, H), size=(V, H)),
            "Wh": rng.normal(0.0, 0.5 / math.sqrt(H), size=(H, H)),
            "b": np.zeros(H),
            "Wy": rng.normal(0.0, init_std(H, V), size=(H, V)),
            "by": np.zeros(V),
        }

    @staticmethod
    def _check_vocab(vocab) -> list[str]:
        if isinstance(vocab, str):
            vocab = list(vocab)
        if not isinstance(vocab, Sequence) or not all(isinstance(c, str) and len(c) == 1 for c in vocab):
            raise ValueError(f"vocab: expected a list of 1-character strings (or a str), got {_describe(vocab)}")
        if len(vocab) < 2:
            raise ValueError(f"vocab: expected at least 2 characters, got {len(vocab)}")
        if len(set(vocab)) != len(vocab):
            repeated = sorted({c for c in vocab if vocab.count(c) > 1})
            raise ValueError(f"vocab: expected distinct characters, got repeats of {repeated}")
        return list(vocab)

    @property
    def V(self) -> int:
        """The vocabulary size. Chapter 07."""
        return len(self.chars)

    @property
    def H(self) -> int:
        """The hidden size. Chapter 07."""
        return self.params["Wh"].shape[0]

    def encode(self, text: str) -> np.ndarray:
        """Characters -> indices. Chapter 07.

        Inputs:
            text: a str of characters from the vocabulary.
        Returns:
            (len(text),) int64 indices.
        """
        if not isinstance(text, str):
            raise ValueError(f"text: expected a str, got {_describe(text)}")
        unknown = sorted(set(text) - set(self.char_to_index))
        if unknown:
            raise ValueError(f"text: expected only characters of the model's vocabulary, got {unknown[:10]!r}")
        return np.array([self.char_to_index[c] for c in text], dtype=np.int64)

    def decode(self, indices) -> str:
        """Indices -> characters. Chapter 07.

        Inputs:
            indices: 1-d integers in [0, V).
        Returns:
            the str of those characters.
        """
        arr = np.asarray(indices)
        if arr.ndim != 1:
            raise ValueError(f"indices: expected a 1-d sequence of character indices, got shape {arr.shape}")
        if arr.size == 0:
            return ""
        return "".join(self.chars[i] for i in _targets(arr[None], 1, arr.size, self.V, "indices")[0])

    def _one_hot(self, indices: np.ndarray) -> np.ndarray:
        """(N, T) indices -> (N, T, V) one-hot rows."""
        return np.eye(self.V)[indices]

    def _check_batch(self, inputs, targets, h0):
        try:
            inputs_arr = None if isinstance(inputs, (str, bytes)) else np.asarray(inputs)
        except (ValueError, TypeError):  # ragged nested lists
            inputs_arr = None
        if inputs_arr is None or inputs_arr.ndim != 2 or 0 in inputs_arr.shape:
            shape = getattr(inputs_arr, "shape", None)
            raise ValueError(
                f"inputs: expected character indices of shape (N, T) with N, T >= 1, got "
                f"{_describe(inputs) if shape is None else f'shape {shape}'}"
            )
        N, T = inputs_arr.shape
        inputs_arr = _targets(inputs_arr, N, T, self.V, "inputs")
        targets_arr = _targets(targets, N, T, self.V, "targets")
        h0_arr = np.zeros((N, self.H)) if h0 is None else _state(h0, N, self.H, "h0")
        return inputs_arr, targets_arr, h0_arr

    def _forward(self, inputs, targets, h0):
        inputs_arr, targets_arr, h0_arr = self._check_batch(inputs, targets, h0)
        p = self.params
        h, rnn_cache = rnn_forward(self._one_hot(inputs_arr), h0_arr, p["Wx"], p["Wh"], p["b"])  # (N, T, H)
        y, out_cache = dense_over_time_forward(h, p["Wy"], p["by"])  # (N, T, V)
        loss, loss_cache = softmax_cross_entropy_over_time_forward(y, targets_arr)
        return loss, h, (rnn_cache, out_cache, loss_cache)

    def loss(self, inputs, targets, h0=None) -> float:
        """The mean cross-entropy of predicting targets from inputs, nats per character. Chapter 07.

        Inputs:
            inputs: (N, T) integer character indices; targets: (N, T), usually inputs shifted by one.
            h0: (N, H) the initial state, or None for zeros.
        Returns:
            a float.
        """
        return self._forward(inputs, targets, h0)[0]

    def loss_and_grads(self, inputs, targets, h0=None, truncate=None, clip=None, clip_value=None):
        """The loss and the gradient of every parameter, by (optionally truncated) BPTT. Chapter 07.

        Inputs:
            inputs: (N, T) integer character indices; targets: (N, T) the characters to predict.
            h0: (N, H) the initial state, or None for zeros.
            truncate: None (full BPTT) or k >= 1, as in rnn_backward.
            clip_value: None or a limit: every entry is clipped to [-limit, limit] (clip_by_value).
            clip: None or a max_norm: then the global norm is clipped (clip_by_norm), after clip_value.
        Returns:
            loss: a float, as loss().
            grads: {"Wx": (V, H), "Wh": (H, H), "b": (H,), "Wy": (H, V), "by": (V,)}.
            h_last: (N, H) the state after the last step, to start the next window from.
        """
        loss, h, (rnn_cache, out_cache, loss_cache) = self._forward(inputs, targets, h0)
        dy = softmax_cross_entropy_over_time_backward(1.0, loss_cache)  # (N, T, V)
        dh, dWy, dby = dense_over_time_backward(dy, out_cache)  # dh: (N, T, H)
        _, _, dWx, dWh, db = rnn_backward(dh, rnn_cache, truncate=truncate)
        grads = {"Wx": dWx, "Wh": dWh, "b": db, "Wy": dWy, "by": dby}
        if clip_value is not None:
            grads = clip_by_value(grads, clip_value)
        if clip is not None:
            grads, _ = clip_by_norm(grads, clip)
        return loss, grads, h[:, -1].copy()

    def evaluate(self, text: str) -> float:
        """The mean cross-entropy of predicting each character of text from those before it. Chapter 07.

        One pass from a zero state over the whole text, nats per character (ln V for a model
        that knows nothing; lower is better).

        Inputs:
            text: a str of at least 2 vocabulary characters.
        Returns:
            a float.
        """
        data = self.encode(text)
        if data.size < 2:
            raise ValueError(f"text: expected at least 2 characters to predict one from another, got {data.size}")
        return self.loss(data[None, :-1], data[None, 1:])

    def train(
        self,
        text: str,
        seq_len: int,
        steps: int,
        lr: float | None = None,
        optimizer=None,
        *,
        rng: np.random.Generator,
        clip: float | None = None,
        clip_value: float | None = None,
        callback: Callable[[int, TrainHistory], bool | None] | None = None,
        batch_size: int = 1,
        truncate: int | None = None,
    ) -> TrainHistory:
        """Train on a text by truncated BPTT in windows of seq_len characters. Chapter 07.

        batch_size reading positions start at random places in the text. Each step reads the
        next seq_len characters at every position (targets: the characters one further on),
        computes loss_and_grads from the state the previous window ended in, clips, and
        updates; the positions then move on by seq_len. The state is carried as a constant,
        so gradients never cross a window boundary and memory grows with seq_len only. A
        position that would run past the end restarts at a random place with a zero state.

        Inputs:
            text: the training text (its characters must be in the vocabulary), longer than seq_len.
            seq_len: characters per window, a whole number >= 1.
            steps: the number of updates, a whole number >= 1.
            lr: the learning rate of plain SGD; give either lr or optimizer.
            optimizer: an object with step(params, grads), e.g. bplib.optim.Momentum(lr=0.1).
            rng: a numpy Generator (keyword); the only randomness, so a seed gives the same History.
            clip, clip_value: as in loss_and_grads (by global norm, by value), or None.
            callback: optional callback(step, history), step counting from 0; returning True stops.
            batch_size: the number of reading positions, a whole number >= 1.
            truncate: None, or k < seq_len for exact TBPTT(k) inside each window (rnn_backward).
        Returns:
            TrainHistory with one entry per step and status "finished", "stopped" or "diverged".
        """
        data = self.encode(text)
        seq_len = _positive_int(seq_len, "seq_len")
        steps = _positive_int(steps, "steps")
        batch_size = _positive_int(batch_size, "batch_size")
        _check_rng(rng)
        if data.size < seq_len + 1:
            raise ValueError(f"text: expected more than seq_len = {seq_len} characters, got {data.size}")
        if (lr is None) == (optimizer is None):
            raise ValueError("lr, optimizer: expected exactly one of them (lr for plain SGD, or an optimizer)")
        if optimizer is None:
            optimizer = SGD(lr)
        elif not callable(getattr(optimizer, "step", None)):
            raise ValueError(f"optimizer: expected an object with step(params, grads), got {_describe(optimizer)}")
        if clip is not None:
            _positive_real(clip, "clip")
        if clip_value is not None:
            _positive_real(clip_value, "clip_value")
        if callback is not None and not callable(callback):
            raise ValueError(f"callback: expected a function callback(step, history), got {_describe(callback)}")

        history = TrainHistory()
        last_start = data.size - seq_len - 1  # the last position whose window and targets fit
        positions = rng.integers(0, last_start + 1, size=batch_size)  # (batch_size,)
        h = np.zeros((batch_size, self.H))
        offsets = np.arange(seq_len)
        for step in range(steps):
            window = positions[:, None] + offsets  # (batch_size, seq_len) indices into data
            if not all(np.all(np.isfinite(p)) for p in self.params.values()):  # an earlier update blew up
                loss, norm = math.nan, math.nan
            else:
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected below
                    loss, grads, h = self.loss_and_grads(data[window], data[window + 1], h, truncate=truncate)
                norm = _norm(grads.values())
            history.loss.append(loss)
            history.grad_norm.append(norm)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                history.clipped.append(False)
                history.status = "diverged"
                return history
            clipped = grads
            if clip_value is not None:
                clipped = clip_by_value(clipped, clip_value)
            if clip is not None:
                clipped, _ = clip_by_norm(clipped, clip)
            history.clipped.append(any(not np.array_equal(clipped[name], grads[name]) for name in grads))
            optimizer.step(self.params, clipped)
            positions += seq_len
            ended = positions > last_start
            if np.any(ended):
                positions[ended] = rng.integers(0, last_start + 1, size=int(ended.sum()))
                h[ended] = 0.0
            if callback is not None and _says_stop(callback(step, history)):
                history.status = "stopped"
                return history
        history.status = "finished"
        return history

    def sample(self, seed_text: str, n_chars: int, rng: np.random.Generator, temperature: float = 1.0) -> str:
        """Generate text one character at a time, feeding each choice back in. Chapter 07.

        The seed is read from a zero state; then each next character is drawn from
        softmax(y / temperature) with rng. The same Generator state gives the same text.

        Inputs:
            seed_text: a non-empty str of vocabulary characters.
            n_chars: how many characters to generate, a whole number >= 0.
            rng: a numpy Generator, the only randomness.
            temperature: > 0; below 1 sharpens the distribution (safer, more repetitive), above 1 flattens it.
        Returns:
            the n_chars generated characters (the seed not included), a str.
        """
        seed = self.encode(seed_text)
        if seed.size == 0:
            raise ValueError("seed_text: expected at least one character to start from, got an empty str")
        if isinstance(n_chars, bool) or not isinstance(n_chars, numbers.Integral) or n_chars < 0:
            raise ValueError(f"n_chars: expected a whole number >= 0, got {n_chars!r}")
        _check_rng(rng)
        temperature = _positive_real(temperature, "temperature")
        p = self.params
        eye = np.eye(self.V)
        h = np.zeros((1, self.H))
        for index in seed:
            h = np.tanh(eye[index][None] @ p["Wx"] + h @ p["Wh"] + p["b"])  # (1, H)
        out = []
        for _ in range(n_chars):
            probs = act.softmax((h @ p["Wy"] + p["by"])[0] / temperature)  # (V,)
            index = int(rng.choice(self.V, p=probs))
            out.append(self.chars[index])
            h = np.tanh(eye[index][None] @ p["Wx"] + h @ p["Wh"] + p["b"])
        return "".join(out)

    def __repr__(self) -> str:
        return f"CharRNN(V={self.V}, H={self.H})"


def _says_stop(answer) -> bool:
    """A callback stops training by returning True (numpy's True too); anything else continues."""
    return isinstance(answer, (bool, np.bool_)) and bool(answer)
