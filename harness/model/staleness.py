"""What a client has missed since its last REST refresh, and which divergences that excuses.

An older client ignores the event types it does not understand, and an older server does not emit
the events it did not have yet (WEB_UI.md §5). Either way the client's state goes stale until it
refreshes over REST (the Refresh action, a reload, a reconnect, a channel switch). The harness then
reports the divergence as *expected degradation*, not as a failure, but only where a missed event
could explain it: an event of guild G excuses differences under ``guilds.G`` (and user names, which
member events bring), a user-scoped event (profile, friends) excuses the user-level parts. After a
refresh nothing is excused: convergence for an old client is "equal after its refresh flow". Pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

USER_SCOPE = "user"
"""The key of user-scoped events (no ``guild_id``)."""


@dataclass
class Staleness:
    missed: dict[str, dict[str, str]] = field(default_factory=dict)
    """scope (guild id or ``user``) -> event type -> why it was missed (``ignored`` | ``not emitted``)."""

    def note(self, event_type: str, data: Mapping[str, Any] | None, why: str) -> None:
        guild = (data or {}).get("guild_id")
        scope = guild if isinstance(guild, str) and guild else USER_SCOPE
        self.missed.setdefault(scope, {}).setdefault(event_type, why)

    def clear(self) -> None:
        self.missed.clear()

    @property
    def anything(self) -> bool:
        return bool(self.missed)

    def excuse(self, path: str) -> dict[str, str]:
        """The missed events (type -> why) that can explain a difference at ``path``; empty: none."""
        parts = path.split(".")
        if parts[0] == "guilds" and len(parts) > 1:
            return dict(self.missed.get(parts[1], {}))
        if parts[0] == "usernames":  # names come with member events of any guild and with profile events
            return {t: why for events in self.missed.values() for t, why in events.items()}
        return dict(self.missed.get(USER_SCOPE, {}))
