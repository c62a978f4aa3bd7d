"""Dashboard: gradients through time, and what truncated BPTT drops (chapter 07).

A random vanilla RNN with no learning, the probe network of bplib.experiments.memory:

    h_t = f(h_{t-1} Wh + u_t),   t = 0 .. T-1,   h_{-1} = 0,   Wh = scale * G / sqrt(H),

with G an (H, H) matrix of standard normal entries (so Wh's eigenvalues fill a disc of radius
about `scale`), u_t random inputs standing for x_t Wx + b, and f = tanh or the identity
("linear"). Two panels, both against the distance d in time (log y):
  - left: ||∂h_{T-1} / ∂h_{T-1-d}|| / sqrt(H), the size of the gradient that the loss at the last
    step sends d steps back (memory.gradient_through_time), with rho(Wh)**d dashed for comparison;
  - right: the size of each distance's share of dL/dWh for a loss read at every step,
    L = sum_t dh_t . h_t. dL/dWh is a sum over pairs (t, s): the loss term of step t reaching
    back to the use of Wh at step s, through t - s Jacobians. Grouping the pairs by d = t - s
    gives dL/dWh = sum_d C_d (memory.dwh_by_distance). Truncated BPTT with k keeps exactly the
    pairs with d < k (bplib.rnn.rnn_backward with truncate=k): the shaded region, d >= k, is
    what it drops.
Controls: the recurrent-weight scale, the truncation k, and the activation.

The pure compute function is bptt_view. The figure is drawn in the browser (bqplot,
bplib.widgets._plots): a change of a control sends the curves' points and the axes' limits as
arrays, never pixels. The scale and the activation change the probe (bptt_view's costly part);
the truncation alone only re-sums it and moves the shading, the k lines and the split of the right
curve. The log axes' limits move in whole decades, so they stand still for most slider steps.

Also here: draw_unrolled_rnn, the chapter's picture of the unrolled network with its shared
weights (and, optionally, the window of steps that one truncated loss term reaches), a static
matplotlib figure the chapter prints; the dashboard does not draw it.
"""

from __future__ import annotations

import math
import numbers

import bqplot as bq
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from bplib.experiments.memory import (
    _dwh_by_distance,
    _gradient_through_time,
    _non_negative,
    dwh_by_distance,
    probe_weights,
)
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_H",
    "DEFAULT_T",
    "SCALE_RANGE",
    "BPTTDashboard",
    "bptt_dashboard",
    "bptt_view",
    "draw_unrolled_rnn",
    "dwh_by_distance",  # bplib.experiments.memory's, here for notebooks saved earlier
    "probe_weights",  # the same
]

ACTIVATIONS = ("tanh", "linear")
SCALE_RANGE = (0.0, 3.0)  # the recurrent-weight-scale slider
SCALE_STEP = 0.05
DEFAULT_T = 40
DEFAULT_H = 32
MAX_T = 200  # keeps one update within a few milliseconds: the pair sum costs T * T * H * H
# The readout's words for the gradient that reaches T - 1 steps back, relative to distance 0.
VANISHED_BELOW = 1e-3
EXPLODED_ABOVE = 1e3

COLOURS = {
    "gradient": "#1565c0",
    "rho": "#616161",
    "kept": "#2e7d32",
    "dropped": "#c62828",
    "shade": "#fde0e3",
    "state": "#fdf1d6",
    "input": "#dbe9f6",
    "loss": "#dff0d8",
    "shared": "#6a1b9a",
    "window": "#fff3e0",
    "k": "#ef6c00",  # the line at d = k - 1/2, where truncation cuts
}


# ---- the compute functions ------------------------------------------------------------------


def _whole(value, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name}: expected a whole number >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name}: expected a whole number <= {high}, got {value!r}")
    return int(value)


def _activation(value) -> str:
    if value not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {ACTIVATIONS}, got {value!r}")
    return value


