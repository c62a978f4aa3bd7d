"""Exercises and solutions stay in step, carry nbgrader metadata, and run as promised.

- exercises/ is exactly what tools/make_exercises.py generates from solutions/;
- the generator replaces solutions, drops hidden tests, and never overwrites a file
  it did not generate (or one edited since);
- every task of bplib.checks.TASKS lives in exactly one solution notebook, with
  nbgrader solution and grade cells;
- executed in a fresh kernel, every solution check prints "passed" and every
  untouched exercise runs top to bottom printing "not implemented yet".
"""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from conftest import EXERCISES, SOLUTIONS

from bplib.checks import TASKS, ch02
from tools import make_exercises as gen

SOLUTION_PATHS = gen.solution_paths(SOLUTIONS)
EXERCISE_PATHS = [EXERCISES / path.name for path in SOLUTION_PATHS]
VERDICT = re.compile(r"^Exercise (\d+\.\d+) \((.*?)\): (passed|not implemented yet|wrong.*)$", re.MULTILINE)


def _ids(paths):
    return [path.name for path in paths]


def _copy_repo_notebooks(tmp_path):
    """A temporary repository holding copies of solutions/ and exercises/."""
    shutil.copytree(SOLUTIONS, tmp_path / "solutions")
    shutil.copytree(EXERCISES, tmp_path / "exercises")
    return tmp_path / "solutions", tmp_path / "exercises"


def _edit_first_solution(solutions_dir):
    path = gen.solution_paths(solutions_dir)[0]
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "### BEGIN SOLUTION" in c.source)
    cell.source = cell.source.replace("### BEGIN SOLUTION", "### BEGIN SOLUTION\n    pass", 1)
    cell.source = cell.source.replace('"""', '"""Edited.', 1)  # a change outside the solution block
    nbformat.write(nb, path)
    return path


# ---- the generator on the repository --------------------------------------------------------------


def test_there_is_a_solution_and_an_exercise_per_chapter_exercise():
    names = [path.name for path in SOLUTION_PATHS]
    assert names[:2] == ["01_sigmoid_derivative.ipynb", "02_chain_rule_graphs.ipynb"]
    assert names == sorted(names) and len(names) == len(EXERCISE_PATHS)
    assert all(path.exists() for path in EXERCISE_PATHS)


def test_exercises_are_in_step_with_solutions(capsys):
    assert gen.out_of_step() == []
    assert gen.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_check_fails_and_names_the_file_when_a_solution_changes(tmp_path, capsys):
    solutions_dir, exercises_dir = _copy_repo_notebooks(tmp_path)
    assert gen.out_of_step(solutions_dir, exercises_dir, repo=tmp_path) == []
    edited = _edit_first_solution(solutions_dir)
    problems = gen.out_of_step(solutions_dir, exercises_dir, repo=tmp_path)
    assert len(problems) == 1 and problems[0].startswith(edited.name)
    assert gen.main(["--check", "--solutions", str(solutions_dir), "--exercises", str(exercises_dir)]) == 1
    assert edited.name in capsys.readouterr().out


def test_check_reports_missing_and_orphaned_exercises(tmp_path):
    solutions_dir, exercises_dir = _copy_repo_notebooks(tmp_path)
    first, second = gen.solution_paths(solutions_dir)[:2]
    (exercises_dir / first.name).unlink()
    second.unlink()
    problems = gen.out_of_step(solutions_dir, exercises_dir, repo=tmp_path)
    assert [p.split(":")[0] for p in problems] == [first.name, second.name]
    assert "missing" in problems[0] and "no longer exists" in problems[1]


def test_generation_is_byte_identical_and_idempotent(tmp_path):
    exercises_dir = tmp_path / "exercises"
    written = gen.write_exercises(SOLUTIONS, exercises_dir)
    assert [path.name for path in written] == [path.name for path in SOLUTION_PATHS]
    for path in written:
        assert path.read_bytes() == (EXERCISES / path.name).read_bytes()
    assert gen.write_exercises(SOLUTIONS, exercises_dir) == []


def test_regenerates_an_exercise_that_was_only_run(tmp_path):
    solutions_dir, exercises_dir = _copy_repo_notebooks(tmp_path)
    target = exercises_dir / gen.solution_paths(solutions_dir)[0].name
    nb = nbformat.read(target, as_version=4)
    nb.cells[1].execution_count = 1  # running a cell changes outputs, not sources
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nbformat.write(nb, target)
    edited = _edit_first_solution(solutions_dir)
    assert [p.name for p in gen.write_exercises(solutions_dir, exercises_dir, repo=tmp_path)] == [edited.name]
    assert gen.out_of_step(solutions_dir, exercises_dir, repo=tmp_path) == []


