"""Run the pure checkers over what a scenario has recorded so far.

Contract and redaction look at each frame once (they are per-frame rules). Delivery is judged
incrementally (harness.checks.delivery.DeliveryJudge): a frame is attributed for good once it is
older than the *horizon* — the invoke time of the oldest action whose expectations may still be
recorded, and at most now minus the slack by which a browser observer backdates the actions it only
learns about afterwards — so no expectation recorded later could claim it. Younger frames are
attributed afresh on each evaluation. A settle poll therefore costs the frames of the last moments,
not the whole history (a late frame of step 3 arriving during step 7 still belongs to step 3).
"""
from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

from contracts.profiles import PROFILES, ProtocolProfile
from harness.checks.delivery import Attribution, DeliveryJudge, DeliveryReport
from harness.checks.frame_cache import FrameCheckCache
from harness.checks.limits import check_limits
from harness.checks.retirement import Retired
from harness.checks.types import CheckClass, CheckFailure
from harness.engine.compat import relax_delivery
from harness.engine.recorder import PAGE_EVENT_SLACK_S, Recorder
from harness.history import ConnectionId, ReceivedFrame
from harness.model.oracle import Model
from harness.redact import Redactor

HORIZON_MARGIN_S = 0.05
CATCH_UP_SLICE = 2000
"""Frames attributed per turn of the event loop when catching up with a backlog."""


def protocol_profile(name: str) -> ProtocolProfile:
    """The protocol profile of a client; selector-profile aliases map onto it."""
    return PROFILES.get(name) or PROFILES["current"]


