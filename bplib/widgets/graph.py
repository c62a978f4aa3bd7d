"""Dashboards on a computational graph: live gradients and a backward-pass stepper (chapter 02).

`graph_dashboard()` puts a slider on every input of a small expression (by default one
sigmoid neuron, f = sigmoid(w0*x0 + w1*x1 + w2)); each change rebuilds the graph, runs
backward() and rewrites the drawing's boxes in place.

`backward_stepper()` replays backward() one node at a time: the readout says which node is
visited and how its gradient is the sum of (local gradient x upstream gradient) over the
nodes it feeds.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt

from bplib.drawing.graph import (
    backward_trace,
    draw_graph,
    graph_figsize,
    graph_nodes,
    node_name,
    update_drawing,
)
from bplib.graph import Value
from bplib.widgets._base import Dashboard
from bplib.widgets._layered import LayeredFigure

__all__ = [
    "BackwardStepper",
    "GraphDashboard",
    "INPUT_RANGE",
    "backward_stepper",
    "graph_dashboard",
    "graph_state",
    "neuron_expression",
    "stepper_state",
]

INPUT_RANGE = (-4.0, 4.0)  # every input slider's range
INPUT_STEP = 0.1


def neuron_expression(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0) -> Value:
    """One sigmoid neuron as a labelled graph: f = sigmoid(w0*x0 + w1*x1 + w2). Chapter 02.

    Inputs:
        w0, x0, w1, x1: two weights and their inputs; w2: the bias. Real numbers.
    Returns:
        f, the output Value; every node is labelled (w0, x0, w1, x1, w2, w0*x0, w1*x1,
        s = w0*x0 + w1*x1, z = s + w2, f). With the defaults f = sigma(1) ~ 0.7311.
    """
    w0, x0 = Value(w0, label="w0"), Value(x0, label="x0")
    w1, x1 = Value(w1, label="w1"), Value(x1, label="x1")
    w2 = Value(w2, label="w2")
    p0 = w0 * x0
    p0.label = "w0*x0"
    p1 = w1 * x1
    p1.label = "w1*x1"
    s = p0 + p1
    s.label = "s"
    z = s + w2
    z.label = "z"
    f = z.sigmoid()
    f.label = "f"
    return f


def _build_root(build: Callable[..., Value], values: Mapping[str, float]) -> Value:
    root = build(**values)
    if not isinstance(root, Value):
        raise ValueError(f"build: expected a function returning a Value, got a "
                         f"{type(root).__name__} from {getattr(build, '__name__', build)!r}")
    return root


def graph_state(build: Callable[..., Value], values: Mapping[str, float]) -> dict:
    """Build the graph, run backward(), and collect the numbers by label. Chapter 02.

    Inputs:
        build: a function of named real arguments returning the output Value.
        values: argument name -> number, passed to build.
    Returns:
        dict with
            root: the output Value (its graph has .grad filled in);
            f: root.data;
            grads: label -> d(root)/d(node) for every labelled node;
            inputs: labels of the labelled leaves, in drawing order.
    """
    root = _build_root(build, values)
    root.zero_grad()  # in case build returns nodes that already hold gradients
    root.backward()
    grads: dict[str, float] = {}
    inputs: list[str] = []
    for node in graph_nodes(root):
        if not node.label:
            continue
        if node.label in grads:
            raise ValueError(f"build: expected distinct node labels, got {node.label!r} twice")
        grads[node.label] = node.grad
        if not node.parents:
            inputs.append(node.label)
    return {"root": root, "f": root.data, "grads": grads, "inputs": inputs}


def stepper_state(root: Value, step: int) -> dict:
    """What the backward pass knows after visiting `step` nodes, and why. Chapter 02.

    A node's gradient is complete when backward() reaches it:
        d(root)/d(node) = sum over children c of  d(c)/d(node) * d(root)/d(c)
                          (local gradient)       (upstream gradient of c)

    Inputs:
        root: the output Value (backward() need not have been called).
        step: an int in [0, number of nodes]; 0 means nothing visited yet.
    Returns:
        dict with
            step, n: the step and the number of nodes;
            node: the Value visited at this step (None at step 0); name: its name;
            upstream: its gradient d(root)/d(node) (None at step 0);
            terms: list of dicts (child, local, child_upstream, product), one per edge from
                node to a child; empty for the root, whose gradient is 1 by definition;
            visited: list of (name, gradient) for the nodes visited so far, in order.
    """
    trace = backward_trace(root)
    n = len(trace)
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= n:
        raise ValueError(f"step: expected an int from 0 to {n} (the number of nodes), got {step!r}")
    nodes = graph_nodes(root)
    names = {id(node): node_name(node, i) for i, node in enumerate(nodes)}
    upstream = {id(node): g for node, g in trace}
    state = {"step": step, "n": n, "node": None, "name": None, "upstream": None, "terms": [],
             "visited": [(names[id(node)], g) for node, g in trace[:step]]}
    if step == 0:
        return state
    node, g = trace[step - 1]
    terms = []
    for child in nodes:
        for parent, local in zip(child.parents, child.local_grads, strict=True):
            if parent is node:
                child_up = upstream[id(child)]
                terms.append({"child": names[id(child)], "local": local,
                              "child_upstream": child_up, "product": local * child_up})
    state.update(node=node, name=names[id(node)], upstream=g, terms=terms)
    return state


# ---- shared wiring -----------------------------------------------------------
def _initial_values(build: Callable[..., Value], initial: Mapping[str, float]) -> dict[str, float]:
    """One starting number per argument of build: from `initial`, else build's default."""
    if not callable(build):
        raise ValueError(f"build: expected a function returning a Value, got {build!r}")
    params = inspect.signature(build).parameters
    allowed = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    odd = [name for name, p in params.items() if p.kind not in allowed]
    if odd:
        raise ValueError(f"build: expected only named arguments (one slider each), got {odd}")
    unknown = sorted(set(initial) - set(params))
    if unknown:
        raise ValueError(f"initial values: expected names among {list(params)}, got {unknown}")
    values = {}
    for name, p in params.items():
        value = initial.get(name, p.default)
        if value is inspect.Parameter.empty:
            raise ValueError(f"{name}: expected an initial value (build has no default for it)")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name}: expected a real number, got {value!r}")
        if not INPUT_RANGE[0] <= value <= INPUT_RANGE[1]:
            raise ValueError(f"{name}: expected a value in {list(INPUT_RANGE)}, got {value}")
        values[name] = float(value)
    return values


