"""Audience rules (GATEWAY.md §6) with delivery-time access re-checks, exactly-once and order."""

from __future__ import annotations

from .helpers import Api, world

PERM = "/guilds/{g}/channels/{c}/permission-overrides/{kind}/{target}"


async def _subscribed(server, user, guild_id, *channel_ids):
    gw = await server.gw(user)
    for channel_id in channel_ids:
        await gw.subscribe(guild_id, channel_id)
    await gw.drain()  # presence noise of earlier subscribers
    return gw


async def test_channel_events_reach_only_listeners_of_that_channel(server, api: Api) -> None:
    w = await world(api)
    other = await api.channel(w.owner, w.guild_id, "other")
    here = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    there = await _subscribed(server, w.mod, w.guild_id, other)
    await here.drain()
    await api.message(w.owner, w.guild_id, w.channel_id, "only here")
    assert (await here.expect("message_create"))["content"] == "only here"
    await there.quiet()  # §11.2: a listener on another channel of the same guild gets nothing


async def test_two_sessions_of_one_user_both_receive(server, api: Api) -> None:
    w = await world(api)
    a = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    b = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    await a.drain()
    sent = await api.message(w.owner, w.guild_id, w.channel_id)
    for gw in (a, b):
        assert (await gw.expect("message_create"))["message_id"] == sent["message_id"]
        await gw.quiet()


async def test_guild_event_once_per_connection_and_not_to_other_guilds(server, api: Api) -> None:
    w = await world(api)
    second = await api.channel(w.owner, w.guild_id, "second")
    other_guild = await api.guild(w.member, "Elsewhere")
    other_channel = await api.channel(w.member, other_guild)
    both = await _subscribed(server, w.mod, w.guild_id, w.channel_id, second)
    elsewhere = await _subscribed(server, w.member, other_guild, other_channel)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "Once"})
    assert (await both.expect("workspace_update"))["updated_fields"] == {"name": "Once"}
    await both.quiet()  # exactly one copy although subscribed to two channels
    await elsewhere.quiet()


async def test_kicked_member_receives_own_removal_then_nothing(server, api: Api) -> None:
    w = await world(api)
    member = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/kick", w.owner)
    removed = await member.expect("workspace_member_remove")
    assert (removed["user_id"], removed["reason"]) == (w.member.user_id, "kick")
    await api.message(w.owner, w.guild_id, w.channel_id, "secret")
    await api.channel(w.owner, w.guild_id, "new-secret")
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "Gone"})
    await member.send("subscribe", {"guild_id": w.guild_id, "channel_id": w.channel_id})  # silently ignored
    await member.quiet()
    assert (await api.req("GET", f"/guilds/{w.guild_id}/channels", w.member)).status_code == 403
    # re-added and re-subscribed: events flow again
    await api.add(w.owner, w.guild_id, w.member)
    await member.subscribe(w.guild_id, w.channel_id)
    await api.message(w.owner, w.guild_id, w.channel_id, "welcome back")
    assert (await member.expect("message_create"))["content"] == "welcome back"


async def test_banned_member_receives_ban_and_remove_then_nothing(server, api: Api) -> None:
    w = await world(api)
    member = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    second_session = await server.gw(w.member)  # not subscribed: not a guild connection, gets nothing
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/ban", w.owner)
    assert (await member.expect("workspace_member_ban"))["user_id"] == w.member.user_id
    assert (await member.expect("workspace_member_remove"))["reason"] == "ban"
    await api.message(w.owner, w.guild_id, w.channel_id, "secret")
    await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "after", "permissions": []})
    await member.quiet()
    await second_session.quiet()


async def test_removal_events_do_not_leak_to_non_members(server, api: Api) -> None:
    w = await world(api)
    outsider = await api.user("out")
    own = await api.guild(outsider)
    own_channel = await api.channel(outsider, own)
    outsider_gw = await _subscribed(server, outsider, own, own_channel)
    observer = await _subscribed(server, w.mod, w.guild_id, w.channel_id)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/kick", w.owner)
    assert (await observer.expect("workspace_member_remove"))["user_id"] == w.member.user_id
    await outsider_gw.quiet()


async def _override_denies(api: Api, w, kind: str, target: str) -> None:
    await api.ok("POST", PERM.format(g=w.guild_id, c=w.channel_id, kind=kind, target=target), w.owner,
                 json={"allow": [], "deny": ["create_message"]})


