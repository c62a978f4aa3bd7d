"""Tests for bplib.experiments.memory: the gradient-through-time probes of chapters 07 and 08.

The vanilla RNN probe's Jacobian norms are recomputed here by centered differences and from the
states; its per-distance shares of dL/dWh must add up to bplib.rnn.rnn_backward's full and truncated
gradients; the LSTM probes are compared with Jacobians built from bplib.lstm.lstm_backward and with
the product of the forget gates.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib import gradcheck
from bplib.experiments.memory import (
    _first_steps,
    _one_row,
    _probe,
    _stacked_run,
    _step_jacobians,
    cell_gradient_through_time,
    dwh_by_distance,
    gradient_through_time,
    probe_weights,
)
from bplib.lstm import PARAM_NAMES, _lstm_step_backward, lstm_backward, lstm_forward, lstm_gates
from bplib.rnn import rnn_backward, rnn_forward

QUANTITIES = ("c", "c_cell_path", "h")


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---- the vanilla RNN probe (chapter 07) ------------------------------------------------------------


def test_gradient_through_time_is_the_scaled_jacobian_norm_it_documents():
    T, H, scale = 6, 4, 0.9
    g = gradient_through_time(scale, T, H, np.random.default_rng(11))
    rng = np.random.default_rng(11)  # rebuild the documented network: G first, then the inputs
    Wh = scale * rng.standard_normal((H, H)) / np.sqrt(H)
    u = rng.standard_normal((T, H))
    states = [np.zeros(H)]
    for t in range(T):
        states.append(np.tanh(states[-1] @ Wh + u[t]))
    for d in range(T):

        def h_T_from(h_start, d=d):
            h = h_start
            for t in range(T - d, T):
                h = np.tanh(h @ Wh + u[t])
            return h

        # the Jacobian dh_T/dh_{T-d}, column by column, by centered differences
        jacobian = np.empty((H, H))
        for j in range(H):
            e = np.zeros(H)
            e[j] = 1e-6
            jacobian[:, j] = (h_T_from(states[T - d] + e) - h_T_from(states[T - d] - e)) / 2e-6
        assert g[d] == pytest.approx(np.linalg.norm(jacobian) / np.sqrt(H), rel=1e-7)
    assert g[0] == 1.0


def test_gradient_through_time_vanishes_for_small_weights_and_explodes_for_large_linear_ones():
    vanishing = gradient_through_time(0.5, 50, 16, np.random.default_rng(0))
    exploding = gradient_through_time(2.0, 50, 16, np.random.default_rng(0), activation="linear")
    assert vanishing.shape == exploding.shape == (50,)
    assert vanishing[-1] < 1e-10 and np.all(np.diff(vanishing) < 0)
    assert exploding[-1] > 1e10
    for activation in ("sigmoid", "relu"):
        assert np.all(np.isfinite(gradient_through_time(1.0, 20, 8, np.random.default_rng(0), activation)))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"Wh_scale": -1.0}, "Wh_scale"),
        ({"T": 0}, "T: expected a positive whole number"),
        ({"H": 2.5}, "H: expected a positive whole number"),
        ({"rng": 0}, "rng: expected a numpy Generator"),
        ({"activation": "softsign"}, "activation: expected one of"),
        ({"input_scale": float("nan")}, "input_scale"),
    ],
)
def test_gradient_through_time_rejects_bad_arguments(kwargs, fragment):
    args = {"Wh_scale": 1.0, "T": 5, "H": 3, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=fragment):
        gradient_through_time(**args)


def rnn_on(u, Wh, h0=None):
    """bplib's RNN with Wx = I, b = 0 and inputs u: (T, H), one sequence: the probe network."""
    T, H = u.shape
    return rnn_forward(u[None], np.zeros((1, H)) if h0 is None else h0, np.eye(H), Wh, np.zeros(H))


def jacobian_norms(h, Wh, linear=False):
    """||dh_{T-1} / dh_{T-1-d}||_F / sqrt(H) for d = 0 .. T-1, from the states h: (T, H)."""
    T, H = h.shape
    jac, out = np.eye(H), []
    for d in range(T):
        out.append(np.linalg.norm(jac) / math.sqrt(H))
        slope = np.ones(H) if linear else 1.0 - h[T - 1 - d] ** 2
        jac = jac @ (slope[:, None] * Wh.T)  # times dh_t/dh_{t-1} = diag(f'(z_t)) Wh^T
    return np.array(out)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.5])
