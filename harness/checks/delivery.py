"""The delivery check: every received frame is attributed to at most one expectation, then every
expectation is judged per connection (GATEWAY.md §6: loss, duplicate, leak; §6.5 order; deadlines).

Attribution: a frame is a candidate for an expectation when ``t`` and every ``match`` path agree and
the frame arrived after the expectation's action was invoked (an effect cannot precede its cause).
Among candidates the frame goes to the one ranked first by:

1. the connection is not MUST_NOT for it (so a frame only a MUST_NOT expectation explains is a leak);
2. not yet satisfied on that connection (so a second copy is a *duplicate* of what it repeats);
3. MUST before MAY (a repeated ``match`` — two reorders of the same roles — must not let an optional
   older copy swallow a required newer one);
4. its predicted ``fields`` agree with the frame (two renames: the frame names which one it is);
5. earliest step, then earliest order.

Frames nobody claims are classified by the model: MUST_NOT → ``leak``, otherwise ``unexpected``.

Pure; attribution is one hash lookup per frame and match-path group, so the check is linear in
frames plus audience entries.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from harness.checks.types import CheckClass, CheckFailure, LatencySample
from harness.history import ConnectionClosed, ConnectionId, ReceivedFrame
from harness.model.expectations import (
    ABSENT, PRESENT, Delivery, ExpectedEvent, SetBetween, Unordered, lookup, printable,
)


@dataclass(frozen=True)
class Attribution:
    conn: ConnectionId
    seq: int
    expectation: int
    """Index into the expectations list given to the check."""
    step: int
    order: int
    event_type: str
    delivery: Delivery


@dataclass
class DeliveryReport:
    failures: list[CheckFailure] = field(default_factory=list)
    latencies: list[LatencySample] = field(default_factory=list)
    attributions: dict[tuple[ConnectionId, int], Attribution] = field(default_factory=dict)
    """(conn, seq) -> the expectation the frame was attributed to."""

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.failures)


@dataclass
class _Context:
    expectations: Sequence[ExpectedEvent]
    conn_clients: Mapping[ConnectionId, str]
    deadline_s: float
    invoked: Mapping[int, float]
    classify: Callable[[ReceivedFrame], Delivery]
    report: DeliveryReport = field(default_factory=DeliveryReport)

    def fail(
        self, kind: str, message: str, conn: ConnectionId, *, exp: ExpectedEvent | None = None,
        step: int | None = None, event_type: str | None = None, expected: Any = None, observed: Any = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.report.failures.append(CheckFailure(
            CheckClass.DELIVERY, kind, message,
            step=exp.step if exp else step, event_type=exp.event_type if exp else event_type,
            conn=conn, client=self.conn_clients.get(conn), expected=expected, observed=observed,
            details=details or {},
        ))


def check_delivery(
    expectations: Sequence[ExpectedEvent],
    frames_by_conn: Mapping[ConnectionId, Sequence[ReceivedFrame]],
    *,
    closes: Iterable[ConnectionClosed] | Mapping[ConnectionId, ConnectionClosed] = (),
    conn_clients: Mapping[ConnectionId, str] | None = None,
    deadline_s: float = 2.0,
    invoked_at_by_step: Mapping[int, float] | None = None,
    classify_unattributed: Callable[[ReceivedFrame], Delivery] = lambda f: Delivery.MAY,
) -> DeliveryReport:
    ctx = _Context(expectations, conn_clients or {}, deadline_s, invoked_at_by_step or {}, classify_unattributed)
    got = _attribute(ctx, frames_by_conn)
    closed = _first_closes(closes)
    reached: dict[int, set[ConnectionId]] = defaultdict(set)
    for index, conn in got:
        reached[index].add(conn)
    for index, exp in enumerate(expectations):
        _judge(ctx, index, exp, got, reached.get(index, set()), closed)
    _check_order(ctx, got)
    return ctx.report


# ---- attribution ------------------------------------------------------------------------------------

class _Index:
    """Expectations grouped by (event type, match paths), then by the frozen match values, so a
    frame finds its candidates with one lookup per group instead of a scan (linear-time check).
    Expectations whose match holds a matcher or an unhashable value are kept in a scanned list."""

    def __init__(self, expectations: Sequence[ExpectedEvent]) -> None:
        self.groups: dict[str, dict[tuple[str, ...], dict[Any, list[int]]]] = defaultdict(dict)
        self.scanned: dict[str, list[int]] = defaultdict(list)
        for index, exp in enumerate(expectations):
            paths = tuple(sorted(exp.match))
            key = _freeze(tuple(exp.match[p] for p in paths))
            if key is _UNHASHABLE:
                self.scanned[exp.event_type].append(index)
            else:
                self.groups[exp.event_type].setdefault(paths, {}).setdefault(key, []).append(index)

    def candidates(self, frame: ReceivedFrame) -> list[int]:
        t = frame.event_type or ""
        out = list(self.scanned.get(t, []))
        for paths, table in self.groups.get(t, {}).items():
            key = _freeze(tuple(lookup(frame.data, p) for p in paths))
            if key is not _UNHASHABLE:
                out.extend(table.get(key, []))
        return out


_UNHASHABLE: Any = object()


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a JSON value (lists -> tuples), tagging bools apart from ints."""
    if isinstance(value, (Unordered, SetBetween)) or value is ABSENT or value is PRESENT:
        return _UNHASHABLE
    if isinstance(value, (list, tuple)):
        items = tuple(_freeze(v) for v in value)
        return _UNHASHABLE if any(i is _UNHASHABLE for i in items) else ("list", items)
    if isinstance(value, dict):
        return _UNHASHABLE
    if isinstance(value, bool):
        return ("bool", value)
    try:
        hash(value)
    except TypeError:
        return _UNHASHABLE
    return value


