"""Dashboards on a computational graph: live gradients and a backward-pass stepper (chapter 02).

`graph_dashboard()` puts a slider on every input of a small expression (by default one
sigmoid neuron, f = sigmoid(w0*x0 + w1*x1 + w2)); each change rebuilds the graph, runs
backward() and rewrites the numbers in the boxes.

`backward_stepper()` replays backward() one node at a time: the readout says which node is
visited and how its gradient is the sum of (local gradient x upstream gradient) over the
nodes it feeds.

The graph is drawn in the browser (bqplot, GraphView): boxes and arrows are filled polygons
and lines, the numbers are text marks. Where everything goes and what each box says and how it
is coloured come from bplib.drawing.graph's graph_layout and graph_look, which the chapter's
static matplotlib drawings (draw_graph) use too. A slider change sends only the texts and
colours that changed.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Mapping

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from bplib.drawing.graph import (
    BOX_HEIGHT,
    BOX_ROUNDING,
    BOX_WIDTH,
    COLOURS,
    GraphLayout,
    GraphLook,
    backward_trace,
    bezier_points,
    box_font_points,
    graph_layout,
    graph_look,
    graph_nodes,
    node_name,
)
from bplib.graph import Value
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard

__all__ = [
    "BackwardStepper",
    "GraphDashboard",
    "GraphView",
    "INPUT_RANGE",
    "backward_stepper",
    "graph_dashboard",
    "graph_state",
    "neuron_expression",
    "stepper_state",
]

INPUT_RANGE = (-4.0, 4.0)  # every input slider's range
INPUT_STEP = 0.1


def neuron_expression(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0) -> Value:
    """One sigmoid neuron as a labelled graph: f = sigmoid(w0*x0 + w1*x1 + w2). Chapter 02.

    Inputs:
        w0, x0, w1, x1: two weights and their inputs; w2: the bias. Real numbers.
    Returns:
        f, the output Value; every node is labelled (w0, x0, w1, x1, w2, w0*x0, w1*x1,
        s = w0*x0 + w1*x1, z = s + w2, f). With the defaults f = sigma(1) ~ 0.7311.
    """
    w0, x0 = Value(w0, label="w0"), Value(x0, label="x0")
    w1, x1 = Value(w1, label="w1"), Value(x1, label="x1")
    w2 = Value(w2, label="w2")
    p0 = w0 * x0
    p0.label = "w0*x0"
    p1 = w1 * x1
    p1.label = "w1*x1"
    s = p0 + p1
    s.label = "s"
    z = s + w2
    z.label = "z"
    f = z.sigmoid()
    f.label = "f"
    return f


def _build_root(build: Callable[..., Value], values: Mapping[str, float]) -> Value:
    root = build(**values)
    if not isinstance(root, Value):
        raise ValueError(f"build: expected a function returning a Value, got a "
                         f"{type(root).__name__} from {getattr(build, '__name__', build)!r}")
    return root


def graph_state(build: Callable[..., Value], values: Mapping[str, float]) -> dict:
    """Build the graph, run backward(), and collect the numbers by label. Chapter 02.

    Inputs:
        build: a function of named real arguments returning the output Value.
        values: argument name -> number, passed to build.
    Returns:
        dict with
            root: the output Value (its graph has .grad filled in);
            f: root.data;
            grads: label -> d(root)/d(node) for every labelled node;
            inputs: labels of the labelled leaves, in drawing order.
    """
    root = _build_root(build, values)
    root.zero_grad()  # in case build returns nodes that already hold gradients
    root.backward()
    grads: dict[str, float] = {}
    inputs: list[str] = []
    for node in graph_nodes(root):
        if not node.label:
            continue
        if node.label in grads:
            raise ValueError(f"build: expected distinct node labels, got {node.label!r} twice")
        grads[node.label] = node.grad
        if not node.parents:
            inputs.append(node.label)
    return {"root": root, "f": root.data, "grads": grads, "inputs": inputs}


def stepper_state(root: Value, step: int) -> dict:
    """What the backward pass knows after visiting `step` nodes, and why. Chapter 02.

    A node's gradient is complete when backward() reaches it:
        d(root)/d(node) = sum over children c of  d(c)/d(node) * d(root)/d(c)
                          (local gradient)       (upstream gradient of c)

    Inputs:
        root: the output Value (backward() need not have been called).
        step: an int in [0, number of nodes]; 0 means nothing visited yet.
    Returns:
        dict with
            step, n: the step and the number of nodes;
            node: the Value visited at this step (None at step 0); name: its name;
            upstream: its gradient d(root)/d(node) (None at step 0);
            terms: list of dicts (child, local, child_upstream, product), one per edge from
                node to a child; empty for the root, whose gradient is 1 by definition;
            visited: list of (name, gradient) for the nodes visited so far, in order.
    """
    trace = backward_trace(root)
    n = len(trace)
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= n:
        raise ValueError(f"step: expected an int from 0 to {n} (the number of nodes), got {step!r}")
    nodes = graph_nodes(root)
    names = {id(node): node_name(node, i) for i, node in enumerate(nodes)}
    upstream = {id(node): g for node, g in trace}
    state = {"step": step, "n": n, "node": None, "name": None, "upstream": None, "terms": [],
             "visited": [(names[id(node)], g) for node, g in trace[:step]]}
    if step == 0:
        return state
    node, g = trace[step - 1]
    terms = []
    for child in nodes:
        for parent, local in zip(child.parents, child.local_grads, strict=True):
            if parent is node:
                child_up = upstream[id(child)]
                terms.append({"child": names[id(child)], "local": local,
                              "child_upstream": child_up, "product": local * child_up})
    state.update(node=node, name=names[id(node)], upstream=g, terms=terms)
    return state


# ---- shared wiring -----------------------------------------------------------
def _initial_values(build: Callable[..., Value], initial: Mapping[str, float]) -> dict[str, float]:
    """One starting number per argument of build: from `initial`, else build's default."""
    if not callable(build):
        raise ValueError(f"build: expected a function returning a Value, got {build!r}")
    params = inspect.signature(build).parameters
    allowed = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    odd = [name for name, p in params.items() if p.kind not in allowed]
    if odd:
        raise ValueError(f"build: expected only named arguments (one slider each), got {odd}")
    unknown = sorted(set(initial) - set(params))
    if unknown:
        raise ValueError(f"initial values: expected names among {list(params)}, got {unknown}")
    values = {}
    for name, p in params.items():
        value = initial.get(name, p.default)
        if value is inspect.Parameter.empty:
            raise ValueError(f"{name}: expected an initial value (build has no default for it)")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name}: expected a real number, got {value!r}")
        if not INPUT_RANGE[0] <= value <= INPUT_RANGE[1]:
            raise ValueError(f"{name}: expected a value in {list(INPUT_RANGE)}, got {value}")
        values[name] = float(value)
    return values


