"""What a LayeredFigure keeps, and when it must render again (chapter 01 dashboards).

The background is keyed by the view limits that some static artist reads (bplib.widgets._limits),
and each overlay artist's sprite by what that artist reads. These tests change limits and
artists and assert two things every time: the picture is the one a full draw in matplotlib's
order paints (never a stale background), and nothing is rendered again that did not need to be.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.offsetbox import AnchoredText
from pixels import reference_pixels

from bplib.widgets._layered import LayeredFigure
from bplib.widgets._limits import EVERYTHING, artist_limits, static_limits


def canvas_pixels(fig) -> np.ndarray:
    return np.asarray(fig.canvas.get_renderer().buffer_rgba()).copy()



def assert_draw_is_current(fig) -> None:
    """Draw the figure the fast way; it must paint what a full draw paints (to rounding of pasted edges)."""
    fig.canvas.draw()
    difference = np.abs(canvas_pixels(fig).astype(int) - reference_pixels(fig).astype(int))
    assert difference.max() <= 3


def blank_ticks(axis) -> None:
    """Switch off everything an Axis draws that moves with its limits (as LiveTicks does)."""
    axis.set_tick_params(which="both", tick1On=False, tick2On=False, label1On=False, label2On=False,
                         gridOn=False)
    axis.offsetText.set_visible(False)


def figure_with_a_curve():
    fig, ax = plt.subplots(figsize=(3, 2), FigureClass=LayeredFigure)
    (curve,) = ax.plot([0, 1, 2], [0, 2, 1], lw=3)
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    return fig, ax, curve


def set_layers(fig, dynamic, overlay=()) -> None:
    """As the dashboards do: the frames go on top of the dynamic artists (they cover them in zorder)."""
    frames = [spine for ax in fig.axes for spine in ax.spines.values()]
    fig.set_layers(dynamic=dynamic, overlay=[*overlay, *frames])


# ---- the background follows the limits static artists read ------------------------------------
def test_a_limit_a_static_artist_reads_renders_the_background_again():
    fig, ax, curve = figure_with_a_curve()
    blank_ticks(ax.xaxis)
    blank_ticks(ax.yaxis)  # so that the line alone ties the background to the limits
    ax.plot([0, 2], [1, 1], color="black", lw=4, zorder=1)  # static, in data coordinates, under the curve
    set_layers(fig, dynamic=[curve])
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    ax.set_ylim(-1, 3)  # the static line moves on screen
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1
    ax.set_ylim(0, 2)  # back: that background was kept
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1


def test_limits_only_dynamic_artists_read_keep_the_background():
    fig, ax, curve = figure_with_a_curve()
    blank_ticks(ax.yaxis)
    ax.set_ylabel("size")  # the label alone does not move with the limits
    set_layers(fig, dynamic=[curve])
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    for top in (3.0, 5.0, 0.5):
        ax.set_ylim(0, top)
        assert_draw_is_current(fig)
    assert fig.layer_renders == renders
    ax.set_xlim(0, 4)  # the x axis still draws its ticks
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1


def test_a_blended_transform_reads_only_its_data_direction():
    fig, ax, curve = figure_with_a_curve()
    blank_ticks(ax.xaxis)
    blank_ticks(ax.yaxis)
    ax.axhline(1.0, color="black", lw=4, zorder=1)  # x in axes coordinates, y in data coordinates
    set_layers(fig, dynamic=[curve])
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    ax.set_xlim(0, 5)
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders
    ax.set_ylim(0, 5)
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1


def test_an_artist_in_another_axes_coordinates_follows_that_axes():
    fig, (left, right) = plt.subplots(1, 2, figsize=(4, 2), FigureClass=LayeredFigure)
    (curve,) = right.plot([0, 1], [0, 1])
    for ax in (left, right):
        blank_ticks(ax.xaxis)
        blank_ticks(ax.yaxis)
    # drawn in the left panel, placed by the right panel's data coordinates
    left.plot([0.2, 0.8], [0.5, 0.5], transform=right.transData, color="black", lw=4, clip_on=False, zorder=1)
    set_layers(fig, dynamic=[curve])
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    right.set_ylim(0, 3)
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1


def test_artists_the_analysis_does_not_know_read_every_limit():
    fig, ax, curve = figure_with_a_curve()
    blank_ticks(ax.xaxis)
    blank_ticks(ax.yaxis)
    box = ax.add_artist(AnchoredText("a note", loc="upper left"))
    owners = {id(ax.transLimits): ax}
    assert artist_limits(box, owners) == EVERYTHING
    set_layers(fig, dynamic=[curve])
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    ax.set_ylim(0, 4)
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1


@pytest.mark.parametrize(("loc", "reads_limits"), [("best", True), ("upper right", False)], ids=["best", "fixed"])
def test_a_legend_placed_best_reads_the_data_limits(loc, reads_limits):
    fig, ax, curve = figure_with_a_curve()
    legend = ax.legend(["curve"], loc=loc)
    owners = {id(ax.transLimits): ax}
    assert (artist_limits(legend, owners) == EVERYTHING) is reads_limits
    assert artist_limits(legend, owners) in (EVERYTHING, set())


def test_a_title_reads_the_x_limits_when_the_x_ticks_are_on_top():
    fig, ax, _ = figure_with_a_curve()
    ax.set_title("title")
    owners = {id(ax.transLimits): ax}
    assert artist_limits(ax.title, owners) == set()
    ax.xaxis.tick_top()  # matplotlib lifts the title above the tick labels
    assert artist_limits(ax.title, owners) == {(ax, "x")}


def test_the_static_limits_of_a_plain_figure():
    fig, ax, curve = figure_with_a_curve()
    others = [a for a in fig.get_children() if a is not ax]
    assert static_limits([ax], others, skip={id(curve)}) == {(ax, "x"), (ax, "y")}  # both axes draw ticks
    blank_ticks(ax.yaxis)
    assert static_limits([ax], others, skip={id(curve)}) == {(ax, "x")}
    assert static_limits([ax], others, skip=set()) == {(ax, "x"), (ax, "y")}  # the curve, if it were static


# ---- set_layers and the overlay ----------------------------------------------------------------
def test_replacing_a_dynamic_artist_keeps_the_background():
    fig, ax, curve = figure_with_a_curve()
    set_layers(fig, dynamic=[curve])
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    curve.remove()
    (other,) = ax.plot([0, 2], [2, 0], lw=3, color="tab:red")
    set_layers(fig, dynamic=[other])
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders


def test_an_artist_that_becomes_static_renders_the_background_again():
    fig, ax, curve = figure_with_a_curve()
    (other,) = ax.plot([0, 2], [2, 0], lw=3, color="tab:red", zorder=1)  # under the curve, as background must be
    set_layers(fig, dynamic=[curve, other])
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    set_layers(fig, dynamic=[curve])  # `other` stays in the figure, now as background
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1


def test_overlay_sprites_are_kept_per_artist_and_follow_their_limits():
    fig, ax, curve = figure_with_a_curve()
    blank_ticks(ax.yaxis)
    dots = [ax.scatter([0.5, 1.5], [y, y], s=200, color=colour, zorder=3) for y, colour in ((0.5, "k"), (1.5, "g"))]
    dots[1].remove()
    set_layers(fig, dynamic=[curve], overlay=[dots[0]])
    assert_draw_is_current(fig)
    sprites, renders = fig.overlay_renders, fig.layer_renders
    dots[0].remove()
    ax.add_collection(dots[1], autolim=False)
    set_layers(fig, dynamic=[curve], overlay=[dots[1]])  # another overlay artist: its own sprite
    assert_draw_is_current(fig)
    assert fig.overlay_renders == sprites + 1
    dots[1].remove()
    ax.add_collection(dots[0], autolim=False)
    set_layers(fig, dynamic=[curve], overlay=[dots[0]])  # back: its sprite was kept
    assert_draw_is_current(fig)
    assert fig.overlay_renders == sprites + 1
    assert fig.layer_renders == renders  # the static artists never changed
    ax.set_ylim(0, 3)  # the dots sit in data coordinates: a new sprite, the background stays
    assert_draw_is_current(fig)
    assert fig.overlay_renders == sprites + 2
    assert fig.layer_renders == renders


def test_invalidate_layers_renders_both_again():
    fig, ax, curve = figure_with_a_curve()
    set_layers(fig, dynamic=[curve])
    assert_draw_is_current(fig)
    renders, sprites = fig.layer_renders, fig.overlay_renders
    ax.spines["left"].set_color("tab:red")
    ax.set_title("a new title")
    fig.invalidate_layers()
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1 and fig.overlay_renders == sprites + 4


def test_each_named_static_state_keeps_its_own_background():
    fig, ax, curve = figure_with_a_curve()
    set_layers(fig, dynamic=[curve])
    fig.set_static_state("a")
    assert_draw_is_current(fig)
    renders = fig.layer_renders
    ax.set_title("state b")  # a static artist changes: the dashboard names the new state
    fig.set_static_state("b")
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1
    ax.set_title("")
    fig.set_static_state("a")  # back to a state shown before: its pixels, no render
    assert_draw_is_current(fig)
    assert fig.layer_renders == renders + 1
    with pytest.raises(TypeError):
        fig.set_static_state(["unhashable"])
