"""Checks for exercise 04, backprop through layers (chapter 04).

Tasks (row convention, one example per row: z = x @ W + b with W: (D, H)):
    4.1 output_delta(z, y) -> delta              (sigma(z) - y) * sigma'(z) / N         (N, K)
    4.2 dense_backward(dout, x, W) -> (dx, dW, db)  dout @ W.T, x.T @ dout, dout summed over rows
    4.3 hidden_delta(delta_next, W_next, z) -> delta  (delta_next @ W_next.T) * sigma'(z)   (N, H)
    4.4 network_backward(params, x, y) -> dict   dL/dW1, dL/db1, dL/dW2, dL/db2 of a 2-layer sigmoid
                                                 network with L = (1 / (2N)) * sum((a2 - y)**2)

The expected answers come from bplib.layers and bplib.losses. The cases mix square weight
matrices, where a transposed W has the right shape and only its values give it away, with
non-square ones, where the shapes do (a product that fails, or a gradient of the wrong shape).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bplib import layers, losses
from bplib.activations import sigmoid, sigmoid_prime
from bplib.checks._core import (
    HiddenCheck,
    OnCases,
    Task,
    Variant,
    Wrong,
    a_type,
    all_close,
    as_numbers,
    call,
    diagnose,
    require_array,
    same,
    seed_from,
    shapes_of,
)

# Every hint a checker can give for a recognised mistake, by task and mistake.
# Tests feed each mistake to its checker and look for exactly this text.
HINTS = {
    "4.1": {
        "shape": "delta has one entry per example and output unit: return an array of z's shape (N, K), no sum.",
        "array": "Return a numpy array of z's shape: a list (from .tolist(), or built row by row) is not one.",
        "missing_sigma_prime": (
            "delta is dL/dz, and z reaches the loss through a = sigma(z): by BP1, multiply dL/da entry by "
            "entry by sigma'(z)."
        ),
        "prime_of_a": (
            "sigmoid_prime expects z: given a it computes sigma'(sigma(z)), a different number. Pass it z "
            "itself, or use a (1 - a) with a the sigmoid's output."
        ),
        "z_in_prime": "a (1 - a) is sigma'(z) only when a is the output sigma(z): z (1 - z) puts z in its place.",
        "z_for_a": "The error is a - y, the prediction minus the target: the prediction is the output sigma(z), not z.",
        "sigma_not_prime": "Multiply by the sigmoid's slope sigma'(z) = a * (1 - a), not by a = sigma(z) itself.",
        "sign": "Differentiate (a - y)^2 with respect to a: the error is prediction minus target, a - y, not y - a.",
        "batch_average": (
            "The loss is averaged over the N examples, so every row of delta carries a factor 1 / N, "
            "with N the number of rows of z."
        ),
        "no_two": (
            "The derivative of (a - y)^2 is 2 (a - y), and that 2 cancels the 1/2 of the loss: the factor left "
            "in dL/da is 1 / N, not 1 / (2N)."
        ),
        "divided_by_size": (
            "The loss sums over the K outputs and averages over the N examples only: divide by N, the number "
            "of rows of z, not by its number of entries N K."
        ),
        "other": (
            "Work one entry by hand, N = K = 1 with z = 0 and y = 1, where a = 1/2: what are dL/da and sigma'(z) "
            "there, and their product? Then check which factor changes when N grows."
        ),
    },
    "4.2": {
        "not_three": "Return the three gradients as a tuple: return dx, dW, db.",
        "order": "Return the gradients in the order of the inputs they belong to: (dx, dW, db).",
        "shape_error": (
            "A product failed on shapes. Write them down: dout (N, H), x (N, D), W (D, H). dx must be "
            "(N, D) and dW (D, H): which of W and W.T, x and x.T gives those shapes?"
        ),
        "dx_transposed": (
            "z = x W, so going back from z (N, H) to x (N, D) multiplies dout by the transpose of W. "
            "With a square W, multiplying by W itself gives the right shape but the wrong numbers."
        ),
        "dW_transposed": (
            "dW must have W's shape (D, H), one row per input: the product of dout^T and x is its transpose. "
            "Which factor has to come first?"
        ),
        "reshape": "reshape is not a transpose: it keeps the entries in their memory order. Use .T.",
        "db_axis": "b has one entry per unit, shape (H,): sum dout over the batch (the rows), not over the units.",
        "db_shape": "b was added to every row of z, so db adds up all N rows of dout: shape (H,), like b.",
        "extra_average": (
            "dout already holds the loss's 1 / N: dW and db are plain sums over the batch here; do not divide "
            "by N again."
        ),
        "sign": "z = x @ W + b has only plus signs: no minus sign belongs in dx, dW or db.",
        "other": (
            "Write down the shapes: dout (N, H), x (N, D), W (D, H); each gradient has the shape of what it is "
            "the gradient of. Then work one example by hand (N = 1): which of the three gradients differs?"
        ),
    },
    "4.3": {
        "shape": "delta has the shape of z, (N, H): one error signal per example and hidden unit.",
        "shape_error": (
            "A product failed on shapes: delta_next is (N, K) and W_next is (H, K). Which of W_next and "
            "W_next.T turns an (N, K) array into an (N, H) one?"
        ),
        "transposed": (
            "z_next = a W_next, so going back multiplies delta_next by the transpose of W_next, as in BP2. With "
            "a square W_next, multiplying by W_next itself has the right shape but sends each error along the "
            "wrong weight."
        ),
        "missing_sigma_prime": (
            "delta_next times W_next^T is dL/da, the gradient at the activations: multiply it by sigma'(z) to reach z."
        ),
        "prime_of_a": (
            "sigmoid_prime expects z: given sigma(z) it computes sigma'(a), a different number. Pass it z "
            "itself, or use a (1 - a) with a the sigmoid's output."
        ),
        "z_in_prime": "a (1 - a) is sigma'(z) only when a is the output sigma(z): z (1 - z) puts z in its place.",
        "sigma_not_prime": "Multiply by the sigmoid's slope sigma'(z) = a * (1 - a), not by a = sigma(z) itself.",
        "sign": (
            "No minus sign belongs here: BP2 multiplies the error sent back through W_next by sigma'(z), "
            "and neither factor changes sign."
        ),
        "other": (
            "Write down the shapes: delta_next (N, K), W_next (H, K), z (N, H). Which product of delta_next and "
            "W_next gives (N, H), and which slope does the task's BP2 multiply it by?"
        ),
    },
    "4.4": {
        "not_dict": 'Return a dict with one gradient per parameter: {"W1": ..., "b1": ..., "W2": ..., "b2": ...}.',
        "shape": "Each gradient has the shape of its parameter: W1 (D, H), b1 (H,), W2 (H, K), b2 (K,).",
        "db_axis": "A bias gradient has one entry per unit: sum the layer's delta over the batch (the rows).",
        "in_place": (
            "Leave params as they are: this function only computes the gradients. Updating the weights comes "
            "afterwards, once every gradient is known."
        ),
        "shape_error": (
            "A product failed on shapes: delta2 is (N, K) and W2 is (H, K). Going back to the hidden layer "
            "multiplies by the transpose of W2, which turns (N, K) into (N, H)."
        ),
        "transposed": (
            "The hidden delta goes back through the transpose of W2, as in BP2, not through W2 itself. With a "
            "square W2 both have the right shape, so only the numbers show it."
        ),
        "output_sigma_prime": "The output delta is dL/dz2, BP1: it needs the factor sigma'(z2) as well as dL/da2.",
        "hidden_sigma_prime": (
            "The hidden delta needs the hidden layer's slope too: after going back through W2, multiply by sigma'(z1)."
        ),
        "prime_of_a": (
            "sigmoid_prime expects z: sigmoid_prime(a) is sigma'(sigma(z)). With the activations at hand, "
            "use a * (1 - a)."
        ),
        "batch_average": "The loss is averaged over the N examples: the output delta carries 1 / N, N the rows of x.",
        "sign": "dL/da2 = (a2 - y) / N: prediction minus target. Check the sign.",
        "forward_bias": "Include the biases in the forward pass: z1 and z2 each add their layer's bias.",
        "other": (
            "Check the pieces one at a time: do Tasks 4.1, 4.2 and 4.3 pass? Then write down the shape of every "
            "quantity, z1 (N, H), delta2 (N, K) and so on, and compare each gradient's shape with its parameter's."
        ),
    },
}

PARAM_NAMES = ("W1", "b1", "W2", "b2")


# ---- shared helpers -----------------------------------------------------------------


def _wrong_values(found: Variant | None, what: str, where: str, other: str) -> Wrong:
    """Wrong with the recognised mistake's detail and hint, else "wrong <what>" and the task's general hint."""
    if found is not None:
        return Wrong(f"{found.detail} ({where})", found.hint)
    return Wrong(f"wrong {what} ({where})", other)


def _sp(z):
    """sigma'(z) written with the activation, as in the backward pass."""
    s = sigmoid(z)
    return s * (1.0 - s)


