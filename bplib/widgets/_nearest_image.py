"""Images redrawn in a fraction of a millisecond: nearest-neighbour sampling by indexing (chapter 01 dashboards).

A dashboard image (the playground's class probabilities, 80 x 80; the LSTM's gates, 16 x 200) is
shown with interpolation="nearest" on a few hundred pixels a side. matplotlib resamples it with
its general Agg resampler, after converting the data to floating-point RGBA: 1.5-6 ms a frame.
For nearest-neighbour sampling on an axis-aligned, linear Axes every output pixel is one data
pixel, so the picture is two index arrays away: colour the data once (uint8 RGBA), then pick the
rows and columns under the output pixels' centres, ~0.3 ms.

`NearestImage` does exactly that when it can (no magnification, no alpha array, an axis-aligned
affine transform, "nearest" interpolation) and leaves every other case, and vector output, to
matplotlib. `nearest_imshow` makes one as `ax.imshow` would. Each output pixel shows the data pixel
matplotlib's resampler shows (its fixed-point stepping is reproduced below), except, rarely, where
a pixel's centre falls on the edge between two data pixels: there it may show the neighbour, a
difference of one pixel in where a cell's edge is drawn.
"""

from __future__ import annotations

import numpy as np
from matplotlib.image import AxesImage
from matplotlib.transforms import Affine2D, Bbox, TransformedBbox

__all__ = ["NearestImage", "nearest_imshow"]


class NearestImage(AxesImage):
    """An AxesImage whose nearest-neighbour resampling is done by indexing. Chapter 01 (dashboards).

    Same constructor, data and behaviour as matplotlib's AxesImage; only make_image is faster
    in the plain case (see the module docstring).
    """

    def _fast(self, magnification: float, unsampled: bool) -> bool:
        if unsampled or magnification != 1.0 or self.get_interpolation() != "nearest":
            return False
        if self.get_alpha() is not None or self._A is None or self._A.size == 0:
            return False
        A = self._A
        if not (A.ndim == 2 or (A.ndim == 3 and A.shape[2] in (3, 4))):
            return False
        transform = self.get_transform()
        if not transform.is_affine:  # e.g. a log axis
            return False
        matrix = transform.get_affine().get_matrix()
        return matrix[0, 1] == 0.0 and matrix[1, 0] == 0.0  # axis-aligned: no rotation or shear

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        if not self._fast(magnification, unsampled):
            return super().make_image(renderer, magnification, unsampled)
        A = self._A
        x_left, x_right, y_bottom, y_top = self.get_extent()
        in_bbox = Bbox([[x_left, y_bottom], [x_right, y_top]])
        out_bbox = TransformedBbox(in_bbox, self.get_transform())
        clip = ((self.get_clip_box() or self.axes.bbox) if self.get_clip_on()
                else self.get_figure(root=True).bbox)
        clipped = Bbox.intersection(out_bbox, clip)
        if clipped is None:
            return None, 0, 0, None
        # whole output pixels, rounded as matplotlib's _make_image rounds them
        x0 = np.floor(clipped.x0 + 0.5)
        y0 = np.ceil(clipped.y0 - 0.5 - 1e-8)
        x1 = np.floor(clipped.x1 + 0.5 + 1e-8)
        y1 = np.ceil(clipped.y1 - 0.5)
        width, height = int(x1 - x0), int(y1 - y0)
        if width <= 0 or height <= 0:
            return None, 0, 0, None
        # data pixel (column, row) -> output pixel, as matplotlib builds it (origin "upper" flips rows)
        to_output = Affine2D().translate(0, -A.shape[0]).scale(1, -1) if self.origin == "upper" else Affine2D()
        to_output += (Affine2D().scale(in_bbox.width / A.shape[1], in_bbox.height / A.shape[0])
                      .translate(in_bbox.x0, in_bbox.y0) + self.get_transform()
                      + Affine2D().translate(-x0, -y0))
        columns, rows = _sources(to_output, A.shape, self.origin == "upper", width, height)
        coloured = np.ascontiguousarray(self.to_rgba(A, bytes=True, norm=A.ndim == 2))  # (M, N, 4) uint8
        pixels = coloured.view(np.uint32)[:, :, 0]  # (M, N): one number per RGBA pixel, 4 times fewer to move
        picture = pixels[np.clip(rows, 0, A.shape[0] - 1)[:, None], np.clip(columns, 0, A.shape[1] - 1)[None, :]]
        outside = ((rows < 0) | (rows >= A.shape[0]))[:, None] | ((columns < 0) | (columns >= A.shape[1]))[None, :]
        picture[outside] = 0  # beyond the data: transparent, as matplotlib leaves it
        return picture.view(np.uint8).reshape(height, width, 4), x0, y0, to_output  # (height, width, 4)


