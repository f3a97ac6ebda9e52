"""Planted faults: each switch changes exactly the behaviour it names (faults.py)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from harness.reference.server.faults import FaultSet, UnknownFault, catalogue

from .helpers import world


def test_catalogue_and_validation() -> None:
    names = [f.name for f in catalogue()]
    assert len(names) == len(set(names))
    with pytest.raises(UnknownFault):
        FaultSet(["suppress:not_an_event"])
    assert FaultSet(["web.edit_not_applied", "server.duplicate_message_create"]).web_faults() == ["web.edit_not_applied"]


async def _setup(start_server, fault: str):
    server = await start_server(faults=[fault])
    w = await world(server.api)
    return server, server.api, w


async def test_suppress_event_type(start_server) -> None:
    server, api, w = await _setup(start_server, "suppress:message_create")
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    await api.message(w.owner, w.guild_id, w.channel_id)  # REST works, no event
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "still emitted"})
    assert [f.t for f in await gw.drain()] == ["workspace_update"]


async def test_channel_events_skip_access_check(start_server) -> None:
    server, api, w = await _setup(start_server, "server.channel_events_skip_access_check")
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/kick", w.owner)
    await gw.expect("workspace_member_remove")
    await api.message(w.owner, w.guild_id, w.channel_id, "leaked")
    assert (await gw.expect("message_create"))["content"] == "leaked"


async def test_guild_events_to_removed_members(start_server) -> None:
    server, api, w = await _setup(start_server, "server.guild_events_to_removed_members")
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/kick", w.owner)
    await gw.expect("workspace_member_remove")
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "leaked"})
    assert (await gw.expect("workspace_update"))["updated_fields"] == {"name": "leaked"}


async def test_ip_ban_sync_to_all_members_and_leaking_ip(start_server) -> None:
    server = await start_server(faults=["server.ip_ban_sync_to_all_members", "server.ip_ban_sync_leaks_ip"],
                                trusted_proxy_cidrs=["127.0.0.1"])
    api = server.api
    w = await world(api)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    troll = await api.user()
    await api.ok("POST", f"/guilds/{w.guild_id}/join", troll, headers={"X-Forwarded-For": "203.0.113.77"})
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    await api.ok("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.owner, json={"target_user_id": troll.user_id})
    sync = await gw.expect("workspace_ip_ban_sync")
    assert sync["summary"]["ip"] == "203.0.113.77/32"


async def test_profile_update_to_everyone(start_server) -> None:
    server = await start_server(faults=["server.profile_update_to_everyone"])
    api = server.api
    alice, stranger = await api.user(), await api.user()
    gw = await server.gw(stranger)
    await api.ok("PATCH", "/users/me/profile", alice, json={"about_markdown": "leak"})
    assert (await gw.expect("profile_update"))["user_id"] == alice.user_id


async def test_duplicate_message_create(start_server) -> None:
    server, api, w = await _setup(start_server, "server.duplicate_message_create")
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    sent = await api.message(w.owner, w.guild_id, w.channel_id)
    assert [(f.t, f.d["message_id"]) for f in await gw.drain()] == [("message_create", sent["message_id"])] * 2


async def test_ban_events_swapped(start_server) -> None:
    server, api, w = await _setup(start_server, "server.ban_events_swapped")
    gw = await server.gw(w.owner)
    await gw.subscribe(w.guild_id, w.channel_id)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/ban", w.owner)
    assert [f.t for f in await gw.drain()] == ["workspace_member_remove", "workspace_member_ban"]


async def test_no_slow_consumer_close(start_server) -> None:
    server = await start_server(faults=["server.no_slow_consumer_close"], gateway_outbound_queue=4)
    api = server.api
    w = await world(api)
    stalled = await server.gw(w.member, max_queue=1)
    await stalled.subscribe(w.guild_id, w.channel_id)
    metrics = server.state.metrics
    for _ in range(2000):
        await api.message(w.owner, w.guild_id, w.channel_id, "y" * 1900)
        if metrics.value("filament_gateway_events_dropped_total", "channel", "message_create", "full_queue"):
            break
    while True:  # read the backlog until the server's queue has drained
        try:
            await stalled.next(timeout=0.5)
        except TimeoutError:
            break
    await stalled.drain()  # the connection survives: events were silently lost instead
    await api.message(w.owner, w.guild_id, w.channel_id, "still here")
    assert (await stalled.expect("message_create"))["content"] == "still here"
    assert await api.metric("filament_ws_disconnects_total", reason="slow_consumer") == 0


@pytest.mark.parametrize("fault,check", [
    ("server.legacy_reaction_payload", lambda d: "operation" not in d and "actor_user_id" not in d and d["count"] == 1),
    ("server.reaction_count_as_string", lambda d: d["count"] == "1"),
])
async def test_reaction_payload_faults(start_server, fault, check) -> None:
    server, api, w = await _setup(start_server, fault)
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    sent = await api.message(w.owner, w.guild_id, w.channel_id)
    await gw.expect("message_create")
    await api.ok("POST", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages/{sent['message_id']}/reactions/{quote('x')}", w.owner)
    assert check(await gw.expect("message_reaction"))


async def test_message_update_stale_content(start_server) -> None:
    server, api, w = await _setup(start_server, "server.message_update_stale_content")
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    sent = await api.message(w.owner, w.guild_id, w.channel_id, "old")
    await gw.expect("message_create")
    await api.ok("PATCH", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages/{sent['message_id']}", w.owner,
                 json={"content": "new"})
    assert (await gw.expect("message_update"))["updated_fields"]["content"] == "old"


async def test_profile_update_missing_tokens(start_server) -> None:
    server = await start_server(faults=["server.profile_update_missing_tokens"])
    alice = await server.api.user()
    gw = await server.gw(alice)
    await server.api.ok("PATCH", "/users/me/profile", alice, json={"about_markdown": "x"})
    assert set((await gw.expect("profile_update"))["updated_fields"]) == {"about_markdown"}


async def test_friend_update_same_copy(start_server) -> None:
    server = await start_server(faults=["server.friend_update_same_copy"])
    api = server.api
    alice, bob = await api.user(), await api.user()
    gw = await server.gw(alice)
    await api.befriend(alice, bob)
    await gw.expect("friend_request_create")
    assert (await gw.expect("friend_request_update"))["user_id"] == bob.user_id  # alice got bob's copy


async def test_noop_workspace_patch_emits(start_server) -> None:
    server, api, w = await _setup(start_server, "server.noop_workspace_patch_emits")
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, w.channel_id)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "Lab", "visibility": "private"})
    assert (await gw.expect("workspace_update"))["updated_fields"] == {"name": "Lab", "visibility": "private"}


async def test_channel_events_to_guild(start_server) -> None:
    server, api, w = await _setup(start_server, "server.channel_events_to_guild")
    random_id = await api.channel(w.owner, w.guild_id, "random")
    gw = await server.gw(w.member)
    await gw.subscribe(w.guild_id, random_id)  # listens to #random only
    sent = await api.message(w.owner, w.guild_id, w.channel_id, "for #general only")
    assert (await gw.expect("message_create"))["message_id"] == sent["message_id"]


async def test_friend_events_to_everyone(start_server) -> None:
    server = await start_server(faults=["server.friend_events_to_everyone"])
    api = server.api
    alice, bob, bystander = await api.user(), await api.user(), await api.user()
    gw = await server.gw(bystander)
    await api.ok("POST", "/friends/requests", alice, json={"recipient_user_id": bob.user_id})
    assert (await gw.expect("friend_request_create"))["sender_user_id"] == alice.user_id


async def test_without_the_faults_neither_leaks(start_server) -> None:
    """The two switches above change only what they name: a clean server keeps both audiences."""
    server = await start_server()
    api = server.api
    w = await world(api)
    random_id = await api.channel(w.owner, w.guild_id, "random")
    bystander, bob = await api.user(), await api.user()
    member_gw, bystander_gw = await server.gw(w.member), await server.gw(bystander)
    await member_gw.subscribe(w.guild_id, random_id)
    await api.message(w.owner, w.guild_id, w.channel_id, "for #general only")
    await api.ok("POST", "/friends/requests", w.owner, json={"recipient_user_id": bob.user_id})
    assert [f.t for f in await member_gw.drain()] == []
    assert [f.t for f in await bystander_gw.drain()] == []
