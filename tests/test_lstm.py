"""Tests for bplib.lstm: the LSTM step, BPTT (full and truncated), the gates, the initialisation.

LSTMClassifier is tested in test_models.py, the cell-path probes in test_memory_probes.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bplib import activations as act
from bplib import lstm
from bplib.gradcheck import check_gradient, check_gradient_params
from bplib.lstm import (
    GATES,
    PARAM_NAMES,
    LSTMCache,
    LSTMStepCache,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_gates,
    lstm_step_backward,
    lstm_step_forward,
)

TOL = 1e-7
STEP_SHAPES = [(1, 1, 1), (2, 3, 4), (4, 5, 2)]  # (N, D, H)
SEQUENCE_SHAPES = [(1, 1, 1, 1), (2, 4, 3, 2), (3, 6, 2, 4)]  # (N, T, D, H)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def assert_passes(result):
    """A gradient check passed, judged both by the checker's verdict and by its reported error."""
    assert result.passed, str(result)
    assert result.max_rel_error < TOL, str(result)


def random_params(D: int, H: int, rng, scale: float = 0.7) -> dict[str, np.ndarray]:
    """Parameters with random biases too (init_lstm_params zeroes most biases, which could hide a bias bug)."""
    return {
        name: rng.normal(0.0, scale, size=(D, H) if name[0] == "W" else (H, H) if name[0] == "U" else (H,))
        for name in PARAM_NAMES
    }


