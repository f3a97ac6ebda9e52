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

Incremental (``DeliveryJudge``): each frame is attributed once, when it becomes *final* — older than
the horizon the caller gives (no expectation that could still be recorded may claim it); frames newer
than the horizon are attributed afresh on each report on top of the final ones. Attribution is one
hash lookup per frame and match-path group, every expectation's MUST audience enters an index of
open expectations once, and a report costs the frames still inside the horizon plus the open and
failing entries, so a run costs O(frames + audience entries), not that per settle poll.
"""
from __future__ import annotations

import math
from collections import ChainMap, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Sequence

from harness.checks.types import CheckClass, CheckFailure, LatencySample
from harness.history import ConnectionClosed, ConnectionId, ReceivedFrame
from harness.model.expectations import (
    ABSENT, PRESENT, Delivery, ExpectedEvent, SetBetween, Unordered, lookup, printable,
)


class Attribution(NamedTuple):
    """A frame attributed to an expectation (a tuple: one is made per frame, on the hot path)."""

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
    attributions: Mapping[tuple[ConnectionId, int], Attribution] = field(default_factory=dict)
    """(conn, seq) -> the expectation the frame was attributed to."""
    fresh: list[Attribution] = field(default_factory=list)
    """Attributions made since the previous report of the same judge (those inside the horizon are
    made again on every report): what a caller binding gateway-created ids needs to look at."""

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.failures)


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
    """The whole history judged at once: the incremental judge fed everything, every frame final."""
    judge = DeliveryJudge(conn_clients=conn_clients or {}, deadline_s=deadline_s,
                          invoked=invoked_at_by_step or {}, classify=classify_unattributed)
    judge.add_expectations(expectations)
    return judge.report(frames_by_conn, closes, horizon=math.inf)


# ---- the incremental judge ---------------------------------------------------------------------------

class _Ledger:
    """What a set of attributed frames established: final frames in one ledger, the frames still inside
    the horizon in a scratch ledger made afresh per report (reading through to the final one)."""

    def __init__(self, base: "_Ledger | None" = None) -> None:
        self.base = base
        self.got: dict[tuple[int, ConnectionId], list[ReceivedFrame]] = {}
        self.attributions: dict[tuple[ConnectionId, int], Attribution] = {}
        self.fresh: list[Attribution] = []
        self.unattributed: list[ReceivedFrame] = []
        self.leaks: list[tuple[int, ReceivedFrame]] = []
        self.failures: list[CheckFailure] = []
        self.latencies: list[LatencySample] = []
        self.duplicates: set[tuple[int, ConnectionId]] = set()
        self.arrivals: dict[tuple[ConnectionId, int], list[tuple[int, int, str]]] = {}
        self.disordered: set[tuple[ConnectionId, int]] = set()

    def copies(self, key: tuple[int, ConnectionId]) -> list[ReceivedFrame]:
        own = self.got.get(key, [])
        return (self.base.copies(key) + own) if self.base is not None else own

    def satisfied(self, key: tuple[int, ConnectionId]) -> bool:
        return key in self.got or (self.base is not None and self.base.satisfied(key))

    def arrived(self, key: tuple[ConnectionId, int]) -> list[tuple[int, int, str]]:
        own = self.arrivals.get(key, [])
        return (self.base.arrived(key) + own) if self.base is not None else own


class DeliveryJudge:
    """The delivery check kept up to date as expectations and frames come in.

    ``invoked`` (step -> invoke time) may be a live mapping that grows with the run. A frame is final
    once it is older than the ``horizon`` given to :meth:`report`: the caller guarantees that no
    expectation recorded later can have been invoked before the horizon (then, by the causality rule,
    it cannot claim the frame), so a final frame's attribution never changes.
    """

    def __init__(self, *, conn_clients: Mapping[ConnectionId, str], deadline_s: float,
                 invoked: Mapping[int, float], classify: Callable[[ReceivedFrame], Delivery]) -> None:
        self.conn_clients = conn_clients
        self.deadline_s = deadline_s
        self.invoked = invoked
        self.classify = classify
        self.expectations: list[ExpectedEvent | None] = []
        """Indexed by the order they were added; a retired one is None."""
        self._index = _Index()
        self._final = _Ledger()
        self._open_must: dict[int, set[ConnectionId]] = {}
        """MUST connections of each expectation not reached by a final frame yet."""
        self._consumed: dict[ConnectionId, int] = {}
        """How many frames of each connection are final."""
        self.frames_judged = 0

    def add_expectations(self, expectations: Iterable[ExpectedEvent]) -> None:
        for exp in expectations:
            index = len(self.expectations)
            self.expectations.append(exp)
            self._index.add(index, exp)
            must = {c for c, d in exp.audience.items() if d is Delivery.MUST}
            if must:
                self._open_must[index] = must

    def advance(self, frames_by_conn: Mapping[ConnectionId, Sequence[ReceivedFrame]], *, horizon: float,
                budget: int) -> bool:
        """Attribute up to ``budget`` frames that became final; True when none is left. Lets a caller
        spread a large backlog (thousands of clients connecting) over several turns of its event loop."""
        for conn, frames in frames_by_conn.items():
            done = self._consumed.get(conn, 0)
            while done < len(frames) and frames[done].at < horizon:
                if budget <= 0:
                    self._consumed[conn] = done
                    return False
                self._take(frames[done], self._final)
                done += 1
                budget -= 1
            self._consumed[conn] = done
        return True

    def report(self, frames_by_conn: Mapping[ConnectionId, Sequence[ReceivedFrame]],
               closes: Iterable[ConnectionClosed] | Mapping[ConnectionId, ConnectionClosed] = (),
               *, horizon: float) -> DeliveryReport:
        """Attribute the frames that became final, then judge everything as of now."""
        scratch = _Ledger(self._final)
        for conn, frames in frames_by_conn.items():
            done = self._consumed.get(conn, 0)
            for position in range(done, len(frames)):
                frame = frames[position]
                if frame.at < horizon and position == done:
                    self._take(frame, self._final)
                    done += 1
                else:
                    self._take(frame, scratch)
            self._consumed[conn] = done
        fresh, self._final.fresh = self._final.fresh + scratch.fresh, []
        return self._verdict(scratch, _first_closes(closes), fresh)

    # ---- forgetting the final past (a soak's bounded memory) ----------------------------------------

    def retire(self, cutoff: float, closes: Iterable[ConnectionClosed] | Mapping[ConnectionId, ConnectionClosed] = ()
               ) -> tuple[list[CheckFailure], list[LatencySample], set[int]]:
        """Judge for good, and forget, the expectations invoked before ``cutoff`` and the final frames
        nobody claimed that arrived before it: returns their failures, their latency samples and the
        retired expectation indices. The caller makes sure every frame before ``cutoff`` is final and
        ``cutoff`` is at least a deadline behind the horizon; a copy of a retired event arriving later
        is then judged as a frame no expectation claims (``unexpected``, or ``leak``)."""
        retired = {i for i, exp in self._live() if (at := self.invoked.get(exp.step)) is not None and at < cutoff}
        steps = {exp.step for i, exp in self._live() if i in retired}
        failures = self._retired_failures(retired, steps, cutoff, _first_closes(closes))
        latencies = [s for s in self._final.latencies if s.step in steps]
        self._forget(retired, steps, cutoff)
        return failures, latencies, retired

    def _retired_failures(self, retired: set[int], steps: set[int], cutoff: float,
                          closed: Mapping[ConnectionId, ConnectionClosed]) -> list[CheckFailure]:
        """What ``_verdict`` would say of the retired expectations and the unclaimed frames before ``cutoff``."""
        final = self._final
        failures = self._losses(_Ledger(), closed, only=retired)
        failures += [f for f in final.failures if f.step in steps]
        failures += [self._leak(index, frame) for index, frame in final.leaks if index in retired]
        failures += [self._duplicate(key, final.copies(key)) for key in sorted(final.duplicates) if key[0] in retired]
        failures += [self._disorder(key, final.arrived(key)) for key in sorted(final.disordered) if key[1] in steps]
        failures += [self._unattributed(frame) for frame in final.unattributed if frame.at < cutoff]
        return failures

    def _forget(self, retired: set[int], steps: set[int], cutoff: float) -> None:
        final = self._final
        final.failures = [f for f in final.failures if f.step not in steps]
        final.leaks = [(i, f) for i, f in final.leaks if i not in retired]
        final.duplicates = {k for k in final.duplicates if k[0] not in retired}
        final.disordered = {k for k in final.disordered if k[1] not in steps}
        final.unattributed = [f for f in final.unattributed if f.at >= cutoff]
        final.latencies = [s for s in final.latencies if s.step not in steps]
        final.got = {k: v for k, v in final.got.items() if k[0] not in retired}
        final.arrivals = {k: v for k, v in final.arrivals.items() if k[1] not in steps}
        for index in retired:
            self._open_must.pop(index, None)
            self.expectations[index] = None
        self._index = _Index()  # rebuilt from the kept window: cheaper than unlinking each retired entry
        for index, exp in self._live():
            self._index.add(index, exp)

    def forget_frames(self, conn: ConnectionId, frames: Sequence[ReceivedFrame]) -> None:
        """The caller dropped these final frames from the head of ``conn``'s history."""
        self._consumed[conn] = self._consumed.get(conn, 0) - len(frames)
        for frame in frames:
            self._final.attributions.pop((conn, frame.seq), None)

    def consumed(self, conn: ConnectionId) -> int:
        """How many of ``conn``'s kept frames are final (attributed for good)."""
        return self._consumed.get(conn, 0)

    def _live(self) -> Iterable[tuple[int, ExpectedEvent]]:
        return ((i, exp) for i, exp in enumerate(self.expectations) if exp is not None)

    # ---- attribution of one frame ------------------------------------------------------------------

    def _take(self, frame: ReceivedFrame, ledger: _Ledger) -> None:
        self.frames_judged += 1
        index = self._best_candidate(self._index.candidates(frame), frame, ledger)
        if index is None:
            ledger.unattributed.append(frame)
            return
        exp = self.expectations[index]
        conn = frame.conn
        key = (index, conn)
        delivery = exp.delivery_for(conn)
        first = not ledger.satisfied(key)
        ledger.got.setdefault(key, []).append(frame)
        attribution = Attribution(conn, frame.seq, index, exp.step, exp.order, exp.event_type, delivery)
        ledger.attributions[(conn, frame.seq)] = attribution
        ledger.fresh.append(attribution)
        if delivery is Delivery.MUST_NOT:
            ledger.leaks.append((index, frame))
            return
        if not first:
            ledger.duplicates.add(key)
            return
        if ledger.base is None and delivery is Delivery.MUST:
            self._open_must.get(index, set()).discard(conn)
            if not self._open_must.get(index, True):
                del self._open_must[index]
        self._first_copy(exp, frame, delivery, ledger)

    def _best_candidate(self, indices: list[int], frame: ReceivedFrame, ledger: _Ledger) -> int | None:
        if len(indices) == 1:  # the usual case: one expectation claims the frame, or none does
            exp = self.expectations[indices[0]]
            invoked = self.invoked.get(exp.step)
            if (invoked is None or frame.at >= invoked) and exp.matches(frame.event_type, frame.data):
                return indices[0]
            return None
        best: tuple[tuple[bool, bool, bool, bool, bool, int, int], int] | None = None
        for index in indices:
            exp = self.expectations[index]
            invoked = self.invoked.get(exp.step)
            if invoked is not None and frame.at < invoked:
                continue
            if not exp.matches(frame.event_type, frame.data):
                continue
            delivery = exp.delivery_for(frame.conn)
            # A broadcast whose deadline had long passed when the frame came is the less likely sender:
            # otherwise an old, never-delivered MAY copy would absorb (and hide) a newer leak.
            timely = invoked is None or frame.at - invoked <= self.deadline_s
            rank = (not timely, delivery is Delivery.MUST_NOT, ledger.satisfied((index, frame.conn)),
                    delivery is not Delivery.MUST, bool(exp.fields) and bool(exp.mismatches(frame.data)),
                    exp.step, exp.order)
            if best is None or rank < best[0]:
                best = (rank, index)
        return None if best is None else best[1]

    def _first_copy(self, exp: ExpectedEvent, frame: ReceivedFrame, delivery: Delivery, ledger: _Ledger) -> None:
        conn = frame.conn
        invoked = self.invoked.get(exp.step)
        if invoked is not None:
            latency = frame.at - invoked
            if delivery is Delivery.MUST:
                ledger.latencies.append(LatencySample(exp.event_type, conn, exp.step, latency))
            if latency > self.deadline_s and delivery is Delivery.MUST:  # a MAY delivery has no deadline to miss
                ledger.failures.append(self._failure(
                    "late", f"{exp.event_type} (step {exp.step}) reached {conn} after {latency:.3f}s "
                            f"(deadline {self.deadline_s:.3f}s)", conn, exp=exp, expected=self.deadline_s,
                    observed=latency))
        diffs = exp.mismatches(frame.data) if exp.fields else {}
        if diffs:
            ledger.failures.append(self._failure(
                "mismatch", f"{exp.event_type} (step {exp.step}) on {conn}: "
                            f"{', '.join(sorted(diffs))} differ from the prediction", conn, exp=exp,
                expected={p: e for p, (e, _) in diffs.items()}, observed={p: o for p, (_, o) in diffs.items()},
                details={"seq": frame.seq}))
        # §6.5 order: first copies of one step on one connection come in non-decreasing ``order``.
        arrival_key = (conn, exp.step)
        earlier = ledger.arrived(arrival_key)
        if earlier and exp.order < max(order for _, order, _ in earlier):
            ledger.disordered.add(arrival_key)
        ledger.arrivals.setdefault(arrival_key, []).append((frame.seq, exp.order, exp.event_type))

    # ---- the verdict as of now ---------------------------------------------------------------------

    def _verdict(self, scratch: _Ledger, closed: Mapping[ConnectionId, ConnectionClosed],
                 fresh: list[Attribution]) -> DeliveryReport:
        final = self._final
        report = DeliveryReport(attributions=ChainMap(scratch.attributions, final.attributions))  # type: ignore[arg-type]
        report.fresh = fresh
        failures = report.failures
        for frame in final.unattributed + scratch.unattributed:
            failures.append(self._unattributed(frame))
        for index, frame in final.leaks + scratch.leaks:
            failures.append(self._leak(index, frame))
        failures += final.failures + scratch.failures
        for key in sorted(final.duplicates | scratch.duplicates):
            failures.append(self._duplicate(key, scratch.copies(key)))
        failures += self._losses(scratch, closed)
        for key in sorted(final.disordered | scratch.disordered):
            failures.append(self._disorder(key, scratch.arrived(key)))
        report.latencies = final.latencies + scratch.latencies
        return report

    def _leak(self, index: int, frame: ReceivedFrame) -> CheckFailure:
        exp = self.expectations[index]
        return self._failure(
            "leak", f"{exp.event_type} (step {exp.step}) reached {frame.conn}, which must not receive it",
            frame.conn, exp=exp, observed=frame.data,
            details={"seq": frame.seq, "attributed": True,
                     "rest_readable": self.classify(frame) is not Delivery.MUST_NOT})

    def _losses(self, scratch: _Ledger, closed: Mapping[ConnectionId, ConnectionClosed],
                only: set[int] | None = None) -> list[CheckFailure]:
        out = []
        for index, conns in self._open_must.items():
            if only is not None and index not in only:
                continue
            exp = self.expectations[index]
            invoked = self.invoked.get(exp.step)
            for conn in sorted(conns):
                if (index, conn) in scratch.got or _excused(closed.get(conn), invoked, self.deadline_s):
                    continue
                out.append(self._failure("loss", f"{exp.event_type} (step {exp.step}) never reached {conn}", conn,
                                         exp=exp, expected={k: printable(v) for k, v in exp.match.items()}))
        return out

    def _duplicate(self, key: tuple[int, ConnectionId], frames: list[ReceivedFrame]) -> CheckFailure:
        exp = self.expectations[key[0]]
        conn = key[1]
        return self._failure("duplicate", f"{exp.event_type} (step {exp.step}) reached {conn} {len(frames)} times",
                             conn, exp=exp, expected=1, observed=len(frames),
                             details={"seqs": [f.seq for f in frames]})

    def _disorder(self, key: tuple[ConnectionId, int], arrivals: list[tuple[int, int, str]]) -> CheckFailure:
        conn, step = key
        seen = sorted(arrivals)
        highest = -1
        for seq, order, event_type in seen:
            if order < highest:
                return self._failure("order", f"{event_type} (step {step}) reached {conn} after an event emitted later",
                                     conn, step=step, event_type=event_type,
                                     expected=[t for _, _, t in sorted(seen, key=lambda s: s[1])],
                                     observed=[t for _, _, t in seen], details={"seq": seq})
            highest = max(highest, order)
        raise AssertionError("disordered arrivals without a disorder")  # pragma: no cover

    def _unattributed(self, frame: ReceivedFrame) -> CheckFailure:
        verdict = self.classify(frame)
        what = frame.event_type or f"<invalid envelope: {frame.envelope_error}>"
        if verdict is Delivery.MUST_NOT:
            return self._failure("leak", f"{what} reached {frame.conn}, whose user may not see what it is about "
                                         f"(no expectation claims it)", frame.conn, event_type=frame.event_type,
                                 observed=frame.data,
                                 details={"seq": frame.seq, "attributed": False, "rest_readable": False})
        return self._failure("unexpected", f"{what} reached {frame.conn} but no action predicts it", frame.conn,
                             event_type=frame.event_type, observed=frame.data, details={"seq": frame.seq})

    def _failure(
        self, kind: str, message: str, conn: ConnectionId, *, exp: ExpectedEvent | None = None,
        step: int | None = None, event_type: str | None = None, expected: Any = None, observed: Any = None,
        details: dict[str, Any] | None = None,
    ) -> CheckFailure:
        return CheckFailure(
            CheckClass.DELIVERY, kind, message,
            step=exp.step if exp else step, event_type=exp.event_type if exp else event_type,
            conn=conn, client=self.conn_clients.get(conn), expected=expected, observed=observed,
            details=details or {},
        )


