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
from collections import Counter
from dataclasses import replace
from typing import Any

from harness.checks.types import CheckFailure

__all__ = ["EVIDENCE_BYTES", "EXCERPT_CHARS", "FAILURES_PER_KIND", "bounded", "cap_per_kind", "digest_record",
           "excerpt_of", "is_omission", "is_truncated", "omission_record"]

EVIDENCE_BYTES = 4096
"""Largest JSON text of one value a failure embeds as it is."""
EXCERPT_CHARS = 512
"""Characters of a too-big value's text kept as its excerpt."""
FAILURES_PER_KIND = 100
"""Failures of one ``check/kind`` a scenario lists; the rest are counted in one last record."""


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


def cap_per_kind(failures: list[CheckFailure], limit: int = FAILURES_PER_KIND) -> list[CheckFailure]:
    """The first ``limit`` failures of each ``check/kind``, in order; for a kind with more, its last
    listed failure is followed by one record saying how many were left out (``details.omitted``).
    Omission records already in ``failures`` (a soak's retired history, harness.checks.retirement)
    add their counts to that one record.

    A server can make one scenario fail in an unbounded number of distinct ways (a flood of frames of
    20,000 different event types); the report lists enough of each kind to act on and stays small."""
    seen: Counter[tuple[str, str]] = Counter()
    omitted: Counter[tuple[str, str]] = Counter()
    kept: list[CheckFailure] = []
    for failure in failures:
        key = (failure.check.value, failure.kind)
        if is_omission(failure):
            omitted[key] += failure.details["omitted"]
            continue
        seen[key] += 1
        if seen[key] <= limit:
            kept.append(failure)
        else:
            omitted[key] += 1
    for (check, kind), count in omitted.items():
        listed = [i for i, f in enumerate(kept) if (f.check.value, f.kind) == (check, kind)]
        if listed:
            kept.insert(listed[-1] + 1, omission_record(kept[listed[-1]], count))
    return kept


def omission_record(last: CheckFailure, omitted: int) -> CheckFailure:
    """The record that follows the last listed failure of a kind: ``omitted`` more were not listed."""
    return replace(last, message=f"… and {omitted} more {last.check.value}/{last.kind} failures, not listed",
                   step=None, event_type=None, conn=None, client=None, expected=None, observed=None,
                   details={"omitted": omitted})


def is_omission(failure: CheckFailure) -> bool:
    return isinstance(failure.details.get("omitted"), int) and failure.conn is None and failure.step is None
