"""Drawing a computational graph with matplotlib (chapter 02).

`draw_graph(root)` draws every `Value` that `root` depends on as a rounded box
holding its label, its operation, its value (`data`) and its gradient (`grad`),
with an arrow from each input to the node computed from it. Inputs sit on the
left, the output on the right.

Step mode (`step=k`) replays the backward pass: the first k nodes of
`root.backward_steps()` show the gradient that reached them, the k-th is
highlighted, and the rest show "grad ?". The gradients come from the trace, not
from `node.grad`, so step mode works without calling `backward()`.

A `GraphDrawing` keeps the text artists and box patches, so `update_drawing`
rewrites texts and colours in place (no new axes).

What is drawn is decided once, in two plain functions that the chapter's dashboards
(bplib.widgets.graph, drawn in the browser) call too: `graph_layout` (where every box,
arrow and label goes, and the figure's size) and `graph_look` (the box texts, the
colours and line widths, the local gradients on the arrows, the title).

Layout keys: `layout_graph` returns a dict keyed by `id(node)`. A `Value` hashes
by identity, so keying by the node itself would work too; ids keep the layout a
plain, printable dict of numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.text import Text

from bplib.graph import Value

__all__ = [
    "GraphDrawing",
    "GraphLayout",
    "GraphLook",
    "backward_trace",
    "bezier_points",
    "box_font_points",
    "draw_graph",
    "graph_figsize",
    "graph_layout",
    "graph_look",
    "graph_nodes",
    "layout_graph",
    "node_name",
    "update_drawing",
]

# Box size in layout units: layers are 1 apart horizontally, rows 1 apart vertically,
# so boxes smaller than 1 x 1 never overlap once rows within a layer are 1 apart.
BOX_WIDTH = 0.62  # narrow, so arrows between layers are long enough to carry a label
BOX_HEIGHT = 0.72
BOX_ROUNDING = 0.08  # the radius of the boxes' rounded corners, in layout units (x and y alike)
X_MARGIN = 0.3  # layout units left of the first and right of the last box
# Figure inches per layout unit when draw_graph makes its own figure.
INCHES_PER_LAYER = 1.9
INCHES_PER_ROW = 0.95
MAX_FIGSIZE = (18.0, 14.0)

COLOURS = {
    "input": "#dbe9f6",  # light blue: leaves
    "op": "#fdf1d6",  # light yellow: computed nodes
    "output": "#dff0d8",  # light green: the root
    "unvisited": "#eeeeee",  # step mode: gradient not known yet
    "visited": "#c8e6c9",  # step mode: gradient known
    "current": "#ffb74d",  # step mode: the node being visited
    "edge": "#555555",
    "edge_active": "#e65100",  # step mode: edges the current node's gradient flows along
    "local": "#1f4e9c",  # edge labels (local gradients)
}
LOCAL_FOOTNOTE = "numbers on arrows: local gradient d(child)/d(parent)"


# ---- graph structure ---------------------------------------------------------
def _check_root(root) -> Value:
    if not isinstance(root, Value):
        raise ValueError(f"root: expected a bplib.graph.Value, got a {type(root).__name__}")
    return root


def graph_nodes(root: Value) -> list[Value]:
    """Every node `root` depends on, parents before children, in a stable reading order. Chapter 02.

    A depth-first walk that visits each node's parents left to right, so for
    f = sigmoid(w0*x0 + w1*x1 + w2) the inputs come out as w0, x0, w1, x1, w2.
    Iterative (no recursion), so chains thousands of nodes deep work.

    Inputs:
        root: the output Value.
    Returns:
        list of Values; root is last.
    """
    _check_root(root)
    order: list[Value] = []
    seen = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:  # all parents placed: the node can follow them
            stack.pop()
            order.append(node)
    return order


def _structure(nodes: Sequence[Value]) -> tuple:
    """The graph's shape: for each node, the indices of its parents (what the layout depends on)."""
    index = {id(node): i for i, node in enumerate(nodes)}
    return tuple(tuple(index[id(p)] for p in node.parents) for node in nodes)


