"""A vanilla recurrent network and backpropagation through time (introduced in chapter 07).

Row convention, batch first. A batch of N sequences of T steps with D features is x: (N, T, D);
the hidden state is h: (N, H). One step of the recurrence is

    h_t = tanh(x_t Wx + h_{t-1} Wh + b)        Wx: (D, H), Wh: (H, H), b: (H,)

starting from a given h0 (= h_{-1}; steps count t = 0 .. T-1). The same Wx, Wh and b are used at
every step, so the sequence is one deep network whose layers share their weights.

Backpropagation through time (BPTT) is the ordinary backward pass of that unrolled network: walk
the steps in reverse; the gradient on h_t is what the loss at step t sends plus what step t + 1
carries back; each step adds its share to dWx, dWh and db (a shared weight's gradient is the sum
over its uses). Truncated BPTT with k steps follows the loss term of step t back through the steps
t .. t-k+1 only. Both are written once, in _bptt, for any recurrent step (chapter 08's LSTM uses
it too). Also here: windowed BPTT (rnn_chunked_bptt) and gradient clipping. Each public function
checks its input, then calls its plain twin (_rnn_forward, ...), which models, probes and checks call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from bplib._validate import (
    _describe,
    as_float_array,
    check_batch,
    check_cache,
    check_shape,
    positive_int,
    positive_real,
)

__all__ = ["RNNStepCache", "rnn_step_forward", "rnn_step_backward", "RNNCache", "rnn_forward", "rnn_backward",
           "rnn_chunked_bptt", "global_norm", "clip_by_norm", "clip_by_value"]


def _weights(Wx, Wh, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wx: (D, H), Wh: (H, H), b: (H,) as float64, or a ValueError naming the mismatch."""
    Wx, Wh, b = as_float_array(Wx, "Wx"), as_float_array(Wh, "Wh"), as_float_array(b, "b")
    if Wx.ndim != 2:
        raise ValueError(f"Wx: expected a 2-d input-to-hidden matrix of shape (D, H), got shape {Wx.shape}")
    if Wh.shape != (Wx.shape[1],) * 2:
        raise ValueError(f"Wh: expected a square hidden-to-hidden matrix of shape (H, H) = {(Wx.shape[1],) * 2} to "
                         f"match Wx of shape {Wx.shape}, got shape {Wh.shape}")
    check_shape(b, (Wx.shape[1],), "b")
    return Wx, Wh, b


def _state(h, N: int, H: int, name: str) -> np.ndarray:
    """A state (N, H) as float64, or a ValueError (with a hint for a single sequence). Also the LSTM's."""
    h = as_float_array(h, name)
    if h.shape != (N, H):
        hint = f" (for one sequence, pass {name}.reshape(1, -1))" if h.shape == (H,) else ""
        raise ValueError(f"{name}: expected a state of shape (N, H) = ({N}, {H}), got shape {h.shape}{hint}")
    return h


def _sequence(x, D: int, allow_nan: bool = False) -> np.ndarray:
    """A batch of sequences x: (N, T, D) with N, T >= 1, as float64 (finite unless allow_nan). Also the LSTM's."""
    x = as_float_array(x, "x", allow_nan=allow_nan)
    if x.ndim == 2:
        raise ValueError(f"x: expected a batch of sequences of shape (N, T, D) = (N, T, {D}), batch first, got "
                         f"shape {x.shape} (for one sequence of T steps, pass x.reshape(1, T, D))")
    check_batch(x, "x", ("N", "T", "D"), (None, None, D))
    return x


# ---- one step ----------------------------------------------------------------------------------


class RNNStepCache(NamedTuple):
    """What rnn_step_backward needs: x_t (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), h_next (N, H). Chapter 07."""

    x_t: np.ndarray
    h_prev: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    h_next: np.ndarray


def _rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    h_next = np.tanh(x_t @ Wx + h_prev @ Wh + b)  # (N, D)@(D, H) + (N, H)@(H, H) + (H,) -> (N, H)
    return h_next, RNNStepCache(x_t, h_prev, Wx, Wh, h_next)


def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    """One step of the vanilla RNN: h_next = tanh(x_t Wx + h_prev Wh + b). Chapter 07.

    Inputs: x_t: (N, D) the inputs at this step; h_prev: (N, H) the state before it (h0 at step 0);
        Wx: (D, H) input-to-hidden, Wh: (H, H) hidden-to-hidden (recurrent) weights; b: (H,).
    Returns: h_next: (N, H), entries in (-1, 1); cache: RNNStepCache(x_t, h_prev, Wx, Wh, h_next).
    """
    Wx, Wh, b = _weights(Wx, Wh, b)
    x_t = as_float_array(x_t, "x_t")
    check_batch(x_t, "x_t", ("N", "D"), (None, Wx.shape[0]))
    return _rnn_step_forward(x_t, _state(h_prev, x_t.shape[0], Wx.shape[1], "h_prev"), Wx, Wh, b)