def _name(label: str) -> str:
    return html.escape(label)


# ---- the view: the graph drawn in the browser ----------------------------------
PX_PER_INCH = 100  # the graph as large on screen as matplotlib's drawing was (100 dpi)
PX_PER_POINT = PX_PER_INCH / 72
LINE_SPACING = 1.2  # between the lines of a box, in font sizes (matplotlib's)
CURVE_POINTS = 33  # points along each arrow
CORNER_POINTS = 7  # points along each rounded corner of a box
HEAD_LENGTH_PT, HEAD_HALF_WIDTH_PT = 4.0, 2.0  # the arrowheads of draw_graph ("-|>", mutation scale 10)
BOX_EDGE = "#333333"
TEXT = "#000000"


def _svg_text(text: str) -> str:
    """`text` with no-break spaces: SVG would fold the two spaces of "w0*x0  [*]" into one."""
    return text.replace(" ", "\u00a0")


def _box_outline() -> np.ndarray:
    """A box's outline with rounded corners, around its centre, as draw_graph's boxes: (P, 2), closed."""
    half_w, half_h, r = BOX_WIDTH / 2 - BOX_ROUNDING, BOX_HEIGHT / 2 - BOX_ROUNDING, BOX_ROUNDING
    turn = np.linspace(0.0, np.pi / 2, CORNER_POINTS)  # (CORNER_POINTS,)
    corners = [np.column_stack([sx * half_w + r * np.cos(start + turn), sy * half_h + r * np.sin(start + turn)])
               for sx, sy, start in ((1, 1, 0.0), (-1, 1, np.pi / 2), (-1, -1, np.pi), (1, -1, 1.5 * np.pi))]
    return np.concatenate([*corners, corners[0][:1]])  # (4 * CORNER_POINTS + 1, 2)