def node_name(node: Value, index: int | None = None) -> str:
    """A short name for a node: its label, else its operation (with its index when given). Chapter 02."""
    if node.label:
        return node.label
    if node.op:
        return node.op if index is None else f"{node.op} #{index}"
    return "input" if index is None else f"input #{index}"


def layout_graph(root: Value) -> dict[int, tuple[float, float]]:
    """Positions for drawing the graph: inputs left, output right, no two boxes overlapping. Chapter 02.

    A node's layer (its x) is the length of the longest path from a leaf to it, so
    every arrow points right. Layer 0 lists the leaves top to bottom in
    `graph_nodes` order. A node in a later layer wants to sit at the mean height of
    its parents; nodes of one layer keep that order (ties broken by `graph_nodes`
    order) and are pushed apart to at least one row. Deterministic: the same graph
    always gets the same positions.

    Inputs:
        root: the output Value.
    Returns:
        dict id(node) -> (x, y) in layout units (layers 1 apart, rows 1 apart; y grows upward,
        so the first leaf is at the top with y = 0).
    """
    nodes = graph_nodes(root)
    layer: dict[int, int] = {}
    for node in nodes:  # parents come first, so their layers are known
        layer[id(node)] = 1 + max((layer[id(p)] for p in node.parents), default=-1)
    by_layer: dict[int, list[tuple[int, Value]]] = {}
    for i, node in enumerate(nodes):
        by_layer.setdefault(layer[id(node)], []).append((i, node))

    pos: dict[int, tuple[float, float]] = {}
    for x in sorted(by_layer):
        members = by_layer[x]
        if x == 0:
            wanted = [-float(row) for row in range(len(members))]
        else:
            wanted = [sum(pos[id(p)][1] for p in node.parents) / len(node.parents)
                      for _, node in members]
        # top to bottom: highest wanted y first, graph_nodes order breaks ties
        ranked = sorted(range(len(members)), key=lambda k: (-wanted[k], members[k][0]))
        ys: list[float] = []
        for k in ranked:
            y = wanted[k] if not ys else min(wanted[k], ys[-1] - 1.0)
            ys.append(y)
        # pushing apart moved the group down; re-centre it on what the nodes wanted
        shift = sum(wanted[k] for k in ranked) / len(ranked) - sum(ys) / len(ys)
        for k, y in zip(ranked, ys, strict=True):
            pos[id(members[k][1])] = (float(x), y + shift)
    return pos


def graph_figsize(root: Value, *, show_local: bool = False) -> tuple[float, float]:
    """A figure size (inches) that fits the drawing of `root` with readable text. Chapter 02.

    Inputs:
        root: the output Value.
        show_local: whether the drawing will label edges (it then needs a footnote line).
    Returns:
        (width, height) in inches, at most MAX_FIGSIZE.
    """
    return graph_layout(root, show_local=show_local).size


def _figsize_for(limits: tuple[float, float, float, float]) -> tuple[float, float]:
    x0, x1, y0, y1 = limits
    width = (x1 - x0) * INCHES_PER_LAYER
    height = (y1 - y0 + 0.3) * INCHES_PER_ROW  # + room for a title
    return (min(max(width, 3.0), MAX_FIGSIZE[0]), min(max(height, 2.2), MAX_FIGSIZE[1]))


