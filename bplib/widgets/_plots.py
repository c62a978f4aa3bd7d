"""Figures drawn in the browser: the few bqplot pieces the dashboards share (chapters 01-08).

A dashboard's figure is made of bqplot marks (lines, heat maps, labels) on scales. A slider
change sets the marks' arrays and the scales' limits; ipywidgets sends them to the browser as
binary buffers and the browser draws them (SVG and canvas). The kernel never renders pixels, so
a redraw costs the kernel only the dashboard's maths and a few small messages.

    figure(marks, axes, ...)   one panel: a bqplot Figure of a fixed size in CSS pixels
    axis(scale, label, ...)    an axis with the course's font sizes
    colour_scale(colours, ...) a colour scale whose colour bar has its largest value on top
    legend(entries)            a legend above a panel (HTML), where it never hides a curve
    panels(left, right)        a panel beside a column of panels, as one widget
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as widgets
import numpy as np

__all__ = ["axis", "colour_scale", "figure", "legend", "panels"]

DASHES = {"solid": "", "dashed": "6,4", "dotted": "2,3"}

FONT = {"font-size": "12px"}
TITLE = {"font-size": "13px"}


def axis(scale, label: str, vertical: bool = False, tick_format: str | None = None, ticks=None) -> bq.Axis:
    """An axis for `scale`, labelled `label`; vertical axes stand on the left; ticks: where (None: bqplot's)."""
    return bq.Axis(scale=scale, label=label, tick_values=None if ticks is None else np.asarray(ticks, dtype=float),
                   side="left" if vertical else "bottom", tick_format=tick_format, grid_lines="solid",
                   grid_color="#e0e0e0", label_offset="40px" if vertical else "32px", tick_style=FONT)


def figure(marks: list, axes: list, title: str, width: int, height: int, right_margin: int = 15) -> bq.Figure:
    """One panel of width x height CSS pixels, its plot area inside fixed margins (never re-laid out)."""
    return bq.Figure(marks=marks, axes=axes, title=title, title_style=TITLE, animation_duration=0,
                     fig_margin={"top": 28 if title else 22, "bottom": 42, "left": 62, "right": right_margin},
                     layout=widgets.Layout(width=f"{width}px", height=f"{height}px"), padding_y=0.0)


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
