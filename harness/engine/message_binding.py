"""Binding the ids of messages created over the gateway.

A gateway ``message_create`` has no response: the model learns the new message's id from the
frame attributed to its expectation. When nobody is subscribed to the channel no such frame is due,
so the id is found instead in the channel's listing, read with the author's own REST session, by
author and content (scenarios keep gateway contents unique). Unbound, the message would be absent
from the model's projection while REST shows it to a later subscriber: a false divergence.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.clients.rest import RestSession
from harness.clients.snapshot import MESSAGE_WINDOW
from harness.model.oracle import Model
from harness.model.world import Message


async def bind_from_listings(model: Model, session_of: Callable[[str], RestSession | None]) -> None:
    """Bind every still-unbound gateway-created message found in its channel's newest messages;
    one not found stays unbound (the next settle tries again, convergence reports what REST shows)."""
    for message in model.unbound_messages():
        session = session_of(message.author)
        if session is None:
            continue
        message_id = await _find(model, session, message)
        if message_id is not None:
            model.bind_message(message.alias, message_id)


async def _find(model: Model, session: RestSession, message: Message) -> str | None:
    world = model.world
    gid, cid = world.guild_id(message.guild), world.channel_id(message.channel)
    status, body = await session.get(f"/guilds/{gid}/channels/{cid}/messages", {"limit": MESSAGE_WINDOW})
    if status != 200 or not isinstance(body, dict):
        return None
    author = world.user_id(message.author)
    return next((m["message_id"] for m in body.get("messages", [])
                 if isinstance(m, dict) and m.get("author_id") == author and m.get("content") == message.content
                 and isinstance(m.get("message_id"), str)), None)
