"""Headless tests of the delta-rule dashboard (chapter 03): bplib.widgets.delta_rule.

The compute function descent_path is compared with gradient descent written out here with
bplib.neuron.neuron_gradients; the dashboard is driven through its controls, and the data of
its bqplot marks, the marker styles and the readout must follow the maths, updated in place.
"""

from __future__ import annotations

import re
import warnings

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pytest

from bplib.activations import sigmoid, sigmoid_prime
from bplib.neuron import DIVERGENCE_BOUND, loss_surface, neuron_gradients, neuron_loss
from bplib.widgets._base import _widget_tree
from bplib.widgets.delta_rule import (
    AND_X,
    AND_Y,
    FIXED_BIAS,
    LR_EXPONENTS,
    MODES,
    STEPS,
    W_RANGE,
    clamp_to_window,
    confidently_wrong,
    delta_rule_dashboard,
    descent_path,
)

START = np.array([-2.0, 6.0])  # the dashboard's default start


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def reference_path(x, y, w_start, b, lr, steps, mode):
    """Gradient descent on w with b fixed, one neuron_gradients call per step (no divergence handling)."""
    w = np.array(w_start, dtype=float)
    path = [w]
    for step in range(steps):
        rows = slice(None) if mode == "batch" else slice(step % len(y), step % len(y) + 1)
        dw, _ = neuron_gradients(x[rows], y[rows], w, b)
        w = w - lr * dw
        path.append(w)
    return np.array(path)


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# ---- descent_path -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lr", [0.3, 10.0, 70.0, 300.0])
def test_descent_path_is_gradient_descent_with_the_bias_fixed(mode, lr):
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, lr, 60, mode)
    expected = reference_path(AND_X, AND_Y, START, FIXED_BIAS, lr, 60, mode)
    np.testing.assert_allclose(path["weights"], expected, rtol=1e-12, atol=1e-12)
    losses = [neuron_loss(AND_X, AND_Y, w, FIXED_BIAS) for w in expected]
    np.testing.assert_allclose(path["losses"], losses, rtol=1e-12)
    assert path["steps"] == 60 and path["diverged_at"] is None
    assert (path["mode"], path["lr"], path["b"]) == (mode, lr, FIXED_BIAS)
    dw_end, _ = neuron_gradients(AND_X, AND_Y, expected[-1], FIXED_BIAS)
    assert path["grad_norm"] == pytest.approx(np.linalg.norm(dw_end), rel=1e-10, abs=1e-300)


def test_descent_path_on_random_data_in_three_dimensions():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(9, 3)), rng.integers(0, 2, size=9).astype(float)
    w_start = rng.normal(size=3)
    for mode in MODES:
        path = descent_path(x, y, w_start, 0.4, 2.5, 40, mode)
        np.testing.assert_allclose(path["weights"], reference_path(x, y, w_start, 0.4, 2.5, 40, mode),
                                   rtol=1e-12, atol=1e-12)


def test_online_steps_visit_the_examples_in_order():
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, 10.0, 8, "online")
    steps = np.diff(path["weights"], axis=0)  # (8, 2)
    # steps 1 and 5 use the example (0, 0), whose x = 0 cannot move the weights
    assert np.all(steps[[0, 4]] == 0.0)
    assert np.all(np.any(steps[[1, 2, 3, 5, 6, 7]] != 0.0, axis=1))
    # the example (0, 1) moves only w1 = w[1], the example (1, 0) only w0 = w[0]
    assert steps[1, 0] == 0.0 and steps[1, 1] != 0.0
    assert steps[2, 1] == 0.0 and steps[2, 0] != 0.0


@pytest.mark.parametrize(("lr", "mode", "status"), [
    (0.3, "batch", "running"),
    (10.0, "batch", "converged"),
    (70.0, "batch", "oscillating"),
    (300.0, "batch", "stuck"),
    (10.0, "online", "running"),
    (1e8, "batch", "diverged"),
])
def test_descent_path_status_from_the_default_start(lr, mode, status):
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, lr, STEPS, mode)
    assert path["status"] == status


