"""The REST snapshot reader against an in-test emulation of the contract's GET routes."""
from __future__ import annotations

import asyncio
import re
from typing import Any, Mapping

import pytest

from harness.clients import snapshot
from harness.clients.snapshot import SnapshotError, fetch_part, fetch_view
from harness.model import permissions as P
from harness.model.mutations import *  # noqa: F403
from harness.model.replica import Refetch
from harness.model.sandbox import Sandbox
from harness.model.views import Scope


class ModelRest:
    """Answers the snapshot's reads from the model world as REST.md says a server does (memory mode:
    ``role_ids`` include the implied legacy role; members ``next_cursor`` skips one, §14.2)."""

    def __init__(self, sb: Sandbox, user: str) -> None:
        self.sb, self.user, self.calls = sb, user, []

    async def get(self, path: str, params: Mapping | None = None) -> tuple[int, Any]:
        self.calls.append(("GET", path, dict(params or {})))
        return self._get(path, dict(params or {}))

    async def post(self, path: str, json: Any) -> tuple[int, Any]:
        self.calls.append(("POST", path, json))
        w = self.sb.model.world
        by_id = {u.id: u for u in w.users.values()}
        return 200, {"users": [{"user_id": i, "username": by_id[i].username, "avatar_version": 0}
                               for i in json["user_ids"] if i in by_id]}

    def _get(self, path: str, params: dict) -> tuple[int, Any]:
        w, me = self.sb.model.world, self.sb.model.world.user(self.user)
        if path == "/auth/me":
            return 200, {"user_id": me.id, "username": me.username, "about_markdown": me.about,
                         "about_markdown_tokens": [], "avatar_version": me.avatar_version,
                         "banner_version": me.banner_version}
        if path == "/guilds":
            return 200, {"guilds": [{"guild_id": g.id, "name": g.name, "visibility": g.visibility}
                                    for g in w.guilds.values() if P.is_member(g, self.user)]}
        if path == "/friends":
            return 200, {"friends": [{"user_id": w.user_id(f), "username": w.user(f).username, "created_at_unix": 0}
                                     for f in sorted(w.friends_of(self.user))]}
        if path == "/friends/requests":
            def req(r: Any) -> dict:
                return {"request_id": r.id, "sender_user_id": w.user_id(r.sender), "recipient_user_id": w.user_id(r.recipient)}
            pending = [r for r in w.friend_requests.values() if r.state == "pending"]
            return 200, {"incoming": [req(r) for r in pending if r.recipient == self.user],
                         "outgoing": [req(r) for r in pending if r.sender == self.user]}
        m = re.fullmatch(r"/guilds/([^/]+)/(roles|channels|members)", path) or re.fullmatch(
            r"/guilds/([^/]+)/channels/([^/]+)/messages", path)
        assert m, path
        g = w.guild(w.alias_of("guild", m.group(1)) or "")
        if P.guild_permissions(w, g, self.user) is None:
            return 403, {"error": "forbidden"}
        if path.endswith("/roles"):
            return 200, {"roles": [{"role_id": r.id, "name": r.name, "position": r.position, "is_system": r.is_system,
                                    "permissions": P.canonical(r.perms), "color_hex": r.color} for r in P.sorted_roles(g)],
                         "default_join_role_id": None}
        if path.endswith("/members"):
            return 200, self._members(g, params)
        if w.harness_ip_banned(g.alias):
            return 403, {"error": "forbidden"}
        if path.endswith("/channels"):
            return 200, {"channels": [{"channel_id": w.channel_id(c), "name": w.channel(c).name, "kind": w.channel(c).kind}
                                      for c in g.channels if P.may_see_channel(w, c, self.user)]}
        channel = w.alias_of("channel", m.group(2)) or ""
        if not P.may_see_channel(w, channel, self.user):
            return 403, {"error": "forbidden"}
        msgs = sorted((x for x in w.messages.values() if x.channel == channel and not x.deleted), key=lambda x: x.id, reverse=True)
        return 200, {"messages": [{"message_id": x.id, "content": x.content, "reactions": [
            {"emoji": e, "count": len(us), "reacted_by_me": self.user in us} for e, us in sorted(x.reactions.items())]}
            for x in msgs[: params.get("limit", 20)]], "next_before": None}

    def _members(self, g: Any, params: dict) -> dict:
        w = self.sb.model.world
        rows = sorted((w.user_id(u), u) for u in g.members if u not in g.banned)
        if "cursor" in params:
            rows = [r for r in rows if r[0] > params["cursor"]]
        page, rest = rows[: params.get("limit", 50)], rows[params.get("limit", 50):]
        return {"members": [{"user_id": uid, "role_ids": sorted(w.role_id(g.alias, r) for r in P.effective_roles(g, u))}
                            for uid, u in page],
                "next_cursor": rest[0][0] if rest else None}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def sb() -> Sandbox:
    sb = Sandbox(deliver=False)
    for u in ("alice", "bob", "carol", "dave", "erin"):
        sb.user(u)
    sb.guild("alice", "lab", "public")
    sb.setup(CreateChannel("alice", "lab", "general"))
    sb.setup(CreateChannel("alice", "lab", "secret"))
    for u in ("bob", "carol", "dave"):
        sb.setup(AddMember("alice", "lab", u))
    sb.setup(UpdateMemberRole("alice", "lab", "carol", "moderator"))
    sb.setup(CreateRole("alice", "lab", "ops", "ops", ("ban_member",), color="#112233"))
    sb.setup(AssignRole("alice", "lab", "ops", "bob"))
    sb.setup(SetPermissionOverride("alice", "secret", "member", "bob", deny=("create_message",)))
    sb.setup(CreateMessage("alice", "general", "m1", "one"))
    sb.setup(CreateMessage("bob", "general", "m2", "two"))
    sb.setup(AddReaction("carol", "m1", "👍"))
    sb.setup(AddReaction("dave", "m1", "👍"))
    sb.setup(AddReaction("dave", "m2", "x"))
    sb.setup(RemoveReaction("dave", "m2", "x"))
    sb.setup(SendFriendRequest("bob", "erin", "fr1"))
    sb.setup(AcceptFriendRequest("erin", "fr1"))
    sb.setup(SendFriendRequest("dave", "bob", "fr2"))
    sb.setup(UpdateProfile("bob", about="hello"))
    sb.setup(UploadAvatar("bob"))
    sb.connect("bob", "b0")
    sb.subscribe("b0", "general")
    assert sb.subscribe("b0", "secret") == []  # hidden from bob: ignored, not in scope
    return sb


