"""Turn a Blueprint into the ordered REST mutations that build it (Complement's blueprints).

Seeding goes through the same mutation objects as the steps, so the model learns every id and state
from real responses; nothing touches the server's storage directly. Pure: the runner executes the plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from harness.model.mutations import (
    AcceptFriendRequest, AddMember, AssignRole, CreateChannel, CreateGuild, CreateRole, JoinGuild, LoadRoles,
    Mutation, Register, SendFriendRequest, SetPermissionOverride, UpdateMemberRole,
)
from harness.engine.scenario import Blueprint, GuildSpec

MAX_USERNAME = 32


def username_for(alias: str, namespace: str) -> str:
    """A unique, valid username (3–32 of ``[A-Za-z0-9_.]``) for an alias within one run."""
    base = re.sub(r"[^A-Za-z0-9_.]", "_", alias)[: MAX_USERNAME - len(namespace) - 1]
    name = f"{base}_{namespace}"
    return name if len(name) >= 3 else f"{name}___"[:3]


@dataclass(frozen=True)
class SeedPlan:
    """Three phases, each after the one before. Within a phase the parts are independent of each other
    (no gateway connection exists while seeding, so their order changes no frame): the runner may do
    them concurrently."""

    registrations: list[Register]
    """Accounts first: each is registered, then logged in once (the user's seed session)."""
    guilds: list[list[Mutation]]
    """Per guild, in dependency order, each by the actor its REST route requires."""
    friendships: list[Mutation]
    """Friend requests and their acceptances, in order."""

    @property
    def mutations(self) -> list[Mutation]:
        """Everything after the registrations, in one valid order."""
        return [m for guild in self.guilds for m in guild] + self.friendships


def seed_plan(blueprint: Blueprint, namespace: str) -> SeedPlan:
    registrations = [Register(actor=alias, username=username_for(alias, namespace)) for alias in blueprint.users]
    friendships: list[Mutation] = []
    for index, (sender, recipient) in enumerate(blueprint.friendships):
        request = f"seed-friendship-{index}"
        friendships.append(SendFriendRequest(actor=sender, to=recipient, request=request))
        friendships.append(AcceptFriendRequest(actor=recipient, request=request))
    return SeedPlan(registrations, [_guild_mutations(guild) for guild in blueprint.guilds], friendships)


def _guild_mutations(guild: GuildSpec) -> list[Mutation]:
    owner = guild.owner
    out: list[Mutation] = [
        CreateGuild(actor=owner, guild=guild.alias, name=guild.name, visibility=guild.visibility),
        LoadRoles(actor=owner, guild=guild.alias),
    ]
    out += [CreateChannel(actor=owner, guild=guild.alias, channel=channel.alias,
                          name=channel.name or channel.alias, kind=channel.kind)
            for channel in guild.channels]
    for user, role in guild.members.items():
        out.append(AddMember(actor=owner, guild=guild.alias, user=user))
        if role == "moderator":
            out.append(UpdateMemberRole(actor=owner, guild=guild.alias, user=user, role="moderator"))
    out += [JoinGuild(actor=user, guild=guild.alias) for user in guild.joined]
    out += [CreateRole(actor=owner, guild=guild.alias, role=role.alias, name=role.name or role.alias,
                       permissions=tuple(role.permissions), position=role.position, color=role.color_hex)
            for role in guild.roles]
    for role, holders in guild.assignments.items():
        out += [AssignRole(actor=owner, guild=guild.alias, role=role, user=user) for user in holders]
    for override in guild.overrides:
        kind = "member" if override.target == "member" else "role"
        target = "@everyone" if override.target == "everyone" else override.name
        out.append(SetPermissionOverride(actor=owner, channel=override.channel, target_kind=kind, target=target,
                                         allow=tuple(override.allow), deny=tuple(override.deny)))
    return out
