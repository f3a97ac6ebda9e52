"""DTOs of the REST responses the harness reads (REST.md §1.4, §5–§11).

Same rules as the event models: strict types, unknown members tolerated and reported
(``contracts.base.unknown_field_paths``), optional members omitted rather than null. Unlike events,
several REST members are *required and nullable* (``next_cursor``, ``color_hex`` of a Role, ...); they
are declared ``T | None`` without a default, so the member must be present.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict, StringConstraints, field_validator, model_validator

from contracts.base import WireEnum, WireModel
from contracts.types import (
    Attachment,
    ChannelInfo,
    ColorHex,
    Count,
    DisplayName,
    DistinctUlids,
    MarkdownTokens,
    MessageResponse,
    PermissionList,
    Reaction,
    Role as RoleLabel,
    RoleName,
    Ulid,
    UnixSeconds,
    Username,
    Visibility,
)

VisibleAscii = Annotated[str, Strict(), StringConstraints(pattern=r"^[\x21-\x7e]{32,4096}$")]
"""Tokens as the client accepts them: 32–4096 visible ASCII characters (REST.md §5.2)."""

ApiTimestamp = Annotated[int, Strict(), Field(ge=1, le=2**63 - 1)]
"""``created_at_unix`` where the client requires it to be > 0 (REST.md §1.2)."""


class ErrorBody(WireModel):
    """Application error envelope ``{"error": "<code>"}`` (REST.md §1.4)."""

    error: Annotated[str, Strict(), StringConstraints(min_length=1)]


KNOWN_ERROR_CODES = frozenset({
    "invalid_request", "invalid_credentials", "forbidden", "captcha_failed", "audit_access_denied",
    "directory_join_user_banned", "directory_join_ip_banned", "guild_creation_limit_reached", "not_found",
    "quota_exceeded", "payload_too_large", "rate_limited", "internal_error",
})


class Accepted(WireModel):
    """``{"accepted": true}``: the client requires exactly ``true``."""

    accepted: Literal[True]


class Profile(WireModel):
    user_id: Ulid
    username: Username
    about_markdown: str
    about_markdown_tokens: MarkdownTokens
    avatar_version: Count
    banner_version: Count


class AuthResponse(WireModel):
    access_token: VisibleAscii
    refresh_token: VisibleAscii
    expires_in_secs: Annotated[int, Strict(), Field(ge=1)]


class Guild(WireModel):
    guild_id: Ulid
    name: DisplayName
    visibility: WireEnum[Visibility]


class GuildList(WireModel):
    guilds: list[Guild]


class PublicGuildList(WireModel):
    """``GET /guilds/public``: public guilds only."""

    guilds: list[Guild]

    @field_validator("guilds")
    @classmethod
    def _only_public(cls, guilds: list[Guild]) -> list[Guild]:
        if any(guild.visibility != Visibility.PUBLIC for guild in guilds):
            raise ValueError("the public directory lists only visibility 'public'")
        return guilds


class JoinResult(WireModel):
    guild_id: Ulid
    outcome: Literal["accepted", "already_member"]


class Channel(ChannelInfo):
    """``{"channel_id","name","kind"}``; same object as ``channel_create.channel``."""


class ChannelList(WireModel):
    channels: list[Channel]


class PermissionsSelf(WireModel):
    """``GET …/permissions/self``: resolved legacy label and effective permissions (canonical order)."""

    role: WireEnum[RoleLabel]
    permissions: PermissionList


class Role(WireModel):
    """A role as REST returns it; unlike the gateway object ``color_hex`` is present and may be null."""

    role_id: Ulid
    name: RoleName
    position: Annotated[int, Strict(), Field(ge=0, le=2**31 - 1)]
    is_system: bool
    permissions: Annotated[PermissionList, Field(max_length=64)]
    color_hex: ColorHex | None


class RoleList(WireModel):
    roles: list[Role]
    default_join_role_id: Ulid | None


class Member(WireModel):
    user_id: Ulid
    role_ids: Annotated[list[Ulid], Field(max_length=16)]


class MemberPage(WireModel):
    members: list[Member]
    next_cursor: Ulid | None


class MessagePage(WireModel):
    """Newest first; ``next_before`` is the oldest id of the page, null only for an empty page."""

    messages: list[MessageResponse]
    next_before: Ulid | None


class ReactionResponse(Reaction):
    """``POST/DELETE …/reactions/{emoji}``: the Reaction summary for that emoji after the change."""


class Friend(WireModel):
    user_id: Ulid
    username: Username
    created_at_unix: Count
    """``>= 0``: memory mode reports 0 (REST.md §7)."""


class FriendList(WireModel):
    friends: list[Friend]


class FriendRequest(WireModel):
    request_id: Ulid
    sender_user_id: Ulid
    sender_username: Username
    recipient_user_id: Ulid
    recipient_username: Username
    created_at_unix: ApiTimestamp


class FriendRequestList(WireModel):
    incoming: list[FriendRequest]
    outgoing: list[FriendRequest]


class FriendRequestCreated(WireModel):
    request_id: Ulid
    sender_user_id: Ulid
    recipient_user_id: Ulid
    created_at_unix: ApiTimestamp


class LookedUpUser(WireModel):
    user_id: Ulid
    username: Username
    avatar_version: Count


class UserLookup(WireModel):
    users: list[LookedUpUser]


class IpBan(WireModel):
    """The banned address/CIDR is never returned (redaction)."""

    ban_id: Ulid
    source_user_id: Ulid | None
    reason: str | None
    created_at_unix: ApiTimestamp
    expires_at_unix: UnixSeconds | None


class IpBanList(WireModel):
    bans: list[IpBan]
    next_cursor: str | None


class IpBanByUserResult(WireModel):
    created_count: Count
    ban_ids: DistinctUlids

    @model_validator(mode="after")
    def _count_matches(self) -> IpBanByUserResult:
        if self.created_count != len(self.ban_ids):
            raise ValueError("created_count must equal the number of ban_ids")
        return self


__all__ = [
    "Accepted", "Attachment", "AuthResponse", "Channel", "ChannelList", "ErrorBody", "Friend", "FriendList",
    "FriendRequest", "FriendRequestCreated", "FriendRequestList", "Guild", "GuildList", "IpBan",
    "IpBanByUserResult", "IpBanList", "JoinResult", "KNOWN_ERROR_CODES", "LookedUpUser", "Member",
    "MemberPage", "MessagePage", "MessageResponse", "PermissionsSelf", "Profile", "PublicGuildList",
    "ReactionResponse", "Role", "RoleList", "UserLookup",
]
