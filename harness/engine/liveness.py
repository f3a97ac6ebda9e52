"""Whether the target is still there after a scenario: the suite ends a run whose target died instead
of failing every later scenario with "connection refused".

A target whose process the harness owns knows (``alive()``); a ``url:`` target cannot see its process,
so it is asked ``GET /health`` again, a few times within a few seconds so that one slow answer on a
busy machine is not taken for a death.
"""
from __future__ import annotations

import asyncio
import time

import httpx

from harness.errors import TargetDied
from harness.targets.base import Target, probe_health
from harness.targets.url import UrlTarget

__all__ = ["TargetDied", "target_gone"]

PROBE_TIMEOUT_S = 2.0
GIVE_UP_AFTER_S = 5.0


async def target_gone(target: Target) -> str | None:
    """None while the target serves; else the one-line cause."""
    if not target.alive():
        return "its process exited"
    if isinstance(target, UrlTarget):
        return await _unreachable(target.rest_url)
    return None


async def _unreachable(rest_url: str) -> str | None:
    deadline = time.monotonic() + GIVE_UP_AFTER_S
    cause = ""
    async with httpx.AsyncClient(timeout=httpx.Timeout(PROBE_TIMEOUT_S), trust_env=False) as client:
        while True:
            ok, cause = await probe_health(client, rest_url)
            if ok or not cause.startswith("cannot reach"):
                return None  # answering, even if not ready: not dead
            if time.monotonic() + 0.5 >= deadline:
                return f"it no longer answers: {cause}"
            await asyncio.sleep(0.5)