class GraphLayout(NamedTuple):
    """Where everything of a graph's drawing goes, in layout units (see layout_graph). Chapter 02.

    The lists of nodes and of edges are aligned with `nodes` and `edges`.
    Attributes:
        nodes: list of N Values in `graph_nodes` order (root last).
        positions: dict id(node) -> (x, y), the centre of the node's box (BOX_WIDTH x BOX_HEIGHT).
        edges: list of E (parent index, child index) into `nodes`, one per arrow.
        edge_slots: for each edge, which of the child's parents it is (index into child.parents
            and child.local_grads).
        curves: for each edge, its cubic Bezier curve (start, c1, c2, end): from the parent's box
            to the child's; edges that skip layers bend around the boxes in between.
        label_points: for each edge, where its local gradient is written (the curve's middle).
        limits: (x0, x1, y0, y1), the drawing's extent: every box, curve and the footnote.
        size: (width, height) in inches of a figure that shows it with readable text (plot area
            from 1% to 99% of the width, 1% to 92% of the height: the rest holds the title).
        footnote: the line under the drawing (what the numbers on the arrows are), or None.
    """

    nodes: list[Value]
    positions: dict[int, tuple[float, float]]
    edges: list[tuple[int, int]]
    edge_slots: list[int]
    curves: list[tuple[tuple[float, float], ...]]
    label_points: list[tuple[float, float]]
    limits: tuple[float, float, float, float]
    size: tuple[float, float]
    footnote: str | None

    def matches(self, root: Value) -> bool:
        """Whether `root`'s graph has this layout's structure (same parents at the same places)."""
        return _structure(graph_nodes(root)) == _structure(self.nodes)

    def with_root(self, root: Value) -> GraphLayout:
        """This layout for `root`, a graph of the same structure (e.g. the same build, new numbers)."""
        nodes = graph_nodes(root)
        if _structure(nodes) != _structure(self.nodes):
            raise ValueError("root: expected a graph with the laid-out structure, got a different one "
                             "(different nodes or connections); call graph_layout again")
        positions = {id(new): self.positions[id(old)] for new, old in zip(nodes, self.nodes, strict=True)}
        return self._replace(nodes=nodes, positions=positions)


def graph_layout(root: Value, *, show_local: bool = False) -> GraphLayout:
    """The layout of `root`'s graph: boxes, curved arrows, labels, extent and size. Chapter 02.

    Depends only on the graph's structure (which node feeds which), never on the numbers.

    Inputs:
        root: the output Value.
        show_local: whether the arrows carry their local gradient (a footnote then says so).
    Returns:
        GraphLayout.
    """
    nodes = graph_nodes(root)
    pos = layout_graph(root)
    routes = _edge_routes(nodes, pos)
    limits = _limits(pos, routes, footnote=show_local)
    return GraphLayout(
        nodes=nodes, positions=pos, edges=[(r.parent, r.child) for r in routes],
        edge_slots=[r.slot for r in routes], curves=[r.curve for r in routes],
        label_points=[_bezier(r.curve, 0.5) for r in routes], limits=limits, size=_figsize_for(limits),
        footnote=LOCAL_FOOTNOTE if show_local else None)


def backward_trace(root: Value) -> list[tuple[Value, float]]:
    """The backward pass as a list: (node, upstream gradient d(root)/d(node)) in visiting order.

    Chapter 02. The materialized `root.backward_steps()`; nothing is written into
    `node.grad`.

    Inputs:
        root: the output Value.
    Returns:
        list of (Value, float), one entry per node; the first is (root, 1.0).
    """
    return list(_check_root(root).backward_steps())


