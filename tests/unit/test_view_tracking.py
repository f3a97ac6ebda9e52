"""What a frame tells about the parts of a client's view it can have changed."""
from __future__ import annotations

from harness.engine.view_tracking import ViewTracker
from harness.history import ReceivedFrame
from harness.model.views import ClientView, Scope


def _frame(seq: int, t: str | None, d: object) -> ReceivedFrame:
    return ReceivedFrame("a/ws0", seq, 1.0, "{}", t, d)


def _tracker(*frames: ReceivedFrame) -> ViewTracker:
    tracker = ViewTracker()
    tracker.adopt("a/ws0", ClientView(user_id="u", profile=None, scope=Scope()), 0, 0)
    tracker.scan("a/ws0", list(frames), 0)
    return tracker


def test_presence_and_voice_change_nothing_a_view_holds() -> None:
    assert _tracker(_frame(0, "presence_update", {"guild_id": "g", "user_id": "x"})).clean(Scope())


def test_a_message_event_dirties_one_channel_and_its_author_name() -> None:
    parts = _tracker(_frame(0, "message_create", {"guild_id": "g", "channel_id": "c", "author_id": "x"})).parts()
    assert parts == {"user": False, "guilds": frozenset(), "messages": frozenset({("g", "c")}),
                     "channel_lists": frozenset(), "names": frozenset({"x"})}


def test_a_channel_override_dirties_the_channel_list_not_the_members() -> None:
    parts = _tracker(_frame(0, "workspace_channel_role_override_update", {"guild_id": "g", "channel_id": "c"})).parts()
    assert parts["channel_lists"] == frozenset({"g"}) and parts["guilds"] == frozenset() and not parts["user"]


def test_a_guild_event_dirties_the_guild_and_a_user_event_the_user_level_state() -> None:
    tracker = _tracker(_frame(0, "workspace_role_create", {"guild_id": "g"}),
                       _frame(1, "friend_request_create", {"sender_user_id": "s", "request_id": "r"}))
    parts = tracker.parts()
    assert parts["guilds"] == frozenset({"g"}) and parts["user"] and "s" in parts["names"]


def test_an_unparsed_frame_a_new_connection_or_a_rest_reread_needs_a_whole_read() -> None:
    assert _tracker(_frame(0, None, None)).whole_read_needed(Scope())
    tracker = _tracker()
    tracker.scan("a/ws1", [], 0)
    assert tracker.whole_read_needed(Scope())
    tracker = _tracker()
    tracker.scan("a/ws0", [], 1)
    assert tracker.whole_read_needed(Scope())
