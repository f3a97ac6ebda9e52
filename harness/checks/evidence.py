"""Bounded evidence: what a failure or an artefact may embed of a value the server sent.

A server can send frames and bodies of any size; a report must not grow with them (one 10 MB frame per
connection once made a 63 MB ``result.json``). A value whose JSON text is at most ``limit`` bytes is
kept as it is; a bigger one is replaced by a small record with its first bytes, its size and the
sha256 digest of its full text, so two reports can still be compared and the value recognised::

    {"truncated": true, "bytes": 10000000, "sha256": "9f86…", "excerpt": "{\\"v\\":1,\\"t\\":\\"…"}

Pure. Secrets in an excerpt are redacted by the writer, like every other value; an excerpt never ends
inside a token-like run of characters (see :func:`excerpt_of`), so a cut cannot leave half a secret
that redaction no longer recognises.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["EVIDENCE_BYTES", "EXCERPT_CHARS", "bounded", "digest_record", "excerpt_of", "is_truncated"]

EVIDENCE_BYTES = 4096
"""Largest JSON text of one value a failure embeds as it is."""
EXCERPT_CHARS = 512
"""Characters of a too-big value's text kept as its excerpt."""


def bounded(value: Any, limit: int = EVIDENCE_BYTES) -> Any:
    """``value`` itself when its JSON text fits in ``limit`` bytes, else its :func:`digest_record`."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= limit // 4:  # cheap path: cannot exceed the limit
        return value
    try:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, RecursionError, TypeError):
        return {"truncated": True, "unserialisable": type(value).__name__}
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return value
    return digest_record(text, data)


def digest_record(text: str, data: bytes | None = None, *, excerpt_chars: int = EXCERPT_CHARS) -> dict[str, Any]:
    """The bounded stand-in of ``text``: first characters, size in bytes, sha256 of the whole."""
    data = text.encode("utf-8", "surrogatepass") if data is None else data
    return {"truncated": True, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "excerpt": excerpt_of(text, excerpt_chars)}


_BOUNDARIES = frozenset('",:{}[] \n')


def excerpt_of(text: str, chars: int = EXCERPT_CHARS) -> str:
    """At most ``chars`` characters from the start of ``text``, cut back to a JSON boundary (a quote,
    comma, colon, bracket or space): tokens and passwords are runs without those characters, so the
    excerpt holds a secret whole (for redaction to find) or not at all."""
    if len(text) <= chars:
        return text
    head = text[:chars]
    cut = max((i for i in range(len(head) - 1, -1, -1) if head[i] in _BOUNDARIES), default=-1)
    return head[: cut + 1]


def is_truncated(value: Any) -> bool:
    return isinstance(value, dict) and value.get("truncated") is True