class _Geometry:
    """Where a layout's pieces go on screen: the figure's size in pixels and pixels per layout unit."""

    def __init__(self, layout: GraphLayout, show_grad: bool):
        width, height = (round(inches * PX_PER_INCH) for inches in layout.size)
        # the plot area of draw_graph's figure: 1% to 99% of the width, 1% to 92% of the height
        self.margin = {"top": round(0.08 * height), "bottom": round(0.01 * height),
                       "left": round(0.01 * width), "right": round(0.01 * width)}
        self.width, self.height = width, height
        x0, x1, y0, y1 = layout.limits
        self.px_per_x = (width - self.margin["left"] - self.margin["right"]) / (x1 - x0)
        self.px_per_y = (height - self.margin["top"] - self.margin["bottom"]) / (y1 - y0)
        points = box_font_points(layout.nodes, show_grad, self.px_per_x / PX_PER_POINT, self.px_per_y / PX_PER_POINT)
        self.font_px = points * PX_PER_POINT
        self.footnote_px = max(points, 7.0) * PX_PER_POINT

    def arrows(self, curves) -> tuple[np.ndarray, np.ndarray]:
        """Each curve as a line that stops where its arrowhead starts, and the arrowhead.

        Returns:
            lines: (E, CURVE_POINTS, 2); heads: (E, 4, 2) closed triangles (tip, two corners, tip).
        """
        px = np.array([self.px_per_x, self.px_per_y])  # (2,) a layout unit in pixels, across and up
        lines = np.stack([bezier_points(curve, np.linspace(0.0, 1.0, CURVE_POINTS)) for curve in curves])
        tips = lines[:, -1].copy()  # (E, 2)
        towards = (tips - np.array([curve[2] for curve in curves])) * px  # (E, 2) in pixels: the curve's end direction
        towards /= np.linalg.norm(towards, axis=1, keepdims=True)
        across = towards[:, ::-1] * np.array([-1.0, 1.0])  # (E, 2) perpendicular to it
        base = tips - towards * HEAD_LENGTH_PT * PX_PER_POINT / px  # (E, 2)
        side = across * HEAD_HALF_WIDTH_PT * PX_PER_POINT / px  # (E, 2)
        lines[:, -1] = base  # the line ends under the head, as matplotlib's arrows do
        return lines, np.stack([tips, base + side, base - side, tips], axis=1)

    def label_boxes(self, points, texts) -> np.ndarray:
        """The white boxes behind the edge labels: (E, 5, 2) closed rectangles, one per text."""
        font = 0.85 * self.font_px
        pad = 0.15 * font
        half_w = (np.array([0.62 * font * len(text) for text in texts]) / 2 + pad) / self.px_per_x  # (E,)
        half_h = (LINE_SPACING * font / 2 + pad) / self.px_per_y
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=np.float64)  # (5, 2)
        return (np.asarray(points, dtype=np.float64)[:, np.newaxis, :]
                + corners[np.newaxis] * np.stack([half_w, np.full_like(half_w, half_h)], axis=1)[:, np.newaxis, :])


