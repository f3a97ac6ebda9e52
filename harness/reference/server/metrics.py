"""Process-global Prometheus counters (GATEWAY.md §9) rendered in text exposition format 0.0.4."""

from __future__ import annotations

FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("filament_auth_failures_total", ("reason",), "Authentication failures by reason."),
    ("filament_rate_limit_hits_total", ("surface", "reason"), "Rate limit rejections by surface and reason."),
    ("filament_ws_disconnects_total", ("reason",), "Gateway disconnects by reason."),
    ("filament_gateway_events_emitted_total", ("scope", "event_type"), "Gateway events enqueued to connections."),
    ("filament_gateway_events_dropped_total", ("scope", "event_type", "reason"), "Gateway events dropped before delivery."),
    ("filament_gateway_events_unknown_received_total", ("scope", "event_type"), "Unknown gateway events received."),
    ("filament_gateway_events_parse_rejected_total", ("scope", "reason"), "Gateway ingress frames rejected by parsing."),
    ("filament_voice_sync_repairs_total", ("reason",), "Voice participant snapshots sent."),
)
_LABELS = {name: labels for name, labels, _ in FAMILIES}
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self) -> None:
        self._values: dict[str, dict[tuple[str, ...], int]] = {name: {} for name in _LABELS}

    def inc(self, family: str, *labels: str, by: int = 1) -> None:
        if by <= 0:
            return
        assert len(labels) == len(_LABELS[family]), family
        series = self._values[family]
        series[labels] = series.get(labels, 0) + by

    def value(self, family: str, *labels: str) -> int:
        return self._values[family].get(tuple(labels), 0)

    def render(self, omit: frozenset[str] = frozenset()) -> str:
        """The exposition text; ``omit`` names families left out (a planted fault only)."""
        lines: list[str] = []
        for name, label_names, help_text in FAMILIES:
            if name in omit:
                continue
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} counter")
            for labels in sorted(self._values[name]):
                pairs = ",".join(f'{k}="{_escape(v)}"' for k, v in zip(label_names, labels))
                lines.append(f"{name}{{{pairs}}} {self._values[name][labels]}")
        return "\n".join(lines) + "\n"
