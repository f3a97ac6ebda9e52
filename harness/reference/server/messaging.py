"""The message-creation domain path shared by REST and the gateway `message_create` command."""

from __future__ import annotations

from typing import Any

from . import payloads
from .errors import invalid_request
from .guards import require_channel_perm
from .ids import is_ulid
from .state import AppState

MAX_CONTENT_BYTES = 2000
MAX_ATTACHMENTS = 5


def normalise_attachment_ids(raw: list[Any] | None) -> list[str] | None:
    """≤5 ULID strings (counted before de-duplication), de-duplicated in first-seen order; None if invalid."""
    if raw is None:
        return []
    if len(raw) > MAX_ATTACHMENTS or not all(is_ulid(a) for a in raw):
        return None
    return list(dict.fromkeys(raw))


def content_ok(content: str, attachment_ids: list[str]) -> bool:
    size = len(content.encode("utf-8"))
    if size == 0:
        return bool(attachment_ids)
    return size <= MAX_CONTENT_BYTES


def create_message(
    state: AppState, user_id: str, guild_id: str, channel_id: str, content: str, attachment_ids: list[str]
) -> dict[str, Any]:
    """Permission check, attachment binding, insert, `message_create` fanout. Raises ApiError."""
    authz = state.authz(guild_id)
    require_channel_perm(authz, user_id, channel_id, "create_message")
    store = state.store
    found = store.attachments_by_ids(attachment_ids)
    for attachment_id in attachment_ids:
        row = found.get(attachment_id)
        if (
            row is None
            or row["guild_id"] != guild_id
            or row["channel_id"] != channel_id
            or row["owner_id"] != user_id
            or row["message_id"] is not None
        ):
            raise invalid_request()
    message_id = store.create_message(guild_id, channel_id, user_id, content, attachment_ids)
    payload = payloads.message(store, store.message(channel_id, message_id), user_id)
    state.emitter.channel(guild_id, channel_id, "message_create", payload)
    return payload
