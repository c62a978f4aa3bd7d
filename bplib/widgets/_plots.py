"""Figures drawn in the browser: the few bqplot pieces the dashboards share (chapters 01-08).

A dashboard's figure is made of bqplot marks (lines, heat maps, labels) on scales. A slider
change sets the marks' arrays and the scales' limits; ipywidgets sends them to the browser as
binary buffers and the browser draws them (SVG and canvas). The kernel never renders pixels, so
a redraw costs the kernel only the dashboard's maths and a few small messages.

    figure(marks, axes, ...)   one panel: a bqplot Figure of a fixed size in CSS pixels
    axis(scale, label, ...)    an axis with the course's font sizes
    colour_scale(colours, ...) a colour scale whose colour bar has its largest value on top
    legend(entries)            a legend above a panel (HTML), where it never hides a curve
    band_legend(entries)       the same for shaded bands (a filled box per entry)
    panels(left, right)        a panel beside a column of panels, as one widget
    diagram(marks, ...)        a drawing without axes (boxes, arrows, text)
    contour_lines(x, y, z, ..) contour lines of a grid as one polyline per level, for a Lines mark
    plot_area(width, height)   the CSS pixels inside a panel's margins, where its scales map
    thin(x, y, ...)            the points of a path that are worth a dot of their own on screen
    set_xy(mark, x, y)         new points for a Lines or Scatter mark, in one message
    show_end(mark, point, ..)  the marker at a run's last point: a dot, or a cross where the run halted
    Picture(scales, ...)       an image mark fed with small PNGs (a colour map computed in numpy), which
                               the browser only decodes: far cheaper to draw than a HeatMap's cells
    colour_map(values, ...)    values -> RGB through a list of colour stops
"""

from __future__ import annotations

import io

import bqplot as bq
import ipywidgets as widgets
import matplotlib.colors
import matplotlib.image
import numpy as np

__all__ = ["Picture", "axis", "band_legend", "colour_map", "colour_scale", "contour_lines", "diagram", "figure",
           "legend", "panels", "plot_area", "set_xy", "show_end", "thin"]

DASHES = {"solid": "", "dashed": "6,4", "dotted": "2,3"}

FONT = {"font-size": "12px"}
TITLE = {"font-size": "13px"}


def axis(scale, label: str, vertical: bool = False, tick_format: str | None = None, ticks=None) -> bq.Axis:
    """An axis for `scale`, labelled `label`; vertical axes stand on the left; ticks: where (None: bqplot's)."""
    return bq.Axis(scale=scale, label=label, tick_values=None if ticks is None else np.asarray(ticks, dtype=float),
                   side="left" if vertical else "bottom", tick_format=tick_format, grid_lines="solid",
                   grid_color="#e0e0e0", label_offset="40px" if vertical else "32px", tick_style=FONT)


def _margin(titled: bool, right_margin: int) -> dict[str, int]:
    return {"top": 28 if titled else 22, "bottom": 42, "left": 62, "right": right_margin}


def figure(marks: list, axes: list, title: str, width: int, height: int, right_margin: int = 15) -> bq.Figure:
    """One panel of width x height CSS pixels, its plot area inside fixed margins (never re-laid out)."""
    return bq.Figure(marks=marks, axes=axes, title=title, title_style=TITLE, animation_duration=0,
                     fig_margin=_margin(bool(title), right_margin),
                     layout=widgets.Layout(width=f"{width}px", height=f"{height}px"), padding_y=0.0)


def plot_area(width: int, height: int, titled: bool = True, right_margin: int = 15) -> tuple[int, int]:
    """The CSS pixels (width, height) between the margins of a `figure` of that size (with a title or not)
    and right margin."""
    margin = _margin(titled, right_margin)
    return width - margin["left"] - margin["right"], height - margin["top"] - margin["bottom"]


def colour_scale(colours: list[str], low: float, high: float) -> bq.ColorScale:
    """Colours from `low` to `high` (colours[0] at low), its colour bar with `high` on top.

    (A bqplot colour bar puts the scale's start on top; reversing the scale and the list of colours
    keeps the colours where they were and turns the bar the usual way up.)
    """
    return bq.ColorScale(colors=list(reversed(colours)), min=low, max=high, reverse=True)


