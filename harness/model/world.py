"""The authoritative world the model believes the server holds, keyed by scenario aliases.

Scenarios name entities by alias ("alice", "lab", "general", "m1", "r1"); the server names them by
ULID. The world keeps both: every entity has an alias and, once a REST response (or a gateway frame)
told us, its server id. Roles are the one per-guild namespace: the four seeded roles are called by
their seed names ("@everyone", "workspace_owner", "moderator", "member") inside each guild, custom
roles by their scenario alias.

Nothing here does I/O and nothing here knows about connections (see ``connections.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from harness.errors import ScenarioError

LegacyRole = Literal["owner", "moderator", "member"]
Visibility = Literal["private", "public"]
ChannelKind = Literal["text", "voice"]
LegacyOverrideMode = Literal["immediate", "first_write", "deferred"]
LEGACY_OVERRIDE_MODES: tuple[str, ...] = get_args(LegacyOverrideMode)

SEED_ROLE_NAMES: tuple[str, ...] = ("@everyone", "workspace_owner", "moderator", "member")
"""Seeded roles (REST.md §3.2); inside a guild they are referred to by these names."""

IdKind = Literal["user", "guild", "channel", "message", "request", "ban"]


@dataclass(frozen=True)
class WorldConfig:
    """Facts about the target the model cannot learn from the API."""

    server_owner: str | None = None
    """Alias of the user configured as ``FILAMENT_SERVER_OWNER_USER_ID`` (REST.md §3.6), if any."""
    harness_ip: str = "127.0.0.1"
    """Every request and connection of the harness comes from this address (IP observations/bans)."""
    legacy_overrides: LegacyOverrideMode = "immediate"
    """How ``POST …/overrides/{role}`` affects evaluation (REST.md §9.4, §14.3): ``immediate`` (the
    reference target: written as a role-id override on the mapped seed role, latest wins),
    ``first_write`` (Filament memory mode: only if that role id has no override yet), ``deferred``
    (Filament DB mode: no effect until a restart)."""


@dataclass
class User:
    alias: str
    username: str
    password: str = field(repr=False)
    id: str | None = None
    about: str = ""
    avatar_version: int = 0
    banner_version: int = 0


@dataclass
class Role:
    alias: str
    """Seed name for seeded roles, scenario alias for custom roles (unique within the guild)."""
    name: str
    position: int
    permissions: tuple[str, ...]
    """As last sent (create/update request) or the seed defaults; order and duplicates kept."""
    color: str | None = None
    is_system: bool = False
    system_key: str | None = None
    """``everyone`` / ``workspace_owner`` / ``moderator`` / ``member`` for the seeds, else None."""
    id: str | None = None
    seq: int = 0
    """Creation order, the tie-break of role lists after position."""

    @property
    def perms(self) -> frozenset[str]:
        return frozenset(self.permissions)

    @property
    def is_seed(self) -> bool:
        return self.system_key is not None


@dataclass(frozen=True)
class Override:
    """One channel override as sent: allow and deny lists (they never overlap; the server refuses)."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass
class Channel:
    alias: str
    guild: str
    name: str
    kind: ChannelKind = "text"
    id: str | None = None


@dataclass
class Message:
    alias: str
    guild: str
    channel: str
    author: str
    content: str
    id: str | None = None
    """None until bound (a gateway-created message has no REST response, see Model.bind_message)."""
    reactions: dict[str, set[str]] = field(default_factory=dict)
    """emoji -> aliases of the reacting users."""
    deleted: bool = False
    """Deleted messages stay known (so "edit after delete" can be predicted as 404)."""


@dataclass
class IpBan:
    alias: str
    guild: str
    network: str
    id: str | None = None
    active: bool = True
    """False once removed (kept so that "remove twice" can be predicted as 404). Expiry is not
    modelled: scenarios must not use expiries that can lapse during a run."""


@dataclass
class FriendRequest:
    alias: str
    sender: str
    recipient: str
    id: str | None = None
    state: Literal["pending", "accepted", "deleted"] = "pending"


