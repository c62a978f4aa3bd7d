"""Headless tests of the dashboards in bplib.widgets (chapters 01 and 02).

Setting `slider.value` runs the dashboard's observers in plain Python, so each test moves
a control and asserts that the plotted data, the drawn texts and the readout changed as the
maths says, and that the artists were updated in place (same objects).
"""

from __future__ import annotations

import math

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pytest

from bplib.activations import sigmoid, sigmoid_prime
from bplib.drawing.graph import COLOURS, backward_trace, graph_nodes
from bplib.graph import Value
from bplib.widgets import (
    backward_stepper,
    graph_dashboard,
    graph_state,
    neuron_expression,
    sigmoid_dashboard,
    sigmoid_view,
    stepper_state,
)
from bplib.widgets._base import _widget_tree
from bplib.widgets.sigmoid import SATURATION_CZ, SATURATION_FRACTION, SLOPE_AXIS_STEP, Z_RANGE, slope_axis_top

DEFAULTS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def fmt(x):
    return f"{x:.4f}"


def neuron_by_hand(w0, x0, w1, x1, w2):
    """f and its input gradients, written out with the chain rule (independent of Value)."""
    z = w0 * x0 + w1 * x1 + w2
    ds = sigmoid_prime(z)  # df/dz
    return sigmoid(z), {"w0": ds * x0, "x0": ds * w0, "w1": ds * x1, "x1": ds * w1, "w2": ds}


# ---- chapter 01: sigmoid ---------------------------------------------------------
def test_sigmoid_view_is_the_maths():
    zs = np.linspace(-6, 6, 121)
    view = sigmoid_view(0.7, 2.0, zs)
    np.testing.assert_allclose(view["a"], sigmoid(2.0 * zs), rtol=1e-15)
    np.testing.assert_allclose(view["da"], 2.0 * sigmoid_prime(2.0 * zs), rtol=1e-15)
    # The slope curve is the derivative of the curve: compare with centered differences.
    # For z > 0, sigma(2z) is near 1 and differencing it loses ~eps/h of relative precision,
    # so there difference 1 - sigma(2z) = sigma(-2z) instead (same derivative, negated).
    h = 1e-5
    plain = (sigmoid(2.0 * (zs + h)) - sigmoid(2.0 * (zs - h))) / (2 * h)
    mirrored = (sigmoid(-2.0 * (zs - h)) - sigmoid(-2.0 * (zs + h))) / (2 * h)
    numeric = np.where(zs <= 0, plain, mirrored)
    np.testing.assert_allclose(view["da"], numeric, rtol=1e-7, atol=0)
    assert view["a_z"] == sigmoid(1.4)
    assert view["slope"] == 2.0 * sigmoid_prime(1.4)
    assert view["peak"] == 0.5
    tz, ta = view["tangent_z"], view["tangent_a"]
    assert tz[0] < 0.7 < tz[1]
    assert (ta[1] - ta[0]) / (tz[1] - tz[0]) == pytest.approx(view["slope"], rel=1e-12)
    assert np.all(np.abs(ta - view["a_z"]) <= 0.5 + 1e-12)  # the tangent stays on the plot


def test_sigmoid_view_saturation_threshold():
    zs = np.linspace(-8, 8, 5)
    assert SATURATION_FRACTION * 0.25 == pytest.approx(sigmoid_prime(SATURATION_CZ), rel=1e-12)
    for c in (0.5, 1.0, 3.0):
        inside = sigmoid_view(0.99 * SATURATION_CZ / c, c, zs)
        outside = sigmoid_view(-1.01 * SATURATION_CZ / c, c, zs)
        assert not inside["saturated"]
        assert outside["saturated"]
        assert outside["saturation_edge"] == pytest.approx(SATURATION_CZ / c)


@pytest.mark.parametrize("kwargs, match", [
    ({"z": 0.0, "c": 0.0, "zs": [0.0, 1.0]}, "c"),
    ({"z": float("nan"), "c": 1.0, "zs": [0.0, 1.0]}, "z"),
    ({"z": [1.0, 2.0], "c": 1.0, "zs": [0.0, 1.0]}, "z"),
    ({"z": 0.0, "c": 1.0, "zs": [[0.0, 1.0]]}, "zs"),
    ({"z": 0.0, "c": "one", "zs": [0.0, 1.0]}, "c"),
])
def test_sigmoid_view_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sigmoid_view(**kwargs)


