"""Headless tests of the chapter 05 playground (bplib.widgets.playground).

The pure functions are checked against the maths; the dashboard is driven through its controls,
buttons and methods, and every mark, scale and axis of its figure (bqplot, drawn in the browser) is
compared with what the compute functions give for the dashboard's own network; a stand-in comm on
every widget of the figure records what a change sends. Background training is tested on a real
asyncio loop (asyncio.run).
"""

from __future__ import annotations

import asyncio
import io
import warnings

import bqplot as bq
import ipywidgets as widgets
import matplotlib.image
import numpy as np
import pytest

from bplib.network import Network
from bplib.optim import SGD
from bplib.widgets import playground as pg
from bplib.widgets._base import _widget_tree
from bplib.widgets.playground import (
    CLASS_COLOURS,
    DATASETS,
    DIVERGENCE_FACTOR,
    IMAGE_RESOLUTION,
    WEIGHT_NAMES,
    WHITE_SHARE,
    Playground,
    decision_grid,
    decision_image,
    diverged,
    grid_bounds,
    playground,
    playground_data,
    playground_state,
)


def small_net(sizes=(2, 5, 3), seed=0):
    return Network(list(sizes), "tanh", "softmax_ce", rng=np.random.default_rng(seed))


def whole_data_norms(net, x, y):
    """Network.gradient_norms of the whole-data gradient, computed here independently of the dashboard."""
    _, grads = net.loss_and_grads(x, y)
    return net.gradient_norms(grads)


# ---- pure compute -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "n", "classes"), [("xor_blobs", 200, 2), ("moons", 200, 2), ("spirals", 300, 3),
                                                     ("blobs", 300, 3)])
def test_playground_data_sets(name, n, classes):
    x, y = playground_data(name)
    assert x.shape == (n, 2) and y.shape == (n,) and x.dtype == np.float64 and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(classes))
    x2, y2 = playground_data(name)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)  # deterministic
    assert not np.array_equal(playground_data(name, seed=1)[0], x)
    assert set(DATASETS) == {"xor_blobs", "moons", "spirals", "blobs"}


def test_playground_data_rejects_unknown_names():
    with pytest.raises(ValueError, match="dataset: expected one of"):
        playground_data("circles")


def test_grid_bounds_cover_the_data_with_a_margin():
    x = np.array([[0.0, -1.0], [2.0, 3.0], [1.0, 0.0]])
    assert grid_bounds(x, margin=0.25) == (-0.5, 2.5, -2.0, 4.0)
    assert grid_bounds(x, margin=0.0) == (0.0, 2.0, -1.0, 3.0)
    low0, high0, low1, high1 = grid_bounds(np.array([[1.0, 1.0]]))  # one point still gets an area
    assert low0 < 1.0 < high0 and low1 < 1.0 < high1
    for bad, match in [(np.ones((3, 3)), "shape"), (np.ones(2), "shape"), ([[np.nan, 1.0]], "finite")]:
        with pytest.raises(ValueError, match=match):
            grid_bounds(bad)
    with pytest.raises(ValueError, match="margin"):
        grid_bounds(x, margin=-1.0)


def test_decision_grid_is_predict_proba_at_the_pixel_centres():
    net = small_net()
    bounds = (-1.0, 3.0, 0.0, 2.0)
    probs = decision_grid(net, bounds, resolution=4)
    assert probs.shape == (4, 4, 3)
    np.testing.assert_allclose(probs.sum(axis=2), 1.0, rtol=1e-14)
    xs = -1.0 + 1.0 * (np.arange(4) + 0.5)  # pixel centres along x1: width 4 / 4
    ys = 0.0 + 0.5 * (np.arange(4) + 0.5)  # along x2: height 2 / 4
    for r in (0, 3):  # rows from the bottom (origin="lower")
        for c in (0, 2):
            expected = net.predict_proba(np.array([[xs[c], ys[r]]]))[0]
            np.testing.assert_allclose(probs[r, c], expected, rtol=1e-13)


@pytest.mark.parametrize(("args", "match"), [
    ((small_net((3, 4, 2)), (0.0, 1.0, 0.0, 1.0), 5), "2 inputs"),
    (("net", (0.0, 1.0, 0.0, 1.0), 5), "Network"),
    ((small_net(), (1.0, 0.0, 0.0, 1.0), 5), "min < max"),
    ((small_net(), (0.0, 1.0, 0.0), 5), "bounds"),
    ((small_net(), (0.0, 1.0, 0.0, 1.0), 1), "resolution"),
    ((small_net(), (0.0, 1.0, 0.0, 1.0), 2.5), "resolution"),
])
def test_decision_grid_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        decision_grid(*args)