class GraphView:
    """A computational graph drawn in the browser (bqplot), as draw_graph draws it. Chapter 02.

    `place(layout)` puts a graph's boxes, arrows and labels in place (a new graph); `restyle(look)`
    sends the texts, colours and title that differ from the last look (a slider change).

    Inputs:
        layout: the graph to draw first (graph_layout).
        show_grad: whether the boxes have a grad line; show_local: whether the arrows carry their
            local gradients (then with a white box behind each, and a footnote).
    Attributes:
        figure: the bqplot Figure (width x height CSS pixels from the layout's size).
        scales: dict "x", "y" -> LinearScale in layout units; their limits are the layout's.
        marks: dict name -> bqplot mark (N nodes, E edges; P points per box outline):
            "edges": Lines (E, CURVE_POINTS), colour per edge; "active_edges": Lines, the edges the
            current node's gradient flows along, thicker (visible only in step mode past step 0);
            "arrowheads": Lines (E, 4), filled triangles; "boxes": Lines (N, P), filled rounded boxes;
            "current_box": Lines (P,), the thick outline of the node being visited (visible only then);
            "headers", "data", "grads": Label (N,), the lines of every box's text at its centre;
            with show_local also "label_boxes": Lines (E, 5), "edge_labels": Label (E,) and
            "footnote": Label (1,).
        look: the GraphLook shown.
    """

    def __init__(self, layout: GraphLayout, *, show_grad: bool = True, show_local: bool = False):
        self.show_grad, self.show_local = show_grad, show_local
        self.look: GraphLook | None = None
        self._geometry: _Geometry | None = None
        self._box_lines: np.ndarray | None = None  # (N, P, 2) every box's outline
        self._edge_lines: np.ndarray | None = None  # (E, CURVE_POINTS, 2) every arrow's line
        self._label_points: np.ndarray | None = None  # (E, 2)
        self.scales = {"x": bq.LinearScale(min=0.0, max=1.0), "y": bq.LinearScale(min=0.0, max=1.0)}
        on = {"x": self.scales["x"], "y": self.scales["y"]}
        empty = {"x": np.zeros(2), "y": np.zeros(2), "scales": on}
        marks = {
            "edges": bq.Lines(**empty, stroke_width=PX_PER_POINT),
            "active_edges": bq.Lines(**empty, colors=[COLOURS["edge_active"]], visible=False),
            "arrowheads": bq.Lines(**empty, fill="inside", stroke_width=PX_PER_POINT),
            "boxes": bq.Lines(**empty, fill="inside", colors=[BOX_EDGE], stroke_width=PX_PER_POINT),
            "current_box": bq.Lines(**empty, colors=[BOX_EDGE], visible=False),
        }
        if show_local:
            marks["label_boxes"] = bq.Lines(**empty, fill="inside", colors=["white"], stroke_width=0.0)
            marks["edge_labels"] = bq.Label(**empty, text=np.array(["", ""]), colors=[COLOURS["local"]],
                                            align="middle", font_weight="normal")
        for line in ("headers", "data", "grads") if show_grad else ("headers", "data"):
            marks[line] = bq.Label(**empty, text=np.array(["", ""]), colors=[TEXT], align="middle",
                                   font_weight="normal")
        if show_local:
            marks["footnote"] = bq.Label(**empty, text=np.array(["", ""]), colors=[COLOURS["local"]],
                                         align="start", font_weight="normal")
        self.marks = marks
        first = _Geometry(layout, show_grad)
        self.figure = plots.diagram(list(marks.values()), "", first.width, first.height, first.margin)
        self.place(layout)

    def place(self, layout: GraphLayout) -> None:
        """Put `layout`'s boxes, arrows and label positions in place; the next restyle sends every text."""
        geometry = self._geometry = _Geometry(layout, self.show_grad)
        marks, figure = self.marks, self.figure
        x0, x1, y0, y1 = layout.limits
        centres = np.array([layout.positions[id(node)] for node in layout.nodes], dtype=np.float64)  # (N, 2)
        self._box_lines = centres[:, np.newaxis, :] + _box_outline()[np.newaxis]  # (N, P, 2)
        self._edge_lines, heads = geometry.arrows(layout.curves) if layout.curves else (np.zeros((0, 2, 2)),) * 2
        self._label_points = np.array(layout.label_points, dtype=np.float64).reshape(-1, 2)  # (E, 2)
        with figure.hold_sync(), self.scales["x"].hold_sync(), self.scales["y"].hold_sync():
            figure.layout.width, figure.layout.height = f"{geometry.width}px", f"{geometry.height}px"
            figure.fig_margin = geometry.margin
            self.scales["x"].min, self.scales["x"].max = x0, x1
            self.scales["y"].min, self.scales["y"].max = y0, y1
        _set_lines(marks["edges"], self._edge_lines)
        _set_lines(marks["arrowheads"], heads)
        _set_lines(marks["boxes"], self._box_lines)
        with marks["active_edges"].hold_sync(), marks["current_box"].hold_sync():
            marks["active_edges"].stroke_width = marks["current_box"].stroke_width = PX_PER_POINT
        line_names = [name for name in ("headers", "data", "grads") if name in marks]
        blank = np.full(len(centres), "")  # the texts come with the next restyle
        for k, name in enumerate(line_names):  # the lines of a box, centred on the box together
            offset = (k - (len(line_names) - 1) / 2) * LINE_SPACING * geometry.font_px
            _set_labels(marks[name], centres, default_size=geometry.font_px, y_offset=round(offset), text=blank)
        if self.show_local:
            _set_labels(marks["edge_labels"], self._label_points, default_size=0.85 * geometry.font_px,
                        text=np.full(len(self._label_points), ""))
            corner = [[x0, y0 + 0.6 * geometry.footnote_px / geometry.px_per_y]]  # the text's middle line
            _set_labels(marks["footnote"], np.array(corner), default_size=geometry.footnote_px,
                        text=np.array([_svg_text(layout.footnote)]))
        self.look = None

    def restyle(self, look: GraphLook) -> None:
        """Show `look` (aligned with the placed layout), sending only what differs from the last look."""
        last, marks = self.look, self.marks
        changed = (lambda name: True) if last is None else (lambda name: getattr(look, name) != getattr(last, name))
        if changed("texts"):
            lines = list(zip(*(text.split("\n") for text in look.texts), strict=True))  # one tuple per line of a box
            for name, texts in zip(("headers", "data", "grads"), lines, strict=False):
                new = np.array([_svg_text(text) for text in texts])
                if last is None or not np.array_equal(marks[name].text, new):
                    marks[name].text = new
        if changed("box_colours"):
            marks["boxes"].fill_colors = list(look.box_colours)
        if changed("current") or changed("box_widths"):
            self._show_current(look)
        if changed("edge_colours"):
            with marks["edges"].hold_sync(), marks["arrowheads"].hold_sync():
                marks["edges"].colors = list(look.edge_colours)
                marks["arrowheads"].colors = marks["arrowheads"].fill_colors = list(look.edge_colours)
        if changed("edge_widths"):
            self._show_active_edges(look)
        if self.show_local and changed("edge_texts"):
            self._show_edge_labels(look.edge_texts)
        if changed("title"):
            self.figure.title = look.title
        self.look = look

    def _show_current(self, look: GraphLook) -> None:
        mark = self.marks["current_box"]
        with mark.hold_sync():
            if look.current is not None:
                outline = self._box_lines[look.current]  # (P, 2)
                mark.x, mark.y = outline[:, 0], outline[:, 1]
                mark.stroke_width = look.box_widths[look.current] * PX_PER_POINT
            mark.visible = look.current is not None

    def _show_active_edges(self, look: GraphLook) -> None:
        """The edges wider than the others, drawn again over them at their width (one width: graph_look's)."""
        mark = self.marks["active_edges"]
        thin = min(look.edge_widths, default=1.0)
        thick = [e for e, width in enumerate(look.edge_widths) if width > thin]
        with mark.hold_sync():
            if thick:
                mark.x, mark.y = self._edge_lines[thick, :, 0], self._edge_lines[thick, :, 1]
                mark.colors = [look.edge_colours[e] for e in thick]
                mark.stroke_width = look.edge_widths[thick[0]] * PX_PER_POINT
            mark.visible = bool(thick)

    def _show_edge_labels(self, texts: list[str]) -> None:
        boxes = self._geometry.label_boxes(self._label_points, texts)  # (E, 5, 2)
        _set_lines(self.marks["label_boxes"], boxes, fill_colors=["white"] * len(texts),
                   fill_opacities=[0.9] * len(texts))
        self.marks["edge_labels"].text = np.array([_svg_text(text) for text in texts])


