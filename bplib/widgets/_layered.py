"""Fast redraws for the dashboards: keep the pixels of what a slider does not change (chapter 01).

With ipympl every slider change ends in a full matplotlib draw of the figure, which ipympl
then encodes as a PNG. A full draw renders every tick label, title and legend again, mostly
text, and costs 25-60 ms; a slider changes a few lines or a few texts. `LayeredFigure`
draws in three layers:

  background  every static artist, rendered once and kept as pixels (restored in ~0.2 ms);
  dynamic     the artists the controls change, drawn on every frame in zorder;
  overlay     static artists that must stay on top of the dynamic ones (legends, spines),
              each rendered once onto a transparent layer and pasted on top as a sprite.

The kept pixels are keyed by what they depend on: the canvas size, the Axes' positions and
only those view limits that some static artist reads (bplib.widgets._limits). So a panel whose
y-range follows a slider costs no new background as long as everything that moves with the
range is dynamic, e.g. its ticks drawn by bplib.widgets._live_ticks.LiveTicks.

Text goes through `TextSprites`: each line is rasterized once, as one bitmap (the way
matplotlib drew text before 3.11; 3.11's own text sits within a pixel of it and takes five
times longer), and pasted whenever the same line comes back, e.g. a graph's box headers,
its "grad ?" lines, a figure's titles and tick labels.

A layered draw paints what `LayeredFigure.draw_all` paints, matplotlib's own draw order
with the same text (tests compare the pixels), as long as the dashboard declares every
artist it changes as dynamic. Saving a figure (savefig, ipympl's download) always gets
matplotlib's own draw, text included.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import ExitStack, contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backend_bases import DrawEvent
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
from matplotlib.figure import Figure
from matplotlib.font_manager import findfont, get_font
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from bplib.widgets._limits import EVERYTHING, artist_limits, axes_with_insets, static_limits

__all__ = ["LayeredFigure", "TextSprites"]

_PAD = 3  # pixels around a text's extent: anti-aliasing and glyph overhang reach a little beyond


def _sprite(buffer: np.ndarray, rows: slice, cols: slice):
    """The smallest box of `buffer[rows, cols]` holding every non-transparent pixel.

    Inputs:
        buffer: (H, W, 4) uint8 RGBA pixels, row 0 at the top.
        rows, cols: the window to search.
    Returns:
        (x, y, image): image (h, w, 4) ready for RendererAgg.draw_image, whose row 0 is the
        bottom row; x, y its bottom-left corner in display pixels (y grows upward);
        or None if the window is transparent.
    """
    window = buffer[rows, cols]
    alpha = window[:, :, 3]
    filled_rows = np.flatnonzero(alpha.any(axis=1))
    if filled_rows.size == 0:
        return None
    filled_cols = np.flatnonzero(alpha.any(axis=0))
    top, bottom = filled_rows[0], filled_rows[-1] + 1
    left, right = filled_cols[0], filled_cols[-1] + 1
    image = window[top:bottom, left:right][::-1].copy()
    x = (cols.start or 0) + left
    y = buffer.shape[0] - ((rows.start or 0) + bottom)
    return x, y, image


def _touches_edge(sprite, shape, rows: slice, cols: slice) -> bool:
    """Whether `sprite` (from _sprite) reaches the border of the window rows x cols."""
    x, y, image = sprite
    height, width = shape[:2]
    top = height - (y + image.shape[0])
    inside_rows = (rows.start or 0) < top and top + image.shape[0] < (rows.stop or height)
    inside_cols = (cols.start or 0) < x and x + image.shape[1] < (cols.stop or width)
    return not (inside_rows and inside_cols)


def _find_sprite(buffer: np.ndarray, rows: slice, cols: slice):
    """_sprite in a guessed window; if the pixels reach the window's edge, in the whole buffer.

    Inputs:
        buffer: (H, W, 4) uint8 RGBA pixels, row 0 at the top.
        rows, cols: the guessed window (clipped to the buffer here).
    Returns:
        (sprite, rows, cols): the sprite (or None) and the window finally searched.
    """
    height, width = buffer.shape[:2]
    rows = slice(min(height, max(0, rows.start)), min(height, max(0, rows.stop)))
    cols = slice(min(width, max(0, cols.start)), min(width, max(0, cols.stop)))
    sprite = _sprite(buffer, rows, cols)
    if sprite is not None and _touches_edge(sprite, buffer.shape, rows, cols):
        rows = cols = slice(0, None)
        sprite = _sprite(buffer, rows, cols)
    return sprite, rows, cols


def _root_figure(artist: Artist):
    """The top-level Figure an artist belongs to (None if it belongs to none)."""
    return artist.get_figure(root=True)


def _moved(sprite, shift):
    """The sprite moved by shift = (dx, dy) whole pixels, dy counted down from the top."""
    if sprite is None:
        return None
    x, y, image = sprite
    return x + shift[0], y - shift[1], image


def _paste(renderer, gc, sprite) -> None:
    """Paste a sprite (from _sprite), if any; gc: a plain graphics context (no clip, alpha 1)."""
    if sprite is None:
        return
    x, y, image = sprite
    renderer.draw_image(gc, x, y, image)


def _line_bitmap(renderer, gc, s, prop):
    """One line of plain horizontal text rasterized by FreeType as a single bitmap.

    This is how matplotlib drew text before 3.11 (one bitmap per line, placed on whole
    pixels); 3.11 places each glyph on its own sub-pixel position, in a Python loop that
    costs ~1 ms per line. The two differ by less than a pixel in where glyphs sit. The bitmap
    does not depend on where the line goes: _place_line puts it there.

    Inputs:
        renderer: the RendererAgg the line is for; gc: its graphics context (colour, alpha,
        anti-aliasing); s: the line; prop: its FontProperties.
    Returns:
        (image, dx, dy): image (h, w, 4) uint8 ready for RendererAgg.draw_image (row 0 at the
        bottom), dx, dy the offsets of its left column and of the row under it from the left
        end of the baseline, in pixels (dy downward); None for a blank line; or False if the
        font lacks a glyph of s (matplotlib's own drawing then uses a fallback font).
    """
    font = get_font(findfont(prop))
    if any(font.get_char_index(ord(c)) == 0 for c in s):
        return False
    font.clear()
    font.set_size(prop.get_size_in_points(), renderer.dpi)
    font.set_text(s, 0.0, flags=get_hinting_flag())
    font.draw_glyphs_to_bitmap(antialiased=gc.get_antialiased())
    coverage = np.asarray(font.get_image())  # (h, w) uint8, row 0 at the top
    if not coverage.any():
        return None
    xo, yo = font.get_bitmap_offset()
    red, green, blue, alpha = gc.get_rgb()
    image = np.empty((*coverage.shape, 4), np.uint8)
    image[:, :, :3] = np.round(np.array([red, green, blue]) * 255.0)
    image[:, :, 3] = coverage if alpha == 1 else np.round(coverage * alpha)
    return image[::-1].copy(), xo / 64.0, yo / 64.0 + font.get_descent() / 64.0


def _place_line(renderer, bitmap, x: float, y: float):
    """The sprite (x, y, image) of a _line_bitmap whose baseline starts at x, y (y counted down from the top)."""
    image, dx, dy = bitmap
    left = round(x + dx)
    below = round(y + dy) + 1  # first row under the bitmap
    return left, int(renderer.height) - below, image


class TextSprites:
    """Remembers the pixels of each line of text drawn by RendererAgg. Chapter 01 (dashboards).

    While installed on a renderer, every `draw_text` call is looked up by everything that
    decides its pixels (string, font, size, angle, colour, alpha, anti-aliasing, hinting, and
    where needed position and clipping); a hit pastes the stored pixels (~0.03 ms). Plain,
    horizontal, unclipped lines are rasterized once as one bitmap (_line_bitmap, ~0.2 ms;
    matplotlib 3.11 itself takes ~1 ms) and placed on whole pixels wherever they are drawn,
    e.g. a tick label that moves with the axis limits. Anything else (mathtext, rotated or
    clipped text) is rendered with matplotlib on a transparent scratch canvas and kept for its
    position. Text with a clip path is drawn directly.

    Inputs:
        max_sprites: how many lines to keep (least recently used ones are dropped).
    Attributes:
        hits, misses: counters, for tests and benchmarks.
    """

    def __init__(self, max_sprites: int = 2000):
        if isinstance(max_sprites, bool) or not isinstance(max_sprites, int) or max_sprites < 1:
            raise ValueError(f"max_sprites: expected a positive int, got {max_sprites!r}")
        self.max_sprites = max_sprites
        self._sprites: OrderedDict = OrderedDict()
        self._scratch: RendererAgg | None = None
        self._size = None
        self.hits = 0
        self.misses = 0

    @contextmanager
    def installed(self, renderer: RendererAgg):
        """Route `renderer.draw_text` through the cache inside the `with` block."""
        size = (renderer.width, renderer.height, renderer.dpi)
        if size != self._size:  # new canvas size or dpi: old pixels are useless
            self._size = size
            self._sprites.clear()
            # same width and height, even when fractional (matplotlib < 3.11): text positions
            # are measured from the canvas height
            self._scratch = RendererAgg(renderer.width, renderer.height, renderer.dpi)
            self._scratch.clear()
            self._blank = np.asarray(self._scratch.buffer_rgba())[0, 0].copy()  # transparent
        hinting = (mpl.rcParams["text.hinting"], mpl.rcParams["text.hinting_factor"],
                   mpl.rcParams["text.antialiased"])

        paste_gc = renderer.new_gc()  # one for all pastes: making one costs more than a paste

        def draw_text(gc, x, y, s, prop, angle, ismath=False, mtext=None):
            self._draw_text(renderer, paste_gc, hinting, gc, x, y, s, prop, angle, ismath, mtext)

        shadowed = renderer.__dict__.get("draw_text")  # normally none: it is a method
        renderer.draw_text = draw_text  # an instance attribute shadows the method
        try:
            yield self
        finally:
            if shadowed is None:
                del renderer.draw_text
            else:
                renderer.draw_text = shadowed
            paste_gc.restore()

    def _draw_text(self, renderer, paste_gc, hinting, gc, x, y, s, prop, angle, ismath, mtext):
        if gc.get_clip_path()[0] is not None:
            RendererAgg.draw_text(renderer, gc, x, y, s, prop, angle, ismath, mtext)
            return
        clip = gc.get_clip_rectangle()
        # matplotlib passes mtext (the Text artist) only for single-line texts
        features = mtext.get_fontfeatures() if hasattr(mtext, "get_fontfeatures") else None
        language = mtext.get_language() if hasattr(mtext, "get_language") else None
        looks = (s, hash(prop), angle, ismath, tuple(gc.get_rgb()), gc.get_alpha(),
                 gc.get_forced_alpha(), gc.get_antialiased(), features, language, hinting)
        # Moving a text by whole pixels moves its pixels and nothing else (the glyphs keep
        # their sub-pixel offsets), so an unclipped line is stored relative to the whole-pixel
        # part of its position: equal strings in different places share it. The parity of
        # that part is kept in the key: matplotlib < 3.11 rounds text positions to whole
        # pixels, half to even, so an odd shift can move a line by one pixel more.
        # A line cut by a clip rectangle or by the canvas's edge is stored where it is.
        if clip is None and not ismath and angle % 360 == 0 and not features and not language:
            # a plain line: one bitmap per look wherever it goes, placed on whole pixels
            line_key = ("line", *looks)
            if line_key in self._sprites:
                self.hits += 1
                self._sprites.move_to_end(line_key)
            else:
                self.misses += 1
                self._sprites[line_key] = _line_bitmap(renderer, gc, s, prop)
                self._trim()
            bitmap = self._sprites[line_key]
            if bitmap is not False:  # False: a glyph is missing, matplotlib draws it below
                if bitmap is not None:
                    _paste(renderer, paste_gc, _place_line(renderer, bitmap, x, y))
                return
        whole_x, whole_y = math.floor(x), math.floor(y)
        shared = (*looks, x - whole_x, y - whole_y, whole_x % 2, whole_y % 2)
        placed = (*looks, x, y, None if clip is None else tuple(clip.bounds))
        for key, shift in ((shared, (whole_x, whole_y)), (placed, (0, 0))):
            if clip is not None and key is shared:
                continue
            if key in self._sprites:
                self.hits += 1
                self._sprites.move_to_end(key)
                _paste(renderer, paste_gc, _moved(self._sprites[key], shift))
                return
        self.misses += 1
        sprite, whole = self._render(renderer, gc, x, y, s, prop, angle, ismath, mtext)
        if clip is None and whole:
            self._sprites[shared] = _moved(sprite, (-whole_x, -whole_y))
        else:
            self._sprites[placed] = sprite
        self._trim()
        if sprite is not None:
            _paste(renderer, paste_gc, sprite)

    def _trim(self) -> None:
        if len(self._sprites) > self.max_sprites:
            self._sprites.popitem(last=False)

    def _render(self, renderer, gc, x, y, s, prop, angle, ismath, mtext):
        """Render one line on the scratch canvas; returns (sprite or None, whether it is whole)."""
        scratch = self._scratch
        RendererAgg.draw_text(scratch, gc, x, y, s, prop, angle, ismath, mtext)
        buffer = np.asarray(scratch.buffer_rgba())
        # Look for the pixels near (x, y), the left end of the baseline (y counted down from
        # the top), in a window sized from the font size and the number of characters:
        # cheaper than asking for the text's metrics, and _find_sprite widens a bad guess.
        em = prop.get_size_in_points() * renderer.dpi / 72.0
        length = (len(s) + 2) * em
        up, back = (length, length) if angle % 360 else (2.0 * em, em)
        rows = slice(int(y - up) - _PAD, int(y + up) + _PAD + 1)
        cols = slice(int(x - back) - _PAD, int(x + length) + _PAD + 1)
        sprite, rows, cols = _find_sprite(buffer, rows, cols)
        buffer[rows, cols] = self._blank  # leave the scratch canvas clean for the next line
        whole = sprite is None or not _touches_edge(sprite, buffer.shape, slice(0, None),
                                                    slice(0, None))
        return sprite, whole


class LayeredFigure(Figure):
    """A Figure that redraws only the artists a dashboard changes. Chapter 01 (dashboards).

    Use as `plt.subplots(..., FigureClass=LayeredFigure)`, build the artists, then call
    `set_layers(dynamic, overlay)`. From then on a draw on an Agg canvas (ipympl, Agg)
    restores the background pixels, draws the dynamic artists and pastes the overlay.

    The background is rendered again when the canvas size or dpi changes, when an Axes moves,
    when a view limit that a static artist depends on changes (bplib.widgets._limits works out
    which ones from the artists' transforms; each set of those limits keeps its own background,
    the last MAX_LAYERS), and after `invalidate_layers()`, which a dashboard calls when it
    changes any other static artist (a title, a colour, tick labels). A dashboard whose static
    artists switch among a few known states (tick labels for 1, 2 or 3 layers) names the
    state with `set_static_state(state)` instead: each state keeps its own background. The
    overlay is kept as one sprite per artist, keyed the same way by what that artist depends on.

    Constraint: dynamic artists are drawn above every background artist and below every
    overlay artist, so a static artist that a dynamic one must cover belongs in the
    background, and one that must cover a dynamic one belongs in the overlay.

    Attributes:
        text_sprites: the TextSprites cache used while drawing.
        layer_renders: how many times the background was rendered.
        overlay_renders: how many overlay sprites were rendered.
        layered_draws: how many draws took the fast path.
    """

    MAX_LAYERS = 6
    MAX_OVERLAY_SPRITES = 256

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._dynamic: list[Artist] = []
        self._overlay: list[Artist] = []
        self._backgrounds: OrderedDict = OrderedDict()  # key -> the background's pixels
        self._overlay_sprites: OrderedDict = OrderedDict()  # (artist, key) -> sprite or None
        self._static_artists: frozenset | None = None  # the static children the backgrounds show
        self._background_limits: list | None = None  # (Axes, "x" | "y") the background depends on
        self._overlay_limits: dict = {}  # id(artist) -> (Axes, "x" | "y") pairs it depends on
        self._overlay_canvas: RendererAgg | None = None  # overlay artists are rendered here
        self._overlay_size = None
        self._static_state = None  # a dashboard's name for the state of its switching static artists
        self.text_sprites = TextSprites()
        self.layer_renders = 0
        self.overlay_renders = 0
        self.layered_draws = 0

    def set_layers(self, dynamic: Iterable[Artist], overlay: Iterable[Artist] = ()) -> None:
        """Declare the dynamic and the overlay artists (all others are background).

        The rendered backgrounds are kept when the static artists stay the same, e.g. when a
        dashboard replaces one dynamic or overlay artist by a new one.

        Inputs:
            dynamic: artists of this figure that the controls change.
            overlay: static artists that must be drawn above the dynamic ones.
        """
        dynamic, overlay = list(dynamic), list(overlay)
        for artist in [*dynamic, *overlay]:
            if not isinstance(artist, Artist) or _root_figure(artist) is not self:
                raise ValueError(f"set_layers: expected artists of this figure, got {artist!r}")
        for artist in self._dynamic + self._overlay:
            artist.set_animated(False)
        # Animated artists are left out of matplotlib's own (non-saving) draw, which then
        # renders exactly the background; savefig still draws them, in zorder.
        for artist in [*dynamic, *overlay]:
            artist.set_animated(True)
        self._dynamic = sorted(dynamic, key=lambda a: a.get_zorder())
        self._overlay = sorted(overlay, key=lambda a: a.get_zorder())
        static = self._static_children()
        if static != self._static_artists:
            self._static_artists = static
            self._backgrounds.clear()
        self._work_out_limits()

    def set_static_state(self, state) -> None:
        """Name the state of static artists that switch among a few known states; call it after
        changing them. Backgrounds are cached per state (the last MAX_LAYERS), so switching back
        to a state shown before restores its pixels. The overlay artists must not depend on it.

        Inputs:
            state: any hashable value that differs exactly when those artists look different.
        """
        hash(state)  # fails now, not at the next draw, for an unhashable state
        self._static_state = state

    def invalidate_layers(self) -> None:
        """Forget the rendered background and overlay (after changing a static artist)."""
        self._backgrounds.clear()
        self._overlay_sprites.clear()
        self._static_artists = self._static_children()
        self._work_out_limits()

    def _static_children(self) -> frozenset:
        """The direct children of the figure and of its Axes that are neither dynamic nor overlay."""
        declared = {id(a) for a in self._dynamic + self._overlay}
        children = [*self.get_children(), *(child for ax in axes_with_insets(self.axes) for child in ax.get_children())]
        return frozenset(a for a in children if id(a) not in declared)

    def _work_out_limits(self) -> None:
        """Which view limits the background and each overlay artist depend on (bplib.widgets._limits)."""
        every_axes = axes_with_insets(self.axes)
        declared = {id(a) for a in self._dynamic + self._overlay}
        others = [a for a in self.get_children() if a not in self.axes]
        self._background_limits = _limit_pairs(static_limits(self.axes, others, declared), every_axes)
        owners = {id(ax.transLimits): ax for ax in every_axes}
        self._overlay_limits = {id(a): _limit_pairs(artist_limits(a, owners), every_axes) for a in self._overlay}

    def _layered(self, renderer) -> bool:
        engine = self.get_layout_engine()
        return (bool(self._dynamic) and isinstance(renderer, RendererAgg)
                and not self.canvas.is_saving() and self.get_visible()
                and (engine is None or isinstance(engine, PlaceHolderLayoutEngine)))

    def draw(self, renderer):
        if not self._layered(renderer):
            self._draw_plain(renderer)
            return
        if self._background_limits is None:
            self._work_out_limits()
        # what the static pixels depend on besides the static artists themselves
        frame = (renderer.width, renderer.height, renderer.dpi,
                 *(ax.get_position().bounds for ax in self.axes))
        key = (*frame, self._static_state, *_limits_key(self._background_limits))
        with self.text_sprites.installed(renderer):
            if key in self._backgrounds:
                self._backgrounds.move_to_end(key)
                renderer.restore_region(self._backgrounds[key])
            else:
                self._backgrounds[key] = self._render_background(renderer)
                if len(self._backgrounds) > self.MAX_LAYERS:
                    self._backgrounds.popitem(last=False)
            for artist in self._dynamic:
                artist.draw(renderer)
        sprites = [self._overlay_sprite(artist, renderer, frame) for artist in self._overlay]
        gc = renderer.new_gc()
        for sprite in sprites:
            _paste(renderer, gc, sprite)
        gc.restore()
        self.layered_draws += 1
        self.stale = False
        self.canvas.callbacks.process("draw_event", DrawEvent("draw_event", self.canvas, renderer))

    def _draw_plain(self, renderer) -> None:
        """matplotlib's own draw, plus the layer artists it leaves out as animated."""
        saving = self.canvas.is_saving()
        with ExitStack() as stack:
            if isinstance(renderer, RendererAgg) and not saving:  # text as in layered draws
                stack.enter_context(self.text_sprites.installed(renderer))
            super().draw(renderer)
            # matplotlib skipped the animated artists: all of them unless saving, when Axes
            # draw theirs but the Figure still skips its own (e.g. fig.text)
            for artist in self._dynamic + self._overlay:
                if not saving or artist.axes is None:
                    artist.draw(renderer)

    def draw_all(self, renderer: RendererAgg) -> None:
        """Draw every artist in matplotlib's own order, text as a layered draw rasterizes it.

        The picture a layered draw must reproduce; for tests and for checking a dashboard's
        choice of layers.

        Inputs:
            renderer: a RendererAgg the size of the canvas.
        """
        layered = self._dynamic + self._overlay
        for artist in layered:
            artist.set_animated(False)
        try:
            with self.text_sprites.installed(renderer):
                super().draw(renderer)
        finally:
            for artist in layered:
                artist.set_animated(True)

    def _render_background(self, renderer):
        """Render the background (every static artist) into `renderer` and keep its pixels."""
        self.layer_renders += 1
        super().draw(renderer)  # skips the animated (dynamic and overlay) artists
        return renderer.copy_from_bbox(self.bbox)

    def _overlay_sprite(self, artist: Artist, renderer, frame: tuple):
        """The pixels of one overlay artist, rendered alone once per state of what it depends on."""
        key = (artist, artist.get_visible(), *frame, *_limits_key(self._overlay_limits.get(id(artist), [])))
        if key in self._overlay_sprites:
            self._overlay_sprites.move_to_end(key)
            return self._overlay_sprites[key]
        self.overlay_renders += 1
        sprite = self._render_sprite(renderer, artist.draw, artist.get_window_extent)
        self._overlay_sprites[key] = sprite
        if len(self._overlay_sprites) > self.MAX_OVERLAY_SPRITES:
            self._overlay_sprites.popitem(last=False)
        return sprite

    def _render_sprite(self, renderer, draw: Callable, extent: Callable):
        """Render draw(scratch) on a transparent canvas the size of `renderer`; its pixels as a sprite (or None).

        Inputs:
            draw: draw(renderer) paints the pixels; extent(renderer) -> Bbox roughly where (display pixels).
        """
        size = (renderer.width, renderer.height, renderer.dpi)
        if self._overlay_canvas is None or self._overlay_size != size:
            # kept: a lasting renderer keeps its text metrics cached
            self._overlay_canvas = RendererAgg(*size)
            self._overlay_size = size
        scratch = self._overlay_canvas
        scratch.clear()
        buffer = np.asarray(scratch.buffer_rgba())
        height = buffer.shape[0]
        with self.text_sprites.installed(scratch):
            draw(scratch)
            box = extent(scratch)
        if np.all(np.isfinite(box.extents)):
            rows = slice(int(height - box.y1) - _PAD, int(height - box.y0) + _PAD + 1)
            cols = slice(int(box.x0) - _PAD, int(box.x1) + _PAD + 1)
        else:  # an unbounded extent (e.g. a collection with an infinite offset): search it all
            rows, cols = slice(0, height), slice(0, buffer.shape[1])
        sprite, _, _ = _find_sprite(buffer, rows, cols)
        scratch.clear()
        return sprite


def _limit_pairs(found, every_axes: list) -> list:
    """(Axes, "x" | "y") pairs in a fixed order: every Axes' first when `found` is EVERYTHING."""
    if found == EVERYTHING:
        return [(ax, dim) for ax in every_axes for dim in ("x", "y")]
    order = {id(ax): k for k, ax in enumerate(every_axes)}
    return sorted(found, key=lambda pair: (order.get(id(pair[0]), len(order)), pair[1]))


def _limits_key(pairs: list) -> tuple:
    """The current view limits (and scales) of the pairs, as a hashable key."""
    return tuple((ax.get_xlim(), ax.get_xscale()) if dim == "x" else (ax.get_ylim(), ax.get_yscale())
                 for ax, dim in pairs)
