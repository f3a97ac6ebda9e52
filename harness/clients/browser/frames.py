"""Frame recording: every gateway WebSocket the page opens, every frame it receives and sends, every close.
Other sockets the page opens (a dev server's hot-reload socket) are listed, never recorded as connections.

Playwright reports sockets, frames and closes but not who closed a socket nor its close code, so a small
page script (:data:`_SOCKET_PROBE`) wraps ``window.WebSocket`` and reports both back. The recording
itself is :class:`FrameRecording`, a mixin of :class:`~harness.clients.browser.BrowserClient`:
received frames become :class:`harness.history.ReceivedFrame` on connection ids ``<label>/ws<n>`` (one
per socket the page opens) and socket ends :class:`harness.history.ConnectionClosed`.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from harness.clients.browser.errors import BrowserTimeout
from harness.clients.gateway import parse_envelope
from harness.history import ConnectionClosed, ConnectionId, ReceivedFrame
from harness.redact import Redactor

__all__ = ["SentFrame", "BrowserSocket", "FrameRecording", "is_gateway_url", "GATEWAY_PATH"]

_SOCKET_PROBE = """
(() => {
  // Report who closed each socket and its close code: Playwright's WebSocket events carry neither.
  // Each socket is named by its document and creation order, never by its URL: a web client opens
  // its sockets with one token, so several share a URL (and may close one while opening the next).
  const Native = window.WebSocket;
  if (!Native || Native.__harnessWrapped || typeof window.__harnessSocket !== "function") return;
  const doc = Math.random().toString(36).slice(2);
  let made = 0;
  const report = (payload) => { try { window.__harnessSocket(payload); } catch (e) { /* page unloading */ } };
  class HarnessWebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      const id = doc + ":" + (made++);
      Object.defineProperty(this, "__harnessId", { value: id });
      report({ kind: "opened", id, url: this.url });
      this.addEventListener("close", (e) => report({ kind: "closed", id, url: this.url, code: e.code, reason: e.reason }));
    }
    close(code, reason) {
      report({ kind: "close_called", id: this.__harnessId, url: this.url });
      return super.close(code, reason);
    }
  }
  HarnessWebSocket.__harnessWrapped = true;
  window.WebSocket = HarnessWebSocket;
})();
"""

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
    frames_retired: int = 0
    """Frames dropped from the head of ``frames``: ``frames[i]`` has ``seq == frames_retired + i``."""
    sent: list[SentFrame] = field(default_factory=list)
    closed: ConnectionClosed | None = None
    raw_url: str = field(default="", repr=False)
    closed_by_page: bool = False
    page_close: tuple[int, str] | None = None
    """(code, reason) from the page's own close event, once reported."""

    def types(self) -> list[str | None]:
        return [f.event_type for f in self.frames]

    def retire_frames(self, count: int) -> list[ReceivedFrame]:
        """Drop the ``count`` oldest frames (the caller has judged them for good); returns them."""
        dropped, self.frames[:count] = self.frames[:count], []
        self.frames_retired += len(dropped)
        return dropped

    def has(self, event_type: str) -> bool:
        return any(f.event_type == event_type for f in self.frames)


GATEWAY_PATH = "/gateway/ws"
"""GATEWAY.md §1: the gateway's path, at the origin (a web client behind a proxy keeps it)."""


def is_gateway_url(url: str) -> bool:
    """Whether a WebSocket the page opened is the Filament gateway (and not, e.g., Vite's HMR socket)."""
    return urlsplit(url).path.rstrip("/") == GATEWAY_PATH


def _payload_text(payload: str | bytes) -> tuple[str, bool]:
    """A frame's payload as text, and whether it was binary (decoded leniently: it is only recorded)."""
    if isinstance(payload, str):
        return payload, False
    return payload.decode("utf-8", "replace"), True


