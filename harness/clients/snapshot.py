"""REST reads of what one client may see, normalised to a ``ClientView`` (or one part of it).

This is the "fetch fresh state" half of Zulip's ``verify_action``: the convergence check compares the
client's replica with what the server answers *with that client's own token* right now. It runs on
every settle, so it keeps the request count low: ``/auth/me``, ``/guilds``, per scoped guild
``/roles`` + ``/channels`` + ``/members`` (200 per page), per subscribed visible channel one
``/messages?limit=100``, ``/friends``, ``/friends/requests`` and ``/users/lookup`` (≤64 ids a call).

Status rules: 403/404 on a guild's roles or members means the client lost the guild; 403 on the
channel list of a guild still listed by ``GET /guilds`` means its channels cannot be read (every
harness client is IP-banned there, REST.md §3.10) and is kept as ``channels=None``; 403/404 on a
channel's messages means the channel is not readable. Anything else unexpected raises
:class:`SnapshotError`.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, Mapping, Protocol

from harness.model.replica import Refetch
from harness.model.views import (
    MESSAGE_WINDOW, SEED_ROLE_NAMES, ChannelView, ClientView, GuildView, MessageView, ProfileView, RoleView, Scope,
    custom_role_ids,
)

MEMBERS_PAGE = 200
LOOKUP_BATCH = 64
_GONE = (403, 404)


class RestReader(Protocol):
    """The two calls the snapshot needs; the engine's REST session implements them with its token."""

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[int, Any]: ...

    async def post(self, path: str, json: Any) -> tuple[int, Any]: ...


class SnapshotError(Exception):
    """A read answered something the snapshot cannot interpret (e.g. 401, 500)."""


async def fetch_view(reader: RestReader, scope: Scope) -> ClientView:
    """The client's view over ``scope``, fresh from REST."""
    me = await _ok(reader, "/auth/me")
    listed = await _listed_guilds(reader)
    guilds: dict[str, GuildView] = {}
    for gid in sorted(scope.guilds):
        if gid not in listed:
            continue
        channels = [c for g, c in sorted(scope.channels) if g == gid]
        view = await _fetch_guild(reader, gid, listed[gid], scope.seed_role_ids.get(gid), channels)
        if view is not None:
            guilds[gid] = view
    friends = {f["user_id"]: f["username"] for f in (await _ok(reader, "/friends")).get("friends", [])}
    requests = await _ok(reader, "/friends/requests")
    members = {u for g in guilds.values() for u in g.members} - {me.get("user_id")}
    names = {**await lookup_usernames(reader, sorted(members - set(friends))), **friends}
    return ClientView(
        user_id=me.get("user_id"),
        profile=_profile(me),
        guilds=guilds,
        friends=friends,
        incoming={r["request_id"]: r["sender_user_id"] for r in requests.get("incoming", [])},
        outgoing={r["request_id"]: r["recipient_user_id"] for r in requests.get("outgoing", [])},
        usernames={u: names[u] for u in members | set(friends) if u in names},
        scope=scope,
    )


async def fetch_part(reader: RestReader, refetch: Refetch) -> Any:
    """The data a replica's :class:`Refetch` asks for (shapes documented on ``Refetch``)."""
    gid = refetch.guild_id or ""
    seeds = refetch.seed_role_ids or None
    if refetch.kind == "guild":
        listed = await _listed_guilds(reader)
        if gid not in listed:
            return None
        return await _fetch_guild(reader, gid, listed[gid], seeds, [])
    if refetch.kind == "channels":
        return await _fetch_channels(reader, gid)
    if refetch.kind == "members":
        roles = await _fetch_roles(reader, gid, seeds)
        return None if roles is None else await _fetch_members(reader, gid, roles[1])
    if refetch.kind == "messages":
        return await _fetch_messages(reader, gid, refetch.channel_id or "")
    if refetch.kind == "users":
        return await lookup_usernames(reader, list(refetch.user_ids))
    raise ValueError(f"unknown refetch kind {refetch.kind!r}")


