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
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from harness.checks.retirement import LatencyHistogram
from harness.checks.types import CheckClass, LatencySample
from harness.clients.profile_names import profile_argument
from contracts.server_profiles import SERVER_PROFILES
from harness.commands.gate_options import add_gate_options, profile_defaults
from harness.commands.options import (
    EXIT_CHECK_FAILED, EXIT_OK, add_target_options, non_negative_float, non_negative_int, positive_float,
)
from harness.engine.baseline import Baseline, baseline_report, classify, draft_baseline, write_baseline
from harness.engine.browser_observers import LazyBrowsers
from harness.commands.interrupts import Stopping, run_until_signalled
from harness.commands.run_cause import run_cause
from harness.engine.crash import one_line_cause, traceback_text, write_traceback
from harness.engine.results import (
    RunCause, RunOptionsRecord, RunResult, ScenarioResult, TargetRecord, latency_stats,
)
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.population import with_extra_observers
from harness.engine.suite import coverage, run_entries, summarise
from harness.errors import HarnessError, UsageError
from harness.model.world import LEGACY_OVERRIDE_MODES, LegacyOverrideMode
from harness.redact import Redactor, install_log_redaction
from harness.targets.base import Target
from harness.targets.factory import make_target
from reports.compare import compare, describe, load_previous
from harness.targets.target_profiles import TargetProfile
from reports.console import Console
from reports.target_logs import write_target_logs
from reports.writers import check_file_writable, check_writable, clear_previous_report, write_reports
from scenarios.selection import select_entries


def register(commands: Any) -> None:
    run = commands.add_parser("run", help="run scenarios against a target and write the report")
    add_target_options(run)
    run.add_argument("--scenario", action="append", default=[], metavar="PATTERN",
                     help="glob over scenario ids (repeatable; default: all)")
    run.add_argument("--scenario-file", action="append", default=[], type=Path, metavar="FILE",
                     help="extra scenarios from a TOML or JSON file (repeatable)")
    run.add_argument("--sim-clients", type=non_negative_int, default=0, metavar="N",
                     help="extra simulated observers added to every scenario: the first 50 join its first guild's channel, "
                          "the rest 50 per added crowd guild (default 0)")
    run.add_argument("--browsers", type=non_negative_int, default=0, metavar="N",
                     help="browser clients for browser scenarios; 0 skips them (default 0)")
    run.add_argument("--browser-endpoint", metavar="URL",
                     help="attach browser clients to a remote browser: ws://… (Playwright server) or http://… (CDP)")
    run.add_argument("--seed", type=int, help="seed of the randomised sequences (default: random, printed)")
    run.add_argument("--deadline", type=positive_float, default=None, metavar="S",
                     help="convergence deadline per step in seconds (default 2)")
    run.add_argument("--quiet", type=non_negative_float, default=0.25, metavar="S",
                     help="quiet period after settling, to catch late leaks (default 0.25)")
    run.add_argument("--profile", type=profile_argument, default=None,
                     help="client protocol profile (current | workspace-2026-02-12 | lifecycle-2026-02-12 | legacy-2026-02-12)")
    run.add_argument("--server-profile", choices=tuple(SERVER_PROFILES), default="head",
                     help="the server version the target is (docs/mixed-versions.md): what the oracle expects of "
                          "it; the reference target is started as that version (default head)")
    run.add_argument("--legacy-overrides", choices=LEGACY_OVERRIDE_MODES, default=None,
                     help="how the target applies POST .../overrides/{owner|moderator|member} (REST.md §14.3): "
                          "immediate (reference target, default), first_write (Filament memory mode), "
                          "deferred (Filament with Postgres: only after a restart)")
    run.add_argument("--deep", action="store_true", help="long randomised runs instead of the bounded CI run")
    run.add_argument("--report", type=Path, metavar="DIR", help="write result.json, junit.xml, allure-results here")
    run.add_argument("--json", type=json_file, metavar="FILE", help="write the JSON result to FILE")
    run.add_argument("--artefacts", choices=("failures", "always"), default="failures",
                     help="when to keep browser screenshots and traces (default: failures)")
    run.add_argument("--compare", action="append", default=[], type=Path, metavar="PREVIOUS.json",
                     help="a previous run's result.json (repeatable): list new failures, fixed, still failing "
                          "and flaky scenarios (console, report.html, comparison.json)")
    add_gate_options(run)
    run.set_defaults(func=_cmd_run)


