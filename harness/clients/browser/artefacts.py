"""Artefacts of a browser session on disk: their file names and the redaction of saved traces.

A Playwright trace records request headers, response bodies and typed text, so it holds the session's
tokens and password; :func:`redact_zip` rewrites it in place before it is kept as an artefact.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from harness.redact import Redactor

__all__ = ["file_stem", "redact_zip"]


def file_stem(label: str) -> str:
    """A client label as the stem of an artefact file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label) or "client"


def redact_zip(path: Path, redactor: Redactor) -> None:
    """Rewrite a trace zip with every text entry redacted (trace events, network log, bodies, typed text)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                target.writestr(info, data)  # images and other binaries carry no token text
                continue
            target.writestr(info, redactor.redact_text(text).encode("utf-8"))
    tmp.replace(path)
