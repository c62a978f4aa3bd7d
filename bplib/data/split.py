"""Splitting a data set into training and test parts, and scaling features (introduced in chapter 05)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from bplib.data._checks import check_features, check_labels, check_seed

__all__ = ["train_test_split", "standardize"]


def train_test_split(x, y, test_fraction: float = 0.25, seed: int = 0):
    """A stratified random split: every class keeps its share in both parts. Chapter 05.

    From each class of n_c examples, round(test_fraction * n_c) (halves rounded up) go to
    the test part and the rest to the training part; each part is then shuffled.

    Inputs:
        x: (N, D) features.
        y: (N,) integer class labels.
        test_fraction: the share of each class held out, strictly between 0 and 1.
        seed: whole number >= 0.
    Returns:
        x_train: (N_train, D), x_test: (N_test, D), y_train: (N_train,) int64, y_test: (N_test,) int64,
        new arrays with N_train + N_test = N; no example is in both parts.
    """
    x = check_features(x, "x")
    y = check_labels(y, x.shape[0])
    ok = isinstance(test_fraction, numbers.Real) and not isinstance(test_fraction, bool)
    if not (ok and math.isfinite(test_fraction) and 0 < test_fraction < 1):
        raise ValueError(f"test_fraction: expected a number strictly between 0 and 1, got {test_fraction!r}")
    rng = np.random.default_rng(check_seed(seed))
    train_parts, test_parts = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))  # (n_c,) this class's rows, shuffled
        n_test = math.floor(test_fraction * len(members) + 0.5)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train = rng.permutation(np.concatenate(train_parts))  # (N_train,)
    test = rng.permutation(np.concatenate(test_parts))  # (N_test,)
    if len(train) == 0 or len(test) == 0:
        raise ValueError(
            f"test_fraction: {test_fraction!r} of {len(y)} examples leaves {len(train)} for training and "
            f"{len(test)} for testing; expected at least one in each"
        )
    return x[train], x[test], y[train], y[test]


def standardize(x_train, x_test):
    """Scale every feature to mean 0 and standard deviation 1 using the training part's statistics. Chapter 05.

    The test part is shifted and scaled with the training mean and standard deviation,
    never its own: the test set stands for data not seen yet. A feature that is constant
    in the training part (std 0, e.g. a digit pixel that is always blank) is only shifted.
    To transform further points (a plotting grid, say) use standardize(x_train, grid)[1].

    Inputs:
        x_train: (N_train, D).
        x_test: (N_test, D).
    Returns:
        x_train_std: (N_train, D), x_test_std: (N_test, D), new float64 arrays.
    """
    x_train = check_features(x_train, "x_train")
    x_test = check_features(x_test, "x_test")
    if x_test.shape[1] != x_train.shape[1]:
        raise ValueError(
            f"x_test: expected {x_train.shape[1]} features (columns) like x_train, got shape {x_test.shape}"
        )
    mean = x_train.mean(axis=0)  # (D,)
    std = x_train.std(axis=0)  # (D,)
    std = np.where(std > 0, std, 1.0)  # constant features: divide by 1, not 0
    return (x_train - mean) / std, (x_test - mean) / std
