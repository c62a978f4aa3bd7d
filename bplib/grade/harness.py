"""Inside the sandbox: run a submitted notebook, then call its functions as the grader asks.

    python -m bplib.grade.harness JOB.json

is what bplib.grade.batch starts in each submission's sandbox (bplib.grade.sandbox). JOB.json, in the
submission's folder, names the notebook and the limits: timeout (seconds for all cells), cell_seconds
(for any one cell) and memory_mb (the kernel's address space).

1. The cells run in order in a fresh kernel (bplib.grade.kernel: memory-limited) with errors allowed,
   as for a learner pressing Run All and reading on. A cell still running after cell_seconds is
   interrupted; when the notebook's time is up, no further cell runs.
2. The harness sends one message: {"op": "ran", cells_run, cells_total, cell_errors, reason, executed}
   (the executed notebook, as nbformat JSON).
3. It then answers requests, one per line, until {"op": "bye"}: {"op": "describe", names} and
   {"op": "call", name, args, kwargs, watch, seconds}. Each runs in the kernel as a cell of its own
   (bplib.grade.answering.serve) and its reply, plain data, goes back as one line.

Messages travel on the harness's own copies of stdin and stdout; the kernel's output goes to a log
file, so nothing the notebook prints can pass for a message. What the notebook could still forge,
by reaching into this process, is its own replies: its functions' results, which is all it could
produce anyway. The verdicts are formed outside, by the grader. Chapter: every exercise (grading).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# jsonschema, which nbformat imports, loads its optional format checkers at import, and one of them
# (rfc3987_syntax, for the "iri" format) compiles a grammar for about 3 s. Notebook schemas use no
# such format, and a harness starts once per submission: it goes without (the import then fails,
# which jsonschema expects).
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402

KERNEL_NAME = "bplib-grader"
KERNEL_START_SECONDS = 60
CALL_MARGIN_SECONDS = 5  # beyond a call's own limit, for the kernel to answer the interrupt
MAX_REPLY_BYTES = 64 * 2**20
MAX_EXECUTED_BYTES = 16 * 2**20


class Channel:
    """The harness's end of the grader's pipe: lines of JSON in, lines of JSON out."""

    def __init__(self):
        self._in = os.fdopen(os.dup(0), "rb")
        self._out = os.fdopen(os.dup(1), "wb")
        # From here on, fds 0, 1 and 2 (which the kernel inherits) are /dev/null and the log.
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open("harness.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)

    def send(self, message: dict) -> None:
        self._out.write(json.dumps(message).encode() + b"\n")
        self._out.flush()

    def receive(self) -> dict | None:
        line = self._in.readline(MAX_REPLY_BYTES)
        return json.loads(line) if line.strip() else None


def write_kernelspec(folder: Path, memory_mb: int, max_processes: int | None = None) -> Path:
    """A kernelspec folder holding the grading kernel (bplib.grade.kernel) on this Python."""
    spec_dir = folder / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    limits = ["--memory-mb", str(int(memory_mb))]
    if max_processes:
        limits += ["--max-processes", str(int(max_processes))]
    spec = {
        "argv": [sys.executable, "-m", "bplib.grade.kernel", *limits, "-f", "{connection_file}"],
        "display_name": "bplib grader", "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def _error_line(cell_number: int, output: dict) -> str:
    value = str(output.get("evalue", "")).strip().splitlines()
    text = f"cell {cell_number}: {output.get('ename', 'Error')}" + (f": {value[0]}" if value else "")
    return text if len(text) <= 200 else text[:197] + "..."


def _cell_errors(notebook, stopped: dict[int, float]) -> list[str]:
    """One line per error output of the notebook's code cells, numbered as the notebook shows them."""
    lines = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if index in stopped:
            lines.append(f"cell {index + 1}: stopped after {stopped[index]:.0f} s, the time limit of one cell "
                         "(a loop that never ends?)")
            continue
        lines += [_error_line(index + 1, out) for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    return lines[:50]


def _executed(notebook) -> dict | None:
    """The executed notebook as JSON data, without its outputs when it is too large to send."""
    data = nbformat.from_dict(notebook)
    if len(nbformat.writes(data)) > MAX_EXECUTED_BYTES:
        for cell in data.cells:
            if cell.cell_type == "code":
                cell.outputs = []
    text = nbformat.writes(data)
    return json.loads(text) if len(text) <= MAX_EXECUTED_BYTES else None


class Harness:
    """One submission's notebook, its kernel, and the answers to the grader's requests."""

    def __init__(self, job: dict, channel: Channel):
        self.job = job
        self.channel = channel
        self.work = Path.cwd()
        self.notebook = nbformat.read(self.work / job["notebook"], as_version=4)
        self.code_cells = [i for i, cell in enumerate(self.notebook.cells) if cell.cell_type == "code"]
        self.deadline = time.monotonic() + float(job["timeout"])
        self.call_seconds = None  # set while a request runs

    def _client(self):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient

        spec_folder = write_kernelspec(self.work / "kernelspec", self.job["memory_mb"], self.job.get("max_processes"))
        manager = AsyncKernelManager(kernel_name=KERNEL_NAME,
                                     kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_folder)]),
                                     connection_file=str(self.work / "kernel-connection.json"))
        return NotebookClient(
            self.notebook, km=manager, timeout_func=self._cell_timeout, startup_timeout=KERNEL_START_SECONDS,
            allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": "TimeLimit", "evalue": "the cell was stopped at the time limit",
                              "traceback": []},
            resources={"metadata": {"path": str(self.work)}}, kernel_name=KERNEL_NAME,
        )

    def _cell_timeout(self, cell) -> float:
        if self.call_seconds is not None:
            return self.call_seconds
        return max(1.0, min(float(self.job["cell_seconds"]), self.deadline - time.monotonic()))

    def run(self) -> None:
        from nbclient.exceptions import DeadKernelError

        client = self._client()
        ran = {"op": "ran", "cells_run": 0, "cells_total": len(self.code_cells), "cell_errors": [], "reason": "",
               "alive": False}
        stopped: dict[int, float] = {}
        try:
            with client.setup_kernel():
                for index in self.code_cells:
                    limit = self._cell_timeout(None)
                    started = time.monotonic()
                    client.execute_cell(self.notebook.cells[index], index)
                    if time.monotonic() - started >= limit:
                        stopped[index] = limit
                    ran["cells_run"] += 1
                    if time.monotonic() >= self.deadline and ran["cells_run"] < len(self.code_cells):
                        ran["reason"] = (f"the notebook's time limit ({self.job['timeout']:g} s) was reached in "
                                         f"cell {index + 1}; later cells were not run")
                        break
                ran["alive"] = True
                self._finish(ran, stopped)
                self.serve(client)
                return
        except DeadKernelError:
            where = (f"cell {self.code_cells[ran['cells_run']] + 1}" if ran["cells_run"] < len(self.code_cells)
                     else "the checks")
            ran["reason"] = (f"the kernel died while running {where} (a crash, or more memory than the limit of "
                             f"{self.job['memory_mb']} MB)")
        except Exception as error:  # the kernel would not start, or nbclient failed: say so
            ran["reason"] = f"the notebook could not be run: {type(error).__name__}: {str(error)[:200]}"
        if not self._sent:
            self._finish(ran, stopped)

    _sent = False

    def _finish(self, ran: dict, stopped: dict) -> None:
        ran["cell_errors"] = _cell_errors(self.notebook, stopped)
        ran["executed"] = _executed(self.notebook)
        self.channel.send(ran)
        self._sent = True

    def serve(self, client) -> None:
        """Answer requests until "bye" (or the grader closes the pipe)."""
        from nbclient.exceptions import DeadKernelError

        request_path, reply_path = self.work / "request.json", self.work / "reply.json"
        code = (f"__import__('bplib.grade.answering', fromlist=['serve']).serve({str(request_path)!r}, "
                f"{str(reply_path)!r})")
        while True:
            request = self.channel.receive()
            if request is None or request.get("op") == "bye":
                return
            reply_path.unlink(missing_ok=True)
            request_path.write_text(json.dumps(request))
            self.call_seconds = float(request.get("seconds", 20.0)) + CALL_MARGIN_SECONDS
            cell = nbformat.v4.new_code_cell(code)
            self.notebook.cells.append(cell)  # nbclient stores outputs by the cell's index
            started = time.monotonic()
            try:
                client.execute_cell(cell, len(self.notebook.cells) - 1)
            except DeadKernelError:
                self.channel.send({"status": "dead"})
                return
            finally:
                self.notebook.cells.pop()
                self.call_seconds = None
            if time.monotonic() - started >= float(request.get("seconds", 20.0)):
                self.channel.send({"status": "timeout"})
                continue
            try:
                reply = json.loads(reply_path.read_bytes()[:MAX_REPLY_BYTES])
            except (OSError, ValueError):
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                reply = {"status": "broken", "detail": _error_line(0, errors[0]) if errors else "no reply"}
            self.channel.send(reply)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bplib.grade.harness JOB.json", file=sys.stderr)
        return 2
    channel = Channel()
    job = json.loads(Path(argv[0]).read_text())
    Harness(job, channel).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
