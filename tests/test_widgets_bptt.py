"""Headless tests of the BPTT dashboard (chapter 07): bplib.widgets.bptt.

bptt_view is compared with the probes of bplib.experiments.memory (tested in test_memory_probes.py)
and with bplib.rnn: its truncated gradient is rnn_backward's. The dashboard is driven through its
controls, and the marks' data, the axes' limits and the readout must follow, updated in place;
a control sends only the marks it moves.
"""

from __future__ import annotations

import io
import re
import warnings

import bqplot as bq
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from bplib.experiments.memory import dwh_by_distance, gradient_through_time, probe_weights
from bplib.rnn import rnn_backward, rnn_forward
from bplib.widgets._base import _widget_tree
from bplib.widgets.bptt import (
    ACTIVATIONS,
    AXIS_SLACK_DECADES,
    MAX_DECADE_TICKS,
    MAX_T,
    SCALE_RANGE,
    BPTTDashboard,
    _log_limits,
    _note,
    _readout_html,
    bptt_dashboard,
    bptt_view,
    draw_unrolled_rnn,
)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def render(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def rnn_on(u, Wh, h0=None):
    """bplib's RNN with Wx = I, b = 0 and inputs u: (T, H), one sequence: the probe network."""
    T, H = u.shape
    return rnn_forward(u[None], np.zeros((1, H)) if h0 is None else h0, np.eye(H), Wh, np.zeros(H))


# ---- bptt_view -------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("scale", "k"), [(0.5, 1), (1.0, 5), (2.0, 12)])
def test_bptt_view_is_the_maths(scale, k, activation):
    T, H, seed = 16, 8, 2
    view = bptt_view(scale, k, T=T, H=H, activation=activation, seed=seed)
    Wh, u = probe_weights(scale, T, H, seed)
    np.testing.assert_array_equal(view["g"], gradient_through_time(scale, T, H, np.random.default_rng(seed),
                                                                   activation=activation))
    rho = np.max(np.abs(np.linalg.eigvals(Wh)))
    assert view["rho"] == pytest.approx(rho, rel=1e-12)
    assert view["sigma_max"] == pytest.approx(np.linalg.svd(Wh, compute_uv=False)[0], rel=1e-12)
    np.testing.assert_allclose(view["rho_powers"], rho ** np.arange(T), rtol=1e-12)
    assert view["ratio_last"] == view["g"][-1]
    dh = np.random.default_rng(seed + 1).standard_normal((T, H))
    C, _ = dwh_by_distance(u, Wh, dh, activation)
    np.testing.assert_allclose(view["contribution_norms"], [np.linalg.norm(c) for c in C], rtol=1e-12)
    np.testing.assert_allclose(view["dWh_full"], C.sum(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(view["dWh_truncated"], C[:k].sum(axis=0), rtol=1e-12, atol=1e-12)
    full, trunc = C.sum(axis=0), C[:k].sum(axis=0)
    assert view["full_norm"] == pytest.approx(np.linalg.norm(full), rel=1e-12)
    assert view["truncated_norm"] == pytest.approx(np.linalg.norm(trunc), rel=1e-12)
    assert view["relative_dropped"] == pytest.approx(np.linalg.norm(full - trunc) / np.linalg.norm(full),
                                                     rel=1e-9, abs=1e-15)
    cosine = np.sum(full * trunc) / (np.linalg.norm(full) * np.linalg.norm(trunc))
    assert view["cosine"] == pytest.approx(cosine, rel=1e-9)
    assert view["finite"] and (view["k"], view["T"], view["H"]) == (k, T, H)
    np.testing.assert_array_equal(view["distances"], np.arange(T))


def test_tanh_truncation_matches_rnn_backward():
    T, H, k = 14, 6, 4
    view = bptt_view(1.5, k, T=T, H=H, seed=9)
    Wh, u = probe_weights(1.5, T, H, 9)
    _, cache = rnn_on(u, Wh)
    dh = np.random.default_rng(10).standard_normal((T, H))[None]
    np.testing.assert_allclose(view["dWh_full"], rnn_backward(dh, cache)[3], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(view["dWh_truncated"], rnn_backward(dh, cache, truncate=k)[3], rtol=1e-10,
                               atol=1e-12)


def test_full_bptt_drops_nothing_and_small_weights_drop_little():
    view = bptt_view(1.0, 20, T=20, H=8)
    assert view["dropped_norm"] == 0.0 and view["relative_dropped"] == 0.0
    assert view["cosine"] == pytest.approx(1.0, abs=1e-12)
    small, large = bptt_view(0.3, 3, T=20, H=8), bptt_view(2.0, 3, T=20, H=8)
    assert small["relative_dropped"] < 0.05 < large["relative_dropped"]  # far pairs matter only for large Wh


def test_zero_weights_carry_nothing():
    view = bptt_view(0.0, 3, T=10, H=5)
    assert view["rho"] == 0.0 and view["sigma_max"] == 0.0 and view["ratio_last"] == 0.0
    assert np.all(view["contribution_norms"][1:] == 0.0) and view["contribution_norms"][0] > 0
    assert view["relative_dropped"] == 0.0 and view["finite"]


def test_vanishing_and_exploding_regimes():
    tanh_small = bptt_view(0.5, 5)
    linear_large = bptt_view(2.0, 5, activation="linear")
    assert tanh_small["ratio_last"] < 1e-6 < 1e6 < linear_large["ratio_last"]
    # the linear RNN's gradient grows like rho**d: the rate over the last 20 steps is close to rho
    g = linear_large["g"]
    rate = (g[-1] / g[-21]) ** (1 / 20)
    assert rate == pytest.approx(linear_large["rho"], rel=0.1)


def test_overflow_is_reported_not_raised():
    view = bptt_view(30.0, 10, T=MAX_T, H=8, activation="linear")  # about 30**200: beyond float64
    assert not view["finite"]
    assert not np.all(np.isfinite(view["g"]))
    assert "overflowed" in text(_readout_html(view)) and "exploding" in text(_readout_html(view))
    assert "beyond float64" in _note(view["g"])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"scale": -0.1}, "scale"),
    ({"scale": float("nan")}, "scale"),
    ({"scale": True}, "scale"),
    ({"k": 0}, "k"),
    ({"k": 41}, "k"),
    ({"k": 2.0}, "k"),
    ({"T": 1}, "T"),
    ({"T": MAX_T + 1}, "T"),
    ({"H": 0}, "H"),
    ({"activation": "sigmoid"}, "activation"),
    ({"seed": -1}, "seed"),
])
def test_bptt_view_rejects_bad_input(kwargs, match):
    args = {"scale": 1.0, "k": 5, "T": 40, "H": 8, "activation": "tanh", "seed": 0}
    with pytest.raises(ValueError, match=match):
        bptt_view(**{**args, **kwargs})


