"""Results of the rollout checklist: one named item each, with a verdict, one message and its evidence."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

ItemStatus = Literal["passed", "failed", "skipped"]


class ItemResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: int
    key: str
    """Stable name of the item (``metrics_surface``, ``telemetry_gate``, …)."""
    title: str
    status: ItemStatus
    message: str
    """One line: why it passed, failed or was skipped."""
    evidence: list[str] = Field(default_factory=list)
    """What was observed, one fact a line (metric deltas, close codes, field paths...)."""
    duration_s: float = 0.0
    data: dict[str, Any] = Field(default_factory=dict)
    """Machine-readable evidence (counts, deltas) for the JSON report."""


class RolloutResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    status: Literal["passed", "failed"]
    target: str
    description: str
    started_at: str
    duration_s: float
    items: list[ItemResult]

    @property
    def failed(self) -> list[ItemResult]:
        return [item for item in self.items if item.status == "failed"]


def passed(number: int, key: str, title: str, message: str, evidence: list[str] | None = None,
           **data: Any) -> ItemResult:
    return ItemResult(number=number, key=key, title=title, status="passed", message=message,
                      evidence=evidence or [], data=data)


def failed(number: int, key: str, title: str, message: str, evidence: list[str] | None = None,
           **data: Any) -> ItemResult:
    return ItemResult(number=number, key=key, title=title, status="failed", message=message,
                      evidence=evidence or [], data=data)


def skipped(number: int, key: str, title: str, message: str, evidence: list[str] | None = None) -> ItemResult:
    return ItemResult(number=number, key=key, title=title, status="skipped", message=message,
                      evidence=evidence or [])
