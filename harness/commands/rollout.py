"""`sync-harness rollout`: Filament's rollout checklist against one target, every item checked with evidence.

Exit 0 when no item failed (skipped items do not fail the run), 1 when one did, 2 for bad input or a
target that cannot start (a one-line cause). Reports: a console table always; with ``--report DIR``
``rollout.json`` and ``rollout.html`` (self-contained) there. docs/rollout.md describes each item.
"""
from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console as RichConsole

from harness.commands.options import (
    EXIT_CHECK_FAILED, EXIT_OK, add_target_options, non_negative_int, positive_float, positive_int,
)
from harness.engine.scenario import ScenarioSpec
from harness.errors import UsageError
from harness.redact import Redactor, install_log_redaction
from harness.rollout.checklist import RolloutResult
from harness.rollout.checklist_run import run_checklist
from harness.rollout.compatibility import load_baseline
from harness.rollout.context import FORCEABLE_MAX_EVENT_BYTES, RolloutSettings
from harness.rollout.manifest import load_manifest
from harness.rollout.smoke import SMOKE_SCENARIOS
from harness.targets.base import Target
from harness.targets.factory import make_target
from reports.rollout_report import print_item, print_table, write_rollout_reports
from reports.writers import check_writable
from scenarios.selection import select_entries

REFERENCE_MAX_EVENT_BYTES = FORCEABLE_MAX_EVENT_BYTES
"""The limit the reference target is started with, so the telemetry gate can force an oversized drop."""


def register(commands: Any) -> None:
    rollout = commands.add_parser("rollout", help="check Filament's rollout checklist against a target, with evidence")
    add_target_options(rollout)
    rollout.add_argument("--baseline-schemas", type=Path, metavar="DIR",
                         help="a previous 'sync-harness contracts export' to check payload compatibility against")
    rollout.add_argument("--manifest", type=Path, metavar="FILE",
                         help="the server's gateway_events_manifest.json, compared with the catalogue")
    rollout.add_argument("--report", type=Path, metavar="DIR", help="write rollout.json and rollout.html here")
    rollout.add_argument("--browsers", type=non_negative_int, default=1, metavar="N",
                         help="browser clients for the smoke run and the fallback item; 0 skips them (default 1)")
    rollout.add_argument("--max-event-bytes", type=positive_int, metavar="N",
                         help="the target's max_gateway_event_bytes (target profile). The reference target is "
                              f"started with it (default {REFERENCE_MAX_EVENT_BYTES}); an oversized drop is forced "
                              f"only when it is at most {FORCEABLE_MAX_EVENT_BYTES}")
    rollout.add_argument("--shared-target", action="store_true",
                         help="others use the target during the run: counters may only be >= the harness's deliveries")
    rollout.add_argument("--scenario", action="append", default=[], metavar="PATTERN",
                         help="smoke subset instead of the checklist's paths (glob over scenario ids, repeatable)")
    rollout.add_argument("--deadline", type=positive_float, default=2.0, metavar="S",
                         help="convergence deadline per step in seconds (default 2)")
    rollout.set_defaults(func=_cmd_rollout)


def _cmd_rollout(args: argparse.Namespace) -> int:
    result = asyncio.run(rollout(args))
    return EXIT_OK if result.status == "passed" else EXIT_CHECK_FAILED


def settings_from(args: argparse.Namespace) -> RolloutSettings:
    if args.baseline_schemas is not None:
        load_baseline(args.baseline_schemas)  # bad input is a usage error before any target starts
    if args.manifest is not None:
        load_manifest(args.manifest)
    max_bytes = args.max_event_bytes
    if args.target == "reference" and max_bytes is None:
        max_bytes = REFERENCE_MAX_EVENT_BYTES
    if max_bytes is not None and max_bytes > 65536:
        raise UsageError(f"--max-event-bytes {max_bytes}: Filament refuses limits above 65536")
    return RolloutSettings(max_event_bytes=max_bytes, exclusive=not args.shared_target,
                           baseline_schemas=args.baseline_schemas, manifest=args.manifest, browsers=args.browsers,
                           web_url=args.web_url, deadline_s=args.deadline,
                           smoke_patterns=tuple(args.scenario) or SMOKE_SCENARIOS)


def smoke_entries(patterns: tuple[str, ...]) -> list[ScenarioSpec]:
    entries = select_entries(patterns, [])
    specs = [e for e in entries if isinstance(e, ScenarioSpec)]
    if not specs:
        raise UsageError("the smoke subset selects no scripted scenario")
    return specs


def build_rollout_target(args: argparse.Namespace, settings: RolloutSettings) -> Target:
    if args.fault and args.target != "reference":
        raise UsageError("--fault needs --target reference (faults are planted in the reference target)")
    extra: dict[str, Any] = {}
    if args.target == "reference":
        extra["config"] = {"max_gateway_event_bytes": settings.max_event_bytes}
        if args.fault:
            extra["faults"] = list(args.fault)
    if args.target.startswith("command:"):
        extra.update(url=args.target_url, env=list(args.target_env))
    if args.target.startswith(("docker:", "compose:")):
        extra.update(env=list(args.target_env), container_port=getattr(args, "target_port", None),
                     service=getattr(args, "compose_service", None))
    return make_target(args.target, **extra)


async def rollout(args: argparse.Namespace, console: RichConsole | None = None) -> RolloutResult:
    console = console or RichConsole(highlight=False)
    redactor = Redactor()
    restore = install_log_redaction(redactor)
    try:
        settings = settings_from(args)
        entries = smoke_entries(settings.smoke_patterns)
        if args.report:
            check_writable(args.report, "the rollout report")
        target = build_rollout_target(args, settings)
        console.print(f"rollout checklist against {args.target} ({len(entries)} smoke scenarios)")
        result = await run_checklist(target, settings, entries, redactor,
                                     progress=lambda item: print_item(console, item), spec=args.target)
        print_table(console, result)
        if args.report:
            for path in write_rollout_reports(args.report, result, redactor):
                console.print(f"wrote {path}")
        return result
    finally:
        restore()