def test_probe_weights_is_the_network_gradient_through_time_draws(scale):
    T, H = 12, 6
    Wh, u = probe_weights(scale, T, H, seed=3)
    h, _ = rnn_on(u, Wh)
    g = gradient_through_time(scale, T, H, np.random.default_rng(3))
    np.testing.assert_allclose(jacobian_norms(h[0], Wh), g, rtol=1e-10)
    # and for the linear RNN, whose states are the plain recurrence
    h_lin = np.zeros((T, H))
    prev = np.zeros(H)
    for t in range(T):
        prev = h_lin[t] = prev @ Wh + u[t]
    g_lin = gradient_through_time(scale, T, H, np.random.default_rng(3), activation="linear")
    np.testing.assert_allclose(jacobian_norms(h_lin, Wh, linear=True), g_lin, rtol=1e-10)


@pytest.mark.parametrize("scale", [0.4, 1.0, 2.0])
def test_the_shares_add_up_to_full_and_truncated_bptt(scale):
    T, H = 9, 5
    Wh, u = probe_weights(scale, T, H, seed=1)
    dh = np.random.default_rng(2).normal(size=(T, H))
    C, h = dwh_by_distance(u, Wh, dh)
    states, cache = rnn_on(u, Wh)
    np.testing.assert_allclose(h, states[0], rtol=1e-14)
    full = rnn_backward(dh[None], cache)[3]
    np.testing.assert_allclose(C.sum(axis=0), full, rtol=1e-10, atol=1e-12)
    for k in range(1, T + 1):
        truncated = rnn_backward(dh[None], cache, truncate=k)[3]
        np.testing.assert_allclose(C[:k].sum(axis=0), truncated, rtol=1e-10, atol=1e-12)
    assert np.all(C[T - 1] == 0.0)  # its only pair uses Wh at step 0, whose input h_{-1} is 0
    assert np.linalg.norm(C[1]) > 0  # the carried gradient is really there


def test_one_distance_is_one_set_of_pairs():
    # a loss read only at the last step: C[d] is the single pair (T-1, T-1-d), written out with Jacobians
    T, H = 6, 4
    Wh, u = probe_weights(1.2, T, H, seed=4)
    v = np.random.default_rng(5).normal(size=H)
    dh = np.zeros((T, H))
    dh[-1] = v
    C, h = dwh_by_distance(u, Wh, dh)
    h_prev = np.vstack([np.zeros(H), h[:-1]])  # (T, H): the state step t read
    chain = v.copy()
    for d in range(T):
        s = T - 1 - d
        delta = chain * (1.0 - h[s] ** 2)  # (H,): dh_{T-1} J_{T-1} ... J_{s+1} diag(1 - h_s^2)
        np.testing.assert_allclose(C[d], np.outer(h_prev[s], delta), rtol=1e-10, atol=1e-14)
        chain = delta @ Wh.T


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0.0),
               "linear": lambda z: z}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_the_shares_add_up_to_the_gradient_by_centered_differences(activation):
    T, H = 5, 3
    Wh, u = probe_weights(1.3, T, H, seed=6)
    dh = np.random.default_rng(7).normal(size=(T, H))
    C, h = dwh_by_distance(u, Wh, dh, activation=activation)
    params = {"Wh": Wh.copy()}
    f = ACTIVATIONS[activation]

    def loss():
        h, total = np.zeros(H), 0.0
        for t in range(T):
            h = f(h @ params["Wh"] + u[t])
            total += float(h @ dh[t])
        return total

    result = gradcheck.check_gradient_params(loss, params, {"Wh": C.sum(axis=0)})
    assert result.passed and result.max_rel_error < 1e-7, str(result)
    if activation == "relu":  # a unit exactly at the kink would make the centered difference meaningless
        assert np.min(np.abs(np.vstack([np.zeros(H), h[:-1]]) @ Wh + u)) > 1e-4


def test_probe_weights_rejects_bad_arguments():
    for kwargs, match in [({"scale": -1.0}, "scale"), ({"T": 0}, "T"), ({"H": 1.5}, "H"), ({"seed": -1}, "seed"),
                          ({"seed": True}, "seed")]:
        with pytest.raises(ValueError, match=f"^{match}: expected"):
            probe_weights(**{"scale": 1.0, "T": 3, "H": 2, "seed": 0, **kwargs})


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"u": np.ones(4)}, "u"),
    ({"u": np.ones((0, 3))}, "u"),
    ({"Wh": np.ones((3, 4))}, "Wh"),
    ({"dh": np.ones((4, 2))}, "dh"),
    ({"activation": "softsign"}, "activation"),
    ({"u": np.full((4, 3), np.nan)}, "u"),
])
def test_dwh_by_distance_rejects_bad_input(kwargs, match):
    args = {"u": np.ones((4, 3)), "Wh": np.eye(3), "dh": np.ones((4, 3)), "activation": "tanh"}
    with pytest.raises(ValueError, match=match):
        dwh_by_distance(**{**args, **kwargs})


# ---- the LSTM probes (chapter 08) ------------------------------------------------------------------


