"""Headless tests of chapter 06's dashboards: bplib.widgets.depth.

The compute functions (depth_view, momentum_view) are compared with bplib.experiments'
depth_probes and optimizer_paths called directly; the dashboards are driven through their
controls, and the marks drawn in the browser (bars, lines, markers), the status line and the
readouts must follow the maths, updated in place, with fixed axis limits.
"""

from __future__ import annotations

import math
import re
import warnings

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pytest

from bplib.experiments import optimizer_paths as op
from bplib.experiments.depth_probes import depth_probe
from bplib.layers import init_std
from bplib.widgets import _plots as plots
from bplib.widgets._base import _widget_tree
from bplib.widgets.depth import (
    DEPTH_RANGE,
    LOSS_LIMITS,
    LR_EXPONENTS,
    MOMENTUM_STEPS,
    TOLERANCE,
    W1_RANGE,
    W2_RANGE,
    WIDTH,
    Y_LIMITS,
    _depth_readout,
    classify_gain,
    clip_for_display,
    depth_dashboard,
    depth_view,
    momentum_dashboard,
    momentum_view,
)

GREY, RED = "#9e9e9e", "#c62828"


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def figures_of(dash) -> list[bq.Figure]:
    return [w for w in _widget_tree(dash.fig) if isinstance(w, bq.Figure)]


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


def test_the_depth_figure_is_drawn_in_the_browser_from_the_marks():
    dash = depth_dashboard()
    assert isinstance(dash.fig, widgets.Box) and "bplib-figure" in dash.fig._dom_classes
    figures = figures_of(dash)
    assert len(figures) == 2
    assert set(dash.marks.values()) == {mark for f in figures for mark in f.marks}  # none left behind
    assert isinstance(dash.scales["gradient"], bq.LogScale) and isinstance(dash.scales["size"], bq.LogScale)
    assert dash.status in _widget_tree(dash.fig)


def assert_depth_view_matches(dash, depth, activation, init, scale):
    """Every mark, the status and the readout show depth_probe's numbers for these settings."""
    expected = probe(depth, activation, init, scale)
    marks = dash.marks
    bars = np.asarray(marks["bars"].y, dtype=float)
    np.testing.assert_array_equal(marks["bars"].x, np.arange(1, DEPTH_RANGE[1] + 1))
    np.testing.assert_allclose(bars[:depth], np.clip(expected.delta_norms, *Y_LIMITS), rtol=1e-12)
    assert np.all(bars[depth:] == Y_LIMITS[0]) and marks["bars"].base == Y_LIMITS[0]  # height 0 above the depth
    outside = clip_for_display(expected.delta_norms)[1]
    assert [c == GREY for c in marks["bars"].colors[:depth]] == outside.tolist()
    layers = np.arange(1, depth + 1)
    np.testing.assert_array_equal(marks["bound"].x, layers)
    np.testing.assert_allclose(marks["bound"].y, np.clip(expected.bound, *Y_LIMITS), rtol=1e-12)
    np.testing.assert_array_equal(marks["z_rms"].x, layers)
    np.testing.assert_allclose(marks["z_rms"].y, np.clip(expected.z_rms, *Y_LIMITS), rtol=1e-12)
    z_outside = (expected.z_rms < Y_LIMITS[0]) | (expected.z_rms > Y_LIMITS[1])
    np.testing.assert_array_equal(marks["z_rms_outside"].x, layers[z_outside])
    np.testing.assert_allclose(marks["z_rms_outside"].y, np.clip(expected.z_rms[z_outside], *Y_LIMITS))
    for name in ("gradient", "size"):  # fixed limits: the axes never jump
        assert (dash.scales[name].min, dash.scales[name].max) == Y_LIMITS
    status, gain = classify_gain(expected.delta_norms)
    assert text(dash.status.value) == f"{status}: gain {gain:.1e}"
    html = text(dash.readout.value)
    for value in expected.delta_norms:  # every layer's number is printed, the true value
        assert f"{value:.1e}" in html
    assert f"depth {depth}" in html and f"std of W = {init_std(WIDTH, WIDTH, init, scale):.4f}" in html
    assert status in html


def test_depth_dashboard_starts_with_sigmoid_vanishing():
    dash = depth_dashboard()
    assert dash.values() == {"depth": 15, "activation": "sigmoid", "init": "xavier", "scale": 1.0}
    assert_depth_view_matches(dash, 15, "sigmoid", "xavier", 1.0)
    assert dash.view["status"] == "vanishing" and text(dash.status.value).startswith("vanishing: gain")
    assert (dash.scales["layer"].min, dash.scales["layer"].max) == (0.4, DEPTH_RANGE[1] + 0.6)


