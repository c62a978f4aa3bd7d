"""Checks for exercise 08, LSTM gates (chapter 08).

Tasks (row convention, batch first; params holds W_<gate>: (D, H), U_<gate>: (H, H), b_<gate>: (H,)
for the gates f, i, g, o, as bplib.lstm.init_lstm_params makes):
    8.1 lstm_step_forward(x, h_prev, c_prev, params) -> (h_next, c_next, cache)
            the four gates, c_next = f * c_prev + i * g, h_next = o * tanh(c_next); cache is a dict
            with the keys CACHE_KEYS
    8.2 lstm_step_backward(dh_next, dc_next, cache) -> (dx, dh_prev, dc_prev, grads)
            one step back, gate by gate; grads has the 12 keys of params
    8.3 cell_gradients(dh_total, f, o, c) -> dc
            the cell-state gradients of a whole sequence, given the total gradient on every h_t:
            dc_t = dh_t * o_t * (1 - tanh(c_t)**2) + dc_{t+1} * f_{t+1}, walked from the last step back
    8.4 lstm_bptt(dh, caches, step_backward) -> (dx, dh0, dc0, grads)
            backpropagation through time over a sequence of step caches, weight gradients summed

The expected answers come from bplib.lstm. Shapes are chosen so that mistakes show: N, D, H all
different (a transposed product fails), then D = H (a transposed weight shows by value); random
biases (a forgotten bias shows); cell states beyond +-1 (1 - c**2 is far from tanh'(c)).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bplib import lstm
from bplib.checks import given
from bplib.checks._core import (
    Given,
    HiddenCheck,
    LearnerRaised,
    OnCases,
    Task,
    Variant,
    Wrong,
    a_type,
    all_close,
    arrays_by_key,
    as_numbers,
    call,
    describe_error,
    diagnose,
    seed_from,
    unpack,
)
from bplib.lstm import GATES, PARAM_NAMES

__all__ = [
    "CACHE_KEYS",
    "HINTS",
    "TASKS",
    "reference_bptt",
    "reference_cell_gradients",
    "reference_step_backward",
    "reference_step_forward",
]

# The keys of the cache dict that the learner's step forward returns and the step backward reads.
CACHE_KEYS = ("x", "h_prev", "c_prev", "f", "i", "g", "o", "c", "params")

# Every hint a checker can give for a recognised mistake, by task and mistake.
# Tests feed each mistake to its checker and look for exactly this text.
HINTS = {
    "8.1": {
        "not_triple": "Return three things, in this order: return h_next, c_next, cache.",
        "shape": "h_next and c_next have the shape of h_prev, (N, H): one row per example, one column per unit.",
        "shape_error": (
            "A product failed on shapes. Write them down: x (N, D) @ W_<gate> (D, H) and h_prev (N, H) @ "
            "U_<gate> (H, H) both give (N, H). The input goes through W, the previous hidden state through U."
        ),
        "transposed": (
            "On the way forward the weights are used as given, no transposes: each gate's pre-activation is "
            "x W_<gate> + h_prev U_<gate> + b_<gate>, with W: (D, H) and U: (H, H)."
        ),
        "swapped_weights": "x is multiplied by W_<gate> and h_prev by U_<gate>, not the other way round.",
        "bias": "Add each gate's bias b_<gate> to its pre-activation, as in the task's equations.",
        "candidate_sigmoid": (
            "The candidate g uses tanh, not the sigmoid: it proposes values in (-1, 1) of either sign. "
            "Only the gates f, i and o are sigmoids (fractions in (0, 1))."
        ),
        "gates_tanh": (
            "The gates f, i and o are sigmoids, fractions in (0, 1) that scale what passes; "
            "only the candidate g uses tanh."
        ),
        "h_no_tanh": (
            "The hidden state squashes the cell state first: h_next is o times tanh(c_next), not o times c_next."
        ),
        "h_old_cell": "h_next reads the new cell state c_next that this step just computed, not c_prev.",
        "no_input_gate": "The input gate scales what is written: the candidate g enters c_next multiplied by i.",
        "forget_reversed": (
            "f is the fraction of c_prev that is kept: c_prev enters c_next multiplied by f, not by (1 - f)."
        ),
        "gates_swapped": (
            "The forget gate scales the old cell state c_prev and the input gate scales the candidate g, not the "
            "other way round."
        ),
        "cache": (
            "The cache is a dict with the keys x, h_prev, c_prev, f, i, g, o, c and params, holding this "
            "step's inputs, its four gates and its new cell state c_next: task 8.2 reads them."
        ),
        "other": (
            "Write down each gate's shape, (N, H), and its nonlinearity: the sigmoid for f, i and o, tanh for g. "
            "Then compare c_next and h_next with the task's two equations: which one differs?"
        ),
    },
    "8.2": {
        "not_quad": "Return four things, in this order: return dx, dh_prev, dc_prev, grads.",
        "not_dict": "grads is a dict with one gradient per parameter, the 12 keys of params: W_f, U_f, b_f, W_i, ...",
        "shape": (
            "Each gradient has the shape of what it is the gradient of: dx (N, D), dh_prev and dc_prev (N, H), "
            "dW_<gate> (D, H), dU_<gate> (H, H), db_<gate> (H,)."
        ),
        "db_axis": "A bias gradient has one entry per unit: sum the gate's dz over the batch (the rows).",
        "cache_key": (
            "Read only what the cache holds (x, h_prev, c_prev, f, i, g, o, c, params); compute tanh(c) "
            "from cache['c'] yourself."
        ),
        "shape_error": (
            "A product failed on shapes. Write them down: dz (N, H), W (D, H), U (H, H), x (N, D), h_prev (N, H). "
            "dx needs dz times W^T, (N, H) times (H, D); dW needs x^T times dz, (D, N) times (N, H)."
        ),
        "transposed": (
            "Going back through z = x W + h_prev U + b multiplies by the transposes: W^T for dx and U^T for "
            "dh_prev; dW and dU start from x^T and h_prev^T."
        ),
        "tanh_prime_c": (
            "h = o * tanh(c), so the gradient that reaches c through h is dh_next * o * tanh'(c): the factor "
            "tanh'(c) = 1 - tanh^2(c) is missing."
        ),
        "tanh_prime_of_c": "tanh'(c) = 1 - tanh^2(c), computed from tanh(c), not 1 - c^2.",
        "carried_dc": (
            "The cell state has two consumers, h at this step and c at the next one: add dc_next, the gradient "
            "carried back from step t+1, to the gradient arriving through h."
        ),
        "h_path": "c also reaches the loss through h = o * tanh(c): add the gradient that path brings to dc_next.",
        "do": "h = o * tanh(c), so the local gradient of o is tanh(c): do is dh_next times tanh(c), not times c.",
        "df_c_prev": "In c = f * c_prev + i * g the local gradient of f is the factor it multiplies, c_prev.",
        "di_dg_swapped": "In c = f * c_prev + i * g each of i and g has the other as its local gradient: di carries g.",
        "candidate_sigma": (
            "The candidate is g = tanh(z_g), so its slope is 1 - g^2; the sigmoid's slope, written "
            "a * (1 - a), belongs to f, i and o only."
        ),
        "sigmoid_twice": (
            "The cache holds the gates' values f = sigmoid(z_f), so sigmoid'(z_f) = f * (1 - f): do not apply "
            "the sigmoid to f again (the same for i and o)."
        ),
        "dc_prev_f": (
            "The cell-state path goes through the forget gate: c_prev enters c multiplied by f, so dc_prev carries "
            "that factor too."
        ),
        "dc_prev_total": "dc_prev starts from the total dc, dc_next plus the path through h, not from dc_next alone.",
        "other": (
            "Follow the task's equations in their order and write down each quantity's shape: do, dc, df, di, dg, "
            "dc_prev and every gate's dz are (N, H). Which result is off: dx, dh_prev, dc_prev or grads?"
        ),
    },
    "8.3": {
        "shape": "dc has the shape of dh_total, (N, T, H): one gradient per example, step and unit.",
        "off_by_one": (
            "c_t reaches c_{t+1} through the forget gate of step t+1, c_{t+1} = f_{t+1} * c_t + ..., "
            "so the carried gradient uses f_{t+1}, not f_t."
        ),
        "tanh_prime": (
            "The path through h_t = o_t * tanh(c_t) carries tanh'(c_t) = 1 - tanh^2(c_t): that factor is missing."
        ),
        "tanh_prime_of_c": "tanh'(c) = 1 - tanh^2(c), not 1 - c^2: take tanh of c first.",
        "o_factor": "The path through h_t = o_t * tanh(c_t) carries the output gate: o_t belongs next to tanh'(c_t).",
        "no_carry": (
            "c_t also feeds c_{t+1}: add the gradient carried back from step t+1, dc_{t+1} times the forget gate "
            "f_{t+1}."
        ),
        "no_forget": "The carried gradient passes the forget gate f_{t+1}: dc_{t+1} alone is missing that factor.",
        "direction": (
            "Walk time backwards, from the last step to the first: dc_t needs dc_{t+1}, so compute "
            "dc[:, T - 1] first (nothing comes after it)."
        ),
        "carry_local": (
            "Carry the total gradient dc[:, t + 1], everything that reached c_{t+1}, not only the part that "
            "came to it through h_{t+1}."
        ),
        "other": (
            "Work T = 1 by hand: nothing comes after the single step, so dc_0 is only the path through h_0. Does "
            "your function agree? Then check what a second step adds to the first."
        ),
    },
    "8.4": {
        "not_quad": "Return four things, in this order: return dx, dh0, dc0, grads.",
        "not_dict": "grads is a dict with one gradient per parameter, the 12 keys of params: W_f, U_f, b_f, W_i, ...",
        "shape": (
            "dx has the inputs' shape (N, T, D), with dx[:, t] the step's dx; dh0 and dc0 are (N, H); each "
            "gradient has the shape of its parameter."
        ),
        "sum_weights": (
            "The same weights are used at every step, so their gradient is the sum over the steps: add each "
            "step's grads into totals that start at zero, instead of keeping one step's."
        ),
        "mean_weights": "Sum the steps' weight gradients over time; do not divide by T.",
        "upstream": (
            "Every step also receives the gradient of its own loss: the dh_next of step t is dh[:, t] plus the "
            "dh_prev carried back from step t+1, not the carried gradient alone."
        ),
        "carry_dh": "Carry dh_prev of each step back to the step before, and add it to that step's dh[:, t].",
        "carry_dc": (
            "Carry dc_prev of each step back as the dc_next of the step before; after the last step it starts at zero."
        ),
        "order": "Walk the steps in reverse, t = T-1, ..., 0: step t needs what step t+1 sends back.",
        "h0": "dh0 and dc0 are what step 0 sends back: its dh_prev and dc_prev.",
        "other": (
            "Work T = 1 by hand: nothing is carried into the single step, so every result is what step_backward "
            "gives with dh_0 and a zero dc_next. Does your function agree? Then check what step t - 1 receives "
            "from step t."
        ),
    },
}


# ---- the reference answers ---------------------------------------------------------------------------


def reference_step_forward(x, h_prev, c_prev, params):
    """One LSTM step, returning the exercise's cache dict, from bplib.lstm. Chapter 08.

    Inputs:
        x: (N, D); h_prev, c_prev: (N, H); params: W_<gate> (D, H), U_<gate> (H, H), b_<gate> (H,).
    Returns:
        h_next: (N, H), c_next: (N, H), cache: dict with the keys CACHE_KEYS.
    """
    h_next, c_next, step = lstm._lstm_step_forward(x, h_prev, c_prev, params)
    cache = {
        "x": step.x,
        "h_prev": step.h_prev,
        "c_prev": step.c_prev,
        "f": step.f,
        "i": step.i,
        "g": step.g,
        "o": step.o,
        "c": step.c,
        "params": step.params,
    }
    return h_next, c_next, cache


def _step_cache(cache: Mapping) -> lstm.LSTMStepCache:
    """The exercise's cache dict as bplib's LSTMStepCache."""
    tanh_c = np.tanh(cache["c"])
    return lstm.LSTMStepCache(
        x=cache["x"],
        h_prev=cache["h_prev"],
        c_prev=cache["c_prev"],
        f=cache["f"],
        i=cache["i"],
        g=cache["g"],
        o=cache["o"],
        c=cache["c"],
        tanh_c=tanh_c,
        h=cache["o"] * tanh_c,
        params=cache["params"],
    )


def reference_step_backward(dh_next, dc_next, cache):
    """One LSTM step back, reading the exercise's cache dict, from bplib.lstm. Chapter 08.

    Inputs:
        dh_next, dc_next: (N, H) gradients on h_t and c_t; cache: dict with the keys CACHE_KEYS.
    Returns:
        dx: (N, D), dh_prev: (N, H), dc_prev: (N, H), grads: dict with the keys PARAM_NAMES.
    """
    return lstm._lstm_step_backward(dh_next, dc_next, _step_cache(cache))


def reference_cell_gradients(dh_total, f, o, c):
    """dL/dc_t for every step, from the total gradient on every h_t. Chapter 08.

    Inputs:
        dh_total: (N, T, H) the total gradient of the loss with respect to each h_t;
        f, o, c: (N, T, H) the forget gates, output gates and cell states of the steps.
    Returns:
        dc: (N, T, H), dc[:, t] = dh_total[:, t] * o[:, t] * (1 - tanh(c[:, t])**2) + dc[:, t + 1] * f[:, t + 1].
    """
    dc = np.zeros_like(dh_total)
    carried = np.zeros_like(dh_total[:, 0])  # (N, H): what c_{t+1} sends back to c_t
    for t in range(dh_total.shape[1] - 1, -1, -1):
        dc[:, t] = dh_total[:, t] * o[:, t] * (1.0 - np.tanh(c[:, t]) ** 2) + carried
        carried = dc[:, t] * f[:, t]  # c_t = f_t * c_{t-1} + ...: the forget gate of step t
    return dc


# the step backward lstm_bptt is handed: task 8.2's answer in plain numpy (bplib.checks.given), which the
# grader sends into the sandbox only with 8.4's checks, after 8.2's are done
STEP_BACKWARD = Given(given.lstm_step_backward)


def reference_bptt(dh, caches, step_backward=reference_step_backward):
    """Backpropagation through time over T step caches, weight gradients summed. Chapter 08.

    Inputs:
        dh: (N, T, H) the gradient of each step's own loss with respect to h_t.
        caches: T cache dicts (keys CACHE_KEYS), in time order.
        step_backward: step_backward(dh_next, dc_next, cache) -> (dx, dh_prev, dc_prev, grads).
    Returns:
        dx: (N, T, D), dh0: (N, H), dc0: (N, H), grads: dict with the keys PARAM_NAMES.
    """
    N, T, H = dh.shape
    D = caches[0]["x"].shape[1]
    dx = np.zeros((N, T, D))
    grads = {name: np.zeros_like(p) for name, p in caches[0]["params"].items()}
    dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx[:, t], dh_carry, dc_carry, step_grads = step_backward(dh[:, t] + dh_carry, dc_carry, caches[t])
        for name in grads:
            grads[name] = grads[name] + step_grads[name]
    return dx, dh_carry, dc_carry, grads


# ---- cases ---------------------------------------------------------------------------------------------


def _params(D: int, H: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random parameters with random biases too, so that a forgotten bias shows."""
    shapes = {"W": (D, H), "U": (H, H), "b": (H,)}
    return {name: rng.normal(0.0, 0.8, size=shapes[name[0]]) for name in PARAM_NAMES}


