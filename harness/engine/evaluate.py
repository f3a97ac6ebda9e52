"""Run the pure checkers over what a scenario has recorded so far.

Contract and redaction look at each frame once (they are per-frame rules); delivery is re-evaluated
over the whole history each time, because attribution is global (a late frame of step 3 may arrive
during step 7 and still belongs to step 3).
"""
from __future__ import annotations

from harness.checks.contract import check_contract
from harness.checks.delivery import DeliveryReport, check_delivery
from harness.checks.redaction import check_redaction
from harness.checks.types import CheckClass, CheckFailure
from harness.engine.compat import relax_delivery
from harness.history import ConnectionId
from harness.model.oracle import Model
from harness.engine.recorder import Recorder
from harness.redact import Redactor
from contracts.profiles import PROFILES, ProtocolProfile


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

    def set_profile(self, conn: ConnectionId, profile: ProtocolProfile) -> None:
        self.profiles[conn] = profile

    def delivery(self) -> DeliveryReport:
        report = check_delivery(
            self.recorder.expectations,
            self.recorder.frames_by_conn(),
            closes=self.recorder.closes(),
            conn_clients=self.recorder.conn_clients,
            deadline_s=self.deadline_s,
            invoked_at_by_step=self.recorder.invoked_at_by_step(),
            classify_unattributed=self.model.classify_unattributed,
        )
        if CheckClass.DELIVERY in self.disabled:
            report.failures = []
        report.failures = relax_delivery(report.failures, self.profiles)
        return report

    def frame_checks(self) -> list[CheckFailure]:
        """Contract and redaction failures of every frame recorded so far (each frame checked once)."""
        secrets: list[str] | None = None  # the registry is copied only when there is something to check
        for conn, source in self.recorder.sources.items():
            frames = list(source.frames)
            new = frames[self._checked.get(conn, 0):]
            if not new:
                continue
            self._checked[conn] = len(frames)
            if CheckClass.CONTRACT not in self.disabled:
                profile = self.profiles.get(conn) or protocol_profile("current")
                self._frame_failures += _with_client(check_contract(new, profile=profile), self.recorder, conn)
            if CheckClass.REDACTION not in self.disabled:
                if secrets is None:
                    secrets = list(self.redactor.known_secrets())
                self._frame_failures += _with_client(check_redaction(new, secrets=secrets), self.recorder, conn)
        return list(self._frame_failures)


def _with_client(failures: list[CheckFailure], recorder: Recorder, conn: ConnectionId) -> list[CheckFailure]:
    from dataclasses import replace

    client = recorder.conn_clients.get(conn)
    return [replace(f, conn=f.conn or conn, client=f.client or client) for f in failures]
