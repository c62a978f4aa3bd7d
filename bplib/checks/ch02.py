"""Checks for exercise 02, the chain rule on computational graphs (chapter 02).

Tasks:
    2.1 mul_backward(x, y, dout) -> (dx, dy)          the mul gate f = x * y
    2.2 max_backward(x, y, dout) -> (dx, dy)          the max gate f = max(x, y), x != y
    2.3 neuron_backward(w0, x0, w1, x1, w2) -> dict   f = sigma(w0*x0 + w1*x1 + w2)
    2.4 chain_rule_by_hand() -> (df_dx, df_dy, df_dz) f = (x + y) * max(y, z) at CHAIN_POINT, worked by hand

The expected gradients come from bplib.graph: each checker builds the graph from
Values, calls backward(), and compares. All inputs are scalars.
"""

from __future__ import annotations

import math

import numpy as np

from bplib.checks._core import (
    HiddenCheck,
    NotDone,
    OnCases,
    Task,
    Variant,
    Wrong,
    a_type,
    all_close,
    as_number,
    call,
    diagnose,
    unpack,
)
from bplib.graph import Value

HINTS = {
    "2.1": {
        "one_number": "Return both gradients, one per input: return dx, dy.",
        "swapped": (
            "The mul gate swaps its inputs on the way back: the local gradient for x is the other input, y, "
            "and the one for y is x."
        ),
        "forgot_dout": "Chain rule: multiply each local gradient by the upstream gradient dout.",
        "sign": "Check the signs: d(xy)/dx = y, with no minus.",
        "other": (
            "Work x = 2, y = 5 by hand: when x grows a little, how fast does the product xy grow, and when y "
            "grows? Compare your two gradients with that, first with dout = 1 and then with another dout."
        ),
    },
    "2.2": {
        "one_number": "Return both gradients, one per input: return dx, dy.",
        "both": "The max gate routes the gradient to the larger input only; the smaller one gets no gradient.",
        "smaller": "You route the gradient to the smaller input; it belongs to the larger one.",
        "forgot_dout": "Chain rule: the larger input's gradient is 1 * dout, not 1.",
        "other": (
            "Which input does max(x, y) pass on when x > y, and which when x < y? Compare your two gradients "
            "with both cases, and check that the upstream gradient dout reaches the input that wins."
        ),
    },
    "2.3": {
        "not_dict": 'Return a dict with one entry per input: {"w0": ..., "x0": ..., "w1": ..., "x1": ..., "w2": ...}.',
        "missing_sigma_prime": (
            "f = sigma(z), with z the weighted sum plus the bias, so every gradient is dz/d(input) times "
            "sigma'(z): multiply by sigma'(z) = sigma(z) (1 - sigma(z))."
        ),
        "sigma_not_prime": "The sigmoid gate's local gradient is sigma'(z) = sigma(z) * (1 - sigma(z)), not sigma(z).",
        "swapped": (
            "In the product w0 x0 the local gradient of each factor is the other factor: df/dw0 carries x0, "
            "and df/dx0 carries w0."
        ),
        "bias": "The bias w2 enters z with coefficient 1, so the add gate passes sigma'(z) on to it unchanged.",
        "sign": "sigma is increasing, so each gradient has the sign of dz/d(input): check the signs.",
        "forgot_bias_forward": (
            "Include the bias w2 in the forward pass: sigma'(z) needs the z the neuron really computes, bias and all."
        ),
        "other": (
            "Compare one gradient with a numerical derivative: nudge w0 by a small h, see how much f changes, "
            "and divide by h. Which stage of the graph (a product, the sum, the sigmoid) does your value miss?"
        ),
    },
    "2.4": {
        "not_three": "Return the three numbers in order: return df_dx, df_dy, df_dz.",
        "one_path": ("y is used twice, in x + y and in max(y, z): add the gradients that reach y along both paths."),
        "max_routes": "The max gate routes the gradient only to its larger input; the smaller input gets none.",
        "dx": "x reaches f only through q = x + y: df/dx = df/dq * dq/dx, and df/dq is the other factor.",
        "other": (
            "Write down the forward pass first: what are q = x + y and m = max(y, z) at this point? Then go "
            "gate by gate back from f = q m: which inputs does each gate send a gradient to, and how large?"
        ),
    },
}


