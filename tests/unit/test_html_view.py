"""reports/html/view.py: where each failure is drawn on a timeline (a leak or duplicate copy on the frame
that carries it, a loss on the lane at the step that owed it, a divergence as a note on its step) and
what the summary counts."""
from __future__ import annotations

from reports.html import view

TIMELINE = {
    "lanes": [{"conn": "a/ws0", "client": "a"}, {"conn": "b/ws0", "client": "b"}],
    "steps": [{"step": 0, "kind": "seed", "name": "user.register", "client": None, "t_s": 0.0, "outcome": "ok",
               "status": 201, "expected": []},
              {"step": 1, "kind": "mutation", "name": "message.create", "client": "a", "t_s": 0.1, "outcome": "ok",
               "status": 200, "expected": [{"order": 0, "event_type": "message_create", "match": {},
                                            "audience": {"a/ws0": "must", "b/ws0": "must_not"}}]},
              {"step": 2, "kind": "mutation", "name": "message.edit", "client": "a", "t_s": 0.5, "outcome": "ok",
               "status": 200, "expected": [{"order": 0, "event_type": "message_update", "match": {},
                                            "audience": {"a/ws0": "must", "b/ws0": "may"}}]}],
    "frames": {"a/ws0": [{"seq": 0, "t_s": 0.01, "event_type": "ready", "data": "{}"},
                         {"seq": 1, "t_s": 0.12, "event_type": "message_create", "data": "{}",
                          "attributed": {"step": 1, "order": 0, "delivery": "must"}},
                         {"seq": 2, "t_s": 0.13, "event_type": "message_create", "data": "{}",
                          "attributed": {"step": 1, "order": 0, "delivery": "must"}}],
               "b/ws0": [{"seq": 0, "t_s": 0.14, "event_type": "message_create", "data": "{}",
                          "attributed": {"step": 1, "order": 0, "delivery": "must_not"}}]},
    "closes": {"b/ws0": {"t_s": 0.9, "code": 1000, "reason": "", "by": "harness"}},
}
SCENARIO = {"id": "s", "status": "failed", "clients": [
    {"label": "a", "kind": "simulated", "connections": ["a/ws0"]},
    {"label": "b", "kind": "browser", "connections": ["b/ws0"]}], "failures": [
    {"check": "delivery", "kind": "duplicate", "message": "twice", "connection": "a/ws0", "step": 1,
     "details": {"seqs": [1, 2]}},
    {"check": "delivery", "kind": "leak", "message": "leaked", "connection": "b/ws0", "step": 1,
     "details": {"seq": 0}},
    {"check": "delivery", "kind": "loss", "message": "lost", "connection": "a/ws0", "step": 2, "details": {}},
    {"check": "convergence", "kind": "diverged_from_rest", "message": "b differs", "client": "b", "step": 2,
     "expected": {"x": 1}, "observed": {"x": 2}, "details": {}}]}


def _frame_items(timeline: view.Timeline, conn: str) -> list[dict]:
    return [item for row in timeline.rows if row.kind == "frame" and conn in row.cells
            for item in row.cells[conn].items]


def test_failures_are_drawn_on_the_frame_or_lane_they_concern() -> None:
    timeline = view.timeline(TIMELINE, SCENARIO)
    assert [lane["kind"] for lane in timeline.lanes] == ["simulated", "browser"]
    a_frames = _frame_items(timeline, "a/ws0")
    assert [[m["kind"] for m in item["marks"]] for item in a_frames] == [[], [], ["duplicate"]], \
        "the second copy is the duplicate, the first is the delivery"
    [leaked] = _frame_items(timeline, "b/ws0")
    assert leaked["marks"][0]["kind"] == "leak" and leaked["badge"] == "MUST NOT · step 1"
    [edit] = [row for row in timeline.rows if row.label.startswith("#2 ")]
    assert [i["text"] for i in edit.cells["a/ws0"].items] == ["MUST message_update", "LOSS: lost"]
    assert edit.notes == ["[convergence/diverged_from_rest] b differs"]
    [create] = [row for row in timeline.rows if row.label.startswith("#1 ")]
    assert "b/ws0" not in create.cells, "a MUST NOT lane that stayed silent shows nothing"
    assert not any(row.label.startswith("#0 ") for row in timeline.rows), "seeding is not drawn"
    assert [row.kind for row in timeline.rows][-1] == "close"
    assert [row.t_s for row in timeline.rows] == sorted(row.t_s for row in timeline.rows)
    assert timeline.rows[0].bookkeeping  # "ready" hides behind the bookkeeping switch


def test_summary_counts_failures_per_check_class_and_routes() -> None:
    run = {"scenarios": [{**SCENARIO, "steps": [{"kind": "mutation", "name": "message.create"},
                                                 {"kind": "seed", "name": "message.create"},
                                                 {"kind": "subscribe", "name": "lab/general"}]}],
           "latency": {"message_create": {"count": 2, "p50_ms": 5.0, "p95_ms": 10.0, "max_ms": 20.0},
                       "ready": {"count": 9, "p50_ms": 1.0, "p95_ms": 1.0, "max_ms": 1.0}}}
    summary = view.summary(run)
    assert summary["matrix"] == [{"id": "s", "status": "failed", "cells": [0, 3, 1, 0, 0]}]
    assert summary["routes"] == [("POST /guilds/{guild_id}/channels/{channel_id}/messages", 2)]
    [bar] = summary["latency"]["bars"]
    assert (bar["event"], bar["w50"], bar["xmax"]) == ("message_create", 90.0, 360.0)


def test_a_convergence_failure_gets_a_state_diff() -> None:
    shown = view.failure_view(SCENARIO["failures"][3])
    assert '-  "x": 1' in shown["diff"] and '+  "x": 2' in shown["diff"]
    assert view.failure_view(SCENARIO["failures"][1])["rest_readable"] == "n/a"
