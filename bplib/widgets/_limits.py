"""Which view limits the pixels of static artists depend on (chapter 01 dashboards).

A LayeredFigure keeps the pixels of its static artists and renders them again only when
something they depend on changes. Keying those pixels on every Axes' view limits is safe but
wasteful: when a slider moves the y-range of a panel whose curves are all dynamic, nothing
static changes, yet the whole figure would be rendered again (40-130 ms). This module works
out, artist by artist, which limits ("x" or "y" of which Axes) the pixels can depend on, from
the artist's transforms. It is conservative: an artist it does not understand depends on every
limit of every Axes, so a wrong answer costs a render, never a stale picture.

The rules:
  - a transform depends on an Axes' limits when its tree contains that Axes' `transLimits`; a
    blended transform's x part gives x, its y part y (rectilinear Axes are separable);
  - an Axis (ticks, tick labels, grid lines, offset text) depends on its own limit unless it
    draws none of them (bplib.widgets._live_ticks turns them off and draws them as a dynamic
    artist); its label alone does not depend on the limits;
  - a straight spine depends on nothing unless it has bounds or a data position; other spines
    (a colour bar's outline) follow their transforms;
  - a legend depends on everything when placed "best" (it avoids the data), else on its anchor;
  - a title depends on what its x axis depends on when that axis sits at the top, or its tick
    position is unknown (matplotlib moves the title above the axis there);
  - lines, patches, images, collections (offsets too) and plain texts follow their transforms;
  - anything else (annotations, offset boxes, unknown artists) depends on everything.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.transforms as mtransforms
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import Collection
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine
from matplotlib.text import Annotation, Text

__all__ = ["EVERYTHING", "artist_limits", "axes_with_insets", "static_limits"]

EVERYTHING = "everything"  # the answer "depends on every limit of every Axes"
_LINEAR_SPINES = ("left", "right", "top", "bottom")


def _transform_limits(transform, owners: dict) -> set | str:
    """The (Axes, "x" | "y") pairs whose view limits `transform` reads, or EVERYTHING.

    Inputs:
        transform: a matplotlib Transform.
        owners: id(ax.transLimits) -> ax for every Axes of the figure.
    """
    owner = owners.get(id(transform))
    if owner is not None:
        return {(owner, "x"), (owner, "y")}
    if isinstance(transform, (mtransforms.CompositeGenericTransform, mtransforms.CompositeAffine2D)):
        return _union(_transform_limits(transform._a, owners), _transform_limits(transform._b, owners))
    if isinstance(transform, (mtransforms.BlendedGenericTransform, mtransforms.BlendedAffine2D)):
        parts = []
        for part, dim in ((transform._x, "x"), (transform._y, "y")):
            found = _transform_limits(part, owners)
            if found == EVERYTHING:
                return EVERYTHING
            parts.append({(ax, dim) for ax, _ in found})  # a separable part feeds one output dimension
        return parts[0] | parts[1]
    if isinstance(transform, mtransforms.TransformWrapper):
        return _transform_limits(transform._child, owners)
    if isinstance(transform, mtransforms.BboxTransformFrom):  # maps some box to the unit square: maybe limits
        return EVERYTHING
    # plain affine leaves (pixels, figure and axes boxes, offsets) and scales (log, ...) read no limits
    if isinstance(transform, mtransforms.Affine2DBase) or type(transform).__module__ == "matplotlib.scale":
        return set()
    return EVERYTHING


def _union(a: set | str, b: set | str) -> set | str:
    return EVERYTHING if EVERYTHING in (a, b) else a | b


def _axis_draws_ticks(axis: Axis) -> bool:
    """Whether an Axis draws anything that moves with its limits (ticks, labels, grid, offset)."""
    if axis.offsetText.get_visible():
        return True
    for tick in (axis.get_major_ticks(1)[0], axis.get_minor_ticks(1)[0]):
        parts = (tick.tick1line, tick.tick2line, tick.gridline, tick.label1, tick.label2)
        if any(part.get_visible() for part in parts):
            return True
    return False


def _legend_limits(legend: Legend, owners: dict) -> set | str:
    if getattr(legend, "_loc", 0) == 0:  # "best": placed where the data is not
        return EVERYTHING
    anchor = getattr(legend, "_bbox_to_anchor", None)
    if anchor is None:  # anchored to its parent's box
        return set()
    transform = getattr(anchor, "_transform", None)
    return EVERYTHING if transform is None else _transform_limits(transform, owners)


def _title_limits(text: Text, owners: dict) -> set | str:
    found = _transform_limits(text.get_transform(), owners)
    ax = text.axes
    if ax is not None and any(text is title for title in (ax.title, ax._left_title, ax._right_title)):
        if ax.xaxis.get_ticks_position() in ("top", "unknown") or ax.xaxis.get_label_position() == "top":
            # matplotlib lifts the title above the x axis there: it moves with what the axis draws
            found = _union(found, artist_limits(ax.xaxis, owners))
    return found


def artist_limits(artist: Artist, owners: dict) -> set | str:
    """The (Axes, "x" | "y") view limits the pixels of `artist` depend on, or EVERYTHING.

    Inputs:
        artist: a visible or invisible artist of the figure.
        owners: id(ax.transLimits) -> ax for every Axes of the figure.
    """
    if not artist.get_visible():
        return set()
    if isinstance(artist, Axis):
        if artist.axis_name not in ("x", "y"):  # polar and other non-rectilinear axes
            return EVERYTHING
        return {(artist.axes, artist.axis_name)} if _axis_draws_ticks(artist) else set()
    if isinstance(artist, Spine) and artist.spine_type in _LINEAR_SPINES:
        position = artist.get_position()  # the spine spans the axes at ('outward', n) or ('axes', f)
        data_position = not isinstance(position, tuple) or position[0] == "data"
        return EVERYTHING if data_position or artist.get_bounds() is not None else set()
    if isinstance(artist, Legend):
        return _legend_limits(artist, owners)
    if isinstance(artist, Annotation):
        return EVERYTHING
    if isinstance(artist, Text):
        return _title_limits(artist, owners)
    if isinstance(artist, Collection):
        return _union(_transform_limits(artist.get_transform(), owners),
                      _transform_limits(artist.get_offset_transform(), owners))
    if isinstance(artist, (Line2D, Patch, AxesImage)):
        return _transform_limits(artist.get_transform(), owners)
    return EVERYTHING


def static_limits(axes: Iterable[Axes], others: Iterable[Artist], skip: set) -> set | str:
    """The view limits the static pixels of a figure depend on.

    Inputs:
        axes: the figure's Axes; their children are examined (inset Axes among them too).
        others: the figure's own artists that are not Axes (patch, texts, legends, ...).
        skip: ids of the artists that are not static (dynamic and overlay ones).
    Returns:
        a set of (Axes, "x" | "y") pairs, or EVERYTHING.
    """
    every_axes = axes_with_insets(axes)
    owners = {id(ax.transLimits): ax for ax in every_axes}
    found: set | str = set()
    artists = [child for ax in every_axes for child in ax.get_children() if not isinstance(child, Axes)]
    for artist in [*artists, *others]:
        if id(artist) not in skip:
            found = _union(found, artist_limits(artist, owners))
            if found == EVERYTHING:
                break
    return found


def axes_with_insets(axes: Iterable[Axes]) -> list[Axes]:
    """The Axes and, recursively, the inset Axes inside them."""
    found, pending = [], list(axes)
    while pending:
        ax = pending.pop(0)
        if all(ax is not known for known in found):
            found.append(ax)
            pending.extend(getattr(ax, "child_axes", []))
    return found
