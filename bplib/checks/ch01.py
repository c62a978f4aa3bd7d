"""Checks for exercise 01, the sigmoid derivative (chapter 01).

Tasks:
    1.1 sigmoid_prime(z)                      sigma'(z) = sigma(z) (1 - sigma(z)), elementwise
    1.2 numerical_derivative(f, x, eps=1e-5)  the centered difference (f(x+eps) - f(x-eps)) / (2 eps)
    1.3 tanh_prime(z)                         tanh'(z) = 1 - tanh(z)**2, elementwise
    1.4 stable_sigmoid(z)                     sigma(z) with no overflow for any finite z

Each checker compares the learner's function with bplib's reference on fixed-seed
inputs, and when they differ, recognises the common mistakes (`HINTS`). The hidden
checks run the same per-case checks on cases drawn from a random generator.
"""

from __future__ import annotations

import numpy as np

from bplib import activations, gradcheck
from bplib.checks import given
from bplib.checks._core import (
    Given,
    HiddenCheck,
    OnCases,
    Task,
    Variant,
    Wrong,
    all_close,
    as_numbers,
    call,
    diagnose,
    require_array,
    require_shape,
    seed_from,
)

ARRAY_HINT = (
    "Return a numpy array for an array z, as np.exp and numpy's other functions do: a list (from "
    ".tolist() or a list comprehension) has none of an array's arithmetic."
)

# Every hint a checker can give for a recognised mistake, by task and mistake.
# Tests feed each mistake to its checker and look for exactly this text.
HINTS = {
    "1.1": {
        "shape": "sigma'(z) works entry by entry: return an array of z's shape (no sum, mean or max).",
        "array": ARRAY_HINT,
        "sigmoid_only": (
            "You return sigma(z) itself: the task's sigma'(z) = sigma(z) (1 - sigma(z)) has a second factor, "
            "(1 - sigma(z))."
        ),
        "forgot_sigmoid": (
            "The formula is written with the sigmoid's value sigma(z), not with z itself: put z through the "
            "sigmoid before you form the product."
        ),
        "plus_sign": "Check the sign inside the factor: it is (1 - sigma(z)), not (1 + sigma(z)).",
        "negated": "The sigmoid increases everywhere, so sigma'(z) > 0: check the overall sign.",
        "tanh_formula": "1 - f(z)^2 is the pattern of tanh's derivative; the sigmoid's is sigma(z) (1 - sigma(z)).",
        "other": (
            "Work out z = 0 by hand: sigma(0) is 1/2, so what should sigma'(0) be? Compare that, and the shape "
            "of what you give back, with your function's output."
        ),
    },
    "1.2": {
        "one_sided": (
            "Use the centered difference: step eps to both sides of x and divide by the distance between the two "
            "points. Its error shrinks like eps^2, the one-sided difference's only like eps."
        ),
        "forgot_two": "x - eps and x + eps are 2 eps apart: divide by that distance, not by eps.",
        "precedence": "In Python a / 2*eps means (a / 2) * eps: put the whole denominator 2 eps in parentheses.",
        "over_eps_squared": "A slope is a change in f over a change in x: divide by the distance 2 eps, not by eps^2.",
        "no_division": (
            "A slope is a change in f divided by a change in x: divide the difference of the two values of f by "
            "the distance between x - eps and x + eps."
        ),
        "sign": "Subtract in the order f(x + eps) - f(x - eps): the point to the right comes first.",
        "half_step": "Step a full eps each way: evaluate f at x + eps and at x - eps.",
        "default_eps": "Give eps the default value 1e-5: def numerical_derivative(f, x, eps=1e-5).",
        "ignores_eps": "Use the step eps you are given: the caller chooses it, and a fixed step inside ignores it.",
        "shape": "Return one number, the slope at x.",
        "other": (
            "Try f(x) = x^2 at x = 3 by hand: its slope there is 6. Does your function give about 6, and does "
            "it use the step eps it is given?"
        ),
    },
    "1.3": {
        "shape": "tanh'(z) works entry by entry: return an array of z's shape (no sum, mean or max).",
        "array": ARRAY_HINT,
        "forgot_tanh": ("tanh'(z) = 1 - tanh^2(z) squares the value tanh(z), not z itself: take the tanh of z first."),
        "missing_square": "tanh'(z) = 1 - tanh^2(z): square tanh(z) before subtracting it from 1.",
        "tanh_only": "You return tanh(z) itself; its derivative is 1 - tanh^2(z).",
        "sign": "Check the signs: tanh'(z) = 1 - tanh^2(z), which lies between 0 and 1.",
        "sigmoid_formula": (
            "t (1 - t) is the sigmoid's pattern; tanh's derivative is one minus the square, 1 - tanh^2(z)."
        ),
        "other": (
            "Work out z = 0 by hand: tanh(0) is 0, so what should tanh'(0) be? Compare it with your function's "
            "output, and check which value you square."
        ),
    },
    "1.4": {
        "overflow": (
            "exp of a large positive number overflows (exp(1000) is inf), and np.where computes both branches "
            "for every entry before it picks. Only ever exponentiate -|z|, which is never positive, and build "
            "both branches from that one value."
        ),
        "nan": (
            "inf / inf and 0 * inf give NaN: never exponentiate a large positive number. With e = exp(-|z|), "
            "the task's two cases need no other exponential; pick between them by the sign of z."
        ),
        "shape": "Return an array of z's shape: sigma is applied entry by entry.",
        "array": ARRAY_HINT,
        "abs_everywhere": "For z < 0, sigma(z) = e / (1 + e) with e = exp(-|z|) = exp(z), not 1 / (1 + e).",
        "mirrored": "The branches are swapped or an exponent's sign is flipped: sigma(z) must approach 1 as z grows.",
        "negative_z": (
            "Your values for z < 0 are off: compare that branch with the task's second case, written with "
            "e = exp(-|z|), which equals exp(z) there."
        ),
        "positive_z": (
            "Your values for z >= 0 are off: compare that branch with the task's first case, written with "
            "e = exp(-|z|), which equals exp(-z) there."
        ),
        "other": (
            "Compare your output with the textbook sigmoid at a few moderate z, such as -2, 0 and 2: where do "
            "they differ? Then check each sign of z against the task's cases, written with e = exp(-|z|)."
        ),
    },
}