def _rnn_step_backward(dh_next, cache: RNNStepCache):
    # dh_next may be a stack of loss terms (A, N, H) (_bptt_by_distance): every line works on it as it is
    dz = dh_next * (1.0 - cache.h_next * cache.h_next)  # (N, H): through tanh, tanh'(z) = 1 - h**2
    dx_t = dz @ cache.Wx.T  # (N, H) @ (H, D) -> (N, D)
    dh_prev = dz @ cache.Wh.T  # (N, H) @ (H, H) -> (N, H): carried back to the step before
    dWx = cache.x_t.T @ dz  # (D, N) @ (N, H) -> (D, H)
    dWh = cache.h_prev.T @ dz  # (H, N) @ (N, H) -> (H, H): the state this step read, h_{t-1}
    db = dz.sum(axis=-2)  # (H,): the sum over the N rows
    return dx_t, dh_prev, dWx, dWh, db


def rnn_step_backward(dh_next, cache: RNNStepCache):
    """Gradients of one RNN step with respect to its inputs and weights. Chapter 07.

    With dz = dh_next * (1 - h_next**2), the gradient at the tanh's input z:
        dx_t = dz Wx^T,  dh_prev = dz Wh^T,  dWx = x_t^T dz,  dWh = h_prev^T dz,  db = sum_n dz.
    Inputs: dh_next: (N, H) the gradient of the loss on h_next (all that reaches it); cache: RNNStepCache.
    Returns: dx_t: (N, D), dh_prev: (N, H), dWx: (D, H), dWh: (H, H), db: (H,): forward's inputs' order.
    """
    check_cache(cache, RNNStepCache, "rnn_step_forward")
    dh_next = as_float_array(dh_next, "dh_next")
    check_shape(dh_next, cache.h_next.shape, "dh_next (the gradient of the loss with respect to h_next)")
    return _rnn_step_backward(dh_next, cache)


# ---- backpropagation through time, for any recurrent step (chapters 07 and 08) --------------------


def _bptt(step_back, dh: np.ndarray, n_states: int, truncate: int | None = None):
    """The walk back in time: full BPTT, or truncated to k steps. Chapter 07; chapter 08's LSTM uses it.

    step_back(t, d) is step t's backward pass: given d, the gradients on the states step t produced
    ((dh_t,) for the RNN, (dh_t, dc_t) for the LSTM), it returns dx_t, the gradients on the states
    step t read (a tuple) and step t's share of every weight gradient (a dict). dh: (N, T, H) what
    the loss at each step sends to h_t. Returns dx: (N, T, D), the gradients on the initial states
    and the weight gradients summed over the steps.
    """
    N, T, H = dh.shape
    if truncate is not None and truncate < T:
        dx, d0, by_distance = _bptt_by_distance(step_back, dh, n_states, truncate)
        return dx, d0, {name: shares.sum(axis=0) for name, shares in by_distance.items()}
    dx = [None] * T
    d = (np.zeros((N, H)),) * n_states  # nothing comes after the last step
    for t in reversed(range(T)):
        d = (dh[:, t] + d[0], *d[1:])  # two sources: the loss at step t and what step t + 1 carried back
        dx[t], d, shares = step_back(t, d)
        if t == T - 1:
            grads = shares
        else:
            for name in grads:
                grads[name] += shares[name]  # the same weights at every step: their gradient is the sum
    return np.stack(dx, axis=1), d, grads  # after step 0, d holds the gradients on the initial states


