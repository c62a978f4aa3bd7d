"""The Zero to JupyterHub deployment agrees with itself and with what was tested.

Past one server, the course runs on Zero to JupyterHub with a user image that repo2docker builds
from the repository root (runtime.txt, requirements.txt, postBuild) and the values file
deploy/z2jh/config.yaml. Nothing here builds the image or starts a cluster; these tests check
that the pieces name the same things:
  - the values file parses and names the image README.md's build command makes;
  - its resources are the documented rule applied to the capacity benchmark's sizing
    (benchmarks/hub_capacity.json);
  - the nbgrader exchange volume is mounted where deploy/nbgrader_config.py looks by default;
  - the image installs exactly the pins the hub tests and the nbgrader tests ran with, on the
    Python pyproject.toml requires, with bplib outside the home folder (which the learner's home
    volume hides) and one OpenBLAS thread per kernel;
  - nothing in the repository makes repo2docker ignore the files at its root.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from test_dependencies import _pins

VALUES = ROOT / "deploy" / "z2jh" / "config.yaml"
POSTBUILD = ROOT / "postBuild"
RUNTIME = ROOT / "runtime.txt"
CAPACITY = ROOT / "benchmarks" / "hub_capacity.json"
NBGRADER_CONFIG = ROOT / "deploy" / "nbgrader_config.py"
INSTRUCTOR_ENV = ROOT / ".venv-instructor"

# The command README.md ("Past one server: Kubernetes") gives instructors to build the image.
# Proposed with this test; test_the_readme_gives_this_build_command checks README.md has it.
BUILD_COMMAND = ("repo2docker --no-run --user-id 1000 --user-name jovyan "
                 "--image-name ghcr.io/owner/backprop-course:v1 https://github.com/OWNER/REPO")

# Zero to JupyterHub's single-user pods run as uid 1000 with their home volume at /home/jovyan
# (chart defaults singleuser.uid and singleuser.storage.homeMountPath).
CHART_UID, CHART_HOME = 1000, "/home/jovyan"


def _values() -> dict:
    return yaml.safe_load(VALUES.read_text())


# --- the sizing rule -----------------------------------------------------------------------------

CPU_STEP = Fraction(1, 20)  # cores
MEMORY_STEP_MIB = 128


def resources_for(learners_per_core, memory_per_learner_mib) -> dict[str, Fraction]:
    """The rule deploy/z2jh/config.yaml states: cores and MiB for one learner's pod."""
    share = 1 / Fraction(str(learners_per_core))
    cpu_guarantee = math.ceil(share / CPU_STEP) * CPU_STEP
    memory_guarantee = math.ceil(Fraction(str(memory_per_learner_mib)) / MEMORY_STEP_MIB) * MEMORY_STEP_MIB
    return {"cpu_guarantee": cpu_guarantee, "cpu_limit": max(Fraction(1), cpu_guarantee),
            "memory_guarantee_mib": Fraction(memory_guarantee), "memory_limit_mib": Fraction(2 * memory_guarantee)}


def _mib(spec) -> Fraction:
    """MiB in a JupyterHub memory value: bytes, or a number with K, M, G or T (powers of 1024)."""
    if isinstance(spec, int):
        return Fraction(spec, 2**20)
    units = {"K": Fraction(1, 1024), "M": Fraction(1), "G": Fraction(1024), "T": Fraction(1024**2)}
    assert isinstance(spec, str) and spec[-1:] in units, f"{spec!r} is no JupyterHub memory value (K, M, G, T)"
    return Fraction(spec[:-1]) * units[spec[-1]]


def _resources_in_values() -> dict[str, Fraction]:
    single = _values()["singleuser"]
    return {"cpu_guarantee": Fraction(str(single["cpu"]["guarantee"])),
            "cpu_limit": Fraction(str(single["cpu"]["limit"])),
            "memory_guarantee_mib": _mib(single["memory"]["guarantee"]),
            "memory_limit_mib": _mib(single["memory"]["limit"])}


