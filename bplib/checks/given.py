"""What the checks hand to a learner's function: an f to differentiate, a gradient to follow, a model
to descend, a step to repeat. Chapters 01, 05, 06, 08.

Each is plain numpy in a function of its own (helpers named beside it), so that the grader can send
its source into a sandbox with the inputs of one check (bplib.grade.codec): there, nothing of the
checks is installed, and a task's answer arrives only with the check of the task that is given it.
The checkers wrap them in bplib.checks._core.Given.
"""

from __future__ import annotations

import numpy as np


def cube(x):
    """x**3 - 2x: a large second derivative, so a one-sided difference is far from the centered one."""
    return x**3 - 2.0 * x


def exp3(x):
    return np.exp(3.0 * x)


def quartic(x):
    return x**4 - x


def exp_minus_2x(x):
    return np.exp(-2.0 * x)


def exp_20x(x):
    return np.exp(20.0 * x)


def quadratic_grad(w, curvature):
    """The gradient c * w of 0.5 * sum(c * w**2). w: (D,); curvature: D numbers."""
    return np.asarray(curvature, dtype=np.float64) * np.asarray(w, dtype=np.float64)


def mlp_loss_and_grads(params, x, y):
    """Loss and gradients of x -> dense -> ReLU -> dense -> softmax cross-entropy.

    params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); x: (N, D); y: (N,) labels.
    Returns the mean cross-entropy and {W1, b1, W2, b2} -> gradient, as exercise 05's task 5.3."""
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0]
    z1 = x @ params["W1"] + params["b1"]  # (N, H)
    a1 = np.maximum(z1, 0.0)
    z2 = a1 @ params["W2"] + params["b2"]  # (N, C)
    shifted = z2 - z2.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -float(np.mean(log_p[np.arange(N), y]))
    dz2 = np.exp(log_p)
    dz2[np.arange(N), y] -= 1.0
    dz2 /= N
    dz1 = (dz2 @ params["W2"].T) * (z1 > 0)
    return loss, {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": a1.T @ dz2, "b2": dz2.sum(axis=0)}


def decayed_mlp_loss_and_grads(params, x, y, decay=0.05):
    """mlp_loss_and_grads plus (decay / 2) * (sum(W1**2) + sum(W2**2)): another model, same parameter names."""
    loss, grads = mlp_loss_and_grads(params, x, y)
    penalty = sum(float(np.sum(params[name] ** 2)) for name in ("W1", "W2"))
    grads = {name: g + decay * params[name] if name.startswith("W") else g for name, g in grads.items()}
    return loss + 0.5 * decay * penalty, grads


def lstm_step_backward(dh_next, dc_next, cache):
    """One LSTM step back from exercise 08's cache dict (x, h_prev, c_prev, f, i, g, o, c, params).

    Returns dx (N, D), dh_prev (N, H), dc_prev (N, H) and {W_, U_, b_ of each gate} -> gradient."""
    f, i, g, o, c = cache["f"], cache["i"], cache["g"], cache["o"], cache["c"]
    p = cache["params"]
    tanh_c = np.tanh(c)
    dc = dc_next + dh_next * o * (1.0 - tanh_c**2)  # (N, H): the total gradient on c_t
    dz = {
        "f": dc * cache["c_prev"] * f * (1.0 - f),
        "i": dc * g * i * (1.0 - i),
        "g": dc * i * (1.0 - g**2),
        "o": dh_next * tanh_c * o * (1.0 - o),
    }  # the gates' pre-activations
    dx = sum(dz[k] @ p["W_" + k].T for k in "figo")
    dh_prev = sum(dz[k] @ p["U_" + k].T for k in "figo")
    grads = {}
    for k in "figo":
        grads["W_" + k] = cache["x"].T @ dz[k]
        grads["U_" + k] = cache["h_prev"].T @ dz[k]
        grads["b_" + k] = dz[k].sum(axis=0)
    return dx, dh_prev, dc * f, grads
