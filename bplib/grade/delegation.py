"""Which answers import bplib's own implementation of their task: read from the notebook's code.

Each task names the bplib functions that compute its answer (Task.implemented_by). An answer that
imports and uses one of them has not done the task. The grader looks for that twice: here, in the
source of the function the task asks for (its body, and what it reads from the notebook's imports),
and while it runs (bplib.checks._core watches for those functions' code). This half catches a use
that never runs on the grader's cases, the other half one that no name in the source shows.

    uses_of(notebook, task) -> ["bplib.activations.sigmoid_prime", ...]   dotted names, [] if none

Chapter: every exercise (grading).
"""

from __future__ import annotations

import ast
import importlib

from bplib.checks._core import Task
from bplib.grade.pyparse import parse

__all__ = ["uses_of"]


def _parse_cells(notebook) -> list[ast.Module]:
    """Each code cell parsed on its own (a cell with a syntax error is left out)."""
    modules = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = source if isinstance(source, str) else "".join(source)
        text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        try:
            modules.append(parse(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # a cell too deep to read is left out too
            continue
    return modules


def _object(dotted: str):
    """The object a dotted path names, importing modules on the way; None when there is none."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                target = getattr(target, attribute)
        except AttributeError:
            return None
        return target
    return None


def _function_of(obj):
    return getattr(obj, "__func__", obj)


class _Names(ast.NodeVisitor):
    """The bplib paths that names and attribute chains stand for, from a module's imports."""

    def __init__(self):
        self.bound: dict[str, str] = {}  # local name -> dotted bplib path
        self.star_modules: list[str] = []  # from bplib.x import *

    def visit_Import(self, node: ast.Import) -> None:  # noqa: N802
        for alias in node.names:
            if alias.name.split(".")[0] == "bplib":
                if alias.asname:
                    self.bound[alias.asname] = alias.name
                else:
                    self.bound[alias.name.split(".")[0]] = alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802
        if node.level or not node.module or node.module.split(".")[0] != "bplib":
            return
        for alias in node.names:
            if alias.name == "*":
                self.star_modules.append(node.module)
            else:
                self.bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _dotted(node: ast.AST, bound: dict[str, str]) -> str | None:
    """The bplib path an expression names (a bound name, or attributes of one), or None."""
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in bound:
        return None
    return ".".join([bound[node.id], *reversed(attributes)])


def _star_names(modules: list[str]) -> dict[str, str]:
    """Names that `from bplib.x import *` brings in, with their paths."""
    names = {}
    for module in modules:
        try:
            imported = importlib.import_module(module)
        except ImportError:
            continue
        public = getattr(imported, "__all__", [n for n in vars(imported) if not n.startswith("_")])
        names.update({name: f"{module}.{name}" for name in public})
    return names


def uses_of(notebook, task: Task) -> list[str]:
    """The task's implementing functions that the notebook's answer to it names (see the module docstring).

    The answer is the function named like the task's title; its body is searched for names and attribute
    chains that, by the notebook's imports (anywhere in it, or in the body), are one of the functions.
    """
    forbidden = {}
    for dotted in task.implemented_by:
        obj = _object(dotted)
        if obj is not None:
            forbidden[id(_function_of(obj))] = dotted
    if not forbidden:
        return []
    cells = _parse_cells(notebook)
    module_names = _Names()
    for module in cells:
        for statement in module.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                module_names.visit(statement)
    found = []
    for module in cells:
        for node in ast.walk(module):
            if not (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == task.title):
                continue
            inner = _Names()
            inner.visit(node)  # imports inside the function
            bound = _star_names(module_names.star_modules + inner.star_modules)
            bound.update(module_names.bound)
            bound.update(inner.bound)
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Name, ast.Attribute)):
                    dotted = _dotted(sub, bound)
                    obj = _object(dotted) if dotted else None
                    name = forbidden.get(id(_function_of(obj))) if obj is not None else None
                    if name and name not in found:
                        found.append(name)
    return found
