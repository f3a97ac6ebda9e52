"""`sync-harness matrix`: a scenario set for every cell of {client profiles} × {server profiles}, each
judged against the expectation a reviewed matrix file declares (docs/mixed-versions.md).

One reference target per server (its server profile and planted faults), one runner per client profile
on it; cells run one after the other. Exit 0 when every cell is as declared, 1 when one is red, 2 for a
bad matrix file or a target that cannot start.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

from harness.commands.options import EXIT_CHECK_FAILED, EXIT_OK, positive_float
from harness.engine.matrix import CellResult, MatrixPlan, MatrixResult, judge_cell, load_plan, plan_scenarios
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.scenario import ScenarioSpec
from harness.redact import Redactor
from harness.targets.reference import ReferenceTarget
from reports.matrix_report import cell_dir_name, print_matrix, write_html, write_json

DEFAULT_MATRIX = Path(__file__).resolve().parents[2] / "scenarios" / "compat" / "matrix.toml"


def register(commands: Any) -> None:
    matrix = commands.add_parser("matrix", help="client × server version matrix against declared expectations")
    matrix.add_argument("--matrix", type=Path, default=DEFAULT_MATRIX, metavar="FILE",
                        help="the reviewed matrix file (default: scenarios/compat/matrix.toml)")
    matrix.add_argument("--client", action="append", default=[], metavar="NAME", help="only this client (repeatable)")
    matrix.add_argument("--server", action="append", default=[], metavar="NAME", help="only this server (repeatable)")
    matrix.add_argument("--deadline", type=positive_float, default=2.0, metavar="S",
                        help="convergence deadline per step in seconds (default 2)")
    matrix.add_argument("--report", type=Path, metavar="DIR",
                        help="write matrix.json, matrix.html and each cell's result.json here")
    matrix.add_argument("--json", type=Path, metavar="FILE", help="write the matrix JSON to FILE")
    matrix.add_argument("--html", type=Path, metavar="FILE", help="write the matrix HTML page to FILE")
    matrix.set_defaults(func=_cmd_matrix)


def _cmd_matrix(args: argparse.Namespace) -> int:
    plan = load_plan(args.matrix).only(args.client, args.server)
    specs = plan_scenarios(plan, args.matrix)
    redactor = Redactor()
    result = asyncio.run(run_matrix(plan, specs, str(args.matrix), deadline_s=args.deadline))
    write_matrix_reports(result, redactor, report_dir=args.report, json_path=args.json, html_path=args.html)
    print_matrix(result, redactor)
    return EXIT_OK if result.status == "passed" else EXIT_CHECK_FAILED


async def run_matrix(plan: MatrixPlan, specs: list[ScenarioSpec], matrix_file: str, *,
                     deadline_s: float = 2.0) -> MatrixResult:
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    cells: list[CellResult] = []
    for server in plan.servers:
        async with ReferenceTarget(config={"server_profile": server.profile}, faults=server.faults) as target:
            for client in plan.clients:
                options = RunnerOptions(deadline_s=deadline_s, profile=client.profile, server_profile=server.profile)
                runner = ScenarioRunner(target, options, Redactor())
                results = [await runner.run(spec) for spec in specs]
                cells.append(judge_cell(client, server, plan.cell(client.name, server.name), results))
    return MatrixResult(
        status="passed" if all(c.ok for c in cells) else "failed",
        started_at=started_wall.isoformat(timespec="seconds"), duration_s=round(time.monotonic() - started, 3),
        matrix_file=matrix_file, clients=[c.name for c in plan.clients], servers=[s.name for s in plan.servers],
        scenario_ids=[s.id for s in specs], cells=cells,
    )


def write_matrix_reports(result: MatrixResult, redactor: Redactor, *, report_dir: Path | None = None,
                         json_path: Path | None = None, html_path: Path | None = None) -> None:
    if json_path:
        write_json(result, json_path, redactor)
    if html_path:
        write_html(result, html_path, redactor)
    if report_dir:
        write_json(result, report_dir / "matrix.json", redactor)
        for cell in result.cells:
            write_json(cell, report_dir / cell_dir_name(cell) / "result.json", redactor)
        write_html(result, report_dir / "matrix.html", redactor, cell_results=True)
