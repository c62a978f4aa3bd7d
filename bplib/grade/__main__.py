"""python -m bplib.grade SUBMISSIONS... --out DIR: grade a batch of exercise notebooks.

See bplib.grade.batch (how each notebook is run and judged), bplib.grade.sandbox (the isolation),
bplib.grade.submission (which student and exercise a file is) and bplib.grade.report (what is
written). Exit status: 0 when every submission was graded, 1 when some could not be (the table says
why), 2 for bad arguments or a missing sandbox.
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
from bplib.grade.sandbox import bwrap_missing_reason

EPILOG = """\
examples:
  python -m bplib.grade submitted/ --out grades/                  # nbgrader-style submitted/<student>/...
  python -m bplib.grade inbox/*.ipynb --out grades/ --exercise 03  # alice.ipynb, bob.ipynb, ...

Each notebook runs in a bubblewrap sandbox (install: sudo apt-get install bubblewrap). Writes
DIR/scores.csv, DIR/scores.json (with the run's seed), DIR/feedback/<student>.md and DIR/executed/.
Submitted files are read once and never changed; symbolic links are never followed.
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
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden cases (default: a new random one, written to scores.json)")
    parser.add_argument("--allow-bplib", action="store_true",
                        help="let answers call bplib's own implementation of their task (scored 0 otherwise)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run notebooks without bubblewrap (no isolation: every report says so)")
    parser.add_argument("--overwrite", action="store_true", help="replace the results of an earlier run in --out")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.exercise is not None and args.exercise.isdigit():
        args.exercise = f"{int(args.exercise):02d}"  # "3" means "03"
    if args.jobs is not None and args.jobs < 1:
        print(f"error: --jobs: expected a positive number, got {args.jobs}", file=sys.stderr)
        return 2
    if not args.no_sandbox:
        missing = bwrap_missing_reason()
        if missing:
            print(f"error: {missing}.\nThe grader runs every submission in a sandbox and refuses to grade without "
                  "one. To grade anyway, without isolation (the notebooks then run as your user, with your files),\n"
                  "pass --no-sandbox; every report will then say so.", file=sys.stderr)
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

    where = "without a sandbox (--no-sandbox)" if args.no_sandbox else "each in a bubblewrap sandbox"
    print(f"grading {', '.join(str(p) for p in args.submissions)}, {where} ...", flush=True)
    try:
        results, run = grade(args.submissions, exercise=args.exercise, limits=limits, hidden=not args.no_hidden,
                             jobs=args.jobs, seed=args.seed, isolated=not args.no_sandbox,
                             allow_bplib=args.allow_bplib, progress=said)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = {"exercise": args.exercise, "timeout": limits.timeout, "cell_seconds": limits.cell_seconds,
                "check_seconds": limits.check_seconds, "memory_mb": limits.memory_mb, "hidden": not args.no_hidden}
    report.write_table(results, args.out, run, settings)
    report.write_feedback(results, args.out, run.isolated)
    report.write_executed(results, args.out)
    print()
    print("\n".join(report.summary_lines(results)))
    if run.left_out:
        print(f"\nleft out: {len(run.left_out)} notebooks of other exercises, by students who handed in "
              f"exercise {args.exercise} too (listed in scores.json)")
    if not run.isolated:
        print(f"\nWARNING: {report.NOT_ISOLATED}.")
    print(f"\nseed of the hidden cases: {run.seed} (grade the same cases again with --seed {run.seed})")
    print(f"wrote {args.out / 'scores.csv'}, {args.out / 'scores.json'} and {args.out / 'feedback'}/")
    return 0 if all(g.status == "graded" for g in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
