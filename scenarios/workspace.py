"""Guild rows about the workspace itself: ``channel.create`` and ``workspace.update`` (GATEWAY.md §6.2).

Guild events reach every guild connection of a current member, whichever channel it subscribed to;
a member who lost sight of #general by an override is still a guild connection (§6.0) and must
keep receiving them. ``workspace.update`` has three scenarios: a rename, a visibility change and a
no-op PATCH that must emit nothing at all.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, rejected, scenario
from scenarios.observers import deny_view, guild_audience
from scenarios.worlds import lab


def channel_create() -> ScenarioSpec:
    return scenario(
        "row.channel.create", "a new channel is announced to every guild connection, denied members included",
        rows=["channel.create"], world=lab(), observers=guild_audience(denied=True),
        steps=[deny_view(via="role"),
               rejected("channel.create", actor="alice", guild="lab", channel="mine", name="mine"),
               allowed("channel.create", actor="owner", guild="lab", channel="news", name="news"),
               allowed("channel.create", actor="mod", guild="lab", channel="voice", name="voice", kind="voice")])


def rename() -> ScenarioSpec:
    return scenario(
        "row.workspace.update.name", "a rename reaches every member's guild connections, and only theirs",
        rows=["workspace.update"], world=lab(), observers=guild_audience(denied=True),
        steps=[deny_view(via="everyone"),
               rejected("workspace.update", actor="mod", guild="lab", name="Mod's lab"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab 2")])


def visibility() -> ScenarioSpec:
    return scenario(
        "row.workspace.update.visibility", "going public and back is announced with only the changed field",
        rows=["workspace.update"], world=lab(), observers=guild_audience(),
        steps=[allowed("workspace.update", actor="owner", guild="lab", visibility="public"),
               rejected("workspace.update", actor="alice", guild="lab", visibility="private"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab", visibility="private")])


def noop() -> ScenarioSpec:
    return scenario(
        "row.workspace.update.noop", "a PATCH that changes nothing emits nothing to anyone",
        rows=["workspace.update"], world=lab(), observers=guild_audience(),
        steps=[allowed("workspace.update", actor="owner", guild="lab", name="Lab", visibility="private"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab")])


def catalogue() -> list[ScenarioSpec]:
    return [channel_create(), rename(), visibility(), noop()]
