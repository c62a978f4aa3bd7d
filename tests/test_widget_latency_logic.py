"""Redraw logic of the dashboards under ipympl, headless (chapters 01 and 02).

No browser and no timing (benchmarks/latency_kernel.py times it): a stand-in for ipympl's
JavaScript model plays the browser's side of the protocol, so these tests can assert that
  - a burst of slider changes costs one "draw" message and one render, not one per change;
  - the image the browser ends up with is the one of the last value, and nothing is left
    queued behind it;
  - the fast layered drawing (bplib.widgets._layered) paints the same pixels as matplotlib's
    own drawing of the whole figure, and its text looks like matplotlib's to within a pixel.
"""

from __future__ import annotations

import io
import json

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.transforms import IdentityTransform
from PIL import Image
from pixels import reference_pixels

import bplib.widgets._base as base
from bplib.activations import sigmoid, sigmoid_prime
from bplib.drawing.graph import backward_trace
from bplib.widgets import backward_stepper, graph_dashboard, sigmoid_dashboard
from bplib.widgets._layered import LayeredFigure, TextSprites
from bplib.widgets.sigmoid import SLOPE_AXIS_STEP, slope_axis_top

IPYMPL = "module://ipympl.backend_nbagg"
BURST = 50


@pytest.fixture
def ipympl(monkeypatch):
    """Figures made inside the test get ipympl canvases (widgets), as under %matplotlib widget.

    The repeat of an unanswered redraw request (after REDRAW_RETRY_S of wall-clock time) is
    switched off, so a burst that a busy machine stretches past a second still counts one
    request; test_an_unanswered_request_is_repeated_after_a_while drives that repeat itself.
    """
    monkeypatch.setattr(base, "REDRAW_RETRY_S", float("inf"))
    previous = matplotlib.get_backend()
    plt.switch_backend(IPYMPL)
    yield
    plt.close("all")
    plt.switch_backend(previous)


class FrontEnd:
    """ipympl's JavaScript canvas model, reduced to its drawing protocol (mpl_widget.ts).

    The kernel's messages arrive through the canvas's comm `send`; the browser's replies go
    to `requests`, and `serve()` lets the kernel handle them, as its event loop would after
    the current message. Diff images are painted over the previous picture like the browser
    does, so `picture` is what the user sees.
    """

    def __init__(self, canvas):
        self.canvas = canvas
        self.waiting_for_image = False
        self.requests: list[dict] = []
        self.draw_messages = 0
        self.images = 0
        self.picture: np.ndarray | None = None
        canvas.send = self._receive
        for content in ({"type": "initialized"}, {"type": "refresh"}):  # a new view says so
            canvas._handle_message(canvas, content, [])
        self.serve()

    def _receive(self, content, buffers=None):
        message = json.loads(content["data"])
        if message["type"] == "draw":
            self.draw_messages += 1
            if not self.waiting_for_image:
                self.waiting_for_image = True
                self.requests.append({"type": "draw"})
        elif message["type"] == "binary":
            self.images += 1
            self.waiting_for_image = False
            image = np.asarray(Image.open(io.BytesIO(bytes(buffers[0]))).convert("RGBA"))
            # the mode reaches the browser as the _image_mode trait, synced before the image
            if self.canvas._image_mode == "full" or self.picture is None:
                self.picture = image
            else:  # diff: transparent pixels are unchanged
                self.picture = np.where(image[:, :, 3:] > 0, image, self.picture)

    def serve(self) -> None:
        while self.requests:
            self.canvas._handle_message(self.canvas, self.requests.pop(0), [])


def canvas_pixels(canvas) -> np.ndarray:
    """A copy of what the canvas's renderer holds (savefig may draw into the same buffer)."""
    return np.asarray(canvas.get_renderer().buffer_rgba()).copy()



