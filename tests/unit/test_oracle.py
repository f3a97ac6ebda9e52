"""The visibility oracle (GATEWAY.md §6, §8): MUST / MAY / MUST_NOT per connection, case by case."""
from __future__ import annotations

import pytest

from harness.history import ReceivedFrame
from harness.model.expectations import Delivery, ExpectedEvent, SetBetween, Unordered
from harness.model.mutations import *  # noqa: F403
from harness.model.mutations import RestResult
from harness.model.sandbox import Sandbox
from harness.model.world import WorldConfig

MUST, MAY, NOT = Delivery.MUST, Delivery.MAY, Delivery.MUST_NOT


@pytest.fixture
def sb() -> Sandbox:
    """lab (public): alice owner, bob & carol members, mod moderator; dave, eve outsiders; root server owner.
    Channels general, random. Connections (all subscribed to #general unless noted):
    a0 alice; a1 alice on #random only; b0 bob; b1 bob, no subscription; c0 carol; m0 mod; d0 dave (refused)."""
    sb = Sandbox(WorldConfig(server_owner="root"))
    for u in ("alice", "bob", "carol", "mod", "dave", "eve", "root"):
        sb.user(u)
    sb.guild("alice", "lab", "public")
    sb.setup(CreateChannel("alice", "lab", "general"))
    sb.setup(CreateChannel("alice", "lab", "random"))
    for u in ("bob", "carol", "mod"):
        sb.setup(AddMember("alice", "lab", u))
    sb.setup(UpdateMemberRole("alice", "lab", "mod", "moderator"))
    for conn, user in (("a0", "alice"), ("a1", "alice"), ("b0", "bob"), ("b1", "bob"), ("c0", "carol"),
                       ("m0", "mod"), ("d0", "dave")):
        sb.connect(user, conn)
    for conn in ("a0", "b0", "c0", "m0", "d0"):
        sb.subscribe(conn, "general")
    sb.subscribe("a1", "random")
    return sb


def aud(exp: ExpectedEvent) -> dict[str, Delivery]:
    return dict(exp.audience)


def one(sb: Sandbox, m: Mutation) -> ExpectedEvent:
    out = sb.do(m)
    assert out.allowed and len(out.expected) == 1, out
    return out.expected[0]


def message(sb: Sandbox, alias: str, channel: str = "general", actor: str = "alice") -> dict[str, Delivery]:
    return aud(one(sb, CreateMessage(actor, channel, alias, f"text of {alias}")))


def guild_event(sb: Sandbox, name: str) -> dict[str, Delivery]:
    return aud(one(sb, CreateChannel("alice", "lab", name)))


# ---- channel scope ----------------------------------------------------------------------------------------

def test_channel_event_reaches_subscribers_of_that_channel_only(sb: Sandbox) -> None:
    assert message(sb, "m1") == {"a0": MUST, "a1": NOT, "b0": MUST, "b1": NOT, "c0": MUST, "m0": MUST, "d0": NOT}
    assert message(sb, "m2", channel="random") == {"a0": NOT, "a1": MUST, "b0": NOT, "b1": NOT, "c0": NOT,
                                                    "m0": NOT, "d0": NOT}


def test_non_member_subscribe_is_silently_ignored(sb: Sandbox) -> None:
    assert sb.subscribe("d0", "general") == []
    assert sb.model.conns.open["d0"].subs == {}


@pytest.mark.parametrize(("target_kind", "target", "hidden"), [
    ("role", "member", {"b0", "c0"}),
    ("role", "@everyone", {"b0", "c0", "m0"}),
    ("member", "bob", {"b0"}),
])
def test_override_denied_subscribers_must_not_receive(sb: Sandbox, target_kind: str, target: str, hidden: set) -> None:
    override = one(sb, SetPermissionOverride("alice", "general", target_kind, target, deny=("create_message",)))
    # the override event itself is guild scope: every member's guild connection
    assert {c for c, d in aud(override).items() if d is MUST} == {"a0", "a1", "b0", "c0", "m0"}
    got = message(sb, "m1")
    assert {c for c, d in got.items() if d is MUST} == {"a0", "b0", "c0", "m0"} - hidden


def test_legacy_override_hides_the_channel_immediately(sb: Sandbox) -> None:
    sb.do(SetLegacyOverride("alice", "general", "member", deny=("create_message",)))
    assert message(sb, "m1")["b0"] is NOT and message(sb, "m2")["m0"] is MUST


