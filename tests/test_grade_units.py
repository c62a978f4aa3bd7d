"""bplib.grade without kernels: finding and naming submissions, limits, verdicts, reports, folders."""

from __future__ import annotations

import dataclasses
import json

import nbformat
import numpy as np
import pytest
import submissions as subs

from bplib.checks import TASKS, ch06, check, run_hidden, run_task
from bplib.checks._core import allow_bplib
from bplib.grade import answering, batch, codec, report, require_pass, task_report, verdicts
from bplib.grade import submission as sub
from bplib.grade.__main__ import main as grade_main
from bplib.grade.remote import Budget, CallTimeout, RemoteAnswer

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


def test_other_exercises_are_left_out_only_for_students_who_handed_in_the_graded_one(tmp_path):
    # nbgrader's exchange hands in a whole folder: alice/exercises/01_*.ipynb ... 08_*.ipynb
    handed_in = {("alice", "01"): "alice/exercises/01.ipynb", ("alice", "02"): "alice/exercises/02.ipynb",
                 ("bob", "02"): "bob/02.ipynb", ("cy", None): "cy/notes.ipynb"}
    found = [sub.Submission(tmp_path / name, student, name, exercise=exercise or "")
             for (student, exercise), name in handed_in.items()]
    graded, left_out = batch._split_other_exercises(found, "01")
    assert [s.name for s in left_out] == ["alice/exercises/02.ipynb"]
    assert [s.name for s in graded] == ["alice/exercises/01.ipynb", "bob/02.ipynb", "cy/notes.ipynb"]
    assert batch._split_other_exercises(found, None) == (found, [])


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
    assert grade_main([missing, "--out", str(out), "--no-sandbox"]) == 1  # graded: 1 submission, which is missing
    assert grade_main([missing, "--out", str(out), "--no-sandbox"]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert grade_main([missing, "--out", str(out), "--overwrite", "--no-sandbox"]) == 1
    (row,) = json.loads((out / "scores.json").read_text())["rows"]
    assert row["verdict"] == "not graded" and row["reason"] == "no such file"


def test_without_bubblewrap_the_grader_refuses_unless_told_and_then_says_so(tmp_path, capsys, monkeypatch):
    from bplib.grade import sandbox

    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / "no-bwrap-here"))
    out = tmp_path / "grades"
    missing = str(tmp_path / "none.ipynb")
    assert grade_main([missing, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bubblewrap" in err and "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert not (out / "scores.csv").exists()
    assert grade_main([missing, "--out", str(out), "--no-sandbox", "--overwrite"]) == 1
    document = json.loads((out / "scores.json").read_text())
    assert document["isolated"] is False and "WITHOUT isolation" in document["warning"]
    assert {row["isolated"] for row in document["rows"]} == {"NO"}
    assert "WITHOUT isolation" in next((out / "feedback").glob("*.md")).read_text()
    assert "WARNING" in capsys.readouterr().out


def test_feedback_files_are_unique_whatever_the_names():
    names = ["alice", "alice.", "Alice", "bob/../x", "émile", "carol"]
    results = [batch.Graded(sub.Submission(subs.ROOT / f"{i}.ipynb", name, f"{i}.ipynb"), "graded")
               for i, name in enumerate(names)]
    files = report.feedback_names(results)
    assert len(set(files.values())) == len(names)
    assert len({f.lower() for f in files.values()}) == len(names)  # case-insensitive file systems too
    assert files["carol"] == "carol.md" and files["émile"] == "émile.md"
    assert all("/" not in f and not f.startswith(".") for f in files.values())


def test_links_are_never_followed_when_submissions_are_read(tmp_path):
    target = tmp_path / "secret.txt"
    target.write_text("root:x:0:0")
    inbox = tmp_path / "inbox"
    (inbox / "dan").mkdir(parents=True)
    (inbox / "eve.ipynb").symlink_to(target)
    (inbox / "dan" / "03_delta_rule.ipynb").symlink_to(subs.notebook_path(subs.SOLUTIONS, "03"))
    (inbox / "linked").symlink_to(subs.SOLUTIONS, target_is_directory=True)  # a folder link: not entered
    found = [sub.read(s) for s in sub.find([inbox, inbox / "eve.ipynb"])]
    assert sorted(s.name for s in found) == ["dan/03_delta_rule.ipynb", "eve.ipynb", "eve.ipynb"]
    assert all(s.problem.startswith("a symbolic link: not followed") and s.data == b"" for s in found)


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


# ---- across the sandbox wall: the same verdicts from plain data ------------------------------------------


class InProcessSession:
    """A Session whose sandbox is this process: each request and reply goes through JSON, and the
    notebook side is bplib.grade.answering.answer on a namespace, as in the sandbox's kernel."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def request(self, message: dict, timeout: float) -> dict:
        reply = answering.answer(json.loads(json.dumps(message)), self.namespace)
        return json.loads(json.dumps(reply))


def _remote(task_id: str, function) -> RemoteAnswer:
    name = TASKS[task_id].title
    return RemoteAnswer(InProcessSession({name: function}), name, Budget(60))


def _same_verdicts(task_id: str, function, seed: int = 7) -> None:
    local = [run_task(task_id, function), *run_hidden(task_id, function, seed)]
    remote_answer = _remote(task_id, function)
    remote = [run_task(task_id, remote_answer), *run_hidden(task_id, remote_answer, seed)]
    assert [(v.status, v.detail, v.hint) for v in remote] == [(v.status, v.detail, v.hint) for v in local]


CHAPTER_TESTS = ["test_checks", "test_checks_ch03", "test_checks_ch04", "test_checks_ch05", "test_checks_ch06",
                 "test_checks_ch07", "test_checks_ch08"]


def _answers():
    import importlib

    found = []
    for name in CHAPTER_TESTS:
        module = importlib.import_module(name)
        found += [(task_id, answer, "right") for task_id, answer in module.REFERENCE.items()]
        found += [(task_id, answer, key) for task_id, answer, key in module.MISTAKES]
    return found


ANSWERS = _answers()


@pytest.mark.parametrize(("task_id", "answer", "key"), ANSWERS,
                         ids=[f"{t}-{k}-{i}" for i, (t, _, k) in enumerate(ANSWERS)])
def test_a_function_checked_across_the_wall_gets_the_verdict_it_gets_in_a_notebook(task_id, answer, key):
    with allow_bplib():  # the chapter tests' right answers are often bplib's own functions
        _same_verdicts(task_id, answer)


def test_what_crosses_the_wall_is_plain_data_and_bounded():
    value = (np.arange(6.0).reshape(2, 3), {"a": [1, 2.5, None, "s"]}, float("nan"), np.float32(1.5), 3 + 4j, ...)
    back = codec.decode(json.loads(json.dumps(codec.encode(value))))
    assert back[0].tolist() == value[0].tolist() and back[0].flags.writeable
    assert back[1] == value[1] and np.isnan(back[2]) and type(back[3]) is np.float32 and back[5] is Ellipsis
    assert type(codec.decode(codec.encode({1, 2}))).__name__ == "set"  # an opaque stand-in that names its type
    assert type(codec.decode(codec.encode(np.array(["a"])))).__name__ == "object"
    for bad in ({"t": "nd", "dtype": "|O", "shape": [1], "data": ""},  # no object arrays
                {"t": "nd", "dtype": "<f8", "shape": [10**9], "data": ""},  # no huge arrays
                {"t": "nd", "dtype": "<f8", "shape": [2], "data": "AAAA"},  # data that fits no shape
                {"t": "ref", "target": "os:system", "args": []},
                {"t": "pickle", "v": "gASV"}):
        with pytest.raises(codec.CodecError):
            codec.decode(bad, refs=True)
    nested = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(codec.CodecError):
        codec.encode(nested)
    # callables reach the sandbox only as references to numpy, or as the checks' own given functions
    assert codec.decode(codec.encode(np.sin), refs=True) is np.sin
    assert type(codec.decode(codec.encode(np.sin))).__name__ == "function"  # the grader never resolves one
    given = codec.decode(codec.encode(ch06.quadratic_bowl([2.0, 3.0])), refs=True)
    assert given(np.ones(2)).tolist() == [2.0, 3.0]


def test_a_reply_that_is_not_data_counts_against_the_function_not_the_grader():
    class Garbage(InProcessSession):
        def request(self, message, timeout):
            return {"status": "returned", "value": {"t": "nd", "dtype": "|O", "shape": [1], "data": "AA=="}}

    verdict = run_task("1.1", RemoteAnswer(Garbage({}), "sigmoid_prime", Budget(60)))
    assert verdict.status == "wrong" and "cannot be checked" in verdict.detail


def test_a_call_past_the_task_budget_stops_the_task():
    answer = _remote("1.1", sigmoid_prime)
    answer.budget = Budget(0.0)
    with pytest.raises(CallTimeout):
        run_task("1.1", answer)


def test_check_in_a_notebook_reports_a_hidden_failure_as_such(capsys):
    # right for every input but a zero-dimensional array: the public cases have none, a hidden check does
    def sigmoid_prime(z):
        if isinstance(z, np.ndarray) and z.ndim == 0:
            return np.zeros(1)
        s = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
        return s * (1 - s)

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


def test_a_task_that_fails_because_of_one_it_builds_on_says_so(monkeypatch):
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()

    def compute_delta(x, y, w, b):  # task 3.2, wrong: the sigmoid's slope is missing
        return 1 / (1 + np.exp(-(x @ w + b))) - y

    def gradients(x, y, w, b):  # task 3.3, built on it
        delta = compute_delta(x, y, w, b)
        return x.T @ delta / len(y), float(np.mean(delta))

    monkeypatch.setitem(shell.user_ns, "compute_delta", compute_delta)
    verdict = check("3.3", gradients, quiet=True)
    assert verdict.status == "wrong"
    assert verdict.hint.startswith("This task builds on task 3.2 (compute_delta), which is not right yet")
    reports = batch._builds_on([task_report("3.2", compute_delta, hidden=False),
                                task_report("3.3", gradients, hidden=False)])
    assert reports[1]["builds_on"] == ["3.2"] and reports[1]["public"]["hint"].startswith("This task builds on")
    assert "builds_on" not in reports[0]


FORK_UNTIL_REFUSED = """
import os, time
started = 0
for _ in range(100):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    started += 1
print(started)
"""


def test_a_pids_cgroup_caps_the_processes_a_sandbox_starts():
    import os
    import subprocess
    import sys

    from bplib.grade.processes import cgroup_for_sandbox

    cgroup = cgroup_for_sandbox(limit=20)
    if cgroup is None:
        if os.geteuid() == 0 and os.environ.get("BPLIB_REQUIRE_SANDBOX") == "1":
            pytest.fail("the grader runs as root here but found no writable pids controller: a fork bomb is uncapped")
        pytest.skip("not root, or no writable pids controller (as a user, the kernel's RLIMIT_NPROC caps instead)")
    try:
        done = subprocess.run(cgroup.wrap([sys.executable, "-c", FORK_UNTIL_REFUSED]), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert 0 < int(done.stdout) < 20
    finally:
        assert cgroup.remove(wait_seconds=10)


def test_the_sandbox_reads_a_course_kept_under_tmp(tmp_path, monkeypatch):
    # a clone in a temporary folder: its files must be bound over the sandbox's private /tmp, not hidden by it
    from bplib.grade import sandbox

    if sandbox.bwrap_missing_reason():
        pytest.skip(sandbox.bwrap_missing_reason())
    course = tmp_path / "course"
    course.mkdir()
    (course / "module.py").write_text("print('the course is visible')\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(sandbox, "_read_only_paths", lambda: [course])
    box = sandbox.Sandbox(True, work, {})
    command = box.command(["/bin/cat", str(course / "module.py")], {"PATH": "/usr/bin:/bin"})
    import subprocess

    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "the course is visible" in done.stdout
