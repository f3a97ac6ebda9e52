"""One valid frame per event type, in the server's egress layout (compact, keys sorted).

Where GATEWAY.md §4 prints a JSON example, the frame here is that text verbatim with its ``<...>``
placeholders replaced by fixed ULIDs (``VERBATIM`` lists them). The other frames are built from the
field lists of §4. Tests, docs and the reference target's own tests can use them as known-good input.
"""
from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any, Mapping

PLACEHOLDERS: Mapping[str, str] = MappingProxyType({
    "<guild_id>": "01HV5G0000000000000000G001",
    "<channel_id>": "01HV5G0000000000000000C001",
    "<user_id>": "01HV5G0000000000000000A001",
    "<user_a>": "01HV5G0000000000000000A001",
    "<alice>": "01HV5G0000000000000000A001",
    "<user_b>": "01HV5G0000000000000000B001",
    "<bob>": "01HV5G0000000000000000B001",
    "<message_id>": "01HV5G0000000000000000M001",
    "<role_id>": "01HV5G0000000000000000R001",
    "<request_id>": "01HV5G0000000000000000F001",
})

# GATEWAY.md §4, character for character (placeholders included).
_VERBATIM_TEXT = {
    "ready": '{"v":1,"t":"ready","d":{"user_id":"<user_id>"}}',
    "subscribed": '{"v":1,"t":"subscribed","d":{"channel_id":"<channel_id>","guild_id":"<guild_id>"}}',
    "presence_sync": '{"v":1,"t":"presence_sync","d":{"guild_id":"<guild_id>","user_ids":["<user_a>","<user_b>"]}}',
    "voice_participant_sync": '{"v":1,"t":"voice_participant_sync","d":{"channel_id":"<channel_id>","guild_id":"<guild_id>","participants":[{"identity":"u.<user_id>.<guild_id>.<channel_id>","is_deafened":false,"is_muted":false,"is_screen_share_enabled":false,"is_speaking":false,"is_video_enabled":true,"joined_at_unix":1760000000,"updated_at_unix":1760000000,"user_id":"<user_id>"}],"synced_at_unix":1760000042}}',
    "message_create": '{"v":1,"t":"message_create","d":{"attachments":[],"author_id":"<user_id>","channel_id":"<channel_id>","content":"hello","created_at_unix":1760000000,"guild_id":"<guild_id>","markdown_tokens":[{"type":"paragraph_start"},{"text":"hello","type":"text"},{"type":"paragraph_end"}],"message_id":"<message_id>","reactions":[]}}',
    "message_update": '{"v":1,"t":"message_update","d":{"channel_id":"<channel_id>","guild_id":"<guild_id>","message_id":"<message_id>","updated_at_unix":1760000100,"updated_fields":{"content":"after edit","markdown_tokens":[{"type":"paragraph_start"},{"text":"after edit","type":"text"},{"type":"paragraph_end"}]}}}',
    "message_reaction": '{"v":1,"t":"message_reaction","d":{"actor_user_id":"<user_id>","channel_id":"<channel_id>","count":1,"emoji":"👍","guild_id":"<guild_id>","message_id":"<message_id>","operation":"add"}}',
    "channel_create": '{"v":1,"t":"channel_create","d":{"channel":{"channel_id":"<channel_id>","kind":"voice","name":"bridge-call"},"guild_id":"<guild_id>"}}',
    "workspace_update": '{"v":1,"t":"workspace_update","d":{"actor_user_id":"<user_id>","guild_id":"<guild_id>","updated_at_unix":1760000000,"updated_fields":{"name":"Network Guild Prime","visibility":"public"}}}',
    "workspace_role_create": '{"v":1,"t":"workspace_role_create","d":{"actor_user_id":"<user_id>","guild_id":"<guild_id>","role":{"color_hex":"#00AAFF","is_system":false,"name":"ops_admin","permissions":["manage_roles"],"position":90,"role_id":"<role_id>"}}}',
    "workspace_channel_role_override_update": '{"v":1,"t":"workspace_channel_role_override_update","d":{"actor_user_id":"<user_id>","channel_id":"<channel_id>","guild_id":"<guild_id>","role":"moderator","updated_at_unix":1760000000,"updated_fields":{"allow":["create_message"],"deny":["ban_member"]}}}',
    "workspace_ip_ban_sync": '{"v":1,"t":"workspace_ip_ban_sync","d":{"actor_user_id":"<user_id>","guild_id":"<guild_id>","summary":{"action":"upsert","changed_count":1},"updated_at_unix":1760000000}}',
    "profile_update": '{"v":1,"t":"profile_update","d":{"updated_at_unix":1760000000,"updated_fields":{"about_markdown":"phase5-about","about_markdown_tokens":[{"type":"paragraph_start"},{"text":"phase5-about","type":"text"},{"type":"paragraph_end"}],"username":"phase5_alice_renamed"},"user_id":"<user_id>"}}',
    "friend_request_update": '{"v":1,"t":"friend_request_update","d":{"actor_user_id":"<bob>","friend_user_id":"<alice>","friend_username":"alice","friendship_created_at_unix":1760000000,"request_id":"<request_id>","state":"accepted","updated_at_unix":1760000000,"user_id":"<bob>"}}',
}

