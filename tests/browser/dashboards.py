"""THE list of dashboards the browser tests drive: one entry per dashboard in chapters/.

A chapter that gets a dashboard gets an entry here, and nothing else changes: the browser
tests (tests/browser/test_dashboards.py) and the latency benchmark
(benchmarks/latency_browser.py) loop over DASHBOARDS.

An entry says where the dashboard is (notebook, and its position among the notebook's
outputs that hold a slider), how each control is moved (a slider: arrow-key presses on its
handle, then a value typed into its readout; a dropdown or toggle buttons: one other option
chosen), and what the dashboard's readout must say for any control values, computed here
from the dashboard's pure compute function or from bplib's maths, never typed in by hand.

A dashboard a chapter builds without an entry here must be named in NOT_YET_LISTED (a known
gap); a test checks that chapters/ and these two agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import numpy as np

import bplib.widgets.delta_rule as delta_rule
import bplib.widgets.depth as depth
import bplib.widgets.lstm as lstm_widgets
import bplib.widgets.playground as playground
from bplib.activations import sigmoid, sigmoid_prime
from bplib.network import Network
from bplib.neuron import loss_surface
from bplib.optim import SGD
from bplib.widgets.bptt import EXPLODED_ABOVE, VANISHED_BELOW, bptt_view
from bplib.widgets.graph import neuron_expression
from bplib.widgets.layers import (
    EXAMPLE_X,
    EXAMPLE_Y,
    WEIGHT_NAMES,
    example_params,
    network_state,
    weight_label,
)
from bplib.widgets.sigmoid import SATURATION_FRACTION

__all__ = [
    "DASHBOARDS",
    "EPOCHS",
    "MOVED",
    "NOT_YET_LISTED",
    "Choice",
    "Dashboard",
    "LogSlider",
    "Slider",
    "notebooks",
]

# Keys of `values` besides the controls' names (see Dashboard.start_values).
MOVED = "moved"  # the name of the control moved last; None before any move
EPOCHS = "epochs"  # dashboards that train: epochs trained since the network was (re)made


# ---- the controls ----------------------------------------------------------------------
@dataclass(frozen=True)
class Slider:
    """One linear slider (ipywidgets FloatSlider or IntSlider) and how the tests move it.

    Attributes:
        name: the slider's description (its label on screen), also the key in `values`.
        start: its value after the notebook has run top to bottom (on the slider's step grid).
        step: the slider's step: one arrow-key press moves it by this much.
        presses: arrow-key presses for the keyboard check: > 0 ArrowRight, < 0 ArrowLeft.
        typed: the value typed into its readout for the typing check.
        redraws: whether moving it changes the figure (else the figure must stay the same).
    """

    widget: ClassVar[str] = "slider"

    name: str
    start: float
    step: float
    presses: int
    typed: float
    redraws: bool = True

    @property
    def integer(self) -> bool:
        """An IntSlider (integer step) rather than a FloatSlider."""
        return float(self.step).is_integer()

    @property
    def initial(self) -> float:
        """The value once the dashboard is on screen."""
        return self.start

    def after_presses(self, value: float, presses: int | None = None) -> float:
        """The value after `presses` (default: self.presses) arrow keys from `value`."""
        presses = self.presses if presses is None else presses
        return round(value + presses * self.step, 10)

    def after_typing(self, typed: float) -> float:
        """The value once `typed` has been typed into the readout: typed itself."""
        return typed

    def text(self, value: float) -> str:
        """`value` written the way one types it into the slider's readout."""
        return f"{int(value)}" if self.integer else f"{value:.2f}"

    def shown(self, value: float) -> str:
        """`value` as the slider's own readout shows it: ipywidgets formats with d3-format
        (".2f", integers "d"), which writes negative numbers with a minus sign U+2212."""
        return self.text(value).replace("-", "\u2212")


@dataclass(frozen=True)
class LogSlider:
    """One ipywidgets FloatLogSlider and how the tests move it.

    Its handle (noUiSlider) lives on the exponent: an arrow key moves the exponent by `step`
    and snaps it to the grid min + n * step; the value is base ** exponent. The readout shows
    the value (d3-format `readout_format`), and a value typed there is taken as it is.

    Attributes:
        name, presses, typed, redraws: as for Slider (typed is a value, not an exponent).
        start: the value the notebook passes. On screen it is snapped to the exponent grid when
            it is not on it: noUiSlider snaps its start, and ipywidgets sends the snapped value
            back to the kernel (see `initial`); so does a typed value (see `after_typing`).
        exponents: (min, max) of the exponent; step: the exponent's step; base: the base.
        readout_format: the slider's readout_format (".3g", ".4f").
    """

    widget: ClassVar[str] = "slider"
    integer: ClassVar[bool] = False

    name: str
    start: float
    exponents: tuple[float, float]
    step: float
    readout_format: str
    presses: int
    typed: float
    redraws: bool = True
    base: float = 10.0

    def _snap(self, exponent: float) -> float:
        low, high = self.exponents
        return min(max(low + round((exponent - low) / self.step) * self.step, low), high)

    @property
    def initial(self) -> float:
        """The value once the dashboard is on screen: start, snapped to the exponent grid."""
        return self.base ** self._snap(math.log(self.start, self.base))

    def after_presses(self, value: float, presses: int | None = None) -> float:
        """The value after `presses` (default: self.presses) arrow keys from `value`."""
        presses = self.presses if presses is None else presses
        exponent = math.log(value, self.base)
        for _ in range(abs(presses)):
            exponent = self._snap(exponent + math.copysign(self.step, presses))
        return self.base ** exponent

    def after_typing(self, typed: float) -> float:
        """The value once `typed` has been typed into the readout: snapped to the exponent grid.

        ipywidgets takes the typed value, then moves the handle to it; noUiSlider snaps the
        handle to the grid and ipywidgets sends the snapped value on to the kernel.
        """
        return self.base ** self._snap(math.log(typed, self.base))

    def text(self, value: float) -> str:
        """`value` written the way one types it into the slider's readout."""
        return repr(float(value))

    def shown(self, value: float) -> str:
        """`value` as the slider's own readout shows it (d3-format readout_format)."""
        return d3_format(value, self.readout_format)


@dataclass(frozen=True)
class Choice:
    """A Dropdown or ToggleButtons control, and the option the tests choose.

    Attributes:
        name: the control's description (label on screen), also the key in `values`.
        start: its value after the notebook has run; chosen: the other option the test picks.
        widget: "dropdown" or "buttons" (ToggleButtons).
        redraws: whether choosing changes the figure.
    """

    name: str
    start: object
    chosen: object
    widget: str
    redraws: bool = True

    @property
    def initial(self) -> object:
        return self.start

    @staticmethod
    def label(option: object) -> str:
        """An option's text on screen."""
        return str(option)


Control = Slider | LogSlider | Choice


def d3_format(value: float, spec: str) -> str:
    """`value` as d3-format writes it for `spec` ".Nf" or ".Ng", as ipywidgets' readouts show it.

    ".Ng" is JavaScript's toPrecision(N): trailing zeros kept, exponent notation only for
    exponents below -6 or from N on. Negative numbers get the minus sign U+2212.
    """
    match = re.fullmatch(r"\.(\d+)([fg])", spec)
    if match is None:
        raise ValueError(f"spec: expected '.Nf' or '.Ng', got {spec!r}")
    digits, kind = int(match[1]), match[2]
    if kind == "f" or value == 0:
        text = f"{value:.{digits if kind == 'f' else digits - 1}f}"
    else:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        power = int(exponent)
        if power < -6 or power >= digits:
            text = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
        else:
            text = f"{value:.{digits - 1 - power}f}"
    return text.replace("-", "\u2212")


@dataclass(frozen=True)
class Dashboard:
    """One dashboard in a chapter notebook.

    Attributes:
        name: short id used in test names and the benchmark table.
        notebook: the notebook's path relative to chapters/.
        index: position of the dashboard among the notebook's outputs holding a slider.
        controls: every control (Slider, LogSlider, Choice), in display order.
        readout: values -> the pieces of text the readout must show, in order (a piece's
            spaces may be missing on the page: table cells have none). values: control name ->
            value, plus MOVED and the entries of `state`.
        state: further entries of `values` at the start (e.g. EPOCHS for a dashboard that trains).
        trains: it has Start/Stop (a toggle), Step and Reset buttons that train a network.
    """

    name: str
    notebook: str
    index: int
    controls: tuple[Control, ...]
    readout: Callable[[dict], list[str]]
    state: Mapping[str, object] = field(default_factory=dict)
    trains: bool = False

    @property
    def sliders(self) -> tuple[Slider | LogSlider, ...]:
        """The sliders among the controls, in display order."""
        return tuple(c for c in self.controls if c.widget == "slider")

    def start_values(self) -> dict:
        return {MOVED: None, **self.state, **{c.name: c.initial for c in self.controls}}


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


# ---- chapter 03: the delta rule on a loss surface ------------------------------------------
DELTA_RULE_STATUS = {  # the start of the readout's sentence for each status of descent_path
    "converged": "converged: the gradient has vanished",
    "oscillating": "oscillating:",
    "running": "still running:",
    "stuck": "stuck on a flat spot",
}


@lru_cache(maxsize=1)
def _lowest_on_grid() -> tuple[float, float, float]:
    """(w0, w1, L) of the lowest grid point of the AND loss surface the dashboard draws."""
    grid = np.linspace(*delta_rule.W_RANGE, delta_rule.GRID_POINTS)  # (G,)
    surface = loss_surface(delta_rule.AND_X, delta_rule.AND_Y, grid, grid, delta_rule.FIXED_BIAS)  # (G, G)
    row, col = np.unravel_index(np.argmin(surface), surface.shape)
    return float(grid[col]), float(grid[row]), float(surface[row, col])


def delta_rule_readout(values: dict) -> list[str]:
    """The run of descent_path from the start weights, on AND with the bias fixed."""
    lr, mode = values["lr"], values["mode"]
    start = np.array([values["start w0"], values["start w1"]])
    path = delta_rule.descent_path(delta_rule.AND_X, delta_rule.AND_Y, start, delta_rule.FIXED_BIAS, lr,
                                   delta_rule.STEPS, mode)
    end, losses = path["weights"][-1], path["losses"]
    w0, w1, lowest = _lowest_on_grid()
    status = DELTA_RULE_STATUS.get(path["status"], f"diverged at step {path['diverged_at']}")
    return [
        f"mode {mode}",
        f"lr {lr:.4g}",
        f"steps taken {path['steps']}",
        f"start (w0, w1) ({start[0]:.2f}, {start[1]:.2f})",
        f"end (w0, w1) ({end[0]:.3f}, {end[1]:.3f})",
        f"|dL/dw| at end {path['grad_norm']:.1e}",
        f"loss at start {losses[0]:.4f}",
        f"loss at end {losses[-1]:.4f}",
        f"lowest on the grid {lowest:.4f} at ({w0:.2f}, {w1:.2f})",
        status,
    ]


# ---- chapter 04: the 2-2-2 network ---------------------------------------------------------
# The notebook builds network_dashboard(params, x, y, selected="W2_00") with the chapter's
# example (the same numbers as example_params(), EXAMPLE_X and EXAMPLE_Y). Which weight the
# readout explains before any move is not checked: when the sliders are first drawn, ipywidgets
# sends each FloatSlider's value back to the kernel after a round trip through noUiSlider's
# percentages (0.55 -> 0.5499999999999998), and the dashboard takes such an echo for a move of
# that weight, so the notebook's selected="W2_00" is replaced by the last weight echoed.


def _four_places(value: float) -> str:
    """4 decimals, or 3 significant digits in scientific notation below 1e-3 (the drawing's rule)."""
    return f"{value:.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:.4f}"


def _four_places_signed(value: float) -> str:
    return f"{value:+.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:+.4f}"


def network_readout(values: dict) -> list[str]:
    """Loss, outputs and the moved weight's gradient dL/dW[i, j] = (edge input) * delta (BP4)."""
    params = example_params()
    for name in WEIGHT_NAMES:
        params[name[:2]][int(name[3]), int(name[4])] = values[weight_label(name)]
    state = network_state(params, EXAMPLE_X, EXAMPLE_Y)
    a2, y = state["a2"][0], EXAMPLE_Y[0]
    numbers = [f"loss L = {state['loss']:.4f}",
               f"outputs a2 = ({a2[0]:.4f}, {a2[1]:.4f}), targets y = ({y[0]:.4f}, {y[1]:.4f})"]
    moved = values[MOVED]
    if moved is None:  # see above: before any move, only the numbers
        return numbers
    name = next(n for n in WEIGHT_NAMES if weight_label(n) == moved)
    layer, i, j = name[:2], int(name[3]), int(name[4])
    if layer == "W1":
        source, source_value = f"x[{i}]", EXAMPLE_X[0, i]
    else:
        source, source_value = f"a1[{i}]", state["a1"][0, i]
    delta = state["delta" + layer[1]][0, j]
    grad = state["grads"][layer][i, j]
    direction = "lowers it" if grad > 0 else "raises it" if grad < 0 else "does not change"
    return [
        *numbers,
        f"moved: {moved} = {params[layer][i, j]:.2f};",
        f"dL/d{moved} = {source} × δ{layer[1]}[{j}] = {_four_places(source_value)} × "
        f"{_four_places_signed(delta)} = {_four_places_signed(grad)}",
        direction,
    ]


def _weight_slider(name: str, presses: int, typed: float) -> Slider:
    start = float(example_params()[name[:2]][int(name[3]), int(name[4])])
    return Slider(name=weight_label(name), start=start, step=0.01, presses=presses, typed=typed)


# ---- chapter 05: the playground ------------------------------------------------------------
PLAYGROUND_SEED = 0  # the notebook's playground(...) leaves seed at its default


def playground_readout(values: dict) -> list[str]:
    """A fresh network for the controls' settings (seeded as Playground documents), trained
    values[EPOCHS] epochs by Network.fit with SGD: epoch, loss, accuracy, gradient sizes."""
    x, y = playground.playground_data(values["data set"])
    activation, epochs = values["activation"], values[EPOCHS]
    sizes = [2, *[int(values["hidden units"])] * int(values["hidden layers"]), int(y.max()) + 1]
    # Playground: He initialisation for ReLU, Xavier otherwise; weights from Generator(seed),
    # shuffling from Generator(seed + 1), the same however the epochs are chunked.
    net = Network(sizes, activation, "softmax_ce", rng=np.random.default_rng(PLAYGROUND_SEED),
                  init="he" if activation == "relu" else "xavier")
    if epochs:
        history = net.fit(x, y, SGD(values["learning rate"]), epochs, int(values["batch size"]),
                          np.random.default_rng(PLAYGROUND_SEED + 1))
        loss, accuracy, norms = history.loss[-1], history.accuracy[-1], history.grad_norms[-1]
    else:
        state = playground.playground_state(net, x, y)
        loss, accuracy, norms = state["loss"], state["accuracy"], state["grad_norms"]
    return [
        f"data {values['data set']}: {len(y)} points, {sizes[-1]} classes",
        f"network {'-'.join(map(str, sizes))}, {activation}, softmax cross-entropy",
        f"epoch {epochs}",
        f"loss {loss:.4f}",
        f"train accuracy {accuracy:.1%}",
        "gradient sizes " + ", ".join(f"|d{name}| {value:.3g}" for name, value in norms.items()),
        f"learning rate, batch {values['learning rate']:.3g}, {values['batch size']}",
        f"status: {'stopped' if epochs else 'ready'}",
    ]


# ---- chapter 06: gradients through depth; momentum -------------------------------------------
def depth_readout(values: dict) -> list[str]:
    """depth_view of the probe network: per-layer gradient norms and whether they vanish."""
    view = depth.depth_view(int(values["depth"]), values["activation"], values["init"], values["scale"])
    n, norms, z_rms = int(values["depth"]), view["norms"], view["z_rms"]
    return [
        f"depth {n}",
        f"activation {values['activation']}",
        f"init {values['init']} × {values['scale']:.3g}: std of W = {view['std']:.4f}",
        f"‖δ‖ at layer 1 {norms[0]:.2e}",
        f"‖δ‖ at layer {n} {norms[-1]:.2e}",
        f"rms of z at layer {n} {z_rms[-1]:.2e}",
        "per layer, input side first (‖dout‖ = 1 at the top): " + " ".join(f"{v:.1e}" for v in norms),
        f"{view['status']}:",
    ]


def _momentum_run_words(run: dict, steps: int) -> str:
    if run["status"] == "diverged":
        return f"diverged at step {run['diverged_at']}"
    if run["status"] == "converged":
        return f"within tolerance at step {run['converged_at']}"
    return f"not within tolerance after {steps} steps"


def momentum_readout(values: dict) -> list[str]:
    """momentum_view: SGD's and momentum's runs, and the critical learning rates."""
    lr, beta = values["lr"], values["β (momentum)"]
    view = depth.momentum_view(lr, beta, depth.MOMENTUM_STEPS)
    pieces = [f"lr = {lr:.4g}, β = {beta:.2f}; critical lr: SGD 2/λmax = {view['critical_sgd']:.4g}, "
              f"momentum 2(1+β)/λmax = {view['critical_momentum']:.4g}; tolerance: ‖w‖ ≤ {view['tol']:g}"]
    for name, label in (("sgd", "SGD"), ("momentum", "momentum")):
        run = view[name]
        final = "n/a (diverged)" if run["status"] == "diverged" else f"{run['losses'][-1]:.2e}"
        pieces.append(f"{label} {_momentum_run_words(run, view['steps'])} loss at the end {final}")
    return pieces


# ---- chapter 07: gradients through time ----------------------------------------------------
def _three_digits(value: float) -> str:
    """3 significant digits, scientific notation outside [1e-3, 1e4); inf, nan and 0 as words."""
    if not math.isfinite(value):
        return "inf" if value > 0 else "nan"
    if value == 0:
        return "0"
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"


def _bptt_regime(view: dict) -> str:
    ratio = view["ratio_last"]
    if view["scale"] == 0:
        return "nothing is carried back"
    if not math.isfinite(ratio):
        return "exploding: it overflowed float64"
    if ratio < VANISHED_BELOW:
        return "vanishing"
    return "exploding" if ratio > EXPLODED_ABOVE else "neither vanishing nor exploding"


def bptt_readout(values: dict) -> list[str]:
    """bptt_view of the notebook's probe RNN (the dashboard's default T, H, seed)."""
    view = bptt_view(values["Wh scale"], int(values["truncate k"]), activation=values["f"])
    T, k, f = view["T"], view["k"], _three_digits
    pieces = [
        f"Wh: scale {view['scale']:.2f}, spectral radius ρ(Wh) = {f(view['rho'])}, "
        f"largest singular value {f(view['sigma_max'])}; activation {view['activation']}",
        f"gradient reaching {T - 1} steps back, relative to distance 0: {f(view['ratio_last'])} "
        + _bptt_regime(view),
    ]
    if k >= T:
        pieces.append(f"k = {k} = T: full BPTT, nothing is dropped; ‖dL/dWh‖ = {f(view['full_norm'])}")
    else:
        pieces.append(
            f"TBPTT(k = {k}) keeps the pairs of distance d < {k} and drops d ≥ {k}: ‖dL/dWh‖ full "
            f"{f(view['full_norm'])}, truncated {f(view['truncated_norm'])}; ‖full − truncated‖ / ‖full‖ = "
            f"{f(view['relative_dropped'])}, cosine {f(view['cosine'])}")
    return pieces


def _neuron_slider(name: str, start: float, presses: int, typed: float) -> Slider:
    return Slider(name=name, start=start, step=0.1, presses=presses, typed=typed)


# ---- chapter 08: LSTM gates -----------------------------------------------------------------
def _ratio_words(value: float) -> str:
    return "0 (underflowed)" if value == 0.0 else f"{value:.1e}"


def lstm_gates_readout(values: dict) -> list[str]:
    """gate_reach of the probed LSTM (seed 0, as the notebook builds it): the gates' means and how
    much gradient reaches the first step."""
    bias, T = values["forget bias b_f"], int(values["length T"])
    state = lstm_widgets.gate_reach(bias, T)
    return [
        f"b_f = {bias:.2f}: sigmoid(b_f) = {state['sigmoid_bias']:.3f}; mean forget gate over the {T} steps "
        f"{state['mean_f']:.3f}",
        f"gradient at distance {T - 1} (the first step) relative to distance 0 (the last step):",
        f"LSTM cell state (all paths) {_ratio_words(state['cell_ratio'])}",
        f"LSTM cell path only {_ratio_words(state['cell_path_ratio'])}",
        f"vanilla RNN {_ratio_words(state['rnn_ratio'])}",
    ]


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        name="sigmoid",
        notebook="01_sigmoid_derivative.ipynb",
        index=0,
        controls=(
            Slider(name="z", start=0.0, step=0.1, presses=20, typed=-3.5),
            Slider(name="c (steepness)", start=1.0, step=0.1, presses=-4, typed=3.0),
        ),
        readout=sigmoid_readout,
    ),
    Dashboard(
        name="graph",
        notebook="02_chain_rule_graphs.ipynb",
        index=0,
        controls=(
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
        controls=(Slider(name="step", start=0, step=1, presses=4, typed=9),),
        readout=stepper_readout,
    ),
    Dashboard(  # delta_rule_dashboard()
        name="delta_rule",
        notebook="03_delta_rule.ipynb",
        index=0,
        controls=(
            LogSlider(name="lr", start=10.0, exponents=delta_rule.LR_EXPONENTS, step=0.05, readout_format=".3g",
                      presses=2, typed=1.0),
            Slider(name="start w0", start=-2.0, step=0.1, presses=5, typed=3.0),
            Slider(name="start w1", start=6.0, step=0.1, presses=-10, typed=0.5),
            Choice(name="mode", start="batch", chosen="online", widget="buttons"),
        ),
        readout=delta_rule_readout,
    ),
    Dashboard(  # network_dashboard(params, x, y, selected="W2_00")
        name="network",
        notebook="04_backprop_layers.ipynb",
        index=0,
        controls=(
            _weight_slider("W1_00", presses=5, typed=-1.25),
            _weight_slider("W1_01", presses=-4, typed=2.5),
            _weight_slider("W1_10", presses=3, typed=-2.0),
            _weight_slider("W1_11", presses=-6, typed=1.1),
            _weight_slider("W2_00", presses=4, typed=-0.8),
            _weight_slider("W2_01", presses=-3, typed=2.2),
            _weight_slider("W2_10", presses=6, typed=-2.75),
            _weight_slider("W2_11", presses=-5, typed=0.05),
        ),
        readout=network_readout,
    ),
    Dashboard(  # playground(dataset="spirals", activation="tanh", hidden=16, layers=1, lr=0.3, batch_size=16)
        name="playground",
        notebook="05_vectorized_backprop.ipynb",
        index=0,
        controls=(
            # The learning rate and the batch size only act when training: the figure stays.
            LogSlider(name="learning rate", start=0.3, exponents=playground.LR_EXPONENTS, step=0.1,
                      readout_format=".3g", presses=2, typed=0.1, redraws=False),
            Slider(name="hidden units", start=16, step=1, presses=-4, typed=8),
            Slider(name="hidden layers", start=1, step=1, presses=2, typed=2),
            Choice(name="activation", start="tanh", chosen="relu", widget="dropdown"),
            Choice(name="batch size", start=16, chosen=64, widget="dropdown", redraws=False),
            Choice(name="data set", start="spirals", chosen="moons", widget="dropdown"),
        ),
        readout=playground_readout,
        state={EPOCHS: 0},
        trains=True,
    ),
    Dashboard(  # depth_dashboard(depth=15, activation="sigmoid", init="xavier", scale=1.0)
        name="depth",
        notebook="06_vanishing_exploding.ipynb",
        index=0,
        controls=(
            Slider(name="depth", start=15, step=1, presses=-5, typed=20),
            Choice(name="activation", start="sigmoid", chosen="tanh", widget="buttons"),
            Choice(name="init", start="xavier", chosen="he", widget="buttons"),
            LogSlider(name="scale", start=1.0, exponents=depth.SCALE_EXPONENTS, step=0.02, readout_format=".3g",
                      presses=5, typed=0.5),
        ),
        readout=depth_readout,
    ),
    Dashboard(  # momentum_dashboard(lr=0.035, beta=0.7)
        name="momentum",
        notebook="06_vanishing_exploding.ipynb",
        index=1,
        controls=(
            LogSlider(name="lr", start=0.035, exponents=depth.LR_EXPONENTS, step=0.01, readout_format=".4f",
                      presses=3, typed=0.01),
            Slider(name="β (momentum)", start=0.7, step=0.01, presses=10, typed=0.9),
        ),
        readout=momentum_readout,
    ),
    Dashboard(  # bptt_dashboard(scale=1.0, k=5, activation="tanh")
        name="bptt",
        notebook="07_bptt.ipynb",
        index=0,
        controls=(
            Slider(name="Wh scale", start=1.0, step=0.05, presses=4, typed=0.5),
            Slider(name="truncate k", start=5, step=1, presses=3, typed=40),
            Choice(name="f", start="tanh", chosen="linear", widget="buttons"),
        ),
        readout=bptt_readout,
    ),
    Dashboard(  # lstm_gates_dashboard(forget_bias=1.0, T=60)
        name="lstm_gates",
        notebook="08_lstm_gates.ipynb",
        index=0,
        controls=(
            Slider(name="forget bias b_f", start=1.0, step=0.25, presses=4, typed=-1.0),
            Slider(name="length T", start=60, step=5, presses=-4, typed=120),
        ),
        readout=lstm_gates_readout,
    ),
)

# Dashboards built in chapters/ that have no entry above yet, so no browser test drives them:
# notebook -> how many. Each line is a gap to close (write the entry, delete the line); the test
# test_every_dashboard_in_the_chapters_is_listed fails whenever this dict is out of date.
NOT_YET_LISTED: dict[str, int] = {}


def notebooks() -> dict[str, list[Dashboard]]:
    """The notebooks holding dashboards, each with its dashboards in order."""
    by_notebook: dict[str, list[Dashboard]] = {}
    for dashboard in DASHBOARDS:
        by_notebook.setdefault(dashboard.notebook, []).append(dashboard)
    return by_notebook
