"""Dashboard: gradient descent on one sigmoid neuron's loss surface (chapter 03).

The neuron a = sigma(x . w + b) learns the logical AND of two inputs by the delta rule.
Its two weights span a plane, so the loss over them is a contour map, and every run of
gradient descent is a path on that map:
  - left: the loss L(w1, w2) as filled contours (computed once), the path from the start
    weights, a marker at its end and a cross at the surface's lowest grid point;
  - right: the loss after every step, with the lowest grid value dashed.
Controls: the learning rate (a log-scale slider), the start weights w1 and w2, and the
mode: batch (each step uses the mean gradient over all N examples) or online (each step
uses one example, in order).

The bias is held fixed (FIXED_BIAS) while the weights learn, so that the path stays on the
plane that is drawn. For AND that also makes the problem well posed: with a free bias the
four points are separable and the loss keeps falling as w and b grow without end; with
b = -3 the loss has its lowest point at w1 = w2 = 2 (where the two one-input cases sit at
z = -1 and the (1, 1) case at z = +1, symmetric errors).

Every run ends with one status (see descent_path): "converged", "oscillating", "stuck"
(on a flat spot: an example is confidently wrong and saturated, chapter 01), "running", or
"diverged" (a step took a weight past bplib.neuron.DIVERGENCE_BOUND or to inf/NaN; the
path is drawn up to the last finite point).
"""

from __future__ import annotations

import math
import numbers

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from bplib import neuron as nr
from bplib._validate import as_float_array, check_shape, positive_int, positive_real
from bplib.activations import _sigmoid, _sigmoid_prime
from bplib.neuron import DEFAULT_GRAD_TOL, DIVERGENCE_BOUND, loss_surface
from bplib.widgets._base import Dashboard
from bplib.widgets._layered import LayeredFigure
from bplib.widgets.sigmoid import SATURATION_FRACTION

__all__ = [
    "AND_X",
    "AND_Y",
    "FIXED_BIAS",
    "LR_EXPONENTS",
    "MODES",
    "STATUSES",
    "STEPS",
    "W_RANGE",
    "DeltaRuleDashboard",
    "clamp_to_window",
    "confidently_wrong",
    "delta_rule_dashboard",
    "descent_path",
]

AND_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2) the four input pairs
AND_Y = np.array([0.0, 0.0, 0.0, 1.0])  # (4,) their logical AND
FIXED_BIAS = -3.0  # the bias held fixed on the dashboard; see the module docstring
W_RANGE = (-4.0, 8.0)  # both axes of the contour plot, and the start sliders' range
GRID_POINTS = 121  # per axis: a 0.1 spacing on W_RANGE, so the grid holds (2, 2)
LR_EXPONENTS = (-2.0, 8.0)  # the learning-rate slider runs from 10**-2 to 10**8
STEPS = 150  # weight updates per run
MODES = ("batch", "online")
STATUSES = ("converged", "oscillating", "stuck", "running", "diverged")
# "oscillating": in batch mode, the loss rose on at least this many of the last window steps
OSCILLATION_WINDOW = 20
OSCILLATION_RISES = 5
_RISE_TOL = 1e-12  # a rise smaller than this (relative) is round-off near the minimum, not a bounce


# ---- the compute function -----------------------------------------------------------------


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return float(value)