# ---- the unrolled drawing --------------------------------------------------------------------------


def test_draw_unrolled_rnn():
    drawing = draw_unrolled_rnn(T=4)
    assert [t.get_text() for t in drawing["inputs"]] == [f"$x_{{{t}}}$" for t in range(4)]
    assert [t.get_text() for t in drawing["losses"]] == [f"$L_{{{t}}}$" for t in range(4)]
    assert len(drawing["states"]) == 5 and "h0" in drawing["states"][0].get_text()
    assert len(drawing["recurrent"]) == 4 and drawing["window"] is None
    assert {a.get_linestyle() for a in drawing["recurrent"]} == {"-"}
    labels = [t.get_text() for t in drawing["ax"].texts]
    assert labels.count("$W_h$") == 4 and labels.count("$W_x$") == 4  # the same matrices at every step
    render(drawing["ax"].figure)


def test_draw_unrolled_rnn_with_truncation():
    fig, ax = plt.subplots()
    drawing = draw_unrolled_rnn(ax, T=6, truncate=3)
    assert drawing["ax"] is ax and drawing["window"] is not None
    styles = [a.get_linestyle() for a in drawing["recurrent"]]
    assert styles.count("--") == 1 and styles.index("--") == 3  # the arrow h_2 -> h_3 is cut for L_5
    window = drawing["window"].get_bbox()
    state_x = [t.get_position()[0] for t in drawing["states"]]  # h_{-1}, h_0, ..., h_5
    inside = [window.x0 < x < window.x1 for x in state_x]
    assert inside == [False, False, False, False, True, True, True]  # h_3, h_4, h_5
    render(fig)


