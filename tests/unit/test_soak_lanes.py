"""The soak's pacing parts: mutations in order within a guild and concurrent across guilds, failures
that stop the soak, and interval checks that reach every client in turn."""
from __future__ import annotations

import asyncio

import pytest

from harness.engine.soak import GuildLanes, _RotatingSample


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
    running, peak = 0, 0

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    async def main() -> None:
        lanes = GuildLanes(limit=3)
        for guild in range(12):
            await lanes.start(guild, work)
        await lanes.drain()

    asyncio.run(main())
    assert peak == 3


def test_a_failed_mutation_is_raised_by_the_next_start_or_drain() -> None:
    async def broken() -> None:
        raise KeyError("message_id")

    async def main() -> None:
        lanes = GuildLanes(limit=4)
        await lanes.start(0, broken)
        await lanes.drain()

    with pytest.raises(KeyError, match="message_id"):
        asyncio.run(main())


def test_interval_checks_reach_every_client_in_turn() -> None:
    sample = _RotatingSample([f"u{i}" for i in range(5)], 2)
    windows = [sample.next() for _ in range(3)]
    assert windows == [{"u0", "u1"}, {"u2", "u3"}, {"u4", "u0"}]
    assert _RotatingSample(["a", "b"], 200).next() == {"a", "b"}
