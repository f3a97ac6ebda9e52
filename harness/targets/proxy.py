"""A frame-tampering proxy target, used by the project's own tests to prove each checker fails on the
bug it exists for, and by the rollout checklist's mixed-version item to show a web client frames a newer
server would send (:meth:`TamperingProxy.inject`, docs/rollout.md).

``TamperingProxy(inner, rules)`` is itself a :class:`Target` listening on 127.0.0.1 (ephemeral port):

* REST: every request (any method, body and headers) is forwarded to ``inner.rest_url`` and the
  response returned as is (no streaming);
* gateway: a client's upgrade at ``/gateway/ws`` opens an upstream connection to
  ``inner.gateway_url`` first (same query string, so ``?access_token=``, and the same
  ``Authorization`` header); a refused upgrade (401 …) is answered with the same status and body, so
  "401 before upgrade" survives. Frames flow both ways; the upstream's Close frame (code and reason,
  e.g. 1008 ``slow_consumer``) is mirrored, and an upstream drop without a Close frame is mirrored as
  a drop (the client sees 1006). A client's Close is forwarded upstream, its drop aborts upstream.

Rules act on server→client **text** frames, in order, per connection (:class:`TamperRule`):

=============  =====================================================================================
``drop``       the frame is not delivered
``duplicate``  delivered twice
``alter``      ``d.<path>`` set to ``value`` (dotted path, list indices allowed) before delivery
``broadcast``  also delivered to every other proxied connection (a leak)
``delay``      delivered ``seconds`` later; later frames of that connection queue behind it (FIFO)
``swap_next``  held back and delivered right after the next frame of that connection (reordering)
=============  =====================================================================================

A rule matches by ``event_type`` (None = any), by ``nth`` (the n-th matching frame *on each
connection*, 1-based; None = every one) and optionally by ``user_id`` (the connection whose ``ready``
frame carried that user id). Every applied rule is logged in :attr:`TamperingProxy.tampered`.

The proxy does not own ``inner`` unless ``owns_inner=True`` (then start/stop/kill/restart reach it).
Slow-consumer behaviour cannot be provoked through the proxy (it reads upstream eagerly).
"""
from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import yarl
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WsConnectionClosed
from websockets.exceptions import InvalidHandshake, InvalidStatus

from harness.errors import TargetError
from harness.targets.base import Target, gateway_url_for, origin_of

__all__ = ["TamperRule", "TamperingProxy", "TamperEvent", "ProxyConnection"]

log = logging.getLogger(__name__)

Action = Literal["drop", "duplicate", "alter", "broadcast", "delay", "swap_next"]
_ACTIONS = ("drop", "duplicate", "alter", "broadcast", "delay", "swap_next")

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
_WS_FORWARD_HEADERS = ("authorization", "origin", "x-forwarded-for", "cf-connecting-ip", "x-request-id", "cookie")


