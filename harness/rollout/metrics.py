"""Snapshots of a target's ``GET /metrics`` (GATEWAY.md §9), parsed with prometheus_client's parser.

A snapshot maps (family, labels) to a value; two snapshots give the deltas the checklist judges.
Counters are process-global, so a delta is only the harness's own doing on a target nobody else uses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

from harness.errors import TargetError

CONTRACT_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "filament_auth_failures_total": ("reason",),
    "filament_rate_limit_hits_total": ("surface", "reason"),
    "filament_ws_disconnects_total": ("reason",),
    "filament_gateway_events_emitted_total": ("scope", "event_type"),
    "filament_gateway_events_dropped_total": ("scope", "event_type", "reason"),
    "filament_gateway_events_unknown_received_total": ("scope", "event_type"),
    "filament_gateway_events_parse_rejected_total": ("scope", "reason"),
    "filament_voice_sync_repairs_total": ("reason",),
}
"""Every counter family of GATEWAY.md §9 with its label names."""

EMITTED = "filament_gateway_events_emitted_total"
DROPPED = "filament_gateway_events_dropped_total"
UNKNOWN = "filament_gateway_events_unknown_received_total"
PARSE_REJECTED = "filament_gateway_events_parse_rejected_total"
DISCONNECTS = "filament_ws_disconnects_total"

Labels = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Family:
    name: str
    type: str
    label_names: frozenset[frozenset[str]]
    """The label-name sets its samples carry (empty while it has no samples)."""


@dataclass
class MetricsSnapshot:
    content_type: str = ""
    families: dict[str, Family] = field(default_factory=dict)
    samples: dict[tuple[str, Labels], float] = field(default_factory=dict)

    def value(self, family: str, **labels: str) -> float:
        return self.samples.get((family, frozenset(labels.items())), 0.0)

    def series(self, family: str) -> dict[Labels, float]:
        return {labels: value for (name, labels), value in self.samples.items() if name == family}


def parse_exposition(text: str, content_type: str = "") -> MetricsSnapshot:
    """Parse Prometheus text format; counter families are keyed by their ``_total`` sample name."""
    snapshot = MetricsSnapshot(content_type=content_type)
    for family in text_string_to_metric_families(text):
        name = family.name + "_total" if family.type == "counter" and not family.name.endswith("_total") \
            else family.name
        label_sets: set[frozenset[str]] = set()
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            label_sets.add(frozenset(sample.labels))
            snapshot.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        snapshot.families[name] = Family(name, family.type, frozenset(label_sets))
    return snapshot


async def fetch_metrics(client: httpx.AsyncClient, rest_url: str) -> MetricsSnapshot:
    """``GET /metrics`` once (the global rate limiter covers it: a 429 is a clear error)."""
    url = rest_url.rstrip("/") + "/metrics"
    try:
        response = await client.get(url, timeout=5.0)
    except httpx.HTTPError as exc:
        raise TargetError(f"GET {url} failed: {type(exc).__name__}: {exc}") from None
    if response.status_code == 429:
        raise TargetError(f"GET {url} answered 429: the target's global rate limiter covers /metrics; "
                          "raise FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE on the target")
    if response.status_code != 200:
        raise TargetError(f"GET {url} answered {response.status_code}")
    try:
        return parse_exposition(response.text, response.headers.get("content-type", ""))
    except ValueError as exc:
        raise TargetError(f"GET {url}: not Prometheus text format: {exc}") from None


def delta(before: MetricsSnapshot, after: MetricsSnapshot, family: str, **labels: str) -> float:
    return after.value(family, **labels) - before.value(family, **labels)


def deltas_by(before: MetricsSnapshot, after: MetricsSnapshot, family: str) -> dict[Labels, float]:
    """Every series of ``family`` that moved between the snapshots, with its delta."""
    keys = set(before.series(family)) | set(after.series(family))
    moved = {labels: after.value(family, **dict(labels)) - before.value(family, **dict(labels)) for labels in keys}
    return {labels: value for labels, value in moved.items() if value}


def render_labels(labels: Labels | Mapping[str, str]) -> str:
    pairs = sorted(dict(labels).items())
    return "{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}"