def _pair(value, hint: str) -> tuple[float, float]:
    """The learner's (dx, dy) as two floats, or Wrong saying what came instead."""
    dx, dy = unpack(value, ("dx", "dy"), hint)
    return as_number(dx, "dx"), as_number(dy, "dy")


# ---- 2.1 and 2.2: two-input gates ---------------------------------------------------


def _gate_grads(gate: str, x: float, y: float, dout: float) -> tuple[float, float]:
    """(dx, dy) for out = gate(x, y) with upstream gradient dout, from bplib.graph."""
    xv, yv = Value(x, "x"), Value(y, "y")
    out = xv * yv if gate == "mul" else xv.max(yv)
    (out * dout).backward()  # the constant factor dout plays the upstream gradient
    return xv.grad, yv.grad


# (x, y, dout): dout is never 1 and never equal to x or y, so each mistake shows
GATE_CASES = [(3.0, -4.0, 2.0), (-1.5, 2.5, -0.5), (0.75, 0.25, 1.5)]


def _check_gate_case(fn, gate: str, task_id: str, variants: list[Variant], case: tuple, where: str | None) -> None:
    """One (x, y, dout) of a two-input gate; `where` names the case in a detail (its numbers when None)."""
    hints = HINTS[task_id]
    x, y, dout = case
    where = where or f"x={x}, y={y}, dout={dout}"
    expected = _gate_grads(gate, x, y, dout)
    got = _pair(call(fn, x, y, dout).value, hints["one_number"])
    if all_close(got, expected):
        return
    found = diagnose(got, (x, y, dout), variants)
    if found is not None:
        raise Wrong(f"{found.detail} (for {where})", found.hint)
    raise Wrong(f"wrong gradients for {where}", hints["other"])


_H21 = HINTS["2.1"]
MUL_VARIANTS = [
    Variant(lambda x, y, d: (x * d, y * d), "dx and dy are swapped", _H21["swapped"]),
    Variant(lambda x, y, d: (y, x), "dout is missing", _H21["forgot_dout"]),
    Variant(lambda x, y, d: (x, y), "dout is missing and dx, dy are swapped", _H21["swapped"]),
    Variant(lambda x, y, d: (-y * d, -x * d), "the signs are flipped", _H21["sign"]),
]


def check_mul_case(fn, case: tuple, where: str | None = None) -> None:
    """Task 2.1 on one (x, y, dout) of scalars; `where` names it in a detail (its numbers when None). Chapter 02."""
    _check_gate_case(fn, "mul", "2.1", MUL_VARIANTS, case, where)


def _route(x, y, to_larger: bool, g):
    larger_is_x = (x > y) == to_larger
    return (g, 0.0) if larger_is_x else (0.0, g)


_H22 = HINTS["2.2"]
MAX_VARIANTS = [
    Variant(lambda x, y, d: (d, d), "both inputs get the gradient", _H22["both"]),
    Variant(lambda x, y, d: _route(x, y, False, d), "the gradient goes to the smaller input", _H22["smaller"]),
    Variant(lambda x, y, d: _route(x, y, True, 1.0), "dout is missing", _H22["forgot_dout"]),
    Variant(lambda x, y, d: (1.0, 1.0), "dout is missing and both inputs get a gradient", _H22["both"]),
]


def check_max_case(fn, case: tuple, where: str | None = None) -> None:
    """Task 2.2 on one (x, y, dout) of scalars, x != y; `where` names it in a detail (its numbers when None).

    Chapter 02.
    """
    _check_gate_case(fn, "max", "2.2", MAX_VARIANTS, case, where)


# ---- 2.3 neuron_backward -------------------------------------------------------------

NEURON_KEYS = ("w0", "x0", "w1", "x1", "w2")


def _neuron_grads(w0, x0, w1, x1, w2) -> dict[str, float]:
    """Gradients of f = sigmoid(w0*x0 + w1*x1 + w2) from bplib.graph, by input name."""
    inputs = {name: Value(v, name) for name, v in zip(NEURON_KEYS, (w0, x0, w1, x1, w2), strict=True)}
    f = (inputs["w0"] * inputs["x0"] + inputs["w1"] * inputs["x1"] + inputs["w2"]).sigmoid()
    f.backward()
    return {name: v.grad for name, v in inputs.items()}