def test_converged_means_the_bottom_of_the_bowl():
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, 10.0, STEPS, "batch")
    np.testing.assert_allclose(path["weights"][-1], [2.0, 2.0], atol=1e-9)
    assert path["grad_norm"] < 1e-6 and path["wrong_and_saturated"] == 0


def test_oscillating_means_the_loss_keeps_rising_and_falling():
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, 70.0, STEPS, "batch")
    last = np.diff(path["losses"][-21:])
    assert path["rises"] == np.count_nonzero(last > 0) >= 5
    assert np.count_nonzero(last < 0) >= 5
    assert path["losses"][-1] > 2 * neuron_loss(AND_X, AND_Y, np.array([2.0, 2.0]), FIXED_BIAS)


def test_stuck_means_confidently_wrong_and_saturated():
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, 300.0, STEPS, "batch")
    end = path["weights"][-1]
    a = sigmoid(AND_X @ end + FIXED_BIAS)
    wrong = (np.abs(a - AND_Y) > 0.5) & (sigmoid_prime(AND_X @ end + FIXED_BIAS) < 0.05 * 0.25)
    assert path["wrong_and_saturated"] == np.count_nonzero(wrong) >= 1
    assert list(confidently_wrong(AND_X, AND_Y, end, FIXED_BIAS)) == list(wrong)
    # a small learning rate from a saturated start is stuck at once, even before any step
    flat = descent_path(AND_X, AND_Y, [-4.0, -4.0], FIXED_BIAS, 10.0, 0, "batch")
    assert flat["status"] == "stuck" and flat["steps"] == 0


def test_confidently_wrong_at_the_flat_spot_and_at_the_minimum():
    assert list(confidently_wrong(AND_X, AND_Y, [-4.0, -4.0], 0.0)) == [False, False, False, True]
    assert not np.any(confidently_wrong(AND_X, AND_Y, [2.0, 2.0], FIXED_BIAS))
    with pytest.raises(ValueError, match="w"):
        confidently_wrong(AND_X, AND_Y, [1.0, 2.0, 3.0], 0.0)


def test_divergence_stops_at_the_last_finite_point():
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, 1e8, STEPS, "batch")
    assert path["diverged_at"] == 1 and path["steps"] == 0
    np.testing.assert_array_equal(path["weights"], [START])
    # the step that was refused really leaves the bound
    dw, _ = neuron_gradients(AND_X, AND_Y, START, FIXED_BIAS)
    assert np.max(np.abs(START - 1e8 * dw)) > DIVERGENCE_BOUND
    online = descent_path(AND_X, AND_Y, [7.0, 7.0], FIXED_BIAS, 1e8, STEPS, "online")
    assert online["status"] == "diverged" and online["steps"] == online["diverged_at"] - 1
    assert np.all(np.isfinite(online["weights"])) and np.all(np.isfinite(online["losses"]))


def test_overflowing_data_diverge_without_a_warning():
    x = np.array([[1e300, 1e300], [-1e300, 1e300]])
    path = descent_path(x, np.array([1.0, 0.0]), [0.0, 0.0], 0.0, 1e6, 10, "batch")
    assert path["status"] == "diverged" and path["diverged_at"] == 1
    assert np.all(np.isfinite(path["weights"])) and np.all(np.isfinite(path["losses"]))
    # x @ w = inf for the first example (a = 1 exactly), a finite z for the second one
    infinite = descent_path(x * 1e8, np.array([1.0, 0.0]), [1.0, 1.0], 0.0, 1.0, 10, "online")
    assert infinite["status"] == "diverged" and infinite["diverged_at"] == 2
    assert np.all(np.isfinite(infinite["weights"])) and np.all(np.isfinite(infinite["losses"]))


