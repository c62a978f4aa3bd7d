"""bplib.checks: the verdicts and hints a learner sees when checking an exercise.

For every task: the reference answer passes, an untouched stub is "not implemented",
each known mistake is "wrong" with its own hint, and nothing printed ever contains
the expected answer. `check` never raises and never prints a traceback.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import activations, gradcheck
from bplib.checks import TASKS, Task, Verdict, ch01, ch02, check, run_task
from bplib.graph import Value

s = activations.sigmoid
HINTS = {**ch01.HINTS, **ch02.HINTS}


# ---- answers -------------------------------------------------------------------------------


def _mul_backward(x, y, dout):
    return y * dout, x * dout


def _max_backward(x, y, dout):
    return (dout, 0.0) if x > y else (0.0, dout)


def _neuron_backward(w0, x0, w1, x1, w2):
    dz = activations.sigmoid_prime(w0 * x0 + w1 * x1 + w2)
    return {"w0": x0 * dz, "x0": w0 * dz, "w1": x1 * dz, "x1": w1 * dz, "w2": dz}


REFERENCE = {
    "1.1": activations.sigmoid_prime,
    "1.2": gradcheck.numerical_derivative,
    "1.3": activations.tanh_prime,
    "1.4": activations.sigmoid,
    "2.1": _mul_backward,
    "2.2": _max_backward,
    "2.3": _neuron_backward,
    "2.4": lambda: (3.0, 7.0, 0.0),  # worked by hand: f = (x + y) * max(y, z) at (1, 3, -2)
}


def _returns(numbers):
    """A chain_rule_by_hand that returns `numbers`."""
    return lambda: numbers


def _not_implemented(*args):
    raise NotImplementedError("Exercise")


def _raises_type_error(*args):
    raise TypeError("boom: unsupported operand")


STUB = {task_id: _not_implemented for task_id in TASKS}


def _stable_where(z, negative, positive):
    """Entries z < 0 from negative(e), z >= 0 from positive(e), e = exp(-|z|); never overflows."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, positive(e), negative(e))


def _neuron(dz_of, local_of, w2_of=None):
    """A neuron_backward built from a rule for dz, for each input's local gradient and for dw2."""

    def neuron_backward(w0, x0, w1, x1, w2):
        dz = dz_of(w0, x0, w1, x1, w2)
        local = local_of(w0, x0, w1, x1)
        grads = {k: g * dz for k, g in zip(("w0", "x0", "w1", "x1"), local, strict=True)}
        grads["w2"] = dz if w2_of is None else w2_of(dz)
        return grads

    return neuron_backward


def _z(w0, x0, w1, x1, w2):
    return w0 * x0 + w1 * x1 + w2


def _sp(z):
    return s(z) * (1 - s(z))


def _other(w0, x0, w1, x1):
    return (x0, w0, x1, w1)


def _same(w0, x0, w1, x1):
    return (w0, x0, w1, x1)