def test_slope_axis_top_steps():
    assert slope_axis_top(0.025) == SLOPE_AXIS_STEP  # never below one step
    assert slope_axis_top(0.25) == 0.3  # c = 1
    assert slope_axis_top(0.3) == 0.6  # 1.15 * 0.3 = 0.345
    assert slope_axis_top(1.25) == 1.5  # c = 5
    for peak in np.linspace(0.025, 1.25, 50):
        top = slope_axis_top(peak)
        assert 1.15 * peak <= top < 1.15 * peak + SLOPE_AXIS_STEP + 1e-12
        assert abs(top / SLOPE_AXIS_STEP - round(top / SLOPE_AXIS_STEP)) < 1e-9


def sigmoid_bands(c):
    """(2, 4) the z of the saturated bands' corners, |z| > SATURATION_CZ / c, cut at the z axis's ends."""
    low, high = Z_RANGE
    edge = min(SATURATION_CZ / c, high)
    return np.array([[low, -edge, -edge, low], [edge, high, high, edge]])


def assert_sigmoid_marks_match(dash, z, c):
    """Every mark and the slope axis show sigmoid(c z) and its slope at the sliders' z and c."""
    marks, zs = dash.marks, dash.zs
    np.testing.assert_allclose(marks["curve"].y, sigmoid(c * zs), rtol=1e-15)
    np.testing.assert_allclose(marks["derivative"].y, c * sigmoid_prime(c * zs), rtol=1e-15)
    np.testing.assert_array_equal(marks["curve"].x, zs)
    np.testing.assert_array_equal(marks["derivative"].x, zs)
    for name, height in (("point", sigmoid(c * z)), ("marker", c * sigmoid_prime(c * z))):
        assert list(marks[name].x) == [z]
        assert list(marks[name].y) == [pytest.approx(height, rel=1e-15)]
    (z0, z1), (a0, a1) = marks["tangent"].x, marks["tangent"].y
    assert z0 < z < z1
    assert (a1 - a0) / (z1 - z0) == pytest.approx(c * sigmoid_prime(c * z), rel=1e-9)
    assert (a0 + a1) / 2 == pytest.approx(sigmoid(c * z), rel=1e-12)  # centred on the point
    for name in ("z_line_a", "z_line_da"):
        assert list(marks[name].x) == [z, z]
    assert list(marks["peak"].y) == [pytest.approx(c / 4, rel=1e-15)] * 2
    assert list(marks["peak"].x) == list(Z_RANGE)
    for name in ("saturated_a", "saturated_da"):
        np.testing.assert_allclose(marks[name].x, sigmoid_bands(c), rtol=1e-15)
    top = dash.scales["slope"].max
    needed = slope_axis_top(c / 4)
    assert dash.scales["slope"].min == 0.0 and top in (needed, round(needed + SLOPE_AXIS_STEP, 9))
    assert top >= 1.15 * c / 4
    assert marks["z_line_da"].y[1] >= top and marks["saturated_da"].y.max() >= top  # reach the axis's top
    html = dash.readout.value
    for number in (z, c, sigmoid(c * z), c * sigmoid_prime(c * z), c / 4):
        assert fmt(number) in html


def test_sigmoid_dashboard_is_drawn_in_the_browser_from_its_marks():
    dash = sigmoid_dashboard()
    assert isinstance(dash.fig, widgets.Box) and "bplib-figure" in dash.fig._dom_classes
    figures = [w for w in dash.fig.children if isinstance(w, bq.Figure)]  # top panel first
    assert [f.title for f in figures] == ["a = σ(c·z) and its tangent",
                                          "its slope: backprop multiplies every gradient passing through by it"]
    assert [[axis.label for axis in f.axes] for f in figures] == [["", "a"], ["z", "da/dz"]]
    assert {mark for f in figures for mark in f.marks} == set(dash.marks.values())  # none left behind
    assert figures[0].axes[0].scale is figures[1].axes[0].scale  # one z axis for both panels
    assert figures[1].axes[1].scale is dash.scales["slope"]
    legends = " ".join(w.value for w in _widget_tree(dash.fig) if isinstance(w, widgets.HTML))
    for label in ("saturated", "a = σ(c·z)", "tangent at z", "da/dz = c·σ′(c·z)", "max c/4"):
        assert label in legends
    assert_sigmoid_marks_match(dash, 0.0, 1.0)


