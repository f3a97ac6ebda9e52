"""A soak forgets what it has judged for good (harness.checks.retirement, Evaluator.retire): the verdict
is the one the whole history gives — no failure lost or invented, latencies kept as histograms — while
the frames and expectations held shrink to a window."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, strategies as st

from harness.checks.evidence import FAILURES_PER_KIND, cap_per_kind, is_omission
from harness.checks.retirement import LatencyHistogram, Retired
from harness.checks.types import CheckClass, CheckFailure
from harness.clients.browser.frames import BrowserSocket
from harness.engine.evaluate import Evaluator
from harness.engine.recorder import Recorder
from harness.engine.results import latency_stats, percentile
from harness.history import ReceivedFrame
from harness.model.mutations import *  # noqa: F403
from harness.model.sandbox import Sandbox
from harness.redact import Redactor

from tests.unit.test_check_delivery import copy_frames, find, kinds, renumber, run, sb  # noqa: F401


class Replay:
    """The sandbox's history fed to a real Evaluator as it would arrive, one step at a time."""

    def __init__(self, sb: Sandbox, frames: dict[str, list[ReceivedFrame]], keep_s: float = 5.0) -> None:
        self.sb, self.frames, self.now, self.keep_s = sb, frames, 0.0, keep_s
        self.recorder = Recorder(clock=lambda: self.now)
        self.recorder.invoked_at.update(sb.invoked_at)
        self.sources = {conn: BrowserSocket(conn, "", 0.0) for conn in frames}
        for conn, source in self.sources.items():
            self.recorder.add_connection(conn, conn.split("0")[0], source)
        for close in sb.closes:
            self.sources.setdefault(close.conn, BrowserSocket(close.conn, "", 0.0)).closed = close
        self.evaluator = Evaluator(sb.model, self.recorder, Redactor(), deadline_s=2.0)
        self.shown = {conn: 0 for conn in frames}
        self.recorded: set[int] = set()

    def until(self, now: float, *, retire: bool) -> None:
        self.now = now
        due = {step for step, at in self.sb.invoked_at.items() if at < now} - self.recorded
        self.recorder.expect(e for e in self.sb.expectations if e.step in due)
        self.recorded |= due
        for conn, frames in self.frames.items():
            while self.shown[conn] < len(frames) and frames[self.shown[conn]].at < now:
                self.sources[conn].frames.append(frames[self.shown[conn]])
                self.shown[conn] += 1
        self.evaluator.delivery()
        if retire:
            self.evaluator.retire(self.keep_s)

    def play(self, *, retire: bool) -> list[tuple]:
        for step in sorted(self.sb.invoked_at):
            self.until(self.sb.invoked_at[step] + 0.5, retire=retire)
        self.until(max(self.sb.invoked_at.values()) + 60.0, retire=retire)
        return kinds_of(self.evaluator.delivery().failures)


def kinds_of(failures: list[CheckFailure]) -> list[tuple]:
    return sorted((f.kind, f.event_type, f.conn) for f in failures)


def planted(sb: Sandbox) -> dict[str, list[ReceivedFrame]]:
    """A loss, a duplicate, a leak and a late delivery in the sandbox's correct history."""
    frames = copy_frames(sb)
    frames["a0"].pop(find(sb, "a0", "message_update"))
    i = find(sb, "b0", "message_create")
    frames["b0"].insert(i + 1, frames["b0"][i])
    leak = frames["b0"][i]
    frames["d0"].append(replace(leak, conn="d0", at=leak.at + 0.001))
    late = find(sb, "a0", "message_create")
    frames["a0"][late] = replace(frames["a0"][late], at=frames["a0"][late].at + 3.0)
    frames["a0"].sort(key=lambda f: f.at)
    return {conn: renumber(fs) for conn, fs in frames.items()}