async def _override_clear(api: Api, w, kind: str, target: str) -> None:
    await api.ok("POST", PERM.format(g=w.guild_id, c=w.channel_id, kind=kind, target=target), w.owner,
                 json={"allow": [], "deny": []})


async def test_override_denied_member_stops_receiving_channel_events(server, api: Api) -> None:
    w = await world(api)
    member = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    mod = await _subscribed(server, w.mod, w.guild_id, w.channel_id)
    owner = await _subscribed(server, w.owner, w.guild_id, w.channel_id)
    await member.drain(), await mod.drain()
    cases = [
        ("role", w.roles["member"]["role_id"], {member}),  # role override on `member`
        ("role", w.roles["@everyone"]["role_id"], {member, mod}),  # @everyone override
        ("member", w.member.user_id, {member}),  # member-target override
    ]
    for kind, target, denied in cases:
        await _override_denies(api, w, kind, target)
        for gw in (member, mod, owner):
            assert (await gw.expect("workspace_channel_permission_override_update"))["target_id"] == target
        sent = await api.message(w.owner, w.guild_id, w.channel_id, f"after {kind}")
        for gw in (member, mod, owner):
            if gw in denied:
                await gw.quiet()
            else:
                assert (await gw.expect("message_create"))["message_id"] == sent["message_id"]
        assert (await api.req("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.member)).status_code == (
            403 if member in denied else 200)
        await _override_clear(api, w, kind, target)  # access back: the same subscription receives again
        for gw in (member, mod, owner):
            await gw.expect("workspace_channel_permission_override_update")
        await api.message(w.owner, w.guild_id, w.channel_id, "visible again")
        for gw in (member, mod, owner):
            assert (await gw.expect("message_create"))["content"] == "visible again"


async def test_member_override_beats_role_and_everyone_layers(server, api: Api) -> None:
    w = await world(api)
    member = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    await _override_denies(api, w, "role", w.roles["@everyone"]["role_id"])
    await api.ok("POST", PERM.format(g=w.guild_id, c=w.channel_id, kind="member", target=w.member.user_id), w.owner,
                 json={"allow": ["create_message"], "deny": []})
    await api.message(w.owner, w.guild_id, w.channel_id, "member allow wins")
    frames = await member.drain()
    assert [f.t for f in frames][-1] == "message_create"


async def test_losing_a_granting_role_stops_channel_events(server, api: Api) -> None:
    w = await world(api)
    vip = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "vip", "permissions": []})
    await _override_denies(api, w, "role", w.roles["@everyone"]["role_id"])
    await api.ok("POST", PERM.format(g=w.guild_id, c=w.channel_id, kind="role", target=vip["role_id"]), w.owner,
                 json={"allow": ["create_message"], "deny": []})
    await api.ok("POST", f"/guilds/{w.guild_id}/roles/{vip['role_id']}/members/{w.member.user_id}", w.owner)
    member = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    await api.message(w.owner, w.guild_id, w.channel_id, "vip only")
    assert (await member.expect("message_create"))["content"] == "vip only"
    await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/{vip['role_id']}/members/{w.member.user_id}", w.owner)
    assert (await member.expect("workspace_role_assignment_remove"))["user_id"] == w.member.user_id
    await api.message(w.owner, w.guild_id, w.channel_id, "not for you")
    await member.quiet()
    # role deletion has the same effect
    await api.ok("POST", f"/guilds/{w.guild_id}/roles/{vip['role_id']}/members/{w.member.user_id}", w.owner)
    await member.expect("workspace_role_assignment_add")
    await api.message(w.owner, w.guild_id, w.channel_id, "vip again")
    assert (await member.expect("message_create"))["content"] == "vip again"
    await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/{vip['role_id']}", w.owner)
    await member.expect("workspace_role_delete")
    await api.message(w.owner, w.guild_id, w.channel_id, "gone")
    await member.quiet()


async def test_channel_create_reaches_every_guild_connection(server, api: Api) -> None:
    w = await world(api)
    hidden_from_member = await _subscribed(server, w.member, w.guild_id, w.channel_id)
    await api.channel(w.owner, w.guild_id, "lobby")
    assert (await hidden_from_member.expect("channel_create"))["channel"]["name"] == "lobby"


