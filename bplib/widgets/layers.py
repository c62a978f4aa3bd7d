"""Dashboard: a 2-2-2 sigmoid network with every gradient on its diagram, live (chapter 04).

One slider per weight (8 in all). Each change runs the forward pass and the four equations of
backprop (`network_state`) and rewrites the drawing in place:
  - left: the network; each box shows a unit's z, a and delta, each edge its weight and dL/dW,
    coloured by the gradient's sign and as wide as its size (relative to the largest);
  - right: bars of the two outputs against their targets, and a bar of the loss.
The readout gives the loss, the outputs, and the gradient of the weight that was moved last,
written as the product of equation BP4: dL/dW[i, j] = (input of the edge) * (delta at its end).

Row convention as in bplib.layers: z = x @ W + b, one example per row, W: (inputs, outputs).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.text import Text

from bplib._validate import as_float_array, check_shape
from bplib.layers import _dense_backward, _dense_forward, _sigmoid_backward, _sigmoid_forward
from bplib.losses import _squared_error_backward, _squared_error_forward
from bplib.widgets._base import Dashboard
from bplib.widgets._layered import LayeredFigure

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


# ---- the drawing -------------------------------------------------------------------

COLUMN_X = (0.0, 1.75, 3.5)  # inputs, hidden units, outputs
ROW_Y = (1.0, 0.0)  # unit 0 on top
# Where along an edge its label sits: the two crossing edges cross half-way, so their labels
# go nearer the start, where they are far apart; the straight edges keep theirs in the middle.
LABEL_T = {"straight": 0.5, "crossing": 0.3}


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


def _node_lines(kind: str, index: int, state: dict, x: np.ndarray) -> str:
    if kind == "input":
        return f"input {index}\nx {_fmt(x[0, index])}"
    layer = "1" if kind == "hidden" else "2"
    z, a, delta = (state[name + layer][0, index] for name in ("z", "a", "delta"))
    return f"{kind} {index}\nz{layer} {_fmt(z)}\na{layer} {_fmt(a)}\nδ{layer} {_fmt_signed(delta)}"


def _edge_ends(name: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """From the centre of the unit the weight reads to the centre of the unit it feeds (boxes cover the ends)."""
    layer, i, j = _weight_index(name)
    column = int(layer[1])
    return (COLUMN_X[column - 1], ROW_Y[i]), (COLUMN_X[column], ROW_Y[j])


def _edge_text(name: str, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> str:
    layer, i, j = _weight_index(name)
    return f"{weight_label(name)} = {params[layer][i, j]:.2f}\ngrad {_fmt_signed(grads[layer][i, j])}"


def draw_network(state: dict, params, x, ax: Axes | None = None, selected: str | None = None) -> NetworkDrawing:
    """Draw the 2-2-2 network with its numbers: units' z, a, delta; edges' weight and dL/dW. Chapter 04.

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
    if ax is None:
        _, ax = plt.subplots(figsize=(6.2, 3.6))
    ax.set_xlim(COLUMN_X[0] - 0.5, COLUMN_X[2] + 0.5)
    ax.set_ylim(-0.45, 1.4)
    ax.set_axis_off()
    node_texts = {}
    for kind, column, key in (("input", 0, "x"), ("hidden", 1, "h"), ("output", 2, "o")):
        for index, row in enumerate(ROW_Y):
            node_texts[f"{key}{index}"] = ax.text(
                COLUMN_X[column], row, "", ha="center", va="center",
                family="monospace", fontsize=8, zorder=3,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": COLOURS[kind], "edgecolor": "#555555"},
            )
    edge_lines, edge_texts = {}, {}
    for name in WEIGHT_NAMES:
        (x0, y0), (x1, y1) = _edge_ends(name)
        (edge_lines[name],) = ax.plot([x0, x1], [y0, y1], color=COLOURS["zero"], lw=MIN_EDGE_WIDTH,
                                      solid_capstyle="round", zorder=1)
        _, i, j = _weight_index(name)
        t = LABEL_T["straight" if i == j else "crossing"]
        edge_texts[name] = ax.text(
            x0 + t * (x1 - x0), y0 + t * (y1 - y0), "", ha="center", va="center", fontsize=7.5,
            family="monospace", zorder=2,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": COLOURS["label_frame"]},
        )
    ax.text(0.5, 0.0, "edge colour: red dL/dW > 0 (descent lowers the weight), blue < 0 (raises it); "
            "width ~ |dL/dW|", transform=ax.transAxes, ha="center", va="bottom", fontsize=7.5, color="#424242")
    drawing = NetworkDrawing(ax, node_texts, edge_lines, edge_texts)
    update_network(drawing, state, params, x, selected=selected)
    return drawing


