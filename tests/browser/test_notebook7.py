"""Smoke test: chapter 01's dashboard works in Jupyter Notebook 7, not only in JupyterLab.

Notebook 7 exposes `window.jupyterapp` like JupyterLab (--JupyterNotebookApp.
expose_app_in_browser=True), so the notebook is run with the same `notebook:run-all-cells`
command. The z slider is moved by typing into its readout and by dragging its handle with
the mouse. Not with arrow keys: in Notebook 7.6 the notebook's command-mode shortcuts
(ArrowLeft/ArrowRight: move between headings) see the key before the focused slider does,
so arrow keys do not move ipywidgets sliders there (in JupyterLab they do).
"""

from __future__ import annotations

import pytest

from tests.browser.dashboards import DASHBOARDS

DRAG_PIXELS = 60


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_chapter01_dashboard_in_notebook7(notebook7):
    spec = next(d for d in DASHBOARDS if d.name == "sigmoid")
    z = spec.sliders[0]
    assert z.name == "z"
    page = notebook7.open(spec.notebook)
    page.run_all()
    view = page.dashboard(spec)
    view.wait_rendered()
    before = view.wait_settled()

    values = spec.start_values()
    values["z"] = z.typed
    view.type_value(0, z.typed)
    view.expect_slider(0, z.typed)
    view.expect_readout(values)
    typed = view.wait_settled()
    assert typed != before, f"the figure did not change after typing z = {z.typed}"

    handle = view.slider(0).locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    view.page.mouse.move(x, y)
    view.page.mouse.down()
    view.page.mouse.move(x + DRAG_PIXELS, y, steps=5)
    view.page.mouse.up()
    shown = view.slider(0).locator(".widget-readout")
    view.page.wait_for_function("([el, old]) => el.textContent.trim() !== old",
                                arg=[shown.element_handle(), z.shown(z.typed)], timeout=30_000)
    values["z"] = float(shown.text_content().strip().replace("\u2212", "-"))  # ipywidgets' minus sign
    assert values["z"] > z.typed, f"dragging right moved z from {z.typed} to {values['z']}"
    view.expect_readout(values)
    dragged = view.wait_settled()
    assert dragged != typed, f"the figure did not change after dragging z to {values['z']}"

    assert page.error_outputs() == []
