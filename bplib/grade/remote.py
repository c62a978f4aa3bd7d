"""The grader's side of a sandbox: start it, read what the notebook did, call its functions.

A `Session` starts bplib.grade.harness in a submission's sandbox and talks to it over its stdin and
stdout, one JSON line per message, each read with a time limit and a size limit. A `RemoteAnswer`
stands for one of the notebook's functions: bplib.checks' `call` hands it the checker's inputs, it
sends them (plain data, bplib.grade.codec), and turns the reply into the RawCall that a call in
this process would have given. The checkers therefore judge the sandbox's answers exactly as they
judge a function in a learner's notebook, and nothing the notebook does reaches this process but
data. Chapter: every exercise (grading).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time

from bplib.checks._core import RawCall, rebuilt_exception
from bplib.grade import codec

__all__ = ["CallTimeout", "RemoteAnswer", "SandboxGone", "Session"]

MAX_LINE = 96 * 2**20  # the executed notebook arrives in one line
REPLY_MARGIN = 15.0  # seconds beyond a call's own limit before the sandbox counts as stuck


NOT_AN_ANSWER = ("the notebook's kernel answered the grader with something that is not an answer (does the "
                 "notebook change how Python imports or runs bplib?)")


class CallTimeout(BaseException):  # noqa: N818 - a signal, like KeyboardInterrupt
    """A call of the learner's function ran past its task's time limit."""


class SandboxGone(BaseException):  # noqa: N818
    """The sandbox stopped answering (its kernel died, it was killed, or it sent garbage)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Session:
    """One running sandbox. Inputs: command (from Sandbox.command), cwd, a file for its log."""

    def __init__(self, command: list[str], cwd, log_file):
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=log_file, start_new_session=True)
        self._lines: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="bplib-grade-sandbox-reader", daemon=True)
        self._reader.start()
        self.gone: str | None = None

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            line = stream.readline(MAX_LINE)
            if not line:
                self._lines.put(None)
                return
            if not line.endswith(b"\n"):  # longer than MAX_LINE: drain it, it is not a message
                while line and not line.endswith(b"\n"):
                    line = stream.readline(MAX_LINE)
                self._lines.put(b"")
                continue
            self._lines.put(line)

    def receive(self, timeout: float) -> dict:
        """The next message; SandboxGone when none comes in `timeout` seconds, or it is not one."""
        if self.gone:
            raise SandboxGone(self.gone)
        try:
            line = self._lines.get(timeout=max(0.1, timeout))
        except queue.Empty:
            self.gone = f"the sandbox did not answer within {timeout:.0f} s"
            self.kill()
            raise SandboxGone(self.gone) from None
        if line is None:
            self.gone = "the sandbox ended"
            raise SandboxGone(self.gone)
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self.gone = "the sandbox sent something that is not a message"
            self.kill()
            raise SandboxGone(self.gone)
        return message

    def send(self, message: dict) -> None:
        if self.gone:
            raise SandboxGone(self.gone)
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.gone = "the sandbox ended"
            raise SandboxGone(self.gone) from None

    def request(self, message: dict, timeout: float) -> dict:
        self.send(message)
        return self.receive(timeout)

    def close(self, grace: float = 5.0) -> None:
        """Say goodbye, give the sandbox `grace` seconds to end, then kill everything in it."""
        if self.process.poll() is None and not self.gone:
            try:
                self.send({"op": "bye"})
                self.process.stdin.close()
                self.process.wait(timeout=grace)
            except (SandboxGone, subprocess.TimeoutExpired, OSError):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill the sandbox's process group: with bubblewrap, its pid namespace goes with it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class Budget:
    """The seconds a task's checks may still take."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.deadline = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class RemoteAnswer:
    """The learner's function `name`, running in `session`, as bplib.checks.call sees it."""

    def __init__(self, session: Session, name: str, budget: Budget):
        self.session = session
        self.name = name
        self.budget = budget

    def __call__(self, *args, **kwargs):  # only call() may call it, through invoke
        raise TypeError("a RemoteAnswer is called through bplib.checks._core.call")

    def invoke(self, args: tuple, kwargs: dict, watch) -> RawCall:
        remaining = self.budget.remaining()
        if remaining <= 0:
            raise CallTimeout()
        reply = self.session.request({"op": "call", "name": self.name, "args": codec.encode(list(args)),
                                      "kwargs": codec.encode(dict(kwargs)), "watch": list(watch),
                                      "seconds": remaining}, timeout=remaining + REPLY_MARGIN)
        return _raw_call(reply, args)


def _raw_call(reply: dict, args: tuple) -> RawCall:
    status = reply.get("status")
    if status == "timeout":
        raise CallTimeout()
    if status == "dead":
        raise SandboxGone("the kernel died while the checks ran (a crash, or more memory than the limit)")
    if status == "missing":
        return RawCall("raised", error=NameError("the function is no longer defined"))
    if status == "broken":
        return RawCall("raised", error=RuntimeError(f"the call could not be made: {str(reply.get('detail'))[:200]}"))
    if status not in ("returned", "raised", "not implemented"):
        raise SandboxGone(NOT_AN_ANSWER)
    try:
        changed = [bool(c) for c in reply.get("changed", [])][: len(args)]
        changed += [False] * (len(args) - len(changed))
        after_data = reply.get("args_after") or [None] * len(args)
        args_after = tuple(codec.decode(data) if flag and data is not None else arg
                           for arg, flag, data in zip(args, changed, list(after_data) + [None] * len(args),
                                                      strict=False))
        raw = RawCall(status, changed=changed, args_after=args_after,
                      warnings=[str(w)[:512] for w in reply.get("warnings", [])][:20],
                      uses=[str(u)[:200] for u in reply.get("uses", [])][:20],
                      aliases=[str(a)[:200] for a in reply.get("aliases", [])][:20])
        if status == "returned":
            raw.value = codec.decode(reply.get("value"))
        elif status == "raised":
            error = reply.get("error") or {}
            raw.error = rebuilt_exception(str(error.get("type", "Error"))[:60], str(error.get("message", ""))[:512])
    except (codec.CodecError, TypeError, ValueError, RecursionError) as error:
        raw = RawCall("raised", error=ValueError(f"what your function returned cannot be checked: {error}"))
    return raw