def test_moving_the_controls_updates_the_same_marks_and_keeps_the_limits():
    dash = depth_dashboard()
    marks, figures = dict(dash.marks), [list(f.marks) for f in figures_of(dash)]
    for settings in ({"depth": 5}, {"activation": "relu"}, {"init": "he"}, {"scale": 3.0}, {"depth": 20},
                     {"activation": "tanh", "init": "normal", "scale": 0.1}):
        dash.set(**settings)
        assert_depth_view_matches(dash, **dash.values())
    assert all(dash.marks[name] is mark for name, mark in marks.items())
    assert [list(f.marks) for f in figures_of(dash)] == figures
    assert (dash.scales["layer"].min, dash.scales["layer"].max) == (0.4, DEPTH_RANGE[1] + 0.6)


def test_each_slider_alone_moves_the_marks():
    dash = depth_dashboard()
    for name, value in (("depth", 9), ("activation", "tanh"), ("init", "he"), ("scale", 2.0)):
        before = np.array(dash.marks["bars"].y, dtype=float)
        dash.controls[name].value = value
        assert not np.array_equal(dash.marks["bars"].y, before), name
        assert_depth_view_matches(dash, **dash.values())


def test_the_kept_forward_passes_give_depth_views_numbers():
    # deeper and shallower with the same weights (a kept pass, extended), back to earlier settings,
    # and more settings than are kept
    dash = depth_dashboard(depth=3)
    settings = [(3, "tanh", "xavier", 1.0), (11, "tanh", "xavier", 1.0), (20, "tanh", "xavier", 1.0),
                (7, "tanh", "xavier", 1.0), (7, "relu", "he", 0.5), (20, "relu", "he", 0.5)]
    settings += [(12, "sigmoid", "normal", 10.0 ** (k / 50 - 1)) for k in range(0, 101, 5)]
    settings += [(20, "tanh", "xavier", 1.0), (2, "sigmoid", "normal", 0.1)]
    for depth, activation, init, scale in settings:
        dash.set(depth=depth, activation=activation, init=init, scale=scale)
        expected = depth_view(depth, activation, init, scale)
        for key in ("norms", "z_rms", "norms_shown", "norms_outside", "z_rms_shown", "z_rms_outside", "layers"):
            np.testing.assert_array_equal(dash.view[key], expected[key], err_msg=key)
        np.testing.assert_allclose(dash.view["bound_shown"], expected["bound_shown"], rtol=1e-12)
        assert {key: dash.view[key] for key in ("status", "std", "depth", "activation", "init", "scale")} == {
            key: expected[key] for key in ("status", "std", "depth", "activation", "init", "scale")}
        assert dash.view["gain"] == pytest.approx(expected["gain"], rel=1e-15, nan_ok=True)
        assert dash.readout.value == _depth_readout(expected)  # the readout of depth_view, to the character


def test_a_shallower_network_leaves_the_bars_above_it_at_height_zero():
    dash = depth_dashboard(depth=20)
    dash.controls["depth"].value = 3
    bars = np.asarray(dash.marks["bars"].y, dtype=float)
    assert np.all(bars[:3] > Y_LIMITS[0]) and np.all(bars[3:] == Y_LIMITS[0])
    assert len(dash.marks["z_rms"].x) == 3 and len(dash.marks["bound"].x) == 3


def test_values_beyond_the_limits_are_drawn_at_the_edge_in_grey_and_said_so():
    dash = depth_dashboard(depth=20, activation="relu", init="he", scale=10.0)
    expected = probe(20, "relu", "he", 10.0)
    assert np.any(expected.delta_norms > Y_LIMITS[1])
    assert_depth_view_matches(dash, 20, "relu", "he", 10.0)
    bars = np.asarray(dash.marks["bars"].y, dtype=float)
    assert bars.max() == Y_LIMITS[1]
    assert dash.marks["bars"].colors[0] == GREY and dash.marks["bars"].colors[-1] != GREY
    html = text(dash.readout.value)
    assert "outside the plot's range" in html and "exploding" in html
    dash.set(scale=0.1)  # far too small: below the lower edge
    expected = probe(20, "relu", "he", 0.1)
    assert np.any(expected.delta_norms < Y_LIMITS[0])
    assert_depth_view_matches(dash, 20, "relu", "he", 0.1)
    assert len(dash.marks["z_rms_outside"].x) == int(np.sum(expected.z_rms < Y_LIMITS[0])) > 0
    assert dash.marks["z_rms_outside"].apply_clip is False  # the dots on the edge are whole
    assert "vanishing" in text(dash.readout.value)


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
    assert_depth_view_matches(dash, 8, "tanh", "xavier", 0.5)


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


def test_the_momentum_figure_is_drawn_in_the_browser_from_the_marks():
    dash = momentum_dashboard()
    assert isinstance(dash.fig, widgets.Box) and "bplib-figure" in dash.fig._dom_classes
    figures = figures_of(dash)
    assert len(figures) == 2
    assert set(dash.marks.values()) == {mark for f in figures for mark in f.marks}
    assert isinstance(dash.scales["loss"], bq.LogScale)
    assert dash.status in _widget_tree(dash.fig)


