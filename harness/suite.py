"""`sync-harness run`: run the selected scenarios against one target and write the report.

A scenario that fails is reported and the run goes on; a target that cannot start is a usage error
(exit 2); a target that dies mid-run ends the run, but the scenarios run so far are still written to
the report (nothing is lost) before the one-line error.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import fnmatch
import itertools
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, Sequence

from contracts.mutations import CATALOGUE_ROWS
from harness.browser_observers import LazyBrowsers
from harness.checks.types import CheckClass, LatencySample
from harness.console import Console
from harness.errors import BrowserUnavailable, HarnessError, ScenarioError, TargetError, UsageError
from harness.model.world import LegacyOverrideMode
from harness.redact import Redactor, install_log_redaction
from harness.results import (
    Coverage, RowCoverage, RunOptionsRecord, RunResult, RunSummary, ScenarioResult, TargetRecord, latency_stats,
)
from harness.runner import RunnerOptions, ScenarioRunner
from harness.scenario import ClientSpec, ScenarioSpec, load_scenario_file
from harness.targets.base import Target
from harness.targets.factory import make_target


class GeneratedEntry(Protocol):
    """A catalogue entry that builds its steps while it runs (the Hypothesis state machine)."""

    id: str
    title: str
    rows: list[str]
    tags: list[str]

    async def run(self, runner: ScenarioRunner) -> ScenarioResult: ...


Entry = ScenarioSpec | GeneratedEntry


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

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "RunOptions":
        return cls(
            target=args.target, target_url=args.target_url, target_env=tuple(args.target_env),
            web_url=args.web_url, faults=tuple(args.fault), scenario_patterns=tuple(args.scenario),
            scenario_files=tuple(args.scenario_file), sim_clients=args.sim_clients, browsers=args.browsers,
            seed=args.seed, deadline_s=args.deadline, quiet_s=args.quiet, profile=args.profile, deep=args.deep,
            legacy_overrides=args.legacy_overrides,
            report_dir=args.report, json_path=args.json, artefacts=args.artefacts,
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
    browsers = LazyBrowsers(options.browsers, options.web_url or target.web_url or target.rest_url) \
        if options.browsers else None
    runner = ScenarioRunner(target, _runner_options(options, seed), redactor, browsers)
    try:
        crash = await _run_entries(entries, runner, options, console, results)
    except (asyncio.CancelledError, KeyboardInterrupt):
        interrupted = True
        raise
    finally:
        if browsers is not None:
            await browsers.close()
        await target.stop()
        run = assemble(options, description, results, seed, started_wall, time.monotonic() - started, crash,
                       interrupted, runner.latency_samples)
        write_reports(run, options, redactor)
        console.summary(run)
    if crash is not None:
        raise crash
    return run


async def _run_entries(entries: Sequence[Entry], runner: ScenarioRunner, options: RunOptions, console: Console,
                       results: list[ScenarioResult]) -> TargetError | BrowserUnavailable | None:
    for index, entry in enumerate(entries, start=1):
        console.begin(index, len(entries), entry.id)
        if needs_browser(entry) and options.browsers == 0:
            result = _not_run(entry, "skipped", "browser scenario: run with --browsers N to include it")
        elif needs_restart(entry) and not runner.target.supports_restart:
            result = _not_run(entry, "skipped", NO_RESTART)
        else:
            try:
                result = await runner.run_entry(entry)
            except (TargetError, BrowserUnavailable) as exc:
                results.append(_not_run(entry, "error", str(exc).splitlines()[0]))
                console.end(results[-1])
                return exc
        results.append(result)
        console.end(result)
        if not runner.target.alive():
            return TargetError(f"the target died during scenario {entry.id!r}; last output:\n"
                               f"{runner.target.log_tail(15)}")
    return None


def _runner_options(options: RunOptions, seed: int) -> RunnerOptions:
    # Failing scenarios keep their artefacts beside whichever result file the run writes.
    home = options.report_dir or (options.json_path.parent if options.json_path else None)
    artefacts = home / "artefacts" if home else None
    return RunnerOptions(deadline_s=options.deadline_s, quiet_s=options.quiet_s, profile=options.profile,
                         legacy_overrides=options.legacy_overrides,
                         disabled_checks=options.disabled_checks, artefacts_dir=artefacts,
                         keep_artefacts="always" if options.artefacts == "always" else "failures",
                         namespace=f"{seed % 46656:03x}{random.Random(seed).randrange(4096):03x}")


# ---- selection --------------------------------------------------------------------------------------

def select_entries(patterns: Sequence[str], files: Sequence[Path], *, deep: bool = False,
                   seed: int | None = None) -> list[Entry]:
    from scenarios import catalogue

    entries: list[Entry] = list(catalogue(deep=deep, seed=seed))
    for path in files:
        entries += load_scenario_file(path)
    _reject_duplicate_ids(entries)
    if not patterns:
        return entries
    chosen = [e for e in entries if any(fnmatch.fnmatchcase(e.id, p) for p in patterns)]
    if not chosen:
        raise UsageError(f"no scenario matches {', '.join(patterns)}; see 'sync-harness list'")
    return chosen


def _reject_duplicate_ids(entries: Sequence[Entry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ScenarioError(f"two scenarios share the id {entry.id!r}")
        seen.add(entry.id)


def with_extra_observers(entry: Entry, count: int) -> Entry:
    """--sim-clients N: N more plain members of the first guild with a channel, subscribed to that channel."""
    if count == 0 or not isinstance(entry, ScenarioSpec):
        return entry
    index = next((i for i, g in enumerate(entry.world.guilds) if g.channels), None)
    if index is None:
        return entry
    guilds = list(entry.world.guilds)
    guild = guilds[index]
    channel = guild.channels[0].alias
    extra = _unused_names("extra", count, taken={*entry.world.users, *(c.label for c in entry.clients)})
    guilds[index] = guild.model_copy(update={"members": {**guild.members, **{u: "member" for u in extra}}})
    world = entry.world.model_copy(update={"users": [*entry.world.users, *extra], "guilds": guilds})
    clients = [*entry.clients, *(ClientSpec(label=u, user=u, observes_as="extra_member",
                                            subscribe=[f"{guild.alias}/{channel}"]) for u in extra)]
    return ScenarioSpec.model_validate({**entry.model_dump(), "world": world.model_dump(),
                                        "clients": [c.model_dump() for c in clients]})


def _unused_names(stem: str, count: int, taken: set[str]) -> list[str]:
    """``stem1``, ``stem2``, … skipping names a scenario already uses (a user named ``extra1`` stays itself)."""
    candidates = (f"{stem}{i}" for i in itertools.count(1))
    return list(itertools.islice((name for name in candidates if name not in taken), count))


NO_RESTART = "needs a restartable target (reference or command:)"


def needs_restart(entry: Entry) -> bool:
    return isinstance(entry, ScenarioSpec) and "restart" in entry.requires


def needs_browser(entry: Entry) -> bool:
    return isinstance(entry, ScenarioSpec) and (
        "browser" in entry.requires or any(c.kind == "browser" for c in entry.clients))


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


# ---- the result -------------------------------------------------------------------------------------

def assemble(options: RunOptions, description: str, results: list[ScenarioResult], seed: int,
             started: dt.datetime, duration: float, crash: HarnessError | None,
             interrupted: bool = False, samples: Sequence[LatencySample] = ()) -> RunResult:
    summary = summarise(results)
    status = "error" if crash or interrupted or summary.error else ("failed" if summary.failed else "passed")
    return RunResult(
        status=status, interrupted=interrupted, started_at=started.isoformat(timespec="seconds"), duration_s=round(duration, 3),
        target=TargetRecord(spec=options.target, description=description),
        options=RunOptionsRecord(scenario_patterns=list(options.scenario_patterns), sim_clients=options.sim_clients,
                                 browsers=options.browsers, seed=seed, deadline_s=options.deadline_s,
                                 quiet_s=options.quiet_s, profile=options.profile, deep=options.deep,
                                 legacy_overrides=options.legacy_overrides),
        summary=summary, coverage=coverage(results), latency=latency_stats(list(samples)),
        scenarios=results,
    )


def summarise(results: list[ScenarioResult]) -> RunSummary:
    by_check: dict[str, int] = {}
    for result in results:
        for failure in result.failures:
            by_check[failure.check] = by_check.get(failure.check, 0) + 1
    count = {s: sum(1 for r in results if r.status == s) for s in ("passed", "failed", "error", "skipped")}
    return RunSummary(total=len(results), failures_by_check=by_check, **count)


def coverage(results: list[ScenarioResult]) -> Coverage:
    rows = list(CATALOGUE_ROWS)
    table = []
    for row in rows:
        covering = [r for r in results if row in r.rows and r.status == "passed"]
        classes = sorted({c.visibility_class for r in covering for c in r.clients})
        table.append(RowCoverage(row=row, covered=bool(covering), scenarios=[r.id for r in covering],
                                 visibility_classes=classes))
    return Coverage(covered=sum(1 for r in table if r.covered), total=len(rows), rows=table)


def check_writable(directory: Path, what: str) -> None:
    """Create ``directory`` now: a report that cannot be written is a one-line error before the run,
    not a traceback after it (with the run's result lost)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"cannot write {what} to {directory}: not a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {directory}: {exc.strerror or exc}") from None
    if not os.access(directory, os.W_OK):
        raise UsageError(f"cannot write {what} to {directory}: permission denied")


def write_reports(run: RunResult, options: RunOptions, redactor: Redactor) -> None:
    from reports.allure_report import write_allure
    from reports.json_report import write_json
    from reports.junit import write_junit

    if options.json_path:
        write_json(run, options.json_path, redactor)
    if options.report_dir:
        write_json(run, options.report_dir / "result.json", redactor)
        write_junit(run, options.report_dir / "junit.xml", redactor)
        write_allure(run, options.report_dir / "allure-results", redactor)


def _not_run(entry: Entry, status: Literal["skipped", "error"], why: str) -> ScenarioResult:
    return ScenarioResult(id=entry.id, title=entry.title, rows=list(entry.rows), tags=list(entry.tags),
                          status=status, duration_s=0.0, error=why)


def print_listing(patterns: Sequence[str], files: Sequence[Path]) -> None:
    console = Console()
    console.listing(select_entries(patterns, files))


__all__ = ["RunOptions", "run_suite", "select_entries", "coverage", "summarise", "needs_browser", "needs_restart",
           "check_writable", "print_listing"]
