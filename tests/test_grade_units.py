"""bplib.grade without kernels: finding and naming submissions, limits, verdicts, reports, folders."""

from __future__ import annotations

import dataclasses
import json

import nbformat
import numpy as np
import pytest
import submissions as subs

from bplib.checks import TASKS, check
from bplib.grade import batch, report, require_pass, task_report, verdicts
from bplib.grade import submission as sub
from bplib.grade.__main__ import main as grade_main

# ---- which student, which exercise -------------------------------------------------------------------


def test_students_come_from_folders_or_file_names(tmp_path):
    (tmp_path / "submitted" / "alice" / "ps3").mkdir(parents=True)
    (tmp_path / "inbox" / "bob").mkdir(parents=True)
    nested = tmp_path / "submitted" / "alice" / "ps3" / "03_delta_rule.ipynb"
    handed_out_name = tmp_path / "inbox" / "bob" / "03_delta_rule.ipynb"
    own_name = tmp_path / "inbox" / "carol-ex03.ipynb"
    checkpoint = tmp_path / "submitted" / "alice" / ".ipynb_checkpoints" / "03_delta_rule-checkpoint.ipynb"
    checkpoint.parent.mkdir()
    for path in (nested, handed_out_name, own_name, checkpoint):
        path.write_text("{}")
    found = sub.find([tmp_path / "submitted", handed_out_name, own_name, tmp_path / "nope.ipynb"])
    assert [(s.student, s.name) for s in found] == [
        ("alice", "alice/ps3/03_delta_rule.ipynb"), ("bob", "03_delta_rule.ipynb"),
        ("carol-ex03", "carol-ex03.ipynb"), ("nope", "nope.ipynb")]
    assert found[-1].problem == "no such file"


def _read(tmp_path, nb, expected=None):
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    return sub.read(sub.Submission(path, "x", "x.ipynb"), expected)


def test_the_exercise_comes_from_metadata_not_the_file_name(tmp_path):
    nb = subs.solution("04")
    nb.metadata["bplib"]["tasks"] = ["4.1"]  # a learner's edit cannot drop tasks from grading
    read = _read(tmp_path, nb)
    assert read.problem == "" and read.exercise == "04" and read.tasks == ["4.1", "4.2", "4.3", "4.4"]


def test_cells_copied_into_a_new_notebook_are_still_recognised(tmp_path):
    nb = subs.solution("05")
    nb.metadata = {}
    assert _read(tmp_path, nb).exercise == "05"


def test_a_notebook_of_no_exercise_is_not_graded(tmp_path):
    read = _read(tmp_path, nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
    assert read.notebook is None and "not one of the course's exercise notebooks" in read.problem


def test_another_exercise_is_refused_when_one_is_being_graded(tmp_path):
    read = _read(tmp_path, subs.solution("02"), expected="03")
    assert read.problem == "this is exercise 02, not exercise 03, which is being graded"


@pytest.mark.parametrize("kind", sorted(subs.RAW_FILES))
def test_files_that_are_no_notebooks_get_a_problem(tmp_path, kind):
    read = sub.read(sub.Submission(subs.write(tmp_path, "s", kind), "s", "s.ipynb"))
    assert read.problem and read.notebook is None
    assert read.sha256  # hashed all the same, to prove later that it was not changed


def test_a_huge_file_is_not_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(sub, "MAX_BYTES", 100)
    read = sub.read(sub.Submission(subs.write(tmp_path, "s", "correct"), "s", "s.ipynb"))
    assert read.problem.startswith("the file is too large")


# ---- limits and arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"cell_seconds": -1}, {"check_seconds": "5"},
                                    {"memory_mb": 100}, {"timeout": True}])
def test_bad_limits_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        batch.Limits(**kwargs)


def test_an_unknown_exercise_is_refused(tmp_path):
    with pytest.raises(ValueError, match="exercise: expected one of 01, 02"):
        batch.grade([tmp_path], exercise="42")


def test_the_command_refuses_a_folder_it_did_not_write_and_touches_nothing(tmp_path, capsys):
    out = tmp_path / "grades"
    out.mkdir()
    (out / "my_notes.txt").write_text("mine")
    assert grade_main([str(tmp_path / "none.ipynb"), "--out", str(out)]) == 2
    assert "not written by the grader" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["my_notes.txt"]


