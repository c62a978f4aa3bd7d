"""Answers that delegate their task to bplib's own implementation score 0, with the reason.

Three ways to be found out: check() (and the grader's checks) watch for the implementing functions'
code while the answer runs; the grader reads the answer's source for them (bplib.grade.delegation);
and in the grading sandbox they are withheld altogether (bplib.grade.withheld). The exercises'
setup cells import no answer, and a function the checks hand to the learner's (a given step
backward) is not the learner's delegation.
"""

from __future__ import annotations

import ast
import importlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import numpy as np
import pytest
from conftest import EXERCISES

from bplib.checks import TASKS, ch08, check, run_hidden, run_task
from bplib.checks._core import WITHHELD, allow_bplib
from bplib.grade.delegation import uses_of
from bplib.grade.withheld import hidden_folders, withheld_sources


def _notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_every_task_names_the_bplib_functions_that_implement_it_and_they_exist():
    from bplib.grade.delegation import _object

    for task in TASKS.values():
        assert task.implemented_by, task.id
        for dotted in task.implemented_by:
            assert dotted.startswith("bplib.") and callable(_object(dotted)), (task.id, dotted)


def test_check_flags_an_answer_that_calls_bplibs_implementation(capsys):
    from bplib.activations import sigmoid_prime

    verdict = check("1.1", lambda z: sigmoid_prime(z))
    assert verdict.status == "wrong" and verdict.points == 0
    assert verdict.detail == "your answer calls bplib's own bplib.activations.sigmoid_prime"
    assert "write it yourself" in verdict.hint and "sigmoid_prime" in capsys.readouterr().out


def test_a_helper_that_delegates_is_found_too():
    from bplib import neuron

    def my_helper(x, y, w, b):
        return neuron.neuron_gradients(x, y, w, b)

    def gradients(x, y, w, b):
        return my_helper(x, y, w, b)

    assert run_task("3.3", gradients).detail.startswith("your answer calls bplib's own bplib.neuron.neuron_gradients")
    with allow_bplib():  # the instructor's --allow-bplib
        assert run_task("3.3", gradients).passed


def test_using_a_function_the_checks_hand_over_is_not_delegation():
    # 8.4 is given a step backward (task 8.2's answer in numpy): calling it is the task
    def lstm_bptt(dh, caches, step_backward):
        N, T, H = dh.shape
        dx = np.zeros((N, T, caches[0]["x"].shape[1]))
        grads = {name: np.zeros_like(p) for name, p in caches[0]["params"].items()}
        dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
        for t in range(T - 1, -1, -1):
            dx[:, t], dh_carry, dc_carry, g = step_backward(dh[:, t] + dh_carry, dc_carry, caches[t])
            grads = {name: grads[name] + g[name] for name in grads}
        return dx, dh_carry, dc_carry, grads

    assert run_task("8.4", lstm_bptt).passed
    assert all(v.passed for v in run_hidden("8.4", lstm_bptt, 3))
    assert ch08.STEP_BACKWARD.source().startswith("def lstm_step_backward")


def test_the_grader_reads_delegation_from_the_answers_source():
    notebook = _notebook(
        "import numpy as np\nfrom bplib.activations import sigmoid\nimport bplib.layers as L\n"
        "from bplib import activations as act\n%matplotlib inline",
        "def sigmoid_prime(z):\n    return act.sigmoid_prime(z)",
        "def tanh_prime(z):\n    from bplib.activations import tanh_prime as tp\n    return tp(z)",
        "def stable_sigmoid(z):\n    return L.sigmoid_forward(z)[0]",
        "def numerical_derivative(f, x, eps=1e-5):\n    return (f(x + eps) - f(x - eps)) / (2 * eps)",
    )
    assert uses_of(notebook, TASKS["1.1"]) == ["bplib.activations.sigmoid_prime"]
    assert uses_of(notebook, TASKS["1.3"]) == ["bplib.activations.tanh_prime"]
    assert uses_of(notebook, TASKS["1.4"]) == ["bplib.layers.sigmoid_forward"]
    assert uses_of(notebook, TASKS["1.2"]) == []
    star = _notebook("from bplib.neuron import *",
                     "def gradients(x, y, w, b):\n    return neuron_gradients(x, y, w, b)")
    assert uses_of(star, TASKS["3.3"]) == ["bplib.neuron.neuron_gradients"]


