"""The grading kernel: ipykernel with a memory limit, which exits when its grader is gone.

    python -m bplib.grade.kernel --memory-mb 2048 [--max-processes 256] -f CONNECTION_FILE

The grader's kernelspec starts this instead of `python -m ipykernel_launcher`:
  - the address-space limit (RLIMIT_AS) makes a runaway allocation in a learner's notebook
    fail with MemoryError (or end the kernel) instead of taking the machine's memory;
  - in the sandbox, the process limit (RLIMIT_NPROC) stops a flood of processes at that count;
    the sandbox has a user namespace of its own, so the count is the sandbox's processes and
    threads alone (outside one it would count every process of the user, so it is not set there);
  - jupyter_client starts kernels in a session of their own, so killing a stuck grader does not
    reach them: a watchdog thread ends this kernel as soon as its parent process has gone.
Chapter: the exercises of every chapter.
"""

from __future__ import annotations

import os
import sys
import threading
import time

WATCH_SECONDS = 0.5


def limit_memory(megabytes: int) -> bool:
    """Cap this process's address space; False where the system does not support it (e.g. macOS)."""
    try:
        import resource

        limit = int(megabytes) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        return False
    return True


def limit_processes(count: int) -> bool:
    """Cap the processes and threads this process and its children may start; False where unsupported."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_NPROC, (int(count), int(count)))
    except (ImportError, ValueError, OSError):
        return False
    return True


def exit_when_orphaned(interval: float = WATCH_SECONDS) -> threading.Thread:
    """Start a daemon thread that ends the process once its parent has exited (it is re-parented)."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    thread = threading.Thread(target=watch, name="bplib-grade-orphan-watch", daemon=True)
    thread.start()
    return thread


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] != "--memory-mb":
        raise SystemExit("usage: python -m bplib.grade.kernel --memory-mb N [--max-processes N] -f CONNECTION_FILE")
    limit_memory(int(argv[1]))
    argv = argv[2:]
    if argv[:1] == ["--max-processes"] and len(argv) >= 2:
        limit_processes(int(argv[1]))
        argv = argv[2:]
    exit_when_orphaned()
    from ipykernel import kernelapp

    sys.argv = [sys.argv[0], *argv]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])
