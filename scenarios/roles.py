"""Guild rows about roles: create, update, delete, reorder, assign, unassign (REST.md §8.10, §3.7).

Role events are guild events; several also change what a member may see. Lab's ``quiet`` role is
the lever: once an override denies #general to ``quiet``, assigning it hides the channel from the
assignee (its subscription lapses: later messages must not reach it), and unassigning or deleting
it brings the channel back into the member's list.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, post, rejected, scenario, subscribe
from scenarios.observers import DENIED_BY_OVERRIDE, GENERAL, SUBJECT, deny_view, guild_audience, observer
from scenarios.worlds import lab


def create() -> ScenarioSpec:
    return scenario(
        "row.role.create", "a new role reaches every guild connection; moderators may not create roles",
        rows=["role.create"], world=lab(), observers=guild_audience(),
        steps=[rejected("role.create", actor="mod", guild="lab", role="mods_own", name="mods own"),
               allowed("role.create", actor="owner", guild="lab", role="helpers", name="helpers",
                       permissions=["delete_message"], color="#3366ff")])


def update() -> ScenarioSpec:
    return scenario(
        "row.role.update", "name, permissions and colour changes reach the guild with only the sent fields",
        rows=["role.update"], world=lab(), observers=guild_audience(),
        steps=[rejected("role.update", actor="alice", guild="lab", role="regulars", name="mine now"),
               allowed("role.update", actor="owner", guild="lab", role="regulars", name="old hands"),
               allowed("role.update", actor="owner", guild="lab", role="regulars",
                       permissions=["create_message", "delete_message"], color="#00aa55")])


def delete() -> ScenarioSpec:
    return scenario(
        "row.role.delete", "deleting the role an override denies gives the channel back to its holder",
        rows=["role.delete"], world=lab(), observers=guild_audience(denied=True),
        steps=[deny_view(via="role"),
               rejected("role.delete", actor="owner", guild="lab", role="@everyone"),
               rejected("role.delete", actor="mod", guild="lab", role="quiet"),
               allowed("role.delete", actor="owner", guild="lab", role="quiet")])


def reorder() -> ScenarioSpec:
    return scenario(
        "row.role.reorder", "a reorder reaches the guild; system roles cannot be reordered",
        rows=["role.reorder"], world=lab(), observers=guild_audience(),
        steps=[rejected("role.reorder", actor="owner", guild="lab", roles=["workspace_owner", "quiet"]),
               allowed("role.reorder", actor="owner", guild="lab", roles=["regulars", "quiet"])])


def assign() -> ScenarioSpec:
    return scenario(
        "row.role.assign", "assigning a denied role hides the channel from the assignee at once",
        rows=["role.assign"], world=lab(), observers=[*guild_audience(), observer(SUBJECT, "bob", GENERAL)],
        steps=[deny_view(via="role"),
               rejected("role.assign", actor="alice", guild="lab", role="quiet", user="bob"),
               allowed("role.assign", actor="owner", guild="lab", role="quiet", user="bob"),
               post("alice", "bob-must-not-see-this")])


def unassign() -> ScenarioSpec:
    return scenario(
        "row.role.unassign", "unassigning the denied role gives the channel back; a new subscribe renews it",
        rows=["role.unassign"], world=lab(), observers=guild_audience(denied=True),
        steps=[deny_view(via="role"),
               rejected("role.unassign", actor="alice", guild="lab", role="quiet", user="carol"),
               allowed("role.unassign", actor="mod", guild="lab", role="quiet", user="carol"),
               subscribe(DENIED_BY_OVERRIDE, GENERAL), post("alice", "carol-sees-this-again")])


def catalogue() -> list[ScenarioSpec]:
    return [create(), update(), delete(), reorder(), assign(), unassign()]
