"""Browser latency of every dashboard: a key press on a slider handle -> the new figure on screen.

    python benchmarks/latency_browser.py [--presses 20]

For every dashboard in tests/browser/dashboards.py and every one of its sliders, in JupyterLab
in headless Chromium (the browser tests' harness: a throw-away server on a copy of chapters/):
open the notebook, run all cells, then press ArrowRight / ArrowLeft alternately on the
slider's handle (so the value stays within one step of where it started) and time each
press. Prints p50 and p95 per slider against the 100 ms target.

How a press is timed, inside the page:
  - start: performance.now() in a capturing `keydown` listener on window, i.e. when the
    browser dispatches the key event (before the slider or ipywidgets see it);
  - end: the first animation frame after the last change of the figure that the press caused.
    An init script records every change of a dashboard figure (drawn in the browser by bqplot):
    a MutationObserver on its element (SVG attributes and nodes) and drawImage / putImageData
    calls on canvases inside it. Each record gets the time of the next requestAnimationFrame callback: the
    frame that puts it on screen. Once the figure is quiet again, the latency is that frame of
    the last record minus the key press.
  So a latency covers: key event -> noUiSlider -> widget model -> websocket -> kernel
  (observer, the dashboard's maths, the marks' new data) -> websocket -> the browser
  drawing it -> the next frame.
Before each press the figure must be quiet (no pixel change for 300 ms, kernel idle), so
each measured press is alone in the pipeline. Two warm-up presses per slider are not counted.
Dropdowns, toggle buttons and buttons are not timed, nor a slider whose entry in dashboards.py has
redraws=False (the playground's learning rate: it only acts when training, and the figure, drawn in
the browser, does not change).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import describe_machine  # noqa: E402

from tests.browser import harness  # noqa: E402
from tests.browser.dashboards import notebooks  # noqa: E402

TARGET_MS = 100.0
WARMUP_PRESSES = 2

# Runs in every page before JupyterLab: timestamps of key presses and of changes of figures.
PROBE_JS = """
(() => {
    const changes = [];
    window.__bplibChanges = changes;
    const record = (figure) => {
        const entry = {figure, changed: performance.now(), frame: null};
        changes.push(entry);
        if (changes.length > 5000) changes.shift();
        requestAnimationFrame(() => { entry.frame = performance.now(); });
    };
    // the dashboard figure (bplib's .bplib-figure box of bqplot figures) an element belongs to
    const figureOf = (node) => {
        const element = node && (node.nodeType === 1 ? node : node.parentElement);
        return element && element.isConnected ? element.closest('.bplib-figure') : null;
    };
    for (const method of ['drawImage', 'putImageData']) {
        const original = CanvasRenderingContext2D.prototype[method];
        CanvasRenderingContext2D.prototype[method] = function (...args) {
            const result = original.apply(this, args);
            const figure = figureOf(this.canvas);
            if (figure) record(figure);
            return result;
        };
    }
    const observer = new MutationObserver((mutations) => {
        new Set(mutations.map(m => figureOf(m.target)).filter(f => f)).forEach(record);
    });
    const watch = () => observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                                         characterData: true});
    if (document.body) watch(); else document.addEventListener('DOMContentLoaded', watch);
    window.__bplibLastKey = null;
    window.addEventListener('keydown', () => { window.__bplibLastKey = performance.now(); }, true);
})();
"""

# The latency (ms) of the last key press on `figure`, once its changes have stopped: the frame of the
# last change since the press, when no change came for `quietMs` and the kernel is idle; null after
# `timeoutMs`. It reads only the probe's records: polling the figure itself (its markup, its canvases'
# pixels) would take the page's main thread from the very drawing it times.
LATENCY_JS = harness._HELPERS_JS + """
async ([path, figure, quietMs, timeoutMs]) => {
    const key = window.__bplibLastKey, start = performance.now();
    while (performance.now() - start < timeoutMs) {
        await new Promise(resolve => setTimeout(resolve, 10));
        const mine = window.__bplibChanges.filter(e => e.figure === figure && e.changed > key);
        const last = mine[mine.length - 1];
        if (last && last.frame !== null && performance.now() - last.changed >= quietMs && kernelIdle(path)) {
            return last.frame - key;
        }
    }
    return null;
}
"""


def measure_slider(view, i: int, presses: int) -> list[float]:
    """Latencies (ms) of `presses` alternating arrow-key presses on slider i of `view`."""
    figure = view.figure.element_handle()
    view.slider(i).locator(".noUi-handle").focus()
    latencies = []
    for k in range(WARMUP_PRESSES + presses):
        view.wait_quiet()
        view.page.keyboard.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
        latency = view.page.evaluate(LATENCY_JS, [view.notebook.path, figure, harness.SETTLE_QUIET_MS,
                                                  harness.KERNEL_TIMEOUT_S * 1000])
        if latency is None:
            raise RuntimeError(f"{view.spec.name}: the figure did not change after a key press on slider {i}")
        if k >= WARMUP_PRESSES:
            latencies.append(float(latency))
    return latencies


def run(presses: int, only: list[str] | None = None) -> list[tuple[str, str, float, float, bool]]:
    """Rows (dashboard, slider, p50 ms, p95 ms, redraws) for every slider of every dashboard (of the
    notebooks whose names start with one of `only`, when given)."""
    reason = harness.unavailable_reason()
    if reason:
        raise SystemExit(reason)
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory(prefix="bplib-latency-") as workdir:
        server = harness.JupyterServer("jupyterlab", Path(workdir)).start()
        try:
            with sync_playwright() as playwright:
                browser = harness.launch_browser(playwright)
                for notebook, specs in sorted(notebooks().items()):
                    if only and not notebook.startswith(tuple(only)):
                        continue
                    context = browser.new_context(viewport=harness.VIEWPORT)
                    context.add_init_script(PROBE_JS)
                    page = harness.NotebookPage(context.new_page(), server, notebook).open()
                    page.run_all()
                    for spec in specs:
                        view = page.dashboard(spec)
                        view.wait_rendered()
                        for i, slider in enumerate(spec.sliders):
                            if not slider.redraws:
                                continue
                            ms = measure_slider(view, i, presses)
                            rows.append((spec.name, slider.name, float(np.percentile(ms, 50)),
                                         float(np.percentile(ms, 95)), slider.redraws))
                    context.close()
                    server.delete_sessions()
                browser.close()
        finally:
            leftover = server.stop()
        if leftover:
            raise SystemExit(f"the Jupyter server left processes behind: {leftover}")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="timed presses per slider")
    parser.add_argument("--notebook", action="append", default=None,
                        help="only the notebook whose name starts with this, e.g. 05 (repeatable)")
    args = parser.parse_args(argv)
    if args.presses < 2:
        parser.error(f"--presses: expected at least 2, got {args.presses}")
    print(describe_machine())
    rows = run(args.presses, args.notebook)
    print(f"key press -> figure on screen, {args.presses} presses per slider "
          f"(JupyterLab, headless Chromium)")
    print(f"{'dashboard':<10} {'slider':<16} {'p50 ms':>8} {'p95 ms':>8} {'target ms':>10}")
    for dashboard, slider, p50, p95, _ in rows:
        verdict = "" if p95 <= TARGET_MS else "  over target"
        print(f"{dashboard:<10} {slider:<16} {p50:8.1f} {p95:8.1f} {TARGET_MS:10.0f}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
