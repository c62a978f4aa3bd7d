"""Headless tests of the chapter 04 dashboard, bplib.widgets.layers.

network_state (the four equations written out) is checked against bplib.layers and against
centered differences. The diagram's texts, edge colours and widths are compared with numbers
computed independently by bplib.layers, both in the static matplotlib drawing and in the
dashboard's bqplot marks; the dashboard is driven by setting slider values, and its marks,
bars and readout must follow, updated in place, both drawings on the one layout.
"""

from __future__ import annotations

import io

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from bplib.gradcheck import check_gradient_params
from bplib.layers import dense_backward, dense_forward, sigmoid_backward, sigmoid_forward
from bplib.losses import squared_error_backward, squared_error_forward
from bplib.widgets._base import _widget_tree
from bplib.widgets.layers import (
    COLOURS,
    EXAMPLE_X,
    EXAMPLE_Y,
    MAX_EDGE_WIDTH,
    MIN_EDGE_WIDTH,
    WEIGHT_NAMES,
    diagram_labels,
    diagram_layout,
    draw_network,
    example_params,
    network_dashboard,
    network_state,
    update_network,
    weight_label,
)


def library(params, x, y) -> dict:
    """Everything the dashboard shows, from bplib.layers' forward/backward pairs."""
    z1, dense1 = dense_forward(x, params["W1"], params["b1"])
    a1, sig1 = sigmoid_forward(z1)
    z2, dense2 = dense_forward(a1, params["W2"], params["b2"])
    a2, sig2 = sigmoid_forward(z2)
    loss, loss_cache = squared_error_forward(a2, y)
    delta2 = sigmoid_backward(squared_error_backward(1.0, loss_cache), sig2)
    da1, dW2, db2 = dense_backward(delta2, dense2)
    delta1 = sigmoid_backward(da1, sig1)
    _, dW1, db1 = dense_backward(delta1, dense1)
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": loss, "delta1": delta1, "delta2": delta2,
            "grads": {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}}


def fmt(value):
    return f"{value:.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:.4f}"


def signed(value):
    return f"{value:+.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:+.4f}"


def grad_of(grads, name):
    return float(grads[name[:2]][int(name[3]), int(name[4])])


def render(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- the compute function ------------------------------------------------------------------


@pytest.mark.parametrize("N, D, H, K", [(1, 2, 2, 2), (5, 3, 4, 2), (3, 1, 2, 4)])
def test_network_state_is_bplib_layers(N, D, H, K):
    rng = np.random.default_rng(40 + N)
    params = {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H), "W2": rng.normal(size=(H, K)),
              "b2": rng.normal(size=K)}
    x, y = rng.normal(size=(N, D)), rng.uniform(size=(N, K))
    state, expected = network_state(params, x, y), library(params, x, y)
    for name in ("z1", "a1", "z2", "a2", "delta1", "delta2"):
        assert state[name].shape == expected[name].shape
        np.testing.assert_allclose(state[name], expected[name], rtol=1e-12, atol=1e-15)
    assert state["loss"] == pytest.approx(expected["loss"], rel=1e-13)
    np.testing.assert_allclose(state["dL_da2"], (state["a2"] - y) / N, rtol=1e-15)
    for name, grad in expected["grads"].items():
        assert state["grads"][name].shape == params[name].shape
        np.testing.assert_allclose(state["grads"][name], grad, rtol=1e-12, atol=1e-15)


def test_network_state_gradients_match_centered_differences():
    rng = np.random.default_rng(404)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 2)),
              "b2": rng.normal(size=2)}
    x, y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    analytic = network_state(params, x, y)["grads"]
    result = check_gradient_params(lambda: network_state(params, x, y)["loss"], params, analytic)
    assert result.passed, str(result)