async def test_ip_ban_sync_only_to_ip_ban_moderators(start_server) -> None:
    server = await start_server(trusted_proxy_cidrs=["127.0.0.1"])
    api = server.api
    w = await world(api)
    custom = await api.user("cust")
    await api.add(w.owner, w.guild_id, custom)
    role = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "ipmod", "permissions": ["manage_ip_bans"]})
    await api.ok("POST", f"/guilds/{w.guild_id}/roles/{role['role_id']}/members/{custom.user_id}", w.owner)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    troll = await api.user("troll")
    await api.ok("POST", f"/guilds/{w.guild_id}/join", troll, headers={"X-Forwarded-For": "192.0.2.44"})
    gws = {name: await _subscribed(server, user, w.guild_id, w.channel_id)
           for name, user in (("owner", w.owner), ("mod", w.mod), ("custom", custom), ("member", w.member))}
    for gw in gws.values():
        await gw.drain()
    await api.ok("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.mod, json={"target_user_id": troll.user_id})
    for name in ("owner", "mod", "custom"):
        assert (await gws[name].expect("workspace_ip_ban_sync"))["actor_user_id"] == w.mod.user_id
        assert (await api.req("GET", f"/guilds/{w.guild_id}/ip-bans", gws[name].user)).status_code == 200
    await gws["member"].quiet()
    assert (await api.req("GET", f"/guilds/{w.guild_id}/ip-bans", w.member)).status_code == 403


async def test_profile_events_audience(server, api: Api) -> None:
    alice, friend, comember, bystander = [await api.user(n) for n in ("alice", "friend", "comem", "bystand")]
    await api.befriend(alice, friend)
    guild_id = await api.guild(comember)
    await api.add(comember, guild_id, alice)
    sessions = [await server.gw(alice), await server.gw(alice)]
    observers = {"friend": await server.gw(friend), "comember": await server.gw(comember)}
    outsider = await server.gw(bystander)
    await api.ok("PATCH", "/users/me/profile", alice, json={"about_markdown": "news"})
    payloads = [(await gw.expect("profile_update")) for gw in [*sessions, *observers.values()]]
    assert all(p == payloads[0] for p in payloads)  # identical d everywhere
    await api.ok("POST", "/users/me/profile/avatar", alice, content=bytes.fromhex("FFD8FF") + b"\0" * 8)
    versions = {(await gw.expect("profile_avatar_update"))["avatar_version"] for gw in [*sessions, *observers.values()]}
    assert len(versions) == 1
    await outsider.quiet()
    # no longer friends, no longer sharing a guild: no more profile events for them
    await api.ok("DELETE", f"/friends/{friend.user_id}", alice, status=204)
    await observers["friend"].expect("friend_remove")
    await api.ok("POST", f"/guilds/{guild_id}/members/{alice.user_id}/kick", comember)
    await api.ok("PATCH", "/users/me/profile", alice, json={"about_markdown": "later"})
    for gw in observers.values():
        await gw.quiet()
    await outsider.quiet()


async def test_friend_events_never_reach_bystanders(server, api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    ga, gb, gc = await server.gw(alice), await server.gw(bob), await server.gw(carol)
    await api.befriend(alice, bob)
    await api.ok("DELETE", f"/friends/{alice.user_id}", bob, status=204)
    assert [f.t for f in await ga.drain()] == ["friend_request_create", "friend_request_update", "friend_remove"]
    assert [f.t for f in await gb.drain()] == ["friend_request_create", "friend_request_update", "friend_remove"]
    await gc.quiet()


async def test_added_member_gets_nothing_until_subscribed(server, api: Api) -> None:
    w = await world(api)
    newbie = await api.user("new")
    gw = await server.gw(newbie)
    await api.add(w.owner, w.guild_id, newbie)
    await gw.quiet()


async def test_server_owner_sees_every_channel_without_membership(start_server) -> None:
    probe = await start_server()
    boss = await probe.api.user("boss")
    server = await start_server(server_owner_user_id=boss.user_id, db=probe.state.store.path)
    api = server.api
    boss_token = (await api.ok("POST", "/auth/login", json={"username": boss.name, "password": "correct horse battery"}))
    boss.token = boss_token["access_token"]
    w = await world(api)
    await _override_denies(api, w, "role", w.roles["@everyone"]["role_id"])
    gw = await _subscribed(server, boss, w.guild_id, w.channel_id)
    await api.message(w.owner, w.guild_id, w.channel_id, "boss can read")
    assert (await gw.expect("message_create"))["content"] == "boss can read"
    assert (await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/permissions/self", boss))["role"] == "owner"
    assert (await api.ok("GET", "/guilds", boss))["guilds"] == []