def test_zero_steps_is_just_the_start():
    path = descent_path(AND_X, AND_Y, START, FIXED_BIAS, 1.0, 0)
    assert path["steps"] == 0 and path["weights"].shape == (1, 2)
    assert path["losses"][0] == pytest.approx(neuron_loss(AND_X, AND_Y, START, FIXED_BIAS), rel=1e-14)


def test_descent_path_leaves_its_inputs_alone():
    w_start = START.copy()
    x, y = AND_X.copy(), AND_Y.copy()
    descent_path(x, y, w_start, FIXED_BIAS, 10.0, 20)
    np.testing.assert_array_equal(w_start, START)
    np.testing.assert_array_equal(x, AND_X)
    np.testing.assert_array_equal(y, AND_Y)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lr": 0.0}, "lr"),
    ({"lr": -1.0}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"lr": True}, "lr"),
    ({"steps": -1}, "steps"),
    ({"steps": 2.0}, "steps"),
    ({"steps": True}, "steps"),
    ({"mode": "minibatch"}, "mode"),
    ({"w_start": [1.0, 2.0, 3.0]}, "w_start"),
    ({"w_start": [np.nan, 1.0]}, "w_start"),
    ({"b": "zero"}, "b"),
    ({"x": AND_X[:, 0]}, "x"),
    ({"y": AND_Y[:3]}, "y"),
    ({"grad_tol": float("inf")}, "grad_tol"),
])
def test_descent_path_rejects_bad_input(kwargs, match):
    args = {"x": AND_X, "y": AND_Y, "w_start": START, "b": FIXED_BIAS, "lr": 1.0, "steps": 5, "mode": "batch"}
    with pytest.raises(ValueError, match=match):
        descent_path(**{**args, **kwargs})


def test_clamp_to_window():
    np.testing.assert_array_equal(clamp_to_window([-7.4, 3.0], *W_RANGE), [W_RANGE[0], 3.0])
    np.testing.assert_array_equal(clamp_to_window([130.0, -94.0], *W_RANGE), [W_RANGE[1], W_RANGE[0]])


# ---- the dashboard ---------------------------------------------------------------------------------


def assert_line(mark, x, y):
    """A bqplot mark shows exactly these points, as float64 arrays."""
    assert mark.x.dtype == np.float64 and mark.y.dtype == np.float64
    np.testing.assert_allclose(mark.x, x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mark.y, y, rtol=1e-12, atol=1e-12)


def assert_shows(dash, expected_weights, start, lr, mode):
    """Every mark that moves follows the run from `start`: path, start, end, loss curve and its end."""
    expected = descent_path(AND_X, AND_Y, start, FIXED_BIAS, lr, STEPS, mode)
    np.testing.assert_allclose(expected["weights"], expected_weights, rtol=1e-12, atol=1e-12)
    marks = dash.marks
    assert_line(marks["path"], expected_weights[:, 0], expected_weights[:, 1])
    assert_line(marks["start"], [start[0]], [start[1]])
    assert_line(marks["end"], *np.clip(expected_weights[-1:], *W_RANGE).T)
    losses = [neuron_loss(AND_X, AND_Y, w, FIXED_BIAS) for w in expected_weights]
    assert_line(marks["loss"], np.arange(len(losses)), losses)
    assert_line(marks["loss_end"], [len(losses) - 1], [losses[-1]])
    assert f"{losses[-1]:.4f}" in text(dash.readout.value)


def figures_of(dash) -> list[bq.Figure]:
    return [w for w in _widget_tree(dash.fig) if isinstance(w, bq.Figure)]


