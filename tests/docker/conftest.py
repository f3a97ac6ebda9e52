"""Fixtures of the Docker tests: a real engine, the reference image built locally, and leftover checks.

* ``docker_client`` (session): an SDK client for the engine; every test of this folder is skipped
  with the engine's own error when none answers (``scripts/docker-engine.sh start`` brings one).
* ``reference_image`` (session): the tag of the reference-target image (tests/support/reference_image.py),
  built once and reused while its content hash is unchanged; the build or reuse time is printed in
  the terminal summary.
* ``leftovers(client)``: every container, network and volume a harness run made that still exists.
* an autouse teardown removes whatever a failed test left, so one red test does not turn others red.
"""
from __future__ import annotations

import fcntl
import os
import signal
import tempfile
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.errors import TargetError
from harness.targets.compose_cli import compose_command
from harness.targets.docker_engine import COMPOSE_PROJECT_LABEL, OWNER_LABEL, PROJECT_PREFIX, connect

from tests.support.reference_image import COMPOSE_FILE, CONTAINER_PORT, ensure_reference_image

HARNESS = [sys.executable, "-m", "harness.cli"]
_figures: list[str] = []


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's loadgroup reads the group marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is marked ``docker``, and under pytest-xdist (the test command runs two workers) runs on
    one worker: they assert that no harness-labelled container, network or volume is left, which a concurrent
    Docker test on another worker would make false."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker("docker")
            item.add_marker(pytest.mark.xdist_group("docker"))
            item.add_marker(pytest.mark.timeout(900))  # includes waiting for the lock below


@contextmanager
def _machine_wide_docker_lock() -> Iterator[None]:
    with open(os.path.join(tempfile.gettempdir(), "sync-harness-docker-tests.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _one_docker_test_at_a_time() -> Iterator[None]:
    """A machine-wide lock: whatever worker (or concurrent test run) a Docker test is on, no other Docker test
    runs meanwhile, since each asserts that nothing harness-labelled is left in the one engine."""
    with _machine_wide_docker_lock():
        yield


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _figures:
        terminalreporter.write_line(line)


_dangling_at_start: set[str] = set()


@pytest.fixture(scope="session")
def docker_client() -> Any:
    try:
        client = connect()
    except TargetError as exc:
        pytest.skip(f"Docker tests need an engine: {exc}")
    _dangling_at_start.update(v.name for v in client.volumes.list(filters={"dangling": True}))
    return client


@pytest.fixture(scope="session")
def reference_image(docker_client: Any) -> str:
    # Under the same lock: two workers building at once removed each other's older tags mid-listing.
    # (Session fixtures are set up before the per-test lock is taken, so this never nests in it.)
    with _machine_wide_docker_lock():
        tag, seconds, built = ensure_reference_image(docker_client)
    _figures.append(f"docker: reference image {tag} {'built' if built else 'reused'} in {seconds:.1f}s")
    return tag


def _ours(labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return OWNER_LABEL in labels or labels.get(COMPOSE_PROJECT_LABEL, "").startswith(PROJECT_PREFIX)


def leftovers(client: Any) -> list[str]:
    found = [f"container {c.name}" for c in client.containers.list(all=True, ignore_removed=True) if _ours(c.labels)]
    found += [f"network {n.name}" for n in client.networks.list() if _ours(n.attrs.get("Labels"))]
    found += [f"volume {v.name}" for v in client.volumes.list() if _ours(v.attrs.get("Labels"))]
    # anonymous volumes (the image's VOLUME /data) carry no label: one left dangling was not removed with its container
    found += [f"volume {v.name} (dangling)" for v in client.volumes.list(filters={"dangling": True})
              if v.name not in _dangling_at_start and not _ours(v.attrs.get("Labels"))]
    return sorted(found)


def owned_by(client: Any, pid: int) -> list[Any]:
    """Containers made by the harness process ``pid``."""
    return [c for c in client.containers.list(all=True, filters={"label": OWNER_LABEL}, ignore_removed=True)
            if f"-{pid}-" in c.labels.get(OWNER_LABEL, "")]


@pytest.fixture(autouse=True)
def _remove_what_a_failed_test_left(request: pytest.FixtureRequest) -> Iterator[None]:
    if "compose" in request.node.name:
        try:
            compose_command()
        except TargetError as exc:
            pytest.skip(str(exc))
    yield
    if "docker_client" not in request.fixturenames:
        return
    client = request.getfixturevalue("docker_client")
    for c in client.containers.list(all=True, ignore_removed=True):
        if _ours(c.labels):
            c.remove(force=True, v=True)
    for n in client.networks.list():
        if _ours(n.attrs.get("Labels")):
            n.remove()
    for v in client.volumes.list():
        if _ours(v.attrs.get("Labels")):
            v.remove(force=True)


def target_args(kind: str, image: str, *env: str) -> list[str]:
    """``run`` arguments for a docker: or compose: target of the reference image, with extra --target-env."""
    extra = [a for e in env for a in ("--target-env", e)]
    if kind == "docker":
        return ["--target", f"docker:{image}", *extra]
    return ["--target", f"compose:{COMPOSE_FILE}", "--compose-service", f"server:{CONTAINER_PORT}",
            "--target-env", f"SYNC_REFERENCE_IMAGE={image}", *extra]


def run_harness(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*HARNESS, "run", *args], capture_output=True, text=True, timeout=timeout)


def start_harness_and_wait_for_first_scenario(*args: str, timeout: float = 180) -> subprocess.Popen:
    """A harness subprocess, returned once its first scenario has passed (its target is up)."""
    proc = subprocess.Popen([*HARNESS, "run", *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if line.lstrip().startswith("PASS ["):
            return proc
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    raise AssertionError("no scenario finished: " + "".join(seen))


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return bool(predicate())


__all__ = ["HARNESS", "leftovers", "owned_by", "target_args", "run_harness",
           "start_harness_and_wait_for_first_scenario", "error_line", "wait_until"]

