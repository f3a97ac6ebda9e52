"""Result types shared by every checker. A checker is a pure function returning CheckFailure records."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from harness.history import ConnectionId


class CheckClass(StrEnum):
    CONTRACT = "contract"
    """Envelope and payload shape against contracts/ (GATEWAY.md §2, §4)."""
    DELIVERY = "delivery"
    """Loss, duplicate, late, leak, unexpected event, order, payload value mismatch (GATEWAY.md §5, §6)."""
    CONVERGENCE = "convergence"
    """Client replica vs fresh REST snapshot with the client's own credentials, and vs the model."""
    REDACTION = "redaction"
    """Forbidden field names and values anywhere in a payload (GATEWAY.md §7)."""
    UI = "ui"
    """Web-client entry points and accessible names (WEB_UI.md §3), checked through Playwright."""


Severity = Literal["error", "warning", "degraded"]
"""``degraded``: expected degradation of an older client or server version (docs/mixed-versions.md)."""


@dataclass(frozen=True)
class CheckFailure:
    """One unsatisfied expectation. ``severity="warning"`` findings are reported but never fail a run."""

    check: CheckClass
    kind: str
    """Sub-kind within the class, e.g. ``loss``, ``duplicate``, ``late``, ``leak``, ``unexpected``,
    ``order``, ``mismatch``, ``schema``, ``unknown_field``, ``diverged_from_rest``,
    ``diverged_from_model``, ``forbidden_field``, ``forbidden_value``, ``close``."""
    message: str
    """One human-readable line."""
    step: int | None = None
    event_type: str | None = None
    conn: ConnectionId | None = None
    client: str | None = None
    expected: Any = None
    observed: Any = None
    severity: Severity = "error"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class LatencySample(NamedTuple):
    """Time from invoking the mutation to a MUST recipient receiving its event (a tuple: one is made
    per MUST delivery, on the hot path)."""

    event_type: str
    conn: ConnectionId
    step: int
    seconds: float
