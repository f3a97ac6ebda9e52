"""check_convergence / check_verdict pass on agreeing views and fail on each planted problem."""
from __future__ import annotations

from dataclasses import replace

import pytest

from harness.checks.convergence import MAX_PATHS, check_convergence, check_verdict, diff_trees
from harness.checks.types import CheckClass
from harness.model.mutations import *  # noqa: F403
from harness.model.mutations.base import RestResult, Verdict
from harness.model.replica import Replica
from harness.model.sandbox import Sandbox
from harness.model.views import ChannelView, ClientView, GuildView, MessageView


@pytest.fixture
def sb() -> Sandbox:
    sb = Sandbox()
    for u in ("alice", "bob"):
        sb.user(u)
    sb.guild("alice", "lab")
    sb.setup(CreateChannel("alice", "lab", "general"))
    sb.setup(AddMember("alice", "lab", "bob"))
    sb.connect("bob", "b0")
    sb.subscribe("b0", "general")
    sb.setup(CreateMessage("alice", "general", "m1", "one"))
    sb.setup(CreateMessage("alice", "general", "m2", "two"))
    return sb


def views(sb: Sandbox) -> tuple[ClientView, ClientView]:
    """(REST view of a correct server, model view) for bob."""
    view = sb.model.projection("bob", sb.model.live_scope("b0"))
    return view, view


def replica_of(view: ClientView) -> Replica:
    r = Replica()
    r.hydrate(view)
    return r


def ids(sb: Sandbox) -> tuple[str, str, str, str]:
    w = sb.model.world
    return w.guild_id("lab"), w.channel_id("general"), w.message_id("m1"), w.message_id("m2")


def kinds(failures: list) -> list[tuple[str, str]]:
    return sorted((f.kind, f.details.get("path")) for f in failures)


def test_agreeing_views_pass(sb: Sandbox) -> None:
    rest, model = views(sb)
    assert check_convergence("bob", replica_of(rest).view(), rest, model) == []


def test_replica_keeping_a_kicked_guild_is_stale(sb: Sandbox) -> None:
    before, _ = views(sb)
    replica = replica_of(before)  # and it never applies its own workspace_member_remove
    scope = sb.model.live_scope("b0")
    sb.setup(KickMember("alice", "lab", "bob"))
    rest = sb.model.projection("bob", scope)
    g, *_ = ids(sb)
    failures = check_convergence("bob", replica.view(), rest, sb.model.projection("bob", scope))
    # the co-member's username goes with the guild: a replica keeping the guild keeps it too
    assert kinds(failures) == [("diverged_from_rest", "usernames." + sb.model.world.user_id("alice")),
                               ("stale", f"guilds.{g}")]
    assert all(f.check is CheckClass.CONVERGENCE and f.client == "bob" for f in failures)
    replica.apply("workspace_member_remove", {"guild_id": g, "user_id": sb.model.world.user_id("bob"), "reason": "kick"})
    assert check_convergence("bob", replica.view(), rest, sb.model.projection("bob", scope)) == []


def test_replica_keeping_a_deleted_message_is_stale(sb: Sandbox) -> None:
    before, _ = views(sb)
    replica = replica_of(before)
    sb.setup(DeleteMessage("alice", "m1"))
    rest, model = views(sb)
    g, c, m1, _ = ids(sb)
    assert kinds(check_convergence("bob", replica.view(), rest, model)) == [("stale", f"guilds.{g}.messages.{c}.{m1}")]


def test_replica_keeping_a_hidden_channel_is_stale(sb: Sandbox) -> None:
    before, _ = views(sb)
    replica = replica_of(before)
    sb.setup(SetPermissionOverride("alice", "general", "member", "bob", deny=("create_message",)))
    rest, model = views(sb)
    g, c, _, _ = ids(sb)
    assert kinds(check_convergence("bob", replica.view(), rest, model)) == [
        ("stale", f"guilds.{g}.channels.{c}"), ("stale", f"guilds.{g}.messages.{c}")]