def plain_pixels(fig) -> np.ndarray:
    """The figure drawn by savefig: matplotlib's own drawing of every artist, text included."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return np.asarray(Image.open(buf).convert("RGBA"))


def assert_same_picture(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    # Pasting stored pixels instead of drawing them again rounds anti-aliased edges
    # differently by at most a couple of levels out of 255; a wrong picture differs by far more.
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 3


def burst_values(slider, n=BURST):
    """n values of the slider, each different from the one before, jumping across its range."""
    positions = int(round((slider.max - slider.min) / slider.step)) + 1
    picks = [(7 * k + 3) % positions for k in range(n)]
    values = [slider.min + p * slider.step for p in picks]
    if isinstance(slider.value, int):
        return [int(v) for v in values]
    return [round(v, 10) for v in values]


DASHBOARDS = [
    (sigmoid_dashboard, "z"),
    (sigmoid_dashboard, "c"),
    (graph_dashboard, "x0"),
    (graph_dashboard, "w2"),
    (backward_stepper, "step"),
]


# ---- bursts of changes -------------------------------------------------------------
@pytest.mark.parametrize("make, name", DASHBOARDS)
def test_a_burst_of_changes_costs_one_render_of_the_last_value(ipympl, make, name):
    dash = make()
    front = FrontEnd(dash.fig.canvas)
    slider = dash.controls[name]
    messages, images, updates = front.draw_messages, front.images, dash.updates
    values = burst_values(slider)
    for v in values:  # the kernel is busy with the burst: the browser's request waits
        slider.value = v
    assert dash.updates == updates + BURST  # every change updated the artists at once
    assert front.draw_messages == messages + 1  # but asked for one new image
    assert front.requests == [{"type": "draw"}]
    front.serve()
    assert front.images == images + 1  # one render, after the last change
    assert not front.requests and not front.waiting_for_image  # nothing left queued
    assert dash.values()[name] == values[-1]
    # what the browser shows is the last value's figure
    reference = make(**({} if name == "step" else {name: values[-1]}))
    if name == "step":
        reference.set(step=values[-1])
    assert_same_picture(front.picture, reference_pixels(reference.fig))


def test_sigmoid_burst_ends_with_the_last_values_maths(ipympl):
    dash = sigmoid_dashboard()
    front = FrontEnd(dash.fig.canvas)
    for k in range(BURST):
        dash.controls["z"].value = round(-8.0 + 0.3 * k, 10)
        dash.controls["c"].value = round(0.1 + 0.1 * (k % 49), 10)
    front.serve()
    z, c = dash.values()["z"], dash.values()["c"]
    art = dash.artists
    assert art["point"].get_ydata()[0] == pytest.approx(sigmoid(c * z), rel=1e-15)
    assert art["marker"].get_ydata()[0] == pytest.approx(c * sigmoid_prime(c * z), rel=1e-15)
    assert list(art["z_line_da"].get_xdata()) == [z, z]
    assert f"<code>{z:.4f}</code>" in dash.readout.value
    assert f"<code>{c * sigmoid_prime(c * z):.4f}</code>" in dash.readout.value
    assert front.images == 2  # the first picture, then one for the whole burst


def test_stepper_burst_ends_on_the_last_step(ipympl):
    dash = backward_stepper()
    front = FrontEnd(dash.fig.canvas)
    trace = backward_trace(dash.root)
    for k in [*range(len(trace) + 1), *range(len(trace), -1, -1), 4, 7, 3]:
        dash.controls["step"].value = k
    front.serve()
    node, g = trace[2]
    assert dash.drawing.current == dash.drawing.index_of(node)
    assert dash.drawing.texts[dash.drawing.current].get_text().endswith(f"grad {g:.4f}")
    assert "Step 3 of 10" in dash.readout.value
    assert front.images == 2


@pytest.mark.parametrize("make, name", DASHBOARDS)
def test_changes_interleaved_with_renders_never_fall_behind(ipympl, make, name):
    """The kernel renders between changes now and then, as it does while a slider is dragged."""
    dash = make()
    front = FrontEnd(dash.fig.canvas)
    slider = dash.controls[name]
    images, messages = front.images, front.draw_messages
    values = burst_values(slider)
    for k, v in enumerate(values):
        slider.value = v
        if k % 5 == 4:  # the browser's request reaches the kernel after every fifth change
            front.serve()
            assert not front.requests
    front.serve()
    renders = front.images - images
    assert renders <= BURST // 5 + 1
    assert front.draw_messages - messages == renders  # one message per render, no more
    assert not front.requests and not front.waiting_for_image
    assert dash._draw_requested_at is None  # nothing unanswered: the next change asks again
    assert_same_picture(front.picture, canvas_pixels(dash.fig.canvas))
    assert_same_picture(front.picture, reference_pixels(dash.fig))


def test_an_unanswered_request_is_repeated_after_a_while(ipympl, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(base.time, "monotonic", lambda: clock[0])
    dash = sigmoid_dashboard()  # no front end: the first request is never answered
    requests = dash.redraw_requests
    dash.controls["z"].value = 1.0
    assert dash.redraw_requests == requests  # still waiting for the first one
    clock[0] += base.REDRAW_RETRY_S + 0.01
    dash.controls["z"].value = 2.0
    assert dash.redraw_requests == requests + 1
    dash.fig.canvas.draw()  # a render answers it
    dash.controls["z"].value = 3.0
    assert dash.redraw_requests == requests + 2


def test_agg_dashboards_update_without_rendering():
    """Without ipympl (tests, scripts) a burst updates the artists and renders nothing."""
    dash = graph_dashboard()
    assert not isinstance(dash.fig.canvas, base.widgets.DOMWidget)
    layered = dash.fig.layered_draws
    for v in burst_values(dash.controls["x1"]):
        dash.controls["x1"].value = v
    assert dash.fig.layered_draws == layered
    assert dash.redraw_requests == 0
    x1 = dash.values()["x1"]
    assert dash.drawing.text_of(dash.drawing.nodes[4]).split("\n")[1] == f"data {x1:.4f}"


# ---- a layered draw paints what a full draw in matplotlib's order paints ------------
@pytest.mark.parametrize("make, name, values", [
    (sigmoid_dashboard, "z", [-7.5, 3.3, 8.0]),
    (sigmoid_dashboard, "c", [0.1, 1.2, 2.5, 5.0, 0.7]),
    (graph_dashboard, "x1", [-4.0, 1.5, 3.9]),
    (backward_stepper, "step", [0, 1, 5, 10, 3]),
])
def test_layered_frames_match_full_draws(ipympl, make, name, values):
    dash = make()
    canvas = dash.fig.canvas
    for v in values:
        dash.controls[name].value = v
        canvas.draw()
        assert_same_picture(canvas_pixels(canvas), reference_pixels(dash.fig))
    assert dash.fig.layered_draws == len(values)


def test_graph_dashboard_relayers_when_the_graph_changes_shape(ipympl):
    from bplib.graph import Value

    def branchy(a=1.0):
        x = Value(a, label="a")
        y = x.relu() if a > 0 else (x * x).tanh()
        y.label = "y"
        return y

    dash = graph_dashboard(branchy)
    canvas = dash.fig.canvas
    canvas.draw()
    dash.controls["a"].value = -0.5  # three nodes now
    canvas.draw()
    assert_same_picture(canvas_pixels(canvas), reference_pixels(dash.fig))


def test_sigmoid_keeps_one_background_per_slope_axis_range(ipympl):
    dash = sigmoid_dashboard()
    canvas = dash.fig.canvas
    canvas.draw()
    renders = dash.fig.layer_renders
    for z in (-5.0, 0.5, 6.0):  # z never changes the axes: no new background
        dash.controls["z"].value = z
        canvas.draw()
    assert dash.fig.layer_renders == renders
    tops = set()
    for c in (1.0, 1.5, 2.5, 1.5, 1.0, 2.5):
        dash.controls["c"].value = c
        canvas.draw()
        tops.add(dash.ax_da.get_ylim()[1])
    assert dash.fig.layer_renders == renders + len(tops) - 1  # each range rendered once


def test_changed_axis_limits_re_render_the_background(ipympl):
    dash = sigmoid_dashboard()
    canvas = dash.fig.canvas
    canvas.draw()
    renders = dash.fig.layer_renders
    dash.ax_a.set_xlim(-4.0, 4.0)  # e.g. a reader zooming from a notebook cell
    canvas.draw()
    assert dash.fig.layer_renders == renders + 1
    assert_same_picture(canvas_pixels(canvas), reference_pixels(dash.fig))


def test_slope_axis_top_steps():
    assert slope_axis_top(0.025) == SLOPE_AXIS_STEP  # never below one step
    assert slope_axis_top(0.25) == 0.3  # c = 1: the original 0.3
    assert slope_axis_top(0.3) == 0.6  # 1.15 * 0.3 = 0.345
    assert slope_axis_top(1.25) == 1.5  # c = 5
    for peak in np.linspace(0.025, 1.25, 50):
        top = slope_axis_top(peak)
        assert top >= 1.15 * peak
        assert top - 1.15 * peak < SLOPE_AXIS_STEP + 1e-12
        assert abs(top / SLOPE_AXIS_STEP - round(top / SLOPE_AXIS_STEP)) < 1e-9


# ---- the pieces --------------------------------------------------------------------
def test_text_sprites_paste_repeated_lines():
    fig, ax = plt.subplots(figsize=(3, 2), FigureClass=LayeredFigure)
    text = ax.text(0.5, 0.5, "header\ndata 1.0000", family="monospace")
    line = ax.plot([0, 1], [0, 1])[0]
    fig.set_layers(dynamic=[text, line])
    fig.canvas.draw()
    sprites = fig.text_sprites
    misses = sprites.misses
    fig.canvas.draw()
    assert sprites.misses == misses and sprites.hits >= 2  # both lines pasted
    text.set_text("header\ndata 2.0000")
    fig.canvas.draw()
    assert sprites.misses == misses + 1  # only the changed line is rendered
    assert_same_picture(canvas_pixels(fig.canvas), reference_pixels(fig))


def test_equal_plain_lines_share_one_bitmap_wherever_they_are():
    fig, ax = plt.subplots(figsize=(3, 2), FigureClass=LayeredFigure)
    ax.set_axis_off()
    pixels = IdentityTransform()  # positions in display pixels
    # a plain line is one bitmap placed on whole pixels: any offset, sub-pixel or not, shares it
    texts = [fig.text(x, y, "grad 0.1966", transform=pixels) for x, y in ((10.0, 60.0), (110.0, 60.0),
                                                                           (60.5, 100.25))]
    fig.set_layers(dynamic=texts)
    fig.canvas.draw()
    assert fig.text_sprites.misses == 1
    assert_same_picture(canvas_pixels(fig.canvas), reference_pixels(fig))


def test_equal_math_lines_on_the_same_sub_pixel_offset_share_pixels():
    fig, ax = plt.subplots(figsize=(3, 2), FigureClass=LayeredFigure)
    ax.set_axis_off()
    pixels = IdentityTransform()
    # mathtext is rendered at its position: x = 10.0 and 110.0 share their sub-pixel offset; 60.5 does not
    texts = [fig.text(x, 60.0, r"$\sigma'(z)$", transform=pixels) for x in (10.0, 110.0, 60.5)]
    fig.set_layers(dynamic=texts)
    fig.canvas.draw()
    assert fig.text_sprites.misses == 2
    assert_same_picture(canvas_pixels(fig.canvas), reference_pixels(fig))


def test_a_line_cut_by_the_canvas_edge_is_not_reused_elsewhere():
    fig, ax = plt.subplots(figsize=(3, 2), FigureClass=LayeredFigure)
    ax.set_axis_off()
    pixels = IdentityTransform()
    # mathtext is rendered on the scratch canvas, where the canvas's edge can cut it
    line = r"$\sigma'(z) = 0.1966$"
    cut = fig.text(-20.0, 60.0, line, transform=pixels)  # starts left of the canvas
    whole = fig.text(80.0, 60.0, line, transform=pixels, zorder=4)
    fig.set_layers(dynamic=[cut, whole])
    fig.canvas.draw()
    assert fig.text_sprites.misses == 2
    assert_same_picture(canvas_pixels(fig.canvas), reference_pixels(fig))


def test_text_sprites_forget_the_oldest_lines():
    fig, ax = plt.subplots(figsize=(3, 2), FigureClass=LayeredFigure)
    fig.text_sprites = TextSprites(max_sprites=3)
    text = ax.text(0.1, 0.5, "")
    fig.set_layers(dynamic=[text])
    for k in range(6):
        text.set_text(f"line {k}")
        fig.canvas.draw()
    assert len(fig.text_sprites._sprites) == 3
    with pytest.raises(ValueError, match="max_sprites"):
        TextSprites(max_sprites=0)


def test_set_layers_rejects_artists_of_another_figure():
    fig, ax = plt.subplots(FigureClass=LayeredFigure)
    _, other = plt.subplots()
    (line,) = other.plot([0, 1])
    with pytest.raises(ValueError, match="artists of this figure"):
        fig.set_layers(dynamic=[line])


def test_live_text_looks_like_matplotlib_text():
    """Lines rasterized whole (as matplotlib < 3.11 did) sit within a pixel of matplotlib's."""
    fig, ax = plt.subplots(figsize=(4, 3), FigureClass=LayeredFigure)
    ax.set_axis_off()
    lines = [("data -2.0000", "monospace", 8.5), ("grad 0.1966", "monospace", 10),
             ("backward pass: step 3 of 10", "sans-serif", 12), ("tangent at z", "sans-serif", 9)]
    texts = [ax.text(0.05 + 0.03 * k, 0.1 + 0.22 * k, s, family=family, fontsize=size)
             for k, (s, family, size) in enumerate(lines)]
    fig.set_layers(dynamic=texts)
    fig.canvas.draw()
    live, saved = canvas_pixels(fig.canvas), plain_pixels(fig)
    assert fig.text_sprites.misses == len(lines)
    for text in texts:
        box = text.get_window_extent(fig.canvas.get_renderer())
        height = live.shape[0]
        rows = slice(int(height - box.y1) - 3, int(height - box.y0) + 3)
        cols = slice(int(box.x0) - 3, int(box.x1) + 3)
        ink = [255 - image[rows, cols, :3].mean(axis=2) for image in (live, saved)]
        assert abs(ink[0].sum() - ink[1].sum()) <= 0.05 * ink[1].sum()  # as dark
        for axis in (0, 1):  # and in the same place, to within a pixel
            where = [np.flatnonzero(i.max(axis=axis) > 60) for i in ink]
            assert abs(where[0][0] - where[1][0]) <= 1
            assert abs(where[0][-1] - where[1][-1]) <= 1