@pytest.mark.parametrize(("learners_per_core", "memory_mib", "expected"), [
    (10, 300, ("1/10", 1, 384, 768)),
    (3, 129, ("7/20", 1, 256, 512)),        # 1/3 core rounds up to 0.35; 129 MiB to 256
    (7.5, 128, ("3/20", 1, 128, 256)),      # a fractional sizing: 0.133 core rounds up to 0.15
    (0.5, 1000, ("2", 2, 1024, 2048)),      # a learner needing 2 cores: the limit is never below it
])
def test_the_sizing_rule(learners_per_core, memory_mib, expected):
    cpu, cpu_limit, memory, memory_limit = expected
    assert resources_for(learners_per_core, memory_mib) == {
        "cpu_guarantee": Fraction(cpu), "cpu_limit": Fraction(cpu_limit),
        "memory_guarantee_mib": Fraction(memory), "memory_limit_mib": Fraction(memory_limit)}


def test_memory_values_read_as_jupyterhub_reads_them():
    assert _mib("384M") == 384 and _mib("1G") == 1024 and _mib(512 * 2**20) == 512 and _mib("2048K") == 2
    with pytest.raises(AssertionError):
        _mib("384Mi")  # a Kubernetes quantity, which JupyterHub's memory values refuse


def test_the_resources_follow_the_capacity_benchmark():
    sizing = json.loads(CAPACITY.read_text())["sizing"]
    assert sizing["p95_budget_ms"] == 150, "the sizing is for the README's budget, p95 <= 150 ms a redraw"
    expected = resources_for(sizing["learners_per_core"], sizing["memory_per_learner_mib"])
    assert _resources_in_values() == expected, (
        f"deploy/z2jh/config.yaml's resources are not the rule applied to {sizing}: expected {expected}")
    said = (f"guarantees each pod {float(expected['cpu_guarantee']):g} core (1 / {sizing['learners_per_core']:g}, "
            f"rounded up to 0.05) and {expected['memory_guarantee_mib']} MiB "
            f"({sizing['memory_per_learner_mib']:.0f} MiB rounded up to 128 MiB), with limits of "
            f"{expected['cpu_limit']} core and {expected['memory_limit_mib']} MiB")
    assert said in " ".join((ROOT / "README.md").read_text().split()), f"README should say: {said}"


# --- the values file -----------------------------------------------------------------------------

CHART_TOP_LEVEL_KEYS = {"hub", "proxy", "singleuser", "cull", "scheduling", "prePuller", "ingress", "rbac",
                        "debug", "custom", "global", "imagePullSecret", "imagePullSecrets", "fullnameOverride",
                        "nameOverride"}


def test_the_values_file_parses():
    values = _values()
    assert isinstance(values, dict) and set(values) <= CHART_TOP_LEVEL_KEYS, sorted(values)
    single = values["singleuser"]
    assert single["defaultUrl"] == "/lab"
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] >= 3600


def _build_options() -> dict[str, str]:
    words = shlex.split(BUILD_COMMAND)
    assert words[0] == "repo2docker" and "--no-run" in words
    return {words[i]: words[i + 1] for i in range(len(words) - 1) if words[i].startswith("--") and
            words[i] not in ("--no-run",)}


def test_the_values_file_names_the_image_the_build_command_makes():
    options = _build_options()
    name, tag = options["--image-name"].rsplit(":", 1)
    image = _values()["singleuser"]["image"]
    assert (image["name"], str(image["tag"])) == (name, tag)
    assert tag != "latest", "a moving tag: nodes would keep whichever image they pulled first"
    # repo2docker's user defaults to whoever runs the build; the chart's pods run as jovyan, 1000.
    single = _values()["singleuser"]
    assert int(options["--user-id"]) == single.get("uid", CHART_UID) == CHART_UID
    assert f"/home/{options['--user-name']}" == single["storage"].get("homeMountPath", CHART_HOME) == CHART_HOME


