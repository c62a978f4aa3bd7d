"""The instructor's grading command on a batch a workshop could really hand in, cheats included.

One batch (module fixture) is graded once by `python -m bplib.grade` in a subprocess, with short
limits: right, half-done, wrong, overfitted, broken, hanging, crashing and memory-hungry notebooks,
files that are no notebooks, another exercise, and notebooks that go after the grader: forging its
reports, patching it, editing it on disk, reading the checker's stack, replaying a table of outputs,
leaving processes behind, killing everything they can see, writing into other students' files and
the output folder, delegating to bplib, and submitted links to a solution and to a system file.
Each gets a row that says why it got what it got; no wrong answer scores; no file outside the
output folder changes; no process is left.
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
from pathlib import Path

import nbformat
import pytest
import submissions as subs

from bplib.grade.sandbox import bwrap_missing_reason

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
    # going after the grader: every one of these answers 3.2 wrongly (or, below, delegates 3.3)
    "rex": "stdout_forger",
    "sue": "post_run_hook",
    "ty": "meta_path_finder",
    "uma": "patch_libraries",
    "vic": "edit_bplib_on_disk",
    "wes": "stack_reader",
    "xia": "hidden_table",
    "yan": "detached_editor",
    "zed": "forks_children",
    "flo": "floods_processes",
    "abe": "kills_the_grader",
    "bo": "delegates_by_import",
    "cal": "delegates_by_name",
}
OTHER_EXERCISE = "quinn"  # hands in exercise 01 while 03 is graded
LINK_TO_SOLUTION = "sam"  # sam.ipynb is a symbolic link to the solution notebook
LINK_TO_SYSTEM = "tom"  # tom.ipynb is a symbolic link to /etc/passwd
WRITER = "dan"  # appends to ada's file and plants a file in the output folder
SAME_FILE_NAME = ("alice", "alice.")  # both would be feedback/alice.md
TASKS_03 = ["3.1", "3.2", "3.3", "3.4"]
WRONG_3_2 = ["cy", "jo", "kim", "rex", "sue", "ty", "uma", "vic", "yan", WRITER]
INTERFERING = ["ty", "uma"]  # they break the kernel's side of the grading: their own grading stops, with the reason


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _grader_processes() -> list[str]:
    """Command lines of processes a grading run starts (sandboxes, harnesses, kernels, hostile children)."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if any(mark in line for mark in ("bplib.grade.harness", "bplib.grade.kernel", subs.MARKER, "bwrap ")):
            found.append(line[:200])
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if bwrap_missing_reason() and os.environ.get("BPLIB_REQUIRE_SANDBOX") != "1":
        pytest.skip(f"the grader's sandbox is not available here: {bwrap_missing_reason()}")
    inbox = tmp_path_factory.mktemp("inbox")
    out = tmp_path_factory.mktemp("grades") / "out"
    paths = [subs.write(inbox, student, kind) for student, kind in BATCH.items()]
    paths.append(subs.write(inbox, OTHER_EXERCISE, "correct", exercise="01"))
    for name in SAME_FILE_NAME:
        paths.append(subs.write(inbox, name, "correct"))
    writer = subs.writes_outside("03", str(inbox / "ada.ipynb"), str(out / "scores.csv"))  # paths it could guess
    writer.cells.insert(3, nbformat.v4.new_code_cell("print(open(__import__('os').path.expanduser('~') + "
                                                     "'/job.json').read())"))
    nbformat.write(writer, inbox / f"{WRITER}.ipynb")
    paths.append(inbox / f"{WRITER}.ipynb")
    (inbox / f"{LINK_TO_SOLUTION}.ipynb").symlink_to(subs.notebook_path(subs.SOLUTIONS, "03"))
    (inbox / f"{LINK_TO_SYSTEM}.ipynb").symlink_to("/etc/passwd")
    for path in paths:
        os.chmod(path, 0o444)  # a grader that tried to write would fail loudly
    import bplib.checks._core as core

    watched = [*paths, subs.notebook_path(subs.SOLUTIONS, "03"), Path(core.__file__)]
    before = {path: (_sha(path), path.stat().st_mtime_ns) for path in watched}
    work = tmp_path_factory.mktemp("work")  # the grader's temporary folders
    command = [sys.executable, "-m", "bplib.grade", str(inbox), "--out", str(out), "--exercise", "3",
               "--jobs", "2", *LIMITS]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, TMPDIR=str(work)))
    seconds = time.monotonic() - started
    with open(out / "scores.csv", newline="", encoding="utf-8") as file:
        table = list(csv.DictReader(file))
    return {"run": run, "out": out, "table": table, "before": before, "work": work, "seconds": seconds,
            "json": json.loads((out / "scores.json").read_text()), "inbox": inbox,
            "processes_after": _grader_processes()}