def test_retiring_as_it_goes_gives_the_verdict_of_the_whole_history(sb: Sandbox) -> None:
    frames = planted(sb)
    whole = kinds(run(sb, frames))
    assert {k for k, _, _ in whole} == {"loss", "duplicate", "leak", "late"}
    replay = Replay(sb, frames)
    assert replay.play(retire=True) == whole == Replay(sb, frames).play(retire=False)
    assert all(not s.frames for s in replay.sources.values())  # every frame judged and dropped
    assert replay.recorder.live_expectations() == []
    assert replay.evaluator.retired.frames == sum(len(fs) for fs in frames.values())


def test_a_copy_later_than_the_kept_window_still_fails(sb: Sandbox) -> None:
    frames = planted(sb)  # its late copy comes 3 s after the deadline-bound window of 2 s
    failing = Replay(sb, frames, keep_s=0.0).play(retire=True)
    assert ("loss", "message_create", "a0") in failing and ("unexpected", "message_create", "a0") in failing
    assert ("late", "message_create", "a0") not in failing


def test_a_retired_history_keeps_its_latencies_and_frame_numbers(sb: Sandbox) -> None:
    replay = Replay(sb, copy_frames(sb))
    assert replay.play(retire=True) == []
    exact = latency_stats(run(sb).latencies)
    kept = latency_stats(replay.evaluator.delivery().latencies, replay.evaluator.retired.latencies)
    assert {t: s.count for t, s in kept.items()} == {t: s.count for t, s in exact.items()}
    assert all(kept[t].max_ms == exact[t].max_ms for t in exact)
    conn, source = next((c, s) for c, s in replay.sources.items() if s.frames_retired)
    last = sb.frames[conn][-1]
    source.frames.append(replace(last, seq=source.frames_retired, at=replay.now))
    assert replay.recorder.frame(conn, last.seq + 0) is None  # retired: no longer held
    assert replay.recorder.frame(conn, source.frames_retired) is source.frames[0]


def test_a_window_is_kept_while_it_may_still_change(sb: Sandbox) -> None:
    replay = Replay(sb, copy_frames(sb), keep_s=3.0)
    now = max(sb.invoked_at.values()) + 0.5
    replay.until(now, retire=True)
    cutoff = replay.evaluator.horizon() - 3.0
    held = {e.step for e in replay.recorder.live_expectations()}
    assert held == {e.step for e in sb.expectations if sb.invoked_at[e.step] >= cutoff} != set()
    kept = [f for source in replay.sources.values() for f in source.frames]
    assert kept and all(f.at >= cutoff for f in kept)


@given(st.lists(st.floats(min_value=0.01, max_value=60_000, allow_nan=False), min_size=1, max_size=300),
       st.sampled_from([0.5, 0.95, 0.99]))
def test_a_histogram_percentile_is_within_one_percent(values: list[float], fraction: float) -> None:
    histogram = LatencyHistogram()
    for value in values:
        histogram.add(value)
    exact = percentile(sorted(values), fraction)
    assert exact <= histogram.percentile(fraction) <= exact * 1.0101
    assert histogram.count == len(values) and histogram.max_ms == max(values)


def test_failures_beyond_the_cap_are_counted_not_kept() -> None:
    retired = Retired()
    leak = CheckFailure(CheckClass.DELIVERY, "leak", "x reached c0", step=1, conn="c0")
    retired.add_failures(replace(leak, step=i) for i in range(FAILURES_PER_KIND + 40))
    kept = retired.failures()
    assert len(kept) == FAILURES_PER_KIND + 1 and is_omission(kept[-1]) and kept[-1].details == {"omitted": 40}
    # the report's own cap adds the retired count to what it leaves out of the live failures
    listed = cap_per_kind(kept + [replace(leak, step=10_000 + i) for i in range(5)])
    assert len(listed) == FAILURES_PER_KIND + 1 and listed[-1].details == {"omitted": 45}


@pytest.mark.parametrize("count", [0, 3])
def test_retired_counts_survive_when_nothing_live_is_left_out(count: int) -> None:
    leak = CheckFailure(CheckClass.DELIVERY, "leak", "x", step=1, conn="c0")
    failures = [replace(leak, step=i) for i in range(count)]
    assert cap_per_kind(failures) == failures
