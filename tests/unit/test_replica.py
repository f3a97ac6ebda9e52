"""The replica's reducers, one event type at a time, plus merge / refetch / view behaviour."""
from __future__ import annotations

import pytest

from harness.model.mutations import JoinGuild, UpdateProfile
from harness.model.mutations.base import RestResult
from harness.model.replica import KEPT_MESSAGES, Refetch, Replica
from harness.model.views import (
    MESSAGE_WINDOW, ChannelView, ClientView, GuildView, MessageView, ProfileView, RoleView, Scope,
)

ME, BOB, EVE = "U_ME", "U_BOB", "U_EVE"
G, C, C2, HIDDEN = "G1", "C1", "C2", "C3"
R_CUSTOM, R_SEED = "R_CUSTOM", "R_MEMBER"


@pytest.fixture
def replica() -> Replica:
    guild = GuildView(
        "lab", "private", {C: ChannelView("general", "text"), C2: ChannelView("random", "text")},
        {R_CUSTOM: RoleView("ops", 50, frozenset({"ban_member"}), "#00AAFF")},
        {ME: frozenset({R_CUSTOM}), BOB: frozenset()},
        {C: {"M1": MessageView("one", {"👍": 1}), "M2": MessageView("two")}},
        seed_role_ids=frozenset({R_SEED}),
    )
    view = ClientView(ME, ProfileView("me", "", 0, 0), {G: guild}, friends={EVE: "eve"}, incoming={"RQ1": "U_X"},
                      outgoing={}, usernames={BOB: "bob", EVE: "eve"},
                      scope=Scope(frozenset({G}), frozenset({(G, C)}), {G: frozenset({R_SEED})}))
    r = Replica()
    r.hydrate(view)
    return r


def guild(r: Replica) -> GuildView:
    return r.view().guilds[G]


def msgs(r: Replica) -> dict[str, MessageView]:
    return dict(guild(r).messages[C])


def test_hydrate_then_view_round_trips(replica: Replica) -> None:
    view = replica.view()
    assert view.user_id == ME and set(view.guilds) == {G} and set(msgs(replica)) == {"M1", "M2"}
    assert view.usernames == {BOB: "bob", EVE: "eve"} and view.friends == {EVE: "eve"}
    assert replica.scope().channels == {(G, C)}


def test_unknown_events_and_non_objects_change_nothing(replica: Replica) -> None:
    before = replica.view()
    for t, d in (("ready", {"user_id": ME}), ("presence_update", {"guild_id": G}), ("voice_participant_join", {}),
                 ("workspace_ip_ban_sync", {"guild_id": G}), ("brand_new", {}), ("message_create", ["x"])):
        assert replica.apply(t, d) == []
    assert replica.view() == before


# ---- channel events --------------------------------------------------------------------------------------

def test_subscribed(replica: Replica) -> None:
    assert replica.apply("subscribed", {"guild_id": G, "channel_id": C2}) == [Refetch("messages", G, C2)]
    assert replica.apply("subscribed", {"guild_id": G, "channel_id": HIDDEN}) == [Refetch("channels", G)]
    assert replica.apply("subscribed", {"guild_id": "G2", "channel_id": "CX"}) == [
        Refetch("guild", "G2", channel_ids=("CX",))]
    assert replica.apply("subscribed", {"guild_id": G, "channel_id": C}) == []  # already loaded


