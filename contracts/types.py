"""Shared value types of the wire contract (GATEWAY.md §4.0, REST.md §1.2, §5).

Scalars are ``Annotated`` aliases so every model states its constraints the same way; objects that
appear inside several payloads (MessageResponse, Attachment, Reaction, VoiceParticipant, the workspace
role object, MarkdownToken) live here too.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Union, get_args

from pydantic import AfterValidator, Field, Strict, StringConstraints, field_validator, model_validator

from contracts.base import Omittable, WireEnum, WireModel

# --- scalars ------------------------------------------------------------------------------------

ULID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"
"""What the web client checks every received id against (REST.md §1.2): upper-case Crockford base32."""

Ulid = Annotated[str, Strict(), StringConstraints(pattern=ULID_PATTERN)]


def _distinct(items: list[str]) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError("items must be distinct")
    return items


DistinctUlids = Annotated[list[Ulid], AfterValidator(_distinct)]
"""A list of ULIDs without repeats (``presence_sync.user_ids``, ``workspace_role_reorder.role_ids``,
``ban_ids``)."""

UnixSeconds = Annotated[int, Strict(), Field(ge=-(2**63), le=2**63 - 1)]
"""Integer seconds since the epoch, signed 64-bit (GATEWAY.md conventions). Never a float or string."""

Count = Annotated[int, Strict(), Field(ge=0, le=2**63 - 1)]
"""A non-negative integer (counts, sizes, versions)."""

Int32 = Annotated[int, Strict(), Field(ge=-(2**31), le=2**31 - 1)]

ColorHex = Annotated[str, Strict(), StringConstraints(pattern=r"^#[0-9A-F]{6}$")]
"""``#RRGGBB``, upper-case: the server normalises colours before storing and emitting them."""

Sha256Hex = Annotated[str, Strict(), StringConstraints(pattern=r"^[0-9a-f]{64}$")]

Username = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Za-z0-9_.]{3,32}$")]
"""REST.md §5.1/§6.1: 3–32 of ``[A-Za-z0-9_.]``; the client re-validates and rejects others."""

DisplayName = Annotated[str, Strict(), StringConstraints(pattern=r"^[\x20-\x7e]{1,64}$")]
"""Guild and channel names (REST.md §8.1): 1–64 bytes of printable ASCII or space."""

RoleName = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=32)]
"""Stored role names: trimmed, 1–32 (REST.md §8.10; the client rejects longer names)."""

Emoji = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=32)]
"""A reaction key: any 1–32 character string (REST.md §10.5), not restricted to real emoji."""

VoiceIdentity = Annotated[
    str,
    Strict(),
    StringConstraints(pattern=r"^u\.[0-9A-HJKMNP-TV-Z]{26}\.[0-9A-HJKMNP-TV-Z]{26}\.[0-9A-HJKMNP-TV-Z]{26}$"),
]
"""``u.<user_id>.<guild_id>.<channel_id>`` (GATEWAY.md §4.0)."""


def voice_identity(user_id: str, guild_id: str, channel_id: str) -> str:
    """The identity string a participant of (guild, channel) must carry."""
    return f"u.{user_id}.{guild_id}.{channel_id}"


# --- enumerations (GATEWAY.md §4.0) ------------------------------------------------------------


class Role(StrEnum):
    """The legacy workspace role (a label derived from role assignments)."""

    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"


class Permission(StrEnum):
    """The 12 permissions, in the canonical order responses list them (REST.md §3.1)."""

    MANAGE_ROLES = "manage_roles"
    MANAGE_MEMBER_ROLES = "manage_member_roles"
    MANAGE_WORKSPACE_ROLES = "manage_workspace_roles"
    MANAGE_CHANNEL_OVERRIDES = "manage_channel_overrides"
    DELETE_MESSAGE = "delete_message"
    BAN_MEMBER = "ban_member"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_IP_BANS = "manage_ip_bans"
    CREATE_MESSAGE = "create_message"
    PUBLISH_VIDEO = "publish_video"
    PUBLISH_SCREEN_SHARE = "publish_screen_share"
    SUBSCRIBE_STREAMS = "subscribe_streams"


CANONICAL_PERMISSION_ORDER: tuple[Permission, ...] = tuple(Permission)


class ChannelKind(StrEnum):
    TEXT = "text"
    VOICE = "voice"


