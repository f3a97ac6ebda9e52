"""Allure steps and categories shared by the CLI's Allure writer and the pytest gate.

* Steps carry real start/stop times (the scenario's wall-clock start plus each action's offset), so
  Allure shows durations and fills its Timeline tab.
* A step is red (failed) when a check failed on it — a delivery, convergence or contract failure
  attributed to that step — not only when the action itself failed; its message names the failures.
  Failures of no step (the world's start, the final judgement) go on a last "final judgement" step.
* ``categories.json`` makes the check class the category: a failed scenario is a product defect of
  class delivery, convergence, contract, redaction or ui; a broken one is a harness or target problem.
  Allure matches ``messageRegex`` against a result's whole status message, which starts with the first
  failure's ``[check/kind]`` (after ``ScenarioFailed: `` in the pytest gate), so that failure decides.
"""
from __future__ import annotations

import json
from pathlib import Path

from allure_commons.model2 import Status, StatusDetails, TestStepResult

from harness.checks.types import CheckClass
from harness.engine.results import FailureRecord, ScenarioResult, StepRecord
from harness.redact import Redactor
from reports.failure_text import describe, headline, redacted

CATEGORIES_FILE = "categories.json"
_STEP_STATUS = {"ok": Status.PASSED, "refused": Status.PASSED, "info": Status.PASSED, "fail": Status.FAILED}
"""Step outcomes (harness.history.Outcome): ``refused`` is a forbidden mutation the server refused as
predicted; ``info`` is a nemesis fault that did what it was asked; ``pending`` (never completed, e.g.
the scenario timed out) is broken."""


def categories() -> list[dict[str, object]]:
    by_check = [{"name": f"{check.value} failures (product defect)", "matchedStatuses": ["failed"],
                 "messageRegex": rf"(?s)(\S+: )?\[{check.value}/.*", "description": check.__doc__ or ""}
                for check in CheckClass]
    return [*by_check,
            {"name": "other product defects", "matchedStatuses": ["failed"]},
            {"name": "harness or target errors (scenario could not run to its end)", "matchedStatuses": ["broken"]}]


def write_categories(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CATEGORIES_FILE
    path.write_text(json.dumps(categories(), indent=2), encoding="utf-8")
    return path


def status_message(scenario: ScenarioResult, redactor: Redactor) -> str | None:
    """The first failure's ``[check/kind] message`` first (what the category matches), then the rest."""
    if scenario.error:
        return redactor.redact_text(scenario.error)
    if not scenario.failures:
        return None
    lines = [headline(redacted(f, redactor)) for f in scenario.failures[:5]]
    more = len(scenario.failures) - len(lines)
    return "\n".join(lines + ([f"… {more} more"] if more > 0 else []))


def status_trace(scenario: ScenarioResult, redactor: Redactor) -> str | None:
    return "\n\n".join(describe(redacted(f, redactor)) for f in scenario.failures) or None


def step_results(scenario: ScenarioResult, start_ms: int, redactor: Redactor) -> list[TestStepResult]:
    """``start_ms``: the scenario's wall-clock start in epoch milliseconds."""
    by_step: dict[int | None, list[FailureRecord]] = {}
    for failure in scenario.failures:
        by_step.setdefault(failure.step, []).append(redacted(failure, redactor))
    shown = [s for s in scenario.steps if s.kind != "seed"]
    steps = [_step(record, start_ms, by_step.pop(record.step, [])) for record in shown]
    leftover = [f for failures in by_step.values() for f in failures]  # no step, or a seeding step
    if leftover or scenario.error:
        end = start_ms + int(scenario.duration_s * 1000)
        last = TestStepResult(name="final judgement (quiet period, whole history)", start=steps[-1].stop if steps
                              and steps[-1].stop else start_ms, stop=end, status=Status.FAILED if leftover
                              else Status.BROKEN)
        message = "\n".join(headline(f) for f in leftover) or redactor.redact_text(scenario.error or "")
        last.statusDetails = StatusDetails(message=message, trace="\n\n".join(describe(f) for f in leftover) or None)
        steps.append(last)
    return steps


def _step(record: StepRecord, start_ms: int, failures: list[FailureRecord]) -> TestStepResult:
    begin = start_ms + int(record.started_s * 1000)
    end = begin + int(record.duration_ms or 0)
    status = _STEP_STATUS.get(record.outcome, Status.BROKEN)
    if failures:
        status = Status.FAILED
    name = f"{record.kind} {record.name}" + (f" by {record.client}" if record.client else "")
    step = TestStepResult(name=name, start=begin, stop=end, status=status)
    if failures:
        step.statusDetails = StatusDetails(message="\n".join(headline(f) for f in failures),
                                           trace="\n\n".join(describe(f) for f in failures))
    return step
