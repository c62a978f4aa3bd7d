"""Headless tests of the LSTM gates dashboard (chapter 08): bplib.widgets.lstm.

The compute function gate_reach is compared with bplib.lstm and bplib.experiments.memory called directly, and its
cell-path curve with the product of forget gates computed here from the gates; the dashboard is
driven through its sliders, and the plotted data and the readout must follow, updated in place.
"""

from __future__ import annotations

import io
import re
import warnings

import bqplot as bq
import ipywidgets as widgets
import matplotlib.image
import numpy as np
import pytest

from bplib import lstm
from bplib.activations import sigmoid
from bplib.experiments import memory
from bplib.widgets._base import _widget_tree
from bplib.widgets._plots import colour_map
from bplib.widgets.lstm import (
    _BLUE_WHITE_RED,
    _VIRIDIS,
    AXIS_WIDTHS,
    BIAS_RANGE,
    CELL_COLOUR_LIMIT,
    MAX_T,
    MIN_T,
    PLOT_FLOOR,
    LSTMGatesDashboard,
    axis_width,
    gate_reach,
    lstm_gates_dashboard,
    probe_inputs,
    probe_params,
)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def figures_of(dash) -> list[bq.Figure]:
    return [w for w in _widget_tree(dash.fig) if isinstance(w, bq.Figure)]


def with_bias(bias: float, seed: int = 0) -> dict:
    params = probe_params(seed)
    params["b_f"] = np.full_like(params["b_f"], bias)
    return params


# ---- gate_reach ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("bias", "T"), [(1.0, 60), (-2.0, 5), (5.0, 200), (0.0, 1)])
def test_gate_reach_is_the_library_probes_and_gates(bias, T):
    state = gate_reach(bias, T)
    params, x = with_bias(bias), probe_inputs()[:T]
    H = params["U_f"].shape[0]
    for key, quantity in (("cell", "c"), ("cell_path", "c_cell_path")):
        expected = memory.cell_gradient_through_time(params, T, np.random.default_rng(0), x=x, quantity=quantity)
        np.testing.assert_allclose(state[key], expected, rtol=1e-13, atol=0)
    np.testing.assert_allclose(state["rnn"], memory.gradient_through_time(1.0, T, H, np.random.default_rng([0, 2])),
                               rtol=1e-13)
    _, cache = lstm.lstm_forward(x[None], None, None, params)
    gates = lstm.lstm_gates(cache)
    for name in ("f", "i", "o", "c"):
        assert state[name].shape == (T, H)
        np.testing.assert_allclose(state[name], gates[name][0], rtol=1e-13, atol=1e-15)
    assert state["mean_f"] == pytest.approx(gates["f"].mean(), rel=1e-13)
    assert state["sigmoid_bias"] == pytest.approx(float(sigmoid(np.array(bias))), rel=1e-14)
    for key in ("cell", "cell_path", "rnn"):
        assert state[f"{key}_ratio"] == pytest.approx(state[key][-1] / state[key][0], rel=1e-14)
    np.testing.assert_array_equal(state["distance"], np.arange(T))
    assert (state["forget_bias"], state["T"]) == (bias, T)


def test_the_cell_path_is_the_product_of_forget_gates():
    # Derived independently: the gradient enters c_T through h_T = o_T * tanh(c_T) and then picks up
    # one forget gate per step, so at distance k it is the RMS over units of o_T tanh'(c_T) prod f.
    T = 50
    state = gate_reach(2.0, T)
    f, o, c = state["f"], state["o"], state["c"]
    entry = o[-1] * (1.0 - np.tanh(c[-1]) ** 2)  # (H,)
    expected = [np.sqrt(np.mean((entry * np.prod(f[T - k:], axis=0)) ** 2)) for k in range(T)]
    np.testing.assert_allclose(state["cell_path"], expected, rtol=1e-12)


def test_a_larger_forget_bias_reaches_further_back():
    ratios = [gate_reach(bias, 80)["cell_path_ratio"] for bias in (-2.0, 0.0, 1.0, 3.0, 5.0)]
    assert all(a < b for a, b in zip(ratios, ratios[1:], strict=False))
    means = [gate_reach(bias, 80)["mean_f"] for bias in (-2.0, 0.0, 1.0, 3.0, 5.0)]
    assert all(a < b for a, b in zip(means, means[1:], strict=False))
    assert gate_reach(5.0, 80)["cell_path_ratio"] > 1e-3 > gate_reach(1.0, 80)["cell_path_ratio"]
    # the forget bias never changes the reference RNN
    np.testing.assert_array_equal(gate_reach(-2.0, 40)["rnn"], gate_reach(5.0, 40)["rnn"])


