"""Voice events (GATEWAY.md §4.1 ``voice_participant_sync`` and §4.5)."""
from __future__ import annotations

from pydantic import ConfigDict, model_validator

from contracts.base import Omittable, WireEnum, WireModel
from contracts.events._common import at_least_one_of, require_any_member, require_identity
from contracts.types import StreamKind, Ulid, UnixSeconds, VoiceIdentity, VoiceParticipant


class _InChannel(WireModel):
    channel_id: Ulid
    guild_id: Ulid


class _ParticipantEvent(_InChannel):
    """An event about one participant: its identity must name this user, guild and channel."""

    identity: VoiceIdentity
    user_id: Ulid

    @model_validator(mode="after")
    def _identity_matches(self) -> _ParticipantEvent:
        require_identity(self.identity, self.user_id, self.guild_id, self.channel_id)
        return self


class VoiceParticipantSync(_InChannel):
    """Roster snapshot to the subscribing connection, sorted by ``joined_at_unix`` then ``identity``."""

    participants: list[VoiceParticipant]
    synced_at_unix: UnixSeconds

    @model_validator(mode="after")
    def _roster(self) -> VoiceParticipantSync:
        for participant in self.participants:
            require_identity(participant.identity, participant.user_id, self.guild_id, self.channel_id)
        keys = [(p.joined_at_unix, p.identity) for p in self.participants]
        if keys != sorted(keys):
            raise ValueError("participants must be sorted by joined_at_unix, then identity")
        return self


class VoiceParticipantJoin(_InChannel):
    participant: VoiceParticipant

    @model_validator(mode="after")
    def _identity_matches(self) -> VoiceParticipantJoin:
        p = self.participant
        require_identity(p.identity, p.user_id, self.guild_id, self.channel_id)
        return self


class VoiceParticipantLeave(_ParticipantEvent):
    left_at_unix: UnixSeconds


class VoiceUpdatedFields(WireModel):
    """Only the members whose value changed, at least one."""

    model_config = ConfigDict(
        json_schema_extra=at_least_one_of(
            "is_deafened", "is_muted", "is_screen_share_enabled", "is_speaking", "is_video_enabled"
        )
    )

    is_deafened: Omittable[bool] = None
    is_muted: Omittable[bool] = None
    is_screen_share_enabled: Omittable[bool] = None
    is_speaking: Omittable[bool] = None
    is_video_enabled: Omittable[bool] = None

    @model_validator(mode="after")
    def _not_empty(self) -> VoiceUpdatedFields:
        require_any_member(self, tuple(type(self).model_fields))
        return self


class VoiceParticipantUpdate(_ParticipantEvent):
    updated_at_unix: UnixSeconds
    updated_fields: VoiceUpdatedFields


class VoiceStreamPublish(_ParticipantEvent):
    published_at_unix: UnixSeconds
    stream: WireEnum[StreamKind]


class VoiceStreamUnpublish(_ParticipantEvent):
    stream: WireEnum[StreamKind]
    unpublished_at_unix: UnixSeconds