def _z_cases(
    seed: int = 101, scalar: float = 0.75, shapes: tuple = ((5,), (3, 4), (2, 3, 2)), bound: float = 4.0
) -> list:
    """Inputs for the elementwise tasks: a Python float, then arrays of growing rank. Chapter 01.

    Inputs:
        seed: the generator's seed; scalar: the Python float first; shapes: one array per shape,
        uniform in (-bound, bound). The defaults are the public check's cases: 0.75, then
        (5,), (3, 4), (2, 3, 2).
    """
    rng = np.random.default_rng(seed)
    return [scalar, *(rng.uniform(-bound, bound, size=shape) for shape in shapes)]


def _check_elementwise_case(fn, reference, task_id: str, variants: list[Variant], z) -> None:
    """Compare fn(z) with reference(z) on one z (a number or an array); raise Wrong with the best hint."""
    hints = HINTS[task_id]
    expected = np.asarray(reference(z))
    value = call(fn, z, names=("z",)).value
    where = "a scalar z" if np.ndim(z) == 0 else f"z of shape {np.shape(z)}"
    require_array(value, z, where, hints["array"])
    got = as_numbers(value)
    require_shape(got, expected.shape, np.shape(z), hints["shape"])
    if all_close(got, expected):
        return
    found = diagnose(got, (z,), variants)
    if found is not None:
        raise Wrong(found.detail, found.hint)
    where = "a scalar z" if np.ndim(z) == 0 else f"z of shape {np.shape(z)}"
    raise Wrong(f"wrong values for {where}", hints["other"])


# ---- 1.1 sigmoid_prime ------------------------------------------------------------

