"""Moved to bplib.drawing.graph: drawing is course machinery, not the teaching core.

This module stays so that notebooks saved with `from bplib.draw import draw_graph` keep working.
"""

from bplib.drawing.graph import (
    GraphDrawing,
    backward_trace,
    draw_graph,
    graph_figsize,
    graph_nodes,
    layout_graph,
    node_name,
    update_drawing,
)

__all__ = [
    "GraphDrawing",
    "backward_trace",
    "draw_graph",
    "graph_figsize",
    "graph_nodes",
    "layout_graph",
    "node_name",
    "update_drawing",
]
