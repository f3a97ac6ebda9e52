"""Harness-injected faults (docs/nemesis.md): each scenario must still converge and leak nothing.

A dropped client re-subscribes and re-hydrates through REST (the gap is not a loss); a stalled client
is closed by the server as a slow consumer (Close 1008 ``slow_consumer``) and recovers; a restart on
the same database is survived by every client; added latency below the deadline changes nothing.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec

_WORLD = {"users": ["owner", "alice", "bob"],
          "guilds": [{"alias": "lab", "owner": "owner", "channels": [{"alias": "general"}],
                      "members": {"alice": "member", "bob": "member"}}]}
_CLIENTS = [{"label": "owner", "user": "owner", "observes_as": "actor", "subscribe": ["lab/general"]},
            {"label": "alice", "user": "alice", "observes_as": "faulted_client", "subscribe": ["lab/general"]},
            {"label": "bob", "user": "bob", "observes_as": "same_channel", "subscribe": ["lab/general"]}]


def _post(alias: str, actor: str = "owner") -> dict:
    return {"do": "message.create", "actor": actor, "channel": "general", "message": alias, "content": alias}


def _edit(alias: str, content: str) -> dict:
    return {"do": "message.edit", "actor": "owner", "message": alias, "content": content}


def _scenario(name: str, title: str, rows: list[str], steps: list[dict], **extra: object) -> ScenarioSpec:
    return ScenarioSpec.model_validate({"id": f"nemesis.{name}", "title": title, "rows": rows, "tags": ["nemesis"],
                                        "world": _WORLD, "clients": _CLIENTS, "steps": steps, **extra})


NEMESIS_SCENARIOS: list[ScenarioSpec] = [
    _scenario("drop_and_reconnect", "a dropped client re-subscribes and converges through REST; the gap is no loss",
              ["message.create", "message.edit"],
              [_post("m1"), {"do": "nemesis.drop", "client": "alice"}, _edit("m1", "edited while alice was away"),
               _post("m2"), {"do": "nemesis.reconnect", "client": "alice"}, _edit("m2", "seen live again")]),
    _scenario("stall_reads", "a client that stops reading is closed as a slow consumer (1008) and recovers",
              ["message.create"],
              [_post("m1"), {"do": "nemesis.stall_reads", "client": "alice", "actor": "owner", "channel": "general"},
               _post("after")]),
    _scenario("restart_server", "the server restarts on the same database; every client reconnects and converges",
              ["message.create", "message.edit"],
              [_post("m1"), {"do": "nemesis.restart_server"}, _edit("m1", "after the restart"), _post("m2")],
              requires=["restart"]),
    _scenario("latency", "300 ms of added latency on one client stays within the deadline",
              ["message.create", "message.edit"],
              [{"do": "nemesis.latency", "client": "alice", "seconds": 0.3}, _post("m1"), _edit("m1", "slowly")]),
]
