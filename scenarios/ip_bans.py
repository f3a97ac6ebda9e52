"""Guild rows about IP bans (REST.md §8.12, GATEWAY.md §6.2): ``workspace_ip_ban_sync`` goes only to
members who may moderate IP bans — never to plain members, never carrying the address.

They run in the dedicated ``vault`` guild: every harness client connects from 127.0.0.1, so a ban of
``troll`` (whose address was observed at its directory join) locks every harness client out of the
vault's channel routes. Guild events keep flowing over the subscriptions taken before.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, rejected, scenario
from scenarios.observers import ip_ban_audience
from scenarios.worlds import vault


def upsert() -> ScenarioSpec:
    return scenario(
        "row.ip_ban.upsert", "an IP ban is announced to IP-ban moderators only; a repeat creating nothing is silent",
        rows=["ip_ban.upsert"], world=vault(), observers=ip_ban_audience(),
        steps=[rejected("ip_ban.upsert", actor="pam", guild="vault", target="troll"),
               allowed("ip_ban.upsert", actor="warden", guild="vault", target="troll", ban="b1", reason="spam"),
               allowed("ip_ban.upsert", actor="keeper", guild="vault", target="troll", ban="b2")])


def remove() -> ScenarioSpec:
    return scenario(
        "row.ip_ban.remove", "lifting an IP ban is announced to IP-ban moderators only",
        rows=["ip_ban.remove"], world=vault(), observers=ip_ban_audience(),
        steps=[allowed("ip_ban.upsert", actor="keeper", guild="vault", target="troll", ban="b1"),
               rejected("ip_ban.remove", actor="pam", guild="vault", ban="b1"),
               allowed("ip_ban.remove", actor="warden", guild="vault", ban="b1"),
               rejected("ip_ban.remove", actor="keeper", guild="vault", ban="b1")])


def catalogue() -> list[ScenarioSpec]:
    return [upsert(), remove()]