def _bptt_by_distance(step_back, dh: np.ndarray, n_states: int, k: int):
    """Truncated BPTT, keeping each distance's share of the weight gradients apart. Chapter 07.

    Each loss term walks back on its own: d[j][a] is the gradient on state j of the current step
    from the loss term a steps later. The live terms go through step_back together, stacked on a
    leading axis; a term stops after k steps (the initial states are never cut). Returns dx, the
    gradients on the initial states, and name -> (min(k, T), ...) whose entry a sums the pairs (loss
    at step t, weight used at step t - a): their sum over a < k is truncated BPTT's weight gradient.
    """
    N, T, H = dh.shape
    A = min(k, T)
    d = tuple(np.zeros((A, N, H)) for _ in range(n_states))
    dx = [None] * T
    for t in reversed(range(T)):
        live = min(A, T - t)  # the terms of steps t .. t + live - 1 have reached step t
        for j, state in enumerate(d):
            state[0] = dh[:, t] if j == 0 else 0.0  # the loss term of step t starts here
        dx_t, d_prev, shares = step_back(t, tuple(state[:live] for state in d))
        dx[t] = dx_t.sum(axis=0)  # x_t and the weights see all live terms together
        if t == T - 1:
            by_distance = {name: np.zeros((A, *share.shape[1:])) for name, share in shares.items()}
        for name, share in shares.items():
            by_distance[name][:live] += share
        if t == 0:
            d0 = tuple(state.sum(axis=0) for state in d_prev)
        else:
            moved = min(live, A - 1)  # one step older; the term at distance k - 1 stops here
            for state, prev in zip(d, d_prev, strict=True):
                state[1 : moved + 1] = prev[:moved]
    return np.stack(dx, axis=1), d0, by_distance


# ---- a whole sequence --------------------------------------------------------------------------


class RNNCache(NamedTuple):
    """What rnn_backward needs: x (N, T, D), h0 (N, H), Wx, Wh, and the states h (N, T, H); step t's
    cache is rebuilt from them (its h_prev is h[:, t-1], or h0 at t = 0). Chapter 07."""

    x: np.ndarray
    h0: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    h: np.ndarray


