"""Where a submitted notebook runs: a bubblewrap sandbox, or (refused unless asked) no sandbox at all.

bubblewrap (`bwrap`, Debian and Ubuntu package `bubblewrap`, the sandbox Flatpak is built on) starts
the submission's harness (bplib.grade.harness) in an empty root file system that holds only:

    /usr (and /bin, /lib, ... as links into it), /etc/fonts     read-only: the system's libraries
    the Python installation and its environment                 read-only: numpy, matplotlib, Jupyter
    bplib's own folder                                          read-only: what the notebook imports, except
                                                                the graded tasks' answers (bplib.grade.withheld)
    /tmp                                                        private, empty, in memory
    /tmp/bplib-submission                                       the submission's own folder (its copy)

and nothing else: no home folder, no other submission, no solutions/, no output folder, no network
(a network namespace with only loopback, which the kernel's own sockets use). Every process of the
sandbox lives in a new pid namespace that dies with its first process, which dies with the grader
(--die-with-parent): killing it at the time limit ends every child, and no process in it can see or
signal the grader. Capabilities are dropped, so nothing in it can mount or remount anything.

Where bwrap is missing (macOS, some containers), `Sandbox(isolated=False)` runs the harness as a
plain child process instead; the grader only does so when asked (--no-sandbox) and then says so in
every report. Chapter: every exercise (grading).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["BWRAP", "Sandbox", "bwrap_missing_reason", "work_folder_in_sandbox"]

BWRAP = os.environ.get("BPLIB_BWRAP", "bwrap")
WORK = "/tmp/bplib-submission"  # the submission's folder, as the sandbox sees it


def bwrap_missing_reason() -> str | None:
    """Why bubblewrap cannot be used here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap runs on Linux only (this is {sys.platform})"
    path = shutil.which(BWRAP)
    if path is None:
        return (f"bubblewrap ({BWRAP}) is not installed: install it with `sudo apt-get install bubblewrap` "
                "(Debian, Ubuntu) or `sudo dnf install bubblewrap` (Fedora)")
    probe = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"bubblewrap ({path}) cannot create a sandbox here: {probe.stderr.strip()[:300]}"
    return None


def work_folder_in_sandbox(isolated: bool, work: Path) -> str:
    """The path of the submission's folder as the code inside sees it."""
    return WORK if isolated else str(work)


def _read_only_paths() -> list[Path]:
    """The folders the sandbox may read: the Python installation, its environment, bplib."""
    import bplib

    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(bplib.__file__).resolve().parent}
    for name in ("purelib", "platlib"):  # an environment whose packages live outside its prefix
        import sysconfig

        paths.add(Path(sysconfig.get_paths()[name]).resolve())
    return sorted(paths)


class Sandbox:
    """How to start a command in a submission's folder `work`, isolated or not.

    Inputs:
        isolated: True for bubblewrap (see the module docstring), False for a plain child process.
        work: the submission's own folder on the host, created by the grader.
    """

    def __init__(self, isolated: bool, work: Path, withheld: dict[Path, str] | None = None):
        self.isolated = isolated
        self.work = Path(work)
        self.overlays: dict[Path, Path] = {}  # original file -> the rewritten one bound over it
        if isolated and withheld:
            folder = self.work.parent / "withheld"
            folder.mkdir(exist_ok=True)
            for i, (original, source) in enumerate(sorted(withheld.items())):
                rewritten = folder / f"{i:03d}_{original.name}"
                rewritten.write_text(source, encoding="utf-8")
                self.overlays[Path(original)] = rewritten

    def command(self, argv: list[str], env: dict[str, str]) -> list[str]:
        """The full command line that runs `argv` with environment `env` (and nothing else of the grader's)."""
        if not self.isolated:
            return argv
        # bwrap mounts in order, later on top: the private /tmp first, so that a course kept under
        # /tmp (a clone in a temporary folder) is bound over it rather than hidden by it
        cmd = [shutil.which(BWRAP) or BWRAP, "--unshare-all", "--die-with-parent", "--new-session",
               "--cap-drop", "ALL", "--clearenv", "--tmpfs", "/tmp", "--ro-bind", "/usr", "/usr"]
        for name in ("bin", "lib", "lib64", "lib32", "sbin"):
            host = Path("/") / name
            if host.is_symlink():
                cmd += ["--symlink", os.readlink(host), f"/{name}"]
            elif host.is_dir():
                cmd += ["--ro-bind", str(host), f"/{name}"]
        if Path("/etc/fonts").is_dir():
            cmd += ["--ro-bind", "/etc/fonts", "/etc/fonts"]
        for path in _read_only_paths():
            if not str(path).startswith("/usr/"):
                cmd += ["--ro-bind", str(path), str(path)]
        for original, rewritten in self.overlays.items():  # bplib without the graded tasks' answers
            cmd += ["--ro-bind", str(rewritten), str(original)]
        if self.overlays:
            from bplib.grade.withheld import hidden_folders

            for folder in hidden_folders():
                cmd += ["--tmpfs", str(folder)]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--bind", str(self.work), WORK,
                "--chdir", WORK]
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        return [*cmd, "--", *argv]

    def environment(self) -> dict[str, str]:
        """The environment the harness runs with: its own home and config folders in the work folder."""
        home = work_folder_in_sandbox(self.isolated, self.work)
        env = {
            "HOME": home, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "MPLCONFIGDIR": f"{home}/.matplotlib", "IPYTHONDIR": f"{home}/.ipython",
            "JUPYTER_CONFIG_DIR": f"{home}/.jupyter", "JUPYTER_DATA_DIR": f"{home}/.jupyter-data",
            "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter-runtime", "JUPYTER_PLATFORM_DIRS": "1",
            "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8",
        }
        if not self.isolated:  # keep what a plain child needs to find this Python's packages
            for key in ("PYTHONPATH", "SYSTEMROOT", "TMPDIR"):
                if key in os.environ:
                    env[key] = os.environ[key]
        return env

    def prime_matplotlib(self) -> None:
        """Copy this machine's matplotlib font cache into the work folder, so the kernel does not spend
        seconds building one (and print a notice into a cell)."""
        import matplotlib

        target = self.work / ".matplotlib"
        target.mkdir(parents=True, exist_ok=True)
        for cache in Path(matplotlib.get_cachedir()).glob("fontlist-v*.json"):
            shutil.copy2(cache, target / cache.name)
