"""Checks for exercise 07, backprop through time (chapter 07).

Tasks (row convention, batch first; h[:, t] is h_t and h0 is h_{-1}, the state before step 0):
    7.1 rnn_step_backward(dh_next, cache) -> (dx_t, dh_prev, dWx, dWh, db)
            one step h_next = tanh(x_t Wx + h_prev Wh + b); cache is bplib.rnn.RNNStepCache
    7.2 weight_grads_over_time(x, h0, h, delta) -> (dWx, dWh, db)
            the shared weights' gradients, summed over time, from every step's delta_t = dL/dz_t
    7.3 bptt(dh, cache) -> (dx, dh0, dWx, dWh, db)
            full backpropagation through time; cache is bplib.rnn.RNNCache
    7.4 clip_by_global_norm(grads, max_norm) -> (clipped, total_norm)
            rescale all gradients together when their global norm exceeds max_norm

The expected answers come from bplib.rnn (rnn_step_backward, rnn_backward, clip_by_norm) and, for
7.2, from a loop written out here. Cases are chosen so that mistakes show: N, D, H all different
(a transposed Wx fails on shapes), then square sizes (it shows by value); a non-zero h0 (an
off-by-one in time changes step 0); recurrent weights large enough that the carried gradient
matters; gradients above and below the clipping threshold, one array much larger than another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from bplib import rnn
from bplib.checks._core import (
    HiddenCheck,
    OnCases,
    Task,
    Variant,
    Wrong,
    a_type,
    all_close,
    as_number,
    as_numbers,
    call,
    diagnose,
    same,
    seed_from,
    unpack,
)

# Every hint a checker can give for a recognised mistake, by task and mistake.
# Tests feed each mistake to its checker and look for exactly this text.
_TANH_OF_H = (
    "h_next is already tanh(z), so tanh'(z) = 1 - h_next^2. Applying tanh to h_next again takes the slope "
    "at the wrong point."
)
HINTS = {
    "7.1": {
        "not_five": (
            "Return the five gradients as a tuple, in the order of rnn_step_forward's inputs: "
            "return dx_t, dh_prev, dWx, dWh, db."
        ),
        "shape": (
            "Each gradient has the shape of what it belongs to: dx_t (N, D), dh_prev (N, H), dWx (D, H), "
            "dWh (H, H), db (H,)."
        ),
        "order": (
            "Your gradients are in another order: return dx_t, dh_prev, dWx, dWh, db, the order of "
            "rnn_step_forward's inputs x_t, h_prev, Wx, Wh, b."
        ),
        "db_axis": "db has one entry per hidden unit: sum dz over the batch (the rows), shape (H,).",
        "shape_error": (
            "A product failed on shapes. Write them down: dz (N, H), x_t (N, D), Wx (D, H), h_prev (N, H), "
            "Wh (H, H). Going back through x_t Wx multiplies by the transpose of Wx: (N, H) times (H, D) "
            "gives (N, D)."
        ),
        "tanh_prime": (
            "Go through the tanh first: dz is dh_next times tanh'(z) = 1 - h_next^2, and every product then "
            "uses dz, not dh_next."
        ),
        "tanh_of_h": _TANH_OF_H,
        "one_minus_h": "tanh'(z) = 1 - tanh^2(z) = 1 - h_next^2: square h_next.",
        "transposed_Wh": (
            "dh_prev goes back through the transpose of Wh, not through Wh itself. Wh is square, so both have "
            "the right shape; only the numbers show it."
        ),
        "transposed_Wx": (
            "dx_t goes back through the transpose of Wx, not through Wx itself: going back through a product "
            "multiplies by the transpose."
        ),
        "h_next_in_dWh": ("dWh pairs dz with the state this step read, h_prev, not with h_next, the state it wrote."),
        "dW_transposed": (
            "dWh has one row per unit of h_prev, the input side of Wh: the product of dz^T and h_prev is its "
            "transpose. Which factor has to come first?"
        ),
        "other": (
            "Write down the shapes: dh_next, dz and h_prev (N, H), x_t (N, D), Wx (D, H), Wh (H, H). Which of "
            "the five gradients differs? Compare each with the task's equations, starting with dz: all the "
            "others use it."
        ),
    },
    "7.2": {
        "not_three": "Return the three gradients as a tuple: return dWx, dWh, db.",
        "shape": (
            "dWx has the shape of Wx, (D, H); dWh of Wh, (H, H); db of b, (H,): each is summed over the batch "
            "and over time."
        ),
        "db_sum": "db sums delta over the batch and over time, every axis but the last: shape (H,).",
        "shape_error": (
            "A product failed on shapes. Per step: x_t (N, D), h_{t-1} (N, H), delta_t (N, H); "
            "x_t^T delta_t is (D, H) and h_{t-1}^T delta_t is (H, H)."
        ),
        "off_by_one": (
            "Step t read h_{t-1}, not h_t: pair delta[:, t] with h0 at t = 0 and with h[:, t - 1] after that."
        ),
        "no_h0": "At t = 0 the state read is h0, the initial state: its share, with delta_0, belongs in dWh too.",
        "one_step": (
            "A shared weight's gradient is the sum over every step: add each step's share (dWh += ...), "
            "don't keep only one step's."
        ),
        "mean_time": "Sum over time, don't average: a weight used at T steps gets the sum of its T shares.",
        "batch_mean": ("No 1 / N here: delta already carries whatever averaging the loss did. Sum over the batch."),
        "transposed": (
            "dWh = sum over t of h_{t-1}^T delta_t: row i belongs to unit i of the previous state. "
            "delta_t^T h_{t-1} is its transpose."
        ),
        "dWx_shift": "x has no shift: pair delta[:, t] with the input of the same step, x[:, t].",
        "other": (
            "Work T = 1 by hand: dWx is then x_0^T delta_0 and dWh is h0^T delta_0. Does your function agree? "
            "Then check that each later step pairs delta_t with the state it read, h_{t-1}."
        ),
    },
    "7.3": {
        "not_five": (
            "Return the five gradients as a tuple, in the order of rnn_forward's inputs: return dx, dh0, dWx, dWh, db."
        ),
        "shape": (
            "The gradients have the shapes dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,), in that order."
        ),
        "shape_error": (
            "A product failed on shapes. Per step: dz (N, H), x_t (N, D), Wx (D, H), Wh (H, H); dz times the "
            "transpose of Wx is (N, D), and dz times the transpose of Wh, the carried gradient, is (N, H)."
        ),
        "in_place": (
            "dh[:, t] += ... writes into the caller's dh. Add the two gradients into a new array instead, and "
            "leave dh as it is."
        ),
        "no_carry": (
            "h_t gets two gradients: dh[:, t] from the loss at step t, and the one carried back from step "
            "t + 1 (its dz times Wh^T). Add them before going through the tanh."
        ),
        "forward_order": (
            "Walk time in reverse, t = T-1 down to 0: the gradient carried into step t comes from step t + 1, "
            "which must be done first."
        ),
        "off_by_one": (
            "dWh pairs step t's dz with h_{t-1}, the state step t read: h0 at t = 0, h[:, t - 1] after that."
        ),
        "tanh_prime": (
            "Every step goes through its tanh: the sum of the two incoming gradients is multiplied by "
            "1 - h_t^2, and that dz feeds dx, dWx, dWh, db and the carried gradient."
        ),
        "tanh_of_h": _TANH_OF_H.replace("h_next", "h[:, t]"),
        "carry_without_tanh": (
            "The gradient carried to step t - 1 passes through step t's tanh too: compute it from dz, after "
            "the factor 1 - h_t^2, not from the gradient before that factor."
        ),
        "transposed_Wh": (
            "The carried gradient goes back through the transpose of Wh, not through Wh itself. Wh is square, "
            "so only the numbers show it."
        ),
        "transposed_Wx": (
            "dx_t goes back through the transpose of Wx, not through Wx itself: going back through a product "
            "multiplies by the transpose."
        ),
        "not_summed": (
            "Wx, Wh and b are used at every step: add each step's share (dWh += ...); with dWh = ... only "
            "one step's share is left."
        ),
        "mean_time": "Sum the steps' shares, don't divide by T: a shared weight's gradient is the sum over its uses.",
        "dh0": (
            "dh0 is the gradient carried back out of step 0: dz times Wh^T computed at t = 0, with everything "
            "the later steps carried included in that dz."
        ),
        "other": (
            "Work T = 1 by hand: nothing is carried into the single step, so every gradient is the one of Task "
            "7.1 with dh_next = dh_0. Does your function agree? Then check what step t - 1 receives from step t."
        ),
    },
    "7.4": {
        "not_pair": "Return the clipped gradients and the norm as a tuple: return clipped, total_norm.",
        "not_dict": "Return the clipped gradients as a dict with the same names as grads.",
        "shape": "Clipping only rescales: each clipped array keeps the shape of its gradient.",
        "in_place": (
            "Leave grads as they are: build new arrays (g * scale) instead of writing g *= scale into the "
            "caller's arrays."
        ),
        "per_array": (
            "Clip all gradients together: one global norm, sqrt of the sum of every squared entry of every "
            "array, and one scale factor for all arrays. Clipping each array by its own norm changes the "
            "direction of the update."
        ),
        "by_value": (
            "np.clip on each entry is clipping by value, which changes the direction. Rescale every array by "
            "max_norm / total_norm instead."
        ),
        "always": "Only clip when the global norm is larger than max_norm: a smaller gradient passes unchanged.",
        "scale_inverted": "Scale by max_norm / total_norm (less than 1 when clipping), not total_norm / max_norm.",
        "norm_sum": (
            "The global norm is the square root of the sum of every squared entry of every array, not the sum "
            "of the arrays' own norms."
        ),
        "no_sqrt": "The global norm is the square root of the sum of squares: take the square root at the end.",
        "norm_after": "Return the global norm measured before clipping (the one you compared with max_norm).",
        "zero_norm": (
            "When every gradient is zero the global norm is 0: is there anything to clip then? Divide by the norm "
            "only when clipping is needed, so that no 0 / 0 or x / 0 is ever computed."
        ),
        "same_arrays": (
            "Return new arrays, even when nothing is clipped: if clipped hands back grads (or its arrays), the "
            "caller's gradients change whenever the clipped ones are changed."
        ),
        "other": (
            "Work a small case by hand: a single gradient with entries 3 and 4 has global norm 5, so with "
            "max_norm = 1 every entry is divided by 5. Does your function agree, and does it leave a gradient "
            "whose norm is already below max_norm unchanged?"
        ),
    },
}

STEP_NAMES = ("dx_t", "dh_prev", "dWx", "dWh", "db")
BPTT_NAMES = ("dx", "dh0", "dWx", "dWh", "db")
WEIGHT_NAMES = ("dWx", "dWh", "db")


# ---- shared helpers ---------------------------------------------------------------------------


def _arrays(values: tuple, names: tuple[str, ...]) -> list[np.ndarray]:
    return [as_numbers(value, f"your {name}") for value, name in zip(values, names, strict=True)]


def _check_shapes(
    got: list[np.ndarray], expected: tuple, names: tuple[str, ...], hints: dict, where: str, special: dict | None = None
) -> None:
    """Wrong unless every array has its expected shape; `special` maps (name, wrong shape) -> hint key."""
    shapes = [g.shape for g in got]
    wanted = [np.shape(e) for e in expected]
    if shapes == wanted:
        return
    if "order" in hints and sorted(shapes) == sorted(wanted):
        raise Wrong(f"your gradients have the shapes {shapes}, in another order ({where})", hints["order"])
    for name, shape, want in zip(names, shapes, wanted, strict=True):
        if shape != want:
            key = (special or {}).get((name, shape), "shape")
            raise Wrong(f"your {name} has shape {shape} ({where})", hints[key])


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])


def _wrong_names(got: list[np.ndarray], expected: tuple, names: tuple[str, ...]) -> list[str]:
    return [name for g, e, name in zip(got, expected, names, strict=True) if not all_close(g, e)]


def _are_wrong(names: list[str]) -> str:
    """ "your dWx is wrong", "your dWx, db are wrong": a detail that names what differs, never how."""
    return f"your {', '.join(names)} {'is' if len(names) == 1 else 'are'} wrong"


# ---- 7.1 one step backward ---------------------------------------------------------------------


def step_cases(seed: int = 701, sizes: tuple = ((3, 4, 5), (3, 3, 3))) -> list[tuple[np.ndarray, rnn.RNNStepCache]]:
    """(dh_next, cache), one per (N, D, H) in `sizes`. The defaults are the public cases: N, D, H = 3, 4, 5
    (all different), then N = D = H = 3 (square). Chapter 07."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, H in sizes:
        x_t = rng.normal(size=(N, D))  # (N, D)
        h_prev = rng.normal(scale=0.8, size=(N, H))  # (N, H)
        Wx = rng.normal(scale=0.6, size=(D, H))  # (D, H)
        Wh = rng.normal(scale=0.6, size=(H, H))  # (H, H)
        b = rng.normal(scale=0.2, size=H)  # (H,)
        _, cache = rnn.rnn_step_forward(x_t, h_prev, Wx, Wh, b)
        cases.append((rng.normal(size=(N, H)), cache))
    return cases


