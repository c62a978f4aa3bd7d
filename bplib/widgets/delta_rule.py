"""Dashboard: gradient descent on one sigmoid neuron's loss surface (chapter 03).

The neuron a = sigma(x . w + b) learns the logical AND of two inputs by the delta rule.
Its two weights span a plane, so the loss over them is a contour map, and every run of
gradient descent is a path on that map:
  - left: the loss L(w0, w1) in coloured bands between contour lines (computed once), the path
    from the start weights, a marker at its end and a cross at the surface's lowest grid point;
    the run's status stands above it;
  - right: the loss after every step, with the lowest grid value dashed.
Controls: the learning rate (a log-scale slider), the start weights w0 and w1, and the
mode: batch (each step uses the mean gradient over all N examples) or online (each step
uses one example, in order).

The bias is held fixed (FIXED_BIAS) while the weights learn, so that the path stays on the
plane that is drawn. For AND that also makes the problem well posed: with a free bias the
four points are separable and the loss keeps falling as w and b grow without end; with
b = -3 the loss has its lowest point at w0 = w1 = 2 (where the two one-input cases sit at
z = -1 and the (1, 1) case at z = +1, symmetric errors).

Every run ends with one status (see descent_path): "converged", "oscillating", "stuck"
(on a flat spot: an example is confidently wrong and saturated, chapter 01), "running", or
"diverged" (a step took a weight past bplib.neuron.DIVERGENCE_BOUND or to inf/NaN; the
path is drawn up to the last finite point).

The pure compute function is descent_path. The figure is drawn in the browser (bqplot,
bplib.widgets._plots): a change sends the path, the loss curve and the end markers as arrays,
never pixels. A run is STEPS delta-rule steps one after another, each a few numpy calls, so on
the first move of a slider the dashboard runs every position of that slider at once (the core's
_gradients takes K weight vectors per call) and later moves of it only pick their run. A value
that differs from a slider position only by the front end's round-off is taken as that position.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import bqplot as bq
import ipywidgets as widgets
import matplotlib
import numpy as np

from bplib import neuron as nr
from bplib._validate import as_float_array, check_shape, positive_int, positive_real
from bplib.activations import _sigmoid, _sigmoid_prime
from bplib.neuron import DEFAULT_GRAD_TOL, DIVERGENCE_BOUND, loss_surface
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard
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
LR_STEP, W_STEP = 0.05, 0.1  # the sliders' steps (of the exponent, of a weight)
LEVELS = 16  # contour levels, from the lowest grid value to the highest
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
    weights, diverged_at = _descend(x, y, w[:, np.newaxis], b, lr, int(steps), mode)
    return _summary(x, y, weights[:, :, 0], int(diverged_at[0]), b, lr, mode, grad_tol)


def _descend(x: np.ndarray, y: np.ndarray, w_start: np.ndarray, b: float, lr, steps: int, mode: str):
    """K runs of descent_path's delta rule at once, on checked inputs.

    Inputs:
        x: (N, D); y: (N,); w_start: (D, K) one start per column; b: the fixed bias;
        lr: one learning rate for all runs, or (K,) one per run; steps: a whole number >= 0; mode: as descent_path.
    Returns:
        weights: (steps + 1, D, K), the starts and the weights after each step; a run that diverged keeps
            its last finite weights from then on (and is cut there by _summary);
        diverged_at: (K,) ints, the step that took a run's weight past DIVERGENCE_BOUND or to inf/NaN, 0 if none.
    """
    n, runs = x.shape[0], w_start.shape[1]
    y_column = y[:, np.newaxis]  # (N, 1): with weights (D, K), the core's _gradients takes the K runs at once
    weights = np.empty((steps + 1, *w_start.shape))  # (steps + 1, D, K)
    weights[0] = w = w_start
    diverged_at = np.zeros(runs, dtype=int)
    # Within the bound |w| <= 1e6, x @ w and lr * dw stay finite for any sane data; the errstate
    # keeps absurd inputs (x near 1e300) from warning: their inf is caught as divergence below.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, steps + 1):
            rows = slice(None) if mode == "batch" else slice((step - 1) % n, (step - 1) % n + 1)
            dw, _ = nr._gradients(x[rows], y_column[rows], w, b)  # (D, K): the delta rule on B = N or 1 examples
            moved = w - lr * dw  # (D, K); the bias stays
            beyond = ~np.all(np.abs(moved) <= DIVERGENCE_BOUND, axis=0)  # (K,); inf and NaN fail the test too
            if beyond.any():
                diverged_at[beyond & (diverged_at == 0)] = step
                if diverged_at.all():
                    break  # every run has stopped: the rows from here on are never read
                moved = np.where(diverged_at > 0, w, moved)  # a diverged run stays at its last finite point
            weights[step] = w = moved
    return weights, diverged_at


def _summary(x: np.ndarray, y: np.ndarray, weights: np.ndarray, diverged_at: int, b: float, lr: float, mode: str,
             grad_tol: float) -> dict:
    """descent_path's result from one run of _descend: weights (steps + 1, D), diverged_at (0: never)."""
    taken = len(weights) - 1 if diverged_at == 0 else diverged_at - 1
    weights = np.array(weights[: taken + 1])  # (S + 1, D), its own memory
    last = weights[-1]
    with np.errstate(over="ignore", invalid="ignore"):  # absurd data: an inf norm, not a warning
        losses = nr._losses(x, y, weights, b)  # (S + 1,)
        grad_norm = float(np.linalg.norm(nr._gradients(x, y, last, b)[0]))
    wrong = int(np.count_nonzero(confidently_wrong(x, y, last, b)))
    recent = losses[-(OSCILLATION_WINDOW + 1) :]
    rises = int(np.count_nonzero(np.diff(recent) > _RISE_TOL * np.maximum(recent[:-1], 1e-300)))
    if diverged_at:
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
        "diverged_at": diverged_at or None,
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
        [("start (w0, w1)", f"({start[0]:.2f}, {start[1]:.2f})"), ("end (w0, w1)", f"({end[0]:.3f}, {end[1]:.3f})"),
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


_PATH_COLOUR = "#ff7043"
_LOWEST_COLOUR = "#616161"
_VIRIDIS = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["viridis"](np.linspace(0.0, 1.0, 9))]
_HALTED = ("diverged", "stuck")  # their end markers are crosses, the others' dots


