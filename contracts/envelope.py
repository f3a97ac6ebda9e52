"""The ``{v,t,d}`` gateway envelope (GATEWAY.md §2.1): strict parsing and egress-layout diagnostics.

``parse_envelope`` applies the ingress rules to any frame: a single JSON document, an object with
exactly the members ``v``, ``t``, ``d`` (no unknown or duplicate members), ``v`` the integer 1, ``t``
1–64 characters of ``[a-z0-9_.]``. Duplicate members are rejected at every depth, not only at the top:
the server serialises from a sorted map and cannot produce them, and a client's JSON parser would keep
only one of the values, so a duplicate is both a server bug and a way to hide a value from one reader.

The server's egress layout (compact, members in the order ``v``,``t``,``d``, keys inside ``d`` sorted
byte-wise at every depth) is what a byte-compatible server produces but not something a strict client
may rely on, so ``unsorted_key_paths`` and ``layout_issues`` feed warnings only.
"""
from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_EVENT_BYTES = 65536
"""Protocol hard cap on the byte length of a whole envelope (GATEWAY.md §1.5)."""

EVENT_TYPE_PATTERN = r"^[a-z0-9_.]{1,64}$"
_EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,64}")
ENVELOPE_MEMBERS = ("v", "t", "d")


class Envelope(BaseModel):
    """One valid frame. ``d`` keeps the member order of the received text (see ``unsorted_key_paths``)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, title="GatewayEnvelope")

    v: Annotated[Literal[1], Field(json_schema_extra={"type": "integer"})]
    t: Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN)]
    d: Any = Field(json_schema_extra={"description": "Event payload; any JSON value at this layer."})


class EnvelopeError(ValueError):
    """A frame that is not a valid envelope. ``reason`` is a stable code, ``detail`` a human sentence."""

    REASONS = (
        "too_large",
        "invalid_utf8",
        "invalid_json",
        "not_object",
        "duplicate_member",
        "missing_member",
        "unknown_member",
        "invalid_version",
        "invalid_type",
    )

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class _DuplicateMember(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` that refuses duplicate members and keeps the received member order."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateMember(key)
        obj[key] = value
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _decode_text(raw: str | bytes, max_bytes: int | None) -> str:
    try:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
    except UnicodeEncodeError as exc:  # a str carrying lone surrogates
        raise EnvelopeError("invalid_utf8", "text is not valid Unicode") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise EnvelopeError("too_large", f"{len(data)} bytes exceeds the limit of {max_bytes}")
    if isinstance(raw, str):
        return raw
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError("invalid_utf8", "frame is not valid UTF-8") from exc


def parse_json_strict(text: str) -> Any:
    """One JSON document; duplicate members (any depth), NaN and Infinity rejected."""
    try:
        return json.loads(text, object_pairs_hook=_unique_members, parse_constant=_reject_constant)
    except _DuplicateMember as exc:
        raise EnvelopeError("duplicate_member", f"member {exc.key!r} appears twice in one object") from None
    except (ValueError, RecursionError) as exc:
        raise EnvelopeError("invalid_json", str(exc)) from None


def _check_members(obj: dict[str, Any]) -> None:
    unknown = sorted(set(obj) - set(ENVELOPE_MEMBERS))
    if unknown:
        raise EnvelopeError("unknown_member", f"unknown top-level member(s) {unknown}")
    missing = [name for name in ENVELOPE_MEMBERS if name not in obj]
    if missing:
        raise EnvelopeError("missing_member", f"missing member(s) {missing}")


def _check_version(v: Any) -> None:
    # bool is a subclass of int in Python; JSON true is not the integer 1.
    if type(v) is not int:
        raise EnvelopeError("invalid_version", f"v must be the integer 1, got a {type(v).__name__}")
    if v != 1:
        raise EnvelopeError("invalid_version", f"v must be 1, got {v}")


def _check_type(t: Any) -> None:
    if not isinstance(t, str):
        raise EnvelopeError("invalid_type", f"t must be a string, got a {type(t).__name__}")
    if not _EVENT_TYPE.fullmatch(t):
        raise EnvelopeError("invalid_type", "t must be 1-64 characters of [a-z0-9_.]")


def parse_envelope(raw: str | bytes, *, max_bytes: int | None = MAX_EVENT_BYTES) -> Envelope:
    """Parse and validate one frame; raise ``EnvelopeError`` with the first rule it breaks."""
    obj = parse_json_strict(_decode_text(raw, max_bytes))
    if not isinstance(obj, dict):
        raise EnvelopeError("not_object", f"top level is a JSON {type(obj).__name__}, not an object")
    _check_members(obj)
    _check_version(obj["v"])
    _check_type(obj["t"])
    return Envelope.model_construct(v=1, t=obj["t"], d=obj["d"])


def egress_bytes(raw: str | bytes) -> int:
    """Byte length the size limit is compared against (the whole envelope text, UTF-8)."""
    return len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", errors="surrogatepass"))


# --- egress layout (warnings only) --------------------------------------------------------------


def unsorted_key_paths(value: Any, path: str = "d") -> list[str]:
    """Paths of objects whose keys are not in ascending byte-wise order (code-point order = UTF-8 order)."""
    found: list[str] = []
    if isinstance(value, dict):
        keys = list(value)
        if keys != sorted(keys):
            found.append(path)
        for key, item in value.items():
            found.extend(unsorted_key_paths(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(unsorted_key_paths(item, f"{path}.{index}"))
    return found


def canonical_text(envelope: Envelope) -> str:
    """The byte-exact text Filament would emit for this envelope (GATEWAY.md §2.1, server egress)."""
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    body = json.dumps(envelope.d, sort_keys=True, **compact)  # type: ignore[arg-type]
    return f'{{"v":1,"t":{json.dumps(envelope.t)},"d":{body}}}'


def layout_issues(raw: str, envelope: Envelope) -> list[str]:
    """How ``raw`` departs from the server's egress layout, besides key order inside ``d``."""
    if raw == canonical_text(envelope):
        return []
    issues: list[str] = []
    members = list(json.loads(raw, object_pairs_hook=lambda pairs: [k for k, _ in pairs]))
    if members != list(ENVELOPE_MEMBERS):
        issues.append(f"top-level members in order {members}, expected ['v', 't', 'd']")
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    as_received = json.dumps(json.loads(raw), **compact)  # type: ignore[arg-type]
    if raw != as_received:
        issues.append("not compact or non-standard escaping/number formatting")
    return issues
