"""JUnit XML for CI systems that render test reports: one testcase per scenario, its failure body
carrying every failure's check, kind, event, connection, expected and observed (reports/failure_text.py)."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult
from reports.failure_text import describe, headline, redacted


def write_junit(result: RunResult, path: Path, redactor: Redactor) -> Path:
    run_case = _run_case(result, redactor)
    extra = 1 if run_case is not None else 0
    suite = ET.Element("testsuite", {
        "name": "filament-sync-harness",
        "tests": str(result.summary.total + extra + _stale(result)),
        "failures": str(result.summary.failed + _stale(result, strict=True)),
        "errors": str(result.summary.error + extra),
        "skipped": str(result.summary.skipped + result.summary.known + _stale(result, strict=False)),
        "time": f"{result.duration_s:.3f}",
        "timestamp": result.started_at,
    })
    for scenario in result.scenarios:
        suite.append(_testcase(scenario, redactor))
    if run_case is not None:
        suite.append(run_case)
    for case in _stale_cases(result, redactor):
        suite.append(case)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _testcase(scenario: ScenarioResult, redactor: Redactor) -> ET.Element:
    case = ET.Element("testcase", {"classname": classname(scenario.id), "name": scenario.id,
                                   "time": f"{scenario.duration_s:.3f}"})
    if scenario.status == "failed":
        failures = [redacted(f, redactor) for f in scenario.failures]
        first = failures[0] if failures else None
        more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
        failure = ET.SubElement(case, "failure", {
            "message": redactor.redact_text((headline(first) if first else "failed") + more),
            "type": f"{first.check}/{first.kind}" if first else "failed"})
        failure.text = redactor.redact_text("\n\n".join(describe(f) for f in failures))
    elif scenario.status == "error":
        error = ET.SubElement(case, "error", {"message": redactor.redact_text(scenario.error or "error")})
        error.text = redactor.redact_text(scenario.error or "")
    elif scenario.status == "known":  # like pytest's xfail in JUnit: skipped, with the reason
        reasons = sorted({f"{f.known['key']}: {f.known['reason']}" for f in scenario.failures if f.known}
                         | ({f"{scenario.error_known['key']}: {scenario.error_known['reason']}"}
                            if scenario.error_known else set()))
        ET.SubElement(case, "skipped", {"type": "known-issue",
                                        "message": redactor.redact_text("known: " + "; ".join(reasons))})
    elif scenario.status == "skipped":
        ET.SubElement(case, "skipped", {"message": redactor.redact_text(scenario.error or "skipped")})
    return case


def _run_case(result: RunResult, redactor: Redactor) -> ET.Element | None:
    """The run's own cause (target died, interrupted, …) as an error testcase named ``run``; also any
    non-passing run whose scenarios alone would read green (so a CI gate never shows it as passed)."""
    if result.cause is None and (result.status == "passed" or result.summary.failed or result.summary.error
                                  or _stale(result, strict=True)):
        return None
    message = (f"{result.cause.kind}: {result.cause.message}" if result.cause
               else f"the run's status is {result.status}")
    case = ET.Element("testcase", {"classname": "run", "name": "run", "time": f"{result.duration_s:.3f}"})
    error = ET.SubElement(case, "error", {"message": redactor.redact_text(message),
                                          "type": result.cause.kind if result.cause else result.status})
    error.text = redactor.redact_text(message + (f" (during {result.cause.scenario})"
                                                 if result.cause and result.cause.scenario else ""))
    return case


def classname(scenario_id: str) -> str:
    """``row.message.create`` -> ``sync_harness.row.message``: CI tools group test cases by the part
    before the last dot, so scenarios of one family sit together under the harness's name."""
    family = scenario_id.rsplit(".", 1)[0] if "." in scenario_id else scenario_id
    return f"sync_harness.{family}"


def _stale(result: RunResult, strict: bool | None = None) -> int:
    """Stale baseline entries, each one extra testcase (a failure under --baseline-strict, else skipped)."""
    report = result.baseline
    if report is None or (strict is not None and strict != report.strict):
        return 0
    return report.stale


def _stale_cases(result: RunResult, redactor: Redactor) -> list[ET.Element]:
    report = result.baseline
    cases = []
    for use in (u for u in (report.uses if report else []) if u.state == "stale"):
        case = ET.Element("testcase", {"classname": "baseline", "name": f"stale: {use.key}", "time": "0"})
        message = redactor.redact_text(f"stale baseline entry {use.entry}: no longer fails in "
                                       f"{', '.join(use.scenarios)}")
        ET.SubElement(case, "failure" if report.strict else "skipped", {"message": message})
        cases.append(case)
    return cases
