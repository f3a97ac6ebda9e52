"""Faults injected by the harness ("nemesis", as in Jepsen), usable in any scenario against any target.

Each fault is an action in the same history as the events (kind ``nemesis``), so the report shows
when it happened and what followed. What a fault excuses is decided by the model, not by hiding
failures: a dropped connection leaves the audience of later events (the gap is not a loss), a stalled
connection's MUST deliveries become MAY (it may be closed as a slow consumer) while its MUST_NOT stay.

* ``drop`` / ``reconnect`` / ``drop_and_reconnect``: abort a client's connection without a close
  frame (a network drop), then open a new one, re-subscribe and re-hydrate from REST.
* ``stall_reads``: stop reading one connection and flood its channel until the server closes it with
  the documented Close 1008 ``slow_consumer`` (GATEWAY.md §1.6); then reconnect and converge.
* ``restart_server``: restart the target on the same database; every client reconnects (refreshing
  its token: access tokens do not survive a restart) and converges.
* ``latency``: delay every frame one client receives by ``seconds``.
"""
from __future__ import annotations

from typing import Any

from harness.checks.types import CheckClass, CheckFailure
from harness.errors import ScenarioError, TargetError
from harness.model.mutations import CreateMessage
from harness.engine.steps import Nemesis
from harness.engine.session_api import Observer, SessionApi

SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON = 1008, "slow_consumer"
FLOOD_CONTENT_BYTES = 2000
"""Largest allowed message: fewest messages to fill the server's outbound queue and the kernel buffers."""
FLOOD_BATCH = 25
FLOOD_MAX_MESSAGES = 1200
"""About four times what a 256-frame queue plus shrunken socket buffers hold: bounds a faulty server."""
CLOSE_WAIT_S = 10.0


async def run_nemesis(session: SessionApi, action: Nemesis) -> int:
    handler = _HANDLERS.get(action.name)
    if handler is None:
        raise ScenarioError(f"unknown nemesis {action.name!r}; known: {', '.join(sorted(_HANDLERS))}")
    record = session.recorder.begin("nemesis", action.name, action.client, **_plain(action.params))
    detail = await handler(session, action, record.step)
    session.recorder.finish(record, "info", **_plain(detail))
    return record.step


async def _drop(session: SessionApi, action: Nemesis, step: int) -> dict[str, Any]:
    observer = _observer(session, action)
    connection = observer.sim.connections[int(action.params.get("index", 0))]
    await connection.abort()
    session.recorder.expect(session.model.connection_closed(step, connection.conn_id, by="harness"))
    if observer.primary is connection:
        observer.primary = None  # the replica stops being compared until the client reconnects
    return {"dropped": connection.conn_id}


async def _reconnect(session: SessionApi, action: Nemesis, step: int) -> dict[str, Any]:
    observer = _observer(session, action)
    fresh = await session.reconnect(observer)
    return {"reconnected": [c.conn_id for c in fresh]}


async def _drop_and_reconnect(session: SessionApi, action: Nemesis, step: int) -> dict[str, Any]:
    return {**await _drop(session, action, step), **await _reconnect(session, action, step)}


async def _stall_reads(session: SessionApi, action: Nemesis, step: int) -> dict[str, Any]:
    observer = _observer(session, action)
    connection = observer.primary or observer.sim.connections[0]
    flooder, channel = action.params.get("actor"), action.params.get("channel")
    if not flooder or not channel:
        raise ScenarioError("nemesis.stall_reads needs 'actor' (who floods) and 'channel' (which channel)")
    session.model.connection_starved(connection.conn_id)
    connection.pause_reading()
    sent = await _flood_until_slow_consumer(session, flooder, channel)
    # A connection that does not read cannot see the Close frame queued behind the data: read again.
    # That is also what lets the server finish the connection, so the end of the connection is its own
    # action from this moment: what follows from it (offline presence) is timed from here.
    ended = session.recorder.begin("disconnect", "slow_consumer_close", observer.spec.label, conn=connection.conn_id)
    connection.resume_reading()
    closed = await _closed_within(connection, CLOSE_WAIT_S)
    if closed is None or (closed.code, closed.reason) != (SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON):
        seen = "still open" if closed is None else f"closed with {closed.code} {closed.reason!r}"
        session.failures.append(CheckFailure(
            CheckClass.DELIVERY, "close",
            f"{connection.conn_id} stopped reading while {sent} events were sent to it, but the server did not "
            f"close it as a slow consumer (Close {SLOW_CONSUMER_CODE} {SLOW_CONSUMER_REASON!r}); it is {seen}",
            step=step, conn=connection.conn_id, client=observer.spec.label,
            expected={"code": SLOW_CONSUMER_CODE, "reason": SLOW_CONSUMER_REASON},
            observed=None if closed is None else {"code": closed.code, "reason": closed.reason}))
        await connection.abort()
    session.recorder.expect(session.model.connection_closed(ended.step, connection.conn_id, by="server"))
    session.recorder.finish(ended, "ok" if closed is not None else "fail")
    await session.reconnect(observer)
    return {"stalled": connection.conn_id, "flood_messages": sent,
            "close": None if closed is None else f"{closed.code} {closed.reason}"}


