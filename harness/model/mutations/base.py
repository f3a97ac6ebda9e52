"""The mutation interface: what one step does, what the model predicts for it, how the world changes.

A mutation is a small frozen dataclass naming entities by alias. The runner asks the model for the
``call`` (what to send) and the ``verdict`` (what the server must answer); after the call it passes the
result back and, on success, ``apply`` updates the world and returns the events in GATEWAY.md §5
emission order as :class:`EventPrediction` records. Predictions say *what* is emitted and *which
audience rule* applies; turning a rule into MUST/MAY/MUST_NOT per connection is the oracle's job
(``audience.py``), because only the oracle knows the connections.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Mapping

from harness.history import ConnectionId
from harness.model.world import World


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()
"""``RestCall.json`` when the request has no JSON body (distinct from a JSON ``null``)."""


@dataclass(frozen=True)
class RestCall:
    method: str
    path: str
    json: Any = NO_BODY
    content: bytes | None = None
    """Raw body (avatar/banner uploads); mutually exclusive with ``json``."""
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: bool = True
    """Send the actor's bearer token (False for register/login)."""
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayCall:
    """A command sent over the gateway (``message_create``). ``conn`` None = the actor's first connection."""

    conn: ConnectionId | None
    envelope: dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    """The predicted REST outcome. ``status`` is a set where the contract allows several answers."""

    allowed: bool
    status: int | frozenset[int]
    error: str | None = None

    def accepts(self, status: int) -> bool:
        return status in self.status if isinstance(self.status, frozenset) else status == self.status

    def describe(self) -> str:
        st = "/".join(str(s) for s in sorted(self.status)) if isinstance(self.status, frozenset) else str(self.status)
        return f"{'allowed' if self.allowed else 'refused'} {st}{' ' + self.error if self.error else ''}"


def ok(status: int = 200) -> Verdict:
    return Verdict(True, status)


def forbidden(error: str = "forbidden") -> Verdict:
    return Verdict(False, 403, error)


def not_found() -> Verdict:
    return Verdict(False, 404, "not_found")


def bad_request() -> Verdict:
    return Verdict(False, 400, "invalid_request")


def either(*statuses: int, error: str | None = None) -> Verdict:
    """A refusal whose status depends on an unspecified check order (e.g. 400 vs 403)."""
    return Verdict(False, frozenset(statuses), error)


@dataclass(frozen=True)
class RestResult:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


GATEWAY_SENT = RestResult(200, None)
"""What the runner passes to ``Model.commit`` after sending a :class:`GatewayCall` (no response exists)."""

AudienceRule = Literal["channel", "guild", "guild_removal", "guild_ip_moderators", "users", "profile"]


@dataclass(frozen=True)
class EventPrediction:
    """One event (or one personalised copy) a successful mutation emits, before audience evaluation.

    ``rule`` selects the audience (GATEWAY.md §6): ``channel`` (subscribers of (guild, channel) who
    may see it), ``guild`` (guild connections of current members), ``guild_removal`` (as guild, plus
    ``subject``'s own guild connections), ``guild_ip_moderators``, ``users`` (every connection of
    ``users``), ``profile`` (owner ``subject`` + friends + co-members).
    """

    event_type: str
    rule: AudienceRule
    match: Mapping[str, Any]
    fields: Mapping[str, Any] = field(default_factory=dict)
    guild: str | None = None
    channel: str | None = None
    users: tuple[str, ...] = ()
    subject: str | None = None


class Mutation(ABC):
    """One kind of REST (or gateway) mutation. Subclasses are frozen dataclasses with an ``actor``."""

    row: ClassVar[str]
    """Row id of the mutation → event table (``message.edit``), or ``setup.<name>``."""
    actor: str

    @abstractmethod
    def call(self, world: World) -> RestCall | GatewayCall:
        """What to send (ids resolved from aliases)."""

    @abstractmethod
    def verdict(self, world: World) -> Verdict:
        """The predicted outcome on the current world (permission failures included)."""

    @abstractmethod
    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        """Only on success: update the world, return the emitted events in §5 order."""

    def on_error(self, world: World, result: RestResult) -> None:
        """Side effects a refused call still has (only ``member.join``: the IP observation)."""

    def guild_alias(self, world: World) -> str | None:
        """The guild this mutation is about, if any (the oracle snapshots its connections first)."""
        return None
