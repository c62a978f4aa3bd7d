"""Grade a batch of submitted notebooks: each read once, run in its own sandbox, judged here from data.

`grade(...)` is what `python -m bplib.grade` calls. It

1. reads every submission once into a snapshot (bplib.grade.submission: links never followed);
2. runs each notebook in a sandbox of its own (bplib.grade.sandbox, bplib.grade.harness), several at
   once, each killed whole at its time limit;
3. checks every task here, in the grader's process: the task's public checker and its hidden checks
   (bplib.checks), on cases drawn from this run's seed, call the notebook's functions through
   RemoteAnswer (bplib.grade.remote), which sends inputs and gets outputs back as plain data. Expected
   values, comparisons, diagnoses and hints never enter the sandbox, and nothing the notebook prints
   or writes decides a verdict;
4. scores 0, with the reason, a task whose answer uses bplib's own implementation of it (read from its
   source by bplib.grade.delegation, or seen while it runs), unless `allow_bplib`.

A submission that cannot be graded (not a notebook, a link, another exercise, a dead kernel, a time
limit) gets rows with 0 points and the reason, and the batch goes on. Chapter: every exercise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bplib.checks import TASKS
from bplib.checks._core import allow_bplib as allowing_bplib
from bplib.checks._core import builds_on_hint, delegation_hint
from bplib.grade import delegation
from bplib.grade import submission as subs
from bplib.grade.processes import MAX_PROCESSES, cgroup_for_sandbox
from bplib.grade.remote import NOT_AN_ANSWER, Budget, CallTimeout, RemoteAnswer, SandboxGone, Session
from bplib.grade.sandbox import Sandbox, work_folder_in_sandbox
from bplib.grade.verdicts import task_report
from bplib.grade.withheld import withheld_sources

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
        executed: the executed notebook, as the sandbox sent it (None when there is none).
    """

    submission: subs.Submission
    status: str
    reason: str = ""
    cell_errors: list[str] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    executed: dict | None = field(default=None, repr=False)

    @property
    def points(self) -> int:
        return sum(task["points"] for task in self.tasks)

    @property
    def max_points(self) -> int:
        return sum(task["max_points"] for task in self.tasks)


@dataclass
class Run:
    """What the whole run was: its seed (the hidden cases), whether it was isolated, its settings."""

    seed: int
    isolated: bool
    allow_bplib: bool
    limits: Limits
    hidden: bool
    left_out: tuple[str, ...] = ()  # submissions of other exercises by students who handed in this one


def _report(task_id: str, status: str, detail: str, hint: str = "") -> dict:
    task = TASKS[task_id]
    return {"task": task_id, "title": task.title, "max_points": task.points, "points": 0, "status": status,
            "public": {"status": status, "detail": detail, "hint": hint}, "hidden": []}


def _not_graded(submission: subs.Submission, reason: str, expected: str | None) -> Graded:
    exercise = expected or submission.exercise
    tasks = [_report(t, "not graded", reason) for t in subs.tasks_of(exercise)] if exercise else []
    return Graded(submission, "not graded", reason, tasks=tasks)


def _missing(task_id: str, found: str) -> dict:
    task = TASKS[task_id]
    what = "function" if task.wants_function else "variable"
    detail = (f"the notebook defines no {what} named {task.title}" if found == "missing"
              else f"{task.title} is {found}, not a function")
    return _report(task_id, "wrong", detail, f"Keep the name {task.title} from the exercise, and make sure the cell "
                                             "that defines it runs without an error (Run > Run All Cells).")


def _delegated(task_id: str, uses: list[str]) -> dict:
    return _report(task_id, "wrong", f"your answer uses bplib's own {', '.join(uses)}", delegation_hint(uses))


