"""Grade a mixed batch of 40 submissions with the instructor's command, and time it.

    python benchmarks/grade_batch.py [--jobs 2] [--keep DIR] [--compare]

Writes 40 submissions into a temporary folder, one per student, spread over the eight
exercises: right, with one wrong task, untouched, hanging in a cell, crashing the kernel,
allocating more memory than the limit, and files that are no notebooks. Then runs
`python -m bplib.grade FOLDER --out OUT` with the default limits (120 s per notebook, 30 s per
cell, 20 s per task's checks, 2048 MB), each notebook in its bubblewrap sandbox, and prints the
wall time, the count of submissions by status, and whether the table has a row for every task
of every submission. --compare grades the same batch a second time with --no-sandbox and prints
the ratio of the two wall times (the cost of the sandbox, measured in one run). A benchmark, not
a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import submissions  # noqa: E402

EXERCISES = [f"{n:02d}" for n in range(1, 9)]
# kind -> how many of the 40; each runs on the exercises in turn (01, 02, ...)
MIX = {"correct": 12, "first_task_wrong": 8, "untouched": 6, "hang_at_top": 4, "kernel_crash": 3,
       "memory_hog": 3, "empty": 1, "not_json": 1, "json_not_notebook": 1, "binary": 1}


def write_batch(folder: Path) -> list[tuple[str, str, str]]:
    """Write the 40 submissions; returns (student, exercise, kind) for each."""
    made, k = [], 0
    for kind, count in MIX.items():
        for _ in range(count):
            exercise = EXERCISES[k % len(EXERCISES)]
            student = f"student{k + 1:02d}"
            submissions.write(folder, student, kind, exercise=exercise)
            made.append((student, exercise, kind))
            k += 1
    return made


def grade_once(inbox: Path, out: Path, jobs: int | None, sandbox: bool) -> tuple[float, int]:
    """Run the command on `inbox`; returns its wall time and exit status."""
    command = [sys.executable, "-m", "bplib.grade", str(inbox), "--out", str(out)]
    if jobs:
        command += ["--jobs", str(jobs)]
    if not sandbox:
        command.append("--no-sandbox")
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - start, run.returncode


def report(made, out: Path, wall: float, code: int, how: str) -> None:
    with open(out / "scores.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    print(f"{how}: wall time {wall:.1f} s (exit {code})")
    graded = json.loads((out / "scores.json").read_text())["submissions"]
    print("  submissions by status:", dict(collections.Counter(s["status"] for s in graded)))
    students = {row["student"] for row in rows}
    expected = sum(len(submissions.solution(ex).metadata["bplib"]["tasks"]) if kind not in submissions.RAW_FILES
                   else 1 for _, ex, kind in made)
    print(f"  table: {len(rows)} rows for {len(students)} students (expected {expected} rows, 40 students)")
    print(f"  points: {sum(int(r['points']) for r in rows)} of {sum(int(r['max_points']) for r in rows)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="notebooks at once (default: one per core)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the results in this new folder")
    parser.add_argument("--compare", action="store_true", help="grade again with --no-sandbox, print the ratio")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        inbox, out = Path(tmp) / "inbox", args.keep or Path(tmp) / "out"
        inbox.mkdir()
        made = write_batch(inbox)
        print(f"{len(made)} submissions: " + ", ".join(f"{n} {kind}" for kind, n in MIX.items()))
        print(f"command: python -m bplib.grade INBOX --out OUT{' --jobs ' + str(args.jobs) if args.jobs else ''}")
        wall, code = grade_once(inbox, out, args.jobs, sandbox=True)
        report(made, out, wall, code, "in bubblewrap sandboxes")
        if args.compare:
            plain_out = Path(tmp) / "plain"
            plain, code = grade_once(inbox, plain_out, args.jobs, sandbox=False)
            report(made, plain_out, plain, code, "with --no-sandbox")
            print(f"sandboxed / unsandboxed wall time: {wall / plain:.2f}")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a benchmark reports, it does not fail a build
        import traceback

        traceback.print_exc()
    sys.exit(0)
