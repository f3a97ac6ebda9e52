"""Browser clients in scenarios: every browser scenario passes on the reference target (DOM against the
model, browser sockets under the same delivery checks as simulated ones), and each planted web-client
fault makes the matching browser check fail, with a screenshot taken when it failed."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.targets.reference import ReferenceTarget
from scenarios.browser import BROWSER_SCENARIOS
from tests.support.browser_runs import run_with_browsers

BY_ID = {spec.id: spec for spec in BROWSER_SCENARIOS}

WEB_FAULTS = [
    ("web.gear_missing", "browser.settings.owner", ("ui", "missing_entry_point")),
    ("web.server_settings_opens_client_panel", "browser.settings.owner", ("ui", "wrong_panel")),
    ("web.rename_not_applied", "browser.workspace.rename_via_ui", ("convergence", "dom_diverged")),
    ("web.edit_not_applied", "browser.message.edit_delete", ("convergence", "dom_diverged")),
]


async def _run(scenario_id: str, artefacts: Path, faults: list[str] | None = None):
    async with ReferenceTarget(faults=faults or []) as target:
        ids = [scenario_id] if scenario_id != "*" else sorted(BY_ID)
        return await run_with_browsers(target, [BY_ID[i] for i in ids], artefacts)


async def test_every_browser_scenario_passes_on_the_reference_target(tmp_path):
    results = await _run("*", tmp_path)
    failed = {r.id: [f.message for f in r.failures] or r.error for r in results if r.status != "passed"}
    assert not failed
    for result in results:
        assert any(c.kind == "browser" for c in result.clients), result.id
        browser_conns = [c for r in [result] for client in r.clients if client.kind == "browser"
                         for c in client.connections]
        assert browser_conns, f"{result.id}: the page's sockets are recorded and checked"


@pytest.mark.parametrize(("fault", "scenario_id", "expected"), WEB_FAULTS, ids=[f for f, _, _ in WEB_FAULTS])
async def test_each_web_fault_fails_its_browser_check_with_a_screenshot(tmp_path, fault, scenario_id, expected):
    [result] = await _run(scenario_id, tmp_path, [fault])
    assert result.status == "failed"
    assert expected in {(f.check, f.kind) for f in result.failures}, [f.message for f in result.failures]
    screenshots = [Path(a.path) for a in result.artefacts if a.kind == "screenshot"]
    assert screenshots and all(p.stat().st_size > 1000 for p in screenshots)
    assert any(a.kind == "trace" for a in result.artefacts)


async def test_declared_browser_clients_beyond_browsers_n_observe_as_simulated_clients(tmp_path):
    spec = BY_ID["browser.workspace.rename_via_ui"]
    declared = [c.label for c in spec.clients if c.kind == "browser"]
    assert len(declared) == 2
    async with ReferenceTarget() as target:
        [result] = await run_with_browsers(target, [spec], tmp_path, browsers=1)
    assert result.status == "passed", result.error or [f.message for f in result.failures]
    kinds = {c.label: c.kind for c in result.clients}
    assert kinds[declared[0]] == "browser" and kinds[declared[1]] != "browser"  # the first declared gets the browser