# (task, wrong answer, key of the hint it must get)
MISTAKES = [
    ("1.1", lambda z: np.sum(s(z) * (1 - s(z))), "shape"),
    ("1.1", lambda z: s(z), "sigmoid_only"),
    ("1.1", lambda z: z * (1 - z), "forgot_sigmoid"),
    ("1.1", lambda z: s(z) * (1 + s(z)), "plus_sign"),
    ("1.1", lambda z: -s(z) * (1 - s(z)), "negated"),
    ("1.1", lambda z: 1 - s(z) ** 2, "tanh_formula"),
    ("1.1", lambda z: 1.01 * s(z) * (1 - s(z)), "other"),
    ("1.1", lambda z: np.asarray(s(z) * (1 - s(z))).tolist(), "array"),
    ("1.2", lambda f, x, eps=1e-5: (f(x + eps) - f(x)) / eps, "one_sided"),
    ("1.2", lambda f, x, eps=1e-5: (f(x) - f(x - eps)) / eps, "one_sided"),
    ("1.2", lambda f, x, eps=1e-5: (f(x + eps) - f(x - eps)) / eps, "forgot_two"),
    ("1.2", lambda f, x, eps=1e-5: (f(x + eps) - f(x - eps)) / 2 * eps, "precedence"),
    ("1.2", lambda f, x, eps=1e-5: (f(x + eps) - f(x - eps)) / eps**2, "over_eps_squared"),
    ("1.2", lambda f, x, eps=1e-5: (f(x + eps) - f(x - eps)) / (2 * eps**2), "over_eps_squared"),
    ("1.2", lambda f, x, eps=1e-5: f(x + eps) - f(x - eps), "no_division"),
    ("1.2", lambda f, x, eps=1e-5: (f(x - eps) - f(x + eps)) / (2 * eps), "sign"),
    ("1.2", lambda f, x, eps=1e-5: (f(x + eps / 2) - f(x - eps / 2)) / eps, "half_step"),
    ("1.2", lambda f, x, eps=1e-2: (f(x + eps) - f(x - eps)) / (2 * eps), "default_eps"),
    ("1.2", lambda f, x, eps=1e-5: np.array([1.0, 1.0]) * (f(x + eps) - f(x - eps)) / (2 * eps), "shape"),
    ("1.2", lambda f, x, eps=1e-5: 1.01 * (f(x + eps) - f(x - eps)) / (2 * eps), "other"),
    ("1.2", lambda f, x, eps=1e-5: (f(x + 1e-5) - f(x - 1e-5)) / 2e-5, "ignores_eps"),
    ("1.3", lambda z: np.mean(1 - np.tanh(z) ** 2), "shape"),
    ("1.3", lambda z: 1 - z**2, "forgot_tanh"),
    ("1.3", lambda z: 1 - np.tanh(z), "missing_square"),
    ("1.3", lambda z: np.tanh(z), "tanh_only"),
    ("1.3", lambda z: np.tanh(z) ** 2 - 1, "sign"),
    ("1.3", lambda z: np.tanh(z) * (1 - np.tanh(z)), "sigmoid_formula"),
    ("1.3", lambda z: 1.01 * (1 - np.tanh(z) ** 2), "other"),
    ("1.3", lambda z: [float(v) for v in np.ravel(1 - np.tanh(z) ** 2)] if np.ndim(z) else 1 - np.tanh(z) ** 2,
     "array"),
    ("1.4", lambda z: 1 / (1 + np.exp(-z)), "overflow"),
    ("1.4", lambda z: np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z))), "overflow"),
    ("1.4", lambda z: np.exp(z) / (1 + np.exp(z)), "nan"),
    ("1.4", lambda z: 1 / (1 + np.exp(-np.abs(z))), "abs_everywhere"),
    ("1.4", lambda z: _stable_where(z, lambda e: 1 / (1 + e), lambda e: e / (1 + e)), "mirrored"),
    ("1.4", lambda z: _stable_where(z, lambda e: 1.01 * e / (1 + e), lambda e: 1 / (1 + e)), "negative_z"),
    ("1.4", lambda z: _stable_where(z, lambda e: e / (1 + e), lambda e: 0.99 / (1 + e)), "positive_z"),
    ("1.4", lambda z: np.sum(_stable_where(z, lambda e: e / (1 + e), lambda e: 1 / (1 + e))), "shape"),
    ("1.4", lambda z: 0.5 * _stable_where(z, lambda e: e / (1 + e), lambda e: 1 / (1 + e)), "other"),
    ("1.4", lambda z: np.asarray(_stable_where(z, lambda e: e / (1 + e), lambda e: 1 / (1 + e))).tolist(), "array"),
    ("2.1", lambda x, y, dout: (x * dout, y * dout), "swapped"),
    ("2.1", lambda x, y, dout: (y, x), "forgot_dout"),
    ("2.1", lambda x, y, dout: (-y * dout, -x * dout), "sign"),
    ("2.1", lambda x, y, dout: x * y * dout, "one_number"),
    ("2.1", lambda x, y, dout: (y * dout, x * dout, 0.0), "one_number"),
    ("2.1", lambda x, y, dout: (y * dout + 1, x * dout), "other"),
    ("2.2", lambda x, y, dout: (dout, dout), "both"),
    ("2.2", lambda x, y, dout: (0.0, dout) if x > y else (dout, 0.0), "smaller"),
    ("2.2", lambda x, y, dout: (1.0, 0.0) if x > y else (0.0, 1.0), "forgot_dout"),
    ("2.2", lambda x, y, dout: dout, "one_number"),
    ("2.2", lambda x, y, dout: (2 * dout, 0.0) if x > y else (0.0, 2 * dout), "other"),
    ("2.3", lambda w0, x0, w1, x1, w2: (x0, w0, x1, w1, 1.0), "not_dict"),
    ("2.3", lambda w0, x0, w1, x1, w2: {"w0": x0, "x0": w0, "w1": x1, "x1": w1}, "not_dict"),
    ("2.3", _neuron(lambda *a: 1.0, _other), "missing_sigma_prime"),
    ("2.3", _neuron(lambda *a: s(_z(*a)), _other), "sigma_not_prime"),
    ("2.3", _neuron(lambda *a: _sp(_z(*a)), _same), "swapped"),
    ("2.3", _neuron(lambda *a: _sp(_z(*a)), _other, w2_of=lambda dz: 1.0), "bias"),
    ("2.3", _neuron(lambda *a: -_sp(_z(*a)), _other), "sign"),
    ("2.3", _neuron(lambda w0, x0, w1, x1, w2: _sp(w0 * x0 + w1 * x1), _other), "forgot_bias_forward"),
    ("2.3", _neuron(lambda *a: 2 * _sp(_z(*a)), _other), "other"),
    ("2.4", _returns((3.0, 3.0, 0.0)), "one_path"),
    ("2.4", _returns((3.0, 4.0, 0.0)), "one_path"),
    ("2.4", _returns((3.0, 7.0, 4.0)), "max_routes"),
    ("2.4", _returns((1.0, 7.0, 0.0)), "dx"),
    ("2.4", _returns((3.0, 5.0, 0.0)), "other"),
    ("2.4", _returns((3.0, 7.0)), "not_three"),
]


