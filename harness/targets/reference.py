"""The embedded reference target, run as a subprocess (the engine never imports ``harness.reference``).

``python -m harness.reference --host 127.0.0.1 --port 0 --db <tmp>/reference.sqlite3
[--config <tmp>/config.json] [--fault NAME …]`` is started in its own process group; the port is
learned from its ``listening on http://127.0.0.1:PORT`` stdout line (bounded wait), then readiness is
``GET /health``. Its output is drained continuously into a ring buffer (``log_tail``).

Configuration: the harness registers many users from one IP (127.0.0.1), so by default the REST rate
limiters are relaxed (:data:`HARNESS_REFERENCE_CONFIG`); pass ``config={...}`` to override single keys
(merged over the defaults) or ``harness_defaults=False`` to start from the server's own defaults.

Restart keeps the database file and, if at all possible, the port (clients keep their URLs). If the
previous port cannot be bound again, :meth:`ReferenceTarget.restart` raises a :class:`TargetError`
saying so, unless ``allow_port_change=True`` (then the new port is logged and ``rest_url`` changes).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import PortInUse, TargetCrashed, TargetError
from harness.targets.process import ManagedProcess, register_exit_cleanup, unregister_exit_cleanup
from harness.redact import Redactor
from harness.targets.base import (
    DEFAULT_READY_TIMEOUT,
    Target,
    gateway_url_for,
    port_in_use,
    wait_ready,
)

__all__ = [
    "ReferenceTarget",
    "HARNESS_REFERENCE_CONFIG",
    "HARNESS_RATE_LIMIT_REQUESTS_PER_MINUTE",
    "HARNESS_AUTH_ROUTE_REQUESTS_PER_MINUTE",
    "HARNESS_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP",
    "REFERENCE_MODULE",
]

log = logging.getLogger(__name__)

REFERENCE_MODULE = "harness.reference"

HARNESS_RATE_LIMIT_REQUESTS_PER_MINUTE = 1_000_000
"""Global limiter burst (``FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE``, default 600) for harness runs."""
HARNESS_AUTH_ROUTE_REQUESTS_PER_MINUTE = 1_000_000
"""Auth-route limiter (``FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE``, default 60 per IP) for harness runs."""

HARNESS_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP = 1_000_000
"""Directory-join limiter per IP (``FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP``, default 60):
every simulated user joins from 127.0.0.1. The per-user join limit (30/min) is left as it is."""

HARNESS_REFERENCE_CONFIG: Mapping[str, Any] = {
    "rate_limit_requests_per_minute": HARNESS_RATE_LIMIT_REQUESTS_PER_MINUTE,
    "auth_route_requests_per_minute": HARNESS_AUTH_ROUTE_REQUESTS_PER_MINUTE,
    "directory_join_requests_per_minute_per_ip": HARNESS_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP,
}
"""Config the harness passes to the reference server unless told otherwise (AppConfig field names)."""

LISTENING_RE = re.compile(r"listening on (https?://\S+)")
STOP_TIMEOUT = 5.0
RESTART_BIND_TIMEOUT = 5.0


def _project_root() -> Path:
    import harness

    return Path(harness.__file__).resolve().parent.parent


def reference_runnable() -> bool:
    """Whether ``python -m harness.reference`` exists in this checkout (checked without importing it)."""
    root = _project_root() / "harness" / "reference"
    return (root / "__main__.py").is_file()


class ReferenceTarget(Target):
    supports_restart = True

    def __init__(
        self,
        *,
        config: Mapping[str, Any] | None = None,
        faults: Sequence[str] = (),
        db_path: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        harness_defaults: bool = True,
        start_timeout: float = DEFAULT_READY_TIMEOUT,
        stop_timeout: float = STOP_TIMEOUT,
        env: Mapping[str, str] | None = None,
        python: str | None = None,
        extra_args: Sequence[str] = (),
        allow_port_change: bool = False,
        redactor: Redactor | None = None,
    ) -> None:
        merged: dict[str, Any] = dict(HARNESS_REFERENCE_CONFIG) if harness_defaults else {}
        merged.update(config or {})
        self.config: dict[str, Any] = merged
        self.faults = list(faults)
        self.host = host
        self.requested_port = int(port)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.env = dict(env or {})
        self.python = python or sys.executable
        self.extra_args = list(extra_args)
        self.allow_port_change = allow_port_change
        self.redactor = redactor or Redactor()
        self._user_db = Path(db_path) if db_path is not None else None
        self._tmpdir: Path | None = None
        self._proc: ManagedProcess | None = None
        self._port: int | None = None
        self._base_url: str | None = None
        self._listening: str | None = None
        self.restarts = 0

    # ------------------------------------------------------------------ properties
    @property
    def db_path(self) -> Path | None:
        if self._user_db is not None:
            return self._user_db
        return self._tmpdir / "reference.sqlite3" if self._tmpdir is not None else None

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def description(self) -> str:  # type: ignore[override]
        where = f"{self.host}:{self._port}" if self._port else f"{self.host}:(not started)"
        parts = [where, f"db {self.db_path}" if self.db_path else "db (not created)"]
        if self.faults:
            parts.append("faults " + ",".join(self.faults))
        return f"reference ({', '.join(parts)})"

    @property
    def rest_url(self) -> str:  # type: ignore[override]
        if self._base_url is None:
            raise TargetError("reference target is not started: no URL yet")
        return self._base_url

    @property
    def gateway_url(self) -> str:  # type: ignore[override]
        return gateway_url_for(self.rest_url)

    @property
    def web_url(self) -> str | None:  # type: ignore[override]
        return self.rest_url + "/"

    def alive(self) -> bool:
        return self._proc is not None and self._proc.alive()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def log_tail(self, lines: int = 40) -> str:
        if self._proc is None:
            return ""
        return self.redactor.redact_text(self._proc.tail(lines))

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.alive():
            return
        port = self._port if self._port is not None else self.requested_port
        if port and port_in_use(self.host, port):
            raise PortInUse(
                f"port {port} on {self.host} is already in use; the reference target cannot listen there "
                f"(choose another port or --port 0)"
            )
        await self._launch(port)

    async def stop(self) -> None:
        if self._proc is not None:
            await self._proc.terminate(self.stop_timeout)
        self._remove_tmpdir()
        # A later start() begins a new life: fresh files, the requested port.
        self._port = None
        self._base_url = None

    async def kill(self) -> None:
        """SIGKILL; the database and config files stay for :meth:`restart`."""
        if self._proc is not None:
            await self._proc.kill()

    async def restart(self) -> None:
        previous = self._port
        if self._proc is not None and self._proc.alive():
            await self._proc.terminate(self.stop_timeout)
        self.restarts += 1
        if not previous:
            await self._launch(self.requested_port)
            return
        # Same port: the old listener is gone once the process has exited; allow a short bound for
        # the kernel to release it, and retry a launch that lost a race for the port.
        deadline = time.monotonic() + RESTART_BIND_TIMEOUT
        last: PortInUse | None = None
        while True:
            if not port_in_use(self.host, previous):
                try:
                    await self._launch(previous)
                    return
                except PortInUse as exc:
                    last = exc
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        cause = str(last) if last else f"port {previous} is still in use"
        if not self.allow_port_change:
            raise TargetError(
                f"reference restart could not listen on its previous port {previous} again ({cause}); "
                f"clients would lose the target's URL (pass allow_port_change=True to accept a new port)"
            )
        log.warning("reference restart: port %s unavailable (%s); restarting on a new port", previous, cause)
        await self._launch(0)
        log.warning("reference restart: now listening on %s (was port %s)", self._base_url, previous)

    # ------------------------------------------------------------------ internals
    def _ensure_files(self) -> tuple[Path, Path | None]:
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="sync-harness-reference-"))
            tmp = self._tmpdir
            register_exit_cleanup(self, lambda: shutil.rmtree(tmp, ignore_errors=True))
        db = self.db_path
        assert db is not None
        config_file: Path | None = None
        if self.config:
            config_file = self._tmpdir / "config.json"
            config_file.write_text(json.dumps(self.config, indent=2, sort_keys=True))
        return db, config_file

    def _remove_tmpdir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            unregister_exit_cleanup(self)
            self._tmpdir = None

    def _argv(self, port: int, db: Path, config_file: Path | None) -> list[str]:
        # --filament-limits: this target passes its own limits (self.config); the server adds none of its own.
        argv = [self.python, "-m", REFERENCE_MODULE, "--host", self.host, "--port", str(port), "--db", str(db),
                "--filament-limits"]
        if config_file is not None:
            argv += ["--config", str(config_file)]
        for fault in self.faults:
            argv += ["--fault", fault]
        return argv + self.extra_args

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        root = str(_project_root())
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.env)
        return env

    def _on_stdout(self, line: str) -> None:
        if self._listening is None:
            m = LISTENING_RE.search(line)
            if m:
                self._listening = m.group(1).rstrip("/")

    async def _launch(self, port: int) -> None:
        if not reference_runnable():
            raise TargetError(
                f"the reference target is not available in this installation ({REFERENCE_MODULE} has no __main__)"
            )
        db, config_file = self._ensure_files()
        self._listening = None
        proc = ManagedProcess(
            self._argv(port, db, config_file),
            name="reference",
            env=self._child_env(),
            cwd=str(_project_root()),
            on_stdout_line=self._on_stdout,
        )
        self._proc = proc
        proc.start()
        deadline = time.monotonic() + self.start_timeout
        delay = 0.01
        while self._listening is None:
            code = proc.returncode
            if code is not None:
                await proc.join_drains(1.0)
                self._raise_exited(proc, code, port)
            if time.monotonic() >= deadline:
                tail = self.redactor.redact_text(proc.tail(10))
                await proc.terminate(1.0)
                raise TargetError(
                    f"reference server printed no 'listening on' line within {self.start_timeout:g}s"
                    + (f"; output: {_one_line(tail)}" if tail else "")
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.1)
        self._base_url = self._listening
        from urllib.parse import urlsplit

        self._port = urlsplit(self._base_url).port

        def exited() -> str | None:
            code = proc.returncode
            if code is None:
                return None
            return self._exit_message(proc, code, "before becoming ready")

        remaining = max(1.0, deadline - time.monotonic())
        try:
            await wait_ready(self._base_url, timeout=remaining, name=self.description, exited=exited)
        except TargetError:
            if proc.alive():
                await proc.terminate(1.0)
            raise

    def _exit_message(self, proc: ManagedProcess, code: int, when: str) -> str:
        tail = self.redactor.redact_text(proc.tail(10, "stderr"))
        msg = f"reference server exited with code {code} {when}"
        if tail:
            msg += f"; stderr: {_one_line(tail)}"
        return msg

    def _raise_exited(self, proc: ManagedProcess, code: int, port: int) -> None:
        last = self.redactor.redact_text(proc.last_line("stderr"))
        low = last.lower()
        if code == 2 and ("in use" in low or "address already" in low or "errno 98" in low):
            raise PortInUse(f"reference server cannot listen on {self.host}:{port}: {last}")
        if code == 2 and last:
            raise TargetError(f"reference server refused to start: {last}")
        raise TargetCrashed(self._exit_message(proc, code, "before it was listening"))


def _one_line(text: str, limit: int = 600) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    joined = " | ".join(lines)
    return joined if len(joined) <= limit else "…" + joined[-limit:]
