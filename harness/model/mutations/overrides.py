"""Rows ``channel.role_override`` (legacy route, REST.md §9.4) and ``channel.permission_override``
(role and member targets, §9.5). Guild scope.

Legacy overrides target a legacy role name; how they affect evaluation is a per-target choice
(``WorldConfig.legacy_overrides``): the reference target writes them as a role-id override on the
mapped seed role (owner→workspace_owner, moderator→moderator, member→member), latest write wins.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from harness.model import permissions as perms
from harness.model.mutations import rules
from harness.model.mutations.base import EventPrediction, Mutation, RestCall, RestResult, Verdict, either, ok
from harness.model.world import Override, World


def _body(allow: tuple[str, ...], deny: tuple[str, ...]) -> dict[str, list[str]]:
    return {"allow": list(allow), "deny": list(deny)}


def _shape_refusal(allow: tuple[str, ...], deny: tuple[str, ...]) -> Verdict | None:
    if any(p not in perms.ALL for p in (*allow, *deny)):
        return Verdict(False, 422)
    return None


def _overlap(allow: tuple[str, ...], deny: tuple[str, ...]) -> bool:
    return bool(set(allow) & set(deny))


def _with_overlap(refusal: Verdict | None, allow: tuple[str, ...], deny: tuple[str, ...]) -> Verdict | None:
    """Permission and overlap checks: the contract does not order them, so both failing is 400 or 403."""
    if refusal is not None and _overlap(allow, deny):
        return either(400, 403)
    if refusal is not None:
        return refusal
    return Verdict(False, 400, "invalid_request") if _overlap(allow, deny) else None


@dataclass(frozen=True)
class SetLegacyOverride(Mutation):
    actor: str
    channel: str
    role: Literal["owner", "moderator", "member"]
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    row: ClassVar[str] = "channel.role_override"

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow", tuple(self.allow))
        object.__setattr__(self, "deny", tuple(self.deny))

    def call(self, world: World) -> RestCall:
        ch = world.channel(self.channel)
        return RestCall("POST", f"/guilds/{world.guild_id(ch.guild)}/channels/{world.channel_id(self.channel)}"
                                f"/overrides/{self.role}", json=_body(self.allow, self.deny))

    def verdict(self, world: World) -> Verdict:
        guild = world.channel(self.channel).guild
        if refusal := _shape_refusal(self.allow, self.deny) or rules.ip_gate(world, guild):
            return refusal
        label = perms.resolved_label(world, world.guild(guild), self.actor)
        not_owner = None if perms.legacy_allows(label, "manage_channel_overrides") else Verdict(False, 403, "forbidden")
        return _with_overlap(not_owner, self.allow, self.deny) or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        ch = world.channel(self.channel)
        guild = world.guild(ch.guild)
        override = Override(self.allow, self.deny)
        guild.legacy_overrides[(self.channel, self.role)] = override
        key = (self.channel, perms.IMPLIED_ROLE[self.role])
        mode = world.config.legacy_overrides
        if mode == "immediate" or (mode == "first_write" and key not in guild.role_overrides):
            guild.role_overrides[key] = override
        return [EventPrediction(
            "workspace_channel_role_override_update", "guild",
            match={"channel_id": world.channel_id(self.channel), "role": self.role},
            fields={"guild_id": world.guild_id(ch.guild), "actor_user_id": world.user_id(self.actor),
                    "updated_fields.allow": list(self.allow), "updated_fields.deny": list(self.deny)},
            guild=ch.guild,
        )]

    def guild_alias(self, world: World) -> str | None:
        return world.channel(self.channel).guild


@dataclass(frozen=True)
class SetPermissionOverride(Mutation):
    """``target_kind="role"``: ``target`` is a role alias of the channel's guild (seed names included,
    e.g. ``"@everyone"``); ``target_kind="member"``: ``target`` is a user alias."""

    actor: str
    channel: str
    target_kind: Literal["role", "member"]
    target: str
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    row: ClassVar[str] = "channel.permission_override"

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow", tuple(self.allow))
        object.__setattr__(self, "deny", tuple(self.deny))

    def _target_id(self, world: World) -> str:
        if self.target_kind == "role":
            return world.role_id(world.channel(self.channel).guild, self.target)
        return world.user_id(self.target)

    def call(self, world: World) -> RestCall:
        ch = world.channel(self.channel)
        return RestCall("POST", f"/guilds/{world.guild_id(ch.guild)}/channels/{world.channel_id(self.channel)}"
                                f"/permission-overrides/{self.target_kind}/{self._target_id(world)}",
                        json=_body(self.allow, self.deny))

    def verdict(self, world: World) -> Verdict:
        guild = world.channel(self.channel).guild
        if refusal := _shape_refusal(self.allow, self.deny) or rules.ip_gate(world, guild):
            return refusal
        lacking = rules.channel_perm_gate(world, self.channel, self.actor, "manage_channel_overrides")
        return _with_overlap(lacking, self.allow, self.deny) or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        ch = world.channel(self.channel)
        guild = world.guild(ch.guild)
        override = Override(self.allow, self.deny)
        if self.target_kind == "role":
            guild.role_overrides[(self.channel, self.target)] = override
        else:
            guild.member_overrides[(self.channel, self.target)] = override
        return [EventPrediction(
            "workspace_channel_permission_override_update", "guild",
            match={"channel_id": world.channel_id(self.channel), "target_kind": self.target_kind,
                   "target_id": self._target_id(world)},
            fields={"guild_id": world.guild_id(ch.guild), "actor_user_id": world.user_id(self.actor),
                    "updated_fields.allow": list(self.allow), "updated_fields.deny": list(self.deny)},
            guild=ch.guild,
        )]

    def guild_alias(self, world: World) -> str | None:
        return world.channel(self.channel).guild
