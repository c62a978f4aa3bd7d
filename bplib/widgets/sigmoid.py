"""Dashboard: the sigmoid, its slope and saturation (chapter 01).

Two sliders, the input z and a steepness c, drive a = sigma(c z):
  - top: the curve, the point (z, sigma(c z)) and the tangent line there;
  - bottom: the slope da/dz = c * sigma'(c z), its maximum c/4 (at z = 0) dashed.
Shaded bands mark where the neuron is *saturated*: see SATURATION_FRACTION.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from bplib._validate import as_float_array
from bplib.activations import sigmoid, sigmoid_prime
from bplib.widgets._base import Dashboard
from bplib.widgets._layered import LayeredFigure

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


class SigmoidDashboard(Dashboard):
    """Sliders z and c; the sigmoid with its tangent, and its slope curve. Chapter 01.

    Attributes (besides Dashboard's): ax_a, ax_da (top, bottom Axes), zs (M,) the grid,
    artists: dict name -> matplotlib artist: "curve", "tangent", "point", "z_line_a" (top);
    "derivative", "marker", "peak", "z_line_da" (bottom); "saturated_left",
    "saturated_right" (shaded Rectangles, top) and "saturated_left_da", "saturated_right_da"
    (bottom), covering |z| > SATURATION_CZ / c.
    """

    def __init__(self, z: float = 0.0, c: float = 1.0):
        for name, value, (low, high) in (("z", z, Z_RANGE), ("c", c, C_RANGE)):
            if not low <= _real(value, name) <= high:
                raise ValueError(f"{name}: expected a value in [{low}, {high}], got {value!r}")
        self.zs = np.linspace(Z_RANGE[0], Z_RANGE[1], 401)  # (M,)
        with plt.ioff():
            fig, (self.ax_a, self.ax_da) = plt.subplots(2, 1, figsize=(7.0, 5.2), sharex=True,
                                                        layout="constrained",
                                                        FigureClass=LayeredFigure)
        self.artists = self._make_artists()
        # Lay out once, then freeze: constrained layout on every redraw would triple its cost.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        # Only the curves, markers and bands move; legends and the axes' frame stay on top.
        fig.set_layers(dynamic=self.artists.values(),
                       overlay=[self.ax_a.get_legend(), self.ax_da.get_legend(),
                                *self.ax_a.spines.values(), *self.ax_da.spines.values()])
        controls = {
            "z": widgets.FloatSlider(value=z, min=Z_RANGE[0], max=Z_RANGE[1], step=0.1,
                                     description="z", continuous_update=True),
            "c": widgets.FloatSlider(value=c, min=C_RANGE[0], max=C_RANGE[1], step=0.1,
                                     description="c (steepness)", continuous_update=True,
                                     style={"description_width": "initial"}),
        }
        super().__init__(controls, fig)

    def _make_artists(self) -> dict:
        ax, bx = self.ax_a, self.ax_da
        nan2 = [np.nan, np.nan]
        art = {}
        for axes, where in ((ax, ""), (bx, "_da")):
            for side in ("left", "right"):
                art[f"saturated_{side}{where}"] = axes.add_patch(Rectangle(
                    (0, 0), 0, 1, transform=axes.get_xaxis_transform(), color="#ffcdd2",
                    zorder=0, label="saturated" if side == "left" else None))
        (art["curve"],) = ax.plot(self.zs, np.zeros_like(self.zs), color="#1565c0", lw=2,
                                  label=r"$a=\sigma(cz)$")
        (art["tangent"],) = ax.plot(nan2, nan2, color="#ef6c00", lw=2, label="tangent at z")
        (art["point"],) = ax.plot([np.nan], [np.nan], "o", color="#c62828", ms=8)
        art["z_line_a"] = ax.axvline(0.0, color="#9e9e9e", lw=1, ls=":")
        ax.set_ylim(-0.1, 1.1)
        ax.set_ylabel("a")
        ax.set_title(r"$a = \sigma(c\,z)$ and its tangent")
        ax.legend(loc="upper left", fontsize=9)

        (art["derivative"],) = bx.plot(self.zs, np.zeros_like(self.zs), color="#2e7d32", lw=2,
                                       label=r"$da/dz = c\,\sigma'(cz)$")
        (art["marker"],) = bx.plot([np.nan], [np.nan], "o", color="#c62828", ms=8)
        art["peak"] = bx.axhline(0.25, color="#2e7d32", lw=1, ls="--", label="max c/4")
        art["z_line_da"] = bx.axvline(0.0, color="#9e9e9e", lw=1, ls=":")
        bx.set_xlim(*Z_RANGE)
        bx.set_xlabel("z")
        bx.set_ylabel("da/dz")
        bx.set_title("its slope: backprop multiplies every gradient passing through by it")
        bx.legend(loc="upper left", fontsize=9)
        return art

    def _render(self, values: dict) -> str:
        view = sigmoid_view(values["z"], values["c"], self.zs)
        art = self.artists
        art["curve"].set_ydata(view["a"])
        art["tangent"].set_data(view["tangent_z"], view["tangent_a"])
        art["point"].set_data([view["z"]], [view["a_z"]])
        art["derivative"].set_ydata(view["da"])
        art["marker"].set_data([view["z"]], [view["slope"]])
        art["peak"].set_ydata([view["peak"], view["peak"]])
        for line in (art["z_line_a"], art["z_line_da"]):
            line.set_xdata([view["z"], view["z"]])
        edge = view["saturation_edge"]
        for where in ("", "_da"):
            art[f"saturated_left{where}"].set_bounds(Z_RANGE[0], 0, max(0.0, -edge - Z_RANGE[0]), 1)
            art[f"saturated_right{where}"].set_bounds(edge, 0, max(0.0, Z_RANGE[1] - edge), 1)
        top = slope_axis_top(view["peak"])
        if self.ax_da.get_ylim()[1] != top:  # new tick labels: LayeredFigure re-renders them
            self.ax_da.set_ylim(0.0, top)
        return _readout_html(view)


def sigmoid_dashboard(z: float = 0.0, c: float = 1.0) -> SigmoidDashboard:
    """A live dashboard of sigma(c z), its tangent and its slope; the last line of a cell. Chapter 01.

    Inputs:
        z: initial input, in [-8, 8].
        c: initial steepness, in [0.1, 5].
    Returns:
        SigmoidDashboard (displays itself; .set(z=..., c=...) moves the sliders).
    """
    return SigmoidDashboard(z=z, c=c)
