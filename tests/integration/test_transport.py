"""The simulated client transport against the reference target: REST session, gateway connection."""
from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import pytest
from websockets.asyncio.server import serve

from harness.clients.gateway import GatewayAuthError, GatewayConnection, GatewayTimeout, parse_envelope
from harness.clients.rest import RateLimited, RestAuthError, RestSession
from harness.clients.simulated import SimulatedClient
from harness.errors import TargetUnreachable
from harness.history import ReceivedFrame
from harness.redact import Redactor
from harness.targets.reference import ReferenceTarget

from .conftest import PASSWORD, free_port, require_reference, unique_username

pytestmark = pytest.mark.timeout(60)


# ------------------------------------------------------------------------------------ helpers
async def metric(rest_url: str, name: str, **labels: str) -> int:
    async with httpx.AsyncClient(trust_env=False) as http:
        text = (await http.get(f"{rest_url}/metrics")).text
    total = 0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


async def guild_with_channel(client: SimulatedClient, name: str = "sync") -> tuple[str, str]:
    status, guild = await client.rest.post("/guilds", {"name": name, "visibility": "public"})
    assert status == 200, guild
    status, channel = await client.rest.post(f"/guilds/{guild['guild_id']}/channels", {"name": "general"})
    assert status == 200, channel
    return guild["guild_id"], channel["channel_id"]


async def post_message(client: SimulatedClient, guild_id: str, channel_id: str, content: str) -> dict[str, Any]:
    status, body = await client.rest.post(f"/guilds/{guild_id}/channels/{channel_id}/messages", {"content": content})
    assert status == 200, body
    return body


async def subscribed(conn: GatewayConnection, guild_id: str, channel_id: str) -> ReceivedFrame:
    since = len(conn.frames)
    await conn.subscribe(guild_id, channel_id)
    return await conn.wait_for(
        lambda f: f.event_type == "subscribed" and f.data == {"guild_id": guild_id, "channel_id": channel_id},
        since=since,
    )


# ------------------------------------------------------------------------------------ REST
async def test_rest_session_login_registers_secrets_and_reads_me(reference_target: ReferenceTarget) -> None:
    redactor = Redactor()
    username = unique_username("rest")
    async with RestSession(reference_target.rest_url, redactor=redactor) as rest:
        result = await rest.register(username, PASSWORD)
        assert result.status == 200 and result.body == {"accepted": True}
        await rest.login(username, PASSWORD)
        assert rest.access_token and rest.refresh_token and rest.access_expires_at
        assert rest.access_token in redactor and rest.refresh_token in redactor and PASSWORD in redactor
        me = await rest.me()
        assert me.status == 200 and me.body["username"] == username and me.elapsed > 0
        status, body = await rest.get("/guilds")
        assert (status, body) == (200, {"guilds": []})
        with pytest.raises(RestAuthError, match="401"):
            await rest.login(username, "wrong-password-123")


async def test_refresh_rotates_and_replay_revokes_the_session(reference_target: ReferenceTarget) -> None:
    redactor = Redactor()
    username = unique_username("rot")
    async with RestSession(reference_target.rest_url, redactor=redactor) as rest:
        await rest.register(username, PASSWORD)
        await rest.login(username, PASSWORD)
        old_refresh = rest.refresh_token
        await rest.refresh()
        assert rest.refresh_token != old_refresh and rest.access_token
        assert rest.refresh_token.split(".")[0] == old_refresh.split(".")[0]  # same session id
        assert rest.refreshes == 1 and rest.refresh_token in redactor
        # presenting the rotated-away token again is a replay: 401 and the session is revoked
        replay = await rest.request("POST", "/auth/refresh", json={"refresh_token": old_refresh}, auth=False)
        assert replay.status == 401
        with pytest.raises(RestAuthError, match="refresh failed"):
            await rest.refresh()


