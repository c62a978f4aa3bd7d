"""Pixels of layered dashboard figures, for the tests that compare a fast frame with a full draw."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg


def reference_pixels(fig) -> np.ndarray:
    """(height, width, 4) every artist drawn in matplotlib's own order, no layers; text rasterised as
    layered frames rasterise it (LayeredFigure.draw_all). The size of the figure's current canvas."""
    renderer = fig.canvas.get_renderer()
    fresh = RendererAgg(renderer.width, renderer.height, renderer.dpi)
    fresh.clear()
    fig.draw_all(fresh)
    return np.asarray(fresh.buffer_rgba()).copy()


def drawing_canvas(fig) -> None:
    """Give a dashboard's figure an Agg canvas that draws (dashboards close their pyplot figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)


def assert_frame_is_current(fig, tolerance: int = 3) -> None:
    """Draw the figure (layered, from its caches) and assert it shows what a full draw shows: no stale
    pixels. `tolerance`: the largest channel difference allowed (text placed on whole pixels)."""
    fig.canvas.draw()
    frame = np.asarray(fig.canvas.get_renderer().buffer_rgba()).astype(int)
    assert np.abs(frame - reference_pixels(fig).astype(int)).max() <= tolerance
