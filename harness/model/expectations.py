"""What the model predicts for one action: which events, in which order, reaching which connections.

Besides plain values, ``match`` and ``fields`` may hold the small matchers defined here, for facts a
plain equality cannot express: a member that must be *absent* (an omitted optional field), a member
that must be present with any value, a list whose order the contract leaves unspecified
(``presence_sync.user_ids`` is built from a hash set), or a set that is only known between bounds
(presence while a subscription is stale, see docs/model.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Iterable, Mapping

from harness.history import ConnectionId


class Delivery(StrEnum):
    MUST = "must"
    MAY = "may"
    MUST_NOT = "must_not"


class _Sentinel:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


MISSING: Any = _Sentinel("MISSING")
"""What :func:`lookup` returns when a dotted path does not exist in the payload."""

ABSENT: Any = _Sentinel("ABSENT")
"""Expected value meaning "this member must not be present" (optional fields are omitted, not null)."""

PRESENT: Any = _Sentinel("PRESENT")
"""Expected value meaning "present with any value" (e.g. ``about_markdown_tokens``)."""


@dataclass(frozen=True)
class Unordered:
    """A JSON array whose element order is unspecified: compared as a multiset."""

    items: tuple[Any, ...]

    def __init__(self, items: Iterable[Any]) -> None:
        object.__setattr__(self, "items", tuple(items))

    def matches(self, observed: Any) -> bool:
        if not isinstance(observed, list) or len(observed) != len(self.items):
            return False
        remaining = list(self.items)
        for item in observed:
            if item not in remaining:
                return False
            remaining.remove(item)
        return True


@dataclass(frozen=True)
class SetBetween:
    """A JSON array of distinct items known only between bounds: ``required ⊆ set(observed) ⊆ allowed``."""

    required: frozenset[Any]
    allowed: frozenset[Any]

    def __init__(self, required: Iterable[Any], allowed: Iterable[Any]) -> None:
        req = frozenset(required)
        object.__setattr__(self, "required", req)
        object.__setattr__(self, "allowed", req | frozenset(allowed))

    def matches(self, observed: Any) -> bool:
        if not isinstance(observed, list) or len(set(observed)) != len(observed):
            return False
        got = set(observed)
        return self.required <= got <= self.allowed


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path inside ``d`` (``"updated_fields.content"``), or :data:`MISSING`."""
    if "." not in path and type(data) is dict:  # the hot path: one member of a plain payload
        return data.get(path, MISSING)
    current = data
    for part in path.split("."):
        if not (type(current) is dict or isinstance(current, Mapping)) or part not in current:
            return MISSING
        current = current[part]
    return current


def value_matches(expected: Any, observed: Any) -> bool:
    """Whether an observed value (or :data:`MISSING`) satisfies an expected value or matcher."""
    if type(expected) is str:  # the hot path: ids and names
        return type(observed) is str and expected == observed
    if expected is ABSENT:
        return observed is MISSING
    if observed is MISSING:
        return False
    if expected is PRESENT:
        return True
    if isinstance(expected, (Unordered, SetBetween)):
        return expected.matches(observed)
    if isinstance(expected, tuple):
        expected = list(expected)
    # bool is an int in Python; JSON true must not match 1.
    if isinstance(expected, bool) != isinstance(observed, bool):
        return False
    return expected == observed


def printable(value: Any) -> Any:
    """A JSON-friendly rendering of an expected value or matcher for reports."""
    if value is ABSENT or value is MISSING:
        return f"<{value!r}>"
    if value is PRESENT:
        return "<any value>"
    if isinstance(value, Unordered):
        return {"unordered": list(value.items)}
    if isinstance(value, SetBetween):
        return {"required": sorted(value.required, key=str), "allowed": sorted(value.allowed, key=str)}
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class ExpectedEvent:
    """One broadcast (or one personalised copy) the server must emit for an action.

    A received frame is attributed to this expectation when its ``t`` equals ``event_type`` and every
    dotted path in ``match`` has the given value inside ``d``. ``fields`` are further predicted values
    checked for equality once attributed (a difference is a ``mismatch``).
    """

    step: int
    order: int
    """Position in the action's emission order (GATEWAY.md §5), from 0."""
    event_type: str
    match: Mapping[str, Any]
    fields: Mapping[str, Any] = field(default_factory=dict)
    audience: Mapping[ConnectionId, Delivery] = field(default_factory=dict)
    """Every connection known at the time of the action. A connection not listed is MUST_NOT."""
    note: str = ""
    """Why the audience is what it is when it is not obvious (e.g. which MAY rule applied)."""

    def delivery_for(self, conn: ConnectionId) -> Delivery:
        return self.audience.get(conn, Delivery.MUST_NOT)

    def matches(self, event_type: str | None, data: Any) -> bool:
        """Whether a frame ``{t: event_type, d: data}`` is attributable to this expectation."""
        if event_type != self.event_type:
            return False
        return all(value_matches(v, lookup(data, k)) for k, v in self.match.items())

    def mismatches(self, data: Any) -> dict[str, tuple[Any, Any]]:
        """``{path: (expected, observed)}`` for every predicted field the payload does not satisfy."""
        out: dict[str, tuple[Any, Any]] = {}
        for path, expected in self.fields.items():
            observed = lookup(data, path)
            if not value_matches(expected, observed):
                out[path] = (printable(expected), printable(observed))
        return out

    def connections(self, delivery: Delivery) -> list[ConnectionId]:
        return [c for c, d in self.audience.items() if d is delivery]
