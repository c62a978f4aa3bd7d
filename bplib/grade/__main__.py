"""python -m bplib.grade SUBMISSIONS... --out DIR: grade a batch of exercise notebooks.

See bplib.grade.batch (how each notebook is run), bplib.grade.submission (which student and
exercise a file is) and bplib.grade.report (what is written). Exit status: 0 when every
submission was graded, 1 when some could not be (the table says why), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bplib.grade import report
from bplib.grade.batch import (
    DEFAULT_CELL_SECONDS,
    DEFAULT_CHECK_SECONDS,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    Limits,
    grade,
)

EPILOG = """\
examples:
  python -m bplib.grade submitted/ --out grades/                  # nbgrader-style submitted/<student>/...
  python -m bplib.grade inbox/*.ipynb --out grades/ --exercise 03  # alice.ipynb, bob.ipynb, ...

Writes DIR/scores.csv, DIR/scores.json, DIR/feedback/<student>.md and DIR/executed/ (the executed
copies). Submitted files are only read, never changed.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bplib.grade", description=__doc__.splitlines()[0],
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", nargs="+", type=Path, help="submitted notebooks, or folders of them")
    parser.add_argument("--out", required=True, type=Path, help="folder for the results (new, or an earlier run's)")
    parser.add_argument("--exercise", help="grade only this exercise (e.g. 03); other notebooks get a reason")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds for running all of one notebook's cells (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--cell-seconds", type=float, default=DEFAULT_CELL_SECONDS,
                        help=f"seconds for one cell; a longer one is interrupted (default {DEFAULT_CELL_SECONDS:g})")
    parser.add_argument("--check-seconds", type=float, default=DEFAULT_CHECK_SECONDS,
                        help=f"seconds for one task's checks (default {DEFAULT_CHECK_SECONDS:g})")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB,
                        help=f"memory limit of each notebook's kernel, MB (default {DEFAULT_MEMORY_MB})")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: one per core)")
    parser.add_argument("--no-hidden", action="store_true", help="run the public checks only")
    parser.add_argument("--overwrite", action="store_true", help="replace the results of an earlier run in --out")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.exercise is not None and args.exercise.isdigit():
        args.exercise = f"{int(args.exercise):02d}"  # "3" means "03"
    if args.jobs is not None and args.jobs < 1:
        print(f"error: --jobs: expected a positive number, got {args.jobs}", file=sys.stderr)
        return 2
    try:
        limits = Limits(args.timeout, args.cell_seconds, args.check_seconds, args.memory_mb)
        report.prepare_folder(args.out, args.overwrite)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    def said(graded) -> None:
        sub = graded.submission
        points = f"{graded.points}/{graded.max_points}" if graded.max_points else "-"
        print(f"  {sub.student}: {sub.name}: {points} {graded.status}", flush=True)

    print(f"grading {', '.join(str(p) for p in args.submissions)} ...", flush=True)
    try:
        results = grade(args.submissions, exercise=args.exercise, limits=limits, hidden=not args.no_hidden,
                        jobs=args.jobs, executed_dir=args.out / "executed", progress=said)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = {"exercise": args.exercise, "timeout": limits.timeout, "cell_seconds": limits.cell_seconds,
                "check_seconds": limits.check_seconds,
                "memory_mb": limits.memory_mb, "hidden": not args.no_hidden}
    report.write_table(results, args.out, settings)
    report.write_feedback(results, args.out)
    print()
    print("\n".join(report.summary_lines(results)))
    print(f"\nwrote {args.out / 'scores.csv'}, {args.out / 'scores.json'} and {args.out / 'feedback'}/")
    return 0 if all(g.status == "graded" for g in results) else 1


if __name__ == "__main__":
    sys.exit(main())
