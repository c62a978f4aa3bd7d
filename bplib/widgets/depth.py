"""Dashboards for chapter 06: gradients through depth, and momentum on an ill-conditioned loss.

1. `depth_dashboard`: depth, activation, initialisation and its scale; the figure shows
     - left: the per-layer gradient norm ||delta^l|| = ||dL/dz^l|| of a probe network
       (bplib.experiments.depth_probes.depth_probe) as bars on a log scale, layer 1 (input side)
       to the top, with the bound prod ||W||_2 * max|f'| as a dashed line and the top gradient's
       norm 1 dotted;
     - right: the size of the forward signal, the rms of z^l, on the same log scale;
     - above them, the class of the gain (vanishing, stable, exploding) in its colour.
   The y-limits are fixed (Y_LIMITS), so the axes never jump; a value beyond them is drawn at the
   edge in grey and the readout, which prints every layer's number, says so.
2. `momentum_dashboard`: learning rate and momentum coefficient; the paths of SGD and of
   momentum on the contours of L(w) = 0.5 (w1^2 + 50 w2^2) (left, contours computed once) and
   their losses per step (right); above them, how each run ended. A path that diverges stops at
   its last point inside the bound, marked with a cross (on the plot's edge if it left the plot),
   and is labelled "diverged at step k".

Each has a pure compute function (depth_view, momentum_view), tested on its own. The figures are
drawn in the browser (bqplot, bplib.widgets._plots): a change sends the marks' new arrays, never
pixels; the wiring is bplib.widgets._base. The maths per change is kept small: the depth dashboard
draws its probe network once and keeps each forward pass (by activation and weight std) for the
depths that follow, and the momentum dashboard keeps SGD's path of every learning rate it has run
(beta does not change it).
"""

from __future__ import annotations

import math
import numbers

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from bplib._validate import positive_int, positive_real
from bplib.depth import ACTIVATIONS, _deep_forward, _delta_norms
from bplib.experiments import depth_probes as dp
from bplib.experiments import optimizer_paths as op
from bplib.layers import INITS, init_std
from bplib.widgets import _plots as plots
from bplib.widgets._base import Dashboard

__all__ = [
    "BETA_RANGE",
    "DEPTH_RANGE",
    "INIT_NAMES",
    "LR_EXPONENTS",
    "MOMENTUM_STEPS",
    "SCALE_EXPONENTS",
    "TOLERANCE",
    "W1_RANGE",
    "W2_RANGE",
    "WIDTH",
    "Y_LIMITS",
    "DepthDashboard",
    "MomentumDashboard",
    "classify_gain",
    "clip_for_display",
    "depth_dashboard",
    "depth_view",
    "momentum_dashboard",
    "momentum_view",
]

# ---- dashboard 1: gradient norms through depth --------------------------------------------------

DEPTH_RANGE = (2, 20)
WIDTH = 64  # units per layer of the probe network
BATCH = 64  # examples in the probe's batch
SEED = 0  # the probe's seed: moving a control changes only what the control says
INIT_NAMES = ("xavier", "he", "normal")
SCALE_EXPONENTS = (-1.0, 1.0)  # the scale slider runs from 10**-1 to 10**1
Y_LIMITS = (1e-12, 1e6)  # fixed log-scale limits of both panels
# gain = ||delta^1|| / ||dout||: below VANISHING layer 1 gets less than 1 % of the gradient that
# arrives at the top, above EXPLODING more than 100 times it
VANISHING, EXPLODING = 1e-2, 1e2
_GAIN_COLOURS = {"vanishing": "#1565c0", "stable": "#2e7d32", "exploding": "#c62828", "overflow": "#c62828"}
_GAIN_WORDS = {
    "vanishing": "vanishing: layer 1 gets less than 1/100 of the gradient arriving at the top",
    "stable": "stable: layer 1 gets a gradient within a factor 100 of the one arriving at the top",
    "exploding": "exploding: layer 1 gets more than 100 times the gradient arriving at the top",
    "overflow": "overflow: the numbers left float64's range",
}
_BAR = "#5c6bc0"
_OUTSIDE = "#9e9e9e"  # bars and points drawn at the edge because their value is beyond Y_LIMITS


def _check_log_value(value, name: str, exponents: tuple[float, float], prefix: str = "") -> float:
    low, high = 10.0 ** exponents[0], 10.0 ** exponents[1]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(f"{prefix}{name}: expected a value in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def clip_for_display(values, limits=Y_LIMITS) -> tuple[np.ndarray, np.ndarray]:
    """Values moved into a log axis's limits, and which of them had to move. Chapter 06.

    Inputs:
        values: (K,) numbers >= 0, inf or NaN allowed (NaN counts as beyond the top).
        limits: (low, high) with 0 < low < high.
    Returns:
        shown: (K,) each value clipped to [low, high] (0 becomes low, inf and NaN become high);
        outside: (K,) bool, True where the value lies beyond the limits.
    """
    low, high = limits
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isnan(v), np.inf, v)
    outside = (v < low) | (v > high)
    return np.clip(v, low, high), outside


