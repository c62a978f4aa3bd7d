"""Toy sequence tasks with long-range dependencies (introduced in chapters 07 and 08).

Each task is a pure function of its arguments: the same seed gives the same arrays. Sequences
are batch first, x: (n, T, D) for n sequences of T steps with D features per step.

    first_symbol_recall   classify a sequence by the symbol shown at its first step; everything
                          after it is a blank (or a distractor). The answer is T-1 steps back,
                          so the gradient must travel T-1 steps: the vanilla RNN / LSTM contrast.
    delayed_echo          at every step from `delay` on, name the symbol read `delay` steps
                          earlier; the steps in between are random symbols. A loss at every step,
                          each bridging exactly `delay` steps: how far truncated BPTT must reach.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["first_symbol_recall", "delayed_echo"]


def _whole(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def first_symbol_recall(n: int, T: int, n_symbols: int = 4, seed: int = 0, distractor_prob: float = 0.0):
    """Remember the first symbol of a sequence until its end. Chapters 07-08.

    Each sequence has T steps, each a one-hot vector over n_symbols + 1 tokens: the symbols
    0 .. n_symbols-1 and a blank token, index n_symbols.
        step 0:          the symbol s to remember (uniform over the n_symbols symbols);
        steps 1 .. T-1:  the blank, or, with probability distractor_prob at each step independently,
                         a random symbol (uniform, possibly equal to s) that must be ignored.
    The label is s. A model that reads only the last steps can do no better than chance,
    1 / n_symbols; to beat it, what was read at step 0 must survive T-1 steps, and the gradient
    that teaches it must travel T-1 steps back.

    Inputs:
        n: the number of sequences (>= 1); T: their length (>= 1).
        n_symbols: the number of classes (>= 2).
        seed: a non-negative integer; the same arguments give the same arrays.
        distractor_prob: in [0, 1]; 0 gives blanks only.
    Returns:
        x: (n, T, n_symbols + 1) float64 one-hot rows, exactly one 1 per step.
        y: (n,) integer labels in [0, n_symbols), y[k] = the symbol at x[k, 0].
    """
    n, T = _whole(n, "n", 1), _whole(T, "T", 1)
    n_symbols = _whole(n_symbols, "n_symbols", 2)
    is_real = isinstance(distractor_prob, numbers.Real) and not isinstance(distractor_prob, bool)
    if not is_real or not math.isfinite(distractor_prob) or not 0.0 <= distractor_prob <= 1.0:
        raise ValueError(f"distractor_prob: expected a probability in [0, 1], got {distractor_prob!r}")
    rng = np.random.default_rng(_seed(seed))
    y = rng.integers(0, n_symbols, size=n)  # (n,)
    tokens = np.full((n, T), n_symbols)  # (n, T): blanks everywhere ...
    tokens[:, 0] = y  # ... except the symbol to remember
    distract = rng.random((n, T - 1)) < distractor_prob  # (n, T-1): which later steps show a symbol
    noise = rng.integers(0, n_symbols, size=(n, T - 1))  # (n, T-1), drawn even if unused: same stream for any prob
    tokens[:, 1:] = np.where(distract, noise, n_symbols)
    x = np.eye(n_symbols + 1)[tokens]  # (n, T) token indices -> (n, T, n_symbols + 1) one-hot
    return x, y


def delayed_echo(n: int, T: int, delay: int, n_symbols: int = 4, seed: int = 0):
    """Repeat every symbol `delay` steps after it was read. Chapter 07.

    Each sequence is T symbols drawn uniformly and independently from n_symbols, one-hot. The target
    at step t >= delay is the symbol read at step t - delay; the steps t < delay have no target. The
    delay - 1 symbols read in between (and the one read at step t) say nothing about the target, so
    a model does better than chance, 1 / n_symbols, only by carrying each symbol `delay` steps
    forward, and a gradient teaches that only if it reaches back `delay` steps.

    Inputs:
        n: the number of sequences (>= 1); T: their length (>= delay + 1).
        delay: how many steps back the target lies (>= 1).
        n_symbols: the number of symbols, which are also the classes (>= 2).
        seed: a non-negative integer; the same arguments give the same arrays.
    Returns:
        x: (n, T, n_symbols) float64 one-hot rows, exactly one 1 per step.
        y: (n, T - delay) integer labels: y[:, j] is the target at step j + delay, the symbol at x[:, j].
    """
    n, delay = _whole(n, "n", 1), _whole(delay, "delay", 1)
    T, n_symbols = _whole(T, "T", delay + 1), _whole(n_symbols, "n_symbols", 2)
    rng = np.random.default_rng(_seed(seed))
    tokens = rng.integers(0, n_symbols, size=(n, T))  # (n, T)
    x = np.eye(n_symbols)[tokens]  # (n, T, n_symbols)
    y = tokens[:, : T - delay].copy()  # (n, T - delay): step t's target is the symbol of step t - delay
    return x, y
