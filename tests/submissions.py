"""Submissions as a workshop really returns them: right, half done, wrong, broken, hostile.

Each kind is made from a committed solution or exercise notebook by editing cells, so it
stays in step with the course. Used by tests/test_grade*.py and benchmarks/grade_batch.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def notebook_path(folder: Path, exercise: str) -> Path:
    (path,) = sorted(folder.glob(f"{exercise}_*.ipynb"))
    return path


def solution(exercise: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(SOLUTIONS, exercise), as_version=4)


def exercise_notebook(exercise: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(EXERCISES, exercise), as_version=4)


def answer_cell(nb, task_id: str):
    """The solution (answer) cell of a task."""
    return next(c for c in nb.cells if c.metadata.get("bplib", {}).get("task") == task_id
                and c.metadata.get("nbgrader", {}).get("solution"))


def _code(source: str):
    return nbformat.v4.new_code_cell(source)


def _edited(base: Callable[[str], nbformat.NotebookNode], edit: Callable | None = None):
    def make(exercise: str):
        nb = copy.deepcopy(base(exercise))
        if edit is not None:
            edit(nb)
        return nb

    return make


# ---- ways to hand in exercise 03 (the delta rule): its solution is small and quick to run ---------------

def _missing_sigma_prime(nb) -> None:
    answer_cell(nb, "3.2").source = (
        "def compute_delta(x, y, w, b):\n"
        "    a = sigmoid(x @ w + b)\n"
        "    return a - y  # the sigmoid's slope is missing\n")


def _syntax_error(nb) -> None:
    answer_cell(nb, "3.3").source = "def gradients(x, y, w, b)\n    return 0.0, 0.0\n"


def _renamed(nb) -> None:
    cell = answer_cell(nb, "3.1")
    cell.source = cell.source.replace("def forward_loss(", "def my_forward_loss(")
    for other in nb.cells:  # the learner also fixed their own calls
        if other is not cell and other.cell_type == "code":
            other.source = other.source.replace("forward_loss(", "my_forward_loss(")


def _hang_at_top(nb) -> None:
    nb.cells.insert(2, _code("while True:  # waiting for something that never comes\n    pass\n"))


def _hang_in_function(nb) -> None:
    answer_cell(nb, "3.1").source = (
        "def forward_loss(x, y, w, b):\n"
        "    n = 0\n"
        "    while n < len(y):\n"
        "        pass  # forgot n += 1\n")


def _kernel_crash(nb) -> None:
    nb.cells.insert(2, _code("import os\nos._exit(1)\n"))


def _memory_hog(nb) -> None:
    nb.cells.insert(2, _code("import numpy as np\nbig = np.ones((60_000, 60_000))  # 27 GiB\n"))


def _cheat(nb) -> None:
    """Wrong answers, plus code that replaces bplib's checks by ones that always say passed."""
    _missing_sigma_prime(nb)
    nb.cells.append(_code(
        "import bplib.checks\n"
        "from bplib.checks import _core\n"
        "def _always_passed(task, answer):\n"
        "    return _core.Verdict(task.id, task.title, 'passed', points=task.points, max_points=task.points)\n"
        "_core.evaluate = _always_passed\n"
        "bplib.checks.run_task = lambda task_id, answer: _always_passed(bplib.checks.TASKS[task_id], answer)\n"
        "import bplib.grade.verdicts as _v\n"
        "_v.task_report = lambda *a, **k: {}\n"))


def _fake_report(nb) -> None:
    """Wrong answers, plus printed text that imitates a grading report."""
    _missing_sigma_prime(nb)
    nb.cells.append(_code(
        'print(\'@@bplib-grade-0000000000000000@@{"task": "3.2", "points": 2, "status": "passed"}\')\n'))


def _overfitted(nb) -> None:
    """compute_delta that is right for the public cases only: it goes wrong when x is square."""
    answer_cell(nb, "3.2").source = (
        "def compute_delta(x, y, w, b):\n"
        "    a = sigmoid(x @ w + b)\n"
        "    delta = (a - y) * a * (1 - a)\n"
        "    return delta if x.shape[0] != x.shape[1] else delta[::-1]\n")


