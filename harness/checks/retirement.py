"""What a long run keeps of the history it has judged and forgotten.

A soak of an hour sees millions of frames; keeping each one (and each expectation with its audience of
every connection) until the end grows without bound. Once a part of the history is final — every
frame in it attributed and checked, every expectation in it past its deadline — its verdict cannot
change, so the run keeps only the verdict: the failures (at most ``FAILURES_PER_KIND`` of each
``check/kind``, the rest counted) and the delivery latencies as per-event-type histograms whose
percentiles are within 1 % of the exact ones. Pure.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from harness.checks.evidence import cap_per_kind
from harness.checks.types import CheckFailure, LatencySample

BUCKET_GROWTH = 1.01
"""Each histogram bucket is 1 % wider than the one before: a percentile read from it is at most 1 % off."""
_LOG_GROWTH = math.log(BUCKET_GROWTH)
_SMALLEST_MS = 0.001
"""Latencies below a microsecond share the first bucket."""


@dataclass
class LatencyHistogram:
    """Delivery latencies of one event type, in milliseconds, in logarithmic buckets."""

    buckets: Counter[int] = field(default_factory=Counter)
    count: int = 0
    max_ms: float = 0.0

    def add(self, ms: float) -> None:
        self.buckets[_bucket(ms)] += 1
        self.count += 1
        self.max_ms = max(self.max_ms, ms)

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile: the upper edge of the bucket holding that rank (never above max)."""
        rank = max(1, math.ceil(fraction * self.count))
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= rank:
                return min(_upper_edge(bucket), self.max_ms)
        return self.max_ms


def _bucket(ms: float) -> int:
    return 0 if ms <= _SMALLEST_MS else 1 + int(math.log(ms / _SMALLEST_MS) / _LOG_GROWTH)


def _upper_edge(bucket: int) -> float:
    return _SMALLEST_MS * BUCKET_GROWTH ** bucket


@dataclass
class Retired:
    """The verdict of the forgotten part of a run: failures capped per kind, latencies as histograms."""

    latencies: dict[str, LatencyHistogram] = field(default_factory=dict)
    latency_samples: int = 0
    frames: int = 0
    """Frames judged, checked and dropped from the connections' histories."""
    expectations: int = 0
    _failures: list[CheckFailure] = field(default_factory=list)
    """At most ``FAILURES_PER_KIND`` of each kind, then one record counting the rest (``cap_per_kind``)."""

    def add_latencies(self, samples: Iterable[LatencySample]) -> None:
        for sample in samples:
            self.latencies.setdefault(sample.event_type, LatencyHistogram()).add(sample.seconds * 1000.0)
            self.latency_samples += 1

    def add_failures(self, failures: Iterable[CheckFailure]) -> None:
        self._failures = cap_per_kind(self._failures + list(failures))

    def failures(self) -> list[CheckFailure]:
        """The failures kept, and for each kind with more a record counting those not kept
        (:func:`harness.checks.evidence.cap_per_kind` adds such counts to its own)."""
        return list(self._failures)