def step_cases(seed: int = 801, sizes: tuple = ((3, 4, 2), (2, 3, 3))) -> list[tuple]:
    """(x, h_prev, c_prev, params, dh_next, dc_next), one per (N, D, H) in `sizes`. The defaults are the
    public cases: N, D, H all different, then D = H (square W and U). Chapter 08.

    c_prev has entries beyond +-1, so that c_next does too (1 - c**2 differs from tanh'(c) there).
    """
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, H in sizes:
        params = _params(D, H, rng)
        x = rng.normal(size=(N, D))  # (N, D)
        h_prev = rng.uniform(-0.9, 0.9, size=(N, H))  # (N, H): a hidden state lies in (-1, 1)
        c_prev = rng.normal(0.0, 1.5, size=(N, H))  # (N, H)
        dh_next, dc_next = rng.normal(size=(N, H)), rng.normal(size=(N, H))
        cases.append((x, h_prev, c_prev, params, dh_next, dc_next))
    return cases


def cell_cases(seed: int = 803, sizes: tuple = ((2, 5, 3), (1, 4, 2))) -> list[tuple]:
    """(dh_total, f, o, c), each (N, T, H), one per (N, T, H) in `sizes`; c beyond +-1 in places. The defaults
    are the public cases: N = 2, T = 5, H = 3, then N = 1, T = 4, H = 2. Chapter 08."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, T, H in sizes:
        dh_total = rng.normal(size=(N, T, H))
        f = rng.uniform(0.05, 0.95, size=(N, T, H))
        o = rng.uniform(0.05, 0.95, size=(N, T, H))
        c = rng.normal(0.0, 1.5, size=(N, T, H))
        cases.append((dh_total, f, o, c))
    return cases


def bptt_cases(seed: int = 804, sizes: tuple = ((2, 4, 3, 2), (1, 3, 2, 2))) -> list[tuple]:
    """(dh, caches), one per (N, T, D, H) in `sizes`: a sequence run by reference_step_forward. The defaults
    are the public cases: N = 2, T = 4, D = 3, H = 2, then N = 1, T = 3, D = H = 2. Every step's dh is
    non-zero, so that a forgotten upstream gradient shows. Chapter 08."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, T, D, H in sizes:
        params = _params(D, H, rng)
        x = rng.normal(size=(N, T, D))  # (N, T, D)
        h, c = rng.uniform(-0.5, 0.5, size=(N, H)), rng.normal(size=(N, H))  # non-zero initial states
        caches = []
        for t in range(T):
            h, c, cache = reference_step_forward(x[:, t], h, c, params)
            caches.append(cache)
        cases.append((rng.normal(size=(N, T, H)), caches))
    return cases