def json_file(text: str) -> Path:
    """``--json FILE``: a directory is refused at once, not after the whole run."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; name a file, e.g. {path / 'result.json'}")
    return path


def _cmd_run(args: argparse.Namespace) -> int:
    options = RunOptions.from_args(args)
    result = run_until_signalled(lambda stopping: run_suite(options, stopping=stopping))
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
    server_profile: str = "head"
    deep: bool = False
    report_dir: Path | None = None
    json_path: Path | None = None
    artefacts: str = "failures"
    disabled_checks: frozenset[CheckClass] = field(default_factory=frozenset)
    compare: tuple[Path, ...] = ()
    target_port: int | None = None
    compose_service: str | None = None
    target_profile: TargetProfile | None = None
    baseline: Baseline | None = None
    baseline_path: Path | None = None
    baseline_strict: bool = False
    write_baseline: Path | None = None
    browser_endpoint: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "RunOptions":
        return cls(
            target=args.target, faults=tuple(args.fault), scenario_patterns=tuple(args.scenario),
            scenario_files=tuple(args.scenario_file), sim_clients=args.sim_clients, browsers=args.browsers,
            seed=args.seed, quiet_s=args.quiet, deep=args.deep, server_profile=args.server_profile,
            report_dir=args.report, json_path=args.json, artefacts=args.artefacts,
            compare=tuple(args.compare),
            target_port=args.target_port, compose_service=args.compose_service,
            **profile_defaults(args),  # --target-profile fills what the command line left out
            browser_endpoint=args.browser_endpoint,
        )

    def resolved_seed(self) -> int:
        return self.seed if self.seed is not None else random.SystemRandom().randrange(2**31)


async def run_suite(options: RunOptions, console: Console | None = None, *,
                    stopping: Stopping | None = None) -> RunResult:
    redactor = Redactor()
    restore_logging = install_log_redaction(redactor)
    try:
        return await _run_suite(options, console or Console(redactor=redactor), redactor, stopping or Stopping())
    finally:
        restore_logging()


async def _run_suite(options: RunOptions, console: Console, redactor: Redactor, stopping: Stopping) -> RunResult:
    seed = options.resolved_seed()
    entries = select_entries(options.scenario_patterns, options.scenario_files, deep=options.deep, seed=seed)
    entries = [with_extra_observers(entry, options.sim_clients) for entry in entries]
    if options.report_dir:
        check_writable(options.report_dir, "the report")
        clear_previous_report(options.report_dir)
    if options.json_path:
        check_file_writable(options.json_path, "the JSON result")
    previous = load_previous(options.compare)
    if options.write_baseline:
        check_writable(options.write_baseline.parent, "the drafted baseline")
    target = build_target(options)
    await target.start_cleanly()  # a target that cannot start is a one-line error, with no report to write
    description = target.description  # now: a stopped target no longer knows its port and database
    console.start(target_spec=options.target, count=len(entries), seed=seed)
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    results: list[ScenarioResult] = []
    crash: HarnessError | None = None
    interrupted = False
    browsers = LazyBrowsers(options.browsers, options.web_url or target.web_url or target.rest_url,
                            endpoint=options.browser_endpoint) if options.browsers else None
    runner = ScenarioRunner(target, runner_options(options, seed), redactor, browsers)
    try:
        crash = await run_entries(entries, runner, browsers=options.browsers, progress=console, results=results,
                                  **baseline_hooks(options))
    except (asyncio.CancelledError, KeyboardInterrupt):
        interrupted = True
        raise
    except Exception as exc:  # noqa: BLE001 - a harness bug outside any scenario: reported, never a pass
        crash = HarnessError(one_line_cause(exc))
        write_traceback(runner.options.artefacts_dir, "run", traceback_text(exc), redactor)
    finally:
        # The report first: a second Ctrl-C or SIGTERM during the (bounded) cleanup cannot lose it.
        try:
            cause = run_cause(crash, interrupted and (stopping.kind or "interrupted"), target,
                              running=entries[len(results)].id if interrupted and len(results) < len(entries) else None)
            run = assemble(options, description, results, seed, started_wall, time.monotonic() - started, crash,
                           interrupted, runner.latency_samples, cause=cause)
            comparison = compare(redactor.redact(run.model_dump(mode="json")), previous) if previous else None
            write_reports(run, redactor, report_dir=options.report_dir, json_path=options.json_path,
                          comparison=comparison)
            console.summary(run)
            for line in describe(comparison) if comparison else []:
                console.out.print(line, markup=False)
            if options.write_baseline:
                write_baseline(draft_baseline(results, target=options.target, previous=options.baseline),
                               options.write_baseline)
                console.out.print(f"baseline draft written to {options.write_baseline}")
        finally:
            if browsers is not None:
                await browsers.close()
            await target.stop()
            write_target_logs(target.logs(), redactor, options.report_dir or
                              (options.json_path.parent if options.json_path else None))
    if crash is not None:
        raise crash
    return run


def runner_options(options: RunOptions, seed: int) -> RunnerOptions:
    # Failing scenarios keep their artefacts beside whichever result file the run writes.
    home = options.report_dir or (options.json_path.parent if options.json_path else None)
    artefacts = home / "artefacts" if home else None
    return RunnerOptions(deadline_s=options.deadline_s, quiet_s=options.quiet_s, profile=options.profile,
                         legacy_overrides=options.legacy_overrides, server_profile=options.server_profile,
                         disabled_checks=options.disabled_checks, artefacts_dir=artefacts,
                         keep_artefacts="always" if options.artefacts == "always" else "failures",
                         timelines=options.report_dir is not None,  # report.html is written only with --report
                         namespace=run_namespace())


def run_namespace() -> str:
    """Six random base-36 characters, fresh for every run, in every username the run registers.

    Not derived from the seed: a persistent ``url:`` target keeps the accounts of earlier runs, and the
    same ``--seed`` twice would register the same names again (the server keeps the first password,
    REST.md §6.1, so every login of the second run failed). The seed decides the steps, never the
    names; the length is fixed, so username validity (and with it every verdict) stays reproducible."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(6))