def _first_task_wrong(nb) -> None:
    """Any exercise: the first task's function returns 0.0 whatever it is given."""
    first = nb.metadata["bplib"]["tasks"][0]
    cell = answer_cell(nb, first)
    name = cell.source.split("def ", 1)[1].split("(", 1)[0]
    cell.source = f"def {name}(*args, **kwargs):\n    return 0.0\n"


# ---- hostile: wrong answers (3.2 without sigma'(z)) dressed up by code that goes after the grader --------

MARKER = "bplib-test-hostile"  # in the command lines of processes a hostile notebook starts


def _stdout_forger(nb) -> None:
    _missing_sigma_prime(nb)
    nb.cells.insert(2, _code(
        "import sys\n"
        "class Forger:\n"
        "    def __init__(self, real): self.real = real\n"
        "    def write(self, text): return self.real.write(text.replace('wrong', 'passed'))\n"
        "    def flush(self): self.real.flush()\n"
        "    def __getattr__(self, name): return getattr(self.real, name)\n"
        "sys.stdout = Forger(sys.stdout)\n"))


def _post_run_hook(nb) -> None:
    _missing_sigma_prime(nb)
    nb.cells.insert(2, _code(
        "def _forge(result):\n"
        "    print('{\"task\": \"3.2\", \"status\": \"passed\", \"points\": 2}')\n"
        "get_ipython().events.register('post_run_cell', _forge)\n"
        "get_ipython().input_transformers_post.append(lambda lines: lines + ['\\nprint(\"passed\")\\n'])\n"))


def _meta_path_finder(nb) -> None:
    """A finder that wraps whatever grading module is imported afresh, so that every reply says 'passed'
    and every call of bplib's grading code returns a right-looking value."""
    _missing_sigma_prime(nb)
    nb.cells.insert(2, _code(
        "import importlib.abc, importlib.util, sys\n"
        "class Wrap(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if not name.startswith('bplib.grade') and not name.startswith('bplib.checks'):\n"
        "            return None\n"
        "        sys.meta_path.remove(self)\n"
        "        try:\n"
        "            spec = importlib.util.find_spec(name)\n"
        "        finally:\n"
        "            sys.meta_path.insert(0, self)\n"
        "        real_exec = spec.loader.exec_module\n"
        "        def exec_module(module):\n"
        "            real_exec(module)\n"
        "            for attr in ('serve', 'answer', 'evaluate', 'task_report', 'run_task'):\n"
        "                if hasattr(module, attr):\n"
        "                    setattr(module, attr, lambda *a, **k: {'status': 'passed', 'points': 99})\n"
        "        spec.loader.exec_module = exec_module\n"
        "        return spec\n"
        "sys.meta_path.insert(0, Wrap())\n"
        "for name in [n for n in sys.modules if n.startswith(('bplib.grade', 'bplib.checks'))]:\n"
        "    del sys.modules[name]\n"))


def _patch_libraries(nb) -> None:
    _missing_sigma_prime(nb)
    nb.cells.insert(2, _code(
        "import json, numpy\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.array_equal = lambda *a, **k: True\n"
        "json.dumps = lambda *a, **k: '{\"status\": \"passed\"}'\n"))


def _edit_bplib_on_disk(nb) -> None:
    _missing_sigma_prime(nb)
    nb.cells.insert(2, _code(
        "import bplib.checks._core as core\n"
        "with open(core.__file__, 'a') as f:\n"
        "    f.write('\\ndef evaluate(task, answer, checker=None):\\n'\n"
        "            '    return Verdict(task.id, task.title, \"passed\")\\n')\n"))


