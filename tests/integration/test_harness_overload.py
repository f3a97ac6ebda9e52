"""The harness never blames the server for its own slowness: a CPU hog inside the harness's event loop
makes receive times late; the scenario is then an error, "harness overloaded" with the measured lag,
and the late copies it caused are warnings, not delivery failures."""
from __future__ import annotations

import asyncio
import time

import pytest

from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.redact import Redactor
from harness.targets.reference import ReferenceTarget
from scenarios.selection import select_entries

pytestmark = pytest.mark.asyncio(loop_scope="session")

HOG_S = 2.6
"""Longer than the 2 s deadline: every copy of the step's event is read after its deadline."""


def _hog() -> None:
    end = time.monotonic() + HOG_S
    while time.monotonic() < end:  # busy: the loop runs nothing else meanwhile
        pass


async def test_a_starved_harness_reports_itself_overloaded_not_the_server_late(reference_target: ReferenceTarget) -> None:
    [spec] = select_entries(["row.message.create"], [])
    session = ScenarioRunner(reference_target, RunnerOptions(), Redactor()).open(spec)
    await session.start()
    asyncio.get_running_loop().call_soon(_hog)  # runs while the first step waits for its REST answer
    for step in spec.steps:
        await session.step(step)
    result = await session.finish()

    assert result.status == "error", result
    assert result.error is not None and result.error.startswith("harness overloaded")
    assert result.harness_load is not None and result.harness_load.overloaded
    assert result.harness_load.max_loop_lag_ms >= 1000 * (HOG_S - 0.3)
    assert not [f for f in result.failures if f.check == "delivery" and f.kind == "late"]
    excused = [w for w in result.warnings if w.kind == "late" and w.details.get("harness_overloaded")]
    assert excused, "the hog made deliveries late: they must be kept, as warnings"


async def test_an_unloaded_harness_measures_its_lag_and_passes(reference_target: ReferenceTarget) -> None:
    [spec] = select_entries(["row.message.create"], [])
    result = await ScenarioRunner(reference_target, RunnerOptions(), Redactor()).run(spec)
    assert result.status == "passed", result
    assert result.harness_load is not None and not result.harness_load.overloaded
    assert result.harness_load.max_loop_lag_ms < result.harness_load.bound_ms