def _rows(graded, student):
    return {row["task"]: row for row in graded["table"] if row["student"] == student}


def _points(graded, student) -> int:
    return sum(int(row["points"]) for row in graded["table"] if row["student"] == student)


ALL_STUDENTS = set(BATCH) | {OTHER_EXERCISE, LINK_TO_SOLUTION, LINK_TO_SYSTEM, WRITER, *SAME_FILE_NAME}


def test_the_batch_finishes_with_a_complete_table(graded):
    run = graded["run"]
    assert run.returncode == 1, run.stdout + run.stderr  # 1: some submissions could not be graded
    students = {row["student"] for row in graded["table"]}
    assert students == ALL_STUDENTS
    for student in students:
        assert sorted(_rows(graded, student)) == TASKS_03, student
    assert len(graded["json"]["submissions"]) == len(ALL_STUDENTS)
    assert {row["isolated"] for row in graded["table"]} == {"yes"}
    seed = graded["json"]["seed"]
    assert isinstance(seed, int) and f"--seed {seed}" in run.stdout


def test_no_submitted_file_changed_nor_any_file_of_the_course(graded):
    # the submissions, the solution a link points to, and bplib's own checks, which one notebook appends to
    for path, (sha, mtime) in graded["before"].items():
        assert _sha(path) == sha and path.stat().st_mtime_ns == mtime, path
    submitted = {p.name for p in graded["before"] if p.parent == graded["inbox"]}
    assert {p.name for p in graded["inbox"].iterdir()} == submitted | {f"{LINK_TO_SOLUTION}.ipynb",
                                                                          f"{LINK_TO_SYSTEM}.ipynb"}


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


@pytest.mark.parametrize("student", WRONG_3_2)
def test_no_trick_makes_a_wrong_answer_score(graded, student):
    # forged reports on stdout, IPython hooks and input transformers, an import hook wrapping the grading
    # code, patched numpy and json, bplib's checks edited on disk or replaced in memory: the verdict is
    # formed in the grader from what compute_delta returns, and it is still wrong
    rows = _rows(graded, student)
    assert rows["3.2"]["points"] == "0", rows["3.2"]
    if student in INTERFERING:
        assert rows["3.2"]["verdict"] == "not graded"
        reason = rows["3.2"]["reason"]  # ty's import hook fakes the kernel's replies; uma's json patch breaks it
        assert "not an answer" in reason or reason.startswith("the notebook could not be run: "), reason
    else:
        assert rows["3.2"]["verdict"] == "wrong" and "sigma'(z) is missing" in rows["3.2"]["detail"]
        assert rows["3.1"]["verdict"] == "passed"  # and what is right still counts


def test_reading_the_checkers_stack_finds_nothing(graded):
    rows = _rows(graded, "wes")  # the expected values are in the grader's process, not on any stack it can see
    assert rows["3.2"]["verdict"] == "wrong" and rows["3.2"]["points"] == "0"


def test_a_table_of_outputs_for_shipped_seeds_fails_the_cases_of_this_run(graded):
    rows = _rows(graded, "xia")
    assert rows["3.2"]["public"] == "passed"  # the public cases are in the table
    assert rows["3.2"]["verdict"] == "wrong (hidden)" and rows["3.2"]["points"] == "0"


def test_editing_bplib_on_disk_fails_inside_the_sandbox(graded):
    (sub,) = [s for s in graded["json"]["submissions"] if s["student"] == "vic"]
    assert any("Read-only file system" in line or "OSError" in line for line in sub["cell_errors"]), sub["cell_errors"]


def test_a_notebook_that_kills_what_it_sees_ends_only_its_own_sandbox(graded):
    rows = _rows(graded, "abe")
    assert {row["verdict"] for row in rows.values()} == {"not graded"}
    assert all("could not be run" in row["reason"] for row in rows.values())
    assert _points(graded, "ada") == 7  # everyone else was graded as usual


