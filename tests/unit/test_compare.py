"""Run-to-run comparison (reports/compare.py): which scenarios are new failures, fixed, still failing or
flaky, over results as result.json holds them; a bad previous file is a one-line usage error."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import UsageError
from reports.compare import compare, describe, load_previous


def _run(started: str, **statuses: str) -> dict:
    scenarios = [{"id": sid.replace("_", "."), "status": status,
                  "failures": [{"check": "delivery", "kind": "leak"}] if status == "failed" else []}
                 for sid, status in statuses.items()]
    return {"started_at": started, "status": "failed", "scenarios": scenarios}


def test_each_scenario_lands_in_exactly_the_bucket_its_history_says() -> None:
    previous = [_run("2026-01-01", a="passed", b="failed", c="failed", d="passed", e="passed", f="failed"),
                _run("2026-01-02", a="passed", b="failed", c="passed", d="failed", e="passed", f="failed")]
    now = _run("2026-01-03", a="failed", b="passed", c="failed", d="passed", e="passed", f="failed", g="error")
    result = compare(now, previous)
    assert result["new_failures"] == ["a", "c", "g"]  # g never ran before
    assert result["fixed"] == ["b", "d"]  # flaky is a label on top: d is fixed now, and flaky
    assert result["still_failing"] == ["f"]
    assert result["flaky"] == ["c", "d"]  # fail→pass→fail and pass→fail→pass; a single flip is not flaky
    assert result["history"]["c"] == ["fail", "pass", "fail"]


def test_still_failing_names_the_checks_that_are_new_and_skips_are_ignored() -> None:
    before = _run("2026-01-01", a="failed", b="passed")
    now = _run("2026-01-02", a="failed", b="skipped")
    now["scenarios"][0]["failures"].append({"check": "convergence", "kind": "diverged_from_rest"})
    result = compare(now, [before])
    assert result["still_failing"] == ["a"] and result["new_checks"] == {"a": ["convergence/diverged_from_rest"]}
    assert "b" not in result["history"]
    assert "  still failing (1): a" in describe(result)


def test_previous_runs_are_ordered_by_their_start_not_by_the_command_line(tmp_path: Path) -> None:
    newer, older = tmp_path / "newer.json", tmp_path / "older.json"
    newer.write_text(json.dumps(_run("2026-02-01T00:00:00", a="failed")))
    older.write_text(json.dumps(_run("2026-01-01T00:00:00", a="passed")))
    runs = load_previous([newer, older])
    assert [r["started_at"] for r in runs] == ["2026-01-01T00:00:00", "2026-02-01T00:00:00"]
    assert compare(_run("2026-03-01", a="failed"), runs)["still_failing"] == ["a"]


@pytest.mark.parametrize("content, why", [(None, "cannot read it"), ("{not json", "not JSON"),
                                          ('{"tool": "x"}', "not a sync-harness result")])
def test_a_bad_previous_file_is_a_one_line_usage_error(tmp_path: Path, content: str | None, why: str) -> None:
    path = tmp_path / "previous.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=why):
        load_previous([path])
