"""Browser clients on a remote browser (``--browser-endpoint``): a Chromium started on its own with a
DevTools port, attached to over CDP by `sync-harness run`, runs a browser scenario to a pass; a bad
endpoint is a one-line error, exit 2."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

import pytest

from harness.clients.chromium import CHROMIUM_FLAGS, choose_chromium

HARNESS = [sys.executable, "-m", "harness.cli"]


@pytest.fixture
def devtools_endpoint() -> str:
    chromium = choose_chromium().executable_path
    if chromium is None:
        pytest.skip("no system Chromium to start as a remote browser")
    profile = tempfile.mkdtemp(prefix="remote-chromium-")
    process = subprocess.Popen([chromium, *CHROMIUM_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
                                "about:blank"], stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        assert process.stderr is not None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"DevTools listening on ws://([\d.]+:\d+)/", line)
            if found:
                yield f"http://{found.group(1)}"
                return
            if not line and process.poll() is not None:
                break
        pytest.skip("Chromium did not announce a DevTools endpoint")
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)


@pytest.mark.timeout(300)
def test_a_browser_scenario_runs_on_a_remote_browser_over_cdp(devtools_endpoint: str) -> None:
    done = subprocess.run([*HARNESS, "run", "--scenario", "browser.message.edit_delete", "--browsers", "1",
                           "--browser-endpoint", devtools_endpoint], capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in done.stderr + done.stdout


def test_an_unreachable_browser_endpoint_is_a_one_line_error() -> None:
    done = subprocess.run([*HARNESS, "run", "--scenario", "browser.message.edit_delete", "--browsers", "1",
                           "--browser-endpoint", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "remote browser at http://127.0.0.1:9" in errors[0]
