"""Shared value types: ULIDs, markdown tokens, omit-not-null, shared objects."""
from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.types import (
    CANONICAL_PERMISSION_ORDER,
    Attachment,
    MarkdownToken,
    MessageResponse,
    Permission,
    Reaction,
    Ulid,
    VoiceParticipant,
    WorkspaceRole,
)

ULID = "01HV5G0000000000000000A001"
TOKENS = TypeAdapter(MarkdownToken)
ULIDS = TypeAdapter(Ulid)


@pytest.mark.parametrize("value", [ULID, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"])
def test_ulid_accepts_canonical(value: str) -> None:
    assert ULIDS.validate_python(value) == value


@pytest.mark.parametrize("value", [ULID.lower(), ULID[:-1], ULID + "0", "01HV5G0000000000000000I001", 12345])
def test_ulid_rejects_non_canonical(value: object) -> None:
    with pytest.raises(ValidationError):
        ULIDS.validate_python(value)


def test_permission_enum_is_the_canonical_twelve() -> None:
    assert [p.value for p in CANONICAL_PERMISSION_ORDER] == [
        "manage_roles", "manage_member_roles", "manage_workspace_roles", "manage_channel_overrides",
        "delete_message", "ban_member", "view_audit_log", "manage_ip_bans", "create_message",
        "publish_video", "publish_screen_share", "subscribe_streams",
    ]
    assert len(Permission) == 12


@pytest.mark.parametrize("token", [
    {"type": "paragraph_start"},
    {"type": "hard_break"},
    {"type": "heading_start", "level": 6},
    {"type": "list_start", "ordered": False},
    {"type": "link_start", "href": "https://example.org"},
    {"type": "link_start", "href": "mailto:a@example.org"},
    {"type": "text", "text": "hi"},
    {"type": "code", "code": "x"},
    {"code": "x", "language": None, "type": "fenced_code"},
    {"code": "x", "language": "rust", "type": "fenced_code"},
])
def test_markdown_token_variants(token: dict) -> None:
    TOKENS.validate_python(token)


@pytest.mark.parametrize("token", [
    {"type": "fenced_code", "code": "x"},  # language is always present (null allowed, absence not)
    {"type": "heading_start", "level": 7},
    {"type": "heading_start", "level": True},
    {"type": "heading_start"},
    {"type": "list_start", "ordered": 1},
    {"type": "link_start", "href": "javascript:alert(1)"},
    {"type": "text", "text": None},
    {"type": "strikethrough_start"},
    {"text": "no type"},
    {"type": "fenced_code", "code": "x", "language": "Has Space"},
])
def test_markdown_token_rejections(token: dict) -> None:
    with pytest.raises(ValidationError):
        TOKENS.validate_python(token)


def _attachment(**changes: object) -> dict:
    base = {
        "attachment_id": ULID, "channel_id": ULID, "filename": "a.png", "guild_id": ULID,
        "mime_type": "image/png", "owner_id": ULID, "sha256_hex": "ab" * 32, "size_bytes": 68,
    }
    return {**base, **changes}


def test_attachment_shape() -> None:
    Attachment.model_validate(_attachment())
    for bad in ({"sha256_hex": "AB" * 32}, {"sha256_hex": "ab"}, {"size_bytes": -1}, {"size_bytes": "68"}):
        with pytest.raises(ValidationError):
            Attachment.model_validate(_attachment(**bad))


def test_reaction_reactor_ids_are_omitted_not_empty() -> None:
    Reaction.model_validate({"count": 0, "emoji": "👍", "reacted_by_me": False})
    Reaction.model_validate({"count": 1, "emoji": "👍", "reacted_by_me": True, "reactor_user_ids": [ULID]})
    for ids in ([], None, [ULID, "01HV5G0000000000000000A000"]):  # empty, null, unsorted
        with pytest.raises(ValidationError):
            Reaction.model_validate({"count": 1, "emoji": "👍", "reacted_by_me": True, "reactor_user_ids": ids})


def test_workspace_role_colour_omitted_not_null() -> None:
    role = {"is_system": False, "name": "ops", "permissions": ["manage_roles", "manage_roles"], "position": 3,
            "role_id": ULID}
    WorkspaceRole.model_validate(role)
    WorkspaceRole.model_validate({**role, "color_hex": "#00AAFF"})
    for colour in (None, "#00aaff", "00AAFF", "#00AAF"):
        with pytest.raises(ValidationError):
            WorkspaceRole.model_validate({**role, "color_hex": colour})


def test_voice_participant_identity_names_the_user() -> None:
    p = {"identity": f"u.{ULID}.{ULID}.{ULID}", "is_deafened": False, "is_muted": False,
         "is_screen_share_enabled": False, "is_speaking": False, "is_video_enabled": False,
         "joined_at_unix": 1, "updated_at_unix": 1, "user_id": ULID}
    VoiceParticipant.model_validate(p)
    with pytest.raises(ValidationError):
        VoiceParticipant.model_validate({**p, "user_id": "01HV5G0000000000000000B001"})


def test_message_response_empty_content_needs_attachment() -> None:
    msg = {"attachments": [], "author_id": ULID, "channel_id": ULID, "content": "", "created_at_unix": 1,
           "guild_id": ULID, "markdown_tokens": [], "message_id": ULID, "reactions": []}
    with pytest.raises(ValidationError):
        MessageResponse.model_validate(msg)
    MessageResponse.model_validate({**msg, "attachments": [_attachment()]})
    with pytest.raises(ValidationError):
        MessageResponse.model_validate({**msg, "content": "x" * 2001, "markdown_tokens": []})
