"""Guild-scoped events (GATEWAY.md §4.3): channel creation and every ``workspace_*`` event."""
from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, Strict, StringConstraints, field_validator, model_validator

from contracts.base import ClosedWireModel, Omittable, WireEnum, WireModel
from contracts.events._common import WithActor, at_least_one_of, require_any_member
from contracts.types import (
    ChannelInfo,
    ColorHex,
    Count,
    DisplayName,
    DistinctUlids,
    IpBanAction,
    MemberRemoveReason,
    OverrideTargetKind,
    PermissionList,
    Role,
    Ulid,
    UnixSeconds,
    Visibility,
    WorkspaceRole,
)


class ChannelCreate(WireModel):
    """A channel was created. No ``actor_user_id`` (documented optional but never emitted, §12.2)."""

    channel: ChannelInfo
    guild_id: Ulid


class WorkspaceUpdatedFields(ClosedWireModel):
    """Only the fields whose value actually changed, at least one; the member set is closed."""

    model_config = ConfigDict(json_schema_extra=at_least_one_of("name", "visibility"))

    name: Omittable[DisplayName] = None
    visibility: Omittable[WireEnum[Visibility]] = None

    @model_validator(mode="after")
    def _not_empty(self) -> WorkspaceUpdatedFields:
        require_any_member(self, ("name", "visibility"))
        return self


class WorkspaceUpdate(WithActor):
    guild_id: Ulid
    updated_at_unix: UnixSeconds
    updated_fields: WorkspaceUpdatedFields


class WorkspaceMemberAdd(WithActor):
    guild_id: Ulid
    joined_at_unix: UnixSeconds
    role: WireEnum[Role]
    user_id: Ulid

    @field_validator("role")
    @classmethod
    def _always_member(cls, role: Role) -> Role:
        if role != Role.MEMBER:
            raise ValueError("role of a newly added member is always 'member'")
        return role


class MemberUpdatedFields(WireModel):
    role: WireEnum[Role]


class WorkspaceMemberUpdate(WithActor):
    guild_id: Ulid
    updated_at_unix: UnixSeconds
    updated_fields: MemberUpdatedFields
    user_id: Ulid


class WorkspaceMemberRemove(WithActor):
    guild_id: Ulid
    reason: WireEnum[MemberRemoveReason]
    removed_at_unix: UnixSeconds
    user_id: Ulid


class WorkspaceMemberBan(WithActor):
    banned_at_unix: UnixSeconds
    guild_id: Ulid
    user_id: Ulid


class WorkspaceRoleCreate(WithActor):
    guild_id: Ulid
    role: WorkspaceRole


class RoleUpdatedFields(WireModel):
    """Members present iff the request contained them; at least one.

    ``name`` is the request's raw (untrimmed) string, ``permissions`` the request's array as sent.
    ``color_hex`` is the one optional-and-nullable member: null means the colour was cleared.
    """

    model_config = ConfigDict(json_schema_extra=at_least_one_of("name", "permissions", "color_hex"))

    name: Omittable[Annotated[str, Strict(), StringConstraints(min_length=1)]] = None
    permissions: Omittable[PermissionList] = None
    color_hex: ColorHex | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> RoleUpdatedFields:
        require_any_member(self, ("name", "permissions", "color_hex"))
        return self


class WorkspaceRoleUpdate(WithActor):
    guild_id: Ulid
    role_id: Ulid
    updated_at_unix: UnixSeconds
    updated_fields: RoleUpdatedFields


class WorkspaceRoleDelete(WithActor):
    deleted_at_unix: UnixSeconds
    guild_id: Ulid
    role_id: Ulid


class WorkspaceRoleReorder(WithActor):
    """``role_ids`` in request order (first = highest position); the request forbids duplicates."""

    guild_id: Ulid
    role_ids: Annotated[DistinctUlids, Field(min_length=1, max_length=64)]
    updated_at_unix: UnixSeconds


class WorkspaceRoleAssignmentAdd(WithActor):
    assigned_at_unix: UnixSeconds
    guild_id: Ulid
    role_id: Ulid
    user_id: Ulid


class WorkspaceRoleAssignmentRemove(WithActor):
    guild_id: Ulid
    removed_at_unix: UnixSeconds
    role_id: Ulid
    user_id: Ulid


class OverrideFields(WireModel):
    """Both lists always present, exactly as sent in the request (may be empty)."""

    allow: PermissionList
    deny: PermissionList


class WorkspaceChannelRoleOverrideUpdate(WithActor):
    """Legacy override for a legacy role label taken from the path."""

    channel_id: Ulid
    guild_id: Ulid
    role: WireEnum[Role]
    updated_at_unix: UnixSeconds
    updated_fields: OverrideFields


class WorkspaceChannelPermissionOverrideUpdate(WithActor):
    """``target_id`` is the raw path segment (not necessarily a ULID in DB mode)."""

    channel_id: Ulid
    guild_id: Ulid
    target_id: Annotated[str, Strict(), StringConstraints(min_length=1)]
    target_kind: WireEnum[OverrideTargetKind]
    updated_at_unix: UnixSeconds
    updated_fields: OverrideFields


class IpBanSummary(WireModel):
    action: WireEnum[IpBanAction]
    changed_count: Count


class WorkspaceIpBanSync(WithActor):
    """Redacted: no address, CIDR, ban id, target, reason or expiry (GATEWAY.md §7; checked there)."""

    guild_id: Ulid
    summary: IpBanSummary
    updated_at_unix: UnixSeconds
