"""`sync-harness matrix` against real reference targets in each server profile.

* The shipped matrix (current, lifecycle, legacy clients × head, pre-workspace, pre-lifecycle servers)
  ends with every cell as declared: the CI figure of issue 12.
* A planted incompatibility — a HEAD server that drops ``message_update``, which the lifecycle and the
  current client depend on and the legacy client never understood — turns exactly those two cells red,
  each with the lost event as the reason; the legacy cell stays as declared.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.commands.matrix import DEFAULT_MATRIX, run_matrix, write_matrix_reports
from harness.engine.matrix import load_plan, plan_scenarios
from harness.redact import Redactor
from tests.integration.conftest import require_reference

SCENARIOS = DEFAULT_MATRIX.parent / "mixed_versions.toml"

PLANTED = f"""
scenario_files = ["{SCENARIOS}"]
scenarios = ["compat.message.lifecycle"]

[[clients]]
name = "current"
profile = "current"
[[clients]]
name = "lifecycle"
profile = "lifecycle-2026-02-12"
[[clients]]
name = "legacy"
profile = "legacy-2026-02-12"

[[servers]]
name = "head-without-message-update"
profile = "head"
faults = ["suppress:message_update"]

[[cells]]
client = "current"
server = "head-without-message-update"
expect = "compatible"
[[cells]]
client = "lifecycle"
server = "head-without-message-update"
expect = "degrades"
[[cells]]
client = "legacy"
server = "head-without-message-update"
expect = "degrades"
"""


@pytest.mark.timeout(600)
async def test_the_shipped_matrix_passes_with_its_declared_expectations(tmp_path: Path) -> None:
    require_reference()
    plan = load_plan(DEFAULT_MATRIX)
    result = await run_matrix(plan, plan_scenarios(plan, DEFAULT_MATRIX), str(DEFAULT_MATRIX))
    reasons = {f"{c.client} × {c.server}": c.reasons for c in result.cells if not c.ok}
    assert result.status == "passed", reasons
    assert len(result.cells) >= 9
    observed = {(c.client, c.server): c.observed for c in result.cells}
    assert observed[("current", "head")] == "compatible"
    assert all(outcome == "degrades" for cell, outcome in observed.items() if cell != ("current", "head"))

    write_matrix_reports(result, Redactor(), report_dir=tmp_path)
    page = (tmp_path / "matrix.html").read_text(encoding="utf-8")
    for cell in result.cells:
        anchor = f"cell-{cell.client}--{cell.server}"
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
        saved = json.loads((tmp_path / f"{cell.client}--{cell.server}" / "result.json").read_text(encoding="utf-8"))
        assert [s["id"] for s in saved["scenarios"]] == result.scenario_ids
    assert json.loads((tmp_path / "matrix.json").read_text(encoding="utf-8"))["status"] == "passed"


@pytest.mark.timeout(300)
async def test_a_server_that_drops_an_event_turns_exactly_its_dependants_red(tmp_path: Path) -> None:
    require_reference()
    path = tmp_path / "planted.toml"
    path.write_text(PLANTED, encoding="utf-8")
    plan = load_plan(path)
    result = await run_matrix(plan, plan_scenarios(plan, path), str(path))
    cells = {c.client: c for c in result.cells}
    assert result.status == "failed"
    assert {name for name, c in cells.items() if not c.ok} == {"current", "lifecycle"}, \
        {name: c.reasons for name, c in cells.items()}
    for name in ("current", "lifecycle"):
        assert cells[name].observed == "incompatible"
        assert any("[delivery/loss]" in r and "message_update" in r for r in cells[name].reasons), cells[name].reasons
    assert cells["legacy"].ok and cells["legacy"].observed == "degrades"


def test_the_command_reports_a_bad_matrix_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('scenario_files = ["x.toml"]\n[[clients]]\nname = "c"\nprofile = "v0"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "harness.cli", "matrix", "--matrix", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "unknown protocol profile 'v0'" in done.stderr and "Traceback" not in done.stderr
