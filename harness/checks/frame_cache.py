"""Contract and redaction findings computed once per distinct frame text.

A fanout sends the same bytes to every recipient: 500 subscribers of a channel receive 500 copies of
one ``message_create``. Both per-frame checks are functions of the frame's text alone (the contract
check also of the client's protocol profile, the redaction check also of the known secrets), so the
findings of one copy are the findings of every copy, re-addressed to each frame's connection and
sequence number. Pure; bounded (the cache is emptied when it reaches its limit).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Collection, Iterable

from contracts.profiles import ProtocolProfile
from harness.checks.contract import check_frame as contract_findings
from harness.checks.contract import client_of
from harness.checks.redaction import SecretIndex
from harness.checks.redaction import check_frame as redaction_findings
from harness.checks.types import CheckFailure
from harness.history import ReceivedFrame

DEFAULT_LIMIT = 50_000


class FrameCheckCache:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._contract: dict[tuple[str, str], list[CheckFailure]] = {}
        self._redaction: dict[str, list[CheckFailure]] = {}
        self._secrets: SecretIndex | None = None
        self._secrets_version = -1
        self.hits = 0
        self.misses = 0

    def contract(self, frames: Iterable[ReceivedFrame], profile: ProtocolProfile) -> list[CheckFailure]:
        return self._each(frames, self._contract, lambda f: (profile.name, f.raw),
                          lambda f: contract_findings(f, profile=profile))

    def redaction(self, frames: Iterable[ReceivedFrame], secrets: Callable[[], Collection[str]],
                  version: int) -> list[CheckFailure]:
        """``version`` changes whenever the known secrets change (the redactor's count only grows)."""
        if version != self._secrets_version or self._secrets is None:
            self._secrets = SecretIndex(secrets())
            self._secrets_version = version
            self._redaction.clear()
        index = self._secrets
        return self._each(frames, self._redaction, lambda f: f.raw, lambda f: redaction_findings(f, index))

    def _each(self, frames: Iterable[ReceivedFrame], cache: dict, key_of: Callable, check: Callable) -> list[CheckFailure]:
        out: list[CheckFailure] = []
        for frame in frames:
            key = key_of(frame)
            found = cache.get(key)
            if found is None:
                self.misses += 1
                if len(cache) >= self.limit:
                    cache.clear()
                found = check(frame)
                cache[key] = found
                out += found
            else:
                self.hits += 1
                out += [_readdressed(f, frame) for f in found]
        return out


def _readdressed(failure: CheckFailure, frame: ReceivedFrame) -> CheckFailure:
    return replace(failure, conn=frame.conn, client=client_of(frame.conn), details={**failure.details, "seq": frame.seq})
