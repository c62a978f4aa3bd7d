"""A learner's first minutes, as `bash scripts/learn.sh` gives them: JupyterLab serves the whole
course with chapter 01 open, and the links between a chapter and its exercise open in it.

The script itself is run, from a copy of the repository, so its JupyterLab arguments and working
directory are the ones a learner gets. Only the environment set-up is skipped: BPLIB_VENV points
it at the test environment and BPLIB_SKIP_INSTALL=1 leaves that as it is. The test's own
arguments (no browser, a free port, a token, the app exposed to the page) come after the
script's, as a learner's extra arguments would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import harness

CHAPTER = "chapters/01_sigmoid_derivative.ipynb"
EXERCISE = "exercises/01_sigmoid_derivative.ipynb"
TIMEOUT_MS = harness.KERNEL_TIMEOUT_S * 1000

# The path of the notebook in the main area's current tab.
_CURRENT_PATH_JS = """
() => {
    const app = window.jupyterapp;
    const widget = app && app.shell && app.shell.currentWidget;
    return widget && widget.context ? widget.context.path : null;
}
"""


class LearnShServer(harness.JupyterServer):
    """JupyterLab as scripts/learn.sh starts it, in a copy of the repository under `workdir`."""

    def __init__(self, workdir: Path):
        super().__init__("jupyterlab", workdir)
        self.root_dir = self.workdir / "course"

    def command(self) -> list[str]:
        return [
            "bash", str(self.root_dir / "scripts" / "learn.sh"),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port=0",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",
        ]

    def launch(self) -> LearnShServer:
        shutil.copytree(harness.ROOT, self.root_dir, ignore=_not_course_files)
        env = self._environment()
        env.update(BPLIB_VENV=str(Path(sys.prefix)), BPLIB_SKIP_INSTALL="1")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        # learn.sh ends with `exec python -m jupyterlab`: the process started here is the server.
        self.process = subprocess.Popen(
            self.command(), env=env, cwd=self.workdir, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=harness._die_with_parent if sys.platform.startswith("linux") else None)
        return self


def _not_course_files(folder: str, names: list[str]) -> set[str]:
    skip = {".git", ".venv", ".venv-test", ".venv-instructor", ".venv-min", "test-artifacts", "__pycache__",
            ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", ".hypothesis"}
    return {name for name in names if name in skip or name.endswith(".egg-info")}


@pytest.fixture
def learn_sh(tmp_path):
    server = LearnShServer(tmp_path).start()
    try:
        yield server
    finally:
        leftover = server.stop()
    assert not leftover, f"learn.sh's JupyterLab left processes behind: {leftover}"


def _wait_current(page, path: str) -> None:
    page.wait_for_function(f"() => ({_CURRENT_PATH_JS})() === {path!r}", timeout=TIMEOUT_MS)


def _follow(page, link_text: str, target: str) -> None:
    """Click the first rendered link showing `link_text` in the current notebook; wait for
    `target` to open in the current tab, with no error dialog ("Could not find path")."""
    panel = page.locator(".jp-NotebookPanel:visible")
    link = panel.locator(".jp-RenderedMarkdown a", has_text=link_text).first
    link.scroll_into_view_if_needed()
    link.click()
    _wait_current(page, target)
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
    harness._expect()(page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown").first).to_be_visible(
        timeout=TIMEOUT_MS)


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_learn_sh_opens_the_course_and_its_links_work(browser, learn_sh):
    listing = {item["name"] for item in learn_sh.api("GET", "/api/contents")["content"]}
    assert {"README.md", "chapters", "exercises", "solutions"} <= listing, (
        f"JupyterLab's root should be the repository, it lists {sorted(listing)}")

    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    console = harness.ConsoleLog(page)
    try:
        # What the learner's browser opens: the server's root URL, redirected to chapter 01.
        page.goto(f"{learn_sh.base_url}/?token={learn_sh.token}")
        _wait_current(page, CHAPTER)
        assert f"/lab/tree/{CHAPTER}" in page.url

        _follow(page, EXERCISE, EXERCISE)
        assert f"/lab/tree/{EXERCISE}" in page.url
        _follow(page, "chapter 01", CHAPTER)
        assert console.errors() == []
    except Exception:
        harness.save_artifacts("test_learn_sh", page, console, learn_sh)
        raise
    finally:
        context.close()