@dataclass(frozen=True)
class TamperRule:
    action: Action
    event_type: str | None = None
    """``t`` the rule applies to; None = every event type."""
    nth: int | None = None
    """Only the n-th matching frame on each connection (1-based); None = every matching frame."""
    user_id: str | None = None
    """Only on connections whose ``ready`` frame carried this user id."""
    path: str | None = None
    """``alter``: dotted path inside ``d`` (``"content"``, ``"author.user_id"``, ``"items.0.id"``)."""
    value: Any = None
    """``alter``: the value to set."""
    seconds: float = 0.0
    """``delay``: how long to hold the frame."""

    def __post_init__(self) -> None:
        if self.action not in _ACTIONS:
            raise ValueError(f"unknown tamper action {self.action!r}; one of {', '.join(_ACTIONS)}")
        if self.action == "alter" and not self.path:
            raise ValueError("an alter rule needs a path inside d")
        if self.nth is not None and self.nth < 1:
            raise ValueError("nth is 1-based")

    # Convenience constructors -------------------------------------------
    @classmethod
    def drop(cls, event_type: str | None = None, *, nth: int | None = None, user_id: str | None = None) -> "TamperRule":
        return cls("drop", event_type, nth, user_id)

    @classmethod
    def duplicate(cls, event_type: str | None = None, *, nth: int | None = None, user_id: str | None = None) -> "TamperRule":
        return cls("duplicate", event_type, nth, user_id)

    @classmethod
    def alter(
        cls, event_type: str | None, path: str, value: Any, *, nth: int | None = None, user_id: str | None = None
    ) -> "TamperRule":
        return cls("alter", event_type, nth, user_id, path=path, value=value)

    @classmethod
    def broadcast(cls, event_type: str | None = None, *, nth: int | None = None, user_id: str | None = None) -> "TamperRule":
        return cls("broadcast", event_type, nth, user_id)

    @classmethod
    def delay(
        cls, event_type: str | None, seconds: float, *, nth: int | None = None, user_id: str | None = None
    ) -> "TamperRule":
        return cls("delay", event_type, nth, user_id, seconds=seconds)

    @classmethod
    def swap_next(cls, event_type: str | None = None, *, nth: int | None = None, user_id: str | None = None) -> "TamperRule":
        return cls("swap_next", event_type, nth, user_id)

    def describe(self) -> str:
        bits = [self.action, self.event_type or "*"]
        if self.nth is not None:
            bits.append(f"#{self.nth}")
        if self.user_id:
            bits.append(f"user {self.user_id}")
        if self.action == "alter":
            bits.append(f"d.{self.path}={self.value!r}")
        if self.action == "delay":
            bits.append(f"{self.seconds:g}s")
        return " ".join(bits)


@dataclass(frozen=True)
class TamperEvent:
    """One application of a rule: which rule, on which proxied connection, to which frame."""

    at: float
    rule: int
    action: str
    conn: int
    user_id: str | None
    event_type: str | None


async def _close_quietly(upstream: ClientConnection) -> None:
    try:
        await asyncio.wait_for(upstream.close(1001, "proxy shutting down"), 2.0)
    except Exception:
        upstream.transport.abort()


def _set_path(obj: Any, path: str, value: Any) -> Any:
    parts = path.split(".")
    cur = obj
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(cur, list):
            idx = int(part)
            if last:
                cur[idx] = value
            else:
                cur = cur[idx]
        elif isinstance(cur, dict):
            if last:
                cur[part] = value
            else:
                if not isinstance(cur.get(part), (dict, list)):
                    cur[part] = {}
                cur = cur[part]
        else:
            raise TypeError(f"cannot set {path!r}: {'.'.join(parts[:i]) or 'd'} is not an object")
    return obj


@dataclass
class _Out:
    due: float
    kind: Literal["text", "bytes", "close", "abort"]
    data: Any = None
    reason: str = ""


@dataclass
class ProxyConnection:
    """The proxy's view of one client↔server gateway pair."""

    index: int
    user_id: str | None = None
    counts: dict[int, int] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    queue: asyncio.Queue[_Out] = field(default_factory=asyncio.Queue)
    frames_in: int = 0
    frames_out: int = 0
    upstream: Any = None
    downstream: Any = None


