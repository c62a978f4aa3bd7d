"""Drive the course's dashboards in a real browser: a throw-away Jupyter server, Chromium, and
helpers that open a notebook, run it, and move its controls (sliders, log sliders, dropdowns,
toggle buttons) and click its buttons.

Used by the browser tests (tests/browser/) and by benchmarks/latency_browser.py.

Playwright is imported lazily, inside the functions that need it, so this module (and the
test modules importing it) can be collected when playwright is missing: the tests are then
skipped or failed with a clear reason instead of breaking collection.

Facts this relies on (measured; see /work/shared/NOTES_notebook_testing.md):
  - JupyterLab's toolbar can say "idle" before the kernel exists, and "Run All" sent that
    early silently does nothing: we wait for the notebook's own session context instead,
    through `window.jupyterapp` (exposed by --*.expose_app_in_browser=True).
  - `notebook:run-all-cells` returns a promise that resolves, once every cell has run, to
    whether all of them succeeded.
  - Element screenshots, not full-page ones, capture a notebook's scrolled content.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
ARTIFACTS = ROOT / "test-artifacts" / "browser"

# Debian's Chromium; playwright's own browser download is never used. BPLIB_CHROMIUM points
# elsewhere (the tests of the missing-browser path use it with a path that does not exist).
CHROMIUM = Path(os.environ.get("BPLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # Chromium's sandbox needs user namespaces, often missing in CI containers
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1600, "height": 1100}

# JupyterLab 4.6 with ipykernel 7 sends widget comm messages (slider moves, button clicks,
# ipympl's draw requests) to a kernel subshell by default ("perCommTarget"): they are handled
# on a second thread, concurrently with the cells the main thread runs. matplotlib is not
# thread-safe: during Run All, redraws of figures already on screen then race the cells that
# draw later ones, and the kernel died (glibc "malloc(): unaligned tcache chunk detected",
# chapter 07) or figures never appeared. "disabled" handles them on the main thread, in order
# with the cells, as with ipykernel 6. BPLIB_COMMS_OVER_SUBSHELLS=perCommTarget reproduces the
# default.
COMMS_OVER_SUBSHELLS = os.environ.get("BPLIB_COMMS_OVER_SUBSHELLS", "disabled")

KERNEL_TIMEOUT_S = 30.0  # cold kernel + matplotlib import + run all, on a busy 2-core machine
SERVER_START_TIMEOUT_S = 60.0
SETTLE_QUIET_MS = 300  # a figure is settled when its pixels have not changed for this long
SETTLE_POLL_MS = 50


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here (no Chromium, no playwright), or None."""
    if not CHROMIUM.exists():
        return (f"Chromium not found at {CHROMIUM}: browser tests not run "
                f"(install it with: sudo apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return (f"playwright is not importable ({exc}): browser tests not run "
                f"(install the test requirements: pip install -r requirements-test.txt)")
    return None


def launch_browser(playwright):
    """Chromium from CHROMIUM, headless. Input: a started playwright (sync API)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)


@contextlib.contextmanager
def chromium():
    """Playwright (sync API) started and Chromium launched; both closed on the way out."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = launch_browser(playwright)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def _expect():
    from playwright.sync_api import expect

    return expect