def test_fetch_view_equals_the_projection(sb: Sandbox) -> None:
    scope = sb.model.live_scope("b0")
    rest = ModelRest(sb, "bob")
    view = run(fetch_view(rest, scope))
    assert view == sb.model.projection("bob", scope)
    g = view.guilds[sb.model.world.guild_id("lab")]
    assert set(g.roles) == {sb.model.world.role_id("lab", "ops")}  # seeds left out
    assert g.members[sb.model.world.user_id("carol")] == frozenset()  # implied moderator id filtered
    assert view.profile.about_markdown == "hello" and view.profile.avatar_version == 1
    assert len(view.incoming) == 1 and set(view.friends.values()) == {"erin"}


def test_request_count_is_small(sb: Sandbox) -> None:
    rest = ModelRest(sb, "bob")
    run(fetch_view(rest, sb.model.live_scope("b0")))
    # me, guilds, roles, channels, members, 1 visible subscribed channel, friends, requests, lookup
    assert len(rest.calls) == 9
    assert ("GET", f"/guilds/{sb.model.world.guild_id('lab')}/channels/{sb.model.world.channel_id('general')}/messages",
            {"limit": 100}) in rest.calls


def test_members_paging_avoids_the_skip_one_cursor(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "MEMBERS_PAGE", 2)
    scope = sb.model.live_scope("b0")
    rest = ModelRest(sb, "bob")
    view = run(fetch_view(rest, scope))
    assert view == sb.model.projection("bob", scope)  # all 4 members despite next_cursor's skip
    cursors = [c[2].get("cursor") for c in rest.calls if c[1].endswith("/members")]
    assert len(cursors) == 2 and cursors[0] is None