def reference_step_backward(dh_next, cache):
    """One RNN step's gradients, from bplib.rnn.rnn_step_backward. Chapter 07.

    Inputs:
        dh_next: (N, H); cache: bplib.rnn.RNNStepCache(x_t, h_prev, Wx, Wh, h_next).
    Returns:
        dx_t: (N, D), dh_prev: (N, H), dWx: (D, H), dWh: (H, H), db: (H,).
    """
    return rnn._rnn_step_backward(dh_next, cache)


def _step_variant(*, slope="right", transposed_Wh=False, transposed_Wx=False, h_in_dWh="prev", dWh_transposed=False):
    """A wrong rnn_step_backward with one mistake switched on; returns its five gradients flattened."""

    def compute(dh_next, cache):
        x_t, h_prev, Wx, Wh, h_next = cache
        factor = {
            "right": 1.0 - h_next**2,
            "none": 1.0,
            "tanh_of_h": 1.0 - np.tanh(h_next) ** 2,
            "one_minus_h": 1.0 - h_next,
        }[slope]
        dz = dh_next * factor
        dx_t = dz @ (Wx if transposed_Wx else Wx.T)
        dh_prev = dz @ (Wh if transposed_Wh else Wh.T)
        h_used = h_next if h_in_dWh == "next" else h_prev
        dWh = dz.T @ h_used if dWh_transposed else h_used.T @ dz
        return _flat([dx_t, dh_prev, x_t.T @ dz, dWh, dz.sum(axis=0)])

    return compute


