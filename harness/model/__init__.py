"""The brain of the harness: world model, permission model, mutation catalogue, visibility oracle,
projection and client replica. Everything here is pure (no I/O)."""
from __future__ import annotations

from harness.model.expectations import ABSENT, PRESENT, Delivery, ExpectedEvent, SetBetween, Unordered
from harness.model.mutations import GATEWAY_SENT, GatewayCall, Mutation, RestCall, RestResult, Verdict
from harness.model.oracle import Model, Plan
from harness.model.replica import Refetch, Replica
from harness.model.views import ClientView, Scope
from harness.model.world import World, WorldConfig

__all__ = [
    "ABSENT", "PRESENT", "Delivery", "ExpectedEvent", "SetBetween", "Unordered", "GATEWAY_SENT", "GatewayCall",
    "Mutation", "RestCall", "RestResult", "Verdict", "Model", "Plan", "Refetch", "Replica", "ClientView", "Scope",
    "World", "WorldConfig",
]