# ---- what must never be printed: the expected answers -------------------------------------------


def _flat(values) -> list[float]:
    return [float(v) for value in values for v in np.ravel(value)]


def _expected_and_inputs(task_id: str) -> tuple[list[float], list[float]]:
    """The numbers each checker compares against, and the inputs it may show the learner."""
    if task_id in ("1.1", "1.3"):
        cases = ch01._z_cases()
        return _flat(REFERENCE[task_id](z) for z in cases), _flat(cases)
    if task_id == "1.2":
        cases = ch01.DERIVATIVE_CASES
        expected = [gradcheck.numerical_derivative(f, x, eps) for _, f, x, eps in cases]
        expected += [gradcheck.numerical_derivative(f, x) for _, f, x, _ in cases]
        return expected, [v for _, _, x, eps in cases for v in (x, eps)]
    if task_id == "1.4":
        cases = ch01._extreme_cases()
        # 0, 1/2 and 1 are the sigmoid's well-known landmarks, which a hint may name
        return _flat(s(z) for z in cases), _flat(cases) + [0.0, 0.5, 1.0]
    if task_id in ("2.1", "2.2"):
        cases = ch02.GATE_CASES
        return _flat(REFERENCE[task_id](*case) for case in cases), _flat(cases)
    if task_id == "2.3":
        cases = ch02._neuron_cases()
        return _flat(list(REFERENCE["2.3"](*case).values()) for case in cases), _flat(cases)
    point = ch02.CHAIN_POINT
    return list(ch02.chain_rule_gradients(point["x"], point["y"], point["z"])), list(point.values())


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _significant_digits(token: str) -> int:
    mantissa = re.split("[eE]", token)[0].lstrip("-").replace(".", "")
    return len(mantissa.lstrip("0"))