def _neuron_cases(seed: int = 203, count: int = 3, bound: float = 2.0) -> list[tuple[float, ...]]:
    """`count` (w0, x0, w1, x1, w2), uniform in (-bound, bound), rounded to 2 decimals so they read
    well in messages. The defaults are the public check's three cases. Chapter 02."""
    rng = np.random.default_rng(seed)
    return [tuple(float(v) for v in np.round(rng.uniform(-bound, bound, size=5), 2)) for _ in range(count)]


def _sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def _neuron_variant(factor, swapped=False, bias=None, sign=1.0):
    """A wrong neuron_backward: every gradient uses `factor(z, z_without_bias)` as its dz."""

    def compute(w0, x0, w1, x1, w2):
        dz = sign * factor(w0 * x0 + w1 * x1 + w2, w0 * x0 + w1 * x1)
        local = (w0, x0, w1, x1) if swapped else (x0, w0, x1, w1)  # the other factor of each product
        grads = dict(zip(NEURON_KEYS[:4], (g * dz for g in local), strict=True))
        grads["w2"] = dz if bias is None else bias(dz)
        return [grads[k] for k in NEURON_KEYS]

    return compute


def _sigma_prime(z, _z_without_bias):
    return _sig(z) * (1.0 - _sig(z))


_H23 = HINTS["2.3"]
NEURON_VARIANTS = [
    Variant(_neuron_variant(lambda z, zb: 1.0), "the factor sigma'(z) is missing", _H23["missing_sigma_prime"]),
    Variant(
        _neuron_variant(lambda z, zb: 1.0, bias=lambda dz: 0.0),
        "the factor sigma'(z) is missing",
        _H23["missing_sigma_prime"],
    ),
    Variant(_neuron_variant(lambda z, zb: _sig(z)), "you multiplied by sigma(z)", _H23["sigma_not_prime"]),
    Variant(_neuron_variant(_sigma_prime, swapped=True), "the w and x gradients are swapped", _H23["swapped"]),
    Variant(_neuron_variant(_sigma_prime, sign=-1.0), "the signs are flipped", _H23["sign"]),
    Variant(
        _neuron_variant(lambda z, zb: _sigma_prime(zb, zb)),
        "sigma'(z) is computed without the bias",
        _H23["forgot_bias_forward"],
    ),
]


def check_neuron_case(fn, case: tuple, where: str | None = None) -> None:
    """Task 2.3 on one (w0, x0, w1, x1, w2) of scalars; `where` names it in a detail (its numbers when None).

    Chapter 02. Raises Wrong, NotDone or LearnerRaised unless fn is right.
    """
    expected = _neuron_grads(*case)
    value = call(fn, *case).value
    if not isinstance(value, dict):
        raise Wrong(f"your function returned {a_type(value)}, not a dict", _H23["not_dict"])
    missing = [k for k in NEURON_KEYS if k not in value]
    if missing:
        raise Wrong(f"the dict has no key {', '.join(repr(k) for k in missing)}", _H23["not_dict"])
    got = [as_number(value[k], f"the gradient {k!r}") for k in NEURON_KEYS]
    want = [expected[k] for k in NEURON_KEYS]
    if all_close(got, want):
        return
    args = where or ", ".join(f"{k}={v}" for k, v in zip(NEURON_KEYS, case, strict=True))
    found = diagnose(got, case, NEURON_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} (for {args})", found.hint)
    wrong_keys = [k for k, g, w in zip(NEURON_KEYS, got, want, strict=True) if not all_close(g, w)]
    if wrong_keys == ["w2"]:
        raise Wrong(f"the gradient 'w2' is wrong (for {args})", _H23["bias"])
    names = ", ".join(repr(k) for k in wrong_keys)
    raise Wrong(f"wrong gradients for {names} (for {args})", _H23["other"])


# ---- 2.4 by hand -----------------------------------------------------------------------

CHAIN_POINT = {"x": 1.0, "y": 3.0, "z": -2.0}  # y > z, so y reaches f along two paths
ANSWER_NAMES = ("df_dx", "df_dy", "df_dz")