def test_the_readme_gives_this_build_command():
    readme = (ROOT / "README.md").read_text()
    if "Past one server" not in readme:
        pytest.skip("README.md has no 'Past one server: Kubernetes' section yet (proposed in the Z2JH report)")
    assert BUILD_COMMAND in readme


def test_the_chart_runs_the_hub_version_of_the_image():
    stated = re.search(r"appVersion is JupyterHub (\d+)\.x", VALUES.read_text())
    assert stated, "deploy/z2jh/config.yaml should say which JupyterHub major version the chart must run"
    pinned = _pins(ROOT / "requirements-hub.txt", includes=True)["jupyterhub"]
    assert int(stated.group(1)) == pinned.major


def _nbgrader_default_exchange_root(monkeypatch) -> str:
    """Exchange.root as deploy/nbgrader_config.py sets it when NBGRADER_EXCHANGE is not set."""
    from traitlets.config import Config

    if not NBGRADER_CONFIG.exists():
        pytest.skip("deploy/nbgrader_config.py does not exist yet (the lead is writing it)")
    monkeypatch.delenv("NBGRADER_EXCHANGE", raising=False)
    config = Config()
    exec(compile(NBGRADER_CONFIG.read_text(), str(NBGRADER_CONFIG), "exec"),
         {"get_config": lambda: config, "__file__": str(NBGRADER_CONFIG), "__name__": "nbgrader_config"})
    root = config.Exchange.root
    assert isinstance(root, str), "deploy/nbgrader_config.py sets no c.Exchange.root"
    return root


def test_the_exchange_volume_is_where_nbgrader_looks(monkeypatch):
    storage = _values()["singleuser"]["storage"]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in storage["extraVolumes"] if "persistentVolumeClaim" in v}
    mounts = {m["mountPath"]: m["name"] for m in storage["extraVolumeMounts"]}
    root = _nbgrader_default_exchange_root(monkeypatch)
    assert root in mounts, f"nbgrader's exchange root {root} is not mounted in the user pods: {sorted(mounts)}"
    assert mounts[root] in claims, "the exchange must be a persistent volume claim, shared by every pod"
    assert not root.startswith(CHART_HOME + "/"), "under the home folder each learner would have their own"


# --- the image -----------------------------------------------------------------------------------

def _commands(path) -> list[list[str]]:
    """The shell commands of a script, each as its words (quotes and line continuations resolved)."""
    commands, buffer = [], ""
    for line in path.read_text().splitlines():
        if not buffer and line.lstrip().startswith("#"):
            continue
        buffer += line + "\n"
        if line.endswith("\\"):
            continue
        try:
            words = shlex.split(buffer.replace("\\\n", " "), comments=True)
        except ValueError:  # an open quote: the command goes on on the next line
            continue
        if words:
            commands.append(words)
        buffer = ""
    assert not buffer.strip(), f"{path.name} ends inside a command: {buffer!r}"
    return commands


def _runs(words, *module) -> bool:
    """Whether a command runs `python -m <module...>`."""
    return "-m" in words and words[words.index("-m") + 1:words.index("-m") + 1 + len(module)] == list(module)


def _pip_installs() -> list[list[str]]:
    return [words for words in _commands(POSTBUILD) if _runs(words, "pip", "install")]


def test_postbuild_commands_read_as_the_shell_reads_them(tmp_path):
    script = tmp_path / "script"
    script.write_text("# a comment\nset -e\npip install \\\n  -r a.txt  # why\npython -c '\nprint(1)\n'\n")
    assert _commands(script) == [["set", "-e"], ["pip", "install", "-r", "a.txt"], ["python", "-c", "\nprint(1)\n"]]


