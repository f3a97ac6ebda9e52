"""The version matrix's reports: a console table, the JSON result, and one self-contained HTML page
whose cells link to their scenarios' results (further down the same page, and to each cell's own
``result.json`` when the run wrote a report directory). Every text passes the run's redactor."""
from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console as RichConsole
from rich.table import Table

from harness.engine.matrix import CellResult, MatrixResult
from harness.redact import Redactor

_SHORT = {"compatible": "compatible", "degrades": "degrades", "incompatible": "incompatible"}


def cell_id(cell: CellResult) -> str:
    return f"cell-{cell.client}--{cell.server}"


def cell_dir_name(cell: CellResult) -> str:
    return f"{cell.client}--{cell.server}"


def print_matrix(result: MatrixResult, redactor: Redactor, stream: Any = None) -> None:
    stream = stream or sys.stderr
    out = RichConsole(file=stream, highlight=False, soft_wrap=True, width=None if stream.isatty() else 200)
    table = Table(title="version matrix (client × server): observed / declared")
    table.add_column("client \\ server")
    for server in result.servers:
        table.add_column(server)
    for client in result.clients:
        row = [client]
        for server in result.servers:
            cell = _cell(result, client, server)
            mark = "[green]OK[/]" if cell.ok else "[red]RED[/]"
            row.append(f"{mark} {cell.observed}" + ("" if cell.ok else f" (declared {cell.declared})"))
        table.add_row(*row)
    out.print(table)
    for cell in result.cells:
        if not cell.ok:
            out.print(f"[red]RED[/] {cell.client} × {cell.server}:")
            for reason in cell.reasons:
                out.print(redactor.redact_text(f"      {reason}"), markup=False)
    red = sum(1 for c in result.cells if not c.ok)
    out.print(f"{len(result.cells) - red} cells as declared, {red} red, {len(result.scenario_ids)} scenarios per cell, "
              f"in {result.duration_s:.1f} s -> [bold]{result.status}[/]")


def write_json(result: MatrixResult | CellResult, path: Path, redactor: Redactor) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = redactor.redact(result.model_dump(mode="json"))
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def write_html(result: MatrixResult, path: Path, redactor: Redactor, *, cell_results: bool = False) -> Path:
    """``cell_results``: each cell's ``<client>--<server>/result.json`` exists beside the page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page = _page(result, cell_results)
    path.write_text(redactor.redact_text(page), encoding="utf-8")
    return path


def _cell(result: MatrixResult, client: str, server: str) -> CellResult:
    return next(c for c in result.cells if c.client == client and c.server == server)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.4em .7em;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}td.ok{background:#e3f6e3}td.red{background:#fbdede}td a{color:inherit}
.degraded{color:#075985}.failed,.error{color:#b91c1c}.passed{color:#166534}
section{border-top:1px solid #ddd;margin-top:1.2em}code{font-size:90%}li{margin:.15em 0}
"""


def _page(result: MatrixResult, cell_results: bool) -> str:
    head = "".join(f"<th>{_e(s)}</th>" for s in result.servers)
    rows = []
    for client in result.clients:
        cells = []
        for server in result.servers:
            cell = _cell(result, client, server)
            label = f"{'OK' if cell.ok else 'RED'}: {cell.observed}" + ("" if cell.ok else f" (declared {cell.declared})")
            cells.append(f'<td class="{"ok" if cell.ok else "red"}"><a href="#{_e(cell_id(cell))}">{_e(label)}</a></td>')
        rows.append(f"<tr><th>{_e(client)}</th>{''.join(cells)}</tr>")
    sections = "".join(_section(cell, cell_results) for cell in result.cells)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>version matrix: {_e(result.status)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>Version matrix: {_e(result.status)}</h1>"
            f"<p>{_e(result.matrix_file)} · started {_e(result.started_at)} · {result.duration_s:.1f} s · scenarios: "
            f"{_e(', '.join(result.scenario_ids))}</p>"
            f"<table><tr><th>client \\ server</th>{head}</tr>{''.join(rows)}</table>{sections}</body></html>")


def _section(cell: CellResult, cell_results: bool) -> str:
    link = (f' · <a href="{_e(cell_dir_name(cell))}/result.json">result.json</a>' if cell_results else "")
    faults = f" + faults {_e(', '.join(cell.faults))}" if cell.faults else ""
    reasons = "".join(f"<li>{_e(r)}</li>" for r in cell.reasons)
    scenarios = "".join(_scenario(s) for s in cell.scenarios)
    return (f'<section id="{_e(cell_id(cell))}"><h2>{_e(cell.client)} × {_e(cell.server)}: '
            f'{"as declared" if cell.ok else "RED"}</h2>'
            f"<p>client profile <code>{_e(cell.client_profile)}</code> · server profile <code>{_e(cell.server_profile)}"
            f"</code>{faults} · declared <b>{_e(cell.declared)}</b>, observed <b>{_e(cell.observed)}</b>{link}</p>"
            + (f"<p>{_e(cell.why)}</p>" if cell.why else "")
            + (f"<ul>{reasons}</ul>" if reasons else "")
            + f"<table><tr><th>scenario</th><th>status</th><th>findings</th></tr>{scenarios}</table></section>")


def _scenario(s: Any) -> str:
    findings = [*(f"[{f.check}/{f.kind}] {f.message}" for f in s.failures),
                *(f"degraded [{f.check}/{f.kind}] {f.message}" for f in s.degradations)]
    if s.error:
        findings.insert(0, f"error: {s.error}")
    items = "".join(f"<li>{_e(x)}</li>" for x in findings[:20])
    more = f"<li>… {len(findings) - 20} more</li>" if len(findings) > 20 else ""
    return (f'<tr><td>{_e(s.id)}</td><td class="{_e(s.status)}">{_e(s.status)} ({s.duration_s:.1f} s)</td>'
            f"<td><ul>{items}{more}</ul></td></tr>")
