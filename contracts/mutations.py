"""The emitter map of GATEWAY.md §5 as data: which mutation emits which events, in which order.

Row ids are stable names other packages use (the model's mutations, the coverage report). ``events``
lists the broadcasts of the common successful path in emission order; a personalised event sent as
one copy per party appears once per copy. ``may_emit`` lists the further event types the mutation can
cause (voice clean-up after kick/ban, the asynchronous voice re-evaluation after permission changes,
expiry pruning before a voice token), which a delivery check must not call unexpected.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping

Method = Literal["GET", "POST", "PATCH", "DELETE", "GATEWAY"]
RowScope = Literal["channel", "guild", "user"]

_VOICE_REMOVAL = ("voice_stream_unpublish", "voice_participant_leave")


@dataclass(frozen=True)
class MutationRow:
    id: str
    method: Method
    """HTTP method, or ``GATEWAY`` for the gateway ingress command."""
    path: str
    """Route template (REST.md §4), or the ingress command name for ``GATEWAY``."""
    events: tuple[str, ...]
    """Event types in emission order (one entry per broadcast, so per personalised copy)."""
    scope: RowScope
    conditional: str | None = None
    """When the events are *not* emitted although the call succeeds; None = every successful call."""
    needs_livekit: bool = False
    """Only observable with LiveKit configured (voice state exists only then)."""
    personalised: bool = False
    """Each party gets its own copy with different values (``user_id`` / ``friend_*``)."""
    may_emit: tuple[str, ...] = ()
    """Further event types the mutation may cause, possibly after the REST response."""
    recipients: str | None = None
    """Delivery order across recipients where §5 states one."""


_MSG = "/guilds/{guild_id}/channels/{channel_id}/messages"
_REACTION = _MSG + "/{message_id}/reactions/{emoji}"
_VOICE = "/guilds/{guild_id}/channels/{channel_id}/voice"
_ASYNC = "async voice re-evaluation may remove participants who lost subscribe_streams"

_ROWS = (
    MutationRow("message.create", "POST", _MSG, ("message_create",), "channel"),
    MutationRow("message.create.gateway", "GATEWAY", "message_create", ("message_create",), "channel",
                recipients="channel subscribers only; no direct ack to the sender (GATEWAY.md §3.2)"),
    MutationRow("message.edit", "PATCH", _MSG + "/{message_id}", ("message_update",), "channel"),
    MutationRow("message.delete", "DELETE", _MSG + "/{message_id}", ("message_delete",), "channel"),
    MutationRow("reaction.add", "POST", _REACTION, ("message_reaction",), "channel"),
    MutationRow("reaction.remove", "DELETE", _REACTION, ("message_reaction",), "channel"),
    MutationRow("channel.create", "POST", "/guilds/{guild_id}/channels", ("channel_create",), "guild"),
    MutationRow("workspace.update", "PATCH", "/guilds/{guild_id}", ("workspace_update",), "guild",
                conditional="only if name and/or visibility actually changed"),
    MutationRow("member.add", "POST", "/guilds/{guild_id}/members/{user_id}", ("workspace_member_add",), "guild",
                conditional="only if the user was newly added"),
    MutationRow("member.join", "POST", "/guilds/{guild_id}/join", ("workspace_member_add",), "guild",
                conditional="only for outcome accepted"),
    MutationRow("member.update", "PATCH", "/guilds/{guild_id}/members/{user_id}", ("workspace_member_update",), "guild",
                may_emit=_VOICE_REMOVAL, recipients=_ASYNC),
    MutationRow("member.kick", "POST", "/guilds/{guild_id}/members/{user_id}/kick", ("workspace_member_remove",), "guild",
                may_emit=_VOICE_REMOVAL, recipients="then the target leaves every voice channel of the guild"),
    MutationRow("member.ban", "POST", "/guilds/{guild_id}/members/{user_id}/ban",
                ("workspace_member_ban", "workspace_member_remove"), "guild",
                may_emit=_VOICE_REMOVAL, recipients="then the target leaves every voice channel of the guild"),
    MutationRow("role.create", "POST", "/guilds/{guild_id}/roles", ("workspace_role_create",), "guild"),
    MutationRow("role.update", "PATCH", "/guilds/{guild_id}/roles/{role_id}", ("workspace_role_update",), "guild"),
    MutationRow("role.delete", "DELETE", "/guilds/{guild_id}/roles/{role_id}", ("workspace_role_delete",), "guild",
                may_emit=_VOICE_REMOVAL, recipients=_ASYNC),
    MutationRow("role.reorder", "POST", "/guilds/{guild_id}/roles/reorder", ("workspace_role_reorder",), "guild"),
    MutationRow("role.assign", "POST", "/guilds/{guild_id}/roles/{role_id}/members/{user_id}",
                ("workspace_role_assignment_add",), "guild", may_emit=_VOICE_REMOVAL, recipients=_ASYNC),
    MutationRow("role.unassign", "DELETE", "/guilds/{guild_id}/roles/{role_id}/members/{user_id}",
                ("workspace_role_assignment_remove",), "guild", may_emit=_VOICE_REMOVAL, recipients=_ASYNC),
    MutationRow("channel.role_override", "POST", "/guilds/{guild_id}/channels/{channel_id}/overrides/{role}",
                ("workspace_channel_role_override_update",), "guild", may_emit=_VOICE_REMOVAL, recipients=_ASYNC),
    MutationRow("channel.permission_override", "POST",
                "/guilds/{guild_id}/channels/{channel_id}/permission-overrides/{target_kind}/{target_id}",
                ("workspace_channel_permission_override_update",), "guild", may_emit=_VOICE_REMOVAL, recipients=_ASYNC),
    MutationRow("ip_ban.upsert", "POST", "/guilds/{guild_id}/ip-bans/by-user", ("workspace_ip_ban_sync",), "guild",
                conditional="only if at least one ban entry was created (summary.action upsert)",
                recipients="only guild connections of users who may moderate IP bans"),
    MutationRow("ip_ban.remove", "DELETE", "/guilds/{guild_id}/ip-bans/{ban_id}", ("workspace_ip_ban_sync",), "guild",
                recipients="only guild connections of users who may moderate IP bans"),
    MutationRow("voice.token", "POST", _VOICE + "/token", ("voice_participant_join", "voice_stream_publish"), "channel",
                conditional="new participant: join then one publish per stream; an existing participant gets "
                            "voice_participant_update (is_screen_share_enabled, is_speaking, is_video_enabled) then "
                            "unpublish/publish for changed streams; expired participants and the user's old channel "
                            "are cleaned up first (unpublish per stream, then leave)",
                needs_livekit=True,
                may_emit=("voice_stream_unpublish", "voice_participant_leave", "voice_participant_update")),
    MutationRow("voice.leave", "POST", _VOICE + "/leave", ("voice_stream_unpublish", "voice_participant_leave"), "channel",
                conditional="only if the caller is a participant of that channel; one unpublish per stream",
                needs_livekit=True),
    MutationRow("voice.state", "POST", _VOICE + "/state", ("voice_participant_update",), "channel",
                conditional="only members whose value changed; nothing if no change or not a participant",
                needs_livekit=True),
    MutationRow("profile.update", "PATCH", "/users/me/profile", ("profile_update",), "user",
                recipients="the actor's connections first, then each observer (friends and guild co-members)"),
    MutationRow("profile.avatar", "POST", "/users/me/profile/avatar", ("profile_avatar_update",), "user",
                recipients="the actor's connections first, then each observer"),
    MutationRow("profile.banner", "POST", "/users/me/profile/banner", ("profile_banner_update",), "user",
                recipients="the actor's connections first, then each observer"),
    MutationRow("friend.request.create", "POST", "/friends/requests", ("friend_request_create",), "user",
                recipients="the identical event to the sender, then the recipient"),
    MutationRow("friend.request.accept", "POST", "/friends/requests/{request_id}/accept",
                ("friend_request_update", "friend_request_update"), "user", personalised=True,
                recipients="acceptor's copy to the acceptor, then the sender's copy to the sender"),
    MutationRow("friend.request.delete", "DELETE", "/friends/requests/{request_id}", ("friend_request_delete",), "user",
                recipients="the identical event to the sender, then the recipient"),
    MutationRow("friend.remove", "DELETE", "/friends/{friend_user_id}", ("friend_remove", "friend_remove"), "user",
                conditional="only if a friendship existed (the endpoint returns 204 either way)", personalised=True,
                recipients="remover's copy to the remover, then the peer's copy to the peer"),
)

MUTATIONS: Mapping[str, MutationRow] = MappingProxyType({row.id: row for row in _ROWS})
"""All 33 rows of GATEWAY.md §5 (32 REST routes + gateway ``message_create``), in table order."""

CATALOGUE_ROWS: tuple[str, ...] = tuple(row.id for row in _ROWS if not row.needs_livekit)
"""The 30 rows observable without LiveKit: the coverage denominator."""


def coverage_rows(*, include_livekit: bool = False) -> tuple[MutationRow, ...]:
    """Rows a run can cover; voice rows only when the target has LiveKit configured."""
    return tuple(row for row in _ROWS if include_livekit or not row.needs_livekit)


@dataclass(frozen=True)
class SilentMutation:
    """A successful mutation that emits nothing on the gateway (GATEWAY.md §5)."""

    method: Method
    path: str
    when: str | None = None
    """None: never emits; otherwise the case in which an otherwise-emitting route stays silent."""


SILENT_MUTATIONS: tuple[SilentMutation, ...] = (
    SilentMutation("POST", "/auth/register"),
    SilentMutation("POST", "/auth/login"),
    SilentMutation("POST", "/auth/refresh"),
    SilentMutation("POST", "/auth/logout"),
    SilentMutation("POST", "/guilds"),
    SilentMutation("POST", "/guilds/{guild_id}/roles/default"),
    SilentMutation("POST", "/guilds/{guild_id}/members/{user_id}", "the user is already a member"),
    SilentMutation("POST", "/guilds/{guild_id}/join", "outcome already_member, and every rejected outcome"),
    SilentMutation("PATCH", "/guilds/{guild_id}", "nothing actually changed"),
    SilentMutation("POST", "/guilds/{guild_id}/ip-bans/by-user", "zero ban entries were created"),
    SilentMutation("DELETE", "/friends/{friend_user_id}", "no friendship existed"),
    SilentMutation("POST", "/guilds/{guild_id}/channels/{channel_id}/attachments"),
    SilentMutation("DELETE", "/guilds/{guild_id}/channels/{channel_id}/attachments/{attachment_id}"),
    SilentMutation("POST", "/guilds/{guild_id}/search/rebuild"),
    SilentMutation("POST", "/guilds/{guild_id}/search/reconcile"),
    SilentMutation("POST", "/users/lookup"),
    SilentMutation("POST", _VOICE + "/leave", "the caller is not a participant of that channel"),
    SilentMutation("POST", _VOICE + "/state", "no value changed or the caller is not a participant"),
)

SILENT_SIDE_EFFECTS: tuple[str, ...] = (
    "default-join-role assignment on add/join (no workspace_role_assignment_add)",
    "assignment clean-up caused by role delete, kick, ban or a legacy role change",
    "guild or channel deletion (no such endpoints)",
    "channel_update / channel_delete (documented as planned, not implemented)",
)
"""State changes that happen as part of another mutation but emit no event of their own."""
