"""Shared test set-up: headless matplotlib and the repository's folders."""

from __future__ import annotations

from pathlib import Path

import matplotlib

# Headless: widget tests draw into Agg canvases. Set here rather than through the
# environment so that kernels started by notebook tests keep their own backend.
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def pytest_runtest_teardown(item):
    # Dashboards and drawings open figures; close them so hundreds of tests don't pile up.
    import matplotlib.pyplot as plt

    plt.close("all")
