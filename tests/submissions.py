"""Submissions as a workshop really returns them: right, half done, wrong, broken, hostile.

Each kind is made from a committed solution or exercise notebook by editing cells, so it
stays in step with the course. Used by tests/test_grade*.py and benchmarks/grade_batch.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def notebook_path(folder: Path, exercise: str) -> Path:
    (path,) = sorted(folder.glob(f"{exercise}_*.ipynb"))
    return path


def solution(exercise: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(SOLUTIONS, exercise), as_version=4)


def exercise_notebook(exercise: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(EXERCISES, exercise), as_version=4)


def answer_cell(nb, task_id: str):
    """The solution (answer) cell of a task."""
    return next(c for c in nb.cells if c.metadata.get("bplib", {}).get("task") == task_id
                and c.metadata.get("nbgrader", {}).get("solution"))


def _code(source: str):
    return nbformat.v4.new_code_cell(source)


def _edited(base: Callable[[str], nbformat.NotebookNode], edit: Callable | None = None):
    def make(exercise: str):
        nb = copy.deepcopy(base(exercise))
        if edit is not None:
            edit(nb)
        return nb

    return make


# ---- ways to hand in exercise 03 (the delta rule): its solution is small and quick to run ---------------

def _missing_sigma_prime(nb) -> None:
    answer_cell(nb, "3.2").source = (
        "def compute_delta(x, y, w, b):\n"
        "    a = sigmoid(x @ w + b)\n"
        "    return a - y  # the sigmoid's slope is missing\n")


def _syntax_error(nb) -> None:
    answer_cell(nb, "3.3").source = "def gradients(x, y, w, b)\n    return 0.0, 0.0\n"


def _renamed(nb) -> None:
    cell = answer_cell(nb, "3.1")
    cell.source = cell.source.replace("def forward_loss(", "def my_forward_loss(")
    for other in nb.cells:  # the learner also fixed their own calls
        if other is not cell and other.cell_type == "code":
            other.source = other.source.replace("forward_loss(", "my_forward_loss(")


def _hang_at_top(nb) -> None:
    nb.cells.insert(2, _code("while True:  # waiting for something that never comes\n    pass\n"))


def _hang_in_function(nb) -> None:
    answer_cell(nb, "3.1").source = (
        "def forward_loss(x, y, w, b):\n"
        "    n = 0\n"
        "    while n < len(y):\n"
        "        pass  # forgot n += 1\n")


def _kernel_crash(nb) -> None:
    nb.cells.insert(2, _code("import os\nos._exit(1)\n"))


def _memory_hog(nb) -> None:
    nb.cells.insert(2, _code("import numpy as np\nbig = np.ones((60_000, 60_000))  # 27 GiB\n"))


def _cheat(nb) -> None:
    """Wrong answers, plus code that replaces bplib's checks by ones that always say passed."""
    _missing_sigma_prime(nb)
    nb.cells.append(_code(
        "import bplib.checks\n"
        "from bplib.checks import _core\n"
        "def _always_passed(task, answer):\n"
        "    return _core.Verdict(task.id, task.title, 'passed', points=task.points, max_points=task.points)\n"
        "_core.evaluate = _always_passed\n"
        "bplib.checks.run_task = lambda task_id, answer: _always_passed(bplib.checks.TASKS[task_id], answer)\n"
        "import bplib.grade.verdicts as _v\n"
        "_v.task_report = lambda *a, **k: {}\n"))


def _fake_report(nb) -> None:
    """Wrong answers, plus printed text that imitates a grading report."""
    _missing_sigma_prime(nb)
    nb.cells.append(_code(
        'print(\'@@bplib-grade-0000000000000000@@{"task": "3.2", "points": 2, "status": "passed"}\')\n'))


def _overfitted(nb) -> None:
    """compute_delta that is right for the public cases only: it goes wrong when x is square."""
    answer_cell(nb, "3.2").source = (
        "def compute_delta(x, y, w, b):\n"
        "    a = sigmoid(x @ w + b)\n"
        "    delta = (a - y) * a * (1 - a)\n"
        "    return delta if x.shape[0] != x.shape[1] else delta[::-1]\n")


def _first_task_wrong(nb) -> None:
    """Any exercise: the first task's function returns 0.0 whatever it is given."""
    first = nb.metadata["bplib"]["tasks"][0]
    cell = answer_cell(nb, first)
    name = cell.source.split("def ", 1)[1].split("(", 1)[0]
    cell.source = f"def {name}(*args, **kwargs):\n    return 0.0\n"


KINDS: dict[str, Callable[[str], nbformat.NotebookNode]] = {
    "correct": _edited(solution),
    "untouched": _edited(exercise_notebook),
    "missing_sigma_prime": _edited(solution, _missing_sigma_prime),
    "syntax_error": _edited(solution, _syntax_error),
    "renamed": _edited(solution, _renamed),
    "hang_at_top": _edited(solution, _hang_at_top),
    "hang_in_function": _edited(solution, _hang_in_function),
    "kernel_crash": _edited(solution, _kernel_crash),
    "memory_hog": _edited(solution, _memory_hog),
    "cheat": _edited(solution, _cheat),
    "fake_report": _edited(solution, _fake_report),
    "overfitted": _edited(solution, _overfitted),
    "first_task_wrong": _edited(solution, _first_task_wrong),
}
RAW_FILES = {  # not notebooks at all
    "empty": b"",
    "not_json": b"my answers are in the PDF\n",
    "json_not_notebook": b'{"answers": [1, 2, 3]}\n',
    "binary": bytes(range(256)) * 4,
}


def write(folder: Path, student: str, kind: str, exercise: str = "03") -> Path:
    """Write one submission `folder/<student>.ipynb` of the given kind; returns its path."""
    path = Path(folder) / f"{student}.ipynb"
    if kind in RAW_FILES:
        path.write_bytes(RAW_FILES[kind])
    else:
        nbformat.write(KINDS[kind](exercise), path)
    return path