def test_network_state_on_the_chapter_example_is_the_worked_example():
    state = network_state(example_params(), EXAMPLE_X, EXAMPLE_Y)
    # the published starting loss of this textbook example, to the digits it is usually quoted with
    assert state["loss"] == pytest.approx(0.298371109, abs=5e-10)
    assert state["delta2"][0, 0] > 0 > state["delta2"][0, 1]  # output 0 above its target, output 1 below


def test_example_params_are_fresh_copies():
    first = example_params()
    first["W1"][0, 0] = 99.0
    assert example_params()["W1"][0, 0] == 0.15


@pytest.mark.parametrize("params, x, y, match", [
    ({"W1": np.ones((2, 2)), "b1": np.ones(2), "W2": np.ones((2, 2))}, EXAMPLE_X, EXAMPLE_Y, "missing"),
    ([1.0, 2.0], EXAMPLE_X, EXAMPLE_Y, "dict"),
    ({**example_params(), "W2": np.ones((3, 2))}, EXAMPLE_X, EXAMPLE_Y, "W2"),
    ({**example_params(), "b1": np.ones(3)}, EXAMPLE_X, EXAMPLE_Y, "b1"),
    ({**example_params(), "W1": np.ones(2)}, EXAMPLE_X, EXAMPLE_Y, "2-d"),
    (example_params(), np.array([0.05, 0.10]), EXAMPLE_Y, "one example per row"),
    (example_params(), EXAMPLE_X, np.array([[0.01, 0.99, 0.5]]), "y"),
    (example_params(), np.array([[np.nan, 0.1]]), EXAMPLE_Y, "finite"),
])
def test_network_state_rejects_bad_input(params, x, y, match):
    with pytest.raises(ValueError, match=match):
        network_state(params, x, y)


def test_weight_labels():
    assert WEIGHT_NAMES == ("W1_00", "W1_01", "W1_10", "W1_11", "W2_00", "W2_01", "W2_10", "W2_11")
    assert weight_label("W2_10") == "W2[1,0]"
    with pytest.raises(ValueError, match="W1_00"):
        weight_label("W3_00")


# ---- the diagram, as the static drawing and the dashboard both show it -------------------------------


def expected_diagram(params, x=EXAMPLE_X, y=EXAMPLE_Y) -> dict:
    """The diagram's texts and edge styles, from bplib.layers' numbers and the rules the chapter states."""
    expected = library(params, x, y)
    grads = expected["grads"]
    units = {f"x{i}": [f"input {i}", f"x {fmt(x[0, i])}"] for i in (0, 1)}
    for key, kind, layer in (("h", "hidden", "1"), ("o", "output", "2")):
        for j in (0, 1):
            units[f"{key}{j}"] = [f"{kind} {j}", f"z{layer} {fmt(expected['z' + layer][0, j])}",
                                  f"a{layer} {fmt(expected['a' + layer][0, j])}",
                                  f"δ{layer} {signed(expected['delta' + layer][0, j])}"]
    largest = max(abs(grad_of(grads, name)) for name in WEIGHT_NAMES)
    edges, colours, widths = {}, {}, {}
    for name in WEIGHT_NAMES:
        g = grad_of(grads, name)
        w = params[name[:2]][int(name[3]), int(name[4])]
        edges[name] = [f"{weight_label(name)} = {w:.2f}", f"grad {signed(g)}"]
        colours[name] = COLOURS["positive"] if g > 0 else COLOURS["negative"] if g < 0 else COLOURS["zero"]
        widths[name] = MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * abs(g) / largest
    return {**expected, "units": units, "edges": edges, "colours": colours, "widths": widths}


