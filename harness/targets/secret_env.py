"""Which ``--target-env`` values are secrets: their values are redacted from every log and report."""
from __future__ import annotations

from collections.abc import Mapping

from harness.redact import Redactor

__all__ = ["SECRET_NAME_PARTS", "redact_secret_env"]

SECRET_NAME_PARTS = ("SECRET", "PASSWORD", "TOKEN", "KEY", "DATABASE_URL")
"""A variable whose name contains one of these carries a secret (database URLs carry passwords)."""


def redact_secret_env(redactor: Redactor, env: Mapping[str, str]) -> None:
    for name, value in env.items():
        if any(part in name.upper() for part in SECRET_NAME_PARTS):
            redactor.add(value, "target_env")