_H71 = HINTS["7.1"]
STEP_VARIANTS = [
    Variant(_step_variant(slope="none"), "your gradients skip the tanh's derivative", _H71["tanh_prime"]),
    Variant(_step_variant(slope="tanh_of_h"), "your tanh derivative is taken at h_next", _H71["tanh_of_h"]),
    Variant(_step_variant(slope="one_minus_h"), "your tanh derivative is 1 - h_next", _H71["one_minus_h"]),
    Variant(_step_variant(transposed_Wh=True), "your dh_prev uses Wh, not Wh.T", _H71["transposed_Wh"]),
    Variant(_step_variant(transposed_Wx=True), "your dx_t uses Wx, not Wx.T", _H71["transposed_Wx"]),
    Variant(_step_variant(h_in_dWh="next"), "your dWh uses h_next", _H71["h_next_in_dWh"]),
    Variant(_step_variant(dWh_transposed=True), "your dWh is transposed", _H71["dW_transposed"]),
]


def check_step_case(fn, case: tuple) -> None:
    """Task 7.1 on one (dh_next, cache): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    dh_next, cache = case
    N, D = cache.x_t.shape
    H = cache.Wh.shape[0]
    where = f"for N, D, H = {N}, {D}, {H}"
    value = call(fn, dh_next, cache, names=("dh_next", "cache"), shape_hint=_H71["shape_error"], where=where).value
    got = _arrays(unpack(value, ("dx_t", "dh_prev", "dWx", "dWh", "db"), _H71["not_five"]), STEP_NAMES)
    expected = reference_step_backward(dh_next, cache)
    _check_shapes(got, expected, STEP_NAMES, _H71, where, {("db", (N, H)): "db_axis", ("db", (N,)): "db_axis"})
    wrong = _wrong_names(got, expected, STEP_NAMES)
    if not wrong:
        return
    found = diagnose(_flat(got), case, STEP_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    if wrong == ["db"]:
        raise Wrong(f"{_are_wrong(wrong)} ({where})", _H71["db_axis"])
    raise Wrong(f"{_are_wrong(wrong)} ({where})", _H71["other"])


# ---- 7.2 the weight gradients, summed over time ----------------------------------------------------


def weight_cases(
    seed: int = 702, sizes: tuple = ((2, 4, 3, 5), (3, 3, 3, 3))
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(x, h0, h, delta), one per (N, T, D, H) in `sizes`; h comes from a forward pass. The defaults are
    the public cases: N, T, D, H = 2, 4, 3, 5, then N = T = D = H = 3. Chapter 07."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, T, D, H in sizes:
        x = rng.normal(size=(N, T, D))  # (N, T, D)
        h0 = rng.normal(scale=0.8, size=(N, H))  # (N, H): h_{-1}, not zero
        Wx, Wh = rng.normal(scale=0.6, size=(D, H)), rng.normal(scale=0.6, size=(H, H))
        h, _ = rnn.rnn_forward(x, h0, Wx, Wh, np.zeros(H))  # (N, T, H)
        cases.append((x, h0, h, rng.normal(size=(N, T, H))))
    return cases


def reference_weight_grads(x, h0, h, delta):
    """dWx, dWh, db summed over time from the error signals delta_t = dL/dz_t. Chapter 07.

    Inputs:
        x: (N, T, D) inputs; h0: (N, H) the state before step 0; h: (N, T, H) the states; delta: (N, T, H).
    Returns:
        dWx = sum_t x_t^T delta_t: (D, H); dWh = sum_t h_{t-1}^T delta_t: (H, H); db: (H,).
    """
    T = h.shape[1]
    dWx = sum(x[:, t].T @ delta[:, t] for t in range(T))  # (D, H)
    dWh = sum((h0 if t == 0 else h[:, t - 1]).T @ delta[:, t] for t in range(T))  # (H, H)
    return dWx, dWh, delta.sum(axis=(0, 1))


def _weights_variant(
    *, h_prev="right", steps="all", divide_by_T=False, divide_by_N=False, transposed=False, x_shift=False
):
    """A wrong weight_grads_over_time with one mistake switched on; returns dWx, dWh, db flattened.
    h_prev: "right", "h_t" (off by one) or "zeros" (h0 left out); steps: "all", "first" or "last"."""

    def compute(x, h0, h, delta):
        N, T, _ = x.shape
        kept = {"all": range(T), "first": [0], "last": [T - 1]}[steps]
        dWx = dWh = db = 0.0
        for t in kept:
            if h_prev == "h_t":
                prev = h[:, t]
            else:
                prev = (h0 if h_prev == "right" else np.zeros_like(h0)) if t == 0 else h[:, t - 1]
            x_t = x[:, t - 1] if x_shift and t > 0 else (np.zeros_like(x[:, 0]) if x_shift else x[:, t])
            dWx = dWx + x_t.T @ delta[:, t]
            dWh = dWh + (delta[:, t].T @ prev if transposed else prev.T @ delta[:, t])
            db = db + delta[:, t].sum(axis=0)
        scale = (T if divide_by_T else 1) * (N if divide_by_N else 1)
        return _flat([dWx / scale, dWh / scale, db / scale])

    return compute


_H72 = HINTS["7.2"]
WEIGHT_VARIANTS = [
    Variant(_weights_variant(h_prev="h_t"), "your dWh pairs delta_t with h_t", _H72["off_by_one"]),
    Variant(_weights_variant(h_prev="zeros"), "your dWh leaves out step 0's share h0.T @ delta_0", _H72["no_h0"]),
    Variant(_weights_variant(steps="last"), "your gradients hold only the last step's share", _H72["one_step"]),
    Variant(_weights_variant(steps="first"), "your gradients hold only the first step's share", _H72["one_step"]),
    Variant(_weights_variant(divide_by_T=True), "your gradients are averaged over time", _H72["mean_time"]),
    Variant(_weights_variant(divide_by_N=True), "your gradients are divided by N", _H72["batch_mean"]),
    Variant(_weights_variant(transposed=True), "your dWh is transposed", _H72["transposed"]),
    Variant(_weights_variant(x_shift=True), "your dWx pairs delta_t with x_{t-1}", _H72["dWx_shift"]),
]


def check_weight_case(fn, case: tuple) -> None:
    """Task 7.2 on one (x, h0, h, delta): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    x, h0, h, delta = case
    N, T, D = x.shape
    H = h.shape[2]
    where = f"for N, T, D, H = {N}, {T}, {D}, {H}"
    value = call(fn, *case, names=("x", "h0", "h", "delta"), shape_hint=_H72["shape_error"], where=where).value
    got = _arrays(unpack(value, ("dWx", "dWh", "db"), _H72["not_three"]), WEIGHT_NAMES)
    expected = reference_weight_grads(*case)
    db_wrong = {("db", shape): "db_sum" for shape in ((T, H), (N, H), (N, T, H), (N,), (T,))}
    _check_shapes(got, expected, WEIGHT_NAMES, _H72, where, db_wrong)
    wrong = _wrong_names(got, expected, WEIGHT_NAMES)
    if not wrong:
        return
    found = diagnose(_flat(got), case, WEIGHT_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    raise Wrong(f"{_are_wrong(wrong)} ({where})", _H72["other"])


# ---- 7.3 backpropagation through time ----------------------------------------------------------------


def bptt_cases(seed: int = 703, sizes: tuple = ((2, 5, 3, 4), (3, 4, 3, 3))) -> list[tuple[np.ndarray, rnn.RNNCache]]:
    """(dh, cache), one per (N, T, D, H) in `sizes`. The defaults are the public cases: N, T, D, H =
    2, 5, 3, 4, then N = D = H = 3 with T = 4. h0 is not zero, and Wh is large enough (entries of std
    0.7) that the carried gradient is of the size of dh. Chapter 07."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, T, D, H in sizes:
        x = rng.normal(size=(N, T, D))
        h0 = rng.normal(scale=0.8, size=(N, H))
        Wx = rng.normal(scale=0.6, size=(D, H))
        Wh = rng.normal(scale=0.7, size=(H, H))
        b = rng.normal(scale=0.2, size=H)
        _, cache = rnn.rnn_forward(x, h0, Wx, Wh, b)
        cases.append((rng.normal(size=(N, T, H)), cache))
    return cases


def reference_bptt(dh, cache):
    """Full BPTT, from bplib.rnn.rnn_backward. Chapter 07.

    Inputs:
        dh: (N, T, H) the gradients the loss sends to each h_t directly; cache: bplib.rnn.RNNCache.
    Returns:
        dx: (N, T, D), dh0: (N, H), dWx: (D, H), dWh: (H, H), db: (H,).
    """
    return rnn._rnn_backward(dh, cache)


def _bptt_variant(
    *,
    carry=True,
    order="reverse",
    h_in_dWh="prev",
    slope="right",
    carry_slope=True,
    transposed_Wh=False,
    transposed_Wx=False,
    accumulate="sum",
    divide_by_T=False,
):
    """A wrong bptt with one mistake switched on; returns its five gradients flattened.
    slope: "right", "none" or "tanh_of_h"; accumulate: "sum", "overwrite" (the step done last is kept)
    or "last_step" (only step T-1's share)."""

    def compute(dh, cache):
        x, h0, Wx, Wh, h = cache
        N, T, _ = x.shape
        dx = np.zeros_like(x)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        carried = np.zeros_like(h0)
        steps = reversed(range(T)) if order == "reverse" else range(T)
        for t in steps:
            h_t = h[:, t]
            h_prev = h0 if t == 0 else h[:, t - 1]
            dh_total = dh[:, t] + (carried if carry else 0.0)
            factor = {"right": 1.0 - h_t**2, "none": 1.0, "tanh_of_h": 1.0 - np.tanh(h_t) ** 2}[slope]
            dz = dh_total * factor
            dx[:, t] = dz @ (Wx if transposed_Wx else Wx.T)
            shares = (x[:, t].T @ dz, (h_t if h_in_dWh == "next" else h_prev).T @ dz, dz.sum(axis=0))
            if accumulate == "sum" or (accumulate == "last_step" and t == T - 1):
                dWx, dWh, db = dWx + shares[0], dWh + shares[1], db + shares[2]
            elif accumulate == "overwrite":
                dWx, dWh, db = shares
            carried = (dz if carry_slope else dh_total) @ (Wh if transposed_Wh else Wh.T)
        scale = T if divide_by_T else 1
        return _flat([dx, carried, dWx / scale, dWh / scale, db / scale])

    return compute


_H73 = HINTS["7.3"]
BPTT_VARIANTS = [
    Variant(_bptt_variant(carry=False), "no gradient is carried from a step to the one before it", _H73["no_carry"]),
    Variant(_bptt_variant(order="forward"), "your loop walks time forwards", _H73["forward_order"]),
    Variant(_bptt_variant(h_in_dWh="next"), "your dWh pairs step t's dz with h_t", _H73["off_by_one"]),
    Variant(_bptt_variant(slope="none"), "your gradients skip the tanh's derivative", _H73["tanh_prime"]),
    Variant(_bptt_variant(slope="tanh_of_h"), "your tanh derivative is taken at h_t", _H73["tanh_of_h"]),
    Variant(
        _bptt_variant(carry_slope=False), "the carried gradient skips the tanh's derivative", _H73["carry_without_tanh"]
    ),
    Variant(_bptt_variant(transposed_Wh=True), "the carried gradient uses Wh, not Wh.T", _H73["transposed_Wh"]),
    Variant(_bptt_variant(transposed_Wx=True), "your dx uses Wx, not Wx.T", _H73["transposed_Wx"]),
    Variant(
        _bptt_variant(accumulate="overwrite"), "your weight gradients hold only step 0's share", _H73["not_summed"]
    ),
    Variant(
        _bptt_variant(accumulate="last_step"),
        "your weight gradients hold only the last step's share",
        _H73["not_summed"],
    ),
    Variant(_bptt_variant(divide_by_T=True), "your weight gradients are averaged over time", _H73["mean_time"]),
]


def check_bptt_case(fn, case: tuple) -> None:
    """Task 7.3 on one (dh, cache): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    dh, cache = case
    N, T, D = cache.x.shape
    H = cache.Wh.shape[0]
    where = f"for N, T, D, H = {N}, {T}, {D}, {H}"
    try:
        value = call(fn, dh, cache, names=("dh", "cache"), shape_hint=_H73["shape_error"], where=where).value
    except Wrong as signal:
        if "changed its input dh" in signal.detail:
            raise Wrong(signal.detail, _H73["in_place"]) from None
        raise
    got = _arrays(unpack(value, ("dx", "dh0", "dWx", "dWh", "db"), _H73["not_five"]), BPTT_NAMES)
    expected = reference_bptt(dh, cache)
    _check_shapes(got, expected, BPTT_NAMES, _H73, where)
    wrong = _wrong_names(got, expected, BPTT_NAMES)
    if not wrong:
        return
    found = diagnose(_flat(got), case, BPTT_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    if wrong == ["dh0"]:
        raise Wrong(f"{_are_wrong(wrong)} ({where})", _H73["dh0"])
    raise Wrong(f"{_are_wrong(wrong)} ({where})", _H73["other"])


# ---- 7.4 clipping by the global norm ----------------------------------------------------------------


def clip_cases() -> list[tuple[dict[str, np.ndarray], float]]:
    """(grads, max_norm): a global norm well above max_norm; one below it (nothing to clip); one
    array far larger than the other (clipping each array by its own norm keeps the small one); and all
    zeros (a division by the norm is a division by zero)."""
    rng = np.random.default_rng(704)
    above = {
        "Wx": rng.normal(scale=3.0, size=(3, 4)),
        "Wh": rng.normal(scale=3.0, size=(4, 4)),
        "b": rng.normal(scale=3.0, size=4),
    }
    below = {
        "Wx": rng.normal(scale=0.2, size=(3, 4)),
        "Wh": rng.normal(scale=0.2, size=(4, 4)),
        "b": rng.normal(scale=0.2, size=4),
    }
    lopsided = {"Wh": rng.normal(scale=4.0, size=(3, 3)), "b": rng.normal(scale=0.1, size=3)}
    zeros = {"Wx": np.zeros((3, 4)), "b": np.zeros(4)}  # a global norm of 0: nothing to clip, nothing to divide by
    return [(above, 5.0), (below, 5.0), (lopsided, 1.0), (zeros, 1.0)]


def reference_clip(grads, max_norm) -> tuple[dict[str, np.ndarray], float]:
    """Clip by the global norm, from bplib.rnn.clip_by_norm. Chapter 07.

    Inputs:
        grads: name -> array; max_norm: > 0.
    Returns:
        clipped: name -> array (scaled by max_norm / total_norm when total_norm > max_norm);
        total_norm: the global norm before clipping.
    """
    return rnn._clip_by_norm({name: np.asarray(g, dtype=np.float64) for name, g in grads.items()}, max_norm)


def _norm(grads: Mapping) -> float:
    return math.sqrt(sum(float(np.sum(np.asarray(g, dtype=float) ** 2)) for g in grads.values()))


def _clip_variant(how: str):
    """A wrong clip_by_global_norm's clipped dict: "per_array", "by_value", "always" or "scale_inverted"."""

    def compute(grads, max_norm):
        total = _norm(grads)
        if how == "per_array":
            return {k: g * min(1.0, max_norm / float(np.linalg.norm(g))) for k, g in grads.items()}
        if how == "by_value":
            return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}
        if how == "always":
            return {k: g * (max_norm / total) for k, g in grads.items()}
        return {k: g * (total / max_norm) if total > max_norm else g.copy() for k, g in grads.items()}

    return compute


_H74 = HINTS["7.4"]
CLIP_VARIANTS = [
    Variant(_clip_variant("per_array"), "each array was clipped by its own norm", _H74["per_array"]),
    Variant(_clip_variant("by_value"), "your entries were clipped one by one", _H74["by_value"]),
    Variant(
        _clip_variant("always"), "your gradients were rescaled although their norm is below max_norm", _H74["always"]
    ),
    Variant(_clip_variant("scale_inverted"), "your gradients grew", _H74["scale_inverted"]),
]


def check_clip_case(fn, case: tuple) -> None:
    """Task 7.4 on one (grads, max_norm): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    grads, max_norm = case
    norm = _norm(grads)
    where = (
        f"for arrays {', '.join(f'{k} {g.shape}' for k, g in grads.items())} with the global norm "
        f"{'above' if norm > max_norm else 'below'} max_norm"
    )
    outcome = call(fn, grads, max_norm, names=("grads", "max_norm"), check_in_place=False)
    value, seen = outcome.value, outcome.args_after[0]
    changed = [k for k in grads if not (isinstance(seen, Mapping) and same(seen.get(k), grads[k]))]
    if changed:
        raise Wrong(f"your function changed grads[{changed[0]!r}] in place", _H74["in_place"])
    if outcome.warnings:
        raise Wrong(f"numpy warned: {outcome.warnings[0]} ({where})", _H74["zero_norm"])
    clipped_value, norm_value = unpack(value, ("clipped", "total_norm"), _H74["not_pair"])
    shared = [path for path in outcome.aliases if path.startswith("value[0]")]
    if shared:
        raise Wrong(
            f"your clipped {'dict is grads itself' if 'value[0]' in shared else 'shares arrays with grads'} ({where})",
            _H74["same_arrays"],
        )
    if not isinstance(clipped_value, Mapping) or set(clipped_value) != set(grads):
        raise Wrong(f"your clipped is {a_type(clipped_value)} without exactly the names of grads", _H74["not_dict"])
    got = {k: as_numbers(clipped_value[k], f"your clipped[{k!r}]") for k in grads}
    for k, g in grads.items():
        if got[k].shape != g.shape:
            raise Wrong(f"your clipped[{k!r}] has shape {got[k].shape} ({where})", _H74["shape"])
    total = as_number(norm_value, "your total_norm")
    expected, expected_norm = reference_clip(grads, max_norm)
    if not all_close(total, expected_norm):
        if math.isclose(total, sum(float(np.linalg.norm(g)) for g in grads.values()), rel_tol=1e-9):
            raise Wrong(f"your total_norm is the sum of the arrays' norms ({where})", _H74["norm_sum"])
        if math.isclose(total, expected_norm**2, rel_tol=1e-9):
            raise Wrong(f"your total_norm is the sum of squares ({where})", _H74["no_sqrt"])
        if math.isclose(total, _norm(got), rel_tol=1e-9) and all(all_close(got[k], expected[k]) for k in grads):
            raise Wrong(f"your total_norm is the norm after clipping ({where})", _H74["norm_after"])
        raise Wrong(f"your total_norm is wrong ({where})", _H74["other"])
    wrong = [k for k in grads if not all_close(got[k], expected[k])]
    if not wrong:
        return
    flat = _flat(got[k] for k in grads)
    for variant in CLIP_VARIANTS:
        try:
            with np.errstate(all="ignore"):
                candidate = variant.compute(grads, max_norm)
        except ArithmeticError:  # the mistake divides by a zero norm: it is not this answer
            continue
        if all_close(flat, _flat(candidate[k] for k in grads)):
            raise Wrong(f"{variant.detail} ({where})", variant.hint)
    raise Wrong(
        f"your clipped {', '.join(repr(k) for k in wrong)} {'is' if len(wrong) == 1 else 'are'} wrong ({where})",
        _H74["other"],
    )


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _step_hidden(rng: np.random.Generator) -> list[tuple]:
    """7.1: a batch of one with D < H, and more inputs than hidden units."""
    return step_cases(seed_from(rng), ((1, 2, int(rng.integers(3, 6))), (int(rng.integers(4, 7)), 6, 3)))


def _weight_hidden(rng: np.random.Generator) -> list[tuple]:
    """7.2: a batch of one over a longer sequence, and a short sequence with D > H."""
    return weight_cases(seed_from(rng), ((1, int(rng.integers(6, 10)), 2, 3), (4, 2, int(rng.integers(4, 7)), 2)))


def _bptt_hidden(rng: np.random.Generator) -> list[tuple]:
    """7.3: a batch of one over a longer sequence, and a short sequence with a single input."""
    return bptt_cases(seed_from(rng), ((1, int(rng.integers(7, 11)), 4, 2), (3, 2, 1, int(rng.integers(4, 7)))))


def _clip_hidden(rng: np.random.Generator) -> list[tuple]:
    """7.4: (grads, max_norm): five arrays with other names above the threshold; a single array below it
    (named b, as in the public cases, so a rule keyed to that name shows); one array far larger than the other;
    all zeros under other names."""
    shapes = {"W_f": (2, 3), "U_f": (3, 3), "b_f": (3,), "W_o": (2, 3), "b_o": (3,)}
    many = {name: rng.normal(scale=2.0, size=shape) for name, shape in shapes.items()}
    single = {"b": rng.normal(scale=0.1, size=int(rng.integers(3, 7)))}
    lopsided = {"Wx": rng.normal(scale=0.01, size=5), "Wh": rng.normal(scale=10.0, size=(2, 2))}
    zeros = {"W": np.zeros((int(rng.integers(2, 5)), 3)), "c": np.zeros(int(rng.integers(2, 6)))}
    return [
        (many, float(np.round(rng.uniform(1.5, 3.5), 2))),
        (single, 1.0),
        (lopsided, float(np.round(rng.uniform(2.0, 4.0), 2))),
        (zeros, float(np.round(rng.uniform(0.5, 2.0), 2))),
    ]


_RNN = "bplib.rnn"

TASKS = (
    Task(
        "7.1",
        "rnn_step_backward",
        2,
        "07",
        OnCases(check_step_case, step_cases),
        signature="rnn_step_backward(dh_next, cache)",
        try_it="rnn_step_backward(example_dh_next, example_step_cache)",
        hidden=(
            HiddenCheck(
                "other sizes",
                "a batch of one with D < H, and more inputs than hidden units",
                check_step_case,
                _step_hidden,
            ),
        ),
        implemented_by=(
            f"{_RNN}.rnn_step_backward",
            "bplib.checks.ch07.reference_step_backward",
        ),
    ),
    Task(
        "7.2",
        "weight_grads_over_time",
        2,
        "07",
        OnCases(check_weight_case, weight_cases),
        signature="weight_grads_over_time(x, h0, h, delta)",
        try_it="weight_grads_over_time(example_x, example_h0, example_h, example_delta)",
        hidden=(
            HiddenCheck(
                "other sequences",
                "a batch of one over a longer sequence, and a short sequence with D > H",
                check_weight_case,
                _weight_hidden,
            ),
        ),
        implemented_by=(f"{_RNN}.rnn_backward", "bplib.checks.ch07.reference_weight_grads"),
    ),
    Task(
        "7.3",
        "bptt",
        3,
        "07",
        OnCases(check_bptt_case, bptt_cases),
        signature="bptt(dh, cache)",
        try_it="bptt(example_dh, example_cache)",
        hidden=(
            HiddenCheck(
                "other sequences",
                "a batch of one over a longer sequence, and a short sequence with a single input",
                check_bptt_case,
                _bptt_hidden,
            ),
        ),
        implemented_by=(
            f"{_RNN}.rnn_backward",
            f"{_RNN}._bptt",
            f"{_RNN}._bptt_by_distance",
            f"{_RNN}.rnn_step_backward",
            "bplib.checks.ch07.reference_bptt",
            "bplib.checks.ch07.reference_step_backward",
        ),
        builds_on=("7.1", "7.2"),
    ),
    Task(
        "7.4",
        "clip_by_global_norm",
        2,
        "07",
        OnCases(check_clip_case, clip_cases),
        signature="clip_by_global_norm(grads, max_norm)",
        try_it="clip_by_global_norm(example_grads, 1.0)",
        hidden=(
            HiddenCheck(
                "other gradients",
                "other names and numbers of arrays, a single array below the "
                "threshold, one array far larger than the other, all zeros",
                check_clip_case,
                _clip_hidden,
            ),
        ),
        implemented_by=(f"{_RNN}.clip_by_norm", "bplib.checks.ch07.reference_clip"),
    ),
)