def assert_drawing_shows(drawing, params, x=EXAMPLE_X, y=EXAMPLE_Y) -> None:
    """The matplotlib drawing's texts, edge colours and widths and label frames are those of params."""
    diagram = expected_diagram(params, x, y)
    for key, lines in diagram["units"].items():
        assert drawing.node_texts[key].get_text() == "\n".join(lines)
    for name in WEIGHT_NAMES:
        assert drawing.edge_texts[name].get_text() == "\n".join(diagram["edges"][name])
        assert drawing.edge_lines[name].get_color() == diagram["colours"][name]
        assert drawing.edge_texts[name].get_color() == diagram["colours"][name]
        assert drawing.edge_lines[name].get_linewidth() == pytest.approx(diagram["widths"][name], rel=1e-12)
        frame = drawing.edge_texts[name].get_bbox_patch()
        framed = name == drawing.selected
        assert frame.get_edgecolor() == to_rgba(COLOURS["selected" if framed else "label_frame"])
        assert frame.get_linewidth() == (2.0 if framed else 0.8)


def test_diagram_layout_places_units_edges_and_labels():
    layout = diagram_layout()
    units = layout["units"]
    assert list(units) == ["x0", "x1", "h0", "h1", "o0", "o1"]
    assert [kind for kind, _ in units.values()] == ["input"] * 2 + ["hidden"] * 2 + ["output"] * 2
    centre = {key: c for key, (_, c) in units.items()}
    assert centre["x0"][0] < centre["h0"][0] < centre["o0"][0] and centre["x0"][1] > centre["x1"][1]  # unit 0 on top
    for name in WEIGHT_NAMES:  # an edge runs from the unit it reads to the unit it feeds
        start, end = layout["edges"][name]
        source = ("x" if name[1] == "1" else "h") + name[3]
        target = ("h" if name[1] == "1" else "o") + name[4]
        assert (start, end) == (centre[source], centre[target])
        (x0, y0), (x1, y1) = start, end
        lx, ly = layout["labels"][name]  # on the edge, nearer the start where edges cross
        assert (lx - x0) * (y1 - y0) == pytest.approx((ly - y0) * (x1 - x0), abs=1e-12)
        assert min(x0, x1) < lx < max(x0, x1)
    (xlow, xhigh), (ylow, yhigh) = layout["xlim"], layout["ylim"]
    assert all(xlow < cx < xhigh and ylow < cy < yhigh for cx, cy in centre.values())


def test_diagram_labels_are_the_numbers_and_the_gradient_rules():
    params = example_params()
    params["W2"][0, 1] = -1.3
    state = network_state(params, EXAMPLE_X, EXAMPLE_Y)
    labels, expected = diagram_labels(state, params, EXAMPLE_X), expected_diagram(params)
    assert {key: list(lines) for key, lines in labels["units"].items()} == expected["units"]
    assert {name: list(lines) for name, lines in labels["edges"].items()} == expected["edges"]
    assert labels["colours"] == expected["colours"]
    for name in WEIGHT_NAMES:
        assert labels["widths"][name] == pytest.approx(expected["widths"][name], rel=1e-12)
    assert max(labels["widths"].values()) == pytest.approx(MAX_EDGE_WIDTH)


# ---- the dashboard ----------------------------------------------------------------------------


def figures_of(dash) -> list[bq.Figure]:
    return [w for w in _widget_tree(dash.fig) if isinstance(w, bq.Figure)]


def box_centres(mark) -> np.ndarray:
    """(n, 2) the centres of a Lines mark's rectangles (n, 5): the middle of the first and third corners."""
    x, y = np.atleast_2d(mark.x), np.atleast_2d(mark.y)
    return np.stack([(x[:, 0] + x[:, 2]) / 2, (y[:, 0] + y[:, 2]) / 2], axis=1)


def bar_tops(mark) -> np.ndarray:
    """The heights of a Lines mark's bars (rectangles standing on 0)."""
    y = np.atleast_2d(mark.y)
    assert np.all(y[:, [0, 1, 4]] == 0.0)  # they stand on the axis
    np.testing.assert_array_equal(y[:, 2], y[:, 3])
    return y[:, 2]