def test_dashboard_starts_with_the_default_run():
    dash = delta_rule_dashboard()
    assert dash.values() == {"lr": 10.0, "w0": -2.0, "w1": 6.0, "mode": "batch"}
    expected = reference_path(AND_X, AND_Y, START, FIXED_BIAS, 10.0, STEPS, "batch")
    assert_shows(dash, expected, START, 10.0, "batch")
    html = text(dash.readout.value)
    assert "converged" in html and f"{STEPS}" in html
    assert "(2.00, 2.00)" in html  # the lowest grid point
    assert text(dash.status.value).split()[0] == "converged"
    assert dash.marks["end"].marker == "circle" and dash.marks["end"].colors == ["#2e7d32"]
    assert sorted(f.title for f in figures_of(dash) if f.title) == ["loss L(w0, w1) with the bias fixed at b = -3",
                                                         "loss after each step"]
    # the weights are counted from 0, like w[0], w[1]: the controls "w0", "w1" are labelled so
    assert [dash.controls[name].description for name in ("w0", "w1")] == ["start w0", "start w1"]
    (surface_figure,) = [f for f in figures_of(dash) if f.title.startswith("loss L(")]
    assert [a.label for a in surface_figure.axes] == ["w0", "w1"]
    assert "start (w0, w1) (-2.00, 6.00)" in " ".join(html.split()) and "end (w0, w1)" in html


def test_the_surface_is_the_loss_in_bands_and_stays_put():
    dash = delta_rule_dashboard()
    np.testing.assert_array_equal(dash.surface, loss_surface(AND_X, AND_Y, dash.w_grid, dash.w_grid, FIXED_BIAS))
    assert dash.lowest[:2] == (pytest.approx(2.0), pytest.approx(2.0))
    surface, contours = dash.marks["surface"], dash.marks["contours"]
    np.testing.assert_array_equal(surface.x, dash.w_grid)
    np.testing.assert_array_equal(surface.y, dash.w_grid)
    # each cell shows a value of the band its loss lies in: within one band width, never across a level
    low, top = dash.surface.min(), dash.surface.max()
    levels = low + (top - low) * np.linspace(0.0, 1.0, 16) ** 2
    band = np.clip(np.searchsorted(levels, dash.surface) - 1, 0, 14)
    assert np.all((levels[band] <= surface.color) & (surface.color <= levels[band + 1]))
    assert len(np.unique(surface.color)) > 10
    # the contour lines run where the loss equals a level (up to the grid's linear interpolation)
    on_line = ~np.isnan(contours.x)
    assert np.count_nonzero(~on_line) > 5 and np.count_nonzero(on_line) > 500
    assert on_line[0] and on_line[-1]  # a NaN at the end would be an error in the browser
    losses = np.array([neuron_loss(AND_X, AND_Y, w, FIXED_BIAS) for w in zip(contours.x[on_line],
                                                                              contours.y[on_line], strict=True)])
    assert np.min(np.abs(losses[:, None] - levels[None, :]), axis=1).max() < 1e-3 * (top - low)
    assert (dash.scales["loss_colour"].min, dash.scales["loss_colour"].max) == (low, pytest.approx(top, rel=1e-15))
    # the colour key beside the map: every band once, bottom to top, its levels written beside it
    key = dash.marks["colour_key"]
    assert [m for m in _widget_tree(dash.fig) if isinstance(m, bq.HeatMap)].count(key) == 1
    np.testing.assert_allclose(key.color[:, 0], 0.5 * (levels[:-1] + levels[1:]), rtol=1e-14)
    (key_axis,) = [a for f in figures_of(dash) for a in f.axes if a.scale is key.scales["y"]]
    assert key_axis.tick_labels == {k: f"{levels[k]:.2f}" for k in range(15, -1, -2)}
    np.testing.assert_array_equal(dash.marks["lowest"].x, [2.0])
    np.testing.assert_array_equal(dash.marks["lowest_loss"].y, [dash.lowest[2]] * 2)
    static = {name: (dash.marks[name], dash.marks[name].x)
              for name in ("surface", "contours", "lowest", "colour_key", "lowest_loss")}
    marks = dict(dash.marks)
    for lr in (0.5, 70.0, 300.0, 1e8):
        dash.controls["lr"].value = lr
    assert all(dash.marks[name] is mark and mark.x is x for name, (mark, x) in static.items())  # untouched
    assert dash.marks == marks  # the same marks, updated in place
    limits = {name: (scale.min, scale.max) for name, scale in dash.scales.items()}
    assert limits["w0"] == limits["w1"] == W_RANGE
    assert limits["step"] == (0.0, STEPS) and limits["loss"] == (0.0, pytest.approx(1.05 * top))