@pytest.mark.parametrize(("kwargs", "match"), [({"T": 0}, "T"), ({"T": 9}, "T"), ({"T": 4, "truncate": 5},
                                                                                     "truncate")])
def test_draw_unrolled_rnn_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        draw_unrolled_rnn(**kwargs)


# ---- the dashboard ---------------------------------------------------------------------------------


def figures_of(dash) -> list[bq.Figure]:
    return [w for w in _widget_tree(dash.fig) if isinstance(w, bq.Figure)]


def points(values: np.ndarray, keep=None) -> tuple[np.ndarray, np.ndarray]:
    """The points of a curve a log axis can show: (d, values[d]) for positive finite values[d] with keep[d]."""
    d = np.arange(len(values))
    with np.errstate(invalid="ignore"):
        shown = np.isfinite(values) & (values > 0) & (np.ones(len(values), bool) if keep is None else keep)
    return d[shown], values[shown]


def assert_curve(mark: bq.Lines, x: np.ndarray, y: np.ndarray) -> None:
    np.testing.assert_array_equal(mark.x, x)
    np.testing.assert_array_equal(mark.y, y)
    assert mark.x.dtype == mark.y.dtype == np.float64


def three_digits(value: float) -> str:
    """As the readout writes numbers: 3 significant digits, scientific outside [1e-3, 1e4); 0 as 0."""
    if value == 0:
        return "0"
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"


def limits(scale) -> tuple[float, float]:
    return scale.min, scale.max


def assert_on_the_plot(scale, axis: bq.Axis, *curves: np.ndarray) -> None:
    """The log axis holds every drawable value, in whole decades, its ticks decades inside it."""
    low, high = limits(scale)
    shown = np.concatenate([points(c)[1] for c in curves])
    assert low <= shown.min() and shown.max() <= high
    assert np.log10(low) == round(np.log10(low)) and np.log10(high) == round(np.log10(high))
    ticks = np.log10(axis.tick_values)
    assert 2 <= len(ticks) <= MAX_DECADE_TICKS and np.all(ticks == np.round(ticks))
    assert low <= axis.tick_values.min() and axis.tick_values.max() <= high


def assert_view_matches(dash: BPTTDashboard, scale: float, k: int, activation: str, **probe) -> dict:
    """Every mark, both log axes and the readout show bptt_view(scale, k, activation, **probe)."""
    view = bptt_view(scale, k, activation=activation, **probe)
    marks, T = dash.marks, view["T"]
    d = np.arange(T)
    assert_curve(marks["g"], *points(view["g"]))
    assert_curve(marks["rho"], *points(view["rho_powers"]))
    norms = view["contribution_norms"]
    assert_curve(marks["kept"], *points(norms, d < k))
    assert_curve(marks["dropped"], *points(norms, (d >= k - 1) & (k < T)))  # from the last kept point on
    for name in ("shade_g", "shade_c"):
        np.testing.assert_array_equal(marks[name].x, [k - 0.5, T - 0.5, T - 0.5, k - 0.5])
        np.testing.assert_array_equal(marks[name].y, [0.0, 0.0, 1.0, 1.0])  # bottom to top of the panel
    for name in ("k_g", "k_c"):
        np.testing.assert_array_equal(marks[name].x, [k - 0.5, k - 0.5])
    assert list(marks["note"].text) == (_note(view["g"]).split("\n") + ["", ""])[:2]
    assert_on_the_plot(dash.scales["gradient"], dash._y_axes["gradient"], view["g"], view["rho_powers"])
    assert_on_the_plot(dash.scales["share"], dash._y_axes["share"], norms)
    title = dash.panels["share"].title
    if k < T:
        assert title == (f"TBPTT(k = {k}): ‖full − truncated‖ / ‖full‖ = {three_digits(view['relative_dropped'])}, "
                         f"cosine {three_digits(view['cosine'])}")
    else:
        assert title == "k = T: full BPTT, nothing dropped"
    assert dash.readout.value == _readout_html(view)
    assert dash.view["truncated_norm"] == view["truncated_norm"]
    return view


