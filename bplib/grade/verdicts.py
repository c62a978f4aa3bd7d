"""One task's full verdict, public and hidden, as plain data: what graders and feedback read.

Runs inside the kernel that executed a learner's notebook (the grader sends `grade_task` calls),
and in nbgrader's autograde through `require_pass`. Never prints expected values: details and
hints come from the checkers, which describe mistakes, not answers. Chapter: every exercise.
"""

from __future__ import annotations

import json
import signal
import threading
from contextlib import contextmanager

from bplib.checks import TASKS, Task, Verdict, run_hidden, run_task

__all__ = ["TaskTimeout", "answer_of", "combined_status", "grade_task", "require_pass", "task_report"]


class TaskTimeout(BaseException):
    """A task's checks ran past their time limit (an endless loop in the learner's code?).

    A BaseException, so the `except Exception` that turns a learner's error into a verdict
    does not swallow it."""


def _verdict_dict(verdict: Verdict) -> dict:
    return {"status": verdict.status, "detail": verdict.detail, "hint": verdict.hint}


def _guarded(task: Task, run):
    """run(), or, when a checker itself fails (a bug in bplib.checks, not the learner's), a "wrong"
    Verdict that says so: one broken checker must not stop a whole batch."""
    try:
        return run()
    except Exception as error:
        hint = "This is a bug in bplib.checks, not in your code: please report it."
        return Verdict(task.id, task.title, "wrong", hint, max_points=task.points,
                       detail=f"the check itself failed ({type(error).__name__}: {error})")


def combined_status(public: str, hidden: list[str]) -> str:
    """The task's verdict from its public status and its hidden checks' statuses.

    "passed" only when the public check and every hidden check passed; "wrong (hidden)" when the
    public check passed and a hidden one did not; otherwise the public status."""
    if public != "passed":
        return public
    return "passed" if all(status == "passed" for status in hidden) else "wrong (hidden)"


def task_report(task_id: str, answer, hidden: bool = True, seed: int | None = None) -> dict:
    """Check `answer` for task `task_id`: the public check, then (when `hidden`) every hidden check.

    Inputs:
        task_id: a key of bplib.checks.TASKS, e.g. "3.2".
        answer: the learner's function (or numbers, for tasks answered with numbers).
        hidden: run the hidden checks too.
        seed: the hidden cases' seed (a fresh random one when None).
    Returns:
        dict with task, title, max_points, points (the task's points only when everything run
        passed), status (see combined_status), public {status, detail, hint} and hidden, a list
        of {name, what, status, detail, hint}.
    """
    task = TASKS[task_id]
    public = _guarded(task, lambda: run_task(task_id, answer))
    hidden_rows = []
    if hidden:
        verdicts = _guarded(task, lambda: run_hidden(task_id, answer, seed))
        if isinstance(verdicts, Verdict):  # a hidden checker failed: every hidden check says so
            verdicts = [verdicts] * len(task.hidden)
        for check, verdict in zip(task.hidden, verdicts, strict=True):
            hidden_rows.append({"name": check.name, "what": check.what, **_verdict_dict(verdict)})
    status = combined_status(public.status, [row["status"] for row in hidden_rows])
    return {
        "task": task.id,
        "title": task.title,
        "max_points": task.points,
        "points": task.points if status == "passed" else 0,
        "status": status,
        "public": _verdict_dict(public),
        "hidden": hidden_rows,
    }


def require_pass(task_id: str, answer) -> None:
    """nbgrader's test for one task: return quietly when the public and every hidden check pass.

    Raises:
        AssertionError naming the first failing check, with its detail and hint (no expected values).
    """
    report = task_report(task_id, answer)
    if report["status"] == "passed":
        return
    failed = [("public check", report["public"])] if report["public"]["status"] != "passed" else []
    failed += [(f"hidden check '{row['name']}'", row) for row in report["hidden"] if row["status"] != "passed"]
    kind, row = failed[0]
    message = f"Exercise {task_id} ({report['title']}): {kind}: {row['status']}"
    message += f": {row['detail']}" if row["detail"] else ""
    message += f"\n    Hint: {row['hint']}" if row["hint"] else ""
    raise AssertionError(message)


# ---- inside the grading kernel --------------------------------------------------------------


def answer_of(task: Task, namespace: dict):
    """The learner's answer to `task` in the notebook's namespace.

    A function task is answered by the function named like the task's title; a task answered
    with numbers (title "df_dx, df_dy, df_dz") by the tuple of those variables.
    Raises:
        KeyError naming the first missing name.
    """
    names = [name.strip() for name in task.title.split(",")]
    missing = [name for name in names if name not in namespace]
    if missing:
        raise KeyError(missing[0])
    values = tuple(namespace[name] for name in names)
    return values[0] if task.wants_function else values


def _missing_report(task: Task, name: str) -> dict:
    """The report for a task whose answer the notebook never defined."""
    what = "function" if task.wants_function else "variable"
    return {
        "task": task.id, "title": task.title, "max_points": task.points, "points": 0, "status": "wrong",
        "public": {
            "status": "wrong",
            "detail": f"the notebook defines no {what} named {name}",
            "hint": (f"Keep the name {name} from the exercise, and make sure the cell that defines it runs "
                     "without an error (run the notebook top to bottom: Run > Run All Cells)."),
        },
        "hidden": [],
    }


@contextmanager
def _time_limit(seconds: float):
    """Raise TaskTimeout in the main thread after `seconds` (SIGALRM; POSIX main thread only)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def expire(signum, frame):
        raise TaskTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def grade_task(task_id: str, marker: str, hidden: bool = True, seconds: float = 20.0, namespace=None) -> dict:
    """Grade one task in the running kernel and print `marker` + its report as one JSON line.

    Inputs:
        task_id: the task; marker: a random prefix the grader looks for (so nothing the learner's
        code prints can pass for a report); hidden: run hidden checks; seconds: time limit for the
        task's checks; namespace: where the answers live (default: the IPython user namespace).
    Returns:
        the report (see task_report), or one with status "wrong" when the answer is missing or
        the checks timed out.
    """
    task = TASKS[task_id]
    if namespace is None:
        from IPython import get_ipython

        namespace = get_ipython().user_ns
    try:
        answer = answer_of(task, namespace)
    except KeyError as missing:
        report = _missing_report(task, missing.args[0])
    else:
        try:
            with _time_limit(seconds):
                report = task_report(task_id, answer, hidden=hidden)
        except TaskTimeout:
            report = {
                "task": task.id, "title": task.title, "max_points": task.points, "points": 0, "status": "wrong",
                "public": {"status": "wrong", "detail": f"the checks did not finish within {seconds:g} s",
                           "hint": "Look for a loop that never ends (a while loop whose condition never "
                                   "changes, or a recursion without a base case)."},
                "hidden": [],
            }
    print(marker + json.dumps(report), flush=True)
    return report