def _norm(a: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.sum(a * a)))


def bptt_view(scale: float, k: int, T: int = DEFAULT_T, H: int = DEFAULT_H, activation: str = "tanh",
              seed: int = 0) -> dict:
    """Everything the BPTT dashboard shows, for one setting of its controls. Chapter 07.

    The RNN is probe_weights(scale, T, H, seed) with activation f; the loss of the right panel
    weighs each step's hidden state with dh_t ~ Normal(0, 1) (drawn from seed + 1).

    Inputs:
        scale: the recurrent-weight scale, >= 0 (Wh's eigenvalues fill a disc of radius about scale).
        k: the truncation, a whole number in [1, T]; k = T is full BPTT.
        T: time steps, in [2, MAX_T]; H: hidden units, >= 1; seed: >= 0.
        activation: "tanh" or "linear".
    Returns:
        dict with
            distances: (T,) d = 0 .. T-1;
            g: (T,) gradient_through_time: the gradient of the last step's loss at distance d,
               relative to distance 0 (g[0] = 1);
            rho: the spectral radius of Wh (largest |eigenvalue|); sigma_max: its largest singular value;
            rho_powers: (T,) rho**d;
            ratio_last: g[T-1], the gradient reaching the first step relative to the last;
            contribution_norms: (T,) ||C_d|| (Frobenius) of dwh_by_distance;
            dWh_full, dWh_truncated: (H, H) sum of C_d over all d, over d < k;
            full_norm, truncated_norm, dropped_norm: ||dWh_full||, ||dWh_truncated||,
               ||dWh_full - dWh_truncated|| (what truncation drops);
            relative_dropped: dropped_norm / full_norm (nan if full_norm is 0 or not finite);
            cosine: the cosine between the full and truncated gradients (nan if either is 0);
            finite: whether every number above is finite (a large linear Wh overflows);
            scale, k, T, H, activation, seed: the inputs.
    """
    scale = _non_negative(scale, "scale")
    T = _whole(T, "T", 2, MAX_T)
    H = _whole(H, "H", 1)
    k = _whole(k, "k", 1, T)
    activation = _activation(activation)
    seed = _whole(seed, "seed", 0)
    heavy = _probe(scale, T, H, activation, seed)
    return _view_from(heavy, k)


def _probe(scale: float, T: int, H: int, activation: str, seed: int) -> dict:
    """The part of bptt_view that does not depend on k (the dashboard reuses it when only k moves)."""
    Wh, u = probe_weights(scale, T, H, seed)  # the network gradient_through_time draws from this seed
    g = _gradient_through_time(Wh, u, activation)
    dh = np.random.default_rng(seed + 1).standard_normal((T, H))  # (T, H) the loss's weights
    C, _ = _dwh_by_distance(u, Wh, dh, activation)
    with np.errstate(over="ignore", invalid="ignore"):
        contribution_norms = np.sqrt(np.sum(C.reshape(T, -1) ** 2, axis=1))  # (T,)
        full = C.sum(axis=0)  # (H, H) full BPTT's dWh
        rho = float(np.max(np.abs(np.linalg.eigvals(Wh)))) if scale > 0 else 0.0
        rho_powers = rho ** np.arange(T, dtype=float)
    return {
        "distances": np.arange(T),
        "g": g,
        "rho": rho,
        "sigma_max": float(np.linalg.norm(Wh, 2)) if scale > 0 else 0.0,
        "rho_powers": rho_powers,
        "ratio_last": float(g[-1]),
        "contribution_norms": contribution_norms,
        "shares": C,  # (T, H, H): C[:k].sum(axis=0) is truncated BPTT's dWh for k
        "full": full,
        "scale": scale,
        "T": T,
        "H": H,
        "activation": activation,
        "seed": seed,
    }