def _attribute(
    ctx: _Context, frames_by_conn: Mapping[ConnectionId, Sequence[ReceivedFrame]]
) -> dict[tuple[int, ConnectionId], list[ReceivedFrame]]:
    index_ = _Index(ctx.expectations)
    got: dict[tuple[int, ConnectionId], list[ReceivedFrame]] = defaultdict(list)
    for conn, frames in frames_by_conn.items():
        for frame in sorted(frames, key=lambda f: f.seq):
            index = _best_candidate(ctx, index_.candidates(frame), frame, got)
            if index is None:
                _unattributed(ctx, frame)
                continue
            exp = ctx.expectations[index]
            got[(index, conn)].append(frame)
            ctx.report.attributions[(conn, frame.seq)] = Attribution(
                conn, frame.seq, index, exp.step, exp.order, exp.event_type, exp.delivery_for(conn))
    return got


def _best_candidate(
    ctx: _Context, indices: list[int], frame: ReceivedFrame, got: Mapping[tuple[int, ConnectionId], list]
) -> int | None:
    best: tuple[tuple[bool, bool, bool, bool, bool, int, int], int] | None = None
    for index in indices:
        exp = ctx.expectations[index]
        invoked = ctx.invoked.get(exp.step)
        if invoked is not None and frame.at < invoked:
            continue
        if not exp.matches(frame.event_type, frame.data):
            continue
        delivery = exp.delivery_for(frame.conn)
        # A broadcast whose deadline had long passed when the frame came is the less likely sender:
        # otherwise an old, never-delivered MAY copy would absorb (and hide) a newer leak.
        timely = invoked is None or frame.at - invoked <= ctx.deadline_s
        rank = (not timely, delivery is Delivery.MUST_NOT, bool(got.get((index, frame.conn))),
                delivery is not Delivery.MUST, bool(exp.mismatches(frame.data)), exp.step, exp.order)
        if best is None or rank < best[0]:
            best = (rank, index)
    return None if best is None else best[1]


def _unattributed(ctx: _Context, frame: ReceivedFrame) -> None:
    verdict = ctx.classify(frame)
    what = frame.event_type or f"<invalid envelope: {frame.envelope_error}>"
    if verdict is Delivery.MUST_NOT:
        ctx.fail("leak", f"{what} reached {frame.conn}, whose user may not see what it is about "
                         f"(no expectation claims it)", frame.conn, event_type=frame.event_type,
                 observed=frame.data, details={"seq": frame.seq, "attributed": False, "rest_readable": False})
    else:
        ctx.fail("unexpected", f"{what} reached {frame.conn} but no action predicts it", frame.conn,
                 event_type=frame.event_type, observed=frame.data, details={"seq": frame.seq})


# ---- judging one expectation ------------------------------------------------------------------------

def _first_closes(closes: Iterable[ConnectionClosed] | Mapping[ConnectionId, ConnectionClosed]) -> dict[ConnectionId, ConnectionClosed]:
    items = closes.values() if isinstance(closes, Mapping) else closes
    out: dict[ConnectionId, ConnectionClosed] = {}
    for c in items:
        if c.conn not in out or c.at < out[c.conn].at:
            out[c.conn] = c
    return out