# ---- the Jupyter server ----------------------------------------------------------------
class JupyterServer:
    """JupyterLab ("jupyterlab") or Jupyter Notebook 7 ("notebook") in a child process.

    Everything it writes goes under `workdir`: a copy of chapters/ it serves (so running
    notebooks never touches the committed files), and HOME and every Jupyter, IPython and
    matplotlib config/data/runtime folder. Lab extensions (ipywidgets, ipympl) are still
    found in sys.prefix/share/jupyter, since the server runs on this very Python.

    Inputs:
        app: "jupyterlab" or "notebook".
        workdir: an empty temporary folder.
    Attributes (after start()):
        token, port, base_url, root_dir, log_path, process.
    """

    APPS = {"jupyterlab": "LabApp", "notebook": "JupyterNotebookApp"}

    def __init__(self, app: str, workdir: Path):
        if app not in self.APPS:
            raise ValueError(f"app: expected one of {sorted(self.APPS)}, got {app!r}")
        self.app = app
        self.workdir = Path(workdir)
        self.token = secrets.token_hex(24)
        self.root_dir = self.workdir / "root"
        self.home = self.workdir / "home"
        self.runtime_dir = self.home / "runtime"
        self.log_path = self.workdir / f"{app}.log"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self._log = None

    # -- start ---------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        # Drop the caller's Jupyter/IPython/matplotlib settings (JUPYTER_TOKEN, JUPYTER_PATH,
        # MPLBACKEND, ...): the server must not depend on the machine it runs on.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "IPYTHON", "MPL"))}
        dirs = {
            "HOME": self.home,
            "JUPYTER_CONFIG_DIR": self.home / "jupyter-config",
            "JUPYTER_DATA_DIR": self.home / "jupyter-data",
            "JUPYTER_RUNTIME_DIR": self.runtime_dir,
            "IPYTHONDIR": self.home / "ipython",
            "MPLCONFIGDIR": self.home / "matplotlib",
        }
        for name, path in dirs.items():
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        # Kernels import this checkout's bplib, whatever else is installed.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self._write_lab_settings(dirs["JUPYTER_CONFIG_DIR"])
        _prime_matplotlib_cache(dirs["MPLCONFIGDIR"])
        return env

    @staticmethod
    def _write_lab_settings(config_dir: Path) -> None:
        folder = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        folder.mkdir(parents=True, exist_ok=True)
        # Toast notifications (e.g. "Would you like to get notified about official Jupyter
        # news?") are painted over whatever is bottom right, which can be a figure canvas
        # the tests take screenshots of. Silence them.
        (folder / "notification.jupyterlab-settings").write_text(json.dumps({"doNotDisturbMode": True}))
        # Widget comm messages on the kernel's main thread (see COMMS_OVER_SUBSHELLS).
        (folder / "kernels-settings.jupyterlab-settings").write_text(
            json.dumps({"commsOverSubshells": COMMS_OVER_SUBSHELLS}))

    def command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", self.app,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port=0",  # the OS picks a free port: no race between parallel runs
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--{self.APPS[self.app]}.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # Jupyter refuses to start as root without it
        return cmd

    def start(self) -> JupyterServer:
        """launch(), then wait_ready()."""
        return self.launch().wait_ready()

    def launch(self) -> JupyterServer:
        """Copy chapters/ and start the server process; does not wait for it."""
        shutil.copytree(CHAPTERS, self.root_dir,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        env = self._environment()
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command(), env=env, cwd=self.workdir, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        return self

    def wait_ready(self) -> JupyterServer:
        """Wait until the launched server answers /api/status (else stop it and raise)."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} exited with code {self.process.returncode} "
                                   f"before answering; its log:\n{self.log_tail()}")
            if self.port is None:
                self.port = self._port_from_runtime_file()
            if self.port is not None and self._status_ok():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.app} did not answer /api/status within "
                                   f"{SERVER_START_TIMEOUT_S:.0f} s; its log:\n{self.log_tail()}")
            time.sleep(0.1)

    def _port_from_runtime_file(self) -> int | None:
        # With --ServerApp.port=0 the real port is only known from the server's info file.
        info = self.runtime_dir / f"jpserver-{self.process.pid}.json"
        try:
            return int(json.loads(info.read_text())["port"])
        except (OSError, ValueError, KeyError):
            return None  # not written yet (or half written)

    def _status_ok(self) -> bool:
        try:
            self.api("GET", "/api/status")
        except (OSError, urllib.error.URLError):
            return False
        return True

    # -- use -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, path: str) -> str:
        """The URL that opens notebook `path` (relative to the served root) in this app."""
        if self.app == "jupyterlab":
            # ?reset: drop tabs a workspace might restore, so the notebook is the only one.
            return f"{self.base_url}/lab/tree/{path}?reset&token={self.token}"
        return f"{self.base_url}/notebooks/{path}?token={self.token}"

    def api(self, method: str, path: str):
        """Call the server's REST API; returns the decoded JSON body (None when empty)."""
        request = urllib.request.Request(self.base_url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def delete_sessions(self) -> None:
        """Shut down every session and kernel, so the next page starts a fresh kernel."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    # -- stop ----------------------------------------------------------------------------
    def stop(self) -> list[str]:
        """Delete sessions and kernels, stop the server (terminate, then kill).

        Returns:
            descriptions of the processes (server, kernels) still alive afterwards; they have
            been killed, the list says the clean shutdown failed. Empty when all went well.
        """
        if self.process is None:
            return []
        tree = [self.process.pid, *_descendants(self.process.pid)]
        if self.process.poll() is None and self.port is not None:
            try:
                self.delete_sessions()
            except (OSError, urllib.error.URLError):
                pass  # the server is unwell; terminate/kill below still clean up
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while (alive := _alive(tree)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
        self.process = None
        return [f"pid {pid}: {command}" for pid, command in alive.items()]


def tail(path: Path, lines: int) -> str:
    """The last `lines` lines of a log file, or "(no log)"."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_pytest_without(test: str, marker: str, env_changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    """Run one test file or node id of ours in a fresh pytest with the environment changed
    (None removes a variable): how the tests check what a machine without Chromium or a hub
    sees. Plugins the run does not use are left out: it starts in half the time."""
    env = {k: v for k, v in os.environ.items() if k not in env_changes}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-m", "pytest", test, "-m", marker, "-rs",
         "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:nbval", "-p", "no:hypothesispytest"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _processes() -> list[tuple[int, int, str, str]]:
    """(pid, parent pid, state, command) of every process, from ps (Linux and macOS)."""
    out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,stat=,args="], capture_output=True,
                         text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        pid, ppid, state, *command = line.split(None, 3)
        rows.append((int(pid), int(ppid), state, command[0][:200] if command else ""))
    return rows


def _descendants(pid: int) -> list[int]:
    """The pids of every process started, directly or not, by process `pid`."""
    children: dict[int, list[int]] = {}
    for child, parent, _, _ in _processes():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pids: list[int]) -> dict[int, str]:
    """Those of `pids` still running (zombies count as gone), with their commands."""
    wanted = set(pids)
    return {pid: command for pid, _, state, command in _processes()
            if pid in wanted and not state.startswith("Z")}


def _die_with_parent() -> None:
    """Linux, in the server's child process: get SIGTERM when the process that started us
    dies, so a test run killed without teardown does not leave a server and its kernels."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _prime_matplotlib_cache(mpl_dir: Path) -> None:
    """Give the fresh MPLCONFIGDIR a font cache, so no kernel prints
    "Matplotlib is building the font cache" into a cell's output."""
    import matplotlib

    caches = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-v*.json"))
    if caches:
        for cache in caches:
            shutil.copy2(cache, mpl_dir / cache.name)
        return
    env = dict(os.environ, MPLCONFIGDIR=str(mpl_dir))
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   check=True, capture_output=True, timeout=300)


# ---- the browser console ---------------------------------------------------------------
class ConsoleLog:
    """Every console message and uncaught page error of one page.

    Inputs:
        page: a playwright Page.
        ignored: (reason, predicate) pairs; an error message is ignored when
            predicate(text) is true. Each reason says why that error is benign.
    """

    def __init__(self, page, ignored: tuple = ()):
        self.lines: list[str] = []
        self._errors: list[str] = []
        self.ignored = ignored
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message) -> None:
        location = message.location or {}
        where = f"{location.get('url', '')}:{location.get('lineNumber', '')}"
        self.lines.append(f"[{message.type}] {message.text}  ({where})")
        if message.type == "error":
            self._errors.append(f"console error: {message.text}  ({where})")

    def _on_page_error(self, error) -> None:
        stack = getattr(error, "stack", "") or ""
        self.lines.append(f"[pageerror] {error}\n{stack}")
        self._errors.append(f"page error: {error}\n{stack}")

    def errors(self) -> list[str]:
        """The errors no entry of `ignored` explains."""
        return [e for e in self._errors
                if not any(predicate(e) for _, predicate in self.ignored)]

    def text(self) -> str:
        return "\n".join(self.lines)


