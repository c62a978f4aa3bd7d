"""Grade a mixed batch of 40 submissions with the instructor's command, and time it.

    python benchmarks/grade_batch.py [--jobs 2] [--keep DIR]

Writes 40 submissions into a temporary folder, one per student, spread over the eight
exercises: right, with one wrong task, untouched, hanging in a cell, crashing the kernel,
allocating more memory than the limit, and files that are no notebooks. Then runs
`python -m bplib.grade FOLDER --out OUT` with the default limits (120 s per notebook, 30 s per
cell, 20 s per task's checks, 2048 MB) and prints the wall time, the count of submissions by
status, and whether the table has a row for every task of every submission. A benchmark, not a
test: it always exits 0.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="notebooks at once (default: one per core)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the results in this new folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        inbox, out = Path(tmp) / "inbox", args.keep or Path(tmp) / "out"
        inbox.mkdir()
        made = write_batch(inbox)
        command = [sys.executable, "-m", "bplib.grade", str(inbox), "--out", str(out)]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        with open(out / "scores.csv", newline="") as file:
            rows = list(csv.DictReader(file))
        print(f"{len(made)} submissions: " + ", ".join(f"{n} {kind}" for kind, n in MIX.items()))
        print(f"command: python -m bplib.grade INBOX --out OUT{' --jobs ' + str(args.jobs) if args.jobs else ''}"
              f" (exit {run.returncode})")
        print(f"wall time: {wall:.1f} s")
        graded = json.loads((out / "scores.json").read_text())["submissions"]
        print("submissions by status:", dict(collections.Counter(s["status"] for s in graded)))
        students = {row["student"] for row in rows}
        expected = sum(len(submissions.solution(ex).metadata["bplib"]["tasks"]) if kind not in submissions.RAW_FILES
                       else 1 for _, ex, kind in made)
        print(f"table: {len(rows)} rows for {len(students)} students (expected {expected} rows, 40 students)")
        print(f"points: {sum(int(r['points']) for r in rows)} of {sum(int(r['max_points']) for r in rows)}")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a benchmark reports, it does not fail a build
        import traceback

        traceback.print_exc()
    sys.exit(0)
