"""Presence events (GATEWAY.md §4.1, §4.3, §8)."""
from __future__ import annotations

from pydantic import field_validator

from contracts.base import WireEnum, WireModel
from contracts.types import PresenceStatus, Ulid


class PresenceSync(WireModel):
    """Guild presence snapshot, to the subscribing connection only. ``user_ids`` order is unspecified."""

    guild_id: Ulid
    user_ids: list[Ulid]

    @field_validator("user_ids")
    @classmethod
    def _distinct(cls, user_ids: list[str]) -> list[str]:
        if len(set(user_ids)) != len(user_ids):
            raise ValueError("user_ids must be distinct")
        return user_ids


class PresenceUpdate(WireModel):
    """A user's first connection came online in, or its last one left, the guild. No actor."""

    guild_id: Ulid
    status: WireEnum[PresenceStatus]
    user_id: Ulid
