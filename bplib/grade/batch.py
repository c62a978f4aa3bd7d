"""Grade a batch of submitted notebooks: each on a copy, in a limited kernel, in parallel.

`grade(...)` is what `python -m bplib.grade` calls. For every submission it reads and
identifies the file (bplib.grade.submission), copies it into a private working folder, runs
bplib.grade.runner on the copy in a process of its own (several at once: one per core by
default), kills that process when it overruns, and turns what came back into one row per task.
A submission that cannot be graded (not a notebook, empty, another exercise, a kernel that died,
a time limit) gets rows with 0 points and the reason, and the batch goes on. The submitted files
are only ever read: their hashes are compared before and after. Chapter: every exercise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bplib.grade import submission as subs
from bplib.grade.verdicts import combined_status

DEFAULT_TIMEOUT = 120.0
DEFAULT_CELL_SECONDS = 30.0
DEFAULT_CHECK_SECONDS = 20.0
DEFAULT_MEMORY_MB = 2048
STARTUP_SECONDS = 90.0  # kernel start and imports, beyond the notebook's own time limit


@dataclass
class Limits:
    """Per-notebook limits: all cells' run time, one cell's, each task's checks, the kernel's address space."""

    timeout: float = DEFAULT_TIMEOUT
    cell_seconds: float = DEFAULT_CELL_SECONDS
    check_seconds: float = DEFAULT_CHECK_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB

    def __post_init__(self) -> None:
        for name in ("timeout", "cell_seconds", "check_seconds", "memory_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name}: expected a positive number, got {value!r}")
        if self.memory_mb < 256:
            raise ValueError(f"memory_mb: expected at least 256 (a kernel with numpy needs more), got {self.memory_mb}")

    def wall_seconds(self, tasks: int) -> float:
        """How long a whole run may take before its process is killed."""
        return self.timeout + tasks * (self.check_seconds + 15) + STARTUP_SECONDS


@dataclass
class Graded:
    """The outcome for one submission: its rows (one per task) and what the feedback says.

    Attributes:
        submission: the Submission.
        status: "graded", "partly graded" (something cut the run short), or "not graded".
        reason: why not, or what cut it short ("" when all went well).
        cell_errors: error lines of the learner's cells, e.g. "cell 4: NameError: name 'x' is not defined".
        tasks: the task reports (bplib.grade.verdicts.task_report), in task order.
        seconds: wall time of the run.
    """

    submission: subs.Submission
    status: str
    reason: str = ""
    cell_errors: list[str] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(task["points"] for task in self.tasks)

    @property
    def max_points(self) -> int:
        return sum(task["max_points"] for task in self.tasks)


def _not_graded_report(task_id: str, reason: str) -> dict:
    from bplib.checks import TASKS

    task = TASKS[task_id]
    return {"task": task_id, "title": task.title, "max_points": task.points, "points": 0,
            "status": "not graded", "public": {"status": "not graded", "detail": reason, "hint": ""},
            "hidden": []}


def _not_graded(submission: subs.Submission, reason: str, expected: str | None) -> Graded:
    exercise = expected or submission.exercise
    tasks = [_not_graded_report(t, reason) for t in subs.tasks_of(exercise)] if exercise else []
    return Graded(submission, "not graded", reason, tasks=tasks)


def _run_one(submission: subs.Submission, limits: Limits, hidden: bool, work: Path, executed: Path | None,
             python: str) -> Graded:
    """Run bplib.grade.runner on a copy of the submission; never raises."""
    folder = Path(tempfile.mkdtemp(prefix="submission-", dir=work))
    copy = folder / "submission.ipynb"
    nbformat.write(submission.notebook, copy)  # the parsed notebook: the original file is not reopened
    job = {"notebook": str(copy), "result": str(folder / "result.json"),
           "executed": str(executed) if executed else "", "tasks": submission.tasks,
           "timeout": limits.timeout, "cell_seconds": limits.cell_seconds, "check_seconds": limits.check_seconds,
           "memory_mb": limits.memory_mb, "hidden": hidden}
    job_path = folder / "job.json"
    job_path.write_text(json.dumps(job))
    started = time.monotonic()
    wall = limits.wall_seconds(len(submission.tasks))
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    process = subprocess.Popen([python, "-m", "bplib.grade.runner", str(job_path)], cwd=folder, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        log, _ = process.communicate(timeout=wall)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return _not_graded(submission, f"the run took longer than {wall:.0f} s and was stopped "
                                       "(an endless loop the time limit could not interrupt?)", None)
    seconds = time.monotonic() - started
    result_path = Path(job["result"])
    if process.returncode != 0 or not result_path.exists():
        tail = log.decode("utf-8", "replace").strip().splitlines()[-1:] if log else []
        return _not_graded(submission, "the grader failed on this notebook" + (f": {tail[0][:200]}" if tail else ""),
                           None)
    return _from_result(submission, json.loads(result_path.read_text()), seconds)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _from_result(submission: subs.Submission, result: dict, seconds: float) -> Graded:
    """A Graded from the runner's result; tasks the run did not reach are 'not graded' with the reason."""
    reason = result.get("reason", "")
    reports = []
    for task_id in submission.tasks:
        report = result["tasks"].get(task_id)
        if report is None:
            report = _not_graded_report(task_id, reason or "the checks of this task did not finish")
        else:
            report["status"] = combined_status(report["public"]["status"], [h["status"] for h in report["hidden"]])
        reports.append(report)
    if result["status"] != "graded":
        status = "not graded"
    elif reason or any(r["status"] == "not graded" for r in reports):
        status = "partly graded"
    else:
        status = "graded"
    return Graded(submission, status, reason, result.get("cell_errors", []), reports, round(seconds, 2))


