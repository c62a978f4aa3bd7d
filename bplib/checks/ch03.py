"""Checks for exercise 03, the delta rule (chapter 03).

Tasks:
    3.1 forward_loss(x, y, w, b) -> (a, loss)           a = sigma(x @ w + b), loss = (1/2N) sum (a - y)**2
    3.2 compute_delta(x, y, w, b) -> delta_n            delta_n = (a_n - y_n) a_n (1 - a_n), shape (N,), no 1/N
    3.3 gradients(x, y, w, b) -> (dw, db)               dw = x.T @ delta_n / N, db = mean(delta_n)
    3.4 delta_rule_step(x, y, w, b, lr) -> (w, b)       w - lr * dw, b - lr * db, inputs left unchanged

The expected answers come from bplib.neuron. Each checker runs the learner's function on
fixed-seed cases (N = 5 examples of D = 3 inputs, then the four AND examples, then one
example) and, when the answer differs, recognises the common mistakes (`HINTS`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bplib import neuron
from bplib.activations import sigmoid, sigmoid_prime
from bplib.checks._core import (
    HiddenCheck,
    OnCases,
    Task,
    Variant,
    Wrong,
    a_type,
    all_close,
    as_number,
    call,
    diagnose,
    unpack,
)
from bplib.graph import Value

# Every hint a checker can give for a recognised mistake, by task and mistake.
# Tests feed each mistake to its checker and look for exactly this text.
HINTS = {
    "3.1": {
        "not_pair": "Return both results, the outputs and the loss: return a, loss.",
        "a_shape": "a holds one output per example: shape (N,), the shape of x @ w (no reshape, sum or mean).",
        "loss_shape": "The loss is one number: average the N per-example losses into a single float.",
        "z_not_a": "a is the neuron's output sigma(z): apply the sigmoid to the pre-activation z, bias included.",
        "forgot_bias": "The bias belongs in the pre-activation: every z_n is the dot product x_n . w plus b.",
        "no_half": (
            "The course's squared error has the factor 1/2: L = 1/(2N) times the sum of (a_n - y_n)^2, as in "
            "the task's equation."
        ),
        "sum_not_mean": (
            "Average over the batch: the loss is 1/(2N) times the sum of (a_n - y_n)^2, so it does not grow "
            "with the number of examples."
        ),
        "loss_of_z": "The loss compares the output a with the target, (a - y)^2, not the pre-activation z.",
        "other": (
            "Work one example by hand: with x . w + b = 0 the output is sigma(0) = 1/2, so what loss do you "
            "expect for the target 1? Compare that, and the shape (N,) of your a, with your function."
        ),
    },
    "3.2": {
        "shape": "delta_n holds one number per example: return shape (N,), with no sum or mean over the batch.",
        "missing_sigma_prime": (
            "The chain rule passes through the sigmoid as well: the error a - y is multiplied by the "
            "sigmoid's slope sigma'(z), which the output gives as a (1 - a)."
        ),
        "sign": "delta_n = dL_n/dz_n starts from the error output minus target, a - y, not y - a.",
        "z_for_a": (
            "sigma'(z) = a * (1 - a) is written with the output a = sigma(z): use a * (1 - a) or "
            "sigmoid_prime(z), never z * (1 - z) or sigmoid_prime(a); and the error is a - y, not z - y."
        ),
        "forgot_bias": "Compute a from the pre-activation with the bias included, before you form delta_n.",
        "divided_by_n": (
            "delta_n is example n's own dL_n/dz_n, without a 1/N: the average over the batch "
            "belongs to the gradients of Task 3.3."
        ),
        "other": (
            "Which part differs, the error or the slope? Work one example with z = 0 by hand, where a = 1/2, "
            "and compare with the task's equation; also check that you get one delta_n per example, shape (N,)."
        ),
    },
    "3.3": {
        "not_pair": "Return both gradients: return dw, db.",
        "per_example": (
            "You returned one gradient per example, shape (N, D): average them over the batch into one of "
            "shape (D,), as in the task's matrix form: x^T times the vector of the delta_n, divided by N."
        ),
        "dw_shape": "dw has one entry per weight: shape (D,), like w.",
        "db_shape": "db is one number: the mean of the delta_n over the batch.",
        "sum_not_mean": (
            "Divide by N: the loss is a mean over the batch, so its gradients are means too, for dw and for db."
        ),
        "missing_sigma_prime": (
            "delta_n needs the sigmoid's slope: it is the error a - y times sigma'(z), as in Task 3.2, whose "
            "compute_delta you may call."
        ),
        "sign": "The gradient points uphill: delta_n starts from the error output minus target, a - y, not y - a.",
        "z_for_a": "sigma'(z) = a * (1 - a) uses the output a = sigmoid(z), not z (and the error is a - y).",
        "forgot_bias": "Compute a from the pre-activation with the bias included: every z_n is x_n . w plus b.",
        "db": (
            "z_n = x_n . w + b changes with b at rate 1, so dL/db is the batch average of the delta_n "
            "themselves: the formula of dw with every x_nj replaced by 1."
        ),
        "other": (
            "Write down the shapes: x (N, D), delta_n (N,), dw (D,), db a number. Work one example by hand "
            "(N = 1, where dw is delta_n times that example's x): does your function agree? Check Task 3.2 first."
        ),
    },
    "3.4": {
        "not_pair": "Return the new weights and the new bias: return w_new, b_new.",
        "w_shape": "w_new has the shape of w, (D,).",
        "b_shape": "b_new is one number, like b.",
        "sign": "Gradient descent steps downhill, against the gradient: subtract lr times each gradient, don't add it.",
        "no_lr": "Scale the step by the learning rate: each parameter moves by lr times its gradient.",
        "bias_not_updated": "The bias learns too: b_new takes a step against db, just as w_new does against dw.",
        "gradient": (
            "The step has the right form but the gradient inside it is off: make Task 3.3 pass first, "
            "then use your gradients function from it here."
        ),
        "other": (
            "Check one step by hand: with lr = 1 and a gradient you know, is w_new equal to w minus that "
            "gradient? Check that Task 3.3 passes first; this task builds on it."
        ),
    },
}

LEARNING_RATE = 0.7  # the step size of the 3.4 cases: neither 1 nor 1/N, so forgetting it shows


def _cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """(x, y, w, b) for every task: N=5, D=3 at random, the AND data, then one example.

    Values rounded to 2 decimals; the weights are moderate, so no example is saturated and
    a missing sigma'(z) factor changes every number.
    """
    rng = np.random.default_rng(303)
    x = np.round(rng.normal(size=(5, 3)), 2)  # (5, 3)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])  # (5,)
    w = np.round(rng.normal(scale=0.8, size=3), 2)  # (3,)
    cases = [(x, y, w, 0.35)]
    and_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2)
    cases.append((and_x, np.array([0.0, 0.0, 0.0, 1.0]), np.array([0.5, -0.3]), -0.2))
    cases.append((np.round(rng.normal(size=(1, 3)), 2), np.array([1.0]), np.round(rng.normal(size=3), 2), -0.4))
    return cases


def _where(x: np.ndarray) -> str:
    """How a detail names a case: by its shapes, never by its numbers."""
    n, d = x.shape
    return f"for x of shape ({n}, {d})"


def _array(value, name: str) -> np.ndarray:
    """One of the learner's results as a float64 array, or Wrong saying what it is instead."""
    if value is None:
        raise Wrong(f"{name} is None", f"Give {name} a value: a function without return gives None.")
    if isinstance(value, Value):
        raise Wrong(f"{name} is a Value, not numbers", "Use numpy arrays here, not Value objects.")
    not_numbers = Wrong(f"{name} is {a_type(value)}, not numbers", f"Make {name} a numpy array of real numbers.")
    if isinstance(value, (str, bytes, dict, set)):
        raise not_numbers
    try:  # a ragged list fails already in iscomplexobj
        if np.iscomplexobj(value):
            raise not_numbers
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise not_numbers from None


