"""Fixtures of the hub tests: one real JupyterHub for the session (tests/hub/hubctl.py) and one
Chromium (tests/browser/harness.py).

Where the hub cannot run (not root, no npm or proxy, no .venv-hub) or Chromium is missing, the hub
tests are skipped with the reason, and the terminal summary says so; with BPLIB_REQUIRE_HUB=1
(set by .ci/run) they fail instead.
"""

from __future__ import annotations

import os

import pytest

from tests.browser import harness
from tests.hub import hubctl

REQUIRE_ENV = "BPLIB_REQUIRE_HUB"
_NOT_RUN = pytest.StashKey[str]()


def _not_available(request, reason: str):
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}. {REQUIRE_ENV}=1 (set by .ci/run) requires the hub tests to run.",
                    pytrace=False)
    request.config.stash[_NOT_RUN] = reason
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reason = config.stash.get(_NOT_RUN, None)
    if reason:
        terminalreporter.write_sep("=", "hub tests not run", yellow=True, bold=True)
        terminalreporter.write_line(reason)


@pytest.fixture(scope="session")
def hub(request):
    """A running JupyterHub (hubctl.Hub) with an instructor and three learners; at the end every
    server, process, port, user, home and file of it is gone (else the teardown fails)."""
    reason = hubctl.unavailable_reason()
    if reason:
        _not_available(request, reason)
    with hubctl.running_hub() as running:
        yield running


@pytest.fixture(scope="session")
def browser(request):
    """Chromium (playwright, sync API) for the hub tests."""
    reason = harness.unavailable_reason()
    if reason:
        _not_available(request, reason)
    with harness.chromium() as chromium:
        yield chromium
