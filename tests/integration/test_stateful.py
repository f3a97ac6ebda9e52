"""The bounded randomised run against real reference targets: it passes on a clean one; with a planted
fault it fails, and the failure carries its seed and a replay (a scenario file) that reproduces the
failure on the faulty target and passes on a clean one. Seeds that once found a harness defect are
kept as regressions (their seed and their shrunk replay), and each CI run also tries a few fresh
random seeds (``SYNC_STATEFUL_RANDOM_SEEDS``, default 2), reporting the seed and the replay on failure."""
from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

import pytest

from harness.redact import Redactor
from harness.engine.results import ScenarioResult
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.scenario import load_scenario_file
from harness.targets.reference import ReferenceTarget
from scenarios.moves import ROWS
from scenarios.stateful import BOUNDED, GeneratedScenario, bounded

CLEAN_SEED = 7
FAULT = "suppress:channel_create"
"""A fault every sequence containing an allowed ``channel.create`` hits (a loss on every guild
connection). ``channel.create`` is always offered, and it is the first rule of the simplest example,
which Hypothesis tries first whatever the seed — so the test does not depend on a lucky seed
reaching a rare state (an audience fault needs e.g. a kick or an override first)."""
FAULT_SEED = 3
"""Any seed: it only has to show up in the title and the replay."""
REGRESSION_SEEDS = (629398821, 2284207638)
"""Seeds that found a harness defect: 629398821 (issue 16 item 5: the replica kept roles deleted while
it had no guild connection to a guild it had joined), 2284207638 (a message created over the gateway
in a channel nobody was subscribed to was never bound, so a later subscriber's REST showed a message
the model did not). Each is replayed whole, and its shrunk replay is kept in
``data/stateful-seed-<seed>.json``."""
DATA = Path(__file__).parent / "data"
RANDOM_SEEDS = int(os.environ.get("SYNC_STATEFUL_RANDOM_SEEDS", "2"))
"""Fresh random seeds per CI run: each bounded run is 4 examples of up to 20 steps, about 11 s on a quiet
2-core machine (docs/performance.md) and 44–203 s on one shared by several heavy jobs, so two cost under
half a minute of CI's budget, and at worst a few minutes."""


def runner(target: ReferenceTarget) -> ScenarioRunner:
    return ScenarioRunner(target, RunnerOptions(), Redactor())


def summary(result: ScenarioResult) -> str:
    return "\n".join([f"{result.status} {result.title} {result.error or ''}",
                      *(f"  {f.check}/{f.kind} {f.event_type} {f.client}: {f.message}" for f in result.failures[:10])])


@pytest.mark.timeout(150)
async def test_bounded_run_passes_on_a_clean_target(reference_target: ReferenceTarget) -> None:
    result = await bounded(seed=CLEAN_SEED).run(runner(reference_target))
    assert result.status == "passed", summary(result)
    assert result.id == "stateful.bounded" and f"seed {CLEAN_SEED}" in result.title
    assert result.rows == list(ROWS) and result.replay is None
    assert any(step.kind == "mutation" for step in result.steps)


@pytest.mark.timeout(240)
async def test_a_planted_fault_fails_with_a_seed_and_a_replay_that_reproduces_it(
        reference_target: ReferenceTarget, tmp_path: Path) -> None:
    entry = GeneratedScenario(seed=FAULT_SEED, budget=dataclasses.replace(BOUNDED, shrink_s=10))
    async with ReferenceTarget(faults=[FAULT]) as faulty:
        result = await entry.run(runner(faulty))
        assert result.status == "failed", summary(result)
        assert f"seed {FAULT_SEED}" in result.title and result.replay is not None
        assert any(f.kind == "loss" and f.event_type == "channel_create" for f in result.failures), summary(result)

        path = tmp_path / "replay.json"
        path.write_text(result.replay, encoding="utf-8")
        [spec] = load_scenario_file(path)
        assert f"seed:{FAULT_SEED}" in spec.tags and 0 < len(spec.steps) <= BOUNDED.steps
        assert any(step.do == "channel.create" for step in spec.steps)
        replayed = await runner(faulty).run(spec)
        assert replayed.status == "failed", "the replay does not reproduce the failure"
        assert any(f.kind == "loss" and f.event_type == "channel_create" for f in replayed.failures), summary(replayed)

    clean = await runner(reference_target).run(spec)
    assert clean.status == "passed", "the replay fails on a clean target: " + summary(clean)



@pytest.mark.timeout(300)  # 11 s on a quiet machine; up to 200 s was seen on a heavily shared one
@pytest.mark.parametrize("seed", REGRESSION_SEEDS)
async def test_a_regression_seed_passes(reference_target: ReferenceTarget, seed: int) -> None:
    result = await bounded(seed=seed).run(runner(reference_target))
    assert result.status == "passed", summary(result)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed", REGRESSION_SEEDS)
async def test_a_regression_replay_passes(reference_target: ReferenceTarget, seed: int) -> None:
    [spec] = load_scenario_file(DATA / f"stateful-seed-{seed}.json")
    result = await runner(reference_target).run(spec)
    assert result.status == "passed", summary(result)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("attempt", range(RANDOM_SEEDS))
async def test_a_fresh_random_seed_passes(reference_target: ReferenceTarget, attempt: int) -> None:
    seed = secrets.randbelow(2**32)
    result = await bounded(seed=seed).run(runner(reference_target))
    assert result.status == "passed", f"seed {seed} (replay with --seed {seed}):\n{summary(result)}\n{result.replay or ''}"
