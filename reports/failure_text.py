"""One failure as text a person can act on, shared by JUnit bodies, Allure status traces and the pytest
gate: check and kind, the step, event and connection it concerns, expected vs observed, and for a leak
whether the recipient could have read the same data over REST (an over-delivery) or not (a security leak)."""
from __future__ import annotations

import json
from typing import Any

from harness.engine.results import FailureRecord
from harness.redact import Redactor

VALUE_CHARS = 1500
"""Expected/observed values are cut here; result.json and the attachments keep them whole."""


def redacted(failure: FailureRecord, redactor: Redactor) -> FailureRecord:
    """Redacted as data first, so a secret under a secret-named key is hidden even if never registered."""
    return FailureRecord.model_validate(redactor.redact(failure.model_dump(mode="json")))


def headline(failure: FailureRecord) -> str:
    return f"[{failure.check}/{failure.kind}] {failure.message}"


def describe(failure: FailureRecord) -> str:
    lines = [headline(failure), f"  check: {failure.check}  kind: {failure.kind}  step: {_text(failure.step)}"]
    lines.append(f"  event: {_text(failure.event_type)}")
    lines.append(f"  connection: {_text(failure.connection)}  client: {_text(failure.client)}")
    lines.append(f"  expected: {_value(failure.expected)}")
    lines.append(f"  observed: {_value(failure.observed)}")
    if failure.kind == "leak":
        lines.append(f"  readable over REST by the recipient: {rest_readability(failure.details)}")
    path = failure.details.get("path")
    if path:
        lines.append(f"  path: {path}")
    return "\n".join(lines)


def rest_readability(details: dict[str, Any]) -> str:
    readable = details.get("rest_readable")
    probe = details.get("rest_probe")
    verdict = {True: "yes (over-delivery: the same data is readable with its own token)",
               False: "no (security leak: its own token cannot read this)"}.get(readable, "unknown")
    return f"{verdict}" + (f" [{probe}]" if probe else "")


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


def _value(value: Any) -> str:
    if value is None:
        return "-"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"