def test_lapsed_subscription_is_may_after_access_returns(sb: Sandbox) -> None:
    sb.do(SetPermissionOverride("alice", "general", "member", "bob", deny=("create_message",)))
    assert message(sb, "m1")["b0"] is NOT
    sb.do(SetPermissionOverride("alice", "general", "member", "bob"))
    assert message(sb, "m2")["b0"] is MAY  # the server may have dropped the subscription
    w = sb.model.world
    scope = sb.model.live_scope("b0")
    assert scope.guilds == {w.guild_id("lab")} and scope.channels == frozenset()  # out of scope until renewed
    sb.subscribe("b0", "general")
    assert message(sb, "m3")["b0"] is MUST  # renewed


# ---- guild scope --------------------------------------------------------------------------------------------

def test_guild_event_reaches_guild_connections_of_members(sb: Sandbox) -> None:
    assert guild_event(sb, "c1") == {"a0": MUST, "a1": MUST, "b0": MUST, "b1": NOT, "c0": MUST, "m0": MUST,
                                     "d0": NOT}


def test_kick_own_removal_then_nothing(sb: Sandbox) -> None:
    removal = aud(one(sb, KickMember("alice", "lab", "bob")))
    assert removal["b0"] is MUST and removal["b1"] is NOT  # b1 is not a guild connection
    assert removal["a0"] is MUST and removal["c0"] is MUST
    assert message(sb, "m1")["b0"] is NOT
    assert guild_event(sb, "c1")["b0"] is NOT


def test_ban_both_events_reach_the_banned_user_then_nothing(sb: Sandbox) -> None:
    out = sb.do(BanMember("mod", "lab", "carol"))
    assert [e.event_type for e in out.expected] == ["workspace_member_ban", "workspace_member_remove"]
    assert all(aud(e)["c0"] is MUST for e in out.expected)
    assert message(sb, "m1")["c0"] is NOT
    assert guild_event(sb, "c1")["c0"] is NOT


def test_stale_subscription_after_rejoin_is_may_until_renewed(sb: Sandbox) -> None:
    sb.do(KickMember("alice", "lab", "bob"))
    join = aud(one(sb, JoinGuild("bob", "lab")))
    assert join["b0"] is MAY and join["a0"] is MUST
    assert message(sb, "m1")["b0"] is MAY
    assert guild_event(sb, "c1")["b0"] is MAY
    assert sb.model.live_scope("b0").guilds == frozenset()  # stale subscriptions are out of scope
    sb.subscribe("b0", "general")
    assert message(sb, "m2")["b0"] is MUST
    assert guild_event(sb, "c2")["b0"] is MUST


def test_removal_of_a_user_whose_subscription_is_already_stale_is_may(sb: Sandbox) -> None:
    sb.do(KickMember("alice", "lab", "bob"))
    out = sb.do(BanMember("alice", "lab", "bob"))
    assert all(aud(e)["b0"] is MAY for e in out.expected)


def test_ip_ban_sync_only_to_ip_ban_moderators(sb: Sandbox) -> None:
    sb.do(JoinGuild("dave", "lab"))
    got = aud(one(sb, IpBanUser("mod", "lab", "dave", ban="b1")))
    assert got == {"a0": MUST, "a1": MUST, "b0": NOT, "b1": NOT, "c0": NOT, "m0": MUST, "d0": NOT}


def test_ip_ban_sync_reaches_a_member_granted_manage_ip_bans(sb: Sandbox) -> None:
    sb.do(CreateRole("alice", "lab", "ipmod", "ipmod", ("manage_ip_bans",)))
    sb.do(AssignRole("alice", "lab", "ipmod", "carol"))
    sb.do(JoinGuild("dave", "lab"))
    assert aud(one(sb, IpBanUser("alice", "lab", "dave")))["c0"] is MUST


def test_subscribe_while_ip_banned_predicts_nothing(sb: Sandbox) -> None:
    sb.do(JoinGuild("dave", "lab"))
    sb.do(IpBanUser("alice", "lab", "dave"))
    assert sb.subscribe("a0", "random") == []  # the server drops the connection (ip_banned)


def test_server_owner_without_membership(sb: Sandbox) -> None:
    sb.connect("root", "r0")
    assert [e.event_type for e in sb.subscribe("r0", "general")] == ["presence_sync", "presence_update", "subscribed",
                                                                     "voice_participant_sync"]
    assert message(sb, "m1")["r0"] is MUST
    assert guild_event(sb, "c1")["r0"] is MAY


