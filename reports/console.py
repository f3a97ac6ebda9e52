"""What a person watching a run sees: one progress line per scenario while it runs (stderr), then a
summary table, coverage and latency figures. Machine-readable output goes to the report files."""
from __future__ import annotations

import sys
from typing import Any, Sequence

from rich.console import Console as RichConsole
from rich.table import Table

from harness.redact import Redactor
from harness.engine.results import RunResult, ScenarioResult

_MARK = {"passed": "[green]PASS[/]", "failed": "[red]FAIL[/]", "error": "[magenta]ERROR[/]",
         "skipped": "[yellow]SKIP[/]", "degraded": "[cyan]DEGRADED[/]", "known": "[cyan]KNOWN[/]"}
MAX_FAILURE_LINES = 4


class Console:
    def __init__(self, stream: Any = None, *, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor()
        """What reaches a CI log goes through the run's redactor, like every other artefact."""
        stream = stream or sys.stderr
        # CI logs are not terminals: give tables room instead of rich's 80-column default.
        width = None if stream.isatty() else 200
        self.out = RichConsole(file=stream, highlight=False, soft_wrap=True, width=width)

    def start(self, *, target_spec: str, count: int, seed: int) -> None:
        self.out.print(f"sync-harness: {count} scenarios against [bold]{target_spec}[/] (seed {seed})")

    def begin(self, index: int, total: int, scenario_id: str) -> None:
        self._prefix = f"[{index:>{len(str(total))}}/{total}] {scenario_id}"

    def end(self, result: ScenarioResult) -> None:
        clients = f"{len(result.clients)} clients, " if result.clients else ""
        self.out.print(f"{_MARK[result.status]} {self._prefix} ({clients}{result.duration_s:.2f} s)")
        for failure in result.failures[:MAX_FAILURE_LINES]:
            known = " (known)" if failure.known else ""
            self.out.print(self.redactor.redact_text(f"      [{failure.check}/{failure.kind}]{known} {failure.message}"),
                           markup=False)
        if len(result.failures) > MAX_FAILURE_LINES:
            self.out.print(f"      … {len(result.failures) - MAX_FAILURE_LINES} more failures in the report")
        if result.status == "degraded":  # expected degradation of an older version: say what, briefly
            for finding in result.degradations[:2]:
                self.out.print(self.redactor.redact_text(f"      [degraded {finding.check}/{finding.kind}] "
                                                         f"{finding.message}"), markup=False)
        if result.error:
            self.out.print(self.redactor.redact_text(f"      {result.error}"), markup=False)
        if result.replay and result.status == "failed":
            self.out.print(self.redactor.redact_text(f"      replay: {result.replay}"), markup=False)

    def summary(self, run: RunResult) -> None:
        table = Table(title="scenarios", show_lines=False)
        for column in ("scenario", "status", "clients", "failures", "seconds"):
            table.add_column(column)
        for result in run.scenarios:
            table.add_row(result.id, _MARK[result.status], str(len(result.clients)),
                          self.redactor.redact_text(_failure_summary(result)), f"{result.duration_s:.2f}")
        self.out.print(table)
        self._latency(run)
        self._baseline(run)
        summary = run.summary
        coverage = f", rows covered {run.coverage.covered}/{run.coverage.total}" if run.coverage else ""
        if run.interrupted:
            coverage += ", INTERRUPTED before the end"
        if run.cause is not None:
            during = f" (during {run.cause.scenario})" if run.cause.scenario else ""
            self.out.print(self.redactor.redact_text(f"run {run.cause.kind}: {run.cause.message}{during}"),
                           markup=False)
        known = f"{summary.known} known, " if run.baseline is not None else ""
        self.out.print(f"{summary.passed} passed, {known}{summary.failed} failed, {summary.error} errors, "
                       f"{summary.skipped} skipped{_degraded(summary.degraded)} in {run.duration_s:.1f} s{coverage} -> [bold]{run.status}[/]")

    def _baseline(self, run: RunResult) -> None:
        report = run.baseline
        if report is None:
            return
        self.out.print(f"baseline {report.path}: {report.entries} entries, {report.matched} matched, "
                       f"{report.stale} stale, {report.not_run} not run; {report.new_failures} failures not in it",
                       markup=False)
        for use in report.uses:
            if use.state == "stale":
                verdict = "fails the run (--baseline-strict)" if report.strict else "remove it or fix it"
                self.out.print(self.redactor.redact_text(
                    f"      STALE entry {use.entry} [{use.key}]: no longer fails in {', '.join(use.scenarios)}; "
                    f"{verdict}"), markup=False)

    def _latency(self, run: RunResult) -> None:
        interesting = {k: v for k, v in run.latency.items() if k not in ("ready", "presence_sync", "subscribed",
                                                                           "voice_participant_sync")}
        if not interesting:
            return
        table = Table(title="delivery latency (ms)")
        for column in ("event", "count", "p50", "p95", "max"):
            table.add_column(column)
        for event, stats in interesting.items():
            table.add_row(event, str(stats.count), f"{stats.p50_ms:.1f}", f"{stats.p95_ms:.1f}", f"{stats.max_ms:.1f}")
        self.out.print(table)

    def listing(self, entries: Sequence[Any]) -> None:
        table = Table(title=f"{len(entries)} scenarios")
        for column in ("id", "rows", "title"):
            table.add_column(column)
        for entry in entries:
            table.add_row(entry.id, ", ".join(entry.rows), entry.title)
        RichConsole(highlight=False).print(table)


def _failure_summary(result: ScenarioResult) -> str:
    if result.error:
        return result.error[:60]
    counts: dict[str, int] = {}
    for failure in result.failures:
        key = f"{failure.check}/{failure.kind}"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{key}×{n}" for key, n in sorted(counts.items()))


def _degraded(count: int) -> str:
    """Shown only when a mixed-version run had expected degradation (docs/mixed-versions.md)."""
    return f", {count} degraded as expected" if count else ""