def _one_number(value, name: str, hint: str) -> float:
    """A result that must be a single number; an array of numbers gets `hint`."""
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0):
        shape = np.shape(value)
        raise Wrong(f"{name} has shape {shape}, expected a single number", hint)
    return as_number(value, name)


def _diagnosed(got, case, variants: list[Variant], other: str, what: str):
    """Wrong with the hint of the first matching variant, else with `other`."""
    found = diagnose(got, case, variants)
    if found is not None:
        raise Wrong(f"{found.detail} ({_where(case[0])})", found.hint)
    raise Wrong(f"{what} wrong ({_where(case[0])})", other)


# ---- the mistakes, as functions of a case (x, y, w, b) ----------------------------------


def _z(x, w, b):
    return x @ w + b


def _a(x, w, b):
    return sigmoid(x @ w + b)


def _delta_n(x, y, w, b):
    return (_a(x, w, b) - y) * sigmoid_prime(_z(x, w, b))


def _delta_variants(divided: bool = True) -> list[tuple[str, Callable, str]]:
    """(key, delta_n(x, y, w, b), detail) for the mistakes made in forming delta_n."""
    wrong = [
        ("missing_sigma_prime", lambda x, y, w, b: _a(x, w, b) - y, "the factor sigma'(z) is missing"),
        ("sign", lambda x, y, w, b: -_delta_n(x, y, w, b), "the sign is flipped"),
        (
            "z_for_a",
            lambda x, y, w, b: (_a(x, w, b) - y) * _z(x, w, b) * (1 - _z(x, w, b)),
            "the slope is z * (1 - z), with z where a belongs",
        ),
        (
            "z_for_a",
            lambda x, y, w, b: (_a(x, w, b) - y) * sigmoid_prime(_a(x, w, b)),
            "the slope is sigmoid_prime(a), the derivative taken at a instead of z",
        ),
        (
            "z_for_a",
            lambda x, y, w, b: (_z(x, w, b) - y) * sigmoid_prime(_z(x, w, b)),
            "the error is z - y instead of a - y",
        ),
        ("forgot_bias", lambda x, y, w, b: _delta_n(x, y, w, 0.0), "the bias is missing from z"),
    ]
    if divided:
        wrong.append(("divided_by_n", lambda x, y, w, b: _delta_n(x, y, w, b) / len(y), "delta_n is divided by N"))
    return wrong


