"""Set-up lanes: which work may run concurrently, and failures that stay themselves."""
from __future__ import annotations

import asyncio

import pytest

from harness.engine.lanes import group_connected, run_lanes


def test_items_sharing_a_key_directly_or_through_others_share_a_lane() -> None:
    items = [("a", {"g1"}), ("b", {"g2"}), ("c", {"g1", "g3"}), ("d", {"g3"}), ("e", set())]
    lanes = group_connected(items, lambda item: item[1])
    assert [[name for name, _ in lane] for lane in lanes] == [["a", "c", "d"], ["b"], ["e"]]


def test_a_later_item_joining_two_earlier_lanes_merges_them_in_order() -> None:
    items = [("a", {"x"}), ("b", {"y"}), ("c", {"x", "y"})]
    assert [[n for n, _ in lane] for lane in group_connected(items, lambda i: i[1])] == [["a", "b", "c"]]


def test_lanes_run_concurrently_within_the_limit() -> None:
    running, peak = 0, 0

    async def lane() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1

    asyncio.run(run_lanes([lane] * 10, limit=3))
    assert peak == 3


def test_the_first_failure_is_raised_as_itself_and_cancels_the_other_lanes() -> None:
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(5)
        finished.append("slow")

    async def broken() -> None:
        raise KeyError("guild_id")

    with pytest.raises(KeyError, match="guild_id"):
        asyncio.run(asyncio.wait_for(run_lanes([slow, broken], limit=2), 2))
    assert finished == []
