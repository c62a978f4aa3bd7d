"""Headless tests of the chapter 05 playground (bplib.widgets.playground).

The pure functions are checked against the maths; the dashboard is driven through its controls,
buttons and methods, and every artist is compared with what the compute functions give for the
dashboard's own network. Background training is tested on a real asyncio loop (asyncio.run).
"""

from __future__ import annotations

import asyncio
import io
import warnings

import ipywidgets as widgets
import numpy as np
import pytest
from pixels import assert_frame_is_current, drawing_canvas

from bplib.network import Network
from bplib.optim import SGD
from bplib.widgets import playground as pg
from bplib.widgets.playground import (
    CLASS_COLOURS,
    DATASETS,
    DIVERGENCE_FACTOR,
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


def render(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


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


# ---- the dashboard ----------------------------------------------------------------------------------


def assert_view_shows_the_network(dash: Playground):
    """Every artist shows what the compute functions give for the dashboard's own network."""
    art = dash.artists
    expected_image = decision_image(decision_grid(dash.net, dash.bounds))
    np.testing.assert_array_equal(art["image"].get_array(), expected_image)
    assert tuple(art["image"].get_extent()) == dash.bounds
    losses = [dash.initial["loss"], *dash.history.loss]
    np.testing.assert_array_equal(art["loss"].get_ydata(), losses)
    np.testing.assert_array_equal(art["loss"].get_xdata(), np.arange(len(losses)))
    norms = whole_data_norms(dash.net, dash.x, dash.y)
    n_weights = len(dash.net.layer_sizes) - 1
    heights = [bar.get_height() for bar in art["bars"]]
    assert heights[:n_weights] == [norms[f"W{k}"] for k in range(1, n_weights + 1)]
    assert heights[n_weights:] == [0.0] * (len(heights) - n_weights)
    np.testing.assert_array_equal(art["points"].get_offsets(), dash.x)


def test_stepping_updates_every_artist_in_place():
    dash = playground(dataset="moons", hidden=6)
    art = dict(dash.artists)
    bars = list(art["bars"])
    assert dash.epoch == 0 and dash.status == "ready"
    assert_view_shows_the_network(dash)
    before = dash.artists["image"].get_array().copy()
    dash.set(activation="relu", batch_size=4, lr=0.1)
    dash.step(3)
    assert dash.epoch == 3 and dash.status == "stopped"
    assert dash.net.layer_sizes == [2, 6, 2] and dash.net.activation == "relu"
    assert dash.history.lr == [0.1, 0.1, 0.1]
    assert_view_shows_the_network(dash)
    assert not np.array_equal(dash.artists["image"].get_array(), before)
    assert all(dash.artists[name] is art[name] for name in ("image", "points", "loss"))
    assert all(a is b for a, b in zip(dash.artists["bars"], bars, strict=True))
    assert list(dash.ax_data.images) == [art["image"]] and list(dash.ax_loss.lines) == [art["loss"]]
    html = dash.readout.value
    assert "<code>3</code>" in html  # the epoch
    assert f"{dash.history.loss[-1]:.4f}" in html and f"{dash.history.accuracy[-1]:.1%}" in html
    assert "2-6-2, relu" in html and "stopped" in html
    render(dash.fig)


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
    old_points, image = dash.artists["points"], dash.artists["image"]
    dash.set(layers=3)
    assert dash.epoch == 0 and dash.net.layer_sizes == [2, 4, 4, 4, 3]
    assert [t.get_text() for t in dash.ax_grads.get_xticklabels()] == ["W1", "W2", "W3", "W4"]
    assert_view_shows_the_network(dash)
    dash.step(1)
    dash.controls["dataset"].value = "moons"
    assert dash.epoch == 0 and dash.net.layer_sizes == [2, 4, 4, 4, 2]
    assert dash.artists["points"] is not old_points and old_points not in dash.ax_data.collections
    assert list(dash.ax_data.collections) == [dash.artists["points"]]  # one scatter per data set, the old one removed
    assert dash.artists["image"] is image
    assert dash.ax_data.get_xlim() == dash.bounds[:2] and dash.ax_data.get_ylim() == dash.bounds[2:]
    assert_view_shows_the_network(dash)
    dash.set(layers=1)
    assert [t.get_text() for t in dash.ax_grads.get_xticklabels()] == ["W1", "W2", "", ""]
    assert "moons: 200 points, 2 classes" in dash.readout.value


def test_data_sets_and_training_keep_the_cached_background_and_every_frame_current():
    dash = playground(dataset="spirals", hidden=8)
    fig = dash.fig
    drawing_canvas(fig)
    assert_frame_is_current(fig)
    renders = fig.layer_renders
    for name in ("moons", "blobs", "xor_blobs"):  # new data limits, new scatters
        dash.controls["dataset"].value = name
        assert_frame_is_current(fig)
    sprites = fig.overlay_renders
    dash.controls["dataset"].value = "moons"  # shown before: its scatter and its pixels come back
    assert_frame_is_current(fig)
    assert fig.overlay_renders == sprites
    for _ in range(3):
        dash.step(20)  # the loss and gradient axes follow the training
        assert_frame_is_current(fig)
    assert fig.layer_renders == renders
    for layers in (2, 3, 1, 2, 3, 1):  # other bar labels: one background per number of layers
        dash.controls["layers"].value = layers
        assert_frame_is_current(fig)
    assert fig.layer_renders == renders + 2  # layers 2 and 3, rendered once each


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
        image = dash.artists["image"].get_array()
        assert np.all(np.isfinite(image)) and image.std() > 0  # a picture, not a blank
        assert np.all(np.isfinite(dash.artists["loss"].get_ydata()))
        epochs = dash.epoch
        dash.step(5)
        dash.run(5)
        assert dash.epoch == epochs and dash.status == "diverged"  # nothing trains until Reset
        render(dash.fig)
    dash.set(lr=0.3)
    dash.reset()
    assert dash.status == "ready" and dash.epoch == 0


def test_a_network_whose_weights_overflow_keeps_the_last_picture():
    dash = playground(dataset="blobs", hidden=4)
    picture = dash.artists["image"].get_array().copy()
    dash.net.params["W1"][...] = np.nan  # as after an overflowing step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dash.step(1)
    assert dash.status == "diverged"
    np.testing.assert_array_equal(dash.artists["image"].get_array(), picture)
    assert "diverged" in dash.readout.value
    render(dash.fig)


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
    assert readout is dash.readout and isinstance(figure, widgets.Output)
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
