"""`sync-harness soak`: N simulated clients across guilds and channels, a mutation mix at a target
rate for a duration, every frame checked, convergence at intervals and at the end; a live progress
line and the usual reports (result.json, junit.xml, allure-results)."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
from typing import Any

from harness.commands.bench_scale import peak_rss_mb
from harness.commands.options import add_target_options, non_negative_float, positive_float, positive_int
from harness.commands.run import RunOptions, assemble, build_target
from harness.engine.results import ScenarioResult
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.soak import SoakPlan, SoakProgress, run_soak, soak_spec, throughput
from harness.errors import UsageError
from harness.redact import Redactor, install_log_redaction
from reports.console import Console
from reports.writers import check_writable, write_reports

SETUP_ALLOWANCE_S = 120.0
SETUP_PER_CLIENT_S = 0.5
"""Seeding and connecting are bounded too: registrations, logins and subscriptions of every client."""


def register(commands: Any) -> None:
    soak = commands.add_parser("soak", help="many checked clients, a mutation mix at a rate, for a duration")
    add_target_options(soak)
    soak.add_argument("--clients", type=positive_int, required=True, metavar="N")
    soak.add_argument("--duration", type=positive_float, required=True, metavar="S", help="seconds of mutations")
    soak.add_argument("--rate", type=positive_float, default=20.0, metavar="R", help="mutations per second (default 20)")
    soak.add_argument("--guilds", type=positive_int, metavar="G", help="default: one per 100 clients")
    soak.add_argument("--channels", type=positive_int, default=2, metavar="C", help="channels per guild (default 2)")
    soak.add_argument("--check-every", type=positive_float, default=10.0, metavar="S",
                      help="seconds between convergence checks (default 10)")
    soak.add_argument("--check-sample", type=positive_int, default=200, metavar="K",
                      help="clients each interval check reads, in turn (default 200; the end reads all)")
    soak.add_argument("--seed", type=int, default=None)
    soak.add_argument("--deadline", type=positive_float, default=2.0, metavar="S")
    soak.add_argument("--quiet", type=non_negative_float, default=0.25, metavar="S")
    soak.add_argument("--rest-timeout", type=positive_float, default=30.0, metavar="S",
                      help="bound of one REST call (default 30: thousands of clients load the target)")
    soak.add_argument("--report", type=_path, metavar="DIR")
    soak.add_argument("--json", type=_path, metavar="FILE")
    soak.set_defaults(func=lambda args: asyncio.run(_cmd_soak(args)))


def _path(text: str) -> Any:
    from pathlib import Path

    return Path(text)


async def _cmd_soak(args: argparse.Namespace) -> int:
    if args.guilds and args.guilds > args.clients:
        raise UsageError(f"--guilds {args.guilds} is more than --clients {args.clients}: every guild needs a client")
    options = RunOptions(target=args.target, target_url=args.target_url, target_env=tuple(args.target_env),
                         web_url=args.web_url, faults=tuple(args.fault), scenario_patterns=("soak",),
                         sim_clients=args.clients, seed=args.seed, deadline_s=args.deadline, quiet_s=args.quiet,
                         report_dir=args.report, json_path=args.json)
    seed = options.resolved_seed()
    plan = SoakPlan(clients=args.clients, duration_s=args.duration, rate=args.rate, guilds=args.guilds,
                    channels=args.channels, check_every_s=args.check_every,
                    check_sample=args.check_sample, seed=seed)
    for directory, what in ((args.report, "the report"), (args.json.parent if args.json else None, "the JSON result")):
        if directory:
            check_writable(directory, what)
    redactor = Redactor()
    restore = install_log_redaction(redactor)
    try:
        return await _soak(options, plan, seed, redactor, Console(redactor=redactor), args.rest_timeout)
    finally:
        restore()


async def _soak(options: RunOptions, plan: SoakPlan, seed: int, redactor: Redactor, console: Console,
                rest_timeout: float) -> int:
    target = build_target(options)
    await target.start_cleanly()
    description = target.description
    console.out.print(f"sync-harness soak: {plan.clients} clients in {plan.guild_count} guilds × {plan.channels} "
                      f"channels, {plan.rate:g} mutations/s for {plan.duration_s:g} s against "
                      f"[bold]{options.target}[/] (seed {seed})")
    timeout = SETUP_ALLOWANCE_S + plan.clients * SETUP_PER_CLIENT_S + plan.duration_s * 2
    runner_options = RunnerOptions(deadline_s=options.deadline_s, quiet_s=options.quiet_s, scenario_timeout_s=timeout,
                                   namespace=f"s{seed % 46656:03x}", rest_timeout_s=rest_timeout,
                                   steps_listed=SOAK_STEPS_LISTED)
    session = ScenarioRunner(target, runner_options, redactor).open(soak_spec(plan))
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    results: list[ScenarioResult] = []
    try:
        result = await run_soak(session, plan, lambda p: _show(console, p))
        results.append(result)
    finally:
        await target.stop()
        run = assemble(options, description, results, seed, started_wall, time.monotonic() - started, None,
                       samples=session.latencies, retired_latencies=session.evaluator.retired.latencies)
        write_reports(run, redactor, report_dir=options.report_dir, json_path=options.json_path)
        console.summary(run)
    figures = throughput(result, plan, session)
    console.out.print(f"soak throughput: {figures['mutations']} mutations, {figures['frames']} frames checked "
                      f"({figures['frames'] / max(result.duration_s, 1e-6):.0f} frames/s over the whole run; "
                      f"{figures['frames_retired']} judged for good and dropped from memory as it went), "
                      f"peak harness memory {peak_rss_mb():.0f} MB ({peak_rss_mb() / plan.clients:.2f} MB per client)",
                      soft_wrap=True, highlight=False)
    return 0 if run.status == "passed" else 1


SOAK_STEPS_LISTED = 1000
"""A soak's result lists every step that did not end ``ok`` and its last 1,000 that did (an hour is
~72,000 steps: listing them all made a 24 MB result.json and added 300 MB at the end of the run)."""


def _show(console: Console, progress: SoakProgress) -> None:
    console.out.print(progress.line(), soft_wrap=True, markup=False, highlight=False)
