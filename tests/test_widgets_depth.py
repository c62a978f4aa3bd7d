"""Headless tests of chapter 06's dashboards: bplib.widgets.depth.

The compute functions (depth_view, momentum_view) are compared with bplib.experiments'
depth_probes and optimizer_paths called directly; the dashboards are driven through their
controls, and the bars, lines, markers and readouts must follow the maths, updated in place with
fixed axis limits.
"""

from __future__ import annotations

import io
import math
import re
import warnings

import ipywidgets as widgets
import numpy as np
import pytest

from bplib.experiments import optimizer_paths as op
from bplib.experiments.depth_probes import depth_probe
from bplib.layers import init_std
from bplib.widgets.depth import (
    DEPTH_RANGE,
    LR_EXPONENTS,
    MOMENTUM_STEPS,
    TOLERANCE,
    W1_RANGE,
    W2_RANGE,
    WIDTH,
    Y_LIMITS,
    classify_gain,
    clip_for_display,
    depth_dashboard,
    depth_view,
    momentum_dashboard,
    momentum_view,
)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def render(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def probe(depth, activation, init, scale):
    """The probe the depth dashboard shows, computed here from bplib.experiments.depth_probes."""
    return depth_probe(depth, WIDTH, activation, init, scale, np.random.default_rng(0), 64)


# ---- the pure helpers ---------------------------------------------------------------------------------------


def test_clip_for_display():
    shown, outside = clip_for_display([1e-20, 0.0, 1e-3, 1e9, math.inf, math.nan], (1e-12, 1e6))
    np.testing.assert_array_equal(shown, [1e-12, 1e-12, 1e-3, 1e6, 1e6, 1e6])
    assert outside.tolist() == [True, True, False, True, True, True]


@pytest.mark.parametrize(("norms", "status"), [
    ([1e-5, 0.2], "vanishing"),
    ([0.009, 1.0], "vanishing"),
    ([0.011, 1.0], "stable"),
    ([99.0, 1.0], "stable"),
    ([101.0, 0.5], "exploding"),
    ([math.inf, 1.0], "overflow"),
    ([math.nan, 1.0], "overflow"),
])
def test_classify_gain_against_the_gradient_arriving_at_the_top(norms, status):
    got, gain = classify_gain(norms)
    assert got == status
    if status != "overflow":
        assert gain == norms[0]
    else:
        assert math.isnan(gain)
    assert classify_gain([0.5, 1.0], dout_norm=100.0) == ("vanishing", 0.005)


@pytest.mark.parametrize(("activation", "init", "scale"), [("sigmoid", "xavier", 1.0), ("relu", "he", 2.0),
                                                           ("tanh", "normal", 0.1)])
def test_depth_view_is_the_probe(activation, init, scale):
    view = depth_view(12, activation, init, scale)
    expected = probe(12, activation, init, scale)
    np.testing.assert_array_equal(view["norms"], expected.delta_norms)
    np.testing.assert_array_equal(view["z_rms"], expected.z_rms)
    np.testing.assert_array_equal(view["layers"], np.arange(1, 13))
    shown, outside = clip_for_display(expected.delta_norms)
    np.testing.assert_array_equal(view["norms_shown"], shown)
    np.testing.assert_array_equal(view["norms_outside"], outside)
    np.testing.assert_array_equal(view["bound_shown"], clip_for_display(expected.bound)[0])
    assert (view["status"], view["gain"]) == classify_gain(expected.delta_norms)
    assert view["std"] == init_std(WIDTH, WIDTH, init, scale)


def test_depth_view_statuses_of_the_chapter():
    assert depth_view(15, "sigmoid", "xavier", 1.0)["status"] == "vanishing"
    assert depth_view(15, "tanh", "xavier", 1.0)["status"] == "stable"
    assert depth_view(15, "relu", "he", 1.0)["status"] == "stable"
    assert depth_view(15, "relu", "he", 2.0)["status"] == "exploding"
    assert depth_view(15, "relu", "he", 0.5)["status"] == "vanishing"


# ---- the depth dashboard ----------------------------------------------------------------------------------


def _bar_values(dash):
    """(visible heights + the lower limit, colours) of the visible bars, in layer order."""
    bars = [bar for bar in dash.artists["bars"] if bar.get_visible()]
    return np.array([bar.get_height() + bar.get_y() for bar in bars]), [bar.get_facecolor() for bar in bars]


def test_depth_dashboard_starts_with_sigmoid_vanishing():
    dash = depth_dashboard()
    assert dash.values() == {"depth": 15, "activation": "sigmoid", "init": "xavier", "scale": 1.0}
    expected = probe(15, "sigmoid", "xavier", 1.0)
    heights, _ = _bar_values(dash)
    np.testing.assert_allclose(heights, np.clip(expected.delta_norms, *Y_LIMITS), rtol=1e-9)
    assert all(bar.get_y() == Y_LIMITS[0] for bar in dash.artists["bars"])
    np.testing.assert_array_equal(dash.artists["bound"].get_xdata(), np.arange(1, 16))
    np.testing.assert_allclose(dash.artists["bound"].get_ydata(), np.clip(expected.bound, *Y_LIMITS))
    np.testing.assert_allclose(dash.artists["z_rms"].get_ydata(), expected.z_rms)
    html = text(dash.readout.value)
    for value in expected.delta_norms:  # every layer's number is printed
        assert f"{value:.1e}" in html
    assert "vanishing" in html and dash.artists["status"].get_text().startswith("vanishing")
    assert f"{init_std(WIDTH, WIDTH, 'xavier'):.4f}" in html
    render(dash.fig)


def test_moving_the_controls_updates_the_same_artists_and_keeps_the_limits():
    dash = depth_dashboard()
    artists = {name: artist for name, artist in dash.artists.items() if name != "bars"}
    bars = list(dash.artists["bars"])
    limits = (dash.ax_grad.get_ylim(), dash.ax_grad.get_xlim(), dash.ax_forward.get_ylim())
    for settings in ({"depth": 5}, {"activation": "relu"}, {"init": "he"}, {"scale": 3.0}, {"depth": 20}):
        dash.set(**settings)
        values = dash.values()
        expected = probe(values["depth"], values["activation"], values["init"], values["scale"])
        heights, _ = _bar_values(dash)
        assert len(heights) == values["depth"]
        np.testing.assert_allclose(heights, np.clip(expected.delta_norms, *Y_LIMITS), rtol=1e-9)
        np.testing.assert_allclose(dash.artists["z_rms"].get_ydata(), np.clip(expected.z_rms, *Y_LIMITS))
    assert all(dash.artists[name] is artist for name, artist in artists.items())
    assert all(a is b for a, b in zip(dash.artists["bars"], bars, strict=True))
    assert (dash.ax_grad.get_ylim(), dash.ax_grad.get_xlim(), dash.ax_forward.get_ylim()) == limits
    assert dash.ax_grad.get_ylim() == pytest.approx(Y_LIMITS)


def test_a_shallower_network_hides_the_bars_above_it():
    dash = depth_dashboard(depth=20)
    dash.controls["depth"].value = 3
    visible = [bar.get_visible() for bar in dash.artists["bars"]]
    assert visible == [True] * 3 + [False] * (DEPTH_RANGE[1] - 3)
    assert len(dash.artists["z_rms"].get_xdata()) == 3


def test_values_beyond_the_limits_are_drawn_at_the_edge_in_grey_and_said_so():
    dash = depth_dashboard(depth=20, activation="relu", init="he", scale=10.0)
    expected = probe(20, "relu", "he", 10.0)
    assert np.any(expected.delta_norms > Y_LIMITS[1])
    heights, colours = _bar_values(dash)
    assert heights.max() == pytest.approx(Y_LIMITS[1])
    outside = expected.delta_norms > Y_LIMITS[1]
    grey = [c[:3] == pytest.approx((0.619, 0.619, 0.619), abs=1e-3) for c in colours]
    assert grey == outside.tolist()
    html = text(dash.readout.value)
    assert "outside the plot's range" in html and "exploding" in html
    assert f"{expected.delta_norms[0]:.1e}" in html  # the true value, not the clipped one
    dash.set(scale=0.1)  # far too small: below the lower edge
    expected = probe(20, "relu", "he", 0.1)
    assert np.any(expected.delta_norms < Y_LIMITS[0])
    assert _bar_values(dash)[0].min() == pytest.approx(Y_LIMITS[0])
    assert len(dash.artists["z_rms_outside"].get_xdata()) == int(np.sum(expected.z_rms < Y_LIMITS[0]))
    assert "vanishing" in text(dash.readout.value)
    render(dash.fig)


def test_the_controls_are_the_promised_widgets():
    dash = depth_dashboard()
    assert isinstance(dash.controls["depth"], widgets.IntSlider)
    assert (dash.controls["depth"].min, dash.controls["depth"].max) == DEPTH_RANGE
    assert isinstance(dash.controls["activation"], widgets.ToggleButtons)
    assert isinstance(dash.controls["scale"], widgets.FloatLogSlider)


def test_set_moves_several_controls_with_one_update():
    dash = depth_dashboard()
    count = dash.updates
    dash.set(depth=8, activation="tanh", scale=0.5)
    assert dash.updates == count + 1
    assert dash.values() == {"depth": 8, "activation": "tanh", "init": "xavier", "scale": 0.5}


@pytest.mark.parametrize(("values", "match"), [
    ({"scale": 20.0}, "scale"),
    ({"scale": 0.01}, "scale"),
    ({"scale": "big"}, "scale"),
    ({"depth": 30}, "depth"),
    ({"width": 3}, "control names"),
])
def test_depth_set_rejects_bad_values(values, match):
    dash = depth_dashboard()
    before = dash.values()
    with pytest.raises(ValueError, match=match):
        dash.set(**values)
    assert dash.values() == before


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"depth": 1}, "depth"),
    ({"depth": 4.0}, "depth"),
    ({"activation": "elu"}, "activation"),
    ({"init": "lecun"}, "init"),
    ({"scale": 0.0}, "scale"),
])
def test_depth_dashboard_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        depth_dashboard(**kwargs)


