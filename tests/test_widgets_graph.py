"""Headless tests of chapter 02's graph drawn in the browser (bplib.widgets.graph.GraphView).

The dashboards' numbers are tested in tests/test_widgets.py. Here: the bqplot marks put every
box, arrow and label where graph_layout says, show what graph_look says (so the same as the
chapter's matplotlib drawing, draw_graph), and a slider change sends only what changed.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import traitlets
from conftest import diamond
from matplotlib.colors import to_hex

from bplib.drawing.graph import BOX_HEIGHT, BOX_WIDTH, COLOURS, draw_graph, graph_layout, graph_look, update_drawing
from bplib.graph import Value
from bplib.widgets import backward_stepper, graph_dashboard, neuron_expression
from bplib.widgets.graph import PX_PER_INCH, GraphView

matplotlib.use("Agg")


def shown_texts(dash) -> list[str]:
    """Every box's text as draw_graph writes it (lines joined by a newline), read from the marks."""
    names = [name for name in ("headers", "data", "grads") if name in dash.marks]
    lines = zip(*(dash.marks[name].text for name in names), strict=True)
    return ["\n".join(str(line).replace("\u00a0", " ") for line in box) for box in lines]


def sent_traits(dash) -> list[tuple[str, str]]:
    """A list that fills with (mark name, trait name) whenever a trait of a mark or of the figure changes."""
    sent = []
    for name, widget in [*dash.marks.items(), ("figure", dash.fig)]:
        widget.observe(lambda change, name=name: sent.append((name, change["name"])), names=traitlets.All)
    return sent


@pytest.mark.parametrize("build, show_local", [(neuron_expression, False), (neuron_expression, True),
                                               (diamond, True)])
def test_the_marks_are_where_graph_layout_puts_them(build, show_local):
    dash = graph_dashboard(build, show_local=show_local)
    layout, marks = dash.layout, dash.marks
    assert layout == graph_layout(build(), show_local=show_local)._replace(nodes=layout.nodes,
                                                                         positions=layout.positions)
    x0, x1, y0, y1 = layout.limits
    assert (dash.scales["x"].min, dash.scales["x"].max, dash.scales["y"].min, dash.scales["y"].max) == (x0, x1, y0, y1)
    width, height = layout.size
    assert dash.fig.layout.width == f"{round(width * PX_PER_INCH)}px"
    assert dash.fig.layout.height == f"{round(height * PX_PER_INCH)}px"
    centres = np.array([layout.positions[id(node)] for node in layout.nodes])  # (N, 2)
    for x, y, (cx, cy) in zip(marks["boxes"].x, marks["boxes"].y, centres, strict=True):
        assert (x.min(), x.max()) == (pytest.approx(cx - BOX_WIDTH / 2), pytest.approx(cx + BOX_WIDTH / 2))
        assert (y.min(), y.max()) == (pytest.approx(cy - BOX_HEIGHT / 2), pytest.approx(cy + BOX_HEIGHT / 2))
        assert (x[0], y[0]) == (x[-1], y[-1])  # closed
    for name in ("headers", "data", "grads"):
        np.testing.assert_array_equal(np.column_stack([marks[name].x, marks[name].y]), centres)
    assert marks["headers"].y_offset < marks["data"].y_offset < marks["grads"].y_offset  # top to bottom
    for e, curve in enumerate(layout.curves):
        (sx, sy), _, _, (ex, ey) = curve
        assert (marks["edges"].x[e][0], marks["edges"].y[e][0]) == (pytest.approx(sx), pytest.approx(sy))
        tip = (marks["arrowheads"].x[e], marks["arrowheads"].y[e])  # (4,) each: tip, corner, corner, tip
        assert (tip[0][0], tip[1][0]) == (pytest.approx(ex), pytest.approx(ey))
        assert abs(marks["edges"].x[e][-1] - ex) > 0  # the line stops under its head
    if show_local:
        np.testing.assert_allclose(np.column_stack([marks["edge_labels"].x, marks["edge_labels"].y]),
                                   layout.label_points)
        assert [str(t).replace("\u00a0", " ") for t in marks["footnote"].text] == [layout.footnote]
    else:
        assert "edge_labels" not in marks and "footnote" not in marks


