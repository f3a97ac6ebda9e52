"""Lifecycle stories: several rows chained while every client stays connected, so each event is
judged on the state the earlier ones left behind (stale subscriptions after a kick, a channel that
disappears and comes back, a friend who becomes a stranger again)."""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, do, post, rejected, scenario, subscribe
from scenarios.observers import (
    ACTOR, ACTOR_OTHER_SESSION, CO_MEMBER, DEN, DENIED_BY_OVERRIDE, ELSEWHERE, FRIEND, GENERAL, LOUNGE, MODERATOR,
    NON_MEMBER, OTHER_CHANNEL, RANDOM, SAME_CHANNEL, SECOND_SESSION, SUBJECT, UNRELATED, channel_audience, deny_view,
    guild_audience, observer,
)
from scenarios.worlds import lab, social


def message() -> ScenarioSpec:
    return scenario(
        "lifecycle.message", "one message from creation to deletion (and a reaction removed after it), "
        "watched by every channel class",
        rows=["message.create", "message.edit", "reaction.add", "reaction.remove", "message.delete"],
        world=lab(), observers=channel_audience("alice"),
        steps=[deny_view(via="member"), post("alice", "m1"),
               allowed("message.edit", actor="alice", message="m1", content="m1, edited"),
               allowed("reaction.add", actor="bob", message="m1", emoji="👍"),
               allowed("reaction.add", actor="alice", message="m1", emoji="🎉"),
               allowed("reaction.remove", actor="bob", message="m1", emoji="👍"),
               allowed("message.delete", actor="alice", message="m1"),
               rejected("reaction.add", actor="bob", message="m1", emoji="👍"),
               allowed("reaction.remove", actor="alice", message="m1", emoji="🎉")])


def membership() -> ScenarioSpec:
    return scenario(
        "lifecycle.membership", "join, promotion, kick, re-join, ban, refused join — one member's whole story",
        rows=["member.join", "member.update", "member.kick", "member.ban"],
        world=lab(public=True, outsiders=("nina",)), observers=[*guild_audience(), observer(SUBJECT, "nina")],
        steps=[allowed("member.join", actor="nina", guild="lab"), subscribe(SUBJECT, GENERAL),
               allowed("member.update", actor="owner", guild="lab", user="nina", role="moderator"),
               allowed("member.kick", actor="owner", guild="lab", user="nina"), post("alice", "after-kick"),
               allowed("member.join", actor="nina", guild="lab"), post("alice", "stale-subscription"),
               subscribe(SUBJECT, GENERAL), post("alice", "renewed-subscription"),
               allowed("member.ban", actor="mod", guild="lab", user="nina"),
               rejected("member.join", actor="nina", guild="lab"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab without nina")])


def roles() -> ScenarioSpec:
    return scenario(
        "lifecycle.roles", "a role hides a channel from its holder, then gives it back, then goes away",
        rows=["role.create", "role.assign", "channel.permission_override", "role.unassign", "role.delete"],
        world=lab(), observers=[*guild_audience(), observer(SUBJECT, "bob", GENERAL)],
        steps=[allowed("role.create", actor="owner", guild="lab", role="muted", name="muted", position=3),
               allowed("role.assign", actor="owner", guild="lab", role="muted", user="bob"),
               allowed("channel.permission_override", actor="owner", channel="general", target_kind="role",
                       target="muted", deny=["create_message"]),
               post("alice", "hidden-from-bob"),
               allowed("role.unassign", actor="owner", guild="lab", role="muted", user="bob"),
               subscribe(SUBJECT, GENERAL), post("alice", "bob-is-back"),
               allowed("role.delete", actor="owner", guild="lab", role="muted")])


def friendship() -> ScenarioSpec:
    return scenario(
        "lifecycle.friendship", "a friend sees renames only while a friend, a co-member keeps seeing them",
        rows=["friend.request.create", "friend.request.accept", "profile.update", "friend.remove"],
        world=social(),
        observers=[observer(ACTOR, "pat", LOUNGE), observer(SECOND_SESSION, "pat"), observer(FRIEND, "fran"),
                   observer(UNRELATED, "una", DEN), observer(CO_MEMBER, "cora", LOUNGE)],
        steps=[allowed("friend.request.create", actor="pat", to="una", request="r1"),
               allowed("friend.request.accept", actor="una", request="r1"),
               allowed("profile.update", actor="pat", username="pat_the_friend"),
               allowed("friend.request.create", actor="cora", to="pat", request="r2"),
               allowed("friend.request.accept", actor="pat", request="r2"),
               allowed("friend.remove", actor="pat", friend="una"),
               allowed("friend.remove", actor="cora", friend="pat"),
               allowed("profile.update", actor="pat", username="pat_again", about="renamed twice")])


def workspace() -> ScenarioSpec:
    return scenario(
        "lifecycle.workspace", "renames and visibility changes while eight clients are connected",
        rows=["workspace.update"], world=lab(),
        observers=[observer(ACTOR, "owner", GENERAL), observer(ACTOR_OTHER_SESSION, "owner", RANDOM),
                   observer(MODERATOR, "mod", GENERAL), observer(SAME_CHANNEL, "alice", GENERAL),
                   observer(SAME_CHANNEL, "bob", GENERAL, RANDOM, label="same_channel_2"),
                   observer(OTHER_CHANNEL, "dave", RANDOM), observer(DENIED_BY_OVERRIDE, "carol", GENERAL),
                   observer(NON_MEMBER, "eve", ELSEWHERE)],
        steps=[deny_view(via="everyone"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab, renamed"),
               allowed("workspace.update", actor="owner", guild="lab", visibility="public"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab", visibility="private"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab", visibility="private"),
               do("disconnect", client=SAME_CHANNEL), rejected("workspace.update", actor="mod", guild="lab", name="x"),
               allowed("workspace.update", actor="owner", guild="lab", name="Lab, last name")])


def catalogue() -> list[ScenarioSpec]:
    return [message(), membership(), roles(), friendship(), workspace()]
