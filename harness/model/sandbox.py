"""A pure, offline driver for the model: fabricates the REST answer a compliant server would give
(fresh ULIDs, the predicted status) so the model, the replica and the checkers can be exercised
without a server — in unit tests, and for dry-running scenarios.

It is *not* a server: it answers exactly what the model predicts, so it can only show that the
harness is self-consistent, never that a server is right.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.history import ConnectionClosed, ConnectionId, ReceivedFrame
from harness.model.expectations import ABSENT, PRESENT, Delivery, ExpectedEvent, SetBetween, Unordered
from harness.model.mutations import (
    GATEWAY_SENT, CreateGuild, GatewayCall, LoadRoles, Mutation, Register, RestResult, WhoAmI,
)
from harness.model.mutations.ip_bans import IpBanUser
from harness.model.oracle import Model
from harness.model.world import WorldConfig

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class Outcome:
    step: int
    mutation: Mutation
    result: RestResult
    expected: list[ExpectedEvent]
    allowed: bool


def synthesize_payload(exp: ExpectedEvent, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``d`` a compliant server would send for an expectation, as far as it is predicted
    (timestamps and markdown tokens are not: PRESENT becomes ``[]``, ABSENT members are left out)."""
    d: dict[str, Any] = {}
    for path, value in {**exp.match, **exp.fields, **(extra or {})}.items():
        if value is ABSENT:
            continue
        if value is PRESENT:
            value = []
        elif isinstance(value, Unordered):
            value = list(value.items)
        elif isinstance(value, SetBetween):
            value = sorted(value.required)
        node = d
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return d