# ---- the drawing -------------------------------------------------------------
@dataclass(eq=False)
class GraphDrawing:
    """What `draw_graph` drew, kept so it can be updated in place. Chapter 02.

    Attributes:
        fig, ax: the matplotlib Figure and Axes.
        nodes: list of Values in `graph_nodes` order; every list below is aligned with it.
        positions: dict id(node) -> (x, y), from `layout_graph`.
        texts: one Text artist per node (label, op, data, grad lines).
        boxes: one FancyBboxPatch per node.
        edges: list of (parent index, child index) into `nodes`, one per arrow.
        arrows: one FancyArrowPatch per edge.
        edge_texts: one Text per edge showing d(child)/d(parent), or None when
            drawn with show_local=False.
        edge_slots: for each edge, which of the child's parents it is (index into
            child.parents and child.local_grads).
        curves: for each edge, its cubic Bezier curve (start, c1, c2, end) in data
            coordinates; edges that skip layers bend around the boxes in between.
        step: the step shown (None: node.grad for every node).
        current: index into `nodes` of the highlighted node in step mode, else None.
        show_grad: whether the boxes have a grad line.
    """

    fig: Figure
    ax: Axes
    nodes: list[Value]
    positions: dict[int, tuple[float, float]]
    texts: list[Text]
    boxes: list[FancyBboxPatch]
    edges: list[tuple[int, int]]
    arrows: list[FancyArrowPatch]
    edge_texts: list[Text] | None
    edge_slots: list[int] = field(default_factory=list, repr=False)
    curves: list[tuple[tuple[float, float], ...]] = field(default_factory=list, repr=False)
    show_grad: bool = True
    step: int | None = None
    current: int | None = None
    title: str | None = None
    trace: list[tuple[Value, float]] | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # short and machine-independent (notebooks print it)
        return f"<GraphDrawing: {len(self.nodes)} nodes, {len(self.edges)} edges, step={self.step}>"

    def index_of(self, node: Value) -> int:
        """The position of `node` in `nodes` (ValueError if it is not in this drawing)."""
        for i, candidate in enumerate(self.nodes):
            if candidate is node:
                return i
        raise ValueError(f"node: expected a Value of this drawing, got {node!r}")

    def matches(self, root: Value) -> bool:
        """Whether `root`'s graph has the drawn structure, so update_drawing(root=root) works."""
        return _structure(graph_nodes(root)) == _structure(self.nodes)

    def text_of(self, node: Value) -> str:
        """The text currently shown in `node`'s box."""
        return self.texts[self.index_of(node)].get_text()

    def backward_trace(self) -> list[tuple[Value, float]]:
        """backward_trace(root) for the drawn graph, computed once and cached."""
        if self.trace is None:
            self.trace = backward_trace(self.nodes[-1])
        return self.trace


def _fmt(x: float) -> str:
    """4 decimals, or scientific notation when that would hide the number."""
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.3e}"
    return f"{x:.4f}"


def _header(node: Value) -> str:
    if node.label and node.op:
        return f"{node.label}  [{node.op}]"
    return node.label or (f"[{node.op}]" if node.op else "input")


def _node_text(node: Value, grad: float | None, show_grad: bool) -> str:
    """Box text; grad None means "not known yet" (step mode)."""
    lines = [_header(node), f"data {_fmt(node.data)}"]
    if show_grad:
        lines.append("grad ?" if grad is None else f"grad {_fmt(grad)}")
    return "\n".join(lines)


def _fontsize(ax: Axes, nodes: Sequence[Value], show_grad: bool) -> float:
    """The largest font (<= 10 pt) whose text fits the boxes at the axes' current scale."""
    fig = ax.figure
    box = ax.get_position()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    pt_per_x = box.width * fig.get_figwidth() * 72.0 / abs(x1 - x0)
    pt_per_y = box.height * fig.get_figheight() * 72.0 / abs(y1 - y0)
    return box_font_points(nodes, show_grad, pt_per_x, pt_per_y)


def box_font_points(nodes: Sequence[Value], show_grad: bool, pt_per_x: float, pt_per_y: float) -> float:
    """The largest font size (points, <= 10) whose box texts fit the boxes. Chapter 02.

    Inputs:
        nodes: the drawn Values; show_grad: whether the boxes have a grad line.
        pt_per_x, pt_per_y: how many points one layout unit is across and up on screen.
    Returns:
        the font size in points, at least 2.
    """
    # room for the longest header and for lines like "grad -1.234e-05" or "data -1234.5678"
    chars = max([len(_header(n)) for n in nodes] + [15])
    lines = 3 if show_grad else 2
    by_width = 0.9 * BOX_WIDTH * pt_per_x / (0.62 * chars)  # monospace: ~0.6 em per character
    by_height = 0.9 * BOX_HEIGHT * pt_per_y / (1.3 * lines)
    return max(2.0, min(10.0, by_width, by_height))