def update_network(drawing: NetworkDrawing, state: dict, params, x, selected: str | None = None) -> None:
    """Rewrite a NetworkDrawing's texts, edge colours and widths in place. Chapter 04.

    Inputs:
        drawing: from draw_network.
        state, params, x: as for draw_network (a new state after a weight changed).
        selected: the weight name to frame, or None.
    """
    params, x = _drawable(state, params, x)
    if selected is not None and selected not in WEIGHT_NAMES:
        raise ValueError(f"selected: expected one of {list(WEIGHT_NAMES)} or None, got {selected!r}")
    grads = state["grads"]
    for kind, key in (("input", "x"), ("hidden", "h"), ("output", "o")):
        for index in (0, 1):
            drawing.node_texts[f"{key}{index}"].set_text(_node_lines(kind, index, state, x))
    largest = max(abs(float(grads[name][i, j])) for name, i, j in map(_weight_index, WEIGHT_NAMES))
    for name in WEIGHT_NAMES:
        layer, i, j = _weight_index(name)
        g = float(grads[layer][i, j])
        colour = COLOURS["positive"] if g > 0 else COLOURS["negative"] if g < 0 else COLOURS["zero"]
        share = abs(g) / largest if largest > 0 else 0.0
        line = drawing.edge_lines[name]
        line.set_color(colour)
        line.set_linewidth(MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * share)
        text = drawing.edge_texts[name]
        text.set_text(_edge_text(name, params, grads))
        text.set_color(colour)
        frame = text.get_bbox_patch()
        frame.set_edgecolor(COLOURS["selected"] if name == selected else COLOURS["label_frame"])
        frame.set_linewidth(2.0 if name == selected else 0.8)
    drawing.selected = selected


# ---- the dashboard -----------------------------------------------------------------


