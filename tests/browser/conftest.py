"""Fixtures for the Playwright tests of the reference web client.

* The reference server runs as a real subprocess (`python -m harness.reference --port 0 [--fault …]`);
  its `listening on http://…` line is awaited with a bound, and it is terminated (then killed) at
  teardown, so no process outlives the test session.
* Chromium comes from `harness.clients.chromium.launch_chromium` (Debian's binary and its flags). When no
  browser can start, the tests are skipped with the one-line cause.
* `Api` is a minimal httpx REST client ("a second client") for seeding and for remote mutations.
* Browser clients (`harness.clients.browser`): `browser_pool` (one Chromium for the session),
  `reference_targets` (one `ReferenceTarget` per fault set, started on first use, stopped at the end),
  `seeder` (users and workspaces over REST through simulated clients) and `browser_clients` (a factory
  of `BrowserClient`s whose contexts are released after the test; uncaught page errors fail it).
"""
from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from harness.clients.browser import SESSION_KEY, BrowserClient, BrowserPool
from harness.clients.chromium import launch_chromium
from harness.clients.simulated import SimulatedClient
from harness.errors import BrowserUnavailable
from harness.redact import Redactor
from harness.targets.reference import ReferenceTarget
from tests.support.servers import ServedProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30.0
PASSWORD = "correct horse battery staple"


class ReferenceServer(ServedProcess):
    """One `python -m harness.reference` subprocess on a port it binds itself; `url` is its origin
    (web client and API), ready once `/health` answers."""

    def __init__(self, faults: tuple[str, ...] = ()) -> None:
        args = [sys.executable, "-m", "harness.reference", "--port", "0"]
        for fault in faults:
            args += ["--fault", fault]
        self.faults = faults
        super().__init__(args, cwd=REPO_ROOT, timeout=STARTUP_TIMEOUT_S)


@pytest.fixture(scope="session")
def reference_server() -> Iterator[ReferenceServer]:
    """A fault-free reference server shared by the session."""
    server = ReferenceServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_reference_server() -> Iterator[Callable[..., ReferenceServer]]:
    """Factory for servers with planted faults; every server it started is stopped at teardown."""
    started: list[ReferenceServer] = []

    def start(*faults: str) -> ReferenceServer:
        server = ReferenceServer(tuple(faults))
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        try:
            browser = await launch_chromium(playwright)
        except BrowserUnavailable as exc:
            pytest.skip(str(exc))
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser context (own sessionStorage); any uncaught page error fails the test."""
    ctx = await chromium.new_context()
    ctx.set_default_timeout(5000)
    page_errors: list[str] = []
    ctx.on("weberror", lambda web_error: page_errors.append(str(web_error.error)))
    try:
        yield ctx
    finally:
        await ctx.close()
    assert not page_errors, f"uncaught errors in the page: {page_errors}"


def unique_username(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class Api:
    """A second client: plain REST calls with its own login (REST.md §6, §8–§10)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)
        self.auth: dict | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, path: str, json_body: dict | None = None, expect: int = 200) -> dict | None:
        headers = {"authorization": f"Bearer {self.auth['access_token']}"} if self.auth else {}
        response = await self.http.request(method, path, json=json_body, headers=headers)
        assert response.status_code == expect, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def register(self, username: str, password: str = PASSWORD) -> None:
        assert await self.call("POST", "/auth/register", {"username": username, "password": password}) == {"accepted": True}

    async def login(self, username: str, password: str = PASSWORD) -> dict:
        self.auth = await self.call("POST", "/auth/login", {"username": username, "password": password})
        return self.auth

    def session_value(self) -> str:
        """The sessionStorage value the web client expects (WEB_UI.md §1 "Session storage")."""
        assert self.auth is not None
        return json.dumps({
            "accessToken": self.auth["access_token"],
            "refreshToken": self.auth["refresh_token"],
            "expiresAtUnix": int(time.time()) + int(self.auth["expires_in_secs"]),
        })

    async def create_workspace(self, name: str, channel: str, visibility: str = "private") -> tuple[str, str]:
        guild = await self.call("POST", "/guilds", {"name": name, "visibility": visibility})
        chan = await self.call("POST", f"/guilds/{guild['guild_id']}/channels", {"name": channel, "kind": "text"})
        return guild["guild_id"], chan["channel_id"]

    async def send(self, guild_id: str, channel_id: str, content: str) -> str:
        body = await self.call("POST", f"/guilds/{guild_id}/channels/{channel_id}/messages", {"content": content})
        return body["message_id"]

    async def edit(self, guild_id: str, channel_id: str, message_id: str, content: str) -> None:
        await self.call("PATCH", f"/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}", {"content": content})

    async def rename(self, guild_id: str, name: str, visibility: str = "private") -> None:
        await self.call("PATCH", f"/guilds/{guild_id}", {"name": name, "visibility": visibility})


