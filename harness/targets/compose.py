"""``compose:FILE`` target: a compose stack (server, database, …) up for one run, ``down -v`` at the end.

Example::

    sync-harness run --target compose:infra/docker-compose.yml --compose-service server:3000 \\
        --target-env FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE=1000000 --report report

* The stack runs as its own compose project, ``sync-harness-<owner>-<run>`` (see
  :mod:`harness.targets.docker_engine`), so two runs never share containers, networks or volumes, and
  compose labels all of them with that name. A second file (an override the harness writes) adds the
  run labels to every service and publishes the server service's port (``--compose-service
  NAME:PORT``, the port inside its container) on 127.0.0.1 at a port chosen free at start.
* ``--target-env NAME=value`` is given to compose for ``${NAME}`` interpolation in the file and added
  to the server service's environment; secret-looking values are redacted.
* Start = ``up -d``, then a bounded wait until every service with a health check is healthy (a service
  that exits non-zero or turns unhealthy fails the start with its log), then ``GET /health`` on the
  server. Kill and restart act on the server service's container only (the database keeps running),
  so the restart nemesis runs against the stack.
* Stop keeps the log of every service (redacted; :meth:`logs`), then ``down -v --remove-orphans``;
  if compose fails, the engine API removes what carries the project label. Also on failure, Ctrl-C
  and SIGTERM; a SIGKILLed run's stack is swept by the next docker or compose target's start.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import TargetCrashed, TargetError, UsageError
from harness.redact import Redactor
from harness.targets.base import Target, wait_ready
from harness.targets.command import parse_env
from harness.targets.compose_cli import run_compose
from harness.targets.docker_engine import (
    COMPOSE_PROJECT_LABEL, RunIdentity, connect, finish_in_thread, free_local_port, new_run, sweep_leftovers,
)
from harness.targets.docker_image import DOCKER_READY_TIMEOUT, LOG_LINES
from harness.targets.published import PublishedOnLoopback
from harness.targets.process import register_exit_cleanup, unregister_exit_cleanup
from harness.targets.secret_env import redact_secret_env

__all__ = ["ComposeTarget", "parse_compose_service", "COMPOSE_UP_TIMEOUT", "COMPOSE_DOWN_TIMEOUT"]

COMPOSE_UP_TIMEOUT = 180.0
"""Seconds ``compose up -d`` may take (it creates networks, volumes and every container)."""
COMPOSE_DOWN_TIMEOUT = 120.0
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"


def parse_compose_service(value: str | None) -> tuple[str, int]:
    """``NAME:PORT`` (the server service and its port inside the container) → (name, port)."""
    if not value:
        raise UsageError("a compose: target needs the server service and its port: --compose-service NAME:PORT")
    name, sep, port = value.rpartition(":")
    if not sep or not name or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--compose-service looks like NAME:PORT (the port inside the container), got {value!r}")
    return name, int(port)


class ComposeTarget(PublishedOnLoopback, Target):
    KIND = "compose"
    supports_restart = True

    def __init__(
        self,
        file: str | os.PathLike[str],
        *,
        service: str | None = None,
        env: Mapping[str, str] | Sequence[str] | None = None,
        web_url: str | None = None,
        start_timeout: float = DOCKER_READY_TIMEOUT,
        stop_timeout: float = 10.0,
        redactor: Redactor | None = None,
    ) -> None:
        self.file = Path(file).expanduser()
        if not self.file.is_file():
            raise UsageError(f"compose file {str(self.file)!r} does not exist")
        self.service, self.container_port = parse_compose_service(service)
        self.env = parse_env(env)
        self._web_url = web_url
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.redactor = redactor or Redactor()
        redact_secret_env(self.redactor, self.env)
        self.run: RunIdentity = new_run()
        self.swept: list[str] = []
        self._client: Any = None
        self._host_port: int | None = None
        self._workdir: Path | None = None
        self._logs: dict[str, str] = {}

    # ------------------------------------------------------------------ URLs
    @property
    def project(self) -> str:
        return self.run.name

    @property
    def description(self) -> str:  # type: ignore[override]
        where = f"127.0.0.1:{self._host_port}" if self._host_port else "(not started)"
        return f"compose ({self.file.name}, service {self.service} → {where}, project {self.project})"

    # ------------------------------------------------------------------ state
    def alive(self) -> bool:
        server = self._server()
        return server is not None and server.status == "running"

    def log_tail(self, lines: int = 40) -> str:
        server = self._server()
        if server is None:
            return self._logs.get(self.service, "")[-lines * 200:]
        return self._read_logs(server, lines)

    def logs(self) -> dict[str, str]:
        """The log of every service (redacted), read before ``down``; keyed by service name."""
        return dict(self._logs)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.alive():
            return
        self._client = self._client or await asyncio.to_thread(connect)
        self.swept = await asyncio.to_thread(sweep_leftovers, self._client)
        services = await asyncio.to_thread(self._services)
        if self.service not in services:
            raise UsageError(f"--compose-service {self.service!r} is not a service of {self.file} "
                             f"(services: {', '.join(services) or 'none'})")
        self._host_port = free_local_port()
        self._write_override(services)
        register_exit_cleanup(self, self._down_now)
        try:
            await finish_in_thread(run_compose, [*self._files(), "up", "-d"], env=self._compose_env(),
                                   timeout=COMPOSE_UP_TIMEOUT, what=f"compose up of {self.file.name}")
        except TargetError:
            # compose only says a dependency failed; the service that exited or turned unhealthy says why
            await asyncio.to_thread(self._pending_services)
            raise
        await self._wait_services()
        await self._wait_ready()

    async def stop(self) -> None:
        if self._workdir is not None:
            await asyncio.to_thread(self._down_now)

    async def kill(self) -> None:
        server = self._server()
        if server is not None:
            await asyncio.to_thread(_quietly, server.kill)

    async def restart(self) -> None:
        server = self._server()
        if server is None:
            raise TargetError(f"compose service {self.service!r} has no container to restart")
        await finish_in_thread(server.restart, timeout=int(self.stop_timeout))
        await self._wait_ready()

    # ------------------------------------------------------------------ compose files and env
    def _files(self) -> list[str]:
        assert self._workdir is not None
        return ["-p", self.project, "-f", str(self.file), "-f", str(self._workdir / "override.yml")]

    def _compose_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def _services(self) -> list[str]:
        out = run_compose(["-p", self.project, "-f", str(self.file), "config", "--services"],
                          env=self._compose_env(), timeout=60, what=f"compose file {self.file}")
        return [line.strip() for line in out.splitlines() if line.strip()]

    def _write_override(self, services: list[str]) -> None:
        """The harness's second compose file (JSON is YAML): run labels everywhere, the server's port and env."""
        self._workdir = Path(tempfile.mkdtemp(prefix="sync-harness-compose-"))
        override: dict[str, Any] = {"services": {name: {"labels": self.run.labels} for name in services}}
        server = override["services"][self.service]
        server["ports"] = [f"127.0.0.1:{self._host_port}:{self.container_port}"]
        if self.env:
            server["environment"] = self.env
        version = _file_version(self.file)
        if version:
            override = {"version": version, **override}
        (self._workdir / "override.yml").write_text(json.dumps(override))

    # ------------------------------------------------------------------ waits
    async def _wait_services(self) -> None:
        """Until every service with a health check is healthy; a service that exits non-zero fails the start."""
        deadline = time.monotonic() + self.start_timeout
        while True:
            pending = await asyncio.to_thread(self._pending_services)
            if not pending:
                return
            if time.monotonic() >= deadline:
                raise TargetError(f"compose services not healthy after {self.start_timeout:g}s: {', '.join(pending)}")
            await asyncio.sleep(0.25)

    def _pending_services(self) -> list[str]:
        pending: list[str] = []
        for container in self._containers():
            name = container.labels.get(SERVICE_LABEL, container.name)
            state = container.attrs.get("State") or {}
            health = (state.get("Health") or {}).get("Status")
            if container.status in ("exited", "dead"):
                code = state.get("ExitCode")
                if code != 0 or name == self.service:
                    raise TargetCrashed(f"compose service {name} exited with code {code} during start"
                                        + _log_suffix(self._read_logs(container, 10)))
            elif health == "unhealthy":
                raise TargetError(f"compose service {name} is unhealthy" + _log_suffix(self._read_logs(container, 10)))
            elif health == "starting":
                pending.append(name)
        return pending

    async def _wait_ready(self) -> None:
        await wait_ready(self.rest_url, timeout=self.start_timeout, name=self.description, exited=self._exited)

    def _exited(self) -> str | None:
        server = self._server()
        if server is None:
            return f"compose service {self.service} has no container"
        if server.status in ("running", "created", "restarting"):
            return None
        code = (server.attrs.get("State") or {}).get("ExitCode")
        return (f"compose service {self.service} {server.status} with code {code} before becoming ready"
                + _log_suffix(self._read_logs(server, 10)))

    # ------------------------------------------------------------------ engine calls (blocking)
    def _containers(self) -> list[Any]:
        if self._client is None:
            return []
        try:
            return list(self._client.containers.list(
                all=True, filters={"label": f"{COMPOSE_PROJECT_LABEL}={self.project}"}, ignore_removed=True))
        except Exception:
            return []

    def _server(self) -> Any:
        for container in self._containers():
            if container.labels.get(SERVICE_LABEL) == self.service:
                return container
        return None

    def _read_logs(self, container: Any, lines: int | str = "all") -> str:
        try:
            raw = container.logs(stdout=True, stderr=True, tail=lines)
        except Exception:
            return ""
        return self.redactor.redact_text(raw.decode("utf-8", "replace"))

    def _keep_logs(self) -> None:
        for container in self._containers():
            name = container.labels.get(SERVICE_LABEL, container.name)
            number = container.labels.get(NUMBER_LABEL, "1")
            self._logs[name if number == "1" else f"{name}-{number}"] = self._read_logs(container, LOG_LINES)

    def _down_now(self) -> None:
        """Keep every service's log, ``down -v``, and remove whatever compose left. Idempotent, never raises."""
        workdir, self._workdir = self._workdir, None
        if workdir is None:
            return
        self._keep_logs()
        try:
            run_compose(["-p", self.project, "-f", str(self.file), "-f", str(workdir / "override.yml"),
                         "down", "-v", "--remove-orphans", "-t", str(int(self.stop_timeout))],
                        env=self._compose_env(), timeout=COMPOSE_DOWN_TIMEOUT, what="compose down")
        except (TargetError, OSError, subprocess.SubprocessError):
            pass
        self._remove_project_objects()
        shutil.rmtree(workdir, ignore_errors=True)
        unregister_exit_cleanup(self)

    def _remove_project_objects(self) -> None:
        """What compose down did not remove (it failed, or was interrupted): by the project label."""
        if self._client is None:
            return
        label = {"label": f"{COMPOSE_PROJECT_LABEL}={self.project}"}
        for container in self._containers():
            _quietly(container.remove, force=True, v=True)
        for network in _listed(self._client.networks.list, label):
            _quietly(network.remove)
        for volume in _listed(self._client.volumes.list, label):
            _quietly(volume.remove, force=True)


def _file_version(file: Path) -> str | None:
    """The compose file's ``version:`` (v1 refuses to merge files of different versions), if it has one."""
    for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return None


def _log_suffix(tail: str) -> str:
    lines = " | ".join(line for line in tail.splitlines() if line.strip())
    return f"; log: {lines[-600:]}" if lines else " (no output)"


def _listed(list_fn: Any, filters: dict[str, str]) -> list[Any]:
    try:
        return list(list_fn(filters=filters))
    except Exception:
        return []


def _quietly(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:
        pass