def test_decision_image_blends_class_colours_with_white():
    probs = np.zeros((1, 3, 3))
    probs[0, 0] = [1.0, 0.0, 0.0]  # sure of class 0
    probs[0, 1] = [0.0, 0.0, 1.0]  # sure of class 2
    probs[0, 2] = [0.5, 0.5, 0.0]  # undecided between 0 and 1
    image = decision_image(probs)
    assert image.shape == (1, 3, 3)
    lighten = lambda rgb: WHITE_SHARE + (1 - WHITE_SHARE) * rgb  # noqa: E731
    np.testing.assert_allclose(image[0, 0], lighten(CLASS_COLOURS[0]), rtol=1e-15)
    np.testing.assert_allclose(image[0, 1], lighten(CLASS_COLOURS[2]), rtol=1e-15)
    np.testing.assert_allclose(image[0, 2], lighten(0.5 * (CLASS_COLOURS[0] + CLASS_COLOURS[1])), rtol=1e-15)
    assert np.all((0.0 <= image) & (image <= 1.0))
    with pytest.raises(ValueError, match="shape"):
        decision_image(np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match="shape"):
        decision_image(np.ones((2, 2)))


def test_playground_state_is_what_fit_records_after_an_epoch():
    x, y = playground_data("blobs")
    net = small_net()
    history = net.fit(x, y, SGD(0.1), 1, 32, np.random.default_rng(2))
    state = playground_state(net, x, y)
    assert state["loss"] == history.loss[-1]
    assert state["accuracy"] == history.accuracy[-1]
    assert state["grad_norms"] == history.grad_norms[-1]


def test_diverged():
    assert not diverged(5.0, 1.0)
    assert diverged(DIVERGENCE_FACTOR * 1.0 + 1e-9, 1.0)
    assert diverged(float("nan"), 1.0) and diverged(float("inf"), 1.0)
    assert not diverged(2.9, 1.0, factor=3.0) and diverged(3.1, 1.0, factor=3.0)


def test_axis_ticks_are_a_few_round_numbers():
    assert list(pg._log_ticks(0.56, 1.78)) == [0.6, 0.8, 1.0, 1.5]  # within a decade: more mantissas
    assert list(pg._log_ticks(0.0316, 1.778)) == [0.05, 0.1, 0.2, 0.5, 1.0]
    assert list(pg._log_ticks(5.6e-4, 1.78)) == [0.001, 0.01, 0.1, 1.0]  # many decades: the powers alone
    assert list(pg._log_ticks(1e-12, 10.0)) == [1e-12, 1e-9, 1e-6, 1e-3, 1.0]
    assert list(pg._linear_ticks(-1.18, 1.458)) == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert list(pg._linear_ticks(0.0, 0.03)) == [0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03]
    assert list(pg._linear_ticks(0.0, 3000.0)) == [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0]


# ---- the dashboard ----------------------------------------------------------------------------------


class RecordingComm:
    """A widget's comm without a kernel: records the names of the traits each message sends."""

    kernel = True  # ipywidgets sends only through a comm with a kernel

    def __init__(self, widget, sent: list):
        self.comm_id = widget.model_id
        self.widget, self.sent = widget, sent

    def send(self, data=None, metadata=None, buffers=None):
        binary = [path[0] for path in data.get("buffer_paths", [])]  # ipywidgets sends bytes apart from the state
        self.sent.append((self.widget, sorted({*data.get("state", {}), *binary})))

    def on_msg(self, callback):
        pass

    def close(self, *args, **kwargs):
        pass


def record_figure_messages(dash: Playground) -> list:
    """Give every widget of the figure a RecordingComm; returns the list of (widget, trait names) it fills."""
    sent: list = []
    for w in [*_widget_tree(dash.fig), *dash.pictures]:  # the picture not shown is outside the tree
        w.comm = RecordingComm(w, sent)
    return sent


def picture_of(dash: Playground) -> np.ndarray:
    """The picture the image mark shows: its PNG decoded to (R, R, 3) RGB in [0, 1], row 0 at the bottom."""
    rgba = matplotlib.image.imread(io.BytesIO(dash.marks["image"].image.value), format="png")
    return rgba[::-1, :, :3].astype(np.float64)


