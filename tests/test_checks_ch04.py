"""bplib.checks for exercise 04 (backprop through layers): verdicts and hints.

For every task: the reference answer passes, an untouched stub is "not implemented", each known
mistake is "wrong" with its own hint, and nothing printed contains an expected number. A
transposed weight is caught both ways: by shapes on non-square weights and by values on square
ones (there each check helper is fed the case directly).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import gradcheck
from bplib.activations import sigmoid, sigmoid_prime
from bplib.checks import TASKS, ch04, check, run_task
from bplib.checks._core import Wrong
from bplib.graph import Value

CH04 = [task_id for task_id in TASKS if task_id.startswith("4.")]
HINTS = ch04.HINTS


def sp(z):
    return sigmoid(z) * (1 - sigmoid(z))


# ---- right answers, written out plainly -----------------------------------------------------------


def output_delta(z, y):
    a = sigmoid(z)
    return (a - y) * a * (1 - a) / z.shape[0]


def dense_backward(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def hidden_delta(delta_next, W_next, z):
    return (delta_next @ W_next.T) * sp(z)


def network_backward(params, x, y):
    z1 = x @ params["W1"] + params["b1"]
    a1 = sigmoid(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    delta2 = output_delta(z2, y)
    delta1 = hidden_delta(delta2, params["W2"], z1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0), "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}


REFERENCE = {"4.1": output_delta, "4.2": dense_backward, "4.3": hidden_delta, "4.4": network_backward}


def _not_implemented(*args):
    raise NotImplementedError("Exercise")


# ---- wrong answers ----------------------------------------------------------------------------------


def _network(output_slope=sp, hidden_slope=sp, W2_of=lambda W2: W2.T, scale=None, sign=1.0, biases=True,
             db_axis=0, mutate=False, reshape_W1=False):
    """A network_backward with one mistake switched on."""

    def network_backward(params, x, y):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        z1 = x @ W1 + (b1 if biases else 0.0)
        a1 = sigmoid(z1)
        z2 = a1 @ W2 + (b2 if biases else 0.0)
        a2 = sigmoid(z2)
        N = len(x) if scale is None else scale
        delta2 = sign * (a2 - y) / N * output_slope(z2)
        delta1 = (delta2 @ W2_of(W2)) * hidden_slope(z1)
        grads = {"W1": x.T @ delta1, "b1": delta1.sum(axis=db_axis), "W2": a1.T @ delta2,
                 "b2": delta2.sum(axis=db_axis)}
        if reshape_W1:
            grads["W1"] = grads["W1"].ravel()
        if mutate:
            params["W2"] -= 0.5 * grads["W2"]  # an update before the caller has all gradients
        return grads

    return network_backward


def _slope_of_a(z):
    return sigmoid_prime(sigmoid(z))


def _no_slope(z):
    return 1.0


# (task, wrong answer, key of the hint it must get), all through check()
MISTAKES = [
    ("4.1", lambda z, y: np.sum(output_delta(z, y)), "shape"),
    ("4.1", lambda z, y: (sigmoid(z) - y) / len(z), "missing_sigma_prime"),
    ("4.1", lambda z, y: (sigmoid(z) - y) * sp(z) / (2 * len(z)), "no_two"),
    ("4.1", lambda z, y: ((sigmoid(z) - y) * sp(z) / len(z)).tolist(), "array"),
    ("4.1", lambda z, y: (sigmoid(z) - y) * sigmoid_prime(sigmoid(z)) / len(z), "prime_of_a"),
    ("4.1", lambda z, y: (sigmoid(z) - y) * z * (1 - z) / len(z), "z_in_prime"),
    ("4.1", lambda z, y: (z - y) * sp(z) / len(z), "z_for_a"),
    ("4.1", lambda z, y: (sigmoid(z) - y) * sigmoid(z) / len(z), "sigma_not_prime"),
    ("4.1", lambda z, y: (y - sigmoid(z)) * sp(z) / len(z), "sign"),
    ("4.1", lambda z, y: (sigmoid(z) - y) * sp(z), "batch_average"),
    ("4.1", lambda z, y: (sigmoid(z) - y) * sp(z) / z.size, "divided_by_size"),
    ("4.1", lambda z, y: 1.01 * output_delta(z, y), "other"),
    ("4.2", lambda dout, x, W: (dout @ W.T, x.T @ dout), "not_three"),
    ("4.2", lambda dout, x, W: dout @ W.T, "not_three"),
    ("4.2", lambda dout, x, W: (x.T @ dout, dout @ W.T, dout.sum(axis=0)), "order"),
    ("4.2", lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)), "shape_error"),
    ("4.2", lambda dout, x, W: (dout @ W.T, dout.T @ x, dout.sum(axis=0)), "dW_transposed"),
    ("4.2", lambda dout, x, W: (dout @ W.T, (dout.T @ x).reshape(W.shape), dout.sum(axis=0)), "reshape"),
    ("4.2", lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=1)), "db_axis"),
    ("4.2", lambda dout, x, W: (dout @ W.T, x.T @ dout, dout), "db_shape"),
    ("4.2", lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum()), "db_shape"),
    ("4.2", lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.mean(axis=0)), "extra_average"),
    ("4.2", lambda dout, x, W: (dout @ W.T, x.T @ dout / len(x), dout.sum(axis=0)), "extra_average"),
    ("4.2", lambda dout, x, W: (-(dout @ W.T), -(x.T @ dout), -dout.sum(axis=0)), "sign"),
    ("4.2", lambda dout, x, W: (dout @ W.T, x.T @ dout, 2 * dout.sum(axis=0)), "other"),
    ("4.3", lambda d, W, z: ((d @ W.T) * sp(z)).sum(axis=0), "shape"),
    ("4.3", lambda d, W, z: (d @ W) * sp(z), "transposed"),
    ("4.3", lambda d, W, z: d @ W.T, "missing_sigma_prime"),
    ("4.3", lambda d, W, z: (d @ W.T) * sigmoid_prime(sigmoid(z)), "prime_of_a"),
    ("4.3", lambda d, W, z: (d @ W.T) * z * (1 - z), "z_in_prime"),
    ("4.3", lambda d, W, z: (d @ W.T) * sigmoid(z), "sigma_not_prime"),
    ("4.3", lambda d, W, z: -(d @ W.T) * sp(z), "sign"),
    ("4.3", lambda d, W, z: 1.01 * (d @ W.T) * sp(z), "other"),
    ("4.4", lambda params, x, y: tuple(network_backward(params, x, y).values()), "not_dict"),
    ("4.4", lambda params, x, y: {"W1": 0.0, "W2": 0.0}, "not_dict"),
    ("4.4", _network(reshape_W1=True), "shape"),
    ("4.4", _network(db_axis=1), "db_axis"),
    ("4.4", _network(mutate=True), "in_place"),
    ("4.4", _network(W2_of=lambda W2: W2), "transposed"),
    ("4.4", _network(output_slope=_no_slope), "output_sigma_prime"),
    ("4.4", _network(hidden_slope=_no_slope), "hidden_sigma_prime"),
    ("4.4", _network(output_slope=_slope_of_a, hidden_slope=_slope_of_a), "prime_of_a"),
    ("4.4", _network(scale=1.0), "batch_average"),
    ("4.4", _network(sign=-1.0), "sign"),
    ("4.4", _network(biases=False), "forward_bias"),
    ("4.4", _network(hidden_slope=lambda z: 1.01 * sp(z)), "other"),
]


DENSE_SQUARE = next(c for c in ch04.dense_cases() if c[2].shape[0] == c[2].shape[1] == c[0].shape[0])
HIDDEN_NON_SQUARE = next(c for c in ch04.hidden_cases() if c[1].shape[0] != c[1].shape[1])
NETWORK_NON_SQUARE = next(c for c in ch04.network_cases() if c[0]["W2"].shape[0] != c[0]["W2"].shape[1])

# (task, checker of one case, the case, wrong answer, hint key): the other way each transposition shows
CASE_MISTAKES = [
    ("4.2", ch04.check_dense_case, DENSE_SQUARE, lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)),
     "dx_transposed"),
    ("4.2", ch04.check_dense_case, DENSE_SQUARE, lambda dout, x, W: (dout @ W.T, dout.T @ x, dout.sum(axis=0)),
     "dW_transposed"),
    ("4.2", ch04.check_dense_case, DENSE_SQUARE, lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=1)),
     "db_axis"),
    ("4.3", ch04.check_hidden_case, HIDDEN_NON_SQUARE, lambda d, W, z: (d @ W) * sp(z), "shape_error"),
    ("4.4", ch04.check_network_case, NETWORK_NON_SQUARE, _network(W2_of=lambda W2: W2), "shape_error"),
]


# ---- what must never be printed: the expected answers ------------------------------------------------


def _flat(values) -> list[float]:
    return [float(v) for value in values for v in np.ravel(value)]


def _case_arrays(case) -> list:
    return [v for item in case for v in (item.values() if isinstance(item, dict) else [item])]


def _expected_and_inputs(task_id: str) -> tuple[list[float], list[float]]:
    if task_id == "4.1":
        cases = ch04.output_cases()
        return _flat(ch04.reference_output_delta(*c) for c in cases), _flat(a for c in cases for a in c)
    if task_id == "4.2":
        cases = ch04.dense_cases()
        return _flat(g for c in cases for g in ch04.reference_dense_backward(*c)), _flat(a for c in cases for a in c)
    if task_id == "4.3":
        cases = ch04.hidden_cases()
        return _flat(ch04.reference_hidden_delta(*c) for c in cases), _flat(a for c in cases for a in c)
    cases = ch04.network_cases()
    expected = _flat(g for c in cases for g in ch04.reference_network_backward(*c).values())
    return expected, _flat(a for c in cases for a in _case_arrays(c))


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


@pytest.mark.parametrize("task_id", CH04)
def test_the_leak_detector_finds_a_printed_expected_value(task_id):
    expected, inputs = _expected_and_inputs(task_id)
    value = next(v for v in expected if v not in inputs)
    for shown in (f"{value:.4g}", f"{value!r}"):
        with pytest.raises(AssertionError):
            assert_no_expected_numbers(task_id, f"Exercise {task_id} (x): wrong: expected {shown}")


# ---- the registry and the cases -------------------------------------------------------------------


def test_chapter_04_registers_four_tasks():
    assert CH04 == ["4.1", "4.2", "4.3", "4.4"]
    assert [task.id for task in ch04.TASKS] == CH04
    for task_id in CH04:
        task = TASKS[task_id]
        assert task.chapter == "04" and task.points > 0 and task.wants_function
        assert task.signature.startswith(task.title + "(") and task.try_it.startswith(task.title + "(")


def test_every_hint_is_exercised_by_a_mistake():
    used = {(task_id, key) for task_id, _, key in MISTAKES} | {(t, key) for t, _, _, _, key in CASE_MISTAKES}
    declared = {(task_id, key) for task_id, hints in HINTS.items() for key in hints}
    assert declared == used


def test_cases_show_a_transposed_weight_by_shape_first_or_by_value():
    # 4.2: non-square first, so dout @ W fails; a square case follows, where only values differ
    dense = ch04.dense_cases()
    assert len({dense[0][0].shape[0], *dense[0][2].shape}) == 3  # N, D, H all different
    assert any(c[2].shape[0] == c[2].shape[1] == c[0].shape[0] for c in dense)
    # 4.3 and 4.4: a square weight first (the 2-2-2 network), then non-square ones
    hidden, network = ch04.hidden_cases(), ch04.network_cases()
    assert hidden[0][1].shape[0] == hidden[0][1].shape[1] and HIDDEN_NON_SQUARE is not hidden[0]
    first = network[0][0]
    assert first["W1"].shape == first["W2"].shape == (2, 2)
    assert NETWORK_NON_SQUARE[0]["W1"].shape == (3, 4) and NETWORK_NON_SQUARE[0]["W2"].shape == (4, 2)
    # 4.1 starts with one example, where a missing 1 / N cannot show, and then has batches
    assert [z.shape[0] for z, _ in ch04.output_cases()][0] == 1
    assert all(N > 1 for N in [z.shape[0] for z, _ in ch04.output_cases()][1:])


def _network_flat(case):
    return np.concatenate([g.ravel() for g in ch04.reference_network_backward(*case).values()])


@pytest.mark.parametrize(
    ("variants", "cases", "right"),
    [
        (ch04.OUTPUT_DELTA_VARIANTS, ch04.output_cases, lambda case: ch04.reference_output_delta(*case)),
        (ch04.DX_VARIANTS, ch04.dense_cases, lambda case: ch04.reference_dense_backward(*case)[0]),
        (ch04.DW_VARIANTS, ch04.dense_cases, lambda case: ch04.reference_dense_backward(*case)[1]),
        (ch04.DB_VARIANTS, ch04.dense_cases, lambda case: ch04.reference_dense_backward(*case)[2]),
        (ch04.HIDDEN_VARIANTS, ch04.hidden_cases, lambda case: ch04.reference_hidden_delta(*case)),
        (ch04.NETWORK_VARIANTS, ch04.network_cases, _network_flat),
    ],
    ids=["4.1", "4.2-dx", "4.2-dW", "4.2-db", "4.3", "4.4"],
)
def test_every_known_mistake_differs_from_the_answer_on_a_case_with_the_right_shape(variants, cases, right):
    # a variant that never has the right shape and other values could never be recognised
    for variant in variants:
        recognisable = False
        for case in cases():
            try:
                wrong = np.asarray(variant.compute(*case))
            except ValueError:  # a transposed product on non-square shapes
                continue
            expected = right(case)
            recognisable |= wrong.shape == expected.shape and not np.allclose(wrong, expected, rtol=1e-7)
        assert recognisable, variant.detail


def test_references_match_centered_differences():
    params, x, y = ch04.network_cases()[1]
    params = {name: value.copy() for name, value in params.items()}

    def loss():
        a1 = sigmoid(x @ params["W1"] + params["b1"])
        a2 = sigmoid(a1 @ params["W2"] + params["b2"])
        return 0.5 * float(np.sum((a2 - y) ** 2)) / len(x)

    result = gradcheck.check_gradient_params(loss, params, ch04.reference_network_backward(params, x, y))
    assert result.passed, str(result)
    for z, target in ch04.output_cases():
        def squared_error(z_, target=target):
            return 0.5 * np.sum((sigmoid(z_) - target) ** 2) / len(z_)

        result = gradcheck.check_gradient(squared_error, z, ch04.reference_output_delta(z, target))
        assert result.passed, str(result)


# ---- verdicts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", CH04)
def test_reference_passes(task_id, capsys):
    verdict = check(task_id, REFERENCE[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "passed", out
    assert verdict.points == TASKS[task_id].points == verdict.max_points
    assert out == f"Exercise {task_id} ({TASKS[task_id].title}): passed\n"


def test_other_right_answers_pass():
    def dense_backward_einsum(dout, x, W):
        return np.einsum("nh,dh->nd", dout, W), np.einsum("nd,nh->dh", x, dout), np.add.reduce(dout, axis=0)

    def hidden_delta_with_prime(delta_next, W_next, z):
        return np.dot(delta_next, W_next.T) * sigmoid_prime(z)

    assert run_task("4.2", dense_backward_einsum).passed
    assert run_task("4.2", lambda dout, x, W: [dout @ W.T, x.T @ dout, dout.sum(axis=0)]).passed
    assert run_task("4.3", hidden_delta_with_prime).passed


@pytest.mark.parametrize("task_id", CH04)
def test_untouched_stub_is_not_implemented(task_id, capsys):
    verdict = check(task_id, _not_implemented)
    out = capsys.readouterr().out
    assert verdict.status == "not implemented" and verdict.points == 0
    assert out.startswith(f"Exercise {task_id} ({TASKS[task_id].title}): not implemented yet")


def test_network_backward_built_on_unfinished_helpers_is_not_implemented():
    def network_backward_using_stubs(params, x, y):
        return {"W1": _not_implemented(), "b1": 0, "W2": 0, "b2": 0}

    assert run_task("4.4", network_backward_using_stubs).status == "not implemented"


@pytest.mark.parametrize(
    ("task_id", "answer", "hint_key"),
    MISTAKES,
    ids=[f"{task_id}-{key}-{i}" for i, (task_id, _, key) in enumerate(MISTAKES)],
)
def test_each_mistake_gets_its_hint(task_id, answer, hint_key, capsys):
    verdict = check(task_id, answer)
    captured = capsys.readouterr()
    assert verdict.status == "wrong" and verdict.points == 0
    assert verdict.hint == HINTS[task_id][hint_key], verdict.detail
    lines = captured.out.splitlines()
    assert len(lines) == 2, captured.out
    assert lines[0].startswith(f"Exercise {task_id} ({TASKS[task_id].title}): wrong: ")
    assert lines[1] == f"    Hint: {HINTS[task_id][hint_key]}"
    assert captured.err == ""
    assert_no_expected_numbers(task_id, captured.out)


@pytest.mark.parametrize(
    ("task_id", "check_case", "case", "answer", "hint_key"),
    CASE_MISTAKES,
    ids=[f"{t}-{key}-{i}" for i, (t, _, _, _, key) in enumerate(CASE_MISTAKES)],
)
def test_each_case_shows_its_mistake(task_id, check_case, case, answer, hint_key):
    with pytest.raises(Wrong) as caught:
        check_case(answer, case)
    assert caught.value.hint == HINTS[task_id][hint_key], caught.value.detail
    assert_no_expected_numbers(task_id, f"{caught.value.detail}\n{caught.value.hint}")
    check_case(REFERENCE[task_id], case)  # the right answer passes the same case


def test_shape_errors_name_the_shapes_of_the_inputs():
    verdict = run_task("4.2", lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)))
    assert "ValueError" in verdict.detail and "dout (4, 2), x (4, 3), W (3, 2)" in verdict.detail


def test_writing_into_an_input_is_reported():
    def dense_backward_in_place(dout, x, W):
        dout *= 1.0 + 0.0 * dout.sum()  # harmless value, but writes into the caller's array
        dout[0, 0] += 1.0
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)

    verdict = run_task("4.2", dense_backward_in_place)
    assert verdict.status == "wrong" and "in place" in verdict.detail


@pytest.mark.parametrize("task_id", CH04)
def test_a_raising_function_is_wrong_without_traceback(task_id, capsys):
    def raises(*args):
        raise TypeError("boom: unsupported operand")

    verdict = check(task_id, raises)
    captured = capsys.readouterr()
    assert verdict.status == "wrong"
    assert verdict.detail == "your function raised TypeError: boom: unsupported operand"
    assert TASKS[task_id].try_it in verdict.hint
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.count("\n") == 2


WEIRD_ANSWERS = [
    None,
    42,
    lambda *args: None,
    lambda *args: float("nan"),
    lambda *args: "text",
    lambda *args: object(),
    lambda *args: {"W1": "a", "b1": 0, "W2": 0, "b2": 0},
    lambda *args: (Value(1.0), Value(2.0), Value(3.0)),
    lambda *args: np.array([1 + 2j]),
    lambda *args: [[1.0], [2.0, 3.0]],
    lambda *args: (np.ones(2), np.ones(2), np.full(2, np.nan)),
    lambda *args: 1 / 0,
    lambda: 0.0,
]


@pytest.mark.parametrize("task_id", CH04)
@pytest.mark.parametrize("answer", WEIRD_ANSWERS, ids=[f"weird{i}" for i in range(len(WEIRD_ANSWERS))])
def test_check_never_raises_and_never_passes_nonsense(task_id, answer, capsys):
    verdict = check(task_id, answer)
    assert "bug in bplib.checks" not in verdict.hint, verdict.detail  # the checker itself must cope
    captured = capsys.readouterr()
    assert verdict.status == "wrong"
    assert verdict.hint
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.count("\n") == 2


def test_a_wrong_signature_names_the_call():
    verdict = run_task("4.4", lambda params, x: {})
    assert verdict.status == "wrong" and "network_backward(params, x, y)" in verdict.hint