@dataclass
class Sandbox:
    """Drives a :class:`Model` with fabricated answers. With ``deliver=True`` every expectation is
    also "delivered" exactly once, in order, to each MUST connection (``frames``), as a correct server
    would; tests then plant faults into that history."""

    config: WorldConfig = field(default_factory=WorldConfig)
    deliver: bool = True
    model: Model = field(init=False)
    step: int = 0
    clock: float = 1000.0
    expectations: list[ExpectedEvent] = field(default_factory=list)
    frames: dict[ConnectionId, list[ReceivedFrame]] = field(default_factory=dict)
    closes: list[ConnectionClosed] = field(default_factory=list)
    invoked_at: dict[int, float] = field(default_factory=dict)
    _counter: int = 0

    def __post_init__(self) -> None:
        self.model = Model(self.config)

    def new_id(self) -> str:
        """A fresh, upper-case, monotonically increasing ULID-shaped id."""
        self._counter += 1
        n, digits = self._counter, []
        for _ in range(16):
            n, r = divmod(n, 32)
            digits.append(_CROCKFORD[r])
        return "01J" + "0" * 7 + "".join(reversed(digits))

    def next_step(self) -> int:
        self.step += 1
        self.clock += 1.0
        self.invoked_at[self.step] = self.clock
        return self.step

    def record(self, expected: list[ExpectedEvent], extra: dict[str, Any] | None = None) -> list[ExpectedEvent]:
        """Remember expectations and, when delivering, append one frame per MUST connection."""
        self.expectations.extend(expected)
        if not self.deliver:
            return expected
        for exp in sorted(expected, key=lambda e: e.order):
            for conn in exp.connections(Delivery.MUST):
                frames = self.frames.setdefault(conn, [])
                at = self.invoked_at.get(exp.step, self.clock) + 0.01 * (exp.order + 1)
                frames.append(ReceivedFrame(conn, len(frames), at, "", exp.event_type, synthesize_payload(exp, extra)))
        return expected

    # ---- driving --------------------------------------------------------------------------------

    def do(self, mutation: Mutation) -> Outcome:
        """Plan, fabricate the predicted answer, commit. Returns the expectations."""
        plan = self.model.plan(mutation)
        step = self.next_step()
        if isinstance(plan.call, GatewayCall):
            result = GATEWAY_SENT if plan.verdict.allowed else RestResult(0)
            if not plan.verdict.allowed and plan.call.conn is not None:
                self.close(plan.call.conn, by="server")  # a refused gateway command drops the connection
        else:
            status = plan.verdict.status if isinstance(plan.verdict.status, int) else min(plan.verdict.status)
            body = self._body(mutation) if plan.verdict.allowed else {"error": plan.verdict.error}
            result = RestResult(status, body)
        expected = self.model.commit(step, mutation, result)
        extra = None
        if mutation.row == "message.create.gateway" and expected:
            extra = {"message_id": self.new_id()}  # the runner binds it from the attributed frame
            self.model.bind_attributed(expected[0], extra)
        self.record(expected, extra)
        return Outcome(step, mutation, result, expected, plan.verdict.allowed)

    def setup(self, mutation: Mutation) -> Outcome:
        """``do`` for set-up steps: a refusal is a broken fixture, not a scenario outcome."""
        outcome = self.do(mutation)
        if not outcome.allowed:
            raise AssertionError(f"set-up step refused: {mutation!r} -> {outcome.result.status}")
        return outcome

    def user(self, alias: str, username: str | None = None) -> str:
        self.setup(Register(alias, username=username))
        self.setup(WhoAmI(alias))
        return self.model.world.user_id(alias)

    def guild(self, owner: str, alias: str, visibility: str = "private") -> str:
        self.setup(CreateGuild(owner, alias, visibility=visibility))  # type: ignore[arg-type]
        self.setup(LoadRoles(owner, alias))
        return self.model.world.guild_id(alias)

    def connect(self, user: str, conn: ConnectionId | None = None) -> ConnectionId:
        n = sum(1 for c in [*self.model.conns.open.values(), *self.model.conns.closed.values()] if c.user == user)
        conn = conn or f"{user}.1/ws{n}"
        self.frames.setdefault(conn, [])
        self.record(self.model.connection_opened(self.next_step(), conn, user))
        return conn

    def close(self, conn: ConnectionId, by: str = "harness") -> list[ExpectedEvent]:
        step = self.next_step()
        self.closes.append(ConnectionClosed(conn, self.clock, 1000, "", by))  # type: ignore[arg-type]
        return self.record(self.model.connection_closed(step, conn, by))

    def subscribe(self, conn: ConnectionId, channel: str) -> list[ExpectedEvent]:
        """Request and, when the model predicts success, acknowledge a subscription."""
        w = self.model.world
        guild = w.channel(channel).guild
        events = self.record(self.model.subscribe_requested(self.next_step(), conn, guild, channel))
        if w.harness_ip_banned(guild):
            self.close(conn, by="server")  # ``ip_banned`` disconnect (GATEWAY.md §3.1 step 1)
            return events
        if any(e.event_type == "subscribed" for e in events):
            self.model.subscription_acked(conn, w.guild_id(guild), w.channel_id(channel))
        return events

    # ---- fabricated bodies ----------------------------------------------------------------------

    def _body(self, m: Mutation) -> Any:
        w = self.model.world
        row = m.row
        if row == "setup.me":
            return {"user_id": w.user(m.actor).id or self.new_id(), "username": w.user(m.actor).username}
        if row == "setup.guild":
            return {"guild_id": self.new_id(), "name": m.effective_name, "visibility": m.visibility}  # type: ignore[attr-defined]
        if row == "setup.roles":
            guild = w.guild(m.guild)  # type: ignore[attr-defined]
            return {"roles": [{"role_id": r.id or self.new_id(), "name": r.name} for r in guild.roles.values()],
                    "default_join_role_id": None}
        if row in ("message.create",):
            return {"message_id": self.new_id(), "content": m.content}  # type: ignore[attr-defined]
        if row == "channel.create":
            return {"channel_id": self.new_id()}
        if row == "role.create":
            return {"role_id": self.new_id()}
        if row == "friend.request.create":
            return {"request_id": self.new_id()}
        if row == "ip_ban.upsert":
            created = len(IpBanUser._new_networks(m, w))  # type: ignore[arg-type]
            return {"created_count": created, "ban_ids": [self.new_id() for _ in range(created)]}
        if row == "member.join":
            member = m.actor in w.guild(m.guild).members  # type: ignore[attr-defined]
            return {"guild_id": w.guild_id(m.guild), "outcome": "already_member" if member else "accepted"}  # type: ignore[attr-defined]
        if row in ("profile.avatar", "profile.banner"):
            key = row.split(".")[1] + "_version"
            return {key: getattr(w.user(m.actor), key) + 1}
        if row in ("message.delete", "friend.request.delete", "friend.remove"):
            return None
        return {"accepted": True}


__all__ = ["Sandbox", "Outcome", "synthesize_payload"]