def test_ip_ban_sync_must_reach_the_server_owner_without_membership(sb: Sandbox) -> None:
    """§6.2: ``workspace_ip_ban_sync`` MUST reach the guild connections of users who may moderate IP
    bans of G — the server owner may (REST.md §3.6), member or not; other guild events stay MAY."""
    sb.connect("root", "r0")
    sb.subscribe("r0", "general")
    sb.do(JoinGuild("dave", "lab"))
    assert aud(one(sb, IpBanUser("mod", "lab", "dave")))["r0"] is MUST
    assert aud(one(sb, CreateRole("alice", "lab", "r9", "r9")))["r0"] is MAY  # not IP-gated, unlike channels


# ---- user scope -------------------------------------------------------------------------------------------

def test_profile_observers(sb: Sandbox) -> None:
    sb.connect("eve", "e0")
    sb.do(SendFriendRequest("bob", "dave", "fr1"))
    sb.do(AcceptFriendRequest("dave", "fr1"))
    got = aud(one(sb, UpdateProfile("bob", about="x")))
    assert got["b0"] is MUST and got["b1"] is MUST  # every session of the owner
    assert got["d0"] is MUST  # friend, no shared guild
    assert got["c0"] is MUST and got["a1"] is MUST  # co-members, subscription irrelevant
    assert got["e0"] is NOT  # unrelated


def test_profile_of_an_outsider_reaches_only_their_friends(sb: Sandbox) -> None:
    sb.connect("eve", "e0")
    got = aud(one(sb, UploadAvatar("eve")))
    assert {c for c, d in got.items() if d is MUST} == {"e0"}


def test_kicked_user_is_no_longer_a_profile_observer(sb: Sandbox) -> None:
    sb.do(KickMember("alice", "lab", "carol"))
    assert aud(one(sb, UpdateProfile("bob", about="y")))["c0"] is NOT


def test_friend_events_personalised(sb: Sandbox) -> None:
    sb.connect("eve", "e0")
    create = aud(one(sb, SendFriendRequest("eve", "dave", "fr1")))
    assert {c for c, d in create.items() if d is MUST} == {"e0", "d0"}
    out = sb.do(AcceptFriendRequest("dave", "fr1"))
    assert [{c for c, d in aud(e).items() if d is MUST} for e in out.expected] == [{"d0"}, {"e0"}]
    assert [e.order for e in out.expected] == [0, 1]


# ---- connection scope and presence -------------------------------------------------------------------------

def test_ready_only_to_the_new_connection(sb: Sandbox) -> None:
    [ready] = sb.model.connection_opened(sb.next_step(), "b2", "bob")
    assert ready.match == {"user_id": sb.model.world.user_id("bob")}
    assert {c for c, d in aud(ready).items() if d is MUST} == {"b2"}


def test_first_subscribe_sequence_and_presence(sb: Sandbox) -> None:
    w = sb.model.world
    evs = sb.subscribe("b1", "random")  # bob already present through b0: no presence_update
    assert [e.event_type for e in evs] == ["presence_sync", "subscribed", "voice_participant_sync"]
    assert [e.order for e in evs] == [0, 1, 2]
    sb.connect("eve", "e0")
    sb.do(AddMember("alice", "lab", "eve"))
    evs = sb.subscribe("e0", "general")
    assert [e.event_type for e in evs] == ["presence_sync", "presence_update", "subscribed", "voice_participant_sync"]
    sync, online = evs[0], evs[1]
    assert sync.fields["user_ids"] == Unordered(sorted(w.user_id(u) for u in ("alice", "bob", "carol", "mod", "eve")))
    assert online.match["status"] == "online" and online.match["user_id"] == w.user_id("eve")
    assert aud(online)["e0"] is MUST and aud(online)["a0"] is MUST and aud(online)["d0"] is NOT
    assert {c for c, d in aud(sync).items() if d is MUST} == {"e0"}


def test_offline_only_when_the_last_present_connection_closes(sb: Sandbox) -> None:
    sb.subscribe("b1", "general")
    assert sb.close("b0") == []  # b1 still present
    [offline] = sb.close("b1")
    assert offline.match == {"guild_id": sb.model.world.guild_id("lab"), "user_id": sb.model.world.user_id("bob"),
                             "status": "offline"}
    assert "b1" not in offline.audience and aud(offline)["a0"] is MUST and aud(offline)["d0"] is NOT