def assert_shows(dash, params, x=EXAMPLE_X, y=EXAMPLE_Y):
    """Every number on the dashboard's figure is the one bplib.layers computes for params."""
    diagram = expected_diagram(params, x, y)
    marks = dash.marks
    assert list(marks["unit_texts"].text) == [line for lines in diagram["units"].values() for line in lines]
    assert list(marks["edge_texts"].text) == [line for name in WEIGHT_NAMES for line in diagram["edges"][name]]
    assert list(marks["edge_texts"].colors) == [diagram["colours"][name] for name in WEIGHT_NAMES for _ in (0, 1)]
    for name in WEIGHT_NAMES:
        edge = marks[f"edge {name}"]
        assert list(edge.colors) == [diagram["colours"][name]]
        assert edge.stroke_width == pytest.approx(diagram["widths"][name] * 96 / 72, abs=0.05)  # points -> px
    selected = WEIGHT_NAMES.index(dash.selected)  # the frame sits on the moved weight's label box
    np.testing.assert_array_equal(marks["selected_frame"].x, marks["label_boxes"].x[selected])
    np.testing.assert_array_equal(marks["selected_frame"].y, marks["label_boxes"].y[selected])
    np.testing.assert_allclose(bar_tops(marks["output_bars"]), diagram["a2"][0], rtol=1e-14)
    np.testing.assert_allclose(marks["output_values"].y, diagram["a2"][0], rtol=1e-14)
    assert list(marks["output_values"].text) == [f"{a:.4f}" for a in diagram["a2"][0]]
    assert bar_tops(marks["loss_bar"])[0] == pytest.approx(diagram["loss"], rel=1e-13)
    assert list(marks["loss_value"].text) == [f"{diagram['loss']:.4f}"]
    assert f"loss L = <code>{diagram['loss']:.4f}</code>" in dash.readout.value
    return diagram


def test_the_figure_is_drawn_in_the_browser_from_the_marks():
    dash = network_dashboard()
    assert isinstance(dash.fig, widgets.Box) and "bplib-figure" in dash.fig._dom_classes
    figures = figures_of(dash)
    assert len(figures) == 3  # the diagram, the outputs, the loss
    assert set(dash.marks.values()) == {mark for f in figures for mark in f.marks}
    assert all(isinstance(dash.marks[f"edge {name}"], bq.Lines) for name in WEIGHT_NAMES)
    assert {f.title for f in figures} == {"the network: weight and dL/dW on each edge; z, a, δ in each unit",
                                          "outputs against targets", "loss L = ½ Σ (a2 − y)²"}


def test_the_dashboard_draws_the_layout_the_static_drawing_draws():
    dash = network_dashboard()
    layout = diagram_layout()
    centres = [centre for _, centre in layout["units"].values()]
    np.testing.assert_allclose(box_centres(dash.marks["unit_boxes"]), centres, atol=1e-12)
    np.testing.assert_allclose(box_centres(dash.marks["label_boxes"]), list(layout["labels"].values()), atol=1e-12)
    for name, (start, end) in layout["edges"].items():
        edge = dash.marks[f"edge {name}"]
        assert (list(edge.x), list(edge.y)) == ([start[0], end[0]], [start[1], end[1]])
    # each line of text stands in its box, the lines of a box centred on it
    texts = dash.marks["unit_texts"]
    counts = [2, 2, 4, 4, 4, 4]
    starts = np.cumsum([0, *counts])
    for (cx, cy), first, count in zip(centres, starts, counts, strict=False):
        assert np.all(texts.x[first:first + count] == cx)
        assert np.mean(texts.y[first:first + count]) == pytest.approx(cy, abs=1e-12)
        assert np.all(np.diff(texts.y[first:first + count]) < 0)  # the first line on top
    drawing = draw_network(network_state(example_params(), EXAMPLE_X, EXAMPLE_Y), example_params(), EXAMPLE_X)
    assert [drawing.node_texts[key].get_position() for key in layout["units"]] == centres
    assert [drawing.edge_texts[name].get_position() for name in WEIGHT_NAMES] == list(layout["labels"].values())
    assert (dash.scales["diagram_x"].min, dash.scales["diagram_x"].max) == drawing.ax.get_xlim()
    assert (dash.scales["diagram_y"].min, dash.scales["diagram_y"].max) == drawing.ax.get_ylim()


