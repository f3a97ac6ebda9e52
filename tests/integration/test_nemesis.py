"""Harness-injected faults: every nemesis scenario passes on the reference target, and the
slow-consumer scenario fails against a server that never closes slow consumers."""
from __future__ import annotations

import pytest

from harness.redact import Redactor
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.targets.reference import ReferenceTarget
from scenarios.nemesis import NEMESIS_SCENARIOS

BY_ID = {spec.id: spec for spec in NEMESIS_SCENARIOS}


@pytest.fixture(scope="module")
async def target():
    async with ReferenceTarget() as running:
        yield running


@pytest.mark.parametrize("scenario_id", sorted(BY_ID))
async def test_nemesis_scenario_passes_on_the_reference_target(target, scenario_id):
    result = await ScenarioRunner(target, RunnerOptions(), Redactor()).run(BY_ID[scenario_id])
    assert result.status == "passed", [f.message for f in result.failures] or result.error
    nemesis_steps = [s for s in result.steps if s.kind == "nemesis"]
    assert nemesis_steps, "the fault must be recorded in the history"


async def test_the_stalled_client_was_closed_as_a_slow_consumer_and_recovered(target):
    result = await ScenarioRunner(target, RunnerOptions(), Redactor()).run(BY_ID["nemesis.stall_reads"])
    stall = next(s for s in result.steps if s.name == "stall_reads")
    assert stall.detail["close"] == "1008 slow_consumer"
    alice = next(c for c in result.clients if c.label == "alice")
    assert len(alice.connections) == 2, "alice reconnected on a new connection"


async def test_a_server_that_never_closes_slow_consumers_is_caught():
    async with ReferenceTarget(faults=["server.no_slow_consumer_close"]) as faulty:
        result = await ScenarioRunner(faulty, RunnerOptions(), Redactor()).run(BY_ID["nemesis.stall_reads"])
    assert result.status == "failed"
    assert any(f.check == "delivery" and f.kind == "close" for f in result.failures)
