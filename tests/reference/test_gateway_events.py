"""Every event of GATEWAY.md §4: emitted by exactly the mutations of §5, with exactly the documented
keys and value types (optional fields omitted, never null, except the documented nullable spots)."""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

from .helpers import PNG, Api, Gw, is_int, is_ulid, world

Check = Callable[[Any], bool]
STR: Check = lambda v: isinstance(v, str)
INT: Check = is_int
ULID: Check = is_ulid
BOOL: Check = lambda v: type(v) is bool
PERMS: Check = lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v)
TOKENS: Check = lambda v: isinstance(v, list) and all(isinstance(t, dict) and "type" in t for t in v)


def one_of(*values: Any) -> Check:
    return lambda v: v in values


def obj(spec: dict[str, Check]) -> Check:
    def check(value: Any) -> bool:
        assert_shape(value, spec)
        return True

    return check


def assert_shape(d: Any, spec: dict[str, Check]) -> None:
    assert isinstance(d, dict), d
    assert set(d) == set(spec), f"keys {sorted(d)} != {sorted(spec)}"
    for key, check in spec.items():
        assert check(d[key]), f"{key}={d[key]!r}"


FLAT_MESSAGE = {
    "attachments": lambda v: isinstance(v, list),
    "author_id": ULID,
    "channel_id": ULID,
    "content": STR,
    "created_at_unix": INT,
    "guild_id": ULID,
    "markdown_tokens": TOKENS,
    "message_id": ULID,
    "reactions": lambda v: v == [],
}
OVERRIDE_FIELDS = obj({"allow": PERMS, "deny": PERMS})


class Pair:
    """Two sessions of one user: every event must reach both with an identical payload (§11.11–§11.14)."""

    def __init__(self, a: Gw, b: Gw) -> None:
        self.a, self.b = a, b

    @classmethod
    async def open(cls, server, user, guild_id: str, channel_id: str) -> "Pair":
        a, b = await server.gw(user), await server.gw(user)
        await a.subscribe(guild_id, channel_id)
        await b.subscribe(guild_id, channel_id)
        return cls(a, b)

    async def expect(self, t: str) -> dict:
        first, second = await self.a.expect(t), await self.b.expect(t)
        assert first == second
        return first

    async def quiet(self) -> None:
        await self.a.quiet()
        await self.b.quiet()


async def test_message_events(server, api: Api) -> None:
    w = await world(api)
    gw = await Pair.open(server, w.member, w.guild_id, w.channel_id)
    base = f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages"
    sent = await api.message(w.owner, w.guild_id, w.channel_id, "hello")
    created = await gw.expect("message_create")
    assert_shape(created, FLAT_MESSAGE)
    assert created == sent
    mid = sent["message_id"]
    await api.ok("PATCH", f"{base}/{mid}", w.owner, json={"content": "after edit"})
    update = await gw.expect("message_update")
    assert_shape(update, {"channel_id": ULID, "guild_id": ULID, "message_id": ULID, "updated_at_unix": INT,
                          "updated_fields": obj({"content": STR, "markdown_tokens": TOKENS})})
    assert update["updated_fields"]["content"] == "after edit"
    await api.ok("PATCH", f"{base}/{mid}", w.owner, json={"content": "after edit"})  # unchanged: still emitted
    assert (await gw.expect("message_update"))["message_id"] == mid
    for op, method, count in (("add", "POST", 1), ("add", "POST", 1), ("remove", "DELETE", 0), ("remove", "DELETE", 0)):
        await api.ok(method, f"{base}/{mid}/reactions/{quote('👍')}", w.member)
        reaction = await gw.expect("message_reaction")
        assert_shape(reaction, {"actor_user_id": ULID, "channel_id": ULID, "count": INT, "emoji": STR, "guild_id": ULID,
                                "message_id": ULID, "operation": one_of("add", "remove")})
        assert (reaction["operation"], reaction["count"], reaction["emoji"], reaction["actor_user_id"]) == (
            op, count, "👍", w.member.user_id)
    await api.ok("DELETE", f"{base}/{mid}", w.owner, status=204)
    deleted = await gw.expect("message_delete")
    assert_shape(deleted, {"channel_id": ULID, "deleted_at_unix": INT, "guild_id": ULID, "message_id": ULID})
    assert deleted["message_id"] == mid
    await gw.quiet()


