"""Allure results for `sync-harness run` (pytest runs get theirs from allure-pytest and the plugin).

Each scenario becomes an Allure test with real start/stop times, one step per harness action (red
where a check failed: reports/allure_steps.py), the check class as its category (categories.json), and
attachments for failures, latency and the clients' artefacts (histories, screenshots, traces), all
redacted.
"""
from __future__ import annotations

import datetime as dt
import json
import socket
import uuid
from pathlib import Path

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Link, Status, StatusDetails, TestResult
from allure_commons.types import AttachmentType

from harness.engine.timeline import TIMELINE_FILE
from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult
from reports.allure_steps import status_message, status_trace, step_results, write_categories

_STATUS = {"passed": Status.PASSED, "failed": Status.FAILED, "error": Status.BROKEN, "skipped": Status.SKIPPED,
           "degraded": Status.PASSED, "known": Status.SKIPPED}
"""``degraded`` (expected degradation of an older version) passes; its findings stay in the attachments.
A ``known`` scenario (every failure explained by the baseline) is skipped with its reasons, as
allure-pytest reports pytest's xfail; its failures stay attached."""


ALLURE_FILES = ("*-result.json", "*-container.json", "*-attachment*")
"""What allure-commons writes; removed before a run's results go into a re-used folder."""


def write_allure(result: RunResult, directory: Path, redactor: Redactor) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    remove_previous_allure_results(directory)
    logger = AllureFileLogger(str(directory))
    write_categories(directory)
    clock = _run_start_ms(result)
    for scenario in result.scenarios:
        start = scenario_start_ms(scenario) or clock
        logger.report_result(_test_result(scenario, logger, redactor, start))
        clock = start + int(scenario.duration_s * 1000)
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


def _run_start_ms(result: RunResult) -> int:
    try:
        started = dt.datetime.fromisoformat(result.started_at.replace("Z", "+00:00"))
    except ValueError:
        return 0
    return int(started.timestamp() * 1000)


def scenario_start_ms(scenario: ScenarioResult) -> int | None:
    """The wall-clock start the scenario's timeline recorded (written for every scenario of a run that
    keeps artefacts, which ``--report`` does); None for scenarios that never ran (skips)."""
    for artefact in scenario.artefacts:
        path = Path(artefact.path)
        if path.name == TIMELINE_FILE and path.is_file():
            started = json.loads(path.read_text(encoding="utf-8")).get("started_at_unix")
            return int(started * 1000) if isinstance(started, (int, float)) else None
    return None


def _test_result(scenario: ScenarioResult, logger: AllureFileLogger, redactor: Redactor, start_ms: int) -> TestResult:
    test = TestResult(
        uuid=str(uuid.uuid4()), name=scenario.title, fullName=f"scenarios.{scenario.id}",
        historyId=scenario.id, testCaseId=scenario.id, status=_STATUS[scenario.status],
        start=start_ms, stop=start_ms + int(scenario.duration_s * 1000),
        labels=[Label(name="suite", value="filament-sync-harness"), Label(name="feature", value=scenario.id.split(".")[0]),
                *[Label(name="tag", value=row) for row in scenario.rows],
                # Allure's Timeline tab draws one lane per host and thread: the run is one sequence
                Label(name="host", value=socket.gethostname()), Label(name="thread", value="sync-harness run")],
    )
    if scenario.status == "known":
        known = [f.known for f in scenario.failures if f.known] + ([scenario.error_known] if scenario.error_known else [])
        test.labels.append(Label(name="tag", value="known-issue"))
        test.statusDetails = StatusDetails(message=redactor.redact_text(
            "known issue: " + "; ".join(sorted({f"{k['key']}: {k['reason']}" for k in known}))))
        test.links = [Link(type="issue", url=k["link"], name=k["key"]) for k in known if k.get("link")]
    else:
        message = status_message(scenario, redactor)
        if message:
            test.statusDetails = StatusDetails(message=message, trace=status_trace(scenario, redactor))
    test.steps = step_results(scenario, start_ms, redactor)
    for name, payload in (("failures", [f.model_dump(mode="json") for f in scenario.failures]),
                          ("latency", {k: v.model_dump() for k, v in scenario.latency.items()}),
                          ("clients", [c.model_dump() for c in scenario.clients])):
        if payload:
            test.attachments.append(_attach_json(logger, name, redactor.redact(payload)))
    for artefact in scenario.artefacts:
        if Path(artefact.path).is_file() and not (scenario.status == "passed" and artefact.path.endswith(TIMELINE_FILE)):
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
