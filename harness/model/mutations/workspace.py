"""Rows ``channel.create`` and ``workspace.update`` (REST.md §8.3, §9.1). Guild scope."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from harness.errors import ScenarioError
from harness.model.expectations import ABSENT
from harness.model.mutations import rules
from harness.model.mutations.base import EventPrediction, Mutation, RestCall, RestResult, Verdict, bad_request, ok
from harness.model.world import Channel, World


@dataclass(frozen=True)
class CreateChannel(Mutation):
    actor: str
    guild: str
    channel: str
    name: str | None = None
    kind: Literal["text", "voice"] = "text"
    row: ClassVar[str] = "channel.create"

    @property
    def effective_name(self) -> str:
        return self.name if self.name is not None else self.channel

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"/guilds/{world.guild_id(self.guild)}/channels",
                        json={"name": self.effective_name, "kind": self.kind})

    def verdict(self, world: World) -> Verdict:
        if self.channel in world.channels:
            raise ScenarioError(f"channel alias {self.channel!r} is created twice")
        if refusal := rules.ip_gate(world, self.guild):
            return refusal
        if not rules.valid_display_name(self.effective_name):
            return bad_request()  # checked before the permission (REST.md §9.1)
        return rules.guild_perm_gate(world, self.guild, self.actor, "manage_channel_overrides") or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        world.channels[self.channel] = Channel(self.channel, self.guild, self.effective_name, self.kind)
        world.guild(self.guild).channels.append(self.channel)
        world.bind("channel", self.channel, result.body["channel_id"])
        return [EventPrediction(
            "channel_create", "guild", match={"channel.channel_id": world.channel_id(self.channel)},
            fields={"guild_id": world.guild_id(self.guild), "channel.name": self.effective_name,
                    "channel.kind": self.kind},
            guild=self.guild,
        )]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class UpdateWorkspace(Mutation):
    """PATCH /guilds/{g}. ``None`` = not sent. Only really changed fields are emitted; a no-op PATCH
    emits nothing."""

    actor: str
    guild: str
    name: str | None = None
    visibility: Literal["private", "public"] | None = None
    row: ClassVar[str] = "workspace.update"

    def call(self, world: World) -> RestCall:
        body = {k: v for k, v in (("name", self.name), ("visibility", self.visibility)) if v is not None}
        return RestCall("PATCH", f"/guilds/{world.guild_id(self.guild)}", json=body)

    def verdict(self, world: World) -> Verdict:
        if refusal := rules.guild_perm_gate(world, self.guild, self.actor, "manage_roles"):
            return refusal  # permission first (REST.md §8.3)
        if self.name is None and self.visibility is None:
            return bad_request()
        if self.name is not None and not rules.valid_display_name(self.name):
            return bad_request()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        changed: dict[str, object] = {}
        if self.name is not None and self.name != guild.name:
            changed["updated_fields.name"] = guild.name = self.name
        if self.visibility is not None and self.visibility != guild.visibility:
            changed["updated_fields.visibility"] = guild.visibility = self.visibility
        if not changed:
            return []
        fields = {"updated_fields.name": ABSENT, "updated_fields.visibility": ABSENT, **changed,
                  "actor_user_id": world.user_id(self.actor)}
        return [EventPrediction("workspace_update", "guild", match={"guild_id": world.guild_id(self.guild)},
                                fields=fields, guild=self.guild)]

    def guild_alias(self, world: World) -> str | None:
        return self.guild
