"""Tests for bplib.graph: the scalar autograd engine `Value`."""

from __future__ import annotations

import math
import sys
import warnings

import pytest
from hypothesis import HealthCheck, assume, given, settings

from bplib.graph import Value
from tests.strategies import Program, programs

H = 1e-5


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def rel_error(a: float, n: float, floor: float = 1e-8) -> float:
    return abs(a - n) / max(abs(a) + abs(n), floor)


def partial_derivative(f, args: tuple[float, ...], i: int, h: float = H) -> float:
    """Centered difference of f(*args) in its i-th argument."""
    plus, minus = list(args), list(args)
    plus[i] += h
    minus[i] -= h
    return (f(*plus) - f(*minus)) / (2 * h)


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


# ---- every operation against centered differences -----------------------------------

# id -> (expression on Values, the same expression on floats, the point)
OP_CASES = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, (1.3, -0.4)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, (1.3, -0.4)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, (1.3, -0.4)),
    "truediv": (lambda a, b: a / b, lambda a, b: a / b, (1.3, -0.7)),
    "pow_int": (lambda a: a**3, lambda a: a**3, (1.3,)),
    "pow_int_negative_base": (lambda a: a**3, lambda a: a**3, (-1.3,)),
    "pow_negative_int": (lambda a: a**-2, lambda a: a**-2, (-1.3,)),
    "pow_integral_float_negative_base": (lambda a: a**2.0, lambda a: a**2.0, (-1.3,)),
    "pow_float": (lambda a: a**2.5, lambda a: a**2.5, (1.3,)),
    "pow_sqrt": (lambda a: a**0.5, lambda a: a**0.5, (1.3,)),
    "pow_negative_float": (lambda a: a**-1.5, lambda a: a**-1.5, (0.8,)),
    "pow_one": (lambda a: a**1, lambda a: a**1, (0.8,)),
    "pow_zero": (lambda a: a**0, lambda a: a**0, (0.8,)),
    "neg": (lambda a: -a, lambda a: -a, (0.8,)),
    "add_number": (lambda a: a + 3, lambda a: a + 3, (0.8,)),
    "radd": (lambda a: 3 + a, lambda a: 3 + a, (0.8,)),
    "sub_number": (lambda a: a - 3, lambda a: a - 3, (0.8,)),
    "rsub": (lambda a: 3 - a, lambda a: 3 - a, (0.8,)),
    "mul_number": (lambda a: a * 2.5, lambda a: a * 2.5, (0.8,)),
    "rmul": (lambda a: 2.5 * a, lambda a: 2.5 * a, (0.8,)),
    "truediv_number": (lambda a: a / 2.5, lambda a: a / 2.5, (0.8,)),
    "rtruediv": (lambda a: 3 / a, lambda a: 3 / a, (-0.7,)),
    "exp": (lambda a: a.exp(), math.exp, (0.7,)),
    "exp_negative": (lambda a: a.exp(), math.exp, (-2.1,)),
    "log": (lambda a: a.log(), math.log, (0.6,)),
    "log_large": (lambda a: a.log(), math.log, (3.2,)),
    "tanh": (lambda a: a.tanh(), math.tanh, (0.8,)),
    "tanh_negative": (lambda a: a.tanh(), math.tanh, (-1.9,)),
    "sigmoid": (lambda a: a.sigmoid(), _sigmoid, (1.1,)),
    "sigmoid_negative": (lambda a: a.sigmoid(), _sigmoid, (-2.4,)),
    "relu_positive": (lambda a: a.relu(), lambda a: max(a, 0.0), (1.3,)),
    "relu_negative": (lambda a: a.relu(), lambda a: max(a, 0.0), (-0.9,)),
    "max_first_larger": (lambda a, b: a.max(b), max, (1.3, -0.4)),
    "max_second_larger": (lambda a, b: a.max(b), max, (-1.3, 0.4)),
    "max_number": (lambda a: a.max(0.5), lambda a: max(a, 0.5), (1.3,)),
    "max_number_first": (lambda b: Value(2.0).max(b), lambda b: max(2.0, b), (0.9,)),
    "max_number_first_smaller": (lambda b: Value(-2.0).max(b), lambda b: max(-2.0, b), (0.9,)),
}