@dataclass
class Guild:
    alias: str
    name: str
    visibility: Visibility
    creator: str
    id: str | None = None
    members: dict[str, LegacyRole] = field(default_factory=dict)
    """user alias -> legacy role (REST.md §3.3), current members only."""
    banned: set[str] = field(default_factory=set)
    roles: dict[str, Role] = field(default_factory=dict)
    deleted_roles: dict[str, Role] = field(default_factory=dict)
    """Deleted roles by alias (so "update a deleted role" can be predicted as 404)."""
    assignments: dict[str, set[str]] = field(default_factory=dict)
    """Explicit role assignments: user alias -> role aliases (the implied legacy role is not stored)."""
    channels: list[str] = field(default_factory=list)
    role_overrides: dict[tuple[str, str], Override] = field(default_factory=dict)
    """(channel alias, role alias) -> override; what §3.4 step 6 evaluates."""
    member_overrides: dict[tuple[str, str], Override] = field(default_factory=dict)
    """(channel alias, user alias) -> override; kept across kicks (keyed by user id server-side)."""
    legacy_overrides: dict[tuple[str, LegacyRole], Override] = field(default_factory=dict)
    """(channel alias, legacy role) -> last write through the legacy route."""
    default_join_role: str | None = None
    ip_bans: dict[str, IpBan] = field(default_factory=dict)
    removals: dict[str, int] = field(default_factory=dict)
    """user alias -> how many times the user was removed (kick/ban) from this guild. A subscription
    remembers this number at its ack; a larger number now means the subscription is stale."""
    role_seq: int = 0

    def role_by_name(self, name: str) -> Role | None:
        for role in self.roles.values():
            if role.name == name:
                return role
        return None

    def seed(self, key: str) -> Role:
        for role in self.roles.values():
            if role.system_key == key:
                return role
        raise ScenarioError(f"guild {self.alias!r} has no seeded role {key!r}")

    def is_member(self, user: str) -> bool:
        """A current member: a membership row and no ban (the engine denies banned users, REST.md §3.9)."""
        return user in self.members and user not in self.banned

    def removal_epoch(self, user: str) -> int:
        return self.removals.get(user, 0)

    def banned_networks(self) -> set[str]:
        return {ban.network for ban in self.ip_bans.values() if ban.active}