# ---- 3.1 forward_loss -------------------------------------------------------------------

_H31 = HINTS["3.1"]
A_VARIANTS = [
    Variant(lambda x, y, w, b: _z(x, w, b), "a equals z: the sigmoid is missing", _H31["z_not_a"]),
    Variant(lambda x, y, w, b: _a(x, w, 0.0), "a is computed without the bias", _H31["forgot_bias"]),
]


def _squared(v, y):
    return (np.asarray(v) - y) ** 2


LOSS_VARIANTS = [
    Variant(
        lambda x, y, w, b: np.mean(_squared(_a(x, w, b), y)), "the loss is missing the factor 1/2", _H31["no_half"]
    ),
    Variant(
        lambda x, y, w, b: 0.5 * np.sum(_squared(_a(x, w, b), y)),
        "the loss is a sum, not a mean over N",
        _H31["sum_not_mean"],
    ),
    Variant(
        lambda x, y, w, b: np.sum(_squared(_a(x, w, b), y)),
        "the loss is a sum without the factor 1/(2N)",
        _H31["sum_not_mean"],
    ),
    Variant(
        lambda x, y, w, b: 0.5 * np.mean(_squared(_z(x, w, b), y)),
        "the loss is computed from z, not from a",
        _H31["loss_of_z"],
    ),
    Variant(
        lambda x, y, w, b: 0.5 * np.mean(_squared(_a(x, w, 0.0), y)),
        "the loss is computed without the bias",
        _H31["forgot_bias"],
    ),
]


