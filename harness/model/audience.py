"""GATEWAY.md §6 as the oracle implements it: MUST / MAY / MUST_NOT per open connection.

Every function is evaluated on the world *right after* the mutation (§6.0 "at the time of the
mutation"). The MAY cases, each a place a bug could hide, are exactly these (docs/model.md):

1. a *stale* subscription (taken before the user's latest removal from G, not renewed) while the
   user is a member again: guild and channel events of G;
2. a *lapsed* channel subscription (the user lost sight of C after the ack and has it again):
   channel events of C;
3. the removed user's own stale guild connections for its ``workspace_member_ban``/``_remove``;
4. the configured server owner's guild connections of a guild it is not a member of (not for
   ``workspace_ip_ban_sync``, whose audience is defined by IP-ban moderation alone);
5. presence transitions whose occurrence depends on whether the server dropped stale presence
   (see ``oracle.py``).

``oracle.py`` adds two that come from the harness, not from a server choice: a *starved* connection's
MUST become MAY (§1.6 slow consumer), and presence around a connection the client is *closing* (the
server may see the close and the next subscribe in either order).
"""
from __future__ import annotations

from typing import Mapping

from harness.history import ConnectionId
from harness.model import permissions as perms
from harness.model.connections import Connection, Connections, Status
from harness.model.expectations import Delivery
from harness.model.world import World

Audience = dict[ConnectionId, Delivery]


def guild_status(world: World, conn: Connection, guild: str) -> Status:
    """``current`` if the connection holds a non-stale subscription in G, ``stale`` if only stale ones."""
    subs = conn.subs_in(guild)
    if not subs:
        return "none"
    epoch = world.guild(guild).removal_epoch(conn.user)
    return "current" if any(s.epoch == epoch for s in subs) else "stale"


def channel_status(world: World, conn: Connection, guild: str, channel: str) -> Status:
    sub = conn.subs.get((guild, channel))
    if sub is None:
        return "none"
    epoch = world.guild(guild).removal_epoch(conn.user)
    return "current" if sub.epoch == epoch and not sub.lapsed else "stale"


def guild_delivery(world: World, conn: Connection, guild: str) -> Delivery:
    """Guild-scoped events (§6.2): guild connections of current members."""
    status = guild_status(world, conn, guild)
    if status == "none":
        return Delivery.MUST_NOT
    g = world.guild(guild)
    if perms.is_member(g, conn.user):
        return Delivery.MUST if status == "current" else Delivery.MAY
    if status == "current" and perms.is_server_owner(world, conn.user):
        return Delivery.MAY  # a server owner may subscribe without membership; §6.2 says "members"
    return Delivery.MUST_NOT


def guild_audience(world: World, conns: Connections, guild: str) -> Audience:
    return {c.id: guild_delivery(world, c, guild) for c in conns}


def removal_audience(
    world: World, conns: Connections, guild: str, subject: str, before: Mapping[ConnectionId, Status]
) -> Audience:
    """``workspace_member_ban``/``_remove`` of ``subject``: guild audience plus the subject's own guild
    connections (MUST when they were current before the mutation, MAY when already stale)."""
    out = guild_audience(world, conns, guild)
    for c in conns.of_user(subject):
        previous = before.get(c.id, guild_status(world, c, guild))
        if previous == "current":
            out[c.id] = Delivery.MUST
        elif previous == "stale":
            out[c.id] = Delivery.MAY
    return out


def ip_moderator_audience(world: World, conns: Connections, guild: str) -> Audience:
    """``workspace_ip_ban_sync``: only guild connections of users who may moderate IP bans. §6.2's
    narrower rule names no membership: the server owner may moderate IP bans of every guild (REST.md
    §3.6), so its current guild connection MUST receive it (MAY 4 is for the other guild events)."""
    g = world.guild(guild)
    out: Audience = {}
    for c in conns:
        if not perms.may_moderate_ip_bans(world, g, c.user):
            out[c.id] = Delivery.MUST_NOT
        elif perms.is_server_owner(world, c.user) and guild_status(world, c, guild) == "current":
            out[c.id] = Delivery.MUST
        else:
            out[c.id] = guild_delivery(world, c, guild)
    return out


def channel_delivery(world: World, conn: Connection, guild: str, channel: str) -> Delivery:
    """Channel-scoped events (§6.1): subscribers of (G, C) whose user may see C."""
    status = channel_status(world, conn, guild, channel)
    if status == "none" or not perms.may_see_channel(world, channel, conn.user):
        return Delivery.MUST_NOT
    return Delivery.MUST if status == "current" else Delivery.MAY


def channel_audience(world: World, conns: Connections, guild: str, channel: str) -> Audience:
    return {c.id: channel_delivery(world, c, guild, channel) for c in conns}


def users_audience(conns: Connections, users: set[str]) -> Audience:
    """User-scoped events: every connection of the listed users, no subscription needed (§6.3)."""
    return {c.id: Delivery.MUST if c.user in users else Delivery.MUST_NOT for c in conns}


def profile_observers(world: World, owner: str) -> set[str]:
    """The owner, current friends and users sharing at least one guild membership (§6.3)."""
    return {owner} | world.friends_of(owner) | world.co_members(owner)


def connection_audience(conns: Connections, conn: ConnectionId) -> Audience:
    """Connection-scoped events (§6.4): the one connection concerned."""
    return {c.id: Delivery.MUST if c.id == conn else Delivery.MUST_NOT for c in conns}


def soften(audience: Audience) -> Audience:
    """MUST → MAY (for events whose occurrence itself is optional)."""
    return {c: Delivery.MAY if d is Delivery.MUST else d for c, d in audience.items()}
