"""THE list of dashboards the browser tests drive: one entry per dashboard in chapters/.

A chapter that gets a dashboard gets an entry here, and nothing else changes: the browser
tests (tests/browser/test_dashboards.py) and the latency benchmark
(benchmarks/latency_browser.py) loop over DASHBOARDS.

An entry says where the dashboard is (notebook, and its position among the notebook's
outputs that hold a slider), how each slider is moved (arrow-key presses on its handle, a
value typed into its readout), and what the dashboard's readout must say for any slider
values, computed here from bplib's maths, never typed in by hand.

A dashboard a chapter builds without an entry here must be named in NOT_YET_LISTED (a known
gap); a test checks that chapters/ and these two agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bplib.activations import sigmoid, sigmoid_prime
from bplib.widgets import neuron_expression
from bplib.widgets.sigmoid import SATURATION_FRACTION

__all__ = ["DASHBOARDS", "NOT_YET_LISTED", "Dashboard", "Slider", "notebooks"]


@dataclass(frozen=True)
class Slider:
    """One slider of a dashboard and how the tests move it.

    Attributes:
        name: the slider's description (its label on screen), also the key in `values`.
        start: its value after the notebook has run top to bottom.
        step: the slider's step: one arrow-key press moves it by this much.
        presses: arrow-key presses for the keyboard check: > 0 ArrowRight, < 0 ArrowLeft.
        typed: the value typed into its readout for the typing check.
    """

    name: str
    start: float
    step: float
    presses: int
    typed: float

    @property
    def integer(self) -> bool:
        """An IntSlider (integer step) rather than a FloatSlider."""
        return float(self.step).is_integer()

    def after_presses(self, value: float, presses: int | None = None) -> float:
        """The value after `presses` (default: self.presses) arrow keys from `value`."""
        presses = self.presses if presses is None else presses
        return round(value + presses * self.step, 10)

    def text(self, value: float) -> str:
        """`value` written the way one types it into the slider's readout."""
        return f"{int(value)}" if self.integer else f"{value:.2f}"

    def shown(self, value: float) -> str:
        """`value` as the slider's own readout shows it: ipywidgets formats with d3-format
        (".2f", integers "d"), which writes negative numbers with a minus sign U+2212."""
        return self.text(value).replace("-", "\u2212")


@dataclass(frozen=True)
class Dashboard:
    """One dashboard in a chapter notebook.

    Attributes:
        name: short id used in test names and the benchmark table.
        notebook: the notebook's path relative to chapters/.
        index: position of the dashboard among the notebook's outputs holding a slider.
        sliders: every slider, in display order.
        readout: values (slider name -> value) -> the pieces of text the readout must show,
            in order (a piece's spaces may be missing on the page: table cells have none).
    """

    name: str
    notebook: str
    index: int
    sliders: tuple[Slider, ...]
    readout: Callable[[dict[str, float]], list[str]]

    def start_values(self) -> dict[str, float]:
        return {s.name: s.start for s in self.sliders}


# ---- chapter 01: the sigmoid ---------------------------------------------------------
def sigmoid_readout(values: dict[str, float]) -> list[str]:
    """a = sigma(c z), its slope c sigma'(c z), the peak c/4, and whether it saturates."""
    z, c = values["z"], values["c (steepness)"]
    a = sigmoid(c * z)
    slope = c * sigmoid_prime(c * z)
    peak = c / 4.0
    share = slope / peak
    state = "saturated" if share < SATURATION_FRACTION else "not saturated"
    return [
        f"z {z:.4f}",
        f"c {c:.4f}",
        f"a = σ(c·z) {a:.4f}",
        f"slope = c·σ'(c·z) {slope:.4f}",
        f"max slope c/4 {peak:.4f}",
        f"{state}: the slope is {share:.1%} of its maximum",
    ]


# ---- chapter 02: one sigmoid neuron as a graph -----------------------------------------
NEURON_INPUTS = ("w0", "x0", "w1", "x1", "w2")


def neuron_readout(values: dict[str, float]) -> list[str]:
    """f = sigma(w0 x0 + w1 x1 + w2) and df/d(input) by the chain rule, written out by hand."""
    w0, x0, w1, x1, w2 = (values[name] for name in NEURON_INPUTS)
    z = w0 * x0 + w1 * x1 + w2
    dz = sigmoid_prime(z)  # df/dz
    grads = {"w0": dz * x0, "x0": dz * w0, "w1": dz * x1, "x1": dz * w1, "w2": dz}
    return [f"f = {sigmoid(z):.4f}"] + [f"{name} {grads[name]:.4f}" for name in NEURON_INPUTS]


def stepper_readout(values: dict[str, float]) -> list[str]:
    """Step k of the backward pass of the default neuron: which node, and its gradient.

    The visiting order is Value.backward_steps(); the gradient shown is the node's final
    d f/d(node), taken from a full backward() of the same graph.
    """
    step = int(values["step"])
    root = neuron_expression()
    order = [node for node, _ in root.backward_steps()]
    root.backward()
    n = len(order)
    if step == 0:
        return [f"Step 0 of {n}: nothing visited yet"]
    node = order[step - 1]
    if node is root:
        return [f"Step {step} of {n}: visiting {node.label}", "df/df = 1.0000"]
    return [f"Step {step} of {n}: visiting {node.label}", f"df/d({node.label}) = {node.grad:.4f}"]


def _neuron_slider(name: str, start: float, presses: int, typed: float) -> Slider:
    return Slider(name=name, start=start, step=0.1, presses=presses, typed=typed)


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        name="sigmoid",
        notebook="01_sigmoid_derivative.ipynb",
        index=0,
        sliders=(
            Slider(name="z", start=0.0, step=0.1, presses=20, typed=-3.5),
            Slider(name="c (steepness)", start=1.0, step=0.1, presses=-4, typed=3.0),
        ),
        readout=sigmoid_readout,
    ),
    Dashboard(
        name="graph",
        notebook="02_chain_rule_graphs.ipynb",
        index=0,
        sliders=(
            _neuron_slider("w0", 2.0, presses=3, typed=-1.5),
            _neuron_slider("x0", -1.0, presses=4, typed=2.5),
            _neuron_slider("w1", -3.0, presses=5, typed=1.0),
            _neuron_slider("x1", -2.0, presses=-3, typed=0.5),
            _neuron_slider("w2", -3.0, presses=6, typed=3.2),
        ),
        readout=neuron_readout,
    ),
    Dashboard(
        name="stepper",
        notebook="02_chain_rule_graphs.ipynb",
        index=1,
        sliders=(Slider(name="step", start=0, step=1, presses=4, typed=9),),
        readout=stepper_readout,
    ),
)

# Dashboards built in chapters/ that have no entry above yet, so no browser test drives them:
# notebook -> how many. Each line is a gap to close (write the entry, delete the line); the test
# test_every_dashboard_in_the_chapters_is_listed fails whenever this dict is out of date.
NOT_YET_LISTED: dict[str, int] = {
    "03_delta_rule.ipynb": 1,  # delta_rule_dashboard()
    "04_backprop_layers.ipynb": 1,  # network_dashboard(params, x, y, ...)
    "05_vectorized_backprop.ipynb": 1,  # playground(...)
    "07_bptt.ipynb": 1,  # bptt_dashboard(...)
}


def notebooks() -> dict[str, list[Dashboard]]:
    """The notebooks holding dashboards, each with its dashboards in order."""
    by_notebook: dict[str, list[Dashboard]] = {}
    for dashboard in DASHBOARDS:
        by_notebook.setdefault(dashboard.notebook, []).append(dashboard)
    return by_notebook