# ---- 4.1 output_delta -------------------------------------------------------------------


def reference_output_delta(z, y) -> np.ndarray:
    """dL/dz for a = sigma(z) and L = (1 / (2N)) sum((a - y)**2), from bplib. Chapter 04.

    Inputs:
        z: (N, K) output pre-activations; y: (N, K) targets.
    Returns:
        delta: (N, K).
    """
    a, sigmoid_cache = layers.sigmoid_forward(z)
    _, loss_cache = losses.squared_error_forward(a, y)
    return layers.sigmoid_backward(losses.squared_error_backward(1.0, loss_cache), sigmoid_cache)


def output_cases(seed: int = 401, sizes: tuple = ((1, 3), (4, 3), (3, 1))) -> list[tuple[np.ndarray, np.ndarray]]:
    """(z, y) pairs, one per (N, K) in `sizes`. The defaults are the public cases: one example first
    (N = 1 hides a missing 1/N), then batches; no K is 2, so dividing by 2N is never dividing by N * K.
    Chapter 04."""
    rng = np.random.default_rng(seed)
    return [
        (rng.uniform(-2.0, 2.0, size=(N, K)), rng.uniform(0.0, 1.0, size=(N, K)))  # z: (N, K), y: (N, K)
        for N, K in sizes
    ]