def step_case(N: int, D: int, H: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = random_params(D, H, rng)
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh_next, dc_next = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return params, x_t, h_prev, c_prev, dh_next, dc_next


def sequence_case(N: int, T: int, D: int, H: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = random_params(D, H, rng)
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh = rng.normal(size=(N, T, H))
    return params, x, h0, c0, dh


# ---- one step: values ------------------------------------------------------------------------


def test_step_forward_computes_the_four_gates_cell_and_hidden_state_as_written():
    params, x_t, h_prev, c_prev, _, _ = step_case(3, 4, 5)
    h_next, c_next, cache = lstm_step_forward(x_t, h_prev, c_prev, params)

    def z(gate):
        return x_t @ params[f"W_{gate}"] + h_prev @ params[f"U_{gate}"] + params[f"b_{gate}"]

    f, i, o = act.sigmoid(z("f")), act.sigmoid(z("i")), act.sigmoid(z("o"))
    g = act.tanh(z("g"))
    c = f * c_prev + i * g
    for name, expected in {"f": f, "i": i, "g": g, "o": o, "c": c, "tanh_c": np.tanh(c)}.items():
        np.testing.assert_allclose(getattr(cache, name), expected, rtol=1e-14, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(c_next, c, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(h_next, o * np.tanh(c), rtol=1e-14, atol=1e-15)
    assert h_next.shape == c_next.shape == (3, 5)


def test_step_cache_is_a_named_tuple_with_the_gates_as_fields():
    params, x_t, h_prev, c_prev, _, _ = step_case(2, 3, 4)
    _, _, cache = lstm_step_forward(x_t, h_prev, c_prev, params)
    assert isinstance(cache, LSTMStepCache)
    assert LSTMStepCache._fields == ("x", "h_prev", "c_prev", "f", "i", "g", "o", "c", "tanh_c", "h", "params")
    assert np.array_equal(cache.x, x_t) and np.array_equal(cache.c_prev, c_prev)


def test_gate_and_param_names():
    assert GATES == ("f", "i", "g", "o")
    assert set(PARAM_NAMES) == {f"{kind}_{gate}" for kind in "WUb" for gate in GATES} and len(PARAM_NAMES) == 12


# ---- one step: gradients ---------------------------------------------------------------------


@pytest.mark.parametrize(("N", "D", "H"), STEP_SHAPES)
def test_step_backward_matches_centered_differences_for_every_output(N, D, H):
    params, x_t, h_prev, c_prev, dh_next, dc_next = step_case(N, D, H, seed=100 * N + 10 * D + H)
    _, _, cache = lstm_step_forward(x_t, h_prev, c_prev, params)
    dx_t, dh_prev, dc_prev, dparams = lstm_step_backward(dh_next, dc_next, cache)

    def loss(x_, h_, c_, p_):
        """The scalar whose gradient backward computes: sum(h_next * dh_next) + sum(c_next * dc_next)."""
        h_next, c_next, _ = lstm_step_forward(x_, h_, c_, p_)
        return np.sum(h_next * dh_next) + np.sum(c_next * dc_next)

    assert_passes(check_gradient(lambda x_: loss(x_, h_prev, c_prev, params), x_t, dx_t))
    assert_passes(check_gradient(lambda h_: loss(x_t, h_, c_prev, params), h_prev, dh_prev))
    assert_passes(check_gradient(lambda c_: loss(x_t, h_prev, c_, params), c_prev, dc_prev))
    assert_passes(check_gradient_params(lambda: loss(x_t, h_prev, c_prev, params), params, dparams))


@pytest.mark.parametrize("only", ["h", "c"])
def test_step_backward_matches_centered_differences_with_gradient_on_one_output_only(only):
    params, x_t, h_prev, c_prev, dh_next, dc_next = step_case(3, 2, 4, seed=7)
    dh_next = dh_next if only == "h" else np.zeros_like(dh_next)
    dc_next = dc_next if only == "c" else np.zeros_like(dc_next)
    _, _, cache = lstm_step_forward(x_t, h_prev, c_prev, params)
    dx_t, dh_prev, dc_prev, dparams = lstm_step_backward(dh_next, dc_next, cache)
    everything = {"x": x_t, "h": h_prev, "c": c_prev, **params}
    analytic = {"x": dx_t, "h": dh_prev, "c": dc_prev, **dparams}

    def loss():
        h_next, c_next, _ = lstm_step_forward(everything["x"], everything["h"], everything["c"], params)
        return np.sum(h_next * dh_next) + np.sum(c_next * dc_next)

    assert_passes(check_gradient_params(loss, everything, analytic))


def test_step_backward_returns_inputs_gradients_in_forward_order_with_param_shapes():
    N, D, H = 2, 3, 5
    params, x_t, h_prev, c_prev, dh_next, dc_next = step_case(N, D, H)
    _, _, cache = lstm_step_forward(x_t, h_prev, c_prev, params)
    grads = lstm_step_backward(dh_next, dc_next, cache)
    assert isinstance(grads, tuple) and len(grads) == 4
    dx_t, dh_prev, dc_prev, dparams = grads
    assert (dx_t.shape, dh_prev.shape, dc_prev.shape) == ((N, D), (N, H), (N, H))
    assert list(dparams) == list(PARAM_NAMES)
    assert all(dparams[name].shape == params[name].shape for name in PARAM_NAMES)


def test_cell_state_identity_dc_prev_is_dc_times_f_when_only_the_cell_path_carries_gradient():
    params, x_t, h_prev, c_prev, _, dc_next = step_case(4, 3, 5, seed=3)
    _, _, cache = lstm_step_forward(x_t, h_prev, c_prev, params)
    # dh_next = 0 cuts the h path (and with it the output gate): only c_t -> c_{t-1} remains
    _, _, dc_prev, dparams = lstm_step_backward(np.zeros_like(dc_next), dc_next, cache)
    assert np.array_equal(dc_prev, dc_next * cache.f)
    for name in ("W_o", "U_o", "b_o"):
        assert np.array_equal(dparams[name], np.zeros_like(params[name]))  # the output gate got nothing
    assert np.any(dparams["W_f"] != 0)  # but the forget gate did: dc reaches f through c = f * c_prev + ...


def test_cell_gradient_adds_the_path_through_tanh_of_c():
    params, x_t, h_prev, c_prev, dh_next, dc_next = step_case(3, 2, 4, seed=5)
    _, _, cache = lstm_step_forward(x_t, h_prev, c_prev, params)
    _, _, dc_prev, _ = lstm_step_backward(dh_next, dc_next, cache)
    # dL/dc_t = dc_next + dh_next * o * tanh'(c_t); then one multiplication by f to reach c_{t-1}
    expected = (dc_next + dh_next * cache.o * act.tanh_prime(cache.c)) * cache.f
    np.testing.assert_allclose(dc_prev, expected, rtol=1e-13, atol=1e-15)


# ---- a sequence: forward, gates ----------------------------------------------------------------


def test_lstm_forward_equals_the_steps_one_after_the_other():
    params, x, h0, c0, _ = sequence_case(2, 5, 3, 4)
    h, cache = lstm_forward(x, h0, c0, params)
    assert isinstance(cache, LSTMCache) and len(cache.steps) == 5 and h.shape == (2, 5, 4)
    h_t, c_t = h0, c0
    for t in range(5):
        h_t, c_t, _ = lstm_step_forward(x[:, t], h_t, c_t, params)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(cache.steps[-1].c, c_t, rtol=1e-14, atol=1e-15)


def test_lstm_forward_with_none_states_starts_from_zeros():
    params, x, _, _, _ = sequence_case(2, 3, 3, 4)
    h_none, _ = lstm_forward(x, None, None, params)
    h_zero, _ = lstm_forward(x, np.zeros((2, 4)), np.zeros((2, 4)), params)
    assert np.array_equal(h_none, h_zero)


def test_lstm_gates_have_shape_N_T_H_and_the_ranges_of_their_nonlinearities():
    N, T, D, H = 3, 7, 2, 5
    params, x, h0, c0, _ = sequence_case(N, T, D, H, seed=2)
    x = 4.0 * x  # large inputs spread the gates across their ranges
    h, cache = lstm_forward(x, h0, c0, params)
    gates = lstm_gates(cache)
    assert set(gates) == {"f", "i", "g", "o", "c", "h"}
    assert all(gates[name].shape == (N, T, H) for name in gates)
    for name in ("f", "i", "o"):
        assert np.all((gates[name] > 0) & (gates[name] < 1)), name
    assert np.all((gates["g"] > -1) & (gates["g"] < 1))
    assert gates["g"].min() < 0 < gates["g"].max()  # tanh, not a sigmoid
    assert np.array_equal(gates["h"], h)
    # and they are the values the step computed: c_t = f c_{t-1} + i g, h_t = o tanh(c_t)
    c_prev = np.concatenate([c0[:, None], gates["c"][:, :-1]], axis=1)  # (N, T, H)
    np.testing.assert_allclose(gates["c"], gates["f"] * c_prev + gates["i"] * gates["g"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gates["h"], gates["o"] * np.tanh(gates["c"]), rtol=1e-13, atol=1e-15)


# ---- a sequence: BPTT ------------------------------------------------------------------------


@pytest.mark.parametrize(("N", "T", "D", "H"), SEQUENCE_SHAPES)
def test_lstm_backward_matches_centered_differences_for_x_states_and_every_param(N, T, D, H):
    params, x, h0, c0, dh = sequence_case(N, T, D, H, seed=1000 * N + 100 * T + 10 * D + H)
    _, cache = lstm_forward(x, h0, c0, params)
    dx, dh0, dc0, dparams = lstm_backward(dh, cache)
    everything = {"x": x, "h0": h0, "c0": c0, **params}
    analytic = {"x": dx, "h0": dh0, "c0": dc0, **dparams}

    def loss():  # a loss on every h_t: the gradient reaches c through h = o tanh(c) and the cell path
        return np.sum(lstm_forward(everything["x"], everything["h0"], everything["c0"], params)[0] * dh)

    assert_passes(check_gradient_params(loss, everything, analytic))


def test_lstm_backward_sums_weight_gradients_over_time():
    params, x, h0, c0, dh = sequence_case(2, 5, 3, 4, seed=4)
    _, cache = lstm_forward(x, h0, c0, params)
    _, _, _, dparams = lstm_backward(dh, cache)
    # redo the walk with the step functions and check the total is the sum of the steps' shares
    total = {name: np.zeros_like(p) for name, p in params.items()}
    dh_carry, dc_carry = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(5)):
        _, dh_carry, dc_carry, share = lstm_step_backward(dh[:, t] + dh_carry, dc_carry, cache.steps[t])
        for name in total:
            total[name] += share[name]
    for name in PARAM_NAMES:
        np.testing.assert_allclose(dparams[name], total[name], rtol=1e-12, atol=1e-14, err_msg=name)


# ---- truncated BPTT --------------------------------------------------------------------------


def truncated_reference(params, x, h0, c0, dh, k):
    """Truncated BPTT by its definition, computed independently of lstm_backward's truncation code.

    For each step t, the loss term read at h_t (weight dh[:, t]) is
    recomputed by a fresh forward pass over the window of steps s .. t, s = max(0, t-k+1), that
    starts from the states before s as constants, and differentiated with full BPTT over that
    window. The terms' gradients are summed.
    """
    N, T, _ = x.shape
    _, cache = lstm_forward(x, h0, c0, params)
    states = [(h0, c0)] + [(step.h, step.c) for step in cache.steps]  # states[s] = before step s
    dx = np.zeros_like(x)
    dh0, dc0 = np.zeros_like(h0), np.zeros_like(c0)
    dparams = {name: np.zeros_like(p) for name, p in params.items()}
    for t in range(T):
        s = max(0, t - k + 1)
        h_start, c_start = (array.copy() for array in states[s])  # constants for this term
        _, window = lstm_forward(x[:, s : t + 1], h_start, c_start, params)
        dh_window = np.zeros((N, t + 1 - s, h0.shape[1]))
        dh_window[:, -1] = dh[:, t]
        dx_w, dh_s, dc_s, dp = lstm_backward(dh_window, window)
        dx[:, s : t + 1] += dx_w
        for name in dparams:
            dparams[name] += dp[name]
        if s == 0:
            dh0 += dh_s
            dc0 += dc_s
    return dx, dh0, dc0, dparams


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize(("N", "T", "D", "H"), [(2, 6, 3, 4), (1, 4, 2, 3)])
def test_truncated_bptt_equals_the_sum_of_windowed_full_gradients(N, T, D, H, k):
    params, x, h0, c0, dh = sequence_case(N, T, D, H, seed=31 + k)
    _, cache = lstm_forward(x, h0, c0, params)
    got = lstm_backward(dh, cache, truncate=k)
    expected = truncated_reference(params, x, h0, c0, dh, k)
    for name, a, b in zip(("dx", "dh0", "dc0"), got[:3], expected[:3], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(got[3][name], expected[3][name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_truncated_bptt_is_the_gradient_of_the_truncated_objective_by_centered_differences():
    # The truncated objective: each term h_t is recomputed from the states k steps back, held fixed
    # at their values under the original parameters. Its parameter gradient is what truncation returns.
    N, T, D, H, k = 2, 5, 2, 3, 2
    params, x, h0, c0, dh = sequence_case(N, T, D, H, seed=77)
    _, cache = lstm_forward(x, h0, c0, params)
    fixed_states = [(h0, c0)] + [(step.h.copy(), step.c.copy()) for step in cache.steps]
    _, _, _, dparams = lstm_backward(dh, cache, truncate=k)

    def truncated_objective():
        total = 0.0
        for t in range(T):
            s = max(0, t - k + 1)
            h, _ = lstm_forward(x[:, s : t + 1], *fixed_states[s], params)
            total += np.sum(h[:, -1] * dh[:, t])
        return total

    assert_passes(check_gradient_params(truncated_objective, params, dparams))
    # and it differs from the full gradient, or the test above could not fail
    _, _, _, full = lstm_backward(dh, cache)
    assert not np.allclose(full["U_f"], dparams["U_f"], rtol=1e-6, atol=0)


@pytest.mark.parametrize("k", [4, 5, 100])
def test_truncate_at_least_T_is_full_bptt(k):
    params, x, h0, c0, dh = sequence_case(2, 4, 3, 2, seed=12)
    _, cache = lstm_forward(x, h0, c0, params)
    full = lstm_backward(dh, cache)
    truncated = lstm_backward(dh, cache, truncate=k)
    for a, b in zip(full[:3], truncated[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(full[3][name], truncated[3][name])


def test_truncate_one_stops_every_term_at_its_own_step():
    params, x, h0, c0, dh = sequence_case(2, 4, 3, 2, seed=13)
    _, cache = lstm_forward(x, h0, c0, params)
    dx, dh0, dc0, dparams = lstm_backward(dh, cache, truncate=1)
    # each step backward sees only its own dh[:, t], with nothing carried from t+1
    expected = {name: np.zeros_like(p) for name, p in params.items()}
    for t in range(4):
        dx_t, dh_prev, dc_prev, share = lstm_step_backward(dh[:, t], np.zeros_like(h0), cache.steps[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-13, atol=1e-15)
        for name in expected:
            expected[name] += share[name]
        if t == 0:  # only the first term reaches the initial states
            np.testing.assert_allclose(dh0, dh_prev, rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(dc0, dc_prev, rtol=1e-13, atol=1e-15)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(dparams[name], expected[name], rtol=1e-12, atol=1e-14)


# ---- initialisation and the forget bias ------------------------------------------------------


def test_init_lstm_params_shapes_biases_and_determinism():
    D, H = 3, 5
    params = init_lstm_params(D, H, np.random.default_rng(0), forget_bias=1.5)
    assert list(params) == list(PARAM_NAMES)
    for gate in GATES:
        assert params[f"W_{gate}"].shape == (D, H) and params[f"U_{gate}"].shape == (H, H)
        assert np.array_equal(params[f"b_{gate}"], np.full(H, 1.5 if gate == "f" else 0.0))
    again = init_lstm_params(D, H, np.random.default_rng(0), forget_bias=1.5)
    assert all(np.array_equal(params[name], again[name]) for name in PARAM_NAMES)
    assert not np.array_equal(params["W_f"], params["W_i"])  # each gate draws its own weights


def test_init_lstm_params_uses_the_layers_init_std():
    big = init_lstm_params(200, 300, np.random.default_rng(1), init="xavier")
    assert np.std(big["W_g"]) == pytest.approx(np.sqrt(2 / (200 + 300)), rel=0.02)
    assert np.std(big["U_g"]) == pytest.approx(np.sqrt(2 / (300 + 300)), rel=0.02)
    he = init_lstm_params(200, 300, np.random.default_rng(1), init="he")
    assert np.std(he["W_o"]) == pytest.approx(np.sqrt(2 / 200), rel=0.02)


@pytest.mark.parametrize("forget_bias", [-1.0, 0.0, 1.0, 2.0])
def test_forget_bias_sets_the_forget_gate_to_sigmoid_of_it_for_zero_input(forget_bias):
    params = init_lstm_params(3, 4, np.random.default_rng(0), forget_bias=forget_bias)
    _, cache = lstm_forward(np.zeros((2, 3, 3)), None, None, params)
    f = lstm_gates(cache)["f"]
    # with x = 0 and h0 = 0 the first step's forget gate is exactly sigmoid(forget_bias)
    np.testing.assert_allclose(f[:, 0], act.sigmoid(forget_bias), rtol=1e-14)


def test_forget_bias_moves_the_initial_mean_forget_gate_as_documented():
    x = np.random.default_rng(9).normal(size=(16, 10, 4))
    means = []
    for forget_bias in (0.0, 1.0, 2.0):
        params = init_lstm_params(4, 8, np.random.default_rng(3), forget_bias=forget_bias)
        means.append(lstm_gates(lstm_forward(x, None, None, params)[1])["f"].mean())
    assert means[0] < means[1] < means[2]
    # the docstring's numbers: sigmoid(0) = 0.5, sigmoid(1) ~ 0.73; random inputs spread f around them
    assert means[0] == pytest.approx(0.5, abs=0.05)
    assert means[1] == pytest.approx(0.73, abs=0.05)


# ---- bad input -------------------------------------------------------------------------------


def test_step_forward_rejects_bad_shapes_and_values():
    params, x_t, h_prev, c_prev, _, _ = step_case(2, 3, 4)
    with pytest.raises(ValueError, match=r"^x_t: expected shape \(N, D\) = \(N, 3\) with N >= 1, got shape \(3,\)"):
        lstm_step_forward(x_t[0], h_prev, c_prev, params)
    with pytest.raises(ValueError, match=r"^h_prev: expected shape \(N, H\) = \(2, 4\), got shape \(3, 4\)"):
        lstm_step_forward(x_t, np.zeros((3, 4)), c_prev, params)
    with pytest.raises(ValueError, match=r"^c_prev: expected shape \(N, H\) = \(2, 4\), got shape \(2, 5\)"):
        lstm_step_forward(x_t, h_prev, np.zeros((2, 5)), params)
    with pytest.raises(ValueError, match=r"^x_t: expected finite numbers"):
        lstm_step_forward(np.full((2, 3), np.nan), h_prev, c_prev, params)
    with pytest.raises(ValueError, match=r"^params\['U_i'\] \(H, H\): expected shape \(4, 4\), got shape \(4, 3\)"):
        lstm_step_forward(x_t, h_prev, c_prev, {**params, "U_i": np.zeros((4, 3))})
    with pytest.raises(ValueError, match=r"^params: expected every W_<gate> to have the same shape \(D, H\), "
                                         r"got W_f \(2, 4\), W_i \(3, 4\)"):
        lstm_step_forward(x_t, h_prev, c_prev, {**params, "W_f": np.zeros((2, 4))})
    with pytest.raises(ValueError, match=r"^x_t: expected shape \(N, D\) = \(N, 3\) with N >= 1, got shape \(2, 2\)"):
        lstm_step_forward(x_t[:, :2], h_prev, c_prev, params)  # the weights are right: x_t is blamed
    with pytest.raises(ValueError, match=r"^params: missing \['b_o'\]"):
        lstm_step_forward(x_t, h_prev, c_prev, {k: v for k, v in params.items() if k != "b_o"})
    with pytest.raises(ValueError, match=r"^params: expected a dict"):
        lstm_step_forward(x_t, h_prev, c_prev, list(params.values()))


def test_backward_functions_reject_a_wrong_cache_and_wrong_gradient_shapes():
    params, x_t, h_prev, c_prev, dh_next, dc_next = step_case(2, 3, 4)
    _, _, step_cache = lstm_step_forward(x_t, h_prev, c_prev, params)
    with pytest.raises(ValueError, match=r"^cache: expected the LSTMStepCache that lstm_step_forward returned"):
        lstm_step_backward(dh_next, dc_next, (1, 2))
    with pytest.raises(ValueError, match=r"^dc_next: expected shape \(2, 4\), got shape \(4, 2\)"):
        lstm_step_backward(dh_next, dc_next.T, step_cache)
    _, cache = lstm_forward(np.zeros((2, 3, 3)), None, None, params)
    with pytest.raises(ValueError, match=r"^cache: expected the LSTMCache that lstm_forward returned"):
        lstm_backward(np.zeros((2, 3, 4)), step_cache)
    with pytest.raises(ValueError, match=r"^dh .*expected shape \(2, 3, 4\), got shape \(2, 4\)"):
        lstm_backward(np.zeros((2, 4)), cache)
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"^truncate: expected a positive whole number"):
            lstm_backward(np.zeros((2, 3, 4)), cache, truncate=bad)
    with pytest.raises(ValueError, match=r"^cache: expected the LSTMCache"):
        lstm_gates(step_cache)


def test_lstm_forward_rejects_a_2d_sequence_with_a_reshape_hint_and_bad_states():
    params = init_lstm_params(3, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^x: expected a batch of sequences of shape \(N, T, D\).*reshape\(1, T, D\)"):
        lstm_forward(np.zeros((5, 3)), None, None, params)
    narrow = r"^x: expected shape \(N, T, D\) = \(N, T, 3\) with N, T >= 1, got shape \(1, 5, 2\)"
    with pytest.raises(ValueError, match=narrow):
        lstm_forward(np.zeros((1, 5, 2)), None, None, params)
    with pytest.raises(ValueError, match=r"^h0: expected a state of shape \(N, H\) = \(1, 4\), got shape \(1, 3\)"):
        lstm_forward(np.zeros((1, 5, 3)), np.zeros((1, 3)), None, params)
    with pytest.raises(ValueError, match=r"^c0: expected a state .*got shape \(4,\) .*c0.reshape\(1, -1\)"):
        lstm_forward(np.zeros((1, 5, 3)), None, np.zeros(4), params)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"D": 0}, r"^D: expected a positive whole number, got 0"),
        ({"H": 2.5}, r"^H: expected a positive whole number"),
        ({"rng": 0}, r"^rng: expected a numpy Generator"),
        ({"forget_bias": float("inf")}, r"^forget_bias: expected a finite real number"),
        ({"forget_bias": "1"}, r"^forget_bias:"),
        ({"init": "orthogonal"}, r"^init: expected one of \['he', 'normal', 'xavier'\], got 'orthogonal'"),
    ],
)
def test_init_lstm_params_rejects_bad_arguments(kwargs, match):
    arguments = {"D": 2, "H": 3, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=match):
        init_lstm_params(**arguments)


def test_module_exports_what_it_documents():
    for name in lstm.__all__:
        assert hasattr(lstm, name), name
