"""The LSTM cell as a diagram: one step forward, and the gradient's way back along the cell state. Chapter 08.

    draw_lstm_cell(axes=None)  two panels side by side: the forward step (the four gates, the cell
                               state's path along the top, the hidden state out) and the backward
                               step (what step t sends back to c_{t-1}, dc_t * f_t, along the top, and
                               dh_t's way into dc_t)
    CELL_LAYOUT                where every node sits, in the panels' data coordinates

The picture follows the chapter's equations, in its notation:
    f, i, o = sigma(z_f), sigma(z_i), sigma(z_o);  g = tanh(z_g);  z_q = x_t W_q + h_{t-1} U_q + b_q
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
Matplotlib only (no graphviz): boxes for the four dense layers with their nonlinearity, circles
for the entry-by-entry operations, arrows for the arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

__all__ = ["CellDrawing", "draw_lstm_cell"]

# Node centres in data coordinates of a panel 10 wide and 6.4 high. The cell state runs along
# y = CELL_Y from left to right, the hidden state's input along the bus at y = BUS_Y.
CELL_Y, BUS_Y, GATE_Y = 5.2, 1.2, 2.5
CELL_LAYOUT = {
    "c_prev": (0.2, CELL_Y),  # c_{t-1} comes in
    "c_next": (9.8, CELL_Y),  # c_t goes out
    "h_prev": (0.2, BUS_Y),  # h_{t-1} comes in
    "x": (1.2, 0.2),  # x_t comes in from below
    "h_next": (9.8, 2.5),  # h_t goes out
    "gate_f": (2.4, GATE_Y),
    "gate_i": (3.9, GATE_Y),
    "gate_g": (5.3, GATE_Y),
    "gate_o": (7.0, GATE_Y),
    "times_f": (2.4, CELL_Y),  # f * c_{t-1}
    "times_ig": (4.6, 3.9),  # i * g
    "plus": (4.6, CELL_Y),  # + i * g
    "tanh_c": (8.2, 3.9),  # tanh(c_t)
    "times_o": (8.2, 2.5),  # o * tanh(c_t)
}
GATES = {"gate_f": ("σ", "f"), "gate_i": ("σ", "i"), "gate_g": ("tanh", "g"), "gate_o": ("σ", "o")}
OPERATIONS = {"times_f": "×", "times_ig": "×", "plus": "+", "tanh_c": "tanh", "times_o": "×"}
COLOURS = {"cell": "#1565c0", "hidden": "#455a64", "gate": "#fff3e0", "gate_edge": "#ef6c00",
           "op": "#ffffff", "back": "#c62828", "faded": "#b0bec5"}
BOX = (1.0, 0.75)  # a gate's width and height
RADIUS = 0.3  # an operation's circle (tanh's is wider)


class CellDrawing(NamedTuple):
    """What draw_lstm_cell made: the figure, its two axes, and the artists by name per panel."""

    fig: Figure
    axes: tuple[Axes, Axes]
    forward: dict
    backward: dict


def _edge(name: str) -> tuple[float, float, float, float]:
    """The bounding box (left, right, bottom, top) of a node's shape."""
    x, y = CELL_LAYOUT[name]
    if name in GATES:
        return x - BOX[0] / 2, x + BOX[0] / 2, y - BOX[1] / 2, y + BOX[1] / 2
    rx = 0.45 if name == "tanh_c" else RADIUS
    return x - rx, x + rx, y - RADIUS, y + RADIUS


def _arrow(ax: Axes, points: list[tuple[float, float]], colour: str, width: float = 1.4, head: bool = True):
    """A polyline with an arrowhead at its last point (each leg a straight segment)."""
    artists = []
    for k, (start, end) in enumerate(zip(points[:-1], points[1:], strict=True)):
        last = k == len(points) - 2
        arrow = FancyArrowPatch(start, end, arrowstyle="-|>" if (last and head) else "-", mutation_scale=12,
                                linewidth=width, color=colour, shrinkA=0, shrinkB=0, zorder=1)
        ax.add_patch(arrow)
        artists.append(arrow)
    return artists