def test_refuses_to_overwrite_an_edited_exercise(tmp_path):
    solutions_dir, exercises_dir = _copy_repo_notebooks(tmp_path)
    target = exercises_dir / gen.solution_paths(solutions_dir)[0].name
    nb = nbformat.read(target, as_version=4)
    stub = "raise NotImplementedError()"
    cell = next(c for c in nb.cells if stub in c.source)
    cell.source = cell.source.replace(stub, "return 0.25")  # a learner's work
    nbformat.write(nb, target)
    before = target.read_bytes()
    _edit_first_solution(solutions_dir)
    with pytest.raises(gen.GenerationError, match="edited after it was generated"):
        gen.write_exercises(solutions_dir, exercises_dir, repo=tmp_path)
    assert target.read_bytes() == before
    args = ["--solutions", str(solutions_dir), "--exercises", str(exercises_dir)]
    assert gen.main(args) == 2
    assert target.read_bytes() == before


def test_refuses_to_overwrite_a_file_it_did_not_generate(tmp_path):
    solutions_dir, exercises_dir = _copy_repo_notebooks(tmp_path)
    target = exercises_dir / gen.solution_paths(solutions_dir)[0].name
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("my notes")]), target)
    before = target.read_bytes()
    with pytest.raises(gen.GenerationError, match="not generated from a solution"):
        gen.write_exercises(solutions_dir, exercises_dir, repo=tmp_path)
    assert target.read_bytes() == before


# ---- the generator's transformations, on a small notebook -------------------------------------------


def _solution_notebook(*cells):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata["bplib"] = {"exercise": "09", "tasks": ["9.1"]}
    return nb


def _solution_cell(source, task="9.1", cell_type="code"):
    new = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    meta = {"nbgrader": {"grade": False, "solution": True, "locked": False, "grade_id": "c", "schema_version": 3}}
    if task:
        meta["bplib"] = {"task": task}
    return new(source, metadata=meta)


def test_code_blocks_become_not_implemented_at_their_indentation():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    ### BEGIN SOLUTION\n"
        "    y = 2 * x\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "\n"
        "class A:\n"
        "    def g(self):\n"
        "        ### BEGIN SOLUTION\n"
        "        return 1\n"
        "        ### END SOLUTION"
    )
    cell = _solution_cell(source)
    cell.outputs = [nbformat.v4.new_output("stream", text="out\n")]
    cell.execution_count = 3
    cell.metadata["execution"] = {"iopub.status.busy": "2020-01-01T00:00:00Z"}
    exercise = gen.make_exercise(_solution_notebook(cell), "solutions/09_x.ipynb")
    (out,) = exercise.cells
    assert out.source == (
        "def f(x):\n"
        '    """Doc."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "\n"
        "class A:\n"
        "    def g(self):\n"
        "        # YOUR CODE HERE\n"
        "        raise NotImplementedError()"
    )
    assert out.outputs == [] and out.execution_count is None
    assert set(out.metadata) == {"nbgrader", "bplib"}
    assert exercise.metadata["bplib"]["generated"]["from"] == "solutions/09_x.ipynb"


def test_markdown_answers_and_hidden_tests_are_replaced():
    answer = _solution_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", task=None, cell_type="markdown")
    grade = nbformat.v4.new_code_cell(
        'check("9.1", f)\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\nprint("done")'
    )
    exercise = gen.make_exercise(_solution_notebook(answer, grade), "solutions/09_x.ipynb")
    assert exercise.cells[0].source == "Why?\n\nYOUR ANSWER HERE"
    assert exercise.cells[1].source == 'check("9.1", f)\nprint("done")'


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (_solution_cell("### BEGIN SOLUTION\na = 3.0\n### END SOLUTION"), "inside a function"),
        (_solution_cell("def f():\n    ### BEGIN SOLUTION\n    return 1"), "never closed"),
        (_solution_cell("def f():\n    return 1\n    ### END SOLUTION"), "without"),
        (_solution_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", task=None), "task"),
        (nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"), "nbgrader"),
    ],
    ids=["top-level-code", "unclosed", "unopened", "no-task", "no-nbgrader"],
)
def test_malformed_solutions_are_refused(cell, message):
    with pytest.raises(gen.GenerationError, match=message):
        gen.make_exercise(_solution_notebook(cell), "solutions/09_x.ipynb")