# ---- momentum_view --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lr", "beta"), [(0.035, 0.7), (0.01, 0.0), (0.05, 0.9)])
def test_momentum_view_runs_both_optimizers(lr, beta):
    view = momentum_view(lr, beta)
    for name in ("sgd", "momentum"):
        path = op.optimizer_path(name, lr, beta, steps=MOMENTUM_STEPS)
        np.testing.assert_array_equal(view[name]["path"], path)
        finite = np.all(np.isfinite(path), axis=1)
        np.testing.assert_allclose(view[name]["losses"][finite], op.quadratic_loss(path[finite]), rtol=1e-15)
        assert np.all(np.isnan(view[name]["losses"][~finite]))
        assert view[name]["diverged_at"] == op.diverged_at(path)
        assert view[name]["converged_at"] == op.steps_to_tolerance(path, TOLERANCE)
        np.testing.assert_array_equal(view[name]["last"], path[finite][-1])
    assert view["critical_sgd"] == pytest.approx(2 / 50)
    assert view["critical_momentum"] == pytest.approx(2 * (1 + beta) / 50)


def test_momentum_view_statuses():
    view = momentum_view(0.035, 0.7)
    assert (view["sgd"]["status"], view["momentum"]["status"]) == ("running", "converged")
    view = momentum_view(0.05, 0.9)  # above SGD's critical 0.04, below momentum's 0.076
    assert (view["sgd"]["status"], view["momentum"]["status"]) == ("diverged", "converged")
    view = momentum_view(0.1, 0.5)
    assert (view["sgd"]["status"], view["momentum"]["status"]) == ("diverged", "diverged")