def assert_view_shows_the_network(dash: Playground):
    """Every mark, scale and axis shows what the compute functions give for the dashboard's own network."""
    marks, scales = dash.marks, dash.scales
    expected = decision_image(decision_grid(dash.net, dash.bounds, IMAGE_RESOLUTION))  # (R, R, 3)
    # 8 bits a colour (a value is cut to its level: at most 1/255 below it); the view's float32 forward pass
    np.testing.assert_allclose(picture_of(dash), expected, rtol=0, atol=1.01 / 255)
    x0_min, x0_max, x1_min, x1_max = dash.bounds
    assert list(marks["image"].x) == [x0_min, x0_max] and list(marks["image"].y) == [x1_min, x1_max]
    assert (scales["x1"].min, scales["x1"].max, scales["x2"].min, scales["x2"].max) == dash.bounds
    np.testing.assert_array_equal(marks["points"].x, dash.x[:, 0])
    np.testing.assert_array_equal(marks["points"].y, dash.x[:, 1])
    np.testing.assert_array_equal(marks["points"].color, dash.y)

    losses = [dash.initial["loss"], *dash.history.loss]
    np.testing.assert_array_equal(marks["loss"].y, losses)
    np.testing.assert_array_equal(marks["loss"].x, np.arange(len(losses)))
    assert scales["epoch"].min == 0 and scales["epoch"].max >= len(losses) - 1
    assert scales["loss"].min <= min(losses) and max(losses) <= scales["loss"].max
    for name, scale in scales.items():  # every moving axis has ticks inside its limits, a few of them
        ticks = dash.axes[name].tick_values
        assert 3 <= len(ticks) <= 8 and np.all((scale.min <= ticks) & (ticks <= scale.max)), (name, ticks)

    norms = whole_data_norms(dash.net, dash.x, dash.y)
    n_weights = len(dash.net.layer_sizes) - 1
    heights = list(marks["bars"].y)
    assert heights[:n_weights] == [norms[f"W{k}"] for k in range(1, n_weights + 1)]
    assert heights[n_weights:] == [0.0] * (len(heights) - n_weights)
    assert list(marks["bars"].x) == list(WEIGHT_NAMES)
    assert 0 < max(heights) <= scales["gradient"].max
    labels = dash.axes["weights"].tick_labels
    assert [labels[name] for name in WEIGHT_NAMES] == [*WEIGHT_NAMES[:n_weights], *[""] * (4 - n_weights)]
    assert dash.panels["data"].title == f"{dash.values()['dataset']}, epoch {dash.epoch}"


def test_stepping_updates_every_mark_in_place():
    dash = playground(dataset="moons", hidden=6)
    marks = dict(dash.marks)
    assert dash.epoch == 0 and dash.status == "ready"
    assert_view_shows_the_network(dash)
    dash.set(activation="relu", batch_size=4, lr=0.1)
    before, widget = picture_of(dash), dash.marks["image"].image
    dash.step(3)
    assert dash.epoch == 3 and dash.status == "stopped"
    assert dash.net.layer_sizes == [2, 6, 2] and dash.net.activation == "relu"
    assert dash.history.lr == [0.1, 0.1, 0.1]
    assert_view_shows_the_network(dash)
    assert not np.array_equal(picture_of(dash), before)
    # bqplot redraws the picture only when the mark gets another Image widget
    assert dash.marks["image"].image is not widget and dash.marks["image"].image in dash.pictures
    assert dash.marks == marks and all(dash.marks[name] is mark for name, mark in marks.items())
    html = dash.readout.value
    assert "<code>3</code>" in html  # the epoch
    assert f"{dash.history.loss[-1]:.4f}" in html and f"{dash.history.accuracy[-1]:.1%}" in html
    assert "2-6-2, relu" in html and "stopped" in html


