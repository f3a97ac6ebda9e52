"""Which parts of a simulated client's view can have changed since its last passed convergence check.

A settle used to read every client's whole view from REST after every step: with N clients in one
guild that is N reads of N members, per step. A client's replica changes only through the frames of
its primary connection and the REST re-reads they cause, and each frame names what it is about:
a ``message_*`` event the messages of one channel, another guild event one guild (and its members'
names), a user event (profile, friends) the user-level state, ``presence_*``/``voice_*``/``ready``
nothing the view holds. So a settle re-reads only those parts, on top of the REST view the client's
last check passed against; a client with no new frame and no re-read is not re-read at all. Any
difference found on a partial read is confirmed on a whole fresh read before it is reported, and every
client's whole view is read and compared again at the end of the scenario (``full``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from harness.history import ReceivedFrame
from harness.model.views import ClientView, Scope

MESSAGE_EVENTS = frozenset({"message_create", "message_update", "message_delete", "message_reaction"})
VIEWLESS_EVENTS = frozenset({
    "ready", "presence_update", "presence_sync", "voice_participant_join", "voice_participant_leave",
    "voice_participant_sync", "voice_participant_update", "voice_stream_publish", "voice_stream_unpublish",
})
"""Events that change nothing a ``ClientView`` holds (presence and voice state are not compared)."""
CHANNEL_LIST_EVENTS = frozenset({
    "channel_create", "workspace_channel_role_override_update", "workspace_channel_permission_override_update",
})
"""Guild events that change which channels a member sees (and so their messages), not roles or members."""


@dataclass
class ViewTracker:
    """One client's last passed REST view and what its frames touched since."""

    conn: str | None = None
    rest: ClientView | None = None
    cursor: int = 0
    """``seq`` of the first frame not scanned yet."""
    merged: int = 0
    everything: bool = True
    user: bool = False
    guilds: set[str] = field(default_factory=set)
    messages: set[tuple[str, str]] = field(default_factory=set)
    channel_lists: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def scan(self, conn: str, frames: Sequence[ReceivedFrame], merged: int, first_seq: int = 0) -> None:
        """Note what the frames since the last scan (and any finished REST re-read) can have changed.
        ``frames`` starts at ``first_seq`` (a soak drops judged frames; one dropped unscanned makes the
        next read whole)."""
        if conn != self.conn:
            self.conn, self.cursor, self.everything = conn, 0, True
        if merged != self.merged:
            self.merged, self.everything = merged, True
        if self.cursor < first_seq:
            self.cursor, self.everything = first_seq, True
        end = first_seq + len(frames)
        for seq in range(self.cursor, end):
            self._note(frames[seq - first_seq])
        self.cursor = end

    def adopt(self, conn: str, view: ClientView, cursor: int, merged: int) -> None:
        """A whole REST view the replica was just built from (hydration): frames from ``cursor`` on may
        postdate it."""
        self.conn, self.rest, self.cursor, self.merged = conn, view, cursor, merged
        self._clear()

    def clean(self, scope: Scope) -> bool:
        return self.rest is not None and not self.everything and self.rest.scope == scope and not (
            self.user or self.guilds or self.messages or self.channel_lists or self.names)

    def whole_read_needed(self, scope: Scope) -> bool:
        return self.rest is None or self.everything or self.rest.scope != scope

    def parts(self) -> dict[str, Any]:
        return {"user": self.user, "guilds": frozenset(self.guilds), "messages": frozenset(self.messages),
                "channel_lists": frozenset(self.channel_lists), "names": frozenset(self.names)}

    def passed(self, view: ClientView) -> None:
        self.rest = view
        self._clear()

    def failed(self) -> None:
        self.everything = True

    def _clear(self) -> None:
        self.everything, self.user = False, False
        self.guilds, self.messages, self.channel_lists, self.names = set(), set(), set(), set()

    def _note(self, frame: ReceivedFrame) -> None:
        t, d = frame.event_type, frame.data
        if t in VIEWLESS_EVENTS:
            return
        if t is None or not isinstance(d, dict):
            self.everything = True
            return
        guild, channel = d.get("guild_id"), d.get("channel_id")
        if t in MESSAGE_EVENTS and isinstance(guild, str) and isinstance(channel, str):
            self.messages.add((guild, channel))
            author = d.get("author_id")
            if isinstance(author, str):
                self.names.add(author)
        elif t in CHANNEL_LIST_EVENTS and isinstance(guild, str):
            self.channel_lists.add(guild)
        elif isinstance(guild, str):
            self.guilds.add(guild)
            self.user = True
        else:
            self.user = True
            self.names.update(v for k, v in d.items() if k.endswith("user_id") and isinstance(v, str))