def _contour_levels(surface: np.ndarray) -> np.ndarray:
    """LEVELS loss values from the surface's lowest to its highest, dense near the bottom: (LEVELS,)."""
    low, top = float(surface.min()), float(surface.max())
    return low + (top - low) * np.linspace(0.0, 1.0, LEVELS) ** 2


def _banded(surface: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each grid value replaced by the middle of the band between two levels it lies in: (G, G), so that
    the heat map shows bands like filled contours."""
    middles = 0.5 * (levels[:-1] + levels[1:])  # (LEVELS - 1,)
    band = np.clip(np.searchsorted(levels, surface) - 1, 0, len(middles) - 1)  # (G, G)
    return middles[band]


def _slider_positions(slider) -> np.ndarray:
    """Every value a slider can take, as its front end sends them (steps rounded to 10 decimals; a log
    slider's value is base ** exponent): (K,)."""
    count = round((slider.max - slider.min) / slider.step) + 1
    stops = [round(slider.min + k * slider.step, 10) for k in range(count)]
    base = getattr(slider, "base", None)
    return np.array([base**stop if base else stop for stop in stops], dtype=np.float64)


def _status_html(path: dict) -> str:
    """The line above the loss map: the run's status in its colour, and what the cross marks."""
    label = path["status"] if path["status"] != "diverged" else f"diverged at step {path['diverged_at']}"
    return (f"<div style='font-size:12px;padding-left:62px'><b style='color:{_COLOURS[path['status']]}'>{label}</b>"
            f"<span style='margin-left:1.2em'>(+ marks the lowest point of the grid)</span></div>")


@dataclasses.dataclass(frozen=True)
class _Sweep:
    """Runs from every position of one slider, the other controls held: one batched descent (_descend)."""

    control: str  # "lr", "w0" or "w1"
    held: tuple  # the other controls' (name, value) pairs
    weights: np.ndarray  # (steps + 1, 2, K)
    diverged_at: np.ndarray  # (K,)


class DeltaRuleDashboard(Dashboard):
    """Learning rate, start weights and mode; the descent path on the loss contours. Chapter 03.

    The controls are "lr", "w0", "w1" and "mode"; "w0" and "w1" hold the start values of the weights
    w0 and w1 (the sliders "start w0", "start w1").

    The figure is drawn in the browser (bqplot): a change sends the path, the loss curve and the
    end markers as arrays, never pixels.

    Attributes (besides Dashboard's):
        x: (N, 2) inputs; y: (N,) targets; b: the fixed bias; steps: updates per run.
        w_grid: (G,) the grid of both axes; surface: (G, G) the loss on it (loss_surface layout).
        lowest: (w0, w1, L) the grid point with the lowest loss.
        path: the last descent_path result.
        marks: dict name -> bqplot mark. Set once: "surface" (HeatMap (G, G), the loss in bands between
            contour levels), "contours" (Lines, the contour lines, NaN between pieces), "lowest" (Scatter,
            the + at the lowest grid point), "colour_key" (HeatMap (LEVELS - 1, 2), the colour bar beside the
            map: one row per band), "lowest_loss" (Lines, that loss dashed on the right). Updated
            in place: "path" (Lines, the weights after each step, (S + 1,) each), "start" and "end"
            (Scatter, one point each; the end is clamped onto the plot's edge when the path leaves it and
            is a cross when the run diverged or is stuck), "loss" (Lines, (S + 1,) the loss per step),
            "loss_end" (Scatter, its last point).
        scales: dict name -> bqplot scale: "w0", "w1" (the map's axes: w0 across, w1 up), "loss_colour" (its
            colours), "step", "loss" (the loss panel's axes). Their limits are fixed: no control moves an axis.
        status: ipywidgets.HTML above the map, the run's status in its colour.
    """

    def __init__(self, lr: float = 10.0, w0: float = -2.0, w1: float = 6.0, mode: str = "batch",
                 x=None, y=None, b: float = FIXED_BIAS, steps: int = STEPS):
        x, y = _check_data(AND_X if x is None else x, AND_Y if y is None else y)
        if x.shape[1] != 2:
            raise ValueError(f"x: expected two inputs per example (a surface over two weights), got shape {x.shape}")
        lr = _real(lr, "lr")
        low, high = 10.0 ** LR_EXPONENTS[0], 10.0 ** LR_EXPONENTS[1]
        if not low <= lr <= high:
            raise ValueError(f"lr: expected a value in [{low:g}, {high:g}], got {lr!r}")
        for name, value in (("w0", w0), ("w1", w1)):
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
        self.marks, self.scales = {}, {}
        self.status = widgets.HTML()
        self._sweep: _Sweep | None = None
        self._recent: dict[tuple, dict] = {}  # the last two runs by control values: a mode toggle back is free
        self._shown: dict = {}  # the control values of the run on screen
        controls = {
            "lr": widgets.FloatLogSlider(value=lr, base=10.0, min=LR_EXPONENTS[0], max=LR_EXPONENTS[1], step=LR_STEP,
                                         description="lr", readout_format=".3g", continuous_update=True),
            "w0": widgets.FloatSlider(value=w0, min=W_RANGE[0], max=W_RANGE[1], step=W_STEP,
                                      description="start w0", continuous_update=True),
            "w1": widgets.FloatSlider(value=w1, min=W_RANGE[0], max=W_RANGE[1], step=W_STEP,
                                      description="start w1", continuous_update=True),
            "mode": widgets.ToggleButtons(options=list(MODES), value=mode, description="mode",
                                          style={"button_width": "80px"}),
        }
        self._positions = {name: _slider_positions(controls[name]) for name in ("lr", "w0", "w1")}
        super().__init__(controls, self._make_figure())

    # ---- the figure ----------------------------------------------------------------------------

    def _make_figure(self) -> widgets.Box:
        levels = _contour_levels(self.surface)
        left = [self.status, widgets.HBox([self._surface_panel(levels), self._colour_bar(levels)])]
        right = [plots.legend([("lowest on the grid", _LOWEST_COLOUR, "dashed")]), self._loss_panel()]
        return plots.panels(left, right)

    def _surface_panel(self, levels: np.ndarray) -> bq.Figure:
        marks, scales = self.marks, self.scales
        scales["w0"] = bq.LinearScale(min=W_RANGE[0], max=W_RANGE[1])
        scales["w1"] = bq.LinearScale(min=W_RANGE[0], max=W_RANGE[1])
        scales["loss_colour"] = plots.colour_scale(_VIRIDIS, float(levels[0]), float(levels[-1]))
        plane = {"x": scales["w0"], "y": scales["w1"]}
        marks["surface"] = bq.HeatMap(x=self.w_grid, y=self.w_grid, color=_banded(self.surface, levels),
                                      scales={**plane, "color": scales["loss_colour"]})
        xs, ys = plots.contour_lines(self.w_grid, self.w_grid, self.surface, levels)
        marks["contours"] = bq.Lines(x=xs, y=ys, scales=plane, colors=["white"], stroke_width=0.6, opacities=[0.6])
        marks["lowest"] = bq.Scatter(x=np.array(self.lowest[:1]), y=np.array(self.lowest[1:2]), scales=plane,
                                     marker="plus", colors=["white"], stroke="white", stroke_width=2.0,
                                     default_size=256)
        marks["path"] = bq.Lines(x=np.zeros(1), y=np.zeros(1), scales=plane, colors=[_PATH_COLOUR], stroke_width=1.5,
                                 marker="circle", marker_size=10)
        # Markers may sit on the plot's edge (a start at the slider's end, a clamped end): never clip them.
        marks["start"] = bq.Scatter(x=np.zeros(1), y=np.zeros(1), scales=plane, colors=["white"], stroke="black",
                                    stroke_width=1.0, default_size=100, apply_clip=False)
        marks["end"] = bq.Scatter(x=np.zeros(1), y=np.zeros(1), scales=plane, stroke="black", default_size=130,
                                  apply_clip=False)
        # the plot area is square (equal aspect): 377 - 62 - 15 = 370 - 28 - 42 = 300 pixels
        ticks = np.arange(W_RANGE[0], W_RANGE[1] + 1.0, 2.0)
        return plots.figure(
            [marks[name] for name in ("surface", "contours", "lowest", "path", "start", "end")],
            [plots.axis(scales["w0"], "w0", ticks=ticks), plots.axis(scales["w1"], "w1", vertical=True, ticks=ticks)],
            title=f"loss L(w0, w1) with the bias fixed at b = {self.b:g}", width=377, height=370)

    def _colour_bar(self, levels: np.ndarray) -> bq.Figure:
        """The map's colour key, as tall as the map: one even step per band (as matplotlib draws the colour
        bar of filled contours), every other level written beside it. (bqplot's own ColorAxis is 200 pixels
        shorter than its plot and linear in the value.)"""
        bands = len(levels) - 1
        along = bq.LinearScale(min=0.0, max=float(bands))  # band k spans [k, k + 1]
        across = bq.LinearScale(min=-0.5, max=1.5)
        middles = 0.5 * (levels[:-1] + levels[1:])  # (bands,)
        key = self.marks["colour_key"] = bq.HeatMap(
            x=np.array([0.0, 1.0]), y=np.arange(bands) + 0.5, color=np.repeat(middles[:, None], 2, axis=1),
            scales={"x": across, "y": along, "color": self.scales["loss_colour"]})
        labelled = list(range(bands, -1, -2))  # the top level, and every other one below it
        axis = bq.Axis(scale=along, side="right", tick_values=np.array(labelled, dtype=np.float64),
                       tick_labels={k: f"{levels[k]:.2f}" for k in labelled}, grid_lines="none", tick_style=plots.FONT)
        return bq.Figure(marks=[key], axes=[axis], animation_duration=0, padding_y=0.0,
                         fig_margin={"top": 28, "bottom": 42, "left": 4, "right": 44},
                         layout=widgets.Layout(width="66px", height="370px"))

    def _loss_panel(self) -> bq.Figure:
        marks, scales = self.marks, self.scales
        scales["step"] = bq.LinearScale(min=0.0, max=float(self.steps))
        scales["loss"] = bq.LinearScale(min=0.0, max=1.05 * float(self.surface.max()))
        curve = {"x": scales["step"], "y": scales["loss"]}
        marks["loss"] = bq.Lines(x=np.zeros(1), y=np.zeros(1), scales=curve, colors=[_PATH_COLOUR], stroke_width=2.0)
        marks["lowest_loss"] = bq.Lines(x=np.array([0.0, self.steps]), y=np.full(2, self.lowest[2]), scales=curve,
                                        colors=[_LOWEST_COLOUR], line_style="dashed", stroke_width=1.0)
        marks["loss_end"] = bq.Scatter(x=np.zeros(1), y=np.zeros(1), scales=curve, stroke="black", default_size=80,
                                       apply_clip=False)
        return plots.figure([marks["loss"], marks["lowest_loss"], marks["loss_end"]],
                            [plots.axis(scales["step"], "step"), plots.axis(scales["loss"], "loss L", vertical=True)],
                            title="loss after each step", width=400, height=370)

    # ---- updating ------------------------------------------------------------------------------

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
        values = self._on_positions(values)
        start = np.array([values["w0"], values["w1"]], dtype=np.float64)
        self.path = path = self._run(values)
        weights, losses = path["weights"], path["losses"]
        steps = np.arange(len(losses), dtype=np.float64)
        marks = self.marks
        colour, halted = _COLOURS[path["status"]], path["status"] in _HALTED
        plots.set_xy(marks["path"], weights[:, 0], weights[:, 1])
        plots.set_xy(marks["start"], start[:1], start[1:])
        plots.show_end(marks["end"], clamp_to_window(weights[-1], *W_RANGE), colour, halted)
        plots.set_xy(marks["loss"], steps, losses)
        plots.show_end(marks["loss_end"], np.array([steps[-1], losses[-1]]), colour, halted)
        self.status.value = _status_html(path)
        return _readout_html(path, start, self.lowest, W_RANGE)

    def _on_positions(self, values: dict) -> dict:
        """The values with each slider's value replaced by its position when it differs from it only by the
        front end's round-off (noUiSlider adds steps: -0.7000000000000002 for -0.7), so that equal readouts
        always show equal runs and a run of the slider's sweep is found."""
        snapped = dict(values)
        for name, positions in self._positions.items():
            near = np.flatnonzero(np.isclose(positions, values[name], rtol=1e-12, atol=1e-12))
            if near.size:
                snapped[name] = float(positions[near[0]])
        return snapped

    def _run(self, values: dict) -> dict:
        """descent_path for the control values: a run made before, a run of the sweep of the slider that
        moved (made on its first move), or a fresh run."""
        key = tuple(values.values())
        moved = [name for name in values if values[name] != self._shown.get(name)]
        self._shown = dict(values)
        if key in self._recent:
            return self._recent[key]
        path = self._from_sweep(moved[0], values) if moved in (["lr"], ["w0"], ["w1"]) else None
        if path is None:
            start = np.array([values["w0"], values["w1"]])
            path = descent_path(self.x, self.y, start, self.b, values["lr"], self.steps, values["mode"])
        self._recent = {**dict(list(self._recent.items())[-1:]), key: path}
        return path

    def _from_sweep(self, name: str, values: dict) -> dict | None:
        """The run for `values` from the sweep of slider `name` (made now if the other controls changed),
        or None when the slider's value is not one of its positions (e.g. 0.3 set from Python)."""
        column = np.flatnonzero(self._positions[name] == values[name])
        if column.size == 0:
            return None
        held = tuple((other, value) for other, value in values.items() if other != name)
        if self._sweep is None or (self._sweep.control, self._sweep.held) != (name, held):
            self._sweep = self._make_sweep(name, values, held)
        k = int(column[0])
        return _summary(self.x, self.y, self._sweep.weights[:, :, k], int(self._sweep.diverged_at[k]), self.b,
                        float(values["lr"]), values["mode"], DEFAULT_GRAD_TOL)

    def _make_sweep(self, name: str, values: dict, held: tuple) -> _Sweep:
        """Runs from every position of slider `name`, the other controls at `values`: one batched descent."""
        positions = self._positions[name]  # (K,)
        starts = np.empty((2, len(positions)))  # (2, K)
        starts[0], starts[1] = values["w0"], values["w1"]
        lr = positions if name == "lr" else float(values["lr"])
        if name != "lr":
            starts[0 if name == "w0" else 1] = positions
        weights, diverged_at = _descend(self.x, self.y, starts, self.b, lr, self.steps, values["mode"])
        return _Sweep(name, held, weights, diverged_at)


def delta_rule_dashboard(lr: float = 10.0, w0: float = -2.0, w1: float = 6.0, mode: str = "batch",
                         x=None, y=None, b: float = FIXED_BIAS, steps: int = STEPS) -> DeltaRuleDashboard:
    """A live dashboard of the delta rule on a loss surface; the last line of a cell. Chapter 03.

    Inputs:
        lr: initial learning rate, in [1e-2, 1e8] (a log-scale slider).
        w0, w1: initial start values of the weights w0 and w1 (the sliders "start w0" and "start w1"),
            each in W_RANGE.
        mode: "batch" or "online".
        x: (N, 2) inputs and y: (N,) targets, by default the logical AND (AND_X, AND_Y).
        b: the bias, held fixed while the weights learn (default FIXED_BIAS = -3).
        steps: weight updates per run.
    Returns:
        DeltaRuleDashboard (displays itself; .set(lr=..., w0=..., w1=..., mode=...) moves the controls).
    """
    return DeltaRuleDashboard(lr=lr, w0=w0, w1=w1, mode=mode, x=x, y=y, b=b, steps=steps)
