"""`sync-harness soak` through a real subprocess against the reference target: a small population
passes with every frame checked and convergence checked at intervals, and a leak planted in the
server's fanout during the soak is caught by the delivery check."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from harness.engine.soak import SoakPlan, soak_spec

HARNESS = [sys.executable, "-m", "harness.cli"]
SMALL = ["soak", "--clients", "12", "--guilds", "3", "--duration", "5", "--rate", "10", "--check-every", "2",
         "--check-sample", "5"]


def _soak(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "soak.json"
    done = subprocess.run([*HARNESS, *SMALL, "--json", str(out), *extra], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))
    return done, json.loads(out.read_text())


def test_a_small_soak_passes_with_every_frame_checked_and_reports_progress(tmp_path: Path) -> None:
    done, result = _soak(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [scenario] = result["scenarios"]
    assert scenario["id"] == "soak" and scenario["status"] == "passed"
    assert len(scenario["clients"]) == 12
    mutations = [s for s in scenario["steps"] if s["kind"] == "mutation"]
    assert len(mutations) >= 30  # 10/s for 5 s, paced
    assert "message_create" in scenario["latency"]
    progress = [line for line in done.stderr.splitlines() if line.startswith("soak ") and "events/s" in line]
    assert progress and "failures 0" in progress[-1]
    assert "soak throughput:" in done.stderr and "peak harness memory" in done.stderr
    dropped = re.search(r"(\d+) judged for good and dropped from memory", done.stderr)
    assert dropped and int(dropped.group(1)) > 0, "the interval checks retired nothing"


def test_a_leak_planted_during_a_soak_is_caught(tmp_path: Path) -> None:
    # Channel events go to every guild connection: clients subscribed to the guild's other channel leak.
    done, result = _soak(tmp_path, "--fault", "server.channel_events_to_guild")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    [scenario] = result["scenarios"]
    assert scenario["status"] == "failed"
    assert {(f["check"], f["kind"]) for f in scenario["failures"]} == {("delivery", "leak")}


def test_the_population_is_spread_over_guilds_and_channels() -> None:
    spec = soak_spec(SoakPlan(clients=250, duration_s=1))
    assert len(spec.world.guilds) == 3  # one per 100 clients
    sizes = sorted(len(g.members) for g in spec.world.guilds)
    assert sizes == [83, 83, 84]
    channels = {c.subscribe[0] for c in spec.clients}
    assert len(channels) == 6  # two channels per guild, each subscribed
