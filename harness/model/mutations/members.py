"""Rows ``member.add``, ``member.join``, ``member.update``, ``member.kick``, ``member.ban``
(REST.md §8.5, §8.7–§8.9). Guild scope; kick/ban use the removal audience (GATEWAY.md §6.2)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from harness.model import permissions as perms
from harness.model.mutations import rules
from harness.model.mutations.base import (
    NO_BODY, EventPrediction, Mutation, RestCall, RestResult, Verdict, forbidden, not_found, ok,
)
from harness.model.world import Guild, World


def _guild_path(world: World, guild: str) -> str:
    return f"/guilds/{world.guild_id(guild)}"


def admit(guild: Guild, user: str) -> None:
    """A new member: legacy role member plus the default join role if set, existing and non-system."""
    guild.members[user] = "member"
    default = guild.default_join_role
    role = guild.roles.get(default) if default else None
    guild.assignments[user] = {default} if role is not None and not role.is_system else set()  # type: ignore[arg-type]


def remove(guild: Guild, user: str) -> None:
    """Kick/ban: membership and every assignment go; member overrides stay (keyed by user id)."""
    if user in guild.members:
        del guild.members[user]
        guild.assignments.pop(user, None)
        guild.removals[user] = guild.removals.get(user, 0) + 1


def _member_add_event(world: World, guild: str, user: str, actor: str) -> EventPrediction:
    return EventPrediction(
        "workspace_member_add", "guild",
        match={"guild_id": world.guild_id(guild), "user_id": world.user_id(user)},
        fields={"role": "member", "actor_user_id": world.user_id(actor)}, guild=guild,
    )


@dataclass(frozen=True)
class AddMember(Mutation):
    actor: str
    guild: str
    user: str
    row: ClassVar[str] = "member.add"

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"{_guild_path(world, self.guild)}/members/{world.user_id(self.user)}")

    def verdict(self, world: World) -> Verdict:
        if refusal := rules.guild_perm_gate(world, self.guild, self.actor, "manage_member_roles"):
            return refusal
        if self.user in world.guild(self.guild).banned:
            return forbidden()
        return ok()  # an existing member is a 200 no-op

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        if perms.is_member(guild, self.user):
            return []
        admit(guild, self.user)
        return [_member_add_event(world, self.guild, self.user, self.actor)]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class JoinGuild(Mutation):
    """POST /guilds/{g}/join. Records an IP observation for the actor whatever the outcome (after the
    limiter), which is what ``ip_ban.upsert`` later bans."""

    actor: str
    guild: str
    row: ClassVar[str] = "member.join"

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"{_guild_path(world, self.guild)}/join", json=NO_BODY)

    def verdict(self, world: World) -> Verdict:
        guild = world.guild(self.guild)
        if guild.visibility != "public":
            return not_found()
        if self.actor in guild.banned:
            return forbidden("directory_join_user_banned")
        if world.harness_ip_banned(self.guild):
            return forbidden("directory_join_ip_banned")
        return ok()

    def _observe(self, world: World) -> None:
        world.ip_observations.setdefault(self.actor, set()).add(world.config.harness_ip)

    def on_error(self, world: World, result: RestResult) -> None:
        if result.status not in (401, 429):
            self._observe(world)

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        self._observe(world)
        guild = world.guild(self.guild)
        if perms.is_member(guild, self.actor):
            return []  # outcome already_member
        admit(guild, self.actor)
        return [_member_add_event(world, self.guild, self.actor, self.actor)]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class UpdateMemberRole(Mutation):
    """PATCH /guilds/{g}/members/{u} ``{"role"}`` (legacy role change, rank rules of §3.5)."""

    actor: str
    guild: str
    user: str
    role: Literal["owner", "moderator", "member"]
    row: ClassVar[str] = "member.update"

    def call(self, world: World) -> RestCall:
        return RestCall("PATCH", f"{_guild_path(world, self.guild)}/members/{world.user_id(self.user)}",
                        json={"role": self.role})

    def verdict(self, world: World) -> Verdict:
        guild = world.guild(self.guild)
        actor_label = perms.resolved_label(world, guild, self.actor)
        if actor_label is None:
            return forbidden()
        target_label = perms.resolved_label(world, guild, self.user) if perms.is_member(guild, self.user) else None
        if target_label is None:
            return not_found()
        if not perms.can_assign_legacy_role(actor_label, target_label, self.role):
            return forbidden()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        guild.members[self.user] = self.role
        held = guild.assignments.setdefault(self.user, set())
        held -= {"workspace_owner", "moderator", "member"}
        held.add(perms.IMPLIED_ROLE[self.role])
        return [EventPrediction(
            "workspace_member_update", "guild",
            match={"guild_id": world.guild_id(self.guild), "user_id": world.user_id(self.user)},
            fields={"updated_fields.role": self.role, "actor_user_id": world.user_id(self.actor)}, guild=self.guild,
        )]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


def _moderation_refusal(world: World, guild: str, actor: str, user: str, *, require_member: bool) -> Verdict | None:
    g = world.guild(guild)
    actor_label = perms.resolved_label(world, g, actor)
    if actor_label not in ("owner", "moderator"):
        return forbidden()
    if not perms.is_member(g, user):
        return not_found() if require_member else None
    target_label = perms.resolved_label(world, g, user)
    return None if perms.can_moderate(actor_label, target_label or "member") else forbidden()


def _remove_event(world: World, guild: str, user: str, actor: str, reason: str) -> EventPrediction:
    return EventPrediction(
        "workspace_member_remove", "guild_removal",
        match={"guild_id": world.guild_id(guild), "user_id": world.user_id(user), "reason": reason},
        fields={"actor_user_id": world.user_id(actor)}, guild=guild, subject=user,
    )


@dataclass(frozen=True)
class KickMember(Mutation):
    actor: str
    guild: str
    user: str
    row: ClassVar[str] = "member.kick"

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"{_guild_path(world, self.guild)}/members/{world.user_id(self.user)}/kick")

    def verdict(self, world: World) -> Verdict:
        return _moderation_refusal(world, self.guild, self.actor, self.user, require_member=True) or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        remove(world.guild(self.guild), self.user)
        return [_remove_event(world, self.guild, self.user, self.actor, "kick")]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class BanMember(Mutation):
    """Ban; a non-member can be banned pre-emptively. Always ``workspace_member_ban`` then
    ``workspace_member_remove`` (reason ban), even when the user was not a member."""

    actor: str
    guild: str
    user: str
    row: ClassVar[str] = "member.ban"

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"{_guild_path(world, self.guild)}/members/{world.user_id(self.user)}/ban")

    def verdict(self, world: World) -> Verdict:
        return _moderation_refusal(world, self.guild, self.actor, self.user, require_member=False) or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        remove(guild, self.user)
        guild.banned.add(self.user)
        ban = EventPrediction(
            "workspace_member_ban", "guild_removal",
            match={"guild_id": world.guild_id(self.guild), "user_id": world.user_id(self.user)},
            fields={"actor_user_id": world.user_id(self.actor)}, guild=self.guild, subject=self.user,
        )
        return [ban, _remove_event(world, self.guild, self.user, self.actor, "ban")]

    def guild_alias(self, world: World) -> str | None:
        return self.guild