VERBATIM: frozenset[str] = frozenset(_VERBATIM_TEXT)

_G, _C, _A, _B = (PLACEHOLDERS[k] for k in ("<guild_id>", "<channel_id>", "<alice>", "<bob>"))
_M, _R, _F = (PLACEHOLDERS[k] for k in ("<message_id>", "<role_id>", "<request_id>"))
_IDENTITY = f"u.{_A}.{_G}.{_C}"
_T = 1760000000

# Built from the field lists of GATEWAY.md §4 (no JSON example there).
_CONSTRUCTED: dict[str, dict[str, Any]] = {
    "message_delete": {"channel_id": _C, "deleted_at_unix": _T, "guild_id": _G, "message_id": _M},
    "presence_update": {"guild_id": _G, "status": "online", "user_id": _B},
    "workspace_member_add": {"actor_user_id": _A, "guild_id": _G, "joined_at_unix": _T, "role": "member", "user_id": _B},
    "workspace_member_update": {
        "actor_user_id": _A, "guild_id": _G, "updated_at_unix": _T, "updated_fields": {"role": "moderator"}, "user_id": _B,
    },
    "workspace_member_remove": {"actor_user_id": _A, "guild_id": _G, "reason": "kick", "removed_at_unix": _T, "user_id": _B},
    "workspace_member_ban": {"actor_user_id": _A, "banned_at_unix": _T, "guild_id": _G, "user_id": _B},
    "workspace_role_update": {
        "actor_user_id": _A, "guild_id": _G, "role_id": _R, "updated_at_unix": _T,
        "updated_fields": {"color_hex": None, "name": "ops", "permissions": ["create_message", "create_message"]},
    },
    "workspace_role_delete": {"actor_user_id": _A, "deleted_at_unix": _T, "guild_id": _G, "role_id": _R},
    "workspace_role_reorder": {"actor_user_id": _A, "guild_id": _G, "role_ids": [_R], "updated_at_unix": _T},
    "workspace_role_assignment_add": {"actor_user_id": _A, "assigned_at_unix": _T, "guild_id": _G, "role_id": _R, "user_id": _B},
    "workspace_role_assignment_remove": {"actor_user_id": _A, "guild_id": _G, "removed_at_unix": _T, "role_id": _R, "user_id": _B},
    "workspace_channel_permission_override_update": {
        "actor_user_id": _A, "channel_id": _C, "guild_id": _G, "target_id": _R, "target_kind": "role",
        "updated_at_unix": _T, "updated_fields": {"allow": ["manage_roles"], "deny": ["ban_member"]},
    },
    "profile_avatar_update": {"avatar_version": _T, "updated_at_unix": _T, "user_id": _A},
    "profile_banner_update": {"banner_version": _T, "updated_at_unix": _T, "user_id": _A},
    "friend_request_create": {
        "created_at_unix": _T, "recipient_user_id": _B, "recipient_username": "bob", "request_id": _F,
        "sender_user_id": _A, "sender_username": "alice",
    },
    "friend_request_delete": {"actor_user_id": _A, "deleted_at_unix": _T, "request_id": _F},
    "friend_remove": {"actor_user_id": _A, "friend_user_id": _B, "removed_at_unix": _T, "user_id": _A},
    "voice_participant_join": {
        "channel_id": _C, "guild_id": _G,
        "participant": {
            "identity": _IDENTITY, "is_deafened": False, "is_muted": False, "is_screen_share_enabled": False,
            "is_speaking": False, "is_video_enabled": False, "joined_at_unix": _T, "updated_at_unix": _T, "user_id": _A,
        },
    },
    "voice_participant_leave": {"channel_id": _C, "guild_id": _G, "identity": _IDENTITY, "left_at_unix": _T, "user_id": _A},
    "voice_participant_update": {
        "channel_id": _C, "guild_id": _G, "identity": _IDENTITY, "updated_at_unix": _T,
        "updated_fields": {"is_deafened": True, "is_muted": True}, "user_id": _A,
    },
    "voice_stream_publish": {
        "channel_id": _C, "guild_id": _G, "identity": _IDENTITY, "published_at_unix": _T, "stream": "microphone", "user_id": _A,
    },
    "voice_stream_unpublish": {
        "channel_id": _C, "guild_id": _G, "identity": _IDENTITY, "stream": "microphone", "unpublished_at_unix": _T, "user_id": _A,
    },
}


def fill_placeholders(text: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text


def egress_frame(event_type: str, data: Any) -> str:
    """Serialise like the server: compact, ``v``/``t``/``d`` order, keys sorted inside ``d``, raw UTF-8."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f'{{"v":1,"t":{json.dumps(event_type)},"d":{body}}}'


EXAMPLE_FRAMES: Mapping[str, str] = MappingProxyType({
    **{name: fill_placeholders(text) for name, text in _VERBATIM_TEXT.items()},
    **{name: egress_frame(name, data) for name, data in _CONSTRUCTED.items()},
})
"""Event type → a valid raw frame, for all 36 event types."""


def example_payload(event_type: str) -> Any:
    """A fresh copy of the example's ``d`` (safe to mutate)."""
    return json.loads(EXAMPLE_FRAMES[event_type])["d"]