def test_dashboard_starts_on_the_chapter_example():
    dash = network_dashboard()
    assert dash.values() == dict(zip(WEIGHT_NAMES, [0.15, 0.25, 0.20, 0.30, 0.40, 0.50, 0.45, 0.55], strict=True))
    assert dash.selected == "W1_00"
    expected = assert_shows(dash, example_params())
    assert list(dash.marks["start_loss"].y) == [expected["loss"]] * 2
    np.testing.assert_array_equal(dash.marks["targets"].y, [[0.01, 0.01], [0.99, 0.99]])
    assert (dash.scales["outputs"].min, dash.scales["outputs"].max) == (-0.05, 1.15)
    worst = 0.5 * (0.99**2 + 0.99**2)  # the farthest sigmoid outputs can be from targets 0.01 and 0.99
    assert (dash.scales["loss"].min, dash.scales["loss"].max) == (0.0, pytest.approx(1.12 * worst))


def test_moving_a_weight_updates_every_number_in_place():
    dash = network_dashboard()
    marks = dict(dash.marks)
    figures = [list(f.marks) for f in figures_of(dash)]
    start_loss = dash.state["loss"]
    dash.controls["W2_00"].value = -1.25
    params = example_params()
    params["W2"][0, 0] = -1.25
    expected = assert_shows(dash, params)
    assert all(dash.marks[name] is mark for name, mark in marks.items())  # the same marks, rewritten
    assert [list(f.marks) for f in figures_of(dash)] == figures
    # lowering a weight whose gradient was positive lowers the loss; output 0 falls towards its target
    assert expected["loss"] < start_loss
    assert expected["a2"][0, 0] < 0.75
    assert list(dash.marks["start_loss"].y) == [start_loss, start_loss]


def test_a_change_sends_only_what_changed():
    dash = network_dashboard(selected="W2_00")
    dash.controls["W2_00"].value = 0.41
    sent = []
    for name, mark in dash.marks.items():
        mark.observe(lambda change, name=name: sent.append((name, change["name"])), names=mark.keys)
    dash.controls["W2_00"].value = 0.42  # no sign flips, same weight moved: colours and frame stay
    assert ("selected_frame", "x") not in sent and ("edge_texts", "colors") not in sent
    assert not any(trait == "colors" for _, trait in sent)
    assert ("edge_texts", "text") in sent and ("output_bars", "y") in sent and ("loss_bar", "y") in sent
    assert not any(name in ("unit_boxes", "label_boxes", "targets", "start_loss") for name, _ in sent)
    sent.clear()
    dash.controls["W1_11"].value = 0.31  # another weight: the frame moves
    assert ("selected_frame", "x") in sent


def test_readout_explains_the_moved_weight_with_bp4():
    dash = network_dashboard()
    dash.controls["W2_10"].value = 0.8
    params = example_params()
    params["W2"][1, 0] = 0.8
    expected = library(params, EXAMPLE_X, EXAMPLE_Y)
    g = expected["grads"]["W2"][1, 0]
    assert dash.selected == "W2_10"
    html = dash.readout.value
    assert "moved: <b>W2[1,0] = <code>0.80</code></b>" in html
    product = (f"a1[1] &times; δ2[0] = <code>{fmt(expected['a1'][0, 1])}</code> &times; "
               f"<code>{signed(expected['delta2'][0, 0])}</code> = <b><code>{signed(g)}</code></b>")
    assert product in html
    assert g == pytest.approx(expected["a1"][0, 1] * expected["delta2"][0, 0], rel=1e-14)
    assert "gradient descent lowers it" in html  # g > 0 here
    assert_shows(dash, params)  # the frame sits on W2[1,0]'s label

    dash.controls["W1_01"].value = -0.5  # a first-layer weight: its input is x[0]
    params["W1"][0, 1] = -0.5
    expected = library(params, EXAMPLE_X, EXAMPLE_Y)
    assert dash.selected == "W1_01"
    assert (f"x[0] &times; δ1[1] = <code>{fmt(EXAMPLE_X[0, 0])}</code> &times; "
            f"<code>{signed(expected['delta1'][0, 1])}</code>") in dash.readout.value