def random_params(D: int, H: int, rng, scale: float = 0.7) -> dict[str, np.ndarray]:
    """Parameters with random biases too (init_lstm_params zeroes most biases, which could hide a bias bug)."""
    return {
        name: rng.normal(0.0, scale, size=(D, H) if name[0] == "W" else (H, H) if name[0] == "U" else (H,))
        for name in PARAM_NAMES
    }


def jacobian_norms_from_lstm_backward(params, x, quantity):
    """||dh_T / dc_t||_F / sqrt(H) (or dh_T / dh_t) for t = T .. 1 via the public lstm_backward.

    Row j of a batch of H copies of the sequence carries the loss L_j = h_T[j]. The gradient with
    respect to the state after step t comes from dh0 / dc0 of a backward pass over the rest of the
    sequence started from that state.
    """
    T, D = x.shape
    H = params["U_f"].shape[0]
    xs = np.repeat(x[None], H, axis=0)  # (H, T, D): one copy per loss direction
    _, cache = lstm_forward(xs, None, None, params)
    norms = []
    for t in range(T - 1, -1, -1):  # the state after step t, i.e. h_{t+1}, c_{t+1} counting from 1
        if t == T - 1:
            last = cache.steps[-1]
            d_h, d_c = np.eye(H), np.eye(H) * last.o * (1.0 - last.tanh_c**2)
        else:
            step = cache.steps[t]
            _, rest = lstm_forward(xs[:, t + 1 :], step.h, step.c, params)
            dh = np.zeros((H, T - t - 1, H))
            dh[:, -1] = np.eye(H)
            _, d_h, d_c_rest, _ = lstm_backward(dh, rest)
            # dc0 is the gradient with h0 held fixed; inside the LSTM h_t = o_t tanh(c_t) depends on
            # c_t, so the total gradient on c_t also takes the path through h_t
            d_c = d_c_rest + d_h * step.o * (1.0 - step.tanh_c**2)
        norms.append(np.linalg.norm(d_h if quantity == "h" else d_c) / np.sqrt(H))
    return np.array(norms)


@pytest.mark.parametrize("quantity", ["c", "h"])
def test_probe_matches_jacobians_from_lstm_backward(quantity):
    T, D, H = 6, 3, 4
    rng = np.random.default_rng(21)
    params, x = random_params(D, H, rng), rng.normal(size=(T, D))
    got = cell_gradient_through_time(params, T, np.random.default_rng(0), x=x, quantity=quantity)
    expected = jacobian_norms_from_lstm_backward(params, x, quantity)
    assert got.shape == (T,)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    if quantity == "h":
        assert got[0] == pytest.approx(1.0, rel=1e-14)  # dh_T / dh_T = I, as in the vanilla RNN probe


def test_probe_cell_path_is_the_product_of_forget_gates():
    T, D, H = 7, 2, 5
    rng = np.random.default_rng(4)
    params, x = random_params(D, H, rng), rng.normal(size=(T, D))
    got = cell_gradient_through_time(params, T, np.random.default_rng(0), x=x, quantity="c_cell_path")
    gates = lstm_gates(lstm_forward(x[None], None, None, params)[1])
    f, o, c = gates["f"][0], gates["o"][0], gates["c"][0]  # (T, H)
    diagonal = o[-1] * (1.0 - np.tanh(c[-1]) ** 2)  # dh_T / dc_T is diagonal
    for k in range(T):
        # from c_T back to c_{T-k}: the forget gates of the k steps after it
        expected = diagonal * np.prod(f[T - k :], axis=0)
        assert got[k] == pytest.approx(np.linalg.norm(expected) / np.sqrt(H), rel=1e-12)


def test_probe_with_a_larger_forget_bias_keeps_more_gradient_far_back():
    far_back = [
        cell_gradient_through_time(bias, 40, np.random.default_rng(0), quantity="c")[-1] for bias in (0.0, 1.0, 3.0)
    ]
    assert far_back[0] < far_back[1] < far_back[2]
    assert far_back[0] < 1e-6 < 1e-2 < far_back[2]  # vanishing with f ~ 0.5, alive with f ~ 0.95