_SUBPIXEL = 256  # Agg's image_subpixel_scale: it looks data pixels up to 1/256 of a pixel


def _agg_round(values: np.ndarray) -> np.ndarray:
    """Agg's iround: half away from zero, to integers."""
    return np.where(values < 0, np.ceil(values - 0.5), np.floor(values + 0.5)).astype(np.int64)


def _source_rows(count: int, scale: float, offset: float) -> np.ndarray:
    """The data row under each of `count` output rows, output = scale * data + offset (row 0 at the bottom).

    Agg maps each output row's centre to data in fixed point (1/256 pixel) and takes the whole part.
    """
    centres = (np.arange(count) + 0.5 - offset) / scale  # (count,) in data pixels
    return _agg_round(centres * _SUBPIXEL) >> 8


def _source_columns(count: int, scale: float, offset: float) -> np.ndarray:
    """The data column under each of `count` output pixels of a row, as Agg's nearest-neighbour span finds it.

    Agg maps the row's first and one-past-last pixel centres to data in fixed point and steps between
    them with its integer line interpolator (dda2_line_interpolator); this is that interpolator in
    closed form: after j steps it has added j * lft plus one for every time its remainder overflowed.
    """
    start, stop = _agg_round(np.array([0.5 - offset, count + 0.5 - offset]) / scale * _SUBPIXEL)
    span = int(stop - start)
    n = max(count, 1)
    lft, rem = int(span / n), span - int(span / n) * n  # C's truncating division and remainder
    if rem <= 0:
        rem += n
        lft -= 1
    steps = np.arange(count, dtype=np.int64)
    overflows = -((-(steps + 1) * rem) // n) - 1  # ceil((j + 1) * rem / n) - 1
    return (start + steps * lft + overflows) >> 8


def _sources(to_output, shape: tuple, upper: bool, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The data column under each output column (width,) and the data row under each output row (height,).

    matplotlib hands Agg the data flipped left-right (and top-bottom for origin "upper") with the
    transform flipped to match, so that a pixel centre exactly on the edge between two data pixels
    takes the left (upper) one; the indices are worked out in that flipped frame and mapped back.
    """
    M, N = shape[:2]
    flipped = Affine2D().translate(-N, 0).scale(-1, 1)
    if upper:
        flipped += Affine2D().translate(0, -M).scale(1, -1)
    (sx, _, tx), (_, sy, ty), _ = (flipped + to_output).get_matrix()
    columns = N - 1 - _source_columns(width, sx, tx)
    rows = _source_rows(height, sy, ty)
    return columns, (M - 1 - rows if upper else rows)


def nearest_imshow(ax, data, *, extent, origin: str = "upper", aspect="auto", cmap=None, vmin=None, vmax=None,
                   zorder=None) -> NearestImage:
    """A NearestImage of `data` on `ax`, set up as ax.imshow(data, interpolation="nearest", ...) sets one up.

    Inputs:
        ax: a rectilinear Axes.
        data: (M, N) values for the colour map, or (M, N, 3 | 4) RGB(A) in [0, 1] or uint8.
        extent: (left, right, bottom, top) in data coordinates; origin: "upper" or "lower".
        aspect: the Axes' aspect; cmap, vmin, vmax: the colour map and its range (2-d data).
        zorder: None for the image default.
    Returns:
        the NearestImage, added to ax (its limits follow the extent where ax autoscales).
    """
    image = NearestImage(ax, cmap=cmap, interpolation="nearest", origin=origin, extent=extent)
    if zorder is not None:
        image.set_zorder(zorder)
    ax.set_aspect(aspect)
    image.set_data(data)
    image.set_clip_path(ax.patch)
    if vmin is not None or vmax is not None:
        image.set_clim(vmin, vmax)
    image.set_extent(image.get_extent())
    ax.add_image(image)
    return image
