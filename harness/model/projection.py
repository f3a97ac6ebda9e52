"""The model's projection: the ClientView a user *should* see over a scope, computed from the world.

It mirrors what a fresh REST snapshot must return (``harness/clients/snapshot.py``): guilds listed by
``GET /guilds`` (current, unbanned memberships) among the scope's guilds, their visible channels,
custom roles, members, and the newest messages of subscribed visible channels.
"""
from __future__ import annotations

from harness.model import permissions as perms
from harness.model.views import (
    ChannelView, ClientView, GuildView, MessageView, ProfileView, RoleView, Scope, window,
)
from harness.model.world import Guild, World


def project(world: World, user: str, scope: Scope) -> ClientView:
    me = world.user(user)
    guilds: dict[str, GuildView] = {}
    for gid in scope.guilds:
        alias = world.alias_of("guild", gid)
        if alias is None or not perms.is_member(world.guild(alias), user):
            continue  # GET /guilds lists current, unbanned memberships only (not the server owner's)
        guilds[gid] = _guild_view(world, world.guild(alias), user, scope)
    observed = set(world.friends_of(user))
    for gid in guilds:
        observed |= set(world.guild(world.alias_of("guild", gid) or "").members)
    observed.discard(user)  # the user's own name is in the profile
    return ClientView(
        user_id=me.id,
        profile=ProfileView(me.username, me.about, me.avatar_version, me.banner_version),
        guilds=guilds,
        friends={world.user_id(f): world.user(f).username for f in world.friends_of(user)},
        incoming={r.id: world.user_id(r.sender) for r in world.friend_requests.values()
                  if r.state == "pending" and r.recipient == user and r.id},
        outgoing={r.id: world.user_id(r.recipient) for r in world.friend_requests.values()
                  if r.state == "pending" and r.sender == user and r.id},
        usernames={world.user_id(u): world.user(u).username for u in observed},
        scope=scope,
    )


def _guild_view(world: World, guild: Guild, user: str, scope: Scope) -> GuildView:
    channels = None if world.harness_ip_banned(guild.alias) else {
        world.channel_id(c): ChannelView(world.channel(c).name, world.channel(c).kind)
        for c in guild.channels if perms.may_see_channel(world, c, user)
    }
    custom = {alias: role for alias, role in guild.roles.items() if not role.is_seed and role.id}
    return GuildView(
        name=guild.name,
        visibility=guild.visibility,
        channels=channels,
        roles={r.id: RoleView(r.name, r.position, r.perms, r.color) for r in custom.values()},  # type: ignore[misc]
        members={world.user_id(u): frozenset(custom[a].id for a in guild.assignments.get(u, set()) if a in custom)
                 for u in guild.members if u not in guild.banned},  # type: ignore[misc]
        messages=_messages(world, guild, channels or {}, scope),
        seed_role_ids=frozenset(r.id for r in guild.roles.values() if r.is_seed and r.id),
        default_join_role=guild.roles[guild.default_join_role].id if guild.default_join_role in guild.roles else None,
    )


def _messages(world: World, guild: Guild, visible: dict[str, ChannelView], scope: Scope) -> dict[str, dict[str, MessageView]]:
    out: dict[str, dict[str, MessageView]] = {}
    for gid, cid in scope.channels:
        if gid != guild.id or cid not in visible:
            continue
        channel = world.alias_of("channel", cid)
        msgs = {m.id: MessageView(m.content, {e: len(us) for e, us in m.reactions.items() if us})
                for m in world.channel_messages(channel) if not m.deleted and m.id}
        out[cid] = window(msgs)  # type: ignore[arg-type]
    return out
