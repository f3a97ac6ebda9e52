"""The example of "another project" from docs/pytest-gate.md (examples/external_project: its own
pytest.ini, conftest and tests on the harness fixtures) runs in CI against the reference target — and
fails on the planted fault it is written to catch, so it is not a test that cannot fail."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "external_project"


def _pytest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", str(EXAMPLE), "--sync-target=reference", "-m", "chat",
                           *args], capture_output=True, text=True, timeout=300, cwd=EXAMPLE)


def test_the_example_project_passes_against_the_reference_target() -> None:
    done = _pytest()
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 passed" in done.stdout.splitlines()[-1]


def test_the_example_project_catches_a_leak_to_a_member_who_lost_the_channel() -> None:
    done = _pytest("--sync-fault=server.channel_events_skip_access_check")
    assert done.returncode == 1
    summary = done.stdout.splitlines()[-1]
    assert "1 failed" in summary and "2 passed" in summary, done.stdout[-3000:]
    assert "FAILED tests/test_chat_sync.py::test_a_message_reaches_the_channel_and_no_one_else" in done.stdout
    assert "reached denied/ws0" in done.stdout
