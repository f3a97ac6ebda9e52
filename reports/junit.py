"""JUnit XML for CI systems that render test reports: one testcase per scenario."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult


def write_junit(result: RunResult, path: Path, redactor: Redactor) -> Path:
    suite = ET.Element("testsuite", {
        "name": "filament-sync-harness",
        "tests": str(result.summary.total + _stale(result)),
        "failures": str(result.summary.failed + _stale(result, strict=True)),
        "errors": str(result.summary.error),
        "skipped": str(result.summary.skipped + result.summary.known + _stale(result, strict=False)),
        "time": f"{result.duration_s:.3f}",
        "timestamp": result.started_at,
    })
    for scenario in result.scenarios:
        suite.append(_testcase(scenario, redactor))
    for case in _stale_cases(result, redactor):
        suite.append(case)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _testcase(scenario: ScenarioResult, redactor: Redactor) -> ET.Element:
    case = ET.Element("testcase", {"classname": "scenarios", "name": scenario.id, "time": f"{scenario.duration_s:.3f}"})
    if scenario.status == "failed":
        lines = [f"[{f.check}/{f.kind}] {f.message}" for f in scenario.failures]
        failure = ET.SubElement(case, "failure", {"message": redactor.redact_text(lines[0] if lines else "failed")})
        failure.text = redactor.redact_text("\n".join(lines))
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