def test_first_subscription_to_a_joined_guild_rereads_it_whole(replica: Replica) -> None:
    """Seed 629398821 (issue 16): a guild learnt from the join response, roles deleted while the client
    had no guild connection there (so no ``workspace_role_delete`` reached it), then a subscription.
    The replica must not keep the deleted roles and their silently removed assignments."""
    replica.after_own_mutation(JoinGuild("me", "other"), RestResult(200, {"guild_id": "G2", "outcome": "accepted"}))
    stale = GuildView("other", "public", {"CX": ChannelView("x", "text")}, {"R_Q": RoleView("quiet", 5, frozenset(), None)},
                      {ME: frozenset(), BOB: frozenset({"R_Q"})})
    replica.merge(Refetch("guild", "G2"), stale)
    assert "G2" not in replica.scope().guilds  # known, but no guild events arrive for it
    assert replica.apply("subscribed", {"guild_id": "G2", "channel_id": "CX"}) == [
        Refetch("guild", "G2", channel_ids=("CX",))]
    fresh = GuildView("other", "public", {"CX": ChannelView("x", "text")}, {}, {ME: frozenset(), BOB: frozenset()})
    replica.merge(Refetch("guild", "G2"), fresh)
    assert replica.view().guilds["G2"].roles == {} and replica.view().guilds["G2"].members[BOB] == frozenset()
    assert replica.apply("subscribed", {"guild_id": "G2", "channel_id": "CY"}) == [Refetch("channels", "G2")]


def test_message_create_is_idempotent_and_scoped(replica: Replica) -> None:
    d = {"guild_id": G, "channel_id": C, "message_id": "M3", "content": "three", "reactions": []}
    replica.apply("message_create", d)
    replica.apply("message_create", {**d, "content": "dup"})  # a duplicate copy: deduplicated by id
    assert msgs(replica)["M3"] == MessageView("three")
    replica.apply("message_create", {**d, "channel_id": C2, "message_id": "M4"})  # not subscribed
    assert "M4" not in str(replica.view())


def test_message_update_and_delete(replica: Replica) -> None:
    replica.apply("message_update", {"guild_id": G, "channel_id": C, "message_id": "M1",
                                     "updated_fields": {"content": "uno", "markdown_tokens": []}})
    replica.apply("message_update", {"guild_id": G, "channel_id": C, "message_id": "NOPE",
                                     "updated_fields": {"content": "x"}})
    assert msgs(replica)["M1"].content == "uno" and "NOPE" not in msgs(replica)
    assert replica.apply("message_delete", {"guild_id": G, "channel_id": C, "message_id": "M1"}) == []
    replica.apply("message_delete", {"guild_id": G, "channel_id": C, "message_id": "M1"})  # duplicate
    assert set(msgs(replica)) == {"M2"}


def _create(replica: Replica, *ids: str) -> None:
    for message_id in ids:
        replica.apply("message_create", {"guild_id": G, "channel_id": C, "message_id": message_id, "content": "x"})


def _delete(replica: Replica, message_id: str) -> list[Refetch]:
    return replica.apply("message_delete", {"guild_id": G, "channel_id": C, "message_id": message_id})


def test_a_channel_read_whole_needs_no_refetch_on_delete(replica: Replica) -> None:
    _create(replica, *(f"N{n:03d}" for n in range(MESSAGE_WINDOW)))  # it saw every message of the channel
    assert _delete(replica, "N050") == []
    assert len(msgs(replica)) == MESSAGE_WINDOW and "M2" in msgs(replica)  # the oldest slides in: known


def test_a_delete_below_a_full_window_read_refetches(replica: Replica) -> None:
    full = {f"N{n:03d}": MessageView("x") for n in range(MESSAGE_WINDOW)}
    replica.merge(Refetch("messages", G, C), full)  # REST gave a full window: older messages may exist
    assert _delete(replica, "N000") == [Refetch("messages", G, C)]


def test_a_long_lived_channel_keeps_a_bounded_history(replica: Replica) -> None:
    _create(replica, *(f"N{n:04d}" for n in range(KEPT_MESSAGES * 3)))
    assert len(replica.messages[C]) == KEPT_MESSAGES and min(replica.messages[C]) == f"N{KEPT_MESSAGES * 2:04d}"
    assert len(msgs(replica)) == MESSAGE_WINDOW
    newest = sorted(replica.messages[C], reverse=True)
    assert all(_delete(replica, m) == [] for m in newest[:MESSAGE_WINDOW])  # still a full window held
    assert _delete(replica, newest[MESSAGE_WINDOW]) == [Refetch("messages", G, C)]  # below it: re-read