def _grade_tasks(submission: subs.Submission, session: Session, run: Run) -> tuple[list[dict], str]:
    """Every task's report, checked through the session; and why grading stopped early ("" if it did not)."""
    titles = [TASKS[t].title for t in submission.tasks]
    names = session.request({"op": "describe", "names": titles}, timeout=60).get("names")
    if not isinstance(names, dict):
        raise SandboxGone(NOT_AN_ANSWER)
    reports, stopped = [], ""
    for task_id in submission.tasks:
        task = TASKS[task_id]
        if stopped:
            reports.append(_report(task_id, "not graded", stopped))
            continue
        found = names.get(task.title, "missing")
        uses = [] if run.allow_bplib else delegation.uses_of(submission.notebook, task)
        if found != "function":
            reports.append(_missing(task_id, found))
            continue
        if uses:
            reports.append(_delegated(task_id, uses))
            continue
        answer = RemoteAnswer(session, task.title, Budget(run.limits.check_seconds))
        try:
            with allowing_bplib(run.allow_bplib):
                report = task_report(task_id, answer, hidden=run.hidden, seed=run.seed)
        except CallTimeout:
            report = _report(task_id, "wrong", f"the checks did not finish within {run.limits.check_seconds:g} s",
                             "Look for a loop that never ends (a while loop whose condition never changes, or a "
                             "recursion without a base case).")
        except SandboxGone as gone:
            stopped = f"the checks could not go on: {gone.reason}"
            report = _report(task_id, "not graded", stopped)
        reports.append(report)
    return _builds_on(reports), stopped


def _builds_on(reports: list[dict]) -> list[dict]:
    """Point a failed task at a failed task it builds on: fix that one first."""
    status = {r["task"]: r["status"] for r in reports}
    for report in reports:
        if report["status"] in ("passed", "not graded", "not implemented"):
            continue
        failed = [t for t in TASKS[report["task"]].builds_on if status.get(t) not in (None, "passed")]
        if failed:
            report["builds_on"] = failed
            first = builds_on_hint(TASKS[report["task"]], [TASKS[t] for t in failed])
            for part in [report["public"], *report["hidden"]]:
                if part["status"] != "passed":
                    part["hint"] = f"{first} {part['hint']}".strip()
    return reports


def _run_one(submission: subs.Submission, run: Run, folder: Path) -> Graded:
    """Run one submission in its sandbox and check its tasks; never raises."""
    work = folder / "work"
    work.mkdir(mode=0o700)
    (work / "submission.ipynb").write_text(nbformat.writes(submission.notebook), encoding="utf-8")
    job = {"notebook": "submission.ipynb", "timeout": run.limits.timeout, "cell_seconds": run.limits.cell_seconds,
           "memory_mb": run.limits.memory_mb, "max_processes": MAX_PROCESSES if run.isolated else None}
    (work / "job.json").write_text(json.dumps(job))
    withheld = {} if run.allow_bplib else withheld_sources(submission.tasks)
    sandbox = Sandbox(run.isolated, work, withheld)
    sandbox.prime_matplotlib()
    inside = work_folder_in_sandbox(run.isolated, work)
    command = sandbox.command([sys.executable, "-m", "bplib.grade.harness", f"{inside}/job.json"],
                              sandbox.environment())
    cgroup = cgroup_for_sandbox() if run.isolated else None  # root only: see bplib.grade.processes
    if cgroup is not None:
        command = cgroup.wrap(command)
    started = time.monotonic()
    with open(folder / "sandbox.log", "wb") as log:
        session = Session(command, cwd=work if not run.isolated else folder, log_file=log)
        try:
            ran = session.receive(run.limits.timeout + STARTUP_SECONDS)
            if ran.get("op") != "ran":
                raise SandboxGone("the sandbox sent something other than its run")
            reason = str(ran.get("reason", ""))[:300]
            cell_errors = [str(line)[:200] for line in ran.get("cell_errors", [])][:50]
            if not ran.get("alive"):
                graded = _not_graded(submission, reason or "the notebook could not be run", None)
                graded.cell_errors = cell_errors
            else:
                reports, stopped = _grade_tasks(submission, session, run)
                reason = reason or stopped
                partly = reason or any(r["status"] == "not graded" for r in reports)
                graded = Graded(submission, "partly graded" if partly else "graded", reason, cell_errors, reports)
            graded.executed = ran.get("executed") if isinstance(ran.get("executed"), dict) else None
        except SandboxGone as gone:
            graded = _not_graded(submission, f"the notebook could not be run: {gone.reason}", None)
        finally:
            session.close()
            if cgroup is not None:
                cgroup.remove()
    graded.seconds = round(time.monotonic() - started, 2)
    return graded


