"""scripts/docker-engine.sh never stops an engine it did not start (what run-tests.sh's trap relies on)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "docker-engine.sh"


def _script(*args: str, state: Path | None = None) -> subprocess.CompletedProcess:
    # its own state directory: the pid file of the engine run-tests.sh started must stay untouched
    env = {**os.environ, "DOCKER_ENGINE_STATE": str(state)} if state else None
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120, env=env)


def test_start_uses_a_running_engine_and_stop_leaves_it_running(docker_client: Any, tmp_path: Path) -> None:
    (tmp_path / "dockerd.pid").write_text("999999999\n")  # stale: must be forgotten, never signalled
    started = _script("start", state=tmp_path)
    assert started.returncode == 0 and "already answers" in started.stderr
    assert not (tmp_path / "dockerd.pid").exists()
    stopped = _script("stop", state=tmp_path)
    assert stopped.returncode == 0 and "stopping" not in stopped.stderr
    assert docker_client.ping()


def test_a_wrong_verb_is_exit_2() -> None:
    done = _script("restart")
    assert done.returncode == 2 and "usage" in done.stderr
