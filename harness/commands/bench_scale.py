"""Scale figures of `sync-harness bench`: what checking every frame costs, and how it grows.

* **scenario scaling**: ``row.message.create`` with ``--sim-clients N`` for each N asked (default 50
  and 500), each against a fresh reference target, in the same run; wall time, harness CPU, server
  CPU, frames recorded, outcome, and the ratio of the largest to the smallest N's wall time — linear
  checking keeps it near N_large/N_small for the *checking*, below it for the fixed costs (the N
  clients connecting to one guild exchange ~N²/2 ``presence_update`` frames by the protocol itself);
* **checked vs bare**: one fanout (an author posts messages into a channel that K clients subscribe
  to) received once by K bare ``websockets`` clients that only count frames, and once by K harness
  connections that record every frame and then judge it (delivery against an expectation per
  message, contract, redaction); harness CPU per 1,000 frames for both, and the checking alone as
  frames per second per core;
* **memory**: the harness process's peak resident memory after the largest N, per client.

The machine may be shared: absolute figures move with its load, ratios measured in the same run much
less; the output says which is which.
"""
from __future__ import annotations

import asyncio
import os
import resource
import secrets
import time
from typing import Any

from websockets.asyncio.client import connect

from harness.checks.delivery import DeliveryJudge
from harness.checks.frame_cache import FrameCheckCache
from harness.clients.simulated import SimulatedClient
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.population import with_extra_observers
from harness.model.expectations import Delivery, ExpectedEvent
from harness.redact import Redactor
from harness.targets.base import Target
from harness.targets.reference import ReferenceTarget
from contracts.profiles import CURRENT
from scenarios.selection import select_entries

SCALE_SCENARIO = "row.message.create"
DEFAULT_SIZES = (50, 500)
CHECKED_CLIENTS = 50
CHECKED_MESSAGES = 100


