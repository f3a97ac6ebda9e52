"""The contract check over recorded frames."""
from __future__ import annotations

import json

import pytest

from contracts.examples import EXAMPLE_FRAMES, egress_frame, example_payload
from contracts.profiles import CURRENT, LEGACY_2026_02_12
from harness.checks.contract import check_contract
from harness.checks.types import CheckClass
from harness.history import ReceivedFrame


def frame(raw: str, seq: int = 0, **recorded: object) -> ReceivedFrame:
    return ReceivedFrame(conn="alice.1/ws0", seq=seq, at=0.0, raw=raw, **recorded)  # type: ignore[arg-type]


def kinds(failures: list) -> list[tuple[str, str]]:
    return [(f.kind, f.severity) for f in failures]


def test_all_examples_pass_cleanly() -> None:
    frames = [frame(raw, seq) for seq, raw in enumerate(EXAMPLE_FRAMES.values())]
    assert check_contract(frames) == []


def _with(event_type: str, **changes: object) -> str:
    return egress_frame(event_type, {**example_payload(event_type), **changes})


def _without(event_type: str, *names: str) -> str:
    return egress_frame(event_type, {k: v for k, v in example_payload(event_type).items() if k not in names})


ERRORS = [
    ("missing required field", _without("message_delete", "message_id"), "schema"),
    ("str for int", _with("message_update", updated_at_unix="1760000100"), "schema"),
    ("bool for int", _with("message_reaction", count=True), "schema"),
    ("null where not allowed", _with("workspace_role_delete", actor_user_id=None), "schema"),
    ("legacy count-only reaction", _without("message_reaction", "operation", "actor_user_id"), "schema"),
    ("unknown type", '{"v":1,"t":"channel_update","d":{}}', "unknown_event"),
    ("extra top-level member", '{"v":1,"t":"ready","d":{"user_id":"01HV5G0000000000000000A001"},"s":1}', "envelope"),
    ("duplicate key", '{"v":1,"t":"ready","d":{"user_id":"01HV5G0000000000000000A001"},"t":"ready"}', "envelope"),
    ("v=2", '{"v":2,"t":"ready","d":{"user_id":"01HV5G0000000000000000A001"}}', "envelope"),
    ("bad t", '{"v":1,"t":"Message_Create","d":{}}', "envelope"),
    ("not json", "hello", "envelope"),
]


@pytest.mark.parametrize(("label", "raw", "kind"), ERRORS, ids=[e[0] for e in ERRORS])
def test_planted_errors(label: str, raw: str, kind: str) -> None:
    failures = check_contract([frame(raw)])
    assert (kind, "error") in kinds(failures), failures
    failure = next(f for f in failures if f.kind == kind)
    assert failure.check is CheckClass.CONTRACT
    assert failure.conn == "alice.1/ws0" and failure.client == "alice.1"
    assert failure.details["seq"] == 0


def test_schema_failure_lists_every_error() -> None:
    raw = _without("message_reaction", "operation", "actor_user_id")
    (failure,) = check_contract([frame(raw)])
    assert failure.event_type == "message_reaction"
    assert sorted(e.split(":")[0] for e in failure.details["errors"]) == ["actor_user_id", "operation"]


def test_oversized_is_reported_and_content_still_checked() -> None:
    raw = _with("message_create", content="x" * 300, markdown_tokens=[])
    assert kinds(check_contract([frame(raw)], max_event_bytes=200)) == [("oversized", "error")]
    limit = len(raw.encode())
    assert check_contract([frame(raw)], max_event_bytes=limit) == []
    broken = _without("message_create", "reactions")
    failures = check_contract([frame(broken)], max_event_bytes=100)
    assert kinds(failures) == [("oversized", "error"), ("schema", "error")]


def test_warnings_for_additive_fields_and_layout() -> None:
    extra = _with("presence_update", zz_extra={"nested": 1})
    assert kinds(check_contract([frame(extra)])) == [("unknown_field", "warning")]
    assert check_contract([frame(extra)])[0].details["path"] == "d.zz_extra"

    unsorted = '{"v":1,"t":"subscribed","d":{"guild_id":"01HV5G0000000000000000G001","channel_id":"01HV5G0000000000000000C001"}}'
    assert kinds(check_contract([frame(unsorted)])) == [("unsorted_keys", "warning")]

    spaced = json.dumps(json.loads(EXAMPLE_FRAMES["ready"]))
    assert kinds(check_contract([frame(spaced)])) == [("non_canonical", "warning")]


def test_unknown_event_severity_follows_profile() -> None:
    update = frame(EXAMPLE_FRAMES["message_update"])
    assert check_contract([update], profile=CURRENT) == []
    (legacy,) = check_contract([update], profile=LEGACY_2026_02_12)
    assert (legacy.kind, legacy.severity) == ("unknown_event", "warning")
    (current,) = check_contract([frame('{"v":1,"t":"channel_update","d":{}}')], profile=CURRENT)
    assert (current.kind, current.severity) == ("unknown_event", "error")


def test_type_unknown_to_legacy_is_still_checked_against_the_catalogue() -> None:
    broken = frame(_without("message_update", "updated_fields"))
    failures = check_contract([broken], profile=LEGACY_2026_02_12)
    assert kinds(failures) == [("unknown_event", "warning"), ("schema", "error")]


def test_legacy_profile_accepts_count_only_reactions() -> None:
    count_only = frame(_without("message_reaction", "operation", "actor_user_id"))
    assert check_contract([count_only], profile=LEGACY_2026_02_12) == []


def test_checker_reparses_raw_and_ignores_a_lenient_recorder() -> None:
    raw = '{"v":1,"t":"ready","d":{"user_id":"01HV5G0000000000000000A001"},"extra":true}'
    lenient = frame(raw, event_type="ready", data={"user_id": "01HV5G0000000000000000A001"}, envelope_error=None)
    assert kinds(check_contract([lenient])) == [("envelope", "error")]
    bad_payload = _without("ready", "user_id")
    lying = frame(bad_payload, event_type="ready", data={"user_id": "01HV5G0000000000000000A001"})
    assert kinds(check_contract([lying])) == [("schema", "error")]


def test_is_pure_over_any_iterable() -> None:
    frames = (frame(raw, seq) for seq, raw in enumerate([EXAMPLE_FRAMES["ready"], "nope"]))
    failures = check_contract(frames)
    assert [f.details["seq"] for f in failures] == [1]
