"""Sans-I/O gateway protocol: envelope and command-payload validation (GATEWAY.md §2.1, §3).

Pure functions over bytes/JSON values, unit-testable without sockets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .ids import is_ulid
from .messaging import content_ok, normalise_attachment_ids
from .strictjson import DupDict, parse_json_bytes

_EVENT_TYPE_RE = re.compile(r"^[a-z0-9_.]{1,64}$")
PROTOCOL_MAX_BYTES = 65536


@dataclass(frozen=True)
class Envelope:
    t: str
    d: Any


@dataclass(frozen=True)
class Subscribe:
    guild_id: str
    channel_id: str


@dataclass(frozen=True)
class MessageCreateCommand:
    guild_id: str
    channel_id: str
    content: str
    attachment_ids: list[str]


def parse_envelope(raw: bytes) -> Envelope | None:
    """A valid `{v:1, t, d}` envelope, or None (unknown/duplicate members, bad v or t, bad JSON)."""
    if len(raw) > PROTOCOL_MAX_BYTES:
        return None
    try:
        value = parse_json_bytes(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(value, dict) or isinstance(value, DupDict) or set(value) != {"v", "t", "d"}:
        return None
    version, event_type = value["v"], value["t"]
    if type(version) is not int or version != 1:
        return None
    if not isinstance(event_type, str) or not _EVENT_TYPE_RE.match(event_type):
        return None
    return Envelope(event_type, value["d"])


def _fields(d: Any, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """Struct-like decoding of `d`: an object with known members only, or a positional array."""
    if isinstance(d, list):
        if len(d) != len(names) + len(optional):
            return None
        return dict(zip(names + optional, d))
    if not isinstance(d, dict) or not set(d) <= set(names + optional) or not set(names) <= set(d):
        return None
    return dict(d)


def parse_subscribe(d: Any) -> Subscribe | None:
    fields = _fields(d, ("guild_id", "channel_id"))
    if fields is None or not is_ulid(fields["guild_id"]) or not is_ulid(fields["channel_id"]):
        return None
    return Subscribe(fields["guild_id"], fields["channel_id"])


def parse_message_create(d: Any) -> MessageCreateCommand | None:
    fields = _fields(d, ("guild_id", "channel_id", "content"), ("attachment_ids",))
    if fields is None or not is_ulid(fields["guild_id"]) or not is_ulid(fields["channel_id"]):
        return None
    content = fields["content"]
    raw_ids = fields.get("attachment_ids")
    if not isinstance(content, str) or not (raw_ids is None or isinstance(raw_ids, list)):
        return None
    ids = normalise_attachment_ids(raw_ids)
    if ids is None or not content_ok(content, ids):
        return None
    return MessageCreateCommand(fields["guild_id"], fields["channel_id"], content, ids)
