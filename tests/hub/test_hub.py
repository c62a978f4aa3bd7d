"""The course on a real JupyterHub (tests/hub/hubctl.py): learners log in, follow the nbgitpuller
link the instructor hands out, and work in JupyterLab on the copy it puts in their home.

Marker `hub`: scripts/test.sh runs them as their own stage (`pytest tests/hub -m hub`). Without
the hub (unmarked, part of the ordinary suite): a missing hub environment skips them loudly, or,
with BPLIB_REQUIRE_HUB=1 as in CI, fails them.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import subprocess
import time
import urllib.parse

import nbformat
import pytest

from tests.browser import harness
from tests.browser.dashboards import DASHBOARDS, MOVED
from tests.hub import hubctl

CHAPTER_01 = "chapters/01_sigmoid_derivative.ipynb"
CHAPTER_02 = "chapters/02_chain_rule_graphs.ipynb"
EXERCISE_01 = "exercises/01_sigmoid_derivative.ipynb"
LEARNER_MARK = "My answer to 1.1: sigma' = a (1 - a), derived by hand."
CHAPTER_UPDATE = "A note added on day 2 of the workshop."
DAY_2_CELL = "Updated for the workshop's second day."
UPDATE_TEXT = "Day 2: exercise 01 has a new first cell; chapter 02 a note at its end.\n"
START_TIMEOUT_MS = hubctl.START_TIMEOUT_S * 1000
README = (hubctl.ROOT / "README.md").read_text()
ASSIGNMENT = "exercises"  # nbgrader's assignment: the course's exercises/ folder (deploy/nbgrader_config.py)
GRADING = "grading"  # the instructor's nbgrader course folder, in their home
# Exercise 01's answer cells (their position in the notebook) and a right and a wrong answer to
# each: alice answers 1.1 right and 1.3 wrong, bob the other way round; 1.2 and 1.4 stay undone.
ANSWER_CELLS = {"1.1": 3, "1.3": 9}
CHECK_CELLS = {"1.1": 4, "1.2": 7, "1.3": 10, "1.4": 13}
RIGHT = {"1.1": "def sigmoid_prime(z):\n    s = sigmoid(z)\n    return s * (1 - s)",
         "1.3": "def tanh_prime(z):\n    return 1 - np.tanh(z) ** 2"}
WRONG = {"1.1": "def sigmoid_prime(z):\n    return sigmoid(z) * (1 + sigmoid(z))",
         "1.3": "def tanh_prime(z):\n    return 1 - np.tanh(z)"}
ANSWERS = {"alice": {"1.1": RIGHT["1.1"], "1.3": WRONG["1.3"]},
           "bob": {"1.1": WRONG["1.1"], "1.3": RIGHT["1.3"]}}


@pytest.mark.hub
@pytest.mark.timeout(300)
def test_a_learner_logs_in_follows_the_link_and_runs_chapter_01(browser, hub):
    for role in ("alice", "bob"):
        learner = hub.users[role]
        with _in_browser(browser, hub, learner, CHAPTER_01, f"hub_{role}") as notebook:
            # The kernel is the learner's own process (LocalProcessSpawner), not root's.
            assert notebook.run_in_kernel("import getpass; print(getpass.getuser())").strip() == learner.name
            # ... with one OpenBLAS thread, from the kernel spec README's install writes
            assert notebook.run_in_kernel("import os; print(os.environ.get('OPENBLAS_NUM_THREADS'))").strip() == "1"
            notebook.run_all()
            errors = notebook.error_outputs()
            assert errors == [], f"{learner.name}: chapter 01 has error outputs: {errors}"
            _move_a_slider_and_see_the_figure_change(notebook)
        _assert_course_in_home(hub, learner)


@pytest.mark.hub
@pytest.mark.timeout(120)
def test_the_link_puts_the_course_in_the_learners_home_owned_by_them(hub):
    # The same pull without a browser (nbgitpuller's API, which the link's page calls), for a
    # learner the browser test does not use.
    learner = hub.users["carol"]
    hub.start_server(learner)
    try:
        events = hub.pull(learner)
    finally:
        hub.stop_server(learner)
    assert events and events[-1]["phase"] == "finished", events
    _assert_course_in_home(hub, learner)


@pytest.mark.hub
def test_the_hub_has_an_instructor_who_is_admin_and_three_learners(hub):
    users = {user["name"]: user["admin"] for user in hub.api("GET", "/users")}
    assert users == {account.name: account.role == "instructor" for account in hub.users.values()}
    assert [a.role for a in hub.learners] == ["alice", "bob", "carol"]


@pytest.mark.hub
@pytest.mark.timeout(600)
def test_learners_answer_exercise_01_submit_it_and_the_instructor_grades_it(browser, hub):
    # The workshop guide's collecting and grading, as README says: the instructor releases the
    # exercises to nbgrader's exchange; alice and bob, in the browser, answer one task right and one
    # wrong, run the checks, save and press Submit in the Assignments tab; the instructor collects
    # with nbgrader and grades with python -m bplib.grade, in a terminal of their own on the hub.
    instructor = hub.instructor
    hub.start_server(instructor)
    try:
        assert hub.pull(instructor)[-1]["phase"] == "finished"
        _as(hub, instructor, _readme_commands("**Collecting.**"), instructor.home)  # the release
    finally:
        hub.stop_server(instructor)

    for role in ("alice", "bob"):
        learner = hub.users[role]
        try:
            with _in_browser(browser, hub, learner, EXERCISE_01, f"hub_exercise_{role}") as notebook:
                for task, answer in ANSWERS[role].items():
                    _write_cell(notebook, ANSWER_CELLS[task], answer)
                notebook.run_all()
                shown = {task: _output_text(notebook, cell) for task, cell in CHECK_CELLS.items()}
                for task, answer in ANSWERS[role].items():
                    if answer == RIGHT[task]:
                        assert shown[task].endswith(": passed"), (role, task, shown[task])
                    else:
                        assert ": wrong:" in shown[task] and "Hint:" in shown[task], (role, task, shown[task])
                        assert "np.tanh(z) ** 2" not in shown[task] and "s * (1 - s)" not in shown[task]
                assert all(shown[t].endswith("not implemented yet") for t in ("1.2", "1.4")), shown
                _save(notebook, learner)
                _submit(notebook.page)
        finally:
            hub.stop_server(learner)

    grading = instructor.home / GRADING
    collect = f"cd ~/{GRADING} && nbgrader collect {ASSIGNMENT}"
    grade = "python -m bplib.grade submitted/ --out grades/ --exercise 01"
    for command in (collect, grade.replace("01", "03")):
        assert f"`{command}`" in README or f"\n{command}\n" in README, f"README no longer says {command!r}"
    _as(hub, instructor, collect, instructor.home)
    _as(hub, instructor, grade, grading)
    with open(grading / "grades" / "scores.csv", newline="", encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["exercise"] == "01"]
    verdicts = {(row["student"], row["task"]): row["verdict"] for row in rows}
    assert {row["isolated"] for row in rows} == {"yes"}
    for role in ("alice", "bob"):
        name = hub.users[role].name
        expected = {task: "not implemented" for task in CHECK_CELLS}
        expected |= {task: "passed" if answer == RIGHT[task] else "wrong" for task, answer in ANSWERS[role].items()}
        assert {task: verdicts.get((name, task)) for task in CHECK_CELLS} == expected, (role, rows)
    assert {row["student"] for row in rows} == {hub.users["alice"].name, hub.users["bob"].name}  # carol did not submit
    summary = json.loads((grading / "grades" / "scores.json").read_text())
    feedback = {entry["student"]: (grading / "grades" / entry["feedback"]).read_text()
                for entry in summary["submissions"] if entry["exercise"] == "01"}
    assert "Hint:" in feedback[hub.users["alice"].name] and "1.3" in feedback[hub.users["alice"].name]
    assert "Hint:" in feedback[hub.users["bob"].name] and "1.1" in feedback[hub.users["bob"].name]


@pytest.mark.hub
@pytest.mark.timeout(180)
def test_a_course_update_arrives_and_the_learners_work_survives(hub):
    # The instructor commits an update to the course source; the learner, who has edited an
    # exercise (which the update changes too) and written a file of her own, follows the link
    # again. Runs last: it adds a commit to the session's source.
    learner = hub.users["carol"]
    clone = learner.home / hubctl.COURSE_NAME
    hub.start_server(learner)
    try:
        assert hub.pull(learner)[-1]["phase"] == "finished"  # the course is there (again)
        exercise = clone / EXERCISE_01
        mine = nbformat.read(exercise, as_version=4)
        mine.cells.append(nbformat.v4.new_markdown_cell(LEARNER_MARK))
        _write_as(learner, exercise, nbformat.writes(mine))
        _write_as(learner, clone / "my_notes.md", "what I learnt today\n")

        update = _publish_update(hub.course)
        events = hub.pull(learner)
    finally:
        hub.stop_server(learner)
    assert events and events[-1]["phase"] == "finished", events
    assert (clone / "UPDATE.md").read_text() == UPDATE_TEXT  # a new file arrives
    assert CHAPTER_UPDATE in (clone / CHAPTER_02).read_text()  # a file she did not touch is updated
    kept = nbformat.read(clone / EXERCISE_01, as_version=4)
    assert kept.cells[-1].source == LEARNER_MARK  # her edit survives an update of the same file ...
    assert kept.cells[0].source == DAY_2_CELL  # ... which arrives where it does not touch her edit
    assert (clone / "my_notes.md").read_text() == "what I learnt today\n"
    assert _git(clone, "merge-base", "--is-ancestor", update, "HEAD", check=False).returncode == 0, (
        "the update's commit is not in the learner's clone")
    _assert_owned_by(learner, clone)


# ---- steps -----------------------------------------------------------------------------
@contextlib.contextmanager
def _in_browser(browser, hub, learner, path: str, artifacts: str):
    """A fresh browser for `learner`: logged in, the link to `path` (a notebook of the course)
    followed, the NotebookPage attached. Afterwards the browser console must hold no error; on
    any failure the page's artifacts are saved under `artifacts`."""
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    console = harness.ConsoleLog(page)
    try:
        _log_in_and_follow(page, hub, learner, hub.pull_link(path))
        yield harness.NotebookPage(page, None, f"{hubctl.COURSE_NAME}/{path}").attach()
        assert console.errors() == [], f"{learner.name}: errors in the browser console"
    except BaseException:
        harness.save_artifacts(artifacts, page, console, hub)
        raise
    finally:
        context.close()


