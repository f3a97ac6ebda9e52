"""One gateway WebSocket connection that records everything it receives (GATEWAY.md §1–§3).

* ``open()`` upgrades ``/gateway/ws`` with the access token in ``?access_token=`` (default, as the web
  client does) or an ``Authorization: Bearer`` header; a 401 before the upgrade raises
  :class:`GatewayAuthError`.
* A reader task records **every data frame** as a :class:`harness.history.ReceivedFrame`
  (``seq`` from 0, ``at`` = the clock right when the frame was read, the raw text, and a lenient parse
  of ``t``/``d`` or an ``envelope_error``; strict validation is the contract checker's job), then
  calls the registered ``on_frame`` callbacks in order. Ping/Pong control frames are answered by the
  library and never recorded.
* The end of the connection is recorded once as :class:`harness.history.ConnectionClosed`: the close
  code and reason of the server's Close frame (e.g. 1008 ``slow_consumer``), or 1006 when the socket
  was dropped without one; ``by`` says who ended it.
* Limits (harness/clients/gateway_limits.py): a frame over the contract's 65,536 bytes is refused
  unread at the socket (close 1009, ``ConnectionClosed.limit="oversized_frame"``); a connection that
  has read more than its history budget is dropped (``limit="flood"``). The connect and the upgrade
  share one total deadline (``open_timeout``); a stuck upgrade is :class:`GatewayHandshakeTimeout`.
* Nemesis hooks: ``pause_reading()``/``resume_reading()`` stop consuming the socket so the server's
  outbound queue fills (small SO_RCVBUF, a small MSS so the server's send buffer stays small, a small
  ``max_queue``: the OS does not absorb hundreds of events); ``set_latency(s)`` hands frames to the
  recorder ``s`` seconds after they were read (order kept; ``at`` is the delayed time);
  ``abort()`` drops the TCP connection without a Close frame (a network drop).
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import fcntl
import socket
import struct
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WsConnectionClosed
from websockets.exceptions import InvalidHandshake, InvalidStatus

from harness.clients.shared_payloads import SharedPayloads
from harness.clients.gateway_limits import (
    CLOSE_MESSAGE_TOO_BIG, HISTORY_BUDGET_BYTES, HISTORY_BUDGET_FRAMES, MAX_FRAME_BYTES,
)
from harness.errors import TargetError, TargetUnreachable, TargetUnresponsive
from harness.history import ConnectionClosed, ReceivedFrame
from harness.redact import Redactor
from harness.targets.base import describe_transport_error

__all__ = [
    "GatewayConnection",
    "GatewayAuthError",
    "GatewayClosedError",
    "GatewayTimeout",
    "GatewayHandshakeTimeout",
    "FrameCallback",
    "parse_envelope",
]

log = logging.getLogger(__name__)

FrameCallback = Callable[[ReceivedFrame], None]

DEFAULT_RCVBUF = 16 * 1024
"""Receive buffer asked for (the kernel doubles it): small, so a paused reader backs up quickly, yet
large enough that 64 KiB frames arrive without added latency (measured: same p95 as the default)."""
PAUSED_RCVBUF = 1024
"""Receive buffer while paused (the kernel's minimum, ~4.6 KB effective)."""
DEFAULT_MSS = 1024
"""Maximum segment size announced by the client. Linux sizes the *server's* send buffer from the
congestion window times the MSS, so the default loopback MSS (~64 KiB) lets a server park 4 MB
(thousands of events) in its kernel while the client is paused; with 1024 it is a few hundred KB."""
YIELD_EVERY = 32
"""Frames a reader takes in a row before letting the other tasks run."""
DEFAULT_MAX_QUEUE = 4
"""websockets' high-water mark of received frames before it stops reading the socket."""


class GatewayAuthError(TargetError):
    """The gateway answered the upgrade with 401 (no, invalid or expired access token)."""


class GatewayClosedError(TargetError):
    """The connection is closed (waiting for or sending a frame is pointless)."""


class GatewayHandshakeTimeout(TargetUnresponsive):
    """The gateway accepted the connection but did not complete the WebSocket upgrade in time: the
    target is not serving, and every later connection would wait the same, so the run ends."""


class GatewayTimeout(TimeoutError):
    """No matching frame within the bound."""


def parse_envelope(raw: str) -> tuple[str | None, Any, str | None]:
    """Lenient envelope parse: ``(t, d, envelope_error)``. Strict checks belong to the contract check."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:  # orjson refuses what json accepts (NaN, integers beyond 64 bits): lenient means json's verdict
            obj = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            return None, None, f"not JSON: {exc}"
    if not isinstance(obj, dict):
        return None, None, f"not a JSON object (got {type(obj).__name__})"
    missing = [k for k in ("v", "t", "d") if k not in obj]
    t = obj.get("t")
    t = t if isinstance(t, str) else None
    d = obj.get("d")
    if missing:
        return t, d, f"missing member(s): {', '.join(missing)}"
    if obj.get("v") != 1 or isinstance(obj.get("v"), bool):
        return t, d, f"v is {obj.get('v')!r}, expected 1"
    if t is None:
        return None, d, f"t is not a string: {obj.get('t')!r}"
    extra = sorted(set(obj) - {"v", "t", "d"})
    if extra:
        return t, d, f"unknown top-level member(s): {', '.join(extra)}"
    return t, d, None


SHARED = SharedPayloads(parse_envelope)
"""Every connection of the process records a fanout's equal frames as one shared copy."""


def _with_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
    query.append(("access_token", token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class GatewayConnection:
    """One gateway connection: open it, send commands, and read its recorded history."""

    def __init__(
        self,
        conn_id: str,
        url: str,
        token: str | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        auth: str = "query",
        redactor: Redactor | None = None,
        open_timeout: float = 5.0,
        close_timeout: float = 2.0,
        max_queue: int = DEFAULT_MAX_QUEUE,
        rcvbuf: int | None = DEFAULT_RCVBUF,
        mss: int | None = DEFAULT_MSS,
        max_size: int | None = MAX_FRAME_BYTES,
        history_budget_bytes: int = HISTORY_BUDGET_BYTES,
        history_budget_frames: int = HISTORY_BUDGET_FRAMES,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        if auth not in ("query", "header", "none"):
            raise ValueError("auth must be 'query', 'header' or 'none'")
        self.conn_id = conn_id
        self.url = url
        self.token = token
        self.clock = clock
        self.auth = auth
        self.redactor = redactor
        if redactor is not None and token:
            redactor.add_access_token(token)
        self.open_timeout = open_timeout
        self.close_timeout = close_timeout
        self.max_queue = max_queue
        self.rcvbuf = rcvbuf
        self.mss = mss
        self.max_size = max_size
        self.history_budget_bytes = history_budget_bytes
        self.history_budget_frames = history_budget_frames
        self.received_bytes = 0
        """Frame text held: read and not retired (counted against the history budget,
        harness/clients/gateway_limits.py; a soak retires judged frames, so a long run is not a flood)."""
        self.extra_headers = dict(extra_headers or {})

        self.frames: list[ReceivedFrame] = []
        self.frames_retired = 0
        """Frames judged for good and dropped from the head of ``frames`` (a soak's bounded memory):
        ``frames[i]`` has ``seq == frames_retired + i``."""
        self.closed: ConnectionClosed | None = None
        self.opened_at: float | None = None
        self.user_id: str | None = None
        """``ready.d.user_id`` once the ready frame arrived."""
        self.callback_errors: list[BaseException] = []

        self._callbacks: list[FrameCallback] = []
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._deliverer: asyncio.Task[None] | None = None
        self._recv_task: asyncio.Future[Any] | None = None
        self._reading: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._pending: collections.deque[tuple[float, str | bytes]] = collections.deque()
        self._pending_evt: asyncio.Event | None = None
        self._latency = 0.0
        self._closing_by_harness = False
        self._aborted = False
        self._end: tuple[int | None, str, str] | None = None  # code, reason, by — when the socket ended
        self._reader_finished = False
        self._rcvbuf_open = 0
        self._limit: tuple[str, int, int | None] | None = None  # why the harness ended it: limit, bytes, frames

    # ------------------------------------------------------------------ callbacks
    def on_frame(self, callback: FrameCallback) -> None:
        """Register a synchronous callback, called with each recorded frame, in registration order."""
        self._callbacks.append(callback)

    def remove_on_frame(self, callback: FrameCallback) -> None:
        self._callbacks.remove(callback)

    # ------------------------------------------------------------------ open
    async def open(self) -> "GatewayConnection":
        if self._ws is not None:
            raise TargetError(f"{self.conn_id}: already opened")
        loop = asyncio.get_running_loop()
        self._reading = asyncio.Event()
        self._reading.set()
        self._changed = asyncio.Event()
        self._pending_evt = asyncio.Event()
        url = self.url
        headers = dict(self.extra_headers)
        if self.auth == "query" and self.token is not None:
            url = _with_token(url, self.token)
        elif self.auth == "header" and self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        shown = self.redactor.redact_url(url) if self.redactor else self.url
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        deadline = asyncio.get_running_loop().time() + self.open_timeout
        try:
            # One total deadline for the TCP connect and the whole upgrade: a server that accepts and
            # never answers (or answers one byte at a time) cannot hold the harness longer.
            async with asyncio.timeout_at(deadline):
                sock = await self._connect_socket(loop, host, port)
        except (OSError, TimeoutError) as exc:
            raise TargetUnreachable(
                f"{self.conn_id}: cannot reach {parts.scheme}://{parts.netloc} ({describe_transport_error(exc)})"
            ) from None
        try:
            async with asyncio.timeout_at(deadline):
                self._ws = await self._upgrade(url, sock, headers)
        except TimeoutError:
            sock.close()
            base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            raise GatewayHandshakeTimeout(
                f"{self.conn_id}: the gateway at {base} did not complete the WebSocket handshake within "
                f"{self.open_timeout:g}s"
            ) from None
        except InvalidStatus as exc:
            sock.close()
            status = exc.response.status_code
            body = exc.response.body.decode("utf-8", "replace")[:200] if exc.response.body else ""
            if status == 401:
                raise GatewayAuthError(
                    f"{self.conn_id}: the gateway refused the upgrade with 401 {body.strip()} "
                    f"(missing, invalid or expired access token; token via {self.auth})"
                ) from None
            if status == 429:
                raise TargetError(
                    f"{self.conn_id}: the gateway upgrade answered 429: the target's global rate limiter is "
                    "exhausted; raise FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE on the target"
                ) from None
            raise TargetError(f"{self.conn_id}: the gateway upgrade at {shown} answered {status} {body.strip()}") from None
        except (InvalidHandshake, OSError, EOFError) as exc:
            sock.close()
            raise TargetUnreachable(
                f"{self.conn_id}: WebSocket handshake with {shown} failed ({describe_transport_error(exc)})"
            ) from None
        self.opened_at = self.clock()
        sock_now = self._socket()
        try:
            # getsockopt reports the doubled value the kernel uses; halve it to set it back later.
            self._rcvbuf_open = sock_now.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2 if sock_now else 0
        except OSError:
            self._rcvbuf_open = 0
        self._reader = asyncio.create_task(self._read_loop(), name=f"gateway-reader-{self.conn_id}")
        self._deliverer = asyncio.create_task(self._deliver_loop(), name=f"gateway-deliver-{self.conn_id}")
        return self

    async def _upgrade(self, url: str, sock: socket.socket, headers: dict[str, str]) -> ClientConnection:
        return await connect(
            url,
            sock=sock,
            additional_headers=headers or None,
            open_timeout=None,  # the caller's one deadline covers the connect and the upgrade
            close_timeout=self.close_timeout,
            ping_interval=None,  # the server pings; a paused reader must not time out on pongs
            ping_timeout=None,
            max_queue=self.max_queue,
            max_size=self.max_size,
            proxy=None,
            compression=None,
            user_agent_header="filament-sync-harness",
        )

    async def _connect_socket(self, loop: asyncio.AbstractEventLoop, host: str, port: int) -> socket.socket:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        last: OSError | None = None
        for family, type_, proto, _, addr in infos:
            sock = socket.socket(family, type_, proto)
            try:
                sock.setblocking(False)
                if self.rcvbuf:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
                if self.mss and hasattr(socket, "TCP_MAXSEG"):
                    try:
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, self.mss)
                    except OSError:
                        pass
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.sock_connect(sock, addr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
            except BaseException:  # cancelled by the open timeout: do not leak the socket
                sock.close()
                raise
        raise last or OSError(f"no address for {host}")

    # ------------------------------------------------------------------ reading
    async def _read_loop(self) -> None:
        ws = self._ws
        assert ws is not None and self._reading is not None
        read = 0
        try:
            while True:
                if not self._reading.is_set():
                    await self._reading.wait()
                self._recv_task = asyncio.ensure_future(ws.recv())
                try:
                    message = await self._recv_task
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise
                    continue  # pause_reading() cancelled the pending recv (safe: nothing is lost)
                finally:
                    self._recv_task = None
                read_at = self.clock()
                if self._over_budget(len(message)):  # counted when read: frames held back by latency count too
                    continue
                if self._latency > 0 or self._pending:
                    self._pending.append((read_at + self._latency, message))
                    assert self._pending_evt is not None
                    self._pending_evt.set()
                else:
                    self._record(message, read_at)
                read += 1
                if read % YIELD_EVERY == 0:
                    # recv() returns without suspending while frames are buffered: a long backlog would
                    # otherwise hold the loop, and every other connection's receive times with it.
                    await asyncio.sleep(0)
        except WsConnectionClosed as exc:
            self._note_end(exc)
        except Exception as exc:  # pragma: no cover - defensive
            log.warning("%s: reader failed: %r", self.conn_id, exc)
            self._end = (1006, f"reader error: {exc!r}", "harness" if self._closing_by_harness else "server")
        finally:
            self._reader_finished = True
            self._wake()
            if self._pending_evt is not None:
                self._pending_evt.set()

    def _note_end(self, exc: WsConnectionClosed) -> None:
        if self._limit is not None:
            return  # the harness ended it to protect itself; _over_budget recorded why
        too_big = self._refused_frame(exc)
        if too_big is not None:
            self._limit = ("oversized_frame", too_big, None)
            self._end = (CLOSE_MESSAGE_TOO_BIG, f"frame of {too_big} bytes refused (limit {self.max_size})",
                         "harness")
            return
        by = "harness" if (self._closing_by_harness or self._aborted) else "server"
        if self._aborted:
            self._end = (1006, "aborted by the harness (no close frame)", "harness")
            return
        rcvd = exc.rcvd
        sent = exc.sent
        if by == "harness" and sent is not None:
            self._end = (sent.code, sent.reason, "harness")
        elif rcvd is not None:
            self._end = (rcvd.code, rcvd.reason, by)
        else:
            self._end = (1006, "", by)

    def _refused_frame(self, exc: WsConnectionClosed) -> int | None:
        """The announced size of a frame websockets refused for exceeding ``max_size``, if that ended it."""
        if exc.sent is None or exc.sent.code != CLOSE_MESSAGE_TOO_BIG or self._ws is None:
            return None
        cause = getattr(self._ws.protocol, "parser_exc", None)
        size = getattr(cause, "size", None)
        return size if isinstance(size, int) else (self.max_size or 0) + 1

    def _over_budget(self, size: int) -> bool:
        """Whether keeping a frame of ``size`` would exceed the history budget (frames read so far, kept
        or held back by an injected latency); if so the connection is dropped now."""
        if self._limit is not None:
            return True
        frames = len(self.frames) + len(self._pending)
        if self.received_bytes + size <= self.history_budget_bytes and frames < self.history_budget_frames:
            self.received_bytes += size
            return False
        self._limit = ("flood", self.received_bytes + size, frames + 1)
        self._end = (1006, f"history budget exceeded after {frames} frames / {self.received_bytes} "
                           "bytes: dropped by the harness", "harness")
        if self._ws is not None:
            self._ws.transport.abort()
        return True

    async def _deliver_loop(self) -> None:
        assert self._pending_evt is not None
        try:
            while True:
                if not self._pending:
                    if self._reader_finished:
                        break
                    self._pending_evt.clear()
                    await self._pending_evt.wait()
                    continue
                due, message = self._pending[0]
                now = self.clock()
                if due > now:
                    self._pending_evt.clear()
                    try:
                        await asyncio.wait_for(self._pending_evt.wait(), due - now)
                    except asyncio.TimeoutError:
                        pass
                    continue
                self._pending.popleft()
                self._record(message, self.clock())
        finally:
            self._finish()

    def _record(self, message: str | bytes, at: float) -> None:
        if isinstance(message, bytes):
            raw = message.decode("utf-8", "replace")
            t, d, err = parse_envelope(raw)
            err = "binary frame (the server must send text frames)" + (f"; {err}" if err else "")
        else:
            raw, (t, d, err) = SHARED.get(message)
        frame = ReceivedFrame(
            conn=self.conn_id, seq=self.frames_retired + len(self.frames), at=at, raw=raw, event_type=t, data=d, envelope_error=err
        )
        self.frames.append(frame)
        if t == "ready" and self.user_id is None and isinstance(d, dict) and isinstance(d.get("user_id"), str):
            self.user_id = d["user_id"]
        for cb in list(self._callbacks):
            try:
                cb(frame)
            except Exception as exc:  # a broken callback must not stop recording
                self.callback_errors.append(exc)
                log.debug("%s: on_frame callback failed", self.conn_id, exc_info=True)  # the session reports it
        self._wake()

    def retire_frames(self, count: int) -> list[ReceivedFrame]:
        """Drop the ``count`` oldest frames (the caller has judged them for good); returns them."""
        dropped, self.frames[:count] = self.frames[:count], []
        self.frames_retired += len(dropped)
        self.received_bytes -= sum(len(frame.raw) for frame in dropped)
        return dropped

    def _finish(self) -> None:
        if self.closed is None:
            code, reason, by = self._end or (None, "", "harness")
            limit, size, frames = self._limit or (None, None, None)
            self.closed = ConnectionClosed(conn=self.conn_id, at=self.clock(), code=code, reason=reason, by=by,  # type: ignore[arg-type]
                                           limit=limit, limit_bytes=size, limit_frames=frames)  # type: ignore[arg-type]
        self._wake()

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()

    # ------------------------------------------------------------------ nemesis hooks
    def pause_reading(self) -> None:
        """Stop reading from the socket (frames back up into the server's outbound queue).

        The pending ``recv`` is cancelled (safe in websockets: nothing is lost), the socket's receive
        buffer shrinks to the minimum, and websockets stops reading the socket once ``max_queue``
        frames are buffered, so only a few KB of events are absorbed on the client side.
        """
        if self._reading is None:
            raise TargetError(f"{self.conn_id}: not open")
        if not self._reading.is_set():
            return
        self._reading.clear()
        self._set_rcvbuf(PAUSED_RCVBUF)
        if self._recv_task is not None and not self._recv_task.done():
            self._recv_task.cancel()

    def resume_reading(self) -> None:
        if self._reading is None:
            raise TargetError(f"{self.conn_id}: not open")
        if self._reading.is_set():
            return
        if self._rcvbuf_open:
            self._set_rcvbuf(self._rcvbuf_open)
        self._reading.set()

    def unread_bytes(self) -> int:
        """Bytes received by the kernel for this connection and not read by the harness yet (0 when
        closed or unknown): the harness's own backlog, see harness.engine.load_monitor."""
        sock = self._socket() if self.is_open else None
        if sock is None:
            return 0
        try:
            return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
        except (OSError, ValueError):
            return 0

    def _socket(self) -> socket.socket | None:
        if self._ws is None:
            return None
        return self._ws.transport.get_extra_info("socket")

    def _set_rcvbuf(self, size: int) -> None:
        sock = self._socket()
        if sock is None:
            return
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        except OSError:
            pass

    @property
    def paused(self) -> bool:
        return self._reading is not None and not self._reading.is_set()

    def set_latency(self, seconds: float) -> None:
        """Hand each frame read from now on to the recorder ``seconds`` later (order is kept)."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._latency = float(seconds)

    @property
    def latency(self) -> float:
        return self._latency

    # ------------------------------------------------------------------ sending
    def _require_open(self) -> ClientConnection:
        if self._ws is None:
            raise TargetError(f"{self.conn_id}: not open")
        if self.closed is not None or self._end is not None:
            raise GatewayClosedError(f"{self.conn_id}: connection is closed ({self._describe_end()})")
        return self._ws

    async def send(self, envelope_or_raw: Mapping[str, Any] | Sequence[Any] | str | bytes) -> None:
        """Send a dict/list (as compact JSON text), a str (text frame, verbatim) or bytes (binary frame)."""
        ws = self._require_open()
        if isinstance(envelope_or_raw, (str, bytes)):
            payload: str | bytes = envelope_or_raw
        else:
            payload = json.dumps(envelope_or_raw, separators=(",", ":"), ensure_ascii=False)
        try:
            await ws.send(payload)
        except WsConnectionClosed as exc:
            raise GatewayClosedError(f"{self.conn_id}: connection closed while sending ({exc})") from None

    async def subscribe(self, guild_id: str, channel_id: str) -> None:
        await self.send({"v": 1, "t": "subscribe", "d": {"guild_id": guild_id, "channel_id": channel_id}})

    async def send_message_create(
        self, guild_id: str, channel_id: str, content: str, attachment_ids: Sequence[str] | None = None
    ) -> None:
        d: dict[str, Any] = {"guild_id": guild_id, "channel_id": channel_id, "content": content}
        if attachment_ids is not None:
            d["attachment_ids"] = list(attachment_ids)
        await self.send({"v": 1, "t": "message_create", "d": d})

    # ------------------------------------------------------------------ waiting
    async def wait_for(
        self,
        predicate: Callable[[ReceivedFrame], bool] | str,
        timeout: float = 2.0,
        *,
        since: int = 0,
    ) -> ReceivedFrame:
        """The first recorded frame (from index ``since``) matching ``predicate`` (or of that event type).

        Bounded: raises :class:`GatewayTimeout` after ``timeout`` s and :class:`GatewayClosedError`
        when the connection ends without a match.
        """
        if isinstance(predicate, str):
            event_type = predicate
            predicate = lambda f: f.event_type == event_type  # noqa: E731
        if self._changed is None:
            raise TargetError(f"{self.conn_id}: not open")
        deadline = time.monotonic() + timeout
        i = since
        while True:
            while i < len(self.frames):
                frame = self.frames[i]
                i += 1
                if predicate(frame):
                    return frame
            if self.closed is not None:
                raise GatewayClosedError(
                    f"{self.conn_id}: closed ({self._describe_end()}) without a matching frame; "
                    f"received {len(self.frames)} frame(s): {self._summary()}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GatewayTimeout(
                    f"{self.conn_id}: no matching frame within {timeout:g}s; "
                    f"received {len(self.frames)} frame(s): {self._summary()}"
                )
            await self._wait_change(remaining)

    async def _wait_change(self, timeout: float) -> None:
        """Until a frame is recorded or the connection ends, or ``timeout`` passes."""
        assert self._changed is not None
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    async def wait_closed(self, timeout: float = 5.0) -> ConnectionClosed:
        """Wait (bounded) until the connection ended and its :class:`ConnectionClosed` is recorded."""
        if self._changed is None:
            raise TargetError(f"{self.conn_id}: not open")
        deadline = time.monotonic() + timeout
        while self.closed is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GatewayTimeout(f"{self.conn_id}: still open after {timeout:g}s")
            await self._wait_change(remaining)
        return self.closed

    def frames_of(self, event_type: str) -> list[ReceivedFrame]:
        return [f for f in self.frames if f.event_type == event_type]

    def _summary(self, limit: int = 12) -> str:
        types = [f.event_type or "?" for f in self.frames[-limit:]]
        more = "… " if len(self.frames) > limit else ""
        return more + (", ".join(types) if types else "none")

    def _describe_end(self) -> str:
        end = self.closed or (ConnectionClosed(self.conn_id, 0.0, *self._end) if self._end else None)  # type: ignore[arg-type]
        if end is None:
            return "open"
        return f"code {end.code} {end.reason!r} by {end.by}"

    # ------------------------------------------------------------------ closing
    @property
    def limit(self) -> str | None:
        """Why the harness ended this connection to protect itself (``oversized_frame``, ``flood``), if it did."""
        return self._limit[0] if self._limit else None

    @property
    def is_open(self) -> bool:
        return self._ws is not None and self._end is None and self.closed is None

    async def close(self, code: int = 1000, reason: str = "") -> ConnectionClosed | None:
        """Graceful close (Close frame, bounded wait for the handshake); records ``by="harness"``."""
        if self._ws is None:
            return None
        if self._end is None:
            self._closing_by_harness = True
            if self._reading is not None:
                self._reading.set()  # the close handshake needs the socket read
            try:
                await asyncio.wait_for(self._ws.close(code, reason), self.close_timeout + 1.0)
            except (asyncio.TimeoutError, OSError):
                self._ws.transport.abort()
        return await self._wait_tasks()

    async def abort(self) -> ConnectionClosed | None:
        """Drop the TCP connection without a Close frame (a network drop, as the server sees it)."""
        if self._ws is None:
            return None
        if self._end is None:
            self._aborted = True
            self._ws.transport.abort()
        if self._reading is not None:
            self._reading.set()
        return await self._wait_tasks()

    async def _wait_tasks(self) -> ConnectionClosed | None:
        tasks = [t for t in (self._reader, self._deliverer) if t is not None]
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=self.close_timeout + 2.0)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        if self.closed is None:
            self._finish()
        return self.closed

    def __repr__(self) -> str:
        return f"<GatewayConnection {self.conn_id} frames={len(self.frames)} {self._describe_end()}>"
