"""The rollout checklist's reports: a console table, the JSON result and a self-contained HTML page."""
from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, select_autoescape
from rich.console import Console as RichConsole
from rich.table import Table

from harness.redact import Redactor
from harness.rollout.checklist import ItemResult, RolloutResult

STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow"}
JSON_NAME, HTML_NAME = "rollout.json", "rollout.html"


def print_item(console: RichConsole, item: ItemResult) -> None:
    console.print(f"  [{STYLE[item.status]}]{item.status:<7}[/] {item.number}. {item.title} "
                  f"({item.duration_s:.1f} s): {item.message}", highlight=False, soft_wrap=True)


def print_table(console: RichConsole, result: RolloutResult) -> None:
    table = Table(title=f"rollout checklist: {result.target}", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("item")
    table.add_column("status")
    table.add_column("evidence / reason")
    for item in result.items:
        table.add_row(str(item.number), item.title, f"[{STYLE[item.status]}]{item.status}[/]", item.message)
    console.print(table)
    verdict = "[green]passed[/]" if result.status == "passed" else "[bold red]FAILED[/]"
    console.print(f"{sum(i.status == 'passed' for i in result.items)} passed, {len(result.failed)} failed, "
                  f"{sum(i.status == 'skipped' for i in result.items)} skipped in {result.duration_s:.1f} s "
                  f"-> {verdict}")


def write_json(path: Path, result: RolloutResult, redactor: Redactor) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False)
    path.write_text(redactor.redact_text(text) + "\n", encoding="utf-8")
    return path


def write_html(path: Path, result: RolloutResult, redactor: Redactor) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    html = _environment().from_string(TEMPLATE).render(result=result)
    path.write_text(redactor.redact_text(html), encoding="utf-8")
    return path


def write_rollout_reports(directory: Path, result: RolloutResult, redactor: Redactor) -> list[Path]:
    return [write_json(directory / JSON_NAME, result, redactor), write_html(directory / HTML_NAME, result, redactor)]


def _environment() -> Environment:
    return Environment(autoescape=select_autoescape(default=True, default_for_string=True))


TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Rollout checklist: {{ result.status }}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d2330; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; }
  .meta { color: #5b6475; margin-bottom: 1.5rem; }
  .verdict { display: inline-block; padding: .15rem .6rem; border-radius: .3rem; color: #fff; font-weight: 600; }
  .verdict.passed { background: #1f883d; } .verdict.failed { background: #cf222e; }
  .verdict.skipped { background: #9a6700; }
  section.item { border: 1px solid #d0d7de; border-left-width: 6px; border-radius: .4rem; padding: .7rem 1rem;
                 margin: .8rem 0; }
  section.item.passed { border-left-color: #1f883d; } section.item.failed { border-left-color: #cf222e; }
  section.item.skipped { border-left-color: #9a6700; }
  section.item h2 { font-size: 1.05rem; margin: 0 0 .3rem 0; display: flex; gap: .6rem; align-items: center; }
  .duration { color: #5b6475; font-weight: normal; font-size: .85rem; margin-left: auto; }
  .message { margin: .2rem 0 .4rem 0; }
  ul.evidence { margin: 0; padding-left: 1.2rem; font: 12.5px/1.4 ui-monospace, monospace; color: #33394a; }
</style>
</head>
<body>
<h1>Rollout checklist <span class="verdict {{ result.status }}">{{ result.status }}</span></h1>
<div class="meta">target <code>{{ result.target }}</code> ({{ result.description }}) · started {{ result.started_at }}
 · {{ "%.1f"|format(result.duration_s) }} s · report schema {{ result.schema_version }}</div>
{% for item in result.items %}
<section class="item {{ item.status }}" id="{{ item.key }}" aria-label="{{ item.number }}. {{ item.title }}">
  <h2>{{ item.number }}. {{ item.title }} <span class="verdict {{ item.status }}">{{ item.status }}</span>
      <span class="duration">{{ "%.1f"|format(item.duration_s) }} s</span></h2>
  <p class="message">{{ item.message }}</p>
  {% if item.evidence %}<ul class="evidence">{% for line in item.evidence %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}
</section>
{% endfor %}
</body>
</html>
"""
