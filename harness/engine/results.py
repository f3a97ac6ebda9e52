"""The JSON result of a run: a documented, versioned schema (docs/result-schema.md).

Everything a user needs to act on a failure is here: per scenario its status, its clients, each failed
check with the event, the connection, expected vs observed, and latency figures. Secrets never reach
this file: writers pass every value through the run's Redactor first.
"""
from __future__ import annotations

import math
from copy import deepcopy
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

from harness.checks.evidence import bounded
from harness.checks.retirement import LatencyHistogram
from harness.checks.types import CheckFailure, LatencySample
from harness.engine.evidence_depth import bounded_depth
from harness.model.world import LegacyOverrideMode

SCHEMA_VERSION = "1.3"

ScenarioStatus = Literal["passed", "failed", "error", "skipped", "degraded", "known"]
"""``degraded`` (since 1.2): no failure, but expected degradation of an older client or server version.
``known`` (since 1.2): it failed, and a known-issue baseline (``--baseline``) explains every failure."""
RunStatus = Literal["passed", "failed", "error"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LatencyStats(_Model):
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float


class FailureRecord(_Model):
    check: Literal["contract", "delivery", "convergence", "redaction", "ui"]
    kind: str
    message: str
    severity: Literal["error", "warning", "degraded"] = "error"
    step: int | None = None
    event_type: str | None = None
    connection: str | None = None
    client: str | None = None
    expected: Any = None
    observed: Any = None
    details: dict[str, Any] = Field(default_factory=dict)
    known: dict[str, Any] | None = None
    """Since 1.2: the baseline entry that explains this failure (``entry``, ``key``, ``reason``, ``link``)."""


class ClientRecord(_Model):
    label: str
    kind: Literal["simulated", "browser"]
    user: str
    visibility_class: str
    connections: list[str] = Field(default_factory=list)
    profile: str = "current"


class StepRecord(_Model):
    step: int
    kind: str
    name: str
    client: str | None = None
    outcome: str
    status: int | None = None
    started_s: float
    """Seconds since the scenario started."""
    duration_ms: float | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class ArtefactRecord(_Model):
    kind: Literal["screenshot", "trace", "history", "diff", "log"]
    path: str
    client: str | None = None


class HarnessLoad(_Model):
    """The harness's own load during a scenario (harness.engine.load_monitor)."""

    max_loop_lag_ms: float
    """Worst delay of the harness's event loop (how late its reader tasks could have read a frame)."""
    max_backlog_bytes: int
    """Most bytes of gateway frames seen waiting unread in the kernel's receive buffers at once."""
    bound_ms: float
    overloaded: bool
    """True when the lag exceeded the bound. If a delivery was also late, the scenario is an error
    ("harness overloaded"), not a check failure, and its late deliveries are warnings."""

    @classmethod
    def of(cls, figures: Any) -> "HarnessLoad":
        return cls(max_loop_lag_ms=round(figures.max_loop_lag_s * 1000, 1), max_backlog_bytes=figures.max_backlog_bytes,
                   bound_ms=round(figures.bound_s * 1000, 1), overloaded=figures.overloaded)


class ScenarioResult(_Model):
    id: str
    title: str
    rows: list[str] = Field(default_factory=list)
    """Mutation rows of GATEWAY.md §5 (contracts.mutations ids) this scenario exercises."""
    tags: list[str] = Field(default_factory=list)
    status: ScenarioStatus
    duration_s: float
    clients: list[ClientRecord] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)
    steps_omitted: int = 0
    """Since 1.3: steps not listed (a soak lists every step not ``ok`` and its last ones, docs/limits.md)."""
    failures: list[FailureRecord] = Field(default_factory=list)
    warnings: list[FailureRecord] = Field(default_factory=list)
    degradations: list[FailureRecord] = Field(default_factory=list)
    """Since 1.2: expected degradation of a mixed-version run (docs/mixed-versions.md); never a failure."""
    latency: dict[str, LatencyStats] = Field(default_factory=dict)
    artefacts: list[ArtefactRecord] = Field(default_factory=list)
    error: str | None = None
    """Why the scenario could not run to the end (harness or target problem), one line."""
    error_known: dict[str, Any] | None = None
    """Since 1.2: the baseline entry (``check = "error"``) that explains ``error``."""
    replay: str | None = None
    """For randomised scenarios: the seed and the step list that reproduce a failure."""
    harness_load: HarnessLoad | None = None
    """The harness's event-loop lag and unread backlog during the scenario (None when not measured)."""


class RowCoverage(_Model):
    row: str
    covered: bool
    scenarios: list[str] = Field(default_factory=list)
    visibility_classes: list[str] = Field(default_factory=list)


class Coverage(_Model):
    covered: int
    total: int
    rows: list[RowCoverage]

    @property
    def ratio(self) -> str:
        return f"{self.covered}/{self.total}"


class TargetRecord(_Model):
    spec: str
    description: str


class RunOptionsRecord(_Model):
    scenario_patterns: list[str] = Field(default_factory=list)
    sim_clients: int = 0
    browsers: int = 0
    seed: int | None = None
    deadline_s: float = 2.0
    quiet_s: float = 0.25
    profile: str = "current"
    deep: bool = False
    legacy_overrides: LegacyOverrideMode = "immediate"
    """Since 1.1: how the target applies the legacy channel-override route (``--legacy-overrides``)."""
    server_profile: str = "head"
    """Since 1.2: the server version the oracle expected (``contracts.server_profiles``)."""
    target_profile: str | None = None
    """Since 1.2: the ``--target-profile`` the run used."""