def _graph_figure(root: Value, show_local: bool):
    """A figure sized for root's graph, created without pyplot displaying it."""
    with plt.ioff():
        fig, ax = plt.subplots(figsize=graph_figsize(root, show_local=show_local),
                               FigureClass=LayeredFigure)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92)
    return fig, ax


def _name(label: str) -> str:
    return html.escape(label)


# ---- the live-gradient dashboard ---------------------------------------------
class GraphDashboard(Dashboard):
    """One slider per input of `build`; the drawn graph shows data and gradients live. Chapter 02.

    Attributes (besides Dashboard's): build, drawing (bplib.drawing.graph.GraphDrawing), state (the
    latest graph_state), ax.
    """

    def __init__(self, build: Callable[..., Value] = neuron_expression, *,
                 show_local: bool = False, **initial):
        values = _initial_values(build, initial)
        self.build = build
        self.show_local = show_local
        self.state = graph_state(build, values)
        fig, self.ax = _graph_figure(self.state["root"], show_local)
        self.drawing = draw_graph(self.state["root"], ax=self.ax, show_local=show_local)
        self._set_layers()
        controls = {
            name: widgets.FloatSlider(value=v, min=INPUT_RANGE[0], max=INPUT_RANGE[1],
                                      step=INPUT_STEP, description=name, continuous_update=True)
            for name, v in values.items()
        }
        super().__init__(controls, fig)

    def _set_layers(self) -> None:
        # The numbers in the boxes (and on the arrows) change; boxes and arrows do not.
        self.ax.figure.set_layers(dynamic=[*self.drawing.texts, *(self.drawing.edge_texts or [])])

    def _render(self, values: dict) -> str:
        try:
            state = graph_state(self.build, values)
        except ValueError as exc:  # e.g. log of a negative number: keep the last drawing
            return f"<span style='color:#c62828'>cannot evaluate: {html.escape(str(exc))}</span>"
        root = state["root"]
        if self.drawing.matches(root):
            update_drawing(self.drawing, root=root)
        else:  # the graph changed shape (build branches on the numbers): draw it afresh
            self.ax.clear()
            self.drawing = draw_graph(root, ax=self.ax, show_local=self.show_local)
            self._set_layers()
        self.state = state
        out = _name(root.label or "f")
        rows = "".join(
            f"<tr><td>{_name(label)}</td><td><code>{state['grads'][label]:.4f}</code></td></tr>"
            for label in state["inputs"]
        )
        return (f"<b>{out} = <code>{state['f']:.4f}</code></b>"
                f"<table><tr><th>input</th><th>d{out}/d(input)</th></tr>{rows}</table>")