def bezier_points(curve, t) -> np.ndarray:
    """Points of the cubic Bezier curve (start, c1, c2, end) at the parameters t. Chapter 02.

    Inputs:
        curve: four (x, y) points; t: (K,) parameters in [0, 1] (0 is start, 1 is end).
    Returns:
        (K, 2) points.
    """
    t = np.asarray(t, dtype=np.float64)[:, np.newaxis]  # (K, 1)
    u = 1.0 - t
    p0, p1, p2, p3 = (np.asarray(p, dtype=np.float64) for p in curve)  # (2,) each
    return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3  # (K, 2)


def _bezier(curve, t: float) -> tuple[float, float]:
    """The point at parameter t in [0, 1] of the cubic Bezier curve (start, c1, c2, end)."""
    x, y = bezier_points(curve, [t])[0]
    return float(x), float(y)


# Vertical offsets of an edge's two middle control points, tried in order until the curve
# misses every box; the curve's apex is 3/4 of the offset away from the straight line.
_BENDS = (0.0, 0.6, -0.6, 1.0, -1.0, 1.4, -1.4, 1.8, -1.8, 2.4, -2.4, 3.0, -3.0, 4.0, -4.0)
_LEAD = 0.3  # how far right of the start (left of the end) the middle control points sit


def _route(start, end, centres, repeat: int) -> tuple[tuple[float, float], ...]:
    """A cubic Bezier curve (start, c1, c2, end) that avoids the boxes centred at `centres`.

    Only edges that skip layers can cross a box (`centres` are the boxes in the layers
    between). The k-th repeat of the same parent -> child edge (x * x) skips the first k
    bends so the arrows do not lie on top of each other. If every bend hits a box, the one
    hitting least is used.
    """
    half_w, half_h = BOX_WIDTH / 2 + 0.05, BOX_HEIGHT / 2 + 0.05
    best, fewest = None, None
    for bend in _BENDS[repeat:]:
        if bend == 0.0:  # straight: control points on the line, a third of the way each
            dx, dy = (end[0] - start[0]) / 3, (end[1] - start[1]) / 3
            curve = (start, (start[0] + dx, start[1] + dy), (end[0] - dx, end[1] - dy), end)
        else:
            curve = (start, (start[0] + _LEAD, start[1] + bend),
                     (end[0] - _LEAD, end[1] + bend), end)
        points = bezier_points(curve, np.arange(1, 32) / 32)  # (31, 2)
        hits = sum(int(np.count_nonzero((abs(points[:, 0] - cx) < half_w) & (abs(points[:, 1] - cy) < half_h)))
                   for cx, cy in centres)
        if hits == 0:
            return curve
        if fewest is None or hits < fewest:
            best, fewest = curve, hits
    return best


class _Route(NamedTuple):
    parent: int  # index into nodes
    child: int
    slot: int  # which of child.parents this edge is
    curve: tuple[tuple[float, float], ...]  # cubic Bezier (start, c1, c2, end), data units


def _edge_routes(nodes: Sequence[Value], pos) -> list[_Route]:
    """One curve per parent -> child edge, from the parent's right side to the child's left."""
    index = {id(node): i for i, node in enumerate(nodes)}
    routes = []
    for c, child in enumerate(nodes):
        seen_parent: dict[int, int] = {}
        for slot, parent in enumerate(child.parents):
            p = index[id(parent)]
            repeat = seen_parent.get(p, 0)  # x * x: the same parent twice
            seen_parent[p] = repeat + 1
            (xp, yp), (xc, yc) = pos[id(parent)], pos[id(child)]
            start, end = (xp + BOX_WIDTH / 2, yp), (xc - BOX_WIDTH / 2, yc)
            in_between = [q for q in pos.values() if xp < q[0] < xc]
            routes.append(_Route(p, c, slot, _route(start, end, in_between, repeat)))
    return routes


