"""``docker:IMAGE`` target: one container of a local image, published on 127.0.0.1, removed at the end.

Example (a reference-target image; any Filament-compatible server image works the same way)::

    sync-harness run --target docker:sync-harness-reference:TAG --target-env FILAMENT_…=… --report report

* The image must be present in the engine (the harness never pulls: ``docker build`` / ``docker load``
  it first). The server's port inside the container is ``--target-port``, or the image's only
  ``EXPOSE``d port.
* ``--target-env NAME=value`` becomes the container's environment; secret-looking values are redacted.
* The port is published on 127.0.0.1 at a port chosen free at start and kept across restarts, so the
  restart nemesis (``docker restart``) brings the server back at the same URL with the same files.
* Start waits (bounded) for ``GET /health``; a container that exits first is a :class:`TargetCrashed`
  with the tail of its log.
* The container carries the run labels (:mod:`harness.targets.docker_engine`) and is removed with its
  anonymous volumes on stop, failure, Ctrl-C and SIGTERM; a SIGKILLed run's container is swept by the
  next docker or compose target's start. Its log (redacted) is kept for the report: :meth:`logs`.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from harness.errors import TargetError, UsageError
from harness.redact import Redactor
from harness.targets.base import Target, wait_ready
from harness.targets.command import parse_env
from harness.targets.docker_engine import (
    RunIdentity, connect, finish_in_thread, free_local_port, new_run, sweep_leftovers,
)
from harness.targets.published import PublishedOnLoopback
from harness.targets.process import register_exit_cleanup, unregister_exit_cleanup
from harness.targets.secret_env import redact_secret_env

__all__ = ["DockerTarget", "DOCKER_READY_TIMEOUT", "LOG_LINES"]

DOCKER_READY_TIMEOUT = 60.0
"""Seconds a container gets to answer ``GET /health`` (a cold container on a busy machine is slower
than a subprocess)."""
LOG_LINES = 5000
"""Lines of a container's log kept for the report."""


class DockerTarget(PublishedOnLoopback, Target):
    KIND = "docker"
    supports_restart = True

    def __init__(
        self,
        image: str,
        *,
        env: Mapping[str, str] | Sequence[str] | None = None,
        container_port: int | None = None,
        web_url: str | None = None,
        start_timeout: float = DOCKER_READY_TIMEOUT,
        stop_timeout: float = 10.0,
        redactor: Redactor | None = None,
    ) -> None:
        if not image.strip():
            raise UsageError("docker: target needs an image, e.g. docker:filament-server:latest")
        self.image = image.strip()
        self.env = parse_env(env)
        self.container_port = container_port
        self._web_url = web_url
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.redactor = redactor or Redactor()
        redact_secret_env(self.redactor, self.env)
        self.run: RunIdentity = new_run()
        self.swept: list[str] = []
        self._client: Any = None
        self._container: Any = None
        self._host_port: int | None = None
        self._logs: dict[str, str] = {}

    # ------------------------------------------------------------------ URLs
    @property
    def description(self) -> str:  # type: ignore[override]
        where = f"127.0.0.1:{self._host_port}" if self._host_port else "(not started)"
        return f"docker ({self.image} → {where})"

    @property
    def container_name(self) -> str:
        return self.run.name

    # ------------------------------------------------------------------ state
    def alive(self) -> bool:
        return self._status() == "running"

    def log_tail(self, lines: int = 40) -> str:
        if self._container is None:
            return self._logs.get("server", "")[-lines * 200:]
        return self._read_logs(lines)

    def logs(self) -> dict[str, str]:
        """The container's log (redacted), read before it was removed; keyed by ``server``."""
        return dict(self._logs)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.alive():
            return
        self._client = self._client or await asyncio.to_thread(connect)
        self.swept = await asyncio.to_thread(sweep_leftovers, self._client)
        port = await asyncio.to_thread(self._container_port)
        self._host_port = free_local_port()
        register_exit_cleanup(self, self._remove_now)
        self._container = await finish_in_thread(self._run_container, port)
        await self._wait_ready()

    async def stop(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._remove_now)
        unregister_exit_cleanup(self)

    async def kill(self) -> None:
        if self._container is not None:
            await asyncio.to_thread(self._kill_now)

    async def restart(self) -> None:
        if self._container is None:
            await self.start()
            return
        await finish_in_thread(self._container.restart, timeout=int(self.stop_timeout))
        await self._wait_ready()

    # ------------------------------------------------------------------ engine calls (blocking)
    def _container_port(self) -> int:
        import docker

        try:
            image = self._client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise TargetError(f"image {self.image!r} is not in the Docker engine; build or load it first "
                              f"(the harness never pulls)") from None
        if self.container_port is not None:
            return self.container_port
        exposed = sorted((image.attrs.get("Config") or {}).get("ExposedPorts") or {})
        tcp = [int(p.split("/")[0]) for p in exposed if p.endswith("/tcp")]
        if len(tcp) != 1:
            raise UsageError(f"image {self.image!r} exposes {len(tcp) or 'no'} TCP ports; name the server's "
                             f"port inside the container with --target-port PORT")
        return tcp[0]

    def _run_container(self, port: int) -> Any:
        import docker

        try:
            return self._client.containers.run(
                self.image, detach=True, name=self.container_name, labels=self.run.labels,
                environment=self.env, ports={f"{port}/tcp": ("127.0.0.1", self._host_port)},
            )
        except docker.errors.APIError as exc:
            self._remove_by_name()  # a created container whose start failed (e.g. the port was taken)
            raise TargetError(f"cannot run image {self.image!r}: {self.redactor.redact_text(_explain(exc))}") from None

    def _remove_by_name(self) -> None:
        container = self._by_name()
        if container is not None:
            _quietly(container.remove, force=True, v=True)

    def _by_name(self) -> Any:
        if self._client is None:
            return None
        try:
            return self._client.containers.get(self.container_name)
        except Exception:  # NotFound, or an engine that went away: nothing to remove then
            return None

    def _status(self) -> str | None:
        if self._container is None:
            return None
        try:
            self._container.reload()
        except Exception:
            return None
        return str(self._container.status)

    def _read_logs(self, lines: int | str = "all") -> str:
        try:
            raw = self._container.logs(stdout=True, stderr=True, tail=lines)
        except Exception:
            return ""
        return self.redactor.redact_text(raw.decode("utf-8", "replace"))

    def _kill_now(self) -> None:
        try:
            self._container.kill()
        except Exception:  # already exited: a kill is then a no-op, as for a process
            pass

    def _remove_now(self) -> None:
        """Keep the log, then remove the container and its anonymous volumes. Idempotent, never raises."""
        container = self._container or self._by_name()  # by name: a start interrupted inside `docker run`
        if container is None:
            return
        self._container = container
        self._logs["server"] = self._read_logs(LOG_LINES)
        self._container = None
        _quietly(container.remove, force=True, v=True)
        unregister_exit_cleanup(self)

    async def _wait_ready(self) -> None:
        await wait_ready(self.rest_url, timeout=self.start_timeout, name=self.description, exited=self._exited)

    def _exited(self) -> str | None:
        status = self._status()
        if status in (None, "running", "created", "restarting"):
            return None
        code = (self._container.attrs.get("State") or {}).get("ExitCode")
        tail = " | ".join(line for line in self._read_logs(10).splitlines() if line.strip())
        return (f"container {self.container_name} ({self.image}) {status} with code {code} before becoming ready"
                + (f"; log: {tail[-600:]}" if tail else " (no output)"))


def _explain(exc: Any) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return str(text).splitlines()[0][:300]


def _quietly(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:
        pass
