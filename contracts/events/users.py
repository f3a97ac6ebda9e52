"""User-scoped events (GATEWAY.md §4.4): profile changes and friendships."""
from __future__ import annotations

from pydantic import ConfigDict, model_validator

from contracts.base import Omittable, WireEnum, WireModel
from contracts.events._common import WithActor
from contracts.types import Count, FriendRequestState, MarkdownTokens, Ulid, UnixSeconds, Username


class ProfileUpdatedFields(WireModel):
    """``username`` iff the request had it; ``about_markdown`` and its tokens together iff it had that."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["username"]}, {"required": ["about_markdown", "about_markdown_tokens"]}],
            "dependentRequired": {
                "about_markdown": ["about_markdown_tokens"],
                "about_markdown_tokens": ["about_markdown"],
            },
        }
    )

    username: Omittable[Username] = None
    about_markdown: Omittable[str] = None
    about_markdown_tokens: Omittable[MarkdownTokens] = None

    @model_validator(mode="after")
    def _groups(self) -> ProfileUpdatedFields:
        has_about = self.about_markdown is not None
        if has_about != (self.about_markdown_tokens is not None):
            raise ValueError("about_markdown and about_markdown_tokens must be present together")
        if self.username is None and not has_about:
            raise ValueError("at least one of username or about_markdown must be present")
        if has_about and len(self.about_markdown.encode("utf-8")) > 2048:  # type: ignore[union-attr]
            raise ValueError("about_markdown is longer than 2048 UTF-8 bytes")
        return self


class ProfileUpdate(WireModel):
    """No ``actor_user_id``: ``user_id`` is the profile owner, who is always the actor."""

    updated_at_unix: UnixSeconds
    updated_fields: ProfileUpdatedFields
    user_id: Ulid


class ProfileAvatarUpdate(WireModel):
    avatar_version: Count
    updated_at_unix: UnixSeconds
    user_id: Ulid


class ProfileBannerUpdate(WireModel):
    banner_version: Count
    updated_at_unix: UnixSeconds
    user_id: Ulid


class FriendRequestCreate(WireModel):
    """The identical event goes to sender and recipient. No ``actor_user_id`` (the sender is named)."""

    created_at_unix: UnixSeconds
    recipient_user_id: Ulid
    recipient_username: Username
    request_id: Ulid
    sender_user_id: Ulid
    sender_username: Username


class FriendRequestUpdate(WithActor):
    """Personalised: ``user_id`` is this copy's recipient, ``friend_*`` the other party."""

    friend_user_id: Ulid
    friend_username: Username
    friendship_created_at_unix: UnixSeconds
    request_id: Ulid
    state: WireEnum[FriendRequestState]
    updated_at_unix: UnixSeconds
    user_id: Ulid


class FriendRequestDelete(WithActor):
    deleted_at_unix: UnixSeconds
    request_id: Ulid


class FriendRemove(WithActor):
    """Personalised like ``friend_request_update``."""

    friend_user_id: Ulid
    removed_at_unix: UnixSeconds
    user_id: Ulid
