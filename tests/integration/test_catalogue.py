"""The whole built-in catalogue against a clean reference target: every scenario with simulated
clients passes (browser scenarios run in tests/browser), the row scenarios cover the 30 rows, and
each was observed from the visibility classes its row needs.

The randomised run uses a pinned seed so CI is reproducible; set ``SYNC_HARNESS_SEED`` to explore
another one (the seed is in the result's title either way).
"""
from __future__ import annotations

import os

import pytest

from contracts.mutations import CATALOGUE_ROWS, MUTATIONS
from harness.redact import Redactor
from harness.engine.results import ScenarioResult
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.scenario import ScenarioSpec
from harness.engine.suite import coverage as row_coverage
from harness.targets.reference import ReferenceTarget
from scenarios import GeneratedScenario, catalogue, example_scenarios, row_scenarios
from scenarios.observers import relevant_classes

SEED = int(os.environ.get("SYNC_HARNESS_SEED", "20240611"))
ITEMS = catalogue(seed=SEED)

def _needs_browser(item: ScenarioSpec | GeneratedScenario) -> bool:
    if not isinstance(item, ScenarioSpec):
        return False
    return "browser" in item.requires or any(c.kind == "browser" for c in item.clients)


def _marks(item: ScenarioSpec | GeneratedScenario) -> list[pytest.MarkDecorator]:
    if _needs_browser(item):
        return [pytest.mark.skip(reason="browser scenario: run by tests/browser (needs Chromium)")]
    return []


def _params(items: list[ScenarioSpec | GeneratedScenario]) -> list[object]:
    return [pytest.param(item, id=item.id, marks=_marks(item)) for item in items]


async def run(target: ReferenceTarget, item: ScenarioSpec | GeneratedScenario) -> ScenarioResult:
    runner = ScenarioRunner(target, RunnerOptions(), Redactor())  # a fresh namespace per scenario
    return await (item.run(runner) if isinstance(item, GeneratedScenario) else runner.run(item))


def explain(result: ScenarioResult) -> str:
    lines = [f"{result.id}: {result.status} {result.error or ''}"]
    lines += [f"  {f.check}/{f.kind} step={f.step} {f.event_type or ''} {f.connection or f.client or ''}: {f.message}"
              for f in result.failures[:15]]
    return "\n".join(lines + ([f"replay:\n{result.replay}"] if result.replay else []))


@pytest.mark.timeout(180)
@pytest.mark.parametrize("item", _params(ITEMS))
async def test_catalogue_scenario_passes(reference_target: ReferenceTarget,
                                         item: ScenarioSpec | GeneratedScenario) -> None:
    result = await run(reference_target, item)
    assert result.status == "passed", explain(result)
    if result.id.startswith("row."):
        [row] = result.rows
        observed = {client.visibility_class for client in result.clients}
        assert relevant_classes(row, MUTATIONS[row].scope) <= observed


@pytest.mark.parametrize("spec", example_scenarios(), ids=lambda s: s.id)
async def test_toml_examples_pass(reference_target: ReferenceTarget, spec: ScenarioSpec) -> None:
    result = await run(reference_target, spec)
    assert result.status == "passed", explain(result)


def test_catalogue_covers_every_row_from_its_relevant_classes() -> None:
    """Coverage as the result file reports it: rows per scenario, visibility classes per client."""
    results = [ScenarioResult(id=s.id, title=s.title, rows=s.rows, status="passed", duration_s=0,
                              clients=[{"label": c.label, "kind": c.kind, "user": c.user,  # type: ignore[list-item]
                                        "visibility_class": c.observes_as} for c in s.clients])
               for s in row_scenarios()]
    coverage = row_coverage(results)
    assert coverage.ratio == f"{len(CATALOGUE_ROWS)}/{len(CATALOGUE_ROWS)}" == "30/30"
    for entry in coverage.rows:
        missing = relevant_classes(entry.row, MUTATIONS[entry.row].scope) - set(entry.visibility_classes)
        assert not missing, f"{entry.row} (scenarios {entry.scenarios}) is not observed as {sorted(missing)}"
