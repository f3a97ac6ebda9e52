"""Gateway connection, envelope, commands, limits and disconnects (GATEWAY.md §1–§3, §9, §11)."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from .helpers import Api, is_ulid, world

DISCONNECTS = "filament_ws_disconnects_total"
PARSE = "filament_gateway_events_parse_rejected_total"


def stalled_socket(api: Api) -> socket.socket:
    """A client socket with a tiny receive buffer, so a reader that stops reading stalls the server fast."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    port = int(api.base_url.rsplit(":", 1)[1])
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def ws_url(api: Api, query: str = "") -> str:
    return api.base_url.replace("http://", "ws://") + "/gateway/ws" + query


async def handshake_status(url: str, **kwargs) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as info:
        await websockets.connect(url, open_timeout=5, **kwargs)
    return info.value.response.status_code, info.value.response.body


# -- handshake -------------------------------------------------------------------------------------


async def test_query_token_and_bearer_header_both_authenticate(server, api: Api) -> None:
    alice = await api.user()
    gw = await server.gw(alice)  # ?access_token=
    assert gw.frames[0].raw == '{"v":1,"t":"ready","d":{"user_id":"%s"}}' % alice.user_id
    ws = await websockets.connect(ws_url(api), additional_headers=alice.h, open_timeout=5)
    assert json.loads(await ws.recv()) == {"v": 1, "t": "ready", "d": {"user_id": alice.user_id}}
    await ws.close()


async def test_missing_or_bad_token_is_401_json_with_metric(api: Api) -> None:
    alice = await api.user()
    before = await api.metric("filament_auth_failures_total", reason="unauthorized")
    assert await handshake_status(ws_url(api)) == (401, b'{"error":"invalid_credentials"}')
    assert (await handshake_status(ws_url(api, "?access_token=nope")))[0] == 401
    # a present-but-empty query parameter wins over a valid header
    assert (await handshake_status(ws_url(api, "?access_token="), additional_headers=alice.h))[0] == 401
    assert (await handshake_status(ws_url(api), additional_headers={"Authorization": "bearer " + alice.token}))[0] == 401
    assert await api.metric("filament_auth_failures_total", reason="unauthorized") == before + 4


async def test_duplicate_token_param_is_400_and_other_methods_405(api: Api) -> None:
    alice = await api.user()
    status, _ = await handshake_status(ws_url(api, f"?access_token={alice.token}&access_token={alice.token}"))
    assert status == 400
    assert (await api.req("POST", "/gateway/ws")).status_code == 405
    assert (await api.req("GET", "/gateway/ws", alice)).status_code == 400  # not an upgrade request
    assert (await api.req("GET", "/api/gateway/ws", alice)).status_code == 404  # gateway is not under /api


async def test_ping_right_after_ready_and_periodically(start_server) -> None:
    server = await start_server(gateway_ping_interval_secs=0.2)
    alice = await server.api.user()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(ws_url(server.api, f"?access_token={alice.token}"), autoping=False) as ws:
            first = await ws.receive(timeout=3)
            assert first.type == aiohttp.WSMsgType.TEXT and json.loads(first.data)["t"] == "ready"
            kinds = [(await ws.receive(timeout=3)).type for _ in range(3)]
            assert kinds == [aiohttp.WSMsgType.PING] * 3


# -- subscribe -------------------------------------------------------------------------------------


async def test_subscribe_sequence_first_and_repeat(server, api: Api) -> None:
    w = await world(api)
    second = await api.channel(w.owner, w.guild_id, "second")
    gw = await server.gw(w.owner)
    first = await gw.subscribe(w.guild_id, w.channel_id)
    assert [f.t for f in first] == ["presence_sync", "presence_update", "subscribed", "voice_participant_sync"]
    sync, update, ack, voice = (f.d for f in first)
    assert sync == {"guild_id": w.guild_id, "user_ids": [w.owner.user_id]}
    assert update == {"guild_id": w.guild_id, "status": "online", "user_id": w.owner.user_id}
    assert ack == {"channel_id": w.channel_id, "guild_id": w.guild_id}
    assert set(voice) == {"channel_id", "guild_id", "participants", "synced_at_unix"} and voice["participants"] == []
    again = await gw.subscribe(w.guild_id, second)
    assert [f.t for f in again] == ["presence_sync", "subscribed", "voice_participant_sync"]
    assert await api.metric("filament_voice_sync_repairs_total", reason="subscribe") == 2
    assert await api.metric("filament_gateway_events_emitted_total", scope="connection", event_type="subscribed") == 2


