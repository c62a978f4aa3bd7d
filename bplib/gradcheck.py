"""Numerical gradients by centered differences, and a checker (introduced in chapter 01).

The centered difference
    f'(x) ~ (f(x + eps) - f(x - eps)) / (2 eps)
has error O(eps^2), against O(eps) for the one-sided (f(x + eps) - f(x)) / eps. Everything
here works in float64 and never leaves its input modified: each entry is nudged,
evaluated, and put back, even when `f` raises.

The relative error between an analytic gradient a and a numeric one n is
    |a - n| / max(|a| + |n|, floor)
The floor keeps two tiny numbers (say 1e-12 and 3e-12) from counting as a 50%
mismatch: below the floor the error is, in effect, absolute.

What a check prints is the same on every computer. Round-off (which differs between
CPUs and their numpy and BLAS kernels) decides the exact size of a correct gradient's
error and which entry is the largest, so a passing check says only that every entry is
below the tolerance. A failing check names its worst entry; entries whose errors tie to
within round-off count as equal, and the first of them (in parameter order, then row-major
index order) is named.

The checkers raise each entry's floor to what the finite difference can resolve.
Round-off in f(x + eps) - f(x - eps) leaves the numeric gradient uncertain by about
machine_eps * (|f(x + eps)| + |f(x - eps)|) / (2 eps), some 1e-10 for eps = 1e-5 and f of order
one, so a correct entry of 1e-6 can never agree to a relative 1e-7. Such an entry
is judged absolutely, to within ROUNDOFF_MARGIN times that uncertainty: far
tighter than any real mistake, and no longer failing correct gradients such as
softmax's tiny probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from bplib._validate import as_float_array

__all__ = [
    "numerical_derivative",
    "numerical_gradient_params",
    "relative_error",
    "agree",
    "GradCheckResult",
    "check_gradient",
    "check_gradient_params",
]

DEFAULT_EPS = DEFAULT_H = 1e-5  # ~machine_eps**(1/3), where truncation meets round-off; DEFAULT_H: the old name
DEFAULT_FLOOR = 1e-8
ROUNDOFF_MARGIN = 8.0  # round-off of f itself is a few ulps of |f|
_MACHINE_EPS = float(np.finfo(np.float64).eps)  # float64's machine epsilon, about 2.2e-16


def _check_step(eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not (0 < eps < 1):
        raise ValueError(f"eps: expected a step size between 0 and 1 (e.g. 1e-6), got {eps!r}")
    return float(eps)


def numerical_derivative(f: Callable[[float], float], x: float, eps: float = DEFAULT_EPS) -> float:
    """The centered difference (f(x + eps) - f(x - eps)) / (2 eps) of a scalar function. Chapter 01.

    Inputs:
        f: maps a float to a float.
        x: the point, a real number.
        eps: the step.
    Returns:
        the slope estimate, a float.
    """
    eps = _check_step(eps)
    x = float(as_float_array(x, "x"))
    return (float(f(x + eps)) - float(f(x - eps))) / (2.0 * eps)


def _numerical_gradient(f: Callable[[np.ndarray], object], x: np.ndarray, dout=None, eps: float = DEFAULT_EPS):
    """The gradient of sum(f(x) * dout) with respect to x, by centered differences (what check_gradient
    compares with; kept apart for the tests of the differences themselves).

    With dout=None, f must return a scalar and this is df/dx. With an array f and
    an upstream gradient dout of f's output shape, this is the vector-Jacobian
    product that a backward function computes, so the two can be compared.

    Inputs:
        f: maps x (read at call time, nudged in place) to a scalar or an array.
        x: float64 array, any shape; nudged entry by entry and always restored.
        dout: None, or an array of f(x)'s shape.
        eps: the step.
    Returns:
        dx: same shape as x.
    """
    eps = _check_step(eps)
    _check_x(x)
    return _centered_differences(f, x, _scalarizer(dout), eps)[0]


def _check_x(x) -> None:
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(
            "x: expected a float64 numpy array (it is nudged in place and restored), "
            f"got {type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of dtype ' + str(x.dtype)}"
        )


def _scalarizer(dout):
    """A function out -> (sum(out * dout), sum(|out * dout|)); with dout None, out must be a scalar."""
    weights = None if dout is None else as_float_array(dout, "dout")

    def scalar_of(out) -> tuple[float, float]:
        out = np.asarray(out, dtype=np.float64)
        if weights is None:
            if out.size != 1:
                raise ValueError(f"f returned shape {out.shape}; pass dout of that shape for a non-scalar f")
            value = float(out.reshape(()))
            return value, abs(value)
        if out.shape != weights.shape:
            raise ValueError(f"dout: expected the shape of f(x), {out.shape}, got {weights.shape}")
        terms = out * weights
        return float(np.sum(terms)), float(np.sum(np.abs(terms)))

    return scalar_of


def _centered_differences(f, x: np.ndarray, scalar_of, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Centered differences of scalar_of(f(x)) and each entry's round-off uncertainty.

    Returns:
        grad: same shape as x.
        roundoff: same shape as x, machine_eps * (|f(x + eps)| + |f(x - eps)|) / (2 eps) per entry.
    """
    grad = np.zeros_like(x)
    roundoff = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        original = x[idx]
        try:
            x[idx] = original + eps
            plus, plus_size = scalar_of(f(x))
            x[idx] = original - eps
            minus, minus_size = scalar_of(f(x))
        finally:
            x[idx] = original
        grad[idx] = (plus - minus) / (2.0 * eps)
        roundoff[idx] = _MACHINE_EPS * (plus_size + minus_size) / (2.0 * eps)
    return grad, roundoff