def test_probe_is_deterministic_in_its_rng_and_draws_params_from_it():
    a = cell_gradient_through_time(1.0, 12, np.random.default_rng(5), D=3, H=6)
    b = cell_gradient_through_time(1.0, 12, np.random.default_rng(5), D=3, H=6)
    c = cell_gradient_through_time(1.0, 12, np.random.default_rng(6), D=3, H=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.all(a >= 0)


def probe(params, x, steps=None, quantities=QUANTITIES):
    """The gates and reach curves of one sequence x: (T, D), from its stacked run."""
    return _probe(_stacked_run(params, x[None]), len(x) if steps is None else steps, quantities)


@pytest.mark.parametrize(("T", "H"), [(1, 3), (9, 4), (60, 6)], ids=["T1", "T9", "T60"])
def test_one_probe_is_the_forward_pass_and_every_curve_in_one(T, H):
    rng = np.random.default_rng(T)
    params, x = random_params(3, H, rng), rng.normal(size=(T, 3))
    run = probe(params, x)
    gates = lstm_gates(lstm_forward(x[None], None, None, params)[1])
    for name in ("f", "i", "g", "o", "c"):  # the same sums, with the steps' caches stacked in time
        np.testing.assert_allclose(run[name], gates[name][0], rtol=1e-13, atol=1e-15)
    assert set(run["reach"]) == set(QUANTITIES)
    for quantity, curve in run["reach"].items():
        expected = cell_gradient_through_time(params, T, np.random.default_rng(0), x=x, quantity=quantity)
        np.testing.assert_array_equal(curve, expected)
        assert curve.shape == (T,)
    assert set(probe(params, x, quantities=("c",))["reach"]) == {"c"}


def test_one_run_reports_any_length():
    rng = np.random.default_rng(3)
    params, x = random_params(3, 5, rng), rng.normal(size=(40, 3))
    whole = _stacked_run(params, x[None])
    jacobians = _step_jacobians(whole)  # (40, 10, 10)
    for steps in (1, 17, 40):  # a shorter sequence is the prefix of the run: the very same numbers
        fresh = probe(params, x[:steps])
        np.testing.assert_array_equal(_step_jacobians(_first_steps(whole, steps)), jacobians[:steps])
        for reused in (_probe(whole, steps, QUANTITIES), _probe(whole, steps, QUANTITIES, jacobians)):
            for name in ("f", "i", "g", "o", "c"):
                np.testing.assert_array_equal(reused[name], fresh[name])
            for quantity in QUANTITIES:
                np.testing.assert_array_equal(reused["reach"][quantity], fresh["reach"][quantity])
    reused["f"][...] = -1.0  # the results are copies: the run stays as it was
    np.testing.assert_array_equal(_probe(whole, 40, ())["f"], probe(params, x)["f"])


def test_a_batch_of_forget_biases_runs_each_row_as_its_own_sequence():
    rng = np.random.default_rng(8)
    params, x = random_params(3, 4, rng), rng.normal(size=(12, 3))
    biases = np.array([-2.0, 0.5, 4.0])
    batch = _stacked_run({**params, "b_f": biases[:, None] * np.ones(4)}, np.broadcast_to(x, (3, 12, 3)))
    for n, bias in enumerate(biases):
        alone = probe({**params, "b_f": np.full(4, bias)}, x)
        row = _probe(_one_row(batch, n), 12, QUANTITIES)
        for name in ("f", "c"):
            np.testing.assert_allclose(row[name], alone[name], rtol=1e-13, atol=1e-15)
        for quantity in QUANTITIES:
            np.testing.assert_allclose(row["reach"][quantity], alone["reach"][quantity], rtol=1e-12)


def test_step_jacobians_are_one_backward_step_of_lstm_backward():
    rng = np.random.default_rng(11)
    params, x = random_params(2, 3, rng), rng.normal(size=(6, 2))
    J = _step_jacobians(_stacked_run(params, x[None]))  # (6, 6, 6)
    _, cache = lstm_forward(x[None], None, None, params)
    for t in (1, 4):  # one step of the library's backward from unit vectors at (h_t, c_t)
        for r in range(6):
            dh_t, dc_t = np.zeros((1, 3)), np.zeros((1, 3))
            (dh_t if r < 3 else dc_t)[0, r % 3] = 1.0
            _, dh_prev, dc_prev, _ = _lstm_step_backward(dh_t, dc_t, cache.steps[t])
            np.testing.assert_allclose(J[t, r], np.concatenate([dh_prev[0], dc_prev[0]]), rtol=1e-13, atol=1e-16)


def test_probe_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"^quantity: expected one of \['c', 'c_cell_path', 'h'\]"):
        cell_gradient_through_time(1.0, 5, rng, quantity="f")
    with pytest.raises(ValueError, match=r"^T: expected a positive whole number"):
        cell_gradient_through_time(1.0, 0, rng)
    with pytest.raises(ValueError, match=r"^x \(one sequence, \(T, D\)\): expected shape \(5, 4\), got shape \(1, 5"):
        cell_gradient_through_time(1.0, 5, rng, x=np.zeros((1, 5, 4)))
    with pytest.raises(ValueError, match=r"^params_or_forget_bias"):
        cell_gradient_through_time("wide", 5, rng)
    with pytest.raises(ValueError, match=r"^rng: expected a numpy Generator"):
        cell_gradient_through_time(1.0, 5, 0)
    with pytest.raises(ValueError, match=r"^input_scale: expected a finite number >= 0"):
        cell_gradient_through_time(1.0, 5, rng, input_scale=-1.0)