def test_the_dashboards_one_pass_over_every_bias_is_gate_reach():
    dash = lstm_gates_dashboard()
    for bias, T in [(2.0, 5), (2.0, 200), (2.0, 60), (-2.0, 200), (6.0, 35), (0.25, 200)]:
        dash.set(forget_bias=bias, T=T)  # kept Jacobians (same bias, other T) and fresh ones
        fresh = gate_reach(bias, T)
        assert dash.state.keys() == fresh.keys()
        for key, value in fresh.items():  # one batch of all biases: the same sums, other round-off
            np.testing.assert_allclose(dash.state[key], value, rtol=1e-12, atol=1e-300)


def test_a_longer_sequence_extends_the_same_run():
    short, long = gate_reach(1.0, 30), gate_reach(1.0, 90)
    np.testing.assert_allclose(short["f"], long["f"][:30], rtol=1e-13)  # the same inputs, read further
    assert long["cell_path_ratio"] < short["cell_path_ratio"]


def test_gate_reach_leaves_its_inputs_alone_and_takes_other_networks():
    params = lstm.init_lstm_params(3, 5, np.random.default_rng(4), forget_bias=-1.0)
    before = {name: value.copy() for name, value in params.items()}
    x = np.random.default_rng(5).normal(size=(12, 3))
    state = gate_reach(2.5, 10, params=params, x=x, seed=3)
    assert all(np.array_equal(params[name], before[name]) for name in params)
    assert state["f"].shape == (10, 5)
    expected_params = {**before, "b_f": np.full(5, 2.5)}
    expected = memory.cell_gradient_through_time(expected_params, 10, np.random.default_rng(0), x=x[:10])
    np.testing.assert_allclose(state["cell"], expected, rtol=1e-13)


def test_gradients_that_underflow_are_reported_as_zero():
    state = gate_reach(-1000.0, 10)  # sigmoid(-1000) = 0 exactly: the cell path is cut after one step
    assert state["cell_path"][0] > 0 and np.all(state["cell_path"][1:] == 0)
    assert state["cell_path_ratio"] == 0.0
    assert "0 (underflowed)" in LSTMGatesDashboard._readout(state)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"forget_bias": float("nan")}, "forget_bias"),
        ({"forget_bias": "high"}, "forget_bias"),
        ({"T": 0}, "T"),
        ({"T": MAX_T + 1}, "T"),
        ({"T": 10.0}, "T"),
        ({"seed": -1}, "seed"),
        ({"x": np.zeros((5, 4))}, "x"),
        ({"params": {"W_f": np.zeros((4, 2))}}, "params"),
    ],
)
def test_gate_reach_rejects_bad_input(kwargs, match):
    args = {"forget_bias": 1.0, "T": 10}
    with pytest.raises(ValueError, match=match):
        gate_reach(**{**args, **kwargs})


# ---- the dashboard -----------------------------------------------------------------------------------


def test_axis_width_is_the_smallest_step_that_holds_T():
    assert [axis_width(T) for T in (1, 5, 20, 21, 50, 55, 100, 101, MAX_T)] == [20, 20, 20, 50, 50, 100, 100,
                                                                                  MAX_T, MAX_T]
    assert AXIS_WIDTHS[-1] == MAX_T
    with pytest.raises(ValueError, match="T"):
        axis_width(MAX_T + 1)


def test_the_figure_is_drawn_in_the_browser_from_the_marks():
    dash = lstm_gates_dashboard()
    assert isinstance(dash.fig, widgets.Box) and "bplib-figure" in dash.fig._dom_classes
    figures = figures_of(dash)
    assert len(figures) == 4
    shown = {mark for f in figures for mark in f.marks}
    assert set(dash.marks.values()) == shown  # every mark is updated by the view, none is left behind
    assert isinstance(dash.scales["gradient"], bq.LogScale)


