"""``command:`` target: any command line that serves a Filament-compatible API at a known URL.

Example (a real Filament server)::

    sync-harness --target 'command:./filament-server' --target-url http://127.0.0.1:3000 \\
        --target-env FILAMENT_DATABASE_URL=postgres://… --target-env FILAMENT_BIND_ADDR=127.0.0.1:3000

Before starting, the port of ``url`` must be free (otherwise :class:`PortInUse`: whatever already
listens there would be tested instead of the command). While waiting for readiness the process is
watched: if it exits, :class:`TargetCrashed` carries the tail of its stderr. The command runs in its
own process group, so ``stop``/``kill`` reach every process it spawned.
"""
from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence

from harness.errors import TargetCrashed, TargetError, UsageError
from harness.targets.process import ManagedProcess
from harness.redact import Redactor
from harness.targets.base import (
    AtUrl,
    DEFAULT_READY_TIMEOUT,
    Target,
    check_port_free,
    host_port_of,
    wait_ready,
)

__all__ = ["CommandTarget", "parse_env"]


def parse_env(env: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    """``{"K": "V"}`` or ``["K=V", …]`` (the ``--target-env`` form) → dict."""
    if env is None:
        return {}
    if isinstance(env, Mapping):
        return {str(k): str(v) for k, v in env.items()}
    out: dict[str, str] = {}
    for item in env:
        if "=" not in item or item.startswith("="):
            raise UsageError(f"target environment entries look like NAME=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k] = v
    return out


class CommandTarget(AtUrl, Target):
    supports_restart = True

    def __init__(
        self,
        command: str | Sequence[str],
        url: str,
        *,
        env: Mapping[str, str] | Sequence[str] | None = None,
        cwd: str | None = None,
        gateway_url: str | None = None,
        web_url: str | None = None,
        start_timeout: float = DEFAULT_READY_TIMEOUT,
        stop_timeout: float = 10.0,
        inherit_env: bool = True,
        redactor: Redactor | None = None,
    ) -> None:
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise UsageError("command: target needs a command line, e.g. command:./filament-server")
        if not url or "://" not in url:
            raise UsageError(
                "a command: target needs the URL it will serve (--target-url http://127.0.0.1:3000)"
            )
        host_port_of(url)  # validates
        self._url = url.rstrip("/")
        self._gateway_url = gateway_url
        self._web_url = web_url
        self.env = parse_env(env)
        self.cwd = cwd
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.inherit_env = inherit_env
        self.redactor = redactor or Redactor()
        self._proc: ManagedProcess | None = None

    @property
    def description(self) -> str:  # type: ignore[override]
        # Never the environment: it usually carries database passwords.
        return f"command ({self.redactor.redact_text(shlex.join(self.argv))[:200]} → {self.redactor.redact_url(self._url)})"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def log_tail(self, lines: int = 40) -> str:
        return self.redactor.redact_text(self._proc.tail(lines)) if self._proc is not None else ""

    async def start(self) -> None:
        if self.alive():
            return
        check_port_free(self._url, what=f"the command {self.argv[0]!r}")
        env = dict(os.environ) if self.inherit_env else {}
        env.update(self.env)
        for name, value in self.env.items():
            if any(w in name.upper() for w in ("SECRET", "PASSWORD", "TOKEN", "KEY", "DATABASE_URL")):
                self.redactor.add(value, "target_env")
        proc = ManagedProcess(self.argv, name=os.path.basename(self.argv[0]), env=env, cwd=self.cwd)
        self._proc = proc
        try:
            proc.start()
        except FileNotFoundError as exc:
            raise TargetError(f"cannot run {self.argv[0]!r}: command not found ({exc.strerror})") from None
        except PermissionError as exc:
            raise TargetError(f"cannot run {self.argv[0]!r}: permission denied ({exc.strerror})") from None
        except OSError as exc:
            raise TargetError(f"cannot run {self.argv[0]!r}: {exc}") from None

        def exited() -> str | None:
            code = proc.returncode
            if code is None:
                return None
            proc.finish_draining(0.5)  # the last stderr lines explain the crash
            tail = self.redactor.redact_text(proc.tail(10, "stderr")) or self.redactor.redact_text(
                proc.tail(5, "stdout")
            )
            lines = " | ".join(ln.strip() for ln in tail.splitlines() if ln.strip())
            msg = f"command {self.argv[0]!r} exited with code {code} before it became ready"
            return msg + (f"; stderr: {lines[-600:]}" if lines else " (no output)")

        try:
            await wait_ready(self._url, timeout=self.start_timeout, name=self.description, exited=exited)
        except TargetCrashed:
            raise
        except TargetError:
            await proc.terminate(2.0)
            raise

    async def stop(self) -> None:
        if self._proc is not None:
            await self._proc.terminate(self.stop_timeout)

    async def kill(self) -> None:
        if self._proc is not None:
            await self._proc.kill()

    async def restart(self) -> None:
        if self._proc is not None and self._proc.alive():
            await self._proc.terminate(self.stop_timeout)
        await self.start()
