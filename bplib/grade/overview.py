"""Which tasks of which exercises pass: a progress overview for self-learners.

In a notebook cell:   from bplib.grade import progress; progress()
In a terminal:        python -m bplib.grade.overview [FOLDER]

Runs your saved exercise notebooks (FOLDER, by default the `exercises/` folder you work in) the
way the instructor's grader does, but without its sandbox (they are your own notebooks): each in
a fresh kernel, on a copy (your files are only read), then every task's public check and hidden
checks, judged outside the kernel. Save your notebooks first: what is not saved
is not seen. Chapter: every exercise.
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from pathlib import Path

from bplib.grade.batch import Graded, Limits, grade
from bplib.grade.submission import EXERCISE_FILE

SYMBOLS = {"passed": "✓", "wrong": "✗", "wrong (hidden)": "✗h", "not implemented": "·", "not graded": "!"}
LEGEND = ("✓ passed   ✗ wrong   ✗h passes the check shown in the notebook but not a hidden check   "
          "· not started   ! could not be run")


def default_folder() -> Path:
    """The working directory when it holds exercise notebooks, else the course's exercises/ folder."""
    here = Path.cwd()
    if any(EXERCISE_FILE.match(p.name) for p in here.glob("*.ipynb")):
        return here
    import bplib

    return Path(bplib.__file__).resolve().parents[1] / "exercises"


@dataclass
class Progress:
    """The overview: one Graded per exercise notebook found. Shown as a table (text or HTML)."""

    folder: Path
    results: list[Graded]

    def _lines(self) -> list[tuple[str, str, list[tuple[str, str]], str]]:
        """(notebook, points, [(task, symbol)], note) per notebook."""
        lines = []
        for g in self.results:
            points = f"{g.points}/{g.max_points}" if g.max_points else "-"
            tasks = [(t["task"], SYMBOLS.get(t["status"], "?")) for t in g.tasks]
            lines.append((g.submission.name, points, tasks, g.reason))
        return lines

    def __str__(self) -> str:
        if not self.results:
            return f"No exercise notebooks (NN_topic.ipynb) in {self.folder}."
        width = max(len(name) for name, *_ in self._lines())
        out = [f"{'exercise':<{width}}  {'points':>6}  tasks"]
        for name, points, tasks, note in self._lines():
            cells = "  ".join(f"{task} {symbol:<2}" for task, symbol in tasks).rstrip()
            out.append(f"{name:<{width}}  {points:>6}  {cells}" + (f"  ({note})" if note else ""))
        total = f"{sum(g.points for g in self.results)}/{sum(g.max_points for g in self.results)}"
        out += [f"{'total':<{width}}  {total:>6}", "", LEGEND]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        if not self.results:
            return f"<p>{html.escape(str(self))}</p>"
        rows = []
        for name, points, tasks, note in self._lines():
            cells = " ".join(f"<code>{html.escape(t)}</code>&nbsp;{html.escape(s)}" for t, s in tasks)
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{points}</td><td>{cells}</td>"
                        f"<td>{html.escape(note)}</td></tr>")
        return ("<table><tr><th>exercise</th><th>points</th><th>tasks</th><th></th></tr>"
                + "".join(rows) + f"</table><p><small>{html.escape(LEGEND)}</small></p>")

    def __repr__(self) -> str:
        return str(self)


def progress(folder=None, *, hidden: bool = True, jobs: int | None = None, timeout: float = 120.0) -> Progress:
    """Run every exercise notebook in `folder` and return the overview of its tasks.

    Inputs:
        folder: where your exercise notebooks are (default: see default_folder()).
        hidden: run the hidden checks too (what the instructor's grader runs).
        jobs: notebooks run at once (default: one per core).
        timeout: seconds for one notebook's cells.
    Returns:
        a Progress; in a notebook it shows as a table, in a terminal print() it.
    Raises:
        ValueError when `folder` is not a folder.
    """
    folder = default_folder() if folder is None else Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder: expected a folder of exercise notebooks, got {str(folder)!r}")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if EXERCISE_FILE.match(p.name))
    print(f"Running {len(notebooks)} saved exercise notebook(s) from {folder.name}/ in fresh kernels ...",
          flush=True)
    # Your own notebooks on your own machine: no sandbox needed (nor bubblewrap, so this works on macOS too)
    results, _ = grade(notebooks, limits=Limits(timeout=timeout), hidden=hidden, jobs=jobs, isolated=False)
    return Progress(folder, [g for g in results if g.submission.exercise])


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else None
    try:
        print(progress(folder))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
