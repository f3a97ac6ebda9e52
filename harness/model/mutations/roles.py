"""Rows ``role.create``, ``role.update``, ``role.delete``, ``role.reorder``, ``role.assign``,
``role.unassign`` (REST.md §8.10, hierarchy §3.7). Guild scope. Roles are named per guild: seeds by
seed name, custom roles by scenario alias."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from harness.errors import ScenarioError
from harness.model import permissions as perms
from harness.model.expectations import ABSENT
from harness.model.mutations import rules
from harness.model.mutations.base import (
    EventPrediction, Mutation, RestCall, RestResult, Verdict, bad_request, forbidden, not_found, ok,
)
from harness.model.world import Role, World

MAX_ROLES = 64
MAX_ASSIGNMENTS = 16


def _roles_path(world: World, guild: str) -> str:
    return f"/guilds/{world.guild_id(guild)}/roles"


def _unknown_permission(permissions: Sequence[str] | None) -> bool:
    return permissions is not None and any(p not in perms.ALL for p in permissions)


def _live_or_deleted(world: World, guild: str, alias: str) -> tuple[Role, bool]:
    g = world.guild(guild)
    if alias in g.roles:
        return g.roles[alias], False
    if alias in g.deleted_roles:
        return g.deleted_roles[alias], True
    raise ScenarioError(f"guild {guild!r} has no role {alias!r}")


def _role_id(world: World, guild: str, alias: str) -> str:
    """The id of a live or deleted role (deleted roles still have one, for "act on a deleted role")."""
    role, deleted = _live_or_deleted(world, guild, alias)
    return role.id if deleted and role.id else world.role_id(guild, alias)


def _manage_refusal(world: World, guild: str, actor: str) -> Verdict | None:
    return None if perms.has_manage_context(world, world.guild(guild), actor) else forbidden()


def _role_event(world: World, event_type: str, guild: str, role_id: str, actor: str, **fields: object) -> EventPrediction:
    return EventPrediction(event_type, "guild", match={"guild_id": world.guild_id(guild), "role_id": role_id},
                           fields={"actor_user_id": world.user_id(actor), **fields}, guild=guild)


@dataclass(frozen=True)
class CreateRole(Mutation):
    actor: str
    guild: str
    role: str
    name: str
    permissions: tuple[str, ...] = ()
    position: int | None = None
    color: str | None = None
    row: ClassVar[str] = "role.create"

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", tuple(self.permissions))

    def call(self, world: World) -> RestCall:
        body: dict[str, object] = {"name": self.name, "permissions": list(self.permissions)}
        if self.position is not None:
            body["position"] = self.position
        if self.color is not None:
            body["color_hex"] = self.color
        return RestCall("POST", _roles_path(world, self.guild), json=body)

    def _position(self, world: World) -> int:
        ctx = perms.actor_context(world, world.guild(self.guild), self.actor)
        return self.position if self.position is not None else perms.default_role_position(ctx)

    def verdict(self, world: World) -> Verdict:
        guild = world.guild(self.guild)
        if self.role in guild.roles or self.role in guild.deleted_roles or self.role in perms.IMPLIED_ROLE.values():
            raise ScenarioError(f"role alias {self.role!r} is already used in guild {self.guild!r}")
        if _unknown_permission(self.permissions):
            return Verdict(False, 422)
        if refusal := _manage_refusal(world, self.guild, self.actor):
            return refusal
        if rules.role_name_problem(self.name) or (self.color is not None and rules.normalize_color(self.color) is None):
            return bad_request()
        ctx = perms.actor_context(world, guild, self.actor)
        if not (ctx.is_server_owner or ctx.is_workspace_owner) and self._position(world) >= ctx.highest_position:
            return forbidden()
        if len(guild.roles) >= MAX_ROLES:
            return Verdict(False, 409, "quota_exceeded")
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        color = rules.normalize_color(self.color) if self.color is not None else None
        guild.role_seq += 1
        role = Role(self.role, self.name.strip(), self._position(world), self.permissions, color, seq=guild.role_seq)
        guild.roles[self.role] = role
        world.bind_role(self.guild, self.role, result.body["role_id"])
        return [EventPrediction(
            "workspace_role_create", "guild",
            match={"guild_id": world.guild_id(self.guild), "role.role_id": role.id},
            fields={"actor_user_id": world.user_id(self.actor), "role.name": role.name,
                    "role.permissions": list(self.permissions), "role.position": role.position,
                    "role.is_system": False, "role.color_hex": color if color is not None else ABSENT},
            guild=self.guild,
        )]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class UpdateRole(Mutation):
    """PATCH role. ``None`` = not sent; a JSON null color is indistinguishable from absent (§14.4), so
    colours cannot be cleared and are never sent as null here."""

    actor: str
    guild: str
    role: str
    name: str | None = None
    permissions: tuple[str, ...] | None = None
    color: str | None = None
    row: ClassVar[str] = "role.update"

    def __post_init__(self) -> None:
        if self.permissions is not None:
            object.__setattr__(self, "permissions", tuple(self.permissions))

    def call(self, world: World) -> RestCall:
        body: dict[str, object] = {}
        if self.name is not None:
            body["name"] = self.name
        if self.permissions is not None:
            body["permissions"] = list(self.permissions)
        if self.color is not None:
            body["color_hex"] = self.color
        return RestCall("PATCH", f"{_roles_path(world, self.guild)}/{_role_id(world, self.guild, self.role)}", json=body)

    def verdict(self, world: World) -> Verdict:
        role, deleted = _live_or_deleted(world, self.guild, self.role)
        if _unknown_permission(self.permissions):
            return Verdict(False, 422)
        if self.name is None and self.permissions is None and self.color is None:
            return bad_request()  # checked before permissions
        if refusal := _manage_refusal(world, self.guild, self.actor):
            return refusal
        if deleted:
            return not_found()
        if not perms.role_manageable(perms.actor_context(world, world.guild(self.guild), self.actor), role):
            return forbidden()
        if self.name is not None and rules.role_name_problem(self.name):
            return bad_request()
        if self.color is not None and rules.normalize_color(self.color) is None:
            return bad_request()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        role = world.role(self.guild, self.role)
        color = rules.normalize_color(self.color) if self.color is not None else None
        if self.name is not None:
            role.name = self.name.strip()
        if self.permissions is not None:
            role.permissions = self.permissions
        if color is not None:
            role.color = color
        return [_role_event(
            world, "workspace_role_update", self.guild, world.role_id(self.guild, self.role), self.actor,
            **{"updated_fields.name": self.name if self.name is not None else ABSENT,  # raw, as sent
               "updated_fields.permissions": list(self.permissions) if self.permissions is not None else ABSENT,
               "updated_fields.color_hex": color if color is not None else ABSENT},
        )]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class DeleteRole(Mutation):
    actor: str
    guild: str
    role: str
    row: ClassVar[str] = "role.delete"

    def call(self, world: World) -> RestCall:
        return RestCall("DELETE", f"{_roles_path(world, self.guild)}/{_role_id(world, self.guild, self.role)}")

    def verdict(self, world: World) -> Verdict:
        role, deleted = _live_or_deleted(world, self.guild, self.role)
        if refusal := _manage_refusal(world, self.guild, self.actor):
            return refusal
        if deleted:
            return not_found()
        if role.is_system:
            return forbidden()
        if not perms.role_manageable(perms.actor_context(world, world.guild(self.guild), self.actor), role):
            return forbidden()
        if role.is_seed:
            raise ScenarioError(
                f"deleting the seeded {role.alias!r} role is not modelled: Filament's memory and DB modes "
                "diverge afterwards (REST.md §14.8)")
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        role = guild.roles.pop(self.role)
        guild.deleted_roles[self.role] = role
        for held in guild.assignments.values():
            held.discard(self.role)
        for key in [k for k in guild.role_overrides if k[1] == self.role]:
            del guild.role_overrides[key]
        if guild.default_join_role == self.role:
            guild.default_join_role = None
        return [_role_event(world, "workspace_role_delete", self.guild, _role_id(world, self.guild, self.role), self.actor)]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class ReorderRoles(Mutation):
    """POST /roles/reorder: listed roles get positions N..1 in list order."""

    actor: str
    guild: str
    roles: tuple[str, ...]
    row: ClassVar[str] = "role.reorder"

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(self.roles))

    def _ids(self, world: World) -> list[str]:
        return [_role_id(world, self.guild, alias) for alias in self.roles]

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"{_roles_path(world, self.guild)}/reorder", json={"role_ids": self._ids(world)})

    def verdict(self, world: World) -> Verdict:
        if refusal := _manage_refusal(world, self.guild, self.actor):
            return refusal
        if not self.roles or len(set(self.roles)) != len(self.roles) or len(self.roles) > MAX_ROLES:
            return bad_request()
        found = [_live_or_deleted(world, self.guild, alias) for alias in self.roles]
        if any(deleted for _, deleted in found):
            return bad_request()
        ctx = perms.actor_context(world, world.guild(self.guild), self.actor)
        if any(role.is_system or not perms.role_manageable(ctx, role) for role, _ in found):
            return forbidden()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        for index, alias in enumerate(self.roles):
            guild.roles[alias].position = len(self.roles) - index
        return [EventPrediction(
            "workspace_role_reorder", "guild",
            match={"guild_id": world.guild_id(self.guild), "role_ids": self._ids(world)},
            fields={"actor_user_id": world.user_id(self.actor)}, guild=self.guild,
        )]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class _Assignment(Mutation):
    actor: str
    guild: str
    role: str
    user: str
    method: ClassVar[str] = "POST"

    def call(self, world: World) -> RestCall:
        role_id = _role_id(world, self.guild, self.role)
        return RestCall(self.method, f"{_roles_path(world, self.guild)}/{role_id}/members/{world.user_id(self.user)}")

    def _common_refusal(self, world: World) -> Verdict | None:
        guild = world.guild(self.guild)
        role, deleted = _live_or_deleted(world, self.guild, self.role)
        if not (perms.is_server_owner(world, self.actor)
                or perms.has_guild_perm(world, guild, self.actor, "manage_member_roles")):
            return forbidden()
        if deleted:
            return not_found()
        if role.system_key == "everyone":
            return bad_request()
        ctx = perms.actor_context(world, guild, self.actor)
        if role.system_key == "workspace_owner" and not ctx.is_server_owner:
            return forbidden()
        if not (ctx.is_server_owner or ctx.is_workspace_owner) and role.position >= ctx.highest_position:
            return forbidden()
        return None

    def _event(self, world: World, event_type: str) -> EventPrediction:
        return EventPrediction(
            event_type, "guild",
            match={"guild_id": world.guild_id(self.guild), "role_id": world.role_id(self.guild, self.role),
                   "user_id": world.user_id(self.user)},
            fields={"actor_user_id": world.user_id(self.actor)}, guild=self.guild,
        )

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class AssignRole(_Assignment):
    row: ClassVar[str] = "role.assign"

    def verdict(self, world: World) -> Verdict:
        if refusal := self._common_refusal(world):
            return refusal
        guild = world.guild(self.guild)
        if not perms.is_member(guild, self.user):
            return not_found()
        held = guild.assignments.get(self.user, set())
        if self.role not in held and len(held) >= MAX_ASSIGNMENTS:
            return Verdict(False, 409, "quota_exceeded")
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        guild.assignments.setdefault(self.user, set()).add(self.role)
        guild.members[self.user] = perms.recompute_legacy(guild, self.user)
        return [self._event(world, "workspace_role_assignment_add")]


@dataclass(frozen=True)
class UnassignRole(_Assignment):
    row: ClassVar[str] = "role.unassign"
    method: ClassVar[str] = "DELETE"

    def verdict(self, world: World) -> Verdict:
        if refusal := self._common_refusal(world):
            return refusal
        guild = world.guild(self.guild)
        if self.role == "workspace_owner":
            holders = [u for u in guild.members if "workspace_owner" in perms.effective_roles(guild, u)]
            if len(holders) <= 1:
                return forbidden()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        guild.assignments.get(self.user, set()).discard(self.role)
        if perms.is_member(guild, self.user):
            guild.members[self.user] = perms.recompute_legacy(guild, self.user)
        return [self._event(world, "workspace_role_assignment_remove")]
