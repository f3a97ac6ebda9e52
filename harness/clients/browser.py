"""Browser clients: the web client in Chromium, driven through a selector profile (docs/browser-clients.md).

* :class:`BrowserPool` — one Playwright instance and **one Chromium per run** (launched only through
  :func:`harness.clients.chromium.launch_chromium`); it hands out one browser context per client and
  closes everything, also when the run fails or is interrupted (``async with`` / ``close()`` in a
  ``finally``; a cancelled task still runs it).
* :class:`BrowserClient` — one login session of the web client in its own context (its own
  sessionStorage). It logs in through the form or by seeding the session key, records every WebSocket
  frame the page receives as :class:`harness.history.ReceivedFrame` (connection ids ``<label>/ws<n>``,
  one per socket the page opens) and every socket end as :class:`harness.history.ConnectionClosed`,
  performs mutations through the DOM while capturing the real REST response, and saves a screenshot
  and a Playwright trace when asked.

Every wait is bounded and raises :class:`BrowserTimeout` with a message naming the element, its
locator and what the page showed instead.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import zipfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from playwright.async_api import async_playwright

from harness.clients.chromium import launch_chromium
from harness.clients.gateway import parse_envelope
from harness.clients.selectors import SelectorProfile, load_profile
from harness.errors import HarnessError
from harness.history import ConnectionClosed, ConnectionId, ReceivedFrame
from harness.redact import Redactor

__all__ = [
    "SESSION_KEY",
    "BrowserPool",
    "BrowserClient",
    "BrowserSocket",
    "SentFrame",
    "BrowserClientError",
    "BrowserTimeout",
    "PanelNotOpened",
    "ActionBlocked",
]

log = logging.getLogger(__name__)

SESSION_KEY = "filament.auth.session.v1"
"""sessionStorage key of the web client's session (WEB_UI.md §1)."""

DEFAULT_TIMEOUT = 5.0
"""Seconds for one UI action or element wait."""
DEFAULT_LIVE_TIMEOUT = 10.0
"""Seconds for the first gateway connection to be live (socket start-up included)."""
SEEN_LIMIT = 1500
"""Characters of accessibility snapshot quoted in an error ("what the page showed")."""

_SOCKET_PROBE = """
(() => {
  // Report who closed each socket and its close code: Playwright's WebSocket events carry neither.
  const Native = window.WebSocket;
  if (!Native || Native.__harnessWrapped || typeof window.__harnessSocket !== "function") return;
  const report = (payload) => { try { window.__harnessSocket(payload); } catch (e) { /* page unloading */ } };
  class HarnessWebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      const href = this.url;
      this.addEventListener("close", (e) => report({ kind: "closed", url: href, code: e.code, reason: e.reason }));
    }
    close(code, reason) {
      report({ kind: "close_called", url: this.url });
      return super.close(code, reason);
    }
  }
  HarnessWebSocket.__harnessWrapped = true;
  window.WebSocket = HarnessWebSocket;
})();
"""


# ----------------------------------------------------------------------------------------------- errors
class BrowserClientError(HarnessError):
    """A browser client could not do what it was asked (the message says what and why)."""


class BrowserTimeout(BrowserClientError):
    """A bounded wait expired. ``element``/``locator``/``seen`` say what was awaited and what was there."""

    def __init__(self, message: str, *, element: str | None = None, locator: str | None = None,
                 seen: str | None = None) -> None:
        super().__init__(message)
        self.element = element
        self.locator = locator
        self.seen = seen


class PanelNotOpened(BrowserTimeout):
    """The opener was clicked but the expected dialog did not appear; ``open_dialogs`` lists what did."""

    def __init__(self, message: str, *, element: str, locator: str, open_dialogs: list[str]) -> None:
        super().__init__(message, element=element, locator=locator, seen=f"open dialogs: {open_dialogs}")
        self.open_dialogs = open_dialogs