def _limits(pos, routes: Sequence[_Route], footnote: bool) -> tuple[float, float, float, float]:
    """Axes limits (x0, x1, y0, y1) that hold every box, every curved edge and the footnote."""
    xs = [q[0] for q in pos.values()]
    ys = [q[1] for q in pos.values()]
    half = BOX_WIDTH / 2 + X_MARGIN
    top, bottom = max(ys) + BOX_HEIGHT / 2, min(ys) - BOX_HEIGHT / 2
    for r in routes:
        start, c1, _, end = r.curve
        if c1[0] == start[0] + _LEAD:  # a bent edge: its apex may stick out
            apex = _bezier(r.curve, 0.5)[1]
            top, bottom = max(top, apex + 0.1), min(bottom, apex - 0.1)
    return (min(xs) - half, max(xs) + half, bottom - (0.45 if footnote else 0.15), top + 0.15)


def draw_graph(
    root: Value,
    ax: Axes | None = None,
    *,
    step: int | None = None,
    show_grad: bool = True,
    show_local: bool = False,
    title: str | None = None,
) -> GraphDrawing:
    """Draw the computational graph that ends in `root`. Chapter 02.

    Inputs:
        root: the output Value.
        ax: Axes to draw into (its figure is used); None makes a new figure sized to the graph.
        step: None shows node.grad in every box; an int k in [0, number of nodes] replays the
            backward pass up to its k-th visited node (see the module docstring).
        show_grad: add a "grad" line to each box (required for step mode).
        show_local: label each arrow with the local gradient d(child)/d(parent).
        title: an axes title; in step mode, None gives "backward pass: step k of n".
    Returns:
        GraphDrawing holding the artists, for update_drawing.
    """
    layout = graph_layout(root, show_local=show_local)
    nodes, pos, limits = layout.nodes, layout.positions, layout.limits
    if ax is None:
        fig, ax = plt.subplots(figsize=layout.size)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92)
    elif not isinstance(ax, Axes):
        raise ValueError(f"ax: expected a matplotlib Axes or None, got a {type(ax).__name__}")
    fig = ax.figure
    ax.set_axis_off()
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    fontsize = _fontsize(ax, nodes, show_grad)

    boxes: list[FancyBboxPatch] = []
    texts: list[Text] = []
    for node in nodes:
        x, y = pos[id(node)]
        box = FancyBboxPatch(
            (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
            boxstyle=f"round,pad=0,rounding_size={BOX_ROUNDING}", linewidth=1.0,
            edgecolor="#333333", zorder=2,
        )
        ax.add_artist(box)  # add_artist: skips data-limit bookkeeping (limits are set above)
        boxes.append(box)
        texts.append(ax.text(x, y, "", ha="center", va="center", fontsize=fontsize,
                             family="monospace", zorder=3))

    arrows: list[FancyArrowPatch] = []
    edge_texts: list[Text] | None = [] if show_local else None
    for curve, (mx, my) in zip(layout.curves, layout.label_points, strict=True):
        arrow = FancyArrowPatch(
            path=Path(curve, [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4]),
            arrowstyle="-|>", mutation_scale=10, linewidth=1.0, color=COLOURS["edge"], zorder=1,
        )
        ax.add_artist(arrow)
        arrows.append(arrow)
        if edge_texts is not None:
            edge_texts.append(ax.text(
                mx, my, "", ha="center", va="center", fontsize=0.85 * fontsize,
                color=COLOURS["local"], family="monospace", zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
            ))
    if layout.footnote is not None:
        ax.text(0.0, 0.0, layout.footnote, transform=ax.transAxes, ha="left", va="bottom",
                fontsize=max(fontsize, 7), color=COLOURS["local"])

    drawing = GraphDrawing(fig=fig, ax=ax, nodes=nodes, positions=pos, texts=texts, boxes=boxes,
                           edges=layout.edges, arrows=arrows, edge_texts=edge_texts,
                           edge_slots=layout.edge_slots, curves=layout.curves,
                           show_grad=show_grad, title=title)
    update_drawing(drawing, step=step)
    return drawing


class GraphLook(NamedTuple):
    """What a drawn graph shows at one moment: box texts, colours, line widths, title. Chapter 02.

    The lists are aligned with a GraphLayout's (or GraphDrawing's) nodes (N) and edges (E).
    Attributes:
        texts: N box texts, lines joined by "\\n": the header ("label  [op]"), "data ...", and
            with show_grad "grad ..." ("grad ?" where step mode has not reached the node yet).
        box_colours: N fill colours (values of COLOURS); box_widths: N outline widths (points).
        edge_colours: E arrow colours; edge_widths: E arrow widths (points).
        edge_texts: E local gradients d(child)/d(parent) to write on the arrows, or None.
        step: the backward step shown, or None (node.grad, or the given gradients).
        current: index into the nodes of the node visited at `step`, else None.
        title: the title, "" for none.
    """

    texts: list[str]
    box_colours: list[str]
    box_widths: list[float]
    edge_colours: list[str]
    edge_widths: list[float]
    edge_texts: list[str] | None
    step: int | None
    current: int | None
    title: str


def graph_look(
    nodes: Sequence[Value],
    edges: Sequence[tuple[int, int]],
    edge_slots: Sequence[int],
    *,
    step: int | None = None,
    grads=None,
    show_grad: bool = True,
    show_local: bool = False,
    title: str | None = None,
    trace: list[tuple[Value, float]] | None = None,
) -> GraphLook:
    """The texts, colours and title of a graph's drawing. Chapter 02.

    Without step, every box shows node.grad (or `grads`) and is coloured by kind (input,
    operation, output). With step k, the backward pass is replayed up to its k-th visited node:
    the visited boxes show the gradient that reached them, the k-th is highlighted, its incoming
    arrows (where its gradient flows next) are orange, and the rest show "grad ?".

    Inputs:
        nodes, edges, edge_slots: from graph_layout (or a GraphDrawing).
        step: None, or the backward step to show, an int in [0, number of nodes].
        grads: gradients to show instead of node.grad (not with step): a sequence with one float
            per node, or a mapping Value -> float.
        show_grad: whether the boxes have a grad line (step mode needs it).
        show_local: whether the arrows carry their local gradient.
        title: a fixed title; None gives "backward pass: step k of n" in step mode, else "".
        trace: backward_trace(nodes[-1]) if already computed (it is computed when step needs it).
    Returns:
        GraphLook.
    """
    if step is not None and grads is not None:
        raise ValueError("step and grads: expected at most one of them, got both")
    n = len(nodes)
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= n:
            raise ValueError(f"step: expected an int from 0 to {n} (the number of nodes), got {step!r}")
        if not show_grad:
            raise ValueError("step: step mode shows gradients, so draw with show_grad=True")

    current = None
    active_edges: set[int] = set()
    if step is not None:
        trace = backward_trace(nodes[-1]) if trace is None else trace
        known = {id(node): g for node, g in trace[:step]}
        shown = [known.get(id(node)) for node in nodes]
        if step > 0:
            visited = trace[step - 1][0]
            current = next(i for i, node in enumerate(nodes) if node is visited)
            active_edges = {e for e, (_, c) in enumerate(edges) if c == current}
        kinds = ["current" if i == current else ("unvisited" if g is None else "visited")
                 for i, g in enumerate(shown)]
    else:
        shown = [node.grad for node in nodes] if grads is None else _grads_from(nodes, grads)
        kinds = ["output" if i == n - 1 else ("op" if node.parents else "input") for i, node in enumerate(nodes)]

    if title is None and step is not None:
        what = "" if current is None else f": visiting {node_name(nodes[current], current)}"
        title = f"backward pass: step {step} of {n}{what}"
    return GraphLook(
        texts=[_node_text(node, g, show_grad) for node, g in zip(nodes, shown, strict=True)],
        box_colours=[COLOURS[kind] for kind in kinds],
        box_widths=[2.5 if i == current else 1.0 for i in range(n)],
        edge_colours=[COLOURS["edge_active" if e in active_edges else "edge"] for e in range(len(edges))],
        edge_widths=[2.0 if e in active_edges else 1.0 for e in range(len(edges))],
        edge_texts=[_fmt(nodes[c].local_grads[slot]) for (_, c), slot in zip(edges, edge_slots, strict=True)]
        if show_local else None,
        step=step, current=current, title=title or "")


def _grads_from(nodes: Sequence[Value], grads) -> list[float]:
    n = len(nodes)
    if isinstance(grads, Mapping):
        by_id = {id(k): v for k, v in grads.items()}
        missing = [node_name(node, i) for i, node in enumerate(nodes) if id(node) not in by_id]
        if missing:
            raise ValueError(f"grads: expected a gradient for every node, missing {missing}")
        values = [by_id[id(node)] for node in nodes]
    else:
        values = list(grads)
        if len(values) != n:
            raise ValueError(f"grads: expected {n} gradients (one per node), got {len(values)}")
    return [float(v) for v in values]


def update_drawing(
    drawing: GraphDrawing,
    *,
    step: int | None = None,
    grads=None,
    root: Value | None = None,
) -> GraphDrawing:
    """Rewrite a drawing's texts and colours in place (no artist is created or removed). Chapter 02.

    What the boxes and arrows show is graph_look's. Does not redraw the canvas: call
    `drawing.fig.canvas.draw_idle()` afterwards if the figure is already on screen.

    Inputs:
        drawing: from draw_graph.
        step: None, or the backward step to show, an int in [0, number of nodes].
        grads: gradients to show instead of node.grad (not with step): a sequence with one float
            per node in drawing.nodes order, or a mapping Value -> float.
        root: a newly built graph with the same structure (same parents at the same places, as
            from calling the same build function with new numbers); its nodes replace the
            drawn ones. A different structure raises ValueError: call draw_graph again.
    Returns:
        the same GraphDrawing.
    """
    if not isinstance(drawing, GraphDrawing):
        raise ValueError(f"drawing: expected a GraphDrawing, got a {type(drawing).__name__}")
    if step is not None and grads is not None:
        raise ValueError("step and grads: expected at most one of them, got both")
    if root is not None:
        new_nodes = graph_nodes(root)
        if _structure(new_nodes) != _structure(drawing.nodes):  # see GraphDrawing.matches
            raise ValueError("root: expected a graph with the drawn structure, got a different "
                             "one (different nodes or connections); call draw_graph again")
        drawing.positions = {id(new): drawing.positions[id(old)]
                             for new, old in zip(new_nodes, drawing.nodes, strict=True)}
        drawing.nodes = new_nodes
        drawing.trace = None
    look = graph_look(drawing.nodes, drawing.edges, drawing.edge_slots, step=step, grads=grads,
                      show_grad=drawing.show_grad, show_local=drawing.edge_texts is not None,
                      title=drawing.title, trace=drawing.backward_trace() if step is not None else None)

    # Setters only where something changes: each marks the figure stale (to be drawn again).
    for i, text in enumerate(drawing.texts):
        text.set_text(look.texts[i])
        _restyle(drawing.boxes[i], look.box_colours[i], look.box_widths[i], edge=False)
    for e, arrow in enumerate(drawing.arrows):
        _restyle(arrow, look.edge_colours[e], look.edge_widths[e], edge=True)
    for text, local in zip(drawing.edge_texts or [], look.edge_texts or [], strict=True):
        text.set_text(local)
    drawing.step = look.step
    drawing.current = look.current
    if drawing.ax.get_title() != look.title:
        drawing.ax.set_title(look.title)
    return drawing


def _restyle(patch, colour: str, linewidth: float, *, edge: bool) -> None:
    """Give a box (face colour) or an arrow (edge and face colour) a colour and line width."""
    rgba = to_rgba(colour)
    if edge and patch.get_edgecolor() != rgba:
        patch.set_color(colour)
    elif not edge and patch.get_facecolor() != rgba:
        patch.set_facecolor(colour)
    if patch.get_linewidth() != linewidth:
        patch.set_linewidth(linewidth)
