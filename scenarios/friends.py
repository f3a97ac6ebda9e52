"""User rows about friendship (REST.md §7, GATEWAY.md §4.4, §6.3): every event reaches every session
of both parties (accept and remove as personalised copies) and never a bystander."""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec, StepSpec
from scenarios.dsl import allowed, rejected, scenario
from scenarios.observers import friend_audience
from scenarios.worlds import social


def _request(request: str = "r1") -> StepSpec:
    return allowed("friend.request.create", actor="sam", to="rita", request=request)


def create() -> ScenarioSpec:
    return scenario(
        "row.friend.request.create", "a friend request reaches both parties' sessions and nobody else",
        rows=["friend.request.create"], world=social(), observers=friend_audience(),
        steps=[rejected("friend.request.create", actor="sam", to="sam", request="self"),
               _request(),
               rejected("friend.request.create", actor="rita", to="sam", request="back")])


def accept() -> ScenarioSpec:
    return scenario(
        "row.friend.request.accept", "an acceptance reaches each party with its own copy",
        rows=["friend.request.accept"], world=social(), observers=friend_audience(),
        steps=[_request(), rejected("friend.request.accept", actor="sam", request="r1"),
               allowed("friend.request.accept", actor="rita", request="r1")])


def delete() -> ScenarioSpec:
    return scenario(
        "row.friend.request.delete", "declining and cancelling reach both parties; a bystander cannot",
        rows=["friend.request.delete"], world=social(), observers=friend_audience(),
        steps=[_request(), rejected("friend.request.delete", actor="ben", request="r1"),
               allowed("friend.request.delete", actor="rita", request="r1"),
               _request("r2"), allowed("friend.request.delete", actor="sam", request="r2")])


def remove() -> ScenarioSpec:
    return scenario(
        "row.friend.remove", "unfriending reaches each party with its own copy; a repeat is silent",
        rows=["friend.remove"], world=social(), observers=friend_audience(),
        steps=[_request(), allowed("friend.request.accept", actor="rita", request="r1"),
               allowed("friend.remove", actor="sam", friend="rita"),
               allowed("friend.remove", actor="rita", friend="sam"),
               rejected("friend.remove", actor="sam", friend="sam")])


def catalogue() -> list[ScenarioSpec]:
    return [create(), accept(), delete(), remove()]
