"""Item 2, staging telemetry gate (Filament's verify_gateway_telemetry.sh, done for the user).

Snapshot /metrics; on fresh connections send a non-JSON frame, an unknown ingress event, a
``subscribe`` and a ``message_create`` with a non-ULID ``guild_id``; force an oversized outbound drop
where the target's ``max_gateway_event_bytes`` is small enough; snapshot again. Every labelled counter
the contract says these move must have moved, and each offending connection must have been handled as
GATEWAY.md §1.7 says: dropped without a Close frame, the oversized drop leaving its socket open.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from harness.clients.rest import RestSession
from harness.rollout.checklist import ItemResult, failed, passed
from harness.rollout.context import FORCEABLE_MAX_EVENT_BYTES, RolloutContext
from harness.rollout.gateway_probe import Ending, ending_after, envelope, frames_within, open_gateway, wait_for_type
from harness.rollout.metrics import (
    DISCONNECTS, DROPPED, PARSE_REJECTED, UNKNOWN, MetricsSnapshot, delta, fetch_metrics, render_labels,
)

NUMBER, KEY, TITLE = 2, "telemetry_gate", "Staging telemetry gate"
UNKNOWN_INGRESS = "rollout_unknown_ingress_event"
SOME_ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
CLOSE_WAIT_S = 3.0
SETTLE_S = 3.0
OVERSIZED_WAIT_S = 0.5


@dataclass(frozen=True)
class Offence:
    name: str
    frame: str
    counters: tuple[tuple[str, dict[str, str]], ...]


OFFENCES: tuple[Offence, ...] = (
    Offence("non-JSON frame", "not-json", (
        (PARSE_REJECTED, {"scope": "ingress", "reason": "invalid_envelope"}),
        (DISCONNECTS, {"reason": "invalid_envelope"}))),
    Offence("unknown ingress event", envelope(UNKNOWN_INGRESS, {}), (
        (UNKNOWN, {"scope": "ingress", "event_type": UNKNOWN_INGRESS}),
        (DISCONNECTS, {"reason": "unknown_event"}))),
    Offence("subscribe with a non-ULID guild_id",
            envelope("subscribe", {"guild_id": "not-a-ulid", "channel_id": SOME_ULID}), (
        (PARSE_REJECTED, {"scope": "ingress", "reason": "invalid_subscribe_payload"}),
        (DISCONNECTS, {"reason": "invalid_subscribe_payload"}))),
    Offence("message_create with a non-ULID guild_id",
            envelope("message_create", {"guild_id": "not-a-ulid", "channel_id": SOME_ULID, "content": "x"}), (
        (PARSE_REJECTED, {"scope": "ingress", "reason": "invalid_message_create_payload"}),
        (DISCONNECTS, {"reason": "invalid_message_create_payload"}))),
)
OVERSIZED = (DROPPED, {"scope": "channel", "event_type": "message_create", "reason": "oversized_outbound"})


def forceable(max_event_bytes: int | None) -> bool:
    return max_event_bytes is not None and max_event_bytes <= FORCEABLE_MAX_EVENT_BYTES


async def check_telemetry_gate(ctx: RolloutContext) -> ItemResult:
    session = (await ctx.new_user("gate")).session
    try:
        before = await fetch_metrics(ctx.http, ctx.rest_url)
        problems: list[str] = []
        evidence: list[str] = []
        required = [counter for offence in OFFENCES for counter in offence.counters]
        for offence in OFFENCES:
            ws = await open_gateway(ctx.target.gateway_url, session.access_token or "")
            try:
                ending = await ending_after(ws, offence.frame, CLOSE_WAIT_S)
            finally:
                await ws.close()
            evidence.append(f"{offence.name}: connection {ending.describe()}")
            if ending != Ending(closed=True, close_frame=False):
                problems.append(f"{offence.name}: connection {ending.describe()}, contract: dropped without a "
                                "Close frame (GATEWAY.md §1.7)")
        if forceable(ctx.settings.max_event_bytes):
            problems += await _force_oversized(ctx, session, evidence)
            required.append(OVERSIZED)
        else:
            limit = ctx.settings.max_event_bytes or 65536
            evidence.append(f"oversized outbound drop: skipped: not forceable on this target "
                            f"(max_gateway_event_bytes {limit}; a message reaches at most ~4.3 KB)")
        after = await _settled_snapshot(ctx, before, required)
        for family, labels in required:
            moved = delta(before, after, family, **labels)
            evidence.append(f"{family}{render_labels(labels)}: +{moved:g}")
            if moved <= 0:
                problems.append(f"{family}{render_labels(labels)} did not move")
    finally:
        await session.aclose()
    if problems:
        return failed(NUMBER, KEY, TITLE, "; ".join(problems), evidence)
    note = "" if forceable(ctx.settings.max_event_bytes) else " (oversized drop skipped: not forceable on this target)"
    return passed(NUMBER, KEY, TITLE, f"every offending frame moved its counters and was handled per contract{note}",
                  evidence)


async def _settled_snapshot(ctx: RolloutContext, before: MetricsSnapshot,
                            required: list[tuple[str, dict[str, str]]]) -> MetricsSnapshot:
    """The server counts a disconnect as it notices it: poll until every counter moved, or a bound."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_S
    delay = 0.05
    while True:
        after = await fetch_metrics(ctx.http, ctx.rest_url)
        if all(delta(before, after, f, **labels) > 0 for f, labels in required) or loop.time() >= deadline:
            return after
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def _force_oversized(ctx: RolloutContext, session: RestSession, evidence: list[str]) -> list[str]:
    status, guild = await session.post("/guilds", json={"name": "rollout gate"})
    if status != 200:
        return [f"oversized drop: cannot create a guild (HTTP {status})"]
    gid = guild["guild_id"]
    status, channel = await session.post(f"/guilds/{gid}/channels", json={"name": "gate", "kind": "text"})
    if status != 200:
        return [f"oversized drop: cannot create a channel (HTTP {status})"]
    cid = channel["channel_id"]
    ws = await open_gateway(ctx.target.gateway_url, session.access_token or "")
    try:
        await ws.send(envelope("subscribe", {"guild_id": gid, "channel_id": cid}))
        if await wait_for_type(ws, "subscribed", CLOSE_WAIT_S) is None:
            return ["oversized drop: the subscribe was not acknowledged"]
        status, _ = await session.post(f"/guilds/{gid}/channels/{cid}/messages", json={"content": "x" * 2000})
        frames, ending = await frames_within(ws, OVERSIZED_WAIT_S)
    finally:
        await ws.close()
    delivered = [f for f in frames if f.get("t") == "message_create"]
    evidence.append(f"oversized outbound drop (limit {ctx.settings.max_event_bytes} bytes): REST {status}, "
                    f"{len(delivered)} message_create delivered, connection {ending.describe()}")
    problems = []
    if status != 200:
        problems.append(f"oversized drop: the REST message answered {status}, contract: 200")
    if delivered:
        problems.append("oversized drop: the oversized message_create was delivered")
    if ending.closed:
        problems.append(f"oversized drop: the subscribed connection {ending.describe()}, contract: no disconnect")
    return problems
