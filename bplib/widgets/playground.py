"""Dashboard: a playground that trains a small network live on a 2-d data set (chapter 05).

In the spirit of TensorFlow Playground. Controls: learning rate, hidden units, hidden layers,
hidden activation, batch size and data set; buttons Start/Stop, Step (one epoch) and Reset.
The figure shows
  - left: the data and the network's class probabilities on a fixed grid, as an image whose
    colour blends the class colours by probability (the decision boundary is where they mix);
  - top right: the training loss per epoch (epoch 0 is the untrained network);
  - bottom right: the size |dW| of each layer's weight gradient on the whole training set.
The readout gives epoch, loss, training accuracy and status (ready, running, stopped, diverged).

Three parts, as every dashboard (bplib.widgets._base):
  1. pure compute functions: playground_data, grid_bounds, decision_grid, decision_image,
     playground_state, diverged;
  2. the view, drawn in the browser (bqplot, bplib.widgets._plots): `Playground._draw` sends
     what changed since the last view: the probability picture (a small PNG of IMAGE_RESOLUTION
     pixels a side, which the browser stretches over the data panel), the loss curve, the bar
     heights, the axes' limits; the scatter of the data is sent once per data set. Moving the
     learning rate or the batch size sends nothing to the figure: they act when training;
  3. the wiring: sliders and dropdowns observed by `_render`; buttons call start/stop, step, reset.

Training in the background. `start()` creates an asyncio task on the running event loop (a
Jupyter kernel has one). The task trains for about CHUNK_SECONDS, updates the view, then sleeps
PAUSE_SECONDS, during which the kernel handles button clicks and slider moves. So the notebook
stays responsive while the network trains. Without a running loop (plain Python, tests) `start()`
raises a RuntimeError that says to use the synchronous `step(epochs)` or `run(epochs)`, which do
the same training.

Training is Network.fit with SGD, one epoch at a time; the shuffling comes from a seeded
Generator, so the same settings give the same network however the epochs are chunked.
"""

from __future__ import annotations

import asyncio
import html
import math
import numbers
import time

import bqplot as bq
import ipywidgets as widgets
import matplotlib.colors
import numpy as np

from bplib import activations, data
from bplib._validate import as_float_array
from bplib.layers import ACTIVATIONS as LAYER_ACTIVATIONS
from bplib.layers import Dense, _dense_forward
from bplib.network import History, Network
from bplib.optim import SGD
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard

__all__ = [
    "ACTIVATIONS",
    "BATCH_SIZES",
    "CHUNK_SECONDS",
    "DATASETS",
    "DIVERGENCE_FACTOR",
    "IMAGE_RESOLUTION",
    "MAX_EPOCHS",
    "Playground",
    "decision_grid",
    "decision_image",
    "diverged",
    "grid_bounds",
    "nice_ceiling",
    "playground",
    "playground_data",
    "playground_state",
    "quarter_decades",
]

DATASETS = ("xor_blobs", "moons", "spirals", "blobs")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
BATCH_SIZES = (1, 4, 16, 64, 256)
LR_EXPONENTS = (-3, 1)  # the learning-rate slider runs from 10**-3 to 10**1
HIDDEN_RANGE = (1, 64)
LAYERS_RANGE = (1, 3)
RESOLUTION = 80  # grid points per side of decision_grid's probabilities
# ... and of the dashboard's live picture: 3 hidden layers of 64 sigmoid units take ~3 us a grid point even
# in float32, so 40 x 40 keeps a redraw within its budget; the browser stretches it smoothly over the panel.
IMAGE_RESOLUTION = 40
GRID_MARGIN = 0.15  # the grid reaches this share of the data's range beyond the data
CHUNK_SECONDS = 0.04  # background training: train this long, then update the view
PAUSE_SECONDS = 0.02  # ... then give the kernel this long to handle clicks and slider moves
MAX_EPOCHS = 3000  # background training stops here, so a forgotten dashboard does not run for ever
# "Diverged": the training loss left all finite numbers, or grew to more than this many times the
# untrained network's loss. Softmax cross-entropy of bounded activations rarely overflows: with a
# far too large learning rate it rises to tens or hundreds instead, which is just as hopeless.
DIVERGENCE_FACTOR = 10.0
CLASS_COLOURS = np.array([  # (3, 3) RGB in [0, 1], one row per class
    [0.122, 0.467, 0.706],  # blue
    [1.000, 0.498, 0.055],  # orange
    [0.173, 0.627, 0.173],  # green
])
NICE_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)  # mantissas of the loss and gradient axes' limits
WHITE_SHARE = 0.55  # the image is the blended class colour mixed with this much white
WEIGHT_NAMES = tuple(f"W{k}" for k in range(1, LAYERS_RANGE[1] + 2))  # the bars' slots: the deepest network's
LOSS_COLOUR, BAR_COLOUR = "#1565c0", "#6a1b9a"
MAX_LOG_TICKS = 6  # labelled ticks on the loss axis, at most
AXIS_TICKS = 5  # about this many ticks on the linear axes (bqplot's own choice, up to 15, crowds the panels)
_STATUS_COLOURS = {"ready": "#616161", "running": "#2e7d32", "stopped": "#616161", "diverged": "#c62828"}


