"""The pure parts of the browser view: expected_view from a ClientView, and compare_views, with planted
differences that must fail (one failure per differing part)."""
from __future__ import annotations

from dataclasses import replace

from harness.checks.types import CheckClass
from harness.clients.browser_view import (
    BrowserView,
    FriendLists,
    compare_views,
    expected_view,
    normalise_text,
    parse_rail_title,
)
from harness.model.views import ChannelView, ClientView, GuildView, MessageView

G1, G2, G3 = "G" * 26, "H" * 26, "J" * 26
C1, C2, V1 = "C" * 26, "D" * 26, "E" * 26
ALICE, BOB, CAROL, DAVE = "A" * 26, "B" * 26, "K" * 26, "M" * 26


def msg_id(n: int) -> str:
    return f"01{n:024d}"


def guild(name: str, visibility: str, *, channels=None, messages=None) -> GuildView:
    return GuildView(name=name, visibility=visibility, channels=channels, roles={}, members={},
                     messages=messages or {})


def client_view(message_count: int = 3) -> ClientView:
    messages = {msg_id(i): MessageView(content=f"message  {i}\n") for i in range(message_count)}
    return ClientView(
        user_id=ALICE, profile=None,
        guilds={
            G1: guild("Security Ops", "private",
                      channels={C1: ChannelView("general", "text"), C2: ChannelView("ops", "text"),
                                V1: ChannelView("lobby", "voice")},
                      messages={C1: messages}),
            G2: guild("Blue Team", "public", channels={"X" * 26: ChannelView("x", "text")}),
            G3: guild("Unreadable", "private", channels=None),  # IP-banned: not in the rail
        },
        friends={BOB: "bob"},
        incoming={"R1": CAROL},
        outgoing={"R2": DAVE},
        usernames={BOB: "bob", CAROL: "carol"},
    )


def expected(**options) -> BrowserView:
    return expected_view(client_view(options.pop("message_count", 3)), active_guild_id=G1, active_channel_id=C1,
                         **options)


def test_expected_view_shows_names_not_ids():
    view = expected()
    assert view.rail == {"Security Ops (private)", "Blue Team (public)"}
    assert view.active_workspace == ("Security Ops", "private")
    assert view.active_channel == "general"
    assert view.channels == {"#general", "#ops", "lobby"}
    assert view.messages == {msg_id(i): f"message {i}" for i in range(3)}
    assert view.live is True and not view.messages_truncated
    assert view.friends == FriendLists(incoming={CAROL: "carol"}, outgoing={DAVE: None}, friends={BOB: "bob"})


def test_expected_view_without_active_workspace_or_unsubscribed_channel():
    view = expected_view(client_view(), active_guild_id=None, active_channel_id=None)
    assert view.active_workspace is None and view.active_channel is None
    assert view.channels is None and view.messages is None
    no_messages = expected_view(client_view(), active_guild_id=G1, active_channel_id=C2)
    assert no_messages.active_channel == "ops" and no_messages.messages is None  # not in the projection


def test_history_window_keeps_the_newest_messages():
    view = expected(message_count=60)
    assert view.messages_truncated and len(view.messages) == 50
    assert min(view.messages) == msg_id(10) and max(view.messages) == msg_id(59)


def observed_from(view: BrowserView) -> BrowserView:
    """What a page matching ``view`` would read (observed side: no policy flags)."""
    return BrowserView(rail=view.rail, active_workspace=view.active_workspace, active_channel=view.active_channel,
                       channels=view.channels, messages=dict(view.messages or {}), live=True,
                       friends=FriendLists(incoming={CAROL: "carol"}, outgoing={DAVE: "dave"}, friends={BOB: "bob"}))


def parts(failures) -> list[str]:
    assert all(f.check == CheckClass.CONVERGENCE and f.kind == "dom_diverged" for f in failures)
    return [f.details["part"] for f in failures]


def test_a_matching_page_passes():
    exp = expected()
    assert compare_views("alice.web", observed_from(exp), exp) == []


def test_each_planted_difference_fails_in_its_own_part():
    exp = expected()
    good = observed_from(exp)
    planted = {
        "rail": replace(good, rail=frozenset({"Security Ops (private)"})),
        "active_workspace": replace(good, active_workspace=("Security Ops", "public")),
        "active_channel": replace(good, active_channel="ops"),
        "channels": replace(good, channels=frozenset({"#general", "#ops", "#lobby"})),
        "messages": replace(good, messages={**good.messages, msg_id(1): "stale text"}),
        "friends.outgoing": replace(good, friends=replace(good.friends, outgoing={})),
        "friends.friends": replace(good, friends=replace(good.friends, friends={BOB: "robert"})),
        "live": replace(good, live=False),
    }
    for part, observed in planted.items():
        failures = compare_views("alice.web", observed, exp, step=4)
        assert parts(failures) == [part], part
        failure = failures[0]
        assert failure.step == 4 and failure.client == "alice.web" and part in failure.message
        assert failure.expected != failure.observed


def test_failure_details_say_what_is_missing_extra_or_changed():
    exp = expected()
    observed = replace(observed_from(exp), messages={msg_id(0): "message 0", msg_id(1): "edited", msg_id(9): "ghost"})
    [failure] = compare_views("alice.web", observed, exp)
    assert failure.details["missing"] == [msg_id(2)]
    assert failure.details["extra"] == [msg_id(9)]
    assert failure.details["changed"] == {msg_id(1): {"expected": "message 1", "observed": "edited"}}

    renamed = replace(observed_from(exp), rail=frozenset({"Old Name (private)", "Blue Team (public)"}))
    [rail] = compare_views("alice.web", renamed, exp)
    assert rail.details["missing"] == ["Security Ops (private)"] and rail.details["extra"] == []


def test_extra_rail_titles_fail_only_when_the_expectation_is_complete():
    extra = replace(observed_from(expected()), rail=frozenset({"Security Ops (private)", "Blue Team (public)",
                                                              "Old Guild (private)"}))
    assert compare_views("a", extra, expected()) == []
    [failure] = compare_views("a", extra, expected(rail_complete=True))
    assert failure.details["extra"] == ["Old Guild (private)"]


def test_messages_older_than_a_full_window_are_ignored_but_newer_extras_are_not():
    exp = expected(message_count=60)
    older = replace(observed_from(exp), messages={**exp.messages, msg_id(3): "message 3"})
    assert compare_views("a", older, exp) == []
    deleted = replace(observed_from(exp), messages={**exp.messages, msg_id(61): "deleted but shown"})
    assert parts(compare_views("a", deleted, exp)) == ["messages"]
    not_truncated = expected()
    older_but_deleted = replace(observed_from(not_truncated), messages={**not_truncated.messages, "00" + "0" * 24: "x"})
    assert parts(compare_views("a", older_but_deleted, not_truncated)) == ["messages"]


def test_parts_not_read_or_not_expected_are_skipped():
    exp = expected(live=None, compare_friends=False)
    observed = replace(observed_from(exp), live=False, friends=None, messages=None)
    assert compare_views("a", observed, exp) == []
    unread_friends = replace(observed_from(expected()), friends=None)
    assert compare_views("a", unread_friends, expected()) == []


def test_small_parsers():
    assert parse_rail_title("Security Ops (private)") == ("Security Ops", "private")
    assert parse_rail_title("A (b) (public)") == ("A (b)", "public")
    assert parse_rail_title("no visibility") is None
    assert normalise_text("  a\n\n b\tc ") == "a b c"