def test_saving_draws_every_artist():
    fig, ax = plt.subplots(figsize=(2, 2), FigureClass=LayeredFigure)
    ax.set_axis_off()
    (line,) = ax.plot([0, 1], [0, 1], color="black", lw=8)
    fig.set_layers(dynamic=[line])
    saved = plain_pixels(fig)
    assert (saved[:, :, :3] < 50).any()  # the dynamic line is in the saved image
    fig.canvas.draw()
    assert fig.layered_draws == 1
    assert_same_picture(canvas_pixels(fig.canvas), saved)


# ---- the dashboards of chapters 03-07 ------------------------------------------------
def _later_dashboards():
    from bplib.widgets import (
        bptt_dashboard,
        delta_rule_dashboard,
        depth_dashboard,
        momentum_dashboard,
        network_dashboard,
    )
    from bplib.widgets.playground import playground

    return [
        (delta_rule_dashboard, "w1"),
        (network_dashboard, "W1_00"),
        (playground, "hidden"),
        (depth_dashboard, "depth"),
        (momentum_dashboard, "beta"),
        (bptt_dashboard, "k"),
        (bptt_dashboard, "scale"),
    ]


LATER = _later_dashboards()
LATER_IDS = [f"{make.__name__}-{name}" for make, name in LATER]


