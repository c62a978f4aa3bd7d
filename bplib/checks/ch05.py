"""Checks for exercise 05, vectorized backprop (chapter 05).

Tasks (row convention, one example per row: z = x @ W + b with W: (D, H)):
    5.1 bias_trick(x, W, b) -> (x_aug, W_aug)           x_aug @ W_aug == x @ W + b, one product
    5.2 softmax_cross_entropy(z, y) -> (loss, dz)        mean cross-entropy of softmax(z) and
                                                         dz = (softmax(z) - onehot(y)) / N, stable
    5.3 mlp_loss_and_grads(params, x, y) -> (loss, grads)  x -> dense -> ReLU -> dense -> softmax
                                                         cross-entropy; grads W1, b1, W2, b2
    5.4 sgd_epoch(params, x, y, lr, batch_size, loss_and_grads) -> (params, losses)
                                                         one pass of mini-batch SGD, batches in order

The expected answers come from bplib.layers and bplib.losses. Shapes are chosen so that
mistakes show: non-square weights make a transposed product fail, a square case shows it by
value; logits near +-1000 show an unstable softmax; a batch size that does not divide N shows a
dropped last batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from bplib import layers, losses
from bplib.activations import softmax
from bplib.checks import given
from bplib.checks._core import (
    Given,
    HiddenCheck,
    OnCases,
    Task,
    Variant,
    Wrong,
    a_type,
    all_close,
    arrays_by_key,
    as_numbers,
    call,
    diagnose,
    same,
    seed_from,
    unpack,
)

# Every hint a checker can give for a recognised mistake, by task and mistake.
# Tests feed each mistake to its checker and look for exactly this text.
HINTS = {
    "5.1": {
        "not_pair": "Return the two arrays as a tuple: return x_aug, W_aug.",
        "x_shape": "x_aug is x with one more column, a column of ones: shape (N, D + 1). np.hstack joins columns.",
        "ones_row": "The ones form a new column (one 1 per example), not a new row: shape (N, D + 1), not (N + 1, D).",
        "W_shape": (
            "b becomes one more row of W, so W_aug has shape (D + 1, H): stack b under W as its last row. "
            "(np.append flattens both into one long vector.)"
        ),
        "concat": (
            "np.hstack joins arrays side by side and needs the same number of rows and of dimensions: x (N, D) "
            "with a column of ones (N, 1). np.vstack stacks rows and needs the same number of columns: W (D, H) "
            "with b (H,)."
        ),
        "zeros": "The extra column must hold ones: it multiplies b's row by 1, so that b is added to every example.",
        "x_changed": "Keep x's own columns as they are; only add the column of ones.",
        "W_changed": "Keep W's rows as they are; only add b as one more row.",
        "not_last": (
            "The product comes out right, but the task (and add_bias_column, which chapter 05 uses) puts the ones "
            "in the last column of x_aug and b in the last row of W_aug: code that reads the bias from W_aug[-1] "
            "would get a weight row from yours."
        ),
        "mismatch": (
            "The ones column and b's row must sit at the same position: the last column of x_aug pairs with "
            "the last row of W_aug in the product."
        ),
    },
    "5.2": {
        "not_pair": "Return the loss and the gradient as a tuple: return loss, dz.",
        "loss_not_number": (
            "The loss is one number: average the N examples' -log y_hat[n, y[n]] (a mean, not one value per example)."
        ),
        "shape": "dz has the shape of z, (N, C): one gradient per example and class.",
        "overflow": (
            "np.exp of a large logit overflows (np.exp(1000) is inf). Softmax does not change when a constant is "
            "subtracted from a row: subtract each row's maximum first."
        ),
        "global_max": (
            "Subtract each row's own maximum, one number per example kept as a column so that it lines up with "
            "its row: with one maximum for the whole batch, a row far below it underflows to all zeros and "
            "gives 0 / 0."
        ),
        "log_of_zero": (
            "A true class whose probability rounds to 0 gives log(0) = -inf. Compute log y_hat directly: "
            "log softmax(z) = (z - m) - log(sum(exp(z - m))) with m the row's maximum."
        ),
        "loss_sum": "The loss is a mean over the batch: divide the sum over the N examples by N.",
        "loss_sign": "Cross-entropy is -log y_hat of the true class, a positive number: check the sign.",
        "batch_average": (
            "The loss averages over the N examples, so its gradient carries 1 / N as well, as in the task's dL/dz."
        ),
        "sign": "dL/dz is prediction minus target, y_hat - onehot(y), over N: not the other way round.",
        "onehot": (
            "Subtract the target from the probabilities: onehot(y) has a 1 at each example's true class and "
            "zeros elsewhere."
        ),
        "softmax_axis": (
            "Each example is a row, and its probabilities sum to 1: normalise over the classes of each row, "
            "not over the batch."
        ),
        "other_loss": (
            "Work one row by hand: with all its logits equal, every class gets probability 1 / C, so what loss "
            "do you expect? Compare with yours, and check that you take each row's true class and average over "
            "the N rows."
        ),
        "other_dz": (
            "Compare your dz with the task's formula row by row: does each row add up to zero, with the true "
            "class's entry the only negative one? Check the 1 / N as well."
        ),
    },
    "5.3": {
        "not_pair": "Return the loss and the gradients as a tuple: return loss, grads.",
        "not_dict": 'grads is a dict with one gradient per parameter: {"W1": ..., "b1": ..., "W2": ..., "b2": ...}.',
        "shape": "Each gradient has the shape of its parameter: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).",
        "db_axis": "A bias gradient has one entry per unit: sum the layer's dz over the batch (the rows).",
        "in_place": "Leave params as they are: this function only computes the loss and the gradients.",
        "shape_error": (
            "A product failed on shapes. Write them down: dz2 (N, C), W2 (H, C), a1 (N, H), x (N, D). "
            "Going back through z2 = a1 W2 multiplies by the transpose of W2: (N, C) times (C, H) gives (N, H)."
        ),
        "transposed": (
            "Going back to a1 multiplies dz2 by the transpose of W2, not by W2. With a square W2 both have the "
            "right shape, so only the numbers show it."
        ),
        "relu_prime": "Back through the ReLU, multiply by its slope relu'(z1): 1 where z1 > 0, and 0 elsewhere.",
        "relu_value": "Multiply by the ReLU's slope relu'(z1) (0 or 1), not by its output relu(z1).",
        "batch_average": ("The loss averages over the N examples: dz2, the gradient of Task 5.2, carries the 1 / N."),
        "extra_average": (
            "dz2 already holds the 1 / N: the weight and bias gradients are plain sums over the batch; do not "
            "divide by N again."
        ),
        "sign": "dz2 is prediction minus target, y_hat - onehot(y), over N: check the signs.",
        "forward_bias": "Include the biases in the forward pass: z1 and z2 each add their layer's bias.",
        "loss": (
            "The gradients are right but the loss is not: it is the mean over the N examples of -log y_hat "
            "of the true class, with y_hat = softmax(z2)."
        ),
        "other": (
            "Write the shape next to every line, as the task suggests: x (N, D), z1 and a1 (N, H), z2 (N, C). "
            "Which gradient is off? Compare each one's shape with its parameter's, and check that Task 5.2 passes."
        ),
    },
    "5.4": {
        "not_pair": "Return the new parameters and the batch losses as a tuple: return params, losses.",
        "not_dict": 'Return the parameters as a dict with the same names as params: {"W1": ..., "b1": ..., ...}.',
        "shape": "Each parameter keeps its shape: a step changes its values, not its shape.",
        "losses_count": (
            "Record one loss per mini-batch, in order: with N examples and batch size B there are ceil(N / B) batches."
        ),
        "sign": "Gradient descent steps against the gradient: subtract lr times the gradient, don't add it.",
        "no_lr": "Scale each step by the learning rate: a parameter moves by lr times its gradient, not the gradient.",
        "full_batch": (
            "Update once per mini-batch, the rows 0 to B, then B to 2B and so on, with a step after each batch, "
            "not once with the whole data."
        ),
        "dropped_last": (
            "The last mini-batch may be smaller: keep going while rows are left, and slicing past the end of an "
            "array just stops there. Every example is used once per epoch."
        ),
        "stale_grads": (
            "Compute each batch's gradient at the parameters the previous batches left: update params before "
            "calling loss_and_grads on the next batch."
        ),
        "missing_param": "Update every parameter, the biases too: every name in params takes its step.",
        "extra_average": (
            "The loss already averages over the batch: step by lr times the gradient, with no extra division by "
            "the batch size."
        ),
        "losses_after": "Record the loss loss_and_grads returns for the batch, computed before that batch's update.",
        "other": (
            "Work a tiny case by hand: N = 5 examples with batch size 2 give batches of 2, 2 and 1 rows, so three "
            "losses. Does your function make three updates, each at the parameters the one before left?"
        ),
    },
}

PARAM_NAMES = ("W1", "b1", "W2", "b2")


# ---- shared helpers ---------------------------------------------------------------------


def _where(names: tuple[str, ...], args: tuple) -> str:
    parts = []
    for name, arg in zip(names, args, strict=True):
        if isinstance(arg, Mapping):
            parts.extend(f"{key} {np.shape(value)}" for key, value in arg.items())
        elif isinstance(arg, np.ndarray):
            parts.append(f"{name} {arg.shape}")
    return "for " + ", ".join(parts)


def _onehot(y: np.ndarray, C: int) -> np.ndarray:
    rows = np.zeros((len(y), C))
    rows[np.arange(len(y)), y] = 1.0
    return rows


# ---- 5.1 the bias trick ------------------------------------------------------------------


def bias_cases(
    seed: int = 501, sizes: tuple = ((4, 3, 2), (3, 2, 2))
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(x, W, b), one per (N, D, H) in `sizes`. The defaults are the public cases: N, D, H all
    different, then a square W (D = H). Chapter 05."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=H)) for N, D, H in sizes]


def reference_bias_trick(x, W, b) -> tuple[np.ndarray, np.ndarray]:
    """x with a last column of ones, W with b as its last row. Chapter 05.

    Inputs:
        x: (N, D); W: (D, H); b: (H,).
    Returns:
        x_aug: (N, D + 1), W_aug: (D + 1, H), with x_aug @ W_aug == x @ W + b.
    """
    return layers.add_bias_column(x), np.vstack([W, b])


def _ones_column(x_aug: np.ndarray) -> int | None:
    """The index of the first column of x_aug that holds only ones, or None."""
    for k in range(x_aug.shape[1]):
        if np.all(x_aug[:, k] == 1.0):
            return k
    return None


def check_bias_case(fn, case: tuple) -> None:
    """Task 5.1 on one (x, W, b): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    x, W, b = case
    (N, D), H = x.shape, W.shape[1]
    where = f"for x {x.shape}, W {W.shape}, b {b.shape}"
    hints = HINTS["5.1"]
    value = call(fn, x, W, b, names=("x", "W", "b"), shape_hint=hints["concat"], where=where).value
    x_aug, W_aug = unpack(value, ("x_aug", "W_aug"), hints["not_pair"])
    x_aug = as_numbers(x_aug, "your x_aug")
    W_aug = as_numbers(W_aug, "your W_aug")
    if x_aug.shape != (N, D + 1):
        key = "ones_row" if x_aug.shape == (N + 1, D) else "x_shape"
        raise Wrong(f"your x_aug has shape {x_aug.shape} ({where})", hints[key])
    if W_aug.shape != (D + 1, H):
        raise Wrong(f"your W_aug has shape {W_aug.shape} ({where})", hints["W_shape"])
    ones = _ones_column(x_aug)
    if ones is None:
        zeros = any(np.all(x_aug[:, k] == 0.0) for k in range(D + 1))
        raise Wrong(f"your x_aug has no column of ones ({where})", hints["zeros" if zeros else "x_changed"])
    if not np.array_equal(np.delete(x_aug, ones, axis=1), x):
        raise Wrong(f"the columns of your x_aug besides the ones are not x ({where})", hints["x_changed"])
    b_rows = [k for k in range(D + 1) if np.allclose(W_aug[k], b, rtol=1e-12, atol=0.0)]
    if ones in b_rows and np.allclose(np.delete(W_aug, ones, axis=0), W, rtol=1e-12, atol=0.0):
        if ones == D:
            return  # the last column and the last row: x_aug @ W_aug == x @ W + b, as the chapter writes it
        raise Wrong(
            f"your ones are column {ones} of x_aug and b row {ones} of W_aug, not the last ({where})", hints["not_last"]
        )
    if b_rows:
        if np.allclose(np.delete(W_aug, b_rows[0], axis=0), W, rtol=1e-12, atol=0.0):
            raise Wrong(f"your ones column and your b row are at different positions ({where})", hints["mismatch"])
    raise Wrong(f"the rows of your W_aug are not W's rows and b ({where})", hints["W_changed"])