def chain_rule_gradients(x: float, y: float, z: float) -> tuple[float, float, float]:
    """(df/dx, df/dy, df/dz) of f = (x + y) * max(y, z), from bplib.graph. Chapter 02."""
    xv, yv, zv = Value(x, "x"), Value(y, "y"), Value(z, "z")
    f = (xv + yv) * yv.max(zv)
    f.backward()
    return xv.grad, yv.grad, zv.grad


def check_chain_rule_by_hand(answer, gradients=chain_rule_gradients) -> None:
    """Task 2.4: answer == (df_dx, df_dy, df_dz) of (x + y) * max(y, z) at CHAIN_POINT. Chapter 02.

    `gradients(x, y, z)` gives the expected three numbers: bplib.graph's by default.
    """
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        raise Wrong("expected the three numbers (df_dx, df_dy, df_dz)", HINTS["2.4"]["not_three"])
    todo = [name for name, v in zip(ANSWER_NAMES, answer, strict=True) if v is Ellipsis]
    if todo:
        raise NotDone(f"Replace the ... after {', '.join(todo)} by a number")
    got = [as_number(v, name) for name, v in zip(ANSWER_NAMES, answer, strict=True)]
    x, y, z = CHAIN_POINT["x"], CHAIN_POINT["y"], CHAIN_POINT["z"]
    want = gradients(x, y, z)
    wrong = [name for name, g, w in zip(ANSWER_NAMES, got, want, strict=True) if not all_close(g, w)]
    if not wrong:
        return
    detail = f"{' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong"
    hints = HINTS["2.4"]
    # the gradient y gets along only one of its two paths: through x + y, or through the max
    one_path = (max(y, z), x + y)
    if "df_dy" in wrong and any(math.isclose(got[1], g) for g in one_path):
        raise Wrong(detail, hints["one_path"])
    if "df_dz" in wrong:
        raise Wrong(detail, hints["max_routes"])
    raise Wrong(detail, hints["dx"] if wrong == ["df_dx"] else hints["other"])


def check_chain_rule_function(fn, gradients=chain_rule_gradients) -> None:
    """Task 2.4 as the learner answers it: fn() returns (df_dx, df_dy, df_dz), worked out by hand. Chapter 02.

    The numbers sit in a function so that an untouched exercise (whose body raises
    NotImplementedError, as nbgrader writes it) still runs top to bottom."""
    check_chain_rule_by_hand(call(fn).value, gradients)


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _value(rng: np.random.Generator, low: float = 0.25, high: float = 4.0) -> float:
    """A nonzero number of either sign, 2 decimals, |value| in [low, high)."""
    return float(np.round(rng.choice([-1.0, 1.0]) * rng.uniform(low, high), 2))


def _mul_cases(rng: np.random.Generator) -> list:
    """2.1: (x, y, dout) with a zero input (a division by x fails there) and integer inputs."""
    ints = tuple(int(v) for v in rng.choice([-5, -4, -3, -2, 2, 3, 4, 5], size=3))
    return [
        (0.0, _value(rng), _value(rng)),
        (_value(rng), _value(rng), _value(rng)),
        ints,
        (_value(rng), 0.0, _value(rng)),
    ]


def _max_cases(rng: np.random.Generator) -> list:
    """2.2: (x, y, dout), x != y: a positive x below y, a negative x above y (comparing x with 0 fails),
    a negative x below a positive y, and integers."""

    def apart(low: float, high: float) -> tuple[float, float]:  # two values in (low, high), 0.25 or more apart
        first = float(np.round(rng.uniform(low, high - 0.3), 2))
        return first, float(np.round(rng.uniform(first + 0.25, high), 2))

    small, large = apart(0.25, 4.0)
    lower, upper = apart(-4.0, -0.25)
    low, high = sorted(int(v) for v in rng.choice(np.arange(-6, 8), size=2, replace=False))
    return [
        (small, large, _value(rng)),
        (upper, lower, _value(rng)),
        (lower, large, _value(rng)),
        (low, high, int(rng.choice([-3, -2, 2, 3]))),
    ]


def _sign(value: float) -> str:
    return "negative" if value < 0 else "zero" if value == 0 else "positive"


