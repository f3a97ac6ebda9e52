"""The harness against a hostile server (tests/support/hostile.py, real sockets): every wait ends
within one total deadline, every size is capped, and every case ends with exit 2 or a named failure,
a one-line cause, no traceback and bounded memory (``ru_maxrss`` of the harness process)."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.targets.reference import HARNESS_REFERENCE_CONFIG
from tests.support.measure import Measured, run_measured
from tests.support.servers import ServedProcess

ROOT = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, "-m", "harness.cli"]
HOSTILE = [sys.executable, "-m", "tests.support.hostile", "--port", "0"]

STUCK_BOUND_S = 10.0
"""A stuck readiness or handshake ends the whole harness process within this (issue 16)."""
MEMORY_BOUND_MB = 400.0
"""Generous: a plain run of one scenario peaks near 100 MiB; the hostile cases used to reach 1.3 GB."""


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    """An honest `serve-reference` behind the hostile proxy (relaxed rate limits, as the harness boots it)."""
    home = tmp_path_factory.mktemp("upstream")
    config = home / "config.json"
    config.write_text(json.dumps(dict(HARNESS_REFERENCE_CONFIG)))
    with ServedProcess([*HARNESS, "serve-reference", "--port", "0", "--db", str(home / "db.sqlite3"),
                        "--config", str(config)], cwd=ROOT) as server:
        yield server


def hostile(*options: str) -> ServedProcess:
    return ServedProcess([*HOSTILE, *options], cwd=ROOT)


def run_harness(url: str, *args: str, timeout: float = 120.0) -> Measured:
    return run_measured([*HARNESS, "run", "--target", f"url:{url}", *args], timeout=timeout)


def error_line(done: Measured) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def assert_no_traceback(done: Measured) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stderr


def test_a_health_answer_dribbling_one_byte_a_second_is_exit_2_within_10_s() -> None:
    with hostile("--health", "dribble") as server:
        done = run_harness(server.url, "--scenario", "row.message.create", timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.seconds < STUCK_BOUND_S, done.seconds
    assert error_line(done) == (f"error: url ({server.url}) not ready after 5s: GET {server.url}/health "
                                "gave no complete answer within the deadline")
    assert_no_traceback(done)


def test_a_gateway_handshake_that_never_completes_is_exit_2_within_10_s(upstream: ServedProcess,
                                                                         tmp_path: Path) -> None:
    with hostile("--upstream", upstream.url, "--gateway", "hang") as server:
        done = run_harness(server.url, "--scenario", "row.message.*", "--json", str(tmp_path / "r.json"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.seconds < STUCK_BOUND_S, done.seconds
    assert error_line(done) == (f"error: actor/ws0: the gateway at ws{server.url[4:]}/gateway/ws did not complete "
                                "the WebSocket handshake within 5s")
    assert_no_traceback(done)
    result = json.loads((tmp_path / "r.json").read_text())
    assert [s["status"] for s in result["scenarios"]] == ["error"], "the run ends at the first stuck handshake"
    assert result["status"] == "error"
