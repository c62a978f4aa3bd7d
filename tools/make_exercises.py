"""Generate exercises/ from solutions/, the single source of every exercise.

    python tools/make_exercises.py           # (re)write exercises/NN_*.ipynb
    python tools/make_exercises.py --check   # exit 1, naming the files, if exercises/ is out of step

For each solutions/NN_topic.ipynb this writes exercises/NN_topic.ipynb with:
- every code block between `### BEGIN SOLUTION` and `### END SOLUTION` replaced by
  `# YOUR CODE HERE` and `raise NotImplementedError()` at the block's indentation: exactly
  what nbgrader's generate_assignment writes (its default code stub), so an instructor may
  use either tool. Solution blocks must sit inside a function (a top-level `raise` would stop
  an untouched exercise with a traceback);
- every such block in a markdown cell replaced by "YOUR ANSWER HERE" (nbgrader's text stub);
- everything between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS` removed;
- outputs, execution counts and run-time metadata dropped.
A solution cell must name its task in its metadata {"bplib": {"task": "N.k"}}: the grader
and the checks find tasks by it.

Output is deterministic, so regenerating an unchanged solution gives identical bytes.
Each exercise records where it came from and a hash of its cells' sources; a file
in exercises/ that was not generated, or was edited after it was generated, is never
overwritten: the command stops with an error instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CELL_METADATA_KEPT = ("nbgrader", "bplib", "tags", "editable", "deletable")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class GenerationError(ValueError):
    """A solution notebook cannot be turned into an exercise, or an exercise must not be overwritten."""


# ---- transforming one cell's source ---------------------------------------------------


def _marker_blocks(lines: list[str], begin: str, end: str, where: str) -> list[tuple[int, int]]:
    """(begin_index, end_index) of each begin/end marker pair; GenerationError if unbalanced."""
    blocks, start = [], None
    for i, line in enumerate(lines):
        text = line.strip()
        if text == begin:
            if start is not None:
                raise GenerationError(f"{where}: {begin!r} at line {i + 1} inside another block")
            start = i
        elif text == end:
            if start is None:
                raise GenerationError(f"{where}: {end!r} at line {i + 1} without {begin!r}")
            blocks.append((start, i))
            start = None
    if start is not None:
        raise GenerationError(f"{where}: {begin!r} at line {start + 1} is never closed by {end!r}")
    return blocks


def _replace_blocks(source: str, begin: str, end: str, where: str, replacement) -> str:
    """Replace each begin..end block (markers included) by replacement(indent, block_lines)."""
    lines = source.split("\n")
    for start, stop in reversed(_marker_blocks(lines, begin, end, where)):
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        lines[start : stop + 1] = replacement(indent, lines[start + 1 : stop])
    return "\n".join(lines)


def strip_hidden_tests(source: str, where: str) -> str:
    """The source without its hidden-test blocks (markers included)."""
    return _replace_blocks(source, BEGIN_HIDDEN, END_HIDDEN, where, lambda indent, block: [])


CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]  # nbgrader's default code stub for Python
TEXT_STUB = "YOUR ANSWER HERE"  # nbgrader's default text stub


def exercise_code(source: str, where: str) -> str:
    """A solution code cell's source with its solution blocks replaced (see the module docstring)."""

    def replacement(indent: str, block: list[str]) -> list[str]:
        if indent == "":
            raise GenerationError(
                f"{where}: a solution block at the top level of a cell becomes a top-level "
                "`raise NotImplementedError()`, which stops the untouched exercise with a traceback: "
                "put the solution inside a function"
            )
        return [indent + line for line in CODE_STUB]

    return _replace_blocks(source, BEGIN_SOLUTION, END_SOLUTION, where, replacement)


def exercise_markdown(source: str, where: str) -> str:
    """A markdown answer cell's source with each solution block replaced by YOUR ANSWER HERE."""
    return _replace_blocks(source, BEGIN_SOLUTION, END_SOLUTION, where, lambda indent, block: [TEXT_STUB])


# ---- one notebook ----------------------------------------------------------------------


def cells_hash(cells) -> str:
    """sha256 of the cells' types and sources: what the learner can edit."""
    # a notebook file may store a source as a list of lines; nbformat joins them into one string
    content = [[cell["cell_type"], "".join(cell["source"])] for cell in cells]
    return hashlib.sha256(json.dumps(content, ensure_ascii=True).encode()).hexdigest()