def _view_from(heavy: dict, k: int) -> dict:
    view = {key: value for key, value in heavy.items() if key not in ("shares", "full")}
    full = heavy["full"]
    with np.errstate(over="ignore", invalid="ignore"):
        # (H, H): the same additions in the same order as a cumsum's entry k - 1, at a fraction of its cost
        truncated = heavy["shares"][:k].sum(axis=0)
        dropped = full - truncated
        full_norm, truncated_norm, dropped_norm = _norm(full), _norm(truncated), _norm(dropped)
        usable = math.isfinite(full_norm) and full_norm > 0
        relative = dropped_norm / full_norm if usable else math.nan
        both = usable and math.isfinite(truncated_norm) and truncated_norm > 0
        cosine = float(np.sum(full * truncated)) / (full_norm * truncated_norm) if both else math.nan
    headline = [view["ratio_last"], full_norm, truncated_norm, dropped_norm, view["rho"]]
    finite = all(math.isfinite(x) for x in headline) and bool(np.all(np.isfinite(view["g"])))
    finite = finite and bool(np.all(np.isfinite(view["contribution_norms"])))
    view.update(
        k=k,
        dWh_full=full,
        dWh_truncated=truncated,
        full_norm=full_norm,
        truncated_norm=truncated_norm,
        dropped_norm=dropped_norm,
        relative_dropped=relative,
        cosine=cosine,
        finite=finite,
    )
    return view


# ---- the unrolled graph ---------------------------------------------------------------------------


def draw_unrolled_rnn(ax: Axes | None = None, T: int = 4, truncate: int | None = None) -> dict:
    """Draw an RNN unrolled over T steps: one box per hidden state, the same Wx, Wh at every step. Chapter 07.

    Bottom row: the inputs x_0 .. x_{T-1}; middle row: the initial state h_{-1} (code: h0) and the
    hidden states h_0 .. h_{T-1}; top row: the loss terms L_0 .. L_{T-1}. Every arrow h_{t-1} -> h_t
    is labelled Wh and every arrow x_t -> h_t Wx, in one colour: the same matrices at every step.
    With truncate=k, the steps that the last loss term L_{T-1} reaches back to under truncated
    BPTT (T-1, ..., T-k) sit on a shaded band, and the arrow it stops at is dashed.

    Inputs:
        ax: the Axes to draw into; a new figure when None.
        T: the number of steps, 1 .. 8.
        truncate: None, or k in [1, T].
    Returns:
        dict with "ax", "states" (list of T + 1 text boxes, h_{-1} first), "inputs", "losses"
        (lists of T text boxes), "recurrent" (list of T arrows h_{t-1} -> h_t), "window"
        (the shaded Rectangle, or None).
    """
    T = _whole(T, "T", 1, 8)
    if truncate is not None:
        truncate = _whole(truncate, "truncate", 1, T)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.25 * (T + 1) + 0.6, 3.4))
    dx = 1.6  # horizontal distance between steps
    y_in, y_h, y_loss = 0.0, 1.5, 3.0
    ax.set_xlim(-0.8, dx * T + 0.8)
    ax.set_ylim(-0.6, 3.9)
    ax.set_axis_off()

    def box(x, y, text, colour):
        return ax.text(x, y, text, ha="center", va="center", fontsize=11, zorder=3,
                       bbox={"boxstyle": "round,pad=0.35", "facecolor": colour, "edgecolor": "#555555"})

    def arrow(start, end, style="-", colour="#424242", label=None, label_offset=(0.0, 0.0)):
        patch = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.6, color=colour,
                                linestyle=style, shrinkA=17, shrinkB=17, zorder=2)
        ax.add_patch(patch)
        if label:
            mx = (start[0] + end[0]) / 2 + label_offset[0]
            my = (start[1] + end[1]) / 2 + label_offset[1]
            ax.text(mx, my, label, ha="center", va="center", fontsize=10, color=colour, zorder=4)
        return patch

    window = None
    if truncate is not None:
        left = dx * (T - truncate + 1) - 0.45  # around the states h_{T-k} .. h_{T-1}
        window = ax.add_patch(FancyBboxPatch((left, -0.45), dx * T + 0.5 - left, 3.85,
                                             boxstyle="round,pad=0.02", facecolor=COLOURS["window"],
                                             edgecolor="#ef6c00", lw=1.2, zorder=0))
        ax.text(dx * T + 0.5, 3.62, f"truncate = {truncate}: the steps the loss term $L_{{{T - 1}}}$ reaches",
                ha="right", va="center", fontsize=9, color="#e65100")
    states = [box(0.0, y_h, r"$h_{-1}$" + "\n(h0)", COLOURS["state"])]
    inputs, losses, recurrent = [], [], []
    for t in range(T):
        x = dx * (t + 1)
        states.append(box(x, y_h, f"$h_{{{t}}}$", COLOURS["state"]))
        inputs.append(box(x, y_in, f"$x_{{{t}}}$", COLOURS["input"]))
        losses.append(box(x, y_loss, f"$L_{{{t}}}$", COLOURS["loss"]))
        cut = truncate is not None and t == T - truncate  # the arrow into the window's first state
        recurrent.append(arrow((x - dx, y_h), (x, y_h), style="--" if cut else "-", colour=COLOURS["shared"],
                               label="$W_h$", label_offset=(0.0, 0.2)))
        arrow((x, y_in), (x, y_h), colour=COLOURS["shared"], label="$W_x$", label_offset=(0.25, 0.0))
        arrow((x, y_h), (x, y_loss))
    ax.set_title("the RNN unrolled in time: one layer per step, the same $W_x$, $W_h$, $b$ at every step",
                 fontsize=10)
    return {"ax": ax, "states": states, "inputs": inputs, "losses": losses, "recurrent": recurrent,
            "window": window}


