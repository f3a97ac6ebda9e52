"""Rows ``ip_ban.upsert`` and ``ip_ban.remove`` (REST.md §8.12). Audience: IP-ban moderators only.

By-user bans ban the addresses recorded for the target at ``/join``. Every harness request comes from
``WorldConfig.harness_ip``, so an upsert creates one entry if the target ever called ``/join`` and the
address is not already banned in that guild, else zero (and then emits nothing). Note the consequence:
once the harness address is banned in G, *every* harness client is refused on G's IP-gated routes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.errors import ScenarioError
from harness.model.mutations import rules
from harness.model.mutations.base import (
    EventPrediction, Mutation, RestCall, RestResult, Verdict, bad_request, not_found, ok,
)
from harness.model.world import IpBan, World, host_network

MAX_EXPIRY_SECS = 15_552_000


def _ip_event(world: World, guild: str, actor: str, action: str, count: int) -> EventPrediction:
    return EventPrediction(
        "workspace_ip_ban_sync", "guild_ip_moderators",
        match={"guild_id": world.guild_id(guild), "summary.action": action},
        fields={"summary.changed_count": count, "actor_user_id": world.user_id(actor)}, guild=guild,
    )


@dataclass(frozen=True)
class IpBanUser(Mutation):
    """``ban`` names the created entry (bound from ``ban_ids[0]``) for a later ``RemoveIpBan``."""

    actor: str
    guild: str
    target: str
    ban: str | None = None
    reason: str | None = None
    expires_in_secs: int | None = None
    row: ClassVar[str] = "ip_ban.upsert"

    def call(self, world: World) -> RestCall:
        body: dict[str, object] = {"target_user_id": world.user_id(self.target)}
        if self.reason is not None:
            body["reason"] = self.reason
        if self.expires_in_secs is not None:
            body["expires_in_secs"] = self.expires_in_secs
        return RestCall("POST", f"/guilds/{world.guild_id(self.guild)}/ip-bans/by-user", json=body)

    def verdict(self, world: World) -> Verdict:
        if self.reason is not None and (not self.reason.strip() or len(self.reason.encode()) > 240):
            return bad_request()  # the body is validated before access (§8.12)
        if self.expires_in_secs is not None and not 1 <= self.expires_in_secs <= MAX_EXPIRY_SECS:
            return bad_request()
        return rules.guild_perm_gate(world, self.guild, self.actor, "manage_ip_bans") or ok()

    def _new_networks(self, world: World) -> list[str]:
        observed = world.ip_observations.get(self.target, set())
        banned = world.guild(self.guild).banned_networks()
        return sorted({host_network(ip) for ip in observed} - banned)

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        guild = world.guild(self.guild)
        networks = self._new_networks(world)
        ban_ids = list((result.body or {}).get("ban_ids", []))
        for index, network in enumerate(networks):
            alias = self.ban if index == 0 and self.ban else f"{self.ban or 'ipban'}#{len(guild.ip_bans)}"
            if alias in guild.ip_bans:
                raise ScenarioError(f"IP ban alias {alias!r} is used twice in guild {self.guild!r}")
            guild.ip_bans[alias] = IpBan(alias, self.guild, network, ban_ids[index] if index < len(ban_ids) else None)
        if not networks:
            return []
        return [_ip_event(world, self.guild, self.actor, "upsert", len(networks))]

    def guild_alias(self, world: World) -> str | None:
        return self.guild


@dataclass(frozen=True)
class RemoveIpBan(Mutation):
    actor: str
    guild: str
    ban: str
    row: ClassVar[str] = "ip_ban.remove"

    def _entry(self, world: World) -> IpBan:
        entry = world.ban(self.guild, self.ban)
        if entry is None or entry.id is None:
            raise ScenarioError(f"IP ban {self.ban!r} of guild {self.guild!r} was never created")
        return entry

    def call(self, world: World) -> RestCall:
        return RestCall("DELETE", f"/guilds/{world.guild_id(self.guild)}/ip-bans/{self._entry(world).id}")

    def verdict(self, world: World) -> Verdict:
        entry = self._entry(world)
        if refusal := rules.guild_perm_gate(world, self.guild, self.actor, "manage_ip_bans"):
            return refusal
        return ok() if entry.active else not_found()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        self._entry(world).active = False
        return [_ip_event(world, self.guild, self.actor, "remove", 1)]

    def guild_alias(self, world: World) -> str | None:
        return self.guild