def test_an_earlier_run_is_replaced_only_when_asked(tmp_path, capsys):
    out = tmp_path / "grades"
    missing = str(tmp_path / "none.ipynb")
    assert grade_main([missing, "--out", str(out)]) == 1  # graded: 1 submission, which is missing
    assert grade_main([missing, "--out", str(out)]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert grade_main([missing, "--out", str(out), "--overwrite"]) == 1
    (row,) = json.loads((out / "scores.json").read_text())["rows"]
    assert row["verdict"] == "not graded" and row["reason"] == "no such file"


# ---- verdicts ---------------------------------------------------------------------------------------------


def sigmoid_prime(z):
    s = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
    return s * (1 - s)


def test_task_report_labels_public_and_hidden_and_awards_points():
    good = task_report("1.1", sigmoid_prime)
    assert good["status"] == "passed" and good["points"] == TASKS["1.1"].points
    assert good["public"]["status"] == "passed" and good["hidden"]
    assert all(row["status"] == "passed" and row["name"] and row["what"] for row in good["hidden"])
    bad = task_report("1.1", lambda z: 1.0 / (1.0 + np.exp(-z)))
    assert bad["status"] == "wrong" and bad["points"] == 0 and bad["public"]["hint"]
    assert task_report("1.1", sigmoid_prime, hidden=False)["hidden"] == []


def test_a_failing_checker_is_reported_not_raised(monkeypatch):
    def broken(answer):
        raise ValueError("a bug in a checker")

    monkeypatch.setitem(TASKS, "1.1", dataclasses.replace(TASKS["1.1"], checker=broken))
    report_ = task_report("1.1", sigmoid_prime, hidden=False)
    assert report_["status"] == "wrong" and "the check itself failed" in report_["public"]["detail"]


@pytest.mark.parametrize(("public", "hidden", "status"), [
    ("passed", ["passed", "passed"], "passed"),
    ("passed", ["passed", "wrong"], "wrong (hidden)"),
    ("passed", [], "passed"),
    ("wrong", ["passed"], "wrong"),
    ("not implemented", ["not implemented"], "not implemented"),
])
def test_a_task_passes_only_when_every_check_passes(public, hidden, status):
    assert verdicts.combined_status(public, hidden) == status


def test_require_pass_is_quiet_for_a_right_answer_and_names_the_failing_check():
    require_pass("1.1", sigmoid_prime)
    with pytest.raises(AssertionError, match=r"Exercise 1\.1 \(sigmoid_prime\): public check: wrong"):
        require_pass("1.1", lambda z: 1.0 / (1.0 + np.exp(-z)))
    with pytest.raises(AssertionError, match="not implemented"):
        require_pass("1.1", subs_stub)


def subs_stub(*args):
    raise NotImplementedError()


def test_answers_are_found_by_name_in_the_namespace():
    assert verdicts.answer_of(TASKS["1.1"], {"sigmoid_prime": sigmoid_prime}) is sigmoid_prime
    numbers_task = dataclasses.replace(TASKS["1.1"], title="df_dx, df_dy, df_dz", wants_function=False)
    assert verdicts.answer_of(numbers_task, {"df_dx": 1.0, "df_dy": 2.0, "df_dz": 3.0}) == (1.0, 2.0, 3.0)
    with pytest.raises(KeyError, match="sigmoid_prime"):
        verdicts.answer_of(TASKS["1.1"], {})


def test_grade_task_prints_one_marked_report_and_says_what_is_missing(capsys):
    report_ = verdicts.grade_task("1.1", "@@m@@", namespace={}, hidden=False)
    line = capsys.readouterr().out.strip()
    assert line.startswith("@@m@@") and json.loads(line[len("@@m@@"):]) == report_
    assert report_["status"] == "wrong" and "defines no function named sigmoid_prime" in report_["public"]["detail"]


def test_grade_task_stops_an_endless_answer_at_its_time_limit(capsys):
    def sigmoid_prime(z):
        while True:
            pass

    report_ = verdicts.grade_task("1.1", "@@m@@", namespace={"sigmoid_prime": sigmoid_prime}, seconds=0.3)
    assert report_["status"] == "wrong" and "did not finish within 0.3 s" in report_["public"]["detail"]


def test_check_in_a_notebook_reports_a_hidden_failure_as_such(capsys):
    # right for every input but a zero-dimensional array: the public cases have none, a hidden check does
    def sigmoid_prime(z):
        if isinstance(z, np.ndarray) and z.ndim == 0:
            return np.zeros(1)
        s = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
        return s * (1 - s)

    from bplib.checks import run_task

    assert run_task("1.1", sigmoid_prime).passed
    verdict = check("1.1", sigmoid_prime)
    assert verdict.status == "wrong" and "hidden check" in verdict.detail
    assert "hidden check" in capsys.readouterr().out


# ---- reports ------------------------------------------------------------------------------------------


def _graded(tasks, status="graded", reason=""):
    submission = sub.Submission(subs.ROOT / "x.ipynb", "zoe", "zoe.ipynb", exercise="01")
    return batch.Graded(submission, status, reason, tasks=tasks)


def _task(task_id, public="passed", hidden=("passed",)):
    rows = [{"name": f"h{i}", "what": "other shapes", "status": s, "detail": "d" if s != "passed" else "",
             "hint": "h" if s != "passed" else ""} for i, s in enumerate(hidden)]
    status = verdicts.combined_status(public, [r["status"] for r in rows])
    points = TASKS[task_id].points
    return {"task": task_id, "title": TASKS[task_id].title, "max_points": points,
            "points": points if status == "passed" else 0, "status": status,
            "public": {"status": public, "detail": "", "hint": ""}, "hidden": rows}


def test_feedback_never_says_all_passed_while_a_hidden_check_fails():
    tasks = [_task("1.1"), _task("1.2", hidden=("passed", "wrong"))]
    text = report.feedback_text("zoe", [_graded(tasks)])
    assert "All checks passed" not in text
    assert "All public checks passed, but 1 hidden check failed" in text
    assert "hidden check *h1* (other shapes): wrong: d." in text
    everything = report.feedback_text("zoe", [_graded([_task("1.1"), _task("1.2")])])
    assert "All checks passed, public and hidden." in everything
    public_only = report.feedback_text("zoe", [_graded([_task("1.1", hidden=())])])
    assert "All public checks passed (hidden checks were not run)." in public_only


def test_table_rows_say_public_hidden_and_why():
    table = report.rows([_graded([_task("1.1", hidden=("passed", "wrong"))]),
                         _graded([], status="not graded", reason="the file is empty")])
    assert table[0]["verdict"] == "wrong (hidden)" and table[0]["public"] == "passed"
    assert table[0]["hidden"] == "failed 1 of 2: h1" and table[0]["points"] == 0
    assert table[1]["verdict"] == "not graded" and table[1]["reason"] == "the file is empty"
    assert set(table[0]) == set(report.COLUMNS)