def assert_momentum_view_matches(dash, lr, beta):
    """Both runs' marks show optimizer_path's points up to a divergence, the status says how each ended."""
    marks = dash.marks
    words = text(dash.status.value)
    for row, (name, label) in enumerate((("sgd", "SGD"), ("momentum", "momentum"))):
        path = op.optimizer_path(name, lr, beta, steps=MOMENTUM_STEPS)
        k = op.diverged_at(path) or len(path)
        dots = np.stack([marks["paths"].x[row], marks["paths"].y[row]], axis=1)  # (K, 2)
        assert_shows_the_path(dots, path[:k])  # the finite rows only
        losses = np.stack([marks["losses"].x[row], marks["losses"].y[row]], axis=1)
        assert_rows_then_repeats(losses, np.stack([np.arange(k), op.quadratic_loss(path[:k])], axis=1))
        end = marks[f"{name}_end"]
        clamped = np.clip(path[k - 1], [W1_RANGE[0], W2_RANGE[0]], [W1_RANGE[1], W2_RANGE[1]])
        assert (end.x[0], end.y[0]) == (clamped[0], clamped[1])
        assert end.apply_clip is False  # a marker on the edge stays whole
        if k <= MOMENTUM_STEPS:
            assert end.marker == "crosshair" and end.stroke == RED
            assert f"{label}: diverged at step {k}" in words
        else:
            assert end.marker == "circle" and end.stroke == "black"
            converged = op.steps_to_tolerance(path, TOLERANCE)
            said = (f"within tolerance at step {converged}" if converged is not None
                    else f"not within tolerance after {MOMENTUM_STEPS} steps")
            assert f"{label}: {said}" in words
    assert (dash.scales["w1"].min, dash.scales["w1"].max) == W1_RANGE
    assert (dash.scales["w2"].min, dash.scales["w2"].max) == W2_RANGE
    assert (dash.scales["loss"].min, dash.scales["loss"].max) == LOSS_LIMITS


def assert_rows_then_repeats(shown: np.ndarray, rows: np.ndarray) -> None:
    """shown (K, 2) is rows (k, 2), then its last row repeated (a mark of two curves pads the shorter one)."""
    assert len(shown) >= len(rows)
    np.testing.assert_allclose(shown[:len(rows)], rows, rtol=1e-15, atol=0)
    assert np.all(shown[len(rows):] == rows[-1])


def assert_shows_the_path(dots: np.ndarray, path: np.ndarray) -> None:
    """dots (K, 2): points of path (k, 2) in order, its first and last among them, each at least a dot
    apart from the one before on screen, and none of the points left out farther than that from a kept one."""
    width, height = plots.plot_area(520, 380)
    pixels = np.array([width / (W1_RANGE[1] - W1_RANGE[0]), height / (W2_RANGE[1] - W2_RANGE[0])])
    kept = [int(np.flatnonzero(np.all(path == dot, axis=1))[0]) for dot in dots]  # each dot is a point of the path
    unique = sorted(set(kept))
    assert kept[:len(unique)] == unique and set(kept[len(unique):]) <= {len(path) - 1}  # in order, then padding
    assert unique[0] == 0 and unique[-1] == len(path) - 1
    gaps = np.hypot(*((np.diff(path[unique[:-1]], axis=0)) * pixels).T)
    assert np.all(gaps >= 1.5)
    for i, j in zip(unique[:-1], unique[1:], strict=True):  # a point left out is near the one kept before it
        assert np.all(np.hypot(*((path[i + 1:j] - path[i]) * pixels).T) < 1.5)


def test_momentum_dashboard_starts_with_the_zig_zag_and_momentum_ahead():
    dash = momentum_dashboard()
    assert dash.values() == {"lr": 0.035, "beta": 0.7}
    assert_momentum_view_matches(dash, 0.035, 0.7)
    sgd = np.asarray(dash.marks["paths"].y[0])
    assert np.all(np.sign(sgd[1:6]) == -np.sign(sgd[:5]))  # w2 flips sign every step: the zig-zag
    html = text(dash.readout.value)
    converged = op.steps_to_tolerance(op.optimizer_path("momentum", 0.035, 0.7, steps=MOMENTUM_STEPS))
    assert f"within tolerance at step {converged}" in html
    assert f"not within tolerance after {MOMENTUM_STEPS} steps" in html
    assert "0.04" in html and f"{2 * 1.7 / 50:.4g}" in html
    assert "momentum: within tolerance" in text(dash.status.value)