_H41 = HINTS["4.1"]
_s = sigmoid


def _n(z) -> int:
    return np.shape(z)[0]


OUTPUT_DELTA_VARIANTS = [
    Variant(lambda z, y: (_s(z) - y) / _n(z), "the factor sigma'(z) is missing", _H41["missing_sigma_prime"]),
    Variant(lambda z, y: _s(z) - y, "the factor sigma'(z) is missing", _H41["missing_sigma_prime"]),
    Variant(lambda z, y: (_s(z) - y) * sigmoid_prime(_s(z)) / _n(z), "your slope is sigma'(a)", _H41["prime_of_a"]),
    Variant(lambda z, y: (_s(z) - y) * sigmoid_prime(_s(z)), "your slope is sigma'(a)", _H41["prime_of_a"]),
    Variant(lambda z, y: (_s(z) - y) * z * (1 - z) / _n(z), "your slope is z * (1 - z)", _H41["z_in_prime"]),
    Variant(lambda z, y: (z - y) * _sp(z) / _n(z), "your error term is z - y", _H41["z_for_a"]),
    Variant(lambda z, y: (z - y) * z * (1 - z) / _n(z), "you used z where a = sigma(z) belongs", _H41["z_for_a"]),
    Variant(lambda z, y: (_s(z) - y) * _s(z) / _n(z), "you multiplied by sigma(z)", _H41["sigma_not_prime"]),
    Variant(lambda z, y: (y - _s(z)) * _sp(z) / _n(z), "your values have the wrong sign", _H41["sign"]),
    Variant(lambda z, y: (_s(z) - y) * _sp(z), "the factor 1 / N is missing", _H41["batch_average"]),
    Variant(lambda z, y: (_s(z) - y) * _sp(z) / np.size(z), "you divided by N * K", _H41["divided_by_size"]),
    Variant(lambda z, y: (_s(z) - y) * _sp(z) / (2 * _n(z)), "you divided by 2N", _H41["no_two"]),
]