def legend(entries: list[tuple[str, str, str]], left: int = 62) -> widgets.HTML:
    """A one-line legend: (label, colour, line style "solid" / "dashed" / "dotted") per entry."""
    items = "".join(
        f"<span style='margin-right:1.2em;white-space:nowrap'><svg width='26' height='10'>"
        f"<line x1='1' y1='5' x2='25' y2='5' stroke='{colour}' stroke-width='2.5' "
        f"stroke-dasharray='{DASHES[style]}'/></svg> {label}</span>"
        for label, colour, style in entries)
    return widgets.HTML(f"<div style='font-size:12px;padding-left:{left}px'>{items}</div>")


def panels(left: list, right: list) -> widgets.Box:
    """The column `left` beside the column `right`, as one widget (the dashboard's figure)."""
    return widgets.HBox([widgets.VBox(left), widgets.VBox(right)])


def band_legend(entries: list[tuple[str, str]], left: int = 62) -> widgets.HTML:
    """A one-line legend of shaded regions: (label, fill colour) per entry, each shown as a filled box.

    To stand in one row with a `legend` of curves, put both in an HBox and give the second left=0.
    """
    items = "".join(
        f"<span style='margin-right:1.2em;white-space:nowrap'><svg width='26' height='10'>"
        f"<rect x='1' y='0' width='24' height='10' fill='{colour}'/></svg> {label}</span>"
        for label, colour in entries)
    return widgets.HTML(f"<div style='font-size:12px;padding-left:{left}px'>{items}</div>")


def diagram(marks: list, title: str, width: int, height: int, margin: dict[str, int]) -> bq.Figure:
    """A drawing without axes (boxes, arrows, text), width x height CSS pixels.

    margin: the pixels ("top", "bottom", "left", "right") between the figure's edges and the area the
    scales map onto; the title stands in the top one.
    """
    return bq.Figure(marks=marks, axes=[], title=title, title_style=TITLE, animation_duration=0,
                     fig_margin=dict(margin), layout=widgets.Layout(width=f"{width}px", height=f"{height}px"),
                     padding_x=0.0, padding_y=0.0)


def contour_lines(x, y, z, levels) -> tuple[np.ndarray, np.ndarray]:
    """The contour lines of z at `levels`, ready for one bqplot Lines mark (computed once, not per change).

    Inputs:
        x: (G1,) and y: (G2,) the grid; z: (G2, G1), z[i, j] the value at (x[j], y[i]); levels: (L,).
    Returns:
        xs, ys: (P,) float64 each, every piece of every level one after another with a NaN between two
        pieces (a Lines mark breaks its line at a NaN; it must not end on one: bqplot places the line's
        label at the last point, and a NaN there is an error in the browser).
    """
    from matplotlib.figure import Figure  # matplotlib's contour algorithm, on a figure that is never drawn

    contours = Figure().subplots().contour(x, y, z, levels=levels)
    pieces = [piece for path in contours.get_paths() for piece in path.to_polygons(closed_only=False)]
    gap = np.full((1, 2), np.nan)
    joined = np.concatenate([part for piece in pieces for part in (gap, piece)][1:]) if pieces else np.empty((0, 2))
    return np.ascontiguousarray(joined[:, 0], dtype=np.float64), np.ascontiguousarray(joined[:, 1], dtype=np.float64)


def thin(x: np.ndarray, y: np.ndarray, pixels_per_unit: tuple[float, float], gap: float = 1.5) -> np.ndarray:
    """The indices of the points of a path that get a dot of their own: each at least `gap` CSS pixels
    from the point kept before it (a closer one would hide under that dot); the first and the last kept.

    A polyline through the kept points is never more than `gap` pixels from the full one. The browser
    draws one SVG element per dot, so a path of 200 steps that crawls to its minimum costs it far less.

    Inputs: x, y: (P,) finite; pixels_per_unit: (x, y) the scales' CSS pixels per data unit.
    Returns: (K,) int, increasing, K <= P.
    """
    xs, ys = (np.asarray(x, dtype=np.float64) * pixels_per_unit[0]).tolist(), (
        np.asarray(y, dtype=np.float64) * pixels_per_unit[1]).tolist()
    kept = [0]
    for i in range(1, len(xs) - 1):
        last = kept[-1]
        if (xs[i] - xs[last]) ** 2 + (ys[i] - ys[last]) ** 2 >= gap * gap:
            kept.append(i)
    if len(xs) > 1:
        kept.append(len(xs) - 1)
    return np.array(kept, dtype=np.intp)