# ---- the momentum dashboard -------------------------------------------------------------------------------


def test_momentum_dashboard_starts_with_the_zig_zag_and_momentum_ahead():
    dash = momentum_dashboard()
    assert dash.values() == {"lr": 0.035, "beta": 0.7}
    for name in ("sgd", "momentum"):
        path = op.optimizer_path(name, 0.035, 0.7, steps=MOMENTUM_STEPS)
        np.testing.assert_array_equal(dash.artists[f"{name}_path"].get_xdata(), path[:, 0])
        np.testing.assert_array_equal(dash.artists[f"{name}_path"].get_ydata(), path[:, 1])
        np.testing.assert_allclose(dash.artists[f"{name}_loss"].get_ydata(), op.quadratic_loss(path), rtol=1e-15)
    sgd = dash.artists["sgd_path"].get_ydata()
    assert np.all(np.sign(sgd[1:6]) == -np.sign(sgd[:5]))  # w2 flips sign every step: the zig-zag
    html = text(dash.readout.value)
    converged = op.steps_to_tolerance(op.optimizer_path("momentum", 0.035, 0.7, steps=MOMENTUM_STEPS))
    assert f"within tolerance at step {converged}" in html
    assert f"not within tolerance after {MOMENTUM_STEPS} steps" in html
    assert "0.04" in html and f"{2 * 1.7 / 50:.4g}" in html
    assert "momentum: within tolerance" in dash.artists["status"].get_text()
    render(dash.fig)