def check_output_case(fn, case: tuple) -> None:
    """Task 4.1 on one (z, y), both (N, K): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    z, y = case
    expected = reference_output_delta(z, y)
    value = call(fn, z, y, names=("z", "y"), shape_hint=_H41["shape"]).value
    shapes = shapes_of(("z", "y"), (z, y))
    require_array(value, z, shapes, _H41["array"])
    got = as_numbers(value)
    if got.shape != expected.shape:
        raise Wrong(f"your function returned shape {got.shape} (for {shapes})", _H41["shape"])
    if not all_close(got, expected):
        raise _wrong_values(diagnose(got, (z, y), OUTPUT_DELTA_VARIANTS), "values", f"for {shapes}", _H41["other"])


# ---- 4.2 dense_backward --------------------------------------------------------------------


def dense_cases(
    seed: int = 402, sizes: tuple = ((4, 3, 2), (2, 2, 2), (1, 2, 3))
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(dout, x, W) triples, one per (N, D, H) in `sizes`. The defaults are the public cases: non-square
    first, so a transposed W fails on shapes; then all square (N = D = H), where only the values show a
    transposed W or a sum over the wrong axis. Chapter 04."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, H in sizes:
        dout = rng.normal(size=(N, H))  # (N, H)
        x = rng.normal(size=(N, D))  # (N, D)
        W = rng.normal(size=(D, H))  # (D, H)
        cases.append((dout, x, W))
    return cases


def reference_dense_backward(dout, x, W) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dW, db) of z = x @ W + b from bplib.layers.dense_backward. Chapter 04."""
    _, cache = layers.dense_forward(x, W, np.zeros(np.shape(W)[1]))
    return layers.dense_backward(dout, cache)


_H42 = HINTS["4.2"]
DX_VARIANTS = [
    Variant(lambda dout, x, W: dout @ W, "dx is dout @ W", _H42["dx_transposed"]),
    Variant(lambda dout, x, W: -(dout @ W.T), "dx has the wrong sign", _H42["sign"]),
    Variant(lambda dout, x, W: dout @ W.T / len(dout), "dx is divided by N", _H42["extra_average"]),
]
DW_VARIANTS = [
    Variant(lambda dout, x, W: dout.T @ x, "dW is transposed", _H42["dW_transposed"]),
    Variant(lambda dout, x, W: (dout.T @ x).reshape(W.shape), "dW is a reshaped dout.T @ x", _H42["reshape"]),
    Variant(lambda dout, x, W: -(x.T @ dout), "dW has the wrong sign", _H42["sign"]),
    Variant(lambda dout, x, W: x.T @ dout / len(dout), "dW is divided by N", _H42["extra_average"]),
]
DB_VARIANTS = [
    Variant(lambda dout, x, W: dout.sum(axis=1), "db sums over the units", _H42["db_axis"]),
    Variant(lambda dout, x, W: dout.mean(axis=0), "db is the mean over the batch", _H42["extra_average"]),
    Variant(lambda dout, x, W: -dout.sum(axis=0), "db has the wrong sign", _H42["sign"]),
]


def _gradient_triple(value) -> list[np.ndarray]:
    """The learner's (dx, dW, db) as three float arrays, or Wrong."""
    if not isinstance(value, (tuple, list)):
        raise Wrong(f"your function returned {a_type(value)}, expected a tuple (dx, dW, db)", _H42["not_three"])
    if len(value) != 3:
        raise Wrong(f"your function returned {len(value)} values, expected 3 (dx, dW, db)", _H42["not_three"])
    return [as_numbers(v, f"your {name}") for v, name in zip(value, ("dx", "dW", "db"), strict=True)]