def test_the_image_installs_exactly_the_tested_pins():
    files, packages = set(), []
    for words in _pip_installs():
        args = iter(words[words.index("install") + 1:])
        for arg in args:
            if arg in ("-r", "--requirement"):
                files.add(next(args))
            elif arg == "." and "--no-deps" in words:
                packages.append(arg)  # bplib itself, its dependencies pinned by the files
            elif arg != "--no-cache-dir" and arg != "--no-deps":
                pytest.fail(f"postBuild installs {arg!r} by itself, not from a tested requirements file")
    assert files and files <= {"requirements-hub.txt", "requirements-instructor.txt"}, files
    assert packages == ["."]
    # Installed together, the files must not pin one package at two versions.
    together: dict[str, Version] = {}
    for name in sorted(files):
        for package, version in _pins(ROOT / name, includes=True).items():
            assert together.setdefault(package, version) == version, (
                f"{package}: {name} pins {version}, another file of the image {together[package]}")
    for package in ("jupyterhub", "nbgitpuller", "nbgrader", "ipykernel", "jupyterlab"):
        assert package in together, f"the image would not pin {package}"


def test_the_image_installs_bplib_outside_the_home_folder():
    installs = _pip_installs()
    bplib = [i for i, words in enumerate(installs) if "." in words]
    requirements = [i for i, words in enumerate(installs) if "-r" in words]
    assert len(bplib) == 1 and "-e" not in installs[bplib[0]] and "--editable" not in installs[bplib[0]]
    assert bplib[0] > max(requirements), "the -r installs reinstall bplib editable (requirements.txt's -e .)"


def _bplib_guard() -> list[str]:
    (guard,) = [words for words in _commands(POSTBUILD) if "-c" in words and "bplib" in words[words.index("-c") + 1]]
    assert "-I" in guard, "without -I the check would find bplib in the current folder, the repository"
    return guard[guard.index("-I"):]


def test_the_build_fails_when_bplib_would_be_hidden_by_the_home_volume(tmp_path):
    # Run the guard here: with HOME a folder that holds this environment's bplib it must fail,
    # with any other HOME pass.
    def guard(home):
        env = {**os.environ, "HOME": str(home)}
        return subprocess.run([sys.executable, *_bplib_guard()], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)

    find = "import importlib.util as u; print(u.find_spec('bplib').origin)"
    where = subprocess.run([sys.executable, "-I", "-c", find], cwd=tmp_path, capture_output=True, text=True,
                           check=True, timeout=60).stdout.strip()
    hidden = guard(Path(where).parent.parent)
    assert hidden.returncode != 0 and "bplib is installed from" in hidden.stderr, hidden
    assert guard(tmp_path).returncode == 0


