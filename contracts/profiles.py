"""Protocol profiles: what a client of a given version understands, for mixed-version runs.

A profile says which event types a client knows, how an unknown type is judged, and which payload
models it parses with where they differ from the current contract. The contract check uses it to
decide whether an unknown ``t`` is an error (a current client must understand everything the server
sends) or only a warning (an old client silently ignores what it does not know, WEB_UI.md §5).

``legacy-2026-02-12`` is the web client before commit ``ce23ea4`` (2026-02-12 13:59 −0700, "complete
Phase 2 message lifecycle gateway sync"). WEB_UI.md §5 says it lacks ``message_update`` /
``message_delete`` (ce23ea4) and ``workspace_update`` plus the member events (370080d). Everything
else was added even later (Filament's event plan: roles, overrides and IP-ban sync in phase 4, profile
and friends in phase 5; voice events with the RTC work). The set it *does* know comes from the
"Code-State Audit (2026-02-12)" in Filament's ``plans/PLAN_EVENT.md``, written just before ce23ea4:
the server emitted and the web client handled exactly ``message_create``, ``message_reaction``,
``channel_create``, ``presence_sync`` and ``presence_update`` (plus ``ready`` and ``subscribed``, which the
gateway core consumes). ``message_reaction`` was then the count-only schema-1 payload (no ``operation``,
no ``actor_user_id``), so this profile validates it with ``MessageReactionV1``.

Two later steps of the same afternoon are profiles too (WEB_UI.md §5, "Gateway handling history"):
``lifecycle-2026-02-12`` (ce23ea4 up to 370080d: adds ``message_update`` / ``message_delete``) and
``workspace-2026-02-12`` (370080d up to the role events of phase 4: adds ``workspace_update`` and the member
events). When ``message_reaction`` became schema 2 is not dated by the contract; both keep the count-only
model, whose extra members a schema-2 payload only turns into warnings.

What a profile's client does about events it does not understand is the same for all of them (WEB_UI.md
§4–§5): it ignores them, and its state catches up only through a REST refresh (the Refresh action, a
reload, a reconnect, or a channel switch, which closes and reopens the socket).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping

from pydantic import BaseModel

from contracts.catalogue import CATALOGUE, EVENT_TYPES
from contracts.events.messages import MessageReactionV1

UnknownSeverity = Literal["error", "warning"]


@dataclass(frozen=True)
class ProtocolProfile:
    name: str
    known_event_types: frozenset[str]
    unknown_event_severity: UnknownSeverity
    description: str
    schema_overrides: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    """Event type → payload model this client parses with, where it differs from the catalogue."""

    def knows(self, event_type: str) -> bool:
        return event_type in self.known_event_types

    def model_for(self, event_type: str) -> type[BaseModel] | None:
        """The model to validate a known event with; None for a type this client does not know."""
        if not self.knows(event_type):
            return None
        override = self.schema_overrides.get(event_type)
        if override is not None:
            return override
        spec = CATALOGUE.get(event_type)
        return spec.model if spec else None


CURRENT = ProtocolProfile(
    name="current",
    known_event_types=EVENT_TYPES,
    unknown_event_severity="error",
    description="Filament web client at 2f1262f: all 36 manifest event types; any other type is a contract error.",
)

LEGACY_2026_02_12_EVENT_TYPES = frozenset({
    "ready",
    "subscribed",
    "message_create",
    "message_reaction",
    "channel_create",
    "presence_sync",
    "presence_update",
})

LEGACY_2026_02_12 = ProtocolProfile(
    name="legacy-2026-02-12",
    known_event_types=LEGACY_2026_02_12_EVENT_TYPES,
    unknown_event_severity="warning",
    description=(
        "Web client before ce23ea4 (2026-02-12): knows ready, subscribed, message_create, message_reaction "
        "(count-only schema 1), channel_create, presence_sync, presence_update; ignores every other type."
    ),
    schema_overrides=MappingProxyType({"message_reaction": MessageReactionV1}),
)

LIFECYCLE_2026_02_12_EVENT_TYPES = LEGACY_2026_02_12_EVENT_TYPES | {"message_update", "message_delete"}

LIFECYCLE_2026_02_12 = ProtocolProfile(
    name="lifecycle-2026-02-12",
    known_event_types=LIFECYCLE_2026_02_12_EVENT_TYPES,
    unknown_event_severity="warning",
    description=(
        "Web client from ce23ea4 (2026-02-12 13:59, message lifecycle) to before 370080d: the legacy set plus "
        "message_update and message_delete; ignores workspace, member, role, override, profile, friend and "
        "voice events."
    ),
    schema_overrides=MappingProxyType({"message_reaction": MessageReactionV1}),
)

WORKSPACE_2026_02_12_EVENT_TYPES = LIFECYCLE_2026_02_12_EVENT_TYPES | {
    "workspace_update", "workspace_member_add", "workspace_member_update", "workspace_member_remove",
    "workspace_member_ban",
}

WORKSPACE_2026_02_12 = ProtocolProfile(
    name="workspace-2026-02-12",
    known_event_types=WORKSPACE_2026_02_12_EVENT_TYPES,
    unknown_event_severity="warning",
    description=(
        "Web client from 370080d (2026-02-12 14:11, workspace and member events) to before the role events of "
        "phase 4: the lifecycle set plus workspace_update and the four member events."
    ),
    schema_overrides=MappingProxyType({"message_reaction": MessageReactionV1}),
)

PROFILES: Mapping[str, ProtocolProfile] = MappingProxyType({
    CURRENT.name: CURRENT,
    WORKSPACE_2026_02_12.name: WORKSPACE_2026_02_12,
    LIFECYCLE_2026_02_12.name: LIFECYCLE_2026_02_12,
    LEGACY_2026_02_12.name: LEGACY_2026_02_12,
})
