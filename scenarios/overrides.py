"""Guild rows about channel overrides: the legacy role route and the permission-override route with
role and member targets (REST.md §9.4, §9.5; layering in §3.4).

The override event itself is a guild event (every member's guild connection gets it, the denied one
included); its *effect* is checked by a message posted afterwards, which must reach only the members
who still see the channel.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, post, rejected, scenario
from scenarios.observers import GENERAL, MODERATOR, deny_view, guild_audience, observer
from scenarios.worlds import lab

DENY = ["create_message"]


def legacy() -> ScenarioSpec:
    return scenario(
        "row.channel.role_override", "a legacy member override hides the channel from plain members only",
        rows=["channel.role_override"], world=lab(),
        observers=[*guild_audience(), observer(MODERATOR, "mod", GENERAL)],
        steps=[rejected("channel.role_override", actor="mod", channel="general", role="member", deny=DENY),
               allowed("channel.role_override", actor="owner", channel="general", role="member", deny=DENY),
               post("owner", "for-owners-and-mods"),
               allowed("channel.role_override", actor="owner", channel="general", role="member")])


def role_target() -> ScenarioSpec:
    return scenario(
        "row.channel.permission_override.role",
        "an @everyone deny, re-allowed by a role, hides the channel from the rest",
        rows=["channel.permission_override"], world=lab(), observers=guild_audience(denied=True),
        steps=[rejected("channel.permission_override", actor="alice", channel="general", target_kind="role",
                        target="@everyone", deny=DENY),
               deny_view(via="everyone"), post("alice", "regulars-only"),
               allowed("channel.permission_override", actor="owner", channel="general", target_kind="role",
                       target="@everyone")])


def member_target() -> ScenarioSpec:
    return scenario(
        "row.channel.permission_override.member",
        "a member-target deny by a moderator hides the channel from that member",
        rows=["channel.permission_override"], world=lab(), observers=guild_audience(denied=True),
        steps=[rejected("channel.permission_override", actor="bob", channel="general", target_kind="member",
                        target="bob", allow=["manage_channel_overrides"]),
               deny_view(via="member", actor="mod"), post("alice", "carol-must-not-see-this")])


def catalogue() -> list[ScenarioSpec]:
    return [legacy(), role_target(), member_target()]
