"""Classifying a frame no expectation claimed: MUST_NOT (a leak) when its recipient may not see what
it is about, else MAY (an unexpected but harmless over-delivery).

Evaluated on the current world (the frame may be late; the current state is the best the model has).
Unknown event types and frames about entities the model does not know are MAY: the contract check
reports unknown types, and a frame the model cannot place is not provably a leak.
"""
from __future__ import annotations

from typing import Any

from harness.history import ReceivedFrame
from harness.model import permissions as perms
from harness.model.audience import profile_observers
from harness.model.connections import Connections
from harness.model.expectations import Delivery
from harness.model.world import World

CHANNEL_EVENTS = frozenset({
    "message_create", "message_update", "message_delete", "message_reaction", "voice_participant_sync",
    "voice_participant_join", "voice_participant_leave", "voice_participant_update", "voice_stream_publish",
    "voice_stream_unpublish", "subscribed",
})
GUILD_EVENTS = frozenset({
    "channel_create", "presence_update", "presence_sync", "workspace_update", "workspace_member_add",
    "workspace_member_update", "workspace_member_remove", "workspace_member_ban", "workspace_role_create",
    "workspace_role_update", "workspace_role_delete", "workspace_role_reorder", "workspace_role_assignment_add",
    "workspace_role_assignment_remove", "workspace_channel_role_override_update",
    "workspace_channel_permission_override_update",
})
PROFILE_EVENTS = frozenset({"profile_update", "profile_avatar_update", "profile_banner_update"})
FRIEND_EVENTS = frozenset({"friend_request_create", "friend_request_update", "friend_request_delete", "friend_remove"})


def classify(world: World, conns: Connections, frame: ReceivedFrame) -> Delivery:
    conn = conns.get(frame.conn)
    if conn is None or not isinstance(frame.data, dict):
        return Delivery.MAY
    user, data, t = conn.user, frame.data, frame.event_type or ""
    if t == "ready":
        return _allow(data.get("user_id") == world.users[user].id)
    if t in CHANNEL_EVENTS:
        channel = world.alias_of("channel", str(data.get("channel_id")))
        return Delivery.MAY if channel is None else _allow(perms.may_see_channel(world, channel, user))
    if t in GUILD_EVENTS or t == "workspace_ip_ban_sync":
        return _guild(world, user, t, data)
    if t in PROFILE_EVENTS:
        owner = world.alias_of("user", str(data.get("user_id")))
        return Delivery.MAY if owner is None else _allow(user in profile_observers(world, owner))
    if t in FRIEND_EVENTS:
        return _friend(world, user, data)
    return Delivery.MAY


def _allow(ok: bool) -> Delivery:
    return Delivery.MAY if ok else Delivery.MUST_NOT


def _guild(world: World, user: str, t: str, data: dict[str, Any]) -> Delivery:
    guild = world.alias_of("guild", str(data.get("guild_id")))
    if guild is None:
        return Delivery.MAY
    g = world.guild(guild)
    if t in ("workspace_member_remove", "workspace_member_ban") and data.get("user_id") == world.users[user].id:
        return Delivery.MAY  # the removed user's own removal
    if t == "workspace_ip_ban_sync":
        return _allow(perms.may_moderate_ip_bans(world, g, user))
    return _allow(perms.is_member(g, user) or perms.is_server_owner(world, user))


def _friend(world: World, user: str, data: dict[str, Any]) -> Delivery:
    me = world.users[user].id
    if "request_id" in data and not any(k in data for k in ("sender_user_id", "user_id")):
        alias = world.alias_of("request", str(data["request_id"]))
        if alias is None:
            return Delivery.MAY
        req = world.request(alias)
        return _allow(user in (req.sender, req.recipient))
    parties = {data.get(k) for k in ("sender_user_id", "recipient_user_id", "user_id", "friend_user_id")}
    return _allow(me in parties)
