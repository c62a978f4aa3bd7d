"""Dashboard: the sigmoid, its slope and saturation (chapter 01).

Two sliders, the input z and a steepness c, drive a = sigma(c z):
  - top: the curve, the point (z, sigma(c z)) and the tangent line there;
  - bottom: the slope da/dz = c * sigma'(c z), its maximum c/4 (at z = 0) dashed.
Shaded bands mark where the neuron is *saturated*: see SATURATION_FRACTION.

The pure compute function is sigmoid_view. The figure is drawn in the browser (bqplot,
bplib.widgets._plots): a slider change sends the moved marks' arrays, never pixels. The slope
axis's top changes in coarse steps (slope_axis_top), so its tick labels stay put while c moves.
"""

from __future__ import annotations

import math

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from bplib._validate import as_float_array
from bplib.activations import sigmoid, sigmoid_prime
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard

__all__ = [
    "SATURATION_CZ",
    "SATURATION_FRACTION",
    "SLOPE_AXIS_STEP",
    "SigmoidDashboard",
    "sigmoid_dashboard",
    "sigmoid_view",
    "slope_axis_top",
]

# "Saturated": the slope has fallen below 5% of its largest value c/4, i.e. the neuron passes
# back less than 1/20 of the gradient it would at z = 0. A 1% threshold would only flag
# |c z| > 6, hiding that at c z = 4 the slope is already down to 7% of its maximum.
SATURATION_FRACTION = 0.05
# The |c z| where that happens: sigma(u)(1 - sigma(u)) = SATURATION_FRACTION / 4 (about 4.357).
_S_EDGE = (1.0 - math.sqrt(1.0 - SATURATION_FRACTION)) / 2.0  # sigma(-SATURATION_CZ)
SATURATION_CZ = math.log((1.0 - _S_EDGE) / _S_EDGE)

Z_RANGE = (-8.0, 8.0)
C_RANGE = (0.1, 5.0)
TANGENT_HALF_WIDTH = 2.0  # z-units each side of z, shortened when the tangent is steep
TANGENT_MAX_RISE = 0.5  # so the tangent never leaves the plot: rise <= 0.5 each side
SLOPE_AXIS_STEP = 0.3  # the slope axis's top is a multiple of this (see slope_axis_top)


def slope_axis_top(peak: float) -> float:
    """The top of the slope axis for a largest slope `peak` = c/4. Chapter 01.

    The axis keeps the peak visible with 15% headroom, in steps of SLOPE_AXIS_STEP and never
    below it: for c <= 1 the curve's height shows how much smaller the slope gets, and for
    larger c the curve visibly grows between steps while the tick labels stay put.

    Inputs:
        peak: the largest slope, > 0.
    Returns:
        a multiple of SLOPE_AXIS_STEP, at least 1.15 * peak.
    """
    steps = max(1, math.ceil(round(1.15 * peak / SLOPE_AXIS_STEP, 9)))
    return round(steps * SLOPE_AXIS_STEP, 9)


def _real(value, name: str) -> float:
    arr = as_float_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name}: expected a single real number, got an array of shape {arr.shape}")
    return float(arr)