def test_sigmoid_dashboard_follows_the_z_slider():
    dash = sigmoid_dashboard()
    before = dict(dash.marks)
    dash.controls["z"].value = 2.0
    assert_sigmoid_marks_match(dash, 2.0, 1.0)
    assert "not saturated" in dash.readout.value
    assert all(dash.marks[name] is before[name] for name in before)  # updated in place


def test_sigmoid_dashboard_c_rescales_the_slope_peak():
    dash = sigmoid_dashboard(z=1.0)
    for c in (0.5, 3.0, 5.0, 0.1):
        dash.controls["c"].value = c
        assert_sigmoid_marks_match(dash, 1.0, c)
        da = dash.marks["derivative"].y
        assert da.max() == pytest.approx(c / 4, rel=1e-12)  # the grid contains z = 0
        assert dash.zs[np.argmax(da)] == pytest.approx(0.0, abs=1e-12)
    assert dash.scales["slope"].max == SLOPE_AXIS_STEP  # c = 0.1: the axis never shrinks below one step
    assert np.ptp(dash.marks["saturated_a"].x, axis=1).tolist() == [0.0, 0.0]  # no band within |z| <= 8


def test_the_slope_axis_moved_to_and_fro_stays_put():
    dash = sigmoid_dashboard()
    assert dash.scales["slope"].max == 0.3  # c = 1: peak 0.25
    dash.controls["c"].value = 1.1  # 1.15 * 0.275 > 0.3: one step up
    assert dash.scales["slope"].max == 0.6
    sent = []
    dash.scales["slope"].observe(lambda change: sent.append(change["new"]), names=["max"])
    for c in (1.0, 1.1, 1.0, 0.5):
        dash.controls["c"].value = c
        assert_sigmoid_marks_match(dash, 0.0, c)
    assert sent == []  # one step high at most: kept
    dash.controls["c"].value = 2.5  # peak 0.625: up to 0.9
    dash.controls["c"].value = 1.0  # two steps high: back down
    dash.controls["c"].value = 5.0
    assert sent == [0.9, 0.3, 1.5]


def test_sigmoid_dashboard_sends_only_what_moved():
    dash = sigmoid_dashboard()
    sent = []
    for name, mark in dash.marks.items():
        mark.observe(lambda change, name=name: sent.append((name, change["name"])), names=["x", "y"])
    dash.controls["z"].value = 1.0  # the curves, the peak level and the bands stay
    assert {name for name, _ in sent} == {"point", "marker", "tangent", "z_line_a", "z_line_da"}
    sent.clear()
    dash.controls["c"].value = 2.0  # z stays: no vertical line and no point moves sideways
    assert {("curve", "y"), ("derivative", "y"), ("peak", "y"), ("saturated_a", "x"), ("saturated_da", "x"),
            ("point", "y"), ("marker", "y")} <= set(sent)
    assert not {("point", "x"), ("marker", "x"), ("z_line_a", "x"), ("z_line_da", "x")} & set(sent)


def test_sigmoid_dashboard_set_updates_once_and_marks_saturation():
    dash = sigmoid_dashboard()
    count = dash.updates
    dash.set(z=-6.0, c=1.5)
    assert dash.updates == count + 1
    assert dash.values() == {"z": -6.0, "c": 1.5}
    assert_sigmoid_marks_match(dash, -6.0, 1.5)
    assert "saturated" in dash.readout.value and "not saturated" not in dash.readout.value
    left = dash.marks["saturated_a"].x[0]
    assert (left.min(), left.max()) == (-8.0, pytest.approx(-SATURATION_CZ / 1.5))
    dash.set(z=0.0)
    assert "not saturated" in dash.readout.value


