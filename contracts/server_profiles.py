"""Server profiles: what an older Filament server emitted and served, for mixed-version runs.

The oracle predicts events for the server version it runs against: events a profile does not emit are
not expected from it, and a mutation whose route that version did not have is expected to be refused
with a not-found or method error (WEB_UI.md §5: "A new client against such a server would get a
not-found/method error on ``Save workspace``").

History (WEB_UI.md §5, GATEWAY.md §5): before ``ce23ea4`` (2026-02-12 13:59 −0700) the server never emitted
``message_update`` / ``message_delete``; before ``370080d`` (14:11) there was no ``PATCH /guilds/{id}``
and no ``workspace_update`` or member events. The role, override and IP-ban events came with phase 4,
profile and friend events with phase 5, voice events with the RTC work, so an older server emits none
of them. The reference target implements the same profiles (``serve-reference --server-profile``); a
unit test keeps its copy and this one equal.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from contracts.catalogue import EVENT_TYPES
from contracts.profiles import LEGACY_2026_02_12_EVENT_TYPES, LIFECYCLE_2026_02_12_EVENT_TYPES


@dataclass(frozen=True)
class ServerProfile:
    name: str
    emitted_event_types: frozenset[str]
    missing_rows: frozenset[str]
    """Mutation rows (contracts.mutations ids) whose route this server version did not have."""
    description: str

    def emits(self, event_type: str) -> bool:
        return event_type in self.emitted_event_types

    def lacks(self, row: str) -> bool:
        return row in self.missing_rows


HEAD = ServerProfile("head", EVENT_TYPES, frozenset(), "Filament at 2f1262f: every event of GATEWAY.md §4, every route.")

PRE_WORKSPACE = ServerProfile(
    "pre-workspace", LIFECYCLE_2026_02_12_EVENT_TYPES, frozenset({"workspace.update"}),
    "Filament from ce23ea4 to before 370080d (2026-02-12): message events including message_update and "
    "message_delete, channel_create and presence; no PATCH /guilds/{id}, no workspace or member events.",
)

PRE_LIFECYCLE = ServerProfile(
    "pre-lifecycle", LEGACY_2026_02_12_EVENT_TYPES, frozenset({"workspace.update"}),
    "Filament before ce23ea4 (2026-02-12): message_create, message_reaction, channel_create and presence "
    "only; edits and deletes emit nothing; no PATCH /guilds/{id}.",
)

SERVER_PROFILES: Mapping[str, ServerProfile] = MappingProxyType({p.name: p for p in (HEAD, PRE_WORKSPACE, PRE_LIFECYCLE)})
