"""Find submitted notebooks, read each once into the grader's own snapshot, name its student and exercise.

Reading: every file is read exactly once, before any student code runs, with O_NOFOLLOW, and only
if it is a regular file: a symbolic link is never followed (it is reported as one, and nothing from
where it points is read), folders are walked without following links, and nothing is read again
later. What is graded is that snapshot, so no student can change another's submission in between.

Students, from the paths:
  - under a folder given on the command line, a notebook in a sub-folder belongs to the student
    named by the first sub-folder (nbgrader's layout: submitted/<student>/<assignment>/*.ipynb);
  - otherwise a notebook still named like the handed-out exercise (NN_topic.ipynb) belongs to
    the student named by its folder (alice/03_delta_rule.ipynb), and any other notebook to the
    student named by its file (alice.ipynb, bob-ex03.ipynb).

The exercise comes from the notebook's metadata {"bplib": {"exercise": "NN"}} (written by
tools/make_exercises.py), or, when a learner copied the cells into a new notebook, from the
task ids in its cells' metadata; never from the file name. Chapter: every exercise.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bplib.checks import TASKS

EXERCISE_FILE = re.compile(r"^(\d\d)_\w+\.ipynb$")
MAX_BYTES = 20 * 1024 * 1024  # an exercise notebook is far smaller; larger files are not graded
_SKIP_FOLDERS = {".ipynb_checkpoints", "__pycache__", ".git"}


@dataclass
class Submission:
    """One submitted file, as read once.

    Attributes:
        path: the file as found (never opened again, never written to).
        student: the student it belongs to (see the module docstring).
        name: how tables and feedback name the file: its path relative to the folder given, or its name.
        data: the bytes read (empty when it could not be read).
        sha256: hash of those bytes.
        exercise: "03", ... when known, else "".
        problem: why it cannot be graded ("" when it can).
        notebook: the parsed notebook when it can be graded.
    """

    path: Path
    student: str
    name: str
    data: bytes = field(default=b"", repr=False)
    sha256: str = ""
    exercise: str = ""
    problem: str = ""
    notebook: nbformat.NotebookNode | None = field(default=None, repr=False)

    @property
    def tasks(self) -> list[str]:
        """The exercise's task ids, from bplib.checks (not from the file: a learner may edit that)."""
        return tasks_of(self.exercise)


def tasks_of(exercise: str) -> list[str]:
    """Task ids of exercise "NN", in order, e.g. ["3.1", "3.2", "3.3", "3.4"]."""
    return [task_id for task_id, task in TASKS.items() if task.chapter == exercise]


def exercises() -> list[str]:
    """Every exercise number that has tasks, e.g. ["01", ..., "08"]."""
    return sorted({task.chapter for task in TASKS.values()})


def student_of(path: Path, root: Path | None) -> str:
    """The student a submitted file belongs to (see the module docstring)."""
    if root is not None:
        parts = path.relative_to(root).parts
        if len(parts) > 1:
            return parts[0]
    if EXERCISE_FILE.match(path.name):
        return path.absolute().parent.name
    return path.stem


def _walk(folder: Path):
    """(path, is_link) of every *.ipynb under `folder`, in sorted order, links neither followed nor skipped."""
    found = []
    for current, folders, files in os.walk(folder, followlinks=False):
        folders[:] = sorted(f for f in folders if f not in _SKIP_FOLDERS)
        here = Path(current)
        for name in files + [f for f in folders if (here / f).is_symlink()]:
            if name.endswith(".ipynb"):
                found.append(here / name)
    return sorted(found)


def find(arguments: list[Path]) -> list[Submission]:
    """Every submission among the files and folders given (folders: every *.ipynb inside, at any
    depth, except Jupyter's checkpoints; links to folders are not entered). A path that does not
    exist is a submission whose problem says so, so a typo shows in the table instead of vanishing."""
    found: list[Submission] = []
    for argument in arguments:
        argument = Path(argument)
        if argument.is_dir() and not argument.is_symlink():
            for path in _walk(argument):
                found.append(Submission(path, student_of(path, argument), path.relative_to(argument).as_posix()))
        else:
            submission = Submission(argument, student_of(argument, None), argument.name)
            if not argument.is_symlink() and not argument.exists():
                submission.problem = "no such file"
            found.append(submission)
    return found


def _read_once(path: Path) -> tuple[bytes, str]:
    """The file's bytes and "" , or b"" and why it was not read (a link, not a regular file, too large)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        if error.errno == errno.ELOOP or path.is_symlink():
            return b"", "a symbolic link: not followed, nothing it points to was read"
        return b"", f"cannot be read ({error.strerror or error})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return b"", "not a regular file"
        if info.st_size > MAX_BYTES:
            return b"", f"the file is too large to be an exercise notebook ({info.st_size // 2**20} MB)"
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BYTES:
                return b"", "the file is too large to be an exercise notebook"
        return b"".join(chunks), ""
    finally:
        os.close(fd)


def _exercise_from_cells(notebook) -> str:
    """The exercise whose task ids the cells' metadata name most often, or ""."""
    chapters = Counter()
    for cell in notebook.get("cells", []):
        task_id = (cell.get("metadata", {}).get("bplib") or {}).get("task")
        if isinstance(task_id, str) and task_id in TASKS:
            chapters[TASKS[task_id].chapter] += 1
    return chapters.most_common(1)[0][0] if chapters else ""


def identify(notebook) -> str:
    """The exercise number "NN" a notebook is, or "" when it is none of the course's exercises."""
    meta = notebook.get("metadata", {}).get("bplib")
    exercise = meta.get("exercise") if isinstance(meta, dict) else None
    if isinstance(exercise, str) and exercise in exercises():
        return exercise
    return _exercise_from_cells(notebook)


def read(submission: Submission, expected: str | None = None) -> Submission:
    """Read (once), hash, parse and identify a submission in place; set `problem` when it cannot be graded.

    Inputs:
        submission: from find().
        expected: the exercise being graded ("03"), or None to grade each notebook as what it is.
    Returns:
        the same submission.
    """
    if submission.problem:
        return submission
    data, problem = _read_once(submission.path)
    if problem:
        submission.problem = problem
        return submission
    submission.data = data
    submission.sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        submission.problem = "the file is empty"
        return submission
    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        cells = notebook.cells
    except UnicodeDecodeError:
        submission.problem = "not a notebook: the file is not text (UTF-8)"
        return submission
    except Exception as error:  # nbformat raises several kinds for JSON that is no notebook
        submission.problem = f"not a notebook: {_first_line(error)}"
        return submission
    if not isinstance(cells, list):
        submission.problem = "not a notebook: it has no list of cells"
        return submission
    submission.exercise = identify(notebook)
    if not submission.exercise:
        submission.problem = "not one of the course's exercise notebooks (no exercise number in its metadata)"
    elif expected is not None and submission.exercise != expected:
        submission.problem = f"this is exercise {submission.exercise}, not exercise {expected}, which is being graded"
    else:
        submission.notebook = notebook
    return submission


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."
