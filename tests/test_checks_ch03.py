"""bplib.checks for exercise 03 (the delta rule): verdicts and hints.

For every task: a correct answer passes, an untouched stub is "not implemented", each known
mistake is "wrong" with its own hint, and nothing printed contains an expected number.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import neuron
from bplib.activations import sigmoid, sigmoid_prime
from bplib.checks import TASKS, ch03, check, run_task

HINTS = ch03.HINTS
TASK_IDS = ["3.1", "3.2", "3.3", "3.4"]


# ---- answers written out by hand (not with bplib.neuron, which the checker uses) ----------------


def forward_loss(x, y, w, b):
    a = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    return a, 0.5 * np.mean((a - y) ** 2)


def compute_delta(x, y, w, b):
    a = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    return (a - y) * a * (1 - a)


def gradients(x, y, w, b):
    delta = compute_delta(x, y, w, b)
    return x.T @ delta / len(y), np.mean(delta)


def delta_rule_step(x, y, w, b, lr):
    dw, db = gradients(x, y, w, b)
    return w - lr * dw, b - lr * db


REFERENCE = {"3.1": forward_loss, "3.2": compute_delta, "3.3": gradients, "3.4": delta_rule_step}


def _stub(*args):
    raise NotImplementedError("Exercise")


# ---- the mistakes learners make, one function each ---------------------------------------------


def _z(x, w, b):
    return x @ w + b


def _a(x, w, b):
    return sigmoid(x @ w + b)


def _grads(delta_of, reduce=np.mean, db_of=None):
    def grads(x, y, w, b):
        delta = delta_of(x, y, w, b)
        dw = reduce(delta[:, None] * x, axis=0)
        return dw, (reduce(delta) if db_of is None else db_of(x, y, w, b, delta))

    return grads


def _step(grads_of, sign=-1.0, use_lr=True, update_bias=True):
    def step(x, y, w, b, lr):
        dw, db = grads_of(x, y, w, b)
        rate = lr if use_lr else 1.0
        return w + sign * rate * dw, (b + sign * rate * db if update_bias else b)

    return step


def _in_place_step(x, y, w, b, lr):
    dw, db = gradients(x, y, w, b)
    w -= lr * dw  # writes into the caller's array
    return w, b - lr * db


_missing_prime = _grads(lambda x, y, w, b: _a(x, w, b) - y)

# (task, wrong answer, key of the hint it must get)
MISTAKES = [
    ("3.1", lambda x, y, w, b: forward_loss(x, y, w, b)[1], "not_pair"),
    ("3.1", lambda x, y, w, b: (*forward_loss(x, y, w, b), 0.0), "not_pair"),
    ("3.1", lambda x, y, w, b: (_a(x, w, b)[:, None], forward_loss(x, y, w, b)[1]), "a_shape"),
    ("3.1", lambda x, y, w, b: (_a(x, w, b), 0.5 * (_a(x, w, b) - y) ** 2), "loss_shape"),
    ("3.1", lambda x, y, w, b: (_z(x, w, b), 0.5 * np.mean((_z(x, w, b) - y) ** 2)), "z_not_a"),
    ("3.1", lambda x, y, w, b: (_a(x, w, 0.0), 0.5 * np.mean((_a(x, w, 0.0) - y) ** 2)), "forgot_bias"),
    ("3.1", lambda x, y, w, b: (_a(x, w, b), np.mean((_a(x, w, b) - y) ** 2)), "no_half"),
    ("3.1", lambda x, y, w, b: (_a(x, w, b), 0.5 * np.sum((_a(x, w, b) - y) ** 2)), "sum_not_mean"),
    ("3.1", lambda x, y, w, b: (_a(x, w, b), np.sum((_a(x, w, b) - y) ** 2)), "sum_not_mean"),
    ("3.1", lambda x, y, w, b: (_a(x, w, b), 0.5 * np.mean((_z(x, w, b) - y) ** 2)), "loss_of_z"),
    ("3.1", lambda x, y, w, b: (_a(x, w, b), 0.5 * np.mean(np.abs(_a(x, w, b) - y))), "other"),
    ("3.1", lambda x, y, w, b: (1.01 * _a(x, w, b), forward_loss(x, y, w, b)[1]), "other"),
    ("3.2", lambda x, y, w, b: np.sum(compute_delta(x, y, w, b)), "shape"),
    ("3.2", lambda x, y, w, b: compute_delta(x, y, w, b)[:, None], "shape"),
    ("3.2", lambda x, y, w, b: _a(x, w, b) - y, "missing_sigma_prime"),
    ("3.2", lambda x, y, w, b: (y - _a(x, w, b)) * sigmoid_prime(_z(x, w, b)), "sign"),
    ("3.2", lambda x, y, w, b: (_a(x, w, b) - y) * _z(x, w, b) * (1 - _z(x, w, b)), "z_for_a"),
    ("3.2", lambda x, y, w, b: (_a(x, w, b) - y) * sigmoid_prime(_a(x, w, b)), "z_for_a"),
    ("3.2", lambda x, y, w, b: (_z(x, w, b) - y) * sigmoid_prime(_z(x, w, b)), "z_for_a"),
    ("3.2", lambda x, y, w, b: (_a(x, w, 0.0) - y) * sigmoid_prime(_z(x, w, 0.0)), "forgot_bias"),
    ("3.2", lambda x, y, w, b: compute_delta(x, y, w, b) / len(y), "divided_by_n"),
    ("3.2", lambda x, y, w, b: 2 * compute_delta(x, y, w, b), "other"),
    ("3.3", lambda x, y, w, b: gradients(x, y, w, b)[0], "not_pair"),
    ("3.3", lambda x, y, w, b: compute_delta(x, y, w, b)[:, None] * x, "not_pair"),
    ("3.3", lambda x, y, w, b: (compute_delta(x, y, w, b)[:, None] * x, np.mean(compute_delta(x, y, w, b))),
     "per_example"),
    ("3.3", lambda x, y, w, b: (np.sum(gradients(x, y, w, b)[0]), gradients(x, y, w, b)[1]), "dw_shape"),
    ("3.3", lambda x, y, w, b: (gradients(x, y, w, b)[0], compute_delta(x, y, w, b)), "db_shape"),
    ("3.3", _grads(compute_delta, np.sum), "sum_not_mean"),
    ("3.3", _missing_prime, "missing_sigma_prime"),
    ("3.3", _grads(lambda x, y, w, b: -compute_delta(x, y, w, b)), "sign"),
    ("3.3", _grads(lambda x, y, w, b: (_a(x, w, b) - y) * _z(x, w, b) * (1 - _z(x, w, b))), "z_for_a"),
    ("3.3", _grads(lambda x, y, w, b: compute_delta(x, y, w, 0.0)), "forgot_bias"),
    ("3.3", _grads(compute_delta, db_of=lambda x, y, w, b, delta: 0.0), "db"),
    ("3.3", _grads(compute_delta, db_of=lambda x, y, w, b, delta: np.mean(_a(x, w, b) - y)), "db"),
    ("3.3", _grads(compute_delta, db_of=lambda x, y, w, b, delta: 2 * np.mean(delta)), "db"),
    ("3.3", lambda x, y, w, b: (x.T @ compute_delta(x, y, w, b), 0.0), "other"),
    ("3.4", lambda x, y, w, b, lr: delta_rule_step(x, y, w, b, lr)[0], "not_pair"),
    ("3.4", lambda x, y, w, b, lr: (delta_rule_step(x, y, w, b, lr)[0][:, None], b), "w_shape"),
    ("3.4", lambda x, y, w, b, lr: (delta_rule_step(x, y, w, b, lr)[0], np.array([b, b])), "b_shape"),
    ("3.4", _step(gradients, sign=1.0), "sign"),
    ("3.4", _step(gradients, use_lr=False), "no_lr"),
    ("3.4", _step(gradients, update_bias=False), "bias_not_updated"),
    ("3.4", _step(_grads(compute_delta, np.sum)), "gradient"),
    ("3.4", _step(_missing_prime), "gradient"),
    ("3.4", lambda x, y, w, b, lr: (w - 2 * lr * gradients(x, y, w, b)[0], b), "other"),
]


def test_every_hint_is_exercised_by_a_mistake():
    used = {(task_id, key) for task_id, _, key in MISTAKES}
    declared = {(task_id, key) for task_id, hints in HINTS.items() for key in hints}
    assert declared == used


# ---- what must never be printed: the expected answers ----------------------------------------------


def _expected_and_inputs(task_id: str) -> tuple[list[float], list[float]]:
    """The numbers each checker compares against, and the inputs it may show (shapes, lr)."""
    expected, inputs = [], [ch03.LEARNING_RATE]
    for x, y, w, b in ch03._cases():
        inputs += [*x.shape, *np.ravel(x), *y, *w, b]
        if task_id == "3.1":
            expected += [*neuron.neuron_forward(x, w, b), neuron.neuron_loss(x, y, w, b)]
        elif task_id == "3.2":
            z = x @ w + b
            expected += list((sigmoid(z) - y) * sigmoid_prime(z))
        elif task_id == "3.3":
            dw, db = neuron.neuron_gradients(x, y, w, b)
            expected += [*dw, db]
        else:
            w_new, b_new = neuron.delta_rule_update(x, y, w, b, ch03.LEARNING_RATE)
            expected += [*w_new, b_new]
    return [float(v) for v in expected], [float(v) for v in inputs]


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def assert_no_expected_numbers(task_id: str, output: str) -> None:
    """No number in `output` equals an expected value, exactly or rounded to 3 or more digits."""
    expected, inputs = _expected_and_inputs(task_id)
    forbidden = [v for v in expected if not any(math.isclose(v, i, rel_tol=1e-9, abs_tol=1e-12) for i in inputs)]
    body = output.replace(f"Exercise {task_id} ", "")
    for token in NUMBER.findall(body):
        number = float(token)
        digits = len(re.split("[eE]", token)[0].lstrip("-").replace(".", "").lstrip("0"))
        leaked = [v for v in forbidden if number == v or (digits >= 3 and math.isclose(number, v, rel_tol=5e-3))]
        assert not leaked, f"the output shows {token}, an expected value, in {output!r}"


def test_the_leak_detector_finds_a_printed_expected_value():
    expected, inputs = _expected_and_inputs("3.3")
    value = next(v for v in expected if v not in inputs)
    with pytest.raises(AssertionError):
        assert_no_expected_numbers("3.3", f"Exercise 3.3 (gradients): wrong: expected {value:.4f}")


# ---- the registry --------------------------------------------------------------------------------


def test_chapter_03_registers_four_tasks():
    assert [t.id for t in ch03.TASKS] == TASK_IDS
    for task in ch03.TASKS:
        assert TASKS[task.id] is task
        assert task.chapter == "03" and task.points > 0 and task.wants_function
        assert task.signature.startswith(task.title + "(")
        assert task.try_it.startswith(task.title + "(")


def test_the_cases_are_not_degenerate():
    # every mistake must change the numbers: N > 1 (sum != mean), b != 0, no saturated example
    first = ch03._cases()[0]
    x, y, w, b = first
    assert x.shape[0] > 1 and x.shape[0] != x.shape[1] and b != 0.0
    assert set(y) == {0.0, 1.0}
    for x, _y, w, b in ch03._cases():
        assert np.all(sigmoid_prime(x @ w + b) > 0.0125)


# ---- verdicts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_reference_passes(task_id, capsys):
    verdict = check(task_id, REFERENCE[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "passed", out
    assert verdict.points == TASKS[task_id].points == verdict.max_points
    assert out == f"Exercise {task_id} ({TASKS[task_id].title}): passed\n"


def test_answers_with_other_but_equal_forms_pass():
    def forward_loss_lists(x, y, w, b):  # a list and a 0-d array instead of an array and a float
        a = sigmoid(x @ w + b)
        return [list(a), np.array(0.5 * np.mean((a - y) ** 2))]

    def gradients_einsum(x, y, w, b):
        z = x @ w + b
        delta = (sigmoid(z) - y) * sigmoid_prime(z)
        return np.einsum("n,nd->d", delta, x) / x.shape[0], float(delta.sum() / len(delta))

    assert run_task("3.1", forward_loss_lists).passed
    assert run_task("3.3", gradients_einsum).passed
    assert run_task("3.4", lambda x, y, w, b, lr: neuron.delta_rule_update(x, y, w, b, lr)).passed


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_untouched_stub_is_not_implemented(task_id, capsys):
    verdict = check(task_id, _stub)
    out = capsys.readouterr().out
    assert verdict.status == "not implemented" and verdict.points == 0
    assert out.startswith(f"Exercise {task_id} ({TASKS[task_id].title}): not implemented yet")


def test_a_step_built_on_an_unfinished_gradients_is_not_implemented():
    def step(x, y, w, b, lr):
        dw, db = _stub(x, y, w, b)
        return w - lr * dw, b - lr * db

    assert run_task("3.4", step).status == "not implemented"


@pytest.mark.parametrize(
    ("task_id", "answer", "hint_key"),
    MISTAKES,
    ids=[f"{task_id}-{key}-{i}" for i, (task_id, _, key) in enumerate(MISTAKES)],
)
def test_each_mistake_gets_its_hint(task_id, answer, hint_key, capsys):
    verdict = check(task_id, answer)
    captured = capsys.readouterr()
    assert verdict.status == "wrong" and verdict.points == 0
    assert verdict.hint == HINTS[task_id][hint_key], verdict
    lines = captured.out.splitlines()
    assert len(lines) == 2, captured.out
    assert lines[0].startswith(f"Exercise {task_id} ({TASKS[task_id].title}): wrong: ")
    assert lines[1] == f"    Hint: {HINTS[task_id][hint_key]}"
    assert captured.err == ""
    assert_no_expected_numbers(task_id, captured.out)


def test_writing_into_the_weights_is_reported():
    verdict = run_task("3.4", _in_place_step)
    assert verdict.status == "wrong"
    assert verdict.detail == "your function changed its input w in place"
    assert "w -= ..." in verdict.hint


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_a_raising_function_is_wrong_with_a_call_to_try(task_id):
    def broken(*args):
        raise ValueError("shapes (5,3) and (2,) not aligned")

    verdict = run_task(task_id, broken)
    assert verdict.status == "wrong"
    assert verdict.detail.startswith("your function raised ValueError")
    assert TASKS[task_id].try_it in verdict.hint


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_the_try_it_call_runs_on_the_reference(task_id):
    # the call a hint suggests must itself be valid for a correct answer
    namespace = {"np": np, TASKS[task_id].title: REFERENCE[task_id]}
    eval(TASKS[task_id].try_it, namespace)  # noqa: S307 - our own fixed string


def test_a_wrong_signature_names_the_right_one():
    verdict = run_task("3.4", lambda x, y, w, b: (w, b))
    assert verdict.status == "wrong"
    assert "delta_rule_step(x, y, w, b, lr)" in verdict.hint


@pytest.mark.parametrize("task_id", TASK_IDS)
@pytest.mark.parametrize(
    "answer",
    [lambda *args: None, lambda *args: (None, None), lambda *args: ("a", 1.0), lambda *args: (np.ones(3), "x"),
     lambda *args: (np.array([1 + 2j]), 0.0), lambda *args: (np.full(5, np.nan), np.nan), lambda *args: {"a": 1}],
    ids=["none", "pair-of-none", "string", "string-second", "complex", "nan", "dict"],
)
def test_nonsense_is_wrong_with_a_hint(task_id, answer):
    verdict = run_task(task_id, answer)
    assert verdict.status == "wrong" and verdict.hint and verdict.detail