def _judge(
    ctx: _Context, index: int, exp: ExpectedEvent, got: Mapping[tuple[int, ConnectionId], list[ReceivedFrame]],
    reached: set[ConnectionId], closed: Mapping[ConnectionId, ConnectionClosed],
) -> None:
    """``reached``: the connections with a frame attributed to this expectation (precomputed once per
    check: scanning every attribution for every expectation made each settle poll quadratic)."""
    invoked = ctx.invoked.get(exp.step)
    for conn in sorted(set(exp.audience) | reached):
        frames = got.get((index, conn), [])
        delivery = exp.delivery_for(conn)
        if not frames:
            if delivery is Delivery.MUST and not _excused(closed.get(conn), invoked, ctx.deadline_s):
                ctx.fail("loss", f"{exp.event_type} (step {exp.step}) never reached {conn}", conn, exp=exp,
                         expected={k: printable(v) for k, v in exp.match.items()}, observed=None)
            continue
        if delivery is Delivery.MUST_NOT:
            for frame in frames:
                ctx.fail("leak", f"{exp.event_type} (step {exp.step}) reached {conn}, which must not receive it",
                         conn, exp=exp, observed=frame.data,
                         details={"seq": frame.seq, "attributed": True,
                                  "rest_readable": ctx.classify(frame) is not Delivery.MUST_NOT})
            continue
        _judge_delivered(ctx, exp, conn, frames, invoked, delivery)


def _excused(close: ConnectionClosed | None, invoked: float | None, deadline_s: float) -> bool:
    """A connection that was gone before the action owes nothing; nor does one the harness itself closed
    while the event was still due (before invoke + deadline). A harness close *after* the deadline
    excuses nothing: the event should have arrived by then, so a later disconnect step must not hide
    a loss of an earlier one."""
    if close is None:
        return False
    if invoked is None or close.at <= invoked:
        return True
    return close.by == "harness" and close.at <= invoked + deadline_s


def _judge_delivered(
    ctx: _Context, exp: ExpectedEvent, conn: ConnectionId, frames: list[ReceivedFrame], invoked: float | None,
    delivery: Delivery,
) -> None:
    first = frames[0]
    if len(frames) > 1:
        ctx.fail("duplicate", f"{exp.event_type} (step {exp.step}) reached {conn} {len(frames)} times", conn, exp=exp,
                 expected=1, observed=len(frames), details={"seqs": [f.seq for f in frames]})
    if invoked is not None:
        latency = first.at - invoked
        if delivery is Delivery.MUST:
            ctx.report.latencies.append(LatencySample(exp.event_type, conn, exp.step, latency))
        if latency > ctx.deadline_s and delivery is Delivery.MUST:  # a MAY delivery has no deadline to miss
            ctx.fail("late", f"{exp.event_type} (step {exp.step}) reached {conn} after {latency:.3f}s "
                             f"(deadline {ctx.deadline_s:.3f}s)", conn, exp=exp, expected=ctx.deadline_s, observed=latency)
    diffs = exp.mismatches(first.data)
    if diffs:
        ctx.fail("mismatch", f"{exp.event_type} (step {exp.step}) on {conn}: "
                             f"{', '.join(sorted(diffs))} differ from the prediction", conn, exp=exp,
                 expected={p: e for p, (e, _) in diffs.items()}, observed={p: o for p, (_, o) in diffs.items()},
                 details={"seq": first.seq})


# ---- order (§6.5) -----------------------------------------------------------------------------------

def _check_order(ctx: _Context, got: Mapping[tuple[int, ConnectionId], list[ReceivedFrame]]) -> None:
    """Per connection and step, the first copies must arrive in non-decreasing ``order``."""
    arrivals: dict[tuple[ConnectionId, int], list[tuple[int, int, str]]] = defaultdict(list)
    for (index, conn), frames in got.items():
        exp = ctx.expectations[index]
        if exp.delivery_for(conn) is not Delivery.MUST_NOT:
            arrivals[(conn, exp.step)].append((frames[0].seq, exp.order, exp.event_type))
    for (conn, step), seen in sorted(arrivals.items()):
        seen.sort()
        highest = -1
        for seq, order, event_type in seen:
            if order < highest:
                ctx.fail("order", f"{event_type} (step {step}) reached {conn} after an event emitted later",
                         conn, step=step, event_type=event_type,
                         expected=[t for _, _, t in sorted(seen, key=lambda s: s[1])],
                         observed=[t for _, _, t in seen], details={"seq": seq})
                break
            highest = max(highest, order)