# ---- shared helpers ------------------------------------------------------------------------------------


def _flat(*arrays) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays])


def _flat_grads(grads: Mapping) -> np.ndarray:
    return _flat(*(grads[name] for name in PARAM_NAMES))


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _shape_words(N: int, D: int, H: int) -> str:
    return f"for N, D, H = {N}, {D}, {H}"


# ---- 8.1 the step forward --------------------------------------------------------------------------------


def _forward_variant(
    *,
    transposed=False,
    swapped=False,
    bias=True,
    candidate="tanh",
    gates="sigmoid",
    h_tanh=True,
    h_cell="new",
    input_gate=True,
    forget="f",
    swap_fi=False,
):
    """A wrong lstm_step_forward with one mistake switched on; returns (h_next, c_next) flattened."""

    def compute(x, h_prev, c_prev, params):
        def pre(gate):
            W, U = params[f"W_{gate}"], params[f"U_{gate}"]
            if swapped:
                W, U = U, W
            if transposed:
                W, U = W.T, U.T
            return x @ W + h_prev @ U + (params[f"b_{gate}"] if bias else 0.0)

        gate_fn = _sigmoid if gates == "sigmoid" else np.tanh
        f, i, o = gate_fn(pre("f")), gate_fn(pre("i")), gate_fn(pre("o"))
        g = np.tanh(pre("g")) if candidate == "tanh" else _sigmoid(pre("g"))
        keep = f if forget == "f" else 1.0 - f
        if swap_fi:
            c_next = i * c_prev + f * g
        else:
            c_next = keep * c_prev + (i if input_gate else 1.0) * g
        cell = c_next if h_cell == "new" else c_prev
        h_next = o * (np.tanh(cell) if h_tanh else cell)
        return _flat(h_next, c_next)

    return compute


