"""The documented result schema (docs/result-schema.json) is exactly what the code writes."""
import json
from pathlib import Path

from harness.engine.results import SCHEMA_VERSION, RunResult, result_json_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_checked_in_schema_matches_the_code():
    documented = json.loads((DOCS / "result-schema.json").read_text())
    assert documented == result_json_schema(), (
        "docs/result-schema.json is stale: regenerate it with "
        "python -c 'import json; from harness.engine.results import result_json_schema; "
        "print(json.dumps(result_json_schema(), indent=2))' > docs/result-schema.json")


def test_every_top_level_field_is_described_in_the_markdown():
    text = (DOCS / "result-schema.md").read_text()
    missing = [name for name in RunResult.model_fields if f"`{name}`" not in text]
    assert not missing, f"docs/result-schema.md does not describe: {missing}"
    assert f"`{SCHEMA_VERSION}`" in text


def test_unknown_fields_are_rejected_so_the_schema_cannot_drift_silently():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        RunResult.model_validate({"status": "passed", "started_at": "x", "duration_s": 0,
                                  "target": {"spec": "r", "description": "d"}, "options": {},
                                  "summary": {"total": 0, "passed": 0, "failed": 0, "error": 0, "skipped": 0},
                                  "surprise": 1})