class FrameRecording:
    """The WebSocket recording half of a browser client (mixed into ``BrowserClient``).

    The host sets ``label``, ``redactor``, ``clock``, ``timeout``, ``live_timeout`` and ``page_errors``,
    calls :meth:`_init_recording` from its constructor and :meth:`_install_socket_probe` on each new
    context, and routes the page's ``websocket`` event to :meth:`_on_websocket`.
    """

    # Provided by the host client (annotations only: nothing here shadows the host's attributes).
    label: str
    redactor: Redactor
    clock: Callable[[], float]
    timeout: float
    live_timeout: float
    page_errors: list[str]

    if TYPE_CHECKING:  # provided by DomActions; a real stub here would shadow it in the MRO
        async def wait_visible(self, element: str, timeout: float, *, root: Any = None,
                               **params: Any) -> None: ...

    def _init_recording(self) -> None:
        self.sockets: list[BrowserSocket] = []
        """The page's gateway sockets only (GATEWAY.md §1: path ``/gateway/ws``)."""
        self.other_sockets: list[str] = []
        """Redacted URLs of every other WebSocket the page opened (a dev server's hot-reload socket, an
        analytics beacon): not the gateway, so not recorded as a connection nor judged."""
        # Set on any socket activity; the bounded waits below sleep on it instead of polling blindly.
        self._activity = asyncio.Event()
        self._on_socket: list[Callable[[BrowserSocket], None]] = []
        self._on_frame: list[Callable[[ReceivedFrame], None]] = []
        self._on_sent: list[Callable[[SentFrame], None]] = []
        self._on_close: list[Callable[[ConnectionClosed], None]] = []
        # The probe's reports name a socket by its id; the k-th socket the probe saw opened is the k-th
        # one Playwright reported (both in creation order), gateway or not (None in _created).
        self._created: list[BrowserSocket | None] = []
        self._probe_order: dict[str, int] = {}
        self._parked: dict[int, list[Mapping[str, Any]]] = {}

    async def _install_socket_probe(self, context: Any) -> None:
        """Expose the probe's report binding and install the probe in every page of ``context``."""
        await context.expose_binding("__harnessSocket", self._on_page_socket_report)
        await context.add_init_script(_SOCKET_PROBE)

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
        """Called once per socket when it ends; ``by`` is ``harness`` when the page or the harness closed it."""
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

    # ------------------------------------------------------------------------------- sockets
    def _on_websocket(self, ws: Any) -> None:
        if not is_gateway_url(ws.url):
            self.other_sockets.append(self.redactor.redact_url(ws.url))
            self._created.append(None)
            self._parked.pop(len(self._created) - 1, None)
            return
        sock = BrowserSocket(conn=f"{self.label}/ws{len(self.sockets)}", url=self.redactor.redact_url(ws.url),
                             opened_at=self.clock(), raw_url=ws.url)
        self.sockets.append(sock)
        self._created.append(sock)
        for report in self._parked.pop(len(self._created) - 1, []):  # the page spoke of it first
            self._apply_page_report(sock, report)
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
        frame = ReceivedFrame(conn=sock.conn, seq=sock.frames_retired + len(sock.frames), at=at, raw=raw,
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
        """The page's probe: ``opened`` (a socket's id), ``close_called`` (the page closed it) or
        ``closed`` (its close code), each for the socket of that id."""
        socket_id = str(report.get("id"))
        if report.get("kind") == "opened":
            self._probe_order.setdefault(socket_id, len(self._probe_order))
            return
        index = self._probe_order.get(socket_id)
        if index is None:  # a probe of an older build, or an id never announced: the newest of its URL
            sock = next((s for s in reversed(self.sockets) if s.raw_url == report.get("url")), None)
        elif index >= len(self._created):  # Playwright has not reported that socket yet
            self._parked.setdefault(index, []).append(report)
            return
        else:
            sock = self._created[index]
        if sock is not None and sock.raw_url == report.get("url", sock.raw_url):
            self._apply_page_report(sock, report)

    def _apply_page_report(self, sock: BrowserSocket, report: Mapping[str, Any]) -> None:
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
