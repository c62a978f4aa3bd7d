"""The common frame of every dashboard: controls, a readout, a figure drawn in the browser (chapter 01).

A dashboard is three parts kept apart so each can be tested alone:
  1. a pure compute function (numbers in, arrays and numbers out), in each dashboard's module;
  2. a view that sets the data of bqplot marks and the limits of their scales, `_render` below;
  3. the ipywidgets wiring, this class: controls whose observers call `update()`.

ipywidgets observers are plain Python callbacks, so `slider.value = 2.0` in a test (no browser)
runs `update()`, and the marks' data can be asserted.

The figure is drawn by the browser (bqplot, bplib.widgets._plots): a slider change sends the
marks' new arrays and the scales' new limits as small binary messages, and the kernel never
renders pixels. So a change costs the kernel only the dashboard's maths and those messages (a
few milliseconds; `benchmarks/latency_kernel.py`), and every change reaches the screen.
"""

from __future__ import annotations

import ipywidgets as widgets
from traitlets import TraitError

__all__ = ["Dashboard"]


class Dashboard:
    """Base class of the live dashboards. Chapter 01.

    A subclass builds its figure (bqplot figures in ipywidgets boxes, see bplib.widgets._plots),
    then calls `super().__init__(controls, figure)`, and implements `_render(values) -> str`:
    update the marks from the control values and return the readout HTML.

    Inputs:
        controls: dict name -> ipywidgets value widget (slider, dropdown), in display order.
        figure: the ipywidgets widget that shows the figure (a bqplot Figure or a box of them).
    Attributes:
        controls: the dict above.
        readout: ipywidgets.HTML with the current numbers (CSS class "bplib-readout").
        fig: the figure widget (CSS class "bplib-figure").
        widget: the ipywidgets container (controls, readout, figure) that is displayed.
        updates: how many times the view has been updated (set() counts once).
    """

    def __init__(self, controls: dict[str, widgets.ValueWidget], figure: widgets.DOMWidget):
        if not isinstance(figure, widgets.DOMWidget):
            raise ValueError(f"figure: expected an ipywidgets widget drawn in the browser (a bqplot Figure or "
                             f"a box of them), got a {type(figure).__name__}")
        self.controls = dict(controls)
        self.fig = figure
        figure.add_class("bplib-figure")  # the browser tests and benchmark find it by this
        self.readout = widgets.HTML()
        self.readout.add_class("bplib-readout")
        self.updates = 0
        self._holding = False  # True while set() changes several controls
        self.widget = widgets.VBox([widgets.VBox(list(self.controls.values())), self.readout, figure])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    # ---- display -------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:  # short and machine-independent
        names = ", ".join(self.controls)
        return f"<{type(self).__name__}: controls {names}>"

    # ---- updating ------------------------------------------------------------
    def values(self) -> dict[str, float]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values) -> None:
        """Set several controls at once and update the view once.

        Inputs:
            **values: control name -> new value, each within the control's range.
        """
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"set: expected control names among {sorted(self.controls)}, "
                             f"got {unknown}")
        for name, value in values.items():
            control = self.controls[name]
            if isinstance(control, widgets.IntSlider) and (
                    isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"set: expected an int for {name}, got {value!r}")
            low, high = getattr(control, "min", None), getattr(control, "max", None)
            if isinstance(control, widgets.FloatLogSlider):  # its min and max are exponents of its base
                low, high = control.base**low, control.base**high
            if low is not None and not low <= value <= high:
                raise ValueError(f"set: expected {name} in [{low}, {high}], got {value!r}")
        self._holding = True
        try:
            for name, value in values.items():
                try:
                    self.controls[name].value = value
                except TraitError as exc:  # e.g. 1.5 for an integer slider
                    raise ValueError(f"set: expected a valid value for {name}, got {value!r} "
                                     f"({exc})") from None
        finally:
            self._holding = False
        self.update()

    def update(self) -> None:
        """Recompute from the controls, update the marks and the readout (the browser redraws)."""
        self.readout.value = self._render(self.values())
        self.updates += 1

    def _on_change(self, change) -> None:
        if not self._holding:
            self.update()

    def _render(self, values: dict) -> str:
        raise NotImplementedError("a Dashboard subclass implements _render(values) -> readout HTML")

    def close(self) -> None:
        """Close the controls, the readout and the figure with every widget in it (frees them in a
        long-running kernel)."""
        for w in [*self.controls.values(), self.readout, self.widget, *_widget_tree(self.fig)]:
            w.close()


def _widget_tree(root: widgets.Widget) -> list[widgets.Widget]:
    """root and every widget it holds (a box's children; a bqplot figure's marks, axes and scales)."""
    found, todo = [], [root]
    while todo:
        w = todo.pop()
        if w in found:
            continue
        found.append(w)
        for name in w.keys:
            value = getattr(w, name, None)
            items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else [value]
            todo.extend(item for item in items if isinstance(item, widgets.Widget))
    return found
