"""report.html as a person reads it: a real failing run (planted faults in the reference target) writes
it, Chromium opens it from disk, and the failing scenarios' timelines show the leaked frame and the lost
one on the lane of the connection they concern — with no request leaving the file and no secret in it.

Planted faults: ``server.channel_events_skip_access_check`` (a message reaches the override-denied
member: a leak) and ``suppress:message_update`` (no edit reaches anyone: a loss on every MUST lane);
``web.edit_not_applied`` in a browser scenario gives a DOM divergence and its screenshot.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page

pytestmark = pytest.mark.browser

SECRET = re.compile(r"pw-[A-Za-z0-9_-]{12}|fat1\.[A-Za-z0-9_-]{20}|[0-9A-Z]{26}\.[A-Za-z0-9_-]{40}")
"""The harness's generated passwords, the reference target's access and refresh tokens."""


async def _run(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "harness.cli", "run", *args]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=300,
                                   env=dict(os.environ))


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = tmp_path_factory.mktemp("html") / "report"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--scenario", "row.message.create",
                           "--scenario", "row.message.edit", "--fault", "server.channel_events_skip_access_check",
                           "--fault", "suppress:message_update", "--report", str(report)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    return report


async def _open(context: BrowserContext, report: Path) -> tuple[Page, list[str]]:
    page = await context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    await page.goto((report / "report.html").as_uri())
    return page, requests


def _failures(report: Path, scenario: str, kind: str) -> list[dict]:
    result = json.loads((report / "result.json").read_text())
    [found] = [s for s in result["scenarios"] if s["id"] == scenario]
    return [f for f in found["failures"] if f["kind"] == kind]


async def _column_lane(page: Page, locator_js: str) -> list[str]:
    """For every marked element: the lane named by the header of the column it sits in."""
    return await page.evaluate(f"""() => Array.from(document.querySelectorAll({json.dumps(locator_js)})).map(e => {{
        const td = e.closest('td');
        const index = Array.from(td.parentNode.children).indexOf(td);
        return td.closest('table').querySelectorAll('thead th')[index].dataset.lane;
    }})""")


async def test_the_leaked_frame_is_marked_on_the_recipients_lane(context: BrowserContext, failing_report: Path) -> None:
    [leak] = _failures(failing_report, "row.message.create", "leak")
    page, requests = await _open(context, failing_report)
    timeline = '#scenario-row-message-create table.timeline'
    marked = page.locator(f"{timeline} .item.mark-leak")
    assert await marked.count() == 1
    await marked.first.scroll_into_view_if_needed()
    assert await marked.first.is_visible()
    assert await _column_lane(page, f"{timeline} .item.mark-leak") == [leak["connection"]]
    assert await marked.first.get_attribute("data-seq") == str(leak["details"]["seq"])
    text = await marked.first.inner_text()
    assert "message_create" in text and "MUST NOT" in text and "LEAK" in text
    await marked.first.click()  # the payload opens under the frame
    assert "m1 from" in await page.locator(f"{timeline} .item.mark-leak + .payload").inner_text()
    # The summary matrix counts it under delivery, the failure says whether REST would have shown it.
    row = page.locator('#matrix tr[data-scenario="row.message.create"]')
    assert await row.locator("td.nx").all_inner_texts() == ["1"]
    assert "readable over REST by the recipient: False" in await page.locator(
        '#scenario-row-message-create .failure[data-kind="leak"]').inner_text()
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests


async def test_every_lost_frame_is_marked_on_each_must_lane_at_its_step(context: BrowserContext,
                                                                        failing_report: Path) -> None:
    losses = _failures(failing_report, "row.message.edit", "loss")
    assert losses, "suppress:message_update loses the edit on every MUST connection"
    page, _ = await _open(context, failing_report)
    timeline = '#scenario-row-message-edit table.timeline'
    lanes = await _column_lane(page, f"{timeline} .mark-loss")
    assert sorted(lanes) == sorted(f["connection"] for f in losses)
    step_rows = await page.evaluate(f"""() => Array.from(document.querySelectorAll({json.dumps(timeline + ' .mark-loss')}))
        .map(e => e.closest('tr').querySelector('td.what').innerText)""")
    assert all(f"#{losses[0]['step']} mutation message.edit" in row for row in step_rows), step_rows
    assert await page.locator(f"{timeline} .mark-loss").first.inner_text() == (
        f"LOSS: {next(f['message'] for f in losses if f['connection'] == lanes[0])}")


async def test_the_report_holds_no_secret_and_needs_no_network(failing_report: Path) -> None:
    html = (failing_report / "report.html").read_text()
    assert not SECRET.search(html)
    assert not re.search(r"""(src|href)=["']https?:""", html), "every asset is inline"


async def test_a_browser_divergence_shows_its_screenshot_inline(context: BrowserContext, tmp_path: Path) -> None:
    report = tmp_path / "report"
    done = await _run("--scenario", "browser.message.edit_delete", "--browsers", "1",
                      "--fault", "web.edit_not_applied", "--report", str(report))
    assert done.returncode == 1, done.stderr
    page, _ = await _open(context, report)
    section = page.locator("#scenario-browser-message-edit_delete")
    assert await section.locator('.failure[data-kind="dom_diverged"]').count() >= 1
    shot = section.locator("img.shot").first
    assert (await shot.get_attribute("src") or "").startswith("data:image/png;base64,")
    assert await shot.evaluate("img => img.complete && img.naturalWidth > 100")
    browser_lanes = section.locator("table.timeline thead th.lane-browser")
    assert await browser_lanes.count() >= 1
