"""Contract check: every received frame is a valid envelope whose payload matches contracts/.

Pure and linear in the total frame size. It re-parses ``ReceivedFrame.raw`` itself and ignores the
recorder's ``event_type`` / ``data`` / ``envelope_error``: a lenient recorder (or one that fixed a frame
up while reducing it) must not be able to hide a contract violation.

Per frame, in order: size (``oversized``), envelope (``envelope``, stops here), egress layout
(``unsorted_keys`` / ``non_canonical``, warnings), event type against the client's protocol profile
(``unknown_event``, severity from the profile; a type the profile does not know but the catalogue does is
still validated against the catalogue, because the server's contract does not depend on which client
listens), payload schema (``schema``, stops here), and additive members the contract does not declare
(``unknown_field``, warnings).
"""
from __future__ import annotations

from typing import Iterable

from contracts.catalogue import CATALOGUE, validate_payload
from contracts.envelope import (
    MAX_EVENT_BYTES,
    Envelope,
    EnvelopeError,
    egress_bytes,
    layout_issues,
    parse_envelope,
    unsorted_key_paths,
)
from contracts.profiles import CURRENT, ProtocolProfile
from harness.checks.evidence import excerpt_of
from harness.checks.types import CheckClass, CheckFailure, Severity
from harness.history import ReceivedFrame

_RAW_EXCERPT = 160


def check_contract(
    frames: Iterable[ReceivedFrame],
    *,
    profile: ProtocolProfile = CURRENT,
    max_event_bytes: int = MAX_EVENT_BYTES,
) -> list[CheckFailure]:
    """Every contract finding over ``frames`` (errors and warnings), in frame order."""
    failures: list[CheckFailure] = []
    for frame in frames:
        failures.extend(check_frame(frame, profile=profile, max_event_bytes=max_event_bytes))
    return failures


def check_frame(
    frame: ReceivedFrame, *, profile: ProtocolProfile = CURRENT, max_event_bytes: int = MAX_EVENT_BYTES
) -> list[CheckFailure]:
    found = _size_findings(frame, max_event_bytes)
    try:
        # The size rule is reported above on its own; keep checking the content of an oversized frame.
        envelope = parse_envelope(frame.raw, max_bytes=None)
    except EnvelopeError as exc:
        return found + [_envelope_failure(frame, exc)]
    found += _layout_findings(frame, envelope)
    model = profile.model_for(envelope.t)
    if model is None:
        found.append(_unknown_event(frame, envelope.t, profile))
        # A type this client ignores is still part of the server's contract: keep checking its shape.
        spec = CATALOGUE.get(envelope.t)
        if spec is None:
            return found
        model = spec.model
    result = validate_payload(model, envelope.d)
    if not result.ok:
        return found + [_schema_failure(frame, envelope.t, result.errors, profile)]
    return found + [_unknown_field(frame, envelope.t, path) for path in result.unknown_fields]


def _failure(frame: ReceivedFrame, kind: str, message: str, *, event_type: str | None = None,
             severity: Severity = "error", **details: object) -> CheckFailure:
    return CheckFailure(
        check=CheckClass.CONTRACT,
        kind=kind,
        message=message,
        event_type=event_type,
        conn=frame.conn,
        client=client_of(frame.conn),
        severity=severity,
        details={"seq": frame.seq, **details},
    )


def client_of(conn: str) -> str:
    """``alice.1/ws0`` → ``alice.1`` (connection ids are ``<client label>/<connection index>``)."""
    return conn.split("/", 1)[0]


def _size_findings(frame: ReceivedFrame, limit: int) -> list[CheckFailure]:
    size = egress_bytes(frame.raw)
    if size <= limit:
        return []
    return [_failure(frame, "oversized", f"frame of {size} bytes exceeds the {limit}-byte event limit",
                     bytes=size, limit=limit)]


def _envelope_failure(frame: ReceivedFrame, exc: EnvelopeError) -> CheckFailure:
    return _failure(frame, "envelope", f"not a valid {{v,t,d}} envelope: {exc}",
                    reason=exc.reason, raw_excerpt=excerpt_of(frame.raw, _RAW_EXCERPT))


def _layout_findings(frame: ReceivedFrame, envelope: Envelope) -> list[CheckFailure]:
    # Warnings only: a byte-compatible server sorts keys and writes compactly, but clients must not rely on it.
    found = []
    unsorted = unsorted_key_paths(envelope.d)
    if unsorted:
        found.append(_failure(frame, "unsorted_keys", f"object keys not in byte-wise order at {unsorted}",
                              event_type=envelope.t, severity="warning", paths=unsorted))
    issues = layout_issues(frame.raw, envelope) if isinstance(frame.raw, str) else []
    if issues:
        found.append(_failure(frame, "non_canonical", "; ".join(issues), event_type=envelope.t,
                              severity="warning", issues=issues))
    return found


def _unknown_event(frame: ReceivedFrame, event_type: str, profile: ProtocolProfile) -> CheckFailure:
    return _failure(frame, "unknown_event", f"event type {event_type!r} is unknown to profile {profile.name!r}",
                    event_type=event_type, severity=profile.unknown_event_severity, profile=profile.name)


def _schema_failure(frame: ReceivedFrame, event_type: str, errors: list[str], profile: ProtocolProfile) -> CheckFailure:
    summary = errors[0] if len(errors) == 1 else f"{errors[0]} (+{len(errors) - 1} more)"
    return _failure(frame, "schema", f"{event_type} payload does not match the contract: {summary}",
                    event_type=event_type, errors=errors, profile=profile.name)


def _unknown_field(frame: ReceivedFrame, event_type: str, path: str) -> CheckFailure:
    return _failure(frame, "unknown_field", f"{event_type} carries undeclared member d.{path} (tolerated)",
                    event_type=event_type, severity="warning", path=f"d.{path}")