def test_a_diverging_run_is_labelled_and_ends_on_the_edge():
    dash = momentum_dashboard()
    contours = list(dash.ax_paths.collections)
    artists = dict(dash.artists)
    dash.set(lr=0.05, beta=0.9)
    view = dash.view
    k = view["sgd"]["diverged_at"]
    assert k is not None
    html = text(dash.readout.value)
    assert f"diverged at step {k}" in html and f"SGD: diverged at step {k}" in dash.artists["status"].get_text()
    end = dash.artists["sgd_end"]
    assert end.get_marker() == "X" and end.get_markerfacecolor() == "#c62828"
    last = view["sgd"]["last"]
    clamped = np.clip(last, [W1_RANGE[0], W2_RANGE[0]], [W1_RANGE[1], W2_RANGE[1]])
    assert (end.get_xdata()[0], end.get_ydata()[0]) == (clamped[0], clamped[1])
    assert not end.get_clip_on()
    losses = dash.artists["sgd_loss"].get_ydata()
    assert np.all(np.isfinite(losses[:k])) and np.all(np.isnan(losses[k:]))
    assert dash.artists["momentum_end"].get_marker() == "o"
    render(dash.fig)
    dash.set(lr=0.02, beta=0.5)  # and back: nothing diverges
    assert dash.artists["sgd_end"].get_marker() == "o" and "diverged" not in text(dash.readout.value)
    assert list(dash.ax_paths.collections) == contours
    assert all(dash.artists[name] is artist for name, artist in artists.items())
    assert dash.ax_paths.get_xlim() == W1_RANGE and dash.ax_paths.get_ylim() == W2_RANGE


def test_the_beta_slider_moves_only_the_momentum_run():
    dash = momentum_dashboard()
    sgd_before = dash.artists["sgd_path"].get_ydata().copy()
    dash.controls["beta"].value = 0.3
    np.testing.assert_array_equal(dash.artists["sgd_path"].get_ydata(), sgd_before)
    expected = op.optimizer_path("momentum", 0.035, 0.3, steps=MOMENTUM_STEPS)
    np.testing.assert_array_equal(dash.artists["momentum_path"].get_ydata(), expected[:, 1])
    assert re.search(r"β =\s+0\.30", text(dash.readout.value))


def test_momentum_set_checks_the_learning_rate_against_the_slider_range():
    dash = momentum_dashboard()
    count = dash.updates
    dash.set(lr=0.01, beta=0.5)
    assert dash.updates == count + 1 and dash.values() == {"lr": 0.01, "beta": 0.5}
    low, high = 10.0 ** LR_EXPONENTS[0], 10.0 ** LR_EXPONENTS[1]
    for bad in (low / 2, high * 2, "fast"):
        with pytest.raises(ValueError, match="lr"):
            dash.set(lr=bad)
    with pytest.raises(ValueError, match="beta"):
        dash.set(beta=1.0)
    assert dash.values() == {"lr": 0.01, "beta": 0.5}


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lr": 0.5}, "lr"),
    ({"lr": 0.0}, "lr"),
    ({"beta": 1.0}, "beta"),
    ({"beta": float("nan")}, "beta"),
    ({"steps": 0}, "steps"),
])
def test_momentum_dashboard_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        momentum_dashboard(**kwargs)


def test_the_surface_is_the_quadratic():
    dash = momentum_dashboard(steps=50)
    grid = np.stack(np.meshgrid(dash.w1_grid, dash.w2_grid), axis=-1)
    np.testing.assert_allclose(dash.surface, 0.5 * (grid[..., 0] ** 2 + 50 * grid[..., 1] ** 2), rtol=1e-15)
    assert dash.ax_loss.get_xlim() == (0.0, 50.0)