async def test_401_is_answered_by_one_refresh_and_a_retry(reference_target: ReferenceTarget) -> None:
    async with RestSession(reference_target.rest_url, redactor=Redactor()) as rest:
        username = unique_username("retry")
        await rest.register(username, PASSWORD)
        await rest.login(username, PASSWORD)
        rest.access_token = "v4.local.invalid-token-" + "x" * 40
        results = await asyncio.gather(*(rest.me() for _ in range(5)))
        assert [r.status for r in results] == [200] * 5
        assert rest.refreshes == 1  # concurrent 401s shared one refresh (a second would be a replay)
        # without a refresh token the 401 is returned as is
        rest.refresh_token = None
        rest.access_token = "v4.local.invalid-token-" + "y" * 40
        assert (await rest.me()).status == 401


async def test_logout_then_refresh_fails(reference_target: ReferenceTarget) -> None:
    async with RestSession(reference_target.rest_url, redactor=Redactor()) as rest:
        username = unique_username("logout")
        await rest.register(username, PASSWORD)
        await rest.login(username, PASSWORD)
        refresh = rest.refresh_token
        result = await rest.logout()
        assert result.status == 204 and result.body is None and rest.refresh_token is None
        again = await rest.request("POST", "/auth/refresh", json={"refresh_token": refresh}, auth=False)
        assert again.status == 401
        assert (await rest.me()).status == 200  # issued access tokens stay valid


async def test_rest_unreachable_is_one_line() -> None:
    port = free_port()
    async with RestSession(f"http://127.0.0.1:{port}", redactor=Redactor()) as rest:
        with pytest.raises(TargetUnreachable) as info:
            await rest.get("/health")
    assert str(info.value) == f"cannot reach http://127.0.0.1:{port} (connection refused) for GET /health"


async def test_429_names_the_limiter_variables() -> None:
    require_reference()
    target = ReferenceTarget(config={"auth_route_requests_per_minute": 2})
    await target.start()
    try:
        async with RestSession(target.rest_url, redactor=Redactor()) as rest:
            await rest.register(unique_username("rl"), PASSWORD)
            await rest.register(unique_username("rl"), PASSWORD)
            with pytest.raises(RateLimited) as info:
                await rest.register(unique_username("rl"), PASSWORD)
        message = str(info.value)
        assert "FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE" in message and "POST /auth/register" in message
        assert info.value.result.status == 429
    finally:
        await target.stop()

    # the global limiter answers plain text: the message names FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE
    transport = httpx.MockTransport(lambda request: httpx.Response(429, text="Too Many Requests! Wait for 60s"))
    async with RestSession("http://sut.invalid", redactor=Redactor(), transport=transport) as rest:
        with pytest.raises(RateLimited, match="FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE"):
            await rest.get("/guilds")


# ------------------------------------------------------------------------------------ gateway
async def test_gateway_records_ready_subscribe_and_events(make_client) -> None:
    alice = await make_client("alice")
    seen: list[tuple[str, int]] = []
    alice.on_frame(lambda f: seen.append(("first", f.seq)))
    alice.on_frame(lambda f: seen.append(("second", f.seq)))
    conn = await alice.open_connection()
    assert conn.conn_id == f"{alice.label}/ws0"
    ready = await conn.wait_for("ready")
    assert ready.seq == 0 and ready.data == {"user_id": alice.user_id} and ready.envelope_error is None
    assert conn.user_id == alice.user_id

    guild_id, channel_id = await guild_with_channel(alice)
    ack = await subscribed(conn, guild_id, channel_id)
    await conn.wait_for("voice_participant_sync", since=ack.seq)
    types = [f.event_type for f in conn.frames]
    assert types[:5] == ["ready", "presence_sync", "presence_update", "subscribed", "voice_participant_sync"]

    before = time.monotonic()
    message = await post_message(alice, guild_id, channel_id, "hello **world**")
    frame = await conn.wait_for(lambda f: f.event_type == "message_create" and f.data["message_id"] == message["message_id"])
    assert frame.at >= before and frame.raw.startswith('{"v":1,"t":"message_create","d":')
    assert [f.seq for f in conn.frames] == list(range(len(conn.frames)))
    assert all(a.at <= b.at for a, b in zip(conn.frames, conn.frames[1:]))
    assert seen[:2] == [("first", 0), ("second", 0)] and len(seen) == 2 * len(conn.frames)

    # a second connection of the same client: header auth, its own id, callbacks stay on the primary
    conn2 = await alice.open_connection(auth="header")
    assert conn2.conn_id == f"{alice.label}/ws1"
    await conn2.wait_for("ready")
    assert len(seen) == 2 * len(conn.frames)
    await alice.close()
    assert conn.closed is not None and conn.closed.by == "harness" and conn.closed.code == 1000
    assert conn2.closed is not None and alice.rest.closed