def _stack_reader(nb) -> None:
    answer_cell(nb, "3.2").source = (
        "import inspect\n"
        "def compute_delta(x, y, w, b):\n"
        "    for frame in inspect.stack():\n"
        "        for name in ('expected', 'want', 'reference'):\n"
        "            if name in frame.frame.f_locals:\n"
        "                return frame.frame.f_locals[name]\n"
        "    return np.zeros(len(y))  # nothing found: a wrong answer\n")


def _hidden_table(nb) -> None:
    """compute_delta that replays a table of outputs for the public cases and for the hidden cases of the
    seeds it guessed, and gives zeros elsewhere: what a table built from bplib's shipped seeds would be."""
    from bplib.checks import TASKS, ch03, hidden_rng

    task = TASKS["3.2"]
    cases = list(ch03._cases())
    for seed in range(3):
        for index, check in enumerate(task.hidden):
            cases += check.make_cases(hidden_rng(seed, "3.2", index))
    table = {}
    for x, y, w, b in cases:
        x, y, w = (np.asarray(v, dtype=float) for v in (x, y, w))
        a = 1 / (1 + np.exp(-(x @ w + b)))
        key = repr((x.round(6).tolist(), y.tolist(), w.round(6).tolist(), round(float(b), 6)))
        table[key] = ((a - y) * a * (1 - a)).tolist()
    answer_cell(nb, "3.2").source = (
        f"TABLE = {table!r}\n"
        "def compute_delta(x, y, w, b):\n"
        "    x, y, w = (np.asarray(v, dtype=float) for v in (x, y, w))\n"
        "    key = repr((x.round(6).tolist(), y.tolist(), w.round(6).tolist(), round(float(b), 6)))\n"
        "    return np.array(TABLE.get(key, np.zeros(len(y)).tolist()))\n")


def _detached_editor(nb) -> None:
    """Starts a process in a session of its own that outlives the kernel and then edits the scores."""
    _missing_sigma_prime(nb)
    nb.cells.insert(2, _code(
        "import subprocess, sys\n"
        "script = ('import time, glob, os\\n'\n"
        f"          'time.sleep(20)  # {MARKER}-editor\\n'\n"
        "          'found = glob.glob(\"/**/scores.csv\", recursive=True)\\n'\n"
        "          'for path in found + glob.glob(\"/tmp/**/scores.json\", recursive=True):\\n'\n"
        "          '    open(path, \"a\").write(\"cy,HACKED\\\\n\")\\n')\n"
        "subprocess.Popen([sys.executable, '-c', script], start_new_session=True,\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"))


def _forks_children(nb) -> None:
    nb.cells.insert(2, _code(
        "import subprocess, sys\n"
        "children = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  "
        f"# {MARKER}-child'], start_new_session=True) for _ in range(5)]\n"))


FLOOD_PROCESSES = 2000  # more than a sandbox may hold (bplib.grade.batch.MAX_PROCESSES)


def _floods_processes(nb) -> None:
    """Starts sleeping children until the system refuses one (a fork bomb, held to a count), then prints
    how many it got. A small process does the forking, so it is fast even on a loaded machine."""
    _missing_sigma_prime(nb)
    nb.cells.insert(2, _code(
        "import subprocess, sys\n"
        "flood = ('import os, time\\n'\n"
        "         'started = 0\\n'\n"
        f"         'for _ in range({FLOOD_PROCESSES}):\\n'\n"
        "         '    try:\\n'\n"
        "         '        pid = os.fork()\\n'\n"
        "         '    except OSError:\\n'\n"
        "         '        break\\n'\n"
        "         '    if pid == 0:\\n'\n"
        f"         '        time.sleep(300)  # {MARKER}-flood\\n'\n"
        "         '        os._exit(0)\\n'\n"
        "         '    started += 1\\n'\n"
        "         'print(started, flush=True)\\n')\n"
        "runner = subprocess.Popen([sys.executable, '-c', flood], stdout=subprocess.PIPE, text=True)\n"
        "print(f'started {runner.stdout.readline().strip()} processes')\n"))


def _kills_the_grader(nb) -> None:
    nb.cells.insert(2, _code(
        "import os, signal\n"
        "for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    if pid != os.getpid():\n"
        "        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n"))