async def _flood_until_slow_consumer(session: SessionApi, actor: str, channel: str) -> int:
    """Post the largest messages until the server reports an outbound queue overflow in /metrics
    (``filament_gateway_events_dropped_total{reason="full_queue"}``, GATEWAY.md §9), or a bound is
    reached. Not the disconnect counter: the server's writer is blocked on the unread socket, so it
    sends its Close (and counts the disconnect) only once the client reads again."""
    reader = session.seed_sessions[actor]
    baseline = await _full_queue_drops(reader)
    sent = 0
    while sent < FLOOD_MAX_MESSAGES:
        for _ in range(FLOOD_BATCH):
            sent += 1
            await session.perform_mutation(CreateMessage(
                actor=actor, channel=channel, message=f"flood-{sent}",
                content=("flood %05d " % sent).ljust(FLOOD_CONTENT_BYTES, "x")))
        if baseline is not None and (await _full_queue_drops(reader) or 0) > baseline:
            break
    return sent


async def _full_queue_drops(reader: Any) -> int | None:
    """Sum of every ``full_queue`` drop sample, or None when the target has no Prometheus metrics."""
    status, body = await reader.get("/metrics")
    if status != 200 or not isinstance(body, str):
        return None
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in body.splitlines()
               if line.startswith("filament_gateway_events_dropped_total{") and 'reason="full_queue"' in line)


async def _closed_within(connection: Any, timeout: float) -> Any:
    try:
        return await connection.wait_closed(timeout)
    except Exception:  # still open after the bound: reported by the caller
        return connection.closed


async def _restart_server(session: SessionApi, action: Nemesis, step: int) -> dict[str, Any]:
    if not session.target.supports_restart:
        raise ScenarioError(f"nemesis.restart_server needs a restartable target; {session.target.description} is not")
    open_counts = {label: sum(1 for c in o.sim.connections if c.is_open) for label, o in session.observers.items()}
    for observer in session.observers.values():
        for connection in observer.sim.connections:
            if connection.is_open:
                # A dead server sends nobody anything: the offline presence the model would predict
                # for an ordinary disconnect cannot happen, so those expectations are not recorded.
                session.model.connection_closed(step, connection.conn_id, by="server")
        observer.primary = None
    try:
        await session.target.restart()
    except TargetError as exc:
        raise TargetError(f"nemesis.restart_server: the target did not come back: {exc}") from exc
    for label, observer in session.observers.items():
        await _wait_all_closed(observer)
        await session.reconnect(observer, count=max(1, open_counts[label]))
    return {"reconnected_clients": len(session.observers)}


async def _wait_all_closed(observer: Observer) -> None:
    for connection in observer.sim.connections:
        if await _closed_within(connection, CLOSE_WAIT_S) is None:
            await connection.abort()


async def _latency(session: SessionApi, action: Nemesis, step: int) -> dict[str, Any]:
    observer = _observer(session, action)
    seconds = float(action.params.get("seconds", 0.2))
    for connection in observer.sim.connections:
        connection.set_latency(seconds)
    return {"seconds": seconds}


def _observer(session: SessionApi, action: Nemesis) -> Observer:
    if not action.client:
        raise ScenarioError(f"nemesis.{action.name} needs 'client'")
    return session.observer(action.client)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool)) or v is None else repr(v) for k, v in values.items()}


_HANDLERS = {
    "drop": _drop,
    "reconnect": _reconnect,
    "drop_and_reconnect": _drop_and_reconnect,
    "stall_reads": _stall_reads,
    "restart_server": _restart_server,
    "latency": _latency,
}
