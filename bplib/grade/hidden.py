"""Hidden checks for grading: each task's own diagnostics, run on cases the notebooks never show.

A task's public check (bplib.checks.run_task) runs fixed cases; a learner sees them fail and fixes
the code until they pass. A hidden check runs the same chapter's per-case checker on new cases:
other seeds and sizes (a batch of one; N, D, H all different; longer sequences) and the edge
cases a task promises to handle (|z| far beyond 1000 for the stable sigmoid, logits thousands
apart in one row, integer inputs). An answer that only fits the public cases (hard-coded sizes,
a global variable where an argument belongs, memorised outputs) passes the public check and
fails a hidden one, and still gets the chapter's hint for the mistake it makes.

Details name shapes and sizes, never a hidden case's values or an expected value: where a public
detail shows its inputs (scalars, learning rates), the hidden case passes a description instead.

    HIDDEN_CHECKS["3.2"]          the hidden checks of task 3.2, a tuple of HiddenCheck
    run_hidden("3.2", answer)     one Verdict per hidden check, printing nothing

The grading command (bplib.grade) runs them; nothing here is shipped in exercises/.
Chapter: the exercises of every chapter.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bplib.checks import TASKS, Verdict, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08
from bplib.checks._core import evaluate

__all__ = ["HIDDEN_CHECKS", "HiddenCheck", "OnCases", "run_hidden"]


@dataclass(frozen=True)
class HiddenCheck:
    """One hidden check of a task. Chapter: every exercise.

    Attributes:
        task: the task id, e.g. "3.2".
        name: short, shown to learners in feedback, e.g. "other shapes".
        what: one line for learners on what it probes, e.g. "a batch of one example and D != H"; never values.
        checker: checker(answer) -> None, the contract of Task.checker: returns quietly, or raises
            NotDone, Wrong or LearnerRaised.
    """

    task: str
    name: str
    what: str
    checker: Callable[[object], None]


@dataclass(frozen=True)
class OnCases:
    """A checker that runs a chapter's per-case check on every case of a generator. Chapter: every exercise.

    Attributes:
        check_case: check_case(answer, case) -> None; raises NotDone, Wrong or LearnerRaised.
        make_cases: () -> list of cases, made afresh for every answer, so no answer can spoil them.
    """

    check_case: Callable[[object, object], None]
    make_cases: Callable[[], list]

    def __call__(self, answer) -> None:
        for case in self.make_cases():
            self.check_case(answer, case)


def run_hidden(task_id: str, answer) -> list[Verdict]:
    """Every hidden check of task `task_id` on `answer`, printing nothing. Chapter: every exercise.

    Inputs:
        task_id: a key of bplib.checks.TASKS, e.g. "3.2".
        answer: the learner's function (or, for tasks answered with numbers, the numbers).
    Returns:
        one Verdict per HIDDEN_CHECKS[task_id], in order, titled "<title>, hidden: <name>";
        errors raised by the learner's code become status "wrong".
    Raises:
        ValueError for an unknown task_id.
    """
    if task_id not in TASKS:
        raise ValueError(f"task_id: expected one of {', '.join(TASKS)}, got {task_id!r}")
    task = TASKS[task_id]
    verdicts = []
    for check in HIDDEN_CHECKS[task_id]:
        verdict = evaluate(dataclasses.replace(task, checker=check.checker), answer)
        # the title only now: evaluate's hints name the task's own title (check('1.1', sigmoid_prime))
        verdicts.append(dataclasses.replace(verdict, title=f"{task.title}, hidden: {check.name}"))
    return verdicts


def _integral(array: np.ndarray, scale: float = 3.0) -> np.ndarray:
    """A float array turned into small integers (int64): an integer input of the same shape."""
    return np.rint(scale * array).astype(np.int64)


def _sign(value: float) -> str:
    return "negative" if value < 0 else "zero" if value == 0 else "positive"


# ---- chapter 01: derivatives of activations -----------------------------------------------------------


def _z_other() -> list:
    """1.1, 1.3: new values, a 0-d array, and shapes the public cases lack (a length-one axis, four axes)."""
    return [*ch01._z_cases(seed=1101, scalar=-2.5, shapes=((1,), (6, 1), (2, 1, 3, 2)), bound=6.0), np.array(1.25)]


def _z_integer() -> list:
    """1.1, 1.3: a Python int and int64 arrays: an answer that computes into an integer array truncates."""
    return [2, np.arange(-3, 4), np.array([[-2, 0, 1], [3, -1, 5]])]


def _z_huge() -> list:
    """1.4: |z| from 1e4 up to the largest float64, far beyond 710, where exp(|z|) starts to overflow."""
    largest = np.finfo(np.float64).max
    rng = np.random.default_rng(1104)
    return [
        np.array([-largest, -1e300, -1e8, -1e4, 1e4, 1e8, 1e300, largest]),  # (8,)
        rng.uniform(-1e5, 1e5, size=(3, 1, 2)),  # (3, 1, 2)
        1e4,
    ]


def _z_integer_extreme() -> list:
    """1.4: integer arrays and a large Python int."""
    return [np.array([-800, -30, -1, 0, 1, 30, 800]), np.arange(-6, 6).reshape(3, 4), -5000]


def _quartic(x):
    return x**4 - x


def _exp_minus_2x(x):
    return np.exp(-2.0 * x)


def _exp_20x(x):
    return np.exp(20.0 * x)


def _derivative_cases() -> list:
    """1.2: (name, f, x, h) other than the public ones; x = 2 is a Python int."""
    return [("np.cos(x)", np.cos, -0.7, 1e-2), ("x**4 - x", _quartic, -1.2, 5e-3),
            ("np.exp(-2*x)", _exp_minus_2x, 2, 1e-3)]


def _derivative_case(fn, case) -> None:
    ch01.check_derivative_case(fn, case, at="a hidden point")


def _steep_default_cases() -> list:
    """1.2 without h: exp(20x), whose centered difference is off by (20h)**2 / 6 relatively, about 7e-7 for
    h = 1e-4 (beyond the check's 1e-7) and 7e-9 for the default 1e-5."""
    return [("np.exp(20*x)", _exp_20x, 0.1, None)]


# ---- chapter 02: gates and a neuron ------------------------------------------------------------------


def _mul_cases() -> list:
    """2.1: (x, y, dout) with a zero input (a division by x fails there) and integer inputs."""
    return [(0.0, 2.5, -1.5), (-2.5, -0.75, 3.0), (2, -3, 4), (1.75, 0.0, 0.5)]


def _max_cases() -> list:
    """2.2: (x, y, dout), x != y: a positive x below y and a negative x above y (comparing x with 0 fails)."""
    return [(1.0, 2.5, 0.75), (-1.0, -3.0, -2.0), (-2.0, -0.5, 1.25), (4, 7, -3)]


def _gate_where(case: tuple) -> str:
    x, y, dout = case
    return f"a hidden case with x {_sign(x)}, y {_sign(y)} and dout {_sign(dout)}"


def _mul_case(fn, case) -> None:
    ch02.check_mul_case(fn, case, where=_gate_where(case))


def _max_case(fn, case) -> None:
    ch02.check_max_case(fn, case, where=_gate_where(case) + f", {'x' if case[0] > case[1] else 'y'} the larger")


def _neuron_cases() -> list:
    """2.3: four new (w0, x0, w1, x1, w2) in (-3, 3); two of their pre-activations z are negative."""
    return ch02._neuron_cases(seed=2211, count=4, bound=3.0)


def _neuron_case(fn, case) -> None:
    w0, x0, w1, x1, w2 = case
    ch02.check_neuron_case(fn, case, where=f"a hidden case with {_sign(w0 * x0 + w1 * x1 + w2)} z")


def _chain_rule_by_differences(x: float, y: float, z: float) -> tuple[float, float, float]:
    """2.4's slopes of f = (x + y) * max(y, z) measured by centered differences, not by bplib.graph.

    Away from y = z, f is quadratic in each input, so the centered difference is exact up to rounding.
    """

    def f(x, y, z):
        return (x + y) * max(y, z)

    h = 1e-3
    return ((f(x + h, y, z) - f(x - h, y, z)) / (2 * h), (f(x, y + h, z) - f(x, y - h, z)) / (2 * h),
            (f(x, y, z + h) - f(x, y, z - h)) / (2 * h))


# ---- chapter 03: the delta rule ------------------------------------------------------------------------


def _neuron_data(seed: int, sizes: tuple) -> list[tuple]:
    """(x: (N, D), y: (N,), w: (D,), b), one per (N, D): 0/1 targets, moderate weights (no saturated example)."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, D in sizes:
        x = np.round(rng.normal(size=(N, D)), 2)
        y = rng.integers(0, 2, size=N).astype(np.float64)
        w = np.round(rng.normal(scale=0.6, size=D), 2)
        cases.append((x, y, w, round(float(rng.uniform(-0.5, 0.5)), 2)))
    return cases


def _delta_rule_other() -> list[tuple]:
    """3.1-3.3: one example of one input, fewer examples than inputs, a square x, and N = 7, D = 4."""
    return _neuron_data(1303, ((1, 1), (2, 6), (4, 4), (7, 4)))


def _delta_rule_integer() -> list[tuple]:
    """3.1-3.3: x and y as int64 arrays (the OR data, then small counts), an integer bias."""
    rng = np.random.default_rng(2303)
    x_or, y_or = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 1])  # (4, 2), (4,)
    x_counts, y_counts = rng.integers(-2, 3, size=(5, 3)), np.array([1, 0, 0, 1, 0])  # (5, 3), (5,)
    return [(x_or, y_or, np.array([0.4, -0.7]), 1), (x_counts, y_counts, np.array([0.3, -0.2, 0.5]), 0)]


def _step_other() -> list[tuple]:
    """3.4: the shapes of _delta_rule_other, each with its own learning rate."""
    return [(*case, lr) for case, lr in zip(_delta_rule_other(), (0.25, 1.5, 0.05, 3.0), strict=True)]


def _step_integer() -> list[tuple]:
    return [(*case, 0.5) for case in _delta_rule_integer()]


# ---- chapter 04: backprop through layers -------------------------------------------------------------


def _dense_integer() -> list[tuple]:
    """4.2: (dout, x, W) with x an int64 array."""
    return [(dout, _integral(x), W) for dout, x, W in ch04.dense_cases(seed=2402, sizes=((5, 3, 2), (1, 4, 3)))]


# ---- chapter 05: vectorized backprop ------------------------------------------------------------------


def _softmax_other() -> list[tuple]:
    """5.2: (z, y) with moderate logits: a batch of one with two classes, then N = 5 with C = 7."""
    rng = np.random.default_rng(1502)
    return [(rng.normal(scale=2.0, size=(N, C)), rng.integers(0, C, size=N)) for N, C in ((1, 2), (5, 7))]


def _softmax_far_apart() -> list[tuple]:
    """5.2: logits thousands apart within a row: subtracting the row's mean (or nothing) overflows, and
    true classes far below their row's maximum have probabilities that round to 0."""
    z = np.array([[3000.0, 0.0, -3000.0],
                  [-2.0e4, -1.9e4, -2.05e4],
                  [5.0, 1.0e4, -1.0e4],
                  [-1.0e5, 0.5, 1.0e5]])  # (4, 3)
    return [(z, np.array([2, 0, 1, 2]))]


def _softmax_far_case(fn, case) -> None:
    ch05.check_softmax_case(fn, case, where=f"for z {case[0].shape} with logits thousands apart within a row")


def _sgd_other() -> list[tuple]:
    """5.4: one batch holding all the data, batches of one, and a last batch of one example."""
    return ch05.sgd_cases(seed=1504, settings=((7, 4, 3, 5, 0.3, 7), (5, 2, 3, 4, 0.1, 1), (9, 3, 2, 2, 0.25, 4)))


def _sgd_case(fn, case) -> None:
    ch05.check_sgd_case(fn, case, where=f"for N = {len(case[1])}, batch_size = {case[4]} and a hidden lr")


WEIGHT_DECAY = 0.05  # the L2 penalty of the other model in _sgd_other_model


def _decayed_loss_and_grads(params, x, y):
    """The two-layer network's loss plus (WEIGHT_DECAY / 2) * (sum(W1**2) + sum(W2**2)), and its gradients:
    a loss_and_grads other than the one the notebook defines, with the same parameter names."""
    loss, grads = ch05.reference_mlp_loss_and_grads(params, x, y)
    penalty = sum(float(np.sum(params[name] ** 2)) for name in ("W1", "W2"))
    grads = {name: g + WEIGHT_DECAY * params[name] if name.startswith("W") else g for name, g in grads.items()}
    return loss + 0.5 * WEIGHT_DECAY * penalty, grads


def _sgd_other_model() -> list[tuple]:
    """5.4: (params, x, y, lr, batch_size, loss_and_grads) with _decayed_loss_and_grads."""
    return [(*case, _decayed_loss_and_grads) for case in ch05.sgd_cases(seed=2504, settings=((8, 3, 4, 3, 0.4, 3),))]


def _sgd_model_case(fn, case) -> None:
    ch05.check_sgd_case(fn, case, where=f"for N = {len(case[1])}, batch_size = {case[4]}, with another model's "
                                        "loss_and_grads")


# ---- chapter 06: vanishing and exploding gradients -------------------------------------------------------


def _init_other() -> list[tuple]:
    """6.2: (D, H, init): a single input, square layers, a wide input and a wide output layer."""
    return [(1, 10, "he"), (64, 64, "xavier"), (64, 64, "he"), (784, 10, "xavier"), (10, 784, "he")]


def _momentum_case(fn, case) -> None:
    ch06.check_momentum_case(fn, case, where=f"for w of shape {case[0].shape} and a hidden lr, beta")


def _path_cases() -> list[tuple]:
    """6.4: (grad, w_start, lr, beta, steps): one step in one dimension, 30 steps on a 4-d bowl."""
    return [
        (ch06.QuadraticGrad([3.0]), np.array([-2.0]), 0.2, 0.5, 1),
        (ch06.QuadraticGrad([0.5, 1.0, 4.0, 20.0]), np.array([1.0, -1.0, 0.5, 0.2]), 0.04, 0.9, 30),
    ]


def _path_case(fn, case) -> None:
    ch06.check_path_case(fn, case, where=f"for {case[4]} steps from a start of {len(case[1])} weights and a "
                                         "hidden lr, beta")


# ---- chapter 07: backprop through time ----------------------------------------------------------------


def _clip_cases() -> list[tuple]:
    """7.4: (grads, max_norm): five arrays with other names above the threshold; a single array below it
    (named b, as in the public cases, so a rule keyed to that name shows); one array far larger than the other."""
    rng = np.random.default_rng(1704)
    shapes = {"W_f": (2, 3), "U_f": (3, 3), "b_f": (3,), "W_o": (2, 3), "b_o": (3,)}
    many = {name: rng.normal(scale=2.0, size=shape) for name, shape in shapes.items()}
    single = {"b": rng.normal(scale=0.1, size=4)}
    lopsided = {"Wx": rng.normal(scale=0.01, size=5), "Wh": rng.normal(scale=10.0, size=(2, 2))}
    return [(many, 2.5), (single, 1.0), (lopsided, 3.0)]


# ---- the registry ---------------------------------------------------------------------------------------

_OTHER_Z = "new values, a zero-dimensional array, and shapes with a length-one axis or four axes"
_INTEGER_Z = "a Python int and integer arrays: the derivative of an integer z is still a fraction"
_NEURON_OTHER = "a single example with a single input, fewer examples than inputs, and a square x"
_NEURON_INTEGER = "x and y as integer arrays (targets of zeros and ones) and an integer bias, as a dataset often comes"


def _checks(task: str, *triples: tuple[str, str, Callable]) -> tuple[HiddenCheck, ...]:
    return tuple(HiddenCheck(task, name, what, checker) for name, what, checker in triples)


HIDDEN_CHECKS: dict[str, tuple[HiddenCheck, ...]] = {
    "1.1": _checks(
        "1.1",
        ("other values and shapes", _OTHER_Z, OnCases(ch01.check_sigmoid_prime_case, _z_other)),
        ("integer input", _INTEGER_Z, OnCases(ch01.check_sigmoid_prime_case, _z_integer)),
    ),
    "1.2": _checks(
        "1.2",
        ("other functions", "other functions and points, an integer x among them",
         OnCases(_derivative_case, _derivative_cases)),
        ("default step", "called without h on a steeply growing function: only the task's default step is "
                         "accurate enough", OnCases(ch01.check_default_step_case, _steep_default_cases)),
    ),
    "1.3": _checks(
        "1.3",
        ("other values and shapes", _OTHER_Z, OnCases(ch01.check_tanh_prime_case, _z_other)),
        ("integer input", _INTEGER_Z, OnCases(ch01.check_tanh_prime_case, _z_integer)),
    ),
    "1.4": _checks(
        "1.4",
        ("huge inputs", "|z| far beyond the public cases, up to the largest float: no warning, inf or NaN",
         OnCases(ch01.check_stable_sigmoid_case, _z_huge)),
        ("integer input", "integer arrays and a large Python int",
         OnCases(ch01.check_stable_sigmoid_case, _z_integer_extreme)),
    ),
    "2.1": _checks(
        "2.1",
        ("other values", "new values, among them a zero input and integer inputs", OnCases(_mul_case, _mul_cases)),
    ),
    "2.2": _checks(
        "2.2",
        ("other values", "new values: a positive x below y, a negative x above y, integer inputs",
         OnCases(_max_case, _max_cases)),
    ),
    "2.3": _checks(
        "2.3",
        ("other values", "new weights and inputs, some with a negative pre-activation z",
         OnCases(_neuron_case, _neuron_cases)),
    ),
    "2.4": _checks(
        "2.4",
        ("re-derived", "your three numbers against slopes measured by centered differences at the same point "
                       "(numbers worked out by hand have no other case)",
         functools.partial(ch02.check_chain_rule_function, gradients=_chain_rule_by_differences)),
    ),
    "3.1": _checks(
        "3.1",
        ("other shapes", _NEURON_OTHER, OnCases(ch03.check_forward_loss_case, _delta_rule_other)),
        ("integer data", _NEURON_INTEGER, OnCases(ch03.check_forward_loss_case, _delta_rule_integer)),
    ),
    "3.2": _checks(
        "3.2",
        ("other shapes", _NEURON_OTHER, OnCases(ch03.check_compute_delta_case, _delta_rule_other)),
        ("integer data", _NEURON_INTEGER, OnCases(ch03.check_compute_delta_case, _delta_rule_integer)),
    ),
    "3.3": _checks(
        "3.3",
        ("other shapes", _NEURON_OTHER, OnCases(ch03.check_gradients_case, _delta_rule_other)),
        ("integer data", _NEURON_INTEGER, OnCases(ch03.check_gradients_case, _delta_rule_integer)),
    ),
    "3.4": _checks(
        "3.4",
        ("other shapes and rates", _NEURON_OTHER + ", each with its own learning rate",
         OnCases(ch03.check_delta_rule_step_case, _step_other)),
        ("integer data", _NEURON_INTEGER, OnCases(ch03.check_delta_rule_step_case, _step_integer)),
    ),
    "4.1": _checks(
        "4.1",
        ("other shapes", "a single example with a single output, and more outputs than examples",
         OnCases(ch04.check_output_case, functools.partial(ch04.output_cases, 1401, ((1, 1), (6, 4), (2, 5))))),
    ),
    "4.2": _checks(
        "4.2",
        ("other shapes", "a batch of one, N, D, H all different, and a square W with N different",
         OnCases(ch04.check_dense_case, functools.partial(ch04.dense_cases, 1402, ((1, 5, 4), (6, 2, 7), (3, 4, 4))))),
        ("integer inputs", "x given as an integer array", OnCases(ch04.check_dense_case, _dense_integer)),
    ),
    "4.3": _checks(
        "4.3",
        ("other shapes", "a batch of one with more outputs than hidden units, a single output unit, a square W_next",
         OnCases(ch04.check_hidden_case,
                 functools.partial(ch04.hidden_cases, 1403, ((1, 2, 5), (5, 3, 1), (2, 4, 4))))),
    ),
    "4.4": _checks(
        "4.4",
        ("other sizes", "a batch of one with a single output, and N, D, H, K all different with more outputs",
         OnCases(ch04.check_network_case, functools.partial(ch04.network_cases, 1404, ((1, 4, 3, 1), (6, 2, 5, 3))))),
    ),
    "5.1": _checks(
        "5.1",
        ("other sizes", "a batch of one, a single input feature, and other numbers of units",
         OnCases(ch05.check_bias_case, functools.partial(ch05.bias_cases, 1501, ((1, 5, 3), (6, 1, 4), (2, 3, 3))))),
    ),
    "5.2": _checks(
        "5.2",
        ("other sizes", "a batch of one with two classes, and more classes than examples",
         OnCases(ch05.check_softmax_case, _softmax_other)),
        ("logits far apart", "logits thousands apart within one row: only subtracting each row's maximum stays finite",
         OnCases(_softmax_far_case, _softmax_far_apart)),
    ),
    "5.3": _checks(
        "5.3",
        ("other sizes", "a batch of one with two classes, and N, D, H, C all different with more classes",
         OnCases(ch05.check_network_case, functools.partial(ch05.network_cases, 1503, ((1, 3, 5, 2), (7, 2, 4, 5))))),
    ),
    "5.4": _checks(
        "5.4",
        ("other batch sizes", "one batch holding all the data, batches of one example, a last batch of one, "
                              "other learning rates", OnCases(_sgd_case, _sgd_other)),
        ("another model", "a loss_and_grads other than the notebook's network: use the one you are given",
         OnCases(_sgd_model_case, _sgd_other_model)),
    ),
    "6.1": _checks(
        "6.1",
        ("other depths and widths", "a batch of one through a single top unit, a deeper ReLU network, one square layer",
         OnCases(ch06.check_delta_case, functools.partial(
             ch06.delta_cases, 1601, (((2, 6, 1), 1, "sigmoid"), ((5, 3, 3, 7, 2), 6, "relu"), ((4, 4), 2, "tanh"))))),
    ),
    "6.2": _checks(
        "6.2",
        ("other sizes", "a single input, square layers, a wide input layer and a wide output layer",
         OnCases(ch06.check_init_case, _init_other)),
    ),
    "6.3": _checks(
        "6.3",
        ("other shapes and rates", "a single weight, a weight array with three axes, no momentum and momentum "
                                   "close to one",
         OnCases(_momentum_case, functools.partial(
             ch06.momentum_cases, 1603, (((1,), 0.5, 0.0), ((4, 2, 2), 0.01, 0.99), ((6,), 0.2, 0.5))))),
    ),
    "6.4": _checks(
        "6.4",
        ("other runs", "a single step in one dimension, and a long run on a four-dimensional bowl",
         OnCases(_path_case, _path_cases)),
    ),
    "7.1": _checks(
        "7.1",
        ("other sizes", "a batch of one with D < H, and more inputs than hidden units",
         OnCases(ch07.check_step_case, functools.partial(ch07.step_cases, 1701, ((1, 2, 4), (5, 6, 3))))),
    ),
    "7.2": _checks(
        "7.2",
        ("other sequences", "a batch of one over a longer sequence, and a short sequence with D > H",
         OnCases(ch07.check_weight_case, functools.partial(ch07.weight_cases, 1702, ((1, 7, 2, 3), (4, 2, 5, 2))))),
    ),
    "7.3": _checks(
        "7.3",
        ("other sequences", "a batch of one over a longer sequence, and a short sequence with a single input",
         OnCases(ch07.check_bptt_case, functools.partial(ch07.bptt_cases, 1703, ((1, 9, 4, 2), (3, 2, 1, 5))))),
    ),
    "7.4": _checks(
        "7.4",
        ("other gradients", "other names and numbers of arrays, a single array below the threshold, one array "
                            "far larger than the other", OnCases(ch07.check_clip_case, _clip_cases)),
    ),
    "8.1": _checks(
        "8.1",
        ("other sizes", "a batch of one with more hidden units than inputs, and more inputs than hidden units",
         OnCases(ch08.check_step_forward_case, functools.partial(ch08.step_cases, 1801, ((1, 2, 5), (4, 6, 3))))),
    ),
    "8.2": _checks(
        "8.2",
        ("other sizes", "a batch of one with more hidden units than inputs, and more inputs than hidden units",
         OnCases(ch08.check_step_backward_case, functools.partial(ch08.step_cases, 1801, ((1, 2, 5), (4, 6, 3))))),
    ),
    "8.3": _checks(
        "8.3",
        ("other sequences", "a longer sequence with a single unit, and a short one",
         OnCases(ch08.check_cell_gradients_case, functools.partial(ch08.cell_cases, 1803, ((3, 9, 1), (2, 2, 4))))),
    ),
    "8.4": _checks(
        "8.4",
        ("other sizes", "a batch of one over a longer sequence with more hidden units, and a single hidden unit",
         OnCases(ch08.check_bptt_case, functools.partial(ch08.bptt_cases, 1804, ((1, 6, 2, 3), (3, 2, 4, 1))))),
    ),
}
