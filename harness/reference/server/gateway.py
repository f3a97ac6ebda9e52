"""The WebSocket gateway at /gateway/ws (GATEWAY.md §1–§3, §8).

Per connection: a reader loop running the ingress pipeline (size -> rate limit -> envelope ->
routing -> command), and a writer task draining the bounded outbound queue and sending pings.
Every disconnect except the slow-consumer one drops the TCP connection WITHOUT a Close frame.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse

from aiohttp import WSMsgType, web

from .auth import bearer_token
from .connections import Connection
from .context import ip_banned, request_client_ip
from .errors import ApiError, json_response
from .ids import now_unix
from .messaging import create_message
from .protocol import parse_envelope, parse_message_create, parse_subscribe
from .ratelimit import SlidingLog
from .state import AppState

log = logging.getLogger("filament.reference.gateway")

DISCONNECTS = "filament_ws_disconnects_total"
PARSE_REJECTED = "filament_gateway_events_parse_rejected_total"
LIBRARY_MAX_MESSAGE = 16 * 1024 * 1024  # transport-level cap; the app-level limit is checked first
_ENQUEUE_FAILURE = {"too_large": "outbound_payload_too_large", "full": "outbound_queue_full", "closed": "outbound_queue_closed"}


class Gateway:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.sockets: dict[Connection, web.Request] = {}

    # -- handshake ----------------------------------------------------------------------------------

    def _token(self, request: web.Request) -> str | None | bool:
        """The token to verify; False when the query string is malformed (duplicate access_token)."""
        raw = request.raw_path.partition("?")[2]
        values = [v for k, v in urllib.parse.parse_qsl(raw, keep_blank_values=True) if k == "access_token"]
        if len(values) > 1:
            return False
        if values:
            return values[0]  # present (even empty) wins over the header
        return bearer_token(request.headers.get("Authorization"))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        ws = web.WebSocketResponse(
            autoping=True, compress=False, max_msg_size=LIBRARY_MAX_MESSAGE, decode_text=False, timeout=5.0
        )
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="Connection header did not include 'upgrade'")
        token = self._token(request)
        if token is False:
            return web.Response(status=400, text="Failed to deserialize query string", content_type="text/plain")
        claims = state.signer.decode(token) if token else None
        user = state.store.user(claims.sub) if claims else None
        if user is None:
            state.metrics.inc("filament_auth_failures_total", "unauthorized")
            return json_response({"error": "invalid_credentials"}, status=401)
        ip = request_client_ip(request, state)  # fixed for the connection's lifetime (GATEWAY.md §1.1)
        await ws.prepare(request)
        conn = Connection(user["user_id"], ip, state.config.gateway_outbound_queue, ws)
        await self._run(conn, request)
        return ws

    # -- connection lifetime ------------------------------------------------------------------------

    async def _run(self, conn: Connection, request: web.Request) -> None:
        state = self.state
        state.registry.register(conn)
        self.sockets[conn] = request
        status = state.emitter.connection(conn, "ready", {"user_id": conn.user_id})
        if status != "ok":
            self._finish(conn, request, _ENQUEUE_FAILURE[status], abort=True)
            return
        writer = asyncio.create_task(self._writer(conn))
        reason: str | None = None
        try:
            reason = await self._reader(conn)
        except (asyncio.CancelledError, ConnectionError):
            reason = None if conn.shutting_down else "socket_error"
        finally:
            abort = reason not in (None, "client_close", "connection_closed")
            if conn.slow_consumer:
                # the writer is closing with 1008; let it finish the close handshake (bounded), else drop
                done, _ = await asyncio.wait({writer}, timeout=6.0)
                reason, abort = None, not done
            writer.cancel()
            self._finish(conn, request, reason, abort=abort)

    def _finish(self, conn: Connection, request: web.Request, reason: str | None, abort: bool) -> None:
        state = self.state
        conn.close_queue()
        if abort and request.transport is not None:
            request.transport.abort()  # drop the socket: no Close frame, queued frames not flushed
        if reason is not None:
            state.metrics.inc(DISCONNECTS, reason)
        self.sockets.pop(conn, None)
        for guild_id in state.registry.unregister(conn):
            state.emitter.guild(guild_id, "presence_update", {"guild_id": guild_id, "status": "offline", "user_id": conn.user_id})

    async def _writer(self, conn: Connection) -> None:
        ws = conn.ws
        loop = asyncio.get_running_loop()
        interval = self.state.config.gateway_ping_interval_secs
        next_ping = loop.time()  # first tick at writer start: a ping right after `ready`
        try:
            while True:
                if conn.slow_consumer:
                    self.state.metrics.inc(DISCONNECTS, "slow_consumer")
                    await ws.close(code=1008, message=b"slow_consumer")
                    return
                if conn.queue:
                    await ws.send_str(conn.queue.popleft())
                    continue
                if conn.closed:
                    return
                now = loop.time()
                if now >= next_ping:
                    await ws.ping()
                    next_ping = now + interval  # missed ticks are skipped, not bursted
                    continue
                conn.wake.clear()
                try:
                    await asyncio.wait_for(conn.wake.wait(), timeout=next_ping - now)
                except asyncio.TimeoutError:
                    pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # transport gone: the reader notices and ends the connection
            log.debug("writer ended: %r", exc)

    async def _reader(self, conn: Connection) -> str | None:
        ws = conn.ws
        config = self.state.config
        limiter = SlidingLog(config.gateway_ingress_events_per_window, config.gateway_ingress_window_secs)
        while True:
            msg = await ws.receive()
            if msg.type == WSMsgType.CLOSE:
                return "client_close"
            if msg.type == WSMsgType.CLOSING:
                return None if conn.slow_consumer or conn.shutting_down else "client_close"
            if msg.type == WSMsgType.CLOSED:
                return None if conn.slow_consumer or conn.shutting_down else "connection_closed"
            if msg.type == WSMsgType.ERROR:
                return "socket_error"
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            data: bytes = msg.data if isinstance(msg.data, bytes) else str(msg.data).encode("utf-8")
            if msg.type == WSMsgType.TEXT:
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    return "socket_error"  # invalid UTF-8 in a Text frame is a protocol error
            if len(data) > config.max_gateway_event_bytes:
                return "event_too_large"
            if not limiter.allow():
                return "ingress_rate_limited"
            try:
                reason = self._dispatch(conn, data)
            except Exception:  # a server bug must not leave the connection in limbo
                log.exception("gateway command failed")
                return "socket_error"
            if reason is not None:
                return reason

    # -- ingress routing and commands ---------------------------------------------------------------

    def _dispatch(self, conn: Connection, data: bytes) -> str | None:
        metrics = self.state.metrics
        envelope = parse_envelope(data)
        if envelope is None:
            self._parse_rejected("invalid_envelope")
            return "invalid_envelope"
        if envelope.t == "subscribe":
            command = parse_subscribe(envelope.d)
            if command is None:
                self._parse_rejected("invalid_subscribe_payload")
                return "invalid_subscribe_payload"
            return self._subscribe(conn, command.guild_id, command.channel_id)
        if envelope.t == "message_create":
            command = parse_message_create(envelope.d)
            if command is None:
                self._parse_rejected("invalid_message_create_payload")
                return "invalid_message_create_payload"
            if self._ip_banned(conn, command.guild_id, "gateway.message_create"):
                return "ip_banned"
            try:
                create_message(self.state, conn.user_id, command.guild_id, command.channel_id, command.content,
                               command.attachment_ids)
            except ApiError:
                return "message_rejected"
            except Exception:  # storage errors reject the message, as in Filament's domain layer
                log.exception("gateway message_create failed")
                return "message_rejected"
            return None
        metrics.inc("filament_gateway_events_unknown_received_total", "ingress", envelope.t)
        return "unknown_event"

    def _parse_rejected(self, reason: str) -> None:
        if not self.state.faults.on("server.parse_rejected_not_counted"):
            self.state.metrics.inc(PARSE_REJECTED, "ingress", reason)

    def _ip_banned(self, conn: Connection, guild_id: str, surface: str) -> bool:
        if not ip_banned(self.state, guild_id, conn.ip):
            return False
        if self.state.store.guild(guild_id) is not None:
            self.state.store.audit(guild_id, conn.user_id, "moderation.ip_ban.hit", None, json.dumps({"surface": surface}))
        return True

    def _subscribe(self, conn: Connection, guild_id: str, channel_id: str) -> str | None:
        state = self.state
        if self._ip_banned(conn, guild_id, "gateway.subscribe"):
            return "ip_banned"
        authz = state.authz(guild_id)
        if not authz.can_see_channel(conn.user_id, channel_id):
            return None  # silently ignored: no frame, no metric, connection stays open
        first = state.registry.subscribe(conn, guild_id, channel_id)
        state.emitter.connection(
            conn, "presence_sync", {"guild_id": guild_id, "user_ids": state.registry.present_users(guild_id)}
        )
        if first:
            state.emitter.guild(guild_id, "presence_update", {"guild_id": guild_id, "status": "online", "user_id": conn.user_id})
        if conn.slow_consumer:
            return None
        status = state.emitter.connection(conn, "subscribed", {"channel_id": channel_id, "guild_id": guild_id})
        if status != "ok":
            return _ENQUEUE_FAILURE[status]
        sync = {"channel_id": channel_id, "guild_id": guild_id, "participants": [], "synced_at_unix": now_unix()}
        if state.emitter.connection(conn, "voice_participant_sync", sync) == "ok":
            state.metrics.inc("filament_voice_sync_repairs_total", "subscribe")
        return None

    # -- shutdown -----------------------------------------------------------------------------------

    async def close_all(self) -> None:
        """Shutdown: drop every live socket without a Close frame. GATEWAY.md §1.7: only the slow-consumer
        path sends a Close frame; every other server-side end (a restart included) is an abrupt drop."""
        for conn, request in list(self.sockets.items()):
            conn.shutting_down = True
            conn.close_queue()
            if request.transport is not None and not request.transport.is_closing():
                request.transport.abort()
