"""Headless tests of the chapter 04 dashboard, bplib.widgets.layers.

network_state (the four equations written out) is checked against bplib.layers and against
centered differences; the dashboard is driven by setting slider values, and the drawn texts,
edge colours and widths, bars and readout are compared with numbers computed independently
by bplib.layers, after checking that every artist was updated in place.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from bplib.gradcheck import check_gradient_params
from bplib.layers import dense_backward, dense_forward, sigmoid_backward, sigmoid_forward
from bplib.losses import squared_error_backward, squared_error_forward
from bplib.widgets.layers import (
    COLOURS,
    EXAMPLE_X,
    EXAMPLE_Y,
    MAX_EDGE_WIDTH,
    MIN_EDGE_WIDTH,
    WEIGHT_NAMES,
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


# ---- the dashboard ----------------------------------------------------------------------------


def assert_shows(dash, params, x=EXAMPLE_X, y=EXAMPLE_Y):
    """Every number on the dashboard is the one bplib.layers computes for params."""
    expected = library(params, x, y)
    grads = expected["grads"]
    drawing = dash.drawing
    for key, layer in (("h", "1"), ("o", "2")):
        for j in (0, 1):
            lines = drawing.node_texts[f"{key}{j}"].get_text().split("\n")
            assert lines[1:] == [f"z{layer} {fmt(expected['z' + layer][0, j])}",
                                 f"a{layer} {fmt(expected['a' + layer][0, j])}",
                                 f"δ{layer} {signed(expected['delta' + layer][0, j])}"]
    for i in (0, 1):
        assert drawing.node_texts[f"x{i}"].get_text() == f"input {i}\nx {fmt(x[0, i])}"
    largest = max(abs(grad_of(grads, name)) for name in WEIGHT_NAMES)
    for name in WEIGHT_NAMES:
        g = grad_of(grads, name)
        w = params[name[:2]][int(name[3]), int(name[4])]
        assert drawing.edge_texts[name].get_text() == f"{weight_label(name)} = {w:.2f}\ngrad {signed(g)}"
        colour = COLOURS["positive"] if g > 0 else COLOURS["negative"] if g < 0 else COLOURS["zero"]
        assert drawing.edge_lines[name].get_color() == colour
        assert drawing.edge_texts[name].get_color() == colour
        width = MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * abs(g) / largest
        assert drawing.edge_lines[name].get_linewidth() == pytest.approx(width, rel=1e-12)
    for k in (0, 1):
        assert dash.artists["output_bars"][k].get_height() == pytest.approx(expected["a2"][0, k], rel=1e-14)
        assert dash.artists["output_values"][k].get_text() == f"{expected['a2'][0, k]:.4f}"
    assert dash.artists["loss_bar"][0].get_height() == pytest.approx(expected["loss"], rel=1e-13)
    assert dash.artists["loss_value"].get_text() == f"{expected['loss']:.4f}"
    assert f"loss L = <code>{expected['loss']:.4f}</code>" in dash.readout.value
    return expected


def test_dashboard_starts_on_the_chapter_example():
    dash = network_dashboard()
    assert dash.values() == dict(zip(WEIGHT_NAMES, [0.15, 0.25, 0.20, 0.30, 0.40, 0.50, 0.45, 0.55], strict=True))
    assert_shows(dash, example_params())
    assert dash.selected == "W1_00"
    render(dash.fig)


def test_moving_a_weight_updates_every_number_in_place():
    dash = network_dashboard()
    drawing, art = dash.drawing, dash.artists
    before = ({**drawing.node_texts}, {**drawing.edge_lines}, {**drawing.edge_texts},
              list(art["output_bars"]), list(art["loss_bar"]), art["loss_value"])
    start_loss = dash.state["loss"]
    dash.controls["W2_00"].value = -1.25
    params = example_params()
    params["W2"][0, 0] = -1.25
    expected = assert_shows(dash, params)
    after = ({**drawing.node_texts}, {**drawing.edge_lines}, {**drawing.edge_texts},
             list(art["output_bars"]), list(art["loss_bar"]), art["loss_value"])
    for old, new in zip(before, after, strict=True):  # same artists, rewritten
        old_items = old.values() if isinstance(old, dict) else old if isinstance(old, list) else [old]
        new_items = new.values() if isinstance(new, dict) else new if isinstance(new, list) else [new]
        assert all(a is b for a, b in zip(old_items, new_items, strict=True))
    assert dash.drawing is drawing and dash.ax_net.texts.count(drawing.edge_texts["W2_00"]) == 1
    # lowering a weight whose gradient was positive lowers the loss; output 0 falls towards its target
    assert expected["loss"] < start_loss
    assert expected["a2"][0, 0] < 0.75
    assert list(art["start_loss"].get_ydata()) == [start_loss, start_loss]
    render(dash.fig)


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
    frame = dash.drawing.edge_texts["W2_10"].get_bbox_patch()
    assert frame.get_edgecolor() == to_rgba(COLOURS["selected"])
    others = [dash.drawing.edge_texts[n].get_bbox_patch().get_edgecolor() for n in WEIGHT_NAMES if n != "W2_10"]
    assert all(colour == to_rgba(COLOURS["label_frame"]) for colour in others)

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
    for name in ("W1_00", "W1_10"):
        assert dash.drawing.edge_lines[name].get_color() == COLOURS["zero"]
        assert dash.drawing.edge_lines[name].get_linewidth() == MIN_EDGE_WIDTH
        assert dash.state["grads"]["W1"][int(name[3]), 0] == 0.0
        assert dash.drawing.edge_texts[name].get_text().endswith("grad +0.0000")
    assert "the loss does not change with this weight" not in dash.readout.value  # W2_01 still matters
    dash.set(W1_00=0.5)
    assert "the loss does not change with this weight here" in dash.readout.value


def test_saturating_an_output_shrinks_its_delta_though_it_moves_away_from_the_target():
    dash = network_dashboard()
    start = dash.state
    dash.set(W2_00=3.0, W2_10=3.0)
    assert abs(dash.state["a2"][0, 0] - EXAMPLE_Y[0, 0]) > abs(start["a2"][0, 0] - EXAMPLE_Y[0, 0])
    assert dash.state["delta2"][0, 0] < start["delta2"][0, 0] / 5


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
    assert isinstance(figure, widgets.Output)  # Agg: the figure lives in an Output
    assert repr(dash).startswith("<NetworkDashboard: controls W1_00, W1_01")


# ---- the drawing on its own --------------------------------------------------------------------


def test_draw_network_makes_its_own_figure_and_updates_in_place():
    params = example_params()
    drawing = draw_network(network_state(params, EXAMPLE_X, EXAMPLE_Y), params, EXAMPLE_X, selected="W1_10")
    assert drawing.selected == "W1_10"
    texts = dict(drawing.edge_texts)
    params["W1"][1, 0] = -0.7
    update_network(drawing, network_state(params, EXAMPLE_X, EXAMPLE_Y), params, EXAMPLE_X)
    assert drawing.selected is None
    assert all(texts[name] is drawing.edge_texts[name] for name in WEIGHT_NAMES)
    assert drawing.edge_texts["W1_10"].get_text().startswith("W1[1,0] = -0.70\n")
    assert repr(drawing) == "<NetworkDrawing: 6 units, 8 weights, selected=None>"
    render(drawing.ax.figure)


def test_drawing_needs_one_example_of_a_2_2_2_network():
    rng = np.random.default_rng(0)
    wide = {"W1": rng.normal(size=(3, 2)), "b1": np.zeros(2), "W2": rng.normal(size=(2, 2)), "b2": np.zeros(2)}
    x3 = rng.normal(size=(1, 3))
    with pytest.raises(ValueError, match="2-2-2"):  # three inputs: the state's shapes alone would not tell
        draw_network(network_state(wide, x3, rng.uniform(size=(1, 2))), wide, x3)
    batch = np.ones((2, 2))
    with pytest.raises(ValueError, match="2-2-2"):
        draw_network(network_state(example_params(), batch, batch), example_params(), batch)
    drawing = draw_network(network_state(example_params(), EXAMPLE_X, EXAMPLE_Y), example_params(), EXAMPLE_X)
    with pytest.raises(ValueError, match="selected"):
        update_network(drawing, network_state(example_params(), EXAMPLE_X, EXAMPLE_Y), example_params(), EXAMPLE_X,
                       selected="b1")
