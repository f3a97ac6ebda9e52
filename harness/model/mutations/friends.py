"""Rows ``friend.request.create``, ``friend.request.accept``, ``friend.request.delete``,
``friend.remove`` (REST.md §7, GATEWAY.md §4.4). Both parties' connections; accept and remove send
personalised copies (``user_id`` = the recipient of that copy)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.errors import ScenarioError
from harness.model.mutations.base import (
    EventPrediction, Mutation, RestCall, RestResult, Verdict, bad_request, not_found, ok,
)
from harness.model.world import FriendRequest, World


def _request_id(world: World, alias: str) -> str:
    req = world.request(alias)
    if req.id is None:
        raise ScenarioError(f"friend request {alias!r} has no server id (was it created?)")
    return req.id


@dataclass(frozen=True)
class SendFriendRequest(Mutation):
    actor: str
    to: str
    request: str
    row: ClassVar[str] = "friend.request.create"

    def call(self, world: World) -> RestCall:
        return RestCall("POST", "/friends/requests", json={"recipient_user_id": world.user_id(self.to)})

    def verdict(self, world: World) -> Verdict:
        if self.request in world.friend_requests:
            raise ScenarioError(f"friend request alias {self.request!r} is used twice")
        world.user(self.to)
        if self.to == self.actor or world.are_friends(self.actor, self.to):
            return bad_request()
        if world.pending_request_between(self.actor, self.to) is not None:
            return bad_request()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        world.friend_requests[self.request] = FriendRequest(self.request, self.actor, self.to)
        world.bind("request", self.request, result.body["request_id"])
        sender, recipient = world.user(self.actor), world.user(self.to)
        return [EventPrediction(
            "friend_request_create", "users", match={"request_id": result.body["request_id"]},
            fields={"sender_user_id": sender.id, "sender_username": sender.username,
                    "recipient_user_id": recipient.id, "recipient_username": recipient.username},
            users=(self.actor, self.to),
        )]


@dataclass(frozen=True)
class AcceptFriendRequest(Mutation):
    actor: str
    request: str
    row: ClassVar[str] = "friend.request.accept"

    def call(self, world: World) -> RestCall:
        return RestCall("POST", f"/friends/requests/{_request_id(world, self.request)}/accept")

    def verdict(self, world: World) -> Verdict:
        req = world.request(self.request)
        if req.state != "pending" or req.recipient != self.actor:
            return not_found()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        req = world.request(self.request)
        req.state = "accepted"
        world.friendships.add(frozenset((req.sender, req.recipient)))
        # Acceptor's copy first, then the sender's (GATEWAY.md §4.4).
        return [self._copy(world, req, for_user=req.recipient, other=req.sender),
                self._copy(world, req, for_user=req.sender, other=req.recipient)]

    def _copy(self, world: World, req: FriendRequest, *, for_user: str, other: str) -> EventPrediction:
        return EventPrediction(
            "friend_request_update", "users",
            match={"request_id": req.id, "user_id": world.user_id(for_user)},
            fields={"friend_user_id": world.user_id(other), "friend_username": world.user(other).username,
                    "state": "accepted", "actor_user_id": world.user_id(self.actor)},
            users=(for_user,),
        )


@dataclass(frozen=True)
class DeleteFriendRequest(Mutation):
    actor: str
    request: str
    row: ClassVar[str] = "friend.request.delete"

    def call(self, world: World) -> RestCall:
        return RestCall("DELETE", f"/friends/requests/{_request_id(world, self.request)}")

    def verdict(self, world: World) -> Verdict:
        req = world.request(self.request)
        if req.state != "pending" or self.actor not in (req.sender, req.recipient):
            return not_found()
        return ok(204)

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        req = world.request(self.request)
        req.state = "deleted"
        return [EventPrediction("friend_request_delete", "users", match={"request_id": req.id},
                                fields={"actor_user_id": world.user_id(self.actor)}, users=(req.sender, req.recipient))]


@dataclass(frozen=True)
class RemoveFriend(Mutation):
    """DELETE /friends/{u}: 204 either way; events only when a friendship existed."""

    actor: str
    friend: str
    row: ClassVar[str] = "friend.remove"

    def call(self, world: World) -> RestCall:
        return RestCall("DELETE", f"/friends/{world.user_id(self.friend)}")

    def verdict(self, world: World) -> Verdict:
        world.user(self.friend)
        return bad_request() if self.friend == self.actor else ok(204)

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        pair = frozenset((self.actor, self.friend))
        if pair not in world.friendships:
            return []
        world.friendships.discard(pair)
        return [self._copy(world, for_user=self.actor, other=self.friend),
                self._copy(world, for_user=self.friend, other=self.actor)]

    def _copy(self, world: World, *, for_user: str, other: str) -> EventPrediction:
        return EventPrediction(
            "friend_remove", "users", match={"user_id": world.user_id(for_user), "friend_user_id": world.user_id(other)},
            fields={"actor_user_id": world.user_id(self.actor)}, users=(for_user,),
        )
