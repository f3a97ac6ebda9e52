"""A scenario's timeline as data, for the HTML report: one lane per connection, every frame it received
(time, event, which expectation the delivery check attributed it to and whether that connection MUST,
MAY or MUST NOT receive it), and every step with the model's audience per lane.

It is written (redacted) as ``timeline.json`` beside the scenario's other artefacts for every scenario
of a run that keeps artefacts: small (payloads are cut to ``PAYLOAD_CHARS``), and a passing scenario's
story is as readable as a failing one's. Nothing here judges anything: losses, leaks and duplicates are
the delivery check's failures, marked on the timeline by the report.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from harness.checks.delivery import DeliveryReport
from harness.engine.recorder import Recorder
from harness.engine.results import ArtefactRecord
from harness.model.expectations import printable
from harness.redact import Redactor

TIMELINE_FILE = "timeline.json"
PAYLOAD_CHARS = 600
"""A frame's ``d`` is cut here: the timeline shows what arrived; the histories keep every byte."""


def build_timeline(recorder: Recorder, delivery: DeliveryReport, redactor: Redactor) -> dict[str, Any]:
    """Times are seconds since the scenario started (the recorder's clock). Payloads are redacted
    before they are cut, so a cut can never leave half a secret behind."""
    zero = recorder.started_at
    lanes = [{"conn": conn, "client": recorder.conn_clients.get(conn)} for conn in recorder.sources]
    frames: dict[str, list[dict[str, Any]]] = {}
    closes: dict[str, dict[str, Any]] = {}
    for conn, source in recorder.sources.items():
        frames[conn] = [_frame(conn, frame, delivery, zero, redactor) for frame in source.frames]
        if source.closed is not None:
            closes[conn] = {"t_s": round(source.closed.at - zero, 4), "code": source.closed.code,
                            "reason": source.closed.reason, "by": source.closed.by}
    expected: dict[int, list[dict[str, Any]]] = {}
    for exp in recorder.live_expectations():
        expected.setdefault(exp.step, []).append({
            "order": exp.order, "event_type": exp.event_type,
            "match": {path: printable(value) for path, value in exp.match.items()},
            "audience": {conn: delivery_.value for conn, delivery_ in exp.audience.items()},
        })
    steps = [{
        "step": a.step, "kind": a.kind, "name": a.name, "client": a.client,
        "t_s": round(a.invoked_at - zero, 4),
        "end_s": None if a.completed_at is None else round(a.completed_at - zero, 4),
        "outcome": a.outcome, "status": a.status, "expected": expected.get(a.step, []),
    } for a in recorder.actions]
    # Wall-clock start, for reports that need real times (Allure's timeline); the rest stays monotonic.
    started_at_unix = round(time.time() - (recorder.clock() - zero), 3)
    return {"started_at_unix": started_at_unix, "lanes": lanes, "steps": steps, "frames": frames, "closes": closes}


def _frame(conn: str, frame: Any, delivery: DeliveryReport, zero: float, redactor: Redactor) -> dict[str, Any]:
    attribution = delivery.attributions.get((conn, frame.seq))
    out: dict[str, Any] = {"seq": frame.seq, "t_s": round(frame.at - zero, 4), "event_type": frame.event_type,
                           "data": _cut(redactor.redact(frame.data if frame.envelope_error is None else frame.raw))}
    if frame.envelope_error:
        out["envelope_error"] = frame.envelope_error
    if attribution is not None:
        out["attributed"] = {"step": attribution.step, "order": attribution.order,
                             "delivery": attribution.delivery.value}
    return out


def _cut(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= PAYLOAD_CHARS else text[:PAYLOAD_CHARS] + "…"


def write_timeline(directory: Path, recorder: Recorder, delivery: DeliveryReport, redactor: Redactor) -> ArtefactRecord:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / TIMELINE_FILE
    data = json.loads(json.dumps(build_timeline(recorder, delivery, redactor), default=repr))
    path.write_text(json.dumps(redactor.redact(data), ensure_ascii=False), encoding="utf-8")
    return ArtefactRecord(kind="history", path=str(path), client=None)
