"""Fixtures: the reference server in-process on 127.0.0.1 with an ephemeral port and a fresh SQLite file."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from harness.reference.server.app import STATE_KEY, build_app
from harness.reference.server.config import ServerConfig
from harness.reference.server.serve import bound_port
from harness.reference.server.state import AppState

from .helpers import Api, Gw

# Generous limits by default so tests only hit the limiter they are about.
TEST_DEFAULTS: dict[str, Any] = {
    "rate_limit_requests_per_minute": 1_000_000,
    "auth_route_requests_per_minute": 1_000_000,
    "directory_join_requests_per_minute_per_ip": 1_000_000,
    "directory_join_requests_per_minute_per_user": 1_000_000,
    "max_created_guilds_per_user": 1000,
}


class Server:
    def __init__(self, runner: web.AppRunner, base_url: str, state: AppState) -> None:
        self.runner = runner
        self.base_url = base_url
        self.state = state
        self.api = Api(base_url)
        self.gateways: list[Gw] = []

    async def gw(self, user: Any, expect_ready: bool = True, **kwargs: Any) -> Gw:
        gw = await Gw.open(self.api, user, expect_ready=expect_ready, **kwargs)
        self.gateways.append(gw)
        return gw

    async def stop(self) -> None:
        for gw in self.gateways:
            try:
                await gw.ws.close()
            except Exception:
                pass
        await self.api.aclose()
        await self.runner.cleanup()


StartServer = Callable[..., Awaitable[Server]]


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    servers: list[Server] = []

    async def start(**overrides: Any) -> Server:
        settings = {**TEST_DEFAULTS, "port": 0, "db": str(tmp_path / f"ref{len(servers)}.sqlite3"), **overrides}
        config = ServerConfig(**settings)
        app = build_app(config)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = Server(runner, f"http://127.0.0.1:{bound_port(site)}", app[STATE_KEY])
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def server(start_server: StartServer) -> Server:
    return await start_server()


@pytest.fixture
def api(server: Server) -> Api:
    return server.api


def python_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FILAMENT_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


PYTHON = sys.executable