def test_a_cell_too_deep_to_parse_is_skipped_and_the_rest_still_read():
    # a hostile notebook: one cell exhausts the parser's memory, one its recursion limit
    notebook = _notebook("x = " + "-" * 200_000 + "1", "y = x" + ".a" * 100_000,
                         "from bplib.activations import sigmoid_prime as sp",
                         "def sigmoid_prime(z):\n    return sp(z)")
    assert uses_of(notebook, TASKS["1.1"]) == ["bplib.activations.sigmoid_prime"]


def test_the_grader_never_parses_in_two_threads_at_once(monkeypatch):
    # CPython 3.11's AST constructor shares a recursion counter between threads: two parses at once
    # can raise SystemError (seen in CI). The grader reads sources in a thread pool, so every parse
    # it makes goes through one lock; this fails if a module calls ast.parse on its own.
    real_parse, inside, most = ast.parse, [0], [0]
    counting = threading.Lock()

    def slow_parse(*args, **kwargs):
        with counting:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.002)  # a thread switch here lets another parse start, unless a lock prevents it
        try:
            return real_parse(*args, **kwargs)
        finally:
            with counting:
                inside[0] -= 1

    monkeypatch.setattr(ast, "parse", slow_parse)
    notebook = _notebook("from bplib.activations import sigmoid_prime as sp",
                         "def sigmoid_prime(z):\n    return sp(z)")
    work = [lambda: uses_of(notebook, TASKS["1.1"]), lambda: withheld_sources(["1.1", "3.3", "8.2"])] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [f.result() for f in [pool.submit(job) for job in work]]
    assert results[0] == ["bplib.activations.sigmoid_prime"] and results[1]
    assert most[0] == 1


def test_an_import_outside_the_answer_is_not_delegation():
    # exercise 01 gives the textbook sigmoid for 1.1; task 1.4 (a stable sigmoid) must not use bplib's
    notebook = _notebook("from bplib.activations import sigmoid",
                         "def sigmoid_prime(z):\n    s = sigmoid(z)\n    return s * (1 - s)",
                         "def stable_sigmoid(z):\n    return np.exp(-np.logaddexp(0, -z))")
    assert uses_of(notebook, TASKS["1.1"]) == [] and uses_of(notebook, TASKS["1.4"]) == []


def _answer_cells(nb) -> set[int]:
    return {i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.mark.parametrize("path", sorted(EXERCISES.glob("*.ipynb")), ids=lambda p: p.name)
def test_no_exercise_cell_outside_the_answers_imports_an_answer(path):
    nb = nbformat.read(path, as_version=4)
    exercise = nb.metadata["bplib"]["exercise"]
    forbidden = {dotted for task in TASKS.values() if task.chapter == exercise for dotted in task.implemented_by}
    objects = set()
    for dotted in forbidden:
        module, _, name = dotted.rpartition(".")
        try:
            objects.add(id(getattr(importlib.import_module(module), name)))
        except (ImportError, AttributeError):
            continue  # a method: "bplib.graph.Value.backward" is not imported by name
    answers = _answer_cells(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or index in answers:
            continue
        for node in ast.walk(ast.parse("\n".join(line for line in cell.source.splitlines()
                                                 if not line.lstrip().startswith("%")))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bplib"):
                assert not node.module.startswith("bplib.checks.ch"), (path.name, index, node.module)
                for alias in node.names:
                    target = getattr(importlib.import_module(node.module), alias.name, None)
                    assert id(target) not in objects, f"{path.name} cell {index} imports {node.module}.{alias.name}"


def test_the_sandbox_sees_bplib_without_the_graded_tasks_answers(tmp_path):
    sources = withheld_sources(["1.1", "1.4", "3.3", "8.2"])
    activations = importlib.import_module("bplib.activations")
    namespace: dict = {}
    code = sources[next(p for p in sources if p.name == "activations.py" and p.parent.name == "bplib")]
    exec(compile(code, "activations.py", "exec"), namespace)
    for name in ("sigmoid_prime", "sigmoid"):
        with pytest.raises(RuntimeError, match=f"^{WITHHELD} bplib.activations.{name} is what task"):
            namespace[name](np.zeros(2))
    assert namespace["tanh_prime"](np.zeros(2)).tolist() == activations.tanh_prime(np.zeros(2)).tolist()
    checks = {p.name: text for p, text in sources.items() if p.parent.name == "checks"}
    assert "_core.py" not in checks and set(checks) >= {"__init__.py", "ch03.py", "ch08.py", "given.py"}
    assert all("TASKS" in text and "def reference" not in text for text in checks.values())
    assert any(p.name == "verdicts.py" for p in sources)
    for path, text in sources.items():
        ast.parse(text)  # every replacement is Python
        assert path.exists()
    assert all(folder.name == "__pycache__" for folder in hidden_folders())
