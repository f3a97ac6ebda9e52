"""JUnit XML for CI systems that render test reports: one testcase per scenario."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult


def write_junit(result: RunResult, path: Path, redactor: Redactor) -> Path:
    suite = ET.Element("testsuite", {
        "name": "filament-sync-harness",
        "tests": str(result.summary.total),
        "failures": str(result.summary.failed),
        "errors": str(result.summary.error),
        "skipped": str(result.summary.skipped),
        "time": f"{result.duration_s:.3f}",
        "timestamp": result.started_at,
    })
    for scenario in result.scenarios:
        suite.append(_testcase(scenario, redactor))
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
    elif scenario.status == "skipped":
        ET.SubElement(case, "skipped", {"message": redactor.redact_text(scenario.error or "skipped")})
    return case