# ---- pure compute ----------------------------------------------------------------------------


def playground_data(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The named 2-d toy data set, as the playground uses it. Chapter 05.

    Inputs:
        name: one of DATASETS: "xor_blobs" (200 points, 2 classes), "moons" (200, 2),
            "spirals" (300, 3 arms), "blobs" (300, 3 clusters).
        seed: the data's seed, a whole number >= 0.
    Returns:
        x: (N, 2) float64; y: (N,) int64 labels 0 .. C-1.
    """
    makers = {
        "xor_blobs": lambda: data.xor_blobs(200, noise=0.15, seed=seed),
        "moons": lambda: data.moons(200, noise=0.1, seed=seed),
        "spirals": lambda: data.spirals(100, classes=3, noise=0.05, seed=seed),
        "blobs": lambda: data.blobs(300, centers=3, std=0.6, seed=seed),
    }
    if name not in makers:
        raise ValueError(f"dataset: expected one of {list(DATASETS)}, got {name!r}")
    return makers[name]()


def grid_bounds(x, margin: float = GRID_MARGIN) -> tuple[float, float, float, float]:
    """The rectangle the probability image covers: the data's range plus a margin. Chapter 05.

    Inputs:
        x: (N, 2) points.
        margin: the share of each coordinate's range added on both sides, >= 0.
    Returns:
        (x0_min, x0_max, x1_min, x1_max), the image's extent for matplotlib's imshow.
    """
    x_arr = as_float_array(x, "x")
    if x_arr.ndim != 2 or x_arr.shape[1] != 2 or x_arr.shape[0] == 0:
        raise ValueError(f"x: expected 2-d points of shape (N, 2) with N >= 1, got shape {x_arr.shape}")
    if not (isinstance(margin, numbers.Real) and math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin: expected a finite number >= 0, got {margin!r}")
    low, high = x_arr.min(axis=0), x_arr.max(axis=0)  # (2,), (2,)
    pad = margin * np.maximum(high - low, 1e-3)  # (2,); a single point still gets an area
    return (float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1]))


def _grid_points(bounds, resolution: int) -> np.ndarray:
    """(R * R, 2) grid points, row by row from the bottom: point r * R + c is (xs[c], ys[r])."""
    x0_min, x0_max, x1_min, x1_max = bounds
    # pixel centres, so that imshow with extent=bounds puts each value where it was computed
    step0 = (x0_max - x0_min) / resolution
    step1 = (x1_max - x1_min) / resolution
    xs = x0_min + step0 * (np.arange(resolution) + 0.5)  # (R,)
    ys = x1_min + step1 * (np.arange(resolution) + 0.5)  # (R,)
    g0, g1 = np.meshgrid(xs, ys)  # (R, R) each; row r holds ys[r]
    return np.column_stack([g0.ravel(), g1.ravel()])  # (R * R, 2)


def decision_grid(net: Network, bounds, resolution: int = RESOLUTION) -> np.ndarray:
    """The network's class probabilities at the centres of a resolution x resolution grid. Chapter 05.

    Inputs:
        net: a Network with 2 inputs.
        bounds: (x0_min, x0_max, x1_min, x1_max), e.g. from grid_bounds.
        resolution: grid points per side, a whole number >= 2.
    Returns:
        probs: (R, R, C) with R = resolution: probs[r, c] is net.predict_proba at the point in
        grid row r (from the bottom) and column c (from the left). Ready for
        imshow(..., origin="lower", extent=bounds).
    """
    if not isinstance(net, Network) or net.layer_sizes[0] != 2:
        raise ValueError(f"net: expected a Network with 2 inputs, got {net!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or resolution < 2:
        raise ValueError(f"resolution: expected a whole number >= 2, got {resolution!r}")
    bounds_arr = as_float_array(bounds, "bounds")
    if bounds_arr.shape != (4,) or bounds_arr[0] >= bounds_arr[1] or bounds_arr[2] >= bounds_arr[3]:
        raise ValueError(f"bounds: expected (x0_min, x0_max, x1_min, x1_max) with min < max, got {bounds!r}")
    R = int(resolution)
    probs = net.predict_proba(_grid_points(bounds_arr, R))  # (R * R, C)
    return probs.reshape(R, R, -1)


def decision_image(probs) -> np.ndarray:
    """The RGB picture of class probabilities: class colours blended by probability, lightened. Chapter 05.

    Inputs:
        probs: (R, S, C) probabilities (each [r, s] row sums to 1), C <= 3 (CLASS_COLOURS).
    Returns:
        image: (R, S, 3) RGB values in [0, 1]: WHITE_SHARE white plus the rest
        sum_k probs[..., k] * CLASS_COLOURS[k]. A sure prediction shows its class's colour;
        an undecided one a mix, which traces the decision boundary.
    """
    p = as_float_array(probs, "probs")
    if p.ndim != 3 or not 1 <= p.shape[2] <= len(CLASS_COLOURS):
        raise ValueError(f"probs: expected shape (R, S, C) with 1 <= C <= {len(CLASS_COLOURS)}, got {p.shape}")
    blended = p @ CLASS_COLOURS[: p.shape[2]]  # (R, S, C) @ (C, 3) -> (R, S, 3)
    return np.clip(WHITE_SHARE + (1.0 - WHITE_SHARE) * blended, 0.0, 1.0)


def _grid_probabilities(net: Network, bounds, resolution: int) -> np.ndarray:
    """decision_grid(net, bounds, resolution) in float32: (R, R, C), within ~1e-6 of it, 2-4 times faster.

    The picture has 256 levels a colour, so float32 changes a pixel by one level at most. The forward
    pass is the network's own (bplib.layers' dense and activation functions) on float32 copies of its
    weights; the softmax runs in float64, so the rows still sum to 1.
    """
    out = _grid_points(bounds, resolution).astype(np.float32)  # (R * R, 2)
    for layer in net.layers:
        if isinstance(layer, Dense):
            W, b = (layer.params[name].astype(np.float32) for name in ("W", "b"))
            out, _ = _dense_forward(out, W, b)  # (R * R, H)
        else:
            out, _ = LAYER_ACTIVATIONS[layer.name][0](out)
    return activations._softmax(out.astype(np.float64), axis=1).reshape(resolution, resolution, -1)


def playground_state(net: Network, x, y) -> dict:
    """Loss, accuracy and gradient sizes of a network on a whole data set. Chapter 05.

    The same numbers Network.fit records after each epoch, so the dashboard can show them for
    the untrained network (epoch 0) too.

    Inputs:
        net: a Network; x: (N, D); y: (N,) integer labels.
    Returns:
        dict with loss (float), accuracy (float in [0, 1]) and grad_norms
        {"W1": |dW1|, "W2": ...}, from net.gradient_norms of the whole-data gradient.
    """
    loss, grads = net.loss_and_grads(x, y)
    return {"loss": loss, "accuracy": net.accuracy(x, y), "grad_norms": net.gradient_norms(grads)}


def diverged(loss: float, initial_loss: float, factor: float = DIVERGENCE_FACTOR) -> bool:
    """Whether training has blown up: the loss is not finite or above factor * initial_loss. Chapter 05.

    Inputs:
        loss: the latest training loss; initial_loss: the untrained network's loss (> 0).
        factor: how many times the initial loss counts as blown up.
    Returns:
        True or False.
    """
    return not math.isfinite(loss) or loss > factor * initial_loss


# ---- the dashboard -----------------------------------------------------------------------------


def nice_ceiling(value: float) -> float:
    """The smallest number m * 10**k >= value with m in NICE_STEPS (an axis limit that rarely moves). Chapter 05.

    Inputs:
        value: a positive finite number.
    Returns:
        that number, e.g. 1.0 for 1.0, 1.5 for 1.2, 60.0 for 55.0.
    """
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"value: expected a positive finite number, got {value!r}")
    decade = 10.0 ** math.floor(math.log10(value))
    for m in (*NICE_STEPS, 10.0):
        top = round(m * decade, 12)
        if top >= value:
            return top
    return round(10.0 * decade, 12)  # pragma: no cover - rounding at the decade's top edge


def quarter_decades(low: float, high: float) -> tuple[float, float]:
    """Log-axis limits holding [low, high], rounded outward to quarter decades. Chapter 05.

    Inputs:
        low, high: positive numbers, low <= high.
    Returns:
        (10**(i/4), 10**(j/4)) with the largest such lower limit <= low and smallest upper limit >= high.
    """
    if not (0 < low <= high and math.isfinite(high)):
        raise ValueError(f"low, high: expected 0 < low <= high < inf, got {low!r}, {high!r}")
    quarters_low = math.floor(4.0 * math.log10(low) + 1e-9)  # the 1e-9: a limit already on a quarter stays
    quarters_high = math.ceil(4.0 * math.log10(high) - 1e-9)
    return 10.0 ** (quarters_low / 4.0), 10.0 ** (quarters_high / 4.0)


def _log_ticks(low: float, high: float) -> np.ndarray:
    """Tick values for a log axis from low to high (0 < low < high): 1, 2 and 5 times the powers of ten
    in it; only the powers (every k-th when there are many) when those are more than MAX_LOG_TICKS;
    1, 1.5, 2, 3, 4, 6 and 8 times them when those are fewer than 3 (a range of less than a decade)."""
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)

    def inside(mantissas) -> list[float]:
        values = (float(f"{m}e{k}") for k in decades for m in mantissas)  # exact decimals: 0.3, not 0.30000000000000004
        return [v for v in values if low * (1 - 1e-9) <= v <= high * (1 + 1e-9)]

    ticks = inside((1, 2, 5))
    if len(ticks) > MAX_LOG_TICKS:
        powers = inside((1,))
        ticks = powers[::math.ceil(len(powers) / MAX_LOG_TICKS)]
    elif len(ticks) < 3:
        ticks = inside((1, 1.5, 2, 3, 4, 6, 8))
    return np.array(ticks, dtype=np.float64)


def _linear_ticks(low: float, high: float, count: int = AXIS_TICKS) -> np.ndarray:
    """About `count` round tick values from low to high (low < high): the multiples, inside, of the step
    1, 2, 5 or 10 times a power of ten nearest (on a log scale) to (high - low) / count, as d3 chooses."""
    least = (high - low) / count
    power = 10.0 ** math.floor(math.log10(least))
    error = least / power  # in [1, 10)
    mantissa = 10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1
    step = mantissa * power
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return np.array([round(k * step, 12) for k in range(first, last + 1)], dtype=np.float64)


def _whole(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ValueError(f"{name}: expected a whole number in [{low}, {high}], got {value!r}")
    return int(value)


def _learning_rate(value) -> float:
    low, high = 10.0 ** LR_EXPONENTS[0], 10.0 ** LR_EXPONENTS[1]
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= value <= high:
        raise ValueError(f"lr: expected a learning rate in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def _choice(value, name: str, options: tuple) -> object:
    if value not in options:
        raise ValueError(f"{name}: expected one of {list(options)}, got {value!r}")
    return value


class Playground(Dashboard):
    """Train a small network on a 2-d data set and watch it learn. Chapter 05.

    Playground(dataset="spirals", activation="tanh", hidden=16, layers=1, lr=0.3, batch_size=16, seed=0):
        the controls' initial values (see the module constants for their ranges); seed fixes the
        initial weights (Generator(seed)) and the shuffling (Generator(seed + 1)).
    Methods:
        step(epochs=1): train that many epochs now, then update the view (the Step button).
        run(epochs): train that many epochs now, updating the view about every CHUNK_SECONDS.
        start(), stop(): train in the background on the running asyncio loop (Start/Stop).
        reset(): stop, and start again from the initial weights (the Reset button).
    Attributes (besides Dashboard's):
        x: (N, 2), y: (N,) the data; bounds: the image's extent; net: the Network;
        optimizer: SGD; history: History of the epochs trained since the last reset;
        initial: playground_state of the untrained network; epoch: epochs trained;
        status: "ready", "running", "stopped" or "diverged"; running: whether a background
        task is training; task: that asyncio task (or None);
        probs: (R, R, C) the class probabilities the picture shows, R = IMAGE_RESOLUTION, rows from
        the bottom (decision_grid's layout, computed in float32);
        picture: the plots.Picture of the "image" mark; pictures: its two ipywidgets.Image (PNG frames);
        buttons: dict "start" (ToggleButton), "step", "reset" (Buttons).
        The figure is drawn in the browser (bqplot); a change sends arrays, never a rendered figure:
        marks: dict name -> bqplot mark, updated in place: "image" (Image: the PNG of
            decision_image(probs), R x R pixels stretched over x=(x0_min, x0_max), y=(x1_min, x1_max));
            "points" (Scatter: x, y the data's (N,) columns, color (N,) their classes, drawn in CLASS_COLOURS);
            "loss" (Lines: x (E + 1,) epochs 0 .. E, y the losses, non-finite ones left out);
            "bars" (Bars: x WEIGHT_NAMES, y (4,) |dW| of each weight matrix, 0 beyond the network's).
        scales: dict name -> bqplot scale whose limits follow the controls and the training: "x1", "x2"
            (the data panel: the grid's bounds), "epoch", "loss" (log) and "gradient".
        axes: dict name -> bqplot Axis whose ticks follow them: one per scale above, its tick values
            round numbers inside the scale's limits; "weights" (the bars' tick labels: W1 .. W{layers + 1},
            the other slots blank).
        panels: dict "data", "loss", "gradient" -> the three bqplot Figures (the data panel's
            title names the data set and the epoch).
    """

    def __init__(self, dataset: str = "spirals", activation: str = "tanh", hidden: int = 16, layers: int = 1,
                 lr: float = 0.3, batch_size: int = 16, seed: int = 0):
        dataset = _choice(dataset, "dataset", DATASETS)
        activation = _choice(activation, "activation", ACTIVATIONS)
        hidden = _whole(hidden, "hidden", *HIDDEN_RANGE)
        layers = _whole(layers, "layers", *LAYERS_RANGE)
        lr = _learning_rate(lr)
        batch_size = _choice(batch_size, "batch_size", BATCH_SIZES)
        self.seed = _whole(seed, "seed", 0, 2**31 - 1)
        self.status = "ready"
        self.running = False
        self.task: asyncio.Task | None = None
        self._error = ""  # a message for the readout's next update (e.g. start() without an event loop)
        self._config = None  # (dataset, activation, hidden, layers) of the current network
        self._dataset = None
        self._make_figure()
        controls = {
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=LR_EXPONENTS[0], max=LR_EXPONENTS[1], step=0.1,
                                         description="learning rate", readout_format=".3g",
                                         style={"description_width": "initial"}),
            "hidden": widgets.IntSlider(value=hidden, min=HIDDEN_RANGE[0], max=HIDDEN_RANGE[1],
                                        description="hidden units", continuous_update=False,
                                        style={"description_width": "initial"}),
            "layers": widgets.IntSlider(value=layers, min=LAYERS_RANGE[0], max=LAYERS_RANGE[1],
                                        description="hidden layers", continuous_update=False,
                                        style={"description_width": "initial"}),
            "activation": widgets.Dropdown(options=ACTIVATIONS, value=activation, description="activation"),
            "batch_size": widgets.Dropdown(options=BATCH_SIZES, value=batch_size, description="batch size"),
            "dataset": widgets.Dropdown(options=DATASETS, value=dataset, description="data set"),
        }
        self.buttons = {
            "start": widgets.ToggleButton(value=False, description="Start", icon="play",
                                          tooltip="train in the background until Stop"),
            "step": widgets.Button(description="Step", icon="step-forward", tooltip="train one epoch"),
            "reset": widgets.Button(description="Reset", icon="refresh",
                                    tooltip="start again from the initial weights"),
        }
        super().__init__(controls, self.fig)
        # the buttons go under the controls, in the container the base class built
        controls_box, *rest = self.widget.children
        self.widget.children = (controls_box, widgets.HBox(list(self.buttons.values())), *rest)
        self.buttons["start"].observe(self._on_toggle, names="value")
        self.buttons["step"].on_click(lambda _button: self.step(1))
        self.buttons["reset"].on_click(lambda _button: self.reset())

    # ---- figure ------------------------------------------------------------------------------

    def _make_figure(self) -> None:
        """The three panels, with placeholder data until the first _render."""
        self.marks, self.scales, self.axes = {}, {}, {}
        self.panels = {"data": self._data_panel(), "loss": self._loss_panel(), "gradient": self._gradient_panel()}
        self.fig = plots.panels([self.panels["data"]], [self.panels["loss"], self.panels["gradient"]])
        self._pictured: np.ndarray | None = None  # the probs whose picture the image shows

    def _data_panel(self) -> bq.Figure:
        x1 = self.scales["x1"] = bq.LinearScale(min=0.0, max=1.0)
        x2 = self.scales["x2"] = bq.LinearScale(min=0.0, max=1.0)
        on_data = {"x": x1, "y": x2}
        # pixelated=False: the browser blends neighbouring grid points, so the coarse grid draws smooth boundaries
        self.picture = plots.Picture(on_data, pixelated=False)
        self.pictures, self.marks["image"] = self.picture.frames, self.picture.mark
        classes = bq.OrdinalColorScale(domain=list(range(len(CLASS_COLOURS))),
                                       colors=[matplotlib.colors.to_hex(rgb) for rgb in CLASS_COLOURS])
        self.marks["points"] = bq.Scatter(x=[0.5], y=[0.5], color=[0.0], scales={**on_data, "color": classes},
                                          stroke="white", stroke_width=0.6, default_size=28)
        self.axes["x1"], self.axes["x2"] = plots.axis(x1, "x₁"), plots.axis(x2, "x₂", vertical=True)
        for axis in (self.axes["x1"], self.axes["x2"]):
            axis.grid_lines = "none"  # the picture fills the panel
        # the title (data set and epoch) comes with the first view; " " keeps room for it
        return plots.figure([self.marks["image"], self.marks["points"]], [self.axes["x1"], self.axes["x2"]],
                            title=" ", width=450, height=450)

    def _loss_panel(self) -> bq.Figure:
        epoch, loss = self.scales["epoch"], self.scales["loss"] = bq.LinearScale(min=0.0, max=50.0), bq.LogScale()
        self.marks["loss"] = bq.Lines(x=[0.0], y=[1.0], scales={"x": epoch, "y": loss}, colors=[LOSS_COLOUR],
                                      stroke_width=1.5)
        self.axes["epoch"] = plots.axis(epoch, "epoch")
        self.axes["loss"] = plots.axis(loss, "", vertical=True, tick_format=".2~g")
        return plots.figure([self.marks["loss"]], [self.axes["epoch"], self.axes["loss"]],
                            title="training loss (whole data set)", width=440, height=225)

    def _gradient_panel(self) -> bq.Figure:
        weights, size = bq.OrdinalScale(domain=list(WEIGHT_NAMES)), bq.LinearScale(min=0.0, max=1.0)
        self.scales["gradient"] = size
        self.marks["bars"] = bq.Bars(x=list(WEIGHT_NAMES), y=np.zeros(len(WEIGHT_NAMES)),
                                     scales={"x": weights, "y": size}, colors=[BAR_COLOUR] * len(WEIGHT_NAMES),
                                     padding=0.2)
        self.axes["weights"] = plots.axis(weights, "")
        self.axes["weights"].grid_lines = "none"
        self.axes["gradient"] = plots.axis(size, "", vertical=True)
        return plots.figure([self.marks["bars"]], [self.axes["weights"], self.axes["gradient"]],
                            title="gradient size |dW| per layer", width=440, height=225)

    def _show_dataset(self, name: str) -> None:
        """Scatter the data set and set the data panel's limits (and the picture's extent) to its grid."""
        self.x, self.y = playground_data(name)
        self.bounds = grid_bounds(self.x)
        x0_min, x0_max, x1_min, x1_max = self.bounds
        points = self.marks["points"]
        with points.hold_sync():
            points.x, points.y = self.x[:, 0].copy(), self.x[:, 1].copy()  # (N,) each
            points.color = self.y.astype(np.float64)  # (N,) the class, coloured by CLASS_COLOURS
        self.picture.place((x0_min, x0_max), (x1_min, x1_max))
        self._set_limits("x1", x0_min, x0_max, _linear_ticks(x0_min, x0_max))
        self._set_limits("x2", x1_min, x1_max, _linear_ticks(x1_min, x1_max))
        self._dataset = name

    # ---- training state ----------------------------------------------------------------------

    def _new_network(self, config: tuple, lr: float) -> None:
        """A fresh network for config = (dataset, activation, hidden, layers), at epoch 0."""
        dataset, activation, hidden, layers = config
        if dataset != self._dataset:
            self._show_dataset(dataset)
        classes = int(self.y.max()) + 1
        sizes = [2, *([hidden] * layers), classes]
        init = "he" if activation == "relu" else "xavier"
        self.net = Network(sizes, activation, "softmax_ce", rng=np.random.default_rng(self.seed), init=init)
        self.optimizer = SGD(lr)
        self.rng = np.random.default_rng(self.seed + 1)  # the shuffling of every epoch
        self.history = History()
        self.initial = playground_state(self.net, self.x, self.y)
        self.probs = _grid_probabilities(self.net, self.bounds, IMAGE_RESOLUTION)
        self._config = config
        self._grads_top: float | None = None  # the gradient axis's top, chosen afresh for a new network
        if not self.running:
            self.status = "ready"
        # a slot beyond the network's weight matrices keeps its place, without a label
        matrices = len(sizes) - 1
        self.axes["weights"].tick_labels = {name: name if k < matrices else "" for k, name in enumerate(WEIGHT_NAMES)}

    @property
    def epoch(self) -> int:
        """Epochs trained since the last reset. Chapter 05."""
        return self.history.epochs

    def _train(self, epochs: int) -> None:
        """Train `epochs` epochs (fewer if training diverges) and record them; no picture, no drawing."""
        values = self.values()
        self.optimizer.lr = values["lr"]
        # fit stops by itself when the loss overflows ("diverged"); the callback stops it ("stopped")
        # when the loss has merely grown DIVERGENCE_FACTOR times
        part = self.net.fit(self.x, self.y, self.optimizer, epochs, values["batch_size"], self.rng,
                            callback=lambda epoch, history: diverged(history.loss[-1], self.initial["loss"]))
        for name in ("loss", "accuracy", "lr", "grad_norms"):
            getattr(self.history, name).extend(getattr(part, name))
        if part.status in ("diverged", "stopped"):
            self.status = "diverged"
            self.history.status = "diverged"

    def _update_probs(self) -> None:
        """Recompute the probability grid, keeping the last one when the network no longer gives numbers."""
        if not self.net._params_finite():
            return
        with np.errstate(all="ignore"):  # a blown-up network may overflow: then keep the old picture
            probs = _grid_probabilities(self.net, self.bounds, IMAGE_RESOLUTION)
        if np.all(np.isfinite(probs)):
            self.probs = probs

    def step(self, epochs: int = 1) -> None:
        """Train `epochs` epochs now (the Step button trains one), then update the view. Chapter 05.

        Inputs:
            epochs: a whole number >= 1. Nothing is trained once the network has diverged (Reset first).
        """
        epochs = _whole(epochs, "epochs", 1, 10**6)
        if self.status != "diverged":
            self._train(epochs)
            self._update_probs()
            if self.status == "ready":
                self.status = "stopped"
        self.update()

    def run(self, epochs: int) -> None:
        """Train `epochs` epochs now, updating the view (and readout) about every CHUNK_SECONDS. Chapter 05.

        The synchronous twin of start(): for scripts, tests, and a notebook cell. Stops early
        when training diverges.

        Inputs:
            epochs: a whole number >= 1.
        """
        epochs = _whole(epochs, "epochs", 1, 10**6)
        target = self.epoch + epochs
        while self.epoch < target and self.status != "diverged":
            self._train_chunk(limit=target)
        if self.status != "diverged":
            self.status = "stopped"
        self.update()

    def _train_chunk(self, limit: int) -> None:
        """Train one epoch at a time for about CHUNK_SECONDS (at most up to epoch `limit`), then update."""
        deadline = time.perf_counter() + CHUNK_SECONDS
        if self.status != "diverged":
            self.status = "running"
        while self.epoch < limit and self.status != "diverged":
            self._train(1)
            if time.perf_counter() >= deadline:
                break
        self._update_probs()  # once per chunk: only the last picture is ever shown
        self.update()

    # ---- background training -----------------------------------------------------------------

    def start(self) -> asyncio.Task | None:
        """Train in the background until stop(), divergence or MAX_EPOCHS (the Start button). Chapter 05.

        Returns:
            the asyncio Task doing the training (None when the network has diverged: Reset first).
        Raises:
            RuntimeError when no asyncio event loop is running (plain Python): use run(epochs) there.
        """
        if self.running:
            return self.task
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "start() trains in the background on a running asyncio event loop, as a Jupyter kernel has; "
                "there is none here. Use run(epochs) or step(epochs) to train now."
            ) from None
        if self.status == "diverged":
            self.update()
            return None
        self.running = True
        self.status = "running"
        self._show_running()
        self.task = loop.create_task(self._train_in_background())
        return self.task

    def stop(self) -> None:
        """Stop background training after the current chunk (the Stop button). Chapter 05."""
        if not self.running:
            return
        self.running = False
        if self.status == "running":
            self.status = "stopped"
        self._show_running()
        self.update()

    async def _train_in_background(self) -> None:
        me = asyncio.current_task()
        # `self.task is me`: after stop() and a quick start() a new task takes over, and this one must end
        try:
            while self.running and self.task is me and self.status != "diverged" and self.epoch < MAX_EPOCHS:
                self._train_chunk(limit=MAX_EPOCHS)
                await asyncio.sleep(PAUSE_SECONDS)  # the kernel handles clicks, slider moves and redraws now
        except Exception as error:  # a bug must not end the task silently: show it in the readout
            self._error = f"training stopped: {type(error).__name__}: {error}"
        finally:
            if self.task is me:
                self.running = False
                if self.status == "running":
                    self.status = "stopped"
                self._show_running()
                self.update()

    def _show_running(self) -> None:
        """Make the Start/Stop toggle match self.running."""
        toggle = self.buttons["start"]
        toggle.description, toggle.icon = ("Stop", "pause") if self.running else ("Start", "play")
        if toggle.value != self.running:
            toggle.value = self.running  # its observer sees a state that already holds and does nothing

    def _on_toggle(self, change) -> None:
        if change["new"] and not self.running:
            try:
                self.start()
            except RuntimeError as error:
                self._error = str(error)
                self._show_running()
                self.update()
        elif not change["new"] and self.running:
            self.stop()

    def reset(self) -> None:
        """Stop training and start again from the initial weights (the Reset button). Chapter 05."""
        self.stop()
        self._config = None  # forces a new network in _render
        self.update()

    # ---- view --------------------------------------------------------------------------------

    def _render(self, values: dict) -> str:
        config = (values["dataset"], values["activation"], values["hidden"], values["layers"])
        if config != self._config:
            self._new_network(config, values["lr"])
        self._draw()
        readout = self._readout_html(values)
        self._error = ""
        return readout

    def _draw(self) -> None:
        """Send what changed since the last view: nothing, when only the learning rate or batch size moved."""
        self._show_picture()
        self._show_loss()
        self._show_gradients()
        self.panels["data"].title = f"{self._config[0]}, epoch {self.epoch}"

    def _show_picture(self) -> None:
        if self.probs is self._pictured:  # the same network since: the same picture
            return
        self.picture.show(decision_image(self.probs), origin="lower")  # decision_image's row 0 is the bottom
        self._pictured = self.probs

    def _show_loss(self) -> None:
        losses = np.array([self.initial["loss"], *self.history.loss])  # (E + 1,)
        finite = np.isfinite(losses)
        epochs, shown = np.arange(len(losses), dtype=np.float64)[finite], losses[finite]
        curve = self.marks["loss"]
        if not np.array_equal(curve.y, shown):
            with curve.hold_sync():
                curve.x, curve.y = epochs, shown
        # Limits on a coarse ladder: they change every few dozen epochs, not every epoch, so the axes
        # stay put while the curve grows.
        last = max(50.0, nice_ceiling(1.1 * len(losses)))
        self._set_limits("epoch", 0.0, last, _linear_ticks(0.0, last))
        low = max(shown.min() / 1.5, 1e-12)  # a log axis needs a positive limit
        low, high = quarter_decades(low, max(low, shown.max() * 1.5))
        self._set_limits("loss", low, high, _log_ticks(low, high))

    def _show_gradients(self) -> None:
        norms = self.history.grad_norms[-1] if self.history.grad_norms else self.initial["grad_norms"]
        heights = np.zeros(len(WEIGHT_NAMES))  # (4,): 0 beyond the network's weight matrices
        heights[: len(norms)] = [norms[f"W{k}"] for k in range(1, len(norms) + 1)]
        heights[~np.isfinite(heights)] = 0.0
        if not np.array_equal(self.marks["bars"].y, heights):
            self.marks["bars"].y = heights
        tallest = float(heights.max())
        # The top stays while the tallest bar fits and fills at least a quarter of it (reset per network).
        top = self._grads_top
        if tallest > 0 and (top is None or not 0.25 * top <= 1.15 * tallest <= top):
            top = self._grads_top = nice_ceiling(1.15 * tallest)
        top = top if tallest > 0 else 1.0
        self._set_limits("gradient", 0.0, top, _linear_ticks(0.0, top))

    def _set_limits(self, name: str, low: float, high: float, ticks: np.ndarray) -> None:
        """Move scale `name` to [low, high] and its axis's ticks to `ticks`, sending only what changed."""
        scale, axis = self.scales[name], self.axes[name]
        with scale.hold_sync():
            scale.min, scale.max = low, high
        if not np.array_equal(axis.tick_values, ticks):
            axis.tick_values = ticks

    def _readout_html(self, values: dict) -> str:
        last = {"loss": self.history.loss[-1], "accuracy": self.history.accuracy[-1]} if self.epoch else self.initial
        sizes = "-".join(str(n) for n in self.net.layer_sizes)
        colour = _STATUS_COLOURS[self.status]
        status = f"<b style='color:{colour}'>{self.status}</b>"
        if self.status == "diverged":
            status += (f": the loss blew up (over {DIVERGENCE_FACTOR:g} times its start); "
                       "lower the learning rate and press Reset")
        elif self.epoch >= MAX_EPOCHS:
            status += f" (background training ends at epoch {MAX_EPOCHS})"
        norms = self.history.grad_norms[-1] if self.history.grad_norms else self.initial["grad_norms"]
        norm_text = ", ".join(f"|d{name}| {value:.3g}" for name, value in norms.items())
        rows = [
            ("data", f"{self._config[0]}: {len(self.y)} points, {self.net.n_classes} classes"),
            ("network", f"{sizes}, {values['activation']}, softmax cross-entropy"),
            ("epoch", f"{self.epoch}"),
            ("loss", f"{last['loss']:.4f}"),
            ("train accuracy", f"{last['accuracy']:.1%}"),
            ("gradient sizes", norm_text),
            ("learning rate, batch", f"{values['lr']:.3g}, {values['batch_size']}"),
        ]
        cells = "".join(f"<tr><td>{name}</td><td><code>{html.escape(text)}</code></td></tr>" for name, text in rows)
        error = f"<div style='color:#c62828'>{html.escape(self._error)}</div>" if self._error else ""
        return f"<table>{cells}</table><div>status: {status}</div>{error}"

    # ---- controls ----------------------------------------------------------------------------

    def set(self, **values) -> None:
        """Set several controls at once and update the view once; lr is the learning rate itself. Chapter 05."""
        if "lr" in values:
            # FloatLogSlider's min and max are exponents, so the base class's range check does not fit it
            lr = _learning_rate(values.pop("lr"))
            self._holding = True
            try:
                self.controls["lr"].value = lr
            finally:
                self._holding = False
            if not values:
                self.update()
                return
        super().set(**values)

    def close(self) -> None:
        """Stop training and close the figure, the controls and the buttons. Chapter 05."""
        self.running = False
        task, self.task = self.task, None  # the task's own clean-up then leaves the closed widgets alone
        if task is not None and not task.done():
            task.cancel()
        for button in self.buttons.values():
            button.close()
        super().close()
        self.picture.close()

    def __repr__(self) -> str:
        return f"<Playground: {self._config[0]}, network {self.net.layer_sizes}, epoch {self.epoch}, {self.status}>"


def playground(dataset: str = "spirals", activation: str = "tanh", hidden: int = 16, layers: int = 1,
               lr: float = 0.3, batch_size: int = 16, seed: int = 0) -> Playground:
    """A live training playground; the last line of a cell. Chapter 05.

    Inputs:
        dataset: one of DATASETS; activation: one of ACTIVATIONS (the hidden layers');
        hidden: units per hidden layer, 1-64; layers: hidden layers, 1-3;
        lr: learning rate, 0.001-10; batch_size: one of BATCH_SIZES; seed: initial weights and shuffling.
    Returns:
        Playground (displays itself; .step(), .run(epochs), .start(), .stop(), .reset(), .set(...)).
    """
    return Playground(dataset=dataset, activation=activation, hidden=hidden, layers=layers, lr=lr,
                      batch_size=batch_size, seed=seed)