async def test_unauthorised_subscribe_is_silently_ignored(server, api: Api) -> None:
    w = await world(api)
    outsider = await api.user("out")
    own_guild = await api.guild(outsider)
    own_channel = await api.channel(outsider, own_guild)
    gw = await server.gw(outsider)
    await gw.send("subscribe", {"guild_id": w.guild_id, "channel_id": w.channel_id})  # not a member
    await gw.send("subscribe", {"guild_id": w.guild_id.lower(), "channel_id": w.channel_id.lower()})  # non-canonical
    await gw.send("subscribe", {"guild_id": own_guild, "channel_id": w.channel_id})  # channel of another guild
    frames = await gw.subscribe(own_guild, own_channel)  # still connected, next valid subscribe works
    assert frames[0].t == "presence_sync" and frames[0].d["guild_id"] == own_guild
    await api.message(w.owner, w.guild_id, w.channel_id)
    await gw.quiet()


@pytest.mark.parametrize(
    "d",
    [
        {"guild_id": "not-a-ulid", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "x": 1},
        {"guild_id": 5, "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        None,
    ],
)
async def test_invalid_subscribe_payload_disconnects(server, api: Api, d) -> None:
    alice = await api.user()
    gw = await server.gw(alice)
    before = await api.metric(PARSE, scope="ingress", reason="invalid_subscribe_payload")
    await gw.send("subscribe", d)
    closed = await gw.closed()
    assert closed.rcvd is None  # dropped without a Close frame
    assert await api.metric(PARSE, scope="ingress", reason="invalid_subscribe_payload") == before + 1
    assert await api.metric(DISCONNECTS, reason="invalid_subscribe_payload") == before + 1


# -- envelope --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "not-json",
        '{"v":99,"t":"subscribe","d":{}}',
        '{"v":1,"t":"subscribe","d":{},"x":1}',
        '{"v":1,"t":"bad-name","d":{}}',
        '{"v":1,"t":"subscribe"}',
        '{"v":1.0,"t":"subscribe","d":{}}',
        '{"v":true,"t":"subscribe","d":{}}',
        '{"v":1,"v":1,"t":"subscribe","d":{}}',
        '{"v":1,"t":"Subscribe","d":{}}',
        '[1,"subscribe",{}]',
        '{"v":1,"t":"subscribe","d":{}} trailing',
    ],
)
async def test_invalid_envelope_disconnects_without_close_frame(server, api: Api, raw: str) -> None:
    alice = await api.user()
    gw = await server.gw(alice)
    before = await api.metric(PARSE, scope="ingress", reason="invalid_envelope")
    await gw.ws.send(raw)
    closed = await gw.closed()
    assert closed.rcvd is None
    assert await api.metric(PARSE, scope="ingress", reason="invalid_envelope") == before + 1
    assert await api.metric(DISCONNECTS, reason="invalid_envelope") == before + 1


@pytest.mark.parametrize("t", ["unknown_ingress_event", "presence_sync", "ready"])
async def test_unknown_event_disconnects(server, api: Api, t: str) -> None:
    alice = await api.user()
    gw = await server.gw(alice)
    await gw.send(t, {})
    assert (await gw.closed()).rcvd is None
    assert await api.metric("filament_gateway_events_unknown_received_total", scope="ingress", event_type=t) == 1
    assert await api.metric(DISCONNECTS, reason="unknown_event") >= 1


