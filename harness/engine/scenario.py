"""A scenario as data: the world to seed, the clients that observe, the steps to run.

Scenarios are written either with the small Python DSL in ``scenarios/`` or as TOML/JSON files; both
produce a ``ScenarioSpec``. Expectations are never written in a scenario: the model derives them from
the world and the contract. A malformed file is reported with its path and the offending field.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.errors import ScenarioError
from harness.clients.profile_names import check_profile_name

Alias = str


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelSpec(_Spec):
    alias: Alias
    name: str | None = None
    """Server-side name; defaults to the alias."""
    kind: Literal["text", "voice"] = "text"


class RoleSpec(_Spec):
    alias: Alias
    name: str | None = None
    permissions: list[str] = Field(default_factory=list)
    color_hex: str | None = None
    position: int | None = None


class OverrideSpec(_Spec):
    """A channel permission override set while seeding (REST.md §9.5)."""

    channel: Alias
    target: Literal["everyone", "role", "member"]
    name: Alias | None = None
    """Role alias (target=role) or user alias (target=member); unused for everyone."""
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _name_matches_target(self) -> "OverrideSpec":
        if self.target != "everyone" and not self.name:
            raise ValueError(f"an override on a {self.target} needs 'name'")
        return self


class GuildSpec(_Spec):
    alias: Alias
    owner: Alias
    name: str | None = None
    visibility: Literal["private", "public"] = "private"
    channels: list[ChannelSpec] = Field(default_factory=lambda: [ChannelSpec(alias="general")])
    members: dict[Alias, Literal["member", "moderator"]] = Field(default_factory=dict)
    """Users added by the owner (POST /guilds/{g}/members/{u}), with their legacy role."""
    joined: list[Alias] = Field(default_factory=list)
    """Users who join through the public directory (POST /guilds/{g}/join); the guild must be public."""
    roles: list[RoleSpec] = Field(default_factory=list)
    assignments: dict[Alias, list[Alias]] = Field(default_factory=dict)
    """Role alias → users holding it."""
    overrides: list[OverrideSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _joiners_need_public(self) -> "GuildSpec":
        if self.joined and self.visibility != "public":
            raise ValueError(f"guild {self.alias!r}: 'joined' users need visibility = 'public'")
        return self


class Blueprint(_Spec):
    """The world a scenario starts from, seeded through REST only (Complement's blueprints)."""

    users: list[Alias]
    guilds: list[GuildSpec] = Field(default_factory=list)
    friendships: list[tuple[Alias, Alias]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> "Blueprint":
        known = set(self.users)
        if len(known) != len(self.users):
            raise ValueError("user aliases must be unique")
        for guild in self.guilds:
            named = {guild.owner, *guild.members, *guild.joined}
            for holders in guild.assignments.values():
                named.update(holders)
            for override in guild.overrides:
                if override.target == "member" and override.name:
                    named.add(override.name)
            missing = sorted(named - known)
            if missing:
                raise ValueError(f"guild {guild.alias!r} names unknown users: {', '.join(missing)}")
        for a, b in self.friendships:
            if a not in known or b not in known:
                raise ValueError(f"friendship ({a}, {b}) names an unknown user")
        return self


class ClientSpec(_Spec):
    """One observer: a login session of ``user`` with its gateway connection(s)."""

    label: str
    user: Alias
    observes_as: str
    """The visibility class this client stands for (e.g. ``same_channel``, ``non_member``)."""
    kind: Literal["simulated", "browser"] = "simulated"
    connections: int = Field(default=1, ge=1, le=8)
    subscribe: list[str] = Field(default_factory=list)
    """``"guild/channel"`` aliases subscribed (in this order) once connected."""
    profile: str = "current"
    """A protocol or selector profile (mixed-version runs); ``current`` defers to the run's ``--profile``."""

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        return check_profile_name(value)

    @field_validator("subscribe")
    @classmethod
    def _guild_slash_channel(cls, value: list[str]) -> list[str]:
        for item in value:
            if item.count("/") != 1:
                raise ValueError(f"subscribe entries look like 'guild/channel', got {item!r}")
        return value


class StepSpec(BaseModel):
    """One action: ``do`` names a mutation or a harness action; other keys are its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    do: str
    expect: Literal["allowed", "rejected"] | None = None
    """Optional intent check: the model's verdict must agree (catches scenarios that test nothing)."""
    via: str | None = None
    """Label of a browser client that performs this mutation through its UI instead of REST."""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ScenarioSpec(_Spec):
    id: str
    title: str
    rows: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    world: Blueprint
    clients: list[ClientSpec] = Field(default_factory=list)
    steps: list[StepSpec] = Field(default_factory=list)
    deadline_s: float | None = None
    requires: list[Literal["browser", "restart", "faults"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _clients_are_consistent(self) -> "ScenarioSpec":
        labels = [client.label for client in self.clients]
        if len(set(labels)) != len(labels):
            raise ValueError("client labels must be unique")
        users = set(self.world.users)
        for client in self.clients:
            if client.user not in users:
                raise ValueError(f"client {client.label!r} uses unknown user {client.user!r}")
        return self


def load_scenario_file(path: Path) -> list[ScenarioSpec]:
    """Read one TOML or JSON file holding a scenario or ``{"scenarios": [...]}``; clear errors only."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    try:
        document = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}") from exc
    except RecursionError:  # a 5,000-deep document: no scenario nests like that
        raise ScenarioError(f"{path}: nested too deeply to be a scenario file") from None
    items = document.get("scenarios", [document]) if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ScenarioError(f"{path}: expected a scenario object or {{'scenarios': [...]}}")
    return [_validate(path, index, item) for index, item in enumerate(items)]


def _validate(path: Path, index: int, item: Any) -> ScenarioSpec:
    try:
        return ScenarioSpec.model_validate(item)
    except RecursionError:
        raise ScenarioError(f"{path}: scenario #{index}: nested too deeply to be a scenario") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(f"{path}: scenario #{index}: {where}: {first['msg']}{more}") from exc
