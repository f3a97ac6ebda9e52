"""What every checklist item gets: the started target, an HTTP client, the run's settings."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.clients.rest import RestSession
from harness.engine.browser_observers import LazyBrowsers
from harness.redact import Redactor
from harness.targets.base import Target

FORCEABLE_MAX_EVENT_BYTES = 4096
"""Largest ``max_gateway_event_bytes`` a 2000-byte message (content + its markdown text token, about
4.3 KB as an envelope) is sure to exceed: above it an oversized drop cannot be forced through REST."""


@dataclass(frozen=True)
class RolloutSettings:
    max_event_bytes: int | None = None
    """The target's ``max_gateway_event_bytes`` when known (target profile); None: the fixed 64 KiB."""
    exclusive: bool = True
    """Nobody else uses the target during the run, so counter deltas are the harness's alone."""
    baseline_schemas: Path | None = None
    manifest: Path | None = None
    browsers: int = 1
    web_url: str | None = None
    deadline_s: float = 2.0
    quiet_s: float = 0.25
    smoke_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class RolloutUser:
    session: RestSession
    username: str
    password: str


@dataclass
class RolloutContext:
    target: Target
    settings: RolloutSettings
    redactor: Redactor
    http: httpx.AsyncClient
    browsers: LazyBrowsers | None = None
    """One Chromium for the run (the smoke run's browser scenarios and the fallback item), or None."""

    @property
    def rest_url(self) -> str:
        return self.target.rest_url

    async def new_user(self, stem: str) -> RolloutUser:
        """A freshly registered, logged-in user of the target (never one of the target's real users)."""
        username = f"ro_{stem}_{secrets.token_hex(4)}"[:32]
        password = f"Rollout-{secrets.token_urlsafe(12)}"
        session = RestSession(self.rest_url, redactor=self.redactor, label=f"rollout.{stem}")
        await session.register(username, password)
        await session.login(username, password)
        return RolloutUser(session, username, password)