def test_the_figure_is_drawn_in_the_browser_from_the_marks():
    dash = bptt_dashboard()
    assert isinstance(dash.fig, widgets.Box) and "bplib-figure" in dash.fig._dom_classes
    figures = figures_of(dash)
    assert len(figures) == 2 and set(figures) == {dash.panels["gradient"], dash.panels["share"]}
    shown = {mark for f in figures for mark in f.marks}
    assert set(dash.marks.values()) == shown  # every mark is updated by the view, none is left behind
    assert all(isinstance(dash.scales[name], bq.LogScale) for name in ("gradient", "share"))
    assert "T = 40, H = 32" in dash.panels["gradient"].title
    dash.close()
    assert all(w.comm is None for w in _widget_tree(dash.fig))


def test_dashboard_starts_with_the_default_view():
    dash = bptt_dashboard()
    assert dash.values() == {"scale": 1.0, "k": 5, "activation": "tanh"}
    view = assert_view_matches(dash, 1.0, 5, "tanh")
    html = text(dash.readout.value)
    assert f"{view['rho']:.3g}" in html and f"{view['ratio_last']:.2e}" in html and "vanishing" in html
    assert f"{view['relative_dropped']:.3g}" in html and f"{view['cosine']:.3g}" in html


class Sent:
    """The names of the traits of `widget` set since it was watched (a stand-in for the messages sent)."""

    def __init__(self, *widgets_):
        self.names: list[str] = []
        for w in widgets_:
            w.observe(lambda change: self.names.append(change["name"]), names=["x", "y", "text", "min", "max",
                                                                                  "tick_values", "title"])


def test_the_truncation_slider_only_resums():
    dash = bptt_dashboard()
    heavy, marks = dash._heavy, dict(dash.marks)
    left = Sent(dash.marks["g"], dash.marks["rho"], dash.marks["note"], dash.scales["gradient"],
                dash.scales["share"], dash._y_axes["gradient"], dash._y_axes["share"])
    for k in (1, 17, 39, 40):
        dash.controls["k"].value = k
        assert dash._heavy is heavy  # the probe is not recomputed when only k moves
        assert_view_matches(dash, 1.0, k, "tanh")
    assert left.names == []  # the gradient panel and the log axes are not sent again
    assert all(dash.marks[name] is mark for name, mark in marks.items())  # updated in place
    assert "full BPTT, nothing is dropped" in text(dash.readout.value)
    assert len(dash.marks["dropped"].x) == 0
    assert dash.marks["shade_g"].x[0] == dash.marks["shade_g"].x[1] == 39.5  # no width left


def test_the_scale_leaves_the_shading_alone():
    dash = bptt_dashboard()
    cut = Sent(*(dash.marks[name] for name in ("shade_g", "shade_c", "k_g", "k_c")))
    for scale in (1.05, 2.0, 0.3):
        dash.controls["scale"].value = scale
        assert_view_matches(dash, scale, 5, "tanh")
    assert cut.names == []


@pytest.mark.parametrize(("scale", "activation", "word"), [
    (0.5, "tanh", "vanishing"),
    (3.0, "tanh", "exploding"),
    (2.0, "linear", "exploding"),
    (1.0, "linear", "neither"),
])
def test_scale_and_activation_redraw_the_gradient(scale, activation, word):
    dash = bptt_dashboard()
    figures = [list(f.marks) for f in figures_of(dash)]
    dash.set(scale=scale, activation=activation)
    assert_view_matches(dash, scale, 5, activation)
    assert word in text(dash.readout.value)
    assert f"activation {activation}" in text(dash.readout.value)
    assert [list(f.marks) for f in figures_of(dash)] == figures


def test_zero_scale_shows_a_clear_state():
    dash = bptt_dashboard()
    dash.controls["scale"].value = 0.0
    assert "nothing is carried back" in text(dash.readout.value)
    np.testing.assert_array_equal(dash.marks["g"].x, [0.0])  # zeros are not drawn on a log axis ...
    assert list(dash.marks["note"].text) == ["the gradient is exactly 0 from d = 1 on",  # ... and the plot says so
                                             "(a log axis cannot show 0)"]
    assert_view_matches(dash, 0.0, 5, "tanh")
    dash.controls["scale"].value = 1.0
    assert list(dash.marks["note"].text) == ["", ""]


