"""A cap on the processes one sandbox may hold at once, so that a fork bomb stops there.

Killing the sandbox's pid namespace at the time limit ends every process in it, but until then a
notebook that forks without end could fill the machine. Two caps, for the two ways the grader runs:

  - as an ordinary user: the kernel's RLIMIT_NPROC, which the grading kernel sets on itself
    (bplib.grade.kernel --max-processes). Inside the sandbox's own user namespace it counts only
    the sandbox's processes and threads, not the rest of the instructor's;
  - as root (a container, CI), whom Linux exempts from RLIMIT_NPROC: a pids cgroup per sandbox,
    made here when the system offers the pids controller for writing (cgroup v1's pids hierarchy,
    or cgroup v2 with pids enabled for the grader's own cgroup's children). The sandbox's first
    process enters it before it starts bwrap, so every later process is counted.

Where neither applies (root without a writable pids controller) the sandbox runs uncapped, as
`cgroup_for_sandbox` returns None. Chapter: every exercise (grading).
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

__all__ = ["MAX_PROCESSES", "PidsCgroup", "cgroup_for_sandbox"]

MAX_PROCESSES = 256  # processes and threads in one sandbox: harness and kernel need about 30
_names = itertools.count()


def _pids_parent() -> Path | None:
    """The grader's own cgroup folder under a pids controller it can write into, or None."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        memberships = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    v1_mount = v2_mount = None
    for line in mounts:
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "cgroup" and "pids" in fields[3].split(","):
            v1_mount = Path(fields[1])
        elif len(fields) >= 3 and fields[2] == "cgroup2":
            v2_mount = Path(fields[1])
    for line in memberships:
        hierarchy, controllers, path = line.split(":", 2)
        if v1_mount is not None and "pids" in controllers.split(","):
            return v1_mount / path.lstrip("/")
        if v2_mount is not None and hierarchy == "0":
            folder = v2_mount / path.lstrip("/")
            try:
                enabled = (folder / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            if "pids" in enabled:
                return folder
    return None


class PidsCgroup:
    """A pids cgroup holding one sandbox: at most `limit` processes and threads at once."""

    def __init__(self, folder: Path, limit: int):
        self.folder = folder
        self.limit = limit

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv` started from inside this cgroup: a shell enters it, then becomes argv."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.folder / "cgroup.procs"), *argv]

    def remove(self, wait_seconds: float = 5.0) -> bool:
        """Delete the cgroup once its last process has gone; False if some were still there."""
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                self.folder.rmdir()
                return True
            except FileNotFoundError:
                return True
            except OSError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)


def cgroup_for_sandbox(limit: int = MAX_PROCESSES) -> PidsCgroup | None:
    """A new pids cgroup capped at `limit`, when the grader runs as root and may make one; else None.

    (An ordinary user needs none: the kernel's RLIMIT_NPROC caps the sandbox, see the module's text.)
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    parent = _pids_parent()
    if parent is None:
        return None
    folder = parent / f"bplib-grade-{os.getpid()}-{next(_names)}"
    try:
        folder.mkdir()
        (folder / "pids.max").write_text(str(int(limit)))
    except OSError:
        try:
            folder.rmdir()
        except OSError:
            pass
        return None
    return PidsCgroup(folder, limit)
