"""A scalar autograd engine: every number remembers how it was made (chapter 02).

Each `Value` stores its number (`data`), the Values it was computed from
(`parents`), the name of the operation (`op`), and the *local gradients*
d(self)/d(parent), computed during the forward pass. `backward()` then applies
the chain rule in reverse topological order:

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

__all__ = ["Value", "vmax"]


def _as_number(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{what}: expected a real number or a Value, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what}: expected a finite number, got {x}")
    return x


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

    def __init__(self, data, label: str = "", *, _parents=(), _local_grads=(), _op: str = ""):
        if isinstance(data, Value):
            raise ValueError("data: expected a real number, got a Value (use the Value itself)")
        self.data = _as_number(data, "Value data")
        self.grad = 0.0
        self.parents = tuple(_parents)
        self.local_grads = tuple(float(g) for g in _local_grads)
        self.op = _op
        self.label = str(label)

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ---- building blocks -------------------------------------------------
    @staticmethod
    def _lift(other, op: str) -> Value:
        return other if isinstance(other, Value) else Value(_as_number(other, f"operand of {op}"))

    def _result(self, data: float, parents, local_grads, op: str) -> Value:
        inputs = ", ".join(f"{p.data:.6g}" for p in parents)
        if not math.isfinite(data):
            raise ValueError(f"{op}: the result is not a finite number ({data}); inputs were {inputs}")
        if not all(math.isfinite(g) for g in local_grads):
            raise ValueError(f"{op}: the local gradient is not a finite number at inputs {inputs}")
        return Value(data, _parents=parents, _local_grads=local_grads, _op=op)

    # ---- gates with two inputs -------------------------------------------
    def __add__(self, other) -> Value:
        other = self._lift(other, "+")
        # add gate: d(a+b)/da = d(a+b)/db = 1, it passes the gradient through unchanged
        return self._result(self.data + other.data, (self, other), (1.0, 1.0), "+")

    __radd__ = __add__

    def __sub__(self, other) -> Value:
        other = self._lift(other, "-")
        return self._result(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other) -> Value:
        return self._lift(other, "-") - self

    def __mul__(self, other) -> Value:
        other = self._lift(other, "*")
        # mul gate: each input's local gradient is the *other* input's value
        return self._result(self.data * other.data, (self, other), (other.data, self.data), "*")

    __rmul__ = __mul__

    def __truediv__(self, other) -> Value:
        other = self._lift(other, "/")
        if other.data == 0.0:
            raise ValueError(f"/: division by zero ({self.data:.6g} / 0)")
        a, b = self.data, other.data
        try:
            # -(a / b) / b rather than -a / (b * b): b * b underflows to 0 for |b| < 1e-162
            local = (1.0 / b, -(a / b) / b)
        except (OverflowError, ZeroDivisionError):
            raise ValueError(f"/: {a:.6g} / {b:.6g} has a gradient too large for float64") from None
        return self._result(a / b, (self, other), local, "/")

    def __rtruediv__(self, other) -> Value:
        return self._lift(other, "/") / self

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            raise ValueError("**: expected a constant exponent (int or float), got a Value; "
                             "write (b * a.log()).exp() for a ** b with both variable")
        n = _as_number(exponent, "exponent of **")
        a = self.data
        if a == 0.0 and n < 0:
            raise ValueError(f"**: 0 cannot be raised to the negative power {n:g}")
        if a < 0 and not float(n).is_integer():
            raise ValueError(f"**: a negative base ({a:.6g}) needs an integer exponent, got {n:g}")
        if a == 0.0 and 0 < n < 1:
            raise ValueError(f"**: the derivative of a**{n:g} is infinite at a = 0")
        try:
            data = a**n
            local = n * a ** (n - 1) if n != 0 else 0.0
        except (OverflowError, ZeroDivisionError):
            raise ValueError(f"**: {a:.6g} ** {n:g} (or its gradient) overflows float64") from None
        return self._result(data, (self,), (local,), f"**{n:g}")

    def __neg__(self) -> Value:
        return self._result(-self.data, (self,), (-1.0,), "neg")

    def max(self, other) -> Value:
        """The max gate: routes the whole gradient to the larger input (split evenly on a tie)."""
        other = self._lift(other, "max")
        if self.data > other.data:
            local = (1.0, 0.0)
        elif self.data < other.data:
            local = (0.0, 1.0)
        else:
            local = (0.5, 0.5)
        return self._result(max(self.data, other.data), (self, other), local, "max")

    # ---- gates with one input --------------------------------------------
    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp: input {self.data:.6g} is too large, exp overflows float64 above ~709.78") from None
        return self._result(e, (self,), (e,), "exp")

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log: expected a positive input, got {self.data:.6g}")
        try:
            local = 1.0 / self.data
        except OverflowError:  # a subnormal input: 1/a exceeds float64
            raise ValueError(f"log: the gradient 1/a overflows float64 at a = {self.data:.6g}") from None
        return self._result(math.log(self.data), (self,), (local,), "log")

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return self._result(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return self._result(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        x = self.data
        return self._result(max(x, 0.0), (self,), (1.0 if x > 0 else 0.0,), "relu")

    # ---- backward --------------------------------------------------------
    def topological_order(self) -> list[Value]:
        """Every node this Value depends on, each after all of its parents; self is last."""
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in node.parents:
                if id(parent) not in visited:
                    stack.append((parent, False))
        return order

    def backward_steps(self):
        """Yield (node, upstream gradient) in the order backward() visits them.

        The upstream gradient is d(self)/d(node), complete by the time the node is
        reached. Used by bplib.draw to show the backward pass one node at a time.
        """
        order = self.topological_order()
        upstream = {id(node): 0.0 for node in order}
        upstream[id(self)] = 1.0
        for node in reversed(order):
            g = upstream[id(node)]
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                upstream[id(parent)] += local * g  # chain rule; += sums over paths
            yield node, g

    def backward(self) -> None:
        """Add d(self)/d(node) into node.grad for every node of the graph (self.grad gets 1)."""
        for node, g in list(self.backward_steps()):
            node.grad += g

    def zero_grad(self) -> None:
        """Set .grad to 0 on every node of the graph that ends in self."""
        for node in self.topological_order():
            node.grad = 0.0


def vmax(a, b) -> Value:
    """The max gate as a function: vmax(a, b) == Value(a).max(b). Chapter 02."""
    return (a if isinstance(a, Value) else Value(_as_number(a, "vmax"))).max(b)