_H81 = HINTS["8.1"]
FORWARD_VARIANTS = [
    Variant(_forward_variant(candidate="sigmoid"), "your candidate g is a sigmoid", _H81["candidate_sigmoid"]),
    Variant(_forward_variant(gates="tanh"), "your gates f, i, o are tanh", _H81["gates_tanh"]),
    Variant(_forward_variant(h_tanh=False), "your h_next is o * c_next", _H81["h_no_tanh"]),
    Variant(_forward_variant(h_cell="old"), "your h_next reads c_prev", _H81["h_old_cell"]),
    Variant(_forward_variant(input_gate=False), "your c_next adds g without the input gate", _H81["no_input_gate"]),
    Variant(_forward_variant(forget="1-f"), "your c_next keeps (1 - f) of c_prev", _H81["forget_reversed"]),
    Variant(_forward_variant(swap_fi=True), "your c_next swaps the forget and input gates", _H81["gates_swapped"]),
    Variant(_forward_variant(bias=False), "your gates leave out the biases", _H81["bias"]),
    Variant(_forward_variant(transposed=True), "your gates use transposed weights", _H81["transposed"]),
    Variant(_forward_variant(swapped=True), "your gates multiply x by U and h_prev by W", _H81["swapped_weights"]),
]


def check_step_forward_case(fn, case: tuple) -> None:
    """Task 8.1 on one case: raises Wrong, NotDone or LearnerRaised unless fn is right."""
    x, h_prev, c_prev, params = case[:4]
    (N, D), H = x.shape, h_prev.shape[1]
    where = _shape_words(N, D, H)
    value = call(
        fn,
        x,
        h_prev,
        c_prev,
        params,
        names=("x", "h_prev", "c_prev", "params"),
        shape_hint=_H81["shape_error"],
        where=where,
    ).value
    h_value, c_value, cache = unpack(value, ("h_next", "c_next", "cache"), _H81["not_triple"])
    h_next, c_next = as_numbers(h_value, "your h_next"), as_numbers(c_value, "your c_next")
    for name, got in (("h_next", h_next), ("c_next", c_next)):
        if got.shape != (N, H):
            raise Wrong(f"your {name} has shape {got.shape} ({where})", _H81["shape"])
    expected_h, expected_c, expected_cache = reference_step_forward(x, h_prev, c_prev, params)
    if not (all_close(h_next, expected_h) and all_close(c_next, expected_c)):
        found = diagnose(_flat(h_next, c_next), (x, h_prev, c_prev, params), FORWARD_VARIANTS)
        if found is not None:
            raise Wrong(f"{found.detail} ({where})", found.hint)
        raise Wrong(f"wrong h_next or c_next ({where})", _H81["other"])
    if not isinstance(cache, Mapping) or any(key not in cache for key in CACHE_KEYS):
        missing = [key for key in CACHE_KEYS if not isinstance(cache, Mapping) or key not in cache]
        raise Wrong(f"your cache is {a_type(cache)} without the key(s) {', '.join(missing[:4])}", _H81["cache"])
    for key in ("x", "h_prev", "c_prev", "f", "i", "g", "o", "c"):
        got = as_numbers(cache[key], f"your cache[{key!r}]")
        if got.shape != expected_cache[key].shape or not all_close(got, expected_cache[key]):
            raise Wrong(f"your cache[{key!r}] is not this step's {key} ({where})", _H81["cache"])


