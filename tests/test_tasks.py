"""Tests for bplib.data.sequences: the toy sequence tasks of chapters 07-08."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.data import delayed_echo, first_symbol_recall

# ---- first_symbol_recall ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "T", "n_symbols"), [(1, 1, 2), (7, 5, 3), (50, 20, 4)])
def test_first_symbol_recall_shapes_and_one_hot_steps(n, T, n_symbols):
    x, y = first_symbol_recall(n, T, n_symbols, seed=3, distractor_prob=0.3)
    assert x.shape == (n, T, n_symbols + 1) and x.dtype == np.float64
    assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert np.array_equal(x.sum(axis=2), np.ones((n, T)))  # exactly one token per step
    assert y.min() >= 0 and y.max() < n_symbols


def test_first_symbol_recall_label_is_the_symbol_at_the_first_step_and_the_rest_is_blank():
    n, T, n_symbols = 200, 12, 4
    x, y = first_symbol_recall(n, T, n_symbols, seed=0)
    tokens = x.argmax(axis=2)  # (n, T)
    assert np.array_equal(tokens[:, 0], y)
    assert np.all(tokens[:, 1:] == n_symbols)  # the blank token, index n_symbols
    assert set(np.unique(y)) == set(range(n_symbols))  # every class occurs


def test_first_symbol_recall_distractors_are_symbols_at_the_requested_rate_and_leave_the_label_alone():
    n, T, n_symbols = 400, 11, 3
    x, y = first_symbol_recall(n, T, n_symbols, seed=5, distractor_prob=0.5)
    tokens = x.argmax(axis=2)
    assert np.array_equal(tokens[:, 0], y)
    later_symbols = tokens[:, 1:] < n_symbols  # (n, T-1)
    assert 0.45 < later_symbols.mean() < 0.55  # 4000 draws: 5 standard deviations is 0.04
    x_all, y_all = first_symbol_recall(n, T, n_symbols, seed=5, distractor_prob=1.0)
    assert np.all(x_all.argmax(axis=2)[:, 1:] < n_symbols)  # every later step is a distractor
    # the same seed draws the same labels whatever the distractor rate
    assert np.array_equal(y_all, y)


def test_first_symbol_recall_is_deterministic_in_its_seed():
    a = first_symbol_recall(30, 8, 4, seed=11, distractor_prob=0.2)
    b = first_symbol_recall(30, 8, 4, seed=11, distractor_prob=0.2)
    c = first_symbol_recall(30, 8, 4, seed=12, distractor_prob=0.2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0, "T": 5}, r"^n: expected an integer >= 1, got 0"),
        ({"n": 2.0, "T": 5}, r"^n:"),
        ({"n": 2, "T": 0}, r"^T: expected an integer >= 1, got 0"),
        ({"n": 2, "T": 5, "n_symbols": 1}, r"^n_symbols: expected an integer >= 2, got 1"),
        ({"n": 2, "T": 5, "seed": -1}, r"^seed: expected a non-negative integer, got -1"),
        ({"n": 2, "T": 5, "seed": 1.5}, r"^seed:"),
        ({"n": 2, "T": 5, "distractor_prob": 1.5}, r"^distractor_prob: expected a probability in \[0, 1\]"),
        ({"n": 2, "T": 5, "distractor_prob": float("nan")}, r"^distractor_prob:"),
        ({"n": True, "T": 5}, r"^n:"),
    ],
)
def test_first_symbol_recall_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        first_symbol_recall(**kwargs)


# ---- delayed_echo ----------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "T", "delay", "n_symbols"), [(1, 2, 1, 2), (7, 10, 4, 3), (50, 12, 11, 4)])
def test_delayed_echo_shapes_and_one_hot_steps(n, T, delay, n_symbols):
    x, y = delayed_echo(n, T, delay, n_symbols, seed=3)
    assert x.shape == (n, T, n_symbols) and x.dtype == np.float64
    assert y.shape == (n, T - delay) and np.issubdtype(y.dtype, np.integer)
    assert np.array_equal(x.sum(axis=2), np.ones((n, T)))  # exactly one symbol per step


def test_delayed_echo_target_at_step_t_is_the_symbol_read_delay_steps_earlier():
    n, T, delay = 300, 10, 4
    x, y = delayed_echo(n, T, delay, 4, seed=0)
    tokens = x.argmax(axis=2)  # (n, T)
    for t in range(delay, T):
        assert np.array_equal(y[:, t - delay], tokens[:, t - delay])
    # the symbols in between carry no information: the target at step t agrees with the symbol read
    # at step t (or any later-than-t - delay step) about as often as chance, 1/4
    for lag in range(delay):
        agreement = np.mean(y == tokens[:, delay - lag : T - lag])
        assert 0.2 < agreement < 0.3, (lag, agreement)  # 1800 draws: 5 standard deviations is 0.05
    assert set(np.unique(tokens)) == set(range(4))


def test_delayed_echo_is_deterministic_in_its_seed_and_owns_its_arrays():
    a, b, c = delayed_echo(30, 8, 3, seed=11), delayed_echo(30, 8, 3, seed=11), delayed_echo(30, 8, 3, seed=12)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    x, y = a
    y[:] = -1  # the labels are not a view of anything the inputs depend on
    assert np.array_equal(x, b[0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0, "T": 5, "delay": 2}, r"^n: expected an integer >= 1, got 0"),
        ({"n": 2, "T": 5, "delay": 0}, r"^delay: expected an integer >= 1, got 0"),
        ({"n": 2, "T": 3, "delay": 3}, r"^T: expected an integer >= 4, got 3"),
        ({"n": 2, "T": 5, "delay": 2.0}, r"^delay:"),
        ({"n": 2, "T": 5, "delay": 2, "n_symbols": 1}, r"^n_symbols: expected an integer >= 2, got 1"),
        ({"n": 2, "T": 5, "delay": 2, "seed": -1}, r"^seed: expected a non-negative integer, got -1"),
        ({"n": 2, "T": 5, "delay": True}, r"^delay:"),
    ],
)
def test_delayed_echo_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        delayed_echo(**kwargs)
