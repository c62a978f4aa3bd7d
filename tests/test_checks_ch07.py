"""bplib.checks for exercise 07 (backprop through time): verdicts and hints.

For every task: a right answer written out plainly passes, an untouched stub is "not implemented",
each known mistake is "wrong" with its own hint, and nothing printed contains an expected number.
A transposed Wx is caught both ways: by shapes when D != H and by values on the square cases
(there the check helper is fed the case directly).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import gradcheck, rnn
from bplib.checks import TASKS, ch07, check, run_task
from bplib.checks._core import Wrong
from bplib.graph import Value

CH07 = [task_id for task_id in TASKS if task_id.startswith("7.")]
HINTS = ch07.HINTS


# ---- right answers, written out plainly -----------------------------------------------------------


def rnn_step_backward(dh_next, cache):
    dz = dh_next * (1.0 - cache.h_next**2)
    return dz @ cache.Wx.T, dz @ cache.Wh.T, cache.x_t.T @ dz, cache.h_prev.T @ dz, dz.sum(axis=0)


def weight_grads_over_time(x, h0, h, delta):
    N, T, D = x.shape
    H = h.shape[2]
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H): the state each step read
    flat_delta = delta.reshape(N * T, H)
    return x.reshape(N * T, D).T @ flat_delta, h_prev.reshape(N * T, H).T @ flat_delta, flat_delta.sum(axis=0)


def bptt(dh, cache):
    x, h0, Wx, Wh, h = cache.x, cache.h0, cache.Wx, cache.Wh, cache.h
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    carried = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        dz = (dh[:, t] + carried) * (1.0 - h[:, t] ** 2)
        dx[:, t] = dz @ Wx.T
        dWx += x[:, t].T @ dz
        dWh += (h0 if t == 0 else h[:, t - 1]).T @ dz
        db += dz.sum(axis=0)
        carried = dz @ Wh.T
    return dx, carried, dWx, dWh, db


def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    scale = max_norm / total if total > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}, total


REFERENCE = {"7.1": rnn_step_backward, "7.2": weight_grads_over_time, "7.3": bptt, "7.4": clip_by_global_norm}


def _not_implemented(*args):
    raise NotImplementedError("Exercise")


# ---- wrong answers ----------------------------------------------------------------------------------


def _step(*, slope="right", Wh_of=lambda Wh: Wh.T, Wx_of=lambda Wx: Wx.T, h_in_dWh="prev", dWh_transposed=False,
          db_axis=0, order=None, count=5, reshape_dWx=False, scale_dWx=1.0):
    """An rnn_step_backward with one mistake switched on."""

    def rnn_step_backward(dh_next, cache):
        x_t, h_prev, Wx, Wh, h_next = cache.x_t, cache.h_prev, cache.Wx, cache.Wh, cache.h_next
        factor = {"right": 1.0 - h_next**2, "none": 1.0, "tanh_of_h": 1.0 - np.tanh(h_next) ** 2,
                  "one_minus_h": 1.0 - h_next}[slope]
        dz = dh_next * factor
        h_used = h_next if h_in_dWh == "next" else h_prev
        dWh = dz.T @ h_used if dWh_transposed else h_used.T @ dz
        dWx = scale_dWx * (x_t.T @ dz)
        grads = [dz @ Wx_of(Wx), dz @ Wh_of(Wh), dWx.ravel() if reshape_dWx else dWx, dWh,
                 dz if db_axis is None else dz.sum(axis=db_axis)]
        if order is not None:
            grads = [grads[i] for i in order]
        return tuple(grads[:count])

    return rnn_step_backward


def _weights(*, h_prev="right", steps="all", divide_by_T=False, divide_by_N=False, transposed=False, x_shift=False,
             db_axes=(0, 1), reshape_dWh=False, matmul_order=False, count=3, scale_dWx=1.0):
    """A weight_grads_over_time with one mistake switched on, written as a learner's loop."""

    def weight_grads_over_time(x, h0, h, delta):
        N, T, _ = x.shape
        dWx = np.zeros((x.shape[2], h.shape[2]))
        dWh = np.zeros((h.shape[2], h.shape[2]))
        kept = {"all": range(T), "first": [0], "last": [T - 1]}[steps]
        for t in kept:
            if h_prev == "h_t":
                prev = h[:, t]
            elif t == 0:
                prev = h0 if h_prev == "right" else np.zeros_like(h0)
            else:
                prev = h[:, t - 1]
            x_t = (x[:, t - 1] if t > 0 else np.zeros_like(x[:, 0])) if x_shift else x[:, t]
            dWx += x_t.T @ delta[:, t]
            if matmul_order:
                dWh += prev @ delta[:, t]  # (N, H) @ (N, H): fails unless N == H
            else:
                dWh += delta[:, t].T @ prev if transposed else prev.T @ delta[:, t]
        db = delta[:, list(kept)].sum(axis=db_axes)
        scale = (T if divide_by_T else 1) * (N if divide_by_N else 1)
        out = (scale_dWx * dWx / scale, (dWh.ravel() if reshape_dWh else dWh) / scale, db / scale)
        return out[:count]

    return weight_grads_over_time


