"""`sync-harness run`: run the selected scenarios against one target and write the report.

A scenario that fails is reported and the run goes on; a target that cannot start is a usage error
(exit 2); a target that dies mid-run ends the run, but the scenarios run so far are still written to
the report (nothing is lost) before the one-line error.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from harness.checks.types import CheckClass, LatencySample
from harness.clients.profile_names import profile_argument
from harness.commands.options import (
    EXIT_CHECK_FAILED, EXIT_OK, add_target_options, non_negative_float, non_negative_int, positive_float,
)
from harness.engine.browser_observers import LazyBrowsers
from harness.engine.results import RunOptionsRecord, RunResult, ScenarioResult, TargetRecord, latency_stats
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.suite import coverage, run_entries, summarise, with_extra_observers
from harness.errors import BrowserUnavailable, HarnessError, TargetError, UsageError
from harness.model.world import LEGACY_OVERRIDE_MODES, LegacyOverrideMode
from harness.redact import Redactor, install_log_redaction
from harness.targets.base import Target
from harness.targets.factory import make_target
from reports.console import Console
from reports.writers import check_writable, write_reports
from scenarios.selection import select_entries


def register(commands: Any) -> None:
    run = commands.add_parser("run", help="run scenarios against a target and write the report")
    add_target_options(run)
    run.add_argument("--scenario", action="append", default=[], metavar="PATTERN",
                     help="glob over scenario ids (repeatable; default: all)")
    run.add_argument("--scenario-file", action="append", default=[], type=Path, metavar="FILE",
                     help="extra scenarios from a TOML or JSON file (repeatable)")
    run.add_argument("--sim-clients", type=non_negative_int, default=0, metavar="N",
                     help="extra plain-member simulated observers added to every scenario (default 0)")
    run.add_argument("--browsers", type=non_negative_int, default=0, metavar="N",
                     help="browser clients for browser scenarios; 0 skips them (default 0)")
    run.add_argument("--browser-endpoint", metavar="URL",
                     help="attach browser clients to a remote browser: ws://… (Playwright server) or http://… (CDP)")
    run.add_argument("--seed", type=int, help="seed of the randomised sequences (default: random, printed)")
    run.add_argument("--deadline", type=positive_float, default=2.0, metavar="S",
                     help="convergence deadline per step in seconds (default 2)")
    run.add_argument("--quiet", type=non_negative_float, default=0.25, metavar="S",
                     help="quiet period after settling, to catch late leaks (default 0.25)")
    run.add_argument("--profile", type=profile_argument, default="current",
                     help="client protocol profile (current | legacy-2026-02-12)")
    run.add_argument("--legacy-overrides", choices=LEGACY_OVERRIDE_MODES, default="immediate",
                     help="how the target applies POST .../overrides/{owner|moderator|member} (REST.md §14.3): "
                          "immediate (reference target, default), first_write (Filament memory mode), "
                          "deferred (Filament with Postgres: only after a restart)")
    run.add_argument("--deep", action="store_true", help="long randomised runs instead of the bounded CI run")
    run.add_argument("--report", type=Path, metavar="DIR", help="write result.json, junit.xml, allure-results here")
    run.add_argument("--json", type=Path, metavar="FILE", help="write the JSON result to FILE")
    run.add_argument("--artefacts", choices=("failures", "always"), default="failures",
                     help="when to keep browser screenshots and traces (default: failures)")
    run.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    result = asyncio.run(run_suite(RunOptions.from_args(args)))
    return EXIT_OK if result.status == "passed" else EXIT_CHECK_FAILED


@dataclass(frozen=True)
class RunOptions:
    target: str = "reference"
    target_url: str | None = None
    target_env: tuple[str, ...] = ()
    web_url: str | None = None
    faults: tuple[str, ...] = ()
    scenario_patterns: tuple[str, ...] = ()
    scenario_files: tuple[Path, ...] = ()
    sim_clients: int = 0
    browsers: int = 0
    seed: int | None = None
    deadline_s: float = 2.0
    quiet_s: float = 0.25
    profile: str = "current"
    legacy_overrides: LegacyOverrideMode = "immediate"
    deep: bool = False
    report_dir: Path | None = None
    json_path: Path | None = None
    artefacts: str = "failures"
    disabled_checks: frozenset[CheckClass] = field(default_factory=frozenset)
    browser_endpoint: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "RunOptions":
        return cls(
            target=args.target, target_url=args.target_url, target_env=tuple(args.target_env),
            web_url=args.web_url, faults=tuple(args.fault), scenario_patterns=tuple(args.scenario),
            scenario_files=tuple(args.scenario_file), sim_clients=args.sim_clients, browsers=args.browsers,
            seed=args.seed, deadline_s=args.deadline, quiet_s=args.quiet, profile=args.profile, deep=args.deep,
            legacy_overrides=args.legacy_overrides,
            report_dir=args.report, json_path=args.json, artefacts=args.artefacts,
            browser_endpoint=args.browser_endpoint,
        )

    def resolved_seed(self) -> int:
        return self.seed if self.seed is not None else random.SystemRandom().randrange(2**31)


async def run_suite(options: RunOptions, console: Console | None = None) -> RunResult:
    redactor = Redactor()
    restore_logging = install_log_redaction(redactor)
    try:
        return await _run_suite(options, console or Console(redactor=redactor), redactor)
    finally:
        restore_logging()


async def _run_suite(options: RunOptions, console: Console, redactor: Redactor) -> RunResult:
    seed = options.resolved_seed()
    entries = select_entries(options.scenario_patterns, options.scenario_files, deep=options.deep, seed=seed)
    entries = [with_extra_observers(entry, options.sim_clients) for entry in entries]
    if options.report_dir:
        check_writable(options.report_dir, "the report")
    if options.json_path:
        check_writable(options.json_path.parent, "the JSON result")
    target = build_target(options)
    await target.start_cleanly()  # a target that cannot start is a one-line error, with no report to write
    description = target.description  # now: a stopped target no longer knows its port and database
    console.start(target_spec=options.target, count=len(entries), seed=seed)
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    results: list[ScenarioResult] = []
    crash: TargetError | BrowserUnavailable | None = None
    interrupted = False
    browsers = LazyBrowsers(options.browsers, options.web_url or target.web_url or target.rest_url,
                            endpoint=options.browser_endpoint) if options.browsers else None
    runner = ScenarioRunner(target, runner_options(options, seed), redactor, browsers)
    try:
        crash = await run_entries(entries, runner, browsers=options.browsers, progress=console, results=results)
    except (asyncio.CancelledError, KeyboardInterrupt):
        interrupted = True
        raise
    finally:
        if browsers is not None:
            await browsers.close()
        await target.stop()
        run = assemble(options, description, results, seed, started_wall, time.monotonic() - started, crash,
                       interrupted, runner.latency_samples)
        write_reports(run, redactor, report_dir=options.report_dir, json_path=options.json_path)
        console.summary(run)
    if crash is not None:
        raise crash
    return run


def runner_options(options: RunOptions, seed: int) -> RunnerOptions:
    # Failing scenarios keep their artefacts beside whichever result file the run writes.
    home = options.report_dir or (options.json_path.parent if options.json_path else None)
    artefacts = home / "artefacts" if home else None
    return RunnerOptions(deadline_s=options.deadline_s, quiet_s=options.quiet_s, profile=options.profile,
                         legacy_overrides=options.legacy_overrides,
                         disabled_checks=options.disabled_checks, artefacts_dir=artefacts,
                         keep_artefacts="always" if options.artefacts == "always" else "failures",
                         namespace=f"{seed % 46656:03x}{random.Random(seed).randrange(4096):03x}")


def build_target(options: RunOptions) -> Target:
    if options.faults and options.target != "reference":
        raise UsageError("--fault needs --target reference (faults are planted in the reference target)")
    extra: dict[str, Any] = {}
    if options.target == "reference" and options.faults:
        extra["faults"] = list(options.faults)
    if options.target.startswith("command:"):
        extra.update(url=options.target_url, env=list(options.target_env))
    if options.web_url and not options.target.startswith("command:"):
        extra["web_url"] = options.web_url
    return make_target(options.target, **extra)


def assemble(options: RunOptions, description: str, results: list[ScenarioResult], seed: int,
             started: dt.datetime, duration: float, crash: HarnessError | None,
             interrupted: bool = False, samples: Sequence[LatencySample] = ()) -> RunResult:
    summary = summarise(results)
    status = "error" if crash or interrupted or summary.error else ("failed" if summary.failed else "passed")
    return RunResult(
        status=status, interrupted=interrupted, started_at=started.isoformat(timespec="seconds"),
        duration_s=round(duration, 3), target=TargetRecord(spec=options.target, description=description),
        options=RunOptionsRecord(scenario_patterns=list(options.scenario_patterns), sim_clients=options.sim_clients,
                                 browsers=options.browsers, seed=seed, deadline_s=options.deadline_s,
                                 quiet_s=options.quiet_s, profile=options.profile, deep=options.deep,
                                 legacy_overrides=options.legacy_overrides),
        summary=summary, coverage=coverage(results), latency=latency_stats(list(samples)),
        scenarios=results,
    )