# ---- 8.2 the step backward -------------------------------------------------------------------------------


def _backward_variant(
    *,
    tanh_prime="right",
    carried=True,
    h_path=True,
    do_tanh=True,
    df_c_prev=True,
    swap_di_dg=False,
    candidate="tanh",
    sigmoid_twice=False,
    dc_prev="right",
    transposed=False,
):
    """A wrong lstm_step_backward with one mistake switched on; returns everything it computes, flattened."""

    def compute(dh, dc_next, cache):
        x, h_prev, c_prev, p = cache["x"], cache["h_prev"], cache["c_prev"], cache["params"]
        f, i, g, o, c = (cache[key] for key in ("f", "i", "g", "o", "c"))
        tanh_c = np.tanh(c)
        slope_c = {"right": 1.0 - tanh_c**2, "none": 1.0, "of_c": 1.0 - c**2}[tanh_prime]
        do = dh * (tanh_c if do_tanh else 1.0)
        dc = (dc_next if carried else 0.0) + (dh * o * slope_c if h_path else 0.0)
        df = dc * (c_prev if df_c_prev else 1.0)
        di, dg = (dc * i, dc * g) if swap_di_dg else (dc * g, dc * i)
        dc_back = {"right": dc * f, "no_f": dc, "carried_only": dc_next * f}[dc_prev]

        def sigmoid_slope(a):
            s = _sigmoid(a) if sigmoid_twice else a
            return s * (1.0 - s)

        dz = {
            "f": df * sigmoid_slope(f),
            "i": di * sigmoid_slope(i),
            "g": dg * ((1.0 - g**2) if candidate == "tanh" else g * (1.0 - g)),
            "o": do * sigmoid_slope(o),
        }
        dx, dh_prev, grads = 0.0, 0.0, {}
        for gate in GATES:
            W, U = p[f"W_{gate}"], p[f"U_{gate}"]
            dx = dx + dz[gate] @ (W if transposed else W.T)
            dh_prev = dh_prev + dz[gate] @ (U if transposed else U.T)
            grads[f"W_{gate}"] = x.T @ dz[gate]
            grads[f"U_{gate}"] = h_prev.T @ dz[gate]
            grads[f"b_{gate}"] = dz[gate].sum(axis=0)
        return _flat(dx, dh_prev, dc_back, _flat_grads(grads))

    return compute


