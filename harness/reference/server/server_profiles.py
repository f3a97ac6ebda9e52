"""Server profiles: the reference target behaving like an older Filament server (mixed-version runs).

A profile names the event types that server version emitted and the routes it did not have yet
(WEB_UI.md §5, "Gateway handling history"). Everything else behaves as at HEAD. The harness keeps
its own copy of the same facts (``contracts/server_profiles.py``; this package imports nothing of the
harness) and a unit test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from .faults import EVENT_TYPES

_BEFORE_LIFECYCLE = frozenset({
    "ready", "subscribed", "message_create", "message_reaction", "channel_create", "presence_sync", "presence_update",
})
_BEFORE_WORKSPACE = _BEFORE_LIFECYCLE | {"message_update", "message_delete"}
_PATCH_GUILD = ("PATCH", "/guilds/{guild_id}")


@dataclass(frozen=True)
class ServerProfile:
    name: str
    emitted: frozenset[str]
    missing_routes: frozenset[tuple[str, str]]

    def silenced(self) -> frozenset[str]:
        """Event types this version never emitted."""
        return frozenset(EVENT_TYPES) - self.emitted

    def lacks(self, method: str, pattern: str) -> bool:
        return (method, pattern) in self.missing_routes


SERVER_PROFILES: dict[str, ServerProfile] = {
    "head": ServerProfile("head", frozenset(EVENT_TYPES), frozenset()),
    "pre-workspace": ServerProfile("pre-workspace", _BEFORE_WORKSPACE, frozenset({_PATCH_GUILD})),
    "pre-lifecycle": ServerProfile("pre-lifecycle", _BEFORE_LIFECYCLE, frozenset({_PATCH_GUILD})),
}