def _shape_hint_42(name: str, got: tuple, dout: np.ndarray, x: np.ndarray, W: np.ndarray) -> str:
    if name == "dW" and got == W.shape[::-1]:
        return _H42["dW_transposed"]
    if name == "db":
        return _H42["db_axis"] if got == (dout.shape[0],) else _H42["db_shape"]
    return _H42["shape_error"]


def check_dense_case(fn, case: tuple) -> None:
    """Task 4.2 on one (dout, x, W): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    dout, x, W = case
    names = ("dout", "x", "W")
    shapes = shapes_of(names, case)
    got = _gradient_triple(call(fn, *case, names=names, shape_hint=_H42["shape_error"]).value)
    expected = reference_dense_backward(dout, x, W)
    got_shapes = [g.shape for g in got]
    want_shapes = [e.shape for e in expected]
    if got_shapes != want_shapes:
        if len(set(want_shapes)) == 3 and sorted(got_shapes) == sorted(want_shapes):
            raise Wrong(f"your shapes {got_shapes} come in another order (for {shapes})", _H42["order"])
        for name, g, e in zip(("dx", "dW", "db"), got, expected, strict=True):
            if g.shape != e.shape:
                raise Wrong(f"your {name} has shape {g.shape} (for {shapes})", _shape_hint_42(name, g.shape, *case))
    for name, g, e, variants in zip(
        ("dx", "dW", "db"), got, expected, (DX_VARIANTS, DW_VARIANTS, DB_VARIANTS), strict=True
    ):
        if not all_close(g, e):
            raise _wrong_values(diagnose(g, case, variants), name, f"for {shapes}", _H42["other"])


# ---- 4.3 hidden_delta ------------------------------------------------------------------------


def hidden_cases(
    seed: int = 403, sizes: tuple = ((3, 2, 2), (4, 3, 2), (1, 4, 3))
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(delta_next, W_next, z) triples, one per (N, H, K) in `sizes`. The defaults are the public cases:
    a square W_next first (H = K), where only the values show a transposed W_next, then non-square
    ones, where the product fails. Chapter 04."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, H, K in sizes:
        delta_next = rng.normal(size=(N, K))  # (N, K)
        W_next = rng.normal(size=(H, K))  # (H, K)
        z = rng.uniform(-2.0, 2.0, size=(N, H))  # (N, H)
        cases.append((delta_next, W_next, z))
    return cases


def reference_hidden_delta(delta_next, W_next, z) -> np.ndarray:
    """dL/dz of a sigmoid layer a = sigma(z) feeding z_next = a @ W_next + b, from bplib.layers. Chapter 04."""
    a, sigmoid_cache = layers.sigmoid_forward(z)
    _, dense_cache = layers.dense_forward(a, W_next, np.zeros(np.shape(W_next)[1]))
    da, _, _ = layers.dense_backward(delta_next, dense_cache)
    return layers.sigmoid_backward(da, sigmoid_cache)


_H43 = HINTS["4.3"]
HIDDEN_VARIANTS = [
    Variant(lambda d, W, z: (d @ W) * _sp(z), "you multiplied by W_next, not W_next.T", _H43["transposed"]),
    Variant(lambda d, W, z: d @ W, "you multiplied by W_next and not by sigma'(z)", _H43["transposed"]),
    Variant(lambda d, W, z: d @ W.T, "the factor sigma'(z) is missing", _H43["missing_sigma_prime"]),
    Variant(lambda d, W, z: (d @ W.T) * sigmoid_prime(_s(z)), "your slope is sigma'(a)", _H43["prime_of_a"]),
    Variant(lambda d, W, z: (d @ W.T) * z * (1 - z), "your slope is z * (1 - z)", _H43["z_in_prime"]),
    Variant(lambda d, W, z: (d @ W.T) * _s(z), "you multiplied by sigma(z)", _H43["sigma_not_prime"]),
    Variant(lambda d, W, z: -(d @ W.T) * _sp(z), "your values have the wrong sign", _H43["sign"]),
]


def check_hidden_case(fn, case: tuple) -> None:
    """Task 4.3 on one (delta_next, W_next, z): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    names = ("delta_next", "W_next", "z")
    shapes = shapes_of(names, case)
    got = as_numbers(call(fn, *case, names=names, shape_hint=_H43["shape_error"]).value)
    expected = reference_hidden_delta(*case)
    if got.shape != expected.shape:
        raise Wrong(f"your function returned shape {got.shape} (for {shapes})", _H43["shape"])
    if not all_close(got, expected):
        raise _wrong_values(diagnose(got, case, HIDDEN_VARIANTS), "values", f"for {shapes}", _H43["other"])


