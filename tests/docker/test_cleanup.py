"""Nothing a docker: or compose: run creates outlives it: not after a failing run, a server that
cannot start, a target killed mid-run, Ctrl-C, nor (at the next start) a SIGKILLed harness."""
from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.targets.factory import make_target
from tests.docker.conftest import (
    HARNESS, error_line, leftovers, owned_by, run_harness, start_harness_and_wait_for_first_scenario, target_args, wait_until,
)
from tests.support.reference_image import COMPOSE_FILE, CONTAINER_PORT

KINDS = ["docker", "compose"]
pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("kind", KINDS)
def test_a_planted_fault_fails_the_run_with_its_check_and_leaves_nothing(kind: str, reference_image: str,
                                                                         docker_client: Any, tmp_path: Path) -> None:
    done = run_harness(*target_args(kind, reference_image, "HARNESS_REFERENCE_FAULTS=server.duplicate_message_create"),
                       "--scenario", "row.message.create", "--json", str(tmp_path / "r.json"))
    assert done.returncode == 1, done.stderr[-2000:]
    [scenario] = json.loads((tmp_path / "r.json").read_text())["scenarios"]
    assert scenario["status"] == "failed"
    assert {f["check"] for f in scenario["failures"]} == {"delivery"}
    assert leftovers(docker_client) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_exits_at_start_is_exit_2_with_its_redacted_log_and_leaves_nothing(
        kind: str, reference_image: str, docker_client: Any) -> None:
    secret = "not-a-fault-but-a-secret-42"  # the server prints the unknown fault name, i.e. the secret
    done = run_harness(*target_args(kind, reference_image, f"HARNESS_REFERENCE_FAULTS={secret}",
                                    f"API_SECRET={secret}"), "--scenario", "row.message.create", timeout=200)
    assert done.returncode == 2, done.stderr[-2000:]
    line = error_line(done.stderr)
    assert "exited with code 2" in line and "unknown fault" in line.lower() and "«redacted:target_env»" in line
    assert secret not in done.stderr + done.stdout
    assert leftovers(docker_client) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_target_killed_mid_run_is_exit_2_and_leaves_nothing(kind: str, reference_image: str, docker_client: Any,
                                                              tmp_path: Path) -> None:
    proc = start_harness_and_wait_for_first_scenario(*target_args(kind, reference_image), "--scenario", "row.*",
                                                     "--json", str(tmp_path / "r.json"))
    servers = [c for c in owned_by(docker_client, proc.pid)
               if c.labels.get("com.docker.compose.service", "server") == "server"]
    assert len(servers) == 1
    servers[0].kill()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err[-2000:]
    assert "the target died" in error_line(err) or "cannot reach" in error_line(err)
    assert json.loads((tmp_path / "r.json").read_text())["scenarios"][0]["status"] == "passed"
    assert leftovers(docker_client) == []


@pytest.mark.parametrize("kind", KINDS)
def test_ctrl_c_is_exit_130_and_leaves_nothing(kind: str, reference_image: str, docker_client: Any,
                                               tmp_path: Path) -> None:
    proc = start_harness_and_wait_for_first_scenario(*target_args(kind, reference_image), "--scenario", "row.*",
                                                     "--report", str(tmp_path))
    assert owned_by(docker_client, proc.pid), "the run's containers exist before Ctrl-C"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert leftovers(docker_client) == []
    assert json.loads((tmp_path / "result.json").read_text())["interrupted"] is True
    assert (tmp_path / "target-logs" / "server.log").read_text().count("listening on") == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_a_sigkilled_harness_leaves_objects_that_the_next_start_sweeps_but_not_a_live_runs(
        kind: str, reference_image: str, docker_client: Any) -> None:
    live = make_target(f"docker:{reference_image}")  # a run of this live process: no sweep may touch it
    await live.start_cleanly()
    try:
        proc = start_harness_and_wait_for_first_scenario(*target_args(kind, reference_image), "--scenario", "row.*")
        assert live.alive(), "the harness's own start swept a live run's container"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        left = [x for x in leftovers(docker_client) if f"-{proc.pid}-" in x]
        expected_kinds = {"container"} if kind == "docker" else {"container", "network", "volume"}
        assert {x.split()[0] for x in left} == expected_kinds, left  # SIGKILL: nothing could clean up

        options: dict[str, Any] = ({} if kind == "docker" else
                                   {"service": f"server:{CONTAINER_PORT}", "env": [f"SYNC_REFERENCE_IMAGE={reference_image}"]})
        sweeper = make_target(f"docker:{reference_image}" if kind == "docker" else f"compose:{COMPOSE_FILE}", **options)
        async with sweeper:
            assert sorted(sweeper.swept) == left  # type: ignore[attr-defined]
            assert live.alive()
        assert [x for x in leftovers(docker_client) if f"-{proc.pid}-" in x] == []
    finally:
        await live.stop()
    assert leftovers(docker_client) == []

@pytest.mark.parametrize("kind", ["compose"])
def test_ctrl_c_while_the_target_starts_is_exit_130_and_leaves_nothing(kind: str, reference_image: str,
                                                                       docker_client: Any) -> None:
    # SIGINT as soon as the first container exists: inside `compose up` (which the harness lets finish
    # before it takes the stack down) or the health waits. (docker: has the same path, through
    # `docker run`; a single container gives a much shorter window, so only compose is run here.)
    proc = subprocess.Popen([*HARNESS, "run", *target_args(kind, reference_image), "--scenario", "row.message.create"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: owned_by(docker_client, proc.pid) or proc.poll() is not None, timeout=120)
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert leftovers(docker_client) == []


def test_sigterm_removes_the_container_before_the_harness_exits(reference_image: str, docker_client: Any) -> None:
    # SIGTERM (what CI sends on cancel) ends a run like Ctrl-C: reports, then the target is stopped; exit 143
    proc = start_harness_and_wait_for_first_scenario(*target_args("docker", reference_image), "--scenario", "row.*")
    assert owned_by(docker_client, proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert leftovers(docker_client) == []