def test_a_diverging_run_is_labelled_and_ends_on_the_edge():
    dash = momentum_dashboard()
    marks = dict(dash.marks)
    contours = (np.array(dash.marks["contours"].x), np.array(dash.marks["contours"].y))
    dash.set(lr=0.05, beta=0.9)
    k = dash.view["sgd"]["diverged_at"]
    assert k is not None
    assert_momentum_view_matches(dash, 0.05, 0.9)
    assert f"diverged at step {k}" in text(dash.readout.value)
    assert dash.marks["momentum_end"].marker == "circle"
    dash.set(lr=0.1, beta=0.0)  # both diverge
    assert_momentum_view_matches(dash, 0.1, 0.0)
    dash.set(lr=0.02, beta=0.5)  # and back: nothing diverges
    assert_momentum_view_matches(dash, 0.02, 0.5)
    assert "diverged" not in text(dash.readout.value) and "diverged" not in text(dash.status.value)
    assert all(dash.marks[name] is mark for name, mark in marks.items())
    np.testing.assert_array_equal(dash.marks["contours"].x, contours[0])  # the contours never move
    np.testing.assert_array_equal(dash.marks["contours"].y, contours[1])


def test_the_beta_slider_moves_only_the_momentum_run():
    dash = momentum_dashboard()
    sgd = (dash.marks["paths"].y[0].copy(), dash.marks["losses"].y[0].copy())
    sent = []
    dash.marks["sgd_end"].observe(lambda change: sent.append(change["name"]), names=["x", "y", "marker", "colors"])
    dash.controls["beta"].value = 0.3
    np.testing.assert_array_equal(dash.marks["paths"].y[0][:len(sgd[0])], sgd[0])
    np.testing.assert_array_equal(dash.marks["losses"].y[0], sgd[1])
    assert sent == []  # SGD's end marker is not sent again
    assert_momentum_view_matches(dash, 0.035, 0.3)
    assert re.search(r"β = 0\.30", text(dash.readout.value))
    dash.controls["lr"].value = 0.02  # the learning rate moves both
    assert not np.array_equal(dash.marks["losses"].y[0], sgd[1])
    assert_momentum_view_matches(dash, 0.02, 0.3)


def test_a_path_gets_a_dot_per_step_that_shows_on_screen():
    dash = momentum_dashboard()
    for lr, beta in ((0.035, 0.7), (0.039, 0.0), (0.001, 0.5)):
        dash.set(lr=lr, beta=beta)
        runs = dash.marks["paths"].x.shape[1]
        assert runs < MOMENTUM_STEPS + 1  # a crawl towards the minimum is not drawn dot on dot
        assert_momentum_view_matches(dash, lr, beta)


@pytest.mark.parametrize(("lr", "beta"), [(0.001, 0.0), (0.1, 0.99), (0.0398, 0.95), (0.0763, 0.9)])
def test_the_dashboard_shows_momentum_view(lr, beta):
    dash = momentum_dashboard()
    dash.set(lr=lr, beta=beta)
    expected = momentum_view(lr, beta)
    for name in ("sgd", "momentum"):
        for key in ("diverged_at", "converged_at", "status"):
            assert dash.view[name][key] == expected[name][key]
        np.testing.assert_array_equal(dash.view[name]["path"], expected[name]["path"])
    assert dash.readout.value == momentum_dashboard(lr=lr, beta=beta).readout.value
    assert_momentum_view_matches(dash, lr, beta)


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


def test_the_surface_and_its_contours_are_the_quadratic():
    dash = momentum_dashboard(steps=50)
    grid = np.stack(np.meshgrid(dash.w1_grid, dash.w2_grid), axis=-1)
    np.testing.assert_allclose(dash.surface, 0.5 * (grid[..., 0] ** 2 + 50 * grid[..., 1] ** 2), rtol=1e-15)
    x, y = np.asarray(dash.marks["contours"].x), np.asarray(dash.marks["contours"].y)
    drawn = np.isfinite(x)
    assert np.isnan(y[~drawn]).all() and drawn.sum() > 1000  # NaN only between the pieces
    levels = np.geomspace(0.05, float(dash.surface.max()), 12)
    values = op.quadratic_loss(np.stack([x[drawn], y[drawn]], axis=-1))
    nearest = levels[np.argmin(np.abs(np.log(values[:, None] / levels)), axis=1)]
    # every point lies on a level, up to the linear interpolation between grid points (coarse on the small ellipses)
    np.testing.assert_allclose(values, nearest, rtol=0.35)
    np.testing.assert_allclose(values[values > 1.0], nearest[values > 1.0], rtol=0.02)
    assert set(np.unique(nearest)) >= set(levels[:-1])  # every level is drawn (the top one is the corner's value)
    assert (dash.scales["step"].min, dash.scales["step"].max) == (0.0, 50.0)
    assert dash.marks["losses"].x.shape == (2, 51)  # a loss per step of both runs
