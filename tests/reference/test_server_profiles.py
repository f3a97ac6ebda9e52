"""Server profiles: the reference target behaving as an older Filament (WEB_UI.md §5)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from harness.reference.server.config import ServerConfig

from .helpers import Gw, world


async def frames_until_barrier(gw: Gw, api, w) -> list[str]:
    """Event types up to a last message (these old profiles emit no profile_update, the usual barrier)."""
    await api.message(w.owner, w.guild_id, w.channel_id, content="barrier")
    seen = []
    while True:
        frame = await gw.next()
        if frame.t == "message_create" and frame.d.get("content") == "barrier":
            return seen
        if not frame.t.startswith("presence_"):
            seen.append(frame.t)


async def subscribed(gw: Gw, w) -> None:
    """These profiles emit no voice_participant_sync after the ack (no voice yet)."""
    await gw.send("subscribe", {"guild_id": w.guild_id, "channel_id": w.channel_id})
    while (await gw.next()).t != "subscribed":
        pass


def test_an_unknown_server_profile_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="unknown server profile 'v0'"):
        ServerConfig(server_profile="v0")


async def test_pre_lifecycle_emits_no_edit_or_delete_and_has_no_workspace_patch(start_server) -> None:
    server = await start_server(server_profile="pre-lifecycle")
    api = server.api
    w = await world(api)
    gw = await server.gw(w.member)
    await subscribed(gw, w)
    message = await api.message(w.owner, w.guild_id, w.channel_id)
    path = f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages/{message['message_id']}"
    await api.ok("PATCH", path, w.owner, json={"content": "edited"})
    await api.ok("DELETE", path, w.owner, status=204)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"name": "renamed"}, status=404)
    assert await frames_until_barrier(gw, api, w) == ["message_create"]


async def test_pre_workspace_emits_edits_and_deletes_but_no_member_events(start_server) -> None:
    server = await start_server(server_profile="pre-workspace")
    api = server.api
    w = await world(api)
    gw = await server.gw(w.owner)
    await subscribed(gw, w)
    message = await api.message(w.owner, w.guild_id, w.channel_id)
    path = f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages/{message['message_id']}"
    await api.ok("PATCH", path, w.owner, json={"content": "edited"})
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}/kick", w.owner)
    assert await frames_until_barrier(gw, api, w) == ["message_create", "message_update"]