def graph_dashboard(build: Callable[..., Value] = neuron_expression, **initial) -> GraphDashboard:
    """Sliders for every argument of `build`, and its graph with live gradients. Chapter 02.

    Inputs:
        build: a function of named real arguments returning a Value (default: one neuron).
        **initial: starting values by argument name (default: build's own defaults), each in
            [-4, 4]. show_local=True also labels arrows with local gradients.
    Returns:
        GraphDashboard (displays itself; .set(x0=...) moves sliders).
    """
    return GraphDashboard(build, **initial)


# ---- the backward stepper ----------------------------------------------------
def _stepper_html(state: dict, out: str) -> str:
    n = state["n"]
    if state["step"] == 0:
        return (f"<b>Step 0 of {n}</b>: nothing visited yet, every gradient is unknown (?). "
                f"Move the slider: backward starts at the output, where d{out}/d{out} = 1.")
    name = _name(state["name"])
    node = state["node"]
    head = f"<b>Step {state['step']} of {n}</b>: visiting <b>{name}</b>"
    if node.op:
        head += f" (operation <code>{html.escape(node.op)}</code>)"
    if not state["terms"]:
        body = f"It is the output: d{out}/d{out} = <code>1.0000</code> by definition."
    else:
        rows = "".join(
            f"<tr><td>from {_name(t['child'])}:</td>"
            f"<td>d({_name(t['child'])})/d({name}) = <code>{t['local']:.4f}</code></td>"
            f"<td>&times; d{out}/d({_name(t['child'])}) = <code>{t['child_upstream']:.4f}</code>"
            f"</td><td>= <code>{t['product']:.4f}</code></td></tr>"
            for t in state["terms"]
        )
        body = (f"local gradient &times; upstream gradient, summed over the nodes it feeds:"
                f"<table>{rows}</table>"
                f"d{out}/d({name}) = <b><code>{state['upstream']:.4f}</code></b>")
    if node.parents:
        parents = ", ".join(_name(node_name(p)) for p in node.parents)
        body += f"<br>Next, this gradient flows to its inputs {parents} (orange arrows)."
    return f"{head}<br>{body}"


class BackwardStepper(Dashboard):
    """An integer slider "step" that replays backward() one node at a time. Chapter 02.

    Attributes (besides Dashboard's): root (the graph, inputs fixed), drawing, ax.
    """

    def __init__(self, build: Callable[..., Value] = neuron_expression, *,
                 show_local: bool = True, **initial):
        values = _initial_values(build, initial)
        self.root = _build_root(build, values)
        n = len(backward_trace(self.root))
        fig, self.ax = _graph_figure(self.root, show_local)
        self.drawing = draw_graph(self.root, ax=self.ax, step=0, show_local=show_local)
        # Each step recolours boxes and arrows and rewrites texts and the title; the local
        # gradients on the arrows stay, above the arrows.
        drawing = self.drawing
        fig.set_layers(dynamic=[*drawing.arrows, *drawing.boxes, *drawing.texts, self.ax.title],
                       overlay=drawing.edge_texts or [])
        controls = {"step": widgets.IntSlider(value=0, min=0, max=n, step=1, description="step",
                                              continuous_update=True)}
        super().__init__(controls, fig)

    def _render(self, values: dict) -> str:
        step = int(values["step"])
        update_drawing(self.drawing, step=step)
        return _stepper_html(stepper_state(self.root, step), _name(self.root.label or "f"))


def backward_stepper(build: Callable[..., Value] = neuron_expression, **initial) -> BackwardStepper:
    """Step through the backward pass of `build`'s graph node by node. Chapter 02.

    Inputs:
        build: a function of named real arguments returning a Value (default: one neuron).
        **initial: the inputs' values by argument name (default: build's defaults), in [-4, 4].
            show_local=False hides the local gradients on the arrows.
    Returns:
        BackwardStepper (displays itself; .set(step=k) shows step k).
    """
    return BackwardStepper(build, **initial)