def _check_data(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = as_float_array(x, "x")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x: expected a 2-d array (N, D) with at least one example, got shape {x.shape}")
    y = as_float_array(y, "y")
    check_shape(y, (x.shape[0],), "y")
    return x, y


def confidently_wrong(x, y, w, b) -> np.ndarray:
    """Which examples the neuron gets wrong while saturated: the flat spot. Chapter 03.

    Example n is confidently wrong when |a_n - y_n| > 1/2 (it is on the wrong side) and
    sigma'(z_n) < SATURATION_FRACTION * 1/4 (chapter 01's saturation): its delta
    (a_n - y_n) * sigma'(z_n) is then tiny although its error is large.

    Inputs:
        x: (N, D) inputs; y: (N,) targets; w: (D,) weights; b: scalar bias.
    Returns:
        (N,) bool array.
    """
    x, y = _check_data(x, y)
    w = as_float_array(w, "w")
    check_shape(w, (x.shape[1],), "w")
    b = _real(b, "b")
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights: judged as inf, no warning
        z = x @ w + b  # (N,)
    z = np.nan_to_num(z, nan=0.0)
    return (np.abs(_sigmoid(z) - y) > 0.5) & (_sigmoid_prime(z) < SATURATION_FRACTION * 0.25)


def descent_path(x, y, w_start, b, lr, steps, mode="batch", grad_tol=DEFAULT_GRAD_TOL) -> dict:
    """Gradient descent on the weights of one sigmoid neuron, its bias held fixed. Chapter 03.

    Each step is the delta rule w <- w - lr * dw with
        delta_n = (a_n - y_n) * a_n * (1 - a_n),    dw = x_B.T @ delta_B / |B|
    where the batch B is all N examples (mode "batch") or the single example
    (step - 1) mod N (mode "online": the examples in their given order, again and again).
    The bias b is a constant here (bplib.neuron.train_batch trains it too).

    Inputs:
        x: (N, D) inputs.
        y: (N,) targets.
        w_start: (D,) the starting weights (left unchanged).
        b: the fixed bias, a real number.
        lr: the learning rate, a finite number > 0.
        steps: how many updates to take, a whole number >= 0.
        mode: "batch" or "online".
        grad_tol: the full-data gradient norm below which the run counts as converged.
    Returns:
        dict with
            weights: (S + 1, D) the start and the weights after each of the S steps taken;
            losses: (S + 1,) the full-data loss at each of those points;
            steps: S, the number of steps recorded (steps, or diverged_at - 1);
            diverged_at: None, or the (1-based) step that took a weight past
                DIVERGENCE_BOUND or to inf/NaN; that step is not recorded;
            grad_norm: |dw| on all the data at the last recorded point;
            wrong_and_saturated: how many examples are confidently wrong there (confidently_wrong);
            rises: in how many of the last OSCILLATION_WINDOW steps the loss went up;
            status: the first that applies of
                "diverged"     diverged_at is not None;
                "stuck"        wrong_and_saturated > 0: a flat spot, whatever the gradient says;
                "converged"    grad_norm < grad_tol;
                "oscillating"  batch mode and rises >= OSCILLATION_RISES;
                "running"      none of these: still on its way (or online jitter);
            mode, lr, b: the inputs, as given (lr and b as floats).
    """
    x, y = _check_data(x, y)
    w = as_float_array(w_start, "w_start")
    check_shape(w, (x.shape[1],), "w_start")
    b = _real(b, "b")
    lr = positive_real(lr, "lr")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps: expected a whole number >= 0, got {steps!r}")
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    grad_tol = positive_real(grad_tol, "grad_tol")
    n = x.shape[0]
    weights = np.empty((int(steps) + 1, x.shape[1]))  # (steps + 1, D), trimmed if the run diverges
    weights[0] = w
    diverged_at = None
    # Within the bound |w| <= 1e6, x @ w and lr * dw stay finite for any sane data; the errstate
    # keeps absurd inputs (x near 1e300) from warning: their inf is caught as divergence below.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, int(steps) + 1):
            rows = slice(None) if mode == "batch" else slice((step - 1) % n, (step - 1) % n + 1)
            dw, _ = nr._gradients(x[rows], y[rows], w, b)  # (D,): the delta rule on B = N or 1 examples
            w = w - lr * dw  # (D,); the bias stays
            if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > DIVERGENCE_BOUND:
                diverged_at = step
                break
            weights[step] = w
    taken = int(steps) if diverged_at is None else diverged_at - 1
    weights = weights[: taken + 1]
    last = weights[-1]
    with np.errstate(over="ignore", invalid="ignore"):  # absurd data: an inf norm, not a warning
        losses = np.array([nr._loss(x, y, w, b) for w in weights])  # (S + 1,)
        grad_norm = float(np.linalg.norm(nr._gradients(x, y, last, b)[0]))
    wrong = int(np.count_nonzero(confidently_wrong(x, y, last, b)))
    recent = losses[-(OSCILLATION_WINDOW + 1) :]
    rises = int(np.count_nonzero(np.diff(recent) > _RISE_TOL * np.maximum(recent[:-1], 1e-300)))
    if diverged_at is not None:
        status = "diverged"
    elif wrong > 0:
        status = "stuck"
    elif grad_norm < grad_tol:
        status = "converged"
    elif mode == "batch" and rises >= OSCILLATION_RISES:
        status = "oscillating"
    else:
        status = "running"
    return {
        "weights": weights,
        "losses": losses,
        "steps": taken,
        "diverged_at": diverged_at,
        "grad_norm": grad_norm,
        "wrong_and_saturated": wrong,
        "rises": rises,
        "status": status,
        "mode": mode,
        "lr": lr,
        "b": b,
    }


# ---- the view -----------------------------------------------------------------------------

_COLOURS = {
    "converged": "#2e7d32",
    "oscillating": "#ef6c00",
    "running": "#1565c0",
    "stuck": "#c62828",
    "diverged": "#c62828",
}
_STATUS_WORDS = {
    "converged": "converged: the gradient has vanished at a minimum",
    "oscillating": "oscillating: the loss keeps going up and down, the steps overshoot",
    "running": "still running: not at the bottom yet (or, online, jittering around it)",
    "stuck": "stuck on a flat spot: an example is confidently wrong and its sigmoid is saturated",
    "diverged": "diverged",
}


def clamp_to_window(point, low: float, high: float) -> np.ndarray:
    """A point moved onto the edge of the square [low, high]^2 if it lies outside. Chapter 03.

    The end marker sits there when the path has left the plot, so it is always visible.

    Inputs:
        point: (2,) coordinates; low < high.
    Returns:
        (2,) the clamped coordinates.
    """
    return np.clip(as_float_array(point, "point"), low, high)


def _readout_html(path: dict, start: np.ndarray, lowest: tuple[float, float, float], w_range) -> str:
    """The readout: the run's numbers in a table, then its status in words."""
    status = path["status"]
    end = path["weights"][-1]
    words = _STATUS_WORDS[status]
    if status == "diverged":
        words = (f"diverged at step {path['diverged_at']}: it took a weight past {DIVERGENCE_BOUND:.0e}; "
                 f"the path ends at the last finite point")
    # three facts per row, so the readout stays short and the figure close to the sliders
    grid = [
        [("mode", path["mode"]), ("lr", f"{path['lr']:.4g}"), ("steps taken", f"{path['steps']}")],
        [("start (w1, w2)", f"({start[0]:.2f}, {start[1]:.2f})"), ("end (w1, w2)", f"({end[0]:.3f}, {end[1]:.3f})"),
         ("|dL/dw| at end", f"{path['grad_norm']:.1e}")],
        [("loss at start", f"{path['losses'][0]:.4f}"), ("loss at end", f"{path['losses'][-1]:.4f}"),
         ("lowest on the grid", f"{lowest[2]:.4f} at ({lowest[0]:.2f}, {lowest[1]:.2f})")],
    ]
    cells = "".join(
        "<tr>" + "".join(f"<td style='padding-right:0.4em'>{name}</td>"
                         f"<td style='padding-right:1.6em'><code>{value}</code></td>" for name, value in row) + "</tr>"
        for row in grid)
    off = ""
    if np.any(end < w_range[0]) or np.any(end > w_range[1]):
        off = "<div>the end point lies off the plot: its marker sits on the edge</div>"
    return (f"<table>{cells}</table><div><b style='color:{_COLOURS[status]}'>{words}</b></div>{off}")


class DeltaRuleDashboard(Dashboard):
    """Learning rate, start weights and mode; the descent path on the loss contours. Chapter 03.

    Attributes (besides Dashboard's):
        x: (N, 2) inputs; y: (N,) targets; b: the fixed bias; steps: updates per run.
        w_grid: (G,) the grid of both axes; surface: (G, G) the loss on it (loss_surface layout).
        lowest: (w1, w2, L) the grid point with the lowest loss.
        path: the last descent_path result.
        ax_surface, ax_loss: the two Axes.
        artists: dict name -> matplotlib artist, updated in place:
            "path" (Line2D, the weights after each step), "start" and "end" (markers; the end
            marker is clamped to the plot's edge when the path leaves it), "loss" (Line2D, loss
            per step), "loss_end" (marker), "status" (Text on the contour plot).
    """

    def __init__(self, lr: float = 10.0, w1: float = -2.0, w2: float = 6.0, mode: str = "batch",
                 x=None, y=None, b: float = FIXED_BIAS, steps: int = STEPS):
        x, y = _check_data(AND_X if x is None else x, AND_Y if y is None else y)
        if x.shape[1] != 2:
            raise ValueError(f"x: expected two inputs per example (a surface over two weights), got shape {x.shape}")
        lr = _real(lr, "lr")
        low, high = 10.0 ** LR_EXPONENTS[0], 10.0 ** LR_EXPONENTS[1]
        if not low <= lr <= high:
            raise ValueError(f"lr: expected a value in [{low:g}, {high:g}], got {lr!r}")
        for name, value in (("w1", w1), ("w2", w2)):
            if not W_RANGE[0] <= _real(value, name) <= W_RANGE[1]:
                raise ValueError(f"{name}: expected a value in [{W_RANGE[0]}, {W_RANGE[1]}], got {value!r}")
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
        self.x, self.y, self.b, self.steps = x, y, _real(b, "b"), positive_int(steps, "steps")
        self.w_grid = np.linspace(W_RANGE[0], W_RANGE[1], GRID_POINTS)  # (G,)
        self.surface = loss_surface(x, y, self.w_grid, self.w_grid, self.b)  # (G, G), computed once
        row, col = np.unravel_index(np.argmin(self.surface), self.surface.shape)
        self.lowest = (float(self.w_grid[col]), float(self.w_grid[row]), float(self.surface[row, col]))
        self.path: dict = {}
        with plt.ioff():
            fig, (self.ax_surface, self.ax_loss) = plt.subplots(
                1, 2, figsize=(9.0, 4.2), layout="constrained", gridspec_kw={"width_ratios": [1.15, 1.0]},
                FigureClass=LayeredFigure)
        self.artists = self._make_artists()
        # Lay out once, then freeze: the constrained layout on every redraw would cost more than the rest.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        # Only the path, its markers, the loss curve and the status move; the contours, the colorbar and
        # the axes stay as cached pixels; the "lowest" line (drawn after the loss curve), the legend and the
        # frame (which unclipped markers touch) on top. The contour plot's frame lies between the markers and
        # the status box, so it is drawn with them, in zorder.
        fig.set_layers(dynamic=[*self.artists.values(), *self.ax_surface.spines.values()],
                       overlay=[self._lowest_line, self.ax_loss.get_legend(), *self.ax_loss.spines.values()])
        controls = {
            "lr": widgets.FloatLogSlider(value=lr, base=10.0, min=LR_EXPONENTS[0], max=LR_EXPONENTS[1], step=0.05,
                                         description="lr", readout_format=".3g", continuous_update=True),
            "w1": widgets.FloatSlider(value=w1, min=W_RANGE[0], max=W_RANGE[1], step=0.1,
                                      description="start w1", continuous_update=True),
            "w2": widgets.FloatSlider(value=w2, min=W_RANGE[0], max=W_RANGE[1], step=0.1,
                                      description="start w2", continuous_update=True),
            "mode": widgets.ToggleButtons(options=list(MODES), value=mode, description="mode",
                                          style={"button_width": "80px"}),
        }
        super().__init__(controls, fig)

    def _make_artists(self) -> dict:
        ax, bx = self.ax_surface, self.ax_loss
        top = float(self.surface.max())
        levels = self.lowest[2] + (top - self.lowest[2]) * np.linspace(0.0, 1.0, 16) ** 2  # dense near the bottom
        filled = ax.contourf(self.w_grid, self.w_grid, self.surface, levels=levels, cmap="viridis")
        ax.contour(self.w_grid, self.w_grid, self.surface, levels=levels, colors="white", linewidths=0.4, alpha=0.6)
        self.colorbar = ax.figure.colorbar(filled, ax=ax, shrink=0.9, format="%.2f")
        ax.plot([self.lowest[0]], [self.lowest[1]], "+", color="white", ms=12, mew=2)
        art = {}
        (art["path"],) = ax.plot([], [], "-o", color="#ff7043", lw=1.2, ms=2.5)
        # Markers may sit on the plot's edge (a start at the slider's end, a clamped end): never clip them.
        (art["start"],) = ax.plot([], [], "o", mfc="white", mec="black", ms=8, clip_on=False)
        (art["end"],) = ax.plot([], [], "o", mec="black", ms=9, clip_on=False)
        art["status"] = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", ha="left", fontsize=9,
                                fontweight="bold", bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
        ax.set_xlim(*W_RANGE)
        ax.set_ylim(*W_RANGE)
        ax.set_aspect("equal")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_title(f"loss L(w1, w2) with the bias fixed at b = {self.b:g}\n(+ marks the lowest point of the grid)",
                     fontsize=9)

        (art["loss"],) = bx.plot([], [], "-", color="#ff7043", lw=1.5)
        (art["loss_end"],) = bx.plot([], [], "o", mec="black", ms=7, clip_on=False)
        self._lowest_line = bx.axhline(self.lowest[2], color="#616161", ls="--", lw=1, label="lowest on the grid")
        bx.set_xlim(0, self.steps)
        bx.set_ylim(0.0, 1.05 * top)
        bx.set_xlabel("step")
        bx.set_ylabel("loss L")
        bx.set_title("loss after each step", fontsize=9)
        bx.legend(loc="upper right", fontsize=8)
        for artist in art.values():  # what moves must not move the layout (unclipped markers would)
            artist.set_in_layout(False)
        return art

    def set(self, **values) -> None:
        """Set several controls at once and update the view once (see Dashboard.set).

        The learning rate is checked here against 10**LR_EXPONENTS: a FloatLogSlider's
        min and max are exponents, not values.
        """
        if "lr" in values:
            lr = values.pop("lr")
            low, high = 10.0 ** LR_EXPONENTS[0], 10.0 ** LR_EXPONENTS[1]
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not low <= lr <= high:
                raise ValueError(f"set: expected lr in [{low:g}, {high:g}], got {lr!r}")
            self._holding = True
            try:
                self.controls["lr"].value = float(lr)
            finally:
                self._holding = False
        super().set(**values)

    def _render(self, values: dict) -> str:
        start = np.array([values["w1"], values["w2"]])
        path = descent_path(self.x, self.y, start, self.b, values["lr"], self.steps, values["mode"])
        self.path = path
        weights, losses = path["weights"], path["losses"]
        colour = _COLOURS[path["status"]]
        end_marker = "X" if path["status"] in ("diverged", "stuck") else "o"
        art = self.artists
        art["path"].set_data(weights[:, 0], weights[:, 1])
        art["start"].set_data([start[0]], [start[1]])
        end = clamp_to_window(weights[-1], *W_RANGE)
        art["end"].set_data([end[0]], [end[1]])
        art["end"].set_marker(end_marker)
        art["end"].set_markerfacecolor(colour)
        steps = np.arange(len(losses))
        art["loss"].set_data(steps, losses)
        art["loss_end"].set_data([steps[-1]], [losses[-1]])
        art["loss_end"].set_marker(end_marker)
        art["loss_end"].set_markerfacecolor(colour)
        label = path["status"] if path["status"] != "diverged" else f"diverged at step {path['diverged_at']}"
        art["status"].set_text(label)
        art["status"].set_color(colour)
        return _readout_html(path, start, self.lowest, W_RANGE)


def delta_rule_dashboard(lr: float = 10.0, w1: float = -2.0, w2: float = 6.0, mode: str = "batch",
                         x=None, y=None, b: float = FIXED_BIAS, steps: int = STEPS) -> DeltaRuleDashboard:
    """A live dashboard of the delta rule on a loss surface; the last line of a cell. Chapter 03.

    Inputs:
        lr: initial learning rate, in [1e-2, 1e8] (a log-scale slider).
        w1, w2: initial start weights, each in W_RANGE.
        mode: "batch" or "online".
        x: (N, 2) inputs and y: (N,) targets, by default the logical AND (AND_X, AND_Y).
        b: the bias, held fixed while the weights learn (default FIXED_BIAS = -3).
        steps: weight updates per run.
    Returns:
        DeltaRuleDashboard (displays itself; .set(lr=..., w1=..., w2=..., mode=...) moves the controls).
    """
    return DeltaRuleDashboard(lr=lr, w1=w1, w2=w2, mode=mode, x=x, y=y, b=b, steps=steps)