def _log_in_and_follow(page, hub, learner, link: str) -> None:
    """Sign in on the hub's login page with `link` as the page to go to next; wait until the
    hub has started the learner's server and nbgitpuller has opened the notebook in JupyterLab."""
    parts = urllib.parse.urlsplit(link)
    next_url = urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))  # the hub wants a local path
    page.goto(f"{hub.url}/hub/login?{urllib.parse.urlencode({'next': next_url})}")
    page.fill("#username_input", learner.name)
    page.fill("#password_input", learner.password)
    page.click("#login_submit")
    target = urllib.parse.parse_qs(parts.query)["urlpath"][0]
    page.wait_for_url(re.compile(rf"/user/{re.escape(learner.name)}/{re.escape(target)}(\?|$)"),
                      timeout=START_TIMEOUT_MS)


def _move_a_slider_and_see_the_figure_change(notebook) -> None:
    """Chapter 01's sigmoid dashboard: press its first slider's arrow keys; the slider, the
    readout (computed by tests/browser/dashboards.py) and the figure must all follow."""
    spec = next(d for d in DASHBOARDS if d.notebook == CHAPTER_01.split("/")[-1] and d.index == 0)
    view = notebook.dashboard(spec)
    view.wait_rendered()
    before_png, before_pixels = view.wait_settled(), view.figure_pixels()

    slider = spec.sliders[0]
    view.press(0, slider.presses)
    values = {**spec.start_values(), slider.name: slider.after_presses(slider.initial), MOVED: slider.name}
    view.expect_slider(0, values[slider.name])
    view.expect_readout(values)
    after_png, after_pixels = view.wait_settled(), view.figure_pixels()
    assert after_png != before_png and after_pixels != before_pixels, (
        f"the {spec.name} figure did not change after {slider.name} = {values[slider.name]}")