@pytest.mark.parametrize("case", OP_CASES, ids=str)
def test_every_operation_gradient_matches_centered_differences(case):
    on_values, on_floats, point = OP_CASES[case]
    leaves = [Value(v) for v in point]
    out = on_values(*leaves)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(on_floats(*point), rel=1e-14)
    out.backward()
    assert out.grad == 1.0
    for i, leaf in enumerate(leaves):
        numeric = partial_derivative(on_floats, point, i)
        assert rel_error(leaf.grad, numeric) < 1e-7, (case, i, leaf.grad, numeric)


def test_a_value_used_twice_in_one_op_gets_both_contributions():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    y = Value(3.0)
    (y + y).backward()
    assert y.grad == 2.0
    z = Value(3.0)
    (z - z).backward()
    assert z.grad == 0.0
    w = Value(3.0)
    (w / w).backward()
    assert w.grad == 0.0


def test_max_of_a_tie_splits_the_gradient_evenly():
    a, b = Value(2.0), Value(2.0)
    a.max(b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)
    c, d = Value(-1.5), Value(-1.5)
    d.max(c).backward()
    assert (c.grad, d.grad) == (0.5, 0.5)
    e = Value(4.0)
    e.max(4).backward()
    assert e.grad == 0.5
    x = Value(1.0)
    x.max(x).backward()  # both halves reach the same node
    assert x.grad == 1.0


def test_relu_at_zero_passes_no_gradient():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


# ---- diamonds -------------------------------------------------------------------------


def test_diamond_gradients_are_exact():
    x, y = Value(3.0), Value(-2.0)
    a = x * y
    f = a + a * x  # f = x*y + x*x*y
    f.backward()
    assert f.data == -24.0
    assert x.grad == -14.0  # y + 2*x*y
    assert y.grad == 12.0  # x + x*x
    assert a.grad == 4.0  # 1 + x


def test_two_level_diamond_gradients_are_exact():
    x, y = Value(3.0), Value(-2.0)
    a = x + y
    b = x * y
    f = a * b + a * x  # x*x*y + x*y*y + x*x + x*y
    f.backward()
    assert x.grad == -4.0  # 2xy + y^2 + 2x + y
    assert y.grad == 0.0  # x^2 + 2xy + x
    assert a.grad == -3.0  # b + x
    assert b.grad == 1.0  # a


# ---- deep graphs ----------------------------------------------------------------------


def test_a_chain_ten_thousand_nodes_deep_backpropagates_without_recursion():
    assert sys.getrecursionlimit() < 10_000  # so a recursive implementation would fail here
    x = Value(0.5)
    y = x
    tanh_outputs = []
    for _ in range(10_000):
        y = y.tanh()
        tanh_outputs.append(y.data)
    y.backward()
    # backward multiplies local * upstream from the output down; do the same in floats.
    expected = 1.0
    for t in reversed(tanh_outputs):
        expected = (1.0 - t * t) * expected
    assert expected > 1e-12  # the chain did not underflow to a trivial 0
    assert x.grad == expected
    assert len(y.topological_order()) == 10_001


def test_a_chain_of_alternating_negations_and_shifts_has_exact_gradients():
    x = Value(1.0)
    y = x
    nodes = []
    for k in range(10_000):
        y = -y if k % 2 else y + 0.25
        nodes.append(y)
    y.backward()
    assert x.grad == 1.0  # 5000 negations
    # Going back from the output, the sign flips at every negation node.
    sign = 1.0
    for k in reversed(range(10_000)):
        assert nodes[k].grad == sign
        if k % 2:
            sign = -sign


def test_a_sum_of_five_thousand_terms_has_exact_gradients():
    xs = [Value(0.001 * i) for i in range(5000)]
    coefficients = [float(i % 7 - 3) for i in range(5000)]
    total = sum(
        c * x for c, x in zip(coefficients, xs, strict=True)
    )  # starts with 0 + Value (radd)
    total.backward()
    assert [x.grad for x in xs] == coefficients


def test_one_value_reused_in_five_thousand_terms_collects_every_contribution():
    x = Value(0.5)
    total = Value(0.0)
    for k in range(1, 5001):
        total = total + x * k
    total.backward()
    assert x.grad == 5000 * 5001 / 2


# ---- random programs: diamonds, reuse, every op -------------------------------------

RANDOM_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# Reference gradients of random programs use Richardson's combination of two centered
# differences, (4 D(h) - D(2h)) / 3, whose error is O(h^4): ~1e-12 here. Below FD_FLOOR
# a relative error of 1e-7 asks for more than that, so tiny gradients are compared absolutely.
FD_STEP = 1e-4
FD_FLOOR = 1e-3