def test_the_most_extreme_setting_stays_on_the_plot():
    dash = bptt_dashboard(scale=SCALE_RANGE[1], activation="linear", T=MAX_T, H=8, k=10)
    assert dash.view["finite"] and "exploding" in text(dash.readout.value)
    view = assert_view_matches(dash, SCALE_RANGE[1], 10, "linear", T=MAX_T, H=8)
    assert len(dash.marks["g"].x) == MAX_T and view["g"].max() > 1e90


def test_overflow_is_left_out_of_the_curves():
    dash = bptt_dashboard(T=MAX_T, H=8)
    dash._render({"scale": 30.0, "k": 10, "activation": "linear"})  # beyond the slider: about 30**200
    g = bptt_view(30.0, 10, T=MAX_T, H=8, activation="linear")["g"]
    first_inf = np.flatnonzero(~np.isfinite(g))[0]
    np.testing.assert_array_equal(dash.marks["g"].x, np.arange(first_inf))
    assert dash.marks["note"].text[0] == f"beyond float64 from d = {first_inf} on: not drawn"


def test_set_moves_several_controls_with_one_update():
    dash = bptt_dashboard()
    count = dash.updates
    dash.set(scale=1.5, k=10, activation="linear")
    assert dash.updates == count + 1
    assert dash.values() == {"scale": 1.5, "k": 10, "activation": "linear"}
    assert_view_matches(dash, 1.5, 10, "linear")
    assert isinstance(dash.controls["k"], widgets.IntSlider)
    assert isinstance(dash.controls["activation"], widgets.ToggleButtons)


@pytest.mark.parametrize(("values", "match"), [
    ({"scale": SCALE_RANGE[1] + 1}, "scale"),
    ({"k": 0}, "k"),
    ({"k": 2.5}, "k"),
    ({"speed": 1}, "control names"),
])
def test_set_rejects_values_out_of_range(values, match):
    dash = bptt_dashboard()
    before = dash.values()
    with pytest.raises(ValueError, match=match):
        dash.set(**values)
    assert dash.values() == before


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"scale": 3.5}, "scale"),
    ({"k": 41}, "k"),
    ({"T": 1}, "T"),
    ({"activation": "relu"}, "activation"),
])
def test_dashboard_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bptt_dashboard(**kwargs)


def test_dashboard_on_a_smaller_probe():
    dash = bptt_dashboard(T=10, H=4, seed=3, k=2)
    distance = dash.marks["g"].scales["x"]
    assert dash.controls["k"].max == 10 and limits(distance) == (-0.5, 9.5)
    assert_view_matches(dash, 1.0, 2, "tanh", T=10, H=4, seed=3)
    assert "T = 10, H = 4" in dash.panels["gradient"].title


def decades(limits: tuple[float, float]) -> float:
    return float(np.log10(limits[1] / limits[0]))


def test_a_log_axis_moved_to_and_fro_stays_put_and_never_strays_far():
    dash = bptt_dashboard()
    sent = Sent(dash.scales["gradient"], dash.scales["share"], dash._y_axes["gradient"], dash._y_axes["share"])
    dash.controls["scale"].value = 1.05
    first = len(sent.names)
    assert first > 0  # the curves moved up a decade: the axis took them in
    for scale in (1.0, 1.05, 1.0, 1.05):
        dash.controls["scale"].value = scale
        assert_view_matches(dash, scale, 5, "tanh")
    assert len(sent.names) == first  # to and fro within the limits already shown: nothing sent
    for scale in np.arange(1.1, 2.51, 0.05):  # a drag: the limits follow, never more than the slack too wide
        dash.controls["scale"].value = float(scale)
        view = assert_view_matches(dash, float(scale), 5, "tanh")
        for name, curves in (("gradient", (view["g"], view["rho_powers"])), ("share", (view["contribution_norms"],))):
            shown = limits(dash.scales[name])
            assert decades(shown) <= decades(_log_limits(*curves)) + AXIS_SLACK_DECADES
    assert limits(dash.scales["gradient"])[0] >= 1e-3  # it left the small values behind
