"""`sync-harness selftest`: prove on every CI run that the harness catches the bugs it exists for.

The catalogue runs against a clean reference target (it must pass), then, per planted fault, the
scenarios that exercise the faulty path run against a reference target started with that fault (each
must fail, and among its failures must be the expected check class). Faulty targets run in parallel.
The fault × check-class matrix is printed and written to the JSON result.

Which faults exist comes from the reference target itself (``--list-faults --json``, a subprocess:
the engine never imports it); what each must be caught by is this module's own table, so a fault the
harness has no expectation for makes the selftest fail instead of being skipped silently.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from contracts.mutations import CATALOGUE_ROWS, MUTATIONS
from harness.engine.browser_observers import LazyBrowsers
from harness.checks.types import CheckClass
from reports.console import Console
from harness.commands.options import positive_int
from harness.errors import HarnessError, UsageError
from harness.redact import Redactor
from harness.engine.results import RunOptionsRecord, RunResult, ScenarioResult, TargetRecord
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.suite import needs_browser, summarise
from reports.writers import check_writable
from scenarios.selection import select_entries
from harness.targets.reference import REFERENCE_MODULE, ReferenceTarget


def register(commands: Any) -> None:
    selftest = commands.add_parser("selftest", help="prove every planted fault is caught by its expected check")
    selftest.add_argument("--json", type=Path, metavar="FILE", help="write the JSON result with the matrix")
    selftest.add_argument("--jobs", type=positive_int, default=2, help="faulty targets run in parallel (default 2)")
    selftest.add_argument("--fault", action="append", default=[], metavar="NAME", help="only these faults")
    selftest.add_argument("--disable-check", action="append", default=[], metavar="CHECK",
                          help="deliberately break the harness by disabling a checker (proves selftest fails)")
    selftest.add_argument("--no-browsers", action="store_true",
                          help="skip the web-client faults (no Chromium); the verdict then fails")
    selftest.set_defaults(func=lambda args: asyncio.run(run_selftest(args)))


CHECKS = [c.value for c in CheckClass]


@dataclass(frozen=True)
class FaultProbe:
    fault: str
    expected: CheckClass
    scenarios: tuple[str, ...]
    """Catalogue scenario ids that exercise the faulty path."""

    @property
    def needs_browser(self) -> bool:
        return self.fault.startswith("web.")


D, C, V, R, U = CheckClass.DELIVERY, CheckClass.CONTRACT, CheckClass.CONVERGENCE, CheckClass.REDACTION, CheckClass.UI

PLANTED: tuple[FaultProbe, ...] = (
    FaultProbe("server.channel_events_skip_access_check", D, ("row.message.create",)),
    FaultProbe("server.channel_events_to_guild", D, ("row.message.create",)),
    FaultProbe("server.guild_events_to_removed_members", D, ("lifecycle.membership",)),
    FaultProbe("server.ip_ban_sync_to_all_members", D, ("row.ip_ban.upsert",)),
    FaultProbe("server.profile_update_to_everyone", D, ("row.profile.update",)),
    FaultProbe("server.friend_events_to_everyone", D, ("row.friend.request.create",)),
    FaultProbe("server.duplicate_message_create", D, ("row.message.create",)),
    FaultProbe("server.ban_events_swapped", D, ("row.member.ban",)),
    FaultProbe("server.no_slow_consumer_close", D, ("nemesis.stall_reads",)),
    FaultProbe("server.noop_workspace_patch_emits", D, ("row.workspace.update.noop",)),
    FaultProbe("server.friend_update_same_copy", D, ("row.friend.request.accept",)),
    FaultProbe("server.ip_ban_sync_leaks_ip", R, ("row.ip_ban.upsert",)),
    FaultProbe("server.legacy_reaction_payload", C, ("row.reaction.add",)),
    FaultProbe("server.reaction_count_as_string", C, ("row.reaction.add",)),
    FaultProbe("server.profile_update_missing_tokens", C, ("row.profile.update",)),
    FaultProbe("server.message_update_stale_content", V, ("row.message.edit",)),
    FaultProbe("web.gear_missing", U, ("browser.settings.owner",)),
    FaultProbe("web.server_settings_opens_client_panel", U, ("browser.settings.owner",)),
    FaultProbe("web.rename_not_applied", V, ("browser.workspace.rename_via_ui",)),
    FaultProbe("web.edit_not_applied", V, ("browser.message.edit_delete",)),
    FaultProbe("server.silent_drop_message_update", D, ("row.message.edit",)),
    FaultProbe("server.message_create_renamed_field", C, ("row.message.create",)),
)
"""Realistic planted bugs and the check class that must catch each (docs/selftest.md)."""

ROLLOUT_ONLY_FAULTS = frozenset({
    "server.metrics_missing_family", "server.parse_rejected_not_counted", "web.crash_on_unknown_event",
})
"""Faults no scenario check can see (metrics, a client's handling of events the server never sends): the
rollout checklist catches them, shown by tests/integration/test_rollout_faults.py (docs/rollout.md)."""


def suppression_probes(scenario_ids: Sequence[str]) -> list[FaultProbe]:
    """``suppress:<event>`` for every event a catalogue row emits: its row scenario must report a loss."""
    probes: dict[str, FaultProbe] = {}
    for row in CATALOGUE_ROWS:
        scenario = _row_scenario(row, scenario_ids)
        for event in MUTATIONS[row].events:
            if scenario and f"suppress:{event}" not in probes:
                probes[f"suppress:{event}"] = FaultProbe(f"suppress:{event}", D, (scenario,))
    return list(probes.values())


def _row_scenario(row: str, scenario_ids: Sequence[str]) -> str | None:
    wanted = f"row.{row}"
    if wanted in scenario_ids:
        return wanted
    variants = sorted(s for s in scenario_ids if s.startswith(wanted + ".") and not s.endswith(".noop"))
    return variants[0] if variants else None


@dataclass
class FaultOutcome:
    probe: FaultProbe
    results: list[ScenarioResult] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        counts = {check: 0 for check in CHECKS}
        for result in self.results:
            for failure in result.failures:
                counts[failure.check] += 1
        return counts

    @property
    def caught(self) -> bool:
        return self.error is None and self.counts[self.probe.expected.value] > 0

    def record(self) -> dict[str, Any]:
        return {"fault": self.probe.fault, "expected_check": self.probe.expected.value, "caught": self.caught,
                "checks": sorted(k for k, v in self.counts.items() if v), "counts": self.counts,
                "scenarios": list(self.probe.scenarios), "duration_s": round(self.duration_s, 2),
                **({"error": self.error} if self.error else {})}


# ---- the command ------------------------------------------------------------------------------------

async def run_selftest(args: argparse.Namespace) -> int:
    console = Console()
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    disabled = frozenset(_check(name) for name in args.disable_check)
    if args.json:
        check_writable(args.json.parent, "the JSON result")
    entries = _catalogue_by_id()
    probes = _probes(list(entries), args.fault, reference_faults())
    browsers_ok = not getattr(args, "no_browsers", False)
    console.out.print(f"selftest: clean run, then {len(probes)} planted faults ({args.jobs} at a time)"
                      + (f"; checks disabled on purpose: {', '.join(sorted(c.value for c in disabled))}" if disabled else ""))
    shared = LazyBrowsers(2, "") if browsers_ok else None
    try:
        clean_ids = sorted({s for p in probes for s in p.scenarios}) if args.fault else list(entries)
        clean_specs = [entries[i] for i in clean_ids if browsers_ok or not needs_browser(entries[i])]
        gate = asyncio.Semaphore(args.jobs)
        clean, outcomes = await asyncio.gather(_run_clean(clean_specs, disabled, shared, gate, console),
                                               _run_faults(probes, entries, disabled, shared, gate, console))
    finally:
        if shared is not None:
            await shared.close()
    verdict = _verdict(clean, outcomes)
    _print_matrix(console, outcomes)
    console.out.print(f"selftest: {sum(o.caught for o in outcomes)}/{len(outcomes)} planted faults caught by "
                      f"their expected check; clean run {clean.status_line} -> [bold]{verdict}[/]")
    if args.json:
        _write(args.json, clean, outcomes, verdict, started_wall, time.monotonic() - started)
    return 0 if verdict == "passed" else 1


def reference_faults() -> list[str]:
    """The planted faults the reference target knows, asked from the reference target itself."""
    command = [sys.executable, "-m", REFERENCE_MODULE, "--list-faults", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise HarnessError(f"cannot list the reference target's faults: {done.stderr.strip()[:200]}")
    return [entry["name"] for entry in json.loads(done.stdout)]


def _probes(scenario_ids: list[str], only: Sequence[str], known: list[str]) -> list[FaultProbe]:
    probes = [*PLANTED, *suppression_probes(scenario_ids)]
    planted = {f for f in known if not f.startswith("suppress:") and f not in ROLLOUT_ONLY_FAULTS}
    unexpected = sorted(planted - {p.fault for p in probes})
    if unexpected:
        raise HarnessError(f"the reference target plants faults the selftest has no expectation for: "
                           f"{', '.join(unexpected)} (add them to harness/selftest.py PLANTED)")
    missing = sorted({p.fault for p in probes} - set(known))
    if missing:
        raise HarnessError(f"the selftest expects faults the reference target does not know: {', '.join(missing)}")
    absent = sorted({s for p in probes for s in p.scenarios} - set(scenario_ids))
    if absent:
        raise HarnessError(f"selftest scenarios missing from the catalogue: {', '.join(absent)}")
    if only:
        chosen = [p for p in probes if p.fault in only]
        unknown = sorted(set(only) - {p.fault for p in chosen})
        if unknown:
            raise UsageError(f"unknown fault(s) {', '.join(unknown)}; see 'sync-harness serve-reference --list-faults'")
        return chosen
    return probes


async def _run_clean(specs: list[Any], disabled: frozenset[CheckClass], shared: LazyBrowsers | None,
                     gate: asyncio.Semaphore, console: Console) -> "_TargetRun":
    async with gate:
        began = time.monotonic()
        clean = await _run_target(specs, [], disabled, shared)
        console.out.print(f"  clean target: {_summary_line(clean)} ({time.monotonic() - began:.1f} s)")
        return clean


async def _run_faults(probes: list[FaultProbe], entries: dict[str, Any], disabled: frozenset[CheckClass],
                      shared: LazyBrowsers | None, gate: asyncio.Semaphore, console: Console) -> list[FaultOutcome]:
    async def one(probe: FaultProbe) -> FaultOutcome:
        async with gate:
            outcome = FaultOutcome(probe)
            if probe.needs_browser and shared is None:
                outcome.error = "skipped: browsers disabled (--no-browsers)"
                return outcome
            began = time.monotonic()
            try:
                run = await _run_target([entries[s] for s in probe.scenarios], [probe.fault], disabled, shared,
                                        stop_on=probe.expected)
                outcome.results = run.results
            except HarnessError as exc:
                outcome.error = f"{type(exc).__name__}: {exc}"
            outcome.duration_s = time.monotonic() - began
            mark = "[green]caught[/]" if outcome.caught else "[red]MISSED[/]"
            console.out.print(f"  {mark} {probe.fault} (expected {probe.expected.value}; failed: "
                              f"{', '.join(k for k, v in outcome.counts.items() if v) or 'nothing'}) "
                              f"{outcome.duration_s:.1f} s")
            return outcome

    return list(await asyncio.gather(*(one(p) for p in probes)))


@dataclass
class _TargetRun:
    results: list[ScenarioResult]

    @property
    def failures(self) -> int:
        return sum(len(r.failures) + (1 if r.error else 0) for r in self.results)

    @property
    def status_line(self) -> str:
        return "passed" if self.failures == 0 and self.results else "FAILED"


async def _run_target(specs: list[Any], faults: list[str], disabled: frozenset[CheckClass],
                      shared: LazyBrowsers | None, stop_on: CheckClass | None = None) -> _TargetRun:
    redactor = Redactor()
    async with ReferenceTarget(faults=faults) as target:
        browsers = shared.for_target(target.web_url or target.rest_url) if shared is not None else None
        runner = ScenarioRunner(target, RunnerOptions(disabled_checks=disabled, stop_on=stop_on), redactor, browsers)
        results = []
        for spec in specs:
            results.append(await runner.run_entry(spec))
    return _TargetRun(results)


def _catalogue_by_id() -> dict[str, Any]:
    return {entry.id: entry for entry in select_entries((), ())}


def _verdict(clean: _TargetRun, outcomes: list[FaultOutcome]) -> str:
    return "passed" if clean.failures == 0 and all(o.caught for o in outcomes) else "failed"


def _summary_line(run: _TargetRun) -> str:
    failed = [r.id for r in run.results if r.status != "passed"]
    return (f"{len(run.results)} scenarios, " +
            ("all passed" if not failed else f"{len(failed)} did not pass: {', '.join(failed[:5])}"))


def _check(name: str) -> CheckClass:
    try:
        return CheckClass(name)
    except ValueError:
        raise UsageError(f"unknown check class {name!r}; use one of {', '.join(CHECKS)}") from None


# ---- output -----------------------------------------------------------------------------------------

def matrix(outcomes: list[FaultOutcome]) -> dict[str, dict[str, int]]:
    return {o.probe.fault: o.counts for o in outcomes}


def _print_matrix(console: Console, outcomes: list[FaultOutcome]) -> None:
    from rich.table import Table

    table = Table(title="planted fault × check class (failures; * = expected class)")
    table.add_column("fault", no_wrap=True)
    for check in CHECKS:
        table.add_column(check, justify="right")
    table.add_column("caught")
    for outcome in outcomes:
        cells = [f"{n}{'*' if check == outcome.probe.expected.value else ''}" if n or check == outcome.probe.expected.value
                 else "" for check, n in outcome.counts.items()]
        table.add_row(outcome.probe.fault, *cells, "yes" if outcome.caught else f"[red]NO[/] {outcome.error or ''}")
    console.out.print(table)


def _write(path: Path, clean: _TargetRun, outcomes: list[FaultOutcome], verdict: str,
           started: dt.datetime, duration: float) -> None:
    from reports.json_report import write_json

    results = clean.results
    run = RunResult(
        status="passed" if verdict == "passed" else "failed", started_at=started.isoformat(timespec="seconds"),
        duration_s=round(duration, 3), target=TargetRecord(spec="reference", description="one reference target per fault"),
        options=RunOptionsRecord(), scenarios=results, summary=summarise(results),
        selftest={"verdict": verdict,
                  "clean": {"status": clean.status_line, "failures": clean.failures, "scenarios": len(results)},
                  "faults": [o.record() for o in outcomes], "matrix": matrix(outcomes)},
    )
    write_json(run, path, Redactor())
