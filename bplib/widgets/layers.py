"""Dashboard: a 2-2-2 sigmoid network with every gradient on its diagram, live (chapter 04).

One slider per weight (8 in all). Each change runs the forward pass and the four equations of
backprop (`network_state`) and rewrites the figure in place:
  - left: the network; each box shows a unit's z, a and delta, each edge its weight and dL/dW,
    coloured by the gradient's sign and as wide as its size (relative to the largest);
  - right: bars of the two outputs against their targets, and a bar of the loss.
The readout gives the loss, the outputs, and the gradient of the weight that was moved last,
written as the product of equation BP4: dL/dW[i, j] = (input of the edge) * (delta at its end).

The diagram is described once: where its pieces sit (`diagram_layout`) and its texts, edge colours
and widths (`diagram_labels`). The chapter prints it with matplotlib (`draw_network`); the dashboard
draws the same description in the browser (bqplot, bplib.widgets._plots), so a slider change costs
the kernel the maths and a few small messages, never a rendered image.

Row convention as in bplib.layers: z = x @ W + b, one example per row, W: (inputs, outputs).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import bqplot as bq
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from bplib._validate import as_float_array, check_shape
from bplib.layers import _dense_backward, _dense_forward, _sigmoid_backward, _sigmoid_forward
from bplib.losses import _squared_error_backward, _squared_error_forward
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard

__all__ = [
    "COLOURS",
    "EXAMPLE_X",
    "EXAMPLE_Y",
    "MAX_EDGE_WIDTH",
    "MIN_EDGE_WIDTH",
    "NetworkDashboard",
    "NetworkDrawing",
    "WEIGHT_NAMES",
    "WEIGHT_RANGE",
    "diagram_labels",
    "diagram_layout",
    "draw_network",
    "example_params",
    "network_dashboard",
    "network_state",
    "update_network",
    "weight_label",
]

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# One control per weight: "W1_01" is W1[0, 1], the weight from input 0 to hidden unit 1.
WEIGHT_NAMES = tuple(f"W{layer}_{i}{j}" for layer in (1, 2) for i in (0, 1) for j in (0, 1))
WEIGHT_RANGE = (-3.0, 3.0)
WEIGHT_STEP = 0.01

# The chapter's worked example: a widely used textbook 2-2-2 network (one example, two targets).
EXAMPLE_X = np.array([[0.05, 0.10]])  # (1, 2)
EXAMPLE_Y = np.array([[0.01, 0.99]])  # (1, 2)
_EXAMPLE_PARAMS = {
    "W1": np.array([[0.15, 0.25], [0.20, 0.30]]),  # (D, H): column j feeds hidden unit j
    "b1": np.array([0.35, 0.35]),
    "W2": np.array([[0.40, 0.50], [0.45, 0.55]]),  # (H, K): column k feeds output k
    "b2": np.array([0.60, 0.60]),
}

COLOURS = {
    "positive": "#c62828",  # dL/dW > 0: gradient descent lowers this weight
    "negative": "#1565c0",  # dL/dW < 0: gradient descent raises it
    "zero": "#9e9e9e",
    "selected": "#ef6c00",  # the frame of the moved weight's label
    "label_frame": "#bdbdbd",
    "unit_frame": "#555555",
    "note": "#424242",  # the diagram's note and the loss at the start
    "input": "#dbe9f6",
    "hidden": "#fdf1d6",
    "output": "#dff0d8",
    "bar": "#5c6bc0",
    "loss": "#6d4c41",
    "target": "#2e7d32",
}
MIN_EDGE_WIDTH = 0.8  # points; an edge never disappears, even with a zero gradient
MAX_EDGE_WIDTH = 6.0  # the edge with the largest |dL/dW|


def example_params() -> dict[str, np.ndarray]:
    """Fresh copies of the chapter's example parameters W1, b1, W2, b2. Chapter 04.

    Returns:
        dict with W1: (2, 2), b1: (2,), W2: (2, 2), b2: (2,); safe to modify.
    """
    return {name: value.copy() for name, value in _EXAMPLE_PARAMS.items()}


def weight_label(name: str) -> str:
    """ "W1_01" -> "W1[0,1]", how the drawing and the readout name a weight. Chapter 04."""
    if name not in WEIGHT_NAMES:
        raise ValueError(f"name: expected one of {list(WEIGHT_NAMES)}, got {name!r}")
    return f"{name[:2]}[{name[3]},{name[4]}]"


def _weight_index(name: str) -> tuple[str, int, int]:
    """ "W2_10" -> ("W2", 1, 0)."""
    return name[:2], int(name[3]), int(name[4])


# ---- the maths -------------------------------------------------------------------


def _check_params(params) -> dict[str, np.ndarray]:
    if not isinstance(params, Mapping):
        raise ValueError(f"params: expected a dict with keys {list(PARAM_NAMES)}, got {type(params).__name__}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params: expected keys {list(PARAM_NAMES)}, missing {missing}")
    arrays = {name: as_float_array(params[name], name) for name in PARAM_NAMES}
    W1, W2 = arrays["W1"], arrays["W2"]
    if W1.ndim != 2 or W2.ndim != 2:
        raise ValueError(f"W1, W2: expected 2-d weight matrices (D, H) and (H, K), got shapes {W1.shape}, {W2.shape}")
    D, H = W1.shape
    if W2.shape[0] != H:
        raise ValueError(f"W2: expected shape (H, K) = ({H}, K) to follow W1 of shape {W1.shape}, got {W2.shape}")
    check_shape(arrays["b1"], (H,), "b1")
    check_shape(arrays["b2"], (W2.shape[1],), "b2")
    return arrays


def network_state(params, x, y) -> dict:
    """Forward pass, squared-error loss and the four equations of backprop, for a 2-layer sigmoid net. Chapter 04.

    The network: z1 = x W1 + b1, a1 = sigma(z1), z2 = a1 W2 + b2, a2 = sigma(z2) (the output),
    L = (1 / (2N)) * sum((a2 - y)**2), computed by bplib.layers' and bplib.losses' forward/backward
    pairs (their plain arithmetic, on the arrays checked here).

    Inputs:
        params: dict with W1: (D, H), b1: (H,), W2: (H, K), b2: (K,).
        x: (N, D) inputs, one example per row.
        y: (N, K) targets.
    Returns:
        dict with
            z1, a1: (N, H) hidden pre-activations and activations;
            z2, a2: (N, K) output pre-activations and activations (the prediction);
            loss: a float;
            dL_da2: (N, K) = (a2 - y) / N, the gradient arriving at the output;
            delta2: (N, K) = dL_da2 * sigma'(z2)                      (BP1);
            delta1: (N, H) = (delta2 @ W2.T) * sigma'(z1)             (BP2);
            grads: dict W1: (D, H) = x.T @ delta1, b1: (H,) = delta1 summed over the batch,
                   W2: (H, K) = a1.T @ delta2, b2: (K,) = delta2 summed  (BP4, BP3).
    """
    p = _check_params(params)
    x = as_float_array(x, "x")
    y = as_float_array(y, "y")
    D, H = p["W1"].shape
    K = p["W2"].shape[1]
    if x.ndim != 2 or x.shape[1] != D or x.shape[0] == 0:
        raise ValueError(f"x: expected shape (N, D) = (N, {D}) with N >= 1, one example per row, got shape {x.shape}")
    check_shape(y, (x.shape[0], K), "y")
    z1, dense1 = _dense_forward(x, p["W1"], p["b1"])  # (N, D) @ (D, H) + (H,) -> (N, H)
    a1, sigmoid1 = _sigmoid_forward(z1)
    z2, dense2 = _dense_forward(a1, p["W2"], p["b2"])  # (N, H) @ (H, K) + (K,) -> (N, K)
    a2, sigmoid2 = _sigmoid_forward(z2)
    loss, loss_cache = _squared_error_forward(a2, y)
    dL_da2 = _squared_error_backward(1.0, loss_cache)  # (a2 - y) / N: each row carries the mean's 1/N
    delta2 = _sigmoid_backward(dL_da2, sigmoid2)  # BP1; sigma'(z2) = a2 (1 - a2)
    dL_da1, dW2, db2 = _dense_backward(delta2, dense2)  # delta2 @ W2.T; BP4, BP3
    delta1 = _sigmoid_backward(dL_da1, sigmoid1)  # BP2: (N, H)
    _, dW1, db1 = _dense_backward(delta1, dense1)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}  # (D, H), (H,), (H, K), (K,)
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": loss, "dL_da2": dL_da2,
            "delta1": delta1, "delta2": delta2, "grads": grads}


# ---- the diagram's layout: computed once here, drawn by matplotlib (draw_network) and bqplot (the dashboard)

COLUMN_X = (0.0, 1.75, 3.5)  # inputs, hidden units, outputs
ROW_Y = (1.0, 0.0)  # unit 0 on top
DIAGRAM_XLIM = (COLUMN_X[0] - 0.5, COLUMN_X[2] + 0.5)
DIAGRAM_YLIM = (-0.45, 1.4)
# Where along an edge its label sits: the two crossing edges cross half-way, so their labels
# go nearer the start, where they are far apart; the straight edges keep theirs in the middle.
LABEL_T = {"straight": 0.5, "crossing": 0.3}
FRAME_WIDTHS = {"selected": 2.0, "plain": 0.8}  # points: the frame of an edge's label
DIAGRAM_NOTE = ("edge colour: red dL/dW > 0 (descent lowers the weight), blue < 0 (raises it); "
                "width ~ |dL/dW| relative to the largest shown")
_UNITS = (("x", "input", 0), ("h", "hidden", 1), ("o", "output", 2))  # key prefix, kind, column


def _fmt(value: float) -> str:
    """4 decimals, or 3 significant digits in scientific notation for small numbers."""
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4f}"


def _fmt_signed(value: float) -> str:
    if value != 0 and abs(value) < 1e-3:
        return f"{value:+.2e}"
    return f"{value:+.4f}"


def _drawable(state: dict, params, x) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """params and x as arrays, or a ValueError unless they and state describe one example of a 2-2-2 net."""
    p = _check_params(params)
    x = as_float_array(x, "x")
    shapes = (p["W1"].shape, p["W2"].shape, x.shape, state["a1"].shape, state["a2"].shape)
    if shapes != ((2, 2), (2, 2), (1, 2), (1, 2), (1, 2)):
        raise ValueError(
            "expected one example of a 2-2-2 network (W1, W2 of shape (2, 2); x, a1, a2 of shape (1, 2)), "
            f"got W1 {shapes[0]}, W2 {shapes[1]}, x {shapes[2]}, a1 {shapes[3]}, a2 {shapes[4]}"
        )
    return p, x


def _edge_ends(name: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """From the centre of the unit the weight reads to the centre of the unit it feeds (boxes cover the ends)."""
    layer, i, j = _weight_index(name)
    column = int(layer[1])
    return (COLUMN_X[column - 1], ROW_Y[i]), (COLUMN_X[column], ROW_Y[j])


def _label_centre(name: str) -> tuple[float, float]:
    (x0, y0), (x1, y1) = _edge_ends(name)
    _, i, j = _weight_index(name)
    t = LABEL_T["straight" if i == j else "crossing"]
    return x0 + t * (x1 - x0), y0 + t * (y1 - y0)


def diagram_layout() -> dict:
    """Where the pieces of the 2-2-2 diagram sit, in diagram coordinates (x right, y up). Chapter 04.

    Returns:
        dict with
            units: key ("x0", "x1", "h0", "h1", "o0", "o1") -> (kind "input" / "hidden" / "output",
                (x, y) the centre of its box);
            edges: weight name ("W1_00", ...) -> ((x0, y0), (x1, y1)), from the centre of the unit the
                weight reads to the centre of the unit it feeds (the boxes cover the ends);
            labels: weight name -> (x, y), the centre of the edge's label;
            xlim, ylim: (low, high), the diagram's extent.
    """
    units = {f"{key}{index}": (kind, (COLUMN_X[column], ROW_Y[index]))
             for key, kind, column in _UNITS for index in (0, 1)}
    return {"units": units, "edges": {name: _edge_ends(name) for name in WEIGHT_NAMES},
            "labels": {name: _label_centre(name) for name in WEIGHT_NAMES},
            "xlim": DIAGRAM_XLIM, "ylim": DIAGRAM_YLIM}


def _unit_lines(kind: str, index: int, state: dict, x: np.ndarray) -> tuple[str, ...]:
    if kind == "input":
        return (f"input {index}", f"x {_fmt(x[0, index])}")
    layer = "1" if kind == "hidden" else "2"
    z, a, delta = (state[name + layer][0, index] for name in ("z", "a", "delta"))
    return (f"{kind} {index}", f"z{layer} {_fmt(z)}", f"a{layer} {_fmt(a)}", f"δ{layer} {_fmt_signed(delta)}")


def _edge_lines(name: str, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> tuple[str, str]:
    layer, i, j = _weight_index(name)
    return (f"{weight_label(name)} = {params[layer][i, j]:.2f}", f"grad {_fmt_signed(grads[layer][i, j])}")


def diagram_labels(state: dict, params, x) -> dict:
    """The diagram's texts, and its edges' colours and widths, for one state of a 2-2-2 network. Chapter 04.

    Inputs:
        state: network_state(params, x, y) for one example of a 2-2-2 network.
        params: the dict it was computed from (W1: (2, 2), ...), for the weights on the edges.
        x: (1, 2) the example.
    Returns:
        dict with
            units: unit key ("x0", ...) -> its lines of text, e.g. ("hidden 0", "z1 0.3775", "a1 0.5933",
                "δ1 +0.0088"); an input's are ("input 0", "x 0.0500");
            edges: weight name -> its two lines, e.g. ("W1[0,0] = 0.15", "grad +4.39e-04");
            colours: weight name -> COLOURS "positive" / "negative" / "zero", by the sign of dL/dW;
            widths: weight name -> line width in points, MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH)
                * |dL/dW| / (the largest |dL/dW|).
    """
    params, x = _drawable(state, params, x)
    grads = state["grads"]
    gradient = {name: float(grads[layer][i, j]) for name, layer, i, j in
                ((name, *_weight_index(name)) for name in WEIGHT_NAMES)}
    largest = max(abs(g) for g in gradient.values())
    return {
        "units": {f"{key}{index}": _unit_lines(kind, index, state, x) for key, kind, _ in _UNITS for index in (0, 1)},
        "edges": {name: _edge_lines(name, params, grads) for name in WEIGHT_NAMES},
        "colours": {name: COLOURS["positive"] if g > 0 else COLOURS["negative"] if g < 0 else COLOURS["zero"]
                    for name, g in gradient.items()},
        "widths": {name: MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * (abs(g) / largest if largest > 0 else 0.0)
                   for name, g in gradient.items()},
    }


# ---- the static drawing (matplotlib), printed by the chapter ------------------------------------------


@dataclass(eq=False)
class NetworkDrawing:
    """The artists of a drawn 2-2-2 network, kept so they can be updated in place. Chapter 04.

    Attributes:
        ax: the Axes drawn into.
        node_texts: dict "x0", "x1", "h0", "h1", "o0", "o1" -> Text (the box and its numbers).
        edge_lines: dict weight name ("W1_00", ...) -> Line2D.
        edge_texts: dict weight name -> Text: the weight and its gradient.
        selected: the weight name whose label is framed, or None.
    """

    ax: Axes
    node_texts: dict[str, Text]
    edge_lines: dict[str, Line2D]
    edge_texts: dict[str, Text]
    selected: str | None = None

    def __repr__(self) -> str:
        return f"<NetworkDrawing: 6 units, 8 weights, selected={self.selected}>"


def draw_network(state: dict, params, x, ax: Axes | None = None, selected: str | None = None) -> NetworkDrawing:
    """Draw the 2-2-2 network with its numbers: units' z, a, delta; edges' weight and dL/dW. Chapter 04.

    The layout is diagram_layout(), the numbers and edge styles diagram_labels(): the same as the dashboard's.

    Inputs:
        state: network_state(params, x, y) for one example of a 2-2-2 network.
        params: the dict it was computed from (W1: (2, 2), ...), for the weights on the edges.
        x: (1, 2) the example.
        ax: Axes to draw into; a new figure when None.
        selected: a weight name ("W1_00", ...) whose label gets an orange frame, or None.
    Returns:
        NetworkDrawing; update_network(drawing, ...) rewrites it in place.
    """
    _drawable(state, params, x)
    layout = diagram_layout()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.2, 3.6))
    ax.set_xlim(*layout["xlim"])
    ax.set_ylim(*layout["ylim"])
    ax.set_axis_off()
    node_texts = {
        key: ax.text(cx, cy, "", ha="center", va="center", family="monospace", fontsize=8, zorder=3,
                     bbox={"boxstyle": "round,pad=0.4", "facecolor": COLOURS[kind], "edgecolor": COLOURS["unit_frame"]})
        for key, (kind, (cx, cy)) in layout["units"].items()
    }
    edge_lines, edge_texts = {}, {}
    for name, ((x0, y0), (x1, y1)) in layout["edges"].items():
        (edge_lines[name],) = ax.plot([x0, x1], [y0, y1], color=COLOURS["zero"], lw=MIN_EDGE_WIDTH,
                                      solid_capstyle="round", zorder=1)
        edge_texts[name] = ax.text(
            *layout["labels"][name], "", ha="center", va="center", fontsize=7.5, family="monospace", zorder=2,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": COLOURS["label_frame"]},
        )
    ax.text(0.5, 0.0, DIAGRAM_NOTE, transform=ax.transAxes, ha="center", va="bottom", fontsize=7.5,
            color=COLOURS["note"])
    drawing = NetworkDrawing(ax, node_texts, edge_lines, edge_texts)
    update_network(drawing, state, params, x, selected=selected)
    return drawing


def _check_selected(selected: str | None) -> None:
    if selected is not None and selected not in WEIGHT_NAMES:
        raise ValueError(f"selected: expected one of {list(WEIGHT_NAMES)} or None, got {selected!r}")


def update_network(drawing: NetworkDrawing, state: dict, params, x, selected: str | None = None) -> None:
    """Rewrite a NetworkDrawing's texts, edge colours and widths in place. Chapter 04.

    Inputs:
        drawing: from draw_network.
        state, params, x: as for draw_network (a new state after a weight changed).
        selected: the weight name to frame, or None.
    """
    labels = diagram_labels(state, params, x)
    _check_selected(selected)
    for key, lines in labels["units"].items():
        drawing.node_texts[key].set_text("\n".join(lines))
    for name in WEIGHT_NAMES:
        colour = labels["colours"][name]
        line = drawing.edge_lines[name]
        line.set_color(colour)
        line.set_linewidth(labels["widths"][name])
        text = drawing.edge_texts[name]
        text.set_text("\n".join(labels["edges"][name]))
        text.set_color(colour)
        frame = text.get_bbox_patch()
        frame.set_edgecolor(COLOURS["selected"] if name == selected else COLOURS["label_frame"])
        frame.set_linewidth(FRAME_WIDTHS["selected" if name == selected else "plain"])
    drawing.selected = selected


# ---- the dashboard (drawn in the browser: bqplot) ----------------------------------------------------

PX_PER_POINT = 96 / 72  # CSS pixels per point: the diagram's widths are in points, bqplot's in pixels
DIAGRAM_SIZE = (660, 420)  # the diagram panel, CSS pixels
_DIAGRAM_MARGIN = {"top": 28, "bottom": 6, "left": 6, "right": 6}
BAR_PANEL_SIZE = (300, 195)  # each of the two bar panels
FONT_PX = {"unit": 11.0, "edge": 10.5, "value": 11.0}
LINE_PX = 13.5  # the distance between two lines of a box's text
# Box widths in pixels: the widest text a slider can produce, in DejaVu Sans (wider than most sans
# fonts), plus padding: "δ1 -1.00e-04" (74 px at 11 px), "x 0.0500" (47), "W1[0,0] = -3.00" (84 at 10.5).
BOX_WIDTH_PX = {"input": 62.0, "hidden": 88.0, "output": 88.0, "edge": 96.0}
BOX_PAD_PX = {"unit": 6.0, "edge": 3.0}  # above the first line and below the last
BAR_HALF_WIDTH = {"output": 0.3, "loss": 0.25}  # bar widths 0.6 and 0.5 in axis units, as in the chapter's figures
OUTPUT_LIMITS = (-0.05, 1.15)  # below 0, so a target of 0.01 does not hide in the axis line
LOSS_HEADROOM = 1.12  # the loss axis reaches this times the largest loss the targets allow
VALUE_OFFSET_PX = -9  # a bar's value stands this far above its top (up is negative in the browser)


def _max_loss(y: np.ndarray) -> float:
    """The largest squared-error loss a sigmoid output (in (0, 1)) can have for targets y: (1, K)."""
    worst = np.maximum(y, 1.0 - y)  # the farthest a prediction in [0, 1] can be from each target
    return 0.5 * float(np.sum(worst * worst))


def _data_per_px() -> tuple[float, float]:
    """How many diagram units one CSS pixel spans, across and up (fixed: the panel is never re-laid out)."""
    width = DIAGRAM_SIZE[0] - _DIAGRAM_MARGIN["left"] - _DIAGRAM_MARGIN["right"]
    height = DIAGRAM_SIZE[1] - _DIAGRAM_MARGIN["top"] - _DIAGRAM_MARGIN["bottom"]
    return (DIAGRAM_XLIM[1] - DIAGRAM_XLIM[0]) / width, (DIAGRAM_YLIM[1] - DIAGRAM_YLIM[0]) / height


def _rectangles(centres, half_sizes) -> tuple[np.ndarray, np.ndarray]:
    """Closed outlines of axis-parallel rectangles, for a (filled) bqplot Lines mark.

    Inputs:
        centres: (n, 2) the rectangles' centres; half_sizes: (n, 2) their half widths and half heights.
    Returns:
        x, y: (n, 5) each, the corners from the bottom left, anticlockwise, back to the first.
    """
    corners = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0]])  # (5, 2)
    centres, half_sizes = np.asarray(centres, dtype=np.float64), np.asarray(half_sizes, dtype=np.float64)
    points = centres[:, None, :] + corners * half_sizes[:, None, :]  # (n, 5, 2)
    return points[..., 0], points[..., 1]  # (n, 5) each


def _line_heights(centre_y: float, count: int, step: float) -> list[float]:
    """The y of each of `count` lines of text centred on centre_y, top line first, `step` apart."""
    return [centre_y + ((count - 1) / 2 - k) * step for k in range(count)]


def _labels_at(points: list[tuple[float, float]], scales: dict, colour: str, size: float) -> bq.Label:
    """An empty bqplot Label per point (x, y), centred on it; the texts come with the first update."""
    at = np.array(points, dtype=np.float64)  # (n, 2)
    return bq.Label(x=at[:, 0], y=at[:, 1], text=[""] * len(at), scales=scales, colors=[colour], align="middle",
                    default_size=size, font_weight="normal")


def _set_changed(mark, **traits) -> None:
    """Set the traits of `mark` whose values changed, all in one message (none if nothing changed)."""
    changed = {name: value for name, value in traits.items()
               if not np.array_equal(np.asarray(getattr(mark, name)), np.asarray(value))}
    if changed:
        with mark.hold_sync():
            for name, value in changed.items():
                setattr(mark, name, value)


def _readout_html(state: dict, params: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                  selected: str) -> str:
    a2 = state["a2"][0]
    layer, i, j = _weight_index(selected)
    label = html.escape(weight_label(selected))
    g = float(state["grads"][layer][i, j])
    source = f"x[{i}]" if layer == "W1" else f"a1[{i}]"
    source_value = x[0, i] if layer == "W1" else state["a1"][0, i]
    delta = f"δ{layer[1]}[{j}]"
    delta_value = state["delta" + layer[1]][0, j]
    if g > 0:
        direction = "the loss rises as this weight grows, so gradient descent lowers it"
    elif g < 0:
        direction = "the loss falls as this weight grows, so gradient descent raises it"
    else:
        direction = "the loss does not change with this weight here"
    return (
        f"<b>loss L = <code>{state['loss']:.4f}</code></b> &nbsp; outputs a2 = "
        f"(<code>{a2[0]:.4f}</code>, <code>{a2[1]:.4f}</code>), targets y = "
        f"(<code>{y[0, 0]:.4f}</code>, <code>{y[0, 1]:.4f}</code>)<br>"
        f"moved: <b>{label} = <code>{params[layer][i, j]:.2f}</code></b>; "
        f"dL/d{label} = {source} &times; {delta} = <code>{_fmt(source_value)}</code> &times; "
        f"<code>{_fmt_signed(delta_value)}</code> = <b><code>{_fmt_signed(g)}</code></b><br>"
        f"{direction}."
    )


def _as_example(value, name: str) -> np.ndarray:
    arr = as_float_array(value, name)
    if arr.shape == (2,):
        arr = arr.reshape(1, 2)
    check_shape(arr, (1, 2), f"{name} (one example of the 2-2-2 network)")
    return arr


class NetworkDashboard(Dashboard):
    """A slider per weight of a 2-2-2 sigmoid network; the diagram, outputs and loss follow. Chapter 04.

    The figure is drawn in the browser (bqplot): the diagram's layout, texts, edge colours and widths
    are diagram_layout() and diagram_labels(), as in draw_network; a slider change sends the texts
    and the edges' colours and widths that changed, and the bars' heights.

    Attributes (besides Dashboard's):
        x, y: (1, 2) the example and its targets; biases: dict b1, b2 (fixed).
        state: the latest network_state; params: the parameters it was computed from.
        selected: the weight moved last (its gradient is in the readout, its label framed).
        marks: dict name -> bqplot mark:
            "edge W1_00" .. "edge W2_11": Lines, x, y: (2,), an edge; its colour (colors: [c]) and
                stroke_width (pixels: points * PX_PER_POINT, to 0.1 px) follow dL/dW;
            "unit_boxes": Lines, x, y: (6, 5), the units' filled boxes (order of diagram_layout()["units"]);
            "label_boxes": Lines, x, y: (8, 5), a white box behind each edge's label (order of WEIGHT_NAMES);
            "selected_frame": Lines, x, y: (5,), the orange frame around the moved weight's label;
            "unit_texts": Label, text: (20,), one label per line of the units' texts, units in layout order;
            "edge_texts": Label, text: (16,), two labels per edge (weight, gradient), colors: (16,) the edge's;
            "output_bars": Lines, x, y: (2, 5), the outputs a2 as filled bars;
            "targets": Lines, x, y: (2, 2), the targets y (dashed);
            "output_values": Label, text: (2,), a2 above the bars;
            "loss_bar": Lines, x, y: (5,), the loss L as a filled bar;
            "start_loss": Lines, x, y: (2,), the loss at the start (dotted);
            "loss_value": Label, text: (1,), L above its bar.
        scales: dict name -> LinearScale: "diagram_x", "diagram_y" (DIAGRAM_XLIM, DIAGRAM_YLIM),
            "outputs" (OUTPUT_LIMITS), "loss" (0 .. LOSS_HEADROOM * the largest loss the targets allow).
            No limit follows the sliders: every number drawn stays inside these.
    """

    def __init__(self, params=None, x=None, y=None, selected: str = WEIGHT_NAMES[0]):
        p = _check_params(example_params() if params is None else params)
        if p["W1"].shape != (2, 2) or p["W2"].shape != (2, 2):
            raise ValueError(f"params: expected a 2-2-2 network, W1 and W2 of shape (2, 2), "
                             f"got {p['W1'].shape} and {p['W2'].shape}")
        self.x = _as_example(EXAMPLE_X if x is None else x, "x")
        self.y = _as_example(EXAMPLE_Y if y is None else y, "y")
        self.biases = {"b1": p["b1"].copy(), "b2": p["b2"].copy()}
        if selected not in WEIGHT_NAMES:
            raise ValueError(f"selected: expected one of {list(WEIGHT_NAMES)}, got {selected!r}")
        self.selected = selected
        initial = {}
        for name in WEIGHT_NAMES:
            layer, i, j = _weight_index(name)
            value = float(p[layer][i, j])
            if not WEIGHT_RANGE[0] <= value <= WEIGHT_RANGE[1]:
                raise ValueError(f"{layer}[{i}, {j}]: expected a weight in {list(WEIGHT_RANGE)}, got {value}")
            initial[name] = value
        self.params = self._params_from(initial)
        self.state = network_state(self.params, self.x, self.y)
        self.marks, self.scales = {}, {}
        controls = {
            name: widgets.FloatSlider(value=value, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=WEIGHT_STEP,
                                      description=weight_label(name), continuous_update=True)
            for name, value in initial.items()
        }
        note = widgets.HTML(f"<div style='font-size:12px;color:{COLOURS['note']};text-align:center'>"
                            f"{html.escape(DIAGRAM_NOTE)}</div>")
        figure = plots.panels(
            [self._make_diagram(), note],
            [plots.legend([("target y", COLOURS["target"], "dashed")]), self._make_outputs(),
             plots.legend([("at the start", COLOURS["note"], "dotted")]), self._make_loss()])
        super().__init__(controls, figure)

    def _params_from(self, values: Mapping[str, float]) -> dict[str, np.ndarray]:
        params = {"W1": np.zeros((2, 2)), "W2": np.zeros((2, 2)), **{k: v.copy() for k, v in self.biases.items()}}
        for name in WEIGHT_NAMES:
            layer, i, j = _weight_index(name)
            params[layer][i, j] = values[name]
        return params

    # ---- building the figure (once) ----------------------------------------------------------------

    def _make_diagram(self) -> bq.Figure:
        """The diagram panel: edges, then the boxes that cover their ends, then the texts (drawn in this order)."""
        self.scales["diagram_x"] = bq.LinearScale(min=DIAGRAM_XLIM[0], max=DIAGRAM_XLIM[1])
        self.scales["diagram_y"] = bq.LinearScale(min=DIAGRAM_YLIM[0], max=DIAGRAM_YLIM[1])
        on = {"x": self.scales["diagram_x"], "y": self.scales["diagram_y"]}
        layout = diagram_layout()
        texts = diagram_labels(self.state, self.params, self.x)["units"]
        line_counts = {key: len(lines) for key, lines in texts.items()}  # 2 for an input, 4 for the others
        marks = self.marks
        for name, ((x0, y0), (x1, y1)) in layout["edges"].items():
            marks[f"edge {name}"] = bq.Lines(x=np.array([x0, x1]), y=np.array([y0, y1]), scales=on,
                                             colors=[COLOURS["zero"]], stroke_width=MIN_EDGE_WIDTH * PX_PER_POINT)
        self._make_label_boxes(layout, on)
        self._make_unit_boxes(layout, line_counts, on)
        step = LINE_PX * _data_per_px()[1]
        edge_at = [(cx, line_y) for cx, cy in layout["labels"].values() for line_y in _line_heights(cy, 2, step)]
        unit_at = [(cx, line_y) for key, (_, (cx, cy)) in layout["units"].items()
                   for line_y in _line_heights(cy, line_counts[key], step)]
        marks["edge_texts"] = _labels_at(edge_at, on, COLOURS["zero"], FONT_PX["edge"])
        marks["unit_texts"] = _labels_at(unit_at, on, "black", FONT_PX["unit"])
        order = [*(f"edge {name}" for name in WEIGHT_NAMES), "label_boxes", "selected_frame", "unit_boxes",
                 "edge_texts", "unit_texts"]
        figure = plots.figure([marks[name] for name in order], [],
                              title="the network: weight and dL/dW on each edge; z, a, δ in each unit",
                              width=DIAGRAM_SIZE[0], height=DIAGRAM_SIZE[1])
        figure.fig_margin = dict(_DIAGRAM_MARGIN)  # no axes: the diagram takes the whole panel
        return figure

    def _make_label_boxes(self, layout: dict, on: dict) -> None:
        """A white box behind each edge's label, and the frame that marks the moved weight's."""
        dx, dy = _data_per_px()
        half = (BOX_WIDTH_PX["edge"] / 2 * dx, (LINE_PX + BOX_PAD_PX["edge"]) * dy)  # two lines of text
        box_x, box_y = _rectangles(list(layout["labels"].values()), [half] * len(WEIGHT_NAMES))  # (8, 5) each
        self._label_outlines = {name: (box_x[k], box_y[k]) for k, name in enumerate(WEIGHT_NAMES)}
        self.marks["label_boxes"] = bq.Lines(
            x=box_x, y=box_y, scales=on, fill="inside", close_path=True, colors=[COLOURS["label_frame"]] * 8,
            fill_colors=["white"] * 8, stroke_width=FRAME_WIDTHS["plain"] * PX_PER_POINT)
        frame_x, frame_y = self._label_outlines[self.selected]
        self.marks["selected_frame"] = bq.Lines(x=frame_x, y=frame_y, scales=on, colors=[COLOURS["selected"]],
                                                stroke_width=FRAME_WIDTHS["selected"] * PX_PER_POINT)

    def _make_unit_boxes(self, layout: dict, line_counts: dict, on: dict) -> None:
        """The units' boxes, filled by kind, each as high as its lines of text."""
        dx, dy = _data_per_px()
        units = layout["units"]
        halves = [(BOX_WIDTH_PX[kind] / 2 * dx, (line_counts[key] * LINE_PX / 2 + BOX_PAD_PX["unit"]) * dy)
                  for key, (kind, _) in units.items()]
        box_x, box_y = _rectangles([centre for _, centre in units.values()], halves)  # (6, 5) each
        self.marks["unit_boxes"] = bq.Lines(
            x=box_x, y=box_y, scales=on, fill="inside", close_path=True, colors=[COLOURS["unit_frame"]] * len(units),
            fill_colors=[COLOURS[kind] for kind, _ in units.values()], stroke_width=1.0)

    def _make_outputs(self):
        marks, scales = self.marks, self.scales
        across = bq.LinearScale(min=-0.6, max=1.6)
        scales["outputs"] = bq.LinearScale(min=OUTPUT_LIMITS[0], max=OUTPUT_LIMITS[1])
        on = {"x": across, "y": scales["outputs"]}
        half = BAR_HALF_WIDTH["output"]
        bar_x, bar_y = _rectangles([(0.0, 0.0), (1.0, 0.0)], [(half, 0.0)] * 2)
        marks["output_bars"] = bq.Lines(x=bar_x, y=bar_y, scales=on, fill="inside", close_path=True,
                                        colors=[COLOURS["bar"]] * 2, fill_colors=[COLOURS["bar"]] * 2, stroke_width=0.0)
        marks["targets"] = bq.Lines(x=np.array([[-0.4, 0.4], [0.6, 1.4]]), y=np.repeat(self.y[0][:, None], 2, axis=1),
                                    scales=on, colors=[COLOURS["target"]] * 2, line_style="dashed", stroke_width=2.5)
        marks["output_values"] = _labels_at([(0.0, 0.0), (1.0, 0.0)], on, "black", FONT_PX["value"])
        marks["output_values"].y_offset = VALUE_OFFSET_PX
        return self._bar_panel([marks["output_bars"], marks["targets"], marks["output_values"]], across,
                               scales["outputs"], {0: "a2[0]", 1: "a2[1]"}, "outputs against targets")

    def _make_loss(self):
        marks, scales = self.marks, self.scales
        across = bq.LinearScale(min=-1.0, max=1.0)
        scales["loss"] = bq.LinearScale(min=0.0, max=LOSS_HEADROOM * _max_loss(self.y))
        on = {"x": across, "y": scales["loss"]}
        bar_x, bar_y = _rectangles([(0.0, 0.0)], [(BAR_HALF_WIDTH["loss"], 0.0)])
        marks["loss_bar"] = bq.Lines(x=bar_x[0], y=bar_y[0], scales=on, fill="inside", close_path=True,
                                     colors=[COLOURS["loss"]], fill_colors=[COLOURS["loss"]], stroke_width=0.0)
        start = self.state["loss"]
        marks["start_loss"] = bq.Lines(x=np.array([-1.0, 1.0]), y=np.array([start, start]), scales=on,
                                       colors=[COLOURS["note"]], line_style="dotted", stroke_width=1.5)
        marks["loss_value"] = _labels_at([(0.0, 0.0)], on, "black", FONT_PX["value"])
        marks["loss_value"].y_offset = VALUE_OFFSET_PX
        return self._bar_panel([marks["loss_bar"], marks["start_loss"], marks["loss_value"]], across,
                               scales["loss"], {0: "L"}, "loss L = ½ Σ (a2 − y)²")

    @staticmethod
    def _bar_panel(marks: list, across, up, names: dict, title: str):
        """A panel of bars named by `names` (position -> name) on the axis across; a few round ticks up."""
        bars = plots.axis(across, "", ticks=list(names))
        bars.tick_labels = {str(position): name for position, name in names.items()}
        bars.grid_lines = "none"
        ticks = [t for t in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(up.min, up.max)
                 if up.min <= t <= up.max]
        return plots.figure(marks, [bars, plots.axis(up, "", vertical=True, tick_format=".2f", ticks=ticks)],
                            title=title, width=BAR_PANEL_SIZE[0], height=BAR_PANEL_SIZE[1])

    # ---- a slider change ---------------------------------------------------------------------------

    def _on_change(self, change) -> None:
        # remember which weight moved, so the readout explains its gradient
        for name, control in self.controls.items():
            if control is change["owner"]:
                self.selected = name
        super()._on_change(change)

    def _render(self, values: dict) -> str:
        self.params = self._params_from(values)
        self.state = network_state(self.params, self.x, self.y)
        self._update_diagram(diagram_labels(self.state, self.params, self.x))
        self._update_bars()
        return _readout_html(self.state, self.params, self.x, self.y, self.selected)

    def _update_diagram(self, labels: dict) -> None:
        marks = self.marks
        for name in WEIGHT_NAMES:  # widths to a tenth of a pixel: a finer change is not seen, so not sent
            _set_changed(marks[f"edge {name}"], colors=[labels["colours"][name]],
                         stroke_width=round(labels["widths"][name] * PX_PER_POINT, 1))
        _set_changed(marks["unit_texts"], text=[line for lines in labels["units"].values() for line in lines])
        _set_changed(marks["edge_texts"], text=[line for name in WEIGHT_NAMES for line in labels["edges"][name]],
                     colors=[labels["colours"][name] for name in WEIGHT_NAMES for _ in range(2)])
        frame_x, frame_y = self._label_outlines[self.selected]
        _set_changed(marks["selected_frame"], x=frame_x, y=frame_y)

    def _update_bars(self) -> None:
        marks = self.marks
        a2, loss = self.state["a2"][0], self.state["loss"]
        bottom_top = np.array([0.0, 0.0, 1.0, 1.0, 0.0])  # the bars' outlines: 0 at the bottom, 1 at the top
        _set_changed(marks["output_bars"], y=a2[:, None] * bottom_top)  # (2, 5)
        _set_changed(marks["output_values"], y=a2.copy(), text=[f"{a:.4f}" for a in a2])
        _set_changed(marks["loss_bar"], y=loss * bottom_top)
        _set_changed(marks["loss_value"], y=np.array([loss]), text=[f"{loss:.4f}"])


def network_dashboard(params=None, x=None, y=None, selected: str = WEIGHT_NAMES[0]) -> NetworkDashboard:
    """Sliders for the 8 weights of a 2-2-2 sigmoid network; outputs, loss and gradients live. Chapter 04.

    Inputs:
        params: dict W1: (2, 2), b1: (2,), W2: (2, 2), b2: (2,); weights in [-3, 3]; the biases stay
            fixed. Default: the chapter's example (example_params()).
        x: (2,) or (1, 2) one example; y: its two targets. Default EXAMPLE_X, EXAMPLE_Y.
        selected: the weight whose gradient the readout explains until a slider moves, e.g. "W2_01".
    Returns:
        NetworkDashboard (displays itself; .set(W2_01=0.3) moves a slider).
    """
    return NetworkDashboard(params, x, y, selected=selected)