_s = activations.sigmoid
_H11 = HINTS["1.1"]
SIGMOID_PRIME_VARIANTS = [
    Variant(lambda z: _s(z), "your values equal sigma(z)", _H11["sigmoid_only"]),
    Variant(lambda z: np.asarray(z) * (1 - np.asarray(z)), "your values equal z * (1 - z)", _H11["forgot_sigmoid"]),
    Variant(lambda z: _s(z) * (1 + _s(z)), "your values equal sigma(z) * (1 + sigma(z))", _H11["plus_sign"]),
    Variant(lambda z: -_s(z) * (1 - _s(z)), "your values have the wrong sign", _H11["negated"]),
    Variant(lambda z: 1 - _s(z) ** 2, "your values equal 1 - sigma(z)**2", _H11["tanh_formula"]),
]


def check_sigmoid_prime_case(fn, z) -> None:
    """Task 1.1 on one z (a number or an array of any shape): Wrong, NotDone or LearnerRaised unless fn is right."""
    _check_elementwise_case(fn, activations.sigmoid_prime, "1.1", SIGMOID_PRIME_VARIANTS, z)


# ---- 1.3 tanh_prime ---------------------------------------------------------------

_t = np.tanh
_H13 = HINTS["1.3"]
TANH_PRIME_VARIANTS = [
    Variant(lambda z: 1 - np.asarray(z) ** 2, "your values equal 1 - z**2", _H13["forgot_tanh"]),
    Variant(lambda z: 1 - _t(z), "your values equal 1 - tanh(z)", _H13["missing_square"]),
    Variant(lambda z: _t(z), "your values equal tanh(z)", _H13["tanh_only"]),
    Variant(lambda z: _t(z) ** 2 - 1, "your values have the wrong sign", _H13["sign"]),
    Variant(lambda z: 1 + _t(z) ** 2, "your values equal 1 + tanh(z)**2", _H13["sign"]),
    Variant(lambda z: _t(z) * (1 - _t(z)), "your values equal tanh(z) * (1 - tanh(z))", _H13["sigmoid_formula"]),
]


def check_tanh_prime_case(fn, z) -> None:
    """Task 1.3 on one z (a number or an array of any shape): Wrong, NotDone or LearnerRaised unless fn is right."""
    _check_elementwise_case(fn, activations.tanh_prime, "1.3", TANH_PRIME_VARIANTS, z)


# ---- 1.2 numerical_derivative -------------------------------------------------------


# (name shown to the learner, f, x, eps). f has a large second derivative at x, so
# a one-sided difference (error ~ eps f''/2) is far from the centered one.
DERIVATIVE_CASES = [
    ("x**3 - 2*x", Given(given.cube), 1.5, 1e-3),
    ("np.exp(3*x)", Given(given.exp3), 0.4, 1e-3),
    ("np.sin(x)", np.sin, 1.3, 1e-2),
]

_H12 = HINTS["1.2"]
NUMERICAL_DERIVATIVE_VARIANTS = [
    Variant(lambda f, x, eps: (f(x + eps) - f(x)) / eps, "your value is the forward difference", _H12["one_sided"]),
    Variant(lambda f, x, eps: (f(x) - f(x - eps)) / eps, "your value is the backward difference", _H12["one_sided"]),
    Variant(
        lambda f, x, eps: (f(x + eps) - f(x - eps)) / eps,
        "your value is twice the centered difference",
        _H12["forgot_two"],
    ),
    Variant(lambda f, x, eps: (f(x + eps) - f(x - eps)) / 2 * eps, "your value is far too small", _H12["precedence"]),
    Variant(
        lambda f, x, eps: (f(x + eps) - f(x - eps)) / eps**2, "your value is far too large", _H12["over_eps_squared"]
    ),
    Variant(
        lambda f, x, eps: (f(x + eps) - f(x - eps)) / (2 * eps**2),
        "your value is far too large",
        _H12["over_eps_squared"],
    ),
    Variant(
        lambda f, x, eps: (f(x + eps) - f(x - eps)) / (2 * eps) ** 2,
        "your value is far too large",
        _H12["over_eps_squared"],
    ),
    Variant(lambda f, x, eps: f(x + eps) - f(x - eps), "your value is far too small", _H12["no_division"]),
    Variant(lambda f, x, eps: (f(x - eps) - f(x + eps)) / (2 * eps), "your value has the wrong sign", _H12["sign"]),
    Variant(
        lambda f, x, eps: (f(x + eps / 2) - f(x - eps / 2)) / eps,
        "your points are eps/2 from x, not eps",
        _H12["half_step"],
    ),
]


