"""Shared by every test folder."""
from __future__ import annotations

import os
import signal

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist's workers (the test command runs two) start with SIGINT ignored, and an ignored signal
    # survives exec: every harness, server and browser a test starts would ignore the Ctrl-C the test
    # sends. A handler of our own is reset to the default in children, so they get Ctrl-C as a user would.
    if os.environ.get("PYTEST_XDIST_WORKER") and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
