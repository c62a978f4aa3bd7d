"""Tests for bplib.rnn: the vanilla RNN step and sequence, full, truncated and windowed BPTT, clipping.

CharRNN is tested in test_models.py, the gradient-through-time probe in test_memory_probes.py."""

from __future__ import annotations

import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

from bplib import rnn
from bplib.gradcheck import check_gradient
from bplib.rnn import (
    RNNCache,
    RNNStepCache,
    clip_by_norm,
    clip_by_value,
    global_norm,
    rnn_backward,
    rnn_chunked_bptt,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

TOL = 1e-7
EXACT = 1e-10  # two computations of the same gradient in different orders of summation
SEQUENCE_SIZES = [(1, 1, 1, 1), (2, 3, 4, 5), (3, 6, 2, 4), (1, 8, 3, 3)]  # (N, T, D, H)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def assert_passes(result):
    assert result.passed, str(result)
    assert result.max_rel_error < TOL, str(result)


def weights(D: int, H: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights of a size that keeps tanh out of saturation, so every gradient entry is sizeable."""
    Wx = rng.normal(0.0, 0.8 / np.sqrt(D), size=(D, H))
    Wh = rng.normal(0.0, 0.8 / np.sqrt(H), size=(H, H))
    b = rng.normal(0.0, 0.2, size=H)
    return Wx, Wh, b


def sequence_case(N: int, T: int, D: int, H: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(0.0, 0.5, size=(N, H))
    Wx, Wh, b = weights(D, H, rng)
    dh = rng.normal(size=(N, T, H))  # a random upstream gradient on every h_t
    return x, h0, Wx, Wh, b, dh


def max_abs_difference(a, b) -> float:
    return max(float(np.max(np.abs(np.asarray(p) - np.asarray(q)))) for p, q in zip(a, b, strict=True))


# ---- one step ------------------------------------------------------------------------------------


def test_step_forward_is_tanh_of_x_Wx_plus_h_Wh_plus_b_entry_by_entry():
    rng = np.random.default_rng(1)
    N, D, H = 2, 3, 4
    x_t, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    Wx, Wh, b = weights(D, H, rng)
    h_next, cache = rnn_step_forward(x_t, h_prev, Wx, Wh, b)
    expected = [
        [np.tanh(sum(x_t[n, d] * Wx[d, j] for d in range(D)) + sum(h_prev[n, i] * Wh[i, j] for i in range(H)) + b[j])
         for j in range(H)]
        for n in range(N)
    ]  # fmt: skip
    assert h_next.shape == (N, H)
    assert np.allclose(h_next, expected, rtol=1e-13, atol=1e-14)
    assert isinstance(cache, RNNStepCache) and RNNStepCache._fields == ("x_t", "h_prev", "Wx", "Wh", "h_next")
    assert cache.h_next is h_next


@pytest.mark.parametrize(("N", "D", "H"), [(1, 1, 1), (2, 3, 4), (5, 2, 3)])
def test_step_backward_matches_centered_differences_for_every_input(N, D, H):
    rng = np.random.default_rng(10 * N + D + H)
    x_t, h_prev = rng.normal(size=(N, D)), rng.normal(0.0, 0.5, size=(N, H))
    Wx, Wh, b = weights(D, H, rng)
    dh_next = rng.normal(size=(N, H))
    _, cache = rnn_step_forward(x_t, h_prev, Wx, Wh, b)
    dx_t, dh_prev, dWx, dWh, db = rnn_step_backward(dh_next, cache)
    args = {"x_t": x_t, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "b": b}
    for name, analytic in zip(args, (dx_t, dh_prev, dWx, dWh, db), strict=True):

        def f(value, name=name):
            return np.sum(rnn_step_forward(**{**args, name: value})[0] * dh_next)

        assert_passes(check_gradient(f, args[name], analytic))


def test_step_backward_returns_gradients_in_the_order_of_forward_inputs():
    N, D, H = 2, 3, 4  # all different: a swapped gradient has the wrong shape
    rng = np.random.default_rng(2)
    _, cache = rnn_step_forward(rng.normal(size=(N, D)), rng.normal(size=(N, H)), *weights(D, H, rng))
    grads = rnn_step_backward(np.ones((N, H)), cache)
    assert [g.shape for g in grads] == [(N, D), (N, H), (D, H), (H, H), (H,)]


# ---- whole sequences -----------------------------------------------------------------------------


def test_rnn_forward_is_the_step_repeated_over_time():
    x, h0, Wx, Wh, b, _ = sequence_case(3, 5, 2, 4)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    h_t = h0
    for t in range(5):
        h_t, _ = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)
        assert np.array_equal(h[:, t], h_t)
    assert isinstance(cache, RNNCache) and RNNCache._fields == ("x", "h0", "Wx", "Wh", "h")
    assert cache.h is h


@pytest.mark.parametrize(("N", "T", "D", "H"), SEQUENCE_SIZES)
def test_rnn_backward_matches_centered_differences_for_every_input(N, T, D, H):
    x, h0, Wx, Wh, b, dh = sequence_case(N, T, D, H, seed=N + 10 * T + 100 * D + 1000 * H)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    grads = rnn_backward(dh, cache)
    args = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}
    assert [g.shape for g in grads] == [a.shape for a in args.values()]
    for name, analytic in zip(args, grads, strict=True):

        def f(value, name=name):
            return np.sum(rnn_forward(**{**args, name: value})[0] * dh)

        assert_passes(check_gradient(f, args[name], analytic))


def test_rnn_functions_leave_their_inputs_unchanged():
    arrays = sequence_case(2, 4, 3, 5)
    copies = [a.copy() for a in arrays]
    x, h0, Wx, Wh, b, dh = arrays
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    rnn_backward(dh, cache)
    rnn_backward(dh, cache, truncate=2)
    for before, after in zip(copies, arrays, strict=True):
        assert np.array_equal(before, after)


# ---- truncated BPTT --------------------------------------------------------------------------------


def per_term_truncated_reference(x, h0, Wx, Wh, b, dh, k):
    """TBPTT(k) the slow, obvious way: each loss term walks back its own k steps with rnn_step_backward.

    The steps are recomputed with rnn_step_forward, so nothing is shared with rnn_backward.
    """
    N, T, _ = x.shape
    step_caches, h_t = [], h0
    for t in range(T):
        h_t, cache = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)
        step_caches.append(cache)
    dx, dh0 = np.zeros_like(x), np.zeros_like(h0)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    for t in range(T):  # the loss term of step t
        g = dh[:, t]
        for s in range(t, max(t - k, -1), -1):  # steps t, t-1, ..., t-k+1 (not below 0)
            dx_s, g, dWx_s, dWh_s, db_s = rnn_step_backward(g, step_caches[s])
            dx[:, s] += dx_s
            dWx += dWx_s
            dWh += dWh_s
            db += db_s
            if s == 0:
                dh0 += g  # reached the initial state, which is never cut
    return dx, dh0, dWx, dWh, db


def truncated_objective(x, h0, Wx, Wh, b, dh, k, h_fixed):
    """sum_t dh_t . h_t, where for term t the state h_{t-k} is the constant h_fixed[:, t-k] (if t-k >= 0)."""
    T = x.shape[1]
    total = 0.0
    for t in range(T):
        first = t - k + 1
        h_t = h0 if first <= 0 else h_fixed[:, first - 1]
        for s in range(max(first, 0), t + 1):
            h_t = np.tanh(x[:, s] @ Wx + h_t @ Wh + b)
        total += float(np.sum(dh[:, t] * h_t))
    return total


@pytest.mark.parametrize(("N", "T", "D", "H"), [(2, 6, 3, 4), (1, 9, 2, 3), (3, 4, 1, 2)])
def test_truncated_backward_equals_per_term_walks_of_k_steps(N, T, D, H):
    x, h0, Wx, Wh, b, dh = sequence_case(N, T, D, H, seed=7 * T + H)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    full = rnn_backward(dh, cache)
    for k in range(1, T + 3):
        truncated = rnn_backward(dh, cache, truncate=k)
        assert max_abs_difference(truncated, per_term_truncated_reference(x, h0, Wx, Wh, b, dh, k)) < EXACT, k
        if k < T:  # a real truncation changes the recurrent weight's gradient
            assert np.max(np.abs(truncated[3] - full[3])) > 1e-3, k


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_truncated_backward_is_the_gradient_of_the_truncated_objective(k):
    x, h0, Wx, Wh, b, dh = sequence_case(2, 5, 3, 4, seed=40 + k)
    h_fixed, cache = rnn_forward(x, h0, Wx, Wh, b)  # the cut states are constants at these values
    grads = rnn_backward(dh, cache, truncate=k)
    args = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}
    for name, analytic in zip(args, grads, strict=True):

        def objective(value, name=name):
            return truncated_objective(**{**args, name: value}, dh=dh, k=k, h_fixed=h_fixed)

        assert_passes(check_gradient(objective, args[name], analytic))


@pytest.mark.parametrize("T", [1, 2, 7])
def test_truncation_of_T_or_more_steps_is_full_bptt(T):
    x, h0, Wx, Wh, b, dh = sequence_case(2, T, 3, 4, seed=T)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    full = rnn_backward(dh, cache)
    for k in (T, T + 1, 10 * T):
        assert max_abs_difference(rnn_backward(dh, cache, truncate=k), full) < EXACT


def test_truncation_to_one_step_carries_nothing_between_steps():
    x, h0, Wx, Wh, b, dh = sequence_case(2, 6, 3, 4, seed=3)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache, truncate=1)
    # every step on its own, with only its own upstream gradient
    h_prev = np.concatenate([h0[:, None], cache.h[:, :-1]], axis=1)  # (N, T, H): h_{t-1}
    dz = dh * (1.0 - cache.h**2)  # (N, T, H)
    assert np.allclose(dx, dz @ Wx.T, rtol=0, atol=EXACT)
    assert np.allclose(dWx, np.einsum("ntd,nth->dh", x, dz), rtol=0, atol=EXACT)
    assert np.allclose(dWh, np.einsum("nti,nth->ih", h_prev, dz), rtol=0, atol=EXACT)
    assert np.allclose(db, dz.sum(axis=(0, 1)), rtol=0, atol=EXACT)
    assert np.allclose(dh0, dz[:, 0] @ Wh.T, rtol=0, atol=EXACT)  # step 0's own term reaches h0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_truncate_must_be_a_positive_whole_number(bad):
    x, h0, Wx, Wh, b, dh = sequence_case(1, 3, 2, 2)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="truncate: expected a positive whole number"):
        rnn_backward(dh, cache, truncate=bad)


# ---- chunked truncated BPTT ------------------------------------------------------------------------


def projection_head(R):
    """A head whose loss is sum(h_window * R_window): dh_window is R_window itself."""

    def head(h_window, start):
        R_window = R[:, start : start + h_window.shape[1]]
        return float(np.sum(h_window * R_window)), R_window

    return head


@pytest.mark.parametrize(("T", "window"), [(7, 3), (6, 2), (5, 5), (4, 1), (3, 8)])
def test_chunked_bptt_is_the_gradient_with_window_starts_held_fixed(T, window):
    x, h0, Wx, Wh, b, R = sequence_case(2, T, 3, 4, seed=T * window)
    loss, grads, h_last = rnn_chunked_bptt(x, h0, Wx, Wh, b, window, projection_head(R))
    h_all, _ = rnn_forward(x, h0, Wx, Wh, b)
    assert np.allclose(h_last, h_all[:, -1], rtol=0, atol=1e-14)  # the forward pass is not changed
    assert np.isclose(loss, np.sum(h_all * R), rtol=1e-12)

    def objective(**overrides):
        args = {"Wx": Wx, "Wh": Wh, "b": b, **overrides}
        total = 0.0
        for start in range(0, T, window):
            h_start = h0 if start == 0 else h_all[:, start - 1]  # a constant from the unperturbed run
            h, _ = rnn_forward(x[:, start : start + window], h_start, args["Wx"], args["Wh"], args["b"])
            total += float(np.sum(h * R[:, start : start + window]))
        return total

    for name, value in (("Wx", Wx), ("Wh", Wh), ("b", b)):
        assert_passes(check_gradient(lambda v, name=name: objective(**{name: v}), value, grads[name]))
    # one window covering everything is full BPTT
    _, full_grads, _ = rnn_chunked_bptt(x, h0, Wx, Wh, b, T, projection_head(R))
    _, _, dWx, dWh, db = rnn_backward(R, rnn_forward(x, h0, Wx, Wh, b)[1])
    assert max_abs_difference([full_grads["Wx"], full_grads["Wh"], full_grads["b"]], [dWx, dWh, db]) < EXACT


def cache_bytes(cache) -> int:
    return sum(a.nbytes for a in cache if isinstance(a, np.ndarray))


@pytest.mark.parametrize("T", [40, 400])
def test_chunked_bptt_keeps_only_the_current_window_cache(T):
    window, (x, h0, Wx, Wh, b, R) = 10, sequence_case(2, T, 3, 4, seed=5)
    seen = []  # per window: bytes cached, and how many earlier windows' caches are still alive

    def on_window(start, cache):
        seen.append((cache_bytes(cache), sum(ref() is not None for ref in refs)))
        refs.append(weakref.ref(cache.h))

    refs = []
    rnn_chunked_bptt(x, h0, Wx, Wh, b, window, projection_head(R), on_window=on_window)
    assert len(seen) == T // window
    N, H, D = 2, 4, 3
    per_window = 8 * (N * window * D + N * H + D * H + H * H + N * window * H)  # x, h0, Wx, Wh, h
    assert all(size == per_window for size, _ in seen)  # the same for T = 40 and T = 400
    assert all(alive == 0 for _, alive in seen)


def traced_peak(function) -> int:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def chunked_peak(x, h0, Wx, Wh, b, R, window) -> int:
    return traced_peak(lambda: rnn_chunked_bptt(x, h0, Wx, Wh, b, window, projection_head(R)))


def full_peak(x, h0, Wx, Wh, b, R) -> int:
    return traced_peak(lambda: rnn_backward(R, rnn_forward(x, h0, Wx, Wh, b)[1]))


def test_chunked_bptt_peak_memory_grows_with_the_window_not_the_sequence():
    N, D, H = 4, 64, 16  # a wide x: even a 1-byte-per-entry temporary of all of x would show
    peaks = {}
    for T in (100, 1600):
        x, h0, Wx, Wh, b, R = sequence_case(N, T, D, H, seed=T)
        peaks["chunked", T] = chunked_peak(x, h0, Wx, Wh, b, R, window=10)
        peaks["full", T] = full_peak(x, h0, Wx, Wh, b, R)
    peaks["chunked, window 80", 1600] = chunked_peak(x, h0, Wx, Wh, b, R, window=80)
    assert peaks["chunked", 1600] < 1.1 * peaks["chunked", 100], peaks
    assert peaks["chunked, window 80", 1600] > 2.5 * peaks["chunked", 1600], peaks  # it grows with the window
    assert peaks["full", 1600] > 10 * peaks["full", 100], peaks  # the contrast: full BPTT stores all T steps
    assert peaks["chunked", 1600] < peaks["full", 1600] / 20, peaks


def test_chunked_bptt_rejects_bad_windows_and_heads():
    x, h0, Wx, Wh, b, R = sequence_case(1, 4, 2, 3)
    with pytest.raises(ValueError, match="window: expected a positive whole number"):
        rnn_chunked_bptt(x, h0, Wx, Wh, b, 0, projection_head(R))
    with pytest.raises(ValueError, match="head: expected a function"):
        rnn_chunked_bptt(x, h0, Wx, Wh, b, 2, None)
    with pytest.raises(ValueError, match=r"head: expected it to return \(loss, dh_window\)"):
        rnn_chunked_bptt(x, h0, Wx, Wh, b, 2, lambda h, start: 1.0)
    with pytest.raises(ValueError, match=r"dh .*\(1, 2, 3\).*\(1, 2, 2\)"):
        rnn_chunked_bptt(x, h0, Wx, Wh, b, 2, lambda h, start: (1.0, np.ones((1, 2, 2))))
    x[0, 3, 1] = np.nan  # in the second window: each window is checked as it is reached
    with pytest.raises(ValueError, match="x: expected finite numbers"):
        rnn_chunked_bptt(x, h0, Wx, Wh, b, 2, projection_head(R))


# ---- clipping -----------------------------------------------------------------------------------------


def grads_case():
    rng = np.random.default_rng(6)
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4), "c": np.array(2.0)}


def test_clip_by_norm_rescales_to_exactly_max_norm_when_above():
    grads = grads_case()
    copies = {k: g.copy() for k, g in grads.items()}
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    clipped, total = clip_by_norm(grads, norm / 3)
    assert total == pytest.approx(norm, rel=1e-14) and global_norm(grads) == pytest.approx(norm, rel=1e-14)
    assert global_norm(clipped) == pytest.approx(norm / 3, rel=1e-13)
    for k in grads:
        assert np.allclose(clipped[k], grads[k] / 3, rtol=1e-14, atol=0)  # same direction
        assert np.array_equal(grads[k], copies[k])  # the input is never modified
        assert clipped[k] is not grads[k]


def test_clip_by_norm_leaves_small_gradients_unchanged_as_new_arrays():
    grads = grads_case()
    norm = global_norm(grads)
    for max_norm in (norm * 1.0001, norm * 10):
        clipped, total = clip_by_norm(grads, max_norm)
        assert total == pytest.approx(norm, rel=1e-14)
        for k in grads:
            assert np.array_equal(clipped[k], grads[k]) and clipped[k] is not grads[k]
    assert clip_by_norm({}, 1.0) == ({}, 0.0)


def test_clip_by_value_clips_each_entry_and_copies():
    grads = {"W": np.array([[-3.0, -0.5], [0.2, 7.0]]), "b": np.array([1.0, -1.0])}
    copies = {k: g.copy() for k, g in grads.items()}
    clipped = clip_by_value(grads, 1.0)
    assert np.array_equal(clipped["W"], [[-1.0, -0.5], [0.2, 1.0]])
    assert np.array_equal(clipped["b"], [1.0, -1.0]) and clipped["b"] is not grads["b"]
    for k in grads:
        assert np.array_equal(grads[k], copies[k])


@pytest.mark.parametrize("function", [clip_by_norm, clip_by_value])
def test_clipping_rejects_bad_limits_and_gradients(function):
    for bad in (0, -1.0, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="expected a finite number > 0"):
            function({"W": np.ones(2)}, bad)
    with pytest.raises(ValueError, match="grads: expected a dict"):
        function([np.ones(2)], 1.0)
    with pytest.raises(ValueError, match=r"grads\['W'\]: expected finite numbers"):
        function({"W": np.array([1.0, np.nan])}, 1.0)


# ---- bad input to the step and sequence functions --------------------------------------------------


def test_step_and_sequence_functions_name_the_shapes_they_expected():
    rng = np.random.default_rng(0)
    Wx, Wh, b = weights(3, 4, rng)
    x_t, h_prev, x = np.ones((2, 3)), np.zeros((2, 4)), np.ones((2, 5, 3))
    cases = [
        (lambda: rnn_step_forward(np.ones((2, 2)), h_prev, Wx, Wh, b), r"x_t: .*\(N, D\) = \(N, 3\).*\(2, 2\)"),
        (lambda: rnn_step_forward(x_t, np.zeros((3, 4)), Wx, Wh, b), r"h_prev: .*\(2, 4\).*\(3, 4\)"),
        (lambda: rnn_step_forward(x_t, h_prev, Wx, np.ones((4, 3)), b), r"Wh: .*\(4, 4\).*\(4, 3\)"),
        (lambda: rnn_step_forward(x_t, h_prev, np.ones(3), Wh, b), r"Wx: .*\(D, H\).*\(3,\)"),
        (lambda: rnn_step_forward(x_t, h_prev, Wx, Wh, np.zeros(3)), r"b: expected shape \(4,\)"),
        (lambda: rnn_step_forward(x_t, h_prev, Wx, Wh, [np.nan] * 4), "b: expected finite numbers"),
        (lambda: rnn_forward(np.ones((5, 3)), h_prev, Wx, Wh, b), r"x: .*\(N, T, D\).*x.reshape\(1, T, D\)"),
        (lambda: rnn_forward(np.ones((2, 0, 3)), h_prev, Wx, Wh, b), r"x: .*N, T >= 1"),
        (lambda: rnn_forward(x, np.zeros(4), Wx, Wh, b), r"h0: .*\(2, 4\).*h0.reshape\(1, -1\)"),
        (lambda: rnn_forward("x", h_prev, Wx, Wh, b), "x: expected a real number"),
    ]
    for call, fragment in cases:
        with pytest.raises(ValueError, match=fragment):
            call()


def test_backward_functions_check_the_upstream_gradient_and_the_cache():
    rng = np.random.default_rng(0)
    Wx, Wh, b = weights(3, 4, rng)
    _, step_cache = rnn_step_forward(np.ones((2, 3)), np.zeros((2, 4)), Wx, Wh, b)
    _, cache = rnn_forward(np.ones((2, 5, 3)), np.zeros((2, 4)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh_next .*\(2, 4\).*\(4, 2\)"):
        rnn_step_backward(np.ones((4, 2)), step_cache)
    with pytest.raises(ValueError, match=r"dh .*\(2, 5, 4\).*\(2, 4\)"):
        rnn_backward(np.ones((2, 4)), cache)
    with pytest.raises(ValueError, match="cache: expected the RNNStepCache that rnn_step_forward returned"):
        rnn_step_backward(np.ones((2, 4)), cache)
    with pytest.raises(ValueError, match="cache: expected the RNNCache that rnn_forward returned"):
        rnn_backward(cache, np.ones((2, 5, 4)))  # arguments swapped
    with pytest.raises(ValueError, match="dh: expected finite numbers"):
        rnn_backward(np.full((2, 5, 4), np.nan), cache)


def test_public_names_are_exported():
    for name in rnn.__all__:
        assert hasattr(rnn, name), name
