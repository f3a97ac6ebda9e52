"""Set-up lanes: which work may run concurrently, and failures that stay themselves."""
from __future__ import annotations

import asyncio

import pytest

from harness.engine.lanes import GuildLanes, group_connected, run_lanes


def test_items_sharing_a_key_directly_or_through_others_share_a_lane() -> None:
    items = [("a", {"g1"}), ("b", {"g2"}), ("c", {"g1", "g3"}), ("d", {"g3"}), ("e", set())]
    lanes = group_connected(items, lambda item: item[1])
    assert [[name for name, _ in lane] for lane in lanes] == [["a", "c", "d"], ["b"], ["e"]]


def test_a_later_item_joining_two_earlier_lanes_merges_them_in_order() -> None:
    items = [("a", {"x"}), ("b", {"y"}), ("c", {"x", "y"})]
    assert [[n for n, _ in lane] for lane in group_connected(items, lambda i: i[1])] == [["a", "b", "c"]]


class _Peak:
    """Work that counts how many copies of itself run at once."""

    def __init__(self) -> None:
        self.running = self.peak = 0

    async def work(self) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        await asyncio.sleep(0.01)
        self.running -= 1


def test_lanes_run_concurrently_within_the_limit() -> None:
    probe = _Peak()
    asyncio.run(run_lanes([probe.work] * 10, limit=3))
    assert probe.peak == 3


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


def test_mutations_of_one_guild_land_in_order_while_other_guilds_run_alongside() -> None:
    log: list[str] = []

    def work(name: str, seconds: float):
        async def run() -> None:
            log.append(f"{name} start")
            await asyncio.sleep(seconds)
            log.append(f"{name} end")
        return run

    async def main() -> None:
        lanes = GuildLanes(limit=10)
        await lanes.start(0, work("a1", 0.05))
        await lanes.start(0, work("a2", 0.0))
        await lanes.start(1, work("b1", 0.0))
        await lanes.drain()

    asyncio.run(main())
    assert log.index("a1 end") < log.index("a2 start")  # same guild: in order
    assert log.index("b1 end") < log.index("a1 end")  # other guild: not behind a1


def test_at_most_limit_mutations_are_in_flight() -> None:
    probe = _Peak()

    async def main() -> None:
        lanes = GuildLanes(limit=3)
        for guild in range(12):
            await lanes.start(guild, probe.work)
        await lanes.drain()

    asyncio.run(main())
    assert probe.peak == 3


def test_a_failed_mutation_is_raised_by_the_next_start_or_drain() -> None:
    async def broken() -> None:
        raise KeyError("message_id")

    async def main() -> None:
        lanes = GuildLanes(limit=4)
        await lanes.start(0, broken)
        await lanes.drain()

    with pytest.raises(KeyError, match="message_id"):
        asyncio.run(main())
