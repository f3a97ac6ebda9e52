"""A client version without a UI (its selector profile marks it ``null``) degrades as declared: the
scenario that needs that UI is skipped with the reason, neither passed nor an error."""
from __future__ import annotations

from pathlib import Path

from harness.engine.browser_observers import LazyBrowsers
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.redact import Redactor
from harness.targets.reference import ReferenceTarget
from scenarios.browser import BROWSER_SCENARIOS


async def test_renaming_through_a_client_without_workspace_settings_is_skipped_with_the_reason(
        tmp_path: Path) -> None:
    [spec] = [s for s in BROWSER_SCENARIOS if s.id == "browser.workspace.rename_via_ui"]
    async with ReferenceTarget() as target:
        browsers = LazyBrowsers(2, target.web_url or target.rest_url)
        try:
            runner = ScenarioRunner(target, RunnerOptions(artefacts_dir=tmp_path, profile="legacy-2026-02-12"),
                                    Redactor(), browsers)
            result = await runner.run(spec)
        finally:
            await browsers.close()
    assert result.status == "skipped", (result.status, result.error, [f.message for f in result.failures])
    assert result.error.startswith("degrades as declared: ")
    assert "profile 'legacy-2026-02-12' has no workspace settings panel" in result.error