def _bptt(*, carry=True, order="reverse", h_in_dWh="prev", slope="right", carry_slope=True, Wh_of=lambda Wh: Wh.T,
          Wx_of=lambda Wx: Wx.T, accumulate="sum", divide_by_T=False, in_place=False, dh0="right", count=5,
          reshape_dx=False, scale_db=1.0):
    """A bptt with one mistake switched on, written as a learner's loop."""

    def bptt(dh, cache):
        x, h0, Wx, Wh, h = cache.x, cache.h0, cache.Wx, cache.Wh, cache.h
        T = x.shape[1]
        dx = np.zeros_like(x)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        carried = np.zeros_like(h0)
        carried_into_0 = carried
        for t in (reversed(range(T)) if order == "reverse" else range(T)):
            if t == 0:
                carried_into_0 = carried
            if in_place:
                dh[:, t] += carried
                dh_total = dh[:, t]
            else:
                dh_total = dh[:, t] + (carried if carry else 0.0)
            factor = {"right": 1.0 - h[:, t] ** 2, "none": 1.0, "tanh_of_h": 1.0 - np.tanh(h[:, t]) ** 2}[slope]
            dz = dh_total * factor
            dx[:, t] = dz @ Wx_of(Wx)
            h_used = h[:, t] if h_in_dWh == "next" else (h0 if t == 0 else h[:, t - 1])
            shares = (x[:, t].T @ dz, h_used.T @ dz, dz.sum(axis=0))
            if accumulate == "sum" or (accumulate == "last_step" and t == T - 1):
                dWx, dWh, db = dWx + shares[0], dWh + shares[1], db + shares[2]
            elif accumulate == "overwrite":
                dWx, dWh, db = shares
            carried = (dz if carry_slope else dh_total) @ Wh_of(Wh)
        scale = T if divide_by_T else 1
        dh0_out = {"right": carried, "zeros": np.zeros_like(h0), "before_step_0": carried_into_0}[dh0]
        out = (dx.reshape(x.shape[0], -1) if reshape_dx else dx, dh0_out, dWx / scale, dWh / scale,
               scale_db * db / scale)
        return out[:count]

    return bptt


def _clip(*, how="right", in_place=False, norm="right", tuple_out=False, reshape=False, count=2, scale_b=1.0):
    """A clip_by_global_norm with one mistake switched on."""

    def clip_by_global_norm(grads, max_norm):
        total = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        if how == "per_array":
            clipped = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
        elif how == "by_value":
            clipped = {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}
        elif how == "always":
            clipped = {k: g * max_norm / total for k, g in grads.items()}
        elif how == "inverted":
            clipped = {k: g * (total / max_norm if total > max_norm else 1.0) for k, g in grads.items()}
        elif how == "norm_sum":
            total = sum(np.linalg.norm(g) for g in grads.values())
            clipped = {k: g * (max_norm / total if total > max_norm else 1.0) for k, g in grads.items()}
        elif how == "min_scale":  # scale = min(1, max_norm / total): a division by zero when every gradient is 0
            clipped = {k: g * np.minimum(1.0, max_norm / total) for k, g in grads.items()}
        elif how == "no_copy":  # hands back the caller's dict when nothing is clipped
            clipped = grads if total <= max_norm else {k: g * (max_norm / total) for k, g in grads.items()}
        elif how == "no_sqrt":
            total = sum(np.sum(g**2) for g in grads.values())
            clipped = {k: g * (max_norm / total if total > max_norm else 1.0) for k, g in grads.items()}
        else:
            clipped = {k: g * (max_norm / total if total > max_norm else 1.0) for k, g in grads.items()}
        if in_place:
            for k in grads:
                grads[k][...] = clipped[k]
            clipped = grads
        if norm == "after":
            total = np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
        elif norm == "off":
            total = 1.01 * total
        if scale_b != 1.0:
            clipped = {k: g * (scale_b if k == "b" else 1.0) for k, g in clipped.items()}
        if reshape:
            clipped = {k: g.ravel() if g.ndim == 2 else g for k, g in clipped.items()}
        if tuple_out:
            clipped = tuple(clipped.values())
        return (clipped, total)[:count] if count < 2 else (clipped, total)

    return clip_by_global_norm


