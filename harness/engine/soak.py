"""A soak: many simulated clients spread over guilds and channels, a mutation mix at a target rate for
a duration, every frame checked (delivery with its leak rule, contract, redaction) as it comes,
convergence at intervals and at the end.

It is one long scenario run by the ordinary session (harness.engine.runner.ScenarioSession): the same
seeding, model, recorder, incremental delivery judge and convergence checks as any scenario, so a
soak proves what a scenario proves, over a population. Clients are spread over guilds (one per 100
by default): N clients in one guild exchange ~N²/2 ``presence_update`` frames by the protocol itself
when they connect.
"""
from __future__ import annotations

import asyncio
import gc
import math
import random
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from harness.checks.types import LatencySample
from harness.engine.lanes import GuildLanes
from harness.engine.results import ScenarioResult, percentile
from harness.engine.runner import ScenarioSession
from harness.engine.scenario import Blueprint, ChannelSpec, ClientSpec, GuildSpec, ScenarioSpec
from harness.model.mutations import CreateMessage, DeleteMessage, EditMessage, Mutation, UpdateWorkspace

MIX = (("message.create", 0.70), ("message.edit", 0.15), ("message.delete", 0.10), ("workspace.update", 0.05))
"""The default mutation mix: mostly channel fanout, some guild-wide fanout."""


@dataclass(frozen=True)
class SoakPlan:
    clients: int
    duration_s: float
    rate: float = 20.0
    """Mutations per second asked for (the soak reports what it achieved)."""
    guilds: int | None = None
    """Default: one guild per 100 clients."""
    channels: int = 2
    """Channels per guild; each client subscribes to one of its guild's channels."""
    check_every_s: float = 10.0
    check_sample: int = 200
    """Clients whose convergence each interval check reads (a rotating window); the end reads all."""
    seed: int = 0

    @property
    def guild_count(self) -> int:
        return self.guilds or max(1, math.ceil(self.clients / 100))


@dataclass
class SoakProgress:
    """One line of the live progress display."""

    elapsed_s: float
    clients: int
    mutations: int
    events_per_s: float
    latency_ms: tuple[float, float, float] | None
    failures: int

    def line(self) -> str:
        lat = "-" if self.latency_ms is None else "p50 {:.1f} / p95 {:.1f} / max {:.1f} ms".format(*self.latency_ms)
        return (f"soak {self.elapsed_s:6.1f}s  clients {self.clients}  mutations {self.mutations}  "
                f"events/s {self.events_per_s:8.1f}  latency {lat}  failures {self.failures}")


def soak_spec(plan: SoakPlan) -> ScenarioSpec:
    """The world and the observers: guild g has owner ``o{g}``, channels ``g{g}c{k}`` and the clients
    ``u{i}`` with ``i % guilds == g``; ``u{i}`` subscribes to channel ``(i // guilds) % channels``."""
    count = plan.guild_count
    users = [f"o{g}" for g in range(count)] + [f"u{i}" for i in range(plan.clients)]
    guilds, clients = [], []
    for g in range(count):
        members = [i for i in range(plan.clients) if i % count == g]
        guilds.append(GuildSpec(alias=f"g{g}", owner=f"o{g}",
                                channels=[ChannelSpec(alias=f"g{g}c{k}") for k in range(plan.channels)],
                                members={f"u{i}": "member" for i in members}))
        clients += [ClientSpec(label=f"u{i}", user=f"u{i}", observes_as="soak_member",
                               subscribe=[f"g{g}/g{g}c{(i // count) % plan.channels}"]) for i in members]
    return ScenarioSpec(id="soak", title=f"soak: {plan.clients} clients in {count} guilds for {plan.duration_s:g} s "
                                         f"at {plan.rate:g} mutations/s",
                        tags=["soak"], world=Blueprint(users=users, guilds=guilds), clients=clients)