def classify_gain(delta_norms, dout_norm: float = 1.0) -> tuple[str, float]:
    """How much of the top gradient reaches layer 1. Chapter 06.

    Inputs:
        delta_norms: (depth,) ||delta^l||, layer 1 first.
        dout_norm: ||dout||, the norm of the gradient arriving at the top (1 in the probe), > 0.
    Returns:
        (status, gain): gain = ||delta^1|| / ||dout|| and status "vanishing" (gain < 1e-2),
        "exploding" (gain > 1e2), "stable", or "overflow" when a norm is not finite (gain nan).
        Measured against dout, not against the top layer's delta, so that a saturated top layer
        (whose delta is already tiny) counts as vanishing.
    """
    norms = np.asarray(delta_norms, dtype=np.float64)
    if not np.all(np.isfinite(norms)):
        return "overflow", math.nan
    gain = float(norms[0] / dout_norm)
    if gain < VANISHING:
        return "vanishing", gain
    if gain > EXPLODING:
        return "exploding", gain
    return "stable", gain


def depth_view(depth: int, activation: str, init: str, scale: float, width: int = WIDTH, N: int = BATCH,
               seed: int = SEED) -> dict:
    """What the depth dashboard draws for one setting of its controls. Chapter 06.

    Inputs:
        depth: layers, a whole number >= 1; activation: one of bplib.depth.ACTIVATIONS;
        init: one of INIT_NAMES; scale: > 0, multiplies the initialisation's std;
        width, N, seed: the probe network's width, batch size and seed.
    Returns:
        dict with
            probe: the bplib.experiments.depth_probes.DepthProbe;
            layers: (depth,) 1 .. depth;
            norms, norms_shown, norms_outside: ||delta^l||, clipped to Y_LIMITS, and which were clipped;
            bound_shown: (depth,) the bound, clipped;
            z_rms, z_rms_shown, z_rms_outside: the rms of z^l, clipped, and which were clipped;
            status, gain: from classify_gain (the probe's dout has norm 1);
            std: the std of every weight, init_std(width, width, init, scale);
            depth, activation, init, scale: the probe's settings.
    """
    probe = dp.depth_probe(depth, width, activation, init, scale, np.random.default_rng(seed), N)
    view = _view(probe.delta_norms, probe.z_rms, probe.bound, probe.finite, activation, init, probe.scale,
                 init_std(width, width, init, scale))
    return {"probe": probe, **view}


def _view(norms: np.ndarray, z_rms: np.ndarray, bound: np.ndarray, finite: bool, activation: str, init: str,
          scale: float, std: float) -> dict:
    """depth_view's result (without the probe) from the probe's measures, each (depth,)."""
    norms_shown, norms_outside = clip_for_display(norms)
    z_shown, z_outside = clip_for_display(z_rms)
    status, gain = classify_gain(norms)
    if not finite:
        status, gain = "overflow", math.nan
    return {
        "layers": np.arange(1, len(norms) + 1),
        "norms": norms,
        "norms_shown": norms_shown,
        "norms_outside": norms_outside,
        "bound_shown": clip_for_display(bound)[0],
        "z_rms": z_rms,
        "z_rms_shown": z_shown,
        "z_rms_outside": z_outside,
        "status": status,
        "gain": gain,
        "std": std,
        "depth": len(norms),
        "activation": activation,
        "init": init,
        "scale": scale,
    }


def _depth_readout(view: dict) -> str:
    status, depth = view["status"], view["depth"]
    grid = [
        [("depth", f"{depth}"), ("activation", view["activation"]),
         ("init", f"{view['init']} × {view['scale']:.3g}: std of W = {view['std']:.4f}")],
        [("‖δ‖ at layer 1", f"{view['norms'][0]:.2e}"), (f"‖δ‖ at layer {depth}", f"{view['norms'][-1]:.2e}"),
         (f"rms of z at layer {depth}", f"{view['z_rms'][-1]:.2e}")],
    ]
    cells = "".join(
        "<tr>" + "".join(f"<td style='padding-right:0.4em'>{name}</td>"
                         f"<td style='padding-right:1.6em'><code>{value}</code></td>" for name, value in row) + "</tr>"
        for row in grid)
    per_layer = " ".join(f"{v:.1e}" for v in view["norms"])
    outside = int(np.count_nonzero(view["norms_outside"]) + np.count_nonzero(view["z_rms_outside"]))
    note = ""
    if outside:
        note = (f"<div>{outside} value(s) lie outside the plot's range [{Y_LIMITS[0]:.0e}, {Y_LIMITS[1]:.0e}]: "
                f"drawn at its edge in grey</div>")
    return (f"<table>{cells}</table>"
            f"<div>‖δ<sup>(l)</sup>‖ per layer, input side first (‖dout‖ = 1 at the top): "
            f"<code>{per_layer}</code></div>"
            f"<div><b style='color:{_GAIN_COLOURS[status]}'>{_GAIN_WORDS[status]}</b></div>{note}")


