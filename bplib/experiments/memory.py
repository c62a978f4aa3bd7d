"""Gradient paths through time: how far back a loss at the last step reaches (chapters 07 and 08).

Chapter 07's probe network is a random vanilla RNN with no learning,

    h_t = f(h_{t-1} Wh + u_t),   t = 0 .. T-1,   h_{-1} = 0,   Wh = scale * G / sqrt(H),

with G an (H, H) matrix of standard normal entries (so Wh's eigenvalues fill a disc of radius about
`scale`), inputs u_t ~ Normal(0, input_scale**2) standing for x_t Wx + b, and f one of tanh, sigmoid,
relu or linear. Its weights and inputs are drawn in one place, _probe_network (G first, then the
inputs), which gradient_through_time and probe_weights (the chapter's and the dashboard's network)
both call.

    gradient_through_time        ||∂h_{T-1} / ∂h_{T-1-d}||_F / sqrt(H) for each distance d (chapter 07)
    dwh_by_distance              dL/dWh split by the distance between a loss term and a use of Wh: the
                                 pairs that truncated BPTT keeps or drops (bplib.rnn._bptt_by_distance)
    cell_gradient_through_time   the same measure for an LSTM's cell or hidden state (chapter 08)
    _stacked_run, _probe         the gates and several of those curves from one forward pass, its steps
                                 stacked in time; _step_jacobians, every step's Jacobian at once (the
                                 chapter 08 dashboard, bplib.widgets.lstm, runs every forget bias in one pass)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from bplib import activations as act
from bplib._validate import as_float_array, check_rng, check_shape, positive_int
from bplib.lstm import (
    LSTMStepCache,
    _check_params,
    _finite_real,
    _lstm_forward,
    _lstm_step_backward,
    init_lstm_params,
)
from bplib.rnn import _bptt_by_distance

__all__ = ["probe_weights", "gradient_through_time", "dwh_by_distance", "cell_gradient_through_time"]

# the probe's activations: name -> (f, f' as a function of z)
_ACTIVATIONS = {
    "tanh": (np.tanh, act._tanh_prime),
    "sigmoid": (act._sigmoid, act._sigmoid_prime),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),
    "linear": (lambda z: z, np.ones_like),
}
_QUANTITIES = ("c", "c_cell_path", "h")  # what the LSTM probes measure


def _non_negative(value, name: str) -> float:
    if _finite_real(value, name) < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _check_activation(activation) -> tuple:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    return _ACTIVATIONS[activation]


# ---- the vanilla RNN probe (chapter 07) ----------------------------------------------------------


def _probe_network(scale: float, T: int, H: int, rng: np.random.Generator, input_scale: float = 1.0):
    """The probe's recurrent weights Wh: (H, H) and inputs u: (T, H), drawn from rng in this order."""
    Wh = scale * rng.standard_normal((H, H)) / math.sqrt(H)
    u = input_scale * rng.standard_normal((T, H))  # one row per step
    return Wh, u


def _probe_run(Wh: np.ndarray, u: np.ndarray, f):
    """The probe's forward pass: z (T, H) the pre-activations and h (T + 1, H), h[t + 1] = h_t, h[0] = 0."""
    T, H = u.shape
    z, h = np.empty((T, H)), np.zeros((T + 1, H))
    for t in range(T):
        z[t] = h[t] @ Wh + u[t]
        h[t + 1] = f(z[t])
    return z, h


