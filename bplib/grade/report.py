"""Write a graded batch: the score table (CSV and JSON), one feedback file per student, executed copies.

The table has one row per submission and task:
    student, submission, exercise, task, title, points, max_points, verdict, public, hidden, detail, reason,
    isolated
verdict:  passed | wrong | wrong (hidden) | not implemented | not graded
public:   the public check's status (what the learner's check cell shows)
hidden:   "passed 2 of 2", "failed 1 of 2: other shapes", or "not run"
detail:   what the first failing check saw (never an expected value)
reason:   why the submission was not (fully) graded, e.g. a time limit
isolated: "yes" when the notebook ran in a bubblewrap sandbox, "NO" when the run had --no-sandbox
scores.json adds the run's seed (the hidden cases: `--seed` grades the same cases again), its settings,
and every detail, hint and cell error. Feedback speaks to the learner: verdicts, details and hints,
labelled public or hidden, and the errors of their own cells; it says "all checks passed" only when
every public and hidden check did. Every file here is written by the grader, from data: nothing a
notebook ran could write into this folder. Chapter: every exercise.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import nbformat

from bplib.grade.batch import Graded, Run, safe_name

COLUMNS = ["student", "submission", "exercise", "task", "title", "points", "max_points", "verdict", "public",
           "hidden", "detail", "reason", "isolated"]
NOT_ISOLATED = ("graded WITHOUT isolation (--no-sandbox): the notebooks ran as plain processes of the grader's "
                "user, so the verdicts are only as trustworthy as the notebooks")
MARKER = ".bplib-grade"  # marks a folder written by this command, which a later run may write again


def hidden_summary(report: dict) -> str:
    """ "passed 2 of 2", "failed 1 of 2: other shapes", or "not run"."""
    rows = report["hidden"]
    if not rows:
        return "not run"
    failed = [row["name"] for row in rows if row["status"] != "passed"]
    if not failed:
        return f"passed {len(rows)} of {len(rows)}"
    return f"failed {len(failed)} of {len(rows)}: {', '.join(failed)}"


def _first_detail(report: dict) -> str:
    if report["status"] == "not graded":
        return ""  # the reason column says why
    if report["public"]["status"] != "passed":
        return report["public"]["detail"]
    for row in report["hidden"]:
        if row["status"] != "passed":
            return f"hidden check '{row['name']}': {row['detail']}"
    return ""


def rows(results: list[Graded], isolated: bool = True) -> list[dict]:
    """The score table, one dict per submission and task (a submission with no known exercise: one row)."""
    table = []
    for graded in results:
        sub = graded.submission
        base = {"student": sub.student, "submission": sub.name, "exercise": sub.exercise, "reason": graded.reason,
                "isolated": "yes" if isolated else "NO"}
        if not graded.tasks:
            table.append({**base, "task": "", "title": "", "points": 0, "max_points": 0, "verdict": "not graded",
                          "public": "not graded", "hidden": "not run", "detail": ""})
        for report in graded.tasks:
            table.append({**base, "task": report["task"], "title": report["title"], "points": report["points"],
                          "max_points": report["max_points"], "verdict": report["status"],
                          "public": report["public"]["status"], "hidden": hidden_summary(report),
                          "detail": _first_detail(report)})
    return table


def prepare_folder(out: Path, overwrite: bool) -> None:
    """Make `out` ready: a new or empty folder, or, with `overwrite`, one an earlier run wrote.

    Raises:
        FileExistsError when `out` holds files this command did not write (they are never touched),
        or when it holds an earlier run's results and `overwrite` is False.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out}: expected a folder, found a file")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise FileExistsError(f"--out {out} is not empty and was not written by the grader: "
                                  "choose a new folder (nothing in it was changed)")
        if not overwrite:
            raise FileExistsError(f"--out {out} holds an earlier grading: pass --overwrite to replace it, "
                                  "or choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by python -m bplib.grade\n")


