"""Live gateway connections: outbound queues, subscription indexes and presence (in memory only).

Index semantics follow GATEWAY.md §1.6/§3.1: a channel listener set per `"<guild>:<channel>"` key,
a guild connection set per guild, a per-user connection index, and per connection the set of
guilds it is present in. A slow consumer is detached from the fanout indexes at once and closed by
its writer; its presence is released when the connection actually ends.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import uuid
from typing import Any, Iterable


class Enqueue(enum.Enum):
    OK = "ok"
    FULL = "full"
    CLOSED = "closed"


class Connection:
    def __init__(self, user_id: str, ip: str | None, capacity: int, ws: Any = None) -> None:
        self.conn_id = str(uuid.uuid4())
        self.user_id = user_id
        self.ip = ip
        self.ws = ws
        self.capacity = capacity
        self.queue: collections.deque[str] = collections.deque()
        self.wake = asyncio.Event()
        self.closed = False  # queue closed: the connection is going away
        self.slow_consumer = False  # writer must send Close 1008 "slow_consumer"
        self.shutting_down = False  # server shutdown: the close is not a client disconnect
        self.channel_keys: set[str] = set()
        self.guilds: set[str] = set()  # guild connection sets this connection is in
        self.presence_guilds: set[str] = set()

    def try_enqueue(self, frame: str) -> Enqueue:
        if self.closed:
            return Enqueue.CLOSED
        if len(self.queue) >= self.capacity:
            return Enqueue.FULL
        self.queue.append(frame)
        self.wake.set()
        return Enqueue.OK

    def signal_slow_consumer(self) -> None:
        self.slow_consumer = True
        self.closed = True
        self.wake.set()

    def close_queue(self) -> None:
        self.closed = True
        self.queue.clear()
        self.wake.set()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Connection {self.conn_id[:8]} user={self.user_id}>"


Index = dict[str, dict[Connection, None]]


def _discard(index: Index, key: str, conn: Connection) -> None:
    """Remove `conn` from `index[key]`, dropping the key once its set is empty."""
    members = index.get(key)
    if members is not None:
        members.pop(conn, None)
        if not members:
            del index[key]


class Registry:
    def __init__(self) -> None:
        self.by_user: Index = {}
        self.channel_listeners: Index = {}
        self.guild_conns: Index = {}
        self.presence: Index = {}  # guild -> present connections

    # -- lifecycle ----------------------------------------------------------------------------------

    def register(self, conn: Connection) -> None:
        self.by_user.setdefault(conn.user_id, {})[conn] = None

    def detach(self, conn: Connection) -> None:
        """Remove from every fanout index (slow consumer, or the connection is ending)."""
        _discard(self.by_user, conn.user_id, conn)
        for key in conn.channel_keys:
            _discard(self.channel_listeners, key, conn)
        for guild_id in conn.guilds:
            _discard(self.guild_conns, guild_id, conn)
        conn.channel_keys.clear()
        conn.guilds.clear()

    def unregister(self, conn: Connection) -> list[str]:
        """Forget the connection; returns the guilds where its user just went offline."""
        self.detach(conn)
        offline = []
        for guild_id in sorted(conn.presence_guilds):
            _discard(self.presence, guild_id, conn)
            if not self.user_present(conn.user_id, guild_id):
                offline.append(guild_id)
        conn.presence_guilds.clear()
        return offline

    # -- subscriptions and presence -----------------------------------------------------------------

    def subscribe(self, conn: Connection, guild_id: str, channel_id: str) -> bool:
        """Register a subscription; True when this makes the user present in the guild for the first time."""
        key = f"{guild_id}:{channel_id}"
        self.channel_listeners.setdefault(key, {})[conn] = None
        conn.channel_keys.add(key)
        self.guild_conns.setdefault(guild_id, {})[conn] = None
        conn.guilds.add(guild_id)
        first = not self.user_present(conn.user_id, guild_id)
        if guild_id not in conn.presence_guilds:
            conn.presence_guilds.add(guild_id)
            self.presence.setdefault(guild_id, {})[conn] = None
        return first

    def user_present(self, user_id: str, guild_id: str) -> bool:
        return any(c.user_id == user_id for c in self.presence.get(guild_id, {}))

    def present_users(self, guild_id: str) -> list[str]:
        return list(dict.fromkeys(c.user_id for c in self.presence.get(guild_id, {})))

    def drop_guild(self, user_id: str, guild_id: str) -> None:
        """Forget a removed user's subscriptions and presence in one guild (kick/ban)."""
        for conn in list(self.by_user.get(user_id, {})):
            for key in [k for k in conn.channel_keys if k.startswith(f"{guild_id}:")]:
                conn.channel_keys.discard(key)
                _discard(self.channel_listeners, key, conn)
            if guild_id in conn.guilds:
                conn.guilds.discard(guild_id)
                _discard(self.guild_conns, guild_id, conn)
            if guild_id in conn.presence_guilds:
                conn.presence_guilds.discard(guild_id)
                _discard(self.presence, guild_id, conn)

    # -- lookups ------------------------------------------------------------------------------------

    def channel_connections(self, guild_id: str, channel_id: str) -> list[Connection]:
        return list(self.channel_listeners.get(f"{guild_id}:{channel_id}", {}))

    def guild_connections(self, guild_id: str) -> list[Connection]:
        return list(self.guild_conns.get(guild_id, {}))

    def user_connections(self, user_ids: Iterable[str]) -> list[Connection]:
        out: dict[Connection, None] = {}
        for user_id in user_ids:
            for conn in self.by_user.get(user_id, {}):
                out[conn] = None
        return list(out)

    def all_users(self) -> list[str]:
        return list(self.by_user)
