"""Allure results for `sync-harness run` (pytest runs get theirs from allure-pytest and the plugin).

Each scenario becomes an Allure test with one step per harness action and attachments for failures,
latency and the clients' artefacts (histories, screenshots, traces), all redacted.
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Link, Status, StatusDetails, TestResult, TestStepResult
from allure_commons.types import AttachmentType

from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult

_STATUS = {"passed": Status.PASSED, "failed": Status.FAILED, "error": Status.BROKEN, "skipped": Status.SKIPPED,
           "known": Status.SKIPPED}
"""A ``known`` scenario (every failure explained by the baseline) is skipped with its reasons, as
allure-pytest reports pytest's xfail; its failures stay attached."""
_STEP_STATUS = {"ok": Status.PASSED, "refused": Status.PASSED, "info": Status.PASSED, "fail": Status.FAILED}
"""Step outcomes (harness.history.Outcome): ``refused`` is a forbidden mutation the server refused as
predicted; ``info`` is a nemesis fault that did what it was asked; ``pending`` (never completed, e.g.
the scenario timed out) is broken."""


def write_allure(result: RunResult, directory: Path, redactor: Redactor) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    logger = AllureFileLogger(str(directory))
    start = 0
    for scenario in result.scenarios:
        start += 1
        logger.report_result(_test_result(scenario, logger, redactor, start))
    return directory


def _test_result(scenario: ScenarioResult, logger: AllureFileLogger, redactor: Redactor, index: int) -> TestResult:
    test = TestResult(
        uuid=str(uuid.uuid4()), name=scenario.title, fullName=f"scenarios.{scenario.id}",
        historyId=scenario.id, testCaseId=scenario.id, status=_STATUS[scenario.status],
        labels=[Label(name="suite", value="filament-sync-harness"), Label(name="feature", value=scenario.id.split(".")[0]),
                *[Label(name="tag", value=row) for row in scenario.rows]],
    )
    if scenario.status == "known":
        known = [f.known for f in scenario.failures if f.known] + ([scenario.error_known] if scenario.error_known else [])
        test.labels.append(Label(name="tag", value="known-issue"))
        test.statusDetails = StatusDetails(message=redactor.redact_text(
            "known issue: " + "; ".join(sorted({f"{k['key']}: {k['reason']}" for k in known}))))
        test.links = [Link(type="issue", url=k["link"], name=k["key"]) for k in known if k.get("link")]
    elif scenario.failures or scenario.error:
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
    return Attachment(name=f"{kind}: {path.name}", source=source, type=mime)
