"""The bqplot pieces the dashboards share (bplib/widgets/_plots.py): thinning a path's dots, the plot
area inside a panel's margins, sending new points and end markers."""

from __future__ import annotations

import bqplot as bq
import numpy as np
import pytest

from bplib.widgets import _plots as plots

PATHS = {
    "a crawl": np.stack([4.0 * 0.97 ** np.arange(200), np.zeros(200)], axis=1),
    "a zig-zag": np.stack([np.linspace(4.0, 0.0, 120), 2.0 * (-0.95) ** np.arange(120)], axis=1),
    "a spiral": (np.stack([np.cos(np.arange(300) / 7), np.sin(np.arange(300) / 7)], axis=1)
                 * np.geomspace(3, 1e-3, 300)[:, None]),
    "one point": np.array([[1.0, 2.0]]),
    "two points on one pixel": np.array([[1.0, 2.0], [1.0001, 2.0]]),
}


def distances(a: np.ndarray, b: np.ndarray, pixels: tuple[float, float]) -> np.ndarray:
    return np.hypot((a[..., 0] - b[..., 0]) * pixels[0], (a[..., 1] - b[..., 1]) * pixels[1])


@pytest.mark.parametrize("name", PATHS)
@pytest.mark.parametrize("pixels", [(44.3, 51.7), (10.0, 200.0)])
def test_thin_keeps_a_dot_wherever_one_shows(name, pixels):
    path = PATHS[name]
    kept = plots.thin(path[:, 0], path[:, 1], pixels)
    assert kept.dtype == np.intp and kept[0] == 0 and kept[-1] == len(path) - 1
    assert np.all(np.diff(kept) > 0)
    inner = kept[:-1] if len(kept) > 1 else kept
    assert np.all(distances(path[inner[1:]], path[inner[:-1]], pixels) >= 1.5)  # each a dot apart
    for i, j in zip(kept[:-1], kept[1:], strict=True):  # a point left out hides under the dot kept before it
        assert np.all(distances(path[i + 1:j], path[i], pixels) < 1.5)


def test_thin_leaves_out_what_would_be_drawn_dot_on_dot():
    path = PATHS["a crawl"]
    kept = plots.thin(path[:, 0], path[:, 1], (44.3, 51.7))
    assert len(kept) < len(path) / 2
    assert len(plots.thin(path[:, 0], path[:, 1], (44.3, 51.7), gap=0.0)) == len(path)  # no gap: every point


def test_plot_area_is_the_figure_less_its_margins():
    figure = plots.figure([], [], title="t", width=520, height=380)
    margin = figure.fig_margin
    assert plots.plot_area(520, 380) == (520 - margin["left"] - margin["right"], 380 - margin["top"] - margin["bottom"])
    untitled = plots.figure([], [], title="", width=400, height=300, right_margin=70).fig_margin
    assert plots.plot_area(400, 300, titled=False, right_margin=70) == (
        400 - untitled["left"] - untitled["right"], 300 - untitled["top"] - untitled["bottom"])


def watch(widget) -> list[str]:
    sent: list[str] = []
    widget.observe(lambda change: sent.append(change["name"]), names=["x", "y", "marker", "colors", "stroke"])
    return sent


def test_set_xy_sends_x_only_when_it_changed():
    mark = bq.Lines(x=np.zeros(3), y=np.zeros(3), scales={"x": bq.LinearScale(), "y": bq.LinearScale()})
    sent = watch(mark)
    plots.set_xy(mark, [0, 1, 2], [3, 4, 5])
    plots.set_xy(mark, [0, 1, 2], [5, 4, 3])
    assert sent == ["x", "y", "y"]
    np.testing.assert_array_equal(mark.y, [5.0, 4.0, 3.0])
    assert mark.x.dtype == mark.y.dtype == np.float64


def test_show_end_is_a_dot_or_a_cross_and_sends_only_what_changed():
    mark = bq.Scatter(x=np.zeros(1), y=np.zeros(1), scales={"x": bq.LinearScale(), "y": bq.LinearScale()})
    plots.show_end(mark, np.array([1.0, 2.0]), "#123456", halted=False)
    assert (mark.x[0], mark.y[0], mark.marker, mark.colors, mark.stroke) == (1.0, 2.0, "circle", ["#123456"], "black")
    sent = watch(mark)
    plots.show_end(mark, np.array([1.0, 2.0]), "#123456", halted=False)
    assert sent == []
    plots.show_end(mark, np.array([1.0, 3.0]), "#c62828", halted=True)
    assert (mark.marker, mark.colors, mark.stroke, mark.stroke_width) == ("crosshair", ["#c62828"], "#c62828", 3.0)
    assert "y" in sent and "x" not in sent  # an array trait set to equal values sends nothing
