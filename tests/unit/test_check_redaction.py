"""The redaction check (GATEWAY.md §7) over recorded frames."""
from __future__ import annotations

import pytest

from contracts.examples import EXAMPLE_FRAMES, egress_frame, example_payload
from harness.checks.redaction import check_redaction, looks_like_ip, token_rule
from harness.checks.types import CheckClass
from harness.history import ReceivedFrame

REFRESH = "01HV5G0000000000000000S001." + "Ab3_-" * 8 + "xyz"  # <ULID>.<43 base64url>
ACCESS = "v4.local." + "Qm9ndXNUb2tlbkJvZHlGb3JUZXN0aW5n" * 2
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl"


def frame(raw: str, seq: int = 0) -> ReceivedFrame:
    return ReceivedFrame(conn="bob.1/ws0", seq=seq, at=0.0, raw=raw)


def _with(event_type: str, path: str, value: object) -> str:
    data = example_payload(event_type)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return egress_frame(event_type, data)


def findings(raw: str, **kw: object) -> list[tuple[str, str, str]]:
    return [(f.kind, f.details["path"], f.details["rule"]) for f in check_redaction([frame(raw)], **kw)]


def test_all_examples_are_clean() -> None:
    frames = [frame(raw, i) for i, raw in enumerate(EXAMPLE_FRAMES.values())]
    assert check_redaction(frames, secrets=["correct horse battery staple", ACCESS, REFRESH]) == []


@pytest.mark.parametrize(("raw", "expected"), [
    (_with("workspace_ip_ban_sync", "ip", "198.51.100.7"),
     ("forbidden_field", "d.ip", "forbidden_name")),
    (_with("workspace_ip_ban_sync", "summary.ip_cidr", "10.0.0.0/8"),
     ("forbidden_field", "d.summary.ip_cidr", "forbidden_name")),
    (_with("workspace_ip_ban_sync", "ban_id", "01HV5G0000000000000000X001"),
     ("forbidden_field", "d.ban_id", "ip_ban_sync_allowlist")),
    (_with("workspace_ip_ban_sync", "summary.reason", "spam"),
     ("forbidden_field", "d.summary.reason", "ip_ban_sync_allowlist")),
    (_with("presence_update", "client_ip", "x"), ("forbidden_field", "d.client_ip", "forbidden_name_suffix")),
    (_with("voice_participant_join", "participant.livekit_token", "x"),
     ("forbidden_field", "d.participant.livekit_token", "forbidden_name")),
    (_with("voice_stream_publish", "room", "filament.voice.g.c"),
     ("forbidden_field", "d.room", "voice_room_credential")),
    (_with("message_create", "attachments", [{"path": "attachments/a.bin"}]),
     ("forbidden_field", "d.attachments.0.path", "attachment_storage_location")),
    (_with("message_create", "storage_key", "k"), ("forbidden_field", "d.storage_key", "forbidden_name")),
    (_with("friend_request_create", "password_hash", "$argon2id$"),
     ("forbidden_field", "d.password_hash", "forbidden_name")),
])
def test_forbidden_member_names(raw: str, expected: tuple[str, str, str]) -> None:
    assert expected in findings(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    (_with("channel_create", "channel.name", "203.0.113.7"), ("forbidden_value", "d.channel.name", "ip_value")),
    (_with("workspace_ip_ban_sync", "summary.action", "10.0.0.0/8"),
     ("forbidden_value", "d.summary.action", "ip_value")),
    (_with("presence_sync", "user_ids", ["::1"]), ("forbidden_value", "d.user_ids.0", "ip_value")),
    (_with("workspace_update", "updated_fields.name", "192.0.2.1:443"),
     ("forbidden_value", "d.updated_fields.name", "ip_value")),
    (_with("profile_update", "updated_fields.about_markdown", "session " + REFRESH),
     ("forbidden_value", "d.updated_fields.about_markdown", "refresh_token_value")),
    (_with("ready", "user_id", ACCESS), ("forbidden_value", "d.user_id", "paseto_token")),
    (_with("voice_participant_leave", "identity", JWT), ("forbidden_value", "d.identity", "jwt")),
])
def test_forbidden_values(raw: str, expected: tuple[str, str, str]) -> None:
    assert expected in findings(raw)


