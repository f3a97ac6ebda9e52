"""What the HTML report shows, as plain data: the summary (scenarios × check classes, coverage, event
types and REST routes exercised, latency bars) and per scenario a timeline grid — one column (lane) per
connection, one row per step or received frame in time order — with every failure of the delivery,
contract and redaction checks marked on the frame or the lane it is about.

Pure functions over the redacted result (a dict, as result.json holds it) and the scenarios' redacted
``timeline.json`` artefacts; the template only lays it out.
"""
from __future__ import annotations

import base64
import difflib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.mutations import MUTATIONS
from harness.engine.timeline import TIMELINE_FILE

CHECK_CLASSES = ("contract", "delivery", "convergence", "redaction", "ui")
BOOKKEEPING = frozenset({"ready", "subscribed", "presence_sync", "voice_participant_sync"})
"""Connection events: every lane has them; the report can hide them with one switch."""
DELIVERY_LABEL = {"must": "MUST", "may": "MAY", "must_not": "MUST NOT"}
SCREENSHOT_BYTES_MAX = 4_000_000
"""A screenshot larger than this is linked, not inlined (the report must stay one openable file)."""


@dataclass
class Cell:
    """One lane's content in one timeline row."""

    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Row:
    t_s: float
    kind: str
    """``step`` or ``frame``."""
    label: str
    cells: dict[str, Cell]
    marks: list[str] = field(default_factory=list)
    bookkeeping: bool = False
    outcome: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Timeline:
    lanes: list[dict[str, Any]]
    rows: list[Row]


def summary(run: dict[str, Any]) -> dict[str, Any]:
    scenarios = run.get("scenarios", [])
    matrix = []
    for scenario in scenarios:
        counts = Counter(f["check"] for f in scenario.get("failures", []))
        matrix.append({"id": scenario["id"], "status": scenario["status"],
                       "cells": [counts.get(check, 0) for check in CHECK_CLASSES]})
    routes: Counter[str] = Counter()
    for scenario in scenarios:
        for step in scenario.get("steps", []):
            row = MUTATIONS.get(step["name"]) if step["kind"] in ("mutation", "seed") else None
            if row is not None:
                routes[f"{row.method} {row.path}"] += 1
    return {"matrix": matrix, "checks": CHECK_CLASSES, "routes": sorted(routes.items()),
            "coverage": run.get("coverage"), "latency": latency_bars(run.get("latency", {}))}


def event_types(timelines: dict[str, Timeline | None], run: dict[str, Any]) -> list[tuple[str, int]]:
    """Event types received over the run, with how many frames of each (latency keys when no timelines)."""
    counts: Counter[str] = Counter()
    for timeline in timelines.values():
        for row in timeline.rows if timeline else []:
            if row.kind == "frame":
                counts[row.label] += 1
    if not counts:
        counts.update({event: stats["count"] for event, stats in run.get("latency", {}).items()})
    return sorted(counts.items())


def latency_bars(latency: dict[str, Any], width: float = 360.0) -> dict[str, Any]:
    """Horizontal bars (p50 solid, p95 lighter, max as a tick) per event type, in SVG coordinates."""
    items = [(event, stats) for event, stats in sorted(latency.items()) if event not in BOOKKEEPING]
    scale_ms = max((stats["max_ms"] for _, stats in items), default=1.0) or 1.0
    bars = [{"event": event, "y": index * 22, "count": stats["count"],
             "p50": stats["p50_ms"], "p95": stats["p95_ms"], "max": stats["max_ms"],
             "w50": width * stats["p50_ms"] / scale_ms, "w95": width * stats["p95_ms"] / scale_ms,
             "xmax": width * stats["max_ms"] / scale_ms} for index, (event, stats) in enumerate(items)]
    return {"bars": bars, "height": 22 * len(bars) + 24, "width": width, "scale_ms": scale_ms}


# ---- timelines -----------------------------------------------------------------------------------------

def load_timeline(scenario: dict[str, Any], redact: Any) -> dict[str, Any] | None:
    for artefact in scenario.get("artefacts", []):
        path = Path(artefact["path"])
        if path.name == TIMELINE_FILE and path.is_file():
            return redact(json.loads(path.read_text(encoding="utf-8")))
    return None


def timeline(data: dict[str, Any], scenario: dict[str, Any]) -> Timeline:
    kinds = {conn: client["kind"] for client in scenario.get("clients", []) for conn in client["connections"]}
    lanes = [{**lane, "kind": kinds.get(lane["conn"], "simulated")} for lane in data["lanes"]]
    frame_marks, lane_marks, step_notes = _marks(scenario.get("failures", []))
    rows = [_step_row(step, lanes, lane_marks, step_notes) for step in data["steps"] if step["kind"] != "seed"]
    for lane in lanes:
        conn = lane["conn"]
        for frame in data["frames"].get(conn, []):
            rows.append(_frame_row(conn, frame, lanes, frame_marks.get((conn, frame["seq"]), [])))
        closed = data.get("closes", {}).get(conn)
        if closed:
            rows.append(Row(closed["t_s"], "close", "closed", {conn: Cell([{
                "text": f"closed {closed['code']} by {closed['by']} {closed['reason'] or ''}".strip(),
                "class": "close"}])}))
    if step_notes.get(None):
        rows.append(Row(0.0, "step", "start (world seeded, clients connected)", {}, notes=step_notes[None]))
    rows.sort(key=lambda r: (r.t_s, r.kind != "step"))
    return Timeline(lanes, rows)


