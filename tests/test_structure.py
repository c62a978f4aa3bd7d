"""The shape of bplib: a teaching core small enough to read in an afternoon, and the machinery apart.

- the teaching core is the top-level modules bplib/*.py: each at most 400 lines, together at most
  3,500 (docstrings included);
- no import cycle anywhere in bplib (module-level imports);
- every name a notebook of the course imported still imports from the same place, so learners'
  saved notebooks keep working after names moved;
- no public name of the core, the models or the experiments is used only by tests.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BPLIB = ROOT / "bplib"
CORE_MAX_LINES = 400
CORE_TOTAL_LINES = 3500
# Modules that only re-export names that moved, so that saved notebooks keep importing them.
SHIMS = {"draw.py", "tasks.py", "recall.py"}
# What the chapters, exercises and solutions imported before names moved (module -> names).
SAVED_NOTEBOOK_IMPORTS = {
    "bplib.activations": "relu relu_prime sigmoid sigmoid_prime softmax softmax_jacobian tanh tanh_prime",
    "bplib.checks": "check",
    "bplib.data": "load_digits lstm_example_steps moons spirals standardize train_test_split xor",
    "bplib.depth": (
        "CURVATURE MAX_SLOPE START backprop_deltas critical_lr deep_forward depth_probe "
        "diverged_at gradient_bound optimizer_path probe_loss quadratic_grad "
        "quadratic_loss steps_to_tolerance weight_gradients"
    ),
    "bplib.draw": "draw_graph",
    "bplib.gradcheck": (
        "DEFAULT_H check_gradient check_gradient_params numerical_derivative "
        "numerical_gradient_params relative_error"
    ),
    "bplib.grade": "require_pass",
    "bplib.graph": "Value",
    "bplib.layers": "add_bias_column dense_backward dense_forward init_std sigmoid_backward sigmoid_forward",
    "bplib.losses": (
        "binary_cross_entropy_loss softmax_cross_entropy_backward "
        "softmax_cross_entropy_forward softmax_cross_entropy_loss squared_error_backward "
        "squared_error_forward squared_error_loss"
    ),
    "bplib.lstm": (
        "GATES LSTMClassifier cell_gradient_through_time init_lstm_params lstm_backward "
        "lstm_forward lstm_gates lstm_step_backward lstm_step_forward"
    ),
    "bplib.network": "Network",
    "bplib.neuron": (
        "DIVERGENCE_BOUND delta_rule_update loss_surface neuron_forward neuron_gradients "
        "neuron_loss train_batch train_online"
    ),
    "bplib.optim": "Adam SGD",
    "bplib.recall": "RNNClassifier",
    "bplib.rnn": (
        "CharRNN RNNStepCache clip_by_norm clip_by_value global_norm "
        "gradient_through_time rnn_backward rnn_chunked_bptt rnn_forward "
        "rnn_step_backward rnn_step_forward"
    ),
    "bplib.tasks": "first_symbol_recall",
    "bplib.text": "char_vocab load_text",
    "bplib.widgets": "backward_stepper graph_dashboard neuron_expression sigmoid_dashboard",
    "bplib.widgets.bptt": "bptt_dashboard draw_unrolled_rnn dwh_by_distance probe_weights",
    "bplib.widgets.delta_rule": "confidently_wrong delta_rule_dashboard descent_path",
    "bplib.widgets.depth": "depth_dashboard momentum_dashboard",
    "bplib.widgets.layers": "draw_network network_dashboard network_state",
    "bplib.widgets.lstm": "lstm_gates_dashboard",
    "bplib.widgets.playground": "decision_grid decision_image grid_bounds playground",
}


def _core_files() -> list[Path]:
    return sorted(BPLIB.glob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_each_core_module_fits_the_budget():
    too_long = {p.name: _line_count(p) for p in _core_files() if _line_count(p) > CORE_MAX_LINES}
    assert not too_long, f"core modules over {CORE_MAX_LINES} lines: {too_long}"


def test_the_core_together_fits_the_budget():
    total = sum(_line_count(p) for p in _core_files())
    assert total <= CORE_TOTAL_LINES, f"the core has {total} lines, over {CORE_TOTAL_LINES}"


def _module_level_imports(path: Path) -> set[str]:
    """The bplib modules `path` imports when it is imported (imports inside functions excluded)."""
    found = set()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bplib")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("bplib"):
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}  # `from bplib import layers` imports a module
    modules = {_module_name(p) for p in BPLIB.rglob("*.py")}
    own = _module_name(path).split(".")
    own_packages = {".".join(own[:i]) for i in range(1, len(own) + 1)}  # already importing when path runs
    expanded = set()
    for name in found & modules:
        parts = name.split(".")
        expanded |= {".".join(parts[:i]) for i in range(2, len(parts) + 1)}  # a package's __init__ runs first
    return expanded & modules - own_packages


def test_no_import_cycle_in_bplib():
    graph = {_module_name(p): _module_level_imports(p) for p in BPLIB.rglob("*.py")}
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph.get(module, ())):
            if state.get(other) == "open":
                cycle = trail[trail.index(other):] + [other] if other in trail else [module, other]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if other not in state:
                visit(other, [*trail, other])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", sorted(SAVED_NOTEBOOK_IMPORTS))
def test_names_saved_notebooks_import_still_import(module):
    imported = importlib.import_module(module)
    missing = [name for name in SAVED_NOTEBOOK_IMPORTS[module].split() if not hasattr(imported, name)]
    assert not missing, f"{module} no longer has {missing}"


def _public_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return {n for n in names if not n.startswith("_")}


def _names_used(source: str) -> set[str]:
    """Every identifier `source` refers to: names, attributes and imported names (strings excluded)."""
    used = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, (ast.ImportFrom, ast.Import)):
            used |= {a.name.rpartition(".")[2] for a in node.names}
    return used


def _notebook_code(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            lines += [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def _teaching_modules() -> list[Path]:
    core = [p for p in _core_files() if p.name not in SHIMS and not p.name.startswith("_")]
    machinery = [p for folder in ("models", "experiments") for p in sorted((BPLIB / folder).glob("*.py"))]
    return [p for p in core + machinery if p.name != "__init__.py"]


# Result types: no notebook names them, but the chapters read their fields (result.passed, probe.delta_norms)
# or hand them back (lstm_forward's cache, to lstm_backward and lstm_gates).
RESULT_TYPES = {"GradCheckResult", "ForwardPass", "DepthProbe", "LSTMCache"}


def test_no_public_name_is_used_only_by_tests():
    sources = {p: _names_used(p.read_text(encoding="utf-8")) for p in BPLIB.rglob("*.py") if p.name not in SHIMS}
    notebooks = set()
    for folder in ("chapters", "exercises", "solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            notebooks |= _names_used(_notebook_code(path))
    unused = {}
    for module in _teaching_modules():
        elsewhere = set(notebooks)
        for path, used in sources.items():
            if path != module:
                elsewhere |= used
        names = sorted(_public_names(module) - elsewhere - RESULT_TYPES)
        if names:
            unused[str(module.relative_to(ROOT))] = names
    assert not unused, f"public names nothing but tests use (make them private or remove them): {unused}"


def test_the_readme_table_gives_each_core_module_its_line_count():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|", readme, flags=re.M))
    listed = {p.stem for p in _core_files() if p.name not in SHIMS and not p.name.startswith("_")}
    assert set(rows) == listed
    assert {name: int(n) for name, n in rows.items()} == {name: _line_count(BPLIB / f"{name}.py") for name in rows}
    stated = int(re.search(r"about ([\d,]+) lines in all", readme).group(1).replace(",", ""))
    assert abs(stated - sum(_line_count(p) for p in _core_files())) <= 100