def test_a_hidden_unit_cut_off_from_the_outputs_gets_no_gradient():
    dash = network_dashboard()
    dash.set(W2_00=0.0, W2_01=0.0)
    # BP2: hidden unit 0 sends nothing forward, so its delta and the gradients into it are exactly 0
    assert dash.state["delta1"][0, 0] == 0.0
    texts = list(dash.marks["edge_texts"].text)
    for name in ("W1_00", "W1_10"):
        edge = dash.marks[f"edge {name}"]
        assert list(edge.colors) == [COLOURS["zero"]]
        assert edge.stroke_width == pytest.approx(MIN_EDGE_WIDTH * 96 / 72, abs=0.05)
        assert dash.state["grads"]["W1"][int(name[3]), 0] == 0.0
        assert texts[2 * WEIGHT_NAMES.index(name) + 1] == "grad +0.0000"
    assert "the loss does not change with this weight" not in dash.readout.value  # W2_01 still matters
    dash.set(W1_00=0.5)
    assert "the loss does not change with this weight here" in dash.readout.value


def test_saturating_an_output_shrinks_its_delta_though_it_moves_away_from_the_target():
    dash = network_dashboard()
    start = dash.state
    dash.set(W2_00=3.0, W2_10=3.0)
    assert abs(dash.state["a2"][0, 0] - EXAMPLE_Y[0, 0]) > abs(start["a2"][0, 0] - EXAMPLE_Y[0, 0])
    assert dash.state["delta2"][0, 0] < start["delta2"][0, 0] / 5
    # the loss bar stays inside its axis even here, far from the targets
    assert 0 < dash.state["loss"] < dash.scales["loss"].max


def test_set_updates_once_and_checks_ranges():
    dash = network_dashboard()
    count = dash.updates
    dash.set(W1_11=1.0, W2_01=-2.0)
    assert dash.updates == count + 1
    params = example_params()
    params["W1"][1, 1], params["W2"][0, 1] = 1.0, -2.0
    assert_shows(dash, params)
    assert dash.selected == "W2_01"  # the last control set
    with pytest.raises(ValueError, match=r"W2_00 in \[-3"):
        dash.set(W2_00=3.5)
    with pytest.raises(ValueError, match="control names"):
        dash.set(b1=0.0)


def test_dashboard_takes_its_own_network_and_example():
    params = {"W1": np.array([[1.0, -1.0], [0.5, 2.0]]), "b1": np.array([0.1, -0.2]),
              "W2": np.array([[-0.3, 0.7], [1.1, -2.5]]), "b2": np.array([0.0, 0.4])}
    x, y = np.array([0.6, -0.4]), np.array([1.0, 0.0])
    dash = network_dashboard(params, x, y, selected="W2_11")
    assert dash.selected == "W2_11" and "W2[1,1]" in dash.readout.value
    assert_shows(dash, params, x.reshape(1, 2), y.reshape(1, 2))
    np.testing.assert_array_equal(dash.marks["targets"].y, [[1.0, 1.0], [0.0, 0.0]])
    assert dash.scales["loss"].max == pytest.approx(1.12 * 0.5 * 2)  # targets 1 and 0: the worst loss is 1
    params["W1"][0, 0] = 2.0  # the caller's dict is not kept
    assert dash.params["W1"][0, 0] == 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"params": {**example_params(), "W1": np.ones((3, 2))}}, "W2"),
    ({"params": {**example_params(), "W1": np.ones((2, 3)), "b1": np.ones(3), "W2": np.ones((3, 2))}}, "2-2-2"),
    ({"params": {**example_params(), "W2": np.full((2, 2), 3.5)}}, r"W2\[0, 0\]"),
    ({"x": np.ones(3)}, "x"),
    ({"y": np.ones((2, 2))}, "y"),
    ({"selected": "W3_00"}, "selected"),
])
def test_dashboard_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        network_dashboard(**kwargs)