def _transposed_Wx(Wx):
    return Wx


# (task, wrong answer, key of the hint it must get), all through check()
MISTAKES = [
    ("7.1", _step(count=4), "not_five"),
    ("7.1", _step(reshape_dWx=True), "shape"),
    ("7.1", _step(order=[0, 2, 3, 4, 1]), "order"),
    ("7.1", _step(db_axis=1), "db_axis"),
    ("7.1", _step(db_axis=None), "db_axis"),
    ("7.1", _step(Wx_of=_transposed_Wx), "shape_error"),
    ("7.1", _step(slope="none"), "tanh_prime"),
    ("7.1", _step(slope="tanh_of_h"), "tanh_of_h"),
    ("7.1", _step(slope="one_minus_h"), "one_minus_h"),
    ("7.1", _step(Wh_of=lambda Wh: Wh), "transposed_Wh"),
    ("7.1", _step(h_in_dWh="next"), "h_next_in_dWh"),
    ("7.1", _step(dWh_transposed=True), "dW_transposed"),
    ("7.1", _step(scale_dWx=1.01), "other"),
    ("7.2", _weights(count=2), "not_three"),
    ("7.2", _weights(reshape_dWh=True), "shape"),
    ("7.2", _weights(db_axes=0), "db_sum"),
    ("7.2", _weights(matmul_order=True), "shape_error"),
    ("7.2", _weights(h_prev="h_t"), "off_by_one"),
    ("7.2", _weights(h_prev="zeros"), "no_h0"),
    ("7.2", _weights(steps="last"), "one_step"),
    ("7.2", _weights(steps="first"), "one_step"),
    ("7.2", _weights(divide_by_T=True), "mean_time"),
    ("7.2", _weights(divide_by_N=True), "batch_mean"),
    ("7.2", _weights(transposed=True), "transposed"),
    ("7.2", _weights(x_shift=True), "dWx_shift"),
    ("7.2", _weights(scale_dWx=1.01), "other"),
    ("7.3", _bptt(count=4), "not_five"),
    ("7.3", _bptt(reshape_dx=True), "shape"),
    ("7.3", _bptt(Wx_of=_transposed_Wx), "shape_error"),
    ("7.3", _bptt(in_place=True), "in_place"),
    ("7.3", _bptt(carry=False), "no_carry"),
    ("7.3", _bptt(order="forward"), "forward_order"),
    ("7.3", _bptt(h_in_dWh="next"), "off_by_one"),
    ("7.3", _bptt(slope="none"), "tanh_prime"),
    ("7.3", _bptt(slope="tanh_of_h"), "tanh_of_h"),
    ("7.3", _bptt(carry_slope=False), "carry_without_tanh"),
    ("7.3", _bptt(Wh_of=lambda Wh: Wh), "transposed_Wh"),
    ("7.3", _bptt(accumulate="overwrite"), "not_summed"),
    ("7.3", _bptt(accumulate="last_step"), "not_summed"),
    ("7.3", _bptt(divide_by_T=True), "mean_time"),
    ("7.3", _bptt(dh0="zeros"), "dh0"),
    ("7.3", _bptt(dh0="before_step_0"), "dh0"),
    ("7.3", _bptt(scale_db=1.01), "other"),
    ("7.4", _clip(count=1), "not_pair"),
    ("7.4", _clip(tuple_out=True), "not_dict"),
    ("7.4", _clip(reshape=True), "shape"),
    ("7.4", _clip(in_place=True), "in_place"),
    ("7.4", _clip(how="per_array"), "per_array"),
    ("7.4", _clip(how="by_value"), "by_value"),
    ("7.4", _clip(how="always"), "always"),
    ("7.4", _clip(how="inverted"), "scale_inverted"),
    ("7.4", _clip(how="norm_sum"), "norm_sum"),
    ("7.4", _clip(how="no_sqrt"), "no_sqrt"),
    ("7.4", _clip(how="min_scale"), "zero_norm"),
    ("7.4", _clip(how="no_copy"), "same_arrays"),
    ("7.4", _clip(norm="after"), "norm_after"),
    ("7.4", _clip(norm="off"), "other"),
    ("7.4", _clip(scale_b=1.01), "other"),
]

