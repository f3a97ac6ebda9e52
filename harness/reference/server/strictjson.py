"""Strict JSON parsing shared by REST bodies and gateway envelopes.

Python's `json` accepts NaN/Infinity and silently keeps the last of duplicate keys; serde_json does
neither. Objects that carried a duplicate key come back as `DupDict` so the caller decides whether
that is an error at its level (it is for a top-level struct or envelope; inside `d` the last wins).
"""

from __future__ import annotations

import json
from typing import Any


class DupDict(dict):  # a JSON object that carried a duplicate key
    pass


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dup = False
    for key, value in pairs:
        dup = dup or key in out
        out[key] = value
    return DupDict(out) if dup else out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def parse_json_bytes(raw: bytes) -> Any:
    """Parse one JSON document (UTF-8, no NaN/Infinity); raises ValueError/UnicodeDecodeError."""
    return json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