class TamperingProxy(Target):
    def __init__(
        self,
        inner: Target,
        rules: Sequence[TamperRule] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        owns_inner: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.inner = inner
        self.rules: list[TamperRule] = list(rules)
        self.host = host
        self.requested_port = port
        self.owns_inner = owns_inner
        self.timeout = timeout
        self.tampered: list[TamperEvent] = []
        self.connections: dict[int, ProxyConnection] = {}
        self._next_conn = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None
        self._handlers: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ Target
    @property
    def supports_restart(self) -> bool:  # type: ignore[override]
        return self.owns_inner and self.inner.supports_restart

    @property
    def description(self) -> str:  # type: ignore[override]
        where = f"{self.host}:{self._port}" if self._port else "(not started)"
        rules = "; ".join(r.describe() for r in self.rules) or "no rules"
        return f"proxy ({where} → {self.inner.description}; {rules})"

    @property
    def rest_url(self) -> str:  # type: ignore[override]
        if self._port is None:
            raise TargetError("tampering proxy is not started: no URL yet")
        return f"http://{self.host}:{self._port}"

    @property
    def gateway_url(self) -> str:  # type: ignore[override]
        path = urlsplit(self.inner.gateway_url).path or "/gateway/ws"
        return urlunsplit(("ws", f"{self.host}:{self._port}", path, "", "")) if self._port else gateway_url_for(self.rest_url)

    @property
    def web_url(self) -> str | None:  # type: ignore[override]
        inner_web = self.inner.web_url
        if inner_web is None:
            return None
        parts = urlsplit(inner_web)
        return self.rest_url + (parts.path or "/")

    def alive(self) -> bool:
        return self._runner is not None and self.inner.alive()

    def log_tail(self, lines: int = 40) -> str:
        return self.inner.log_tail(lines)

    async def start(self) -> None:
        if self.owns_inner and not self.inner.alive():
            await self.inner.start()
        if self._runner is not None:
            return
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
        )
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port or self.requested_port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            await self._session.close()
            self._session = None
            raise TargetError(f"tampering proxy cannot listen on {self.host}:{self.requested_port}: {exc}") from None
        self._runner = runner
        server = site._server  # noqa: SLF001 - aiohttp exposes the bound port only here
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self._shutdown(graceful=True)
        if self.owns_inner:
            await self.inner.stop()

    async def kill(self) -> None:
        if self.owns_inner:
            await self.inner.kill()
        else:
            await self._shutdown(graceful=False)

    async def restart(self) -> None:
        if not self.owns_inner:
            raise TargetError("tampering proxy: restart needs owns_inner=True (the proxy does not own its target)")
        await self.inner.restart()

    async def _shutdown(self, *, graceful: bool) -> None:
        for conn in list(self.connections.values()):
            conn.queue.put_nowait(_Out(0.0, "close" if graceful else "abort", 1001, "proxy shutting down"))
            if conn.upstream is not None:
                if graceful:
                    asyncio.ensure_future(_close_quietly(conn.upstream))
                else:
                    conn.upstream.transport.abort()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=2.0)
        for t in list(self._handlers):
            t.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ rules API
    def set_rules(self, rules: Iterable[TamperRule]) -> None:
        self.rules = list(rules)
        for conn in self.connections.values():
            conn.counts.clear()

    def add_rule(self, rule: TamperRule) -> None:
        self.rules.append(rule)

    def inject(self, text: str, *, user_id: str | None = None) -> int:
        """Deliver ``text`` as a server→client text frame, now, on every established proxied connection
        (only those of ``user_id`` when given): a frame the server never sent (an event type a client
        does not know yet, a malformed payload). Returns how many connections got it."""
        now = time.monotonic()
        targets = [c for c in self.connections.values()
                   if c.frames_in > 0 and (user_id is None or c.user_id == user_id)]
        for conn in targets:
            self._emit(conn, _Out(now, "text", text))
        return len(targets)

    def clear_rules(self) -> None:
        self.set_rules([])

    # ------------------------------------------------------------------ dispatch
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            gw_path = urlsplit(self.inner.gateway_url).path or "/gateway/ws"
            if request.path == gw_path and request.headers.get("Upgrade", "").lower() == "websocket":
                return await self._proxy_ws(request)
            return await self._proxy_http(request)
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _proxy_http(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        # raw (still percent-encoded) path and query, so that e.g. %2F inside a segment survives
        url = self.inner.rest_url.rstrip("/") + request.raw_path
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        try:
            async with self._session.request(
                request.method, yarl.URL(url, encoded=True), headers=headers, data=body if body else None, allow_redirects=False
            ) as resp:
                payload = await resp.read()
                out_headers = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP_BY_HOP}
                return web.Response(status=resp.status, body=payload, headers=out_headers)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return web.Response(status=502, text=f"tampering proxy: upstream {origin_of(url)} failed: {exc!r}")

    async def _proxy_ws(self, request: web.Request) -> web.StreamResponse:
        inner_gw = self.inner.gateway_url
        parts = urlsplit(inner_gw)
        upstream_url = urlunsplit((parts.scheme, parts.netloc, parts.path, request.rel_url.raw_query_string, ""))
        headers = {k: v for k, v in request.headers.items() if k.lower() in _WS_FORWARD_HEADERS}
        try:
            upstream = await connect(
                upstream_url,
                additional_headers=headers or None,
                open_timeout=self.timeout,
                close_timeout=2.0,
                ping_interval=None,
                ping_timeout=None,
                max_size=None,
                max_queue=64,
                proxy=None,
                compression=None,
                user_agent_header=request.headers.get("User-Agent"),
            )
        except InvalidStatus as exc:
            resp = exc.response
            ctype = resp.headers.get("Content-Type", "application/json")
            return web.Response(status=resp.status_code, body=resp.body or b"", headers={"Content-Type": ctype})
        except (InvalidHandshake, OSError, asyncio.TimeoutError) as exc:
            return web.Response(status=502, text=f"tampering proxy: upstream gateway failed: {exc!r}")

        ws = web.WebSocketResponse(
            autoclose=False, autoping=True, heartbeat=None, max_msg_size=0, compress=False, timeout=3.0
        )
        await ws.prepare(request)
        conn = ProxyConnection(index=self._next_conn, upstream=upstream, downstream=ws)
        self._next_conn += 1
        self.connections[conn.index] = conn
        writer = asyncio.create_task(self._writer(conn, ws, request))
        up = asyncio.create_task(self._upstream_to_client(conn, upstream))
        try:
            await self._client_to_upstream(conn, ws, upstream)
            # The client side ended (Close forwarded upstream, or dropped → upstream aborted): let the
            # upstream side finish and the writer mirror its end, within bounds.
            await asyncio.wait([up], timeout=3.0)
            if not up.done():
                up.cancel()
                upstream.transport.abort()
                conn.queue.put_nowait(_Out(0.0, "abort"))
            await asyncio.wait([writer], timeout=5.0)
        finally:
            for t in (up, writer):
                if not t.done():
                    t.cancel()
            if request.transport is not None and not ws.closed:
                request.transport.abort()
            self.connections.pop(conn.index, None)
        return ws

    async def _client_to_upstream(
        self, conn: ProxyConnection, ws: web.WebSocketResponse, upstream: ClientConnection
    ) -> None:
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                try:
                    await upstream.send(msg.data)
                except WsConnectionClosed:
                    return
            elif msg.type == aiohttp.WSMsgType.CLOSE:
                # Forward the client's Close; the server's answer (echo or drop) comes back through
                # _upstream_to_client and is mirrored to the client by the writer.
                code = msg.data if isinstance(msg.data, int) else 1000
                reason = msg.extra or ""
                try:
                    await asyncio.wait_for(upstream.close(code, reason), 3.0)
                except (asyncio.TimeoutError, OSError):
                    upstream.transport.abort()
                return
            else:
                # CLOSED / ERROR: the client went away without a Close frame → drop upstream too.
                # CLOSING: the writer is closing the client side (mirroring the server): nothing to do.
                if msg.type != aiohttp.WSMsgType.CLOSING:
                    upstream.transport.abort()
                return

    async def _upstream_to_client(self, conn: ProxyConnection, upstream: ClientConnection) -> None:
        try:
            while True:
                message = await upstream.recv()
                conn.frames_in += 1
                if isinstance(message, bytes):
                    self._emit(conn, _Out(0.0, "bytes", message))
                    continue
                self._apply_rules(conn, message)
        except WsConnectionClosed as exc:
            self._release_held(conn)
            if exc.rcvd is not None:
                self._emit(conn, _Out(0.0, "close", exc.rcvd.code, exc.rcvd.reason))
            else:
                self._emit(conn, _Out(0.0, "abort"))

    def _emit(self, conn: ProxyConnection, out: _Out) -> None:
        conn.queue.put_nowait(out)

    def _apply_rules(self, conn: ProxyConnection, raw: str) -> None:
        t: str | None = None
        obj: Any = None
        try:
            obj = json.loads(raw)
            if isinstance(obj, dict) and isinstance(obj.get("t"), str):
                t = obj["t"]
        except ValueError:
            obj = None
        if t == "ready" and conn.user_id is None and isinstance(obj.get("d"), dict):
            uid = obj["d"].get("user_id")
            conn.user_id = uid if isinstance(uid, str) else None

        now = time.monotonic()
        texts = [raw]
        delay = 0.0
        broadcast = False
        swap = False
        drop = False
        for i, rule in enumerate(self.rules):
            if rule.event_type is not None and rule.event_type != t:
                continue
            if rule.user_id is not None and rule.user_id != conn.user_id:
                continue
            n = conn.counts.get(i, 0) + 1
            conn.counts[i] = n
            if rule.nth is not None and rule.nth != n:
                continue
            self.tampered.append(TamperEvent(now, i, rule.action, conn.index, conn.user_id, t))
            if rule.action == "drop":
                drop = True
                break
            if rule.action == "duplicate":
                texts = texts + texts
            elif rule.action == "alter":
                if isinstance(obj, dict):
                    altered = copy.deepcopy(obj)
                    d = altered.get("d")
                    if not isinstance(d, (dict, list)):
                        d = altered["d"] = {}
                    try:
                        _set_path(d, rule.path or "", copy.deepcopy(rule.value))
                        new = json.dumps(altered, separators=(",", ":"), ensure_ascii=False)
                        texts = [new for _ in texts]
                        obj = altered
                    except (TypeError, ValueError, IndexError) as exc:
                        log.warning("proxy alter %s failed: %s", rule.describe(), exc)
            elif rule.action == "broadcast":
                broadcast = True
            elif rule.action == "delay":
                delay = max(delay, rule.seconds)
            elif rule.action == "swap_next":
                swap = True

        if drop:
            self._release_held(conn)
            return
        if broadcast:
            for other in list(self.connections.values()):
                # only established connections (they have had their first frame, normally `ready`)
                if other is not conn and other.frames_in > 0:
                    for text in texts:
                        self._emit(other, _Out(now + delay, "text", text))
        if swap:
            self._release_held(conn)  # a second swap releases the first held frame after nothing
            conn.held.extend(texts)
            return
        for text in texts:
            self._emit(conn, _Out(now + delay, "text", text))
        self._release_held(conn)

    def _release_held(self, conn: ProxyConnection) -> None:
        for held in conn.held:
            self._emit(conn, _Out(0.0, "text", held))
        conn.held.clear()

    async def _writer(self, conn: ProxyConnection, ws: web.WebSocketResponse, request: web.Request) -> None:
        while True:
            out = await conn.queue.get()
            wait = out.due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                if out.kind == "text":
                    await ws.send_str(out.data)
                    conn.frames_out += 1
                elif out.kind == "bytes":
                    await ws.send_bytes(out.data)
                    conn.frames_out += 1
                elif out.kind == "close":
                    await ws.close(code=int(out.data or 1000), message=(out.reason or "").encode())
                    return
                elif out.kind == "abort":
                    transport = request.transport
                    if transport is not None and not transport.is_closing():
                        # Let frames already written reach the client, then drop without a Close frame.
                        deadline = time.monotonic() + 1.0
                        while transport.get_write_buffer_size() and time.monotonic() < deadline:
                            await asyncio.sleep(0.01)
                        transport.abort()
                    return
            except (ConnectionError, RuntimeError) as exc:
                log.debug("proxy conn %s: downstream write failed: %r", conn.index, exc)
                return
