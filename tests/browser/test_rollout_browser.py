"""`sync-harness rollout` end to end with browsers: the whole checklist passes on the reference target
within a minute, its HTML report opened in Chromium shows every item with its evidence, and a web client
that dies on an unknown event type fails the mixed-version item.

``SYNC_HARNESS_DOCS_SCREENSHOT=1`` also saves the report's screenshot as docs/img/rollout-report.png.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext

from tests.support.rollout import MANIFEST, REPO_ROOT, export_baseline, run_rollout

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ROLLOUT_BUDGET_S = 60.0
TITLES = ["1. Metrics surface", "2. Staging telemetry gate", "3. Counters agree with deliveries",
          "4. Envelope and schema compatibility", "5. Manifest drift", "6. Critical realtime paths",
          "7. Mixed-version fallback"]


async def test_rollout_passes_on_the_reference_target_within_a_minute_and_its_page_shows_the_evidence(
        tmp_path: Path, context: BrowserContext) -> None:
    baseline = export_baseline(tmp_path / "baseline")
    run = run_rollout(tmp_path / "report", "--baseline-schemas", str(baseline), "--manifest", str(MANIFEST))
    assert run.code == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert run.statuses() == {n: "passed" for n in range(1, 8)}
    assert run.report["duration_s"] < ROLLOUT_BUDGET_S, run.report["duration_s"]
    assert "oversized outbound drop (limit 4096 bytes): REST 200, 0 message_create delivered" in \
        "\n".join(run.item(2)["evidence"])

    page = await context.new_page()
    await page.goto((tmp_path / "report" / "rollout.html").as_uri())
    for title in TITLES:
        section = page.get_by_role("region", name=title)
        await section.wait_for(state="visible")
        assert "passed" in await section.locator(".verdict").inner_text()
        assert await section.locator("ul.evidence li").count() >= 1, title
    assert "passed" in await page.locator("h1 .verdict").inner_text()
    shot = tmp_path / "rollout-report.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("SYNC_HARNESS_DOCS_SCREENSHOT") == "1":
        (REPO_ROOT / "docs" / "img").mkdir(exist_ok=True)
        shutil.copy(shot, REPO_ROOT / "docs" / "img" / "rollout-report.png")


async def test_a_web_client_that_dies_on_an_unknown_event_fails_the_fallback_item(
        tmp_path: Path, chromium: Browser) -> None:
    run = run_rollout(tmp_path, "--fault", "web.crash_on_unknown_event", "--scenario", "row.profile.update")
    assert run.code == 1
    item = run.item(7)
    assert item["status"] == "failed"
    assert item["message"].startswith("the client stopped processing after an unknown event type (rollout_future_event)")
    assert [n for n, s in run.statuses().items() if s == "failed"] == [7]
