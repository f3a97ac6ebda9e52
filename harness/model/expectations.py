"""What the model predicts for one action: which events, in which order, reaching which connections."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from harness.history import ConnectionId


class Delivery(StrEnum):
    MUST = "must"
    MAY = "may"
    MUST_NOT = "must_not"


@dataclass(frozen=True)
class ExpectedEvent:
    """One broadcast (or one personalised copy) the server must emit for an action.

    A received frame is attributed to this expectation when its ``t`` equals ``event_type`` and every
    dotted path in ``match`` has the given value inside ``d``. ``fields`` are further predicted values
    checked for equality once attributed (a difference is a ``mismatch``).
    """

    step: int
    order: int
    """Position in the action's emission order (GATEWAY.md §5), from 0."""
    event_type: str
    match: Mapping[str, Any]
    fields: Mapping[str, Any] = field(default_factory=dict)
    audience: Mapping[ConnectionId, Delivery] = field(default_factory=dict)
    """Every connection known at the time of the action. A connection not listed is MUST_NOT."""

    def delivery_for(self, conn: ConnectionId) -> Delivery:
        return self.audience.get(conn, Delivery.MUST_NOT)