def baseline_hooks(options: RunOptions) -> dict[str, Any]:
    """What run_entries does with a target profile (skip what it cannot serve) and a baseline (classify
    each result as it ends, so the console already says ``KNOWN``)."""
    hooks: dict[str, Any] = {}
    if options.target_profile is not None:
        hooks["skip_reason"] = options.target_profile.unsupported_reason
    if options.baseline is not None:
        baseline = options.baseline
        hooks["classify"] = lambda result: classify(result, baseline)
    return hooks


def build_target(options: RunOptions) -> Target:
    if options.faults and options.target != "reference":
        raise UsageError("--fault needs --target reference (faults are planted in the reference target)")
    extra: dict[str, Any] = {}
    if options.target == "reference" and options.faults:
        extra["faults"] = list(options.faults)
    if options.target == "reference" and options.server_profile != "head":
        extra["config"] = {"server_profile": options.server_profile}
    if options.target.startswith("command:"):
        extra.update(url=options.target_url, env=list(options.target_env))
    if options.web_url and not options.target.startswith("command:"):
        extra["web_url"] = options.web_url
    if options.target.startswith(("docker:", "compose:")):
        extra.update(env=list(options.target_env), container_port=options.target_port,
                     service=options.compose_service)
    return make_target(options.target, **extra)


def assemble(options: RunOptions, description: str, results: list[ScenarioResult], seed: int,
             started: dt.datetime, duration: float, crash: HarnessError | None,
             interrupted: bool = False, samples: Sequence[LatencySample] = (), *,
             cause: RunCause | None = None, retired_latencies: Mapping[str, LatencyHistogram] | None = None,
             ) -> RunResult:
    summary = summarise(results)
    report = None if options.baseline is None else baseline_report(
        options.baseline, results, path=str(options.baseline_path or ""), strict=options.baseline_strict)
    failed = summary.failed or (report is not None and report.fails_run)
    status = "error" if crash or interrupted or cause or summary.error else ("failed" if failed else "passed")
    return RunResult(
        status=status, interrupted=interrupted, cause=cause, started_at=started.isoformat(timespec="seconds"),
        duration_s=round(duration, 3), target=TargetRecord(spec=options.target, description=description),
        options=RunOptionsRecord(scenario_patterns=list(options.scenario_patterns), sim_clients=options.sim_clients,
                                 browsers=options.browsers, seed=seed, deadline_s=options.deadline_s,
                                 quiet_s=options.quiet_s, profile=options.profile, deep=options.deep,
                                 legacy_overrides=options.legacy_overrides,
                                 server_profile=options.server_profile,
                                 target_profile=options.target_profile.name if options.target_profile else None),
        summary=summary, coverage=coverage(results), latency=latency_stats(list(samples), retired_latencies),
        scenarios=results, baseline=report,
    )