# ---- the index of expectations ------------------------------------------------------------------------

class _Index:
    """Expectations grouped by (event type, match paths), then by the frozen match values, so a
    frame finds its candidates with one lookup per group instead of a scan (linear-time check).
    Expectations whose match holds a matcher or an unhashable value are kept in a scanned list."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[tuple[str, ...], dict[Any, list[int]]]] = defaultdict(dict)
        self.scanned: dict[str, list[int]] = defaultdict(list)

    def add(self, index: int, exp: ExpectedEvent) -> None:
        paths = tuple(sorted(exp.match))
        key = _key(paths, exp.match.get)
        if key is _UNHASHABLE:
            self.scanned[exp.event_type].append(index)
        else:
            self.groups[exp.event_type].setdefault(paths, {}).setdefault(key, []).append(index)

    def candidates(self, frame: ReceivedFrame) -> list[int]:
        t = frame.event_type or ""
        out = list(self.scanned.get(t, ()))
        data = frame.data
        for paths, table in self.groups.get(t, {}).items():
            key = _key(paths, lambda p: lookup(data, p))
            if key is not _UNHASHABLE:
                out.extend(table.get(key, ()))
        return out


_UNHASHABLE: Any = object()


def _key(paths: tuple[str, ...], value_at: Callable[[str], Any]) -> Any:
    """The index key of the values at ``paths``: the frozen value itself for one path of a string
    (the usual ``message_id``/``guild_id`` match), else the frozen tuple of values."""
    if len(paths) == 1:
        value = value_at(paths[0])
        if type(value) is str:
            return value
        frozen = _freeze(value)
        return _UNHASHABLE if frozen is _UNHASHABLE else ("one", frozen)
    return _freeze(tuple(value_at(p) for p in paths))


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


def _first_closes(closes: Iterable[ConnectionClosed] | Mapping[ConnectionId, ConnectionClosed]) -> dict[ConnectionId, ConnectionClosed]:
    items = closes.values() if isinstance(closes, Mapping) else closes
    out: dict[ConnectionId, ConnectionClosed] = {}
    for c in items:
        if c.conn not in out or c.at < out[c.conn].at:
            out[c.conn] = c
    return out


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
