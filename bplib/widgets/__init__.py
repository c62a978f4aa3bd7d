"""Live ipywidgets dashboards for the course's chapters.

Each dashboard is a pure compute function (tested on its own), a view drawn in the browser
(bqplot marks whose data a slider change updates, bplib.widgets._plots), and the ipywidgets
wiring (bplib.widgets._base.Dashboard). Build one as the last line of a notebook cell, e.g.
`sigmoid_dashboard()`.

Chapter 01: sigmoid_dashboard (compute: sigmoid_view).
Chapter 02: graph_dashboard, backward_stepper on neuron_expression
            (compute: graph_state, stepper_state).
Chapter 03: delta_rule_dashboard (compute: descent_path).
Chapter 04: network_dashboard (compute: network_state).
Chapter 05: bplib.widgets.playground.playground (compute: decision_grid, decision_image,
            playground_state).
Chapter 06: depth_dashboard, momentum_dashboard (compute: depth_view, momentum_view).
Chapter 07: bptt_dashboard (compute: bptt_view; dwh_by_distance is bplib.experiments.memory's); draw_unrolled_rnn.
Chapter 08: lstm_gates_dashboard (compute: gate_reach).
"""

from bplib.widgets._base import Dashboard
from bplib.widgets.bptt import BPTTDashboard, bptt_dashboard, bptt_view, draw_unrolled_rnn, dwh_by_distance
from bplib.widgets.delta_rule import DeltaRuleDashboard, delta_rule_dashboard, descent_path
from bplib.widgets.depth import (
    DepthDashboard,
    MomentumDashboard,
    depth_dashboard,
    depth_view,
    momentum_dashboard,
    momentum_view,
)
from bplib.widgets.graph import (
    BackwardStepper,
    GraphDashboard,
    backward_stepper,
    graph_dashboard,
    graph_state,
    neuron_expression,
    stepper_state,
)
from bplib.widgets.layers import NetworkDashboard, network_dashboard, network_state
from bplib.widgets.lstm import LSTMGatesDashboard, gate_reach, lstm_gates_dashboard
from bplib.widgets.playground import Playground, decision_grid, decision_image, playground_state
from bplib.widgets.sigmoid import SigmoidDashboard, sigmoid_dashboard, sigmoid_view

# The playground() factory stays in bplib.widgets.playground: exported here, the name would
# hide the module itself (bplib.widgets.playground would be the function).
__all__ = [
    "BPTTDashboard",
    "BackwardStepper",
    "Dashboard",
    "DeltaRuleDashboard",
    "DepthDashboard",
    "GraphDashboard",
    "LSTMGatesDashboard",
    "MomentumDashboard",
    "NetworkDashboard",
    "Playground",
    "SigmoidDashboard",
    "backward_stepper",
    "bptt_dashboard",
    "bptt_view",
    "decision_grid",
    "decision_image",
    "delta_rule_dashboard",
    "depth_dashboard",
    "depth_view",
    "descent_path",
    "draw_unrolled_rnn",
    "dwh_by_distance",
    "gate_reach",
    "graph_dashboard",
    "graph_state",
    "lstm_gates_dashboard",
    "momentum_dashboard",
    "momentum_view",
    "neuron_expression",
    "network_dashboard",
    "network_state",
    "playground_state",
    "sigmoid_dashboard",
    "sigmoid_view",
    "stepper_state",
]
