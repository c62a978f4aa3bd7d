"""Hidden checks (Task.hidden, run by run_hidden): what the grading command runs after each task's public check.

For every task: a right answer passes every hidden check on the cases of many seeds, an untouched stub
is "not implemented", an answer overfitted to the public cases passes the public check and fails a
hidden one, the hidden cases differ from the public ones and from one seed to the next, every known
mistake still fails with one of the chapter's hints, and no hidden detail or hint shows an expected
value or a number of a hidden case.
"""

from __future__ import annotations

import copy
import math
import numbers
import re
from collections.abc import Mapping

import numpy as np
import pytest
import test_checks
import test_checks_ch03
import test_checks_ch04
import test_checks_ch05
import test_checks_ch06
import test_checks_ch07
import test_checks_ch08

from bplib.checks import TASKS, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, hidden_rng, run_hidden, run_task
from bplib.checks._core import HiddenCheck

HIDDEN_CHECKS = {task_id: task.hidden for task_id, task in TASKS.items()}
SEED = 20261207  # the seed of the runs these tests look into; test_..._many_seeds tries others

CHAPTER_TESTS = (test_checks, test_checks_ch03, test_checks_ch04, test_checks_ch05, test_checks_ch06,
                 test_checks_ch07, test_checks_ch08)
REFERENCE = {task_id: answer for module in CHAPTER_TESTS for task_id, answer in module.REFERENCE.items()}
MISTAKES = [(task_id, answer, key) for module in CHAPTER_TESTS for task_id, answer, key in module.MISTAKES]
HINTS = {task_id: hints for module in (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08)
         for task_id, hints in module.HINTS.items()}
ONE_POINT = ["2.4"]  # three numbers worked out by hand at one point: the task has no other case
FUNCTION_TASKS = [task_id for task_id in TASKS if task_id not in ONE_POINT]  # tasks whose functions take inputs


def _not_implemented(*args, **kwargs):
    raise NotImplementedError("Exercise")


STUB = {task_id: _not_implemented for task_id in TASKS}


def _verdicts_by_name(task_id: str, answer, seed: int = SEED) -> dict:
    return {check.name: verdict
            for check, verdict in zip(HIDDEN_CHECKS[task_id], run_hidden(task_id, answer, seed), strict=True)}


def _cases(task_id: str, index: int, seed: int = SEED) -> list:
    """The cases hidden check `index` of a task runs in the run with `seed`."""
    return HIDDEN_CHECKS[task_id][index].make_cases(hidden_rng(seed, task_id, index))


# ---- chapter 01's answers written out by hand (chapter 01's REFERENCE are bplib's own functions) -------


def _sigmoid_prime_by_hand(z):
    s = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
    return s * (1.0 - s)


def _numerical_derivative_by_hand(f, x, eps=1e-5):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def _tanh_prime_by_hand(z):
    return 1.0 - np.tanh(z) ** 2


