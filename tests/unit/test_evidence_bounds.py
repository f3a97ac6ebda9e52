"""Bounded evidence (harness/checks/evidence.py), the limit check (harness/checks/limits.py) and the
result records that embed server data: whatever the server sent, a failure quotes a bounded amount."""
from __future__ import annotations

import hashlib
import json

from harness.checks.evidence import EVIDENCE_BYTES, EXCERPT_CHARS, bounded, excerpt_of
from harness.checks.limits import check_limits
from harness.checks.types import CheckClass, CheckFailure
from harness.engine.results import failure_record
from harness.history import ConnectionClosed
from harness.redact import Redactor


def test_small_values_are_kept_as_they_are() -> None:
    value = {"message_id": "01J", "content": "hello", "n": [1, 2, 3]}
    assert bounded(value) is value
    assert bounded("x" * 100) == "x" * 100
    assert bounded(None) is None and bounded(7) == 7


def test_a_big_value_becomes_excerpt_size_and_digest_of_its_json_text() -> None:
    value = {"pad": "x" * 10_000_000}
    text = json.dumps(value, ensure_ascii=False)
    record = bounded(value)
    assert record["truncated"] is True
    assert record["bytes"] == len(text.encode())
    assert record["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert record["excerpt"] == '{"pad": "' and len(json.dumps(record)) < EVIDENCE_BYTES


def test_an_excerpt_never_ends_inside_a_token() -> None:
    token = "v4.local." + "A" * EXCERPT_CHARS
    text = json.dumps({"content": "see", "token_echo": token})
    cut = excerpt_of(text, EXCERPT_CHARS)  # the cut falls inside the token
    assert "v4.local" not in cut, cut  # whole or nothing: never a half to slip past redaction
    assert cut == '{"content": "see", "token_echo": "'
    short = json.dumps({"token_echo": token[:100]}) + " " * EXCERPT_CHARS
    assert token[:100] in excerpt_of(short, EXCERPT_CHARS)


def test_a_value_too_deep_to_serialise_is_a_marker_not_a_crash() -> None:
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert bounded(deep) == {"truncated": True, "unserialisable": "list"}


def test_a_failure_record_embeds_at_most_the_evidence_bound() -> None:
    frame_data = {"content": "y" * 60_000, "message_id": "01J"}
    failure = CheckFailure(CheckClass.DELIVERY, "unexpected", "m", observed=frame_data, expected={"a": 1},
                           details={"seq": 3, "raw": "z" * 70_000})
    record = failure_record(failure)
    assert record.expected == {"a": 1} and record.details["seq"] == 3
    assert record.observed["truncated"] and record.details["raw"]["truncated"]
    assert len(record.model_dump_json()) < 3 * EVIDENCE_BYTES


def test_secrets_in_an_excerpt_are_still_redacted_by_the_writer() -> None:
    redactor = Redactor()
    redactor.add_password("pw-0123456789abcdef")
    record = bounded({"echo": "pw-0123456789abcdef", "pad": "x" * 10_000})
    assert "pw-0123456789abcdef" in record["excerpt"]
    assert "pw-0123456789abcdef" not in json.dumps(redactor.redact(record))


def close(limit: str | None, **extra: int) -> ConnectionClosed:
    return ConnectionClosed("alice.1/ws0", 1.0, 1009, "", "harness", limit=limit, **extra)  # type: ignore[arg-type]


def test_limit_closes_become_named_failures_and_ordinary_closes_do_not() -> None:
    [oversized, flood] = check_limits([close("oversized_frame", limit_bytes=10_000_000),
                                       close("flood", limit_bytes=5_000_000, limit_frames=90), close(None)])
    assert (oversized.check, oversized.kind, oversized.client) == (CheckClass.CONTRACT, "oversized", "alice.1")
    assert oversized.message.startswith("frame of 10000000 bytes exceeds the 65536-byte event limit")
    assert (flood.check, flood.kind, flood.details) == (CheckClass.DELIVERY, "flood", {"frames": 90, "bytes": 5_000_000})


def test_a_scenario_lists_at_most_the_cap_of_each_kind_and_counts_the_rest() -> None:
    from harness.checks.evidence import cap_per_kind

    many = [CheckFailure(CheckClass.DELIVERY, "unexpected", f"t{i} reached", event_type=f"t{i}") for i in range(250)]
    other = [CheckFailure(CheckClass.CONTRACT, "schema", "bad")]
    kept = cap_per_kind(many[:120] + other + many[120:], limit=100)
    assert [f.kind for f in kept].count("unexpected") == 101 and kept[-1].kind == "schema"
    [summary] = [f for f in kept if f.details.get("omitted")]
    assert summary.details == {"omitted": 150} and summary.message == "… and 150 more delivery/unexpected failures, not listed"
    assert kept.index(summary) == 100, "right after the last listed failure of its kind"
    assert cap_per_kind(other) == other