def _skeleton(ax: Axes, faded: bool) -> dict:
    """The cell's nodes and arrows; faded: all in light grey (the backward panel's background)."""
    cell = COLOURS["faded"] if faded else COLOURS["cell"]
    hidden = COLOURS["faded"] if faded else COLOURS["hidden"]
    gate_edge = COLOURS["faded"] if faded else COLOURS["gate_edge"]
    text = COLOURS["faded"] if faded else "black"
    art: dict = {"nodes": {}, "arrows": {}}
    at = CELL_LAYOUT
    left, right, bottom, top = {}, {}, {}, {}
    for name in CELL_LAYOUT:
        left[name], right[name], bottom[name], top[name] = _edge(name)
    # the cell state's path along the top: c_{t-1} -> x f -> + -> c_t
    art["arrows"]["cell"] = (
        _arrow(ax, [at["c_prev"], (left["times_f"], CELL_Y)], cell, 2.4, head=False)
        + _arrow(ax, [(right["times_f"], CELL_Y), (left["plus"], CELL_Y)], cell, 2.4, head=False)
        + _arrow(ax, [(right["plus"], CELL_Y), at["c_next"]], cell, 2.4))
    # the bus: h_{t-1} and x_t join and feed every gate
    bus_end = at["gate_o"][0]
    art["arrows"]["bus"] = (_arrow(ax, [at["h_prev"], (bus_end, BUS_Y)], hidden, head=False)
                            + _arrow(ax, [at["x"], (at["x"][0], BUS_Y)], hidden, head=False))
    for gate in GATES:
        art["arrows"][gate] = _arrow(ax, [(at[gate][0], BUS_Y), (at[gate][0], bottom[gate])], hidden)
    # the gates' outputs
    fx, ix, gx = (at[g][0] for g in ("gate_f", "gate_i", "gate_g"))
    ig_y = at["times_ig"][1]
    art["arrows"]["f"] = _arrow(ax, [(fx, top["gate_f"]), (fx, bottom["times_f"])], hidden)
    art["arrows"]["i"] = _arrow(ax, [(ix, top["gate_i"]), (ix, ig_y), (left["times_ig"], ig_y)], hidden)
    art["arrows"]["g"] = _arrow(ax, [(gx, top["gate_g"]), (gx, ig_y), (right["times_ig"], ig_y)], hidden)
    art["arrows"]["ig"] = _arrow(ax, [(at["plus"][0], top["times_ig"]), (at["plus"][0], bottom["plus"])], hidden)
    tx = at["tanh_c"][0]
    art["arrows"]["c_out"] = _arrow(ax, [(tx, CELL_Y), (tx, top["tanh_c"])], cell)
    art["arrows"]["tanh_c"] = _arrow(ax, [(tx, bottom["tanh_c"]), (tx, top["times_o"])], hidden)
    art["arrows"]["o"] = _arrow(ax, [(right["gate_o"], GATE_Y), (left["times_o"], GATE_Y)], hidden)
    art["arrows"]["h"] = _arrow(ax, [(right["times_o"], GATE_Y), at["h_next"]], hidden, 2.0)
    for gate, (function, label) in GATES.items():
        x, y = at[gate]
        art["nodes"][gate] = ax.add_patch(FancyBboxPatch(
            (x - BOX[0] / 2, y - BOX[1] / 2), BOX[0], BOX[1], boxstyle="round,pad=0,rounding_size=0.12",
            facecolor="white" if faded else COLOURS["gate"], edgecolor=gate_edge, linewidth=1.3, zorder=2))
        ax.text(x, y, function, ha="center", va="center", fontsize=11, color=text, zorder=3)
        ax.text(x + BOX[0] / 2 + 0.08, top[gate] + 0.05, f"${label}_t$", ha="left", va="bottom", fontsize=11,
                color=text, zorder=3)
    for name, symbol in OPERATIONS.items():
        x, y = at[name]
        width = right[name] - left[name]
        patch = (Circle((x, y), RADIUS) if width <= 2 * RADIUS + 1e-9
                 else FancyBboxPatch((left[name], bottom[name]), width, 2 * RADIUS,
                                     boxstyle="round,pad=0,rounding_size=0.3"))
        patch.set(facecolor=COLOURS["op"], edgecolor=cell if name in ("times_f", "plus") else hidden,
                  linewidth=1.3, zorder=2)
        art["nodes"][name] = ax.add_patch(patch)
        ax.text(x, y, symbol, ha="center", va="center", fontsize=10 if symbol == "tanh" else 13, color=text,
                zorder=3)
    for name, label, dx, ha in (("c_prev", "$c_{t-1}$", 0.0, "left"), ("c_next", "$c_t$", 0.0, "right"),
                                ("h_prev", "$h_{t-1}$", 0.0, "left"), ("h_next", "$h_t$", 0.0, "right")):
        x, y = at[name]
        ax.text(x + dx, y + 0.22, label, ha=ha, va="bottom", fontsize=12, color=text)
    ax.text(at["x"][0] + 0.15, at["x"][1] + 0.1, "$x_t$", ha="left", va="bottom", fontsize=12, color=text)
    return art