async def lookup_usernames(reader: RestReader, user_ids: list[str]) -> dict[str, str]:
    """Usernames of ``user_ids``: batches of the contract's 64 ids, sent concurrently (a guild of
    hundreds of members is many batches; one after the other they dominated a snapshot)."""
    batches = [user_ids[start:start + LOOKUP_BATCH] for start in range(0, len(user_ids), LOOKUP_BATCH)]
    answers = await asyncio.gather(*(reader.post("/users/lookup", {"user_ids": batch}) for batch in batches))
    out: dict[str, str] = {}
    for status, body in answers:
        _expect(status, 200, "/users/lookup", method="POST")
        out.update({u["user_id"]: u["username"] for u in body.get("users", [])})
    return out


# ---- pieces ---------------------------------------------------------------------------------------

async def _ok(reader: RestReader, path: str) -> Any:
    status, body = await reader.get(path)
    _expect(status, 200, path)
    return body


def _expect(status: int, wanted: int, path: str, *, method: str = "GET") -> None:
    if status != wanted:
        raise SnapshotError(f"{method} {path} answered {status}")


def _profile(me: Mapping[str, Any]) -> ProfileView:
    return ProfileView(me.get("username", ""), me.get("about_markdown", ""), me.get("avatar_version", 0),
                       me.get("banner_version", 0))


async def _listed_guilds(reader: RestReader) -> dict[str, Mapping[str, Any]]:
    return {g["guild_id"]: g for g in (await _ok(reader, "/guilds")).get("guilds", [])}


async def _fetch_guild(
    reader: RestReader, gid: str, entry: Mapping[str, Any], seeds: frozenset[str] | None, channels: list[str]
) -> GuildView | None:
    roles = await _fetch_roles(reader, gid, seeds)
    if roles is None:
        return None
    custom, seed_ids, default_role = roles
    visible = await _fetch_channels(reader, gid)
    members = await _fetch_members(reader, gid, seed_ids)
    if members is None:
        return None
    messages: dict[str, dict[str, MessageView]] = {}
    for cid in channels:
        if visible is not None and cid in visible:
            msgs = await _fetch_messages(reader, gid, cid)
            if msgs is not None:
                messages[cid] = msgs
    return GuildView(entry.get("name", ""), entry.get("visibility", ""), visible, custom, members, messages,
                     seed_ids, default_role)


async def _fetch_roles(
    reader: RestReader, gid: str, seeds: frozenset[str] | None
) -> tuple[dict[str, RoleView], frozenset[str], str | None] | None:
    status, body = await reader.get(f"/guilds/{gid}/roles")
    if status in _GONE:
        return None
    _expect(status, 200, f"/guilds/{gid}/roles")
    roles = body.get("roles", [])
    # Seeds are told by id when the model knows them, else by name (as the web client does, §3.2).
    seed_ids = seeds if seeds else frozenset(r["role_id"] for r in roles if r.get("name") in SEED_ROLE_NAMES)
    custom = {r["role_id"]: RoleView(r.get("name", ""), r.get("position", 0), frozenset(r.get("permissions", [])),
                                     r.get("color_hex"))
              for r in roles if r["role_id"] not in seed_ids}
    return custom, frozenset(seed_ids), body.get("default_join_role_id")


async def _fetch_channels(reader: RestReader, gid: str) -> dict[str, ChannelView] | None:
    status, body = await reader.get(f"/guilds/{gid}/channels")
    if status in _GONE:
        return None
    _expect(status, 200, f"/guilds/{gid}/channels")
    return {c["channel_id"]: ChannelView(c.get("name", ""), c.get("kind", "text")) for c in body.get("channels", [])}


async def _fetch_members(reader: RestReader, gid: str, seed_ids: frozenset[str]) -> dict[str, frozenset[str]] | None:
    """All pages. The cursor sent is the last user id *received*: the server returns ids strictly
    greater than the cursor, so this also sidesteps Filament's skip-one ``next_cursor`` (REST.md §14.2)."""
    out: dict[str, frozenset[str]] = {}
    params: dict[str, Any] = {"limit": MEMBERS_PAGE}
    while True:
        status, body = await reader.get(f"/guilds/{gid}/members", params)
        if status in _GONE:
            return None
        _expect(status, 200, f"/guilds/{gid}/members")
        page = body.get("members", [])
        out.update({m["user_id"]: custom_role_ids(m.get("role_ids", []), seed_ids) for m in page})
        if not page or body.get("next_cursor") is None:
            return out
        params = {"limit": MEMBERS_PAGE, "cursor": page[-1]["user_id"]}