def test_message_reaction_sets_the_count(replica: Replica) -> None:
    base = {"guild_id": G, "channel_id": C, "message_id": "M1", "emoji": "👍", "actor_user_id": BOB}
    replica.apply("message_reaction", {**base, "count": 2, "operation": "add"})
    replica.apply("message_reaction", {**base, "count": 2, "operation": "add"})
    assert msgs(replica)["M1"].reactions == {"👍": 2}
    replica.apply("message_reaction", {**base, "count": 0, "operation": "remove"})
    assert msgs(replica)["M1"].reactions == {}


# ---- guild events ------------------------------------------------------------------------------------------

def test_channel_create(replica: Replica) -> None:
    replica.apply("channel_create", {"guild_id": G, "channel": {"channel_id": "C9", "kind": "voice", "name": "call"}})
    assert guild(replica).channels["C9"] == ChannelView("call", "voice")


def test_workspace_update_only_listed_fields(replica: Replica) -> None:
    replica.apply("workspace_update", {"guild_id": G, "updated_fields": {"visibility": "public"}})
    assert (guild(replica).name, guild(replica).visibility) == ("lab", "public")


def test_member_add_then_merge(replica: Replica) -> None:
    assert replica.apply("workspace_member_add", {"guild_id": G, "user_id": "U_NEW", "role": "member"}) == [
        Refetch("members", G)]
    assert "U_NEW" in guild(replica).members
    follow = replica.merge(Refetch("members", G), {ME: frozenset({R_CUSTOM}), BOB: frozenset(),
                                                    "U_NEW": frozenset({R_CUSTOM})})
    assert follow == [Refetch("users", user_ids=("U_NEW",))]
    replica.merge(follow[0], {"U_NEW": "newbie"})
    assert replica.view().usernames["U_NEW"] == "newbie" and guild(replica).members["U_NEW"] == {R_CUSTOM}


def test_member_update(replica: Replica) -> None:
    assert replica.apply("workspace_member_update", {"guild_id": G, "user_id": BOB, "updated_fields": {"role": "moderator"}}) == []
    assert replica.apply("workspace_member_update", {"guild_id": G, "user_id": ME, "updated_fields": {"role": "moderator"}}) == [
        Refetch("channels", G)]


@pytest.mark.parametrize("event", ["workspace_member_remove", "workspace_member_ban"])
def test_own_removal_drops_the_guild(replica: Replica, event: str) -> None:
    assert replica.apply(event, {"guild_id": G, "user_id": ME, "reason": "ban"}) == []
    assert replica.view().guilds == {} and replica.scope().guilds == frozenset() and C not in replica.messages
    assert replica.apply("message_create", {"guild_id": G, "channel_id": C, "message_id": "M9", "content": "x"}) == []
    assert replica.apply("workspace_member_remove", {"guild_id": G, "user_id": ME, "reason": "ban"}) == []


def test_someone_elses_removal(replica: Replica) -> None:
    replica.apply("workspace_member_remove", {"guild_id": G, "user_id": BOB, "reason": "kick"})
    assert BOB not in guild(replica).members and BOB not in replica.view().usernames


def test_role_create(replica: Replica) -> None:
    replica.apply("workspace_role_create", {"guild_id": G, "role": {
        "role_id": "R2", "name": "new", "position": 7, "permissions": ["ban_member", "ban_member"], "is_system": False}})
    assert guild(replica).roles["R2"] == RoleView("new", 7, frozenset({"ban_member"}), None)


def test_role_update(replica: Replica) -> None:
    # a custom role this user holds: apply, then re-read what it may see
    assert replica.apply("workspace_role_update", {"guild_id": G, "role_id": R_CUSTOM, "updated_fields": {
        "name": " renamed ", "permissions": ["create_message"]}}) == [Refetch("channels", G)]
    assert guild(replica).roles[R_CUSTOM] == RoleView("renamed", 50, frozenset({"create_message"}), "#00AAFF")
    replica.apply("workspace_role_create", {"guild_id": G, "role": {"role_id": "R2", "name": "x", "position": 1,
                                                                     "permissions": []}})
    assert replica.apply("workspace_role_update", {"guild_id": G, "role_id": "R2",
                                                   "updated_fields": {"color_hex": "#112233"}}) == []  # not held
    assert guild(replica).roles["R2"].color == "#112233"
    assert replica.apply("workspace_role_update", {"guild_id": G, "role_id": R_SEED,
                                                   "updated_fields": {"name": "m"}}) == [Refetch("channels", G)]