def test_a_flood_of_processes_stops_at_the_sandbox_limit(graded):
    from bplib.grade.processes import MAX_PROCESSES

    executed = (graded["out"] / "executed" / "flo" / "flo.ipynb").read_text()
    started = int(re.search(r"started (\d+) processes", executed).group(1))
    assert 0 < started < MAX_PROCESSES < subs.FLOOD_PROCESSES
    rows = _rows(graded, "flo")  # its own kernel, at the cap, may fail to start a thread; the grading goes on
    assert rows["3.2"]["points"] == "0" and rows["3.2"]["verdict"] in ("wrong", "not graded")


def test_writing_into_another_submission_or_the_output_folder_is_blocked(graded):
    (sub,) = [s for s in graded["json"]["submissions"] if s["student"] == WRITER]
    assert _rows(graded, WRITER)["3.2"]["verdict"] == "wrong"
    assert not (graded["out"] / "planted.txt").exists() and not (graded["inbox"] / "planted.txt").exists()
    assert "HACKED" not in (graded["out"] / "scores.csv").read_text()
    assert sorted(p.name for p in graded["out"].iterdir()) == [".bplib-grade", "executed", "feedback",
                                                               "scores.csv", "scores.json"]
    executed = graded["out"] / "executed" / WRITER / f"{WRITER}.ipynb"
    text = executed.read_text()
    assert "blocked: FileNotFoundError" in text or "blocked: OSError" in text
    assert "scores" not in text.split("blocked")[0]  # job.json names no output folder


@pytest.mark.parametrize("student", ["bo", "cal"])
def test_an_answer_that_delegates_to_bplib_scores_zero_with_the_reason(graded, student):
    row = _rows(graded, student)["3.3"]
    assert row["verdict"] == "wrong" and row["points"] == "0"
    assert "bplib's own bplib.neuron" in row["detail"], row
    assert _rows(graded, student)["3.2"]["verdict"] == "passed"


@pytest.mark.parametrize("student", [LINK_TO_SOLUTION, LINK_TO_SYSTEM])
def test_a_submitted_link_is_not_followed(graded, student):
    rows = _rows(graded, student)
    assert all(row["verdict"] == "not graded" and row["points"] == "0" for row in rows.values())
    assert all(row["reason"].startswith("a symbolic link: not followed") for row in rows.values())
    everything = "\n".join(p.read_text() for p in (graded["out"] / "feedback").glob("*.md"))
    assert "root:" not in everything and "/bin/" not in everything  # nothing of /etc/passwd


def test_students_whose_names_share_a_file_name_get_their_own_feedback(graded):
    files = {s["student"]: s["feedback"] for s in graded["json"]["submissions"]}
    assert files["alice"] != files["alice."]
    for student in SAME_FILE_NAME:
        text = (graded["out"] / files[student]).read_text()
        assert text.startswith(f"# Feedback for {student}\n")


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
    (LINK_TO_SOLUTION, "a symbolic link"),
])
def test_files_that_cannot_be_graded_get_a_reason_and_zero(graded, student, reason):
    rows = _rows(graded, student)
    assert all(row["verdict"] == "not graded" and row["points"] == "0" for row in rows.values())
    assert all(row["reason"].startswith(reason) for row in rows.values()), rows


def test_every_student_gets_feedback_without_expected_values(graded):
    folder = graded["out"] / "feedback"
    assert len(list(folder.glob("*.md"))) == len(ALL_STUDENTS)
    text = "\n".join(p.read_text() for p in folder.glob("*.md"))
    assert "Hint:" in text
    # hints and details name shapes and mistakes, never the numbers a right answer would give
    assert not re.search(r"expected [-+]?\d*\.\d+", text)
    assert "All checks passed, public and hidden." in (folder / "ada.md").read_text()


def test_executed_copies_are_saved_for_the_instructor(graded):
    executed = graded["out"] / "executed"
    assert (executed / "ada" / "ada.ipynb").exists()
    assert not (executed / "max").exists()  # nothing ran


def test_the_grader_leaves_no_process_behind(graded):
    # kernels, harnesses, sandboxes, and what the notebooks started in sessions of their own (five children
    # that sleep for minutes, an editor that would rewrite the scores later): each sandbox died whole
    assert graded["processes_after"] == []
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