@pytest.mark.parametrize("lr", [0.3, 70.0, 300.0])
def test_the_learning_rate_slider_redraws_the_path_and_the_loss(lr):
    dash = delta_rule_dashboard()
    dash.controls["lr"].value = lr
    assert_shows(dash, reference_path(AND_X, AND_Y, START, FIXED_BIAS, lr, STEPS, "batch"), START, lr, "batch")
    assert f"{lr:.4g}" in text(dash.readout.value)


def test_start_sliders_and_mode_toggle():
    dash = delta_rule_dashboard()
    dash.controls["w0"].value = 5.0
    dash.controls["w1"].value = -1.5
    dash.controls["mode"].value = "online"
    expected = reference_path(AND_X, AND_Y, [5.0, -1.5], FIXED_BIAS, 10.0, STEPS, "online")
    assert_shows(dash, expected, [5.0, -1.5], 10.0, "online")
    assert "online" in text(dash.readout.value)
    assert isinstance(dash.controls["mode"], widgets.ToggleButtons)
    assert isinstance(dash.controls["lr"], widgets.FloatLogSlider)


@pytest.mark.parametrize("mode", MODES)
def test_every_slider_position_shows_its_own_run(mode):
    # Moving one slider picks runs of a sweep of all its positions (made on its first move): each must be
    # the run descent_path makes for those values, after any order of moves, and so must the values
    # between two positions (set from Python), which are run afresh.
    dash = delta_rule_dashboard(mode=mode)
    moves = [("lr", 10.0 ** -1.5), ("lr", 10.0 ** 1.85), ("lr", 10.0 ** 2.5), ("w0", 3.7), ("w0", -4.0),
             ("w1", 0.2), ("lr", 10.0**6), ("lr", 10.0**0.5), ("w1", 7.9), ("w0", 1.234), ("lr", 12.3456)]
    for name, value in moves:
        dash.controls[name].value = value
        values = dash.values()
        start = np.array([values["w0"], values["w1"]])
        expected = descent_path(AND_X, AND_Y, start, FIXED_BIAS, values["lr"], STEPS, mode)
        assert dash.path.keys() == expected.keys()
        for key, value_expected in expected.items():
            np.testing.assert_array_equal(dash.path[key], value_expected, err_msg=f"{name} = {value}: {key}")
        assert_line(dash.marks["path"], expected["weights"][:, 0], expected["weights"][:, 1])
    dash.controls["mode"].value = MODES[1 - MODES.index(mode)]  # and a toggle back shows the first run again
    dash.controls["mode"].value = mode
    assert_line(dash.marks["path"], expected["weights"][:, 0], expected["weights"][:, 1])


def test_the_front_ends_round_off_is_taken_as_the_slider_position():
    # noUiSlider adds steps: a browser sends -0.7000000000000002 for -0.7 and 2.23872113856834 for 10**0.35
    dash = delta_rule_dashboard(lr=70.0)
    dash.controls["w0"].value = -0.7000000000000002
    dash.controls["lr"].value = 2.23872113856834
    lr = 10.0**0.35
    expected = descent_path(AND_X, AND_Y, [-0.7, 6.0], FIXED_BIAS, lr, STEPS, "batch")
    for key, value in expected.items():
        np.testing.assert_array_equal(dash.path[key], value)
    assert (dash.marks["start"].x[0], dash.path["lr"]) == (-0.7, lr)