class Evaluator:
    def __init__(self, model: Model, recorder: Recorder, redactor: Redactor, *, deadline_s: float,
                 disabled: frozenset[CheckClass] = frozenset()) -> None:
        self.model = model
        self.recorder = recorder
        self.redactor = redactor
        self.deadline_s = deadline_s
        self.disabled = disabled
        """Checkers switched off on purpose (selftest proves a disabled checker is noticed)."""
        self.profiles: dict[ConnectionId, ProtocolProfile] = {}
        self._frame_failures: list[CheckFailure] = []
        self._checked: dict[ConnectionId, int] = {}
        self._judge = DeliveryJudge(conn_clients=recorder.conn_clients, deadline_s=deadline_s,
                                    invoked=recorder.invoked_at, classify=model.classify_unattributed)
        self._expectations_seen = 0
        self._created: list[Attribution] = []
        self._cache = FrameCheckCache()
        self.retired = Retired()
        """The verdict of what ``retire`` forgot."""

    def take_message_creates(self) -> list[Attribution]:
        """``message_create`` attributions made since the last call (the runner binds gateway-created
        message ids from them; every report adds those it made, so none is missed between binds)."""
        taken, self._created = self._created, []
        return taken

    def set_profile(self, conn: ConnectionId, profile: ProtocolProfile) -> None:
        self.profiles[conn] = profile

    def delivery(self) -> DeliveryReport:
        report = self._judge.report(self._frames_with_new_expectations(), self.recorder.closes(),
                                    horizon=self.horizon())
        self._created += [a for a in report.fresh if a.event_type == "message_create"]
        if CheckClass.DELIVERY in self.disabled:
            report.failures = []
        report.failures = relax_delivery(report.failures, self.profiles)
        report.failures += [f for f in self.retired.failures() if f.check is CheckClass.DELIVERY]
        return report

    async def catch_up(self) -> None:
        """Attribute the final frames in slices, yielding between them, so a large backlog does not
        hold the event loop (and every reader's receive times) for seconds."""
        frames = self._frames_with_new_expectations()
        while not self._judge.advance(frames, horizon=self.horizon(), budget=CATCH_UP_SLICE):
            await asyncio.sleep(0)
        while not self._check_frames(budget=CATCH_UP_SLICE):
            await asyncio.sleep(0)

    def _frames_with_new_expectations(self) -> dict[ConnectionId, list[ReceivedFrame]]:
        """Hand the judge the expectations recorded since last time; every connection's frames."""
        expectations = self.recorder.expectations
        self._judge.add_expectations(expectations[self._expectations_seen:])
        self._expectations_seen = len(expectations)
        return {conn: source.frames for conn, source in self.recorder.sources.items()}

    def horizon(self) -> float:
        """Frames older than this are final for the delivery judge (see the module docstring)."""
        now = self.recorder.clock() - PAGE_EVENT_SLACK_S - HORIZON_MARGIN_S
        pending = self.recorder.pending_since()
        return now if pending is None else min(now, pending)

    @property
    def frames_judged(self) -> int:
        return self._judge.frames_judged

    def frame_checks(self) -> list[CheckFailure]:
        """Contract and redaction failures of every frame recorded so far (each frame checked once, and
        each distinct frame text validated once: a fanout's copies share one verdict)."""
        self._check_frames(budget=None)
        retired = [f for f in self.retired.failures() if f.check is not CheckClass.DELIVERY]
        return retired + list(self._frame_failures) + self._limit_failures()

    def _check_frames(self, budget: int | None) -> bool:
        """Check up to ``budget`` new frames (all when None); True when none is left."""
        for conn, source in self.recorder.sources.items():
            frames = source.frames
            done = self._checked.get(conn, 0)
            if done >= len(frames):
                continue
            end = len(frames) if budget is None else min(len(frames), done + budget)
            new = frames[done:end]
            self._checked[conn] = end
            if CheckClass.CONTRACT not in self.disabled:
                profile = self.profiles.get(conn) or protocol_profile("current")
                self._frame_failures += _with_client(self._cache.contract(new, profile), self.recorder, conn)
            if CheckClass.REDACTION not in self.disabled:
                found = self._cache.redaction(new, self.redactor.known_secrets, len(self.redactor))
                self._frame_failures += _with_client(found, self.recorder, conn)
            if budget is not None:
                budget -= len(new)
                if budget <= 0:
                    return all(self._checked.get(c, 0) >= len(s.frames) for c, s in self.recorder.sources.items())
        return True

    def retire(self, keep_s: float) -> None:
        """Judge for good and forget everything older than ``keep_s`` (at least the deadline) before the
        horizon — a soak does this at each interval check, so its memory holds a window, not the whole
        run: expectations invoked earlier, and frames received earlier once attributed and checked.
        Their failures and latencies go to ``retired`` (docs/limits.md, "A soak's memory")."""
        cutoff = self.horizon() - max(keep_s, self.deadline_s)
        self._judge.advance(self._frames_with_new_expectations(), horizon=self.horizon(), budget=sys.maxsize)
        self._check_frames(budget=None)
        failures, latencies, indices = self._judge.retire(cutoff, self.recorder.closes())
        self.recorder.retire_expectations(indices)
        self.retired.expectations += len(indices)
        self.retired.add_latencies(latencies)
        if CheckClass.DELIVERY not in self.disabled:
            self.retired.add_failures(relax_delivery(failures, self.profiles))
        self.retired.add_failures(self._frame_failures)
        self._frame_failures = []
        self._retire_frames(cutoff)

    def _retire_frames(self, cutoff: float) -> None:
        """Drop each connection's leading frames older than ``cutoff`` that are final and checked."""
        for conn, source in self.recorder.sources.items():
            frames, limit = source.frames, min(self._checked.get(conn, 0), self._judge.consumed(conn))
            count = 0
            while count < limit and frames[count].at < cutoff:
                count += 1
            if count:
                self._judge.forget_frames(conn, source.retire_frames(count))
                self._checked[conn] -= count
                self.retired.frames += count

    def _limit_failures(self) -> list[CheckFailure]:
        """Connections the harness ended because the server exceeded a size or history limit."""
        found = [f for f in check_limits(self.recorder.closes()) if f.check not in self.disabled]
        return [replace(f, client=self.recorder.conn_clients.get(f.conn or "", f.client)) for f in found]


def _with_client(failures: list[CheckFailure], recorder: Recorder, conn: ConnectionId) -> list[CheckFailure]:
    client = recorder.conn_clients.get(conn)
    return [replace(f, conn=f.conn or conn, client=f.client or client) for f in failures]