async def test_envelope_accepts_whitespace_extra_d_members_and_binary_frames(server, api: Api) -> None:
    w = await world(api)
    gw = await server.gw(w.owner)
    frame = json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": w.guild_id, "channel_id": w.channel_id}})
    await gw.ws.send(("  " + frame + "\n").encode())  # binary frame, surrounding whitespace
    assert (await gw.next()).t == "presence_sync"


# -- message_create command ------------------------------------------------------------------------


async def test_gateway_message_create_broadcasts_to_subscribers_only(server, api: Api) -> None:
    w = await world(api)
    listener = await server.gw(w.member)
    await listener.subscribe(w.guild_id, w.channel_id)
    sender = await server.gw(w.owner)  # not subscribed: sees nothing of its own message
    await sender.send("message_create", {"guild_id": w.guild_id, "channel_id": w.channel_id, "content": "via gw"})
    got = await listener.expect("message_create")
    assert got["content"] == "via gw" and got["author_id"] == w.owner.user_id and is_ulid(got["message_id"])
    await sender.quiet()
    history = await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.owner)
    assert history["messages"][0]["message_id"] == got["message_id"]


@pytest.mark.parametrize(
    "d",
    [
        {"guild_id": "nope", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "content": "x"},
        {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "content": "x" * 2001},
        {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "content": ""},
        {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "content": "x",
         "attachment_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"] * 6},
        {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "content": "x", "y": 1},
        {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
    ],
)
async def test_invalid_message_create_payload_disconnects(server, api: Api, d) -> None:
    alice = await api.user()
    gw = await server.gw(alice)
    await gw.send("message_create", d)
    assert (await gw.closed()).rcvd is None
    assert await api.metric(PARSE, scope="ingress", reason="invalid_message_create_payload") == 1
    assert await api.metric(DISCONNECTS, reason="invalid_message_create_payload") == 1


async def test_rejected_gateway_message_disconnects(server, api: Api) -> None:
    w = await world(api)
    outsider = await api.user("out")
    gw = await server.gw(outsider)
    await gw.send("message_create", {"guild_id": w.guild_id, "channel_id": w.channel_id, "content": "let me in"})
    assert (await gw.closed()).rcvd is None
    assert await api.metric(DISCONNECTS, reason="message_rejected") == 1


# -- limits ----------------------------------------------------------------------------------------


async def test_ingress_rate_limit_counts_every_frame(start_server) -> None:
    server = await start_server(gateway_ingress_events_per_window=3, gateway_ingress_window_secs=60)
    api = server.api
    w = await world(api)
    gw = await server.gw(w.owner)
    for _ in range(3):
        await gw.subscribe(w.guild_id, w.channel_id)
    await gw.send("subscribe", {"guild_id": w.guild_id, "channel_id": w.channel_id})
    assert (await gw.closed()).rcvd is None
    assert await api.metric(DISCONNECTS, reason="ingress_rate_limited") == 1
    assert await api.metric(PARSE, scope="ingress", reason="invalid_envelope") == 0


async def test_ingress_window_slides(start_server) -> None:
    server = await start_server(gateway_ingress_events_per_window=2, gateway_ingress_window_secs=0.3)
    w = await world(server.api)
    gw = await server.gw(w.owner)
    for _ in range(2):
        await gw.subscribe(w.guild_id, w.channel_id)
    await asyncio.sleep(0.35)  # the window itself is what is under test
    await gw.subscribe(w.guild_id, w.channel_id)


async def test_ingress_event_too_large(start_server) -> None:
    server = await start_server(max_gateway_event_bytes=200)
    api = server.api
    w = await world(api)
    gw = await server.gw(w.owner)
    frame = json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": w.guild_id, "channel_id": w.channel_id}})
    await gw.ws.send(frame + " " * (200 - len(frame)))  # exactly the limit is allowed
    assert (await gw.next()).t == "presence_sync"
    for _ in range(3):
        await gw.next()
    await gw.ws.send(frame + " " * (201 - len(frame)))
    assert (await gw.closed()).rcvd is None
    gw2 = await server.gw(w.owner)
    await gw2.ws.send(b"x" * 201)  # binary frames too
    assert (await gw2.closed()).rcvd is None
    assert await api.metric(DISCONNECTS, reason="event_too_large") == 2
    assert await api.metric(PARSE, scope="ingress", reason="invalid_envelope") == 0


