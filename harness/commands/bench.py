"""`sync-harness bench`: figures for what speed means here, against any target.

* startup: reference target spawn → ``listening`` line → ``GET /health`` 200 (reference only, 5 runs);
* fanout latency: one author posts messages into a channel that N simulated clients subscribe to;
  latency = author's REST call start → each subscriber's receipt (p50 / p95 / max);
* fanout throughput: delivered events per second over the same run;
* scenario cost: wall time of one catalogue scenario, repeated.

Figures are printed as a table and, with ``--json``, written for docs/performance.md.
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

from harness.clients.simulated import SimulatedClient
from reports.console import Console
from harness.redact import Redactor
from harness.engine.results import percentile
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.commands.options import add_target_options, positive_int
from harness.commands.run import RunOptions, build_target
from harness.targets.base import Target
from reports.writers import check_writable
from scenarios.selection import select_entries
from harness.targets.reference import ReferenceTarget
from harness.commands.bench_scale import (
    DEFAULT_SIZES, SCALE_SCENARIO, checked_line, checked_vs_bare, client_sizes, scaling_lines, scenario_scaling,
)

STARTUP_RUNS = 5
SCENARIO_RUNS = 3
SCENARIO_ID = "row.message.edit"



def register(commands: Any) -> None:
    bench = commands.add_parser("bench", help="measure startup, latency and throughput with figures")
    add_target_options(bench)
    bench.add_argument("--json", type=Path, metavar="FILE")
    bench.add_argument("--clients", type=positive_int, default=8)
    bench.add_argument("--messages", type=positive_int, default=200)
    bench.add_argument("--scale-clients", type=client_sizes, default=DEFAULT_SIZES, metavar="N,M",
                       help=f"extra clients of the scaling runs of {SCALE_SCENARIO} (default 50,500; 0 skips them)")
    bench.set_defaults(func=lambda args: asyncio.run(run_bench(args)))


async def run_bench(args: argparse.Namespace) -> int:
    if args.json:
        check_writable(args.json.parent, "the figures")
    console = Console()
    figures: dict[str, Any] = {"machine": {"python": platform.python_version(), "cpus": _cpus(),
                                           "platform": platform.platform()}}
    if args.target == "reference":
        figures["startup_s"] = await _startup()
        console.out.print(f"startup: median {figures['startup_s']['median']:.3f} s over {STARTUP_RUNS} runs")
    target = build_target(RunOptions(target=args.target, target_url=args.target_url, target_env=tuple(args.target_env),
                                     web_url=args.web_url, faults=tuple(args.fault)))
    async with target:
        figures["fanout"] = await _fanout(target, args.clients, args.messages)
        console.out.print(_fanout_line(figures["fanout"]))
        figures["scenario"] = await _scenario_cost(target)
        console.out.print(f"scenario {SCENARIO_ID}: median {figures['scenario']['median_s']:.2f} s "
                          f"over {SCENARIO_RUNS} runs")
        figures["checked_vs_bare"] = await checked_vs_bare(target)
        console.out.print(checked_line(figures["checked_vs_bare"]))
    if args.scale_clients and args.target == "reference":
        figures["scaling"] = await scenario_scaling(args.scale_clients)
        for line in scaling_lines(figures["scaling"]):
            console.out.print(line)
    if args.json:
        from reports.json_report import write_json_data

        write_json_data(figures, args.json)
    return 0


async def _startup() -> dict[str, float]:
    times = []
    for _ in range(STARTUP_RUNS):
        began = time.monotonic()
        async with ReferenceTarget():
            times.append(time.monotonic() - began)
    return {"median": round(statistics.median(times), 3), "min": round(min(times), 3), "max": round(max(times), 3)}


async def _fanout(target: Target, clients: int, messages: int) -> dict[str, Any]:
    redactor = Redactor()
    tag = secrets.token_hex(3)
    author = SimulatedClient("author", target, f"bench_author_{tag}", "pw-" + secrets.token_urlsafe(16),
                             redactor=redactor)
    readers: list[SimulatedClient] = []
    try:  # every client is closed, also when setting up fails half-way
        await author.login(register=True)
        guild = (await author.rest.request("POST", "/guilds", json={"name": "bench"})).body["guild_id"]
        channel = (await author.rest.request("POST", f"/guilds/{guild}/channels",
                                             json={"name": "load"})).body["channel_id"]
        await _subscribe_readers(readers, target, author, guild, channel, clients, tag, redactor)
        return await _measure(author, readers, guild, channel, messages)
    finally:
        for client in [author, *readers]:
            await client.close()


async def _subscribe_readers(readers: list[SimulatedClient], target: Target, author: SimulatedClient, guild: str,
                             channel: str, count: int, tag: str, redactor: Redactor) -> None:
    """Add ``count`` members subscribed to the channel to ``readers`` (each as soon as it exists)."""
    for index in range(count):
        reader = SimulatedClient(f"reader{index}", target, f"bench_r{index}_{tag}", "pw-" + secrets.token_urlsafe(16),
                                 redactor=redactor)
        readers.append(reader)
        await reader.login(register=True)
        await author.rest.request("POST", f"/guilds/{guild}/members/{reader.user_id}")
        connection = await reader.open_connection()
        await connection.subscribe(guild, channel)
        await connection.wait_for(lambda f: f.event_type == "subscribed", 5.0)


async def _measure(author: SimulatedClient, readers: list[SimulatedClient], guild: str, channel: str,
                   messages: int) -> dict[str, Any]:
    sent: dict[str, float] = {}
    began = time.monotonic()
    for index in range(messages):
        invoked = time.monotonic()
        result = await author.rest.request("POST", f"/guilds/{guild}/channels/{channel}/messages",
                                           json={"content": f"bench {index}"})
        sent[result.body["message_id"]] = invoked
    expected = messages * len(readers)
    deadline = time.monotonic() + 30
    while _received(readers, sent) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - began
    latencies = sorted((frame.at - sent[frame.data["message_id"]]) * 1000 for reader in readers
                       for frame in reader.connections[0].frames
                       if frame.event_type == "message_create" and frame.data.get("message_id") in sent)
    return {"clients": len(readers), "messages": messages, "delivered": len(latencies), "expected": expected,
            "elapsed_s": round(elapsed, 3), "events_per_s": round(len(latencies) / elapsed, 1),
            "latency_ms": {"p50": round(percentile(latencies, 0.5), 2), "p95": round(percentile(latencies, 0.95), 2),
                           "max": round(latencies[-1], 2)} if latencies else None}


def _received(readers: list[SimulatedClient], sent: dict[str, float]) -> int:
    return sum(1 for reader in readers for frame in reader.connections[0].frames
               if frame.event_type == "message_create" and frame.data.get("message_id") in sent)


async def _scenario_cost(target: Target) -> dict[str, Any]:
    [spec] = select_entries([SCENARIO_ID], [])
    runner = ScenarioRunner(target, RunnerOptions(), Redactor())
    times = []
    for _ in range(SCENARIO_RUNS):
        result = await runner.run(spec)
        times.append(result.duration_s)
    return {"scenario": SCENARIO_ID, "median_s": round(statistics.median(times), 3), "runs": times}


def _fanout_line(fanout: dict[str, Any]) -> str:
    latency = fanout["latency_ms"] or {}
    return (f"fanout: {fanout['messages']} messages to {fanout['clients']} clients, {fanout['delivered']}/"
            f"{fanout['expected']} delivered, {fanout['events_per_s']} events/s, latency p50 "
            f"{latency.get('p50')} ms, p95 {latency.get('p95')} ms, max {latency.get('max')} ms")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