def check_forward_loss_case(fn, case: tuple) -> None:
    """Task 3.1 on one (x: (N, D), y: (N,), w: (D,), b): Wrong, NotDone or LearnerRaised unless fn is right.

    Chapter 03.
    """
    x, y, w, b = case
    got_a, got_loss = unpack(call(fn, *case, names=("x", "y", "w", "b")).value, ("a", "loss"), _H31["not_pair"])
    a = _array(got_a, "a")
    if a.shape != (x.shape[0],):
        raise Wrong(f"a has shape {a.shape} {_where(x)}, expected one output per example", _H31["a_shape"])
    if not all_close(a, neuron.neuron_forward(x, w, b)):
        _diagnosed(a, case, A_VARIANTS, _H31["other"], "the outputs a are")
    loss = _one_number(got_loss, "the loss", _H31["loss_shape"])
    if not all_close(loss, neuron.neuron_loss(x, y, w, b)):
        _diagnosed(loss, case, LOSS_VARIANTS, _H31["other"], "the loss is")


# ---- 3.2 compute_delta ------------------------------------------------------------------

_H32 = HINTS["3.2"]
DELTA_VARIANTS = [Variant(f, detail, _H32[key]) for key, f, detail in _delta_variants()]


def check_compute_delta_case(fn, case: tuple) -> None:
    """Task 3.2 on one (x: (N, D), y: (N,), w: (D,), b): Wrong, NotDone or LearnerRaised unless fn is right.

    Chapter 03.
    """
    x = case[0]
    got = _array(call(fn, *case, names=("x", "y", "w", "b")).value, "delta_n")
    if got.shape != (x.shape[0],):
        raise Wrong(f"delta_n has shape {got.shape} {_where(x)}, expected one number per example", _H32["shape"])
    if not all_close(got, _delta_n(*case)):
        _diagnosed(got, case, DELTA_VARIANTS, _H32["other"], "delta_n is")


# ---- 3.3 gradients ----------------------------------------------------------------------

_H33 = HINTS["3.3"]


def _grads_from(delta_of, average=np.mean):
    """A gradients(x, y, w, b) built from a rule for delta_n; (D + 1,) = dw then db, for diagnose."""

    def compute(x, y, w, b):
        delta_n = delta_of(x, y, w, b)  # (N,)
        dw = average(delta_n[:, None] * x, axis=0)  # (D,)
        return np.append(dw, average(delta_n))

    return compute


GRADIENT_VARIANTS = [
    Variant(_grads_from(_delta_n, np.sum), "the gradients are sums over the batch, not means", _H33["sum_not_mean"]),
    *[Variant(_grads_from(f), detail, _H33[key]) for key, f, detail in _delta_variants(divided=False)],
    Variant(lambda x, y, w, b: np.append(_grads_from(_delta_n)(x, y, w, b)[:-1], 0.0), "db is 0", _H33["db"]),
    Variant(
        lambda x, y, w, b: np.append(_grads_from(_delta_n)(x, y, w, b)[:-1], np.mean(_a(x, w, b) - y)),
        "db is missing the factor sigma'(z)",
        _H33["db"],
    ),
]


def _gradient_pair(value, x: np.ndarray) -> tuple[np.ndarray, float]:
    """The learner's (dw, db) for inputs x, once their format and shapes are right."""
    got_dw, got_db = unpack(value, ("dw", "db"), _H33["not_pair"])
    dw = _array(got_dw, "dw")
    n, d = x.shape
    if dw.shape != (d,):
        if dw.shape == (n, d) and n != d:
            raise Wrong(f"dw has shape {dw.shape} {_where(x)}: one row per example", _H33["per_example"])
        raise Wrong(f"dw has shape {dw.shape} {_where(x)}, expected one entry per weight", _H33["dw_shape"])
    return dw, _one_number(got_db, "db", _H33["db_shape"])


