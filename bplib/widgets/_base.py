"""The common frame of every dashboard: controls, a readout, a figure (chapter 01).

A dashboard is three parts kept apart so each can be tested alone:
  1. a pure compute function (numbers in, arrays and numbers out), in each dashboard's module;
  2. a view that updates matplotlib artists in place (set_data / set_text), `_render` below;
  3. the ipywidgets wiring, this class: sliders whose observers call `update()`.

ipywidgets observers are plain Python callbacks, so `slider.value = 2.0` in a test
(no browser) runs `update()` and the artists can be asserted.

Figures: with ipympl (`%matplotlib widget`) the canvas is itself a widget and goes into
the container. With the inline backend (or Agg in tests) the figure is shown inside an
`ipywidgets.Output`, shown again after each update.

Redraws under ipympl, and why dragging a slider never leaves a queue of stale images:
`canvas.draw_idle()` only sends a small "draw" message to the browser. The browser answers
with a "draw" request unless it is still waiting for an image, and the kernel renders (a full
Agg draw plus a PNG of the changed pixels) when it handles that request, i.e. after every
slider message that arrived before it. So at most one render is outstanding, and it shows
the newest values. On top of that a dashboard sends no new "draw" message while its last one
is unanswered (`_request_draw`): a burst of 50 slider messages costs 50 cheap updates of the
artists, one message and one render. Each render is fast because the figures are
`LayeredFigure`s (bplib.widgets._layered): only what the sliders change is drawn again.
"""

from __future__ import annotations

import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from traitlets import TraitError

__all__ = ["REDRAW_RETRY_S", "Dashboard"]

# A "draw" message the browser never answered (sent before its view existed, or to a closed
# view) must not block redraws for good: after this many seconds the next change asks again.
REDRAW_RETRY_S = 1.0


def _ipython_shell():
    """The running IPython shell, or None in plain Python (tests, scripts)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


class Dashboard:
    """Base class of the live dashboards. Chapter 01.

    A subclass builds its figure and artists (inside `plt.ioff()`, so the figure is not
    displayed a second time by pyplot), then calls `super().__init__(controls, fig)`,
    and implements `_render(values) -> str`: update the artists from the control
    values and return the readout HTML.

    Inputs:
        controls: dict name -> ipywidgets value widget (slider, dropdown), in display order.
        fig: the matplotlib Figure the view draws into.
    Attributes:
        controls: the dict above.
        readout: ipywidgets.HTML with the current numbers.
        fig: the Figure.
        widget: the ipywidgets container (controls, readout, figure) that is displayed.
        updates: how many times the view has been updated (set() counts once).
        redraw_requests: how many times the figure asked ipympl for a new image.
    """

    def __init__(self, controls: dict[str, widgets.ValueWidget], fig):
        if not isinstance(fig, Figure | widgets.DOMWidget):
            raise ValueError(f"fig: expected a matplotlib Figure or a widget drawn in the browser (bqplot), "
                             f"got a {type(fig).__name__}")
        self.controls = dict(controls)
        self.fig = fig
        self.readout = widgets.HTML()
        self.readout.add_class("bplib-readout")  # the browser tests find it by this
        self.updates = 0
        self.redraw_requests = 0
        self._holding = False  # True while set() changes several controls
        self._draw_requested_at: float | None = None  # when the unanswered request was sent
        self._output: widgets.Output | None = None
        if not isinstance(fig, Figure):  # drawn in the browser: the marks send their own data
            fig.add_class("bplib-figure")
            figure_view = fig
        elif isinstance(fig.canvas, widgets.DOMWidget):  # ipympl: the canvas is a widget
            fig.canvas.mpl_connect("draw_event", self._on_draw)
            fig.canvas.header_visible = False
            fig.canvas.toolbar_visible = False
            fig.canvas.footer_visible = False
            fig.canvas.resizable = False
            figure_view = fig.canvas
        else:
            # Inline/Agg: pyplot must forget the figure, or the inline backend shows it again
            # at the end of the cell; the Figure object itself keeps working.
            plt.close(fig)
            self._output = widgets.Output()
            figure_view = self._output
        self.widget = widgets.VBox(
            [widgets.VBox(list(self.controls.values())), self.readout, figure_view]
        )
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
        """Recompute from the controls, update the artists and readout, redraw."""
        self.readout.value = self._render(self.values())
        self.updates += 1
        self._redraw()

    def _on_change(self, change) -> None:
        if not self._holding:
            self.update()

    def _render(self, values: dict) -> str:
        raise NotImplementedError("a Dashboard subclass implements _render(values) -> readout HTML")

    def _redraw(self) -> None:
        if not isinstance(self.fig, Figure):
            return  # drawn in the browser: setting the marks' data was the redraw
        if self._output is None:
            self._request_draw()
            return
        if _ipython_shell() is None:
            return  # plain Python: nothing displays the Output, the artists are already updated
        from IPython.display import display

        with self._output:
            self._output.clear_output(wait=True)
            display(self.fig)

    def _request_draw(self) -> None:
        """Ask ipympl for a new image, unless an earlier request is still unanswered.

        The render that answers the earlier request runs after this callback (the kernel
        handles messages in order), so it will show the values set now.
        """
        now = time.monotonic()
        if self._draw_requested_at is not None and now - self._draw_requested_at < REDRAW_RETRY_S:
            return
        self._draw_requested_at = now
        self.redraw_requests += 1
        self.fig.canvas.draw_idle()

    def _on_draw(self, event) -> None:
        self._draw_requested_at = None  # rendered: the next change needs a new request

    def close(self) -> None:
        """Close the figure and the widgets (frees them in a long-running kernel)."""
        if isinstance(self.fig, Figure):
            plt.close(self.fig)
            view = []
        else:
            view = _widget_tree(self.fig)
        for w in [*self.controls.values(), self.readout, self._output, self.widget, *view]:
            if w is not None:
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
