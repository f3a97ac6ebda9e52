"""A client replica: the local state a well-behaved client keeps, reduced from gateway events.

It behaves like a real client: it hydrates from REST, applies every event type of GATEWAY.md §4
idempotently (duplicates are absorbed by id, the way clients dedupe), drops a guild on its own
``workspace_member_remove``/``_ban`` and, when an event may change what it is allowed to see
(role, assignment, override events — REST.md §12.2 item 8), asks for a :class:`Refetch` instead of
computing permissions itself. The runner performs refetches with ``harness.clients.snapshot.fetch_part``
and hands the result back to :meth:`Replica.merge`.

Differences from the Filament web client, on purpose (docs/model.md): the replica re-fetches the
channel list after *both* override events (the web client ignores the permission-override event), and
re-fetches a guild's members after ``workspace_member_add`` (the default join role is not in the
event). Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

from harness.model.views import (
    MESSAGE_WINDOW, ChannelView, ClientView, GuildView, MessageView, ProfileView, RoleView, Scope, window,
)

RefetchKind = Literal["guild", "channels", "members", "messages", "users"]


@dataclass(frozen=True)
class Refetch:
    """A REST read the replica needs. ``fetch_part`` returns, per kind: ``guild`` GuildView | None
    (None: lost), ``channels`` dict | None (None: unreadable), ``members`` dict | None, ``messages``
    dict | None, ``users`` dict user id -> username."""

    kind: RefetchKind
    guild_id: str | None = None
    channel_id: str | None = None
    user_ids: tuple[str, ...] = ()
    seed_role_ids: frozenset[str] = frozenset()
    channel_ids: tuple[str, ...] = ()
    """For ``guild``: subscribed channels whose messages should come along (informational)."""


@dataclass
class _Guild:
    name: str
    visibility: str
    channels: dict[str, ChannelView] | None
    roles: dict[str, RoleView]
    members: dict[str, set[str]]
    seed_role_ids: set[str] = field(default_factory=set)
    default_join_role: str | None = None


@dataclass
class _Message:
    content: str
    reactions: dict[str, int] = field(default_factory=dict)


Handler = Callable[[dict[str, Any]], list[Refetch]]


KEPT_MESSAGES = 2 * MESSAGE_WINDOW
"""Messages a replica keeps per channel: the window compared, plus as many again so deletions seldom
pull a message it dropped into the window (then it re-reads the channel, as after a full read)."""


class Replica:
    def __init__(self, user_id: str | None = None) -> None:
        self.user_id = user_id
        self.profile: ProfileView | None = None
        self.guilds: dict[str, _Guild] = {}
        self.subscriptions: set[tuple[str, str]] = set()
        """Live channel subscriptions (guild id, channel id)."""
        self.subscribed_guilds: set[str] = set()
        """Guilds with a subscription since the last (re)join: the guild part of the live scope. A
        channel that disappears leaves ``subscriptions`` (the server may have dropped it) but its guild
        stays here: guild events keep coming to a member's guild connection."""
        self.messages: dict[str, dict[str, _Message]] = {}
        """channel id -> loaded messages (a channel is absent until its messages were fetched)."""
        self.partial: set[str] = set()
        """Channels whose older messages the replica may not hold: read as a full window, or trimmed."""
        self.friends: dict[str, str] = {}
        self.incoming: dict[str, str] = {}
        self.outgoing: dict[str, str] = {}
        self.names: dict[str, str] = {}
        """Username cache (user id -> username), kept current by profile events."""
        self._handlers: dict[str, Handler] = {
            "subscribed": self._subscribed,
            "message_create": self._message_create,
            "message_update": self._message_update,
            "message_delete": self._message_delete,
            "message_reaction": self._message_reaction,
            "channel_create": self._channel_create,
            "workspace_update": self._workspace_update,
            "workspace_member_add": self._member_add,
            "workspace_member_update": self._member_update,
            "workspace_member_remove": self._member_remove,
            "workspace_member_ban": self._member_remove,
            "workspace_role_create": self._role_create,
            "workspace_role_update": self._role_update,
            "workspace_role_delete": self._role_delete,
            "workspace_role_reorder": self._role_reorder,
            "workspace_role_assignment_add": lambda d: self._assignment(d, add=True),
            "workspace_role_assignment_remove": lambda d: self._assignment(d, add=False),
            "workspace_channel_role_override_update": self._override,
            "workspace_channel_permission_override_update": self._override,
            "profile_update": self._profile_update,
            "profile_avatar_update": self._profile_media,
            "profile_banner_update": self._profile_media,
            "friend_request_create": self._friend_request_create,
            "friend_request_update": self._friend_request_update,
            "friend_request_delete": self._friend_request_delete,
            "friend_remove": self._friend_remove,
        }
        # ready, presence_sync, presence_update, voice_*, workspace_ip_ban_sync: nothing in the view.

    # ---- lifecycle -----------------------------------------------------------------------------

    def hydrate(self, view: ClientView) -> None:
        """Start from a fresh REST snapshot (the client's boot)."""
        self.user_id = view.user_id
        self.profile = view.profile
        self.guilds = {gid: _from_view(g) for gid, g in view.guilds.items()}
        self.subscriptions = {pair for pair in view.scope.channels if pair[0] in view.scope.guilds}
        self.subscribed_guilds = set(view.scope.guilds)
        self.messages, self.partial = {}, set()
        for g in view.guilds.values():
            for cid, msgs in g.messages.items():
                self._load_messages(cid, msgs)
        self.friends = dict(view.friends)
        self.incoming, self.outgoing = dict(view.incoming), dict(view.outgoing)
        self.names = {**view.usernames, **view.friends}

    def apply(self, event_type: str, data: Any) -> list[Refetch]:
        """Reduce one event; returns the REST reads it calls for. Unknown types change nothing."""
        handler = self._handlers.get(event_type)
        if handler is None or not isinstance(data, dict):
            return []
        out = handler(data)
        self._forget_unobserved()
        return out

    def merge(self, refetch: Refetch, fetched: Any) -> list[Refetch]:
        """Fold a refetch result in; returns follow-up reads (e.g. messages of a channel that appeared)."""
        out = self._merge(refetch, fetched)
        self._forget_unobserved()
        return out

    def _forget_unobserved(self) -> None:
        """Names of users no longer observed (not a friend, not a co-member) are forgotten: their
        profile updates stop arriving, so a cached name would go stale unnoticed."""
        observed = set(self.friends) | {u for g in self.guilds.values() for u in g.members}
        for uid in [u for u in self.names if u not in observed]:
            del self.names[uid]

    def _merge(self, refetch: Refetch, fetched: Any) -> list[Refetch]:
        g = refetch.guild_id or ""
        if refetch.kind == "users":
            self.names.update(fetched or {})
            return []
        if refetch.kind == "guild":
            return self._merge_guild(g, fetched)
        if g not in self.guilds:
            return []
        if refetch.kind == "channels":
            return self._merge_channels(g, fetched)
        if refetch.kind == "members":
            self.guilds[g].members = {u: set(r) for u, r in (fetched or {}).items()}
            return self._names_needed(self.guilds[g].members)
        if refetch.kind == "messages" and refetch.channel_id:
            if fetched is None:
                self.messages.pop(refetch.channel_id, None)
            else:
                self._load_messages(refetch.channel_id, fetched)
        return []

    def _load_messages(self, cid: str, views: Mapping[str, MessageView]) -> None:
        self.messages[cid] = {m: _Message(v.content, dict(v.reactions)) for m, v in views.items()}
        if len(views) >= MESSAGE_WINDOW:
            self.partial.add(cid)
        else:
            self.partial.discard(cid)

    def after_own_mutation(self, mutation: Any, result: Any) -> list[Refetch]:
        """What the client learns from its own REST responses."""
        body = getattr(result, "body", None)
        if not getattr(result, "ok", False) or not isinstance(body, dict):
            return []
        row = getattr(mutation, "row", "")
        if row == "member.join" and body.get("outcome") == "accepted":
            return [Refetch("guild", body.get("guild_id"))]  # the web client re-runs GET /guilds + channels
        if row in ("profile.update", "profile.avatar", "profile.banner") and "username" in body:
            self.profile = ProfileView(body["username"], body.get("about_markdown", ""),
                                       body.get("avatar_version", 0), body.get("banner_version", 0))
        return []

    # ---- views ---------------------------------------------------------------------------------

    def scope(self) -> Scope:
        channels = frozenset(self.subscriptions)
        guilds = frozenset(self.subscribed_guilds)
        seeds = {g: frozenset(self.guilds[g].seed_role_ids) for g in guilds if g in self.guilds}
        return Scope(guilds, channels, seeds)

    def view(self) -> ClientView:
        scope = self.scope()
        guilds = {gid: self._guild_view(gid, g) for gid, g in self.guilds.items() if gid in scope.guilds}
        observed = (set(self.friends) | {u for g in guilds.values() for u in g.members}) - {self.user_id}
        return ClientView(
            user_id=self.user_id, profile=self.profile, guilds=guilds, friends=dict(self.friends),
            incoming=dict(self.incoming), outgoing=dict(self.outgoing),
            usernames={u: self.names[u] for u in observed if u in self.names}, scope=scope,
        )

    def _guild_view(self, gid: str, g: _Guild) -> GuildView:
        msgs: dict[str, dict[str, MessageView]] = {}
        for sg, cid in self.subscriptions:
            if sg == gid and g.channels is not None and cid in g.channels and cid in self.messages:
                msgs[cid] = window({m: MessageView(v.content, dict(v.reactions)) for m, v in self.messages[cid].items()})
        return GuildView(g.name, g.visibility, None if g.channels is None else dict(g.channels), dict(g.roles),
                         {u: frozenset(r) for u, r in g.members.items()}, msgs, frozenset(g.seed_role_ids),
                         g.default_join_role)

    # ---- merging -------------------------------------------------------------------------------

    def _merge_guild(self, gid: str, fetched: GuildView | None) -> list[Refetch]:
        if fetched is None:
            self._drop_guild(gid)
            return []
        self.guilds[gid] = _from_view(fetched)
        follow = [Refetch("messages", gid, c) for g, c in sorted(self.subscriptions)
                  if g == gid and fetched.channels is not None and c in fetched.channels]
        return follow + self._names_needed(self.guilds[gid].members)

    def _merge_channels(self, gid: str, fetched: Mapping[str, ChannelView] | None) -> list[Refetch]:
        g = self.guilds[gid]
        g.channels = None if fetched is None else dict(fetched)
        follow: list[Refetch] = []
        for sg, cid in sorted(self.subscriptions):
            if sg != gid:
                continue
            if g.channels is not None and cid in g.channels:
                if cid not in self.messages:
                    follow.append(Refetch("messages", gid, cid))
            else:
                # Lost sight of it (or cannot read the list at all: IP-banned): drop what it may not
                # read, and the subscription too — the server may have dropped it (GATEWAY.md §6.0)
                # and the client cannot tell; only a new ``subscribed`` renews it.
                self.messages.pop(cid, None)
                self.subscriptions.discard((sg, cid))
        return follow

    def _names_needed(self, members: Mapping[str, Any]) -> list[Refetch]:
        missing = tuple(sorted(u for u in members if u not in self.names and u != self.user_id))
        return [Refetch("users", user_ids=missing)] if missing else []

    def _drop_guild(self, gid: str) -> None:
        self.guilds.pop(gid, None)
        self.subscribed_guilds.discard(gid)
        for pair in [p for p in self.subscriptions if p[0] == gid]:
            self.subscriptions.discard(pair)
            self.messages.pop(pair[1], None)

    def _channels_refetch(self, gid: str) -> list[Refetch]:
        return [Refetch("channels", gid)] if gid in self.guilds else []

    # ---- channel events ------------------------------------------------------------------------

    def _subscribed(self, d: dict[str, Any]) -> list[Refetch]:
        gid, cid = d.get("guild_id"), d.get("channel_id")
        if not isinstance(gid, str) or not isinstance(cid, str):
            return []
        self.subscriptions.add((gid, cid))
        live = gid in self.subscribed_guilds
        self.subscribed_guilds.add(gid)
        if gid not in self.guilds or not live:
            # A guild known without a guild connection (learnt from the join response) received no
            # guild events in the meantime (GATEWAY.md §6.0): its roles and assignments may be stale,
            # e.g. a role delete removes assignments silently. Its first subscription re-reads it whole.
            return [Refetch("guild", gid, channel_ids=(cid,))]
        g = self.guilds[gid]
        if g.channels is None or cid not in g.channels:
            return [Refetch("channels", gid)]
        return [] if cid in self.messages else [Refetch("messages", gid, cid)]

    def _loaded(self, d: dict[str, Any]) -> dict[str, _Message] | None:
        gid, cid = d.get("guild_id"), d.get("channel_id")
        if (gid, cid) not in self.subscriptions or gid not in self.guilds:
            return None
        return self.messages.get(cid)  # type: ignore[arg-type]

    def _message_create(self, d: dict[str, Any]) -> list[Refetch]:
        msgs = self._loaded(d)
        if msgs is not None and d.get("message_id") not in msgs:
            reactions = {r["emoji"]: r["count"] for r in d.get("reactions", []) if r.get("count", 0) > 0}
            msgs[d["message_id"]] = _Message(d.get("content", ""), reactions)
            if len(msgs) > KEPT_MESSAGES:  # a long-lived client keeps a bounded history, like a real one
                del msgs[min(msgs)]
                self.partial.add(d["channel_id"])
        return []

    def _message_update(self, d: dict[str, Any]) -> list[Refetch]:
        msgs = self._loaded(d)
        fields = d.get("updated_fields") or {}
        if msgs is not None and d.get("message_id") in msgs and "content" in fields:
            msgs[d["message_id"]].content = fields["content"]
        return []

    def _message_delete(self, d: dict[str, Any]) -> list[Refetch]:
        msgs = self._loaded(d)
        if msgs is None or msgs.pop(d.get("message_id"), None) is None:  # type: ignore[arg-type]
            return []
        # Below a full window, an older message slides into view that the replica may never have loaded.
        partial = d["channel_id"] in self.partial and len(msgs) < MESSAGE_WINDOW
        return [Refetch("messages", d["guild_id"], d["channel_id"])] if partial else []

    def _message_reaction(self, d: dict[str, Any]) -> list[Refetch]:
        msgs = self._loaded(d)
        msg = msgs.get(d.get("message_id")) if msgs is not None else None  # type: ignore[arg-type]
        if msg is not None and isinstance(d.get("count"), int):
            if d["count"] > 0:
                msg.reactions[d["emoji"]] = d["count"]
            else:
                msg.reactions.pop(d.get("emoji"), None)  # type: ignore[arg-type]
        return []

    # ---- guild events --------------------------------------------------------------------------

    def _guild(self, d: dict[str, Any]) -> _Guild | None:
        return self.guilds.get(d.get("guild_id"))  # type: ignore[arg-type]

    def _channel_create(self, d: dict[str, Any]) -> list[Refetch]:
        g, ch = self._guild(d), d.get("channel") or {}
        # A new channel has no overrides: every member with guild-level create_message sees it.
        if g is not None and g.channels is not None and "channel_id" in ch:
            g.channels[ch["channel_id"]] = ChannelView(ch.get("name", ""), ch.get("kind", "text"))
        return []

    def _workspace_update(self, d: dict[str, Any]) -> list[Refetch]:
        g, fields = self._guild(d), d.get("updated_fields") or {}
        if g is not None:
            g.name = fields.get("name", g.name)
            g.visibility = fields.get("visibility", g.visibility)
        return []

    def _member_add(self, d: dict[str, Any]) -> list[Refetch]:
        g = self._guild(d)
        if g is None:
            return []
        g.members.setdefault(d.get("user_id", ""), set())
        # The default join role is not in the event; the members read also brings the new name.
        return [Refetch("members", d["guild_id"])]

    def _member_update(self, d: dict[str, Any]) -> list[Refetch]:
        return self._channels_refetch(d["guild_id"]) if d.get("user_id") == self.user_id else []

    def _member_remove(self, d: dict[str, Any]) -> list[Refetch]:
        gid = d.get("guild_id", "")
        if d.get("user_id") == self.user_id:
            self._drop_guild(gid)  # the client leaves the workspace view (REST.md §12.2 item 8)
            return []
        g = self.guilds.get(gid)
        if g is not None:
            g.members.pop(d.get("user_id", ""), None)
        return []

    def _role_create(self, d: dict[str, Any]) -> list[Refetch]:
        g, role = self._guild(d), d.get("role") or {}
        if g is not None and "role_id" in role and role["role_id"] not in g.seed_role_ids:
            g.roles[role["role_id"]] = RoleView(role.get("name", ""), role.get("position", 0),
                                                frozenset(role.get("permissions", [])), role.get("color_hex"))
        return []

    def _role_update(self, d: dict[str, Any]) -> list[Refetch]:
        g, rid, fields = self._guild(d), d.get("role_id"), d.get("updated_fields") or {}
        if g is None:
            return []
        old = g.roles.get(rid)  # type: ignore[arg-type]
        if old is not None:
            g.roles[rid] = RoleView(  # type: ignore[index]
                fields["name"].strip() if isinstance(fields.get("name"), str) else old.name,
                old.position,
                frozenset(fields["permissions"]) if "permissions" in fields else old.permissions,
                fields["color_hex"] if fields.get("color_hex") else old.color,
            )
        return self._channels_refetch(d["guild_id"]) if self._might_hold(g, rid) else []

    def _role_delete(self, d: dict[str, Any]) -> list[Refetch]:
        g, rid = self._guild(d), d.get("role_id")
        if g is None:
            return []
        held = self._might_hold(g, rid)
        g.roles.pop(rid, None)  # type: ignore[arg-type]
        for roles in g.members.values():
            roles.discard(rid)  # type: ignore[arg-type]
        return self._channels_refetch(d["guild_id"]) if held else []

    def _role_reorder(self, d: dict[str, Any]) -> list[Refetch]:
        g, ids = self._guild(d), d.get("role_ids") or []
        if g is not None:
            for index, rid in enumerate(ids):
                if rid in g.roles:
                    old = g.roles[rid]
                    g.roles[rid] = RoleView(old.name, len(ids) - index, old.permissions, old.color)
        return []

    def _assignment(self, d: dict[str, Any], *, add: bool) -> list[Refetch]:
        g, rid, uid = self._guild(d), d.get("role_id"), d.get("user_id")
        if g is None:
            return []
        if isinstance(rid, str) and rid not in g.seed_role_ids and uid in g.members:
            held = g.members[uid]  # type: ignore[index]
            if add:
                held.add(rid)
            else:
                held.discard(rid)
        # Any assignment change of this user (seeded roles included) may change what it sees.
        return self._channels_refetch(d["guild_id"]) if uid == self.user_id else []

    def _override(self, d: dict[str, Any]) -> list[Refetch]:
        if d.get("target_kind") == "member" and d.get("target_id") != self.user_id:
            return []  # another member's override cannot change what this client sees
        return self._channels_refetch(d.get("guild_id", ""))

    def _might_hold(self, g: _Guild, rid: Any) -> bool:
        """Seeded roles may be held implicitly (legacy role); custom ones per the member list."""
        return rid in g.seed_role_ids or rid in g.members.get(self.user_id or "", set()) or rid not in g.roles

    # ---- user events ---------------------------------------------------------------------------

    def _profile_update(self, d: dict[str, Any]) -> list[Refetch]:
        uid, fields = d.get("user_id", ""), d.get("updated_fields") or {}
        if "username" in fields:
            self.names[uid] = fields["username"]
            if uid in self.friends:
                self.friends[uid] = fields["username"]
        if uid == self.user_id and self.profile is not None:
            p = self.profile
            self.profile = ProfileView(fields.get("username", p.username), fields.get("about_markdown", p.about_markdown),
                                       p.avatar_version, p.banner_version)
        return []

    def _profile_media(self, d: dict[str, Any]) -> list[Refetch]:
        if d.get("user_id") == self.user_id and self.profile is not None:
            p = self.profile
            self.profile = ProfileView(p.username, p.about_markdown, d.get("avatar_version", p.avatar_version),
                                       d.get("banner_version", p.banner_version))
        return []

    def _friend_request_create(self, d: dict[str, Any]) -> list[Refetch]:
        rid, sender, recipient = d.get("request_id", ""), d.get("sender_user_id", ""), d.get("recipient_user_id", "")
        if sender == self.user_id:
            self.outgoing[rid] = recipient
        elif recipient == self.user_id:
            self.incoming[rid] = sender
        return []

    def _friend_request_update(self, d: dict[str, Any]) -> list[Refetch]:
        if d.get("user_id") != self.user_id:
            return []  # another recipient's personalised copy: not ours to apply
        rid = d.get("request_id", "")
        self.incoming.pop(rid, None)
        self.outgoing.pop(rid, None)
        friend, name = d.get("friend_user_id", ""), d.get("friend_username", "")
        self.friends[friend] = name
        self.names[friend] = name
        return []

    def _friend_request_delete(self, d: dict[str, Any]) -> list[Refetch]:
        self.incoming.pop(d.get("request_id", ""), None)
        self.outgoing.pop(d.get("request_id", ""), None)
        return []

    def _friend_remove(self, d: dict[str, Any]) -> list[Refetch]:
        if d.get("user_id") == self.user_id:
            self.friends.pop(d.get("friend_user_id", ""), None)
        return []


def _from_view(g: GuildView) -> _Guild:
    return _Guild(g.name, g.visibility, None if g.channels is None else dict(g.channels), dict(g.roles),
                  {u: set(r) for u, r in g.members.items()}, set(g.seed_role_ids), g.default_join_role)