def _panel(ax: Axes, title: str) -> None:
    ax.set_xlim(-0.1, 10.1)
    ax.set_ylim(-0.2, 6.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)


def draw_lstm_cell(axes: tuple[Axes, Axes] | None = None) -> CellDrawing:
    """Draw one LSTM step forward (left) and the gradient's way back (right). Chapter 08.

    Inputs:
        axes: two matplotlib Axes to draw into, or None for a new figure of two panels.
    Returns:
        CellDrawing(fig, axes, forward, backward); forward and backward hold the artists by name
        ("nodes", "arrows", and in backward "back": the highlighted gradient arrows and labels).
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.3))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.06)
    elif len(axes) != 2 or not all(isinstance(ax, Axes) for ax in axes):
        raise ValueError(f"axes: expected two matplotlib Axes or None, got {axes!r}")
    fig = axes[0].figure
    _panel(axes[0], "forward: $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$,   $h_t = o_t \\odot \\tanh(c_t)$")
    forward = _skeleton(axes[0], faded=False)
    _panel(axes[1], "backward: along the cell state only $f_t$ multiplies")
    backward = _skeleton(axes[1], faded=True)
    backward["back"] = _backward_paths(axes[1], backward["nodes"])
    return CellDrawing(fig=fig, axes=(axes[0], axes[1]), forward=forward, backward=backward)


def _backward_paths(ax: Axes, nodes: dict) -> dict:
    """The gradient's arrows, right to left, drawn over the faded cell (its `nodes`: name -> patch),
    with what each carries; the operations the gradient passes are outlined in red."""
    at, red = CELL_LAYOUT, COLOURS["back"]
    left_f, right_f, _, top_f = _edge("times_f")
    _, _, bottom_gf, top_gf = _edge("gate_f")
    tx = at["tanh_c"][0]
    _, right_o, _, _ = _edge("times_o")
    art = {
        # along the cell state: dc_t^next comes in from step t + 1, dc_t leaves through x f only
        "cell": _arrow(ax, [at["c_next"], (left_f, CELL_Y)], red, 2.6, head=False)
        + _arrow(ax, [(left_f, CELL_Y), (at["c_prev"][0] + 0.05, CELL_Y)], red, 2.6),
        # dh_t comes in from h_t and joins the cell state through o and tanh'
        "hidden": _arrow(ax, [at["h_next"], (right_o, GATE_Y)], red, 1.6, head=False)
        + _arrow(ax, [(tx, GATE_Y + RADIUS), (tx, CELL_Y)], red, 1.6),  # through the tanh node, drawn over
        # the forget gate's value is the factor that multiplies dc_t at the x node (labelled "x f_t")
        "forget": _arrow(ax, [(at["gate_f"][0], top_gf), (at["gate_f"][0], CELL_Y - RADIUS)], red, 1.4, head=False),
    }
    for name in ("times_f", "plus", "times_o", "tanh_c"):  # the operations the gradient passes through
        nodes[name].set_edgecolor(red)
    label = {"ha": "center", "va": "bottom", "fontsize": 11, "color": red}
    art["labels"] = [
        ax.text(at["c_prev"][0], CELL_Y + 0.62, "$dc^{\\mathrm{next}}_{t-1} = dc_t \\odot f_t$",
                **label | {"ha": "left"}),
        ax.text((at["plus"][0] + tx) / 2, CELL_Y + 0.62, "$dc_t$", **label),
        ax.text(at["c_next"][0], CELL_Y + 0.62, "$dc_t^{\\mathrm{next}}$", **label | {"ha": "right"}),
        ax.text(tx + 0.55, (GATE_Y + CELL_Y) / 2 + 0.15, "$+\\; dh_t \\odot o_t$\n$\\odot \\tanh'(c_t)$",
                ha="left", va="center", fontsize=10, color=red),
        ax.text((right_o + at["h_next"][0]) / 2, GATE_Y + 0.15, "$dh_t$", **label),
        # the forget gate's value multiplies the gradient at the x node: a factor, not a gradient into f_t
        ax.text(at["gate_f"][0] + 0.15, (top_gf + CELL_Y) / 2, "$\\times f_t$", ha="left", va="center",
                fontsize=11, color=red),
    ]
    return art
