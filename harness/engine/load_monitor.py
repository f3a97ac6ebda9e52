"""The harness's own load: event-loop lag and the backlog of frames not read yet.

Every receive time the delivery check judges is taken by a reader task of this event loop. When the
loop is starved (the harness has more work than CPU), a frame that reached the socket in time is
*read* late, and a ``late`` delivery would blame the server for the harness's own slowness. So the
harness measures itself: a ticker task that asks to wake every ``interval`` and records how much later
it actually woke (the loop's lag), and, at each tick, the bytes waiting unread in the kernel receive
buffers of the gateway sockets (``FIONREAD``). When the lag exceeds ``bound_s`` during a scenario and a
delivery was late, its result is an error, "harness overloaded" with the figures, and its ``late``
findings are not counted as check failures (they are kept as warnings); a lag that made nothing late
leaves the verdict standing and is only reported.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable, Iterable

DEFAULT_INTERVAL_S = 0.02
BACKLOG_EVERY = 10
"""Ticks between two backlog readings (one ioctl per open connection)."""


@dataclass(frozen=True)
class LoadFigures:
    max_loop_lag_s: float
    max_backlog_bytes: int
    bound_s: float
    ticks: int

    @property
    def overloaded(self) -> bool:
        return self.max_loop_lag_s > self.bound_s

    def describe(self) -> str:
        return (f"harness overloaded: its event loop lagged {self.max_loop_lag_s * 1000:.0f} ms "
                f"(bound {self.bound_s * 1000:.0f} ms), up to {self.max_backlog_bytes} bytes of frames "
                f"waited unread; receive times are not trustworthy, so late deliveries are not blamed "
                f"on the server (run fewer clients, or on more cores)")


class LoadMonitor:
    def __init__(self, bound_s: float, *, unread_bytes: Callable[[], Iterable[int]] = lambda: (),
                 interval_s: float = DEFAULT_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.bound_s = bound_s
        self.interval_s = interval_s
        self.clock = clock
        self._unread_bytes = unread_bytes
        self._task: asyncio.Task[None] | None = None
        self.max_lag_s = 0.0
        self.max_backlog = 0
        self.ticks = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._tick(), name="harness-load-monitor")

    async def stop(self) -> LoadFigures:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        return self.figures()

    def figures(self) -> LoadFigures:
        return LoadFigures(round(self.max_lag_s, 4), self.max_backlog, self.bound_s, self.ticks)

    async def _tick(self) -> None:
        while True:
            asked = self.clock()
            await asyncio.sleep(self.interval_s)
            lag = self.clock() - asked - self.interval_s
            self.max_lag_s = max(self.max_lag_s, lag)
            self.ticks += 1
            if self.ticks % BACKLOG_EVERY == 0 or lag > self.bound_s / 4:
                self.max_backlog = max(self.max_backlog, sum(self._unread_bytes()))