async def test_oversized_outbound_dropped_for_everyone_and_counted_once(start_server) -> None:
    server = await start_server(max_gateway_event_bytes=200)
    api = server.api
    w = await world(api)
    owner_gw, owner_gw2 = await server.gw(w.owner), await server.gw(w.owner)
    await owner_gw.subscribe(w.guild_id, w.channel_id)
    await owner_gw2.subscribe(w.guild_id, w.channel_id)
    await api.message(w.owner, w.guild_id, w.channel_id, "x" * 180)  # REST still succeeds
    # barrier: another member's first subscribe broadcasts a small presence_update to the guild
    member_gw = await server.gw(w.member)
    await member_gw.subscribe(w.guild_id, w.channel_id)
    for gw in (owner_gw, owner_gw2):
        frame = await gw.next()
        assert frame.t == "presence_update" and frame.d["user_id"] == w.member.user_id
    assert await api.metric("filament_gateway_events_dropped_total", scope="channel", event_type="message_create",
                            reason="oversized_outbound") == 1


async def test_normal_events_flow_with_400_byte_limit(start_server) -> None:
    server = await start_server(max_gateway_event_bytes=400)
    w = await world(server.api)
    gw = await server.gw(w.owner)
    await gw.subscribe(w.guild_id, w.channel_id)
    await server.api.message(w.owner, w.guild_id, w.channel_id, "hi")
    assert (await gw.expect("message_create"))["content"] == "hi"


async def test_slow_consumer_with_stalled_reader_gets_close_1008(start_server) -> None:
    server = await start_server(gateway_outbound_queue=4)
    api = server.api
    w = await world(api)
    stalled = await server.gw(w.member, max_queue=1, sock=stalled_socket(api))
    await stalled.subscribe(w.guild_id, w.channel_id)
    dropped = ("filament_gateway_events_dropped_total", "channel", "message_create", "full_queue")
    for _ in range(2000):
        await api.message(w.owner, w.guild_id, w.channel_id, "y" * 1900)
        if server.state.metrics.value(dropped[0], *dropped[1:]):
            break
    else:
        pytest.fail("the outbound queue never filled")
    closed = await stalled.closed(timeout=10)
    assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == (1008, "slow_consumer")
    assert await api.metric(DISCONNECTS, reason="slow_consumer") == 1
    assert await api.metric(*dropped[:1], scope="channel", event_type="message_create", reason="full_queue") == 1
    # pruned: later events are neither dropped again nor counted for it
    await api.message(w.owner, w.guild_id, w.channel_id, "after")
    assert await api.metric(*dropped[:1], scope="channel", event_type="message_create", reason="full_queue") == 1
    assert await api.metric(DISCONNECTS, reason="slow_consumer") == 1


async def test_slow_consumer_on_user_scope_fanout(start_server) -> None:
    server = await start_server(gateway_outbound_queue=4)
    api = server.api
    alice = await api.user()
    stalled = await server.gw(alice, max_queue=1, sock=stalled_socket(api))
    watcher = await api.user()
    await api.befriend(alice, watcher)
    await stalled.next(), await stalled.next()  # friend_request_create, friend_request_update
    metrics = server.state.metrics
    for index in range(2000):  # alice's own profile updates fill her stalled connection's queue
        await api.ok("PATCH", "/users/me/profile", alice, json={"about_markdown": f"{index} " + "z" * 2000})
        if metrics.value("filament_gateway_events_dropped_total", "user", "profile_update", "full_queue"):
            break
    closed = await stalled.closed(timeout=10)
    assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == (1008, "slow_consumer")
    # pruned from the user registry: it no longer receives user fanout
    before = metrics.value("filament_gateway_events_dropped_total", "user", "profile_update", "full_queue")
    await api.ok("PATCH", "/users/me/profile", alice, json={"about_markdown": "after"})
    assert metrics.value("filament_gateway_events_dropped_total", "user", "profile_update", "full_queue") == before


