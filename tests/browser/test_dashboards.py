"""Every dashboard in tests/browser/dashboards.py, driven in JupyterLab in headless Chromium.

For each notebook holding dashboards: open it, run all cells, and for every control of every
dashboard move it (a slider: arrow keys on its handle, then a value typed into its readout; a
dropdown or toggle buttons: its other option); after each move the control must show its new
value, the readout what the dashboard's compute function or bplib's maths says for the new
values, and the figure on screen must have changed (or, for a control that only acts when
training, stayed the same). A dashboard that trains is then stepped, run in the background
and stopped, and reset (_check_training). Plus: a burst of key presses must end on the last
value.

Without a browser (unmarked, part of the ordinary suite): every dashboard a chapter builds is
listed in dashboards.py, and a missing Chromium skips the browser tests loudly (or, with
BPLIB_REQUIRE_BROWSER=1 as in CI, fails them).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import typing

import pytest

import bplib.widgets
from bplib.widgets import Dashboard
from tests.browser import harness
from tests.browser.dashboards import DASHBOARDS, EPOCHS, MOVED, NOT_YET_LISTED, notebooks

BURST_PRESSES = 50
BURST_SECONDS = 1.0
BURST_SPACING_MS = 15  # 50 presses in ~0.75 s: faster than the kernel redraws
TRAINED_WHILE_RUNNING = 2  # epochs Start must train (the readout must show them) before Stop
STOPPED_CHECK_MS = 1000  # after Stop the epoch must stay put this long
EPOCH_IN_READOUT = re.compile(r"epoch\s*(\d+)")

# ArrowRight key presses on a slider handle, one every `spacingMs`, dispatched by the page.
# Playwright's keyboard.press costs a round trip to the browser per press, which on a loaded
# 2-core machine stretched 50 presses over 2 s. Here each press has its due time; when the
# page's main thread was busy (incoming figures), the presses that fell due meanwhile are
# sent together as soon as it is free, as queued real key events would be: the burst never
# spreads out. noUiSlider reads event.key, so the slider moves exactly as for a real key
# (the per-slider test above uses real key presses). Returns ms from first press to last.
_BURST_JS = """
async ([handle, count, spacingMs]) => {
    const press = () => {
        for (const type of ['keydown', 'keyup']) {
            handle.dispatchEvent(new KeyboardEvent(type, {key: 'ArrowRight', code: 'ArrowRight',
                                                          bubbles: true, cancelable: true}));
        }
    };
    const start = performance.now();
    let sent = 0, last = start;
    while (sent < count) {
        while (sent < count && performance.now() >= start + sent * spacingMs) {
            press();
            sent += 1;
            last = performance.now();
        }
        const wait = start + sent * spacingMs - performance.now();
        if (sent < count) await new Promise(resolve => setTimeout(resolve, Math.max(0, wait)));
    }
    return last - start;
}
"""


@pytest.mark.browser
@pytest.mark.timeout(240)
@pytest.mark.parametrize("notebook", sorted(notebooks()))
def test_every_control_updates_readout_and_figure(lab, notebook):
    page = lab.open(notebook)
    page.run_all()
    specs = notebooks()[notebook]
    page.wait_dashboards(len(specs))
    views = [page.dashboard(spec) for spec in specs]
    for view in views:
        view.wait_rendered()

    for view in views:
        values = view.spec.start_values()
        before = _figure(view)
        for control in view.spec.controls:
            for how, new_value in _moves(control, values[control.name]):
                _move(view, control, how)
                values[control.name] = new_value
                values[MOVED] = control.name
                _expect_control(view, control, new_value)
                view.expect_readout(values)
                after = _figure(view)
                if control.redraws:
                    assert _changed(before, after), (
                        f"{view.spec.name}: the figure did not change after setting "
                        f"{control.name} = {new_value} ({how})")
                else:
                    assert after.pixels == before.pixels, (
                        f"{view.spec.name}: the figure changed after setting {control.name} = "
                        f"{new_value} ({how}), which should only take effect when training")
                before = after
        if view.spec.trains:
            _check_training(view, values, before)

    assert page.error_outputs() == []


class _Figure(typing.NamedTuple):
    screenshot: bytes  # the canvas' element screenshot: what is on screen
    pixels: str  # the canvas' own pixels (data URL): immune to the screenshot clip's layout shifts


def _figure(view) -> _Figure:
    """The settled figure (see DashboardView.wait_settled)."""
    screenshot = view.wait_settled()
    return _Figure(screenshot, view.figure_pixels())


def _changed(before: _Figure, after: _Figure) -> bool:
    """Both what is on screen and the canvas' pixels changed (a screenshot alone could differ by
    a row of its clip while the figure stayed the same)."""
    return after.screenshot != before.screenshot and after.pixels != before.pixels


def _moves(control, value) -> list[tuple[str, object]]:
    """(how, new value) of each move of a control: a slider by keys, then by typing; a dropdown
    or toggle buttons to its other option."""
    if control.widget == "slider":
        return [("keys", control.after_presses(value)), ("typed", control.after_typing(control.typed))]
    return [("chosen", control.chosen)]


def _move(view, control, how: str) -> None:
    if how == "chosen":
        view.choose(control.name, control.chosen)
        return
    i = view.spec.sliders.index(control)
    if how == "keys":
        view.press(i, control.presses)
    else:
        view.type_value(i, control.typed)


def _expect_control(view, control, value) -> None:
    if control.widget == "slider":
        view.expect_slider(view.spec.sliders.index(control), value)
    else:
        view.expect_choice(control.name, value)


def _epoch_shown(view) -> int:
    match = EPOCH_IN_READOUT.search(view.readout_text())
    assert match, f"{view.spec.name}: no epoch in the readout: {view.readout_text()!r}"
    return int(match[1])


def _check_training(view, values: dict, before: _Figure) -> None:
    """Step trains one epoch; Start trains in the background until Stop, after which nothing
    moves and the kernel is idle and answers; Reset goes back to the untrained network. After
    each, the readout shows what bplib's training of the same network gives, and the figure
    changed."""
    name = view.spec.name
    view.click("Step")
    values[EPOCHS] = 1
    view.expect_readout(values)
    stepped = _figure(view)
    assert _changed(before, stepped), f"{name}: the figure did not change after Step"

    view.click("Start")
    view.expect_button("Stop")  # the kernel relabels the toggle when training has started
    view.page.wait_for_function(
        "([el, n]) => { const m = /epoch\\s*(\\d+)/.exec(el.textContent); return !!m && +m[1] >= n; }",
        arg=[view.readout.element_handle(), values[EPOCHS] + TRAINED_WHILE_RUNNING],
        timeout=harness.KERNEL_TIMEOUT_S * 1000)
    view.click("Stop")
    view.expect_button("Start")
    trained = _figure(view)
    epochs = _epoch_shown(view)
    assert epochs >= values[EPOCHS] + TRAINED_WHILE_RUNNING, epochs
    view.page.wait_for_timeout(STOPPED_CHECK_MS)
    assert _epoch_shown(view) == epochs, (
        f"{name}: training went on after Stop (epoch {epochs}, then {_epoch_shown(view)})")
    assert view.notebook.kernel_idle(), f"{name}: the kernel is not idle after Stop"
    # The kernel answers, and its dashboard agrees: not running, its task finished, same epoch.
    kernel = view.notebook.run_in_kernel(
        "import gc\n"
        "from bplib.widgets import Dashboard\n"
        "boards = [o for o in gc.get_objects() if isinstance(o, Dashboard) and hasattr(o, 'task')]\n"
        "print(len(boards), boards[0].running, boards[0].task.done(), boards[0].epoch)\n")
    assert kernel.split() == ["1", "False", "True", str(epochs)], kernel
    values[EPOCHS] = epochs
    view.expect_readout(values)
    assert _changed(stepped, trained), f"{name}: the figure did not change while training ({epochs} epochs)"

    view.click("Reset")
    values[EPOCHS] = 0
    view.expect_readout(values)
    assert _changed(trained, _figure(view)), f"{name}: the figure did not change after Reset"


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_key_burst_ends_on_the_last_value(lab):
    spec = next(d for d in DASHBOARDS if d.name == "sigmoid")
    z = spec.sliders[0]
    assert z.name == "z"
    page = lab.open(spec.notebook)
    page.run_all()
    view = page.dashboard(spec)
    view.wait_rendered()
    view.wait_quiet()

    handle = view.slider(0).locator(".noUi-handle")
    handle.focus()
    span_ms = view.page.evaluate(_BURST_JS, [handle.element_handle(), BURST_PRESSES,
                                             BURST_SPACING_MS])
    assert span_ms < BURST_SECONDS * 1000, (
        f"the {BURST_PRESSES} key presses took {span_ms:.0f} ms, not a burst: the test did not "
        f"test what it claims")

    values = spec.start_values()
    values["z"] = z.after_presses(z.start, BURST_PRESSES)
    view.expect_slider(0, values["z"])
    view.expect_readout(values)
    view.wait_quiet()
    after_burst = view.figure_pixels()

    # The kernel holds the last value too, and it redrew for values on the way (the first
    # update is the dashboard's own at creation): a stale redraw could have come last.
    kernel = page.run_in_kernel(
        "import gc\n"
        "from bplib.widgets import SigmoidDashboard\n"
        "boards = [o for o in gc.get_objects() if isinstance(o, SigmoidDashboard)]\n"
        "print(len(boards), boards[0].updates, repr(boards[0].values()['z']))\n")
    count, updates, kernel_z = kernel.split()
    assert count == "1" and float(kernel_z) == pytest.approx(values["z"], abs=1e-9), kernel
    assert int(updates) >= 3, f"the kernel saw no intermediate value of the burst: {kernel}"

    # The settled figure is the figure of that value drawn afresh: no stale update came last. (Its
    # markup, not a screenshot: the browser may anti-alias one SVG a pixel differently after a burst.)
    for fresh in (z.start, values["z"]):
        view.type_value(0, fresh)
        view.expect_slider(0, fresh)
        view.expect_readout({**values, "z": fresh})
        view.wait_quiet()
        drawn = view.figure_pixels()
    assert drawn == after_burst, "after the burst the figure differs from a fresh draw of z"
    assert page.error_outputs() == []


# ---- without a browser ---------------------------------------------------------------
def _dashboard_makers() -> list[str]:
    """Public functions and classes of every bplib.widgets module that build a dashboard."""
    makers = []
    for info in pkgutil.iter_modules(bplib.widgets.__path__, "bplib.widgets."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                obj = typing.get_type_hints(obj).get("return")
            if inspect.isclass(obj) and issubclass(obj, Dashboard) and obj is not Dashboard:
                makers.append(name)
    return makers


def test_every_dashboard_in_the_chapters_is_listed():
    # A chapter cell that builds a dashboard needs an entry in dashboards.py (or, until it has
    # one, a line in NOT_YET_LISTED), or the browser tests would silently leave it out.
    makers = _dashboard_makers()
    assert "sigmoid_dashboard" in makers, f"the dashboard finder is broken: {makers}"
    call = re.compile(r"\b(" + "|".join(map(re.escape, makers)) + r")\(")
    built = {}
    for path in sorted(harness.CHAPTERS.glob("*.ipynb")):
        sources = ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
                   if cell["cell_type"] == "code"]
        count = sum(len(call.findall(source)) for source in sources)
        if count:
            built[path.name] = count
    accounted = {notebook: len(specs) for notebook, specs in notebooks().items()}
    for notebook, count in NOT_YET_LISTED.items():
        accounted[notebook] = accounted.get(notebook, 0) + count
    assert accounted == built, (
        f"dashboards built in chapters/ (notebook: count) {built} != entries in "
        f"tests/browser/dashboards.py plus NOT_YET_LISTED {accounted}")
    for specs in notebooks().values():
        assert [spec.index for spec in specs] == list(range(len(specs))), specs


def _run_browser_tests_without_chromium(tmp_path, require: bool):
    return harness.run_pytest_without(
        "tests/browser/test_notebook7.py", "browser",
        {"BPLIB_CHROMIUM": str(tmp_path / "no-chromium-here"), "BPLIB_REQUIRE_BROWSER": "1" if require else None})


def test_missing_chromium_skips_and_says_why(tmp_path):
    result = _run_browser_tests_without_chromium(tmp_path, require=False)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    reason = (f"Chromium not found at {tmp_path / 'no-chromium-here'}: browser tests not run "
              f"(install it with: sudo apt-get install chromium)")
    assert "1 skipped" in out and reason in out, out
    assert re.search(r"^=+ browser tests not run =+$", out, re.MULTILINE), out


def test_missing_chromium_fails_when_required(tmp_path):
    result = _run_browser_tests_without_chromium(tmp_path, require=True)
    out = result.stdout
    assert result.returncode != 0, out
    assert "1 error" in out and "BPLIB_REQUIRE_BROWSER=1" in out and "Chromium not found" in out, out