def test_a_huge_learning_rate_shows_divergence_without_a_crash():
    dash = delta_rule_dashboard()
    dash.controls["lr"].value = 10.0 ** LR_EXPONENTS[1]
    html = text(dash.readout.value)
    assert "diverged at step 1" in html
    assert "diverged at step 1" in text(dash.status.value)
    path, end = dash.marks["path"], dash.marks["end"]
    assert len(path.x) == 1 and np.all(np.isfinite(path.x)) and np.all(np.isfinite(path.y))
    assert (list(end.x), list(end.y)) == ([-2.0], [6.0])  # the last finite point
    assert (end.marker, end.stroke, end.colors) == ("crosshair", "#c62828", ["#c62828"])
    assert dash.marks["loss_end"].marker == "crosshair"
    assert np.all(np.isfinite(dash.marks["loss"].y))
    dash.controls["lr"].value = 10.0  # and back
    assert "converged" in text(dash.readout.value)
    assert (dash.marks["end"].marker, dash.marks["end"].stroke) == ("circle", "black")


def test_an_end_off_the_plot_is_marked_on_its_edge():
    dash = delta_rule_dashboard(lr=300.0)
    path = dash.path
    assert path["status"] == "stuck"
    last = path["weights"][-1]
    assert np.any(last < W_RANGE[0]) or np.any(last > W_RANGE[1])
    end = dash.marks["end"]
    np.testing.assert_array_equal([end.x[0], end.y[0]], np.clip(last, *W_RANGE))
    assert dash.marks["path"].x[-1] == last[0]  # the line itself is not clamped
    assert "off the plot" in dash.readout.value
    assert not end.apply_clip and not dash.marks["start"].apply_clip and dash.marks["path"].apply_clip
    assert end.marker == "crosshair" and "stuck" in dash.status.value


def test_set_moves_several_controls_with_one_update():
    dash = delta_rule_dashboard()
    count = dash.updates
    dash.set(lr=70.0, w0=0.0, w1=0.0)
    assert dash.updates == count + 1
    assert dash.values() == {"lr": 70.0, "w0": 0.0, "w1": 0.0, "mode": "batch"}
    expected = reference_path(AND_X, AND_Y, [0.0, 0.0], FIXED_BIAS, 70.0, STEPS, "batch")
    assert_shows(dash, expected, [0.0, 0.0], 70.0, "batch")
    dash.set(lr=1e3)  # above the slider's exponent range [-2, 8] as a number: still valid
    assert dash.values()["lr"] == 1e3 and dash.updates == count + 2


@pytest.mark.parametrize(("values", "match"), [
    ({"lr": 1e9}, "lr"),
    ({"lr": 0.001}, "lr"),
    ({"lr": "fast"}, "lr"),
    ({"w0": 9.0}, "w0"),
    ({"speed": 1.0}, "control names"),
])
def test_set_rejects_values_out_of_range(values, match):
    dash = delta_rule_dashboard()
    before = dash.values()
    with pytest.raises(ValueError, match=match):
        dash.set(**values)
    assert dash.values() == before


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lr": 1e9}, "lr"),
    ({"w0": -5.0}, "w0"),
    ({"w1": float("nan")}, "w1"),
    ({"mode": "stochastic"}, "mode"),
    ({"steps": 0}, "steps"),
    ({"x": np.ones((4, 3)), "y": AND_Y}, "two inputs"),
])
def test_dashboard_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        delta_rule_dashboard(**kwargs)


def test_dashboard_on_other_data_and_bias():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 1.0])  # OR
    dash = delta_rule_dashboard(x=x, y=y, b=-1.0, steps=40, lr=3.0, w0=0.0, w1=0.0)
    expected = reference_path(x, y, [0.0, 0.0], -1.0, 3.0, 40, "batch")
    np.testing.assert_allclose(dash.marks["path"].x, expected[:, 0], rtol=1e-12, atol=1e-12)
    assert (dash.scales["step"].min, dash.scales["step"].max) == (0.0, 40.0)
    assert "loss L(w0, w1) with the bias fixed at b = -1" in [f.title for f in figures_of(dash)]