def cpu_seconds_of(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None when unknown."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


# ---- scenario scaling ---------------------------------------------------------------------------

async def scenario_scaling(sizes: tuple[int, ...], timeout_s: float = 1800.0) -> dict[str, Any]:
    runs = [await _one_size(n, timeout_s) for n in sorted(sizes)]
    small, large = runs[0], runs[-1]
    ratio = round(large["wall_s"] / small["wall_s"], 2) if small["wall_s"] else None
    cpu = [r["harness_cpu_s"] + (r["server_cpu_s"] or 0.0) for r in (small, large)]
    return {"scenario": SCALE_SCENARIO, "runs": runs, "wall_ratio": ratio,
            "cpu_ratio": round(cpu[1] / cpu[0], 2) if cpu[0] else None,
            "clients_ratio": round(large["clients"] / small["clients"], 2),
            "false_failures": sum(r["failures"] for r in runs) + sum(r["status"] == "error" for r in runs)}


async def _one_size(n: int, timeout_s: float) -> dict[str, Any]:
    [spec] = select_entries([SCALE_SCENARIO], [])
    spec = with_extra_observers(spec, n)
    rss_before = current_rss_mb()
    async with ReferenceTarget() as target:
        server_cpu = cpu_seconds_of(target.pid)
        session = ScenarioRunner(target, RunnerOptions(scenario_timeout_s=timeout_s), Redactor()).open(spec)
        began, cpu = time.monotonic(), time.process_time()
        result = await session.run()
        wall, harness_cpu = time.monotonic() - began, time.process_time() - cpu
        server_after = cpu_seconds_of(target.pid)
    frames = session.recorder.frames_received()
    load = result.harness_load
    return {
        "clients": len(spec.clients), "status": result.status, "failures": len(result.failures),
        "error": result.error, "wall_s": round(wall, 2), "harness_cpu_s": round(harness_cpu, 2),
        "server_cpu_s": None if server_cpu is None or server_after is None else round(server_after - server_cpu, 2),
        "frames": frames, "frames_judged": session.evaluator.frames_judged,
        "view_reads": dict(session.view_reads),
        "max_loop_lag_ms": None if load is None else load.max_loop_lag_ms,
        "peak_rss_mb": round(peak_rss_mb(), 1), "rss_growth_mb": round(current_rss_mb() - rss_before, 1),
    }


# ---- checked vs bare ----------------------------------------------------------------------------

async def checked_vs_bare(target: Target, clients: int = CHECKED_CLIENTS,
                          messages: int = CHECKED_MESSAGES) -> dict[str, Any]:
    redactor = Redactor()
    tag = secrets.token_hex(3)
    author = SimulatedClient("author", target, f"scale_author_{tag}", "pw-" + secrets.token_urlsafe(16),
                             redactor=redactor)
    readers: list[SimulatedClient] = []
    try:
        await author.login(register=True)
        guild = (await author.rest.request("POST", "/guilds", json={"name": "scale"})).body["guild_id"]
        channel = (await author.rest.request("POST", f"/guilds/{guild}/channels",
                                             json={"name": "load"})).body["channel_id"]
        for index in range(clients):
            reader = SimulatedClient(f"r{index}", target, f"scale_r{index}_{tag}", "pw-" + secrets.token_urlsafe(16),
                                     redactor=redactor)
            readers.append(reader)
            await reader.login(register=True)
            await author.rest.request("POST", f"/guilds/{guild}/members/{reader.user_id}")
        bare = await _bare_fanout(target, readers, author, guild, channel, messages)
        checked = await _checked_fanout(readers, author, guild, channel, messages, redactor)
    finally:
        for client in [author, *readers]:
            await client.close()
    per_k = lambda cpu, frames: round(cpu / frames * 1000 * 1000, 2) if frames else None  # noqa: E731
    return {
        "clients": clients, "messages": messages,
        "bare": {"frames": bare["frames"], "cpu_s": round(bare["cpu_s"], 3),
                 "cpu_ms_per_1000_frames": per_k(bare["cpu_s"], bare["frames"])},
        "checked": {"frames": checked["frames"], "cpu_s": round(checked["cpu_s"], 3),
                    "cpu_ms_per_1000_frames": per_k(checked["cpu_s"], checked["frames"]),
                    "checking_cpu_s": round(checked["checking_cpu_s"], 3),
                    "frames_checked_per_s_per_core": round(checked["frames"] / checked["checking_cpu_s"])
                    if checked["checking_cpu_s"] else None,
                    "failures": checked["failures"]},
        "checked_over_bare_cpu": round(checked["cpu_s"] / bare["cpu_s"], 2) if bare["cpu_s"] else None,
    }


async def _post_all(author: SimulatedClient, guild: str, channel: str, messages: int) -> dict[str, float]:
    sent: dict[str, float] = {}
    for index in range(messages):
        invoked = time.monotonic()
        result = await author.rest.request("POST", f"/guilds/{guild}/channels/{channel}/messages",
                                           json={"content": f"scale {index} " + "x" * 64})
        sent[result.body["message_id"]] = invoked
    return sent


async def _bare_fanout(target: Target, readers: list[SimulatedClient], author: SimulatedClient, guild: str,
                       channel: str, messages: int) -> dict[str, Any]:
    """The same fanout to clients that do nothing but count the frames (the floor of receiving)."""
    counts = [0] * len(readers)
    sockets = []
    for reader in readers:
        ws = await connect(f"{target.gateway_url}?access_token={reader.rest.access_token}", max_queue=64,
                           ping_interval=None, compression=None)
        await ws.send('{"v":1,"t":"subscribe","d":{"guild_id":"%s","channel_id":"%s"}}' % (guild, channel))
        while '"subscribed"' not in str(await asyncio.wait_for(ws.recv(), 10)):
            pass
        sockets.append(ws)

    async def count(position: int, ws: Any) -> None:
        async for message in ws:
            if '"message_create"' in message:
                counts[position] += 1

    tasks = [asyncio.create_task(count(i, ws)) for i, ws in enumerate(sockets)]
    cpu = time.process_time()
    await _post_all(author, guild, channel, messages)
    await _until(lambda: sum(counts) >= messages * len(readers), 60)
    used = time.process_time() - cpu
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"frames": sum(counts), "cpu_s": used}


