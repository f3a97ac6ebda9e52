"""Independent work done concurrently: seeding's parts, the observers' connections, a soak's mutations.

A *lane* is work whose order matters within itself and not against other lanes (e.g. the clients of
one guild subscribe one after another, because each first subscription sends ``presence_update`` to
those already subscribed; clients of other guilds do not see it). Lanes run at most ``limit`` at a
time; the first failure cancels the others and is raised as itself, so callers keep handling
``ScenarioAborted``, ``TargetError``, … exactly as they did when the work ran in order.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


async def run_lanes(lanes: Iterable[Callable[[], Awaitable[None]]], limit: int) -> None:
    """Await every lane, at most ``limit`` at once; re-raise the first failure itself (not a group)."""
    gate = asyncio.Semaphore(max(1, limit))

    async def one(lane: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await lane()

    try:
        async with asyncio.TaskGroup() as group:
            for lane in lanes:
                group.create_task(one(lane))
    except BaseExceptionGroup as failures:
        raise _first(failures) from None


def _first(group: BaseExceptionGroup) -> BaseException:
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def group_connected(items: Sequence[T], keys: Callable[[T], Iterable[Hashable]]) -> list[list[T]]:
    """Split ``items`` into lanes: two items share a lane when they share a key, directly or through
    others (connected components). Lanes and the items in each keep the order of ``items``."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Hashable, int] = {}
    for index, item in enumerate(items):
        for key in keys(item):
            if key in owner:
                a, b = root(owner[key]), root(index)
                parent[max(a, b)] = min(a, b)
            else:
                owner[key] = index
    lanes: dict[int, list[T]] = {}
    for index, item in enumerate(items):
        lanes.setdefault(root(index), []).append(item)
    return list(lanes.values())


class GuildLanes:
    """Mutations run concurrently across guilds and in order within one: the soak's guilds share no
    user, so the model's prediction for one guild never depends on a mutation in flight in another,
    while two in one guild (an edit behind its message's create) must land in the order issued."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._failure: BaseException | None = None

    async def start(self, guild: int, work: Callable[[], Awaitable[Any]]) -> None:
        """Queue ``work`` on its guild's lane; waits while ``limit`` are in flight (back-pressure), and
        raises the first failure of an earlier one."""
        self._raise_failure()
        while len(self._tasks) >= self.limit:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            self._raise_failure()
        lock = self._locks.setdefault(guild, asyncio.Lock())

        async def in_lane() -> None:
            async with lock:
                await work()

        task = asyncio.create_task(in_lane())
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def drain(self) -> None:
        """Wait for every mutation in flight; raise the first failure."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
        self._raise_failure()

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