@pytest.mark.parametrize("build", [neuron_expression, diamond])
def test_every_step_looks_as_the_chapters_drawing_does(build):
    dash = backward_stepper(build)
    root = dash.root
    drawing = draw_graph(root, step=0, show_local=True)
    for step in range(len(dash.trace) + 1):
        dash.set(step=step)
        update_drawing(drawing, step=step)
        assert shown_texts(dash) == [t.get_text() for t in drawing.texts]
        assert dash.marks["boxes"].fill_colors == [to_hex(b.get_facecolor()) for b in drawing.boxes]
        assert dash.marks["edges"].colors == [to_hex(a.get_edgecolor()) for a in drawing.arrows]
        assert dash.marks["arrowheads"].fill_colors == dash.marks["edges"].colors
        labels = [str(t).replace("\u00a0", " ") for t in dash.marks["edge_labels"].text]
        assert labels == [t.get_text() for t in drawing.edge_texts]
        assert dash.fig.title == drawing.ax.get_title()
        assert dash.marks["current_box"].visible == (drawing.current is not None)
    matplotlib.pyplot.close(drawing.fig)


def test_graph_dashboard_colours_boxes_by_kind():
    dash = graph_dashboard()
    kinds = ["input", "input", "op", "input", "input", "op", "op", "input", "op", "output"]  # graph_nodes order
    assert dash.marks["boxes"].fill_colors == [COLOURS[kind] for kind in kinds]
    assert not dash.marks["current_box"].visible and not dash.marks["active_edges"].visible
    assert dash.fig.title == ""


def test_a_slider_change_sends_only_the_numbers():
    dash = graph_dashboard()
    sent = sent_traits(dash)
    dash.controls["x0"].value = 1.5  # data of x0, w0*x0, s, z, f and most gradients change
    assert set(sent) == {("data", "text"), ("grads", "text")}


def test_a_step_sends_only_texts_and_colours():
    dash = backward_stepper()
    sent = sent_traits(dash)
    dash.set(step=2)
    assert set(sent) <= {("grads", "text"), ("boxes", "fill_colors"), ("current_box", "x"), ("current_box", "y"),
                         ("current_box", "visible"), ("current_box", "stroke_width"), ("edges", "colors"),
                         ("arrowheads", "colors"), ("arrowheads", "fill_colors"), ("active_edges", "x"),
                         ("active_edges", "y"), ("active_edges", "colors"), ("active_edges", "visible"),
                         ("active_edges", "stroke_width"), ("figure", "title")}
    assert ("grads", "text") in sent and ("figure", "title") in sent
    assert not any(name in {"headers", "data", "edge_labels", "label_boxes", "boxes"} and trait in {"x", "y", "text"}
                   for name, trait in sent)


def test_a_graph_of_one_node_and_no_edge():
    dash = graph_dashboard(lambda a=1.0: Value(a, label="a"))
    assert shown_texts(dash) == ["a\ndata 1.0000\ngrad 1.0000"]
    assert not dash.marks["edges"].visible and not dash.marks["arrowheads"].visible
    dash.controls["a"].value = -2.0
    assert shown_texts(dash) == ["a\ndata -2.0000\ngrad 1.0000"]


def test_a_view_has_the_marks_its_docstring_names():
    view = GraphView(graph_layout(diamond(), show_local=True), show_local=True)
    assert view.look is None and set(view.scales) == {"x", "y"}
    assert set(view.marks) == {"edges", "active_edges", "arrowheads", "boxes", "current_box", "label_boxes",
                               "edge_labels", "headers", "data", "grads", "footnote"}
    layout = graph_layout(diamond())
    no_grads = GraphView(layout, show_grad=False)
    assert set(no_grads.marks) == {"edges", "active_edges", "arrowheads", "boxes", "current_box", "headers", "data"}
    no_grads.restyle(graph_look(layout.nodes, layout.edges, layout.edge_slots, show_grad=False))
    assert [str(t) for t in no_grads.marks["data"].text] == ["data\u00a01.5000", "data\u00a02.2500",
                                                             "data\u00a04.4817", "data\u00a06.7317",
                                                             "data\u00a010.0975"]