class ActionBlocked(BrowserClientError):
    """The UI refuses the action before any request is sent (e.g. a disabled ``Save workspace``)."""


# ------------------------------------------------------------------------------------------------ pool
class BrowserPool:
    """One Chromium for the whole run; one context per client. Use ``async with BrowserPool() as pool``."""

    def __init__(self, *, launch: Callable[[Any], Any] = launch_chromium) -> None:
        self._launch = launch
        self._playwright: Any = None
        self.browser: Any = None
        self._contexts: list[Any] = []

    async def start(self) -> "BrowserPool":
        """Start Playwright and launch Chromium; raises ``BrowserUnavailable`` when none can start."""
        if self.browser is not None:
            return self
        self._playwright = await async_playwright().start()
        try:
            self.browser = await self._launch(self._playwright)
        except BaseException:
            await self._stop_playwright()
            raise
        return self

    async def new_context(self, **options: Any) -> Any:
        if self.browser is None:
            raise BrowserClientError("the browser pool is not started (await pool.start() first)")
        context = await self.browser.new_context(**options)
        self._contexts.append(context)
        return context

    async def release(self, context: Any) -> None:
        """Close one client's context (idempotent)."""
        if context in self._contexts:
            self._contexts.remove(context)
        await _quietly(context.close())

    async def close(self) -> None:
        """Close every context, the browser and Playwright. Safe to call twice and after failures."""
        for context in list(self._contexts):
            await self.release(context)
        if self.browser is not None:
            await _quietly(self.browser.close())
            self.browser = None
        await self._stop_playwright()

    async def _stop_playwright(self) -> None:
        if self._playwright is not None:
            await _quietly(self._playwright.stop())
            self._playwright = None

    async def __aenter__(self) -> "BrowserPool":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        # Shielded: a Ctrl-C that cancelled the run must not also cancel the clean-up.
        await asyncio.shield(self.close())


CLOSE_TIMEOUT = 10.0
"""Seconds one close (a context, the browser, Playwright) may take before it is given up on."""


async def _quietly(awaitable: Any) -> None:
    try:
        await asyncio.wait_for(awaitable, CLOSE_TIMEOUT)
    except Exception as exc:  # closing something already gone (or hung) is not an error worth raising
        log.debug("ignored while closing: %r", exc)


# --------------------------------------------------------------------------------------------- sockets
@dataclass(frozen=True)
class SentFrame:
    """A frame the page sent (the web client only sends ``subscribe``, WEB_UI.md §5)."""

    conn: ConnectionId
    seq: int
    at: float
    raw: str
    event_type: str | None = None
    data: Any = None


@dataclass
class BrowserSocket:
    """One WebSocket the page opened. Satisfies the recorder's ``FrameSource`` (``frames``, ``closed``)."""

    conn: ConnectionId
    url: str
    """Redacted URL (the real one carries the access token)."""
    opened_at: float
    frames: list[ReceivedFrame] = field(default_factory=list)
    sent: list[SentFrame] = field(default_factory=list)
    closed: ConnectionClosed | None = None
    raw_url: str = field(default="", repr=False)
    closed_by_page: bool = False
    page_close: tuple[int, str] | None = None
    """(code, reason) from the page's own close event, once reported."""

    def types(self) -> list[str | None]:
        return [f.event_type for f in self.frames]

    def has(self, event_type: str) -> bool:
        return any(f.event_type == event_type for f in self.frames)


def _payload_text(payload: str | bytes) -> tuple[str, bool]:
    if isinstance(payload, str):
        return payload, False
    return payload.decode("utf-8", "replace"), True