def write_table(results: list[Graded], out: Path, run: Run, settings: dict) -> None:
    """out/scores.csv and out/scores.json (the JSON has the seed, every detail, hint and cell error)."""
    table = rows(results, run.isolated)
    with open(out / "scores.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    names = feedback_names(results)
    submissions = [{
        "student": g.submission.student, "submission": g.submission.name, "exercise": g.submission.exercise,
        "status": g.status, "reason": g.reason, "points": g.points, "max_points": g.max_points,
        "sha256": g.submission.sha256, "seconds": g.seconds, "cell_errors": g.cell_errors, "tasks": g.tasks,
        "feedback": f"feedback/{names[g.submission.student]}",
    } for g in results]
    document = {"graded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "seed": run.seed, "isolated": run.isolated, "allow_bplib": run.allow_bplib,
                "settings": settings, "rows": table, "submissions": submissions, "left_out": list(run.left_out)}
    if not run.isolated:
        document["warning"] = NOT_ISOLATED
    (out / "scores.json").write_text(json.dumps(document, indent=1), encoding="utf-8")


def write_executed(results: list[Graded], out: Path) -> None:
    """out/executed/<student file>/<submission>: each notebook as its sandbox ran it, checked to be a notebook."""
    names = feedback_names(results)
    for graded in results:
        if not graded.executed:
            continue
        try:
            notebook = nbformat.from_dict(graded.executed)
            text = nbformat.writes(notebook)
        except Exception:  # whatever came back is no notebook: there is nothing to keep
            continue
        folder = out / "executed" / names[graded.submission.student].removesuffix(".md")
        folder.mkdir(parents=True, exist_ok=True)
        file_name = "__".join(safe_name(part) for part in Path(graded.submission.name).parts) or "notebook.ipynb"
        if not file_name.endswith(".ipynb"):
            file_name += ".ipynb"
        (folder / file_name).write_text(text, encoding="utf-8")


# ---- feedback ---------------------------------------------------------------------------------


def _points(n: int) -> str:
    return f"{n} point" + ("" if n == 1 else "s")


def _task_feedback(report: dict) -> list[str]:
    head = f"- **Task {report['task']}** `{report['title']}` ({_points(report['max_points'])}): "
    public, hidden = report["public"], report["hidden"]
    if report["status"] == "passed":
        extra = f" and {len(hidden)} hidden check{'s' if len(hidden) != 1 else ''}" if hidden else ""
        return [head + f"passed (the public check{extra})."]
    if report["status"] == "not graded":
        return [head + f"not graded: {public['detail']}."]
    if public["status"] == "not implemented":
        return [head + "not implemented yet." + (f" {public['hint']}" if public["hint"] else "")]
    if public["status"] != "passed":
        lines = [head + "wrong (public check)" + (f": {public['detail']}." if public["detail"] else ".")]
        lines += [f"  Hint: {public['hint']}"] if public["hint"] else []
        return lines
    lines = [head + "passed the public check, but not every hidden check:"]
    for row in hidden:
        if row["status"] == "passed":
            continue
        lines.append(f"  - hidden check *{row['name']}* ({row['what']}): {row['status']}"
                     + (f": {row['detail']}." if row["detail"] else "."))
        lines += [f"    Hint: {row['hint']}"] if row["hint"] else []
    return lines


def _verdict_line(graded: Graded) -> str:
    """The one-line summary of a submission; 'all checks passed' only when every one did."""
    if graded.status == "not graded":
        return f"Not graded: {graded.reason}."
    tasks = graded.tasks
    if all(t["status"] == "passed" for t in tasks):
        if all(t["hidden"] for t in tasks):
            return "All checks passed, public and hidden."
        return "All public checks passed (hidden checks were not run)."
    public_ok = all(t["public"]["status"] == "passed" for t in tasks)
    hidden_failed = sum(1 for t in tasks for h in t["hidden"] if h["status"] != "passed")
    if public_ok and hidden_failed:
        return (f"All public checks passed, but {hidden_failed} hidden check{'s' if hidden_failed != 1 else ''} "
                "failed: see below.")
    done = sum(1 for t in tasks if t["status"] == "passed")
    return f"{done} of {len(tasks)} tasks passed."


def feedback_text(student: str, results: list[Graded]) -> str:
    """The feedback for one student's submissions, as Markdown."""
    lines = [f"# Feedback for {student}", ""]
    for graded in results:
        sub = graded.submission
        title = f"Exercise {sub.exercise}" if sub.exercise else "Submission"
        lines += [f"## {title}: {sub.name}", "",
                  f"Score: {graded.points} of {graded.max_points} points. {_verdict_line(graded)}", ""]
        if graded.status == "partly graded" and graded.reason:
            lines += [f"Note: {graded.reason}.", ""]
        for report in graded.tasks:
            lines += _task_feedback(report)
        if graded.cell_errors:
            lines += ["", "Errors in your notebook when it was run top to bottom:"]
            lines += [f"- {error}" for error in graded.cell_errors]
        lines.append("")
    lines += ["Public checks are the ones your notebook's check cells run; hidden checks try your functions on "
              "other inputs (other shapes, edge cases). Details and hints never give the expected answer.", ""]
    return "\n".join(lines)


def feedback_names(results: list[Graded]) -> dict[str, str]:
    """student -> the file name of their feedback: safe_name(student).md, made unique.

    Two students whose names differ only in characters a file name cannot hold, or only in case (which
    some file systems ignore), get a short hash of their full name appended, so none overwrites another."""
    students = sorted({g.submission.student for g in results})
    by_file: dict[str, list[str]] = defaultdict(list)
    for student in students:
        by_file[safe_name(student).lower()].append(student)
    names = {}
    for student in students:
        base = safe_name(student)
        if len(by_file[base.lower()]) > 1 or base != student:
            base += "-" + hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        names[student] = f"{base}.md"
    return names


def write_feedback(results: list[Graded], out: Path, isolated: bool = True) -> list[Path]:
    """out/feedback/<student>.md for every student (names from feedback_names); returns the files written."""
    by_student: dict[str, list[Graded]] = defaultdict(list)
    for graded in results:
        by_student[graded.submission.student].append(graded)
    names = feedback_names(results)
    folder = out / "feedback"
    folder.mkdir(exist_ok=True)
    written = []
    for student, graded in sorted(by_student.items()):
        path = folder / names[student]
        text = feedback_text(student, graded)
        if not isolated:
            text = text.replace("\n", f"\n\n> Note: {NOT_ISOLATED}.\n", 1)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def summary_lines(results: list[Graded]) -> list[str]:
    """One line per submission: student, exercise, points, status, reason."""
    width = max([len(g.submission.student) for g in results] + [7])
    lines = [f"{'student':<{width}}  ex  points  status"]
    for g in results:
        points = f"{g.points}/{g.max_points}" if g.max_points else "-"
        tail = f"  ({g.reason})" if g.reason else ""
        exercise = g.submission.exercise or "--"
        lines.append(f"{g.submission.student:<{width}}  {exercise:<2}  {points:>6}  {g.status}{tail}")
    return lines
