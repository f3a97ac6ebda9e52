"""The target's own logs in the report: ``<report>/target-logs/<service>.log`` (docker: and compose: targets).

Each log was redacted by the target (secret ``--target-env`` values) and is redacted again here with
the run's redactor (every token and password the clients saw), so a server that logs a request line
with a token in it leaks nothing into the report.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from harness.redact import Redactor

__all__ = ["TARGET_LOGS_DIR", "write_target_logs"]

TARGET_LOGS_DIR = "target-logs"


def write_target_logs(logs: Mapping[str, str], redactor: Redactor, home: Path | None) -> list[Path]:
    """Write one file per service under ``home/target-logs``; returns the files written."""
    if home is None or not logs:
        return []
    directory = home / TARGET_LOGS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for service, text in sorted(logs.items()):
        path = directory / (re.sub(r"[^A-Za-z0-9_.-]", "_", service) + ".log")
        path.write_text(redactor.redact_text(text), encoding="utf-8")
        written.append(path)
    return written
