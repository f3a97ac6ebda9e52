"""The incremental delivery judge gives the batch verdict however the history is fed to it, and a
frame inside the horizon is still open to an expectation recorded later (a backdated action)."""
from __future__ import annotations

import math

from harness.checks.delivery import DeliveryJudge, check_delivery
from harness.history import ReceivedFrame
from harness.model.expectations import Delivery, ExpectedEvent
from harness.model.mutations import *  # noqa: F403
from harness.model.sandbox import Sandbox

from tests.unit.test_check_delivery import copy_frames, find, kinds, renumber, sb  # noqa: F401


def _judge(sb: Sandbox) -> DeliveryJudge:
    return DeliveryJudge(conn_clients={c: c.split("0")[0] for c in sb.frames}, deadline_s=2.0,
                         invoked=sb.invoked_at, classify=sb.model.classify_unattributed)


def _fed_step_by_step(sb: Sandbox, frames: dict[str, list[ReceivedFrame]]) -> list[tuple]:
    """Expectations added in step order, frames revealed as time passes, a report after each step."""
    judge = _judge(sb)
    by_step: dict[int, list[ExpectedEvent]] = {}
    for exp in sb.expectations:
        by_step.setdefault(exp.step, []).append(exp)
    for step in sorted(by_step):
        judge.add_expectations(by_step[step])
        now = sb.invoked_at.get(step + 1, math.inf)
        seen = {c: [f for f in fs if f.at < now] for c, fs in frames.items()}
        judge.report(seen, sb.closes, horizon=sb.invoked_at.get(step, 0.0))
    final = judge.report(frames, sb.closes, horizon=math.inf)
    return sorted((f.kind, f.event_type, f.conn) for f in final.failures)


def _batch(sb: Sandbox, frames: dict[str, list[ReceivedFrame]]) -> list[tuple]:
    return kinds(check_delivery(sb.expectations, frames, closes=sb.closes,
                                conn_clients={c: c.split("0")[0] for c in sb.frames}, deadline_s=2.0,
                                invoked_at_by_step=sb.invoked_at, classify_unattributed=sb.model.classify_unattributed))


def test_a_correct_history_fed_step_by_step_passes(sb: Sandbox) -> None:
    assert _fed_step_by_step(sb, sb.frames) == [] == _batch(sb, sb.frames)


def test_a_loss_and_a_duplicate_fed_step_by_step_are_what_the_batch_finds(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    frames["a0"].pop(find(sb, "a0", "message_update"))
    i = find(sb, "b0", "message_create")
    frames["b0"].insert(i + 1, frames["b0"][i])
    frames["b0"] = renumber(frames["b0"])
    frames["a0"] = renumber(frames["a0"])
    expected = [("duplicate", "message_create", "b0"), ("loss", "message_update", "a0")]
    assert _batch(sb, frames) == expected
    assert _fed_step_by_step(sb, frames) == expected


def test_a_frame_inside_the_horizon_waits_for_an_expectation_recorded_later() -> None:
    judge = DeliveryJudge(conn_clients={}, deadline_s=2.0, invoked={0: 1.0}, classify=lambda f: Delivery.MUST_NOT)
    frame = ReceivedFrame("c/ws0", 0, 1.1, "{}", "ready", {"user_id": "u"})
    early = judge.report({"c/ws0": [frame]}, horizon=1.0)  # the frame is newer than the horizon
    assert [f.kind for f in early.failures] == ["leak"]  # nothing claims it yet
    judge.add_expectations([ExpectedEvent(0, 0, "ready", {"user_id": "u"}, audience={"c/ws0": Delivery.MUST})])
    later = judge.report({"c/ws0": [frame]}, horizon=math.inf)
    assert later.failures == [] and later.attributions[("c/ws0", 0)].step == 0


def test_a_final_frame_is_judged_once() -> None:
    judge = DeliveryJudge(conn_clients={}, deadline_s=2.0, invoked={0: 1.0}, classify=lambda f: Delivery.MAY)
    judge.add_expectations([ExpectedEvent(0, 0, "ready", {"user_id": "u"}, audience={"c/ws0": Delivery.MUST})])
    frames = {"c/ws0": [ReceivedFrame("c/ws0", 0, 1.1, "{}", "ready", {"user_id": "u"})]}
    for _ in range(5):
        assert judge.report(frames, horizon=math.inf).failures == []
    assert judge.frames_judged == 1