def _program_partial(program: Program, i: int, h: float, branches) -> float:
    plus, minus = list(program.leaves), list(program.leaves)
    plus[i] += h
    minus[i] -= h
    f_plus, branches_plus = program.evaluate(plus)
    f_minus, branches_minus = program.evaluate(minus)
    # A relu or max must stay on one side of its kink, or the difference quotient is meaningless.
    assume(branches_plus == branches and branches_minus == branches)
    return (f_plus - f_minus) / (2 * h)


@RANDOM_SETTINGS
@given(programs())
def test_random_program_leaf_gradients_match_centered_differences(program):
    leaves, nodes = program.build()
    out = nodes[-1]
    value, branches = program.evaluate(program.leaves)
    assert out.data == pytest.approx(value, rel=1e-13, abs=1e-14)
    out.backward()
    for i, leaf in enumerate(leaves):
        d_h = _program_partial(program, i, FD_STEP, branches)
        d_2h = _program_partial(program, i, 2 * FD_STEP, branches)
        numeric = (4 * d_h - d_2h) / 3
        assert rel_error(leaf.grad, numeric, floor=FD_FLOOR) < 1e-7, (i, leaf.grad, numeric)


@RANDOM_SETTINGS
@given(programs())
def test_topological_order_has_each_node_once_after_its_parents(program):
    _, nodes = program.build()
    out = nodes[-1]
    order = out.topological_order()
    position = {id(node): k for k, node in enumerate(order)}
    assert len(position) == len(order)  # each node once
    assert order[-1] is out
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    # ... and it holds exactly the nodes that out depends on.
    reachable, frontier = {id(out)}, [out]
    while frontier:
        for parent in frontier.pop().parents:
            if id(parent) not in reachable:
                reachable.add(id(parent))
                frontier.append(parent)
    assert set(position) == reachable


@RANDOM_SETTINGS
@given(programs())
def test_backward_steps_upstream_gradients_equal_grad_after_backward(program):
    _, nodes = program.build()
    out = nodes[-1]
    steps = list(out.backward_steps())
    assert steps[0] == (out, 1.0)
    assert [node for node, _ in steps] == out.topological_order()[::-1]
    assert all(node.grad == 0.0 for node, _ in steps)  # backward_steps alone changes nothing
    out.backward()
    for node, upstream in steps:
        assert node.grad == upstream


@RANDOM_SETTINGS
@given(programs())
def test_backward_twice_doubles_every_grad_and_zero_grad_resets(program):
    _, nodes = program.build()
    out = nodes[-1]
    order = out.topological_order()
    out.backward()
    once = [node.grad for node in order]
    out.backward()
    assert [node.grad for node in order] == [2 * g for g in once]
    assert out.grad == 2.0
    out.zero_grad()
    assert all(node.grad == 0.0 for node in order)
    out.backward()
    assert [node.grad for node in order] == once


# ---- an independent autograd engine agrees ------------------------------------------


def test_micrograd_gives_the_same_loss_and_gradients_on_the_same_mlp_graph():
    """A 2-4-1 relu MLP over 3 points with squared error, built node for node in both engines
    from the ops micrograd has (+, *, relu, **2). Speed: benchmarks/engine_vs_micrograd.py."""
    from micrograd.engine import Value as MicrogradValue

    def loss(engine, params, xs, ys):
        (w1, b1), (w2, b2) = params
        total = engine(0.0)
        for x, y in zip(xs, ys, strict=True):
            hidden = []
            for row, b in zip(w1, b1, strict=True):
                act = b
                for w, xi in zip(row, x, strict=True):
                    act = act + w * xi
                hidden.append(act.relu())
            out = b2
            for w, h in zip(w2, hidden, strict=True):
                out = out + w * h
            total = total + (out + (-y)) ** 2
        return total

    numbers = (
        ([[0.5, -1.2], [0.8, 0.3], [-0.7, 0.9], [1.1, 0.4]], [0.1, -0.2, 0.05, 0.3]),
        ([0.7, -0.5, 1.3, -0.9], -0.1),
    )
    xs, ys = [[1.0, 2.0], [-0.5, 0.7], [1.5, -1.0]], [0.5, -1.0, 2.0]
    results = []
    for engine in (Value, MicrogradValue):
        (w1, b1), (w2, b2) = numbers
        params = (([[engine(w) for w in row] for row in w1], [engine(b) for b in b1]),
                  ([engine(w) for w in w2], engine(b2)))
        out = loss(engine, params, [[engine(v) for v in x] for x in xs], ys)
        out.backward()
        leaves = [*[w for row in params[0][0] for w in row], *params[0][1], *params[1][0], params[1][1]]
        results.append((out.data, [leaf.grad for leaf in leaves]))
    (ours, our_grads), (theirs, their_grads) = results
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert any(g != 0 for g in our_grads)
    assert our_grads == pytest.approx(their_grads, rel=1e-12, abs=1e-15)


