"""The one place every outbound gateway event passes through.

Responsibilities, in order, for every broadcast:
1. audience: pick candidate connections from the indexes and RE-CHECK access at delivery time
   (GATEWAY.md §6): channel events only to users who may currently see the channel, guild events
   only to current members (plus the removed user's own removal events), IP-ban sync only to IP-ban
   moderators, profile events to owner + friends + co-members, friend events to the two parties;
2. serialise once (`{"v":1,"t":...,"d":...}`, keys of `d` sorted at every depth, compact, raw UTF-8);
3. size check: an oversized event is dropped for all recipients and counted once;
4. non-blocking enqueue per connection (at most one copy each); a full queue marks a slow consumer
   (Close 1008 by its writer), a closed queue is pruned; metrics are counted.
Planted faults (faults.py) hook in here as small switches.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from .config import ServerConfig
from .connections import Connection, Enqueue, Registry
from .faults import FaultSet
from .metrics import Metrics
from .permissions import GuildAuthz
from .store import Store

DROPPED = "filament_gateway_events_dropped_total"
EMITTED = "filament_gateway_events_emitted_total"


def encode_frame(event_type: str, data: Any) -> str:
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '{"v":1,"t":' + json.dumps(event_type) + ',"d":' + payload + "}"


class Emitter:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        metrics: Metrics,
        faults: FaultSet,
        config: ServerConfig,
        authz: Callable[[str], GuildAuthz],
    ) -> None:
        self.store = store
        self.registry = registry
        self.metrics = metrics
        self.faults = faults
        self.config = config
        self.authz = authz  # AppState.authz: a fresh snapshot of one guild per broadcast

    # -- payload-shape faults -----------------------------------------------------------------------

    def _shape(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        if event_type == "message_reaction":
            if self.faults.on("server.legacy_reaction_payload"):
                data = {k: v for k, v in data.items() if k not in ("operation", "actor_user_id")}
            if self.faults.on("server.reaction_count_as_string"):
                data = {**data, "count": str(data["count"])}
        if event_type == "message_create" and self.faults.on("server.message_create_renamed_field"):
            data = {("author_user_id" if k == "author_id" else k): v for k, v in data.items()}
        if event_type == "profile_update" and self.faults.on("server.profile_update_missing_tokens"):
            fields = {k: v for k, v in data["updated_fields"].items() if k != "about_markdown_tokens"}
            data = {**data, "updated_fields": fields}
        return data

    # -- delivery core ------------------------------------------------------------------------------

    def _encode(self, scope: str, event_type: str, data: dict[str, Any]) -> str | None:
        frame = encode_frame(event_type, self._shape(event_type, data))
        if len(frame.encode("utf-8")) > self.config.max_gateway_event_bytes:
            self.metrics.inc(DROPPED, scope, event_type, "oversized_outbound")
            return None
        return frame

    def _fanout(self, scope: str, event_type: str, data: dict[str, Any], recipients: Iterable[Connection]) -> int:
        if self.faults.suppresses(event_type):
            return 0
        frame = self._encode(scope, event_type, data)
        if frame is None:
            return 0
        copies = 2 if event_type == "message_create" and self.faults.on("server.duplicate_message_create") else 1
        if event_type == "message_update" and self.faults.on("server.silent_drop_message_update"):
            copies = 0  # counted below as if delivered: the drop is silent
        sent = 0
        for conn in dict.fromkeys(recipients):  # one copy per connection per broadcast
            if copies == 0:
                sent += 1
            for _ in range(copies):
                status = conn.try_enqueue(frame)
                if status is Enqueue.OK:
                    sent += 1
                    continue
                if status is Enqueue.FULL:
                    self.metrics.inc(DROPPED, scope, event_type, "full_queue")
                    if not self.faults.on("server.no_slow_consumer_close"):
                        self.registry.detach(conn)
                        conn.signal_slow_consumer()
                else:
                    self.metrics.inc(DROPPED, scope, event_type, "closed")
                    self.registry.detach(conn)
                break
        self.metrics.inc(EMITTED, scope, event_type, by=sent)
        return sent

    def connection(self, conn: Connection, event_type: str, data: dict[str, Any]) -> str:
        """Connection-scoped frame: 'ok' | 'full' | 'closed' | 'too_large' (never a slow-consumer close)."""
        if self.faults.suppresses(event_type):
            return "ok"
        frame = self._encode("connection", event_type, data)
        if frame is None:
            return "too_large"
        status = conn.try_enqueue(frame)
        if status is Enqueue.OK:
            self.metrics.inc(EMITTED, "connection", event_type)
            return "ok"
        reason = "full_queue" if status is Enqueue.FULL else "closed"
        self.metrics.inc(DROPPED, "connection", event_type, reason)
        return "full" if status is Enqueue.FULL else "closed"

    # -- scopes -------------------------------------------------------------------------------------

    def channel(self, guild_id: str, channel_id: str, event_type: str, data: dict[str, Any]) -> int:
        """Channel scope: subscribed connections whose user may see the channel right now."""
        if self.faults.on("server.channel_events_to_guild"):
            return self.guild(guild_id, event_type, data)
        conns = self.registry.channel_connections(guild_id, channel_id)
        if not self.faults.on("server.channel_events_skip_access_check"):
            authz = self.authz(guild_id)
            authz.preload(c.user_id for c in conns)
            conns = [c for c in conns if authz.has_channel_perm(c.user_id, channel_id, "create_message")]
        return self._fanout("channel", event_type, data, conns)

    def guild(
        self,
        guild_id: str,
        event_type: str,
        data: dict[str, Any],
        *,
        removed_user: str | None = None,
        ip_ban_moderators_only: bool = False,
    ) -> int:
        """Guild scope: guild connections of current members (plus the removed user's own removal)."""
        conns = self.registry.guild_connections(guild_id)
        authz = self.authz(guild_id)
        authz.preload(c.user_id for c in conns)
        leak_removed = self.faults.on("server.guild_events_to_removed_members")
        if ip_ban_moderators_only and self.faults.on("server.ip_ban_sync_to_all_members"):
            ip_ban_moderators_only = False

        def allowed(conn: Connection) -> bool:
            if removed_user is not None and conn.user_id == removed_user:
                return True
            if ip_ban_moderators_only:
                return authz.can_moderate_ip_bans(conn.user_id)
            return leak_removed or authz.has_access(conn.user_id)

        return self._fanout("guild", event_type, data, [c for c in conns if allowed(c)])

    def users(self, user_ids: Iterable[str], event_type: str, data: dict[str, Any]) -> int:
        """User scope: every connection of the given users, in the given order."""
        return self._fanout("user", event_type, data, self.registry.user_connections(user_ids))

    def friendship(self, party_ids: list[str], event_type: str, data: dict[str, Any]) -> int:
        """friend_*: every connection of the parties (each call carries one party's copy or both)."""
        if self.faults.on("server.friend_events_to_everyone"):
            others = [u for u in self.registry.all_users() if u not in party_ids]
            return self.users([*party_ids, *others], event_type, data)
        return self.users(party_ids, event_type, data)

    def profile(self, owner_id: str, event_type: str, data: dict[str, Any]) -> int:
        """profile_*: the owner first, then current friends and users sharing a guild."""
        if self.faults.on("server.profile_update_to_everyone"):
            observers = [u for u in self.registry.all_users() if u != owner_id]
        else:
            related = self.store.friend_ids(owner_id) | self.store.co_member_ids(owner_id)
            observers = sorted(related - {owner_id})
        return self.users([owner_id, *observers], event_type, data)

    # -- subscription maintenance -------------------------------------------------------------------

    def member_removed(self, user_id: str, guild_id: str) -> None:
        """After a kick/ban's events: forget the user's subscriptions and presence in that guild."""
        if self.faults.on("server.channel_events_skip_access_check") or self.faults.on(
            "server.guild_events_to_removed_members"
        ):
            return
        self.registry.drop_guild(user_id, guild_id)
