"""The soak's interval checks reach every client in turn (its mutation lanes: tests/unit/test_lanes.py)."""
from __future__ import annotations

from harness.engine.soak import _RotatingSample


def test_interval_checks_reach_every_client_in_turn() -> None:
    sample = _RotatingSample([f"u{i}" for i in range(5)], 2)
    windows = [sample.next() for _ in range(3)]
    assert windows == [{"u0", "u1"}, {"u2", "u3"}, {"u4", "u0"}]
    assert _RotatingSample(["a", "b"], 200).next() == {"a", "b"}