def grade(paths, *, exercise: str | None = None, limits: Limits | None = None, hidden: bool = True,
          jobs: int | None = None, executed_dir: Path | None = None, progress=None) -> list[Graded]:
    """Grade every submission found in `paths` (files and folders; see bplib.grade.submission).

    Inputs:
        paths: files and folders of submitted notebooks.
        exercise: "03" to grade exercise 03 only (any other exercise is not graded, with that reason),
            or None to grade each notebook as the exercise it is.
        limits: the per-notebook Limits (default: 120 s for all cells, 30 s for one, 20 s for the checks of
            one task, 2048 MB).
        hidden: run the hidden checks.
        jobs: notebooks graded at once (default: the number of cores).
        executed_dir: where to save each executed copy (<student>/<file>), or None.
        progress: called as progress(graded) after each submission, e.g. to print a line.
    Returns:
        one Graded per submission, in the order found.
    Raises:
        ValueError for an unknown exercise or bad limits; RuntimeError if a submitted file changed
        while it was being graded (it is only ever read; this would mean another program wrote it).
    """
    if exercise is not None and exercise not in subs.exercises():
        raise ValueError(f"exercise: expected one of {', '.join(subs.exercises())}, got {exercise!r}")
    limits = limits or Limits()
    jobs = jobs or os.cpu_count() or 1
    submissions = [subs.read(s, exercise) for s in subs.find([Path(p) for p in paths])]
    work = Path(tempfile.mkdtemp(prefix="bplib-grade-"))
    try:
        def one(submission: subs.Submission) -> Graded:
            if submission.problem:
                graded = _not_graded(submission, submission.problem, exercise)
            else:
                executed = None
                if executed_dir is not None:
                    executed = Path(executed_dir) / safe_name(submission.student) / _safe_file(submission.name)
                    executed.parent.mkdir(parents=True, exist_ok=True)
                graded = _run_one(submission, limits, hidden, work, executed, sys.executable)
            if progress is not None:
                progress(graded)
            return graded

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, submissions))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _assert_unchanged(submissions)
    return results


def _assert_unchanged(submissions: list[subs.Submission]) -> None:
    for submission in submissions:
        if submission.sha256 and hashlib.sha256(submission.path.read_bytes()).hexdigest() != submission.sha256:
            raise RuntimeError(f"{submission.path} changed while it was being graded")


def safe_name(name: str) -> str:
    """A file-system-safe version of a student's name (letters, digits, - _ . only)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return cleaned or "student"


def _safe_file(name: str) -> str:
    return "__".join(safe_name(part) for part in Path(name).parts)
