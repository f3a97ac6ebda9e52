"""The {v,t,d} envelope: strict parsing and egress-layout diagnostics (GATEWAY.md §2.1)."""
from __future__ import annotations

import pytest

from contracts.envelope import (
    EnvelopeError,
    canonical_text,
    layout_issues,
    parse_envelope,
    unsorted_key_paths,
)

READY = '{"v":1,"t":"ready","d":{"user_id":"01HV5G0000000000000000A001"}}'


def test_valid_frame() -> None:
    env = parse_envelope(READY)
    assert (env.v, env.t, env.d) == (1, "ready", {"user_id": "01HV5G0000000000000000A001"})


def test_bytes_and_any_d_type_accepted() -> None:
    assert parse_envelope(READY.encode()).t == "ready"
    assert parse_envelope('  {"v":1,"t":"x.y_2","d":[1,"a",null]}\n').d == [1, "a", None]


@pytest.mark.parametrize(("raw", "reason"), [
    ('{"v":1,"t":"ready","d":{},"x":1}', "unknown_member"),
    ('{"v":1,"t":"ready","d":{},"v":1}', "duplicate_member"),
    ('{"v":1,"t":"ready","d":{"a":1,"a":2}}', "duplicate_member"),
    ('{"v":1,"t":"ready","d":{"a":[{"b":1,"b":1}]}}', "duplicate_member"),
    ('{"v":1,"t":"ready"}', "missing_member"),
    ('{"t":"ready","d":{}}', "missing_member"),
    ('{"v":2,"t":"ready","d":{}}', "invalid_version"),
    ('{"v":99,"t":"ready","d":{}}', "invalid_version"),
    ('{"v":true,"t":"ready","d":{}}', "invalid_version"),
    ('{"v":1.0,"t":"ready","d":{}}', "invalid_version"),
    ('{"v":"1","t":"ready","d":{}}', "invalid_version"),
    ('{"v":1,"t":"Ready","d":{}}', "invalid_type"),
    ('{"v":1,"t":"message-create","d":{}}', "invalid_type"),
    ('{"v":1,"t":"","d":{}}', "invalid_type"),
    ('{"v":1,"t":"' + "a" * 65 + '","d":{}}', "invalid_type"),
    ('{"v":1,"t":"ready\\n","d":{}}', "invalid_type"),
    ('{"v":1,"t":7,"d":{}}', "invalid_type"),
    ('{"v":1,"t":"ready","d":NaN}', "invalid_json"),
    ('{"v":1,"t":"ready","d":{}} trailing', "invalid_json"),
    ("not-json", "invalid_json"),
    ('[1,"ready",{}]', "not_object"),
])
def test_invalid_frames(raw: str, reason: str) -> None:
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(raw)
    assert info.value.reason == reason


def test_size_limit_is_inclusive() -> None:
    frame = '{"v":1,"t":"ready","d":"' + "x" * 100 + '"}'
    assert parse_envelope(frame, max_bytes=len(frame)).t == "ready"
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(frame, max_bytes=len(frame) - 1)
    assert info.value.reason == "too_large"


def test_size_counts_utf8_bytes() -> None:
    frame = '{"v":1,"t":"ready","d":"👍"}'
    with pytest.raises(EnvelopeError):
        parse_envelope(frame, max_bytes=len(frame))  # 4 bytes for one character


def test_invalid_utf8_bytes() -> None:
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(b'{"v":1,"t":"ready","d":"\xff"}')
    assert info.value.reason == "invalid_utf8"


def test_unsorted_key_paths_at_every_depth() -> None:
    assert unsorted_key_paths({"a": 1, "b": {"c": 1, "d": [{"e": 1, "f": 2}]}}) == []
    assert unsorted_key_paths({"b": 1, "a": {"d": 1, "c": 2}, "z": [{"y": 1, "x": 1}]}) == ["d", "d.a", "d.z.0"]


def test_layout_issues() -> None:
    assert layout_issues(READY, parse_envelope(READY)) == []
    reordered = '{"t":"ready","v":1,"d":{"user_id":"01HV5G0000000000000000A001"}}'
    assert any("order" in issue for issue in layout_issues(reordered, parse_envelope(reordered)))
    spaced = '{"v": 1, "t": "ready", "d": {"user_id": "01HV5G0000000000000000A001"}}'
    assert any("compact" in issue for issue in layout_issues(spaced, parse_envelope(spaced)))


def test_canonical_text_sorts_and_keeps_utf8_raw() -> None:
    env = parse_envelope('{"d":{"b":"👍/","a":1},"t":"x","v":1}')
    assert canonical_text(env) == '{"v":1,"t":"x","d":{"a":1,"b":"👍/"}}'
