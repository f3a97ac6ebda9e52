"""``report.html``: one self-contained file (inline CSS, JS, SVG and screenshots; no network) with the
run's summary, the comparison with previous runs and one timeline per scenario (docs/html-report.md)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from harness.engine.results import RunResult
from harness.redact import Redactor
from reports.html import view

REPORT_FILE = "report.html"


def write_html(run: RunResult, path: Path, redactor: Redactor, comparison: dict[str, Any] | None = None) -> Path:
    """Everything shown is redacted first, as data (before HTML escaping could hide a secret's shape
    from the patterns), then once more as the final text."""
    data = redactor.redact(run.model_dump(mode="json"))
    html = render(data, redactor, comparison)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(redactor.redact_text(html), encoding="utf-8")
    temporary.replace(path)
    return path


def render(run: dict[str, Any], redactor: Redactor, comparison: dict[str, Any] | None = None) -> str:
    anchors = {s["id"]: anchor(s["id"]) for s in run.get("scenarios", [])}
    timelines: dict[str, view.Timeline | None] = {}
    scenarios = []
    for scenario in run.get("scenarios", []):
        raw = view.load_timeline(scenario, redactor.redact)
        timelines[scenario["id"]] = view.timeline(raw, scenario) if raw else None
        scenarios.append({**scenario, "anchor": anchors[scenario["id"]], "timeline": timelines[scenario["id"]],
                          "failure_views": [view.failure_view(f) for f in scenario.get("failures", [])],
                          "screenshots": view.screenshots(scenario)})
    template = _environment().get_template("report.html.j2")
    return template.render(run=run, summary=view.summary(run), events=view.event_types(timelines, run),
                           scenarios=scenarios, anchors=anchors, comparison=comparison)


def anchor(scenario_id: str) -> str:
    return "scenario-" + re.sub(r"[^A-Za-z0-9_-]", "-", scenario_id)


def _environment() -> Environment:
    return Environment(loader=PackageLoader("reports.html", "templates"),
                       autoescape=select_autoescape(enabled_extensions=("j2", "html"), default=True),
                       trim_blocks=True, lstrip_blocks=True)