def make_exercise(solution: nbformat.NotebookNode, source_name: str) -> nbformat.NotebookNode:
    """The exercise notebook generated from a solution notebook.

    Inputs:
        solution: the solution notebook (nbformat 4).
        source_name: its path relative to the repository, e.g. "solutions/01_sigmoid_derivative.ipynb",
            recorded in the exercise and used in error messages.
    Returns:
        a new notebook; `solution` is not modified.
    """
    cells = []
    for number, cell in enumerate(solution.cells, start=1):
        where = f"{source_name}, cell {number}"
        source = strip_hidden_tests(cell.source, where)
        has_solution = any(line.strip() in (BEGIN_SOLUTION, END_SOLUTION) for line in source.split("\n"))
        is_solution_cell = cell.metadata.get("nbgrader", {}).get("solution", False)
        if has_solution and not is_solution_cell:
            raise GenerationError(f"{where}: has {BEGIN_SOLUTION!r} but no nbgrader metadata with solution: true")
        if has_solution and cell.cell_type == "code":
            task = cell.metadata.get("bplib", {}).get("task")
            if not task:
                raise GenerationError(f'{where}: a solution cell needs metadata {{"bplib": {{"task": "N.k"}}}}')
            source = exercise_code(source, where)
        elif has_solution and cell.cell_type == "markdown":
            source = exercise_markdown(source, where)
        new = {
            "cell_type": cell.cell_type,
            "id": cell.get("id", f"cell-{number}"),
            "metadata": {key: cell.metadata[key] for key in CELL_METADATA_KEPT if key in cell.metadata},
            "source": source,
        }
        if cell.cell_type == "code":
            new.update(execution_count=None, outputs=[])
        cells.append(new)

    bplib_meta = dict(solution.metadata.get("bplib", {}))
    if "exercise" not in bplib_meta:
        raise GenerationError(f'{source_name}: needs notebook metadata {{"bplib": {{"exercise": "NN", ...}}}}')
    bplib_meta["generated"] = {"from": source_name, "cells_sha256": cells_hash(cells)}
    exercise = nbformat.from_dict(
        {
            "cells": cells,
            "metadata": {
                "bplib": bplib_meta,
                "kernelspec": dict(solution.metadata.get("kernelspec", KERNELSPEC)),
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )
    nbformat.validate(exercise)
    return exercise


def exercise_text(solution_path: Path, repo: Path = REPO) -> str:
    """The exact file content of the exercise generated from `solution_path`."""
    solution = nbformat.read(solution_path, as_version=4)
    try:
        source_name = solution_path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:  # a solution outside the repository (tests use temporary folders)
        source_name = f"solutions/{solution_path.name}"
    text = nbformat.writes(make_exercise(solution, source_name))
    return text if text.endswith("\n") else text + "\n"


# ---- folders ---------------------------------------------------------------------------


def solution_paths(solutions_dir: Path) -> list[Path]:
    """Every solutions/NN_*.ipynb, sorted."""
    return sorted(solutions_dir.glob("[0-9][0-9]_*.ipynb"))


def _generated_info(path: Path) -> dict | None:
    """The "generated" record of an exercise file, or None when it was not generated (or unreadable)."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        return notebook["metadata"]["bplib"]["generated"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _refuse_reason(path: Path) -> str | None:
    """Why an existing exercise file must not be overwritten, or None when it may be."""
    info = _generated_info(path)
    if info is None:
        return f"{path} was not generated from a solution"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    if cells_hash(notebook["cells"]) != info.get("cells_sha256"):
        return f"{path} was edited after it was generated"
    return None


def out_of_step(solutions_dir: Path = SOLUTIONS, exercises_dir: Path = EXERCISES, repo: Path = REPO) -> list[str]:
    """Messages naming each exercise that differs from what its solution generates (empty: in step)."""
    problems = []
    expected_names = set()
    for solution_path in solution_paths(solutions_dir):
        target = exercises_dir / solution_path.name
        expected_names.add(target.name)
        if not target.exists():
            problems.append(f"{target.name}: missing (generate it from {solution_path.name})")
        elif target.read_text(encoding="utf-8") != exercise_text(solution_path, repo):
            problems.append(f"{target.name}: differs from what {solution_path.name} generates")
    for path in sorted(exercises_dir.glob("*.ipynb")):
        if path.name not in expected_names and _generated_info(path) is not None:
            problems.append(f"{path.name}: generated from a solution that no longer exists")
    return problems


def write_exercises(solutions_dir: Path = SOLUTIONS, exercises_dir: Path = EXERCISES, repo: Path = REPO) -> list[Path]:
    """Write every exercise whose content changed; return the paths written.

    Raises GenerationError, before writing anything, when an exercise file that
    would change was not generated or was edited after generation.
    """
    plan = []
    for solution_path in solution_paths(solutions_dir):
        target = exercises_dir / solution_path.name
        text = exercise_text(solution_path, repo)
        if target.exists():
            if target.read_text(encoding="utf-8") == text:
                continue
            reason = _refuse_reason(target)
            if reason:
                raise GenerationError(f"refusing to overwrite {reason}; move or delete it, then run again")
        plan.append((target, text))
    exercises_dir.mkdir(parents=True, exist_ok=True)
    for target, text in plan:
        with open(target, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
    return [target for target, _ in plan]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report exercises that are out of step")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, help="folder of solution notebooks")
    parser.add_argument("--exercises", type=Path, default=EXERCISES, help="folder of exercise notebooks")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = out_of_step(args.solutions, args.exercises)
            for problem in problems:
                print(f"out of step: {problem}")
            if problems:
                print("run: python tools/make_exercises.py")
            return 1 if problems else 0
        for path in write_exercises(args.solutions, args.exercises):
            print(f"wrote {path.name}")
    except GenerationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
