"""Dashboard: how far back an LSTM's gradient reaches, and what its gates do (chapter 08).

Two sliders: the forget gate's bias b_f and the sequence length T. A random, untrained LSTM
(fixed weights drawn once; only b_f changes) reads one random input sequence of T steps, and a
loss at the last step sends its gradient back:
  - left: the size of that gradient at each distance k = 0 .. T-1 back in time (log scale), for
    the LSTM's cell state (all paths), for the cell-state path alone (dc_{t-1} = dc_t * f_t, the
    product of the forget gates met on the way), and for a vanilla RNN of the same size whose
    recurrent matrix sits at the edge of chaos (eigenvalues in a disc of radius 1), for reference;
  - right: the forget gate of every unit at every step (a heatmap), the mean of the forget, input
    and output gates over the units at every step, and the cell state of every unit (a heatmap).
The readout gives each curve's gradient at distance T-1 (the first step) relative to distance 0
(the last step), and the mean forget gate.

The pure compute function is gate_reach. The figure is drawn in the browser (bqplot,
bplib.widgets._plots): a slider change sends the curves, the two images (units x steps) and the
axes' limits as arrays. The dashboard runs the sequence once for every slider position of b_f (one
batched forward pass when it is built) and keeps a bias's step Jacobians while only T moves, so a
change costs a few milliseconds of maths. The limits change in coarse steps, so the axes do not jump
at every slider step: the time axes are AXIS_WIDTHS steps wide (the smallest that holds T, the rest
left blank), and the gradient axis's lower limit moves in steps of DECADE_STEP decades.
"""

from __future__ import annotations

import functools
import math
import numbers

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from bplib import lstm
from bplib.experiments import memory
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard

__all__ = [
    "AXIS_WIDTHS",
    "BIAS_RANGE",
    "CELL_COLOUR_LIMIT",
    "MAX_T",
    "MIN_T",
    "PLOT_FLOOR",
    "LSTMGatesDashboard",
    "axis_width",
    "gate_reach",
    "lstm_gates_dashboard",
    "probe_inputs",
    "probe_params",
]

BIAS_RANGE = (-2.0, 6.0)  # the forget-bias slider: sigmoid(-2) ~ 0.12 (forgets at once) to sigmoid(6) ~ 0.998
BIAS_STEP = 0.25
MIN_T, MAX_T, T_STEP = 5, 200, 5  # the sequence-length slider
D_PROBE, H_PROBE = 4, 16  # input and hidden sizes of the probed networks
RNN_WH_SCALE = 1.0  # the reference RNN: Wh's eigenvalues fill a disc of radius about 1 (chapter 07)
PLOT_FLOOR = 1e-300  # a gradient that underflowed to 0 is drawn here (a log axis cannot show 0)
CELL_COLOUR_LIMIT = 4.0  # the cell-state heatmap's colours run from -4 to 4 and saturate beyond
_LOWEST_DECADE = -60  # the gradient axis never reaches below 1e-60, however small a curve gets
DECADE_STEP = 5  # the gradient axis's lower limit is 1e-5, 1e-10, 1e-15, ...: few distinct backgrounds
AXIS_WIDTHS = (20, 50, 100, MAX_T)  # the time axes show 0 .. width - 1 for the smallest width >= T


def _check_bias(value) -> float:
    return lstm._finite_real(value, "forget_bias")


