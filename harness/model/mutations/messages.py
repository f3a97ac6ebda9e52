"""Rows ``message.create``, ``message.create.gateway``, ``message.edit``, ``message.delete``,
``reaction.add``, ``reaction.remove`` (REST.md §10, GATEWAY.md §3.2, §4.2). All channel scope."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import quote

from harness.errors import ScenarioError
from harness.history import ConnectionId
from harness.model import permissions as perms
from harness.model.expectations import PRESENT
from harness.model.mutations import rules
from harness.model.mutations.base import (
    EventPrediction, GatewayCall, Mutation, RestCall, RestResult, Verdict, bad_request, forbidden, not_found, ok,
)
from harness.model.world import Message, World


def _channel_path(world: World, channel: str) -> str:
    ch = world.channel(channel)
    return f"/guilds/{world.guild_id(ch.guild)}/channels/{world.channel_id(channel)}"


def _message_path(world: World, message: str) -> str:
    msg = world.message(message)
    return f"{_channel_path(world, msg.channel)}/messages/{world.message_id(message)}"


def _new_message_event(world: World, msg: Message, match: dict) -> EventPrediction:
    ch = world.channel(msg.channel)
    return EventPrediction(
        "message_create", "channel", match=match,
        fields={"content": msg.content, "author_id": world.user_id(msg.author), "guild_id": world.guild_id(ch.guild),
                "channel_id": world.channel_id(msg.channel), "reactions": [], "attachments": []},
        guild=ch.guild, channel=msg.channel,
    )


@dataclass(frozen=True)
class CreateMessage(Mutation):
    actor: str
    channel: str
    message: str
    content: str
    row: ClassVar[str] = "message.create"

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"{_channel_path(world, self.channel)}/messages", json={"content": self.content})

    def verdict(self, world: World) -> Verdict:
        if self.message in world.messages:
            raise ScenarioError(f"message alias {self.message!r} is created twice")
        guild = world.channel(self.channel).guild
        if refusal := rules.ip_gate(world, guild):
            return refusal
        if not rules.valid_content(self.content):
            return bad_request()
        return rules.channel_perm_gate(world, self.channel, self.actor, "create_message") or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        ch = world.channel(self.channel)
        msg = Message(self.message, ch.guild, self.channel, self.actor, self.content)
        world.add_message(msg)
        world.bind("message", self.message, result.body["message_id"])
        return [_new_message_event(world, msg, {"message_id": msg.id})]

    def guild_alias(self, world: World) -> str | None:
        return world.channel(self.channel).guild


@dataclass(frozen=True)
class GatewayMessage(Mutation):
    """Gateway ``message_create`` command. No response exists: the runner passes ``GATEWAY_SENT`` and
    binds the id from the attributed frame (``Model.bind_message``). A refusal is a disconnect
    (``message_rejected``, ``ip_banned`` or ``invalid_message_create_payload``), predicted as status 0."""

    actor: str
    channel: str
    message: str
    content: str
    conn: ConnectionId | None = None
    row: ClassVar[str] = "message.create.gateway"

    def call(self, world: World) -> GatewayCall:
        ch = world.channel(self.channel)
        data = {"guild_id": world.guild_id(ch.guild), "channel_id": world.channel_id(self.channel),
                "content": self.content}
        return GatewayCall(self.conn, {"v": 1, "t": "message_create", "d": data})

    def verdict(self, world: World) -> Verdict:
        if self.message in world.messages:
            raise ScenarioError(f"message alias {self.message!r} is created twice")
        if not rules.valid_content(self.content):
            return Verdict(False, 0, "invalid_message_create_payload")
        if world.harness_ip_banned(world.channel(self.channel).guild):
            return Verdict(False, 0, "ip_banned")
        if not perms.may_see_channel(world, self.channel, self.actor):
            return Verdict(False, 0, "message_rejected")
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        ch = world.channel(self.channel)
        msg = Message(self.message, ch.guild, self.channel, self.actor, self.content)
        world.add_message(msg)
        # No id yet: attribute by author + channel + content (scenarios keep gateway contents unique).
        match = {"channel_id": world.channel_id(self.channel), "author_id": world.user_id(self.actor),
                 "content": self.content}
        return [_new_message_event(world, msg, match)]

    def guild_alias(self, world: World) -> str | None:
        return world.channel(self.channel).guild


def _existing_message_refusal(world: World, message: str, actor: str) -> Verdict | None:
    """Edit/delete: IP gate, membership, message in channel, then author or C-perm delete_message."""
    msg = world.message(message)
    if refusal := rules.member_gate(world, msg.guild, actor):
        return refusal
    if msg.deleted:
        return not_found()
    if msg.author == actor or perms.has_channel_perm(world, msg.channel, actor, "delete_message"):
        return None
    return forbidden()


@dataclass(frozen=True)
class EditMessage(Mutation):
    actor: str
    message: str
    content: str
    row: ClassVar[str] = "message.edit"

    def call(self, world: World) -> RestCall:
        return RestCall("PATCH", _message_path(world, self.message), json={"content": self.content})

    def verdict(self, world: World) -> Verdict:
        msg = world.message(self.message)
        if refusal := rules.ip_gate(world, msg.guild):
            return refusal
        if not rules.valid_content(self.content):
            return bad_request()
        return _existing_message_refusal(world, self.message, self.actor) or ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        msg = world.message(self.message)
        msg.content = self.content
        return [EventPrediction(
            "message_update", "channel", match={"message_id": msg.id},
            fields={"updated_fields.content": self.content, "updated_fields.markdown_tokens": PRESENT,
                    "channel_id": world.channel_id(msg.channel), "guild_id": world.guild_id(msg.guild)},
            guild=msg.guild, channel=msg.channel,
        )]

    def guild_alias(self, world: World) -> str | None:
        return world.message(self.message).guild


@dataclass(frozen=True)
class DeleteMessage(Mutation):
    actor: str
    message: str
    row: ClassVar[str] = "message.delete"

    def call(self, world: World) -> RestCall:
        return RestCall("DELETE", _message_path(world, self.message))

    def verdict(self, world: World) -> Verdict:
        msg = world.message(self.message)
        refusal = rules.ip_gate(world, msg.guild) or _existing_message_refusal(world, self.message, self.actor)
        return refusal or ok(204)

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        msg = world.message(self.message)
        msg.deleted = True
        msg.reactions.clear()
        return [EventPrediction(
            "message_delete", "channel", match={"message_id": msg.id},
            fields={"channel_id": world.channel_id(msg.channel), "guild_id": world.guild_id(msg.guild)},
            guild=msg.guild, channel=msg.channel,
        )]

    def guild_alias(self, world: World) -> str | None:
        return world.message(self.message).guild


@dataclass(frozen=True)
class _Reaction(Mutation):
    actor: str
    message: str
    emoji: str
    operation: ClassVar[str] = "add"
    method: ClassVar[str] = "POST"

    def call(self, world: World) -> RestCall:
        return RestCall(self.method, f"{_message_path(world, self.message)}/reactions/{quote(self.emoji, safe='')}")

    def verdict(self, world: World) -> Verdict:
        msg = world.message(self.message)
        if not rules.valid_emoji(self.emoji):
            return bad_request()
        refusal = rules.ip_gate(world, msg.guild) or rules.channel_perm_gate(
            world, msg.channel, self.actor, "create_message")
        if refusal:
            return refusal
        # Unknown (deleted) message: POST is 404. DELETE follows Filament's shipped Postgres build and
        # the reference target: 200 with count 0, and ``message_reaction`` is still emitted (memory
        # mode answers 404 instead, REST.md §10.5).
        return not_found() if msg.deleted and self.operation == "add" else ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        msg = world.message(self.message)
        reactors = msg.reactions.setdefault(self.emoji, set())
        if self.operation == "add":
            reactors.add(self.actor)
        else:
            reactors.discard(self.actor)
        count = len(reactors)
        if not reactors:
            del msg.reactions[self.emoji]
        return [EventPrediction(
            "message_reaction", "channel",
            match={"message_id": msg.id, "emoji": self.emoji, "operation": self.operation,
                   "actor_user_id": world.user_id(self.actor)},
            fields={"count": count, "channel_id": world.channel_id(msg.channel), "guild_id": world.guild_id(msg.guild)},
            guild=msg.guild, channel=msg.channel,
        )]

    def guild_alias(self, world: World) -> str | None:
        return world.message(self.message).guild


@dataclass(frozen=True)
class AddReaction(_Reaction):
    row: ClassVar[str] = "reaction.add"


@dataclass(frozen=True)
class RemoveReaction(_Reaction):
    row: ClassVar[str] = "reaction.remove"
    operation: ClassVar[str] = "remove"
    method: ClassVar[str] = "DELETE"
