"""Everything one scenario run observed, in one place: the actions it performed (with their invoke
times), what the model expected of each, and the frame sources of every connection (simulated or
browser). Checks read it; nothing here judges anything.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Protocol

from harness.history import Action, ActionKind, ConnectionClosed, ConnectionId, Outcome, ReceivedFrame
from harness.model.expectations import ExpectedEvent


PAGE_EVENT_SLACK_S = 0.25
"""Playwright hands page events (socket opened, frame sent, socket closed) to the harness asynchronously,
after the server may already have acted on them; actions the page initiates are dated this much
earlier than observed so the frames they cause are not taken for frames that came before their cause.
It only widens which frames may be attributed to them; it excuses nothing."""


class FrameSource(Protocol):
    """A connection's recorded frames and how it ended (GatewayConnection and browser sockets)."""

    frames: list[ReceivedFrame]
    """Kept frames, oldest first; ``frames[i]`` has ``seq == frames_retired + i``."""
    frames_retired: int
    closed: ConnectionClosed | None

    def retire_frames(self, count: int) -> list[ReceivedFrame]: ...


class Recorder:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started_at = clock()
        self.actions: list[Action] = []
        self.expectations: list[ExpectedEvent] = []
        self.sources: dict[ConnectionId, FrameSource] = {}
        self.conn_clients: dict[ConnectionId, str] = {}
        self.invoked_at: dict[int, float] = {}
        self._pending: dict[int, float] = {}
        """step -> invoke time, kept as actions begin (the delivery judge reads it live)."""
        self.emits: Callable[[str], bool] = lambda event_type: True
        """Whether the target's server version emits an event type (an older server profile does not
        emit later events: those predictions are withheld, not expected)."""
        self.withheld: list[ExpectedEvent] = []
        self.on_expect: Callable[[ExpectedEvent, bool], None] | None = None
        """Told of every prediction and whether the server version emits it (mixed-version staleness)."""

    # ---- actions ----------------------------------------------------------------------------------

    @property
    def next_step(self) -> int:
        return len(self.actions)

    def begin(self, kind: ActionKind, name: str, client: str | None, *, backdate_s: float = 0.0,
              **detail: Any) -> Action:
        """Record an action as invoked now, or ``backdate_s`` earlier for actions the harness only
        learns about after they happened (a browser page opening a socket or sending a subscribe)."""
        action = Action(step=self.next_step, kind=kind, name=name, client=client,
                        invoked_at=self.clock() - backdate_s, detail=dict(detail))
        self.actions.append(action)
        self.invoked_at[action.step] = action.invoked_at
        self._pending[action.step] = action.invoked_at
        return action

    def finish(self, action: Action, outcome: Outcome, status: int | None = None, **detail: Any) -> None:
        action.completed_at = self.clock()
        action.outcome = outcome
        self._pending.pop(action.step, None)
        action.status = status
        action.detail.update(detail)

    def expect(self, events: Iterable[ExpectedEvent]) -> None:
        for event in events:
            emitted = self.emits(event.event_type)
            (self.expectations if emitted else self.withheld).append(event)
            if self.on_expect is not None:
                self.on_expect(event, emitted)

    def invoked_at_by_step(self) -> dict[int, float]:
        return dict(self.invoked_at)

    def pending_since(self) -> float | None:
        """The invoke time of the oldest action not finished yet (its expectations may still come)."""
        return min(self._pending.values()) if self._pending else None

    # ---- connections ------------------------------------------------------------------------------

    def add_connection(self, conn: ConnectionId, client: str, source: FrameSource) -> None:
        self.sources[conn] = source
        self.conn_clients[conn] = client

    def frames_by_conn(self) -> dict[ConnectionId, list[ReceivedFrame]]:
        return {conn: list(source.frames) for conn, source in self.sources.items()}

    def closes(self) -> list[ConnectionClosed]:
        return [source.closed for source in self.sources.values() if source.closed is not None]

    def frame(self, conn: ConnectionId, seq: int) -> ReceivedFrame | None:
        """The frame, if still kept (a soak drops frames it has judged for good)."""
        source = self.sources[conn]
        position = seq - source.frames_retired
        return source.frames[position] if 0 <= position < len(source.frames) else None

    def frames_received(self) -> int:
        """Every frame recorded, kept or retired."""
        return sum(source.frames_retired + len(source.frames) for source in self.sources.values())

    def retire_expectations(self, indices: Iterable[int]) -> None:
        """Forget expectations judged for good (their slots stay, so indices keep their meaning)."""
        for index in indices:
            self.expectations[index] = None  # type: ignore[call-overload]

    def live_expectations(self) -> list[ExpectedEvent]:
        return [exp for exp in self.expectations if exp is not None]
