"""A harness crash inside a scenario, turned into what a report can hold: a one-line cause for the
result (and the console, JUnit and Allure) and the full traceback as an artefact beside the report.

A scenario that crashes (a server answer the harness did not expect, a bug of the harness itself)
must end as ``error`` with its cause, never vanish from the report or let the run say ``passed``.
"""
from __future__ import annotations

import traceback
from pathlib import Path

from harness.engine.artefacts import scenario_dir
from harness.engine.results import ArtefactRecord
from harness.redact import Redactor

MAX_CAUSE_CHARS = 300


def one_line_cause(exc: BaseException) -> str:
    """``harness crashed: KeyError: 'guild_id'`` — the exception's type and the first line of its text."""
    text = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:  # where it broke, so the one line already points at the code that met the surprise
        detail += f" (at {_short_path(frames[-1].filename)}:{frames[-1].lineno})"
    if len(detail) > MAX_CAUSE_CHARS:
        detail = detail[: MAX_CAUSE_CHARS - 1] + "…"
    return f"harness crashed: {detail}"


def _short_path(filename: str) -> str:
    parts = Path(filename).parts
    for root in ("harness", "scenarios", "contracts", "reports", "fixtures"):
        if root in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(root):])
    return Path(filename).name


def traceback_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def write_traceback(root: Path | None, scenario_id: str, text: str, redactor: Redactor) -> list[ArtefactRecord]:
    """Write ``traceback.txt`` (redacted) in the scenario's artefact folder; nothing without a report
    folder. Never raises: a traceback that cannot be saved must not hide the scenario's status."""
    if root is None:
        return []
    path = scenario_dir(root, scenario_id) / "traceback.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redactor.redact_text(text), encoding="utf-8")
    except OSError:
        return []
    return [ArtefactRecord(kind="log", path=str(path))]
