"""Grading exercise notebooks: the instructor's batch command, and learner progress.

For instructors (one command for a whole room, see README "Running a workshop"):

    python -m bplib.grade SUBMISSIONS... --out DIR [--exercise NN] [--timeout 120] [--memory-mb 2048]

reads every submitted notebook once, runs each in a bubblewrap sandbox (bplib.grade.sandbox), then
checks every task in the grader's own process: its public check and its hidden checks (on cases
drawn from the run's seed) call the notebook's functions across the sandbox wall, as plain data
(bplib.grade.remote). It writes DIR/scores.csv, DIR/scores.json and one feedback file per student.

For self-learners, in a notebook cell or a terminal:

    from bplib.grade import progress; progress()        # python -m bplib.grade.overview

shows which tasks of which exercise notebooks pass (saved notebooks, public and hidden checks).

For nbgrader: the check cells of solutions/ end with a hidden-test block calling
`require_pass(task_id, answer)`, which raises AssertionError unless the public and every hidden
check pass, so nbgrader's autograde scores the task.

Chapter: the exercises of every chapter.
"""

from __future__ import annotations

from bplib.grade.verdicts import require_pass, task_report

__all__ = ["grade", "progress", "require_pass", "task_report"]


def __getattr__(name: str):
    # grade and progress start kernels (nbclient, jupyter_client); import them only when asked,
    # so a kernel importing require_pass stays light.
    if name == "grade":
        from bplib.grade.batch import grade

        return grade
    if name == "progress":
        from bplib.grade.overview import progress

        return progress
    raise AttributeError(f"module 'bplib.grade' has no attribute {name!r}")