def _write_cell(notebook, index: int, source: str) -> None:
    """Replace code cell `index`'s text as a learner does: click into it, select all, type."""
    editor = notebook.panel.locator(".jp-Cell").nth(index).locator(".cm-content")
    editor.click()
    notebook.page.keyboard.press("Control+A")
    notebook.page.keyboard.insert_text(source)
    typed = notebook.page.evaluate(_CELL_SOURCE_JS, [notebook.path, index])
    assert typed == source, f"cell {index} reads {typed!r} after typing {source!r}"


def _output_text(notebook, index: int) -> str:
    """What cell `index`'s output says on the page."""
    return notebook.panel.locator(".jp-Cell").nth(index).locator(".jp-OutputArea-output").inner_text().strip()


def _save(notebook, learner) -> None:
    """Ctrl+S; the file in the learner's home then holds the answers and the checks' outputs."""
    notebook.panel.locator(".jp-Cell").first.click()  # command mode in the notebook
    notebook.page.keyboard.press("Control+S")
    path = learner.home / hubctl.COURSE_NAME / EXERCISE_01
    expected = ANSWERS[learner.role]
    deadline = time.monotonic() + 30
    while True:
        saved = nbformat.read(path, as_version=4)
        if all(saved.cells[ANSWER_CELLS[t]].source == a for t, a in expected.items()) and saved.cells[
                CHECK_CELLS["1.1"]].get("outputs"):
            return
        assert time.monotonic() < deadline, f"{path} was not saved with the answers within 30 s"
        time.sleep(0.2)


