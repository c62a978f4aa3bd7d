"""nbgrader itself, on the course's notebooks: instructors may hand out and grade with it.

In a temporary course directory, with nbgrader from the pinned instructor environment
(requirements-instructor.txt, in ./.venv-instructor, which scripts/test.sh creates):
  - `nbgrader generate_assignment` on solutions/ gives exactly the cells of exercises/;
  - `nbgrader autograde` gives every solution full marks and every untouched exercise zero:
    the check cells' hidden-test blocks (restored by autograde) call bplib.grade.require_pass,
    which fails unless the public and every hidden check pass.
Skipped with a notice without that environment; with BPLIB_REQUIRE_NBGRADER=1 (CI) a missing
environment fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import nbformat
import pytest
from conftest import EXERCISES, ROOT, SOLUTIONS

from bplib.checks import TASKS
from tools import make_exercises as gen

pytestmark = pytest.mark.notebooks

INSTRUCTOR_BIN = ROOT / ".venv-instructor" / "bin"
ASSIGNMENT = "backprop"
NOTEBOOKS = [path.name for path in gen.solution_paths(SOLUTIONS)]


def _instructor_python():
    python = INSTRUCTOR_BIN / "python"
    if python.exists():
        return python
    reason = (f"nbgrader tests not run: no instructor environment at {INSTRUCTOR_BIN.parent.relative_to(ROOT)} "
              "(create it with: python -m venv .venv-instructor && "
              ".venv-instructor/bin/pip install -r requirements-instructor.txt)")
    if os.environ.get("BPLIB_REQUIRE_NBGRADER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _nbgrader(python, course, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    home = course / "home"
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
               PATH=os.pathsep.join([str(python.parent), env.get("PATH", "")]),  # nbgrader runs `alembic` by name
               OPENBLAS_NUM_THREADS="1")
    run = subprocess.run([str(python), "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


def _as_handed_in(solution_path, target) -> None:
    """A learner's finished notebook: the solution as the learner sees it (no hidden tests)."""
    nb = nbformat.read(solution_path, as_version=4)
    for cell in nb.cells:
        cell.source = gen.strip_hidden_tests(cell.source, solution_path.name)
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    python = _instructor_python()
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.root = "."\nc.CourseDirectory.course_id = "backprop-by-hand"\n')
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy(SOLUTIONS / name, source / name)
    _nbgrader(python, course, "generate_assignment", ASSIGNMENT, "--force")
    for student, make in (("alice", lambda name, target: _as_handed_in(SOLUTIONS / name, target)),
                          ("bob", lambda name, target: shutil.copy(EXERCISES / name, target))):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name in NOTEBOOKS:
            make(name, folder / name)
    _nbgrader(python, course, "autograde", ASSIGNMENT, "--create", "--force")
    scores = subprocess.run([str(python), "-c", SCORES_SCRIPT, str(course / "gradebook.db"), ASSIGNMENT],
                            capture_output=True, text=True, check=True).stdout
    return {"path": course, "scores": json.loads(scores)}


SCORES_SCRIPT = """
import json, sys
from nbgrader.api import Gradebook
with Gradebook("sqlite:///" + sys.argv[1]) as gb:
    out = {}
    for student in ("alice", "bob"):
        submission = gb.find_submission(sys.argv[2], student)
        out[student] = {nb.name: {g.name: [g.score, g.max_score] for g in nb.grades} for nb in submission.notebooks}
print(json.dumps(out))
"""


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_generate_assignment_gives_exactly_our_exercises(course, name):
    released = nbformat.read(course["path"] / "release" / ASSIGNMENT / name, as_version=4)
    ours = nbformat.read(EXERCISES / name, as_version=4)
    assert [(c.cell_type, c.source) for c in released.cells] == [(c.cell_type, c.source) for c in ours.cells]


def _grades(course, student, name) -> dict:
    return course["scores"][student][name.removesuffix(".ipynb")]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_autograde_gives_a_solution_full_marks(course, name):
    grades = _grades(course, "alice", name)
    exercise = name[:2]
    points = {t.id: t.points for t in TASKS.values() if t.chapter == exercise}
    assert len(grades) == len(points)
    assert all(score == max_score > 0 for score, max_score in grades.values()), grades
    assert sum(max_score for _, max_score in grades.values()) == sum(points.values())


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_autograde_gives_an_untouched_exercise_zero(course, name):
    grades = _grades(course, "bob", name)
    assert grades and all(score == 0 for score, _ in grades.values()), grades
