"""One parsed copy of a payload that many connections receive.

A fanout sends the same frame text to every recipient: a message to a channel of 50 subscribers is
50 equal strings, each parsed into an equal dict. Recording them as one shared string and one shared
parsed value costs one copy instead of N (a 2,000-client soak holds ~240,000 frames) and parses
once. Frames are never mutated after they are recorded (``ReceivedFrame`` is frozen and nothing
writes into ``data``), so sharing is invisible to the checks.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

Parsed = tuple[str | None, Any, str | None]
"""``(t, d, envelope_error)`` of :func:`harness.clients.gateway.parse_envelope`."""

MAX_ENTRIES = 4096
"""Recent distinct payloads remembered: a fanout's copies arrive within moments of each other."""
MAX_SHARED_BYTES = 64 * 1024
"""Larger frames are parsed per copy: rare, and a cache of them would hold megabytes."""


class SharedPayloads:
    """An LRU of recently received frame texts and their parse, shared by every connection of a run."""

    def __init__(self, parse: Callable[[str], Parsed], max_entries: int = MAX_ENTRIES) -> None:
        self._parse = parse
        self._max = max_entries
        self._recent: OrderedDict[str, tuple[str, Parsed]] = OrderedDict()
        self.hits = 0

    def get(self, raw: str) -> tuple[str, Parsed]:
        """The shared copy of ``raw`` and its parse (``raw`` itself and a fresh parse the first time)."""
        if len(raw) > MAX_SHARED_BYTES:
            return raw, self._parse(raw)
        found = self._recent.get(raw)
        if found is not None:
            self._recent.move_to_end(raw)
            self.hits += 1
            return found
        entry = (raw, self._parse(raw))
        self._recent[raw] = entry
        if len(self._recent) > self._max:
            self._recent.popitem(last=False)
        return entry