def test_replica_with_other_content_diverges_from_rest(sb: Sandbox) -> None:
    rest, model = views(sb)
    replica = replica_of(rest)
    g, c, m1, _ = ids(sb)
    replica.messages[c][m1].content = "wrong"
    [f] = check_convergence("bob", replica.view(), rest, model)
    assert (f.kind, f.details["path"], f.expected, f.observed) == (
        "diverged_from_rest", f"guilds.{g}.messages.{c}.{m1}.content", "one", "wrong")


def test_replica_missing_something_is_a_divergence_not_staleness(sb: Sandbox) -> None:
    rest, model = views(sb)
    replica = replica_of(rest)
    g, c, m1, _ = ids(sb)
    del replica.messages[c][m1]
    assert kinds(check_convergence("bob", replica.view(), rest, model)) == [
        ("diverged_from_rest", f"guilds.{g}.messages.{c}.{m1}")]


def test_server_state_differing_from_the_model(sb: Sandbox) -> None:
    rest, model = views(sb)
    g, *_ = ids(sb)
    rest = replace(rest, guilds={g: replace(rest.guilds[g], name="renamed behind our back")})
    failures = check_convergence("bob", replica_of(rest).view(), rest, model)
    assert kinds(failures) == [("diverged_from_model", f"guilds.{g}.name")]
    assert failures[0].details["observed_side"] == "rest"


def test_unreadable_channels_are_not_compared(sb: Sandbox) -> None:
    rest, model = views(sb)
    g, *_ = ids(sb)
    unreadable = replace(rest, guilds={g: replace(rest.guilds[g], channels=None, messages={})})
    assert check_convergence("bob", replica_of(rest).view(), unreadable, None) == []


def test_failures_are_capped() -> None:
    many = {f"M{i:03d}": MessageView(str(i)) for i in range(MAX_PATHS + 5)}
    a = ClientView("U", None, {"G": GuildView("g", "private", {"C": ChannelView("c", "text")}, {}, {}, {"C": many})})
    b = ClientView("U", None, {"G": GuildView("g", "private", {"C": ChannelView("c", "text")}, {}, {}, {"C": {}})})
    failures = check_convergence("x", a, b, None)
    assert len(failures) == MAX_PATHS + 1 and len(failures[-1].details["paths"]) == 5


def test_diff_trees() -> None:
    assert diff_trees({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 2}}) == []
    assert diff_trees({"a": 1, "b": {"c": 2}}, {"b": {"c": 3}, "d": 4}) == [
        ("a", 1, "<absent>"), ("b.c", 2, 3), ("d", "<absent>", 4)]
    assert diff_trees({"x": None}, {"x": {}}) == [("x", None, {})]


# ---- verdicts -----------------------------------------------------------------------------------------

M = CreateMessage("alice", "general", "m9", "x")


@pytest.mark.parametrize(("verdict", "status", "failing", "phrase"), [
    (Verdict(True, 200), 200, False, ""),
    (Verdict(True, 200), 403, True, "refused a mutation the model allows"),
    (Verdict(False, 403, "forbidden"), 200, True, "accepted a mutation the model forbids"),
    (Verdict(False, 403, "forbidden"), 404, True, "another status"),
    (Verdict(False, frozenset({400, 403})), 400, False, ""),
    (Verdict(False, frozenset({400, 403})), 403, False, ""),
    (Verdict(True, 204), 200, True, "another status"),
])
def test_check_verdict(verdict: Verdict, status: int, failing: bool, phrase: str) -> None:
    failures = check_verdict(7, M, verdict, RestResult(status, {}), client="alice")
    assert bool(failures) is failing
    if failing:
        [f] = failures
        assert (f.check, f.kind, f.step, f.observed) == (CheckClass.CONVERGENCE, "verdict_mismatch", 7, status)
        assert phrase in f.message and f.details["row"] == "message.create"
