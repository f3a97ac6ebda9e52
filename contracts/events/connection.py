"""Connection-scoped events (GATEWAY.md §4.1): sent to one connection only."""
from __future__ import annotations

from contracts.base import WireModel
from contracts.types import Ulid


class Ready(WireModel):
    """First data frame of every connection: only the authenticated user's id."""

    user_id: Ulid


class Subscribed(WireModel):
    """Ack of a successful ``subscribe``: the ids from the request."""

    channel_id: Ulid
    guild_id: Ulid
