"""Friend routes (REST.md §7) and their user-scoped events (GATEWAY.md §4.4)."""

from __future__ import annotations

from aiohttp import web

from .context import Ctx, accepted, no_content, ok
from .errors import invalid_request, not_found
from .guards import require_ulid_param
from .ids import now_unix
from .router import Router
from .schemas import FriendRequestBody


async def create_request(ctx: Ctx) -> web.Response:
    body = await ctx.json(FriendRequestBody)
    user = ctx.auth()
    store = ctx.state.store
    recipient_id = require_ulid_param(body.recipient_user_id)
    recipient = store.user(recipient_id)
    if (
        recipient_id == user["user_id"]
        or recipient is None
        or store.friendship(user["user_id"], recipient_id) is not None
        or store.pending_request_between(user["user_id"], recipient_id)
    ):
        raise invalid_request()
    row = store.create_friend_request(user["user_id"], recipient_id)
    ctx.state.emitter.friendship(
        [user["user_id"], recipient_id],
        "friend_request_create",
        {
            "created_at_unix": row["created_at"],
            "recipient_user_id": recipient_id,
            "recipient_username": recipient["username"],
            "request_id": row["request_id"],
            "sender_user_id": user["user_id"],
            "sender_username": user["username"],
        },
    )
    return ok(
        {
            "request_id": row["request_id"],
            "sender_user_id": row["sender_id"],
            "recipient_user_id": row["recipient_id"],
            "created_at_unix": row["created_at"],
        }
    )


async def list_requests(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    incoming, outgoing = [], []
    for row in ctx.state.store.friend_requests_of(user["user_id"]):
        item = {
            "request_id": row["request_id"],
            "sender_user_id": row["sender_id"],
            "sender_username": row["sender_username"],
            "recipient_user_id": row["recipient_id"],
            "recipient_username": row["recipient_username"],
            "created_at_unix": row["created_at"],
        }
        (incoming if row["recipient_id"] == user["user_id"] else outgoing).append(item)
    return ok({"incoming": incoming, "outgoing": outgoing})


async def accept_request(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    store = ctx.state.store
    row = store.friend_request(ctx.params["request_id"])
    if row is None or row["recipient_id"] != user["user_id"]:
        raise not_found()
    sender = store.user(row["sender_id"])
    now = now_unix()
    with store.tx():
        store.add_friendship(row["sender_id"], row["recipient_id"], now)
        store.delete_friend_request(row["request_id"])
    common = {"actor_user_id": user["user_id"], "friendship_created_at_unix": now, "request_id": row["request_id"],
              "state": "accepted", "updated_at_unix": now}
    acceptor_copy = {**common, "user_id": user["user_id"], "friend_user_id": sender["user_id"],
                     "friend_username": sender["username"]}
    sender_copy = {**common, "user_id": sender["user_id"], "friend_user_id": user["user_id"],
                   "friend_username": user["username"]}
    if ctx.state.faults.on("server.friend_update_same_copy"):
        sender_copy = acceptor_copy
    ctx.state.emitter.friendship([user["user_id"]], "friend_request_update", acceptor_copy)
    ctx.state.emitter.friendship([sender["user_id"]], "friend_request_update", sender_copy)
    return accepted()


async def delete_request(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    store = ctx.state.store
    row = store.friend_request(ctx.params["request_id"])
    if row is None or user["user_id"] not in (row["sender_id"], row["recipient_id"]):
        raise not_found()
    store.delete_friend_request(row["request_id"])
    ctx.state.emitter.friendship(
        [row["sender_id"], row["recipient_id"]],
        "friend_request_delete",
        {"actor_user_id": user["user_id"], "deleted_at_unix": now_unix(), "request_id": row["request_id"]},
    )
    return no_content()


async def list_friends(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    friends = [
        {"user_id": row["user_id"], "username": row["username"], "created_at_unix": row["created_at"]}
        for row in ctx.state.store.friends(user["user_id"])
    ]
    return ok({"friends": friends})


async def remove_friend(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    peer = require_ulid_param(ctx.params["friend_user_id"])
    if peer == user["user_id"]:
        raise invalid_request()
    if ctx.state.store.remove_friendship(user["user_id"], peer):
        now = now_unix()
        emitter = ctx.state.emitter
        emitter.friendship([user["user_id"]], "friend_remove",
                      {"actor_user_id": user["user_id"], "friend_user_id": peer, "removed_at_unix": now, "user_id": user["user_id"]})
        emitter.friendship([peer], "friend_remove",
                      {"actor_user_id": user["user_id"], "friend_user_id": user["user_id"], "removed_at_unix": now, "user_id": peer})
    return no_content()


def register(router: Router) -> None:
    router.add("GET", "/friends", list_friends)
    router.add("DELETE", "/friends/{friend_user_id}", remove_friend)
    router.add("POST", "/friends/requests", create_request)
    router.add("GET", "/friends/requests", list_requests)
    router.add("POST", "/friends/requests/{request_id}/accept", accept_request)
    router.add("DELETE", "/friends/requests/{request_id}", delete_request)
