"""Artefacts of a scenario run, written (redacted) for failing scenarios, or always on request:
one JSON history per client (every frame with its receive time, how each connection ended, the
client's actions) and the run's action log with what the model expected of each action."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from harness.engine.recorder import Recorder
from harness.redact import Redactor
from harness.engine.results import ArtefactRecord


def scenario_dir(root: Path, scenario_id: str) -> Path:
    return root / safe_name(scenario_id)


def safe_name(label: str) -> str:
    """A scenario id or client label as one file-name component."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", label)


def write_histories(directory: Path, recorder: Recorder, redactor: Redactor) -> list[ArtefactRecord]:
    directory.mkdir(parents=True, exist_ok=True)
    log = _action_log(recorder)
    records = [_write(directory / "actions.json", log, redactor, "history", None)]
    for client in sorted(set(recorder.conn_clients.values())):
        records.append(_write(directory / f"history-{safe_name(client)}.json",
                              _client_history(recorder, client, log["actions"]), redactor, "history", client))
    return records


def _client_history(recorder: Recorder, client: str, action_log: list[dict[str, Any]]) -> dict[str, Any]:
    connections = {}
    for conn, source in recorder.sources.items():
        if recorder.conn_clients.get(conn) != client:
            continue
        connections[conn] = {
            "frames": [{"seq": f.seq, "t_s": round(f.at - recorder.started_at, 4), "raw": f.raw,
                        **({"envelope_error": f.envelope_error} if f.envelope_error else {})} for f in source.frames],
            "closed": None if source.closed is None else {
                "t_s": round(source.closed.at - recorder.started_at, 4), "code": source.closed.code,
                "reason": source.closed.reason, "by": source.closed.by},
        }
    actions = [a for a in action_log if a["client"] == client]
    return {"client": client, "connections": connections, "actions": actions}


def _action_log(recorder: Recorder) -> dict[str, Any]:
    expected_by_step: dict[int, list[dict[str, Any]]] = {}
    for exp in recorder.expectations:
        expected_by_step.setdefault(exp.step, []).append({
            "order": exp.order, "event_type": exp.event_type, "match": _plain(exp.match),
            "audience": {conn: delivery.value for conn, delivery in exp.audience.items()},
        })
    return {"actions": [{
        "step": a.step, "kind": a.kind, "name": a.name, "client": a.client,
        "t_s": round(a.invoked_at - recorder.started_at, 4), "outcome": a.outcome, "status": a.status,
        "expected": expected_by_step.get(a.step, []),
    } for a in recorder.actions]}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def _write(path: Path, payload: Any, redactor: Redactor, kind: str, client: str | None) -> ArtefactRecord:
    path.write_text(json.dumps(redactor.redact(payload), indent=1, ensure_ascii=False), encoding="utf-8")
    return ArtefactRecord(kind=kind, path=str(path), client=client)
