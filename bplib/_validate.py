"""Input validation shared by bplib's public functions.

Every public function turns its array inputs into float64 arrays here, so a
learner who passes a string, a ragged list or a NaN gets one clear ValueError
that names what was expected and what came, not a numpy traceback.
"""

from __future__ import annotations

import numbers

import numpy as np


def _describe(value) -> str:
    """A short description of `value` for error messages: its type and, for arrays, shape/dtype."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"a value of type {type(value).__name__}"


def as_float_array(value, name: str, *, allow_nan: bool = False) -> np.ndarray:
    """Return `value` as a float64 ndarray, or raise a ValueError naming `name`.

    Inputs:
        value: a real number or (nested) sequence / array of real numbers, any shape.
        name: the argument's name, used in the error message.
        allow_nan: accept NaN and +-inf entries (default: reject them).
    Returns:
        a float64 array with value's shape (0-d for a scalar). A new array when
        the input was not already float64; callers must not write into it.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"{name}: expected a real number or an array of real numbers, got {_describe(value)}")
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected real numbers, got a complex number {value!r}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(
            f"{name}: expected a real number or a rectangular array of real numbers, "
            f"got {_describe(value)} that numpy cannot turn into an array ({exc})"
        ) from None
    if arr.dtype.kind not in "iuf":  # bool, complex, strings and objects are refused
        raise ValueError(f"{name}: expected real numbers (int or float), got {_describe(arr)}")
    arr = arr.astype(np.float64, copy=False)
    if not allow_nan and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name}: expected finite numbers, got {bad} NaN or infinite entr{'y' if bad == 1 else 'ies'}")
    return arr


def as_output(arr: np.ndarray, like):
    """Return a Python float when the caller passed a scalar, else the array itself."""
    if np.ndim(like) == 0 and not isinstance(like, np.ndarray):
        return float(arr)
    return arr


def check_shape(arr: np.ndarray, expected: tuple, name: str) -> None:
    """Raise a ValueError unless `arr.shape == expected`."""
    if arr.shape != tuple(expected):
        raise ValueError(f"{name}: expected shape {tuple(expected)}, got shape {arr.shape}")


def check_batch(arr: np.ndarray, name: str, dims: tuple[str, ...], sizes: tuple[int | None, ...]) -> None:
    """Raise a ValueError unless `arr` has one axis per symbol in `dims`, of the sizes given.

    A size of None is free but must be at least 1 (no empty batch, no empty sequence). The
    message names the argument, the expected shape with its symbols and the shape it got, e.g.
        x: expected shape (N, D) = (N, 4) with N >= 1, got shape (0, 4)
    """
    fits = arr.ndim == len(dims) and all(
        n >= 1 if size is None else n == size for n, size in zip(arr.shape, sizes, strict=True)
    )
    if fits:
        return
    comma = "," if len(dims) == 1 else ""
    symbolic = f"({', '.join(dims)}{comma})"
    concrete = f"({', '.join(d if s is None else str(s) for d, s in zip(dims, sizes, strict=True))}{comma})"
    free = [d for d, s in zip(dims, sizes, strict=True) if s is None]
    expected = symbolic + ("" if concrete == symbolic else f" = {concrete}")
    expected += f" with {', '.join(free)} >= 1" if free else ""
    raise ValueError(f"{name}: expected shape {expected}, got shape {arr.shape}")


def check_not_empty(arr: np.ndarray, name: str) -> None:
    """Raise a ValueError if `arr` has no entries (an empty batch)."""
    if arr.size == 0:
        raise ValueError(f"{name}: expected at least one entry, got an empty array of shape {arr.shape}")


def positive_int(value, name: str) -> int:
    """`value` as an int, or a ValueError unless it is a whole number >= 1 (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive whole number, got {value!r}")
    return int(value)


def positive_real(value, name: str) -> float:
    """`value` as a float, or a ValueError unless it is a finite real number > 0 (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def check_rng(rng, name: str = "rng") -> None:
    """Raise a ValueError unless `rng` is a numpy Generator (a seed or the legacy RandomState is refused)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{name}: expected a numpy Generator such as np.random.default_rng(0), got {_describe(rng)}")


def check_cache(cache, cache_type: type, forward_name: str) -> None:
    """Raise a ValueError unless `cache` is what `forward_name` returns (catches swapped arguments)."""
    if not isinstance(cache, cache_type):
        expected = f"the {cache_type.__name__} that {forward_name} returned"
        raise ValueError(f"cache: expected {expected}, got {_describe(cache)}")


def check_callback(callback, signature: str = "callback(epoch, history)") -> None:
    """Raise a ValueError unless `callback` is None or callable."""
    if callback is not None and not callable(callback):
        raise ValueError(f"callback: expected a function {signature}, got {_describe(callback)}")


def says_stop(answer) -> bool:
    """A training callback stops training by returning True (numpy's True too); None, False or
    anything else, a number included, continues."""
    return isinstance(answer, (bool, np.bool_)) and bool(answer)