@pytest.mark.parametrize("make, name", LATER, ids=LATER_IDS)
def test_later_dashboards_burst_costs_one_render_of_the_last_value(ipympl, make, name):
    dash = make()
    front = FrontEnd(dash.fig.canvas)
    slider = dash.controls[name]
    messages, images, updates = front.draw_messages, front.images, dash.updates
    values = burst_values(slider)
    for v in values:
        slider.value = v
    assert dash.updates == updates + BURST
    assert front.draw_messages == messages + 1
    front.serve()
    assert front.images == images + 1
    assert not front.requests and not front.waiting_for_image
    assert dash.values()[name] == values[-1]
    reference = make()
    reference.set(**{name: values[-1]})
    assert reference.readout.value == dash.readout.value  # the same numbers ...
    assert_same_picture(front.picture, reference_pixels(reference.fig))  # ... and the same picture
    assert dash.fig.layered_draws >= 1  # drawn the fast way


@pytest.mark.parametrize("make, name", LATER, ids=LATER_IDS)
def test_later_dashboards_interleaved_changes_never_fall_behind(ipympl, make, name):
    dash = make()
    front = FrontEnd(dash.fig.canvas)
    slider = dash.controls[name]
    images, messages = front.images, front.draw_messages
    for k, v in enumerate(burst_values(slider)):
        slider.value = v
        if k % 5 == 4:
            front.serve()
    front.serve()
    renders = front.images - images
    assert renders <= BURST // 5 + 1
    assert front.draw_messages - messages == renders
    assert not front.requests and not front.waiting_for_image
    assert_same_picture(front.picture, canvas_pixels(dash.fig.canvas))
    assert_same_picture(front.picture, reference_pixels(dash.fig))


