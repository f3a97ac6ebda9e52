"""Page events ordered after the mutation they may react to.

A browser page acts on what it receives: a kicked page switches workspace as soon as its
``workspace_member_remove`` arrives, which can be before the kick's REST answer reaches the harness.
Applied at once, the switch would reach the model first and the kick's audience (computed when its
answer commits) would leave out the page's old socket, so the removal the server rightly sent there
would count as a leak (H2 in docs/real-server.md). So while a mutation of the harness's own is in
flight, page events wait and are applied, in their order, right after it commits — each dated when it
happened (``lag``: how long it waited), not when it was applied.

A page event that did not react to the mutation loses nothing by waiting: the model then counts the
page's old socket as a recipient of that mutation, and a socket the page closed within the deadline
owes nothing (the delivery check excuses it).
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable

PageHandler = Callable[..., None]
"""A browser observer's handler of one page event; called with the event and ``lag=`` seconds."""


class PageEventOrder:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._in_flight = 0
        self._waiting: deque[tuple[float, PageHandler, tuple[Any, ...]]] = deque()

    def mutation_started(self) -> None:
        self._in_flight += 1

    def mutation_committed(self) -> None:
        """Called once per started mutation, after its answer reached the model (or it failed)."""
        self._in_flight = max(0, self._in_flight - 1)
        while self._waiting and self._in_flight == 0:
            at, handler, args = self._waiting.popleft()
            handler(*args, lag=max(0.0, self.clock() - at))

    def page_event(self, handler: PageHandler, *args: Any) -> None:
        """Apply a page event now, or after the mutations in flight (keeping page events in order)."""
        if self._in_flight or self._waiting:
            self._waiting.append((self.clock(), handler, args))
        else:
            handler(*args, lag=0.0)
