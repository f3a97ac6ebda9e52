"""Run the whole checklist against one target: start it, run the seven items, stop it, return the result.

Items run in an order that keeps their counter deltas apart (the telemetry gate's offending frames
before the smoke run whose windows item 3 reconciles); the result lists them by number. One Chromium
serves the smoke run's browser scenarios and the fallback item. An item that
cannot run to its end fails with the cause; a target that dies ends the run with a TargetError.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Awaitable, Callable, Sequence

import httpx

from harness.engine.browser_observers import LazyBrowsers
from harness.engine.scenario import ScenarioSpec
from harness.redact import Redactor
from harness.rollout import compatibility, fallback, manifest, reconcile, smoke, surface, telemetry
from harness.rollout.checklist import ItemResult, RolloutResult, failed
from harness.rollout.context import RolloutContext, RolloutSettings
from harness.targets.base import Target

ITEM_TITLES: dict[int, tuple[str, str]] = {
    module.NUMBER: (module.KEY, module.TITLE)
    for module in (surface, telemetry, reconcile, compatibility, manifest, smoke, fallback)
}

Progress = Callable[[ItemResult], None]


async def run_checklist(target: Target, settings: RolloutSettings, entries: Sequence[ScenarioSpec],
                        redactor: Redactor, progress: Progress | None = None, spec: str = "") -> RolloutResult:
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    items: list[ItemResult] = []

    def record(item: ItemResult) -> None:
        items.append(item)
        if progress is not None:
            progress(item)

    await target.start_cleanly()
    description = target.description
    web_url = settings.web_url or target.web_url
    # without a web client to open (a url: target with no --web-url) browser parts are skipped, not failed
    browsers = LazyBrowsers(settings.browsers, web_url) if settings.browsers and web_url else None
    try:
        async with httpx.AsyncClient(trust_env=False) as http:
            ctx = RolloutContext(target, settings, redactor, http, browsers)
            # the gate first: its offending frames give most families samples whose labels item 1 then checks
            record(await _timed(telemetry.NUMBER, lambda: telemetry.check_telemetry_gate(ctx), target))
            record(await _timed(surface.NUMBER, lambda: surface.check_metrics_surface(ctx), target))
            began = time.monotonic()
            outcome = await smoke.run_smoke(ctx, entries)
            smoke_item = smoke.judge_smoke(outcome)
            smoke_item.duration_s = round(time.monotonic() - began, 3)
            record(reconcile.judge_reconcile(outcome.windows, exclusive=settings.exclusive))
            record(compatibility.judge_compatibility(outcome.samples, settings.baseline_schemas))
            record(manifest.judge_manifest(settings.manifest))
            record(smoke_item)
            record(await _timed(fallback.NUMBER, lambda: fallback.check_fallback(ctx), target))
    finally:
        if browsers is not None:
            await browsers.close()
        await target.stop()
    items.sort(key=lambda item: item.number)
    return RolloutResult(
        status="failed" if any(i.status == "failed" for i in items) else "passed",
        target=spec, description=redactor.redact_text(description),
        started_at=started_wall.isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - started, 3), items=items)


async def _timed(number: int, work: Callable[[], Awaitable[ItemResult]], target: Target) -> ItemResult:
    began = time.monotonic()
    try:
        item = await work()
    except Exception as exc:  # one item's trouble is its own failure; a dead target ends the run
        if not target.alive():
            raise
        key, title = ITEM_TITLES[number]
        item = failed(number, key, title, f"could not run to its end: {type(exc).__name__}: {exc}")
    item.duration_s = round(time.monotonic() - began, 3)
    return item