class MutationMix:
    """Picks the next mutation: a random client of the population acts in its own guild and channel."""

    def __init__(self, plan: SoakPlan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.count = plan.guild_count
        self.messages: dict[str, list[tuple[str, str]]] = {}
        """actor -> (message alias, channel alias) it posted and has not deleted."""
        self.made = 0

    def next(self) -> tuple[int, Mutation]:
        """The guild the mutation acts in, and the mutation."""
        self.made += 1
        row = self.rng.choices([r for r, _ in MIX], [w for _, w in MIX])[0]
        i = self.rng.randrange(self.plan.clients)
        actor, g = f"u{i}", i % self.count
        own = self.messages.get(actor, [])
        if row == "workspace.update":
            return g, UpdateWorkspace(actor=f"o{g}", guild=f"g{g}", name=f"soak {g} {self.made}")
        if row == "message.edit" and own:
            alias, _ = self.rng.choice(own)
            return g, EditMessage(actor=actor, message=alias, content=f"edited {self.made}")
        if row == "message.delete" and own:
            alias, _ = own.pop(self.rng.randrange(len(own)))
            return g, DeleteMessage(actor=actor, message=alias)
        channel = f"g{g}c{(i // self.count) % self.plan.channels}"
        alias = f"m{self.made}"
        own.append((alias, channel))
        self.messages[actor] = own[-20:]  # bounded: old messages are no longer edited or deleted
        return g, CreateMessage(actor=actor, channel=channel, message=alias, content=f"soak {self.made}")


async def run_soak(session: ScenarioSession, plan: SoakPlan,
                   progress: Callable[[SoakProgress], None] = lambda p: None) -> ScenarioResult:
    """Seed and connect the population, run the mix for the duration, check convergence every
    ``check_every_s`` and at the end; always returns the scenario result."""
    monitor = _Progress(session, plan.clients)

    async def everything() -> None:
        await session.start()  # freezes the population's objects out of the collector's sight
        monitor.reset()
        await _mutate_for(session, plan, monitor, progress)

    await session._guarded(everything())
    result = await session.finish()
    progress(monitor.sample(final=True))
    return result


async def _mutate_for(session: ScenarioSession, plan: SoakPlan, monitor: "_Progress",
                      progress: Callable[[SoakProgress], None]) -> None:
    """Issue the mix at the asked rate, one mutation in flight per guild; every ``check_every_s`` let
    them land and check the convergence of the next window of ``check_sample`` clients."""
    mix = MutationMix(plan, random.Random(plan.seed))
    lanes = GuildLanes(limit=2 * plan.guild_count)
    sample = _RotatingSample(list(session.observers), plan.check_sample)
    began = time.monotonic()
    end, next_check, next_line = began + plan.duration_s, began + plan.check_every_s, began + 1.0
    try:
        while (now := time.monotonic()) < end:
            guild, mutation = mix.next()
            await lanes.start(guild, partial(session.perform_mutation, mutation))
            monitor.mutations += 1
            if now >= next_line:
                progress(monitor.sample())
                next_line = now + 1.0
            if now >= next_check:  # convergence at intervals: quiet the lanes, read a window of clients
                await lanes.drain()
                await session.check_convergence(sample.next())
                session.retire_history(keep_s=plan.check_every_s)  # memory holds a window, not the run
                _freeze_survivors()
                next_check = time.monotonic() + plan.check_every_s
            slot = began + monitor.mutations / plan.rate
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
        await lanes.drain()
    finally:
        lanes.cancel()


def _freeze_survivors() -> None:
    """Move what survived a young collection out of the cyclic collector's sight, at each interval
    check while the lanes are drained.

    Left to it, a full collection walks every object the soak holds (replicas, the window of frames):
    with 2,000 clients it took 0.4–0.7 s every few seconds, holding the event loop that stamps receive
    times; with this, 0.1–0.2 s. Frozen objects are still freed when their last reference goes; only a
    reference cycle among them that dies later is never collected, so freezing waits for a moment with
    no mutation in flight."""
    gc.collect(1)
    gc.freeze()


class _RotatingSample:
    """Successive windows of ``size`` labels, wrapping around: every client is checked in turn."""

    def __init__(self, labels: list[str], size: int) -> None:
        self.labels, self.size, self.at = labels, max(1, size), 0

    def next(self) -> set[str]:
        if len(self.labels) <= self.size:
            return set(self.labels)
        window = {self.labels[(self.at + i) % len(self.labels)] for i in range(self.size)}
        self.at = (self.at + self.size) % len(self.labels)
        return window


class _Progress:
    def __init__(self, session: ScenarioSession, clients: int) -> None:
        self.session = session
        self.clients = clients
        self.mutations = 0
        self._began = time.monotonic()
        self._frames = 0
        self._at = self._began
        self._latencies_seen = 0

    def reset(self) -> None:
        self._began = self._at = time.monotonic()
        self._frames = self._frames_now()

    def _frames_now(self) -> int:
        return self.session.recorder.frames_received()

    def sample(self, final: bool = False) -> SoakProgress:
        now, frames = time.monotonic(), self._frames_now()
        rate = (frames - self._frames) / max(now - self._at, 1e-6)
        self._frames, self._at = frames, now
        report = self.session.evaluator.delivery()
        retired = self.session.evaluator.retired.latency_samples  # samples before it left the live list
        recent: list[LatencySample] = report.latencies[max(0, self._latencies_seen - retired):]
        self._latencies_seen = retired + len(report.latencies)
        ms = sorted(s.seconds * 1000 for s in recent)
        latency = (percentile(ms, 0.5), percentile(ms, 0.95), ms[-1]) if ms else None
        failures = len([f for f in self.session.current_failures() if not self._in_flight(f, now)]) \
            if not final else len([f for f in self.session.failures if f.is_error])
        return SoakProgress(round(now - self._began, 1), self.clients, self.mutations, rate, latency, failures)

    def _in_flight(self, failure: Any, now: float) -> bool:
        """Not a failure yet: a loss of an event still within its deadline (the event is on its way),
        or a frame still younger than the judge's horizon (a mutation in flight may yet claim it)."""
        recorder = self.session.recorder
        if failure.kind == "loss":
            invoked = recorder.invoked_at.get(failure.step)
            return invoked is not None and now - invoked <= self.session._deadline
        seq = (failure.details or {}).get("seq")
        frame = recorder.frame(failure.conn, seq) if failure.conn is not None and isinstance(seq, int) else None
        return frame is not None and frame.at >= self.session.evaluator.horizon()


def throughput(result: ScenarioResult, plan: SoakPlan, session: ScenarioSession) -> dict[str, Any]:
    frames = session.recorder.frames_received()
    mutations = sum(1 for a in session.recorder.actions if a.kind == "mutation")
    return {"clients": plan.clients, "guilds": plan.guild_count, "mutations": mutations,
            "frames": frames, "frames_judged": session.evaluator.frames_judged,
            "frames_retired": session.evaluator.retired.frames,
            "view_reads": dict(session.view_reads), "duration_s": result.duration_s}