def grade(paths, *, exercise: str | None = None, limits: Limits | None = None, hidden: bool = True,
          jobs: int | None = None, seed: int | None = None, isolated: bool = True, allow_bplib: bool = False,
          progress=None) -> tuple[list[Graded], Run]:
    """Grade every submission found in `paths` (files and folders; see bplib.grade.submission).

    Inputs:
        paths: files and folders of submitted notebooks.
        exercise: "03" to grade exercise 03 only, or None to grade each notebook as the exercise it is.
            A notebook of another exercise is left out (named in Run.left_out) when its student handed
            in exercise 03 too, else not graded, with that reason.
        limits: the per-notebook Limits (default: 120 s for all cells, 30 s for one, 20 s for the checks of
            one task, 2048 MB).
        hidden: run the hidden checks.
        jobs: notebooks graded at once (default: the number of cores).
        seed: the seed of the hidden cases (default: a fresh random one, recorded in the Run).
        isolated: run each notebook in a bubblewrap sandbox (False: as a plain child process).
        allow_bplib: let answers use bplib's own implementation of their task.
        progress: called as progress(graded) after each submission, e.g. to print a line.
    Returns:
        one Graded per submission, in the order found, and the Run (its seed and settings).
    Raises:
        ValueError for an unknown exercise or bad limits.
    """
    if exercise is not None and exercise not in subs.exercises():
        raise ValueError(f"exercise: expected one of {', '.join(subs.exercises())}, got {exercise!r}")
    submissions = [subs.read(s, exercise) for s in subs.find([Path(p) for p in paths])]  # every file read once, now
    submissions, left_out = _split_other_exercises(submissions, exercise)
    run = Run(secrets.randbits(63) if seed is None else int(seed), isolated, allow_bplib, limits or Limits(), hidden,
              left_out=tuple(s.name for s in left_out))
    jobs = jobs or os.cpu_count() or 1
    base = Path(tempfile.mkdtemp(prefix="bplib-grade-"))
    try:
        def one(index_and_submission) -> Graded:
            index, submission = index_and_submission
            if submission.problem:
                graded = _not_graded(submission, submission.problem, exercise)
            else:
                folder = base / f"{index:04d}"
                folder.mkdir()
                try:
                    graded = _run_one(submission, run, folder)
                finally:
                    shutil.rmtree(folder, ignore_errors=True)
            if progress is not None:
                progress(graded)
            return graded

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, enumerate(submissions)))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results, run


def _split_other_exercises(submissions: list[subs.Submission], exercise: str | None):
    """(to grade, left out). With one exercise graded, a student's notebooks of other exercises are
    left out when the student handed in that exercise too (an nbgrader assignment folder holds every
    exercise); a student who did not keeps them, each with a row saying what it is."""
    if exercise is None:
        return submissions, []
    handed_in = {s.student for s in submissions if s.exercise == exercise}
    is_other = [s.student in handed_in and bool(s.exercise) and s.exercise != exercise for s in submissions]
    return ([s for s, o in zip(submissions, is_other, strict=True) if not o],
            [s for s, o in zip(submissions, is_other, strict=True) if o])


def safe_name(name: str) -> str:
    """A file-system-safe version of a student's name (letters, digits, - _ . only)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return cleaned or "student"