def test_presence_after_kick_and_rejoin(sb: Sandbox) -> None:
    w = sb.model.world
    sb.do(KickMember("alice", "lab", "bob"))
    sb.connect("eve", "e0")
    sb.do(AddMember("alice", "lab", "eve"))
    sync = sb.subscribe("e0", "general")[0]
    assert w.user_id("bob") not in sync.fields["user_ids"].items  # a removed user is no longer listed
    sb.do(JoinGuild("bob", "lab"))
    sb.connect("carol", "c1")
    sync = sb.subscribe("c1", "general")[0]
    assert isinstance(sync.fields["user_ids"], SetBetween) and w.user_id("bob") in sync.fields["user_ids"].allowed
    evs = sb.subscribe("b1", "general")  # bob's first *current* presence, but b0's stale one may linger
    online = next(e for e in evs if e.event_type == "presence_update")
    assert all(d is not MUST for d in online.audience.values()) and online.note


def test_offline_for_stale_presence_is_may(sb: Sandbox) -> None:
    sb.do(KickMember("alice", "lab", "bob"))
    [offline] = sb.close("b0")
    assert all(d is not MUST for d in offline.audience.values())


# ---- commit semantics -------------------------------------------------------------------------------------

def test_refused_results_change_nothing(sb: Sandbox) -> None:
    m = CreateMessage("alice", "general", "m1", "x")
    assert sb.model.commit(99, m, RestResult(500, {"error": "internal_error"})) == []
    assert "m1" not in sb.model.world.messages


def test_a_success_the_model_forbids_is_not_applied(sb: Sandbox) -> None:
    m = CreateMessage("dave", "general", "m1", "x")
    assert sb.model.commit(99, m, RestResult(200, {"message_id": sb.new_id()})) == []
    assert "m1" not in sb.model.world.messages


def test_live_scope_lists_current_subscriptions(sb: Sandbox) -> None:
    w = sb.model.world
    scope = sb.model.live_scope("a0")
    assert scope.guilds == {w.guild_id("lab")} and scope.channels == {(w.guild_id("lab"), w.channel_id("general"))}
    assert scope.seed_role_ids[w.guild_id("lab")] == {w.role_id("lab", r) for r in
                                                      ("@everyone", "workspace_owner", "moderator", "member")}


# ---- classification of unattributed frames ----------------------------------------------------------------

def frame(conn: str, t: str, d: dict) -> ReceivedFrame:
    return ReceivedFrame(conn, 0, 0.0, "", t, d)


def test_classify_channel_events(sb: Sandbox) -> None:
    w = sb.model.world
    d = {"guild_id": w.guild_id("lab"), "channel_id": w.channel_id("general"), "message_id": "X"}
    assert sb.model.classify_unattributed(frame("b1", "message_create", d)) is MAY  # may see, not subscribed
    assert sb.model.classify_unattributed(frame("d0", "message_create", d)) is NOT
    sb.do(SetPermissionOverride("alice", "general", "member", "bob", deny=("create_message",)))
    assert sb.model.classify_unattributed(frame("b0", "message_update", d)) is NOT
    assert sb.model.classify_unattributed(frame("b0", "subscribed", d)) is NOT


def test_classify_guild_events(sb: Sandbox) -> None:
    w = sb.model.world
    g = w.guild_id("lab")
    assert sb.model.classify_unattributed(frame("d0", "workspace_update", {"guild_id": g})) is NOT
    assert sb.model.classify_unattributed(frame("b1", "workspace_update", {"guild_id": g})) is MAY
    assert sb.model.classify_unattributed(frame("b0", "workspace_ip_ban_sync", {"guild_id": g})) is NOT
    assert sb.model.classify_unattributed(frame("m0", "workspace_ip_ban_sync", {"guild_id": g})) is MAY
    sb.do(KickMember("alice", "lab", "bob"))
    own = {"guild_id": g, "user_id": w.user_id("bob")}
    assert sb.model.classify_unattributed(frame("b0", "workspace_member_remove", own)) is MAY
    assert sb.model.classify_unattributed(frame("b0", "presence_update", own)) is NOT