async def test_message_create_with_attachments_payload(server, api: Api) -> None:
    w = await world(api)
    gw = await server.gw(w.owner)
    await gw.subscribe(w.guild_id, w.channel_id)
    upload = await api.ok("POST", f"/guilds/{w.guild_id}/channels/{w.channel_id}/attachments?filename=dot.png",
                          w.owner, content=PNG, headers={"Content-Type": "image/png"})
    body = {"content": "", "attachment_ids": [upload["attachment_id"], upload["attachment_id"]]}
    await api.ok("POST", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.owner, json=body)
    created = await gw.expect("message_create")
    assert_shape(created, FLAT_MESSAGE)
    assert created["content"] == "" and created["markdown_tokens"] == []
    [attachment] = created["attachments"]
    assert_shape(attachment, {"attachment_id": ULID, "channel_id": ULID, "filename": STR, "guild_id": ULID,
                              "mime_type": STR, "owner_id": ULID, "sha256_hex": STR, "size_bytes": INT})
    assert attachment["mime_type"] == "image/png" and attachment["size_bytes"] == len(PNG)


async def test_channel_and_workspace_events(server, api: Api) -> None:
    w = await world(api)
    gw = await Pair.open(server, w.member, w.guild_id, w.channel_id)
    owner = await server.gw(w.owner)
    await owner.subscribe(w.guild_id, w.channel_id)
    await gw.a.drain(), await gw.b.drain()
    voice = await api.channel(w.owner, w.guild_id, "bridge-call", "voice")
    created = await gw.expect("channel_create")
    assert_shape(created, {"channel": obj({"channel_id": ULID, "kind": one_of("text", "voice"), "name": STR}),
                           "guild_id": ULID})
    assert created["channel"] == {"channel_id": voice, "kind": "voice", "name": "bridge-call"}
    assert await owner.expect("channel_create") == created
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "Renamed", "visibility": "public"})
    update = await gw.expect("workspace_update")
    assert_shape(update, {"actor_user_id": ULID, "guild_id": ULID, "updated_at_unix": INT,
                          "updated_fields": obj({"name": STR, "visibility": one_of("private", "public")})})
    assert await owner.expect("workspace_update") == update
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "Renamed", "visibility": "private"})
    assert (await gw.expect("workspace_update"))["updated_fields"] == {"visibility": "private"}
    await owner.expect("workspace_update")
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "Renamed", "visibility": "private"})
    await gw.quiet()  # a no-op PATCH emits nothing


async def test_member_events(server, api: Api) -> None:
    w = await world(api)
    gw = await server.gw(w.owner)
    await gw.subscribe(w.guild_id, w.channel_id)
    newbie = await api.user("new")
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{newbie.user_id}", w.owner)
    added = await gw.expect("workspace_member_add")
    assert_shape(added, {"actor_user_id": ULID, "guild_id": ULID, "joined_at_unix": INT, "role": one_of("member"),
                         "user_id": ULID})
    assert (added["user_id"], added["actor_user_id"]) == (newbie.user_id, w.owner.user_id)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{newbie.user_id}", w.owner)  # already a member: nothing
    for role in ("moderator", "moderator", "member"):  # emitted even when unchanged
        await api.ok("PATCH", f"/guilds/{w.guild_id}/members/{newbie.user_id}", w.owner, json={"role": role})
        update = await gw.expect("workspace_member_update")
        assert_shape(update, {"actor_user_id": ULID, "guild_id": ULID, "updated_at_unix": INT,
                              "updated_fields": obj({"role": one_of("owner", "moderator", "member")}), "user_id": ULID})
        assert update["updated_fields"] == {"role": role}
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{newbie.user_id}/kick", w.owner)
    removed = await gw.expect("workspace_member_remove")
    assert_shape(removed, {"actor_user_id": ULID, "guild_id": ULID, "reason": one_of("kick", "ban"),
                           "removed_at_unix": INT, "user_id": ULID})
    assert removed["reason"] == "kick"
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/ban", w.owner)
    ban = await gw.expect("workspace_member_ban")  # §5 order: ban, then remove
    assert_shape(ban, {"actor_user_id": ULID, "banned_at_unix": INT, "guild_id": ULID, "user_id": ULID})
    remove = await gw.expect("workspace_member_remove")
    assert remove["reason"] == "ban" and remove["removed_at_unix"] == ban["banned_at_unix"]
    outsider = await api.user("pre")  # pre-emptive ban of a non-member still emits both
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{outsider.user_id}/ban", w.owner)
    assert [(await gw.next()).t for _ in range(2)] == ["workspace_member_ban", "workspace_member_remove"]
    await gw.quiet()


