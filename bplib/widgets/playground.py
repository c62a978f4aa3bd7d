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
  2. the view, `Playground._draw`, which updates artists created once (the image by
     set_data, the loss line by set_data, the bars by set_height; the scatter of the data
     is created once per data set);
  3. the wiring: sliders and dropdowns observed by `_render`; buttons call start/stop, step, reset.

Training in the background. `start()` creates an asyncio task on the running event loop (a
Jupyter kernel has one). The task trains for about CHUNK_SECONDS, updates the view, then sleeps
PAUSE_SECONDS, during which the kernel handles button clicks, slider moves and ipympl's
requests for a new image. So the notebook stays responsive while the network trains. Without
a running loop (plain Python, tests) `start()` raises a RuntimeError that says to use the
synchronous `step(epochs)` or `run(epochs)`, which do the same training.

Training is Network.fit with SGD, one epoch at a time; the shuffling comes from a seeded
Generator, so the same settings give the same network however the epochs are chunked.
"""

from __future__ import annotations

import asyncio
import html
import math
import numbers
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from bplib import data
from bplib._validate import as_float_array
from bplib.network import History, Network
from bplib.optim import SGD
from bplib.widgets._base import Dashboard
from bplib.widgets._layered import LayeredFigure
from bplib.widgets._live_ticks import LiveTicks
from bplib.widgets._nearest_image import nearest_imshow

__all__ = [
    "ACTIVATIONS",
    "BATCH_SIZES",
    "CHUNK_SECONDS",
    "DATASETS",
    "DIVERGENCE_FACTOR",
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
RESOLUTION = 80  # grid points per side of the probability image
GRID_MARGIN = 0.15  # the grid reaches this share of the data's range beyond the data
CHUNK_SECONDS = 0.04  # background training: train this long, then update the view
PAUSE_SECONDS = 0.02  # ... then give the kernel this long to handle clicks and redraws
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
_WIDEST_DATA_LABEL = "−0.75"  # the widest tick label of the data axes over the four data sets (xor_blobs)
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
        ax_data, ax_loss, ax_grads: the three Axes; artists: dict "image", "points", "loss",
        "bars" (list of Rectangles, one per possible weight matrix);
        live_ticks: the LiveTicks (bplib.widgets._live_ticks) of the axes whose limits move: both data
        axes, both loss axes and the gradient axis;
        buttons: dict "start" (ToggleButton), "step", "reset" (Buttons).
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
        with plt.ioff():
            fig = plt.figure(figsize=(9.0, 4.4), FigureClass=LayeredFigure)
        # Fixed margins rather than a layout engine: tick labels change with every data set and
        # loss range, and a layout computed for one set would clip another.
        grid = fig.add_gridspec(2, 2, width_ratios=(1.15, 1.0), left=0.075, right=0.985, bottom=0.11,
                                top=0.93, wspace=0.22, hspace=0.5)
        self.ax_data = fig.add_subplot(grid[:, 0])
        self.ax_loss = fig.add_subplot(grid[0, 1])
        self.ax_grads = fig.add_subplot(grid[1, 1])
        self.fig = fig
        blank = np.ones((2, 2, 3))
        self.artists = {
            "image": nearest_imshow(self.ax_data, blank, extent=(0, 1, 0, 1), origin="lower", zorder=0),
            "points": None,  # a scatter, made for each data set in _show_dataset
        }
        self._scatters: dict = {}  # data set name -> its scatter, made once and shown again when it comes back
        self.ax_data.set_xlabel("$x_1$", labelpad=1)
        self.ax_data.set_ylabel("$x_2$", labelpad=1)
        (self.artists["loss"],) = self.ax_loss.plot([], [], color="#1565c0", lw=1.5)
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("epoch", labelpad=1)
        self.ax_loss.set_title("training loss (whole data set)", fontsize=10)
        n_bars = LAYERS_RANGE[1] + 1  # weight matrices of the deepest network
        self.artists["bars"] = list(self.ax_grads.bar(range(n_bars), np.zeros(n_bars), color="#6a1b9a"))
        self.ax_grads.set_title("gradient size |dW| per layer", fontsize=10)
        self.ax_grads.set_xlim(-0.6, n_bars - 0.4)
        self._bar_labels: list[str] | None = None  # the gradient bars' tick labels, set per network
        # The data axes follow the data set, the loss axes the epochs and the loss, the gradient axis the
        # largest bar: their ticks are drawn live, so the cached background never depends on those limits.
        self.live_ticks = [LiveTicks(self.ax_data.xaxis), LiveTicks(self.ax_data.yaxis, widest=_WIDEST_DATA_LABEL),
                           LiveTicks(self.ax_loss.xaxis), LiveTicks(self.ax_loss.yaxis), LiveTicks(self.ax_grads.yaxis)]

    def _set_layers(self) -> None:
        """The image, the loss curve, the bars, the title and the moving ticks change; the points (static, above the
        image) and the frames (which the image, the curve and the bars touch) are pasted on top as cached sprites;
        the rest stays as cached pixels."""
        art = self.artists
        self.fig.set_layers(
            dynamic=[art["image"], art["loss"], *art["bars"], self.ax_data.title, *self.live_ticks],
            overlay=[art["points"], *self.ax_data.spines.values(), *self.ax_loss.spines.values(),
                     *self.ax_grads.spines.values()])

    def _show_dataset(self, name: str) -> None:
        """Scatter the data set (once per data set) and fix the image's extent."""
        self.x, self.y = playground_data(name)
        self.bounds = grid_bounds(self.x)
        if self.artists["points"] is not None:
            self.artists["points"].remove()
        if name in self._scatters:  # shown before: the same artist, whose pixels the figure has kept
            self.artists["points"] = self.ax_data.add_collection(self._scatters[name], autolim=False)
        else:
            colours = CLASS_COLOURS[self.y]  # (N, 3)
            self.artists["points"] = self._scatters[name] = self.ax_data.scatter(
                self.x[:, 0], self.x[:, 1], c=colours, s=14, edgecolors="white", linewidths=0.5, zorder=2)
        self.artists["image"].set_extent(self.bounds)
        self.ax_data.set_xlim(self.bounds[0], self.bounds[1])
        self.ax_data.set_ylim(self.bounds[2], self.bounds[3])
        self._dataset = name
        self._set_layers()  # another scatter in the overlay; the background stays

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
        self.probs = decision_grid(self.net, self.bounds)
        self._config = config
        self._grads_top: float | None = None  # the gradient axis's top, chosen afresh for a new network
        if not self.running:
            self.status = "ready"
        labels = [f"W{k}" for k in range(1, len(sizes))]
        labels += [""] * (len(self.artists["bars"]) - len(labels))
        if labels != self._bar_labels:  # new tick labels: another background, one per number of layers
            self.ax_grads.set_xticks(range(len(labels)), labels)
            self._bar_labels = labels
            self.fig.set_static_state(tuple(labels))

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
            probs = decision_grid(self.net, self.bounds)
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
        art = self.artists
        art["image"].set_data(decision_image(self.probs))
        losses = np.array([self.initial["loss"], *self.history.loss])  # (epochs + 1,)
        art["loss"].set_data(np.arange(len(losses)), losses)
        finite = losses[np.isfinite(losses)]
        # Limits on a coarse ladder: they change every few dozen epochs, not every epoch, so the cached
        # axes (ticks, labels) stay valid and a Step redraws only the curve, the bars and the image.
        self.ax_loss.set_xlim(0, max(50.0, nice_ceiling(1.1 * len(losses))))
        low = max(finite.min() / 1.5, 1e-12)  # a log axis needs a positive limit
        self.ax_loss.set_ylim(*quarter_decades(low, max(low, finite.max() * 1.5)))
        norms = self.history.grad_norms[-1] if self.history.grad_norms else self.initial["grad_norms"]
        heights = [norms[f"W{k}"] for k in range(1, len(norms) + 1)]
        heights += [0.0] * (len(art["bars"]) - len(heights))
        for bar, height in zip(art["bars"], heights, strict=True):
            bar.set_height(height if math.isfinite(height) else 0.0)
        tallest = max([h for h in heights if math.isfinite(h)], default=0.0)
        # The top stays while the tallest bar fits and fills at least a quarter of it (reset per network).
        top = self._grads_top
        if tallest > 0 and (top is None or not 0.25 * top <= 1.15 * tallest <= top):
            top = self._grads_top = nice_ceiling(1.15 * tallest)
        self.ax_grads.set_ylim(0.0, top if tallest > 0 else 1.0)
        self.ax_data.set_title(f"{self._config[0]}, epoch {self.epoch}", fontsize=10)

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
