"""The catalogue against docker: and compose: targets of the reference image, restart nemesis included.

CI runs a representative subset, which keeps the Docker tests within their CI budget: against docker:
the message, member and role rows and the restart nemesis; against compose: one
message row, one member row and the restart nemesis. ``SYNC_DOCKER_CATALOGUE=full`` runs every
scenario against both (about 5 minutes each on the busy 2-core machine; docs/performance.md).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.docker.conftest import leftovers, run_harness, target_args

FULL = os.environ.get("SYNC_DOCKER_CATALOGUE") == "full"
SUBSETS = {
    "docker": ["row.message.*", "row.member.*", "row.role.*", "nemesis.restart_server"],
    "compose": ["row.message.create", "row.member.kick", "nemesis.restart_server"],
}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("kind", ["docker", "compose"])
def test_the_catalogue_passes_against_the_target_and_leaves_nothing(kind: str, reference_image: str,
                                                                    docker_client: Any, tmp_path: Path) -> None:
    patterns = [] if FULL else [a for p in SUBSETS[kind] for a in ("--scenario", p)]
    done = run_harness(*target_args(kind, reference_image), *patterns, "--report", str(tmp_path), timeout=880)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    statuses = {s["id"]: s["status"] for s in result["scenarios"]}
    assert statuses["nemesis.restart_server"] == "passed"
    assert result["summary"]["passed"] >= (40 if FULL else 3)
    assert result["target"]["description"].startswith(kind)
    logs = {p.name: p.read_text() for p in (tmp_path / "target-logs").iterdir()}
    expected = {"server.log"} if kind == "docker" else {"server.log", "healthwatch.log"}
    assert set(logs) == expected
    # the restart nemesis restarted the container: its one log shows the server starting twice or more
    assert logs["server.log"].count("listening on") >= 2
    assert leftovers(docker_client) == []