async def test_join_emits_member_add_only_when_accepted(server, api: Api) -> None:
    owner, joiner = await api.user("own"), await api.user("join")
    guild_id = await api.guild(owner, visibility="public")
    channel_id = await api.channel(owner, guild_id)
    gw = await server.gw(owner)
    await gw.subscribe(guild_id, channel_id)
    assert (await api.ok("POST", f"/guilds/{guild_id}/join", joiner))["outcome"] == "accepted"
    added = await gw.expect("workspace_member_add")
    assert (added["user_id"], added["actor_user_id"], added["role"]) == (joiner.user_id, joiner.user_id, "member")
    assert (await api.ok("POST", f"/guilds/{guild_id}/join", joiner))["outcome"] == "already_member"
    await gw.quiet()


async def test_role_events(server, api: Api) -> None:
    w = await world(api)
    gw = await server.gw(w.mod)
    await gw.subscribe(w.guild_id, w.channel_id)
    g = w.guild_id
    role = await api.ok("POST", f"/guilds/{g}/roles", w.owner,
                        json={"name": "ops_admin", "permissions": ["manage_roles", "manage_roles"], "color_hex": "#00aaff"})
    created = await gw.expect("workspace_role_create")
    assert_shape(created, {"actor_user_id": ULID, "guild_id": ULID, "role": obj(
        {"color_hex": STR, "is_system": BOOL, "name": STR, "permissions": PERMS, "position": INT, "role_id": ULID})})
    assert created["role"]["permissions"] == ["manage_roles", "manage_roles"] and created["role"]["color_hex"] == "#00AAFF"
    plain = await api.ok("POST", f"/guilds/{g}/roles", w.owner, json={"name": "plain", "permissions": []})
    assert "color_hex" not in (await gw.expect("workspace_role_create"))["role"]  # omitted, never null
    rid = role["role_id"]
    await api.ok("PATCH", f"/guilds/{g}/roles/{rid}", w.owner, json={"name": " ops ", "color_hex": "#123abc"})
    update = await gw.expect("workspace_role_update")
    assert_shape(update, {"actor_user_id": ULID, "guild_id": ULID, "role_id": ULID, "updated_at_unix": INT,
                          "updated_fields": obj({"name": STR, "color_hex": STR})})
    assert update["updated_fields"] == {"name": " ops ", "color_hex": "#123ABC"}
    await api.ok("PATCH", f"/guilds/{g}/roles/{rid}", w.owner, json={"permissions": ["ban_member", "create_message"]})
    assert (await gw.expect("workspace_role_update"))["updated_fields"] == {"permissions": ["ban_member", "create_message"]}
    await api.ok("POST", f"/guilds/{g}/roles/reorder", w.owner, json={"role_ids": [rid]})
    reorder = await gw.expect("workspace_role_reorder")
    assert_shape(reorder, {"actor_user_id": ULID, "guild_id": ULID, "role_ids": lambda v: v == [rid], "updated_at_unix": INT})
    await api.ok("POST", f"/guilds/{g}/roles/{rid}/members/{w.member.user_id}", w.owner)
    add = await gw.expect("workspace_role_assignment_add")
    assert_shape(add, {"actor_user_id": ULID, "assigned_at_unix": INT, "guild_id": ULID, "role_id": ULID, "user_id": ULID})
    await api.ok("POST", f"/guilds/{g}/roles/{rid}/members/{w.member.user_id}", w.owner)  # idempotent, still emitted
    await gw.expect("workspace_role_assignment_add")
    for _ in range(2):  # removing a role the user no longer holds still emits
        await api.ok("DELETE", f"/guilds/{g}/roles/{rid}/members/{w.member.user_id}", w.owner)
        remove = await gw.expect("workspace_role_assignment_remove")
        assert_shape(remove, {"actor_user_id": ULID, "guild_id": ULID, "removed_at_unix": INT, "role_id": ULID, "user_id": ULID})
    await api.ok("POST", f"/guilds/{g}/roles/default", w.owner, json={"role_id": plain["role_id"]})  # no event
    await api.ok("DELETE", f"/guilds/{g}/roles/{rid}", w.owner)
    deleted = await gw.expect("workspace_role_delete")
    assert_shape(deleted, {"actor_user_id": ULID, "deleted_at_unix": INT, "guild_id": ULID, "role_id": ULID})
    await gw.quiet()


