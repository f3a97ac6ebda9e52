"""The event catalogue: the 36 server → client event types of Filament's manifest, as data.

Each entry names its payload model, its scope twice — as the manifest declares it and as the server
actually delivers it (GATEWAY.md §12.4/§12.5: ``presence_sync`` and ``voice_participant_sync`` are
manifested guild/channel but sent only to the subscribing connection) — its manifest schema version and
whether its payload may carry ``actor_user_id`` (§4, §7).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ValidationError

from contracts import events as ev
from contracts.base import format_validation_errors, unknown_field_paths

Scope = Literal["connection", "channel", "guild", "user"]


@dataclass(frozen=True)
class EventSpec:
    name: str
    model: type[BaseModel]
    manifest_scope: Scope
    """Scope in Filament's ``gateway_events_manifest.json`` (what its metrics and docs say)."""
    delivery_scope: Scope
    """Who actually receives it (GATEWAY.md §6); what the oracle's audience rules use."""
    schema_version: int = 1
    carries_actor: bool = False
    """The payload may carry ``actor_user_id``; on every other event the member is a redaction failure."""

    @property
    def scope(self) -> Scope:
        """The delivery scope (the one that decides the audience)."""
        return self.delivery_scope

    @property
    def actor_required(self) -> bool:
        """Only ``message_reaction`` documents its actor as always present."""
        return "actor_user_id" in self.model.model_fields and self.model.model_fields["actor_user_id"].is_required()


def _spec(name: str, model: type[BaseModel], scope: Scope, *, delivered: Scope | None = None,
          version: int = 1, actor: bool = False) -> EventSpec:
    return EventSpec(name, model, scope, delivered or scope, version, actor)


_SPECS = (
    # connection (§4.1)
    _spec("ready", ev.Ready, "connection"),
    _spec("subscribed", ev.Subscribed, "connection"),
    _spec("presence_sync", ev.PresenceSync, "guild", delivered="connection"),
    _spec("voice_participant_sync", ev.VoiceParticipantSync, "channel", delivered="connection"),
    # channel: messages (§4.2)
    _spec("message_create", ev.MessageCreate, "channel"),
    _spec("message_update", ev.MessageUpdate, "channel"),
    _spec("message_delete", ev.MessageDelete, "channel"),
    _spec("message_reaction", ev.MessageReaction, "channel", version=2, actor=True),
    # guild (§4.3)
    _spec("channel_create", ev.ChannelCreate, "guild"),
    _spec("presence_update", ev.PresenceUpdate, "guild"),
    _spec("workspace_update", ev.WorkspaceUpdate, "guild", actor=True),
    _spec("workspace_member_add", ev.WorkspaceMemberAdd, "guild", actor=True),
    _spec("workspace_member_update", ev.WorkspaceMemberUpdate, "guild", actor=True),
    _spec("workspace_member_remove", ev.WorkspaceMemberRemove, "guild", actor=True),
    _spec("workspace_member_ban", ev.WorkspaceMemberBan, "guild", actor=True),
    _spec("workspace_role_create", ev.WorkspaceRoleCreate, "guild", actor=True),
    _spec("workspace_role_update", ev.WorkspaceRoleUpdate, "guild", actor=True),
    _spec("workspace_role_delete", ev.WorkspaceRoleDelete, "guild", actor=True),
    _spec("workspace_role_reorder", ev.WorkspaceRoleReorder, "guild", actor=True),
    _spec("workspace_role_assignment_add", ev.WorkspaceRoleAssignmentAdd, "guild", actor=True),
    _spec("workspace_role_assignment_remove", ev.WorkspaceRoleAssignmentRemove, "guild", actor=True),
    _spec("workspace_channel_role_override_update", ev.WorkspaceChannelRoleOverrideUpdate, "guild", actor=True),
    _spec(
        "workspace_channel_permission_override_update",
        ev.WorkspaceChannelPermissionOverrideUpdate,
        "guild",
        actor=True,
    ),
    _spec("workspace_ip_ban_sync", ev.WorkspaceIpBanSync, "guild", actor=True),
    # user (§4.4)
    _spec("profile_update", ev.ProfileUpdate, "user"),
    _spec("profile_avatar_update", ev.ProfileAvatarUpdate, "user"),
    _spec("profile_banner_update", ev.ProfileBannerUpdate, "user"),
    _spec("friend_request_create", ev.FriendRequestCreate, "user"),
    _spec("friend_request_update", ev.FriendRequestUpdate, "user", actor=True),
    _spec("friend_request_delete", ev.FriendRequestDelete, "user", actor=True),
    _spec("friend_remove", ev.FriendRemove, "user", actor=True),
    # channel: voice (§4.5)
    _spec("voice_participant_join", ev.VoiceParticipantJoin, "channel"),
    _spec("voice_participant_leave", ev.VoiceParticipantLeave, "channel"),
    _spec("voice_participant_update", ev.VoiceParticipantUpdate, "channel"),
    _spec("voice_stream_publish", ev.VoiceStreamPublish, "channel"),
    _spec("voice_stream_unpublish", ev.VoiceStreamUnpublish, "channel"),
)

CATALOGUE: Mapping[str, EventSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
"""Exactly the 36 event types of Filament's manifest, in the order of GATEWAY.md §4."""

EVENT_TYPES: frozenset[str] = frozenset(CATALOGUE)


@dataclass(frozen=True)
class EventValidation:
    ok: bool
    errors: list[str] = field(default_factory=list)
    """``path: message`` lines; never contain the offending values."""
    unknown_fields: list[str] = field(default_factory=list)
    """Dotted paths (inside ``d``) of members the contract does not declare: tolerated, reported."""
    payload: BaseModel | None = None


def validate_payload(model: type[BaseModel], data: Any) -> EventValidation:
    """Validate one ``d`` against ``model`` (strict, extra members tolerated and listed)."""
    try:
        payload = model.model_validate(data)
    except ValidationError as exc:
        return EventValidation(ok=False, errors=format_validation_errors(exc))
    return EventValidation(ok=True, unknown_fields=unknown_field_paths(payload), payload=payload)


def validate_event(event_type: str, data: Any) -> EventValidation:
    """Validate ``d`` of a frame whose ``t`` is ``event_type`` against the current contract."""
    spec = CATALOGUE.get(event_type)
    if spec is None:
        return EventValidation(ok=False, errors=[f"unknown event type {event_type!r}"])
    return validate_payload(spec.model, data)
