"""Argument checks shared by the data loaders: counts, noise levels, seeds and labelled arrays."""

from __future__ import annotations

import math
import numbers

import numpy as np

from bplib._validate import as_float_array


def check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected a whole number >= {minimum}, got {value!r}")
    return int(value)


def check_spread(value, name: str) -> float:
    """A noise level or standard deviation: a finite real number >= 0."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    if not ok:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed: expected a whole number >= 0 (the data are always seeded), got {seed!r}")
    return int(seed)


def check_features(x, name: str) -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name}: expected a 2-d array (N, D) with at least one row, got shape {x.shape}")
    return x


def check_labels(y, n: int) -> np.ndarray:
    """y as an int64 array (n,), or a ValueError; floats are accepted when they are whole numbers."""
    y_arr = np.asarray(y)
    if y_arr.dtype == bool or not (np.issubdtype(y_arr.dtype, np.integer) or np.issubdtype(y_arr.dtype, np.floating)):
        raise ValueError(f"y: expected integer class labels, got an array of dtype {y_arr.dtype}")
    if y_arr.shape != (n,):
        raise ValueError(f"y: expected shape ({n},), one label per row of x, got shape {y_arr.shape}")
    if np.issubdtype(y_arr.dtype, np.floating) and not np.all(np.isfinite(y_arr) & (y_arr == np.round(y_arr))):
        raise ValueError("y: expected integer class labels, got non-integer values")
    return y_arr.astype(np.int64)