def _one_number(value) -> np.ndarray:
    got = as_numbers(value)
    if got.shape != ():
        raise Wrong(f"your function returned shape {got.shape}, not a single number", _H12["shape"])
    return got


def check_derivative_case(fn, case: tuple, at: str | None = None) -> None:
    """Task 1.2 on one (name, f, x, eps): fn(f, x, eps) is the centered difference. Chapter 01.

    `at` names the point in a detail ("x = 1.5" when None); raises Wrong, NotDone or
    LearnerRaised unless fn is right.
    """
    name, f, x, eps = case
    expected = gradcheck.numerical_derivative(f, x, eps)
    got = _one_number(call(fn, f, x, eps, names=("f", "x", "eps")).value)
    # the same formula with the same eps agrees to round-off, far below this tolerance
    if all_close(got, expected, rtol=1e-8):
        return
    if eps is not None:  # the same call with another step: an answer that ignores eps gives the same value
        other = _one_number(call(fn, f, x, 10.0 * eps, names=("f", "x", "eps")).value)
        if all_close(other, got, rtol=1e-12):
            raise Wrong(f"your value does not change with eps (for f(x) = {name})", _H12["ignores_eps"])
    found = diagnose(got, (f, x, eps), NUMERICAL_DERIVATIVE_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} (for f(x) = {name})", found.hint)
    raise Wrong(f"wrong value for f(x) = {name} at {at or f'x = {x}'}", _H12["other"])


def check_default_step_case(fn, case: tuple) -> None:
    """Task 1.2 on one (name, f, x, eps), called with no step: the step must default to 1e-5. Chapter 01."""
    name, f, x, _ = case
    got = _one_number(call(fn, f, x, names=("f", "x")).value)
    # a default step up to about 1e-4 passes for exp(3x); 1e-3 or more is off by over 1e-7
    if not all_close(got, gradcheck.numerical_derivative(f, x), rtol=1e-7):
        raise Wrong(f"called with no step, for f(x) = {name}, your value is off", _H12["default_eps"])


def check_numerical_derivative(fn) -> None:
    """Task 1.2: fn(f, x, eps) == (f(x + eps) - f(x - eps)) / (2 eps), and eps defaults to 1e-5. Chapter 01."""
    for case in DERIVATIVE_CASES:
        check_derivative_case(fn, case)
    check_default_step_case(fn, DERIVATIVE_CASES[1])


# ---- 1.4 stable_sigmoid -------------------------------------------------------------


def _extreme_cases() -> list:
    """Inputs whose naive exp(-z) or exp(z) overflows float64 (above about 709.78)."""
    rng = np.random.default_rng(104)
    return [
        np.array([-1000.0, -750.0, -100.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 100.0, 750.0, 1000.0]),  # (11,)
        rng.uniform(-4.0, 4.0, size=(4, 5)),  # (4, 5), moderate values
        rng.uniform(-900.0, 900.0, size=(2, 3, 4)),  # (2, 3, 4)
        -1000.0,
    ]


_H14 = HINTS["1.4"]
STABLE_SIGMOID_VARIANTS = [
    Variant(lambda z: _s(np.abs(z)), "for z < 0 your values equal sigma(|z|)", _H14["abs_everywhere"]),
    Variant(lambda z: _s(-np.asarray(z)), "your values equal sigma(-z)", _H14["mirrored"]),
]


