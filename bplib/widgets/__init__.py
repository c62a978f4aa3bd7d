"""Live ipywidgets dashboards for the course's chapters.

Each dashboard is a pure compute function (tested on its own), a view that updates
matplotlib artists in place, and the ipywidgets wiring (bplib.widgets._base.Dashboard).
Build one as the last line of a notebook cell, e.g. `sigmoid_dashboard()`.

Chapter 01: sigmoid_dashboard (compute: sigmoid_view).
Chapter 02: graph_dashboard, backward_stepper on neuron_expression
            (compute: graph_state, stepper_state).
"""

from bplib.widgets._base import Dashboard
from bplib.widgets.graph import (
    BackwardStepper,
    GraphDashboard,
    backward_stepper,
    graph_dashboard,
    graph_state,
    neuron_expression,
    stepper_state,
)
from bplib.widgets.sigmoid import SigmoidDashboard, sigmoid_dashboard, sigmoid_view

__all__ = [
    "BackwardStepper",
    "Dashboard",
    "GraphDashboard",
    "SigmoidDashboard",
    "backward_stepper",
    "graph_dashboard",
    "graph_state",
    "neuron_expression",
    "sigmoid_dashboard",
    "sigmoid_view",
    "stepper_state",
]
