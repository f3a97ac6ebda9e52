"""The Docker engine as the harness uses it: one client, run labels, and the sweep of a killed run's leftovers.

Every container, network and volume the harness creates names its **owner**: the harness process
that made it, as ``<host-hash>-<pid>-<process start time>``. Containers carry it in the
``sync-harness.owner`` label (with ``sync-harness.run``, the run's id); compose projects carry it in
their project name (``sync-harness-<owner>-<run>``), which compose puts on every container, network
and volume as ``com.docker.compose.project``. A clean run removes what it made (stop, Ctrl-C, a
failure, SIGTERM through the process registry's exit hooks). A SIGKILLed harness cannot, so every
docker and compose target :func:`sweep_leftovers` at start: whatever belongs to an owner on this host
that no longer runs is removed. Objects of a live harness (a parallel run) and of other hosts are left
alone.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.errors import TargetError

__all__ = [
    "RUN_LABEL",
    "OWNER_LABEL",
    "COMPOSE_PROJECT_LABEL",
    "PROJECT_PREFIX",
    "RunIdentity",
    "new_run",
    "connect",
    "owner_alive",
    "sweep_leftovers",
    "free_local_port",
    "finish_in_thread",
]

T = TypeVar("T")

RUN_LABEL = "sync-harness.run"
OWNER_LABEL = "sync-harness.owner"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
PROJECT_PREFIX = "sync-harness-"
ENGINE_TIMEOUT_S = 60
"""Seconds one engine API call may take (image inspection, container start, removal)."""

_OWNER_RE = re.compile(r"([0-9a-f]{6})-(\d+)-(\d+)")


def _host_hash() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def _process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot): a pid plus this names one process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 22; the command name (field 2) may contain spaces, so count from its closing parenthesis.
    return stat.rsplit(")", 1)[1].split()[19]


@dataclass(frozen=True)
class RunIdentity:
    owner: str
    run: str

    @property
    def labels(self) -> dict[str, str]:
        return {OWNER_LABEL: self.owner, RUN_LABEL: self.run}

    @property
    def name(self) -> str:
        """A container or compose project name that carries the owner (lower case, ``[a-z0-9-]``)."""
        return f"{PROJECT_PREFIX}{self.owner}-{self.run}"


def new_run() -> RunIdentity:
    pid = os.getpid()
    return RunIdentity(owner=f"{_host_hash()}-{pid}-{_process_start_time(pid) or 0}", run=secrets.token_hex(4))


def owner_alive(owner: str) -> bool:
    """Whether the harness process named by ``owner`` still runs. Another host's owners count as alive
    (this host cannot tell), and so does anything that is not an owner string."""
    m = _OWNER_RE.fullmatch(owner)
    if m is None or m.group(1) != _host_hash():
        return True
    return _process_start_time(int(m.group(2))) == m.group(3)


def _owner_in_project(project: str) -> str | None:
    if not project.startswith(PROJECT_PREFIX):
        return None
    m = _OWNER_RE.match(project[len(PROJECT_PREFIX):])
    return m.group(0) if m else None


def connect() -> Any:
    """A Docker SDK client for the engine ``DOCKER_HOST`` (or the local socket) names, checked with a ping."""
    try:
        import docker
    except ImportError:  # pragma: no cover - a dependency of the package
        raise TargetError("docker targets need the Docker SDK for Python: pip install docker") from None
    try:
        client = docker.from_env(timeout=ENGINE_TIMEOUT_S)
        client.ping()
    except Exception as exc:  # the SDK raises DockerException, requests' errors, or OSError
        cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TargetError(f"no Docker engine answers ({cause[:200]}); start one (scripts/docker-engine.sh start) "
                          f"or set DOCKER_HOST") from None
    return client


def _dead(labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    owner = labels.get(OWNER_LABEL) or _owner_in_project(labels.get(COMPOSE_PROJECT_LABEL, ""))
    return owner is not None and not owner_alive(owner)


def sweep_leftovers(client: Any) -> list[str]:
    """Remove every container, network and volume whose owner (on this host) no longer runs.

    Returns what was removed (``container NAME``, ``network NAME``, ``volume NAME``). Objects that
    vanish meanwhile (a parallel sweep) are not an error.
    """
    import docker

    removed: list[str] = []
    filters = [{"label": OWNER_LABEL}, {"label": COMPOSE_PROJECT_LABEL}]
    for query in filters:
        for container in client.containers.list(all=True, filters=query, ignore_removed=True):
            if _dead(container.labels):
                try:
                    container.remove(force=True, v=True)
                    removed.append(f"container {container.name}")
                except docker.errors.NotFound:
                    pass
    for query in filters:
        for network in client.networks.list(filters=query):
            if _dead(network.attrs.get("Labels")):
                try:
                    network.remove()
                    removed.append(f"network {network.name}")
                except docker.errors.NotFound:
                    pass
        for volume in client.volumes.list(filters=query):
            if _dead(volume.attrs.get("Labels")):
                try:
                    volume.remove(force=True)
                    removed.append(f"volume {volume.name}")
                except docker.errors.NotFound:
                    pass
    return sorted(set(removed))


def free_local_port() -> int:
    """A port that is free on 127.0.0.1 now. Docker publishes on it explicitly, so a restarted container
    gets the same port back (an ephemeral ``127.0.0.1::PORT`` mapping changes on every restart)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def finish_in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn`` in a worker thread; when the caller is cancelled (Ctrl-C) meanwhile, wait for ``fn`` to end
    before re-raising. A thread cannot be stopped: without this, the cleanup that follows a Ctrl-C
    during ``docker run`` or ``compose up`` would run first and miss what the call creates after it."""
    call = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(call)
    except asyncio.CancelledError:
        try:
            await call
        except BaseException:  # its own failure does not matter any more: the caller was cancelled
            pass
        raise
