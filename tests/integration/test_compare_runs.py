"""`run --compare`: a clean run, then the same scenarios with a planted fault; the comparison lists
exactly the scenarios the fault broke as new failures (console, comparison.json, report.html)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCENARIOS = ["--scenario", "row.message.create", "--scenario", "row.message.edit", "--scenario", "row.reaction.add"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", "run", *SCENARIOS, *args], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ))


def test_compare_lists_exactly_the_new_failures_of_a_planted_fault(tmp_path: Path) -> None:
    clean = _run("--json", str(tmp_path / "clean.json"))
    assert clean.returncode == 0, clean.stderr
    faulty = _run("--fault", "suppress:message_update", "--report", str(tmp_path / "report"),
                  "--compare", str(tmp_path / "clean.json"))
    assert faulty.returncode == 1, faulty.stderr
    comparison = json.loads((tmp_path / "report" / "comparison.json").read_text())
    assert comparison["new_failures"] == ["row.message.edit"]
    assert comparison["fixed"] == comparison["still_failing"] == comparison["flaky"] == []
    assert "new failures (1): row.message.edit" in faulty.stderr
    html = (tmp_path / "report" / "report.html").read_text()
    assert 'id="compare-new_failures"><div><a href="#scenario-row-message-edit">row.message.edit</a>' in html

    # The same fault again, compared with both earlier runs: nothing is new, the edit is still failing.
    again = _run("--fault", "suppress:message_update", "--json", str(tmp_path / "again.json"),
                 "--compare", str(tmp_path / "report" / "result.json"), "--compare", str(tmp_path / "clean.json"))
    assert again.returncode == 1
    assert "new failures (0): -" in again.stderr and "still failing (1): row.message.edit" in again.stderr


def test_a_missing_previous_result_is_exit_2_before_anything_runs(tmp_path: Path) -> None:
    done = _run("--compare", str(tmp_path / "nope.json"))
    assert done.returncode == 2
    assert [line for line in done.stderr.splitlines() if line.startswith("error:")] == [
        f"error: --compare {tmp_path / 'nope.json'}: cannot read it: No such file or directory"]
