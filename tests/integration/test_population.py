"""`--sim-clients N` beyond one guild's share: the crowd guilds' clients pass on a clean target and witness
a leak — a planted fault that sends profile events to every connected user reaches them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.engine.population import PER_GUILD

HARNESS = [sys.executable, "-m", "harness.cli"]
EXTRA = PER_GUILD + 5
CROWD = {f"extra{i}" for i in range(PER_GUILD + 1, EXTRA + 1)}


def _run(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "result.json"
    done = subprocess.run([*HARNESS, "run", "--scenario", "row.profile.update", "--sim-clients", str(EXTRA),
                           "--json", str(out), *extra], capture_output=True, text=True, timeout=300)
    return done, json.loads(out.read_text())["scenarios"][0]


def test_crowd_clients_pass_on_a_clean_target(tmp_path: Path) -> None:
    done, scenario = _run(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert scenario["status"] == "passed"
    assert CROWD <= {c["label"] for c in scenario["clients"]}


def test_crowd_clients_witness_a_leak_to_every_connected_user(tmp_path: Path) -> None:
    done, scenario = _run(tmp_path, "--fault", "server.profile_update_to_everyone")
    assert done.returncode == 1, done.stderr[-3000:]
    leaked_to = {f["client"] for f in scenario["failures"] if (f["check"], f["kind"]) == ("delivery", "leak")}
    assert CROWD <= leaked_to, leaked_to