_STATUS_STYLE = "font-size:12px;padding-left:62px;min-height:1.5em"
_BOUND_COLOUR, _LEVEL_COLOUR, _Z_COLOUR = "#6d4c41", "#424242", "#00897b"
_FORWARDS_KEPT = 16  # forward passes kept by (activation, std): the last few settings cost only a backward pass
_LOG_TICKS = 10.0 ** np.arange(-12, 7, 2)  # every other decade of Y_LIMITS


class DepthDashboard(Dashboard):
    """Depth, activation, initialisation and scale; per-layer gradient norms on a log scale. Chapter 06.

    The figure is drawn in the browser (bqplot): a change sends the bars' heights and colours and
    the curves as arrays, never pixels.

    Attributes (besides Dashboard's):
        view: the last view shown: depth_view's dict without "probe" (the dashboard measures its
            probe network layer by layer, see _measures).
        marks: dict name -> bqplot mark. Updated in place: "bars" (Bars, DEPTH_RANGE[1] bars at
            layers 1 .. 20: ||delta^l|| clipped to Y_LIMITS, grey where clipped; the bars above the
            depth have height 0), "bound" (Lines, (depth,) the bound, dashed), "z_rms" (Lines with
            dots, (depth,) the rms of z^l, clipped), "z_rms_outside" (Scatter, the grey dots of the
            clipped values, on the edge, unclipped). Set once: "dout_level" and "forward_level"
            (Lines, the dotted level 1 of each panel).
        scales: dict name -> bqplot scale, fixed (no control moves an axis): "layer" (the x-axis of
            both panels, 0.4 .. 20.6), "gradient" and "size" (the two log y-axes, Y_LIMITS).
        status: ipywidgets.HTML above the panels: the gain's class (and the gain) in its colour.
    """

    def __init__(self, depth: int = 15, activation: str = "sigmoid", init: str = "xavier", scale: float = 1.0):
        if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or not (
                DEPTH_RANGE[0] <= depth <= DEPTH_RANGE[1]):
            raise ValueError(f"depth: expected a whole number in [{DEPTH_RANGE[0]}, {DEPTH_RANGE[1]}], got {depth!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: expected one of {list(ACTIVATIONS)}, got {activation!r}")
        if init not in INIT_NAMES or init not in INITS:
            raise ValueError(f"init: expected one of {list(INIT_NAMES)}, got {init!r}")
        _check_log_value(scale, "scale", SCALE_EXPONENTS)
        self.view: dict = {}
        # depth_view's probe network, drawn once: x, dout and the deepest network's weights at std 1
        # (every setting's weights are these times its std), with their spectral norms.
        self._x, self._dout, self._unit_weights = dp._probe_network(
            DEPTH_RANGE[1], WIDTH, np.random.default_rng(SEED), BATCH, "normal", 1.0)
        self._unit_spectral = dp._spectral_norms(self._unit_weights)  # (DEPTH_RANGE[1],)
        self._forwards: dict[tuple[str, float], dict] = {}
        self.marks, self.scales = {}, {}
        self.status = widgets.HTML()
        controls = {
            "depth": widgets.IntSlider(value=int(depth), min=DEPTH_RANGE[0], max=DEPTH_RANGE[1], step=1,
                                       description="depth", continuous_update=True),
            "activation": widgets.ToggleButtons(options=list(ACTIVATIONS), value=activation,
                                                description="activation", style={"button_width": "70px"}),
            "init": widgets.ToggleButtons(options=list(INIT_NAMES), value=init, description="init",
                                          style={"button_width": "70px"}),
            "scale": widgets.FloatLogSlider(value=float(scale), base=10.0, min=SCALE_EXPONENTS[0],
                                            max=SCALE_EXPONENTS[1], step=0.02, description="scale",
                                            readout_format=".3g", continuous_update=True),
        }
        super().__init__(controls, self._make_figure())

    # ---- the figure -----------------------------------------------------------------------------

    def _make_figure(self) -> widgets.Box:
        marks, scales = self.marks, self.scales
        top = DEPTH_RANGE[1]
        scales["layer"] = bq.LinearScale(min=0.4, max=top + 0.6)
        scales["gradient"] = bq.LogScale(min=Y_LIMITS[0], max=Y_LIMITS[1])
        scales["size"] = bq.LogScale(min=Y_LIMITS[0], max=Y_LIMITS[1])
        layers = np.arange(1.0, top + 1.0)  # (20,)
        span = np.array([0.4, top + 0.6])  # a level line across a panel
        grad = {"x": scales["layer"], "y": scales["gradient"]}
        size = {"x": scales["layer"], "y": scales["size"]}
        # bars on a log axis stand on its lower limit; a layer above the depth has a bar of height 0
        marks["bars"] = bq.Bars(x=layers, y=np.full(top, Y_LIMITS[0]), base=Y_LIMITS[0], scales=grad,
                                colors=[_BAR] * top, padding=0.3)
        marks["bound"] = bq.Lines(x=layers[:1], y=np.ones(1), scales=grad, colors=[_BOUND_COLOUR],
                                  line_style="dashed", stroke_width=1.5)
        marks["dout_level"] = bq.Lines(x=span, y=np.ones(2), scales=grad, colors=[_LEVEL_COLOUR],
                                       line_style="dotted", stroke_width=1.2)
        marks["z_rms"] = bq.Lines(x=layers[:1], y=np.ones(1), scales=size, colors=[_Z_COLOUR], stroke_width=1.5,
                                  marker="circle", marker_size=16)
        marks["forward_level"] = bq.Lines(x=span, y=np.ones(2), scales=size, colors=[_LEVEL_COLOUR],
                                          line_style="dotted", stroke_width=1.2)
        # the clipped values sit on the plot's edge: never clip their dots
        marks["z_rms_outside"] = bq.Scatter(x=np.zeros(0), y=np.zeros(0), scales=size, colors=[_OUTSIDE],
                                            default_size=40, apply_clip=False)
        ticks = layers[::2]  # 1, 3, ..., 19
        backward = plots.figure(
            [marks["dout_level"], marks["bars"], marks["bound"]],
            [plots.axis(scales["layer"], "layer l (1 = next to the input)", ticks=ticks),
             plots.axis(scales["gradient"], "‖δˡ‖ = ‖dL/dzˡ‖", vertical=True, tick_format=".0e", ticks=_LOG_TICKS)],
            title="backward: the gradient reaching each layer", width=530, height=380)
        forward = plots.figure(
            [marks["forward_level"], marks["z_rms"], marks["z_rms_outside"]],
            [plots.axis(scales["layer"], "layer l", ticks=ticks),
             plots.axis(scales["size"], "", vertical=True, tick_format=".0e", ticks=_LOG_TICKS)],
            title="forward: the size of the pre-activations", width=390, height=380)
        left = [plots.legend([("bound ∏‖W‖₂ · max|f′|", _BOUND_COLOUR, "dashed"),
                              ("‖dout‖ = 1 at the top", _LEVEL_COLOUR, "dotted")]), backward]
        right = [plots.legend([("rms of zˡ", _Z_COLOUR, "solid"), ("off the scale (at the edge)", _OUTSIDE, "solid")]),
                 forward]
        return widgets.VBox([self.status, plots.panels(left, right)])

    # ---- updating -------------------------------------------------------------------------------

    def set(self, **values) -> None:
        """Set several controls at once and update the view once (see Dashboard.set).

        The scale is checked here against 10**SCALE_EXPONENTS: a FloatLogSlider's min and max
        are exponents, not values.
        """
        if "scale" in values:
            scale = values.pop("scale")
            _check_log_value(scale, "scale", SCALE_EXPONENTS, prefix="set: ")
            self._holding = True
            try:
                self.controls["scale"].value = float(scale)
            finally:
                self._holding = False
        super().set(**values)

    def _render(self, values: dict) -> str:
        depth, activation, init, scale = values["depth"], values["activation"], values["init"], values["scale"]
        std = init_std(WIDTH, WIDTH, init, scale)
        view = _view(*self._measures(depth, activation, std), activation, init, float(scale), std)
        self.view = view
        self._show(view)
        return _depth_readout(view)

    def _measures(self, depth: int, activation: str, std: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """depth_probe's delta_norms, z_rms, bound (each (depth,)) and finite for these settings.

        The same numbers as depth_view (the same network and the same core functions; the bound's
        spectral norms are those of the std-1 weights times std, equal up to round-off), but the
        forward pass and its measures are kept and only the backward pass runs for a new depth.
        The weight gradients, which the dashboard does not show, are not computed: within the
        sliders' range no norm comes near float64's limit, so finite is decided by z and delta.
        """
        forward = self._forward(activation, std, depth)
        weights, zs = forward["weights"][:depth], forward["zs"][:depth]
        with np.errstate(over="ignore", invalid="ignore"):
            norms = _delta_norms(weights, zs, self._dout, activation)  # (depth,)
        bound = dp._gradient_bound(weights, forward["slopes"][:depth], std * self._unit_spectral[:depth])
        return norms, forward["z_rms"][:depth], bound, dp._all_finite(zs, norms)

    def _forward(self, activation: str, std: float, depth: int) -> dict:
        """The forward pass of the probe network with weights std * unit weights, at least `depth` layers deep.

        Kept by (activation, std), with its weights, zs and layer measures (dp._layer_measures), and
        extended layer by layer when a deeper network is asked for: the first layers of a deeper
        network are the shallower one's.
        """
        kept = self._forwards.pop((activation, std), None)  # popped and put back: the newest last
        if kept is None:
            kept = {"weights": [], "zs": [], "top": self._x, "z_rms": np.zeros(0), "slopes": np.zeros(0)}
        have = len(kept["zs"])
        if have < depth:
            more = [std * W for W in self._unit_weights[have:depth]]  # depth_probe's weights, layer by layer
            forward = _deep_forward(kept["top"], more, activation)  # continues from the top activation
            z_rms, slopes = dp._layer_measures(forward.zs, activation)
            kept = {"weights": kept["weights"] + more, "zs": kept["zs"] + forward.zs, "top": forward.activations[-1],
                    "z_rms": np.concatenate([kept["z_rms"], z_rms]), "slopes": np.concatenate([kept["slopes"], slopes])}
        self._forwards[(activation, std)] = kept
        while len(self._forwards) > _FORWARDS_KEPT:
            del self._forwards[next(iter(self._forwards))]  # the oldest
        return kept

    def _show(self, view: dict) -> None:
        """Send the view's arrays to the marks: one message per mark, only what changed."""
        marks = self.marks
        depth = view["depth"]
        heights = np.full(DEPTH_RANGE[1], Y_LIMITS[0])  # (20,) height 0 above the depth
        heights[:depth] = view["norms_shown"]
        colours = [_OUTSIDE if outside else _BAR for outside in view["norms_outside"]]
        colours += [_BAR] * (DEPTH_RANGE[1] - depth)
        with marks["bars"].hold_sync():
            marks["bars"].y = heights
            if marks["bars"].colors != colours:
                marks["bars"].colors = colours
        layers = view["layers"].astype(np.float64)
        plots.set_xy(marks["bound"], layers, view["bound_shown"])
        plots.set_xy(marks["z_rms"], layers, view["z_rms_shown"])
        outside = view["z_rms_outside"]
        plots.set_xy(marks["z_rms_outside"], layers[outside], view["z_rms_shown"][outside])
        status = view["status"]
        label = status if math.isnan(view["gain"]) else f"{status}: gain {view['gain']:.1e}"
        self.status.value = f"<div style='{_STATUS_STYLE}'><b style='color:{_GAIN_COLOURS[status]}'>{label}</b></div>"


def depth_dashboard(depth: int = 15, activation: str = "sigmoid", init: str = "xavier",
                    scale: float = 1.0) -> DepthDashboard:
    """A live dashboard of per-layer gradient norms in a deep network; the last line of a cell. Chapter 06.

    Inputs:
        depth: layers, in DEPTH_RANGE; activation: "sigmoid", "tanh" or "relu";
        init: "xavier", "he" or "normal"; scale: multiplies the init's std, in [0.1, 10].
    Returns:
        DepthDashboard (displays itself; .set(depth=..., activation=..., init=..., scale=...) moves the controls).
    """
    return DepthDashboard(depth=depth, activation=activation, init=init, scale=scale)


# ---- dashboard 2: SGD and momentum on an ill-conditioned bowl ----------------------------------------

LR_EXPONENTS = (-3.0, -1.0)  # the learning-rate slider runs from 10**-3 to 10**-1
BETA_RANGE = (0.0, 0.99)
MOMENTUM_STEPS = 200
TOLERANCE = 1e-3  # "converged": within this distance of the minimum
W1_RANGE = (-5.0, 5.0)
W2_RANGE = (-3.0, 3.0)
LOSS_LIMITS = (1e-10, 1e6)
_RUNS = ("sgd", "momentum")
_RUN_LABELS = {"sgd": "SGD", "momentum": "momentum"}
_RUN_COLOURS = {"sgd": "#ef6c00", "momentum": "#7b1fa2"}
_DIVERGED = "#c62828"
_PATHS_TITLE = "L(w) = ½(w1² + 50 w2²): the paths from ○ to the minimum +"
_PATHS_SIZE = (520, 380)  # CSS pixels


def momentum_view(lr: float, beta: float, steps: int = MOMENTUM_STEPS, start=op.START, curvature=op.CURVATURE,
                  tol: float = TOLERANCE) -> dict:
    """What the momentum dashboard draws: SGD's and momentum's runs on the quadratic. Chapter 06.

    Inputs:
        lr: the learning rate of both, > 0; beta: momentum's coefficient, in [0, 1);
        steps: updates per run; start: (2,); curvature: (c1, c2); tol: the distance counted as converged.
    Returns:
        dict with
            "sgd", "momentum": each a dict with
                path: (steps + 1, 2) from bplib.experiments.optimizer_paths.optimizer_path (NaN rows
                    after divergence);
                losses: (steps + 1,) quadratic_loss along the path (NaN after divergence);
                diverged_at: int or None; converged_at: steps_to_tolerance, int or None;
                last: (2,) the last finite point; status: "converged", "running" or "diverged";
            critical_sgd: 2 / max(c), critical_momentum: 2 (1 + beta) / max(c);
            lr, beta, steps, tol: the inputs.
    """
    critical_momentum = op.critical_lr(curvature, beta)  # checks beta
    lr = positive_real(lr, "lr")
    paths = {name: op.optimizer_path(name, lr, beta, start, steps, curvature) for name in _RUNS}
    return _momentum_view(paths, lr, float(beta), steps, curvature, tol, critical_momentum)


def _momentum_view(paths: dict, lr: float, beta: float, steps: int, curvature, tol: float,
                   critical_momentum: float) -> dict:
    """momentum_view from the two runs' paths ("sgd", "momentum": (steps + 1, 2) each)."""
    result = {"lr": lr, "beta": beta, "steps": steps, "tol": tol,
              "critical_sgd": op.critical_lr(curvature, 0.0), "critical_momentum": critical_momentum}
    for name in _RUNS:
        result[name] = _run_summary(paths[name], curvature, tol)
    return result


def _run_summary(path: np.ndarray, curvature, tol: float) -> dict:
    """One run of momentum_view: its path (steps + 1, 2), losses, divergence, convergence and status."""
    finite = np.all(np.isfinite(path), axis=1)
    losses = np.full(len(path), np.nan)
    losses[finite] = op.quadratic_loss(path[finite], curvature)
    diverged = op.diverged_at(path)
    converged = op.steps_to_tolerance(path, tol)
    status = "diverged" if diverged is not None else "converged" if converged is not None else "running"
    return {"path": path, "losses": losses, "diverged_at": diverged, "converged_at": converged,
            "last": path[finite][-1], "status": status}


def _run_words(run: dict, steps: int) -> str:
    if run["status"] == "diverged":
        return f"diverged at step {run['diverged_at']}"
    if run["status"] == "converged":
        return f"within tolerance at step {run['converged_at']}"
    return f"not within tolerance after {steps} steps"


def _momentum_readout(view: dict) -> str:
    rows = []
    for name in _RUNS:
        run = view[name]
        colour = _DIVERGED if run["status"] == "diverged" else _RUN_COLOURS[name]
        final = "n/a (diverged)" if run["status"] == "diverged" else f"{run['losses'][-1]:.2e}"
        rows.append(f"<tr><td style='padding-right:1em'><b style='color:{colour}'>{_RUN_LABELS[name]}</b></td>"
                    f"<td style='padding-right:1.6em'>{_run_words(run, view['steps'])}</td>"
                    f"<td>loss at the end <code>{final}</code></td></tr>")
    return (
        f"<div>lr = <code>{view['lr']:.4g}</code>, β = <code>{view['beta']:.2f}</code>; critical lr: SGD "
        f"2/λ<sub>max</sub> = <code>{view['critical_sgd']:.4g}</code>, momentum 2(1+β)/λ<sub>max</sub> = "
        f"<code>{view['critical_momentum']:.4g}</code>; tolerance: ‖w‖ ≤ {view['tol']:g}</div>"
        f"<table>{''.join(rows)}</table>"
    )


class MomentumDashboard(Dashboard):
    """Learning rate and momentum; SGD's and momentum's paths on an ill-conditioned bowl. Chapter 06.

    The figure is drawn in the browser (bqplot): a change sends the paths and loss curves as
    arrays, never pixels; the contours are sent once.

    Attributes (besides Dashboard's):
        view: the last momentum_view result.
        w1_grid, w2_grid, surface: the contour grid (G1,), (G2,) and the loss on it (G2, G1).
        marks: dict name -> bqplot mark. Set once: "contours" (Lines, the contour lines of surface,
            NaN between pieces), "minimum" (Scatter, the + at 0), "start" (Scatter, the ○ at START).
            Updated in place: "paths" (Lines, (2, K): row 0 SGD, row 1 momentum, a dot per step: the
            points before the run diverged, thinned by plots.thin to those a dot apart on screen; the
            shorter row repeats its last point), "losses" (Lines, (2, k): the loss per step before a
            divergence, the shorter row repeating its last point), for each run r in ("sgd",
            "momentum") f"{r}_end" (Scatter, the last finite point clamped onto the plot, unclipped;
            a cross when the run diverged).
        scales: dict name -> bqplot scale, fixed (no control moves an axis): "w1", "w2" (the contour
            plot's axes, W1_RANGE and W2_RANGE), "step" (0 .. steps), "loss" (log, LOSS_LIMITS).
        status: ipywidgets.HTML above the panels: how each run ended, in its colour.
    """

    def __init__(self, lr: float = 0.035, beta: float = 0.7, steps: int = MOMENTUM_STEPS):
        _check_log_value(lr, "lr", LR_EXPONENTS)
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not (
                BETA_RANGE[0] <= beta <= BETA_RANGE[1]):  # NaN fails the comparison too
            raise ValueError(f"beta: expected a value in [{BETA_RANGE[0]}, {BETA_RANGE[1]}], got {beta!r}")
        beta = float(beta)
        self.steps = positive_int(steps, "steps")
        self.view: dict = {}
        self.w1_grid = np.linspace(*W1_RANGE, 201)  # (G1,)
        self.w2_grid = np.linspace(*W2_RANGE, 121)  # (G2,)
        grid = np.stack(np.meshgrid(self.w1_grid, self.w2_grid), axis=-1)  # (G2, G1, 2)
        self.surface = op.quadratic_loss(grid)  # (G2, G1), computed once
        self._sgd_paths: dict[float, np.ndarray] = {}  # lr -> SGD's path: beta never changes it
        self.marks, self.scales = {}, {}
        self.status = widgets.HTML()
        controls = {
            "lr": widgets.FloatLogSlider(value=float(lr), base=10.0, min=LR_EXPONENTS[0], max=LR_EXPONENTS[1],
                                         step=0.01, description="lr", readout_format=".4f", continuous_update=True),
            "beta": widgets.FloatSlider(value=beta, min=BETA_RANGE[0], max=BETA_RANGE[1], step=0.01,
                                        description="β (momentum)", continuous_update=True,
                                        style={"description_width": "initial"}),
        }
        super().__init__(controls, self._make_figure())

    # ---- the figure -----------------------------------------------------------------------------

    def _make_figure(self) -> widgets.Box:
        entries = [(_RUN_LABELS[name], _RUN_COLOURS[name], "solid") for name in _RUNS]
        left = [plots.legend(entries), self._paths_panel()]
        right = [plots.legend(entries), self._loss_panel()]
        return widgets.VBox([self.status, plots.panels(left, right)])

    def _paths_panel(self) -> bq.Figure:
        marks, scales = self.marks, self.scales
        scales["w1"] = bq.LinearScale(min=W1_RANGE[0], max=W1_RANGE[1])
        scales["w2"] = bq.LinearScale(min=W2_RANGE[0], max=W2_RANGE[1])
        plane = {"x": scales["w1"], "y": scales["w2"]}
        levels = np.geomspace(0.05, float(self.surface.max()), 12)
        xs, ys = plots.contour_lines(self.w1_grid, self.w2_grid, self.surface, levels)
        # without the NaN after the last piece: bqplot places a line's (hidden) label at its last point
        # and the browser reports an error for a NaN position
        drawn = len(xs) - int(np.argmax(np.isfinite(xs[::-1])))  # up to the last finite point
        marks["contours"] = bq.Lines(x=xs[:drawn], y=ys[:drawn], scales=plane, colors=["#90a4ae"], stroke_width=0.8)
        marks["minimum"] = bq.Scatter(x=np.zeros(1), y=np.zeros(1), scales=plane, marker="plus", colors=["black"],
                                      stroke="black", stroke_width=1.5, default_size=120)
        marks["paths"] = bq.Lines(x=np.zeros((2, 1)), y=np.zeros((2, 1)), scales=plane, stroke_width=1.2,
                                  colors=[_RUN_COLOURS[name] for name in _RUNS], marker="circle", marker_size=8)
        marks["start"] = bq.Scatter(x=np.array(op.START[:1]), y=np.array(op.START[1:]), scales=plane,
                                    colors=["white"], stroke="black", stroke_width=1.2, default_size=60)
        for name in _RUNS:  # on the plot's edge when the run left the plot: never clipped
            marks[f"{name}_end"] = bq.Scatter(x=np.zeros(1), y=np.zeros(1), scales=plane, colors=[_RUN_COLOURS[name]],
                                              stroke="black", default_size=90, apply_clip=False)
        shown = ["contours", "minimum", "paths", "start", "sgd_end", "momentum_end"]
        return plots.figure(
            [marks[name] for name in shown],
            [plots.axis(scales["w1"], "w1 (curvature 1)", ticks=np.arange(-4.0, 5.0, 2.0)),
             plots.axis(scales["w2"], "w2 (curvature 50)", vertical=True, ticks=np.arange(-3.0, 4.0))],
            title=_PATHS_TITLE, width=_PATHS_SIZE[0], height=_PATHS_SIZE[1])

    def _loss_panel(self) -> bq.Figure:
        marks, scales = self.marks, self.scales
        scales["step"] = bq.LinearScale(min=0.0, max=float(self.steps))
        scales["loss"] = bq.LogScale(min=LOSS_LIMITS[0], max=LOSS_LIMITS[1])
        curve = {"x": scales["step"], "y": scales["loss"]}
        marks["losses"] = bq.Lines(x=np.zeros((2, 1)), y=np.ones((2, 1)), scales=curve, stroke_width=1.6,
                                   colors=[_RUN_COLOURS[name] for name in _RUNS])
        return plots.figure(
            [marks["losses"]],
            [plots.axis(scales["step"], "step"),
             plots.axis(scales["loss"], "loss L(w)", vertical=True, tick_format=".0e",
                        ticks=10.0 ** np.arange(-10, 7, 2))],
            title="loss after each step", width=400, height=380)

    # ---- updating -------------------------------------------------------------------------------

    def set(self, **values) -> None:
        """Set several controls at once and update the view once (see Dashboard.set).

        The learning rate is checked here against 10**LR_EXPONENTS: a FloatLogSlider's min and
        max are exponents, not values.
        """
        if "lr" in values:
            lr = values.pop("lr")
            _check_log_value(lr, "lr", LR_EXPONENTS, prefix="set: ")
            self._holding = True
            try:
                self.controls["lr"].value = float(lr)
            finally:
                self._holding = False
        super().set(**values)

    def _render(self, values: dict) -> str:
        lr, beta = float(values["lr"]), float(values["beta"])
        critical_momentum = op.critical_lr(op.CURVATURE, beta)
        paths = {"sgd": self._sgd_path(lr),
                 "momentum": op.optimizer_path("momentum", lr, beta, op.START, self.steps, op.CURVATURE)}
        view = _momentum_view(paths, lr, beta, self.steps, op.CURVATURE, TOLERANCE, critical_momentum)
        self.view = view
        self._show_runs(view)
        self.status.value = (f"<div style='{_STATUS_STYLE}'>" + "<span style='margin-right:1.6em'></span>".join(
            f"<b style='color:{_DIVERGED if view[name]['status'] == 'diverged' else _RUN_COLOURS[name]}'>"
            f"{_RUN_LABELS[name]}:</b> {_run_words(view[name], self.steps)}" for name in _RUNS) + "</div>")
        return _momentum_readout(view)

    def _sgd_path(self, lr: float) -> np.ndarray:
        """SGD's path (steps + 1, 2) at this learning rate, run once per lr."""
        if lr not in self._sgd_paths:
            self._sgd_paths[lr] = op.optimizer_path("sgd", lr, 0.0, op.START, self.steps, op.CURVATURE)
        return self._sgd_paths[lr]

    def _show_runs(self, view: dict) -> None:
        """Send both runs to the marks: the rows before a divergence only, in one message per mark."""
        marks = self.marks
        width, height = plots.plot_area(*_PATHS_SIZE)
        pixels_per_unit = (width / (W1_RANGE[1] - W1_RANGE[0]), height / (W2_RANGE[1] - W2_RANGE[0]))
        dots, losses = [], []
        for name in _RUNS:
            run = view[name]
            k = len(run["path"]) if run["diverged_at"] is None else run["diverged_at"]
            path = run["path"][:k]  # (k, 2), finite
            dots.append(path[plots.thin(path[:, 0], path[:, 1], pixels_per_unit)])
            losses.append(np.stack([np.arange(k, dtype=np.float64), run["losses"][:k]], axis=1))
            end = np.clip(run["last"], [W1_RANGE[0], W2_RANGE[0]], [W1_RANGE[1], W2_RANGE[1]])
            diverged = run["status"] == "diverged"
            plots.show_end(marks[f"{name}_end"], end, _DIVERGED if diverged else _RUN_COLOURS[name], diverged)
        dots, losses = _rows(dots), _rows(losses)  # (2, K, 2), (2, k, 2)
        plots.set_xy(marks["paths"], dots[..., 0], dots[..., 1])
        plots.set_xy(marks["losses"], losses[..., 0], losses[..., 1])


def _rows(points: list[np.ndarray]) -> np.ndarray:
    """Paths of (P_i, 2) points -> (len(points), max P_i, 2): each shorter one repeats its last point, which
    draws nothing more (a bqplot Lines mark of several lines takes rows of one length)."""
    longest = max(len(p) for p in points)
    return np.stack([np.concatenate([p, np.repeat(p[-1:], longest - len(p), axis=0)]) for p in points])


def momentum_dashboard(lr: float = 0.035, beta: float = 0.7, steps: int = MOMENTUM_STEPS) -> MomentumDashboard:
    """A live dashboard of SGD and momentum on the ill-conditioned quadratic; the last line of a cell. Chapter 06.

    Inputs:
        lr: the learning rate of both runs, in [1e-3, 1e-1] (a log-scale slider);
        beta: momentum's coefficient, in [0, 0.99]; steps: updates per run.
    Returns:
        MomentumDashboard (displays itself; .set(lr=..., beta=...) moves the sliders).
    """
    return MomentumDashboard(lr=lr, beta=beta, steps=steps)
