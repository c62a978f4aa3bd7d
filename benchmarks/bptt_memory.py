"""Peak memory of backpropagation through time: full, truncated, and chunked into windows.

Run:  python benchmarks/bptt_memory.py [--N 8] [--D 32] [--H 64]

For sequence lengths T = 100, 400, 1600 it measures, with tracemalloc, the peak memory
allocated while computing the weight gradients of one vanilla RNN (bplib.rnn) for
    full       rnn_forward + rnn_backward                      (caches all T steps)
    TBPTT(k)   rnn_forward + rnn_backward(truncate=k)          (exact truncated gradient; still all T steps)
    chunks k   rnn_chunked_bptt(window=k)                      (one window of k steps at a time)
The loss is a fixed random projection of the hidden states, sum(h * R), so that its
gradient dh = R costs nothing to compute; x and R are allocated before measuring and are
not counted. numpy reports its allocations to tracemalloc, so the peaks are the arrays'
bytes (plus small Python objects).

Expected: the full and TBPTT(k) columns grow in proportion to T; the chunked columns grow
with k and stay flat in T. A benchmark, not a test: it always exits 0. `measure()` returns
the rows for a wrapper to combine.
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np

from bplib.rnn import rnn_backward, rnn_chunked_bptt, rnn_forward

SEQUENCE_LENGTHS = (100, 400, 1600)
TRUNCATE = 20
WINDOWS = (10, 40, 160)

__all__ = ["measure", "print_table"]


def _peak_bytes(function) -> int:
    """The peak traced memory, in bytes, while function() runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(N: int = 8, D: int = 32, H: int = 64, seed: int = 0) -> list[dict]:
    """One row per sequence length: {"T": T, column name: peak bytes, ...}.

    Inputs:
        N, D, H: batch size, input size, hidden size.
        seed: seeds the random inputs and weights.
    Returns:
        list of dicts, one per T in SEQUENCE_LENGTHS; the columns are "full", f"TBPTT({TRUNCATE})"
        and f"chunks {k}" for k in WINDOWS.
    """
    rng = np.random.default_rng(seed)
    Wx = rng.normal(0.0, 1.0 / np.sqrt(D), size=(D, H))
    Wh = rng.normal(0.0, 0.5 / np.sqrt(H), size=(H, H))
    b = np.zeros(H)
    h0 = np.zeros((N, H))
    rows = []
    for T in SEQUENCE_LENGTHS:
        x = rng.normal(size=(N, T, D))  # (N, T, D), allocated before measuring
        R = rng.normal(size=(N, T, H))  # (N, T, H), the loss's fixed projection: dh = R

        def head(h_window, start, R=R):
            R_window = R[:, start : start + h_window.shape[1]]
            return float(np.sum(h_window * R_window)), R_window

        row = {"T": T}
        row["full"] = _peak_bytes(lambda x=x, R=R: rnn_backward(R, rnn_forward(x, h0, Wx, Wh, b)[1]))
        row[f"TBPTT({TRUNCATE})"] = _peak_bytes(
            lambda x=x, R=R: rnn_backward(R, rnn_forward(x, h0, Wx, Wh, b)[1], truncate=TRUNCATE)
        )
        for k in WINDOWS:
            row[f"chunks {k}"] = _peak_bytes(lambda x=x, k=k, head=head: rnn_chunked_bptt(x, h0, Wx, Wh, b, k, head))
        rows.append(row)
    return rows


def print_table(rows: list[dict]) -> None:
    """Print the rows as a table of peak memory in KiB."""
    columns = [name for name in rows[0] if name != "T"]
    print(f"{'T':>6} " + " ".join(f"{name:>12}" for name in columns))
    for row in rows:
        print(f"{row['T']:>6} " + " ".join(f"{row[name] / 1024:>9.0f} KiB" for name in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=8, help="batch size")
    parser.add_argument("--D", type=int, default=32, help="input size")
    parser.add_argument("--H", type=int, default=64, help="hidden size")
    args = parser.parse_args()
    print(f"Peak memory of the weight gradients of one RNN, N={args.N}, D={args.D}, H={args.H} (tracemalloc)")
    print_table(measure(args.N, args.D, args.H))


if __name__ == "__main__":
    main()