async def test_queue_of_one_overflows_during_a_fanout(start_server) -> None:
    server = await start_server(gateway_outbound_queue=1)
    api = server.api
    w = await world(api)
    gw = await server.gw(w.owner)
    # presence_sync fills the queue, the presence_update fanout then finds it full
    await gw.send("subscribe", {"guild_id": w.guild_id, "channel_id": w.channel_id})
    closed = await gw.closed()
    assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == (1008, "slow_consumer")
    assert await api.metric("filament_gateway_events_dropped_total", scope="guild", event_type="presence_update",
                            reason="full_queue") == 1


# -- endings ---------------------------------------------------------------------------------------


async def test_client_close_is_counted_and_dead_listeners_do_not_block(server, api: Api) -> None:
    w = await world(api)
    gw = await server.gw(w.owner)
    await gw.subscribe(w.guild_id, w.channel_id)
    await gw.close()
    for _ in range(50):
        if await api.metric(DISCONNECTS, reason="client_close") == 1:
            break
        await asyncio.sleep(0.02)
    assert await api.metric(DISCONNECTS, reason="client_close") == 1
    await api.message(w.owner, w.guild_id, w.channel_id)


async def test_ip_banned_connection_is_dropped_on_subscribe_and_message_create(start_server) -> None:
    server = await start_server(trusted_proxy_cidrs=["127.0.0.1"])
    api = server.api
    owner = await api.user("own")
    guild_id = await api.guild(owner, visibility="public")
    channel_id = await api.channel(owner, guild_id)
    troll = await api.user("troll")
    xff = {"X-Forwarded-For": "203.0.113.7"}
    await api.ok("POST", f"/guilds/{guild_id}/join", troll, headers=xff)
    await api.ok("POST", f"/guilds/{guild_id}/ip-bans/by-user", owner, json={"target_user_id": troll.user_id})
    for command in ("subscribe", "message_create"):
        gw = await server.gw(troll, additional_headers=xff)
        d = {"guild_id": guild_id, "channel_id": channel_id}
        await gw.send(command, d if command == "subscribe" else {**d, "content": "hi"})
        assert (await gw.closed()).rcvd is None
    assert await api.metric(DISCONNECTS, reason="ip_banned") == 2
    audit = await api.ok("GET", f"/guilds/{guild_id}/audit?action_prefix=moderation.ip_ban.hit", owner)
    assert len(audit["events"]) == 2 and all(e["ip_ban_match"] for e in audit["events"])
    # connections from another address are unaffected
    gw = await server.gw(troll, additional_headers={"X-Forwarded-For": "198.51.100.1"})
    await gw.subscribe(guild_id, channel_id)


# -- presence --------------------------------------------------------------------------------------


async def test_presence_online_offline_and_snapshots(server, api: Api) -> None:
    w = await world(api)
    other_guild = await api.guild(w.owner, "Other")
    other_channel = await api.channel(w.owner, other_guild)
    owner_gw = await server.gw(w.owner)
    await owner_gw.subscribe(w.guild_id, w.channel_id)
    elsewhere = await server.gw(w.owner)
    await elsewhere.subscribe(other_guild, other_channel)
    member_a = await server.gw(w.member)
    frames = await member_a.subscribe(w.guild_id, w.channel_id)
    assert sorted(frames[0].d["user_ids"]) == sorted([w.owner.user_id, w.member.user_id])
    assert await owner_gw.expect("presence_update") == {"guild_id": w.guild_id, "status": "online", "user_id": w.member.user_id}
    member_b = await server.gw(w.member)  # a second connection is not an online transition
    assert [f.t for f in await member_b.subscribe(w.guild_id, w.channel_id)] == [
        "presence_sync", "subscribed", "voice_participant_sync"]
    await member_a.close()  # still online through member_b
    await owner_gw.quiet()
    await member_b.close()
    assert await owner_gw.expect("presence_update") == {"guild_id": w.guild_id, "status": "offline", "user_id": w.member.user_id}
    await elsewhere.quiet()  # the guild-B-only socket never saw guild A presence
