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