def sigmoid_view(z: float, c: float, zs) -> dict:
    """Everything the sigmoid dashboard plots, for input z and steepness c. Chapter 01.

    Inputs:
        z: the input where the point and tangent are drawn.
        c: the steepness, c > 0; the curve is a = sigma(c * z).
        zs: (M,) grid of inputs for the curves.
    Returns:
        dict with
            zs: (M,) the grid; a: (M,) sigma(c zs); da: (M,) c sigma'(c zs), the slope da/dz;
            z, c: the inputs as floats; a_z: sigma(c z); slope: c sigma'(c z);
            peak: c / 4, the largest slope (at z = 0);
            tangent_z: (2,) ends of the tangent segment; tangent_a: (2,) its heights;
            saturated: bool, slope < SATURATION_FRACTION * peak;
            saturation_edge: SATURATION_CZ / c, the |z| beyond which the neuron is saturated.
    """
    z = _real(z, "z")
    c = _real(c, "c")
    if c <= 0:
        raise ValueError(f"c: expected a steepness > 0, got {c}")
    zs = as_float_array(zs, "zs")
    if zs.ndim != 1 or zs.size < 2:
        raise ValueError(f"zs: expected a 1-d grid of at least 2 inputs, got shape {zs.shape}")
    a = sigmoid(c * zs)  # (M,)
    da = c * sigmoid_prime(c * zs)  # (M,) chain rule: d sigma(c z)/dz = c sigma'(c z)
    a_z = sigmoid(c * z)
    slope = c * sigmoid_prime(c * z)
    half = min(TANGENT_HALF_WIDTH, TANGENT_MAX_RISE / slope) if slope > 0 else TANGENT_HALF_WIDTH
    tangent_z = np.array([z - half, z + half])  # (2,)
    peak = c / 4.0
    return {
        "zs": zs,
        "a": a,
        "da": da,
        "z": z,
        "c": c,
        "a_z": a_z,
        "slope": slope,
        "peak": peak,
        "tangent_z": tangent_z,
        "tangent_a": a_z + slope * (tangent_z - z),  # (2,)
        "saturated": bool(slope < SATURATION_FRACTION * peak),
        "saturation_edge": SATURATION_CZ / c,
    }


def _readout_html(view: dict) -> str:
    share = view["slope"] / view["peak"]
    state = (f"<b style='color:#c62828'>saturated</b>: the slope is {share:.1%} of its maximum"
             if view["saturated"] else f"not saturated: the slope is {share:.1%} of its maximum")
    rows = [
        ("z", view["z"]),
        ("c", view["c"]),
        ("a = &sigma;(c&middot;z)", view["a_z"]),
        ("slope = c&middot;&sigma;'(c&middot;z)", view["slope"]),
        ("max slope c/4", view["peak"]),
    ]
    cells = "".join(f"<tr><td>{name}</td><td style='text-align:right'><code>{value:.4f}</code>"
                    f"</td></tr>" for name, value in rows)
    return f"<table>{cells}</table><div>{state}</div>"


A_LIMITS = (-0.1, 1.1)  # the top panel's vertical axis
# The vertical lines and bands of the slope panel reach the slope axis's highest top (c at its
# maximum); the panel clips them at the axis's current top, so they never need resending when c moves.
_SLOPE_REACH = slope_axis_top(C_RANGE[1] / 4.0)
_WIDTH = 700  # CSS pixels, each panel
_COLOURS = {"curve": "#1565c0", "tangent": "#ef6c00", "point": "#c62828", "z_line": "#9e9e9e",
            "derivative": "#2e7d32", "saturated": "#ffcdd2"}


def _band_corners(edge: float) -> np.ndarray:
    """(2, 4) the z of the corners of the bands z < -edge and z > edge (one row each), within Z_RANGE.

    A band beyond the z axis has width 0.
    """
    low, high = Z_RANGE
    inner_left, inner_right = max(low, -edge), min(high, edge)
    return np.array([[low, inner_left, inner_left, low], [inner_right, high, high, inner_right]])


def _bands(scales: dict, bottom: float, top: float) -> bq.Lines:
    """The two saturated bands of one panel, as filled rectangles from `bottom` to `top`."""
    colours = [_COLOURS["saturated"]] * 2
    return bq.Lines(x=_band_corners(Z_RANGE[1]), y=np.tile([bottom, bottom, top, top], (2, 1)).astype(np.float64),
                    scales=scales, fill="inside", colors=colours, fill_colors=colours, fill_opacities=[1.0, 1.0],
                    stroke_width=0.0)


def _line(scales: dict, colour: str, x=(0.0, 0.0), y=(0.0, 0.0), style: str = "solid",
          width: float = 2.0) -> bq.Lines:
    """A line in the colour _COLOURS[colour] through the points (x, y); style: solid, dashed or dotted."""
    return bq.Lines(x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64), scales=scales,
                    colors=[_COLOURS[colour]], line_style=style, stroke_width=width)


