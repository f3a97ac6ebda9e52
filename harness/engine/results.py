"""The JSON result of a run: a documented, versioned schema (docs/result-schema.md).

Everything a user needs to act on a failure is here: per scenario its status, its clients, each failed
check with the event, the connection, expected vs observed, and latency figures. Secrets never reach
this file: writers pass every value through the run's Redactor first.
"""
from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.checks.types import CheckFailure, LatencySample
from harness.model.world import LegacyOverrideMode

SCHEMA_VERSION = "1.2"

ScenarioStatus = Literal["passed", "failed", "error", "skipped", "known"]
"""``known``: it failed, and a known-issue baseline (``--baseline``) explains every failure."""
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
    severity: Literal["error", "warning"] = "error"
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
    failures: list[FailureRecord] = Field(default_factory=list)
    warnings: list[FailureRecord] = Field(default_factory=list)
    latency: dict[str, LatencyStats] = Field(default_factory=dict)
    artefacts: list[ArtefactRecord] = Field(default_factory=list)
    error: str | None = None
    """Why the scenario could not run to the end (harness or target problem), one line."""
    error_known: dict[str, Any] | None = None
    """Since 1.2: the baseline entry (``check = "error"``) that explains ``error``."""
    replay: str | None = None
    """For randomised scenarios: the seed and the step list that reproduce a failure."""


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
    target_profile: str | None = None
    """Since 1.2: the ``--target-profile`` the run used."""


class RunSummary(_Model):
    total: int
    passed: int
    failed: int
    error: int
    skipped: int
    known: int = 0
    """Since 1.2: scenarios whose every failure a known-issue baseline explains."""
    failures_by_check: dict[str, int] = Field(default_factory=dict)


class RunResult(_Model):
    schema_version: str = SCHEMA_VERSION
    tool: str = "filament-sync-harness"
    status: RunStatus
    interrupted: bool = False
    """The run was stopped (Ctrl-C) before every scenario ran; its status is then ``error``."""
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
        expected=failure.expected,
        observed=failure.observed,
        details=dict(failure.details),
    )


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_stats(samples: list[LatencySample]) -> dict[str, LatencyStats]:
    """p50 / p95 / max per event type, in milliseconds."""
    by_type: dict[str, list[float]] = {}
    for sample in samples:
        by_type.setdefault(sample.event_type, []).append(sample.seconds * 1000.0)
    stats: dict[str, LatencyStats] = {}
    for event_type, values in sorted(by_type.items()):
        values.sort()
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