def check_stable_sigmoid_case(fn, z) -> None:
    """Task 1.4 on one z (a number or an array of any shape): fn(z) == sigma(z), no warning, inf or NaN.

    Chapter 01. Raises Wrong, NotDone or LearnerRaised unless fn is right.
    """
    expected = np.asarray(activations.sigmoid(z))
    outcome = call(fn, z, names=("z",))
    where = "a scalar z" if np.ndim(z) == 0 else f"z of shape {np.shape(z)}"
    require_array(outcome.value, z, where, _H14["array"])
    got = as_numbers(outcome.value)
    if np.any(np.isnan(got)):
        raise Wrong(f"your function returned NaN for {where}", _H14["nan"])
    if outcome.warnings:
        raise Wrong(f"numpy warned for {where}: {outcome.warnings[0]}", _H14["overflow"])
    require_shape(got, expected.shape, np.shape(z), _H14["shape"])
    if all_close(got, expected):
        return
    found = diagnose(got, (z,), STABLE_SIGMOID_VARIANTS)
    if found is not None:
        raise Wrong(found.detail, found.hint)
    z_arr = np.asarray(z)
    negative_ok = all_close(got[z_arr < 0], expected[z_arr < 0])
    positive_ok = all_close(got[z_arr >= 0], expected[z_arr >= 0])
    if negative_ok != positive_ok:
        side = "positive_z" if negative_ok else "negative_z"
        sign = "z >= 0" if negative_ok else "z < 0"
        raise Wrong(f"wrong values where {sign}, for {where}", _H14[side])
    raise Wrong(f"wrong values for {where}", _H14["other"])


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _z_other(rng: np.random.Generator) -> list:
    """1.1, 1.3: new values, a 0-d array, and shapes the public cases lack (a length-one axis, four axes)."""
    scalar = float(np.round(rng.uniform(-6.0, 6.0), 3))
    shapes = ((1,), (int(rng.integers(4, 8)), 1), (2, 1, 3, int(rng.integers(2, 4))))
    return [*_z_cases(seed=seed_from(rng), scalar=scalar, shapes=shapes, bound=6.0), np.array(rng.uniform(-3.0, 3.0))]


def _z_integer(rng: np.random.Generator) -> list:
    """1.1, 1.3: a Python int and int64 arrays: an answer that computes into an integer array truncates."""
    return [
        int(rng.integers(-4, 5)),
        rng.integers(-3, 4, size=int(rng.integers(5, 9))),
        rng.integers(-4, 6, size=(2, 3)),
    ]


def _z_huge(rng: np.random.Generator) -> list:
    """1.4: |z| from 1e4 up to the largest float64, far beyond 710, where exp(|z|) starts to overflow."""
    largest = np.finfo(np.float64).max
    magnitudes = 10.0 ** rng.uniform(4.0, 300.0, size=4)
    signs = rng.choice([-1.0, 1.0], size=4)
    edge = np.array([-largest, largest, -1e4, 1e4])
    return [
        rng.permutation(np.concatenate([edge, signs * magnitudes])),  # (8,)
        rng.uniform(-1e5, 1e5, size=(3, 1, 2)),  # (3, 1, 2)
        float(rng.uniform(1e4, 1e6)),
    ]


def _z_integer_extreme(rng: np.random.Generator) -> list:
    """1.4: integer arrays with large entries and a large negative Python int."""
    return [
        rng.permutation(np.array([-int(rng.integers(750, 2000)), -30, -1, 0, 1, 30, int(rng.integers(750, 2000))])),
        rng.integers(-6, 6, size=(3, 4)),
        -int(rng.integers(1000, 10_000)),
    ]


def _derivative_cases(rng: np.random.Generator) -> list:
    """1.2: (name, f, x, eps) other than the public ones; the last point is a Python int."""
    steps = rng.permutation([1e-2, 5e-3, 1e-3])
    return [
        ("np.cos(x)", np.cos, float(np.round(rng.uniform(-2.0, 2.0), 2)), float(steps[0])),
        ("x**4 - x", Given(given.quartic), float(np.round(rng.uniform(-1.5, 1.5), 2)), float(steps[1])),
        ("np.exp(-2*x)", Given(given.exp_minus_2x), int(rng.integers(1, 4)), float(steps[2])),
    ]


