"""Shared test set-up: headless matplotlib, the repository's folders, and a small graph both the
drawing and the graph dashboard's tests draw."""

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


def diamond():
    """a feeds b = a*a (twice), c = exp(a) and g = e*a: repeated edges and an edge skipping layers (bends)."""
    from bplib.graph import Value

    a = Value(1.5, label="a")
    b = a * a
    b.label = "b"
    c = a.exp()
    c.label = "c"
    e = b + c
    e.label = "e"
    g = e * a
    g.label = "g"
    return g


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
