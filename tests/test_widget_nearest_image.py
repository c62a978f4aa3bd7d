"""NearestImage: nearest-neighbour images by indexing (chapter 01 dashboards).

Each output pixel must show the data pixel matplotlib's own resampler shows, except where the
pixel's centre sits on the edge between two data pixels (to Agg's fixed-point precision), where
either neighbour is a right answer; every case the fast path does not cover is matplotlib's own.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.image import AxesImage

from bplib.widgets._nearest_image import NearestImage, nearest_imshow


def index_image(M: int, N: int) -> np.ndarray:
    """(M, N, 3) uint8 RGB whose red and green channels are each pixel's row and column."""
    rows, cols = np.meshgrid(np.arange(M), np.arange(N), indexing="ij")
    return np.dstack([rows, cols, np.zeros_like(rows)]).astype(np.uint8)


def both_images(image: NearestImage):
    """(fast, matplotlib's) make_image results for the same artist and renderer."""
    fig = image.get_figure(root=True)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return image.make_image(renderer), AxesImage.make_image(image, renderer)


CASES = [
    dict(M=80, N=80, extent=(-1.3, 2.1, -0.7, 1.9), origin="lower", size=(9.0, 4.4)),
    dict(M=16, N=200, extent=(-0.5, 199.5, 15.5, -0.5), origin="upper", size=(10.0, 5.6), xlim=(-0.5, 49.5)),
    dict(M=16, N=200, extent=(-0.5, 199.5, 15.5, -0.5), origin="upper", size=(10.0, 5.6), xlim=(-0.5, 19.5)),
    dict(M=7, N=13, extent=(0.0, 1.0, 0.0, 1.0), origin="upper", size=(3.3, 2.7)),
]


@pytest.mark.parametrize("case", CASES, ids=["playground", "lstm-50", "lstm-20", "small"])
def test_every_output_pixel_shows_the_data_pixel_matplotlib_shows(case):
    fig, ax = plt.subplots(figsize=case["size"])
    image = nearest_imshow(ax, index_image(case["M"], case["N"]), extent=case["extent"], origin=case["origin"])
    if "xlim" in case:
        ax.set_xlim(*case["xlim"])
    (fast, x, y, _), (slow, x_ref, y_ref, _) = both_images(image)
    assert (x, y) == (x_ref, y_ref) and fast.shape == slow.shape
    assert np.array_equal(fast[:, :, 3], slow[:, :, 3])  # the same pixels covered
    rows = np.abs(fast[:, :, 0].astype(int) - slow[:, :, 0].astype(int))
    cols = np.abs(fast[:, :, 1].astype(int) - slow[:, :, 1].astype(int))
    assert rows.max() <= 1 and cols.max() <= 1  # at worst the neighbour across an edge
    assert np.mean((rows + cols) > 0) < 0.01  # ... and only on the pixels that sit on one


def test_missing_values_are_transparent_as_in_matplotlib():
    data = np.arange(12.0).reshape(3, 4)
    data[1, 2] = np.nan
    fig, ax = plt.subplots(figsize=(4, 3))
    image = nearest_imshow(ax, data, extent=(0, 4, 3, 0), cmap="viridis", vmin=0, vmax=11)
    (fast, *_), (slow, *_) = both_images(image)
    assert (fast[:, :, 3] == 0).any()
    np.testing.assert_array_equal(fast[:, :, 3], slow[:, :, 3])
    np.testing.assert_array_equal(fast, slow)  # whole cells of 80 x 70 pixels: no pixel on an edge


def test_a_log_axis_is_left_to_matplotlib():
    fig, ax = plt.subplots(figsize=(4, 3))
    image = nearest_imshow(ax, np.random.default_rng(0).random((5, 6)), extent=(1, 100, 0, 1), cmap="viridis")
    ax.set_xscale("log")
    (fast, *_), (slow, *_) = both_images(image)
    np.testing.assert_array_equal(fast, slow)


def test_nearest_imshow_sets_up_the_axes_as_imshow_does():
    data = np.random.default_rng(1).random((16, 200))
    kwargs = dict(extent=(-0.5, 199.5, 15.5, -0.5), cmap="RdBu_r", vmin=-4, vmax=4)
    fig, (ours, theirs) = plt.subplots(1, 2)
    image = nearest_imshow(ours, data, **kwargs)
    reference = theirs.imshow(data, aspect="auto", interpolation="nearest", **kwargs)
    assert ours.get_xlim() == theirs.get_xlim() and ours.get_ylim() == theirs.get_ylim()  # y inverted: row 0 on top
    assert ours.get_aspect() == theirs.get_aspect()
    assert image.get_extent() == reference.get_extent() and image.get_clim() == reference.get_clim()
    assert list(ours.images) == [image] and image.get_interpolation() == "nearest"