SQUARE_STEP = ch07.step_cases()[1]
SQUARE_BPTT = ch07.bptt_cases()[1]

# (task, checker of one case, the case, wrong answer, hint key): the other way each mistake shows
CASE_MISTAKES = [
    ("7.1", ch07.check_step_case, SQUARE_STEP, _step(Wx_of=_transposed_Wx), "transposed_Wx"),
    ("7.3", ch07.check_bptt_case, SQUARE_BPTT, _bptt(Wx_of=_transposed_Wx), "transposed_Wx"),
]


# ---- what must never be printed: the expected answers ------------------------------------------------


def _flat(values) -> list[float]:
    return [float(v) for value in values for v in np.ravel(value)]


def _expected_and_inputs(task_id: str) -> tuple[list[float], list[float]]:
    if task_id == "7.1":
        cases = ch07.step_cases()
        expected = _flat(a for c in cases for a in ch07.reference_step_backward(*c))
        return expected, _flat(a for dh, cache in cases for a in (dh, *cache))
    if task_id == "7.2":
        cases = ch07.weight_cases()
        expected = _flat(a for c in cases for a in ch07.reference_weight_grads(*c))
        return expected, _flat(a for c in cases for a in c)
    if task_id == "7.3":
        cases = ch07.bptt_cases()
        expected = _flat(a for c in cases for a in ch07.reference_bptt(*c))
        return expected, _flat(a for dh, cache in cases for a in (dh, *cache))
    cases = ch07.clip_cases()
    expected = []
    for grads, max_norm in cases:
        clipped, total = ch07.reference_clip(grads, max_norm)
        expected += _flat(clipped.values()) + [total]
    return expected, _flat(a for grads, max_norm in cases for a in (*grads.values(), max_norm))


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


@pytest.mark.parametrize("task_id", CH07)
def test_the_leak_detector_finds_a_printed_expected_value(task_id):
    expected, inputs = _expected_and_inputs(task_id)
    value = next(v for v in expected if v not in inputs and abs(v) > 1e-3)
    for shown in (f"{value:.4g}", f"{value!r}"):
        with pytest.raises(AssertionError):
            assert_no_expected_numbers(task_id, f"Exercise {task_id} (x): wrong: expected {shown}")


# ---- the registry and the cases -------------------------------------------------------------------


def test_chapter_07_registers_four_tasks():
    assert CH07 == ["7.1", "7.2", "7.3", "7.4"]
    assert [task.id for task in ch07.TASKS] == CH07
    for task_id in CH07:
        task = TASKS[task_id]
        assert task.chapter == "07" and task.points > 0 and task.wants_function
        assert task.signature.startswith(task.title + "(") and task.try_it.startswith(task.title + "(")


def test_every_hint_is_exercised_by_a_mistake():
    used = {(task_id, key) for task_id, _, key in MISTAKES} | {(t, key) for t, _, _, _, key in CASE_MISTAKES}
    declared = {(task_id, key) for task_id, hints in HINTS.items() for key in hints}
    assert declared == used


