"""bplib.checks for exercise 05 (vectorized backprop): verdicts and hints.

For every task: a right answer written out plainly passes, an untouched stub is "not implemented",
each known mistake is "wrong" with its own hint, and nothing printed contains an expected number.
A transposed weight is caught both ways: by shapes on non-square weights and by values on square
ones (there the check helper is fed the case directly).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import gradcheck
from bplib.checks import TASKS, ch05, check, run_task
from bplib.checks._core import Wrong
from bplib.graph import Value

CH05 = [task_id for task_id in TASKS if task_id.startswith("5.")]
HINTS = ch05.HINTS


# ---- right answers, written out plainly -----------------------------------------------------------


def bias_trick(x, W, b):
    return np.hstack([x, np.ones((x.shape[0], 1))]), np.vstack([W, b])


def onehot(y, C):
    rows = np.zeros((len(y), C))
    rows[np.arange(len(y)), y] = 1.0
    return rows


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_y_hat = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_y_hat[np.arange(N), y].mean()
    return loss, (np.exp(log_y_hat) - onehot(y, z.shape[1])) / N


def mlp_loss_and_grads(params, x, y):
    z1 = x @ params["W1"] + params["b1"]
    a1 = np.maximum(z1, 0.0)
    z2 = a1 @ params["W2"] + params["b2"]
    loss, dz2 = softmax_cross_entropy(z2, y)
    da1 = dz2 @ params["W2"].T
    dz1 = da1 * (z1 > 0)
    return loss, {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": a1.T @ dz2, "b2": dz2.sum(axis=0)}


def sgd_epoch(params, x, y, lr, batch_size, loss_and_grads):
    losses = []
    for start in range(0, len(x), batch_size):
        loss, grads = loss_and_grads(params, x[start:start + batch_size], y[start:start + batch_size])
        losses.append(loss)
        params = {name: p - lr * grads[name] for name, p in params.items()}
    return params, losses


REFERENCE = {"5.1": bias_trick, "5.2": softmax_cross_entropy, "5.3": mlp_loss_and_grads, "5.4": sgd_epoch}


def _not_implemented(*args):
    raise NotImplementedError("Exercise")


# ---- wrong answers ----------------------------------------------------------------------------------


def _naive_softmax(z, axis=1):
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_ce(*, shift="row", dz_scale=None, dz_sign=1.0, subtract=True, axis=1, loss_reduce="mean",
                loss_sign=1.0, log_of_probs=False, clip=None):
    """A softmax_cross_entropy with one mistake switched on."""

    def softmax_cross_entropy(z, y):
        N, C = z.shape
        if shift == "row":
            shifted = z - z.max(axis=axis, keepdims=True)
        elif shift == "global":
            shifted = z - z.max()
        else:
            shifted = z
        e = np.exp(shifted)
        y_hat = e / e.sum(axis=axis, keepdims=True)
        if log_of_probs:
            log_p = np.log(y_hat if clip is None else y_hat + clip)
        else:
            log_p = shifted - np.log(e.sum(axis=axis, keepdims=True))
        picked = -log_p[np.arange(N), y]
        loss = loss_sign * {"mean": picked.mean(), "sum": picked.sum(), "none": picked}[loss_reduce]
        dz = dz_sign * (y_hat - (onehot(y, C) if subtract else 0.0)) / (N if dz_scale is None else dz_scale)
        return loss, dz

    return softmax_cross_entropy


def _mlp(*, W2_of=lambda W2: W2.T, slope="prime", scale=None, extra_n=False, sign=1.0, biases=True, db_axis=0,
         mutate=False, loss_scale=1.0, reshape_W1=False, wrong_b2=False):
    """An mlp_loss_and_grads with one mistake switched on."""

    def mlp_loss_and_grads(params, x, y):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        N = len(x)
        z1 = x @ W1 + (b1 if biases else 0.0)
        a1 = np.maximum(z1, 0.0)
        z2 = a1 @ W2 + (b2 if biases else 0.0)
        loss, dz2 = softmax_cross_entropy(z2, y)
        dz2 = sign * dz2 * (N if scale == "no_average" else 1.0) / (N if extra_n else 1.0)
        da1 = dz2 @ W2_of(W2)
        dz1 = da1 * {"prime": (z1 > 0).astype(float), "none": 1.0, "value": a1}[slope]
        grads = {"W1": x.T @ dz1, "b1": dz1.sum(axis=db_axis), "W2": a1.T @ dz2, "b2": dz2.sum(axis=db_axis)}
        if reshape_W1:
            grads["W1"] = grads["W1"].ravel()
        if wrong_b2:
            grads["b2"] = 2.0 * grads["b2"]
        if mutate:
            params["W1"] -= 0.1 * grads["W1"]
        return loss_scale * loss, grads

    return mlp_loss_and_grads


def _sgd(*, sign=-1.0, use_lr=True, full_batch=False, drop_last=False, stale=False, only_weights=False,
         divide=False, loss_after=False, one_loss=False, tuple_out=False, reshape=False):
    """An sgd_epoch with one mistake switched on."""

    def sgd_epoch(params, x, y, lr, batch_size, loss_and_grads):
        start_params = dict(params)
        B = len(x) if full_batch else batch_size
        stop = (len(x) // B) * B if drop_last else len(x)
        losses = []
        for start in range(0, stop, B):
            xb, yb = x[start:start + B], y[start:start + B]
            loss, grads = loss_and_grads(start_params if stale else params, xb, yb)
            new = {}
            for name, p in params.items():
                if only_weights and name.startswith("b"):
                    new[name] = p
                    continue
                step = (lr if use_lr else 1.0) * grads[name] / (len(xb) if divide else 1.0)
                new[name] = p + sign * step
            params = new
            losses.append(loss_and_grads(params, xb, yb)[0] if loss_after else loss)
        if reshape:
            params = {**params, "W1": params["W1"].ravel()}
        if tuple_out:
            return tuple(params.values()), losses
        return params, (losses[-1:] if one_loss else losses)

    return sgd_epoch


# (task, wrong answer, key of the hint it must get), all through check()
MISTAKES = [
    ("5.1", lambda x, W, b: np.hstack([x, np.ones((len(x), 1))]), "not_pair"),
    ("5.1", lambda x, W, b: (x, np.vstack([W, b])), "x_shape"),
    ("5.1", lambda x, W, b: (np.vstack([x, np.ones(x.shape[1])]), np.vstack([W, b])), "ones_row"),
    ("5.1", lambda x, W, b: (np.hstack([x, np.ones((len(x), 1))]), np.append(W, b)), "W_shape"),
    ("5.1", lambda x, W, b: (np.hstack([x, np.ones((len(x), 1))]), np.hstack([W, b[:, None]])), "concat"),
    # the product comes out right, but the ones and b are first, where the task puts them last
    ("5.1", lambda x, W, b: (np.hstack([np.ones((len(x), 1)), x]), np.vstack([b, W])), "not_last"),
    ("5.1", lambda x, W, b: (np.hstack([x, np.ones(len(x))]), np.vstack([W, b])), "concat"),
    ("5.1", lambda x, W, b: (np.hstack([x, np.zeros((len(x), 1))]), np.vstack([W, b])), "zeros"),
    ("5.1", lambda x, W, b: (np.hstack([2 * x, np.ones((len(x), 1))]), np.vstack([W, b])), "x_changed"),
    ("5.1", lambda x, W, b: (np.hstack([x, np.ones((len(x), 1))]), np.vstack([W, np.zeros_like(b)])), "W_changed"),
    ("5.1", lambda x, W, b: (np.hstack([np.ones((len(x), 1)), x]), np.vstack([W, b])), "mismatch"),
    ("5.1", lambda x, W, b: (np.hstack([x, np.ones((len(x), 1))]), np.vstack([W, b]) + 0.5), "W_changed"),
    ("5.2", lambda z, y: softmax_cross_entropy(z, y)[1], "not_pair"),
    ("5.2", _softmax_ce(loss_reduce="none"), "loss_not_number"),
    ("5.2", lambda z, y: (softmax_cross_entropy(z, y)[0], softmax_cross_entropy(z, y)[1].sum(axis=0)), "shape"),
    ("5.2", _softmax_ce(shift="none"), "overflow"),
    ("5.2", _softmax_ce(shift="global"), "global_max"),
    ("5.2", _softmax_ce(log_of_probs=True), "log_of_zero"),
    ("5.2", _softmax_ce(log_of_probs=True, clip=1e-12), "log_of_zero"),
    ("5.2", _softmax_ce(loss_reduce="sum"), "loss_sum"),
    ("5.2", _softmax_ce(loss_sign=-1.0), "loss_sign"),
    ("5.2", _softmax_ce(dz_scale=1.0), "batch_average"),
    ("5.2", _softmax_ce(dz_sign=-1.0), "sign"),
    ("5.2", _softmax_ce(subtract=False), "onehot"),
    ("5.2", _softmax_ce(axis=0), "softmax_axis"),
    ("5.2", lambda z, y: (1.01 * softmax_cross_entropy(z, y)[0], softmax_cross_entropy(z, y)[1]), "other_loss"),
    ("5.2", lambda z, y: (softmax_cross_entropy(z, y)[0], 1.01 * softmax_cross_entropy(z, y)[1]), "other_dz"),
    ("5.3", lambda params, x, y: mlp_loss_and_grads(params, x, y)[1], "not_pair"),
    ("5.3", lambda params, x, y: (0.0, tuple(mlp_loss_and_grads(params, x, y)[1].values())), "not_dict"),
    ("5.3", lambda params, x, y: (0.0, {"W1": 0.0, "W2": 0.0}), "not_dict"),
    ("5.3", _mlp(reshape_W1=True), "shape"),
    ("5.3", _mlp(db_axis=1), "db_axis"),
    ("5.3", _mlp(wrong_b2=True), "db_axis"),
    ("5.3", _mlp(mutate=True), "in_place"),
    ("5.3", _mlp(W2_of=lambda W2: W2), "shape_error"),
    ("5.3", _mlp(slope="none"), "relu_prime"),
    ("5.3", _mlp(slope="value"), "relu_value"),
    ("5.3", _mlp(scale="no_average"), "batch_average"),
    ("5.3", _mlp(extra_n=True), "extra_average"),
    ("5.3", _mlp(sign=-1.0), "sign"),
    ("5.3", _mlp(biases=False), "forward_bias"),
    ("5.3", _mlp(loss_scale=2.0), "loss"),
    ("5.3", _mlp(slope="prime", W2_of=lambda W2: 1.01 * W2.T), "other"),
    ("5.4", lambda params, x, y, lr, batch_size, loss_and_grads: params, "not_pair"),
    ("5.4", _sgd(tuple_out=True), "not_dict"),
    ("5.4", _sgd(reshape=True), "shape"),
    ("5.4", _sgd(one_loss=True), "losses_count"),
    ("5.4", _sgd(sign=+1.0), "sign"),
    ("5.4", _sgd(use_lr=False), "no_lr"),
    ("5.4", _sgd(full_batch=True), "full_batch"),
    ("5.4", _sgd(drop_last=True), "dropped_last"),
    ("5.4", _sgd(stale=True), "stale_grads"),
    ("5.4", _sgd(only_weights=True), "missing_param"),
    ("5.4", _sgd(divide=True), "extra_average"),
    ("5.4", _sgd(loss_after=True), "losses_after"),
    ("5.4", lambda params, x, y, lr, batch_size, loss_and_grads: _sgd()(params, x[::-1], y[::-1], lr, batch_size,
                                                                         loss_and_grads), "other"),
]

SQUARE = next(c for c in ch05.network_cases() if c[0]["W2"].shape[0] == c[0]["W2"].shape[1] == len(c[1]))

# (task, checker of one case, the case, wrong answer, hint key): the other way each mistake shows
CASE_MISTAKES = [
    ("5.3", ch05.check_network_case, SQUARE, _mlp(W2_of=lambda W2: W2), "transposed"),
    ("5.3", ch05.check_network_case, SQUARE, _mlp(db_axis=1), "db_axis"),
]


# ---- what must never be printed: the expected answers ------------------------------------------------


def _flat(values) -> list[float]:
    return [float(v) for value in values for v in np.ravel(value)]


def _arrays(case) -> list:
    return [v for item in case for v in (item.values() if isinstance(item, dict) else [item])]


def _expected_and_inputs(task_id: str) -> tuple[list[float], list[float]]:
    if task_id == "5.1":
        # x_aug and W_aug hold only the inputs and ones; what a leak would give away is their product
        cases = ch05.bias_cases()
        expected = _flat(x @ W + b for x, W, b in cases)
        return expected, _flat(a for c in cases for a in c) + [1.0]
    if task_id == "5.2":
        cases = ch05.softmax_cases()
        expected = _flat(a for c in cases for a in ch05.reference_softmax_cross_entropy(*c))
        return expected, _flat(a for c in cases for a in c)
    if task_id == "5.3":
        cases = ch05.network_cases()
        expected = []
        for c in cases:
            loss, grads = ch05.reference_mlp_loss_and_grads(*c)
            expected += [loss, *_flat(grads.values())]
        return expected, _flat(_arrays(cases[0]) + _arrays(cases[1]))
    cases = ch05.sgd_cases()
    expected = []
    for c in cases:
        params, batch_losses = ch05.reference_sgd_epoch(*c)
        expected += _flat(params.values()) + batch_losses
    return expected, _flat(a for c in cases for a in _arrays(c))


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


@pytest.mark.parametrize("task_id", CH05)
def test_the_leak_detector_finds_a_printed_expected_value(task_id):
    expected, inputs = _expected_and_inputs(task_id)
    value = next(v for v in expected if v not in inputs and abs(v) > 1e-3)
    for shown in (f"{value:.4g}", f"{value!r}"):
        with pytest.raises(AssertionError):
            assert_no_expected_numbers(task_id, f"Exercise {task_id} (x): wrong: expected {shown}")


# ---- the registry and the cases -------------------------------------------------------------------


def test_chapter_05_registers_four_tasks():
    assert CH05 == ["5.1", "5.2", "5.3", "5.4"]
    assert [task.id for task in ch05.TASKS] == CH05
    for task_id in CH05:
        task = TASKS[task_id]
        assert task.chapter == "05" and task.points > 0 and task.wants_function
        assert task.signature.startswith(task.title + "(") and task.try_it.startswith(task.title + "(")


def test_every_hint_is_exercised_by_a_mistake():
    used = {(task_id, key) for task_id, _, key in MISTAKES} | {(t, key) for t, _, _, _, key in CASE_MISTAKES}
    declared = {(task_id, key) for task_id, hints in HINTS.items() for key in hints}
    assert declared == used


def test_cases_show_each_mistake():
    # 5.1: N, D, H all different first
    x, W, _ = ch05.bias_cases()[0]
    assert len({x.shape[0], *W.shape}) == 3
    # 5.2: a missing 1 / N shows (N > 1); logits near +-1000 with a row far below the batch's maximum;
    # a true class whose probability underflows
    cases = ch05.softmax_cases()
    assert all(len(z) > 1 for z, _ in cases)
    assert any(np.abs(z).max() >= 1000 and ch05._rows_far_below_the_maximum(z).any() for z, _ in cases)
    assert any(ch05._true_class_underflows(z, y) for z, y in cases)
    # 5.3: non-square first (N, D, H, C all different), then all square
    first = ch05.network_cases()[0]
    assert len({len(first[1]), *first[0]["W1"].shape, first[0]["W2"].shape[1]}) == 4
    square = ch05.network_cases()[1]
    assert square[0]["W1"].shape == square[0]["W2"].shape == (3, 3) and len(square[1]) == 3
    # 5.4: a batch size that does not divide N, so a dropped last batch shows
    assert any(len(c[1]) % c[4] != 0 for c in ch05.sgd_cases())


def _network_flat(case):
    return np.concatenate([g.ravel() for g in ch05.reference_mlp_loss_and_grads(*case)[1].values()])


@pytest.mark.parametrize(
    ("variants", "cases", "right"),
    [
        (ch05.DZ_VARIANTS, ch05.softmax_cases, lambda case: ch05.reference_softmax_cross_entropy(*case)[1]),
        (ch05.LOSS_VARIANTS, ch05.softmax_cases, lambda case: ch05.reference_softmax_cross_entropy(*case)[0]),
        (ch05.NETWORK_VARIANTS, ch05.network_cases, _network_flat),
    ],
    ids=["5.2-dz", "5.2-loss", "5.3"],
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


def test_every_sgd_mistake_changes_the_parameters():
    for variant in ch05.SGD_VARIANTS:
        differs = False
        for case in ch05.sgd_cases():
            expected = ch05._flat_params(ch05.reference_sgd_epoch(*case)[0])
            differs |= not np.allclose(ch05._flat_params(variant.compute(*case)[0]), expected, rtol=1e-7)
        assert differs, variant.detail


def test_references_match_centered_differences():
    for params, x, y in ch05.network_cases():
        params = {name: value.copy() for name, value in params.items()}
        _, grads = ch05.reference_mlp_loss_and_grads(params, x, y)
        def loss(params=params, x=x, y=y):
            return ch05.reference_mlp_loss_and_grads(params, x, y)[0]

        result = gradcheck.check_gradient_params(loss, params, grads)
        assert result.passed, str(result)
    z, y = ch05.softmax_cases()[0]
    _, dz = ch05.reference_softmax_cross_entropy(z, y)
    result = gradcheck.check_gradient(lambda z_: ch05.reference_softmax_cross_entropy(z_, y)[0], z, dz)
    assert result.passed, str(result)


def test_reference_sgd_epoch_steps_once_per_batch_from_the_updated_parameters():
    params, x, y, lr, batch_size = ch05.sgd_cases()[0]
    new, batch_losses = ch05.reference_sgd_epoch(params, x, y, lr, batch_size)
    assert len(batch_losses) == math.ceil(len(x) / batch_size)
    p = {name: value.copy() for name, value in params.items()}
    for k, start in enumerate(range(0, len(x), batch_size)):
        loss, grads = ch05.reference_mlp_loss_and_grads(p, x[start:start + batch_size], y[start:start + batch_size])
        assert loss == batch_losses[k]
        for name in p:
            p[name] -= lr * grads[name]
    for name in p:
        np.testing.assert_allclose(new[name], p[name], rtol=1e-14, atol=1e-15)
    assert all(np.array_equal(params[name], ch05.sgd_cases()[0][0][name]) for name in params)  # input untouched


# ---- verdicts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", CH05)
def test_reference_passes(task_id, capsys):
    verdict = check(task_id, REFERENCE[task_id])
    out = capsys.readouterr().out
    assert verdict.status == "passed", out
    assert verdict.points == TASKS[task_id].points == verdict.max_points
    assert out == f"Exercise {task_id} ({TASKS[task_id].title}): passed\n"


def test_other_right_answers_pass():
    def softmax_cross_entropy_with_bplib(z, y):
        from bplib.losses import softmax_cross_entropy_loss

        return softmax_cross_entropy_loss(z, y)

    def sgd_epoch_in_place(params, x, y, lr, batch_size, loss_and_grads):
        losses = []
        for start in range(0, len(x), batch_size):
            loss, grads = loss_and_grads(params, x[start:start + batch_size], y[start:start + batch_size])
            losses.append(loss)
            for name in params:
                params[name] -= lr * grads[name]
        return params, np.array(losses)

    assert run_task("5.2", softmax_cross_entropy_with_bplib).passed
    assert run_task("5.2", lambda z, y: (np.array([softmax_cross_entropy(z, y)[0]]), softmax_cross_entropy(z, y)[1]))
    assert run_task("5.4", sgd_epoch_in_place).passed


@pytest.mark.parametrize("task_id", CH05)
def test_untouched_stub_is_not_implemented(task_id, capsys):
    verdict = check(task_id, _not_implemented)
    out = capsys.readouterr().out
    assert verdict.status == "not implemented" and verdict.points == 0
    assert out.startswith(f"Exercise {task_id} ({TASKS[task_id].title}): not implemented yet")


def test_network_built_on_an_unfinished_softmax_is_not_implemented():
    def mlp_loss_and_grads_using_stub(params, x, y):
        return _not_implemented(x @ params["W1"])

    assert run_task("5.3", mlp_loss_and_grads_using_stub).status == "not implemented"


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
    verdict = run_task("5.3", _mlp(W2_of=lambda W2: W2))
    assert "ValueError" in verdict.detail and "W2 (6, 3)" in verdict.detail and "x (5, 4)" in verdict.detail


def test_overflow_is_reported_with_numpys_warning():
    verdict = run_task("5.2", _softmax_ce(shift="none"))
    assert "overflow" in verdict.detail and "z (3, 4)" in verdict.detail


@pytest.mark.parametrize("task_id", CH05)
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
    lambda *args: (1.0, {"W1": "a", "b1": 0, "W2": 0, "b2": 0}),
    lambda *args: ({"W1": "a", "b1": 0, "W2": 0, "b2": 0}, [1.0]),
    lambda *args: (Value(1.0), Value(2.0)),
    lambda *args: (np.array([1 + 2j]), np.array([1.0])),
    lambda *args: ([[1.0], [2.0, 3.0]], [1.0]),
    lambda *args: (float("nan"), np.full((3, 3), np.nan)),
    lambda *args: 1 / 0,
    lambda: 0.0,
]


@pytest.mark.parametrize("task_id", CH05)
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
    verdict = run_task("5.4", lambda params, x, y, lr: ({}, []))
    assert verdict.status == "wrong" and "sgd_epoch(params, x, y, lr, batch_size, loss_and_grads)" in verdict.hint
