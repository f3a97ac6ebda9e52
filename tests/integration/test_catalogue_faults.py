"""Each row's scenario fails when the reference target never emits that row's events.

A scenario that still passes with its own events suppressed tests nothing. Suppression cannot make a
silent row fail, so the no-op PATCH scenario gets the opposite fault instead: the server emits
``workspace_update`` although nothing changed.

To stay fast, scenarios share faulty targets by scope (channel, guild, user events; each target
carries every ``suppress:`` fault of its group at once) and run concurrently on them. Sharing is
sound because the assertion is per event type: a scenario must report a failure naming *each* of
its row's events, whatever else its setup steps lost on the same target.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio

from contracts.mutations import MUTATIONS
from harness.redact import Redactor
from harness.engine.results import ScenarioResult
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.scenario import ScenarioSpec
from harness.targets.reference import ReferenceTarget
from scenarios import row_scenarios

from .conftest import require_reference

NOOP_ID = "row.workspace.update.noop"
NOOP_FAULT = "server.noop_workspace_patch_emits"
CONCURRENCY_PER_TARGET = 6
DEADLINE_S, QUIET_S = 1.0, 0.1
"""A lost event is a loss whatever the deadline; a short one keeps failing scenarios quick."""


@dataclass
class Group:
    scope: str
    scenarios: list[ScenarioSpec] = field(default_factory=list)
    faults: set[str] = field(default_factory=set)


def expected_events(spec: ScenarioSpec) -> set[str]:
    """The event types the scenario must report as failures on its faulty target."""
    return {"workspace_update"} if spec.id == NOOP_ID else set(MUTATIONS[spec.rows[0]].events)


def plan() -> list[Group]:
    """Groups by row scope; the no-op scenario joins the user group, whose target does not suppress
    ``workspace_update`` (which would hide the planted emission)."""
    groups: dict[str, Group] = {}
    for spec in row_scenarios():
        scope = "user" if spec.id == NOOP_ID else MUTATIONS[spec.rows[0]].scope
        group = groups.setdefault(scope, Group(scope))
        group.scenarios.append(spec)
        group.faults |= {NOOP_FAULT} if spec.id == NOOP_ID else {f"suppress:{e}" for e in expected_events(spec)}
    return list(groups.values())


PLAN = plan()
ALL = [spec for group in PLAN for spec in group.scenarios]


async def _run_group(group: Group) -> dict[str, ScenarioResult]:
    gate = asyncio.Semaphore(CONCURRENCY_PER_TARGET)
    async with ReferenceTarget(faults=sorted(group.faults)) as target:
        runner = ScenarioRunner(target, RunnerOptions(deadline_s=DEADLINE_S, quiet_s=QUIET_S), Redactor())

        async def one(spec: ScenarioSpec) -> ScenarioResult:
            async with gate:
                return await runner.run(spec)  # each run gets its own usernames

        results = await asyncio.gather(*(one(spec) for spec in group.scenarios))
    return {r.id: r for r in results}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fault_results() -> AsyncIterator[dict[str, ScenarioResult]]:
    require_reference()
    merged: dict[str, ScenarioResult] = {}
    for part in await asyncio.gather(*(_run_group(group) for group in PLAN)):
        merged.update(part)
    yield merged


def test_plan_shares_targets_without_hiding_the_noop_fault() -> None:
    assert {g.scope for g in PLAN} == {"channel", "guild", "user"}
    user = next(g for g in PLAN if g.scope == "user")
    assert NOOP_FAULT in user.faults and "suppress:workspace_update" not in user.faults
    assert sorted(s.id for s in ALL) == sorted(s.id for s in row_scenarios())


@pytest.mark.timeout(240)
@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.id)
async def test_row_scenario_fails_without_its_events(fault_results: dict[str, ScenarioResult],
                                                     spec: ScenarioSpec) -> None:
    result = fault_results[spec.id]
    assert result.status == "failed", f"{spec.id} passed although its events were never emitted"
    reported = {f.event_type for f in result.failures if f.check == "delivery"}
    missing = expected_events(spec) - reported
    assert not missing, f"{spec.id}: no delivery failure names {sorted(missing)}; got {sorted(filter(None, reported))}"