# ---- 4.4 network_backward ----------------------------------------------------------------------


def network_cases(
    seed: int = 404, sizes: tuple = ((3, 2, 2, 2), (5, 3, 4, 2))
) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """(params, x, y), one per (N, D, H, K) in `sizes`. The defaults are the public cases: a 2-2-2
    network first (square W2: only the values show a transposed W2), then a 3-4-2 one (D, H, K and
    N all different: shapes show it). Chapter 04."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, H, K in sizes:
        params = {
            "W1": rng.normal(size=(D, H)),  # (D, H)
            "b1": rng.normal(size=H),  # (H,)
            "W2": rng.normal(size=(H, K)),  # (H, K)
            "b2": rng.normal(size=K),  # (K,)
        }
        x = rng.normal(size=(N, D))  # (N, D)
        y = rng.uniform(0.0, 1.0, size=(N, K))  # (N, K)
        cases.append((params, x, y))
    return cases


def reference_network_backward(params, x, y) -> dict[str, np.ndarray]:
    """The four gradients of the 2-layer sigmoid network with squared error, from bplib. Chapter 04.

    Inputs:
        params: dict W1: (D, H), b1: (H,), W2: (H, K), b2: (K,); x: (N, D); y: (N, K).
    Returns:
        dict W1, b1, W2, b2 -> dL/d(parameter), each of its parameter's shape.
    """
    z1, dense1 = layers.dense_forward(x, params["W1"], params["b1"])
    a1, sigmoid1 = layers.sigmoid_forward(z1)
    z2, dense2 = layers.dense_forward(a1, params["W2"], params["b2"])
    a2, sigmoid2 = layers.sigmoid_forward(z2)
    _, loss_cache = losses.squared_error_forward(a2, y)
    delta2 = layers.sigmoid_backward(losses.squared_error_backward(1.0, loss_cache), sigmoid2)
    da1, dW2, db2 = layers.dense_backward(delta2, dense2)
    delta1 = layers.sigmoid_backward(da1, sigmoid1)
    _, dW1, db1 = layers.dense_backward(delta1, dense1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _network_variant(*, output_slope="sp", hidden_slope="sp", transposed=False, average=True, sign=1.0, biases=True):
    """A wrong network_backward, flattened: slopes are "sp" (right), "none", or "of_a" (sigma'(a))."""

    def slope(kind, z):
        return {"sp": _sp(z), "none": 1.0, "of_a": sigmoid_prime(_s(z))}[kind]

    def compute(params, x, y):
        W1, b1, W2, b2 = (params[name] for name in PARAM_NAMES)
        z1 = x @ W1 + (b1 if biases else 0.0)
        a1 = _s(z1)
        z2 = a1 @ W2 + (b2 if biases else 0.0)
        a2 = _s(z2)
        delta2 = sign * (a2 - y) / (len(x) if average else 1.0) * slope(output_slope, z2)
        delta1 = (delta2 @ (W2 if transposed else W2.T)) * slope(hidden_slope, z1)
        grads = (x.T @ delta1, delta1.sum(axis=0), a1.T @ delta2, delta2.sum(axis=0))
        return np.concatenate([g.ravel() for g in grads])

    return compute


_H44 = HINTS["4.4"]
NETWORK_VARIANTS = [
    Variant(_network_variant(transposed=True), "the hidden delta uses W2, not W2.T", _H44["transposed"]),
    Variant(_network_variant(output_slope="none"), "the output delta lacks sigma'(z2)", _H44["output_sigma_prime"]),
    Variant(
        _network_variant(output_slope="none", hidden_slope="none"),
        "both deltas lack sigma'(z)",
        _H44["output_sigma_prime"],
    ),
    Variant(_network_variant(hidden_slope="none"), "the hidden delta lacks sigma'(z1)", _H44["hidden_sigma_prime"]),
    Variant(
        _network_variant(output_slope="of_a", hidden_slope="of_a"), "your slopes are sigma'(a)", _H44["prime_of_a"]
    ),
    Variant(_network_variant(output_slope="of_a"), "the output slope is sigma'(a2)", _H44["prime_of_a"]),
    Variant(_network_variant(hidden_slope="of_a"), "the hidden slope is sigma'(a1)", _H44["prime_of_a"]),
    Variant(_network_variant(average=False), "the factor 1 / N is missing", _H44["batch_average"]),
    Variant(_network_variant(sign=-1.0), "the gradients have the wrong sign", _H44["sign"]),
    Variant(_network_variant(biases=False), "your forward pass leaves out the biases", _H44["forward_bias"]),
]


def check_network_case(fn, case: tuple) -> None:
    """Task 4.4 on one (params, x, y): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    params, x, y = case
    D, H = params["W1"].shape
    K = params["W2"].shape[1]
    where = f"for D, H, K = {D}, {H}, {K} and N = {x.shape[0]}"
    outcome = call(fn, params, x, y, names=("params", "x", "y"), shape_hint=_H44["shape_error"], check_in_place=False)
    value, seen = outcome.value, outcome.args_after[0]
    if not isinstance(value, Mapping):
        raise Wrong(f"your function returned {a_type(value)}, not a dict", _H44["not_dict"])
    missing = [name for name in PARAM_NAMES if name not in value]
    if missing:
        raise Wrong(f"the dict has no key {', '.join(repr(k) for k in missing)}", _H44["not_dict"])
    changed = [name for name in PARAM_NAMES if not (isinstance(seen, Mapping) and same(seen.get(name), params[name]))]
    if changed:
        raise Wrong(f"your function changed params[{changed[0]!r}] in place", _H44["in_place"])
    got = {name: as_numbers(value[name], f"your gradient {name!r}") for name in PARAM_NAMES}
    for name in PARAM_NAMES:
        if got[name].shape != params[name].shape:
            is_axis = name.startswith("b") and got[name].shape == (x.shape[0],)
            raise Wrong(
                f"your gradient {name!r} has shape {got[name].shape} ({where})",
                _H44["db_axis"] if is_axis else _H44["shape"],
            )
    expected = reference_network_backward(params, x, y)
    wrong = [name for name in PARAM_NAMES if not all_close(got[name], expected[name])]
    if not wrong:
        return
    flat = np.concatenate([got[name].ravel() for name in PARAM_NAMES])
    found = diagnose(flat, case, NETWORK_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    names = ", ".join(repr(name) for name in wrong)
    raise Wrong(f"wrong gradients {names} ({where})", _H44["other"])


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _size(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _output_hidden(rng: np.random.Generator) -> list[tuple]:
    """4.1: a single example with a single output, more outputs than examples, more examples than outputs."""
    sizes = ((1, 1), (2, _size(rng, 4, 6)), (_size(rng, 5, 8), _size(rng, 3, 4)))
    return output_cases(seed_from(rng), sizes)


def _dense_hidden(rng: np.random.Generator) -> list[tuple]:
    """4.2: a batch of one, N, D, H all different, and a square W with N different."""
    side = _size(rng, 3, 5)
    sizes = ((1, _size(rng, 4, 6), _size(rng, 2, 3)), (6, 2, 7), (_size(rng, 6, 8), side, side))
    return dense_cases(seed_from(rng), sizes)


def _dense_integer(rng: np.random.Generator) -> list[tuple]:
    """4.2: (dout, x, W) with x an int64 array."""
    cases = dense_cases(seed_from(rng), ((5, 3, 2), (1, 4, 3)))
    return [(dout, np.rint(3.0 * x).astype(np.int64), W) for dout, x, W in cases]


def _hidden_delta_hidden(rng: np.random.Generator) -> list[tuple]:
    """4.3: a batch of one with more outputs than hidden units, a single output unit, a square W_next."""
    side = _size(rng, 3, 5)
    sizes = ((1, 2, _size(rng, 4, 6)), (_size(rng, 4, 6), 3, 1), (2, side, side))
    return hidden_cases(seed_from(rng), sizes)


def _network_hidden(rng: np.random.Generator) -> list[tuple]:
    """4.4: a batch of one with a single output, and N, D, H, K all different with more outputs."""
    return network_cases(seed_from(rng), ((1, _size(rng, 3, 4), 3, 1), (6, 2, 5, 3)))


_LAYERS = "bplib.layers"
_OUTPUT_DELTA = (
    f"{_LAYERS}.sigmoid_backward",
    f"{_LAYERS}._sigmoid_backward",
    "bplib.losses.squared_error_backward",
    "bplib.losses._squared_error_backward",
    "bplib.checks.ch04.reference_output_delta",
)
_DENSE = (f"{_LAYERS}.dense_backward", f"{_LAYERS}._dense_backward", "bplib.checks.ch04.reference_dense_backward")
_HIDDEN_DELTA = (
    f"{_LAYERS}.sigmoid_backward",
    f"{_LAYERS}._sigmoid_backward",
    f"{_LAYERS}.dense_backward",
    f"{_LAYERS}._dense_backward",
    "bplib.checks.ch04.reference_hidden_delta",
)

TASKS = (
    Task(
        "4.1",
        "output_delta",
        2,
        "04",
        OnCases(check_output_case, output_cases),
        signature="output_delta(z, y)",
        try_it="output_delta(np.array([[0.5, -1.0]]), np.array([[1.0, 0.0]]))",
        hidden=(
            HiddenCheck(
                "other shapes",
                "a single example with a single output, and more outputs than examples",
                check_output_case,
                _output_hidden,
            ),
        ),
        implemented_by=_OUTPUT_DELTA,
    ),
    Task(
        "4.2",
        "dense_backward",
        2,
        "04",
        OnCases(check_dense_case, dense_cases),
        signature="dense_backward(dout, x, W)",
        try_it="dense_backward(np.ones((4, 2)), np.ones((4, 3)), np.ones((3, 2)))",
        hidden=(
            HiddenCheck(
                "other shapes",
                "a batch of one, N, D, H all different, and a square W with N different",
                check_dense_case,
                _dense_hidden,
            ),
            HiddenCheck("integer inputs", "x given as an integer array", check_dense_case, _dense_integer),
        ),
        implemented_by=_DENSE,
    ),
    Task(
        "4.3",
        "hidden_delta",
        2,
        "04",
        OnCases(check_hidden_case, hidden_cases),
        signature="hidden_delta(delta_next, W_next, z)",
        try_it="hidden_delta(np.ones((4, 2)), np.ones((3, 2)), np.zeros((4, 3)))",
        hidden=(
            HiddenCheck(
                "other shapes",
                "a batch of one with more outputs than hidden units, a single output unit, a square W_next",
                check_hidden_case,
                _hidden_delta_hidden,
            ),
        ),
        implemented_by=_HIDDEN_DELTA,
    ),
    Task(
        "4.4",
        "network_backward",
        3,
        "04",
        OnCases(check_network_case, network_cases),
        signature="network_backward(params, x, y)",
        try_it="network_backward(example_params, example_x, example_y)",
        hidden=(
            HiddenCheck(
                "other sizes",
                "a batch of one with a single output, and N, D, H, K all different with more outputs",
                check_network_case,
                _network_hidden,
            ),
        ),
        implemented_by=(
            *_OUTPUT_DELTA,
            *_DENSE,
            *_HIDDEN_DELTA,
            "bplib.checks.ch04.reference_network_backward",
            "bplib.network.Network.backward",
        ),
        builds_on=("4.1", "4.2", "4.3"),
    ),
)