_H82 = HINTS["8.2"]
BACKWARD_VARIANTS = [
    Variant(
        _backward_variant(tanh_prime="none"),
        "the factor tanh'(c) is missing on the path through h",
        _H82["tanh_prime_c"],
    ),
    Variant(_backward_variant(tanh_prime="of_c"), "your tanh'(c) is 1 - c**2", _H82["tanh_prime_of_c"]),
    Variant(_backward_variant(carried=False), "your dc leaves out dc_next", _H82["carried_dc"]),
    Variant(_backward_variant(h_path=False), "your dc leaves out the path through h", _H82["h_path"]),
    Variant(_backward_variant(do_tanh=False), "your do lacks the factor tanh(c)", _H82["do"]),
    Variant(_backward_variant(df_c_prev=False), "your df lacks the factor c_prev", _H82["df_c_prev"]),
    Variant(_backward_variant(swap_di_dg=True), "your di and dg are swapped", _H82["di_dg_swapped"]),
    Variant(
        _backward_variant(candidate="sigmoid"), "your candidate's derivative is g * (1 - g)", _H82["candidate_sigma"]
    ),
    Variant(
        _backward_variant(sigmoid_twice=True),
        "your gates' derivatives apply the sigmoid to the gates again",
        _H82["sigmoid_twice"],
    ),
    Variant(_backward_variant(dc_prev="no_f"), "your dc_prev lacks the forget gate", _H82["dc_prev_f"]),
    Variant(_backward_variant(dc_prev="carried_only"), "your dc_prev is dc_next * f", _H82["dc_prev_total"]),
    Variant(
        _backward_variant(transposed=True), "your dx and dh_prev use W and U, not their transposes", _H82["transposed"]
    ),
]


