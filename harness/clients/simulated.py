"""A simulated client: one login session = one :class:`RestSession` + its gateway connections.

It does not reduce frames into a replica itself: the runner attaches one through :meth:`on_frame`
(callbacks for the *primary* connection, ``connections[0]``, registered before it opens so they see
``ready``). Connection ids are ``f"{label}/ws{n}"``.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness.clients.gateway import FrameCallback, GatewayAuthError, GatewayConnection
from harness.clients.rest import RestAuthError, RestSession
from harness.errors import TargetError
from harness.redact import Redactor
from harness.targets.base import Target

__all__ = ["SimulatedClient"]


class SimulatedClient:
    def __init__(
        self,
        label: str,
        target: Target,
        username: str,
        password: str,
        *,
        redactor: Redactor,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 5.0,
        gateway_auth: str = "query",
        connection_options: dict[str, Any] | None = None,
    ) -> None:
        self.label = label
        self.target = target
        self.username = username
        self.password = password
        self.redactor = redactor
        redactor.add_password(password)
        self.clock = clock
        self.gateway_auth = gateway_auth
        self.connection_options = dict(connection_options or {})
        self.rest = RestSession(target.rest_url, redactor=redactor, timeout=timeout, label=label, clock=clock)
        self.user_id: str | None = None
        self.profile: dict[str, Any] | None = None
        self.connections: list[GatewayConnection] = []
        self._primary_callbacks: list[FrameCallback] = []

    # ------------------------------------------------------------------ session
    async def register(self) -> None:
        """``POST /auth/register`` (200 whether or not the name existed)."""
        result = await self.rest.register(self.username, self.password)
        if result.status != 200:
            raise RestAuthError(
                f"{self.label}: register {self.username!r} failed: {result.status} "
                f"{result.error_code or result.body!r}",
                result,
            )

    async def login(self, *, register: bool = False) -> "SimulatedClient":
        """Log in (optionally registering first) and learn ``user_id`` from ``GET /auth/me``."""
        if register:
            await self.register()
        await self.rest.login(self.username, self.password)
        me = await self.rest.me()
        if me.status != 200 or not isinstance(me.body, dict) or not isinstance(me.body.get("user_id"), str):
            raise RestAuthError(f"{self.label}: GET /auth/me answered {me.status} {me.body!r}", me)
        self.profile = me.body
        self.user_id = me.body["user_id"]
        return self

    # ------------------------------------------------------------------ gateway
    @property
    def primary(self) -> GatewayConnection | None:
        return self.connections[0] if self.connections else None

    def on_frame(self, callback: FrameCallback) -> None:
        """Register a callback for every frame of the primary connection (now or once it is opened)."""
        self._primary_callbacks.append(callback)
        if self.connections:
            self.connections[0].on_frame(callback)

    async def open_connection(self, *, auth: str | None = None, **options: Any) -> GatewayConnection:
        """Open one more gateway connection (``{label}/ws{n}``) with the session's access token.

        The token is refreshed first when it is about to expire, and once more after a 401 (after a
        target restart every access token is invalid, REST.md §2.1).
        """
        if self.rest.access_token is None:
            raise TargetError(f"{self.label}: log in before opening a gateway connection")
        await self.rest.ensure_fresh()
        conn_id = f"{self.label}/ws{len(self.connections)}"
        opts = {**self.connection_options, **options}
        conn = self._new_connection(conn_id, auth or self.gateway_auth, opts)
        try:
            await conn.open()
        except GatewayAuthError:
            if not self.rest.refresh_token:
                raise
            await self.rest.refresh()
            conn = self._new_connection(conn_id, auth or self.gateway_auth, opts)
            await conn.open()
        self.connections.append(conn)
        return conn

    def _new_connection(self, conn_id: str, auth: str, opts: dict[str, Any]) -> GatewayConnection:
        conn = GatewayConnection(
            conn_id,
            self.target.gateway_url,
            self.rest.access_token,
            clock=self.clock,
            auth=auth,
            redactor=self.redactor,
            **opts,
        )
        if not self.connections:
            for cb in self._primary_callbacks:
                conn.on_frame(cb)
        return conn

    # ------------------------------------------------------------------ lifecycle
    async def close(self) -> None:
        """Close every connection (gracefully) and the HTTP client."""
        try:
            for conn in self.connections:
                if conn.is_open:
                    await conn.close()
        finally:
            await self.rest.aclose()

    async def __aenter__(self) -> "SimulatedClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<SimulatedClient {self.label} user={self.username!r} id={self.user_id} conns={len(self.connections)}>"