class Visibility(StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"


class StreamKind(StrEnum):
    MICROPHONE = "microphone"
    CAMERA = "camera"
    SCREEN_SHARE = "screen_share"


class OverrideTargetKind(StrEnum):
    ROLE = "role"
    MEMBER = "member"


class PresenceStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class ReactionOperation(StrEnum):
    ADD = "add"
    REMOVE = "remove"


class MemberRemoveReason(StrEnum):
    """Only kick and ban exist; the documented ``leave`` is never emitted (GATEWAY.md §12.9)."""

    KICK = "kick"
    BAN = "ban"


class IpBanAction(StrEnum):
    UPSERT = "upsert"
    REMOVE = "remove"


class FriendRequestState(StrEnum):
    ACCEPTED = "accepted"


PermissionList = list[WireEnum[Permission]]
"""A permission array exactly as sent: order and duplicates are preserved, so no uniqueness rule."""

# --- markdown tokens (GATEWAY.md §4.0, REST.md §5.3) -------------------------------------------



class BareToken(WireModel):
    """A token with no field besides ``type``."""

    type: Literal[
        "paragraph_start",
        "paragraph_end",
        "heading_end",
        "emphasis_start",
        "emphasis_end",
        "strong_start",
        "strong_end",
        "list_end",
        "list_item_start",
        "list_item_end",
        "link_end",
        "soft_break",
        "hard_break",
    ]


class HeadingStartToken(WireModel):
    type: Literal["heading_start"]
    level: Annotated[int, Strict(), Field(ge=1, le=6)]


class ListStartToken(WireModel):
    type: Literal["list_start"]
    ordered: bool


class LinkStartToken(WireModel):
    type: Literal["link_start"]
    href: str

    @field_validator("href")
    @classmethod
    def _safe_scheme(cls, href: str) -> str:
        # Only http, https and mailto links survive tokenisation; anything else is a sanitiser bypass.
        if not href.strip().lower().startswith(("http:", "https:", "mailto:")):
            raise ValueError("link href must use the http, https or mailto scheme")
        return href


class TextToken(WireModel):
    type: Literal["text"]
    text: str


class CodeToken(WireModel):
    type: Literal["code"]
    code: str


FenceLanguage = Annotated[str, Strict(), StringConstraints(pattern=r"^[a-z0-9_+.\-]{1,32}$")]
"""Trimmed, 1–32 of ``[A-Za-z0-9_+.-]``, lower-cased by the tokenizer (else null)."""


class FencedCodeToken(WireModel):
    type: Literal["fenced_code"]
    code: str
    language: FenceLanguage | None
    """Always present; null when the fence has no (valid) info string. One of the two nullable spots."""


BARE_TOKEN_TYPES: tuple[str, ...] = get_args(BareToken.model_fields["type"].annotation)

MarkdownToken = Annotated[
    Union[
        BareToken,
        HeadingStartToken,
        ListStartToken,
        LinkStartToken,
        TextToken,
        CodeToken,
        FencedCodeToken,
    ],
    Field(discriminator="type"),
]

MarkdownTokens = Annotated[list[MarkdownToken], Field(max_length=4096)]

# --- shared objects -----------------------------------------------------------------------------


class Attachment(WireModel):
    """An attachment as exposed to clients; no storage key or path (GATEWAY.md §7)."""

    attachment_id: Ulid
    channel_id: Ulid
    filename: Annotated[str, Strict(), StringConstraints(min_length=1, max_length=128)]
    guild_id: Ulid
    mime_type: Annotated[str, Strict(), StringConstraints(min_length=1)]
    owner_id: Ulid
    sha256_hex: Sha256Hex
    size_bytes: Count


class Reaction(WireModel):
    """A reaction summary (REST shape, also inside MessageResponse.reactions)."""

    count: Count
    emoji: Emoji
    reacted_by_me: bool
    reactor_user_ids: Omittable[Annotated[list[Ulid], Field(min_length=1, max_length=32)]] = None
    """Omitted (not ``[]``) when empty; at most 32 ids, sorted ascending."""

    @field_validator("reactor_user_ids")
    @classmethod
    def _sorted(cls, ids: list[str] | None) -> list[str] | None:
        if ids is not None and ids != sorted(ids):
            raise ValueError("reactor_user_ids must be sorted ascending")
        return ids


class MessageResponse(WireModel):
    """The flat message object: REST message responses and the ``message_create`` payload."""

    attachments: Annotated[list[Attachment], Field(max_length=5)]
    author_id: Ulid
    channel_id: Ulid
    content: str
    created_at_unix: UnixSeconds
    guild_id: Ulid
    markdown_tokens: MarkdownTokens
    message_id: Ulid
    reactions: Annotated[list[Reaction], Field(max_length=64)]

    @field_validator("content")
    @classmethod
    def _content_size(cls, content: str) -> str:
        if len(content.encode("utf-8")) > 2000:
            raise ValueError("content is longer than 2000 UTF-8 bytes")
        return content

    @model_validator(mode="after")
    def _content_or_attachments(self) -> MessageResponse:
        if self.content == "" and not self.attachments:
            raise ValueError("content may be empty only when the message has attachments")
        if self.content == "" and self.markdown_tokens:
            raise ValueError("markdown_tokens must be [] when content is empty")
        return self


class ChannelInfo(WireModel):
    """A channel: REST Channel and ``channel_create.channel``."""

    channel_id: Ulid
    kind: WireEnum[ChannelKind]
    name: DisplayName


class VoiceParticipant(WireModel):
    """One voice roster entry; every member always present, no tokens/room/URL/network data."""

    identity: VoiceIdentity
    is_deafened: bool
    is_muted: bool
    is_screen_share_enabled: bool
    is_speaking: bool
    is_video_enabled: bool
    joined_at_unix: UnixSeconds
    updated_at_unix: UnixSeconds
    user_id: Ulid

    @model_validator(mode="after")
    def _identity_names_user(self) -> VoiceParticipant:
        if self.identity.split(".")[1] != self.user_id:
            raise ValueError("identity must embed the participant's user_id (u.<user_id>.<guild>.<channel>)")
        return self


class WorkspaceRole(WireModel):
    """The workspace role object inside ``workspace_role_create.role``."""

    color_hex: Omittable[ColorHex] = None
    """Omitted (not null) when the role has no colour."""
    is_system: bool
    name: RoleName
    permissions: PermissionList
    position: Int32
    role_id: Ulid
