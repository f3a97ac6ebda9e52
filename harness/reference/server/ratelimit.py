"""Rate limiters: a sliding-log window (auth routes, joins, gateway ingress) and the global governor.

The governor mirrors tower_governor as Filament configures it (REST.md §14.1): a bucket of `burst`
tokens per key, with ONE token replenished per `period` seconds, so after the burst a key gets one
request per period.
"""

from __future__ import annotations

import collections
import time
from typing import Callable

Clock = Callable[[], float]


class SlidingWindow:
    """At most `limit` accepted events per key within any `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._log: dict[str, collections.deque[float]] = {}
        self._next_sweep = clock() + window

    def allow(self, key: str) -> bool:
        now = self.clock()
        self._sweep(now)
        log = self._log.setdefault(key, collections.deque())
        while log and now - log[0] > self.window:  # strictly older than the window
            log.popleft()
        if len(log) >= self.limit:
            return False
        log.append(now)
        return True

    def tracked_keys(self) -> int:
        return len(self._log)

    def _sweep(self, now: float) -> None:
        """Forget keys with nothing inside the window (a long-running server meets many client IPs)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        for key in [k for k, log in self._log.items() if not log or now - log[-1] > self.window]:
            del self._log[key]


class SlidingLog:
    """The per-connection ingress limiter (GATEWAY.md §2.2), one instance per connection."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self._window = SlidingWindow(limit, window, clock)

    def allow(self) -> bool:
        return self._window.allow("")


class Governor:
    """Token bucket: `burst` tokens, one token back every `period` seconds."""

    def __init__(self, burst: int, period: float, clock: Clock = time.monotonic) -> None:
        self.burst = burst
        self.period = period
        self.clock = clock
        self._state: dict[str, tuple[int, float]] = {}  # key -> (tokens, last refill time)
        self._next_sweep = clock() + period

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds until the next token)."""
        now = self.clock()
        self._sweep(now)
        tokens, last = self._state.get(key, (self.burst, now))
        if tokens >= self.burst:
            last = now  # a full bucket starts its refill clock on the next consumption
        else:
            refill = int((now - last) // self.period)
            if refill:
                tokens = min(self.burst, tokens + refill)
                last = now if tokens >= self.burst else last + refill * self.period
        if tokens >= 1:
            self._state[key] = (tokens - 1, last)
            return True, 0.0
        self._state[key] = (tokens, last)
        return False, max(0.0, last + self.period - now)

    def tracked_keys(self) -> int:
        return len(self._state)

    def _sweep(self, now: float) -> None:
        """Forget keys whose bucket has refilled: a full bucket is the same as an unknown key."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.period
        full = [k for k, (tokens, last) in self._state.items()
                if tokens + int((now - last) // self.period) >= self.burst]
        for key in full:
            del self._state[key]