def set_xy(mark, x: np.ndarray, y: np.ndarray) -> None:
    """Give a Lines or Scatter mark new points in one message: x, y (P,) or (lines, P); x only when it changed."""
    x, y = np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)
    with mark.hold_sync():
        if not np.array_equal(mark.x, x):
            mark.x = x
        mark.y = y


def show_end(mark: bq.Scatter, point: np.ndarray, colour: str, halted: bool) -> None:
    """Move a one-point Scatter to point (2,): a dot of `colour` edged in black, or a cross of `colour`
    where the run halted (diverged), in one message with only the traits that changed."""
    with mark.hold_sync():
        mark.x, mark.y = point[:1].astype(np.float64), point[1:].astype(np.float64)
        mark.marker = "crosshair" if halted else "circle"
        mark.colors = [colour]
        mark.stroke = colour if halted else "black"
        mark.stroke_width = 3.0 if halted else 1.0


def colour_map(values: np.ndarray, colours: list[str], low: float, high: float) -> np.ndarray:
    """values (...) -> RGB (..., 3) in [0, 1]: colours[0] at low, colours[-1] at high, linear between the
    stops, clipped outside [low, high]; NaN -> white."""
    stops = np.linspace(low, high, len(colours))
    rgb = np.array([matplotlib.colors.to_rgb(c) for c in colours])  # (stops, 3)
    out = np.stack([np.interp(values, stops, rgb[:, channel]) for channel in range(3)], axis=-1)
    out[np.isnan(values)] = 1.0
    return out


def png(rgb: np.ndarray, origin: str = "upper") -> bytes:
    """The PNG file of an (R, S, 3) RGB image in [0, 1], its row 0 at the top ("upper") or the bottom ("lower")."""
    buffer = io.BytesIO()
    # compression level 1: a few kB either way, and the fastest to write
    matplotlib.image.imsave(buffer, rgb, format="png", origin=origin, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class Picture:
    """A bqplot Image mark showing an RGB array, replaced by `show` (a small PNG; the browser decodes it).

    bqplot redraws an Image mark when its `image` becomes another widget, not when that widget's value
    changes: two ipywidgets.Image take turns, the one not shown gets the new picture.

    Inputs:
        scales: the mark's {"x": ..., "y": ...}; pixelated: sharp cells (True) or blended by the browser.
    Attributes:
        mark: the bqplot Image; frames: the two ipywidgets.Image.
    """

    def __init__(self, scales: dict, pixelated: bool = True):
        self.frames = (widgets.Image(format="png"), widgets.Image(format="png"))
        self.mark = bq.Image(image=self.frames[0], x=np.array([0.0, 1.0]), y=np.array([0.0, 1.0]), scales=scales,
                             pixelated=pixelated)

    def place(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        """Stretch the picture from x[0] to x[1] and from y[0] to y[1] (data coordinates of the scales)."""
        with self.mark.hold_sync():
            self.mark.x, self.mark.y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def show(self, rgb: np.ndarray, origin: str = "upper", x=None, y=None) -> None:
        """Show rgb (R, S, 3) in [0, 1], its row 0 on top ("upper") or at the bottom ("lower"); with x and
        y, placed as `place` does, in the same message."""
        spare = self.frames[1] if self.mark.image is self.frames[0] else self.frames[0]
        spare.value = png(rgb, origin)
        with self.mark.hold_sync():
            if x is not None:
                self.place(x, y)
            self.mark.image = spare

    def close(self) -> None:
        """Close the mark and both pictures (the one not shown is outside the figure's widget tree)."""
        for w in (self.mark, *self.frames):
            w.close()