def test_dashboard_set_rejects_unknown_names_and_out_of_range():
    dash = sigmoid_dashboard()
    with pytest.raises(ValueError, match="control names"):
        dash.set(y=1.0)
    with pytest.raises(ValueError, match=r"z in \[-8"):
        dash.set(z=9.0)
    with pytest.raises(ValueError, match="c"):
        sigmoid_dashboard(c=0.0)


def test_dashboard_container_and_display():
    dash = sigmoid_dashboard()
    assert isinstance(dash.widget, widgets.VBox)
    controls, readout, figure = dash.widget.children
    assert list(controls.children) == [dash.controls["z"], dash.controls["c"]]
    assert readout is dash.readout
    assert figure is dash.fig  # drawn in the browser: the figure is a widget itself
    assert all(s.continuous_update for s in dash.controls.values())
    bundle = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == dash.widget.model_id
    assert repr(dash) == "<SigmoidDashboard: controls z, c>"
    view = _widget_tree(dash.fig)
    dash.close()
    assert all(w.comm is None for w in view)  # every mark, axis and scale freed


# ---- chapter 02: graph -----------------------------------------------------------
def test_neuron_expression_defaults_and_labels():
    f = neuron_expression()
    labels = [n.label for n in graph_nodes(f)]
    assert labels == ["w0", "x0", "w0*x0", "w1", "x1", "w1*x1", "s", "w2", "z", "f"]
    f_hand, _ = neuron_by_hand(**DEFAULTS)
    assert f.data == pytest.approx(f_hand, rel=1e-15)
    assert fmt(f.data) == "0.7311"


def test_graph_state_matches_the_chain_rule():
    values = {"w0": 0.5, "x0": 1.5, "w1": -1.2, "x1": 0.3, "w2": 0.1}
    state = graph_state(neuron_expression, values)
    f_hand, grads_hand = neuron_by_hand(**values)
    assert state["f"] == pytest.approx(f_hand, rel=1e-15)
    assert state["inputs"] == ["w0", "x0", "w1", "x1", "w2"]
    for name, g in grads_hand.items():
        assert state["grads"][name] == pytest.approx(g, rel=1e-12)
    assert state["grads"]["f"] == 1.0
    # and against centered differences of the forward pass
    h = 1e-6
    for name in values:
        up = graph_state(neuron_expression, {**values, name: values[name] + h})["f"]
        down = graph_state(neuron_expression, {**values, name: values[name] - h})["f"]
        numeric = (up - down) / (2 * h)
        assert abs(state["grads"][name] - numeric) <= 1e-7 * max(abs(numeric), 1e-8) + 1e-10


def test_graph_state_rejects_duplicate_labels_and_non_values():
    def twice(a=1.0):
        return Value(a, label="a") + Value(2.0, label="a")

    with pytest.raises(ValueError, match="distinct"):
        graph_state(twice, {"a": 1.0})
    with pytest.raises(ValueError, match="returning a Value"):
        graph_state(lambda a=1.0: a * 2, {"a": 1.0})


def box_lines(dash) -> dict[str, tuple[str, ...]]:
    """label -> the lines its box shows (header, data, grad), read from the graph's text marks."""
    shown = zip(*(dash.marks[name].text for name in ("headers", "data", "grads")), strict=True)
    return {node.label: tuple(str(line).replace("\u00a0", " ") for line in lines)
            for node, lines in zip(dash.layout.nodes, shown, strict=True)}


def test_graph_dashboard_follows_the_x0_slider():
    dash = graph_dashboard()
    marks, layout = dict(dash.marks), dash.layout
    dash.controls["x0"].value = 1.5
    values = {**DEFAULTS, "x0": 1.5}
    f_hand, grads_hand = neuron_by_hand(**values)
    assert dash.marks == marks and all(dash.marks[name] is mark for name, mark in marks.items())  # updated in place
    assert dash.layout.positions != layout.positions and dash.layout.curves == layout.curves  # new nodes, same places
    shown = box_lines(dash)
    assert shown["f"][1] == f"data {fmt(f_hand)}"
    assert shown["x0"][1] == "data 1.5000"
    for name, g in grads_hand.items():
        assert shown[name][2] == f"grad {fmt(g)}"
        assert f"<td>{name}</td><td><code>{fmt(g)}</code></td>" in dash.readout.value
    assert f"f = <code>{fmt(f_hand)}</code>" in dash.readout.value