@dataclass
class World:
    config: WorldConfig = field(default_factory=WorldConfig)
    users: dict[str, User] = field(default_factory=dict)
    guilds: dict[str, Guild] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    friendships: set[frozenset[str]] = field(default_factory=set)
    friend_requests: dict[str, FriendRequest] = field(default_factory=dict)
    """Every request ever made, with its state (deleted/accepted ones stay, to classify frames)."""
    ip_observations: dict[str, set[str]] = field(default_factory=dict)
    """user alias -> addresses recorded by ``POST /guilds/{g}/join`` (the only recorder, REST.md §8.5)."""
    _ids: dict[tuple[IdKind, str], str] = field(default_factory=dict)
    """(kind, server id) -> alias."""
    _role_ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    """role id -> (guild alias, role alias)."""
    _channel_messages: dict[str, list[Message]] = field(default_factory=dict)
    """channel alias -> its messages, oldest first (a projection reads one channel, not every message)."""

    # ---- aliases <-> ids -------------------------------------------------------------------------

    def bind(self, kind: IdKind, alias: str, server_id: str) -> None:
        entity = self._entity(kind, alias)
        entity.id = server_id
        self._ids[(kind, server_id)] = alias

    def bind_role(self, guild: str, alias: str, server_id: str) -> None:
        self.role(guild, alias).id = server_id
        self._role_ids[server_id] = (guild, alias)

    def alias_of(self, kind: IdKind, server_id: str) -> str | None:
        return self._ids.get((kind, server_id))

    def role_alias_of(self, server_id: str) -> tuple[str, str] | None:
        return self._role_ids.get(server_id)

    def _entity(self, kind: IdKind, alias: str) -> User | Guild | Channel | Message | FriendRequest | IpBan:
        if kind == "user":
            return self.user(alias)
        if kind == "guild":
            return self.guild(alias)
        if kind == "channel":
            return self.channel(alias)
        if kind == "message":
            return self.message(alias)
        if kind == "request":
            return self.request(alias)
        for guild in self.guilds.values():
            if alias in guild.ip_bans:
                return guild.ip_bans[alias]
        raise ScenarioError(f"unknown IP ban alias {alias!r}")

    # ---- lookups (a scenario naming an unknown alias is a scenario error) -------------------------

    def user(self, alias: str) -> User:
        try:
            return self.users[alias]
        except KeyError:
            raise ScenarioError(f"unknown user alias {alias!r}") from None

    def guild(self, alias: str) -> Guild:
        try:
            return self.guilds[alias]
        except KeyError:
            raise ScenarioError(f"unknown guild alias {alias!r}") from None

    def channel(self, alias: str) -> Channel:
        try:
            return self.channels[alias]
        except KeyError:
            raise ScenarioError(f"unknown channel alias {alias!r}") from None

    def add_message(self, message: Message) -> None:
        self.messages[message.alias] = message
        self._channel_messages.setdefault(message.channel, []).append(message)

    def channel_messages(self, channel: str) -> list[Message]:
        """Every message ever posted in the channel (deleted ones flagged), oldest first."""
        return self._channel_messages.get(channel, [])

    def message(self, alias: str) -> Message:
        try:
            return self.messages[alias]
        except KeyError:
            raise ScenarioError(f"unknown message alias {alias!r}") from None

    def request(self, alias: str) -> FriendRequest:
        try:
            return self.friend_requests[alias]
        except KeyError:
            raise ScenarioError(f"unknown friend request alias {alias!r}") from None

    def role(self, guild: str, alias: str) -> Role:
        g = self.guild(guild)
        try:
            return g.roles[alias]
        except KeyError:
            raise ScenarioError(f"guild {guild!r} has no role {alias!r}") from None

    def ban(self, guild: str, alias: str) -> IpBan | None:
        return self.guild(guild).ip_bans.get(alias)

    def user_id(self, alias: str) -> str:
        return _need_id(self.user(alias).id, f"user {alias!r}")

    def guild_id(self, alias: str) -> str:
        return _need_id(self.guild(alias).id, f"guild {alias!r}")

    def channel_id(self, alias: str) -> str:
        return _need_id(self.channel(alias).id, f"channel {alias!r}")

    def message_id(self, alias: str) -> str:
        return _need_id(self.message(alias).id, f"message {alias!r}")

    def role_id(self, guild: str, alias: str) -> str:
        role = self.role(guild, alias)
        hint = " (seeded role ids are learned with LoadRoles / setup.roles)" if role.is_seed else ""
        return _need_id(role.id, f"role {alias!r} of guild {guild!r}{hint}")

    # ---- relations ------------------------------------------------------------------------------

    def is_member(self, guild: str, user: str) -> bool:
        return self.guild(guild).is_member(user)

    def are_friends(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.friendships

    def friends_of(self, user: str) -> set[str]:
        return {other for pair in self.friendships if user in pair for other in pair if other != user}

    def co_members(self, user: str) -> set[str]:
        """Users sharing at least one guild membership with ``user`` (not including ``user``)."""
        out: set[str] = set()
        for g in self.guilds.values():
            if g.is_member(user):
                out.update(u for u in g.members if u != user and g.is_member(u))
        return out

    def pending_request_between(self, a: str, b: str) -> FriendRequest | None:
        for req in self.friend_requests.values():
            if req.state == "pending" and {req.sender, req.recipient} == {a, b}:
                return req
        return None

    def harness_ip_banned(self, guild: str) -> bool:
        """Whether the harness address is inside an active IP ban of the guild (REST.md §3.10)."""
        return host_network(self.config.harness_ip) in self.guild(guild).banned_networks()

    def username_taken(self, username: str, by_other_than: str | None = None) -> bool:
        return any(u.username == username and u.alias != by_other_than for u in self.users.values())


def _need_id(value: str | None, what: str) -> str:
    if value is None:
        raise ScenarioError(f"the server id of {what} is not known yet")
    return value


def host_network(ip: str) -> str:
    """The network a by-user IP ban creates for one observed address: host /32 or /128 (REST.md §8.12)."""
    return f"{ip}/128" if ":" in ip else f"{ip}/32"
