"""A scalar autograd engine: every number remembers how it was made (chapter 02).

Each `Value` stores its number (`data`), the Values it was computed from
(`parents`), the name of the operation (`op`), and the *local gradients*
d(self)/d(parent), computed during the forward pass, right beside the result.
`backward()` then applies the chain rule in reverse topological order:

    grad[parent] += local_gradient * grad[node]

The `+=` is what makes a Value used in two places (a diamond in the graph)
receive the sum of both paths' gradients. Topological order is found with an
explicit stack, so graphs many thousands of nodes deep work (no recursion).

Gradient semantics follow PyTorch: `backward()` adds into `.grad`, so calling it
twice doubles every gradient; call `zero_grad()` to start again.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["Value"]


def _as_number(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{what}: expected a real number or a Value, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what}: expected a finite number, got {x}")
    return x


def _lift(constant, op: str) -> Value:
    """The constant an operation met (the 1 of x + 1), checked and made a Value."""
    return Value(_as_number(constant, f"operand of {op}"))


def _node(data: float, parents: tuple, local_grads: tuple, op: str, check_grads: bool = False) -> Value:
    """The Value an op made from valid parents (checked at the edge): only its numbers are checked.

    With finite inputs and result, only the local gradients of /, ** and log can overflow (check_grads).
    The message is written only when a check fails: it would cost more than the op itself.
    """
    if not math.isfinite(data) or check_grads and not all(map(math.isfinite, local_grads)):
        inputs = ", ".join(f"{p.data:.6g}" for p in parents)
        if not math.isfinite(data):
            raise ValueError(f"{op}: the result is not a finite number ({data}); inputs were {inputs}")
        raise ValueError(f"{op}: the local gradient is not a finite number at inputs {inputs}")
    out = object.__new__(Value)  # skips __init__: there is nothing left to check
    out.data = data
    out.grad = 0.0
    out.parents = parents
    out.local_grads = local_grads
    out.op = op
    out.label = ""
    return out


class Value:
    """One scalar node of a computational graph. Chapter 02.

    Inputs:
        data: a finite real number.
        label: an optional name shown when the graph is drawn (e.g. "w0").
    Attributes:
        data: float, the value computed by the forward pass.
        grad: float, d(output)/d(self) after output.backward(); starts at 0.
        parents: tuple of Values this one was computed from (empty for inputs).
        local_grads: tuple of floats, d(self)/d(parent) for each parent.
        op: the operation's name ("+", "*", "tanh", ...; "" for inputs).
    """

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label")

    def __init__(self, data, label: str = ""):
        if isinstance(data, Value):
            raise ValueError("data: expected a real number, got a Value (use the Value itself)")
        self.data = _as_number(data, "Value data")
        self.grad = 0.0
        self.parents, self.local_grads, self.op = (), (), ""  # an input: made by no operation
        self.label = str(label)

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ---- gates with two inputs: _node(result, parents, local gradients, op) --
    def __add__(self, other) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "+")
        # add gate: d(a+b)/da = d(a+b)/db = 1, it passes the gradient through unchanged
        return _node(self.data + other.data, (self, other), (1.0, 1.0), "+")

    __radd__ = __add__

    def __sub__(self, other) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "-")
        return _node(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other) -> Value:
        return _lift(other, "-") - self

    def __mul__(self, other) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "*")
        # mul gate: each input's local gradient is the *other* input's value
        return _node(self.data * other.data, (self, other), (other.data, self.data), "*")

    __rmul__ = __mul__

    def __truediv__(self, other) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "/")
        a, b = self.data, other.data
        if b == 0.0:
            raise ValueError(f"/: division by zero ({a:.6g} / 0)")
        # -(a / b) / b rather than -a / (b * b): b * b underflows to 0 for |b| < 1e-162
        return _node(a / b, (self, other), (1.0 / b, -(a / b) / b), "/", check_grads=True)

    def __rtruediv__(self, other) -> Value:
        return _lift(other, "/") / self

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            raise ValueError("**: expected a constant exponent (int or float), got a Value; "
                             "write (b * a.log()).exp() for a ** b with both variable")
        n = _as_number(exponent, "exponent of **")
        a = self.data
        if a == 0.0 and n < 0:
            raise ValueError(f"**: 0 cannot be raised to the negative power {n:g}")
        if a < 0 and not n.is_integer():
            raise ValueError(f"**: a negative base ({a:.6g}) needs an integer exponent, got {n:g}")
        if a == 0.0 and 0 < n < 1:
            raise ValueError(f"**: the derivative of a**{n:g} is infinite at a = 0")
        try:
            data = a**n
            local = n * a ** (n - 1) if n != 0 else 0.0
        except (OverflowError, ZeroDivisionError):
            raise ValueError(f"**: {a:.6g} ** {n:g} (or its gradient) overflows float64") from None
        return _node(data, (self,), (local,), f"**{n:g}", check_grads=True)

    def __neg__(self) -> Value:
        return _node(-self.data, (self,), (-1.0,), "neg")

    def max(self, other) -> Value:
        """The max gate: routes the whole gradient to the larger input (split evenly on a tie)."""
        other = other if isinstance(other, Value) else _lift(other, "max")
        a, b = self.data, other.data
        local = (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)
        return _node(max(a, b), (self, other), local, "max")

    # ---- gates with one input --------------------------------------------
    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp: input {self.data:.6g} is too large, exp overflows float64 above ~709.78") from None
        return _node(e, (self,), (e,), "exp")

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log: expected a positive input, got {self.data:.6g}")
        return _node(math.log(self.data), (self,), (1.0 / self.data,), "log", check_grads=True)

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        e = math.exp(-abs(self.data))  # in (0, 1]: never overflows
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        return _node(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        return _node(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,), "relu")

    # ---- backward --------------------------------------------------------
    def topological_order(self) -> list[Value]:
        """Every node this Value depends on, each after all of its parents; self is last."""
        order, visited = [], {self}
        # depth first: path[-1] is the node explored, todo[-1] its parents still to look at
        path, todo = [self], [reversed(self.parents)]
        while path:
            for parent in todo[-1]:
                if parent not in visited:
                    visited.add(parent)
                    path.append(parent)
                    todo.append(reversed(parent.parents))
                    break
            else:  # every parent is in order: the node can follow them
                todo.pop()
                order.append(path.pop())
        return order

    def backward_steps(self):
        """Yield (node, upstream gradient d(self)/d(node)) in the order backward() visits them.

        Each is complete when its node is reached; bplib.drawing.graph replays the pass with them.
        """
        order = self.topological_order()
        upstream = dict.fromkeys(order, 0.0)
        upstream[self] = 1.0
        for node in reversed(order):
            g = upstream[node]
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                upstream[parent] += local * g  # chain rule; += sums over paths
            yield node, g

    def backward(self) -> None:
        """Add d(self)/d(node) into node.grad for every node of the graph (self.grad gets 1).

        backward_steps()'s sums in its order, made in .grad itself for speed (what was there is
        set aside, then added back), with the chain rule spelled out for two inputs.
        """
        order = self.topological_order()
        earlier = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            g = node.grad
            if len(node.parents) == 2:
                (a, b), (da, db) = node.parents, node.local_grads
                a.grad += da * g  # chain rule; += sums over paths
                b.grad += db * g
            elif node.parents:
                for parent, local in zip(node.parents, node.local_grads, strict=True):
                    parent.grad += local * g
        for node, g in zip(order, earlier, strict=True):
            node.grad += g

    def zero_grad(self) -> None:
        """Set .grad to 0 on every node of the graph that ends in self."""
        for node in self.topological_order():
            node.grad = 0.0