def test_lost_guild_is_absent(sb: Sandbox) -> None:
    scope = sb.model.live_scope("b0")
    sb.setup(KickMember("alice", "lab", "bob"))
    view = run(fetch_view(ModelRest(sb, "bob"), scope))
    assert view.guilds == {} and view == sb.model.projection("bob", scope)


def test_ip_banned_guild_has_unreadable_channels(sb: Sandbox) -> None:
    sb.setup(JoinGuild("erin", "lab"))
    sb.setup(IpBanUser("alice", "lab", "erin"))
    scope = sb.model.live_scope("b0")
    view = run(fetch_view(ModelRest(sb, "bob"), scope))
    g = view.guilds[sb.model.world.guild_id("lab")]
    assert g.channels is None and g.messages == {} and view == sb.model.projection("bob", scope)


def test_seeds_by_id_survive_a_rename(sb: Sandbox) -> None:
    sb.setup(UpdateRole("alice", "lab", "moderator", name="mods"))
    scope = sb.model.live_scope("b0")
    by_id = run(fetch_view(ModelRest(sb, "bob"), scope))
    assert by_id == sb.model.projection("bob", scope)
    by_name = run(fetch_view(ModelRest(sb, "bob"), Scope(scope.guilds, scope.channels)))
    renamed = sb.model.world.role_id("lab", "moderator")
    assert renamed in by_name.guilds[sb.model.world.guild_id("lab")].roles  # without ids, a renamed seed looks custom


class Canned:
    def __init__(self, answers: dict[str, tuple[int, Any]]) -> None:
        self.answers, self.posts = answers, []

    async def get(self, path: str, params: Mapping | None = None) -> tuple[int, Any]:
        return self.answers[path]

    async def post(self, path: str, json: Any) -> tuple[int, Any]:
        self.posts.append(json["user_ids"])
        return 200, {"users": [{"user_id": u, "username": u.lower()} for u in json["user_ids"]]}


def test_unexpected_status_raises() -> None:
    with pytest.raises(SnapshotError, match="/auth/me answered 500"):
        run(fetch_view(Canned({"/auth/me": (500, {})}), Scope()))


def test_lookup_is_batched_by_64() -> None:
    reader = Canned({})
    names = run(snapshot.lookup_usernames(reader, [f"U{i:03d}" for i in range(130)]))
    assert [len(b) for b in reader.posts] == [64, 64, 2] and len(names) == 130


def test_fetch_part_kinds(sb: Sandbox) -> None:
    w = sb.model.world
    g, c, s = w.guild_id("lab"), w.channel_id("general"), w.channel_id("secret")
    rest = ModelRest(sb, "bob")
    proj = sb.model.projection("bob", Scope(frozenset({g}), frozenset({(g, c)})))
    guild = run(fetch_part(rest, Refetch("guild", g)))
    assert guild.channels == proj.guilds[g].channels and guild.messages == {}
    assert run(fetch_part(rest, Refetch("channels", g))) == proj.guilds[g].channels
    assert run(fetch_part(rest, Refetch("members", g))) == proj.guilds[g].members
    assert run(fetch_part(rest, Refetch("messages", g, c))) == proj.guilds[g].messages[c]
    assert run(fetch_part(rest, Refetch("messages", g, s))) is None  # hidden from bob
    assert run(fetch_part(rest, Refetch("users", user_ids=(w.user_id("erin"),)))) == {w.user_id("erin"): "erin"}
    sb.setup(KickMember("alice", "lab", "bob"))
    assert run(fetch_part(rest, Refetch("guild", g))) is None
    assert run(fetch_part(rest, Refetch("channels", g))) is None
