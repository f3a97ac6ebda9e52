"""Run scenarios with browser clients against a started target, closing the browsers whatever happens."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from harness.engine.browser_observers import LazyBrowsers
from harness.engine.results import ScenarioResult
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.redact import Redactor


async def run_with_browsers(target: Any, specs: Sequence[Any], artefacts: Path, *,
                            browsers: int = 2) -> list[ScenarioResult]:
    """Each spec in turn on ``target`` with at most ``browsers`` browser clients (one Chromium)."""
    lazy = LazyBrowsers(browsers, target.web_url or target.rest_url)
    try:
        runner = ScenarioRunner(target, RunnerOptions(artefacts_dir=artefacts), Redactor(), lazy)
        return [await runner.run(spec) for spec in specs]
    finally:
        await lazy.close()
