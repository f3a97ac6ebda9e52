"""``ClientView``: the comparable, normalised state a client shows over its *live scope*.

Three producers build the same shape: the replica (from events), the REST snapshot (fresh reads with
the client's own token) and the model projection (from the world). Convergence compares them with a
structural diff of :meth:`ClientView.tree`. Fields marked ``compare=False`` are bookkeeping that is
not part of what a user sees (or not observable the same way by all three producers).

What is deliberately *not* compared (docs/model.md): seeded roles (their ids appear in members'
``role_ids`` differently in Filament's DB and memory modes, REST.md §14.6), timestamps, markdown
tokens, attachments, presence, voice, the default join role, ``reacted_by_me``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from harness.model.world import SEED_ROLE_NAMES as _SEED_ROLE_NAMES

MESSAGE_WINDOW = 100
"""Messages compared per channel: the newest 100 (one ``GET …/messages?limit=100`` page)."""

SEED_ROLE_NAMES = frozenset(_SEED_ROLE_NAMES)
"""The seeded roles' names (``harness.model.world``), for telling seeds apart by name in a REST read."""


@dataclass(frozen=True)
class Scope:
    """A client's live scope: guilds and channels its primary connection holds current subscriptions to."""

    guilds: frozenset[str] = frozenset()
    """Guild ids."""
    channels: frozenset[tuple[str, str]] = frozenset()
    """(guild id, channel id) pairs."""
    seed_role_ids: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """guild id -> ids of its seeded roles, when the model knows them (else seeds are told by name)."""


@dataclass(frozen=True)
class ProfileView:
    username: str
    about_markdown: str
    avatar_version: int
    banner_version: int


@dataclass(frozen=True)
class ChannelView:
    name: str
    kind: str


@dataclass(frozen=True)
class RoleView:
    name: str
    position: int
    permissions: frozenset[str]
    color: str | None


@dataclass(frozen=True)
class MessageView:
    content: str
    reactions: Mapping[str, int] = field(default_factory=dict)
    """emoji -> count, only emojis with count > 0."""


@dataclass(frozen=True)
class GuildView:
    name: str
    visibility: str
    channels: Mapping[str, ChannelView] | None
    """Visible channels; None when they cannot be read (every harness client is IP-banned from G)."""
    roles: Mapping[str, RoleView]
    """Custom (non-seeded) roles only."""
    members: Mapping[str, frozenset[str]]
    """member user id -> custom role ids held."""
    messages: Mapping[str, Mapping[str, MessageView]] = field(default_factory=dict)
    """channel id -> message id -> message, for subscribed channels that are visible."""
    seed_role_ids: frozenset[str] = field(default=frozenset(), compare=False)
    default_join_role: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ClientView:
    user_id: str | None
    profile: ProfileView | None
    guilds: Mapping[str, GuildView] = field(default_factory=dict)
    friends: Mapping[str, str] = field(default_factory=dict)
    """friend user id -> username."""
    incoming: Mapping[str, str] = field(default_factory=dict)
    """pending request id -> sender id."""
    outgoing: Mapping[str, str] = field(default_factory=dict)
    """pending request id -> recipient id."""
    usernames: Mapping[str, str] = field(default_factory=dict)
    """user id -> username for friends and co-members in the guilds in view (not the user itself)."""
    scope: Scope = field(default_factory=Scope, compare=False)

    def tree(self) -> dict[str, Any]:
        """Plain nested dicts/lists/scalars: what the structural diff walks."""
        return {
            "user_id": self.user_id,
            "profile": None if self.profile is None else vars(self.profile).copy(),
            "guilds": {gid: _guild_tree(g) for gid, g in self.guilds.items()},
            "friends": dict(self.friends),
            "incoming": dict(self.incoming),
            "outgoing": dict(self.outgoing),
            "usernames": dict(self.usernames),
        }


def _guild_tree(g: GuildView) -> dict[str, Any]:
    return {
        "name": g.name,
        "visibility": g.visibility,
        "channels": None if g.channels is None else {c: {"name": v.name, "kind": v.kind} for c, v in g.channels.items()},
        "roles": {r: {"name": v.name, "position": v.position, "permissions": sorted(v.permissions), "color": v.color}
                  for r, v in g.roles.items()},
        "members": {u: sorted(ids) for u, ids in g.members.items()},
        "messages": {c: {m: {"content": v.content, "reactions": dict(v.reactions)} for m, v in msgs.items()}
                     for c, msgs in g.messages.items()},
    }


def window(messages: Mapping[str, MessageView], size: int = MESSAGE_WINDOW) -> dict[str, MessageView]:
    """The newest ``size`` messages (ULIDs sort by creation time)."""
    newest = sorted(messages, reverse=True)[:size]
    return {m: messages[m] for m in sorted(newest)}


def custom_role_ids(role_ids: Any, seed_ids: frozenset[str]) -> frozenset[str]:
    return frozenset(r for r in role_ids if r not in seed_ids)