def _set_lines(mark: bq.Lines, lines: np.ndarray, **traits) -> None:
    """Give a Lines mark the lines (K, points, 2) (float64 x and y of shape (K, points)) in one message."""
    with mark.hold_sync():
        mark.x, mark.y = lines[..., 0], lines[..., 1]
        for name, value in traits.items():
            setattr(mark, name, value)
        mark.visible = len(lines) > 0


def _set_labels(mark: bq.Label, points: np.ndarray, **traits) -> None:
    """Put a Label mark's texts at points (K, 2), with its other traits, in one message."""
    with mark.hold_sync():
        mark.x, mark.y = points[:, 0], points[:, 1]
        for name, value in traits.items():
            setattr(mark, name, value)


# ---- the live-gradient dashboard ---------------------------------------------
class GraphDashboard(Dashboard):
    """One slider per input of `build`; the drawn graph shows data and gradients live. Chapter 02.

    Attributes (besides Dashboard's):
        build, show_local: the inputs.
        state: the latest graph_state.
        layout: the drawn graph's GraphLayout (drawn afresh when build returns another shape).
        look: the GraphLook shown (every box's text and colour; node.grad in the grad lines).
        marks, scales: GraphView's (see there): e.g. marks["data"].text and marks["grads"].text are
            the data and grad lines of the boxes, in layout.nodes order.
    """

    def __init__(self, build: Callable[..., Value] = neuron_expression, *,
                 show_local: bool = False, **initial):
        values = _initial_values(build, initial)
        self.build = build
        self.show_local = show_local
        self.state = graph_state(build, values)
        self.layout = graph_layout(self.state["root"], show_local=show_local)
        self.look: GraphLook | None = None
        self._view = GraphView(self.layout, show_local=show_local)
        self.marks, self.scales = self._view.marks, self._view.scales
        controls = {
            name: widgets.FloatSlider(value=v, min=INPUT_RANGE[0], max=INPUT_RANGE[1],
                                      step=INPUT_STEP, description=name, continuous_update=True)
            for name, v in values.items()
        }
        super().__init__(controls, self._view.figure)

    def _render(self, values: dict) -> str:
        try:
            state = graph_state(self.build, values)
        except ValueError as exc:  # e.g. log of a negative number: keep the last drawing
            return f"<span style='color:#c62828'>cannot evaluate: {html.escape(str(exc))}</span>"
        root = state["root"]
        if self.layout.matches(root):
            self.layout = self.layout.with_root(root)
        else:  # the graph changed shape (build branches on the numbers): draw it afresh
            self.layout = graph_layout(root, show_local=self.show_local)
            self._view.place(self.layout)
        layout = self.layout
        self.look = graph_look(layout.nodes, layout.edges, layout.edge_slots, show_local=self.show_local)
        self._view.restyle(self.look)
        self.state = state
        out = _name(root.label or "f")
        rows = "".join(
            f"<tr><td>{_name(label)}</td><td><code>{state['grads'][label]:.4f}</code></td></tr>"
            for label in state["inputs"]
        )
        return (f"<b>{out} = <code>{state['f']:.4f}</code></b>"
                f"<table><tr><th>input</th><th>d{out}/d(input)</th></tr>{rows}</table>")


