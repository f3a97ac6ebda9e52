"""For every leak, ask REST whether the recipient could have read the same data with its own token.

A leaked frame the recipient could also have fetched (e.g. a profile, which any user may read) is an
over-delivery; one it could not (a message of a channel it may not see) is a security leak. The answer
goes into ``details.rest_readable`` (True / False / None when it cannot be told) with the probe used.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from harness.checks.types import CheckFailure
from harness.clients.rest import RestSession
from harness.errors import HarnessError
from harness.history import ReceivedFrame

_CHANNEL_EVENTS = ("message_", "subscribed", "voice_")
_FRIEND_EVENTS = ("friend_request_", "friend_remove")


class _Session(Protocol):
    recorder: Any

    def session_of_connection(self, conn: str) -> RestSession | None: ...


def probe_path(frame: ReceivedFrame) -> str | None:
    """The REST read that returns the same data as this frame, for its recipient."""
    d = frame.data if isinstance(frame.data, dict) else {}
    t = frame.event_type or ""
    guild, channel = d.get("guild_id"), d.get("channel_id")
    if t.startswith(_CHANNEL_EVENTS) and guild and channel:
        return f"/guilds/{guild}/channels/{channel}/messages?limit=1"
    if t == "workspace_ip_ban_sync" and guild:
        return f"/guilds/{guild}/ip-bans?limit=1"
    if guild:
        return f"/guilds/{guild}/channels"
    if t.startswith("profile_") and d.get("user_id"):
        return f"/users/{d['user_id']}/profile"
    if t.startswith(_FRIEND_EVENTS):
        return "/friends/requests" if t.startswith("friend_request_") else "/friends"
    return None


async def annotate_leaks(failures: list[CheckFailure], execution: _Session) -> list[CheckFailure]:
    out: list[CheckFailure] = []
    for failure in failures:
        if failure.kind != "leak" or failure.conn is None:
            out.append(failure)
            continue
        out.append(await _annotate(failure, execution))
    return out


async def _annotate(failure: CheckFailure, execution: _Session) -> CheckFailure:
    seq = failure.details.get("seq")
    frame = execution.recorder.frame(failure.conn, seq) if isinstance(seq, int) else None
    session = execution.session_of_connection(failure.conn)
    path = probe_path(frame) if frame is not None else None
    if frame is None or session is None or path is None:
        return replace(failure, details={**failure.details, "rest_readable": None})
    readable, status = await _readable(session, path, frame)
    return replace(failure, details={**failure.details, "rest_readable": readable,
                                     "rest_probe": f"GET {path} -> {status}"})


async def _readable(session: RestSession, path: str, frame: ReceivedFrame) -> tuple[bool | None, Any]:
    try:
        route, _, query = path.partition("?")
        params = dict(part.split("=", 1) for part in query.split("&") if part) or None
        status, body = await session.get(route, params)
    except HarnessError as exc:
        return None, f"error: {exc}"
    if status != 200:
        return False, status
    if (frame.event_type or "").startswith(_FRIEND_EVENTS):
        return _mentions_friend_data(body, frame.data), status
    return True, status


def _mentions_friend_data(body: Any, data: Any) -> bool:
    """Friend events are readable only if the recipient's own lists mention the same request or friend."""
    text = repr(body)
    ids = [data.get(key) for key in ("request_id", "friend_user_id", "user_id") if isinstance(data, dict)]
    return any(isinstance(value, str) and value in text for value in ids)