def test_kernels_get_one_openblas_thread(tmp_path):
    (kernel_install,) = [words for words in _commands(POSTBUILD) if _runs(words, "ipykernel", "install")]
    args = kernel_install[kernel_install.index("install") + 1:]
    assert "--sys-prefix" in args, "the kernel spec belongs in the image's environment"
    args[args.index("--sys-prefix")] = f"--prefix={tmp_path}"
    subprocess.run([sys.executable, "-m", "ipykernel", "install", *args], check=True, capture_output=True,
                   timeout=120)
    spec = json.loads((tmp_path / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["env"]["OPENBLAS_NUM_THREADS"] == "1"


def test_the_nbgrader_config_goes_where_nbgrader_reads_it():
    from jupyter_core.paths import jupyter_config_path

    (copy,) = [words for words in _commands(POSTBUILD) if any(w.endswith("nbgrader_config.py") for w in words)]
    source, target = copy[-2:]
    assert source == "deploy/nbgrader_config.py"
    # NB_PYTHON_PREFIX is the environment the servers run from: its etc/jupyter is on
    # Jupyter's (so nbgrader's) config path, as sys.prefix's is here.
    assert target == "${NB_PYTHON_PREFIX}/etc/jupyter/nbgrader_config.py"
    assert os.path.join(sys.prefix, "etc", "jupyter") in jupyter_config_path()
    if not NBGRADER_CONFIG.exists():
        pytest.skip("deploy/nbgrader_config.py does not exist yet (the lead is writing it); postBuild copies it")


def test_learners_keep_nbgrader_submit_and_validate():
    (disable,) = [words for words in _commands(POSTBUILD) if words[1:3] == ["labextension", "disable"]]
    hidden = {word for word in disable if word.startswith("@jupyter/")}
    # the same plugins as README's install on The Littlest JupyterHub (and scripts/test.sh's)
    readme = (ROOT / "README.md").read_text()
    tljh = readme[readme.index("labextension disable"):].split("```", 1)[0]
    assert hidden == set(re.findall(r"@jupyter/nbgrader:[\w-]+", tljh)) and "@jupyter/nbgrader:formgrader" in hidden
    test_sh = (ROOT / "scripts" / "test.sh").read_text()
    assert hidden == set(re.findall(r"@jupyter/nbgrader:[\w-]+", test_sh))
    assert "--level=sys_prefix" in disable, "for every user of the image's environment"
    # The names must be plugins of the pinned nbgrader (a misspelt one is silently ignored).
    if not INSTRUCTOR_ENV.exists():
        reason = "no .venv-instructor (requirements-instructor.txt): nbgrader's plugin names not checked"
        if os.environ.get("BPLIB_REQUIRE_NBGRADER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    static = INSTRUCTOR_ENV / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    plugins = set(re.findall(r"@jupyter/nbgrader:[\w-]+", " ".join(p.read_text(errors="replace")
                                                                   for p in static.glob("*.js"))))
    assert hidden < plugins and {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"} < plugins


def test_the_image_runs_the_python_pyproject_requires():
    runtime = RUNTIME.read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"runtime.txt says {runtime!r}; repo2docker reads python-X.Y"
    requires = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    (floor,) = [Version(s.version) for s in requires if s.operator == ">="]
    assert Version(match.group(1)) == floor and Version(match.group(1)) in requires, (
        f"runtime.txt's Python {match.group(1)} is not the oldest pyproject.toml supports ({requires})")


# Files and folders that make repo2docker build from something other than the root's
# requirements.txt, runtime.txt and postBuild (repo2docker 2026.4.0's build packs).
OVERRIDING = {
    "binder": "a binder/ folder: repo2docker then reads only the files in it",
    ".binder": "a .binder/ folder: repo2docker then reads only the files in it",
    "Dockerfile": "a plain Docker build, every other file ignored",
    "environment.yml": "conda's build pack, which does not install requirements.txt",
    "environment.yaml": "conda's build pack, which does not install requirements.txt",
    "Pipfile": "pipenv's build pack, which does not install requirements.txt",
    "Pipfile.lock": "pipenv's build pack, which does not install requirements.txt",
    "default.nix": "the nix build pack, every other file ignored",
    "Project.toml": "Julia's build pack",
    "JuliaProject.toml": "Julia's build pack",
    "REQUIRE": "Julia's build pack",
    "DESCRIPTION": "R's build pack",
    # repo2docker would run ${REPO_DIR}/start first: under the home folder, hidden by the home
    # volume, so no learner's server could start.
    "start": "a start script inside the home folder, which the learners' home volumes hide",
}


def test_nothing_makes_repo2docker_ignore_the_root_files():
    present = {name: why for name, why in OVERRIDING.items() if (ROOT / name).exists()}
    assert not present, f"repo2docker would not build the image these tests describe: {present}"
    for name in ("requirements.txt", "runtime.txt", "postBuild"):
        assert (ROOT / name).is_file(), name
    assert os.access(POSTBUILD, os.X_OK)
    lines = POSTBUILD.read_text().splitlines()
    assert lines[0] == "#!/bin/bash"
    assert ["set", "-euo", "pipefail"] in _commands(POSTBUILD), "repo2docker carries on after a failed step"