def test_dashboard_container():
    dash = network_dashboard()
    controls, readout, figure = dash.widget.children
    assert list(controls.children) == [dash.controls[name] for name in WEIGHT_NAMES]
    assert [c.description for c in controls.children] == [weight_label(n) for n in WEIGHT_NAMES]
    assert all(isinstance(c, widgets.FloatSlider) and c.continuous_update for c in controls.children)
    assert all((c.min, c.max, c.step) == (-3.0, 3.0, 0.01) for c in controls.children)
    assert readout is dash.readout
    assert figure is dash.fig  # drawn in the browser: the figure is itself a widget
    assert repr(dash).startswith("<NetworkDashboard: controls W1_00, W1_01")


def test_close_closes_the_figures_widgets():
    dash = network_dashboard()
    parts = _widget_tree(dash.fig)
    dash.close()
    assert all(w.comm is None for w in parts)


# ---- the drawing on its own --------------------------------------------------------------------


def test_draw_network_shows_the_numbers_and_updates_in_place():
    params = example_params()
    drawing = draw_network(network_state(params, EXAMPLE_X, EXAMPLE_Y), params, EXAMPLE_X, selected="W1_10")
    assert drawing.selected == "W1_10"
    assert_drawing_shows(drawing, params)
    artists = ({**drawing.node_texts}, {**drawing.edge_lines}, {**drawing.edge_texts})
    params["W1"][1, 0] = -0.7
    params["W2"][0, 0] = -2.0
    update_network(drawing, network_state(params, EXAMPLE_X, EXAMPLE_Y), params, EXAMPLE_X)
    assert drawing.selected is None
    assert_drawing_shows(drawing, params)
    for old, new in zip(artists, (drawing.node_texts, drawing.edge_lines, drawing.edge_texts), strict=True):
        assert all(old[key] is new[key] for key in old)  # the same artists, rewritten
    assert drawing.ax.texts.count(drawing.edge_texts["W1_10"]) == 1
    assert drawing.edge_texts["W1_10"].get_text().startswith("W1[1,0] = -0.70\n")
    assert repr(drawing) == "<NetworkDrawing: 6 units, 8 weights, selected=None>"
    render(drawing.ax.figure)


def test_drawing_needs_one_example_of_a_2_2_2_network():
    rng = np.random.default_rng(0)
    wide = {"W1": rng.normal(size=(3, 2)), "b1": np.zeros(2), "W2": rng.normal(size=(2, 2)), "b2": np.zeros(2)}
    x3 = rng.normal(size=(1, 3))
    with pytest.raises(ValueError, match="2-2-2"):  # three inputs: the state's shapes alone would not tell
        draw_network(network_state(wide, x3, rng.uniform(size=(1, 2))), wide, x3)
    with pytest.raises(ValueError, match="2-2-2"):
        diagram_labels(network_state(wide, x3, rng.uniform(size=(1, 2))), wide, x3)
    batch = np.ones((2, 2))
    with pytest.raises(ValueError, match="2-2-2"):
        draw_network(network_state(example_params(), batch, batch), example_params(), batch)
    drawing = draw_network(network_state(example_params(), EXAMPLE_X, EXAMPLE_Y), example_params(), EXAMPLE_X)
    with pytest.raises(ValueError, match="selected"):
        update_network(drawing, network_state(example_params(), EXAMPLE_X, EXAMPLE_Y), example_params(), EXAMPLE_X,
                       selected="b1")
