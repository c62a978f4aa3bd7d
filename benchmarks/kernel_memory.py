"""Memory of one learner's kernel after running a chapter: for sizing a JupyterHub.

    python benchmarks/kernel_memory.py [chapters/NN_*.ipynb ...]    (default: every chapter)

Runs each notebook top to bottom in a fresh kernel (nbclient, this Python) and prints the
kernel process's resident memory (RSS, what the machine must hold) and its virtual size. A
benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def kernel_memory(path: Path) -> tuple[float, float]:
    """(RSS, virtual size) in MiB of a fresh kernel after running every cell of `path`."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        info = psutil.Process(client.km.provisioner.process.pid).memory_info()
    return info.rss / 2**20, info.vms / 2**20


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    print(f"{'notebook':<40} {'RSS MiB':>8} {'virtual MiB':>12}")
    for path in paths:
        rss, vms = kernel_memory(path)
        print(f"{path.name:<40} {rss:8.0f} {vms:12.0f}")
    return 0


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception:  # a benchmark reports, it does not fail a build
        traceback.print_exc()
    sys.exit(0)