def _stable_sigmoid_by_hand(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


BY_HAND = {"1.1": _sigmoid_prime_by_hand, "1.2": _numerical_derivative_by_hand, "1.3": _tanh_prime_by_hand,
           "1.4": _stable_sigmoid_by_hand}


# ---- answers overfitted to the public cases ----------------------------------------------------------


def _fingerprint(value) -> str:
    """A string that equals another's exactly when two call arguments hold the same values."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape}{value.dtype}{value.tobytes().hex()}"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{key!r}:{_fingerprint(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_fingerprint(item) for item in value) + ")"
    if callable(value) and hasattr(value, "__qualname__"):
        return value.__qualname__
    if isinstance(getattr(value, "__dict__", None), dict):
        return type(value).__name__ + _fingerprint(vars(value))
    return repr(value)


class Memorised:
    """An answer that replays the reference's outputs on the public cases, and on any other input the
    output it saw last: what a notebook with outputs copied from somewhere gets right, and no more."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.outputs: dict[str, object] = {}

    def __call__(self, *args, **kwargs):
        if not self.outputs:
            self._learn_the_public_cases()
        key = _fingerprint((args, kwargs))
        return copy.deepcopy(self.outputs.get(key, list(self.outputs.values())[-1]))

    def _learn_the_public_cases(self) -> None:
        def recording(*args, **kwargs):
            value = REFERENCE[self.task_id](*args, **kwargs)
            self.outputs[_fingerprint((args, kwargs))] = copy.deepcopy(value)
            return value

        assert run_task(self.task_id, recording).passed


def _sigmoid_prime_into_input_dtype(z):
    out = np.empty_like(z)  # an int array for an int z: the fractions are truncated
    s = 1.0 / (1.0 + np.exp(-np.asarray(z)))
    out[...] = s * (1 - s)
    return out


def _numerical_derivative_larger_default(f, x, eps=1e-4):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def _tanh_prime_into_input_dtype(z):
    out = np.zeros_like(z)
    out[...] = 1 - np.tanh(z) ** 2
    return out


def _stable_sigmoid_into_input_dtype(z):
    z = np.asarray(z)  # stays an int array for an int z
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out


def _mul_backward_by_division(x, y, dout):
    out = x * y  # d(out)/dx = out / x = y, until x is 0
    return out / x * dout, out / y * dout


def _max_backward_by_sign(x, y, dout):
    return (dout, 0.0) if x > 0 else (0.0, dout)  # right whenever the larger input is the positive one


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _forward_loss_into_y(x, y, w, b):
    a = np.empty_like(y)  # an int array for int targets
    for n in range(len(y)):
        a[n] = _sigmoid(x[n] @ w + b)
    return a, 0.5 * np.mean((a - y) ** 2)


def _compute_delta_into_y(x, y, w, b):
    delta = np.empty_like(y)
    for n in range(len(y)):
        a = _sigmoid(x[n] @ w + b)
        delta[n] = (a - y[n]) * a * (1 - a)
    return delta


def _gradients_into_x(x, y, w, b):
    dw, db = np.zeros_like(x[0]), 0.0  # an int array for an int x: dw += ... cannot cast
    for n in range(len(y)):
        a = _sigmoid(x[n] @ w + b)
        delta = (a - y[n]) * a * (1 - a)
        dw += delta * x[n]
        db += delta
    return dw / len(y), db / len(y)


learning_rate = ch03.LEARNING_RATE  # a notebook's global that happens to be the public cases' rate


def _delta_rule_step_with_the_global_rate(x, y, w, b, lr):
    dw, db = test_checks_ch03.gradients(x, y, w, b)
    return w - learning_rate * dw, b - learning_rate * db


def _dense_backward_into_x(dout, x, W):
    dx = np.zeros_like(x)
    dx[:] = dout @ W.T
    return dx, x.T @ dout, dout.sum(axis=0)


def _bias_trick_two_units(x, W, b):
    return np.hstack([x, np.ones((len(x), 1))]), np.vstack([W, b.reshape(1, 2)])  # both public cases have H = 2


def _softmax_cross_entropy_row_mean(z, y):
    N = len(z)
    shifted = z - z.mean(axis=1, keepdims=True)  # centred rows: stable only while a row spans < ~1400
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    onehot = np.zeros_like(z)
    onehot[np.arange(N), y] = 1.0
    return -np.mean(log_p[np.arange(N), y]), (np.exp(log_p) - onehot) / N


def _mlp_three_classes(params, x, y):
    N = len(x)
    z1 = x @ params["W1"] + params["b1"]
    a1 = np.maximum(z1, 0.0)
    z2 = a1 @ params["W2"] + params["b2"]
    shifted = z2 - z2.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dz2 = (np.exp(log_p) - np.eye(3)[y]) / N  # one-hot rows for the example's three classes (so do both public cases)
    dz1 = (dz2 @ params["W2"].T) * (z1 > 0)
    return -np.mean(log_p[np.arange(N), y]), {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": a1.T @ dz2,
                                              "b2": dz2.sum(axis=0)}


def _sgd_epoch_with_the_notebooks_network(params, x, y, lr, batch_size, loss_and_grads):
    return test_checks_ch05.sgd_epoch(params, x, y, lr, batch_size, test_checks_ch05.mlp_loss_and_grads)


def _lstm_bptt_two_units(dh, caches, step_backward):
    N, T, _ = dh.shape
    dx = np.zeros((N, T, caches[0]["x"].shape[1]))
    grads = {name: np.zeros_like(p) for name, p in caches[0]["params"].items()}
    dh_carry, dc_carry = np.zeros((N, 2)), np.zeros((N, 2))  # H = 2, as in the example and the public cases
    for t in range(T - 1, -1, -1):
        dx[:, t], dh_carry, dc_carry, step_grads = step_backward(dh[:, t] + dh_carry, dc_carry, caches[t])
        grads = {name: grads[name] + step_grads[name] for name in grads}
    return dx, dh_carry, dc_carry, grads


# (task, an answer that passes the public check, the hidden check that catches it)
OVERFITTED = [
    ("1.1", _sigmoid_prime_into_input_dtype, "integer input"),
    ("1.2", _numerical_derivative_larger_default, "default step"),
    ("1.3", _tanh_prime_into_input_dtype, "integer input"),
    ("1.4", _stable_sigmoid_into_input_dtype, "integer input"),
    ("2.1", _mul_backward_by_division, "other values"),
    ("2.2", _max_backward_by_sign, "other values"),
    ("3.1", _forward_loss_into_y, "integer data"),
    ("3.2", _compute_delta_into_y, "integer data"),
    ("3.3", _gradients_into_x, "integer data"),
    ("3.4", _delta_rule_step_with_the_global_rate, "other shapes and rates"),
    ("4.2", _dense_backward_into_x, "integer inputs"),
    ("5.1", _bias_trick_two_units, "other sizes"),
    ("5.2", _softmax_cross_entropy_row_mean, "logits far apart"),
    ("5.3", _mlp_three_classes, "other sizes"),
    ("5.4", _sgd_epoch_with_the_notebooks_network, "another model"),
    ("8.4", _lstm_bptt_two_units, "other sizes"),
    # where no realistic bug fits the public cases only, an answer that memorised their outputs
    *[(task_id, Memorised(task_id), HIDDEN_CHECKS[task_id][0].name)
      for task_id in ("2.3", "4.1", "4.3", "4.4", "6.1", "6.2", "6.3", "6.4", "7.1", "7.2", "7.3", "7.4", "8.1",
                      "8.2", "8.3")],
]


# ---- the public cases, to compare the hidden ones with ------------------------------------------------

PUBLIC_CASES = {
    "1.1": ch01._z_cases, "1.2": lambda: ch01.DERIVATIVE_CASES, "1.3": ch01._z_cases, "1.4": ch01._extreme_cases,
    "2.1": lambda: ch02.GATE_CASES, "2.2": lambda: ch02.GATE_CASES, "2.3": ch02._neuron_cases,
    "3.1": ch03._cases, "3.2": ch03._cases, "3.3": ch03._cases,
    "3.4": lambda: [(*case, ch03.LEARNING_RATE) for case in ch03._cases()],
    "4.1": ch04.output_cases, "4.2": ch04.dense_cases, "4.3": ch04.hidden_cases, "4.4": ch04.network_cases,
    "5.1": ch05.bias_cases, "5.2": ch05.softmax_cases, "5.3": ch05.network_cases, "5.4": ch05.sgd_cases,
    "6.1": ch06.delta_cases, "6.2": ch06.init_cases, "6.3": ch06.momentum_cases, "6.4": ch06.path_cases,
    "7.1": ch07.step_cases, "7.2": ch07.weight_cases, "7.3": ch07.bptt_cases, "7.4": ch07.clip_cases,
    "8.1": ch08.step_cases, "8.2": ch08.step_cases, "8.3": ch08.cell_cases, "8.4": ch08.bptt_cases,
}
# tasks whose inputs are single numbers: a hidden case can differ in its values only, not in its shapes
SCALAR_INPUTS = {"1.2", "2.1", "2.2", "2.3"}


def _shapes(value):
    """What a case looks like without its values: array shapes and sizes (ints), names and structure."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape)
    if isinstance(value, Mapping):
        return tuple((key, _shapes(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_shapes(item) for item in value)
    if isinstance(value, (bool, str)) or (isinstance(value, numbers.Integral)):
        return value
    if isinstance(value, numbers.Real):
        return "number"
    if callable(value) and hasattr(value, "__qualname__"):
        return "function"
    if isinstance(getattr(value, "__dict__", None), dict):  # e.g. ch06.QuadraticGrad: its curvature
        return _shapes(vars(value))
    return "function"


# ---- what must never be shown: expected values and the numbers of a hidden case -----------------------


def _numbers(value) -> list[float]:
    """Every number inside `value`: array entries, scalars, and what dicts, sequences and objects hold."""
    if isinstance(value, np.ndarray):
        return [float(v) for v in value.ravel()] if value.dtype.kind in "iuf" else []
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, numbers.Real):
        return [float(value)]
    if isinstance(value, Mapping):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, (list, tuple)):
        return [n for item in value for n in _numbers(item)]
    if isinstance(getattr(value, "__dict__", None), dict):
        return _numbers(vars(value))
    return []


def _expected_and_inputs(task_id: str, index: int) -> tuple[list[float], list[float]]:
    """The numbers hidden check `index` compares against (the right answer's outputs), and its cases' inputs."""
    if task_id in ONE_POINT:  # 2.4: the three numbers at ch02.CHAIN_POINT
        return list(REFERENCE[task_id]()), list(ch02.CHAIN_POINT.values())
    expected, inputs = [], []

    def recording(*args, **kwargs):
        value = REFERENCE[task_id](*args, **kwargs)
        expected.extend(_numbers(value))
        inputs.extend(_numbers((args, kwargs)))
        return value

    HIDDEN_CHECKS[task_id][index].checker(hidden_rng(SEED, task_id, index))(recording)
    return expected, inputs


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
LANDMARKS = (0.0, 0.5, 1.0)  # the sigmoid's well-known values, which a hint may name


def _significant_digits(token: str) -> int:
    mantissa = re.split("[eE]", token)[0].lstrip("-").replace(".", "")
    return len(mantissa.lstrip("0"))


def assert_nothing_of_the_case_shown(task_id: str, index: int, output: str) -> None:
    """No number in `output` is an expected value or a non-integer input of the check's cases (in the run
    with SEED), exactly or rounded to 3 or more digits. Integer inputs (sizes, counts) may show, as may
    0, 1/2 and 1."""
    expected, inputs = _expected_and_inputs(task_id, index)
    allowed = [v for v in inputs if float(v).is_integer()] + list(LANDMARKS)
    forbidden = [v for v in expected + inputs
                 if not any(math.isclose(v, a, rel_tol=1e-9, abs_tol=1e-12) for a in allowed)]
    body = output.replace(f"Exercise {task_id} ", "")
    for token in NUMBER.findall(body):
        number = float(token)
        rounded = _significant_digits(token) >= 3
        leaked = [v for v in forbidden if number == v or (rounded and math.isclose(number, v, rel_tol=5e-3))]
        assert not leaked, f"the output shows {token}, a number of the hidden case, in {output!r}"


def _a_check_with_values(task_id: str) -> tuple[int, float]:
    """The index of a hidden check of the task and a number it must never show."""
    for index in range(len(HIDDEN_CHECKS[task_id])):
        expected, inputs = _expected_and_inputs(task_id, index)
        for value in expected + inputs:
            if not float(value).is_integer() and value not in LANDMARKS:
                return index, value
    raise AssertionError(f"task {task_id} has no non-integer value to hide")


@pytest.mark.parametrize("task_id", ["1.4", "2.2", "3.3", "5.4", "6.3", "8.4"])
def test_the_leak_detector_finds_a_shown_value(task_id):
    index, value = _a_check_with_values(task_id)
    for shown in (f"{value:.4g}", f"{value!r}"):
        with pytest.raises(AssertionError):
            assert_nothing_of_the_case_shown(task_id, index, f"Exercise {task_id} (x): wrong: expected {shown}")


# ---- the registry ---------------------------------------------------------------------------------------


def test_every_task_and_no_other_has_one_to_three_hidden_checks():
    assert list(HIDDEN_CHECKS) == list(TASKS)
    for checks in HIDDEN_CHECKS.values():
        assert 1 <= len(checks) <= 3
        assert len({check.name for check in checks}) == len(checks)
        for check in checks:
            assert isinstance(check, HiddenCheck)
            assert check.name and check.what and callable(check.check_case) and callable(check.make_cases)
            assert not re.search(r"\d", check.name + check.what), f"a name or description shows a value: {check}"


def test_run_hidden_titles_each_verdict_with_its_check():
    verdicts = run_hidden("4.2", REFERENCE["4.2"], SEED)
    assert [v.title for v in verdicts] == [f"dense_backward, hidden: {c.name}" for c in HIDDEN_CHECKS["4.2"]]
    assert str(verdicts[0]) == "Exercise 4.2 (dense_backward, hidden: other shapes): passed"
    assert all(v.task == "4.2" and v.max_points == TASKS["4.2"].points for v in verdicts)


def test_run_hidden_of_an_unknown_task_raises():
    with pytest.raises(ValueError, match="9.9"):
        run_hidden("9.9", REFERENCE["1.1"])


def test_a_result_passed_instead_of_the_function_keeps_the_tasks_own_call_in_the_hint():
    verdict = run_hidden("1.1", 0.25)[0]
    assert verdict.status == "wrong"
    assert "check('1.1', sigmoid_prime)" in verdict.hint


# ---- verdicts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", list(TASKS))
def test_the_reference_answer_passes_every_hidden_check_on_many_seeds(task_id):
    for seed in range(12):  # random cases must be fit for every seed: no near-tie, no overflow, no kink
        verdicts = run_hidden(task_id, REFERENCE[task_id], seed)
        assert len(verdicts) == len(HIDDEN_CHECKS[task_id])
        assert all(v.status == "passed" and v.points == TASKS[task_id].points for v in verdicts), (
            seed, [str(v) for v in verdicts])


@pytest.mark.parametrize("task_id", FUNCTION_TASKS)
def test_the_hidden_cases_come_from_the_seed(task_id):
    for index in range(len(HIDDEN_CHECKS[task_id])):
        assert _fingerprint(_cases(task_id, index, 1)) == _fingerprint(_cases(task_id, index, 1))
        assert _fingerprint(_cases(task_id, index, 1)) != _fingerprint(_cases(task_id, index, 2)), (
            f"hidden check {HIDDEN_CHECKS[task_id][index].name!r} of {task_id} draws the same cases for two seeds")


@pytest.mark.parametrize("task_id", list(BY_HAND))
def test_answers_written_by_hand_pass_every_hidden_check(task_id):
    assert all(v.passed for v in run_hidden(task_id, BY_HAND[task_id], SEED))


def test_a_step_named_h_passes_every_hidden_check():
    # the checks pass the step by position: the name the answer gives it does not matter
    def numerical_derivative(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / (2 * h)

    assert all(v.passed for v in run_hidden("1.2", numerical_derivative, SEED))


@pytest.mark.parametrize("task_id", list(TASKS))
def test_an_untouched_stub_is_not_implemented_in_every_hidden_check(task_id):
    verdicts = run_hidden(task_id, STUB[task_id], SEED)
    assert [v.status for v in verdicts] == ["not implemented"] * len(HIDDEN_CHECKS[task_id])
    assert all(v.points == 0 for v in verdicts)


@pytest.mark.parametrize(
    ("task_id", "answer", "check_name"),
    OVERFITTED,
    ids=[f"{task_id}-{getattr(answer, '__name__', 'memorised')}" for task_id, answer, _ in OVERFITTED],
)
def test_an_overfitted_answer_passes_the_public_check_and_fails_a_hidden_one(task_id, answer, check_name):
    assert run_task(task_id, answer).passed
    verdict = _verdicts_by_name(task_id, answer)[check_name]
    assert verdict.status == "wrong"
    assert verdict.hint and verdict.detail
    index = next(i for i, c in enumerate(HIDDEN_CHECKS[task_id]) if c.name == check_name)
    assert_nothing_of_the_case_shown(task_id, index, str(verdict))


def test_every_function_task_has_an_overfitted_answer():
    # 2.4 is answered with three numbers at one point: any numbers that pass there are the answer
    assert {task_id for task_id, _, _ in OVERFITTED} == set(TASKS) - set(ONE_POINT)


@pytest.mark.parametrize("task_id", FUNCTION_TASKS)
def test_memorised_public_outputs_fail_every_hidden_check(task_id):
    answer = Memorised(task_id)
    assert run_task(task_id, answer).passed
    assert [v.status for v in run_hidden(task_id, answer, SEED)] == ["wrong"] * len(HIDDEN_CHECKS[task_id])


@pytest.mark.parametrize("task_id", FUNCTION_TASKS)
def test_the_hidden_cases_differ_from_the_public_ones(task_id):
    public = PUBLIC_CASES[task_id]()
    public_values = {_fingerprint(case) for case in public}
    public_shapes = {_shapes(case) for case in public}
    hidden_shapes = set()
    for index in range(len(HIDDEN_CHECKS[task_id])):
        cases = _cases(task_id, index)
        assert cases and not public_values & {_fingerprint(case) for case in cases}
        hidden_shapes |= {_shapes(case) for case in cases}
    if task_id not in SCALAR_INPUTS:
        assert hidden_shapes - public_shapes, "no hidden case has a shape or size the public cases lack"


def test_the_hidden_cases_of_scalar_tasks_reach_what_the_public_ones_leave_out():
    # the public neuron cases all have z > 0, the public max cases a larger input that is the positive one
    for seed in range(20):
        neuron = _cases("2.3", 0, seed)
        assert {w0 * x0 + w1 * x1 + w2 > 0 for w0, x0, w1, x1, w2 in neuron} == {True, False}
        gates = _cases("2.2", 0, seed)
        assert any(0 < x < y for x, y, _ in gates) and any(y < x < 0 for x, y, _ in gates)
        assert any(0 in (x, y) for x, y, _ in _cases("2.1", 0, seed))


@pytest.mark.parametrize("task_id", list(TASKS))
def test_every_known_mistake_fails_a_hidden_check_with_one_of_the_chapters_hints(task_id):
    mistakes = [(answer, key) for t, answer, key in MISTAKES if t == task_id]
    assert mistakes
    for answer, key in mistakes:
        hints = [v.hint for v in run_hidden(task_id, answer, SEED) if v.status == "wrong"]
        assert set(hints) & set(HINTS[task_id].values()), (key, hints)


@pytest.mark.parametrize("task_id", list(TASKS))
def test_hidden_verdicts_show_no_expected_value_and_no_number_of_a_hidden_case(task_id):
    answers = [answer for t, answer, _ in MISTAKES + OVERFITTED if t == task_id]
    if task_id in FUNCTION_TASKS:
        answers.append(Memorised(task_id))
    for answer in answers:
        for index, verdict in enumerate(run_hidden(task_id, answer, SEED)):
            assert_nothing_of_the_case_shown(task_id, index, str(verdict))