def test_playground_steps_keep_the_cached_axes_most_of_the_time(ipympl):
    from bplib.widgets.playground import playground

    dash = playground()
    front = FrontEnd(dash.fig.canvas)
    renders = dash.fig.layer_renders
    for _ in range(30):
        dash.buttons["step"].click()
        front.serve()
    assert dash.epoch == 30
    # loss and gradient limits move on a coarse ladder: a few new backgrounds, not one per epoch
    assert dash.fig.layer_renders - renders <= 30 // 2
    assert_same_picture(front.picture, reference_pixels(dash.fig))


def test_an_overlay_artist_with_an_unbounded_extent_does_not_break_the_layered_render():
    import matplotlib.pyplot as plt

    from bplib.widgets._layered import LayeredFigure

    fig, ax = plt.subplots(FigureClass=LayeredFigure)
    (line,) = ax.plot([0, 1], [0, 1])
    marker = ax.axhline(0.5)  # spans the axes: a finite extent
    wide = ax.scatter([0.5], [0.5])
    wide.get_window_extent = lambda renderer=None: __import__("matplotlib").transforms.Bbox(
        [[-np.inf, -np.inf], [np.inf, np.inf]]
    )
    fig.set_layers(dynamic=[line], overlay=[marker, wide])
    fig.canvas.draw()
    line.set_ydata([1, 0])
    fig.canvas.draw()  # must not raise OverflowError
    plt.close(fig)
