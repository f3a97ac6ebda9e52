"""A suite: the selected catalogue entries run one after another against one target.

A scenario that fails is recorded and the suite goes on; so is one that crashes (status ``error``, its
one-line cause, the traceback as an artefact). A target that dies, or a browser that cannot start,
ends the suite with the error returned (the caller reports what ran, then the cause).
"""
from __future__ import annotations

from typing import Callable, Literal, Protocol, Sequence

from contracts.mutations import CATALOGUE_ROWS
from harness.engine.results import Coverage, RowCoverage, RunSummary, ScenarioResult
from harness.engine.crash import one_line_cause, traceback_text, write_traceback
from harness.engine.liveness import TargetDied, target_gone
from harness.engine.runner import ScenarioRunner
from harness.engine.scenario import ScenarioSpec
from harness.errors import BrowserUnavailable, TargetError


class GeneratedEntry(Protocol):
    """A catalogue entry that builds its steps while it runs (the Hypothesis state machine)."""

    id: str
    title: str
    rows: list[str]
    tags: list[str]

    async def run(self, runner: ScenarioRunner) -> ScenarioResult: ...


Entry = ScenarioSpec | GeneratedEntry


class Progress(Protocol):
    """Who is told as each entry begins and ends (the console)."""

    def begin(self, index: int, total: int, scenario_id: str) -> None: ...

    def end(self, result: ScenarioResult) -> None: ...


NO_RESTART = "needs a restartable target (reference or command:)"
NO_BROWSERS = "browser scenario: run with --browsers N to include it"


async def run_entries(entries: Sequence[Entry], runner: ScenarioRunner, *, browsers: int, progress: Progress,
                      results: list[ScenarioResult],
                      skip_reason: Callable[[str], str | None] = lambda _id: None,
                      classify: Callable[[ScenarioResult], ScenarioResult] = lambda r: r,
                      ) -> TargetError | BrowserUnavailable | None:
    """Run ``entries`` in order, appending each result to ``results`` as it ends (so a caller that is
    interrupted still has every finished one); returns the error that ended the suite early, if any.
    ``skip_reason``: why the target cannot serve an entry (a target profile); ``classify``: a known-issue
    baseline applied to each result."""
    for index, entry in enumerate(entries, start=1):
        progress.begin(index, len(entries), entry.id)
        if (unsupported := skip_reason(entry.id)) is not None:
            result = not_run(entry, "skipped", unsupported)
        elif needs_browser(entry) and browsers == 0:
            result = not_run(entry, "skipped", NO_BROWSERS)
        elif needs_restart(entry) and not runner.target.supports_restart:
            result = not_run(entry, "skipped", NO_RESTART)
        else:
            try:
                result = await runner.run_entry(entry)
            except (TargetError, BrowserUnavailable) as exc:
                results.append(classify(not_run(entry, "error", str(exc).splitlines()[0])))
                progress.end(results[-1])
                return exc
            except Exception as exc:  # noqa: BLE001 - a crash is this entry's error; the suite goes on
                result = crashed(entry, exc, runner)
        result = classify(result)
        results.append(result)
        progress.end(result)
        gone = await target_gone(runner.target)
        if gone is not None:
            tail = runner.target.log_tail(15)
            return TargetDied(f"the target died during scenario {entry.id!r}: {gone}"
                              + (f"\nlast output:\n{tail}" if tail else ""))
    return None


def crashed(entry: Entry, exc: BaseException, runner: ScenarioRunner) -> ScenarioResult:
    """An entry that raised instead of returning its result: ``error`` with the one-line cause, and the
    traceback beside the report."""
    result = not_run(entry, "error", one_line_cause(exc))
    result.artefacts += write_traceback(runner.options.artefacts_dir, entry.id, traceback_text(exc), runner.redactor)
    return result


def needs_restart(entry: Entry) -> bool:
    return isinstance(entry, ScenarioSpec) and "restart" in entry.requires


def needs_browser(entry: Entry) -> bool:
    return isinstance(entry, ScenarioSpec) and (
        "browser" in entry.requires or any(c.kind == "browser" for c in entry.clients))


def not_run(entry: Entry, status: Literal["skipped", "error"], why: str) -> ScenarioResult:
    return ScenarioResult(id=entry.id, title=entry.title, rows=list(entry.rows), tags=list(entry.tags),
                          status=status, duration_s=0.0, error=why)


def summarise(results: list[ScenarioResult]) -> RunSummary:
    by_check: dict[str, int] = {}
    for result in results:
        for failure in result.failures:
            by_check[failure.check] = by_check.get(failure.check, 0) + 1
    count = {s: sum(1 for r in results if r.status == s) for s in ("passed", "failed", "error", "skipped", "degraded", "known")}
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
