"""Named planted faults, switched on by configuration (`faults: [...]` or `--fault NAME`).

The server behaves exactly per contract unless a fault is active. Every outbound event passes
through `emitter.py`, which asks `FaultSet` at a handful of well-defined points (suppression,
audience, payload shape, duplicate delivery, slow consumer); the faults that need a route's own
context (event order, stale content, per-recipient copies, no-op emission, the leaked network) are
switches at that route's emission point. `web.*` faults do nothing in the server: they are handed to
the web client through `/assets/reference-config.js`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

EVENT_TYPES: tuple[str, ...] = (
    "ready",
    "subscribed",
    "presence_sync",
    "presence_update",
    "voice_participant_sync",
    "message_create",
    "message_update",
    "message_delete",
    "message_reaction",
    "channel_create",
    "workspace_update",
    "workspace_member_add",
    "workspace_member_update",
    "workspace_member_remove",
    "workspace_member_ban",
    "workspace_role_create",
    "workspace_role_update",
    "workspace_role_delete",
    "workspace_role_reorder",
    "workspace_role_assignment_add",
    "workspace_role_assignment_remove",
    "workspace_channel_role_override_update",
    "workspace_channel_permission_override_update",
    "workspace_ip_ban_sync",
    "profile_update",
    "profile_avatar_update",
    "profile_banner_update",
    "friend_request_create",
    "friend_request_update",
    "friend_request_delete",
    "friend_remove",
    "voice_participant_join",
    "voice_participant_leave",
    "voice_participant_update",
    "voice_stream_publish",
    "voice_stream_unpublish",
)


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    component: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


SERVER_FAULTS: tuple[Fault, ...] = (
    Fault("server.channel_events_skip_access_check",
          "Channel events go to every subscribed connection without re-checking access at delivery: "
          "kicked, banned and override-denied users keep receiving messages.", "gateway.audience"),
    Fault("server.guild_events_to_removed_members",
          "Guild events still reach guild connections of users who were kicked or banned.", "gateway.audience"),
    Fault("server.ip_ban_sync_to_all_members",
          "workspace_ip_ban_sync goes to every member's guild connections, not only IP-ban moderators.",
          "gateway.audience"),
    Fault("server.profile_update_to_everyone",
          "profile_* events go to every connected user, not only the owner, friends and co-members.",
          "gateway.audience"),
    Fault("server.duplicate_message_create",
          "message_create is enqueued twice to every recipient.", "gateway.delivery"),
    Fault("server.ban_events_swapped",
          "A ban emits workspace_member_remove before workspace_member_ban.", "gateway.order"),
    Fault("server.no_slow_consumer_close",
          "A connection whose outbound queue is full silently loses the event and is never closed.",
          "gateway.connection"),
    Fault("server.ip_ban_sync_leaks_ip",
          "workspace_ip_ban_sync.summary carries the banned network as `ip`.", "gateway.redaction"),
    Fault("server.legacy_reaction_payload",
          "message_reaction uses the legacy count-only payload (no operation, no actor_user_id).",
          "gateway.payload"),
    Fault("server.reaction_count_as_string",
          "message_reaction.count is sent as a string.", "gateway.payload"),
    Fault("server.message_update_stale_content",
          "message_update carries the content from before the edit.", "gateway.payload"),
    Fault("server.profile_update_missing_tokens",
          "profile_update omits about_markdown_tokens.", "gateway.payload"),
    Fault("server.friend_update_same_copy",
          "Both parties of an accepted friend request receive the acceptor's copy.", "gateway.payload"),
    Fault("server.channel_events_to_guild",
          "Channel events go to every guild connection of the guild instead of the channel's listeners.",
          "gateway.audience"),
    Fault("server.friend_events_to_everyone",
          "friend_* events go to every connected user, not only the two parties.", "gateway.audience"),
    Fault("server.noop_workspace_patch_emits",
          "PATCH /guilds/{id} that changes nothing still emits workspace_update with the request's fields.",
          "gateway.emission"),
    # Rollout-checklist faults (docs/rollout.md): each makes one item of `sync-harness rollout` fail.
    Fault("server.metrics_missing_family",
          "/metrics omits the filament_gateway_events_unknown_received_total family.", "metrics"),
    Fault("server.parse_rejected_not_counted",
          "filament_gateway_events_parse_rejected_total never moves (the frames are still rejected).", "metrics"),
    Fault("server.silent_drop_message_update",
          "message_update is counted as emitted but never enqueued: a silent drop.", "gateway.delivery"),
    Fault("server.message_create_renamed_field",
          "message_create carries author_user_id instead of author_id (a renamed field).", "gateway.payload"),
)

WEB_FAULTS: tuple[Fault, ...] = (
    Fault("web.gear_missing", "The web client does not render the client settings gear in the account footer.", "web"),
    Fault("web.server_settings_opens_client_panel",
          "The web client's workspace-settings action opens the client settings panel.", "web"),
    Fault("web.rename_not_applied",
          "The web client does not apply workspace_update renames to the DOM.", "web"),
    Fault("web.edit_not_applied",
          "The web client does not apply message_update edits to the DOM.", "web"),
    Fault("web.crash_on_unknown_event",
          "The web client's frame handler dies on an event type it does not know: every later frame is lost.",
          "web"),
)


def suppress_faults() -> tuple[Fault, ...]:
    return tuple(
        Fault(f"suppress:{t}", f"The server never emits `{t}` (everything else behaves normally).", "gateway.emission")
        for t in EVENT_TYPES
    )


def catalogue() -> list[Fault]:
    return [*SERVER_FAULTS, *suppress_faults(), *WEB_FAULTS]


class UnknownFault(ValueError):
    pass


class FaultSet:
    """The active faults of one server process."""

    def __init__(self, names: list[str] | tuple[str, ...] = (), silenced: frozenset[str] = frozenset()) -> None:
        known = {fault.name for fault in catalogue()}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise UnknownFault(f"unknown fault {unknown[0]!r} (see --list-faults)")
        self.names = frozenset(names)
        self.silenced = silenced
        """Event types the server profile never emits (not a fault: an older server version)."""

    def on(self, name: str) -> bool:
        return name in self.names

    def suppresses(self, event_type: str) -> bool:
        return f"suppress:{event_type}" in self.names or event_type in self.silenced

    def web_faults(self) -> list[str]:
        return sorted(name for name in self.names if name.startswith("web."))