def _gate_where(case: tuple) -> str:
    x, y, dout = case
    return f"a hidden case with x {_sign(x)}, y {_sign(y)} and dout {_sign(dout)}"


def _mul_hidden_case(fn, case) -> None:
    check_mul_case(fn, case, where=_gate_where(case))


def _max_hidden_case(fn, case) -> None:
    check_max_case(fn, case, where=_gate_where(case) + f", {'x' if case[0] > case[1] else 'y'} the larger")


def _neuron_hidden_cases(rng: np.random.Generator) -> list:
    """2.3: four (w0, x0, w1, x1, w2) in (-3, 3), at least one pre-activation z of each sign."""
    while True:
        cases = _neuron_cases(seed=int(rng.integers(2**32)), count=4, bound=3.0)
        signs = {np.sign(w0 * x0 + w1 * x1 + w2) for w0, x0, w1, x1, w2 in cases}
        if {-1.0, 1.0} <= signs:
            return cases


def _neuron_hidden_case(fn, case) -> None:
    w0, x0, w1, x1, w2 = case
    check_neuron_case(fn, case, where=f"a hidden case with {_sign(w0 * x0 + w1 * x1 + w2)} z")


def _chain_rule_by_differences(x: float, y: float, z: float) -> tuple[float, float, float]:
    """2.4's slopes of f = (x + y) * max(y, z) measured by centered differences, not by bplib.graph.

    Away from y = z, f is quadratic in each input, so the centered difference is exact up to rounding.
    """

    def f(x, y, z):
        return (x + y) * max(y, z)

    eps = 1e-3
    return (
        (f(x + eps, y, z) - f(x - eps, y, z)) / (2 * eps),
        (f(x, y + eps, z) - f(x, y - eps, z)) / (2 * eps),
        (f(x, y, z + eps) - f(x, y, z - eps)) / (2 * eps),
    )


def _re_derived(fn, _case) -> None:
    check_chain_rule_function(fn, gradients=_chain_rule_by_differences)


_VALUES = "new values, among them a zero input and integer inputs"
_GRAPH = ("bplib.graph.Value.backward",)  # an autograd engine computes every gradient of this chapter

TASKS = (
    Task(
        "2.1",
        "mul_backward",
        1,
        "02",
        OnCases(check_mul_case, lambda: GATE_CASES),
        signature="mul_backward(x, y, dout)",
        try_it="mul_backward(3.0, -4.0, 2.0)",
        hidden=(HiddenCheck("other values", _VALUES, _mul_hidden_case, _mul_cases),),
        implemented_by=_GRAPH,
    ),
    Task(
        "2.2",
        "max_backward",
        1,
        "02",
        OnCases(check_max_case, lambda: GATE_CASES),
        signature="max_backward(x, y, dout)",
        try_it="max_backward(3.0, -4.0, 2.0)",
        hidden=(
            HiddenCheck(
                "other values",
                "new values: a positive x below y, a negative x above y, integer inputs",
                _max_hidden_case,
                _max_cases,
            ),
        ),
        implemented_by=_GRAPH,
    ),
    Task(
        "2.3",
        "neuron_backward",
        3,
        "02",
        OnCases(check_neuron_case, _neuron_cases),
        signature="neuron_backward(w0, x0, w1, x1, w2)",
        try_it="neuron_backward(2.0, -1.0, -3.0, -2.0, -3.0)",
        hidden=(
            HiddenCheck(
                "other values",
                "new weights and inputs, some with a negative pre-activation z",
                _neuron_hidden_case,
                _neuron_hidden_cases,
            ),
        ),
        implemented_by=_GRAPH,
    ),
    Task(
        "2.4",
        "chain_rule_by_hand",
        2,
        "02",
        check_chain_rule_function,
        signature="chain_rule_by_hand()",
        try_it="chain_rule_by_hand()",
        hidden=(
            HiddenCheck(
                "re-derived",
                "your three numbers against slopes measured by centered differences at "
                "the same point (numbers worked out by hand have no other case)",
                _re_derived,
                lambda rng: [()],
            ),
        ),
        implemented_by=(*_GRAPH, "bplib.checks.ch02.chain_rule_gradients"),
    ),
)
