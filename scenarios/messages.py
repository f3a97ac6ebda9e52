"""Channel rows: messages and reactions in lab #general (GATEWAY.md §4.2, §6.1).

Every scenario watches from the actor's two sessions, a member on the same channel, a member on
another channel of the guild, a member who loses #general by an override *after* subscribing (member,
role and @everyone variants across rows) and a non-member.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, post, rejected, scenario
from scenarios.observers import channel_audience, deny_view
from scenarios.worlds import lab


def create() -> ScenarioSpec:
    return scenario(
        "row.message.create", "a REST message reaches exactly the channel's current viewers",
        rows=["message.create"], world=lab(), observers=channel_audience("alice"),
        steps=[deny_view(via="member"),
               rejected("message.create", actor="carol", channel="general", message="m0", content="may I?"),
               post("alice", "m1"), post("bob", "m2", channel="random")])


def create_gateway() -> ScenarioSpec:
    return scenario(
        "row.message.create.gateway", "a gateway message reaches the channel's viewers, the sender's sessions too",
        rows=["message.create.gateway"], world=lab(), observers=channel_audience("alice"),
        steps=[deny_view(via="everyone"),
               allowed("message.create.gateway", actor="alice", channel="general", message="g1",
                       content="sent over the gateway")])


def edit() -> ScenarioSpec:
    return scenario(
        "row.message.edit", "an edit reaches exactly the channel's current viewers",
        rows=["message.edit"], world=lab(), observers=channel_audience("alice"),
        steps=[post("alice", "m1"), deny_view(via="role"),
               rejected("message.edit", actor="bob", message="m1", content="not my message"),
               allowed("message.edit", actor="alice", message="m1", content="edited by its author")])


def delete() -> ScenarioSpec:
    return scenario(
        "row.message.delete", "deletions by the author and by a moderator reach the channel's viewers",
        rows=["message.delete"], world=lab(), observers=channel_audience("alice"),
        steps=[post("alice", "m1"), post("bob", "m2"), deny_view(via="everyone"),
               rejected("message.delete", actor="bob", message="m1"),
               allowed("message.delete", actor="alice", message="m1"),
               allowed("message.delete", actor="mod", message="m2")])


def reaction_add() -> ScenarioSpec:
    return scenario(
        "row.reaction.add", "reactions and their counts reach the channel's viewers",
        rows=["reaction.add"], world=lab(), observers=channel_audience("bob"),
        steps=[post("alice", "m1"), deny_view(via="member"),
               rejected("reaction.add", actor="carol", message="m1", emoji="👀"),
               allowed("reaction.add", actor="bob", message="m1", emoji="👍"),
               allowed("reaction.add", actor="alice", message="m1", emoji="👍")])


def reaction_remove() -> ScenarioSpec:
    return scenario(
        "row.reaction.remove", "removing a reaction updates the count for the channel's viewers",
        rows=["reaction.remove"], world=lab(), observers=channel_audience("bob"),
        steps=[post("alice", "m1"), allowed("reaction.add", actor="bob", message="m1", emoji="🎉"),
               allowed("reaction.add", actor="alice", message="m1", emoji="🎉"), deny_view(via="role"),
               rejected("reaction.remove", actor="carol", message="m1", emoji="🎉"),
               allowed("reaction.remove", actor="bob", message="m1", emoji="🎉")])


def catalogue() -> list[ScenarioSpec]:
    return [create(), create_gateway(), edit(), delete(), reaction_add(), reaction_remove()]