def test_cases_show_each_mistake():
    # 7.1 and 7.3: N, D, H all different first (a transposed Wx fails on shapes), then D == H
    dh_next, cache = ch07.step_cases()[0]
    assert len({dh_next.shape[0], *cache.Wx.shape}) == 3
    assert SQUARE_STEP[1].Wx.shape[0] == SQUARE_STEP[1].Wx.shape[1]
    dh, cache = ch07.bptt_cases()[0]
    assert len({dh.shape[0], *cache.Wx.shape}) == 3
    assert SQUARE_BPTT[1].Wx.shape[0] == SQUARE_BPTT[1].Wx.shape[1]
    # h0 is not zero (an off-by-one at step 0 shows); the carried gradient is of dh's size
    for dh, cache in ch07.bptt_cases():
        assert np.min(np.abs(cache.h0)) > 0
        carried = rnn.rnn_backward(dh, cache)[1]
        assert np.linalg.norm(carried) > 0.1 * np.linalg.norm(dh[:, 0])
    for _x, h0, h, _delta in ch07.weight_cases():
        assert np.min(np.abs(h0)) > 0 and h.shape[1] > 1
    # 7.4: above and below the threshold, and one array whose own norm is below max_norm
    norms = [(ch07._norm(g), m) for g, m in ch07.clip_cases()]
    assert any(n > m for n, m in norms) and any(n < m for n, m in norms)
    lopsided, max_norm = ch07.clip_cases()[2]
    assert min(np.linalg.norm(g) for g in lopsided.values()) < max_norm < ch07._norm(lopsided)


@pytest.mark.parametrize(
    ("variants", "cases", "right"),
    [
        (ch07.STEP_VARIANTS, ch07.step_cases, lambda case: ch07.reference_step_backward(*case)),
        (ch07.WEIGHT_VARIANTS, ch07.weight_cases, lambda case: ch07.reference_weight_grads(*case)),
        (ch07.BPTT_VARIANTS, ch07.bptt_cases, lambda case: ch07.reference_bptt(*case)),
    ],
    ids=["7.1", "7.2", "7.3"],
)
def test_every_known_mistake_differs_from_the_answer(variants, cases, right):
    for variant in variants:
        recognisable = False
        for case in cases():
            try:
                wrong = np.asarray(variant.compute(*case))
            except ValueError:  # a transposed product on non-square shapes
                continue
            expected = np.concatenate([np.ravel(a) for a in right(case)])
            recognisable |= wrong.shape == expected.shape and not np.allclose(wrong, expected, rtol=1e-7)
        assert recognisable, variant.detail


def test_every_clip_mistake_differs_from_the_answer():
    for variant in ch07.CLIP_VARIANTS:
        differs = False
        for grads, max_norm in ch07.clip_cases():
            clipped, _ = ch07.reference_clip(grads, max_norm)
            try:
                with np.errstate(all="ignore"):
                    wrong = variant.compute(grads, max_norm)
            except ArithmeticError:  # a mistake that divides by the zero norm of the all-zero case
                continue
            differs |= not all(np.allclose(wrong[k], clipped[k], rtol=1e-7) for k in grads)
        assert differs, variant.detail


def test_references_match_centered_differences():
    # 7.1 and 7.3: L = sum(h * dh) has upstream gradient dh
    dh_next, cache = ch07.step_cases()[0]
    x_t, h_prev, Wx, Wh, _ = cache
    b = np.arctanh(cache.h_next) - x_t @ Wx - h_prev @ Wh  # recover b from the cache
    params = {"x_t": x_t.copy(), "h_prev": h_prev.copy(), "Wx": Wx.copy(), "Wh": Wh.copy(), "b": b[0].copy()}
    step_grads = dict(zip(params, ch07.reference_step_backward(dh_next, cache), strict=True))

    def step_loss():
        p = params
        return float(np.sum(rnn.rnn_step_forward(p["x_t"], p["h_prev"], p["Wx"], p["Wh"], p["b"])[0] * dh_next))

    assert gradcheck.check_gradient_params(step_loss, params, step_grads).passed

    dh, cache = ch07.bptt_cases()[0]
    b = np.arctanh(cache.h[:, 0]) - cache.x[:, 0] @ cache.Wx - cache.h0 @ cache.Wh
    seq = {"x": cache.x.copy(), "h0": cache.h0.copy(), "Wx": cache.Wx.copy(), "Wh": cache.Wh.copy(), "b": b[0].copy()}
    seq_grads = dict(zip(seq, ch07.reference_bptt(dh, cache), strict=True))

    def seq_loss():
        return float(np.sum(rnn.rnn_forward(seq["x"], seq["h0"], seq["Wx"], seq["Wh"], seq["b"])[0] * dh))

    assert gradcheck.check_gradient_params(seq_loss, seq, seq_grads).passed