def _marks(failures: list[dict[str, Any]]) -> tuple[dict[tuple[str, int], list[dict[str, Any]]],
                                                   dict[tuple[str, int | None], list[dict[str, Any]]],
                                                   dict[int | None, list[str]]]:
    """Where each failure goes: on a frame (it names a ``seq``), on a lane at its step (a loss, a
    late copy, a missing close), or as a note on the step (convergence, ui, verdicts)."""
    frames: dict[tuple[str, int], list[dict[str, Any]]] = {}
    lanes: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
    notes: dict[int | None, list[str]] = {}
    for failure in failures:
        mark = {"kind": failure["kind"], "check": failure["check"], "message": failure["message"]}
        conn, details = failure.get("connection"), failure.get("details") or {}
        seqs = details.get("seqs", [])[1:] if failure["kind"] == "duplicate" else (
            [details["seq"]] if isinstance(details.get("seq"), int) else [])
        if conn and seqs:
            for seq in seqs:
                frames.setdefault((conn, seq), []).append(mark)
        elif conn and failure.get("step") is not None:
            lanes.setdefault((conn, failure["step"]), []).append(mark)
        else:
            notes.setdefault(failure.get("step"), []).append(f"[{failure['check']}/{failure['kind']}] "
                                                               f"{failure['message']}")
    return frames, lanes, notes


def _step_row(step: dict[str, Any], lanes: list[dict[str, Any]], lane_marks: dict, step_notes: dict) -> Row:
    cells: dict[str, Cell] = {}
    for expected in step.get("expected", []):
        for conn, delivery in expected["audience"].items():
            if delivery == "must_not" and not lane_marks.get((conn, step["step"])):
                continue  # the silence a lane owes is the norm; only a leak of it is news (on the frame)
            cells.setdefault(conn, Cell()).items.append(
                {"text": f"{DELIVERY_LABEL[delivery]} {expected['event_type']}", "class": f"expect {delivery}",
                 "bookkeeping": expected["event_type"] in BOOKKEEPING})
    for lane in lanes:
        for mark in lane_marks.get((lane["conn"], step["step"]), []):
            cells.setdefault(lane["conn"], Cell()).items.append(
                {"text": f"{mark['kind'].upper()}: {mark['message']}", "class": f"mark mark-{mark['kind']}"})
    who = f" by {step['client']}" if step.get("client") else ""
    status = f" → {step['status']}" if step.get("status") is not None else ""
    return Row(step["t_s"], "step", f"#{step['step']} {step['kind']} {step['name']}{who}{status}", cells,
               outcome=step.get("outcome"), notes=step_notes.get(step["step"], []))


def _frame_row(conn: str, frame: dict[str, Any], lanes: list[dict[str, Any]], marks: list[dict[str, Any]]) -> Row:
    event = frame.get("event_type") or "invalid envelope"
    attributed = frame.get("attributed")
    badge = (f"{DELIVERY_LABEL[attributed['delivery']]} · step {attributed['step']}" if attributed
             else "no expectation")
    item = {"text": event, "badge": badge, "seq": frame["seq"], "data": frame.get("data", ""),
            "class": "frame " + " ".join(f"mark-{m['kind']}" for m in marks)
                     + (f" {attributed['delivery']}" if attributed else ""),
            "marks": marks}
    return Row(frame["t_s"], "frame", event, {conn: Cell([item])}, marks=[m["kind"] for m in marks],
               bookkeeping=event in BOOKKEEPING and not marks)


# ---- failures and screenshots --------------------------------------------------------------------------

def failure_view(failure: dict[str, Any]) -> dict[str, Any]:
    """A failure with its expected/observed pretty-printed and, for a state divergence, a line diff."""
    expected, observed = _pretty(failure.get("expected")), _pretty(failure.get("observed"))
    diff = None
    if failure["check"] == "convergence" and failure.get("expected") is not None:
        diff = "\n".join(difflib.unified_diff(expected.splitlines(), observed.splitlines(),
                                              "expected", "observed", lineterm="", n=2))
    readable = (failure.get("details") or {}).get("rest_readable", "n/a") if failure["kind"] == "leak" else None
    return {**failure, "expected_text": expected, "observed_text": observed, "diff": diff,
            "rest_readable": readable}


def _pretty(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def screenshots(scenario: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for artefact in scenario.get("artefacts", []):
        path = Path(artefact["path"])
        if artefact["kind"] != "screenshot" or not path.is_file():
            continue
        if path.stat().st_size > SCREENSHOT_BYTES_MAX:
            out.append({"client": artefact.get("client") or "", "name": path.name, "src": ""})
            continue
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append({"client": artefact.get("client") or "", "name": path.name,
                    "src": f"data:image/png;base64,{encoded}"})
    return out
