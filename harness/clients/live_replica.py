"""A replica kept live the way a real client keeps its state: events from one gateway connection are
reduced as they arrive, and the REST re-reads the reducer asks for run in the background, in order.

The reducer itself (harness.model.replica) is pure; this module only wires it to a connection and to
the client's REST session, and tells the settle loop whether any re-read is still under way.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from harness.clients.gateway import GatewayConnection
from harness.clients.rest import RestSession
from harness.clients.snapshot import SnapshotError, fetch_part, fetch_view
from harness.history import ReceivedFrame
from harness.model.replica import Refetch, Replica
from harness.model.staleness import Staleness
from harness.model.views import ClientView, Scope

log = logging.getLogger(__name__)


class LiveReplica:
    def __init__(self, label: str, rest: RestSession, understands: Callable[[str], bool] | None = None) -> None:
        self.label = label
        self.rest = rest
        self.replica = Replica()
        self.understands = understands or (lambda event_type: True)
        """The client version's protocol profile: an older client ignores event types it does not know."""
        self.staleness = Staleness()
        """What this client missed since its last REST refresh (harness.model.staleness)."""
        self.errors: list[str] = []
        """REST re-reads that failed (reported by the runner, never swallowed)."""
        self._queue: asyncio.Queue[Refetch] = asyncio.Queue()
        self._pending = 0
        self._worker: asyncio.Task[None] | None = None
        self._source: GatewayConnection | None = None
        self.merged = 0
        """REST re-reads finished so far (each may have changed the replica beyond what frames say)."""

    async def hydrate(self, scope: Scope) -> ClientView:
        """Boot from a fresh REST snapshot (also after a reconnect or a refresh: events missed are never
        replayed); nothing is stale after it. Returns the snapshot."""
        view = await fetch_view(self.rest, scope)
        self.replica.hydrate(view)
        self.staleness.clear()
        return view

    def follow(self, connection: GatewayConnection) -> None:
        """Reduce every frame of ``connection`` from now on (replacing any earlier source)."""
        if self._source is not None:
            self._source.remove_on_frame(self._on_frame)
        self._source = connection
        connection.on_frame(self._on_frame)
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name=f"replica-{self.label}")

    def after_own_mutation(self, mutation: Any, result: Any) -> None:
        """What the client learns from its own REST response (e.g. the guild list after a join)."""
        self._enqueue(self.replica.after_own_mutation(mutation, result))

    @property
    def idle(self) -> bool:
        """No REST re-read is queued or under way (the settle loop polls this)."""
        return self._pending == 0

    def view(self) -> ClientView:
        return self.replica.view()

    async def close(self) -> None:
        if self._source is not None:
            self._source.remove_on_frame(self._on_frame)
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    def _on_frame(self, frame: ReceivedFrame) -> None:
        if frame.event_type is None or not isinstance(frame.data, dict):
            return
        if not self.understands(frame.event_type):
            self.staleness.note(frame.event_type, frame.data, "ignored")
            return
        self._enqueue(self.replica.apply(frame.event_type, frame.data))

    def _enqueue(self, refetches: list[Refetch]) -> None:
        for refetch in refetches:
            self._pending += 1
            self._queue.put_nowait(refetch)

    async def _work(self) -> None:
        while True:
            refetch = await self._queue.get()
            try:
                fetched = await fetch_part(self.rest, refetch)
                self._enqueue(self.replica.merge(refetch, fetched))
            except (SnapshotError, OSError) as exc:
                self.errors.append(f"{self.label}: re-reading {refetch.kind} failed: {exc}")
            except Exception as exc:  # keep the worker alive; the failure is reported, not lost
                log.debug("replica worker of %s", self.label, exc_info=True)  # reported below, no console traceback
                self.errors.append(f"{self.label}: re-reading {refetch.kind} failed: {exc!r}")
            finally:
                self.merged += 1
                self._pending -= 1