@pytest.fixture
async def api_factory() -> AsyncIterator[Callable[[str], Api]]:
    clients: list[Api] = []

    def make(base_url: str) -> Api:
        client = Api(base_url)
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            await client.close()


async def open_seeded_app(context: BrowserContext, server: ReferenceServer, api: Api) -> Page:
    """Open /app already logged in as `api`'s user by seeding sessionStorage before the app boots."""
    # Init scripts also run in the initial about:blank document, where sessionStorage is off limits.
    await context.add_init_script(
        f"if (window.location.origin === {json.dumps(server.url)}) "
        f"window.sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(api.session_value())});")
    page = await context.new_page()
    await page.goto(f"{server.url}/app")
    return page


# --------------------------------------------------------------------------------------------------
# Browser clients (harness.clients.browser): one Chromium for the session, one reference target per
# fault set (started on first use, stopped at the end of the session), simulated clients for seeding.

@pytest.fixture(scope="session")
async def browser_pool() -> AsyncIterator[BrowserPool]:
    """The session's one Chromium (skips the test when none can start)."""
    pool = BrowserPool()
    try:
        await pool.start()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="session")
async def reference_targets() -> AsyncIterator[Callable[..., Awaitable[ReferenceTarget]]]:
    """``await reference_targets("web.gear_missing")``: a started target for that fault set, shared."""
    started: dict[tuple[str, ...], ReferenceTarget] = {}

    async def get(*faults: str) -> ReferenceTarget:
        key = tuple(sorted(faults))
        if key not in started:
            target = ReferenceTarget(faults=list(key))
            await target.start()
            started[key] = target
        return started[key]

    try:
        yield get
    finally:
        for target in started.values():
            await target.stop()


@dataclass
class Workspace:
    """A workspace seeded over REST by its owner (a simulated client), with one text channel."""

    target: ReferenceTarget
    owner: SimulatedClient
    guild_id: str
    channel_id: str
    name: str
    visibility: str
    channel: str


class Seeder:
    """Seeds users and workspaces over REST with simulated clients (closed by the fixture)."""

    def __init__(self) -> None:
        self.redactor = Redactor()
        self.sims: list[SimulatedClient] = []

    async def user(self, target: ReferenceTarget, label: str) -> SimulatedClient:
        sim = SimulatedClient(label, target, unique_username(label), PASSWORD, redactor=self.redactor)
        self.sims.append(sim)
        return await sim.login(register=True)

    async def workspace(self, target: ReferenceTarget, *, name: str = "Security Ops", visibility: str = "public",
                        channel: str = "general") -> Workspace:
        owner = await self.user(target, "owner")
        status, guild = await owner.rest.post("/guilds", {"name": name, "visibility": visibility})
        assert status == 200, guild
        status, chan = await owner.rest.post(f"/guilds/{guild['guild_id']}/channels", {"name": channel, "kind": "text"})
        assert status == 200, chan
        return Workspace(target, owner, guild["guild_id"], chan["channel_id"], name, visibility, channel)

    async def close(self) -> None:
        for sim in self.sims:
            await sim.close()


@pytest.fixture
async def seeder() -> AsyncIterator[Seeder]:
    seeder = Seeder()
    try:
        yield seeder
    finally:
        await seeder.close()


@pytest.fixture
async def browser_clients(browser_pool: BrowserPool) -> AsyncIterator[Callable[..., BrowserClient]]:
    """Factory of BrowserClients on the shared pool; each is closed (context released) afterwards."""
    clients: list[BrowserClient] = []

    def make(label: str, target: ReferenceTarget, redactor: Redactor, **options) -> BrowserClient:
        client = BrowserClient(label, browser_pool, target.web_url, redactor=redactor, **options)
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            await client.close()
    errors = {c.label: c.page_errors for c in clients if c.page_errors}
    assert not errors, f"uncaught errors in browser-client pages: {errors}"
