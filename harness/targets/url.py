"""``url:`` target: a server that is already running; the harness only probes it.

``start`` is a readiness probe (``GET /health`` → 200 ``{"status":"ok"}``): a refused connection
fails at once with :class:`TargetUnreachable` ("cannot reach http://… (connection refused)"), any
other not-ready answer is retried until ``ready_timeout``. The harness does not own the process, so
``kill`` and ``restart`` are unsupported (a clear :class:`TargetError`) and ``stop`` only forgets it.

The REST base may carry a path prefix (``https://chat.example/api``, the web client's proxied
layout); the gateway is then derived from the origin (``wss://chat.example/gateway/ws``) unless
``gateway_url`` is given.
"""
from __future__ import annotations

from harness.errors import TargetError
from harness.redact import Redactor
from harness.targets.base import AtUrl, Target, host_port_of, wait_ready
from harness.targets.urls import checked_http_url

__all__ = ["UrlTarget"]


class UrlTarget(AtUrl, Target):
    supports_restart = False

    def __init__(
        self,
        url: str,
        *,
        gateway_url: str | None = None,
        web_url: str | None = None,
        ready_timeout: float = 5.0,
        redactor: Redactor | None = None,
    ) -> None:
        checked_http_url(url, what="url: target")
        host_port_of(url)
        self._url = url.rstrip("/")
        self._gateway_url = gateway_url
        self._web_url = web_url
        self.ready_timeout = ready_timeout
        self.redactor = redactor or Redactor()
        self._started = False

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"url ({self.redactor.redact_url(self._url)})"

    def alive(self) -> bool:
        """Whether :meth:`start` found it ready (the harness cannot see the process)."""
        return self._started

    async def start(self) -> None:
        await wait_ready(
            self._url, timeout=self.ready_timeout, name=self.description, unreachable_fails_fast=True
        )
        self._started = True

    async def stop(self) -> None:
        self._started = False

    async def kill(self) -> None:
        raise TargetError(
            f"{self.description}: the harness does not own this server's process, so it cannot kill it "
            "(use a reference or command: target for crash faults)"
        )

    async def restart(self) -> None:
        raise TargetError(
            f"{self.description}: the harness does not own this server's process, so it cannot restart it "
            "(use a reference or command: target for restart faults)"
        )
