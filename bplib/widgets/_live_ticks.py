"""Ticks that follow a slider, drawn cheaply on every frame (chapter 01 dashboards).

When a slider moves an Axes' limits, matplotlib's Axis works out and lays out every tick, tick
label and grid line again (5-20 ms per axis, 40-130 ms for the whole figure that a cached
background then costs). `LiveTicks` draws the same ticks, from the Axis' own locators,
formatters and tick style, as one dynamic artist in about half a millisecond: tick marks and
grid lines as a few Line2D, each label straight through `renderer.draw_text` at a position
worked out once per label string (and its pixels kept by the figure's TextSprites).

The Axis itself stops drawing ticks, labels, grid lines and offset text, and keeps its label,
placed to leave room for the widest tick label, so it no longer moves with the limits: the
pixels of the Axis no longer depend on them (bplib.widgets._limits), and a LayeredFigure keeps
its background however the limits move.

Labels that matplotlib writes as mathtext powers (log axes: "$\\mathdefault{10^{-5}}$",
"$\\mathdefault{2\\times10^{-1}}$") are drawn as plain text with Unicode superscripts ("10⁻⁵",
"2×10⁻¹"): the same reading, one line of text (~0.2 ms) instead of a mathtext layout (~5 ms).
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axis import Axis
from matplotlib.font_manager import fontManager, get_font
from matplotlib.lines import Line2D
from matplotlib.text import Text, _get_text_metrics_with_cache
from matplotlib.transforms import Bbox, IdentityTransform

__all__ = ["LiveTicks", "plain_tick_label"]

_SUPERSCRIPT = str.maketrans("0123456789-−+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻⁺")
_MATH_LABEL = re.compile(r"\$\\mathdefault\{(?P<body>[^${}]*(?:\{[^${}]*\}[^${}]*)*)\}\$")
_POWER = re.compile(r"(?:(?P<mantissa>[0-9.]+)\\times\s*)?(?P<base>[0-9.]+)\^\{(?P<exponent>[-−+]?[0-9]+)\}")
_NUMBER = re.compile(r"[-−]?[0-9.]+")
_MAX_STATES = 32  # sets of limits whose tick positions and labels are kept


def plain_tick_label(label: str) -> str:
    """A tick label without mathtext when it is a plain number or power. Chapter 01 (dashboards).

    Inputs:
        label: a label from a matplotlib formatter, e.g. "$\\mathdefault{10^{-5}}$".
    Returns:
        "10⁻⁵" for that; "2×10⁻¹" for "$\\mathdefault{2\\times10^{-1}}$"; "−3" for
        "$\\mathdefault{-3}$"; any other label unchanged.
    """
    whole = _MATH_LABEL.fullmatch(label)
    if whole is None:
        return label
    body = whole["body"]
    power = _POWER.fullmatch(body)
    if power is not None:
        mantissa = f"{power['mantissa']}×" if power["mantissa"] else ""
        return f"{mantissa}{power['base']}{power['exponent'].translate(_SUPERSCRIPT)}"
    if _NUMBER.fullmatch(body):
        return body.replace("-", "−")
    return label


def _plain_line(helper: Text, label: str, ismath) -> bool:
    """Whether Text._get_layout's single-line, unrotated case applies (_line_layout)."""
    return ("\n" not in label and not ismath and not helper.get_usetex() and not helper.get_wrap()
            and helper.get_rotation() == 0 and helper._linespacing == "normal")


