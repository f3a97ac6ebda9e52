"""The browser client itself: one login session of the web client in its own browser context.

:class:`BrowserClient` owns the page's lifecycle — opening its context (its own sessionStorage) from a
:class:`~harness.clients.browser.pool.BrowserPool`, logging in through the form or by seeding the
session key, tracing, screenshots and failure artefacts, and closing. What it records and does in the
page comes from its two halves: :class:`~harness.clients.browser.frames.FrameRecording` (WebSocket
frames and closes) and :class:`~harness.clients.browser.actions.DomActions` (DOM reads and actions).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from harness.clients.browser.actions import DomActions, _response_body
from harness.clients.browser.artefacts import file_stem, redact_zip
from harness.clients.browser.errors import BrowserClientError, BrowserTimeout
from harness.clients.browser.frames import FrameRecording
from harness.clients.browser.pool import BrowserPool, _quietly
from harness.clients.selectors import SelectorProfile, load_profile
from harness.redact import Redactor

__all__ = ["BrowserClient", "SESSION_KEY", "DEFAULT_TIMEOUT", "DEFAULT_LIVE_TIMEOUT"]

SESSION_KEY = "filament.auth.session.v1"
"""sessionStorage key of the web client's session (WEB_UI.md §1)."""

DEFAULT_TIMEOUT = 5.0
"""Seconds for one UI action or element wait."""
DEFAULT_LIVE_TIMEOUT = 10.0
"""Seconds for the first gateway connection to be live (socket start-up included)."""


