"""The tampering proxy in front of the reference target: faithful when idle, and every rule visibly
changes what a client receives."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from harness.clients.gateway import GatewayAuthError, GatewayConnection
from harness.clients.simulated import SimulatedClient
from harness.targets.proxy import TamperingProxy, TamperRule
from harness.targets.reference import ReferenceTarget

from .test_transport import guild_with_channel, metric, post_message, subscribed

pytestmark = pytest.mark.timeout(60)


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(reference_target: ReferenceTarget) -> AsyncIterator[TamperingProxy]:
    p = TamperingProxy(reference_target)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()
    assert reference_target.alive()  # the proxy does not own its target


async def room(make_client, proxy: TamperingProxy, *labels: str) -> tuple[list[SimulatedClient], list[GatewayConnection], str, str]:
    """The first client creates a public guild with a channel; the others join; all subscribe."""
    clients = [await make_client(label, target=proxy) for label in labels]
    guild_id, channel_id = await guild_with_channel(clients[0])
    for c in clients[1:]:
        status, body = await c.rest.post(f"/guilds/{guild_id}/join")
        assert status == 200, body
    conns = []
    for c in clients:
        conn = await c.open_connection()
        await conn.wait_for("ready")
        ack = await subscribed(conn, guild_id, channel_id)
        await conn.wait_for("voice_participant_sync", since=ack.seq)  # the last frame of a subscribe
        conns.append(conn)
    return clients, conns, guild_id, channel_id


def message_ids(conn: GatewayConnection) -> list[str]:
    return [f.data["message_id"] for f in conn.frames_of("message_create")]


async def until_message(conn: GatewayConnection, message_id: str, timeout: float = 3.0):
    return await conn.wait_for(
        lambda f: f.event_type == "message_create" and isinstance(f.data, dict) and f.data.get("message_id") == message_id,
        timeout=timeout,
    )


# ------------------------------------------------------------------------------------ faithful
async def test_idle_proxy_is_transparent(make_client, proxy: TamperingProxy, reference_target: ReferenceTarget) -> None:
    assert proxy.rest_url.startswith("http://127.0.0.1:") and proxy.rest_url != reference_target.rest_url
    assert proxy.gateway_url == proxy.rest_url.replace("http://", "ws://") + "/gateway/ws"
    async with httpx.AsyncClient(trust_env=False) as http:
        health = await http.get(f"{proxy.rest_url}/health")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        missing = await http.get(f"{proxy.rest_url}/no/such/route")
        assert missing.status_code == 404
        bad = await http.post(f"{proxy.rest_url}/auth/login", content=b"{", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400
    (alice,), (conn,), guild_id, channel_id = await room(make_client, proxy, "alice")
    assert [f.event_type for f in conn.frames][:5] == [
        "ready", "presence_sync", "presence_update", "subscribed", "voice_participant_sync"
    ]
    m = await post_message(alice, guild_id, channel_id, "through the proxy")
    frame = await until_message(conn, m["message_id"])
    assert frame.data["content"] == "through the proxy"
    # percent-encoded path segments survive the proxy (emoji and an encoded slash)
    base = f"/guilds/{guild_id}/channels/{channel_id}/messages/{m['message_id']}/reactions"
    for encoded, emoji in (("%F0%9F%91%8D", "\N{THUMBS UP SIGN}"), ("a%2Fb", "a/b")):
        result = await alice.rest.request("POST", f"{base}/{encoded}")
        assert result.status == 200 and result.body["emoji"] == emoji, result
    assert proxy.tampered == []


async def test_proxy_passes_the_401_before_upgrade(proxy: TamperingProxy) -> None:
    conn = GatewayConnection("bad/ws0", proxy.gateway_url, "v4.local.not-a-token")
    with pytest.raises(GatewayAuthError, match="401"):
        await conn.open()


async def test_proxy_mirrors_ends_of_connections(make_client, proxy: TamperingProxy, reference_target: ReferenceTarget) -> None:
    alice = await make_client("ends", target=proxy)
    # server drops (invalid envelope → no Close frame) → the client sees a drop too
    conn = await alice.open_connection()
    await conn.wait_for("ready")
    await conn.send("garbage")
    closed = await conn.wait_closed(5)
    assert (closed.code, closed.by) == (1006, "server")
    # client closes → forwarded; the server's echo comes back
    conn = await alice.open_connection()
    await conn.wait_for("ready")
    closed = await conn.close()
    assert closed is not None and (closed.code, closed.by) == (1000, "harness")
    # client drops → the proxy drops upstream (the server counts connection_closed)
    before = await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="connection_closed")
    conn = await alice.open_connection()
    await conn.wait_for("ready")
    await conn.abort()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="connection_closed") > before:
            break
        await asyncio.sleep(0.02)
    assert await metric(reference_target.rest_url, "filament_ws_disconnects_total", reason="connection_closed") == before + 1


async def test_proxy_mirrors_how_the_server_ends_connections_on_restart(make_client) -> None:
    inner = ReferenceTarget()
    proxy = TamperingProxy(inner, owns_inner=True)
    await proxy.start()
    try:
        assert proxy.supports_restart
        alice = await make_client("closeframe", target=proxy)
        proxied = await alice.open_connection()
        direct = await GatewayConnection("direct/ws0", inner.gateway_url, alice.rest.access_token).open()
        await proxied.wait_for("ready")
        await direct.wait_for("ready")
        await proxy.restart()
        seen_direct = await direct.wait_closed(5)
        seen_proxied = await proxied.wait_closed(5)
        assert seen_proxied.by == seen_direct.by == "server"
        assert (seen_proxied.code, seen_proxied.reason) == (seen_direct.code, seen_direct.reason)
        conn2 = await alice.open_connection()  # 401 on the new server's keys → refresh → reconnect
        await conn2.wait_for("ready")
    finally:
        await proxy.stop()
    assert not inner.alive()


# ------------------------------------------------------------------------------------ rules
async def test_drop_rule(make_client, proxy: TamperingProxy) -> None:
    (alice,), (conn,), guild_id, channel_id = await room(make_client, proxy, "drop")
    proxy.set_rules([TamperRule.drop("message_create", nth=1)])
    first = await post_message(alice, guild_id, channel_id, "dropped")
    second = await post_message(alice, guild_id, channel_id, "kept")
    await until_message(conn, second["message_id"])
    assert message_ids(conn) == [second["message_id"]]
    assert first["message_id"] not in message_ids(conn)
    assert [(e.action, e.event_type) for e in proxy.tampered] == [("drop", "message_create")]


async def test_duplicate_rule(make_client, proxy: TamperingProxy) -> None:
    (alice,), (conn,), guild_id, channel_id = await room(make_client, proxy, "dup")
    proxy.set_rules([TamperRule.duplicate("message_create")])
    m = await post_message(alice, guild_id, channel_id, "twice")
    first = await until_message(conn, m["message_id"])
    second = await conn.wait_for(lambda f: f.event_type == "message_create", since=first.seq + 1)
    assert first.raw == second.raw and second.seq == first.seq + 1


async def test_alter_rule(make_client, proxy: TamperingProxy) -> None:
    (alice,), (conn,), guild_id, channel_id = await room(make_client, proxy, "alter")
    proxy.set_rules([TamperRule.alter("message_create", "content", "tampered")])
    m = await post_message(alice, guild_id, channel_id, "original")
    frame = await until_message(conn, m["message_id"])
    assert frame.data["content"] == "tampered" and frame.envelope_error is None
    assert frame.data["author_id"] == alice.user_id  # the rest of d is untouched


async def test_broadcast_rule_leaks_to_an_unrelated_user(make_client, proxy: TamperingProxy) -> None:
    (alice,), (a_conn,), guild_id, channel_id = await room(make_client, proxy, "owner")
    (bob,), (b_conn,), _, _ = await room(make_client, proxy, "stranger")  # his own guild, unrelated
    proxy.set_rules([TamperRule.broadcast("message_create", user_id=alice.user_id)])
    m = await post_message(alice, guild_id, channel_id, "secret plans")
    await until_message(a_conn, m["message_id"])
    leaked = await until_message(b_conn, m["message_id"])
    assert leaked.data["content"] == "secret plans" and leaked.data["guild_id"] == guild_id
    assert b_conn.user_id == bob.user_id != alice.user_id


async def test_rules_scoped_to_one_user(make_client, proxy: TamperingProxy) -> None:
    (alice, bob), (a_conn, b_conn), guild_id, channel_id = await room(make_client, proxy, "scope_a", "scope_b")
    proxy.set_rules([TamperRule.drop("message_create", user_id=bob.user_id)])
    m1 = await post_message(alice, guild_id, channel_id, "only alice sees this")
    await until_message(a_conn, m1["message_id"])
    proxy.clear_rules()
    m2 = await post_message(alice, guild_id, channel_id, "both see this")
    await until_message(b_conn, m2["message_id"])
    assert message_ids(b_conn) == [m2["message_id"]]
    assert message_ids(a_conn) == [m1["message_id"], m2["message_id"]]


async def test_delay_rule(make_client, proxy: TamperingProxy) -> None:
    (alice,), (conn,), guild_id, channel_id = await room(make_client, proxy, "delay")
    proxy.set_rules([TamperRule.delay("message_create", 0.4, nth=1)])
    started = time.monotonic()
    m1 = await post_message(alice, guild_id, channel_id, "late")
    m2 = await post_message(alice, guild_id, channel_id, "queued behind")
    f1 = await until_message(conn, m1["message_id"])
    f2 = await until_message(conn, m2["message_id"])
    assert f1.at - started >= 0.4
    assert f2.seq > f1.seq  # FIFO: later frames wait behind the delayed one


async def test_swap_next_rule_reorders(make_client, proxy: TamperingProxy) -> None:
    (alice,), (conn,), guild_id, channel_id = await room(make_client, proxy, "swap")
    proxy.set_rules([TamperRule.swap_next("message_create", nth=1)])
    m1 = await post_message(alice, guild_id, channel_id, "first")
    m2 = await post_message(alice, guild_id, channel_id, "second")
    await until_message(conn, m1["message_id"])
    assert message_ids(conn) == [m2["message_id"], m1["message_id"]]


def test_rule_validation() -> None:
    with pytest.raises(ValueError):
        TamperRule("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TamperRule("alter", "message_create")
    with pytest.raises(ValueError):
        TamperRule.drop("message_create", nth=0)
    assert TamperRule.alter("message_create", "content", "x", nth=2).describe() == "alter message_create #2 d.content='x'"


async def test_inject_delivers_a_frame_the_server_never_sent_to_one_users_connections(
        make_client, proxy: TamperingProxy) -> None:
    (alice, bob), (a_conn, b_conn), guild_id, channel_id = await room(make_client, proxy, "inject_a", "inject_b")
    assert proxy.inject('{"v":1,"t":"future_event","d":{"x":1}}', user_id=bob.user_id) == 1
    await b_conn.wait_for("future_event")
    m1 = await post_message(alice, guild_id, channel_id, "after the injected frame")
    await until_message(a_conn, m1["message_id"])
    await until_message(b_conn, m1["message_id"])
    assert not a_conn.frames_of("future_event")  # only bob's connection got it
