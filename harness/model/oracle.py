"""The model facade the runner drives: plan a mutation, commit its result, track connections, and
predict every frame with its audience (GATEWAY.md §5–§8).

Pure: it never talks to a server. The runner feeds it what happened (results, connection opens and
closes, subscription acks) and gets ``ExpectedEvent`` lists back.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from harness.errors import ScenarioError
from harness.history import ConnectionId, ReceivedFrame
from harness.model import audience as aud
from harness.model import permissions as perms
from harness.model.classify import classify
from harness.model.connections import Connection, Connections, Status, Subscription
from harness.model.expectations import Delivery, ExpectedEvent, SetBetween, Unordered
from harness.model.mutations.base import EventPrediction, GatewayCall, Mutation, RestCall, RestResult, Verdict
from harness.model.projection import project
from harness.model.views import ClientView, Scope
from harness.model.world import Message, World, WorldConfig


@dataclass(frozen=True)
class Plan:
    call: RestCall | GatewayCall
    verdict: Verdict

    def __iter__(self):  # allows ``call, verdict = model.plan(m)``
        return iter((self.call, self.verdict))


class Model:
    def __init__(self, config: WorldConfig | None = None) -> None:
        self.world = World(config or WorldConfig())
        self.conns = Connections()
        self._unbound: dict[tuple[int, int], str] = {}
        """(step, order) of a gateway message_create expectation -> the message alias to bind."""
        self._closing: dict[ConnectionId, tuple[str, set[str]]] = {}
        """Connections the client is closing whose close the server may not have processed yet: their
        user and the guilds where that still matters. A guild leaves the set once the user's next
        subscribe there was predicted (the race it stood for is then decided: later offline presence
        is predicted as for any other connection), so the MAY it causes does not outlive the race."""

    # ---- mutations ------------------------------------------------------------------------------

    def plan(self, mutation: Mutation) -> Plan:
        """The call to send and the predicted outcome, on the current world."""
        verdict = mutation.verdict(self.world)
        call = mutation.call(self.world)
        if isinstance(call, GatewayCall) and call.conn is None:
            call = GatewayCall(self._first_conn(mutation.actor), call.envelope)
        return Plan(call, verdict)

    def commit(self, step: int, mutation: Mutation, result: RestResult) -> list[ExpectedEvent]:
        """Apply a successful, allowed mutation and predict its events; otherwise change nothing.

        A success the model considered forbidden is *not* applied (``check_verdict`` reports it); the
        one side effect of a refused call that is modelled is the IP observation of ``/join``.
        """
        verdict = mutation.verdict(self.world)
        if not result.ok:
            mutation.on_error(self.world, result)
            return []
        if not verdict.allowed:
            return []
        guild = mutation.guild_alias(self.world)
        before = self._statuses(guild)
        predictions = mutation.apply(self.world, result)
        expected = [self._expect(step, i, p, before) for i, p in enumerate(predictions)]
        if mutation.row == "message.create.gateway":
            self._unbound[(step, 0)] = mutation.message  # type: ignore[attr-defined]
        self._mark_lapses()
        return self._spare_starved(expected)

    def bind_message(self, alias: str, message_id: str) -> None:
        """Bind a gateway-created message's id, read from the frame attributed to its expectation or
        from a listing of its channel (``unbound_messages``)."""
        self.world.bind("message", alias, message_id)
        for key in [key for key, unbound in self._unbound.items() if unbound == alias]:
            del self._unbound[key]

    def unbound_messages(self) -> list[Message]:
        """Gateway-created messages no attributed frame has bound: none may have been due to anyone
        (nobody subscribed to the channel), so the runner finds them in their channel's listing."""
        return [self.world.messages[alias] for alias in self._unbound.values()
                if alias in self.world.messages and self.world.messages[alias].id is None]

    def bind_attributed(self, expected: ExpectedEvent, data: Any) -> str | None:
        """Convenience for the runner: when ``expected`` is a gateway-created message still without an
        id, bind it from the attributed frame's ``d``; returns the bound alias (else None)."""
        alias = self._unbound.get((expected.step, expected.order))
        if alias is None or not isinstance(data, dict) or not isinstance(data.get("message_id"), str):
            return None
        self.bind_message(alias, data["message_id"])
        return alias

    # ---- connections ----------------------------------------------------------------------------

    def connection_opened(self, step: int, conn: ConnectionId, user: str) -> list[ExpectedEvent]:
        """A new gateway connection: ``ready`` to that connection only (GATEWAY.md §1.2)."""
        if conn in self.conns.open:
            raise ScenarioError(f"connection {conn!r} opened twice")
        self.conns.add(Connection(conn, user, step))
        return [ExpectedEvent(step, 0, "ready", {"user_id": self.world.user_id(user)},
                              audience=aud.connection_audience(self.conns, conn))]

    def subscribe_requested(self, step: int, conn: ConnectionId, guild: str, channel: str) -> list[ExpectedEvent]:
        """Predict a ``subscribe`` (aliases or ids). Nothing when the user may not see the channel (the
        server silently ignores it) or when the harness address is IP-banned in G (the server drops
        the connection, ``ip_banned``)."""
        c = self._conn(conn)
        g, ch = self._resolve_guild(guild), self._resolve_channel(channel)
        if self.world.harness_ip_banned(g) or not perms.may_see_channel(self.world, ch, c.user):
            return []
        first, ambiguous = self._first_presence(c, g)
        c.presence[g] = self.world.guild(g).removal_epoch(c.user)
        for user, guilds in self._closing.values():
            if user == c.user:
                guilds.discard(g)
        ids = {"guild_id": self.world.guild_id(g)}
        pair = {**ids, "channel_id": self.world.channel_id(ch)}
        only_me = aud.connection_audience(self.conns, conn)
        events = [("presence_sync", ids, {"user_ids": self._present_users(g)}, only_me, "")]
        if first:
            audience = {**aud.guild_audience(self.world, self.conns, g), conn: Delivery.MUST}
            note = ""
            if ambiguous:
                audience, note = aud.soften(audience), "MAY: the user has stale presence in G, or a closing connection"
            events.append(("presence_update", {**ids, "user_id": self.world.user_id(c.user), "status": "online"},
                           {}, audience, note))
        events.append(("subscribed", pair, {}, only_me, ""))
        events.append(("voice_participant_sync", pair, {"participants": []}, only_me, ""))
        return self._spare_starved([ExpectedEvent(step, i, t, m, f, a, n) for i, (t, m, f, a, n) in enumerate(events)])

    def subscription_acked(self, conn: ConnectionId, guild_id: str, channel_id: str) -> None:
        """The runner saw ``subscribed``: from now on the subscription counts (GATEWAY.md §6.0)."""
        c = self._conn(conn)
        g, ch = self.world.alias_of("guild", guild_id), self.world.alias_of("channel", channel_id)
        if g is None or ch is None:
            return
        epoch = self.world.guild(g).removal_epoch(c.user)
        c.subs[(g, ch)] = Subscription(g, ch, epoch)
        c.presence[g] = epoch  # an ack means the server (re)registered the connection's presence in G

    def connection_closed(self, step: int, conn: ConnectionId, by: str = "harness") -> list[ExpectedEvent]:
        """``presence_update`` offline for each guild where this was the user's last present
        connection (§8). All share ``order`` 0: their relative order is unspecified."""
        c = self.conns.close(conn)
        if c is None:
            return []
        out: list[ExpectedEvent] = []
        for g, epoch in c.presence.items():
            mine_current = self._presence_current(c.user, g, epoch)
            others = [self._presence_current(o.user, g, o.presence[g]) for o in self.conns.of_user(c.user)
                      if g in o.presence]
            if any(others):
                continue
            audience = aud.guild_audience(self.world, self.conns, g)
            note = ""
            if not mine_current or others:
                audience, note = aud.soften(audience), "MAY: stale presence may already have been dropped"
            match = {"guild_id": self.world.guild_id(g), "user_id": self.world.user_id(c.user), "status": "offline"}
            out.append(ExpectedEvent(step, 0, "presence_update", match, {}, audience, note))
        return self._spare_starved(out)

    def connection_closing(self, step: int, conn: ConnectionId) -> list[ExpectedEvent]:
        """The client has started closing ``conn`` but the server may not have processed the close yet
        (a web client switching channels closes one socket and opens the next; the server sees the two
        TCP connections in either order). Offline presence for it, and the user's next online presence,
        are then each optional (MAY). A later ``connection_closed`` for it changes nothing more."""
        c = self.conns.get(conn)
        if c is None or conn not in self.conns.open:
            return []
        events = self.connection_closed(step, conn, by="harness")
        self._closing[conn] = (c.user, set(c.presence))
        return [replace(e, audience=aud.soften(e.audience), note="MAY: the close races a new connection")
                for e in events]

    def connection_starved(self, conn: ConnectionId) -> None:
        """The harness stopped reading ``conn`` on purpose (nemesis ``stall_reads``): from now on what it
        MUST receive becomes MAY (the server may drop it and close the connection as a slow consumer)."""
        self._conn(conn).starved = True

    def _spare_starved(self, events: list[ExpectedEvent]) -> list[ExpectedEvent]:
        starved = {c.id for c in self.conns if c.starved}
        if not starved:
            return events
        return [replace(e, audience={c: Delivery.MAY if c in starved and d is Delivery.MUST else d
                                     for c, d in e.audience.items()}) for e in events]

    def live_scope(self, conn: ConnectionId) -> Scope:
        """What a client on this connection can rely on: guilds with a subscription taken since the
        user's latest (re)join (a client is not told it was re-added), and channel subscriptions that
        never lapsed (after losing sight of a channel the server may have dropped the subscription;
        a new ``subscribed`` renews it). The replica's own ``scope()`` follows the same rules."""
        c = self._conn(conn)
        current = {(g, ch): s for (g, ch), s in c.subs.items() if s.epoch == self.world.guild(g).removal_epoch(c.user)}
        guilds = frozenset(self.world.guild_id(g) for g, _ in current)
        channels = {(self.world.guild_id(g), self.world.channel_id(ch)) for (g, ch), s in current.items() if not s.lapsed}
        seeds = {self.world.guild_id(a): frozenset(r.id for r in gu.roles.values() if r.is_seed and r.id)
                 for a, gu in self.world.guilds.items() if gu.id in guilds}
        return Scope(guilds, frozenset(channels), seeds)

    # ---- classification and projection ----------------------------------------------------------

    def classify_unattributed(self, frame: ReceivedFrame) -> Delivery:
        return classify(self.world, self.conns, frame)

    def projection(self, user: str, scope: Scope) -> ClientView:
        return project(self.world, user, scope)

    # ---- internals ------------------------------------------------------------------------------

    def _expect(self, step: int, order: int, p: EventPrediction, before: dict[ConnectionId, Status]) -> ExpectedEvent:
        w, conns = self.world, self.conns
        if p.rule == "channel":
            audience = aud.channel_audience(w, conns, p.guild or "", p.channel or "")
        elif p.rule == "guild":
            audience = aud.guild_audience(w, conns, p.guild or "")
        elif p.rule == "guild_removal":
            audience = aud.removal_audience(w, conns, p.guild or "", p.subject or "", before)
        elif p.rule == "guild_ip_moderators":
            audience = aud.ip_moderator_audience(w, conns, p.guild or "")
        elif p.rule == "users":
            audience = aud.users_audience(conns, set(p.users))
        else:
            audience = aud.users_audience(conns, aud.profile_observers(w, p.subject or ""))
        return ExpectedEvent(step, order, p.event_type, dict(p.match), dict(p.fields), audience)

    def _statuses(self, guild: str | None) -> dict[ConnectionId, Status]:
        if guild is None or guild not in self.world.guilds:
            return {}
        return {c.id: aud.guild_status(self.world, c, guild) for c in self.conns}

    def _mark_lapses(self) -> None:
        for c in self.conns:
            for (g, ch), sub in c.subs.items():
                if not sub.lapsed and not perms.may_see_channel(self.world, ch, c.user):
                    sub.lapsed = True

    def _presence_current(self, user: str, guild: str, epoch: int) -> bool:
        g = self.world.guild(guild)
        member = perms.is_member(g, user) or perms.is_server_owner(self.world, user)
        return member and epoch == g.removal_epoch(user)

    def _first_presence(self, conn: Connection, guild: str) -> tuple[bool, bool]:
        """(is this the user's first present connection in G, is that uncertain — because of stale
        presence, or because a closing connection of the user may still be present on the server)."""
        states = [self._presence_current(o.user, guild, o.presence[guild])
                  for o in self.conns.of_user(conn.user) if guild in o.presence]
        closing = any(user == conn.user and guild in guilds for user, guilds in self._closing.values())
        first = not any(states)
        return first, (bool(states) and first) or (first and closing)

    def _present_users(self, guild: str) -> Any:
        """``presence_sync.user_ids`` after the subscriber was added: current presences must be listed;
        users whose presence is stale and who are members again may be."""
        required: set[str] = set()
        optional: set[str] = set()
        g = self.world.guild(guild)
        for c in self.conns:
            if guild not in c.presence:
                continue
            uid = self.world.user_id(c.user)
            if self._presence_current(c.user, guild, c.presence[guild]):
                required.add(uid)
            elif perms.is_member(g, c.user):
                optional.add(uid)
        for user, guilds in self._closing.values():  # the server may not have processed their close yet
            if guild in guilds and perms.is_member(g, user):
                optional.add(self.world.user_id(user))
        optional -= required
        return SetBetween(required, optional) if optional else Unordered(sorted(required))

    def _first_conn(self, user: str) -> ConnectionId:
        conns = sorted((c for c in self.conns.of_user(user)), key=lambda c: (c.opened_step, c.id))
        if not conns:
            raise ScenarioError(f"user {user!r} has no open gateway connection to send on")
        return conns[0].id

    def _conn(self, conn: ConnectionId) -> Connection:
        c = self.conns.get(conn)
        if c is None:
            raise ScenarioError(f"unknown connection {conn!r}")
        return c

    def _resolve_guild(self, ref: str) -> str:
        return ref if ref in self.world.guilds else self.world.alias_of("guild", ref) or self.world.guild(ref).alias

    def _resolve_channel(self, ref: str) -> str:
        return ref if ref in self.world.channels else self.world.alias_of("channel", ref) or self.world.channel(ref).alias