def graph_dashboard(build: Callable[..., Value] = neuron_expression, **initial) -> GraphDashboard:
    """Sliders for every argument of `build`, and its graph with live gradients. Chapter 02.

    Inputs:
        build: a function of named real arguments returning a Value (default: one neuron).
        **initial: starting values by argument name (default: build's own defaults), each in
            [-4, 4]. show_local=True also labels arrows with local gradients.
    Returns:
        GraphDashboard (displays itself; .set(x0=...) moves sliders).
    """
    return GraphDashboard(build, **initial)


# ---- the backward stepper ----------------------------------------------------
def _stepper_html(state: dict, out: str) -> str:
    n = state["n"]
    if state["step"] == 0:
        return (f"<b>Step 0 of {n}</b>: nothing visited yet, every gradient is unknown (?). "
                f"Move the slider: backward starts at the output, where d{out}/d{out} = 1.")
    name = _name(state["name"])
    node = state["node"]
    head = f"<b>Step {state['step']} of {n}</b>: visiting <b>{name}</b>"
    if node.op:
        head += f" (operation <code>{html.escape(node.op)}</code>)"
    if not state["terms"]:
        body = f"It is the output: d{out}/d{out} = <code>1.0000</code> by definition."
    else:
        rows = "".join(
            f"<tr><td>from {_name(t['child'])}:</td>"
            f"<td>d({_name(t['child'])})/d({name}) = <code>{t['local']:.4f}</code></td>"
            f"<td>&times; d{out}/d({_name(t['child'])}) = <code>{t['child_upstream']:.4f}</code>"
            f"</td><td>= <code>{t['product']:.4f}</code></td></tr>"
            for t in state["terms"]
        )
        body = (f"local gradient &times; upstream gradient, summed over the nodes it feeds:"
                f"<table>{rows}</table>"
                f"d{out}/d({name}) = <b><code>{state['upstream']:.4f}</code></b>")
    if node.parents:
        parents = ", ".join(_name(node_name(p)) for p in node.parents)
        body += f"<br>Next, this gradient flows to its inputs {parents} (orange arrows)."
    return f"{head}<br>{body}"


