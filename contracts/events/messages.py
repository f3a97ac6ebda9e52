"""Channel-scoped message events (GATEWAY.md §4.2)."""
from __future__ import annotations

from contracts.base import WireEnum, WireModel
from contracts.types import (
    Count,
    Emoji,
    MarkdownTokens,
    MessageResponse,
    ReactionOperation,
    Ulid,
    UnixSeconds,
)


class MessageCreate(MessageResponse):
    """The flat MessageResponse (not wrapped in ``message``; author is ``author_id``, GATEWAY.md §12.1).

    ``reactions`` is always ``[]`` for a new message; that is checked by the redaction check (§7), not
    here, because a non-empty list is a disclosure rule rather than a shape rule.
    """


class MessageUpdatedFields(WireModel):
    """Always both members, even if the content did not change (GATEWAY.md §12.3)."""

    content: str
    markdown_tokens: MarkdownTokens


class MessageUpdate(WireModel):
    """A message was edited. No ``actor_user_id``."""

    channel_id: Ulid
    guild_id: Ulid
    message_id: Ulid
    updated_at_unix: UnixSeconds
    updated_fields: MessageUpdatedFields


class MessageDelete(WireModel):
    """A message was deleted. No ``actor_user_id``."""

    channel_id: Ulid
    deleted_at_unix: UnixSeconds
    guild_id: Ulid
    message_id: Ulid


class MessageReaction(WireModel):
    """Schema version 2: aggregate count after the change plus the single reacting user."""

    actor_user_id: Ulid
    channel_id: Ulid
    count: Count
    emoji: Emoji
    guild_id: Ulid
    message_id: Ulid
    operation: WireEnum[ReactionOperation]


class MessageReactionV1(WireModel):
    """Schema version 1 (legacy, count-only): what clients from before schema 2 parse.

    Used only by the legacy protocol profile; ``operation`` and ``actor_user_id`` are additive members
    such a client ignores (they are reported as unknown fields, not errors).
    """

    channel_id: Ulid
    count: Count
    emoji: Emoji
    guild_id: Ulid
    message_id: Ulid
