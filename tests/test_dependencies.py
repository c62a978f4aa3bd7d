"""The dependency ranges in pyproject.toml tell the truth.

Each declared minimum is pinned in requirements-minimum.txt, on which scripts/test.sh runs the
library, widget and exercise tests; the learner environment (requirements.txt) lies inside
every declared range; and every third-party package bplib imports is declared.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions

from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pins(path, includes: bool = False, seen: tuple = ()) -> dict[str, Version]:
    """name -> version of each `name==version` line of a requirements file (markers must be absent),
    with includes=True also of the files it includes (`-r other.txt`); no package may be pinned twice
    at different versions."""
    pins: dict[str, Version] = {}

    def add(name, version):
        assert pins.setdefault(name, version) == version, f"{path.name}: {name} pinned at {pins[name]} and {version}"

    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if includes and line.startswith("-r"):
            included = path.parent / line[2:].strip()
            assert included not in seen, f"{path.name} includes itself"
            for name, version in _pins(included, True, (*seen, path)).items():
                add(name, version)
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        assert req.marker is None, f"{path.name}: {line!r} has an environment marker; pin one version"
        (spec,) = req.specifier
        assert spec.operator == "==", f"{path.name}: expected an exact pin, got {line!r}"
        add(canonicalize_name(req.name), Version(spec.version))
    return pins


def _declared() -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, PYPROJECT["project"]["dependencies"])}


def _floor(req: Requirement) -> Version:
    floors = [Version(s.version) for s in req.specifier if s.operator == ">="]
    assert len(floors) == 1, f"pyproject.toml: {req} should state its minimum with one >="
    return floors[0]


def test_every_declared_minimum_is_the_version_the_minimum_environment_tests():
    minimum = _pins(ROOT / "requirements-minimum.txt")
    floors = {name: _floor(req) for name, req in _declared().items()}
    assert {name: minimum.get(name) for name in floors} == floors


def test_the_minimum_environment_uses_the_pinned_test_tools():
    minimum = _pins(ROOT / "requirements-minimum.txt")
    tools = {name: v for name, v in _pins(ROOT / "requirements-test.txt").items() if name in minimum}
    extra = set(minimum) - set(_declared()) - set(tools)
    assert not extra, f"requirements-minimum.txt pins {sorted(extra)}, neither a dependency nor a test tool"
    assert {"pytest", "pytest-xdist", "hypothesis"} <= set(tools)


def test_the_learner_environment_lies_inside_every_declared_range():
    pinned = _pins(ROOT / "requirements.txt")
    for name, req in _declared().items():
        assert name in pinned, f"requirements.txt does not pin {name}, which bplib needs"
        assert req.specifier.contains(pinned[name]), f"requirements.txt pins {name}=={pinned[name]}, outside {req}"


def test_the_supported_python_is_the_one_tested():
    requires = PYPROJECT["project"]["requires-python"]
    assert requires == ">=3.11", requires
    assert sys.version_info >= (3, 11)


def _imported_top_level_modules() -> set[str]:
    names = set()
    for path in (ROOT / "bplib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_third_party_package_bplib_imports_is_declared():
    distributions = packages_distributions()
    third_party = {
        module for module in _imported_top_level_modules()
        if module not in sys.stdlib_module_names and module != "bplib"
    }
    assert {"numpy", "matplotlib", "ipywidgets"} <= third_party
    declared = set(_declared())
    undeclared = {
        module: distributions.get(module)
        for module in third_party
        if not declared & {canonicalize_name(d) for d in distributions.get(module, [module])}
    }
    assert not undeclared, f"bplib imports packages pyproject.toml does not declare: {undeclared}"


def test_the_readmes_hub_install_is_the_environment_the_hub_tests_run():
    # README's TLJH install: the instructor environment plus nbgitpuller at the version the hub
    # tests pin (requirements-hub.txt is the instructor environment plus JupyterHub and nbgitpuller).
    readme = (ROOT / "README.md").read_text()
    hub = _pins(ROOT / "requirements-hub.txt")
    installs = [line.strip() for line in readme.splitlines() if "/opt/tljh/user/bin/pip install" in line]
    assert installs[0].endswith(f"-r requirements-instructor.txt nbgitpuller=={hub['nbgitpuller']}"), installs
    # then bplib as a copy, as scripts/test.sh installs it for the hub tests
    assert installs[1].endswith("pip install --no-deps --force-reinstall ."), installs
    assert '"${HUB_PIP[@]}" --no-deps --force-reinstall .' in (ROOT / "scripts" / "test.sh").read_text()
    assert "-r requirements-instructor.txt" in (ROOT / "requirements-hub.txt").read_text().splitlines()
    kernel_spec = "-m ipykernel install --sys-prefix --name python3 --env OPENBLAS_NUM_THREADS 1"
    assert kernel_spec in readme and kernel_spec in (ROOT / "scripts" / "test.sh").read_text()