def check_gradients_case(fn, case: tuple) -> None:
    """Task 3.3 on one (x: (N, D), y: (N,), w: (D,), b): Wrong, NotDone or LearnerRaised unless fn is right.

    Chapter 03.
    """
    x, y, w, b = case
    dw, db = _gradient_pair(call(fn, *case, names=("x", "y", "w", "b")).value, x)
    expected_dw, expected_db = neuron.neuron_gradients(x, y, w, b)
    got = np.append(dw, db)
    if all_close(got, np.append(expected_dw, expected_db)):
        return
    found = diagnose(got, case, GRADIENT_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({_where(x)})", found.hint)
    if all_close(dw, expected_dw):
        raise Wrong(f"dw is right but db is wrong ({_where(x)})", _H33["db"])
    raise Wrong(f"the gradients are wrong ({_where(x)})", _H33["other"])


# ---- 3.4 delta_rule_step ----------------------------------------------------------------

_H34 = HINTS["3.4"]


def _step_with(grads_of, sign: float = -1.0, lr_used: bool = True, bias: bool = True):
    """A delta_rule_step(x, y, w, b, lr) built from a rule for the gradients; (D + 1,) for diagnose."""

    def compute(x, y, w, b, lr):
        grads = grads_of(x, y, w, b)  # (D + 1,) dw then db
        rate = lr if lr_used else 1.0
        new = np.append(w, b) + sign * rate * grads
        if not bias:
            new[-1] = b
        return new

    return compute


_RIGHT_GRADS = _grads_from(_delta_n)
STEP_VARIANTS = [
    Variant(_step_with(_RIGHT_GRADS, sign=1.0), "the step goes uphill (+ lr * gradient)", _H34["sign"]),
    Variant(_step_with(_RIGHT_GRADS, lr_used=False), "the learning rate is missing", _H34["no_lr"]),
    Variant(_step_with(_RIGHT_GRADS, bias=False), "the bias did not change", _H34["bias_not_updated"]),
    Variant(
        _step_with(_grads_from(_delta_n, np.sum)), "the step uses summed, not averaged, gradients", _H34["gradient"]
    ),
    Variant(
        _step_with(_grads_from(lambda x, y, w, b: _a(x, w, b) - y)),
        "the step uses a gradient without sigma'(z)",
        _H34["gradient"],
    ),
]


def check_delta_rule_step_case(fn, case: tuple) -> None:
    """Task 3.4 on one (x: (N, D), y: (N,), w: (D,), b, lr): Wrong, NotDone or LearnerRaised unless fn is right.

    Chapter 03.
    """
    x, y, w, b, lr = case
    value = call(fn, *case, names=("x", "y", "w", "b", "lr")).value
    got_w, got_b = unpack(value, ("w_new", "b_new"), _H34["not_pair"])
    w_new = _array(got_w, "w_new")
    if w_new.shape != w.shape:
        raise Wrong(f"w_new has shape {w_new.shape} {_where(x)}, expected the shape of w", _H34["w_shape"])
    b_new = _one_number(got_b, "b_new", _H34["b_shape"])
    expected_w, expected_b = neuron.delta_rule_update(x, y, w, b, lr)
    got = np.append(w_new, b_new)
    if all_close(got, np.append(expected_w, expected_b)):
        return
    found = diagnose(got, case, STEP_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({_where(x)})", found.hint)
    raise Wrong(f"the new weights or bias are wrong ({_where(x)})", _H34["other"])


def _step_cases() -> list[tuple]:
    """(x, y, w, b, lr): the cases of the other tasks with LEARNING_RATE."""
    return [(*case, LEARNING_RATE) for case in _cases()]


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _neuron_data(rng: np.random.Generator, sizes: tuple) -> list[tuple]:
    """(x: (N, D), y: (N,), w: (D,), b), one per (N, D): 0/1 targets, moderate weights (no saturated example)."""
    cases = []
    for N, D in sizes:
        x = np.round(rng.normal(size=(N, D)), 2)
        y = rng.integers(0, 2, size=N).astype(np.float64)
        w = np.round(rng.normal(scale=0.6, size=D), 2)
        cases.append((x, y, w, round(float(rng.uniform(-0.5, 0.5)), 2)))
    return cases


def _other_shapes(rng: np.random.Generator) -> list[tuple]:
    """One example of one input, fewer examples than inputs, a square x, and more examples than inputs."""
    return _neuron_data(rng, ((1, 1), (2, int(rng.integers(5, 8))), (4, 4), (int(rng.integers(6, 10)), 4)))


def _integer_data(rng: np.random.Generator) -> list[tuple]:
    """x and y as int64 arrays (0/1 inputs, then small counts), integer biases."""
    x_bits = rng.integers(0, 2, size=(int(rng.integers(4, 7)), 2))  # (N, 2)
    y_bits = rng.integers(0, 2, size=len(x_bits))  # (N,)
    x_counts = rng.integers(-2, 3, size=(5, 3))  # (5, 3)
    y_counts = rng.integers(0, 2, size=5)  # (5,)
    return [
        (x_bits, y_bits, np.round(rng.normal(scale=0.6, size=2), 2), int(rng.integers(-1, 2))),
        (x_counts, y_counts, np.round(rng.normal(scale=0.4, size=3), 2), int(rng.integers(-1, 2))),
    ]


def _with_rates(cases: list[tuple], rng: np.random.Generator) -> list[tuple]:
    return [(*case, float(np.round(rng.uniform(0.05, 3.0), 2))) for case in cases]


_NEURON_OTHER = "a single example with a single input, fewer examples than inputs, and a square x"
_NEURON_INTEGER = "x and y as integer arrays (targets of zeros and ones) and an integer bias, as a dataset often comes"


def _hidden(check_case) -> tuple[HiddenCheck, ...]:
    return (
        HiddenCheck("other shapes", _NEURON_OTHER, check_case, _other_shapes),
        HiddenCheck("integer data", _NEURON_INTEGER, check_case, _integer_data),
    )


# x: (3, 2), not square, so a transposed product fails with a shape error here too
_TRY_ARGS = "np.array([[1.0, 2.0], [0.0, -1.0], [0.5, 0.5]]), np.array([1.0, 0.0, 1.0]), np.array([0.5, -0.5]), 0.1"
_NEURON = "bplib.neuron"

TASKS = (
    Task(
        "3.1",
        "forward_loss",
        1,
        "03",
        OnCases(check_forward_loss_case, _cases),
        signature="forward_loss(x, y, w, b)",
        try_it=f"forward_loss({_TRY_ARGS})",
        hidden=_hidden(check_forward_loss_case),
        implemented_by=(f"{_NEURON}.neuron_forward", f"{_NEURON}.neuron_loss", f"{_NEURON}._loss"),
    ),
    Task(
        "3.2",
        "compute_delta",
        2,
        "03",
        OnCases(check_compute_delta_case, _cases),
        signature="compute_delta(x, y, w, b)",
        try_it=f"compute_delta({_TRY_ARGS})",
        hidden=_hidden(check_compute_delta_case),
        implemented_by=(f"{_NEURON}.neuron_gradients", f"{_NEURON}._gradients"),
    ),
    Task(
        "3.3",
        "gradients",
        2,
        "03",
        OnCases(check_gradients_case, _cases),
        signature="gradients(x, y, w, b)",
        try_it=f"gradients({_TRY_ARGS})",
        hidden=_hidden(check_gradients_case),
        implemented_by=(f"{_NEURON}.neuron_gradients", f"{_NEURON}._gradients"),
        builds_on=("3.2",),
    ),
    Task(
        "3.4",
        "delta_rule_step",
        2,
        "03",
        OnCases(check_delta_rule_step_case, _step_cases),
        signature="delta_rule_step(x, y, w, b, lr)",
        try_it=f"delta_rule_step({_TRY_ARGS}, 0.5)",
        hidden=(
            HiddenCheck(
                "other shapes and rates",
                _NEURON_OTHER + ", each with its own learning rate",
                check_delta_rule_step_case,
                lambda rng: _with_rates(_other_shapes(rng), rng),
            ),
            HiddenCheck(
                "integer data",
                _NEURON_INTEGER,
                check_delta_rule_step_case,
                lambda rng: _with_rates(_integer_data(rng), rng),
            ),
        ),
        implemented_by=(f"{_NEURON}.delta_rule_update", f"{_NEURON}.neuron_gradients", f"{_NEURON}._gradients"),
        builds_on=("3.2", "3.3"),
    ),
)