# ---------------------------------------------------------------------------------------------- client
class BrowserClient:
    """One web-client session in its own browser context. See docs/browser-clients.md for the API."""

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
        self.sockets: list[BrowserSocket] = []
        self.page_errors: list[str] = []
        self._tracing = False
        self._activity = asyncio.Event()
        self._on_socket: list[Callable[[BrowserSocket], None]] = []
        self._on_frame: list[Callable[[ReceivedFrame], None]] = []
        self._on_sent: list[Callable[[SentFrame], None]] = []
        self._on_close: list[Callable[[ConnectionClosed], None]] = []

    # ------------------------------------------------------------------------------- observers
    def on_socket(self, callback: Callable[[BrowserSocket], None]) -> None:
        """Called synchronously when the page opens a socket, before any of its frames is recorded."""
        self._on_socket.append(callback)

    def on_frame(self, callback: Callable[[ReceivedFrame], None]) -> None:
        """Called for every frame any socket of the page receives, in arrival order."""
        self._on_frame.append(callback)

    def on_sent(self, callback: Callable[[SentFrame], None]) -> None:
        """Called for every frame the page sends (its ``subscribe`` requests)."""
        self._on_sent.append(callback)

    def on_close(self, callback: Callable[[ConnectionClosed], None]) -> None:
        self._on_close.append(callback)

    @property
    def connection_ids(self) -> list[ConnectionId]:
        return [s.conn for s in self.sockets]

    @property
    def current_socket(self) -> BrowserSocket | None:
        """The newest socket, if the page opened any."""
        return self.sockets[-1] if self.sockets else None

    def frames_by_conn(self) -> dict[ConnectionId, list[ReceivedFrame]]:
        return {s.conn: list(s.frames) for s in self.sockets}

    def closes(self) -> list[ConnectionClosed]:
        return [s.closed for s in self.sockets if s.closed is not None]

    # ------------------------------------------------------------------------------- locating
    def locate(self, element: str, *, root: Any = None, **params: Any) -> Any:
        """``profile.locate(root or page, element, **params)``."""
        return self.profile.locate(root if root is not None else self.page, element, **params)

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
        await self.context.expose_binding("__harnessSocket", self._on_page_socket_report)
        await self.context.add_init_script(_SOCKET_PROBE)
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

    # ------------------------------------------------------------------------------- sockets
    def _on_websocket(self, ws: Any) -> None:
        sock = BrowserSocket(conn=f"{self.label}/ws{len(self.sockets)}", url=self.redactor.redact_url(ws.url),
                             opened_at=self.clock(), raw_url=ws.url)
        self.sockets.append(sock)
        for callback in self._on_socket:
            callback(sock)
        ws.on("framereceived", lambda payload: self._received(sock, payload))
        ws.on("framesent", lambda payload: self._sent(sock, payload))
        ws.on("close", lambda _ws: self._closed(sock, None))
        ws.on("socketerror", lambda error: self._closed(sock, str(error)))
        self._activity.set()

    def _received(self, sock: BrowserSocket, payload: str | bytes) -> None:
        at = self.clock()
        raw, binary = _payload_text(payload)
        event_type, data, error = (None, None, "binary frame") if binary else parse_envelope(raw)
        frame = ReceivedFrame(conn=sock.conn, seq=len(sock.frames), at=at, raw=raw,
                              event_type=event_type, data=data, envelope_error=error)
        sock.frames.append(frame)
        for callback in self._on_frame:
            callback(frame)
        self._activity.set()

    def _sent(self, sock: BrowserSocket, payload: str | bytes) -> None:
        raw, _ = _payload_text(payload)
        event_type, data, _error = parse_envelope(raw)
        frame = SentFrame(conn=sock.conn, seq=len(sock.sent), at=self.clock(), raw=raw,
                          event_type=event_type, data=data)
        sock.sent.append(frame)
        for callback in self._on_sent:
            callback(frame)

    def _closed(self, sock: BrowserSocket, error: str | None) -> None:
        if sock.closed is not None:
            return
        code, reason = sock.page_close or ((1006, error) if error else (None, ""))
        sock.closed = ConnectionClosed(conn=sock.conn, at=self.clock(), code=code, reason=reason or "",
                                       by="harness" if sock.closed_by_page else "server")
        for callback in self._on_close:
            callback(sock.closed)
        self._activity.set()

    def _on_page_socket_report(self, _source: Any, report: Mapping[str, Any]) -> None:
        """The page's probe: ``close_called`` (the page closed it) or ``closed`` (its close code)."""
        sock = next((s for s in reversed(self.sockets) if s.raw_url == report.get("url")), None)
        if sock is None:
            return
        if report.get("kind") == "close_called":
            sock.closed_by_page = True
            if sock.closed is not None:
                sock.closed = replace(sock.closed, by="harness")
        elif report.get("kind") == "closed" and sock.page_close is None:
            sock.page_close = (int(report.get("code") or 1006), str(report.get("reason") or ""))
            if sock.closed is not None:  # Playwright's event came first: fill in what it lacked
                sock.closed = replace(sock.closed, code=sock.page_close[0], reason=sock.page_close[1])

    async def _until(self, predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BrowserTimeout(f"{self.label}: {describe()} (waited {timeout:g}s)")
            self._activity.clear()
            try:  # woken by any socket activity; the cap bounds a wake-up lost to the clear() race
                await asyncio.wait_for(self._activity.wait(), min(remaining, 0.1))
            except TimeoutError:
                pass

    async def wait_frames(self, *event_types: str, socket: int = -1, timeout: float | None = None) -> BrowserSocket:
        """Wait until socket ``socket`` (an index into ``sockets``; default the newest) has received a
        frame of each of ``event_types``."""
        timeout = self.timeout if timeout is None else timeout

        def chosen() -> BrowserSocket | None:
            try:
                return self.sockets[socket]
            except IndexError:
                return None

        def done() -> bool:
            sock = chosen()
            return sock is not None and all(sock.has(t) for t in event_types)

        def describe() -> str:
            sock = chosen()
            got = sock.types()[-12:] if sock else "no such socket"
            return f"socket {socket} did not receive {list(event_types)}; it received {got}"

        await self._until(done, timeout, describe)
        sock = chosen()
        assert sock is not None
        return sock

    # ------------------------------------------------------------------------------- liveness
    async def wait_live(self, timeout: float | None = None, *, after: int = 0, subscribed: bool = True) -> BrowserSocket:
        """Wait for the ``Live`` badge and a socket (index ≥ ``after``) that got ``ready`` (and ``subscribed``).

        Returns that socket. ``after`` lets a caller that just switched channel wait for the *new*
        socket rather than the one being closed.
        """
        timeout = self.live_timeout if timeout is None else timeout
        needed = ("ready", "subscribed") if subscribed else ("ready",)

        def live_socket() -> BrowserSocket | None:
            for sock in reversed(self.sockets[after:]):
                if sock.closed is None and all(sock.has(t) for t in needed):
                    return sock
            return None

        def describe() -> str:
            latest = self.current_socket
            frames = latest.types()[:12] if latest else []
            return (f"not live: no socket after #{after} received {' + '.join(needed)}; sockets opened "
                    f"{len(self.sockets)}, latest received {frames}, page errors {self.page_errors[-3:]}")

        await self._until(lambda: live_socket() is not None, timeout, describe)
        await self.wait_visible("live_badge", timeout)
        sock = live_socket()
        assert sock is not None
        return sock

    async def is_live(self) -> bool:
        badge = self.locate("live_badge")
        return await badge.count() > 0 and (await badge.first.inner_text()).strip() == "Live"

    # ------------------------------------------------------------------------------- navigation
    async def active_workspace_name(self) -> str | None:
        title = self.locate("workspace_menu_title")
        return (await title.first.inner_text()).strip() if await title.count() else None

    async def active_channel_name(self) -> str | None:
        title = self.locate("channel_title")
        text = (await title.first.inner_text()).strip() if await title.count() else ""
        return None if text in ("", "no-channel") else text

    async def select_workspace(self, name: str, visibility: str, *, live: bool = True) -> None:
        """Click the rail button titled ``<name> (<visibility>)``; wait for it to become active (and live)."""
        if await self.active_workspace_name() == name:
            return
        before = len(self.sockets)
        await self.click("workspace_rail_button", name=name, visibility=visibility)
        await self._wait_text("workspace_menu_title", name)
        if live:
            await self.wait_live(after=before)

    async def select_channel(self, name: str, *, live: bool = True) -> None:
        """Click the text channel ``#<name>``; wait for it to become active (and for its new socket)."""
        if await self.active_channel_name() == name:
            return
        before = len(self.sockets)
        await self.click("channel_button", name=name)
        await self._wait_text("channel_title", name)
        if live:
            await self.wait_live(after=before)

    # ------------------------------------------------------------------------------- panels
    async def open_panel(self, panel: str, timeout: float | None = None) -> Any:
        """Open a settings panel along the profile's path; returns the dialog locator.

        Raises :class:`BrowserTimeout` naming the first opener that is missing, or
        :class:`PanelNotOpened` when the expected dialog does not appear.
        """
        spec = self.profile.panel(panel)
        if spec is None:
            raise BrowserClientError(f"{self.label}: profile {self.profile.name!r} has no {panel} panel")
        timeout = self.timeout if timeout is None else timeout
        for element in spec.open:
            await self.click(element, timeout=timeout)
        dialog = self.locate(spec.dialog)
        try:
            await dialog.wait_for(state="visible", timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            dialogs = await self.open_dialogs()
            raise PanelNotOpened(
                f"{self.label}: {spec.open[-1]} was clicked but {spec.dialog} "
                f"({self.profile.describe(spec.dialog)}) did not appear within {timeout:g}s; open dialogs: {dialogs}",
                element=spec.dialog, locator=self.profile.describe(spec.dialog), open_dialogs=dialogs) from None
        return dialog

    async def close_panel(self, panel: str, *, how: str = "close", timeout: float | None = None) -> None:
        """Close an open panel with its ``Close`` button (``how="close"``) or the Escape key."""
        spec = self.profile.panel(panel)
        if spec is None:
            raise BrowserClientError(f"{self.label}: profile {self.profile.name!r} has no {panel} panel")
        timeout = self.timeout if timeout is None else timeout
        dialog = self.locate(spec.dialog)
        if how == "escape":
            await self.page.keyboard.press("Escape")
        else:
            await self.click("dialog_close", root=dialog, timeout=timeout)
        try:
            await dialog.wait_for(state="hidden", timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            raise BrowserTimeout(f"{self.label}: {spec.dialog} still open {timeout:g}s after "
                                 f"{'Escape' if how == 'escape' else 'Close'}", element=spec.dialog,
                                 locator=self.profile.describe(spec.dialog)) from None

    async def opener_text(self, panel: str, timeout: float | None = None) -> str:
        """The visible text of the panel's last opener (e.g. the menu item), read without choosing it:
        the path before it is clicked, the text read, then Escape closes the menu again."""
        spec = self.profile.panel(panel)
        if spec is None:
            raise BrowserClientError(f"{self.label}: profile {self.profile.name!r} has no {panel} panel")
        timeout = self.timeout if timeout is None else timeout
        for element in spec.open[:-1]:
            await self.click(element, timeout=timeout)
        last = self.locate(spec.open[-1])
        try:
            await self.wait_visible(spec.open[-1], timeout)
            return " ".join((await last.first.inner_text()).split())
        finally:
            if spec.open[:-1]:
                await self.page.keyboard.press("Escape")

    async def open_dialogs(self) -> list[str]:
        """Accessible names (aria-label) of every dialog in the page."""
        return await self.locate("any_dialog").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label') || e.textContent.trim().slice(0, 40))")

    # ------------------------------------------------------------------------------- UI mutations
    async def rename_workspace(self, name: str, visibility: str) -> tuple[int, Any]:
        """Rename the active workspace through ``Workspace settings``; returns the PATCH's (status, body)."""
        spec = self.profile.panel("workspace_settings")
        if spec is None:
            raise ActionBlocked(f"{self.label}: profile {self.profile.name!r} has no workspace settings panel "
                                "(that client version cannot rename a workspace)")
        dialog = await self.open_panel("workspace_settings")
        try:
            save = self.locate("workspace_save_button", root=dialog)
            name_input = self.locate("workspace_name_input", root=dialog)
            await self.wait_visible("workspace_save_button", self.timeout, root=dialog)
            if not (await name_input.is_enabled() and await save.is_enabled()):
                raise ActionBlocked(f"{self.label}: the workspace settings form is disabled "
                                    "(no role-management permission); nothing was sent")
            await self._do("filling workspace_name_input", name_input.fill(name))
            await self._do("choosing the visibility",
                           self.locate("workspace_visibility_select", root=dialog).select_option(visibility))
            return await self._expect_rest("PATCH", r"/guilds/[^/]+", save.click)
        finally:
            await _quietly(self.close_panel("workspace_settings"))

    async def send_message(self, text: str) -> tuple[int, Any]:
        """Type into the composer of the active channel and press Enter; returns the POST's (status, body)."""
        channel = await self.active_channel_name()
        if channel is None:
            raise ActionBlocked(f"{self.label}: no active channel to send to")
        composer = self.locate("composer", channel=channel)
        await self.wait_visible("composer", self.timeout, channel=channel)
        await self._do("typing into the composer", composer.fill(text))
        return await self._expect_rest("POST", r"/guilds/[^/]+/channels/[^/]+/messages",
                                       lambda: self._do("pressing Enter in the composer", composer.press("Enter")))

    async def edit_message(self, message_id: str, text: str) -> tuple[int, Any]:
        """Edit a message of the active channel through its row; returns the PATCH's (status, body)."""
        row = await self._hovered_row(message_id)
        await self.click("message_edit_button", root=row)
        await self.wait_visible("message_edit_input", self.timeout, root=row)
        await self._do("typing the edit", self.locate("message_edit_input", root=row).fill(text))
        return await self._expect_rest("PATCH", rf"/messages/{re.escape(message_id)}",
                                       lambda: self.click("message_edit_save", root=row))

    async def delete_message(self, message_id: str) -> tuple[int, Any]:
        """Delete a message through its row (no confirmation); returns the DELETE's (status, body)."""
        row = await self._hovered_row(message_id)
        return await self._expect_rest("DELETE", rf"/messages/{re.escape(message_id)}",
                                       lambda: self.click("message_delete_button", root=row))

    async def _hovered_row(self, message_id: str) -> Any:
        row = self.locate("message_row", message_id=message_id)
        await self.wait_visible("message_row", self.timeout, message_id=message_id)
        # The hover bar is inert until the row is hovered (WEB_UI.md §2).
        await self._do(f"hovering message {message_id}", row.hover())
        return row

    async def _do(self, what: str, action: Awaitable[Any]) -> Any:
        """Await one Playwright action, turning its errors into this module's (with the label)."""
        try:
            return await action
        except PlaywrightTimeoutError as exc:
            raise BrowserTimeout(f"{self.label}: {what} timed out: {str(exc).splitlines()[0]}") from None
        except PlaywrightError as exc:
            raise BrowserClientError(f"{self.label}: {what} failed: {str(exc).splitlines()[0]}") from None

    async def _expect_rest(self, method: str, path_pattern: str, trigger: Callable[[], Any]) -> tuple[int, Any]:
        """Run ``trigger`` and capture the page's own ``method`` request whose path ends with the pattern."""
        pattern = re.compile(path_pattern + "$")

        def matches(response: Any) -> bool:
            return response.request.method == method and bool(pattern.search(urlsplit(response.url).path))

        try:
            async with self.page.expect_response(matches, timeout=self.timeout * 1000) as info:
                await trigger()
            response = await info.value
        except PlaywrightTimeoutError:
            alerts = await self._texts(self.page.get_by_role("alert"))
            raise BrowserTimeout(f"{self.label}: the page sent no {method} …{path_pattern} within "
                                 f"{self.timeout:g}s; alerts {alerts}", seen=f"alerts: {alerts}") from None
        return response.status, await _response_body(response)

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

    # ------------------------------------------------------------------------------- small waits
    async def wait_visible(self, element: str, timeout: float, *, root: Any = None, **params: Any) -> None:
        """Wait (bounded) for the first match of ``element`` to be visible; else :class:`BrowserTimeout`
        with the accessibility snapshot of its closest container as what was seen instead."""
        locator = self.locate(element, root=root, **params)
        try:
            await locator.first.wait_for(state="visible", timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            seen = await self.seen_near(element, **params)
            raise BrowserTimeout(
                f"{self.label}: {element} ({self.profile.describe(element, **params)}) not visible within "
                f"{timeout:g}s; the page showed: {seen}",
                element=element, locator=self.profile.describe(element, **params), seen=seen) from None

    async def click(self, element: str, *, root: Any = None, timeout: float | None = None, **params: Any) -> None:
        """Wait for ``element`` to be visible, then click it (both bounded)."""
        timeout = self.timeout if timeout is None else timeout
        await self.wait_visible(element, timeout, root=root, **params)
        try:
            await self.locate(element, root=root, **params).click(timeout=timeout * 1000)
        except PlaywrightError as exc:
            raise BrowserClientError(f"{self.label}: clicking {element} "
                                     f"({self.profile.describe(element, **params)}) failed: "
                                     f"{str(exc).splitlines()[0]}") from None

    async def _wait_text(self, element: str, text: str, **params: Any) -> None:
        locator = self.locate(element, **params)

        async def current() -> str:
            return (await locator.first.inner_text()).strip() if await locator.count() else "(absent)"

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while (seen := await current()) != text:
            if loop.time() >= deadline:
                raise BrowserTimeout(f"{self.label}: {element} shows {seen!r}, expected {text!r} after "
                                     f"{self.timeout:g}s", element=element,
                                     locator=self.profile.describe(element, **params), seen=seen)
            await asyncio.sleep(0.05)

    async def seen_near(self, element: str, **params: Any) -> str:
        """What the page shows where ``element`` was expected: the accessibility snapshot of its
        closest existing container (``within`` chain), else of the page body."""
        spec = self.profile.spec_or_none(element)
        container = spec.within if spec else None
        while container is not None:
            locator = self.locate(container, **params)
            if await locator.count():
                return f"{container}: " + await _snapshot(locator.first)
            parent = self.profile.spec_or_none(container)
            container = parent.within if parent else None
        return "page: " + await _snapshot(self.page.locator("body"))

    async def _texts(self, locator: Any) -> list[str]:
        try:
            return [t.strip() for t in await locator.all_inner_texts() if t.strip()]
        except PlaywrightError:
            return []


# ---------------------------------------------------------------------------------------------- helpers
def _is_auth_me(response: Any) -> bool:
    return response.request.method == "GET" and urlsplit(response.url).path.endswith("/auth/me")


async def _response_body(response: Any) -> Any:
    try:
        text = await response.text()
    except PlaywrightError:
        return None
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


async def _snapshot(locator: Any) -> str:
    try:
        text = await locator.aria_snapshot(timeout=1000)
    except PlaywrightError as exc:
        return f"(no snapshot: {str(exc).splitlines()[0]})"
    return text if len(text) <= SEEN_LIMIT else text[:SEEN_LIMIT] + " …"


def file_stem(label: str) -> str:
    """A client label as the stem of an artefact file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label) or "client"


def redact_zip(path: Path, redactor: Redactor) -> None:
    """Rewrite a trace zip with every text entry redacted (trace events, network log, bodies, typed text)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                target.writestr(info, data)  # images and other binaries carry no token text
                continue
            target.writestr(info, redactor.redact_text(text).encode("utf-8"))
    tmp.replace(path)