def numerical_gradient_params(
    loss: Callable[[], float], params: Mapping[str, np.ndarray], eps: float = DEFAULT_EPS
) -> dict[str, np.ndarray]:
    """Gradients of a scalar loss with respect to every array in a parameter dict. Chapter 01.

    Inputs:
        loss: takes no arguments and reads the arrays in `params` (which are nudged in place).
        params: name -> float64 array, e.g. {"W1": (D, H), "b1": (H,)}.
        eps: the step.
    Returns:
        name -> gradient of the same shape as params[name].
    """
    return {name: grad for name, (grad, _) in _params_differences(loss, params, eps).items()}


def _params_differences(loss, params: Mapping[str, np.ndarray], eps: float) -> dict:
    eps = _check_step(eps)
    out = {}
    for name, p in params.items():
        _check_x(p)
        out[name] = _centered_differences(lambda _p: loss(), p, _scalarizer(None), eps)
    return out


def relative_error(analytic, numeric, floor: float = DEFAULT_FLOOR) -> np.ndarray:
    """Elementwise |a - n| / max(|a| + |n|, floor). Chapter 01.

    Inputs:
        analytic, numeric: arrays of the same shape.
        floor: the smallest denominator.
    Returns:
        same shape, every entry in [0, 1] when |a| + |n| >= floor.
    """
    a = as_float_array(analytic, "analytic", allow_nan=True)
    n = as_float_array(numeric, "numeric", allow_nan=True)
    if a.shape != n.shape:
        raise ValueError(f"analytic and numeric gradients must have the same shape, got {a.shape} and {n.shape}")
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)


