"""Artefacts of a scenario run, written (redacted) for failing scenarios, or always on request:
one JSON history per client (every frame with its receive time, how each connection ended, the
client's actions) and the run's action log with what the model expected of each action.

Two bounds keep this cheap whatever the server sent and however many clients ran (issue 16):

* **Size**: a client's history keeps the text of its frames in full up to
  :data:`HISTORY_ARTEFACT_BYTES`; later frames are written as a digest record (first characters,
  size, sha256; harness/checks/evidence.py). The run's checks saw every frame in full; the artefact is
  for a human reading what happened, and the first megabyte of a flood says what it was.
* **The event loop**: building, redacting and writing the files is CPU work (redaction scans every
  character). It runs in a worker thread, one file at a time, so the loop keeps serving (Ctrl-C,
  timers, other connections); cancelling :func:`write_histories` stops after the file being written
  (the worker also checks a stop flag between frames, so that file ends early too). Redaction is
  remembered per distinct frame text: a fan-out delivers the same frame to every client, so with a
  thousand clients each text is scanned once, not a thousand times.
"""
from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.checks.evidence import digest_record
from harness.engine.recorder import FrameSource, Recorder
from harness.engine.results import ArtefactRecord
from harness.history import ReceivedFrame
from harness.redact import Redactor

__all__ = ["HISTORY_ARTEFACT_BYTES", "scenario_dir", "safe_name", "write_histories", "HistoryWriteStopped"]

HISTORY_ARTEFACT_BYTES = 1024 * 1024
"""Frame text one client's history file keeps verbatim; frames beyond it are digests."""
REDACTION_MEMO_CHARS = 64 * 1024 * 1024
"""Frame text whose redaction is remembered while one scenario's histories are written."""


class _MemoRedactor:
    """``redact_text`` remembered per distinct text (bounded); the registry does not change while a
    scenario's artefacts are written (scenarios run one after another)."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._seen: dict[str, str] = {}
        self._chars = 0

    def redact_text(self, text: str) -> str:
        done = self._seen.get(text)
        if done is None:
            done = self.redactor.redact_text(text)
            if self._chars + len(text) <= REDACTION_MEMO_CHARS:
                self._seen[text] = done
                self._chars += len(text)
        return done


class HistoryWriteStopped(Exception):
    """The worker was told to stop (the scenario's task was cancelled)."""


def scenario_dir(root: Path, scenario_id: str) -> Path:
    return root / safe_name(scenario_id)


def safe_name(label: str) -> str:
    """A scenario id or client label as one file-name component."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", label)


async def write_histories(directory: Path, recorder: Recorder, redactor: Redactor) -> list[ArtefactRecord]:
    """``actions.json`` and one ``history-<client>.json`` per client, each written in a worker thread."""
    stop = threading.Event()
    records: list[ArtefactRecord] = []
    try:
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        log = await asyncio.to_thread(_action_log, recorder, redactor, stop)
        records.append(await asyncio.to_thread(_write, directory / "actions.json", log, "history", None))
        by_client = _sources_by_client(recorder)
        memo = _MemoRedactor(redactor)
        actions_by_client: dict[str | None, list[dict[str, Any]]] = {}
        for action in log["actions"]:
            actions_by_client.setdefault(action["client"], []).append(action)
        for client in sorted(by_client):
            path = directory / f"history-{safe_name(client)}.json"
            build = _history_builder(recorder, client, by_client[client], actions_by_client, memo, stop)
            records.append(await asyncio.to_thread(_build_and_write, path, build, client))
    except asyncio.CancelledError:
        stop.set()  # the file being written stops at its next frame; nothing later starts
        raise
    return records


def _sources_by_client(recorder: Recorder) -> dict[str, list[tuple[str, FrameSource]]]:
    grouped: dict[str, list[tuple[str, FrameSource]]] = {}
    for conn, source in recorder.sources.items():
        client = recorder.conn_clients.get(conn)
        if client is not None:
            grouped.setdefault(client, []).append((conn, source))
    return grouped


def _history_builder(recorder: Recorder, client: str, sources: list[tuple[str, FrameSource]],
                     actions_by_client: dict[str | None, list[dict[str, Any]]], redactor: "_MemoRedactor",
                     stop: threading.Event) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        budget = [HISTORY_ARTEFACT_BYTES]
        connections = {}
        for conn, source in sources:
            connections[redactor.redact_text(conn)] = {
                "frames": [_frame_entry(f, recorder.started_at, budget, redactor, stop) for f in list(source.frames)],
                "closed": _closed_entry(source, recorder.started_at, redactor),
            }
        return {"client": redactor.redact_text(client), "connections": connections,
                "actions": actions_by_client.get(client, [])}
    return build


def _frame_entry(frame: ReceivedFrame, started_at: float, budget: list[int], redactor: "_MemoRedactor",
                 stop: threading.Event) -> dict[str, Any]:
    if stop.is_set():
        raise HistoryWriteStopped()
    entry: dict[str, Any] = {"seq": frame.seq, "t_s": round(frame.at - started_at, 4)}
    if len(frame.raw) <= budget[0]:
        budget[0] -= len(frame.raw)
        entry["raw"] = redactor.redact_text(frame.raw)
    else:
        budget[0] = 0
        record = digest_record(frame.raw)
        entry["raw_digest"] = {**record, "excerpt": redactor.redact_text(record["excerpt"])}
    if frame.envelope_error:
        entry["envelope_error"] = redactor.redact_text(frame.envelope_error[:500])
    return entry


def _closed_entry(source: FrameSource, started_at: float, redactor: "_MemoRedactor") -> dict[str, Any] | None:
    closed = source.closed
    if closed is None:
        return None
    entry: dict[str, Any] = {"t_s": round(closed.at - started_at, 4), "code": closed.code,
                             "reason": redactor.redact_text(closed.reason), "by": closed.by}
    if closed.limit is not None:
        entry.update(limit=closed.limit, limit_bytes=closed.limit_bytes, limit_frames=closed.limit_frames)
    return entry


def _action_log(recorder: Recorder, redactor: Redactor, stop: threading.Event) -> dict[str, Any]:
    expected_by_step: dict[int, list[dict[str, Any]]] = {}
    for exp in recorder.live_expectations():
        expected_by_step.setdefault(exp.step, []).append({
            "order": exp.order, "event_type": exp.event_type, "match": _plain(exp.match),
            "audience": {conn: delivery.value for conn, delivery in exp.audience.items()},
        })
    return {"actions": [_redacted(redactor, stop, {
        "step": a.step, "kind": a.kind, "name": a.name, "client": a.client,
        "t_s": round(a.invoked_at - recorder.started_at, 4), "outcome": a.outcome, "status": a.status,
        "expected": expected_by_step.get(a.step, []),
    }) for a in recorder.actions]}


def _redacted(redactor: Redactor, stop: threading.Event, value: Any) -> Any:
    if stop.is_set():
        raise HistoryWriteStopped()
    return redactor.redact(value)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def _build_and_write(path: Path, build: Callable[[], Any], client: str | None) -> ArtefactRecord:
    return _write(path, build(), "history", client)


def _write(path: Path, payload: Any, kind: str, client: str | None) -> ArtefactRecord:
    """Write an already redacted payload."""
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return ArtefactRecord(kind=kind, path=str(path), client=client)
