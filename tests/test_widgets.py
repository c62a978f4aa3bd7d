"""Headless tests of the dashboards in bplib.widgets (chapters 01 and 02).

Setting `slider.value` runs the dashboard's observers in plain Python, so each test moves
a control and asserts that the plotted data, the drawn texts and the readout changed as the
maths says, and that the artists were updated in place (same objects).
"""

from __future__ import annotations

import io
import math

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.colors import to_rgba

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
from bplib.widgets.sigmoid import SATURATION_CZ, SATURATION_FRACTION

DEFAULTS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def fmt(x):
    return f"{x:.4f}"


def neuron_by_hand(w0, x0, w1, x1, w2):
    """f and its input gradients, written out with the chain rule (independent of Value)."""
    z = w0 * x0 + w1 * x1 + w2
    ds = sigmoid_prime(z)  # df/dz
    return sigmoid(z), {"w0": ds * x0, "x0": ds * w0, "w1": ds * x1, "x1": ds * w1, "w2": ds}


def line_slope(line):
    (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
    return (y1 - y0) / (x1 - x0)


def render(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


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


def test_sigmoid_dashboard_follows_the_z_slider():
    dash = sigmoid_dashboard()
    art = dash.artists
    before = dict(art)
    dash.controls["z"].value = 2.0
    assert art["point"].get_ydata()[0] == sigmoid(2.0)
    assert art["marker"].get_ydata()[0] == sigmoid_prime(2.0)
    assert line_slope(art["tangent"]) == pytest.approx(sigmoid_prime(2.0), rel=1e-12)
    assert list(art["z_line_a"].get_xdata()) == [2.0, 2.0]
    html = dash.readout.value
    for number in (2.0, 1.0, sigmoid(2.0), sigmoid_prime(2.0), 0.25):
        assert fmt(number) in html
    assert "not saturated" in html
    assert all(art[name] is before[name] for name in art)  # updated in place
    assert dash.ax_a.lines[0] is art["curve"]
    render(dash.fig)


def test_sigmoid_dashboard_c_rescales_the_slope_peak():
    dash = sigmoid_dashboard(z=1.0)
    for c in (0.5, 3.0):
        dash.controls["c"].value = c
        da = dash.artists["derivative"].get_ydata()
        assert da.max() == pytest.approx(c / 4, rel=1e-12)  # the grid contains z = 0
        assert dash.zs[np.argmax(da)] == pytest.approx(0.0, abs=1e-12)
        assert list(dash.artists["peak"].get_ydata()) == [c / 4, c / 4]
        assert dash.artists["marker"].get_ydata()[0] == pytest.approx(c * sigmoid_prime(c))
        assert dash.ax_da.get_ylim()[1] >= c / 4
        assert fmt(c / 4) in dash.readout.value


def test_sigmoid_dashboard_set_updates_once_and_marks_saturation():
    dash = sigmoid_dashboard()
    count = dash.updates
    dash.set(z=-6.0, c=1.5)
    assert dash.updates == count + 1
    assert dash.values() == {"z": -6.0, "c": 1.5}
    assert "saturated" in dash.readout.value and "not saturated" not in dash.readout.value
    left = dash.artists["saturated_left"]
    assert left.get_x() == -8.0
    assert left.get_x() + left.get_width() == pytest.approx(-SATURATION_CZ / 1.5)
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
    assert isinstance(figure, widgets.Output)  # Agg canvas: the figure lives in an Output
    assert all(s.continuous_update for s in dash.controls.values())
    bundle = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == dash.widget.model_id
    assert repr(dash) == "<SigmoidDashboard: controls z, c>"


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


def test_graph_dashboard_follows_the_x0_slider():
    dash = graph_dashboard()
    drawing = dash.drawing
    texts, boxes = list(drawing.texts), list(drawing.boxes)
    dash.controls["x0"].value = 1.5
    values = {**DEFAULTS, "x0": 1.5}
    f_hand, grads_hand = neuron_by_hand(**values)
    assert dash.drawing is drawing  # same structure: updated, not redrawn
    assert drawing.texts == texts and all(a is b for a, b in zip(drawing.texts, texts, strict=True))
    assert all(a is b for a, b in zip(drawing.boxes, boxes, strict=True))
    by_label = {n.label: t.get_text() for n, t in zip(drawing.nodes, drawing.texts, strict=True)}
    assert by_label["f"].split("\n")[1] == f"data {fmt(f_hand)}"
    assert by_label["x0"].split("\n")[1] == "data 1.5000"
    for name, g in grads_hand.items():
        assert by_label[name].endswith(f"grad {fmt(g)}")
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
    first = dash.drawing
    assert len(first.nodes) == 2
    dash.controls["a"].value = -0.5
    assert dash.drawing is not first
    assert len(dash.drawing.nodes) == 3
    expected = (1 - math.tanh(0.25) ** 2) * 2 * -0.5
    assert dash.drawing.text_of(dash.drawing.nodes[0]).endswith(f"grad {fmt(expected)}")
    assert first.texts[0] not in dash.ax.texts  # the old artists are gone from the axes
    render(dash.fig)


def test_graph_dashboard_reports_an_impossible_value_without_crashing():
    def logged(a=1.0):
        return Value(a, label="a").log()

    dash = graph_dashboard(logged)
    text = dash.drawing.texts[0].get_text()
    dash.controls["a"].value = -1.0
    assert "cannot evaluate" in dash.readout.value and "positive" in dash.readout.value
    assert dash.drawing.texts[0].get_text() == text  # the last good drawing stays
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
    drawing = dash.drawing
    trace = backward_trace(dash.root)
    slider = dash.controls["step"]
    assert isinstance(slider, widgets.IntSlider)
    assert (slider.min, slider.max, slider.value) == (0, len(trace), 0)
    assert all(t.get_text().endswith("grad ?") for t in drawing.texts)
    assert drawing.current is None
    assert "Step 0 of 10" in dash.readout.value
    texts, boxes = list(drawing.texts), list(drawing.boxes)
    for k in (1, 4, len(trace)):
        slider.value = k
        node, g = trace[k - 1]
        i = drawing.index_of(node)
        assert drawing.current == i
        assert drawing.boxes[i].get_facecolor() == to_rgba(COLOURS["current"])
        assert drawing.texts[i].get_text().endswith(f"grad {fmt(g)}")
        assert f"visiting <b>{node.label}</b>" in dash.readout.value
        assert f"<code>{fmt(g)}</code>" in dash.readout.value
        unvisited = [t for t in drawing.texts if t.get_text().endswith("grad ?")]
        assert len(unvisited) == len(trace) - k
    assert all(a is b for a, b in zip(drawing.texts, texts, strict=True))
    assert all(a is b for a, b in zip(drawing.boxes, boxes, strict=True))
    dash.set(step=0)
    assert all(t.get_text().endswith("grad ?") for t in drawing.texts)
    with pytest.raises(ValueError, match="step"):
        dash.set(step=1.5)
    assert all(node.grad == 0.0 for node in drawing.nodes)  # replayed, never accumulated
    render(dash.fig)


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
