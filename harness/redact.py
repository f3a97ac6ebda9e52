"""Redaction of secrets in everything the harness writes: artefacts, logs, error messages.

A :class:`Redactor` knows every secret issued during a run (access tokens, refresh tokens, passwords,
registered by :class:`harness.clients.rest.RestSession` as they are issued or used) and replaces them
wherever they appear: in strings, bytes, nested JSON-like structures (dicts, lists, tuples,
dataclasses such as :class:`harness.history.ReceivedFrame`) and URLs. On top of the exact secrets it
redacts by shape and by name, so a secret the harness never saw (a token issued to a browser client, a
token echoed back in a payload) is still caught:

* patterns: PASETO tokens (``v4.local.…``), JWTs (``eyJ….….…``), refresh-token shaped strings
  (``<ULID>.<43 base64url chars>``), ``Authorization:``/``Bearer`` values, and ``access_token=`` /
  ``refresh_token=`` / ``token=`` / ``password=`` query values;
* keys: the values of ``password``, ``access_token``, ``refresh_token``, ``token``,
  ``authorization`` (and a few siblings, see :data:`SECRET_KEYS`) in mappings and in JSON text.

Replacements look like ``«redacted:access_token»`` so an artefact still shows *what* was there.
The redactor is thread-safe (log records arrive from process-drain threads) and never raises.

Logging: :func:`install_log_redaction` redacts every record when it is created, so no handler (now
or later) ever sees a secret.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Callable
from urllib.parse import quote, quote_plus

__all__ = [
    "MIN_SECRET_LENGTH",
    "SECRET_KEYS",
    "Redactor",
    "RedactingFilter",
    "install_log_redaction",
    "placeholder",
]

MIN_SECRET_LENGTH = 6
"""Secrets shorter than this are not registered (redacting ``"abc"`` everywhere would wreck
artefacts; Filament passwords are at least 12 bytes and tokens are far longer)."""

SECRET_KEYS: frozenset[str] = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "access_token",
        "refresh_token",
        "token",
        "authorization",
        "captcha_token",
        "livekit_token",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)
"""Mapping keys (compared case-insensitively) whose values are always redacted."""


def placeholder(kind: str) -> str:
    return f"«redacted:{kind}»"


_B64URL = r"A-Za-z0-9_\-"
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"

# (kind, compiled pattern, group index of the secret part or 0 for the whole match)
_PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    # Key/value pairs inside JSON text: "password":"...", "access_token": "..."
    (
        "__json_key__",
        re.compile(
            r'"(password|new_password|current_password|access_token|refresh_token|token|'
            r'authorization|captcha_token|livekit_token)"(\s*:\s*)"((?:[^"\\]|\\.)*)"',
            re.IGNORECASE,
        ),
        3,
    ),
    # The same inside JSON that is itself a JSON string (an artefact holding raw frames): \"password\":\"...\"
    (
        "__json_key__",
        re.compile(
            r'\\"(password|new_password|current_password|access_token|refresh_token|token|'
            r'authorization|captcha_token|livekit_token)\\"(\s*:\s*)\\"((?:[^"\\]|\\[^"])*)\\"',
            re.IGNORECASE,
        ),
        3,
    ),
    # Query-string or form values: ?access_token=..., &password=...
    (
        "__query__",
        re.compile(
            r"(?<![A-Za-z0-9_])(access_token|refresh_token|token|password|captcha_token)=([^&#\s\"'<>]+)",
            re.IGNORECASE,
        ),
        2,
    ),
    # Authorization header lines in text (logs, dumped requests).
    (
        "authorization",
        re.compile(r"(?i)\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:bearer|basic)\s+)?([^\s\"',;}]+)"),
        1,
    ),
    # Passwords in URL userinfo: postgres://user:secret@host/db
    ("password", re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^/@:\s\"']+:([^/@\s\"']+)@"), 1),
    ("bearer", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=\-]{8,})"), 1),
    # PASETO (v1–v4, local or public, optional footer).
    ("paseto", re.compile(rf"\bv[1-4]\.(?:local|public)\.[{_B64URL}]+(?:\.[{_B64URL}]+)?"), 0),
    # JWT: three base64url segments, header starts with {"  -> eyJ
    ("jwt", re.compile(rf"\beyJ[{_B64URL}]+\.[{_B64URL}]+\.[{_B64URL}]*"), 0),
    # Signed tokens with a short version prefix and a base64url JSON claims part ("fat1.eyJ….<sig>",
    # the reference target's access tokens) — two segments after the prefix, unlike a JWT.
    ("signed_token", re.compile(rf"(?<![{_B64URL}.])[A-Za-z0-9]{{1,10}}\.eyJ[{_B64URL}]{{8,}}\.[{_B64URL}]{{16,}}"), 0),
    # Filament refresh token: <session ULID>.<43 base64url chars> (32 random bytes, no padding).
    ("refresh_token", re.compile(rf"(?<![{_B64URL}]){_ULID}\.[{_B64URL}]{{43}}(?![{_B64URL}])"), 0),
)


class Redactor:
    """The run's secret registry and the one place that knows how to hide secrets."""

    def __init__(self, secrets: Iterable[tuple[str, str]] = (), *, patterns: bool = True) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}  # needle -> kind
        self._by_prefix: dict[str, list[str]] = {}
        """Known spellings indexed by their first MIN_SECRET_LENGTH characters, longest first: finding
        them is one dict lookup per text position, with nothing to rebuild when a secret is added (a run
        registers hundreds; one regex alternation of all of them had to be recompiled every time)."""
        self.patterns = patterns
        for kind, value in secrets:
            self.add(value, kind)

    # ------------------------------------------------------------------ registry
    def add(self, secret: str | bytes | None, kind: str = "secret") -> None:
        """Register a secret. Its JSON-escaped and URL-encoded spellings are registered too."""
        if secret is None:
            return
        if isinstance(secret, bytes):
            secret = secret.decode("utf-8", "surrogateescape")
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            return
        import json

        variants = {
            secret,
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            quote(secret, safe=""),
            quote_plus(secret, safe=""),
        }
        with self._lock:
            for v in variants:
                if v and v not in self._secrets:
                    self._secrets[v] = kind
                    bucket = self._by_prefix.setdefault(v[:MIN_SECRET_LENGTH], [])
                    bucket.append(v)
                    bucket.sort(key=len, reverse=True)

    def _known_spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, kind) of every known secret in ``text``, left to right, longest match first."""
        spans: list[tuple[int, int, str]] = []
        index, by_prefix, last = 0, self._by_prefix, len(text) - MIN_SECRET_LENGTH
        while index <= last:
            for secret in by_prefix.get(text[index:index + MIN_SECRET_LENGTH], ()):
                if text.startswith(secret, index):
                    spans.append((index, index + len(secret), self._secrets[secret]))
                    index += len(secret) - 1
                    break
            index += 1
        return spans

    def add_password(self, password: str | None) -> None:
        self.add(password, "password")

    def add_access_token(self, token: str | None) -> None:
        self.add(token, "access_token")

    def add_refresh_token(self, token: str | None) -> None:
        self.add(token, "refresh_token")

    def __contains__(self, secret: object) -> bool:
        return isinstance(secret, str) and secret in self._secrets

    def __len__(self) -> int:
        return len(self._secrets)

    def known_secrets(self) -> dict[str, str]:
        """Every registered spelling of every secret, mapped to its kind (for a redaction check)."""
        with self._lock:
            return dict(self._secrets)

    def find(self, text: str) -> list[str]:
        """Kinds of the secrets (exact or pattern-shaped) present in ``text``; empty when clean."""
        found = [kind for _, _, kind in self._known_spans(text)] if self._by_prefix else []
        if self.patterns:
            for kind, pattern, group in _PATTERNS:
                for m in pattern.finditer(text):
                    secret = m.group(group)
                    if not secret or _is_placeholder(secret):
                        continue
                    if kind in ("__json_key__", "__query__"):
                        found.append(m.group(1).lower())
                    else:
                        found.append(kind)
        return found

    # ------------------------------------------------------------------ redaction
    def redact_text(self, text: str) -> str:
        try:
            return self._redact_text(text)
        except Exception:  # pragma: no cover - redaction must never take a run down
            return "«redaction failed»"

    def _redact_text(self, text: str) -> str:
        if not text:
            return text
        if self._by_prefix:
            text = _replace_spans(text, self._known_spans(text))
        if not self.patterns:
            return text
        for kind, pattern, group in _PATTERNS:
            if kind == "__json_key__":
                text = pattern.sub(
                    lambda m: _replace_group(m, 3, _json_value_placeholder(m.group(1), m.group(3))), text
                )
            elif kind == "__query__":
                text = pattern.sub(
                    lambda m: f"{m.group(1)}={_value_placeholder(m.group(1), m.group(2))}", text
                )
            elif group:
                text = pattern.sub(
                    lambda m, k=kind, g=group: _replace_group(m, g, placeholder(k)), text
                )
            else:
                text = pattern.sub(placeholder(kind), text)
        return text

    def redact_bytes(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogateescape")
        red = self.redact_text(text)
        if red is text:
            return data
        return red.encode("utf-8", "surrogateescape")

    def redact_url(self, url: str) -> str:
        """A URL with every secret query value (``access_token=`` …) and userinfo password hidden."""
        return self.redact_text(url)

    def redact_headers(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
        items = headers.items() if isinstance(headers, Mapping) else headers
        out: dict[str, Any] = {}
        for k, v in items:
            out[k] = placeholder(str(k).lower()) if str(k).lower() in SECRET_KEYS else self.redact(v)
        return out

    def redact(self, value: Any) -> Any:
        """Redact any JSON-like value (or dataclass instance), returning a redacted copy."""
        return self._redact(value, 0)

    def _redact(self, value: Any, depth: int) -> Any:
        if depth > 64:
            return value
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, (bytes, bytearray)):
            return self.redact_bytes(bytes(value))
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                if isinstance(k, str) and k.lower() in SECRET_KEYS and v not in (None, "", b""):
                    out[k] = placeholder(k.lower())
                else:
                    out[k] = self._redact(v, depth + 1)
            return out
        if isinstance(value, list):
            return [self._redact(v, depth + 1) for v in value]
        if isinstance(value, tuple):
            items = [self._redact(v, depth + 1) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        if isinstance(value, (set, frozenset)):
            return type(value)(self._redact(v, depth + 1) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                f.name: self._redact(getattr(value, f.name), depth + 1)
                for f in dataclasses.fields(value)
                if f.init
            }
            try:
                return dataclasses.replace(value, **changes)
            except Exception:  # pragma: no cover
                return changes
        return value

    # ------------------------------------------------------------------ logging
    def logging_filter(self) -> "RedactingFilter":
        return RedactingFilter(self)


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    parts, cursor = [], 0
    for start, end, kind in spans:
        parts += [text[cursor:start], placeholder(kind)]
        cursor = end
    return "".join(parts) + text[cursor:]


def _is_placeholder(value: str) -> bool:
    return value.startswith("«redacted:") or value[:16].lower().startswith("\\u00abredacted:")


def _replace_group(m: re.Match[str], group: int, repl: str) -> str:
    if _is_placeholder(m.group(group)) or m.group(group) == repl:
        return m.group(0)
    start, end = m.span(group)
    base = m.start(0)
    whole = m.group(0)
    return whole[: start - base] + repl + whole[end - base :]


def _value_placeholder(key: str, value: str) -> str:
    if _is_placeholder(value):
        return value
    return placeholder(key.lower())


def _json_value_placeholder(key: str, value: str) -> str:
    if value == "" or _is_placeholder(value):
        return value
    return placeholder(key.lower())


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message (and exception text) redacted.

    Attach it to *handlers* (filters on a logger do not see records propagated from child loggers).
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = self.redactor.redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact_text(record.stack_info)
        return True


def install_log_redaction(redactor: Redactor) -> Callable[[], None]:
    """Redact every log record as it is created, whatever handler later writes it: the default stderr
    handler, pytest's log capture, a user's file handler — including handlers added after this call
    (a per-handler filter misses those). Returns a function that restores the previous factory."""
    previous = logging.getLogRecordFactory()
    scrub = RedactingFilter(redactor)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrub.filter(record)
        return record

    logging.setLogRecordFactory(factory)

    def restore() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)

    return restore
