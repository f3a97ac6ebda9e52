"""Mutations outside the 30 rows, used to build a world: accounts, guilds, learning seeded role ids.

They emit nothing on the gateway (GATEWAY.md §5 "Mutations that emit nothing").
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from harness.errors import ScenarioError
from harness.model import permissions as perms
from harness.model.mutations import rules
from harness.model.mutations.base import (
    NO_BODY, EventPrediction, Mutation, RestCall, RestResult, Verdict, bad_request, forbidden, ok,
)
from harness.model.world import SEED_ROLE_NAMES, Guild, User, World

MAX_CREATED_GUILDS = 5
"""FILAMENT_MAX_CREATED_GUILDS_PER_USER default (REST.md §8.1)."""


def _new_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Register(Mutation):
    """POST /auth/register. The password lives only in memory (the redaction registry needs it)."""

    actor: str
    username: str | None = None
    password: str = field(default_factory=_new_password, repr=False)
    row: ClassVar[str] = "setup.register"

    @property
    def effective_username(self) -> str:
        return self.username if self.username is not None else self.actor

    def call(self, world: World) -> RestCall:
        return RestCall("POST", "/auth/register",
                        json={"username": self.effective_username, "password": self.password}, auth=False)

    def verdict(self, world: World) -> Verdict:
        if self.actor in world.users:
            raise ScenarioError(f"user alias {self.actor!r} is registered twice")
        if world.username_taken(self.effective_username):
            raise ScenarioError(f"username {self.effective_username!r} is used by two aliases")
        if not rules.valid_username(self.effective_username) or not rules.valid_password(self.password):
            return bad_request()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        world.users[self.actor] = User(self.actor, self.effective_username, self.password)
        return []


@dataclass(frozen=True)
class Login(Mutation):
    """POST /auth/login with the registered credentials; the runner hands the tokens to the session."""

    actor: str
    row: ClassVar[str] = "setup.login"

    def call(self, world: World) -> RestCall:
        user = world.user(self.actor)
        return RestCall("POST", "/auth/login", json={"username": user.username, "password": user.password},
                        auth=False)

    def verdict(self, world: World) -> Verdict:
        world.user(self.actor)
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        return []


@dataclass(frozen=True)
class WhoAmI(Mutation):
    """GET /auth/me: binds the actor's user id (login responses carry only tokens)."""

    actor: str
    row: ClassVar[str] = "setup.me"

    def call(self, world: World) -> RestCall:
        return RestCall("GET", "/auth/me")

    def verdict(self, world: World) -> Verdict:
        world.user(self.actor)
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        world.bind("user", self.actor, result.body["user_id"])
        return []


@dataclass(frozen=True)
class CreateGuild(Mutation):
    """POST /guilds. The creator becomes owner; the four seeds exist but their ids are unknown until
    :class:`LoadRoles` (REST.md §8.1: the response is only ``{guild_id, name, visibility}``)."""

    actor: str
    guild: str
    name: str | None = None
    visibility: Literal["private", "public"] = "private"
    row: ClassVar[str] = "setup.guild"

    @property
    def effective_name(self) -> str:
        return self.name if self.name is not None else self.guild

    def call(self, world: World) -> RestCall:
        return RestCall("POST", "/guilds", json={"name": self.effective_name, "visibility": self.visibility})

    def verdict(self, world: World) -> Verdict:
        if self.guild in world.guilds:
            raise ScenarioError(f"guild alias {self.guild!r} is created twice")
        world.user(self.actor)
        if not rules.valid_display_name(self.effective_name):
            return bad_request()
        created = sum(1 for g in world.guilds.values() if g.creator == self.actor)
        if created >= MAX_CREATED_GUILDS:
            return forbidden("guild_creation_limit_reached")
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = Guild(self.guild, self.effective_name, self.visibility, creator=self.actor,
                      roles=perms.seed_roles(), role_seq=len(perms.SEEDS))
        guild.members[self.actor] = "owner"
        guild.assignments[self.actor] = {"workspace_owner"}
        world.guilds[self.guild] = guild
        world.bind("guild", self.guild, result.body["guild_id"])
        return []

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class LoadRoles(Mutation):
    """GET /guilds/{g}/roles: learns the seeded role ids (by seed name) and the default join role."""

    actor: str
    guild: str
    row: ClassVar[str] = "setup.roles"

    def call(self, world: World) -> RestCall:
        return RestCall("GET", f"/guilds/{world.guild_id(self.guild)}/roles")

    def verdict(self, world: World) -> Verdict:
        return rules.member_gate(world, self.guild, self.actor) or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        for entry in result.body.get("roles", []):
            alias = _seed_alias(guild, entry)
            if alias is not None:
                world.bind_role(self.guild, alias, entry["role_id"])
        default = result.body.get("default_join_role_id")
        if default is not None and world.role_alias_of(default) is not None:
            guild.default_join_role = world.role_alias_of(default)[1]  # type: ignore[index]
        return []

    def guild_alias(self, world: World) -> str | None:
        return self.guild


def _seed_alias(guild: Guild, entry: dict) -> str | None:
    """Which seed a listed role is: by current seed name (the web client does the same, §3.2)."""
    for alias in SEED_ROLE_NAMES:
        role = guild.roles.get(alias)
        if role is not None and role.id is None and entry.get("name") == role.name:
            return alias
    return None


@dataclass(frozen=True)
class SetDefaultJoinRole(Mutation):
    """POST /guilds/{g}/roles/default ``{"role_id": id | null}`` (emits nothing)."""

    actor: str
    guild: str
    role: str | None
    row: ClassVar[str] = "setup.default_role"

    def call(self, world: World) -> RestCall:
        role_id = world.role_id(self.guild, self.role) if self.role is not None else None
        return RestCall("POST", f"/guilds/{world.guild_id(self.guild)}/roles/default", json={"role_id": role_id})

    def verdict(self, world: World) -> Verdict:
        guild = world.guild(self.guild)
        if not perms.has_manage_context(world, guild, self.actor):
            return forbidden()
        if self.role is None:
            return ok()
        role = world.role(self.guild, self.role)
        if role.is_system or not perms.role_manageable(perms.actor_context(world, guild, self.actor), role):
            return forbidden()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        world.guild(self.guild).default_join_role = self.role
        return []

    def guild_alias(self, world: World) -> str | None:
        return self.guild


__all__ = ["Register", "Login", "WhoAmI", "CreateGuild", "LoadRoles", "SetDefaultJoinRole", "NO_BODY"]