async def test_gateway_rejects_a_bad_token_before_upgrade(reference_target: ReferenceTarget) -> None:
    for auth in ("query", "header"):
        conn = GatewayConnection("bad/ws0", reference_target.gateway_url, "v4.local.not-a-token", auth=auth)
        with pytest.raises(GatewayAuthError, match="401"):
            await conn.open()
    conn = GatewayConnection("none/ws0", reference_target.gateway_url, None, auth="none")
    with pytest.raises(GatewayAuthError):
        await conn.open()


async def test_server_drop_is_recorded_as_1006_by_server(make_client) -> None:
    alice = await make_client("drop")
    conn = await alice.open_connection()
    await conn.wait_for("ready")
    await conn.send("this is not an envelope")
    closed = await conn.wait_closed(5)
    assert (closed.code, closed.by) == (1006, "server")
    with pytest.raises(Exception, match="closed"):
        await conn.wait_for("subscribed", timeout=0.2)


async def test_wait_for_is_bounded(make_client) -> None:
    alice = await make_client("bound")
    conn = await alice.open_connection()
    started = time.monotonic()
    with pytest.raises(GatewayTimeout, match="no matching frame within 0.2s"):
        await conn.wait_for("never_sent", timeout=0.2)
    assert time.monotonic() - started < 5.0  # bounded; 0.2 s plus scheduling on a busy machine


async def test_abort_sends_no_close_frame_to_the_server(make_client, reference_target: ReferenceTarget) -> None:
    # 1) a local WebSocket endpoint sees the peer vanish without a Close frame
    outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(ws: Any) -> None:
        await ws.send('{"v":1,"t":"ready","d":{"user_id":"X"}}')
        try:
            async for _ in ws:
                pass
        except Exception:
            pass
        outcome.set_result(ws.protocol.close_rcvd)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        conn = GatewayConnection("probe/ws0", f"ws://127.0.0.1:{port}/gateway/ws", None, auth="none")
        await conn.open()
        await conn.wait_for("ready")
        closed = await conn.abort()
        assert closed is not None and (closed.code, closed.by) == (1006, "harness")
        assert await asyncio.wait_for(outcome, 5) is None  # no Close frame ever arrived

    # 2) the reference server counts it as connection_closed, not client_close
    before_closed = await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="connection_closed")
    before_client = await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="client_close")
    alice = await make_client("abort")
    conn = await alice.open_connection()
    await conn.wait_for("ready")
    await conn.abort()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="connection_closed") > before_closed:
            break
        await asyncio.sleep(0.02)
    assert await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="connection_closed") == before_closed + 1
    assert await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="client_close") == before_client


