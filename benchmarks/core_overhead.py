"""What bplib's validation and bookkeeping cost: the core's models against the same numpy inline.

    python benchmarks/core_overhead.py [--repeats 7]

For the multilayer network (bplib.network.Network, chapter 05), the vanilla RNN (bplib.rnn,
chapter 07) and the LSTM (bplib.lstm, chapter 08), one forward and one backward pass through
bplib's public functions are timed against the same matrix products and elementwise operations
written inline here, at the chapters' sizes and with a ten times larger batch (ten times the
arithmetic). Both sides start from the same arrays and must give the same gradients. Each case
runs `--repeats` times, the two sides interleaved, and the medians are compared:

    overhead = bplib's median time / the inline median time      (target: <= 1.3 at 10x)

A benchmark, not a test: it always exits 0 and prints one line per case.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from bplib.lstm import init_lstm_params, lstm_backward, lstm_forward
from bplib.network import Network
from bplib.rnn import rnn_backward, rnn_forward

GATES = ("f", "i", "g", "o")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---- the multilayer network: relu hidden layer, softmax cross-entropy (chapter 05's digits) -----


def mlp_case(sizes: tuple[int, ...], N: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    net = Network(list(sizes), "relu", "softmax_ce", rng=rng)
    x = rng.normal(size=(N, sizes[0]))  # (N, D)
    y = rng.integers(0, sizes[-1], size=N)  # (N,)
    params = {name: p.copy() for name, p in net.params.items()}

    def library():
        loss, grads = net.loss_and_grads(x, y)
        return {**grads, "loss": loss}

    def inline():
        n_layers = len(sizes) - 1
        a, cache = x, []
        for layer in range(1, n_layers + 1):
            z = a @ params[f"W{layer}"] + params[f"b{layer}"]  # (N, out)
            cache.append((a, z))
            a = np.maximum(z, 0.0) if layer < n_layers else z
        z = a - a.max(axis=1, keepdims=True)  # softmax cross-entropy on the logits, through log softmax
        p = np.exp(z)
        total = p.sum(axis=1, keepdims=True)
        loss = -np.mean(z[np.arange(N), y] - np.log(total[:, 0]))  # the loss, which the library returns too
        p /= total
        dz = p
        dz[np.arange(N), y] -= 1.0
        dz /= N  # (N, C)
        grads = {}
        for layer in range(n_layers, 0, -1):
            a_in, z = cache[layer - 1]
            if layer < n_layers:
                dz = dz * (z > 0)  # relu'
            grads[f"W{layer}"] = a_in.T @ dz
            grads[f"b{layer}"] = dz.sum(axis=0)
            if layer > 1:
                dz = dz @ params[f"W{layer}"].T
        grads["loss"] = loss
        return grads

    return library, inline


# ---- the vanilla RNN: h_t = tanh(x_t Wx + h_{t-1} Wh + b) (chapter 07's character model) -------


def rnn_case(N: int, T: int, D: int, H: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, T, D))
    h0 = np.zeros((N, H))
    Wx, Wh, b = rng.normal(scale=0.1, size=(D, H)), rng.normal(scale=0.1, size=(H, H)), np.zeros(H)
    dh = rng.normal(size=(N, T, H))

    def library():
        _, cache = rnn_forward(x, h0, Wx, Wh, b)
        _, _, dWx, dWh, db = rnn_backward(dh, cache)
        return {"Wx": dWx, "Wh": dWh, "b": db}

    def inline():
        hs = [h0]
        for t in range(T):
            hs.append(np.tanh(x[:, t] @ Wx + hs[-1] @ Wh + b))  # (N, H)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
        dx = np.zeros_like(x)
        carry = np.zeros((N, H))
        for t in range(T - 1, -1, -1):
            dz = (dh[:, t] + carry) * (1.0 - hs[t + 1] ** 2)  # (N, H)
            dWx += x[:, t].T @ dz
            dWh += hs[t].T @ dz
            db += dz.sum(axis=0)
            dx[:, t] = dz @ Wx.T
            carry = dz @ Wh.T
        return {"Wx": dWx, "Wh": dWh, "b": db}

    return library, inline


# ---- the LSTM: four gates, each its own dense layer on x_t and h_{t-1} (chapter 08) -------------


def lstm_case(N: int, T: int, D: int, H: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, rng)
    x = rng.normal(size=(N, T, D))
    dh = np.zeros((N, T, H))
    dh[:, -1] = rng.normal(size=(N, H))  # a loss on the last hidden state, as in the classifier

    def library():
        _, cache = lstm_forward(x, None, None, params)
        return lstm_backward(dh, cache)[3]

    def inline():
        h, c = np.zeros((N, H)), np.zeros((N, H))
        steps = []
        for t in range(T):
            z = {k: x[:, t] @ params[f"W_{k}"] + h @ params[f"U_{k}"] + params[f"b_{k}"] for k in GATES}
            f, i, o, g = _sigmoid(z["f"]), _sigmoid(z["i"]), _sigmoid(z["o"]), np.tanh(z["g"])
            c_prev, h_prev = c, h
            c = f * c_prev + i * g
            tanh_c = np.tanh(c)
            h = o * tanh_c
            steps.append((x[:, t], h_prev, c_prev, f, i, g, o, tanh_c))
        grads = {name: np.zeros_like(p) for name, p in params.items()}
        dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
        for t in range(T - 1, -1, -1):
            x_t, h_prev, c_prev, f, i, g, o, tanh_c = steps[t]
            dh_t = dh[:, t] + dh_carry
            dc = dc_carry + dh_t * o * (1.0 - tanh_c * tanh_c)
            dz = {"f": dc * c_prev * f * (1.0 - f), "i": dc * g * i * (1.0 - i), "g": dc * i * (1.0 - g * g),
                  "o": dh_t * tanh_c * o * (1.0 - o)}
            dh_carry = np.zeros((N, H))
            for k in GATES:
                dh_carry += dz[k] @ params[f"U_{k}"].T
                grads[f"W_{k}"] += x_t.T @ dz[k]
                grads[f"U_{k}"] += h_prev.T @ dz[k]
                grads[f"b_{k}"] += dz[k].sum(axis=0)
                _ = dz[k] @ params[f"W_{k}"].T  # dx_t, as the library computes it
            dc_carry = dc * f
        return grads

    return library, inline


CASES = [
    # name, size, builder: the chapters' sizes, then a ten times larger batch
    ("MLP 64-32-10, N=32 (ch05 digits)", "1x", lambda: mlp_case((64, 32, 10), 32)),
    ("MLP 64-32-10, N=320", "10x", lambda: mlp_case((64, 32, 10), 320)),
    ("RNN N=16 T=25 D=60 H=64 (ch07 CharRNN)", "1x", lambda: rnn_case(16, 25, 60, 64)),
    ("RNN N=160 T=25 D=60 H=64", "10x", lambda: rnn_case(160, 25, 60, 64)),
    ("LSTM N=32 T=60 D=5 H=80 (ch08 classifier)", "1x", lambda: lstm_case(32, 60, 5, 80)),
    ("LSTM N=320 T=60 D=5 H=80", "10x", lambda: lstm_case(320, 60, 5, 80)),
]


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(library, inline, repeats: int) -> tuple[float, float]:
    """Medians of `repeats` interleaved runs of each, after one warm-up run each."""
    library(), inline()
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(_seconds(library))
        theirs.append(_seconds(inline))
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"{'case':44s} {'size':>4s} {'bplib ms':>9s} {'inline ms':>9s} {'overhead':>8s}")
    worst_10x = 0.0
    for name, size, build in CASES:
        library, inline = build()
        got, want = library(), inline()
        assert set(got) == set(want), name
        for key in want:  # the two sides compute the same gradients
            np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-12, err_msg=f"{name}: {key}")
        ours, theirs = measure(library, inline, args.repeats)
        ratio = ours / theirs
        if size == "10x":
            worst_10x = max(worst_10x, ratio)
        print(f"{name:44s} {size:>4s} {ours * 1e3:9.2f} {theirs * 1e3:9.2f} {ratio:7.2f}x")
    print(f"largest overhead at 10x: {worst_10x:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
