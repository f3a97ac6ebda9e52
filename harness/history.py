"""The history of a scenario run: what the harness did and everything every connection received.

Modelled on Jepsen's history: actions (mutations, subscribes, connects, nemesis faults) are operations
with an invoke time and an outcome, and every frame a connection receives is recorded with a monotonic
receive time. Checks are pure functions over this history; nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ConnectionId = str
"""Stable name of one gateway connection, e.g. ``"alice.1/ws0"`` (client label / connection index)."""

ActionKind = Literal["seed", "connect", "subscribe", "mutation", "disconnect", "nemesis", "ui_check", "refresh"]
Outcome = Literal["pending", "ok", "refused", "fail", "info"]
"""``refused``: a mutation the server refused as the model predicted (a forbidden step doing its job);
``fail``: an action that did not do what was expected (including a mutation whose answer the model
did not predict, which is also a check failure)."""


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    """One data frame as a connection received it (control frames are not recorded)."""

    conn: ConnectionId
    seq: int
    """Arrival index on this connection, from 0."""
    at: float
    """``time.monotonic()`` when the frame was read from the socket."""
    raw: str
    """The frame text exactly as received (secrets are redacted only when written to an artefact)."""
    event_type: str | None = None
    """``t`` when the envelope parsed, else None."""
    data: Any = None
    """``d`` when the envelope parsed, else None."""
    envelope_error: str | None = None
    """Why the frame is not a valid ``{v,t,d}`` envelope, or None when it is."""


@dataclass(frozen=True)
class ConnectionClosed:
    """A connection ended: by the server (close frame or abrupt drop) or by the harness."""

    conn: ConnectionId
    at: float
    code: int | None
    """WebSocket close code (1006 for an abrupt drop without a close frame), None if unknown."""
    reason: str
    by: Literal["server", "harness"]
    limit: Literal["oversized_frame", "flood"] | None = None
    """Set when the harness ended the connection to protect itself: ``oversized_frame`` — a frame over
    the contract's event size arrived (refused at the socket, never read); ``flood`` — the connection
    received more than its history budget (harness/clients/gateway_limits.py)."""
    limit_bytes: int | None = None
    """The refused frame's size, or the bytes the flooded connection had received."""
    limit_frames: int | None = None
    """For ``flood``: the frames the connection had received."""


@dataclass
class Action:
    """One operation of the harness, recorded before it is invoked and completed afterwards."""

    step: int
    kind: ActionKind
    name: str
    """Mutation row id (e.g. ``message.edit``), command or nemesis name."""
    client: str | None
    invoked_at: float
    completed_at: float | None = None
    outcome: Outcome = "pending"
    status: int | None = None
    """HTTP status for REST mutations."""
    detail: dict[str, Any] = field(default_factory=dict)