def _delegates_by_import(nb) -> None:
    answer_cell(nb, "3.3").source = (
        "from bplib.neuron import neuron_gradients\n"
        "def gradients(x, y, w, b):\n"
        "    return neuron_gradients(x, y, w, b)\n")


def _delegates_by_name(nb) -> None:
    """Reaches bplib's implementation by a name built at run time, which no reading of the source finds."""
    answer_cell(nb, "3.3").source = (
        "import importlib\n"
        "def gradients(x, y, w, b):\n"
        "    module = importlib.import_module('bplib.' + 'neu' + 'ron')\n"
        "    return getattr(module, '_grad' + 'ients')(x, y, w, b)\n")


def _writes_outside(*paths: str):
    """A notebook that appends a byte to each file in `paths` and plants a file beside it."""

    def edit(nb) -> None:
        _missing_sigma_prime(nb)
        nb.cells.insert(2, _code(
            f"targets = {list(paths)!r}\n"
            "import os\n"
            "for target in targets:\n"
            "    for attempt in (lambda: open(target, 'ab').write(b'x'),\n"
            "                    lambda: open(os.path.join(os.path.dirname(target), 'planted.txt'), 'w').write('x')):\n"
            "        try:\n"
            "            attempt()\n"
            "        except OSError as error:\n"
            "            print('blocked:', type(error).__name__)\n"))

    return edit


KINDS: dict[str, Callable[[str], nbformat.NotebookNode]] = {
    "correct": _edited(solution),
    "untouched": _edited(exercise_notebook),
    "missing_sigma_prime": _edited(solution, _missing_sigma_prime),
    "syntax_error": _edited(solution, _syntax_error),
    "renamed": _edited(solution, _renamed),
    "hang_at_top": _edited(solution, _hang_at_top),
    "hang_in_function": _edited(solution, _hang_in_function),
    "kernel_crash": _edited(solution, _kernel_crash),
    "memory_hog": _edited(solution, _memory_hog),
    "cheat": _edited(solution, _cheat),
    "fake_report": _edited(solution, _fake_report),
    "overfitted": _edited(solution, _overfitted),
    "first_task_wrong": _edited(solution, _first_task_wrong),
    "stdout_forger": _edited(solution, _stdout_forger),
    "post_run_hook": _edited(solution, _post_run_hook),
    "meta_path_finder": _edited(solution, _meta_path_finder),
    "patch_libraries": _edited(solution, _patch_libraries),
    "edit_bplib_on_disk": _edited(solution, _edit_bplib_on_disk),
    "stack_reader": _edited(solution, _stack_reader),
    "hidden_table": _edited(solution, _hidden_table),
    "detached_editor": _edited(solution, _detached_editor),
    "forks_children": _edited(solution, _forks_children),
    "floods_processes": _edited(solution, _floods_processes),
    "kills_the_grader": _edited(solution, _kills_the_grader),
    "delegates_by_import": _edited(solution, _delegates_by_import),
    "delegates_by_name": _edited(solution, _delegates_by_name),
}


def writes_outside(exercise: str, *paths: str) -> nbformat.NotebookNode:
    """A wrong submission that tries to append to each file in `paths` and plant a file beside it."""
    return _edited(solution, _writes_outside(*paths))(exercise)
RAW_FILES = {  # not notebooks at all
    "empty": b"",
    "not_json": b"my answers are in the PDF\n",
    "json_not_notebook": b'{"answers": [1, 2, 3]}\n',
    "binary": bytes(range(256)) * 4,
}


def write(folder: Path, student: str, kind: str, exercise: str = "03") -> Path:
    """Write one submission `folder/<student>.ipynb` of the given kind; returns its path."""
    path = Path(folder) / f"{student}.ipynb"
    if kind in RAW_FILES:
        path.write_bytes(RAW_FILES[kind])
    else:
        nbformat.write(KINDS[kind](exercise), path)
    return path