class BrowserClient(FrameRecording, DomActions):
    """One web-client session in its own browser context. See docs/browser-clients.md for the API.

    The two mixins share this instance's state (``label``, ``page``, ``sockets``, …): the recording's
    waits check the live badge through the DOM half, and navigation waits for the new socket through
    the recording half.
    """

    def __init__(
        self,
        label: str,
        pool: BrowserPool,
        web_url: str,
        *,
        profile: SelectorProfile | str | None = None,
        redactor: Redactor,
        clock: Callable[[], float] = time.monotonic,
        api_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        live_timeout: float = DEFAULT_LIVE_TIMEOUT,
    ) -> None:
        self.label = label
        self.pool = pool
        self.web_url = web_url if web_url.endswith("/") else web_url + "/"
        self.api_url = (api_url or urljoin(self.web_url, "api")).rstrip("/")
        self.profile = profile if isinstance(profile, SelectorProfile) else load_profile(profile)
        self.redactor = redactor
        self.clock = clock
        self.timeout = timeout
        self.live_timeout = live_timeout
        self.context: Any = None
        self.page: Any = None
        self.username: str | None = None
        self.user_id: str | None = None
        self.me: dict[str, Any] | None = None
        self.page_errors: list[str] = []
        self._tracing = False
        self._init_recording()  # sockets, frame/close observers, the activity event

    # ------------------------------------------------------------------------------- session
    async def start(self, username: str, password: str | None = None, *,
                    tokens: Mapping[str, Any] | None = None, login: str = "auto",
                    trace: bool = True) -> "BrowserClient":
        """Open a context and log in; returns once ``/app`` has answered ``GET /auth/me``.

        * ``tokens`` (an AuthResponse: ``access_token``, ``refresh_token``, ``expires_in_secs``): the
          session key is seeded before the app boots (``login`` ``"session"``, the default then);
        * ``password`` with ``login="form"`` (the default without tokens): typed into the login form;
        * ``password`` with ``login="session"``: ``POST /auth/login`` through the context, then seeding.

        Give each browser client its own login: refresh tokens rotate, and a pair shared with another
        session is revoked when either refreshes (REST.md §6.3).
        """
        if tokens is None and password is None:
            raise BrowserClientError(f"{self.label}: start() needs a password or tokens")
        mode = login if login != "auto" else ("session" if tokens is not None else "form")
        if mode not in ("form", "session"):
            raise BrowserClientError(f"{self.label}: login must be 'form', 'session' or 'auto', got {login!r}")
        if password is None and (mode == "form" or tokens is None):
            raise BrowserClientError(f"{self.label}: login={mode!r} needs the password")
        self.username = username
        self.redactor.add_password(password)
        await self._open_context(trace)
        if mode == "session":
            auth = tokens if tokens is not None else await self._rest_login(username, password or "")
            await self._seed_session(auth)
            me = await self._boot(lambda: self.page.goto(urljoin(self.web_url, "app")))
        else:
            me = await self._login_form(username, password or "")
        self.me, self.user_id = me, me.get("user_id")
        await self._register_stored_tokens()
        return self

    async def _open_context(self, trace: bool) -> None:
        self.context = await self.pool.new_context()
        self.context.set_default_timeout(self.timeout * 1000)
        # Before the first page exists, so the probe wraps WebSocket in every page of the context.
        await self._install_socket_probe(self.context)
        if trace:
            await self.start_tracing()
        self.page = await self.context.new_page()
        self.page.on("websocket", self._on_websocket)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    async def _rest_login(self, username: str, password: str) -> Mapping[str, Any]:
        response = await self.context.request.post(f"{self.api_url}/auth/login",
                                                   data={"username": username, "password": password})
        body = await _response_body(response)
        if response.status != 200 or not isinstance(body, dict):
            raise BrowserClientError(f"{self.label}: POST /auth/login answered {response.status} "
                                     f"{self.redactor.redact(body)!r}")
        return body

    async def _seed_session(self, auth: Mapping[str, Any]) -> None:
        self.redactor.add_access_token(auth.get("access_token"))
        self.redactor.add_refresh_token(auth.get("refresh_token"))
        value = json.dumps({
            "accessToken": auth["access_token"],
            "refreshToken": auth["refresh_token"],
            "expiresAtUnix": int(time.time()) + int(auth.get("expires_in_secs", 900)),
        })
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.web_url))
        # Init scripts also run in about:blank (no sessionStorage there), hence the origin guard; and
        # only when the key is absent, so a session the app refreshed itself is never overwritten.
        await self.context.add_init_script(
            f"if (window.location.origin === {json.dumps(origin)} && "
            f"!window.sessionStorage.getItem({json.dumps(SESSION_KEY)})) "
            f"window.sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(value)});")

    async def _login_form(self, username: str, password: str) -> dict[str, Any]:
        await self.page.goto(urljoin(self.web_url, "login"))
        await self.locate("login_username").fill(username)
        await self.locate("login_password").fill(password)
        return await self._boot(lambda: self.locate("login_submit").click())

    async def _boot(self, trigger: Callable[[], Any]) -> dict[str, Any]:
        """Run ``trigger`` and return the body of the app's own ``GET /auth/me`` (bounded)."""
        try:
            async with self.page.expect_response(_is_auth_me, timeout=self.live_timeout * 1000) as info:
                await trigger()
            response = await info.value
        except PlaywrightTimeoutError:
            alerts = await self._texts(self.page.get_by_role("alert"))
            raise BrowserTimeout(
                f"{self.label}: the web client did not reach /app (no GET /auth/me) within "
                f"{self.live_timeout:g}s; url {self.redactor.redact_url(self.page.url)}, alerts {alerts}",
                seen=f"alerts: {alerts}") from None
        body = await _response_body(response)
        if response.status != 200 or not isinstance(body, dict):
            raise BrowserClientError(f"{self.label}: the app's GET /auth/me answered {response.status} {body!r}")
        return body

    async def _register_stored_tokens(self) -> None:
        raw = await self.page.evaluate("k => window.sessionStorage.getItem(k)", SESSION_KEY)
        try:
            stored = json.loads(raw) if raw else {}
        except ValueError:
            return
        self.redactor.add_access_token(stored.get("accessToken"))
        self.redactor.add_refresh_token(stored.get("refreshToken"))

    # ------------------------------------------------------------------------------- artefacts
    async def start_tracing(self) -> None:
        """Record a Playwright trace (screenshots + DOM snapshots, no sources: cheap)."""
        if self.context is not None and not self._tracing:
            await self.context.tracing.start(screenshots=True, snapshots=True, sources=False)
            self._tracing = True

    async def discard_tracing(self) -> None:
        """Stop tracing without writing anything (a passing run)."""
        if self._tracing:
            self._tracing = False
            await _quietly(self.context.tracing.stop())

    async def screenshot(self, path: Path | str) -> Path:
        """A full-page PNG of what the page shows now."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def save_failure_artefacts(self, directory: Path | str) -> list[Path]:
        """Screenshot ``<label>.png`` and trace ``<label>-trace.zip`` (secrets redacted) into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stem = file_stem(self.label)
        saved: list[Path] = []
        if self.page is not None and not self.page.is_closed():
            saved.append(await self.screenshot(directory / f"{stem}.png"))
        if self._tracing:
            trace = directory / f"{stem}-trace.zip"
            self._tracing = False
            await self.context.tracing.stop(path=str(trace))
            redact_zip(trace, self.redactor)
            saved.append(trace)
        return saved

    # ------------------------------------------------------------------------------- lifecycle
    async def close(self) -> None:
        """Close the context (and its sockets); sockets still open are recorded as closed by the harness."""
        if self.context is None:
            return
        for sock in self.sockets:
            sock.closed_by_page = True
        await self.discard_tracing()
        await self.pool.release(self.context)
        for sock in self.sockets:
            self._closed(sock, None)
        self.context = None

    async def __aenter__(self) -> "BrowserClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<BrowserClient {self.label} user={self.username!r} profile={self.profile.name} sockets={len(self.sockets)}>"


def _is_auth_me(response: Any) -> bool:
    """The app's own ``GET /auth/me``, which :meth:`BrowserClient._boot` awaits as the sign ``/app`` booted."""
    return response.request.method == "GET" and urlsplit(response.url).path.endswith("/auth/me")
