"""Committed notebooks are in the state the design asks for.

chapters/ and solutions/ are executed top to bottom in a fresh kernel (execution
counts 1, 2, 3, ... and no errors), exercises/ carry no outputs, and no output
leaks a path, a user name or a machine detail.
"""

from __future__ import annotations

import getpass
import re
import socket

import nbformat
import pytest
from conftest import CHAPTERS, EXERCISES, ROOT, SOLUTIONS

EXECUTED = sorted(CHAPTERS.glob("*.ipynb")) + sorted(SOLUTIONS.glob("*.ipynb"))
ALL = EXECUTED + sorted(EXERCISES.glob("*.ipynb"))
NAME_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
BASE64_IMAGE = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") if isinstance(out.get("text"), str) else "".join(out.get("text", [])))
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append(value if isinstance(value, str) else "".join(value))
        parts.extend(out.get("traceback", []))
    return "\n".join(parts)


def test_there_are_notebooks_for_the_first_two_chapters():
    for folder in (CHAPTERS, SOLUTIONS, EXERCISES):
        names = {p.name for p in folder.glob("*.ipynb")}
        assert {"01_sigmoid_derivative.ipynb", "02_chain_rule_graphs.ipynb"} <= names, folder


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_name_and_kernelspec(path):
    assert NAME_PATTERN.match(path.name), f"{path.name}: expected NN_topic.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", EXECUTED, ids=_ids(EXECUTED))
def test_executed_top_to_bottom_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"execution counts {counts}: re-run with tools/run_notebooks.py (fresh kernel, top to bottom)"
    )
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"error output in cell {cell.source[:60]!r}"
            assert out.get("name") != "stderr", f"stderr output in cell {cell.source[:60]!r}: {out.get('text')}"


@pytest.mark.parametrize("path", sorted(EXERCISES.glob("*.ipynb")), ids=_ids(sorted(EXERCISES.glob("*.ipynb"))))
def test_exercises_are_committed_unexecuted(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_no_machine_details_in_outputs(path):
    nb = nbformat.read(path, as_version=4)
    leaks = [str(ROOT), "/root/", "/home/", "/Users/", "/tmp/", "site-packages"]
    # short names ("vm", "dev") would match ordinary words; long ones are distinctive
    leaks += [name for name in (getpass.getuser(), socket.gethostname()) if len(name) > 3]
    for cell in nb.cells:
        text = BASE64_IMAGE.sub("", _output_text(cell))
        for leak in leaks:
            assert leak not in text, f"output of {cell.source[:60]!r} contains {leak!r}"


@pytest.mark.parametrize("path", sorted(CHAPTERS.glob("*.ipynb")), ids=_ids(sorted(CHAPTERS.glob("*.ipynb"))))
def test_chapter_links_its_exercise_and_uses_ipympl(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert f"../exercises/{path.name}" in markdown, "chapter must link to its exercise"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source.startswith("%matplotlib widget"), "first code cell must select ipympl"
    assert (EXERCISES / path.name).exists() and (SOLUTIONS / path.name).exists()


def test_readme_links_point_to_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), f"README links to missing {target}"


def test_test_ids_are_stable_across_processes():
    """pytest-xdist needs every worker to collect the same ids; an object repr with an address breaks that."""
    import subprocess
    import sys

    listing = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests",
         "--ignore=tests/browser", "--ignore=tests/hub"],  # as scripts/test.sh's oldest-versions stage
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert "tests/test_" in listing
    unstable = [line for line in listing.splitlines() if re.search(r" at 0x[0-9a-fA-F]+", line)]
    assert unstable == [], "give these parametrized tests explicit ids"


CHECK_QUESTION = re.compile(r"^\d+\. ", re.MULTILINE)
ANSWER = re.compile(r"<details><summary>Answer</summary>\n\n(.+?)\n\n</details>", re.DOTALL)


@pytest.mark.parametrize("path", sorted(CHAPTERS.glob("*.ipynb")), ids=_ids(sorted(CHAPTERS.glob("*.ipynb"))))
def test_chapter_ends_with_summary_check_yourself_and_exercise(path):
    """Every chapter ends: Summary, then 3-5 questions answered without code (each answer hidden until
    opened), then the exercise link."""
    cells = nbformat.read(path, as_version=4).cells
    assert "## Summary" in cells[-3].source.splitlines()
    headings = [c.source.splitlines()[0] for c in cells[-2:]]
    assert headings == ["## Check yourself", "## Exercise"], headings
    check = cells[-2].source
    questions = CHECK_QUESTION.findall(check)
    answers = ANSWER.findall(check)
    assert 3 <= len(questions) <= 5 and len(answers) == len(questions), (len(questions), len(answers))
    for piece in CHECK_QUESTION.split(check)[1:]:  # each question is followed by its own answer block
        assert len(ANSWER.findall(piece)) == 1 and piece.index("<details>") > 0
    assert f"../exercises/{path.name}" in cells[-1].source