# ---- bad input ------------------------------------------------------------------------

BAD = {
    "data_str": (lambda: Value("a"), ["Value data", "str", "'a'"]),
    "data_none": (lambda: Value(None), ["Value data", "None"]),
    "data_nan": (lambda: Value(float("nan")), ["Value data", "nan"]),
    "data_inf": (lambda: Value(float("inf")), ["Value data", "inf"]),
    "data_minus_inf": (lambda: Value(float("-inf")), ["Value data", "-inf"]),
    "data_bool": (lambda: Value(True), ["Value data", "bool"]),
    "data_complex": (lambda: Value(1 + 2j), ["Value data", "complex"]),
    "data_value": (lambda: Value(Value(1.0)), ["data", "Value"]),
    "log_zero": (lambda: Value(0.0).log(), ["log", "positive", "got 0"]),
    "log_negative": (lambda: Value(-1.5).log(), ["log", "positive", "-1.5"]),
    "div_zero": (lambda: Value(1.5) / 0, ["/", "division by zero", "1.5"]),
    "div_zero_value": (lambda: Value(1.5) / Value(0.0), ["/", "division by zero", "1.5"]),
    "rtruediv_zero": (lambda: 2 / Value(0.0), ["/", "division by zero", "2"]),
    "zero_to_negative_power": (lambda: Value(0.0) ** -1, ["**", "0", "-1"]),
    "negative_base_fractional_power": (lambda: Value(-2.0) ** 0.5, ["**", "-2", "0.5"]),
    "pow_value_exponent": (lambda: Value(2.0) ** Value(2.0), ["**", "Value"]),
    "pow_nan_exponent": (lambda: Value(2.0) ** float("nan"), ["exponent", "nan"]),
    "exp_overflow": (lambda: Value(1000.0).exp(), ["exp", "1000"]),
    "mul_overflow": (lambda: Value(1e200) * Value(1e200), ["*", "finite", "1e+200"]),
    "add_str": (lambda: Value(1.0) + "a", ["+", "str", "'a'"]),
    "rmul_str": (lambda: "a" * Value(1.0), ["*", "str"]),
    "sub_none": (lambda: Value(1.0) - None, ["-", "None"]),
    "max_str": (lambda: Value(1.0).max("a"), ["max", "str"]),
}


@pytest.mark.parametrize("case", BAD, ids=str)
def test_bad_input_raises_a_value_error_naming_the_op_and_the_value(case):
    make, fragments = BAD[case]
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_values_keep_label_and_accept_ints():
    x = Value(3, label="w0")
    assert x.data == 3.0 and type(x.data) is float
    assert x.label == "w0"
    assert x.grad == 0.0 and x.parents == () and x.op == ""


# ---- the edges of float64 -------------------------------------------------------------

EDGE_CASES = {
    "sqrt_at_zero": (lambda: Value(0.0) ** 0.5, ["**", "0.5", "infinite"]),
    "pow_overflow": (lambda: Value(1e200) ** 2, ["**", "1e+200"]),
    "pow_huge_exponent": (lambda: Value(10.0) ** 400, ["**", "10", "400"]),
    "pow_negative_overflow": (lambda: Value(1e-300) ** -2, ["**", "1e-300"]),
    "pow_gradient_overflow": (lambda: Value(1e-170) ** -1, ["**", "1e-170"]),
    "div_gradient_overflow": (lambda: Value(1.0) / Value(1e-170), ["/", "1e-170"]),
    "rtruediv_gradient_overflow": (lambda: 1.0 / Value(1e-170), ["/", "1e-170"]),
    "log_gradient_overflow": (lambda: Value(1e-320).log(), ["log", "e-321"]),
    "exp_just_above_limit": (lambda: Value(710.0).exp(), ["exp", "710"]),
    "add_overflow": (lambda: Value(1e308) + Value(1e308), ["+", "1e+308"]),
}


