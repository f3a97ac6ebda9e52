"""The scenario DSL: a few functions that build a ``ScenarioSpec`` (data) in a handful of lines.

A scenario declares only its world, its observers and its steps. It never writes an expectation:
the model derives every event, its audience per connection and every client's converged state from
the world and the contract. A step may state its *intent* (``allowed`` / ``rejected``); the runner
refuses to run a step whose intent disagrees with the model's verdict, so a scenario cannot silently
stop testing what its title says.

    scenario("row.message.edit", "an edit reaches exactly the channel's current viewers",
             rows=["message.edit"], world=lab(), observers=channel_audience("alice"),
             steps=[post("alice", "m1"), deny_view(via="role"),
                    rejected("message.edit", actor="bob", message="m1", content="not mine"),
                    allowed("message.edit", actor="alice", message="m1", content="edited")])
"""
from __future__ import annotations

from typing import Any, Sequence

from harness.engine.scenario import Blueprint, ClientSpec, ScenarioSpec, StepSpec


def allowed(row: str, **params: Any) -> StepSpec:
    """A mutation the model must allow (else the scenario is wrong, not the server)."""
    return StepSpec(do=row, expect="allowed", **params)


def rejected(row: str, **params: Any) -> StepSpec:
    """A forbidden or invalid mutation: REST must refuse it and nothing may be emitted."""
    return StepSpec(do=row, expect="rejected", **params)


def do(action: str, **params: Any) -> StepSpec:
    """A step without intent: harness actions (``subscribe``, ``connect``, ``disconnect``) and
    mutations whose outcome is not the point (the model still predicts and checks it)."""
    return StepSpec(do=action, **params)


def post(actor: str, message: str, channel: str = "general", content: str | None = None) -> StepSpec:
    """``message.create`` by ``actor``; the content defaults to something unique per message alias."""
    return allowed("message.create", actor=actor, channel=channel, message=message,
                   content=content or f"{message} from {actor}")


def subscribe(client: str, guild_channel: str) -> StepSpec:
    """Subscribe every connection of ``client`` (label) to ``guild/channel`` (aliases)."""
    guild, channel = guild_channel.split("/")
    return do("subscribe", client=client, guild=guild, channel=channel)


def scenario(id: str, title: str, *, rows: Sequence[str], world: Blueprint, observers: Sequence[ClientSpec],
             steps: Sequence[StepSpec], tags: Sequence[str] = ()) -> ScenarioSpec:
    """Assemble a scenario; tags ``forbidden`` when any step is expected to be rejected."""
    derived = [id.split(".")[0]] + (["forbidden"] if any(s.expect == "rejected" for s in steps) else [])
    return ScenarioSpec(id=id, title=title, rows=list(rows), tags=list(dict.fromkeys([*derived, *tags])),
                        world=world, clients=list(observers), steps=list(steps))
