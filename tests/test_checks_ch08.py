"""bplib.checks for exercise 08 (LSTM gates): verdicts and hints.

For every task: a right answer written out plainly passes, an untouched stub is "not implemented",
each known mistake is "wrong" with its own hint, and nothing printed contains an expected number.
A transposed or swapped weight is caught both ways: by shapes when D != H, and by values when D = H
(there the check helper is fed the square case directly).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import lstm
from bplib.activations import sigmoid
from bplib.checks import TASKS, ch08, check, run_task
from bplib.checks._core import Wrong
from bplib.gradcheck import check_gradient, check_gradient_params
from bplib.graph import Value

CH08 = [task_id for task_id in TASKS if task_id.startswith("8.")]
HINTS = ch08.HINTS
GATE_NAMES = ("f", "i", "g", "o")


# ---- right answers, written out plainly -----------------------------------------------------------


def lstm_step_forward(x, h_prev, c_prev, params):
    z = {k: x @ params[f"W_{k}"] + h_prev @ params[f"U_{k}"] + params[f"b_{k}"] for k in GATE_NAMES}
    f, i, g, o = sigmoid(z["f"]), sigmoid(z["i"]), np.tanh(z["g"]), sigmoid(z["o"])
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "f": f, "i": i, "g": g, "o": o, "c": c_next,
             "params": params}
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache):
    x, h_prev, c_prev, p = cache["x"], cache["h_prev"], cache["c_prev"], cache["params"]
    f, i, g, o, c = (cache[k] for k in ("f", "i", "g", "o", "c"))
    tanh_c = np.tanh(c)
    do = dh_next * tanh_c
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    dz = {"f": dc * c_prev * f * (1 - f), "i": dc * g * i * (1 - i), "g": dc * i * (1 - g**2),
          "o": do * o * (1 - o)}
    grads = {}
    dx, dh_prev = 0.0, 0.0
    for k in GATE_NAMES:
        dx = dx + dz[k] @ p[f"W_{k}"].T
        dh_prev = dh_prev + dz[k] @ p[f"U_{k}"].T
        grads[f"W_{k}"], grads[f"U_{k}"], grads[f"b_{k}"] = x.T @ dz[k], h_prev.T @ dz[k], dz[k].sum(axis=0)
    return dx, dh_prev, dc * f, grads


def cell_gradients(dh, f, o, c):
    T = dh.shape[1]
    dc = np.zeros_like(dh)
    for t in reversed(range(T)):
        dc[:, t] = dh[:, t] * o[:, t] * (1 - np.tanh(c[:, t]) ** 2)
        if t < T - 1:
            dc[:, t] += dc[:, t + 1] * f[:, t + 1]
    return dc


def lstm_bptt(dh, caches, step_backward):
    N, T, H = dh.shape
    dx = np.zeros((N, T, caches[0]["x"].shape[1]))
    grads = {name: np.zeros_like(p) for name, p in caches[0]["params"].items()}
    dh_carry = dc_carry = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dh_carry, dc_carry, step = step_backward(dh[:, t] + dh_carry, dc_carry, caches[t])
        for name in grads:
            grads[name] += step[name]
    return dx, dh_carry, dc_carry, grads


REFERENCE = {"8.1": lstm_step_forward, "8.2": lstm_step_backward, "8.3": cell_gradients, "8.4": lstm_bptt}


def _not_implemented(*args):
    raise NotImplementedError("Exercise")


# ---- wrong answers ----------------------------------------------------------------------------------


def _forward(*, weights=lambda W, U: (W, U), bias=True, gate_fn=sigmoid, cand_fn=np.tanh, h_fn=np.tanh,
             h_cell="new", cell=lambda f, i, g, c_prev: f * c_prev + i * g, cache_drop=None, cache_gate_swap=False,
             scale_g=1.0, only_two=False, h_reduce=False):
    """An lstm_step_forward with one mistake switched on."""

    def lstm_step_forward(x, h_prev, c_prev, params):
        def pre(k):
            W, U = weights(params[f"W_{k}"], params[f"U_{k}"])
            return x @ W + h_prev @ U + (params[f"b_{k}"] if bias else 0.0)

        f, i, o = gate_fn(pre("f")), gate_fn(pre("i")), gate_fn(pre("o"))
        g = scale_g * cand_fn(pre("g"))
        c_next = cell(f, i, g, c_prev)
        h_next = o * h_fn(c_next if h_cell == "new" else c_prev)
        cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "f": f, "i": i, "g": g, "o": o, "c": c_next,
                 "params": params}
        if cache_gate_swap:
            cache["f"], cache["i"] = cache["i"], cache["f"]
        if cache_drop:
            del cache[cache_drop]
        if only_two:
            return h_next, c_next
        return (h_next.sum(axis=1) if h_reduce else h_next), c_next, cache

    return lstm_step_forward


def _backward(*, slope_c="right", carried=True, h_path=True, do_tanh=True, df_c_prev=True, swap_di_dg=False,
              cand_slope="tanh", sigmoid_twice=False, dc_prev="right", transposed=False, db=None, extra_key=False,
              reshape_dx=False, grads_as_tuple=False, only_three=False, scale_dW_f=1.0):
    """An lstm_step_backward with one mistake switched on."""

    def lstm_step_backward(dh_next, dc_next, cache):
        x, h_prev, c_prev, p = cache["x"], cache["h_prev"], cache["c_prev"], cache["params"]
        f, i, g, o, c = (cache[k] for k in ("f", "i", "g", "o", "c"))
        tanh_c = np.tanh(cache["tanh_c"]) if extra_key else np.tanh(c)
        s = {"right": 1 - tanh_c**2, "none": 1.0, "of_c": 1 - c**2}[slope_c]
        do = dh_next * (tanh_c if do_tanh else 1.0)
        dc = (dc_next if carried else 0.0) + (dh_next * o * s if h_path else 0.0)
        df = dc * (c_prev if df_c_prev else 1.0)
        di, dg = (dc * i, dc * g) if swap_di_dg else (dc * g, dc * i)

        def gate_slope(a):
            a = sigmoid(a) if sigmoid_twice else a
            return a * (1 - a)

        dz = {"f": df * gate_slope(f), "i": di * gate_slope(i),
              "g": dg * ((1 - g**2) if cand_slope == "tanh" else g * (1 - g)), "o": do * gate_slope(o)}
        dx, dh_prev, grads = 0.0, 0.0, {}
        for k in GATE_NAMES:
            W, U = p[f"W_{k}"], p[f"U_{k}"]
            dx = dx + dz[k] @ (W if transposed else W.T)
            dh_prev = dh_prev + dz[k] @ (U if transposed else U.T)
            grads[f"W_{k}"], grads[f"U_{k}"] = x.T @ dz[k], h_prev.T @ dz[k]
            grads[f"b_{k}"] = {None: dz[k].sum(axis=0), "axis1": dz[k].sum(axis=1), "mean": dz[k].mean(axis=0)}[db]
        grads["W_f"] = scale_dW_f * grads["W_f"]
        back = {"right": dc * f, "no_f": dc, "carried_only": dc_next * f}[dc_prev]
        if only_three:
            return dx, dh_prev, back
        if grads_as_tuple:
            grads = tuple(grads.values())
        return (dx.T if reshape_dx else dx), dh_prev, back, grads

    return lstm_step_backward


def _cells(*, offset=1, slope="right", o_factor=True, carry="total", forget=True, forward=False, reduce=False,
           scale=1.0):
    """A cell_gradients with one mistake switched on."""

    def cell_gradients(dh, f, o, c):
        T = dh.shape[1]
        s = {"right": 1 - np.tanh(c) ** 2, "none": 1.0, "of_c": 1 - c**2}[slope]
        local = dh * (o if o_factor else 1.0) * s
        dc = np.zeros_like(dh)
        for t in (range(T) if forward else reversed(range(T))):
            later = t - 1 if forward else t + 1
            dc[:, t] = local[:, t]
            if carry != "none" and 0 <= later < T:
                source = dc[:, later] if carry == "total" else local[:, later]
                dc[:, t] += source * (f[:, later if offset == 1 else t] if forget else 1.0)
        if reduce:
            return dc.sum(axis=1)
        return scale * dc

    return cell_gradients


def _bptt(*, keep="sum", upstream=True, carry_dh=True, carry_dc=True, reverse=True, zero_states=False,
          last_dx_only=False, grads_as_list=False, scale=1.0, only_three=False):
    """An lstm_bptt with one mistake switched on."""

    def lstm_bptt(dh, caches, step_backward):
        N, T, H = dh.shape
        dx = np.zeros((N, T, caches[0]["x"].shape[1]))
        grads = {name: np.zeros_like(p) for name, p in caches[0]["params"].items()}
        dh_carry = dc_carry = np.zeros((N, H))
        for t in (reversed(range(T)) if reverse else range(T)):
            if upstream:
                dh_in = dh[:, t] + (dh_carry if carry_dh else 0.0)
            else:
                dh_in = dh_carry + (dh[:, t] if t == T - 1 else 0.0)
            dx[:, t], dh_carry, dc_back, step = step_backward(dh_in, dc_carry, caches[t])
            dc_carry = dc_back if carry_dc else np.zeros((N, H))
            for name in grads:
                grads[name] = step[name] if keep == "last" else grads[name] + step[name]
        if keep == "mean":
            grads = {name: value / T for name, value in grads.items()}
        grads = {name: scale * value for name, value in grads.items()}
        if zero_states:
            dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
        if only_three:
            return dx, dh_carry, grads
        if grads_as_list:
            grads = list(grads.values())
        return (dx[:, -1] if last_dx_only else dx), dh_carry, dc_carry, grads

    return lstm_bptt


def _swap_fi_cell(f, i, g, c_prev):
    return i * c_prev + f * g


# (task, wrong answer, key of the hint it must get), all through check()
MISTAKES = [
    ("8.1", _forward(only_two=True), "not_triple"),
    ("8.1", _forward(h_reduce=True), "shape"),
    ("8.1", _forward(weights=lambda W, U: (U, W)), "shape_error"),
    ("8.1", _forward(weights=lambda W, U: (W.T, U.T)), "shape_error"),
    ("8.1", _forward(bias=False), "bias"),
    ("8.1", _forward(cand_fn=sigmoid), "candidate_sigmoid"),
    ("8.1", _forward(gate_fn=np.tanh), "gates_tanh"),
    ("8.1", _forward(h_fn=lambda c: c), "h_no_tanh"),
    ("8.1", _forward(h_cell="old"), "h_old_cell"),
    ("8.1", _forward(cell=lambda f, i, g, c_prev: f * c_prev + g), "no_input_gate"),
    ("8.1", _forward(cell=lambda f, i, g, c_prev: (1 - f) * c_prev + i * g), "forget_reversed"),
    ("8.1", _forward(cell=_swap_fi_cell), "gates_swapped"),
    ("8.1", _forward(cache_drop="params"), "cache"),
    ("8.1", _forward(cache_gate_swap=True), "cache"),
    ("8.1", _forward(scale_g=1.01), "other"),
    ("8.2", _backward(only_three=True), "not_quad"),
    ("8.2", _backward(grads_as_tuple=True), "not_dict"),
    ("8.2", _backward(reshape_dx=True), "shape"),
    ("8.2", _backward(db="axis1"), "db_axis"),
    ("8.2", _backward(db="mean"), "db_axis"),
    ("8.2", _backward(extra_key=True), "cache_key"),
    ("8.2", _backward(transposed=True), "shape_error"),
    ("8.2", _backward(slope_c="none"), "tanh_prime_c"),
    ("8.2", _backward(slope_c="of_c"), "tanh_prime_of_c"),
    ("8.2", _backward(carried=False), "carried_dc"),
    ("8.2", _backward(h_path=False), "h_path"),
    ("8.2", _backward(do_tanh=False), "do"),
    ("8.2", _backward(df_c_prev=False), "df_c_prev"),
    ("8.2", _backward(swap_di_dg=True), "di_dg_swapped"),
    ("8.2", _backward(cand_slope="sigmoid"), "candidate_sigma"),
    ("8.2", _backward(sigmoid_twice=True), "sigmoid_twice"),
    ("8.2", _backward(dc_prev="no_f"), "dc_prev_f"),
    ("8.2", _backward(dc_prev="carried_only"), "dc_prev_total"),
    ("8.2", _backward(scale_dW_f=1.01), "other"),
    ("8.3", _cells(reduce=True), "shape"),
    ("8.3", _cells(offset=0), "off_by_one"),
    ("8.3", _cells(slope="none"), "tanh_prime"),
    ("8.3", _cells(slope="of_c"), "tanh_prime_of_c"),
    ("8.3", _cells(o_factor=False), "o_factor"),
    ("8.3", _cells(carry="none"), "no_carry"),
    ("8.3", _cells(forget=False), "no_forget"),
    ("8.3", _cells(forward=True), "direction"),
    ("8.3", _cells(forward=True, offset=0), "direction"),
    ("8.3", _cells(carry="local"), "carry_local"),
    ("8.3", _cells(scale=1.01), "other"),
    ("8.4", _bptt(only_three=True), "not_quad"),
    ("8.4", _bptt(grads_as_list=True), "not_dict"),
    ("8.4", _bptt(last_dx_only=True), "shape"),
    ("8.4", _bptt(keep="last"), "sum_weights"),
    ("8.4", _bptt(keep="mean"), "mean_weights"),
    ("8.4", _bptt(upstream=False), "upstream"),
    ("8.4", _bptt(carry_dh=False), "carry_dh"),
    ("8.4", _bptt(carry_dc=False), "carry_dc"),
    ("8.4", _bptt(reverse=False), "order"),
    ("8.4", _bptt(zero_states=True), "h0"),
    ("8.4", _bptt(scale=1.01), "other"),
]

SQUARE = next(case for case in ch08.step_cases() if case[0].shape[1] == case[1].shape[1])

# (task, checker of one case, the case, wrong answer, hint key): the other way each mistake shows
CASE_MISTAKES = [
    ("8.1", ch08.check_step_forward_case, SQUARE, _forward(weights=lambda W, U: (W.T, U.T)), "transposed"),
    ("8.1", ch08.check_step_forward_case, SQUARE, _forward(weights=lambda W, U: (U, W)), "swapped_weights"),
    ("8.2", ch08.check_step_backward_case, SQUARE, _backward(transposed=True), "transposed"),
]


# ---- what must never be printed: the expected answers ------------------------------------------------


def _flat(values) -> list[float]:
    return [float(v) for value in values for v in np.ravel(value)]


def _step_inputs(case) -> list[float]:
    x, h_prev, c_prev, params, dh_next, dc_next = case
    return _flat([x, h_prev, c_prev, dh_next, dc_next, *params.values()])


def _expected_and_inputs(task_id: str) -> tuple[list[float], list[float]]:
    if task_id in ("8.1", "8.2"):
        expected, inputs = [], []
        for case in ch08.step_cases():
            h, c, cache = ch08.reference_step_forward(*case[:4])
            if task_id == "8.1":
                expected += _flat([h, c] + [cache[k] for k in GATE_NAMES])
            else:
                dx, dh_prev, dc_prev, grads = ch08.reference_step_backward(case[4], case[5], cache)
                expected += _flat([dx, dh_prev, dc_prev, *grads.values()])
            inputs += _step_inputs(case)
        return expected, inputs
    if task_id == "8.3":
        cases = ch08.cell_cases()
        return _flat(ch08.reference_cell_gradients(*case) for case in cases), _flat(a for c in cases for a in c)
    expected, inputs = [], []
    for dh, caches in ch08.bptt_cases():
        dx, dh0, dc0, grads = ch08.reference_bptt(dh, caches)
        expected += _flat([dx, dh0, dc0, *grads.values()])
        inputs += _flat([dh] + [cache[k] for cache in caches for k in ("x", "h_prev", "c_prev")]
                        + list(caches[0]["params"].values()))
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


@pytest.mark.parametrize("task_id", CH08)
def test_the_leak_detector_finds_a_printed_expected_value(task_id):
    expected, inputs = _expected_and_inputs(task_id)
    value = next(v for v in expected if v not in inputs and abs(v) > 1e-3)
    for shown in (f"{value:.4g}", f"{value!r}"):
        with pytest.raises(AssertionError):
            assert_no_expected_numbers(task_id, f"Exercise {task_id} (x): wrong: expected {shown}")


# ---- the registry, the cases and the references ---------------------------------------------------------


def test_chapter_08_registers_four_tasks():
    assert CH08 == ["8.1", "8.2", "8.3", "8.4"]
    assert [task.id for task in ch08.TASKS] == CH08
    for task_id in CH08:
        task = TASKS[task_id]
        assert task.chapter == "08" and task.points > 0 and task.wants_function
        assert task.signature.startswith(task.title + "(") and task.try_it.startswith(task.title + "(")


def test_every_hint_is_exercised_by_a_mistake():
    used = {(task_id, key) for task_id, _, key in MISTAKES} | {(t, key) for t, _, _, _, key in CASE_MISTAKES}
    declared = {(task_id, key) for task_id, hints in HINTS.items() for key in hints}
    assert declared == used


def test_cases_show_each_mistake():
    first, second = ch08.step_cases()
    x, h_prev, _, params, _, _ = first
    assert len({x.shape[0], x.shape[1], h_prev.shape[1]}) == 3  # N, D, H all different: transposes fail
    assert second[0].shape[1] == second[1].shape[1]  # D = H: a transpose shows only by value
    for case in ch08.step_cases():
        assert all(np.any(case[3][f"b_{k}"] != 0) for k in GATE_NAMES)  # a forgotten bias shows
        _, c, _ = ch08.reference_step_forward(*case[:4])
        assert np.abs(c).max() > 1.0  # 1 - c**2 differs from tanh'(c)
    for dh, f, _o, c in ch08.cell_cases():
        assert dh.shape[1] >= 4 and np.abs(c).max() > 1.0
        assert not np.allclose(f[:, 1:], f[:, :-1])  # f_t and f_{t+1} differ: an off-by-one shows
    for dh, caches in ch08.bptt_cases():
        assert len(caches) == dh.shape[1] >= 3 and np.all(np.abs(dh).sum(axis=(0, 2)) > 0)


def test_the_exercise_cache_has_the_documented_keys():
    _, _, cache = ch08.reference_step_forward(*ch08.step_cases()[0][:4])
    assert tuple(cache) == ch08.CACHE_KEYS


def test_reference_step_backward_matches_centered_differences():
    for x, h_prev, c_prev, params, dh_next, dc_next in ch08.step_cases():
        params = {name: value.copy() for name, value in params.items()}

        def loss(x_=x, h_=h_prev, c_=c_prev, params=params, dh_next=dh_next, dc_next=dc_next):
            h, c, _ = ch08.reference_step_forward(x_, h_, c_, params)
            return np.sum(h * dh_next) + np.sum(c * dc_next)

        _, _, cache = ch08.reference_step_forward(x, h_prev, c_prev, params)
        dx, dh_prev, dc_prev, grads = ch08.reference_step_backward(dh_next, dc_next, cache)
        assert check_gradient_params(loss, params, grads).passed
        assert check_gradient(lambda v: loss(x_=v), x, dx).passed
        assert check_gradient(lambda v: loss(h_=v), h_prev, dh_prev).passed
        assert check_gradient(lambda v: loss(c_=v), c_prev, dc_prev).passed


def test_reference_bptt_matches_centered_differences_and_bplib():
    for dh, caches in ch08.bptt_cases():
        params = {name: value.copy() for name, value in caches[0]["params"].items()}
        x = np.stack([cache["x"] for cache in caches], axis=1)  # (N, T, D)
        h0, c0 = caches[0]["h_prev"], caches[0]["c_prev"]

        def run(params=params, x=x, h0=h0, c0=c0):
            h, c, rebuilt = h0, c0, []
            for t in range(x.shape[1]):
                h, c, cache = ch08.reference_step_forward(x[:, t], h, c, params)
                rebuilt.append((h, cache))
            return rebuilt

        def loss(dh=dh, run=run):
            return sum(np.sum(h * dh[:, t]) for t, (h, _) in enumerate(run()))

        rebuilt = [cache for _, cache in run()]
        dx, dh0, dc0, grads = ch08.reference_bptt(dh, rebuilt)
        assert check_gradient_params(loss, params, grads).passed
        _, lib_cache = lstm.lstm_forward(x, h0, c0, params)
        lib = lstm.lstm_backward(dh, lib_cache)
        for ours, theirs in zip((dx, dh0, dc0), lib[:3], strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_reference_cell_gradients_are_the_cell_gradients_of_a_real_lstm():
    # Run BPTT step by step, recording the total gradient on every h_t and c_t; then dc from the
    # h-totals and the gates alone must equal the recorded c-totals.
    rng = np.random.default_rng(3)
    N, T, D, H = 2, 6, 3, 4
    params = {name: rng.normal(0.0, 0.7, size=value.shape)
              for name, value in lstm.init_lstm_params(D, H, rng).items()}
    x, dout = rng.normal(size=(N, T, D)), rng.normal(size=(N, T, H))
    _, cache = lstm.lstm_forward(x, None, None, params)
    dh_total, dc_total = np.zeros((N, T, H)), np.zeros((N, T, H))
    dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        step = cache.steps[t]
        dh_total[:, t] = dout[:, t] + dh_carry
        dc_total[:, t] = dc_carry + dh_total[:, t] * step.o * (1 - step.tanh_c**2)
        _, dh_carry, dc_carry, _ = lstm.lstm_step_backward(dh_total[:, t], dc_carry, step)
    gates = lstm.lstm_gates(cache)
    dc = ch08.reference_cell_gradients(dh_total, gates["f"], gates["o"], gates["c"])
    np.testing.assert_allclose(dc, dc_total, rtol=1e-12, atol=1e-14)


def _flat_step_backward(case):
    _, _, cache = ch08.reference_step_forward(*case[:4])
    dx, dh_prev, dc_prev, grads = ch08.reference_step_backward(case[4], case[5], cache)
    return (case[4], case[5], cache), np.concatenate(_flat_arrays([dx, dh_prev, dc_prev, *grads.values()]))


def _flat_arrays(arrays):
    return [np.ravel(a) for a in arrays]


def test_every_known_mistake_differs_from_the_answer():
    for variant in ch08.FORWARD_VARIANTS:
        shown = False
        for case in ch08.step_cases():
            h, c, _ = ch08.reference_step_forward(*case[:4])
            try:
                wrong = variant.compute(*case[:4])
            except ValueError:  # a transposed product on non-square shapes
                continue
            shown |= not np.allclose(wrong, np.concatenate([h.ravel(), c.ravel()]), rtol=1e-7)
        assert shown, variant.detail
    for variant in ch08.BACKWARD_VARIANTS:
        shown = False
        for case in ch08.step_cases():
            inputs, right = _flat_step_backward(case)
            try:
                wrong = variant.compute(*inputs)
            except ValueError:
                continue
            shown |= not np.allclose(wrong, right, rtol=1e-7)
        assert shown, variant.detail
    for variant in ch08.CELL_VARIANTS:
        assert any(not np.allclose(variant.compute(*case), ch08.reference_cell_gradients(*case), rtol=1e-7)
                   for case in ch08.cell_cases()), variant.detail
    for variant in ch08.BPTT_VARIANTS:
        shown = False
        for dh, caches in ch08.bptt_cases():
            dx, dh0, dc0, grads = ch08.reference_bptt(dh, caches)
            right = np.concatenate(_flat_arrays([dx, dh0, dc0, *grads.values()]))
            shown |= not np.allclose(variant.compute(dh, caches), right, rtol=1e-7)
        assert shown, variant.detail


# ---- verdicts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", CH08)
def test_reference_passes(task_id, capsys):
    verdict = check(task_id, REFERENCE[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "passed", out
    assert verdict.points == TASKS[task_id].points == verdict.max_points
    assert out == f"Exercise {task_id} ({TASKS[task_id].title}): passed\n"


def test_other_right_answers_pass():
    def forward_with_bplib(x, h_prev, c_prev, params):  # bplib's step, its cache turned into the dict
        h, c, step = lstm.lstm_step_forward(x, h_prev, c_prev, params)
        return h, c, {key: getattr(step, key) for key in ch08.CACHE_KEYS}

    def forward_with_extra_keys(x, h_prev, c_prev, params):  # more keys than asked for are fine
        h, c, cache = lstm_step_forward(x, h_prev, c_prev, params)
        return h, c, {**cache, "tanh_c": np.tanh(c)}

    def bptt_with_list_of_steps(dh, caches, step_backward):  # a list comprehension of the steps, reversed
        return lstm_bptt(dh, list(caches), step_backward)

    assert run_task("8.1", forward_with_bplib).passed
    assert run_task("8.1", forward_with_extra_keys).passed
    assert run_task("8.2", lambda dh, dc, cache: ch08.reference_step_backward(dh, dc, cache)).passed
    assert run_task("8.3", lambda dh, f, o, c: cell_gradients(dh, f, o, c).tolist()).passed
    assert run_task("8.4", bptt_with_list_of_steps).passed


@pytest.mark.parametrize("task_id", CH08)
def test_untouched_stub_is_not_implemented(task_id, capsys):
    verdict = check(task_id, _not_implemented)
    out = capsys.readouterr().out
    assert verdict.status == "not implemented" and verdict.points == 0
    assert out.startswith(f"Exercise {task_id} ({TASKS[task_id].title}): not implemented yet")


def test_bptt_on_an_unfinished_step_backward_is_not_implemented():
    def lstm_bptt_calling_a_stub(dh, caches, step_backward):
        return lstm_bptt(dh, caches, _not_implemented)

    assert run_task("8.4", lstm_bptt_calling_a_stub).status == "not implemented"


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


def test_shape_errors_name_the_shapes():
    verdict = run_task("8.1", _forward(weights=lambda W, U: (U, W)))
    assert "ValueError" in verdict.detail and "N, D, H = 3, 4, 2" in verdict.detail


def test_a_missing_cache_key_names_the_key():
    verdict = run_task("8.2", _backward(extra_key=True))
    assert "KeyError" in verdict.detail and "tanh_c" in verdict.detail


@pytest.mark.parametrize("task_id", CH08)
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
    lambda *args: (np.ones((3, 2)), np.ones((3, 2)), "cache"),
    lambda *args: (1.0, 2.0, 3.0, {"W_f": "a"}),
    lambda *args: (Value(1.0), Value(2.0), Value(3.0), Value(4.0)),
    lambda *args: (np.array([1 + 2j]), np.array([1.0]), {}, {}),
    lambda *args: ([[1.0], [2.0, 3.0]], [1.0], {}, {}),
    lambda *args: np.full((2, 5, 3), np.nan),
    lambda *args: 1 / 0,
    lambda: 0.0,
]


@pytest.mark.parametrize("task_id", CH08)
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
    verdict = run_task("8.4", lambda dh, caches: (0, 0, 0, {}))
    assert verdict.status == "wrong" and "lstm_bptt(dh, caches, step_backward)" in verdict.hint