@pytest.mark.parametrize("case", EDGE_CASES, ids=str)
def test_results_or_local_gradients_beyond_float64_raise_a_value_error(case):
    make, fragments = EDGE_CASES[case]
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


# Values made by operations skip Value()'s checks; the finiteness of their numbers is still
# checked, with these exact messages (the message is only written when a check fails).
RESULT, LOCAL = "the result is not a finite number", "the local gradient is not a finite number"
NOT_FINITE = {
    "add": (lambda: Value(1e308) + Value(1e308), f"+: {RESULT} (inf); inputs were 1e+308, 1e+308"),
    "radd": (lambda: 1e308 + Value(1e308), f"+: {RESULT} (inf); inputs were 1e+308, 1e+308"),
    "sub": (lambda: Value(-1e308) - Value(1e308), f"-: {RESULT} (-inf); inputs were -1e+308, 1e+308"),
    "rsub": (lambda: -1e308 - Value(1e308), f"-: {RESULT} (-inf); inputs were -1e+308, 1e+308"),
    "mul": (lambda: Value(1e200) * Value(1e200), f"*: {RESULT} (inf); inputs were 1e+200, 1e+200"),
    "rmul": (lambda: 1e200 * Value(1e200), f"*: {RESULT} (inf); inputs were 1e+200, 1e+200"),
    "div": (lambda: Value(1e300) / Value(1e-10), f"/: {RESULT} (inf); inputs were 1e+300, 1e-10"),
    "rtruediv": (lambda: 1e300 / Value(1e-10), f"/: {RESULT} (inf); inputs were 1e+300, 1e-10"),
    "div_gradient": (lambda: Value(1.0) / Value(1e-170), f"/: {LOCAL} at inputs 1, 1e-170"),
    "pow_gradient": (lambda: Value(10.0) ** 308, f"**308: {LOCAL} at inputs 10"),
    "pow_overflow": (lambda: Value(1e200) ** 2, "**: 1e+200 ** 2 (or its gradient) overflows float64"),
    "log_gradient": (lambda: Value(1e-320).log(), f"log: {LOCAL} at inputs 9.99989e-321"),
    "exp_overflow": (lambda: Value(1000.0).exp(), "exp: input 1000 is too large, exp overflows float64 above ~709.78"),
}


@pytest.mark.parametrize("case", NOT_FINITE, ids=str)
def test_a_result_or_local_gradient_beyond_float64_raises_this_exact_message(case):
    make, message = NOT_FINITE[case]
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message


def test_values_made_by_operations_are_complete_values():
    a, b = Value(2, label="a"), Value(-3)
    made = [a + b, a - 1, 2 - a, a * b, a / b, 1 / a, a**2, -a, a.max(b), b.max(1), a.exp(), a.log(),
            a.tanh(), a.sigmoid(), b.relu()]
    for node in made:
        assert type(node) is Value and type(node.data) is float, node
        assert node.grad == 0.0 and node.label == "" and node.op != ""
        assert type(node.parents) is tuple and all(isinstance(p, Value) for p in node.parents)
        assert type(node.local_grads) is tuple and len(node.local_grads) == len(node.parents)
        assert all(type(g) is float and math.isfinite(g) for g in node.local_grads)
    assert (a * b).local_grads == (-3.0, 2.0) and (a - b).local_grads == (1.0, -1.0)


def test_backward_adds_to_gradients_left_by_another_graph():
    x = Value(1.5)
    f = x * x  # df/dx = 2x = 3
    f.backward()
    g = f * 2.0 + x  # reuses f, which already holds a gradient
    g.backward()
    assert f.grad == 1.0 + 2.0
    assert x.grad == 3.0 + (2.0 * 3.0 + 1.0)


def test_exp_accepts_every_input_with_a_finite_result():
    x = Value(709.78)
    y = x.exp()
    y.backward()
    assert y.data == math.exp(709.78)
    assert x.grad == y.data


def test_division_by_a_tiny_number_has_exact_gradients():
    # b * b underflows to 0 here, so the local gradient must avoid forming it.
    a, b = Value(1e-200), Value(1e-170)
    (a / b).backward()
    assert a.grad == pytest.approx(1e170, rel=1e-15)
    assert b.grad == pytest.approx(-1e-200 / 1e-170 / 1e-170, rel=1e-15)
    assert b.grad == pytest.approx(-1e140, rel=1e-14)
