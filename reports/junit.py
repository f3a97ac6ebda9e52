"""JUnit XML for CI systems that render test reports: one testcase per scenario, its failure body
carrying every failure's check, kind, event, connection, expected and observed (reports/failure_text.py)."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult
from reports.failure_text import describe, headline, redacted


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
    elif scenario.status == "skipped":
        ET.SubElement(case, "skipped", {"message": redactor.redact_text(scenario.error or "skipped")})
    return case


def classname(scenario_id: str) -> str:
    """``row.message.create`` -> ``sync_harness.row.message``: CI tools group test cases by the part
    before the last dot, so scenarios of one family sit together under the harness's name."""
    family = scenario_id.rsplit(".", 1)[0] if "." in scenario_id else scenario_id
    return f"sync_harness.{family}"