def test_role_delete(replica: Replica) -> None:
    assert replica.apply("workspace_role_delete", {"guild_id": G, "role_id": R_CUSTOM}) == [Refetch("channels", G)]
    assert guild(replica).roles == {} and guild(replica).members[ME] == frozenset()


def test_role_reorder(replica: Replica) -> None:
    replica.apply("workspace_role_create", {"guild_id": G, "role": {"role_id": "R2", "name": "x", "position": 1,
                                                                     "permissions": []}})
    replica.apply("workspace_role_reorder", {"guild_id": G, "role_ids": ["R2", R_SEED, R_CUSTOM]})
    assert (guild(replica).roles["R2"].position, guild(replica).roles[R_CUSTOM].position) == (3, 1)


def test_role_assignments(replica: Replica) -> None:
    assert replica.apply("workspace_role_assignment_add", {"guild_id": G, "role_id": R_CUSTOM, "user_id": BOB}) == []
    assert guild(replica).members[BOB] == {R_CUSTOM}
    replica.apply("workspace_role_assignment_add", {"guild_id": G, "role_id": R_SEED, "user_id": BOB})
    assert guild(replica).members[BOB] == {R_CUSTOM}  # seeded roles are not compared
    replica.apply("workspace_role_assignment_remove", {"guild_id": G, "role_id": R_CUSTOM, "user_id": BOB})
    assert guild(replica).members[BOB] == frozenset()
    assert replica.apply("workspace_role_assignment_remove", {"guild_id": G, "role_id": R_SEED, "user_id": ME}) == [
        Refetch("channels", G)]


def test_override_events_refetch_channels(replica: Replica) -> None:
    assert replica.apply("workspace_channel_role_override_update", {"guild_id": G, "channel_id": C, "role": "member",
                                                                     "updated_fields": {"allow": [], "deny": []}}) == [
        Refetch("channels", G)]
    base = {"guild_id": G, "channel_id": C, "updated_fields": {"allow": [], "deny": []}}
    assert replica.apply("workspace_channel_permission_override_update",
                         {**base, "target_kind": "role", "target_id": R_SEED}) == [Refetch("channels", G)]
    assert replica.apply("workspace_channel_permission_override_update",
                         {**base, "target_kind": "member", "target_id": ME}) == [Refetch("channels", G)]
    assert replica.apply("workspace_channel_permission_override_update",
                         {**base, "target_kind": "member", "target_id": BOB}) == []


def test_merge_channels_hides_and_restores(replica: Replica) -> None:
    assert replica.merge(Refetch("channels", G), {C2: ChannelView("random", "text")}) == []
    assert C not in guild(replica).messages and C not in replica.messages
    assert replica.scope().channels == frozenset() and replica.scope().guilds == {G}  # the guild stays
    # visible again: the subscription may be gone server-side, so nothing is read until re-subscribed
    assert replica.merge(Refetch("channels", G), {C: ChannelView("general", "text")}) == []
    assert replica.apply("subscribed", {"guild_id": G, "channel_id": C}) == [Refetch("messages", G, C)]
    replica.merge(Refetch("messages", G, C), {"M5": MessageView("missed while hidden")})
    assert msgs(replica) == {"M5": MessageView("missed while hidden")}
    replica.apply("subscribed", {"guild_id": G, "channel_id": C})
    replica.merge(Refetch("channels", G), None)  # unreadable (IP ban): kept as None
    assert guild(replica).channels is None and guild(replica).messages == {}
    assert replica.scope().channels == frozenset()  # cannot tell whether the subscription survived