async def _fetch_messages(reader: RestReader, gid: str, cid: str) -> dict[str, MessageView] | None:
    status, body = await reader.get(f"/guilds/{gid}/channels/{cid}/messages", {"limit": MESSAGE_WINDOW})
    if status in _GONE:
        return None
    _expect(status, 200, f"/guilds/{gid}/channels/{cid}/messages")
    return {m["message_id"]: MessageView(m.get("content", ""), {r["emoji"]: r["count"] for r in m.get("reactions", [])
                                                               if r.get("count", 0) > 0})
            for m in body.get("messages", [])}


# ---- partial refresh ------------------------------------------------------------------------------

async def refresh_view(reader: RestReader, previous: ClientView, *, user: bool, guilds: frozenset[str],
                       messages: frozenset[tuple[str, str]], names: frozenset[str],
                       channel_lists: frozenset[str] = frozenset()) -> ClientView:
    """``previous`` (a REST view over the same scope) with only the named parts read afresh: the
    user-level state (profile, friends, requests), whole guilds, the channel list of some guilds (with
    the messages of the scoped channels it shows), the messages of some channels, and
    the usernames of ``names`` and of members not named before. What a frame can have changed in a
    client's view is known from the frame; a caller that finds a difference reads the whole view."""
    scope = previous.scope
    me: Mapping[str, Any] | None = await _ok(reader, "/auth/me") if user else None
    fresh_guilds = dict(previous.guilds)
    if guilds:
        listed = await _listed_guilds(reader)
        for gid in sorted(guilds & scope.guilds):
            fresh_guilds.pop(gid, None)
            if gid in listed:
                channels = [c for g, c in sorted(scope.channels) if g == gid]
                view = await _fetch_guild(reader, gid, listed[gid], scope.seed_role_ids.get(gid), channels)
                if view is not None:
                    fresh_guilds[gid] = view
    for gid in sorted(channel_lists - guilds):
        view = fresh_guilds.get(gid)
        if view is None:
            continue
        visible = await _fetch_channels(reader, gid)
        shown: dict[str, Mapping[str, MessageView]] = {}
        for g, cid in sorted(scope.channels):
            if g == gid and visible is not None and cid in visible:
                msgs = await _fetch_messages(reader, gid, cid)
                if msgs is not None:
                    shown[cid] = msgs
        fresh_guilds[gid] = replace(view, channels=visible, messages=shown)
    for gid, cid in sorted(messages):
        if gid in channel_lists:
            continue
        view = fresh_guilds.get(gid)
        if gid in guilds or view is None or (gid, cid) not in scope.channels:
            continue
        if view.channels is not None and cid in view.channels:
            msgs = await _fetch_messages(reader, gid, cid)
            fresh_guilds[gid] = replace(view, messages=_with(view.messages, cid, msgs))
    friends, incoming, outgoing = previous.friends, previous.incoming, previous.outgoing
    if user:
        friends = {f["user_id"]: f["username"] for f in (await _ok(reader, "/friends")).get("friends", [])}
        requests = await _ok(reader, "/friends/requests")
        incoming = {r["request_id"]: r["sender_user_id"] for r in requests.get("incoming", [])}
        outgoing = {r["request_id"]: r["recipient_user_id"] for r in requests.get("outgoing", [])}
    members = {u for g in fresh_guilds.values() for u in g.members} - {previous.user_id}
    unknown = sorted((members - set(friends)) & (set(names) | (members - set(previous.usernames))))
    looked_up = await lookup_usernames(reader, unknown) if unknown else {}
    names_now = {**previous.usernames, **looked_up, **friends}
    return ClientView(
        user_id=previous.user_id if me is None else me.get("user_id"),
        profile=previous.profile if me is None else _profile(me),
        guilds=fresh_guilds, friends=friends, incoming=incoming, outgoing=outgoing,
        usernames={u: names_now[u] for u in members | set(friends) if u in names_now},
        scope=scope,
    )


def _with(messages: Mapping[str, Mapping[str, MessageView]], cid: str,
          msgs: dict[str, MessageView] | None) -> dict[str, Mapping[str, MessageView]]:
    out = dict(messages)
    if msgs is None:
        out.pop(cid, None)
    else:
        out[cid] = msgs
    return out