def _dot(scales: dict) -> bq.Scatter:
    """The red dot at z on one panel (its place is set by the first update)."""
    return bq.Scatter(x=np.zeros(1), y=np.zeros(1), scales=scales, colors=[_COLOURS["point"]], default_size=80)


def _legend(curves: list[tuple[str, str, str]]) -> widgets.HBox:
    """One legend row above a panel: the saturated band, then (label, colour name, line style) per curve."""
    return widgets.HBox([plots.band_legend([("saturated", _COLOURS["saturated"])]),
                         plots.legend([(label, _COLOURS[name], style) for label, name, style in curves], left=0)])


class SigmoidDashboard(Dashboard):
    """Sliders z and c; the sigmoid with its tangent, and its slope curve. Chapter 01.

    The figure is drawn in the browser (bqplot): a slider change sends the arrays of the marks it
    moves, never pixels.

    Attributes (besides Dashboard's):
        zs: (M,) the grid of inputs the curves are drawn on.
        marks: dict name -> bqplot mark, updated in place. Top panel (a against z): "curve" (Lines,
            (M,) sigma(c zs)), "tangent" (Lines, (2,) its ends), "point" (Scatter, (1,) at
            (z, sigma(c z))), "z_line_a" (Lines, (2,) the dotted vertical at z), "saturated_a"
            (Lines, (2, 4): two filled rectangles, the bands |z| > SATURATION_CZ / c). Bottom panel
            (da/dz against z): "derivative" (Lines, (M,) c sigma'(c zs)), "marker" (Scatter, (1,) at
            (z, slope)), "peak" (Lines, (2,) the dashed level c/4), "z_line_da", "saturated_da" (as on top).
        scales: dict name -> bqplot scale whose limits follow the sliders: "slope", the bottom
            panel's vertical axis, from 0 to slope_axis_top(c / 4), or one SLOPE_AXIS_STEP higher when
            it was there already (a slider moved to and fro does not make the axis jump).
    """

    def __init__(self, z: float = 0.0, c: float = 1.0):
        for name, value, (low, high) in (("z", z, Z_RANGE), ("c", c, C_RANGE)):
            if not low <= _real(value, name) <= high:
                raise ValueError(f"{name}: expected a value in [{low}, {high}], got {value!r}")
        self.zs = np.linspace(Z_RANGE[0], Z_RANGE[1], 401)  # (M,)
        self.marks, self.scales = {}, {}
        self._shown: dict[str, float] = {}  # the z and c the marks show: a change sends only what moved
        controls = {
            "z": widgets.FloatSlider(value=z, min=Z_RANGE[0], max=Z_RANGE[1], step=0.1,
                                     description="z", continuous_update=True),
            "c": widgets.FloatSlider(value=c, min=C_RANGE[0], max=C_RANGE[1], step=0.1,
                                     description="c (steepness)", continuous_update=True,
                                     style={"description_width": "initial"}),
        }
        super().__init__(controls, self._make_figure())

    def _make_figure(self) -> widgets.VBox:
        """Two panels sharing the z scale, each under its legend."""
        marks, scales = self.marks, self.scales
        # No padding for the dots: the bands and the axes' ends meet the panels' edges.
        z_scale = bq.LinearScale(min=Z_RANGE[0], max=Z_RANGE[1], allow_padding=False)
        a_scale = bq.LinearScale(min=A_LIMITS[0], max=A_LIMITS[1], allow_padding=False)
        scales["slope"] = bq.LinearScale(min=0.0, max=SLOPE_AXIS_STEP, allow_padding=False)
        top, bottom = {"x": z_scale, "y": a_scale}, {"x": z_scale, "y": scales["slope"]}
        # listed bottom to top: the bands under everything, the points over everything
        marks["saturated_a"] = _bands(top, *A_LIMITS)
        marks["curve"] = _line(top, "curve", x=self.zs, y=np.zeros_like(self.zs))
        marks["tangent"] = _line(top, "tangent")
        marks["z_line_a"] = _line(top, "z_line", y=A_LIMITS, style="dotted", width=1.0)
        marks["point"] = _dot(top)
        marks["saturated_da"] = _bands(bottom, 0.0, _SLOPE_REACH)
        marks["derivative"] = _line(bottom, "derivative", x=self.zs, y=np.zeros_like(self.zs))
        marks["peak"] = _line(bottom, "derivative", x=Z_RANGE, style="dashed", width=1.0)
        marks["z_line_da"] = _line(bottom, "z_line", y=(0.0, _SLOPE_REACH), style="dotted", width=1.0)
        marks["marker"] = _dot(bottom)
        curve_panel = plots.figure(
            [marks[name] for name in ("saturated_a", "curve", "tangent", "z_line_a", "point")],
            [plots.axis(z_scale, ""), plots.axis(a_scale, "a", vertical=True, tick_format=".1f",
                                                 ticks=np.linspace(0.0, 1.0, 6))],
            title="a = σ(c·z) and its tangent", width=_WIDTH, height=250)
        slope_panel = plots.figure(
            [marks[name] for name in ("saturated_da", "derivative", "peak", "z_line_da", "marker")],
            [plots.axis(z_scale, "z"), plots.axis(scales["slope"], "da/dz", vertical=True, tick_format=".2f")],
            title="its slope: backprop multiplies every gradient passing through by it", width=_WIDTH, height=270)
        return widgets.VBox([
            _legend([("a = σ(c·z)", "curve", "solid"), ("tangent at z", "tangent", "solid")]), curve_panel,
            _legend([("da/dz = c·σ′(c·z)", "derivative", "solid"), ("max c/4", "derivative", "dashed")]),
            slope_panel])

    def _render(self, values: dict) -> str:
        view = sigmoid_view(values["z"], values["c"], self.zs)
        if view["c"] != self._shown.get("c"):
            self._show_steepness(view)
        self._show_point(view, z_moved=view["z"] != self._shown.get("z"))
        self._shown = {"z": view["z"], "c": view["c"]}
        return _readout_html(view)

    def _show_steepness(self, view: dict) -> None:
        """What c alone moves: both curves, the peak level, the bands and the slope axis's top."""
        marks = self.marks
        marks["curve"].y = view["a"]
        marks["derivative"].y = view["da"]
        marks["peak"].y = np.full(2, view["peak"])
        corners = _band_corners(view["saturation_edge"])  # (2, 4)
        marks["saturated_a"].x = corners
        marks["saturated_da"].x = corners
        top = slope_axis_top(view["peak"])
        if not top <= self.scales["slope"].max <= round(top + SLOPE_AXIS_STEP, 9):
            self.scales["slope"].max = top  # kept while at most one step high: c moved to and fro leaves it

    def _show_point(self, view: dict, z_moved: bool) -> None:
        """The marks at z: the point, the marker and the tangent; the vertical lines when z moved."""
        marks = self.marks
        for name, height in (("point", view["a_z"]), ("marker", view["slope"])):
            with marks[name].hold_sync():
                if z_moved:
                    marks[name].x = np.array([view["z"]])
                marks[name].y = np.array([height])
        with marks["tangent"].hold_sync():
            marks["tangent"].x, marks["tangent"].y = view["tangent_z"], view["tangent_a"]
        if z_moved:
            for name in ("z_line_a", "z_line_da"):
                marks[name].x = np.full(2, view["z"])


def sigmoid_dashboard(z: float = 0.0, c: float = 1.0) -> SigmoidDashboard:
    """A live dashboard of sigma(c z), its tangent and its slope; the last line of a cell. Chapter 01.

    Inputs:
        z: initial input, in [-8, 8].
        c: initial steepness, in [0.1, 5].
    Returns:
        SigmoidDashboard (displays itself; .set(z=..., c=...) moves the sliders).
    """
    return SigmoidDashboard(z=z, c=c)