def test_graph_dashboard_initial_values_and_set():
    dash = graph_dashboard(w2=1.0)
    assert dash.values() == {**DEFAULTS, "w2": 1.0}
    dash.set(w0=0.0, x1=4.0)
    f_hand, grads_hand = neuron_by_hand(**{**DEFAULTS, "w2": 1.0, "w0": 0.0, "x1": 4.0})
    assert dash.state["f"] == pytest.approx(f_hand, rel=1e-15)
    assert dash.state["grads"]["x0"] == pytest.approx(grads_hand["x0"], abs=1e-15)  # w0 = 0
    assert fmt(f_hand) in dash.readout.value


@pytest.mark.parametrize("initial, match", [
    ({"q": 1.0}, "expected names"),
    ({"w0": 5.0}, r"\[-4.0, 4.0\]"),
    ({"w0": "2"}, "real number"),
])
def test_graph_dashboard_rejects_bad_initial_values(initial, match):
    with pytest.raises(ValueError, match=match):
        graph_dashboard(**initial)


def test_graph_dashboard_needs_a_value_for_every_argument():
    def no_default(a):
        return Value(a, label="a").tanh()

    with pytest.raises(ValueError, match="no default"):
        graph_dashboard(no_default)
    dash = graph_dashboard(no_default, a=0.5)
    assert dash.state["grads"]["a"] == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-15)


def test_graph_dashboard_redraws_when_the_structure_changes():
    def branchy(a=1.0):
        x = Value(a, label="a")
        y = x.relu() if a > 0 else (x * x).tanh()  # different graphs for the two signs
        y.label = "y"
        return y

    dash = graph_dashboard(branchy)
    first = dash.layout
    assert len(first.nodes) == 2 and len(dash.marks["boxes"].fill_colors) == 2
    dash.controls["a"].value = -0.5
    layout = dash.layout
    assert layout is not first and len(layout.nodes) == 3
    expected = (1 - math.tanh(0.25) ** 2) * 2 * -0.5
    assert box_lines(dash)["a"][2] == f"grad {fmt(expected)}"
    assert len(dash.marks["boxes"].x) == len(dash.marks["headers"].text) == 3  # drawn afresh: three boxes
    assert len(dash.marks["edges"].x) == 3  # a feeds the product twice, the product feeds tanh
    assert (dash.scales["x"].min, dash.scales["x"].max, dash.scales["y"].min, dash.scales["y"].max) == layout.limits


def test_graph_dashboard_reports_an_impossible_value_without_crashing():
    def logged(a=1.0):
        return Value(a, label="a").log()

    dash = graph_dashboard(logged)
    shown = box_lines(dash)
    dash.controls["a"].value = -1.0
    assert "cannot evaluate" in dash.readout.value and "positive" in dash.readout.value
    assert box_lines(dash) == shown  # the last good drawing stays
    dash.controls["a"].value = 2.0
    assert "cannot evaluate" not in dash.readout.value


# ---- chapter 02: backward stepper ------------------------------------------------
def test_stepper_state_explains_each_gradient():
    f = neuron_expression()
    trace = backward_trace(f)
    n = len(trace)
    assert stepper_state(f, 0)["node"] is None
    for k in range(1, n + 1):
        state = stepper_state(f, k)
        node, g = trace[k - 1]
        assert state["node"] is node and state["upstream"] == g
        assert [name for name, _ in state["visited"]] == [m.label for m, _ in trace[:k]]
        if node is f:
            assert state["terms"] == [] and g == 1.0
        else:  # local gradient x upstream, summed over children
            assert sum(t["product"] for t in state["terms"]) == pytest.approx(g, rel=1e-15)
            for t in state["terms"]:
                assert t["product"] == t["local"] * t["child_upstream"]
    w0 = stepper_state(f, [m.label for m, _ in trace].index("w0") + 1)
    _, grads_hand = neuron_by_hand(**DEFAULTS)
    assert w0["name"] == "w0"
    assert w0["terms"] == [{"child": "w0*x0", "local": DEFAULTS["x0"],
                            "child_upstream": pytest.approx(grads_hand["w2"], rel=1e-15),
                            "product": pytest.approx(grads_hand["w0"], rel=1e-15)}]
    with pytest.raises(ValueError, match="step"):
        stepper_state(f, n + 1)