def _derivative_case(fn, case) -> None:
    check_derivative_case(fn, case, at="a hidden point")


def _steep_default_cases(rng: np.random.Generator) -> list:
    """1.2 with no step: exp(20x), whose centered difference is off by (20 eps)**2 / 6 relatively, about 7e-7 for
    eps = 1e-4 (beyond the check's 1e-7) and 7e-9 for the default 1e-5."""
    return [("np.exp(20*x)", Given(given.exp_20x), float(np.round(rng.uniform(-0.2, 0.2), 3)), None)]


_OTHER_Z = "new values, a zero-dimensional array, and shapes with a length-one axis or four axes"
_INTEGER_Z = "a Python int and integer arrays: the derivative of an integer z is still a fraction"

TASKS = (
    Task(
        "1.1",
        "sigmoid_prime",
        2,
        "01",
        OnCases(check_sigmoid_prime_case, _z_cases),
        signature="sigmoid_prime(z)",
        try_it="sigmoid_prime(np.array([-1.0, 0.0, 2.0]))",
        hidden=(
            HiddenCheck("other values and shapes", _OTHER_Z, check_sigmoid_prime_case, _z_other),
            HiddenCheck("integer input", _INTEGER_Z, check_sigmoid_prime_case, _z_integer),
        ),
        implemented_by=("bplib.activations.sigmoid_prime", "bplib.activations._sigmoid_prime",
                       "bplib.layers.sigmoid_backward", "bplib.layers._sigmoid_backward"),
    ),
    Task(
        "1.2",
        "numerical_derivative",
        2,
        "01",
        check_numerical_derivative,
        signature="numerical_derivative(f, x, eps=1e-5)",
        try_it="numerical_derivative(np.sin, 1.0)",
        hidden=(
            HiddenCheck(
                "other functions",
                "other functions and points, an integer x among them",
                _derivative_case,
                _derivative_cases,
            ),
            HiddenCheck(
                "default step",
                "called with no step on a steeply growing function: only the task's default step is accurate enough",
                check_default_step_case,
                _steep_default_cases,
            ),
        ),
        implemented_by=("bplib.gradcheck.numerical_derivative", "bplib.gradcheck._numerical_gradient"),
    ),
    Task(
        "1.3",
        "tanh_prime",
        1,
        "01",
        OnCases(check_tanh_prime_case, _z_cases),
        signature="tanh_prime(z)",
        try_it="tanh_prime(np.array([-1.0, 0.0, 2.0]))",
        hidden=(
            HiddenCheck("other values and shapes", _OTHER_Z, check_tanh_prime_case, _z_other),
            HiddenCheck("integer input", _INTEGER_Z, check_tanh_prime_case, _z_integer),
        ),
        implemented_by=("bplib.activations.tanh_prime", "bplib.activations._tanh_prime", "bplib.layers._tanh_backward"),
    ),
    Task(
        "1.4",
        "stable_sigmoid",
        3,
        "01",
        OnCases(check_stable_sigmoid_case, _extreme_cases),
        signature="stable_sigmoid(z)",
        try_it="stable_sigmoid(np.array([-1000.0, 0.0, 1000.0]))",
        hidden=(
            HiddenCheck(
                "huge inputs",
                "|z| far beyond the public cases, up to the largest float: no warning, inf or NaN",
                check_stable_sigmoid_case,
                _z_huge,
            ),
            HiddenCheck(
                "integer input", "integer arrays and a large Python int", check_stable_sigmoid_case, _z_integer_extreme
            ),
        ),
        implemented_by=("bplib.activations.sigmoid", "bplib.activations._sigmoid",
                       "bplib.layers.sigmoid_forward", "bplib.layers._sigmoid_forward"),
    ),
)
