"""check_delivery passes on a correct history and fails on each planted problem."""
from __future__ import annotations

from dataclasses import replace

import pytest

from harness.checks.delivery import DeliveryReport, check_delivery
from harness.history import ConnectionClosed, ReceivedFrame
from harness.model.expectations import ABSENT, Delivery, ExpectedEvent, SetBetween, Unordered
from harness.model.mutations import *  # noqa: F403
from harness.model.sandbox import Sandbox


@pytest.fixture
def sb() -> Sandbox:
    """A correct history: alice owner (a0), bob member (b0, b1 unsubscribed), dave outsider (d0);
    message m1, edit, ban of bob (two events), a profile update."""
    sb = Sandbox()
    for u in ("alice", "bob", "dave"):
        sb.user(u)
    sb.guild("alice", "lab")
    sb.setup(CreateChannel("alice", "lab", "general"))
    sb.setup(AddMember("alice", "lab", "bob"))
    for conn, user in (("a0", "alice"), ("b0", "bob"), ("b1", "bob"), ("d0", "dave")):
        sb.connect(user, conn)
    sb.subscribe("a0", "general")
    sb.subscribe("b0", "general")
    sb.setup(CreateMessage("bob", "general", "m1", "hello"))
    sb.setup(EditMessage("bob", "m1", "edited"))
    sb.setup(UpdateProfile("alice", about="about me"))
    sb.setup(BanMember("alice", "lab", "bob"))
    return sb


def run(sb: Sandbox, frames: dict | None = None, closes: list | None = None, deadline: float = 2.0) -> DeliveryReport:
    return check_delivery(sb.expectations, frames if frames is not None else sb.frames,
                          closes=sb.closes if closes is None else closes,
                          conn_clients={c: c.split("0")[0] for c in sb.frames}, deadline_s=deadline,
                          invoked_at_by_step=sb.invoked_at, classify_unattributed=sb.model.classify_unattributed)


def kinds(report: DeliveryReport) -> list[tuple[str, str | None, str | None]]:
    return sorted((f.kind, f.event_type, f.conn) for f in report.failures)


def find(sb: Sandbox, conn: str, event_type: str) -> int:
    return next(i for i, f in enumerate(sb.frames[conn]) if f.event_type == event_type)


def copy_frames(sb: Sandbox) -> dict[str, list[ReceivedFrame]]:
    return {c: list(fs) for c, fs in sb.frames.items()}


def renumber(frames: list[ReceivedFrame]) -> list[ReceivedFrame]:
    return [replace(f, seq=i) for i, f in enumerate(frames)]


def test_correct_history_passes(sb: Sandbox) -> None:
    report = run(sb)
    assert report.failures == [] and report.ok
    assert len(report.attributions) == sum(len(f) for f in sb.frames.values())
    must = sum(len(e.connections(Delivery.MUST)) for e in sb.expectations)
    assert len(report.latencies) == must and all(s.seconds > 0 for s in report.latencies)


