"""Presence events (GATEWAY.md §4.1, §4.3, §8)."""
from __future__ import annotations

from contracts.base import WireEnum, WireModel
from contracts.types import DistinctUlids, PresenceStatus, Ulid


class PresenceSync(WireModel):
    """Guild presence snapshot, to the subscribing connection only. ``user_ids`` order is unspecified."""

    guild_id: Ulid
    user_ids: DistinctUlids


class PresenceUpdate(WireModel):
    """A user's first connection came online in, or its last one left, the guild. No actor."""

    guild_id: Ulid
    status: WireEnum[PresenceStatus]
    user_id: Ulid