def assert_no_expected_numbers(task_id: str, output: str) -> None:
    """No number in `output` equals an expected value, exactly or rounded to 3 or more digits."""
    expected, inputs = _expected_and_inputs(task_id)
    forbidden = [v for v in expected if not any(math.isclose(v, i, rel_tol=1e-9, abs_tol=1e-12) for i in inputs)]
    body = output.replace(f"Exercise {task_id} ", "")
    for token in NUMBER.findall(body):
        number = float(token)
        rounded = _significant_digits(token) >= 3
        leaked = [v for v in forbidden if number == v or (rounded and math.isclose(number, v, rel_tol=5e-3))]
        assert not leaked, f"the output shows {token}, an expected value, in {output!r}"


@pytest.mark.parametrize(
    ("task_id", "shown"),
    [("1.1", lambda v: f"{v:.4f}"), ("1.2", lambda v: f"{v}"), ("2.1", lambda v: f"{v:g}"), ("2.4", lambda v: f"{v}")],
)
def test_the_leak_detector_finds_a_printed_expected_value(task_id, shown):
    expected, inputs = _expected_and_inputs(task_id)
    value = next(v for v in expected if v not in inputs)
    with pytest.raises(AssertionError):
        assert_no_expected_numbers(task_id, f"Exercise {task_id} (x): wrong: expected {shown(value)}")


# ---- the registry ---------------------------------------------------------------------------


def test_registry_holds_the_first_two_chapters_and_well_formed_tasks():
    assert [t for t in TASKS if t[0] in "12"] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4"]
    assert list(TASKS) == sorted(TASKS, key=lambda t: tuple(map(int, t.split("."))))
    for task_id, task in TASKS.items():
        assert isinstance(task, Task)
        assert task.id == task_id
        assert task.chapter == f"{int(task_id.split('.')[0]):02d}"
        assert isinstance(task.points, int) and task.points > 0
        assert callable(task.checker)
        assert task.title


def test_every_hint_is_exercised_by_a_mistake():
    used = {(task_id, key) for task_id, _, key in MISTAKES}
    declared = {(task_id, key) for task_id, hints in HINTS.items() for key in hints}
    assert declared == used


