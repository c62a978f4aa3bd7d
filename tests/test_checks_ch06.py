"""bplib.checks for exercise 06 (vanishing and exploding gradients): verdicts and hints.

For every task: a right answer written out plainly passes, an untouched stub is "not implemented",
each known mistake is "wrong" with its own hint, and nothing printed contains an expected number.
A missing transpose or the wrong weight matrix in 6.1 is caught both ways: by shapes on layers of
different widths, and by values on square layers (there the check helper is fed the case directly).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import depth
from bplib.checks import TASKS, ch06, check, run_task
from bplib.checks._core import Wrong
from bplib.experiments.depth_probes import probe_loss
from bplib.gradcheck import check_gradient
from bplib.graph import Value

CH06 = [task_id for task_id in TASKS if task_id.startswith("6.")]
HINTS = ch06.HINTS


# ---- right answers, written out plainly -----------------------------------------------------------


def delta_norms(weights, zs, dout, f_prime):
    delta = dout * f_prime(zs[-1])
    norms = [np.linalg.norm(delta)]
    for k in range(len(weights) - 2, -1, -1):
        delta = (delta @ weights[k + 1].T) * f_prime(zs[k])
        norms.append(np.linalg.norm(delta))
    return np.array(norms[::-1])


def init_std(D, H, init):
    return np.sqrt(2.0 / (D + H)) if init == "xavier" else np.sqrt(2.0 / D)


def momentum_step(w, v, grad, lr, beta):
    v_new = beta * v - lr * grad
    return w + v_new, v_new


def momentum_path(grad, w_start, lr, beta, steps):
    w, v = w_start, np.zeros_like(w_start)
    path = [w]
    for _ in range(steps):
        w, v = momentum_step(w, v, grad(w), lr, beta)
        path.append(w)
    return np.array(path)


REFERENCE = {"6.1": delta_norms, "6.2": init_std, "6.3": momentum_step, "6.4": momentum_path}


def _not_implemented(*args):
    raise NotImplementedError("Exercise")


# ---- wrong answers ----------------------------------------------------------------------------------


def _norms(*, slope="all", transpose=True, through="next", slope_of="same", what="delta", reduce="norm",
           reverse=False, with_dout=False, out="array"):
    """A delta_norms with one mistake switched on."""

    def delta_norms(weights, zs, dout, f_prime):
        L = len(weights)

        def fp(k):
            if slope == "none" or (slope == "not_top" and k == L - 1):
                return 1.0
            return f_prime(zs[k + 1] if slope_of == "above" and k + 1 < L else zs[k])

        def size(a):
            return {"norm": np.linalg.norm(a), "squared": np.sum(a * a), "rows": np.linalg.norm(a, axis=1),
                    "keep": a}[reduce]

        delta = dout * fp(L - 1)
        sizes = [size(dout if what == "da" else delta)]
        for k in range(L - 2, -1, -1):
            W = weights[k + 1] if through == "next" else weights[k]
            da = delta @ (W.T if transpose else W)
            delta = da * fp(k)
            sizes.append(size(da if what == "da" else delta))
        sizes = sizes if reverse else sizes[::-1]
        if with_dout:
            sizes.append(np.linalg.norm(dout))
        return sizes if out == "list" else np.array(sizes)

    return delta_norms


def _init(*, he=lambda D, H: np.sqrt(2.0 / D), xavier=lambda D, H: np.sqrt(2.0 / (D + H))):
    """An init_std with one of the two formulas replaced."""

    def init_std(D, H, init):
        return xavier(D, H) if init == "xavier" else he(D, H)

    return init_std


def _step(kind):
    """A momentum_step with one mistake switched on."""

    def momentum_step(w, v, grad, lr, beta):
        v_right = beta * v - lr * grad
        return {
            "only_w": lambda: w + v_right,
            "flat": lambda: ((w + v_right).ravel(), v_right.ravel()),
            "swapped": lambda: (v_right, w + v_right),
            "sign": lambda: (w + beta * v + lr * grad, beta * v + lr * grad),
            "sign_convention": lambda: (w - (beta * v + lr * grad), beta * v + lr * grad),
            "other_convention": lambda: (w - lr * (beta * v + grad), beta * v + grad),
            "no_momentum": lambda: (w - lr * grad, -lr * grad),
            "old_velocity": lambda: (w + v, v_right),
            "stale_velocity": lambda: (w + v_right, v),
            "dampened": lambda: (w + beta * v - (1 - beta) * lr * grad, beta * v - (1 - beta) * lr * grad),
            "no_lr": lambda: (w + beta * v - grad, beta * v - grad),
            "other": lambda: (w + 1.01 * v_right, 1.01 * v_right),
        }[kind]()

    return momentum_step


def _path(kind):
    """A momentum_path with one mistake switched on (it uses the right momentum_step)."""

    def momentum_path(grad, w_start, lr, beta, steps):
        w = w_start.copy()
        v = np.zeros_like(w)
        g0 = grad(w)
        path = [] if kind == "no_start" else [w]
        for _ in range(steps):
            if kind == "reset":
                v = np.zeros_like(w)
            g = g0 if kind == "stale" else grad(w)
            if kind == "in_place":
                v = beta * v - lr * g
                w += v  # the same array every step: every row of the path is it
            else:
                w, v = momentum_step(w, v, g, 1.01 * lr if kind == "other" else lr, beta)
            path.append(w)
        if kind == "final":
            return w
        return np.array(path)

    return momentum_path


# (task, wrong answer, key of the hint it must get), all through check()
MISTAKES = [
    ("6.1", _norms(reduce="keep", out="list"), "not_norms"),
    ("6.1", _norms(with_dout=True), "count"),
    ("6.1", _norms(reduce="rows", out="list"), "per_example"),
    ("6.1", _norms(reduce="rows"), "per_example"),
    ("6.1", _norms(transpose=False), "shape_error"),
    ("6.1", _norms(through="same"), "shape_error"),
    ("6.1", _norms(slope_of="above"), "shape_error"),
    ("6.1", _norms(slope="none"), "no_slope"),
    ("6.1", _norms(slope="not_top"), "top_slope"),
    ("6.1", _norms(reverse=True), "reversed"),
    ("6.1", _norms(reduce="squared"), "squared"),
    ("6.1", _norms(what="da"), "da_norms"),
    ("6.1", lambda weights, zs, dout, f_prime: 1.01 * delta_norms(weights, zs, dout, f_prime), "other"),
    ("6.2", lambda D, H, init: [init_std(D, H, init)], "not_number"),
    ("6.2", lambda D, H, init: "sqrt(2 / D)", "not_number"),
    ("6.2", _init(he=lambda D, H: np.sqrt(2.0 / H)), "fan"),
    ("6.2", _init(he=lambda D, H: np.sqrt(1.0 / D)), "relu_factor"),
    ("6.2", _init(he=lambda D, H: 2.0 / D), "variance"),
    ("6.2", _init(xavier=lambda D, H: 2.0 / (D + H)), "variance"),
    ("6.2", _init(he=lambda D, H: np.sqrt(2.0 / (D + H))), "swapped"),
    ("6.2", _init(xavier=lambda D, H: np.sqrt(2.0 / D)), "swapped"),
    ("6.2", _init(xavier=lambda D, H: np.sqrt(6.0 / (D + H))), "uniform"),
    ("6.2", _init(xavier=lambda D, H: np.sqrt(1.0 / D)), "xavier_average"),
    ("6.2", _init(xavier=lambda D, H: np.sqrt(1.0 / H)), "xavier_average"),
    ("6.2", _init(xavier=lambda D, H: np.sqrt(1.0 / (D + H))), "xavier_two"),
    ("6.2", _init(he=lambda D, H: 1.0 / D), "other"),
    ("6.3", _step("only_w"), "not_pair"),
    ("6.3", _step("flat"), "shape"),
    ("6.3", _step("swapped"), "swapped"),
    ("6.3", _step("sign"), "sign"),
    ("6.3", _step("sign_convention"), "sign_convention"),
    ("6.3", _step("other_convention"), "other_convention"),
    ("6.3", _step("no_momentum"), "no_momentum"),
    ("6.3", _step("old_velocity"), "old_velocity"),
    ("6.3", _step("stale_velocity"), "stale_velocity"),
    ("6.3", _step("dampened"), "dampened"),
    ("6.3", _step("no_lr"), "no_lr"),
    ("6.3", _step("other"), "other"),
    ("6.4", _path("final"), "not_path"),
    ("6.4", _path("no_start"), "start"),
    ("6.4", _path("reset"), "keep_velocity"),
    ("6.4", _path("stale"), "stale_grad"),
    ("6.4", _path("in_place"), "aliasing"),
    ("6.4", _path("other"), "other"),
]

SQUARE = next(c for c in ch06.delta_cases() if len({W.shape for W in c[0]}) == 1 and len(c[0]) > 2)

# (task, checker of one case, the case, wrong answer, hint key): the other way each mistake shows
CASE_MISTAKES = [
    ("6.1", ch06.check_delta_case, SQUARE, _norms(transpose=False), "transposed"),
    ("6.1", ch06.check_delta_case, SQUARE, _norms(through="same"), "wrong_weights"),
    ("6.1", ch06.check_delta_case, SQUARE, _norms(slope_of="above"), "slope_layer"),
]


# ---- what must never be printed: the expected answers ------------------------------------------------


def _flat(values) -> list[float]:
    return [float(v) for value in values for v in np.ravel(value)]


def _expected_and_inputs(task_id: str) -> tuple[list[float], list[float]]:
    if task_id == "6.1":
        cases = ch06.delta_cases()
        expected = _flat(ch06.reference_delta_norms(*c) for c in cases)
        return expected, _flat(a for c in cases for a in [*c[0], *c[1], c[2]])
    if task_id == "6.2":
        cases = ch06.init_cases()
        return [ch06.reference_init_std(*c) for c in cases], _flat((D, H) for D, H, _ in cases)
    if task_id == "6.3":
        cases = ch06.momentum_cases()
        expected = _flat(a for c in cases for a in ch06.reference_momentum_step(*c))
        return expected, _flat(a for c in cases for a in c)
    cases = ch06.path_cases()
    expected = _flat(ch06.reference_momentum_path(*c)[1:] for c in cases)
    inputs = _flat(a for c in cases for a in [c[0].kwargs['curvature'], c[1], c[2], c[3], c[4]])
    return expected, inputs


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


@pytest.mark.parametrize("task_id", CH06)
def test_the_leak_detector_finds_a_printed_expected_value(task_id):
    expected, inputs = _expected_and_inputs(task_id)
    value = next(v for v in expected if v not in inputs and abs(v) > 1e-3)
    for shown in (f"{value:.4g}", f"{value!r}"):
        with pytest.raises(AssertionError):
            assert_no_expected_numbers(task_id, f"Exercise {task_id} (x): wrong: expected {shown}")


# ---- the registry and the cases -------------------------------------------------------------------


def test_chapter_06_registers_four_tasks():
    assert CH06 == ["6.1", "6.2", "6.3", "6.4"]
    assert [task.id for task in ch06.TASKS] == CH06
    for task_id in CH06:
        task = TASKS[task_id]
        assert task.chapter == "06" and task.points > 0 and task.wants_function
        assert task.signature.startswith(task.title + "(") and task.try_it.startswith(task.title + "(")


def test_every_hint_is_exercised_by_a_mistake():
    used = {(task_id, key) for task_id, _, key in MISTAKES} | {(t, key) for t, _, _, _, key in CASE_MISTAKES}
    declared = {(task_id, key) for task_id, hints in HINTS.items() for key in hints}
    assert declared == used


def test_cases_show_each_mistake():
    cases = ch06.delta_cases()
    first_widths = [cases[0][0][0].shape[0], *(W.shape[1] for W in cases[0][0])]
    assert len(set(first_widths)) == len(first_widths)  # all widths differ: a transpose fails on shapes
    assert all(W.shape == SQUARE[0][0].shape for W in SQUARE[0]) and SQUARE[2].shape[0] != SQUARE[0][0].shape[0]
    assert any(len(c[0]) == 1 for c in cases)  # a single layer
    assert {c[3] for c in cases} == {"sigmoid", "tanh", "relu"}
    assert all(D != H for D, H, _ in ch06.init_cases())
    assert {init for _, _, init in ch06.init_cases()} == {"xavier", "he"}
    assert all(np.all(v != 0) for _, v, _, _, _ in ch06.momentum_cases())  # a forgotten beta * v shows
    assert any(c[4] == 0 for c in ch06.path_cases()) and any(c[4] > 5 for c in ch06.path_cases())


@pytest.mark.parametrize(
    ("variants", "cases", "right"),
    [
        (ch06.DELTA_VARIANTS, ch06.delta_cases, lambda case: ch06.reference_delta_norms(*case)),
        (ch06.STEP_VARIANTS, ch06.momentum_cases,
         lambda case: np.concatenate([np.ravel(a) for a in ch06.reference_momentum_step(*case)])),
        (ch06.PATH_VARIANTS, ch06.path_cases, lambda case: ch06.reference_momentum_path(*case)),
    ],
    ids=["6.1", "6.3", "6.4"],
)
def test_every_known_mistake_differs_from_the_answer(variants, cases, right):
    for variant in variants:
        recognisable = False
        for case in cases():
            try:
                wrong = np.asarray(variant.compute(*case))
            except ValueError:  # a transposed product on non-square shapes
                continue
            expected = right(case)
            recognisable |= wrong.shape == np.shape(expected) and not np.allclose(wrong, expected, rtol=1e-7)
        assert recognisable, variant.detail


def test_every_init_mistake_differs_from_the_answer():
    for init, variants in ch06.INIT_VARIANTS.items():
        for variant in variants:
            assert any(not math.isclose(variant.compute(D, H), ch06.reference_init_std(D, H, init), rel_tol=1e-7)
                       for D, H, name in ch06.init_cases() if name == init), variant.detail


def test_reference_delta_norms_are_norms_of_gradients_checked_by_differences():
    weights, zs, dout, activation = ch06.delta_cases()[0]
    x = np.random.default_rng(0).normal(size=(dout.shape[0], weights[0].shape[0]))
    forward = depth.deep_forward(x, weights, activation)
    deltas = depth.backprop_deltas(weights, forward.zs, dout, activation)
    np.testing.assert_allclose(ch06.reference_delta_norms(weights, forward.zs, dout, activation),
                               [np.linalg.norm(d) for d in deltas], rtol=1e-14)
    dx = deltas[0] @ weights[0].T  # the input's gradient, from delta^1
    result = check_gradient(lambda x_: probe_loss(x_, weights, activation, dout), x.copy(), dx)
    assert result.passed, str(result)


def test_reference_momentum_matches_bplib_optim():
    from bplib.optim import Momentum

    grad, w_start, lr, beta, steps = ch06.path_cases()[0]
    opt = Momentum(lr, beta)
    params = {"w": w_start.copy()}
    points = [w_start.copy()]
    for _ in range(steps):
        opt.step(params, {"w": grad(params["w"])})
        points.append(params["w"].copy())
    np.testing.assert_allclose(ch06.reference_momentum_path(grad, w_start, lr, beta, steps), points, rtol=1e-13)


# ---- verdicts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", CH06)
def test_reference_passes(task_id, capsys):
    verdict = check(task_id, REFERENCE[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "passed", out
    assert verdict.points == TASKS[task_id].points == verdict.max_points
    assert out == f"Exercise {task_id} ({TASKS[task_id].title}): passed\n"


def test_other_right_answers_pass():
    def delta_norms_filling_from_the_end(weights, zs, dout, f_prime):
        norms = np.zeros(len(weights))
        delta = dout * f_prime(zs[-1])
        for k in reversed(range(len(weights))):
            if k < len(weights) - 1:
                delta = np.dot(delta, weights[k + 1].T) * f_prime(zs[k])
            norms[k] = np.sqrt(np.sum(delta**2))
        return list(norms)

    def init_std_with_bplib(D, H, init):
        from bplib.layers import init_std as library

        return library(D, H, init)

    def momentum_path_with_a_list(grad, w_start, lr, beta, steps):
        points, w, v = [list(w_start)], w_start, 0.0 * w_start
        for _ in range(steps):
            w, v = momentum_step(w, v, grad(w), lr, beta)
            points.append(list(w))
        return points

    assert run_task("6.1", delta_norms_filling_from_the_end).passed
    assert run_task("6.2", init_std_with_bplib).passed
    assert run_task("6.2", lambda D, H, init: float(init_std(D, H, init))).passed
    assert run_task("6.3", lambda w, v, grad, lr, beta: list(momentum_step(w, v, grad, lr, beta))).passed
    assert run_task("6.4", momentum_path_with_a_list).passed


@pytest.mark.parametrize("task_id", CH06)
def test_untouched_stub_is_not_implemented(task_id, capsys):
    verdict = check(task_id, _not_implemented)
    out = capsys.readouterr().out
    assert verdict.status == "not implemented" and verdict.points == 0
    assert out.startswith(f"Exercise {task_id} ({TASKS[task_id].title}): not implemented yet")


def test_a_path_built_on_an_unfinished_step_is_not_implemented():
    def momentum_path_using_stub(grad, w_start, lr, beta, steps):
        path = [w_start]
        for _ in range(steps):
            path.append(_not_implemented(w_start))
        return np.array(path)

    assert run_task("6.4", momentum_path_using_stub).status == "not implemented"


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


def test_a_transposed_product_names_the_shapes_and_the_layer_widths():
    verdict = run_task("6.1", _norms(transpose=False))
    assert "ValueError" in verdict.detail and "widths 3-5-4-6" in verdict.detail and "tanh" in verdict.detail


def test_updating_the_velocity_in_place_is_reported():
    def momentum_step_in_place(w, v, grad, lr, beta):
        v *= beta
        v -= lr * grad
        return w + v, v

    verdict = run_task("6.3", momentum_step_in_place)
    assert verdict.status == "wrong" and "changed its input v in place" in verdict.detail
    assert "Leave v as it is" in verdict.hint


def test_moving_w_start_in_place_is_reported():
    def momentum_path_in_place(grad, w_start, lr, beta, steps):
        w, v = w_start, np.zeros_like(w_start)
        path = [w.copy()]
        for _ in range(steps):
            v = beta * v - lr * grad(w)
            w += v
            path.append(w.copy())
        return np.array(path)

    verdict = run_task("6.4", momentum_path_in_place)
    assert verdict.status == "wrong" and "changed its input w_start in place" in verdict.detail


@pytest.mark.parametrize("task_id", CH06)
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
    lambda *args: (Value(1.0), Value(2.0)),
    lambda *args: Value(1.0),
    lambda *args: (np.array([1 + 2j]), np.array([1.0])),
    lambda *args: ([[1.0], [2.0, 3.0]], [1.0]),
    lambda *args: [[1.0], [2.0, 3.0]],
    lambda *args: (float("nan"), np.full((3, 3), np.nan)),
    lambda *args: np.full(3, np.inf),
    lambda *args: 1 / 0,
    lambda: 0.0,
]


@pytest.mark.parametrize("task_id", CH06)
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
    verdict = run_task("6.3", lambda w, v, grad: (w, v))
    assert verdict.status == "wrong" and "momentum_step(w, v, grad, lr, beta)" in verdict.hint



@pytest.mark.parametrize("task_id", CH06)
def test_try_it_runs_on_the_exercise_setup(task_id):
    # the hint for a raising function says "Run <try_it>": it must run on the names of the setup cell
    import nbformat
    from conftest import SOLUTIONS

    nb = nbformat.read(SOLUTIONS / "06_vanishing_exploding.ipynb", as_version=4)
    setup = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    names: dict = {}
    exec(setup.source, names)
    names.update({TASKS[t].title: REFERENCE[t] for t in CH06})
    result = eval(TASKS[task_id].try_it, names)
    assert result is not None