def _submit(page) -> None:
    """Nbgrader > Assignment List, Submit next to the assignment; wait until it is listed as
    submitted."""
    page.get_by_role("menuitem", name="Nbgrader").click()
    # README's install takes nbgrader's instructor tools out of the learners' menus (so does
    # scripts/test.sh for .venv-hub).
    disabled = re.findall(r"@jupyter/nbgrader:([a-z-]+)", README[README.index("labextension disable"):][:300])
    assert "formgrader" in disabled, disabled
    commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
    assert [c for c in commands if c.startswith("nbgrader:open-") and c[len("nbgrader:open-"):] in disabled] == []
    page.get_by_role("menuitem", name=re.compile("Assignment List")).click()
    panel = page.locator("#nbgrader-assignment-list")
    fetched = panel.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT)
    fetched.get_by_role("button", name="Submit").click()
    submitted = panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
    harness._expect()(submitted.first).to_be_visible(timeout=60_000)


def _readme_commands(marker: str) -> str:
    """The first ```bash block after `marker` in the README: the commands the test runs."""
    after = README[README.index(marker):]
    return after[after.index("```bash\n") + len("```bash\n"):].split("```", 1)[0]


def _as(hub, account, script: str, cwd) -> str:
    """Run a shell `script` as `account` (the instructor's terminal on the hub); its output."""
    done = hub.run_as(account, ["bash", "-c", script], cwd)
    assert done.returncode == 0, f"{script!r} as {account.name}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _assert_course_in_home(hub, learner) -> None:
    """The course is a git clone of the source's commit in the learner's home, and every file
    of it is the learner's."""
    clone = learner.home / hubctl.COURSE_NAME
    assert (clone / CHAPTER_01).is_file(), f"{clone / CHAPTER_01} is missing"
    assert _head(clone) == _head(hub.course)
    _assert_owned_by(learner, clone)