# ---- a notebook open in the browser ----------------------------------------------------
# Page-side helpers, prepended to the scripts below. panelFor: the notebook panel showing
# `path`, found through the application shell (JupyterLab and Notebook 7). kernelIdle: its
# document is loaded and its own kernel (not the toolbar's indicator) is connected and idle.
_HELPERS_JS = """
const panelFor = (path) => {
    const app = window.jupyterapp;
    if (!app || !app.shell) return null;
    return Array.from(app.shell.widgets('main'))
        .find(w => w.context && w.context.path === path && w.sessionContext) || null;
};
const kernelIdle = (path) => {
    const panel = panelFor(path);
    if (!panel || !panel.context.isReady) return false;
    const session = panel.sessionContext;
    const kernel = session.session && session.session.kernel;
    return session.isReady && !!kernel && kernel.connectionStatus === 'connected'
        && kernel.status === 'idle';
};
// What a dashboard's figure (drawn in the browser by bqplot: SVG, and canvases inside it) shows:
// its markup and the pixels of its canvases.
const figureSignature = (figure) =>
    figure.innerHTML + Array.from(figure.querySelectorAll('canvas')).map(c => c.toDataURL()).join('');
"""
_KERNEL_IDLE_JS = _HELPERS_JS + "kernelIdle"
_PANEL_ID_JS = _HELPERS_JS + "(path) => panelFor(path).id"
_RUN_ALL_JS = _HELPERS_JS + """
async (path) => {
    const app = window.jupyterapp;
    const panel = panelFor(path);
    app.shell.activateById(panel.id);  // the notebook commands act on the current notebook
    await app.commands.execute('notebook:clear-all-cell-outputs');
    const ok = await app.commands.execute('notebook:run-all-cells');
    const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
    return {ok, notRun: cells.filter(cell => cell.model.executionCount === null).length,
            code: cells.length};
}
"""
_ERROR_OUTPUTS_JS = _HELPERS_JS + """
(path) => {
    const bad = [];
    panelFor(path).content.widgets.forEach((cell, i) => {
        if (cell.model.type !== 'code') return;
        for (const out of cell.model.outputs.toJSON()) {
            if (out.output_type === 'error') bad.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
            if (out.output_type === 'stream' && out.name === 'stderr') {
                bad.push(`cell ${i}: stderr: ${[].concat(out.text).join('').slice(0, 500)}`);
            }
        }
    });
    return bad;
}
"""
_EXECUTE_JS = _HELPERS_JS + """
async ([path, code, timeoutMs]) => {
    const kernel = panelFor(path).sessionContext.session.kernel;
    const future = kernel.requestExecute({code, store_history: false});
    let stdout = '', error = null;
    future.onIOPub = (msg) => {
        if (msg.header.msg_type === 'stream') stdout += msg.content.text;
        if (msg.header.msg_type === 'error') error = msg.content.ename + ': ' + msg.content.evalue;
    };
    const late = new Promise(resolve => setTimeout(() => resolve(null), timeoutMs));
    const reply = await Promise.race([future.done, late]);
    if (reply === null) return {stdout, error: `no reply within ${timeoutMs} ms`, status: 'timeout'};
    return {stdout, error, status: reply.content.status};
}
"""