def probe_weights(scale: float, T: int, H: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The probe network that gradient_through_time(scale, T, H, np.random.default_rng(seed)) draws. Chapter 07.

    Inputs: scale: >= 0; T, H: whole numbers >= 1; seed: a whole number >= 0.
    Returns: Wh: (H, H) = scale * G / sqrt(H); u: (T, H) the inputs u_t, one row per step (input_scale 1).
    """
    scale, T, H = _non_negative(scale, "scale"), positive_int(T, "T"), positive_int(H, "H")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed: expected a whole number >= 0, got {seed!r}")
    return _probe_network(scale, T, H, np.random.default_rng(seed))


def _gradient_through_time(Wh: np.ndarray, u: np.ndarray, activation: str) -> np.ndarray:
    f, f_prime = _ACTIVATIONS[activation]
    T, H = u.shape
    with np.errstate(over="ignore", invalid="ignore"):  # "linear" with a large scale may overflow: g becomes inf
        z, _ = _probe_run(Wh, u, f)
        g = np.empty(T)
        jacobian = np.eye(H)  # ∂h_{T-1} / ∂h_{T-1-d}, starting at d = 0
        for d in range(T):
            g[d] = np.linalg.norm(jacobian) / math.sqrt(H)
            # ∂h_t/∂h_{t-1}[i, j] = f'(z_t)[i] * Wh[j, i], i.e. diag(f'(z_t)) Wh^T: one step further back
            jacobian = jacobian @ (f_prime(z[T - 1 - d])[:, None] * Wh.T)
    return g


def gradient_through_time(Wh_scale: float, T: int, H: int, rng: np.random.Generator, activation: str = "tanh",
                          input_scale: float = 1.0) -> np.ndarray:
    """How the gradient of a loss at the last step shrinks or grows going back in time. Chapter 07.

    On the probe network (module docstring), for each distance d = 0 .. T-1,
        g[d] = ||J_d||_F / sqrt(H),   J_d = ∂h_{T-1} / ∂h_{T-1-d}  (H, H), the Jacobian,
    its Frobenius norm scaled so that g[0] = 1 (J_0 = I): the root-mean-square of
    ||dL/dh_{T-1-d}|| over losses L = v . h_{T-1} with v a random unit vector, the size of the gradient
    the last step's loss sends d steps back. With tanh and Wh_scale < 1 it decays roughly
    geometrically (vanishing); with "linear" and Wh_scale > 1 it grows (exploding).

    Inputs:
        Wh_scale: a finite number >= 0; T, H: whole numbers >= 1 (steps, hidden units).
        rng: a numpy Generator, the only randomness (draws G, then the inputs).
        activation: "tanh", "sigmoid", "relu" or "linear".
        input_scale: the inputs' standard deviation, >= 0 (larger saturates tanh more).
    Returns:
        g: (T,) with g[0] = 1; g[d] belongs to the state d steps before the last.
    """
    Wh_scale, T, H = _non_negative(Wh_scale, "Wh_scale"), positive_int(T, "T"), positive_int(H, "H")
    check_rng(rng)
    _check_activation(activation)
    Wh, u = _probe_network(Wh_scale, T, H, rng, _non_negative(input_scale, "input_scale"))
    return _gradient_through_time(Wh, u, activation)


def _dwh_by_distance(u: np.ndarray, Wh: np.ndarray, dh: np.ndarray, activation: str):
    f, f_prime = _ACTIVATIONS[activation]
    T = u.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # a large linear Wh overflows: inf, shown as such
        z, h = _probe_run(Wh, u, f)
        slope = f_prime(z)  # (T, H)

        def step_back(t, d):  # one step of the probe backward, for a stack of loss terms d[0]: (A, 1, H)
            dz = d[0] * slope[t]  # through f
            return dz, (dz @ Wh.T,), {"Wh": h[t][:, None] @ dz}  # h[t] = h_{t-1}: (H, 1) @ (A, 1, H) -> (A, H, H)

        _, _, shares = _bptt_by_distance(step_back, dh[None], 1, T)
    return shares["Wh"], h[1:]


def dwh_by_distance(u, Wh, dh, activation: str = "tanh") -> tuple[np.ndarray, np.ndarray]:
    """dL/dWh of the probe network split by how far back in time each share comes from. Chapter 07.

    The probe network with inputs u and weights Wh (bplib.rnn's RNN with Wx = I, b = 0 for tanh),
    and the loss L = sum_t dh_t . h_t, so that dh_t is the gradient of the loss term read at step t.
    BPTT gives dL/dWh as a sum over pairs s <= t: the loss term of step t reaching back to the use of
    Wh at step s, through t - s Jacobians. C[d] sums the pairs with t - s = d, so C.sum(axis=0) is
    full BPTT's dWh and C[:k].sum(axis=0) truncated BPTT's with truncate=k (the same walk as
    bplib.rnn.rnn_backward's). C[T-1] is 0: its only pair uses Wh at step 0, whose input h_{-1} is 0.

    Inputs:
        u: (T, H) the inputs, one row per step; Wh: (H, H); dh: (T, H) the loss's weight on each state.
        activation: "tanh", "sigmoid", "relu" or "linear".
    Returns:
        C: (T, H, H), C[d] the share of distance d (entries may be inf for a large linear Wh);
        h: (T, H) the hidden states h_0 .. h_{T-1}.
    """
    u = as_float_array(u, "u")
    if u.ndim != 2 or 0 in u.shape:
        raise ValueError(f"u: expected inputs of shape (T, H) with T, H >= 1, got shape {u.shape}")
    Wh, dh = as_float_array(Wh, "Wh"), as_float_array(dh, "dh")
    check_shape(Wh, (u.shape[1],) * 2, "Wh")
    check_shape(dh, u.shape, "dh")
    _check_activation(activation)
    return _dwh_by_distance(u, Wh, dh, activation)


# ---- the LSTM probes (chapter 08) ---------------------------------------------------------------


def cell_gradient_through_time(params_or_forget_bias, T: int, rng: np.random.Generator, *, D: int = 4, H: int = 16,
                               x=None, input_scale: float = 1.0, quantity: str = "c") -> np.ndarray:
    """How much gradient a loss at the last step sends back to each earlier LSTM state. Chapter 08.

    One sequence, zero initial states. For a loss L = v . h_T with v a random unit vector, the root-
    mean-square of the size of dL/dc_{T-k} over v is g[k] = ||dh_T / dc_{T-k}||_F / sqrt(H):
    gradient_through_time's measure, applied to the LSTM's states:
        quantity="c":            the cell state c_{T-k}, all paths (through c_{T-k+1} and through h_{T-k});
        quantity="c_cell_path":  the same along the cell path alone, dc_{t-1} = dc_t * f_t from c_T
                                 (the product of the forget gates met on the way);
        quantity="h":            the hidden state, ||∂h_T / ∂h_{T-k}||_F / sqrt(H), g[0] = 1: what the
                                 vanilla RNN probe measures.

    Inputs:
        params_or_forget_bias: an LSTM params dict (D and H are read from it), or a number: then
            params = init_lstm_params(D, H, rng, forget_bias=that number).
        T: the number of steps, a whole number >= 1.
        rng: a numpy Generator, the only randomness (draws the params if a number is given, then the inputs).
        D, H: input and hidden sizes, used only when a forget bias is given.
        x: None for inputs x_t ~ Normal(0, input_scale**2), or a (T, D) array (one sequence).
        input_scale: the inputs' standard deviation when x is None, >= 0. quantity: as above.
    Returns:
        g: (T,) >= 0; g[k] belongs to the state k steps before the end: g[0] the last, g[T-1] the first.
    """
    T = positive_int(T, "T")
    check_rng(rng)
    if quantity not in _QUANTITIES:
        raise ValueError(f"quantity: expected one of {list(_QUANTITIES)}, got {quantity!r}")
    if isinstance(params_or_forget_bias, Mapping):
        p = _check_params(params_or_forget_bias)
        D, H = p["W_f"].shape
    else:
        bias = _finite_real(params_or_forget_bias, "params_or_forget_bias (a params dict or a forget bias)")
        p = init_lstm_params(D, H, rng, forget_bias=bias)
    if x is None:
        x = _non_negative(input_scale, "input_scale") * rng.standard_normal((T, D))  # (T, D)
    else:
        x = as_float_array(x, "x")
        check_shape(x, (T, D), "x (one sequence, (T, D))")
    return _probe(_stacked_run(p, x[np.newaxis]), T, (quantity,))["reach"][quantity]


def _stacked_run(p: dict, x: np.ndarray) -> LSTMStepCache:
    """The forward pass over x: (N, T, D) from zero states, its T step caches stacked in time.

    Returns an LSTMStepCache whose fields are (T, N, H) (x: (T, N, D)); field[t] is step t's cache. Every
    row is its own sequence: with b_f of shape (N, H), row n runs with its own forget bias (the
    chapter 08 dashboard runs every slider position of b_f in one pass).
    """
    N, _, _ = x.shape
    zeros = np.zeros((N, p["U_f"].shape[0]))  # (N, H)
    _, run = _lstm_forward(x, zeros, zeros, p)
    fields = zip(*(step[:-1] for step in run.steps), strict=True)  # each field's T arrays, in time order
    return LSTMStepCache(*(np.stack(field) for field in fields), p)


def _one_row(run: LSTMStepCache, n: int) -> LSTMStepCache:
    """Row n of a stacked run (_stacked_run), as a stacked run of one row: fields (T, 1, H)."""
    return LSTMStepCache(*(field[:, n : n + 1] for field in run[:-1]), run.params)


def _first_steps(run: LSTMStepCache, steps: int) -> LSTMStepCache:
    """The first `steps` steps of a stacked run (_stacked_run): every field (steps, N, H)."""
    return LSTMStepCache(*(field[:steps] for field in run[:-1]), run.params)


def _probe(run: LSTMStepCache, steps: int, quantities, jacobians: np.ndarray | None = None) -> dict:
    """The gates (steps, H) and the reach curves of the first `steps` steps of a one-row stacked run.

    jacobians: None, or _step_jacobians of this run over at least `steps` steps (a caller that reports
    several lengths of one run computes them once).
    """
    prefix = _first_steps(run, steps)  # (steps, 1, H) each
    out = {name: getattr(prefix, name)[:, 0].copy() for name in ("f", "i", "g", "o", "c")}  # (steps, H)
    out["reach"] = _reach(prefix, quantities, None if jacobians is None else jacobians[:steps])
    return out


def _step_jacobians(run: LSTMStepCache) -> np.ndarray:
    """Every step's Jacobian of a one-row stacked run (T, 1, H), from one backward step over all of them.

    Returns J: (T, 2H, 2H); row r of J[t] is what the unit vector r of (dh_t, dc_t) sends back to
    (dh_{t-1}, dc_{t-1}) through step t, so (dh_{t-1}, dc_{t-1}) = (dh_t, dc_t) @ J[t].
    """
    T, _, H = run.h.shape
    # the one row is dropped, so that each matrix product is (T, H) @ (H, H), not T products of (1, H)
    steps = LSTMStepCache(*(field[:, 0] for field in run[:-1]), run.params)  # (T, H) each
    unit = np.eye(2 * H)[:, np.newaxis, :]  # (2H, 1, 2H)
    dh_next = np.broadcast_to(unit[..., :H], (2 * H, T, H))
    dc_next = np.broadcast_to(unit[..., H:], (2 * H, T, H))
    _, dh_prev, dc_prev, _ = _lstm_step_backward(dh_next, dc_next, steps, need_params=False)  # (2H, T, H) each
    return np.concatenate([dh_prev, dc_prev], axis=-1).transpose(1, 0, 2)  # (T, 2H, 2H)


def _reach(run: LSTMStepCache, quantities, jacobians: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each quantity's curve g (T,), g[k] at k steps before the end, from a one-row stacked run (T, 1, H)."""
    T, _, H = run.h.shape
    curves = {}
    into_c = (run.o * (1.0 - run.tanh_c**2))[::-1, 0]  # (T, H): dh_t / dc_t is diagonal; row k is step T-1-k
    if "c_cell_path" in quantities:
        kept = np.ones((T, H))  # kept[k]: the product of the forget gates of the last k steps
        kept[1:] = np.cumprod(run.f[:0:-1, 0], axis=0)  # f_{T-1}, f_{T-1} f_{T-2}, ...
        curves["c_cell_path"] = np.linalg.norm(into_c[0] * kept, axis=1) / math.sqrt(H)  # from c_T on
    if "c" in quantities or "h" in quantities:
        J = _step_jacobians(run) if jacobians is None else jacobians  # (T, 2H, 2H)
        # d[k]: row j = the gradient of L_j = h_T[j] with respect to (h, c) of step T-1-k (c directly)
        d = np.empty((T, H, 2 * H))
        d[0] = np.eye(H, 2 * H)  # dh_T = I; c_T reaches L only via h_T
        for k in range(1, T):
            d[k] = d[k - 1] @ J[T - k]  # (H, 2H) @ (2H, 2H): back through step T-k
        dh, dc = d[..., :H], d[..., H:]  # (T, H, H) each
        if "h" in quantities:
            curves["h"] = np.linalg.norm(dh, axis=(1, 2)) / math.sqrt(H)
        if "c" in quantities:  # both paths to c_t: from c_{t+1}, and through h_t = o_t tanh(c_t)
            curves["c"] = np.linalg.norm(dc + dh * into_c[:, np.newaxis, :], axis=(1, 2)) / math.sqrt(H)
    return {quantity: curves[quantity] for quantity in quantities}
