"""Dashboards for chapter 06: gradients through depth, and momentum on an ill-conditioned loss.

1. `depth_dashboard`: depth, activation, initialisation and its scale; the figure shows
     - left: the per-layer gradient norm ||delta^l|| = ||dL/dz^l|| of a probe network
       (bplib.experiments.depth_probes.depth_probe) as bars on a log scale, layer 1 (input side)
       to the top, with the bound prod ||W||_2 * max|f'| as a dashed line and the top gradient's
       norm 1 dotted;
     - right: the size of the forward signal, the rms of z^l, on the same log scale.
   The y-limits are fixed (Y_LIMITS); a value beyond them is drawn at the edge in grey and the
   readout, which prints every layer's number, says so.
2. `momentum_dashboard`: learning rate and momentum coefficient; the paths of SGD and of
   momentum on the contours of f(w) = 0.5 (w1^2 + 50 w2^2) (left) and their losses per step
   (right). A path that diverges stops at its last point inside the bound and is labelled
   "diverged at step k".

Each has a pure compute function (depth_view, momentum_view), tested on its own; the view
updates artists made once (set_height, set_data, set_text); the wiring is bplib.widgets._base.
"""

from __future__ import annotations

import math
import numbers

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from bplib._validate import positive_int, positive_real
from bplib.depth import ACTIVATIONS
from bplib.experiments import optimizer_paths as op
from bplib.experiments.depth_probes import depth_probe
from bplib.layers import INITS, init_std
from bplib.widgets._base import Dashboard
from bplib.widgets._layered import LayeredFigure

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
            std: the std of every weight, init_std(width, width, init, scale).
    """
    probe = depth_probe(depth, width, activation, init, scale, np.random.default_rng(seed), N)
    norms_shown, norms_outside = clip_for_display(probe.delta_norms)
    z_shown, z_outside = clip_for_display(probe.z_rms)
    status, gain = classify_gain(probe.delta_norms)
    if not probe.finite:
        status, gain = "overflow", math.nan
    return {
        "probe": probe,
        "layers": np.arange(1, probe.depth + 1),
        "norms": probe.delta_norms,
        "norms_shown": norms_shown,
        "norms_outside": norms_outside,
        "bound_shown": clip_for_display(probe.bound)[0],
        "z_rms": probe.z_rms,
        "z_rms_shown": z_shown,
        "z_rms_outside": z_outside,
        "status": status,
        "gain": gain,
        "std": init_std(width, width, init, scale),
    }


def _depth_readout(view: dict) -> str:
    probe = view["probe"]
    status = view["status"]
    grid = [
        [("depth", f"{probe.depth}"), ("activation", probe.activation),
         ("init", f"{probe.init} × {probe.scale:.3g}: std of W = {view['std']:.4f}")],
        [("‖δ‖ at layer 1", f"{view['norms'][0]:.2e}"), (f"‖δ‖ at layer {probe.depth}", f"{view['norms'][-1]:.2e}"),
         (f"rms of z at layer {probe.depth}", f"{view['z_rms'][-1]:.2e}")],
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
            f"<div>‖δ<sup>l</sup>‖ per layer, input side first (‖dout‖ = 1 at the top): <code>{per_layer}</code></div>"
            f"<div><b style='color:{_GAIN_COLOURS[status]}'>{_GAIN_WORDS[status]}</b></div>{note}")


class DepthDashboard(Dashboard):
    """Depth, activation, initialisation and scale; per-layer gradient norms on a log scale. Chapter 06.

    Attributes (besides Dashboard's):
        view: the last depth_view result.
        ax_grad, ax_forward: the two Axes.
        artists: dict name -> artist, updated in place:
            "bars" (a list of DEPTH_RANGE[1] Rectangles, one per possible layer; those beyond the
            depth are hidden), "bound" (Line2D), "z_rms" (Line2D), "z_rms_outside" (Line2D, grey
            markers for clipped values), "status" (Text).
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
        with plt.ioff():
            fig, (self.ax_grad, self.ax_forward) = plt.subplots(
                1, 2, figsize=(9.6, 3.9), layout="constrained", gridspec_kw={"width_ratios": [1.45, 1.0]},
                FigureClass=LayeredFigure)
        self.artists = self._make_artists()
        fig.draw_without_rendering()  # lay out once, then freeze: the layout engine on every redraw costs more
        fig.set_layout_engine("none")
        # Bars, curves and the status change; axes, ticks and titles stay as cached pixels, the legends and
        # the right frame (which the unclipped markers touch) on top. The left frame lies between the bars and
        # the status box, so it is drawn with them, in zorder.
        art = self.artists
        fig.set_layers(dynamic=[*art["bars"], art["bound"], art["z_rms"], art["z_rms_outside"], art["status"],
                                *self.ax_grad.spines.values()],
                       overlay=[self._forward_one, self.ax_grad.get_legend(), self.ax_forward.get_legend(),
                                *self.ax_forward.spines.values()])
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
        super().__init__(controls, fig)

    def _make_artists(self) -> dict:
        ax, bx = self.ax_grad, self.ax_forward
        top = DEPTH_RANGE[1]
        layers = np.arange(1, top + 1)
        art = {}
        # bars on a log axis start at its lower limit; their height is value - Y_LIMITS[0]
        art["bars"] = list(ax.bar(layers, np.ones(top), bottom=Y_LIMITS[0], width=0.7, color=_BAR, zorder=2))
        (art["bound"],) = ax.plot([], [], "--", color="#6d4c41", lw=1.2, zorder=3,
                                  label="bound ∏‖W‖₂ · max|f′|")
        ax.axhline(1.0, color="#424242", lw=1, ls=":", zorder=1, label="‖dout‖ = 1 at the top")
        # top right: free of bars whether the gradient vanishes (tall bars on the right stay below 1)
        # or explodes (tall bars on the left)
        art["status"] = ax.text(0.98, 0.97, "", transform=ax.transAxes, va="top", ha="right", fontsize=9,
                                fontweight="bold", zorder=4,
                                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
        ax.set_yscale("log")
        ax.set_ylim(*Y_LIMITS)
        ax.set_xlim(0.4, top + 0.6)
        ax.set_xticks(layers[::2] if top > 12 else layers)
        ax.set_xlabel("layer l (1 = next to the input)")
        ax.set_ylabel("‖δˡ‖ = ‖dL/dzˡ‖")
        ax.set_title("backward: the gradient reaching each layer", fontsize=9)
        ax.legend(loc="lower right", fontsize=7.5)

        (art["z_rms"],) = bx.plot([], [], "-o", color="#00897b", ms=3.5, lw=1.3, label="rms of zˡ")
        (art["z_rms_outside"],) = bx.plot([], [], "o", color=_OUTSIDE, ms=5, clip_on=False, label="off the scale")
        self._forward_one = bx.axhline(1.0, color="#424242", lw=1, ls=":")  # drawn over the curves
        bx.set_yscale("log")
        bx.set_ylim(*Y_LIMITS)
        bx.set_xlim(0.4, top + 0.6)
        bx.set_xticks(layers[::2] if top > 12 else layers)
        bx.set_xlabel("layer l")
        bx.set_title("forward: the size of the pre-activations", fontsize=9)
        bx.legend(loc="lower left", fontsize=7.5)
        for artist in [*art["bars"], art["bound"], art["z_rms"], art["z_rms_outside"], art["status"]]:
            artist.set_in_layout(False)
        return art

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
        view = depth_view(values["depth"], values["activation"], values["init"], values["scale"])
        self.view = view
        depth = len(view["layers"])
        art = self.artists
        for k, bar in enumerate(art["bars"]):
            if k < depth:
                bar.set_visible(True)
                bar.set_height(view["norms_shown"][k] - Y_LIMITS[0])
                bar.set_color(_OUTSIDE if view["norms_outside"][k] else _BAR)
            else:
                bar.set_visible(False)
        art["bound"].set_data(view["layers"], view["bound_shown"])
        art["z_rms"].set_data(view["layers"], view["z_rms_shown"])
        outside = view["z_rms_outside"]
        art["z_rms_outside"].set_data(view["layers"][outside], view["z_rms_shown"][outside])
        status = view["status"]
        label = status if math.isnan(view["gain"]) else f"{status}: gain {view['gain']:.1e}"
        art["status"].set_text(label)
        art["status"].set_color(_GAIN_COLOURS[status])
        return _depth_readout(view)


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
    result = {"lr": positive_real(lr, "lr"), "beta": float(beta), "steps": steps, "tol": tol,
              "critical_sgd": op.critical_lr(curvature, 0.0), "critical_momentum": critical_momentum}
    for name in _RUNS:
        path = op.optimizer_path(name, lr, beta, start, steps, curvature)
        finite = np.all(np.isfinite(path), axis=1)
        losses = np.full(len(path), np.nan)
        losses[finite] = op.quadratic_loss(path[finite], curvature)
        diverged = op.diverged_at(path)
        converged = op.steps_to_tolerance(path, tol)
        status = "diverged" if diverged is not None else "converged" if converged is not None else "running"
        result[name] = {"path": path, "losses": losses, "diverged_at": diverged, "converged_at": converged,
                        "last": path[finite][-1], "status": status}
    return result


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

    Attributes (besides Dashboard's):
        view: the last momentum_view result.
        w1_grid, w2_grid, surface: the contour grid (G1,), (G2,) and the loss on it (G2, G1).
        ax_paths, ax_loss: the two Axes.
        artists: dict name -> artist, updated in place: for each run r in ("sgd", "momentum"):
            f"{r}_path" (Line2D), f"{r}_end" (marker at the last finite point, clamped to the plot;
            an X when diverged), f"{r}_loss" (Line2D, loss per step); "status" (Text on the contours).
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
        with plt.ioff():
            fig, (self.ax_paths, self.ax_loss) = plt.subplots(
                1, 2, figsize=(9.6, 3.9), layout="constrained", gridspec_kw={"width_ratios": [1.35, 1.0]},
                FigureClass=LayeredFigure)
        self.artists = self._make_artists()
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        # Paths, end markers, loss curves and the status change; the contours stay as cached pixels, the
        # legends and the frames (the end markers are unclipped) on top. The start marker is static but lies
        # between the paths (under it) and the end markers (over it), so it is drawn with them, in zorder; so is
        # the left frame, which lies between the markers and the status box.
        fig.set_layers(dynamic=[*self.artists.values(), self._start_marker, *self.ax_paths.spines.values()],
                       overlay=[self.ax_paths.get_legend(), self.ax_loss.get_legend(), *self.ax_loss.spines.values()])
        controls = {
            "lr": widgets.FloatLogSlider(value=float(lr), base=10.0, min=LR_EXPONENTS[0], max=LR_EXPONENTS[1],
                                         step=0.01, description="lr", readout_format=".4f", continuous_update=True),
            "beta": widgets.FloatSlider(value=beta, min=BETA_RANGE[0], max=BETA_RANGE[1], step=0.01,
                                        description="β (momentum)", continuous_update=True,
                                        style={"description_width": "initial"}),
        }
        super().__init__(controls, fig)

    def _make_artists(self) -> dict:
        ax, bx = self.ax_paths, self.ax_loss
        levels = np.geomspace(0.05, float(self.surface.max()), 12)
        ax.contour(self.w1_grid, self.w2_grid, self.surface, levels=levels, colors="#90a4ae", linewidths=0.7)
        ax.plot([0.0], [0.0], "+", color="black", ms=10, mew=1.5)
        (self._start_marker,) = ax.plot([op.START[0]], [op.START[1]], "o", mfc="white", mec="black", ms=7, zorder=4)
        art = {}
        for name in _RUNS:
            colour = _RUN_COLOURS[name]
            (art[f"{name}_path"],) = ax.plot([], [], "-o", color=colour, lw=1.1, ms=2, label=_RUN_LABELS[name])
            (art[f"{name}_end"],) = ax.plot([], [], "o", mec="black", mfc=colour, ms=8, clip_on=False, zorder=5)
            (art[f"{name}_loss"],) = bx.plot([], [], "-", color=colour, lw=1.4, label=_RUN_LABELS[name])
        art["status"] = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", ha="left", fontsize=8.5,
                                zorder=6, bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
        ax.set_xlim(*W1_RANGE)
        ax.set_ylim(*W2_RANGE)
        ax.set_xlabel("w1 (curvature 1)")
        ax.set_ylabel("w2 (curvature 50)")
        ax.set_title("f(w) = ½(w1² + 50 w2²): the paths from ○ to the minimum +", fontsize=9)
        ax.legend(loc="lower right", fontsize=8)
        bx.set_yscale("log")
        bx.set_ylim(*LOSS_LIMITS)
        bx.set_xlim(0, self.steps)
        bx.set_xlabel("step")
        bx.set_ylabel("loss f(w)")
        bx.set_title("loss after each step", fontsize=9)
        bx.legend(loc="upper right", fontsize=8)
        for artist in art.values():
            artist.set_in_layout(False)
        return art

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
        view = momentum_view(values["lr"], values["beta"], self.steps)
        self.view = view
        art = self.artists
        words = []
        for name in _RUNS:
            run = view[name]
            path = run["path"]
            art[f"{name}_path"].set_data(path[:, 0], path[:, 1])
            end = np.clip(run["last"], [W1_RANGE[0], W2_RANGE[0]], [W1_RANGE[1], W2_RANGE[1]])
            marker = art[f"{name}_end"]
            marker.set_data([end[0]], [end[1]])
            diverged = run["status"] == "diverged"
            marker.set_marker("X" if diverged else "o")
            marker.set_markerfacecolor(_DIVERGED if diverged else _RUN_COLOURS[name])
            # NaN rows (after a divergence) are not drawn; values beyond LOSS_LIMITS leave the axes
            art[f"{name}_loss"].set_data(np.arange(len(run["losses"])), run["losses"])
            words.append(f"{_RUN_LABELS[name]}: {_run_words(run, self.steps)}")
        art["status"].set_text("\n".join(words))
        return _momentum_readout(view)


def momentum_dashboard(lr: float = 0.035, beta: float = 0.7, steps: int = MOMENTUM_STEPS) -> MomentumDashboard:
    """A live dashboard of SGD and momentum on the ill-conditioned quadratic; the last line of a cell. Chapter 06.

    Inputs:
        lr: the learning rate of both runs, in [1e-3, 1e-1] (a log-scale slider);
        beta: momentum's coefficient, in [0, 0.99]; steps: updates per run.
    Returns:
        MomentumDashboard (displays itself; .set(lr=..., beta=...) moves the sliders).
    """
    return MomentumDashboard(lr=lr, beta=beta, steps=steps)
