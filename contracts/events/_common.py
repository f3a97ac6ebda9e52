"""Pieces shared by several event payloads."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts.base import Omittable, WireModel
from contracts.types import Ulid, voice_identity


class WithActor(WireModel):
    """Events listed with ``actor_user_id`` in GATEWAY.md §4.

    The member is *declared optional* (omitted when absent) even though every current emitter supplies
    it (§4.0); only ``message_reaction`` documents it as always present and declares it itself.
    """

    actor_user_id: Omittable[Ulid] = None


def require_any_member(model: BaseModel, names: tuple[str, ...]) -> None:
    """Raise unless at least one of ``names`` was present in the input (null counts as present)."""
    if not set(names) & model.model_fields_set:
        raise ValueError(f"at least one of {list(names)} must be present")


def at_least_one_of(*names: str) -> dict[str, Any]:
    """JSON Schema fragment for "at least one of these members is present"."""
    return {"anyOf": [{"required": [name]} for name in names]}


def require_identity(identity: str, user_id: str, guild_id: str, channel_id: str) -> None:
    """Voice identities are ``u.<user_id>.<guild_id>.<channel_id>`` of the event's own ids."""
    if identity != voice_identity(user_id, guild_id, channel_id):
        raise ValueError("identity must be u.<user_id>.<guild_id>.<channel_id> of this event")
