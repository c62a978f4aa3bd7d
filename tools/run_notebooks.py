"""Execute notebooks top to bottom, each in a fresh kernel, and report wall times.

    python tools/run_notebooks.py chapters/*.ipynb solutions/*.ipynb          # execute, save outputs
    python tools/run_notebooks.py --no-save --max-seconds 10 chapters/*.ipynb  # time only

Each notebook runs with its own folder as the working directory and with the
Python that runs this script as the kernel (so the pinned environment is used,
whatever kernelspecs the machine has). Saved notebooks keep the kernelspec
"python3", which every Jupyter installation has.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute_notebook(path: Path, timeout: int = 300) -> tuple[nbformat.NotebookNode, float]:
    """Run `path` in a fresh kernel; return the executed notebook and the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(
        nb,
        timeout=timeout,
        record_timing=False,  # timestamps would change the committed file on every run
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # jupyter_client starts a "python" kernelspec with sys.executable, i.e. this environment.
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.get("language_info", {}).pop("version", None)  # a machine detail
    return nb, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--no-save", action="store_true", help="do not write outputs back")
    parser.add_argument("--max-seconds", type=float, default=None, help="fail if a notebook takes longer")
    args = parser.parse_args(argv)

    failures = 0
    print(f"{'notebook':<48} {'seconds':>8}")
    for path in args.notebooks:
        try:
            nb, seconds = execute_notebook(path)
        except CellExecutionError as exc:
            failures += 1
            print(f"{str(path):<48} {'ERROR':>8}\n{exc}")
            continue
        slow = args.max_seconds is not None and seconds > args.max_seconds
        failures += slow
        print(f"{str(path):<48} {seconds:8.2f}{'  > limit ' + str(args.max_seconds) if slow else ''}")
        if not args.no_save:
            nbformat.write(nb, path)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