def check_step_backward_case(fn, case: tuple) -> None:
    """Task 8.2 on one case: raises Wrong, NotDone or LearnerRaised unless fn is right."""
    x, h_prev, c_prev, params, dh_next, dc_next = case
    (N, D), H = x.shape, h_prev.shape[1]
    where = _shape_words(N, D, H)
    _, _, cache = reference_step_forward(x, h_prev, c_prev, params)
    try:
        value = call(
            fn,
            dh_next,
            dc_next,
            cache,
            names=("dh_next", "dc_next", "cache"),
            shape_hint=_H82["shape_error"],
            where=where,
        ).value
    except LearnerRaised as signal:
        if isinstance(signal.error, KeyError):
            raise Wrong(f"your function raised {describe_error(signal.error)}", _H82["cache_key"]) from None
        raise
    dx_value, dh_value, dc_value, grads_value = unpack(value, ("dx", "dh_prev", "dc_prev", "grads"), _H82["not_quad"])
    got_dx = as_numbers(dx_value, "your dx")
    got_dh = as_numbers(dh_value, "your dh_prev")
    got_dc = as_numbers(dc_value, "your dc_prev")
    got = arrays_by_key(grads_value, PARAM_NAMES, _H82["not_dict"])
    for name, array, shape in (("dx", got_dx, (N, D)), ("dh_prev", got_dh, (N, H)), ("dc_prev", got_dc, (N, H))):
        if array.shape != shape:
            raise Wrong(f"your {name} has shape {array.shape} ({where})", _H82["shape"])
    for name in PARAM_NAMES:
        if got[name].shape != params[name].shape:
            is_axis = name.startswith("b") and got[name].shape in ((N,), (N, H))
            raise Wrong(
                f"your grads[{name!r}] has shape {got[name].shape} ({where})",
                _H82["db_axis"] if is_axis else _H82["shape"],
            )
    dx, dh_prev, dc_prev, grads = reference_step_backward(dh_next, dc_next, cache)
    pairs = [(got_dx, dx), (got_dh, dh_prev), (got_dc, dc_prev)] + [(got[n], grads[n]) for n in PARAM_NAMES]
    if all(all_close(a, b) for a, b in pairs):
        return
    found = diagnose(_flat(got_dx, got_dh, got_dc, _flat_grads(got)), (dh_next, dc_next, cache), BACKWARD_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    others_right = all(all_close(a, b) for a, b in pairs[:3]) and all(
        all_close(got[n], grads[n]) for n in PARAM_NAMES if not n.startswith("b")
    )
    if others_right:  # only the bias gradients are off
        raise Wrong(f"wrong bias gradients ({where})", _H82["db_axis"])
    raise Wrong(f"wrong gradients ({where})", _H82["other"])


# ---- 8.3 the cell-state gradients through time -------------------------------------------------------


def _cell_variant(*, offset=1, slope="right", o_factor=True, carry="total", forget=True, forward=False):
    """A wrong cell_gradients with one mistake switched on.

    offset: the carried gradient uses f[:, t + offset] (1 is right, 0 is the off-by-one);
    slope: "right" (1 - tanh(c)**2), "none", "of_c" (1 - c**2); carry: "total", "none" or "local" (only
    the part that reached c_{t+1} through h_{t+1}); forward: walk t = 0 .. T-1, carrying from t - 1.
    """

    def compute(dh, f, o, c):
        T = dh.shape[1]
        s = {"right": 1.0 - np.tanh(c) ** 2, "none": 1.0, "of_c": 1.0 - c**2}[slope]
        local = dh * (o if o_factor else 1.0) * s  # (N, T, H): what reaches c_t through h_t
        dc = np.zeros_like(dh)
        steps = range(T) if forward else range(T - 1, -1, -1)
        for t in steps:
            later = t - 1 if forward else t + 1
            dc[:, t] = local[:, t]
            if carry != "none" and 0 <= later < T:
                source = dc[:, later] if carry == "total" else local[:, later]
                gate_step = later if offset == 1 else t
                dc[:, t] = dc[:, t] + source * (f[:, gate_step] if forget else 1.0)
        return dc

    return compute


_H83 = HINTS["8.3"]
CELL_VARIANTS = [
    Variant(_cell_variant(offset=0), "your carried gradient uses the forget gate of the same step", _H83["off_by_one"]),
    Variant(_cell_variant(slope="none"), "the factor tanh'(c) is missing", _H83["tanh_prime"]),
    Variant(_cell_variant(slope="of_c"), "your tanh'(c) is 1 - c**2", _H83["tanh_prime_of_c"]),
    Variant(_cell_variant(o_factor=False), "the output gate is missing", _H83["o_factor"]),
    Variant(_cell_variant(carry="none"), "nothing is carried back from later steps", _H83["no_carry"]),
    Variant(_cell_variant(forget=False), "the carried gradient skips the forget gate", _H83["no_forget"]),
    Variant(_cell_variant(forward=True), "your loop carries the gradient forward in time", _H83["direction"]),
    Variant(_cell_variant(forward=True, offset=0), "your loop carries the gradient forward in time", _H83["direction"]),
    Variant(_cell_variant(carry="local"), "you carry only the part that came through h", _H83["carry_local"]),
]


def check_cell_gradients_case(fn, case: tuple) -> None:
    """Task 8.3 on one (dh, f, o, c): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    dh, f, o, c = case
    where = f"for N, T, H = {', '.join(map(str, dh.shape))}"
    value = call(fn, *case, names=("dh", "f", "o", "c"), shape_hint=_H83["shape"], where=where).value
    got = as_numbers(value, "your dc")
    if got.shape != dh.shape:
        raise Wrong(f"your dc has shape {got.shape} ({where})", _H83["shape"])
    if all_close(got, reference_cell_gradients(dh, f, o, c)):
        return
    found = diagnose(got, case, CELL_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    raise Wrong(f"wrong dc ({where})", _H83["other"])


# ---- 8.4 backpropagation through time ---------------------------------------------------------------


def _bptt_variant(*, keep="sum", upstream=True, carry_dh=True, carry_dc=True, reverse=True):
    """A wrong lstm_bptt with one mistake switched on; keep: "sum" (right), "last" (the step visited last
    overwrites the totals) or "mean" (the sum divided by T). Returns everything it computes, flattened."""

    def compute(dh, caches):
        N, T, H = dh.shape
        D = caches[0]["x"].shape[1]
        dx = np.zeros((N, T, D))
        grads = {name: np.zeros_like(p) for name, p in caches[0]["params"].items()}
        dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
        steps = range(T - 1, -1, -1) if reverse else range(T)
        for t in steps:
            if upstream:
                dh_in = dh[:, t] + (dh_carry if carry_dh else 0.0)
            else:
                dh_in = dh_carry + (dh[:, t] if t == T - 1 else 0.0)  # only the last step's loss enters
            dx[:, t], dh_carry, dc_back, step_grads = reference_step_backward(dh_in, dc_carry, caches[t])
            dc_carry = dc_back if carry_dc else np.zeros((N, H))
            for name in grads:
                grads[name] = step_grads[name] if keep == "last" else grads[name] + step_grads[name]
        if keep == "mean":
            grads = {name: value / T for name, value in grads.items()}
        return _flat(dx, dh_carry, dc_carry, _flat_grads(grads))

    return compute


_H84 = HINTS["8.4"]
BPTT_VARIANTS = [
    Variant(_bptt_variant(keep="last"), "your weight gradients are those of one step", _H84["sum_weights"]),
    Variant(_bptt_variant(keep="mean"), "your weight gradients are divided by T", _H84["mean_weights"]),
    Variant(_bptt_variant(upstream=False), "only the last step's dh enters", _H84["upstream"]),
    Variant(_bptt_variant(carry_dh=False), "dh_prev is not carried to the step before", _H84["carry_dh"]),
    Variant(_bptt_variant(carry_dc=False), "dc_prev is not carried to the step before", _H84["carry_dc"]),
    Variant(_bptt_variant(reverse=False), "your loop runs forward in time", _H84["order"]),
]


def check_bptt_case(fn, case: tuple) -> None:
    """Task 8.4 on one (dh, caches): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    dh, caches = case
    N, T, H = dh.shape
    D = caches[0]["x"].shape[1]
    where = f"for N, T, D, H = {N}, {T}, {D}, {H}"
    value = call(
        fn, dh, caches, STEP_BACKWARD, names=("dh", "caches", "step_backward"), shape_hint=_H84["shape"], where=where
    ).value
    dx_value, dh0_value, dc0_value, grads_value = unpack(value, ("dx", "dh0", "dc0", "grads"), _H84["not_quad"])
    got_dx = as_numbers(dx_value, "your dx")
    got_dh0, got_dc0 = as_numbers(dh0_value, "your dh0"), as_numbers(dc0_value, "your dc0")
    got = arrays_by_key(grads_value, PARAM_NAMES, _H84["not_dict"])
    for name, array, shape in (("dx", got_dx, (N, T, D)), ("dh0", got_dh0, (N, H)), ("dc0", got_dc0, (N, H))):
        if array.shape != shape:
            raise Wrong(f"your {name} has shape {array.shape} ({where})", _H84["shape"])
    params = caches[0]["params"]
    for name in PARAM_NAMES:
        if got[name].shape != params[name].shape:
            raise Wrong(f"your grads[{name!r}] has shape {got[name].shape} ({where})", _H84["shape"])
    dx, dh0, dc0, grads = reference_bptt(dh, caches)
    flat = _flat(got_dx, got_dh0, got_dc0, _flat_grads(got))
    if all_close(flat, _flat(dx, dh0, dc0, _flat_grads(grads))):
        return
    found = diagnose(flat, (dh, caches), BPTT_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    if all_close(_flat(got_dx, _flat_grads(got)), _flat(dx, _flat_grads(grads))):
        raise Wrong(f"wrong dh0 or dc0 ({where})", _H84["h0"])
    raise Wrong(f"wrong gradients ({where})", _H84["other"])


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _step_hidden(rng: np.random.Generator) -> list[tuple]:
    """8.1, 8.2: a batch of one with more hidden units than inputs, and more inputs than hidden units."""
    return step_cases(seed_from(rng), ((1, 2, int(rng.integers(4, 7))), (int(rng.integers(3, 6)), 6, 3)))


def _cell_hidden(rng: np.random.Generator) -> list[tuple]:
    """8.3: a longer sequence with a single unit, and a short one."""
    return cell_cases(seed_from(rng), ((3, int(rng.integers(8, 12)), 1), (2, 2, int(rng.integers(3, 6)))))


def _bptt_hidden(rng: np.random.Generator) -> list[tuple]:
    """8.4: a batch of one over a longer sequence with more hidden units, and a single hidden unit."""
    return bptt_cases(seed_from(rng), ((1, int(rng.integers(5, 8)), 2, 3), (3, 2, 4, 1)))


_SIZES = "a batch of one with more hidden units than inputs, and more inputs than hidden units"
_LSTM = "bplib.lstm"
_CHECKS = "bplib.checks.ch08"

TASKS = (
    Task(
        "8.1",
        "lstm_step_forward",
        2,
        "08",
        OnCases(check_step_forward_case, step_cases),
        signature="lstm_step_forward(x, h_prev, c_prev, params)",
        try_it="lstm_step_forward(example_x, example_h, example_c, example_params)",
        hidden=(HiddenCheck("other sizes", _SIZES, check_step_forward_case, _step_hidden),),
        implemented_by=(
            f"{_LSTM}.lstm_step_forward",
            f"{_LSTM}.lstm_forward",
            f"{_CHECKS}.reference_step_forward",
        ),
    ),
    Task(
        "8.2",
        "lstm_step_backward",
        3,
        "08",
        OnCases(check_step_backward_case, step_cases),
        signature="lstm_step_backward(dh_next, dc_next, cache)",
        try_it="lstm_step_backward(example_h, example_c, lstm_step_forward(example_x, example_h, example_c, "
        "example_params)[2])",
        hidden=(HiddenCheck("other sizes", _SIZES, check_step_backward_case, _step_hidden),),
        implemented_by=(
            f"{_LSTM}.lstm_step_backward",
            f"{_LSTM}.lstm_backward",
            f"{_CHECKS}.reference_step_backward",
        ),
    ),
    Task(
        "8.3",
        "cell_gradients",
        2,
        "08",
        OnCases(check_cell_gradients_case, cell_cases),
        signature="cell_gradients(dh_total, f, o, c)",
        try_it="cell_gradients(example_dh_total, example_f, example_o, example_cs)",
        hidden=(
            HiddenCheck(
                "other sequences",
                "a longer sequence with a single unit, and a short one",
                check_cell_gradients_case,
                _cell_hidden,
            ),
        ),
        implemented_by=(
            f"{_LSTM}.lstm_backward",
            "bplib.experiments.memory.cell_gradient_through_time",
            f"{_CHECKS}.reference_cell_gradients",
        ),
    ),
    Task(
        "8.4",
        "lstm_bptt",
        3,
        "08",
        OnCases(check_bptt_case, bptt_cases),
        signature="lstm_bptt(dh, caches, step_backward)",
        try_it="lstm_bptt(example_dh, example_caches, lstm_step_backward)",
        hidden=(
            HiddenCheck(
                "other sizes",
                "a batch of one over a longer sequence with more hidden units, and a single hidden unit",
                check_bptt_case,
                _bptt_hidden,
            ),
        ),
        implemented_by=(
            f"{_LSTM}.lstm_backward",
            "bplib.rnn._bptt",
            "bplib.rnn._bptt_by_distance",
            f"{_CHECKS}.reference_bptt",
        ),
        builds_on=("8.2",),
    ),
)