def _assert_owned_by(learner, clone) -> None:
    not_theirs = [str(path) for path in [clone, *clone.rglob("*")]
                  if path.lstat().st_uid != learner.uid or path.lstat().st_gid != learner.gid]
    assert not not_theirs, f"not owned by {learner.name}: {not_theirs[:10]}"


def _head(repo) -> str:
    return _git(repo, "rev-parse", "HEAD").stdout.strip()


def _git(repo, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    # As root, git reads a repository a learner owns only when told it is safe.
    return subprocess.run(["git", "-c", f"safe.directory={repo}", "-C", str(repo), *args],
                          capture_output=True, text=True, check=check)


def _write_as(learner, path, text: str) -> None:
    """Write `path` in the learner's home as the learner would: the file is theirs."""
    path.write_text(text)
    os.chown(path, learner.uid, learner.gid)


def _publish_update(course) -> str:
    """The instructor's update, committed in the course source: exercise 01 and chapter 02
    changed, a new file. Returns the commit."""
    exercise = nbformat.read(course / EXERCISE_01, as_version=4)
    exercise.cells.insert(0, nbformat.v4.new_markdown_cell(DAY_2_CELL))
    nbformat.write(exercise, course / EXERCISE_01)
    chapter = nbformat.read(course / CHAPTER_02, as_version=4)
    chapter.cells.append(nbformat.v4.new_markdown_cell(CHAPTER_UPDATE))
    nbformat.write(chapter, course / CHAPTER_02)
    (course / "UPDATE.md").write_text(UPDATE_TEXT)
    _git(course, "add", "-A")
    _git(course, "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org",
         "commit", "--quiet", "-m", "Day 2: an updated exercise 01, a note in chapter 02")
    return _head(course)


_CELL_SOURCE_JS = harness._HELPERS_JS + """
([path, index]) => panelFor(path).content.model.cells.get(index).sharedModel.getSource()"""


# ---- without a hub ---------------------------------------------------------------------
def _run_hub_tests_without_venv(tmp_path, require: bool):
    return harness.run_pytest_without(
        f"{__file__}::test_the_hub_has_an_instructor_who_is_admin_and_three_learners", "hub",
        {"BPLIB_HUB_VENV": str(tmp_path / "no-venv-here"), "BPLIB_REQUIRE_HUB": "1" if require else None})


def _expected_reason(tmp_path) -> str:
    if os.geteuid() != 0:
        return "run them as root"
    return f"no {tmp_path / 'no-venv-here'} with JupyterHub"


def test_missing_hub_environment_skips_and_says_why(tmp_path):
    result = _run_hub_tests_without_venv(tmp_path, require=False)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "1 skipped" in out and _expected_reason(tmp_path) in out, out
    assert re.search(r"^=+ hub tests not run =+$", out, re.MULTILINE), out


def test_missing_hub_environment_fails_when_required(tmp_path):
    result = _run_hub_tests_without_venv(tmp_path, require=True)
    out = result.stdout
    assert result.returncode != 0, out
    assert "1 error" in out and "BPLIB_REQUIRE_HUB=1" in out and _expected_reason(tmp_path) in out, out


def test_files_a_test_user_leaves_in_a_shared_temporary_folder_are_found(tmp_path):
    (tmp_path / "theirs").write_text("x")
    (tmp_path / "mine").write_text("x")
    uid = os.stat(tmp_path / "mine").st_uid
    if os.geteuid() == 0:  # a file of another user (root can make one)
        os.chown(tmp_path / "theirs", hubctl.NOBODY_UID, -1)
        assert hubctl.files_of({hubctl.NOBODY_UID}, [tmp_path]) == [str(tmp_path / "theirs")]
    assert sorted(hubctl.files_of({uid}, [tmp_path, tmp_path / "absent"])) == sorted(
        str(p) for p in tmp_path.iterdir() if p.stat().st_uid == uid)
    assert hubctl.files_of({uid + 12345}, [tmp_path]) == []
