"""What the runner's parts (nemesis, browser observers) may use of a running scenario.

The runner implements :class:`SessionApi` (``ScenarioSession``); the parts depend on this module, not on
the runner, so the runner can import them without an import circle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.checks.types import CheckFailure
from harness.clients.gateway import GatewayConnection
from harness.clients.live_replica import LiveReplica
from harness.clients.rest import RestSession
from harness.clients.simulated import SimulatedClient
from harness.engine.evaluate import Evaluator
from harness.engine.recorder import Recorder
from harness.engine.scenario import ClientSpec, ScenarioSpec
from harness.model.mutations import Mutation
from harness.engine.page_event_order import PageEventOrder
from harness.model.oracle import Model
from harness.targets.base import Target


@dataclass
class Observer:
    """One client of the scenario: its spec, its session, and the replica its primary connection feeds."""

    spec: ClientSpec
    sim: SimulatedClient
    replica: LiveReplica
    subscriptions: list[tuple[str, str]] = field(default_factory=list)
    primary: GatewayConnection | None = None
    """The connection feeding the replica (the first one; after a reconnect, the new one)."""


class SessionApi(Protocol):
    """One scenario run, as its parts see it."""

    spec: ScenarioSpec
    target: Target
    model: Model
    recorder: Recorder
    evaluator: Evaluator
    failures: list[CheckFailure]
    observers: dict[str, Observer]
    seed_sessions: dict[str, RestSession]
    page_events: PageEventOrder

    def observer(self, label: str) -> Observer:
        """The simulated client ``label`` (a ScenarioError when the scenario has none)."""
        ...

    def protocol_profile(self, spec: ClientSpec) -> Any:
        """The protocol profile a client of this spec speaks."""
        ...

    async def reconnect(self, observer: Observer, count: int = 1) -> list[GatewayConnection]:
        """Open new connections for ``observer`` and rebuild its state from REST."""
        ...

    async def perform_mutation(self, mutation: Mutation, intent: str | None = None, *,
                               via: str | None = None) -> int:
        """Perform one mutation as a step; returns its step number."""
        ...