async def _checked_fanout(readers: list[SimulatedClient], author: SimulatedClient, guild: str, channel: str,
                          messages: int, redactor: Redactor) -> dict[str, Any]:
    """The same fanout recorded by harness connections and judged: delivery, contract, redaction."""
    conns = []
    for reader in readers:
        connection = await reader.open_connection()
        await connection.subscribe(guild, channel)
        await connection.wait_for(lambda f: f.event_type == "subscribed", 10.0)
        conns.append(connection)
    starts = {c.conn_id: len(c.frames) for c in conns}
    cpu = time.process_time()
    sent = await _post_all(author, guild, channel, messages)
    await _until(lambda: sum(_created(c.frames[starts[c.conn_id]:]) for c in conns) >= messages * len(conns), 60)
    checking = time.process_time()
    # Only the fanout's frames: a late presence_update of a reader that connected just before is not part of it.
    frames = {c.conn_id: [f for f in c.frames[starts[c.conn_id]:] if f.event_type == "message_create"] for c in conns}
    judge = DeliveryJudge(conn_clients={}, deadline_s=2.0, invoked={i: at for i, at in enumerate(sent.values())},
                          classify=lambda f: Delivery.MAY)
    audience = {c.conn_id: Delivery.MUST for c in conns}
    judge.add_expectations(ExpectedEvent(i, 0, "message_create", {"message_id": mid}, audience=audience)
                           for i, mid in enumerate(sent))
    report = judge.report(frames, horizon=float("inf"))
    cache, profile = FrameCheckCache(), CURRENT
    found = []
    for batch in frames.values():
        found += cache.contract(batch, profile)
        found += cache.redaction(batch, redactor.known_secrets, len(redactor))
    now = time.process_time()
    failures = [f for f in report.failures + found if f.is_error]
    return {"frames": sum(len(b) for b in frames.values()), "cpu_s": now - cpu, "checking_cpu_s": now - checking,
            "failures": len(failures)}


def _created(frames: Any) -> int:
    return sum(1 for f in frames if f.event_type == "message_create")


async def _until(condition: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


# ---- printing and options -----------------------------------------------------------------------

def client_sizes(text: str) -> tuple[int, ...]:
    """``50,500`` -> (50, 500); ``0`` -> () (no scaling runs)."""
    import argparse

    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected client counts like 50,500, got {text!r}") from None
    if any(n < 0 for n in sizes):
        raise argparse.ArgumentTypeError("client counts must be >= 0")
    sizes = tuple(n for n in sizes if n > 0)
    if len(sizes) == 1:
        raise argparse.ArgumentTypeError("give two client counts (or 0 to skip the scaling runs)")
    return sizes


def checked_line(figures: dict[str, Any]) -> str:
    bare, checked = figures["bare"], figures["checked"]
    return (f"checked vs bare: {checked['frames']} frames to {figures['clients']} clients; harness "
            f"{checked['cpu_ms_per_1000_frames']} ms CPU per 1,000 frames (recorded and checked) vs bare websockets "
            f"{bare['cpu_ms_per_1000_frames']} ms ({figures['checked_over_bare_cpu']}x, same run); checking alone "
            f"{checked['frames_checked_per_s_per_core']} frames/s per core; {checked['failures']} failures")


def scaling_lines(figures: dict[str, Any]) -> list[str]:
    lines = []
    for run in figures["runs"]:
        lines.append(f"scale {figures['scenario']} with {run['clients']} clients: {run['status']} in {run['wall_s']} s "
                     f"(harness CPU {run['harness_cpu_s']} s, server CPU {run['server_cpu_s']} s, {run['frames']} frames, "
                     f"{run['failures']} failures, peak RSS {run['peak_rss_mb']} MB)")
    lines.append(f"scale ratio: {figures['wall_ratio']}x the wall time, {figures['cpu_ratio']}x the harness+server CPU, "
                 f"for {figures['clients_ratio']}x the clients (same run; must stay < 10x for 10x the clients), "
                 f"false failures: {figures['false_failures']}")
    return lines