async def test_override_events(server, api: Api) -> None:
    w = await world(api)
    gw = await server.gw(w.mod)
    await gw.subscribe(w.guild_id, w.channel_id)
    base = f"/guilds/{w.guild_id}/channels/{w.channel_id}"
    await api.ok("POST", f"{base}/overrides/moderator", w.owner, json={"allow": ["create_message"], "deny": ["ban_member"]})
    legacy = await gw.expect("workspace_channel_role_override_update")
    assert_shape(legacy, {"actor_user_id": ULID, "channel_id": ULID, "guild_id": ULID, "role": one_of("moderator"),
                          "updated_at_unix": INT, "updated_fields": OVERRIDE_FIELDS})
    assert legacy["updated_fields"] == {"allow": ["create_message"], "deny": ["ban_member"]}
    rid = w.roles["member"]["role_id"]
    await api.ok("POST", f"{base}/permission-overrides/role/{rid}", w.owner, json={"allow": ["manage_roles"], "deny": ["ban_member"]})
    perm = await gw.expect("workspace_channel_permission_override_update")
    assert_shape(perm, {"actor_user_id": ULID, "channel_id": ULID, "guild_id": ULID, "target_id": STR,
                        "target_kind": one_of("role", "member"), "updated_at_unix": INT, "updated_fields": OVERRIDE_FIELDS})
    assert (perm["target_kind"], perm["target_id"]) == ("role", rid)
    await gw.quiet()


