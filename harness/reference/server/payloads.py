"""JSON shapes shared by REST responses and gateway events (REST.md §5, GATEWAY.md §4.0).

Keys are written in the order the Rust structs declare them (REST); the gateway re-sorts `d`.
"""

from __future__ import annotations

from typing import Any, Sequence

from .markdown import tokenize
from .permissions import names_of
from .store import Row, Store


def profile(user: Row) -> dict[str, Any]:
    return {
        "user_id": user["user_id"],
        "username": user["username"],
        "about_markdown": user["about_markdown"],
        "about_markdown_tokens": tokenize(user["about_markdown"]),
        "avatar_version": user["avatar_version"],
        "banner_version": user["banner_version"],
    }


def guild(row: Row) -> dict[str, Any]:
    return {"guild_id": row["guild_id"], "name": row["name"], "visibility": row["visibility"]}


def channel(row: Row) -> dict[str, Any]:
    return {"channel_id": row["channel_id"], "name": row["name"], "kind": row["kind"]}


def role(row: Row, permissions: list[str] | None = None) -> dict[str, Any]:
    return {
        "role_id": row["role_id"],
        "name": row["name"],
        "position": row["position"],
        "is_system": bool(row["is_system"]),
        "permissions": names_of(row["permissions"]) if permissions is None else permissions,
        "color_hex": row["color_hex"],
    }


def attachment(row: Row) -> dict[str, Any]:
    return {
        "attachment_id": row["attachment_id"],
        "guild_id": row["guild_id"],
        "channel_id": row["channel_id"],
        "owner_id": row["owner_id"],
        "filename": row["filename"],
        "mime_type": row["mime_type"],
        "size_bytes": row["size_bytes"],
        "sha256_hex": row["sha256_hex"],
    }


def reaction(emoji: str, count: int, reacted_by_me: bool) -> dict[str, Any]:
    # The Postgres build never fills reactor_user_ids, and the key is omitted when empty (REST.md §5.6).
    return {"emoji": emoji, "count": count, "reacted_by_me": reacted_by_me}


def reactions_by_message(store: Store, message_ids: Sequence[str], viewer_id: str | None) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, dict[str, list[str]]] = {mid: {} for mid in message_ids}
    for row in store.reaction_rows(message_ids):
        grouped[row["message_id"]].setdefault(row["emoji"], []).append(row["user_id"])
    out: dict[str, list[dict[str, Any]]] = {}
    for mid, by_emoji in grouped.items():
        out[mid] = [
            reaction(emoji, len(users), viewer_id is not None and viewer_id in users)
            for emoji, users in sorted(by_emoji.items())
        ][:64]
    return out


def messages(store: Store, rows: Sequence[Row], viewer_id: str | None, created_at: int | None = None) -> list[dict[str, Any]]:
    ids = [row["message_id"] for row in rows]
    files = store.attachments_for_messages(ids)
    reacts = reactions_by_message(store, ids, viewer_id)
    return [
        {
            "message_id": row["message_id"],
            "guild_id": row["guild_id"],
            "channel_id": row["channel_id"],
            "author_id": row["author_id"],
            "content": row["content"],
            "markdown_tokens": tokenize(row["content"]),
            "attachments": [attachment(a) for a in files.get(row["message_id"], [])],
            "reactions": reacts.get(row["message_id"], []),
            "created_at_unix": row["created_at"] if created_at is None else created_at,
        }
        for row in rows
    ]


def message(store: Store, row: Row, viewer_id: str | None, created_at: int | None = None) -> dict[str, Any]:
    return messages(store, [row], viewer_id, created_at)[0]