# ---- metadata of the committed notebooks ------------------------------------------------------------


def _cells_of(nb, task_id, kind):
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.metadata.get("bplib", {}).get("task") == task_id and meta.get(kind):
            cells.append(cell)
    return cells


def test_every_task_lives_in_exactly_one_solution():
    homes = {task_id: [] for task_id in TASKS}
    for path in SOLUTION_PATHS:
        meta = nbformat.read(path, as_version=4).metadata["bplib"]
        assert meta["exercise"] == path.name[:2]
        for task_id in meta["tasks"]:
            assert TASKS[task_id].chapter == meta["exercise"]
            homes[task_id].append(path.name)
    assert all(len(names) == 1 for names in homes.values()), homes


@pytest.mark.parametrize("path", SOLUTION_PATHS, ids=_ids(SOLUTION_PATHS))
def test_solution_cells_carry_nbgrader_metadata(path):
    nb = nbformat.read(path, as_version=4)
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(grade_ids) == len(nb.cells) == len(set(grade_ids)), "every cell needs a unique grade_id"
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        assert meta["schema_version"] == 3
        assert meta["locked"] is (not meta["solution"])
    for task_id in nb.metadata["bplib"]["tasks"]:
        (solution,) = _cells_of(nb, task_id, "solution")
        assert solution.cell_type == "code" and "### BEGIN SOLUTION" in solution.source
        assert solution.metadata["nbgrader"]["grade"] is False
        (grade,) = _cells_of(nb, task_id, "grade")
        assert grade.metadata["nbgrader"]["points"] == TASKS[task_id].points
        assert grade.metadata["nbgrader"]["locked"] is True
        assert grade.source.startswith(f'check("{task_id}", ')
        assert nb.cells.index(solution) < nb.cells.index(grade)


@pytest.mark.parametrize("path", EXERCISE_PATHS, ids=_ids(EXERCISE_PATHS))
def test_exercises_hold_no_solutions(path):
    text = path.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    nb = nbformat.read(path, as_version=4)
    for task_id in nb.metadata["bplib"]["tasks"]:
        (cell,) = _cells_of(nb, task_id, "solution")
        assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in cell.source


def test_the_by_hand_task_states_the_point_the_checker_uses():
    nb = nbformat.read(SOLUTIONS / "02_chain_rule_graphs.ipynb", as_version=4)
    statement = next(c.source for c in nb.cells if c.cell_type == "markdown" and "Task 2.4" in c.source)
    for name, value in ch02.CHAIN_POINT.items():
        assert f"{name} = {value:g}" in statement


# ---- executing the notebooks ---------------------------------------------------------------------


def _verdicts(nb) -> dict[str, str]:
    """Task id -> the status printed by its check cell."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"error in cell {cell.source[:60]!r}: {out.get('ename')}"
            assert out.get("name") != "stderr", f"stderr in cell {cell.source[:60]!r}: {out.get('text')}"
            text = out.get("text", "")
            for task_id, _, status in VERDICT.findall(text):
                assert task_id not in found, f"task {task_id} checked twice"
                found[task_id] = status
    return found


@pytest.mark.parametrize("path", SOLUTION_PATHS, ids=_ids(SOLUTION_PATHS))
def test_committed_solutions_show_every_task_passed(path):
    nb = nbformat.read(path, as_version=4)
    assert _verdicts(nb) == dict.fromkeys(nb.metadata["bplib"]["tasks"], "passed")


@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOLUTION_PATHS, ids=_ids(SOLUTION_PATHS))
def test_solutions_pass_every_check_in_a_fresh_kernel(path):
    from tools.run_notebooks import execute_notebook

    nb, _ = execute_notebook(path, timeout=120)
    assert _verdicts(nb) == dict.fromkeys(nb.metadata["bplib"]["tasks"], "passed")


@pytest.mark.notebooks
@pytest.mark.parametrize("path", EXERCISE_PATHS, ids=_ids(EXERCISE_PATHS))
def test_untouched_exercises_run_and_report_not_implemented(path):
    from tools.run_notebooks import execute_notebook

    nb, _ = execute_notebook(path, timeout=120)
    assert _verdicts(nb) == dict.fromkeys(nb.metadata["bplib"]["tasks"], "not implemented yet")
    assert json.loads(path.read_text(encoding="utf-8"))["cells"][1]["outputs"] == []  # not saved back
