"""What the sandbox's bplib leaves out: the answers to the tasks being graded.

A submission's kernel imports bplib read-only, but not all of it: in the sandbox,

  - every function that implements a graded task (Task.implemented_by) keeps its name and signature
    and loses its body, which becomes a `raise` saying the function is withheld while grading;
  - the checks (bplib/checks, but for the safe-call machinery of _core.py), which compute every right
    answer to compare with, are replaced by modules with no tasks: a check cell says that the grader
    checks from outside, and nbgrader's require_pass does nothing;
  - bplib's compiled-code caches (__pycache__) are hidden, so the original code cannot come back.

An answer that calls one of those functions, directly or by any way round, gets the withheld error,
which the grader scores as delegation (0 points, with the reason). Rewritten files are bound over
the originals by bplib.grade.sandbox. Chapter: every exercise (grading).
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

from bplib.checks import TASKS
from bplib.checks._core import WITHHELD
from bplib.grade.pyparse import parse

__all__ = ["MARKER", "hidden_folders", "withheld_sources"]

MARKER = WITHHELD  # the start of the withheld functions' error message
_CHECKS_INIT = '''"""The course's checks, withheld while a notebook is graded: the grader checks from outside."""

from bplib.checks._core import Task, Verdict  # noqa: F401

TASKS = {}


def check(task_id, answer=None, *, quiet=False):
    if not quiet:
        print(f"Exercise {task_id}: checked by the grader, from outside this notebook")


def run_task(task_id, answer, *args, **kwargs):
    raise RuntimeError("the course's checks are not available while a notebook is graded")


run_hidden = run_task
'''
_CHECKS_MODULE = '''"""Withheld while a notebook is graded: the grader checks every task from outside."""

TASKS = ()
HINTS = {}
'''
_VERDICTS = '''"""nbgrader's hidden tests as a notebook graded by python -m bplib.grade runs them: they pass, since
the grader checks every task from outside."""


def require_pass(task_id, answer):
    return None


def task_report(*args, **kwargs):
    raise RuntimeError("the course's checks are not available while a notebook is graded")
'''


def _locate(dotted: str) -> tuple[Path, list[str]] | None:
    """The source file of a dotted bplib name and the path of definitions inside it, e.g. ["Value", "backward"]."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        file = getattr(module, "__file__", None)
        return (Path(file), parts[split:]) if file else None
    return None


def _withhold(tree: ast.Module, inside: list[str], message: str) -> bool:
    """Replace the body of the definition at path `inside` by `raise RuntimeError(message)`; False if absent."""
    body = tree.body
    for depth, name in enumerate(inside):
        found = next((node for node in body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and node.name == name), None)
        if found is None:
            return False
        if depth == len(inside) - 1:
            if isinstance(found, ast.ClassDef):
                return False
            raise_node = parse(f"raise RuntimeError({message!r})").body[0]
            found.body = [raise_node]
            found.decorator_list = [d for d in found.decorator_list if not _is_cache(d)]
            return True
        body = found.body
    return False


def _is_cache(decorator: ast.expr) -> bool:
    text = ast.unparse(decorator)
    return "cache" in text


def withheld_sources(task_ids: list[str]) -> dict[Path, str]:
    """host file -> the source the sandbox sees instead, for the graded tasks `task_ids`."""
    by_file: dict[Path, list[tuple[list[str], str]]] = defaultdict(list)
    for task_id in task_ids:
        for dotted in TASKS[task_id].implemented_by:
            located = _locate(dotted)
            if located is not None:
                file, inside = located
                message = (f"{MARKER} {dotted} is what task {task_id} asks you to write yourself; "
                           "it is withheld while your notebook is graded")
                by_file[file].append((inside, message))
    sources: dict[Path, str] = {}
    checks = Path(importlib.import_module("bplib.checks").__file__).parent
    for file, definitions in by_file.items():
        if file.parent == checks:
            continue  # replaced whole, below
        tree = parse(file.read_text(encoding="utf-8"))
        if any([_withhold(tree, inside, message) for inside, message in definitions]):
            sources[file] = ast.unparse(tree) + "\n"
    for module in sorted(checks.glob("*.py")):  # the checks compute every right answer: all of them go
        if module.name != "_core.py":  # call() and invoke(), which the sandbox's answering uses
            sources[module] = _CHECKS_INIT if module.name == "__init__.py" else _CHECKS_MODULE
    sources[Path(importlib.import_module("bplib.grade.verdicts").__file__)] = _VERDICTS
    return sources


def hidden_folders() -> list[Path]:
    """bplib's __pycache__ folders (compiled copies of the original code), to be hidden in the sandbox."""
    root = Path(importlib.import_module("bplib").__file__).parent
    return sorted(root.rglob("__pycache__"))