def test_reference_weight_grads_is_bptt_given_the_deltas():
    # with the deltas that full BPTT computes, 7.2's sum gives rnn_backward's weight gradients
    dh, cache = ch07.bptt_cases()[0]
    T = cache.x.shape[1]
    deltas = np.zeros_like(cache.h)
    carried = np.zeros_like(cache.h0)
    for t in reversed(range(T)):
        deltas[:, t] = (dh[:, t] + carried) * (1.0 - cache.h[:, t] ** 2)
        carried = deltas[:, t] @ cache.Wh.T
    got = ch07.reference_weight_grads(cache.x, cache.h0, cache.h, deltas)
    expected = rnn.rnn_backward(dh, cache)[2:]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


# ---- verdicts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", CH07)
def test_reference_passes(task_id, capsys):
    verdict = check(task_id, REFERENCE[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "passed", out
    assert verdict.points == TASKS[task_id].points == verdict.max_points
    assert out == f"Exercise {task_id} ({TASKS[task_id].title}): passed\n"


def test_other_right_answers_pass():
    def clip_with_bplib(grads, max_norm):
        return rnn.clip_by_norm(grads, max_norm)

    def bptt_with_step(dh, cache):  # 7.3 written with 7.1's step backward and the step caches
        dx = np.zeros_like(cache.x)
        dWx, dWh, db = np.zeros_like(cache.Wx), np.zeros_like(cache.Wh), np.zeros(cache.Wh.shape[0])
        carried = np.zeros_like(cache.h0)
        for t in reversed(range(cache.x.shape[1])):
            step = rnn.RNNStepCache(cache.x[:, t], cache.h0 if t == 0 else cache.h[:, t - 1], cache.Wx, cache.Wh,
                                    cache.h[:, t])
            dx[:, t], carried, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + carried, step)
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        return dx, carried, dWx, dWh, db

    def step_as_list(dh_next, cache):
        return list(rnn_step_backward(dh_next, cache))

    assert run_task("7.4", clip_with_bplib).passed
    assert run_task("7.3", bptt_with_step).passed
    assert run_task("7.3", rnn.rnn_backward).passed
    assert run_task("7.2", _weights()).passed
    assert run_task("7.1", step_as_list).passed
    assert run_task("7.4", lambda grads, m: (clip_by_global_norm(grads, m)[0], float(clip_by_global_norm(grads, m)[1])))


@pytest.mark.parametrize("task_id", CH07)
def test_untouched_stub_is_not_implemented(task_id, capsys):
    verdict = check(task_id, _not_implemented)
    out = capsys.readouterr().out
    assert verdict.status == "not implemented" and verdict.points == 0
    assert out.startswith(f"Exercise {task_id} ({TASKS[task_id].title}): not implemented yet")


def test_bptt_built_on_an_unfinished_step_is_not_implemented():
    def bptt_using_stub(dh, cache):
        return _not_implemented(dh[:, -1])

    assert run_task("7.3", bptt_using_stub).status == "not implemented"


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


def test_shape_errors_name_the_sizes():
    verdict = run_task("7.3", _bptt(Wx_of=_transposed_Wx))
    assert "ValueError" in verdict.detail and "N, T, D, H = 2, 5, 3, 4" in verdict.detail


def test_in_place_clipping_names_the_array():
    verdict = run_task("7.4", _clip(in_place=True))
    assert "changed grads['Wx'] in place" in verdict.detail


def test_checks_leave_their_cases_alone():
    # a learner who writes into the cache or the gradients must not spoil the next check
    def bptt_that_scribbles(dh, cache):
        cache.h[...] = 0.0
        return bptt(dh, cache)

    run_task("7.3", bptt_that_scribbles)
    assert run_task("7.3", bptt).passed


@pytest.mark.parametrize("task_id", CH07)
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
    lambda *args: (1.0, 2.0),
    lambda *args: (np.nan,) * 5,
    lambda *args: ({"Wx": "a"}, 1.0),
    lambda *args: (Value(1.0), Value(2.0), Value(3.0)),
    lambda *args: (np.array([1 + 2j]),) * 3,
    lambda *args: ([[1.0], [2.0, 3.0]],) * 5,
    lambda *args: 1 / 0,
    lambda: 0.0,
]


@pytest.mark.parametrize("task_id", CH07)
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
    verdict = run_task("7.3", lambda dh: dh)
    assert verdict.status == "wrong" and "bptt(dh, cache)" in verdict.hint
