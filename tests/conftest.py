"""Shared test set-up: headless matplotlib and the repository's folders."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

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


@pytest.fixture(autouse=True)
def _bplib_answers_allowed(request):
    """The checker tests use bplib's own functions as right answers, which check() would flag as
    delegation: allow them there. tests/test_delegation.py tests the flagging itself."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    if not (module.startswith("test_checks") or module == "test_hidden_checks"):
        yield
        return
    from bplib.checks._core import allow_bplib

    with allow_bplib():
        yield