def test_a_change_sends_only_what_changed():
    dash = playground(dataset="moons", hidden=6)
    sent = record_figure_messages(dash)
    dash.set(lr=0.05)
    dash.controls["batch_size"].value = 64
    assert sent == []  # they act when training: the figure stays as it is
    dash.step(1)
    changed = {(type(w).__name__, name) for w, names in sent for name in names}
    assert {("Image", "value"), ("Image", "image"), ("Lines", "x"), ("Lines", "y"), ("Bars", "y"),
            ("Figure", "title")} <= changed
    pictures = [w for w, names in sent if w in dash.pictures]
    assert len(pictures) == 1 and pictures[0] is dash.marks["image"].image  # the new picture, then the switch
    assert ("Scatter", "x") not in changed  # the same data set: the points stay
    lines = [names for w, names in sent if w is dash.marks["loss"]]
    assert lines == [["x", "y"]]  # both arrays in one message
    sent.clear()
    dash.controls["dataset"].value = "blobs"
    changed = {(type(w).__name__, name) for w, names in sent for name in names}
    assert {("Scatter", "x"), ("Scatter", "y"), ("Scatter", "color"), ("LinearScale", "min"),
            ("LinearScale", "max"), ("Image", "x"), ("Image", "y")} <= changed


def test_buttons_step_and_reset():
    dash = playground(dataset="xor_blobs", hidden=4)
    initial_W1 = dash.net.params["W1"].copy()
    dash.buttons["step"].click()
    assert dash.epoch == 1
    dash.buttons["step"].click()
    assert dash.epoch == 2 and not np.array_equal(dash.net.params["W1"], initial_W1)
    dash.buttons["reset"].click()
    assert dash.epoch == 0 and dash.status == "ready"
    np.testing.assert_array_equal(dash.net.params["W1"], initial_W1)  # the same seed: the same start
    assert_view_shows_the_network(dash)


def test_training_does_not_depend_on_how_the_epochs_are_chunked():
    one_go = playground(dataset="blobs", hidden=5)
    one_go.step(6)
    by_steps = playground(dataset="blobs", hidden=5)
    for _ in range(3):
        by_steps.step(1)
    by_steps.run(3)
    assert by_steps.history.loss == one_go.history.loss
    for name, value in one_go.net.params.items():
        np.testing.assert_array_equal(by_steps.net.params[name], value)


def test_architecture_and_data_changes_reset_the_network():
    dash = playground(dataset="spirals", hidden=4)
    dash.step(2)
    marks = dict(dash.marks)
    dash.set(layers=3)
    assert dash.epoch == 0 and dash.net.layer_sizes == [2, 4, 4, 4, 3]
    assert_view_shows_the_network(dash)  # the bars' labels W1 .. W4
    dash.step(1)
    spiral_bounds = dash.bounds
    dash.controls["dataset"].value = "moons"
    assert dash.epoch == 0 and dash.net.layer_sizes == [2, 4, 4, 4, 2]
    assert dash.bounds != spiral_bounds
    assert all(dash.marks[name] is mark for name, mark in marks.items())  # the same marks, new data
    assert_view_shows_the_network(dash)  # the points, the picture's extent and the data axes follow
    dash.set(layers=1)
    assert_view_shows_the_network(dash)  # labels W1, W2 and two blank slots
    assert "moons: 200 points, 2 classes" in dash.readout.value


def test_the_axes_follow_the_data_sets_and_the_training():
    dash = playground(dataset="spirals", hidden=8)
    for name in ("moons", "blobs", "xor_blobs", "spirals"):
        dash.controls["dataset"].value = name
        assert (dash.scales["x1"].min, dash.scales["x1"].max, dash.scales["x2"].min,
                dash.scales["x2"].max) == grid_bounds(playground_data(name)[0])
    limits = set()
    for _ in range(4):
        dash.step(20)  # the loss falls: the loss axis reaches lower, the epoch axis further
        assert_view_shows_the_network(dash)
        limits.add((dash.scales["epoch"].max, dash.scales["loss"].min))
    assert len(limits) > 1
    assert dash.scales["epoch"].max == pg.nice_ceiling(1.1 * 81)


def test_learning_rate_and_batch_size_change_without_a_reset():
    dash = playground(dataset="xor_blobs", hidden=3)
    dash.step(2)
    W1 = dash.net.params["W1"].copy()
    dash.set(lr=0.05, batch_size=64)
    assert dash.epoch == 2
    np.testing.assert_array_equal(dash.net.params["W1"], W1)
    dash.step(1)
    assert dash.history.lr == [0.3, 0.3, 0.05]
    assert "0.05, 64" in dash.readout.value