# Resolves to true once `figure` has kept the same signature for `quietMs` (sampled every
# `pollMs`) with the notebook's kernel idle; false after `timeoutMs`.
_SETTLED_JS = _HELPERS_JS + """
async ([path, figure, quietMs, pollMs, timeoutMs]) => {
    const start = performance.now();
    let pixels = figureSignature(figure), quietSince = performance.now();
    while (performance.now() - start < timeoutMs) {
        await new Promise(resolve => setTimeout(resolve, pollMs));
        const now = figureSignature(figure);
        if (now !== pixels) {
            pixels = now;
            quietSince = performance.now();
        } else if (performance.now() - quietSince >= quietMs && kernelIdle(path)) {
            return true;
        }
    }
    return false;
}
"""


class NotebookPage:
    """One notebook open in a browser page, in JupyterLab or Notebook 7.

    Inputs:
        page: a playwright Page (fresh context).
        server: the JupyterServer serving the notebook (used by open(); None with attach()).
        path: the notebook's path relative to the served root (chapters/).
    """

    def __init__(self, page, server: JupyterServer | None, path: str):
        self.page = page
        self.server = server
        self.path = path
        self.panel = None  # locator of the notebook panel, after open()

    def open(self) -> NotebookPage:
        """Load the page; wait until the notebook's own kernel is connected and idle."""
        self.page.goto(self.server.notebook_url(self.path))
        return self.attach()

    def attach(self) -> NotebookPage:
        """For a page already showing the notebook (e.g. after a hub's redirects): wait until its
        own kernel is connected and idle."""
        self.wait_kernel_idle()
        panel_id = self.page.evaluate(_PANEL_ID_JS, self.path)
        self.panel = self.page.locator(f"#{panel_id}")
        return self

    def wait_kernel_idle(self) -> None:
        self.page.wait_for_function(_KERNEL_IDLE_JS, arg=self.path,
                                    timeout=KERNEL_TIMEOUT_S * 1000)

    def kernel_idle(self) -> bool:
        return bool(self.page.evaluate(_KERNEL_IDLE_JS, self.path))

    def run_all(self) -> None:
        """Clear the committed outputs, run every cell, wait for the kernel to go idle."""
        result = self.page.evaluate(_RUN_ALL_JS, self.path)
        self.wait_kernel_idle()
        assert result["ok"], (f"Run All reported a failing cell in {self.path}: "
                              f"{self.error_outputs()}")
        assert result["code"] > 0 and result["notRun"] == 0, (
            f"Run All left {result['notRun']} of {result['code']} code cells of {self.path} "
            f"without an execution count")

    def error_outputs(self) -> list[str]:
        """Error and stderr outputs, from the notebook model and from the page."""
        bad = self.page.evaluate(_ERROR_OUTPUTS_JS, self.path)
        # JupyterLab 4 renders both tracebacks and stderr with this MIME type.
        rendered = self.panel.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        bad += [f"rendered stderr/error output: {text[:500]}"
                for text in rendered.all_inner_texts()]
        return bad

    def run_in_kernel(self, code: str, timeout: float = KERNEL_TIMEOUT_S) -> str:
        """Execute `code` in the notebook's kernel (not in a cell); returns its stdout. Fails when
        the kernel has not answered within `timeout` seconds."""
        result = self.page.evaluate(_EXECUTE_JS, [self.path, code, timeout * 1000])
        assert result["status"] == "ok", f"kernel-side check failed: {result['error']}"
        return result["stdout"]

    def dashboards(self):
        """Locator of every output holding a slider, i.e. the dashboards, in order."""
        return self.panel.locator(".jp-OutputArea-output:has(.widget-slider)")

    def wait_dashboards(self, count: int) -> None:
        """Wait until exactly `count` dashboards are on the page. Widget views render after
        Run All has finished (the front end builds them from comm messages), so counting right
        away can find none."""
        _expect()(self.dashboards(), (
            f"{self.path}: expected {count} dashboards (outputs with sliders); if the chapter's "
            f"dashboards changed, update tests/browser/dashboards.py")).to_have_count(
                count, timeout=KERNEL_TIMEOUT_S * 1000)

    def dashboard(self, spec) -> DashboardView:
        """The dashboard of a tests.browser.dashboards.Dashboard entry."""
        return DashboardView(self, spec)