def test_classify_user_events(sb: Sandbox) -> None:
    w = sb.model.world
    sb.connect("eve", "e0")
    bob = w.user_id("bob")
    assert sb.model.classify_unattributed(frame("c0", "profile_update", {"user_id": bob})) is MAY
    assert sb.model.classify_unattributed(frame("e0", "profile_update", {"user_id": bob})) is NOT
    sb.do(SendFriendRequest("bob", "dave", "fr1"))
    rid = w.request("fr1").id
    assert sb.model.classify_unattributed(frame("e0", "friend_request_delete", {"request_id": rid})) is NOT
    assert sb.model.classify_unattributed(frame("d0", "friend_request_delete", {"request_id": rid})) is MAY
    create = {"request_id": rid, "sender_user_id": bob, "recipient_user_id": w.user_id("dave")}
    assert sb.model.classify_unattributed(frame("e0", "friend_request_create", create)) is NOT
    assert sb.model.classify_unattributed(frame("b1", "friend_request_create", create)) is MAY


def test_classify_misc(sb: Sandbox) -> None:
    w = sb.model.world
    assert sb.model.classify_unattributed(frame("b0", "ready", {"user_id": w.user_id("alice")})) is NOT
    assert sb.model.classify_unattributed(frame("b0", "ready", {"user_id": w.user_id("bob")})) is MAY
    assert sb.model.classify_unattributed(frame("b0", "brand_new_event", {})) is MAY
    assert sb.model.classify_unattributed(frame("nobody", "message_create", {})) is MAY
    assert sb.model.classify_unattributed(frame("b0", "message_create", {"channel_id": "UNKNOWN"})) is MAY


def test_plan_unpacks_to_call_and_verdict(sb: Sandbox) -> None:
    call, verdict = sb.model.plan(CreateMessage("bob", "general", "m1", "x"))
    assert call.method == "POST" and verdict.allowed and verdict.status == 200


# ---- starved connections (nemesis stall_reads) -------------------------------------------------------------

def test_a_starved_connection_may_miss_what_it_must_receive_but_still_must_not_receive_the_rest(sb: Sandbox) -> None:
    sb.model.connection_starved("b0")
    assert message(sb, "m1") == {"a0": MUST, "a1": NOT, "b0": MAY, "b1": NOT, "c0": MUST, "m0": MUST, "d0": NOT}
    assert message(sb, "m2", channel="random")["b0"] is NOT


def test_starving_one_connection_leaves_the_others_of_the_same_user_alone(sb: Sandbox) -> None:
    sb.model.connection_starved("a1")
    assert message(sb, "m1")["a0"] is MUST


# ---- a connection closing while a new one opens (web client switching channels) -------------------------

def test_presence_churn_around_a_closing_connection_is_optional_but_nothing_else_is(sb: Sandbox) -> None:
    # bob has b0 (subscribed) and b1 (none); b0 starts closing while b2 opens and subscribes.
    sb.model.connection_closed(sb.next_step(), "b1")
    offline = sb.model.connection_closing(sb.next_step(), "b0")
    assert offline and all(d is not MUST for e in offline for d in e.audience.values())
    sb.connect("bob", "b2")
    events = {e.event_type: e for e in sb.subscribe("b2", "general")}
    assert MUST not in events["presence_update"].audience.values()     # may or may not come
    assert events["subscribed"].audience["b2"] is MUST                  # the rest stays strict
    assert message(sb, "m1")["b2"] is MUST and message(sb, "m2").get("b0", NOT) is NOT  # b0 left the audience


def test_the_closing_race_is_decided_by_the_next_subscribe(sb: Sandbox) -> None:
    """§8: the online presence of a user's first present connection is a MUST; the closing race only
    excuses the one subscribe it races with, not every later reconnect of that user."""
    sb.model.connection_closed(sb.next_step(), "b1")
    sb.model.connection_closing(sb.next_step(), "b0")
    sb.connect("bob", "b2")
    sb.subscribe("b2", "general")                                      # races b0's close: MAY (above)
    offline = sb.model.connection_closed(sb.next_step(), "b2")
    assert [e.audience["a0"] for e in offline] == [MUST]
    sb.connect("bob", "b3")
    events = {e.event_type: e for e in sb.subscribe("b3", "general")}
    assert events["presence_update"].audience["b3"] is MUST and events["presence_update"].audience["a0"] is MUST
    assert events["presence_sync"].fields["user_ids"] == Unordered(sorted(
        sb.model.world.user_id(u) for u in ("alice", "bob", "carol", "mod")))


def test_closing_a_connection_twice_predicts_nothing_more(sb: Sandbox) -> None:
    sb.model.connection_closing(sb.next_step(), "c0")
    assert sb.model.connection_closed(sb.next_step(), "c0") == []