def test_merge_guild(replica: Replica) -> None:
    assert replica.merge(Refetch("guild", G), None) == []
    assert replica.view().guilds == {}
    replica.apply("subscribed", {"guild_id": "G2", "channel_id": "CX"})
    fetched = GuildView("other", "public", {"CX": ChannelView("x", "text")}, {}, {ME: frozenset(), "U_Z": frozenset()})
    assert replica.merge(Refetch("guild", "G2"), fetched) == [Refetch("messages", "G2", "CX"),
                                                              Refetch("users", user_ids=("U_Z",))]


def test_merge_messages_none_drops_them(replica: Replica) -> None:
    replica.merge(Refetch("messages", G, C), None)
    assert guild(replica).messages == {}


# ---- user events ------------------------------------------------------------------------------------------

def test_profile_update(replica: Replica) -> None:
    replica.apply("profile_update", {"user_id": ME, "updated_fields": {"username": "me2", "about_markdown": "hi",
                                                                       "about_markdown_tokens": []}})
    assert replica.view().profile == ProfileView("me2", "hi", 0, 0)
    replica.apply("profile_update", {"user_id": EVE, "updated_fields": {"username": "eve2"}})
    replica.apply("profile_update", {"user_id": BOB, "updated_fields": {"about_markdown": "x"}})
    assert replica.view().friends[EVE] == "eve2" and replica.view().usernames == {BOB: "bob", EVE: "eve2"}


def test_profile_media(replica: Replica) -> None:
    replica.apply("profile_avatar_update", {"user_id": ME, "avatar_version": 17})
    replica.apply("profile_banner_update", {"user_id": ME, "banner_version": 18})
    replica.apply("profile_avatar_update", {"user_id": BOB, "avatar_version": 99})
    assert replica.view().profile == ProfileView("me", "", 17, 18)


def test_friend_requests(replica: Replica) -> None:
    replica.apply("friend_request_create", {"request_id": "RQ2", "sender_user_id": ME, "recipient_user_id": BOB,
                                            "sender_username": "me", "recipient_username": "bob"})
    assert replica.view().outgoing == {"RQ2": BOB}
    # the other party's personalised copy is not ours
    replica.apply("friend_request_update", {"request_id": "RQ2", "user_id": BOB, "friend_user_id": ME,
                                            "friend_username": "me", "state": "accepted"})
    assert replica.view().outgoing == {"RQ2": BOB}
    replica.apply("friend_request_update", {"request_id": "RQ2", "user_id": ME, "friend_user_id": BOB,
                                            "friend_username": "bob", "state": "accepted"})
    assert replica.view().outgoing == {} and replica.view().friends == {EVE: "eve", BOB: "bob"}
    replica.apply("friend_request_delete", {"request_id": "RQ1"})
    assert replica.view().incoming == {}
    replica.apply("friend_remove", {"user_id": BOB, "friend_user_id": ME})  # not our copy
    assert BOB in replica.view().friends
    replica.apply("friend_remove", {"user_id": ME, "friend_user_id": BOB})
    replica.apply("friend_remove", {"user_id": ME, "friend_user_id": BOB})
    assert replica.view().friends == {EVE: "eve"}


def test_incoming_request(replica: Replica) -> None:
    replica.apply("friend_request_create", {"request_id": "RQ3", "sender_user_id": BOB, "recipient_user_id": ME})
    assert replica.view().incoming == {"RQ1": "U_X", "RQ3": BOB}


# ---- own REST responses ------------------------------------------------------------------------------------

def test_after_own_mutation(replica: Replica) -> None:
    join = JoinGuild("me", "other")
    assert replica.after_own_mutation(join, RestResult(200, {"guild_id": "G2", "outcome": "accepted"})) == [
        Refetch("guild", "G2")]
    assert replica.after_own_mutation(join, RestResult(200, {"guild_id": "G2", "outcome": "already_member"})) == []
    assert replica.after_own_mutation(join, RestResult(403, {"error": "forbidden"})) == []
    profile = {"user_id": ME, "username": "me3", "about_markdown": "a", "avatar_version": 2, "banner_version": 0}
    replica.after_own_mutation(UpdateProfile("me", username="me3"), RestResult(200, profile))
    assert replica.view().profile == ProfileView("me3", "a", 2, 0)
