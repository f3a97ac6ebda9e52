"""Request-body models: strict (unknown members rejected, no type coercion) like Filament's serde structs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .permissions import PERMISSIONS

# The request-body enum is the server's one permission list (pydantic reads a Literal built from a
# tuple exactly like one written out), so an unknown permission is a 422 as REST.md §3.1 says.
Permission = Literal[PERMISSIONS]  # type: ignore[valid-type]
LegacyRole = Literal["owner", "moderator", "member"]
I32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
U64 = Annotated[int, Field(ge=0, le=2**64 - 1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Register(Strict):
    username: str
    password: str
    captcha_token: str | None = None


class Login(Strict):
    username: str
    password: str


class RefreshBody(Strict):
    refresh_token: str


class ProfilePatch(Strict):
    username: str | None = None
    about_markdown: str | None = None


class Lookup(Strict):
    user_ids: list[str]


class FriendRequestBody(Strict):
    recipient_user_id: str


class GuildCreate(Strict):
    name: str
    visibility: Literal["private", "public"] | None = None


class GuildPatch(Strict):
    name: str | None = None
    visibility: Literal["private", "public"] | None = None


class MemberPatch(Strict):
    role: LegacyRole


class RoleCreate(Strict):
    name: str
    permissions: list[Permission]
    position: I32 | None = None
    color_hex: str | None = None


class RolePatch(Strict):
    name: str | None = None
    permissions: list[Permission] | None = None
    color_hex: str | None = None


class RoleReorder(Strict):
    role_ids: list[str]


class RoleDefault(Strict):
    role_id: str | None = None


class IpBanByUser(Strict):
    target_user_id: str
    reason: str | None = None
    expires_in_secs: U64 | None = None


class ChannelCreate(Strict):
    name: str
    kind: Literal["text", "voice"] | None = None


class OverrideBody(Strict):
    allow: list[Permission]
    deny: list[Permission]


class MessageCreate(Strict):
    content: str
    attachment_ids: list[str] | None = None


class MessagePatch(Strict):
    content: str


class VoiceToken(Strict):
    can_publish: bool | None = None
    can_subscribe: bool | None = None
    publish_sources: list[Literal["microphone", "camera", "screen_share"]] | None = None


class VoiceState(Strict):
    is_muted: bool | None = None
    is_deafened: bool | None = None


class Echo(Strict):
    message: str
