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

The pure compute function is gate_reach; the view updates its artists in place: line data and
image data (arrays padded to MAX_T columns with NaN, so every image keeps one fixed extent). The
figure is a LayeredFigure (bplib.widgets._layered): frames, labels and colour bars stay as cached
pixels; the curves, the images and the ticks of the axes whose limits move (bplib.widgets.
_live_ticks) are drawn again. The limits change in coarse steps, so the axes do not jump at every
slider step: the time axes are AXIS_WIDTHS steps wide (the smallest that holds T, the rest left
blank), and the gradient axis's lower limit moves in steps of DECADE_STEP decades.
"""

from __future__ import annotations

import functools
import math
import numbers

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from bplib import lstm
from bplib.experiments import memory
from bplib.widgets._base import Dashboard
from bplib.widgets._layered import LayeredFigure
from bplib.widgets._live_ticks import LiveTicks
from bplib.widgets._nearest_image import nearest_imshow

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
_WIDEST_GRADIENT_LABEL = "10⁻⁸⁸"  # the gradient axis's labels run from 10⁻⁶⁰ to 10⁶⁰: room for two digits


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


def gate_reach(forget_bias: float, T: int, params=None, x=None, seed: int = 0, run=None) -> dict:
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
        run: None, or the forward pass of these params (b_f = forget_bias) over all T' steps of x,
            bplib.experiments.memory.lstm_probe(...)["run"], reused instead of running it again (the
            dashboard keeps one while only T moves).
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
    D, H = p["W_f"].shape
    x_all = probe_inputs(seed) if x is None else np.asarray(x, dtype=np.float64)
    if x_all.ndim != 2 or x_all.shape[0] < T or x_all.shape[1] != D:
        raise ValueError(f"x: expected inputs of shape (T', {D}) with T' >= T = {T}, got shape {x_all.shape}")
    # one forward pass gives the gates and both curves (cell_gradient_through_time's "c" and "c_cell_path")
    if run is None:
        probe = memory.lstm_probe(p, x_all[:T], ("c", "c_cell_path"))
    else:
        probe = memory.lstm_probe(p, x_all, ("c", "c_cell_path"), steps=T, run=run)
    cell, cell_path = probe["reach"]["c"], probe["reach"]["c_cell_path"]  # (T,) each
    rnn_curve = _reference_rnn(T, H, seed)  # (T,)

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


def _padded(values: np.ndarray) -> np.ndarray:
    """(T, H) -> (H, MAX_T): units as rows, steps as columns, NaN (drawn blank) after step T-1."""
    out = np.full((values.shape[1], MAX_T), np.nan)
    out[:, : values.shape[0]] = values.T
    return out


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

    Attributes (besides Dashboard's):
        params: the probed LSTM's weights (b_f is overwritten by each update); x: (MAX_T, D) its inputs.
        state: the latest gate_reach result.
        ax_grad, ax_f, ax_mean, ax_c: the four Axes.
        artists: dict name -> artist, updated in place: "cell", "cell_path", "rnn" (Line2D, gradient
            size against distance), "f_image", "c_image" (AxesImage, units x steps), "mean_f",
            "mean_i", "mean_o" (Line2D, gate means against step), "sigmoid_bias" (Line2D, the
            level sigmoid(b_f) on the gate-means panel).
        live_ticks: the LiveTicks (bplib.widgets._live_ticks) of the axes whose limits follow the
            sliders: both axes of the gradient panel and the time axes of the other three.
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
        self._last_bias: float | None = None  # the forget bias of the last update
        self._run: tuple | None = None  # (forget bias, its forward pass over all MAX_T steps of x)
        with plt.ioff():
            fig = plt.figure(figsize=(10.0, 5.6), FigureClass=LayeredFigure)
        outer = fig.add_gridspec(1, 2, width_ratios=(1.0, 1.08), left=0.07, right=0.95, bottom=0.09, top=0.93,
                                 wspace=0.2)
        right = outer[0, 1].subgridspec(3, 2, width_ratios=(1.0, 0.035), wspace=0.05, hspace=0.55)
        self.ax_grad = fig.add_subplot(outer[0, 0])
        self.ax_f = fig.add_subplot(right[0, 0])
        self.ax_mean = fig.add_subplot(right[1, 0])
        self.ax_c = fig.add_subplot(right[2, 0])
        self._colourbar_axes = (fig.add_subplot(right[0, 1]), fig.add_subplot(right[2, 1]))
        self.artists = self._make_artists(fig)
        # The ticks of the axes whose limits follow the sliders are drawn live: the gradient panel's both
        # axes and every time axis.
        self.live_ticks = [LiveTicks(self.ax_grad.yaxis, widest=_WIDEST_GRADIENT_LABEL),
                           *(LiveTicks(ax.xaxis) for ax in (self.ax_grad, self.ax_f, self.ax_mean, self.ax_c))]
        # Curves, images and those ticks change; frames, labels and colour bars stay as cached pixels, the
        # frames and the gradient panel's legend on top of the curves.
        frames = [spine for ax in (self.ax_grad, self.ax_f, self.ax_mean, self.ax_c) for spine in ax.spines.values()]
        fig.set_layers(dynamic=[*self.artists.values(), *self.live_ticks],
                       overlay=[*frames, self.ax_grad.get_legend()])
        controls = {
            "forget_bias": widgets.FloatSlider(value=forget_bias, min=BIAS_RANGE[0], max=BIAS_RANGE[1],
                                               step=BIAS_STEP, description="forget bias b_f",
                                               style={"description_width": "initial"}, continuous_update=True),
            "T": widgets.IntSlider(value=T, min=MIN_T, max=MAX_T, step=T_STEP, description="length T",
                                   style={"description_width": "initial"}, continuous_update=True),
        }
        super().__init__(controls, fig)

    def _make_artists(self, fig) -> dict:
        art = {}
        ax = self.ax_grad
        (art["cell"],) = ax.plot([], [], color=_COLOURS["cell"], lw=2.0, label="LSTM cell state c (all paths)")
        (art["cell_path"],) = ax.plot([], [], color=_COLOURS["cell_path"], lw=1.6, ls="--",
                                      label="LSTM cell path only (product of f)")
        (art["rnn"],) = ax.plot([], [], color=_COLOURS["rnn"], lw=1.6, label="vanilla RNN h (Wh radius 1)")
        ax.set_yscale("log")
        ax.set_xlabel("distance back in time k (steps before the loss)")
        ax.set_ylabel("gradient size at distance k")
        ax.set_title("how far back the gradient reaches", fontsize=10)
        ax.legend(loc="lower left", fontsize=8)
        ax.grid(True, which="major", alpha=0.3)

        blank = np.full((H_PROBE, MAX_T), np.nan)
        extent = (-0.5, MAX_T - 0.5, H_PROBE - 0.5, -0.5)  # fixed: columns are steps, rows are units
        art["f_image"] = nearest_imshow(self.ax_f, blank, extent=extent, cmap="viridis", vmin=0.0, vmax=1.0)
        fig.colorbar(art["f_image"], cax=self._colourbar_axes[0])
        self.ax_f.set_title("forget gate f of each unit at each step", fontsize=9)
        self.ax_f.set_ylabel("unit")

        for name in ("f", "i", "o"):
            label = {"f": "forget f", "i": "input i", "o": "output o"}[name]
            (art[f"mean_{name}"],) = self.ax_mean.plot([], [], color=_COLOURS[name], lw=1.4, label=label)
        (art["sigmoid_bias"],) = self.ax_mean.plot([], [], color=_COLOURS["f"], lw=0.8, ls=":",
                                                   label="sigmoid(b_f)")
        self.ax_mean.set_ylim(0.0, 1.05)
        self.ax_mean.set_ylabel("mean over\nthe units", fontsize=8)
        # above the panel, where it can never hide a curve (the gates span the whole range 0 .. 1)
        self.ax_mean.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, fontsize=7, frameon=False,
                            handlelength=1.5, columnspacing=1.0, borderaxespad=0.2)

        art["c_image"] = nearest_imshow(self.ax_c, blank, extent=extent, cmap="RdBu_r", vmin=-CELL_COLOUR_LIMIT,
                                        vmax=CELL_COLOUR_LIMIT)
        fig.colorbar(art["c_image"], cax=self._colourbar_axes[1])
        self.ax_c.set_title(f"cell state c (colours saturate beyond ±{CELL_COLOUR_LIMIT:g})", fontsize=9)
        self.ax_c.set_ylabel("unit")
        self.ax_c.set_xlabel("step t")
        return art

    def _render(self, values: dict) -> str:
        T = int(values["T"])
        state = gate_reach(values["forget_bias"], T, params=self.params, x=self.x, seed=self.seed,
                           run=self._forward_run(values["forget_bias"]))
        self.state = state
        art = self.artists
        k = state["distance"]
        for name in ("cell", "cell_path", "rnn"):
            art[name].set_data(k, np.maximum(state[name], PLOT_FLOOR))  # an underflowed 0 sits on the floor
        width = axis_width(T)
        if self.ax_grad.get_xlim() != (0, width - 1):  # set only on a change: set_xlim marks the figure stale
            self.ax_grad.set_xlim(0, width - 1)
        limits = _decade_limits([state["cell"], state["cell_path"], state["rnn"]])
        if self.ax_grad.get_ylim() != limits:
            self.ax_grad.set_ylim(*limits)

        art["f_image"].set_data(_padded(state["f"]))
        art["c_image"].set_data(_padded(state["c"]))
        steps = np.arange(T)
        for name in ("f", "i", "o"):
            art[f"mean_{name}"].set_data(steps, state[name].mean(axis=1))
        art["sigmoid_bias"].set_data([-0.5, T - 0.5], [state["sigmoid_bias"]] * 2)
        for ax in (self.ax_f, self.ax_mean, self.ax_c):
            if ax.get_xlim() != (-0.5, width - 0.5):
                ax.set_xlim(-0.5, width - 0.5)
        return self._readout(state)

    def _forward_run(self, forget_bias: float):
        """The forward pass over the whole input to reuse while only T moves, or None.

        The run does not depend on T (a shorter sequence is its prefix), so once T moves with the bias
        kept, the whole sequence is run once and every length then reuses it. A new bias runs only
        the T steps it needs (gate_reach without a run).
        """
        if self._run is not None and self._run[0] == forget_bias:
            return self._run[1]
        kept = forget_bias == self._last_bias
        self._last_bias, self._run = forget_bias, None
        if not kept:
            return None
        run = memory.lstm_probe(_with_forget_bias(self.params, forget_bias), self.x, ())["run"]
        self._run = (forget_bias, run)
        return run

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