def _rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h, h_t = np.empty((N, T, Wh.shape[0])), h0
    for t in range(T):
        h[:, t] = h_t = _rnn_step_forward(x[:, t], h_t, Wx, Wh, b)[0]  # (N, H): h_t
    return h, RNNCache(x, h0, Wx, Wh, h)


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over whole sequences, one step after the other. Chapter 07.

    Inputs: x: (N, T, D), batch first; h0: (N, H) the state h_{-1} before step 0 (often zeros);
        Wx: (D, H), Wh: (H, H), b: (H,), the same at every step.
    Returns: h: (N, T, H) with h[:, t] = h_t; cache: RNNCache(x, h0, Wx, Wh, h).
    """
    Wx, Wh, b = _weights(Wx, Wh, b)
    x = _sequence(x, Wx.shape[0])
    return _rnn_forward(x, _state(h0, x.shape[0], Wx.shape[1], "h0"), Wx, Wh, b)


def _rnn_backward(dh, cache: RNNCache, truncate: int | None = None):
    def step_back(t, d):
        step = RNNStepCache(cache.x[:, t], cache.h0 if t == 0 else cache.h[:, t - 1], cache.Wx, cache.Wh,
                            cache.h[:, t])  # views into the sequence cache
        dx_t, dh_prev, dWx, dWh, db = _rnn_step_backward(d[0], step)
        return dx_t, (dh_prev,), {"Wx": dWx, "Wh": dWh, "b": db}

    dx, (dh0,), grads = _bptt(step_back, dh, 1, truncate)
    return dx, dh0, grads["Wx"], grads["Wh"], grads["b"]


def rnn_backward(dh, cache: RNNCache, truncate: int | None = None):
    """Backpropagation through time, walking the steps in reverse. Chapter 07.

    dh[:, t] is the gradient the loss at step t sends to h_t directly. Full BPTT (truncate None): the
    gradient on h_t is dh[:, t] plus what step t + 1 carries back; dWx, dWh, db sum every step's share.
    truncate=k: the loss term of step t is followed back through the k steps t .. t-k+1 only (h0 is
    never cut), the exact gradient of that truncated objective; k >= T is full BPTT.

    Inputs: dh: (N, T, H); cache: RNNCache from rnn_forward; truncate: None or k >= 1.
    Returns: dx: (N, T, D), dh0: (N, H), dWx: (D, H), dWh: (H, H), db: (H,): forward's inputs' order.
    """
    check_cache(cache, RNNCache, "rnn_forward")
    dh = as_float_array(dh, "dh")
    check_shape(dh, cache.h.shape, "dh (the gradient of the loss with respect to every h_t)")
    return _rnn_backward(dh, cache, None if truncate is None else positive_int(truncate, "truncate"))


def rnn_chunked_bptt(x, h0, Wx, Wh, b, window: int, head: Callable, on_window: Callable | None = None):
    """Truncated BPTT in windows: memory that grows with the window, not the sequence. Chapter 07.

    The sequence is cut into windows of `window` steps (the last may be shorter). For each: run
    rnn_forward from the state the previous window ended in, let head(h_window, start) return
    (loss, dh_window) for the window's states h_window: (N, w, H) starting at step `start`, run full
    BPTT inside the window and add its dWx, dWh, db. The state handed on is a constant: no gradient
    crosses a window boundary. Only the current window's cache (passed to on_window) is alive.

    Inputs: x: (N, T, D); h0: (N, H); Wx: (D, H), Wh: (H, H), b: (H,); window: k >= 1; head; on_window.
    Returns: loss: the sum of the window losses; grads: {"Wx", "Wh", "b"} summed over the windows;
        h_last: (N, H) the state after the last step.
    """
    Wx, Wh, b = _weights(Wx, Wh, b)
    # NaN is checked window by window (rnn_forward): checking all of x would allocate an (N, T, D) temporary
    x = _sequence(x, Wx.shape[0], allow_nan=True)
    h_start = _state(h0, x.shape[0], Wx.shape[1], "h0")
    window = positive_int(window, "window")
    if not callable(head):
        raise ValueError(f"head: expected a function head(h_window, start) -> (loss, dh_window), got {_describe(head)}")
    if on_window is not None and not callable(on_window):
        raise ValueError(f"on_window: expected a function on_window(start, cache), got {_describe(on_window)}")
    grads = {"Wx": np.zeros_like(Wx), "Wh": np.zeros_like(Wh), "b": np.zeros_like(b)}
    total = 0.0
    for start in range(0, x.shape[1], window):
        h, cache = rnn_forward(x[:, start : start + window], h_start, Wx, Wh, b)  # h: (N, w, H)
        answer = head(h, start)
        if not (isinstance(answer, tuple) and len(answer) == 2):
            raise ValueError(f"head: expected it to return (loss, dh_window), got {_describe(answer)}")
        for name, g in zip(grads, rnn_backward(answer[1], cache)[2:], strict=True):
            grads[name] += g  # dWx, dWh, db of this window
        total += float(answer[0])
        if on_window is not None:
            on_window(start, cache)
        h_start = h[:, -1].copy()  # (N, H), a constant for the next window (a copy: h itself is freed)
        del h, cache, answer  # keep no reference to this window's arrays while the next one runs
    return total, grads, h_start


# ---- gradient clipping -------------------------------------------------------------------------


def _grads(grads) -> dict[str, np.ndarray]:  # name -> float64 array, or a ValueError
    if not isinstance(grads, Mapping):
        raise ValueError(f"grads: expected a dict name -> gradient array, got {_describe(grads)}")
    return {name: as_float_array(g, f"grads[{name!r}]") for name, g in grads.items()}


def _global_norm(grads: Mapping[str, np.ndarray]) -> float:
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """The norm of all gradients together, sqrt(sum of g**2 over every entry of every array). Chapter 07.

    Inputs: grads: name -> gradient array, any shapes. Returns: a float >= 0 (0.0 for no arrays)."""
    return _global_norm(_grads(grads))


def _clip_by_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    total = _global_norm(grads)
    scale = max_norm / total if total > max_norm else 1.0  # one factor for all: the direction is kept
    return {name: g * scale for name, g in grads.items()}, total


def clip_by_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Rescale all gradients together so that their global norm is at most max_norm. Chapter 07.

    If the global norm n exceeds max_norm, every array is multiplied by max_norm / n: the update keeps
    its direction, its length becomes max_norm. Otherwise the gradients come back unchanged.

    Inputs: grads: name -> gradient array, never modified; max_norm: a finite number > 0.
    Returns: clipped: name -> a new array of the same shape; total_norm: the global norm before clipping.
    """
    max_norm = positive_real(max_norm, "max_norm")
    return _clip_by_norm(_grads(grads), max_norm)


def clip_by_value(grads: Mapping[str, np.ndarray], limit: float) -> dict[str, np.ndarray]:
    """Clip every entry to [-limit, limit]: unlike clip_by_norm this can turn the update. Chapter 07.

    Inputs: grads: name -> gradient array, never modified; limit: a finite number > 0.
    Returns: name -> a new array of the same shape.
    """
    limit = positive_real(limit, "limit")
    return {name: np.clip(g, -limit, limit) for name, g in _grads(grads).items()}


# Names that moved to the course machinery; notebooks saved earlier import them from here.
_MOVED = {"CharRNN": "bplib.models.charrnn", "gradient_through_time": "bplib.experiments.memory"}


def __getattr__(name):
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