async def test_latency_delays_recording_and_keeps_order(make_client) -> None:
    alice = await make_client("lat")
    conn = await alice.open_connection()
    await conn.wait_for("ready")
    guild_id, channel_id = await guild_with_channel(alice)
    await subscribed(conn, guild_id, channel_id)
    conn.set_latency(0.3)
    sent_at = time.monotonic()
    ids = [(await post_message(alice, guild_id, channel_id, f"m{i}"))["message_id"] for i in range(3)]
    first = await conn.wait_for("message_create", timeout=3)
    assert first.at - sent_at >= 0.3
    await conn.wait_for(lambda f: f.event_type == "message_create" and f.data["message_id"] == ids[-1], timeout=3)
    assert [f.data["message_id"] for f in conn.frames_of("message_create")] == ids
    conn.set_latency(0)
    started = time.monotonic()
    mid = (await post_message(alice, guild_id, channel_id, "fast"))["message_id"]
    frame = await conn.wait_for(lambda f: f.event_type == "message_create" and f.data["message_id"] == mid)
    assert frame.at - started < 0.3


async def test_paused_reader_is_closed_as_a_slow_consumer() -> None:
    require_reference()
    target = ReferenceTarget(config={"gateway_outbound_queue": 8})
    await target.start()
    redactor = Redactor()
    alice = SimulatedClient("slow", target, unique_username("slow"), PASSWORD, redactor=redactor)
    try:
        await alice.login(register=True)
        conn = await alice.open_connection()
        await conn.wait_for("ready")
        guild_id, channel_id = await guild_with_channel(alice)
        await subscribed(conn, guild_id, channel_id)
        conn.pause_reading()
        paused_frames = len(conn.frames)
        content = "x" * 1990  # ~4 KB frames (content + markdown tokens)
        posted = 0
        while posted < 600:
            await asyncio.gather(*(post_message(alice, guild_id, channel_id, content) for _ in range(10)))
            posted += 10
            if await metric(target.rest_url, "filament_gateway_events_dropped_total", reason="full_queue"):
                break
        assert len(conn.frames) == paused_frames  # nothing recorded while paused
        assert posted < 600, "the server never saw a full queue: OS buffers absorbed everything"
        conn.resume_reading()
        closed = await conn.wait_closed(10)
        assert (closed.code, closed.reason, closed.by) == (1008, "slow_consumer", "server")
        received = len(conn.frames_of("message_create"))
        assert 0 < received < posted
    finally:
        await alice.close()
        await target.stop()


async def test_restart_invalidates_access_tokens_and_clients_refresh() -> None:
    require_reference()
    target = ReferenceTarget()
    await target.start()
    alice = SimulatedClient("rs", target, unique_username("rs"), PASSWORD, redactor=Redactor())
    try:
        await alice.login(register=True)
        conn = await alice.open_connection()
        await conn.wait_for("ready")
        await target.restart()
        closed = await conn.wait_closed(5)
        assert closed.by == "server"
        # REST: 401 with the old access token → refresh (sessions survive in the database) → retry
        me = await alice.rest.me()
        assert me.status == 200 and alice.rest.refreshes == 1
        alice.rest.access_token = alice.rest.access_token  # unchanged attribute, for clarity
        # gateway: force a stale token, open_connection refreshes after the 401
        await target.restart()
        conn2 = await alice.open_connection()
        assert (await conn2.wait_for("ready")).data == {"user_id": alice.user_id}
        assert alice.rest.refreshes == 2
    finally:
        await alice.close()
        await target.stop()


def test_parse_envelope_is_lenient() -> None:
    assert parse_envelope('{"v":1,"t":"ready","d":{"user_id":"U"}}') == ("ready", {"user_id": "U"}, None)
    assert parse_envelope("nope")[2].startswith("not JSON")
    assert parse_envelope("[1]")[2] == "not a JSON object (got list)"
    assert parse_envelope('{"v":1,"t":"x"}') == ("x", None, "missing member(s): d")
    assert parse_envelope('{"v":2,"t":"x","d":1}')[2] == "v is 2, expected 1"
    assert parse_envelope('{"v":1,"t":"x","d":1,"extra":0}')[2] == "unknown top-level member(s): extra"