def test_ip_like_text_in_user_authored_content_is_not_a_leak() -> None:
    assert findings(_with("message_create", "content", "10.0.0.1")) == []


def test_known_secret_anywhere_without_echoing_it() -> None:
    secret = "correct horse battery staple"
    raw = _with("message_update", "updated_fields.content", f"pw is {secret}!")
    failures = check_redaction([frame(raw)], secrets=[secret, "short"])
    assert [(f.kind, f.details["path"], f.details["rule"]) for f in failures] == [
        ("forbidden_value", "d.updated_fields.content", "known_secret")]
    for failure in failures:
        assert secret not in failure.message and secret not in repr(failure.details)


def test_leaked_refresh_token_message_does_not_contain_the_token() -> None:
    raw = _with("friend_request_delete", "note", REFRESH)
    (failure,) = check_redaction([frame(raw)], secrets=[REFRESH])
    assert (failure.kind, failure.details["path"]) == ("forbidden_value", "d.note")
    assert REFRESH not in failure.message
    assert failure.check is CheckClass.REDACTION and failure.client == "bob.1"


def test_secret_in_a_frame_that_is_not_json() -> None:
    (failure,) = check_redaction([frame("oops " + ACCESS)], secrets=[ACCESS])
    assert failure.details["path"] == "(raw frame)"


def test_duplicate_keys_cannot_hide_a_value() -> None:
    raw = ('{"v":1,"t":"presence_update","d":{"guild_id":"01HV5G0000000000000000G001",'
           '"status":"10.1.1.1","status":"online","user_id":"01HV5G0000000000000000B001"}}')
    assert ("forbidden_value", "d.status", "ip_value") in findings(raw)


@pytest.mark.parametrize("event_type", [
    "message_update", "message_delete", "channel_create", "presence_update", "profile_update",
    "profile_avatar_update", "friend_request_create", "voice_stream_publish", "ready",
])
def test_actor_on_event_listed_without_one(event_type: str) -> None:
    raw = _with(event_type, "actor_user_id", "01HV5G0000000000000000A001")
    assert findings(raw) == [("actor_field", "d.actor_user_id", "actor_not_listed")]


def test_actor_allowed_where_listed_but_not_nested() -> None:
    assert findings(EXAMPLE_FRAMES["workspace_role_create"]) == []
    raw = _with("workspace_role_create", "role.actor_user_id", "01HV5G0000000000000000A001")
    assert findings(raw) == [("actor_field", "d.role.actor_user_id", "actor_nested")]


def test_reaction_aggregates_only() -> None:
    reaction = {"count": 1, "emoji": "👍", "reacted_by_me": False, "reactor_user_ids": ["01HV5G0000000000000000B001"]}
    assert findings(_with("message_create", "reactions", [reaction])) == [
        ("forbidden_field", "d.reactions", "reactions_on_create")]
    assert findings(_with("message_reaction", "reactor_user_ids", ["01HV5G0000000000000000B001"])) == [
        ("forbidden_field", "d.reactor_user_ids", "reaction_aggregate_only")]


@pytest.mark.parametrize(("value", "is_ip"), [
    ("10.0.0.1", True), ("2001:db8::1", True), ("10.0.0.0/8", True), ("fd00::/8", True), ("1.2.3.4:80", True),
    ("[::1]:443", True), ("1.2.3", False), ("alice.b", False), ("v1.2", False), ("01HV5G0000000000000000A001", False),
    ("u.01HV5G0000000000000000A001.01HV5G0000000000000000G001.01HV5G0000000000000000C001", False),
])
def test_looks_like_ip(value: str, is_ip: bool) -> None:
    assert looks_like_ip(value) is is_ip


def test_token_shapes_do_not_match_ordinary_ids() -> None:
    assert token_rule("u.01HV5G0000000000000000A001.01HV5G0000000000000000G001.01HV5G0000000000000000C001") is None
    assert token_rule("a.b.c") is None
    assert token_rule(REFRESH) == "refresh_token_value"