# ---- the view -------------------------------------------------------------------------------------

PANEL_WIDTH, PANEL_HEIGHT = 500, 380  # CSS pixels, each of the two panels
MAX_DECADE_TICKS = 7  # a log axis labels at most this many decades (every 2nd, 5th, 10th, ... when more)
AXIS_SLACK_DECADES = 2  # a log axis that holds its curves keeps its limits while at most this many decades too wide


def _drawable(values: np.ndarray) -> np.ndarray:
    """(T,) bool: the entries a log axis can show (positive and finite)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values > 0)


def _points(values: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The drawable points (d, values[d]) with keep[d], as float64 arrays (n,) and (n,).

    Zeros and overflow only ever fill a tail of a curve (once a product of Jacobians is 0 or inf it
    stays so), so leaving them out never joins two separate pieces of a curve.
    """
    shown = keep & _drawable(values)
    return np.flatnonzero(shown).astype(np.float64), values[shown].astype(np.float64)


def _log_limits(*arrays: np.ndarray) -> tuple[float, float]:
    """y-limits of a log axis that hold every positive finite entry, in whole decades plus a margin."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[_drawable(values)]
    if values.size == 0:
        return 1e-3, 1e1
    low = math.floor(math.log10(values.min()) - 0.3)
    high = math.ceil(math.log10(values.max()) + 0.3)
    if high - low < 3:  # at least three decades, so a flat curve looks flat
        low, high = low - 1, high + 1
    return 10.0 ** low, 10.0 ** high


def _within_slack(shown: tuple[float, float], needed: tuple[float, float]) -> bool:
    """Whether log-axis limits `shown` hold the limits `needed` with at most AXIS_SLACK_DECADES decades to spare."""
    spare = math.log10(shown[1] / shown[0]) - math.log10(needed[1] / needed[0])
    return shown[0] <= needed[0] and needed[1] <= shown[1] and spare <= AXIS_SLACK_DECADES


def _decade_ticks(low: float, high: float) -> np.ndarray:
    """(n,) the whole decades from low to high (both powers of 10), every m-th so that n <= MAX_DECADE_TICKS.

    m is 1, 2, 5, 10, 20, 50, ... (round steps), and the ticks count from 10^0, so 1 is a tick
    whenever it is on the axis.
    """
    first, last = round(math.log10(low)), round(math.log10(high))
    needed = (last - first + 1) / MAX_DECADE_TICKS
    every = min(m * 10**e for e in range(4) for m in (1, 2, 5) if m * 10**e >= needed)
    start = every * math.ceil(first / every)
    return 10.0 ** np.arange(start, last + 1, every, dtype=np.float64)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "inf" if value > 0 else "nan"
    if value == 0:
        return "0"
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"


def _regime(view: dict) -> tuple[str, str]:
    """(word, colour) for the gradient that reaches T - 1 steps back."""
    ratio = view["ratio_last"]
    if view["scale"] == 0:
        return "nothing is carried back: Wh = 0", COLOURS["rho"]
    if not math.isfinite(ratio):
        return "exploding: it overflowed float64", COLOURS["dropped"]
    if ratio < VANISHED_BELOW:
        return "vanishing", COLOURS["gradient"]
    if ratio > EXPLODED_ABOVE:
        return "exploding", COLOURS["dropped"]
    return "neither vanishing nor exploding", COLOURS["kept"]


def _note(g: np.ndarray) -> str:
    """What the log plot of g cannot show: exact zeros and values beyond float64 ("" if none)."""
    zero = np.flatnonzero(g == 0)
    if zero.size:
        return f"the gradient is exactly 0 from d = {zero[0]} on\n(a log axis cannot show 0)"
    if not np.all(np.isfinite(g)):
        return f"beyond float64 from d = {np.flatnonzero(~np.isfinite(g))[0]} on: not drawn"
    return ""


def _summary(view: dict) -> str:
    """The right panel's title: how far TBPTT(k)'s gradient is from the full one."""
    if view["k"] >= view["T"]:
        return "k = T: full BPTT, nothing dropped"
    return (f"TBPTT(k = {view['k']}): ‖full − truncated‖ / ‖full‖ = {_fmt(view['relative_dropped'])}, "
            f"cosine {_fmt(view['cosine'])}")


def _readout_html(view: dict) -> str:
    T, k = view["T"], view["k"]
    word, colour = _regime(view)
    lines = [
        f"<b>Wh</b>: scale <code>{view['scale']:.2f}</code>, spectral radius ρ(Wh) = <code>{_fmt(view['rho'])}</code>,"
        f" largest singular value <code>{_fmt(view['sigma_max'])}</code>; activation <code>{view['activation']}</code>",
        f"gradient reaching {T - 1} steps back, relative to distance 0: <code>{_fmt(view['ratio_last'])}</code>"
        f" &nbsp;<b style='color:{colour}'>{word}</b>",
    ]
    if k >= T:
        lines.append(f"k = {k} = T: full BPTT, nothing is dropped; ‖dL/dWh‖ = <code>{_fmt(view['full_norm'])}</code>")
    else:
        lines.append(
            f"TBPTT(k = {k}) keeps the pairs of distance d &lt; {k} and drops d ≥ {k}: ‖dL/dWh‖ full "
            f"<code>{_fmt(view['full_norm'])}</code>, truncated <code>{_fmt(view['truncated_norm'])}</code>; "
            f"‖full − truncated‖ / ‖full‖ = <code>{_fmt(view['relative_dropped'])}</code>, "
            f"cosine <code>{_fmt(view['cosine'])}</code>"
        )
    if not view["finite"]:
        lines.append("<b style='color:#c62828'>some numbers overflowed float64 (inf): "
                     "the plot shows the finite ones</b>")
    return "<br>".join(lines)


def _curve(scales: dict, colour: str, style: str = "solid", width: float = 2.0, dots: float = 0.0) -> bq.Lines:
    """An empty curve; dots: the area of its point markers in square pixels (0: none)."""
    marker = {"marker": "circle", "marker_size": dots} if dots else {}
    return bq.Lines(x=np.zeros(0), y=np.zeros(0), scales=scales, colors=[COLOURS[colour]], line_style=style,
                    stroke_width=width, **marker)


def _shade(scales: dict) -> bq.Lines:
    """The filled rectangle over d >= k, from the bottom to the top of its panel (y on a 0 .. 1 scale)."""
    return bq.Lines(x=np.zeros(4), y=np.array([0.0, 0.0, 1.0, 1.0]), scales=scales, fill="inside",
                    colors=[COLOURS["shade"]], fill_colors=[COLOURS["shade"]], fill_opacities=[1.0], stroke_width=0.0)


def _cut_line(scales: dict) -> bq.Lines:
    """The vertical line at d = k - 1/2, from the bottom to the top of its panel."""
    return bq.Lines(x=np.zeros(2), y=np.array([0.0, 1.0]), scales=scales, colors=[COLOURS["k"]], stroke_width=1.5)


def _legend(curves: list[tuple[str, str, str]]) -> widgets.HBox:
    """One legend row above a panel: the shading, then (label, colour name, line style) per curve."""
    return widgets.HBox([plots.band_legend([("dropped by TBPTT(k)", COLOURS["shade"])]),
                         plots.legend([(label, COLOURS[name], style) for label, name, style in curves], left=0)])


class BPTTDashboard(Dashboard):
    """Recurrent-weight scale, truncation and activation; gradients against distance in time. Chapter 07.

    The figure is drawn in the browser (bqplot): a change of a control sends the arrays of the marks
    it moves, never pixels.

    Attributes (besides Dashboard's):
        T, H, seed: the probe's size and seed (fixed for the dashboard's life).
        view: the last bptt_view result.
        marks: dict name -> bqplot mark, updated in place. Curves hold only the points a log axis can
            show (zeros and overflow left out), n <= T of them, as x: (n,) distances, y: (n,) sizes.
            Left panel (gradient of the last step's loss against d): "g" (Lines with dots, g[d]), "rho"
            (Lines, dashed, rho**d), "shade_g" (Lines, (4,) corners of the filled rectangle over
            d >= k), "k_g" (Lines, (2,) the vertical at d = k - 1/2), "note" (Label, two lines of text
            in the panel's middle: what a log axis cannot show, zeros and overflow, or "").
            Right panel (||C_d|| against d): "kept" (Lines with dots, d < k), "dropped" (Lines with
            dots, d >= k - 1, so the two read as one curve; empty for k = T), "shade_c", "k_c" (as on
            the left).
        scales: dict name -> bqplot scale whose limits follow the controls: "gradient" (the left
            panel's log y axis) and "share" (the right panel's), in whole decades, holding every
            drawable value with at most AXIS_SLACK_DECADES to spare (see _set_log_limits).
        panels: dict name -> bqplot Figure: "gradient" and "share" (its title says what TBPTT(k) drops,
            the summary that follows the controls).
    """

    def __init__(self, scale: float = 1.0, k: int = 5, activation: str = "tanh", T: int = DEFAULT_T,
                 H: int = DEFAULT_H, seed: int = 0):
        self.T = _whole(T, "T", 2, MAX_T)
        self.H = _whole(H, "H", 1)
        self.seed = _whole(seed, "seed", 0)
        scale = _non_negative(scale, "scale")
        if scale > SCALE_RANGE[1]:
            raise ValueError(f"scale: expected a value in [{SCALE_RANGE[0]}, {SCALE_RANGE[1]}], got {scale!r}")
        k = _whole(k, "k", 1, self.T)
        activation = _activation(activation)
        self._heavy_key: tuple | None = None
        self._heavy: dict = {}
        self._shown_k: int | None = None  # the k the shading and the k lines show
        self.view: dict = {}
        self.marks, self.scales, self.panels = {}, {}, {}
        self._y_axes: dict[str, bq.Axis] = {}  # their ticks follow the scales' limits
        controls = {
            "scale": widgets.FloatSlider(value=scale, min=SCALE_RANGE[0], max=SCALE_RANGE[1], step=SCALE_STEP,
                                         description="Wh scale", continuous_update=True, readout_format=".2f"),
            "k": widgets.IntSlider(value=k, min=1, max=self.T, step=1, description="truncate k",
                                   continuous_update=True),
            "activation": widgets.ToggleButtons(options=list(ACTIVATIONS), value=activation, description="f",
                                                style={"button_width": "70px"}),
        }
        super().__init__(controls, self._make_figure())

    def _make_figure(self) -> widgets.Box:
        """Two panels side by side sharing the distance axis, each under its legend."""
        marks, scales = self.marks, self.scales
        distance = bq.LinearScale(min=-0.5, max=self.T - 0.5)
        unit = bq.LinearScale(min=0.0, max=1.0)  # bottom to top of a panel: the shading and the k lines
        middle = {"x": bq.LinearScale(min=0.0, max=1.0), "y": unit}
        for name in ("gradient", "share"):
            scales[name] = bq.LogScale(min=1e-3, max=1e1)  # placeholders until the first update
        left, right = {"x": distance, "y": scales["gradient"]}, {"x": distance, "y": scales["share"]}
        # listed bottom to top: the shading under everything, the note over everything
        marks["shade_g"] = _shade({"x": distance, "y": unit})
        marks["g"] = _curve(left, "gradient", dots=12.0)
        marks["rho"] = _curve(left, "rho", style="dashed", width=1.2)
        marks["k_g"] = _cut_line({"x": distance, "y": unit})
        marks["note"] = bq.Label(x=np.array([0.5, 0.5]), y=np.array([0.54, 0.46]), text=np.array(["", ""]),
                                 scales=middle, colors=[COLOURS["rho"]], default_size=12.0, font_weight="normal",
                                 align="middle")
        marks["shade_c"] = _shade({"x": distance, "y": unit})
        marks["kept"] = _curve(right, "kept", width=1.2, dots=20.0)
        marks["dropped"] = _curve(right, "dropped", width=1.2, dots=20.0)
        marks["k_c"] = _cut_line({"x": distance, "y": unit})
        self._y_axes = {name: plots.axis(scales[name], label, vertical=True, tick_format=".0e",
                                         ticks=_decade_ticks(scales[name].min, scales[name].max))
                        for name, label in (("gradient", "relative size (log)"),
                                            ("share", "‖C_d‖: the share of dL/dWh from distance d"))}
        self.panels["gradient"] = plots.figure(
            [marks[name] for name in ("shade_g", "g", "rho", "k_g", "note")],
            [plots.axis(distance, "distance d (steps back from the last step)"), self._y_axes["gradient"]],
            title=f"gradient of the last step's loss, d steps back (T = {self.T}, H = {self.H})",
            width=PANEL_WIDTH, height=PANEL_HEIGHT)
        self.panels["share"] = plots.figure(
            [marks[name] for name in ("shade_c", "kept", "dropped", "k_c")],
            [plots.axis(distance, "distance d = t − s (a loss at every step t, Wh used at step s)"),
             self._y_axes["share"]],
            title="TBPTT(k)", width=PANEL_WIDTH, height=PANEL_HEIGHT)  # a title now: room for the summary
        return plots.panels(
            [_legend([("gradient at distance d", "gradient", "solid"), ("ρ(Wh)ᵈ", "rho", "dashed")]),
             self.panels["gradient"]],
            [_legend([("kept (d < k)", "kept", "solid"), ("dropped (d ≥ k)", "dropped", "solid")]),
             self.panels["share"]])

    def _render(self, values: dict) -> str:
        key = (float(values["scale"]), values["activation"])
        probe_moved = key != self._heavy_key
        if probe_moved:  # the truncation alone only re-sums what is already computed
            self._heavy = _probe(key[0], self.T, self.H, key[1], self.seed)
            self._heavy_key = key
        k = int(values["k"])
        view = _view_from(self._heavy, k)
        self.view = view
        if probe_moved:
            self._show_gradient(view)
        if k != self._shown_k:
            self._show_cut(k)
        self._show_shares(view)
        return _readout_html(view)

    def _show_gradient(self, view: dict) -> None:
        """What the probe alone moves: the left panel's curves and note, both log axes' limits."""
        every = np.ones(self.T, dtype=bool)
        for name, values in (("g", view["g"]), ("rho", view["rho_powers"])):
            mark = self.marks[name]
            with mark.hold_sync():
                mark.x, mark.y = _points(values, every)
        note = (_note(view["g"]).split("\n") + ["", ""])[:2]  # two lines
        if list(self.marks["note"].text) != note:
            self.marks["note"].text = np.array(note)
        self._set_log_limits("gradient", *_log_limits(view["g"], view["rho_powers"]))
        self._set_log_limits("share", *_log_limits(view["contribution_norms"]))

    def _set_log_limits(self, name: str, low: float, high: float) -> None:
        """A log axis's limits and its decade ticks, from the limits (low, high) its curves need.

        The axis stays as it is while it holds (low, high) with at most AXIS_SLACK_DECADES to spare;
        else it grows to take them in, if that stays within the slack, or it becomes (low, high). So a
        slider moved to and fro, or dragged, does not make the axis jump at every step (and fewer
        changes are sent).
        """
        scale = self.scales[name]
        shown = (scale.min, scale.max)
        if _within_slack(shown, (low, high)):
            return
        grown = (min(shown[0], low), max(shown[1], high))
        if _within_slack(grown, (low, high)):
            low, high = grown
        with scale.hold_sync():
            scale.min, scale.max = low, high
        self._y_axes[name].tick_values = _decade_ticks(low, high)

    def _show_cut(self, k: int) -> None:
        """What k alone moves: the shading over d >= k and the lines at d = k - 1/2 in both panels."""
        cut, end = k - 0.5, self.T - 0.5
        for name in ("shade_g", "shade_c"):
            self.marks[name].x = np.array([cut, end, end, cut])
        for name in ("k_g", "k_c"):
            self.marks[name].x = np.array([cut, cut])
        self._shown_k = k

    def _show_shares(self, view: dict) -> None:
        """The right panel's curve, split at k, and its title."""
        d, k, norms = view["distances"], view["k"], view["contribution_norms"]
        # the dropped part starts at the last kept point, so the two read as one curve
        for name, keep in (("kept", d < k), ("dropped", (d >= k - 1) & (k < self.T))):
            mark = self.marks[name]
            with mark.hold_sync():
                mark.x, mark.y = _points(norms, keep)
        self.panels["share"].title = _summary(view)


def bptt_dashboard(scale: float = 1.0, k: int = 5, activation: str = "tanh", T: int = DEFAULT_T,
                   H: int = DEFAULT_H, seed: int = 0) -> BPTTDashboard:
    """A live dashboard of gradients through time and of truncated BPTT; the last line of a cell. Chapter 07.

    Inputs:
        scale: initial recurrent-weight scale, in SCALE_RANGE (Wh = scale * G / sqrt(H)).
        k: initial truncation, in [1, T] (k = T is full BPTT).
        activation: "tanh" or "linear".
        T: time steps, in [2, MAX_T]; H: hidden units; seed: the probe network's seed.
    Returns:
        BPTTDashboard (displays itself; .set(scale=..., k=..., activation=...) moves the controls).
    """
    return BPTTDashboard(scale=scale, k=k, activation=activation, T=T, H=H, seed=seed)