class RunSummary(_Model):
    total: int
    passed: int
    failed: int
    error: int
    skipped: int
    degraded: int = 0
    """Since 1.2: scenarios that passed with expected degradation only."""
    known: int = 0
    """Since 1.2: scenarios whose every failure a known-issue baseline explains."""
    failures_by_check: dict[str, int] = Field(default_factory=dict)


RunCauseKind = Literal["target_died", "target_error", "browser_unavailable", "interrupted", "terminated",
                       "harness_overloaded", "harness_crashed"]


class RunCause(_Model):
    """Since 1.2: why the run as a whole did not end normally (a scenario's own problems stay in its
    ``error``). Every writer shows it: the console's last lines, a ``run`` error testcase in JUnit and a
    broken ``run`` test in Allure, so no report of such a run can read as passed."""

    kind: RunCauseKind
    """``target_died`` (its process exited or a ``url:`` server stopped answering), ``target_error``
    (another target problem that ended the run), ``browser_unavailable``, ``interrupted`` (Ctrl-C),
    ``terminated`` (SIGTERM, what CI sends on cancel), ``harness_overloaded`` (the harness could not
    keep up, e.g. its event loop was blocked), ``harness_crashed`` (a bug of the harness outside any
    scenario)."""
    message: str
    """One line."""
    scenario: str | None = None
    """The scenario running when it happened, if any."""


class RunResult(_Model):
    schema_version: str = SCHEMA_VERSION
    tool: str = "filament-sync-harness"
    status: RunStatus
    interrupted: bool = False
    """The run was stopped (Ctrl-C or SIGTERM) before every scenario ran; its status is then ``error``."""
    cause: RunCause | None = None
    """Since 1.2: why the run ended early or abnormally; set whenever it did (status is then ``error``)."""
    started_at: str
    """ISO 8601, UTC."""
    duration_s: float
    target: TargetRecord
    options: RunOptionsRecord
    summary: RunSummary
    coverage: Coverage | None = None
    latency: dict[str, LatencyStats] = Field(default_factory=dict)
    scenarios: list[ScenarioResult] = Field(default_factory=list)
    baseline: "BaselineReport | None" = None
    """Since 1.2: present with ``--baseline``: how each known-issue entry fared (matched, stale, not run)."""
    selftest: dict[str, Any] | None = None
    """Present for `sync-harness selftest`: the fault × check-class matrix (docs/result-schema.md)."""


class EntryUse(_Model):
    """How one baseline entry fared in a run."""

    entry: int
    key: str
    reason: str
    link: str = ""
    state: Literal["matched", "stale", "not_run"]
    """``matched``: it explained at least one failure; ``stale``: a scenario it names ran and it explained
    nothing (fixed, or a wrong entry); ``not_run``: none of its scenarios ran (deselected or skipped)."""
    scenarios: list[str] = Field(default_factory=list)
    failures: int = 0


class BaselineReport(_Model):
    path: str
    strict: bool = False
    entries: int
    matched: int
    stale: int
    not_run: int
    new_failures: int
    """Failures no entry explains (these fail the run)."""
    uses: list[EntryUse] = Field(default_factory=list)

    @property
    def fails_run(self) -> bool:
        return self.strict and self.stale > 0


RunResult.model_rebuild()


def failure_record(failure: CheckFailure) -> FailureRecord:
    return FailureRecord(
        check=failure.check.value,
        kind=failure.kind,
        message=failure.message,
        severity=failure.severity,
        step=failure.step,
        event_type=failure.event_type,
        connection=failure.conn,
        client=failure.client,
        # Bounded: nesting cut at a fixed depth, then at most EVIDENCE_BYTES of each value (digest beyond).
        expected=bounded(bounded_depth(failure.expected)),
        observed=bounded(bounded_depth(failure.observed)),
        details={key: bounded(bounded_depth(value)) for key, value in failure.details.items()},
    )


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_stats(samples: list[LatencySample],
                  retired: Mapping[str, LatencyHistogram] | None = None) -> dict[str, LatencyStats]:
    """p50 / p95 / max per event type, in milliseconds: exact from ``samples``; within 1 % when a soak
    has folded older samples into ``retired`` histograms (harness.checks.retirement)."""
    by_type: dict[str, list[float]] = {}
    for sample in samples:
        by_type.setdefault(sample.event_type, []).append(sample.seconds * 1000.0)
    stats: dict[str, LatencyStats] = {}
    for event_type in sorted(set(by_type) | set(retired or {})):
        values = sorted(by_type.get(event_type, []))
        if retired and event_type in retired:
            histogram = deepcopy(retired[event_type])
            for value in values:
                histogram.add(value)
            stats[event_type] = LatencyStats(count=histogram.count, p50_ms=round(histogram.percentile(0.50), 2),
                                             p95_ms=round(histogram.percentile(0.95), 2),
                                             max_ms=round(histogram.max_ms, 2))
            continue
        stats[event_type] = LatencyStats(
            count=len(values),
            p50_ms=round(percentile(values, 0.50), 2),
            p95_ms=round(percentile(values, 0.95), 2),
            max_ms=round(values[-1], 2),
        )
    return stats


def result_json_schema() -> dict[str, Any]:
    """JSON Schema of the result file, exported for docs/result-schema.md and for consumers."""
    return RunResult.model_json_schema()
