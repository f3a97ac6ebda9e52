"""Guild rows about membership: add, join, legacy role change, kick, ban (REST.md §8.5–§8.9).

Kick and ban are watched by the removed user itself, subscribed before: it must receive its own
removal events, then nothing more of the guild (a message and a guild event follow to prove it).
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, post, rejected, scenario, subscribe
from scenarios.observers import GENERAL, RANDOM, REMOVED_USER, SUBJECT, guild_audience, observer
from scenarios.worlds import lab


def add() -> ScenarioSpec:
    return scenario(
        "row.member.add", "an added member is announced to the guild; adding again is silent",
        rows=["member.add"], world=lab(outsiders=("nina",)),
        observers=[*guild_audience(), observer(SUBJECT, "nina")],
        steps=[rejected("member.add", actor="alice", guild="lab", user="nina"),
               allowed("member.add", actor="mod", guild="lab", user="nina"),
               allowed("member.add", actor="owner", guild="lab", user="nina"),
               subscribe(SUBJECT, GENERAL)])


def join() -> ScenarioSpec:
    return scenario(
        "row.member.join", "a directory join is announced to the guild; private guilds refuse it",
        rows=["member.join"], world=lab(public=True, outsiders=("nina",)),
        observers=[*guild_audience(), observer(SUBJECT, "nina")],
        steps=[rejected("member.join", actor="nina", guild="other"),
               allowed("member.join", actor="nina", guild="lab"),
               allowed("member.join", actor="nina", guild="lab"),
               subscribe(SUBJECT, RANDOM)])


def update() -> ScenarioSpec:
    return scenario(
        "row.member.update", "a legacy role change reaches the guild, the member concerned included",
        rows=["member.update"], world=lab(), observers=[*guild_audience(), observer(SUBJECT, "bob", GENERAL)],
        steps=[rejected("member.update", actor="mod", guild="lab", user="bob", role="moderator"),
               allowed("member.update", actor="owner", guild="lab", user="bob", role="moderator"),
               allowed("member.update", actor="owner", guild="lab", user="bob", role="member")])


def kick() -> ScenarioSpec:
    return scenario(
        "row.member.kick", "the kicked member gets its removal, then nothing more of the guild",
        rows=["member.kick"], world=lab(),
        observers=[*guild_audience(), observer(REMOVED_USER, "bob", GENERAL, RANDOM)],
        steps=[rejected("member.kick", actor="alice", guild="lab", user="bob"),
               allowed("member.kick", actor="mod", guild="lab", user="bob"),
               post("alice", "after-kick"),
               allowed("channel.create", actor="owner", guild="lab", channel="news")])


def ban() -> ScenarioSpec:
    return scenario(
        "row.member.ban", "the banned member gets ban then remove, then nothing; it cannot be re-added",
        rows=["member.ban"], world=lab(), observers=[*guild_audience(), observer(REMOVED_USER, "bob", GENERAL)],
        steps=[rejected("member.ban", actor="mod", guild="lab", user="owner"),
               allowed("member.ban", actor="mod", guild="lab", user="bob"),
               rejected("member.add", actor="owner", guild="lab", user="bob"),
               post("alice", "after-ban"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab after the ban")])


def catalogue() -> list[ScenarioSpec]:
    return [add(), join(), update(), kick(), ban()]
