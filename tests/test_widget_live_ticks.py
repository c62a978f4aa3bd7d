"""LiveTicks: an Axis' ticks drawn as one dynamic artist (chapter 01 dashboards).

It must show what matplotlib's own Axis shows for the same limits (the same pixels on a linear
axis; the same ticks, with mathtext powers as plain text, on a log axis), keep the axis label
clear of the tick labels, and let a LayeredFigure keep its background while the limits move.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from pixels import reference_pixels

from bplib.widgets._layered import LayeredFigure
from bplib.widgets._live_ticks import LiveTicks, plain_tick_label


def pixels(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.get_renderer().buffer_rgba()).copy()



def panel(scale="linear", ylim=(0.0, 1.5), grid=False, live=False, widest=None):
    fig, ax = plt.subplots(figsize=(4, 3), FigureClass=LayeredFigure)
    fig.subplots_adjust(left=0.3, bottom=0.2)
    (curve,) = ax.plot([1, 2], [1, 2])
    ax.set_yscale(scale)
    ax.set_ylim(*ylim)
    ax.set_xlabel("step")
    ax.set_ylabel("gradient")
    if grid:
        ax.grid(True, alpha=0.3)
    ticks = [LiveTicks(ax.xaxis), LiveTicks(ax.yaxis, widest=widest)] if live else []
    return fig, ax, curve, ticks


def drawn_ticks(axis, which: str) -> list:
    """The labelled ticks matplotlib's own Axis draws (Axis._update_ticks chooses them), bottom to top."""
    ticks = axis._update_ticks()
    kind = axis.get_major_ticks() if which == "major" else axis.get_minor_ticks()
    return [t for t in ticks if any(t is k for k in kind) and t.label1.get_text()]


def shown_labels(ticks: LiveTicks, which: str = "major") -> list[str]:
    """The non-empty labels LiveTicks draws at the current limits, bottom to top."""
    renderer = ticks.axis.axes.get_figure(root=True).canvas.get_renderer()
    return [label for label in ticks._state(renderer)["ticks"][which][1] if label]


@pytest.mark.parametrize(("label", "plain"), [
    ("$\\mathdefault{10^{-5}}$", "10⁻⁵"),
    ("$\\mathdefault{10^{0}}$", "10⁰"),
    ("$\\mathdefault{10^{12}}$", "10¹²"),
    ("$\\mathdefault{2\\times10^{-1}}$", "2×10⁻¹"),
    ("$\\mathdefault{-3}$", "−3"),
    ("0.25", "0.25"),
    ("$\\mathdefault{\\alpha}$", "$\\mathdefault{\\alpha}$"),  # not a plain number: left to mathtext
], ids=["power", "zero-power", "two-digits", "mantissa", "number", "plain", "other-math"])
def test_plain_tick_labels(label, plain):
    assert plain_tick_label(label) == plain


@pytest.mark.parametrize("grid", [False, True], ids=["no-grid", "grid"])
def test_a_linear_axis_looks_exactly_like_matplotlibs(grid):
    own, *_ = panel(grid=grid)
    live, *_ = panel(grid=grid, live=True)
    assert np.abs(pixels(own).astype(int) - pixels(live).astype(int)).max() <= 3


def test_a_log_axis_shows_matplotlibs_ticks_as_plain_text():
    own, own_ax, *_ = panel("log", (1e-5, 10.0))
    live, _, _, ticks = panel("log", (1e-5, 10.0), live=True)
    pixels(own)
    expected = [plain_tick_label(t.label1.get_text()) for t in drawn_ticks(own_ax.yaxis, "major")]
    pixels(live)
    assert shown_labels(ticks[1]) == expected
    assert "10⁻⁵" in expected and "10¹" in expected


def test_minor_labels_of_a_short_log_axis_are_shown_too():
    own, own_ax, *_ = panel("log", (0.4, 2.5))
    live, _, _, ticks = panel("log", (0.4, 2.5), live=True)
    pixels(own)
    minor = [plain_tick_label(t.label1.get_text()) for t in drawn_ticks(own_ax.yaxis, "minor")]
    pixels(live)
    assert minor and minor == shown_labels(ticks[1], "minor")


def test_moving_limits_keep_the_background_and_show_the_new_ticks():
    fig, ax, curve, ticks = panel("log", (1e-3, 10.0), grid=True, live=True, widest="10⁻⁸⁸")
    fig.set_layers(dynamic=[curve, *ticks], overlay=list(ax.spines.values()))
    pixels(fig)
    renders = fig.layer_renders
    for low in (1e-9, 1e-40, 1e-2):
        ax.set_ylim(low, 10.0)
        frame = pixels(fig)
        assert np.abs(frame.astype(int) - reference_pixels(fig).astype(int)).max() <= 3
    assert fig.layer_renders == renders
    assert shown_labels(ticks[1])[-1] == "10¹"


def test_the_axis_label_keeps_clear_of_the_widest_label():
    fig, ax, curve, ticks = panel("log", (1e-88, 10.0), live=True, widest="10⁻⁸⁸")
    pixels(fig)
    renderer = fig.canvas.get_renderer()
    label_box = ax.yaxis.label.get_window_extent(renderer)
    tick_boxes = ticks[1]._label_boxes(renderer)
    assert tick_boxes and label_box.x1 <= min(box.x0 for box in tick_boxes)
    # the live labels count in the figure's tight box (savefig(bbox_inches="tight"))
    assert fig.get_tightbbox(renderer).x0 * fig.dpi <= min(box.x0 for box in tick_boxes) + 1


def test_the_axis_no_longer_draws_what_moves():
    fig, ax, _, ticks = panel(live=True)
    tick = ax.yaxis.get_major_ticks(1)[0]
    assert not any(part.get_visible() for part in (tick.tick1line, tick.label1, tick.gridline))
    assert not ax.yaxis.offsetText.get_visible()
    assert ticks[1] in ax.get_children()


def test_the_layout_of_a_plain_label_is_matplotlibs_to_the_last_bit():
    from matplotlib.text import Text
    from matplotlib.transforms import IdentityTransform

    from bplib.widgets._live_ticks import _line_layout

    fig, _ = plt.subplots()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ha in ("left", "right", "center"):
        for va in ("bottom", "top", "center", "baseline", "center_baseline"):
            for label in ("10⁻⁴⁵", "0.25", "−0.75", "Wg", "", "ÅÉ", "2×10⁻¹"):
                for size in (7, 10, 13.5):
                    text = Text(0, 0, label, ha=ha, va=va, fontsize=size)
                    text.set_figure(fig)
                    text.set_transform(IdentityTransform())
                    box, info, _ = text._get_layout(renderer)
                    lines, extents = _line_layout(text, label, renderer)
                    assert lines == [(line, False, x, y) for line, _, (x, y) in info]
                    assert tuple(extents) == tuple(box.extents)


def test_live_ticks_take_only_rectilinear_axes():
    fig = plt.figure()
    polar = fig.add_subplot(projection="polar")
    with pytest.raises(ValueError, match="x or y Axis"):
        LiveTicks(polar.xaxis)
    with pytest.raises(ValueError, match="x or y Axis"):
        LiveTicks("y")