def agree(a, b, tol: float = 1e-12) -> str:
    """Whether two computations of the same numbers agree to within round-off, as words. Chapters 05, 07, 08.

    Two routes to the same quantity (a loop and its matrix form, a Jacobian and its shortcut) differ
    in their last digits, and those digits depend on the machine, so the chapters print this verdict
    instead of the difference.
    Inputs:
        a, b: arrays (or numbers) of the same shape; b is the reference.
        tol: the largest difference allowed, relative to max(1, the largest |b|): absolute for
            numbers of order one and below, relative above.
    Returns:
        "yes (within 1e-12)" or "NO (within 1e-12)" for tol = 1e-12.
    """
    a = as_float_array(a, "a", allow_nan=True)
    b = as_float_array(b, "b", allow_nan=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b: expected the same shape, got {a.shape} and {b.shape}")
    gap = np.max(np.abs(a - b), initial=0.0) / max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return f"{'yes' if gap <= tol else 'NO'} (within {tol:.0e})"


@dataclass(frozen=True)
class GradCheckResult:
    """The outcome of a gradient check: the worst entry and where it is. Chapter 01.

    Fields:
        max_rel_error: the largest relative error over all entries (nan if a gradient had a NaN).
            For a correct gradient it is round-off, so its digits differ between computers.
        where: the name (for parameter dicts, else None) and the index of the worst entry.
        analytic: the analytic gradient at that entry.
        numeric: the numeric gradient at that entry.
        tol: the tolerance it was judged by.
    str() gives a report that reads the same on every computer (module docstring).
    """

    max_rel_error: float
    where: tuple
    analytic: float
    numeric: float
    tol: float

    @property
    def passed(self) -> bool:
        return bool(self.max_rel_error < self.tol)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"gradient check passed: max relative error < {self.tol:.0e} (the tolerance)"
        name, index = self.where
        place = (f"{name}" if name is not None else "x") + (f"[{', '.join(map(str, index))}]" if index else "")
        return (
            f"gradient check FAILED: max relative error {self.max_rel_error:.2e} (tol {self.tol:.0e}) "
            f"at {place}: analytic {self.analytic:.6g}, numeric {self.numeric:.6g}"
        )


# Errors within this relative distance of the largest are ties decided by round-off.
_TIE = 1e-6


def _worst(analytic: Mapping, numeric: Mapping, tol: float, floor: float) -> GradCheckResult:
    """numeric: name -> (gradient, round-off uncertainty), as _centered_differences returns."""
    errors = {}  # name -> (relative error with NaN as inf, analytic, numeric), in parameter order
    for name, (n, roundoff) in numeric.items():
        a = as_float_array(analytic[name], f"analytic gradient {name!r}", allow_nan=True)
        if a.shape != n.shape:
            raise ValueError(f"analytic gradient {name!r}: expected shape {n.shape}, got {a.shape}")
        if a.size == 0:
            continue
        # never demand more than the finite difference can resolve (module docstring)
        resolvable = np.maximum(floor, ROUNDOFF_MARGIN * roundoff / tol)
        err = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), resolvable)
        errors[name] = (np.where(np.isnan(err), np.inf, err), a, n)
    if not errors:
        return GradCheckResult(0.0, (None, ()), 0.0, 0.0, tol)
    largest = max(float(err.max()) for err, _, _ in errors.values())
    # the first entry (parameter order, then row-major) that ties with the largest
    name = next(name for name, (err, _, _) in errors.items() if err.max() >= largest * (1.0 - _TIE))
    err, a, n = errors[name]
    idx = np.unravel_index(int(np.argmax(err >= largest * (1.0 - _TIE))), err.shape)
    value = float("nan") if np.isinf(largest) else largest
    return GradCheckResult(value, (name, tuple(int(i) for i in idx)), float(a[idx]), float(n[idx]), tol)


def check_gradient(
    f: Callable[[np.ndarray], object],
    x,
    analytic,
    dout=None,
    eps: float = DEFAULT_EPS,
    tol: float = 1e-7,
    floor: float = DEFAULT_FLOOR,
) -> GradCheckResult:
    """Compare an analytic gradient with centered differences of f at x. Chapter 01.

    Inputs:
        f: maps an array of x's shape to a scalar (or to an array, with dout).
        x: array, any shape; copied to float64, so the caller's array is untouched.
        analytic: same shape as x: the gradient to check.
        dout: None, or an array of f(x)'s shape (checks the vector-Jacobian product).
        eps, tol, floor: step, pass threshold on the max relative error, relative-error floor.
    Returns:
        GradCheckResult; truthy when it passed; prints the verdict, and a failure's worst entry.
    """
    x64 = np.array(as_float_array(x, "x"), dtype=np.float64, copy=True)
    numeric = _centered_differences(f, x64, _scalarizer(dout), _check_step(eps))
    return _worst({None: analytic}, {None: numeric}, tol, floor)


def check_gradient_params(
    loss: Callable[[], float],
    params: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    eps: float = DEFAULT_EPS,
    tol: float = 1e-7,
    floor: float = DEFAULT_FLOOR,
) -> GradCheckResult:
    """Compare analytic gradients of a scalar loss with centered differences, per parameter. Chapter 01.

    Inputs:
        loss: no-argument function that reads the float64 arrays in params (nudged in place, restored).
        params: name -> float64 array.
        analytic: name -> gradient of the same shape; must have every name in params.
        eps, tol, floor: as in check_gradient.
    Returns:
        GradCheckResult naming the parameter and index of the worst entry.
    """
    missing = [name for name in params if name not in analytic]
    if missing:
        raise ValueError(f"analytic: expected a gradient for every parameter, missing {missing}")
    return _worst(analytic, _params_differences(loss, params, eps), tol, floor)