async def test_ip_ban_sync_events_are_redacted(start_server) -> None:
    server = await start_server(trusted_proxy_cidrs=["127.0.0.1"])
    api = server.api
    w = await world(api)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    joiner = await api.user("ip")
    await api.ok("POST", f"/guilds/{w.guild_id}/join", joiner, headers={"X-Forwarded-For": "203.0.113.9"})
    gw = await server.gw(w.owner)
    await gw.subscribe(w.guild_id, w.channel_id)
    created = await api.ok("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.owner,
                           json={"target_user_id": joiner.user_id, "reason": "spam"})
    frame = await gw.next()
    assert frame.t == "workspace_ip_ban_sync"
    assert_shape(frame.d, {"actor_user_id": ULID, "guild_id": ULID, "updated_at_unix": INT,
                           "summary": obj({"action": one_of("upsert", "remove"), "changed_count": INT})})
    assert frame.d["summary"] == {"action": "upsert", "changed_count": 1}
    assert "203.0.113" not in frame.raw and "spam" not in frame.raw and joiner.user_id not in frame.raw
    again = await api.ok("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.owner, json={"target_user_id": joiner.user_id})
    assert again == {"created_count": 0, "ban_ids": []}  # zero created: nothing emitted
    await api.ok("DELETE", f"/guilds/{w.guild_id}/ip-bans/{created['ban_ids'][0]}", w.owner)
    assert (await gw.expect("workspace_ip_ban_sync"))["summary"] == {"action": "remove", "changed_count": 1}
    await gw.quiet()


async def test_profile_events(server, api: Api) -> None:
    alice = await api.user("alice")
    gw = await server.gw(alice)
    await api.ok("PATCH", "/users/me/profile", alice, json={"username": alice.name + "x", "about_markdown": "**hi**"})
    update = await gw.expect("profile_update")
    assert_shape(update, {"updated_at_unix": INT, "user_id": ULID, "updated_fields": obj(
        {"username": STR, "about_markdown": STR, "about_markdown_tokens": TOKENS})})
    await api.ok("PATCH", "/users/me/profile", alice, json={"username": alice.name + "x"})
    assert set((await gw.expect("profile_update"))["updated_fields"]) == {"username"}
    await api.ok("POST", "/users/me/profile/avatar", alice, content=PNG, headers={"Content-Type": "image/png"})
    avatar = await gw.expect("profile_avatar_update")
    assert_shape(avatar, {"avatar_version": INT, "updated_at_unix": INT, "user_id": ULID})
    await api.ok("POST", "/users/me/profile/banner", alice, content=PNG)
    banner = await gw.expect("profile_banner_update")
    assert_shape(banner, {"banner_version": INT, "updated_at_unix": INT, "user_id": ULID})
    await gw.quiet()


async def test_friend_events(server, api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    ga, gb = await server.gw(alice), await server.gw(bob)
    request = await api.ok("POST", "/friends/requests", alice, json={"recipient_user_id": bob.user_id})
    for gw in (ga, gb):
        create = await gw.expect("friend_request_create")
        assert_shape(create, {"created_at_unix": INT, "recipient_user_id": ULID, "recipient_username": STR,
                              "request_id": ULID, "sender_user_id": ULID, "sender_username": STR})
        assert (create["sender_username"], create["recipient_username"]) == (alice.name, bob.name)
    await api.ok("DELETE", f"/friends/requests/{request['request_id']}", bob, status=204)
    for gw in (ga, gb):
        delete = await gw.expect("friend_request_delete")
        assert_shape(delete, {"actor_user_id": ULID, "deleted_at_unix": INT, "request_id": ULID})
        assert delete["actor_user_id"] == bob.user_id
    request = await api.ok("POST", "/friends/requests", alice, json={"recipient_user_id": bob.user_id})
    await ga.expect("friend_request_create"), await gb.expect("friend_request_create")
    await api.ok("POST", f"/friends/requests/{request['request_id']}/accept", bob)
    copies = {}
    for gw in (ga, gb):
        update = await gw.expect("friend_request_update")
        assert_shape(update, {"actor_user_id": ULID, "friend_user_id": ULID, "friend_username": STR,
                              "friendship_created_at_unix": INT, "request_id": ULID, "state": one_of("accepted"),
                              "updated_at_unix": INT, "user_id": ULID})
        copies[gw.user.user_id] = update
    assert copies[bob.user_id]["friend_user_id"] == alice.user_id and copies[bob.user_id]["friend_username"] == alice.name
    assert copies[alice.user_id]["friend_user_id"] == bob.user_id and copies[alice.user_id]["user_id"] == alice.user_id
    assert all(c["actor_user_id"] == bob.user_id for c in copies.values())
    await api.ok("DELETE", f"/friends/{bob.user_id}", alice, status=204)
    removes = {gw.user.user_id: await gw.expect("friend_remove") for gw in (ga, gb)}
    for copy in removes.values():
        assert_shape(copy, {"actor_user_id": ULID, "friend_user_id": ULID, "removed_at_unix": INT, "user_id": ULID})
    assert removes[alice.user_id]["friend_user_id"] == removes[bob.user_id]["user_id"] == bob.user_id
    await api.ok("DELETE", f"/friends/{bob.user_id}", alice, status=204)  # no friendship: no event
    await ga.quiet()
    await gb.quiet()


async def test_emission_order_of_per_recipient_copies(server, api: Api) -> None:
    """§5: accept -> acceptor copy then sender copy; friend_remove -> actor copy then peer copy."""
    alice, bob = await api.user("alice"), await api.user("bob")
    order: list[tuple[str, str]] = []
    emitter = server.state.emitter
    original = emitter._fanout

    def recording(scope, event_type, data, recipients):
        order.append((event_type, data.get("user_id")))
        return original(scope, event_type, data, recipients)

    emitter._fanout = recording
    try:
        await api.befriend(alice, bob)
        await api.ok("DELETE", f"/friends/{alice.user_id}", bob, status=204)
    finally:
        emitter._fanout = original
    assert order[1:] == [("friend_request_update", bob.user_id), ("friend_request_update", alice.user_id),
                         ("friend_remove", bob.user_id), ("friend_remove", alice.user_id)]


async def test_connection_events_reach_only_their_connection(server, api: Api) -> None:
    w = await world(api)
    other = await server.gw(w.owner)
    await other.subscribe(w.guild_id, w.channel_id)
    fresh = await server.gw(w.owner)
    await fresh.subscribe(w.guild_id, w.channel_id)
    frames = await other.drain()
    assert [f.t for f in frames] == []  # neither ready, presence_sync, subscribed nor voice sync of `fresh`
