"""Run one submitted notebook in a fresh, limited kernel and grade its tasks there.

    python -m bplib.grade.runner JOB.json

is started by bplib.grade.batch once per submission, in a process of its own that the batch
kills when it overruns. JOB.json (written by the batch) names:
    notebook       a private copy of the submission (the original is never opened here)
    result         where to write the result JSON
    executed       where to save the executed copy ("" for nowhere)
    tasks          task ids to grade, e.g. ["3.1", "3.2"]
    timeout        seconds for running the notebook's cells, all together
    cell_seconds   seconds for any one cell
    check_seconds  seconds for each task's checks
    memory_mb      the kernel's address-space limit
    hidden         run the hidden checks too

The cells run in order with errors allowed (a broken cell does not stop the rest, as for a
learner pressing Run All and reading on). A cell still running after `cell_seconds` is
interrupted (it shows a TimeLimit error) and the next one runs. When the notebook's total time
is up, no further cell runs; the tasks are graded all the same, from what was defined by then.
Each task is graded by one `grade_task` call in the same kernel (bplib.grade.verdicts), after a
fresh import of bplib, so a notebook that replaced bplib's functions does not grade itself.

The result JSON: status ("graded", or "failed" when no task could be graded), reason (why not, or
what cut the run short), cell_errors (["cell 4: NameError: ..."]), cells_run, cells_total, tasks
({task_id: report}), seconds. Chapter: every exercise.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path

import nbformat

KERNEL_NAME = "bplib-grader"
KERNEL_START_SECONDS = 60
CHECK_MARGIN_SECONDS = 10  # beyond a task's own limit, before the grader interrupts the kernel
_FRESH_BPLIB = (
    "import sys as _bplib_sys\n"
    "for _bplib_name in [n for n in _bplib_sys.modules if n == 'bplib' or n.startswith('bplib.')]:\n"
    "    del _bplib_sys.modules[_bplib_name]\n"
    "from bplib.grade.verdicts import grade_task as _bplib_grade_task\n"
)


def write_kernelspec(folder: Path, memory_mb: int) -> Path:
    """A kernelspec folder holding the grading kernel (bplib.grade.kernel) on this Python.

    The kernel imports the bplib this process imports, draws with Agg, uses one BLAS thread
    (two notebooks are graded at once on two cores) and keeps IPython's files in `folder`.
    Returns the folder to give KernelSpecManager."""
    import bplib

    spec_dir = folder / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    package_parent = str(Path(bplib.__file__).resolve().parents[1])
    python_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
    spec = {
        "argv": [sys.executable, "-m", "bplib.grade.kernel", "--memory-mb", str(int(memory_mb)),
                 "-f", "{connection_file}"],
        "display_name": "bplib grader",
        "language": "python",
        "env": {"PYTHONPATH": python_path, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                # IPython's profile and history go to the run's own folder, not the instructor's home
                "IPYTHONDIR": str(folder / "ipython")},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def _error_line(cell_number: int, output: dict) -> str:
    value = str(output.get("evalue", "")).strip().splitlines()
    text = f"cell {cell_number}: {output.get('ename', 'Error')}" + (f": {value[0]}" if value else "")
    return text if len(text) <= 200 else text[:197] + "..."


def _cell_errors(notebook, stopped: dict[int, float]) -> list[str]:
    """One line per error output of the notebook's code cells, numbered as the notebook shows them.

    stopped: {cell index: seconds} of the cells interrupted at their time limit; their
    KeyboardInterrupt becomes one line that says so."""
    lines = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if index in stopped:
            lines.append(f"cell {index + 1}: stopped after {stopped[index]:.0f} s, the time limit of one cell "
                         "(a loop that never ends?)")
            continue
        lines += [_error_line(index + 1, out) for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    return lines


def _reports_in(cell, marker: str) -> list[dict]:
    """The reports printed with `marker` by a grading cell."""
    reports = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            reports += [json.loads(line[len(marker):]) for line in output.get("text", "").splitlines()
                        if line.startswith(marker)]
    return reports


def run(job: dict) -> dict:
    """Execute and grade one notebook as `job` says (see the module docstring); returns the result."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    started = time.monotonic()
    notebook_path = Path(job["notebook"])
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    spec_folder = write_kernelspec(notebook_path.parent / "kernelspec", job["memory_mb"])
    manager = AsyncKernelManager(kernel_name=KERNEL_NAME,
                                 kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_folder)]),
                                 # in the submission's own folder, which the batch deletes afterwards
                                 connection_file=str(notebook_path.parent / "kernel-connection.json"))
    deadline = time.monotonic() + float(job["timeout"])
    check_limit = float(job["check_seconds"]) + CHECK_MARGIN_SECONDS
    grading = {"on": False}

    def cell_timeout(cell) -> float:
        if grading["on"]:
            return check_limit
        return max(1.0, min(float(job["cell_seconds"]), deadline - time.monotonic()))

    client = NotebookClient(
        notebook, km=manager, timeout_func=cell_timeout, startup_timeout=KERNEL_START_SECONDS,
        allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "TimeLimit", "evalue": "the cell was stopped at the time limit", "traceback": []},
        resources={"metadata": {"path": str(notebook_path.parent)}}, kernel_name=KERNEL_NAME,
    )
    result = {"status": "graded", "reason": "", "cell_errors": [], "cells_run": 0,
              "cells_total": len(code_cells), "tasks": {}}
    marker = f"@@bplib-grade-{secrets.token_hex(8)}@@"
    stopped: dict[int, float] = {}
    try:
        with client.setup_kernel():
            for index in code_cells:
                limit = cell_timeout(None)
                started_cell = time.monotonic()
                client.execute_cell(notebook.cells[index], index)
                if time.monotonic() - started_cell >= limit:
                    stopped[index] = limit
                result["cells_run"] += 1
                if time.monotonic() >= deadline and result["cells_run"] < len(code_cells):
                    result["reason"] = (f"the notebook's time limit ({job['timeout']:g} s) was reached in cell "
                                        f"{index + 1}; later cells were not run")
                    break
            grading["on"] = True
            for task_id in job["tasks"]:
                source = _FRESH_BPLIB + (f"_bplib_grade_task({task_id!r}, {marker!r}, hidden={bool(job['hidden'])}, "
                                         f"seconds={float(job['check_seconds'])})")
                cell = nbformat.v4.new_code_cell(source)
                notebook.cells.append(cell)  # nbclient stores outputs by the cell's index
                try:
                    client.execute_cell(cell, len(notebook.cells) - 1)
                finally:
                    notebook.cells.pop()
                for report in _reports_in(cell, marker):
                    result["tasks"][report["task"]] = report
    except DeadKernelError:
        where = f"cell {code_cells[result['cells_run']] + 1}" if result["cells_run"] < len(code_cells) else "the checks"
        result["reason"] = (f"the kernel died while running {where} (a crash, or more memory than the limit of "
                            f"{job['memory_mb']} MB)")
    except Exception as error:  # the kernel would not start, or nbclient failed: say so, grade nothing
        result["reason"] = f"the notebook could not be run: {type(error).__name__}: {str(error)[:200]}"
    result["cell_errors"] = _cell_errors(notebook, stopped)
    if not result["tasks"]:
        result["status"] = "failed"
        result["reason"] = result["reason"] or "no task could be graded"
    result["seconds"] = round(time.monotonic() - started, 2)
    if job.get("executed"):
        nbformat.write(notebook, job["executed"])
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bplib.grade.runner JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[0]).read_text())
    result = run(job)
    Path(job["result"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
