"""One task's full verdict, public and hidden, as plain data: what graders and feedback read.

The grading command (bplib.grade.batch) calls task_report in its own process with a stand-in for the
learner's function that runs it in the sandbox; nbgrader's autograde calls require_pass in the
learner's kernel. Never prints expected values: details and hints come from the checkers, which
describe mistakes, not answers. Chapter: every exercise.
"""

from __future__ import annotations

from bplib.checks import TASKS, Task, Verdict, run_hidden, run_task

__all__ = ["combined_status", "require_pass", "task_report"]


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
