"""Hypothesis strategies shared by the library tests: random programs for the Value engine.

A `Program` is a small straight-line program over scalars: a few leaves, then steps
that each apply one operation to earlier results (any earlier result, so a node is
often used twice and the graph has diamonds). The same program can be run on floats
(`evaluate`) or on `bplib.graph.Value`s (`build`), so the engine's gradients can be
checked against centered differences of the float version.

Every operation is safe on the whole real line or is only chosen where it is safe:
log and division see `a*a + 1 >= 1`, exp sees |a| <= 3, and relu / max are only
chosen at least KINK_MARGIN away from their kink. Results are kept within
VALUE_BOUND so that the difference quotient's round-off stays far below 1e-7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import strategies as st

from bplib.graph import Value

KINK_MARGIN = 1e-2  # relu / max inputs at least this far from the kink
VALUE_BOUND = 5.0  # every intermediate result has |value| <= VALUE_BOUND
LEAF_BOUND = 2.0


def _float_sigmoid(a: float) -> float:
    # Inputs are bounded by VALUE_BOUND here, so the textbook form cannot overflow.
    return 1.0 / (1.0 + math.exp(-a))


# name -> (arity, operation on Values, the same operation on floats)
OPS = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "log": (1, lambda a: (a * a + 1).log(), lambda a: math.log(a * a + 1)),
    "exp": (1, lambda a: a.exp(), math.exp),
    "tanh": (1, lambda a: a.tanh(), math.tanh),
    "sigmoid": (1, lambda a: a.sigmoid(), _float_sigmoid),
    "square": (1, lambda a: a**2, lambda a: a**2),
    "cube": (1, lambda a: a**3, lambda a: a**3),
    "sqrt1": (1, lambda a: (a * a + 1) ** 0.5, lambda a: (a * a + 1) ** 0.5),
    "inv": (1, lambda a: 1 / (a * a + 1), lambda a: 1 / (a * a + 1)),
    "neg": (1, lambda a: -a, lambda a: -a),
    "rsub": (1, lambda a: 1.5 - a, lambda a: 1.5 - a),
    "affine": (1, lambda a: 1.0 + 2.0 * a, lambda a: 1.0 + 2.0 * a),
    "relu": (1, lambda a: a.relu(), lambda a: max(a, 0.0)),
    "max": (2, lambda a, b: a.max(b), max),
}
OP_NAMES = sorted(OPS)


def _branch(op: str, args: tuple[float, ...]):
    """Which side of its kink a piecewise op is on (None for smooth ops)."""
    if op == "relu":
        return args[0] > 0
    if op == "max":
        return args[0] > args[1]
    return None


def _safe(op: str, args: tuple[float, ...]) -> bool:
    """True when `op` may be applied to `args` (domain and distance from kinks)."""
    if op == "exp":
        return abs(args[0]) <= 3.0
    if op == "relu":
        return abs(args[0]) >= KINK_MARGIN
    if op == "max":
        return abs(args[0] - args[1]) >= KINK_MARGIN
    return True


@dataclass(frozen=True)
class Program:
    """Leaves, then steps (op name, indices of earlier nodes); the last node is the output."""

    leaves: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def evaluate(self, leaves) -> tuple[float, tuple]:
        """Run the program on floats. Returns (output, the branch taken by each piecewise op)."""
        values = [float(v) for v in leaves]
        branches = []
        for op, idx in self.steps:
            args = tuple(values[i] for i in idx)
            branches.append(_branch(op, args))
            values.append(OPS[op][2](*args))
        return values[-1], tuple(branches)

    def build(self) -> tuple[list[Value], list[Value]]:
        """Run the program on Values. Returns (the leaf Values, every node in program order)."""
        leaves = [Value(v, label=f"x{i}") for i, v in enumerate(self.leaves)]
        nodes = list(leaves)
        for op, idx in self.steps:
            nodes.append(OPS[op][1](*(nodes[i] for i in idx)))
        return leaves, nodes


@st.composite
def programs(draw, max_leaves: int = 4, max_steps: int = 14) -> Program:
    """A random Program whose last step is its output.

    An operation that would be unsafe or leave [-VALUE_BOUND, VALUE_BOUND] at the
    leaves' values is replaced by tanh of its first operand, which always is safe.
    """
    n_leaves = draw(st.integers(1, max_leaves))
    leaf_values = st.floats(-LEAF_BOUND, LEAF_BOUND, allow_subnormal=False)
    values = [draw(leaf_values) for _ in range(n_leaves)]
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(OP_NAMES))
        idx = tuple(draw(st.integers(0, len(values) - 1)) for _ in range(OPS[op][0]))
        args = tuple(values[i] for i in idx)
        result = OPS[op][2](*args) if _safe(op, args) else math.inf
        if not abs(result) <= VALUE_BOUND:
            op, idx = "tanh", idx[:1]
            result = math.tanh(values[idx[0]])
        steps.append((op, idx))
        values.append(result)
    return Program(tuple(values[:n_leaves]), tuple(steps))


def finite_floats(**kwargs):
    """Any finite float64 (no NaN, no infinity); keyword arguments go to st.floats."""
    return st.floats(allow_nan=False, allow_infinity=False, **kwargs)
