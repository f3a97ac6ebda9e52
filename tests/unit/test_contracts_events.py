"""Every event payload model against GATEWAY.md §4: the examples pass, each planted defect fails."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from contracts.catalogue import CATALOGUE, validate_event
from contracts.envelope import parse_envelope
from contracts.examples import EXAMPLE_FRAMES, VERBATIM, example_payload

OTHER = "01HV5G0000000000000000Z001"


def _set(data: Any, path: str, value: Any) -> Any:
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def _delete(data: Any, path: str) -> Any:
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[last]
    return data


@pytest.mark.parametrize("event_type", sorted(EXAMPLE_FRAMES))
def test_every_example_validates_without_unknown_fields(event_type: str) -> None:
    envelope = parse_envelope(EXAMPLE_FRAMES[event_type])
    assert envelope.t == event_type
    result = validate_event(event_type, envelope.d)
    assert result.ok, result.errors
    assert result.unknown_fields == []


def test_gateway_md_examples_are_used_verbatim() -> None:
    assert len(VERBATIM) == 14
    assert VERBATIM <= set(CATALOGUE)


FAILING = [
    # missing required fields
    ("ready", lambda d: _delete(d, "user_id")),
    ("message_create", lambda d: _delete(d, "reactions")),
    ("message_update", lambda d: _delete(d, "updated_fields.markdown_tokens")),  # always both members
    ("message_update", lambda d: _delete(d, "updated_fields.content")),
    ("voice_participant_sync", lambda d: _delete(d, "participants.0.is_speaking")),
    ("channel_create", lambda d: _delete(d, "channel.kind")),
    # wrong types: str for int, bool for int, float for int, int for str, int for bool
    ("message_create", lambda d: _set(d, "created_at_unix", "1760000000")),
    ("message_reaction", lambda d: _set(d, "count", True)),
    ("message_reaction", lambda d: _set(d, "count", 1.0)),
    ("workspace_ip_ban_sync", lambda d: _set(d, "summary.changed_count", "1")),
    ("subscribed", lambda d: _set(d, "guild_id", 1)),
    ("voice_participant_sync", lambda d: _set(d, "participants.0.is_muted", 0)),
    ("workspace_role_create", lambda d: _set(d, "role.position", "90")),
    # null where not allowed (optional members are omitted, never null)
    ("workspace_update", lambda d: _set(d, "actor_user_id", None)),
    ("workspace_update", lambda d: _set(d, "updated_fields.name", None)),
    ("workspace_role_create", lambda d: _set(d, "role.color_hex", None)),
    ("message_create", lambda d: _set(d, "content", None)),
    ("profile_update", lambda d: _set(d, "updated_fields.username", None)),
    ("voice_participant_update", lambda d: _set(d, "updated_fields.is_muted", None)),
    # enumerations and stated constraints
    ("presence_update", lambda d: _set(d, "status", "idle")),
    ("workspace_member_remove", lambda d: _set(d, "reason", "leave")),  # documented but never emitted
    ("workspace_member_add", lambda d: _set(d, "role", "moderator")),  # always member
    ("message_reaction", lambda d: _set(d, "count", -1)),
    ("message_reaction", lambda d: _set(d, "operation", "toggle")),
    ("workspace_channel_role_override_update", lambda d: _set(d, "updated_fields.allow", ["admin"])),
    ("workspace_role_create", lambda d: _set(d, "role.color_hex", "#00aaff")),
    ("workspace_update", lambda d: _set(d, "updated_fields", {})),
    ("workspace_update", lambda d: _set(d, "updated_fields", {"name": "x", "description": "y"})),
    ("workspace_role_update", lambda d: _set(d, "updated_fields", {})),
    ("voice_participant_update", lambda d: _set(d, "updated_fields", {})),
    ("profile_update", lambda d: _delete(d, "updated_fields.about_markdown_tokens")),
    ("profile_update", lambda d: _set(d, "updated_fields.username", "no spaces allowed")),
    ("presence_sync", lambda d: _set(d, "user_ids", [d["user_ids"][0]] * 2)),
    ("workspace_role_reorder", lambda d: _set(d, "role_ids", [])),
    ("voice_stream_publish", lambda d: _set(d, "identity", f"u.{OTHER}.{d['guild_id']}.{d['channel_id']}")),
    ("voice_participant_sync", lambda d: _set(d, "participants.0.identity", "room-1")),
    ("message_create", lambda d: _set(d, "markdown_tokens.1", {"type": "text"})),
    ("message_create", lambda d: _set(d, "author_id", d["author_id"].lower())),
    ("friend_request_update", lambda d: _set(d, "state", "pending")),
    ("message_create", lambda d: {"guild_id": d["guild_id"], "message": d}),  # GATEWAY_EVENTS.md shape, §12.1
    ("ready", lambda d: [d["user_id"]]),  # positional d, §13.5
]


@pytest.mark.parametrize(("event_type", "plant"), FAILING)
def test_planted_defects_fail(event_type: str, plant: Any) -> None:
    result = validate_event(event_type, plant(example_payload(event_type)))
    assert not result.ok
    assert result.errors


def test_legacy_count_only_message_reaction_fails_current_schema() -> None:
    legacy = _delete(_delete(example_payload("message_reaction"), "operation"), "actor_user_id")
    result = validate_event("message_reaction", legacy)
    assert not result.ok
    assert {e.split(":")[0] for e in result.errors} == {"operation", "actor_user_id"}


PASSING = [
    ("workspace_role_update", lambda d: _set(d, "updated_fields", {"color_hex": None})),  # cleared colour
    ("workspace_role_update", lambda d: _set(d, "updated_fields", {"color_hex": "#A1B2C3"})),
    ("workspace_role_update", lambda d: _set(d, "updated_fields", {"name": "  raw name  "})),
    ("workspace_update", lambda d: _set(d, "updated_fields", {"visibility": "private"})),
    ("workspace_update", lambda d: _delete(d, "actor_user_id")),  # declared optional
    ("profile_update", lambda d: _set(d, "updated_fields", {"username": "alice_2"})),
    ("voice_participant_update", lambda d: _set(d, "updated_fields", {"is_muted": False})),
    ("message_create", lambda d: _set(d, "markdown_tokens", [{"code": "x", "language": None, "type": "fenced_code"}])),
    ("presence_sync", lambda d: _set(d, "user_ids", [])),
    ("voice_participant_sync", lambda d: _set(d, "participants", [])),
    ("workspace_channel_permission_override_update", lambda d: _set(d, "target_id", "raw-path-segment")),
]


@pytest.mark.parametrize(("event_type", "change"), PASSING)
def test_documented_variations_pass(event_type: str, change: Any) -> None:
    result = validate_event(event_type, change(example_payload(event_type)))
    assert result.ok, result.errors


def test_unknown_fields_tolerated_and_reported_at_any_depth() -> None:
    data = example_payload("message_create")
    data["zz_top"] = 1
    data["markdown_tokens"][1]["style"] = "bold"
    data["attachments"] = []
    result = validate_event("message_create", data)
    assert result.ok
    assert result.unknown_fields == ["zz_top", "markdown_tokens.1.style"]

    voice = example_payload("voice_participant_sync")
    voice["participants"][0]["volume"] = 3
    assert validate_event("voice_participant_sync", voice).unknown_fields == ["participants.0.volume"]


def test_actor_on_event_listed_without_one_is_only_an_unknown_field_here() -> None:
    # The schema tolerates it as an additive member; the redaction check is what fails it (§7).
    data = example_payload("message_update")
    data["actor_user_id"] = data["guild_id"]
    result = validate_event("message_update", data)
    assert result.ok
    assert result.unknown_fields == ["actor_user_id"]


def test_errors_never_echo_values() -> None:
    secretish = "v4.local.SHOULD-NOT-APPEAR-IN-ERRORS"
    result = validate_event("ready", {"user_id": secretish})
    assert not result.ok
    assert all(secretish not in line for line in result.errors)


def test_unknown_event_type() -> None:
    result = validate_event("channel_update", {})
    assert not result.ok
