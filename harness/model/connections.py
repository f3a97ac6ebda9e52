"""What the oracle knows about gateway connections: owner, acknowledged subscriptions, presence.

A subscription counts from its ``subscribed`` ack (GATEWAY.md §6.0). It remembers the user's removal
count in that guild at the ack (``epoch``): once the user is kicked or banned the count grows and the
subscription is *stale* until renewed by a new ack. It also remembers whether its user lost sight of
the channel at some point since the ack (``lapsed``): the contract lets a server either re-check
access at fanout or drop subscriptions when access is lost, so after access comes back delivery on a
lapsed subscription is optional. Pure data, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Literal

from harness.history import ConnectionId

Status = Literal["current", "stale", "none"]


@dataclass
class Subscription:
    guild: str
    channel: str
    epoch: int
    lapsed: bool = False


@dataclass
class Connection:
    id: ConnectionId
    user: str
    opened_step: int
    subs: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    presence: dict[str, int] = field(default_factory=dict)
    """guild alias -> the user's removal epoch when this connection became present there."""
    starved: bool = False
    """The harness stopped reading it on purpose (nemesis): the server may drop events for it and close
    it as a slow consumer, so its MUST deliveries become MAY; MUST_NOT stays MUST_NOT."""

    def subs_in(self, guild: str) -> list[Subscription]:
        return [s for (g, _), s in self.subs.items() if g == guild]


@dataclass
class Connections:
    open: dict[ConnectionId, Connection] = field(default_factory=dict)
    closed: dict[ConnectionId, Connection] = field(default_factory=dict)

    def add(self, conn: Connection) -> None:
        self.open[conn.id] = conn

    def close(self, conn: ConnectionId) -> Connection | None:
        c = self.open.pop(conn, None)
        if c is not None:
            self.closed[conn] = c
        return c

    def get(self, conn: ConnectionId) -> Connection | None:
        return self.open.get(conn) or self.closed.get(conn)

    def of_user(self, user: str) -> list[Connection]:
        return [c for c in self.open.values() if c.user == user]

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self.open.values()))