# ---- verdicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", list(REFERENCE))  # chapters 01-02; later chapters have their own files
def test_reference_passes(task_id, capsys):
    verdict = check(task_id, REFERENCE[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "passed", out
    assert verdict.passed and verdict.points == TASKS[task_id].points == verdict.max_points
    assert out == f"Exercise {task_id} ({TASKS[task_id].title}): passed\n"


def test_hand_written_reference_implementations_pass():
    def sigmoid_prime(z):
        sz = 1 / (1 + np.exp(-z))
        return sz * (1 - sz)

    def numerical_derivative(f, x, eps=1e-5):
        return (f(x + eps) - f(x - eps)) / (2 * eps)

    def stable_sigmoid(z):
        z = np.asarray(z, dtype=float)
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def max_backward(x, y, dout):
        return (dout, 0) if x > y else (0, dout)

    assert run_task("1.1", sigmoid_prime).passed
    assert run_task("1.2", numerical_derivative).passed
    assert run_task("1.3", lambda z: 1 - np.tanh(z) ** 2).passed
    assert run_task("1.4", stable_sigmoid).passed
    assert run_task("2.2", max_backward).passed
    assert run_task("2.4", lambda: [3, 7, 0]).passed


@pytest.mark.parametrize("task_id", list(REFERENCE))  # chapters 01-02; later chapters have their own files
def test_untouched_stub_is_not_implemented(task_id, capsys):
    verdict = check(task_id, STUB[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "not implemented"
    assert verdict.points == 0
    assert out.startswith(f"Exercise {task_id} ({TASKS[task_id].title}): not implemented yet")


def test_partly_answered_numbers_are_not_implemented_and_say_which():
    verdict = run_task("2.4", lambda: (3.0, ..., ...))
    assert verdict.status == "not implemented"
    assert "df_dy, df_dz" in verdict.hint


@pytest.mark.parametrize(
    ("task_id", "answer", "hint_key"),
    MISTAKES,
    ids=[f"{task_id}-{key}-{i}" for i, (task_id, _, key) in enumerate(MISTAKES)],
)
def test_each_mistake_gets_its_hint(task_id, answer, hint_key, capsys):
    verdict = check(task_id, answer)
    captured = capsys.readouterr()
    assert verdict.status == "wrong"
    assert verdict.points == 0
    assert verdict.hint == HINTS[task_id][hint_key]
    lines = captured.out.splitlines()
    assert len(lines) == 2, captured.out
    assert lines[0].startswith(f"Exercise {task_id} ({TASKS[task_id].title}): wrong: ")
    assert lines[1] == f"    Hint: {HINTS[task_id][hint_key]}"
    assert captured.err == ""
    assert_no_expected_numbers(task_id, captured.out)


@pytest.mark.parametrize("task_id", [t for t in TASKS if TASKS[t].wants_function])
def test_a_raising_function_is_wrong_without_traceback(task_id, capsys):
    verdict = check(task_id, _raises_type_error)
    captured = capsys.readouterr()
    assert verdict.status == "wrong"
    assert verdict.detail == "your function raised TypeError: boom: unsupported operand"
    assert TASKS[task_id].try_it in verdict.hint
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.count("\n") == 2


@pytest.mark.parametrize(
    ("answer", "hint_part"),
    [
        (lambda z: s(z) * (1 - s(z)) + 0 * math.exp(-z), "np.exp"),
        (lambda z: s(z) * (1 - s(z)) if z >= 0 else 0.0, "np.where"),
        (lambda z: undefined_name * z, "setup cell"),  # noqa: F821 - the learner's NameError
        (lambda: 0.0, "sigmoid_prime(z)"),
        (lambda z: None, "return statement"),
        (lambda z: Value(0.5), ".data"),
        (lambda z: "0.5", "numpy array"),
    ],
    ids=["math-exp", "if-on-array", "name-error", "signature", "none", "value", "string"],
)
def test_common_errors_get_specific_hints(answer, hint_part):
    verdict = run_task("1.1", answer)
    assert verdict.status == "wrong"
    assert hint_part in verdict.hint


def test_missing_default_step_names_the_signature():
    verdict = run_task("1.2", lambda f, x, eps: (f(x + eps) - f(x - eps)) / (2 * eps))
    assert verdict.status == "wrong"
    assert "numerical_derivative(f, x, eps=1e-5)" in verdict.hint


@pytest.mark.parametrize("step_name", ["eps", "h", "delta", "step"])
def test_the_step_may_have_any_name(step_name):
    # the check passes the step by position, so a right answer passes whatever it calls the step
    namespace = {}
    exec(
        f"def numerical_derivative(f, x, {step_name}=1e-5):\n"
        f"    return (f(x + {step_name}) - f(x - {step_name})) / (2 * {step_name})",
        namespace,
    )
    assert run_task("1.2", namespace["numerical_derivative"]).passed


def test_overflow_in_math_exp_is_explained():
    def stable_sigmoid(z):
        return np.array([1 / (1 + math.exp(-v)) for v in np.ravel(z)]).reshape(np.shape(z))

    verdict = run_task("1.4", stable_sigmoid)
    assert verdict.detail.startswith("your function raised OverflowError")
    assert "-|z|" in verdict.hint


def test_writing_into_the_input_is_reported():
    def sigmoid_prime(z):
        out = s(z) * (1 - s(z))
        if isinstance(z, np.ndarray):
            z *= 0.0  # overwrites the caller's array
        return out

    verdict = run_task("1.1", sigmoid_prime)
    assert verdict.status == "wrong"
    assert "in place" in verdict.detail


def test_passing_the_result_instead_of_the_function_is_explained():
    verdict = run_task("1.1", activations.sigmoid_prime(0.5))
    assert verdict.status == "wrong"
    assert "check('1.1', sigmoid_prime)" in verdict.hint


WEIRD_ANSWERS = [
    None,
    42,
    "text",
    object(),
    (1, 2, 3),
    lambda *args: None,
    lambda *args: float("nan"),
    lambda *args: "text",
    lambda *args: object(),
    lambda *args: {"w0": "a"},
    lambda *args: (Value(1.0), Value(2.0)),
    lambda *args: np.array([1 + 2j]),
    lambda *args: [[1.0], [2.0, 3.0]],
    lambda *args: 1 / 0,
    lambda *args: [].pop(),
    lambda: 0.0,
]


@pytest.mark.parametrize("task_id", list(TASKS))  # every chapter's checks
@pytest.mark.parametrize("answer", WEIRD_ANSWERS, ids=[f"weird{i}" for i in range(len(WEIRD_ANSWERS))])
def test_check_never_raises_and_never_passes_nonsense(task_id, answer, capsys):
    verdict = check(task_id, answer)
    assert "bug in bplib.checks" not in verdict.hint, verdict.detail  # the checker itself must cope
    captured = capsys.readouterr()
    assert verdict.status == "wrong"
    assert verdict.hint
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.count("\n") == 2


def test_check_of_an_unknown_task_is_a_verdict_but_run_task_raises(capsys):
    verdict = check("9.9", _mul_backward)
    assert verdict.status == "wrong"
    assert "1.1" in verdict.hint and "no task '9.9'" in capsys.readouterr().out
    with pytest.raises(ValueError, match="9.9"):
        run_task("9.9", _mul_backward)


def test_a_bug_in_a_checker_is_reported_not_raised(monkeypatch, capsys):
    def broken_checker(answer):
        raise KeyError("oops")

    monkeypatch.setitem(TASKS, "1.1", Task("1.1", "sigmoid_prime", 2, "01", broken_checker))
    verdict = check("1.1", activations.sigmoid_prime)
    assert verdict.status == "wrong"
    assert "bug in bplib.checks" in verdict.hint
    with pytest.raises(KeyError):
        run_task("1.1", activations.sigmoid_prime)


def test_quiet_and_run_task_print_nothing(capsys):
    quiet = check("2.1", _mul_backward, quiet=True)
    direct = run_task("2.1", _mul_backward)
    assert capsys.readouterr().out == ""
    assert quiet == direct == Verdict("2.1", "mul_backward", "passed", "", 1, 1, "")


def test_verdict_rejects_an_unknown_status():
    with pytest.raises(ValueError, match="status"):
        Verdict("1.1", "sigmoid_prime", "almost")


def test_the_learners_warnings_do_not_escape_the_check():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verdict = run_task("1.4", lambda z: 1 / (1 + np.exp(-z)))
    assert verdict.status == "wrong"
    assert np.geterr()["over"] == "warn"


@pytest.mark.notebooks
def test_a_check_cell_shows_its_verdict_once_and_a_stored_verdict_shows_later(tmp_path):
    import nbformat

    from tools.run_notebooks import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from bplib.checks import check\ndef mul_backward(x, y, dout):\n"
                                  "    return y * dout, x * dout"),
        nbformat.v4.new_code_cell('check("2.1", mul_backward)'),
        nbformat.v4.new_code_cell('verdict = check("2.1", mul_backward)'),
        nbformat.v4.new_code_cell("verdict"),
    ]
    path = tmp_path / "display.ipynb"
    nbformat.write(nb, path)
    executed, _ = execute_notebook(path, timeout=60)

    def text(cell):
        return "".join(out.get("text", "") for out in cell.outputs)

    line = "Exercise 2.1 (mul_backward): passed\n"
    assert [text(cell) for cell in executed.cells[1:]] == [line, line, line]
    assert all(out.output_type == "stream" for cell in executed.cells for out in cell.outputs)


def test_a_ragged_answer_is_wrong_not_a_checker_bug(capsys):
    verdict = check("1.1", lambda z: [[1.0], [2.0, 3.0]])
    out = capsys.readouterr().out
    assert verdict.status == "wrong"
    assert "bug in bplib.checks" not in out
    assert "not numbers" in out
