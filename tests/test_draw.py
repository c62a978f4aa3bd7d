"""Tests for bplib.drawing.graph: layout, box texts, step mode and in-place updates (chapter 02)."""

from __future__ import annotations

import io
import math

import pytest
from conftest import diamond
from matplotlib.colors import to_rgba

from bplib.activations import sigmoid, sigmoid_prime
from bplib.drawing.graph import (
    BOX_HEIGHT,
    BOX_WIDTH,
    COLOURS,
    backward_trace,
    draw_graph,
    graph_nodes,
    layout_graph,
    update_drawing,
)
from bplib.graph import Value

NEURON = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def neuron(w0, x0, w1, x1, w2):
    """f = sigmoid(w0*x0 + w1*x1 + w2) with every node labelled."""
    leaves = {name: Value(v, label=name) for name, v in
              {"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2}.items()}
    p0 = leaves["w0"] * leaves["x0"]
    p0.label = "w0*x0"
    p1 = leaves["w1"] * leaves["x1"]
    p1.label = "w1*x1"
    s = p0 + p1
    s.label = "s"
    z = s + leaves["w2"]
    z.label = "z"
    f = z.sigmoid()
    f.label = "f"
    return f


def by_label(root):
    return {node.label: node for node in graph_nodes(root)}


def fmt(x):
    return f"{x:.4f}"


# ---- layout ------------------------------------------------------------------
def test_graph_nodes_reading_order_parents_first():
    f = neuron(**NEURON)
    labels = [n.label for n in graph_nodes(f)]
    assert labels == ["w0", "x0", "w0*x0", "w1", "x1", "w1*x1", "s", "w2", "z", "f"]


def test_layout_is_deterministic_and_leaves_are_left_of_root():
    f1, f2 = neuron(**NEURON), neuron(**NEURON)
    pos1 = [layout_graph(f1)[id(n)] for n in graph_nodes(f1)]
    pos2 = [layout_graph(f2)[id(n)] for n in graph_nodes(f2)]
    assert pos1 == pos2
    pos = layout_graph(f1)
    root_x = pos[id(f1)][0]
    for node in graph_nodes(f1):
        x = pos[id(node)][0]
        if not node.parents:
            assert x == 0.0
            assert x < root_x
        else:  # layer = longest path from a leaf: strictly right of every parent
            assert x == 1 + max(pos[id(p)][0] for p in node.parents)
    assert root_x == max(p[0] for p in pos.values())


def test_layout_separates_nodes_of_one_layer():
    for root in (neuron(**NEURON), diamond()):
        pos = list(layout_graph(root).values())
        for i, (x1, y1) in enumerate(pos):
            for x2, y2 in pos[i + 1:]:
                if x1 == x2:
                    assert abs(y1 - y2) >= 1.0 - 1e-12


def test_drawn_boxes_do_not_overlap():
    drawing = draw_graph(diamond())
    rects = [(b.get_x(), b.get_y(), b.get_width(), b.get_height()) for b in drawing.boxes]
    assert all(w == pytest.approx(BOX_WIDTH) and h == pytest.approx(BOX_HEIGHT)
               for _, _, w, h in rects)
    for i, (x1, y1, w1, h1) in enumerate(rects):
        for x2, y2, w2, h2 in rects[i + 1:]:
            apart = x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
            assert apart


def bezier(curve, t):
    u = 1 - t
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = curve
    return (u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
            u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3)


def test_edge_that_skips_layers_bends_around_boxes():
    drawing = draw_graph(diamond())
    nodes = drawing.nodes
    a, g = drawing.index_of(nodes[0]), len(nodes) - 1
    curve = drawing.curves[drawing.edges.index((a, g))]
    assert curve[1][1] - curve[0][1] > 1.0  # bent: a straight line would cross box e
    for e, curve in enumerate(drawing.curves):
        parent, child = drawing.edges[e]
        for t in [k / 100 for k in range(1, 100)]:
            px, py = bezier(curve, t)
            for i, box in enumerate(drawing.boxes):
                if i in (parent, child):
                    continue
                inside = (box.get_x() < px < box.get_x() + box.get_width()
                          and box.get_y() < py < box.get_y() + box.get_height())
                assert not inside, f"edge {e} crosses the box of {nodes[i].label}"


# ---- texts -------------------------------------------------------------------
def test_every_node_shows_label_op_data_and_grad():
    f = neuron(**NEURON)
    f.backward()
    drawing = draw_graph(f)
    assert len(drawing.texts) == len(drawing.nodes) == 10
    for node, text in zip(drawing.nodes, drawing.texts, strict=True):
        lines = text.get_text().split("\n")
        assert lines[0].startswith(node.label)
        assert (f"[{node.op}]" in lines[0]) == bool(node.op)
        assert lines[1] == f"data {fmt(node.data)}"
        assert lines[2] == f"grad {fmt(node.grad)}"


def test_neuron_numbers_match_the_sigmoid_derivative():
    f = neuron(**NEURON)
    f.backward()
    z = NEURON["w0"] * NEURON["x0"] + NEURON["w1"] * NEURON["x1"] + NEURON["w2"]
    drawing = draw_graph(f)
    nodes = by_label(f)
    assert f"data {fmt(sigmoid(z))}" in drawing.text_of(nodes["f"])  # 0.7311
    # df/dw0 = sigma'(z) * x0 = -0.1966
    assert f"grad {fmt(sigmoid_prime(z) * NEURON['x0'])}" in drawing.text_of(nodes["w0"])
    assert fmt(sigmoid_prime(z) * NEURON["x0"]) == "-0.1966"


def test_show_grad_false_has_no_grad_line():
    drawing = draw_graph(neuron(**NEURON), show_grad=False)
    assert all("grad" not in t.get_text() for t in drawing.texts)
    with pytest.raises(ValueError, match="show_grad"):
        update_drawing(drawing, step=1)


def test_local_gradients_label_the_edges():
    f = neuron(**NEURON)
    drawing = draw_graph(f, show_local=True)
    nodes = by_label(f)
    assert len(drawing.edge_texts) == len(drawing.edges) == 9
    for e, (p, c) in enumerate(drawing.edges):
        child, parent = drawing.nodes[c], drawing.nodes[p]
        local = child.local_grads[drawing.edge_slots[e]]
        assert child.parents[drawing.edge_slots[e]] is parent
        assert drawing.edge_texts[e].get_text() == fmt(local)
    # the mul gate's local gradient for w0 is x0
    e = drawing.edges.index((drawing.index_of(nodes["w0"]), drawing.index_of(nodes["w0*x0"])))
    assert drawing.edge_texts[e].get_text() == fmt(NEURON["x0"])
    assert draw_graph(f).edge_texts is None


# ---- step mode ---------------------------------------------------------------
def test_backward_trace_is_backward_steps():
    f = neuron(**NEURON)
    trace = backward_trace(f)
    assert [(id(n), g) for n, g in trace] == [(id(n), g) for n, g in f.backward_steps()]
    assert trace[0] == (f, 1.0)


def test_step_mode_shows_upstream_values_and_question_marks():
    f = neuron(**NEURON)  # no backward(): step mode must not need node.grad
    trace = backward_trace(f)
    n = len(trace)
    drawing = draw_graph(f, step=0)
    for k in range(n + 1):
        update_drawing(drawing, step=k)
        visited = {id(node): g for node, g in trace[:k]}
        for node, text in zip(drawing.nodes, drawing.texts, strict=True):
            grad_line = text.get_text().split("\n")[2]
            if id(node) in visited:
                assert grad_line == f"grad {fmt(visited[id(node)])}"
            else:
                assert grad_line == "grad ?"
        if k == 0:
            assert drawing.current is None
            assert all(b.get_facecolor() == to_rgba(COLOURS["unvisited"]) for b in drawing.boxes)
        else:
            current = drawing.index_of(trace[k - 1][0])
            assert drawing.current == current
            assert drawing.boxes[current].get_facecolor() == to_rgba(COLOURS["current"])
            others = [b for i, b in enumerate(drawing.boxes) if i != current]
            assert all(b.get_facecolor() != to_rgba(COLOURS["current"]) for b in others)
    assert all(node.grad == 0.0 for node in drawing.nodes)


def test_step_mode_hand_computed_neuron():
    f = neuron(**NEURON)
    z = NEURON["w0"] * NEURON["x0"] + NEURON["w1"] * NEURON["x1"] + NEURON["w2"]
    drawing = draw_graph(f, step=len(backward_trace(f)))
    nodes = by_label(f)
    expected = {
        "f": 1.0,
        "z": sigmoid_prime(z),
        "w2": sigmoid_prime(z),
        "w0": sigmoid_prime(z) * NEURON["x0"],
        "x0": sigmoid_prime(z) * NEURON["w0"],
        "w1": sigmoid_prime(z) * NEURON["x1"],
        "x1": sigmoid_prime(z) * NEURON["w1"],
    }
    for label, grad in expected.items():
        assert drawing.text_of(nodes[label]).endswith(f"grad {fmt(grad)}")
    # step 1 visits the output, whose gradient with respect to itself is 1
    update_drawing(drawing, step=1)
    assert drawing.current == drawing.index_of(f)
    assert drawing.text_of(f).endswith("grad 1.0000")
    assert drawing.text_of(nodes["z"]).endswith("grad ?")


@pytest.mark.parametrize("bad", [-1, 11, True, 1.5, "2"])
def test_bad_step_is_rejected(bad):
    with pytest.raises(ValueError, match="step"):
        draw_graph(neuron(**NEURON), step=bad)


# ---- in-place updates --------------------------------------------------------
def _artists(drawing):
    return [id(a) for a in [*drawing.texts, *drawing.boxes, *drawing.arrows,
                            *(drawing.edge_texts or [])]]


def test_update_drawing_changes_texts_in_place():
    f = neuron(**NEURON)
    drawing = draw_graph(f, show_local=True)
    before_ids = _artists(drawing)
    n_children = len(drawing.ax.get_children())
    before = [t.get_text() for t in drawing.texts]
    f.backward()
    update_drawing(drawing)
    after = [t.get_text() for t in drawing.texts]
    assert after != before
    assert all(a.endswith("grad 0.0000") for a in before)
    assert _artists(drawing) == before_ids
    assert len(drawing.ax.get_children()) == n_children


def test_update_drawing_with_a_rebuilt_graph_of_the_same_shape():
    drawing = draw_graph(neuron(**NEURON), show_local=True)
    before_ids = _artists(drawing)
    new = neuron(**{**NEURON, "x0": 1.5})
    new.backward()
    assert drawing.matches(new)
    update_drawing(drawing, root=new)
    nodes = by_label(new)
    z = NEURON["w0"] * 1.5 + NEURON["w1"] * NEURON["x1"] + NEURON["w2"]
    assert drawing.nodes[-1] is new
    assert drawing.text_of(nodes["f"]).split("\n")[1] == f"data {fmt(sigmoid(z))}"
    assert drawing.text_of(nodes["w0"]).endswith(f"grad {fmt(sigmoid_prime(z) * 1.5)}")
    e = drawing.edges.index((drawing.index_of(nodes["w0"]), drawing.index_of(nodes["w0*x0"])))
    assert drawing.edge_texts[e].get_text() == fmt(1.5)
    assert _artists(drawing) == before_ids


def test_update_drawing_rejects_a_different_shape():
    drawing = draw_graph(neuron(**NEURON))
    other = (Value(1.0, label="a") * 2.0).tanh()
    assert not drawing.matches(other)
    with pytest.raises(ValueError, match="structure"):
        update_drawing(drawing, root=other)


def test_update_drawing_with_given_gradients():
    f = neuron(**NEURON)
    drawing = draw_graph(f)
    n = len(drawing.nodes)
    update_drawing(drawing, grads=[float(i) for i in range(n)])
    assert [t.get_text().split("\n")[2] for t in drawing.texts] == [
        f"grad {fmt(float(i))}" for i in range(n)]
    update_drawing(drawing, grads={node: -2.0 for node in drawing.nodes})
    assert all(t.get_text().endswith("grad -2.0000") for t in drawing.texts)
    with pytest.raises(ValueError, match="one per node"):
        update_drawing(drawing, grads=[1.0])
    with pytest.raises(ValueError, match="missing"):
        update_drawing(drawing, grads={f: 1.0})
    with pytest.raises(ValueError, match="at most one"):
        update_drawing(drawing, step=1, grads=[0.0] * n)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="Value"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="Axes"):
        draw_graph(Value(1.0), ax="axes")
    with pytest.raises(ValueError, match="GraphDrawing"):
        update_drawing("drawing")
    with pytest.raises(ValueError, match="Value"):
        backward_trace([1.0])


# ---- other shapes ------------------------------------------------------------
def _render(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=30)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diamond_graph_draws_with_summed_gradients():
    g = diamond()
    g.backward()
    drawing = draw_graph(g, show_local=True)
    _render(drawing.fig)
    a = drawing.nodes[0]
    assert a.label == "a"
    # a reaches g along four edges (twice through b = a*a, through exp, directly)
    assert sum(1 for p, _ in drawing.edges if p == 0) == 4
    assert len(drawing.edges) == sum(len(n.parents) for n in drawing.nodes)
    # dg/da = e + a * (2a + exp(a)), by hand
    e = a.data**2 + math.exp(a.data)
    expected = e + a.data * (2 * a.data + math.exp(a.data))
    assert a.grad == pytest.approx(expected, rel=1e-12)
    assert drawing.text_of(a).endswith(f"grad {fmt(expected)}")


def test_deep_chain_of_500_nodes_draws():
    x = Value(0.5, label="x")
    y = x
    for _ in range(499):
        y = y.tanh()
    drawing = draw_graph(y, step=250)
    assert len(drawing.nodes) == 500
    xs = [drawing.positions[id(n)][0] for n in drawing.nodes]
    assert xs == [float(i) for i in range(500)]
    assert drawing.current == 500 - 250
    _render(drawing.fig)


def test_repr_is_short():
    assert repr(draw_graph(diamond())) == "<GraphDrawing: 5 nodes, 7 edges, step=None>"