def _max_loss(y: np.ndarray) -> float:
    """The largest squared-error loss a sigmoid output (in (0, 1)) can have for targets y: (1, K)."""
    worst = np.maximum(y, 1.0 - y)  # the farthest a prediction in [0, 1] can be from each target
    return 0.5 * float(np.sum(worst * worst))


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

    Attributes (besides Dashboard's):
        x, y: (1, 2) the example and its targets; biases: dict b1, b2 (fixed).
        state: the latest network_state; params: the parameters it was computed from.
        selected: the weight moved last (its gradient is in the readout).
        drawing: the NetworkDrawing (left); ax_net, ax_out, ax_loss: the three Axes.
        artists: dict "output_bars", "loss_bar" (lists of Rectangles), "output_values",
            "loss_value" (Text, lists of Text), "start_loss" (Line2D, the loss at the start).
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
        with plt.ioff():
            fig = plt.figure(figsize=(9.6, 4.3), FigureClass=LayeredFigure)
        self.ax_net = fig.add_axes((0.0, 0.0, 0.68, 0.93))
        self.ax_out = fig.add_axes((0.74, 0.58, 0.24, 0.33))
        self.ax_loss = fig.add_axes((0.74, 0.08, 0.24, 0.33))
        # y given explicitly: a title at a fixed height spares every redraw a search for overlapping ticks
        self.ax_net.set_title("the network: weight and dL/dW on each edge; z, a, δ in each unit", fontsize=9, y=1.0)
        self.drawing = draw_network(self.state, self.params, self.x, ax=self.ax_net, selected=selected)
        self.artists = self._make_bars()
        # Numbers, edge colours and widths, bars and their labels change; titles, axes and the note stay as
        # cached pixels, the legends and the bar axes' frames on top. The target and start-loss lines are
        # static but drawn with the bars, in matplotlib's order: bars, lines, then the labels over both.
        drawing, art = self.drawing, self.artists
        fig.set_layers(
            dynamic=[*drawing.node_texts.values(), *drawing.edge_lines.values(), *drawing.edge_texts.values(),
                     *art["output_bars"], *self._target_lines, *art["output_values"], *art["loss_bar"],
                     art["start_loss"], art["loss_value"]],
            overlay=[self.ax_out.get_legend(), self.ax_loss.get_legend(),
                     *self.ax_out.spines.values(), *self.ax_loss.spines.values()])
        controls = {
            name: widgets.FloatSlider(value=value, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=WEIGHT_STEP,
                                      description=weight_label(name), continuous_update=True)
            for name, value in initial.items()
        }
        super().__init__(controls, fig)

    def _params_from(self, values: Mapping[str, float]) -> dict[str, np.ndarray]:
        params = {"W1": np.zeros((2, 2)), "W2": np.zeros((2, 2)), **{k: v.copy() for k, v in self.biases.items()}}
        for name in WEIGHT_NAMES:
            layer, i, j = _weight_index(name)
            params[layer][i, j] = values[name]
        return params

    def _make_bars(self) -> dict:
        ax, bx = self.ax_out, self.ax_loss
        art = {}
        art["output_bars"] = list(ax.bar([0, 1], [0.0, 0.0], width=0.6, color=COLOURS["bar"], zorder=2))
        self._target_lines = [
            ax.hlines(self.y[0, k], k - 0.4, k + 0.4, color=COLOURS["target"], lw=2, ls="--", zorder=3,
                      label="target y" if k == 0 else None)
            for k in (0, 1)
        ]
        art["output_values"] = [ax.text(k, 0.0, "", ha="center", va="bottom", fontsize=8) for k in (0, 1)]
        ax.set_xticks([0, 1], ["a2[0]", "a2[1]"])
        ax.set_ylim(-0.05, 1.15)  # below 0, so a target of 0.01 does not hide in the axis line
        ax.set_title("outputs against targets", fontsize=9, y=1.0)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        art["loss_bar"] = list(bx.bar([0], [0.0], width=0.5, color=COLOURS["loss"], zorder=2))
        art["start_loss"] = bx.axhline(self.state["loss"], color="#424242", lw=1, ls=":", label="at the start")
        art["loss_value"] = bx.text(0, 0.0, "", ha="center", va="bottom", fontsize=8)
        bx.set_xlim(-1.0, 1.0)
        bx.set_xticks([0], ["L"])
        bx.set_ylim(0.0, 1.12 * _max_loss(self.y))
        bx.set_title("loss L = ½ Σ (a2 − y)²", fontsize=9, y=1.0)
        bx.legend(loc="upper right", fontsize=7, frameon=False)
        return art

    def _on_change(self, change) -> None:
        # remember which weight moved, so the readout explains its gradient
        for name, control in self.controls.items():
            if control is change["owner"]:
                self.selected = name
        super()._on_change(change)

    def _render(self, values: dict) -> str:
        self.params = self._params_from(values)
        self.state = network_state(self.params, self.x, self.y)
        update_network(self.drawing, self.state, self.params, self.x, selected=self.selected)
        art = self.artists
        for k, (bar, text) in enumerate(zip(art["output_bars"], art["output_values"], strict=True)):
            a = float(self.state["a2"][0, k])
            bar.set_height(a)
            text.set_text(f"{a:.4f}")
            text.set_y(a + 0.01)
        loss = self.state["loss"]
        art["loss_bar"][0].set_height(loss)
        art["loss_value"].set_text(f"{loss:.4f}")
        art["loss_value"].set_y(loss + 0.01)
        return _readout_html(self.state, self.params, self.x, self.y, self.selected)


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

