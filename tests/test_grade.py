"""The instructor's grading command on a batch a workshop could really hand in.

One batch (module fixture) is graded once by `python -m bplib.grade` in a subprocess, with
short limits: right, half-done, wrong, overfitted, broken, hanging, crashing, memory-hungry and
hostile notebooks, files that are no notebooks, and another exercise. The tests then read the
table, the JSON and the feedback, and check that no submitted file changed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import nbformat
import pytest
import submissions as subs

pytestmark = pytest.mark.notebooks

LIMITS = ["--timeout", "40", "--cell-seconds", "4", "--check-seconds", "4", "--memory-mb", "1536"]
BATCH = {  # student -> kind of submission of exercise 03
    "ada": "correct",
    "ben": "untouched",
    "cy": "missing_sigma_prime",
    "dee": "syntax_error",
    "eli": "renamed",
    "fay": "hang_at_top",
    "gus": "hang_in_function",
    "hal": "kernel_crash",
    "ida": "memory_hog",
    "jo": "cheat",
    "kim": "fake_report",
    "lu": "overfitted",
    "max": "empty",
    "ned": "not_json",
    "ola": "json_not_notebook",
    "pia": "binary",
}
OTHER_EXERCISE = "quinn"  # hands in exercise 01 while 03 is graded
TASKS_03 = ["3.1", "3.2", "3.3", "3.4"]


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    paths = [subs.write(inbox, student, kind) for student, kind in BATCH.items()]
    paths.append(subs.write(inbox, OTHER_EXERCISE, "correct", exercise="01"))
    for path in paths:
        os.chmod(path, 0o444)  # a grader that tried to write would fail loudly
    before = {path: (_sha(path), path.stat().st_mtime_ns) for path in paths}
    out = tmp_path_factory.mktemp("grades") / "out"
    work = tmp_path_factory.mktemp("work")  # the grader's temporary folders, where its kernels run
    command = [sys.executable, "-m", "bplib.grade", str(inbox), "--out", str(out), "--exercise", "3",
               "--jobs", "2", *LIMITS]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, env=dict(os.environ, TMPDIR=str(work)))
    with open(out / "scores.csv", newline="", encoding="utf-8") as file:
        table = list(csv.DictReader(file))
    return {"run": run, "out": out, "table": table, "before": before, "work": work,
            "json": json.loads((out / "scores.json").read_text()), "inbox": inbox}


def _rows(graded, student):
    return {row["task"]: row for row in graded["table"] if row["student"] == student}


def _points(graded, student) -> int:
    return sum(int(row["points"]) for row in graded["table"] if row["student"] == student)


def test_the_batch_finishes_with_a_complete_table(graded):
    run = graded["run"]
    assert run.returncode == 1, run.stdout + run.stderr  # 1: some submissions could not be graded
    students = {row["student"] for row in graded["table"]}
    assert students == set(BATCH) | {OTHER_EXERCISE}
    for student in students:
        assert sorted(_rows(graded, student)) == TASKS_03, student
    assert len(graded["json"]["submissions"]) == len(BATCH) + 1


def test_no_submitted_file_changed(graded):
    for path, (sha, mtime) in graded["before"].items():
        assert _sha(path) == sha and path.stat().st_mtime_ns == mtime, path
    assert sorted(p.name for p in graded["inbox"].iterdir()) == sorted(p.name for p in graded["before"])


def test_a_correct_solution_gets_full_marks_public_and_hidden(graded):
    rows = _rows(graded, "ada")
    assert all(row["verdict"] == "passed" and row["public"] == "passed" for row in rows.values())
    assert all(row["hidden"].startswith("passed ") for row in rows.values())
    assert _points(graded, "ada") == 7


def test_an_untouched_exercise_gets_zero_and_not_implemented(graded):
    rows = _rows(graded, "ben")
    assert {row["verdict"] for row in rows.values()} == {"not implemented"}
    assert _points(graded, "ben") == 0


def test_a_wrong_answer_costs_its_task_and_the_ones_built_on_it(graded):
    rows = _rows(graded, "cy")
    assert rows["3.1"]["verdict"] == "passed"
    assert [rows[t]["verdict"] for t in ("3.2", "3.3", "3.4")] == ["wrong"] * 3
    assert "sigma'(z) is missing" in rows["3.2"]["detail"]


def test_a_syntax_error_grades_what_still_runs(graded):
    rows = _rows(graded, "dee")
    assert rows["3.1"]["verdict"] == rows["3.2"]["verdict"] == "passed"
    assert rows["3.3"]["verdict"] == "wrong" and "defines no function named gradients" in rows["3.3"]["detail"]
    (sub,) = [s for s in graded["json"]["submissions"] if s["student"] == "dee"]
    assert any("SyntaxError" in line for line in sub["cell_errors"])


def test_a_renamed_function_is_reported_by_name(graded):
    assert "defines no function named forward_loss" in _rows(graded, "eli")["3.1"]["detail"]


def test_an_endless_cell_is_stopped_and_the_rest_is_graded(graded):
    assert _points(graded, "fay") == 7
    (sub,) = [s for s in graded["json"]["submissions"] if s["student"] == "fay"]
    assert any("stopped after 4 s" in line for line in sub["cell_errors"])


def test_an_endless_function_fails_its_task_with_a_time_limit(graded):
    rows = _rows(graded, "gus")
    assert rows["3.1"]["verdict"] == "wrong" and "did not finish within 4 s" in rows["3.1"]["detail"]
    assert rows["3.2"]["verdict"] == "passed"


def test_a_crashing_kernel_is_not_graded_with_the_reason(graded):
    rows = _rows(graded, "hal")
    assert {row["verdict"] for row in rows.values()} == {"not graded"}
    assert all("kernel died while running cell 3" in row["reason"] for row in rows.values())


def test_the_memory_limit_stops_a_huge_allocation_and_grading_goes_on(graded):
    assert _points(graded, "ida") == 7
    (sub,) = [s for s in graded["json"]["submissions"] if s["student"] == "ida"]
    assert any("MemoryError" in line for line in sub["cell_errors"])


def test_replacing_bplibs_checks_in_the_notebook_does_not_change_the_grade(graded):
    assert _rows(graded, "jo")["3.2"]["verdict"] == "wrong"
    assert _rows(graded, "kim")["3.2"]["verdict"] == "wrong"  # its printed fake report is ignored


def test_public_and_hidden_are_labelled_and_hidden_failures_cost_the_task(graded):
    rows = _rows(graded, "lu")
    assert rows["3.2"]["public"] == "passed"
    assert rows["3.2"]["verdict"] == "wrong (hidden)" and rows["3.2"]["points"] == "0"
    assert rows["3.2"]["hidden"].startswith("failed ")
    feedback = (graded["out"] / "feedback" / "lu.md").read_text()
    assert "passed the public check, but not every hidden check" in feedback
    assert "All checks passed" not in feedback
    assert re.search(r"All public checks passed, but \d+ hidden checks? failed", feedback)


@pytest.mark.parametrize(("student", "reason"), [
    ("max", "the file is empty"),
    ("ned", "not a notebook"),
    ("ola", "not a notebook"),
    ("pia", "not a notebook: the file is not text"),
    (OTHER_EXERCISE, "this is exercise 01, not exercise 03"),
])
def test_files_that_cannot_be_graded_get_a_reason_and_zero(graded, student, reason):
    rows = _rows(graded, student)
    assert all(row["verdict"] == "not graded" and row["points"] == "0" for row in rows.values())
    assert all(row["reason"].startswith(reason) for row in rows.values()), rows


def test_every_student_gets_feedback_without_expected_values(graded):
    folder = graded["out"] / "feedback"
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(set(BATCH) | {OTHER_EXERCISE})
    text = "\n".join(p.read_text() for p in folder.glob("*.md"))
    assert "Hint:" in text
    # hints and details name shapes and mistakes, never the numbers a right answer would give
    assert not re.search(r"expected [-+]?\d*\.\d+", text)
    assert "All checks passed, public and hidden." in (folder / "ada.md").read_text()


def test_executed_copies_are_saved_for_the_instructor(graded):
    executed = graded["out"] / "executed"
    assert (executed / "ada" / "ada.ipynb").exists()
    assert not (executed / "max").exists()  # nothing ran


def test_the_grader_leaves_no_kernel_behind(graded):
    import psutil

    deadline = time.monotonic() + 5  # a kernel whose runner was killed notices within a second
    while True:
        left = []
        for process in psutil.process_iter(["cmdline"]):
            try:
                if str(graded["work"]) in process.cwd():
                    left.append(" ".join(process.info["cmdline"] or []))
            except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert left == []
    assert list(graded["work"].iterdir()) == []  # and no temporary files


def test_progress_shows_which_tasks_of_which_exercises_pass(tmp_path, capsys):
    from bplib.grade import progress
    from bplib.grade.overview import main as overview_main

    mine = tmp_path / "exercises"
    mine.mkdir()
    nbformat.write(subs.KINDS["overfitted"]("03"), mine / "03_delta_rule.ipynb")
    nbformat.write(subs.KINDS["untouched"]("01"), mine / "01_sigmoid_derivative.ipynb")
    (mine / "scratch.ipynb").write_text("{}")  # not an exercise: not shown
    shown = progress(mine, jobs=2)
    lines = str(shown).splitlines()
    assert lines[1].split()[:2] == ["01_sigmoid_derivative.ipynb", "0/8"]
    assert lines[1].split()[2:] == ["1.1", "·", "1.2", "·", "1.3", "·", "1.4", "·"]
    assert lines[2].split()[:2] == ["03_delta_rule.ipynb", "1/7"]  # 3.2 fails a hidden check; 3.3, 3.4 use it
    assert lines[2].split()[2:] == ["3.1", "✓", "3.2", "✗h", "3.3", "✗h", "3.4", "✗h"]
    assert lines[3].split() == ["total", "1/15"]
    assert "<table>" in shown._repr_html_() and "✗h" in shown._repr_html_()
    assert overview_main([str(tmp_path / "nowhere")]) == 2
    assert "expected a folder of exercise notebooks" in capsys.readouterr().err
