"""Item 3, counters agree with what clients saw.

Over each smoke scenario's active window, ``emitted_total`` summed per event type must equal the frames
of that type the harness's connections received (every connection of the window is the harness's, and
after settling nothing is in flight), and ``dropped_total`` must not move: a server that drops silently
(counts a delivery that never happens) or counts wrongly is caught. On a target others use at the same
time (``exclusive=False``) only "received ≤ emitted" can be required.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from harness.rollout.checklist import ItemResult, failed, passed, skipped
from harness.rollout.metrics import DROPPED, EMITTED, deltas_by, render_labels
from harness.rollout.smoke import Window

NUMBER, KEY, TITLE = 3, "counters_reconcile", "Counters agree with deliveries"


def emitted_by_type(window: Window) -> Counter[str]:
    counts: Counter[str] = Counter()
    for labels, value in deltas_by(window.before, window.after, EMITTED).items():
        counts[dict(labels).get("event_type", "?")] += int(value)
    return counts


def judge_reconcile(windows: Sequence[Window], *, exclusive: bool = True) -> ItemResult:
    if not windows:
        return skipped(NUMBER, KEY, TITLE, "no smoke scenario reached its active window: nothing to reconcile")
    problems: list[str] = []
    evidence: list[str] = []
    total_emitted: Counter[str] = Counter()
    total_received: Counter[str] = Counter()
    for window in windows:
        emitted = emitted_by_type(window)
        total_emitted.update(emitted)
        total_received.update(window.received)
        for event_type in sorted(set(emitted) | set(window.received)):
            sent, seen = emitted[event_type], window.received[event_type]
            if seen > sent:
                problems.append(f"{window.scenario}: {event_type}: clients received {seen}, emitted_total moved {sent} "
                                "(the counter undercounts)")
            elif sent > seen and exclusive:
                problems.append(f"{window.scenario}: {event_type}: emitted_total moved {sent}, clients received {seen} "
                                f"(a silent drop of {sent - seen})")
        for labels, value in deltas_by(window.before, window.after, DROPPED).items():
            if exclusive:
                problems.append(f"{window.scenario}: {DROPPED}{render_labels(labels)} moved +{value:g} on a clean run")
            evidence.append(f"{window.scenario}: {DROPPED}{render_labels(labels)} +{value:g}")
    for event_type in sorted(set(total_emitted) | set(total_received)):
        evidence.append(f"{event_type}: emitted +{total_emitted[event_type]}, received {total_received[event_type]}")
    data = {"emitted": dict(total_emitted), "received": dict(total_received), "windows": len(windows)}
    if problems:
        return failed(NUMBER, KEY, TITLE, f"{len(problems)} mismatch(es); first: {problems[0]}",
                      problems[:20] + evidence, **data)
    rule = "equal" if exclusive else "received ≤ emitted (shared target)"
    return passed(NUMBER, KEY, TITLE, f"emitted_total and deliveries {rule} for {len(total_emitted)} event types over "
                  f"{len(windows)} scenario windows; dropped_total did not move", evidence, **data)