class BackwardStepper(Dashboard):
    """An integer slider "step" that replays backward() one node at a time. Chapter 02.

    Attributes (besides Dashboard's):
        root: the graph (inputs fixed); trace: backward_trace(root), the visiting order.
        layout: its GraphLayout; look: the GraphLook of the step shown (graph_look with step).
        marks, scales: GraphView's (see there): e.g. marks["grads"].text (the grad lines, "grad ?"
            until visited), marks["boxes"].fill_colors, marks["current_box"] (the visited node's thick
            outline), marks["active_edges"] (orange: where its gradient flows next).
    """

    def __init__(self, build: Callable[..., Value] = neuron_expression, *,
                 show_local: bool = True, **initial):
        values = _initial_values(build, initial)
        self.root = _build_root(build, values)
        self.trace = backward_trace(self.root)
        self.show_local = show_local
        self.layout = graph_layout(self.root, show_local=show_local)
        self.look: GraphLook | None = None
        self._view = GraphView(self.layout, show_local=show_local)
        self.marks, self.scales = self._view.marks, self._view.scales
        controls = {"step": widgets.IntSlider(value=0, min=0, max=len(self.trace), step=1, description="step",
                                              continuous_update=True)}
        super().__init__(controls, self._view.figure)

    def _render(self, values: dict) -> str:
        step = int(values["step"])
        layout = self.layout
        self.look = graph_look(layout.nodes, layout.edges, layout.edge_slots, step=step,
                               show_local=self.show_local, trace=self.trace)
        self._view.restyle(self.look)
        return _stepper_html(stepper_state(self.root, step), _name(self.root.label or "f"))


def backward_stepper(build: Callable[..., Value] = neuron_expression, **initial) -> BackwardStepper:
    """Step through the backward pass of `build`'s graph node by node. Chapter 02.

    Inputs:
        build: a function of named real arguments returning a Value (default: one neuron).
        **initial: the inputs' values by argument name (default: build's defaults), in [-4, 4].
            show_local=False hides the local gradients on the arrows.
    Returns:
        BackwardStepper (displays itself; .set(step=k) shows step k).
    """
    return BackwardStepper(build, **initial)