def test_dropped_delivery_is_a_loss(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    frames["a0"].pop(find(sb, "a0", "message_update"))
    report = run(sb, frames)
    assert kinds(report) == [("loss", "message_update", "a0")]
    [f] = report.failures
    assert f.client == "a" and f.step is not None and f.expected == {"message_id": sb.model.world.message_id("m1")}


def test_duplicate_delivery(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    i = find(sb, "a0", "message_create")
    frames["a0"].insert(i + 1, frames["a0"][i])
    assert kinds(run(sb, {**frames, "a0": renumber(frames["a0"])})) == [("duplicate", "message_create", "a0")]


@pytest.mark.parametrize(("target", "readable"), [("d0", False), ("b1", False)])
def test_delivery_to_a_must_not_connection_is_a_leak(sb: Sandbox, target: str, readable: bool) -> None:
    frames = copy_frames(sb)
    leaked = frames["a0"][find(sb, "a0", "message_update")]
    frames[target] = renumber(frames[target] + [replace(leaked, conn=target)])
    report = run(sb, frames)
    assert kinds(report) == [("leak", "message_update", target)]
    assert report.failures[0].details["attributed"] is True
    # b1 is bob's, who was banned afterwards; dave never could read #general.
    assert report.failures[0].details["rest_readable"] is readable


def test_over_delivery_to_a_connection_that_could_read_it_is_flagged_readable(sb: Sandbox) -> None:
    sb.connect("alice", "a1")  # alice's unsubscribed second session: may read #general, must not get it
    sb.setup(EditMessage("alice", "m1", "again"))
    frames = copy_frames(sb)
    leaked = frames["a0"][-1]
    frames["a1"] = renumber(frames["a1"] + [replace(leaked, conn="a1", at=leaked.at)])
    report = run(sb, frames)
    assert kinds(report) == [("leak", "message_update", "a1")]
    assert report.failures[0].details["rest_readable"] is True


def test_unattributed_frame_about_a_hidden_channel_is_a_leak(sb: Sandbox) -> None:
    w = sb.model.world
    d = {"guild_id": w.guild_id("lab"), "channel_id": w.channel_id("general"), "message_id": "01NOTPREDICTED"}
    frames = copy_frames(sb)
    frames["d0"] = renumber(frames["d0"] + [ReceivedFrame("d0", 0, sb.clock + 0.5, "", "message_delete", d)])
    report = run(sb, frames)
    assert kinds(report) == [("leak", "message_delete", "d0")]
    assert report.failures[0].details["attributed"] is False


def test_unattributed_harmless_frame_is_unexpected(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    frames["a0"] = renumber(frames["a0"] + [ReceivedFrame("a0", 0, sb.clock + 0.5, "", "presence_update",
                                                          {"guild_id": sb.model.world.guild_id("lab")})])
    assert kinds(run(sb, frames)) == [("unexpected", "presence_update", "a0")]


def test_swapped_events_of_one_step_are_out_of_order(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    i, j = find(sb, "a0", "workspace_member_ban"), find(sb, "a0", "workspace_member_remove")
    frames["a0"][i], frames["a0"][j] = frames["a0"][j], frames["a0"][i]
    report = run(sb, {**frames, "a0": renumber(frames["a0"])})
    assert kinds(report) == [("order", "workspace_member_ban", "a0")]
    assert report.failures[0].observed == ["workspace_member_remove", "workspace_member_ban"]


def test_altered_field_is_a_mismatch(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    i = find(sb, "b0", "message_update")
    f = frames["b0"][i]
    frames["b0"][i] = replace(f, data={**f.data, "updated_fields": {**f.data["updated_fields"], "content": "tampered"}})
    report = run(sb, frames)
    assert kinds(report) == [("mismatch", "message_update", "b0")]
    assert report.failures[0].expected == {"updated_fields.content": "edited"}
    assert report.failures[0].observed == {"updated_fields.content": "tampered"}


def test_late_delivery(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    i = find(sb, "a0", "profile_update")
    frames["a0"][i] = replace(frames["a0"][i], at=frames["a0"][i].at + 5)
    report = run(sb, frames)
    assert kinds(report) == [("late", "profile_update", "a0")]
    assert report.failures[0].observed > 5


def test_closes_excuse_losses_only_when_the_connection_was_gone(sb: Sandbox) -> None:
    frames = copy_frames(sb)
    frames["d0"] = [f for f in frames["d0"] if f.event_type != "profile_update"]  # d0 never was an observer
    step = next(e.step for e in sb.expectations if e.event_type == "profile_update")
    frames["a0"] = [f for f in frames["a0"] if f.event_type != "profile_update"]
    before = [ConnectionClosed("a0", sb.invoked_at[step] - 0.1, 1006, "", "server")]
    assert run(sb, frames, closes=before).failures == []
    after_by_server = [ConnectionClosed("a0", sb.invoked_at[step] + 0.1, 1008, "slow_consumer", "server")]
    assert kinds(run(sb, frames, closes=after_by_server)) == [("loss", "profile_update", "a0")]
    by_harness = [ConnectionClosed("a0", sb.invoked_at[step] + 0.1, 1000, "", "harness")]
    assert run(sb, frames, closes=by_harness).failures == []


def test_a_harness_close_after_the_deadline_does_not_excuse_a_loss(sb: Sandbox) -> None:
    """A MUST delivery is due within the deadline (GATEWAY.md §6): a later disconnect step of the
    harness must not turn an earlier loss into "the connection was closed"."""
    frames = copy_frames(sb)
    frames["a0"] = [f for f in frames["a0"] if f.event_type != "profile_update"]
    step = next(e.step for e in sb.expectations if e.event_type == "profile_update")
    much_later = [ConnectionClosed("a0", sb.invoked_at[step] + 30, 1000, "", "harness")]
    assert kinds(run(sb, frames, closes=much_later)) == [("loss", "profile_update", "a0")]
    within = [ConnectionClosed("a0", sb.invoked_at[step] + 1.9, 1000, "", "harness")]
    assert run(sb, frames, closes=within).failures == []


def test_a_frame_cannot_be_caused_by_a_later_action(sb: Sandbox) -> None:
    exp = ExpectedEvent(1, 0, "x", {"k": 1}, audience={"c": Delivery.MUST})
    later = ExpectedEvent(2, 0, "x", {"k": 1}, audience={"c": Delivery.MUST})
    frame = ReceivedFrame("c", 0, 10.5, "", "x", {"k": 1})
    report = check_delivery([exp, later], {"c": [frame]}, invoked_at_by_step={1: 10.0, 2: 11.0})
    assert report.attributions[("c", 0)].step == 1 and kinds(report) == [("loss", "x", "c")]
    assert report.failures[0].step == 2


def test_repeated_identical_expectations_attribute_in_turn() -> None:
    a = ExpectedEvent(1, 0, "x", {"k": 1}, audience={"c": Delivery.MUST})
    b = ExpectedEvent(2, 0, "x", {"k": 1}, audience={"c": Delivery.MUST})
    frames = [ReceivedFrame("c", 0, 11.5, "", "x", {"k": 1}), ReceivedFrame("c", 1, 11.6, "", "x", {"k": 1})]
    report = check_delivery([a, b], {"c": frames}, invoked_at_by_step={1: 10.0, 2: 11.0})
    assert report.failures == [] and [x.step for x in report.attributions.values()] == [1, 2]


def test_may_audience_is_neither_required_nor_a_leak() -> None:
    exp = ExpectedEvent(1, 0, "x", {"k": 1}, audience={"c": Delivery.MAY, "d": Delivery.MAY})
    report = check_delivery([exp], {"c": [ReceivedFrame("c", 0, 1.0, "", "x", {"k": 1})], "d": []})
    assert report.failures == [] and report.latencies == []


def test_unordered_and_bounded_fields() -> None:
    exp = ExpectedEvent(1, 0, "presence_sync", {"guild_id": "G"},
                        {"user_ids": Unordered(["A", "B"]), "absent": ABSENT}, {"c": Delivery.MUST})
    ok = ReceivedFrame("c", 0, 1.0, "", "presence_sync", {"guild_id": "G", "user_ids": ["B", "A"]})
    assert check_delivery([exp], {"c": [ok]}).failures == []
    bad = ReceivedFrame("c", 0, 1.0, "", "presence_sync", {"guild_id": "G", "user_ids": ["B"], "absent": 1})
    [f] = check_delivery([exp], {"c": [bad]}).failures
    assert f.kind == "mismatch" and set(f.expected) == {"user_ids", "absent"}
    between = ExpectedEvent(1, 0, "presence_sync", {"guild_id": "G"}, {"user_ids": SetBetween(["A"], ["B"])},
                            {"c": Delivery.MUST})
    for ids, fails in ((["A"], False), (["B", "A"], False), (["B"], True), (["A", "C"], True), (["A", "A"], True)):
        frame = ReceivedFrame("c", 0, 1.0, "", "presence_sync", {"guild_id": "G", "user_ids": ids})
        assert bool(check_delivery([between], {"c": [frame]}).failures) is fails, ids


def test_booleans_are_not_integers() -> None:
    exp = ExpectedEvent(1, 0, "x", {"k": 1}, {"flag": True}, {"c": Delivery.MUST})
    frame = ReceivedFrame("c", 0, 1.0, "", "x", {"k": 1, "flag": 1})
    assert [f.kind for f in check_delivery([exp], {"c": [frame]}).failures] == ["mismatch"]


def test_duplicate_prefers_the_expectation_it_repeats_over_an_older_must_not(sb: Sandbox) -> None:
    # b0 got ready (step of b0) once; a second copy must be a duplicate, not a leak of another ready
    frames = copy_frames(sb)
    frames["b0"] = renumber([frames["b0"][0], *frames["b0"]])
    assert kinds(run(sb, frames)) == [("duplicate", "ready", "b0")]


def test_a_required_copy_is_not_swallowed_by_an_optional_older_one() -> None:
    optional = ExpectedEvent(1, 0, "workspace_role_reorder", {"role_ids": ["R"]}, audience={"c": Delivery.MAY})
    required = ExpectedEvent(2, 0, "workspace_role_reorder", {"role_ids": ["R"]}, audience={"c": Delivery.MUST})
    frame = ReceivedFrame("c", 0, 11.5, "", "workspace_role_reorder", {"role_ids": ["R"]})
    report = check_delivery([optional, required], {"c": [frame]}, invoked_at_by_step={1: 10.0, 2: 11.0})
    assert report.failures == [] and report.attributions[("c", 0)].step == 2


def test_predicted_fields_tell_repeated_matches_apart() -> None:
    first = ExpectedEvent(1, 0, "workspace_update", {"guild_id": "G"}, {"updated_fields.name": "A"}, {"c": Delivery.MUST})
    second = ExpectedEvent(2, 0, "workspace_update", {"guild_id": "G"}, {"updated_fields.name": "B"}, {"c": Delivery.MUST})
    frames = [ReceivedFrame("c", 0, 11.5, "", "workspace_update", {"guild_id": "G", "updated_fields": {"name": "B"}})]
    report = check_delivery([first, second], {"c": frames}, invoked_at_by_step={1: 10.0, 2: 11.0})
    assert kinds(report) == [("loss", "workspace_update", "c")] and report.failures[0].step == 1


def test_attribution_scales_linearly() -> None:
    import time

    n = 4000
    exps = [ExpectedEvent(i, 0, "message_create", {"message_id": f"M{i}"}, {"content": "x"},
                          {"c": Delivery.MUST, "d": Delivery.MUST_NOT}) for i in range(n)]
    frames = [ReceivedFrame("c", i, i + 0.5, "", "message_create", {"message_id": f"M{i}", "content": "x"})
              for i in range(n)]
    started = time.perf_counter()
    report = check_delivery(exps, {"c": frames, "d": []}, invoked_at_by_step={i: float(i) for i in range(n)})
    assert report.failures == [] and len(report.latencies) == n
    assert time.perf_counter() - started < 2.0  # a quadratic scan takes far longer


def test_an_old_undelivered_optional_copy_does_not_hide_a_new_leak() -> None:
    # The same reaction event, first while the user was optionally in the audience (stale subscription,
    # never delivered), then after a second kick (must not): a frame arriving right after the second
    # is the second's leak, not a very late first copy.
    optional = ExpectedEvent(1, 0, "message_reaction", {"message_id": "M"}, audience={"c": Delivery.MAY})
    forbidden = ExpectedEvent(2, 0, "message_reaction", {"message_id": "M"}, audience={"c": Delivery.MUST_NOT})
    frame = ReceivedFrame("c", 0, 20.3, "", "message_reaction", {"message_id": "M"})
    report = check_delivery([optional, forbidden], {"c": [frame]}, deadline_s=2.0,
                            invoked_at_by_step={1: 10.0, 2: 20.0})
    assert kinds(report) == [("leak", "message_reaction", "c")]


def test_within_both_deadlines_the_optional_copy_still_gets_the_benefit_of_the_doubt() -> None:
    optional = ExpectedEvent(1, 0, "message_reaction", {"message_id": "M"}, audience={"c": Delivery.MAY})
    forbidden = ExpectedEvent(2, 0, "message_reaction", {"message_id": "M"}, audience={"c": Delivery.MUST_NOT})
    frame = ReceivedFrame("c", 0, 11.3, "", "message_reaction", {"message_id": "M"})
    report = check_delivery([optional, forbidden], {"c": [frame]}, deadline_s=2.0,
                            invoked_at_by_step={1: 10.0, 2: 11.0})
    assert report.failures == []