# ---- 5.2 softmax cross-entropy -----------------------------------------------------------


def softmax_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(z, y): moderate logits (N = 4, C = 3); logits near +-1000 (a row far below the batch's maximum);
    and a true class whose probability underflows to 0 (exp(-800))."""
    rng = np.random.default_rng(502)
    moderate = rng.normal(scale=2.0, size=(4, 3))  # (4, 3)
    large = np.array(
        [[1000.0, 1001.0, 998.0, 1002.0], [-1000.0, -1003.0, -999.0, -1001.0], [2.0, -1.0, 0.5, 0.0]]
    )  # (3, 4)
    underflow = np.array([[0.0, -800.0, 1.0], [0.5, 0.0, -0.5]])  # (2, 3); row 0's true class 1 has p ~ e^-800
    return [(moderate, np.array([2, 0, 1, 0])), (large, np.array([3, 2, 1])), (underflow, np.array([1, 2]))]


def reference_softmax_cross_entropy(z, y) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient on the logits, from bplib.losses. Chapter 05.

    Inputs:
        z: (N, C) logits; y: (N,) integer labels.
    Returns:
        loss: a float; dz: (N, C) = (softmax(z) - onehot(y)) / N.
    """
    return losses.softmax_cross_entropy_loss(z, y)


def _soft(z, axis=1):
    return softmax(np.asarray(z, dtype=float), axis=axis)


def _dz_variant(scale_by_n=True, sign=1.0, subtract=True, axis=1):
    def compute(z, y):
        onehot = _onehot(y, z.shape[1])
        return sign * (_soft(z, axis) - (onehot if subtract else 0.0)) / (len(z) if scale_by_n else 1.0)

    return compute


_H52 = HINTS["5.2"]
DZ_VARIANTS = [
    Variant(_dz_variant(scale_by_n=False), "dz lacks the factor 1 / N", _H52["batch_average"]),
    Variant(_dz_variant(sign=-1.0), "dz has the wrong sign", _H52["sign"]),
    Variant(_dz_variant(sign=-1.0, scale_by_n=False), "dz has the wrong sign and lacks 1 / N", _H52["sign"]),
    Variant(_dz_variant(subtract=False), "dz does not subtract the target", _H52["onehot"]),
    Variant(_dz_variant(subtract=False, scale_by_n=False), "dz does not subtract the target", _H52["onehot"]),
    Variant(_dz_variant(axis=0), "your softmax normalises the columns", _H52["softmax_axis"]),
]


def _true_class_log(z, y, axis=1) -> np.ndarray:
    """(N,) log softmax(z)[n, y[n]], with softmax along `axis`, computed stably."""
    shifted = z - z.max(axis=axis, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return log_p[np.arange(len(y)), y]


LOSS_VARIANTS = [
    Variant(lambda z, y: -np.sum(_true_class_log(z, y)), "your loss is summed over the batch", _H52["loss_sum"]),
    Variant(lambda z, y: np.mean(_true_class_log(z, y)), "your loss is negative", _H52["loss_sign"]),
    Variant(
        lambda z, y: -np.mean(_true_class_log(z, y, axis=0)),
        "your softmax normalises the columns",
        _H52["softmax_axis"],
    ),
]


def _true_class_underflows(z: np.ndarray, y: np.ndarray) -> bool:
    """Whether some example's true-class probability rounds to 0 in float64 (log of it would be -inf)."""
    return bool(np.any(_true_class_log(z, y) < math.log(np.finfo(np.float64).tiny)))


def _rows_far_below_the_maximum(z: np.ndarray) -> np.ndarray:
    """(N,) True for rows whose largest logit is more than 700 below the batch's largest (exp underflows)."""
    return z.max(axis=1) < z.max() - 700.0


def check_softmax_case(fn, case: tuple, where: str | None = None) -> None:
    """Task 5.2 on one (z: (N, C), y: (N,)): raises Wrong, NotDone or LearnerRaised unless fn is right.

    `where` names the case in a detail; None: by z's shape and whether its logits reach 1000.
    """
    z, y = case
    N, C = z.shape
    where = where or f"for z {z.shape}" + (" with logits near +-1000" if np.abs(z).max() >= 1000 else "")
    outcome = call(fn, z, y, names=("z", "y"))
    loss_value, dz_value = unpack(outcome.value, ("loss", "dz"), _H52["not_pair"])
    loss_arr = as_numbers(loss_value, "your loss")
    dz = as_numbers(dz_value, "your dz")
    if loss_arr.size != 1:
        raise Wrong(f"your loss has shape {loss_arr.shape}, not a single number ({where})", _H52["loss_not_number"])
    if dz.shape != (N, C):
        raise Wrong(f"your dz has shape {dz.shape} ({where})", _H52["shape"])
    loss = float(loss_arr.reshape(()))
    overflowed = any("overflow" in message for message in outcome.warnings)
    if overflowed:
        raise Wrong(f"numpy warned: {outcome.warnings[0]} ({where})", _H52["overflow"])
    if not np.all(np.isfinite(dz)):
        far = _rows_far_below_the_maximum(z)
        bad_rows = ~np.all(np.isfinite(dz), axis=1)
        if far.any() and np.array_equal(bad_rows, far):
            raise Wrong(
                f"your dz has NaN or inf in the rows far below the batch's largest logit ({where})", _H52["global_max"]
            )
        raise Wrong(f"your dz has NaN or inf entries ({where})", _H52["overflow"])
    expected_loss, expected_dz = reference_softmax_cross_entropy(z, y)
    if not all_close(dz, expected_dz):
        found = diagnose(dz, (z, y), DZ_VARIANTS)
        if found is not None:
            raise Wrong(f"{found.detail} ({where})", found.hint)
        raise Wrong(f"wrong dz ({where})", _H52["other_dz"])
    if not math.isfinite(loss):
        raise Wrong(f"your loss is {loss} ({where})", _H52["log_of_zero"])
    if not all_close(loss, expected_loss):
        found = diagnose(loss, (z, y), LOSS_VARIANTS)
        if found is not None:
            raise Wrong(f"{found.detail} ({where})", found.hint)
        if _true_class_underflows(z, y) and loss < expected_loss:  # e.g. log(y_hat + 1e-12), or a clip
            raise Wrong(
                f"your loss is too small where a true class's probability underflows ({where})", _H52["log_of_zero"]
            )
        raise Wrong(f"wrong loss ({where})", _H52["other_loss"])


# ---- 5.3 the two-layer network -------------------------------------------------------------


def network_cases(
    seed: int = 503, sizes: tuple = ((5, 4, 6, 3), (3, 3, 3, 3))
) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """(params, x, y), one per (N, D, H, C) in `sizes`. The defaults are the public cases: N, D, H, C
    all different (a transposed product fails), then everything square (N = D = H = C = 3), where only
    the values show a transposed W2 or a sum over axis 1. Chapter 05."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, H, C in sizes:
        params = {
            "W1": rng.normal(size=(D, H)),  # (D, H)
            "b1": rng.normal(scale=0.5, size=H),  # (H,)
            "W2": rng.normal(size=(H, C)),  # (H, C)
            "b2": rng.normal(scale=0.5, size=C),  # (C,)
        }
        x = rng.normal(size=(N, D))  # (N, D)
        y = rng.integers(0, C, size=N)  # (N,)
        cases.append((params, x, y))
    return cases


def reference_mlp_loss_and_grads(params, x, y) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of x -> dense -> ReLU -> dense -> softmax cross-entropy, from bplib. Chapter 05.

    Inputs:
        params: dict W1: (D, H), b1: (H,), W2: (H, C), b2: (C,); x: (N, D); y: (N,) integer labels.
    Returns:
        loss: a float; grads: dict W1, b1, W2, b2 -> dL/d(parameter), each of its parameter's shape.
    """
    z1, dense1 = layers.dense_forward(x, params["W1"], params["b1"])
    a1, relu1 = layers.relu_forward(z1)
    z2, dense2 = layers.dense_forward(a1, params["W2"], params["b2"])
    loss, dz2 = losses.softmax_cross_entropy_loss(z2, y)
    da1, dW2, db2 = layers.dense_backward(dz2, dense2)
    dz1 = layers.relu_backward(da1, relu1)
    _, dW1, db1 = layers.dense_backward(dz1, dense1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _network_variant(*, hidden_slope="relu_prime", transposed=False, average=1, sign=1.0, biases=True):
    """A wrong mlp_loss_and_grads, its gradients flattened. hidden_slope: "relu_prime" (right), "none", "relu";
    average: how many times the gradients are divided by N (1 is right)."""

    def compute(params, x, y):
        W1, b1, W2, b2 = (params[name] for name in PARAM_NAMES)
        z1 = x @ W1 + (b1 if biases else 0.0)
        a1 = np.maximum(z1, 0.0)
        z2 = a1 @ W2 + (b2 if biases else 0.0)
        N = len(x)
        dz2 = sign * (_soft(z2) - _onehot(y, W2.shape[1])) / N**average
        da1 = dz2 @ (W2 if transposed else W2.T)
        dz1 = da1 * {"relu_prime": (z1 > 0).astype(float), "none": 1.0, "relu": a1}[hidden_slope]
        grads = (x.T @ dz1, dz1.sum(axis=0), a1.T @ dz2, dz2.sum(axis=0))
        return np.concatenate([g.ravel() for g in grads])

    return compute


_H53 = HINTS["5.3"]
NETWORK_VARIANTS = [
    Variant(_network_variant(transposed=True), "da1 uses W2, not W2.T", _H53["transposed"]),
    Variant(_network_variant(hidden_slope="none"), "the ReLU's slope is missing", _H53["relu_prime"]),
    Variant(_network_variant(hidden_slope="relu"), "you multiplied by relu(z1)", _H53["relu_value"]),
    Variant(_network_variant(average=0), "the factor 1 / N is missing", _H53["batch_average"]),
    Variant(_network_variant(average=2), "the gradients are divided by N twice", _H53["extra_average"]),
    Variant(_network_variant(sign=-1.0), "the gradients have the wrong sign", _H53["sign"]),
    Variant(_network_variant(biases=False), "your forward pass leaves out the biases", _H53["forward_bias"]),
]


def _changed(seen, params: dict) -> list[str]:
    return [name for name in PARAM_NAMES if not (isinstance(seen, Mapping) and same(seen.get(name), params[name]))]


def check_network_case(fn, case: tuple) -> None:
    """Task 5.3 on one (params, x, y): raises Wrong, NotDone or LearnerRaised unless fn is right."""
    params, x, y = case
    D, H = params["W1"].shape
    C = params["W2"].shape[1]
    where = f"for D, H, C = {D}, {H}, {C} and N = {x.shape[0]}"
    outcome = call(
        fn,
        params,
        x,
        y,
        names=("params", "x", "y"),
        shape_hint=_H53["shape_error"],
        where=_where(("params", "x", "y"), (params, x, y)),
        check_in_place=False,
    )
    value, seen = outcome.value, outcome.args_after[0]
    loss_value, grads_value = unpack(value, ("loss", "grads"), _H53["not_pair"])
    changed = _changed(seen, params)
    if changed:
        raise Wrong(f"your function changed params[{changed[0]!r}] in place", _H53["in_place"])
    got = arrays_by_key(grads_value, PARAM_NAMES, _H53["not_dict"])
    for name in PARAM_NAMES:
        if got[name].shape != params[name].shape:
            is_axis = name.startswith("b") and got[name].shape == (x.shape[0],)
            raise Wrong(
                f"your gradient {name!r} has shape {got[name].shape} ({where})",
                _H53["db_axis"] if is_axis else _H53["shape"],
            )
    expected_loss, expected = reference_mlp_loss_and_grads(params, x, y)
    wrong = [name for name in PARAM_NAMES if not all_close(got[name], expected[name])]
    if wrong:
        flat = np.concatenate([got[name].ravel() for name in PARAM_NAMES])
        found = diagnose(flat, case, NETWORK_VARIANTS)
        if found is not None:
            raise Wrong(f"{found.detail} ({where})", found.hint)
        if wrong in (["b1"], ["b2"], ["b1", "b2"]):
            raise Wrong(f"wrong gradient {' and '.join(wrong)} ({where})", _H53["db_axis"])
        raise Wrong(f"wrong gradients {', '.join(repr(name) for name in wrong)} ({where})", _H53["other"])
    loss = as_numbers(loss_value, "your loss")
    if loss.size != 1 or not all_close(loss.reshape(-1)[0], expected_loss):
        raise Wrong(f"wrong loss ({where})", _H53["loss"])


# ---- 5.4 one epoch of mini-batch SGD ----------------------------------------------------------


def sgd_cases(
    seed: int = 504, settings: tuple = ((10, 3, 4, 3, 0.5, 4), (6, 2, 5, 2, 0.2, 3))
) -> list[tuple[dict, np.ndarray, np.ndarray, float, int]]:
    """(params, x, y, lr, batch_size), one per (N, D, H, C, lr, batch_size) in `settings`. The defaults
    are the public cases: N = 10 with batches of 4 (the last batch has 2), then N = 6 with 3. Chapter 05."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, H, C, lr, batch_size in settings:
        params = {
            "W1": rng.normal(size=(D, H)),
            "b1": rng.normal(scale=0.5, size=H),
            "W2": rng.normal(size=(H, C)),
            "b2": rng.normal(scale=0.5, size=C),
        }
        cases.append((params, rng.normal(size=(N, D)), rng.integers(0, C, size=N), lr, batch_size))
    return cases


def _sgd_variant(
    *,
    sign=-1.0,
    use_lr=True,
    full_batch=False,
    drop_last=False,
    stale=False,
    only_weights=False,
    divide=False,
    loss_after=False,
):
    """One epoch of SGD with loss_and_grads (reference_mlp_loss_and_grads unless given), with one mistake
    switched on; returns (params, losses) like the task."""

    def compute(params, x, y, lr, batch_size, loss_and_grads=reference_mlp_loss_and_grads):
        p = {name: value.copy() for name, value in params.items()}
        start_params = {name: value.copy() for name, value in params.items()}
        N = len(x)
        B = N if full_batch else batch_size
        stop = (N // B) * B if drop_last else N
        batch_losses = []
        for start in range(0, stop, B):
            xb, yb = x[start : start + B], y[start : start + B]
            loss, grads = loss_and_grads(start_params if stale else p, xb, yb)
            for name in p:
                if only_weights and name.startswith("b"):
                    continue
                step = (lr if use_lr else 1.0) * grads[name] / (len(xb) if divide else 1.0)
                p[name] = p[name] + sign * step
            batch_losses.append(loss_and_grads(p, xb, yb)[0] if loss_after else loss)
        return p, batch_losses

    return compute


# the model sgd_epoch is handed in the public cases: task 5.3's network, in plain numpy (bplib.checks.given)
MLP = Given(given.mlp_loss_and_grads)


def reference_sgd_epoch(params, x, y, lr, batch_size, loss_and_grads=reference_mlp_loss_and_grads):
    """One epoch of mini-batch SGD over the rows in order. Chapter 05.

    Inputs:
        params: name -> array; x: (N, D); y: (N,); lr: learning rate; batch_size: B;
        loss_and_grads: (params, x_batch, y_batch) -> (loss, grads).
    Returns:
        new_params: name -> array, each updated once per batch by p - lr * grads[name];
        losses: list of ceil(N / B) floats, each batch's loss before its update.
    """
    p = {name: np.array(value, dtype=float) for name, value in params.items()}
    batch_losses = []
    for start in range(0, len(x), batch_size):
        loss, grads = loss_and_grads(p, x[start : start + batch_size], y[start : start + batch_size])
        batch_losses.append(float(loss))
        p = {name: value - lr * grads[name] for name, value in p.items()}
    return p, batch_losses


_H54 = HINTS["5.4"]
# variants that change the parameters, and how; diagnosed on the new parameters
SGD_VARIANTS = [
    Variant(_sgd_variant(sign=+1.0), "your parameters moved along the gradient", _H54["sign"]),
    Variant(_sgd_variant(use_lr=False), "your steps leave out the learning rate", _H54["no_lr"]),
    Variant(_sgd_variant(full_batch=True), "you made one step with the whole data", _H54["full_batch"]),
    Variant(_sgd_variant(drop_last=True), "the last, smaller batch is missing", _H54["dropped_last"]),
    Variant(
        _sgd_variant(stale=True), "every batch's gradient is taken at the starting parameters", _H54["stale_grads"]
    ),
    Variant(_sgd_variant(only_weights=True), "the biases did not change", _H54["missing_param"]),
    Variant(_sgd_variant(divide=True), "your steps are divided by the batch size", _H54["extra_average"]),
]


def _flat_params(params: Mapping) -> np.ndarray:
    return np.concatenate([np.ravel(params[name]) for name in PARAM_NAMES])


def _diagnose_sgd(got_params: dict, case: tuple) -> Variant | None:
    """The first variant whose parameters after the epoch are the learner's, or None."""
    flat = _flat_params(got_params)
    for variant in SGD_VARIANTS:
        wrong_params, _ = variant.compute(*case)
        if all_close(flat, _flat_params(wrong_params)):
            return variant
    return None


def check_sgd_case(fn, case: tuple, where: str | None = None) -> None:
    """Task 5.4 on one (params, x, y, lr, batch_size[, loss_and_grads]): Wrong, NotDone or LearnerRaised
    unless fn is right. Chapter 05.

    The learner's function gets the case's loss_and_grads (MLP, task 5.3's network, when the case has
    five entries); `where` names the case in a detail (N, batch_size and lr when None).
    """
    params, x, y, lr, batch_size, *model = case
    loss_and_grads = model[0] if model else MLP
    N = len(x)
    where = where or f"for N = {N}, batch_size = {batch_size}, lr = {lr}"
    args = (params, x, y, lr, batch_size, loss_and_grads)
    # sgd_epoch may update params in place: it returns them either way
    value = call(
        fn, *args, names=("params", "x", "y", "lr", "batch_size", "loss_and_grads"), check_in_place=False
    ).value
    new_value, losses_value = unpack(value, ("params", "losses"), _H54["not_pair"])
    if not isinstance(new_value, Mapping) or any(name not in new_value for name in PARAM_NAMES):
        raise Wrong(f"your new params is {a_type(new_value)} without every name of params", _H54["not_dict"])
    got = {name: as_numbers(new_value[name], f"your {name!r}") for name in PARAM_NAMES}
    bad_shape = [name for name in PARAM_NAMES if got[name].shape != params[name].shape]
    if bad_shape:
        name = bad_shape[0]
        raise Wrong(f"your {name!r} has shape {got[name].shape} ({where})", _H54["shape"])
    got_losses = as_numbers(losses_value, "your losses").reshape(-1)
    expected, expected_losses = reference_sgd_epoch(params, x, y, lr, batch_size, loss_and_grads)
    params_right = all(all_close(got[name], expected[name]) for name in PARAM_NAMES)
    if params_right and len(got_losses) == len(expected_losses) and all_close(got_losses, expected_losses):
        return
    if params_right:
        if len(got_losses) != len(expected_losses):
            raise Wrong(f"you returned {len(got_losses)} losses ({where})", _H54["losses_count"])
        after = _sgd_variant(loss_after=True)(params, x, y, lr, batch_size, loss_and_grads)[1]
        if all_close(got_losses, after):
            raise Wrong(f"your losses are measured after each update ({where})", _H54["losses_after"])
        raise Wrong(f"your parameters are right but your losses are not ({where})", _H54["losses_after"])
    found = _diagnose_sgd(got, case)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    raise Wrong(f"wrong parameters after the epoch ({where})", _H54["other"])


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _bias_hidden(rng: np.random.Generator) -> list[tuple]:
    """5.1: a batch of one, a single input feature, and other numbers of units."""
    return bias_cases(seed_from(rng), ((1, int(rng.integers(4, 7)), 3), (6, 1, int(rng.integers(3, 6))), (2, 3, 3)))


def _softmax_other(rng: np.random.Generator) -> list[tuple]:
    """5.2: moderate logits: a batch of one with two classes, then more classes than examples."""
    return [
        (rng.normal(scale=2.0, size=(N, C)), rng.integers(0, C, size=N))
        for N, C in ((1, 2), (int(rng.integers(4, 6)), int(rng.integers(6, 9))))
    ]


def _softmax_far_apart(rng: np.random.Generator) -> list[tuple]:
    """5.2: logits thousands apart within a row: subtracting the row's mean (or nothing) overflows, and
    true classes far below their row's maximum have probabilities that round to 0."""
    N, C = 4, 3
    rows = []
    for _ in range(N):  # the row's largest logit m, the others 1100 to 5000 below it: exp(max - mean) overflows
        m = rng.uniform(-1e5, 1e5)
        rows.append(m + rng.permutation([0.0, *(-rng.uniform(1100.0, 5000.0, size=C - 1))]))
    z = np.array(rows)  # (N, C)
    y = rng.integers(0, C, size=N)
    y[0] = (int(np.argmax(z[0])) + 1) % C  # at least one true class far below its row's maximum
    return [(z, y)]


def _softmax_far_case(fn, case) -> None:
    check_softmax_case(fn, case, where=f"for z {case[0].shape} with logits thousands apart within a row")


def _network_hidden(rng: np.random.Generator) -> list[tuple]:
    """5.3: a batch of one with two classes, and N, D, H, C all different with more classes."""
    return network_cases(seed_from(rng), ((1, 3, int(rng.integers(4, 7)), 2), (7, 2, 4, 5)))


def _sgd_hidden(rng: np.random.Generator) -> list[tuple]:
    """5.4: one batch holding all the data, batches of one, and a last batch of one example."""
    lrs = np.round(rng.uniform(0.05, 0.5, size=3), 2)
    return sgd_cases(
        seed_from(rng), ((7, 4, 3, 5, float(lrs[0]), 7), (5, 2, 3, 4, float(lrs[1]), 1), (9, 3, 2, 2, float(lrs[2]), 4))
    )


def _sgd_hidden_case(fn, case) -> None:
    check_sgd_case(fn, case, where=f"for N = {len(case[1])}, batch_size = {case[4]} and a hidden lr")


# another model for the hidden check: the same network with an L2 penalty on the weights
DECAYED = Given(given.decayed_mlp_loss_and_grads, helpers=(given.mlp_loss_and_grads,))


def _sgd_other_model(rng: np.random.Generator) -> list[tuple]:
    """5.4: (params, x, y, lr, batch_size, loss_and_grads) with DECAYED."""
    lr = float(np.round(rng.uniform(0.1, 0.5), 2))
    return [(*case, DECAYED) for case in sgd_cases(seed_from(rng), ((8, 3, 4, 3, lr, 3),))]


def _sgd_model_case(fn, case) -> None:
    check_sgd_case(
        fn, case, where=f"for N = {len(case[1])}, batch_size = {case[4]}, with another model's loss_and_grads"
    )


_MLP = (
    "bplib.checks.ch05.reference_mlp_loss_and_grads",
    "bplib.network.Network.backward",
    "bplib.network.Network.loss_and_grads",
    "bplib.layers.dense_backward",
    "bplib.layers._dense_backward",
    "bplib.layers.relu_backward",
    "bplib.layers._relu_backward",
    "bplib.losses.softmax_cross_entropy_backward",
    "bplib.losses._softmax_cross_entropy_backward",
    "bplib.losses.softmax_cross_entropy_loss",
)

TASKS = (
    Task(
        "5.1",
        "bias_trick",
        1,
        "05",
        OnCases(check_bias_case, bias_cases),
        signature="bias_trick(x, W, b)",
        try_it="bias_trick(np.ones((4, 3)), np.ones((3, 2)), np.zeros(2))",
        hidden=(
            HiddenCheck(
                "other sizes",
                "a batch of one, a single input feature, and other numbers of units",
                check_bias_case,
                _bias_hidden,
            ),
        ),
        implemented_by=("bplib.layers.add_bias_column", "bplib.checks.ch05.reference_bias_trick"),
    ),
    Task(
        "5.2",
        "softmax_cross_entropy",
        2,
        "05",
        OnCases(check_softmax_case, softmax_cases),
        signature="softmax_cross_entropy(z, y)",
        try_it="softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))",
        hidden=(
            HiddenCheck(
                "other sizes",
                "a batch of one with two classes, and more classes than examples",
                check_softmax_case,
                _softmax_other,
            ),
            HiddenCheck(
                "logits far apart",
                "logits thousands apart within one row: only subtracting each row's maximum stays finite",
                _softmax_far_case,
                _softmax_far_apart,
            ),
        ),
        implemented_by=(
            "bplib.losses.softmax_cross_entropy_forward",
            "bplib.losses._softmax_cross_entropy_forward",
            "bplib.losses.softmax_cross_entropy_backward",
            "bplib.losses._softmax_cross_entropy_backward",
            "bplib.losses.softmax_cross_entropy_loss",
            "bplib.checks.ch05.reference_softmax_cross_entropy",
        ),
    ),
    Task(
        "5.3",
        "mlp_loss_and_grads",
        3,
        "05",
        OnCases(check_network_case, network_cases),
        signature="mlp_loss_and_grads(params, x, y)",
        try_it="mlp_loss_and_grads(example_params, example_x, example_y)",
        hidden=(
            HiddenCheck(
                "other sizes",
                "a batch of one with two classes, and N, D, H, C all different with more classes",
                check_network_case,
                _network_hidden,
            ),
        ),
        implemented_by=_MLP,
        builds_on=("5.2",),
    ),
    Task(
        "5.4",
        "sgd_epoch",
        2,
        "05",
        OnCases(check_sgd_case, sgd_cases),
        signature="sgd_epoch(params, x, y, lr, batch_size, loss_and_grads)",
        try_it="sgd_epoch(example_params, example_x, example_y, 0.5, 4, mlp_loss_and_grads)",
        hidden=(
            HiddenCheck(
                "other batch sizes",
                "one batch holding all the data, batches of one example, a last batch of one, other learning rates",
                _sgd_hidden_case,
                _sgd_hidden,
            ),
            HiddenCheck(
                "another model",
                "a loss_and_grads other than the notebook's network: use the one you are given",
                _sgd_model_case,
                _sgd_other_model,
            ),
        ),
        implemented_by=("bplib.checks.ch05.reference_sgd_epoch", "bplib.network.Network.fit", "bplib.optim.SGD.step"),
    ),
)