@functools.lru_cache(maxsize=64)
def _font_heights(font_file: str, size: float, dpi: float) -> tuple[float, float]:
    """The least ascent and descent (pixels) of a line in this font, from its tables, as Text._get_layout reads them."""
    font = get_font(font_file)
    for table_name, ascent_key, descent_key in (("OS/2", "sTypoAscender", "sTypoDescender"),
                                                ("hhea", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is not None:
            scale = size * dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
            return table[ascent_key] * scale, -table[descent_key] * scale
    return 0.0, 0.0


def _line_layout(helper: Text, line: str, renderer):
    """Text._get_layout for one unrotated line of plain text: ([(line, False, dx, dy)], bbox extents).

    matplotlib gives the line at least the font's ascent and descent, then aligns the box; only the
    line's width and its own ascent and descent vary from label to label.
    """
    prop = helper.get_fontproperties()
    dpi = helper.get_figure(root=True).dpi
    min_ascent, min_descent = _font_heights(fontManager._find_fonts_by_props(prop)[0], prop.get_size_in_points(),
                                            dpi)
    width, height, descent = _get_text_metrics_with_cache(renderer, line, prop, False, dpi) if line else (0, 0, 0)
    ascent = max(height - descent, min_ascent)
    descent = max(descent, min_descent)
    # the same arithmetic as _get_layout's, so that the numbers are the same to the last bit
    line_y = 0.0 - ascent
    y_min, y_max = line_y - descent, 0.0
    box_height = y_max - y_min
    halign, valign = helper.get_horizontalalignment(), helper.get_verticalalignment()
    offset_x = {"left": 0.0, "right": width, "center": (0 + width) / 2}[halign]
    offset_y = {"bottom": y_min, "top": y_max, "center": (y_min + y_max) / 2, "baseline": y_min + descent,
                "center_baseline": y_min + box_height - ascent / 2}[valign]
    x0, y0 = 0 - offset_x, y_min - offset_y
    return [(line, False, 0.0 - offset_x, line_y - offset_y)], (x0, y0, x0 + width, y0 + box_height)


class _Style:
    """How one kind of tick (major or minor) looks, copied from a Tick of the Axis."""

    def __init__(self, tick, figure):
        # tick1 and label1 sit at axes coordinate 0 across the axis (left, bottom), tick2 and label2 at 1
        self.marks = [(_copy_line(line, figure), across)
                      for line, across in ((tick.tick1line, 0.0), (tick.tick2line, 1.0)) if line.get_visible()]
        self.grid = _copy_line(tick.gridline, figure) if tick.gridline.get_visible() else None
        self.labels = []  # (helper Text, transform to the label's anchor in pixels, across)
        for text, across in ((tick.label1, 0.0), (tick.label2, 1.0)):
            if text.get_visible():
                helper = Text(0.0, 0.0)
                helper.update_from(text)
                helper.set_figure(figure)
                helper.set_transform(IdentityTransform())
                self.labels.append((helper, text.get_transform(), across))


def _copy_line(line: Line2D, figure) -> Line2D:
    copy = Line2D([], [])
    copy.update_from(line)  # style, transform and clipping (grid lines are clipped to the axes)
    copy.set_figure(figure)
    return copy


class LiveTicks(Artist):
    """The ticks, tick labels and grid lines of one Axis, drawn as one dynamic artist. Chapter 01 (dashboards).

    LiveTicks(axis, widest=None) takes over the ticks of `axis` (ax.xaxis or ax.yaxis of a
    rectilinear Axes, its scale, locators, formatters and tick style already set): it adds itself
    to the Axes, turns the Axis' own ticks, tick labels, grid lines and offset text off and moves
    the axis label out by the room the tick labels need. Declare it dynamic in
    LayeredFigure.set_layers. It draws what the Axis would draw for the current limits, with
    mathtext powers as plain text (plain_tick_label).

    Inputs:
        axis: the Axis to take over.
        widest: a tick label at least as wide (y axis) as any the axis will show, e.g. "10⁻⁶⁰",
            to keep the axis label clear of it; None: the widest label at the current limits.
    Attributes:
        axis: the Axis.
    """

    def __init__(self, axis: Axis, widest: str | None = None):
        super().__init__()
        if not isinstance(axis, Axis) or axis.axis_name not in ("x", "y"):
            raise ValueError(f"axis: expected the x or y Axis of a rectilinear Axes, got {axis!r}")
        self.axis = axis
        ax = axis.axes
        figure = ax.get_figure(root=True)
        self._styles = {"major": _Style(axis.get_major_ticks(1)[0], figure),
                        "minor": _Style(axis.get_minor_ticks(1)[0], figure)}
        self._offset = Text(0.0, 0.0)  # the formatter's offset ("1e-5"), where the Axis puts it
        self._offset.update_from(axis.offsetText)
        self._offset.set_figure(figure)
        self._offset.set_transform(IdentityTransform())
        self._offset_on = axis.offsetText.get_visible()
        self._layouts: dict = {}  # (helper id, label, dpi) -> (lines to draw, bbox offsets)
        self._states: OrderedDict = OrderedDict()  # limits -> what to draw
        ax.add_artist(self)
        self.set_clip_on(False)  # labels lie outside the axes; grid lines keep their own clipping
        self.set_zorder(axis.get_zorder())
        self.set_in_layout(False)  # the room is made by the axis label's pad (below)
        room = self._room(widest)
        axis.set_tick_params(which="both", tick1On=False, tick2On=False, label1On=False, label2On=False,
                             gridOn=False)
        axis.offsetText.set_visible(False)
        axis.labelpad += room

    # ---- what to draw ----------------------------------------------------------------------------

    def _locations(self) -> dict:
        """Tick positions and labels in view, as matplotlib's Axis._update_ticks chooses them."""
        axis = self.axis
        major = np.asarray(axis.get_major_locator()(), dtype=float)
        minor = np.asarray(axis.get_minor_locator()(), dtype=float)
        scale = axis.get_transform()
        low, high = sorted(scale.transform(np.asarray(axis.get_view_interval(), dtype=float)))
        tolerance = (high - low) * 1e-5
        if axis.remove_overlapping_locs and major.size and minor.size:
            close = np.isclose(scale.transform(minor)[:, None], scale.transform(major)[None, :],
                               atol=tolerance, rtol=0).any(axis=1)
            minor = minor[~close]
        found = {}
        for which, locs, formatter in (("major", major, axis.get_major_formatter()),
                                       ("minor", minor, axis.get_minor_formatter())):
            labels = [plain_tick_label(s) for s in formatter.format_ticks(locs)] if locs.size else []
            with np.errstate(invalid="ignore", divide="ignore"):
                placed = scale.transform(locs) if locs.size else locs
            inside = (placed >= low - tolerance) & (placed <= high + tolerance)  # as _interval_contains_close
            found[which] = (locs[inside], [s for s, keep in zip(labels, inside, strict=True) if keep])
        offset = axis.get_major_formatter().get_offset() if self._offset_on else ""
        return {"ticks": found, "offset": offset}

    def _state(self, renderer) -> dict:
        axis = self.axis
        ax = axis.axes
        key = (ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(), ax.bbox.bounds, renderer.dpi,
               id(axis.get_major_locator()), id(axis.get_minor_locator()),
               id(axis.get_major_formatter()), id(axis.get_minor_formatter()))
        if key in self._states:
            self._states.move_to_end(key)
            return self._states[key]
        state = self._locations()
        self._states[key] = state
        if len(self._states) > _MAX_STATES:
            self._states.popitem(last=False)
        return state

    def _points(self, locs: np.ndarray, across: float) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) data of points at `locs` along the axis and `across` in axes coordinates."""
        side = np.full(locs.shape, across)
        return (locs, side) if self.axis.axis_name == "x" else (side, locs)

    def _layout(self, helper: Text, label: str, renderer):
        """matplotlib's layout of one label, relative to its anchor: ([(line, ismath, dx, dy)], bbox)."""
        key = (id(helper), label, renderer.dpi)
        if key not in self._layouts:
            helper.set_text(label)
            clean, ismath = helper._preprocess_math(label)
            if _plain_line(helper, label, ismath):
                self._layouts[key] = _line_layout(helper, clean, renderer)
            else:
                box, info, _ = helper._get_layout(renderer)  # the layout Text.draw uses
                lines = [(*helper._preprocess_math(line), x, y) for line, _, (x, y) in info]
                self._layouts[key] = (lines, box.extents)
        return self._layouts[key]

    # ---- drawing ---------------------------------------------------------------------------------

    def draw(self, renderer):
        if not self.get_visible():
            return
        state = self._state(renderer)
        for which, (locs, labels) in state["ticks"].items():
            style = self._styles[which]
            if style.grid is not None and locs.size:
                across = np.tile([0.0, 1.0, np.nan], locs.size)
                along = np.repeat(locs, 3)
                style.grid.set_data(*((along, across) if self.axis.axis_name == "x" else (across, along)))
                style.grid.draw(renderer)
            for mark, across in style.marks:
                mark.set_data(*self._points(locs, across))
                mark.draw(renderer)
            for helper, anchor, across in style.labels:
                self._draw_labels(renderer, helper, anchor, self._points(locs, across), labels)
        if state["offset"]:
            self._draw_offset(renderer, state["offset"])

    def _draw_labels(self, renderer, helper: Text, anchor, points: tuple, labels: list) -> None:
        """Draw labels[k] at points[k] (x, y data of the anchors, through `anchor` to pixels)."""
        if not labels:
            return
        positions = anchor.transform(np.column_stack(points))  # (n, 2) display pixels
        _, height = renderer.get_canvas_width_height()
        gc = renderer.new_gc()
        gc.set_foreground(helper.get_color())
        gc.set_alpha(helper.get_alpha())
        gc.set_antialiased(helper._antialiased)
        prop = helper.get_fontproperties()
        for (x, y), label in zip(positions, labels, strict=True):
            if not label or not np.isfinite(x) or not np.isfinite(y):
                continue
            lines, _ = self._layout(helper, label, renderer)
            mtext = helper if len(lines) == 1 else None
            for line, ismath, dx, dy in lines:
                line_y = y + dy
                if renderer.flipy():
                    line_y = height - line_y
                renderer.draw_text(gc, x + dx, line_y, line, prop, 0.0, ismath=ismath, mtext=mtext)
        gc.restore()

    def _draw_offset(self, renderer, offset: str) -> None:
        """The formatter's offset text where matplotlib's Axis puts it (above a y axis, under an x axis)."""
        ax = self.axis.axes
        pad = self.axis.OFFSETTEXTPAD * renderer.dpi / 72.0
        if self.axis.axis_name == "y":
            x, y = ax.bbox.x0, ax.bbox.y1 + pad
            self._offset.set_horizontalalignment("left")
            self._offset.set_verticalalignment("baseline")
        else:
            x, y = ax.bbox.x1, self._label_bottom(renderer) - pad
            self._offset.set_horizontalalignment("right")
            self._offset.set_verticalalignment("top")
        self._offset.set_text(offset)
        self._offset.set_position((x, y))
        self._offset.draw(renderer)

    def _label_bottom(self, renderer) -> float:
        boxes = self._label_boxes(renderer)
        return min((box.y0 for box in boxes), default=self.axis.axes.bbox.y0)

    # ---- extent and room -------------------------------------------------------------------------

    def _label_boxes(self, renderer) -> list[Bbox]:
        state = self._state(renderer)
        boxes = []
        for which, (locs, labels) in state["ticks"].items():
            for helper, anchor, across in self._styles[which].labels:
                if not labels:
                    continue
                positions = anchor.transform(np.column_stack(self._points(locs, across)))  # (n, 2) pixels
                for (x, y), label in zip(positions, labels, strict=True):
                    if label and np.isfinite(x) and np.isfinite(y):
                        x0, y0, x1, y1 = self._layout(helper, label, renderer)[1]
                        boxes.append(Bbox.from_extents(x + x0, y + y0, x + x1, y + y1))
        return boxes

    def get_window_extent(self, renderer=None):
        if renderer is None:
            renderer = self.axis.axes.get_figure(root=True)._get_renderer()
        boxes = self._label_boxes(renderer)
        return Bbox.union(boxes) if boxes else Bbox.null()

    def _room(self, widest: str | None) -> float:
        """Points between the spine and the axis label that the tick labels need (with their pad)."""
        renderer = self.axis.axes.get_figure(root=True)._get_renderer()
        tick = self.axis.get_major_ticks(1)[0]
        pad = tick.get_pad() + tick.get_tick_padding()  # points from the spine to a label
        if not self._styles["major"].labels:
            return 0.0
        helper = self._styles["major"].labels[0][0]
        if widest is None:
            boxes = self._label_boxes(renderer)
            size = max(((b.width if self.axis.axis_name == "y" else b.height) for b in boxes), default=0.0)
        else:
            x0, y0, x1, y1 = self._layout(helper, widest, renderer)[1]
            size = (x1 - x0) if self.axis.axis_name == "y" else (y1 - y0)
        return pad + size * 72.0 / renderer.dpi
