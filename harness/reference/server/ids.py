"""ULID identifiers and the wall clock.

Filament emits upper-case Crockford base32 ULIDs and integer unix seconds everywhere. Our ULIDs are
monotonic within the process (same millisecond -> random part + 1) so that ordering by id equals
creation order, which the "newest first" lists rely on.
"""

from __future__ import annotations

import os
import re
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_RE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_ULID_RE_ANY_CASE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$")

_lock = threading.Lock()
_last_ms = -1
_last_rand = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_ulid() -> str:
    """A fresh upper-case ULID, strictly greater than every earlier one of this process."""
    global _last_ms, _last_rand
    with _lock:
        ms = int(time.time() * 1000)
        if ms <= _last_ms:
            ms = _last_ms
            rand = _last_rand + 1
            if rand >= 1 << 80:  # overflow: borrow the next millisecond
                ms += 1
                rand = int.from_bytes(os.urandom(10), "big") >> 1
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 1  # keep headroom for increments
        _last_ms, _last_rand = ms, rand
        return _encode(ms, 10) + _encode(rand, 16)


def is_ulid(text: object) -> bool:
    """Whether `text` parses as a ULID (case-insensitive, like the Rust `ulid` crate)."""
    return isinstance(text, str) and bool(_ULID_RE_ANY_CASE.match(text))


def is_canonical_ulid(text: object) -> bool:
    return isinstance(text, str) and bool(_ULID_RE.match(text))


def canonical_ulid(text: str) -> str:
    """Parse-then-format, as the server does for ids typed as `Ulid` (user, role, ban ids)."""
    return text.upper()


def now_unix() -> int:
    return int(time.time())
