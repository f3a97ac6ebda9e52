"""One contract/redaction verdict per frame text, re-addressed to every copy: the copies of a leaking
fanout each get their own failure, with their own connection and sequence number."""
from __future__ import annotations

import json

from contracts.profiles import CURRENT
from harness.checks.frame_cache import FrameCheckCache
from harness.checks.redaction import check_frame
from harness.history import ReceivedFrame

LEAKY = json.dumps({"v": 1, "t": "profile_update", "d": {"user_id": "01J0000000000000000000000A",
                                                          "updated_fields": {"username": "x"}, "ip": "10.0.0.1"}},
                   separators=(",", ":"))


def _copies(raw: str, count: int) -> list[ReceivedFrame]:
    return [ReceivedFrame(f"c{i}/ws0", 7 + i, 1.0, raw) for i in range(count)]


def test_every_copy_of_a_leaking_frame_gets_its_own_failure_from_one_scan() -> None:
    cache = FrameCheckCache()
    copies = _copies(LEAKY, 3)
    found = cache.redaction(copies, lambda: [], 0)
    assert cache.misses == 1 and cache.hits == 2
    direct = [f for frame in copies for f in check_frame(frame)]  # each copy scanned on its own
    assert found and [(f.kind, f.conn, f.details["seq"]) for f in found] == \
        [(f.kind, f.conn, f.details["seq"]) for f in direct]
    assert {f.conn for f in found} == {"c0/ws0", "c1/ws0", "c2/ws0"}


def test_a_new_secret_invalidates_the_cached_redaction_verdicts() -> None:
    secret = "s3cret-value-of-a-user"
    raw = json.dumps({"v": 1, "t": "profile_update", "d": {"about": secret}})
    cache = FrameCheckCache()
    assert cache.redaction(_copies(raw, 1), lambda: [], 0) == []
    found = cache.redaction(_copies(raw, 1), lambda: [secret], 1)
    assert [f.kind for f in found] == ["forbidden_value"]


def test_contract_verdicts_are_cached_per_profile_and_readdressed() -> None:
    cache = FrameCheckCache()
    broken = _copies('{"v":1,"t":"message_create"}', 2)
    found = cache.contract(broken, CURRENT)
    assert [(f.kind, f.conn) for f in found] == [("envelope", "c0/ws0"), ("envelope", "c1/ws0")]
