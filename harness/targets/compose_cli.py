"""The compose command line: ``docker compose`` (v2 plugin) where it exists, else ``docker-compose`` (v1).

Both take the same ``-p PROJECT -f FILE … up -d / down -v / config --services`` arguments, which is
all the compose target uses; everything else (logs, health, restarts) goes through the engine API.
Every call is bounded and a failure is a :class:`TargetError` with compose's own last line.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from functools import lru_cache

from harness.errors import TargetError

__all__ = ["compose_command", "run_compose"]


@lru_cache(maxsize=1)
def compose_command() -> tuple[str, ...]:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return (docker, "compose")
    legacy = shutil.which("docker-compose")
    if legacy is not None:
        return (legacy,)
    raise TargetError("compose: targets need 'docker compose' (v2 plugin) or 'docker-compose' (v1); neither "
                      "is installed (Debian: apt-get install docker-compose)")


def run_compose(args: Sequence[str], *, env: Mapping[str, str], timeout: float, what: str) -> str:
    """Run ``compose ARGS``; returns stdout. Raises :class:`TargetError` naming ``what`` failed and why.

    Compose runs in its own session: a terminal's Ctrl-C reaches the harness, which then takes the
    stack down itself, instead of interrupting compose half-way through creating it."""
    argv = [*compose_command(), *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=dict(env), timeout=timeout,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise TargetError(f"{what}: compose did not finish within {timeout:g}s") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        cause = lines[-1] if lines else f"exit code {done.returncode}"
        raise TargetError(f"{what}: {cause[:400]}")
    return done.stdout
