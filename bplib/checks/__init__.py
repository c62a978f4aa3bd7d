"""Checks for the exercise notebooks: one call per task, one verdict line. Chapter 01.

In an exercise notebook:

    from bplib.checks import check
    check("1.1", sigmoid_prime)

prints one line, "passed", "not implemented yet" or "wrong: ...", plus a hint line
that points at the likely mistake without giving the answer away. `check` never
raises, whatever the learner's function does. An answer that passes the cases of the
task's checker is also tried on the task's hidden checks (other shapes, edge cases, on
values drawn afresh each time), which the instructor's grader runs too, so "passed" here
means what it will mean when graded. `run_task(task_id, answer)` returns the verdict of
the task's own (public) checker alone, and `run_hidden(task_id, answer, seed)` those of
its hidden checks, without printing.

`TASKS` maps every task id ("1.1", "2.3", ...) to its `Task`: title, points, chapter,
checker, hidden checks, the bplib functions that implement it, the tasks it builds on.
The checks live in one module per chapter, chNN.py, each with a TASKS tuple; a new
chapter's module is found by its name, nothing to register.
"""

from __future__ import annotations

import importlib
import pkgutil
import secrets

import numpy as np

from bplib.checks._core import Task, Verdict, _execution_count, builds_on_hint, evaluate

__all__ = ["TASKS", "Task", "Verdict", "check", "run_hidden", "run_task"]


def _collect_tasks() -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    chapter_modules = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch"))
    for name in chapter_modules:
        for task in importlib.import_module(f"{__name__}.{name}").TASKS:
            if task.id in tasks:
                raise RuntimeError(f"task {task.id} is defined twice (in {name} and before it)")
            tasks[task.id] = task
    return tasks


TASKS: dict[str, Task] = _collect_tasks()


def _task(task_id) -> Task:
    if task_id not in TASKS:
        raise ValueError(f"task_id: expected one of {', '.join(TASKS)}, got {task_id!r}")
    return TASKS[task_id]


def run_task(task_id: str, answer) -> Verdict:
    """Check `answer` for task `task_id` and return the Verdict, printing nothing. Chapter 01.

    Inputs:
        task_id: a key of TASKS, e.g. "1.1".
        answer: the learner's function (or, for tasks answered with numbers, the numbers).
    Returns:
        a Verdict; errors raised by the learner's code become status "wrong".
    Raises:
        ValueError for an unknown task_id.
    """
    return evaluate(_task(task_id), answer)


def hidden_rng(seed: int, task_id: str, index: int) -> np.random.Generator:
    """The generator of hidden check `index` of task `task_id` in a run with `seed`: every check
    gets its own stream, and the same seed gives the same cases again."""
    major, minor = (int(part) for part in task_id.split("."))
    return np.random.default_rng([int(seed), major, minor, index])


def run_hidden(task_id: str, answer, seed: int | None = None) -> list[Verdict]:
    """Every hidden check of task `task_id` on `answer`, printing nothing. Chapter: every exercise.

    Inputs:
        task_id: a key of TASKS, e.g. "3.2".
        answer: the learner's function (or a stand-in that runs it elsewhere).
        seed: the cases' seed (a fresh random one when None).
    Returns:
        one Verdict per hidden check, in order, titled "<title>, hidden: <name>"; errors raised by
        the learner's code become status "wrong".
    Raises:
        ValueError for an unknown task_id.
    """
    task = _task(task_id)
    seed = secrets.randbits(63) if seed is None else seed
    verdicts = []
    for index, hidden in enumerate(task.hidden):
        verdict = evaluate(task, answer, hidden.checker(hidden_rng(seed, task_id, index)))
        verdict.title = f"{task.title}, hidden: {hidden.name}"
        verdicts.append(verdict)
    return verdicts


def _first_hidden_failure(task: Task, answer) -> Verdict | None:
    """The verdict of the first hidden check `answer` fails, labelled as hidden, or None."""
    for hidden, verdict in zip(task.hidden, run_hidden(task.id, answer), strict=True):
        if not verdict.passed:
            detail = f"right on the usual cases, but not on a hidden check ({hidden.what})"
            detail += f": {verdict.detail}" if verdict.detail else ""
            return Verdict(task.id, task.title, verdict.status, verdict.hint, 0, task.points, detail)
    return None


def check(task_id: str, answer, *, quiet: bool = False) -> Verdict:
    """Check a learner's answer, print the verdict (unless quiet), and return it. Chapter 01.

    Inputs:
        task_id: a key of TASKS, e.g. "1.1".
        answer: the learner's function (or, for tasks answered with numbers, the numbers).
        quiet: return the Verdict without printing it.
    Returns:
        the Verdict. Never raises: an unknown task id or a failure inside the
        checker itself also comes back as a "wrong" verdict that says so.
    """
    if task_id not in TASKS:
        verdict = Verdict(
            str(task_id),
            "unknown task",
            "wrong",
            f"Known tasks: {', '.join(TASKS)}.",
            detail=f"there is no task {task_id!r}",
        )
    else:
        task = TASKS[task_id]
        try:
            verdict = evaluate(task, answer)
            if verdict.passed:
                verdict = _first_hidden_failure(task, answer) or verdict
        except Exception as error:  # a bug in bplib.checks, not in the learner's code
            verdict = Verdict(
                task.id,
                task.title,
                "wrong",
                "This is a bug in bplib.checks, not in your code: please report it.",
                max_points=task.points,
                detail=f"the check itself failed ({type(error).__name__}: {error})",
            )
    if verdict.status == "wrong" and task_id in TASKS:
        failing = _failing_foundations(TASKS[task_id])
        if failing:
            verdict.hint = f"{builds_on_hint(TASKS[task_id], failing)} {verdict.hint}".strip()
    if not quiet:
        print(verdict)
        verdict._printed_in = _execution_count()
    return verdict


def _failing_foundations(task: Task) -> list[Task]:
    """The tasks `task` builds on whose functions, as the notebook defines them now, fail their public check."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    namespace = shell.user_ns if shell is not None else {}
    failing = []
    for task_id in task.builds_on:
        other = TASKS[task_id]
        function = namespace.get(other.title)
        if callable(function):
            try:
                passed = evaluate(other, function).passed
            except Exception:  # a bug in a checker: say nothing about it here
                passed = True
            if not passed:
                failing.append(other)
    return failing
