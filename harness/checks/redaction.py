"""Redaction check: no received frame discloses what GATEWAY.md §7 withholds.

Pure. Each frame's ``raw`` text is parsed here with a parser that keeps *every* member, duplicates
included (a duplicate key must not be able to hide a leaked value from the check), and the whole
document is scanned, not only ``d``. Findings:

* ``forbidden_field`` — a member whose *name* is withheld (network addresses, credentials, storage
  locations, voice room credentials; see the lists below), a member of ``workspace_ip_ban_sync`` outside
  its allow-list, a non-empty ``message_create.reactions``, or a reactor list on ``message_reaction``;
* ``forbidden_value`` — a string that parses as an IP address or CIDR, looks like an access token
  (PASETO ``v4.local.``), a JWT (LiveKit) or a refresh token (``<ULID>.<43 base64url>``), or contains one
  of the caller's known ``secrets``;
* ``actor_field`` — ``actor_user_id`` on an event GATEWAY.md §4 lists without it, or nested anywhere.

Messages name the path and the rule, never the offending value.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Collection, Iterable, Iterator

from contracts.catalogue import CATALOGUE
from harness.checks.contract import client_of
from harness.checks.types import CheckClass, CheckFailure
from harness.history import ReceivedFrame

# --- the rules, as data -------------------------------------------------------------------------

FORBIDDEN_NAMES = frozenset({
    # Network data (§7; Filament's own IP-ban test asserts ip/ip_cidr/ip_network/source_ip/address).
    "ip", "ip_cidr", "ip_network", "source_ip", "address", "cidr", "network", "ip_address",
    "remote_addr", "x_forwarded_for", "forwarded_for", "user_agent",
    # Credentials (§7: access/refresh token, password (hash), session id, LiveKit token, room credential).
    "access_token", "refresh_token", "token", "password", "password_hash", "session_id",
    "livekit_token", "room_token", "captcha_token", "secret", "api_key",
    # Storage locations (§4.0 Attachment: "No storage key/path is exposed").
    "storage_key", "storage_path", "object_key", "file_path",
    # Voice room credentials (§7: only the participant identity, never room names or URLs).
    "livekit_url", "livekit_room", "room_name",
})
FORBIDDEN_SUFFIXES = ("_ip", "_ips", "_cidr", "_cidrs", "_address", "_token", "_secret", "_password", "_password_hash")
ATTACHMENT_FORBIDDEN_NAMES = frozenset({"path", "key", "url", "bucket"})
"""Inside an attachment object these generic names can only be a storage location."""
VOICE_FORBIDDEN_NAMES = frozenset({"room", "url", "server_url", "ws_url"})
"""Inside ``voice_*`` events: room names and URLs (§7)."""

IP_BAN_SYNC_ALLOWED = frozenset({
    "actor_user_id", "guild_id", "summary", "summary.action", "summary.changed_count", "updated_at_unix",
})
"""The only members ``workspace_ip_ban_sync`` may carry (§7), as paths inside ``d``."""

FREE_TEXT_MEMBERS = frozenset({"content", "text", "code", "href", "about_markdown", "emoji", "filename"})
"""User-authored text: may legitimately read like an IP address, so the IP-value rule skips it."""

MIN_SECRET_LENGTH = 8
"""Shorter "secrets" would match innocent text; every real credential is far longer."""

_TOKEN_PATTERNS = (
    ("paseto_token", re.compile(r"v[1-4]\.(?:local|public)\.[A-Za-z0-9_-]{16,}")),
    ("jwt", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    ("refresh_token_value", re.compile(
        r"(?<![A-Za-z0-9_-])[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")),
)
_IPV4_PORT = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}")
_IPV6_PORT = re.compile(r"\[([0-9A-Fa-f:.]+)\]:\d{1,5}")

# --- a parse that keeps every member --------------------------------------------------------------


class _Members(list):  # type: ignore[type-arg]
    """A JSON object as its list of (name, value) pairs, duplicates kept."""


def _parse_all_members(raw: str) -> Any:
    return json.loads(raw, object_pairs_hook=_Members)


@dataclass(frozen=True)
class _Node:
    path: str
    """Dotted path from the document root, e.g. ``d.summary.action`` or ``d.participants.0``."""
    name: str | None
    """Member name when this node is an object member; None for array items and the root."""
    owner: str | None
    """Nearest enclosing member name (for array items: the array's name)."""
    value: Any


def _nodes(value: Any, path: str = "", name: str | None = None, owner: str | None = None) -> Iterator[_Node]:
    yield _Node(path, name, owner, value)
    if isinstance(value, _Members):
        for key, item in value:
            yield from _nodes(item, f"{path}.{key}" if path else key, key, key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, f"{path}.{index}", None, owner)


def _member(document: Any, name: str) -> Any:
    if isinstance(document, _Members):
        for key, value in document:
            if key == name:
                return value
    return None


# --- the check ----------------------------------------------------------------------------------


def check_redaction(frames: Iterable[ReceivedFrame], *, secrets: Collection[str] = ()) -> list[CheckFailure]:
    """Every redaction failure over ``frames``, in frame order."""
    index = SecretIndex(secrets)
    failures: list[CheckFailure] = []
    for frame in frames:
        failures.extend(check_frame(frame, index))
    return failures


class SecretIndex:
    """Known secrets by their first MIN_SECRET_LENGTH characters: finding which occur in a frame is one
    pass over its text, however many secrets a long run has registered (testing each secret against
    each frame grows with both and dominated long runs)."""

    def __init__(self, secrets: Collection[str]) -> None:
        self.secrets = tuple(dict.fromkeys(s for s in secrets if len(s) >= MIN_SECRET_LENGTH))
        self._by_prefix: dict[str, list[int]] = {}
        for number, secret in enumerate(self.secrets):
            self._by_prefix.setdefault(secret[:MIN_SECRET_LENGTH], []).append(number)

    def present_in(self, text: str) -> list[tuple[int, str]]:
        """(number, secret) of every known secret occurring in ``text``."""
        if not self._by_prefix:
            return []
        hits: dict[int, str] = {}
        for start in range(len(text) - MIN_SECRET_LENGTH + 1):
            for number in self._by_prefix.get(text[start:start + MIN_SECRET_LENGTH], ()):
                if number not in hits and text.startswith(self.secrets[number], start):
                    hits[number] = self.secrets[number]
        return sorted(hits.items())


def check_frame(frame: ReceivedFrame, secrets: "Collection[str] | SecretIndex" = ()) -> list[CheckFailure]:
    index = secrets if isinstance(secrets, SecretIndex) else SecretIndex(secrets)
    try:
        document = _parse_all_members(frame.raw)
    except (ValueError, RecursionError):
        return _unparsed_frame(frame, index)
    event_type = _member(document, "t")
    event_type = event_type if isinstance(event_type, str) else None
    nodes = list(_nodes(document))
    found = [
        *_name_findings(nodes, event_type),
        *_value_findings(nodes),
        *_secret_findings(frame.raw, nodes, index),
        *_event_findings(nodes, event_type, _member(document, "d")),
    ]
    return [_as_failure(frame, event_type, finding) for finding in _dedupe(found)]


@dataclass(frozen=True)
class _Finding:
    kind: str
    path: str
    rule: str
    message: str


def _dedupe(findings: list[_Finding]) -> list[_Finding]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        if (finding.kind, finding.path) not in seen:
            seen.add((finding.kind, finding.path))
            unique.append(finding)
    return unique


def _as_failure(frame: ReceivedFrame, event_type: str | None, finding: _Finding) -> CheckFailure:
    return CheckFailure(
        check=CheckClass.REDACTION,
        kind=finding.kind,
        message=finding.message,
        event_type=event_type,
        conn=frame.conn,
        client=client_of(frame.conn),
        details={"seq": frame.seq, "path": finding.path, "rule": finding.rule},
    )


# --- rule: forbidden member names ----------------------------------------------------------------


def forbidden_name_rule(name: str, path: str, event_type: str | None) -> str | None:
    """Which name rule a member breaks, or None."""
    lowered = name.lower()
    if lowered in FORBIDDEN_NAMES:
        return "forbidden_name"
    if lowered.endswith(FORBIDDEN_SUFFIXES):
        return "forbidden_name_suffix"
    if lowered in ATTACHMENT_FORBIDDEN_NAMES and ".attachments." in f".{path}":
        return "attachment_storage_location"
    if lowered in VOICE_FORBIDDEN_NAMES and (event_type or "").startswith("voice_"):
        return "voice_room_credential"
    return None


def _name_findings(nodes: list[_Node], event_type: str | None) -> Iterator[_Finding]:
    for node in nodes:
        if node.name is None:
            continue
        rule = forbidden_name_rule(node.name, node.path, event_type)
        if rule:
            yield _Finding("forbidden_field", node.path, rule,
                           f"withheld member {node.path} present (rule {rule}, GATEWAY.md §7)")


# --- rule: forbidden values ---------------------------------------------------------------------


def looks_like_ip(value: str) -> bool:
    """An IP address, a CIDR / network, or an address with a port."""
    if not value or len(value) > 64 or not (":" in value or "." in value):
        return False
    for parse in (ipaddress.ip_address, ipaddress.ip_network):
        try:
            parse(value)
            return True
        except ValueError:
            pass
    if _IPV4_PORT.fullmatch(value):
        return looks_like_ip(value.rsplit(":", 1)[0])
    bracketed = _IPV6_PORT.fullmatch(value)
    return bool(bracketed and looks_like_ip(bracketed.group(1)))


def token_rule(value: str) -> str | None:
    """Which credential shape ``value`` contains, or None."""
    for rule, pattern in _TOKEN_PATTERNS:
        if pattern.search(value):
            return rule
    return None


def _value_findings(nodes: list[_Node]) -> Iterator[_Finding]:
    for node in nodes:
        if not isinstance(node.value, str):
            continue
        if node.owner not in FREE_TEXT_MEMBERS and looks_like_ip(node.value):
            yield _Finding("forbidden_value", node.path, "ip_value",
                           f"value at {node.path} parses as an IP address or network (rule ip_value, §7)")
            continue
        rule = token_rule(node.value)
        if rule:
            yield _Finding("forbidden_value", node.path, rule,
                           f"value at {node.path} has the shape of a credential (rule {rule}, §7)")


def _secret_findings(raw: str, nodes: list[_Node], secrets: SecretIndex) -> Iterator[_Finding]:
    for index, secret in secrets.present_in(raw):
        paths = [n.path for n in nodes if isinstance(n.value, str) and secret in n.value]
        paths += [n.path for n in nodes if n.name is not None and secret in n.name]
        if not paths and secret in raw:
            paths = ["(raw frame)"]
        for path in paths:
            yield _Finding("forbidden_value", path, "known_secret",
                           f"value at {path} contains known secret #{index} (rule known_secret)")


def _unparsed_frame(frame: ReceivedFrame, secrets: SecretIndex) -> list[CheckFailure]:
    """Not JSON at all: only text rules apply (the contract check reports the envelope error)."""
    found = [_Finding("forbidden_value", "(raw frame)", "known_secret",
                      f"frame text contains known secret #{i} (rule known_secret)")
             for i, _ in secrets.present_in(frame.raw)]
    rule = token_rule(frame.raw)
    if rule:
        found.append(_Finding("forbidden_value", "(raw frame)", rule,
                              f"frame text has the shape of a credential (rule {rule}, §7)"))
    return [_as_failure(frame, None, finding) for finding in _dedupe(found)]


# --- rules specific to one event type -----------------------------------------------------------


def _event_findings(nodes: list[_Node], event_type: str | None, data: Any) -> Iterator[_Finding]:
    in_d = [n for n in nodes if n.path.startswith("d.")]
    yield from _actor_findings(in_d, event_type)
    if event_type == "workspace_ip_ban_sync":
        yield from _ip_ban_sync_findings(in_d)
    elif event_type == "message_create":
        yield from _create_reaction_findings(data)
    elif event_type == "message_reaction":
        yield from _reaction_list_findings(in_d)


def _actor_findings(in_d: list[_Node], event_type: str | None) -> Iterator[_Finding]:
    spec = CATALOGUE.get(event_type or "")
    if spec is None:
        return  # unknown types: the contract check reports them; nothing says where an actor belongs
    for node in in_d:
        if node.name != "actor_user_id":
            continue
        if node.path != "d.actor_user_id":
            yield _Finding("actor_field", node.path, "actor_nested",
                           f"actor_user_id at {node.path}: only a top-level actor is allowed (§4, §7)")
        elif not spec.carries_actor:
            yield _Finding("actor_field", node.path, "actor_not_listed",
                           f"{spec.name} must not carry actor_user_id (GATEWAY.md §4 lists it without one, §7)")


def _ip_ban_sync_findings(in_d: list[_Node]) -> Iterator[_Finding]:
    for node in in_d:
        relative = node.path[2:]
        if node.name is not None and relative not in IP_BAN_SYNC_ALLOWED:
            yield _Finding("forbidden_field", node.path, "ip_ban_sync_allowlist",
                           f"workspace_ip_ban_sync may not carry {node.path} (only actor, guild, summary.action, "
                           "summary.changed_count, updated_at_unix; §7)")


def _create_reaction_findings(data: Any) -> Iterator[_Finding]:
    reactions = _member(data, "reactions")
    if isinstance(reactions, list) and reactions:
        yield _Finding("forbidden_field", "d.reactions", "reactions_on_create",
                       "message_create carries reactions; a new message has reactions [] (§4.0, §7)")


def _reaction_list_findings(in_d: list[_Node]) -> Iterator[_Finding]:
    for node in in_d:
        if node.name is not None and isinstance(node.value, list):
            yield _Finding("forbidden_field", node.path, "reaction_aggregate_only",
                           f"message_reaction carries a list at {node.path}: only the aggregate count and the "
                           "single actor are allowed (§7)")