def _check_T(value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= MAX_T:
        raise ValueError(f"T: expected a whole number of steps from 1 to {MAX_T}, got {value!r}")
    return int(value)


def axis_width(T: int) -> int:
    """How many steps the time axes show for a sequence of T steps: the smallest AXIS_WIDTHS >= T. Chapter 08.

    Inputs:
        T: the sequence length, 1 .. MAX_T.
    Returns:
        an entry of AXIS_WIDTHS.
    """
    T = _check_T(T)
    return next(width for width in AXIS_WIDTHS if width >= T)


def _check_seed(value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {value!r}")
    return int(value)


def probe_params(seed: int = 0) -> dict[str, np.ndarray]:
    """The probed LSTM's weights, drawn once per seed; b_f is 0 here and set by gate_reach. Chapter 08.

    Inputs:
        seed: a non-negative integer.
    Returns:
        params: dict with the keys bplib.lstm.PARAM_NAMES, W_<gate>: (D_PROBE, H_PROBE),
        U_<gate>: (H_PROBE, H_PROBE), b_<gate>: (H_PROBE,) (init_lstm_params with forget_bias 0).
    """
    return lstm.init_lstm_params(D_PROBE, H_PROBE, np.random.default_rng(_check_seed(seed)), forget_bias=0.0)


def probe_inputs(seed: int = 0) -> np.ndarray:
    """The probed inputs: MAX_T steps of standard normal inputs; a run of T steps reads the first T. Chapter 08.

    Inputs:
        seed: a non-negative integer.
    Returns:
        x: (MAX_T, D_PROBE).
    """
    return np.random.default_rng([_check_seed(seed), 1]).standard_normal((MAX_T, D_PROBE))


def gate_reach(forget_bias: float, T: int, params=None, x=None, seed: int = 0) -> dict:
    """The gradient-reach curves and the gates of one untrained LSTM, for the dashboard. Chapter 08.

    The LSTM's weights are params (default probe_params(seed)) with every entry of b_f set to
    forget_bias; it reads the first T steps of x (default probe_inputs(seed)) from zero states.
    For a loss at the last step, the gradient sizes at distance k (k = 0 is the last step) are
    bplib.experiments.memory.cell_gradient_through_time for the cell state (quantity "c", all paths)
    and for the cell-state path alone ("c_cell_path"); the reference is memory.gradient_through_time
    of a tanh RNN with the same hidden size and Wh_scale RNN_WH_SCALE (its own weights and inputs
    from the seed).

    Inputs:
        forget_bias: a finite real number, the value of every entry of b_f.
        T: the number of steps, 1 .. MAX_T.
        params: an LSTM params dict (D, H read from it) or None.
        x: (T', D) inputs with T' >= T, or None.
        seed: a non-negative integer, used for what is None.
    Returns:
        dict with
            distance: (T,) 0 .. T-1;
            cell, cell_path, rnn: (T,) gradient sizes at each distance (non-negative);
            cell_ratio, cell_path_ratio, rnn_ratio: each curve at distance T-1 over its value at 0;
            f, i, o, c: (T, H) the forget, input and output gates and the cell state, step by step;
            mean_f: the mean forget gate over all units and steps;
            sigmoid_bias: sigmoid(forget_bias), the forget gate of a unit whose other inputs are 0;
            forget_bias, T: the inputs, as float and int.
    """
    forget_bias = _check_bias(forget_bias)
    T = _check_T(T)
    seed = _check_seed(seed)
    p = _with_forget_bias(probe_params(seed) if params is None else params, forget_bias)
    D, _ = p["W_f"].shape
    x_all = probe_inputs(seed) if x is None else np.asarray(x, dtype=np.float64)
    if x_all.ndim != 2 or x_all.shape[0] < T or x_all.shape[1] != D:
        raise ValueError(f"x: expected inputs of shape (T', {D}) with T' >= T = {T}, got shape {x_all.shape}")
    return _gate_reach(memory._stacked_run(p, x_all[np.newaxis, :T]), T, forget_bias, seed)


def _gate_reach(run, T: int, forget_bias: float, seed: int, jacobians=None) -> dict:
    """gate_reach from the LSTM's forward pass: run, a one-row stacked run (memory._stacked_run) of at
    least T steps, and optionally its step Jacobians (memory._step_jacobians) over at least T steps."""
    # one forward pass gives the gates and both curves (cell_gradient_through_time's "c" and "c_cell_path")
    probe = memory._probe(run, T, ("c", "c_cell_path"), jacobians)
    cell, cell_path = probe["reach"]["c"], probe["reach"]["c_cell_path"]  # (T,) each
    rnn_curve = _reference_rnn(T, run.h.shape[-1], seed)  # (T,)

    def ratio(curve: np.ndarray) -> float:
        return float(curve[-1] / curve[0]) if curve[0] > 0 else 0.0

    return {
        "distance": np.arange(T),
        "cell": cell,
        "cell_path": cell_path,
        "rnn": rnn_curve,
        "cell_ratio": ratio(cell),
        "cell_path_ratio": ratio(cell_path),
        "rnn_ratio": ratio(rnn_curve),
        "f": probe["f"],
        "i": probe["i"],
        "o": probe["o"],
        "c": probe["c"],
        "mean_f": float(probe["f"].mean()),
        "sigmoid_bias": 0.5 * (1.0 + math.tanh(0.5 * forget_bias)),  # sigmoid, finite for any bias
        "forget_bias": forget_bias,
        "T": T,
    }


# ---- the view ---------------------------------------------------------------------------------------

_COLOURS = {"cell": "#2e7d32", "cell_path": "#66bb6a", "rnn": "#757575", "f": "#1565c0", "i": "#ef6c00",
            "o": "#8e24aa"}
_VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]  # from 0 to 1
_BLUE_WHITE_RED = ["#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b"]  # negative blue, positive red


def _decade_limits(curves) -> tuple[float, float]:
    """Log-axis limits that hold every positive value of the curves (within 1e-60 .. 1e60): the lower
    one a multiple of DECADE_STEP decades at or below 1e-5, the upper one a whole decade at or above 10."""
    values = np.concatenate([np.ravel(c) for c in curves])
    positive = values[values > 0]
    low = math.floor(math.log10(positive.min())) if positive.size else _LOWEST_DECADE
    high = math.ceil(math.log10(positive.max())) if positive.size else 1
    low = max(_LOWEST_DECADE, min(DECADE_STEP * math.floor(low / DECADE_STEP), -DECADE_STEP))
    high = min(60, max(high, 1))
    return 10.0**low, 10.0**high


def _with_forget_bias(params, forget_bias: float) -> dict:
    """A float64 copy of LSTM params with every entry of b_f set to forget_bias."""
    p = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    if "b_f" not in p:
        raise ValueError(f"params: expected an LSTM params dict with the keys {list(lstm.PARAM_NAMES)}")
    p["b_f"][...] = forget_bias
    return p


@functools.lru_cache(maxsize=64)
def _reference_rnn_cached(T: int, H: int, seed: int) -> np.ndarray:
    curve = memory.gradient_through_time(RNN_WH_SCALE, T, H, np.random.default_rng([seed, 2]))  # (T,)
    curve.flags.writeable = False  # shared between calls
    return curve


def _reference_rnn(T: int, H: int, seed: int) -> np.ndarray:
    """The reference RNN's curve (T,): it does not depend on the forget bias, so it is computed once per T."""
    return _reference_rnn_cached(T, H, seed).copy()


def _ratio_text(value: float) -> str:
    return "0 (underflowed)" if value == 0.0 else f"{value:.1e}"


class LSTMGatesDashboard(Dashboard):
    """Forget bias and sequence length; gradient reach, gates and cell state of an untrained LSTM. Chapter 08.

    The figure is drawn in the browser (bqplot): a change of a slider sends the new curves and
    images as arrays, never pixels.

    Attributes (besides Dashboard's):
        params: the probed LSTM's weights; x: (MAX_T, D) its inputs.
        state: the latest gate_reach result.
        marks: dict name -> bqplot mark, updated in place: "curves" (Lines, y (2, T): the gradient size
            of the LSTM cell state and of the vanilla RNN against distance), "cell_path" (Lines, (T,),
            dashed), "f_image", "c_image" (Image of units x steps, a picture made by
            plots.colour_map, blank after step T-1), "means" (Lines, y (3, T): the mean forget, input
            and output gate against step), "sigmoid_bias" (Lines, the level sigmoid(b_f) on the gate-means
            panel).
        pictures: dict "f", "c" -> the plots.Picture of each image.
        scales: dict name -> bqplot scale whose limits follow the sliders: "distance" and "gradient"
            (the gradient panel's axes), "step" (the time axis of the three panels on the right).
    """

    def __init__(self, forget_bias: float = 1.0, T: int = 60, seed: int = 0):
        forget_bias = _check_bias(forget_bias)
        if not BIAS_RANGE[0] <= forget_bias <= BIAS_RANGE[1]:
            raise ValueError(f"forget_bias: expected a value in [{BIAS_RANGE[0]}, {BIAS_RANGE[1]}], got {forget_bias}")
        T = _check_T(T)
        if T < MIN_T or (T - MIN_T) % T_STEP:
            raise ValueError(f"T: expected one of {MIN_T}, {MIN_T + T_STEP}, ..., {MAX_T} (slider steps), got {T}")
        self.seed = _check_seed(seed)
        self.params = probe_params(seed)
        self.x = probe_inputs(seed)
        self.state: dict = {}
        # Every slider position of b_f runs in one forward pass (row n of the batch has the n-th bias), so
        # moving a slider never runs the sequence; a bias's step Jacobians are kept while only T moves.
        self._biases = BIAS_RANGE[0] + BIAS_STEP * np.arange(round((BIAS_RANGE[1] - BIAS_RANGE[0]) / BIAS_STEP) + 1)
        every_bias = {**self.params, "b_f": self._biases[:, np.newaxis] * np.ones(H_PROBE)}  # b_f: (biases, H)
        self._runs = memory._stacked_run(every_bias, np.broadcast_to(self.x, (len(self._biases), *self.x.shape)))
        self._jacobians: tuple[int, np.ndarray] | None = None  # (bias row, its step Jacobians)
        for steps in range(MIN_T, MAX_T + 1, T_STEP):  # the reference RNN's curve of every slider length, once
            _reference_rnn_cached(steps, H_PROBE, self.seed)
        self.marks, self.scales = {}, {}
        controls = {
            "forget_bias": widgets.FloatSlider(value=forget_bias, min=BIAS_RANGE[0], max=BIAS_RANGE[1],
                                               step=BIAS_STEP, description="forget bias b_f",
                                               style={"description_width": "initial"}, continuous_update=True),
            "T": widgets.IntSlider(value=T, min=MIN_T, max=MAX_T, step=T_STEP, description="length T",
                                   style={"description_width": "initial"}, continuous_update=True),
        }
        super().__init__(controls, self._make_figure())

    def _make_figure(self):
        marks, scales = self.marks, self.scales
        scales["distance"] = bq.LinearScale(min=0.0, max=float(AXIS_WIDTHS[0] - 1))
        scales["gradient"] = bq.LogScale(min=1e-5, max=10.0)
        curve_scales = {"x": scales["distance"], "y": scales["gradient"]}
        curves = (("cell", "LSTM cell state c (all paths)", "solid"),
                  ("cell_path", "LSTM cell path only (product of f)", "dashed"),
                  ("rnn", "vanilla RNN h (Wh radius 1)", "solid"))
        # the two solid curves share one mark (one message per change), the dashed one has its own
        marks["curves"] = bq.Lines(x=[0.0], y=[[1.0]] * 2, scales=curve_scales, stroke_width=2.2,
                                   colors=[_COLOURS["cell"], _COLOURS["rnn"]])
        marks["cell_path"] = bq.Lines(x=[0.0], y=[1.0], scales=curve_scales, colors=[_COLOURS["cell_path"]],
                                      line_style="dashed", stroke_width=2.0)
        gradient = plots.figure(
            [marks["curves"], marks["cell_path"]],
            [plots.axis(scales["distance"], "distance back in time k (steps before the loss)"),
             plots.axis(scales["gradient"], "gradient size at distance k", vertical=True, tick_format=".0e")],
            title="how far back the gradient reaches", width=440, height=490)
        left = [plots.legend([(label, _COLOURS[name], style) for name, label, style in curves[:2]]),
                plots.legend([(label, _COLOURS[name], style) for name, label, style in curves[2:]]), gradient]

        scales["step"] = bq.LinearScale(min=-0.5, max=AXIS_WIDTHS[0] - 0.5)
        units = bq.LinearScale(min=-0.5, max=H_PROBE - 0.5, reverse=True)  # unit 0 on top
        images, self.pictures = {}, {}
        for name, title, colours, low in (
                ("f", "forget gate f of each unit at each step", _VIRIDIS, 0.0),
                ("c", f"cell state c (colours saturate beyond ±{CELL_COLOUR_LIMIT:g})", _BLUE_WHITE_RED,
                 -CELL_COLOUR_LIMIT)):
            colour = plots.colour_scale(colours, low, -low if low else 1.0)  # for the colour bar
            self.pictures[name] = plots.Picture({"x": scales["step"], "y": units})
            marks[f"{name}_image"] = self.pictures[name].mark
            images[name] = plots.figure(
                [marks[f"{name}_image"]],
                [plots.axis(scales["step"], "step t" if name == "c" else ""),
                 plots.axis(units, "unit", vertical=True, ticks=range(0, H_PROBE, 5)),
                 bq.ColorAxis(scale=colour, side="right")],
                title=title, width=470, height=165, right_margin=70)

        level = bq.LinearScale(min=0.0, max=1.05)
        mean_scales = {"x": scales["step"], "y": level}
        gates = (("f", "forget f", "solid"), ("i", "input i", "solid"), ("o", "output o", "solid"))
        # one mark, three curves: one message per change (fewer marks to update is less for the browser to draw)
        marks["means"] = bq.Lines(x=[0.0], y=[[0.5]] * 3, scales=mean_scales,
                                  colors=[_COLOURS[name] for name, _, _ in gates], stroke_width=1.5)
        marks["sigmoid_bias"] = bq.Lines(x=[0.0], y=[0.5], scales=mean_scales, colors=[_COLOURS["f"]],
                                         line_style="dotted")
        means = plots.figure([marks["means"], marks["sigmoid_bias"]],
                             [plots.axis(scales["step"], ""),
                              plots.axis(level, "mean over the units", vertical=True, ticks=(0.0, 0.5, 1.0))],
                             title="", width=470, height=150, right_margin=70)
        key = plots.legend([(label, _COLOURS[name], style) for name, label, style in gates]
                           + [("sigmoid(b_f)", _COLOURS["f"], "dotted")])
        return plots.panels(left, [images["f"], key, means, images["c"]])

    def _render(self, values: dict) -> str:
        T = int(values["T"])
        row = int(np.argmin(np.abs(self._biases - values["forget_bias"])))  # the slider's position
        run = memory._one_row(self._runs, row)
        state = _gate_reach(run, T, float(values["forget_bias"]), self.seed, self._step_jacobians(row, run, T))
        self.state = state
        marks, scales = self.marks, self.scales
        k = state["distance"].astype(np.float64)
        width = axis_width(T)
        low, high = _decade_limits([state["cell"], state["cell_path"], state["rnn"]])
        with scales["distance"].hold_sync(), scales["gradient"].hold_sync(), scales["step"].hold_sync():
            scales["distance"].max = float(width - 1)
            scales["gradient"].min, scales["gradient"].max = low, high
            scales["step"].max = width - 0.5
        with marks["curves"].hold_sync(), marks["cell_path"].hold_sync():  # an underflowed 0 sits on the floor
            marks["curves"].x, marks["cell_path"].x = k, k
            marks["curves"].y = np.maximum(np.stack([state["cell"], state["rnn"]]), PLOT_FLOOR)  # (2, T)
            marks["cell_path"].y = np.maximum(state["cell_path"], PLOT_FLOOR)
        for name, colours, limit in (("f", _VIRIDIS, None), ("c", _BLUE_WHITE_RED, CELL_COLOUR_LIMIT)):
            # units as rows (unit 0 on top), steps as columns; the rest of the time axis stays blank
            low, high = (0.0, 1.0) if limit is None else (-limit, limit)
            self.pictures[name].show(plots.colour_map(state[name].T, colours, low, high),
                                     x=(-0.5, T - 0.5), y=(-0.5, H_PROBE - 0.5))  # unit 0 on top (scale reversed)
        with marks["means"].hold_sync():
            marks["means"].x = k
            marks["means"].y = np.stack([state[name].mean(axis=1) for name in ("f", "i", "o")])  # (3, T)
        with marks["sigmoid_bias"].hold_sync():
            marks["sigmoid_bias"].x = np.array([-0.5, T - 0.5])
            marks["sigmoid_bias"].y = np.array([state["sigmoid_bias"]] * 2)
        return self._readout(state)

    def _step_jacobians(self, row: int, run, T: int) -> np.ndarray:
        """The step Jacobians of bias row `row` over at least T steps.

        A new bias gets them for its T steps; once T grows past what is kept, for all MAX_T steps, so
        that moving T with the bias kept only walks the kept Jacobians.
        """
        if self._jacobians is not None and self._jacobians[0] == row and len(self._jacobians[1]) >= T:
            return self._jacobians[1]
        fresh = self._jacobians is None or self._jacobians[0] != row
        steps = T if fresh else MAX_T
        self._jacobians = (row, memory._step_jacobians(memory._first_steps(run, steps)))
        return self._jacobians[1]

    def close(self) -> None:
        super().close()
        for picture in self.pictures.values():
            picture.close()

    @staticmethod
    def _readout(state: dict) -> str:
        T = state["T"]
        rows = [
            ("LSTM cell state (all paths)", state["cell_ratio"]),
            ("LSTM cell path only", state["cell_path_ratio"]),
            ("vanilla RNN", state["rnn_ratio"]),
        ]
        cells = "".join(f"<tr><td style='padding-right:1em'>{name}</td><td><code>{_ratio_text(value)}</code></td></tr>"
                        for name, value in rows)
        return (
            f"<b>b_f = <code>{state['forget_bias']:.2f}</code></b>: sigmoid(b_f) = "
            f"<code>{state['sigmoid_bias']:.3f}</code>; mean forget gate over the {T} steps "
            f"<b><code>{state['mean_f']:.3f}</code></b><br>"
            f"gradient at distance {T - 1} (the first step) relative to distance 0 (the last step):"
            f"<table>{cells}</table>"
        )


def lstm_gates_dashboard(forget_bias: float = 1.0, T: int = 60, seed: int = 0) -> LSTMGatesDashboard:
    """Sliders for the forget-gate bias and the sequence length of an untrained LSTM. Chapter 08.

    Shows how far back a loss at the last step sends gradient (LSTM cell state, its cell path, a
    vanilla RNN for reference), the gates over time and the cell state; the last line of a cell.

    Inputs:
        forget_bias: initial b_f, in BIAS_RANGE.
        T: initial sequence length, MIN_T .. MAX_T in steps of 5.
        seed: which random LSTM, inputs and RNN (a non-negative integer).
    Returns:
        LSTMGatesDashboard (displays itself; .set(forget_bias=..., T=...) moves the sliders).
    """
    return LSTMGatesDashboard(forget_bias=forget_bias, T=T, seed=seed)