class DashboardView:
    """The controls, buttons, readout and figure of one dashboard on the page.

    Controls are found by their label (their description), within the dashboard's output.

    Inputs:
        notebook: the NotebookPage.
        spec: its tests.browser.dashboards.Dashboard entry.
    """

    # The element of each kind of control (the `widget` of its entry in dashboards.py).
    CONTROL_CSS = {"slider": ".widget-slider", "dropdown": ".widget-dropdown", "buttons": ".widget-toggle-buttons"}

    def __init__(self, notebook: NotebookPage, spec):
        self.notebook = notebook
        self.page = notebook.page
        self.spec = spec
        self.root = notebook.dashboards().nth(spec.index)
        self.readout = self.root.locator(".bplib-readout .widget-html-content")
        # the figure, drawn in the browser (bqplot), that bplib's Dashboard marks with this class
        self.figure = self.root.locator(".bplib-figure").first

    def _spec_of(self, name: str):
        found = [c for c in self.spec.controls if c.name == name]
        if not found:
            raise ValueError(f"name: expected a control of {self.spec.name} "
                             f"({[c.name for c in self.spec.controls]}), got {name!r}")
        return found[0]

    def control(self, name: str):
        """The element of the control labelled `name`."""
        label = self.page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(name)}$"))
        return self.root.locator(self.CONTROL_CSS[self._spec_of(name).widget]).filter(has=label)

    def slider(self, i: int):
        """The element of slider i (spec.sliders[i])."""
        return self.control(self.spec.sliders[i].name)

    def button(self, text: str):
        """The button (Button or ToggleButton, not a ToggleButtons option) showing `text`."""
        return self.root.locator(".widget-button, .widget-hbox > .widget-toggle-button").filter(
            has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))

    def wait_rendered(self, values: dict | None = None) -> None:
        """Wait for the controls (sliders with their labels, in order), the readout and the figure."""
        expect = _expect()
        names = [s.name for s in self.spec.sliders]
        expect(self.root.locator(".widget-slider .widget-label")).to_have_text(
            names, timeout=KERNEL_TIMEOUT_S * 1000)
        for control in self.spec.controls:
            expect(self.control(control.name)).to_have_count(1, timeout=KERNEL_TIMEOUT_S * 1000)
        expect(self.figure).to_be_visible(timeout=KERNEL_TIMEOUT_S * 1000)
        self.expect_readout(self.spec.start_values() if values is None else values)

    # -- moving a control ----------------------------------------------------------------
    def press(self, i: int, presses: int) -> None:
        """Focus slider i's handle and press ArrowRight (presses > 0) or ArrowLeft."""
        self.slider(i).locator(".noUi-handle").focus()
        key = "ArrowRight" if presses > 0 else "ArrowLeft"
        for _ in range(abs(presses)):
            self.page.keyboard.press(key)

    def type_value(self, i: int, value: float) -> None:
        """Type `value` into slider i's readout (click, select all, type, Enter)."""
        text = self.spec.sliders[i].text(value)
        self.slider(i).locator(".widget-readout").click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")

    def choose(self, name: str, option) -> None:
        """Pick `option` in the dropdown or toggle buttons labelled `name`."""
        spec = self._spec_of(name)
        if spec.widget == "dropdown":
            self.control(name).locator("select").select_option(label=spec.label(option))
        else:
            self._option_button(name, option).click()

    def _option_button(self, name: str, option):
        text = self._spec_of(name).label(option)
        return self.control(name).locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))

    def click(self, text: str) -> None:
        """Click the button showing `text` (e.g. "Step"; a ToggleButton's "Start" or "Stop")."""
        self.button(text).click()

    # -- what is on screen ---------------------------------------------------------------
    def expect_slider(self, i: int, value: float) -> None:
        """Slider i's own readout shows `value`."""
        _expect()(self.slider(i).locator(".widget-readout")).to_have_text(
            self.spec.sliders[i].shown(value), timeout=KERNEL_TIMEOUT_S * 1000)

    def expect_choice(self, name: str, option) -> None:
        """The dropdown or toggle buttons labelled `name` show `option` as chosen."""
        spec = self._spec_of(name)
        expect = _expect()
        if spec.widget == "dropdown":
            select = self.control(name).locator("select")
            expect(select.locator("option:checked")).to_have_text(spec.label(option),
                                                                   timeout=KERNEL_TIMEOUT_S * 1000)
        else:
            expect(self._option_button(name, option)).to_have_class(re.compile(r"\bmod-active\b"),
                                                                   timeout=KERNEL_TIMEOUT_S * 1000)

    def expect_button(self, text: str) -> None:
        """A button showing `text` is on screen (e.g. Start/Stop after the kernel relabelled it)."""
        _expect()(self.button(text)).to_be_visible(timeout=KERNEL_TIMEOUT_S * 1000)

    def expect_readout(self, values: dict) -> None:
        """The readout shows, in order, the pieces spec.readout(values) computes.

        Matched against the text content: innerText is empty while JupyterLab skips rendering
        an off-screen cell (content-visibility), and table cells have no space between them
        there, so any whitespace in a piece may be absent on the page.
        """
        pieces = self.spec.readout(values)
        pattern = r"[\s\S]*".join(r"\s*".join(re.escape(word) for word in piece.split())
                                  for piece in pieces)
        _expect()(self.readout).to_have_text(re.compile(pattern),
                                             timeout=KERNEL_TIMEOUT_S * 1000)

    def readout_text(self) -> str:
        return self.readout.text_content()

    def figure_png(self) -> bytes:
        return self.figure.screenshot(animations="disabled", caret="hide")

    def figure_pixels(self) -> str:
        """What the figure itself shows (see figureSignature): its markup and canvases. Unlike an
        element screenshot, whose clip may gain or lose a row as the page's layout shifts (or whose
        anti-aliasing may differ by a pixel), it changes only with the figure."""
        return self.figure.evaluate(_HELPERS_JS + "figureSignature")

    def wait_quiet(self, timeout: float = KERNEL_TIMEOUT_S) -> None:
        """Wait until the figure has stopped changing.

        Quiet: the figure's signature (sampled every SETTLE_POLL_MS in the page) has not changed
        for SETTLE_QUIET_MS while the kernel is idle, i.e. no redraw is still being computed
        or on its way. No fixed sleep: a slow redraw just makes the wait longer.
        """
        quiet = self.page.evaluate(
            _SETTLED_JS, [self.notebook.path, self.figure.element_handle(), SETTLE_QUIET_MS,
                          SETTLE_POLL_MS, timeout * 1000])
        assert quiet, f"the {self.spec.name} figure was still changing after {timeout:.0f} s"

    def wait_settled(self, timeout: float = KERNEL_TIMEOUT_S) -> bytes:
        """wait_quiet(), then return the figure's element screenshot (PNG bytes): what is on
        screen."""
        self.wait_quiet(timeout)
        return self.figure_png()


# ---- failure artifacts -----------------------------------------------------------------
def save_artifacts(name: str, page, console: ConsoleLog, server: JupyterServer | None) -> Path:
    """Save a page screenshot, one per dashboard, the console log and the server log tail
    into test-artifacts/browser/<name>/. Returns that folder."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "console.log").write_text(console.text())
    if server is not None:
        (folder / "server.log").write_text(server.log_tail(400))
    try:
        page.screenshot(path=folder / "page.png")
        outputs = page.locator(".jp-OutputArea-output:has(.widget-slider)")
        for i in range(outputs.count()):
            outputs.nth(i).screenshot(path=folder / f"dashboard-{i}.png", timeout=5000)
    except Exception as exc:  # noqa: BLE001 - a broken page must not hide the test's own error
        (folder / "screenshot-error.txt").write_text(repr(exc))
    return folder
