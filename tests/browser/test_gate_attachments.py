"""The pytest gate attaches a failing browser scenario's screenshot and Playwright trace to Allure by
default (no --sync-artefacts needed), and leaves no temporary artefact directory behind.

Planted fault: ``web.edit_not_applied`` (the web client ignores message_update: its DOM diverges)."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
pytest_plugins = ["pytester"]


def test_failing_browser_scenario_attaches_screenshot_and_trace_by_default(pytester: pytest.Pytester) -> None:
    before = set(Path(tempfile.gettempdir()).glob("sync-harness-artefacts-*"))
    allure_dir = pytester.path / "allure"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sync-target=reference",
                                           "--sync-scenario=browser.message.edit_delete", "--sync-browsers=1",
                                           "--sync-fault=web.edit_not_applied", f"--alluredir={allure_dir}",
                                           timeout=300)
    result.assert_outcomes(failed=1)
    [test] = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    assert test["status"] == "failed"
    kinds = {Path(a["source"]).suffix for a in test["attachments"]}
    assert {".png", ".zip"} <= kinds, test["attachments"]  # screenshots and the Playwright trace
    for attachment in test["attachments"]:
        assert (allure_dir / attachment["source"]).stat().st_size > 0
    assert set(Path(tempfile.gettempdir()).glob("sync-harness-artefacts-*")) == before
