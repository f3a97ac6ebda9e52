"""Write the versioned JSON result (docs/result-schema.md), redacted, atomically."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.redact import Redactor
from harness.engine.results import RunResult


def write_json(result: RunResult, path: Path, redactor: Redactor) -> Path:
    data = redactor.redact(result.model_dump(mode="json"))
    write_json_data(data, path)
    return path


def write_json_data(data: Any, path: Path) -> None:
    """Write through a temporary file so an interrupted run never leaves half a JSON document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"  # fails before any file exists
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # never leave a stray .tmp beside the result
        raise