def test_a_huge_learning_rate_shows_diverged_and_stops_cleanly():
    dash = playground(dataset="spirals", activation="tanh", hidden=16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (overflow) or any other warning
        dash.set(lr=10.0)
        dash.run(40)
        assert dash.status == "diverged" and dash.epoch < 40
        assert dash.history.loss[-1] > DIVERGENCE_FACTOR * dash.initial["loss"]
        html = dash.readout.value
        assert "diverged" in html and "lower the learning rate" in html
        picture = picture_of(dash)
        assert picture.std() > 0  # a picture, not a blank
        assert np.all(np.isfinite(dash.marks["loss"].y)) and len(dash.marks["loss"].y) >= 2
        assert np.all(np.isfinite(dash.marks["bars"].y))
        epochs = dash.epoch
        dash.step(5)
        dash.run(5)
        assert dash.epoch == epochs and dash.status == "diverged"  # nothing trains until Reset
    dash.set(lr=0.3)
    dash.reset()
    assert dash.status == "ready" and dash.epoch == 0


def test_a_network_whose_weights_overflow_keeps_the_last_picture():
    dash = playground(dataset="blobs", hidden=4)
    picture = dash.marks["image"].image.value
    dash.net.params["W1"][...] = np.nan  # as after an overflowing step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dash.step(1)
    assert dash.status == "diverged"
    assert dash.marks["image"].image.value == picture
    assert np.all(np.isfinite(dash.marks["loss"].y)) and np.all(np.isfinite(dash.marks["bars"].y))
    assert "diverged" in dash.readout.value


def test_start_without_an_event_loop_says_what_to_do_instead():
    dash = playground()
    with pytest.raises(RuntimeError, match=r"no.*event loop|event loop.*none") as caught:
        dash.start()
    assert "run(epochs)" in str(caught.value)
    assert not dash.running and dash.epoch == 0
    dash.buttons["start"].value = True  # the Start button in plain Python: a message, no exception
    assert dash.buttons["start"].value is False and dash.buttons["start"].description == "Start"
    assert "event loop" in dash.readout.value and not dash.running


async def _wait_until(condition, timeout=20.0):
    waited = 0.0
    while not condition():
        await asyncio.sleep(0.01)
        waited += 0.01
        assert waited < timeout, "timed out"


def test_start_and_stop_on_an_asyncio_loop():
    dash = playground(dataset="xor_blobs", hidden=4)

    async def scenario():
        task = dash.start()
        assert dash.running and dash.status == "running" and isinstance(task, asyncio.Task)
        assert dash.start() is task  # a second start while running changes nothing
        toggle = dash.buttons["start"]
        assert toggle.value is True and toggle.description == "Stop"
        await _wait_until(lambda: dash.epoch >= 3)
        assert "running" in dash.readout.value
        dash.stop()
        await task
        return task

    task = asyncio.run(scenario())
    assert task.done() and not dash.running and dash.status == "stopped"
    assert dash.buttons["start"].value is False and dash.buttons["start"].description == "Start"
    assert dash.epoch >= 3
    assert_view_shows_the_network(dash)
    assert f"<code>{dash.epoch}</code>" in dash.readout.value and "stopped" in dash.readout.value


def test_the_start_button_starts_and_stops_training():
    dash = playground(dataset="moons", hidden=3)

    async def scenario():
        dash.buttons["start"].value = True  # a click
        assert dash.running
        await _wait_until(lambda: dash.epoch >= 2)
        dash.buttons["start"].value = False
        task = dash.task
        await task
        epochs = dash.epoch
        await asyncio.sleep(0.1)
        assert dash.epoch == epochs  # stopped means stopped

    asyncio.run(scenario())
    assert dash.status == "stopped" and not dash.running


def test_stop_then_start_again_leaves_one_task_training():
    dash = playground(dataset="blobs", hidden=3)

    async def scenario():
        first = dash.start()
        await _wait_until(lambda: dash.epoch >= 1)
        dash.stop()
        second = dash.start()  # before the first task has noticed the stop
        assert second is not first
        await first
        assert dash.running and not second.done()  # the old task ended without stopping the new one
        dash.stop()
        await second

    asyncio.run(scenario())
    assert not dash.running and dash.status == "stopped"


def test_background_training_ends_by_itself_when_it_diverges():
    dash = playground(dataset="moons", activation="tanh", hidden=16, lr=10.0)

    async def scenario():
        task = dash.start()
        await asyncio.wait_for(task, timeout=20.0)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asyncio.run(scenario())
    assert dash.status == "diverged" and not dash.running
    assert dash.buttons["start"].value is False

    async def start_again():
        return dash.start()

    assert asyncio.run(start_again()) is None  # nothing to train until Reset
    assert not dash.running


def test_background_training_stops_at_the_epoch_limit(monkeypatch):
    monkeypatch.setattr(pg, "MAX_EPOCHS", 4)
    dash = playground(dataset="xor_blobs", hidden=2)

    async def scenario():
        await asyncio.wait_for(dash.start(), timeout=20.0)

    asyncio.run(scenario())
    assert dash.epoch == 4 and dash.status == "stopped" and not dash.running


def test_closing_cancels_background_training():
    dash = playground(dataset="xor_blobs", hidden=2)

    async def scenario():
        task = dash.start()
        await asyncio.sleep(0)
        dash.close()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert not dash.running


# ---- controls, validation and display ---------------------------------------------------------------------


def test_controls_and_container():
    dash = playground()
    assert list(dash.controls) == ["lr", "hidden", "layers", "activation", "batch_size", "dataset"]
    assert isinstance(dash.controls["lr"], widgets.FloatLogSlider)
    assert isinstance(dash.controls["hidden"], widgets.IntSlider)
    assert isinstance(dash.controls["activation"], widgets.Dropdown)
    assert dash.controls["activation"].options == ("tanh", "relu", "sigmoid")
    assert dash.controls["dataset"].options == DATASETS
    controls, buttons, readout, figure = dash.widget.children
    assert list(controls.children) == list(dash.controls.values())
    assert list(buttons.children) == [dash.buttons["start"], dash.buttons["step"], dash.buttons["reset"]]
    assert readout is dash.readout and figure is dash.fig
    panels = [w for w in _widget_tree(figure) if isinstance(w, bq.Figure)]
    assert sorted(panels, key=id) == sorted(dash.panels.values(), key=id)
    assert isinstance(dash.buttons["start"], widgets.ToggleButton)
    assert repr(dash) == "<Playground: spirals, network [2, 16, 3], epoch 0, ready>"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"dataset": "circles"}, "dataset"),
    ({"activation": "softplus"}, "activation"),
    ({"hidden": 0}, "hidden"),
    ({"hidden": 2.5}, "hidden"),
    ({"layers": 4}, "layers"),
    ({"lr": 20.0}, "lr"),
    ({"lr": 0.0}, "lr"),
    ({"batch_size": 7}, "batch_size"),
    ({"seed": -1}, "seed"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        playground(**kwargs)


def test_set_checks_values():
    dash = playground()
    with pytest.raises(ValueError, match="lr"):
        dash.set(lr=50.0)
    with pytest.raises(ValueError, match="hidden"):
        dash.set(hidden=100)
    with pytest.raises(ValueError, match="control names"):
        dash.set(depth=2)
    with pytest.raises(ValueError, match="epochs"):
        dash.step(0)
    count = dash.updates
    dash.set(lr=1.0, hidden=3)
    assert dash.updates == count + 1 and dash.values()["lr"] == 1.0 and dash.net.layer_sizes == [2, 3, 3]


# ---- in a real kernel ------------------------------------------------------------------------------------


def _execute(client, code: str, timeout: float = 60.0) -> str:
    """Run `code` in the kernel behind `client`; return its stdout, or fail with the kernel's error."""
    msg_id = client.execute(code)
    out = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            pytest.fail(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


@pytest.mark.notebooks
def test_background_training_in_a_kernel_leaves_it_responsive():
    # ipykernel runs cells and widget messages on its asyncio loop: while the playground trains
    # there, other cells run and a click on Stop (a comm message, as the browser sends it) gets through.
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=120)
    try:
        _execute(client, "%matplotlib widget\nfrom bplib.widgets.playground import playground\n"
                         "dash = playground(dataset='xor_blobs', hidden=4)")
        toggle_id = _execute(client, "print(dash.buttons['start'].model_id, end='')")
        assert _execute(client, "task = dash.start()\nprint(dash.status)") == "running\n"
        assert _execute(client, "import asyncio\nawait asyncio.sleep(0.5)\nprint(dash.running, dash.epoch > 0)") \
            == "True True\n"
        click = {"comm_id": toggle_id, "data": {"method": "update", "state": {"value": False}, "buffer_paths": []}}
        client.shell_channel.send(client.session.msg("comm_msg", click))
        assert _execute(client, "await task\nprint(dash.running, dash.status, dash.buttons['start'].value)") \
            == "False stopped False\n"
        epochs = _execute(client, "print(dash.epoch)")
        assert _execute(client, "await asyncio.sleep(0.2)\nprint(dash.epoch)") == epochs
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
