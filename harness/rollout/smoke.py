"""Item 6, critical realtime paths: a fast smoke subset of the catalogue with simulated and browser clients.

The run also records, per scenario, an *active window* (after the world is seeded and every client
subscribed and settled, until the last step settled) with /metrics snapshots at both ends and every
frame the harness's clients received inside it: item 3 reconciles the counters with those deliveries,
and item 4 checks the payloads seen on the wire against the baseline schemas.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from harness.engine.results import ScenarioResult
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.scenario import ScenarioSpec
from harness.engine.suite import NO_BROWSERS, needs_browser, not_run
from harness.errors import HarnessError
from harness.rollout.checklist import ItemResult, failed, passed
from harness.rollout.context import RolloutContext
from harness.rollout.metrics import MetricsSnapshot, fetch_metrics

NUMBER, KEY, TITLE = 6, "critical_paths", "Critical realtime paths"

SMOKE_SCENARIOS: tuple[str, ...] = (
    "lifecycle.message",                      # message create / update / delete, reactions
    "row.workspace.update.name",              # workspace rename
    "row.workspace.update.visibility",        # workspace visibility
    "row.role.update",                        # role changes
    "row.channel.permission_override.role",   # channel override changes
    "row.profile.update",                     # profile
    "row.friend.request.accept",              # friendship
    "browser.message.edit_delete",            # the web client follows edits and deletions
)
"""The rollout checklist's paths (Filament's GATEWAY_EVENTS.md "Rollout Checklist"), as catalogue ids: the
fastest scenarios that cover them (about 25 s on the 2-core reference machine, one browser scenario)."""
SAMPLES_PER_TYPE = 25


@dataclass
class Window:
    """One scenario's active window: counters at both ends, frames received in between."""

    scenario: str
    before: MetricsSnapshot
    after: MetricsSnapshot
    received: Counter[str] = field(default_factory=Counter)


@dataclass
class WireSample:
    event_type: str
    version: Any
    data: Any
    conn: str


@dataclass
class SmokeOutcome:
    results: list[ScenarioResult] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    samples: list[WireSample] = field(default_factory=list)
    frames: int = 0


async def run_smoke(ctx: RolloutContext, entries: Sequence[ScenarioSpec]) -> SmokeOutcome:
    outcome = SmokeOutcome()
    options = RunnerOptions(deadline_s=ctx.settings.deadline_s, quiet_s=ctx.settings.quiet_s)
    runner = ScenarioRunner(ctx.target, options, ctx.redactor, ctx.browsers)
    per_type: Counter[str] = Counter()
    for spec in entries:
        if needs_browser(spec) and ctx.browsers is None:
            outcome.results.append(not_run(spec, "skipped", NO_BROWSERS))
            continue
        outcome.results.append(await _run_one(ctx, runner, spec, outcome, per_type))
    return outcome


async def _run_one(ctx: RolloutContext, runner: ScenarioRunner, spec: ScenarioSpec, outcome: SmokeOutcome,
                   per_type: Counter[str]) -> ScenarioResult:
    session = runner.open(spec)
    marks: dict[str, Any] = {}
    try:
        await session.start()
        marks["t0"], marks["before"] = time.monotonic(), await fetch_metrics(ctx.http, ctx.rest_url)
        for step in spec.steps:
            await session.step(step)
        await asyncio.sleep(ctx.settings.quiet_s)
        marks["after"], marks["t1"] = await fetch_metrics(ctx.http, ctx.rest_url), time.monotonic()
    except HarnessError as exc:
        session.error = f"{type(exc).__name__}: {exc}"
    if "t1" in marks:
        window = Window(spec.id, marks["before"], marks["after"])
        for frames in session.recorder.frames_by_conn().values():
            for frame in frames:
                if frame.event_type and marks["t0"] < frame.at <= marks["t1"]:
                    window.received[frame.event_type] += 1
        outcome.windows.append(window)
    _sample(session.recorder.frames_by_conn(), outcome, per_type)
    return await session.finish()


def _sample(frames_by_conn: dict[str, list[Any]], outcome: SmokeOutcome, per_type: Counter[str]) -> None:
    for conn, frames in frames_by_conn.items():
        for frame in frames:
            outcome.frames += 1
            try:
                whole = json.loads(frame.raw)
            except ValueError:
                continue
            if not isinstance(whole, dict) or not isinstance(whole.get("t"), str):
                continue
            kind = whole["t"]
            if whole.get("v") != 1 or per_type[kind] < SAMPLES_PER_TYPE:
                per_type[kind] += 1
                outcome.samples.append(WireSample(kind, whole.get("v"), whole.get("d"), str(conn)))


def judge_smoke(outcome: SmokeOutcome) -> ItemResult:
    evidence = [f"{r.id}: {r.status}" + (f" ({r.error})" if r.error else "") +
                (f", {len(r.failures)} failure(s): " + "; ".join(f.message for f in r.failures[:2]) if r.failures else "")
                for r in outcome.results]
    bad = [r for r in outcome.results if r.status in ("failed", "error")]
    ran = [r for r in outcome.results if r.status != "skipped"]
    if bad:
        first = bad[0]
        why = first.error or (first.failures[0].message if first.failures else first.status)
        return failed(NUMBER, KEY, TITLE, f"{len(bad)} of {len(ran)} smoke scenarios failed; first: {first.id}: {why}",
                      evidence, failed_scenarios=[r.id for r in bad])
    skipped = [r.id for r in outcome.results if r.status == "skipped"]
    note = f" ({len(skipped)} skipped: {', '.join(skipped)})" if skipped else ""
    clients = "simulated and browser" if any(c.kind == "browser" for r in ran for c in r.clients) else "simulated"
    return passed(NUMBER, KEY, TITLE, f"{len(ran)} smoke scenarios passed with {clients} clients{note}",
                  evidence, frames=outcome.frames)
