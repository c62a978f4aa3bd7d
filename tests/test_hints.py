"""Hints teach without telling: no hint contains the answer's code.

The answer's code is read from solutions/ (between nbgrader's solution markers): every statement of
8 characters or more without spaces, and every expression a solution assigns or returns of 10 or more. No
hint of the task may contain one (spaces ignored). A hint may state the task's equation in the
notation of the chapter (sigma'(z), dL/dz, a transpose as ^T); it may name the values to return,
which the task itself names. A hint for a mistake the check does not recognise ("other") asks a
question or points at what to compare, and holds no code at all.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import SOLUTIONS

from bplib.checks import TASKS, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08

HINTS = {task_id: hints for module in (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08)
         for task_id, hints in module.HINTS.items()}
NAMES_ONLY = re.compile(r"^(return)?[A-Za-z_][\w]*(,[A-Za-z_]\w*)+$")  # "dx,dW,db": what the task says to return
CODE = re.compile(r"\bnp\.|\breturn\b|\bdef\b|\.sum\(|\.T\b|\s@\s|\*\*|axis=|\[:,|\bfor\b.+\bin\b|\.shape\[")


def _solution_code() -> dict[str, list[str]]:
    """task id -> the answer's code fragments (see the module docstring), spaces removed."""
    fragments: dict[str, set[str]] = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            task = cell.metadata.get("bplib", {}).get("task")
            found = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            if not task or not cell.metadata.get("nbgrader", {}).get("solution") or not found:
                continue
            for line in found.group(1).splitlines():
                line = line.split("#", 1)[0].strip()
                statement = re.sub(r"\s+", "", line)
                if len(statement) >= 8 and not NAMES_ONLY.match(statement):
                    fragments.setdefault(task, set()).add(statement)
                for part in re.split(r"(?<![=!<>+\-*/])=(?!=)|\breturn\b", line)[1:]:
                    compact = re.sub(r"\s+", "", part)
                    if len(compact) >= 10 and not NAMES_ONLY.match(compact):
                        fragments.setdefault(task, set()).add(compact)
    return {task: sorted(found) for task, found in fragments.items()}


CODE_OF = _solution_code()
ALL = [(task_id, key, hint) for task_id, hints in HINTS.items() for key, hint in hints.items()]


def test_the_answer_code_was_found_for_every_task():
    assert set(CODE_OF) == set(TASKS)
    assert all(CODE_OF[task_id] for task_id in TASKS)


@pytest.mark.parametrize(("task_id", "key", "hint"), ALL, ids=[f"{t}-{k}" for t, k, _ in ALL])
def test_no_hint_contains_the_answers_code(task_id, key, hint):
    compact = re.sub(r"\s+", "", hint)
    leaked = [fragment for fragment in CODE_OF[task_id] if fragment in compact]
    assert not leaked, f"hint {task_id}/{key} contains the answer's code {leaked}: {hint!r}"


OTHER = [(task_id, key, hint) for task_id, key, hint in ALL if key.startswith("other")]


@pytest.mark.parametrize(("task_id", "key", "hint"), OTHER, ids=[f"{t}-{k}" for t, k, _ in OTHER])
def test_a_hint_for_an_unrecognised_mistake_holds_no_code(task_id, key, hint):
    assert not CODE.search(hint), f"{task_id}/{key}: {hint!r}"


def test_the_detector_finds_code_of_the_answer():
    fragment = CODE_OF["1.1"][0]
    assert fragment in re.sub(r"\s+", "", f"try this: {fragment}")
    assert CODE.search("delta = (a - y) * a * (1 - a); return np.mean(delta)")
    assert not CODE.search("Which factor does the chain rule add at the sigmoid? Work z = 0 by hand.")
