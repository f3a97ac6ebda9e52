"""Dry-run a scenario against the model alone (no server): seed, connect, subscribe and perform every
step through ``harness.model.sandbox.Sandbox``, which answers exactly what the model predicts.

It cannot show a server is right; it shows a *scenario* is well-formed before any target is started:
every alias resolves, every step can be predicted, every stated intent (``allowed`` / ``rejected``)
agrees with the model, and no mutation is predicted to emit nothing by accident.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.errors import ScenarioError
from harness.model.mutations import Mutation, WhoAmI
from harness.model.sandbox import Sandbox
from harness.engine.scenario import ScenarioSpec, StepSpec
from harness.engine.seeding import seed_plan
from harness.engine.steps import Connect, Disconnect, Nemesis, Subscribe, UiCheck, resolve_step

NAMESPACE = "dry"


@dataclass
class DryRun:
    """What a dry run saw: per step, the row and the event types the model predicted."""

    events: list[tuple[str, list[str]]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    """Rows of the steps the model refused."""


def dry_run(spec: ScenarioSpec) -> DryRun:
    """Run ``spec`` offline; raises ``ScenarioError`` where the real runner would."""
    sb = Sandbox(deliver=False)
    plan = seed_plan(spec.world, NAMESPACE)
    with _located(f"scenario {spec.id!r}, world"):
        for registration in plan.registrations:
            sb.setup(registration)
            sb.setup(WhoAmI(registration.actor))
        for mutation in plan.mutations:
            sb.setup(mutation)
    conns = {client.label: _connect(sb, client.label, client.user, client.connections) for client in spec.clients}
    for client in spec.clients:
        for guild_channel in client.subscribe:
            for conn in conns[client.label]:
                with _located(f"scenario {spec.id!r}, client {client.label!r}, subscribe {guild_channel!r}"):
                    sb.subscribe(conn, guild_channel.split("/")[1])
    out = DryRun()
    for index, step in enumerate(spec.steps):
        where = f"scenario {spec.id!r}, step {index} ({step.do})"
        with _located(where):
            _step(sb, spec, conns, index, step, where, out)
    return out


@contextmanager
def _located(where: str) -> Iterator[None]:
    """A model error that does not say where it happened gets ``where`` in front."""
    try:
        yield
    except ScenarioError as exc:
        if str(exc).startswith("scenario "):
            raise
        raise ScenarioError(f"{where}: {exc}") from None


def _step(sb: Sandbox, spec: ScenarioSpec, conns: dict[str, list[str]], index: int, step: StepSpec, where: str,
          out: DryRun) -> None:
    action = resolve_step(spec.id, index, step, NAMESPACE)
    if isinstance(action, Mutation):
        if action.actor not in spec.world.users:  # the runner has no session to act with
            raise ScenarioError(f"{where}: actor {action.actor!r} is not a user of the world "
                                f"(users: {', '.join(spec.world.users)})")
        _mutate(sb, spec.id, action, step.expect, out)
    elif isinstance(action, Subscribe):
        for conn in _client(conns, action.client, where):
            sb.subscribe(conn, action.channel)
    elif isinstance(action, Connect):
        known = _client(conns, action.client, where)
        known += _connect(sb, action.client, _user(spec, action.client), 1, first=len(known))
    elif isinstance(action, Disconnect):
        known = _client(conns, action.client, where)
        if not 0 <= action.index < len(known):
            raise ScenarioError(f"{where}: client {action.client!r} has no connection #{action.index}")
        sb.close(known[action.index])
    elif isinstance(action, (Nemesis, UiCheck)) and action.client is not None:
        _client(conns, action.client, where)
    if step.via is not None:
        _client(conns, step.via, where)


def _client(conns: dict[str, list[str]], label: str, where: str) -> list[str]:
    """The connections of client ``label``; an unknown label is the scenario's error, named."""
    try:
        return conns[label]
    except KeyError:
        known = ", ".join(sorted(conns)) or "none"
        raise ScenarioError(f"{where}: no client labelled {label!r} (clients: {known})") from None


def _connect(sb: Sandbox, label: str, user: str, count: int, first: int = 0) -> list[str]:
    return [sb.connect(user, conn=f"{label}/ws{first + i}") for i in range(count)]


def _user(spec: ScenarioSpec, label: str) -> str:
    return next(c.user for c in spec.clients if c.label == label)


def _mutate(sb: Sandbox, scenario_id: str, mutation: Mutation, intent: str | None, out: DryRun) -> None:
    verdict = sb.model.plan(mutation).verdict
    if intent is not None and (intent == "allowed") != verdict.allowed:
        raise ScenarioError(f"scenario {scenario_id!r}: step {mutation.row} by {mutation.actor} is expected "
                            f"{intent}, but the model predicts {verdict.describe()}")
    outcome = sb.do(mutation)
    out.events.append((mutation.row, [e.event_type for e in outcome.expected]))
    if not outcome.allowed:
        out.rejected.append(mutation.row)
