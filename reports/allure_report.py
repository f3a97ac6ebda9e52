"""Allure results for `sync-harness run` (pytest runs get theirs from allure-pytest and the plugin).

Each scenario becomes an Allure test with one step per harness action and attachments for failures,
latency and the clients' artefacts (histories, screenshots, traces), all redacted.
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Status, StatusDetails, TestResult, TestStepResult
from allure_commons.types import AttachmentType

from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult

_STATUS = {"passed": Status.PASSED, "failed": Status.FAILED, "error": Status.BROKEN, "skipped": Status.SKIPPED}
_STEP_STATUS = {"ok": Status.PASSED, "refused": Status.PASSED, "info": Status.PASSED, "fail": Status.FAILED}
"""Step outcomes (harness.history.Outcome): ``refused`` is a forbidden mutation the server refused as
predicted; ``info`` is a nemesis fault that did what it was asked; ``pending`` (never completed, e.g.
the scenario timed out) is broken."""


ALLURE_FILES = ("*-result.json", "*-container.json", "*-attachment*")
"""What allure-commons writes; removed before a run's results go into a re-used folder."""


def write_allure(result: RunResult, directory: Path, redactor: Redactor) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    remove_previous_allure_results(directory)
    logger = AllureFileLogger(str(directory))
    start = 0
    for scenario in result.scenarios:
        start += 1
        logger.report_result(_test_result(scenario, logger, redactor, start))
    if result.cause is not None:
        logger.report_result(_run_result(result, redactor))
    return directory


def remove_previous_allure_results(directory: Path) -> None:
    """A re-used ``--report`` folder must not show the previous run's results beside this run's."""
    if not directory.is_dir():
        return
    for pattern in ALLURE_FILES:
        for stale in directory.glob(pattern):
            if stale.is_file():
                stale.unlink(missing_ok=True)


def _run_result(result: RunResult, redactor: Redactor) -> TestResult:
    """The run's own cause (target died, interrupted, …) as a broken test named ``run``."""
    assert result.cause is not None
    cause = result.cause
    message = f"{cause.kind}: {cause.message}" + (f" (during {cause.scenario})" if cause.scenario else "")
    return TestResult(
        uuid=str(uuid.uuid4()), name=f"run: {cause.kind}", fullName="run", historyId="run", testCaseId="run",
        status=Status.BROKEN, statusDetails=StatusDetails(message=redactor.redact_text(message)),
        labels=[Label(name="suite", value="filament-sync-harness"), Label(name="feature", value="run")],
    )


def _test_result(scenario: ScenarioResult, logger: AllureFileLogger, redactor: Redactor, index: int) -> TestResult:
    test = TestResult(
        uuid=str(uuid.uuid4()), name=scenario.title, fullName=f"scenarios.{scenario.id}",
        historyId=scenario.id, testCaseId=scenario.id, status=_STATUS[scenario.status],
        labels=[Label(name="suite", value="filament-sync-harness"), Label(name="feature", value=scenario.id.split(".")[0]),
                *[Label(name="tag", value=row) for row in scenario.rows]],
    )
    if scenario.failures or scenario.error:
        message = scenario.error or "; ".join(f"[{f.check}/{f.kind}] {f.message}" for f in scenario.failures[:5])
        test.statusDetails = StatusDetails(message=redactor.redact_text(message))
    test.steps = [TestStepResult(name=f"{s.kind} {s.name}" + (f" by {s.client}" if s.client else ""),
                                 status=_STEP_STATUS.get(s.outcome, Status.BROKEN))
                  for s in scenario.steps if s.kind != "seed"]
    for name, payload in (("failures", [f.model_dump(mode="json") for f in scenario.failures]),
                          ("latency", {k: v.model_dump() for k, v in scenario.latency.items()}),
                          ("clients", [c.model_dump() for c in scenario.clients])):
        if payload:
            test.attachments.append(_attach_json(logger, name, redactor.redact(payload)))
    for artefact in scenario.artefacts:
        test.attachments.append(_attach_file(logger, Path(artefact.path), artefact.kind))
    return test


def _attach_json(logger: AllureFileLogger, name: str, payload: object) -> Attachment:
    source = f"{uuid.uuid4()}-attachment.json"
    logger.report_attached_data(json.dumps(payload, indent=2, ensure_ascii=False, default=str), source)
    return Attachment(name=name, source=source, type=AttachmentType.JSON.mime_type)


def _attach_file(logger: AllureFileLogger, path: Path, kind: str) -> Attachment:
    source = f"{uuid.uuid4()}-attachment{path.suffix}"
    logger.report_attached_file(str(path), source)
    mime = {"screenshot": "image/png", "trace": "application/zip"}.get(kind, "application/json")
    if path.suffix == ".txt":  # a crash's traceback
        mime = "text/plain"
    return Attachment(name=f"{kind}: {path.name}", source=source, type=mime)