def test_backward_stepper_steps_through_the_trace():
    dash = backward_stepper()
    marks = dash.marks
    trace = backward_trace(dash.root)
    nodes = dash.layout.nodes
    slider = dash.controls["step"]
    assert isinstance(slider, widgets.IntSlider)
    assert (slider.min, slider.max, slider.value) == (0, len(trace), 0)
    assert all(lines[2] == "grad ?" for lines in box_lines(dash).values())
    assert not marks["current_box"].visible and not marks["active_edges"].visible
    assert marks["boxes"].fill_colors == [COLOURS["unvisited"]] * len(nodes)
    assert "Step 0 of 10" in dash.readout.value and dash.fig.title == "backward pass: step 0 of 10"
    for k in (1, 4, len(trace)):
        slider.value = k
        node, g = trace[k - 1]
        i = next(j for j, m in enumerate(nodes) if m is node)
        assert marks["boxes"].fill_colors[i] == COLOURS["current"]
        assert marks["current_box"].visible  # the thick outline is box i's
        np.testing.assert_array_equal(marks["current_box"].x, marks["boxes"].x[i])
        np.testing.assert_array_equal(marks["current_box"].y, marks["boxes"].y[i])
        assert box_lines(dash)[node.label][2] == f"grad {fmt(g)}"
        assert dash.fig.title == f"backward pass: step {k} of 10: visiting {node.label}"
        assert f"visiting <b>{node.label}</b>" in dash.readout.value
        assert f"<code>{fmt(g)}</code>" in dash.readout.value
        unvisited = [label for label, lines in box_lines(dash).items() if lines[2] == "grad ?"]
        assert len(unvisited) == len(trace) - k
        # the arrows into the visited node, where its gradient flows next, are drawn orange and thick
        into = [e for e, (_, child) in enumerate(dash.layout.edges) if child == i]
        assert [e for e, colour in enumerate(marks["edges"].colors) if colour == COLOURS["edge_active"]] == into
        assert marks["active_edges"].visible == bool(into)
        if into:
            np.testing.assert_array_equal(np.reshape(marks["active_edges"].x, (len(into), -1)),
                                          np.reshape(marks["edges"].x, (len(dash.layout.edges), -1))[into])
    assert dash.marks == marks and all(dash.marks[name] is mark for name, mark in marks.items())
    dash.set(step=0)
    assert all(lines[2] == "grad ?" for lines in box_lines(dash).values())
    assert not marks["current_box"].visible
    with pytest.raises(ValueError, match="step"):
        dash.set(step=1.5)
    assert all(node.grad == 0.0 for node in nodes)  # replayed, never accumulated


def test_backward_stepper_shows_local_times_upstream_for_w0():
    dash = backward_stepper(x0=0.5)
    f_hand, grads_hand = neuron_by_hand(**{**DEFAULTS, "x0": 0.5})
    labels = [n.label for n, _ in backward_trace(dash.root)]
    dash.set(step=labels.index("w0") + 1)
    html = dash.readout.value
    assert "visiting <b>w0</b>" in html
    assert f"d(w0*x0)/d(w0) = <code>{fmt(0.5)}</code>" in html
    assert f"df/d(w0*x0) = <code>{fmt(grads_hand['w2'])}</code>" in html
    assert f"<b><code>{fmt(grads_hand['w0'])}</code></b>" in html


def test_set_accepts_a_log_slider_value_within_its_real_range():
    from bplib.widgets import delta_rule_dashboard

    dash = delta_rule_dashboard()
    lr = dash.controls["lr"]
    top = lr.base**lr.max
    dash.set(lr=top)  # e.g. 1e8: beyond the exponent range, within the value range
    assert dash.controls["lr"].value == pytest.approx(top)
    with pytest.raises(ValueError, match="lr"):
        dash.set(lr=top * 10)