def assert_view_matches(dash: LSTMGatesDashboard, bias: float, T: int) -> None:
    state = gate_reach(bias, T)
    marks = dash.marks
    for mark, rows in ((marks["curves"], ("cell", "rnn")), (marks["cell_path"], ("cell_path",))):
        np.testing.assert_array_equal(mark.x, np.arange(T))
        expected = np.stack([np.maximum(state[name], PLOT_FLOOR) for name in rows])
        np.testing.assert_allclose(np.atleast_2d(mark.y), expected, rtol=1e-12)
    for name, colours, (low, high) in (("f", _VIRIDIS, (0.0, 1.0)),
                                       ("c", _BLUE_WHITE_RED, (-CELL_COLOUR_LIMIT, CELL_COLOUR_LIMIT))):
        # units as rows (unit 0 on top), steps as columns: the axis after step T-1 stays blank
        picture = matplotlib.image.imread(io.BytesIO(marks[f"{name}_image"].image.value), format="png")[..., :3]
        assert picture.shape == (state[name].shape[1], T, 3)
        np.testing.assert_allclose(picture, colour_map(state[name].T, colours, low, high), atol=1 / 255 + 1e-9)
        np.testing.assert_array_equal(marks[f"{name}_image"].x, [-0.5, T - 0.5])
        np.testing.assert_array_equal(marks[f"{name}_image"].y, [-0.5, state[name].shape[1] - 0.5])
    np.testing.assert_array_equal(marks["means"].x, np.arange(T))
    for row, name in enumerate(("f", "i", "o")):
        np.testing.assert_allclose(marks["means"].y[row], state[name].mean(axis=1), rtol=1e-12)
    assert list(marks["sigmoid_bias"].y) == [pytest.approx(state["sigmoid_bias"])] * 2
    width = axis_width(T)
    assert width >= T
    assert (dash.scales["step"].min, dash.scales["step"].max) == (-0.5, width - 0.5)
    assert (dash.scales["distance"].min, dash.scales["distance"].max) == (0, width - 1)
    low, high = dash.scales["gradient"].min, dash.scales["gradient"].max
    shown = np.concatenate([state["cell"], state["cell_path"], state["rnn"]])
    assert low <= shown[shown > 0].min() and high >= shown.max()
    assert round(np.log10(low)) % 5 == 0 and low <= 1e-5 and high >= 10.0  # coarse steps: few jumps
    readout = text(dash.readout.value)
    for key in ("cell_ratio", "cell_path_ratio", "rnn_ratio"):
        assert f"{state[key]:.1e}" in readout
    assert f"{state['mean_f']:.3f}" in readout and f"{bias:.2f}" in readout
    assert f"distance {T - 1}" in readout


def test_dashboard_starts_with_the_defaults():
    dash = lstm_gates_dashboard()
    assert dash.values() == {"forget_bias": 1.0, "T": 60}
    assert isinstance(dash.controls["forget_bias"], widgets.FloatSlider)
    assert isinstance(dash.controls["T"], widgets.IntSlider)
    assert (dash.controls["T"].min, dash.controls["T"].max) == (MIN_T, MAX_T)
    assert (dash.controls["forget_bias"].min, dash.controls["forget_bias"].max) == BIAS_RANGE
    assert_view_matches(dash, 1.0, 60)
    assert colour_limits(dash, "c_image") == (-CELL_COLOUR_LIMIT, CELL_COLOUR_LIMIT)
    assert colour_limits(dash, "f_image") == (0.0, 1.0)


def colour_limits(dash, name):
    (scale,) = [axis.scale for f in figures_of(dash) if dash.marks[name] in f.marks for axis in f.axes
                if isinstance(axis, bq.ColorAxis)]
    return float(scale.min), float(scale.max)


@pytest.mark.parametrize(("bias", "T"), [(3.0, 120), (-2.0, 5), (6.0, 200), (0.25, 35)])
def test_the_sliders_update_the_same_marks(bias, T):
    dash = lstm_gates_dashboard()
    marks, figures = dict(dash.marks), [list(f.marks) for f in figures_of(dash)]
    dash.controls["forget_bias"].value = bias
    dash.controls["T"].value = T
    assert_view_matches(dash, bias, T)
    assert all(dash.marks[name] is mark for name, mark in marks.items())
    assert [list(f.marks) for f in figures_of(dash)] == figures


def test_raising_the_forget_bias_raises_the_readout_ratio_and_mean_f():
    dash = lstm_gates_dashboard(T=100)
    dash.set(forget_bias=0.0)
    low = dict(dash.state)
    dash.set(forget_bias=5.0)
    high = dash.state
    assert high["cell_path_ratio"] > 1e6 * low["cell_path_ratio"]
    assert high["mean_f"] > 0.95 > 0.6 > low["mean_f"]
    assert f"{high['cell_path_ratio']:.1e}" in text(dash.readout.value)


def test_set_moves_both_sliders_with_one_update():
    dash = lstm_gates_dashboard()
    count = dash.updates
    dash.set(forget_bias=4.0, T=150)
    assert dash.updates == count + 1 and dash.values() == {"forget_bias": 4.0, "T": 150}
    assert_view_matches(dash, 4.0, 150)


@pytest.mark.parametrize(
    ("values", "match"),
    [({"forget_bias": 7.0}, "forget_bias"), ({"T": 500}, "T"), ({"T": 7.5}, "T"), ({"bias": 1.0}, "control names")],
)
def test_set_rejects_values_out_of_range(values, match):
    dash = lstm_gates_dashboard()
    before = dash.values()
    with pytest.raises(ValueError, match=match):
        dash.set(**values)
    assert dash.values() == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"forget_bias": 9.0}, "forget_bias"), ({"T": 7}, "T"), ({"T": 0}, "T"), ({"seed": -2}, "seed")],
)
def test_dashboard_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lstm_gates_dashboard(**kwargs)


def test_another_seed_probes_another_network():
    a, b = lstm_gates_dashboard(seed=0), lstm_gates_dashboard(seed=1)
    assert not np.allclose(a.state["f"], b.state["f"])
    np.testing.assert_allclose(b.state["cell"], gate_reach(1.0, 60, seed=1)["cell"], rtol=1e-13)
